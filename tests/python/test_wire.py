"""The echo service over the wire, checked by a client written from docs/protocol.md alone."""

import datetime
import hashlib
import json
import time

import pytest
import zmq

import xcwire
from xcwire import b64u, compact, seal, seal_bytes, make_body, unb64u

TEXT = "整改台账 第1条"


# --- helpers ---------------------------------------------------------------------------------

def note(dep, client, text, signer=None):
    r = client.call(signer or dep.office, "echo.note", {"text": text})
    assert r["type"] == "ack", r
    assert r["data"]["status"] == "accepted", r
    return r["data"]["result"]["n"]


def query(client, signer, type_, data):
    r = client.call(signer, type_, data)
    assert r["type"] == "result", r
    return r["data"]


def read_all(client, signer, after=0, limit=None):
    """Every event after `after`, paging until head: (head, events)."""
    events, head = [], None
    while True:
        data = {"after": after} if limit is None else {"after": after, "limit": limit}
        res = query(client, signer, "events.read", data)
        assert set(res) == {"head", "events"}, res
        head = res["head"]
        events += res["events"]
        if res["events"]:
            after = res["events"][-1]["seq"]
        if after >= head:
            return head, events
        assert res["events"], f"no events although after {after} < head {head}"


def head_of(dep, client):
    return read_all(client, dep.office)[0]


def assert_error(reply, code):
    assert reply["type"] == "error", reply
    assert set(reply["data"]) == {"code", "message"}, reply
    assert reply["data"]["code"] == code, reply
    assert isinstance(reply["data"]["message"], str) and reply["data"]["message"], reply


def assert_not_found(dep, client, n):
    assert_error(client.call(dep.office, "echo.get", {"n": n}), "not_found")


def wall_now():
    return datetime.datetime.now(datetime.timezone.utc)


# --- 1. a command and a query ----------------------------------------------------------------

def test_note_is_acked_signed_and_readable(dep):
    c = dep.client()
    frame, body = seal(dep.office, "echo", "echo.note", {"text": TEXT})
    c.send(frame)
    raw, header, reply = c.receive(body["id"], "office")

    # The reply verifies with the echo key from our registry (and not with any other key).
    assert header["kid"] == "echo#1"
    outer = json.loads(raw)
    vk = dep.registry.keys["echo#1"][1]
    vk.verify(f"{outer['protected']}.{outer['payload']}".encode(), unb64u(outer["signature"]))
    with pytest.raises(Exception):
        dep.registry.keys["office#1"][1].verify(
            f"{outer['protected']}.{outer['payload']}".encode(), unb64u(outer["signature"]))

    assert reply["iss"] == "echo"
    assert reply["aud"] == "office"
    assert reply["corr"] == body["id"]
    assert reply["id"] != body["id"]
    assert reply["type"] == "ack"
    assert abs(reply["iat"] - time.time()) < 10
    assert reply["exp"] == reply["iat"] + 300
    assert reply["data"] == {"status": "accepted", "result": {"n": 1}}

    got = query(c, dep.office, "echo.get", {"n": 1})
    assert got["n"] == 1
    assert got["text"] == TEXT
    assert got["iss"] == "office"
    # noted_at's form is not specified anywhere: Unix seconds (as iat) or RFC 3339.
    noted_at = got["noted_at"]
    noted_at = noted_at if isinstance(noted_at, int) else xcwire.rfc3339(noted_at).timestamp()
    assert abs(noted_at - time.time()) < 10

    # The audit role may read (echo.get is open to any role); a second note gets n = 2.
    assert query(c, dep.audit, "echo.get", {"n": 1})["text"] == TEXT
    assert note(dep, c, "整改台账 第2条") == 2
    assert query(c, dep.office, "echo.get", {"n": 2})["text"] == "整改台账 第2条"
    assert_not_found(dep, c, 3)


def test_alg_ed25519_is_accepted(dep):
    c = dep.client()
    hdr = {"alg": "Ed25519", "kid": "office#1", "typ": "xc+jws"}
    frame, body = seal(dep.office, "echo", "echo.note", {"text": TEXT}, header=hdr)
    r = c.request(frame, body)
    assert r["type"] == "ack" and r["data"] == {"status": "accepted", "result": {"n": 1}}, r


