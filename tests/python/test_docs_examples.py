"""Every shell example in the README and docs/ runs, as written, on the demo `make run` loads.

`make run` starts the suite under a temporary XC_VAR (its config made beforehand from
config/local.json as run-local.sh makes it, on free ports, so that this test collides with no
other suite) and loads its demo (tools/demo.sh). Each ```sh block is then run with bash -e from a
scratch folder that has the project's build/, config/ and tools/, with XC_CONFIG naming the
deployment (what a reader in the project's folder gets from var/local.json by default). A block
fails the test when any command in it exits non-zero.

Blocks in another language (```json, ```python: docs/protocol.md section 12 is run by its own
test) are not shell and are skipped; a shell block that cannot run here is marked on the line
before its fence with `<!-- docs-test: not run: WHY -->`, and WHY must be given.
"""

import glob
import os
import re
import subprocess

import makerun

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
SHELLS = ("sh", "bash", "shell")
MARKER = re.compile(r"^<!--\s*docs-test:\s*not run:\s*(.*?)\s*-->\s*$")
UP_WITHIN = 180


def documents():
    return [os.path.join(REPO, "README.md")] + sorted(glob.glob(os.path.join(REPO, "docs", "**", "*.md"),
                                                              recursive=True))


def shell_blocks(path):
    """(first line number, text, why not run or None) of each shell block of a Markdown file."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^```\s*(\S*)", lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if lang not in SHELLS:
            continue
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        out.append((start + 1, "\n".join(body) + "\n", marker.group(1) if marker else None))
    return out



def test_the_extractor_sees_the_blocks_and_honours_the_marker():
    found = {os.path.relpath(p, REPO): shell_blocks(p) for p in documents()}
    readme = found["README.md"]
    assert len(readme) == 3, readme
    assert readme[0][2] and "make run" in readme[0][1], readme[0]
    assert readme[1][2] is None and "xcctl health" in readme[1][1]
    # the console's first person: invited from the shell, enrolled in a browser (not run here)
    assert readme[2][2] and "principal invite" in readme[2][1], readme[2]
    assert any(b[2] is None for b in found["docs/xcctl.md"])
    # every marker says why
    for path, blocks in found.items():
        for line, _, why in blocks:
            assert why is None or why.strip(), f"{path}:{line}: a docs-test marker without a reason"
    # the python example of the protocol page is not shell: not here
    assert found["docs/protocol.md"] == [] or all("import " not in b[1] for b in found["docs/protocol.md"])


def test_every_shell_example_runs_on_the_demo(tmp_path):
    blocks = [(os.path.relpath(p, REPO), line, text) for p in documents()
              for line, text, why in shell_blocks(p) if why is None]
    assert blocks, "no shell examples found"
    var = tmp_path / "var"
    var.mkdir()
    conf, config = makerun.write_local_config(var)
    with makerun.running(tmp_path, var, demo=True, within=UP_WITHIN, what="with the demo") as run:
        assert "the demo did not load fully" not in run.log_text(), run.log_text()
        # a reader's folder: the project's programs, files written there stay there
        work = tmp_path / "work"
        work.mkdir()
        for name in ("build", "config", "tools"):
            os.symlink(os.path.join(REPO, name), work / name)
        failures = []
        for path, line, text in blocks:
            r = subprocess.run(["bash", "-e", "-o", "pipefail", "-x", "-c", text], cwd=str(work),
                               env={**run.env, "XC_CONFIG": str(config)}, capture_output=True, text=True,
                               timeout=300)
            print(f"--- {path}:{line}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
            if r.returncode != 0:
                failures.append(f"{path}:{line}: exit {r.returncode}\n{r.stderr[-2000:]}")
        assert not failures, "\n\n".join(failures)
