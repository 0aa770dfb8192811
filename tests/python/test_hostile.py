"""The hostile-input catalogue (tests/hostile/catalogue.json) against the four running services.

One suite (intake, referral, rectify, notify) is started for the module and given a little state
first: units, a round, problems (one fed back as a rectify item that unit-a has planned, one
immediate item whose warning became a stream notice for unit-a, one referred as a lead to the
discipline commission, one left unclassified), so that commands which are valid but forbidden
for their sender mean something. Then each catalogue entry is built from its description, sent
on a fresh DEALER to its service, and must get a signed `error` with exactly the expected code
(or, where the protocol drops the frame, no answer at all, and the service still answers the
next message on that connection). Every table of every service's SQLite file is hashed before
and after: no entry may change anything, anywhere.

How an entry is built (the ops of its "build" list) is described in tests/hostile/README.md.
"""

import json
import sqlite3
import urllib.parse

import pytest
import zmq

import xcwire
from hostilelib import (BAD_KEYS, CATALOGUE, ENTRIES, LIMIT, PRINCIPALS, REPLY_WAIT, SERVICES,
                        SILENCE, assert_plain_words, assert_running, build, build_entry, diff,
                        frame_size, hostile_world, local_day, ok, protocol_codes)

# Entries whose service answers another code than the protocol promises: name -> the finding.
# Each is run as xfail(strict=True), so a fixed service makes the test fail until it is removed.
FINDINGS = {}

# What the catalogue must cover (brief: issue 9, "Hostile input").
REQUIRED_CATEGORIES = {
    "tampered_header", "tampered_payload", "tampered_signature", "alg_none", "alg_hs256",
    "kid_issuer_mismatch", "key_not_yet_valid", "key_expired", "revoked", "replay",
    "wrong_audience", "duplicate_key_outer", "duplicate_key_header", "duplicate_key_body",
    "duplicate_key_data", "invalid_utf8", "nul_raw", "nul_escaped", "deep_nesting",
    "huge_number", "oversized_over_limit", "oversized_4x", "multi_frame", "sql_injection",
    "over_long", "unknown_field_data", "unknown_field_body", "expired", "iat_skew",
    "bad_lifetime", "forbidden",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    yield from hostile_world(str(tmp_path_factory.mktemp("hostile")))


# --- the tests ---------------------------------------------------------------------------------

def test_catalogue_covers_the_brief():
    assert len(ENTRIES) >= 40, len(ENTRIES)
    codes = protocol_codes()
    assert {"too_large", "malformed", "forbidden", "replayed", "schema"} <= codes, codes
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names)), "entry names must be unique"
    for e in ENTRIES:
        for key in ("name", "category", "service", "why", "expect", "type"):
            assert isinstance(e.get(key), str) and e[key], (e.get("name"), key)
        assert e["service"] in SERVICES, e["name"]
        assert e["expect"] in codes | {"no_answer"}, (e["name"], e["expect"])
        assert e.get("corr", "id") in ("id", None), e["name"]
        assert e.get("sender", "office") in set(PRINCIPALS) | set(BAD_KEYS), e["name"]
    categories = {e["category"] for e in ENTRIES}
    assert REQUIRED_CATEGORIES <= categories, sorted(REQUIRED_CATEGORIES - categories)

    def where(cat):
        return {e["service"] for e in ENTRIES if e["category"] == cat}
    # spread over the four services where the brief asks for it
    for cat in ("forbidden", "over_long", "replay", "sql_injection", "unknown_field_data"):
        assert where(cat) == set(SERVICES), (cat, where(cat))
    # the four forbidden-but-valid commands the brief names
    forbidden = {(e["service"], e.get("sender", "office"), e["type"]) for e in ENTRIES
                 if e["category"] == "forbidden"}
    assert ("rectify", "unit_b", "rectify.plan") in forbidden
    assert ("intake", "team", "problem.classify") in forbidden
    assert ("referral", "orgdept", "referral.get") in forbidden
    assert any(s == "notify" and who != "office" for s, who, _ in forbidden)
    text = json.dumps(ENTRIES, ensure_ascii=False)
    for needle in ("'; DROP TABLE units;--", '" OR 1=1 --', "1e400", "1180591620717411303424"):
        assert needle in text, needle
    assert any(st.get("nest", 0) >= 10000 for e in ENTRIES for st in e.get("build", [])
               if e["category"] == "deep_nesting")
    sizes = {(st["frame_bytes"], e["expect"]) for e in ENTRIES for st in e.get("build", [])
             if st["op"] == "size"}
    assert ("limit+1", "too_large") in sizes, sizes
    assert any(frame_size(fb) > 4 * LIMIT and ex == "no_answer" for fb, ex in sizes), sizes
    assert all(frame_size(fb) <= 4 * LIMIT or ex == "no_answer" for fb, ex in sizes), sizes
    assert set(FINDINGS) <= set(names), set(FINDINGS) - set(names)
    with open(CATALOGUE, encoding="utf-8") as f:
        assert json.load(f)["limit"] == LIMIT
    for e in ENTRIES:
        if "rightful" in e:
            assert e["expect"] == "forbidden" and not e.get("build"), e["name"]
            assert e["rightful"] in PRINCIPALS and e["rightful"] != e["sender"], e["name"]


