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
import socket
import time

import pytest

import xcwire
from conftest import REPO
from gatewaylib import JOSE, PROBLEM, Gateway
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
