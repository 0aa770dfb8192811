"""The office's pages (docs/console.md, "The office's pages") in headless chromium against a real
suite and gateway, signed in with a key made in the browser: the office opens a round, classifies
a problem and feeds it back (the rectification item appears in rectify), refers a lead (the
referral appears in referral), reviews a unit's claim and signs it off; the lists' filters and
the dates' explanations are checked in the page against the services' own answers (read by the
Python clients); a screenshot of each main page goes into the test's folder."""
import re

import pytest
from selenium.webdriver.common.by import By

from browserlib import Browser, wait_until
from consolelib import (OFFICE_ISS, click, click_confirm, console_suite, ok, page_errors, page_ok, seed,
                        signed_in)
from hostilelib import local_day


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with console_suite(tmp_path_factory.mktemp("console-office")) as c:
        c.ids = seed(c)
        # a second recorded problem in R-2 (stationed), for the lead
        c.ids["lead2"] = ok(c.call("intake", c.suite.team, "problem.report", {
            "round": "R-2", "unit": "U-B", "category": "four_styles", "summary": "公务接待超标准",
            "detail": "详见巡察底稿", "severity": "grave", "source": "inspection_team"}))["problem"]
        yield c


@pytest.fixture(scope="module")
def browser(console, tmp_path_factory):
    with Browser(tmp_path_factory.mktemp("console-office-shots")) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, console, OFFICE_ISS, "office", display="王主任")
        yield b
        assert page_errors(b) == [], page_errors(b)
        assert b.requests_outside(console.base) == [], b.requests()


def go(browser, console, hash_):
    browser.open(console.base + "/" + hash_)
    browser.driver.refresh()


def fill(browser, css, value):
    """Sets a field as a person's typing would end (input and change events; Preact listens),
    once it is enabled (a choice of principals opens when the registry has answered) and, for a
    choice, once it offers the value (the categories come when intake has answered)."""
    wait_until(lambda: browser.driver.execute_script(
        "const el = document.querySelector(arguments[0]); return !!el && !el.disabled"
        " && (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === arguments[1]));",
        css, value), what=f"{css} enabled, offering {value!r}")
    el = browser.wait_for(css)
    browser.driver.execute_script("""
      const el = arguments[0], v = arguments[1];
      if (el.type === 'checkbox') { if (el.checked !== v) el.click(); return; }
      const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype
                  : el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, v);
      el.dispatchEvent(new Event('input', {bubbles: true}));
      el.dispatchEvent(new Event('change', {bubbles: true}));
    """, el, value)


def options(browser, css):
    """The values a select offers (Preact sets them as properties: no attribute to select by)."""
    return browser.driver.execute_script(
        "const s = document.querySelector(arguments[0]); return s ? [...s.options].map((o) => o.value) : null;", css)


def chinese(browser, explain):
    """A service's explanation of a due date as the page words it (explain.js): Chinese, with
    every date and number of the service's text in it, no English word left."""
    said = page_ok(browser, """
      const {explainChinese} = await import("/js/explain.js");
      return explainChinese(args.text);""", text=explain)
    assert not re.search(r"[A-Za-z]", said), (explain, said)
    assert re.findall(r"\d+(?:-\d+)*", said) == re.findall(r"\d+(?:-\d+)*", explain.replace("art. 203", "")), \
        (explain, said)
    return said


def row_keys(browser):
    """The keys of the list's rows as the page shows them, once the list is not loading."""
    wait_until(lambda: browser.driver.find_elements(By.CSS_SELECTOR, ".list tbody tr, .list .empty"),
               what="the list")
    # read in one script: rows found and then read one by one may be redrawn in between (stale)
    return browser.driver.execute_script(
        "return Array.from(document.querySelectorAll('.list tbody tr'), (r) => r.dataset.key);")


def wait_rows(browser, want):
    wait_until(lambda: row_keys(browser) == want, what=f"rows {want}, seen {row_keys(browser)}")


def test_rounds_list_filter_and_open_a_round(console, browser):
    go(browser, console, "#/rounds")
    wait_rows(browser, ["R-1", "R-2"])
    browser.screenshot("office-rounds")
    fill(browser, "#round-open [name=id]", "R-3")
    fill(browser, "#round-open [name=name]", "十一届第三轮")
    # the team is chosen among the registry's teams (registry's principal.list), not typed
    wait_until(lambda: options(browser, "#round-open select[name=team]") == ["", "team-1"], what="the teams")
    fill(browser, "#round-open [name=team]", "team-1")
    fill(browser, "#round-open [name=main]", "U-A\nU-C")
    fill(browser, "#round-open [name=planned_start]", str(local_day(2)))
    fill(browser, "#round-open [name=planned_end]", str(local_day(40)))
    click(browser, "#round-open button[type=submit]")
    words = click_confirm(browser, "将开启常规巡察轮次「十一届第三轮」")
    assert "被巡察单位 2 个" in words, words
    browser.wait_for("#round-open .done")
    wait_rows(browser, ["R-1", "R-2", "R-3"])     # the list read again after the command
    got = ok(console.call("intake", console.suite.office, "round.get", {"round": "R-3"}))
    assert got["stage"] == "planned" and [t["unit"] for t in got["targets"]] == ["U-A", "U-C"], got
    # the stage filter, from the control, is the service's own selection and stays in the address
    fill(browser, ".filters [name=stage]", "planned")
    want = [r["id"] for r in ok(console.call("intake", console.suite.office, "round.list",
                                             {"stage": "planned"}))["items"]]
    assert want == ["R-3"], want
    wait_rows(browser, want)
    assert "stage=planned" in browser.driver.current_url
    browser.driver.refresh()
    wait_rows(browser, want)


