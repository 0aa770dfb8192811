"""xcctl as a newcomer meets it (issue 18): unknown words, help, usage caught before the wire,
exit statuses that say what happened, tables without JSON, health asked at once, keys with a
given validity. The real binaries against real services (conftest.Suite), as in
test_xcctl_verbs.py, whose fixture and helpers this file uses."""

import json
import os
import re
import subprocess
import sys
import time

import pytest
import zmq

import xcwire
from conftest import REPO, Suite, key_file, running_suite, write_json
from test_xcctl_verbs import (POLICIES, PRINCIPALS, SERVICES, XCCTL, clients, done, ok, suite,  # noqa: F401
                              wait_for, world, xcctl)

ENV = {k: v for k, v in os.environ.items() if k not in ("XC_CONFIG", "XC_KEY")}


def bare(*args, cwd=None, env=None):
    """xcctl with nothing chosen for it: no --config, no XC_CONFIG."""
    return subprocess.run([XCCTL, *args], capture_output=True, text=True, timeout=30, cwd=cwd,
                          env={**ENV, **(env or {})})


def verb_table():
    """(type, service, synopsis) of every verb in cli/verbs.c."""
    with open(os.path.join(REPO, "cli", "verbs.c"), encoding="utf-8") as f:
        src = f.read()
    table = src[src.index("s_verbs[] = {"):src.index("{ NULL, NULL, NULL, NULL }")]
    out = []
    for t, svc, args in re.findall(r'\{\s*"([a-z_.]+)",\s*"(\w+)",\s*((?:"[^"]*"\s*)+),', table):
        out.append((t, svc, "".join(re.findall(r'"([^"]*)"', args))))
    assert len(out) > 40, "the verb table was not read"
    return out


def synopsis_options(synopsis):
    """{member: required} of a synopsis: options outside brackets are required."""
    opts, depth = {}, 0
    for tok in re.findall(r"\[|\]|--[a-z-]+", synopsis):
        if tok == "[":
            depth += 1
        elif tok == "]":
            depth -= 1
        else:
            opts[tok[2:].replace("-", "_")] = depth == 0
    return opts


# --- unknown words ---------------------------------------------------------------------------

def test_unknown_words_are_exit_2_with_the_nearest_known_one(tmp_path):
    cases = [
        (["helth"], "unknown command 'helth'; did you mean 'health'?"),
        (["help", "helth"], "unknown command 'helth'; did you mean 'health'?"),
        (["rectfy", "list"], "unknown command 'rectfy'; did you mean 'rectify'?"),
        (["unit", "gett"], "unit has no verb 'gett'; did you mean 'get'?"),
        (["unit", "get", "--unti", "U-A"], "unit get: unknown option '--unti'; did you mean '--unit'?"),
        (["--confg", "x.json", "health"], "unknown option '--confg'; did you mean '--config'?"),
        (["--timeout", "soon", "health"], "--timeout: 'soon' is not a number of milliseconds"),
        (["principal", "ad", "--iss", "x"], "principal has no 'ad'; did you mean 'add'?"),
        (["principal", "add", "--scop", "{}"], "principal: unknown option '--scop'; did you mean '--scope'?"),
        (["keygen", "--ot", "k.jwk"], "keygen: unknown option '--ot'; did you mean '--out'?"),
        (["events", "intake", "--folow"], "events: unknown option '--folow'; did you mean '--follow'?"),
        (["import", "unit", "u.csv"], "import has no 'unit'; did you mean 'units'?"),
        (["stats", "--rund", "R1"], "stats: unknown option '--rund'; did you mean '--round'?"),
        (["stats", "--year", "1999"], "stats --year: '1999' is not a year from 2000 to 2100"),
        (["stats", "--kind", "regulr"], "stats --kind: no such value 'regulr'; did you mean 'regular'?"),
    ]
    for args, said in cases:
        # in an empty folder: words are checked before any deployment is looked for
        r = bare(*args, cwd=str(tmp_path))
        assert r.returncode == 2, (args, r)
        assert said in r.stderr, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    # a word near nothing: no guess, the list is named
    r = bare("zzzzzz", cwd=str(tmp_path))
    assert r.returncode == 2 and "did you mean" not in r.stderr and "xcctl help" in r.stderr, r
    r = bare("unit", "get", "--qqqqqq", "x", cwd=str(tmp_path))
    assert r.returncode == 2 and "known: --unit" in r.stderr, r
    # what is known still works: help of a command, of a noun
    r = bare("help", "health", cwd=str(tmp_path))
    assert r.returncode == 0 and r.stdout.startswith("usage: xcctl health"), r
    r = bare("help", "unit", cwd=str(tmp_path))
    assert r.returncode == 0 and "get" in r.stdout and "register" in r.stdout, r


