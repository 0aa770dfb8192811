"""码上巡 in the browser (docs/console.md, "码上巡: the public page and the poster"): the public
page web/public/ at a phone's width (390x844) against a real gateway (its /v1/public/* routes,
signing as the public principal) and a real intake; the console's side (questions, the sealed
contact, the poster) at 1366x768. One running world for the file; two browsers (the reporter's
phone, the console) kept for all tests.

What is checked: the page seals the contact with the vendored tweetnacl so that PyNaCl opens it
with the matching key, and solves the proof of work in its worker (checked in Python); a report
with a photo and a contact gets a receipt whose acknowledgement the page verified and Python
verifies again with /v1/keys; the code brings back the state; a team asks, the reporter answers,
the team sees it; the office opens the contact, a team has no button and is refused; the poster
prints to PDF with the round and the unit; every visible word of the public page is Chinese."""
import base64
import hashlib
import json
import os
import re
import struct
import subprocess
import time
import zlib

import nacl.public
import nacl.signing
import pytest

from browserlib import Browser, wait_until
from consolelib import click, click_confirm, console_suite, ok, page_errors, page_run, seed, set_value, signed_in
from gatewaylib import unb64u
from hostilelib import local_day
from test_console_audit import CHECK

ROUND, UNIT = "PUB-1", "U-A"
TEXT = "村委会门口的公示栏半年没有更新，低保名单也没有公示。"
CONTACT = {"name": "张先生", "phone": "13800138000"}
# the gateway's 码上巡 settings: a short proof of work (the test's time), limits a test's few
# lookups from one address stay under
PUBLIC = {"base_url": "https://xc.example.cn", "pow_bits": 12, "pow_bits_burst": 14,
          "receipts_per_minute": 30, "requests_per_minute": 300}


def png(width=32, height=24, noisy=False):
    """A small, well-formed PNG (RGB, one IDAT, CRCs right): what a phone's photo is to the type
    check by content. noisy: random pixels (they do not compress: a file of several chunks)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + (os.urandom(width * 3) if noisy else
                               bytes(v for x in range(width) for v in (x * 7 % 256, y * 9 % 256, 120)))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# Runs body (an async function's body with `channel`, `wire` and `args`) in the public page.
PUBLIC_RUN = """
const done = arguments[arguments.length - 1];
const args = arguments[0];
(async () => {
  const channel = await import("/public/channel.js");
  const wire = await import("/js/wire.js");
  %s
})().then((ok) => done({ok: ok === undefined ? null : ok}),
           (e) => done({error: String(e && e.message || e), code: e && e.code, chinese: e && e.chinese}));
"""


def public_ok(b, body, **args):
    got = b.driver.execute_async_script(PUBLIC_RUN % body, args)
    assert "error" not in got, got
    return got["ok"]


def reply_verified(frame, jwks, service="intake"):
    """A signed reply verified in Python with the service's key from /v1/keys: its body."""
    m = json.loads(frame)
    header = json.loads(unb64u(m["protected"]))
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert key["iss"] == service
    nacl.signing.VerifyKey(unb64u(key["x"])).verify(f"{m['protected']}.{m['payload']}".encode(),
                                                     unb64u(m["signature"]))
    body = json.loads(unb64u(m["payload"]))
    assert body["iss"] == service and body["aud"] == "public", body
    return body


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    started = time.monotonic()
    folder = tmp_path_factory.mktemp("console-public")
    with console_suite(folder, public=PUBLIC) as c:
        c.ids = seed(c)
        o = c.suite.office
        ok(c.call("intake", o, "round.open", {
            "id": ROUND, "name": "十二届第三轮", "kind": "regular", "team": "team-1",
            "targets": [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "main"}],
            "planned_start": str(local_day(-2)), "planned_end": str(local_day(30)), "date": str(local_day(-3))}))
        ok(c.call("intake", o, "round.advance", {"round": ROUND, "stage": "stationed", "date": str(local_day(-2))}))
        c.folder = folder
        c.photo = os.path.join(str(folder), "photo.png")
        with open(c.photo, "wb") as f:
            f.write(png())
        c.state = {}
        with Browser(folder, phone=True) as phone, Browser(folder) as desk:
            phone.driver.set_script_timeout(60)
            desk.driver.set_script_timeout(30)
            c.phone, c.desk = phone, desk
            yield c
            assert phone.requests_outside(c.base) == [] and desk.requests_outside(c.base) == []
    print(f"\ntest_console_public: world up and down in {time.monotonic() - started:.1f} s")


