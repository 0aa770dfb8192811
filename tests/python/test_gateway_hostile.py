"""Hostile input through the gateway (docs/services/gateway.md, "Hostile input").

(a) Every entry of the hostile catalogue (tests/hostile/catalogue.json, built by hostilelib.py as
test_hostile.py builds it for ZeroMQ) is POSTed through a real xc-gateway to the same suite and
state. It gets the protocol code it gets over ZeroMQ, signed by the service, with the HTTP status
that the status table of docs/services/gateway.md gives for that code, or, where the gateway
refuses before forwarding (the docs say when), its problem document with that same status. No
table of any service changes.

(b) Hostile HTTP, sent with raw sockets (every read bounded in bytes and time): each case gets the
answer a careful server gives, and the gateway still answers a signed query afterwards.
"""

import json
import os
import re

import pytest

import xcwire
from conftest import REPO
from gatewaylib import JOSE, PROBLEM, Gateway, raw_exchange
from hostilelib import (ENTRIES, REPLY_WAIT, assert_plain_words, assert_running, build_entry, diff,
                        hostile_world)

GATEWAY_DOC = os.path.join(REPO, "docs", "services", "gateway.md")
HTTP_WAIT = 10.0                  # the longest any HTTP answer may take (ASan, a loaded machine)
IDLE_S = 3                        # limits.idle_timeout_seconds here: a request never finished
HEADER_S = 3                      # limits.header_timeout_seconds here

# An HTTP body is one ZeroMQ frame: the catalogue's multi-frame entries have no HTTP form.
NO_HTTP_FORM = {"multi_frame"}


