"""Notify at two levels (docs/services/notify.md, "Districts" and "District offices"), through the
real services: intake, referral, rectify and notify, delivering to a real HTTP server and a real
SMTP server in this process.

The city has its office (市委巡察办) and a unit of its own (市教育局, round R-C, owned by the city);
district 云溪区 (D-YX) has its office, its leadership and a town (青石镇, round R-YX, owned by the
district); district 白沙区 (D-BS) has an office and no events. A problem of each round is fed back;
rectify's clock crosses the due date and the whole escalation ladder. Each event's notices go
exactly to the people of the event's owner that its rule names, and the city office hears of the
district's item only at the steps 警示 and 问责 (rule escalated-city). A district office reads its
own stream and deliveries and nothing of another's; a bad district directory stops notify.
"""
import datetime
import os
import subprocess

import pytest

from conftest import REPO, Suite
from notify_servers import SmtpServer, WebhookServer
from test_notify import (FEEDBACK, FROM, RETRY, all_caught_up, code, day_of, deliveries, events, get, items,
                         local_day, notice_of, ok, quiet, rectify_to, stream, wait_for)

SERVICES = ["intake", "referral", "rectify", "notify"]
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "unit_t": ("unit-t", "unit", {"units": ["U-T1"]}),
    "yx": ("yx-office", "district", {"district": "D-YX"}),
    "bs": ("bs-office", "district", {"district": "D-BS"}),
    # a district office that is the principal of the city's entry: it reads nothing
    "yx_city": ("yx-as-city", "district", {"district": "D-YX"}),
    # a district office the directory does not know, and one whose scope names no district
    "yx_other": ("yx-other", "district", {"district": "D-YX"}),
    "no_district": ("no-district", "district", {}),
}
# every step of the default ladder, every other day, so that the clock reaches 警示 and 问责 in days
# (and the day after the due date is the overdue notice's, before the first step)
ESCALATION = {"every_days": 2}
STEPS = ["supervision_notice", "stage_guidance", "reminder", "warning", "accountability"]


@pytest.fixture
def servers():
    http, smtp = WebhookServer(), SmtpServer()
    try:
        yield http, smtp
    finally:
        http.stop()
        smtp.stop()


def city_directory(http, smtp):
    def hook(pid, name, roles, units=None, **extra):
        e = {"name": name, "roles": roles, "channels": {"webhook": http.url(pid)}, **extra}
        if units:
            e["units"] = units
        return e
    return {
        "office-desk": hook("office-desk", "市委巡察办", ["office"]),
        "office-leader": hook("office-leader", "市委巡察办主任", ["office_leadership"]),
        "c-officer": hook("c-officer", "周青", ["officer"], ["U-C"]),
        "c-secretary": hook("c-secretary", "郑书记", ["party_secretary"], ["U-C"]),
        "c-principal": hook("c-principal", "冯局长", ["principal_leader"], ["U-C"]),
        # the city's officer for every unit: the city's, not a district's
        "city-inspector": hook("city-inspector", "市督查室", ["officer"], ["*"]),
        # a department system of the city whose principal is (wrongly) a district office
        "city-system": {"name": "市督查系统", "roles": ["observer"], "principal": "yx-as-city",
                        "channels": {"stream": True}},
    }


def district_directories(http, smtp):
    return {
        "D-YX": {"directory": {
            "yx-desk": {"name": "云溪区委巡察办", "roles": ["office"], "principal": "yx-office",
                        "channels": {"stream": True, "webhook": http.url("yx-desk")}},
            "yx-leader": {"name": "云溪区委巡察办主任", "roles": ["office_leadership"],
                          "channels": {"webhook": http.url("yx-leader")}},
            "yx-officer": {"name": "陈敏", "roles": ["officer"], "units": ["U-T1"],
                           "channels": {"webhook": http.url("yx-officer")}},
            "yx-secretary": {"name": "卫书记", "roles": ["party_secretary"], "units": ["U-T1"],
                             "channels": {"webhook": http.url("yx-secretary")}},
            "yx-principal": {"name": "蒋镇长", "roles": ["principal_leader"], "units": ["U-T1"],
                             "channels": {"webhook": http.url("yx-principal"),
                                          "email": "yx-principal@yunxi.gov.cn"}}}},
        "D-BS": {"directory": {
            "bs-desk": {"name": "白沙区委巡察办", "roles": ["office"], "principal": "bs-office",
                        "channels": {"stream": True, "webhook": http.url("bs-desk")}}}},
    }