def test_every_entry_builds_offline():
    """Each entry's description builds, with placeholder state, without a running service."""
    class Offline:
        state = {"item": 1, "immediate_item": 2, "referral": 3, "delivery": 4, "problem_open": 5,
                 **{f"accepted_{s}": xcwire.new_id() for s in SERVICES}}
        signers = {}

        def signer(self, name):
            iss = PRINCIPALS[name][0] if name in PRINCIPALS else BAD_KEYS[name][0]
            return self.signers.setdefault(name, xcwire.Signer(iss, f"{iss}#1"))
    offline = Offline()
    for e in ENTRIES:
        frames, body = build_entry(e, offline)
        assert frames and all(isinstance(f, bytes) for f in frames), e["name"]
    # Without its damage (the build steps), each entry is a well-formed message that verifies
    # (checks 1-12 by the independent client; every key valid here): what makes it bad is the
    # damage, its data, its sender, its aud or its id, as the entry says.
    registry = xcwire.Registry({"principals": [
        {"iss": s.iss, "keys": [s.public_jwk("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")]}
        for s in offline.signers.values()]})
    for e in ENTRIES:
        base = {k: v for k, v in e.items() if k != "build"}
        frames, body = build(base, offline)
        _, opened = xcwire.open_message(frames[0], registry)
        assert opened["id"] == body["id"] and opened["data"] == body["data"], e["name"]


def receive_one(client, timeout):
    """The first frame on this (fresh) connection, verified as a reply of its service:
    (header, body)."""
    sock = client.sock
    assert sock.poll(int(timeout * 1000), zmq.POLLIN), f"no answer within {timeout} s"
    frames = sock.recv_multipart(zmq.NOBLOCK)
    assert len(frames) == 1, f"a reply of {len(frames)} frames"
    header, body = xcwire.open_message(frames[0], client.registry)    # checks 1-12, signature
    assert body["iss"] == client.service and header["kid"] == f"{client.service}#1", (header, body)
    assert client.registry.keys[header["kid"]][0] == client.service
    assert body["exp"] == body["iat"] + xcwire.REPLY_LIFETIME, body
    return header, body


def params():
    out = []
    for e in ENTRIES:
        marks = [pytest.mark.xfail(strict=True, reason=FINDINGS[e["name"]])] if e["name"] in FINDINGS else []
        out.append(pytest.param(e, id=e["name"], marks=marks))
    return out


@pytest.mark.parametrize("entry", params())
def test_hostile_message_is_refused_and_changes_nothing(world, entry):
    assert_running(world, entry["service"])
    frames, body = build_entry(entry, world)
    before = world.snapshot()
    client = world.suite.client(entry["service"])
    if len(frames) == 1:
        client.sock.send(frames[0])
    else:
        client.sock.send_multipart(frames)

    if entry["expect"] == "no_answer":
        assert not client.sock.poll(int(SILENCE * 1000), zmq.POLLIN), (
            f"answered a frame of {len(frames[0])} bytes that must be dropped:\n"
            f"{world.log_lines(entry['service'], body['id'])}")
        # the next message on the same connection is answered
        reply = client.call(world.suite.office, "health", {})
        assert reply["type"] == "result" and reply["data"]["service"] == entry["service"], reply
    else:
        try:
            header, reply = receive_one(client, REPLY_WAIT)
        except AssertionError:
            assert_running(world, entry["service"])        # a crash says more than a timeout
            raise
        got = reply["data"].get("code") if reply["type"] == "error" else reply["type"]
        log = world.log_lines(entry["service"], body["id"])
        assert reply["type"] == "error" and got == entry["expect"], (
            f"{entry['name']}: expected {entry['expect']}, got {got}: {reply['data']}\nlog: {log}")
        assert isinstance(reply["data"].get("message"), str), reply
        assert_plain_words(reply["data"]["message"], entry["name"])
        if entry.get("corr", "id") == "id":
            # the request's id, in lower case (protocol.md section 2)
            assert reply["corr"] == body["id"].lower(), (reply["corr"], body["id"])
            iss = body["iss"]
            short = isinstance(iss, str) and 1 <= len(iss.encode("utf-8")) <= 63 and "\0" not in iss
            assert reply["aud"] == (iss if short else "unknown"), (reply["aud"], iss)
        else:
            # the id cannot be read from this message: the refusal cannot name it
            assert reply["corr"] is None, reply
        assert not client.sock.poll(50, zmq.POLLIN), "a second reply to one message"

    after = world.snapshot()
    assert after == before, f"{entry['name']} changed: {diff(before, after)}"


