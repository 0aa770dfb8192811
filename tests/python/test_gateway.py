"""xc-gateway over real HTTP (docs/services/gateway.md): echo and intake behind it, the
department's client written with nothing but requests and PyNaCl (and the standard library),
curl for the command line. The gateway only carries bytes: every reply checked here is verified
with the service's key as /v1/keys gives it."""

import json
import os
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import Suite, running_suite
from gatewaylib import (JOSE, REPLY_TIMEOUT_MS, UNIT, Department, Gateway, b64u, department, make_suite,
                        open_reply, problem, report_data, stopped_at_end, unb64u, uuid7)


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    s = make_suite(str(tmp_path_factory.mktemp("gateway")))
    for _ in running_suite(s):
        g = Gateway(s)
        g.office, g.petition = department(s, "office"), department(s, "petition")
        with stopped_at_end(g):
            yield g


def commands(g, service):
    _, body = g.call(g.office, service, "health", {})
    return body["data"]["commands"], body["data"]["head"]


# --- GET routes ------------------------------------------------------------------------------

def test_healthz_directory_and_keys(gw):
    r = gw.http.get(gw.base + "/healthz", timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text
    d = gw.http.get(gw.base + "/v1/directory", timeout=5).json()
    assert d["protocol"] == 1 and d["media_type"] == JOSE
    assert {(s["name"], s["path"]) for s in d["services"]} == {("echo", "/v1/echo"),
                                                               ("intake", "/v1/intake")}
    keys = gw.http.get(gw.base + "/v1/keys", timeout=5).json()["keys"]
    with open(gw.suite.registry_path, encoding="utf-8") as f:
        registry = json.load(f)
    expected = {k["kid"]: k["x"] for p in registry["principals"] if p["role"] == "service"
                for k in p["keys"]}
    assert {k["kid"]: k["x"] for k in keys} == expected
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in keys)


# --- the department's client: sign, post, verify ------------------------------------------------

def test_python_client_registers_a_unit_and_reports_a_problem(gw):
    r, body = gw.call(gw.office, "intake", "unit.register", UNIT)
    assert r.status_code == 200 and body["type"] == "ack", body
    assert body["data"] == {"status": "accepted", "result": {"unit": UNIT["id"]}}
    r, body = gw.call(gw.petition, "intake", "problem.report", report_data())
    assert r.status_code == 200 and body["type"] == "ack", body
    assert body["data"]["status"] == "accepted" and body["data"]["result"]["problem"], body


def test_a_resend_of_the_same_bytes_is_a_duplicate_and_stores_nothing_twice(gw):
    frame, id_ = gw.petition.seal("intake", "problem.report", report_data("网关重发测试"))
    before = commands(gw, "intake")
    first = gw.post("intake", frame)
    assert first.status_code == 200, first.text
    again = gw.post("intake", frame)
    assert again.status_code == 200, again.text
    a = open_reply(first.content, gw.jwks, "intake", gw.petition.iss, id_)
    b = open_reply(again.content, gw.jwks, "intake", gw.petition.iss, id_)
    assert a["data"]["status"] == "accepted" and b["data"]["status"] == "duplicate"
    assert a["data"]["result"] == b["data"]["result"]
    after = commands(gw, "intake")
    assert after[0] == before[0] + 1, (before, after)     # one command, one event
    assert after[1] == before[1] + 1, (before, after)


# --- each status the table gives that a test can provoke --------------------------------------

def _tamper(frame):
    m = json.loads(frame)
    sig = bytearray(unb64u(m["signature"]))
    sig[0] ^= 1
    m["signature"] = b64u(bytes(sig))
    return json.dumps(m).encode()


