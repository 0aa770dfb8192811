"""A throw-away deployment of one service per test: keys, registry and config generated here."""

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
NOT_BEFORE = "2020-01-01T00:00:00Z"
NOT_AFTER = "2099-01-01T00:00:00Z"


def is_workday(folder, day):
    """Whether day (a datetime.date) is a working day by the year files in folder, as the
    services count them: a listed make-up working day, or a weekday not listed as a holiday.
    None when day's year has no file."""
    path = os.path.join(folder, f"{day.year}.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        cal = json.load(f)
    text = day.isoformat()
    return text in cal["workdays"] or (day.weekday() < 5 and text not in cal["holidays"])


def write_json(path, doc, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    os.chmod(path, mode)


class Deployment:
    """Keys, registry and config for one xc-<service>, made in folder, run with --test-mode.

    principals maps an attribute name to (iss, role): each gets a Signer as that attribute,
    besides the service's own Signer, which is the attribute named after the service.
    entry holds extra fields for every registry entry; service_extra extra keys for the
    service's config entry (files they name are the caller's to write before start).
    """

    def __init__(self, folder, service, principals, entry=None, service_extra=None):
        self.folder = folder
        self.service = service
        self.binary = os.path.join("build", "bin", f"xc-{service}")  # relative to the repo root
        self.signer = xcwire.Signer(service, f"{service}#1")
        setattr(self, service, self.signer)
        roles = [(self.signer, "service")]
        for attr, (iss, role) in principals.items():
            s = xcwire.Signer(iss, f"{iss}#1")
            setattr(self, attr, s)
            roles.append((s, role))
        self.ctx = zmq.Context()
        self.clients = []
        self.proc = None
        self.stopped = None

        doc = {"principals": [
            {"iss": s.iss, "role": role, **(entry or {}),
             "keys": [s.public_jwk(NOT_BEFORE, NOT_AFTER)]}
            for s, role in roles]}
        self.registry_path = os.path.join(folder, "principals.json")
        write_json(self.registry_path, doc)
        write_json(os.path.join(folder, "service.jwk"), self.signer.private_jwk(), 0o600)
        self.database = os.path.join(folder, f"{service}.db")
        self.config_path = os.path.join(folder, "config.json")
        write_json(self.config_path, {
            "deployment": "pytest", "utc_offset": "+08:00", "registry": "principals.json",
            "calendar": os.path.join(REPO, "config", "calendar"),
            "limits": {"heartbeat_ms": 200},
            "services": {service: {"api": "tcp://127.0.0.1:*", "events": "tcp://127.0.0.1:*",
                                   "database": f"{service}.db", "key": "service.jwk",
                                   **(service_extra or {})}}})
        # The verifying side reads the file as any department would.
        self.registry = xcwire.Registry.load(self.registry_path)
        self.ready_path = os.path.join(folder, "ready.json")
        self.log_path = os.path.join(folder, f"{service}.log")

    def start(self, extra=()):
        """Starts the binary in test mode, with extra arguments (e.g. --fail-after-commit N)."""
        if not os.path.exists(self.binary):
            pytest.fail(f"{self.binary} does not exist (run from the repo root after building it)")
        try:
            os.unlink(self.ready_path)    # a restart must not read the last run's file
        except FileNotFoundError:
            pass
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path, "--ready-file", self.ready_path,
             "--test-mode", *extra], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"xc-{self.service} exited with {self.proc.returncode}:\n"
                            f"{self.log_tail()}")
            try:
                with open(self.ready_path, encoding="utf-8") as f:
                    self.ready = json.load(f)
                break
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no ready file within 10 s:\n{self.log_tail()}")
            time.sleep(0.02)
        assert self.ready["service"] == self.service
        assert self.ready["pid"] == self.proc.pid
        assert self.ready["api"].startswith("tcp://127.0.0.1:")
        assert self.ready["events"].startswith("tcp://127.0.0.1:")
        assert self.ready["api"] != self.ready["events"]

    def client(self):
        c = xcwire.Client(self.ctx, self.ready["api"], self.registry, self.service)
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

    def end_process(self, sig=signal.SIGTERM):
        """Ends the process (SIGTERM, or sig), waiting 5 s before a kill: its exit status, or
        "killed". The clients stay open, so a test may start it again and go on."""
        if self.proc is None:
            return "not started"
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                self.log.close()
                return "killed"
        self.log.close()
        return self.proc.returncode

    def stop(self):
        """Closes the clients and ends the process: the exit status, or "killed". Runs once."""
        if self.stopped is not None:
            return self.stopped
        for c in self.clients:
            c.close() if isinstance(c, xcwire.Client) else c.close(0)
        self.ctx.term()
        self.stopped = self.end_process()
        return self.stopped

def running(d):
    """For a fixture: start d, yield it, stop it; the exit status is left in d.stopped."""
    try:
        d.start()
        yield d
    finally:
        status = d.stop()
        # Shown by pytest for a failing test only.
        print(f"--- xc-{d.service} exit status {status}; log {d.log_path}:\n{d.log_tail()}")