def status_table():
    """{protocol code: HTTP status}, read from the table of docs/services/gateway.md, "Status"."""
    with open(GATEWAY_DOC, encoding="utf-8") as f:
        section = f.read().split("\n## Status\n", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        m = re.match(r"^\| (.+?) \| (\d{3})\b", line)
        if m:
            for code in re.findall(r"`([a-z_]+)`", m.group(1)):
                table[code] = int(m.group(2))
    return table


STATUS = status_table()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    yield from hostile_world(str(tmp_path_factory.mktemp("gateway-hostile")))


@pytest.fixture(scope="module")
def gateway(world):
    gw = Gateway(world.suite, reply_timeout_ms=int(REPLY_WAIT * 1000), extra={"limits": {
        "requests_per_second": 10000, "burst": 10000,
        "idle_timeout_seconds": IDLE_S, "header_timeout_seconds": HEADER_S}})
    try:
        yield gw
    finally:
        assert gw.stop() == 0, gw.log_tail()


def gateway_refusal(entry):
    """The gateway's own refusal that stands for the entry's code, or None: the service answers.
    The gateway reads aud and id as leniently as a service reads them for its refusal, so it
    refuses itself only a body whose id a service could not name either (corr null), one above
    max_message_bytes, and one whose aud is not the path's service."""
    if entry["expect"] in ("too_large", "no_answer"):
        return "too-large"
    if entry.get("corr", "id") is None:
        return "unreadable-payload"
    if entry.get("aud", entry["service"]) != entry["service"]:
        return "audience-mismatch"
    return None


def params():
    return [pytest.param(e, id=e["name"]) for e in ENTRIES if e["category"] not in NO_HTTP_FORM]


def test_status_table_is_read_from_the_docs():
    assert STATUS["ack"] == STATUS["result"] == 200 and STATUS["too_large"] == 413, STATUS
    codes = {e["expect"] for e in ENTRIES} - {"no_answer"}
    assert codes <= set(STATUS), codes - set(STATUS)
    assert len([e for e in ENTRIES if e["category"] in NO_HTTP_FORM]) <= 4


@pytest.mark.parametrize("entry", params())
def test_catalogue_entry_through_the_gateway(world, gateway, entry):
    assert_running(world, entry["service"])
    frames, body = build_entry(entry, world)
    assert len(frames) == 1
    before = world.snapshot()
    r = gateway.post(entry["service"], frames[0], timeout=HTTP_WAIT + REPLY_WAIT)
    own = gateway_refusal(entry)
    expect = "too_large" if entry["expect"] == "no_answer" else entry["expect"]
    if own:
        assert r.status_code == STATUS[expect], (entry["name"], r.status_code, r.text[:300])
        assert r.headers["Content-Type"] == PROBLEM, (entry["name"], r.headers, r.text[:300])
        p = r.json()
        assert p["type"] == f"urn:xuncha:gateway:{own}" and p["status"] == r.status_code, p
    else:
        assert r.headers["Content-Type"] == JOSE, (entry["name"], r.status_code, r.text[:300])
        header, reply = xcwire.open_message(r.content, world.suite.registry)
        assert reply["iss"] == entry["service"] and header["kid"] == f"{entry['service']}#1"
        assert header["kid"] in {k["kid"] for k in gateway.jwks["keys"]}
        got = reply["data"].get("code") if reply["type"] == "error" else reply["type"]
        assert reply["type"] == "error" and got == expect, (entry["name"], got, reply["data"])
        assert r.status_code == STATUS[expect], (entry["name"], expect, r.status_code)
        assert reply["corr"] == body["id"].lower(), (reply["corr"], body["id"])
        iss = body["iss"]
        short = isinstance(iss, str) and 1 <= len(iss.encode("utf-8")) <= 63 and "\0" not in iss
        assert reply["aud"] == (iss if short else "unknown"), (reply["aud"], iss)
        assert_plain_words(reply["data"]["message"], entry["name"])
        if STATUS[expect] == 503:
            assert r.headers.get("Retry-After") == "1"
    after = world.snapshot()
    assert after == before, f"{entry['name']} changed: {diff(before, after)}"
    assert gateway.proc.poll() is None, gateway.log_tail()


# --- (b) hostile HTTP ----------------------------------------------------------------------------

CT = b"Content-Type: application/jose+json\r\n"


def post(frame, path=b"/v1/intake", extra=b"", body=None, length=True, version=b"HTTP/1.1"):
    body = frame if body is None else body
    return (b"POST " + path + b" " + version + b"\r\nHost: gw\r\n" + CT + extra
            + (b"Content-Length: %d\r\n" % len(body) if length else b"") + b"\r\n" + body)


def get(path, method=b"GET", extra=b"", version=b"HTTP/1.1"):
    return method + b" " + path + b" " + version + b"\r\nHost: gw\r\n" + extra + b"\r\n"


def chunked(frame, end=b"0\r\n\r\n"):
    return b"%x\r\n" % len(frame) + frame + b"\r\n" + end


TE = b"Transfer-Encoding: chunked\r\n"
SIGNED = "signed"                     # a 200 whose body is intake's signed reply to the health query

# name: (the bytes (a function of the signed health query's frame and the gateway's address),
#        the answers expected in order: a status, or (status, problem code or SIGNED),
#        what the connection does after: "open", "closed" (answered and closed at once) or
#        "timeout" (nothing answered; closed by the idle or header timeout), and raw_exchange's
#        keywords)
CASES = {
    "control-signed-post": (lambda f, a: post(f), [(200, SIGNED)], "open"),
    "huge-header": (lambda f, a: get(b"/healthz", extra=b"X-Big: " + b"a" * 100000 + b"\r\n"),
                    [431], "closed"),
    "many-headers": (lambda f, a: get(b"/healthz", extra=b"".join(b"X-H%d: v\r\n" % i
                                                                  for i in range(4000))),
                     [431], "closed"),
    "duplicate-content-type": (lambda f, a: post(f, extra=b"Content-Type: text/plain\r\n"),
                               [(400, "bad-request")], "closed"),
    "duplicate-content-length-differing": (lambda f, a: post(f, extra=b"Content-Length: 5\r\n"),
                                           [(400, "bad-request")], "closed"),
    "duplicate-content-length-equal": (lambda f, a: post(f, extra=b"Content-Length: %d\r\n" % len(f)),
                                       [(400, "bad-request")], "closed"),
    "content-length-and-chunked": (lambda f, a: post(f, extra=TE, body=chunked(f)),
                                   [(400, "bad-request")], "closed"),
    "chunked-and-content-length": (lambda f, a: b"POST /v1/intake HTTP/1.1\r\nHost: gw\r\n" + CT + TE
                                   + b"Content-Length: 3\r\n\r\n" + chunked(f),
                                   [(400, "bad-request")], "closed"),
    "transfer-coding-gzip": (lambda f, a: post(f, extra=b"Transfer-Encoding: gzip, chunked\r\n",
                                               body=chunked(f), length=False),
                             [(501, "unsupported-transfer-coding")], "closed"),
    "chunked": (lambda f, a: post(f, extra=TE, body=chunked(f), length=False), [(200, SIGNED)], "open"),
    "chunked-with-trailer": (lambda f, a: post(f, extra=TE, length=False,
                                               body=chunked(f, b"0\r\nX-Trailer: yes\r\n\r\n")),
                             [(200, SIGNED)], "open"),
    "chunk-size-not-hex": (lambda f, a: post(f, extra=TE, length=False, body=b"zz\r\nhello\r\n0\r\n\r\n"),
                           [400], "closed"),
    "chunk-size-negative": (lambda f, a: post(f, extra=TE, length=False, body=b"-5\r\nhello\r\n0\r\n\r\n"),
                            [400], "closed"),
    "chunk-size-overflow": (lambda f, a: post(f, extra=TE, length=False,
                                              body=b"f" * 18 + b"\r\nhello\r\n0\r\n\r\n"),
                            [413], "closed"),
    "chunk-longer-than-said": (lambda f, a: post(f, extra=TE, length=False,
                                                 body=b"5\r\nhelloEXTRA\r\n0\r\n\r\n"),
                               [400], "closed"),
    "chunked-without-last-chunk": (lambda f, a: post(f, extra=TE, length=False,
                                                     body=b"%x\r\n" % len(f) + f + b"\r\n"),
                                   [], "timeout"),
    "body-shorter-than-content-length": (lambda f, a: post(f, extra=b"", length=False)
                                         .replace(b"\r\n\r\n", b"\r\nContent-Length: %d\r\n\r\n"
                                                  % (len(f) + 50), 1),
                                         [], "timeout"),
    "body-longer-than-content-length": (lambda f, a: post(f) + b"GARBAGE\r\n\r\n",
                                        [(200, SIGNED)], "closed"),
    "path-dot-dot-escaped": (lambda f, a: post(f, path=b"/v1/%2e%2e/v1/intake"), [(404, "not-found")], "open"),
    "path-dot-dot-escaped-upper": (lambda f, a: post(f, path=b"/v1/%2E%2E/intake"), [(404, "not-found")],
                                   "open"),
    "path-double-slash": (lambda f, a: post(f, path=b"//v1/intake"), [(404, "not-found")], "open"),
    "path-inner-double-slash": (lambda f, a: post(f, path=b"/v1//intake"), [(404, "not-found")], "open"),
    "path-dot-dot": (lambda f, a: post(f, path=b"/v1/../v1/intake"), [(404, "not-found")], "open"),
    "path-nul-post": (lambda f, a: post(f, path=b"/v1/intake%00"), [(404, "unknown-service")], "open"),
    "path-nul-get": (lambda f, a: get(b"/healthz%00.json"), [(404, "not-found")], "open"),
    "path-query-post": (lambda f, a: post(f, path=b"/v1/intake?probe=1"), [(200, SIGNED)], "open"),
    "path-query-get": (lambda f, a: get(b"/healthz?probe=1"), [200], "open"),
    "path-long": (lambda f, a: get(b"/v1/" + b"a" * 4000), [(404, "unknown-service")], "open"),
    "path-very-long": (lambda f, a: get(b"/v1/" + b"a" * 100000), [414], "closed"),
    "absolute-uri-get": (lambda f, a: get(b"http://" + a.encode() + b"/healthz"), [200], "open"),
    "absolute-uri-post": (lambda f, a: post(f, path=b"http://" + a.encode() + b"/v1/intake"),
                          [(200, SIGNED)], "open"),
    "http-1.0": (lambda f, a: get(b"/healthz", version=b"HTTP/1.0"), [200], "closed"),
    "http-1.0-post": (lambda f, a: post(f, version=b"HTTP/1.0"), [(200, SIGNED)], "closed"),
    "http-0.9": (lambda f, a: b"GET /healthz\r\n", [400], "closed"),
    "http-2.0-request-line": (lambda f, a: get(b"/healthz", version=b"HTTP/2.0"), [505], "closed"),
    "http-2-preface": (lambda f, a: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [505], "closed"),
    "garbage-request-line": (lambda f, a: b"HELLO\r\n\r\n", [], "closed"),
    "binary-request-line": (lambda f, a: b"\x00\xff\xfe\x16\x03\x01garbage\r\n\r\n", [], "timeout"),
    "no-host": (lambda f, a: b"GET /healthz HTTP/1.1\r\n\r\n", [(400, "bad-request")], "closed"),
    "two-hosts": (lambda f, a: get(b"/healthz", extra=b"Host: other\r\n"), [(400, "bad-request")],
                  "closed"),
    "space-before-colon": (lambda f, a: get(b"/healthz", extra=b"Content-Length : 5\r\n") + b"hello",
                           [(400, "bad-request")], "closed"),
    "pipelined": (lambda f, a: get(b"/healthz") + post(f) + get(b"/v1/directory"),
                  [200, (200, SIGNED), 200], "open"),
    "put": (lambda f, a: post(f).replace(b"POST", b"PUT", 1), [(405, "method-not-allowed")], "open"),
    "delete-keys": (lambda f, a: get(b"/v1/keys", method=b"DELETE"), [(405, "method-not-allowed")], "open"),
    "options-service": (lambda f, a: get(b"/v1/intake", method=b"OPTIONS"), [(405, "method-not-allowed")],
                        "open"),
    "options-star": (lambda f, a: get(b"*", method=b"OPTIONS"), [(404, "not-found")], "open"),
    "trace": (lambda f, a: get(b"/healthz", method=b"TRACE", extra=b"X-Secret: s3cr3t\r\n"),
              [(405, "method-not-allowed")], "open"),
    "trace-service": (lambda f, a: get(b"/v1/intake", method=b"TRACE", extra=b"X-Secret: s3cr3t\r\n"),
                      [(405, "method-not-allowed")], "open"),
    "connect": (lambda f, a: get(b"127.0.0.1:22", method=b"CONNECT"), [(501, "not-implemented")], "open"),
    "unknown-method": (lambda f, a: get(b"/healthz", method=b"BREW"), [(501, "not-implemented")], "open"),
    "lower-case-method": (lambda f, a: get(b"/healthz", method=b"get"), [(501, "not-implemented")], "open"),
    "expect-continue-too-large": (lambda f, a: b"POST /v1/intake HTTP/1.1\r\nHost: gw\r\n" + CT
                                  + b"Expect: 100-continue\r\nContent-Length: 10000000\r\n\r\n",
                                  [(413, "too-large")], "closed"),
    "expect-continue": (lambda f, a: [post(f, extra=b"Expect: 100-continue\r\n").split(b"\r\n\r\n")[0]
                                      + b"\r\n\r\n", f],
                        [100, (200, SIGNED)], "open"),
}
ALLOW = {"put": "POST", "options-service": "POST", "delete-keys": "GET, HEAD", "trace": "GET, HEAD",
         "trace-service": "POST"}


def health(world):
    return xcwire.seal(world.suite.office, "intake", "health", {})


def assert_signed_health(world, raw, body):
    header, reply = xcwire.open_message(raw, world.suite.registry)
    assert reply["iss"] == "intake" and reply["type"] == "result", reply
    assert reply["corr"] == body["id"], (reply["corr"], body["id"])


def test_hostile_http_cases_cover_the_brief():
    names = " ".join(CASES)
    for word in ("huge-header", "many-headers", "duplicate-content-type", "duplicate-content-length",
                 "content-length-and-chunked", "chunk-size", "chunk-longer", "without-last-chunk",
                 "trailer", "body-shorter", "body-longer", "dot-dot-escaped", "double-slash",
                 "path-dot-dot", "nul", "query", "very-long", "absolute-uri", "http-1.0", "http-0.9",
                 "garbage", "pipelined", "options", "trace", "connect", "unknown-method",
                 "expect-continue-too-large"):
        assert word in names, word


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_http(world, gateway, name):
    make, expected, after = CASES[name]
    frame, body = health(world)
    before = world.snapshot()
    wait = IDLE_S + HEADER_S + HTTP_WAIT if after == "timeout" else HTTP_WAIT
    got, closed, rest = raw_exchange(gateway.ready["http"], make(frame, gateway.ready["http"]),
                                     answers=len(expected), until_close=after != "open", wait=wait)
    statuses = [st for st, _, _ in got]
    want = [e if isinstance(e, int) else e[0] for e in expected]
    assert statuses == want, (name, statuses, [b[:200] for _, _, b in got], rest[:200],
                              gateway.log_tail(5))
    for (status, headers, raw), e in zip(got, expected):
        if isinstance(e, int):
            continue
        if e[1] == SIGNED:
            assert headers["content-type"] == JOSE, headers
            assert_signed_health(world, raw, body)
        else:
            assert headers["content-type"] == PROBLEM, (name, headers, raw[:300])
            p = json.loads(raw)
            assert set(p) == {"type", "title", "status", "detail"}, p
            assert p["type"] == f"urn:xuncha:gateway:{e[1]}" and p["status"] == status, p
            assert p["title"] and not p["title"].isascii(), p          # Chinese, for people
    if name in ALLOW:
        assert got[0][1].get("allow") == ALLOW[name], got[0][1]
    if name.startswith("trace"):
        assert b"s3cr3t" not in got[0][2], got[0][2]                 # nothing echoed
    if after == "open":
        assert not closed
    else:                                          # closed, and nothing more was answered
        assert closed, (name, "the connection is still open", statuses)
        assert not rest.strip(), rest[:200]
    # nothing stored, and the gateway still serves a signed query
    assert world.snapshot() == before, diff(before, world.snapshot())
    assert gateway.proc.poll() is None, gateway.log_tail()
    frame, body = health(world)
    r = gateway.post("intake", frame, timeout=HTTP_WAIT)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert_signed_health(world, r.content, body)
