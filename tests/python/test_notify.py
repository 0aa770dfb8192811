"""The notification service from a client written from the docs alone, next to real intake,
referral and rectify, delivering to real HTTP and SMTP servers in this process.

Every test runs its own suite (intake, referral, rectify, notify) whose notify directory points
at notify_servers.WebhookServer and SmtpServer on 127.0.0.1. Events are made the way the domain
makes them: problems fed back five days ago become rectify items, rectify's test clock crosses
their warning bands and due dates, units are scored so that an interview is recommended, leads
are referred and go overdue on referral's test clock. Each webhook body is verified as a message
signed by notify; each email is parsed by Python's email module. Every wait is bounded.
"""

import datetime
import json
import time
import uuid
from collections import Counter

import pytest

import xcwire
from conftest import Suite
from notify_servers import DEFAULT_RULES, SmtpServer, WebhookServer

SERVICES = ["intake", "referral", "rectify", "notify"]
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
    "unit_b": ("unit-b", "unit", {"units": ["U-B"]}),
    "discipline": ("discipline-commission", "discipline", {"units": ["*"]}),
    "orgdept": ("organization-dept", "department", {}),
}
FROM = "xuncha@qingshi.gov.cn"
RETRY = {"max_attempts": 5, "backoff_ms": 50, "backoff_max_ms": 400, "timeout_ms": 3000}
WAIT = 15.0             # the longest any single wait may take
QUIET = 0.8             # how long nothing more must come before "nobody else" is believed
TZ = datetime.timezone(datetime.timedelta(hours=8))

ROUTED_TYPES = {"rectify": {"rectify.warning", "rectify.overdue", "rectify.escalated", "revisit.due",
                            "interview.recommended"},
                "referral": {"referral.warning", "referral.overdue"},
                "intake": {"round.report_overdue"}}

# The people of the two units, the office, the receiving bodies and a bystander: id -> (name, roles,
# units, principal). 赵六 exists in both units: only U-B's owns a measure.
PEOPLE = {
    "a-officer": ("周青", ["officer"], ["U-A"], None),
    "a-supervisor": ("吴建国", ["supervising_leader"], ["U-A"], None),
    "a-secretary": ("郑书记", ["party_secretary"], ["U-A"], None),
    "a-principal": ("冯镇长", ["principal_leader"], ["U-A"], None),
    "a-zhao": ("赵六", ["cadre"], ["U-A"], None),
    "b-officer": ("陈敏", ["officer"], ["U-B"], None),
    "b-supervisor": ("褚卫东", ["supervising_leader"], ["U-B"], None),
    "b-secretary": ("卫书记", ["party_secretary"], ["U-B"], None),
    "b-principal": ("蒋局长", ["principal_leader"], ["U-B"], None),
    "b-zhao": ("赵六", ["cadre"], ["U-B"], None),
    "b-qian": ("钱副局长", ["cadre"], ["U-B"], None),
    "office-desk": ("市委巡察办", ["office"], None, None),
    "office-leader": ("巡察办主任", ["office_leadership"], None, None),
    "discipline-commission": ("市纪委监委", ["receiving_body"], None, "discipline-commission"),
    "organization-dept": ("市委组织部", ["receiving_body"], None, "organization-dept"),
    "bystander": ("旁观者", ["observer"], ["*"], None),
}


# --- servers and suites ----------------------------------------------------------------------

@pytest.fixture
def servers():
    http, smtp = WebhookServer(), SmtpServer()
    try:
        yield http, smtp
    finally:
        http.stop()
        smtp.stop()


@pytest.fixture
def deploy(tmp_path, servers):
    """deploy(directory, **notify_policy): a started suite whose notify uses these servers."""
    http, smtp = servers
    made = []

    def make(directory, **policy):
        notify = {"directory": directory, "email": {"smtp": smtp.url, "from": FROM},
                  "retry": dict(RETRY), **policy}
        s = Suite(str(tmp_path), SERVICES, PRINCIPALS, {"notify": notify})
        http.registry = s.registry
        made.append(s)
        s.start()
        return s

    yield make
    for s in made:
        status = s.stop_and_report(40)
        assert all(v in (0, "not started") for v in status.values()), status


def person(pid, http=None, smtp_ok=False, stream=False, digest=None, **override):
    """A directory entry for one of PEOPLE, with the channels asked for."""
    name, roles, units, principal = PEOPLE[pid]
    e = {"name": name, "roles": override.get("roles", roles), "channels": {}}
    if units is not None:
        e["units"] = units
    if principal:
        e["principal"] = principal
    if http:
        e["channels"]["webhook"] = http.url(pid)
    if smtp_ok:
        e["channels"]["email"] = address(pid)
    if stream:
        e["channels"]["stream"] = True
    if digest:
        e["digest"] = {"at": digest}
    return e


def address(pid):
    return f"{pid}@qingshi.gov.cn"


# --- replies, waits, clocks --------------------------------------------------------------------

def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def code(reply):
    assert reply["type"] == "error", reply
    return reply["data"]["code"]


def wait_for(fn, timeout=WAIT):
    """fn () until it is truthy or the time is up: its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


def local_day(days=0):
    return datetime.datetime.now(TZ).date() + datetime.timedelta(days=days)


def instant(day, hh=1, mm=0):
    """RFC 3339 (UTC) of a local time of a day."""
    t = datetime.datetime.combine(day, datetime.time(hh, mm), TZ).astimezone(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def set_clock(s, client, when):
    """Moves a service's test clock forward to `when` (RFC 3339 text)."""
    got = ok(client.call(s.office, "clock.set", {"clock": when}))
    assert xcwire.rfc3339(got["clock"]) >= xcwire.rfc3339(when), got


def day_of(text):
    return datetime.date.fromisoformat(text)


# --- events --------------------------------------------------------------------------------------

def events(s, name, client, types=None):
    """A service's events read by the office, each verified: dicts with source, seq, id, type,
    data; a redacted one has data None."""
    out, after = [], 0
    while True:
        res = ok(client.call(s.office, "events.read", {"after": after, "limit": 200}))
        for e in res["events"]:
            after = e["seq"]
            data, mid = None, None
            if "message" in e:
                body = xcwire.open_message(e["message"].encode("utf-8"), s.registry, event=True)[1]
                data, mid = body["data"], body["id"]
            if types is None or e["type"] in types:
                # an event is named by its events.read id (its key, when keyed) or its message id
                out.append({"source": name, "seq": e["seq"], "id": e["id"], "ids": {e["id"], mid},
                            "type": e["type"], "data": data, "message": e.get("message")})
        if after >= res["head"] or not res["events"]:
            return out


