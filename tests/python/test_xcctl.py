"""xcctl init and health, the real binaries, on a deployment made in a temp folder."""

import json
import os
import signal
import socket
import stat
import subprocess
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
ECHO = os.path.join(REPO, "build", "bin", "xc-echo")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def deployment(tmp_path):
    config = tmp_path / "deploy.json"
    config.write_text(json.dumps({
        "deployment": "xcctl-test", "utc_offset": "+08:00", "registry": "principals.json",
        "calendar": os.path.join(REPO, "config", "calendar"),
        "services": {"echo": {"api": f"tcp://127.0.0.1:{free_port()}",
                              "events": f"tcp://127.0.0.1:{free_port()}",
                              "database": "var/echo.db", "key": "keys/echo.jwk"}}}))
    return tmp_path, config


def xcctl(config, *args):
    return subprocess.run([XCCTL, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=30)


def test_init_makes_keys_and_registry_once(deployment):
    folder, config = deployment
    first = xcctl(config, "init")
    assert first.returncode == 0, first.stderr
    for key in ("keys/echo.jwk", "keys/office.jwk"):
        mode = stat.S_IMODE(os.stat(folder / key).st_mode)
        assert mode == 0o600, f"{key} has mode {oct(mode)}"
        assert "d" in json.loads((folder / key).read_text())
    registry = json.loads((folder / "principals.json").read_text())
    by_iss = {p["iss"]: p for p in registry["principals"]}
    assert set(by_iss) == {"echo", "office"}
    assert by_iss["echo"]["role"] == "service" and by_iss["office"]["role"] == "office"
    for p in by_iss.values():
        assert len(p["keys"]) == 1 and "d" not in p["keys"][0]
    assert (folder / "var").is_dir()

    # Run again: nothing new is made, nothing is changed.
    before = {p: (folder / p).read_bytes() for p in ("keys/echo.jwk", "keys/office.jwk", "principals.json")}
    second = xcctl(config, "init")
    assert second.returncode == 0, second.stderr
    assert "made" not in second.stdout and "registered" not in second.stdout
    assert {p: (folder / p).read_bytes() for p in before} == before


def test_health_up_then_down(deployment):
    folder, config = deployment
    assert xcctl(config, "init").returncode == 0
    log = open(folder / "echo.log", "w")
    proc = subprocess.Popen([ECHO, "--config", str(config)], stderr=log)
    try:
        deadline = time.monotonic() + 10
        result = xcctl(config, "health")
        while result.returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            result = xcctl(config, "health")
        assert result.returncode == 0, result.stdout + result.stderr
        line = [l for l in result.stdout.splitlines() if l.startswith("echo")][0]
        assert line.split()[2] == "up"
        assert line.split()[5] == "0"          # LAG: echo reads no other service here
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        log.close()
    down = xcctl(config, "health")
    assert down.returncode == 3                 # a service did not answer
    assert "DOWN" in down.stdout
    assert "echo at tcp://" in down.stderr and "did not answer" in down.stderr and "make run" in down.stderr


def test_services_lists_the_config(deployment):
    _, config = deployment
    result = xcctl(config, "services")
    assert result.returncode == 0 and result.stdout == "echo\n"


def test_bad_config_named(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text('{"deployment": "x", "utc_offset": "+08:00", "registry": "r.json",'
                      ' "calendar": "c", "services": {"echo": {"api": "tcp://127.0.0.1:1",'
                      ' "database": "d", "key": "k", "dbb": 1}}}')
    result = xcctl(config, "health")
    assert result.returncode == 4               # a local problem: the config
    assert "services.echo.dbb: unknown key" in result.stderr
