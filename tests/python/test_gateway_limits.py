"""xc-gateway's limits over real sockets on loopback (services.gateway.limits,
docs/services/gateway.md): a slow client dribbling its header is cut off while others are
served, connections from one address above the limit are refused while another address gets
in, a burst above the rate is answered 429 with Retry-After, an oversized header is refused.
Every loop here is bounded in count and in time."""

import json
import socket
import time

import pytest

from conftest import running_suite
from gatewaylib import stopped_at_end, PROBLEM, Gateway, department, make_suite

LIMITS = {"connections": 50, "connections_per_address": 3, "connection_memory_bytes": 8192,
          "idle_timeout_seconds": 3, "header_timeout_seconds": 2, "requests_per_second": 2,
          "burst": 4, "addresses_tracked": 64}


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    s = make_suite(str(tmp_path_factory.mktemp("gateway_limits")))
    for _ in running_suite(s):
        g = Gateway(s, extra={"limits": LIMITS})
        g.office = department(s, "office")
        host, port = g.ready["http"].rsplit(":", 1)
        g.addr = (host, int(port))
        with stopped_at_end(g):
            yield g


def connect(gw, src):
    s = socket.create_connection(gw.addr, timeout=5, source_address=(src, 0))
    s.settimeout(5)
    return s


def raw_get(gw, src, path="/healthz", extra=b""):
    """One HTTP/1.1 GET over a fresh socket from src: (status, headers, body), or None when
    the gateway closed the connection without an answer."""
    s = connect(gw, src)
    try:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: gw\r\n" + extra
                  + b"Connection: close\r\n\r\n")
        data = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return None
    finally:
        s.close()
    if not data:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return int(lines[0].split()[1]), headers, body


def closed_within(s, seconds):
    """Whether the peer closes s within seconds; a byte dribbled every 0.3 s meanwhile."""
    deadline = time.monotonic() + seconds
    s.settimeout(0.3)
    while time.monotonic() < deadline:
        try:
            s.sendall(b"X")
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def test_slow_loris_is_cut_off_while_a_normal_client_is_served(gw):
    loris = connect(gw, "127.0.0.4")
    try:
        started = time.monotonic()
        loris.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Slow: ")
        time.sleep(0.5)
        status, _, _ = raw_get(gw, "127.0.0.5")
        assert status == 200
        # header_timeout_seconds is 2; the gateway's loop wakes at least every second
        assert closed_within(loris, 6), "the slow client was not cut off"
        took = time.monotonic() - started
        assert 1.5 <= took <= 5, took
    finally:
        loris.close()
    status, _, _ = raw_get(gw, "127.0.0.5")
    assert status == 200


def test_connections_per_address_are_limited_and_another_address_gets_in(gw):
    held = []
    try:
        for _ in range(LIMITS["connections_per_address"]):
            s = connect(gw, "127.0.0.6")
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\n")   # an unfinished header
            held.append(s)
        time.sleep(0.3)
        assert raw_get(gw, "127.0.0.6") is None   # one more from that address: closed unanswered
        status, _, body = raw_get(gw, "127.0.0.7")
        assert status == 200, body
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 5
    answer = None
    while answer is None and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = raw_get(gw, "127.0.0.6")
    assert answer and answer[0] == 200, answer


def test_a_burst_above_the_rate_gets_429_with_retry_after(gw):
    statuses = []
    answer = None
    for _ in range(LIMITS["burst"] + 3):
        answer = raw_get(gw, "127.0.0.8")
        statuses.append(answer[0])
        if answer[0] == 429:
            break
    assert statuses[:LIMITS["burst"]] == [200] * LIMITS["burst"], statuses
    status, headers, body = answer
    assert status == 429, statuses
    assert headers["content-type"] == PROBLEM
    p = json.loads(body)
    assert p["type"] == "urn:xuncha:gateway:too-many-requests" and p["status"] == 429, p
    wait = int(headers["retry-after"])
    assert 1 <= wait <= 2, wait
    assert raw_get(gw, "127.0.0.9")[0] == 200   # another address is not slowed
    time.sleep(wait)
    assert raw_get(gw, "127.0.0.8")[0] == 200


def test_an_oversized_header_is_refused(gw):
    answer = raw_get(gw, "127.0.0.10", extra=b"X-Big: " + b"a" * 20000 + b"\r\n")
    assert answer and answer[0] == 431, answer    # libmicrohttpd's Request Header Fields Too Large
    assert raw_get(gw, "127.0.0.10")[0] == 200


def test_a_signed_post_goes_through_under_the_limits(gw):
    r, body = gw.call(gw.office, "echo", "health", {})
    assert r.status_code == 200 and body["type"] == "result", body
