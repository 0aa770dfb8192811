"""Every list reply stays within limits.max_message_bytes, with the largest rows the schemas allow.

A real suite (intake, referral, rectify, notify) at the default limit (262144 bytes) is filled
with rows as large as the schemas and the frame limit let a client make them: texts at their
maximum length made of characters that grow when the service writes them as JSON (control
characters become six bytes, quotes and backslashes two) mixed with three-byte Chinese
characters; problems with the full 20,000 bytes of detail; notify notices carrying those details
and templates that repeat them. Each list is then read at its maximum limit, page by page, from
raw frames: every reply frame is at most the limit, a page that stops early says where to go on,
and following it gives every row exactly once, in order. A notice larger than any reply comes as
a stand-in with its cursor and "too_large"; an export item larger than a page is named in
"too_large"; an event that could never fit in an events.read reply is refused when it is made.
Without the budget (common/page.c) the first pages are above the limit and this test fails.
"""

import csv
import datetime
import io
import os
import subprocess

import pytest

import xcwire
from conftest import REPO, Suite, key_file

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")

LIMIT = 262144                    # limits.max_message_bytes: the default, kept by the suite
SERVICES = ["intake", "referral", "rectify", "notify"]
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "unit": ("unit-1", "unit", {"units": ["U-001"]}),
    "discipline": ("discipline-commission", "discipline", {"units": ["*"]}),
}
TZ = datetime.timezone(datetime.timedelta(hours=8))
# Enough rows that their text is more than one reply holds at the maximum limit (500):
UNITS = 230                       # unit.list rows of about 1 KB
ROUNDS = 50                       # round.list rows of about 4.4 KB
PROBLEMS = 90                     # problem.list, rectify.list, export and notice rows of 2.5 KB and more
BIG = 8                           # of them with 20,000 bytes of detail
REFERRALS = 90


def text(n, seed=0):
    """Exactly n bytes of UTF-8 that grow when written as JSON: mostly control characters (six
    bytes each), a quote and a backslash (two), a Chinese character (three bytes, written as
    it is)."""
    unit = ["\x01", "\x02", "\x1f", "\x03", "\x04", "巡", "\x05", "\x06", '"', "\x07", "\x0b", "\\", "\x0e"]
    out, size, i = [], 0, seed
    while True:
        c = unit[i % len(unit)]
        b = len(c.encode("utf-8"))
        if size + b > n:
            break
        out.append(c)
        size += b
        i += 1
    out.append("x" * (n - size))
    s = "".join(out)
    assert len(s.encode("utf-8")) == n
    return s


def control(n):
    """n bytes that each become six in JSON."""
    return "\x01" * n


def day(days=0):
    return (datetime.datetime.now(TZ).date() + datetime.timedelta(days=days)).isoformat()


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def ask_raw(client, signer, type_, data):
    """A request sent as raw bytes; the reply frame's size is checked before anything else."""
    frame, body = xcwire.seal(signer, client.service, type_, data)
    client.send(frame)
    raw, _, reply = client.receive(body["id"], signer.iss, timeout=20.0)
    assert len(raw) <= LIMIT, f"{type_} {data}: a reply of {len(raw)} bytes, above {LIMIT}"
    return reply, len(raw)


def ask(client, signer, type_, data):
    reply, size = ask_raw(client, signer, type_, data)
    return ok(reply), size


def pages(client, signer, type_, data, cursor="id", limit=500):
    """Every item of a {"items", "next"} list at the given limit: the items and the page sizes.
    A page that stops early must say so (next), and next must be its last item's cursor."""
    items, sizes, after = [], [], None
    for _ in range(1000):
        page, size = ask(client, signer, type_, {**data, "limit": limit,
                                                 **({"after": after} if after is not None else {})})
        sizes.append((len(page["items"]), size))
        items += page["items"]
        if page["next"] is None:
            return items, sizes
        assert page["items"] and page["next"] == page["items"][-1][cursor], page["next"]
        after = page["next"]
    raise AssertionError(f"{type_} never ended")


def early(sizes, limit=500):
    """Pages that stopped below the limit's count although more rows followed."""
    return [n for n, _ in sizes[:-1] if n < limit]


@pytest.fixture
def suite(tmp_path):
    directory = {
        "discipline-commission": {"name": "市纪委监委", "principal": "discipline-commission",
                                  "roles": ["receiving_body"], "channels": {"stream": True}},
    }
    notify = {
        "directory": directory,
        "rules": [{"id": "fed-back", "events": ["problem.fed_back"], "to": ["role:receiving_body"],
                   "channels": ["stream"]}],
        # the subject is the problem's summary, the text its detail twice: the largest notices
        "templates": {"problem.fed_back": {"subject": "{summary}", "text": "{detail}{detail}"}},
        "email": {"smtp": "smtp://127.0.0.1:9", "from": "xuncha@localhost"},
    }
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS, {"notify": notify})
    s.start()
    try:
        yield s
    finally:
        status = s.stop_and_report(30)
        assert all(v == 0 for v in status.values()), status


