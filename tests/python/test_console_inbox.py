"""通知 in the console (docs/console.md, "Notices"): a notice that a real overdue rectification
item produced (rectify's test clock moved to the day after its plan's due date, notify routing rectify.overdue to
the office's stream) appears in the office's inbox and in the header's unread count; 确认已阅
acknowledges it through notify.ack (notify then records it acknowledged) and the count goes down."""
import datetime

import pytest
from selenium.webdriver.common.by import By

from browserlib import Browser, wait_until
from consolelib import OFFICE_ISS, click, click_confirm, console_suite, page_errors, seed, signed_in


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with console_suite(tmp_path_factory.mktemp("console-inbox")) as c:
        c.ids = seed(c)
        yield c


def stream(c, state=None):
    """The office desk's stream deliveries as notify lists them (the Python client's view)."""
    data = {"recipient": "office-desk", "channel": "stream", "limit": 500}
    if state:
        data["state"] = state
    return c.ok("notify", "notify.list", data)["items"]


def test_a_real_overdue_reaches_the_offices_inbox(console, tmp_path):
    c = console
    # rectify's items of round R-1 exist (fed back five days ago); move rectify's clock a year on
    items = wait_until(lambda: c.ok("rectify", "rectify.list", {"limit": 500})["items"], timeout=15,
                       what="rectify's items")
    # the day after the first deadline (the plan's), 01:00 local: overdue, not yet escalated
    first = min(d["due"] for it in items
                for d in c.ok("rectify", "rectify.get", {"item": it["id"]})["deadlines"])
    day = datetime.date.fromisoformat(first) + datetime.timedelta(days=1)
    at = datetime.datetime.combine(day, datetime.time(1, 0), datetime.timezone(datetime.timedelta(hours=8)))
    c.ok("rectify", "clock.set", {"clock": at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
    offered = wait_until(lambda: [d for d in stream(c) if d["event"]["type"] == "rectify.overdue"], timeout=20,
                         what="a rectify.overdue notice for the office desk")
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, c, OFFICE_ISS, "office", display="王主任")
        unread = len(stream(c, "sent"))
        assert unread >= len(offered)
        badge = b.wait_for("#unread")
        wait_until(lambda: badge.get_attribute("data-unread") == str(unread), what=f"{unread} unread in the header")
        click(b, "#nav a[data-path=inbox]")
        b.wait_for(".notice")
        delivery = offered[0]["id"]
        notice = b.wait_for(f".notice[data-delivery='{delivery}']")
        text = notice.text
        assert "未读" in text and "确认已阅" in text, text
        # the notice's words are notify's own (Chinese), not ids or codes
        assert "rectify.overdue" not in text
        b.screenshot("inbox")
        notice.find_element(By.CSS_SELECTOR, "button.ack").click()
        words = click_confirm(b)
        assert "确认已阅通知" in words, words
        wait_until(lambda: "已确认" in b.text(f".notice[data-delivery='{delivery}']"), what="acknowledged in the page")
        state = {d["id"]: d["state"] for d in stream(c)}
        assert state[delivery] == "acknowledged", state
        wait_until(lambda: b.wait_for("#unread").get_attribute("data-unread") == str(unread - 1),
                   what="the header's count down by one")
        assert page_errors(b) == [], page_errors(b)
        assert b.requests_outside(c.base) == []
