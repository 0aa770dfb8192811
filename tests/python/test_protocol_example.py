"""docs/protocol.md section 12's client, run as it stands on the page against echo, in a deployment
made the way `make run` makes one (tools/run-local.sh): var/local.json from config/local.json,
`xcctl init` for the keys and the registry, the service started with that config.

One thing differs from a reader's `make run`: echo listens on a port the system picks
(`tcp://127.0.0.1:*`, read back from its ready file) instead of config/local.json's fixed 7100,
so that the test cannot collide with a suite running on this machine; the example's endpoint is
checked to be config/local.json's, then replaced by that port. Nothing else of the code is changed.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO

PROTOCOL = os.path.join(REPO, "docs", "protocol.md")
XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
ECHO = os.path.join(REPO, "build", "bin", "xc-echo")


def example_code():
    """The ```python block of section 12."""
    with open(PROTOCOL, encoding="utf-8") as f:
        text = f.read()
    section = text.split("## 12. A minimal client (Python)", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, f"section 12 has {len(blocks)} python blocks"
    return blocks[0]


def local_config():
    with open(os.path.join(REPO, "config", "local.json"), encoding="utf-8") as f:
        return json.load(f)


def make_deployment(folder):
    """var/ as tools/run-local.sh makes it, echo's endpoints on ports the system picks."""
    var = os.path.join(folder, "var")
    os.makedirs(var)
    conf = local_config()
    # run-local.sh: the calendar from the repository, the databases beside the config
    conf["calendar"] = os.path.join(REPO, "config", "calendar")
    del conf["services"]["gateway"]   # not started here
    for svc in conf["services"].values():
        svc["database"] = svc["database"].replace("../var/", "")
    conf["services"]["echo"]["api"] = "tcp://127.0.0.1:*"
    conf["services"]["echo"]["events"] = "tcp://127.0.0.1:*"
    config = os.path.join(var, "local.json")
    with open(config, "w", encoding="utf-8") as f:
        json.dump(conf, f, ensure_ascii=False, indent=2)
    subprocess.run([XCCTL, "--config", config, "init"], check=True, cwd=folder,
                   stdout=subprocess.DEVNULL, timeout=60)
    return var, config


def test_the_example_runs_against_echo(tmp_path):
    code = example_code()
    endpoint = local_config()["services"]["echo"]["api"]
    assert endpoint == "tcp://127.0.0.1:7100", endpoint
    assert code.count(f'"{endpoint}"') == 1, "the example connects to config/local.json's echo"
    # what it does, as the page says: a version 7 id, the operator's key made by xcctl init
    assert "uuid4" not in code and "uuid7()" in code
    assert 'open("var/keys/office.jwk")' in code and 'open("var/principals.json")' in code

    var, config = make_deployment(str(tmp_path))
    with open(os.path.join(var, "keys", "office.jwk"), encoding="utf-8") as f:
        kid = json.load(f)["kid"]
    assert re.fullmatch(r"office#\d{4}-1", kid), kid       # what the page says init makes

    ready = os.path.join(var, "echo.ready")
    log = open(os.path.join(var, "echo.log"), "wb")
    proc = subprocess.Popen([ECHO, "--config", config, "--ready-file", ready],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, f"xc-echo exited with {proc.returncode}"
            try:
                with open(ready, encoding="utf-8") as f:
                    api = json.load(f)["api"]
                break
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            assert time.monotonic() < deadline, "xc-echo wrote no ready file within 10 s"
            time.sleep(0.02)
        script = os.path.join(str(tmp_path), "example.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(code.replace(endpoint, api))

        def run():
            r = subprocess.run([sys.executable, script], cwd=str(tmp_path), capture_output=True,
                               text=True, timeout=30)
            assert r.returncode == 0, r.stderr
            return r.stdout

        # the reply as the page says it prints, from a reply the example verified and matched
        assert run() == "ack {'status': 'accepted', 'result': {'n': 1}}\n"
        again = run()
        assert again.startswith("error {'code': 'conflict'"), again
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("xc-echo did not stop on SIGTERM")
        log.close()
