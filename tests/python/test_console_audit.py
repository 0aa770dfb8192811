"""A walk of the whole console (docs/console.md, "The audit walk"): for each role, signed in over
consolelib.seed's data, every page of its nav and the detail pages the seed reaches, at 1366x768
and at a phone's width, each checked for:

1. Chinese only: no ASCII letter in the visible text or in a title, placeholder, aria-label or
   alt attribute, except inside a value: an element `<code>` or of class `id` (and what is in
   it). Ids, accounts, codes, hashes are shown that way; digits and dates need no mark.
2. a label on every input, select and textarea (label[for], a wrapping label, aria-label or
   aria-labelledby), an accessible name on every button and link;
3. no console error (consolelib.page_errors);
4. no sideways scrolling at the phone's width;
5. a visible focus: a sample of the elements Tab reaches, each focused from the keyboard's
   modality, has an outline or box-shadow that its unfocused style has not.

A failure lists every fault of every page at once (page, width, what)."""
import glob
import os
import re
import time

import pytest
from selenium.webdriver.common.keys import Keys

from browserlib import PHONE, Browser, wait_until
from consolelib import (DIRECTORY, click_cancel, console_suite, ok, page_errors, page_ok, seed, set_value,
                        signed_in)
from conftest import REPO
from hostilelib import local_day
from publiclib import public_report

# The checks, run in the page: a list of faults (strings). Values (ids, codes, hashes) are
# allowed only inside <code> or .id; everything else a person reads must have no ASCII letter.
CHECK = r"""
const faults = [];
const LETTER = /[A-Za-z]/;
const VALUE = "code, .id";
const shown = (el) => el.checkVisibility ? el.checkVisibility({visibilityProperty: true}) : !!el.offsetParent;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!el || el.closest("script, style, template, " + VALUE)) continue;
  if (el.closest("option")) continue;               // options: below, by their select
  if (!LETTER.test(n.data) || !shown(el)) continue;
  faults.push(`English text in <${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}>: ${JSON.stringify(n.data.trim().slice(0, 80))}`);
}
for (const s of document.querySelectorAll("select"))
  if (shown(s)) for (const o of s.options)
    if (LETTER.test(o.text) && !o.matches(VALUE))
      faults.push(`English option in select[name=${s.name}]: ${JSON.stringify(o.text.slice(0, 80))}`);
for (const el of document.querySelectorAll("[title], [placeholder], [aria-label], [alt]")) {
  if (!shown(el) && el.tagName !== "DIALOG") continue;
  for (const a of ["title", "placeholder", "aria-label", "alt"]) {
    const v = el.getAttribute(a);
    if (v && LETTER.test(v) && !el.closest(VALUE))
      faults.push(`English ${a} on <${el.tagName.toLowerCase()}>: ${JSON.stringify(v.slice(0, 80))}`);
  }
}
if (document.title && LETTER.test(document.title)) faults.push(`English document title: ${document.title}`);
// 2. labels and names
for (const f of document.querySelectorAll("input, select, textarea")) {
  if (f.type === "hidden") continue;
  const labelled = f.getAttribute("aria-label") || f.getAttribute("aria-labelledby") || f.closest("label")
    || (f.id && document.querySelector(`label[for="${CSS.escape(f.id)}"]`));
  if (!labelled) faults.push(`no label: <${f.tagName.toLowerCase()} name=${f.name}>`);
}
for (const b of document.querySelectorAll("button, a[href], [role=button]")) {
  if (!shown(b)) continue;
  const name = (b.innerText || "").trim() || b.getAttribute("aria-label") || b.getAttribute("title")
    || (b.getAttribute("aria-labelledby") && document.getElementById(b.getAttribute("aria-labelledby"))?.innerText.trim());
  if (!name) faults.push(`no accessible name: <${b.tagName.toLowerCase()} class=${b.className}>`);
}
return faults;
"""

