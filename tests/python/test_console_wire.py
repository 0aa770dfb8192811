"""The protocol in the browser (docs/console.md): web/js/wire.js and web/js/keystore.js driven in
Debian's headless chromium against a real xc-gateway with echo and intake behind it. A key made
in the browser is non-extractable and kept in IndexedDB; a message it signs is accepted by the
real intake once its public key is in the registry, and the same bytes verify with PyNaCl; the
browser verifies real replies and refuses forged ones."""
import json
import os
import time

import nacl.signing
import pytest

from conftest import NOT_AFTER, NOT_BEFORE, REPO, running_suite
from gatewaylib import (Gateway, UNIT, b64u, department, make_suite, open_reply, report_data,
                        stopped_at_end, unb64u)

from browserlib import Browser
from consolelib import registry_add

WEB = os.path.join(REPO, "web")
WEB_ISS, WEB_KID = "web-petition", "web-petition#1"


# Runs `body` (an async function's body, with wire, keystore and args in scope) in the page:
# {"ok": its value} or {"error", "name"} for what it threw.
RUN = """
const done = arguments[arguments.length - 1];
const args = arguments[0];
(async () => {
  const wire = await import("/js/wire.js");
  const keystore = await import("/js/keystore.js");
  %s
})().then((ok) => done({ok: ok === undefined ? null : ok}),
           (e) => done({error: String(e && e.message || e), name: e && e.name,
                        status: e && e.status, code: e && e.code, title: e && e.title}));
"""


def run(driver, body, **args):
    return driver.execute_async_script(RUN % body, args)


def ok(result):
    assert "error" not in result, result
    return result["ok"]


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-wire")
    s = make_suite(str(folder))
    for _ in running_suite(s):
        g = Gateway(s, extra={"web": WEB})
        with stopped_at_end(g):
            with Browser(folder) as b:
                b.driver.set_script_timeout(60)
                b.open(g.base + "/")
                g.browser, g.driver = b, b.driver
                g.office, g.petition = department(s, "office"), department(s, "petition")
                yield g
                # every request the page made went to the gateway's origin
                assert b.requests_outside(g.base) == [], b.requests()


# --- the key ------------------------------------------------------------------------------

def test_key_is_non_extractable_and_survives_a_reload(web):
    made = ok(run(web.driver, """
      await keystore.keyDelete("me");
      const k = await keystore.keyCreate();
      await keystore.keySave({name: "me", ...k, kid: args.kid, iss: args.iss});
      let exported = null;
      try { await crypto.subtle.exportKey("jwk", k.privateKey); exported = "exported"; }
      catch (e) { exported = e.name; }
      return {x: k.x, extractable: k.privateKey.extractable, exported,
              usages: k.privateKey.usages, has: await wire.hasEd25519()};
    """, kid=WEB_KID, iss=WEB_ISS))
    assert made["has"] is True
    assert made["extractable"] is False and made["exported"] == "InvalidAccessError", made
    assert made["usages"] == ["sign"], made
    assert len(unb64u(made["x"])) == 32

    web.driver.refresh()
    back = ok(run(web.driver, """
      const r = await keystore.keyLoad("me");
      const none = await keystore.keyLoad("nobody");
      const m = new TextEncoder().encode("签名测试");
      const sig = await crypto.subtle.sign({name: "Ed25519"}, r.privateKey, m);
      return {x: r.x, kid: r.kid, iss: r.iss, extractable: r.privateKey.extractable,
              isKey: r.privateKey instanceof CryptoKey, none,
              verifies: await crypto.subtle.verify({name: "Ed25519"}, r.publicKey, sig, m),
              sig: wire.b64uEncode(new Uint8Array(sig))};
    """))
    assert back["x"] == made["x"] and back["kid"] == WEB_KID and back["iss"] == WEB_ISS, back
    assert back["isKey"] and back["extractable"] is False and back["none"] is None, back
    assert back["verifies"] is True
    # the key kept across the reload is the same key: its signature verifies with x in PyNaCl
    nacl.signing.VerifyKey(unb64u(made["x"])).verify("签名测试".encode(), unb64u(back["sig"]))


def test_a_browser_without_ed25519_is_told_so_in_chinese(web):
    web.driver.refresh()
    got = run(web.driver, """
      // as a browser without the algorithm answers: generateKey refuses Ed25519
      const real = SubtleCrypto.prototype.generateKey;
      SubtleCrypto.prototype.generateKey = () => Promise.reject(new DOMException("no", "NotSupportedError"));
      try {
        await keystore.keyCreate();
        return "made a key";
      } finally {
        SubtleCrypto.prototype.generateKey = real;
      }
    """)
    assert "Ed25519" in got.get("error", "") and "此浏览器不支持" in got["error"], got
    web.driver.refresh()


# --- a message signed in the browser, through the real gateway to the real intake ------------