def test_problems_list_filters_match_the_service(console, browser):
    office = console.suite.office
    for query in ({"round": "R-1"}, {"round": "R-1", "status": "classified"}, {"unit": "U-B"},
                  {"source": "inspection_team", "category": "public_concerns"}, {"status": "recorded"}):
        want = [str(p["id"]) for p in ok(console.call("intake", office, "problem.list", query))["items"]]
        assert want, query
        go(browser, console, "#/problems?" + "&".join(f"{k}={v}" for k, v in query.items()))
        wait_rows(browser, want)
        for k, v in query.items():
            assert browser.driver.find_element(By.CSS_SELECTOR, f".filters [name={k}]").get_attribute("value") == v
    browser.screenshot("office-problems")


def test_classify_and_feed_back_then_the_item_appears(console, browser):
    office, p = console.suite.office, console.ids["recorded"]
    go(browser, console, f"#/problem?id={p}")
    browser.wait_for("#problem-classify")
    assert browser.text("#problem-status") == "已登记"
    fill(browser, "#problem-classify [name=timeliness]", "deadline")
    click(browser, "#problem-classify button[type=submit]")
    click_confirm(browser, f"将问题 #{p}「干部选拔程序不规范」分类处置：反馈被巡察单位整改（限期整改）")
    wait_until(lambda: browser.text("#problem-status") == "已分类", what="classified")
    assert ok(console.call("intake", office, "problem.get", {"problem": p}))["status"] == "classified"
    # the lead: the other recorded problem of R-2, to the discipline body
    lead = console.ids["lead2"]
    go(browser, console, f"#/problem?id={lead}")
    fill(browser, "#problem-classify [name=feedback]", False)
    fill(browser, "#problem-classify [name=lead]", True)
    wait_until(lambda: options(browser, "#problem-classify select[name=body]") == ["", "discipline-commission", "organization-dept"],
               what="the bodies")
    fill(browser, "#problem-classify [name=body]", "discipline-commission")
    fill(browser, "#problem-classify [name=lead_note]", "请依规处置")
    click(browser, "#problem-classify button[type=submit]")
    click_confirm(browser, f"将问题 #{lead}「公务接待超标准」分类处置：作为问题线索移交 discipline-commission")
    wait_until(lambda: browser.text("#problem-status") == "已分类", what="classified")
    # the page shows the dispositions intake recorded
    assert browser.text("#dispositions") == "问题线索：discipline-commission（请依规处置）"
    # feedback is delivered with the round: advance R-2 to 撤离, 报告, 反馈 in the page
    go(browser, console, "#/round?id=R-2")
    for stage, word in (("withdrawn", "撤离"), ("reported", "报告"), ("feedback_delivered", "反馈")):
        browser.wait_for("#round-advance")
        assert word in browser.text("#round-advance h3")
        click(browser, "#round-advance button[type=submit]")
        click_confirm(browser, f"推进到「{word}」阶段")
        wait_until(lambda w=word: browser.text("#round-stage") == w, what=f"stage {word}")
        assert ok(console.call("intake", office, "round.get", {"round": "R-2"}))["stage"] == stage
    browser.screenshot("office-round")
    rectify = console.clients["rectify"]
    wait_until(lambda: [i for i in ok(rectify.call(office, "rectify.list", {"round": "R-2"}))["items"]
                        if i["problem"] == p], what="rectify opened the item")
    item = next(i for i in ok(rectify.call(office, "rectify.list", {"round": "R-2"}))["items"] if i["problem"] == p)
    go(browser, console, "#/items?round=R-2")
    wait_rows(browser, [str(item["id"])])
    # the lead became a referral to the discipline body
    referral = console.clients["referral"]
    wait_until(lambda: [r for r in ok(referral.call(office, "referral.list", {"kind": "lead"}))["items"]
                        if r["problem"] == lead], what="referral made the lead")


