"""The pages of the team, the unit, the discipline body and the reporters (docs/console.md,
"The roles' pages"), in Debian's headless chromium against the real suite and gateway: each
person signs in with a key made in the browser and does their part; what the services stored is
read back through the office's Python client, never taken from the page."""
import datetime
import hashlib
import os
import re

import pytest
from selenium.webdriver.support.ui import Select

from browserlib import Browser, wait_until
from consolelib import (click, click_confirm, console_suite, ok, page_errors, page_run, seed,
                        set_value, signed_in)
from fileslib import make_png
from hostilelib import local_day


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-roles")
    with console_suite(folder) as c:
        c.ids = seed(c)
        c.folder = str(folder)
        with Browser(folder) as b:
            b.driver.set_script_timeout(60)
            c.browser = b
            yield c
            # every request the pages made went to the gateway's origin
            assert b.requests_outside(c.base) == [], b.requests()
            assert page_errors(b) == [], page_errors(b)


def evidence_file(folder, name, text):
    """A photo (a real PNG: the services check a file's type by its content, and keep it)
    whose pixels come from text."""
    data = make_png(16, 12, seed=hashlib.sha256(text.encode()).digest()[0])
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    return path, hashlib.sha256(data).hexdigest()


def select(b, css, value):
    el = b.wait_for(css)
    wait_until(lambda: any(o.get_attribute("value") == value for o in Select(el).options),
               what=f"option {value} in {css}")
    Select(el).select_by_value(value)


def done_text(b, scope):
    return wait_until(lambda: (b.driver.find_elements("css selector", f"{scope} .done") or [None])[0],
                      what=f"{scope}'s outcome").text


def chinese_explain(b, text):
    """The service's English explanation as the page's explain.js puts it."""
    return page_run(b, """const m = await import("/js/explain.js");
        return m.explainChinese(args.text);""", text=text)["ok"]


def top_shot(b, name):
    b.driver.execute_script("window.scrollTo(0, 0)")
    return b.screenshot(name)


def row_keys(b):
    """The keys of the list's rows, read at once (a list re-rendered meanwhile leaves no stale
    element behind)."""
    return b.driver.execute_script(
        "return Array.from(document.querySelectorAll('#page tbody tr'), (r) => r.dataset.key)")


def no_side_scroll(b):
    return b.driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_team_reports_from_a_phone_and_the_office_sees_it(world):
    c = world
    path, digest = evidence_file(c.folder, "现场照片.png", "村道塌陷，现场拍照三张")
    with Browser(c.folder, phone=True) as p:
        p.driver.set_script_timeout(60)
        signed_in(p, c, "team-1", "team", display="第一巡察组")
        # the team's nav: its rounds, the report, its problems; the office's pages are not its
        click(p, "#nav a[data-path=team-report]")
        navs = [a.get_attribute("data-path") for a in p.driver.find_elements("css selector", "#nav a")]
        assert navs[:3] == ["team-rounds", "team-report", "team-problems"], navs
        assert not {"problems", "rounds", "unit-items", "leads", "report"} & set(navs), navs
        # only rounds taking reports are offered: R-2 (stationed); R-1 is past 报告
        select(p, "#report-form select[name=round]", "R-2")
        offered = [o.get_attribute("value") for o in
                   Select(p.wait_for("#report-form select[name=round]")).options]
        assert offered == ["", "R-2"], offered
        select(p, "#report-form select[name=unit]", "U-B")
        select(p, "#report-form select[name=category]", "livelihood")
        select(p, "#report-form select[name=severity]", "grave")
        set_value(p, "#report-form input[name=summary]", "校舍围墙开裂未处置")
        set_value(p, "#report-form textarea[name=detail]", "东侧围墙开裂约三米，学校未设警示。")
        p.wait_for("#report-form input[type=file]").send_keys(path)
        assert digest in p.text("#report-form .evidence")
        click(p, "#report-submit")
        words = click_confirm(p, expect="校舍围墙开裂未处置")
        assert "市教育局" in words, words
        got = done_text(p, "#report-form")
        problem = int(re.search(r"#(\d+)", got).group(1))
        assert no_side_scroll(p), "the phone's page scrolls sideways"
        p.screenshot("phone-team-report")

        # what intake stored, read by the office
        stored = c.ok("intake", "problem.get", {"problem": problem})
        assert stored["summary"] == "校舍围墙开裂未处置" and stored["round"] == "R-2", stored
        assert stored["unit"] == "U-B" and stored["category"] == "livelihood", stored
        assert stored["severity"] == "grave" and stored["source"] == "inspection_team", stored
        assert stored["reported_by"] == "team-1", stored
        assert stored["evidence"] == [{"file": "现场照片.png", "sha256": digest}], stored

        # and the team's own list shows it, on the phone too
        click(p, "#nav a[data-path=team-problems]")
        row = p.wait_for(f"tr[data-key='{problem}']")
        assert "校舍围墙开裂未处置" in row.text and "严重" in row.text, row.text
        assert no_side_scroll(p)
        p.screenshot("phone-team-problems")
        assert p.requests_outside(c.base) == []
        assert page_errors(p) == [], page_errors(p)


