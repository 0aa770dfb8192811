"""The registry service through the real binaries (docs/services/registry.md): the office
invites, a new key enrolls by proving it holds itself (a Python enrollee with PyNaCl), the office
approves, and intake accepts the key within 2 s; wrong and expired codes, a re-enrollment that
ends the old key, a revocation, every other role refused every office message with the registry
file byte-identical, and a kill during approve leaving the file whole."""

import datetime
import fcntl
import hashlib
import json
import os
import secrets
import signal
import subprocess
import time

import pytest

import xcwire
from checks import ok, wait_for
from conftest import Suite, key_file, running_suite

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BAD_CODE = "the invitation code is wrong, expired or used"

# every role but the office's, each refused every office message
OTHERS = {
    "team": ("team-1", "team", {"rounds": ["*"]}),
    "unit": ("unit-1", "unit", {"units": ["U1"]}),
    "discipline": ("discipline-1", "discipline", {}),
    "petition": ("petition-1", "petition", {}),
    "audit": ("audit-1", "audit", {}),
    "public": ("public-1", "public", {}),
    "district": ("district-1", "district", {"district": "D1"}),
    "department": ("department-1", "department", {}),
    "gw": ("gateway-1", "gateway", {}),
}


def new_code():
    """128 random bits as 26 Crockford base32 characters, as an inviter's client makes it."""
    n = int.from_bytes(secrets.token_bytes(16), "big")
    return "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(26)))


def grouped(code):
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def code_sha256(code):
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def rfc3339(seconds_from_now):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def thumbprint(x):
    member = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return xcwire.b64u(hashlib.sha256(member.encode("ascii")).digest())


def enrollee(iss):
    """A new key, its kid derived from it: "<iss>#<16 characters of its thumbprint>"."""
    s = xcwire.Signer(iss, "pending")
    x = xcwire.b64u(s.public)
    s.kid = f"{iss}#{thumbprint(x)[:16]}"
    s.jwk = {"kty": "OKP", "crv": "Ed25519", "x": x}
    return s


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["registry", "intake"],
              {"office": ("office", "office", {"units": ["*"]}), **OTHERS})
    yield from running_suite(s)


def fail_code(reply):
    assert reply["type"] == "error", reply
    return reply["data"]["code"], reply["data"]["message"]


def invite(reg, office, iss, role="team", code=None, **extra):
    code = code or new_code()
    data = {"iss": iss, "display": "张三", "role": role, "until": rfc3339(30 * 86400),
            "code_sha256": code_sha256(code), "expires": rfc3339(3600), **extra}
    ok(reg.call(office, "principal.invite", data))
    return code


def enroll(reg, person, code):
    return reg.call(person, "principal.enroll", {"code": code, "key": person.jwk})


def registry_doc(suite):
    with open(suite.registry_path, encoding="utf-8") as f:
        return json.load(f)


def entry(suite, iss):
    return next((p for p in registry_doc(suite)["principals"] if p["iss"] == iss), None)


def health(intake, signer):
    return intake.call(signer, "health", {})


def test_invite_enroll_approve_accepted_by_intake(suite):
    reg, intake = suite.client("registry"), suite.client("intake")
    code = invite(reg, suite.office, "li-si", role="unit", scope={"units": ["U1"]})
    person = enrollee("li-si")
    assert fail_code(health(intake, person))[0] == "unknown_kid"
    # the code as a person types it: in groups, lower case
    got = ok(enroll(reg, person, grouped(code).lower()))
    fp = " ".join(thumbprint(person.jwk["x"])[i:i + 4] for i in range(0, 43, 4))
    assert got["fingerprint"] == fp and got["kid"] == person.kid
    assert ok(reg.call(person, "principal.enrollment", {"key": person.jwk}))["state"] == "pending"
    listed = ok(reg.call(suite.office, "principal.list", {}))["principals"]
    row = next(p for p in listed if p["iss"] == "li-si")
    assert row["enrollment"]["state"] == "pending" and row["enrollment"]["fingerprint"] == fp
    assert row["registered"] is False and row["role"] == "unit" and row["display"] == "张三"
    assert entry(suite, "li-si") is None
    ok(reg.call(suite.office, "principal.approve", {"iss": "li-si"}))
    p = entry(suite, "li-si")
    assert p["role"] == "unit" and p["scope"] == {"units": ["U1"]}
    assert [k["kid"] for k in p["keys"]] == [person.kid] and p["keys"][0]["x"] == person.jwk["x"]
    start = time.monotonic()
    wait_for(lambda: health(intake, person)["type"] == "result", "intake accepting the new key", 2)
    print(f"intake accepted the new key {time.monotonic() - start:.2f} s after the approval")
    # the new key asks again, now as a registered principal, and who it is
    assert ok(reg.call(person, "principal.enrollment", {}))["state"] == "approved"
    me = ok(reg.call(person, "principal.whoami", {}))
    assert me == {"iss": "li-si", "display": "张三", "role": "unit", "scope": {"units": ["U1"]}}
    # a registered key may not enroll again
    assert fail_code(enroll(reg, person, code))[0] == "forbidden"
    events = ok(reg.call(suite.office, "events.read", {"after": 0}))["events"]
    assert [e["type"] for e in events] == ["principal.invited", "principal.enrolled", "principal.approved"]
    text = json.dumps(events)
    assert code not in text and code_sha256(code) not in text


