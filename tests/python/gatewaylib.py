"""What the gateway's tests share (docs/services/gateway.md): a department's client written with
nothing but requests and PyNaCl (and the standard library), xc-gateway started on a suite's
config, the problem-document check, and a small PKI made with openssl for TLS."""

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid

import nacl.signing
import requests

from conftest import Suite, write_json

JOSE = "application/jose+json"
PROBLEM = "application/problem+json"
REPLY_TIMEOUT_MS = 1500


# --- a department's client: requests + PyNaCl only ------------------------------------------

def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uuid7():
    b = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10))
    b[6] = 0x70 | (b[6] & 0x0F)
    b[8] = 0x80 | (b[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(b)))


class Department:
    """A principal's key as its private JWK file holds it, and how it signs."""

    def __init__(self, jwk, iss):
        self.sk = nacl.signing.SigningKey(unb64u(jwk["d"]))
        self.kid, self.iss = jwk["kid"], iss

    def seal(self, aud, type_, data, id_=None, iat=None, exp=None, header=None):
        now = int(time.time())
        iat = now if iat is None else iat
        header = header or {"alg": "EdDSA", "kid": self.kid, "typ": "xc+jws"}
        body = {"v": 1, "id": id_ or uuid7(), "iss": self.iss, "aud": aud, "iat": iat,
                "exp": iat + 120 if exp is None else exp, "type": type_, "corr": None, "data": data}
        p = b64u(json.dumps(header, separators=(",", ":")).encode())
        q = b64u(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
        sig = self.sk.sign(f"{p}.{q}".encode()).signature
        return json.dumps({"protected": p, "payload": q, "signature": b64u(sig)}).encode(), body["id"]


def open_reply(raw, jwks, service, requester, request_id):
    """Verifies a reply with the service's key from /v1/keys: its body."""
    m = json.loads(raw)
    header = json.loads(unb64u(m["protected"]))
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert key["iss"] == service and key["crv"] == "Ed25519"
    nacl.signing.VerifyKey(unb64u(key["x"])).verify(f"{m['protected']}.{m['payload']}".encode(),
                                                     unb64u(m["signature"]))
    body = json.loads(unb64u(m["payload"]))
    assert body["iss"] == service and body["aud"] == requester, body
    assert body["corr"] == request_id.lower(), body
    return body


# --- raw HTTP: bytes as sent, answers as read (hostile input) -----------------------------------

def parse_responses(buf):
    """The complete responses at the start of buf: ([(status, {name: value}, body)], the rest).
    A header seen twice has a list of values; a body is Content-Length's bytes."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        lines = buf[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        n = 0 if status < 200 else int(headers.get("content-length", ["0"])[0])
        if len(buf) < end + 4 + n:
            return out, buf
        out.append((status, {k: v[0] if len(v) == 1 else v for k, v in headers.items()},
                    buf[end + 4:end + 4 + n]))
        buf = buf[end + 4 + n:]


def raw_exchange(address, data, answers=1, until_close=False, wait=10.0, pause=0.3,
                 limit=1 << 20):
    """Sends data (bytes, or a list of pieces sent `pause` seconds apart) on a new connection to
    address ("host:port") and reads until `answers` responses came (or, with until_close, until
    the server closes), `wait` seconds at most, `limit` bytes at most:
    (responses, closed by the server, bytes left unparsed)."""
    host, port = address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=wait)
    try:
        pieces = data if isinstance(data, list) else [data]
        for i, piece in enumerate(pieces):
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break                        # the server answered and closed before the rest
            if i + 1 < len(pieces):
                time.sleep(pause)
        buf, got, closed = b"", [], False
        deadline = time.monotonic() + wait
        while len(buf) < limit:
            more, buf = parse_responses(buf)
            got += more
            if len(got) >= answers and not until_close:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
        more, buf = parse_responses(buf)
        return got + more, closed, buf
    finally:
        sock.close()


# --- the deployment ---------------------------------------------------------------------------

class Gateway:
    """xc-gateway started on the suite's config, with services.gateway added to it."""

    def __init__(self, suite, reply_timeout_ms=REPLY_TIMEOUT_MS, extra=None, scheme="http",
                 verify=True):
        self.suite = suite
        suite.config["services"]["gateway"] = {"http": "127.0.0.1:0",
                                               "reply_timeout_ms": reply_timeout_ms,
                                               **(extra or {})}
        write_json(suite.config_path, suite.config)
        self.ready_path = os.path.join(suite.folder, "gateway.ready")
        self.log_path = os.path.join(suite.folder, "gateway.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join("build", "bin", "xc-gateway"), "--config", suite.config_path,
             "--ready-file", self.ready_path], stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=self.log)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.ready_path):
            assert self.proc.poll() is None, self.log_tail()
            assert time.monotonic() < deadline, self.log_tail()
            time.sleep(0.02)
        with open(self.ready_path, encoding="utf-8") as f:
            self.ready = json.load(f)
        self.base = f"{scheme}://{self.ready['http']}"
        self.http = requests.Session()
        self.http.verify = verify
        # REQUESTS_CA_BUNDLE in the environment would win over the session's verify
        self.http.trust_env = verify is True
        self.jwks = self.http.get(self.base + "/v1/keys", timeout=5).json()

    def log_tail(self, n=40):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")

    def post(self, service, frame, content_type=JOSE, timeout=10):
        return self.http.post(f"{self.base}/v1/{service}", data=frame,
                              headers={"Content-Type": content_type}, timeout=timeout)

    def call(self, who, service, type_, data, **kw):
        """Signs, posts, verifies: (HTTP response, reply body)."""
        frame, id_ = who.seal(service, type_, data, **kw)
        r = self.post(service, frame)
        assert r.headers["Content-Type"] == JOSE, (r.status_code, r.text)
        return r, open_reply(r.content, self.jwks, service, who.iss, id_)

    def stop(self):
        self.http.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(5)
        finally:
            self.log.close()


