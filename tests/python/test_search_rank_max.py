"""problem.search ranks the newest policies.intake.search.rank_window matches (docs/services/intake.md,
"Search"): a common term's best match among older problems is not scored, one within them is;
count still counts every match; owner "city" takes only problems of the city's rounds.

One world: xc-intake made its store, 1,300 problems were written into it straight with SQLite
(tests/python/searchlib.py: the store's triggers index them), then xc-intake started again on it
with rank_window 1100 (the least the policy takes).
"""
import os
import sys

import pytest

import searchlib
from conftest import Suite, write_json

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from stats_bench import insert_rows  # noqa: E402  (fills every NOT NULL column of the schema)

N = 1300
RANK_WINDOW = 1100
POLICIES = {"intake": {"search": {"rank_window": RANK_WINDOW, "count_max": 10000}}}   # counted past the window


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("rank_window"))
    principals = {"office": ("office", "office", {}), "team": ("team-1", "team", {})}
    made = Suite(folder, ["intake"], principals, POLICIES)
    made.start()
    made.stop()
    con = searchlib.connect(os.path.join(folder, "intake.db"), isolation_level=None)
    con.execute("BEGIN")
    unit = {"id": "U1", "name": "湖塘镇张家村", "level": "village", "parent": None, "registered_on": "2019-01-01"}
    insert_rows(con, "units", [unit], unit)
    name = {"unit": "U1", "seq": 0, "name": unit["name"], "from_on": "2019-01-01"}
    insert_rows(con, "unit_names", [name], name)
    rnd = {"id": "R1", "name": "2020年第一轮巡察", "kind": "regular", "modes": "[]", "team": "team-1",
           "planned_start": "2020-03-01", "planned_end": "2020-06-01", "stage": "closed", "stage_index": 8,
           "year": 2020, "organ": "市委巡察办", "owner_district": None}
    insert_rows(con, "rounds", [rnd], rnd)

    def problem(i):
        # problem 1 says 公车 three times in a short summary: bm25's best; the others once
        summary = "公车公车公车" if i == 1 else f"违规使用公车问题{i}"
        return {"id": i, "round": None if i == N else "R1", "unit": "U1", "category": "eight_rules",
                "summary": summary, "detail": "经查属实，已责令整改并退还相关费用。", "severity": "general",
                "source": "inspection_team", "immediate": 0, "evidence": "[]", "reporter": None,
                "reported_by": "team-1", "reported_at": 1_580_000_000_000 + i, "status": "classified",
                "merged_into": None, "feedback": None, "fed_back_on": None, "found_on": "2020-04-01",
                "classified_on": "2020-05-01", "unit_level": "village"}
    insert_rows(con, "problems", (problem(i) for i in range(1, N + 1)), problem(1))
    con.execute("COMMIT")
    con.close()
    suite = Suite(folder, ["intake"], principals, POLICIES)
    write_json(suite.config_path, suite.config)
    suite.start()
    yield suite, suite.client("intake")
    assert suite.stop() == {"intake": 0}


def search(w, **data):
    suite, client = w
    reply = client.call(suite.office, "problem.search", data)
    assert reply["type"] == "result", reply
    return reply["data"]


def test_a_common_term_ranks_the_newest_rank_window_and_counts_every_match(w):
    page = search(w, q="公车", limit=100)
    assert page["count"] == N and page["count_capped"] is False
    ids = [int(r["id"]) for r in page["results"]]
    # problem 1 is bm25's best but older than the newest 1100 matches: not ranked
    assert 1 not in ids
    assert all(i > N - RANK_WINDOW for i in ids), ids
    scores = [float(r["score"]) for r in page["results"]]
    assert scores == sorted(scores, reverse=True)


def test_within_rank_window_the_best_match_comes_first(w):
    # the words of problem 1 alone: only it and those within the newest 1100 can match
    page = search(w, q="公车公车")
    assert page["count"] == 1 and [int(r["id"]) for r in page["results"]] == [1]


def test_owner_city_is_the_city_rounds_not_a_problem_without_one(w):
    page = search(w, q="问题1300")
    assert [int(r["id"]) for r in page["results"]] == [N]
    assert search(w, q="问题1300", owner="city")["count"] == 0
    assert search(w, q="问题1299", owner="city")["count"] == 1
