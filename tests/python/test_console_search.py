"""Issue 25 in the console and xcctl (docs/console.md, "Search", "Repeat problems", "Ranking";
docs/xcctl.md, "Searching", "Repeat problems", "Ranking"): against one real suite and gateway
shared by the file (module scope), with headless chromium at a desktop's and a phone's width.

- the search box in the shell opens #/search, three sections (problems, items, referrals), each
  with the service's own count, the matched words in <mark>, links to the records, paging;
- a unit's person searching sees only its own unit's items (a word in both units' items: count
  1), and no problem section (its role may not ask intake's search);
- xcctl search groups by service, marks 【…】, counts as the services say;
- the problem page's 疑似屡查屡犯 panel: intake's candidates, confirmed in the browser, then
  xcctl repeats shows the decision;
- the ranking page (排名) and its CSV made in the browser, byte for byte the CSV of
  `xcctl ranking --csv`, and a lookback round's 回头看 view."""
import json
import os
import subprocess
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browserlib import Browser, wait_until
from conftest import REPO, key_file
from consolelib import (OFFICE_ISS, click, click_confirm, console_suite, ok, page_errors, page_ok, seed,
                        set_value, signed_in)
from hostilelib import local_day

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
PARTS = ["leadership", "responsibility", "task_completion", "satisfaction"]
CANTEEN = 21                         # problems with 食堂 in R-2: more than one page of 20


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    started = time.monotonic()
    folder = tmp_path_factory.mktemp("console-search")
    with console_suite(folder) as c:
        s = c.suite
        c.ids = seed(c)
        # items for both fed problems (rectify reads intake's events): the unit test needs them
        wait_until(lambda: len(c.ok("rectify", "rectify.list", {"round": "R-1"})["items"]) == 2, timeout=20,
                   what="rectify's two items of R-1")
        c.canteen = [ok(c.call("intake", s.team, "problem.report", {
            "round": "R-2", "unit": "U-B", "category": "public_concerns", "summary": f"食堂采购第{n}批未经招标",
            "detail": "食堂大宗物资采购未按规定公开招标", "severity": "general", "source": "inspection_team"}))["problem"]
            for n in range(1, CANTEEN + 1)]
        # scores for the ranking (R-1's two units) and a lookback round of R-1 (回头看)
        for unit, parts in (("U-A", (80, 90, 85, 70)), ("U-B", (95, 95, 92, 90))):
            ok(c.call("rectify", s.office, "rectify.evaluate", {
                "round": "R-1", "unit": unit, "parts": dict(zip(PARTS, parts)),
                "principal_leader": {"name": "王某", "title": "党委书记"}}))
        ok(c.call("intake", s.office, "round.open", {
            "id": "LB-1", "name": "十一届第一轮回头看", "kind": "lookback", "prior_round": "R-1", "team": "team-1",
            "targets": [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "main"}],
            "planned_start": str(local_day(-2)), "planned_end": str(local_day(20)), "date": str(local_day(-3))}))
        wait_until(lambda: c.call("rectify", s.office, "rectify.lookback", {"round": "LB-1"})["type"] == "result",
                   timeout=20, what="rectify knowing LB-1")
        # in the lookback round, U-A's notice board again: intake suggests R-1's problem as its repeat
        ok(c.call("intake", s.office, "round.advance", {"round": "LB-1", "stage": "stationed", "date": str(local_day(-2))}))
        c.again = ok(c.call("intake", s.team, "problem.report", {
            "round": "LB-1", "unit": "U-A", "category": "public_concerns", "summary": "村务公开栏多年未更新",
            "detail": "回头看发现村务公开栏仍未按时更新", "severity": "serious", "source": "inspection_team"}))["problem"]
        c.keys = {"office": key_file(folder, s.office), "unit_a": key_file(folder, s.unit_a)}
        c.folder = str(folder)
        yield c
    print(f"\ntest_console_search: {time.monotonic() - started:.1f} s")


def xcctl(c, *args, key="office"):
    return subprocess.run([XCCTL, "--config", c.suite.config_path, "--key", c.keys[key], *args],
                          capture_output=True, text=True, timeout=30)


def done(r):
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def marked(segments):
    return [s for i, s in enumerate(segments) if i % 2]


