"""Formal documents (公文) in the console (docs/console.md, "Formal documents (公文)") in headless
chromium against a real suite and gateway: for each kind the office composes the document from
the signed records (from the round's and the item's pages), issues it (document.issue through
act()) and prints it to PDF (the DevTools Page.printToPDF, the print media as window.print()
uses); pdftotext finds the title, the number, the recipient, the records' facts and the source
refs in it, pdfinfo an A4 page size and the page count (a long 三张清单 spans pages, each with
its number); the issued numbers have no gap. Screenshots of two documents."""
import base64
import datetime
import os
import re
import subprocess

import pytest

from browserlib import Browser, wait_until
from consolelib import OFFICE_ISS, click, click_confirm, console_suite, ok, page_errors, seed, signed_in
from hostilelib import local_day

LONG = 36          # problems of round R-3: its 三张清单 spans pages
TOO_MANY = 201     # problems of round R-4: more than one document's 200 sources


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with console_suite(tmp_path_factory.mktemp("console-documents")) as c:
        s, o = c.suite, c.suite.office
        c.ids = seed(c)
        intake = c.clients["intake"]
        ok(intake.call(o, "round.open", {
            "id": "R-3", "name": "十一届第三轮", "kind": "regular", "team": "team-1",
            "targets": [{"unit": "U-B", "coverage": "main"}],
            "planned_start": str(local_day(-30)), "planned_end": str(local_day(-10)), "date": str(local_day(-31))}))
        ok(intake.call(o, "round.advance", {"round": "R-3", "stage": "stationed", "date": str(local_day(-30))}))
        for n in range(LONG):
            p = ok(intake.call(s.team, "problem.report", {
                "round": "R-3", "unit": "U-B", "category": "public_concerns",
                "summary": f"第{n + 1}项：学校食堂采购台账不完整，部分票据缺失", "detail": "详见巡察底稿",
                "severity": "general", "source": "inspection_team"}))["problem"]
            ok(intake.call(o, "problem.classify", {
                "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        for stage, day in (("withdrawn", -10), ("reported", -8), ("feedback_delivered", -2)):
            ok(intake.call(o, "round.advance", {"round": "R-3", "stage": stage, "date": str(local_day(day))}))
        wait_until(lambda: len(c.ok("rectify", "rectify.list", {"round": "R-3", "limit": 100})["items"]) == LONG,
                   timeout=20, what="R-3's items in rectify")
        # round R-4: more items than one document may name as sources (200)
        ok(intake.call(o, "round.open", {
            "id": "R-4", "name": "十一届第四轮", "kind": "regular", "team": "team-1",
            "targets": [{"unit": "U-C", "coverage": "main"}],
            "planned_start": str(local_day(-30)), "planned_end": str(local_day(-10)), "date": str(local_day(-31))}))
        ok(intake.call(o, "round.advance", {"round": "R-4", "stage": "stationed", "date": str(local_day(-30))}))
        for n in range(TOO_MANY):
            p = ok(intake.call(s.team, "problem.report", {
                "round": "R-4", "unit": "U-C", "category": "public_concerns", "summary": f"第{n + 1}项问题",
                "detail": "详见巡察底稿", "severity": "general", "source": "inspection_team"}))["problem"]
            ok(intake.call(o, "problem.classify", {
                "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        for stage, day in (("withdrawn", -10), ("reported", -8), ("feedback_delivered", -2)):
            ok(intake.call(o, "round.advance", {"round": "R-4", "stage": stage, "date": str(local_day(day))}))
        # a district (云溪区) with a town and a round of its own, fed back
        ok(intake.call(o, "unit.register", {"id": "D-1", "name": "云溪区", "level": "district"}))
        ok(intake.call(o, "unit.register", {"id": "T-1", "name": "白石镇", "level": "town", "parent": "D-1"}))
        ok(intake.call(o, "round.open", {
            "id": "YX-1", "name": "云溪区第一轮", "kind": "regular", "team": "team-1", "owner": "D-1",
            "targets": [{"unit": "T-1", "coverage": "main"}],
            "planned_start": str(local_day(-30)), "planned_end": str(local_day(-10)), "date": str(local_day(-31))}))
        ok(intake.call(o, "round.advance", {"round": "YX-1", "stage": "stationed", "date": str(local_day(-30))}))
        p = ok(intake.call(s.team, "problem.report", {
            "round": "YX-1", "unit": "T-1", "category": "public_concerns", "summary": "镇卫生院药品采购不规范",
            "detail": "详见巡察底稿", "severity": "general", "source": "inspection_team"}))["problem"]
        ok(intake.call(o, "problem.classify", {"problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        for stage, day in (("withdrawn", -10), ("reported", -8), ("feedback_delivered", -2)):
            ok(intake.call(o, "round.advance", {"round": "YX-1", "stage": stage, "date": str(local_day(day))}))
        wait_until(lambda: c.ok("rectify", "rectify.list", {"round": "YX-1"})["items"], timeout=20,
                   what="YX-1's item in rectify")
        items = c.ok("rectify", "rectify.list", {"round": "R-1", "unit": "U-A"})["items"]
        c.item = items[0]["id"]
        # U-A's plan: its measures go into the lists
        ok(c.call("rectify", s.unit_a, "rectify.plan", {"item": c.item, "measures": [{
            "text": "每月更新村务公开栏", "owner": "张村长", "lead_leader": "李书记",
            "deadline": c.ok("rectify", "rectify.get", {"item": c.item})["due"]}]}))
        # a special report of round R-1 to the organization department, signed off; one not yet
        c.report = ok(c.call("referral", o, "referral.create", {
            "kind": "report", "target": "organization-dept", "title": "关于十一届第一轮巡察整改情况的专题报告",
            "detail": "十一届第一轮巡察发现问题整改总体有序。\n部分单位整改方案制定滞后。", "round": "R-1"}))["referral"]
        ok(c.call("referral", o, "referral.sign", {"referral": c.report, "leader": {"name": "张三", "title": "市委书记"}}))
        c.unsigned = ok(c.call("referral", o, "referral.create", {
            "kind": "report", "target": "organization-dept", "title": "尚未签批的专题报告", "detail": "待签批。",
            "round": "R-1"}))["referral"]
        # rectify's clock past the first running deadline by 15 days: two escalation steps reached
        first = min(d["due"] for d in c.ok("rectify", "rectify.get", {"item": c.item})["deadlines"] if d["running"])
        day = datetime.date.fromisoformat(first) + datetime.timedelta(days=15)
        at = datetime.datetime.combine(day, datetime.time(1, 0), datetime.timezone(datetime.timedelta(hours=8)))
        c.ok("rectify", "clock.set", {"clock": at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
        wait_until(lambda: any(e["type"] == "rectify.escalated"
                               for e in c.ok("rectify", "rectify.get", {"item": c.item})["events"]),
                   timeout=20, what="the item escalated")
        yield c


@pytest.fixture(scope="module")
def browser(console, tmp_path_factory):
    with Browser(tmp_path_factory.mktemp("console-documents-shots")) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, console, OFFICE_ISS, "office", display="王主任")
        yield b
        assert page_errors(b) == [], page_errors(b)
        assert b.requests_outside(console.base) == [], b.requests()


def flat(text):
    return re.sub(r"\s+", "", text)


def written(day):
    y, m, d = (int(x) for x in day.split("-"))
    return f"{y}年{m}月{d}日"


def issue_and_print(b, folder, name, recipient=None, text=None):
    """Issues the document the page composed (fields filled first) and prints it to PDF: (the
    issue's result as the page shows it, the PDF's path)."""
    b.wait_for("#document")
    if recipient is not None:
        fill(b, "input[name=recipient]", recipient)
    if text is not None:
        fill(b, "textarea[name=text]", text)
    button = b.wait_for("#doc-issue")
    wait_until(lambda: button.is_enabled(), timeout=20, what="签发 enabled")
    click(b, "#doc-issue")
    words = click_confirm(b)
    assert "签发" in words, words
    wait_until(lambda: "〔" in b.text("#doc-number"), timeout=20, what="the number on the document")
    b.wait_for("#doc-print")
    pdf = b.driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    path = os.path.join(folder, f"{name}.pdf")
    with open(path, "wb") as f:
        f.write(base64.b64decode(pdf["data"]))
    return b.text("#doc-number"), path


def fill(b, css, value):
    el = b.wait_for(css)
    b.driver.execute_script("""
      const el = arguments[0];
      const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, arguments[1]);
      el.dispatchEvent(new Event('input', {bubbles: true}));""", el, value)


def pdf_text(path, page=None, mode="-raw"):
    """The PDF's text in the order it was drawn (-raw: a table's cells row by row), or its
    words with their boxes (mode "-bbox")."""
    args = ["pdftotext", mode, "-enc", "UTF-8"] + (["-f", str(page), "-l", str(page)] if page else []) + [path, "-"]
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout


MM = 72 / 25.4     # points in a millimetre
# a line of pdftotext -bbox-layout with its words: (xMin, yMin, xMax, yMax, the line's text)
LINE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">\s*'
                  r'((?:<word[^>]*>[^<]*</word>\s*)+)</line>')
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def page_layout(path, n):
    """Page n's foot number "— n —" (its words' left and right edges) and the left edge of the
    text above the foot, in points."""
    words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in WORD.findall(pdf_text(path, n, "-bbox"))]
    foot = [w for w in words if w[1] > 297 * MM - 35 * MM]
    body = [w for w in words if w[1] <= 297 * MM - 35 * MM]
    number = [i for i in range(1, len(foot) - 1)
              if foot[i][4] == str(n) and foot[i - 1][4] == "—" and foot[i + 1][4] == "—"]
    assert number, (path, n, foot)
    i = number[0]
    return foot[i - 1][0], foot[i + 1][2], min(w[0] for w in body)


def pdf_info(path):
    out = subprocess.run(["pdfinfo", path], capture_output=True, text=True, timeout=30, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def check_pdf(path, must, pages_at_least=1):
    """The PDF is A4 with its pages numbered "— n —", and its text holds each of must."""
    info = pdf_info(path)
    assert "A4" in info["Page size"] or info["Page size"].strip().startswith("595"), info["Page size"]
    pages = int(info["Pages"])
    assert pages >= pages_at_least, (path, pages)
    # the text as drawn, without the pages' numbers (a 版记 that runs onto the next page)
    text = re.sub(r"—\d+—", "", flat(pdf_text(path)))
    for m in must:
        assert flat(m) in text, (m, text[:3000])
    # only the document goes on paper: not the header, the nav, the page's title or the form
    for shell in ("巡察工作平台", "拟制公文", "主送机关", "返回公文登记", "退出"):
        assert shell not in text, (shell, text[:300])
    # GB/T 9704 7.5: odd pages' numbers on the right, even pages' on the left, one character
    # (4号, 14 pt) in from the 版心's edge; the 订口 (28 mm) is on the left of an odd page and on
    # the right of an even one, so the text starts 28 mm or 26 mm from the paper's left edge
    for n in range(1, pages + 1):
        left, right, text_left = page_layout(path, n)
        edge = 28 * MM if n % 2 else 26 * MM
        # (a table's text sits inside its cell's border and padding, under 2 mm)
        assert edge - 0.5 * MM <= text_left < edge + 1.9 * MM, (path, n, text_left / MM)
        if n % 2:
            assert abs(right - (edge + 156 * MM - 14)) < 3, (path, n, right / MM)
        else:
            assert abs(left - (edge + 14)) < 3, (path, n, left / MM)
    return pages, text


def check_sources(console, number, text):
    """The document's register entry names the events the PDF shows, each a real event."""
    docs = console.ok("rectify", "document.list", {"limit": 500})["items"]
    doc = next(d for d in docs if d["number"] == number)
    assert doc["sources"], doc
    for src in doc["sources"]:
        assert flat(f"{src['service']}#{src['seq']}{src['hash'][:16]}") in text, src
    assert doc["content_sha256"] in text
    return doc


def go(b, console, hash_):
    b.open(console.base + "/" + hash_)
    b.driver.refresh()


def test_rectify_notice_from_the_item_page(console, browser, tmp_path):
    c, b = console, browser
    it = c.ok("rectify", "rectify.get", {"item": c.item})
    go(b, c, f"#/item?id={c.item}")
    click(b, "a[data-kind=rectify_notice]")
    b.wait_for("#document")
    assert "中共青石镇委员会" in b.wait_for("input[name=recipient]").get_attribute("value")
    number, path = issue_and_print(b, str(tmp_path), "notice", recipient="中共青石镇委员会")
    b.driver.execute_script("document.getElementById('document').scrollIntoView()")
    b.screenshot("document-notice")
    assert re.fullmatch(r"市委巡改〔\d{4}〕\d+号", number), number
    issued = next(d for d in c.ok("rectify", "document.list", {"limit": 500})["items"] if d["number"] == number)
    pages, text = check_pdf(path, ["中共市委巡察工作领导小组办公室", number, "整改通知书", "中共青石镇委员会：",
                                   written(issued["issued_on"]),
                                   "青石镇", it["summary"], written(it["due"]), "十一届第一轮"])
    doc = check_sources(c, number, text)
    problem = c.ok("intake", "problem.get", {"problem": it["problem"]})
    assert {(s["service"], s["seq"]) for s in doc["sources"]} == \
        {("rectify", e["seq"]) for e in it["events"] if e["type"] == "rectify.opened"} | \
        {("intake", e["seq"]) for e in problem["events"] if e["type"] == "problem.classified"}
    # 正文: 28 characters to a line of the 版心's 156 mm, 22 lines to its 225 mm (GB/T 9704 5.2.2)
    lines = [(float(a), float(b), float(c_), "".join(re.findall(r">([^<]*)</word>", w)))
             for a, b, c_, _, w in LINE.findall(pdf_text(path, 1, "-bbox-layout"))]
    first = next(ln for ln in lines if ln[3].startswith("根据"))
    assert len(first[3]) == 26, first             # after the two characters of the indent
    assert abs(first[0] - (28 * MM + 2 * 156 * MM / 28)) < 1, first
    assert abs((first[2] - first[0]) / 26 - 156 * MM / 28) < 0.1, first
    body = [ln for ln in lines if first[1] - 1 <= ln[1] and ln[0] < 40 * MM][:4]
    pitches = [b2[1] - b1[1] for b1, b2 in zip(body, body[1:])]
    assert pitches and all(abs(p - 225 * MM / 22) < 0.6 for p in pitches), pitches
    # the issuer's name and the date end two characters in from the 版心's right edge (7.3.5.2)
    right = (28 + 156) * MM - 2 * 156 * MM / 28
    date = next(ln for ln in lines if ln[3] == written(issued["issued_on"]))
    signer = next(ln for ln in lines if ln[3] == "中共市委巡察工作领导小组办公室" and ln[1] > first[1])
    assert abs(date[2] - right) < 2 and abs(signer[2] - right) < 2, (date, signer, right)


def test_ladder_letters(console, browser, tmp_path):
    """The letter of each escalation step the item reached (督办函, 阶段指导函 …), each kind with its
    own code and numbers, its sources the item's rectify.opened and rectify.escalated."""
    c, b = console, browser
    it = c.ok("rectify", "rectify.get", {"item": c.item})
    reached = list(dict.fromkeys(s["name"] for d in it["deadlines"] for s in (d.get("ladder") or []) if s["reached"]))
    assert len(reached) >= 2, it["deadlines"]
    kinds = {k["kind"]: k for k in c.ok("rectify", "document.kinds", {})["kinds"]}
    types = {e["seq"]: e["type"] for e in it["events"]}
    for step in reached:
        go(b, c, f"#/item?id={c.item}")
        click(b, f"a[data-kind='step.{step}']")
        number, path = issue_and_print(b, str(tmp_path), f"ladder-{step}")
        kind = kinds[f"step.{step}"]
        assert re.fullmatch("市委" + kind["code"] + r"〔\d{4}〕1号", number), number
        _, text = check_pdf(path, [kind["name"], number, it["summary"], "青石镇"])
        doc = check_sources(c, number, text)
        assert {types[s["seq"]] for s in doc["sources"]} == {"rectify.opened", "rectify.escalated"}


def test_feedback_from_the_round_page(console, browser, tmp_path):
    c, b = console, browser
    go(b, c, "#/round?id=R-1")
    click(b, "a[data-unit=U-A]")
    b.wait_for("#document")
    number, path = issue_and_print(b, str(tmp_path), "feedback")
    items = c.ok("rectify", "rectify.list", {"round": "R-1", "unit": "U-A"})["items"]
    _, text = check_pdf(path, ["巡察反馈意见", number, "十一届第一轮", "青石镇"] + [i["summary"] for i in items])
    check_sources(c, number, text)


def test_feedback_from_the_unit_page(console, browser, tmp_path):
    """A unit's page offers its rounds' documents: the 三张清单 of R-1 for 青石镇 only."""
    c, b = console, browser
    go(b, c, "#/unit?id=U-A")
    click(b, "#unit-documents a[data-kind=three_lists][data-round=R-1]")
    b.wait_for("#doc-rows")
    number, path = issue_and_print(b, str(tmp_path), "unit-lists")
    items = c.ok("rectify", "rectify.list", {"round": "R-1", "unit": "U-A"})["items"]
    others = c.ok("rectify", "rectify.list", {"round": "R-1", "unit": "U-B"})["items"]
    _, text = check_pdf(path, [number, "青石镇"] + [i["summary"] for i in items])
    assert others and not any(flat(i["summary"]) in text for i in others)
    check_sources(c, number, text)


def test_three_lists_span_pages(console, browser, tmp_path):
    c, b = console, browser
    go(b, c, "#/round?id=R-3")
    click(b, "a[data-kind=three_lists]")
    b.wait_for("#doc-rows")
    number, path = issue_and_print(b, str(tmp_path), "lists")
    b.driver.execute_script("document.getElementById('document').scrollIntoView()")
    b.screenshot("document-lists")
    items = c.ok("rectify", "rectify.list", {"round": "R-3", "limit": 100})["items"]
    pages, text = check_pdf(path, ["三张清单", number, "市教育局"] + [i["summary"] for i in items], pages_at_least=3)
    print(f"三张清单 of {len(items)} items: {pages} pages")
    check_sources(c, number, text)


def test_more_items_than_a_document_names_are_refused_in_the_page(console, browser):
    """A round of 201 items: its 三张清单 would name more than document.issue's 200 sources, so
    the page says so (and to make it by unit) instead of leaving items out."""
    c, b = console, browser
    wait_until(lambda: len(c.ok("rectify", "rectify.list", {"round": "R-4", "limit": 500})["items"]) == TOO_MANY,
               timeout=30, what="R-4's items in rectify")
    go(b, c, "#/document?kind=three_lists&round=R-4")
    assert "201" in b.text("#doc-too-many")
    assert not b.driver.find_elements("css selector", "#doc-issue")


def test_interview_record(console, browser, tmp_path):
    c, b = console, browser
    said = "约谈时，该镇党委书记表示立即整改。"
    go(b, c, f"#/item?id={c.item}")
    click(b, "a[data-kind=interview_record]")
    b.wait_for("#document")
    number, path = issue_and_print(b, str(tmp_path), "interview", text=said)
    it = c.ok("rectify", "rectify.get", {"item": c.item})
    _, text = check_pdf(path, ["约谈记录", number, said, "十一届第一轮", it["summary"], "青石镇"])
    check_sources(c, number, text)


def test_special_report_with_its_sign_off(console, browser, tmp_path):
    """A special report is its referral's (title, text, 领导签批), its sources the referral's
    referral.created and referral.signed as referral.get gives them (the outbox's own)."""
    c, b = console, browser
    got = ok(c.call("referral", c.suite.office, "referral.get", {"referral": c.report}))
    events = {e["seq"]: (e["type"], e["hash"]) for e in
              c.ok("referral", "events.read", {"after": 0, "limit": 1000})["events"]}
    assert {e["type"] for e in got["events"]} >= {"referral.created", "referral.signed"}, got["events"]
    assert all(events[e["seq"]] == (e["type"], e["hash"]) for e in got["events"])
    # not yet signed off: it cannot be issued
    go(b, c, f"#/referral?id={c.unsigned}")
    click(b, "a[data-kind=special_report]")
    b.wait_for("#doc-unsigned")
    assert not b.wait_for("#doc-issue").is_enabled()
    go(b, c, f"#/referral?id={c.report}")
    click(b, "a[data-kind=special_report]")
    b.wait_for("#document")
    more = "建议对逾期事项持续督办。"
    number, path = issue_and_print(b, str(tmp_path), "report", recipient="中共市委", text=more)
    assert re.fullmatch(r"市委巡报〔\d{4}〕\d+号", number), number
    _, text = check_pdf(path, ["关于十一届第一轮巡察整改情况的专题报告", number, "中共市委：", "部分单位整改方案制定滞后。",
                               more, "领导签批：市委书记张三"])
    doc = check_sources(c, number, text)
    assert {(s["service"], events[s["seq"]][0]) for s in doc["sources"]} == {
        ("referral", "referral.created"), ("referral", "referral.signed")}


def test_an_issued_document_reprints_only_as_issued(console, browser, tmp_path):
    """From the register, an issued document is composed again from the records and its entry:
    the same SHA-256 as issued, so it prints with its number; once the record changed (the
    item's due date extended) the page says so and offers no print."""
    c, b = console, browser
    docs = c.ok("rectify", "document.list", {"kind": "rectify_notice", "limit": 500})["items"]
    doc = docs[0]
    go(b, c, "#/documents")
    click(b, f"a.doc-number[href$='id={doc['document']}']")
    b.wait_for("#doc-same")
    assert b.text("#doc-number") == doc["number"]
    pdf = b.driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    path = os.path.join(str(tmp_path), "again.pdf")
    with open(path, "wb") as f:
        f.write(base64.b64decode(pdf["data"]))
    _, text = check_pdf(path, [doc["number"], doc["title"], doc["recipient"] + "：", written(doc["dated"])])
    assert doc["content_sha256"] in text
    assert "已签发的公文" not in text and "拟制公文" not in text, text[:300]   # the page's own words stay off the paper
    it = c.ok("rectify", "rectify.get", {"item": doc["item"]})
    later = (datetime.date.fromisoformat(it["due"]) + datetime.timedelta(days=30)).isoformat()
    c.ok("rectify", "rectify.extend", {"item": doc["item"], "due": later, "reason": "因客观原因延期", "deadline": "item"})
    go(b, c, f"#/document?id={doc['document']}")
    b.wait_for("#doc-changed")
    assert not b.driver.find_elements("css selector", "#doc-print")
    assert doc["number"] not in b.text("#document")


def test_a_district_office_issues_its_own(console, browser, tmp_path):
    """A district office (区县巡察办) composes and issues the feedback of its own round: its own
    发文机关 (from the district's name) and its own numbers; the register shows it its own."""
    c = console
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, "web-district", "district", scope={"district": "D-1"}, display="云溪区委巡察办")
        go(b, c, "#/round?id=YX-1")
        click(b, "a[data-unit=T-1]")
        number, path = issue_and_print(b, str(tmp_path), "district")
        assert re.fullmatch(r"云溪区委巡反〔\d{4}〕1号", number), number
        _, text = check_pdf(path, ["中共云溪区委员会巡察工作领导小组办公室", number, "白石镇", "镇卫生院药品采购不规范",
                                   "云溪区第一轮"])
        check_sources(c, number, text)
        go(b, c, "#/documents")
        wait_until(lambda: b.driver.find_elements("css selector", ".doc-number"), what="the district's register")
        assert [e.text for e in b.driver.find_elements("css selector", ".doc-number")] == [number]
        assert page_errors(b) == [], page_errors(b)


def test_the_numbers_have_no_gap_and_the_register_lists_them(console, browser):
    c, b = console, browser
    docs = c.ok("rectify", "document.list", {"limit": 500})["items"]
    assert len(docs) >= 6, docs
    by = {}
    for d in docs:
        m = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", d["number"])
        assert m and int(m.group(3)) == d["seq"], d
        by.setdefault((d["issuer"], m.group(1), m.group(2)), []).append(d["seq"])
    for key, seqs in by.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), (key, seqs)
    go(b, c, "#/documents")
    wait_until(lambda: len(b.driver.find_elements("css selector", ".doc-number")) == min(len(docs), 20),
               what="the register's rows")
    shown = {e.text for e in b.driver.find_elements("css selector", ".doc-number")}
    assert shown <= {d["number"] for d in docs}
    # filtered by kind (the policy's kinds offered): the register's 三张清单 only
    go(b, c, "#/documents?kind=three_lists")
    lists = {d["number"] for d in docs if d["kind"] == "three_lists"}
    wait_until(lambda: {e.text for e in b.driver.find_elements("css selector", ".doc-number")} == lists,
               what="the 三张清单 of the register")
    assert b.driver.execute_script("return document.querySelector('select[name=kind]').value") == "three_lists"