# Focusable elements the page shows, in document order, marked data-audit-focus=i.
FOCUSABLE = r"""
const all = Array.from(document.querySelectorAll(
  "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"))
  .filter((el) => el.checkVisibility() && !el.closest("dialog:not([open])"));
all.forEach((el, i) => el.dataset.auditFocus = i);
return all.length;
"""

# The focus style of element i unfocused and focused: a fault or null.
FOCUS = r"""
const el = document.querySelector(`[data-audit-focus="${arguments[0]}"]`);
if (!el) return null;
const look = () => { const s = getComputedStyle(el);
  return {outline: s.outlineStyle === "none" || s.outlineWidth === "0px" ? "none" : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
          shadow: s.boxShadow}; };
if (document.activeElement === el) el.blur();
const before = look();
el.focus();
const after = look();
const what = `<${el.tagName.toLowerCase()}${el.name ? " name=" + el.name : ""}> ${JSON.stringify((el.innerText || el.getAttribute("aria-label") || "").trim().slice(0, 20))}`;
if (document.activeElement !== el) return `not focusable: ${what}`;

if (after.outline === before.outline && after.shadow === before.shadow)
  return `no visible focus: ${what} (${after.outline}, ${after.shadow})`;
if (after.outline === "none" && after.shadow === "none") return `no visible focus: ${what}`;
return null;
"""

SAMPLE = 8


def settled(b):
    """The page drawn and done loading: nothing busy, its text the same over 0.2 s."""
    last = [None]

    def check():
        text = b.driver.execute_script(
            "return document.querySelector('.busy, [data-ed25519=checking]') ? null : document.body.innerText")
        same = text is not None and text == last[0]
        last[0] = text
        time.sleep(0.2)
        return same
    wait_until(check, timeout=15, what="the page settled")


def focus_faults(b):
    # a headless window may lose the system's focus (then nothing matches :focus): the page is
    # made to behave as the focused one, as the person's window is
    b.driver.execute_cdp_cmd("Emulation.setFocusEmulationEnabled", {"enabled": True})
    n = b.driver.execute_script(FOCUSABLE)
    if not n:
        return []
    # the keyboard's modality: a Tab first, so that focus() shows as a keyboard's focus would
    b.driver.find_element("css selector", "body").send_keys(Keys.TAB)
    picks = sorted({round(i * (n - 1) / (SAMPLE - 1)) for i in range(SAMPLE)}) if n > SAMPLE else range(n)
    return [f for f in (b.driver.execute_script(FOCUS, i) for i in picks) if f]


def invite_dialog(b):
    """人员's 邀请 form opened, filled and sent as far as the confirmation dialog, whose words
    name the account (a value)."""
    b.wait_for("#invite-open").click()
    set_value(b, "#invite-form input[name=until]", "2030-12-31")
    b.wait_for("#invite-form input[name=display]").send_keys("李明")
    b.wait_for("#invite-form input[name=iss]").send_keys("li-ming")
    b.wait_for("#invite-submit").click()
    b.wait_for("dialog#confirm[open]")


def wrong_code(b):
    """The enrollment sent with a code the registry never made: its refusal shown."""
    b.wait_for("#enroll-form button[type=submit]").click()
    b.wait_for(".refusal")


# What a page shows behind a button, opened before the checks (its address: a function of the
# browser); a dialog left open is cancelled after them.
def verify_run(b):
    """核验 run to its end, so that its results (heads, counts, reasons, refusals) are walked."""
    b.wait_for("#verify-start").click()
    b.wait_for("#verify-summary", timeout=60)


OPEN = {"#/people": invite_dialog, "#/enroll?iss=li-ming&code=7Q2M-ZX4K-0T9D-HH3V-PW8R-C1": wrong_code,
        "#/verify": verify_run}


