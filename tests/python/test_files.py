"""Evidence files (docs/files.md) in real xc-intake, xc-rectify and xc-referral processes over
ZeroMQ: upload and read back, resume after a break, access as the record's, hostile uploads
refused with nothing stored, a changed file found by file.check and xcctl audit verify, a
crash with uploads in flight, and sign-off requiring stored files.

One suite of services for the whole file (module scope): each test uses its own files.
"""

import base64
import datetime
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import Suite, key_file, running_suite, write_json
from fileslib import Uploader, make_jpeg, make_pdf, make_pdf_objstm, make_png, make_zip_bomb, sha
from test_rectify import feed_back, items
from xcwire import open_message

XCCTL = os.path.join("build", "bin", "xcctl")

UNIT = "U-FILES"


def ack(reply):
    assert reply["type"] == "ack", reply
    return reply["data"]["result"]


def err(reply, code):
    assert reply["type"] == "error", reply
    assert reply["data"]["code"] == code, reply
    return reply["data"]["reason"] if "reason" in reply["data"] else reply["data"]


def count(db, sql, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("files"))
    suite = Suite(folder, ["intake", "rectify", "referral"], {
        "office": ("office", "office", {}),
        "petition": ("petition-bureau", "petition", {}),
        "other": ("other-bureau", "petition", {}),
        "audit": ("audit-bureau", "audit", {}),
        "team": ("team-1", "team", {}),
        "team2": ("team-2", "team", {}),
        "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
        "unit_b": ("unit-b", "unit", {"units": ["U-B"]}),
        "discipline": ("discipline-commission", "discipline", {"units": ["D-1"]}),
        "dept": ("organization-dept", "department", {}),
    }, policies={"intake": {"files": {"max_bytes": 1024 * 1024, "inflate_max_bytes": 2 * 1024 * 1024}},
                 "referral": {"files": {"types": ["application/pdf"]}},
                 "rectify": {"calendar_warn_from": None, "evidence": {"signoff_requires_files": True}}})
    suite.keys = {"office": key_file(folder, suite.office)}
    yield from running_suite(suite)


@pytest.fixture(scope="module")
def intake(s):
    c = s.client("intake")
    ack(c.call(s.office, "unit.register", {"id": UNIT, "name": "测试单位", "level": "town"}))
    return c


def report(s, c, signer, evidence):
    return c.call(signer, "problem.report", {
        "unit": UNIT, "category": "public_concerns", "summary": "附件测试", "detail": "见附件",
        "severity": "serious", "source": "petition", "evidence": evidence})


def test_intake_upload_report_and_read_back(s, intake):
    up = Uploader(intake, s.petition)
    png = make_png(40, 30, seed=1)
    r = ack(up.put(png, "现场照片.png"))
    assert r["complete"] and r["type"] == "image/png" and r["offset"] == len(png)
    # before a record names it: its uploader reads it, nobody else
    meta, data = up.read(sha(png))
    assert data == png and meta["type"] == "image/png" and meta["name"] == "现场照片.png"
    err(Uploader(intake, s.other).read(sha(png))[0], "not_found")
    problem = ack(report(s, intake, s.petition, [{"file": "现场照片.png", "sha256": sha(png)}]))["problem"]
    # the readers of the problem read it: the office, its reporter; another bureau does not
    assert Uploader(intake, s.office).read(sha(png))[1] == png
    assert up.read(sha(png))[1] == png
    err(Uploader(intake, s.other).read(sha(png))[0], "not_found")
    err(intake.call(s.other, "problem.get", {"problem": problem}), "not_found")
    # beginning the same file again answers complete at once, and it is stored once
    again = ack(Uploader(intake, s.other).begin(png, "另一个名字.png"))
    assert again["complete"] and again["offset"] == len(png)
    db = os.path.join(s.folder, "intake.db")
    assert count(db, "SELECT count(*) FROM files WHERE sha256 = ?", sha(png)) == 1
    # the plain bytes are nowhere in the store
    with open(db, "rb") as f:
        assert png[-200:-20] not in f.read()


