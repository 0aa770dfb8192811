"""sweep_bench: rectify's deadline timer and startup on a store of 1,000,000 open items (issue 10).

    overdue_sweep      10,000 of the 1,000,000 items cross their due date at one tick: seconds from
                       `clock.set` to the day after until all 10,000 `rectify.overdue` events are
                       committed (health's head). Floor: signing and hashing those 10,000 events
                       alone (Ed25519 sign of each event's JWS input + SHA-256 chain link).
    tick_idle_10k/1m   CPU per timer tick (limits.tick_ms 10) with nothing due, at 10,000 and at
                       1,000,000 open items: the service's CPU time over 10 s / its ticks (the
                       threads' schedstat, ns; utime+stime of /proc/<pid>/stat, in 10 ms steps, is
                       printed beside it). The 1m figure's floor is the 10k one: the tick must not
                       grow with the store.
    startup_1m         ms from starting xc-rectify to its first answer to a signed health, on the
                       1,000,000-item store; floor: the same on an empty (migrated) store.
    memory_rectify_1m  VmHWM of the 1m service after the sweep; floor: VmRSS of the empty run.

The stores are built fast: xc-rectify creates its schema on an empty file, then Python's sqlite3
writes the rows in one transaction in the shape the service writes them when intake feeds a
problem back and the unit plans it (items, measures, deadlines, item_history, visits, units,
rounds, round_targets, consumer_offsets; rectify.get reads a few back before the run). The inbox
and outbox stay empty: no command or event history (see the comment lines).

Run from the repository root with /usr/bin/python3 after `make -s all`; XC_BENCH_TINY=1 runs
1,000 items (100 due) and 1 s idle windows. Exits 1 when something is wrong (a service died, an
item reads back wrong, an event is missing, extra, badly signed or off the chain).
"""

import datetime
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import nacl.bindings
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import REPO, TINY, bench, comment, proc_kib  # noqa: E402

sys.path.insert(0, os.path.join(REPO, "tests", "python"))
import searchlib  # noqa: E402
import xcwire  # noqa: E402
from conftest import NOT_AFTER, NOT_BEFORE, write_json  # noqa: E402

N_ITEMS = 1_000 if TINY else 1_000_000
N_DUE = 100 if TINY else 10_000            # of N_ITEMS, due on day D
N_SMALL = 100 if TINY else 10_000          # the small store of tick_idle_10k
IDLE_S = 1.0 if TINY else 10.0             # idle window of tick_idle_*
STARTS = 3 if TINY else 5                  # startups per store (the median counts)
TICK_MS = 10
SWEEP_TIMEOUT = 600.0                      # bound on the sweep: never fails for slow, only for stuck
BINARY = os.path.join(REPO, "build", "bin", "xc-rectify")
LOCAL = datetime.timezone(datetime.timedelta(hours=8))   # the config's utc_offset
DAY = datetime.timedelta(days=1)
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Wrong(Exception):
    """Something is wrong (not slow): the bench exits 1."""


# --- the domain's dates (as docs/services/rectify.md computes them) ------------------------------

def add_months(day, n):
    """The same day n months on, clamped to the month's end."""
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - DAY).day
    return datetime.date(year, month, min(day.day, last))


def at(day, hour):
    """Unix seconds of day at hour, local time."""
    return int(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL).timestamp())


