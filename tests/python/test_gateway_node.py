"""The gateway's Node client (tests/node/department.mjs, docs/services/gateway.md "Clients"):
Debian's node with npm's jose (vendored, tools/vendor/jose; unpacked by make test into
build/vendor/jose, or here when it is not there yet) signs, posts with Node's fetch and verifies
the reply against GET /v1/keys, through a real xc-gateway in front of a real suite (echo,
intake). What the client says is checked from outside too: its signed bytes with PyNaCl, what
intake stored with a query of its own. A small proxy between the client and the gateway stands
for a network that lies: each reply it changes or swaps must be refused by the client."""

import http.server
import json
import os
import re
import shutil
import subprocess
import threading

import nacl.signing
import pytest
import requests

from conftest import REPO, key_file, running_suite
from gatewaylib import (stopped_at_end, UNIT, Gateway, b64u, department, make_pki, make_suite, open_reply,
                        report_data, unb64u)

CLIENT = os.path.join(REPO, "tests", "node", "department.mjs")
VENDOR = os.path.join(REPO, "tools", "vendor", "jose")
MODULES = os.path.join(REPO, "build", "vendor", "jose")
DOC = os.path.join(REPO, "docs", "services", "gateway.md")


def node():
    path = shutil.which("node")
    assert path, "node is missing: make deps installs Debian's nodejs"
    return path


def serving(folder, **gateway_kw):
    """For a fixture: a suite (echo, intake) and a gateway in front of it, with the office's and
    the petition bureau's private JWK files (mode 0600) for the client."""
    if not os.path.exists(os.path.join(MODULES, ".stamp")):
        subprocess.run([os.path.join(VENDOR, "install.sh"), MODULES], check=True, timeout=120)
    s = make_suite(str(folder))
    for _ in running_suite(s):
        g = Gateway(s, **gateway_kw)
        g.office, g.petition = department(s, "office"), department(s, "petition")
        g.keys = {who.iss: key_file(folder, getattr(s, attr))
                  for who, attr in ((g.office, "office"), (g.petition, "petition"))}
        with stopped_at_end(g):
            yield g


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    yield from serving(tmp_path_factory.mktemp("gateway_node"))


def client(g, who, service, type_=None, data=None, base=None, env=None, **opts):
    """Runs the Node client: (exit status, its JSON line or None, stderr)."""
    args = [node(), CLIENT, "--modules", os.path.join(MODULES, "node_modules"),
            "--key", g.keys[who.iss], "--iss", who.iss, "--gateway", base or g.base,
            "--service", service, "--timeout-ms", "20000"]
    if type_ is not None:
        args += ["--type", type_, "--data", json.dumps(data, ensure_ascii=False)]
    for name, value in opts.items():
        args += [f"--{name}", str(value)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=90, env=env)
    lines = p.stdout.splitlines()
    assert len(lines) <= 1, p.stdout
    return p.returncode, json.loads(lines[0]) if lines else None, p.stderr


def verified(g, who, service, type_, data, status, **opts):
    rc, out, err = client(g, who, service, type_, data, **opts)
    assert rc == 0 and out, (rc, out, err)
    assert out["status"] == status, out
    assert out["reply"]["iss"] == service and out["reply"]["aud"] == who.iss, out
    assert out["reply"]["corr"] == out["id"], out
    return out


def commands(g, service):
    _, body = g.call(g.office, service, "health", {})
    return body["data"]["commands"]


# --- a department in Node: sign, post, verify ---------------------------------------------------

def test_node_registers_a_unit_and_reports_a_problem(gw, tmp_path):
    unit = {**UNIT, "id": "91350100-NODE"}
    out = verified(gw, gw.office, "intake", "unit.register", unit, 200, save=tmp_path / "unit.jws")
    assert out["reply"]["type"] == "ack", out
    assert out["reply"]["data"] == {"status": "accepted", "result": {"unit": unit["id"]}}, out
    # what node sent is the protocol's message: checked here with PyNaCl and the registry's key
    m = json.loads((tmp_path / "unit.jws").read_bytes())
    assert set(m) == {"protected", "payload", "signature"}
    assert json.loads(unb64u(m["protected"])) == {"alg": "EdDSA", "kid": gw.suite.office.kid,
                                                  "typ": "xc+jws"}
    nacl.signing.VerifyKey(gw.suite.office.public).verify(
        f"{m['protected']}.{m['payload']}".encode(), unb64u(m["signature"]))
    body = json.loads(unb64u(m["payload"]))
    assert body["id"] == out["id"] and body["iss"] == "office" and body["aud"] == "intake"
    assert body["type"] == "unit.register" and body["data"] == unit and body["corr"] is None
    assert body["iat"] < body["exp"] <= body["iat"] + 3600
    assert body["id"][14] == "7", body["id"]        # a time-ordered id (version 7)

    report = {**report_data("Node 客户端：村务公开不及时"), "unit": unit["id"]}
    out = verified(gw, gw.petition, "intake", "problem.report", report, 200)
    assert out["reply"]["type"] == "ack" and out["reply"]["data"]["status"] == "accepted", out
    problem_id = out["reply"]["data"]["result"]["problem"]
    # intake stored it: read back with the Python client
    _, got = gw.call(gw.office, "intake", "problem.get", {"problem": problem_id})
    assert got["type"] == "result", got
    assert got["data"]["summary"] == report["summary"] and got["data"]["unit"] == unit["id"], got