def test_intake_resume_after_a_break(s, intake):
    up = Uploader(intake, s.petition)
    big = make_png(200, 150, seed=2)
    assert len(big) > 3 * 4096
    r = up.put(big, "断点.png", chunk=4096, stop_after=2)
    assert ack(r)["offset"] == 8192 and not ack(r)["complete"]
    # a reload: the same sender begins the same sha256 again and gets the same upload
    b = ack(up.begin(big, "断点.png"))
    assert b["offset"] == 8192 and not b["complete"]
    st = intake.call(s.petition, "file.status", {"upload": b["upload"]})
    assert st["data"]["offset"] == 8192 and st["data"]["size"] == len(big)
    # another sender cannot see or write it
    err(intake.call(s.other, "file.status", {"upload": b["upload"]}), "not_found")
    # an offset that does not follow: conflict naming the current one
    e = err(Uploader(intake, s.petition).append(b["upload"], 4096, big[4096:8192]), "conflict")
    assert "8192" in str(e)
    # a record naming the incomplete upload is refused: no half file is referenced
    err(report(s, intake, s.petition, [{"file": "断点.png", "sha256": sha(big)}]), "conflict")
    r = ack(up.put(big, "断点.png", chunk=4096))
    assert r["complete"] and r["offset"] == len(big)
    assert up.read(sha(big))[1] == big