def test_statuses_follow_the_replys_code(gw):
    office, petition = gw.office, gw.petition
    now = int(time.time())
    cases = []          # (what, frame, id, signer, status, code or None)

    def add(what, who, type_, data, status, code, **kw):
        frame, id_ = who.seal("echo", type_, data, **kw)
        cases.append((what, frame, id_, who, status, code))

    add("ack", office, "echo.note", {"text": "网关 ack"}, 200, None)
    add("result", office, "echo.get", {"n": 1}, 200, None)
    add("schema", office, "echo.note", {"text": 5}, 422, "schema")
    add("malformed (exp <= iat)", office, "echo.note", {"text": "x"}, 400, "malformed",
        iat=now, exp=now)
    add("expired", office, "echo.note", {"text": "old"}, 401, "expired", iat=now - 200, exp=now - 100)
    add("not_found", office, "echo.get", {"n": 999999}, 404, "not_found")
    add("unknown_type", office, "echo.nothing", {}, 404, "unknown_type")
    add("conflict", office, "echo.note", {"text": "网关 ack"}, 409, "conflict")
    frame, id_ = office.seal("echo", "echo.note", {"text": "网关 signature"})
    cases.append(("bad_signature", _tamper(frame), id_, office, 401, "bad_signature"))
    stranger = Department({"d": b64u(os.urandom(32)), "kid": "stranger#1"}, "stranger")
    add("unknown_kid", stranger, "echo.note", {"text": "who"}, 401, "unknown_kid")
    replayed_id = uuid7()
    add("first of a replay", office, "echo.note", {"text": "网关 replay 1"}, 200, None, id_=replayed_id)
    add("replayed", office, "echo.note", {"text": "网关 replay 2"}, 409, "replayed", id_=replayed_id)

    seen = []
    for what, frame, id_, who, status, code in cases:
        r = gw.post("echo", frame)
        assert r.headers["Content-Type"] == JOSE, (what, r.status_code, r.text)
        # the body is the service's reply byte for byte: it verifies with the service's key
        body = open_reply(r.content, gw.jwks, "echo", who.iss, id_)
        got = body["data"].get("code") if body["type"] == "error" else None
        seen.append((what, r.status_code, got))
        assert (r.status_code, got) == (status, code), (what, r.status_code, body)
    # forbidden: the petition bureau may not register units at intake
    r, body = gw.call(petition, "intake", "unit.register", {"id": "X-1", "name": "x", "level": "town"})
    assert (r.status_code, body["data"]["code"]) == (403, "forbidden"), body
    print(seen)