def test_unknown_words_of_the_deployment_commands(suite, tmp_path):
    s = suite
    r = xcctl(s, "audit", "verify", "nosuch")
    assert r.returncode == 2 and r.stdout == "", r
    assert "no service 'nosuch'" in r.stderr
    for name in ("intake", "referral", "rectify", "notify"):
        assert name in r.stderr, r.stderr
    r = xcctl(s, "audit", "verify", "intak")
    assert r.returncode == 2 and "did you mean 'intake'?" in r.stderr, r
    r = xcctl(s, "audit", "verfy")
    assert r.returncode == 2 and "did you mean 'verify'?" in r.stderr, r
    r = xcctl(s, "health", "rectfy")
    assert r.returncode == 2 and "did you mean 'rectify'?" in r.stderr, r
    r = xcctl(s, "events", "referal")
    assert r.returncode == 2 and "did you mean 'referral'?" in r.stderr, r
    out = tmp_path / "p.csv"
    r = xcctl(s, "export", "problems", "--rund", "R1", "--out", str(out))
    assert r.returncode == 2 and "did you mean '--round'?" in r.stderr and not out.exists(), r
    # the known service still verifies
    assert done(xcctl(s, "audit", "verify", "intake"))


def test_help_lists_every_verb_with_its_noun():
    r = bare("help")
    assert r.returncode == 0, r
    lines = r.stdout[r.stdout.index("verbs:\n"):].splitlines()[1:]
    listed = {tuple(line.split()[:2]) for line in lines}
    for t, _, _ in verb_table():
        noun, verb = t.split(".")
        assert (noun, verb) in listed, (t, r.stdout)


# --- bad usage is caught here, not by the service --------------------------------------------

def test_a_required_option_missing_is_exit_2_naming_it_before_anything_is_sent(tmp_path):
    # no deployment at all: had xcctl gone to a service, this would be exit 4 or 3
    for args, option in ((["unit", "get"], "--unit"),
                         (["rectify", "review", "--item", "3"], "--decision"),
                         (["referral", "outcome", "--referral", "1", "--party-sanctions", "0"],
                          "--case-filed")):
        r = bare(*args, cwd=str(tmp_path))
        assert r.returncode == 2, (args, r)
        assert f"the option {option} is required" in r.stderr, (args, r.stderr)
        assert "usage: xcctl " in r.stderr
    r = bare("problem", "get", "--problem", "seven", cwd=str(tmp_path))
    assert r.returncode == 2 and "--problem: 'seven' is not an integer" in r.stderr, r
    r = bare("rectify", "list", "--overdue", "yes", cwd=str(tmp_path))
    assert r.returncode == 2 and "--overdue" in r.stderr, r