def test_possession_is_proved(suite):
    reg = suite.client("registry")
    code = invite(reg, suite.office, "wang-wu")
    person = enrollee("wang-wu")
    # a kid not derived from the key it carries
    other = enrollee("wang-wu")
    frame, body = xcwire.seal(person, "registry", "principal.enroll", {"code": code, "key": other.jwk})
    assert fail_code(reg.request(frame, body))[0] == "unknown_kid"
    # the key named, but signed by another
    frame, body = xcwire.seal(person, "registry", "principal.enroll", {"code": code, "key": person.jwk})
    forged = json.loads(frame)
    forged["signature"] = json.loads(xcwire.seal(other, "registry", "x.y", {})[0])["signature"]
    assert fail_code(reg.request(json.dumps(forged).encode(), body))[0] == "bad_signature"
    # no key at all: no proof, an unknown kid; a key that is no Ed25519 key: malformed
    assert fail_code(reg.call(person, "principal.enroll", {"code": code}))[0] == "unknown_kid"
    assert fail_code(reg.call(person, "principal.enroll",
                              {"code": code, "key": {**person.jwk, "crv": "X25519"}}))[0] == "malformed"
    # an unregistered key is no one for any other message
    assert fail_code(reg.call(person, "principal.whoami", {"key": person.jwk}))[0] == "unknown_kid"
    ok(enroll(reg, person, code))


def test_wrong_code_five_times_voids(suite):
    reg = suite.client("registry")
    code = invite(reg, suite.office, "zhao-liu")
    person = enrollee("zhao-liu")
    for _ in range(5):
        assert fail_code(enroll(reg, person, new_code())) == ("forbidden", BAD_CODE)
    # the right code no longer opens it, with the same reason
    assert fail_code(enroll(reg, person, code)) == ("forbidden", BAD_CODE)
    row = next(p for p in ok(reg.call(suite.office, "principal.list", {}))["principals"]
               if p["iss"] == "zhao-liu")
    assert row["invitation"]["state"] == "void" and row["invitation"]["attempts"] == 5
    # an unknown iss gets the same answer
    assert fail_code(enroll(reg, enrollee("nobody"), code)) == ("forbidden", BAD_CODE)
    # four wrong ones and then the right one: enrolled
    code = invite(reg, suite.office, "zhao-liu")
    for _ in range(4):
        fail_code(enroll(reg, person, new_code()))
    ok(enroll(reg, person, code))


def test_expired_code(suite):
    reg = suite.client("registry")
    code = invite(reg, suite.office, "qian-qi")
    # the registry's clock (test mode) past the code's expiry
    ok(reg.call(suite.office, "clock.set", {"clock": rfc3339(3700)}))
    assert fail_code(enroll(reg, enrollee("qian-qi"), code)) == ("forbidden", BAD_CODE)
    row = next(p for p in ok(reg.call(suite.office, "principal.list", {}))["principals"]
               if p["iss"] == "qian-qi")
    assert row["invitation"]["state"] == "expired"
    # and an invitation may not be made to last longer than the policy's 72 hours
    data = {"iss": "qian-qi", "display": "钱七", "role": "team", "until": rfc3339(30 * 86400),
            "code_sha256": code_sha256(new_code()), "expires": rfc3339(3700 + 73 * 3600)}
    assert fail_code(reg.call(suite.office, "principal.invite", data))[0] == "conflict"


def approved(suite, reg, intake, iss, role="team"):
    code = invite(reg, suite.office, iss, role=role)
    person = enrollee(iss)
    ok(enroll(reg, person, code))
    ok(reg.call(suite.office, "principal.approve", {"iss": iss}))
    wait_for(lambda: health(intake, person)["type"] == "result", f"intake accepting {iss}'s key", 2)
    return person


