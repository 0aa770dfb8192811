"""Evidence files (佐证材料) in the console, end to end (docs/console.md, "Evidence files"): a
unit uploads a photo and a PDF in its completion claim from a real chromium (at a phone's width
and at 1366), through the real gateway to rectify, which keeps them; the item shows the photo
as a thumbnail; the download through POST /v1/files/rectify gives the same bytes with the
headers of docs/services/gateway.md; an upload cut by the network (chromium offline) and one
begun elsewhere and picked again resume where the service stands and store the file once,
whole; a file lying about its type is refused in Chinese and nothing is referenced.

One running suite and one desktop browser for the whole file; the phone's browser opens once."""
import base64
import hashlib
import json
import os
import re
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.support.ui import Select

import xcwire
from browserlib import Browser, wait_until
from consolelib import click, click_confirm, console_suite, ok, page_errors, page_run, seed, signed_in
from fileslib import make_jpeg, make_pdf, make_png
from hostilelib import local_day

UNIT = ("unit-a", "unit", {"units": ["U-A"]})
# an HTML page that says it is an image by its name only
HTML_AS_PNG = b"<!doctype html><html><body><script>alert(1)</script></body></html>\n"


def file_at(folder, name, data):
    """Writes data to folder/name: (path, sha256 hex)."""
    path = os.path.join(str(folder), name)
    with open(path, "wb") as f:
        f.write(data)
    return path, hashlib.sha256(data).hexdigest()


def png_size(data):
    """(width, height) from a PNG's IHDR."""
    return struct.unpack(">II", data[16:24])
FILES_JS = 'const files = await import("/js/files.js");'


def plan(c, item):
    """The unit's plan through the Python client: the item is then open to a claim."""
    ok(c.call("rectify", c.suite.unit_a, "rectify.plan", {"item": item, "measures": [
        {"text": "更新公开栏", "owner": "张三", "lead_leader": "李副镇长", "deadline": str(local_day(20))}]}))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-evidence")
    started = time.monotonic()
    with console_suite(folder) as c:
        c.ids = seed(c)
        c.folder = str(folder)
        # two more items for U-A (each claim needs its own), planned by the unit
        for summary in ("食堂账目不清", "公务接待超标"):
            # from the office's paper records (R-1 is past the stages a team reports in)
            p = ok(c.call("intake", c.suite.office, "problem.report", {
                "round": "R-1", "unit": "U-A", "category": "public_concerns", "summary": summary,
                "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team",
                "occurred_on": str(local_day(-30))}))["problem"]
            ok(c.call("intake", c.suite.office, "problem.classify", {
                "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        items = wait_until(lambda: (lambda xs: xs if len(xs) >= 3 else None)(
            ok(c.call("rectify", c.suite.unit_a, "rectify.list", {}))["items"]), what="three items of U-A")
        c.items = sorted(i["id"] for i in items)
        for i in c.items:
            plan(c, i)
        with Browser(folder) as b:
            b.driver.set_script_timeout(120)
            c.browser = b
            signed_in(b, c, *UNIT[:2], scope=UNIT[2], display="青石镇联络员")
            yield c
            assert b.requests_outside(c.base) == [], b.requests()
            assert page_errors(b) == [], page_errors(b)
    print(f"\ntest_console_evidence: {time.monotonic() - started:.1f} s")


def claim_with(b, c, item, paths, digests):
    """Opens the item, picks the files in the claim form, waits for each upload, claims."""
    b.open(f"{c.base}/#/unit-item?item={item}")
    b.wait_for("#item[data-state=planned]")
    b.wait_for("#claim-form input[type=file]").send_keys("\n".join(paths))
    wait_until(lambda: all(d in b.text("#claim-form .evidence") for d in digests), timeout=60,
               what="every file uploaded")
    states = [li.get_attribute("data-state") for li in b.driver.find_elements("css selector", "#claim-form .uploads li")]
    assert states == ["done"] * len(paths), states
    click(b, "#claim-submit")
    click_confirm(b, expect=f"提交 {len(paths)} 份证据材料")
    b.wait_for("#item[data-state=claimed]")
    claim = ok(c.call("rectify", c.suite.office, "rectify.get", {"item": item}))["claims"][-1]
    return claim


def thumbnail(b, digest):
    """The thumbnail's natural size once the image is drawn."""
    img = b.wait_for(f".evidence-entry[data-sha256='{digest}'] img.thumb", timeout=30)
    wait_until(lambda: b.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img),
               what="the thumbnail drawn")
    assert img.get_attribute("src").startswith("blob:"), img.get_attribute("src")
    b.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", img)   # for the screenshots
    return b.driver.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img)


