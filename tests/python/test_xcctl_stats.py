"""`xcctl stats` (issue 19): the filters passed to intake.stats, referral.stats and
rectify.stats, the report a person reads (Chinese only, each rate with the definition its
service gives), and `xcctl help` naming each verb's noun.

Real xc-intake, xc-referral and xc-rectify (conftest.Suite) and build/bin/xcctl. The world is
loaded from history as the office would (occurred_on): two rounds in two years, one the
city's and one a district's; a lead with outcomes per person; a special report signed by a
leader; an interview; return visits. Figures are checked twice: against what each service
itself answers to the same filters, and against counts known from what this file loaded.
"""

import json
import os
import re
import subprocess

import pytest

from conftest import REPO, Suite, key_file, running_suite

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
ENV = {k: v for k, v in os.environ.items() if k not in ("XC_CONFIG", "XC_KEY")}
SERVICES = ["intake", "referral", "rectify"]
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "discipline": ("discipline-commission", "discipline", {"units": ["*"]}),
    "orgdept": ("organization-department", "organization", {"units": ["*"]}),
}
WAIT = 15.0


# --- running xcctl -----------------------------------------------------------------------------

def bare(*args, cwd=None):
    """xcctl with no deployment at all: what it says must come before any is looked for."""
    return subprocess.run([XCCTL, *args], capture_output=True, text=True, timeout=30, cwd=cwd, env=ENV)


def xcctl(s, *args, timeout=30):
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", s.office_key, *args],
                          capture_output=True, text=True, timeout=timeout, env=ENV)


def done(r):
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def wait_for(fn, what, timeout=WAIT):
    import time
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not hold within {timeout} s")
        time.sleep(0.05)


def line_of(text, label):
    """The report's line whose label (the text before the figure) is label."""
    found = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(label + " ")]
    assert found, (label, text)
    return found[0]


def figure(text, label):
    """The figure after label on its line (the line's last field)."""
    return line_of(text, label).split()[-1]


# --- 1. options, checked before anything is sent -----------------------------------------------

@pytest.mark.parametrize("args, said", [
    (["--year", "1999"], "stats --year: '1999' is not a year from 2000 to 2100"),
    (["--year", "2101"], "stats --year: '2101' is not a year from 2000 to 2100"),
    (["--year", "二〇二〇"], "is not a year from 2000 to 2100"),
    (["--kind", "regulr"], "stats --kind: no such value 'regulr'; did you mean 'regular'?"),
    (["--mode", "linkd"], "stats --mode: no such value 'linkd'; did you mean 'linked'?"),
    (["--unit-level", "vilage"], "stats --unit-level: no such value 'vilage'; did you mean 'village'?"),
    (["--owner", "市委"], "stats --owner: '市委' is not an id"),
    (["--round", "R 1"], "stats --round: 'R 1' is not an id"),
    (["--category", ""], "stats --category: '' is not an id"),
    (["--round", "R1", "--round", "R2"], "stats: --round given twice"),
    (["--round"], "stats: --round needs a value"),
    (["--yeer", "2020"], "stats: unknown option '--yeer'; did you mean '--year'?"),
    (["2020"], "stats: '2020'"),
])
def test_a_wrong_filter_is_exit_2_naming_it_before_any_deployment_is_read(tmp_path, args, said):
    r = bare("stats", *args, cwd=str(tmp_path))
    assert r.returncode == 2, r
    assert said in r.stderr, r.stderr
    assert r.stdout == ""


def test_stats_help_names_every_filter(tmp_path):
    for args in (["stats", "--help"], ["help", "stats"]):
        r = bare(*args, cwd=str(tmp_path))
        assert r.returncode == 0, r
        for option in ("--round", "--owner", "--year", "--kind", "--mode", "--category", "--unit-level"):
            assert option in r.stdout, (option, r.stdout)


