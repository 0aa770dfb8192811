"""`make run` as a reader runs it (README), in a test's own folder and on free ports: what
test_make_run.py and test_docs_examples.py share."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_ports(n):
    """n TCP ports free on loopback now (bound together, so all different)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_local_config(var, curve=False):
    """config/local.json rewritten into var/local.json: the project's calendar, the databases in
    var, every service on free ports, the gateway on a free port (with curve: CURVE on, the
    gateway on port 0 with its own CURVE key, every service with one). (conf, its path)."""
    with open(os.path.join(REPO, "config", "local.json"), encoding="utf-8") as f:
        conf = json.load(f)
    conf["calendar"] = os.path.join(REPO, "config", "calendar")
    ports = iter(free_ports(2 * len(conf["services"])))
    if curve:
        conf["curve"] = True
        conf["services"]["gateway"] = {"http": "127.0.0.1:0", "curve_key": "keys/gateway.curve",
                                       "web": os.path.join(REPO, "web")}
    else:
        conf["services"]["gateway"]["http"] = f"127.0.0.1:{next(ports)}"
        conf["services"]["gateway"]["web"] = os.path.join(REPO, "web")
    for name, svc in conf["services"].items():
        if name == "gateway":
            continue
        svc["database"] = svc["database"].replace("../var/", "")
        svc["api"] = f"tcp://127.0.0.1:{next(ports)}"
        svc["events"] = f"tcp://127.0.0.1:{next(ports)}"
        if curve:
            svc["curve_key"] = f"keys/{name}.curve"
    path = var / "local.json"
    path.write_text(json.dumps(conf, ensure_ascii=False, indent=2), encoding="utf-8")
    return conf, path


class MakeRun:
    def __init__(self, env, proc, log, log_path):
        self.env, self.proc, self.log, self.log_path = env, proc, log, log_path

    def log_text(self, tail=8000):
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]


def run_env(var, demo):
    """The environment of a reader's `make run` (and their xcctl) on var."""
    env = {k: v for k, v in os.environ.items() if k not in ("XC_CONFIG", "XC_KEY")}
    env.update(XC_VAR=str(var), XC_DEMO="1" if demo else "0")
    return env


@contextlib.contextmanager
def running(tmp_path, var, demo, within, what):
    """`make run` with XC_VAR=var (its config var/local.json) and XC_DEMO=demo, up: it said it is
    running within `within` seconds (else the test fails with its log). Yields a MakeRun; at the
    end it is stopped as a reader stops it (SIGINT to its group; SIGKILL if it hangs) and its
    log printed (pytest shows it for a failing test)."""
    env = run_env(var, demo)
    log_path = tmp_path / "make-run.log"
    log = open(log_path, "wb")
    make = subprocess.Popen(["make", "run"], cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    run = MakeRun(env, make, log, log_path)
    try:
        deadline = time.monotonic() + within
        while "running; Ctrl-C stops the suite" not in run.log_text():
            if make.poll() is not None:
                pytest.fail(f"make run exited with {make.returncode}:\n{run.log_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"make run {what} was not up within {within} s:\n{run.log_text()}")
            time.sleep(0.5)
        yield run
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
            try:
                make.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)
                make.wait(timeout=10)
        log.close()
        print(f"--- make run log:\n{log_path.read_text(encoding='utf-8', errors='replace')[-4000:]}")