def section(b, service):
    """The section of a service once its answer is drawn: {count, ids, marks, links}."""
    css = f"#search-{service}"
    wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, f"{css} .count, {css} .refusal"),
               what=f"{service}'s answer")
    return b.driver.execute_script("""
      const s = document.querySelector(arguments[0]);
      const count = s.querySelector('.count');
      return {count: count ? Number(count.dataset.count) : null,
              refusal: s.querySelector('.refusal')?.dataset.code ?? null,
              ids: Array.from(s.querySelectorAll('.result'), (r) => Number(r.dataset.id)),
              marks: Array.from(s.querySelectorAll('.result mark'), (m) => m.textContent),
              links: Array.from(s.querySelectorAll('.result-title a'), (a) => a.getAttribute('href')),
              next: !!s.querySelector('.pager button:last-child:not([disabled])')};""", css)


def search_in_box(b, c, words):
    """Types words into the shell's box and submits with Enter, as a person does."""
    box = b.wait_for("#search-q")
    box.clear()
    box.send_keys(words, Keys.ENTER)
    wait_until(lambda: "#/search?q=" in b.driver.current_url, what="the search page")


@pytest.fixture(scope="module")
def office_browser(world):
    with Browser(world.folder) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, world, OFFICE_ISS, "office", display="王主任")
        yield b
        assert page_errors(b) == [], page_errors(b)
        assert b.requests_outside(world.base) == [], b.requests()


def test_the_office_searches_from_the_shell(world, office_browser):
    c, b = world, office_browser
    search_in_box(b, c, "村务")
    got = section(b, "intake")
    # the service's own answer to the same query, asked by the Python client
    want = c.ok("intake", "problem.search", {"q": "村务", "limit": 20})
    # R-1's notice board and the lookback round's again: both, the newer first on an equal score
    assert got["count"] == want["count"] == 2, (got, want)
    assert got["ids"] == [r["id"] for r in want["results"]]
    assert set(got["ids"]) == {c.ids["fed"][0], c.again}
    assert got["marks"] and set(got["marks"]) == {"村务"}, got
    assert got["links"] == [f"#/problem?id={i}" for i in got["ids"]]
    items = section(b, "rectify")
    want_items = c.ok("rectify", "rectify.search", {"q": "村务", "limit": 20})
    assert items["count"] == want_items["count"] and items["ids"] == [r["id"] for r in want_items["results"]]
    assert items["count"] >= 1 and all(l.startswith("#/item?id=") for l in items["links"])
    section(b, "referral")
    b.screenshot("search-office")
    # the link opens the record
    b.driver.find_element(By.CSS_SELECTOR, "#search-intake .result-title a").click()
    b.wait_for("#problem h3")


def test_paging_and_filters_through_the_route(world, office_browser):
    c, b = world, office_browser
    search_in_box(b, c, "食堂")
    first = section(b, "intake")
    assert first["count"] == CANTEEN and len(first["ids"]) == 20 and first["next"], first
    b.driver.find_element(By.CSS_SELECTOR, "#search-intake .pager button:last-child").click()
    wait_until(lambda: "o_intake=20" in b.driver.current_url, what="the second page's address")
    wait_until(lambda: len(section(b, "intake")["ids"]) == CANTEEN - 20, what="the second page")
    second = section(b, "intake")
    assert not set(second["ids"]) & set(first["ids"])
    assert set(second["ids"]) | set(first["ids"]) == set(c.canteen)
    # a filter from the page's form: the round R-1 has no canteen problem
    set_value(b, "#search-form input[name=round]", "R-1")
    b.driver.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    wait_until(lambda: "round=R-1" in b.driver.current_url, what="the filtered address")
    wait_until(lambda: section(b, "intake")["count"] == 0, what="no problem of R-1 with 食堂")
    assert b.driver.find_elements(By.CSS_SELECTOR, "#search-intake .empty")


def test_a_unit_sees_only_its_own_items_on_a_phone(world):
    """底稿 is in the detail of both units' items: unit-a (scope U-A) gets one, its own."""
    c = world
    with Browser(c.folder, phone=True) as b:
        b.driver.set_script_timeout(30)
        signed_in(b, c, "unit-a", "unit", scope={"units": ["U-A"]}, display="青石镇联络员")
        search_in_box(b, c, "底稿")
        items = section(b, "rectify")
        office = c.ok("rectify", "rectify.search", {"q": "底稿", "limit": 20})
        assert office["count"] >= 2, office      # the word is in both units' items
        mine = [r for r in office["results"] if r["unit"] == "U-A"]
        assert items["count"] == len(mine) == 1, (items, office)
        assert items["ids"] == [mine[0]["id"]]
        assert items["links"] == [f"#/unit-item?item={mine[0]['id']}"]
        # a word only in U-B's item: nothing, not even a count
        b.open(c.base + "/#/search?q=" + "资金")
        b.driver.refresh()
        assert section(b, "rectify")["count"] == 0
        # intake's search is not for a unit: no section asks it
        assert not b.driver.find_elements(By.CSS_SELECTOR, "#search-intake")
        width = b.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a phone"
        b.screenshot("search-unit-phone")
        assert page_errors(b) == [], page_errors(b)


