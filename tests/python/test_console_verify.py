"""核验 in the console (docs/console.md, "The audit in the reader's browser"): the reader's own
chromium reads every event it may read (events.read through the real gateway), checks each
signature with WebCrypto against the keys it was given and recomputes the hash links
(web/js/chain.js). Compared with `xcctl audit verify` over the same stores; a changed, a deleted
and an inserted event (the SQLite outbox of a stopped service edited, as test_tamper does) are
each named on the page by service and seq; a unit sees its redacted entries counted with the
reason; a wrong key file makes every signature fail and the page says which keys it used."""
import hashlib
import json
import os
import subprocess
import urllib.request

import nacl.signing
import pytest

import test_tamper
from browserlib import Browser, wait_until
from conftest import key_file
from consolelib import OFFICE_ISS, click, console_suite, page_errors, page_ok, seed, signed_in
import xcwire
from reasonlib import node_run
from xcwire import b64u

XCCTL = "build/bin/xcctl"


def xcctl_audit(c, key):
    r = subprocess.run([XCCTL, "--config", c.suite.config_path, "--key", key, "--json", "audit", "verify"],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, json.loads(r.stdout)


def page_verify(b, timeout=120):
    """Runs 核验 on the page (already open): {service: row's figures}, the summary element."""
    b.driver.get(b.driver.current_url.split("#")[0] + "#/verify")
    click(b, "#verify-start")
    summary = b.wait_for("#verify-summary", timeout=timeout)
    rows = {}
    for tr in b.driver.find_elements("css selector", "#verify-table tbody tr"):
        rows[tr.get_attribute("data-service")] = {
            k: tr.get_attribute(f"data-{k}") for k in ("status", "head", "read", "verified", "redacted", "failures")}
    return rows, summary


def failures(b):
    return [(li.get_attribute("data-service"), int(li.get_attribute("data-seq")), li.get_attribute("data-fault"))
            for li in b.driver.find_elements("css selector", "li.failure")]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-verify")
    with console_suite(folder) as c:
        c.ids = seed(c)
        c.key = key_file(folder, c.suite.office)
        yield c


def test_a_clean_store_verifies_entirely_as_xcctl_says(console, tmp_path):
    c = console
    rc, report = xcctl_audit(c, c.key)
    assert rc == 0, report
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, OFFICE_ISS, "office", display="王主任")
        click(b, "#nav a[data-path=verify]")
        rows, summary = page_verify(b)
        assert "全部核验通过" in summary.text, summary.text
        assert summary.get_attribute("data-faults") == "0" and summary.get_attribute("data-refused") == "0"
        assert b.text("#verify-keys-used").startswith("所用密钥：本平台公布的服务公钥")
        seen = {s["service"]: s for s in report["services"]}
        assert set(rows) == set(seen), (rows, seen)
        for service, s in seen.items():
            r = rows[service]
            assert (int(r["read"]), int(r["verified"]), int(r["redacted"])) == \
                (s["events"], s["verified"], s["not_readable"]), (service, r, s)
            assert r["status"] == "ok" and int(r["head"]) == s["events"]
        assert sum(s["verified"] for s in seen.values()) > 20
        b.screenshot("verify")
        # workers that fail: the same checks in the page instead, the same result
        got = page_ok(b, """
          await session.sessionLoad();
          const chain = await import("/js/chain.js");
          const broken = {check: async () => { throw new Error("no worker"); }};
          const out = await chain.chainVerify("intake", (after) => session.ask("intake", "events.read", {after, limit: 1000}),
                                              chain.keysIndex(await wire.keysFetch()), {checkers: broken});
          return [out.read, out.verified, out.failures.length];""")
        assert got == [seen["intake"]["events"], seen["intake"]["verified"], 0], got
        assert not page_errors(b), page_errors(b)
        assert not b.requests_outside(c.base)