def test_text_length_is_counted_in_bytes(dep):
    c = dep.client()
    exactly = "整" * 666 + "ab"                    # 2000 UTF-8 bytes, 668 characters
    assert len(exactly.encode()) == 2000
    assert note(dep, c, exactly) == 1
    assert query(c, dep.office, "echo.get", {"n": 1})["text"] == exactly
    too_long = "整" * 667                          # 2001 bytes, 667 characters
    assert_error(c.call(dep.office, "echo.note", {"text": too_long}), "schema")
    assert_error(c.call(dep.office, "echo.note", {"text": ""}), "schema")
    assert head_of(dep, c) == 1
    assert_not_found(dep, c, 2)


# --- 2. retries ------------------------------------------------------------------------------

def test_resend_is_duplicate_and_replay_is_refused(dep):
    c = dep.client()
    data = {"text": TEXT}
    frame, body = seal(dep.office, "echo", "echo.note", data)
    first = c.request(frame, body)
    assert first["data"] == {"status": "accepted", "result": {"n": 1}}, first

    # The very same bytes again.
    again = c.request(frame, body)
    assert again["type"] == "ack"
    assert again["data"] == {"status": "duplicate", "result": {"n": 1}}, again
    assert again["corr"] == body["id"]

    # Signed again (new iat/exp), same id/type/aud/data.
    now = int(time.time())
    frame2, body2 = seal(dep.office, "echo", "echo.note", data, id_=body["id"],
                         iat=now - 30, exp=now + 200)
    assert frame2 != frame and body2["iat"] != body["iat"]
    r = c.request(frame2, body2)
    assert r["data"] == {"status": "duplicate", "result": {"n": 1}}, r

    # The digest is over the parsed content: white space, member order and escapes in the
    # payload text do not matter.
    body3 = make_body("office", "echo", "echo.note", data, id_=body["id"], iat=now - 20)
    payload3 = ('{ "data" : { "text" : "' + "".join("\\u%04x" % ord(ch) for ch in TEXT)
                + '" }, "type":"echo.note", "corr":null, "exp":%d, "iat":%d, "aud":"echo", '
                '"iss":"office", "id":"%s", "v":1 }') % (body3["exp"], body3["iat"], body["id"])
    assert xcwire.strict_loads(payload3) == body3
    assert xcwire.digest("echo", "echo.note", xcwire.strict_loads(payload3)["data"]) \
        == xcwire.digest("echo", "echo.note", data)
    frame3 = seal_bytes(dep.office, compact({"alg": "EdDSA", "kid": "office#1",
                                             "typ": "xc+jws"}), payload3)
    r = c.request(frame3, body3)
    assert r["data"] == {"status": "duplicate", "result": {"n": 1}}, r

    # Same id, other data: replayed; its digest differs.
    other = {"text": TEXT + "（改）"}
    assert xcwire.digest("echo", "echo.note", other) != xcwire.digest("echo", "echo.note", data)
    frame4, body4 = seal(dep.office, "echo", "echo.note", other, id_=body["id"])
    assert_error(c.request(frame4, body4), "replayed")

    # Nothing changed: one event, one note, the first text kept.
    assert head_of(dep, c) == 1
    assert query(c, dep.office, "echo.get", {"n": 1})["text"] == TEXT
    assert_not_found(dep, c, 2)


def test_an_id_in_upper_case_is_the_same_command(dep):
    """Ids compare case-insensitively (protocol.md section 2): the same note signed again with
    its id in upper case is `duplicate`, answered with the lower-case id as corr; one inbox
    row, one event."""
    import sqlite3
    c = dep.client()
    id_ = "01a24e07-b439-7af2-9c3d-5e6f708192a3"
    frame, body = seal(dep.office, "echo", "echo.note", {"text": TEXT}, id_=id_)
    first = c.request(frame, body)
    assert first["data"] == {"status": "accepted", "result": {"n": 1}}, first
    frame2, body2 = seal(dep.office, "echo", "echo.note", {"text": TEXT}, id_=id_.upper())
    second = c.request(frame2, body2)
    assert second["type"] == "ack", second
    assert second["data"] == {"status": "duplicate", "result": {"n": 1}}, second
    assert second["corr"] == id_
    # an upper-case id of another body is a replay of the same (iss, id)
    frame3, body3 = seal(dep.office, "echo", "echo.note", {"text": TEXT + "!"}, id_=id_.upper())
    assert_error(c.request(frame3, body3), "replayed")
    head, events = read_all(c, dep.office)
    assert head == 1, events
    event = json.loads(unb64u(json.loads(events[0]["message"])["payload"]))
    assert event["corr"] == id_
    con = sqlite3.connect(f"file:{dep.database}?mode=ro", uri=True)
    try:
        assert con.execute("SELECT id FROM inbox WHERE iss = 'office'").fetchall() == [(id_,)]
    finally:
        con.close()


