"""Evidence files (docs/files.md) in real xc-intake, xc-rectify and xc-referral processes over
ZeroMQ: upload and read back, resume after a break, access as the record's, hostile uploads
refused with nothing stored, a changed file found by file.check and xcctl audit verify, a
crash with uploads in flight, and sign-off requiring stored files.

One suite of services for the whole file (module scope): each test uses its own files.
"""

import base64
import os
import sqlite3
import time

import pytest

from conftest import Suite, running_suite
from fileslib import Uploader, make_jpeg, make_pdf, make_png, make_zip_bomb, sha

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
    suite = Suite(folder, ["intake"], {
        "office": ("office", "office", {}),
        "petition": ("petition-bureau", "petition", {}),
        "other": ("other-bureau", "petition", {}),
        "audit": ("audit-bureau", "audit", {}),
    }, policies={"intake": {"files": {"max_bytes": 1024 * 1024}}})
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
