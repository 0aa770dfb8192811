"""码上巡 through the gateway (docs/services/gateway.md, "The public channel"): the real
xc-gateway holding the public principal's key in front of the real xc-intake, spoken to with
http.client as a phone would, no sign-in. One world for the file; each test speaks from its own
loopback address (127.0.0.N), so the per-address limits of one test do not touch another."""

import base64
import datetime
import glob
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import time
import uuid

import nacl.pwhash
import pytest

from checks import ok
from conftest import Suite, write_json
from fileslib import make_png
from gatewaylib import Gateway, open_reply, stopped_at_end, unb64u

BASE_URL = "https://xc.example.cn"
POW_BITS, POW_BITS_BURST, BURST = 8, 11, 4
CODES = {}                                      # code -> what the report answered


def local_day(offset):
    return (datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
            + datetime.timedelta(days=offset))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("pubgw"))
    s = Suite(folder, ["intake"], {"office": ("office", "office", {"units": ["*"]}),
                                  "team": ("team-1", "team", {"units": ["*"]}),
                                  "public": ("public", "public", {})})
    write_json(os.path.join(folder, "public.jwk"), s.public.private_jwk(), 0o600)
    s.start()
    try:
        o, intake = s.office, s.client("intake")
        for u in ({"id": "U-A", "name": "青石镇", "level": "town"},
                  {"id": "U-B", "name": "市教育局", "level": "city_department"}):
            ok(intake.call(o, "unit.register", u))
        ok(intake.call(o, "round.open", {
            "id": "R-1", "name": "十一届第一轮", "kind": "regular", "team": "team-1",
            "targets": [{"unit": "U-A", "coverage": "main"}],
            "planned_start": str(local_day(-3)), "planned_end": str(local_day(30)),
            "date": str(local_day(-4))}))
        ok(intake.call(o, "round.advance", {"round": "R-1", "stage": "stationed",
                                            "date": str(local_day(-3))}))
        g = Gateway(s, extra={"public": {
            "key": "public.jwk", "base_url": BASE_URL, "pow_bits": POW_BITS,
            "pow_bits_burst": POW_BITS_BURST, "burst_reports_per_minute": BURST,
            "requests_per_minute": 40, "receipts_per_minute": 4, "reports_per_hour": 6,
            "upload_bytes_per_hour": 300000}})
        with stopped_at_end(g):
            yield s, g
    finally:
        status = s.stop_and_report()
    assert all(v == 0 for v in status.values()), status


# --- a phone's client ---------------------------------------------------------------------

def request(g, method, path, body=None, src="127.0.0.2", ctype="application/json", raw=None):
    host, port = g.ready["http"].rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=15, source_address=(src, 0))
    try:
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode()
                                           if body is not None else None)
        headers = {"Content-Type": ctype} if data is not None else {}
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def problem(answer, status, code=None):
    st, headers, body = answer
    assert st == status, (st, body)
    assert headers["content-type"] == "application/problem+json", headers
    p = json.loads(body)
    assert p["status"] == status and p["title"] and p["detail"], p
    assert any("\u4e00" <= ch <= "\u9fff" for ch in p["title"]), p     # a Chinese title
    if code:
        assert p["type"] == f"urn:xuncha:gateway:{code}", p
    return p


def solve(g, src):
    st, headers, body = request(g, "GET", "/v1/public/pow", src=src)
    assert st == 200 and headers["content-type"] == "application/json", (st, body)
    ch = json.loads(body)
    assert set(ch) == {"challenge", "bits", "expires"} and ch["expires"] > time.time(), ch
    for n in range(10_000_000):
        h = hashlib.sha256(f"{ch['challenge']}:{n}".encode()).digest()
        if int.from_bytes(h, "big") >> (256 - ch["bits"]) == 0:
            return {"challenge": ch["challenge"], "nonce": str(n)}, ch["bits"]
    raise AssertionError("no nonce")


def code_hash(code):
    salt = hashlib.sha256(b"xuncha receipt pytest").digest()[:16]
    return nacl.pwhash.argon2id.kdf(32, code.encode(), salt,
                                    opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                                    memlimit=16 << 20)


