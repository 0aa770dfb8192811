"""The formal documents' register in rectify (issue 23; docs/services/rectify.md, "Formal
documents"), over the wire against a real xc-intake and xc-rectify.

document.issue numbers each document (发文字号) per issuer (the city office, or the district
office owning the round), per year and per kind's code with no gap: over issues, retries (the
first result again), refusals (no number taken) and a kill of xc-rectify in the middle of a
burst of issues; a new year starts again at 1. A document names the signed events it was made
from; rectify's own are checked against its outbox (rectify.get gives an item's). Access: a
unit, a team and another district's office are refused.
"""

import datetime
import re
import signal
import time

import pytest

import xcwire
from conftest import Suite, running_suite
from test_rectify import code, local_day, ok

PRINCIPALS = {
    "office": ("office", "office", {}),
    "dist_a": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("qingshan-office", "district", {"district": "D-B"}),
    "team": ("team-1", "team", {}),
    "unit_at": ("unit-at", "unit", {"units": ["A-T"]}),
}
UNITS = [("D-A", "云溪区", "district", None), ("D-B", "青山区", "district", None),
         ("C-1", "市财政局", "city_department", None), ("A-T", "云溪区青石镇", "town", "D-A"),
         ("B-T", "青山区白沙镇", "town", "D-B")]