def items_of(c, signer, n):
    return wait_until(lambda: (lambda items: items if len(items) >= n else None)(
        ok(c.call("rectify", signer, "rectify.list", {}))["items"]), what=f"{n} items in rectify")


def test_the_unit_plans_and_claims_an_item_the_office_classified(world):
    c, b = world, world.browser
    s = c.suite
    # beside seed's item, one fed back 40 days ago (from the office's paper records): immediate,
    # due after 15 days, so long overdue, with escalation steps reached
    late = c.ok("intake", "problem.report", {
        "round": "R-1", "unit": "U-A", "category": "four_styles", "summary": "公车私用问题整改滞后",
        "detail": "详见底稿", "severity": "serious", "source": "inspection_team",
        "occurred_on": str(local_day(-45))})["problem"]
    c.ok("intake", "problem.classify", {"problem": late, "occurred_on": str(local_day(-40)),
                                        "dispositions": [{"kind": "feedback", "timeliness": "immediate"}]})
    mine = items_of(c, s.unit_a, 2)
    assert {i["unit"] for i in mine} == {"U-A"}, mine
    item = next(i for i in mine if i["class"] == "deadline")
    overdue = next(i for i in mine if i["class"] == "immediate")
    assert overdue["overdue"] and overdue["light"]["step"], overdue
    signed_in(b, c, "unit-a", "unit", scope={"units": ["U-A"]}, display="青石镇联络员")
    click(b, "#nav a[data-path=unit-items]")
    wait_until(lambda: len(row_keys(b)) == 2, what="two items")
    rows = {r.get_attribute("data-key"): r for r in b.driver.find_elements("css selector", "#page tbody tr")}
    # only its own unit's items: U-B's is not listed
    assert set(rows) == {str(i["id"]) for i in mine}, rows.keys()
    # each light is the service's word for the item
    for i in mine:
        light, row = i["light"], rows[str(i["id"])]
        shown = row.find_element("css selector", ".light")
        assert shown.get_attribute("data-colour") == (light["colour"] or "green"), (light, shown.text)
    assert f"剩余 {item['light']['days_left']} 天" in rows[str(item["id"])].text
    late_row, step = rows[str(overdue["id"])].text, overdue["light"]
    assert "逾期" in late_row and f"逾期 {-step['days_left']} 天" in late_row, late_row
    words = {"supervision_notice": "督办通知", "stage_guidance": "阶段指导", "reminder": "提醒",
             "warning": "警示", "accountability": "问责"}
    assert f"已到：{words[step['step']['name']]}" in late_row, late_row
    if step["next_step"]:
        assert f"下一步：{words[step['next_step']['name']]}（{step['next_step']['on']}）" in late_row, late_row
    top_shot(b, "unit-items")
    # 只看逾期事项: the service's overdue filter, kept in the address
    click(b, "#page input[name=overdue]")
    wait_until(lambda: row_keys(b) == [str(overdue["id"])], what="only the overdue item")
    assert "overdue=1" in b.driver.current_url
    click(b, "#page input[name=overdue]")
    wait_until(lambda: len(row_keys(b)) == 2, what="both again")
    click(b, f"tr[data-key='{item['id']}'] button.link")
    b.wait_for("#item[data-state=opened]")
    got = c.ok("rectify", "rectify.get", {"item": item["id"]})
    plan_due = next(d for d in got["deadlines"] if d["deadline"] == "plan")
    cell = b.wait_for("tr[data-deadline=plan] .date")
    # the date and its explanation as the service computed them, in Chinese
    shown = cell.get_attribute("title")
    assert shown == chinese_explain(b, plan_due["explain"]), (shown, plan_due)
    assert plan_due["due"] in cell.text and plan_due["start"] in shown and plan_due["due"] in shown, shown
    assert not re.search(r"[A-Za-z]", shown), shown
    cell.find_element("css selector", "button.explain").click()     # the keyboard's and phone's way
    assert shown in b.text("tr[data-deadline=plan] .explained")
    top_shot(b, "unit-item")

    # the plan: one measure
    deadline = str(local_day(20))
    set_value(b, "#plan-form textarea[name=text-0]", "更新村务公开栏，建立每月公开制度")
    set_value(b, "#plan-form input[name=owner-0]", "张三")
    set_value(b, "#plan-form input[name=lead-0]", "李副镇长")
    set_value(b, "#plan-form input[name=deadline-0]", deadline)
    click(b, "#plan-submit")
    click_confirm(b, expect=f"整改事项 #{item['id']}")
    b.wait_for("#item[data-state=planned]")
    got = c.ok("rectify", "rectify.get", {"item": item["id"]})
    assert got["state"] == "planned", got
    assert [(m["text"], m["owner"], m["lead_leader"], m["deadline"]) for m in got["measures"]] == [
        ("更新村务公开栏，建立每月公开制度", "张三", "李副镇长", deadline)], got["measures"]

    # the claim, with evidence hashed in the browser and money in yuan
    path, digest = evidence_file(c.folder, "公开栏照片.png", "新公开栏照片 2 张")
    b.wait_for("#claim-form input[type=file]").send_keys(path)
    assert digest in b.text("#claim-form .evidence")
    set_value(b, "#claim-form input[name=recovered]", "1234.5")
    set_value(b, "#claim-form input[name=institutional_measures]", "2")
    click(b, "#claim-submit")
    click_confirm(b, expect="申报整改事项")
    b.wait_for("#item[data-state=claimed]")
    got = c.ok("rectify", "rectify.get", {"item": item["id"]})
    claim = got["claims"][-1]
    assert got["state"] == "claimed" and claim["completion"] == "completed", got
    assert claim["evidence"] == [{"file": "公开栏照片.png", "sha256": digest}], claim
    assert claim["money_recovered_fen"] == 123450 and claim["institutional_measures"] == 2, claim
    top_shot(b, "unit-item-claimed")

    # the overdue item on a phone: its forms and tables fit the width
    with Browser(c.folder, phone=True) as p:
        p.driver.set_script_timeout(60)
        signed_in(p, c, "unit-a", "unit", scope={"units": ["U-A"]}, display="青石镇联络员")
        p.open(f"{c.base}/#/unit-item?item={overdue['id']}")
        p.wait_for("#item[data-state=opened]")
        p.wait_for("#claim-form")
        assert "逾期" in p.text("#deadlines")
        assert no_side_scroll(p), "the phone's page scrolls sideways"
        top_shot(p, "phone-unit-item")
        assert page_errors(p) == [], page_errors(p)