def fill(s, c):
    """Units, rounds, problems fed back (items in rectify, notices in notify), referrals, plans:
    what each list then holds, by its cursor, in order."""
    o, intake = s.office, c["intake"]
    units = [f"U-{i:03d}" for i in range(1, UNITS + 1)]
    for i, u in enumerate(units):
        ok(intake.call(o, "unit.register", {"id": u, "name": text(200, i), "level": "town"}))
    rounds = ["R-00"] + [f"R-{i:02d}" for i in range(1, ROUNDS)]
    for i, r in enumerate(rounds):
        ok(intake.call(o, "round.open", {
            "id": r, "name": text(200, i), "kind": "special", "theme": text(500, i),
            "modes": ["audit_linked"], "audit_ref": text(200, i + 1), "team": "team-1",
            # the last round inspects every unit: rectify.round's targets are a list too
            "targets": [{"unit": u, "coverage": "main"} for u in (units if i == ROUNDS - 1 else units[:2])],
            "planned_start": day(-50), "planned_end": day(-25), "date": day(-60)}))
    ok(intake.call(o, "round.advance", {"round": "R-00", "stage": "stationed", "date": day(-50)}))
    problems = []
    for i in range(PROBLEMS):
        # the big ones: 20,000 bytes of detail, each byte six in JSON (120 KB), the largest a
        # problem.report can carry below the frame limit with its event
        detail = control(20000) if i < BIG else text(300, i)
        p = ok(intake.call(s.team, "problem.report", {
            "round": "R-00", "unit": "U-001" if i % 2 == 0 else "U-002", "category": "public_concerns",
            "summary": text(500, i), "detail": detail, "severity": "serious",
            "source": "inspection_team"}))["problem"]
        ok(intake.call(o, "problem.classify", {
            "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        problems.append(p)
    for stage, date in [("withdrawn", day(-25)), ("reported", day(-20)), ("feedback_delivered", day(-5))]:
        ok(intake.call(o, "round.advance", {"round": "R-00", "stage": stage, "date": date}))
    referrals = []
    for i in range(REFERRALS):
        referrals.append(ok(c["referral"].call(o, "referral.create", {
            "kind": "lead", "target": "discipline-commission", "title": text(500, i),
            "detail": control(20000) if i < 3 else text(200, i)}))["referral"])
    return units, rounds, problems, referrals


def wait_for(fn, timeout=60.0):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_every_list_stays_below_the_frame_limit_and_goes_on_where_it_stopped(suite):
    s = suite
    c = {name: s.client(name) for name in SERVICES}
    o = s.office
    units, rounds, problems, referrals = fill(s, c)

    # intake's lists, in their cursor's order, each row once
    got, sizes = pages(c["intake"], o, "unit.list", {})
    assert [u["id"] for u in got] == units and early(sizes), sizes
    got, sizes = pages(c["intake"], o, "round.list", {})
    assert [r["id"] for r in got] == sorted(rounds) and early(sizes), sizes
    got, sizes = pages(c["intake"], o, "problem.list", {})
    assert [p["id"] for p in got] == problems and early(sizes), sizes
    assert got[0]["summary"] == text(500, 0)                     # rows whole, not cut

    got, sizes = pages(c["referral"], o, "referral.list", {})
    assert [r["id"] for r in got] == referrals and early(sizes), sizes

    # rectify opens an item per problem fed back
    def items():
        return pages(c["rectify"], o, "rectify.list", {})
    got, sizes = wait_for(lambda: (lambda r: r if len(r[0]) == PROBLEMS else None)(items()))
    assert [i["problem"] for i in got] == problems and early(sizes), sizes
    item_ids = [i["id"] for i in got]
    assert item_ids == sorted(set(item_ids))

    # rectify.round's targets of the round that inspects every unit: pages by unit
    def targets():
        out, after, sizes = [], None, []
        while True:
            page, size = ask(c["rectify"], o, "rectify.round",
                             {"round": rounds[-1], **({"after": after} if after else {})})
            sizes.append(len(page["targets"]))
            out += page["targets"]
            if page["next"] is None:
                return out, sizes
            assert page["next"] == page["targets"][-1]["unit"]
            after = page["next"]
    got_targets, sizes = targets()
    assert [t["unit"] for t in got_targets] == units and len(sizes) > 1, sizes
    assert got_targets[0]["name"] == text(200, 0)

    # rectify.ranking of that round: every unit ranked, in pages of ranks (issue 25)
    ranked, after, rsizes = [], 0, []
    while True:
        page, size = ask(c["rectify"], o, "rectify.ranking", {"round": rounds[-1], "after": after})
        rsizes.append(len(page["units"]))
        ranked += page["units"]
        if page["next"] is None:
            break
        assert page["next"] == page["units"][-1]["rank"]
        after = page["next"]
    assert [u["rank"] for u in ranked] == list(range(1, len(units) + 1)) and len(rsizes) > 1, rsizes
    assert sorted(u["unit"] for u in ranked) == units

    # a plan of 50 measures whose tasks lines are larger than a page; one of 5 that fits
    mine = [i for i in got if i["unit"] == "U-001"]
    big_item, small_item = mine[0], mine[1]
    for item, n, size in ((big_item, 50, 400), (small_item, 5, 100)):
        ok(c["rectify"].call(s.unit, "rectify.plan", {"item": item["id"], "measures": [
            {"text": control(size), "owner": "张三", "lead_leader": "李四", "deadline": item["opened_on"]}
            for _ in range(n)]}))
    # an event that no events.read reply could carry is refused, and nothing is stored
    refused = c["rectify"].call(s.unit, "rectify.plan", {"item": mine[2]["id"], "measures": [
        {"text": control(600), "owner": "张三", "lead_leader": "李四", "deadline": mine[2]["opened_on"]}
        for _ in range(50)]})
    assert refused["type"] == "error" and refused["data"]["code"] == "too_large", refused
    assert ok(c["rectify"].call(o, "rectify.get", {"item": mine[2]["id"]}))["state"] == "opened"

    # a single object too large for any reply (the big item: 120 KB of detail, a plan of 120 KB
    # kept in its measures and its history) is refused too_large, within the limit
    reply, _ = ask_raw(c["rectify"], o, "rectify.get", {"item": big_item["id"]})
    assert reply["type"] == "error" and reply["data"]["code"] == "too_large", reply["data"]
    assert "rectify.get" in reply["data"]["message"]
    assert ok(c["rectify"].call(o, "rectify.get", {"item": small_item["id"]}))["id"] == small_item["id"]
    # and a command's: referral.get of a lead whose history outgrew a reply, refused with its
    # effect (the read is not logged)
    lead, dc, ref = referrals[0], s.discipline, c["referral"]
    ok(ref.call(dc, "referral.acknowledge", {"referral": lead}))
    for k in range(3):
        ok(ref.call(dc, "referral.dispose", {"referral": lead, "method": "park", "note": control(2000)}))
        ok(ref.call(dc, "referral.reopen", {"referral": lead, "reason": control(2000)}))
    reply, _ = ask_raw(ref, dc, "referral.get", {"referral": lead})
    assert reply["type"] == "error" and reply["data"]["code"] == "too_large", reply["data"]
    assert ok(ref.call(dc, "referral.get", {"referral": referrals[5]}))["id"] == referrals[5]

    # exports: pages concatenate into one CSV with every item once, in order
    for name, expect in (("problems", item_ids), ("tasks", [small_item["id"]])):
        body, after, sizes, too_large = "", 0, [], []
        for _ in range(1000):
            page, size = ask(c["rectify"], o, "rectify.export",
                             {"list": name, "limit": 500, **({"after": after} if after else {})})
            sizes.append(size)
            body += page["csv"]
            too_large += page.get("too_large", [])
            if page["next"] is None:
                break
            assert page["next"] > after
            after = page["next"]
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"), newline="")))
        ids = [int(r[0]) for r in rows[1:]]
        if name == "problems":
            assert ids == expect and len(sizes) > 1, (len(sizes), ids[:5])
            assert too_large == []
        else:
            assert ids == expect * 5, ids                      # the small plan's five measures
            assert too_large == [big_item["id"]], too_large    # the big plan's lines fit no reply

    # xcctl export follows the pages into one file and names the item it could not write
    key = key_file(s.folder, o)
    for name, expect in (("problems", item_ids), ("tasks", [small_item["id"]] * 5)):
        out = os.path.join(s.folder, f"{name}.csv")
        r = subprocess.run([XCCTL, "--config", s.config_path, "--key", key, "export", name, "--out", out],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        with open(out, encoding="utf-8-sig", newline="") as f:
            assert [int(row[0]) for row in list(csv.reader(f))[1:]] == expect
        if name == "tasks":
            assert f"item {big_item['id']} is too large for one reply" in r.stderr, r.stderr

    # notify: the stream, at the maximum limit, from the department's side
    def streamed():
        out, after, sizes, more = [], 0, [], []
        for _ in range(1000):
            page, size = ask(c["notify"], s.discipline, "notify.read", {"after": after, "limit": 500})
            sizes.append(size)
            more.append(page["more"])
            out += page["notices"]
            if not page["more"]:
                return out, sizes, more
            assert page["notices"] and page["next"] == page["notices"][-1]["stream_seq"]
            after = page["next"]
        raise AssertionError("notify.read never ended")
    notices, sizes, more = wait_for(lambda: (lambda r: r if len(r[0]) == PROBLEMS else None)(streamed()))
    assert len(sizes) > 2 and all(more[:-1]), (len(sizes), more)
    seqs = [n["stream_seq"] for n in notices]
    assert seqs == sorted(set(seqs))
    # the eight with 20,000 bytes of detail, twice in the text, fit no reply: stand-ins
    stand_ins = [n for n in notices if n.get("too_large")]
    assert len(stand_ins) == BIG, len(stand_ins)
    assert all(set(n) == {"delivery", "stream_seq", "too_large", "bytes"} and n["bytes"] > LIMIT
               for n in stand_ins), stand_ins[0]
    whole = [n for n in notices if not n.get("too_large")]
    assert all(n["event"]["type"] == "problem.fed_back" for n in whole)
    assert [n["data"]["problem"] for n in whole] == problems[BIG:]
    # notify.list, the office's view of the same deliveries, pages by id
    listed, sizes = pages(c["notify"], o, "notify.list", {"channel": "stream"})
    assert sorted(d["id"] for d in listed) == sorted(n["delivery"] for n in notices)
    assert early(sizes), sizes

    # the department acknowledges what it read: notify records each delivery once (notice.sent)
    assert ok(c["notify"].call(s.discipline, "notify.ack", {"deliveries": [n["delivery"] for n in notices]})) \
        == {"acknowledged": PROBLEMS}

    # events.read of every service: contiguous, every page within the limit, every reader's pages
    reads = []
    for name in SERVICES:
        after, head, n, sent = 0, None, 0, []
        while head is None or after < head:
            page, _ = ask(c[name], o, "events.read", {"after": after, "limit": 1000})
            head = page["head"]
            seqs = [e["seq"] for e in page["events"]]
            assert seqs == list(range(after + 1, after + 1 + len(seqs))) and seqs, (name, after)
            sent += [e for e in page["events"] if e["type"] == "notice.sent"]
            reads += [e for e in page["events"] if e["type"] == "lead.read"]
            after = seqs[-1]
            n += 1
        assert n > 1 or name == "notify", (name, n)     # notify's own events are small
    assert len(reads) == 1, reads          # the referral.get refused too_large logged no read
    bodies = [xcwire.open_message(e["message"].encode(), s.registry, event=True)[1]["data"] for e in sent]
    assert sorted(b["delivery"] for b in bodies) == sorted(n["delivery"] for n in notices)
    assert {b["channel"] for b in bodies} == {"stream"}


def test_notify_read_of_the_issue_stays_below_the_limit(tmp_path):
    """The issue's case, at the default limit: a department's stream of many notices of a
    modest size, read at the documented maximum (limit 500), is above the limit in one reply
    and must come in pages."""
    directory = {"discipline-commission": {"name": "市纪委监委", "principal": "discipline-commission",
                                           "roles": ["receiving_body"], "channels": {"stream": True}}}
    notify = {"directory": directory,
              "rules": [{"id": "units", "events": ["unit.registered"], "to": ["role:receiving_body"],
                         "channels": ["stream"]}],
              "templates": {"unit.registered": {"subject": "【新单位】{unit_name}", "text": text(400)}},
              "sources": ["intake"], "email": {"smtp": "smtp://127.0.0.1:9", "from": "x@localhost"}}
    s = Suite(str(tmp_path), ["intake", "notify"], PRINCIPALS, {"notify": notify})
    s.start()
    try:
        c = {name: s.client(name) for name in ("intake", "notify")}
        n_units = 600
        for i in range(n_units):
            ok(c["intake"].call(s.office, "unit.register", {"id": f"V-{i:04d}", "name": f"第{i}村",
                                                          "level": "village"}))

        def read_all():
            out, after, sizes = [], 0, []
            while True:
                page, size = ask(c["notify"], s.discipline, "notify.read", {"after": after, "limit": 500})
                sizes.append((len(page["notices"]), size))
                out += page["notices"]
                if not page["more"]:
                    return out, sizes
                after = page["next"]
        notices, sizes = wait_for(lambda: (lambda r: r if len(r[0]) == n_units else None)(read_all()))
        assert [n["delivery"] for n in notices] == sorted({n["delivery"] for n in notices})
        assert sizes[0][0] < 500, sizes           # stopped early: 500 of them would not fit
        assert sum(n for n, _ in sizes) == n_units
    finally:
        status = s.stop_and_report(30)
        assert all(v == 0 for v in status.values()), status
