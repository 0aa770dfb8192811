"""`xcctl import round`: the office's past rounds from its spreadsheets (CSV with Chinese
headers), through the real services, each fact on the day it happened.

The sample (import_sample.py) spreads a few hundred problems over five years (2017-2021) of
city and district rounds, with their rectification and lead outcomes, and a few rows a clerk
gets wrong. Every refused row must be named by file:line while the rest go on; afterwards the
figures of each year (`xcctl stats --year Y --json`) must be those counted from the CSV rows;
running the same import again must change nothing.
"""

import csv
import json
import os
import subprocess

import pytest

from conftest import REPO, Suite, key_file, running_suite
from import_sample import YEARS, make_sample

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
PRINCIPALS = {"office": ("office", "office", {}), "team": ("team-1", "team", {}),
              "body": ("jiwei", "discipline", {"units": ["*"]}),
              "department": ("dept-audit", "audit", {"units": ["*"]})}


def new_suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "referral", "rectify"], PRINCIPALS)
    s.key = key_file(tmp_path, s.office)
    return s


@pytest.fixture
def suite(tmp_path):
    yield from running_suite(new_suite(tmp_path))


def xcctl(s, *args, timeout=120):
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", s.key, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def import_args(paths, *extra):
    return ["import", "round", "--rounds", paths["rounds"], "--targets", paths["targets"],
            "--problems", paths["problems"], "--leads", paths["leads"], "--people", paths["people"], "--reports", paths["reports"], *extra]


def named_lines(stderr):
    """The (file, line) of each refused row named on stderr."""
    named = set()
    for line in stderr.splitlines():
        head = line.split(": ", 1)[0]
        if ":" in head and head.rsplit(":", 1)[1].isdigit():
            path, number = head.rsplit(":", 1)
            named.add((os.path.splitext(os.path.basename(path))[0], int(number)))
    return named


def test_check_names_each_bad_row_by_its_line_and_reads_the_rest(tmp_path):
    s = new_suite(tmp_path)                 # the config only: --check sends nothing
    paths, expected, bad = make_sample(str(tmp_path), problems=120)
    run = xcctl(s, *import_args(paths, "--check"))
    assert run.returncode == 1, run.stdout + run.stderr
    # the unknown unit is known only to intake: --check cannot tell it
    assert named_lines(run.stderr) == set(bad) - {bad[3]}, run.stderr
    assert "问题类别 '不存在的类别': no category" in run.stderr and "'2019-02-30' is no date" in run.stderr
    total = sum(expected[y]["problems"] for y in YEARS)
    assert f"10 rounds, {total + 1} problems" in run.stdout, run.stdout
    assert f"{sum(expected[y]['reports'] for y in YEARS)} reports read" in run.stdout, run.stdout


def test_a_file_with_an_unknown_or_missing_column_is_refused_whole(tmp_path):
    s = new_suite(tmp_path)
    paths, _, _ = make_sample(str(tmp_path), problems=20, bad_rows=False)
    text = open(paths["problems"], encoding="utf-8-sig").read()
    with open(paths["problems"], "w", encoding="utf-8-sig") as f:
        f.write(text.replace("问题类别", "问题类型", 1))
    run = xcctl(s, *import_args(paths, "--check"))
    assert run.returncode == 4
    assert "no column '问题类别'" in run.stderr, run.stderr
    with open(paths["problems"], "w", encoding="utf-8-sig") as f:
        f.write(text.replace("问题来源", "问题来原", 1))
    run = xcctl(s, *import_args(paths, "--check"))
    assert run.returncode == 4
    assert "no column '问题来原'; did you mean '问题来源'?" in run.stderr, run.stderr


def test_rows_a_clerk_gets_wrong_are_named(tmp_path):
    s = new_suite(tmp_path)
    paths, _, _ = make_sample(str(tmp_path), problems=20, bad_rows=False)
    with open(paths["leads"], "a", encoding="utf-8") as f:
        f.write("NO-SUCH,2019-05-01,初步核实,2019-05-01,是,\r\n")
        f.write("\"unclosed,2019-05-01\r\n")
    run = xcctl(s, *import_args(paths, "--check"))
    assert run.returncode == 4 and "a quote is not closed" in run.stderr, run.stderr
    with open(paths["leads"], encoding="utf-8-sig") as f:
        lines = f.read().splitlines()[:-1]
    with open(paths["leads"], "w", encoding="utf-8-sig") as f:
        f.write("\r\n".join(lines) + "\r\n")
    run = xcctl(s, *import_args(paths, "--check"))
    assert run.returncode == 1
    assert f"leads.csv:{len(lines)}: 问题编号 'NO-SUCH' is no problem" in run.stderr, run.stderr