def test_referral_due_date_and_its_explanation_are_the_services(console, browser):
    office = console.suite.office
    referral = console.clients["referral"]
    rows = ok(referral.call(office, "referral.list", {"kind": "lead"}))["items"]
    go(browser, console, "#/referrals?kind=lead")
    wait_rows(browser, [str(r["id"]) for r in rows])
    browser.screenshot("office-referrals")
    rid = rows[0]["id"]
    go(browser, console, f"#/referral?id={rid}")
    cell = browser.wait_for("#referral-due .date")
    got = ok(referral.call(office, "referral.get", {"referral": rid}))
    said = chinese(browser, got["due"]["explain"])
    assert cell.get_attribute("title") == said, (said, got["due"]["explain"])
    assert got["due"]["date"] in cell.text
    # the ⓘ shows the same explanation in the page, for a keyboard or a phone
    click(browser, "#referral-due button.explain")
    assert browser.text("#referral-due .explained") == said
    assert browser.text("#referral-state") == "已移交"
    browser.screenshot("office-referral")


def test_review_a_claim_and_sign_it_off(console, browser):
    office, unit = console.suite.office, console.suite.unit_a
    rectify = console.clients["rectify"]
    items = ok(rectify.call(office, "rectify.list", {"round": "R-1", "unit": "U-A"}))["items"]
    item = items[0]["id"]
    ok(rectify.call(unit, "rectify.plan", {"item": item, "measures": [
        {"text": "每月更新村务公开栏", "owner": "张三", "lead_leader": "李副镇长", "deadline": str(local_day(20))}]}))
    ok(rectify.call(unit, "rectify.claim", {"item": item, "completion": "completed",
                                            "evidence": [{"file": "公开栏照片.jpg", "sha256": "ab" * 32}]}))
    # the list's state filter finds it as the service does
    want = [str(i["id"]) for i in ok(rectify.call(office, "rectify.list", {"state": "claimed"}))["items"]]
    go(browser, console, "#/items?state=claimed")
    wait_rows(browser, want)
    browser.screenshot("office-items")
    go(browser, console, f"#/item?id={item}")
    browser.wait_for("#item-review")
    assert browser.text("#item-state") == "待审核销号"
    got = ok(rectify.call(office, "rectify.get", {"item": item}))
    cells = browser.driver.find_elements(By.CSS_SELECTOR, "#item-deadlines tbody .date")
    assert [c.get_attribute("title") for c in cells] == [chinese(browser, d["explain"]) for d in got["deadlines"]]
    assert "每月更新村务公开栏" in browser.text("#item-measures")
    browser.screenshot("office-item")
    fill(browser, "#item-review [name=decision]", "accept")
    click(browser, "#item-review button[type=submit]")
    click_confirm(browser, f"将审核通过整改事项 #{item}")
    wait_until(lambda: browser.text("#item-state") == "已销号", what="closed")
    assert ok(rectify.call(office, "rectify.get", {"item": item}))["state"] == "closed"


def test_units_register_and_rename(console, browser):
    office = console.suite.office
    go(browser, console, "#/units")
    want = [u["id"] for u in ok(console.call("intake", office, "unit.list", {}))["items"]]
    wait_rows(browser, want)
    fill(browser, "#unit-register [name=id]", "U-D")
    fill(browser, "#unit-register [name=name]", "白沙村")
    fill(browser, "#unit-register [name=level]", "village")
    fill(browser, "#unit-register [name=parent]", "U-A")
    click(browser, "#unit-register button[type=submit]")
    click_confirm(browser, "将登记单位「白沙村」（编号 U-D，村（社区），上级单位 U-A）")
    browser.wait_for("#unit-register .done")
    fill(browser, ".filters [name=parent]", "U-A")
    wait_rows(browser, [u["id"] for u in ok(console.call("intake", office, "unit.list", {"parent": "U-A"}))["items"]])
    browser.screenshot("office-units")
    go(browser, console, "#/unit?id=U-D")
    fill(browser, "#unit-rename [name=name]", "白沙社区")
    click(browser, "#unit-rename button[type=submit]")
    click_confirm(browser, "将单位「白沙村」（U-D）更名为「白沙社区」")
    wait_until(lambda: browser.text("#unit-name") == "白沙社区", what="renamed")
    assert ok(console.call("intake", office, "unit.get", {"unit": "U-D"}))["name"] == "白沙社区"


def test_an_items_escalation_ladder_is_the_services(console, browser):
    office, rectify = console.suite.office, console.clients["rectify"]
    item = ok(rectify.call(office, "rectify.list", {"round": "R-1", "unit": "U-B"}))["items"][0]["id"]
    got = ok(rectify.call(office, "rectify.get", {"item": item}))
    go(browser, console, f"#/item?id={item}")
    browser.wait_for("#item-escalation")
    ladders = browser.driver.find_elements(By.CSS_SELECTOR, "#item-escalation ol.ladder")
    running = [d for d in got["deadlines"] if d["running"]]
    assert len(ladders) == len(running) >= 1
    words = {"supervision_notice": "督办通知", "stage_guidance": "阶段指导", "reminder": "提醒",
             "warning": "警示", "accountability": "问责"}
    for ol, d in zip(ladders, running):
        steps = [li.text for li in ol.find_elements(By.TAG_NAME, "li")]
        assert steps == [f"{words[s['name']]}：{s['on']}" + ("（已到达）" if s["reached"] else "")
                         for s in d["ladder"]], steps
    nxt = running[0]["next_step"]
    assert browser.text("#item-escalation .next-step") == f"下一步：{words[nxt['name']]}，{nxt['on']}"
    # the light is the band rectify gives (none yet: 正常)
    lights = browser.driver.find_elements(By.CSS_SELECTOR, "#item-deadlines .light")
    assert [l.get_attribute("data-colour") for l in lights] == [d["colour"] or "green" for d in running]
    browser.screenshot("office-item-ladder")