def rfc3339(day, hour):
    return datetime.datetime.fromtimestamp(at(day, hour), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the store -------------------------------------------------------------------------------------

class Shape:
    """n open items, planned, of which n_due are due on day D (today + 30) and the others 70-130
    days from today. Rounds (regime 2024: plan 1 month, report 6 months) of 10 target units each;
    a round was fed back 10-50 days ago and its units planned 3 days after, so no warning has come
    due yet: the first alert of every item deadline is due - 20 days (green), after today; the
    return visits (feedback + 3 months) come after D + 1. Item i's deadlines are 2i-1 (plan, done)
    and 2i (item, running), as the service numbers them (opened: plan then item; plan: upsert)."""

    LEADER = "分管副职"

    def __init__(self, n, n_due, today):
        self.n, self.n_due, self.today = n, n_due, today
        self.stride = n // n_due
        self.d = today + 30 * DAY
        self.n_rounds = max(2, n // 5000)
        self.n_units = 10 * self.n_rounds
        self.pairs = []                       # (round, unit, feedback date), by pair index
        for r in range(self.n_rounds):
            for k in range(10):
                self.pairs.append((f"R-{r:03d}", f"U-{10 * r + k:04d}", today - (10 + r % 41) * DAY))

    def due(self, i):
        return self.d if i % self.stride == 0 else self.d + (40 + i % 61) * DAY

    def item(self, i):
        """What the service stored for item i: a dict of its values."""
        rnd, unit, fed = self.pairs[(i - 1) % len(self.pairs)]
        due = self.due(i)
        measures = [{"text": f"整改措施{i}-1：完善制度，建立台账", "owner": f"责任人{i % 997}",
                     "lead_leader": self.LEADER, "deadline": str(due - 10 * DAY)},
                    {"text": f"整改措施{i}-2：逐项销号，接受监督", "owner": f"责任人{(i + 1) % 997}",
                     "lead_leader": self.LEADER, "deadline": str(due)}]
        return {"id": i, "round": rnd, "unit": unit, "opened_on": fed, "due": due, "measures": measures,
                "plan_due": add_months(fed, 1), "policy_due": add_months(fed, 6),
                "planned_at": at(fed + 3 * DAY, 10), "opened_at": at(fed, 9),
                "by": f"unit-{unit.lower()}", "note": "按期整改方案"}

    def expected_get(self, i):
        """The parts of rectify.get that this bench's store decides, for item i."""
        it = self.item(i)
        fed = str(it["opened_on"])
        return {
            "id": i, "problem": i, "round": it["round"], "unit": it["unit"], "class": "deadline",
            "regime": "2024", "state": "planned", "opened_on": fed, "due": str(it["due"]),
            "measures": [{"n": k + 1, **m, "done_on": None} for k, m in enumerate(it["measures"])],
            "deadlines": [
                {"deadline": "plan", "measure": None, "start": fed, "policy": "1 months",
                 "due": str(it["plan_due"]), "explain": f"{fed} + 1 month = {it['plan_due']}",
                 "running": False, "extensions": []},
                {"deadline": "item", "measure": None, "start": fed, "policy": "the plan",
                 "due": str(it["due"]), "running": True, "extensions": [],
                 "explain": f"the latest measure deadline of the plan (the policy's date was {it['policy_due']})"}],
            "history": [
                {"n": 1, "action": "opened", "by": "intake", "at": it["opened_at"],
                 "data": {"problem": i, "regime": "2024"}},
                {"n": 2, "action": "planned", "by": it["by"], "at": it["planned_at"],
                 "data": {"item": i, "note": it["note"], "measures": it["measures"]}}]}


def compact(obj):
    """Jansson's JSON_COMPACT (UTF-8, no spaces, member order kept)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def fill_store(path, shape):
    """Writes shape's rows into the migrated, empty store at path in one transaction."""
    db = searchlib.connect(path, isolation_level=None)   # items are indexed by triggers
    try:
        db.execute("PRAGMA journal_mode=MEMORY")      # left WAL again below
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA foreign_keys=ON")           # as the service: the rows must hold them
        db.execute("PRAGMA cache_size=-524288")
        if db.execute("SELECT count(*) FROM items").fetchone()[0]:
            raise Wrong(f"{path} is not empty")
        db.execute("BEGIN")
        districts = 20
        db.executemany("INSERT INTO units (id, name, level, parent) VALUES (?, ?, ?, ?)",
                       [(f"D-{k:02d}", f"第{k}区", "district", None) for k in range(districts)]
                       + [(f"U-{u:04d}", f"第{u}镇", "town", f"D-{u % districts:02d}") for u in range(shape.n_units)])
        db.executemany("INSERT INTO rounds (id, name, regime) VALUES (?, ?, '2024')",
                       [(f"R-{r:03d}", f"第{r}轮巡察") for r in range(shape.n_rounds)])
        db.executemany("INSERT INTO round_targets (round, unit) VALUES (?, ?)",
                       [(rnd, unit) for rnd, unit, _ in shape.pairs])
        db.executemany("INSERT INTO visits (round, unit, feedback_on, due, explain, alert_next)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                       [(rnd, unit, str(fed), str(add_months(fed, 3)), f"{fed} + 3 months = {add_months(fed, 3)}")
                        for rnd, unit, fed in shape.pairs])

        def rows():
            for i in range(1, shape.n + 1):
                yield shape.item(i)

        db.executemany(
            "INSERT INTO items (id, problem, round, unit, unit_level, category, summary, detail, severity,"
            " class, regime, state, opened_on, due) VALUES (?1, ?1, ?2, ?3, 'town', 'public_concerns', ?4, ?5,"
            " 'serious', 'deadline', '2024', 'planned', ?6, ?7)",
            ((it["id"], it["round"], it["unit"], f"{it['unit']}问题{it['id']}：群众反映的突出问题整改不到位",
              f"详见巡察底稿第{it['id']}页：相关问题线索经核实属实，需限期整改并报送整改情况。",
              str(it["opened_on"]), str(it["due"])) for it in rows()))
        db.executemany(
            "INSERT INTO measures (item, n, text, owner, lead_leader, deadline) VALUES (?, ?, ?, ?, ?, ?)",
            ((it["id"], k + 1, m["text"], m["owner"], m["lead_leader"], m["deadline"])
             for it in rows() for k, m in enumerate(it["measures"])))
        db.executemany(
            "INSERT INTO deadlines (id, item, what, measure, start, policy, due, explain, running, alert_next)"
            " VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            (row for it in rows() for row in (
                (2 * it["id"] - 1, it["id"], "plan", str(it["opened_on"]), "1 months", str(it["plan_due"]),
                 f"{it['opened_on']} + 1 month = {it['plan_due']}", 0, None),
                (2 * it["id"], it["id"], "item", str(it["opened_on"]), "the plan", str(it["due"]),
                 f"the latest measure deadline of the plan (the policy's date was {it['policy_due']})", 1,
                 str(it["due"] - 20 * DAY)))))
        db.executemany(
            "INSERT INTO item_history (item, n, action, by, at, data) VALUES (?, ?, ?, ?, ?, ?)",
            (row for it in rows() for row in (
                (it["id"], 1, "opened", "intake", it["opened_at"], compact({"problem": it["id"], "regime": "2024"})),
                (it["id"], 2, "planned", it["by"], it["planned_at"],
                 compact({"item": it["id"], "note": it["note"], "measures": it["measures"]})))))
        # intake's events read so far: units, rounds (opened, 5 stages), problems (3 events each)
        db.execute("INSERT INTO consumer_offsets (source, seq) VALUES ('intake', ?)",
                   (districts + shape.n_units + 6 * shape.n_rounds + 3 * shape.n,))
        db.execute("COMMIT")
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise Wrong(f"{path}: journal_mode {mode}")
    finally:
        db.close()