def year_figures(s, year):
    run = xcctl(s, "--json", "stats", "--year", str(year))
    assert run.returncode == 0, run.stdout + run.stderr
    got = json.loads(run.stdout)
    intake, referral, rectify = got["intake"], got["referral"], got["rectify"]
    return {"problems": intake["problems"]["total"], "by_category": intake["problems"]["by_category"], "leads": referral["leads"],
            "handovers": referral["handovers"], "cases_filed": referral["cases_filed"],
            "people": referral["people"], "sanctioned": referral["sanctioned_people"],
            "detentions": referral["detentions"], "items": rectify["items"],
            "closed_on_time": rectify["on_time"]["closed_on_time"], "due": rectify["on_time"]["due"],
            "institutional_measures": rectify["institutional_measures"], "reports": referral["reports"],
            "reports_signed": referral["reports_signed"], "revisits_due": rectify["revisits"]["due"],
            "revisits_done": rectify["revisits"]["done"], "interviews_held": rectify["interviews_held"]}


def test_five_years_load_with_their_dates_and_give_each_years_figures(suite, tmp_path):
    os.makedirs(tmp_path / "sample")
    paths, expected, bad = make_sample(str(tmp_path / "sample"), problems=300)
    units = xcctl(suite, "import", "units", paths["units"])
    assert units.returncode == 0, units.stdout + units.stderr

    run = xcctl(suite, *import_args(paths), timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    assert named_lines(run.stderr) == set(bad), run.stderr
    assert "'查无此单位': no unit has that id or name" in run.stderr
    print(run.stdout)

    figures = {}
    for year in YEARS:
        e = expected[year]
        got = year_figures(suite, year)
        figures[year] = got
        want = {"problems": e["problems"], "by_category": e["by_category"], "leads": e["leads"], "handovers": e["handovers"],
                "cases_filed": e["cases_filed"], "people": e["people"], "sanctioned": e["sanctioned"],
                "detentions": e["detentions"], "items": e["items"], "closed_on_time": e["closed_on_time"],
                # every item has a deadline and is due by now: closed or past its due date
                "due": e["items"], "institutional_measures": e["institutional_measures"],
                "reports": e["reports"], "reports_signed": e["reports_signed"],
                # every target of a round fed back gets its visit (回访), due in the round's year
                "revisits_due": e["revisits_due"], "revisits_done": e["revisits_done"],
                "interviews_held": e["interviews_held"]}
        assert got == want, (year, got, want)

    # the 2020 rounds' units scored as the paper says (the default weights)
    scored = {}
    for rid in ("R-2020-C", "R-2020-D"):
        run = xcctl(suite, "--json", "rectify", "round", "--round", rid)
        assert run.returncode == 0, run.stderr
        scored.update({(rid, t["unit"]): t["score"] for t in json.loads(run.stdout)["targets"]})
    assert scored == expected["scores"]

    # a past claim counts by its own date: the late ones are late, not "today"
    assert any(e["closed_on_time"] < e["closed"] for y, e in expected.items() if y in YEARS)

    # the same import again: every command is the one sent before, nothing counts twice
    again = xcctl(suite, *import_args(paths), timeout=600)
    assert again.returncode == 1
    assert named_lines(again.stderr) == set(bad), again.stderr
    for year in YEARS:
        assert year_figures(suite, year) == figures[year], year

    audit = xcctl(suite, "audit", "verify", timeout=300)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_a_field_with_line_breaks_keeps_the_line_numbers_of_the_rows_after_it(tmp_path):
    s = new_suite(tmp_path)
    paths, _, _ = make_sample(str(tmp_path), problems=10, bad_rows=False)
    with open(paths["problems"], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, first = rows[0], rows[1]
    first[header.index("问题详情")] = "第一段，\r\n第二段\r\n第三段"   # a cell of three lines, as a spreadsheet saves it
    bad = list(first)
    bad[0], bad[header.index("发现时间")] = "LATE-1", "2019年13月1日"
    with open(paths["problems"], "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows([header, first, bad])
    run = xcctl(s, "import", "round", "--rounds", paths["rounds"], "--targets", paths["targets"],
                "--problems", paths["problems"], "--check")
    assert run.returncode == 1
    # the header is line 1, the three-line record lines 2-4: the bad row is on line 5
    assert named_lines(run.stderr) == {("problems", 5)}, run.stderr
    assert "发现时间 '2019年13月1日' is no date" in run.stderr