def browser_report(web, summary):
    """The browser signs a problem.report with its stored key, posts it and verifies the reply:
    {frame, id, reply, body}. Retried (new id) while intake has not yet reloaded the registry."""
    deadline = time.monotonic() + 15
    while True:
        got = ok(run(web.driver, """
          const me = await keystore.keyLoad("me");
          const jwks = await wire.keysFetch();
          const {frame, id} = await wire.seal(me.privateKey, me.kid, me.iss, "intake",
                                              "problem.report", args.data);
          const answer = await wire.post("intake", frame);
          const body = await wire.verifyReply(answer.frame, jwks, "intake", me.iss, id);
          return {frame, id, status: answer.status, reply: answer.frame, body};
        """, data=report_data(summary)))
        if got["body"]["type"] != "error" or got["body"]["data"]["code"] != "unknown_kid":
            return got
        assert time.monotonic() < deadline, got
        time.sleep(0.2)


@pytest.fixture(scope="module")
def registered(web):
    x = ok(run(web.driver, """
      let me = await keystore.keyLoad("me");
      if (!me) await keystore.keySave(me = {name: "me", ...await keystore.keyCreate(),
                                            kid: args.kid, iss: args.iss});
      return me.x;
    """, kid=WEB_KID, iss=WEB_ISS))
    web.call(web.office, "intake", "unit.register", UNIT)
    registry_add(web.suite, WEB_ISS, "petition", WEB_KID, x, scope={"units": ["*"]})
    return x


def test_a_message_signed_in_the_browser_is_accepted_by_intake(web, registered):
    got = browser_report(web, "浏览器签名：村务公开不及时")
    assert got["status"] == 200, got
    assert got["body"]["type"] == "ack" and got["body"]["data"]["status"] == "accepted", got
    # the bytes the browser sent are exactly the protocol's flattened JWS, and PyNaCl verifies them
    m = json.loads(got["frame"])
    assert list(m) == ["protected", "payload", "signature"], m
    assert json.loads(unb64u(m["protected"])) == {"alg": "EdDSA", "kid": WEB_KID, "typ": "xc+jws"}
    body = json.loads(unb64u(m["payload"]))
    assert set(body) == {"v", "id", "iss", "aud", "iat", "exp", "type", "corr", "data"}, body
    assert body["id"] == got["id"] and body["id"][14] == "7" and body["id"] == body["id"].lower()
    assert body["iss"] == WEB_ISS and body["aud"] == "intake" and body["corr"] is None
    assert body["iat"] < body["exp"] <= body["iat"] + 3600 and abs(body["iat"] - time.time()) < 60
    assert body["data"]["summary"] == "浏览器签名：村务公开不及时"
    for part in ("protected", "payload", "signature"):
        assert b64u(unb64u(m[part])) == m[part]          # base64url without padding
    nacl.signing.VerifyKey(unb64u(registered)).verify(
        f"{m['protected']}.{m['payload']}".encode(), unb64u(m["signature"]))
    # and Python verifies the same reply the browser accepted
    assert open_reply(got["reply"].encode(), web.jwks, "intake", WEB_ISS, got["id"]) == got["body"]
    # the problem is stored under the reporter the browser signed as
    pid = got["body"]["data"]["result"]["problem"]
    _, q = web.call(web.office, "intake", "problem.get", {"problem": pid})
    assert q["type"] == "result", q
    assert json.dumps(q["data"], ensure_ascii=False).count(WEB_ISS) >= 1, q


def test_the_browser_refuses_forged_replies(web, registered):
    got = browser_report(web, "浏览器签名：验证回复")
    reply = json.loads(got["reply"])
    body = json.loads(unb64u(reply["payload"]))
    changed = dict(body, data={"status": "accepted", "result": {"problem": "P-forged"}})
    forged_payload = dict(reply, payload=b64u(json.dumps(changed, separators=(",", ":")).encode()))
    sig = bytearray(unb64u(reply["signature"]))
    sig[0] ^= 1
    forged_signature = dict(reply, signature=b64u(bytes(sig)))
    # a genuine reply of intake to another principal (the petition bureau's own request)
    frame, other_id = web.petition.seal("intake", "problem.report", report_data("别人的回复"))
    other = web.post("intake", frame).text
    # echo's genuine reply is no proof of intake's word
    efr, echo_id = web.petition.seal("echo", "echo.note", {"text": "回声"})
    echo_reply = web.post("echo", efr).text
    cases = {
        "genuine": (got["reply"], "intake", WEB_ISS, got["id"]),
        "payload": (json.dumps(forged_payload), "intake", WEB_ISS, got["id"]),
        "signature": (json.dumps(forged_signature), "intake", WEB_ISS, got["id"]),
        "padding": (json.dumps(dict(reply, signature=reply["signature"] + "==")), "intake",
                    WEB_ISS, got["id"]),
        "someone else's": (other, "intake", WEB_ISS, other_id),
        "another request": (got["reply"], "intake", WEB_ISS, other_id),
        "echo as intake": (echo_reply, "intake", "petition-bureau", echo_id),
    }
    results = ok(run(web.driver, """
      const jwks = await wire.keysFetch();
      const out = {};
      for (const [name, [frame, service, iss, id]] of Object.entries(args.cases)) {
        try { out[name] = {body: await wire.verifyReply(frame, jwks, service, iss, id)}; }
        catch (e) { out[name] = {name: e.name, message: e.message}; }
      }
      return out;
    """, cases=cases))
    print(json.dumps(results, ensure_ascii=False, indent=1))
    assert results["genuine"].get("body") == got["body"], results["genuine"]
    for name in cases:
        if name != "genuine":
            assert results[name].get("name") == "ReplyRefused", (name, results[name])
    assert "signature not verified" in results["payload"]["message"]
    assert "signature not verified" in results["signature"]["message"]
    assert "aud" in results["someone else's"]["message"]
    assert "corr" in results["another request"]["message"]
    assert "no key" in results["echo as intake"]["message"]
    # the reply to someone else is genuine: it verifies for the one it was meant for
    assert open_reply(other.encode(), web.jwks, "intake", "petition-bureau", other_id)