def test_reenroll_ends_the_old_key(suite):
    reg, intake = suite.client("registry"), suite.client("intake")
    old = approved(suite, reg, intake, "sun-ba")
    # a message signed with the old key while it was valid
    signed, signed_body = xcwire.seal(old, "intake", "health", {})
    time.sleep(1.1)       # key times are to the second: the old key ends after this message
    # a lost PC: invited again with the same role (another role is refused)
    data = {"iss": "sun-ba", "display": "孙八", "role": "unit", "until": rfc3339(86400),
            "code_sha256": code_sha256(new_code()), "expires": rfc3339(3600)}
    assert fail_code(reg.call(suite.office, "principal.invite", data))[0] == "conflict"
    new = approved(suite, reg, intake, "sun-ba")
    assert ok(reg.call(new, "principal.whoami", {}))["iss"] == "sun-ba"
    # the old key's not_after is the approval's second, and validity includes both ends: refused
    # from the next second on
    wait_for(lambda: health(intake, old)["type"] == "error", "intake refusing the old key", 2)
    code, text = fail_code(health(intake, old))
    assert code == "key_not_valid", text
    p = entry(suite, "sun-ba")
    assert [k["kid"] for k in p["keys"]] == [old.kid, new.kid]
    # the old key stays in the file: what it signed before still verifies, judged when it
    # was signed, as a stored message is (docs/protocol.md); judged now, it is refused
    after = xcwire.Registry.load(suite.registry_path)
    xcwire.open_message(signed, after, at=signed_body["iat"])
    with pytest.raises(xcwire.WireError, match="key not valid"):
        xcwire.open_message(signed, after)


def test_revoke(suite):
    reg, intake = suite.client("registry"), suite.client("intake")
    person = approved(suite, reg, intake, "zhou-jiu")
    ok(reg.call(suite.office, "principal.revoke", {"iss": "zhou-jiu", "reason": "调离"}))
    assert entry(suite, "zhou-jiu")["revoked"] is True
    wait_for(lambda: health(intake, person)["type"] == "error", "intake refusing the revoked key", 2)
    assert fail_code(health(intake, person))[0] == "key_not_valid"
    # a service is not the office's to revoke
    assert fail_code(reg.call(suite.office, "principal.revoke",
                              {"iss": "intake", "reason": "x"}))[0] == "forbidden"
    assert fail_code(reg.call(suite.office, "principal.revoke",
                              {"iss": "nobody", "reason": "x"}))[0] == "not_found"


def test_every_other_role_is_refused(suite):
    reg, intake = suite.client("registry"), suite.client("intake")
    code = invite(reg, suite.office, "wu-shi")
    ok(enroll(reg, enrollee("wu-shi"), code))
    before = open(suite.registry_path, "rb").read()
    messages = [
        ("principal.invite", {"iss": "x-y", "display": "某", "role": "office", "until": rfc3339(86400),
                              "code_sha256": code_sha256(new_code()), "expires": rfc3339(3600)}),
        ("principal.approve", {"iss": "wu-shi"}),
        ("principal.reject", {"iss": "wu-shi", "reason": "x"}),
        ("principal.revoke", {"iss": "office", "reason": "x"}),
        ("principal.list", {}),
    ]
    signers = [getattr(suite, attr) for attr in OTHERS]
    # intake's own key: the role service
    with open(os.path.join(suite.folder, "intake.jwk"), encoding="utf-8") as f:
        d = xcwire.unb64u(json.load(f)["d"])
    signers.append(xcwire.Signer("intake", "intake#1", seed=d))
    stranger = enrollee("stranger")
    n = 0
    for signer in signers + [stranger]:
        for type_, data in messages:
            if signer is stranger:
                data = {**data, "key": stranger.jwk}
            code, text = fail_code(reg.call(signer, type_, data))
            expected = "forbidden" if signer is not stranger else "unknown_kid"
            assert code == expected, (signer.iss, type_, code, text)
            n += 1
    assert n == (len(signers) + 1) * len(messages)
    assert open(suite.registry_path, "rb").read() == before
    # the enrollment is still pending: nothing was decided
    assert ok(reg.call(suite.office, "principal.list", {}))["principals"]
    row = next(p for p in ok(reg.call(suite.office, "principal.list", {}))["principals"] if p["iss"] == "wu-shi")
    assert row["enrollment"]["state"] == "pending"


def test_enrollee_is_refused_office_messages(suite):
    """A signer proving an unregistered key on an office message: the office routes do not take
    proofs of possession, so its kid is simply unknown; on principal.enroll it is the enrollee,
    which the other routes never admit ('*' does not)."""
    reg = suite.client("registry")
    person = enrollee("chen-yi")
    for type_ in ("principal.invite", "principal.approve", "principal.list", "principal.whoami"):
        assert fail_code(reg.call(person, type_, {"key": person.jwk}))[0] == "unknown_kid"


