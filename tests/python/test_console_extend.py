"""申请延期 in the console (docs/console.md; docs/services/referral.md, "Asking for more time"), in
Debian's headless chromium against the real suite and gateway: the discipline body asks for a
later feedback date on a lead; the office sees the request in its inbox (notify's stream) and on
the referral's page and grants it (同意: referral.extend to the date asked); a second request is
declined (不同意) with a reason the body then reads on its lead's page. And the outcome form's
per-person list: what the service stored is read back through the office's Python client."""
import datetime

import pytest
from selenium.webdriver.support.ui import Select

from browserlib import Browser, wait_until
from consolelib import (OFFICE_ISS, click, click_confirm, console_suite, ok, page_errors, seed,
                        set_value, signed_in)

BODY = "discipline-commission"
# the deployment's own organizational handling (policies.referral.outcomes): the outcome form
# offers exactly these, by their names, as referral.outcome_kinds gives them
HANDLING = [{"id": "admonishment", "name": "诫勉"}, {"id": "talk", "name": "提醒谈话"}]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-extend")
    with console_suite(folder, policies={"referral": {"outcomes": {"organizational_handling": HANDLING}}}) as c:
        c.ids = seed(c)
        with Browser(folder) as b:
            b.driver.set_script_timeout(60)
            c.browser = b
            yield c
            assert b.requests_outside(c.base) == [], b.requests()
            assert page_errors(b) == [], page_errors(b)


def a_lead(c):
    leads = wait_until(lambda: ok(c.call("referral", c.suite.office, "referral.list", {"kind": "lead"}))["items"],
                       what="the seed's lead in referral")
    return leads[0]["id"]


def later(date, days):
    return (datetime.date.fromisoformat(date) + datetime.timedelta(days=days)).isoformat()


def as_body(c, b):
    signed_in(b, c, BODY, "discipline", scope={"units": ["*"]}, display="市纪委监委")


def as_office(c, b):
    signed_in(b, c, OFFICE_ISS, "office", display="王主任")


def open_lead(c, b, rid):
    b.open(f"{c.base}/#/lead?referral={rid}")
    b.driver.refresh()
    return b.wait_for("#lead")


def open_referral(c, b, rid):
    b.open(f"{c.base}/#/referral?id={rid}")
    b.driver.refresh()
    return b.wait_for("#referral")


def requests(c, rid):
    return c.ok("referral", "referral.get", {"referral": rid})["extension_requests"]


def ask(c, b, rid, due, reason):
    open_lead(c, b, rid)
    set_value(b, "#extension-form input[name=extension-due]", due)
    set_value(b, "#extension-form textarea[name=extension-reason]", reason)
    click(b, "#extension-submit")
    click_confirm(b, expect=f"申请将移交 #{rid} 的反馈期限延至 {due}")
    wait_until(lambda: b.driver.find_elements("css selector", "#extension-open"), what="the open request shown")


