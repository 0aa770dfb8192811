"""A store that is locked, full or read-only: the service answers a transient error, writes
nothing, keeps answering queries, and accepts the same command once the condition clears."""
import hashlib
import os
import sqlite3
import subprocess

import pytest

import xcwire
from conftest import Suite, running_suite


@pytest.fixture
def suite(tmp_path):
    yield from running_suite(Suite(str(tmp_path), ["intake"], {"office": ("office", "office", {})}))


def snapshot(path, conn=None):
    """A digest of every table's rows (read-only; conn: an open connection to read through)."""
    own = conn is None
    if own:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]   # FTS5: its shadow tables are read
        h = hashlib.sha256()
        for t in tables:
            for row in conn.execute(f'SELECT * FROM "{t}" ORDER BY 1, 2'):
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        if own:
            conn.close()


def register(n):
    return {"id": f"FAULT-{n}", "name": "故障测试单位", "level": "town"}


def send(client, frame, body, timeout=15.0):
    return client.request(frame, body, timeout=timeout)


def units(client, signer):
    page = client.call(signer, "unit.list", {"limit": 500})
    assert page["type"] == "result", page
    return sorted(u["id"] for u in page["data"]["items"])


def recovers(s, client, frame, body):
    """The same bytes, resent, are accepted once; a further resend is a duplicate."""
    reply = send(client, frame, body)
    assert reply["type"] == "ack" and reply["data"]["status"] == "accepted", reply
    again = send(client, frame, body)
    assert again["type"] == "ack" and again["data"]["status"] == "duplicate", again
    assert units(client, s.office).count(body["data"]["id"]) == 1


def refused_unavailable(s, client, db, before):
    """A command while the store cannot be written: `unavailable`, queries go on meanwhile, and
    nothing was written. Its (frame, body), to be resent once the condition clears."""
    frame, body = xcwire.seal(s.office, "intake", "unit.register", register(2))
    reply = send(client, frame, body)
    assert reply["type"] == "error" and reply["data"]["code"] == "unavailable", reply
    assert units(client, s.office) == ["FAULT-1"]
    assert snapshot(db) == before
    return frame, body


def test_locked_store_answers_busy_and_recovers(suite):
    s = suite
    db = os.path.join(s.folder, "intake.db")
    client = s.client("intake")
    assert send(client, *xcwire.seal(s.office, "intake", "unit.register", register(1)))["type"] == "ack"
    lock = sqlite3.connect(db, timeout=1, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")           # another process holds the write lock
        before = snapshot(db, lock)
        frame, body = xcwire.seal(s.office, "intake", "unit.register", register(2))
        reply = send(client, frame, body)         # the service waits its busy timeout, then
        assert reply["type"] == "error" and reply["data"]["code"] == "busy", reply
        assert snapshot(db, lock) == before
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    recovers(s, client, frame, body)


def test_full_store_answers_unavailable_and_recovers(suite):
    """A file size limit set on the running service (prlimit): every write past it fails with
    EFBIG, as on a full disk."""
    s = suite
    db = os.path.join(s.folder, "intake.db")
    client = s.client("intake")
    assert send(client, *xcwire.seal(s.office, "intake", "unit.register", register(1)))["type"] == "ack"
    pid = s.deployments["intake"].proc.pid
    before = snapshot(db)
    # the soft limit only, so that it may be raised again without privileges
    subprocess.run(["prlimit", f"--pid={pid}", "--fsize=512:unlimited"], check=True, timeout=10)
    try:
        frame, body = refused_unavailable(s, client, db, before)
    finally:
        subprocess.run(["prlimit", f"--pid={pid}", "--fsize=unlimited:unlimited"], check=True, timeout=10)
    recovers(s, client, frame, body)
    assert "commit of" in s.deployments["intake"].log_tail() or "unavailable" in s.deployments["intake"].log_tail()


def immutable_fault_missing(folder):
    """Why the read-only fault cannot be produced in folder, or None when it can: chattr +i on a
    file there must make a write through a descriptor opened before it fail, as the service's
    open database is written. It does not without root, without CAP_LINUX_IMMUTABLE (a
    container's default) or where the file system ignores the flag for open files (tmpfs)."""
    if os.geteuid() != 0:
        return "needs root: chattr +i makes the files read-only even to a process that has them open"
    fstype = subprocess.run(["stat", "-f", "-c", "%T", folder], capture_output=True, text=True,
                            timeout=10).stdout.strip() or "unknown"
    probe = os.path.join(folder, "immutable-probe")
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"before")
        try:
            made = subprocess.run(["chattr", "+i", probe], capture_output=True, text=True, timeout=10)
        except FileNotFoundError:
            return "chattr is not installed (e2fsprogs)"
        if made.returncode != 0:
            return (f"chattr +i fails in {folder} ({fstype}): {made.stderr.strip()} "
                    "(no CAP_LINUX_IMMUTABLE, or a file system without the flag)")
        try:
            os.pwrite(fd, b"after", 0)
            os.fsync(fd)
        except OSError:
            return None
        finally:
            subprocess.run(["chattr", "-i", probe], capture_output=True, timeout=10)
        return (f"chattr +i does not stop writes through an open file in {folder} ({fstype}); "
                "set TMPDIR to a folder on a disk file system such as ext4")
    finally:
        os.close(fd)
        os.unlink(probe)


def test_read_only_store_answers_unavailable_and_recovers(suite):
    s = suite
    missing = immutable_fault_missing(s.folder)
    if missing:
        pytest.skip(missing)
    db = os.path.join(s.folder, "intake.db")
    client = s.client("intake")
    assert send(client, *xcwire.seal(s.office, "intake", "unit.register", register(1)))["type"] == "ack"
    files = [p for p in (db, db + "-wal") if os.path.exists(p)]
    before = snapshot(db)
    subprocess.run(["chattr", "+i", *files], check=True, timeout=10)
    try:
        frame, body = refused_unavailable(s, client, db, before)
    finally:
        subprocess.run(["chattr", "-i", *files], check=True, timeout=10)
    recovers(s, client, frame, body)