def test_forbidden_entries_are_valid_for_the_rightful_sender(world):
    """Controls, run after the catalogue (they change state): a forbidden entry with a
    "rightful" sender, sent by that sender, is accepted (or answered). So each was refused for
    its sender alone, and the snapshot, which must not move for a refusal, does move for an
    accepted command."""
    controls = [e for e in ENTRIES if "rightful" in e]
    assert len(controls) >= 8, len(controls)
    for e in controls:
        frames, body = build(dict(e, sender=e["rightful"]), world)
        before = world.snapshot()
        client = world.suite.client(e["service"])
        client.sock.send(frames[0])
        header, reply = receive_one(client, REPLY_WAIT)
        assert reply["type"] in ("ack", "result"), (e["name"], reply["data"],
                                                    world.log_lines(e["service"], body["id"]))
        assert xcwire.same_id(reply["corr"], body["id"])
        if reply["type"] == "ack":
            assert reply["data"]["status"] == "accepted", (e["name"], reply["data"])
            changed = diff(before, world.snapshot())
            assert any(c.startswith(e["service"] + ".") for c in changed), (e["name"], changed)
    # The SQL text of a name is stored and read back as text.
    unit = ok(world.suite.client("intake").call(world.suite.office, "unit.get", {"unit": "U-X"}))
    assert unit["name"] == "'; DROP TABLE units;--", unit


def test_an_id_in_upper_case_is_the_same_command(world):
    """Issue 18: a command signed with id 01a24e07-… and again, same body, with 01A24E07-… is
    one command (ids compare case-insensitively): the second is answered `duplicate` with the
    first result and the request's id in lower case as corr, and changes nothing in any table
    of any service: one inbox row, the first command's events only. Runs last: it adds state."""
    s, st = world.suite, world.state
    commands = [
        ("intake", s.petition, "problem.report", {
            "unit": "U-A", "category": "public_concerns", "summary": "大小写重发",
            "detail": "同一条命令，id 大小写不同", "severity": "general", "source": "petition"}, 1),
        ("referral", s.office, "referral.create", {
            "kind": "report", "target": "organization-dept", "title": "大小写重发专题报告",
            "detail": "详见附件"}, 1),
        ("rectify", s.office, "rectify.revisit", {"round": "R1", "unit": "U-A",
                                                  "date": str(local_day(0)),
                                                  "kinds": ["return_visit"]}, 1),
        ("notify", s.unit_a, "notify.ack", {"deliveries": [st["delivery"]]}, 0),
    ]
    for service, signer, type_, data, events in commands:
        client = s.client(service)
        id_ = xcwire.new_id()
        assert id_ == id_.lower()
        db = world.databases[service]

        def count(sql, *args):
            con = sqlite3.connect("file:" + urllib.parse.quote(db) + "?mode=ro", uri=True, timeout=10)
            try:
                return con.execute(sql, args).fetchone()[0]
            finally:
                con.close()
        head_before = count("SELECT coalesce(max(seq), 0) FROM outbox")
        frame, body = xcwire.seal(signer, service, type_, data, id_=id_)
        first = client.request(frame, body)
        assert first["type"] == "ack" and first["data"]["status"] == "accepted", (service, first)
        assert first["corr"] == id_
        world.settle()
        before = world.snapshot()
        upper = id_.upper()
        frame2, body2 = xcwire.seal(signer, service, type_, data, id_=upper)
        second = client.request(frame2, body2)
        assert second["type"] == "ack", (service, second, world.log_lines(service, id_))
        assert second["data"] == {"status": "duplicate", "result": first["data"]["result"]}, (
            service, second)
        assert second["corr"] == id_, (service, second["corr"])     # the lower-case form
        world.settle()
        assert world.snapshot() == before, (service, diff(before, world.snapshot()))
        assert count("SELECT count(*) FROM inbox WHERE lower(id) = ?", id_) == 1, service
        assert count("SELECT count(*) FROM inbox WHERE id = ?", id_) == 1, service
        # the events the command caused: their corr is the lower-case id
        corrs = [json.loads(xcwire.unb64u(json.loads(m)["payload"]))["corr"] for (m,) in
                 sqlite3.connect(db).execute("SELECT message FROM outbox WHERE seq > ?",
                                             (head_before,))]
        assert corrs.count(id_) == events and upper not in corrs, (service, corrs)
