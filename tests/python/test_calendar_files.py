"""The working-day files 2016-2024 against the State Council General Office's notices.

Each notice is written down here as it reads (国务院办公厅关于YYYY年部分节假日安排的通知): every
festival's days off as a range with the notice's "共N天" where it gives one, and the make-up
working days with the weekday the notice names. The files list only what the deadline
arithmetic needs (weekdays off, weekend days worked), so the test derives that from the notice
and compares, and checks the notice against itself (the range has N days, the named weekday is
that date's). Then a deadline across 2019-2020 is computed by the real rectify from the repo's
folder.
"""
import datetime
import json
import os

import pytest

from conftest import REPO, Suite, running_suite

FOLDER = os.path.join(REPO, "config", "calendar")
WEEKDAY = {"星期一": 0, "星期二": 1, "星期三": 2, "星期四": 3, "星期五": 4, "星期六": 5, "星期日": 6}

# year: ([(first, last, days or None when the notice says 与周末连休 / 补休)], [(make-up, weekday)])
NOTICES = {
    2016: ([("01-01", "01-03", None), ("02-07", "02-13", 7), ("04-02", "04-04", None),
            ("04-30", "05-02", None), ("06-09", "06-11", 3), ("09-15", "09-17", 3),
            ("10-01", "10-07", 7)],
           [("02-06", "星期六"), ("02-14", "星期日"), ("06-12", "星期日"), ("09-18", "星期日"),
            ("10-08", "星期六"), ("10-09", "星期日")]),
    2017: ([("01-01", "01-02", None), ("01-27", "02-02", 7), ("04-02", "04-04", 3),
            ("04-29", "05-01", None), ("05-28", "05-30", 3), ("10-01", "10-08", 8)],
           [("01-22", "星期日"), ("02-04", "星期六"), ("04-01", "星期六"), ("05-27", "星期六"),
            ("09-30", "星期六")]),
    # the last days of 2018 come from the 2019 notice: 元旦 2018-12-30 to 2019-01-01, 共3天,
    # 2018-12-29 (星期六) 上班
    2018: ([("01-01", "01-01", None), ("02-15", "02-21", 7), ("04-05", "04-07", 3),
            ("04-29", "05-01", 3), ("06-16", "06-18", None), ("09-22", "09-24", None),
            ("10-01", "10-07", 7), ("12-30", "12-31", None)],
           [("02-11", "星期日"), ("02-24", "星期六"), ("04-08", "星期日"), ("04-28", "星期六"),
            ("09-29", "星期六"), ("09-30", "星期日"), ("12-29", "星期六")]),
    # 劳动节 as changed on 2019-03-22: 5月1日至4日, 共4天, 4月28日 and 5月5日 (星期日) 上班
    2019: ([("01-01", "01-01", None), ("02-04", "02-10", 7), ("04-05", "04-07", None),
            ("05-01", "05-04", 4), ("06-07", "06-09", None), ("09-13", "09-15", None),
            ("10-01", "10-07", 7)],
           [("02-02", "星期六"), ("02-03", "星期日"), ("04-28", "星期日"), ("05-05", "星期日"),
            ("09-29", "星期日"), ("10-12", "星期六")]),
    # 春节 1月24日至30日, 共7天, extended to 2月2日 (星期日) by 国办发明电〔2020〕1号: 2月3日起
    # 正常上班, so 2月1日 (星期六) is no longer worked
    2020: ([("01-01", "01-01", 1), ("01-24", "02-02", 10), ("04-04", "04-06", 3),
            ("05-01", "05-05", 5), ("06-25", "06-27", 3), ("10-01", "10-08", 8)],
           [("01-19", "星期日"), ("04-26", "星期日"), ("05-09", "星期六"), ("06-28", "星期日"),
            ("09-27", "星期日"), ("10-10", "星期六")]),
    2021: ([("01-01", "01-03", 3), ("02-11", "02-17", 7), ("04-03", "04-05", 3),
            ("05-01", "05-05", 5), ("06-12", "06-14", 3), ("09-19", "09-21", 3),
            ("10-01", "10-07", 7)],
           [("02-07", "星期日"), ("02-20", "星期六"), ("04-25", "星期日"), ("05-08", "星期六"),
            ("09-18", "星期六"), ("09-26", "星期日"), ("10-09", "星期六")]),
    2022: ([("01-01", "01-03", 3), ("01-31", "02-06", 7), ("04-03", "04-05", 3),
            ("04-30", "05-04", 5), ("06-03", "06-05", 3), ("09-10", "09-12", 3),
            ("10-01", "10-07", 7)],
           [("01-29", "星期六"), ("01-30", "星期日"), ("04-02", "星期六"), ("04-24", "星期日"),
            ("05-07", "星期六"), ("10-08", "星期六"), ("10-09", "星期日")]),
    # 元旦 2022-12-31 to 2023-01-02: 2022-12-31 is a Saturday, nothing for the 2022 file
    2023: ([("01-01", "01-02", None), ("01-21", "01-27", 7), ("04-05", "04-05", 1),
            ("04-29", "05-03", 5), ("06-22", "06-24", 3), ("09-29", "10-06", 8)],
           [("01-28", "星期六"), ("01-29", "星期日"), ("04-23", "星期日"), ("05-06", "星期六"),
            ("06-25", "星期日"), ("10-07", "星期六"), ("10-08", "星期日")]),
    # 除夕 (2月9日) is only encouraged as a day of leave, not a holiday
    2024: ([("01-01", "01-01", None), ("02-10", "02-17", 8), ("04-04", "04-06", 3),
            ("05-01", "05-05", 5), ("06-08", "06-10", None), ("09-15", "09-17", 3),
            ("10-01", "10-07", 7)],
           [("02-04", "星期日"), ("02-18", "星期日"), ("04-07", "星期日"), ("04-28", "星期日"),
            ("05-11", "星期六"), ("09-14", "星期六"), ("09-29", "星期日"), ("10-12", "星期六")]),
}