def test_xcctl_search_groups_marks_and_counts(world):
    c = world
    out = done(xcctl(c, "search", "村务"))
    want = c.ok("intake", "problem.search", {"q": "村务"})
    assert f"【问题】共 {want['count']} 条" in out, out
    assert "【村务】" in out, out
    assert "【整改事项】" in out and "【移交事项】" in out, out
    j = json.loads(done(xcctl(c, "--json", "search", "--in", "intake", "--limit", "5", "食堂")))
    assert set(j) == {"intake"} and j["intake"]["count"] == CANTEEN and len(j["intake"]["results"]) == 5
    # the unit: intake refuses its role, said as such; its items as rectify scopes them
    r = xcctl(c, "search", "底稿", key="unit_a")
    out = done(r)
    assert "【问题】无权查询" in out, out
    unit_b_item = [x for x in c.ok("rectify", "rectify.search", {"q": "底稿"})["results"] if x["unit"] == "U-B"][0]
    assert f"  {unit_b_item['id']}  " not in out, out
    assert "【整改事项】共 1 条" in out, out
    bad = xcctl(c, "search", "--in", "intake,nowhere", "公车")
    assert bad.returncode == 2 and "nowhere" in bad.stderr
    # a state is one service's: only it is asked
    j = json.loads(done(xcctl(c, "--json", "search", "--state", "opened", "底稿")))
    assert set(j) == {"rectify"} and j["rectify"]["count"] == c.ok(
        "rectify", "rectify.search", {"q": "底稿", "state": "opened"})["count"]
    assert xcctl(c, "search", "--state", "nonsense", "底稿").returncode == 2
    # a query a service refuses: its reason, exit 1
    hostile = xcctl(c, "search", "--in", "intake", "！！")
    assert hostile.returncode == 1 and "schema" in hostile.stderr, hostile.stderr


def test_a_refused_search_is_said_in_chinese(world, office_browser):
    c, b = world, office_browser
    b.open(c.base + "/#/search?q=" + "！！")
    got = section(b, "intake")
    assert got["refusal"] == "schema" and got["count"] is None, got
    text = b.text("#search-intake .refusal")
    assert "不含汉字、字母或数字" in text, text


# --- repeat problems ---------------------------------------------------------------------------

def test_the_repeats_panel_confirmed_in_the_browser(world, office_browser):
    c, b = world, office_browser
    of = c.ids["fed"][0]
    want = c.ok("intake", "problem.repeats", {"problem": c.again})["candidates"]
    cand = [x for x in want if x["of"] == of]
    assert cand and cand[0]["state"] == "suggested", want
    item = [i for i in c.ok("rectify", "rectify.list", {"round": "R-1"})["items"] if i["problem"] == of][0]
    b.open(c.base + f"/#/problem?id={c.again}")
    li = f"#repeats .repeat-candidate[data-of='{of}']"
    b.wait_for(li)
    assert b.text(f"{li} [data-similarity]") == f"相似度 {cand[0]['similarity']}"
    assert "待认定" in b.text(li)
    # its outcome: R-1's item of that problem, with its state in words
    link = b.wait_for(f"{li} .outcome-items a[href='#/item?id={item['id']}']")
    assert "待制定方案" in b.text(f"{li} .outcome-items") or item["state"] != "opened"
    assert link.is_displayed()
    b.screenshot("repeats-panel")
    click(b, f"{li} .repeat-confirm")
    click_confirm(b, expect=f"#{of}")
    wait_until(lambda: b.driver.find_elements("css selector", f"{li}[data-state=confirmed]"), what="confirmed")
    got = [x for x in c.ok("intake", "problem.repeats", {"problem": c.again})["candidates"] if x["of"] == of][0]
    assert got["state"] == "confirmed" and got["decided_by"] == OFFICE_ISS, got
    # xcctl reads the decision back, lists it in the queue, and a second decision is refused
    out = done(xcctl(c, "repeats", str(c.again)))
    assert "已认定" in out and str(of) in out, out
    queue = done(xcctl(c, "repeats", "--state", "confirmed"))
    assert "疑似屡查屡犯：1 条" in queue and "村务公开栏多年未更新" in queue, queue
    again = xcctl(c, "repeat", "dismiss", str(c.again), str(of))
    assert again.returncode == 1 and "conflict" in again.stderr, (again.stdout, again.stderr)