def test_a_refused_command_shows_the_services_reason_in_chinese(console, browser):
    office = console.suite.office
    before = ok(console.call("intake", office, "round.get", {"round": "R-1"}))
    go(browser, console, "#/rounds")
    fill(browser, "#round-open [name=id]", "R-1")
    fill(browser, "#round-open [name=name]", "重复的轮次")
    fill(browser, "#round-open [name=team]", "team-1")
    fill(browser, "#round-open [name=main]", "U-A")
    click(browser, "#round-open button[type=submit]")
    click_confirm(browser, "将开启常规巡察轮次「重复的轮次」")
    box = browser.wait_for("#round-open .refusal")
    text = box.text
    assert "（conflict）" in text, text
    # Chinese, with the round's id placed in it
    assert "R-1" in text and not re.search(r"[A-Za-z]", text.replace("（conflict）", "").replace("R-1", "")), text
    assert ok(console.call("intake", office, "round.get", {"round": "R-1"})) == before
    browser.screenshot("office-refused")


def test_the_office_pages_fit_a_phone(console, tmp_path):
    with Browser(tmp_path, phone=True) as phone:
        phone.driver.set_script_timeout(30)
        signed_in(phone, console, "web-office-phone", "office", display="李科员")
        for hash_, css in (("#/problems?round=R-1", ".list tbody tr"), ("#/rounds", ".list tbody tr"),
                           ("#/round?id=R-1", "#round-rectify"), ("#/items?round=R-1", ".list tbody tr")):
            go(phone, console, hash_)
            phone.wait_for(css)
            wide = phone.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert wide[0] <= wide[1], (hash_, wide)
        phone.screenshot("office-phone")
        assert page_errors(phone) == [], page_errors(phone)


def test_evaluate_revisit_and_interview_in_a_rounds_page(console, browser):
    office, rectify = console.suite.office, console.clients["rectify"]
    go(browser, console, "#/round?id=R-1")
    browser.wait_for("#round-rectify table")
    fill(browser, "#evaluate [name=unit]", "U-B")
    for part, value in (("leadership", "80"), ("responsibility", "70"), ("task_completion", "50"), ("satisfaction", "90")):
        fill(browser, f"#evaluate [name={part}]", value)
    fill(browser, "#evaluate [name=leader]", "赵局长")
    fill(browser, "#evaluate [name=title]", "市教育局局长")
    click(browser, "#evaluate button[type=submit]")
    click_confirm(browser, "将对单位 U-B 的整改情况评估打分")
    fill(browser, "#revisit [name=unit]", "U-B")
    click(browser, "#revisit button[type=submit]")
    click_confirm(browser, "对单位 U-B 的回访")
    fill(browser, "#interview [name=unit]", "U-B")
    fill(browser, "#interview [name=name]", "赵局长")
    fill(browser, "#interview [name=title]", "市教育局局长")
    fill(browser, "#interview [name=by]", "市委巡察办主任")
    click(browser, "#interview button[type=submit]")
    click_confirm(browser, "由市委巡察办主任对单位 U-B 的赵局长（市教育局局长）进行约谈")
    # what the page shows of U-B is what rectify.round says, score and grade as it computed them
    def row():
        target = next(t for t in ok(rectify.call(office, "rectify.round", {"round": "R-1"}))["targets"]
                      if t["unit"] == "U-B")
        cells = [c.text for c in browser.driver.find_elements(
            By.CSS_SELECTOR, "#round-rectify tbody tr:nth-child(2) td")]
        return target, cells
    wait_until(lambda: row()[0]["interviews_held"] == 1 and row()[1][-1] == "1", what="the interview shown")
    target, cells = row()
    assert target["score"] and target["visit"]["recorded_on"], target
    # U-A not yet visited: its due date with rectify's explanation, in Chinese
    ua = next(t for t in ok(rectify.call(office, "rectify.round", {"round": "R-1"}))["targets"] if t["unit"] == "U-A")
    cell = browser.wait_for("#round-rectify tbody tr:nth-child(1) td.visit .date")
    assert cell.text.startswith(ua["visit"]["due"]) and ua["visit"]["explain"], (cell.text, ua)
    assert cell.get_attribute("title") == chinese(browser, ua["visit"]["explain"])
    assert cells[2:5] == [target["score"], target["grade_name"], f"已回访 {target['visit']['recorded_on']}"], cells
    # the last target scored low: rectify recommends an interview, and the page says why in Chinese
    fill(browser, "#evaluate [name=unit]", "U-A")
    for part in ("leadership", "responsibility", "task_completion", "satisfaction"):
        fill(browser, f"#evaluate [name={part}]", "40")
    click(browser, "#evaluate button[type=submit]")
    click_confirm(browser, "将对单位 U-A 的整改情况评估打分")
    wait_until(lambda: browser.driver.find_elements(By.CSS_SELECTOR, "#round-rectify tbody tr:nth-child(1) td")[5].text != "—",
               what="the interview recommended")
    ua = next(t for t in ok(rectify.call(office, "rectify.round", {"round": "R-1"}))["targets"] if t["unit"] == "U-A")
    assert ua["interview"] == "below 60", ua
    cells = [c.text for c in browser.driver.find_elements(By.CSS_SELECTOR, "#round-rectify tbody tr:nth-child(1) td")]
    assert cells[2:6] == [ua["score"], ua["grade_name"], cells[4], "得分低于 60 分，建议约谈"], cells
    browser.driver.execute_script("document.querySelector('#round-rectify').scrollIntoView()")
    browser.screenshot("office-round-rectify")


