"""problem.search (issue 25) over the wire against a real xc-intake: the xc_bigram index kept by
triggers (common/search.h, docs/services/intake.md "Search").

One world for the file (a module fixture): two districts, a city department, towns and a
village; a city round (team-1), a round of each district (team-2, team-3); problems loaded from
history by the office, one reported by the petition bureau, a lead. The policy makes the
office no restricted reader (restricted_roles []), so that the office is a reader without
leads and the referral service the one that reads them; count_max is 4, so that a count is
seen capped. Terms of 1, 2 and 3+ Chinese characters and Latin words, the filters, the rank
and its order, the marks, paging, a renamed unit found by both names, the index right after
report, classify and merge and after a restart; access exactly as problem.list for team,
petition, district and office-without-leads (a word only in an unreadable record: count 0, no
result; a word in both: the readable one only, count 1); hostile queries refused, each with
its own error.
"""

import time

import pytest

import searchlib
from conftest import Suite

T0 = time.monotonic()

PRINCIPALS = {
    "office": ("office", "office", {}),
    "dist_a": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("qingshan-office", "district", {"district": "D-B"}),
    "team1": ("team-1", "team", {}),
    "team2": ("team-2", "team", {}),
    "petition": ("petition-bureau", "petition", {}),
    "referral": ("referral", "service", {}),
    "public": ("public-gateway", "public", {}),
}
POLICIES = {"intake": {"restricted_roles": [], "restricted_principals": ["referral"],
                       "search": {"count_max": 4, "rank_window": 1100, "max_terms": 8, "snippet_tokens": 12,
                                  "weights": {"summary": 10, "detail": 2, "unit_names": 5}}}}
UNITS = [("D-A", "云溪区", "district", None), ("D-B", "青山区", "district", None),
         ("C-1", "市财政局", "city_department", None),
         ("A-T", "云溪区青石镇", "town", "D-A"), ("A-V", "青石镇东村", "village", "A-T"),
         ("B-T", "青山区白沙镇", "town", "D-B")]


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