def new_code():
    return "".join(str(b % 10) for b in os.urandom(16))


def report(g, code, src, text="村口垃圾长期无人清运，气味很大。", unit="U-A", **extra):
    pow_, _ = solve(g, src)
    return request(g, "POST", "/v1/public/report", {
        "round": "R-1", "unit": unit, "text": text, "code": code, "pow": pow_, **extra}, src=src)


def verify_ack(g, ack_text, code):
    """The acknowledgement verifies with intake's key from /v1/keys, answers the id derived
    from the code's hash, and was signed for the public principal: its body."""
    h = code_hash(code)
    b = bytearray(h[:16])
    b[6] = 0x80 | (b[6] & 0x0F)
    b[8] = 0x80 | (b[8] & 0x3F)
    return open_reply(ack_text.encode(), g.jwks, "intake", "public", str(uuid.UUID(bytes=bytes(b))))


# --- the tests ---------------------------------------------------------------------------------

def test_a_report_with_a_solved_pow_gets_a_signed_acknowledgement_and_the_same_code_the_same(world):
    s, g = world
    code = new_code()
    st, headers, body = report(g, code, "127.0.0.3")
    assert st == 200 and headers["content-type"] == "application/json", (st, body)
    assert headers["cache-control"] == "no-store"
    ack = json.loads(body)
    assert set(ack) == {"acknowledgement"}
    reply = verify_ack(g, ack["acknowledgement"], code)
    assert reply["type"] == "ack" and reply["data"]["status"] == "accepted", reply
    result = reply["data"]["result"]
    assert result["round"] == "R-1" and result["unit"] == "U-A" and result["problem"], result
    CODES[code] = result
    # the reporter who lost the answer sends the same report with the same code again
    st, _, body = report(g, code, "127.0.0.3")
    assert st == 200, body
    again = verify_ack(g, json.loads(body)["acknowledgement"], code)
    assert again["data"]["status"] == "duplicate" and again["data"]["result"] == result, again
    # one problem, from the public channel
    got = ok(s.client("intake").call(s.office, "problem.get", {"problem": result["problem"]}))
    assert got["source"] == "public" and got["reported_by"] == "public", got


def test_the_receipt_code_is_in_no_store_and_no_log(world):
    s, g = world
    code = new_code()
    st, _, body = report(g, code, "127.0.0.4", text="路灯坏了三个月没人修。")
    assert st == 200, body
    st, _, body = request(g, "POST", "/v1/public/receipt",
                          {"code": code, "pow": solve(g, "127.0.0.4")[0]}, src="127.0.0.4")
    assert st == 200, body
    for path in glob.glob(os.path.join(s.folder, "*")):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            assert code.encode() not in data, path
            assert code.encode("utf-16-le") not in data, path


def test_receipt_lookup_and_guessing_limited(world):
    s, g = world
    code = new_code()
    assert report(g, code, "127.0.0.5")[0] == 200
    src = "127.0.0.6"
    st, headers, body = request(g, "POST", "/v1/public/receipt",
                                {"code": code, "pow": solve(g, src)[0]}, src=src)
    assert st == 200 and headers["content-type"] == "application/jose+json", (st, body)
    payload = json.loads(body)
    assert payload["protected"] and payload["signature"]
    # guessing: receipts_per_minute is 4 from one address, then 429 with Retry-After
    answers = [request(g, "POST", "/v1/public/receipt",
                       {"code": new_code(), "pow": solve(g, src)[0]}, src=src) for _ in range(4)]
    assert answers[-1][0] == 429, [a[0] for a in answers]
    p = problem(answers[-1], 429, "too-many-requests")
    assert 1 <= int(answers[-1][1]["retry-after"]) <= 60, answers[-1][1]
    assert p