HOSTILE = {
    "zip bomb": (lambda: make_zip_bomb(), "bomb.jpg"),
    "jpeg with a zip appended": (lambda: make_jpeg() + make_zip_bomb()[:3000], "photo.jpg"),
    "html named .jpg": (lambda: b"<html><script>alert(1)</script></html>" * 10, "photo.jpg"),
    "png claiming 100000x100000": (lambda: make_png(8, 8, claim=(100000, 100000)), "big.png"),
    "pdf with /JavaScript": (lambda: make_pdf(extra="/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "a.pdf"),
    "pdf with an escaped /J#61vaScript": (lambda: make_pdf(extra="/OpenAction << /S /J#61vaScript >> "), "a.pdf"),
    "pdf with /JavaScript deflated in an object stream": (
        lambda: make_pdf_objstm(b"2 0 << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"), "a.pdf"),
    "pdf whose stream inflates past the policy's limit": (lambda: make_pdf_objstm(b" " * (3 << 20)), "a.pdf"),
    "png with a bad crc": (lambda: make_png(8, 8)[:-5] + b"\x00" + make_png(8, 8)[-4:], "a.png"),
    "svg": (lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "a.png"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_intake_hostile_upload_refused_nothing_stored(s, intake, kind):
    make, name = HOSTILE[kind]
    data = make()
    db = os.path.join(s.folder, "intake.db")
    before = count(db, "SELECT count(*) FROM files")
    up = Uploader(intake, s.audit)
    r = up.put(data, name)
    if len(data) > 1024 * 1024:
        err(r, "too_large")
    else:
        assert r["type"] == "error", (kind, r)
        assert r["data"]["code"] == "schema", r
        why = {"pdf with /JavaScript deflated in an object stream": "active content",
               "pdf whose stream inflates past the policy's limit": "decompression bomb"}.get(kind)
        assert why is None or why in str(r["data"]), (kind, r)
    assert count(db, "SELECT count(*) FROM files") == before
    assert count(db, "SELECT count(*) FROM files WHERE sha256 = ?", sha(data)) == 0
    assert count(db, "SELECT count(*) FROM file_parts p JOIN file_uploads u ON u.id = p.upload"
                 " WHERE u.sha256 = ?", sha(data)) == 0
    assert count(db, "SELECT count(*) FROM file_uploads WHERE sha256 = ?", sha(data)) == 0


def test_intake_bad_begin_and_append_refused(s, intake):
    up = Uploader(intake, s.audit)
    pdf = make_pdf("begin")
    for name in ("../../etc/passwd", "a\nb.pdf", "..", "dir\\x.pdf"):
        err(up.begin(pdf, name), "schema")
    err(up.begin(pdf, "a\u0000b.pdf"), "malformed")    # the envelope refuses a NUL already
    err(up.begin(pdf, "a.pdf", digest="A" * 64), "schema")
    err(up.begin(pdf, "a.pdf", size=2 * 1024 * 1024), "too_large")
    # a wrong sha256: the bytes do not match at the end, the upload is dropped
    b = ack(up.begin(pdf, "a.pdf", digest=sha(b"other")))
    err(up.append(b["upload"], 0, pdf), "conflict")
    err(intake.call(s.audit, "file.status", {"upload": b["upload"]}), "not_found")
    b = ack(up.begin(pdf, "a.pdf"))
    err(intake.call(s.audit, "file.append", {"upload": b["upload"], "offset": 0, "data": "!!!"}), "schema")
    err(up.append(b["upload"], 0, pdf + b"more"), "schema")     # past the declared size
    assert ack(up.append(b["upload"], 0, pdf))["type"] == "application/pdf"


def test_intake_file_check_finds_a_changed_file(s, intake):
    up = Uploader(intake, s.petition)
    jpg = make_jpeg(payload=os.urandom(3000))
    ack(up.put(jpg, "篡改.jpg"))
    ack(report(s, intake, s.petition, [{"file": "篡改.jpg", "sha256": sha(jpg)}]))
    res = intake.call(s.office, "file.check", {})["data"]
    assert res["mismatched"] == [] and res["missing"] == [] and res["references"] >= 1
    err(intake.call(s.petition, "file.check", {}), "forbidden")
    db = os.path.join(s.folder, "intake.db")
    con = sqlite3.connect(db, timeout=5)
    try:
        with con:
            blob = con.execute("SELECT data FROM file_chunks WHERE sha256 = ? AND n = 0", (sha(jpg),)).fetchone()[0]
            changed = bytes([blob[0] ^ 1]) + blob[1:]
            con.execute("UPDATE file_chunks SET data = ? WHERE sha256 = ? AND n = 0", (changed, sha(jpg)))
        res = intake.call(s.office, "file.check", {})["data"]
        assert res["mismatched"] == [sha(jpg)], res
        err(Uploader(intake, s.office).read(sha(jpg))[0], "internal")
        with con:
            con.execute("UPDATE file_chunks SET data = ? WHERE sha256 = ? AND n = 0", (blob, sha(jpg)))
        assert intake.call(s.office, "file.check", {})["data"]["mismatched"] == []
    finally:
        con.close()


# --- rectify: a claim's files, read as the item is; sign-off on stored files -------------------

def test_rectify_claim_files_access_and_signoff(s, intake):
    rectify = s.client("rectify")
    feed_back(s, intake, [("U-A", "整改佐证测试", "deadline")])
    item = [i for i in items(s, rectify, 1) if i["unit"] == "U-A"][0]["id"]
    due = rectify.call(s.office, "rectify.get", {"item": item})["data"]["due"]
    pdf, png = make_pdf("plan"), make_png(64, 48, seed=5)
    up = Uploader(rectify, s.unit_a)
    ack(up.put(pdf, "整改方案.pdf"))
    got = rectify.call(s.unit_a, "rectify.plan", {"item": item, "evidence": [{"file": "整改方案.pdf", "sha256": sha(pdf)}],
                                                  "measures": [{"text": "建立台账", "owner": "周青", "lead_leader": "李副镇长",
                                                                "deadline": due}]})
    ack(got)
    # a claim on a hash only (from paper): accepted as a claim, but sign-off needs stored files
    ack(rectify.call(s.unit_a, "rectify.claim", {"item": item, "completion": "completed",
                                                 "evidence": [{"file": "纸质验收单", "sha256": "ab" * 32}]}))
    e = rectify.call(s.office, "rectify.review", {"item": item, "decision": "accept"})
    err(e, "conflict")
    ack(rectify.call(s.office, "rectify.review", {"item": item, "decision": "reject", "reason": "请上传验收照片"}))
    ack(up.put(png, "验收照片.png"))
    ack(rectify.call(s.unit_a, "rectify.claim", {"item": item, "completion": "completed",
                                                 "evidence": [{"file": "验收照片.png", "sha256": sha(png)}]}))
    # readers of the item read its files; another unit and a department do not
    for who in (s.office, s.unit_a, s.discipline):
        assert Uploader(rectify, who).read(sha(png))[1] == png
        assert Uploader(rectify, who).read(sha(pdf))[1] == pdf
    err(Uploader(rectify, s.unit_b).read(sha(png))[0], "not_found")
    err(Uploader(rectify, s.dept).read(sha(png))[0], "forbidden")
    assert ack(rectify.call(s.office, "rectify.review", {"item": item, "decision": "accept"}))["state"] == "closed"
    # the signed event of the claim names the file's hash: a changed file is found against it
    events = rectify.call(s.office, "events.read", {"after": 0, "limit": 500})["data"]["events"]
    claimed = [open_message(e["message"].encode(), s.registry, event=True)[1]["data"]
               for e in events if e["type"] == "rectify.claimed"]
    assert any(ev.get("evidence") == [{"file": "验收照片.png", "sha256": sha(png)}] for ev in claimed), claimed


# --- referral: an outcome's files, read as the referral is ------------------------------------

def test_referral_outcome_files(s):
    referral = s.client("referral")
    r = ack(referral.call(s.office, "referral.create", {"kind": "report", "target": "organization-dept",
                                                        "title": "专题报告", "detail": "请处理"}))["referral"]
    ack(referral.call(s.dept, "referral.acknowledge", {"referral": r}))
    ack(referral.call(s.dept, "referral.dispose", {"referral": r, "method": "talk_inquiry", "note": "谈话"}))
    pdf = make_pdf("outcome")
    # referral's policy takes PDFs only: a real PNG is refused by its type, nothing stored
    png = make_png(10, 10, seed=7)
    e = err(Uploader(referral, s.dept).put(png, "照片.png"), "schema")
    assert "image/png" in str(e), e
    ack(Uploader(referral, s.dept).put(pdf, "处理结果.pdf"))
    ack(referral.call(s.dept, "referral.outcome", {
        "referral": r, "case_filed": False, "party_sanctions": 0, "administrative_sanctions": 0,
        "organizational_handling": 0, "detentions": 0, "prosecution_transfers": 0,
        "evidence": [{"file": "处理结果.pdf", "sha256": sha(pdf)}]}))
    assert Uploader(referral, s.office).read(sha(pdf))[1] == pdf
    assert Uploader(referral, s.dept).read(sha(pdf))[1] == pdf
    err(Uploader(referral, s.unit_a).read(sha(pdf))[0], "not_found")
    res = referral.call(s.office, "file.check", {})["data"]
    assert res["files"] == 1 and res["references"] == 1 and not res["missing"] and not res["mismatched"]


# --- xcctl file put|get and audit verify ------------------------------------------------------

def xcctl(s, *args):
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", s.keys["office"], *args],
                          capture_output=True, text=True, timeout=60)


def test_xcctl_file_put_get_and_audit_verify_finds_a_changed_file(s, intake, tmp_path):
    jpg = make_jpeg(payload=os.urandom(300000))          # three append parts
    src = tmp_path / "会议纪要.jpg"
    src.write_bytes(jpg)
    r = xcctl(s, "--json", "file", "put", "--service", "intake", str(src))
    assert r.returncode == 0, r
    assert '"image/jpeg"' in r.stdout and sha(jpg) in r.stdout
    out = tmp_path / "back.jpg"
    r = xcctl(s, "file", "get", "--service", "intake", "--sha256", sha(jpg), "--out", str(out))
    assert r.returncode == 0, r
    assert out.read_bytes() == jpg
    # the petition bureau uploads the same bytes (stored once: complete at once) and reports
    assert ack(Uploader(intake, s.petition).begin(jpg, "会议纪要.jpg"))["complete"]
    ack(report(s, intake, s.petition, [{"file": "会议纪要.jpg", "sha256": sha(jpg)}]))
    r = xcctl(s, "audit", "verify", "intake")
    assert r.returncode == 0, r
    db = os.path.join(s.folder, "intake.db")
    con = sqlite3.connect(db, timeout=5)
    try:
        with con:
            blob = con.execute("SELECT data FROM file_chunks WHERE sha256 = ? AND n = 1", (sha(jpg),)).fetchone()[0]
            con.execute("UPDATE file_chunks SET data = ? WHERE sha256 = ? AND n = 1",
                        (blob[:100] + bytes([blob[100] ^ 0x40]) + blob[101:], sha(jpg)))
        r = xcctl(s, "audit", "verify", "intake")
        assert r.returncode == 5, r
        assert sha(jpg) in r.stderr and "FAILED" in r.stdout
        with con:
            con.execute("UPDATE file_chunks SET data = ? WHERE sha256 = ? AND n = 1", (blob, sha(jpg)))
        assert xcctl(s, "audit", "verify", "intake").returncode == 0
        # a file gone while a record names it: missing
        row = con.execute("SELECT * FROM files WHERE sha256 = ?", (sha(jpg),)).fetchone()
        with con:
            con.execute("DELETE FROM files WHERE sha256 = ?", (sha(jpg),))
        r = xcctl(s, "audit", "verify", "intake")
        assert r.returncode == 5 and "missing" in r.stderr, r
        with con:
            con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)", row)
        assert xcctl(s, "audit", "verify").returncode == 0
    finally:
        con.close()


# --- a crash with uploads in flight -----------------------------------------------------------

def test_sigkill_with_uploads_in_flight_then_each_resumes_and_no_half_file_is_named(tmp_path):
    """Four senders append to four uploads at once, and a fifth reports a problem naming each
    file as soon as it can; intake is killed (SIGKILL) mid-way and started again. Each upload
    resumes from the offset the service kept and completes; no problem ever names a file that
    is not whole (file.check, and each named file read back equal)."""
    senders = {f"s{i}": (f"bureau-{i}", "petition", {}) for i in range(4)}
    suite = Suite(str(tmp_path), ["intake"], {"office": ("office", "office", {}), **senders})
    gen = running_suite(suite)
    next(gen)
    try:
        c = suite.client("intake")
        ack(c.call(suite.office, "unit.register", {"id": UNIT, "name": "测试单位", "level": "town"}))
        files = {k: make_png(220, 160, seed=i + 10) for i, k in enumerate(senders)}
        progress = {k: 0 for k in senders}
        stop = threading.Event()

        def push(key):
            cl = suite.client("intake")
            up = Uploader(cl, getattr(suite, key))
            data = files[key]
            try:
                b = ack(up.begin(data, f"{key}.png"))
                off = b["offset"]
                while off < len(data) and not stop.is_set():
                    r = up.append(b["upload"], off, data[off:off + 2048])
                    off = ack(r)["offset"]
                    progress[key] = off
            except (TimeoutError, AssertionError):
                pass                         # the service went away mid-request

        threads = [threading.Thread(target=push, args=(k,)) for k in senders]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while min(progress.values()) < 8192 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert min(progress.values()) >= 8192, progress
        # a report naming an incomplete upload is refused, whatever the moment
        for k in senders:
            r = report(suite, c, getattr(suite, k), [{"file": f"{k}.png", "sha256": sha(files[k])}])
            assert r["type"] == "error" and r["data"]["code"] == "conflict", r
        d = suite.deployments["intake"]
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(5)
        d.log.close()
        stop.set()
        for t in threads:
            t.join(10)
        assert all(p < len(files[k]) for k, p in progress.items()), progress   # killed in flight
        d.start()
        for k in senders:
            up = Uploader(suite.client("intake"), getattr(suite, k))
            b = ack(up.begin(files[k], f"{k}.png"))
            # resumed, not restarted: at least every acknowledged part is kept
            assert progress[k] <= b["offset"] < len(files[k]) and not b["complete"], (b, progress[k])
            r = ack(up.put(files[k], f"{k}.png", chunk=4096))
            assert r["complete"] and r["offset"] == len(files[k])
            ack(report(suite, c, getattr(suite, k), [{"file": f"{k}.png", "sha256": sha(files[k])}]))
            assert up.read(sha(files[k]))[1] == files[k]
        res = c.call(suite.office, "file.check", {})["data"]
        assert res == {"files": 4, "references": 4, "missing": [], "mismatched": [], "next": None}, res
        # in pages: every file once, in sha256 order
        page1 = c.call(suite.office, "file.check", {"limit": 3})["data"]
        page2 = c.call(suite.office, "file.check", {"limit": 3, "after": page1["next"]})["data"]
        assert (page1["files"], page2["files"], page2["next"]) == (3, 1, None), (page1, page2)
        assert page1["next"] == sorted(sha(f) for f in files.values())[2]
        # an upload never finished is dropped at a file.begin once upload_days (7) have passed
        stale = make_png(50, 50, seed=99)
        up0 = Uploader(c, suite.s0)
        b = ack(up0.begin(stale, "stale.png"))
        ack(up0.append(b["upload"], 0, stale[:1024]))
        db = os.path.join(suite.folder, "intake.db")
        assert count(db, "SELECT count(*) FROM file_parts WHERE upload = ?", b["upload"]) == 1
        later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=8))
        assert c.call(suite.office, "clock.set", {"clock": later.strftime("%Y-%m-%dT%H:%M:%SZ")})["type"] == "result"
        ack(Uploader(c, suite.s1).begin(make_pdf("fresh"), "fresh.pdf"))
        err(c.call(suite.s0, "file.status", {"upload": b["upload"]}), "not_found")
        assert count(db, "SELECT count(*) FROM file_parts WHERE upload = ?", b["upload"]) == 0
    finally:
        for _ in gen:
            pass


