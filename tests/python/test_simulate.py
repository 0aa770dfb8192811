"""The source document's five years, driven through the real services by `xcctl simulate`.

From empty stores, `xcctl simulate --profile changzhou-5y` acts as the office, an inspection
team, the discipline commission and the units through signed commands only; afterwards every
figure of `xcctl stats` must be the profile's (config/profiles/changzhou-5y.json, the figures
the source publishes), and every service's event chain must verify.
"""

import json
import os
import subprocess

import pytest

from conftest import REPO, Suite, key_file, running_suite

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
PROFILE = os.path.join(REPO, "config", "profiles", "changzhou-5y.json")


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "referral", "rectify"], {"office": ("office", "office", {})})
    s.key = key_file(tmp_path, s.office)
    yield from running_suite(s)


def xcctl(s, *args, timeout=60):
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", s.key, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def test_the_five_years_reproduce_every_published_figure(suite):
    with open(PROFILE, encoding="utf-8") as f:
        profile = json.load(f)
    run = xcctl(suite, "simulate", "--profile", "changzhou-5y", timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    print(run.stdout)                        # the run's duration, quoted in the README

    stats = xcctl(suite, "--json", "stats")
    assert stats.returncode == 0, stats.stderr
    got = json.loads(stats.stdout)
    intake, referral, rectify = got["intake"], got["referral"], got["rectify"]
    assert intake["problems"]["total"] == profile["problems"]
    assert referral["leads"] == profile["leads"]
    assert referral["cases_filed"] == profile["cases_filed"]
    assert referral["reports"] == profile["special_reports"]
    assert rectify["institutional_measures"] == profile["institutional_measures"]
    assert rectify["public_concerns_resolved"] == profile["public_concerns_resolved"]
    assert rectify["money_recovered_fen"] == profile["money_recovered_fen"]
    assert rectify["money_written_off_fen"] == profile["money_written_off_fen"]
    assert rectify["on_time"]["rate"] == "100.00"
    assert rectify["on_time"]["due"] == profile["feedback_items"]
    assert rectify["overdue_now"] == 0 and referral["overdue_now"] == 0
    levels = intake["coverage"]["by_level_coverage"]
    city = [levels.get(l, {"main": 0, "extended": 0}) for l in ("city_department", "soe", "school", "hospital")]
    assert sum(c["main"] for c in city) == profile["city_units"]["main"]
    assert sum(c["extended"] for c in city) == profile["city_units"]["extended"]
    assert levels["town"]["main"] + levels["town"]["extended"] == profile["district_units"]
    assert levels["village"]["main"] + levels["village"]["extended"] == profile["villages"]

    # what a person reads: the same figures in the document's words
    text = xcctl(suite, "stats")
    assert text.returncode == 0
    for line, figure in [("发现问题", "20459"), ("移交问题线索", "1200"), ("立案", "480"), ("专题报告", "163"),
                         ("完善制度机制", "5741"), ("city units", "81 / 72"), ("villages", "379 / 1036"),
                         ("群众关切问题", "295"), ("清缴/核销", "9657万元 / 1261万元"), ("按期报结率", "100.00%")]:
        row = [l for l in text.stdout.splitlines() if line in l]
        assert row and figure in row[0], (line, figure, text.stdout)

    # tens of thousands of events, every link and signature holding
    audit = xcctl(suite, "audit", "verify", timeout=300)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.count(" ok") == 3, audit.stdout

    # a second run would double the figures: refused
    again = xcctl(suite, "simulate", "--profile", "changzhou-5y")
    assert again.returncode == 4 and "empty stores" in again.stderr