def test_corr_may_be_absent(dep):
    c = dep.client()
    body = make_body("office", "echo", "echo.note", {"text": TEXT})
    del body["corr"]
    r = c.request(seal_bytes(dep.office, compact(_hdr()), compact(body)), body)
    assert r["data"] == {"status": "accepted", "result": {"n": 1}}, r
    assert r["corr"] == body["id"]


def test_same_text_again_is_conflict(dep):
    c = dep.client()
    assert note(dep, c, TEXT) == 1
    assert_error(c.call(dep.office, "echo.note", {"text": TEXT}), "conflict")
    assert head_of(dep, c) == 1
    assert_not_found(dep, c, 2)


def test_digest_matches_the_specified_serialization():
    # Sorted keys (by UTF-8 bytes), no white space, UTF-8 kept, control characters escaped.
    text = xcwire.canonical_json({"type": "echo.note", "aud": "echo",
                                  "data": {"text": "整\n\x01\"/", "a": [1, True, None]}})
    assert text == ('{"aud":"echo","data":{"a":[1,true,null],"text":"整\\n\\u0001\\"/"},'
                    '"type":"echo.note"}')
    assert xcwire.digest("echo", "echo.note", {"text": "hi"}) == hashlib.sha256(
        b'{"aud":"echo","data":{"text":"hi"},"type":"echo.note"}').digest()


# --- 3. events and the hash chain ------------------------------------------------------------

def test_events_chain_and_signatures(dep):
    c = dep.client()
    texts = ["整改台账 第1条", "整改台账 第2条", "第三条：\"引号\" \\ 和 /"]
    ids = []
    for t in texts:
        frame, body = seal(dep.office, "echo", "echo.note", {"text": t})
        r = c.request(frame, body)
        assert r["data"]["status"] == "accepted", r
        ids.append((body["id"], r["data"]["result"]["n"], t))

    head, events = read_all(c, dep.office)
    assert head == len(texts)
    assert [e["seq"] for e in events] == list(range(1, head + 1))

    prev = xcwire.ZERO_HASH
    for e, (cmd_id, n, t) in zip(events, ids):
        assert set(e) == {"seq", "id", "type", "hash", "message"}, e
        prev = xcwire.chain_next(prev, e["message"])
        assert e["hash"] == prev.hex(), f"chain breaks at seq {e['seq']}"
        header, body = xcwire.open_message(e["message"].encode("utf-8"), dep.registry, event=True)
        assert header["kid"] == "echo#1"
        assert body["iss"] == "echo"
        assert body["aud"] == "*"
        assert "exp" not in body
        assert body["type"] == "echo.noted" == e["type"]
        assert body["id"] == e["id"]
        assert body["corr"] == cmd_id
        assert body["data"] == {"n": n, "text": t}

    # Paging gives the same rows; reading after the head gives none.
    assert read_all(c, dep.office, limit=1) == (head, events)
    res = query(c, dep.office, "events.read", {"after": 2, "limit": 1})
    assert res["head"] == head and res["events"] == events[2:3]
    res = query(c, dep.office, "events.read", {"after": head})
    assert res == {"head": head, "events": []}
    # limit is 1..1000
    assert_error(c.call(dep.office, "events.read", {"after": 0, "limit": 0}), "schema")
    assert_error(c.call(dep.office, "events.read", {"after": 0, "limit": 1001}), "schema")
    # A duplicate command appends no event.
    frame, body = seal(dep.office, "echo", "echo.note", {"text": texts[0]}, id_=ids[0][0])
    assert c.request(frame, body)["data"]["status"] == "duplicate"
    assert head_of(dep, c) == head


def test_events_chain_detects_change(dep):
    # The chain as specified must catch a changed message (guards the recomputation above).
    c = dep.client()
    note(dep, c, "一")
    note(dep, c, "二")
    _, events = read_all(c, dep.office)
    h1 = xcwire.chain_next(xcwire.ZERO_HASH, events[0]["message"])
    assert h1.hex() == events[0]["hash"]
    assert xcwire.chain_next(h1, events[1]["message"]).hex() == events[1]["hash"]
    assert xcwire.chain_next(xcwire.ZERO_HASH, events[1]["message"]).hex() != events[1]["hash"]
    outer = json.loads(events[0]["message"])
    body = xcwire.strict_loads(unb64u(outer["payload"]))
    assert body["data"]["text"] == "一"
    body["data"]["text"] = "三"
    outer["payload"] = b64u(compact(body).encode())
    forged = json.dumps(outer, separators=(",", ":"))
    assert forged != events[0]["message"]
    assert xcwire.chain_next(xcwire.ZERO_HASH, forged).hex() != events[0]["hash"]
    with pytest.raises(xcwire.WireError, match="bad signature"):
        xcwire.open_message(forged.encode(), dep.registry, event=True)