def download(c, signer, service, sha256, offset=None):
    """A signed file.read through POST /v1/files/{service}: (status, headers, bytes)."""
    data = {"sha256": sha256} if offset is None else {"sha256": sha256, "offset": offset}
    frame, _ = xcwire.seal(signer, service, "file.read", data)
    req = urllib.request.Request(f"{c.base}/v1/files/{service}", data=frame if isinstance(frame, bytes) else frame.encode(), method="POST",
                                 headers={"Content-Type": "application/jose+json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def download_whole(c, signer, service, sha256):
    """Every piece of a file, joined; the headers of the first."""
    status, headers, body = download(c, signer, service, sha256)
    first = headers
    while status == 206:
        _, total = headers["Content-Range"].split("/")
        if len(body) >= int(total):
            break
        status, headers, more = download(c, signer, service, sha256, offset=len(body))
        body += more
    assert status in (200, 206), (status, body[:300])
    return first, body


def test_a_claim_with_a_photo_and_a_pdf_at_a_phone_width(world):
    c = world
    photo = make_png(64, 48, seed=1)
    (png_path, png_sha), (pdf_path, pdf_sha) = (file_at(c.folder, "公开栏照片.png", photo),
                                                file_at(c.folder, "整改报告.pdf", make_pdf("phone report")))
    with Browser(c.folder, phone=True) as p:
        p.driver.set_script_timeout(120)
        signed_in(p, c, *UNIT[:2], scope=UNIT[2], display="青石镇联络员")
        claim = claim_with(p, c, c.items[0], [png_path, pdf_path], [png_sha, pdf_sha])
        assert claim["evidence"] == [{"file": "公开栏照片.png", "sha256": png_sha},
                                     {"file": "整改报告.pdf", "sha256": pdf_sha}], claim
        # the item's claim shows the photo as a thumbnail and the PDF with a 下载 button
        assert thumbnail(p, png_sha) == list(png_size(photo))
        entry = p.wait_for(f".evidence-entry[data-sha256='{pdf_sha}']")
        assert not entry.find_elements("css selector", "img") and "下载" in entry.text, entry.text
        assert p.driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), "sideways scroll"
        p.screenshot("evidence-phone")
        assert page_errors(p) == [], page_errors(p)

    # the download: the same bytes, with the headers the gateway promises
    for sha, data, name, media in ((png_sha, photo, "公开栏照片.png", "image/png"),
                                   (pdf_sha, open(pdf_path, "rb").read(), "整改报告.pdf", "application/pdf")):
        headers, body = download_whole(c, c.suite.office, "rectify", sha)
        assert body == data
        assert headers["Content-Type"] == media, headers
        assert headers["Content-Disposition"] == "attachment; filename*=UTF-8''" + urllib.parse.quote(name, safe=""), headers
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store", headers
        assert headers["X-Xc-Sha256"] == sha, headers
    # a department may not read the claim's files: the service's signed refusal, no bytes
    status, headers, body = download(c, c.suite.orgdept, "rectify", png_sha)
    assert status in (403, 404) and headers["Content-Type"].startswith("application/jose+json"), (status, body[:200])
    assert json.loads(xcwire.unb64u(json.loads(body)["payload"]))["type"] == "error"
    # a signed message of another type is not carried by the download route
    frame, _ = xcwire.seal(c.suite.office, "rectify", "rectify.list", {})
    req = urllib.request.Request(f"{c.base}/v1/files/rectify", data=frame if isinstance(frame, bytes) else frame.encode(), method="POST",
                                 headers={"Content-Type": "application/jose+json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["type"] == "urn:xuncha:gateway:not-a-file-read"


def test_a_claim_at_1366_and_the_office_sees_the_thumbnail(world):
    c, b = world, world.browser
    photo = make_png(120, 80, seed=2)
    (png_path, png_sha), (pdf_path, pdf_sha) = (file_at(c.folder, "现场照片.png", photo),
                                                file_at(c.folder, "会议纪要.pdf", make_pdf("minutes")))
    claim = claim_with(b, c, c.items[1], [png_path, pdf_path], [png_sha, pdf_sha])
    assert [e["sha256"] for e in claim["evidence"]] == [png_sha, pdf_sha], claim
    assert thumbnail(b, png_sha) == list(png_size(photo))
    # the browser's own download path: the bytes read back and checked against the hash
    got = page_run(b, FILES_JS + """
        const f = await files.fileRead("rectify", args.sha);
        return {type: f.type, n: f.bytes.length, sha: await files.bytesSha256(f.bytes)};""", sha=pdf_sha)
    assert got["ok"] == {"type": "application/pdf", "n": len(make_pdf("minutes")), "sha": pdf_sha}, got
    b.screenshot("evidence")
    # the office, on its item page, sees the same thumbnail
    signed_in(b, c, "web-office", "office", display="王主任")
    try:
        b.open(f"{c.base}/#/item?id={c.items[1]}")
        assert thumbnail(b, png_sha) == list(png_size(photo))
        b.screenshot("evidence-office")
    finally:
        signed_in(b, c, *UNIT[:2], scope=UNIT[2], display="青石镇联络员")


def test_a_team_report_with_a_photo_and_the_office_problem_page(world):
    """Intake keeps a team's evidence too: the on-site report uploads the photo and the PDF, the
    office's problem page shows the thumbnail, the download through /v1/files/intake is whole."""
    c, b = world, world.browser
    photo = make_png(90, 60, seed=3)
    (png_path, png_sha), (pdf_path, pdf_sha) = (file_at(c.folder, "围墙照片.png", photo),
                                                file_at(c.folder, "现场记录.pdf", make_pdf("site notes")))
    signed_in(b, c, "team-1", "team", display="第一巡察组")
    try:
        b.open(f"{c.base}/#/team-report?round=R-2")
        unit = b.wait_for("#report-form select[name=unit]")
        wait_until(lambda: any(o.get_attribute("value") == "U-B" for o in Select(unit).options), what="U-B offered")
        Select(unit).select_by_value("U-B")
        category = b.wait_for("#report-form select[name=category]")
        wait_until(lambda: len(Select(category).options) > 1, what="categories")
        Select(category).select_by_index(1)
        b.driver.execute_script("""
          for (const [css, v] of [["input[name=summary]", "围墙开裂"], ["textarea[name=detail]", "东侧围墙开裂。"]]) {
            const el = document.querySelector("#report-form " + css);
            el.value = v; el.dispatchEvent(new Event("input", {bubbles: true})); }""")
        b.wait_for("#report-form input[type=file]").send_keys(png_path + "\n" + pdf_path)
        wait_until(lambda: png_sha in b.text("#report-form .evidence") and pdf_sha in b.text("#report-form .evidence"),
                   timeout=60, what="both files uploaded to intake")
        click(b, "#report-submit")
        click_confirm(b, expect="围墙开裂")
        got = wait_until(lambda: (b.driver.find_elements("css selector", "#report-form .done") or [None])[0],
                         what="the report's outcome").text
        problem = int(re.search(r"#(\d+)", got).group(1))
    finally:
        signed_in(b, c, "web-office", "office", display="王主任")
    try:
        stored = ok(c.call("intake", c.suite.office, "problem.get", {"problem": problem}))
        assert stored["evidence"] == [{"file": "围墙照片.png", "sha256": png_sha},
                                      {"file": "现场记录.pdf", "sha256": pdf_sha}], stored
        b.open(f"{c.base}/#/problem?id={problem}")
        assert thumbnail(b, png_sha) == list(png_size(photo))
        assert "下载" in b.wait_for(f".evidence-entry[data-sha256='{pdf_sha}']").text
        headers, body = download_whole(c, c.suite.office, "intake", pdf_sha)
        assert body == make_pdf("site notes") and headers["Content-Type"] == "application/pdf", headers
        assert headers["X-Xc-Sha256"] == pdf_sha and headers["X-Content-Type-Options"] == "nosniff", headers
    finally:
        signed_in(b, c, *UNIT[:2], scope=UNIT[2], display="青石镇联络员")


def upload_in_page(b, name, data, script_after=""):
    """Starts files.fileUpload of data in the page (not awaited): window.__up holds the promise,
    window.__seen every progress state and the first offset sent."""
    return page_run(b, FILES_JS + """
        const bytes = Uint8Array.from(atob(args.b64), (ch) => ch.charCodeAt(0));
        const file = new File([bytes], args.name);
        window.__seen = {states: [], first: null};
        window.__up = files.fileUpload("rectify", file, {progress: (p) => {
          window.__seen.states.push(p.state);
          if (p.state === "sending" && window.__seen.first === null) window.__seen.first = p.sent;
          if (p.type) window.__seen.type = p.type;
          window.__seen.sent = p.sent;
        }, chunkGiveUpMs: 3000}).then((e) => (window.__done = {ok: e}), (e) => (window.__done = {error: e.code}));
        window.__done = null;
        return true;""", name=name, b64=base64.b64encode(data).decode())


def upload_done(b, timeout=120):
    return wait_until(lambda: b.driver.execute_script("return window.__done"), timeout=timeout,
                      what="the upload settled")


def test_an_upload_cut_by_the_network_resumes_and_the_file_is_stored_once_whole(world):
    c, b = world, world.browser
    data = make_jpeg(payload=os.urandom(270 * 1024))   # three chunks of 128 KiB
    sha = hashlib.sha256(data).hexdigest()
    before = ok(c.call("rectify", c.suite.office, "file.check", {}))
    b.open(f"{c.base}/#/unit-items")
    b.wait_for("#page")
    # slow enough that the cut lands mid-upload
    b.driver.set_network_conditions(offline=False, latency=100, download_throughput=512 * 1024,
                                    upload_throughput=96 * 1024)
    try:
        upload_in_page(b, "断网续传.jpg", data)
        wait_until(lambda: (b.driver.execute_script("return window.__seen.sent") or 0) > 0, timeout=60,
                   what="a first chunk stored")
        b.driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
        wait_until(lambda: "retrying" in b.driver.execute_script("return window.__seen.states"), timeout=60,
                   what="the page noticed the network gone")
    finally:
        b.driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    done = upload_done(b)
    assert done == {"ok": {"file": "断网续传.jpg", "sha256": sha}}, done
    assert b.driver.execute_script("return window.__seen.type") == "image/jpeg"
    after = ok(c.call("rectify", c.suite.office, "file.check", {}))
    assert after["files"] == before["files"] + 1 and not after["missing"] and not after["mismatched"], (before, after)
    # stored whole: read back by its uploader (no record names it yet)
    _, body = download_whole(c, c.suite.unit_a, "rectify", sha)
    assert body == data


def test_an_upload_begun_elsewhere_resumes_from_the_service_offset(world):
    """The same sender (unit-a) began the upload from Python and sent one chunk; the browser,
    picking the same file, goes on from there (as a phone does after a reload)."""
    c, b = world, world.browser
    data = make_jpeg(payload=os.urandom(200 * 1024))
    sha = hashlib.sha256(data).hexdigest()
    began = ok(c.call("rectify", c.suite.unit_a, "file.begin", {"name": "续传.jpg", "size": len(data), "sha256": sha}))
    chunk = began["chunk_bytes"]
    assert began["offset"] == 0 and not began["complete"] and len(data) > chunk, began
    ok(c.call("rectify", c.suite.unit_a, "file.append", {
        "upload": began["upload"], "offset": 0, "data": base64.b64encode(data[:chunk]).decode()}))
    upload_in_page(b, "续传.jpg", data)
    done = upload_done(b)
    assert done == {"ok": {"file": "续传.jpg", "sha256": sha}}, done
    assert b.driver.execute_script("return window.__seen.first") == chunk
    _, body = download_whole(c, c.suite.unit_a, "rectify", sha)
    assert body == data
    # and once stored, beginning it again is complete at once: nothing is sent
    upload_in_page(b, "续传.jpg", data)
    again = upload_done(b)["ok"]
    assert (again["file"], again["sha256"]) == ("续传.jpg", sha), again
    assert b.driver.execute_script("return window.__seen.first") is None


def test_a_file_lying_about_its_type_is_refused_in_chinese(world):
    c, b = world, world.browser
    path, sha = file_at(c.folder, "照片.png", HTML_AS_PNG)
    before = ok(c.call("rectify", c.suite.office, "file.check", {}))
    b.open(f"{c.base}/#/unit-item?item={c.items[2]}")
    b.wait_for("#item[data-state=planned]")
    b.wait_for("#claim-form input[type=file]").send_keys(path)
    row = b.wait_for("#claim-form .uploads li[data-state=refused]", timeout=60)
    # the reason in Chinese: nothing Latin outside the marked values (ids, codes, types)
    words = b.driver.execute_script("""
        const r = arguments[0].querySelector(".refusal").cloneNode(true);
        r.querySelectorAll("code.id").forEach((e) => e.remove());
        return r.textContent;""", row)
    assert re.search(r"[\u4e00-\u9fff]", words) and not re.search(r"[A-Za-z]", words), words
    assert sha not in b.text("#claim-form")                  # not handed to the form
    click(b, "#claim-submit")                                # the form still wants evidence
    assert "请至少选择一份证据材料" in b.text("#claim-form")
    after = ok(c.call("rectify", c.suite.office, "file.check", {}))
    assert after["files"] == before["files"], (before, after)
    got = ok(c.call("rectify", c.suite.office, "rectify.get", {"item": c.items[2]}))
    assert got["state"] == "planned" and not got["claims"], got


def test_a_lead_outcome_with_a_pdf_in_referral(world):
    """The discipline body reports a lead's outcome with a PDF: referral keeps it, the lead's
    page lists it with 下载 under that outcome, the office downloads the same bytes."""
    c, b = world, world.browser
    s = c.suite
    lead = wait_until(lambda: ok(c.call("referral", s.office, "referral.list", {"kind": "lead"}))["items"],
                      what="the lead in referral")[0]["id"]
    ok(c.call("referral", s.discipline, "referral.acknowledge", {"referral": lead}))
    ok(c.call("referral", s.discipline, "referral.dispose", {"referral": lead, "method": "talk_inquiry"}))
    data = make_pdf("talk record")
    path, sha = file_at(c.folder, "谈话记录.pdf", data)
    signed_in(b, c, "discipline-commission", "discipline", scope={"units": ["*"]}, display="市纪委监委")
    try:
        b.open(f"{c.base}/#/lead?referral={lead}")
        b.wait_for("#lead[data-state=disposed]")
        b.wait_for("#outcome-form input[type=file]").send_keys(path)
        wait_until(lambda: sha in b.text("#outcome-form .evidence"), timeout=60, what="the PDF uploaded to referral")
        click(b, "#outcome-submit")
        click_confirm(b, expect=f"问题线索 #{lead} 的处置结果")
        entry = b.wait_for(f".outcomes .evidence-entry[data-sha256='{sha}']", timeout=30)
        assert "谈话记录.pdf" in entry.text and "下载" in entry.text, entry.text
    finally:
        signed_in(b, c, *UNIT[:2], scope=UNIT[2], display="青石镇联络员")
    headers, body = download_whole(c, s.office, "referral", sha)
    assert body == data and headers["Content-Type"] == "application/pdf", headers


def test_a_plan_with_a_photo_shows_it_under_the_plan(world):
    """A plan's optional evidence: the unit uploads a photo with a new item's plan; the item
    shows it under 整改方案 (from the plan's history entry)."""
    c, b = world, world.browser
    p = ok(c.call("intake", c.suite.office, "problem.report", {
        "round": "R-1", "unit": "U-A", "category": "public_concerns", "summary": "会议记录缺失",
        "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team",
        "occurred_on": str(local_day(-30))}))["problem"]
    ok(c.call("intake", c.suite.office, "problem.classify", {
        "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
    item = wait_until(lambda: [i["id"] for i in ok(c.call("rectify", c.suite.unit_a, "rectify.list", {}))["items"]
                               if i["id"] not in c.items], what="the new item")[0]
    photo = make_png(40, 30, seed=7)
    path, sha = file_at(c.folder, "方案附图.png", photo)
    b.open(f"{c.base}/#/unit-item?item={item}")
    b.wait_for("#item[data-state=opened]")
    for css, v in (("textarea[name=text-0]", "建立会议记录制度"), ("input[name=owner-0]", "王五"),
                   ("input[name=lead-0]", "赵书记"), ("input[name=deadline-0]", str(local_day(30)))):
        b.driver.execute_script("""const el = document.querySelector(arguments[0]); el.value = arguments[1];
            el.dispatchEvent(new Event("input", {bubbles: true}));""", "#plan-form " + css, v)
    b.wait_for("#plan-form input[type=file]").send_keys(path)
    wait_until(lambda: sha in b.text("#plan-form .evidence"), timeout=60, what="the photo uploaded")
    click(b, "#plan-submit")
    click_confirm(b, expect="整改方案")
    b.wait_for("#item[data-state=planned]")
    assert thumbnail(b, sha) == list(png_size(photo))