def test_node_resends_the_same_bytes_and_gets_duplicate_with_the_first_result(gw, tmp_path):
    saved = tmp_path / "report.jws"
    report = {**report_data("Node 重发测试"), "unit": "91350100-NODE"}
    before = commands(gw, "intake")
    first = verified(gw, gw.petition, "intake", "problem.report", report, 200, save=saved)
    again = verified(gw, gw.petition, "intake", None, None, 200, resend=saved)
    assert again["id"] == first["id"]
    assert first["reply"]["data"]["status"] == "accepted", first
    assert again["reply"]["data"]["status"] == "duplicate", again
    assert again["reply"]["data"]["result"] == first["reply"]["data"]["result"]
    assert commands(gw, "intake") == before + 1          # one command stored, not two


def test_refusals_are_signed_replies_that_node_verifies(gw):
    # 403: the petition bureau may not register units
    out = verified(gw, gw.petition, "intake", "unit.register",
                   {"id": "X-NODE", "name": "x", "level": "town"}, 403)
    assert out["reply"]["type"] == "error" and out["reply"]["data"]["code"] == "forbidden", out
    # 422: a member intake does not know
    out = verified(gw, gw.petition, "intake", "problem.report",
                   {**report_data(), "unit": "91350100-NODE", "colour": "red"}, 422)
    assert out["reply"]["data"]["code"] == "schema", out
    # 409: the same id again with another message
    first = verified(gw, gw.office, "echo", "echo.note", {"text": "Node 重放 1"}, 200)
    out = verified(gw, gw.office, "echo", "echo.note", {"text": "Node 重放 2"}, 409, id=first["id"])
    assert out["reply"]["data"]["code"] == "replayed", out


def test_a_refusal_by_the_gateway_is_a_problem_document(gw):
    rc, out, err = client(gw, gw.office, "nosuch", "echo.note", {"text": "x"})
    assert rc == 3, (rc, out, err)
    assert out["status"] == 404 and "reply" not in out, out
    assert out["problem"]["type"] == "urn:xuncha:gateway:unknown-service", out