# --- 4. refusals -----------------------------------------------------------------------------

def _hdr(kid="office#1", alg="EdDSA", typ="xc+jws"):
    return {"alg": alg, "kid": kid, "typ": typ}


def case_bad_signature(dep):
    frame, body = seal(dep.office, "echo", "echo.note", {"text": TEXT})
    outer = json.loads(frame)
    s = outer["signature"]
    outer["signature"] = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
    return json.dumps(outer).encode(), body


def case_payload_swapped(dep):
    frame, body = seal(dep.office, "echo", "echo.note", {"text": TEXT})
    outer = json.loads(frame)
    body2 = dict(body, data={"text": TEXT + "!"})
    outer["payload"] = b64u(compact(body2).encode())
    return json.dumps(outer).encode(), body2


def case_signed_by_other_key(dep):
    p = b64u(compact(_hdr()).encode())
    body = make_body("office", "echo", "echo.note", {"text": TEXT})
    q = b64u(compact(body).encode())
    sig = dep.audit.sign(f"{p}.{q}".encode())
    return json.dumps({"protected": p, "payload": q, "signature": b64u(sig)}).encode(), body


def case_alg(alg):
    def make(dep):
        return seal(dep.office, "echo", "echo.note", {"text": TEXT}, header=_hdr(alg=alg))
    return make


def case_alg_none_unsigned(dep):
    body = make_body("office", "echo", "echo.note", {"text": TEXT})
    p = b64u(compact(_hdr(alg="none")).encode())
    q = b64u(compact(body).encode())
    return json.dumps({"protected": p, "payload": q, "signature": ""}).encode(), body


def case_typ(dep):
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, header=_hdr(typ="JWT"))


def case_aud(aud):
    def make(dep):
        return seal(dep.office, aud, "echo.note", {"text": TEXT})
    return make


def case_expired(dep):
    now = int(time.time())
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, iat=now - 200, exp=now - 100)


def case_iat_skew(dep):
    now = int(time.time())
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, iat=now + 1000, exp=now + 1100)


def case_lifetime(dep):
    now = int(time.time())
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, iat=now, exp=now + 3601)


def case_unknown_kid(dep):
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, header=_hdr(kid="ghost#1"))


def case_kid_issuer(dep):
    # office's key, claiming to be audit-bureau
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, iss="audit-bureau")


def case_duplicate_key(dep):
    body = make_body("office", "echo", "echo.note", {"text": TEXT})
    text = compact(body).replace('"data":{"text":', '"data":{"text":"x","text":')
    assert text.count('"text":') == 2
    return seal_bytes(dep.office, compact(_hdr()), text), body


def case_schema(dep):
    return seal(dep.office, "echo", "echo.note", {"text": 5})


def case_schema_extra(dep):
    return seal(dep.office, "echo", "echo.note", {"text": TEXT, "extra": 1})


def case_forbidden(dep):
    return seal(dep.audit, "echo", "echo.note", {"text": TEXT})


def case_unknown_type(dep):
    return seal(dep.office, "echo", "echo.nope", {"text": TEXT})


def case_extra_body_member(dep):
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, body_extra={"x": 1})


def case_extra_header_member(dep):
    hdr = dict(_hdr(), cty="json")
    return seal(dep.office, "echo", "echo.note", {"text": TEXT}, header=hdr)


def case_string_iat(dep):
    body = make_body("office", "echo", "echo.note", {"text": TEXT})
    body = dict(body, iat=str(body["iat"]))
    return seal_bytes(dep.office, compact(_hdr()), compact(body)), body


def case_v2(dep):
    body = dict(make_body("office", "echo", "echo.note", {"text": TEXT}), v=2)
    return seal_bytes(dep.office, compact(_hdr()), compact(body)), body


def case_duplicate_header_key(dep):
    body = make_body("office", "echo", "echo.note", {"text": TEXT})
    hdr = '{"alg":"EdDSA","kid":"office#1","typ":"xc+jws","typ":"xc+jws"}'
    return seal_bytes(dep.office, hdr, compact(body)), body


