"""Enrollment end to end, in browsers (docs/console.md, "People"): for every role the office may
invite, the office invites in its browser, the person enrolls in a fresh browser from the link,
the office approves, and the person lands on their role's first page and a query of theirs is
answered there; an invitation printed by `xcctl principal invite` works in the browser; a person
revoked, or whose key a re-enrollment replaced, is told plainly in the old browser that the
registration is no longer valid; a unit's key crafting the office's registry messages is refused
and the registry file stays byte-identical; the enrollment page at a phone's width. Real
chromium, real gateway, real xc-registry writing the registry file the services reload."""
import datetime
import json
import os
import re
import subprocess
import time

import pytest
from selenium.webdriver.common.by import By

from browserlib import Browser, wait_until
from conftest import key_file
from notify_servers import DEFAULT_RULES
from consolelib import (DIRECTORY, OFFICE_ISS, click, click_confirm, console_suite, page_errors, page_run, seed,
                        set_value, signed_in)

UNTIL = str(datetime.date.today() + datetime.timedelta(days=365))
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    # a department is a recipient of notify's (handovers reach it): its 通知 is its page
    directory = {**DIRECTORY, "organization-dept-desk": {
        "name": "市委组织部", "roles": ["department"], "principal": "chu-bumen", "channels": {"stream": True}}}
    with console_suite(tmp_path_factory.mktemp("console-enroll"),
                       policies={"notify": {"directory": directory, "rules": DEFAULT_RULES}}) as c:
        c.ids = seed(c)
        # a district (D-1) with a unit under it and a round on that unit, for the district office
        for u in ({"id": "D-1", "name": "青山区", "level": "district"},
                  {"id": "U-D", "name": "青山区城关街道", "level": "town", "parent": "D-1"}):
            c.ok("intake", "unit.register", u)
        yield c


@pytest.fixture(scope="module")
def office(console, tmp_path_factory):
    """The office's browser, signed in, on 人员."""
    with Browser(tmp_path_factory.mktemp("office")) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, console, OFFICE_ISS, "office", display="王主任")
        yield b


def invite(office, console, iss, display, role, units=(), district=None, again=False):
    """The office invites from 人員 (or re-enrolls iss): the link shown once."""
    office.open(console.base + "/#/people")
    office.driver.refresh()
    if again:
        office.wait_for(f"li.pending-item[data-iss='{iss}'], tr[data-key='{iss}']")
        office.wait_for(f"tr[data-key='{iss}'] button.reenroll")
        office.driver.find_element(By.CSS_SELECTOR, f"tr[data-key='{iss}'] button.reenroll").click()
    else:
        click(office, "#invite-open")
    form = office.wait_for("#invite-form")
    if not again:
        form.find_element(By.NAME, "display").send_keys(display)
        form.find_element(By.NAME, "iss").send_keys(iss)
        set_value(office, "#invite-form select[name=role]", role)
        for u in units:
            click(office, f"#invite-form input[name='unit-{u}']")
        if district:
            wait_until(lambda: office.driver.find_elements(
                By.CSS_SELECTOR, f"#invite-form select[name=district] option[value='{district}']"),
                what="the district offered")
            set_value(office, "#invite-form select[name=district]", district)
    set_value(office, "#invite-form input[name=until]", UNTIL)
    click(office, "#invite-submit")
    words = click_confirm(office)
    assert display in words and iss in words, words
    link = office.text("#invite-link")
    click(office, "#invited button:not(#copy-link)")
    return link


def enroll(person, link):
    """The person opens the link in their browser and enrolls: the fingerprint shown."""
    person.driver.set_script_timeout(30)
    person.open(link)
    click(person, "#enroll-submit")
    person.wait_for("#enroll-wait")
    return person.text("#fingerprint")


def approve(office, console, iss, fingerprint):
    """The office finds the pending enrollment at the top of 人员, compares, approves."""
    office.open(console.base + "/#/people")

    css = f"li.pending-item[data-iss='{iss}']"

    def shown():
        # the page reads the list once: a fresh look until the enrollment is there
        office.driver.refresh()
        try:
            return office.wait_for(css, timeout=3)
        except Exception:
            return None
    item = wait_until(shown, timeout=15, what=f"{iss} pending at the top of 人员")
    assert item.find_element(By.CSS_SELECTOR, ".fingerprint").text == fingerprint
    item.find_element(By.CSS_SELECTOR, "button.approve").click()
    assert fingerprint in click_confirm(office)
    return time.monotonic()


