"""The console's tests share this (docs/console.md, "Tests in a browser"): a running suite with a
real gateway serving web/, a person signed in in a real browser with a key made there, the
confirmation dialog, and data for the pages.

    with console_suite(tmp_path) as c:              # intake, referral, rectify, notify, gateway
        ids = seed(c)                               # units, a round with targets, problems
        with Browser(tmp_path) as b:
            signed_in(b, c, "web-office", "office", display="王主任")
            b.wait_for("#nav a[data-path=problems]")
            ... b.find("#some-button").click(); click_confirm(b) ...

A browser key is registered the test way, as test_console_wire does: the registry file is
rewritten (a new file renamed over it) and every service reloads it within a second."""
import contextlib
import datetime
import json
import os
import time

from selenium.webdriver.common.by import By

import xcwire
from browserlib import wait_until
from conftest import NOT_AFTER, NOT_BEFORE, REPO, Suite, running_suite, write_json
from gatewaylib import Department, Gateway, stopped_at_end
from hostilelib import local_day
from notify_servers import DEFAULT_RULES

WEB = os.path.join(REPO, "web")
SERVICES = ["registry", "intake", "referral", "rectify", "notify"]
# The suite's own principals, for the Python clients that seed and check (attr -> iss, role, scope).
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
    "discipline": ("discipline-commission", "discipline", {"units": ["*"]}),
    "petition": ("petition-bureau", "petition", {"units": ["*"]}),
    "orgdept": ("organization-dept", "department", {}),
}
# Who the browsers sign in as in the tests; notify's directory knows them, so their inbox works.
OFFICE_ISS = "web-office"
DIRECTORY = {
    "office-desk": {"name": "市委巡察办", "roles": ["office"], "principal": OFFICE_ISS,
                    "channels": {"stream": True}},
    "discipline-commission": {"name": "市纪委监委", "roles": ["receiving_body"],
                              "principal": "discipline-commission", "channels": {"stream": True}},
}


def ok(reply):
    """A reply's result (ack: its result; result: its data); else AssertionError."""
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


class Console:
    """A running suite and gateway: suite, gateway, base (the console's URL), clients (Python,
    one per service), call(service, signer, type, data) -> reply body."""

    def __init__(self, suite, gateway):
        self.suite, self.gateway, self.base = suite, gateway, gateway.base
        self.clients = {name: suite.client(name) for name in suite.deployments}

    def call(self, service, signer, type_, data):
        return self.clients[service].call(signer, type_, data)

    def ok(self, service, type_, data, signer=None):
        return ok(self.call(service, signer or self.suite.office, type_, data))


@contextlib.contextmanager
def console_suite(folder, services=SERVICES, principals=None, policies=None, public=None):
    """A running suite (test mode) and xc-gateway serving web/: a Console. Every process must exit
    0 at the end. policies are added to the suite's (notify gets DIRECTORY and DEFAULT_RULES).
    public: the gateway's services.gateway.public (码上巡) without its key, for which the principal
    `public` and its key file public.jwk are made."""
    pol = {"notify": {"directory": DIRECTORY, "rules": DEFAULT_RULES}, **(policies or {})}
    principals = principals or PRINCIPALS
    if public is not None:
        principals = {**principals, "public": ("public", "public", {})}
    s = Suite(str(folder), list(services), principals, pol)
    for _ in running_suite(s):
        extra = {"web": WEB}
        if public is not None:
            write_json(os.path.join(str(folder), "public.jwk"), s.public.private_jwk(), 0o600)
            extra["public"] = {"key": "public.jwk", **public}
        g = Gateway(s, extra=extra)
        with stopped_at_end(g):
            yield Console(s, g)


def registry_add(suite, iss, role, kid, x, scope=None):
    """Registers a principal the way an operator does: a new registry file put in place with a
    rename (a service never reads half a file), picked up by each service's reload. An iss
    already there gets the key added."""
    with open(suite.registry_path, encoding="utf-8") as f:
        doc = json.load(f)
    key = {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": x,
           "not_before": NOT_BEFORE, "not_after": NOT_AFTER}
    for p in doc["principals"]:
        if p["iss"] == iss:
            p["keys"].append(key)
            break
    else:
        doc["principals"].append({"iss": iss, "role": role, "scope": scope if scope is not None else {},
                                  "keys": [key]})
    tmp = suite.registry_path + ".new"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    os.replace(tmp, suite.registry_path)


# Runs `body` (an async function's body, with session, keystore, wire and args in scope) in the
# page: {"ok": its value} or {"error", "name", "code", "chinese", "status"}.
RUN = """
const done = arguments[arguments.length - 1];
const args = arguments[0];
(async () => {
  const wire = await import("/js/wire.js");
  const keystore = await import("/js/keystore.js");
  const session = await import("/js/session.js");
  %s
})().then((ok) => done({ok: ok === undefined ? null : ok}),
           (e) => done({error: String(e && e.message || e), name: e && e.name, code: e && e.code,
                        chinese: e && e.chinese, status: e && e.status}));
"""


def page_run(browser, body, **args):
    """Runs body in the page (see RUN): its result dict."""
    return browser.driver.execute_async_script(RUN % body, args)


def page_ok(browser, body, **args):
    got = page_run(browser, body, **args)
    assert "error" not in got, got
    return got["ok"]


