"""The console's shell (docs/console.md, "The shell") in headless chromium against a real suite
and gateway: sign-in with a key made in the browser, the nav by role, a page not of the role
refused, act()'s confirmation dialog (cancelling sends nothing), a refused command shown in
Chinese, a resend keeping the id, and a phone's width."""
import base64
import json
import os
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browserlib import Browser, wait_until
from consolelib import (OFFICE_ISS, click, click_cancel, click_confirm, console_suite, ok, page_errors, page_ok,
                        page_run, registry_add, seed, set_value, signed_in)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with console_suite(tmp_path_factory.mktemp("console-shell")) as c:
        c.ids = seed(c)
        yield c


@pytest.fixture
def browser(console, tmp_path):
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(30)
        yield b
        assert page_errors(b) == [], page_errors(b)
        assert b.requests_outside(console.base) == [], b.requests()


def test_without_a_key_the_sign_in_screen_says_not_enrolled(console, browser):
    browser.open(console.base + "/#/people")
    assert "尚未登记" in browser.text("#not-enrolled")
    browser.wait_for("#ed25519[data-ed25519=yes]")
    assert "巡察工作平台" in browser.text("h1")
    # the form's fields have labels
    for field in ("start-iss", "start-code"):
        assert browser.driver.find_element(By.CSS_SELECTOR, f"label[for={field}]").text


def test_signed_in_the_header_names_the_person_and_role(console, browser):
    signed_in(browser, console, OFFICE_ISS, "office", display="王主任")
    assert browser.text("#who-name") == "王主任"
    assert browser.text("#who-role") == "巡察办"
    click(browser, "#sign-out")
    browser.wait_for("#sign-in")
    click(browser, "#enter")
    assert browser.text("#who-name") == "王主任"


# Records every POST the page makes ({url, frame}) in window.__posts; with drop, the first POST
# of that message type goes out and reaches the service, and its answer is lost (the page's
# fetch throws, as when the network fails after sending).
INSTRUMENT = """
window.__posts = [];
const real = window.fetch, drop = arguments[0];
let dropped = false;
window.fetch = async (url, init) => {
  if (!init || init.method !== "POST") return real(url, init);
  const p = JSON.parse(init.body).payload.replace(/-/g, "+").replace(/_/g, "/");
  const body = JSON.parse(atob(p + "===".slice((p.length + 3) % 4)));
  window.__posts.push({url: String(url), frame: init.body, type: body.type, id: body.id});
  const answer = await real(url, init);
  if (drop && body.type === drop && !dropped) {
    dropped = true;
    throw new TypeError("Failed to fetch");
  }
  return answer;
};
"""


def posts(b, type_=None):
    return [p for p in b.driver.execute_script("return window.__posts || []")
            if type_ is None or p["type"] == type_]


def invite_fill(b, display, iss, role="unit"):
    b.open(b.driver.current_url.split("#")[0] + "#/people")
    click(b, "#invite-open")
    form = b.wait_for("#invite-form")
    form.find_element(By.NAME, "display").send_keys(display)
    form.find_element(By.NAME, "iss").send_keys(iss)
    set_value(b, "#invite-form select[name=role]", role)
    set_value(b, "#invite-form input[name=until]", "2030-12-31")


def principals(console):
    return {p["iss"]: p for p in console.ok("registry", "principal.list", {"limit": 500})["principals"]}


def test_nav_by_role_and_a_page_not_of_the_role(console, browser):
    signed_in(browser, console, OFFICE_ISS, "office", display="王主任")
    office_nav = {a.get_attribute("data-path") for a in browser.driver.find_elements(By.CSS_SELECTOR, "#nav a")}
    assert {"people", "inbox"} <= office_nav, office_nav
    # #/ opened the first page of the role's nav
    wait_until(lambda: browser.driver.current_url.split("#")[1] not in ("", "/"), what="#/ led to a page")
    signed_in(browser, console, "web-team", "team", display="第一巡察组")
    assert browser.text("#who-role") == "巡察组"
    team_nav = {a.get_attribute("data-path") for a in browser.driver.find_elements(By.CSS_SELECTOR, "#nav a")}
    assert "people" not in team_nav and "inbox" in team_nav, team_nav
    before = len(browser.requests())
    browser.open(console.base + "/#/people?after=x")
    browser.driver.refresh()
    assert browser.text("#forbidden-page") == "无权访问此页面"
    # the refused page asked nothing of the registry
    assert not [u for u in browser.requests()[before:] if u.endswith("/v1/registry")], browser.requests()[before:]
    browser.open(console.base + "/#/no-such-page")
    assert "页面不存在" in browser.text("#no-page")


def test_the_dialog_shows_the_words_and_cancelling_sends_nothing(console, browser):
    signed_in(browser, console, OFFICE_ISS, "office", display="王主任")
    browser.driver.execute_script(INSTRUMENT, None)
    invite_fill(browser, "张三", "zhang-san")
    browser.driver.execute_script(INSTRUMENT, None)
    click(browser, "#invite-submit")
    words = click_cancel(browser)
    assert "邀请 张三（账号 zhang-san，被巡察单位），有效期至 2030-12-31" == words, words
    wait_until(lambda: not browser.driver.find_elements(By.CSS_SELECTOR, "dialog#confirm[open]"),
               what="the dialog closed")
    # by keyboard: Escape is 取消 too
    click(browser, "#invite-submit")
    browser.wait_for("dialog#confirm[open]")
    assert browser.driver.switch_to.active_element.tag_name == "button"      # focus is in the dialog
    browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_until(lambda: not browser.driver.find_elements(By.CSS_SELECTOR, "dialog#confirm[open]"),
               what="the dialog closed by Escape")
    assert posts(browser, "principal.invite") == [], posts(browser)
    assert "zhang-san" not in principals(console)
    assert browser.driver.find_elements(By.CSS_SELECTOR, "#invite-form")   # the form is still there