def case_duplicate_outer_key(dep):
    frame, body = seal(dep.office, "echo", "echo.note", {"text": TEXT})
    outer = json.loads(frame)
    text = ('{"protected":"%s","payload":"%s","signature":"%s","payload":"%s"}'
            % (outer["protected"], outer["payload"], outer["signature"], outer["payload"]))
    return text.encode(), body


REFUSALS = [
    ("bad_signature", case_bad_signature, "bad_signature"),
    ("payload_swapped", case_payload_swapped, "bad_signature"),
    ("signed_by_other_key", case_signed_by_other_key, "bad_signature"),
    ("alg_none", case_alg("none"), "bad_alg"),
    ("alg_none_unsigned", case_alg_none_unsigned, "bad_alg"),
    ("alg_hs256", case_alg("HS256"), "bad_alg"),
    ("typ", case_typ, "bad_typ"),
    ("wrong_aud", case_aud("intake"), "wrong_audience"),
    ("star_aud", case_aud("*"), "wrong_audience"),
    ("expired", case_expired, "expired"),
    ("iat_skew", case_iat_skew, "iat_skew"),
    ("lifetime", case_lifetime, "malformed"),
    ("unknown_kid", case_unknown_kid, "unknown_kid"),
    ("kid_issuer_mismatch", case_kid_issuer, "kid_issuer_mismatch"),
    ("duplicate_key", case_duplicate_key, "duplicate_key"),
    ("duplicate_header_key", case_duplicate_header_key, "duplicate_key"),
    ("duplicate_outer_key", case_duplicate_outer_key, "duplicate_key"),
    ("v2", case_v2, "malformed"),
    ("schema", case_schema, "schema"),
    ("schema_extra", case_schema_extra, "schema"),
    ("forbidden", case_forbidden, "forbidden"),
    ("unknown_type", case_unknown_type, "unknown_type"),
    ("extra_body_member", case_extra_body_member, "malformed"),
    ("extra_header_member", case_extra_header_member, "malformed"),
    ("string_iat", case_string_iat, "malformed"),
]


@pytest.mark.parametrize("make,code", [(m, c) for _, m, c in REFUSALS],
                         ids=[name for name, _, _ in REFUSALS])
def test_refusal(dep, make, code):
    c = dep.client()
    assert note(dep, c, "先记一条") == 1
    frame, body = make(dep)
    r = c.request(frame, body)
    assert_error(r, code)
    # The refusal is addressed from the unverified body.
    assert r["corr"] == body["id"]
    assert r["aud"] == body["iss"]
    if code == "schema" and body["data"].get("text") == 5:
        assert "data.text" in r["data"]["message"], r

    # Nothing changed: no event, no note, and the id was not taken.
    assert head_of(dep, c) == 1
    assert_not_found(dep, c, 2)
    frame, ok = seal(dep.office, "echo", "echo.note", {"text": "后记一条"}, id_=body["id"])
    r = c.request(frame, ok)
    assert r["type"] == "ack" and r["data"] == {"status": "accepted", "result": {"n": 2}}, r
    assert head_of(dep, c) == 2


def test_frame_level_refusals(dep):
    c = dep.client()
    # Two frames: malformed, nothing stored.
    frame, body = seal(dep.office, "echo", "echo.note", {"text": TEXT})
    c.send([b"", frame])
    r = c.receive(body["id"], "office", accept_null_corr=True)[2]
    assert_error(r, "malformed")
    # Not JSON at all.
    c.send(b"not json")
    r = c.receive(None, "office", accept_null_corr=True)[2]
    assert_error(r, "malformed")
    assert r["corr"] is None and r["aud"] == "unknown"
    # Bad base64url in the payload.
    outer = json.loads(frame)
    outer["payload"] = "!!" + outer["payload"]
    c.send(json.dumps(outer).encode())
    r = c.receive(body["id"], "office", accept_null_corr=True)[2]
    assert_error(r, "malformed")
    # Body that is not valid UTF-8 JSON, a string holding NUL: malformed, and the refusal
    # names the id, which can still be read; an id that is not a UUID cannot be named.
    hdr = compact(_hdr())
    id_ = xcwire.new_id()
    bad_utf8 = compact(make_body("office", "echo", "echo.note", {"text": "k"}, id_=id_)).encode()
    assert bad_utf8.endswith(b'"k"}}')
    for payload, corr in ((bad_utf8[:-4] + b'\xff"}}', id_),
                          (compact(make_body("office", "echo", "echo.note", {"text": "a\u0000b"},
                                             id_=id_)), id_),
                          (compact(make_body("office", "echo", "echo.note", {"text": "k"},
                                             id_="not-a-uuid")), None)):
        c.send(seal_bytes(dep.office, hdr, payload))
        r = c.receive(corr, "office")[2]
        assert_error(r, "malformed")
        assert r["corr"] == corr and r["aud"] == "office", r
    # Above the default limit of 262144 bytes (and below four times it): too_large.
    big, bbody = seal(dep.office, "echo", "echo.note", {"text": "x" * 270000})
    assert 262144 < len(big) < 4 * 262144
    c.send(big)
    r = c.receive(bbody["id"], "office", timeout=10, accept_null_corr=True)[2]
    assert_error(r, "too_large")
    # The connection still works and nothing was stored.
    assert head_of(dep, c) == 0
    assert_not_found(dep, c, 1)
    assert note(dep, c, TEXT) == 1