def test_the_discipline_body_disposes_a_lead_and_a_unit_cannot_see_it(world):
    c, b = world, world.browser
    s = c.suite
    leads = wait_until(lambda: ok(c.call("referral", s.office, "referral.list", {"kind": "lead"}))["items"],
                       what="the lead in referral")
    rid = leads[0]["id"]
    signed_in(b, c, "discipline-commission", "discipline", scope={"units": ["*"]}, display="市纪委监委")
    click(b, "#nav a[data-path=leads]")
    row = b.wait_for(f"tr[data-key='{rid}']")
    assert "工程项目疑似违规发包" in row.text and "已移交" in row.text, row.text
    row.find_element("css selector", "button.link").click()
    b.wait_for("#lead[data-state=referred]")
    due = c.ok("referral", "referral.get", {"referral": rid})["due"]
    shown = b.wait_for("#lead .date").get_attribute("title")
    assert shown == chinese_explain(b, due["explain"]) and due["date"] in shown, (shown, due)
    assert not re.search(r"[A-Za-z]", shown), shown
    click(b, "#lead-acknowledge")
    click_confirm(b, expect=f"签收问题线索 #{rid}")
    b.wait_for("#lead[data-state=acknowledged]")
    select(b, "#dispose-form select[name=method]", "talk_inquiry")
    click(b, "#dispose-submit")
    click_confirm(b, expect="谈话函询")
    b.wait_for("#lead[data-state=disposed]")
    top_shot(b, "discipline-lead")
    got = c.ok("referral", "referral.get", {"referral": rid})
    assert got["state"] == "disposed" and got["method"] == "talk_inquiry", got
    assert [h["by"] for h in got["history"] if h["action"] in ("acknowledged", "disposed")] == \
        ["discipline-commission"] * 2, got["history"]
    # each opening of the lead in the page was a read the service logged
    events = ok(c.call("referral", s.office, "events.read", {"limit": 1000}))["events"]
    assert sum(1 for e in events if e["type"] == "lead.read") >= 3, [e["type"] for e in events]

    # a unit's liaison: not by the page's address, not by a request signed with its own key
    signed_in(b, c, "unit-a", "unit", scope={"units": ["U-A"]}, display="青石镇联络员")
    assert "leads" not in [a.get_attribute("data-path") for a in b.driver.find_elements("css selector", "#nav a")]
    for address in ("#/leads?state=disposed", f"#/lead?referral={rid}"):
        b.open(c.base + "/" + address)
        assert b.text("#forbidden-page") == "无权访问此页面"
        assert not b.driver.find_elements("css selector", "#lead")
    crafted = page_run(b, """
        await session.sessionLoad();
        let got = null;
        try { got = await session.ask("referral", "referral.get", {referral: args.rid}); }
        catch (e) { return {code: e.code, chinese: e.chinese}; }
        return {leaked: got};""", rid=rid)["ok"]
    assert crafted["code"] == "forbidden", crafted
    assert crafted["chinese"] and not re.search(r"[A-Za-z]", crafted["chinese"].replace(str(rid), "")), crafted
    listed = page_run(b, """await session.sessionLoad();
        return await session.ask("referral", "referral.list", {});""")["ok"]
    assert listed["items"] == [], listed