def test_a_refused_command_shows_its_reason_in_chinese(console, browser):
    signed_in(browser, console, OFFICE_ISS, "office", display="王主任")
    # team-1 is registered as a team: inviting it as a unit's liaison is refused (conflict)
    invite_fill(browser, "冒名者", "team-1", role="unit")
    click(browser, "#invite-submit")
    click_confirm(browser)
    refusal = browser.wait_for("#invite-form .refusal")
    assert refusal.get_attribute("data-code") == "conflict"
    text = refusal.text
    assert "（conflict）" in text and "team-1" in text, text
    # Chinese, and no English of the service's text: only the placed value and the code are ASCII
    rest = text.replace("（conflict）", "").replace("team-1", "")
    assert re.search(r"[\u4e00-\u9fff]", rest) and not re.search(r"[A-Za-z]", rest), text
    assert principals(console)["team-1"]["role"] == "team"


def test_a_resend_keeps_the_id(console, browser):
    signed_in(browser, console, OFFICE_ISS, "office", display="王主任")
    invite_fill(browser, "赵敏", "zhao-min")
    browser.driver.execute_script(INSTRUMENT, "principal.invite")
    click(browser, "#invite-submit")
    click_confirm(browser)
    browser.wait_for("#invite-code")
    sent = posts(browser, "principal.invite")
    assert len(sent) == 2, sent
    assert sent[0]["frame"] == sent[1]["frame"] and sent[0]["id"] == sent[1]["id"], sent
    # the service carried it out once: one invitation, answered `duplicate` the second time
    p = principals(console)["zhao-min"]
    assert p["invitation"]["state"] == "open" and p["display"] == "赵敏", p
    frame, id_ = json.loads(sent[0]["frame"]), sent[0]["id"]
    r = console.gateway.post("registry", sent[0]["frame"])
    assert r.status_code == 200
    reply = json.loads(base64.urlsafe_b64decode(json.loads(r.text)["payload"] + "=="))
    assert reply["corr"] == id_ and reply["data"]["status"] == "duplicate", reply


def test_at_a_phones_width(console, tmp_path):
    with Browser(tmp_path, phone=True) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, console, OFFICE_ISS, "office", display="王主任")
        b.open(console.base + "/#/people")
        b.wait_for("tr[data-key=office]")
        width = b.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        assert b.wait_for("#nav a[data-path=people]").is_displayed()
        assert b.wait_for("#sign-out").is_displayed()
        b.screenshot("shell-phone")
        click(b, "#invite-open")
        set_value(b, "#invite-form input[name=until]", "2030-12-31")
        b.wait_for("#invite-form input[name=display]").send_keys("手机")
        b.wait_for("#invite-form input[name=iss]").send_keys("phone-one")
        click(b, "#invite-submit")
        dialog = b.wait_for("dialog#confirm[open]")
        assert dialog.size["width"] <= 390, dialog.size
        b.screenshot("shell-phone-dialog")
        click_cancel(b)
        assert page_errors(b) == [], page_errors(b)


def test_a_list_pages_and_its_page_is_in_the_address(console, browser):
    # enough principals for two pages of 人员 (20 a page)
    for i in range(25):
        iss = f"pager-{i:02d}"
        registry_add(console.suite, iss, "public", f"{iss}#1",
                     base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())
    signed_in(browser, console, OFFICE_ISS, "office", display="王主任")
    browser.open(console.base + "/#/people")
    browser.wait_for("#page[data-path=people] tr[data-key]")   # not the home page's rows
    first = [r.get_attribute("data-key") for r in browser.driver.find_elements(By.CSS_SELECTOR, "tr[data-key]")]
    listed = sorted(principals(console))
    assert first == listed[:20], (first, listed)
    prev, nxt = browser.driver.find_elements(By.CSS_SELECTOR, ".pager button")[:2]
    assert prev.text == "上一页" and not prev.is_enabled() and nxt.text == "下一页"
    nxt.click()
    wait_until(lambda: browser.driver.find_elements(By.CSS_SELECTOR, f"tr[data-key='{listed[20]}']"),
               what="the second page")
    second = [r.get_attribute("data-key") for r in browser.driver.find_elements(By.CSS_SELECTOR, "tr[data-key]")]
    assert second == listed[20:40], second
    # the page is in the address: a reload shows the same rows
    assert f"after={listed[19]}" in browser.driver.current_url, browser.driver.current_url
    browser.driver.refresh()
    browser.wait_for(f"tr[data-key='{listed[20]}']")
    click(browser, ".pager button:first-child")
    browser.wait_for(f"tr[data-key='{listed[0]}']")
    assert "after=" not in browser.driver.current_url


def test_keyboard_reaches_the_nav_with_focus_visible(console, browser):
    signed_in(browser, console, OFFICE_ISS, "office", display="王主任")
    browser.open(console.base + "/#/people")
    browser.wait_for("#page[data-path=people] tr[data-key]")
    body = browser.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(10):
        el = browser.driver.switch_to.active_element
        if el.get_attribute("data-path") == "inbox":
            break
        el.send_keys(Keys.TAB)
    else:
        raise AssertionError("Tab never reached the nav's 通知")
    outline = browser.driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]")
    assert outline[0] != "none" and outline[1] != "0px", outline
    el.send_keys(Keys.ENTER)
    wait_until(lambda: browser.driver.current_url.endswith("#/inbox"), what="Enter followed the link")
    browser.wait_for("#inbox-count, .refusal")