def test_the_body_asks_the_office_grants_then_declines(world):
    c, b = world, world.browser
    rid = a_lead(c)
    due = c.ok("referral", "referral.get", {"referral": rid})["due"]["date"]
    asked = later(due, 30)
    as_body(c, b)
    ask(c, b, rid, asked, "涉及人员较多，需延长核查时间")
    [q] = requests(c, rid)
    assert (q["state"], q["due"], q["requested_by"]) == ("open", asked, BODY), q
    assert asked in b.text("#extension-open")

    # the office: a notice in its inbox, the request on the referral's page; 同意
    notices = wait_until(lambda: [d for d in c.ok("notify", "notify.list", {
        "recipient": "office-desk", "channel": "stream", "limit": 500})["items"]
        if d["event"]["type"] == "referral.extension_requested"], timeout=20, what="the office's notice")
    as_office(c, b)
    click(b, "#nav a[data-path=inbox]")
    notice = b.wait_for(f".notice[data-delivery='{notices[0]['id']}']")
    assert f"申请延至{asked}" in notice.text, notice.text
    assert "referral.extension_requested" not in notice.text
    open_referral(c, b, rid)
    assert b.text("#extension-asked") == asked
    assert b.text("#extension-reason") == "涉及人员较多，需延长核查时间"
    b.screenshot("office-extension-request")
    click(b, "#extension-grant")
    click_confirm(b, expect=f"同意将移交 #{rid} 的反馈期限由 {due} 延至 {asked}")
    wait_until(lambda: not b.driver.find_elements("css selector", "#extension-answer"), what="the request answered")
    got = c.ok("referral", "referral.get", {"referral": rid})
    assert got["due"]["date"] == asked, got["due"]
    assert got["extension_requests"][0]["state"] == "granted", got["extension_requests"]
    assert asked in b.text("#referral-due")

    # a second request, declined with a reason
    second = later(asked, 20)
    as_body(c, b)
    ask(c, b, rid, second, "仍需补充证据")
    as_office(c, b)
    open_referral(c, b, rid)
    assert b.text("#extension-asked") == second
    # 不同意 without a reason: the page asks for one and sends nothing
    click(b, "#extension-decline")
    assert "请填写理由" in b.wait_for("#extension-answer .refusal").text
    assert not b.driver.find_elements("css selector", "dialog#confirm[open]")
    assert [q["state"] for q in requests(c, rid)] == ["granted", "open"]
    set_value(b, "#extension-answer textarea", "已延期一次，请按期反馈")
    click(b, "#extension-decline")
    click_confirm(b, expect=f"不同意移交 #{rid} 延至 {second} 的申请")
    wait_until(lambda: not b.driver.find_elements("css selector", "#extension-answer"), what="the request answered")
    qs = requests(c, rid)
    assert [q["state"] for q in qs] == ["granted", "declined"], qs
    assert qs[1]["answer"]["reason"] == "已延期一次，请按期反馈"
    assert c.ok("referral", "referral.get", {"referral": rid})["due"]["date"] == asked

    # the body reads the answer on its lead's page, and may ask again
    as_body(c, b)
    open_lead(c, b, rid)
    declined = b.wait_for("#extension-requests li[data-state=declined]")
    assert "未同意" in declined.text and "已延期一次，请按期反馈" in declined.text, declined.text
    assert "已同意" in b.text("#extension-requests li[data-state=granted]")
    b.wait_for("#extension-form")
    b.screenshot("discipline-extension-declined")


def select(b, css, value):
    el = b.wait_for(css)
    Select(el).select_by_value(value)


def test_the_outcome_lists_each_person(world):
    c, b = world, world.browser
    rid = a_lead(c)
    as_body(c, b)
    open_lead(c, b, rid)
    if b.driver.find_elements("css selector", "#lead[data-state=referred]"):
        click(b, "#lead-acknowledge")
        click_confirm(b)
        b.wait_for("#lead[data-state=acknowledged]")
    select(b, "#dispose-form select[name=method]", "preliminary_verification")
    click(b, "#dispose-submit")
    click_confirm(b)
    b.wait_for("#lead[data-state=disposed]")
    click(b, "#outcome-form input[type=checkbox][name=case_filed]")
    click(b, "#person-add")
    click(b, "#person-add")
    select(b, "select[name=person-1-form]", "3")
    select(b, "select[name=person-1-party_sanction]", "probation")
    select(b, "select[name=person-1-administrative_sanction]", "dismissal")
    click(b, "input[name=person-1-detained]")
    select(b, "select[name=person-2-form]", "1")
    # the deployment's kinds, not the built-in ones (停职检查 …), each by its own name
    handling = Select(b.wait_for("select[name=person-2-organizational_handling]"))
    assert [(o.get_attribute("value"), o.text) for o in handling.options] == \
        [("", "无")] + [(k["id"], k["name"]) for k in HANDLING]
    forms = Select(b.wait_for("select[name=person-2-form]"))
    assert [o.text for o in forms.options] == ["第一种形态", "第二种形态", "第三种形态", "第四种形态"]
    select(b, "select[name=person-2-organizational_handling]", "talk")
    # with people listed the counts are not typed: the service derives them
    assert not b.driver.find_elements("css selector", "#outcome-form input[name=party_sanctions]")
    click(b, "#outcome-submit")
    words = click_confirm(b, expect="涉及 2 人")
    assert "留党察看" in words and "撤职" in words and "组织处理提醒谈话" in words, words
    b.wait_for("#outcome-form .done")
    [o] = c.ok("referral", "referral.get", {"referral": rid})["outcomes"]
    assert o["people"] == [
        {"form": 3, "party_sanction": "probation", "administrative_sanction": "dismissal",
         "organizational_handling": None, "detained": True, "prosecuted": False},
        {"form": 1, "party_sanction": None, "administrative_sanction": None,
         "organizational_handling": "talk", "detained": False, "prosecuted": False}], o
    assert (o["party_sanctions"], o["administrative_sanctions"], o["organizational_handling"],
            o["detentions"], o["case_filed"]) == (1, 1, 1, 1, 1), o
    people = b.wait_for("#lead ol.people")
    assert "第三种形态" in people.text and "留党察看" in people.text, people.text
    assert "组织处理：提醒谈话" in people.text, people.text