def test_a_petition_bureau_reports_and_sees_only_its_own(world):
    c, b = world, world.browser
    s = c.suite
    other = ok(c.call("intake", s.petition, "problem.report", {
        "unit": "U-A", "category": "public_concerns", "summary": "另一信访件", "detail": "略",
        "severity": "general", "source": "petition"}))["problem"]
    signed_in(b, c, "petition-web", "petition", scope={"units": ["*"]}, display="市信访局")
    click(b, "#nav a[data-path=report]")
    # a unit that does not exist: the service's refusal, in Chinese
    set_value(b, "#report-form input[name=unit]", "NO-SUCH")
    select(b, "#report-form select[name=category]", "public_concerns")
    set_value(b, "#report-form input[name=summary]", "低保资格审核不严")
    set_value(b, "#report-form textarea[name=detail]", "群众来信反映多户不符合条件人员享受低保。")
    click(b, "#report-submit")
    click_confirm(b)
    refusal = b.text("#report-form .refusal")
    assert "not_found" in refusal and "NO-SUCH" in refusal, refusal
    # Chinese with the value placed: no English but the code and the unit's id
    assert not re.search(r"[A-Za-z]", refusal.replace("not_found", "").replace("NO-SUCH", "")), refusal
    set_value(b, "#report-form input[name=unit]", "U-C")
    set_value(b, "#report-form input[name=reporter_name]", "王某")
    click(b, "#report-submit")
    click_confirm(b, expect="低保资格审核不严")
    mine = int(re.search(r"#(\d+)", done_text(b, "#report-form")).group(1))
    stored = c.ok("intake", "problem.get", {"problem": mine})
    assert stored["source"] == "petition" and stored["reported_by"] == "petition-web", stored
    assert stored["unit"] == "U-C" and stored["has_reporter"] is True, stored
    assert stored["reporter"]["name"] == "王某", stored

    click(b, "#nav a[data-path=reported]")
    b.wait_for(f"tr[data-key='{mine}']")
    keys = row_keys(b)
    # its own only: not the other petition principal's, not the team's
    assert keys == [str(mine)], (keys, other)
    top_shot(b, "petition-reported")


