"""Search in rectify and referral (issue 25): rectify.search over items, their measures and their
units' names, referral.search over referrals' titles, contents and units' names, through the real
xc-intake, xc-rectify and xc-referral over ZeroMQ, with real SQLite stores.

One world for the file: two districts (云溪区 D-A, 青山区 D-B) and a city department, rounds of
the city and of each district, an item per unit fed back, a unit's plan with measures, leads
and a handover. Every access rule of the lists holds for the searches: a word only in a record
the searcher may not read gives count 0 and no result; a word in both gives the readable one
only (docs/services/rectify.md and referral.md, "Search").
"""

import datetime
import os
import subprocess
import time

import pytest

import searchlib
from conftest import REPO, Suite, running_suite
from test_rectify import local_day, ok
from test_referral_history import refused, wait_for

PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "dist_a": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("qingshan-office", "district", {"district": "D-B"}),
    "unit_at": ("unit-at", "unit", {"units": ["A-T"]}),
    "unit_c1": ("unit-c1", "unit", {"units": ["C-1"]}),
    # supervisors over a district's units in rectify, and leads' targets in referral
    "disc_a": ("discipline-a", "discipline", {"units": ["D-A"]}),
    "disc_b": ("discipline-b", "discipline", {"units": ["D-B"]}),
    "audit": ("audit-city", "audit", {}),
}
UNITS = [("D-A", "云溪区", "district", None), ("A-T", "青石镇", "town", "D-A"),
         ("A-V", "东村", "village", "A-T"), ("D-B", "青山区", "district", None),
         ("B-T", "白沙镇", "town", "D-B"), ("C-1", "市财政局", "city_department", None)]
ROUNDS = [("R-CITY", "office", ["C-1"]), ("R-A", "dist_a", ["A-T", "A-V"]), ("R-B", "dist_b", ["B-T"])]
PROBLEMS = [("R-CITY", "C-1", "four_styles", "违规使用公车", "市财政局公车私用两次"),
            ("R-A", "A-T", "four_styles", "公车管理不规范", "青石镇公车无使用台账"),
            ("R-A", "A-V", "governance", "村务公开不及时", "东村村务公开栏长期未更新"),
            ("R-B", "B-T", "governance", "三资管理混乱，公车私用", "白沙镇集体三资台账缺失")] + [
            # other items of the city's department, so that bm25's IDF has a corpus to weigh by
            ("R-CITY", "C-1", "four_styles", summary, detail) for summary, detail in (
                ("会议费报销不规范", "部分会议费无审批单"), ("培训经费管理混乱", "培训费列支其他支出"),
                ("干部选拔程序不严", "个别岗位未经民主推荐"), ("政府采购流程不透明", "采购公告发布不及时"),
                ("差旅费超标准报销", "住宿费超出标准"))]
# D-A's office reads its rounds' leads' status only: a search finds none of them
# The search policies (policies.<svc>.search) differ from the defaults where a test sees it:
# rectify's detail weighs nothing and a query has at most 3 terms, referral's snippets are short.
POLICY = {"rectify": {"calendar_warn_from": None, "period_end": "keep",
                      "search": {"weights": {"detail": 0}, "max_terms": 3}},
          "referral": {"districts": {"D-A": {"lead_access": "status"}, "D-B": {"lead_access": "full"}},
                       "search": {"snippet_tokens": 4}}}


def marked(segments):
    """The matched parts of a title or snippet (odd indices)."""
    assert isinstance(segments, list) and all(isinstance(x, str) for x in segments), segments
    return segments[1::2]


