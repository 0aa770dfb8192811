"""Who may sign, in the console (docs/console.md, "People"): the office invites a person from its
人员 page (the code made in its browser, shown once), the person enrolls from the link in another
browser (a new key, proof of possession), the office compares the fingerprint and approves, the
person is in; a wrong code is refused in Chinese; the office revokes. Real chromium, real
gateway, real xc-registry writing the registry file the other services reload."""
import datetime
import json
import re

import pytest
from selenium.webdriver.common.by import By

from browserlib import Browser, wait_until
from consolelib import (OFFICE_ISS, click, click_confirm, console_suite, page_errors, page_run, seed,
                        set_value, signed_in)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with console_suite(tmp_path_factory.mktemp("console-people")) as c:
        c.ids = seed(c)
        yield c


def row(b, iss):
    return b.wait_for(f"tr[data-key='{iss}']")


def test_invite_enroll_approve_revoke(console, tmp_path):
    until = str(datetime.date.today() + datetime.timedelta(days=365))
    for d in ("office", "person", "pc2"):
        (tmp_path / d).mkdir()
    with Browser(tmp_path / "office") as office, Browser(tmp_path / "person") as person:
        office.driver.set_script_timeout(30)
        person.driver.set_script_timeout(30)
        signed_in(office, console, OFFICE_ISS, "office", display="王主任")
        office.open(console.base + "/#/people")
        click(office, "#invite-open")
        form = office.wait_for("#invite-form")
        form.find_element(By.NAME, "display").send_keys("李明")
        form.find_element(By.NAME, "iss").send_keys("li-ming")
        set_value(office, "#invite-form select[name=role]", "unit")
        click(office, "#invite-form input[name='unit-U-A']")
        set_value(office, "#invite-form input[name=until]", until)
        click(office, "#invite-submit")
        words = click_confirm(office)
        assert "李明" in words and "li-ming" in words and "被巡察单位" in words, words
        code = office.text("#invite-code")
        link = office.text("#invite-link")
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{1,4}){6}", code), code
        assert link.startswith(console.base + "/#/enroll?") and "iss=li-ming" in link, link
        office.screenshot("people-invited")

        # the person, in a browser with no key: the link opens the enrollment form filled in
        person.open(link)
        assert person.wait_for("#enroll-form input[name=iss]").get_attribute("value") == "li-ming"
        click(person, "#enroll-submit")
        fingerprint = person.text("#fingerprint")
        assert re.fullmatch(r"[A-Za-z0-9_-]{4}( [A-Za-z0-9_-]{1,4})+", fingerprint), fingerprint
        person.wait_for("#enroll-wait")
        person.screenshot("enroll-waiting")

        # the office sees the pending enrollment with the same fingerprint and approves it
        click(office, "#invited button:not(#copy-link)")
        def pending():
            click(office, ".pager button.quiet")        # 刷新
            rows = office.driver.find_elements(By.CSS_SELECTOR, "tr[data-key='li-ming']")
            return rows and "待批准" in rows[0].text
        try:
            wait_until(pending, timeout=10, what="li-ming pending in the office's list")
        except AssertionError:
            raise AssertionError(office.text("#page")) from None
        assert row(office, "li-ming").find_element(By.CSS_SELECTOR, ".fingerprint").text == fingerprint
        row(office, "li-ming").find_element(By.CSS_SELECTOR, "button.approve").click()
        assert fingerprint in click_confirm(office)

        # the person's browser was polling: it enters as 李明, 被巡察单位
        wait_until(lambda: person.driver.find_elements(By.CSS_SELECTOR, "#who-name"), timeout=20,
                   what="the person signed in after approval")
        assert person.text("#who-name") == "李明" and person.text("#who-role") == "被巡察单位"
        reg = json.load(open(console.suite.registry_path, encoding="utf-8"))
        entry = next(p for p in reg["principals"] if p["iss"] == "li-ming")
        assert entry["role"] == "unit" and entry["scope"] == {"units": ["U-A"]}, entry
        assert entry["keys"][-1]["not_after"].startswith(until) or entry["keys"][-1]["not_after"][:10] >= until[:8]
        # the person's key works at the other services: unit.list signed in the browser
        person.open(console.base + "/#/inbox")
        person.wait_for("#page")

        # 重新登记 (a lost PC): a new invitation for li-ming, enrolled from a third browser
        office.driver.refresh()
        row(office, "li-ming").find_element(By.CSS_SELECTOR, "button.reenroll").click()
        form = office.wait_for("#invite-form")
        assert form.find_element(By.NAME, "display").get_attribute("value") == "李明"
        assert form.find_element(By.NAME, "iss").get_attribute("value") == "li-ming"
        set_value(office, "#invite-form input[name=until]", until)
        click(office, "#invite-submit")
        assert "重新登记 李明" in click_confirm(office)
        link2 = office.text("#invite-link")
        with Browser(tmp_path / "pc2") as pc2:
            pc2.driver.set_script_timeout(30)
            pc2.open(link2)
            click(pc2, "#enroll-submit")
            fingerprint2 = pc2.text("#fingerprint")
            assert fingerprint2 != fingerprint
            click(office, "#invited button:not(#copy-link)")
            wait_until(pending, timeout=10, what="li-ming's re-enrollment pending")
            assert row(office, "li-ming").find_element(By.CSS_SELECTOR, ".fingerprint").text == fingerprint2
            row(office, "li-ming").find_element(By.CSS_SELECTOR, "button.approve").click()
            click_confirm(office)
            wait_until(lambda: pc2.driver.find_elements(By.CSS_SELECTOR, "#who-name"), timeout=20,
                       what="the new PC signed in")
            assert pc2.text("#who-name") == "李明"
            assert page_errors(pc2) == [], page_errors(pc2)
        reg = json.load(open(console.suite.registry_path, encoding="utf-8"))
        keys = next(p for p in reg["principals"] if p["iss"] == "li-ming")["keys"]
        assert len(keys) == 2 and keys[0]["not_after"] <= datetime.datetime.now(
            datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), keys
        # the old PC's key is ended: what it signs now is refused, and it is told in Chinese
        old = wait_until(lambda: (lambda r: r if r.get("code") == "key_not_valid" else None)(page_run(person, """
            await session.sessionLoad();
            return await session.ask("intake", "health", {});""")), timeout=10, what="the old key refused")
        assert re.search(r"[\u4e00-\u9fff]", old["chinese"]), old

        # a wrong code: refused, in Chinese, with the code named
        person.open(console.base + "/#/enroll?iss=li-ming&code=AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG")
        person.driver.refresh()
        click(person, "#enroll-submit")
        refusal = person.text("#enroll-form .refusal")
        assert "forbidden" in refusal and re.search(r"[\u4e00-\u9fff]", refusal), refusal
        assert not re.search(r"invitation|wrong|expired", refusal), refusal

        # the office revokes 李明
        office.driver.refresh()
        row(office, "li-ming").find_element(By.CSS_SELECTOR, "button.revoke").click()
        office.wait_for("#reason-form textarea").send_keys("调离岗位")
        click(office, "#reason-submit")
        assert "调离岗位" in click_confirm(office)
        wait_until(lambda: "已撤销" in row(office, "li-ming").text, what="revoked in the list")
        reg = json.load(open(console.suite.registry_path, encoding="utf-8"))
        assert next(p for p in reg["principals"] if p["iss"] == "li-ming").get("revoked") is True
        office.screenshot("people")
        assert page_errors(office) == [] and page_errors(person) == [], (page_errors(office), page_errors(person))
        assert office.requests_outside(console.base) == [] and person.requests_outside(console.base) == []


def test_a_browser_without_ed25519_is_told_so_when_enrolling(console, tmp_path):
    with Browser(tmp_path) as b:
        b.open(console.base + "/#/enroll?iss=wang-wu&code=AAAA")
        b.wait_for("#enroll-form")
        # as a browser without the algorithm answers
        b.driver.execute_script("""SubtleCrypto.prototype.generateKey =
            () => Promise.reject(new DOMException("no", "NotSupportedError"));""")
        click(b, "#enroll-submit")
        text = b.text("#enroll-form .refusal")
        assert "此浏览器不支持 Ed25519" in text, text
        assert not [u for u in b.requests() if u.endswith("/v1/registry")], b.requests()