@pytest.fixture
def suite(tmp_path, servers):
    http, smtp = servers
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS, {
        "notify": {"directory": city_directory(http, smtp), "districts": district_directories(http, smtp),
                   "email": {"smtp": smtp.url, "from": FROM}, "retry": dict(RETRY)},
        "rectify": {"escalation": ESCALATION, "calendar_warn_from": None},
        # a round withdrawn in the past: its report_overdue comes at once, not after a quiet day
        "intake": {"history_quiet": "0 days"}})
    http.registry = s.registry
    s.start()
    yield s
    status = s.stop_and_report(40)
    assert all(v in (0, "not started") for v in status.values()), status


def open_round(s, c, rid, name, unit, owner):
    """A round of owner on unit, one problem fed back for rectification on FEEDBACK."""
    o, intake = s.office, c["intake"]
    ok(intake.call(o, "round.open", {
        "id": rid, "name": name, "kind": "regular", "team": "team-1", "owner": owner,
        "targets": [{"unit": unit, "coverage": "main"}],
        "planned_start": str(local_day(-50)), "planned_end": str(local_day(-25)), "date": str(local_day(-60))}))
    ok(intake.call(o, "round.advance", {"round": rid, "stage": "stationed", "date": str(local_day(-50))}))
    p = ok(intake.call(s.team, "problem.report", {
        "round": rid, "unit": unit, "category": "public_concerns", "summary": "村道积水长期未治理",
        "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
    ok(intake.call(o, "problem.classify", {
        "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
    for stage, date in [("withdrawn", local_day(-25)), ("reported", local_day(-20)),
                        ("feedback_delivered", FEEDBACK)]:
        ok(intake.call(o, "round.advance", {"round": rid, "stage": stage, "date": str(date)}))


def two_levels(s):
    """The units and rounds of both levels, both items past the end of the ladder; every
    rectify alert emitted and applied by notify. The clients and the rectify alerts."""
    c = {name: s.client(name) for name in SERVICES}
    for uid, name, level, parent in [("D-YX", "云溪区", "district", None), ("D-BS", "白沙区", "district", None),
                                     ("U-T1", "青石镇", "town", "D-YX"), ("U-C", "市教育局", "city_department", None)]:
        ok(c["intake"].call(s.office, "unit.register",
                            {"id": uid, "name": name, "level": level, **({"parent": parent} if parent else {})}))
    open_round(s, c, "R-YX", "云溪区十届第一轮", "U-T1", "D-YX")
    open_round(s, c, "R-C", "市委十二届第八轮", "U-C", "city")
    by_unit = items(s, c, 2)
    plan_due = day_of(by_unit["U-T1"][0]["due"]["plan"])
    assert by_unit["U-C"][0]["due"]["plan"] == str(plan_due)
    # the day after the plan's due date: overdue; then each step on its day (an item fed back
    # before today is loaded from history: a day skipped would send only its latest step)
    rectify_to(s, c, plan_due + datetime.timedelta(days=1), {("rectify.overdue", None): 2})
    for k in range(1, len(STEPS) + 1):
        rectify_to(s, c, plan_due + datetime.timedelta(days=2 * k), {("rectify.escalated", None): 2 * k})
    assert wait_for(lambda: all_caught_up(s, c))
    alerts = events(s, "rectify", c["rectify"], {"rectify.warning", "rectify.overdue", "rectify.escalated"})
    return c, alerts


def expected(e):
    """Who the default rules name for a rectify alert, by the owner of its round."""
    d, t = e["data"], e["type"]
    own = "yx" if d["unit"] == "U-T1" else "c"
    if t == "rectify.warning":
        # owners|role:officer: no plan, so the officers of the owner's that answer for the unit
        return {"yx-officer"} if own == "yx" else {"c-officer", "city-inspector"}
    if t == "rectify.overdue":
        return {f"{own}-secretary", "office-desk" if own == "c" else "yx-desk"}
    assert t == "rectify.escalated", e
    got = {f"{own}-principal", "office-desk" if own == "c" else "yx-desk"}
    if d["step_name"] in ("warning", "accountability"):
        got.add("office-desk")                   # escalated-city: the city hears of it
    return got


def test_a_districts_overdue_item_reaches_its_office_and_leadership_and_the_city_only_at_warning(suite, servers):
    s = suite
    http, smtp = servers
    c, alerts = two_levels(s)
    quiet(lambda: len(http.all()) + len(smtp.all()))
    steps = sorted(e["data"]["step"] for e in alerts if e["type"] == "rectify.escalated" and e["data"]["unit"] == "U-T1")
    assert steps == [1, 2, 3, 4, 5], steps

    # every webhook notice: one per (event, recipient), to exactly the people its owner's rules name
    got = {}
    for n in http.notices():
        key = (n["event"]["source"], n["event"]["seq"])
        assert n["recipient"] not in got.setdefault(key, {}), ("twice", n)
        got[key][n["recipient"]] = n
    assert http.errors() == []
    want = {("rectify", e["seq"]): expected(e) for e in alerts}
    for e in alerts:
        key = ("rectify", e["seq"])
        assert set(got.get(key, {})) == want[key], (e["type"], e["data"], sorted(got.get(key, {})))
    # nothing else reached anybody (intake's and referral's events route to nobody here)
    assert set(got) == set(want), sorted(set(got) - set(want))
    # rectify says whose each alert is; notify routes by it
    assert {e["data"]["unit"]: e["data"]["round_owner"] for e in alerts} == {"U-T1": "D-YX", "U-C": "city"}

    yx_item = [e for e in alerts if e["data"]["unit"] == "U-T1"]
    city_item = [e for e in alerts if e["data"]["unit"] == "U-C"]
    assert yx_item and city_item
    city_people = {"office-desk", "office-leader", "c-officer", "c-secretary", "c-principal", "city-inspector"}
    district_people = {"yx-desk", "yx-leader", "yx-officer", "yx-secretary", "yx-principal", "bs-desk"}
    # the district's routine notices never reach the city: only the two serious steps do
    to_city = [got[("rectify", e["seq"])] for e in yx_item if city_people & set(got[("rectify", e["seq"])])]
    assert sorted(n["office-desk"]["data"]["step_name"] for n in to_city) == ["accountability", "warning"]
    assert all(set(n) & city_people == {"office-desk"} for n in to_city)
    assert all(n["office-desk"]["rule"] == "escalated-city" for n in to_city)
    # a city item reaches no district
    assert not any(district_people & set(got[("rectify", e["seq"])]) for e in city_item)
    # the other district heard nothing
    assert http.notices("bs-desk") == []

    # the words: the district's organ in the district's notices, the city's in the city's
    warned = [n for n in to_city if n["office-desk"]["data"]["step_name"] == "warning"][0]["office-desk"]
    assert "进入云溪区委巡察办督办第4步（警示）" in warned["text"], warned["text"]
    assert "区县逾期督办报市" in warned["text"]
    yx_overdue = [got[("rectify", e["seq"])]["yx-desk"] for e in yx_item if e["type"] == "rectify.overdue"][0]
    assert "请立即整改并向云溪区委巡察办报告" in yx_overdue["text"], yx_overdue["text"]
    c_overdue = [got[("rectify", e["seq"])]["office-desk"] for e in city_item if e["type"] == "rectify.overdue"][0]
    assert "请立即整改并向市委巡察办报告" in c_overdue["text"], c_overdue["text"]

    # the district's leadership by email, through the real SMTP server: one per escalation step
    mails = smtp.accepted("yx-principal@yunxi.gov.cn")
    assert sorted(m["subject"] for m in mails) == sorted(
        f"【整改督办】青石镇 整改事项{e['data']['item']} 第{e['data']['step']}步：{w}"
        for e, w in ((e, {"supervision_notice": "督办通知", "stage_guidance": "阶段指导", "reminder": "提醒",
                          "warning": "警示", "accountability": "问责"}[e["data"]["step_name"]])
                     for e in yx_item if e["type"] == "rectify.escalated")), [m["subject"] for m in mails]
    assert all("云溪区委巡察办" in m["text"] for m in mails)
    assert not any("yunxi" in r for m in smtp.all() for r in m["rcpt_tos"] if m not in mails)

    # an event that names only its round (intake's round.report_overdue): the round's owner, as
    # round.opened said: the district's office, not the city's
    ok(c["intake"].call(s.office, "round.open", {
        "id": "R-YX9", "name": "云溪区十届第二轮", "kind": "regular", "team": "team-1", "owner": "D-YX",
        "targets": [{"unit": "U-T1", "coverage": "main"}], "planned_start": str(local_day(-50)),
        "planned_end": str(local_day(-45)), "date": str(local_day(-55))}))
    for stage, days in (("stationed", 50), ("withdrawn", 45)):
        ok(c["intake"].call(s.office, "round.advance", {"round": "R-YX9", "stage": stage,
                                                        "date": str(local_day(-days))}))
    assert wait_for(lambda: events(s, "intake", c["intake"], {"round.report_overdue"}))
    (late,) = events(s, "intake", c["intake"], {"round.report_overdue"})
    assert "round_owner" not in late["data"], late["data"]      # what makes this path the round's
    assert wait_for(lambda: [n for n in http.notices() if n["event"]["source"] == "intake"])
    quiet(lambda: len(http.all()))
    reported = [n for n in http.notices() if n["event"]["source"] == "intake"]
    assert [n["recipient"] for n in reported] == ["yx-desk"], reported
    assert reported[0]["subject"] == "【巡察报告逾期】云溪区十届第二轮"


def test_a_district_office_reads_its_own_stream_and_nothing_of_another(suite, servers):
    s = suite
    c, alerts = two_levels(s)
    notify = c["notify"]
    yx_seqs = {e["seq"] for e in alerts if e["data"]["unit"] == "U-T1" and e["type"] != "rectify.warning"}
    # its stream: the district office's notices of its own item, nothing of the city's
    mine = wait_for(lambda: (lambda got: got if {n["event"]["seq"] for n in got} == yx_seqs else None)(
        stream(s, notify, s.yx)))
    assert mine, (stream(s, notify, s.yx), yx_seqs)
    assert all(n["recipient"] == "yx-desk" and n["channel"] == "stream" for n in mine)
    # its deliveries: its own, on every channel, and nobody else's
    listed = deliveries(s, notify, s.yx)
    assert listed and all(d["recipient"] == "yx-desk" for d in listed), listed
    assert {d["channel"] for d in listed} == {"stream", "webhook"}
    assert notice_of(get(s, notify, listed[0]["id"], s.yx))["recipient"] == "yx-desk"
    # the city's deliveries: forbidden to get, absent from its list
    city = deliveries(s, notify, recipient="office-desk")
    assert city
    assert code(notify.call(s.yx, "notify.get", {"delivery": city[0]["id"]})) == "forbidden"
    assert deliveries(s, notify, s.yx, recipient="office-desk") == []
    # acknowledging: its own, once; another's notice does not exist for it
    assert ok(notify.call(s.yx, "notify.ack", {"deliveries": [mine[0]["delivery"]]}))["acknowledged"] == 1
    assert code(notify.call(s.yx, "notify.ack", {"deliveries": [city[0]["id"]]})) == "not_found"
    # the other district's office: an empty stream, the first district's deliveries forbidden
    assert stream(s, notify, s.bs) == []
    assert deliveries(s, notify, s.bs) == []
    assert code(notify.call(s.bs, "notify.get", {"delivery": listed[0]["id"]})) == "forbidden"
    assert code(notify.call(s.bs, "notify.ack", {"deliveries": [mine[1]["delivery"]]})) == "not_found"
    # figures and events are the city office's
    for who in (s.yx, s.bs):
        assert code(notify.call(who, "notify.stats", {})) == "forbidden"
        assert code(notify.call(who, "events.read", {"after": 0, "limit": 10})) == "forbidden"
    # a district office as the principal of the city's entry, of no entry, or with no district
    for who in (s.yx_city, s.yx_other, s.no_district):
        for type_, data in (("notify.read", {}), ("notify.list", {}), ("notify.get", {"delivery": listed[0]["id"]}),
                            ("notify.ack", {"deliveries": [mine[0]["delivery"]]})):
            assert code(notify.call(who, type_, data)) == "forbidden", (who.iss, type_)
    # nothing was acknowledged by the refused calls
    assert get(s, notify, mine[1]["delivery"])["state"] == "sent"


@pytest.mark.parametrize("districts, says", [
    ({"D-YX": {"directory": {"office-desk": {"name": "云溪区委巡察办", "channels": {}}}}},
     "policies.notify.districts.D-YX.directory.office-desk: the id is an entry of the city's directory too"),
    ({"D-YX": {"directory": {}, "rules": []}}, "policies.notify.districts.D-YX.rules: unknown key"),
    ({"D-YX": {"directory": {"x": {"name": "某人", "channels": {}, "district": "D-BS"}}}},
     "'D-BS' in the directory of district 'D-YX'"),
])
def test_a_bad_district_directory_stops_notify(tmp_path, servers, districts, says):
    http, smtp = servers
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS, {
        "notify": {"directory": city_directory(http, smtp), "districts": districts}})
    proc = subprocess.run([os.path.join(REPO, "build", "bin", "xc-notify"), "--config", s.config_path,
                           "--test-mode"], capture_output=True, text=True, timeout=20)
    assert proc.returncode != 0
    assert says in proc.stdout + proc.stderr, proc.stdout + proc.stderr