@pytest.fixture
def dep(tmp_path):
    yield from running(Deployment(
        str(tmp_path), "echo",
        {"office": ("office", "office"), "audit": ("audit-bureau", "audit")},
        entry={"scope": {"units": ["*"]}, "revoked": False}))


class Suite:
    """Several services of one deployment in folder: one registry, one config, their own keys.

    services: names of xc-<name> binaries, started in that order. principals maps an attribute
    name to (iss, role, scope): each gets a Signer as that attribute. Every service is a
    principal with role service; intake gets its secret key. policies: the config's policies.
    """

    def __init__(self, folder, services, principals, policies=None):
        self.folder = folder
        self.deployments = {}
        signers = {}
        entries = []
        for name in services:
            s = xcwire.Signer(name, f"{name}#1")
            signers[name] = s
            entries.append({"iss": name, "role": "service", "keys": [s.public_jwk(NOT_BEFORE, NOT_AFTER)]})
        for attr, (iss, role, scope) in principals.items():
            s = xcwire.Signer(iss, f"{iss}#1")
            setattr(self, attr, s)
            entries.append({"iss": iss, "role": role, "scope": scope,
                            "keys": [s.public_jwk(NOT_BEFORE, NOT_AFTER)]})
        self.registry_path = os.path.join(folder, "principals.json")
        write_json(self.registry_path, {"principals": entries})
        self.registry = xcwire.Registry.load(self.registry_path)
        conf = {}
        for name in services:
            write_json(os.path.join(folder, f"{name}.jwk"), signers[name].private_jwk(), 0o600)
            conf[name] = {"api": "tcp://127.0.0.1:*", "events": "tcp://127.0.0.1:*",
                          "database": f"{name}.db", "key": f"{name}.jwk"}
        if "intake" in conf:
            write_json(os.path.join(folder, "secret.json"),
                       {"kty": "oct", "k": xcwire.b64u(os.urandom(32))}, 0o600)
            conf["intake"]["secret_key"] = "secret.json"
        # rectify and referral keep evidence files encrypted with their own (common/files.h)
        for name in ("rectify", "referral"):
            if name in conf:
                write_json(os.path.join(folder, f"{name}.secret"),
                           {"kty": "oct", "k": xcwire.b64u(os.urandom(32))}, 0o600)
                conf[name]["secret_key"] = f"{name}.secret"
        self.config_path = os.path.join(folder, "config.json")
        self.config = {
            "deployment": "pytest", "utc_offset": "+08:00", "registry": "principals.json",
            "calendar": os.path.join(REPO, "config", "calendar"),
            "limits": {"heartbeat_ms": 200, "pull_ms": 100, "tick_ms": 50}, "services": conf,
            # rectify's warning that next year's calendar file is missing depends on the day
            # the tests run: off, unless a test gives rectify a policy of its own
            "policies": {"rectify": {"calendar_warn_from": None}, **(policies or {})}}
        write_json(self.config_path, self.config)
        for name in services:
            d = Deployment.__new__(Deployment)
            d.folder, d.service = folder, name
            d.binary = os.path.join("build", "bin", f"xc-{name}")
            d.ctx, d.clients, d.proc, d.stopped = zmq.Context(), [], None, None
            d.config_path, d.registry = self.config_path, self.registry
            d.ready_path = os.path.join(folder, f"{name}.ready")
            d.log_path = os.path.join(folder, f"{name}.log")
            self.deployments[name] = d

    def start(self):
        """Starts each service in order; the ports it got go into the config, so the services
        started after it (its consumers) find it."""
        for name, d in self.deployments.items():
            d.start()
            self.config["services"][name]["api"] = d.ready["api"]
            self.config["services"][name]["events"] = d.ready["events"]
            write_json(self.config_path, self.config)

    def client(self, name):
        return self.deployments[name].client()

    def stop(self):
        return {name: d.stop() for name, d in self.deployments.items()}

    def stop_and_report(self, lines=60):
        """Stops every service and prints each one's exit status and log tail (pytest shows
        them for a failing test): the statuses."""
        status = self.stop()
        for name, d in self.deployments.items():
            print(f"--- xc-{name} exit status {status[name]}; log:\n{d.log_tail(lines)}")
        return status


def running_suite(s):
    """For a fixture: start the suite, yield it, stop it; every service must exit 0."""
    try:
        s.start()
        yield s
    finally:
        status = s.stop_and_report()
    assert all(v == 0 for v in status.values()), status


def key_file(folder, signer):
    """A private JWK file (mode 0600) for signer, for xcctl --key: its path."""
    path = os.path.join(str(folder), f"key-{signer.iss}.jwk")
    write_json(path, signer.private_jwk(), 0o600)
    return path



def profile_policies(name, services):
    """A simulation profile's policies (config/profiles/<name>.json) of the services a suite runs,
    as Suite takes them: its district offices load their own records (history_roles) and its
    districts have their own rules. Rectify keeps Suite's default of no calendar warning."""
    with open(os.path.join(REPO, "config", "profiles", f"{name}.json"), encoding="utf-8") as f:
        policies = {k: v for k, v in json.load(f)["policies"].items() if k in services}
    if "rectify" in services:
        policies["rectify"] = {"calendar_warn_from": None, **policies.get("rectify", {})}
    return policies