def test_help_prints_every_verb_with_its_noun(tmp_path):
    r = bare("help", cwd=str(tmp_path))
    assert r.returncode == 0, r
    verbs = r.stdout[r.stdout.index("verbs:\n"):].splitlines()[1:]
    assert len(verbs) > 40
    nouns = {ln.split()[0] for ln in verbs}
    assert {"unit", "round", "problem", "intake", "referral", "rectify", "notify"} <= nouns, nouns
    # under a noun too (the noun column was empty there): every verb line names it
    for noun in ("unit", "referral", "rectify"):
        for args in (["help", noun], [noun, "--help"]):
            r = bare(*args, cwd=str(tmp_path))
            assert r.returncode == 0, r
            lines = r.stdout.splitlines()[1:]
            assert lines and all(ln.split()[0] == noun for ln in lines), (args, r.stdout)


# --- 2. the world, loaded from history ---------------------------------------------------------

@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS)
    s.office_key = key_file(tmp_path, s.office)
    yield from running_suite(s)


UNITS = [("D-1", "云溪区", "district", None), ("U-T", "青石镇", "town", "D-1"),
         ("U-V", "柳树村", "village", "U-T"), ("U-C", "市教育局", "city_department", None),
         ("U-S", "市第一中学", "school", None)]
STAGES = [("stationed", "-03-10"), ("withdrawn", "-05-10"), ("reported", "-05-20"),
          ("feedback_delivered", "-06-01")]


def load_world(s):
    """Two rounds: R-C20 the city's (2020; U-C main, U-S extended), R-D21 district D-1's (2021;
    U-T and U-V main), both fed back. Problems (reported by the office from history): in 2020
    p1 U-C four_styles immediate (fed back), p2 U-S livelihood (a lead, outcomes for two people);
    in 2021 p3 U-V receivables (fed back). A special report on R-C20's p1 signed by a leader;
    an interview at U-C; a return visit to U-C. Returns the clients and the problem ids."""
    c = {n: s.client(n) for n in SERVICES}
    intake = c["intake"]
    for uid, name, level, parent in UNITS:
        ok(intake.call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                   **({"parent": parent} if parent else {})}))
    for rid, name, owner, year, targets in (
            ("R-C20", "十二届市委第一轮巡察", "city", 2020, [("U-C", "main"), ("U-S", "extended")]),
            ("R-D21", "云溪区委第三轮巡察", "D-1", 2021, [("U-T", "main"), ("U-V", "main")])):
        ok(intake.call(s.office, "round.open", {
            "id": rid, "name": name, "kind": "regular", "owner": owner, "team": "team-1",
            "targets": [{"unit": u, "coverage": cov} for u, cov in targets],
            "planned_start": f"{year}-03-01", "planned_end": f"{year}-05-01", "date": f"{year}-02-20"}))
        for stage, day in STAGES:
            ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": f"{year}{day}"}))

    def report(rid, unit, category, on, immediate=False):
        return ok(intake.call(s.office, "problem.report", {
            "round": rid, "unit": unit, "category": category, "summary": f"{unit}的问题", "detail": "巡察底稿",
            "severity": "general", "source": "inspection_team", "immediate": immediate, "occurred_on": on}))["problem"]

    p1 = report("R-C20", "U-C", "four_styles", "2020-04-01", immediate=True)
    p2 = report("R-C20", "U-S", "livelihood", "2020-04-02")
    p3 = report("R-D21", "U-V", "receivables", "2021-04-01")
    ok(intake.call(s.office, "problem.classify", {"problem": p1, "occurred_on": "2020-06-01", "dispositions": [
        {"kind": "feedback", "timeliness": "immediate"}]}))
    ok(intake.call(s.office, "problem.classify", {"problem": p2, "occurred_on": "2020-06-01", "dispositions": [
        {"kind": "lead", "body": "discipline-commission", "note": "移交市纪委监委"}]}))
    ok(intake.call(s.office, "problem.classify", {"problem": p3, "occurred_on": "2021-06-01", "dispositions": [
        {"kind": "feedback", "timeliness": "deadline"}]}))

    referral = c["referral"]
    lead = wait_for(lambda: ok(referral.call(s.office, "referral.list", {"kind": "lead"}))["items"], "the lead")[0]["id"]
    ok(referral.call(s.office, "referral.acknowledge", {"referral": lead, "occurred_on": "2020-06-05"}))
    ok(referral.call(s.office, "referral.dispose", {"referral": lead, "method": "preliminary_verification",
                                                    "occurred_on": "2020-06-20"}))
    people = [{"form": 2, "party_sanction": "warning", "administrative_sanction": None,
               "organizational_handling": None, "detained": False, "prosecuted": False},
              {"form": 4, "party_sanction": "expulsion", "administrative_sanction": "expulsion",
               "organizational_handling": None, "detained": True, "prosecuted": True},
              {"form": 1, "party_sanction": None, "administrative_sanction": None,
               "organizational_handling": "admonishment", "detained": False, "prosecuted": False}]
    ok(referral.call(s.office, "referral.outcome", {"referral": lead, "case_filed": True, "people": people,
                                                    "occurred_on": "2020-09-01"}))
    rep = ok(referral.call(s.office, "referral.create", {
        "kind": "report", "target": "organization-department", "title": "关于教育系统四风问题的专题报告",
        "detail": "专题报告正文", "problem": p1, "round": "R-C20", "unit": "U-C", "category": "four_styles",
        "occurred_on": "2020-06-05"}))["referral"]
    ok(referral.call(s.office, "referral.sign", {"referral": rep, "leader": {"name": "张某", "title": "市委书记"},
                                                 "occurred_on": "2020-06-10"}))

    rectify = c["rectify"]
    wait_for(lambda: len(ok(rectify.call(s.office, "rectify.list", {}))["items"]) == 2, "the two items")
    ok(rectify.call(s.office, "rectify.interview", {
        "round": "R-C20", "unit": "U-C", "interviewee": {"name": "李某", "title": "局长"}, "by": "市委巡察办主任",
        "occurred_on": "2020-10-01"}))
    ok(rectify.call(s.office, "rectify.revisit", {"unit": "U-C", "round": "R-C20", "date": "2020-09-15",
                                                  "kinds": ["return_visit"]}))
    return c, (p1, p2, p3)