def audit_page(b, base, hash_, phone, seen_errors, ready="#page"):
    """The faults of one page: a list of strings naming the page and width."""
    where = f"{hash_} {'phone' if phone else 'desktop'}"
    b.open(base + "/" + hash_)
    b.wait_for(ready)
    settled(b)
    if hash_ in OPEN:
        OPEN[hash_](b)
        settled(b)
    faults = list(b.driver.execute_script(CHECK))
    if b.driver.find_elements("css selector", "dialog#confirm[open]"):
        click_cancel(b)
        wait_until(lambda: not b.driver.find_elements("css selector", "dialog#confirm[open]"),
                   what="the dialog closed")
    if phone:
        w = b.driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if w[0] > w[1]:
            faults.append(f"scrolls sideways at the phone's width: {w}")
    faults += focus_faults(b)
    errors = page_errors(b)
    faults += [f"console error: {e['message'][:200]}" for e in errors[seen_errors[0]:]]
    seen_errors[0] = len(errors)
    return [f"{where}: {f}" for f in faults]


def phone_on(b, on):
    if on:
        b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True})
    else:
        b.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-audit")
    with console_suite(folder, public={"base_url": "https://xc.example.cn", "pow_bits": 8}) as c:
        s = c.suite
        c.ids = seed(c)
        # a report from the public channel (码上巡) with a team's question, for its sections
        _, got = public_report(c.base, "R-2", "U-B", "学校食堂账目长期不公开。")
        c.public_problem = got["problem"]
        ok(c.call("intake", s.team, "problem.ask", {"problem": c.public_problem, "text": "食堂在哪个校区？"}))
        # a district with a town and a round of its own, for the district office's pages
        ok(c.call("intake", s.office, "unit.register", {"id": "D-1", "name": "云溪区", "level": "district"}))
        ok(c.call("intake", s.office, "unit.register", {"id": "T-1", "name": "白石镇", "level": "town", "parent": "D-1"}))
        ok(c.call("intake", s.office, "round.open", {
            "id": "YX-1", "name": "云溪区第一轮", "kind": "regular", "team": "team-1", "owner": "D-1",
            "targets": [{"unit": "T-1", "coverage": "main"}],
            "planned_start": str(local_day(1)), "planned_end": str(local_day(30)), "date": str(local_day(0))}))
        items = c.ok("rectify", "rectify.list", {"unit": "U-A"})["items"]
        c.item = items[0]["id"]
        refs = c.ok("referral", "referral.list", {"kind": "lead"})["items"]
        c.referral = refs[0]["id"]
        # issue 25: a lookback round of R-1 (its 回头看 view) and a score for the ranking page
        ok(c.call("intake", s.office, "round.open", {
            "id": "LB-1", "name": "十一届第一轮回头看", "kind": "lookback", "prior_round": "R-1", "team": "team-1",
            "targets": [{"unit": "U-A", "coverage": "main"}],
            "planned_start": str(local_day(-2)), "planned_end": str(local_day(20)), "date": str(local_day(-3))}))
        wait_until(lambda: c.call("rectify", s.office, "rectify.lookback", {"round": "LB-1"})["type"] == "result",
                   timeout=20, what="rectify knowing LB-1")
        ok(c.call("rectify", s.office, "rectify.evaluate", {
            "round": "R-1", "unit": "U-A", "parts": {"leadership": 80, "responsibility": 90, "task_completion": 85,
                                                   "satisfaction": 70},
            "principal_leader": {"name": "王某", "title": "党委书记"}}))
        c.folder = str(folder)
        with Browser(folder) as b:
            b.driver.set_script_timeout(60)
            c.browser = b
            yield c