# --- ranking and lookback ------------------------------------------------------------------------

CAPTURE = """
const done = arguments[arguments.length - 1];
window.xcBlobs = [];
const made = URL.createObjectURL.bind(URL);
URL.createObjectURL = (blob) => { window.xcBlobs.push(blob); return made(blob); };
document.querySelector('#ranking-csv').click();
(async () => {
  for (let i = 0; i < 100 && !window.xcBlobs.length; i++) await new Promise((r) => setTimeout(r, 50));
  const blob = window.xcBlobs[0];
  return blob ? Array.from(new Uint8Array(await blob.arrayBuffer())) : null;
})().then(done, (e) => done(String(e)));
"""


def test_the_ranking_page_and_its_csv_are_xcctls(world, office_browser):
    c, b = world, office_browser
    want = c.ok("rectify", "rectify.ranking", {"round": "R-1"})
    assert [u["unit"] for u in want["units"]] == ["U-B", "U-A"], want     # 95+ before 80+
    b.open(c.base + "/#/ranking?round=R-1")
    b.wait_for("#ranking-table tbody tr")
    rows = b.driver.execute_script("""return Array.from(document.querySelectorAll('#ranking-table tbody tr'),
        (tr) => [tr.dataset.unit, tr.querySelector('.score').textContent,
                 !!tr.querySelector('.interview'), !!tr.querySelector('.special-check')])""")
    assert rows == [[u["unit"], u["evaluation"]["score"], u["interview"], u["special_check"]]
                    for u in want["units"]], rows
    # each part's value and points, as the service gives them
    part = b.driver.execute_script(
        "return document.querySelector('#ranking-table tbody tr td[data-part=task_completion]').textContent")
    p = want["units"][0]["evaluation"]["parts"]["task_completion"]
    assert part == f"{p['value']} 分，折合 {p['points']}", part
    # the CSV the button hands to the browser: byte for byte xcctl's
    got = bytes(b.driver.execute_async_script(CAPTURE))
    r = subprocess.run([XCCTL, "--config", c.suite.config_path, "--key", c.keys["office"], "ranking", "--round", "R-1",
                        "--csv"], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert got == r.stdout, (got[:300], r.stdout[:300])
    assert got.startswith(b"\xef\xbb\xbf\xe5\x90\x8d\xe6\xac\xa1,")      # the BOM, then 名次
    lines = got.decode("utf-8-sig").split("\r\n")
    assert len(lines) == 2 + len(want["units"]) and lines[-1] == ""
    assert "领导重视得分（权重15）" in lines[0]
    b.screenshot("ranking")
    # xcctl's table names the units in rank order
    out = done(xcctl(c, "ranking", "--round", "R-1"))
    assert out.index("市教育局") < out.index("青石镇"), out
    bad = xcctl(c, "ranking", "--year", "2026", "--round", "R-1")
    assert bad.returncode == 2 and "exactly one" in bad.stderr


def test_the_lookback_view_of_a_lookback_round(world, office_browser):
    c, b = world, office_browser
    want = c.ok("rectify", "rectify.lookback", {"round": "LB-1"})
    assert want["prior_round"] == "R-1" and want["units"], want
    b.open(c.base + "/#/round?id=LB-1")
    click(b, "#lookback-link")
    b.wait_for(".lookback-unit")
    got = b.driver.execute_script("""return Array.from(document.querySelectorAll('.lookback-unit'), (s) => [
        s.dataset.unit, Object.fromEntries(Array.from(s.querySelectorAll('[data-figure]'),
          (f) => [f.dataset.figure, Number(f.textContent)])),
        Array.from(s.querySelectorAll('tbody tr'), (tr) => Number(tr.dataset.item))])""")
    figures = ["items", "closed", "reopened", "repeated", "open", "overdue"]
    assert got == [[u["unit"], {f: u[f] for f in figures}, [r["item"] for r in u["rows"]]] for u in want["units"]]
    out = done(xcctl(c, "lookback", "LB-1"))
    for u in want["units"]:
        assert f"{u['unit_name']}（{u['unit']}）：事项 {u['items']}" in out, out