def test_many_requests_wait_at_once_each_gets_its_own_reply(gw):
    """Forty connections post at once: each request waits suspended in the one loop and is
    answered with the reply whose corr is its own id."""
    results, errors = [], []

    def one(k):
        try:
            with requests.Session() as http:
                frame, id_ = gw.petition.seal("intake", "problem.report", report_data(f"并发 {k}"))
                r = http.post(gw.base + "/v1/intake", data=frame, headers={"Content-Type": JOSE},
                              timeout=20)
                body = open_reply(r.content, gw.jwks, "intake", gw.petition.iss, id_)
                results.append((r.status_code, body["data"]["status"], body["data"]["result"]["problem"]))
        except Exception as e:              # noqa: BLE001 (reported below)
            errors.append(repr(e))

    threads = [threading.Thread(target=one, args=(k,)) for k in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(results) == 40 and all(r[:2] == (200, "accepted") for r in results), results
    assert len({r[2] for r in results}) == 40      # forty problems, none answered twice


# --- what the gateway refuses before forwarding ------------------------------------------------

def test_refusals_are_problem_documents_and_reach_no_service(gw):
    before = commands(gw, "echo")
    frame, _ = gw.office.seal("echo", "echo.note", {"text": "网关 refused"})
    problem(gw.post("intake", frame), 400, "audience-mismatch")
    problem(gw.post("echo", frame, content_type="application/json"), 415, "unsupported-media-type")
    problem(gw.post("echo", frame, content_type="text/plain"), 415, "unsupported-media-type")
    r = gw.http.get(gw.base + "/v1/echo", timeout=5)
    problem(r, 405, "method-not-allowed")
    assert r.headers["Allow"] == "POST"
    problem(gw.http.put(gw.base + "/v1/echo", data=frame, headers={"Content-Type": JOSE},
                        timeout=5), 405, "method-not-allowed")
    r = gw.http.post(gw.base + "/healthz", timeout=5)
    problem(r, 405, "method-not-allowed")
    assert r.headers["Allow"] == "GET, HEAD"
    assert gw.http.head(gw.base + "/v1/directory", timeout=5).status_code == 200
    problem(gw.post("nosuch", frame), 404, "unknown-service")
    problem(gw.post("echo/x", frame), 404, "not-found")
    problem(gw.http.get(gw.base + "/v1/events/echo/hints/x", timeout=5), 404, "not-found")  # the stream: test_gateway_hints.py
    big, _ = gw.office.seal("echo", "echo.note", {"text": "x" * 300000})
    problem(gw.post("echo", big), 413, "too-large")
    problem(gw.post("echo", b'{"protected":"e30","payload":"!!","signature":"AA"}'), 400,
            "unreadable-payload")
    problem(gw.post("echo", b"not json"), 400, "unreadable-payload")
    nobody = b64u(json.dumps({"aud": "echo", "id": "not-a-uuid"}).encode())
    problem(gw.post("echo", json.dumps({"protected": "e30", "payload": nobody,
                                        "signature": "AA"}).encode()), 400, "unreadable-payload")
    # a media type's parameters and case do not matter
    ok = gw.post("echo", frame, content_type="Application/JOSE+JSON; charset=utf-8")
    assert ok.status_code == 200, ok.text
    after = commands(gw, "echo")
    assert after[0] == before[0] + 1, (before, after)      # only the last one reached echo


# --- curl -------------------------------------------------------------------------------------

def test_curl_posts_a_signed_message_and_gets_the_signed_reply(gw, tmp_path):
    frame, id_ = gw.office.seal("echo", "echo.note", {"text": "网关 curl"})
    path = tmp_path / "note.jws"
    path.write_bytes(frame)
    p = subprocess.run(["curl", "-sS", "-o", str(tmp_path / "reply"), "-w", "%{http_code} %{content_type}",
                        "-H", f"Content-Type: {JOSE}", "--data-binary", f"@{path}",
                        f"{gw.base}/v1/echo"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0 and p.stdout == f"200 {JOSE}", (p.stdout, p.stderr)
    body = open_reply((tmp_path / "reply").read_bytes(), gw.jwks, "echo", "office", id_)
    assert body["type"] == "ack" and body["data"]["status"] == "accepted", body
    p = subprocess.run(["curl", "-sS", "-w", " %{http_code}", f"{gw.base}/healthz"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0 and p.stdout.endswith(" 200"), p.stdout
    p = subprocess.run(["curl", "-sS", "-w", " %{http_code}", "-X", "DELETE", f"{gw.base}/v1/echo"],
                       capture_output=True, text=True, timeout=20)
    assert p.stdout.endswith(" 405") and "method-not-allowed" in p.stdout, p.stdout


# --- a service that does not answer -----------------------------------------------------------

def test_a_stopped_service_gives_504_within_the_configured_time(tmp_path):
    s = make_suite(str(tmp_path))
    for _ in running_suite(s):
        g = Gateway(s)
        try:
            office = department(s, "office")
            assert s.deployments["echo"].end_process() == 0
            frame, _ = office.seal("echo", "echo.note", {"text": "无人应答"})
            t = time.monotonic()
            r = g.post("echo", frame)
            elapsed = time.monotonic() - t
            problem(r, 504, "no-answer")
            # not before reply_timeout_ms; the upper bound is wide (a loaded CI machine under
            # ASan is slow), but well below the client's own 10 s timeout
            assert REPLY_TIMEOUT_MS / 1000 - 0.05 <= elapsed < REPLY_TIMEOUT_MS / 1000 + 5.0, elapsed
            # the other service is still served meanwhile
            r, body = g.call(office, "intake", "health", {})
            assert r.status_code == 200 and body["type"] == "result"
            assert g.http.get(g.base + "/healthz", timeout=5).json()["in_flight"] == 0
        finally:
            status = g.stop()
            print(f"--- xc-gateway exit status {status}; log:\n{g.log_tail()}")
        assert status == 0, status


# --- a transient refusal: 503 with Retry-After ----------------------------------------------------

def test_a_busy_store_gives_503_with_retry_after_and_the_same_bytes_go_through_later(tmp_path):
    """Another process holds intake's write lock: intake waits its busy timeout (5 s), answers
    busy, the gateway 503 with Retry-After; the same bytes, resent, are accepted, then duplicate."""
    s = Suite(str(tmp_path), ["intake"], {"office": ("office", "office", {"units": ["*"]})})
    for _ in running_suite(s):
        g = Gateway(s, reply_timeout_ms=10000)
        try:
            office = department(s, "office")
            frame, id_ = office.seal("intake", "unit.register", UNIT)
            lock = sqlite3.connect(os.path.join(s.folder, "intake.db"), timeout=1,
                                   isolation_level=None)
            try:
                lock.execute("BEGIN EXCLUSIVE")
                r = g.post("intake", frame, timeout=20)
            finally:
                lock.execute("ROLLBACK")
                lock.close()
            assert r.status_code == 503 and r.headers["Retry-After"] == "1", (r.status_code, r.text)
            body = open_reply(r.content, g.jwks, "intake", office.iss, id_)
            assert body["type"] == "error" and body["data"]["code"] == "busy", body
            statuses = []
            for _ in range(2):
                r = g.post("intake", frame)
                statuses.append((r.status_code, open_reply(r.content, g.jwks, "intake", office.iss,
                                                           id_)["data"]["status"]))
            assert statuses == [(200, "accepted"), (200, "duplicate")], statuses
        finally:
            status = g.stop()
            print(f"--- xc-gateway exit status {status}; log:\n{g.log_tail()}")
        assert status == 0, status
