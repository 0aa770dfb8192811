"""The public channel (码上巡) in intake (issue 24), over the wire against a real xc-intake.

A Python client signs as the `public` principal the way the gateway will: the receipt code's
Argon2id hash (libsodium crypto_pwhash through PyNaCl) as code_hash, the envelope id a UUID
from the hash's first 16 bytes, and the contact sealed with nacl.box (PyNaCl) to the sealing
key intake gives in public.info. One running intake for the whole file (the failed-lookup
pause runs last, and moves the clock past its end); one more for the policy that lets the
team open the contact.
"""

import datetime
import hashlib
import json
import os
import sqlite3
import subprocess
import time
import uuid

import nacl.pwhash
import nacl.utils
import pytest
from nacl.public import Box, PrivateKey, PublicKey

import xcwire
from conftest import Suite, running_suite

PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "team2": ("team-2", "team", {}),
    "dist": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("qingshan-office", "district", {"district": "D-B"}),
    "public": ("public", "public", {}),
    "unit": ("unit-qs", "unit", {"units": ["A-T"]}),
    "dept": ("dept-edu", "department", {}),
}
POLICY = {"intake": {"public": {"daily_limit": 3, "failed_lookups_per_minute": 5,
                                "lockout_seconds": 120}}}
SALT = hashlib.sha256(b"xuncha receipt pytest").digest()[:16]
TEXT = "村口路灯坏了三个月没人修\n晚上孩子放学回家很不安全，多次向村委会反映无果。😟"
CONTACT = {"name": "欧阳明月", "phone": "13912345678"}
TIMES = {}


def ack(reply):
    assert reply["type"] == "ack", reply
    return reply["data"]["result"]


def result(reply):
    assert reply["type"] == "result", reply
    return reply["data"]


def refused(reply, code, *words):
    assert reply["type"] == "error", reply
    assert reply["data"]["code"] == code, reply
    for w in words:
        assert w in reply["data"]["message"], (w, reply)


def code_hash(code):
    """What the gateway sends for a 16-digit code: base64url of Argon2id(code, salt)."""
    t = time.monotonic()
    raw = nacl.pwhash.argon2id.kdf(32, code.encode("ascii"), SALT,
                                   opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                                   memlimit=16 * 1024 * 1024)
    TIMES.setdefault("pwhash", []).append(time.monotonic() - t)
    return xcwire.b64u(raw)


def new_code():
    return "".join(str(b % 10) for b in os.urandom(16))


def envelope_id(hashed):
    return str(uuid.UUID(bytes=xcwire.unb64u(hashed)[:16]))


def seal_contact(sealing_key, contact):
    eph = PrivateKey.generate()
    nonce = nacl.utils.random(24)
    box = Box(eph, PublicKey(xcwire.unb64u(sealing_key))).encrypt(
        json.dumps(contact, ensure_ascii=False).encode("utf-8"), nonce).ciphertext
    return {"epk": xcwire.b64u(bytes(eph.public_key)), "nonce": xcwire.b64u(nonce), "box": xcwire.b64u(box)}


class World:
    pass


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    s = Suite(str(tmp_path_factory.mktemp("public")), ["intake"], PRINCIPALS, policies=POLICY)
    for x in running_suite(s):
        yield make_world(s)