def entered(person, console, display):
    wait_until(lambda: person.driver.find_elements(By.CSS_SELECTOR, "#who-name"), timeout=20,
               what=f"{display} signed in after approval")
    assert person.text("#who-name") == display


def registry_entry(console, iss):
    with open(console.suite.registry_path, encoding="utf-8") as f:
        return next(p for p in json.load(f)["principals"] if p["iss"] == iss)


# role -> (iss, display, invite options, first page, what the page shows once its query answered).
# Not `public`: the console has no page for the public channel (码上巡 is a system of its own).
ROLES = [
    ("office", "qian-office", "钱办事员", {}, "dashboard", "#dash-lights [data-figure='rectify.lights.red']"),
    ("district", "sun-district", "孙区巡察办", {"district": "D-1"}, "dashboard",
     "#dash-lights [data-figure='rectify.lights.red']"),
    ("team", "zhou-team", "周组长", {}, "team-rounds", ".list tr[data-key='R-T']"),
    ("unit", "wu-unit", "吴联络员", {"units": ["U-A"]}, "unit-items", ".list tbody tr"),
    ("discipline", "zheng-jiwei", "郑纪检", {"units": ["U-A"]}, "leads", ".list tbody tr"),
    ("petition", "feng-xinfang", "冯信访", {}, "report", "datalist#unit-choices option[value='U-A']"),
    ("audit", "chen-shenji", "陈审计", {}, "report", "datalist#unit-choices option[value='U-A']"),
    ("department", "chu-bumen", "褚部门", {}, "inbox", "#page .empty, #page li.notice"),
]


def role_data(console, role, iss):
    """What the role's first page will show: data made for this person through the Python clients."""
    c = console
    if role == "district":
        c.ok("intake", "round.open", {"id": "R-D", "name": "青山区第一轮", "kind": "regular", "team": "team-1", "owner": "D-1",
                                      "targets": [{"unit": "U-D", "coverage": "main"}],
                                      "planned_start": str(datetime.date.today()),
                                      "planned_end": str(datetime.date.today() + datetime.timedelta(days=30)),
                                      "date": str(datetime.date.today())})
    if role == "team":
        c.ok("intake", "round.open", {"id": "R-T", "name": "周组长的轮次", "kind": "regular", "team": iss,
                                      "targets": [{"unit": "U-C", "coverage": "main"}],
                                      "planned_start": str(datetime.date.today()),
                                      "planned_end": str(datetime.date.today() + datetime.timedelta(days=30)),
                                      "date": str(datetime.date.today())})
    if role == "discipline":
        p = c.ok("intake", "problem.report", {
            "round": "R-2", "unit": "U-B", "category": "public_concerns", "summary": "采购程序疑似违规",
            "detail": "详见底稿", "severity": "serious", "source": "inspection_team"}, signer=c.suite.team)["problem"]
        c.ok("intake", "problem.classify", {"problem": p, "dispositions": [
            {"kind": "lead", "body": iss, "note": "请依规处置"}]})