def caught_up(s, clients, source):
    """notify has applied every event its source has now."""
    head = ok(clients[source].call(s.office, "health", {}))["head"]
    src = ok(clients["notify"].call(s.office, "health", {}))["sources"][source]
    return src["offset"] >= head


def all_caught_up(s, clients):
    return all(caught_up(s, clients, name) for name in ("intake", "referral", "rectify"))


# --- notify's queries ------------------------------------------------------------------------------

def did(item):
    """The delivery id of a notify.list item or a notice."""
    return item["delivery"] if "delivery" in item else item["id"]


def deliveries(s, notify, signer=None, **filters):
    """Every delivery notify.list gives the signer (the office by default), paged to the end."""
    out, after = [], None
    for _ in range(100):
        page = ok(notify.call(signer or s.office, "notify.list",
                              {**filters, "limit": 500, **({"after": after} if after is not None else {})}))
        out += page["items"]
        after = page.get("next")
        if after is None or not page["items"]:
            return out
    raise AssertionError("notify.list never ended")


def get(s, notify, delivery, signer=None):
    return ok(notify.call(signer or s.office, "notify.get", {"delivery": delivery}))


def notice_of(got):
    """The notice of a notify.get result."""
    return got["notice"] if isinstance(got.get("notice"), dict) else got


def tries(got):
    """The list of tries of a notify.get result (the spec names no member: the list among
    "tries" and "attempts")."""
    for k in ("tries", "attempts"):
        if isinstance(got.get(k), list):
            return got[k]
    raise AssertionError(f"notify.get lists no tries: {got}")


def settled(s, notify, n, states=("sent",), **filters):
    """Waits for n deliveries (with the filters) all in one of states: the list, or what it was."""
    box = []

    def check():
        box[:] = deliveries(s, notify, **filters)
        return len(box) == n and all(d["state"] in states for d in box)
    wait_for(check)
    return box