def search(client, who, service, **data):
    return ok(client.call(who, f"{service}.search", data))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(suite, items by unit, referrals by name)."""
    started = time.monotonic()
    s = Suite(str(tmp_path_factory.mktemp("search")), ["intake", "rectify", "referral"], PRINCIPALS, POLICY)
    gen = running_suite(s)
    next(gen)
    try:
        today = local_day()
        intake, rectify, referral = s.client("intake"), s.client("rectify"), s.client("referral")
        for uid, name, level, parent in UNITS:
            ok(intake.call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                       **({"parent": parent} if parent else {})}))
        start = (today - datetime.timedelta(days=20)).isoformat()
        for rid, who, targets in ROUNDS:
            ok(intake.call(getattr(s, who), "round.open", {
                "id": rid, "name": f"轮次{rid}", "kind": "regular", "team": "team-1",
                "targets": [{"unit": u, "coverage": "main"} for u in targets],
                "planned_start": start, "planned_end": today.isoformat(),
                "date": (today - datetime.timedelta(days=25)).isoformat()}))
            ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": start}))
        for rid, unit, category, summary, detail in PROBLEMS:
            p = ok(intake.call(s.team, "problem.report", {
                "round": rid, "unit": unit, "category": category, "summary": summary,
                "detail": detail, "severity": "serious", "source": "inspection_team"}))["problem"]
            ok(intake.call(s.office, "problem.classify", {
                "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        for rid, _, _ in ROUNDS:
            for stage in ("withdrawn", "reported", "feedback_delivered"):
                ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": today.isoformat()}))
        page = wait_for(lambda: (lambda p: p if len(p["items"]) == len(PROBLEMS) else None)(
            ok(rectify.call(s.office, "rectify.list", {"limit": 100}))))
        assert page, ok(rectify.call(s.office, "rectify.list", {"limit": 100}))
        items = {i["unit"]: i for i in page["items"] if "其他" not in i["summary"] and i["summary"] in
                 {p[3] for p in PROBLEMS[:4]}}
        # A-T's plan: its measures are searched (text, owner, lead leader)
        ok(rectify.call(s.unit_at, "rectify.plan", {"item": items["A-T"]["id"], "measures": [
            {"text": "建立公车使用登记台账", "owner": "青石镇党政办", "lead_leader": "王建国",
             "deadline": (today + datetime.timedelta(days=10)).isoformat()}]}))
        page = ok(rectify.call(s.office, "rectify.list", {"limit": 100}))
        items = {u: next(i for i in page["items"] if i["id"] == items[u]["id"]) for u in items}
        # referral knows the rounds and units from intake's events
        handover = {"kind": "handover", "target": "audit-city", "title": "市财政局公车购置超标",
                    "detail": "移交审计核查公车购置经费", "round": "R-CITY", "unit": "C-1"}
        made = wait_for(lambda: (lambda r: r if r["type"] == "ack" else None)(
            referral.call(s.office, "referral.create", handover)))
        assert made, referral.call(s.office, "referral.create", handover)
        refs = {}
        for name, who, data in (
                ("handover", None, None),
                ("lead_a", s.office, {"kind": "lead", "target": "discipline-a", "title": "青石镇公车私用问题线索",
                                      "detail": "举报镇长驾驶公车接送子女", "round": "R-A", "unit": "A-T"}),
                ("lead_b", s.office, {"kind": "lead", "target": "discipline-b", "title": "白沙镇三资问题线索",
                                      "detail": "集体资金账外运行", "round": "R-B", "unit": "B-T"}),
                ("report_b", s.dist_b, {"kind": "handover", "target": "audit-city", "title": "白沙镇三资清查",
                                        "detail": "请审计机关清查白沙镇集体三资", "round": "R-B", "unit": "B-T"})):
            if who:
                ok(referral.call(who, "referral.create", data))
        for r in ok(referral.call(s.office, "referral.list", {}))["items"]:
            refs[{"市财政局公车购置超标": "handover", "青石镇公车私用问题线索": "lead_a",
                  "白沙镇三资问题线索": "lead_b", "白沙镇三资清查": "report_b"}[r["title"]]] = r
        assert len(refs) == 4, refs
        print(f"world made in {time.monotonic() - started:.2f} s")
        yield s, items, refs
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


# --- rectify.search --------------------------------------------------------------------------

def test_rectify_a_two_character_term_is_found_ranked_and_marked(world):
    s, items, _ = world
    got = search(s.client("rectify"), s.office, "rectify", q="公车")
    ids = [r["id"] for r in got["results"]]
    assert sorted(ids) == sorted(items[u]["id"] for u in ("C-1", "A-T", "B-T")), got
    assert got["count"] == 3 and got["count_capped"] is False and got["next"] is None and got["q"] == "公车"
    scores = [float(r["score"]) for r in got["results"]]
    assert scores == sorted(scores, reverse=True) and all(x > 0 for x in scores), scores
    # 公车 in A-T's summary, detail and measures ranks above B-T's, in its summary only
    order = [r["unit"] for r in got["results"]]
    assert order.index("A-T") < order.index("B-T"), got
    for r in got["results"]:
        item = items[r["unit"]]
        assert r["kind"] == "item" and r["problem"] == item["problem"] and r["round"] == item["round"]
        assert r["state"] == item["state"] and r["due"] == item["due"] and r["date"] == item["opened_on"]
        assert r["round_name"] == f"轮次{item['round']}" and r["category"] == item["category"]
        assert "".join(r["title"]) == item["summary"]
        assert set(marked(r["title"])) == {"公车"}, r
        assert "公车" in marked(r["snippet"]), r
    # the unit's name at the time of the search
    assert {r["unit_name"] for r in got["results"]} == {"市财政局", "白沙镇", "青石镇"} or \
        "云溪区青石街道" in {r["unit_name"] for r in got["results"]}


def test_rectify_one_character_and_longer_terms(world):
    s, items, _ = world
    rectify = s.client("rectify")
    got = search(rectify, s.office, "rectify", q="村")
    assert [r["id"] for r in got["results"]] == [items["A-V"]["id"]], got
    assert set(marked(got["results"][0]["title"])) == {"村"}
    got = search(rectify, s.office, "rectify", q="村务公开栏")
    assert [r["id"] for r in got["results"]] == [items["A-V"]["id"]], got
    assert "村务公开栏" in "".join(marked(got["results"][0]["snippet"]))
    # two terms: both must match; a term across a punctuation mark is not a match
    got = search(rectify, s.office, "rectify", q="公车 三资")
    assert [r["id"] for r in got["results"]] == [items["B-T"]["id"]], got
    assert search(rectify, s.office, "rectify", q="混乱公车")["count"] == 0


def test_rectify_measures_are_searched(world):
    s, items, _ = world
    rectify = s.client("rectify")
    for q in ("王建国", "党政办", "登记台账"):
        got = search(rectify, s.office, "rectify", q=q)
        assert [r["id"] for r in got["results"]] == [items["A-T"]["id"]], (q, got)
        assert q in "".join(marked(got["results"][0]["snippet"])), got


def test_rectify_search_reads_exactly_what_the_list_reads(world):
    s, items, _ = world
    rectify = s.client("rectify")
    # 三资 is only in D-B's town's item
    for who, n in (("office", 1), ("dist_b", 1), ("disc_b", 1), ("dist_a", 0), ("disc_a", 0),
                   ("unit_at", 0), ("unit_c1", 0), ("team", 0), ("audit", 0)):
        got = search(rectify, getattr(s, who), "rectify", q="三资")
        assert got["count"] == n and len(got["results"]) == n, (who, got)
        if n:
            assert got["results"][0]["id"] == items["B-T"]["id"]
    # 公车 is in three units' items: each reader gets its own
    expect = {"office": {"C-1", "A-T", "B-T"}, "dist_a": {"A-T"}, "dist_b": {"B-T"}, "disc_a": {"A-T"},
              "disc_b": {"B-T"}, "unit_at": {"A-T"}, "unit_c1": {"C-1"}, "team": set(), "audit": set()}
    for who, units in expect.items():
        got = search(rectify, getattr(s, who), "rectify", q="公车")
        assert {r["unit"] for r in got["results"]} == units and got["count"] == len(units), (who, got)
        listed = {i["unit"] for i in ok(rectify.call(getattr(s, who), "rectify.list", {"limit": 100}))["items"]}
        assert units <= listed, (who, listed)
    # a district office may not name another's owner
    refused(rectify.call(s.dist_a, "rectify.search", {"q": "公车", "owner": "D-B"}), "forbidden", "D-B")


def test_rectify_filters_and_paging(world):
    s, items, _ = world
    rectify = s.client("rectify")
    one = lambda **f: sorted(r["unit"] for r in search(rectify, s.office, "rectify", q="公车", **f)["results"])
    assert one(round="R-A") == ["A-T"]
    assert one(unit="C-1") == ["C-1"]
    assert one(owner="city") == ["C-1"]
    assert one(owner="D-B") == ["B-T"]
    assert one(owner="district") == ["A-T", "B-T"]
    # a category and everything under it (四风 is under 全面从严治党)
    assert one(category="four_styles") == ["A-T", "C-1"]
    assert one(category="governance") == ["A-T", "B-T", "C-1"] and one(category="livelihood") == []
    assert one(state="planned") == ["A-T"] and one(state="closed") == []
    assert one(year=local_day().year) == ["A-T", "B-T", "C-1"] and one(year=2001) == []
    first = search(rectify, s.office, "rectify", q="公车", limit=2)
    assert len(first["results"]) == 2 and first["next"] == 2 and first["count"] == 3, first
    rest = search(rectify, s.office, "rectify", q="公车", limit=2, offset=2)
    assert len(rest["results"]) == 1 and rest["next"] is None
    assert {r["id"] for r in first["results"] + rest["results"]} == {items[u]["id"] for u in ("C-1", "A-T", "B-T")}


def test_rectify_hostile_queries_are_refused_with_reasons(world):
    s, _, _ = world
    rectify = s.client("rectify")
    refused(rectify.call(s.office, "rectify.search", {"q": ""}), "schema")
    refused(rectify.call(s.office, "rectify.search", {}), "schema")
    refused(rectify.call(s.office, "rectify.search", {"q": "公车", "limit": 101}), "schema")
    refused(rectify.call(s.office, "rectify.search", {"q": "公车", "offset": 1001}), "schema")
    refused(rectify.call(s.office, "rectify.search", {"q": "\"*()"}), "schema")
    refused(rectify.call(s.office, "rectify.search", {"q": " ".join("一二三四五六七八九十")}), "schema")
    # FTS5's syntax is only text here
    for q in ('公车" OR "三资', "NEAR(公车 三资)", "summary:公车", "公车*", "-公车"):
        got = search(rectify, s.office, "rectify", q=q)
        assert got["count"] == len(got["results"]), (q, got)


def test_rectify_a_renamed_unit_is_found_by_both_names(world):
    s, items, _ = world
    rectify = s.client("rectify")
    ok(s.client("intake").call(s.office, "unit.rename", {"unit": "A-T", "name": "云溪区青石街道",
                                                        "occurred_on": local_day().isoformat()}))
    got = wait_for(lambda: search(rectify, s.office, "rectify", q="青石街道")["results"])
    assert [r["id"] for r in got] == [items["A-T"]["id"]], got
    assert got[0]["unit_name"] == "云溪区青石街道"
    assert items["A-T"]["id"] in [r["id"] for r in search(rectify, s.office, "rectify", q="青石镇")["results"]]


# --- referral.search -------------------------------------------------------------------------

def test_referral_search_finds_titles_contents_and_units(world):
    s, _, refs = world
    referral = s.client("referral")
    got = search(referral, s.office, "referral", q="公车")
    assert sorted(r["id"] for r in got["results"]) == sorted(refs[k]["id"] for k in ("handover", "lead_a"))
    assert got["count"] == 2
    for r in got["results"]:
        ref = refs["handover" if r["id"] == refs["handover"]["id"] else "lead_a"]
        assert r["kind"] == "referral" and r["referral_kind"] == ref["kind"] and r["target"] == ref["target"]
        assert r["round"] == ref["round"] and r["unit"] == ref["unit"] and r["state"] == ref["state"]
        assert "".join(r["title"]) == ref["title"] and "公车" in marked(r["title"])
        assert r["date"] == ref["referred_on"] and r["round_name"] == f"轮次{ref['round']}"
    # a handover's content is searched; a lead's is not (reading it is referral.get's logged read)
    got = search(referral, s.office, "referral", q="经费")
    assert [r["id"] for r in got["results"]] == [refs["handover"]["id"]] and "经费" in marked(got["results"][0]["snippet"])
    assert search(referral, s.office, "referral", q="接送子女")["count"] == 0
    # a unit's name
    got = search(referral, s.office, "referral", q="白沙镇")
    assert sorted(r["id"] for r in got["results"]) == sorted(refs[k]["id"] for k in ("lead_b", "report_b"))


def test_referral_search_reads_exactly_what_the_list_reads_whole(world):
    s, _, refs = world
    referral = s.client("referral")
    # 三资: D-B's lead (to discipline-b) and D-B's handover (to audit-city)
    expect = {"office": {"lead_b", "report_b"}, "disc_b": {"lead_b"}, "audit": {"report_b"},
              "dist_b": {"lead_b", "report_b"}, "disc_a": set(), "dist_a": set(), "team": set(),
              "unit_at": set()}
    for who, names in expect.items():
        got = search(referral, getattr(s, who), "referral", q="三资")
        assert {r["id"] for r in got["results"]} == {refs[n]["id"] for n in names} and got["count"] == len(names), \
            (who, got)
    # 公车: the city's handover (to audit) and D-A's lead (to discipline-a); D-A's office lists
    # its round's lead by status only, without its title: the search neither finds nor counts it
    listed = ok(referral.call(s.dist_a, "referral.list", {}))["items"]
    assert [r["id"] for r in listed] == [refs["lead_a"]["id"]] and "title" not in listed[0], listed
    expect = {"office": {"handover", "lead_a"}, "disc_a": {"lead_a"}, "audit": {"handover"},
              "dist_a": set(), "disc_b": set(), "dist_b": set(), "team": set()}
    for who, names in expect.items():
        got = search(referral, getattr(s, who), "referral", q="公车")
        assert {r["id"] for r in got["results"]} == {refs[n]["id"] for n in names} and got["count"] == len(names), \
            (who, got)


def test_referral_filters_and_refusals(world):
    s, _, refs = world
    referral = s.client("referral")
    ids = lambda **f: sorted(r["id"] for r in search(referral, s.office, "referral", q="三资", **f)["results"])
    assert ids(round="R-B") == sorted([refs["lead_b"]["id"], refs["report_b"]["id"]])
    assert ids(round="R-A") == [] and ids(unit="C-1") == []
    assert ids(owner="D-B") == ids(round="R-B") and ids(owner="city") == [] and ids(owner="district") == ids(round="R-B")
    assert ids(state="referred") == ids(round="R-B") and ids(state="concluded") == []
    assert ids(year=local_day().year) == ids(round="R-B") and ids(year=2001) == []
    page = search(referral, s.office, "referral", q="三资", limit=1)
    assert len(page["results"]) == 1 and page["next"] == 1 and page["count"] == 2
    refused(referral.call(s.office, "referral.search", {"q": "！？"}), "schema")
    refused(referral.call(s.office, "referral.search", {"q": "公车", "state": "open"}), "schema")


# --- the policies -----------------------------------------------------------------------------

def test_the_search_policies_are_the_configured_ones(world):
    s, items, refs = world
    rectify, referral = s.client("rectify"), s.client("referral")
    # a word only in a detail, whose weight is 0: found, scored nothing
    got = search(rectify, s.office, "rectify", q="私用两次")
    assert [r["id"] for r in got["results"]] == [items["C-1"]["id"]] and got["results"][0]["score"] == "0.00", got
    assert float(search(rectify, s.office, "rectify", q="违规使用")["results"][0]["score"]) > 0
    # rectify takes 3 terms, referral the default 8
    refused(rectify.call(s.office, "rectify.search", {"q": "公车 管理 不规范 青石"}), "schema", "3")
    assert search(rectify, s.office, "rectify", q="公车 管理 不规范")["count"] == 1
    assert search(referral, s.office, "referral", q="公车 购置 超标 市财政局")["count"] == 1
    # referral's snippets: 4 characters around the match
    snippet = search(referral, s.office, "referral", q="经费")["results"][0]["snippet"]
    assert "经费" in marked(snippet) and len("".join(snippet).replace("…", "")) <= 4, snippet


@pytest.mark.parametrize("service,search_policy,words", [
    ("rectify", {"weights": {"summary": 1001}}, "policies.rectify.search.weights.summary"),
    ("rectify", {"weights": {"title": 1}}, "title"),
    ("referral", {"count_max": 0}, "policies.referral.search.count_max"),
    ("referral", {"snippet_tokens": 65}, "policies.referral.search.snippet_tokens"),
    ("referral", {"snippet_tokens": 3}, "policies.referral.search.snippet_tokens"),
])
def test_a_bad_search_policy_stops_the_service(tmp_path, service, search_policy, words):
    s = Suite(str(tmp_path), [service], {}, {service: {"search": search_policy}})
    proc = subprocess.run([os.path.join(REPO, "build", "bin", f"xc-{service}"), "--config", s.config_path,
                           "--test-mode"], capture_output=True, text=True, timeout=20)
    assert proc.returncode != 0 and words in proc.stdout + proc.stderr, (proc.stdout, proc.stderr)


# --- the index: kept with the record, made for the rows already there -----------------------

def test_the_index_survives_a_restart_and_the_migration_indexes_the_rows_already_there(world):
    """Last in the file: it restarts rectify and referral. Each store is taken back to before its
    search migration (its FTS table, view and triggers dropped, its version one lower), as a store
    of the last release holding records; the service brought up again runs the migration, which
    must index them: the same searches give the same answers."""
    s, items, refs = world
    queries = {"rectify": ["公车", "王建国", "青石街道", "村"], "referral": ["公车", "三资", "白沙镇"]}
    before = {(svc, q): search(s.client(svc), s.office, svc, q=q) for svc, qs in queries.items() for q in qs}
    assert all(v["count"] > 0 for v in before.values()), before
    for svc, table in (("rectify", "item_search"), ("referral", "referral_search")):
        d = s.deployments[svc]
        assert d.end_process() == 0
        d.start()
        for q in queries[svc]:
            assert search(d.client(), s.office, svc, q=q) == before[(svc, q)], (svc, q)
        assert d.end_process() == 0
        db = searchlib.connect(f"{s.folder}/{svc}.db")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        triggers = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                             " AND name LIKE ?", (table + "%",))]
        assert len(triggers) >= 4, triggers
        for n in triggers:
            db.execute(f"DROP TRIGGER {n}")
        db.execute(f"DROP VIEW {table}_text")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"PRAGMA user_version = {version - 1}")
        db.commit()
        db.close()
        d.start()
        for q in queries[svc]:
            assert search(d.client(), s.office, svc, q=q) == before[(svc, q)], (svc, q)