def test_create_a_special_report_sign_it_and_extend_its_due_date(console, browser):
    office, referral = console.suite.office, console.clients["referral"]
    go(browser, console, "#/referrals")
    fill(browser, "#referral-create [name=kind]", "report")
    fill(browser, "#referral-create [name=target]", "organization-dept")
    fill(browser, "#referral-create [name=title]", "关于选人用人问题的专题报告")
    fill(browser, "#referral-create [name=detail]", "建议完善干部选拔任用制度")
    fill(browser, "#referral-create [name=round]", "R-1")
    click(browser, "#referral-create button[type=submit]")
    click_confirm(browser, "将「关于选人用人问题的专题报告」作为专题报告移交 organization-dept")
    browser.wait_for("#referral-create .done")
    made = next(r for r in ok(referral.call(office, "referral.list", {"kind": "report"}))["items"]
                if r["title"] == "关于选人用人问题的专题报告")
    go(browser, console, f"#/referral?id={made['id']}")
    fill(browser, "#referral-sign [name=name]", "孙书记")
    fill(browser, "#referral-sign [name=title]", "市委副书记")
    click(browser, "#referral-sign button[type=submit]")
    click_confirm(browser, f"将登记市委副书记孙书记对专题报告 #{made['id']}")
    wait_until(lambda: ok(referral.call(office, "referral.get", {"referral": made["id"]}))["signed"],
               what="signed")
    old = ok(referral.call(office, "referral.get", {"referral": made["id"]}))["due"]["date"]
    later = str(local_day(120))
    fill(browser, "#referral-extend [name=due]", later)
    fill(browser, "#referral-extend [name=reason]", "涉及部门多，需延期反馈")
    click(browser, "#referral-extend button[type=submit]")
    click_confirm(browser, f"将移交 #{made['id']} 的反馈期限由 {old} 延至 {later}")
    wait_until(lambda: browser.text("#referral-due .date").startswith(later), what="the new due date shown")
    got = ok(referral.call(office, "referral.get", {"referral": made["id"]}))
    assert got["due"]["date"] == later and got["signed"]["leader"]["name"] == "孙书记", got
    assert browser.wait_for("#referral-due .date").get_attribute("title") == chinese(browser, got["due"]["explain"])
    assert browser.text("#referral-extensions") == f"由 {old} 延至 {later}：涉及部门多，需延期反馈"
    assert "延期（web-office）" in browser.text("#referral-history")


def test_merge_duplicate_problems(console, browser):
    office, intake = console.suite.office, console.clients["intake"]
    # two reports of one matter from the petition bureau
    dup = [ok(console.call("intake", console.suite.petition, "problem.report", {
        "unit": "U-C", "category": "livelihood", "summary": "自来水管网老化", "detail": "多次停水",
        "severity": "general", "source": "petition"}))["problem"] for _ in range(2)]
    go(browser, console, f"#/problem?id={dup[0]}")
    fill(browser, "#problem-merge [name=from]", str(dup[1]))
    click(browser, "#problem-merge button[type=submit]")
    click_confirm(browser, f"将问题 #{dup[1]} 作为重复问题并入问题 #{dup[0]}")
    wait_until(lambda: ok(intake.call(office, "problem.get", {"problem": dup[1]}))["status"] == "merged",
               what="merged")
    go(browser, console, "#/problems?status=merged")
    wait_rows(browser, [str(p["id"]) for p in ok(intake.call(office, "problem.list", {"status": "merged"}))["items"]])