# --- the service -----------------------------------------------------------------------------------

class Rectify:
    """xc-rectify in test mode on one store, with its own config; api and events on ipc:// paths in
    folder (no port to race for). Intake, its source, is named but never runs: its pulls time out and
    back off. heartbeat and pull periods are long, so that an idle service only ticks."""

    def __init__(self, keys, folder, name, database, tick_ms=TICK_MS):
        self.keys, self.name = keys, name
        self.api = f"ipc://{folder}/{name}.api"
        self.config_path = os.path.join(folder, f"{name}.json")
        self.ready_path = os.path.join(folder, f"{name}.ready")
        self.log_path = os.path.join(folder, f"{name}.log")
        write_json(self.config_path, {
            "deployment": "bench", "utc_offset": "+08:00", "registry": keys.registry_path,
            "calendar": os.path.join(REPO, "config", "calendar"),
            "limits": {"tick_ms": tick_ms, "heartbeat_ms": 60000, "pull_ms": 600000},
            "services": {
                "rectify": {"api": self.api, "events": f"ipc://{folder}/{name}.events",
                            "database": database, "key": keys.key_path},
                "intake": {"api": f"ipc://{folder}/no-intake.api", "database": "intake.db",
                           "key": "intake.jwk"}}})
        self.proc = None
        self.log = None
        self.sock = None

    def start(self):
        """Starts the service: the monotonic time just before."""
        self.log = open(self.log_path, "ab")
        self.sock = self.keys.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RECONNECT_IVL, 2)
        self.sock.connect(self.api)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [BINARY, "--config", self.config_path, "--ready-file", self.ready_path, "--test-mode"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        return t0

    def alive(self):
        if self.proc.poll() is not None:
            raise Wrong(f"xc-rectify ({self.name}) exited with {self.proc.returncode}:\n{self.log_tail()}")

    def first_answer(self, timeout=60.0):
        """Polls health with short timeouts until the service answers: the monotonic time the first
        answer came. A health is sent every 50 ms (they queue until the socket connects)."""
        sent = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.alive()
            frame, body = xcwire.seal(self.keys.office, "rectify", "health", {})
            self.sock.send(frame)
            sent.add(body["id"])
            if self.sock.poll(50, zmq.POLLIN):
                t = time.monotonic()
                reply = xcwire.open_message(self.sock.recv(), self.keys.registry)[1]
                if reply["corr"] not in sent or reply["type"] != "result":
                    raise Wrong(f"health answered {reply}")
                while self.sock.poll(100, zmq.POLLIN):          # the answers to the queued ones
                    self.sock.recv()
                return t
        raise Wrong(f"xc-rectify ({self.name}) did not answer health within {timeout} s:\n{self.log_tail()}")

    def call(self, type_, data, timeout=30.0):
        """A signed query as the office: the result data (Wrong on an error or no answer)."""
        self.alive()
        frame, body = xcwire.seal(self.keys.office, "rectify", type_, data)
        self.sock.send(frame)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000) + 1, zmq.POLLIN):
                self.alive()
                raise Wrong(f"no answer to {type_} within {timeout} s")
            reply = xcwire.open_message(self.sock.recv(), self.keys.registry)[1]
            if reply["corr"] == body["id"]:
                break
        if reply["type"] != "result":
            raise Wrong(f"{type_} {data} answered {reply['type']}: {reply['data']}")
        return reply["data"]

    def cpu_s(self):
        """utime + stime of every thread (/proc/<pid>/stat), seconds."""
        with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK       # fields 14 and 15 of stat(5)

    def cpu_ns(self):
        """Run time of every thread from /proc/<pid>/task/*/schedstat, ns; None without schedstat."""
        total = 0
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{tid}/schedstat", encoding="ascii") as f:
                    total += int(f.read().split()[0])
            except FileNotFoundError:
                if not os.path.exists(f"/proc/{self.proc.pid}/task/{tid}"):
                    continue                   # a thread that ended
                return None
        return total

    def wakeups(self):
        """Voluntary context switches of the main thread: its loop sleeps once in poll per tick."""
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    return int(line.split()[1])
        raise Wrong("no voluntary_ctxt_switches")

    def log_tail(self, n=30):
        try:
            self.log.flush()
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except (OSError, ValueError):
            return "(no log)"

    def stop(self):
        """SIGTERM, then a kill after 10 s; Wrong unless it exited 0."""
        if self.sock is not None:
            self.sock.close(0)
            self.sock = None
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc.returncode != 0:
            raise Wrong(f"xc-rectify ({self.name}) exited with {proc.returncode}:\n{self.log_tail()}")
        self.log.close()