def test_the_docs_example_runs_as_written(gw, tmp_path):
    """The js block of the page's "Clients" section, run as it stands, jose found as a
    department's project would find it (node_modules beside the script)."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"^```js\n(.*?)^```", text[text.index("\n## Clients\n"):], re.S | re.M)
    assert len(blocks) == 1, blocks
    (tmp_path / "node_modules").symlink_to(os.path.join(MODULES, "node_modules"))
    (tmp_path / "example.mjs").write_text(blocks[0], encoding="utf-8")
    env = {**os.environ, "XC_GATEWAY": gw.base, "XC_KEY": gw.keys["office"]}
    p = subprocess.run([node(), "example.mjs"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    status, type_, data = p.stdout.strip().split(" ", 2)
    assert (status, type_) == ("200", "ack"), p.stdout
    result = json.loads(data)
    assert result["status"] == "accepted", result
    # echo has the note the example signed: read back with the Python client
    _, got = gw.call(gw.office, "echo", "echo.get", {"n": result["result"]["n"]})
    assert got["data"]["iss"] == "office" and got["data"]["text"].startswith("hello "), got


# --- a network that lies: the client refuses what does not verify -------------------------------

class LyingProxy(http.server.ThreadingHTTPServer):
    """Passes requests to the gateway; each POST's reply goes through self.tamper(path, raw)
    first, and the genuine reply is kept in self.seen (path -> the last one)."""

    daemon_threads = True

    def __init__(self, upstream):
        self.upstream, self.tamper, self.seen = upstream, None, {}
        self.http = requests.Session()
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        r = self.server.http.get(self.server.upstream + self.path, timeout=20)
        self.answer(r.status_code, r.headers["Content-Type"], r.content)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        r = self.server.http.post(self.server.upstream + self.path, data=body,
                                  headers={"Content-Type": self.headers["Content-Type"]}, timeout=20)
        raw = r.content
        if self.server.tamper:
            raw = self.server.tamper(self.path, raw)
        self.server.seen[self.path] = r.content
        self.answer(r.status_code, r.headers["Content-Type"], raw)

    def answer(self, status, content_type, raw):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(gw):
    p = LyingProxy(gw.base)
    t = threading.Thread(target=p.serve_forever, daemon=True)
    t.start()
    try:
        yield p
    finally:
        p.shutdown()
        p.server_close()
        p.http.close()
        t.join(10)


def _payload_changed(path, raw):
    """The reply with its result changed and the signature kept."""
    m = json.loads(raw)
    body = json.loads(unb64u(m["payload"]))
    body["data"]["result"] = {"n": 999}
    m["payload"] = b64u(json.dumps(body, separators=(",", ":")).encode())
    return json.dumps(m).encode()


def _signature_flipped(path, raw):
    m = json.loads(raw)
    sig = bytearray(unb64u(m["signature"]))
    sig[5] ^= 0x20
    m["signature"] = b64u(bytes(sig))
    return json.dumps(m).encode()


def test_a_tampered_reply_is_refused_by_the_node_client(gw, proxy):
    office = gw.office

    def note(text, **kw):
        return client(gw, office, "echo", "echo.note", {"text": text}, base=proxy.base, **kw)

    # the proxy that passes everything is no obstacle: the genuine reply verifies
    rc, out, err = note("Node 代理 1")
    assert rc == 0 and out["reply"]["data"]["status"] == "accepted", (rc, out, err)
    # python agrees that what the proxy kept is echo's genuine reply
    open_reply(proxy.seen["/v1/echo"], gw.jwks, "echo", office.iss, out["id"])

    cases = [
        ("the payload changed", _payload_changed, "signature not verified"),
        ("the signature changed", _signature_flipped, "signature not verified"),
        # a genuine reply of echo's, but to another request: signature good, corr not ours
        ("an earlier reply replayed", lambda path, raw, old=proxy.seen["/v1/echo"]: old, "corr is"),
    ]
    for k, (what, tamper, reason) in enumerate(cases):
        proxy.tamper = tamper
        before = commands(gw, "echo")
        rc, out, err = note(f"Node 代理 篡改 {k}")
        assert rc == 1 and out is None, (what, rc, out, err)
        assert "reply refused" in err and reason in err, (what, err)
        # the request itself reached echo and was carried out: only the reply was forged
        assert commands(gw, "echo") == before + 1, what
        proxy.tamper = None

    # echo's genuine reply passed off as intake's: echo's key is no proof of intake's word
    proxy.tamper = lambda path, raw, echo=proxy.seen["/v1/echo"]: echo
    rc, out, err = client(gw, gw.petition, "intake", "problem.report",
                          {**report_data("Node 代理 冒充"), "unit": "91350100-NODE"}, base=proxy.base)
    assert rc == 1 and out is None, (rc, out, err)
    assert "signature not verified with intake's keys" in err, err


def test_a_reply_for_another_principal_is_refused(gw, proxy):
    """A genuine reply of intake's to the office, handed to the petition bureau for its own
    request of the same id: signature and corr are good, aud is not the petition bureau."""
    rc, out, err = client(gw, gw.office, "intake", "health", {}, base=proxy.base)
    assert rc == 0, (rc, out, err)
    office_reply = proxy.seen["/v1/intake"]
    proxy.tamper = lambda path, raw: office_reply
    rc, out2, err = client(gw, gw.petition, "intake", "health", {}, base=proxy.base, id=out["id"])
    assert rc == 1 and out2 is None, (rc, out2, err)
    assert "aud is \"office\", not petition-bureau" in err, err


# --- over TLS ------------------------------------------------------------------------------------

@pytest.fixture
def tls_gw(tmp_path):
    pki = make_pki(str(tmp_path))
    for g in serving(tmp_path, extra={"tls": {"cert": pki["server.pem"], "key": pki["server.key"]}},
                     scheme="https", verify=pki["ca.pem"]):
        g.pki = pki
        yield g


def test_node_over_tls_trusts_the_gateway_by_the_departments_ca(tls_gw):
    assert tls_gw.base.startswith("https://127.0.0.1:")
    trusted = {**os.environ, "NODE_EXTRA_CA_CERTS": tls_gw.pki["ca.pem"]}
    rc, out, err = client(tls_gw, tls_gw.office, "echo", "echo.note", {"text": "Node TLS"},
                          env=trusted)
    assert rc == 0 and out["status"] == 200, (rc, out, err)
    assert out["reply"]["data"]["status"] == "accepted", out
    # without the CA, node refuses the gateway's certificate: nothing sent, nothing believed
    plain = {k: v for k, v in os.environ.items() if k != "NODE_EXTRA_CA_CERTS"}
    rc, out, err = client(tls_gw, tls_gw.office, "echo", "echo.note", {"text": "Node TLS 2"},
                          env=plain)
    assert rc == 2 and out is None, (rc, out, err)
    # (the server sends its own certificate only: the issuer is unknown without the CA)
    assert "fetch failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE)" in err, err
    _, body = tls_gw.call(tls_gw.office, "echo", "health", {})
    assert body["data"]["commands"] == 1, body            # only the first note reached echo