ROUNDS = {"R-CITY": ("office", "C-1"), "R-A": ("dist_a", "A-T"), "R-B": ("dist_b", "B-T")}
POLICY = {"rectify": {"calendar_warn_from": None, "period_end": "keep", "history_quiet": "0 days"}}
HEX = "0123456789abcdef" * 4


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(suite, items by round): one item fed back today in each round."""
    s = Suite(str(tmp_path_factory.mktemp("documents")), ["intake", "rectify"], PRINCIPALS, POLICY)
    gen = running_suite(s)
    next(gen)
    try:
        today = local_day()
        intake, rectify = s.client("intake"), s.client("rectify")
        for uid, name, level, parent in UNITS:
            ok(intake.call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                       **({"parent": parent} if parent else {})}))
        start = (today - datetime.timedelta(days=20)).isoformat()
        for rid, (who, unit) in ROUNDS.items():
            ok(intake.call(getattr(s, who), "round.open", {
                "id": rid, "name": f"轮次{rid}", "kind": "regular", "team": "team-1",
                "targets": [{"unit": unit, "coverage": "main"}], "planned_start": start,
                "planned_end": today.isoformat(), "date": (today - datetime.timedelta(days=25)).isoformat()}))
            ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": start}))
            p = ok(intake.call(s.team, "problem.report", {
                "round": rid, "unit": unit, "category": "four_styles", "summary": f"{rid}问题",
                "detail": "巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
            ok(intake.call(s.office, "problem.classify", {
                "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
            for stage in ("withdrawn", "reported", "feedback_delivered"):
                ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": today.isoformat()}))
        end = time.monotonic() + 15
        while True:
            page = ok(rectify.call(s.office, "rectify.list", {"limit": 100}))
            if len(page["items"]) == len(ROUNDS) or time.monotonic() > end:
                break
            time.sleep(0.05)
        items = {i["round"]: i for i in page["items"]}
        assert set(items) == set(ROUNDS), page
        yield s, items
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


def sources_of(s, rectify, item):
    """The item's signed events as a document's sources, from rectify.get."""
    got = ok(rectify.call(s.office, "rectify.get", {"item": item["id"]}))
    assert got["events"], got
    return [{"service": "rectify", "seq": e["seq"], "hash": e["hash"]} for e in got["events"]]


def issue(rectify, who, round_, sources, kind="rectify_notice", **extra):
    return rectify.call(who, "document.issue", {
        "kind": kind, "round": round_, "title": "关于限期整改的通知", "recipient": "市财政局党组",
        "sources": sources, "content_sha256": HEX, **extra})


def number_re(short, code_, year):
    return re.compile(re.escape(f"{short}{code_}〔{year}〕") + r"(\d+)号$")


def test_item_events_are_the_outbox_rows(world):
    """rectify.get's events are the item's own signed events: each seq's hash is the one
    events.read gives, and the first is its rectify.opened."""
    s, items = world
    rectify = s.client("rectify")
    got = ok(rectify.call(s.office, "rectify.get", {"item": items["R-CITY"]["id"]}))
    assert got["events"][0]["type"] == "rectify.opened", got["events"]
    read = {}
    after = 0
    while True:
        res = ok(rectify.call(s.office, "events.read", {"after": after, "limit": 200}))
        if not res["events"]:
            break
        for e in res["events"]:
            read[e["seq"]] = (e["type"], e["hash"])
            after = e["seq"]
    for e in got["events"]:
        assert read[e["seq"]] == (e["type"], e["hash"])
        body = xcwire.open_message(ok(rectify.call(s.office, "events.read", {"after": e["seq"] - 1, "limit": 1}))
                                   ["events"][0]["message"].encode(), s.registry, event=True)[1]
        assert body["data"]["item"] == items["R-CITY"]["id"]


def test_problem_events_are_the_outbox_rows_and_hide_the_restricted(world):
    """intake's problem.get gives the problem's events (seq, type, hash) as events.read has
    them; a reader who may not see restricted events (the team that reported it) gets the open
    ones only."""
    s, items = world
    intake = s.client("intake")
    problem = items["R-CITY"]["problem"]
    got = ok(intake.call(s.office, "problem.get", {"problem": problem}))
    assert [e["type"] for e in got["events"]] == ["problem.recorded", "problem.classified", "problem.fed_back"], \
        got["events"]
    read, after = {}, 0
    while True:
        res = ok(intake.call(s.office, "events.read", {"after": after, "limit": 500}))
        if not res["events"]:
            break
        for e in res["events"]:
            read[e["seq"]] = (e["type"], e["hash"])
            after = e["seq"]
    assert all(read[e["seq"]] == (e["type"], e["hash"]) for e in got["events"])
    team = ok(intake.call(s.team, "problem.get", {"problem": problem}))
    assert [e["type"] for e in team["events"]] == ["problem.fed_back"], team["events"]


def test_numbers_gapless_over_issues_retries_and_refusals(world):
    s, items = world
    rectify = s.client("rectify")
    year = local_day().year
    src = sources_of(s, rectify, items["R-CITY"])
    pattern = number_re("市委", "巡改", year)
    seqs = []
    first = None
    for n in range(3):
        frame, body = xcwire.seal(s.office, "rectify", "document.issue", {
            "kind": "rectify_notice", "round": "R-CITY", "unit": "C-1", "title": f"整改通知{n}",
            "recipient": "市财政局党组", "sources": src, "content_sha256": HEX})
        res = ok(rectify.request(frame, body))
        if n == 0:
            first = (frame, body, res)
        m = pattern.match(res["number"])
        assert m and int(m.group(1)) == res["seq"], res
        assert res["issued_on"] == local_day().isoformat()
        seqs.append(res["seq"])
    # a retry (the same message again) answers the first result and takes no number
    again = ok(rectify.request(first[0], first[1]))
    assert again == first[2]
    # refusals take none: no such kind, round, unit; a source twice; a wrong or unknown rectify
    # event; a bad content hash
    bad = [
        (issue(rectify, s.office, "R-CITY", src, kind="no_such"), "schema"),
        (issue(rectify, s.office, "R-NONE", src), "not_found"),
        (issue(rectify, s.office, "R-CITY", src, unit="U-NONE"), "not_found"),
        (issue(rectify, s.office, "R-CITY", src + src[:1]), "schema"),
        (issue(rectify, s.office, "R-CITY", [{**src[0], "hash": "f" * 64}]), "conflict"),
        (issue(rectify, s.office, "R-CITY", [{**src[0], "seq": 10 ** 9}]), "not_found"),
        (rectify.call(s.office, "document.issue", {"kind": "rectify_notice", "round": "R-CITY", "title": "t",
                                                   "recipient": "r", "sources": src, "content_sha256": "X" * 64}),
         "schema"),
        (issue(rectify, s.office, "R-CITY", []), "schema"),
    ]
    assert [code(r) for r, _ in bad] == [c for _, c in bad]
    nxt = ok(issue(rectify, s.office, "R-CITY", src + [{"service": "intake", "seq": 1, "hash": HEX}]))
    seqs.append(nxt["seq"])
    assert seqs == list(range(seqs[0], seqs[0] + 4)), seqs
    # another kind's code has its own numbers
    fb = ok(issue(rectify, s.office, "R-CITY", src, kind="feedback"))
    assert number_re("市委", "巡反", year).match(fb["number"]) and fb["seq"] == 1, fb
    # a district office's own rounds: its own issuer (its name from the district's), from 1
    da = ok(issue(rectify, s.dist_a, "R-A", sources_of(s, rectify, items["R-A"])))
    assert number_re("云溪区委", "巡改", year).match(da["number"]) and da["seq"] == 1, da
    assert da["issuer"] == "D-A" and da["issuer_name"] == "中共云溪区委员会巡察工作领导小组办公室"
    # the record it was made from, its date and text are kept for a reprint; an item of another
    # round is refused
    kept = ok(issue(rectify, s.office, "R-CITY", src, kind="interview_record", item=items["R-CITY"]["id"],
                    dated="2026-03-05", text="约谈情况"))
    got = ok(rectify.call(s.office, "document.get", {"document": kept["document"]}))
    assert (got["item"], got["referral"], got["dated"], got["text"]) == (items["R-CITY"]["id"], None, "2026-03-05", "约谈情况")
    assert code(issue(rectify, s.office, "R-CITY", src, item=items["R-A"]["id"])) == "not_found"
    # the register: document.get and document.list give what was issued
    doc = ok(rectify.call(s.office, "document.get", {"document": nxt["document"]}))
    assert doc["number"] == nxt["number"] and doc["sources"][-1]["service"] == "intake"
    assert doc["kind_name"] == "整改通知书" and doc["content_sha256"] == HEX
    listed = ok(rectify.call(s.office, "document.list", {"round": "R-CITY", "kind": "rectify_notice", "year": year}))
    assert [d["seq"] for d in listed["items"]] == seqs
    # the event
    res = ok(rectify.call(s.office, "events.read", {"after": 0, "limit": 1000}))
    issued = [e for e in res["events"] if e["type"] == "document.issued"]
    assert len(issued) == 7, [e["type"] for e in res["events"]]


def test_access(world):
    s, items = world
    rectify = s.client("rectify")
    src = sources_of(s, rectify, items["R-A"])
    assert code(issue(rectify, s.unit_at, "R-A", src)) == "forbidden"
    assert code(issue(rectify, s.team, "R-A", src)) == "forbidden"
    assert code(issue(rectify, s.dist_b, "R-A", src)) == "forbidden"
    assert code(issue(rectify, s.dist_a, "R-CITY", src)) == "forbidden"
    mine = ok(issue(rectify, s.dist_a, "R-A", src, kind="three_lists"))
    assert code(rectify.call(s.dist_b, "document.get", {"document": mine["document"]})) == "not_found"
    assert ok(rectify.call(s.dist_a, "document.get", {"document": mine["document"]}))["round"] == "R-A"
    assert all(d["round"] in ("R-B",) for d in ok(rectify.call(s.dist_b, "document.list", {}))["items"])
    assert {d["round"] for d in ok(rectify.call(s.dist_a, "document.list", {}))["items"]} == {"R-A"}
    assert code(rectify.call(s.unit_at, "document.list", {})) == "forbidden"
    assert code(rectify.call(s.team, "document.get", {"document": mine["document"]})) == "forbidden"
    # the register's events: the office reads them all, a district office its own rounds', a
    # unit none
    def rounds_read(reader):
        res = ok(rectify.call(reader, "events.read", {"after": 0, "limit": 1000}))
        docs = [e for e in res["events"] if e["type"] == "document.issued"]
        assert docs
        return {xcwire.open_message(e["message"].encode(), s.registry, event=True)[1]["data"]["round"]
                for e in docs if not e.get("redacted")}
    assert rounds_read(s.office) == {"R-CITY", "R-A"}
    assert rounds_read(s.dist_a) == {"R-A"}
    assert rounds_read(s.dist_b) == set()
    assert rounds_read(s.unit_at) == set()
    kinds = ok(rectify.call(s.dist_a, "document.kinds", {"round": "R-A"}))
    assert kinds["issuer"]["name"] == "中共云溪区委员会巡察工作领导小组办公室"
    assert {"feedback", "rectify_notice", "step.supervision_notice", "three_lists"} <= {k["kind"] for k in kinds["kinds"]}


def test_a_document_without_a_round_is_the_city_offices(world):
    """A city special report without a round: the city office issues it under the city's
    numbers; a district office may not; its event is the city office's only."""
    s, items = world
    rectify = s.client("rectify")
    src = [{"service": "referral", "seq": 3, "hash": HEX}]
    data = {"kind": "special_report", "title": "关于整改工作的专题报告", "recipient": "市委",
            "sources": src, "content_sha256": HEX}
    res = ok(rectify.call(s.office, "document.issue", data))
    assert res["issuer"] == "city" and res["number"] == f"市委巡报〔{local_day().year}〕{res['seq']}号", res
    again = ok(rectify.call(s.office, "document.issue", data))
    assert again["seq"] == res["seq"] + 1
    assert code(rectify.call(s.dist_a, "document.issue", data)) == "forbidden"
    doc = ok(rectify.call(s.office, "document.get", {"document": res["document"]}))
    assert doc["round"] is None
    assert code(rectify.call(s.dist_a, "document.get", {"document": res["document"]})) == "not_found"
    events = ok(rectify.call(s.dist_a, "events.read", {"after": 0, "limit": 1000}))["events"]
    mine = [e for e in events if e["type"] == "document.issued" and not e.get("redacted")]
    assert all(xcwire.open_message(e["message"].encode(), s.registry, event=True)[1]["data"]["round"] == "R-A"
               for e in mine)