def public_open(c, query=f"?round={ROUND}&unit={UNIT}", ready="#public-info"):
    b = c.phone
    b.open(f"{c.base}/public/{query}")
    b.wait_for(ready, timeout=15)
    return b


def test_the_page_seals_the_contact_for_intake_only_and_solves_the_pow(world):
    """Pieces, checked outside the browser: a box PyNaCl opens with the receiver's secret key
    (and nothing else does), a nonce whose hash has the zero bits asked, a code of 16 digits."""
    c = world
    b = public_open(c, "", "#no-round")
    receiver = nacl.public.PrivateKey.generate()
    sealed = public_ok(b, "return channel.contactSeal(args.contact, args.pk);", contact=CONTACT,
                       pk=base64.b64encode(bytes(receiver.public_key)).decode())
    box = nacl.public.Box(receiver, nacl.public.PublicKey(unb64u(sealed["epk"])))
    assert json.loads(box.decrypt(unb64u(sealed["box"]), unb64u(sealed["nonce"]))) == CONTACT
    other = nacl.public.PrivateKey.generate()
    with pytest.raises(nacl.exceptions.CryptoError):
        nacl.public.Box(other, nacl.public.PublicKey(unb64u(sealed["epk"]))).decrypt(
            unb64u(sealed["box"]), unb64u(sealed["nonce"]))
    # two seals of the same contact share nothing (a fresh ephemeral key and nonce each)
    again = public_ok(b, "return channel.contactSeal(args.contact, args.pk);", contact=CONTACT,
                      pk=base64.b64encode(bytes(receiver.public_key)).decode())
    assert again["epk"] != sealed["epk"] and again["box"] != sealed["box"]
    codes = public_ok(b, "return Array.from({length: 50}, () => channel.codeMake());")
    assert all(len(x) == 16 and x.isdigit() for x in codes) and len(set(codes)) == 50
    assert public_ok(b, "return [channel.codeGrouped('1234567812345678'), channel.codeRead('１２３４ 5678-1234 5678'), channel.codeRead('123')];") \
        == ["1234 5678 1234 5678", "1234567812345678", None]
    t = time.monotonic()
    got = public_ok(b, """
      const w = new Worker("/public/pow_worker.js", {type: "module"});
      return await new Promise((ok, no) => { w.onerror = (e) => no(new Error(e.message));
        w.onmessage = (e) => { if (e.data.nonce !== undefined) { w.terminate(); ok(e.data); } };
        w.postMessage({challenge: args.challenge, bits: 14}); });""", challenge="挑战-abc")
    digest = hashlib.sha256(f"挑战-abc:{got['nonce']}".encode()).digest()
    assert int.from_bytes(digest, "big") >> (256 - 14) == 0, got
    print(f"\npow: 14 bits in {time.monotonic() - t:.2f} s, {got['tried']} tries")


def test_report_with_a_contact_gets_a_verified_receipt(world):
    c = world
    b = public_open(c)
    assert b.text("#round-name") == "十二届第三轮"
    assert b.text("#unit-name") == "青石镇"
    assert b.text("#until") == str(local_day(30))
    assert b.driver.find_elements("css selector", "#steps li")
    assert "巡察办" in b.text("#contact-notice")
    b.screenshot("public")
    b.wait_for("#report-form textarea[name=text]").send_keys(TEXT)
    b.wait_for("#report-form input[name=name]").send_keys(CONTACT["name"])
    b.wait_for("#report-form input[name=phone]").send_keys(CONTACT["phone"])
    t = time.monotonic()
    click(b, "#report-submit")
    b.wait_for("#receipt", timeout=90)
    print(f"\nreport (pow, pwhash, report) in {time.monotonic() - t:.2f} s")
    shown = b.text("#receipt-code")
    code = shown.replace(" ", "")
    assert len(code) == 16 and code.isdigit() and shown.count(" ") == 3, shown
    assert "已验证" in b.text("#ack-verified")
    problem = int(b.text("#receipt-problem"))
    b.screenshot("public-receipt")
    # the file to keep is the acknowledgement itself: verified again here, by Python
    href = b.wait_for("#ack-download").get_attribute("href")
    assert href.startswith("data:application/json;base64,"), href[:60]
    frame = base64.b64decode(href.split(",", 1)[1]).decode()
    body = reply_verified(frame, c.gateway.jwks)
    result = body["data"]["result"]
    assert result["problem"] == problem and result["round"] == ROUND and result["unit"] == UNIT
    assert result["sha256"] == b.text("#receipt-sha256")
    assert b.driver.find_elements("css selector", "#digest-same"), "the page computed the same content hash"
    # intake holds it as a public problem with a contact, the office reads it
    p = c.ok("intake", "problem.get", {"problem": problem})
    assert p["source"] == "public" and p["public"]["has_contact"] is True
    assert TEXT in p["detail"]
    assert not [e for e in page_errors(b) if "/v1/" not in e["message"]]
    c.state.update(code=code, problem=problem, ack=frame)


