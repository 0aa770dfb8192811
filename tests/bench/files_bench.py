#!/usr/bin/env python3
"""Issue 24 through the gateway: evidence files up and down, and 码上巡's public reports.

    real xc-intake (tests/python/conftest.py's Suite, its secret_key: it keeps files) and the real
    xc-gateway in front of it (tests/python/gatewaylib.py's Gateway) holding the `public`
    principal's key (services.gateway.public, as tests/python/test_public_gateway.py sets it),
    spoken to over HTTP/1.1 with one keep-alive requests.Session from 127.0.0.1, one request in
    flight, each answer read and checked before the next is sent. The gateway's per-address
    limits (`limits`, the public channel's per-minute and per-hour counts, the burst count) are
    raised so that one client is never refused; everything else is the default.

    files_upload_mb_per_s: one 10 MiB JPEG (tiny: 512 KiB; a real JPEG's structure around random
    scan data, the kind of bytes a photo is) uploaded to intake as team-1: a signed `file.begin`,
    then signed `file.append`s of chunk_bytes (128 KiB, the policy's default) through
    `POST /v1/intake`, every reply's signature verified with intake's key from /v1/keys and its
    offset checked; the last one must say complete, image/jpeg. MB/s (10^6 bytes) over the whole
    upload, begin included.
    files_download_mb_per_s: the same file read back through `POST /v1/files/intake`, a signed
    `file.read` per piece from `offset` (read_bytes, 128 KiB), each answered 206 with its raw bytes
    and Content-Range (200 if one piece held the whole file); the next offset is the range's end
    + 1. The bytes must equal the file and every X-Xc-Sha256 its SHA-256. MB/s the same way.
    Floor of both: signed `file.status` round trips of the same upload through `POST /v1/intake`
    (replies verified the same way), as many as there are chunks (at least 40), their rate
    times chunk_bytes: what the chunks would cost the same client, the gateway and intake if
    they carried nothing. The ratio is value / floor (higher_is_better): the share of a bare
    round trip's rate that a 128 KiB chunk keeps.

    public_report_ms_p50 / _p99: `POST /v1/public/report` (no contact, no evidence), N reports
    (tiny: 5, full: 100), each with its own 16-digit receipt code; timed from the send until
    the answer is read. Before each, `GET /v1/public/pow` and the proof of work solved in Python
    by the page's rule (SHA-256(challenge ":" nonce) with `bits` leading zero bits), outside the
    clock: the bench's gateway asks for pow_bits 8 (the default is 18, a phone's second or two),
    and so does its burst level. Each answer must be 200 with an acknowledgement that verifies
    with intake's key, answers the id derived from the code's Argon2id hash (computed here with
    PyNaCl at the gateway's cost), is accepted, and names R-1, U-A and a problem no other report
    got. The time holds the gateway's Argon2id of the code (pwhash_ops 2 = libsodium's
    OPSLIMIT_INTERACTIVE, pwhash_mem_bytes 16 MiB, the defaults, set explicitly here) and
    intake's durable commit of the problem. Floor: `GET /v1/public/info?round=R-1&unit=U-A`,
    interleaved with the reports (one before each), the same percentile: a request the gateway
    signs as `public` and intake answers, with no hash and no commit; its reply must verify.
    A comment gives the Argon2id cost at the same parameters in PyNaCl (libsodium, as the
    gateway's), measured while verifying the acknowledgements.
XC_BENCH_TINY=1: a 512 KiB file, 5 reports.
Exit status 1 when an answer is wrong or a process does not exit cleanly.
"""

import base64
import datetime
import hashlib
import json
import os
import re
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import (REPO, TINY, bench, comment, load_average, percentile, report_wrong,  # noqa: E402
                      run_suite_bench)

FILE_BYTES = (512 << 10) if TINY else (10 << 20)
CHUNK = 128 << 10                       # policies.intake.files.chunk_bytes and read_bytes: the defaults
REPORTS = 5 if TINY else 100
POW_BITS = 8
PWHASH_OPS, PWHASH_MEM = 2, 16 << 20    # the gateway's defaults, written into its config below
JOSE = "application/jose+json"
RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def local_day(offset):
    return (datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
            + datetime.timedelta(days=offset))