def test_kill_mid_issue_leaves_no_gap(world):
    """A burst of issues in flight when xc-rectify is killed (SIGKILL): after a restart each
    command is sent again (the same message); every one gets a number, each its own, and the
    numbers run on with no gap. The service commits a batch of commands at once, so a kill may
    land after a whole burst: the burst is tried again (up to five times) until one kill lands
    in its middle."""
    s, items = world
    d = s.deployments["rectify"]
    rectify = s.client("rectify")
    src = sources_of(s, rectify, items["R-B"])
    numbers, landed = {}, []
    for attempt in range(5):
        sealed = [xcwire.seal(s.dist_b, "rectify", "document.issue", {
            "kind": "step.reminder", "round": "R-B", "title": f"提醒函{attempt}-{n}", "recipient": "青山区白沙镇党委",
            "sources": src, "content_sha256": HEX}) for n in range(300)]
        for frame, _ in sealed:
            rectify.send(frame)
        rectify.receive(sealed[0][1]["id"], s.dist_b.iss, timeout=10)   # the first is in: kill now
        d.end_process(signal.SIGKILL)
        d.start()
        rectify = s.client("rectify")
        before = reminders(s, rectify)
        assert before == list(range(1, len(before) + 1))
        landed.append(len(before) - len(numbers))
        for frame, body in sealed:
            res = ok(rectify.request(frame, body, timeout=10))
            numbers[body["id"]] = res["seq"]
        if 0 < landed[-1] < len(sealed):
            break
    print(f"issued before each kill (of 300): {landed}")
    assert 0 < landed[-1] < 300, f"no kill landed in the middle of a burst: {landed}"
    assert sorted(numbers.values()) == list(range(1, len(numbers) + 1)), sorted(numbers.values())
    assert reminders(s, rectify) == list(range(1, len(numbers) + 1))


def reminders(s, rectify):
    """The numbers (seq) of R-B's 提醒函 in the register, every page."""
    listed, after = [], 0
    while True:
        page = ok(rectify.call(s.office, "document.list", {"round": "R-B", "kind": "step.reminder",
                                                           "after": after, "limit": 500}))
        listed += [x["seq"] for x in page["items"]]
        if page["next"] is None:
            return listed
        after = page["next"]


def test_a_new_year_starts_at_one(world):
    s, items = world
    rectify = s.client("rectify")
    src = sources_of(s, rectify, items["R-CITY"])
    nxt = local_day().year + 1
    ok(rectify.call(s.office, "clock.set", {"clock": f"{nxt}-01-05T02:00:00Z"}))
    res = ok(issue(rectify, s.office, "R-CITY", src))
    assert res["seq"] == 1 and res["number"] == f"市委巡改〔{nxt}〕1号", res
    res = ok(issue(rectify, s.office, "R-CITY", src))
    assert res["seq"] == 2