def role_pages(c, role):
    """The addresses to walk for a role: its nav (read from the page) and the detail pages."""
    fed = c.ids["fed"][0]
    detail = {
        "office": ["#/search?q=村务", "#/ranking?round=R-1", "#/lookback?round=LB-1", f"#/round?id=R-1", f"#/problem?id={fed}", f"#/problem?id={c.ids['recorded']}", f"#/item?id={c.item}",
                   f"#/referral?id={c.referral}", "#/unit?id=U-A", "#/dashboard?owner=D-1",
                   f"#/document?kind=rectify_notice&item={c.item}", "#/document?kind=three_lists&round=R-1",
                   "#/poster/R-1", f"#/problem?id={c.public_problem}"],
        "district": ["#/search?q=底稿", "#/round?id=YX-1", "#/unit?id=T-1", "#/dashboard?category=four_styles",
                     "#/document?kind=three_lists&round=YX-1", "#/poster/YX-1"],
        "team": ["#/search?q=底稿", "#/team-round?round=R-1", f"#/team-problem?id={c.public_problem}"],
        "unit": ["#/search?q=底稿", f"#/unit-item?item={c.item}"],
        "discipline": ["#/search?q=底稿", f"#/lead?referral={c.referral}"],
        "petition": ["#/search?q=底稿"],
        "audit": ["#/search?q=底稿"],
    }[role]
    navs = c.browser.driver.execute_script(
        "return Array.from(document.querySelectorAll('#nav a'), (a) => a.getAttribute('href'))")
    assert navs, f"{role} has no nav"
    return navs + detail


WHO = {
    "office": ("web-office", None, "王主任"),
    "district": ("web-district", {"district": "D-1"}, "云溪区委巡察办"),
    "team": ("team-1", None, "第一巡察组"),
    "unit": ("unit-a", {"units": ["U-A"]}, "青石镇联络员"),
    "discipline": ("discipline-commission", {"units": ["*"]}, "市纪委监委"),
    "petition": ("petition-web", {"units": ["*"]}, "市信访局"),
    "audit": ("audit-web", {"units": ["*"]}, "市审计局"),
}


@pytest.mark.parametrize("role", list(WHO))
def test_every_page_of_the_role(world, role):
    c, b = world, world.browser
    iss, scope, display = WHO[role]
    phone_on(b, False)
    signed_in(b, c, iss, role, scope=scope, display=display)
    b.wait_for("#nav a")
    if role in ("petition", "audit"):
        # a report of its own, so that 已报问题 has a row (signed in the page, no dialog)
        page_ok(b, """await session.sessionLoad();
            return await session.send("intake", "problem.report", args.data);""", data={
            "unit": "U-B", "category": "public_concerns", "summary": "群众反映食堂账目不公开",
            "detail": "来信反映", "severity": "general", "source": role})
    pages = role_pages(c, role)
    seen = [len(page_errors(b))]
    faults = []
    for phone in (False, True):
        phone_on(b, phone)
        for hash_ in pages:
            faults += audit_page(b, c.base, hash_, phone, seen)
    phone_on(b, False)
    if iss not in {d["principal"] for d in DIRECTORY.values()}:
        # notify's directory does not list this person: 通知 says so plainly, no refusal
        b.open(c.base + "/#/inbox")
        assert "不在通知名录中" in b.text("#inbox-unlisted")
        assert not b.driver.find_elements("css selector", "#page .refusal")
    assert b.requests_outside(c.base) == []
    assert not faults, f"{len(faults)} faults on {len(pages)} pages:\n" + "\n".join(faults)


def test_the_pages_before_signing_in(world, tmp_path):
    """A browser with no key: the sign-in screen (尚未登记) and the enrollment page with a wrong
    code refused, at both widths."""
    c = world
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(30)
        seen = [0]
        faults = []
        for phone in (False, True):
            phone_on(b, phone)
            faults += audit_page(b, c.base, "#/", phone, seen, ready="#not-enrolled")
            faults += audit_page(b, c.base, "#/enroll?iss=li-ming&code=7Q2M-ZX4K-0T9D-HH3V-PW8R-C1", phone,
                                 seen, ready="#enroll-form")
        assert b.requests_outside(c.base) == []
    assert not faults, f"{len(faults)} faults:\n" + "\n".join(faults)