def test_a_required_member_from_file_is_enough(suite, tmp_path):
    s = suite
    c = clients(s)
    ok(c["intake"].call(s.office, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
    data = tmp_path / "get.json"
    data.write_text(json.dumps({"unit": "U-A"}))
    assert json.loads(done(xcctl(s, "unit", "get", "--file", str(data), "--json")))["id"] == "U-A"
    # and through the service: unit get without --unit never reaches it (its commands count stays)
    before = json.loads(done(xcctl(s, "--json", "health", "intake")))[0]["commands"]
    r = xcctl(s, "unit", "get")
    assert r.returncode == 2 and "--unit" in r.stderr, r
    after = json.loads(done(xcctl(s, "--json", "health", "intake")))[0]["commands"]
    assert after == before + 0, (before, after)


def test_the_verb_table_declares_what_each_service_schema_has():
    """The synopses are the declaration xcctl checks against: they must name exactly each
    command's members, required ones outside brackets. Read from the services' route tables
    through the C preprocessor (their macros expanded)."""
    schemas = {}
    for svc in ("intake", "referral", "rectify", "notify"):
        src = subprocess.run(["cc", "-E", "-P", "-I.", f"services/{svc}/routes.c"], cwd=REPO,
                             capture_output=True, text=True, timeout=60, check=True).stdout
        arrays = {}
        for m in re.finditer(r"xc_field_t\s+(\w+)\s*\[\]\s*=\s*\{(.*?)\{\s*\.name\s*=\s*(?:NULL|\(\(void\s*\*\)0\)|0)"
                             r"\s*\}\s*,?\s*\};", src, re.S):
            arrays[m.group(1)] = {f.group(1): ".required = 1" in f.group(2) or ".required = true" in f.group(2)
                                  for f in re.finditer(r"\{\s*\.name\s*=\s*\"(\w+)\"(.*?)\}", m.group(2), re.S)}
        for m in re.finditer(r"\{\s*\"([a-z_]+\.[a-z_]+)\",\s*XC_\w+,\s*\w+,\s*(\w+|\(\(void \*\)0\))", src):
            schemas[m.group(1)] = (svc, arrays.get(m.group(2), {}))
    assert len(schemas) > 40, sorted(schemas)
    for t, service, synopsis in verb_table():
        assert t in schemas, f"{t}: no route of that name in any service"
        svc, fields = schemas[t]
        assert service == svc, (t, service, svc)
        assert synopsis_options(synopsis) == fields, (t, synopsis, fields)


# --- exit statuses that say what happened ----------------------------------------------------

def test_audit_and_export_name_what_does_not_exist(suite, tmp_path):
    s = suite
    c = clients(s)
    world(s, c)
    out = tmp_path / "p.csv"
    for args in (["problems", "--round", "NOSUCH"], ["tasks", "--unit", "NOSUCH"],
                 ["responsibilities", "--round", "R1", "--unit", "NOSUCH"], ["leads", "--target", "nobody"]):
        r = xcctl(s, "export", *args, "--out", str(out))
        assert r.returncode == 6, (args, r)
        assert "NOSUCH" in r.stderr or "nobody" in r.stderr, r.stderr
        assert "does not exist" in r.stderr or "no principal" in r.stderr, r.stderr
        assert not out.exists() and not (tmp_path / "p.csv.tmp").exists(), args
    # what exists exports
    assert "wrote 1 rows" in done(xcctl(s, "export", "problems", "--round", "R1", "--out", str(out)))
    assert out.exists()
    # a service's not_found is 6 too
    r = xcctl(s, "problem", "get", "--problem", "999")
    assert r.returncode == 6 and "not_found" in r.stderr, r


def test_health_shows_an_unknown_lag_as_unknown_never_negative(suite):
    s = suite
    c = clients(s)
    world(s, c)
    # rectify reads intake; with intake down and rectify restarted, intake's head is unknown
    # to rectify while its offset is where it stopped
    wait_for(lambda: json.loads(done(xcctl(s, "--json", "health", "rectify")))[0]["lag"] == 0,
             what="rectify caught up")
    s.deployments["intake"].end_process()
    s.deployments["rectify"].end_process()
    s.deployments["rectify"].start()
    r = xcctl(s, "--json", "health", "rectify", "referral")
    rows = {row["service"]: row for row in json.loads(r.stdout)}
    assert rows["rectify"]["state"] == "up", rows
    assert rows["rectify"]["lag"] is None, rows
    assert rows["rectify"]["sources"]["intake"]["head"] is None, rows
    assert rows["rectify"]["sources"]["intake"]["offset"] > 0, rows
    table = done(xcctl(s, "health", "rectify"))
    head, line = [ln for ln in table.splitlines() if ln.startswith(("SERVICE", "rectify"))]
    assert line.split()[head.split().index("LAG")] == "?", table
    assert not re.search(r"\s-\d", table), table
    for row in rows.values():
        assert row["lag"] is None or row["lag"] >= 0, rows


def test_health_with_every_service_down_asks_them_at_once(suite):
    s = suite
    for d in s.deployments.values():
        d.end_process()
    started = time.monotonic()
    r = xcctl(s, "--timeout", "1500", "health")
    took = time.monotonic() - started
    assert r.returncode == 3, r
    assert [ln.split()[2] for ln in r.stdout.splitlines()[1:]] == ["DOWN"] * 4, r.stdout
    assert r.stderr.count("did not answer within 1.5 s") == 4, r.stderr
    # one after another would be 4 x 1.5 s; together it is one timeout (wide margin for load)
    assert took < 4.0, took


def test_a_refused_reply_is_not_no_reply(suite, tmp_path):
    s = suite
    c = clients(s)
    for k in range(12):
        ok(c["intake"].call(s.office, "unit.register", {"id": f"U-{k:02d}", "name": "云溪区青石镇人民政府" * 3,
                                                        "level": "town"}))
    config = json.loads(open(s.config_path, encoding="utf-8").read())

    def variant(name, registry=None, limit=None):
        doc = json.loads(json.dumps(config))
        if registry is not None:
            write_json(str(tmp_path / f"{name}.registry.json"), registry)
            doc["registry"] = str(tmp_path / f"{name}.registry.json")
        else:
            doc["registry"] = os.path.join(s.folder, "principals.json")
        if limit:
            doc["limits"]["max_message_bytes"] = limit
        path = str(tmp_path / f"{name}.json")
        write_json(path, doc)
        return path

    def run(config_path, *args):
        return subprocess.run([XCCTL, "--config", config_path, "--key", s.keys["office"], *args],
                              capture_output=True, text=True, timeout=30)

    # too large: the list is above this config's max_message_bytes
    r = run(variant("small", limit=1024), "unit", "list")
    assert r.returncode == 7, r
    assert "intake at " in r.stderr and "answered unit.list, but xcctl refused the reply" in r.stderr, r.stderr
    assert re.search(r"it is \d+ bytes, above max_message_bytes \(1024\)", r.stderr), r.stderr
    assert "did not answer" not in r.stderr
    # a signature that does not verify: the registry gives intake's kid another key
    registry = json.loads(open(os.path.join(s.folder, "principals.json"), encoding="utf-8").read())
    other = xcwire.Signer("intake", "intake#1")
    forged = json.loads(json.dumps(registry))
    for p in forged["principals"]:
        if p["iss"] == "intake":
            p["keys"] = [other.public_jwk("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")]
    r = run(variant("forged", registry=forged), "unit", "list")
    assert r.returncode == 7, r
    assert "its signature does not verify" in r.stderr and "bad_signature" in r.stderr, r.stderr
    # a reply signed with a key that the registry gives another principal
    moved = json.loads(json.dumps(registry))
    by = {p["iss"]: p for p in moved["principals"]}
    by["referral"]["keys"] += by["intake"]["keys"]
    by["intake"]["keys"] = [other.public_jwk("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")]
    by["intake"]["keys"][0]["kid"] = "intake#2"
    r = run(variant("moved", registry=moved), "unit", "list")
    assert r.returncode == 7 and "another principal" in r.stderr, r
    # health tells them apart too: up, but its reply refused
    r = run(variant("forged2", registry=forged), "health")
    assert r.returncode == 7, r
    states = {ln.split()[0]: ln.split()[2] for ln in r.stdout.splitlines()[1:]}
    assert states["intake"] == "BAD" and states["referral"] == "up", r.stdout
    # and no reply at all is still 3
    s.deployments["intake"].end_process()
    r = run(variant("down"), "--timeout", "500", "unit", "list")
    assert r.returncode == 3 and "did not answer" in r.stderr, r


def test_a_reply_whose_corr_is_upper_case_is_matched(tmp_path):
    """A service may answer with the request id in upper case (RFC 9562: UUIDs compare without
    regard to case). A ROUTER on loopback signs its replies as 'echo' with a registered key and
    gives corr in upper case: xcctl takes the reply."""
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    echo = xcwire.Signer("echo", "echo#1")
    office = xcwire.Signer("office", "office#1")
    write_json(str(tmp_path / "principals.json"), {"principals": [
        {"iss": "echo", "role": "service", "keys": [echo.public_jwk("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")]},
        {"iss": "office", "role": "office", "keys": [office.public_jwk("2020-01-01T00:00:00Z",
                                                                       "2099-01-01T00:00:00Z")]}]})
    write_json(str(tmp_path / "office.jwk"), office.private_jwk(), 0o600)
    write_json(str(tmp_path / "config.json"), {
        "deployment": "corr", "utc_offset": "+08:00", "registry": "principals.json",
        "calendar": os.path.join(REPO, "config", "calendar"),
        "services": {"echo": {"api": f"tcp://127.0.0.1:{port}", "events": "tcp://127.0.0.1:1",
                              "database": "echo.db", "key": "echo.jwk"}}})
    proc = subprocess.Popen([XCCTL, "--config", str(tmp_path / "config.json"), "--key", str(tmp_path / "office.jwk"),
                             "--json", "health"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert router.poll(10000), "xcctl sent nothing"
        peer, frame = router.recv_multipart()
        _, _, request, _, _ = xcwire.parse(frame)
        assert request["id"] == request["id"].lower(), request
        reply, _ = xcwire.seal(echo, "office", "result", {"head": 0, "commands": 0, "sources": {}},
                               body_extra={"corr": request["id"].upper()})
        router.send_multipart([peer, reply])
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        router.close()
        ctx.term()
    assert proc.returncode == 0, (out, err)
    assert json.loads(out)[0]["state"] == "up", out


# --- tables for people -----------------------------------------------------------------------

@pytest.fixture
def noisy(tmp_path):
    """The suite with a rule that sends the office every event on its stream."""
    policies = json.loads(json.dumps(POLICIES))
    policies["notify"]["rules"] = [{"id": "all-to-office", "events": ["*"], "to": ["role:office"],
                                    "channels": ["stream"]}]
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS, policies)
    s.keys = {attr: key_file(tmp_path, getattr(s, attr)) for attr in PRINCIPALS}
    yield from running_suite(s)


def test_notify_read_is_a_table_without_json(noisy):
    s = noisy
    c = clients(s)
    world(s, c)
    got = wait_for(lambda: json.loads(done(xcctl(s, "notify", "read", "--json")))["notices"],
                   what="a notice for the office")
    table = done(xcctl(s, "notify", "read"))
    header = table.splitlines()[0].split()
    for column in ("通知编号", "规则", "事件", "标题"):     # the office's words (cli/table.c)
        assert column in header, table
    assert '{"' not in table and '":' not in table and "[{" not in table, table
    # the event in the row as key=value text
    first = got[0]
    assert f"source={first['event']['source']}" in table and f"seq={first['event']['seq']}" in table, table
    assert f"type={first['event']['type']}" in table, table
    # the rest of the result after the table
    assert re.search(r"^next\s+\d+$", table, re.M), table


# --- keys with a given validity --------------------------------------------------------------

def test_keys_with_a_given_validity_are_refused_outside_it(suite, tmp_path):
    s = suite
    registry = os.path.join(s.folder, "principals.json")
    before = open(registry, encoding="utf-8").read()
    key = str(tmp_path / "later.jwk")
    # malformed or reversed validity: exit 2, nothing written to the registry
    r = xcctl(s, "keygen", "--out", key, "--kid", "later#1", "--not-before", "2027-13-01")
    assert r.returncode == 2 and "--not-before" in r.stderr and not os.path.exists(key), r
    r = xcctl(s, "keygen", "--out", key, "--kid", "later#1", "--not-before", "2030-01-01", "--not-after", "2029-01-01")
    assert r.returncode == 2 and "earlier" in r.stderr and not os.path.exists(key), r
    # a key valid from next year: keygen writes the validity into the public file
    done(xcctl(s, "keygen", "--out", key, "--kid", "later#1", "--not-before", "2099-01-01",
               "--not-after", "2099-06-30T12:00:00+08:00"))
    pub = json.loads(open(key + ".pub", encoding="utf-8").read())
    assert pub["not_before"] == "2098-12-31T16:00:00Z" and pub["not_after"] == "2099-06-30T04:00:00Z", pub
    r = xcctl(s, "principal", "add", "--iss", "later", "--role", "team", "--public", key + ".pub",
              "--not-after", "2098-01-01")
    assert r.returncode == 2 and open(registry, encoding="utf-8").read() == before, r
    out = done(xcctl(s, "principal", "add", "--iss", "later", "--role", "team", "--public", key + ".pub"))
    assert "valid from 2098-12-31T16:00:00Z until 2099-06-30T04:00:00Z" in out, out
    # an expired key, the validity given to principal add
    old = str(tmp_path / "old.jwk")
    done(xcctl(s, "keygen", "--out", old, "--kid", "old#1"))
    done(xcctl(s, "principal", "add", "--iss", "old", "--role", "team", "--public", old + ".pub",
               "--not-before", "2020-01-01", "--not-after", "2020-06-30"))
    by = {p["iss"]: p for p in json.loads(open(registry, encoding="utf-8").read())["principals"]}
    assert by["old"]["keys"][0]["not_after"] == "2020-06-29T16:00:00Z", by["old"]
    time.sleep(1.5)                  # the services reload the registry within a second
    for k in (key, old):
        r = xcctl(s, "unit", "list", key=k)
        assert r.returncode == 1, r
        assert "intake refused unit.list: key_not_valid" in r.stderr, r.stderr
    # a key within its validity answers
    now = str(tmp_path / "now.jwk")
    done(xcctl(s, "keygen", "--out", now, "--kid", "now#1", "--not-before", "2020-01-01", "--not-after", "2099-01-01"))
    done(xcctl(s, "principal", "add", "--iss", "now", "--role", "team", "--public", now + ".pub"))
    wait_for(lambda: xcctl(s, "unit", "list", key=now).returncode == 0, what="the new key to be taken")