def signed_in(browser, console, iss, role, scope=None, display="测试人员"):
    """Makes a key in this browser (keystore.js, non-extractable), registers it for iss with role
    and scope, saves the session record and opens #/ signed in. Waits until the services accept
    the key (a health query signed in the page answers). The record's x."""
    if not browser.driver.current_url.startswith(console.base):
        browser.open(console.base + "/")
    kid = f"{iss}#web-{int(time.time() * 1000)}"
    x = page_ok(browser, """
      const k = await keystore.keyCreate();
      await keystore.keySave({name: "current", ...k, kid: args.kid, iss: args.iss, role: args.role,
                              scope: args.scope, display: args.display});
      sessionStorage.clear();
      return k.x;
    """, kid=kid, iss=iss, role=role, scope=scope or {}, display=display)
    registry_add(console.suite, iss, role, kid, x, scope=scope)
    for service in console.suite.deployments:
        last = {}

        def accepted():
            last.clear()
            last.update(page_run(browser, """
                await session.sessionLoad();
                return await session.ask(args.service, "health", {});""", service=service))
            return "error" not in last
        try:
            wait_until(accepted, timeout=10, what=f"{service} accepting {kid}")
        except AssertionError as e:
            raise AssertionError(f"{e}; last answer {last}") from None
    browser.open(console.base + "/#/")
    browser.driver.refresh()
    browser.wait_for("#who-name")
    return x


def page_errors(browser):
    """The browser's SEVERE console entries but the HTTP statuses of /v1/ answers: a refusal is
    an HTTP 4xx that chromium logs as a failed load, and the page shows it itself."""
    return [e for e in browser.console_errors()
            if not (e.get("source") == "network" and "/v1/" in e["message"])]


def click(browser, css):
    """Clicks the element css selects, once it is there and enabled."""
    el = browser.wait_for(css)
    wait_until(lambda: el.is_enabled() and el.is_displayed(), what=f"{css} clickable")
    el.click()
    return el


def set_value(browser, css, value):
    """Sets a field's value as a person would (select, date) and tells the page (input, change)."""
    el = browser.wait_for(css)
    browser.driver.execute_script("""
      const el = arguments[0];
      el.value = arguments[1];
      el.dispatchEvent(new Event("input", {bubbles: true}));
      el.dispatchEvent(new Event("change", {bubbles: true}));""", el, value)
    return el


def click_confirm(browser, expect=None):
    """Confirms act()'s dialog: its words (checked against expect when given)."""
    browser.wait_for("dialog#confirm[open]")
    words = browser.text("#confirm-words")
    if expect is not None:
        assert expect in words, words
    browser.driver.find_element(By.CSS_SELECTOR, "#confirm-ok").click()
    wait_until(lambda: not browser.driver.find_elements(By.CSS_SELECTOR, "dialog#confirm[open]"),
               what="the dialog closed")
    return words


def click_cancel(browser):
    browser.wait_for("dialog#confirm[open]")
    words = browser.text("#confirm-words")
    browser.driver.find_element(By.CSS_SELECTOR, "#confirm-cancel").click()
    return words


def seed(console):
    """Data for the pages, through the Python clients as the office and a team would make it:
    units U-A (青石镇), U-B (市教育局) and U-C (云溪村, under U-A); round R-1 on U-A and U-B, fed
    back five days ago, its problems classified for feedback (rectify opens items); one lead
    referred to discipline-commission; round R-2 planned, with a recorded problem. Returns
    {"units", "rounds", "fed", "lead", "recorded"} (problem ids)."""
    s, o = console.suite, console.suite.office
    intake = console.clients["intake"]
    for u in ({"id": "U-A", "name": "青石镇", "level": "town"},
              {"id": "U-B", "name": "市教育局", "level": "city_department"},
              {"id": "U-C", "name": "云溪村", "level": "village", "parent": "U-A"}):
        ok(intake.call(o, "unit.register", u))
    ok(intake.call(o, "round.open", {
        "id": "R-1", "name": "十一届第一轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "main"}],
        "planned_start": str(local_day(-50)), "planned_end": str(local_day(-25)),
        "date": str(local_day(-60))}))
    ok(intake.call(o, "round.advance", {"round": "R-1", "stage": "stationed", "date": str(local_day(-50))}))

    def report(rid, unit, summary):
        return ok(intake.call(s.team, "problem.report", {
            "round": rid, "unit": unit, "category": "public_concerns", "summary": summary,
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]

    fed = []
    for unit, summary in (("U-A", "村务公开栏长期未更新"), ("U-B", "专项资金拨付迟缓")):
        p = report("R-1", unit, summary)
        ok(intake.call(o, "problem.classify", {
            "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        fed.append(p)
    lead = report("R-1", "U-A", "工程项目疑似违规发包")
    ok(intake.call(o, "problem.classify", {"problem": lead, "dispositions": [
        {"kind": "lead", "body": "discipline-commission", "note": "请依规处置"}]}))
    for stage, day in (("withdrawn", -25), ("reported", -20), ("feedback_delivered", -5)):
        ok(intake.call(o, "round.advance", {"round": "R-1", "stage": stage, "date": str(local_day(day))}))
    ok(intake.call(o, "round.open", {
        "id": "R-2", "name": "十一届第二轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-B", "coverage": "main"}],
        "planned_start": str(local_day(-3)), "planned_end": str(local_day(30)), "date": str(local_day(-4))}))
    ok(intake.call(o, "round.advance", {"round": "R-2", "stage": "stationed", "date": str(local_day(-3))}))
    recorded = report("R-2", "U-B", "干部选拔程序不规范")
    return {"units": ["U-A", "U-B", "U-C"], "rounds": ["R-1", "R-2"], "fed": fed, "lead": lead,
            "recorded": recorded}
