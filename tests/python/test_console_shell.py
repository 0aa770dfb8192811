"""The console's shell (docs/console.md, "The shell") in headless chromium against a real suite
and gateway: sign-in with a key made in the browser, the nav by role, a page not of the role
refused, act()'s confirmation dialog (cancelling sends nothing), a refused command shown in
Chinese, a resend keeping the id, and a phone's width."""
import json

import pytest
from selenium.webdriver.common.by import By

from browserlib import Browser, wait_until
from consolelib import (OFFICE_ISS, click, click_cancel, click_confirm, console_suite, ok, page_errors, page_ok,
                        page_run, seed, signed_in)


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
