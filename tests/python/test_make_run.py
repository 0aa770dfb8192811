"""`make run` keeps its whole deployment under $XC_VAR, comes up within a minute with the HTTP gateway
on loopback (a signed POST and /v1/keys through it), and Ctrl-C (SIGINT to make's process group, as a
terminal sends it) stops every service it started."""

import json
import os
import signal
import socket
import subprocess
import time
from datetime import date, timedelta

import pytest
import requests

import makerun
from gatewaylib import UNIT, Department, open_reply

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
UP_WITHIN = 60
STOP_WITHIN = 10


def alive(pid):
    """Whether pid is a process that has not ended (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def command_of(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [a.decode() for a in f.read().split(b"\0") if a]


def ports_in_use():
    """The fixed ports of config/local.json that something listens on already."""
    with open(os.path.join(REPO, "config", "local.json"), encoding="utf-8") as f:
        conf = json.load(f)
    busy = []
    for name, svc in conf["services"].items():
        for key in ("api", "events", "http"):
            if key not in svc:
                continue
            host, port = svc[key].rsplit("/", 1)[-1].rsplit(":", 1)
            with socket.socket() as s:
                if s.connect_ex((host, int(port))) == 0:
                    busy.append(f"{name} {svc[key]}")
    return busy


def test_make_run_comes_up_under_xc_var_and_stops_on_sigint(tmp_path):
    busy = ports_in_use()
    if busy:
        pytest.fail(f"the ports of config/local.json are in use already (another make run?): {busy}")
    var = tmp_path / "var"
    config = var / "local.json"
    log_path = tmp_path / "make-run.log"
    env = {**os.environ, "XC_VAR": str(var), "XC_DEMO": "0"}
    env.pop("XC_CONFIG", None)
    env.pop("XC_KEY", None)
    log = open(log_path, "wb")
    make = subprocess.Popen(["make", "run"], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pids = {}

    def log_text():
        log.flush()
        return log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    try:
        # up within 60 s: xcctl health with the deployment make run keeps in XC_VAR
        deadline = time.monotonic() + UP_WITHIN
        while True:
            if make.poll() is not None:
                pytest.fail(f"make run exited with {make.returncode}:\n{log_text()}")
            if config.exists():
                health = subprocess.run([XCCTL, "--config", str(config), "health"], capture_output=True,
                                        text=True, timeout=30, cwd=str(tmp_path), env=env)
                if health.returncode == 0:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"make run was not up within {UP_WITHIN} s:\n{log_text()}")
            time.sleep(0.5)
        took = UP_WITHIN - (deadline - time.monotonic())

        services = subprocess.run([XCCTL, "--config", str(config), "services"], capture_output=True,
                                  text=True, timeout=30, env=env).stdout.split()
        assert set(services) >= {"intake", "referral", "rectify", "notify"}, services
        for line in health.stdout.splitlines()[1:]:
            assert line.split()[2] == "up", health.stdout
        # everything it writes is in XC_VAR: config, keys, registry, databases, ready files
        assert (var / "keys" / "office.jwk").exists() and (var / "principals.json").exists()
        for name in services:
            assert (var / f"{name}.db").exists(), name
            with open(var / f"{name}.ready", encoding="utf-8") as f:
                ready = json.load(f)
            assert ready["service"] == name
            pids[name] = ready["pid"]
            assert alive(ready["pid"]), (name, ready)
            cmd = command_of(ready["pid"])
            assert os.path.basename(cmd[0]) == f"xc-{name}" and str(config) in cmd, cmd
        # XC_DEMO=0: the stores stay empty
        rows = json.loads(subprocess.run([XCCTL, "--config", str(config), "--json", "health"],
                                         capture_output=True, text=True, timeout=30, env=env).stdout)
        assert {r["service"]: r["head"] for r in rows if r["service"] == "intake"} == {"intake": 0}, rows
        print(f"make run up in {took:.1f} s")

        # the HTTP gateway: on config/local.json's loopback address, said in make run's output,
        # started with the deployment's config and stopped with the rest
        with open(config, encoding="utf-8") as f:
            http = json.load(f)["services"]["gateway"]["http"]
        assert http == "127.0.0.1:7180", http
        base = f"http://{http}"
        deadline = time.monotonic() + 30   # it starts once the services answer
        while f"run: the HTTP gateway at {base} " not in log_text():
            assert make.poll() is None and time.monotonic() < deadline, log_text()
            time.sleep(0.2)
        with open(var / "gateway.ready", encoding="utf-8") as f:
            ready = json.load(f)
        assert ready["service"] == "gateway" and ready["http"] == http, ready
        pids["gateway"] = ready["pid"]
        cmd = command_of(ready["pid"])
        assert os.path.basename(cmd[0]) == "xc-gateway" and str(config) in cmd, cmd
        # /v1/keys: every service's public key; a signed unit.register from the operator's key
        # (xcctl init made it), answered by intake's signed reply, verified with those keys
        jwks = requests.get(base + "/v1/keys", timeout=10).json()
        assert {k["iss"] for k in jwks["keys"]} == set(services), jwks
        assert all("d" not in k for k in jwks["keys"]), jwks
        with open(var / "keys" / "office.jwk", encoding="utf-8") as f:
            office = Department(json.load(f), "office")
        frame, id_ = office.seal("intake", "unit.register", UNIT)
        r = requests.post(base + "/v1/intake", data=frame, timeout=30,
                          headers={"Content-Type": "application/jose+json"})
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/jose+json", r.text
        body = open_reply(r.content, jwks, "intake", "office", id_)
        assert body["type"] == "ack" and body["data"] == {"status": "accepted",
                                                          "result": {"unit": UNIT["id"]}}, body
        # stored by intake itself: its head moved
        rows = json.loads(subprocess.run([XCCTL, "--config", str(config), "--json", "health"],
                                         capture_output=True, text=True, timeout=30, env=env).stdout)
        assert {r["service"]: r["head"] for r in rows if r["service"] == "intake"} == {"intake": 1}, rows

        # a second make run on the same folder: says which suite runs and where, changes
        # nothing (ready files, processes, health), exits non-zero
        ready_before = {n: (var / f"{n}.ready").read_bytes() for n in [*services, "gateway"]}
        second = subprocess.run(["make", "run"], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=120)
        said = second.stdout + second.stderr
        assert second.returncode != 0, said
        assert "a suite is already running from " + str(var) in said, said
        assert "make run pid " in said, said
        with open(config, encoding="utf-8") as f:
            conf = json.load(f)
        for name, svc in conf["services"].items():
            address = "http://" + svc["http"] if name == "gateway" else svc["api"]
            assert address in said, (address, said)
        assert "nothing was changed" in said, said
        assert {n: (var / f"{n}.ready").read_bytes() for n in [*services, "gateway"]} == ready_before
        assert all(alive(p) for p in pids.values()), pids
        assert subprocess.run([XCCTL, "--config", str(config), "health"], capture_output=True, text=True,
                              timeout=30, env=env).returncode == 0
        # another folder on the same ports: found by the ports answering, nothing started
        other = tmp_path / "other"
        third = subprocess.run(["make", "run"], cwd=REPO, env={**env, "XC_VAR": str(other)},
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        said = third.stdout + third.stderr
        assert third.returncode != 0, said
        assert "something already answers at " in said and "nothing was started" in said, said
        assert f"http://{http}" in said, said
        assert not list(other.glob("*.ready")) and not list(other.glob("*.db")), list(other.iterdir())
        assert all(alive(p) for p in pids.values()), pids

        # Ctrl-C: SIGINT to make's process group stops every service within 10 s
        os.killpg(make.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_WITHIN
        while any(alive(p) for p in pids.values()):
            if time.monotonic() > deadline:
                left = {n: p for n, p in pids.items() if alive(p)}
                pytest.fail(f"still running {STOP_WITHIN} s after SIGINT: {left}\n{log_text()}")
            time.sleep(0.1)
        make.wait(timeout=max(0.1, deadline - time.monotonic()))
        down = subprocess.run([XCCTL, "--config", str(config), "--timeout", "300", "health"],
                              capture_output=True, text=True, timeout=30, env=env)
        assert down.returncode == 3, down
    finally:
        if make.poll() is None:
            try:
                os.killpg(make.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            make.wait(timeout=10)
        for name, p in pids.items():
            if alive(p) and os.path.basename(command_of(p)[0]) == f"xc-{name}":
                os.kill(p, signal.SIGKILL)
        log.close()
        print(f"--- make run log:\n{log_path.read_text(encoding='utf-8', errors='replace')[-4000:]}")



def test_the_demo_tells_the_source_story_with_its_dates(tmp_path):
    """The demo (tools/demo.sh) on free ports: the 十二届 rounds from the records with their dates,
    today's round, a district office's round of today, and the figures those dates make."""
    var = tmp_path / "var"
    var.mkdir()
    conf, config = makerun.write_local_config(var)
    env = makerun.run_env(var, demo=True)

    def x(*args):
        r = subprocess.run([XCCTL, "--config", str(config), *args], capture_output=True, text=True,
                           timeout=60, env=env)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout

    def js(*args):
        out = json.loads(x("--json", *args))
        return out["items"] if isinstance(out, dict) and "items" in out else out

    with makerun.running(tmp_path, var, demo=True, within=180, what="with the demo") as run:
        assert "the demo did not load fully" not in run.log_text(), run.log_text()

        # the hospital's idle No. 2 building resolved, in 2017, before its deadline
        hospital = js("rectify", "list", "--round", "R12-1", "--unit", "CZ-HOSPITAL-1")
        assert [i["state"] for i in hospital] == ["closed"], hospital
        assert hospital[0]["opened_on"] == "2017-05-05", hospital
        # today's school item is overdue, and the district's town item: the city sees both, each
        # with its round's owner; the district office (its own principal) sees its own only
        overdue = js("rectify", "list", "--overdue", "true")
        assert sorted((i["unit"], i["round_owner"]) for i in overdue) == [("CZ-BEIJIAO", "city"), ("WJ-HUTANG", "WJ")], \
            overdue
        wj_key = str(var / "keys" / "demo-district-wj.jwk")
        mine = js("--key", wj_key, "rectify", "list", "--overdue", "true")
        assert [i["unit"] for i in mine] == ["WJ-HUTANG"], mine
        # the district's round: its own office opened it; its 立行立改 deadline by the district's
        # own rule (config/local.json: policies.rectify.districts.WJ, 10 days), said so
        town = js("rectify", "get", "--item", str(mine[0]["id"]))
        assert town["round_owner"] == "WJ", town
        assert [d["policy_source"] for d in town["deadlines"]] == ["WJ"], town["deadlines"]
        fed_back = date.fromisoformat(town["opened_on"])
        assert date.fromisoformat(town["due"]) == fed_back + timedelta(days=10), town
        rnd = json.loads(x("--json", "--key", wj_key, "round", "get", "--round", "R-WJ-1"))
        assert rnd["owner"]["district"] == "WJ", rnd

        got = json.loads(x("--json", "stats"))
        rectify, referral = got["rectify"], got["referral"]
        # six closed on or before their due dates, two open past it (the school's, the town's): 6 of 8
        assert rectify["on_time"]["due"] == 8 and rectify["on_time"]["closed_on_time"] == 6, rectify["on_time"]
        assert rectify["on_time"]["rate"] == "75.00"
        assert rectify["overdue_now"] == 2
        assert rectify["interviews_held"] == rectify["interviews_recommended"] == 1
        assert referral["overdue_now"] == 0 and referral["institutional_measures"] == 3, referral
        assert referral["reports"] == 1 and referral["reports_signed"] == 1, referral
        assert referral["detentions"] == 1 and referral["prosecution_transfers"] == 1, referral
        # the receivables: a 专项治理 by the district over three villages, 9657万 / 1261万 between them
        wj = json.loads(x("--json", "stats", "--round", "R12-WJ"))["rectify"]
        assert wj["items"] == 3, wj
        assert wj["money_recovered_fen"] == 9657000000 and wj["money_written_off_fen"] == 1261000000, wj
        assert rectify["money_recovered_fen"] == 9657000000
        # every target of the first round visited, the rail group (a lead, no item) too
        first = json.loads(x("--json", "stats", "--round", "R12-1"))["rectify"]["revisits"]
        assert first["due"] == first["done"] == 3, first
        # the 回头看 is the city's, over a village the district inspected
        lookback = json.loads(x("--json", "stats", "--kind", "lookback"))["intake"]["coverage"]
        assert lookback["by_owner"]["city"]["by_kind"]["lookback"]["main"] == 1, lookback
        # what a person reads
        text = x("stats")
        assert "75.00%" in text and "9657万元 / 1261万元" in text, text


def test_make_run_with_curve_on_the_gateway_connects_as_its_own_principal(tmp_path):
    """A deployment with curve on (as compose's): xcctl init makes the gateway's CURVE keypair and
    registers it as principal `gateway` of role gateway; the gateway forwards a signed POST and
    relays hints over CURVE; a gateway whose CURVE key is not registered refuses to start."""
    var = tmp_path / "var"
    var.mkdir()
    conf, config = makerun.write_local_config(var, curve=True)
    with makerun.running(tmp_path, var, demo=False, within=UP_WITHIN, what="with curve on") as run:
        with open(var / "principals.json", encoding="utf-8") as f:
            registry = {p["iss"]: p for p in json.load(f)["principals"]}
        with open(var / "keys" / "gateway.curve", encoding="utf-8") as f:
            gateway_curve = json.load(f)
        assert registry["gateway"]["role"] == "gateway", registry["gateway"]
        assert registry["gateway"]["curve"] == gateway_curve["public"], registry["gateway"]
        assert not (var / "keys" / "gateway.jwk").exists(), "the gateway holds no signing key"
        with open(var / "gateway.ready", encoding="utf-8") as f:
            base = "http://" + json.load(f)["http"]
        jwks = requests.get(base + "/v1/keys", timeout=10).json()
        assert "gateway" not in {k["iss"] for k in jwks["keys"]}, jwks
        with open(var / "keys" / "office.jwk", encoding="utf-8") as f:
            office = Department(json.load(f), "office")
        frame, id_ = office.seal("intake", "unit.register", UNIT)
        r = requests.post(base + "/v1/intake", data=frame, timeout=30,
                          headers={"Content-Type": "application/jose+json"})
        assert r.status_code == 200, r.text
        body = open_reply(r.content, jwks, "intake", "office", id_)
        assert body["data"] == {"status": "accepted", "result": {"unit": UNIT["id"]}}, body
        # the hint of that command, relayed from intake's PUB over CURVE
        with requests.get(base + "/v1/events/intake/hints", stream=True, timeout=10) as stream:
            seen = []
            for line in stream.iter_lines():
                seen.append(line)
                if line.startswith(b"id: "):
                    break
                assert len(seen) < 20, seen
        assert seen[-1] == b"id: 1", seen

        # a second gateway on the same deployment with a CURVE key the registry does not hold
        subprocess.run([XCCTL, "--config", str(config), "keygen", "--out", str(tmp_path / "stranger.jwk"),
                        "--kid", "stranger#1", "--curve"], check=True, capture_output=True, timeout=30,
                       env=run.env)
        conf["services"]["gateway"]["curve_key"] = str(tmp_path / "stranger.jwk.curve")
        other = tmp_path / "other.json"
        other.write_text(json.dumps({**conf, "registry": str(var / "principals.json")},
                                    ensure_ascii=False), encoding="utf-8")
        refused = subprocess.run([os.path.join(REPO, "build", "bin", "xc-gateway"), "--config", str(other)],
                                 capture_output=True, text=True, timeout=30, env=run.env)
        assert refused.returncode != 0, refused
        assert "is not in the registry" in refused.stderr and "role gateway" in refused.stderr, refused.stderr