def direct(c, s, filters):
    """Each service's own answer to its stats query with filters."""
    return {n: ok(c[n].call(s.office, f"{n}.stats", filters)) for n in SERVICES}


def as_json(s, *args):
    """The city as a whole, or the scope --owner asks for (without --owner the other scopes
    come too, under city, district and districts: test_xcctl_levels.py)."""
    return json.loads(done(xcctl(s, "--json", "stats", *args)))


SELECTIONS = [
    ([], {}),
    (["--year", "2020"], {"year": 2020}),
    (["--round", "R-C20"], {"round": "R-C20"}),
    (["--owner", "city"], {"owner": "city"}),
    (["--owner", "district"], {"owner": "district"}),
    (["--owner", "D-1"], {"owner": "D-1"}),
    (["--kind", "regular", "--year", "2021"], {"kind": "regular", "year": 2021}),
    (["--category", "governance"], {"category": "governance"}),
    (["--unit-level", "village"], {"unit_level": "village"}),
]


def test_each_filter_reaches_the_three_services_and_the_report_is_their_answer(suite):
    s = suite
    c, _ = load_world(s)
    for args, filters in SELECTIONS:
        got = as_json(s, *args)
        assert got["filters"] == filters, (args, got["filters"])
        want = direct(c, s, filters)
        for n in SERVICES:
            assert got[n] == want[n], (args, n)
            # each service echoes what it applied
            assert want[n]["filters"] == filters, (n, args, want[n]["filters"])