def test_kill_during_approve_leaves_the_file_whole(suite):
    reg = suite.client("registry")
    d = suite.deployments["registry"]
    people = []
    for i in range(6):
        iss = f"kill-{i}"
        code = invite(reg, suite.office, iss)
        person = enrollee(iss)
        ok(enroll(reg, person, code))
        people.append(person)
    outcomes = []
    for i, person in enumerate(people):
        frame, body = xcwire.seal(suite.office, "registry", "principal.approve", {"iss": person.iss})
        reg.send(frame)
        time.sleep(0.001 * (i * 3))       # from before the handler to after the commit
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(5)
        d.log.close()
        raw = open(suite.registry_path, "rb").read()
        doc = json.loads(raw)                        # whole: it parses
        xcwire.Registry(doc)                          # and it is a registry
        written = any(k["kid"] == person.kid for p in doc["principals"] for k in p["keys"])
        d.start()
        reg = suite.client("registry")
        # the same approve again: done now, whatever the kill left
        # (committed: duplicate; written but not committed: the key is not written twice)
        ok(reg.request(frame, body))
        doc = registry_doc(suite)
        assert sum(k["kid"] == person.kid for p in doc["principals"] for k in p["keys"]) == 1
        outcomes.append(written)
    print("approvals written before the kill:", outcomes)


def xcctl(suite, *args):
    key = key_file(suite.folder, suite.office)
    return subprocess.run(["build/bin/xcctl", "--config", suite.config_path, "--key", key, *args],
                          capture_output=True, text=True, timeout=30)


def test_xcctl_invite_pending_approve(suite):
    reg, intake = suite.client("registry"), suite.client("intake")
    run = xcctl(suite, "principal", "invite", "--iss", "zheng-shiyi", "--display", "郑十一", "--role", "district",
                "--district", "D1", "--until", "2099-01-01")
    assert run.returncode == 0, run.stderr
    code = next(line.split()[1] for line in run.stdout.splitlines() if line.startswith("code "))
    assert len(code) == 26 + 6 and all(c in CROCKFORD + "-" for c in code)
    person = enrollee("zheng-shiyi")
    fingerprint = ok(enroll(reg, person, code))["fingerprint"]
    run = xcctl(suite, "principal", "pending")
    assert run.returncode == 0 and "zheng-shiyi" in run.stdout and fingerprint in run.stdout, run
    run = xcctl(suite, "--json", "principal", "pending")
    assert [r["iss"] for r in json.loads(run.stdout)] == ["zheng-shiyi"]
    run = xcctl(suite, "principal", "approve", "--iss", "zheng-shiyi")
    assert run.returncode == 0 and person.kid in run.stdout, run
    assert entry(suite, "zheng-shiyi")["scope"] == {"district": "D1"}
    wait_for(lambda: health(intake, person)["type"] == "result", "intake accepting the key", 2)
    assert xcctl(suite, "principal", "pending").stdout.strip() == "no enrollment is waiting"
    # the service's not_found: exit 6, its message said
    run = xcctl(suite, "principal", "reject", "--iss", "zheng-shiyi", "--reason", "重复")
    assert run.returncode == 6 and "no pending enrollment" in run.stderr, run
    # xcctl's own writes take the lock the service takes: held, they wait
    with open(suite.registry_path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        held = subprocess.Popen(["build/bin/xcctl", "--config", suite.config_path, "principal", "revoke",
                                 "--iss", "zheng-shiyi"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        assert held.poll() is None, "xcctl wrote the registry while the lock was held"
        assert "revoked" not in entry(suite, "zheng-shiyi")
    assert held.wait(10) == 0
    assert entry(suite, "zheng-shiyi")["revoked"] is True


def test_through_the_gateway(suite):
    """The console's path: the new key enrolls and polls over HTTP (POST /v1/registry); the
    gateway forwards a kid it does not know, and the service judges the proof."""
    from gatewaylib import Department, Gateway, stopped_at_end
    reg = suite.client("registry")
    code = invite(reg, suite.office, "feng-shier", role="petition")
    person = enrollee("feng-shier")
    who = Department({"d": xcwire.b64u(bytes(person.sk)), "kid": person.kid}, person.iss)
    with stopped_at_end(Gateway(suite)) as g:
        r, body = g.call(who, "registry", "principal.enroll", {"code": code, "key": person.jwk})
        assert r.status_code == 200 and body["type"] == "ack", (r.status_code, body)
        r, body = g.call(who, "registry", "principal.enrollment", {"key": person.jwk})
        assert body["type"] == "result" and body["data"]["state"] == "pending", body
        ok(reg.call(suite.office, "principal.approve", {"iss": "feng-shier"}))
        # the service reloads the file it wrote within a second, as every service does
        body = wait_for(lambda: (lambda b: b["type"] == "result" and b)(
            g.call(who, "registry", "principal.enrollment", {})[1]), "the approved key registered", 2)
        assert body["data"]["state"] == "approved", body
        r, body = g.call(who, "registry", "principal.whoami", {})
        assert body["data"]["role"] == "petition" and body["data"]["display"] == "张三", body