# --- a service without a secret_key --------------------------------------------------------------

def test_a_service_without_a_secret_key_starts_and_refuses_files(tmp_path):
    suite = Suite(str(tmp_path), ["intake", "referral"], {"office": ("office", "office", {})})
    del suite.config["services"]["referral"]["secret_key"]
    write_json(suite.config_path, suite.config)
    gen = running_suite(suite)
    next(gen)
    try:
        c = suite.client("referral")
        pdf = make_pdf("nokey")
        e = err(Uploader(c, suite.office).begin(pdf, "a.pdf"), "unavailable")
        assert "secret_key" in str(e), e
        err(c.call(suite.office, "file.read", {"sha256": sha(pdf)}), "unavailable")
        assert c.call(suite.office, "file.check", {})["data"]["files"] == 0
        assert c.call(suite.office, "health", {})["type"] == "result"
    finally:
        for _ in gen:
            pass


def test_a_team_reads_its_rounds_files_and_another_team_does_not(s, intake):
    """A team's report in its round names a photo: the team and the office read it; another team
    does not, not even after beginning the same file (being an uploader gives reading only while
    no record names the file)."""
    day = lambda n: str(datetime.date.today() + datetime.timedelta(days=n))
    ack(intake.call(s.office, "round.open", {
        "id": "R-FILES", "name": "附件轮次", "kind": "regular", "team": "team-1",
        "targets": [{"unit": UNIT, "coverage": "main"}], "planned_start": day(-30),
        "planned_end": day(30), "date": day(-30)}))
    ack(intake.call(s.office, "round.advance", {"round": "R-FILES", "stage": "stationed", "date": day(-20)}))
    photo = make_png(120, 90, seed=31)
    assert ack(Uploader(intake, s.team).put(photo, "现场.png"))["complete"]
    ack(intake.call(s.team, "problem.report", {
        "round": "R-FILES", "unit": UNIT, "category": "public_concerns", "summary": "现场照片",
        "detail": "见照片", "severity": "serious", "source": "inspection_team",
        "evidence": [{"file": "现场.png", "sha256": sha(photo)}]}))
    for reader in (s.team, s.office):
        assert Uploader(intake, reader).read(sha(photo))[1] == photo
    other = Uploader(intake, s.team2)
    err(intake.call(s.team2, "file.read", {"sha256": sha(photo)}), "not_found")
    assert ack(other.begin(photo, "别人的.png"))["complete"]       # stored: complete at once
    err(intake.call(s.team2, "file.read", {"sha256": sha(photo)}), "not_found")