def test_the_figures_of_each_selection_are_the_loaded_ones(suite):
    s = suite
    load_world(s)
    total = lambda *a: as_json(s, *a)["intake"]["problems"]["total"]   # noqa: E731
    assert total() == 3
    assert total("--year", "2020") == 2 and total("--year", "2021") == 1 and total("--year", "2019") == 0
    assert total("--round", "R-C20") == 2 and total("--round", "R-D21") == 1
    assert total("--owner", "city") == 2 and total("--owner", "district") == 1 and total("--owner", "D-1") == 1
    assert total("--category", "governance") == 1            # four_styles is under governance
    assert total("--category", "public_concerns") == 2       # livelihood and receivables
    assert total("--unit-level", "village") == 1
    assert total("--kind", "lookback") == 0 and total("--mode", "linked") == 0

    per_round = as_json(s, "--round", "R-C20")
    ref = per_round["referral"]
    assert ref["leads"] == 1 and ref["cases_filed"] == 1 and ref["people"] == 3
    assert {k: v for k, v in ref["by_form"].items() if v} == {"1": 1, "2": 1, "4": 1}
    assert ref["detentions"] == 1 and ref["prosecution_transfers"] == 1
    assert ref["sanctioned_people"] == 2 and ref["party_sanctions"] == 2 and ref["administrative_sanctions"] == 1
    assert ref["organizational_handling"] == 1
    assert ref["reports"] == 1 and ref["reports_signed"] == 1
    rect = per_round["rectify"]
    assert rect["interviews_held"] == 1
    assert rect["revisits"]["due"] == 2 and rect["revisits"]["done"] == 1   # every target of the round
    # the other year's round has none of these
    other = as_json(s, "--round", "R-D21")
    assert other["referral"]["leads"] == 0 and other["referral"]["people"] == 0
    assert other["rectify"]["interviews_held"] == 0

    # 市级/县级 by who ran the round, not by the unit's level
    summary = as_json(s)["summary"]
    assert summary["city"] == {"regular_main": 1, "regular_extended": 1}
    assert summary["district"] == {"units": 2, "villages": 1}
    m = summary["institutional_measures"]
    assert m["total"] == m["rectify"] + m["referral"]


def test_the_report_is_chinese_with_each_rate_and_its_definition(suite):
    s = suite
    load_world(s)
    text = done(xcctl(s, "stats", "--round", "R-C20"))
    answers = as_json(s, "--round", "R-C20")
    # the selection, named as a person reads it
    scope = [ln for ln in text.splitlines() if ln.startswith("统计范围：")][0]
    assert "轮次 R-C20" in scope, scope
    # no English words: the only Latin letters are the ids the office chose
    words = set(re.findall(r"[A-Za-z][A-Za-z_]+", text))
    assert words <= {"R", "C20"} | {"R-C20"}, (words, text)
    # the source's figures for a round, in its words
    assert figure(text, "发现问题") == "2"
    assert figure(text, "移交问题线索") == "1"
    assert figure(text, "立案") == "1"
    assert figure(text, "留置") == "1"
    assert figure(text, "移送司法") == "1"
    assert figure(text, "其中领导签批") == "1"
    assert line_of(text, "第一种形态").endswith("1人") and line_of(text, "第二种形态").endswith("1人")
    assert line_of(text, "第三种形态").endswith("0人") and line_of(text, "第四种形态").endswith("1人")
    assert "警告1人" in line_of(text, "党纪处分") and "开除党籍1人" in line_of(text, "党纪处分")
    assert "开除1人" in line_of(text, "政务处分")
    assert "诫勉1人" in line_of(text, "组织处理")
    assert figure(text, "党纪政务处分（人）") == "2"
    assert line_of(text, "约谈一把手").startswith("约谈一把手") and "1人" in line_of(text, "约谈一把手")
    assert "1个 / 应回访2个" in line_of(text, "巡察回访")
    measures = answers["summary"]["institutional_measures"]
    assert f"{measures['total']}项" in line_of(text, "完善制度机制")
    # each rate beside the definition its service gives, word for word
    on_time = answers["rectify"]["on_time"]
    rate_line = line_of(text, "整改按期报结率")
    assert f"（{on_time['closed_on_time']}/{on_time['due']}）" in rate_line, rate_line
    for service in SERVICES:
        for sentence in answers[service].get("definitions", {}).values():
            assert f"{sentence}" in text, (service, sentence, text)
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.strip().startswith("整改按期报结率"))
    assert lines[at + 1].strip() == f"口径：{answers['rectify']['definitions']['on_time']}", lines[at:at + 2]