def quiet(fn, period=QUIET):
    """Waits until fn () (a count) has not changed for period seconds (bounded by WAIT)."""
    deadline = time.monotonic() + WAIT
    last, since = fn(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = fn()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= period:
            break
    return last


def stream(s, notify, signer, after=0):
    res = ok(notify.call(signer, "notify.read", {"after": after, "limit": 500}))
    seqs = [n["stream_seq"] for n in res["notices"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    assert all(q > after for q in seqs), (after, seqs)
    return res["notices"]


# --- the domain: units, rounds, items, evaluations, leads ----------------------------------------

FEEDBACK = local_day(-5)
PARTS = ("leadership", "responsibility", "task_completion", "satisfaction")


def clients_of(s):
    return {name: s.client(name) for name in SERVICES}


def register_units(s, c):
    ok(c["intake"].call(s.office, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
    ok(c["intake"].call(s.office, "unit.register", {"id": "U-B", "name": "市教育局", "level": "city_department"}))


def run_round(s, c, rid, units, problems=(), leads=(), handovers=(), feed_back=True):
    """A round on units. The team reports each problem (unit, summary) after stationing, each
    classified for feedback (deadline), and each lead (unit, summary, detail, note) referred to
    the discipline commission, and each handover (unit, summary) to the organization department;
    with feed_back the round is withdrawn, reported and fed back on FEEDBACK. The report
    deadline is never passed, so intake sends no round.report_overdue. Returns the problem ids:
    (problems, leads, handovers)."""
    o, intake = s.office, c["intake"]
    ok(intake.call(o, "round.open", {
        "id": rid, "name": f"十一届第{rid}轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": u, "coverage": "main"} for u in units],
        "planned_start": str(local_day(-50)), "planned_end": str(local_day(-25)),
        "date": str(local_day(-60))}))
    if not (problems or leads or handovers or feed_back):
        return [], [], []
    ok(intake.call(o, "round.advance", {"round": rid, "stage": "stationed", "date": str(local_day(-50))}))

    def report(unit, summary, detail="详见巡察底稿"):
        return ok(intake.call(s.team, "problem.report", {
            "round": rid, "unit": unit, "category": "public_concerns", "summary": summary,
            "detail": detail, "severity": "serious", "source": "inspection_team"}))["problem"]

    fed, referred, handed = [], [], []
    for unit, summary in problems:
        p = report(unit, summary)
        ok(intake.call(o, "problem.classify", {
            "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
        fed.append(p)
    for unit, summary, detail, note in leads:
        p = report(unit, summary, detail)
        ok(intake.call(o, "problem.classify", {"problem": p, "dispositions": [
            {"kind": "lead", "body": "discipline-commission", "note": note}]}))
        referred.append(p)
    for unit, summary in handovers:
        p = report(unit, summary)
        ok(intake.call(o, "problem.classify", {"problem": p, "dispositions": [
            {"kind": "handover", "department": "organization-dept", "note": "请依职责处理"}]}))
        handed.append(p)
    if feed_back:
        for stage, date in [("withdrawn", local_day(-25)), ("reported", local_day(-20)),
                            ("feedback_delivered", FEEDBACK)]:
            ok(intake.call(o, "round.advance", {"round": rid, "stage": stage, "date": str(date)}))
    return fed, referred, handed


def items(s, c, n):
    """rectify's items once it has opened n: {unit: [items]}, each with its plan and item due dates."""
    def listed():
        page = ok(c["rectify"].call(s.office, "rectify.list", {"limit": 500}))
        return page["items"] if len(page["items"]) >= n else None
    got = wait_for(listed)
    assert got and len(got) == n, got
    by_unit = {}
    for it in sorted(got, key=lambda i: str(i["id"])):
        full = ok(c["rectify"].call(s.office, "rectify.get", {"item": it["id"]}))
        it = dict(it, due={d["deadline"]: d["due"] for d in full["deadlines"]})
        by_unit.setdefault(it["unit"], []).append(it)
    return by_unit


def referrals(s, c, n):
    def listed():
        page = ok(c["referral"].call(s.office, "referral.list", {"limit": 500}))
        return page["items"] if len(page["items"]) >= n else None
    got = wait_for(listed)
    assert got and len(got) == n, got
    return got


def rectify_to(s, c, day, expect=None):
    """rectify's clock to 01:00 of a local day; with expect {(type, colour or None): n}, waits
    until rectify has that many events of each kind in all (so no band is skipped)."""
    set_clock(s, c["rectify"], instant(day))
    if expect:
        def have():
            evs = events(s, "rectify", c["rectify"], {t for t, _ in expect})
            count = Counter((e["type"], e["data"].get("colour") if e["type"] == "rectify.warning" else None)
                            for e in evs)
            return all(count[k] >= v for k, v in expect.items())
        assert wait_for(have), (day, expect, [(e["type"], e["data"]) for e in events(s, "rectify", c["rectify"])])


def evaluate(s, c, rid, unit, part):
    return ok(c["rectify"].call(s.office, "rectify.evaluate", {
        "round": rid, "unit": unit, "parts": {k: part for k in PARTS},
        "principal_leader": {"name": "冯镇长", "title": "镇长"}}))


def interview_round(s, c, rid="R-EV"):
    """A round with U-A its only target, scored 30: one interview.recommended, emitted with
    the unit's evaluation in one commit."""
    run_round(s, c, rid, ["U-A"], feed_back=False)
    assert wait_for(lambda: c["rectify"].call(s.office, "rectify.round", {"round": rid})["type"] == "result")
    return lambda: evaluate(s, c, rid, "U-A", 30)


def check_notice_shape(n, recipient=None, channel=None):
    assert set(n) >= {"delivery", "recipient", "channel", "rule", "event", "subject", "text", "data"}, n
    assert set(n["event"]) >= {"source", "seq", "id", "type"}, n["event"]
    if recipient:
        assert n["recipient"] == recipient, n
    if channel:
        assert n["channel"] == channel, n


# =================================================================================================
# 1. Routing of each default rule
# =================================================================================================

def test_each_default_rule_reaches_exactly_the_people_it_names(deploy, servers):
    """Two units with a person for every role, the office, its leadership, two receiving bodies
    and a bystander answering for every unit, all on webhooks. U-A's item is never planned (its
    plan deadline warns its officer); U-B's item is planned with 赵六 owning the measure and
    钱副局长 leading it (a U-A cadre is also called 赵六 and must hear nothing). The clock crosses
    green, yellow, overdue and the first escalation; U-A scores low (interview); a lead goes
    overdue at referral. Each event's notices go exactly to the people its rule names."""
    http, _ = servers
    s = deploy({pid: person(pid, http) for pid in PEOPLE})
    c = clients_of(s)
    register_units(s, c)
    run_round(s, c, "R1", ["U-A", "U-B"], problems=[("U-A", "学生宿舍楼年久失修"), ("U-B", "校车管理不规范")],
              leads=[("U-A", "某干部违规收受礼金", "详见线索材料", "请核查")])
    by_unit = items(s, c, 2)
    a1, b1 = by_unit["U-A"][0], by_unit["U-B"][0]
    p = day_of(a1["due"]["plan"])
    assert b1["due"]["plan"] == str(p) and day_of(a1["due"]["item"]) - p >= datetime.timedelta(days=28)
    ok(c["rectify"].call(s.unit_b, "rectify.plan", {"item": b1["id"], "measures": [
        {"text": "规范校车管理", "owner": "赵六", "lead_leader": "钱副局长", "deadline": str(p)}]}))

    expected_total = 0

    def step(n):
        nonlocal expected_total
        expected_total += n
        wait_for(lambda: len(http.notices()) >= expected_total)

    rectify_to(s, c, p - datetime.timedelta(days=15), {("rectify.warning", "green"): 2})
    step(2)
    rectify_to(s, c, p - datetime.timedelta(days=5), {("rectify.warning", "yellow"): 2})
    step(4)
    rectify_to(s, c, p + datetime.timedelta(days=1), {("rectify.overdue", None): 2})
    step(4)
    rectify_to(s, c, p + datetime.timedelta(days=7), {("rectify.escalated", None): 2})
    step(4)
    evaluate(s, c, "R1", "U-A", 40)
    evaluate(s, c, "R1", "U-B", 95)
    step(1)
    lead = referrals(s, c, 1)[0]
    set_clock(s, c["referral"], instant(day_of(lead["due"]) + datetime.timedelta(days=1)))
    step(2)
    assert wait_for(lambda: all_caught_up(s, c))
    quiet(lambda: len(http.all()))

    # What the sources emitted, and who the spec says hears of each.
    routed = [e for name in ("intake", "referral", "rectify")
              for e in events(s, name, c[name], ROUTED_TYPES[name])]
    kinds = Counter((e["type"], e["data"].get("colour") if e["type"] == "rectify.warning" else None)
                    for e in routed)
    assert kinds == {("rectify.warning", "green"): 2, ("rectify.warning", "yellow"): 2,
                     ("rectify.overdue", None): 2, ("rectify.escalated", None): 2,
                     ("interview.recommended", None): 1, ("referral.overdue", None): 1}, kinds

    def who(e):
        d, t = e["data"], e["type"]
        u = {"U-A": "a", "U-B": "b"}.get(d.get("unit"))
        if t == "rectify.warning" and d["colour"] == "green":
            return {"a-officer": "warning-green"} if u == "a" else {"b-zhao": "warning-green"}
        if t == "rectify.warning":
            return ({"a-officer": "warning-yellow", "a-supervisor": "warning-yellow"} if u == "a"
                    else {"b-zhao": "warning-yellow", "b-qian": "warning-yellow"})
        if t == "rectify.overdue":
            return {f"{u}-secretary": "overdue", "office-desk": "overdue"}
        if t == "rectify.escalated":
            return {"office-desk": "escalated", f"{u}-principal": "escalated"}
        if t == "interview.recommended":
            return {"office-leader": "interview"}
        if t == "referral.overdue":
            return {"office-desk": "referral-overdue", "discipline-commission": "referral-overdue"}
        raise AssertionError(e)

    expected = {(e["source"], e["seq"]): who(e) for e in routed}
    by_event = {(e["source"], e["seq"]): e for e in routed}
    assert http.errors() == []
    got = {}
    for n in http.notices():
        check_notice_shape(n, channel="webhook")
        key = (n["event"]["source"], n["event"]["seq"])
        assert n["recipient"] not in got.setdefault(key, {}), ("twice", n)
        got[key][n["recipient"]] = n["rule"]
        if key in by_event:
            e = by_event[key]
            assert n["event"]["type"] == e["type"] and n["event"]["id"] in e["ids"], (n["event"], e)
            assert n["data"] == e["data"], (n["data"], e["data"])
    assert got == expected
    assert len(http.all()) == sum(len(v) for v in expected.values())   # no copies either

    # notify's own record: one delivery per (event, recipient, channel), each naming its rule
    # and its event, sent, with its tries.
    listed = deliveries(s, c["notify"])
    assert len(listed) == len(http.notices())
    keys = set()
    for item in listed:
        g = get(s, c["notify"], did(item))
        n = notice_of(g)
        ev = n["event"]
        key = (ev["source"], ev["seq"])
        assert (key, n["recipient"], n["channel"]) not in keys
        keys.add((key, n["recipient"], n["channel"]))
        assert n["rule"] == expected[key][n["recipient"]], g
        assert ev["type"] == by_event[key]["type"] and ev["id"] in by_event[key]["ids"], g
        assert g["state"] == "sent" and len(tries(g)) >= 1, g


# =================================================================================================
# 2-4. Webhook retries, dead letters, a crash between commit and delivery
# =================================================================================================

def test_a_webhook_that_fails_twice_then_succeeds_is_one_delivery_with_three_tries(deploy, servers):
    http, _ = servers
    http.fail_first["office-leader"] = 2
    s = deploy({"office-leader": person("office-leader", http)})
    c = clients_of(s)
    register_units(s, c)
    interview_round(s, c)()
    got = settled(s, c["notify"], 1)
    assert len(got) == 1 and got[0]["state"] == "sent", got
    quiet(lambda: len(http.all()))
    posts = http.all("office-leader")
    assert [p["status"] for p in posts] == [500, 500, 200], [(p["status"], p["error"]) for p in posts]
    assert http.errors() == []
    # the same message on every try: one id, one Idempotency-Key (the message's id)
    assert len({p["body"]["id"] for p in posts}) == 1
    delivery = posts[0]["body"]["data"]["delivery"]
    assert delivery == did(got[0])
    assert {p["headers"].get("idempotency-key") for p in posts} == {posts[0]["body"]["id"]}
    assert all(p["headers"].get("content-type", "").startswith("application/jose+json") for p in posts)
    g = get(s, c["notify"], delivery)
    assert g["state"] == "sent" and len(tries(g)) == 3, g
    # the tries' own results (a timestamp may contain "500" too)
    assert [t["detail"] for t in tries(g)] == ["HTTP 500", "HTTP 500", "HTTP 200"], tries(g)
    sent = [e for e in events(s, "notify", c["notify"], {"notice.sent"}) if e["data"]["delivery"] == delivery]
    assert len(sent) == 1 and sent[0]["data"]["recipient"] == "office-leader", sent
    assert sent[0]["data"]["channel"] == "webhook" and sent[0]["data"]["rule"] == "interview"


def test_a_webhook_that_never_succeeds_is_dead_lettered_after_max_attempts(deploy, servers):
    http, _ = servers
    http.fail_always.add("office-leader")
    backoff = 200
    s = deploy({"office-leader": person("office-leader", http)},
               retry={"max_attempts": 3, "backoff_ms": backoff, "backoff_max_ms": 5000, "timeout_ms": 2000})
    c = clients_of(s)
    register_units(s, c)
    interview_round(s, c)()
    got = settled(s, c["notify"], 1, states=("dead",))
    assert len(got) == 1 and got[0]["state"] == "dead", got
    time.sleep(backoff * 4 / 1000)           # a fourth try would have come by now
    posts = http.all("office-leader")
    assert [p["status"] for p in posts] == [500, 500, 500], [(p["status"], p["error"]) for p in posts]
    assert len({p["body"]["id"] for p in posts}) == 1
    # backoff x 2^(tries-1) times a factor in [0.5, 1.5): at least half of it between tries
    gaps = [b["t"] - a["t"] for a, b in zip(posts, posts[1:])]
    assert gaps[0] >= 0.5 * backoff / 1000 - 0.03 and gaps[1] >= 0.5 * 2 * backoff / 1000 - 0.03, gaps
    g = get(s, c["notify"], did(got[0]))
    assert g["state"] == "dead" and len(tries(g)) == 3, g
    assert all(t["detail"] == "HTTP 500" for t in tries(g)), tries(g)
    dead = events(s, "notify", c["notify"], {"notice.dead"})
    assert len(dead) == 1, dead
    d = dead[0]["data"]
    assert d["delivery"] == did(got[0]) and d["recipient"] == "office-leader" and d["tries"] == 3, d
    assert d["channel"] == "webhook" and d["rule"] == "interview"
    assert d["event"]["type"] == "interview.recommended", d
    assert events(s, "notify", c["notify"], {"notice.sent"}) == []


def test_killed_between_commit_and_delivery_each_notice_arrives_once(deploy, servers):
    """notify commits the deliveries of a batch and dies before trying them (--fail-after-commit
    1); started again, it delivers each notice once: one POST per Idempotency-Key, one email per
    Message-ID, one delivery per (event, recipient, channel)."""
    http, smtp = servers
    s = deploy({"office-leader": person("office-leader", http, smtp_ok=True),
                "office-desk": person("office-desk", http, roles=["office_leadership"]),
                "a-officer": person("a-officer", http)})
    c = clients_of(s)
    register_units(s, c)
    score = interview_round(s, c)
    assert wait_for(lambda: all_caught_up(s, c))
    n = s.deployments["notify"]
    assert n.end_process() == 0
    # Nothing is pending, so the first commit of this run is the batch that makes deliveries.
    n.start(["--fail-after-commit", "1"])
    score()
    assert wait_for(lambda: n.proc.poll() is not None), "notify did not exit after its commit"
    assert n.proc.returncode == 70, n.log_tail()
    n.log.close()
    assert http.all() == [] and smtp.all() == [], "tried before the commit"
    n.start()
    got = settled(s, c["notify"], 3)
    assert len(got) == 3 and all(d["state"] == "sent" for d in got), got
    quiet(lambda: len(http.all()) + len(smtp.all()))
    posts = http.all()
    assert http.errors() == []
    keys = Counter(p["headers"].get("idempotency-key") for p in posts)
    assert sorted(keys.values()) == [1, 1] and None not in keys, keys
    assert Counter(p["body"]["id"] for p in posts) == Counter({p["body"]["id"]: 1 for p in posts})
    assert {p["recipient"] for p in posts} == {"office-leader", "office-desk"}
    mails = smtp.all()
    assert len(mails) == 1 and mails[0]["rcpt_tos"] == [address("office-leader")], mails
    assert Counter((d["recipient"], d["channel"]) for d in got) == {
        ("office-leader", "webhook"): 1, ("office-leader", "email"): 1, ("office-desk", "webhook"): 1}
    assert len({did(d) for d in got}) == 3


# =================================================================================================
# 5. A source down
# =================================================================================================

def test_a_source_down_does_not_stop_the_others_and_comes_back_without_doubles(deploy, servers):
    """Referral is stopped: rectify's warnings still become notices. Referral comes back, its
    overdue lead is delivered too; every notice once."""
    http, _ = servers
    s = deploy({pid: person(pid, http) for pid in ("a-officer", "office-desk", "discipline-commission")})
    c = clients_of(s)
    register_units(s, c)
    run_round(s, c, "R1", ["U-A"], problems=[("U-A", "食堂管理混乱")],
              leads=[("U-A", "某站长虚报冒领", "详见线索材料", "请核查")])
    a1 = items(s, c, 1)["U-A"][0]
    lead = referrals(s, c, 1)[0]
    assert wait_for(lambda: all_caught_up(s, c))
    ref = s.deployments["referral"]
    assert ref.end_process() == 0

    rectify_to(s, c, day_of(a1["due"]["plan"]) - datetime.timedelta(days=15), {("rectify.warning", "green"): 1})
    assert wait_for(lambda: len(http.notices("a-officer")) == 1), http.all()
    n = http.notices("a-officer")[0]
    assert n["rule"] == "warning-green" and n["event"]["source"] == "rectify"
    assert ok(c["notify"].call(s.office, "health", {}))["service"] == "notify"

    ref.start()
    set_clock(s, c["referral"], instant(day_of(lead["due"]) + datetime.timedelta(days=1)))
    assert wait_for(lambda: len(http.notices()) == 3), [r["recipient"] for r in http.all()]
    assert wait_for(lambda: all_caught_up(s, c))
    quiet(lambda: len(http.all()))
    assert http.errors() == []
    assert Counter((n["recipient"], n["event"]["type"]) for n in http.notices()) == {
        ("a-officer", "rectify.warning"): 1, ("office-desk", "referral.overdue"): 1,
        ("discipline-commission", "referral.overdue"): 1}
    assert len(http.all()) == 3            # no copy at all
    listed = deliveries(s, c["notify"])
    assert len(listed) == 3 and all(d["state"] == "sent" for d in listed), listed


# =================================================================================================
# 6. Digest
# =================================================================================================

def test_digest_holds_email_notices_and_sends_one_message_a_day(deploy, servers):
    """李明 (U-A's officer) wants a digest at 08:00: his email notices are held while his webhook
    ones go at once; at 08:00 one email lists them, they become sent with the digest's id. The
    next day's notices make a second, separate digest; none is sent twice. U-B's officer, with no
    digest, gets his email at once."""
    http, smtp = servers
    li = dict(person("a-officer", http, smtp_ok=True, digest="08:00"), name="李明")
    s = deploy({"a-officer": li, "b-officer": person("b-officer", smtp_ok=True)})
    c = clients_of(s)
    register_units(s, c)
    run_round(s, c, "R1", ["U-A", "U-B"],
              problems=[("U-A", "村务公开不及时"), ("U-A", "集体资产台账缺失"), ("U-B", "校车管理不规范")])
    by_unit = items(s, c, 3)
    p = day_of(by_unit["U-A"][0]["due"]["plan"])
    d1, d2 = local_day(1), local_day(2)
    set_clock(s, c["notify"], instant(d1, 1, 0))     # before the first day's digest time
    li_mail = address("a-officer")

    rectify_to(s, c, p - datetime.timedelta(days=15), {("rectify.warning", "green"): 3})
    assert wait_for(lambda: len(http.notices("a-officer")) == 2 and len(smtp.accepted(address("b-officer"))) == 1)
    held = settled(s, c["notify"], 2, states=("held",), recipient="a-officer", channel="email", type="rectify.warning")
    assert [d["state"] for d in held] == ["held", "held"], held
    quiet(lambda: len(smtp.all()))
    assert smtp.all(li_mail) == []
    b = deliveries(s, c["notify"], recipient="b-officer", channel="email")
    assert [d["state"] for d in b] == ["sent"], b

    set_clock(s, c["notify"], instant(d1, 8, 1))
    assert wait_for(lambda: len(smtp.all(li_mail)) == 1), smtp.all()
    first = smtp.all(li_mail)[0]
    assert first["error"] is None and first["status"] == 250
    assert first["subject"] == f"【巡察待办汇总】{d1.isoformat()} 2项", first["subject"]
    for d in held:
        assert notice_of(get(s, c["notify"], did(d)))["subject"] in first["text"], first["text"]
    after1 = settled(s, c["notify"], 2, states=("sent",), recipient="a-officer", channel="email", type="rectify.warning")
    assert [d["state"] for d in after1] == ["sent", "sent"], after1
    sent = events(s, "notify", c["notify"], {"digest.sent"})
    assert len(sent) == 1 and sent[0]["data"]["recipient"] == "a-officer", sent
    for d in held:                           # each names the digest it went in
        g = get(s, c["notify"], did(d))
        assert g["state"] == "sent" and json.dumps(sent[0]["data"]["digest"]) in json.dumps(g), g
    assert sorted(sent[0]["data"]["deliveries"]) == sorted(did(d) for d in held)

    # The second day's notices: held, not sent again the same day, sent the next morning.
    rectify_to(s, c, p - datetime.timedelta(days=5), {("rectify.warning", "yellow"): 3})
    assert wait_for(lambda: len(http.notices("a-officer")) == 4 and len(smtp.accepted(address("b-officer"))) == 2)
    held2 = [d for d in settled(s, c["notify"], 2, states=("held",), recipient="a-officer", channel="email", type="rectify.warning",
                                state="held")]
    assert len(held2) == 2, held2
    set_clock(s, c["notify"], instant(d1, 20, 0))
    quiet(lambda: len(smtp.all()))
    assert len(smtp.all(li_mail)) == 1
    set_clock(s, c["notify"], instant(d2, 8, 1))
    assert wait_for(lambda: len(smtp.all(li_mail)) == 2), smtp.all(li_mail)
    second = smtp.all(li_mail)[1]
    assert second["subject"] == f"【巡察待办汇总】{(d1 + datetime.timedelta(days=1)).isoformat()} 2项"
    assert second["message_id"] != first["message_id"]
    set_clock(s, c["notify"], instant(d2, 9, 0))
    quiet(lambda: len(smtp.all()))
    assert len(smtp.all(li_mail)) == 2
    sent = events(s, "notify", c["notify"], {"digest.sent"})
    assert len(sent) == 2 and sent[0]["data"]["digest"] != sent[1]["data"]["digest"], sent
    assert sorted(sent[1]["data"]["deliveries"]) == sorted(did(d) for d in held2)
    mails = deliveries(s, c["notify"], recipient="a-officer", channel="email", type="rectify.warning")
    assert len(mails) == 4 and all(d["state"] == "sent" for d in mails), mails
    # notify.list and notify.stats count the same deliveries (one per event, recipient, channel)
    st = ok(c["notify"].call(s.office, "notify.stats", {}))
    assert st["deliveries"] == len(deliveries(s, c["notify"])), (st, deliveries(s, c["notify"]))


# =================================================================================================
# 7. Leads never reach a unit
# =================================================================================================

SECRET_SUMMARY = "线索：某局长收受红包LEAD-SUMMARY-7f3a"
SECRET_DETAIL = "DETAIL-SECRET-9c1e 二〇二五年春节期间收受某企业现金"
SECRET_NOTE = "NOTE-SECRET-41d2 请严格保密"
LEAD_TYPES = {"problem.recorded", "problem.classified", "problem.referred", "referral.created", "lead.read"}


def test_a_lead_never_reaches_the_unit_and_its_text_is_in_no_notice(deploy, servers):
    """A lead on U-A is referred to the discipline commission, read by it, and goes overdue.
    A watcher rule sends every event notify may read to an observer, so any lead content notify
    held would show: the unit's people get nothing, no notice anywhere (webhook, email, stream,
    notify.get, notify's events) carries the lead's text, and the commission gets the overdue
    notice without it."""
    http, smtp = servers
    unit_people = ("a-officer", "a-supervisor", "a-secretary", "a-principal", "a-zhao")
    directory = {pid: person(pid, http, smtp_ok=True) for pid in unit_people + ("office-desk",)}
    directory["discipline-commission"] = person("discipline-commission", http, stream=True)
    directory["bystander"] = person("bystander", http, smtp_ok=True, roles=["watcher"])
    s = deploy(directory, rules=DEFAULT_RULES + [{"id": "watch-everything", "events": ["*"],
                                                  "to": ["role:watcher"]}])
    c = clients_of(s)
    register_units(s, c)
    run_round(s, c, "R1", ["U-A"], leads=[("U-A", SECRET_SUMMARY, SECRET_DETAIL, SECRET_NOTE)], feed_back=False)
    lead = referrals(s, c, 1)[0]
    assert lead["target"] == "discipline-commission" and lead["kind"] == "lead"
    read = ok(c["referral"].call(s.discipline, "referral.get", {"referral": lead["id"]}))   # lead.read
    seen = json.dumps(read, ensure_ascii=False)                          # the target does see it
    assert SECRET_SUMMARY in seen or SECRET_DETAIL in seen, read
    set_clock(s, c["referral"], instant(day_of(lead["due"]) + datetime.timedelta(days=1)))
    assert wait_for(lambda: len(http.notices("discipline-commission")) == 1)
    assert wait_for(lambda: all_caught_up(s, c))
    quiet(lambda: len(http.all()) + len(smtp.all()))

    # notify read past the restricted events (so it passed them over rather than not yet read them)
    intake_seen = [e for e in events(s, "intake", c["intake"]) if e["type"] in LEAD_TYPES]
    assert {e["type"] for e in intake_seen} >= {"problem.referred"}
    ref_seen = [e for e in events(s, "referral", c["referral"]) if e["type"] in LEAD_TYPES]
    assert {e["type"] for e in ref_seen} >= {"referral.created", "lead.read"}

    assert http.errors() == []
    for pid in unit_people:
        assert http.all(pid) == [] and smtp.all(address(pid)) == [], pid
        assert deliveries(s, c["notify"], recipient=pid) == [], pid
    watched = {n["event"]["type"] for n in http.notices("bystander")}
    assert {"round.opened", "referral.overdue"} <= watched, watched     # the watcher does hear
    assert not watched & LEAD_TYPES, watched

    body = http.notices("discipline-commission")
    assert len(body) == 1 and body[0]["rule"] == "referral-overdue", body
    assert body[0]["event"]["type"] == "referral.overdue" and body[0]["data"]["target"] == "discipline-commission"
    mine = stream(s, c["notify"], s.discipline)
    assert [n["event"]["type"] for n in mine] == ["referral.overdue"], mine

    texts = [r["payload"] or "" for r in http.all()] + [r["raw"].decode("utf-8", "replace") for r in http.all()]
    texts += [(m["subject"] or "") + "\n" + (m["text"] or "") + "\n" + m["raw"].decode("utf-8", "replace")
              for m in smtp.all()]
    texts += [json.dumps(n, ensure_ascii=False) for n in mine]
    listed = deliveries(s, c["notify"])
    assert listed
    for d in listed:
        g = get(s, c["notify"], did(d))
        assert notice_of(g)["event"]["type"] not in LEAD_TYPES, g
        texts.append(json.dumps(g, ensure_ascii=False))
    texts += [json.dumps(e["data"], ensure_ascii=False) for e in events(s, "notify", c["notify"])]
    for secret in (SECRET_SUMMARY, SECRET_DETAIL, SECRET_NOTE, "LEAD-SUMMARY-7f3a", "DETAIL-SECRET-9c1e",
                   "NOTE-SECRET-41d2", "收受红包"):
        assert not [t for t in texts if secret in t], secret


# =================================================================================================
# 8. Email content
# =================================================================================================

def test_an_email_has_the_chinese_template_a_stable_message_id_and_its_reason(deploy, servers):
    """A green warning by email to each unit's officer. U-A's mail server refuses the first try
    (451): the second try carries the same Message-ID. The subject is the Chinese template in
    RFC 2047, the body base64 UTF-8, and the text ends with the rule and the event."""
    _, smtp = servers
    smtp.fail_first[address("a-officer")] = 1
    s = deploy({"a-officer": person("a-officer", smtp_ok=True), "b-officer": person("b-officer", smtp_ok=True)})
    c = clients_of(s)
    register_units(s, c)
    run_round(s, c, "R1", ["U-A", "U-B"], problems=[("U-A", "村务公开不及时"), ("U-B", "校车管理不规范")])
    by_unit = items(s, c, 2)
    a1 = by_unit["U-A"][0]
    rectify_to(s, c, day_of(a1["due"]["plan"]) - datetime.timedelta(days=15), {("rectify.warning", "green"): 2})
    assert wait_for(lambda: len(smtp.accepted()) == 2), smtp.all()
    got = settled(s, c["notify"], 2)
    assert [d["state"] for d in got] == ["sent", "sent"], got
    quiet(lambda: len(smtp.all()))

    sends = smtp.all(address("a-officer"))
    assert [m["status"] for m in sends] == [451, 250], [(m["status"], m["error"]) for m in sends]
    assert all(m["error"] is None for m in smtp.all()), [m["error"] for m in smtp.all()]
    mid = sends[0]["message_id"]
    assert mid and mid.startswith("<") and mid.endswith(">") and "@" in mid, mid
    assert sends[1]["message_id"] == mid
    other = smtp.all(address("b-officer"))
    assert len(other) == 1 and other[0]["message_id"] != mid

    m = sends[1]
    msg, raw = m["msg"], m["raw"].decode("ascii", "replace")
    assert m["mail_from"] == FROM and m["rcpt_tos"] == [address("a-officer")]
    assert FROM in str(msg["From"]) and address("a-officer") in str(msg["To"])
    subject_raw = [line for line in raw.split("\r\n\r\n")[0].replace("\r\n ", " ").replace("\r\n\t", " ").split("\r\n")
                   if line.lower().startswith("subject:")]
    assert subject_raw and "=?utf-8?" in subject_raw[0].lower(), subject_raw     # RFC 2047
    assert msg.get_content_type() == "text/plain" and (msg.get_content_charset() or "").lower() == "utf-8"
    assert str(msg["Content-Transfer-Encoding"]).lower() == "base64"

    g = get(s, c["notify"], next(did(d) for d in got if d["recipient"] == "a-officer"))
    n = notice_of(g)
    ev = n["event"]
    assert n["rule"] == "warning-green" and ev["type"] == "rectify.warning" and ev["source"] == "rectify"
    assert n["data"]["item"] == a1["id"] and n["data"]["days_left"] == 15, n["data"]
    subject = m["subject"]
    assert subject.startswith("【整改预警】") and "青石镇" in subject, subject
    assert f"整改事项{a1['id']}" in subject and "剩余15天" in subject, subject
    assert subject == n["subject"]
    text = m["text"]
    assert text.strip() == n["text"].strip(), (text, n["text"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    why = text.strip()[-300:]                # the text ends with why it came
    # in words: the default rule warning-green by its name, the event by its number and type's name
    assert "规则“整改绿色预警”" in why and "warning-green" not in why, text
    assert f"整改监督第{ev['seq']}号事件（整改预警）" in why and "rectify.warning" not in why, text
    assert len(tries(g)) == 2 and "451" in json.dumps(tries(g)[0]), tries(g)
    # one notice.sent per email delivery, after its successful try (not after the refused one)
    sent = events(s, "notify", c["notify"], {"notice.sent"})
    assert sorted(e["data"]["delivery"] for e in sent) == sorted(did(d) for d in got), sent
    assert {e["data"]["channel"] for e in sent} == {"email"}


# =================================================================================================
# 9. Stream
# =================================================================================================

def test_a_department_reads_and_acks_its_own_stream_and_unacked_notices_come_again(deploy, servers):
    """The discipline commission gets a lead's warning and overdue notices, the organization
    department a handover's overdue, both on the stream; each reads only its own, acks only its
    own, and the commission's unacknowledged overdue notice is offered again (resend 2 times)."""
    http, _ = servers
    resend = {"after_seconds": 3600, "times": 2}
    s = deploy({"discipline-commission": person("discipline-commission", stream=True),
                "organization-dept": person("organization-dept", stream=True),
                "office-desk": person("office-desk", http)},
               rules=[{"id": "referral-warning", "events": ["referral.warning"], "to": ["target"]},
                      {"id": "referral-overdue", "events": ["referral.overdue"], "to": ["role:office", "target"],
                       "resend": resend}])
    c = clients_of(s)
    register_units(s, c)
    run_round(s, c, "R1", ["U-A"], leads=[("U-A", "某所长违规经商", "详见线索材料", "请核查")],
              handovers=[("U-A", "土地审批不规范")], feed_back=False)
    refs = {r["kind"]: r for r in referrals(s, c, 2)}
    lead_due = day_of(refs["lead"]["due"])
    assert day_of(refs["handover"]["due"]) < lead_due - datetime.timedelta(days=15)
    notify, dc, od = c["notify"], s.discipline, s.orgdept

    # the lead enters its 20-day band; the handover is already overdue
    set_clock(s, c["referral"], instant(lead_due - datetime.timedelta(days=15)))
    assert wait_for(lambda: len(stream(s, notify, dc)) == 1 and len(stream(s, notify, od)) == 1)
    warning = stream(s, notify, dc)[0]
    theirs = stream(s, notify, od)[0]
    check_notice_shape(warning, "discipline-commission", "stream")
    assert warning["event"]["type"] == "referral.warning" and warning["rule"] == "referral-warning"
    assert theirs["event"]["type"] == "referral.overdue" and theirs["recipient"] == "organization-dept"
    assert theirs["data"]["target"] == "organization-dept" and not theirs.get("resent"), theirs

    set_clock(s, c["referral"], instant(lead_due + datetime.timedelta(days=1)))
    assert wait_for(lambda: len(stream(s, notify, dc)) == 2)
    mine = stream(s, notify, dc)
    overdue = mine[1]
    assert [n["event"]["type"] for n in mine] == ["referral.warning", "referral.overdue"], mine
    assert all(n["recipient"] == "discipline-commission" for n in mine)
    assert overdue["rule"] == "referral-overdue" and overdue["data"]["target"] == "discipline-commission"
    assert stream(s, notify, dc, after=warning["stream_seq"]) == [overdue]
    quiet(lambda: len(http.all()))

    # only its own: in the stream, in notify.list, and with notify.get
    others = stream(s, notify, od)
    assert [did(n) for n in others] == [did(theirs)], others
    assert {did(n) for n in mine}.isdisjoint(did(n) for n in others)
    assert {d["recipient"] for d in deliveries(s, notify, od)} == {"organization-dept"}
    assert {d["recipient"] for d in deliveries(s, notify, dc)} == {"discipline-commission"}
    assert code(notify.call(od, "notify.get", {"delivery": did(overdue)})) in ("forbidden", "not_found")
    assert code(notify.call(s.unit_a, "notify.read", {})) == "forbidden"          # not in the directory

    # acks: its own only; a list with another's id is refused whole and stores nothing
    assert code(notify.call(od, "notify.ack", {"deliveries": [did(overdue)]})) == "not_found"
    assert code(notify.call(dc, "notify.ack", {"deliveries": [did(overdue), did(theirs)]})) == "not_found"
    unknown = 987654321 if isinstance(did(overdue), int) else str(uuid.uuid4())
    assert code(notify.call(dc, "notify.ack", {"deliveries": [unknown]})) == "not_found"
    assert ok(notify.call(od, "notify.ack", {"deliveries": [did(theirs)]})) == {"acknowledged": 1}
    assert ok(notify.call(dc, "notify.ack", {"deliveries": [did(warning)]})) == {"acknowledged": 1}

    # an hour on: the commission's unacknowledged overdue comes again, the department's does not
    base = datetime.datetime.now(datetime.timezone.utc)
    last = overdue["stream_seq"]
    for k in (1, 2):
        set_clock(s, notify, (base + datetime.timedelta(seconds=3700 * k)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        again = wait_for(lambda: stream(s, notify, dc, after=last))
        assert len(again) == 1, again
        assert did(again[0]) == did(overdue) and again[0]["stream_seq"] > last, again
        assert again[0]["resent"] == k, again
        assert again[0]["event"] == overdue["event"] and again[0]["data"] == overdue["data"]
        last = again[0]["stream_seq"]
    set_clock(s, notify, (base + datetime.timedelta(seconds=3700 * 3)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    time.sleep(QUIET)
    assert stream(s, notify, dc, after=last) == []               # at most `times` times
    assert stream(s, notify, od, after=theirs["stream_seq"]) == []
    assert [did(n) for n in stream(s, notify, dc)].count(did(warning)) == 1
    # reading made no notice.sent; each first acknowledgement makes one (the stream's delivery)
    def stream_sent():
        return [e["data"] for e in events(s, "notify", notify, {"notice.sent"}) if e["data"]["channel"] == "stream"]
    assert sorted(d["delivery"] for d in stream_sent()) == sorted([did(theirs), did(warning)])
    assert ok(notify.call(dc, "notify.ack", {"deliveries": [did(overdue)]})) == {"acknowledged": 1}
    # acknowledged again (a new command): acknowledged, and no second notice.sent
    assert ok(notify.call(dc, "notify.ack", {"deliveries": [did(overdue), did(warning)]})) == {"acknowledged": 2}
    sent = stream_sent()
    assert sorted(d["delivery"] for d in sent) == sorted([did(theirs), did(warning), did(overdue)]), sent
    mine_sent = next(d for d in sent if d["delivery"] == did(overdue))
    assert mine_sent["recipient"] == "discipline-commission" and mine_sent["rule"] == "referral-overdue"
    assert mine_sent["event"]["type"] == "referral.overdue" and mine_sent["event"]["source"] == "referral"
    assert get(s, notify, did(overdue))["state"] == "acknowledged"


# =================================================================================================
# 10. Stats
# =================================================================================================

def test_stats_count_by_state_and_channel_and_give_latency(deploy, servers):
    """An interview to three leaders: one by webhook and email, one whose webhook is always down
    (dead after 2 tries), one a department on the stream. notify.stats matches a count of
    notify.list by hand, and the latency percentiles are numbers."""
    http, smtp = servers
    http.fail_always.add("office-desk")
    s = deploy({"office-leader": person("office-leader", http, smtp_ok=True),
                "office-desk": person("office-desk", http, roles=["office_leadership"]),
                "organization-dept": person("organization-dept", stream=True, roles=["office_leadership"])},
               retry={"max_attempts": 2, "backoff_ms": 50, "backoff_max_ms": 200, "timeout_ms": 2000})
    c = clients_of(s)
    register_units(s, c)
    interview_round(s, c)()

    def done():
        ds = deliveries(s, c["notify"])
        by = {(d["recipient"], d["channel"]): d["state"] for d in ds}
        return len(ds) == 4 and by.get(("office-desk", "webhook")) == "dead" and \
            by.get(("office-leader", "webhook")) == "sent" and by.get(("office-leader", "email")) == "sent"
    assert wait_for(done), deliveries(s, c["notify"])
    listed = deliveries(s, c["notify"])
    st = ok(c["notify"].call(s.office, "notify.stats", {}))
    nonzero = lambda d: {k: v for k, v in d.items() if v}
    assert st["deliveries"] == 4
    assert nonzero(st["by_state"]) == Counter(d["state"] for d in listed), (st, listed)
    by_channel = {}
    for d in listed:
        by_channel.setdefault(d["channel"], Counter())[d["state"]] += 1
    assert {ch: nonzero(v) for ch, v in st["by_channel"].items() if nonzero(v)} == by_channel, st
    assert st["by_state"]["dead"] == 1 and st["by_channel"]["webhook"]["sent"] == 1
    assert st["by_channel"]["email"]["sent"] == 1 and sum(st["by_channel"]["stream"].values()) == 1
    lat = st["latency_ms"]
    for k in ("p50", "p99"):
        assert isinstance(lat[k], (int, float)) and not isinstance(lat[k], bool) and lat[k] >= 0, lat
    assert lat["p50"] <= lat["p99"] < 60000, lat
    # only the office
    assert code(c["notify"].call(s.orgdept, "notify.stats", {})) == "forbidden"
