"""The crash test's HTTP side: xc-gateway as a process the killer can end and start again on
the same port, and departments' clients that send signed commands through it and resend the
same bytes until they have an answer (docs/services/gateway.md: a 504 may have been carried
out; the same bytes again get `duplicate` with the first result).

A client's request is sent again after a connection error (the gateway was killed, or is not
back yet), a timeout, a 503 (the service is unreachable or busy), a 504 (no reply in time) or a
429; any other answer is the service's signed reply, verified with its key from /v1/keys.
"""
import collections
import os
import signal
import threading
import time

import requests

import gatewaylib  # noqa: E402  (tests/python: Gateway, open_reply; on sys.path by the test)
import xcwire  # noqa: E402

RESEND = (429, 503, 504)
REPLY_TIMEOUT_MS = 1500
HTTP_TIMEOUT = (3.0, 10.0)          # connect, read: beyond the gateway's reply timeout


class GatewayDeployment:
    """xc-gateway on the suite's config, as the killer sees a service: proc, log, start().
    The first start picks a free port; every restart binds that same port again."""

    service = "gateway"

    def __init__(self, suite):
        self.suite = suite
        self.address = "127.0.0.1:0"
        self.gw = None
        self.jwks = None
        self.start()
        self.address = self.gw.ready["http"]
        self.base = self.gw.base
        self.jwks = self.gw.jwks      # fetched over HTTP by the first start, as a client would

    def start(self):
        path = os.path.join(self.suite.folder, "gateway.ready")
        if os.path.exists(path):
            os.unlink(path)           # a restart must not read the last run's file
        self.gw = gatewaylib.Gateway(self.suite, reply_timeout_ms=REPLY_TIMEOUT_MS, extra={
            "http": self.address,
            # many clients on one address: the rate limit is not what this test is about
            "limits": {"requests_per_second": 0}})
        self.gw.http.close()

    @property
    def proc(self):
        return self.gw.proc

    @property
    def log(self):
        return self.gw.log

    def log_tail(self, n=40):
        return self.gw.log_tail(n)

    def stop(self):
        """SIGTERM: the exit status (None if it had to be killed)."""
        self.gw.proc.send_signal(signal.SIGTERM)
        try:
            return self.gw.proc.wait(10)
        except Exception:
            self.gw.proc.kill()
            self.gw.proc.wait(10)
            return None
        finally:
            self.gw.log.close()


class HttpCaller:
    """Sends signed commands through the gateway, each resent as the same bytes until answered.
    Thread-safe: each thread has its own keep-alive session. Keeps every command it sent with
    an ack (its frame and result), for the resend check at the end."""

    def __init__(self, gateway, registry):
        self.gateway = gateway
        self.registry = registry
        self.local = threading.local()
        self.lock = threading.Lock()
        self.outcomes = collections.Counter()   # what the attempts got: 200, 503, 504, error ...
        self.acked = {}                         # id -> (service, iss, frame, reply data)
        self.in_flight = collections.Counter()  # service -> requests posted, not answered yet
        self.sessions = []

    def session(self):
        s = getattr(self.local, "session", None)
        if s is None:
            s = self.local.session = requests.Session()
            s.trust_env = False
            with self.lock:
                self.sessions.append(s)
        return s

    def count(self, what):
        with self.lock:
            self.outcomes[what] += 1

    def busy(self, service=None):
        """Whether a request (to service, or to any) is waiting for its answer now."""
        with self.lock:
            return self.in_flight[service] > 0 if service else sum(self.in_flight.values()) > 0

    def post_once(self, service, frame):
        """One attempt: the response, or requests' exception."""
        with self.lock:
            self.in_flight[service] += 1
        try:
            return self.session().post(f"{self.gateway.base}/v1/{service}", data=frame,
                                       timeout=HTTP_TIMEOUT,
                                       headers={"Content-Type": gatewaylib.JOSE})
        finally:
            with self.lock:
                self.in_flight[service] -= 1

    def post(self, service, frame, seconds=60.0):
        """Posts frame until an answer that is not transient: (status, raw body)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                r = self.post_once(service, frame)
            except requests.RequestException as e:
                # killed mid-request, refused while it restarts, or no answer in time
                self.count("timeout" if isinstance(e, requests.Timeout) else "connection error")
                time.sleep(0.1)
                continue
            self.count(r.status_code)
            if r.status_code in RESEND:
                wait = r.headers.get("Retry-After", "")
                time.sleep(min(float(wait), 1.0) if wait.isdigit() else 0.1)
                continue
            return r.status_code, r.content
        raise AssertionError(f"POST /v1/{service}: no answer within {seconds} s")

    def call(self, service, signer, type_, data):
        """Seals a command or query, sends it until answered: (id, reply body), verified."""
        frame, body = xcwire.seal(signer, service, type_, data, exp=int(time.time()) + 3000)
        status, raw = self.post(service, frame)
        reply = gatewaylib.open_reply(raw, self.gateway.jwks, service, signer.iss, body["id"])
        if reply["type"] != "error":
            assert status == 200, (status, reply)
        if reply["type"] == "ack":
            if reply["data"]["status"] == "duplicate":
                self.count("answered duplicate")
            with self.lock:
                self.acked[body["id"]] = (service, signer.iss, frame, reply["data"])
        return body["id"], reply

    def run(self, service, signer, commands, threads=4, seconds=120.0):
        """commands: [(type, data)], sent by several clients at once, each command until
        answered. Returns {"acked": {i: (id, data)}, "refused": {i: data}}."""
        acked, refused = {}, {}
        todo = list(enumerate(commands))
        errors = []

        def client():
            try:
                while True:
                    with self.lock:
                        if not todo:
                            return
                        i, (type_, data) = todo.pop()
                    cid, reply = self.call(service, signer, type_, data)
                    with self.lock:
                        if reply["type"] == "error":
                            refused[i] = reply["data"]
                        else:
                            acked[i] = (cid, reply["data"])
            except BaseException as e:  # reported by run, not lost in the thread
                errors.append(e)

        workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(seconds)
        assert not any(w.is_alive() for w in workers), f"HTTP clients still busy after {seconds} s"
        assert not errors, repr(errors[0])
        return {"acked": acked, "refused": refused}

    def resend_all(self, threads=4):
        """Every acked command's same bytes once more: {id: (status, reply body)}."""
        items = list(self.acked.items())
        out = {}
        errors = []

        def client(part):
            try:
                for cid, (service, iss, frame, _) in part:
                    status, raw = self.post(service, frame)
                    out[cid] = (status, gatewaylib.open_reply(raw, self.gateway.jwks, service,
                                                              iss, cid))
            except BaseException as e:
                errors.append(e)

        workers = [threading.Thread(target=client, args=(items[k::threads],), daemon=True)
                   for k in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(300)
        assert not errors, repr(errors[0])
        return out

    def close(self):
        for s in self.sessions:
            s.close()