@contextlib.contextmanager
def stopped_at_end(g):
    """For a fixture: yields the started gateway g (anything with stop() and log_tail()), then
    stops it, prints its exit status and log (pytest shows them for a failing test), and
    asserts it exited 0."""
    try:
        yield g
    finally:
        status = g.stop()
        print(f"--- xc-gateway exit status {status}; log:\n{g.log_tail()}")
    assert status == 0, status


def make_suite(folder):
    s = Suite(folder, ["echo", "intake"], {
        "office": ("office", "office", {"units": ["*"]}),
        "petition": ("petition-bureau", "petition", {"units": ["*"]})})
    return s


def department(suite, attr):
    signer = getattr(suite, attr)
    return Department(signer.private_jwk(), signer.iss)


def problem(r, status, code):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"] == PROBLEM, r.headers
    p = r.json()
    assert set(p) == {"type", "title", "status", "detail"}, p
    assert p["type"] == f"urn:xuncha:gateway:{code}" and p["status"] == status, p
    assert p["title"] and p["detail"], p
    return p


UNIT = {"id": "91350100-GW", "name": "某某镇人民政府", "level": "town"}


def report_data(summary="网关测试：村务公开不及时"):
    return {"unit": UNIT["id"], "category": "public_concerns", "summary": summary,
            "detail": "群众反映村务公开栏长期未更新。", "severity": "serious", "source": "petition"}


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_pki(folder, ips=("127.0.0.1",)):
    """A CA, and a server certificate for ips and localhost signed by it (EC P-256)."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=xuncha test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            cwd=folder)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=folder)
    with open(os.path.join(folder, "ext.cnf"), "w", encoding="utf-8") as f:
        san = ",".join(f"IP:{ip}" for ip in ips)
        f.write(f"subjectAltName={san},DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=folder)
    return {name: os.path.join(folder, name) for name in ("ca.pem", "server.pem", "server.key")}