def test_a_refusal_by_the_service_is_a_verified_error_reply(web, registered):
    got = ok(run(web.driver, """
      const me = await keystore.keyLoad("me");
      const jwks = await wire.keysFetch();
      const {frame, id} = await wire.seal(me.privateKey, me.kid, me.iss, "intake",
                                          "problem.report", {unit: "91350100-GW"});
      const answer = await wire.post("intake", frame);
      return {status: answer.status, body: await wire.verifyReply(answer.frame, jwks, "intake", me.iss, id)};
    """))
    assert got["status"] == 422 and got["body"]["type"] == "error", got
    assert got["body"]["data"]["code"] == "schema", got


def test_the_gateways_problem_documents_are_read_as_problems(web, registered):
    got = run(web.driver, """
      const me = await keystore.keyLoad("me");
      const {frame} = await wire.seal(me.privateKey, me.kid, me.iss, "bank", "x.y", {});
      await wire.post("bank", frame);
      return "no problem";
    """)
    assert got.get("name") == "Problem", got
    assert got["status"] == 404 and got["code"] == "unknown-service", got
    assert got["title"] == "服务不存在" and got["error"] == "服务不存在", got
    got = run(web.driver, """
      await wire.post("intake", '{"protected":"e30","payload":"!!","signature":"AA"}');
      return "no problem";
    """)
    assert got.get("name") == "Problem" and got["status"] == 400, got


def test_seal_refuses_what_the_protocol_refuses(web):
    got = ok(run(web.driver, """
      const k = await keystore.keyCreate();
      const out = {};
      for (const [name, data] of Object.entries({
          surrogate: {text: "\\ud800"}, nul: {text: "a\\u0000b"}, nan: {n: NaN},
          big: {n: 2 ** 60}, fine: {text: "巡察", n: 3, list: [true, null, 1.5]}})) {
        try { await wire.seal(k.privateKey, "k#1", "me", "echo", "echo.note", data); out[name] = "sealed"; }
        catch (e) { out[name] = e.name; }
      }
      let bad = [];
      for (const t of ["AA=", "A A", "A+", "AB"]) {
        try { wire.b64uDecode(t); bad.push("decoded " + t); } catch (e) { bad.push(e.name); }
      }
      return {out, bad, ok: Array.from(wire.b64uDecode("AA"))};
    """))
    assert got["out"] == {"surrogate": "TypeError", "nul": "TypeError", "nan": "TypeError",
                          "big": "TypeError", "fine": "sealed"}, got
    # "AB": the unused bits of the last character are not zero
    assert got["bad"] == ["TypeError"] * 4 and got["ok"] == [0], got


def test_sign_and_verify_speed(web, registered):
    """Printed, not asserted: sign+verify in WebCrypto, and signed round trips through the
    gateway to intake (seal, post, verifyReply)."""
    got = ok(run(web.driver, """
      const me = await keystore.keyLoad("me");
      const jwks = await wire.keysFetch();
      const n = 500, enc = new TextEncoder();
      let t = performance.now();
      for (let i = 0; i < n; i++) {
        const {frame} = await wire.seal(me.privateKey, me.kid, me.iss, "echo", "echo.note", {text: "速度" + i});
        const m = JSON.parse(frame);
        if (!await crypto.subtle.verify({name: "Ed25519"}, me.publicKey,
                                        wire.b64uDecode(m.signature), enc.encode(m.protected + "." + m.payload)))
          throw new Error("did not verify");
      }
      const local = (performance.now() - t) / n;
      const trips = [];
      for (let i = 0; i < 50; i++) {
        t = performance.now();
        const body = await wire.call(me, "intake", "problem.list", {}, jwks);
        trips.push(performance.now() - t);
        if (body.type !== "result" && body.type !== "error") throw new Error(body.type);
      }
      trips.sort((a, b) => a - b);
      return {local, p50: trips[25], p99: trips[49]};
    """))
    print(f"\nbrowser: seal+verify {got['local']:.3f} ms each ({1000 / got['local']:.0f}/s); "
          f"signed round trip to intake through the gateway p50 {got['p50']:.2f} ms, "
          f"max of 50 {got['p99']:.2f} ms")
