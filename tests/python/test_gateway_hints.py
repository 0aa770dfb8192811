"""xc-gateway's hint streams and /metrics (docs/services/gateway.md, "Hints" and "Metrics"):
GET /v1/events/{service}/hints carries each new head seq of the service's PUB hint as
Server-Sent Events, the hint as the service signed it; GET /metrics counts what was sent."""

import json
import signal
import threading
import time

import nacl.signing
import pytest
import requests

from conftest import Suite, running_suite
from gatewaylib import stopped_at_end, UNIT, Gateway, department, make_suite, problem, report_data, unb64u


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    s = make_suite(str(tmp_path_factory.mktemp("gateway-hints")))
    for _ in running_suite(s):
        g = Gateway(s, extra={"sse_clients": 2, "sse_heartbeat_ms": 300})
        g.office, g.petition = department(s, "office"), department(s, "petition")
        with stopped_at_end(g):
            yield g


class Stream:
    """An SSE stream read on a thread: its events and comments as they come."""

    def __init__(self, url):
        self.resp = requests.get(url, stream=True, timeout=(5, 10))
        self.events, self.comments, self.lock = [], [], threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        event = {}
        try:
            for line in self.resp.iter_lines():
                line = line.decode("utf-8")
                with self.lock:
                    if line == "":
                        if event:
                            self.events.append(event)
                        event = {}
                    elif line.startswith(":"):
                        self.comments.append(line)
                    else:
                        k, _, v = line.partition(": ")
                        event[k] = v
        except (requests.exceptions.RequestException, ValueError, AttributeError):
            pass

    def wait(self, pred, timeout=8):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for e in self.events:
                    if pred(e):
                        return e
            time.sleep(0.02)
        raise AssertionError(f"no such event in {self.events}")

    def close(self):
        # shut the socket itself: the reader thread holds the response open otherwise
        import socket
        try:
            self.resp.raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass
        self.resp.close()
        self.thread.join(5)


def verify_hint(gw, event, service):
    m = json.loads(event["data"])
    header = json.loads(unb64u(m["protected"]))
    key = next(k for k in gw.jwks["keys"] if k["kid"] == header["kid"])
    assert key["iss"] == service
    nacl.signing.VerifyKey(unb64u(key["x"])).verify(f"{m['protected']}.{m['payload']}".encode(),
                                                     unb64u(m["signature"]))
    body = json.loads(unb64u(m["payload"]))
    assert body["type"] == "events.head" and body["aud"] == "*" and body["iss"] == service, body
    assert int(event["id"]) == body["data"]["seq"]
    return body["data"]["seq"]


def head_of(gw, service):
    _, body = gw.call(gw.office, service, "health", {})
    return body["data"]["head"]


def test_a_command_through_the_gateway_shows_as_a_new_head_on_the_stream(gw):
    s = Stream(gw.base + "/v1/events/intake/hints")
    try:
        assert s.resp.status_code == 200
        assert s.resp.headers["Content-Type"] == "text/event-stream"
        before = head_of(gw, "intake")
        # the heartbeat hint (every second) gives the stream the head known now
        first = s.wait(lambda e: e.get("event") == "events.head")
        assert verify_hint(gw, first, "intake") == before
        r, body = gw.call(gw.office, "intake", "unit.register", UNIT)
        assert r.status_code == 200, body
        e = s.wait(lambda e: e.get("event") == "events.head" and int(e["id"]) > before)
        assert verify_hint(gw, e, "intake") == before + 1 == head_of(gw, "intake")
        # idle: heartbeat comments keep the stream, and a repeated head is not sent again
        time.sleep(1.2)
        with s.lock:
            assert any(c.startswith(": heartbeat") for c in s.comments), s.comments
            assert [int(x["id"]) for x in s.events] == [before, before + 1], s.events
    finally:
        s.close()


def test_unknown_service_wrong_method_and_too_many_streams(gw):
    problem(requests.get(gw.base + "/v1/events/nosuch/hints", timeout=5), 404, "unknown-service")
    problem(requests.post(gw.base + "/v1/events/echo/hints", data=b"", timeout=5), 405,
            "method-not-allowed")
    problem(requests.get(gw.base + "/v1/events/echo/nope", timeout=5), 404, "not-found")
    a, b = Stream(gw.base + "/v1/events/echo/hints"), Stream(gw.base + "/v1/events/intake/hints")
    try:
        r = requests.get(gw.base + "/v1/events/echo/hints", timeout=5)
        problem(r, 503, "too-many-streams")
        assert r.headers["Retry-After"] == "1"
    finally:
        a.close()
        b.close()
    # the slots come back once the streams are closed (seen at the next heartbeat)
    deadline = time.monotonic() + 5
    while True:
        c = requests.get(gw.base + "/v1/events/echo/hints", stream=True, timeout=5)
        c.close()
        if c.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert c.status_code == 200