@pytest.mark.parametrize("role,iss,display,scope,first,shows", ROLES, ids=[r[0] for r in ROLES])
def test_every_role_enrolls_and_works(console, office, tmp_path, role, iss, display, scope, first, shows):
    role_data(console, role, iss)
    link = invite(office, console, iss, display, role, units=scope.get("units", ()),
                  district=scope.get("district"))
    assert link.startswith(console.base + "/#/enroll?") and f"iss={iss}" in link, link
    with Browser(tmp_path) as person:
        fingerprint = enroll(person, link)
        approved = approve(office, console, iss, fingerprint)
        entered(person, console, display)
        # "a registered principal within seconds": the approval's confirmation to the person in
        seconds = time.monotonic() - approved
        print(f"{role}: in {seconds:.1f} s after the approval")
        assert seconds < 10, seconds
        assert person.text("#who-role") == {"office": "巡察办", "district": "县（区）巡察机构", "team": "巡察组",
                                            "unit": "被巡察单位", "discipline": "纪检监察机关", "petition": "信访部门",
                                            "audit": "审计部门", "department": "市直部门", "public": "群众"}[role]
        # lands on the role's first page, and the page's query was answered with the person's key
        wait_until(lambda: person.driver.find_elements(By.CSS_SELECTOR, f"#page[data-path='{first}']"),
                   timeout=10, what=f"{role} on #/{first}")
        try:
            wait_until(lambda: person.driver.find_elements(By.CSS_SELECTOR, shows), timeout=15,
                       what=f"{role}'s page showing {shows}")
        except AssertionError:
            raise AssertionError(person.text("#page")) from None
        assert not person.driver.find_elements(By.CSS_SELECTOR, "#page .refusal"), person.text("#page")
        entry = registry_entry(console, iss)
        assert entry["role"] == role, entry
        if "units" in scope:
            assert entry["scope"] == {"units": scope["units"]}, entry
        if "district" in scope:
            assert entry["scope"] == {"district": scope["district"]}, entry
        assert page_errors(person) == [], page_errors(person)
        assert person.requests_outside(console.base) == []