def test_report_with_a_photo(world):
    """A photo through /v1/public/files (intake's file.* messages, h/files): the report names
    it, intake holds its hash, the receipt lists it."""
    c = world
    b = public_open(c)
    b.wait_for("#report-form textarea[name=text]").send_keys("食堂账目没有公开，照片是公示栏现状。")
    b.wait_for("#report-files").send_keys(c.photo)
    t = time.monotonic()
    click(b, "#report-submit")
    b.wait_for("#receipt", timeout=90)
    print(f"\nreport with a photo (upload, pow, pwhash, report) in {time.monotonic() - t:.2f} s")
    assert b.driver.find_elements("css selector", "#digest-same")
    assert "photo.png" in b.text("#receipt")
    p = c.ok("intake", "problem.get", {"problem": int(b.text("#receipt-problem"))})
    assert [e["sha256"] for e in p.get("evidence", [])] == [hashlib.sha256(png()).hexdigest()]
    assert p["public"]["has_contact"] is False


def test_a_report_sent_again_with_its_code_is_the_same_receipt(world):
    """The page keeps its code over a failed try: sent again (a fresh proof of work), intake
    answers the first receipt, and there is one problem."""
    c = world
    b = public_open(c)
    got = public_ok(b, """
      const code = channel.codeMake();
      const report = {round: args.round, unit: args.unit, text: "同一份反映发送两次。", code};
      const first = await channel.reportSend(report, await channel.powSolve());
      const again = await channel.reportSend(report, await channel.powSolve());
      return [first.result, again.result];""", round=ROUND, unit=UNIT)
    assert got[0] == got[1], got
    listed = c.ok("intake", "problem.list", {"round": ROUND, "source": "public", "limit": 100})["items"]
    assert [p["id"] for p in listed].count(got[0]["problem"]) == 1


def test_an_upload_whose_answer_is_lost_resumes_from_the_service_offset(world):
    """A photo of several chunks; the answer to its second chunk is lost on the way back (the
    page's fetch made, then failed): the page asks file.status, goes on from the offset the
    service has, and the file is whole once (intake reads it back with the same hash)."""
    c = world
    b = public_open(c)
    photo = png(360, 360, noisy=True)
    assert len(photo) > 2 * 131072, len(photo)
    got = public_ok(b, """
      const real = window.fetch;
      let appends = 0, lost = 0;
      window.fetch = async (url, init) => {
        const r = await real(url, init);
        if (String(url).endsWith("/v1/public/files") && init.body.includes('"append"') && ++appends === 2) {
          lost++;
          throw new TypeError("the answer was lost");
        }
        return r;
      };
      try {
        const bytes = Uint8Array.from(atob(args.b64), (ch) => ch.charCodeAt(0));
        const entry = await channel.fileUpload(new File([bytes], "现场.png", {type: "image/png"}));
        return {entry, appends, lost};
      } finally { window.fetch = real; }""", b64=base64.b64encode(photo).decode())
    assert got["lost"] == 1 and got["appends"] >= 3, got
    assert got["entry"]["sha256"] == hashlib.sha256(photo).hexdigest()
    # a report naming it: intake links the stored file (only a whole one could be)
    code = public_ok(b, """
      const report = {round: args.round, unit: args.unit, text: "附有多块上传的照片。", evidence: [args.entry],
                      code: channel.codeMake()};
      return (await channel.reportSend(report, await channel.powSolve())).result.problem;""",
                     round=ROUND, unit=UNIT, entry=got["entry"])
    p = c.ok("intake", "problem.get", {"problem": code})
    assert [e["sha256"] for e in p["evidence"]] == [hashlib.sha256(photo).hexdigest()]