def test_a_bad_expired_or_reused_pow_is_refused(world):
    s, g = world
    src = "127.0.0.7"
    base = {"round": "R-1", "unit": "U-A", "text": "测试", "code": new_code()}
    pow_, bits = solve(g, src)
    assert bits == POW_BITS or bits == POW_BITS_BURST
    # tampered: another expiry under the same mac
    parts = pow_["challenge"].split(".")
    forged = ".".join([parts[0], str(int(parts[1]) + 3600)] + parts[2:])
    problem(request(g, "POST", "/v1/public/report", {**base, "pow": {**pow_, "challenge": forged}},
                    src=src), 400, "pow-invalid")
    # unsolved: a nonce that does not give the zero bits (found by trying)
    n = 0
    while int.from_bytes(hashlib.sha256(f"{pow_['challenge']}:{n}".encode()).digest(), "big") >> (256 - bits) == 0:
        n += 1
    problem(request(g, "POST", "/v1/public/report", {**base, "pow": {**pow_, "nonce": str(n)}},
                    src=src), 400, "pow-unsolved")
    problem(request(g, "POST", "/v1/public/report", {**base, "pow": {**pow_, "nonce": "-1"}},
                    src=src), 400, "pow-invalid")
    # used once
    st, _, body = request(g, "POST", "/v1/public/receipt", {"code": base["code"], "pow": pow_}, src=src)
    assert st == 404, (st, body)                  # solved, and intake knows no such code
    problem(request(g, "POST", "/v1/public/receipt", {"code": base["code"], "pow": pow_}, src=src),
            400, "pow-used")
    # expired: a challenge made with the key another gateway of the deployment derives from
    # the public key's seed, an hour ago (so its mac is good: the gateways share the key)
    seed = unb64u(s.public.private_jwk()["d"])
    key = hmac.new(seed, b"xuncha public pow challenge", hashlib.sha256).digest()
    text = f"x1.{int(time.time()) - 3600}.0.{os.urandom(16).hex()}"
    expired = f"{text}.{hmac.new(key, text.encode(), hashlib.sha256).digest()[:16].hex()}"
    problem(request(g, "POST", "/v1/public/report", {**base, "pow": {"challenge": expired, "nonce": "1"}},
                    src=src), 400, "pow-expired")
    problem(request(g, "POST", "/v1/public/report", {**base, "pow": {"challenge": expired[:-1] + "0",
                                                                       "nonce": "1"}},
                    src=src), 400, "pow-invalid")
    # and one made that way, current, is accepted as this gateway's own
    text = f"x1.{int(time.time()) + 60}.0.{os.urandom(16).hex()}"
    other = f"{text}.{hmac.new(key, text.encode(), hashlib.sha256).digest()[:16].hex()}"
    st, _, body = request(g, "POST", "/v1/public/receipt", {"code": base["code"],
                                                            "pow": {"challenge": other, "nonce": "7"}}, src=src)
    assert st == 404, (st, body)


def test_info_is_intakes_signed_reply_byte_for_byte(world):
    s, g = world
    st, headers, body = request(g, "GET", "/v1/public/info?round=R-1&unit=U-A", src="127.0.0.8")
    assert headers["content-type"] == "application/jose+json", (st, body)
    m = json.loads(body)
    reply = json.loads(__import__("base64").urlsafe_b64decode(m["payload"] + "=" * (-len(m["payload"]) % 4)))
    assert reply["iss"] == "intake" and reply["aud"] == "public", reply
    assert st == 200, reply
    assert reply["data"]["round"]["id"] == "R-1" and reply["data"]["open"] is True, reply
    problem(request(g, "GET", "/v1/public/info?round=R%201", src="127.0.0.8"), 400, "bad-id")
    problem(request(g, "GET", "/v1/public/info", src="127.0.0.8"), 400, "bad-id")


