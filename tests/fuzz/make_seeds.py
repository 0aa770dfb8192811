#!/usr/bin/python3
"""make_seeds.py: writes the seed corpora of the libFuzzer targets into tests/fuzz/corpus/.

    /usr/bin/python3 tests/fuzz/make_seeds.py        (from the repository's top; needs nacl)

Deterministic: the same files every run (fixed ids, the fixed key and clock of fuzz.h), so the
corpora change only when this file or a route table does. Each seed is small: a valid message of
every command and query of every service, the configs of config/ and docker/ with and without
policies, and a few broken ones of each kind. The targets read them as fuzz.h describes.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import sys

import nacl.signing

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")

# fuzz.h
SEED = b"xuncha fuzz key: never deployed!"
KID, ISS, AUDIENCE, NOW = "office#fuzz", "office", "intake", 1780000000
assert len(SEED) == 32
KEY = nacl.signing.SigningKey(SEED)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def uuid(n):
    """A fixed version-4 UUID for seed n."""
    h = hashlib.sha256(b"fuzz seed %d" % n).hexdigest()
    return "%s-%s-4%s-8%s-%s" % (h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])


def body(type_, data, n, aud=AUDIENCE, iss=ISS, iat=NOW, exp=NOW + 120, corr=None, **extra):
    b = {"v": 1, "id": uuid(n), "iss": iss, "aud": aud, "iat": iat, "exp": exp, "type": type_,
         "corr": corr, "data": data}
    if exp is None:
        del b["exp"]
    b.update(extra)
    return b


def header(kid=KID, alg="EdDSA", typ="xc+jws"):
    return {"alg": alg, "kid": kid, "typ": typ}


def frame(head, payload, sign=True, tamper=None):
    """The JWS of head and payload (objects or raw bytes), signed with the fixed key."""
    p = b64u(head if isinstance(head, bytes) else compact(head))
    q = b64u(payload if isinstance(payload, bytes) else compact(payload))
    sig = KEY.sign(("%s.%s" % (p, q)).encode()).signature if sign else bytes(64)
    outer = {"protected": p, "payload": q, "signature": b64u(sig)}
    if tamper:
        tamper(outer)
    return compact(outer)


# ------------------------------------------------------------------ valid data of every route

SHA = "9f" * 32
DATA = {
    # intake
    "unit.register": {"id": "unit-001", "name": "市交通运输局", "level": "city_department",
                      "parent": "city"},
    "round.open": {"id": "2026-r1", "name": "2026年第一轮巡察", "kind": "regular",
                   "theme": "整改落实", "prior_round": "2025-r2", "modes": ["cross", "linked"],
                   "audit_ref": "审计-7", "team": "team-1",
                   "targets": [{"unit": "unit-001", "coverage": "main"},
                               {"unit": "unit-002", "coverage": "extended"}],
                   "planned_start": "2026-03-01", "planned_end": "2026-05-31",
                   "date": "2026-02-20"},
    "round.advance": {"round": "2026-r1", "stage": "stationed", "date": "2026-03-02"},
    "problem.report": {"round": "2026-r1", "unit": "unit-001", "category": "governance",
                       "summary": "采购未按规定招标", "detail": "2025年三项采购未公开招标。",
                       "severity": "serious", "source": "inspection_team", "immediate": False,
                       "evidence": [{"file": "minutes.pdf", "sha256": SHA}],
                       "reporter": {"name": "张三", "contact": "13800000000"}},
    "problem.classify": {"problem": 1, "dispositions": [
        {"kind": "lead", "body": "discipline", "note": "移交纪委"},
        {"kind": "feedback", "timeliness": "deadline"},
        {"kind": "handover", "department": "audit-bureau"},
        {"kind": "special_report", "report": "专题报告"}]},
    "problem.merge": {"into": 1, "from": [2, 3]},
    "unit.rename": {"unit": "unit-001", "name": "市交通运输委员会", "occurred_on": "2026-03-01"},
    "unit.merge": {"from": ["unit-001", "unit-002"],
                   "into": {"id": "unit-009", "name": "市交通局", "level": "city_department",
                            "parent": "city"}, "occurred_on": "2026-03-01"},
    "unit.split": {"unit": "unit-009", "into": [{"id": "unit-010", "name": "一局"},
                                                {"id": "unit-011", "name": "二局"}],
                   "successor": "unit-010"},
    "unit.get": {"unit": "unit-001"},
    "unit.list": {"level": "district", "parent": "city", "after": "unit-001", "limit": 10},
    "round.get": {"round": "2026-r1"},
    "round.list": {"stage": "planned", "kind": "special", "after": "2025-r2", "limit": 5},
    "problem.get": {"problem": 1},
    "problem.list": {"round": "2026-r1", "unit": "unit-001", "category": "governance",
                     "source": "petition", "status": "recorded", "after": 0, "limit": 50},
    "intake.stats": {},
    "problem.categories": {},
    "problem.search": {"q": "公车 三资", "round": "2026-r1", "owner": "city", "unit": "unit-001",
                       "category": "governance", "year": 2026, "state": "recorded", "limit": 20, "offset": 0},
    "public.info": {"round": "2026-r1", "unit": "unit-001"},
    "public.report": {"round": "2026-r1", "unit": "unit-001", "text": "村口路灯坏了\n三个月没人修。",
                      "code_hash": "A" * 43,
                      "contact_sealed": {"epk": "B" * 43, "nonce": "C" * 32, "box": "D" * 40},
                      "evidence": [{"file": "路灯.jpg", "sha256": SHA}]},
    "public.status": {"code_hash": "A" * 43},
    "public.answer": {"code_hash": "A" * 43, "question": 1, "text": "东侧三盏",
                      "evidence": [{"file": "照片.png", "sha256": SHA}]},
    "problem.ask": {"problem": 1, "text": "请问是哪几盏路灯？"},
    "problem.contact": {"problem": 1},
    # evidence files (intake, rectify and referral alike: common/files.h)
    "file.begin": {"name": "现场照片.jpg", "size": 4096, "sha256": "ab" * 32},
    "file.append": {"upload": "0190b0a2-7c3e-7000-8000-000000000001", "offset": 0, "data": "/9j/4AAQ"},
    "file.status": {"upload": "0190b0a2-7c3e-7000-8000-000000000001"},
    "file.read": {"sha256": "ab" * 32, "offset": 0},
    "file.check": {},
    # referral
    "referral.create": {"kind": "lead", "target": "discipline", "title": "线索",
                        "detail": "问题线索详情", "problem": 1},
    "referral.acknowledge": {"referral": 1},
    "referral.dispose": {"referral": 1, "method": "talk_inquiry", "note": "谈话函询"},
    "referral.outcome": {"referral": 1, "case_filed": True, "party_sanctions": 1,
                         "administrative_sanctions": 0, "organizational_handling": 2,
                         "detentions": 0, "prosecution_transfers": 0, "note": "结案"},
    "referral.reopen": {"referral": 1, "reason": "新情况"},
    "referral.conclude": {"referral": 1, "note": "办结"},
    "referral.extend": {"referral": 1, "due": "2026-09-30", "reason": "案情复杂"},
    "referral.sign": {"referral": 1, "leader": {"name": "张三", "title": "副书记"},
                      "occurred_on": "2026-06-01"},
    "referral.get": {"referral": 1},
    "referral.list": {"kind": "lead", "target": "discipline", "state": "referred",
                      "overdue": False, "after": 0, "limit": 20},
    "referral.stats": {},
    "referral.outcome_kinds": {},
    "referral.request_extension": {"referral": 1, "due": "2026-10-31", "reason": "需补充调查"},
    "referral.decline_extension": {"referral": 1, "reason": "期限已够"},
    # rectify
    "rectify.plan": {"item": 1, "measures": [{"text": "建立采购制度", "owner": "办公室",
                                              "lead_leader": "王五", "deadline": "2026-07-01"}],
                     "note": "整改方案"},
    "rectify.progress": {"item": 1, "note": "已完成一项", "measures_done": [1]},
    "rectify.claim": {"item": 1, "completion": "completed",
                      "evidence": [{"file": "report.pdf", "sha256": SHA}],
                      "outcomes": {"institutional_measures": 3, "money_recovered_fen": 100000,
                                   "money_written_off_fen": 0, "public_concern_resolved": True},
                      "note": "整改完成"},
    "rectify.review": {"item": 1, "decision": "reject", "reason": "证据不足"},
    "rectify.extend": {"item": 1, "due": "2026-08-01", "reason": "客观原因",
                       "deadline": "measure", "measure": 1},
    "rectify.regime": {"round": "2026-r1", "regime": "2024"},
    "rectify.interview": {"round": "2026-r1", "unit": "unit-001",
                          "interviewee": {"name": "李四", "title": "局长"}, "by": "巡察组",
                          "note": "约谈", "occurred_on": "2026-08-01"},
    "rectify.revisit": {"round": "2026-r1", "unit": "unit-001", "date": "2026-09-01",
                        "kinds": ["return_visit", "special_check"], "note": "回访"},
    "rectify.evaluate": {"round": "2026-r1", "unit": "unit-001",
                         "parts": {"leadership": 90, "responsibility": 80,
                                   "task_completion": 70, "satisfaction": 60},
                         "principal_leader": {"name": "李四", "title": "局长"}, "note": "评估"},
    "rectify.get": {"item": 1},
    "rectify.list": {"round": "2026-r1", "unit": "unit-001", "state": "opened",
                     "class": "deadline", "overdue": True, "after": 0, "limit": 100},
    "rectify.export": {"list": "problems", "round": "2026-r1", "unit": "unit-001", "after": 0,
                       "limit": 100},
    "rectify.round": {"round": "2026-r1"},
    "rectify.stats": {"round": "2026-r1", "unit": "unit-001", "from": "2026-01-01",
                      "to": "2026-12-31"},
    "document.issue": {"kind": "rectify_notice", "round": "2026-r1", "unit": "unit-001", "title": "整改通知书",
                       "recipient": "中共市交通运输局党组",
                       "sources": [{"service": "rectify", "seq": 1, "hash": "ab" * 32}],
                       "content_sha256": "cd" * 32},
    "document.get": {"document": 1},
    "document.list": {"round": "2026-r1", "unit": "unit-001", "kind": "feedback", "year": 2026, "after": 0,
                      "limit": 100},
    "document.kinds": {"round": "2026-r1"},
    # notify
    "notify.ack": {"deliveries": [1, 2, 3]},
    "notify.read": {"after": 0, "limit": 100},
    "notify.list": {"recipient": "office", "type": "rectify.overdue", "state": "sent",
                    "channel": "stream", "after": 0, "limit": 10},
    "notify.get": {"delivery": 1},
    "notify.stats": {},
}

# data every schema refuses, in one way or another (the first byte picks the route)
BROKEN_DATA = [
    b'{"unknown": 1}',
    b'{"item": "1", "limit": 1.5, "after": -1}',
    b'{"item": 9223372036854775807, "referral": 0, "problem": -9223372036854775808}',
    b'{"limit": 100000000000000000000000}',
    b'{"date": "2026-02-30", "due": "2026-13-01", "from": "0000-00-00", "to": "2026-1-1"}',
    b'{"round": "\'; DROP TABLE rounds; --", "unit": "a b"}',
    b'{"text": "\\u0000", "note": "\\ud800"}',
    b'{"targets": [], "measures": [{}], "evidence": [{"file": "", "sha256": "x"}]}',
    b'{"a": {"b": {"c": {"d": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}}}}',
    b'{"id": "x", "id": "y"}',
    b'{"parts": {"leadership": 101}, "kinds": ["return_visit", "return_visit", "x"]}',
    b'[]',
    b'{"deliveries": [0, 1e3, null, true]}',
]


def route_types(service):
    """The types of services/<service>/routes.c, in table order (data[0] picks one)."""
    text = open(os.path.join(TOP, "services", service, "routes.c"), encoding="utf-8").read()
    table = text[text.index("s_routes[] = {"):]
    return re.findall(r'\{ "([a-z0-9_.]+)", XC_(?:COMMAND|QUERY)', table[:table.index("};")])


# ------------------------------------------------------------------ configs

def read(path):
    return open(os.path.join(TOP, path), "rb").read()


LOCAL = json.loads(read("config/local.json"))

POLICIES = {
    "intake": {"categories": [{"id": "governance", "name": "全面从严治党"},
                              {"id": "finance", "name": "财经纪律"}],
               "severities": ["general", "serious"], "report_due": "20 workdays",
               "event_roles": ["office", "service"], "restricted_roles": ["office"],
               "restricted_principals": ["referral"]},
    "referral": {"due": {"lead": "3 months", "handover": "60 days", "report": "1 month"},
                 "warn_days": [20, 10, 5]},
    "rectify": {"regimes": {"2030": {"plan_due": "10 workdays", "report_due": "20 workdays"}},
                "default_regime": "2030", "immediate_due": "15 days",
                "warnings": [{"colour": "green", "days_left": 20},
                             {"colour": "red", "days_left": 3}],
                "escalation": {"every_days": 5, "steps": ["reminder", "warning"]},
                "revisit_after": "3 months",
                "weights": {"leadership": 25, "responsibility": 25, "task_completion": 40,
                            "satisfaction": 10},
                "grades": [{"grade": "good", "min": 85}, {"grade": "poor", "min": 0}],
                "interview": {"below": 60, "lowest": 2}},
    "notify": {"directory": {
                   "office": {"name": "市委巡察办", "roles": ["office", "office_leadership"],
                              "principal": "office", "channels": {"stream": True}},
                   "unit-001": {"name": "市交通运输局", "roles": ["party_secretary", "officer"],
                                "units": ["unit-001"],
                                "channels": {"email": "jt@example.org",
                                             "webhook": "http://127.0.0.1:9/hook"},
                                "digest": {"at": "08:30"}}},
               "rules": [{"id": "overdue", "events": ["rectify.overdue", "referral.*"],
                          "when": {"colour": ["red", 3]}, "to": ["role:office", "owners|target"],
                          "channels": ["stream", "email"],
                          "resend": {"after_seconds": 3600, "times": 3}}],
               "templates": {"rectify.overdue": {"subject": "逾期 {item}",
                                                 "text": "{recipient}: {unit_name}"}},
               "retry": {"max_attempts": 3, "backoff_ms": 500, "backoff_max_ms": 60000,
                         "timeout_ms": 2000},
               "email": {"smtp": "smtp://127.0.0.1:2525", "from": "xuncha@example.org"},
               "sources": ["intake", "rectify"], "labels": {"reminder": "提醒"}},
}


def config_with(**changes):
    c = json.loads(json.dumps(LOCAL))
    c.update(changes)
    return c


BROKEN_CONFIGS = [
    config_with(utc_offset="+14:30"),
    config_with(limits={"max_message_bytes": 100, "tick_ms": 5}),
    config_with(services={}),
    config_with(curve=True),
    config_with(unknown_key=1),
    config_with(services={"Bad_Name": {"api": "http://x", "database": "d", "key": "k"}}),
    config_with(services={"echo": {"api": "tcp://a:1", "events_bind": "tcp://b:2",
                                   "database": "d", "key": "k"}}),
    config_with(policies={"rectify": {"weights": {"leadership": 50, "responsibility": 50,
                                                  "task_completion": 50, "satisfaction": 0}},
                          "referral": {"warn_days": [10, 10]},
                          "intake": {"categories": [{"id": "a", "name": "a"},
                                                    {"id": "a", "name": "b"}]},
                          "notify": {"directory": {}, "sources": ["nowhere"]}}),
    config_with(policies={"rectify": {"grades": [{"grade": "a", "min": 10}],
                                      "regimes": {"r%d" % i: {"plan_due": "1 day",
                                                              "report_due": "0 days"}
                                                  for i in range(7)}},
                          "notify": {"directory": {"x y": {"name": "n", "channels": {}}},
                                     "rules": [{"id": "a", "events": ["*"], "to": ["role:"]}]}}),
    config_with(policies={"intake": {"severities": ["general", "general"]},
                          "rectify": {"warnings": [{"colour": "g", "days_left": 5},
                                                   {"colour": "y", "days_left": 5}]}}),
    config_with(policies={"rectify": {"grades": [{"grade": "a", "min": 50},
                                                 {"grade": "b", "min": 60},
                                                 {"grade": "c", "min": 0}]},
                          "notify": {"directory": {"a": {"name": "n", "channels": {"stream": True}}}}}),
    config_with(policies={"notify": {"directory": {"a": {"name": "n\nBcc: x", "channels": {}}}}}),
    config_with(policies={"notify": {"directory": {"a": {"name": "n", "channels": {},
                                                         "digest": {"at": "24:00"}}}}}),
    config_with(policies={"notify": {"directory": {},
                                     "rules": [{"id": "a", "events": ["*"], "to": ["target"]},
                                               {"id": "a", "events": ["*"], "to": ["owners"]}]}}),
    config_with(policies={"notify": {"directory": {},
                                     "rules": [{"id": "a", "events": ["*"], "to": ["target"],
                                                "when": {"colour": [True, None]}}]}}),
]


# ------------------------------------------------------------------ writing

def write(target, name, content):
    folder = os.path.join(OUT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(content)


# Seeds written by hand, not by this script: kept when the corpora are written again.
HAND_MADE = ["json", "filetype", "search_match"]


def main():
    services = ["intake", "referral", "rectify", "notify"]
    # checked before anything is removed: a route without data would leave the corpora half written
    missing = [t for service in services for t in route_types(service) if t not in DATA]
    if missing:
        sys.exit("make_seeds.py: no data for %s" % ", ".join(missing))
    if os.path.isdir(OUT):
        for target in os.listdir(OUT):
            if target not in HAND_MADE:
                shutil.rmtree(os.path.join(OUT, target))
    n = 0

    # the command decoders: every route's valid data, then the broken data on every route
    for service in services:
        types = route_types(service)
        for i, t in enumerate(types):
            write("decode_" + service, t, bytes([i]) + compact(DATA[t]))
        for k, raw in enumerate(BROKEN_DATA):
            write("decode_" + service, "broken-%02d" % k, bytes([k % len(types)]) + raw)

    # frames: every route's data in a signed message for intake (the verifier's audience)
    frames, bodies = {}, {}
    for service in services:
        for t in route_types(service):
            n += 1
            b = body(t, DATA[t], n)
            frames["ok-" + t] = frame(header(), b)
            bodies["ok-" + t] = b"\x00" + compact(b)
    n += 1
    frames["ok-health"] = frame(header(), body("health", {}, n))
    frames["ok-events.read"] = frame(header(alg="Ed25519"),
                                     body("events.read", {"after": 0, "limit": 100}, n + 1))
    ev = body("rectify.overdue", {"item": 1, "due": "2026-05-01"}, n + 2, aud="*", exp=None,
              corr=uuid(1))
    frames["ok-stored-event"] = frame(header(), ev)
    bodies["ok-stored-event"] = b"\x01" + compact(ev)
    n += 3

    def hostile(name, head, b, **kw):
        frames[name] = frame(head, b, **kw)

    def tamper_payload(o):
        """The signature of the body as sent, over another body: a changed summary."""
        changed = body("problem.report", dict(DATA["problem.report"], summary="无问题"), 900)
        o["payload"] = b64u(compact(changed))

    base = lambda **kw: body("problem.report", DATA["problem.report"], 900, **kw)
    hostile("alg-none", header(alg="none"), base())
    hostile("alg-hs256", header(alg="HS256"), base())
    hostile("typ-jwt", header(typ="JWT"), base())
    hostile("kid-unknown", header(kid="stranger#1"), base())
    hostile("kid-expired", header(kid="office#old"), base())
    hostile("kid-not-yet", header(kid="office#next"), base())
    hostile("kid-revoked", header(kid="gone#1"), base(iss="gone"))
    hostile("kid-other-issuer", header(kid="gone#1"), base())
    hostile("tampered-payload", header(), base(), tamper=tamper_payload)
    hostile("unsigned", header(), base(), sign=False)
    hostile("wrong-audience", header(), base(aud="rectify"))
    hostile("audience-star", header(), base(aud="*"))
    hostile("expired", header(), base(iat=NOW - 400, exp=NOW - 10))
    hostile("iat-skew", header(), base(iat=NOW + 1000, exp=NOW + 1100))
    hostile("lifetime", header(), base(exp=NOW + 7200))
    hostile("exp-before-iat", header(), base(exp=NOW - 1))
    hostile("no-exp", header(), base(exp=None))
    hostile("corr-bad", header(), base(corr="not-a-uuid"))
    hostile("corr-uuid", header(), base(corr=uuid(2)))
    hostile("type-upper", header(), body("Problem.Report", {}, 901))
    hostile("v2", header(), dict(base(), v=2))
    hostile("extra-member", header(), base(extra=1))
    hostile("huge-real", header(), compact(base())[:-1] + b',"x":1e400}')
    hostile("huge-iat", header(), compact(base()).replace(b'"iat":%d' % NOW, b'"iat":99999999999999999999'))
    hostile("dup-body", header(), compact(base())[:-1] + b',"iss":"office"}')
    hostile("dup-data", header(), compact(body("unit.get", {}, 902))
            .replace(b'"data":{}', b'"data":{"unit":"a","unit":"b"}'))
    hostile("dup-header", compact(header())[:-1] + b',"alg":"EdDSA"}', base())
    hostile("nul-in-string", header(), compact(base()).replace(b"unit-001", b"unit\\u0000"))
    hostile("bad-utf8", header(), compact(base()).replace("张三".encode(), b"\xc3\x28\xff"))
    hostile("deep-nesting", header(), compact(body("unit.get", {}, 903))
            .replace(b'"data":{}', b'"data":{"a":' + b"[" * 3000 + b"]" * 3000 + b"}"))
    hostile("sql", header(), body("unit.get", {"unit": "x'; DROP TABLE units; --"}, 904))
    frames["not-json"] = b"\x00\xff garbage"
    frames["array"] = b"[1,2,3]"
    frames["outer-extra"] = frame(header(), base())[:-1] + b',"x":"y"}'
    frames["outer-dup"] = frame(header(), base())[:-1] + b',"signature":"AA"}'
    frames["b64-padding"] = frame(header(), base(), tamper=lambda o: o.update(protected=o["protected"] + "="))
    frames["b64-space"] = frame(header(), base(), tamper=lambda o: o.update(payload=" " + o["payload"]))
    frames["sig-short"] = frame(header(), base(), tamper=lambda o: o.update(signature=o["signature"][:-3]))
    for name, content in frames.items():
        write("envelope", name, content)
        write("verify", name, content)

    # bodies to sign (verify_signed): flags byte, then the payload, or header NUL payload
    for name, content in bodies.items():
        write("verify_signed", name, content)
    for name, head in [("hdr-none", header(alg="none")), ("hdr-old", header(kid="office#old")),
                       ("hdr-gone", header(kid="gone#1")), ("hdr-typ", header(typ="jose")),
                       ("hdr-extra", dict(header(), crit=["b64"]))]:
        write("verify_signed", name, b"\x02" + compact(head) + b"\x00" + compact(base()))
    raw = compact(base())
    for name, b in [("expired", compact(base(iat=NOW - 400, exp=NOW - 10))),
                    ("aud-star", compact(base(aud="*"))),
                    ("lifetime", compact(base(exp=NOW + 3601))),
                    ("no-exp", compact(base(exp=None))),
                    ("huge-exp", raw.replace(b'"exp":%d' % (NOW + 120), b'"exp":9223372036854775807')),
                    ("min-iat", raw.replace(b'"iat":%d' % NOW, b'"iat":-9223372036854775808')),
                    ("real-iat", raw.replace(b'"iat":%d' % NOW, b'"iat":1e30')),
                    # iat < exp <= iat + 3600 near INT64_MIN: "expired" once overflowed now - exp
                    ("exp-min", compact(base(iat=-2**63, exp=-2**63 + 8)))]:
        assert b != raw
        write("verify_signed", "body-" + name, b"\x00" + b)
    # bit 2: iat and exp from the input's last 6 bytes: a base (0: INT64_MIN .. 4: NOW .. 7:
    # INT64_MAX), a signed 32-bit offset from it, exp - iat as a signed byte
    times = lambda base, offset, delta: (bytes([base]) + offset.to_bytes(4, "little", signed=True)
                                         + delta.to_bytes(1, "little", signed=True))
    write("verify_signed", "times-now", b"\x04" + raw + times(4, 0, 120))
    write("verify_signed", "times-stored", b"\x05" + raw + times(4, -86400, 1))
    write("verify_signed", "times-header", b"\x06" + compact(header(alg="Ed25519")) + b"\x00" + raw
          + times(4, 300, 127))
    write("verify_signed", "times-max", b"\x04" + raw + times(6, 100, 100))
    write("verify_signed", "stored-old-key",
          b"\x03" + compact(header(kid="office#old")) + b"\x00"
          + compact(body("rectify.opened", {"item": 1}, 905, aud="*", exp=None,
                         iat=1600000000)))

    # the gateway's decisions (gateway_fuzz.c): settings, method, url, Content-Type,
    # Content-Length, then a body that is also read as a reply
    jose = "application/jose+json"

    def gw(name, method, url, ctype=jose, length=None, payload=b"", settings=0):
        head = "%s\n%s\n%s\n%s\n" % (method, url, ctype, len(payload) if length is None else length)
        write("gateway", name, bytes([settings]) + head.encode() + payload)

    for k, service in enumerate(services):
        b = body("health", {}, 950 + k, aud=service)
        gw("post-" + service, "POST", "/v1/" + service, payload=frame(header(), b), settings=k)
        gw("hints-" + service, "GET", "/v1/events/%s/hints" % service)
    gw("post-params", "POST", "/v1/intake", ctype="Application/JOSE+JSON; charset=utf-8",
       payload=frames["ok-problem.report"])
    gw("post-mismatch", "POST", "/v1/referral", payload=frames["ok-problem.report"])
    gw("post-no-id", "POST", "/v1/intake", payload=frame(header(), {"aud": "intake"}))
    gw("post-too-big", "POST", "/v1/intake", length=99999, payload=frames["ok-problem.report"])
    gw("post-small-limit", "POST", "/v1/intake", payload=frames["ok-problem.report"], settings=4)
    gw("post-no-type", "POST", "/v1/intake", payload=b"{}", settings=8 | 16)
    gw("post-json", "POST", "/v1/intake", ctype="application/json", payload=b"{}")
    gw("post-unknown", "POST", "/v1/bank", payload=b"{}")
    gw("post-path", "POST", "/v1/intake/x", payload=b"{}")
    gw("put-service", "PUT", "/v1/intake")
    gw("post-keys", "POST", "/v1/keys")
    for route in ["/healthz", "/v1/directory", "/v1/keys", "/metrics", "/", "/v1/events/x/hints"]:
        gw("get" + route.replace("/", "-"), "GET", route)
    gw("head-healthz", "HEAD", "/healthz")
    # the public channel (settings 32: on): its bodies, read by public.c
    pub = [("report", {"round": "R-1", "unit": "U-A", "text": "路灯坏了", "code": "0123456789012345",
                       "contact_sealed": {"epk": "AA==", "nonce": "AA==", "box": "AA=="},
                       "evidence": [{"file": "a.jpg", "sha256": "0" * 64}],
                       "pow": {"challenge": "x1.1800000000.18." + "0" * 32 + "." + "0" * 32, "nonce": "7"}}),
           ("receipt", {"code": "0123456789012345", "pow": {"challenge": "c", "nonce": "1"}}),
           ("answer", {"code": "0123456789012345", "question": 1, "text": "是的",
                       "pow": {"challenge": "c", "nonce": "1"}}),
           ("files", {"op": "append", "upload": "u-1", "offset": 0, "data": "AAAA"})]
    for name, doc in pub:
        gw("public-" + name, "POST", "/v1/public/" + name, ctype="application/json",
           payload=json.dumps(doc, ensure_ascii=False).encode(), settings=32)
    for name in ("pow", "info", "qr"):
        gw("public-get-" + name, "GET", "/v1/public/" + name, settings=32)
    # replies: an ack, a result, each error code, and a frame with no corr
    corr = uuid(960)
    replies = [("ack", {}), ("result", {"items": []})] + [
        ("error", {"code": c}) for c in ["schema", "forbidden", "busy", "unavailable", "replayed",
                                         "bad_signature", "too_large", "not_found", "tomorrow"]]
    for k, (t, d) in enumerate(replies):
        b = body(t, d, 961 + k, aud=ISS, iss="intake", corr=corr)
        gw("reply-%02d-%s" % (k, d.get("code", t)), "GET", "/", payload=frame(header(), b))
    gw("reply-no-corr", "GET", "/", payload=frame(header(), body("ack", {}, 990, aud=ISS)))

    # configs
    write("config", "local.json", read("config/local.json"))
    write("config", "docker-deploy.json", read("docker/deploy.json"))
    full = config_with(policies=POLICIES, limits={"max_message_bytes": 65536,
                                                  "clock_skew_seconds": 60,
                                                  "max_lifetime_seconds": 600,
                                                  "heartbeat_ms": 500, "tick_ms": 100,
                                                  "batch_max": 64,
                                                  "request_timeout_ms": 2000,
                                                  "pull_ms": 200})
    write("config", "local-all-policies.json", json.dumps(full, ensure_ascii=False,
                                                          indent=1).encode())
    for service, policy in POLICIES.items():
        write("config", "policy-%s.json" % service,
              compact(config_with(policies={service: policy})))
    for k, c in enumerate(BROKEN_CONFIGS):
        write("config", "broken-%02d.json" % k, compact(c))
    write("config", "broken-dup.json", b'{"deployment": "a", "deployment": "b"}')
    write("config", "broken-not-json.json", b'{"deployment": ')
    write("config", "broken-array.json", b"[]")


if __name__ == "__main__":
    main()