def test_a_file_lying_about_its_type_is_refused_in_chinese(world):
    """An HTML page named .jpg: the upload is refused with intake's reason in Chinese, no report
    is sent."""
    c = world
    before = len(c.ok("intake", "problem.list", {"round": ROUND, "source": "public", "limit": 100})["items"])
    fake = os.path.join(str(c.folder), "photo.jpg")
    with open(fake, "wb") as f:
        f.write(b"<html><body><script>alert(1)</script></body></html>")
    b = public_open(c)
    b.wait_for("#report-form textarea[name=text]").send_keys("附件其实是网页。")
    b.wait_for("#report-files").send_keys(fake)
    click(b, "#report-submit")
    refusal = b.wait_for("#report-form .refusal", timeout=30)
    assert "文件类型不允许" in refusal.text, refusal.text
    assert b.driver.execute_script(CHECK) == [], "letters only in marked values (the upload's id, the code)"
    assert not b.driver.find_elements("css selector", "#receipt")
    assert len(c.ok("intake", "problem.list", {"round": ROUND, "source": "public", "limit": 100})["items"]) == before
    print(f"\nlying file refused: {refusal.text}")


def lookup(c, code):
    b = c.phone
    b.open("about:blank")                # a fresh page: the same address with a hash would not load again
    b.open(f"{c.base}/public/#receipt")
    b.wait_for("#lookup-form input[name=code]").send_keys(" ".join(code[i:i + 4] for i in range(0, 16, 4)))
    click(b, "#lookup-form button[type=submit]")
    return b.wait_for("#status-state", timeout=60)