def test_an_overdue_item_its_red_light_and_the_steps_reached(console, browser):
    office, rectify = console.suite.office, console.clients["rectify"]
    # from paper: found 60 days ago, fed back at once (立行立改, 15 days) 50 days ago: overdue
    p = ok(console.call("intake", office, "problem.report", {
        "unit": "U-C", "category": "livelihood", "summary": "危房改造资金挪用", "detail": "见审计报告",
        "severity": "grave", "source": "audit", "immediate": True, "occurred_on": str(local_day(-60))}))["problem"]
    ok(console.call("intake", office, "problem.classify", {
        "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "immediate"}],
        "occurred_on": str(local_day(-50))}))
    wait_until(lambda: [i for i in ok(rectify.call(office, "rectify.list", {"overdue": True}))["items"]
                        if i["problem"] == p], what="rectify opened the overdue item")
    want = [str(i["id"]) for i in ok(rectify.call(office, "rectify.list", {"overdue": True}))["items"]]
    go(browser, console, "#/items?overdue=true")
    wait_rows(browser, want)
    item = next(i for i in ok(rectify.call(office, "rectify.list", {"overdue": True}))["items"] if i["problem"] == p)
    row = browser.wait_for(f".list tbody tr[data-key='{item['id']}']")
    assert row.find_element(By.CSS_SELECTOR, ".light").get_attribute("data-colour") == "red"
    assert "逾期" in row.text
    # every row's light is the colour rectify.list gives it (正常 before any band)
    go(browser, console, "#/items")
    rows = ok(rectify.call(office, "rectify.list", {"limit": 20}))["items"]
    wait_rows(browser, [str(i["id"]) for i in rows])
    for i in rows:
        lights = browser.driver.find_elements(By.CSS_SELECTOR, f".list tbody tr[data-key='{i['id']}'] .light")
        assert [l.get_attribute("data-colour") for l in lights] == ([] if not i["light"] else [i["light"]["colour"] or "green"]), i
    go(browser, console, f"#/item?id={item['id']}")
    browser.wait_for("#item-escalation")
    got = ok(rectify.call(office, "rectify.get", {"item": item["id"]}))
    d = got["deadlines"][0]
    assert d["colour"] == "red" and d["ladder"][0]["reached"], d
    assert browser.driver.find_element(By.CSS_SELECTOR, "#item-deadlines .light").get_attribute("data-colour") == "red"
    reached = browser.driver.find_elements(By.CSS_SELECTOR, "#item-escalation li.reached")
    assert len(reached) == sum(s["reached"] for s in d["ladder"]) >= 1
    nxt = d["next_step"]
    words = {"supervision_notice": "督办通知", "stage_guidance": "阶段指导", "reminder": "提醒",
             "warning": "警示", "accountability": "问责"}
    assert d["step"]["n"] == len(reached), d
    assert browser.text("#item-escalation .next-step") == (
        f"下一步：{words[nxt['name']]}，{nxt['on']}" if nxt else "已到达最后一级督办")
    browser.driver.execute_script("document.querySelector('#item-deadlines').scrollIntoView()")
    browser.screenshot("office-item-overdue")


def test_reject_a_claim_with_its_reason(console, browser):
    office, rectify = console.suite.office, console.clients["rectify"]
    item = next(i for i in ok(rectify.call(office, "rectify.list", {"unit": "U-C"}))["items"] if i["state"] == "opened")
    # the claim loaded from paper by the office (only so may it send the unit's command)
    ok(rectify.call(office, "rectify.claim", {"item": item["id"], "completion": "mostly_completed",
                                              "evidence": [{"file": "整改台账.xlsx", "sha256": "cd" * 32}],
                                              "occurred_on": str(local_day(0))}))
    go(browser, console, f"#/item?id={item['id']}")
    browser.wait_for("#item-review")
    fill(browser, "#item-review [name=decision]", "reject")
    fill(browser, "#item-review [name=reason]", "资金尚未追回，证据不足")
    click(browser, "#item-review button[type=submit]")
    click_confirm(browser, f"将退回整改事项 #{item['id']}「{item['summary']}」的销号申请，理由：资金尚未追回，证据不足")
    wait_until(lambda: browser.text("#item-state") == "退回整改", what="reopened")
    got = ok(rectify.call(office, "rectify.get", {"item": item["id"]}))
    assert got["state"] == "reopened" and got["claims"][-1]["reason"] == "资金尚未追回，证据不足", got["claims"]
    assert "已退回：资金尚未追回，证据不足" in browser.text("#item-claims")
    assert "整改台账.xlsx（摘要 cdcdcdcdcdcd…）" in browser.text("#item-claims")
    assert "退回整改（web-office）：资金尚未追回，证据不足" in browser.text("#item-history")
    assert "（补录）" in browser.text("#item-history")


def test_export_the_three_lists_as_csv(console, browser, tmp_path):
    office, rectify = console.suite.office, console.clients["rectify"]
    browser.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    go(browser, console, "#/items?round=R-1")
    browser.wait_for("#item-export")
    for list_, name in (("problems", "问题清单"), ("tasks", "任务清单"), ("responsibilities", "责任清单")):
        want, after = [], None
        while True:
            data = {"list": list_, "round": "R-1", "limit": 500, **({"after": after} if after is not None else {})}
            page = ok(rectify.call(office, "rectify.export", data))
            want.append(page["csv"])
            after = page["next"]
            if after is None:
                break
        click(browser, f"#item-export button[data-list={list_}]")
        path = tmp_path / f"{name}-R-1.csv"
        wait_until(lambda p=path: p.exists() and p.stat().st_size > 0, what=f"{path.name} downloaded")
        got = path.read_bytes()
        assert got.startswith(b"\xef\xbb\xbf"), got[:10]
        assert got.decode("utf-8") == "".join(want)
        assert name in browser.text("#item-export .done")