def metrics(gw):
    r = requests.get(gw.base + "/metrics", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain"), r.text
    out = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_metrics_count_exactly_what_was_sent(gw):
    before = metrics(gw)
    ok = 'xc_gateway_requests_total{route="/v1/intake",status="200"}'
    unproc = 'xc_gateway_requests_total{route="/v1/intake",status="415"}'
    other = 'xc_gateway_requests_total{route="other",status="404"}'
    health = 'xc_gateway_requests_total{route="/healthz",status="200"}'
    count = 'xc_gateway_forward_seconds_count{service="intake"}'
    for i in range(5):
        r, _ = gw.call(gw.petition, "intake", "problem.report", report_data(f"指标测试 {i}"))
        assert r.status_code == 200
    for _ in range(3):
        assert gw.post("intake", b"{}", content_type="text/plain").status_code == 415
    for _ in range(2):
        assert requests.get(gw.base + "/nowhere", timeout=5).status_code == 404
    assert requests.get(gw.base + "/healthz", timeout=5).status_code == 200
    after = metrics(gw)
    assert after[ok] - before.get(ok, 0) == 5
    assert after[unproc] - before.get(unproc, 0) == 3
    assert after[other] - before.get(other, 0) == 2
    assert after[health] - before.get(health, 0) == 1
    assert after[count] - before.get(count, 0) == 5          # the 415s were never forwarded
    assert after['xc_gateway_requests_total{route="/metrics",status="200"}'] \
        - before.get('xc_gateway_requests_total{route="/metrics",status="200"}', 0) == 1
    inf = after['xc_gateway_forward_seconds_bucket{service="intake",le="+Inf"}']
    assert inf == after[count]
    assert after["xc_gateway_in_flight"] == 0
    assert after['xc_gateway_head_seq{service="intake"}'] <= head_of(gw, "intake")
    # the earlier test's closed streams free their slots at their next heartbeat (300 ms)
    deadline = time.monotonic() + 5
    while True:
        s = Stream(gw.base + "/v1/events/intake/hints")
        if s.resp.status_code == 200 or time.monotonic() > deadline:
            break
        s.close()
        time.sleep(0.2)
    try:
        assert s.resp.status_code == 200, (s.resp.status_code, gw.log_tail())
        s.wait(lambda e: e.get("event") == "events.head")
        assert metrics(gw)["xc_gateway_sse_clients"] >= 1
    finally:
        s.close()


def test_metrics_show_each_consumers_offset_and_lag(tmp_path):
    """rectify consumes intake's events: /metrics shows how far it has applied them (from
    rectify's own hint) and its lag (intake's head less that). With rectify paused (SIGSTOP),
    what intake records meanwhile is the lag, exactly; resumed, the lag goes back to 0."""
    s = Suite(str(tmp_path), ["intake", "rectify"], {
        "office": ("office", "office", {"units": ["*"]}),
        "petition": ("petition-bureau", "petition", {"units": ["*"]})})
    offset = 'xc_gateway_consumer_offset{service="rectify",source="intake"}'
    lag = 'xc_gateway_consumer_lag{service="rectify",source="intake"}'

    def settled(want_offset, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            m = metrics(g)
            if m.get(offset) == want_offset and m.get(lag) == 0:
                return m
            assert time.monotonic() < deadline, (want_offset, {k: v for k, v in m.items() if "consumer" in k})
            time.sleep(0.1)

    for _ in running_suite(s):
        g = Gateway(s)
        try:
            g.office, g.petition = department(s, "office"), department(s, "petition")
            r, _ = g.call(g.office, "intake", "unit.register", UNIT)
            assert r.status_code == 200, r.text
            settled(head_of(g, "intake"))
            assert not any(k.startswith("xc_gateway_consumer") and 'service="intake"' in k
                           for k in metrics(g))        # intake consumes nothing
            rectify = s.deployments["rectify"].proc
            rectify.send_signal(signal.SIGSTOP)
            try:
                before = head_of(g, "intake")
                time.sleep(0.5)                        # a hint of rectify's already sent is read
                stale = metrics(g)[offset]
                for i in range(3):
                    r, _ = g.call(g.petition, "intake", "problem.report", report_data(f"滞后测试 {i}"))
                    assert r.status_code == 200, r.text
                after = head_of(g, "intake")
                assert after > before
                deadline = time.monotonic() + 10
                while metrics(g).get('xc_gateway_head_seq{service="intake"}') != after:
                    assert time.monotonic() < deadline, "intake's head hint not seen"
                    time.sleep(0.1)
                m = metrics(g)
                assert m[offset] == stale == before, (m[offset], stale, before)
                assert m[lag] == after - before, (m[lag], after, before)
            finally:
                rectify.send_signal(signal.SIGCONT)
            settled(after)
        finally:
            assert g.stop() == 0, g.log_tail()