# Each phrase common/calendar.c and the extensions write (their formats, with values), as
# web/js/explain.js must put it: nothing English left but an id.
EXPLANATIONS = [
    "2026-12-02 + 1 month = 2027-01-02 (no working-day calendar for 2027: not checked for a day off)",
    "2025-03-31 + 2 months = 2025-05-31, in a public holiday: the period ends on the next working day,"
    " 2025-06-03 (Civil Code art. 203)",
    "2025-01-20 + 20 workdays = 2025-02-24 (skipped 5 holidays and 4 weekend days, counted 1 make-up workday)",
    "2025-01-20 + 1 workday = 2025-01-21 (skipped 1 holiday)",
    "2025-01-20 + 3 workdays = 2025-01-23 (counted 1 make-up workday)",
    "2025-01-31 + 1 month = 2025-02-28 (clamped to the end of the month)",
    "2025-01-20 + 15 days = 2025-02-04, a weekend day: the period ends on the next working day, 2025-02-05"
    " (Civil Code art. 203) (rules of district D-WJ: policies.rectify.districts.D-WJ)",
    "9999-12-20 + 30 days = 9999-12-31, a day off (no working day before 9999-12-31: not moved)",
    "extended from 2025-02-01 to 2025-03-01: 汛期影响施工",
]


def test_every_explanation_phrase_reads_in_chinese(tmp_path):
    import json
    import subprocess
    from conftest import REPO
    script = tmp_path / "explain.mjs"
    script.write_text(
        f'import {{ explainChinese }} from "{REPO}/web/js/explain.js";\n'
        f"console.log(JSON.stringify({json.dumps(EXPLANATIONS, ensure_ascii=False)}.map(explainChinese)));\n",
        encoding="utf-8")
    out = json.loads(subprocess.run(["node", str(script)], capture_output=True, text=True, check=True,
                                    timeout=30).stdout)
    for english, chinese in zip(EXPLANATIONS, out):
        # every date and number kept, no English word left (the district's id D-WJ aside)
        for value in re.findall(r"\d{4}-\d\d-\d\d|\b\d+\b", english.replace("art. 203", "")):
            assert value in chinese, (value, chinese)
        assert not re.search(r"[A-Za-z]", chinese.replace("D-WJ", "")), chinese