def xcctl(console, *args, http=None):
    """xcctl as the operator on the host runs it; http: services.gateway.http in its config (the
    suite's says port 0: the gateway chose its port)."""
    cfg = dict(console.suite.config)
    if http:
        cfg["services"] = {**cfg["services"], "gateway": {**cfg["services"]["gateway"], "http": http}}
    path = os.path.join(console.suite.folder, "config-xcctl.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False)
    key = key_file(console.suite.folder, console.suite.office)
    return subprocess.run(["build/bin/xcctl", "--config", path, "--key", key, *args],
                          capture_output=True, text=True, timeout=30)


def printed_link(run):
    assert run.returncode == 0, run.stderr
    return next(line.split(" ", 1)[1] for line in run.stdout.splitlines() if line.startswith("link "))


def test_xcctl_invitation_works_in_the_browser(console, office, tmp_path):
    invite_ = ("principal", "invite", "--display", "蒋团", "--role", "petition", "--until", UNTIL)
    # no link a person could not open: a wildcard address (a container's) or the port 0 of a test
    for http in ("0.0.0.0:7180", None):
        link = printed_link(xcctl(console, *invite_, "--iss", "jiang-tuan", http=http))
        assert "http" not in link and "--console" in link and "#/enroll?iss=jiang-tuan&code=" in link, link
    # the gateway's own address when it is one, or the console's as --console gives it
    address = console.base.split("//", 1)[1]
    link = printed_link(xcctl(console, *invite_, "--iss", "jiang-tuan", http=address))
    assert link.startswith(console.base + "/#/enroll?iss=jiang-tuan&code="), link
    link = printed_link(xcctl(console, *invite_, "--iss", "jiang-tuan", "--console", console.base + "/"))
    assert link.startswith(console.base + "/#/enroll?iss=jiang-tuan&code="), link
    with Browser(tmp_path) as person:
        fingerprint = enroll(person, link)
        # the office sees it in its browser as well as in xcctl; xcctl approves it here
        run = xcctl(console, "principal", "pending")
        assert "jiang-tuan" in run.stdout and fingerprint in run.stdout, run.stdout
        run = xcctl(console, "principal", "approve", "--iss", "jiang-tuan")
        assert run.returncode == 0, run.stderr
        entered(person, console, "蒋团")
        person.wait_for("#page[data-path='report']")
        assert page_errors(person) == [], page_errors(person)


def no_longer_registered(person, what, iss):
    """The person's next action in the old browser: the page says the registration ended."""
    def told():
        # the next action: the page's queries again (the services reload the file within a second)
        person.driver.refresh()
        try:
            return person.wait_for("#invalid", timeout=10)
        except Exception:
            return None
    try:
        box = wait_until(told, timeout=30, what="told the registration ended")
    except AssertionError:
        raise AssertionError(f"{what}: {person.text('body')}") from None
    text = box.text
    assert "您的登记已失效" in text and "巡察办" in text, text
    # Chinese but the values: the account, the key's kid and the code
    values = re.sub(re.escape(iss) + r"(#[A-Za-z0-9_-]+)?|key_not_valid|unknown_kid", "", text)
    assert not re.search(r"[A-Za-z]{3,}", values), text
    assert box.get_attribute("data-code") in ("key_not_valid", "unknown_kid"), box.get_attribute("data-code")
    # nothing of the person's pages is offered any more
    assert not person.driver.find_elements(By.CSS_SELECTOR, "#nav"), person.text("body")
    return text


def test_revoked_or_replaced_is_told_plainly(console, office, tmp_path):
    for d in ("pc1", "pc2"):
        (tmp_path / d).mkdir()
    link = invite(office, console, "han-unit", "韩联络员", "unit", units=["U-B"])
    with Browser(tmp_path / "pc1") as pc1, Browser(tmp_path / "pc2") as pc2:
        approve(office, console, "han-unit", enroll(pc1, link))
        entered(pc1, console, "韩联络员")
        pc1.wait_for("#page[data-path='unit-items'] .list tbody tr")

        # 重新登记 from a second PC: the first PC's key ends; its next action is refused, plainly
        link2 = invite(office, console, "han-unit", "韩联络员", "unit", again=True)
        approve(office, console, "han-unit", enroll(pc2, link2))
        entered(pc2, console, "韩联络员")
        pc2.wait_for("#page[data-path='unit-items'] .list tbody tr")
        no_longer_registered(pc1, "the replaced key", "han-unit")
        pc1.screenshot("enroll-replaced")
        # an act() from the old browser too: the refusal is the same plain page
        got = page_run(pc1, """await session.sessionLoad();
            return await session.ask("intake", "unit.list", {});""")
        assert got.get("code") in ("key_not_valid", "unknown_kid") and HAN.search(got["chinese"]), got

        # 撤销 in the console: the second PC's next action is refused, plainly
        office.open(console.base + "/#/people")
        office.driver.refresh()
        office.wait_for("tr[data-key='han-unit'] button.revoke").click()
        office.wait_for("#reason-form textarea").send_keys("调离岗位")
        click(office, "#reason-submit")
        assert "调离岗位" in click_confirm(office)
        wait_until(lambda: registry_entry(console, "han-unit").get("revoked") is True, what="revoked in the file")
        text = no_longer_registered(pc2, "the revoked key", "han-unit")
        pc2.screenshot("enroll-revoked")
        assert "key_not_valid" in text, text

        # what the page says to do: a new invitation, enrolled again from this very page
        link3 = invite(office, console, "han-unit", "韩联络员", "unit", again=True)
        code = link3.split("code=", 1)[1]
        # typed by hand from a phone call: capitals in the account, the code in lower case and spaces
        typed = code.lower().replace("-", " ")
        pc2.wait_for("#invalid #start-iss").send_keys("Han-Unit ")
        pc2.driver.find_element(By.CSS_SELECTOR, "#invalid #start-code").send_keys(typed)
        pc2.driver.find_element(By.CSS_SELECTOR, "#invalid #enroll-start button[type=submit]").click()
        assert pc2.wait_for("#enroll-form input[name=code]").get_attribute("value") == typed
        assert pc2.wait_for("#enroll-form input[name=iss]").get_attribute("value") == "han-unit"
        click(pc2, "#enroll-submit")
        pc2.wait_for("#enroll-wait")
        approve(office, console, "han-unit", pc2.text("#fingerprint"))
        entered(pc2, console, "韩联络员")
        pc2.wait_for("#page[data-path='unit-items'] .list tbody tr")
        assert not pc2.driver.find_elements(By.CSS_SELECTOR, "#invalid")
        assert "revoked" not in registry_entry(console, "han-unit")
        assert page_errors(pc1) == [] and page_errors(pc2) == [], (page_errors(pc1), page_errors(pc2))


def test_a_rejected_enrollment_is_told_with_the_reason(console, office, tmp_path):
    link = invite(office, console, "xu-reject", "许某", "audit")
    with Browser(tmp_path) as person:
        fingerprint = enroll(person, link)
        office.open(console.base + "/#/people")
        office.driver.refresh()
        item = office.wait_for("li.pending-item[data-iss='xu-reject']")
        assert item.find_element(By.CSS_SELECTOR, ".fingerprint").text == fingerprint
        item.find_element(By.CSS_SELECTOR, "button.reject").click()
        office.wait_for("#reason-form textarea").send_keys("指纹与电话核对不一致")
        click(office, "#reason-submit")
        assert "指纹与电话核对不一致" in click_confirm(office)
        told = person.wait_for("#enroll-rejected", timeout=15).text
        assert "登记申请被驳回" in told and "指纹与电话核对不一致" in told, told
        assert not person.driver.find_elements(By.CSS_SELECTOR, "#who-name")
        assert not any(p["iss"] == "xu-reject" for p in json.load(open(console.suite.registry_path, encoding="utf-8"))["principals"])
        assert page_errors(person) == [], page_errors(person)


def test_a_unit_cannot_use_the_office_registry_messages(console, tmp_path):
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, console, "crafty-unit", "unit", scope={"units": ["U-A"]}, display="某联络员")
        with open(console.suite.registry_path, "rb") as f:
            before = f.read()
        msgs = [
            ("principal.invite", {"iss": "crafty-friend", "display": "某人", "role": "office", "until": "2099-01-01T00:00:00Z",
                                  "code_sha256": "0" * 64,
                                  "expires": (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}),
            ("principal.approve", {"iss": "crafty-unit"}),
            ("principal.revoke", {"iss": OFFICE_ISS, "reason": "试图撤销巡察办"}),
        ]
        for type_, data in msgs:
            # through session.js, as the page's act() sends once confirmed
            got = page_run(b, """await session.sessionLoad();
                return await session.send("registry", args.type, args.data);""", type=type_, data=data)
            assert got.get("code") == "forbidden", (type_, got)
            assert HAN.search(got["chinese"]) and not re.search(r"[A-Za-z]{3,}", got["chinese"]), got
        with open(console.suite.registry_path, "rb") as f:
            assert f.read() == before
        # and the registry has no such invitation
        names = [p["iss"] for p in console.ok("registry", "principal.list", {"limit": 500})["principals"]]
        assert "crafty-friend" not in names, names


def test_enrollment_at_a_phone_width(console, office, tmp_path):
    link = invite(office, console, "yang-phone", "杨手机", "team")
    with Browser(tmp_path, phone=True) as phone:
        phone.driver.set_script_timeout(30)
        phone.open(link)
        phone.wait_for("#enroll-form")
        fits = "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        assert phone.driver.execute_script(fits), phone.driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        phone.screenshot("phone-enroll")
        click(phone, "#enroll-submit")
        phone.wait_for("#enroll-wait")
        assert phone.driver.execute_script(fits)
        phone.screenshot("phone-enroll-waiting")
        approve(office, console, "yang-phone", phone.text("#fingerprint"))
        entered(phone, console, "杨手机")
        phone.wait_for("#page[data-path='team-rounds']")
        assert phone.driver.execute_script(fits)
        phone.screenshot("phone-enrolled")
        assert page_errors(phone) == [], page_errors(phone)


def test_a_key_removed_from_the_registry_is_told_plainly(console, tmp_path):
    """unknown_kid on the person's own key (an operator removed it with xcctl on the host): the
    same plain page, after the waits that let a freshly approved key be loaded."""
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, console, "removed-team", "team", display="某组员")
        b.wait_for("#page[data-path='team-rounds']")
        with open(console.suite.registry_path, encoding="utf-8") as f:
            doc = json.load(f)
        doc["principals"] = [p for p in doc["principals"] if p["iss"] != "removed-team"]
        tmp = console.suite.registry_path + ".new"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
        os.replace(tmp, console.suite.registry_path)
        text = no_longer_registered(b, "the removed key", "removed-team")
        assert "unknown_kid" in text, text
        assert b.wait_for("#invalid").get_attribute("data-code") == "unknown_kid"
        assert page_errors(b) == [], page_errors(b)