class Keys:
    """The registry (rectify, intake, the office) and rectify's key, in folder."""

    def __init__(self, folder):
        self.rectify = xcwire.Signer("rectify", "rectify#1")
        self.intake = xcwire.Signer("intake", "intake#1")
        self.office = xcwire.Signer("office", "office#1")
        self.registry_path = os.path.join(folder, "principals.json")
        write_json(self.registry_path, {"principals": [
            {"iss": s.iss, "role": role, "keys": [s.public_jwk(NOT_BEFORE, NOT_AFTER)]}
            for s, role in ((self.rectify, "service"), (self.intake, "service"), (self.office, "office"))]})
        self.key_path = os.path.join(folder, "rectify.jwk")
        write_json(self.key_path, self.rectify.private_jwk(), 0o600)
        self.registry = xcwire.Registry.load(self.registry_path)
        self.ctx = zmq.Context()


# --- the measurements ------------------------------------------------------------------------------

def idle_tick_us(svc, label, n):
    """CPU per tick over IDLE_S with nothing due, in microseconds: the service's CPU time (all its
    threads) over the window / its ticks. The CPU time is read from /proc/<pid>/stat (utime+stime)
    and from the threads' schedstat (the same run time in ns). stat counts in 1/CLK_TCK s (10 ms),
    about a tenth of what 1,000 idle ticks cost, which would make the 1m/10k ratio mostly rounding;
    so the figure is schedstat's, and stat's when the kernel has no schedstat."""
    time.sleep(0.5)                        # past the start: caches warm, first pull sent
    svc.alive()
    c0, n0, w0, t0 = svc.cpu_s(), svc.cpu_ns(), svc.wakeups(), time.monotonic()
    time.sleep(IDLE_S)
    c1, n1, w1, t1 = svc.cpu_s(), svc.cpu_ns(), svc.wakeups(), time.monotonic()
    svc.alive()
    nominal = (t1 - t0) * 1000.0 / TICK_MS
    ticks = w1 - w0
    if not 0.5 * nominal <= ticks <= 1.2 * nominal:
        comment(f"{label}: {ticks} wake-ups is far from {nominal:.0f} ticks: counted {nominal:.0f}")
        ticks = nominal
    stat_us = (c1 - c0) * 1e6 / ticks
    sched_us = (n1 - n0) / 1e3 / ticks if n0 is not None and n1 is not None else None
    comment(f"{label}: {n:,} open items, nothing due, tick_ms {TICK_MS}, {t1 - t0:.1f} s: {ticks:.0f} ticks"
            f" (main-thread wake-ups; {nominal:.0f} nominal); CPU: schedstat "
            + (f"{(n1 - n0) / 1e9:.4f} s = {sched_us:.1f} us/tick" if sched_us is not None else "n/a")
            + f", utime+stime {c1 - c0:.2f} s = {stat_us:.1f} us/tick (1/{CLK_TCK} s steps)")
    return sched_us if sched_us is not None else stat_us