# --- 5. the PUB socket -----------------------------------------------------------------------

def test_pub_hint(dep):
    c = dep.client()
    note(dep, c, TEXT)
    note(dep, c, "第二条")
    head = head_of(dep, c)
    assert head == 2
    sub = dep.subscriber()
    deadline = time.monotonic() + 3
    while True:
        left = deadline - time.monotonic()
        assert left > 0 and sub.poll(int(left * 1000) + 1, zmq.POLLIN), "no hint within 3 s"
        frames = sub.recv_multipart(zmq.NOBLOCK)
        assert len(frames) == 1, frames
        header, body = xcwire.open_message(frames[0], dep.registry)
        if body["type"] == "events.head":
            break
    assert header["kid"] == "echo#1"
    assert body["iss"] == "echo"
    assert body["aud"] == "*"
    assert body["data"] == {"seq": head}
    assert abs(body["iat"] - time.time()) < 10


# --- 6. health and the test clock ------------------------------------------------------------

def test_health(dep):
    c = dep.client()
    h = query(c, dep.audit, "health", {})
    assert set(h) == {"service", "deployment", "head", "commands", "time", "clock",
                      "test_mode", "uptime_s", "sources"}, h
    assert h["sources"] == {}          # this echo reads no other service's events
    assert h["service"] == "echo"
    assert h["deployment"] == "pytest"
    assert h["head"] == 0
    assert h["commands"] == 0
    assert h["test_mode"] is True
    assert isinstance(h["uptime_s"], (int, float)) and 0 <= h["uptime_s"] < 30
    assert abs((xcwire.rfc3339(h["time"]) - wall_now()).total_seconds()) < 5
    assert abs((xcwire.rfc3339(h["clock"]) - xcwire.rfc3339(h["time"])).total_seconds()) < 2

    note(dep, c, TEXT)
    note(dep, c, "第二条")
    h = query(c, dep.office, "health", {})
    assert h["head"] == 2
    assert h["commands"] == 2


def test_clock_set(dep):
    c = dep.client()
    before = xcwire.rfc3339(query(c, dep.office, "health", {})["clock"])
    target = before + datetime.timedelta(days=1)
    stamp = target.strftime("%Y-%m-%dT%H:%M:%SZ")
    res = query(c, dep.office, "clock.set", {"clock": stamp})
    assert set(res) == {"clock"}
    after = xcwire.rfc3339(res["clock"])
    assert 86400 - 1 <= (after - before).total_seconds() <= 86400 + 5
    # Sent again (a resend): the clock does not move a second time.
    again = xcwire.rfc3339(query(c, dep.audit, "clock.set", {"clock": stamp})["clock"])
    assert 0 <= (again - after).total_seconds() <= 5
    h = query(c, dep.office, "health", {})
    assert abs((xcwire.rfc3339(h["clock"]) - after).total_seconds()) < 5
    # The wall clock does not move, and freshness still uses it.
    assert abs((xcwire.rfc3339(h["time"]) - wall_now()).total_seconds()) < 5
    assert note(dep, c, TEXT) == 1
    # An instant in the past leaves the clock where it is.
    past = xcwire.rfc3339(query(c, dep.office, "clock.set", {"clock": "2020-01-01T00:00:00Z"})["clock"])
    assert 0 <= (past - after).total_seconds() <= 5


def test_stops_on_sigterm(dep):
    c = dep.client()
    note(dep, c, TEXT)
    status = dep.stop()
    assert status not in ("killed", "not started"), "xc-echo did not stop within 5 s of SIGTERM"