def make_world(s):
    w = World()
    w.s = s
    w.c = c = s.client("intake")
    today = datetime.date.today()
    w.day = day = lambda n: str(today + datetime.timedelta(days=n))
    for data in ({"id": "D-A", "name": "云溪区", "level": "district"},
                 {"id": "D-B", "name": "青山区", "level": "district"},
                 {"id": "A-T", "name": "云溪区青石镇", "level": "town", "parent": "D-A"},
                 {"id": "A-V", "name": "青石镇东村", "level": "village", "parent": "A-T"}):
        ack(c.call(s.office, "unit.register", data))

    def round_(rid, team, targets, stages, signer=None, **extra):
        ack(c.call(signer or s.office, "round.open", {
            "id": rid, "name": f"第{rid}轮巡察", "kind": "regular", "team": team,
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": day(-30), "planned_end": day(30), "date": day(-30), **extra}))
        for stage, n in stages:
            ack(c.call(signer or s.office, "round.advance", {"round": rid, "stage": stage, "date": day(n)}))

    round_("R1", "team-1", ["A-T", "A-V"], [("stationed", -20)])
    round_("R2", "team-2", ["A-T"], [("stationed", -20)], signer=s.dist, owner="D-A")
    round_("R-LIM", "team-1", ["A-T"], [("stationed", -20)])
    round_("R-PLAN", "team-1", ["A-T"], [])                       # planned: not open
    w.info = result(c.call(s.public, "public.info", {"round": "R1", "unit": "A-T"}))
    return w


def report(w, code=None, round_="R1", unit="A-T", text=TEXT, contact=None, **extra):
    """public.report as the gateway sends it: (reply, code, code_hash, data)."""
    code = code or new_code()
    hashed = code_hash(code)
    data = {"round": round_, "unit": unit, "text": text, "code_hash": hashed, **extra}
    if contact:
        data["contact_sealed"] = seal_contact(w.info["sealing_key"], contact)
    t = time.monotonic()
    reply = w.c.call(w.s.public, "public.report", data, id_=envelope_id(hashed))
    TIMES.setdefault("report", []).append(time.monotonic() - t)
    return reply, code, hashed, data


def store_bytes(w):
    """The intake store's bytes, its WAL's too (a fresh write may not be checkpointed yet)."""
    out = b""
    for suffix in ("", "-wal"):
        try:
            with open(os.path.join(w.s.folder, "intake.db" + suffix), "rb") as f:
                out += f.read()
        except FileNotFoundError:
            pass
    return out


def events(w):
    out = []
    for e in result(w.c.call(w.s.office, "events.read", {"after": 0, "limit": 500}))["events"]:
        _, body = xcwire.open_message(e["message"].encode("utf-8"), w.s.registry, event=True)
        out.append((e["type"], body["data"]))
    return out


# --- the tests -------------------------------------------------------------------------------

def test_info_says_what_the_page_shows(w):
    info = w.info
    assert info["round"] == {"id": "R1", "name": "第R1轮巡察", "owner": info["round"]["owner"],
                             "planned_start": w.day(-30), "planned_end": w.day(30)}
    assert info["unit"] == {"id": "A-T", "name": "云溪区青石镇"}
    assert info["open"] is True and info["until"] == w.day(30)
    assert len(info["steps"]) >= 3 and all("巡察" in t or "回执" in t or "办结" in t for t in info["steps"])
    assert "只有巡察办" in info["contact_notice"]
    assert len(xcwire.unb64u(info["sealing_key"])) == 32
    assert info["limits"]["text_bytes"] == 4000 and info["limits"]["files"] == 5
    # the same key every time (derived from the secret), and for the office too
    assert result(w.c.call(w.s.office, "public.info", {"round": "R1"}))["sealing_key"] == info["sealing_key"]
    assert result(w.c.call(w.s.office, "public.info", {"round": "R1"}))["unit"] is None
    assert result(w.c.call(w.s.public, "public.info", {"round": "R-PLAN"}))["open"] is False
    refused(w.c.call(w.s.public, "public.info", {"round": "R-NONE"}), "not_found")
    refused(w.c.call(w.s.public, "public.info", {"round": "R1", "unit": "D-B"}), "not_found", "not a target")
    for signer in (w.s.unit, w.s.dept):
        refused(w.c.call(signer, "public.info", {"round": "R1"}), "forbidden")


def test_report_receipt_and_duplicate(w):
    evidence = [{"file": "路灯.jpg", "sha256": "ab" * 32}]
    reply, code, hashed, data = report(w, contact=CONTACT, evidence=evidence)
    got = ack(reply)
    assert set(got) == {"problem", "round", "unit", "received_at", "sha256"}
    assert got["round"] == "R1" and got["unit"] == "A-T"
    canonical = json.dumps({"contact_sealed": data["contact_sealed"], "evidence": ["ab" * 32], "text": TEXT},
                           ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert got["sha256"] == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    # resent with the same code (the same envelope id): duplicate, the first result, one problem
    again = w.c.call(w.s.public, "public.report", data, id_=envelope_id(hashed))
    assert again["type"] == "ack" and again["data"] == {"status": "duplicate", "result": got}
    # another envelope with the same code_hash: refused, nothing stored
    refused(w.c.call(w.s.public, "public.report", data), "conflict", "receipt code")
    listed = result(w.c.call(w.s.office, "problem.list", {"round": "R1", "source": "public"}))["items"]
    assert [p["id"] for p in listed] == [got["problem"]]

    p = result(w.c.call(w.s.office, "problem.get", {"problem": got["problem"]}))
    assert p["source"] == "public" and p["reported_by"] == "public" and p["detail"] == TEXT
    assert p["summary"] == TEXT.split("\n")[0]
    assert p["category"] == "public_concerns" and p["severity"] == "general"
    assert p["evidence"] == evidence and p["has_reporter"] is False
    assert p["public"] == {"received_at": got["received_at"], "has_contact": True}
    assert p["questions"] == []
    # the code is nowhere in the store, nor the contact in plain
    db = store_bytes(w)
    assert "群众反映".encode("utf-8") in db or TEXT.encode("utf-8") in db   # the scan sees text
    for secret in (code, CONTACT["phone"], CONTACT["name"]):
        assert secret.encode("utf-8") not in db
    w.main = (code, hashed, got)

    # the public reads nothing else: not the problem it carried, nor lists, units, categories
    for type_, d in (("problem.get", {"problem": got["problem"]}), ("problem.list", {}),
                     ("unit.list", {}), ("problem.categories", {}), ("round.get", {"round": "R1"}),
                     ("problem.report", {"unit": "A-T", "category": "public_concerns", "summary": "x",
                                         "detail": "x", "severity": "general", "source": "public"})):
        refused(w.c.call(w.s.public, type_, d), "forbidden")


def test_status_follows_the_problem(w):
    code, hashed, got = w.main
    st = result(w.c.call(w.s.public, "public.status", {"code_hash": hashed}))
    assert st == {"problem": got["problem"], "received_at": got["received_at"], "state": "received",
                  "questions": []}
    ack(w.c.call(w.s.office, "problem.classify", {"problem": got["problem"], "dispositions": [
        {"kind": "feedback", "timeliness": "deadline"}]}))
    assert result(w.c.call(w.s.public, "public.status", {"code_hash": hashed}))["state"] == "handling"
    # a team asks; the public sees it and answers once
    q = ack(w.c.call(w.s.team, "problem.ask", {"problem": got["problem"], "text": "请问是哪几盏路灯？"}))["question"]
    st = result(w.c.call(w.s.public, "public.status", {"code_hash": hashed}))
    assert [(x["id"], x["text"]) for x in st["questions"]] == [(q, "请问是哪几盏路灯？")]
    assert "answer" not in st["questions"][0] and "asked_by" not in st["questions"][0]
    ans = ack(w.c.call(w.s.public, "public.answer", {"code_hash": hashed, "question": q, "text": "村口东侧三盏"}))
    assert ans["question"] == q
    refused(w.c.call(w.s.public, "public.answer", {"code_hash": hashed, "question": q, "text": "再答一次"}),
            "conflict", "answered")
    refused(w.c.call(w.s.public, "public.answer", {"code_hash": hashed, "question": q + 100, "text": "无"}),
            "not_found")
    p = result(w.c.call(w.s.team, "problem.get", {"problem": got["problem"]}))
    assert p["questions"][0]["answer"] == "村口东侧三盏" and p["questions"][0]["asked_by"] == "team-1"
    # who may ask: the office, the round's team; not another team, a district not owning R1
    ack(w.c.call(w.s.office, "problem.ask", {"problem": got["problem"], "text": "办公室补充提问"}))
    refused(w.c.call(w.s.team2, "problem.ask", {"problem": got["problem"], "text": "越权"}), "forbidden")
    refused(w.c.call(w.s.dist, "problem.ask", {"problem": got["problem"], "text": "越权"}), "forbidden")
    for signer in (w.s.public, w.s.unit, w.s.dept):
        refused(w.c.call(signer, "problem.ask", {"problem": got["problem"], "text": "越权"}), "forbidden")
    # feedback delivered: finished
    for stage, n in (("withdrawn", -10), ("reported", -5), ("feedback_delivered", 0)):
        ack(w.c.call(w.s.office, "round.advance", {"round": "R1", "stage": stage, "date": w.day(n)}))
    st = result(w.c.call(w.s.public, "public.status", {"code_hash": hashed}))
    assert st["state"] == "finished" and st["feedback"]["on"] == w.day(0) and "反馈" in st["feedback"]["text"]
    assert [x["answer"] for x in st["questions"] if "answer" in x] == ["村口东侧三盏"]
    types = [t for t, _ in events(w)]
    assert types.count("problem.asked") == 2 and types.count("problem.answered") == 1
    # restricted: a team reading events (when allowed at all) does not see them; the office does
    asked = [d for t, d in events(w) if t == "problem.asked"]
    assert asked[0]["text"] == "请问是哪几盏路灯？"


def test_a_closed_round_and_targets(w):
    # R1 is at feedback_delivered now: closed to reports; R-PLAN not yet open
    refused(report(w, round_="R1")[0], "conflict", "feedback_delivered")
    refused(report(w, round_="R-PLAN")[0], "conflict", "planned")
    refused(report(w, round_="R2", unit="A-V")[0], "conflict", "not a target")
    refused(report(w, round_="R-NONE")[0], "not_found")


def test_contact_opened_by_the_office_only(w):
    reply, code, hashed, data = report(w, round_="R2", contact=CONTACT)
    pid = ack(reply)["problem"]
    frame, body = xcwire.seal(w.s.office, "intake", "problem.contact", {"problem": pid})
    got = w.c.request(frame, body)
    assert got["data"] == {"status": "accepted", "result": {"contact": CONTACT}}, got
    # a resent copy is a duplicate that gets what the inbox kept: not the contact
    again = w.c.request(frame, body)["data"]
    assert again["status"] == "duplicate" and again["result"]["withheld"] is True, again
    assert "contact" not in again["result"] and again["result"]["problem"] == pid
    # the district office owning R2 reads the problem and may ask, but not open the contact
    assert result(w.c.call(w.s.dist, "problem.get", {"problem": pid}))["public"]["has_contact"] is True
    ack(w.c.call(w.s.dist, "problem.ask", {"problem": pid, "text": "区巡察办提问"}))
    for signer, code_ in ((w.s.team2, "forbidden"), (w.s.public, "forbidden"), (w.s.unit, "forbidden"),
                          (w.s.dept, "forbidden"), (w.s.dist, "forbidden"), (w.s.dist_b, "forbidden")):
        refused(w.c.call(signer, "problem.contact", {"problem": pid}), code_)
    opened = [d for t, d in events(w) if t == "problem.contact_opened"]
    assert opened == [{"problem": pid, "by": "office", "role": "office", "opened_at": opened[0]["opened_at"]}]
    # no contact in the event, the inbox or anywhere in the store
    db = store_bytes(w)
    assert CONTACT["phone"].encode() not in db and CONTACT["name"].encode("utf-8") not in db
    # a report without a contact: nothing to open
    nocontact = ack(report(w, round_="R2")[0])["problem"]
    refused(w.c.call(w.s.office, "problem.contact", {"problem": nocontact}), "not_found", "no contact")
    # a problem not from the public channel
    other = ack(w.c.call(w.s.team, "problem.report", {"round": "R-LIM", "unit": "A-T", "category": "four_styles",
                                                       "summary": "组内问题", "detail": "详见底稿",
                                                       "severity": "serious", "source": "inspection_team"}))["problem"]
    refused(w.c.call(w.s.office, "problem.contact", {"problem": other}), "conflict", "public channel")
    refused(w.c.call(w.s.office, "problem.ask", {"problem": other, "text": "x"}), "conflict", "public channel")


def test_hostile_input_stores_nothing(w):
    db_path = os.path.join(w.s.folder, "intake.db")

    def counts():
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
            return (con.execute("SELECT count(*) FROM problems").fetchone()[0],
                    con.execute("SELECT count(*) FROM public_receipts").fetchone()[0])
    before = counts()
    # a code_hash that is not 32 bytes of base64url
    for bad in ("A" * 42, "!" * 43, "A" * 44):
        refused(w.c.call(w.s.public, "public.report", {"round": "R2", "unit": "A-T", "text": "x",
                                                         "code_hash": bad}), "schema", "code_hash")
    # a sealed contact that does not open (another key), or opens to something else
    wrong = seal_contact(xcwire.b64u(bytes(PrivateKey.generate().public_key)), CONTACT)
    refused(report(w, round_="R2", contact_sealed=wrong)[0], "schema", "contact_sealed")
    junk = seal_contact(w.info["sealing_key"], {"name": "张三", "phone": "1", "extra": "x"})
    refused(report(w, round_="R2", contact_sealed=junk)[0], "schema", "contact_sealed")
    # oversize text (policy 4000 bytes), blank text, too many files, a bad evidence hash
    refused(report(w, round_="R2", text="字" * 1400)[0], "schema", "4000")
    refused(report(w, round_="R2", text=" \n\n ")[0], "schema", "blanks")
    refused(report(w, round_="R2", evidence=[{"file": f"{i}.jpg", "sha256": "ab" * 32} for i in range(6)])[0],
            "schema", "5")
    refused(report(w, round_="R2", evidence=[{"file": "x.jpg", "sha256": "zz" * 32}])[0], "schema", "sha256")
    assert counts() == before


def test_per_round_daily_limit(w):
    for _ in range(3):
        ack(report(w, round_="R-LIM")[0])
    refused(report(w, round_="R-LIM")[0], "conflict", "3 public reports today")
    ack(report(w, round_="R2")[0])          # another round is not affected


def test_team_opens_the_contact_when_the_policy_says_so(tmp_path):
    s = Suite(str(tmp_path), ["intake"], PRINCIPALS,
              policies={"intake": {"public": {"contact_readers": ["office", "team"]}}})
    for _ in running_suite(s):
        w = make_world(s)
        assert "巡察组" in w.info["contact_notice"]
        pid = ack(report(w, round_="R1", contact=CONTACT)[0])["problem"]
        assert ack(w.c.call(s.team, "problem.contact", {"problem": pid})) == {"contact": CONTACT}
        refused(w.c.call(s.team2, "problem.contact", {"problem": pid}), "forbidden")
        assert [d["by"] for t, d in events(w) if t == "problem.contact_opened"] == ["team-1"]
        # after a restart the sealing key is the same (derived from secret_key): the contact
        # sealed before still opens, and the page's cached key still seals
        d = s.deployments["intake"]
        assert d.end_process() == 0
        d.start()
        c = d.client()
        assert result(c.call(s.public, "public.info", {"round": "R1"}))["sealing_key"] == w.info["sealing_key"]
        assert ack(c.call(s.office, "problem.contact", {"problem": pid})) == {"contact": CONTACT}


def test_failed_lookups_pause_then_resume(w):
    code, hashed, got = w.main
    for i in range(4):
        refused(w.c.call(w.s.public, "public.status", {"code_hash": code_hash(new_code())}), "not_found")
    result(w.c.call(w.s.public, "public.status", {"code_hash": hashed}))     # a known one still works
    refused(w.c.call(w.s.public, "public.status", {"code_hash": code_hash(new_code())}), "not_found")
    # the fifth unknown code within the minute: every lookup pauses, the right code's too
    refused(w.c.call(w.s.public, "public.status", {"code_hash": hashed}), "unavailable", "pause")
    refused(w.c.call(w.s.public, "public.answer", {"code_hash": hashed, "question": 1, "text": "x"}),
            "unavailable")
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=130)
    result(w.c.call(w.s.office, "clock.set", {"clock": later.strftime("%Y-%m-%dT%H:%M:%SZ")}))
    assert result(w.c.call(w.s.public, "public.status", {"code_hash": hashed}))["problem"] == got["problem"]
    for what, label in (("pwhash", "Argon2id (PyNaCl, ops interactive, 16 MiB)"),
                        ("report", "public.report round trip (sign, commit, signed reply)")):
        times = sorted(TIMES[what])
        print(f"{label}: {len(times)} runs, median {times[len(times) // 2] * 1000:.1f} ms,"
              f" max {times[-1] * 1000:.1f} ms")


@pytest.mark.parametrize("public, words", [
    ({"open_stages": ["closing"]}, "open_stages"),
    ({"category": "no_such"}, "'no_such' is not a category"),
    ({"severity": "minor"}, "'minor' is not a severity"),
    ({"contact_readers": ["unit"]}, "contact_readers"),
    ({"daily_limit": 0}, "daily_limit"),
])
def test_a_bad_public_policy_stops_intake(tmp_path, public, words):
    s = Suite(str(tmp_path), ["intake"], PRINCIPALS, policies={"intake": {"public": public}})
    binary = os.path.join("build", "bin", "xc-intake")
    proc = subprocess.run([binary, "--config", s.config_path, "--test-mode"], capture_output=True,
                          text=True, timeout=20)
    assert proc.returncode != 0
    out = proc.stderr + proc.stdout
    assert "policies.intake.public" in out and words in out, out


def test_a_report_acknowledged_after_a_crash_is_the_same_receipt(tmp_path):
    """intake dies after committing a report, before its reply: the gateway resends the same
    code (the same envelope id) and gets the first result, and there is one problem."""
    s = Suite(str(tmp_path), ["intake"], PRINCIPALS)
    for _ in running_suite(s):
        w = make_world(s)
        d = s.deployments["intake"]
        assert d.end_process() == 0
        d.start(extra=["--fail-after-commit", "1"])
        c = d.client()
        code = new_code()
        hashed = code_hash(code)
        data = {"round": "R1", "unit": "A-T", "text": TEXT, "code_hash": hashed,
                "contact_sealed": seal_contact(w.info["sealing_key"], CONTACT)}
        frame, body = xcwire.seal(s.public, "intake", "public.report", data, id_=envelope_id(hashed))
        c.send(frame)
        assert d.proc.wait(10) != 0          # it exited after the commit, before the reply
        d.log.close()
        d.start()
        c = d.client()
        again = c.call(s.public, "public.report", data, id_=envelope_id(hashed))
        assert again["data"]["status"] == "duplicate", again
        got = again["data"]["result"]
        listed = result(c.call(s.office, "problem.list", {"source": "public"}))["items"]
        assert [p["id"] for p in listed] == [got["problem"]]
        st = result(c.call(s.public, "public.status", {"code_hash": hashed}))
        assert st["problem"] == got["problem"] and st["received_at"] == got["received_at"]
