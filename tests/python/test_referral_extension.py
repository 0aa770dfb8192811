"""A target asks for more time on a referral (docs/services/referral.md, "Asking for more
time"), through the real xc-referral and xc-notify: referral.request_extension, its rules and
its refusals; referral.extend grants the open request; referral.decline_extension refuses it
with a reason the target reads in referral.get; the office is told by a stream notice; no one
else reads the request or sends these commands."""

import datetime
import json
import time

import pytest

import xcwire
from conftest import Suite, running_suite
from notify_servers import DEFAULT_RULES

BODY = "discipline-commission"
OTHER = "discipline-other"
WAIT = 15.0


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def refused(reply, code, *words):
    assert reply["type"] == "error", reply
    assert reply["data"]["code"] == code, reply
    for w in words:
        assert w in reply["data"]["message"], (w, reply)
    return reply["data"]["message"]


def wait_for(fn, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "referral", "rectify", "notify"], {
        "office": ("office", "office", {}),
        "body": (BODY, "discipline", {"units": ["*"]}),
        "other": (OTHER, "discipline", {"units": ["*"]}),
        "unit": ("unit-a", "unit", {"units": ["U-A"]}),
    }, {"notify": {"directory": {
        "office-desk": {"name": "市委巡察办", "roles": ["office"], "principal": "office",
                        "channels": {"stream": True}},
        "body": {"name": "市纪委监委", "roles": ["receiving_body"], "principal": BODY,
                 "channels": {"stream": True}}}, "rules": DEFAULT_RULES}})
    yield from running_suite(s)


def lead(s, referral, title="某局长违规收受礼金"):
    got = ok(referral.call(s.office, "referral.create", {
        "kind": "lead", "target": BODY, "title": title, "detail": "详见巡察底稿"}))
    return got["referral"], got["due"]


def later(date, days):
    return (datetime.date.fromisoformat(date) + datetime.timedelta(days=days)).isoformat()


def get(s, referral, rid, signer=None):
    return ok(referral.call(signer or s.office, "referral.get", {"referral": rid}))


def test_ask_grant_ask_again_decline(suite):
    s = suite
    referral = s.client("referral")
    rid, due = lead(s, referral)
    asked = later(due, 30)
    got = ok(referral.call(s.body, "referral.request_extension",
                           {"referral": rid, "due": asked, "reason": "涉及人员较多，需延长核查时间"}))
    assert got == {"referral": rid, "request": 1, "due": asked}
    r = get(s, referral, rid, s.body)
    [req] = r["extension_requests"]
    assert (req["n"], req["due"], req["reason"], req["state"], req["answer"], req["requested_by"]) == \
        (1, asked, "涉及人员较多，需延长核查时间", "open", None, BODY)
    assert req["requested_at"].endswith("Z") or "+" in req["requested_at"], req
    assert r["due"]["date"] == due                     # asking changes nothing yet
    # one open request at a time
    refused(referral.call(s.body, "referral.request_extension",
                          {"referral": rid, "due": later(due, 40), "reason": "再延"}),
            "conflict", f"referral {rid} has an open extension request (to {asked})")
    # the office grants it with referral.extend (the date asked for)
    ok(referral.call(s.office, "referral.extend", {"referral": rid, "due": asked, "reason": "同意延期"}))
    r = get(s, referral, rid, s.body)
    [req] = r["extension_requests"]
    assert req["state"] == "granted"
    assert req["answer"]["decision"] == "granted" and req["answer"]["due"] == asked
    assert req["answer"]["by"] == "office" and req["answer"]["reason"] is None
    assert r["due"]["date"] == asked
    assert [h["data"].get("request") for h in r["history"] if h["action"] == "extended"] == [1]
    # asked again (the first answered): a date after the new due date
    refused(referral.call(s.body, "referral.request_extension",
                          {"referral": rid, "due": asked, "reason": "再延"}),
            "conflict", f"the new due date {asked} is not after {asked}")
    second = later(asked, 20)
    assert ok(referral.call(s.body, "referral.request_extension",
                            {"referral": rid, "due": second, "reason": "仍需补充证据"}))["request"] == 2
    ok(referral.call(s.office, "referral.decline_extension", {"referral": rid, "reason": "已延期一次，请按期反馈"}))
    r = get(s, referral, rid, s.body)
    assert [q["state"] for q in r["extension_requests"]] == ["granted", "declined"]
    answer = r["extension_requests"][1]["answer"]
    assert (answer["decision"], answer["reason"], answer["due"]) == ("declined", "已延期一次，请按期反馈", None)
    assert r["due"]["date"] == asked                   # declined: the due date stays
    assert [h["action"] for h in r["history"]] == ["created", "extension_requested", "extended",
                                                   "extension_requested", "extension_declined"]
    # nothing open to decline now
    refused(referral.call(s.office, "referral.decline_extension", {"referral": rid, "reason": "再拒"}),
            "conflict", f"referral {rid} has no open extension request")


