"""`make deps`: the Debian packages a fresh Debian 12 needs are the same in the Makefile, the
README and the image's build stage, and a missing C compiler (or libc's headers) counts as
missing. The fresh machine itself is tests/container/fresh.sh (make fresh-test)."""
import os
import re
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def make_var(name):
    """A variable of the Makefile as make expands it."""
    p = subprocess.run(["make", "-s", "-f", "Makefile", "--eval", "print-var-%: ; @echo $($*)",
                        f"print-var-{name}"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


def deps_as_a_user(*args):
    """make deps as a user other than root (nobody, when the tests run as root), so that it
    only reports: the Makefile read from stdin, run in /, where nobody may be."""
    cmd = ["make", "-s", "-f", "-", "deps", *args]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    return subprocess.run(cmd, cwd="/", input=read("Makefile"), capture_output=True, text=True,
                          timeout=120, env=env)


def test_readme_lists_what_make_installs():
    pkgs = make_var("DEB_PKGS")
    assert {"gcc", "libc6-dev"} <= set(pkgs)
    # the README's parenthesis after "installs the Debian packages it needs"
    listed = re.search(r"installs the\s+Debian packages it needs \(`([^`]+)`\)", read("README.md"))
    assert listed, "the README's package list is gone"
    assert listed.group(1).split() == pkgs


def test_image_build_stage_installs_the_build_packages():
    build_stage = read("docker/Dockerfile").split("\nFROM ")[1]
    installed = re.search(r"apt-get install -y -qq --no-install-recommends\s*\\\n(.*?)>/dev/null",
                          build_stage, re.S)
    assert installed, "the build stage's apt-get install is gone"
    words = installed.group(1).replace("\\", " ").split()
    assert sorted(words) == sorted(make_var("DEB_BUILD_PKGS") + ["make"])


@pytest.mark.parametrize("cc, missing", [("xc-no-such-cc", "xc-no-such-cc"),
                                          ("cc -nostdinc", "libc6-dev")])
def test_deps_counts_a_missing_compiler_and_prints_the_apt_line(cc, missing):
    p = deps_as_a_user(f"CC={cc}")
    assert p.returncode != 0, p.stdout
    lines = p.stdout.splitlines()
    reported = [line.split()[2:] for line in lines if line.startswith("deps: missing:")]
    assert reported and missing in reported[0], p.stdout
    assert f"deps: run as root: apt-get install -y {' '.join(make_var('DEB_PKGS'))}" in lines, p.stdout


def test_deps_passes_with_the_compiler_in_use():
    p = deps_as_a_user()
    assert p.returncode == 0 and "missing" not in p.stdout, p.stdout + p.stderr