def test_split_a_unit(console, browser):
    office = console.suite.office
    ok(console.call("intake", office, "unit.register", {"id": "U-E", "name": "东风村", "level": "village", "parent": "U-A"}))
    go(browser, console, "#/unit?id=U-E")
    fill(browser, "#unit-split [name=into]", "U-E1 东风一村\nU-E2 东风二村")
    fill(browser, "#unit-split [name=successor]", "U-E2")
    click(browser, "#unit-split button[type=submit]")
    click_confirm(browser, "将单位「东风村」（U-E）分立为「东风一村」（U-E1）、「东风二村」（U-E2），由 U-E2 承接")
    wait_until(lambda: "已分立" in browser.text("#unit"), what="split shown")
    got = ok(console.call("intake", office, "unit.get", {"unit": "U-E"}))
    assert (got["status"], got["successor"]) == ("split", "U-E2"), got
    new = ok(console.call("intake", office, "unit.get", {"unit": "U-E1"}))
    assert (new["name"], new["level"], new["parent"]) == ("东风一村", "village", "U-A"), new
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#unit-split")


def test_a_district_office_works_its_own_rounds_only(console, tmp_path):
    """A district's inspection office (role district, scope its district) has the same pages; the
    services keep it to its district: its rounds, its units, none of the city's."""
    office = console.suite.office
    ok(console.call("intake", office, "unit.register", {"id": "D-1", "name": "云溪区", "level": "district"}))
    ok(console.call("intake", office, "unit.register", {"id": "T-1", "name": "白石镇", "level": "town", "parent": "D-1"}))
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, console, "web-district", "district", scope={"district": "D-1"}, display="云溪区委巡察办")
        assert b.text("#who-role") == "县（区）巡察机构"
        go(b, console, "#/rounds")
        b.wait_for(".list .empty")                     # none of the city's rounds
        fill(b, "#round-open [name=id]", "YX-1")
        fill(b, "#round-open [name=name]", "云溪区第一轮")
        fill(b, "#round-open [name=team]", "team-1")   # typed: the registry's list is the city office's
        fill(b, "#round-open [name=main]", "T-1")
        fill(b, "#round-open [name=planned_start]", str(local_day(1)))
        fill(b, "#round-open [name=planned_end]", str(local_day(30)))
        click(b, "#round-open button[type=submit]")
        click_confirm(b, "将开启常规巡察轮次「云溪区第一轮」")
        b.wait_for("#round-open .done")
        wait_rows(b, ["YX-1"])
        got = ok(console.call("intake", office, "round.get", {"round": "YX-1"}))
        assert got["owner"]["district"] == "D-1", got
        # a unit outside its district is refused by intake, in Chinese
        fill(b, "#round-open [name=id]", "YX-2")
        fill(b, "#round-open [name=main]", "U-B")
        click(b, "#round-open button[type=submit]")
        click_confirm(b)
        assert "（forbidden）" in b.text("#round-open .refusal")
        go(b, console, "#/units")
        wait_rows(b, ["D-1", "T-1"])
        b.screenshot("office-district")
        assert page_errors(b) == [], page_errors(b)


def test_choose_a_rounds_regime_before_its_items(console, browser):
    rectify = console.clients["rectify"]
    wait_until(lambda: "error" != rectify.call(console.suite.office, "rectify.round", {"round": "R-3"})["type"],
               what="rectify has read R-3")
    go(browser, console, "#/round?id=R-3")
    browser.wait_for("#regime")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#evaluate")     # not fed back yet
    fill(browser, "#regime [name=regime]", "2024")
    click(browser, "#regime button[type=submit]")
    click_confirm(browser, "将轮次 R-3 的整改制度设为「2024」")
    wait_until(lambda: browser.text("#round-regime") == "2024", what="the regime shown")
    got = ok(rectify.call(console.suite.office, "rectify.round", {"round": "R-3"}))
    assert (got["regime"], got["regime_chosen"]) == ("2024", True), got
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#regime")