def test_the_rules_of_asking(suite):
    s = suite
    referral = s.client("referral")
    rid, due = lead(s, referral)
    data = {"referral": rid, "due": later(due, 10), "reason": "需延期"}
    # only the target asks
    for who in (s.office, s.other, s.unit):
        refused(referral.call(who, "referral.request_extension", data), "forbidden")
    # a date not after the current due date
    refused(referral.call(s.body, "referral.request_extension", {**data, "due": due}), "conflict",
            f"the new due date {due} is not after {due}")
    # no occurred_on: a request is not loaded from paper
    refused(referral.call(s.body, "referral.request_extension", {**data, "occurred_on": due}), "schema")
    # reason 1-2000 bytes
    refused(referral.call(s.body, "referral.request_extension", {**data, "reason": ""}), "schema")
    refused(referral.call(s.body, "referral.request_extension", {**data, "reason": "长" * 700}), "schema")
    refused(referral.call(s.body, "referral.request_extension", {"referral": 999, "due": data["due"],
                                                                 "reason": "x"}), "not_found")
    # only the office declines
    ok(referral.call(s.body, "referral.request_extension", data))
    for who in (s.body, s.other, s.unit):
        refused(referral.call(who, "referral.decline_extension", {"referral": rid, "reason": "不"}),
                "forbidden")
    # not once disposed; the open request can then still be declined
    ok(referral.call(s.body, "referral.acknowledge", {"referral": rid}))
    ok(referral.call(s.body, "referral.dispose", {"referral": rid, "method": "talk_inquiry"}))
    refused(referral.call(s.office, "referral.extend", {"referral": rid, "due": later(due, 10), "reason": "x"}),
            "conflict", "was disposed")
    ok(referral.call(s.office, "referral.decline_extension", {"referral": rid, "reason": "已处置，无需延期"}))
    refused(referral.call(s.body, "referral.request_extension", data), "conflict",
            f"referral {rid} was disposed")
    # nobody else reads it
    refused(referral.call(s.other, "referral.get", {"referral": rid}), "forbidden")


def test_the_office_is_told_and_the_reason_stays_private(suite):
    s = suite
    referral, notify = s.client("referral"), s.client("notify")
    rid, due = lead(s, referral)
    reason = "REASONMARK 涉案人员在外地"
    ok(referral.call(s.body, "referral.request_extension",
                     {"referral": rid, "due": later(due, 15), "reason": reason}))

    def notices():
        got = ok(notify.call(s.office, "notify.read", {"after": 0, "limit": 100}))["notices"]
        return [n for n in got if n["event"]["type"] == "referral.extension_requested"]
    found = wait_for(notices)
    assert len(found) == 1, found
    n = found[0]
    text = n["subject"] + n["text"]
    assert f"申请延至{later(due, 15)}" in n["subject"], n
    assert f"由{due}延至{later(due, 15)}" in n["text"], n
    assert "REASONMARK" not in text
    # the body (target) has no such notice; the event is an alert without the reason
    body_notices = ok(notify.call(s.body, "notify.read", {"after": 0, "limit": 100}))["notices"]
    assert not [x for x in body_notices if x["event"]["type"] == "referral.extension_requested"]
    events = ok(referral.call(s.office, "events.read", {"after": 0, "limit": 100}))["events"]
    asked = [e for e in events if e["type"] == "referral.extension_requested"]
    assert len(asked) == 1
    _, body = xcwire.open_message(asked[0]["message"].encode("utf-8"), s.registry, event=True)
    assert body["data"]["current_due"] == due and body["data"]["request"] == 1
    assert "reason" not in body["data"]
    # the decline carries the office's reason: the office and the target read it, another body not
    ok(referral.call(s.office, "referral.decline_extension", {"referral": rid, "reason": "DECLINEMARK 不同意"}))
    for who, sees in ((s.office, True), (s.body, True), (s.other, False), (s.unit, False)):
        got = ok(referral.call(who, "events.read", {"after": 0, "limit": 100}))["events"]
        text = "".join(json.dumps(xcwire.open_message(e["message"].encode("utf-8"), s.registry,
                                                      event=True)[1], ensure_ascii=False)
                       for e in got if e.get("message"))
        assert ("DECLINEMARK" in text) == sees, who.iss
        assert "REASONMARK" not in text
