"""make crash-test: a load of signed commands through all four services, over ZeroMQ and over
HTTP through xc-gateway, while a killer thread ends a random service or the gateway with SIGKILL
at random moments (at least XC_CRASH_KILLS times) and starts it again. Every client, over
either transport, resends the same bytes until it has an answer (over HTTP: after a connection
error, a timeout, 503, 504 or 429). Afterwards, from what the services answer and store:

- every acknowledged command is stored exactly once (its events, found by corr, come from one
  commit; a report is one problem, a classification one set of dispositions, ...);
- every command acknowledged over HTTP is in its service's inbox table once, as the bytes the
  client sent, with the result the client got (a `duplicate` reply carried the first result);
  its same bytes sent once more get `duplicate` with that result; the problems table holds
  each acknowledged report once, under the problem id its ack gave;
- every service's event sequence has no gap and its hash chain verifies (xcctl audit verify);
- every consumer's offset equals the head it read, and what it applied matches (one rectify item
  per fed-back problem, one referral per lead, one notice per matching event and recipient);
- every notice exists once per (event, recipient, channel);
- every deadline crossed produced exactly one overdue event, and each escalation step reached
  exactly one event.

The run prints its counts and fails on any mismatch. Real binaries, real sockets, real files.
"""
import collections
import datetime
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.append(os.path.join(HERE, "..", "container"))     # after tests/python: its conftest
import conftest as suite_lib  # noqa: E402  (tests/python/conftest.py: Suite, key_file)
import gatewaylib  # noqa: E402  (tests/python/gatewaylib.py: open_reply, problem)
import http_load  # noqa: E402  (tests/crash/http_load.py: the gateway and its clients)
import load as loadgen  # noqa: E402  (tests/container/load.py: many commands in flight)
import xcwire  # noqa: E402
import zmq  # noqa: E402

KILLS = int(os.environ.get("XC_CRASH_KILLS", "20"))
BATCH = int(os.environ.get("XC_CRASH_BATCH", "40"))       # problems per round
MAX_SECONDS = float(os.environ.get("XC_CRASH_SECONDS", "240"))
SEED = int(os.environ.get("XC_CRASH_SEED", str(int(time.time()))))
SERVICES = ("intake", "referral", "rectify", "notify")
KILLED = SERVICES + ("gateway",)
HTTP_SHARE = 0.5                    # of the single commands sent over HTTP (and every other report)
LOCAL = datetime.timezone(datetime.timedelta(hours=8))
UNITS = ("CR-U1", "CR-U2", "CR-U3")


def day(n):
    return (datetime.datetime.now(LOCAL).date() + datetime.timedelta(days=n)).isoformat()


class Caller:
    """One DEALER per service; a call resends the same bytes until an answer comes, so a
    service killed and started again meanwhile applies it once."""

    def __init__(self, suite):
        self.suite = suite
        self.ctx = zmq.Context()
        self.socks = {}

    def sock(self, service):
        if service not in self.socks:
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.RECONNECT_IVL, 50)
            s.setsockopt(zmq.RECONNECT_IVL_MAX, 500)
            s.connect(self.suite.config["services"][service]["api"])
            self.socks[service] = s
        return self.socks[service]

    def call(self, service, signer, type_, data, seconds=60.0):
        frame, body = xcwire.seal(signer, service, type_, data, exp=int(time.time()) + 3000)
        sock = self.sock(service)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                sock.send(frame, zmq.NOBLOCK)
            except zmq.Again:
                pass
            until = time.monotonic() + 0.5
            while time.monotonic() < until:
                if not sock.poll(50, zmq.POLLIN):
                    continue
                _, reply = xcwire.open_message(sock.recv(), self.suite.registry)
                if reply["corr"] != body["id"]:
                    continue            # the answer to an earlier resend
                if reply["type"] == "error" and reply["data"]["code"] in ("unavailable", "busy"):
                    break               # transient: resend the same bytes
                return body["id"], reply
        raise AssertionError(f"{service} {type_}: no answer within {seconds} s")

    def ok(self, service, signer, type_, data, **kw):
        cid, reply = self.call(service, signer, type_, data, **kw)
        assert reply["type"] != "error", (type_, data, reply["data"])
        return cid, reply["data"]

    def query(self, service, signer, type_, data):
        return self.ok(service, signer, type_, data)[1]

    def close(self):
        for s in self.socks.values():
            s.close(0)
        self.ctx.term()