def check_items(svc, shape, ids):
    """rectify.get reads back what the store was written with (Wrong otherwise)."""
    for i in ids:
        got = svc.call("rectify.get", {"item": i})
        want = shape.expected_get(i)
        for key, value in want.items():
            have = got.get(key)
            if key == "deadlines":
                have = [{k: d.get(k) for k in value[0]} for d in have or []]
            if key == "history":
                have = [{k: h.get(k) for k in value[0]} for h in have or []]
            if have != value:
                raise Wrong(f"item {i}: {key} reads back {have!r}, not {value!r}")


def read_events(svc, after, head):
    """Events (after, head] as the office reads them."""
    out = []
    while after < head:
        page = svc.call("events.read", {"after": after, "limit": 1000})["events"]
        if not page:
            raise Wrong(f"events.read after {after} is empty below head {head}")
        out.extend(page)
        after = page[-1]["seq"]
    return out


def check_sweep(svc, shape, events, prev_hash):
    """Exactly the due items' overdue events, each signed by rectify and chained; the messages."""
    want = {2 * i for i in range(shape.stride, shape.n + 1, shape.stride)}
    seen = set()
    messages = []
    for ev in events:
        msg = ev["message"]
        if xcwire.chain_next(prev_hash, msg).hex() != ev["hash"]:
            raise Wrong(f"event {ev['seq']} is off the hash chain")
        prev_hash = bytes.fromhex(ev["hash"])
        header, body = xcwire.open_message(msg.encode("utf-8"), svc.keys.registry, event=True)
        if body["iss"] != "rectify" or svc.keys.registry.keys[header["kid"]][0] != "rectify":
            raise Wrong(f"event {ev['seq']} is not rectify's")
        if ev["type"] != "rectify.overdue" or body["type"] != "rectify.overdue":
            raise Wrong(f"event {ev['seq']} is a {ev['type']}, not rectify.overdue")
        d = body["data"]
        deadline = int(ev["id"].split(":")[1])              # rectify.overdue:<deadline>:<due>:overdue
        item = deadline // 2
        if (deadline not in want or deadline in seen or d["item"] != item or d["deadline"] != "item"
                or d["due"] != str(shape.d) or d["colour"] != "red" or d["days_left"] != -1
                or d["owners"] != [m["owner"] for m in shape.item(item)["measures"]]):
            raise Wrong(f"event {ev['seq']} {ev['id']}: {d}")
        seen.add(deadline)
        messages.append(msg)
    if seen != want:
        raise Wrong(f"{len(want - seen)} due deadlines got no overdue event")
    return messages