# --- a backup holds the files (docs/deploy.md) ---------------------------------------------------

def test_an_online_backup_holds_the_files_and_restores_them(tmp_path):
    """The files live in the service's own store, so its online backup (SQLite's backup API, as
    docs/deploy.md takes it while the service runs) holds them: the store restored from the
    backup serves the same bytes, file.check finds every referenced file whole, and the problem
    still names it."""
    suite = Suite(str(tmp_path), ["intake"], {"office": ("office", "office", {}),
                                              "petition": ("petition-bureau", "petition", {})})
    gen = running_suite(suite)
    next(gen)
    try:
        c = suite.client("intake")
        ack(c.call(suite.office, "unit.register", {"id": UNIT, "name": "测试单位", "level": "town"}))
        photo, scan = make_png(300, 200, seed=7), make_pdf("backup")
        up = Uploader(c, suite.petition)
        for data, name in ((photo, "现场.png"), (scan, "材料.pdf")):
            assert ack(up.put(data, name))["complete"]
        problem = ack(report(suite, c, suite.petition, [{"file": "现场.png", "sha256": sha(photo)},
                                                       {"file": "材料.pdf", "sha256": sha(scan)}]))["problem"]
        db = os.path.join(suite.folder, "intake.db")
        copy = os.path.join(suite.folder, "intake-backup.db")
        src, dst = sqlite3.connect(db), sqlite3.connect(copy)
        try:
            src.backup(dst)                  # online: the service keeps running meanwhile
        finally:
            src.close()
            dst.close()
        # the volume is lost: the service stops, its store is replaced by the backup
        d = suite.deployments["intake"]
        assert d.end_process() == 0
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        os.rename(copy, db)
        d.start()
        for data in (photo, scan):
            meta, got = Uploader(c, suite.office).read(sha(data))
            assert got == data, meta
        res = c.call(suite.office, "file.check", {})["data"]
        assert res == {"files": 2, "references": 2, "missing": [], "mismatched": [], "next": None}, res
        got = c.call(suite.office, "problem.get", {"problem": problem})
        assert got["type"] == "result", got
        named = got["data"]["evidence"]
        assert sorted(e["sha256"] for e in named) == sorted([sha(photo), sha(scan)])
    finally:
        for _ in gen:
            pass
