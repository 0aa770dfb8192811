"""The intake service over the wire, from a client written from docs/protocol.md alone.

A department system (the petition bureau) reports a problem to a real xc-intake after the
inspection office has registered the unit; the office reads it back with the same Chinese text
and the reporter's identity, which nobody else sees and no event carries.
"""

import json
import os

import pytest

import xcwire
from conftest import Deployment, running, write_json
from xcwire import b64u, seal, unb64u

UNIT_NAME = "云溪区青石镇人民政府"
SUMMARY = "信访反映：低保资格审核不严 😟"
DETAIL = ("一、反映人称：2026年3月起，村委会在低保评定中优亲厚友。\n"
          "二、附：English note, Русский, العربية, 🇨🇳 — 全角ＡＢＣ，\"引号\" \\ 反斜杠。")
REPORTER = {"name": "欧阳明月", "contact": "13912345678（仅限巡察办）"}


class IntakeDeployment(Deployment):
    """Keys, registry, secret key and config for one xc-intake, made here."""

    def __init__(self, folder):
        super().__init__(folder, "intake", {
            "office": ("office", "office"), "petition": ("petition-bureau", "petition"),
            "public": ("public-channel", "public"), "rectify": ("rectify", "service")},
            service_extra={"secret_key": "secret.json"})
        write_json(os.path.join(folder, "secret.json"),
                   {"kty": "oct", "k": b64u(os.urandom(32))}, 0o600)


@pytest.fixture
def intake(tmp_path):
    d = IntakeDeployment(str(tmp_path))
    yield from running(d)
    assert d.stopped == 0, f"xc-intake exit status {d.stopped}"


# --- helpers ---------------------------------------------------------------------------------

def ack(reply):
    assert reply["type"] == "ack", reply
    assert reply["data"]["status"] in ("accepted", "duplicate"), reply
    return reply["data"]["result"]


def result(reply):
    assert reply["type"] == "result", reply
    return reply["data"]


def assert_error(reply, code):
    assert reply["type"] == "error", reply
    assert reply["data"]["code"] == code, reply


def read_events(client, signer):
    """Every event from seq 1, paging to the head, each hash link checked: the entries."""
    after, prev, entries = 0, xcwire.ZERO_HASH, []
    while True:
        res = result(client.call(signer, "events.read", {"after": after, "limit": 100}))
        for e in res["events"]:
            assert e["seq"] == after + 1, e
            after = e["seq"]
            if "message" in e:
                prev = xcwire.chain_next(prev, e["message"])
                assert e["hash"] == prev.hex(), e
            else:
                prev = bytes.fromhex(e["hash"])    # a redacted message: take the hash as given
            entries.append(e)
        if after >= res["head"]:
            return entries
        assert res["events"], res


def register_unit(intake, c):
    r = c.call(intake.office, "unit.register",
               {"id": "91350100-QS", "name": UNIT_NAME, "level": "town"})
    assert ack(r) == {"unit": "91350100-QS"}


def report(intake, c, signer=None, source="petition", **extra):
    data = {"unit": "91350100-QS", "category": "public_concerns", "summary": SUMMARY,
            "detail": DETAIL, "severity": "serious", "source": source}
    data.update(extra)
    frame, body = seal(signer or intake.petition, "intake", "problem.report", data)
    return frame, body


# --- the tests -------------------------------------------------------------------------------

def test_petition_report_read_back_by_office(intake):
    c = intake.client()
    register_unit(intake, c)

    # The petition bureau reports, naming the person who came to it.
    frame, body = report(intake, c, reporter=REPORTER)
    c.send(frame)
    raw, header, reply = c.receive(body["id"], "petition-bureau")
    assert header["kid"] == "intake#1"
    assert reply["iss"] == "intake" and reply["aud"] == "petition-bureau"
    assert reply["corr"] == body["id"]
    assert reply["type"] == "ack", reply
    assert reply["data"]["status"] == "accepted"
    problem = reply["data"]["result"]["problem"]
    assert isinstance(problem, int) and not isinstance(problem, bool) and problem >= 1
    assert reply["data"]["result"] == {"problem": problem}

    # The same bytes again are the same command: duplicate, the first result.
    c.send(frame)
    again = c.receive(body["id"], "petition-bureau")[2]
    assert again["type"] == "ack"
    assert again["data"] == {"status": "duplicate", "result": {"problem": problem}}

    # The office reads it back: the text byte for byte, and the reporter decrypted.
    got = result(c.call(intake.office, "problem.get", {"problem": problem}))
    assert got["id"] == problem
    assert got["unit"] == "91350100-QS"
    assert got["summary"] == SUMMARY
    assert got["detail"] == DETAIL
    assert got["summary"].encode("utf-8") == SUMMARY.encode("utf-8")
    assert got["category"] == "public_concerns"
    assert got["severity"] == "serious"
    assert got["source"] == "petition"
    assert got["status"] == "recorded"
    assert got["reporter"] == REPORTER
    assert [s["source"] for s in got["sources"]] == ["petition"]
    unit = result(c.call(intake.office, "unit.get", {"unit": "91350100-QS"}))
    assert unit["name"] == UNIT_NAME

    # The petition bureau reads what it reported, without the reporter; so does a service.
    for signer in (intake.petition, intake.rectify):
        mine = result(c.call(signer, "problem.get", {"problem": problem}))
        assert mine["summary"] == SUMMARY and mine["detail"] == DETAIL
        assert "reporter" not in mine
    # The public channel (the gateway's principal) reads no problem at all (issue 24).
    assert_error(c.call(intake.public, "problem.get", {"problem": problem}), "forbidden")

    # The event: signed by intake, restricted to the office, and without the reporter.
    entries = read_events(c, intake.office)
    recorded = [e for e in entries if e["type"] == "problem.recorded"]
    assert len(recorded) == 1
    _, ev = xcwire.open_message(recorded[0]["message"].encode("utf-8"), intake.registry,
                                event=True)
    assert ev["iss"] == "intake" and ev["aud"] == "*" and ev["corr"] == body["id"]
    for e in entries:
        payload = unb64u(json.loads(e["message"])["payload"]).decode("utf-8")
        text = json.dumps(json.loads(payload), ensure_ascii=False)
        assert REPORTER["name"] not in payload and REPORTER["name"] not in text
        assert "13912345678" not in payload and "13912345678" not in text
    assert SUMMARY in json.dumps(ev["data"], ensure_ascii=False)
    as_service = read_events(c, intake.rectify)
    assert [e["seq"] for e in as_service] == [e["seq"] for e in entries]
    redacted = [e for e in as_service if e["type"] == "problem.recorded"][0]
    assert redacted.get("redacted") is True and "message" not in redacted

    # At rest the name is not in the database file nor its write-ahead log.
    for path in (intake.database, intake.database + "-wal"):
        if os.path.exists(path):
            with open(path, "rb") as f:
                stored = f.read()
            assert REPORTER["name"].encode("utf-8") not in stored
            assert b"13912345678" not in stored


def test_petition_may_not_report_as_audit_nor_register_units(intake):
    c = intake.client()
    register_unit(intake, c)
    frame, body = report(intake, c, source="audit")
    assert_error(c.request(frame, body), "forbidden")
    assert_error(c.call(intake.petition, "unit.register",
                        {"id": "X-1", "name": "某单位", "level": "other"}), "forbidden")
    assert_error(c.call(intake.office, "unit.get", {"unit": "X-1"}), "not_found")
    listed = result(c.call(intake.office, "problem.list", {}))
    assert listed == {"items": [], "next": None}