# statutory days off per year before 2025 (全国年节及纪念日放假办法, 2013: 11 days); 2020 has two
# more from the extension (01-31 a Friday, and 02-01 no longer worked)
NET_DAYS_OFF = {y: 11 for y in NOTICES}
NET_DAYS_OFF[2020] = 13


def day(year, md):
    return datetime.date(year, int(md[:2]), int(md[3:]))


def load(year):
    with open(os.path.join(FOLDER, f"{year}.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_the_file_is_the_notice(year):
    ranges, makeup = NOTICES[year]
    cal = load(year)
    assert cal["year"] == year
    assert "State Council General Office" in cal["source"]
    assert f"国务院办公厅关于{year}年部分节假日安排的通知" in cal["source"]
    off = []
    for first, last, n in ranges:
        a, b = day(year, first), day(year, last)
        if n is not None:
            assert (b - a).days + 1 == n, (year, first, last, n)
        off += [a + datetime.timedelta(days=i) for i in range((b - a).days + 1)]
    for md, name in makeup:
        assert day(year, md).weekday() == WEEKDAY[name], (year, md, name)
    want_holidays = [str(d) for d in off if d.weekday() < 5]
    want_workdays = [str(day(year, md)) for md, _ in makeup]
    assert cal["holidays"] == want_holidays
    assert cal["workdays"] == want_workdays
    assert len(cal["holidays"]) - len(cal["workdays"]) == NET_DAYS_OFF[year]


def test_every_year_from_2016_has_its_file():
    years = sorted(int(n[:4]) for n in os.listdir(FOLDER) if n.endswith(".json"))
    assert years[:len(NOTICES)] == sorted(NOTICES)
    assert years == list(range(years[0], years[-1] + 1)), years


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "rectify"], {
        "office": ("office", "office", {}),
        "team": ("team-1", "team", {}),
    }, {"rectify": {"calendar_warn_from": None, "default_regime": "wd",
                    "regimes": {"wd": {"plan_due": "10 workdays", "report_due": "20 workdays"}}}})
    yield from running_suite(s)


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def test_a_deadline_over_2019_and_2020_is_computed(suite):
    """Fed back on Friday 2019-12-20, 10 and 20 working days: 12-23 .. 12-27, 12-30, 12-31,
    (元旦 off) 01-02, 01-03, 01-06 is the 10th; 01-07 .. 01-10, 01-13 .. 01-17 and Sunday
    01-19, a make-up working day before 春节, is the 20th."""
    import time
    s = suite
    intake, rectify = s.client("intake"), s.client("rectify")
    ok(intake.call(s.office, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
    ok(intake.call(s.office, "round.open", {
        "id": "R-2019", "name": "十二届第八轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}],
        "planned_start": "2019-10-08", "planned_end": "2019-11-08", "date": "2019-09-30"}))
    ok(intake.call(s.office, "round.advance", {"round": "R-2019", "stage": "stationed", "date": "2019-10-08"}))
    p = ok(intake.call(s.team, "problem.report", {
        "round": "R-2019", "unit": "U-A", "category": "public_concerns", "summary": "村道积水",
        "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
    ok(intake.call(s.office, "problem.classify", {
        "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
    for stage, date in [("withdrawn", "2019-11-08"), ("reported", "2019-11-20"),
                        ("feedback_delivered", "2019-12-20")]:
        ok(intake.call(s.office, "round.advance", {"round": "R-2019", "stage": stage, "date": date}))
    end = time.monotonic() + 15
    items = []
    while not items and time.monotonic() < end:
        items = ok(rectify.call(s.office, "rectify.list", {"limit": 10}))["items"]
        time.sleep(0.05)
    assert len(items) == 1, items
    got = ok(rectify.call(s.office, "rectify.get", {"item": items[0]["id"]}))
    due = {d["deadline"]: (d["due"], d["explain"]) for d in got["deadlines"]}
    assert due["plan"][0] == "2020-01-06", due
    assert due["item"] == ("2020-01-19", "2019-12-20 + 20 workdays = 2020-01-19 (skipped 1 holiday "
                           "and 9 weekend days, counted 1 make-up workday)"), due
