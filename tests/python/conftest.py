"""A throw-away echo deployment per test: keys, registry and config generated here."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xcwire  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BINARY = os.path.join("build", "bin", "xc-echo")       # relative to the repo root
NOT_BEFORE = "2020-01-01T00:00:00Z"
NOT_AFTER = "2099-01-01T00:00:00Z"


def write_json(path, doc, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    os.chmod(path, mode)


class Deployment:
    def __init__(self, folder):
        self.folder = folder
        self.echo = xcwire.Signer("echo", "echo#1")
        self.office = xcwire.Signer("office", "office#1")
        self.audit = xcwire.Signer("audit-bureau", "audit-bureau#1")
        self.ctx = zmq.Context()
        self.clients = []
        self.proc = None
        self.stopped = None

        principals = {"principals": [
            {"iss": s.iss, "role": role, "scope": {"units": ["*"]}, "revoked": False,
             "keys": [s.public_jwk(NOT_BEFORE, NOT_AFTER)]}
            for s, role in ((self.echo, "service"), (self.office, "office"),
                            (self.audit, "audit"))]}
        self.registry_path = os.path.join(folder, "principals.json")
        write_json(self.registry_path, principals)
        write_json(os.path.join(folder, "service.jwk"), self.echo.private_jwk(), 0o600)
        self.config_path = os.path.join(folder, "config.json")
        write_json(self.config_path, {
            "deployment": "pytest", "utc_offset": "+08:00", "registry": "principals.json",
            "calendar": os.path.join(REPO, "config", "calendar"),
            "limits": {"heartbeat_ms": 200},
            "services": {"echo": {"api": "tcp://127.0.0.1:*", "events": "tcp://127.0.0.1:*",
                                  "database": "echo.db", "key": "service.jwk"}}})
        # The verifying side reads the file as any department would.
        self.registry = xcwire.Registry.load(self.registry_path)
        self.ready_path = os.path.join(folder, "ready.json")
        self.log_path = os.path.join(folder, "echo.log")

    def start(self):
        if not os.path.exists(BINARY):
            pytest.fail(f"{BINARY} does not exist (run from the repo root after building it)")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [BINARY, "--config", self.config_path, "--ready-file", self.ready_path,
             "--test-mode"], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"xc-echo exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with open(self.ready_path, encoding="utf-8") as f:
                    self.ready = json.load(f)
                break
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no ready file within 10 s:\n{self.log_tail()}")
            time.sleep(0.02)
        assert self.ready["service"] == "echo"
        assert self.ready["pid"] == self.proc.pid
        assert self.ready["api"].startswith("tcp://127.0.0.1:")
        assert self.ready["events"].startswith("tcp://127.0.0.1:")
        assert self.ready["api"] != self.ready["events"]

    def client(self):
        c = xcwire.Client(self.ctx, self.ready["api"], self.registry, "echo")
        self.clients.append(c)
        return c

    def subscriber(self):
        s = self.ctx.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(self.ready["events"])
        self.clients.append(s)
        return s

    def log_tail(self, n=60):
        try:
            self.log.flush()
        except (AttributeError, ValueError):
            pass
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except FileNotFoundError:
            return "(no log)"

    def stop(self):
        """SIGTERM, wait 5 s, then kill: the exit status, or "killed". Runs once."""
        if self.stopped is not None:
            return self.stopped
        for c in self.clients:
            c.close() if isinstance(c, xcwire.Client) else c.close(0)
        self.ctx.term()
        self.stopped = "not started"
        if self.proc is None:
            return self.stopped
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                self.log.close()
                self.stopped = "killed"
                return self.stopped
        self.log.close()
        self.stopped = self.proc.returncode
        return self.stopped


@pytest.fixture
def dep(tmp_path):
    d = Deployment(str(tmp_path))
    try:
        d.start()
        yield d
    finally:
        status = d.stop()
        # Shown by pytest for a failing test only.
        print(f"--- xc-echo exit status {status}; log {d.log_path}:\n{d.log_tail()}")