def test_open_a_special_raised_round_with_its_modes(console, browser):
    office = console.suite.office
    ok(console.call("intake", office, "unit.register", {"id": "D-2", "name": "青山县", "level": "district"}))
    ok(console.call("intake", office, "unit.register", {"id": "T-2", "name": "石门镇", "level": "town", "parent": "D-2"}))
    go(browser, console, "#/rounds")
    fill(browser, "#round-open [name=id]", "R-5")
    fill(browser, "#round-open [name=name]", "乡村振兴专项巡察")
    fill(browser, "#round-open [name=kind]", "special")
    fill(browser, "#round-open [name=theme]", "乡村振兴")
    fill(browser, "#round-open [name=team]", "team-1")
    fill(browser, "#round-open [name=main]", "T-2")
    fill(browser, "#round-open [name=planned_start]", str(local_day(3)))
    fill(browser, "#round-open [name=planned_end]", str(local_day(33)))
    click(browser, "#round-open details.more summary")
    fill(browser, "#round-open [name=mode_elevated]", True)
    fill(browser, "#round-open [name=mode_audit_linked]", True)
    fill(browser, "#round-open [name=audit_ref]", "审计〔2026〕12号")
    fill(browser, "#round-open [name=link]", "raised")
    fill(browser, "#round-open [name=link_to]", "D-2")
    click(browser, "#round-open button[type=submit]")
    click_confirm(browser, "将开启专项巡察轮次「乡村振兴专项巡察」（编号 R-5），巡察组 team-1，被巡察单位 1 个，"
                           f"计划 {local_day(3)} 至 {local_day(33)}，巡察方式：提级、巡审联动，提级巡察（D-2）")
    browser.wait_for("#round-open .done")
    got = ok(console.call("intake", office, "round.get", {"round": "R-5"}))
    assert (got["kind"], got["theme"], got["modes"], got["audit_ref"], got["link"]) == (
        "special", "乡村振兴", ["elevated", "audit_linked"], "审计〔2026〕12号", {"kind": "raised", "district": "D-2"}), got
    go(browser, console, "#/round?id=R-5")
    assert browser.text("#round-modes") == "提级、巡审联动（审计〔2026〕12号）"
    assert browser.text("#round-link") == "提级巡察：D-2"


def test_record_a_problem_from_paper(console, browser):
    office, intake = console.suite.office, console.clients["intake"]
    go(browser, console, "#/problems")
    fill(browser, "#problem-report [name=occurred_on]", str(local_day(-40)))
    fill(browser, "#problem-report [name=round]", "R-1")
    fill(browser, "#problem-report [name=unit]", "U-B")
    fill(browser, "#problem-report [name=category]", "eight_rules")
    fill(browser, "#problem-report [name=summary]", "违规发放津贴补贴")
    fill(browser, "#problem-report [name=detail]", "2026 年审计发现，见审计报告第 3 页")
    fill(browser, "#problem-report [name=severity]", "serious")
    fill(browser, "#problem-report [name=source]", "audit")
    click(browser, "#problem-report button[type=submit]")
    click_confirm(browser, f"将补录 {local_day(-40)} 发现的问题「违规发放津贴补贴」（单位 U-B，来源：审计）")
    browser.wait_for("#problem-report .done")
    got = next(p for p in ok(intake.call(office, "problem.list", {"source": "audit", "unit": "U-B"}))["items"]
               if p["summary"] == "违规发放津贴补贴")
    assert (got["found_on"], got["recorded_from_history"], got["category"], got["round"]) == (
        str(local_day(-40)), True, "eight_rules", "R-1"), got
    fill(browser, ".filters [name=source]", "audit")
    wait_until(lambda: str(got["id"]) in row_keys(browser), what="the problem in the list")


# A deployment's own categories (policies.intake.categories), none of them the defaults.
OWN_CATEGORIES = [{"id": "style", "name": "作风建设"},
                  {"id": "banquets", "name": "违规吃喝", "parent": "style"},
                  {"id": "other", "name": "其他事项"}]


def test_a_deployments_own_categories_name_the_filter_and_the_rows(tmp_path):
    """The categories come from intake's policy (problem.categories), not from the console: the
    filter offers exactly the deployment's own with their name paths, and a row names its own."""
    (tmp_path / "suite").mkdir()
    with console_suite(tmp_path / "suite", policies={"intake": {"categories": OWN_CATEGORIES}}) as c:
        o = c.suite.office
        ok(c.call("intake", o, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
        pid = ok(c.call("intake", c.suite.petition, "problem.report", {
            "unit": "U-A", "category": "banquets", "summary": "村干部违规吃喝", "detail": "信访反映",
            "severity": "general", "source": "petition"}))["problem"]
        (tmp_path / "shots").mkdir()
        with Browser(tmp_path / "shots") as b:
            b.driver.set_script_timeout(30)
            signed_in(b, c, OFFICE_ISS, "office", display="王主任")
            go(b, c, "#/problems?category=banquets")
            sel = ".filters select[name=category]"
            want = [["", "全部"], ["style", "作风建设"], ["banquets", "作风建设 › 违规吃喝"], ["other", "其他事项"]]
            said = lambda: b.driver.execute_script(
                "const s = document.querySelector(arguments[0]);"
                " return s ? [...s.options].map((o) => [o.value, o.textContent]) : null;", sel)
            wait_until(lambda: said() == want, what=f"the policy's categories, seen {said()}")
            wait_rows(b, [str(pid)])
            assert b.driver.find_element(By.CSS_SELECTOR, sel).get_attribute("value") == "banquets"
            assert "作风建设 › 违规吃喝" in b.text(".list tbody tr")
            assert page_errors(b) == [], page_errors(b)
            assert b.requests_outside(c.base) == [], b.requests()