def make_photo(size):
    """A JPEG of exactly size bytes: fileslib's structure around random scan data with no 0xFF
    byte (so nothing is stuffed and the length is known)."""
    from fileslib import make_jpeg
    frame = len(make_jpeg(payload=b""))
    scan = os.urandom(size - frame).replace(b"\xff", b"\xfe")
    out = make_jpeg(width=640, height=480, payload=scan)
    assert len(out) == size, (len(out), size)
    return out


def cpu_s(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Cpu:
    """CPU seconds of the gateway, intake and this client between start and stop."""

    def __init__(self, pids):
        self.pids = pids

    def __enter__(self):
        self.t0 = {n: cpu_s(p) for n, p in self.pids.items()}
        self.c0 = sum(os.times()[:2])
        return self

    def __exit__(self, *exc):
        self.used = {n: cpu_s(p) - self.t0[n] for n, p in self.pids.items()}
        self.used["client"] = sum(os.times()[:2]) - self.c0

    def text(self):
        return ", ".join(f"{n} {v:.2f} s" for n, v in self.used.items())


class Signed:
    """Signed requests of one principal through the gateway, every reply verified."""

    def __init__(self, g, who):
        self.g, self.who = g, who

    def call(self, type_, data, expect="ack"):
        from gatewaylib import open_reply
        frame, id_ = self.who.seal("intake", type_, data)
        r = self.g.post("intake", frame, timeout=30)
        if r.headers.get("Content-Type") != JOSE:
            raise AssertionError(f"{type_}: HTTP {r.status_code} {r.headers.get('Content-Type')}: {r.text[:300]}")
        body = open_reply(r.content, self.g.jwks, "intake", self.who.iss, id_)
        if body["type"] != expect:
            raise AssertionError(f"{type_}: {body['type']} {json.dumps(body['data'], ensure_ascii=False)[:300]}")
        return body["data"]["result"] if expect == "ack" else body["data"]


def files_part(s, g, wrong):
    from gatewaylib import department
    team = Signed(g, department(s, "team"))
    photo = make_photo(FILE_BYTES)
    digest = hashlib.sha256(photo).hexdigest()
    pids = {"gateway": g.proc.pid, "intake": s.deployments["intake"].proc.pid}
    chunks = -(-len(photo) // CHUNK)

    begun = team.call("file.begin", {"name": "现场照片.jpg", "size": len(photo), "sha256": digest})
    if begun["offset"] != 0 or begun["complete"] or begun["chunk_bytes"] != CHUNK:
        raise AssertionError(f"file.begin: {begun}")
    upload = begun["upload"]

    # the floor: bare signed file.status round trips of this upload
    rounds = max(chunks, 40)
    t = time.monotonic()
    for _ in range(rounds):
        st = team.call("file.status", {"upload": upload}, expect="result")
        if st["offset"] != 0 or st["complete"] or st["size"] != len(photo) or st["sha256"] != digest:
            raise AssertionError(f"file.status: {st}")
    status_s = time.monotonic() - t
    floor = rounds / status_s * CHUNK / 1e6
    comment(f"{rounds} signed file.status round trips through the gateway: {status_s * 1000 / rounds:.2f} ms each "
            f"({rounds / status_s:.0f}/s; x {CHUNK} bytes = {floor:.2f} MB/s, the floor)")

    # the upload: begin (again: the same upload, resumed at 0) and every append
    with Cpu(pids) as cpu:
        t = time.monotonic()
        again = team.call("file.begin", {"name": "现场照片.jpg", "size": len(photo), "sha256": digest})
        if again["upload"] != upload or again["offset"] != 0:
            raise AssertionError(f"file.begin again: {again}")
        offset, last = 0, None
        while offset < len(photo):
            piece = photo[offset:offset + CHUNK]
            last = team.call("file.append", {"upload": upload, "offset": offset,
                                             "data": base64.b64encode(piece).decode()})
            if last["offset"] != offset + len(piece):
                raise AssertionError(f"file.append at {offset}: {last}")
            offset = last["offset"]
        up_s = time.monotonic() - t
    if not last["complete"] or last.get("type") != "image/jpeg":
        raise AssertionError(f"the last file.append: {last}")
    up = len(photo) / up_s / 1e6
    comment(f"upload: {len(photo)} bytes in {chunks} file.append of {CHUNK} bytes in {up_s:.2f} s "
            f"({up_s * 1000 / (chunks + 1):.1f} ms a request); CPU {cpu.text()}; load average {load_average()}")

    # the download: signed file.read pieces through /v1/files/intake, raw bytes
    with Cpu(pids) as cpu:
        t = time.monotonic()
        got, offset, pieces = bytearray(), 0, 0
        while True:
            frame, _ = team.who.seal("intake", "file.read", {"sha256": digest, "offset": offset})
            r = g.http.post(f"{g.base}/v1/files/intake", data=frame, headers={"Content-Type": JOSE}, timeout=30)
            pieces += 1
            if r.status_code not in (200, 206) or r.headers.get("X-Xc-Sha256") != digest \
                    or r.headers.get("Content-Type") != "image/jpeg":
                raise AssertionError(f"file.read at {offset}: HTTP {r.status_code} {dict(r.headers)} {r.content[:200]!r}")
            if r.status_code == 200:
                if offset != 0:
                    raise AssertionError(f"file.read at {offset}: 200, the whole file, after pieces")
                got += r.content
                break
            m = RANGE.match(r.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != offset or int(m.group(3)) != len(photo) \
                    or int(m.group(2)) - offset + 1 != len(r.content):
                raise AssertionError(f"file.read at {offset}: Content-Range {r.headers.get('Content-Range')!r}, "
                                     f"{len(r.content)} bytes")
            got += r.content
            offset = int(m.group(2)) + 1
            if offset == len(photo):
                break
        down_s = time.monotonic() - t
    if bytes(got) != photo:
        raise AssertionError(f"the file read back differs ({len(got)} bytes, sha256 {hashlib.sha256(got).hexdigest()})")
    down = len(photo) / down_s / 1e6
    comment(f"download: {len(photo)} bytes in {pieces} pieces in {down_s:.2f} s "
            f"({down_s * 1000 / pieces:.1f} ms a piece), equal to the file; CPU {cpu.text()}; "
            f"load average {load_average()}")
    bench("files_upload_mb_per_s", round(up, 2), "MB/s", round(floor, 2), higher_is_better=True)
    bench("files_download_mb_per_s", round(down, 2), "MB/s", round(floor, 2), higher_is_better=True)


def code_hash(code):
    """The receipt code's hash as the gateway makes it (docs/services/gateway.md): Argon2id at
    the gateway's cost, salt the first 16 bytes of SHA-256("xuncha receipt " + deployment)."""
    import nacl.pwhash
    salt = hashlib.sha256(b"xuncha receipt pytest").digest()[:16]
    return nacl.pwhash.argon2id.kdf(32, code.encode(), salt, opslimit=PWHASH_OPS, memlimit=PWHASH_MEM)


def public_part(s, g, wrong):
    from gatewaylib import open_reply
    http = g.http
    info_ms, report_ms, hash_ms, problems = [], [], [], set()
    for i in range(REPORTS):
        t = time.monotonic()
        r = http.get(f"{g.base}/v1/public/info?round=R-1&unit=U-A", timeout=30)
        info_ms.append((time.monotonic() - t) * 1000)
        if r.status_code != 200 or r.headers.get("Content-Type") != JOSE:
            raise AssertionError(f"public/info: HTTP {r.status_code} {r.text[:300]}")
        # the gateway chose the request's id: the reply's corr is taken as it says, the rest checked
        m = json.loads(r.content)
        corr = json.loads(base64.urlsafe_b64decode(m["payload"] + "=" * (-len(m["payload"]) % 4)))["corr"]
        info = open_reply(r.content, g.jwks, "intake", "public", corr)
        if info["type"] != "result" or info["data"]["round"]["id"] != "R-1" or info["data"]["open"] is not True:
            raise AssertionError(f"public/info: {info}")

        pow_ = http.get(f"{g.base}/v1/public/pow", timeout=30).json()
        if pow_["bits"] != POW_BITS:
            raise AssertionError(f"public/pow: {pow_}")
        nonce = next(n for n in range(1 << 24) if int.from_bytes(hashlib.sha256(
            f"{pow_['challenge']}:{n}".encode()).digest(), "big") >> (256 - pow_["bits"]) == 0)
        code = "".join(str(b % 10) for b in os.urandom(16))
        body = json.dumps({"round": "R-1", "unit": "U-A", "text": f"基准第{i}条：路灯坏了。", "code": code,
                           "pow": {"challenge": pow_["challenge"], "nonce": str(nonce)}},
                          ensure_ascii=False).encode()
        t = time.monotonic()
        r = http.post(f"{g.base}/v1/public/report", data=body, headers={"Content-Type": "application/json"},
                      timeout=30)
        report_ms.append((time.monotonic() - t) * 1000)
        if r.status_code != 200:
            raise AssertionError(f"public/report {i}: HTTP {r.status_code} {r.text[:300]}")
        t = time.perf_counter()
        h = bytearray(code_hash(code)[:16])
        hash_ms.append((time.perf_counter() - t) * 1000)
        h[6] = 0x80 | (h[6] & 0x0F)
        h[8] = 0x80 | (h[8] & 0x3F)
        ack = open_reply(r.json()["acknowledgement"].encode(), g.jwks, "intake", "public", str(uuid.UUID(bytes=bytes(h))))
        res = ack["data"].get("result") or {}
        if ack["type"] != "ack" or ack["data"]["status"] != "accepted" or res.get("round") != "R-1" \
                or res.get("unit") != "U-A" or not res.get("problem") or res["problem"] in problems:
            raise AssertionError(f"public/report {i}: {ack}")
        problems.add(res["problem"])
    comment(f"{REPORTS} public reports, each acknowledged, verified and a problem of its own; "
            f"pow_bits {POW_BITS} (the default is 18); load average {load_average()}")
    comment(f"Argon2id at the gateway's cost (ops {PWHASH_OPS}, mem {PWHASH_MEM >> 20} MiB) in PyNaCl, "
            f"{len(hash_ms)} codes: p50 {percentile(hash_ms, 50):.1f} ms, max {max(hash_ms):.1f} ms; "
            f"report p50 - info p50 = {percentile(report_ms, 50) - percentile(info_ms, 50):.1f} ms")
    bench("public_report_ms_p50", round(percentile(report_ms, 50), 2), "ms", round(percentile(info_ms, 50), 2))
    bench("public_report_ms_p99", round(percentile(report_ms, 99), 2), "ms", round(percentile(info_ms, 99), 2))


def main():
    sys.path.insert(0, os.path.join(REPO, "tests", "python"))
    from checks import ok
    from conftest import Suite, write_json
    from gatewaylib import Gateway

    wrong = []

    def run(folder, holder):
        s = Suite(folder, ["intake"], {"office": ("office", "office", {"units": ["*"]}),
                                      "team": ("team-1", "team", {"units": ["*"]}),
                                      "public": ("public", "public", {})})
        holder["suite"] = s
        write_json(os.path.join(folder, "public.jwk"), s.public.private_jwk(), 0o600)
        s.start()
        o, intake = s.office, s.client("intake")
        ok(intake.call(o, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
        ok(intake.call(o, "round.open", {
            "id": "R-1", "name": "十一届第一轮", "kind": "regular", "team": "team-1",
            "targets": [{"unit": "U-A", "coverage": "main"}],
            "planned_start": str(local_day(-3)), "planned_end": str(local_day(30)), "date": str(local_day(-4))}))
        ok(intake.call(o, "round.advance", {"round": "R-1", "stage": "stationed", "date": str(local_day(-3))}))
        g = Gateway(s, reply_timeout_ms=30000, extra={
            "limits": {"requests_per_second": 1000000, "burst": 1000000},
            "public": {"key": "public.jwk", "base_url": "https://xc.example.cn",
                       "pwhash_ops": PWHASH_OPS, "pwhash_mem_bytes": PWHASH_MEM,
                       "pow_bits": POW_BITS, "pow_bits_burst": POW_BITS, "burst_reports_per_minute": 1000000,
                       "requests_per_minute": 1000000, "reports_per_hour": 1000000}})
        try:
            comment(f"files: {FILE_BYTES} bytes in {CHUNK}-byte chunks; public reports: {REPORTS}")
            for part in (files_part, public_part):
                try:
                    part(s, g, wrong)
                except Exception as e:      # noqa: BLE001 - each part's failure is reported, the other still runs
                    wrong.append(f"{part.__name__}: {type(e).__name__}: {e}")
        finally:
            status = g.stop()
            if status != 0:
                wrong.append(f"xc-gateway exit status {status}:\n{g.log_tail(20)}")

    run_suite_bench("xc-files-bench-", run, wrong)
    return report_wrong(wrong)


if __name__ == "__main__":
    sys.exit(main())