def crypto_floor_s(messages):
    """Seconds to sign and hash these events alone: an Ed25519 sign of each one's JWS signing input
    and a SHA-256 chain link over the message; the best of 3."""
    sk = nacl.bindings.crypto_sign_seed_keypair(os.urandom(32))[1]
    inputs = []
    for m in messages:
        outer = json.loads(m)
        inputs.append((f"{outer['protected']}.{outer['payload']}".encode("ascii"), m.encode("utf-8")))
    best = None
    for _ in range(3):
        prev = bytes(32)
        t0 = time.perf_counter()
        for signing_input, message in inputs:
            nacl.bindings.crypto_sign(signing_input, sk)
            prev = hashlib.sha256(prev + message).digest()
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    return best


def startup(keys, folder, name, database):
    """One start on database: (ms to the first answer, VmRSS KiB just after)."""
    svc = Rectify(keys, folder, name, database, tick_ms=1000)
    try:
        t0 = svc.start()
        ms = (svc.first_answer() - t0) * 1000.0
        time.sleep(0.2)
        rss = proc_kib(svc.proc.pid, "VmRSS")
    finally:
        svc.stop()
    return ms, rss


def main():
    lines = {}
    today = datetime.datetime.now(LOCAL).date()
    big, small = Shape(N_ITEMS, N_DUE, today), Shape(N_SMALL, max(1, N_SMALL // 100), today)
    if not os.path.exists(BINARY):
        raise Wrong(f"{BINARY} does not exist (make -s all)")
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as folder:
        keys = Keys(folder)
        try:
            # the schema: xc-rectify migrates an empty file
            empty = os.path.join(folder, "empty.db")
            svc = Rectify(keys, folder, "schema", empty)
            try:
                svc.start()
                svc.first_answer()
            finally:
                svc.stop()
            paths = {}
            for label, shape in (("small", small), ("big", big)):
                paths[label] = os.path.join(folder, f"{label}.db")
                shutil.copyfile(empty, paths[label])
                t0 = time.monotonic()
                fill_store(paths[label], shape)
                comment(f"store {label}: {shape.n:,} open items ({shape.n_due:,} due on {shape.d}),"
                        f" {shape.n_rounds} rounds, {shape.n_units} units, built in {time.monotonic() - t0:.1f} s,"
                        f" {os.path.getsize(paths[label]) / 2**20:.0f} MiB")
            comment("each store holds the rows items, measures, deadlines, history and visits need;"
                    " no inbox or outbox history (a real one would hold the plan commands and events)")

            # startup: the empty and the big store in turn
            starts = {"empty": [], "big": []}
            rss_empty = []
            for k in range(STARTS):
                ms, rss = startup(keys, folder, f"start-empty-{k}", empty)
                starts["empty"].append(ms)
                rss_empty.append(rss)
                starts["big"].append(startup(keys, folder, f"start-big-{k}", paths["big"])[0])
            startup_empty = statistics.median(starts["empty"])
            startup_big = statistics.median(starts["big"])
            comment(f"startup to the first signed health answer, median of {STARTS}: empty store "
                    f"{', '.join(f'{v:.1f}' for v in starts['empty'])} ms; {N_ITEMS:,} items "
                    f"{', '.join(f'{v:.1f}' for v in starts['big'])} ms")
            idle_mib = statistics.median(rss_empty) / 1024.0
            lines["startup_1m"] = (startup_big, "ms", startup_empty)

            # idle ticks on the small store
            svc = Rectify(keys, folder, "idle-small", paths["small"])
            try:
                svc.start()
                svc.first_answer()
                tick_small = idle_tick_us(svc, "tick_idle_10k", small.n)
                lines["tick_idle_10k"] = (tick_small, "us", tick_small)
            finally:
                svc.stop()

            # the big store: idle ticks, items read back, the sweep
            svc = Rectify(keys, folder, "sweep", paths["big"])
            try:
                svc.start()
                svc.first_answer()
                tick_big = idle_tick_us(svc, "tick_idle_1m", big.n)
                lines["tick_idle_1m"] = (tick_big, "us", tick_small)
                check_items(svc, big, [1, big.stride, big.stride + 1, big.n])
                rss_before = proc_kib(svc.proc.pid, "VmRSS") / 1024.0
                health = svc.call("health", {})
                head0, clock0 = health["head"], health["clock"]
                if xcwire.rfc3339(clock0).date() >= big.d:
                    raise Wrong(f"the clock {clock0} is not before {big.d}")
                # the sweep: the clock to D + 1, then health until the head has every overdue event
                target = head0 + big.n_due
                t0 = time.monotonic()
                svc.call("clock.set", {"clock": rfc3339(big.d + DAY, 12)})
                polls = 0
                while True:
                    head = svc.call("health", {}, timeout=SWEEP_TIMEOUT)["head"]
                    polls += 1
                    if head >= target:
                        sweep = time.monotonic() - t0
                        break
                    if time.monotonic() - t0 > SWEEP_TIMEOUT:
                        raise Wrong(f"{head - head0} of {big.n_due} overdue events after {SWEEP_TIMEOUT} s")
                    time.sleep(0.002)
                hwm_mib = proc_kib(svc.proc.pid, "VmHWM") / 1024.0
                time.sleep(max(0.5, 20 * TICK_MS / 1000.0))     # more ticks: nothing more may come
                head = svc.call("health", {})["head"]
                if head != target:
                    raise Wrong(f"{head - head0} events after the sweep, not {big.n_due}")
                prev = bytes(32)
                if head0:
                    prev = bytes.fromhex(read_events(svc, head0 - 1, head0)[0]["hash"])
                messages = check_sweep(svc, big, read_events(svc, head0, head), prev)
                comment(f"overdue_sweep: {big.n_due:,} of {big.n:,} items cross {big.d} at one tick"
                        f" (tick_ms {TICK_MS}); {len(messages):,} rectify.overdue events, each verified and"
                        f" chained, no other; {polls} health polls")
                floor = crypto_floor_s(messages)
                comment(f"overdue_sweep floor: Ed25519 sign (PyNaCl) + SHA-256 of the {len(messages):,}"
                        f" events' own bytes, one core, best of 3")
                lines["overdue_sweep"] = (sweep, "s", floor)
                comment(f"memory: VmRSS {rss_before:.1f} MiB on {big.n:,} items before the sweep, VmHWM"
                        f" {hwm_mib:.1f} MiB after it; the empty store's VmRSS after start {idle_mib:.1f} MiB"
                        f" (median of {STARTS})")
                lines["memory_rectify_1m"] = (hwm_mib, "MiB", idle_mib)
            finally:
                svc.stop()
        finally:
            keys.ctx.destroy(linger=0)
            for name in ("overdue_sweep", "tick_idle_10k", "tick_idle_1m", "startup_1m", "memory_rectify_1m"):
                if name in lines:
                    value, unit, floor = lines[name]
                    bench(name, value, unit, floor)


if __name__ == "__main__":
    started = time.monotonic()
    try:
        main()
    except (Wrong, xcwire.WireError) as e:
        while e is not None:
            print(f"# sweep_bench: WRONG: {e}".replace("\n", "\n#   "), flush=True)
            e = e.__context__
        sys.exit(1)
    comment(f"sweep_bench: {time.monotonic() - started:.1f} s{' (tiny)' if TINY else ''}")