def keys_export(c, folder):
    """`xcctl keys export --out FILE`: the file's path and its JWK Set."""
    path = os.path.join(str(folder), "deployment-keys.json")
    r = subprocess.run([XCCTL, "--config", c.suite.config_path, "--key", c.key, "keys", "export", "--out", path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    with open(path, encoding="utf-8") as f:
        return path, json.load(f)


def load_keys(b, path):
    b.wait_for("#verify-key-file").send_keys(str(path))
    wait_until(lambda: b.wait_for("#verify-keys-used").get_attribute("data-keys") == "file",
               what="the file's keys in use")
    assert os.path.basename(path) in b.text("#verify-keys-used")


def test_the_keys_xcctl_exports_are_the_gateways_and_verify_as_a_file(console, tmp_path):
    c = console
    path, keys = keys_export(c, tmp_path)
    served = json.loads(urllib.request.urlopen(c.base + "/v1/keys", timeout=10).read())
    assert keys == served and {k["iss"] for k in keys["keys"]} == set(c.suite.deployments), keys
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, OFFICE_ISS, "office", display="王主任")
        b.driver.get(c.base + "/#/verify")
        load_keys(b, path)
        rows, summary = page_verify(b)
        assert "全部核验通过" in summary.text and summary.get_attribute("data-keys") == "file", summary.text
        # a file that is no key set is refused in Chinese, and the keys in use stay as they were
        bad = tmp_path / "not-keys.json"
        bad.write_text('{"keys": [{"kty": "RSA"}]}')
        b.wait_for("#verify-key-file").send_keys(str(bad))
        assert "不是有效的密钥文件" in b.wait_for("#verify-keys-bad").text
        assert b.wait_for("#verify-keys-used").get_attribute("data-keys") == "file"
        click(b, "#verify-keys-platform")
        wait_until(lambda: b.wait_for("#verify-keys-used").get_attribute("data-keys") == "platform",
                   what="the platform's keys again")


def test_xcctl_keys_export_refuses_what_it_cannot_do(console, tmp_path):
    c = console
    r = subprocess.run([XCCTL, "--config", c.suite.config_path, "keys", "exprt"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "did you mean 'export'" in r.stderr, r.stderr
    with open(c.suite.config_path, encoding="utf-8") as f:
        config = json.load(f)
    config["registry"] = str(tmp_path / "no-such-registry.json")
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps(config))
    out = tmp_path / "keys.json"
    r = subprocess.run([XCCTL, "--config", str(bad), "keys", "export", "--out", str(out)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 4 and "no-such-registry.json" in r.stderr, r.stderr
    assert not out.exists()
    # to stdout without --out: the same set as the file
    r = subprocess.run([XCCTL, "--config", c.suite.config_path, "keys", "export"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and json.loads(r.stdout) == keys_export(c, tmp_path)[1]


def test_a_wrong_key_file_fails_every_signature_and_says_which_keys(console, tmp_path):
    c = console
    _, keys = keys_export(c, tmp_path)
    # the same kids, other public keys: what a reader given the wrong file holds
    for k in keys["keys"]:
        k["x"] = b64u(bytes(nacl.signing.SigningKey.generate().verify_key))
    path = tmp_path / "wrong-keys.json"
    path.write_text(json.dumps(keys))
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, OFFICE_ISS, "office", display="王主任")
        b.driver.get(c.base + "/#/verify")
        load_keys(b, path)
        rows, summary = page_verify(b)
        assert summary.get_attribute("data-keys") == "file"
        assert "发现" in summary.text and summary.get_attribute("data-verified") == "0", summary.text
        for service, r in rows.items():
            visible = int(r["read"]) - int(r["redacted"])
            assert int(r["verified"]) == 0 and int(r["failures"]) == visible, (service, r)
        faults = failures(b)
        assert faults and all(f == "signature" for _, _, f in faults), faults[:5]
        assert "签名无效" in b.text("li.failure")


def test_keys_not_valid_when_the_events_were_signed_are_named_so(console, tmp_path):
    c = console
    _, keys = keys_export(c, tmp_path)
    for k in keys["keys"]:
        k["not_before"], k["not_after"] = "2001-01-01T00:00:00Z", "2002-01-01T00:00:00Z"
    path = tmp_path / "lapsed-keys.json"
    path.write_text(json.dumps(keys))
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, OFFICE_ISS, "office", display="王主任")
        b.driver.get(c.base + "/#/verify")
        load_keys(b, path)
        rows, summary = page_verify(b)
        assert summary.get_attribute("data-verified") == "0", summary.text
        faults = failures(b)
        assert faults and {f for _, _, f in faults} == {"key_validity"}, faults[:5]
        assert "密钥不在有效期" in b.text("li.failure")


def test_a_unit_sees_its_redacted_count_and_why(console, tmp_path):
    c = console
    scope = {"units": ["U-A"]}
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, "verify-unit", "unit", scope=scope, display="青石镇联络员")
        rows, summary = page_verify(b)
        assert "全部核验通过" in summary.text, summary.text
        # the unit reads rectify and referral (docs/security.md, "Events"); intake, notify and
        # the registry refuse it, which is no fault of the chain
        assert rows["rectify"]["status"] == "ok", rows
        assert int(rows["rectify"]["redacted"]) > 0 and int(rows["rectify"]["verified"]) > 0, rows
        assert int(rows["referral"]["redacted"]) > 0, rows
        assert rows["intake"]["status"] == "refused", rows
        refused = [n for n, r in rows.items() if r["status"] == "refused"]
        assert sorted(refused) == ["intake", "notify", "registry"], rows
        assert f"另有 {len(refused)} 个服务无权读取" in summary.text, summary.text
        why = b.text("#verify-table tr[data-service=rectify] .why")
        assert "其他单位的整改事件对您隐去" in why, why
        # the counts are the unit's own view: every entry either verified or redacted
        for service in ("rectify", "referral"):
            r = rows[service]
            assert int(r["verified"]) + int(r["redacted"]) == int(r["read"]) == int(r["head"]), (service, r)
        assert not page_errors(b), page_errors(b)


def test_a_district_office_sees_the_rule_of_its_role(console, tmp_path):
    """A district office reads rectify and referral; the city's round R-1 is not its own, so its
    items' events are redacted for it, with the district's rule; intake refuses it."""
    c = console
    c.ok("intake", "unit.register", {"id": "D-9", "name": "云溪区", "level": "district"})
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, "verify-district", "district", scope={"district": "D-9"}, display="云溪区委巡察办")
        rows, summary = page_verify(b)
        assert summary.get_attribute("data-faults") == "0", summary.text
        assert rows["intake"]["status"] == "refused" and rows["rectify"]["status"] == "ok", rows
        assert int(rows["rectify"]["redacted"]) > 0, rows
        why = b.text("#verify-table tr[data-service=rectify] .why")
        assert "本区县所辖及所阅轮次" in why, why
        for service in ("rectify", "referral"):
            r = rows[service]
            assert int(r["verified"]) + int(r["redacted"]) == int(r["read"]) == int(r["head"]), (service, r)


@pytest.fixture
def small(tmp_path):
    """A suite of its own for the tampering tests (each edits a store)."""
    (tmp_path / "suite").mkdir()
    with console_suite(tmp_path / "suite") as c:
        c.ids = seed(c)
        c.key = key_file(tmp_path, c.suite.office)
        yield c


# each in another service, so the page must name the service as well as the seq
@pytest.mark.parametrize("how,service", [("changed", "intake"), ("deleted", "rectify"), ("inserted", "referral")])
def test_a_tampered_event_is_named_by_service_and_seq(small, tmp_path, how, service):
    c = small
    head = c.ok(service, "events.read", {"limit": 1})["head"]
    k = head + 1 if how == "inserted" else head // 2
    s = c.suite
    if how == "changed":
        test_tamper.edit_store(s, service, lambda db: test_tamper.changed(db, k))
    elif how == "deleted":
        test_tamper.edit_store(s, service, lambda db: test_tamper.deleted(db, k))
    else:
        test_tamper.edit_store(s, service, lambda db: test_tamper.inserted(db, k, service, s.office))
    rc, report = xcctl_audit(c, c.key)
    assert rc == 5, report
    at = k + 1 if how == "deleted" else k
    assert [(f["service"], f["seq"]) for f in report["failures"]] == [(service, at)], report
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, OFFICE_ISS, "office", display="王主任")
        rows, summary = page_verify(b)
        assert "发现 1 处异常" in summary.text, summary.text
        fault = {"changed": "link", "deleted": "gap", "inserted": "key_unknown"}[how]
        assert failures(b) == [(service, at, fault)], failures(b)
        li = b.wait_for(f"li.failure[data-service={service}][data-seq='{at}']")
        words = {"link": "哈希链断裂", "gap": f"序号缺失：缺少第 {k} 号", "key_unknown": "签名密钥不在所用密钥之中"}[fault]
        assert words in li.text, li.text
        assert b.text(f".verify-failures[data-service={service}] .unverifiable").startswith(f"自第 {at} 号起")
        assert rows[service]["status"] == "failed"
        assert all(r["status"] == "ok" for n, r in rows.items() if n != service), rows
        if how == "changed":
            b.screenshot("verify-tampered")


# --- chain.js alone, under node, over chains made here with PyNaCl: each fault by construction --

def chain_events(signer, service, n, iat=1_800_000_000, type_="unit.registered", aud="*"):
    """n events of service signed by signer, as events.read gives them: [{seq, id, type, hash, message}]."""
    prev, out = bytes(32), []
    for seq in range(1, n + 1):
        body = {"v": 1, "id": xcwire.new_id(), "iss": service, "aud": aud, "iat": iat + seq, "type": type_,
                "corr": None, "data": {"n": seq}}
        message = xcwire.seal_bytes(signer, xcwire.compact({"alg": "EdDSA", "kid": signer.kid, "typ": "xc+jws"}),
                                    xcwire.compact(body)).decode()
        prev = xcwire.chain_next(prev, message)
        out.append({"seq": seq, "id": body["id"], "type": type_, "hash": prev.hex(), "message": message})
    return out


def node_chain(events, jwks, head=None, page=7):
    """chainVerify of chain.js over events served in pages of `page`: its result."""
    return node_run("""
      import { chainVerify, keysIndex } from "./web/js/chain.js";
      const events = %s, head = %s, size = %d;
      const read = async (after) => ({head, events: events.filter((e) => e.seq > after).slice(0, size)});
      const out = await chainVerify("svc", read, keysIndex(%s));
      console.log(JSON.stringify(out));
    """ % (json.dumps(events), head if head is not None else (events[-1]["seq"] if events else 0), page,
           json.dumps(jwks)), timeout=60)


@pytest.fixture(scope="module")
def signer():
    return xcwire.Signer("svc", "svc#1")


def jwks_of(*signers, not_before="2020-01-01T00:00:00Z", not_after="2099-01-01T00:00:00Z"):
    return {"keys": [{**s.public_jwk(not_before, not_after), "iss": s.iss} for s in signers]}


def faults(out):
    return [(f["seq"], f["fault"]) for f in out["failures"]]


def test_chain_js_a_clean_chain_verifies_and_its_head_is_the_last_hash(signer):
    ev = chain_events(signer, "svc", 30)
    out = node_chain(ev, jwks_of(signer))
    assert faults(out) == [] and out["verified"] == 30 and out["read"] == 30 and out["redacted"] == 0
    assert out["headHash"] == ev[-1]["hash"]


def test_chain_js_redacted_entries_are_counted_and_the_links_into_the_others_checked(signer):
    ev = chain_events(signer, "svc", 20)
    for e in ev[3:9]:
        del e["message"]
        e["redacted"] = True
    out = node_chain(ev, jwks_of(signer))
    assert faults(out) == [] and (out["verified"], out["redacted"]) == (14, 6)
    # a visible entry whose stated predecessor hash was changed: its link fails
    ev[9]["hash"] = "0" * 64
    assert faults(node_chain(ev, jwks_of(signer)))[0] == (10, "link")


def test_chain_js_each_fault_by_construction(signer):
    other = xcwire.Signer("other", "other#1")
    keys = jwks_of(signer, other)
    ev = chain_events(signer, "svc", 12)
    swapped = [dict(e) for e in ev]
    swapped[4]["message"], swapped[5]["message"] = ev[5]["message"], ev[4]["message"]
    assert faults(node_chain(swapped, keys)) == [(5, "link"), (6, "link")]
    gap = [e for e in ev if e["seq"] != 7]
    out = node_chain(gap, keys)
    assert faults(out) == [(8, "gap")] and out["failures"][0]["missing"] == [7, 7]
    assert out["verified"] == 6 and out["unverifiable"] == 4
    assert faults(node_chain(ev, keys, head=15)) == [(13, "short")]
    retyped = [dict(e) for e in ev]
    retyped[2]["type"] = "unit.renamed"
    assert faults(node_chain(retyped, keys)) == [(3, "mismatch")]
    # a message the service signed to someone, passed off as an event
    assert faults(node_chain(chain_events(signer, "svc", 2, aud="office"), keys)) == [(1, "mismatch"), (2, "mismatch")]
    # signed by another principal's key (in the set, not the service's): not this service's word
    forged = chain_events(other, "svc", 3)
    assert faults(node_chain(forged, keys)) == [(1, "key_unknown"), (2, "key_unknown"), (3, "key_unknown")]
    # signed when the key was not valid yet
    late = jwks_of(signer, not_before="2030-01-01T00:00:00Z")
    assert {f for _, f in faults(node_chain(ev, late))} == {"key_validity"}
    # a bad signature with a good link (the hash recomputed over the changed message)
    bad = [dict(e) for e in ev[:3]]
    m = json.loads(bad[1]["message"])
    m["signature"] = xcwire.b64u(bytes(64))
    bad[1]["message"] = json.dumps(m)
    bad[1]["hash"] = xcwire.chain_next(bytes.fromhex(bad[0]["hash"]), bad[1]["message"]).hex()
    bad[2]["hash"] = xcwire.chain_next(bytes.fromhex(bad[1]["hash"]), bad[2]["message"]).hex()
    assert faults(node_chain(bad, keys)) == [(2, "signature")]


def test_chain_js_sha256_is_sha256():
    lengths = [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 65537]
    got = node_run("""
      import { sha256, bytesHex } from "./web/js/chain.js";
      const out = {};
      for (const n of %s) {
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 255;
        out[n] = bytesHex(sha256(b));
      }
      console.log(JSON.stringify(out));
    """ % json.dumps(lengths))
    for n in lengths:
        data = bytes((i * 131 + 7) & 255 for i in range(n))
        assert got[str(n)] == hashlib.sha256(data).hexdigest(), n


def test_stop_ends_the_reading_early(small, tmp_path):
    """停止 during a long run: the reading ends after the pages in hand, said as incomplete."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
    from verify_bench import fill
    c = small
    fill(c, 6000)
    head = c.ok("intake", "events.read", {"limit": 1})["head"]
    with Browser(tmp_path) as b:
        b.driver.set_script_timeout(60)
        signed_in(b, c, OFFICE_ISS, "office", display="王主任")
        b.driver.get(c.base + "/#/verify")
        click(b, "#verify-start")
        click(b, "#verify-stop")
        summary = b.wait_for("#verify-summary", timeout=60)
        assert summary.get_attribute("data-stopped") == "1", summary.text
        assert "核验已停止，结果不完整" in summary.text
        row = b.wait_for("#verify-table tr[data-service=intake]")
        assert 0 < int(row.get_attribute("data-read")) < head, (row.get_attribute("data-read"), head)
        assert row.get_attribute("data-status") == "stopped"
        assert failures(b) == []