def rnd(rid, team, targets, **extra):
    data = {"id": rid, "name": f"轮次{rid}", "kind": "regular", "team": team,
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": "2024-03-01", "planned_end": "2024-05-31", "date": "2024-02-20"}
    data.update(extra)
    return data


class World:
    pass


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    suite = Suite(str(tmp_path_factory.mktemp("search")), ["intake"], PRINCIPALS, POLICIES)
    suite.start()
    try:
        w = World()
        w.s = s = suite
        w.c = c = suite.client("intake")
        for uid, name, level, parent in UNITS:
            data = {"id": uid, "name": name, "level": level}
            if parent:
                data["parent"] = parent
            ack(c.call(s.office, "unit.register", data))
        ack(c.call(s.office, "round.open", rnd("R-CITY", "team-1", ["C-1", "A-T"])))
        ack(c.call(s.dist_a, "round.open", rnd("R-A", "team-2", ["A-T", "A-V"])))
        ack(c.call(s.dist_b, "round.open", rnd("R-B", "team-3", ["B-T"])))

        def report(unit, round_, summary, detail, signer=None, **extra):
            data = {"unit": unit, "category": "four_styles", "summary": summary, "detail": detail,
                    "severity": "serious", "source": "inspection_team", "occurred_on": "2024-03-10"}
            if round_:
                data["round"] = round_
            if signer is not None:
                data["source"] = "petition"
                del data["occurred_on"]
            data.update(extra)
            return ack(c.call(signer or s.office, "problem.report", data))["problem"]

        w.report = report
        w.p_city = report("C-1", "R-CITY", "违规使用公车问题", "局机关存在公车私用，GPS 记录缺失")
        w.p_sanzi = report("A-T", "R-CITY", "村级三资管理不规范", "三资台账不全，村村通资金未公开",
                           category="receivables")
        w.p_a = report("A-V", "R-A", "公车加油卡管理混乱", "加油卡无登记，油费报销随意")
        w.p_b = report("B-T", "R-B", "白沙镇三资问题", "集体资产出租未招标", occurred_on="2023-05-01")
        w.p_detail = report("C-1", "R-CITY", "接待费超标", "另查公车一辆长期停放")
        w.p_pet = report("A-T", None, "反映村干部公车私用", "群众来信反映", signer=s.petition)
        w.p_lead = report("C-1", "R-CITY", "举报某干部收受礼金", "线索涉及公车采购")
        ack(c.call(s.office, "problem.classify", {"problem": w.p_lead, "dispositions": [
            {"kind": "lead", "body": "discipline-a", "note": "移交纪委"}]}))
        yield w
    finally:
        status = suite.stop_and_report()
        print(f"test_search_intake.py: {time.monotonic() - T0:.1f} s")
    assert all(v == 0 for v in status.values()), status


def search(w, signer, q, **filters):
    return result(w.c.call(signer, "problem.search", {"q": q, **filters}))


def found(page):
    return [r["id"] for r in page["results"]]


def marked(segments):
    """The matched pieces of a segments array (odd indices)."""
    return segments[1::2]


# --- terms -----------------------------------------------------------------------------------

def test_two_character_terms_of_the_issue(w):
    page = search(w, w.s.office, "三资")
    assert sorted(found(page)) == sorted([w.p_sanzi, w.p_b])
    assert page["count"] == 2 and page["count_capped"] is False and page["next"] is None
    assert page["q"] == "三资"
    got = {r["id"]: r for r in page["results"]}[w.p_sanzi]
    assert got["title"] == ["村级", "三资", "管理不规范"]
    assert marked(got["snippet"]) == ["三资"]
    assert got["kind"] == "problem" and got["round"] == "R-CITY" and got["round_name"] == "轮次R-CITY"
    assert got["unit"] == "A-T" and got["unit_name"] == "云溪区青石镇"
    assert got["category"] == "receivables" and got["category_name"] == "村级应收款"
    assert got["state"] == "recorded" and got["date"] == "2024-03-10" and got["source"] == "inspection_team"
    assert float(got["score"]) > 0


def test_one_character_and_longer_terms(w):
    # one character: every place it is, each marked alone (村村 is two marks joined)
    page = search(w, w.s.office, "村", limit=100)
    assert w.p_sanzi in found(page) and w.p_pet in found(page) and w.p_city not in found(page)
    sanzi = {r["id"]: r for r in page["results"]}[w.p_sanzi]
    assert marked(sanzi["title"]) == ["村"]
    assert "村村" in marked(sanzi["snippet"])
    # three and more characters: the substring only
    assert found(search(w, w.s.office, "三资管理")) == [w.p_sanzi]
    assert found(search(w, w.s.office, "违规使用公车")) == [w.p_city]
    # across a punctuation mark: not the substring of the text
    assert found(search(w, w.s.office, "不全三资")) == []
    assert found(search(w, w.s.office, "全，村")) == [w.p_sanzi]   # the mark is a separator in the term too


def test_latin_terms_any_case_and_all_terms_must_match(w):
    assert found(search(w, w.s.office, "gps")) == [w.p_city]
    assert found(search(w, w.s.office, "ＧＰＳ")) == [w.p_city]
    assert found(search(w, w.s.office, "GPS 公车")) == [w.p_city]
    assert found(search(w, w.s.office, "GPS 三资")) == []


def test_a_unit_is_found_by_its_name(w):
    page = search(w, w.s.office, "白沙镇", limit=100)
    assert found(page) == [w.p_b]


# --- filters, rank, paging ---------------------------------------------------------------------

def test_filters(w):
    o = w.s.office
    assert found(search(w, o, "三资", round="R-CITY")) == [w.p_sanzi]
    assert found(search(w, o, "三资", unit="B-T")) == [w.p_b]
    assert found(search(w, o, "三资", year=2023)) == [w.p_b]
    assert found(search(w, o, "三资", year=2024)) == [w.p_sanzi]
    assert found(search(w, o, "三资", owner="city")) == [w.p_sanzi]
    assert found(search(w, o, "三资", owner="D-B")) == [w.p_b]
    # a category with everything under it: four_styles is under governance
    assert sorted(found(search(w, o, "公车", category="governance", limit=100))) == \
        sorted([w.p_city, w.p_a, w.p_detail, w.p_pet])
    assert found(search(w, o, "三资", category="public_concerns")) == [w.p_sanzi]
    assert found(search(w, o, "三资", state="classified")) == []


def test_rank_summary_before_detail_and_scores_descend(w):
    page = search(w, w.s.office, "公车", limit=100)
    ids = found(page)
    # matched in the summary (weight 10) before matched in the detail only (weight 2)
    assert set(ids[:3]) == {w.p_city, w.p_a, w.p_pet} and ids[3] == w.p_detail
    scores = [float(r["score"]) for r in page["results"]]
    assert scores == sorted(scores, reverse=True)
    # the lead is the restricted readers' only
    assert w.p_lead not in ids


def test_paging_gives_the_same_order(w):
    whole = search(w, w.s.office, "公车", limit=100)
    seen, offset = [], 0
    while offset is not None:
        page = search(w, w.s.office, "公车", limit=1, offset=offset)
        assert page["count"] == whole["count"]
        seen += found(page)
        offset = page["next"]
    assert seen == found(whole) and len(seen) == 4


def test_count_is_capped_by_the_policy(w):
    # 公 is in five readable problems (公车 four times, 公开 once); count_max is 4
    page = search(w, w.s.office, "公", limit=100)
    assert page["count"] == 4 and page["count_capped"] is True
    assert len(page["results"]) == 5


# --- access: exactly what problem.list gives -----------------------------------------------------

def listed(w, signer):
    page = result(w.c.call(signer, "problem.list", {"limit": 500}))
    return {p["id"] for p in page["items"]}


@pytest.mark.parametrize("who, word_both, readable, word_other", [
    ("team2", "公车", "p_a", "局机关"),           # a team: its round's problems
    ("dist_b", "三资", "p_b", "台账"),            # a district office: its district's rounds
    ("petition", "公车", "p_pet", "GPS"),        # a reporting bureau: what it reported
    ("office", "礼金", None, "礼金"),             # the office, no restricted reader: no lead
])
def test_a_search_never_returns_counts_or_snippets_what_the_list_hides(w, who, word_both, readable, word_other):
    signer = getattr(w.s, who)
    allowed = listed(w, signer)
    for q in (word_both, word_other, "公", "村", "三资", "公车"):
        page = search(w, signer, q, limit=100)
        assert set(found(page)) <= allowed, (who, q)
        assert page["count"] == min(len(found(page)), 4), (who, q)
        for r in page["results"]:
            assert "礼金" not in "".join(r["title"] + r["snippet"]) or who == "referral"
    if readable:
        page = search(w, signer, word_both, limit=100)
        assert found(page) == [getattr(w, readable)] and page["count"] == 1
    other = search(w, signer, word_other)
    assert other["count"] == 0 and other["results"] == [] and other["next"] is None


def test_the_restricted_reader_finds_the_lead(w):
    page = search(w, w.s.referral, "礼金")
    assert found(page) == [w.p_lead] and page["count"] == 1
    assert marked(page["results"][0]["title"]) == ["礼金"]


def test_who_may_search_is_who_may_list(w):
    # the public channel's principal may not list problems: nor search them
    refused(w.c.call(w.s.public, "problem.list", {}), "forbidden")
    refused(w.c.call(w.s.public, "problem.search", {"q": "公车"}), "forbidden")


# --- the index kept with the record ---------------------------------------------------------------

def test_the_index_right_after_report_classify_and_merge(w):
    o = w.s.office
    p = w.report("C-1", "R-CITY", "新登记的会所问题", "私人会所聚餐")
    assert found(search(w, o, "会所")) == [p]
    # classified as a lead: the office (no restricted reader) no longer finds it, at once
    ack(w.c.call(o, "problem.classify", {"problem": p, "dispositions": [
        {"kind": "lead", "body": "discipline-a", "note": "线索"}]}))
    assert search(w, o, "会所")["count"] == 0
    assert found(search(w, w.s.referral, "会所")) == [p]
    # merged: found with its state
    m1 = w.report("C-1", "R-CITY", "重复反映宴请一", "宴请")
    m2 = w.report("C-1", "R-CITY", "重复反映宴请二", "宴请")
    ack(w.c.call(o, "problem.merge", {"into": m1, "from": [m2]}))
    assert found(search(w, o, "宴请", state="merged")) == [m2]
    assert sorted(found(search(w, o, "宴请"))) == sorted([m1, m2])


def test_a_renamed_unit_is_found_by_both_names(w):
    o = w.s.office
    assert found(search(w, o, "东村")) == [w.p_a]
    ack(w.c.call(o, "unit.rename", {"unit": "A-V", "name": "青石镇东湾村"}))
    assert found(search(w, o, "东湾")) == [w.p_a]        # the new name, at once
    assert found(search(w, o, "东村")) == [w.p_a]        # the old name still
    got = search(w, o, "东湾")["results"][0]
    assert got["unit_name"] == "青石镇东湾村"
    # a problem reported after the rename is found by both names too
    p = w.report("A-V", "R-A", "新问题", "会议费超标")
    assert sorted(found(search(w, o, "东村"))) == sorted([w.p_a, p])


# --- hostile queries ---------------------------------------------------------------------------

@pytest.mark.parametrize("q, code, words", [
    ("", "schema", ["data.q"]),
    ("，。！", "schema", ["search term 1 has no letter, digit or chinese character"]),
    ("公车 \"", "schema", ["search term 2 has no letter"]),
    ("a b c d e f g h i", "schema", ["more than 8 terms"]),
    ("公" * 101, "schema", ["more than 100 characters"]),
    (" \u3000 ", "schema", ["the search has no term"]),
])
def test_hostile_queries_are_refused_with_their_error(w, q, code, words):
    refused(w.c.call(w.s.office, "problem.search", {"q": q}), code, *words)


def test_query_syntax_is_text(w):
    for q in ('NEAR(公车 问题)', '公车" OR "三资', 'summary:公车', '公车*', '^公车', '(公车)', 'AND', 'NOT 公车'):
        page = search(w, w.s.office, q)
        assert isinstance(page["count"], int)
    assert found(search(w, w.s.office, "(公车)", limit=100)) == found(search(w, w.s.office, "公车", limit=100))
    assert search(w, w.s.office, '公车" OR "三资')["count"] == 0


@pytest.mark.parametrize("data, code, words", [
    ({"q": "公车", "category": "nothing"}, "not_found", ["nothing"]),
    ({"q": "公车", "owner": "C-1"}, "schema", ["C-1", "not a district"]),
    ({"q": "公车", "owner": "X-9"}, "not_found", ["X-9"]),
    ({"q": "公车", "limit": 101}, "schema", ["limit"]),
    ({"q": "公车", "offset": 1001}, "schema", ["offset"]),
    ({"q": "公车", "state": "open"}, "schema", ["state"]),
    ({"q": 5}, "schema", ["q"]),
    ({}, "schema", ["q"]),
])
def test_bad_filters_are_refused(w, data, code, words):
    refused(w.c.call(w.s.office, "problem.search", data), code, *words)


# --- restart (last: the world stays as it was) ------------------------------------------------------

def ids_of(page):
    return sorted(found(page)), page["count"]


def test_the_index_after_a_restart_and_rows_written_directly(w):
    """The store written straight with SQLite while the service is down (as the benches load
    it, searchlib): the triggers index those rows too; and what was found before is found the
    same after the restart. The rows also show the rank window: 1300 problems hold 测绘, the
    200 oldest three times in the summary (the better match), the 1100 newest once in the
    detail; rank_window is 1100, so only the newest 1100 are ranked and paged."""
    before = {q: search(w, w.s.office, q, limit=100) for q in ("公车", "三资", "东湾", "村", "会所", "宴请")}
    d = w.s.deployments["intake"]
    assert d.end_process() == 0
    d.start()
    w.c = w.s.client("intake")
    for q, page in before.items():
        assert search(w, w.s.office, q, limit=100) == page
    assert d.end_process() == 0
    con = searchlib.connect(f"{w.s.folder}/intake.db", isolation_level=None)
    try:
        top = con.execute("SELECT max(id) FROM problems").fetchone()[0]
        rows = [(top + i, "R-CITY", "C-1", "four_styles", "测绘测绘测绘项目" if i <= 200 else "项目经费",
                 "经费" if i <= 200 else "测绘项目经费", "serious", "audit", 0, "[]", "office", 1700000000,
                 "recorded", "2024-04-01") for i in range(1, 1301)]
        con.execute("BEGIN")
        searchlib.insert_many(con, "problems", ["id", "round", "unit", "category", "summary", "detail", "severity",
                                                "source", "immediate", "evidence", "reported_by", "reported_at",
                                                "status", "found_on"], rows)
        con.execute("COMMIT")
        assert con.execute("SELECT count(*) FROM problem_search WHERE problem_search MATCH '\"测绘\"'").fetchone() == (1300,)
    finally:
        con.close()
    d.start()
    w.c = w.s.client("intake")
    for q, page in before.items():        # the same problems (bm25's weights move with the index)
        assert ids_of(search(w, w.s.office, q, limit=100)) == ids_of(page)
    page = search(w, w.s.office, "测绘", limit=100, offset=1000)
    assert page["count"] == 4 and page["count_capped"] is True
    ids = found(page)
    # the window: the newest 1100 (ids top+201 .. top+1300), equal matches newest first
    assert ids == list(range(top + 300, top + 200, -1)) and page["next"] is None
    first = search(w, w.s.office, "测绘", limit=1)
    assert found(first) == [top + 1300] and marked(first["results"][0]["snippet"]) == ["测绘"]