def test_a_round_that_does_not_exist_is_exit_6_and_no_figures(suite):
    s = suite
    r = xcctl(s, "stats", "--round", "R-NONE")
    assert r.returncode == 6 and "R-NONE" in r.stderr, r
    assert r.stdout == "", r.stdout          # no report of figures for nothing


def test_the_selection_is_named_in_words(suite):
    s = suite
    load_world(s)
    text = done(xcctl(s, "stats", "--owner", "D-1", "--year", "2021", "--kind", "regular"))
    scope = text.splitlines()[1]
    assert scope == "统计范围：巡察主体 D-1（云溪区）；年度 2021；巡察类型 常规巡察", scope
    assert figure(text, "发现问题") == "1"
    scope = done(xcctl(s, "stats", "--owner", "district", "--mode", "linked")).splitlines()[1]
    assert scope == "统计范围：巡察主体 各区县委（县级巡察）；巡察方式 联动巡察", scope
    # a category by its names from the root, from intake's default policy (the file lists none)
    scope = done(xcctl(s, "stats", "--category", "four_styles")).splitlines()[1]
    assert scope == "统计范围：问题类别 全面从严治党 › 四风", scope


def test_the_services_lists_are_headed_in_the_offices_words(suite):
    s = suite
    load_world(s)
    header = done(xcctl(s, "unit", "list")).splitlines()[0].split()
    assert header[:5] == ["编号", "名称", "层级", "上级单位", "登记日期"], header
    header = done(xcctl(s, "rectify", "list")).splitlines()[0].split()
    assert {"编号", "轮次", "单位", "问题摘要", "状态", "期限", "逾期"} <= set(header), header
    header = done(xcctl(s, "referral", "list")).splitlines()[0].split()
    assert header[:4] == ["编号", "类型", "接收单位", "问题编号"], header
    # the operator's table keeps the deployment's words
    assert done(xcctl(s, "health")).splitlines()[0].split()[:3] == ["SERVICE", "API", "STATE"]


def test_the_lists_values_read_in_the_offices_words(suite):
    """Codes read as words in the tables (class 限期整改, state 已销号, kind 常规巡察, level 村（社区）,
    booleans 是/否), a category by its names from the root; --json keeps the codes."""
    s = suite
    load_world(s)
    rows = [ln.split() for ln in done(xcctl(s, "rectify", "list")).splitlines()[1:]]
    assert rows and all(r[4:6] == ["全面从严治党", "›"] or r[4:6] == ["群众急难愁盼", "›"] for r in rows), rows
    table = done(xcctl(s, "rectify", "list"))
    for word in ("立行立改", "限期整改", "待制定方案", "是"):
        assert word in table, (word, table)
    for code in ("four_styles", "receivables", "immediate", "deadline", "opened", "false"):
        assert code not in table, (code, table)
    rounds = done(xcctl(s, "round", "list"))
    # the owner: 市本级 for the city's round, the district's organ for its own
    assert "常规巡察" in rounds and "反馈" in rounds and "市本级" in rounds and "云溪区" in rounds, rounds
    assert "regular" not in rounds and "feedback_delivered" not in rounds, rounds
    units = done(xcctl(s, "unit", "list"))
    assert "村（社区）" in units and "存续" in units and "village" not in units, units
    problems = done(xcctl(s, "problem", "list"))
    assert "全面从严治党 › 四风" in problems and "four_styles" not in problems, problems
    assert "巡察组" in problems and "inspection_team" not in problems, problems
    referrals = done(xcctl(s, "referral", "list"))
    assert "问题线索" in referrals and "专题报告" in referrals and "初步核实" in referrals, referrals
    assert json.loads(done(xcctl(s, "--json", "rectify", "list")))["items"][0]["state"] == "opened"