def test_come_back_with_the_code_and_see_the_state(world):
    c = world
    code, problem = c.state["code"], c.state["problem"]
    assert lookup(c, code).get_attribute("data-state") == "received"
    assert c.phone.text("#status-problem") == str(problem)
    ok(c.call("intake", c.suite.office, "problem.classify", {
        "problem": problem, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
    state = lookup(c, code)
    assert state.get_attribute("data-state") == "handling" and state.text == "正在办理"
    # a code that was never given: refused in Chinese, nothing shown
    b = c.phone
    b.open("about:blank")
    b.open(f"{c.base}/public/#receipt")
    b.wait_for("#lookup-form input[name=code]").send_keys("0000000000000001")
    click(b, "#lookup-form button[type=submit]")
    assert b.wait_for("#lookup-form .refusal", timeout=60).get_attribute("data-code") == "not_found"
    assert not b.driver.find_elements("css selector", "#status")


def test_a_kept_acknowledgement_is_checked_again_and_a_changed_one_is_not(world, tmp_path):
    c = world
    b = c.phone
    frame = c.state["ack"]
    kept = tmp_path / "回执.json"
    kept.write_text(frame)
    m = json.loads(frame)
    payload = json.loads(unb64u(m["payload"]))
    payload["data"]["result"]["problem"] += 1          # the reporter "improves" the receipt
    m["payload"] = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    changed = tmp_path / "改过的回执.json"
    changed.write_text(json.dumps(m))
    for path, ok_shown in ((kept, True), (changed, False), (kept, True)):
        b.open("about:blank")
        public_open(c, "#receipt", "#ack-check")
        b.wait_for("#ack-file").send_keys(str(path))
        if ok_shown:
            b.wait_for("#ack-valid", timeout=30)
            assert b.text("#ack-problem") == str(c.state["problem"])
            assert b.text("#ack-sha256") == json.loads(unb64u(json.loads(frame)["payload"]))["data"]["result"]["sha256"]
            assert not b.driver.find_elements("css selector", "#ack-invalid")
        else:
            b.wait_for("#ack-invalid", timeout=30)
            assert not b.driver.find_elements("css selector", "#ack-valid")


def test_a_team_asks_the_reporter_answers_the_team_sees_it(world):
    c = world
    code, problem = c.state["code"], c.state["problem"]
    d = c.desk
    signed_in(d, c, "team-1", "team", display="第一巡察组")
    d.open(f"{c.base}/#/team-public")
    d.wait_for(f"tr[data-key='{problem}']")
    d.open(f"{c.base}/#/team-problem?id={problem}")
    d.wait_for("#public-section #no-questions")
    assert not d.driver.find_elements("css selector", "#contact-open"), "a team (default policy) has no 查看联系方式"
    refused = page_run(d, """await session.sessionLoad();
        return await session.ask("intake", "problem.contact", {problem: args.p});""", p=problem)
    assert refused.get("code") == "forbidden", refused
    question = "公示栏具体在哪个村？"
    d.wait_for("#ask-form textarea[name=question]").send_keys(question)
    click(d, "#ask-form button[type=submit]")
    click_confirm(d, expect=question)
    d.wait_for("#questions li")
    # the reporter sees it with the code and answers it, once
    lookup(c, code)
    b = c.phone
    item = b.wait_for(".question")
    assert question in item.text
    answer = "在云溪村村委会大门左侧。"
    b.wait_for(".question textarea[name=answer]").send_keys(answer)
    click(b, ".question button[type=submit]")
    try:
        wait_until(lambda: b.driver.find_elements("css selector", ".question .q-answer"), timeout=60,
                   what="the answer shown")
    except AssertionError:
        raise AssertionError(f"no answer shown: {b.driver.find_element('css selector', '#status').get_attribute('outerHTML')}") from None
    assert answer in b.text(".question .q-answer")
    assert not b.driver.find_elements("css selector", ".question textarea")
    d.driver.refresh()
    wait_until(lambda: answer in d.text("#questions"), timeout=15, what="the team seeing the answer")


def test_the_office_opens_the_contact(world):
    c = world
    problem = c.state["problem"]
    d = c.desk
    signed_in(d, c, "web-office", "office", display="王主任")
    d.open(f"{c.base}/#/problem?id={problem}")
    click(d, "#contact-open")
    words = click_confirm(d)
    assert "记录" in words
    assert d.text("#contact-name") == CONTACT["name"]
    assert d.text("#contact-phone") == CONTACT["phone"]


def test_the_poster_prints_to_pdf(world):
    c = world
    d = c.desk
    signed_in(d, c, "web-office", "office", display="王主任")
    d.open(f"{c.base}/#/round?id={ROUND}")
    click(d, "#poster-link")
    d.wait_for(f".poster-sheet[data-unit='{UNIT}'] .poster-qr")
    wait_until(lambda: d.driver.execute_script(
        "return [...document.querySelectorAll('.poster-qr')].every((i) => i.complete && i.naturalWidth > 0)"),
        timeout=15, what="the QR images loaded")
    assert d.driver.execute_script("return document.querySelectorAll('.poster-sheet').length") == 2
    d.screenshot("poster")
    pdf = d.driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                       "printBackground": True})
    path = os.path.join(str(c.folder), "poster.pdf")
    with open(path, "wb") as f:
        f.write(base64.b64decode(pdf["data"]))
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, check=True, timeout=30).stdout.decode()
    assert "十二届第三轮" in text and "青石镇" in text and "市教育局" in text, text
    assert "打印" not in text, "the screen's controls are not printed"
    pages = subprocess.run(["pdfinfo", path], capture_output=True, check=True, timeout=30).stdout.decode()
    assert re.search(r"^Pages:\s+2$", pages, re.M), pages


@pytest.mark.parametrize("view", ["report", "receipt", "closed", "status"])
def test_every_word_of_the_public_page_is_chinese(world, view):
    c = world
    b = c.phone
    if view == "report":
        public_open(c)
    elif view == "receipt":
        b.open("about:blank")
        public_open(c, "#receipt", "#lookup-form")
        b.wait_for("#lookup-form input[name=code]").send_keys("1")
        click(b, "#lookup-form button[type=submit]")
        b.wait_for("#lookup-form .refusal")
    elif view == "closed":
        public_open(c, "?round=R-1", "#closed")
    else:
        lookup(c, c.state["code"])           # the state, a question and its answer
        b.wait_for(".question .q-answer")
    faults = b.driver.execute_script(CHECK)
    w = b.driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert w[0] <= w[1], f"scrolls sideways: {w}"
    assert not faults, faults