class Killer(threading.Thread):
    """SIGKILLs a random service or the gateway at random moments and starts it again."""

    def __init__(self, processes, rng, busy=None):
        super().__init__(daemon=True)
        self.processes, self.rng = processes, rng
        self.busy = busy or {}              # name -> whether a request is at it now
        self.busy_kills = collections.Counter()
        self.kills = collections.Counter()
        self.halt = threading.Event()
        self.error = None

    def run(self):
        try:
            order = []
            while not self.halt.wait(self.rng.uniform(0.3, 1.2)):
                if not order:               # each service in turn, in a random order
                    order = self.rng.sample(KILLED, len(KILLED))
                name = order.pop()
                d = self.processes[name]
                if name in self.busy:       # aim at a moment with a request in flight
                    until = time.monotonic() + 2.0
                    while not self.busy[name]() and time.monotonic() < until:
                        time.sleep(0.005)
                    self.busy_kills[name] += self.busy[name]()
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait(10)
                d.log.close()
                self.kills[name] += 1
                time.sleep(self.rng.uniform(0.0, 0.3))
                d.start()
        except BaseException as e:          # reported by the test, not lost in the thread
            self.error = e


def read_events(caller, service, signer):
    """Every event of a service as the office reads it: [(seq, id, type, hash, body)]."""
    out, after = [], 0
    while True:
        page = caller.query(service, signer, "events.read", {"after": after, "limit": 1000})
        for e in page["events"]:
            body = xcwire.parse(e["message"].encode())[2] if e.get("message") else None
            out.append((e["seq"], e["id"], e["type"], e["hash"], body))
            after = e["seq"]
        if after >= page["head"]:
            return out


def list_all(caller, service, signer, type_, data):
    items, after = [], 0
    while True:
        page = caller.query(service, signer, type_, dict(data, after=after, limit=500))
        items.extend(page["items"])
        if not page["items"] or page["next"] is None:
            return items
        after = page["next"]


@pytest.fixture
def suite(tmp_path):
    s = suite_lib.Suite(str(tmp_path), SERVICES, {
        "office": ("office", "office", {}),
        "team": ("crash-team", "team", {}),
        "unit1": ("crash-unit-1", "unit", {"units": ["CR-U1"]}),
        "unit2": ("crash-unit-2", "unit", {"units": ["CR-U2"]}),
        "unit3": ("crash-unit-3", "unit", {"units": ["CR-U3"]}),
        "body": ("crash-discipline", "discipline", {"units": ["*"]}),
    }, policies={"notify": {"directory": {"office": {
        "name": "市委巡察办", "roles": ["office", "office_leadership"], "principal": "office",
        "channels": {"stream": True}}}},
        # the rounds are fed back 85 days ago, so their items count as loaded from history
        # (docs/services/rectify.md): alerted at once (no quiet day), for their state now
        "rectify": {"history_quiet": "0 days", "calendar_warn_from": None},
        "intake": {"history_quiet": "0 days"}})
    yield from suite_lib.running_suite(s)


@pytest.fixture
def gateway(suite):
    """xc-gateway on the running suite; it must exit 0 on SIGTERM at the end."""
    g = http_load.GatewayDeployment(suite)
    with gatewaylib.stopped_at_end(g):
        yield g