def test_the_qr_decodes_to_the_public_pages_address(world, tmp_path):
    s, g = world
    for fmt, ctype in (("png", "image/png"), ("svg", "image/svg+xml")):
        st, headers, body = request(g, "GET", f"/v1/public/qr?round=R-1&unit=U-A&format={fmt}",
                                    src="127.0.0.9")
        assert st == 200 and headers["content-type"] == ctype, (st, body[:200])
        assert headers["x-content-type-options"] == "nosniff"
        path = tmp_path / f"qr.{fmt}"
        path.write_bytes(body)
        if fmt == "png":
            out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True,
                                 text=True, timeout=30)
            assert out.returncode == 0, out.stderr
            assert out.stdout.strip() == f"{BASE_URL}/public/?round=R-1&unit=U-A", out.stdout
        else:
            assert body.startswith(b"<svg") and b"<script" not in body
    # xcctl makes the same code, offline
    out = tmp_path / "xcctl.png"
    r = subprocess.run(["build/bin/xcctl", "--config", s.config_path, "qr", "--round", "R-1",
                        "--format", "png", "--out", str(out)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    dec = subprocess.run(["zbarimg", "--raw", "-q", str(out)], capture_output=True, text=True, timeout=30)
    assert dec.stdout.strip() == f"{BASE_URL}/public/?round=R-1", dec.stdout
    problem(request(g, "GET", "/v1/public/qr?round=R-1&format=gif", src="127.0.0.9"), 400, "bad-format")
    problem(request(g, "GET", "/v1/public/qr?round=../x", src="127.0.0.9"), 400, "bad-id")


def test_hostile_bodies_are_refused_with_problem_json(world):
    s, g = world
    src = "127.0.0.10"
    cases = [
        (b"{" * 5000, "bad-json"),
        (b'{"code": "\xff\xfe"}', "bad-json"),
        (b'{"code": "1", "code": "2"}', "bad-json"),
        (b"[]", "bad-json"),
        (b"", "bad-json"),
        (json.dumps({"code": 1234567890123456, "pow": {"challenge": "x", "nonce": "1"}}).encode(), "bad-code"),
        (json.dumps({"code": "12345678901234567", "pow": {"challenge": "x", "nonce": "1"}}).encode(), "bad-code"),
        (json.dumps({"code": "１２３４５６７８９０１２３４５６", "pow": {"challenge": "x", "nonce": "1"}}).encode(), "bad-code"),
        (json.dumps({"code": "1234567890123456", "pow": "x"}).encode(), "pow-invalid"),
        (json.dumps({"code": "1234567890123456", "pow": {"challenge": "x", "nonce": "1"}, "extra": 1}).encode(),
         "unknown-member"),
        (json.dumps({"pow": {"challenge": "x", "nonce": "1"}}).encode(), "missing-member"),
    ]
    for i, (raw, code) in enumerate(cases):     # receipts are few per address: one each
        problem(request(g, "POST", "/v1/public/receipt", raw=raw, src=f"127.0.2.{i + 1}"), 400, code)
    base = {"code": "1234567890123456", "pow": {"challenge": "x", "nonce": "1"}}
    for body, code in (({**base, "round": "R-1", "unit": ["U-A"], "text": "x"}, "bad-member"),
                       ({**base, "round": "R-1", "unit": "U-A", "text": ""}, "bad-member"),
                       ({**base, "round": "R-1\u0000", "unit": "U-A", "text": "x"}, "bad-json"),   # NUL: jansson refuses
                       ({**base, "round": "R 1", "unit": "U-A", "text": "x"}, "bad-id"),
                       ({**base, "round": "R-1", "unit": "U-A", "text": "x", "contact_sealed": "plain"},
                        "bad-contact"),
                       ({**base, "round": "R-1", "unit": "U-A", "text": "x", "evidence": [1]}, "bad-evidence")):
        problem(request(g, "POST", "/v1/public/report", body, src=src), 400, code)
    # a huge body: 413 without reading it all into a service
    problem(request(g, "POST", "/v1/public/report", raw=b'{"text": "' + b"a" * (2 << 20) + b'"}',
                    src="127.0.0.11"), 413, "too-large")
    problem(request(g, "POST", "/v1/public/report", raw=b"{}", ctype="text/plain", src=src), 415)
    problem(request(g, "GET", "/v1/public/report", src=src), 405)
    problem(request(g, "POST", "/v1/public/pow", raw=b"{}", src=src), 405)
    problem(request(g, "GET", "/v1/public/nothing", src=src), 404, "not-found")
    problem(request(g, "POST", "/v1/public/files", {"op": "delete"}, src=src), 400, "bad-op")


def test_every_public_route_is_limited_per_address(world):
    s, g = world
    src = "127.0.0.12"
    statuses = [request(g, "GET", "/v1/public/pow", src=src)[0] for _ in range(41)]
    assert statuses[:40] == [200] * 40 and statuses[40] == 429, statuses
    # another address is not touched
    assert request(g, "GET", "/v1/public/pow", src="127.0.0.13")[0] == 200


def test_pow_difficulty_rises_while_reports_come_in_a_burst(world):
    s, g = world
    bits = []
    for i in range(BURST + 1):
        code = new_code()
        pow_, b = solve(g, f"127.0.1.{i + 1}")
        bits.append(b)
        st, _, body = request(g, "POST", "/v1/public/report", {
            "round": "R-1", "unit": "U-A", "text": f"第{i}条反映", "code": code, "pow": pow_},
            src=f"127.0.1.{i + 1}")
        assert st == 200, body
    assert bits[-1] == POW_BITS_BURST, bits
    assert solve(g, "127.0.1.30")[1] == POW_BITS_BURST


def test_one_pwhash_takes(world):
    """The figure the docs give: one receipt code's hash at the default cost."""
    t = time.perf_counter()
    code_hash("1234567890123456")
    print(f"one Argon2id (interactive ops, 16 MiB) in PyNaCl: {(time.perf_counter() - t) * 1000:.1f} ms")


def signed_data(body):
    """The data of a signed reply (the gateway passed intake's bytes through)."""
    m = json.loads(body)
    return json.loads(unb64u(m["payload"]))


def test_the_public_uploads_a_photo_in_chunks_and_reports_with_it(world):
    s, g = world
    src = "127.0.0.20"
    photo = make_png(48, 48, seed=7)
    digest = hashlib.sha256(photo).hexdigest()
    st, headers, body = request(g, "POST", "/v1/public/files",
                                {"op": "begin", "name": "路灯.png", "size": len(photo), "sha256": digest}, src=src)
    assert st == 200 and headers["content-type"] == "application/jose+json", (st, body)
    begun = signed_data(body)["data"]["result"]
    assert begun["offset"] == 0 and not begun["complete"], begun
    half = len(photo) // 2
    for start, end in ((0, half), (half, len(photo))):
        st, _, body = request(g, "POST", "/v1/public/files", {
            "op": "append", "upload": begun["upload"], "offset": start,
            "data": base64.b64encode(photo[start:end]).decode()}, src=src)
        assert st == 200, body
    done = signed_data(body)["data"]["result"]
    assert done["complete"] and done["offset"] == len(photo), done
    # a status after: the sender's own
    st, _, body = request(g, "POST", "/v1/public/files", {"op": "status", "upload": begun["upload"]}, src=src)
    assert st == 200, body
    code = new_code()
    st, _, body = report(g, code, src, text="路灯坏了，附照片。",
                         evidence=[{"file": "路灯.png", "sha256": digest}])
    assert st == 200, body
    problem_id = verify_ack(g, json.loads(body)["acknowledgement"], code)["data"]["result"]["problem"]
    intake = s.client("intake")
    got = ok(intake.call(s.office, "problem.get", {"problem": problem_id}))
    assert [e["sha256"] for e in got["evidence"]] == [digest], got
    read = ok(intake.call(s.office, "file.read", {"sha256": digest}))
    assert base64.b64decode(read["data"]) == photo and read["type"] == "image/png", read["type"]
    # the public reads nothing back, not even what it carried
    st, _, _ = request(g, "POST", "/v1/public/files", {"op": "read", "sha256": digest}, src=src)
    assert st == 400


def test_the_upload_byte_budget_per_address(world):
    s, g = world
    src = "127.0.0.21"
    big = make_png(160, 160, seed=3)                  # about 77 KB raw, compressed less
    blob = big * 1                                    # one file; the budget is 300000 bytes an hour
    digest = hashlib.sha256(blob).hexdigest()
    st, _, body = request(g, "POST", "/v1/public/files",
                          {"op": "begin", "name": "a.png", "size": len(blob), "sha256": digest}, src=src)
    assert st == 200, body
    upload = signed_data(body)["data"]["result"]["upload"]
    chunk = base64.b64encode(blob[:60000]).decode()
    statuses = []
    for _ in range(6):                                # 6 x 60000 > 300000: refused before intake
        statuses.append(request(g, "POST", "/v1/public/files",
                                {"op": "append", "upload": upload, "offset": 0, "data": chunk}, src=src)[0])
    assert 429 in statuses and statuses.index(429) == 5, statuses


def test_a_team_asks_and_the_public_answers_once(world):
    s, g = world
    src = "127.0.0.22"
    code = new_code()
    st, _, body = report(g, code, src, text="小区门口占道经营。")
    assert st == 200, body
    problem_id = verify_ack(g, json.loads(body)["acknowledgement"], code)["data"]["result"]["problem"]
    q = ok(s.client("intake").call(s.team, "problem.ask", {"problem": problem_id, "text": "请问具体是哪个门？"}))
    st, _, body = request(g, "POST", "/v1/public/receipt", {"code": code, "pow": solve(g, src)[0]}, src=src)
    assert st == 200, body
    status = signed_data(body)["data"]
    assert [x["text"] for x in status["questions"]] == ["请问具体是哪个门？"], status
    answer = {"code": code, "question": q["question"], "text": "北门。"}
    st, _, body = request(g, "POST", "/v1/public/answer", {**answer, "pow": solve(g, src)[0]}, src=src)
    assert st == 200 and signed_data(body)["type"] == "ack", body
    st, _, body = request(g, "POST", "/v1/public/answer", {**answer, "text": "南门。", "pow": solve(g, src)[0]},
                          src=src)
    assert st == 409 and signed_data(body)["data"]["code"] == "conflict", (st, body)
    problem(request(g, "POST", "/v1/public/answer", {**answer, "question": "1", "pow": solve(g, src)[0]},
                    src=src), 400, "bad-member")


def test_the_gateway_stops_at_start_when_the_public_key_is_not_the_public_principals(world, tmp_path):
    s, _ = world
    import xcwire
    stranger = xcwire.Signer("public", "public#stranger")
    write_json(str(tmp_path / "stranger.jwk"), stranger.private_jwk(), 0o600)
    config = json.loads(json.dumps(s.config))
    config["registry"] = os.path.join(s.folder, "principals.json")
    config["calendar"] = s.config["calendar"]
    config["services"]["gateway"] = {"http": "127.0.0.1:0", "public": {
        "key": str(tmp_path / "stranger.jwk"), "base_url": BASE_URL}}
    write_json(str(tmp_path / "config.json"), config)
    p = subprocess.run(["build/bin/xc-gateway", "--config", str(tmp_path / "config.json")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, p.stderr
    assert "services.gateway.public.key" in p.stderr and "public#stranger" in p.stderr, p.stderr


def test_reports_at_once_are_hashed_off_the_loop_and_all_answered(world):
    """Receipt codes are hashed on the gateway's worker thread: several reports at once all get
    their acknowledgement, and the gateway keeps answering meanwhile."""
    import concurrent.futures
    s, g = world
    jobs = [(new_code(), f"127.0.3.{i + 1}") for i in range(4)]
    solved = [(code, src, solve(g, src)[0]) for code, src in jobs]

    def send(item):
        code, src, pow_ = item
        return code, request(g, "POST", "/v1/public/report", {
            "round": "R-1", "unit": "U-A", "text": f"同时提交：{code[:4]}", "code": code, "pow": pow_}, src=src)

    with concurrent.futures.ThreadPoolExecutor(len(solved) + 1) as pool:
        futures = [pool.submit(send, item) for item in solved]
        health = pool.submit(request, g, "GET", "/healthz", src="127.0.3.50")
        answers = [f.result(timeout=60) for f in futures]
        assert health.result(timeout=60)[0] == 200
    problems = set()
    for code, (st, _, body) in answers:
        assert st == 200, body
        problems.add(verify_ack(g, json.loads(body)["acknowledgement"], code)["data"]["result"]["problem"])
    assert len(problems) == len(jobs)