# The words the pages write themselves, read from the sources: what the walk cannot reach (the
# dialogs' words of every command, forms behind buttons, states the seed has not) is held to the
# same rule. reasons_table.js has its own test (test_reasons: no letter outside placed values).
CJK = re.compile(r"[\u4e00-\u9fff]")
HOLE = "\x00"                                        # where a ${...} was
# Literals whose letters are names shown through valuesMarked (product and standard names).
NAMES_SHOWN_AS_VALUES = {("web/js/wire.js", "ED25519_MISSING")}


def js_literals(src):
    """(kind, text, start) of each string literal of a JS source: kind "q" quoted, "t" a template,
    "h" an html`` template; each ${...} replaced by HOLE (its own literals listed too)."""
    out, n = [], len(src)

    def quoted(i):
        q, j = src[i], i + 1
        while j < n and src[j] != q and src[j] != "\n":
            j += 2 if src[j] == "\\" else 1
        out.append(("q", src[i + 1:j], i))
        return j + 1

    def template(i):
        kind = "h" if src[max(0, i - 4):i] == "html" else "t"
        buf, j = [], i + 1
        while j < n and src[j] != "`":
            if src[j] == "\\":
                buf.append(src[j:j + 2])
                j += 2
            elif src.startswith("${", j):
                depth, j = 1, j + 2
                while j < n and depth:
                    c = src[j]
                    if c == "`":
                        j = template(j)
                        continue
                    if c in "\"'":
                        j = quoted(j)
                        continue
                    depth += {"{": 1, "}": -1}.get(c, 0)
                    j += 1
                buf.append(HOLE)
            else:
                buf.append(src[j])
                j += 1
        out.append((kind, "".join(buf), i))
        return j + 1

    i = 0
    while i < n:
        if src.startswith("//", i):
            i = src.find("\n", i) % (n + 1) or n
        elif src.startswith("/*", i):
            i = src.find("*/", i) + 2
        elif src[i] == "`":
            i = template(i)
        elif src[i] in "\"'":
            i = quoted(i)
        elif src[i] == "/" and re.search(r"[=(,:;!&|?{}\[]\s*$", src[max(0, i - 20):i] or "("):
            j = i + 1                                  # a regular expression literal
            while j < n and src[j] not in "/\n":
                if src[j] == "[":
                    while src[j] != "]":
                        j += 2 if src[j] == "\\" else 1
                j += 2 if src[j] == "\\" else 1
            i = j + 1
        else:
            i += 1
    return out


def words_read(kind, text):
    """The parts of a literal a person reads: all of a plain string; of an html`` template its
    text between tags and its title, placeholder, aria-label and alt; values (<code>, Id) out."""
    text = re.sub(r"<code[^>]*>.*?</code>", "", text, flags=re.S)
    text = re.sub(r"<\x00>.*?<//>", "", text, flags=re.S)
    if kind != "h":
        return [text]
    return (re.findall(r">([^<>]*)<", ">" + text + "<")
            + re.findall(r"(?:title|placeholder|aria-label|alt)=\"([^\"]*)\"", text))


def test_the_pages_own_words_hold_no_english():
    faults = []
    files = glob.glob(os.path.join(REPO, "web", "**", "*.js"), recursive=True)
    assert len(files) > 20, files
    for path in sorted(files):
        rel = os.path.relpath(path, REPO)
        if "/vendor/" in rel or rel.endswith("reasons_table.js"):
            continue
        src = open(path, encoding="utf-8").read()
        for kind, text, at in js_literals(src):
            before = src[max(0, at - 100):at]
            if any(rel == f and f"{name} =" in before for f, name in NAMES_SHOWN_AS_VALUES):
                continue
            for part in words_read(kind, text):
                if CJK.search(part) and re.search(r"[A-Za-z]", part.replace(HOLE, "")):
                    faults.append(f"{rel}:{src.count(chr(10), 0, at) + 1}: {part.strip()[:100]!r}")
    assert not faults, f"{len(faults)} Chinese texts with Latin letters (mark values with Id):\n" + "\n".join(faults)