def inbox_rows(folder, service):
    """(iss, id) -> (message, result) of a service's inbox table, read from its database."""
    db = sqlite3.connect(f"file:{os.path.join(folder, service + '.db')}?mode=ro", uri=True,
                         timeout=30)
    try:
        return {(iss, id_): (message, result) for iss, id_, message, result in
                db.execute("SELECT iss, id, message, result FROM inbox")}
    finally:
        db.close()


def test_crash_under_load(suite, gateway, tmp_path):
    rng = random.Random(SEED)
    caller = Caller(suite)
    http = http_load.HttpCaller(gateway, suite.registry)
    route = random.Random(SEED + 1)         # which commands go over HTTP; rng is the killer's
    sent = collections.Counter()
    sent_http = collections.Counter()
    acked = {}                              # command id -> (service, type, result)
    started = time.monotonic()

    def ok(service, signer, type_, data):
        sent[service] += 1
        if route.random() < HTTP_SHARE:
            sent_http[service] += 1
            cid, reply = http.call(service, signer, type_, data)
            assert reply["type"] != "error", (type_, data, reply["data"])
            result = reply["data"]
        else:
            cid, result = caller.ok(service, signer, type_, data)
        acked[cid] = (service, type_, result)
        return result

    for u, name in zip(UNITS, ("市水务局", "市交通局", "市城投集团")):
        ok("intake", suite.office, "unit.register", {"id": u, "name": name, "level": "city_department"})
    unit_signer = dict(zip(UNITS, (suite.unit1, suite.unit2, suite.unit3)))

    killer = Killer({**suite.deployments, "gateway": gateway}, rng, busy={"gateway": http.busy})
    killer.start()
    reports = {}                            # summary -> command id
    rounds = 0
    try:
        while (sum(killer.kills.values()) < KILLS or rounds < 2) \
                and time.monotonic() - started < MAX_SECONDS and killer.error is None:
            r = f"R-CRASH-{rounds}"
            ok("intake", suite.office, "round.open", {
                "id": r, "name": f"崩溃测试第{rounds}轮", "kind": "regular", "team": "crash-team",
                "targets": [{"unit": u, "coverage": "main"} for u in UNITS],
                "planned_start": day(-120), "planned_end": day(-89), "date": day(-130)})
            ok("intake", suite.office, "round.advance", {"round": r, "stage": "stationed", "date": day(-120)})

            commands = [("problem.report", {
                "round": r, "unit": UNITS[i % 3], "category": "governance",
                "summary": f"{r} 问题 {i}", "detail": f"崩溃测试的问题 {i}", "severity": "general",
                "source": "inspection_team"}) for i in range(BATCH)]
            # the team's reports, many in flight: a share over HTTP by several clients at once,
            # the rest over ZeroMQ, at the same time
            over_http = [i for i in range(BATCH) if i % 2 == 1]
            over_zmq = [i for i in range(BATCH) if i % 2 == 0]
            got_http = {}

            def web_clients():
                try:
                    got_http.update(http.run("intake", suite.team,
                                             [commands[i] for i in over_http], threads=4))
                except BaseException as e:  # reported below, not lost in the thread
                    got_http["error"] = e
            web = threading.Thread(target=web_clients, daemon=True)
            web.start()
            load = loadgen.Load(suite.config["services"]["intake"]["api"], "intake", suite.registry,
                                suite.team)
            result = load.run([commands[i] for i in over_zmq], inflight=16, seconds=90, resend_s=0.5)
            load.close()
            web.join(150)
            assert not web.is_alive() and "error" not in got_http, repr(got_http.get("error"))
            assert not result["refused"] and not result["unanswered"], result
            assert not got_http["refused"] and len(got_http["acked"]) == len(over_http), got_http
            problems = {}
            for k, ack in result["acked"].items():
                problems[over_zmq[k]] = ack["result"]["problem"]
                reports[commands[over_zmq[k]][1]["summary"]] = ack
            for k, (_, ack) in got_http["acked"].items():
                problems[over_http[k]] = ack["result"]["problem"]
                reports[commands[over_http[k]][1]["summary"]] = ack
            sent["intake"] += len(commands)
            sent_http["intake"] += len(over_http)

            # classification: one in four a lead to the discipline body
            for i, p in sorted(problems.items()):
                disposition = {"kind": "lead", "body": "crash-discipline"} if i % 4 == 3 \
                    else {"kind": "feedback", "timeliness": "deadline"}
                ok("intake", suite.office, "problem.classify", {"problem": p, "dispositions": [disposition]})
            # fed back 85 days ago: every plan deadline is long past, with every escalation step
            for stage, d in (("withdrawn", -89), ("reported", -88), ("feedback_delivered", -85)):
                ok("intake", suite.office, "round.advance", {"round": r, "stage": stage, "date": day(d)})

            # rectify: each unit plans its items once they are there
            fed = BATCH - BATCH // 4
            items = wait_until(lambda: (lambda got: got if len(got) == fed else None)(
                list_all(caller, "rectify", suite.office, "rectify.list", {"round": r})), 60,
                f"rectify's {fed} items of {r}")
            for it in items[: len(items) // 2]:
                ok("rectify", unit_signer[it["unit"]], "rectify.plan", {"item": it["id"], "measures": [{
                    "text": "整改措施", "owner": "责任人", "lead_leader": "分管领导", "deadline": it["due"]}]})

            # referral: the body acknowledges its leads
            leads = wait_until(lambda: (lambda got: got if len(got) >= BATCH // 4 * (rounds + 1) else None)(
                list_all(caller, "referral", suite.body, "referral.list", {"kind": "lead"})), 60,
                "referral's leads")
            for ref in leads:
                if ref["state"] == "referred":
                    ok("referral", suite.body, "referral.acknowledge", {"referral": ref["id"]})

            # notify: the office reads its stream and acknowledges it
            stream = caller.query("notify", suite.office, "notify.read", {"after": 0, "limit": 500})
            ids = [n["delivery"] for n in stream.get("notices", [])][:500]
            if ids:
                ok("notify", suite.office, "notify.ack", {"deliveries": ids})
            rounds += 1
    finally:
        killer.halt.set()
        killer.join(30)
    assert killer.error is None, repr(killer.error)
    kills = sum(killer.kills.values())
    assert kills >= KILLS, f"only {kills} kills in {MAX_SECONDS} s"
    assert killer.busy_kills["gateway"] > 0, (dict(killer.kills), dict(killer.busy_kills))
    for d in (*suite.deployments.values(), gateway):
        assert d.proc.poll() is None, f"xc-{d.service} is not running:\n{d.log_tail()}"

    # settle: every consumer at its sources' heads, twice in a row
    def settled():
        heads = {s: caller.query(s, suite.office, "health", {}) for s in SERVICES}
        lag = sum(p["head"] - p["offset"] for h in heads.values() for p in h["sources"].values())
        return heads if lag == 0 else None
    first = wait_until(settled, 60, "every consumer caught up")
    time.sleep(1.5)
    health = wait_until(settled, 60, "every consumer caught up")
    events = {s: read_events(caller, s, suite.office) for s in SERVICES}

    # -- every service's events: no gap, keys once; the chains verify (xcctl audit verify)
    for s, evs in events.items():
        assert [e[0] for e in evs] == list(range(1, len(evs) + 1)), f"{s}: a gap"
        assert len(evs) == health[s]["head"] >= first[s]["head"]
        dup = [k for k, n in collections.Counter(e[1] for e in evs).items() if n > 1]
        assert not dup, f"{s}: event ids twice: {dup[:5]}"
    key = suite_lib.key_file(tmp_path, suite.office)
    audit = subprocess.run(["build/bin/xcctl", "--config", suite.config_path, "--key", key,
                            "audit", "verify"], capture_output=True, text=True, timeout=120)
    assert audit.returncode == 0, audit.stdout + audit.stderr

    # -- every acked command once: its events come from one commit (consecutive seqs)
    by_corr = collections.defaultdict(list)
    for s, evs in events.items():
        for seq, _, type_, _, body in evs:
            if body and body.get("corr"):
                by_corr[body["corr"]].append((s, seq, type_))
    for cid, (service, type_, result) in acked.items():
        evs = by_corr.get(cid, [])
        assert evs or type_ in ("notify.ack",), f"{type_} {cid}: acked, no event"
        seqs = sorted(seq for s, seq, _ in evs if s == service)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True, \
            f"{type_} {cid}: its events are not one commit: {seqs}"
    intake_evs = events["intake"]
    recorded = collections.Counter(b["data"]["problem"]["summary"] for _, _, t, _, b in intake_evs
                                   if t == "problem.recorded")
    assert set(recorded) == set(reports), "an acked report missing, or one never acked stored"
    assert all(n == 1 for n in recorded.values()), [k for k, n in recorded.items() if n > 1][:5]
    classified = collections.Counter(b["data"]["problem"] for _, _, t, _, b in intake_evs
                                     if t == "problem.classified")
    assert len(classified) == len(reports) and set(classified.values()) == {1}

    # -- acked over HTTP: in the service's own inbox once, as sent, with the result answered
    # (a duplicate reply carried the first result); the same bytes again get that result
    inboxes = {s: inbox_rows(suite.folder, s) for s in SERVICES}
    for cid, (service, iss, frame, data) in http.acked.items():
        row = inboxes[service].get((iss, cid))
        assert row, f"{service} {cid}: acked over HTTP, not in its inbox"
        assert row[0].encode() == frame, f"{service} {cid}: stored bytes are not the bytes sent"
        assert json.loads(row[1]) == data["result"], (service, cid, row[1], data)
    during = dict(http.outcomes)            # the attempts under the killer, for the summary
    again = http.resend_all()
    assert set(again) == set(http.acked)
    for cid, (status, reply) in again.items():
        first = http.acked[cid][3]
        assert status == 200 and reply["type"] == "ack", (cid, status, reply)
        assert reply["data"] == {"status": "duplicate", "result": first["result"]}, (cid, reply, first)
    db = sqlite3.connect(f"file:{os.path.join(suite.folder, 'intake.db')}?mode=ro", uri=True,
                         timeout=30)
    stored = collections.defaultdict(list)
    for id_, summary in db.execute("SELECT id, summary FROM problems WHERE round LIKE 'R-CRASH-%'"):
        stored[summary].append(id_)
    db.close()
    assert {k: v for k, v in stored.items() if len(v) != 1} == {}, "a report stored twice"
    assert {k: v[0] for k, v in stored.items()} == \
        {k: ack["result"]["problem"] for k, ack in reports.items()}, "problems table != acks"

    # -- consumers applied exactly what they read
    fed_back = [b["data"]["problem"] for _, _, t, _, b in intake_evs if t == "problem.fed_back"]
    referred = [b["data"]["problem"] for _, _, t, _, b in intake_evs if t == "problem.referred"]
    items = list_all(caller, "rectify", suite.office, "rectify.list", {})
    assert sorted(i["problem"] for i in items) == sorted(fed_back)
    referrals = list_all(caller, "referral", suite.office, "referral.list", {"kind": "lead"})
    assert sorted(r["problem"] for r in referrals) == sorted(referred)
    for s in ("referral", "rectify", "notify"):
        for source, pos in health[s]["sources"].items():
            assert pos["offset"] == health[source]["head"], (s, source, pos)

    # -- deadlines: each crossed one overdue once, each escalation step reached once
    today = datetime.datetime.now(LOCAL).date()
    alerts = collections.Counter()
    for _, _, t, _, b in events["rectify"]:
        if t in ("rectify.overdue", "rectify.escalated", "rectify.warning"):
            d = b["data"]
            alerts[(t, d["item"], d["deadline"], d.get("measure"), d["due"], d.get("step"),
                    d.get("colour"))] += 1
    assert all(n == 1 for n in alerts.values()), [k for k, n in alerts.items() if n > 1][:5]
    overdue, steps = 0, 0
    for it in items:
        got = caller.query("rectify", suite.office, "rectify.get", {"item": it["id"]})
        for dl in got["deadlines"]:
            if not dl["running"]:
                continue
            due = datetime.date.fromisoformat(dl["due"])
            k = (dl["deadline"], dl.get("measure"), dl["due"])
            mine = [a for a in alerts if a[1:5] == (it["id"], *k)]
            if due < today:
                overdue += 1
                reached = min(5, (today - due).days // 7)
                # an item fed back before the day it was applied is alerted for its state now
                # (docs/services/rectify.md): the latest escalation step it has reached, once, or
                # the overdue notice when it has reached none; nothing back-filled
                got_steps = sorted(a[5] for a in mine if a[0] == "rectify.escalated")
                assert got_steps == ([reached] if reached else []), (it["id"], k, got_steps)
                assert sum(1 for a in mine if a[0] == "rectify.overdue") == (0 if reached else 1), \
                    (it["id"], k, mine)
                steps += 1 if reached else 0
            else:
                assert not any(a[0] == "rectify.overdue" for a in mine), (it["id"], k)

    # -- notices: once per (event, recipient, channel), one per event a rule sends to the office
    deliveries = list_all(caller, "notify", suite.office, "notify.list", {})
    seen = collections.Counter((d["event"]["source"], d["event"]["seq"], d["recipient"], d["channel"])
                               for d in deliveries)
    assert all(n == 1 for n in seen.values()), [k for k, n in seen.items() if n > 1][:5]
    to_office = {"rectify": ("rectify.overdue", "rectify.escalated", "revisit.due"),
                 "referral": ("referral.overdue",), "intake": ("round.report_overdue",)}
    expected = {(s, seq) for s, types in to_office.items() for seq, _, t, _, _ in events[s] if t in types}
    got = {(src, seq) for (src, seq, who, ch) in seen if who == "office" and ch == "stream"}
    assert got == expected, (len(got), len(expected))

    print(f"\ncrash-test (seed {SEED}): {rounds} rounds in {time.monotonic() - started:.0f} s; "
          f"commands sent {sum(sent.values())} ({dict(sent)}), acked {len(acked) + len(reports)}; "
          f"over HTTP {sum(sent_http.values())} ({dict(sent_http)}), acked {len(http.acked)}, "
          f"attempts under the killer {during}, resent after: {len(again)} "
          f"duplicates with the first result; "
          f"kills {kills} ({dict(killer.kills)}; the gateway {killer.busy_kills['gateway']} times "
          f"with a request in flight); events {({s: len(e) for s, e in events.items()})}; "
          f"items {len(items)}, referrals {len(referrals)}, deadlines crossed {overdue}, "
          f"escalation steps {steps}, notices {len(deliveries)}")
    caller.close()
    http.close()


def wait_until(check, seconds, what):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


@pytest.fixture
def one_service(tmp_path):
    s = suite_lib.Suite(str(tmp_path), ("intake",), {"office": ("office", "office", {})})
    yield from suite_lib.running_suite(s)


def test_resend_through_the_gateway(one_service, tmp_path):
    """Each way an HTTP request can go unanswered, made to happen (SIGSTOP holds a process at
    the moment that matters): the same bytes resent get the command carried out once, and a
    duplicate answer carries the first result."""
    suite = one_service
    intake = suite.deployments["intake"]
    gateway = http_load.GatewayDeployment(suite)
    http = http_load.HttpCaller(gateway, suite.registry)
    probe = requests.Session()
    probe.trust_env = False

    def in_flight():
        return probe.get(gateway.base + "/healthz", timeout=5).json()["in_flight"]

    def stored(cid):
        return inbox_rows(suite.folder, "intake").get((suite.office.iss, cid))

    def unit(n):
        return xcwire.seal(suite.office, "intake", "unit.register",
                           {"id": f"CR-G{n}", "name": f"网关单位{n}", "level": "town"},
                           exp=int(time.time()) + 3000)

    def registered(n):
        db = sqlite3.connect(f"file:{os.path.join(suite.folder, 'intake.db')}?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM units WHERE id = ?", (f"CR-G{n}",)).fetchone()[0]
        finally:
            db.close()

    def answer(frame, body):
        status, raw = http.post("intake", frame)
        reply = gatewaylib.open_reply(raw, gateway.jwks, "intake", suite.office.iss,
                                                body["id"])
        assert status == 200 and reply["type"] == "ack", (status, reply)
        return reply["data"]

    try:
        # 1. the gateway killed while the service holds the command: the client's connection
        # breaks; the service carries it out; the same bytes get `duplicate`, the first result
        frame, body = unit(1)
        intake.proc.send_signal(signal.SIGSTOP)
        outcome = {}
        t = threading.Thread(target=lambda: outcome.update(r=_attempt(http, frame)), daemon=True)
        t.start()
        wait_until(lambda: in_flight() == 1, 10, "the request forwarded")
        gateway.proc.send_signal(signal.SIGKILL)
        gateway.proc.wait(10)
        gateway.log.close()
        t.join(15)
        assert outcome["r"] == "connection error", outcome
        intake.proc.send_signal(signal.SIGCONT)
        first = wait_until(lambda: stored(body["id"]), 20, "the command carried out")
        gateway.start()
        got = answer(frame, body)
        assert got == {"status": "duplicate", "result": json.loads(first[1])}, (got, first)
        assert first[0].encode() == frame and registered(1) == 1

        # 2. no reply in time (504), then the service carries it out: the resend gets its
        # result (`accepted` if the late reply meets the resend waiting at the gateway, else
        # `duplicate`), the command once
        frame, body = unit(2)
        intake.proc.send_signal(signal.SIGSTOP)
        r = _attempt(http, frame)
        intake.proc.send_signal(signal.SIGCONT)
        gatewaylib.problem(r, 504, "no-answer")
        got = answer(frame, body)
        first = stored(body["id"])
        assert got["result"] == json.loads(first[1]), (got, first)
        assert answer(frame, body) == {"status": "duplicate", "result": got["result"]}
        assert registered(2) == 1

        # 3. the service killed with the command unread (504): after its restart the same
        # bytes are carried out then, once
        frame, body = unit(3)
        intake.proc.send_signal(signal.SIGSTOP)
        r = _attempt(http, frame)
        gatewaylib.problem(r, 504, "no-answer")
        intake.proc.send_signal(signal.SIGKILL)
        intake.proc.wait(10)
        intake.log.close()
        assert stored(body["id"]) is None
        intake.start()
        got = answer(frame, body)
        assert got["status"] == "accepted" and got["result"] == json.loads(stored(body["id"])[1])
        assert registered(3) == 1
        # and again: duplicate, the same result
        assert answer(frame, body) == {"status": "duplicate", "result": got["result"]}
    finally:
        if intake.proc.poll() is None:
            intake.proc.send_signal(signal.SIGCONT)
        probe.close()
        http.close()
        status = gateway.stop() if gateway.proc.poll() is None else gateway.proc.returncode
        print(f"--- xc-gateway exit status {status}; log:\n{gateway.log_tail()}")
    assert status == 0, status
    print(f"\ncrash-test resend through the gateway: attempts {dict(http.outcomes)}")


def _attempt(http, frame):
    """One POST of frame to intake: the response, or "connection error"."""
    try:
        return http.post_once("intake", frame)
    except requests.ConnectionError:
        return "connection error"
