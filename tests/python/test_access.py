"""The access rules of docs/security.md, checked cell by cell against the four running services.

The page is parsed here, not copied: one access table per service (header `| type | kind |
<roles> |`, cells `allowed`, `refused`, `scoped`), one scope table per service (`| scoped type |
roles | in scope | out of scope answers |`) and the findings (`| finding | service | type | roles
| ... |`). The rows must be exactly the routes of the service (the route tables in
services/<name>/*.c and the built-in routes of common/service_routes.c), and each cell is sent over the
wire by a principal of that role: `refused` must be answered `forbidden`; `allowed` anything but
`forbidden`, `unknown_type` (and `schema`: the probes are well-formed); `scoped` the same for an
object in the sender's scope and the page's code for one out of it. A cell listed as a finding is
expected to fail (strict xfail) until the code or the service's page changes.

Then leads from every side: a lead referred to discipline body A is looked for by body B, a unit,
a team, the public and every other principal in referral's lists and gets, every service's
events, `xcctl export leads`, the stats and notify's notices (and notify's and rectify's
databases); body A and the office do see it. Reporter identity, the filtered lists and the event
visibility of each service are checked the same way.

One suite serves the whole module (it runs in under ten seconds); every wait is bounded.
"""

import datetime
import glob
import hashlib
import json
import os
import re
import subprocess
import time
import uuid

import pytest

import xcwire
from notify_servers import DEFAULT_RULES
from conftest import REPO, Suite, key_file, running_suite
from notify_servers import WebhookServer

DOC = os.path.join(REPO, "docs", "security.md")
XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
SERVICES = ["intake", "referral", "rectify", "notify"]
WAIT = 15.0
TZ = datetime.timezone(datetime.timedelta(hours=8))

# The principal that speaks for each role column, and the rest of the cast.
ROLE_PRINCIPAL = {"office": "office", "district": "dist_a", "team": "team", "petition": "petition", "audit": "audit",
                  "public": "public", "unit": "unit_a", "discipline": "body_a",
                  "department": "dept", "service": "svc"}
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "petition": ("petition-bureau", "petition", {}),
    "audit": ("audit-bureau", "audit", {"units": ["D-1"]}),        # supervises U-A through D-1
    "public": ("public-channel", "public", {}),
    "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
    "unit_b": ("unit-b", "unit", {"units": ["U-B"]}),
    "body_a": ("discipline-a", "discipline", {"units": ["U-A"]}),
    "body_b": ("discipline-b", "discipline", {"units": ["U-B"]}),
    "dept": ("organization-dept", "department", {}),
    "svc": ("svc-probe", "service", {}),
    # the district office of D-1 (云溪区): its own round RD on U-C; U-A is in D-1 too, but R1
    # (a city round over U-A) is not its
    "dist_a": ("district-a", "district", {"district": "D-1"}),
    "team_d": ("team-d", "team", {}),                              # RD's team
}
# One principal of each role that is in no notify directory entry (the district's has a district:
# without one it may do nothing at all).
PRINCIPALS.update({f"x_{role}": (f"x-{role}", role, {"district": "D-1"} if role == "district" else {})
                   for role in ROLE_PRINCIPAL})
# What the district office of D-1 may see of the leads of its rounds (policies.referral.districts).
LEAD_ACCESS = {"D-1": "full"}
# Directory principals: each gets a stream, and a referral of its own (so a notice of its own).
STREAMED = ["office", "team", "petition", "audit", "public", "unit_a", "unit_b", "body_a", "body_b",
            "dept", "svc", "dist_a"]

LEAD_SUMMARY = "LEADMARK-S 某局长违规收受礼金"
LEAD_DETAIL = "LEADMARK-D 2025年春节期间收受管理服务对象礼金共计5万元"
LEAD_NOTE = "LEADMARK-N 请市纪委监委核处"
MARK = "LEADMARK"
REPORTER = {"name": "REPORTERMARK 王五", "contact": "139-0000-0000"}
# Everyone who must get nothing of the lead; the service role sees its alerts only (no text).
NOBODY = ["body_b", "unit_a", "unit_b", "team", "public", "petition", "audit", "dept", "dist_a"]
ALERTS = {"referral.warning", "referral.overdue", "referral.extended", "referral.signed",
          "referral.extension_requested"}
LEADS_HEADER = "\ufeff线索编号,接收单位,问题编号,标题,状态,处置方式,反馈期限,是否逾期\r\n"

# Everything notify can read goes to the office too: so if any lead text reached notify, a
# notice would carry it.
CATCH_ALL = {"id": "all-to-office", "events": ["*"], "to": ["role:office"], "channels": ["stream"]}


class Disagreement(AssertionError):
    """A service answered otherwise than a cell of docs/security.md."""


# --- the page ----------------------------------------------------------------------------------

def md_tables(text):
    """Every markdown table: (the last heading above it, header cells, rows of cells)."""
    tables, heading, current = [], "", None
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current is None:
            current = (heading, cells, [])
            tables.append(current)
        elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
            current[2].append(cells)
    return tables


def plain(cell):
    return cell.replace("`", "").strip()


def parse_page(path):
    with open(path, encoding="utf-8") as f:
        tables = md_tables(f.read())
    access, scopes, findings = {}, {}, {}
    for heading, header, rows in tables:
        service = heading.split()[0] if heading else ""
        if header[:2] == ["type", "kind"]:
            assert service in SERVICES, f"an access table under '{heading}'"
            assert service not in access, f"two access tables for {service}"
            roles = header[2:]
            table = {}
            for r in rows:
                assert len(r) == len(header), f"{service}: row {r} has {len(r)} cells"
                cells = dict(zip(roles, r[2:]))
                bad = {k: v for k, v in cells.items() if v not in ("allowed", "refused", "scoped")}
                assert not bad, f"{service} {r[0]}: cells {bad}"
                assert plain(r[0]) not in table, f"{service}: {r[0]} twice"
                table[plain(r[0])] = (r[1], cells)
            access[service] = (roles, table)
        elif header[:2] == ["scoped type", "roles"]:
            for r in rows:
                for role in (x.strip() for x in r[1].split(",")):
                    key = (service, plain(r[0]), role)
                    assert key not in scopes, f"scope of {key} twice"
                    scopes[key] = (r[2], plain(r[3]))
        elif header[:3] == ["finding", "service", "type"]:      # open findings (xfail cells)
            for r in rows:
                for role in (x.strip() for x in r[3].split(",")):
                    findings[(r[1], plain(r[2]), role)] = \
                        f"{r[0]}: documented {r[4]}; the code answers {r[5]}"
    return access, scopes, findings


ACCESS, SCOPES, FINDINGS = parse_page(DOC)


def source_routes(service):
    """The routes a service's C source declares: type -> "command" | "query"."""
    routes = {}
    for path in sorted(glob.glob(os.path.join(REPO, "services", service, "*.c"))):
        if path.endswith("_test.c"):
            continue
        with open(path, encoding="utf-8") as f:
            for m in re.finditer(r'\{\s*"([a-z0-9_.]+)",\s*XC_(COMMAND|QUERY)\s*,', f.read()):
                routes[m.group(1)] = m.group(2).lower()
    return routes


def builtin_routes():
    with open(os.path.join(REPO, "common", "service_routes.c"), encoding="utf-8") as f:
        found = dict(re.findall(r'\(xc_route_t\)\s*\{\s*"([a-z0-9_.]+)",\s*XC_(COMMAND|QUERY)',
                                f.read()))
    # clock.set is built in only under --test-mode (common/service_routes.c, route_find)
    return {t: ("test-mode query" if t == "clock.set" else k.lower()) for t, k in found.items()}


def cells():
    out = []
    for service, (roles, table) in ACCESS.items():
        for type_, (kind, row) in table.items():
            for role, cell in row.items():
                reason = FINDINGS.get((service, type_, role))
                marks = ([pytest.mark.xfail(strict=True, raises=Disagreement, reason=reason)]
                         if reason else [])
                out.append(pytest.param(service, type_, role, cell, marks=marks,
                                        id=f"{service}-{type_}-{role}"))
    return out


# --- replies -----------------------------------------------------------------------------------

def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def answer(reply):
    """"ack", "result", or the error code."""
    return reply["data"]["code"] if reply["type"] == "error" else reply["type"]


def text_of(x):
    return json.dumps(x, ensure_ascii=False)


def local_day(days=0):
    return datetime.datetime.now(TZ).date() + datetime.timedelta(days=days)


def waited(what, probe, timeout=WAIT):
    """Calls probe until it returns something true (bounded): that value."""
    deadline = time.monotonic() + timeout
    while True:
        v = probe()
        if v:
            return v
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


# --- the world the probes act on ---------------------------------------------------------------

class World:
    def __init__(self, s):
        self.s = s
        self.c = {name: s.client(name) for name in SERVICES}
        self.today = local_day()

    def signer(self, role, outsider=False):
        return getattr(self.s, f"x_{role}" if outsider else ROLE_PRINCIPAL[role])

    def who(self, attr):
        return getattr(self.s, attr)

    def call(self, service, signer, type_, data):
        return self.c[service].call(signer, type_, data)

    def events(self, service, signer):
        """All events of service as signer reads them, or the error code of the refusal."""
        after, out = 0, []
        while True:
            r = self.call(service, signer, "events.read", {"after": after, "limit": 1000})
            if r["type"] == "error":
                return r["data"]["code"]
            got = r["data"]["events"]
            out += got
            if not got or got[-1]["seq"] >= r["data"]["head"]:
                return out
            after = got[-1]["seq"]

    def opened(self, entry):
        """The verified body of an event entry's message (protocol section 6)."""
        _, body = xcwire.open_message(entry["message"].encode("utf-8"), self.s.registry, event=True)
        return body

    def pages(self, service, signer, type_, data=None):
        """Every item of a paged list."""
        items, after = [], None
        while True:
            page = ok(self.call(service, signer, type_, {**(data or {}), "limit": 500,
                                                         **({"after": after} if after else {})}))
            items += page["items"]
            if page["next"] is None:
                return items
            after = page["next"]


def build(s):
    w = World(s)
    o, i, t = s.office, w.c["intake"], w.today
    day = lambda n: str(t + datetime.timedelta(days=n))
    for unit in ({"id": "D-1", "name": "云溪区", "level": "district"},
                 {"id": "U-A", "name": "青石镇", "level": "town", "parent": "D-1"},
                 {"id": "U-B", "name": "市教育局", "level": "city_department"},
                 {"id": "D-2", "name": "石桥区", "level": "district"},
                 {"id": "U-C", "name": "白沙镇", "level": "town", "parent": "D-1"},
                 # for the district's unit probes: in D-1, and out of it
                 *({"id": u, "name": f"探针单位{u}", "level": "town", "parent": "D-1"}
                   for u in ("U-DR", "U-DM1", "U-DM2", "U-DS")),
                 *({"id": u, "name": f"探针单位{u}", "level": "other"} for u in ("U-OM1", "U-OM2", "U-OS"))):
        ok(i.call(o, "unit.register", unit))

    def round_(rid, team, targets, opened, stages, owner=None):
        ok(i.call(o, "round.open", {
            "id": rid, "name": f"第{rid}轮巡察", "kind": "regular", "team": team,
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": opened, "planned_end": day(30), "date": opened,
            **({"owner": owner} if owner else {})}))
        for stage, date in stages:
            ok(i.call(o, "round.advance", {"round": rid, "stage": stage, "date": date}))

    def public_report(round_id, unit, text):
        """A report through the public channel (the gateway's public principal): its problem."""
        return ok(i.call(s.public, "public.report", {"round": round_id, "unit": unit, "text": text,
                                                      "code_hash": xcwire.b64u(os.urandom(32))}))["problem"]

    def report(signer, source, summary, round_id=None, unit="U-A", detail="详见底稿", **extra):
        data = {"unit": unit, "category": "public_concerns", "summary": summary, "detail": detail,
                "severity": "serious", "source": source, **extra}
        if round_id:
            data["round"] = round_id
        return ok(i.call(signer, "problem.report", data))["problem"]

    round_("R1", "team-1", ["U-A", "U-B"], day(-30), [("stationed", day(-20))])
    w.p_a = report(s.team, "inspection_team", "食堂账目不清", "R1", "U-A")
    w.p_b = report(s.team, "inspection_team", "校车管理不规范", "R1", "U-B")
    for p in (w.p_a, w.p_b):
        ok(i.call(o, "problem.classify", {"problem": p, "dispositions": [
            {"kind": "feedback", "timeliness": "deadline"}]}))
    for stage, n in (("withdrawn", -10), ("reported", -5), ("feedback_delivered", 0)):
        ok(i.call(o, "round.advance", {"round": "R1", "stage": stage, "date": day(n)}))
    # RD: the district D-1's own round (opened by the city office for it), on U-C
    round_("RD", "team-d", ["U-C"], day(-30), [("stationed", day(-20))], owner="D-1")
    w.p_pub_d = public_report("RD", "U-C", "村道积水")       # a public report in the district's round
    w.p_d1 = report(s.team_d, "inspection_team", "村务公开不及时", "RD", "U-C")
    ok(i.call(o, "problem.classify", {"problem": w.p_d1, "dispositions": [
        {"kind": "feedback", "timeliness": "deadline"}]}))
    w.p_dcls, w.p_dm1, w.p_dm2 = (report(s.team_d, "inspection_team", text, "RD", "U-C")
                                  for text in ("区待分类问题", "区重复问题一", "区重复问题二"))
    for stage, n in (("withdrawn", -10), ("reported", -5), ("feedback_delivered", 0)):
        ok(i.call(o, "round.advance", {"round": "RD", "stage": stage, "date": day(n)}))
    round_("R2", "team-1", ["U-A"], day(0), [("stationed", day(0))])     # team-1 reports here
    # problems of a city round (R2, whose unit is in D-1): out of the district office's scope
    w.p_cm1, w.p_cm2 = (report(s.team, "inspection_team", text, "R2", "U-A")
                        for text in ("市轮待分类问题一", "市轮待分类问题二"))
    round_("R3", "team-2", ["U-A"], day(0), [("stationed", day(0))])     # another team's
    round_("R4", "team-1", ["U-A"], day(0), [])                          # office advances it
    w.p_pet = report(s.petition, "petition", "低保审核不严", reporter=REPORTER)
    w.p_aud = report(s.audit, "audit", "专项资金滞留")
    w.p_pub = public_report("R2", "U-A", "路灯长期不亮")      # through the public channel
    w.p_pub3 = public_report("R3", "U-A", "垃圾清运不及时")   # team-2's round
    w.p_lead = report(s.petition, "petition", LEAD_SUMMARY, detail=LEAD_DETAIL)
    ok(i.call(o, "problem.classify", {"problem": w.p_lead, "dispositions": [
        {"kind": "lead", "body": "discipline-a", "note": LEAD_NOTE}]}))
    w.p_cls = report(s.petition, "petition", "待分类问题")
    w.p_m1 = report(s.petition, "petition", "重复反映一")
    w.p_m2 = report(s.petition, "petition", "重复反映二")

    # a referral of its own for every directory principal, one for nobody
    w.ref = {}
    for attr in STREAMED + [None]:
        target = getattr(s, attr).iss if attr else "nobody-x"
        w.ref[target] = ok(w.call("referral", o, "referral.create", {
            "kind": "report", "target": target, "title": f"专题报告 {target}",
            "detail": "关于规范公务接待的建议"}))["referral"]
    leads = waited("referral to make the lead", lambda: w.pages(
        "referral", o, "referral.list", {"kind": "lead"}))
    assert len(leads) == 1 and leads[0]["target"] == "discipline-a", leads
    w.lead = leads[0]["id"]
    items = waited("rectify to open three items", lambda: (
        lambda got: got if len(got) == 3 else None)(w.pages("rectify", o, "rectify.list")))
    w.item = {it["unit"]: it["id"] for it in items}
    assert set(w.item) == {"U-A", "U-B", "U-C"}, items
    # a referral of the district's round: referral knows the round's owner once it read it
    waited("referral to read RD's round.opened", lambda: answer(w.call(
        "referral", o, "referral.stats", {"round": "RD"})) == "result")
    w.ref_rd = ok(w.call("referral", o, "referral.create", {
        "kind": "report", "target": "nobody-d", "title": "区专题报告", "detail": "关于村务公开的建议",
        "round": "RD"}))["referral"]
    # a formal document of each: the city's round R1 and the district's RD (rectify's register)
    w.doc = {r: ok(w.call("rectify", o, "document.issue", {
        "kind": "rectify_notice", "round": r, "title": "访问规则探针", "recipient": "探针",
        "sources": [{"service": "intake", "seq": 1, "hash": "ab" * 32}], "content_sha256": "cd" * 32}))["document"]
        for r in ("R1", "RD")}

    # referral's clock past every due date: each referral gets referral.overdue, a notice to
    # its target's stream and the office's
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=120)
    ok(w.call("referral", o, "clock.set", {"clock": later.strftime("%Y-%m-%dT%H:%M:%SZ")}))

    def own_notices():
        got = {}
        for attr in STREAMED:
            rows = ok(w.call("notify", getattr(s, attr), "notify.list",
                             {"channel": "stream", "limit": 500}))["items"]
            if not rows:
                return None
            got[getattr(s, attr).iss] = [r["id"] for r in rows]
        return got if len(got["discipline-a"]) >= 2 else None     # its report and the lead
    w.own = waited("a stream notice for every directory principal", own_notices)
    w.keys = {attr: key_file(s.folder, getattr(s, attr)) for attr in PRINCIPALS}
    return w


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("access"))
    http = WebhookServer()
    # Every directory principal has a stream; the office and body A a webhook too, so that notify
    # sends something (its events: notice.sent) and the bodies of what it sends can be read.
    directory = {"office-desk": {"name": "市委巡察办", "roles": ["office"], "principal": "office",
                                 "channels": {"stream": True, "webhook": http.url("office-desk")}}}
    for attr in STREAMED[1:]:
        iss = PRINCIPALS[attr][0]
        directory[f"to-{iss}"] = {"name": iss, "roles": ["receiving_body"], "principal": iss,
                                  "channels": {"stream": True}}
    directory["to-discipline-a"]["channels"]["webhook"] = http.url("to-discipline-a")
    directory["to-district-a"]["district"] = "D-1"      # a district office reads as its district's entry
    s = Suite(folder, SERVICES, PRINCIPALS, {"notify": {
        "directory": directory, "rules": DEFAULT_RULES + [CATCH_ALL],
        "retry": {"max_attempts": 3, "backoff_ms": 50, "backoff_max_ms": 200, "timeout_ms": 3000}},
        "referral": {"districts": {d: {"lead_access": a} for d, a in LEAD_ACCESS.items()}}})
    http.registry = s.registry
    try:
        for started in running_suite(s):
            w = build(started)
            w.http = http
            waited("notify's notice.sent events",
                   lambda: ok(w.call("notify", s.office, "health", {}))["head"] > 0)
            yield w
    finally:
        http.stop()


# --- probes: what each type is sent with -------------------------------------------------------
# A probe gives (signer, data) for a role and a case: "any" (an allowed or refused cell), "in"
# (an object in the sender's scope) or "out" (one out of it). Data is well-formed for the
# type's schema, so that an allowed cell is answered ack/result, conflict or not_found.

def same(data):
    return lambda w, role, case: (w.signer(role), data(w) if callable(data) else data)


def uid():
    return uuid.uuid4().hex[:10]


def p_report(w, role, case):
    base = {"unit": "U-A", "category": "public_concerns", "summary": "探针问题",
            "detail": "访问规则探针", "severity": "general"}
    if role == "team":
        return w.signer(role), {**base, "round": "R3" if case == "out" else "R2",
                                "source": "inspection_team"}
    own = {"petition": "petition", "audit": "audit", "public": "public"}
    other = {"petition": "public", "audit": "petition", "public": "audit"}
    source = other[role] if case == "out" else own.get(role, "petition")
    return w.signer(role), {**base, "source": source}


def p_ask(w, role, case):
    """A question on a public-channel problem: a team its round's (R2) or another team's (R3);
    the district office its round's (RD) or the city's (R2)."""
    pid = {("team", "out"): w.p_pub3, ("district", "in"): w.p_pub_d}.get((role, case), w.p_pub)
    return w.signer(role), {"problem": pid, "text": "探针提问"}


def p_round_get(w, role, case):
    return w.signer(role), {"round": {"in": "R2", "out": "R3"}.get(case, "R1")}


def p_problem_get(w, role, case):
    mine = {"team": w.p_a, "petition": w.p_pet, "audit": w.p_aud, "public": w.p_pub}
    theirs = {"team": w.p_pet, "petition": w.p_pub, "audit": w.p_pet, "public": w.p_pet}
    return w.signer(role), {"problem": {"in": mine, "out": theirs}.get(case, {}).get(role, w.p_a)}


def p_referral(extra):
    def probe(w, role, case):
        s = w.signer(role)
        return s, {"referral": w.ref[s.iss] if case == "in" else w.ref["nobody-x"], **extra}
    return probe


def p_item(extra):
    def probe(w, role, case):
        return w.signer(role), {"item": w.item["U-B" if case == "out" else "U-A"], **extra(w)}
    return probe


def p_notify_own(key):
    """in: the role's directory principal with its own delivery; out: the role's principal that
    is in no directory entry."""
    def probe(w, role, case):
        s = w.signer(role)
        data = {"deliveries": [w.own[s.iss][0]]} if key == "ack" else {"limit": 50}
        return (w.signer(role, outsider=True) if case == "out" else s), data
    return probe


def p_notify_get(w, role, case):
    s = w.signer(role)
    if case == "in":
        return s, {"delivery": w.own[s.iss][0]}
    if case == "out":
        return s, {"delivery": w.own["office"][0]}
    return s, {"delivery": w.own["team-1"][0]}


def day(w, n):
    return str(w.today + datetime.timedelta(days=n))


PAST = {"clock": "2020-01-01T00:00:00Z"}       # moves no clock: any later instant stays
PROBES = {
    ("intake", "unit.register"): same(lambda w: {"id": f"U-P{uid()}", "name": "探针单位",
                                                 "level": "other"}),
    # units that do not exist: the office is answered not_found, nothing changes
    ("intake", "unit.rename"): same({"unit": "NO-UNIT", "name": "探针"}),
    ("intake", "unit.merge"): same({"from": ["NO-UNIT-1", "NO-UNIT-2"], "into": {"id": "NO-UNIT-3"}}),
    ("intake", "unit.split"): same({"unit": "NO-UNIT", "into": [
        {"id": "NO-UNIT-a", "name": "甲", "level": "other"}, {"id": "NO-UNIT-b", "name": "乙", "level": "other"}],
        "successor": "NO-UNIT-a"}),
    ("intake", "round.open"): same(lambda w: {
        "id": f"RP-{uid()}", "name": "探针轮", "kind": "regular", "team": "team-9",
        "targets": [{"unit": "U-A", "coverage": "main"}], "planned_start": day(w, 0),
        "planned_end": day(w, 10)}),
    ("intake", "round.advance"): same(lambda w: {"round": "R4", "stage": "stationed",
                                                 "date": day(w, 0)}),
    ("intake", "problem.report"): p_report,
    ("intake", "problem.classify"): same(lambda w: {"problem": w.p_cls, "dispositions": [
        {"kind": "special_report", "report": "专题报告探针"}]}),
    ("intake", "problem.merge"): same(lambda w: {"into": w.p_m1, "from": [w.p_m2]}),
    ("intake", "unit.get"): same({"unit": "U-A"}),
    ("intake", "unit.list"): same({"limit": 5}),
    ("intake", "round.get"): p_round_get,
    ("intake", "round.list"): same({}),
    ("intake", "problem.get"): p_problem_get,
    ("intake", "problem.list"): same({"limit": 5}),
    ("intake", "problem.categories"): same({}),
    ("intake", "problem.search"): same({"q": "问题", "limit": 5}),
    ("intake", "intake.stats"): same({}),
    # the public channel: R4 is planned (public.report: conflict, nothing stored); unknown codes
    ("intake", "public.info"): same({"round": "R2", "unit": "U-A"}),
    ("intake", "public.report"): same(lambda w: {"round": "R4", "unit": "U-A", "text": "探针",
                                                 "code_hash": xcwire.b64u(os.urandom(32))}),
    ("intake", "public.status"): same(lambda w: {"code_hash": xcwire.b64u(os.urandom(32))}),
    ("intake", "public.answer"): same(lambda w: {"code_hash": xcwire.b64u(os.urandom(32)), "question": 1,
                                                 "text": "探针"}),
    ("intake", "problem.ask"): p_ask,
    ("intake", "problem.contact"): same(lambda w: {"problem": w.p_pub}),   # no contact: not_found
    ("referral", "referral.create"): same({"kind": "report", "target": "nobody-y", "title": "探针",
                                           "detail": "访问规则探针"}),
    ("referral", "referral.acknowledge"): p_referral({}),
    ("referral", "referral.dispose"): p_referral({"method": "talk_inquiry", "note": "探针"}),
    ("referral", "referral.outcome"): p_referral({
        "case_filed": False, "party_sanctions": 0, "administrative_sanctions": 0,
        "organizational_handling": 0, "detentions": 0, "prosecution_transfers": 0}),
    ("referral", "referral.reopen"): p_referral({"reason": "探针"}),
    ("referral", "referral.conclude"): p_referral({"note": "探针"}),
    ("referral", "referral.extend"): same(lambda w: {"referral": w.ref["nobody-x"], "due": "2099-12-31",
                                                     "reason": "探针"}),
    ("referral", "referral.sign"): same(lambda w: {"referral": w.ref["nobody-x"],
                                                   "leader": {"name": "探针", "title": "探针"}}),
    # in scope: the signer's own referral, a date far after its due date (asked once, a second
    # is conflict); the office declines nobody-x's (no open request: conflict, nothing changes)
    ("referral", "referral.request_extension"): p_referral({"due": "2099-12-30", "reason": "探针"}),
    ("referral", "referral.decline_extension"): same(lambda w: {"referral": w.ref["nobody-x"],
                                                                "reason": "探针"}),
    ("referral", "referral.get"): p_referral({}),
    ("referral", "referral.list"): same({}),
    ("referral", "referral.stats"): same({}),
    ("referral", "referral.outcome_kinds"): same({}),
    ("referral", "referral.search"): same({"q": "探针"}),
    ("rectify", "rectify.plan"): p_item(lambda w: {"measures": [
        {"text": "建立台账", "owner": "周青", "lead_leader": "李副镇长",
         "deadline": day(w, 20)}]}),
    ("rectify", "rectify.progress"): p_item(lambda w: {"note": "台账已建立"}),
    ("rectify", "rectify.claim"): p_item(lambda w: {
        "completion": "completed", "evidence": [{"file": "台账.pdf", "sha256": "ab" * 32}]}),
    ("rectify", "rectify.review"): same(lambda w: {"item": w.item["U-B"], "decision": "reject",
                                                   "reason": "探针"}),
    ("rectify", "rectify.extend"): same(lambda w: {"item": w.item["U-B"], "due": day(w, 90),
                                                   "reason": "探针", "deadline": "item"}),
    ("rectify", "rectify.regime"): same({"round": "R1", "regime": "2024"}),
    ("rectify", "rectify.revisit"): same(lambda w: {"round": "R1", "unit": "U-B", "date": day(w, 0),
                                                    "kinds": ["return_visit"]}),
    ("rectify", "rectify.evaluate"): same({"round": "R1", "unit": "U-B", "parts": {
        "leadership": 80, "responsibility": 80, "task_completion": 80, "satisfaction": 80},
        "principal_leader": {"name": "蒋局长", "title": "局长"}}),
    ("rectify", "rectify.interview"): same({"round": "R1", "unit": "U-B", "by": "探针",
                                            "interviewee": {"name": "蒋局长", "title": "局长"}}),
    ("rectify", "rectify.get"): p_item(lambda w: {}),
    ("rectify", "rectify.list"): same({}),
    ("rectify", "rectify.export"): same({"list": "problems"}),
    ("rectify", "rectify.round"): same({"round": "R1"}),
    ("rectify", "rectify.stats"): same({}),
    ("rectify", "rectify.search"): same({"q": "探针"}),
    ("rectify", "document.issue"): same({"kind": "rectify_notice", "round": "R1", "title": "探针", "recipient": "探针",
                                         "sources": [{"service": "intake", "seq": 1, "hash": "ab" * 32}],
                                         "content_sha256": "cd" * 32}),
    ("rectify", "document.get"): same(lambda w: {"document": w.doc["R1"]}),
    ("rectify", "document.list"): same({}),
    ("rectify", "document.kinds"): same({}),
    ("notify", "notify.ack"): p_notify_own("ack"),
    ("notify", "notify.read"): p_notify_own("read"),
    ("notify", "notify.list"): p_notify_own("list"),
    ("notify", "notify.get"): p_notify_get,
    ("notify", "notify.stats"): same({}),
}
# evidence files (docs/files.md): an upload of nothing that exists, so every allowed cell is
# answered ack, not_found or conflict and nothing is stored but an empty upload
FILE_PROBES = {
    "file.begin": same(lambda w: {"name": "探针.png", "size": 100, "sha256": uuid.uuid4().hex * 2}),
    "file.append": same({"upload": "00000000-0000-4000-8000-000000000000", "offset": 0, "data": "AAAA"}),
    "file.status": same({"upload": "00000000-0000-4000-8000-000000000000"}),
    "file.read": same({"sha256": "ef" * 32}),
    "file.check": same({}),
}
for _service in ("intake", "rectify", "referral"):
    for _type, _probe in FILE_PROBES.items():
        PROBES[(_service, _type)] = _probe
for _service in SERVICES:
    PROBES[(_service, "events.read")] = same({"after": 0, "limit": 5})
    PROBES[(_service, "health")] = same({})
    PROBES[(_service, "clock.set")] = same(PAST)


def by_district(choices):
    """A district office's probe: choices(w) gives {"in": data, "out": data}; "any" is "in"."""
    def probe(w, role, case):
        got = choices(w)
        return w.signer(role), got["out" if case == "out" else "in"]
    return probe


def d_unit(uid_, parent, level="town"):
    return {"id": uid_, "name": f"探针{uid_}", "level": level, **({"parent": parent} if parent else {})}


# The district office (of D-1) is probed on the objects of its scope: RD (its round), U-C and the
# units under D-1 ("in"), and of the city's: R1, R2 and R3 on U-A (a unit in D-1: the round, not
# the unit, decides), U-B, the units without a district ("out"). Its other cells use PROBES.
DISTRICT_PROBES = {
    ("intake", "problem.ask"): p_ask,
    ("intake", "unit.register"): by_district(lambda w: {
        "in": d_unit(f"U-P{uid()}", "D-1"), "out": d_unit(f"U-P{uid()}", "D-2")}),
    ("intake", "unit.rename"): by_district(lambda w: {
        "in": {"unit": "U-DR", "name": f"探针{uid()}"}, "out": {"unit": "U-B", "name": "探针"}}),
    ("intake", "unit.merge"): by_district(lambda w: {
        "in": {"from": ["U-DM1", "U-DM2"], "into": d_unit(f"U-M{uid()}", "D-1")},
        "out": {"from": ["U-OM1", "U-OM2"], "into": d_unit(f"U-M{uid()}", None, "other")}}),
    ("intake", "unit.split"): by_district(lambda w: (lambda a, b, c, d: {
        "in": {"unit": "U-DS", "into": [d_unit(a, "D-1"), d_unit(b, "D-1")], "successor": a},
        "out": {"unit": "U-OS", "into": [d_unit(c, None, "other"), d_unit(d, None, "other")],
                "successor": c}})(*(f"U-S{uid()}" for _ in range(4)))),
    ("intake", "round.open"): by_district(lambda w: {
        "in": {"id": f"RP-{uid()}", "name": "区探针轮", "kind": "regular", "team": "team-d",
               "targets": [{"unit": "U-C", "coverage": "main"}], "planned_start": day(w, 0),
               "planned_end": day(w, 10)},
        "out": {"id": f"RP-{uid()}", "name": "区探针轮", "kind": "regular", "team": "team-d",
                "targets": [{"unit": "U-B", "coverage": "main"}], "planned_start": day(w, 0),
                "planned_end": day(w, 10)}}),
    # in: RD is past stationed (conflict, nothing changes); out: the city's R3 (stationed)
    ("intake", "round.advance"): by_district(lambda w: {
        "in": {"round": "RD", "stage": "stationed", "date": day(w, 0)},
        "out": {"round": "R3", "stage": "withdrawn", "date": day(w, 0)}}),
    ("intake", "problem.classify"): by_district(lambda w: {
        "in": {"problem": w.p_dcls, "dispositions": [{"kind": "special_report", "report": "区专题报告探针"}]},
        "out": {"problem": w.p_cm1, "dispositions": [{"kind": "special_report", "report": "探针"}]}}),
    ("intake", "problem.merge"): by_district(lambda w: {
        "in": {"into": w.p_dm1, "from": [w.p_dm2]}, "out": {"into": w.p_cm1, "from": [w.p_cm2]}}),
    ("intake", "unit.get"): by_district(lambda w: {"in": {"unit": "U-C"}, "out": {"unit": "U-B"}}),
    ("intake", "round.get"): by_district(lambda w: {"in": {"round": "RD"}, "out": {"round": "R1"}}),
    ("intake", "problem.get"): by_district(lambda w: {"in": {"problem": w.p_d1}, "out": {"problem": w.p_a}}),
    ("intake", "intake.stats"): by_district(lambda w: {"in": {}, "out": {"owner": "city"}}),
    ("referral", "referral.create"): by_district(lambda w: {
        "in": {"kind": "report", "target": "nobody-y", "title": "区探针", "detail": "访问规则探针",
               "round": "RD"},
        "out": {"kind": "report", "target": "nobody-y", "title": "区探针", "detail": "访问规则探针",
                "round": "R1"}}),
    ("referral", "referral.extend"): by_district(lambda w: {
        "in": {"referral": w.ref_rd, "due": "2099-12-31", "reason": "探针"},
        "out": {"referral": w.ref["nobody-x"], "due": "2099-12-31", "reason": "探针"}}),
    ("referral", "referral.sign"): by_district(lambda w: {
        "in": {"referral": w.ref_rd, "leader": {"name": "探针", "title": "探针"}},
        "out": {"referral": w.ref["nobody-x"], "leader": {"name": "探针", "title": "探针"}}}),
    ("referral", "referral.decline_extension"): by_district(lambda w: {
        "in": {"referral": w.ref_rd, "reason": "探针"},
        "out": {"referral": w.ref["nobody-x"], "reason": "探针"}}),
    ("referral", "referral.stats"): by_district(lambda w: {"in": {}, "out": {"owner": "city"}}),
    ("rectify", "rectify.review"): by_district(lambda w: {
        "in": {"item": w.item["U-C"], "decision": "reject", "reason": "探针"},
        "out": {"item": w.item["U-A"], "decision": "reject", "reason": "探针"}}),
    ("rectify", "rectify.extend"): by_district(lambda w: {
        "in": {"item": w.item["U-C"], "due": day(w, 90), "reason": "探针", "deadline": "item"},
        "out": {"item": w.item["U-A"], "due": day(w, 90), "reason": "探针", "deadline": "item"}}),
    ("rectify", "rectify.regime"): by_district(lambda w: {
        "in": {"round": "RD", "regime": "2024"}, "out": {"round": "R1", "regime": "2024"}}),
    ("rectify", "rectify.revisit"): by_district(lambda w: {
        "in": {"round": "RD", "unit": "U-C", "date": day(w, 0), "kinds": ["return_visit"]},
        "out": {"round": "R1", "unit": "U-A", "date": day(w, 0), "kinds": ["return_visit"]}}),
    ("rectify", "rectify.evaluate"): by_district(lambda w: {
        "in": {"round": "RD", "unit": "U-C", "parts": {"leadership": 80, "responsibility": 80,
               "task_completion": 80, "satisfaction": 80},
               "principal_leader": {"name": "周镇长", "title": "镇长"}},
        "out": {"round": "R1", "unit": "U-A", "parts": {"leadership": 80, "responsibility": 80,
                "task_completion": 80, "satisfaction": 80},
                "principal_leader": {"name": "蒋镇长", "title": "镇长"}}}),
    ("rectify", "rectify.interview"): by_district(lambda w: {
        "in": {"round": "RD", "unit": "U-C", "by": "探针", "interviewee": {"name": "周镇长", "title": "镇长"}},
        "out": {"round": "R1", "unit": "U-A", "by": "探针", "interviewee": {"name": "蒋镇长", "title": "镇长"}}}),
    ("rectify", "rectify.get"): by_district(lambda w: {"in": {"item": w.item["U-C"]},
                                                       "out": {"item": w.item["U-A"]}}),
    ("rectify", "rectify.list"): by_district(lambda w: {"in": {}, "out": {"owner": "city"}}),
    ("rectify", "rectify.round"): by_district(lambda w: {"in": {"round": "RD"}, "out": {"round": "R1"}}),
    ("rectify", "rectify.stats"): by_district(lambda w: {"in": {}, "out": {"owner": "city"}}),
    ("rectify", "rectify.search"): by_district(lambda w: {"in": {"q": "探针"}, "out": {"q": "探针", "owner": "city"}}),
    ("rectify", "document.issue"): by_district(lambda w: {
        "in": {"kind": "rectify_notice", "round": "RD", "title": "区探针", "recipient": "探针",
               "sources": [{"service": "intake", "seq": 1, "hash": "ab" * 32}], "content_sha256": "cd" * 32},
        "out": {"kind": "rectify_notice", "round": "R1", "title": "区探针", "recipient": "探针",
                "sources": [{"service": "intake", "seq": 1, "hash": "ab" * 32}], "content_sha256": "cd" * 32}}),
    ("rectify", "document.get"): by_district(lambda w: {"in": {"document": w.doc["RD"]},
                                                        "out": {"document": w.doc["R1"]}}),
    ("rectify", "document.kinds"): by_district(lambda w: {"in": {"round": "RD"}, "out": {"round": "R1"}}),
}


# --- 1. the page and the code have the same routes ---------------------------------------------

@pytest.mark.parametrize("service", SERVICES)
def test_every_route_has_a_row_and_every_row_a_route(service):
    assert service in ACCESS, f"docs/security.md has no access table for {service}"
    _, table = ACCESS[service]
    routes = {**source_routes(service), **builtin_routes()}
    assert {"events.read", "health", "clock.set"} <= set(builtin_routes()), builtin_routes()
    assert set(routes) - set(table) == set(), f"routes of {service} missing from docs/security.md"
    assert set(table) - set(routes) == set(), f"rows of docs/security.md that {service} has no route for"
    kinds = {t: kind for t, (kind, _) in table.items()}
    assert kinds == routes


def test_the_page_has_a_principal_for_every_role_and_a_scope_for_every_scoped_cell():
    for service, (roles, table) in ACCESS.items():
        assert roles == list(ROLE_PRINCIPAL), f"{service}: role columns {roles}"
        for type_, (_, row) in table.items():
            assert (service, type_) in PROBES, f"no probe for {service} {type_}: add one to PROBES"
            if row.get("district") == "scoped" and service != "notify" and \
                    not type_.startswith(("referral.acknowledge", "referral.dispose", "referral.outcome",
                                          "referral.reopen", "referral.conclude", "referral.get",
                                          "referral.request_extension")):
                assert (service, type_) in DISTRICT_PROBES, \
                    f"no district probe for {service} {type_}: add one to DISTRICT_PROBES"
            for role, cell in row.items():
                scoped = (service, type_, role) in SCOPES
                assert scoped == (cell == "scoped"), f"{service} {type_} {role}: cell {cell}, " \
                    f"scope table {'has' if scoped else 'lacks'} it"
    for key, (_, code) in SCOPES.items():
        assert code in ("forbidden", "not_found"), key
    for key in FINDINGS:
        assert key[0] in ACCESS and key[1] in ACCESS[key[0]][1], f"finding for no cell: {key}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_type_not_in_the_table_is_unknown(world, service):
    assert answer(world.call(service, world.s.office, "access.nosuch", {})) == "unknown_type"


# --- 2. every cell ------------------------------------------------------------------------------

def expect_allowed(got, what, also_not=()):
    if got in ("forbidden", "unknown_type") or got in also_not:
        raise Disagreement(f"{what}: answered {got}")
    assert got != "schema", f"{what}: the probe's data is not well-formed ({got})"


@pytest.mark.parametrize("service,type_,role,cell", cells())
def test_cell(world, service, type_, role, cell):
    probe = (role == "district" and DISTRICT_PROBES.get((service, type_))) or PROBES[(service, type_)]
    where = f"{service} {type_} sent by role {role}"
    if cell == "refused":
        signer, data = probe(world, role, "any")
        got = answer(world.call(service, signer, type_, data))
        if got != "forbidden":
            raise Disagreement(f"{where}: refused in the table, answered {got}")
    elif cell == "allowed":
        signer, data = probe(world, role, "any")
        expect_allowed(answer(world.call(service, signer, type_, data)), where)
    else:
        _, out_code = SCOPES[(service, type_, role)]
        signer, data = probe(world, role, "in")
        # in scope: neither refused nor the answer that hides an object out of scope
        expect_allowed(answer(world.call(service, signer, type_, data)),
                       f"{where} ({signer.iss}) in scope {data}", also_not=(out_code,))
        signer, data = probe(world, role, "out")
        got = answer(world.call(service, signer, type_, data))
        if got != out_code:
            raise Disagreement(f"{where} ({signer.iss}) out of scope {data}: answered {got}, "
                               f"the page says {out_code}")


def test_a_refused_command_stores_nothing(world):
    """Refusals store nothing: the commands counted by health do not move."""
    w = world
    before = {svc: ok(w.call(svc, w.s.office, "health", {}))["commands"] for svc in SERVICES[:3]}
    for attr in ("team", "unit_a", "body_b", "svc", "dist_a"):
        assert answer(w.call("intake", w.who(attr), "unit.register",
                             {"id": "U-EVIL", "name": "x", "level": "other"})) == "forbidden"
        assert answer(w.call("referral", w.who(attr), "referral.extend",
                             {"referral": w.lead, "due": "2099-12-31", "reason": "x"})) == "forbidden"
        assert answer(w.call("rectify", w.who(attr), "rectify.review",
                             {"item": w.item["U-A"], "decision": "accept"})) == "forbidden"
    assert answer(w.call("referral", w.s.body_b, "referral.acknowledge",
                         {"referral": w.lead})) == "forbidden"
    assert answer(w.call("rectify", w.s.unit_b, "rectify.plan", {"item": w.item["U-A"], "measures": [
        {"text": "x", "owner": "x", "lead_leader": "x", "deadline": day(w, 5)}]})) == "forbidden"
    after = {svc: ok(w.call(svc, w.s.office, "health", {}))["commands"] for svc in SERVICES[:3]}
    assert after == before
    assert answer(w.call("intake", w.s.office, "unit.get", {"unit": "U-EVIL"})) == "not_found"


# --- 3. leads from every side -------------------------------------------------------------------

def lead_related(w, service, entry, body):
    data = body["data"]
    return (MARK in text_of(body) or data.get("referral") == w.lead
            or (service == "intake" and data.get("problem") == w.p_lead))


def test_body_a_and_the_office_see_the_lead(world):
    w = world
    for attr in ("body_a", "office"):
        listed = w.pages("referral", w.who(attr), "referral.list", {"kind": "lead"})
        assert [(r["id"], r["title"]) for r in listed] == [(w.lead, LEAD_SUMMARY)], listed
        got = ok(w.call("referral", w.who(attr), "referral.get", {"referral": w.lead}))
        assert got["content"]["detail"] == LEAD_DETAIL and got["content"]["note"] == LEAD_NOTE, got
        assert got["target"] == "discipline-a" and got["kind"] == "lead"
    # each read is logged, with the reader, in an event only the office and body A see
    reads = [w.opened(e)["data"] for e in w.events("referral", w.s.office)
             if e["type"] == "lead.read" and "message" in e]
    assert {r["reader"] for r in reads if r["referral"] == w.lead} >= {"discipline-a", "office"}
    created = [w.opened(e) for e in w.events("referral", w.s.body_a)
               if e["type"] == "referral.created" and "message" in e]
    assert any(b["data"]["referral"] == w.lead and LEAD_DETAIL in text_of(b) for b in created)
    assert ok(w.call("referral", w.s.office, "referral.stats", {}))["leads"] == 1
    for attr in ("body_a", "office"):
        r = subprocess.run([XCCTL, "--config", w.s.config_path, "--key", w.keys[attr], "export", "leads",
                            "--out", os.path.join(w.s.folder, f"leads-{attr}.csv")],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(w.s.folder, f"leads-{attr}.csv"), encoding="utf-8", newline="") as f:
            rows = f.read().split("\r\n")
        assert rows[0] + "\r\n" == LEADS_HEADER and rows[-1] == "", rows
        assert len(rows) == 3, rows
        assert rows[1].startswith(f"{w.lead},discipline-a,{w.p_lead},{LEAD_SUMMARY},"), rows


@pytest.mark.parametrize("attr", NOBODY + ["svc"])
def test_nobody_else_gets_the_lead_from_referral_lists_and_gets(world, attr):
    w, who = world, world.who(attr)
    listed = w.pages("referral", who, "referral.list")
    assert w.lead not in [r["id"] for r in listed] and MARK not in text_of(listed)
    # its own; for a district office with lead_access full, also its rounds' referrals
    owned = district_rounds(w, "D-1") if attr == "dist_a" else set()
    assert [r for r in listed if r["target"] != who.iss and r.get("round") not in owned] == [], listed
    assert answer(w.call("referral", who, "referral.get", {"referral": w.lead})) == "forbidden"
    for filters in ({"kind": "lead"}, {"target": "discipline-a"}):
        assert w.pages("referral", who, "referral.list", filters) == []
    # nor found by its words (the search reads what the list reads: issue 25)
    found = w.call("referral", who, "referral.search", {"q": "违规收受礼金"})
    assert answer(found) == "result" and found["data"]["count"] == 0 and MARK not in text_of(found), found
    # body A's own read, signed again by another with the same id: the other's own answer
    read, body = xcwire.seal(w.s.body_a, "referral", "referral.get", {"referral": w.lead})
    assert MARK in text_of(w.c["referral"].request(read, body))
    again, body2 = xcwire.seal(who, "referral", "referral.get", {"referral": w.lead}, id_=body["id"])
    reply = w.c["referral"].request(again, body2)
    assert answer(reply) == "forbidden" and MARK not in text_of(reply)


@pytest.mark.parametrize("attr", NOBODY + ["svc"])
def test_nobody_else_gets_the_lead_from_any_services_events(world, attr):
    w, who = world, world.who(attr)
    for service in SERVICES:
        full = w.events(service, w.s.office)
        assert isinstance(full, list), full
        related = {e["seq"] for e in full if "message" in e and lead_related(w, service, e, w.opened(e))}
        if service in ("intake", "referral"):
            assert related, f"the office sees no event of the lead in {service}"
        got = w.events(service, who)
        if isinstance(got, str):                     # refused: the events are absent
            assert got == "forbidden", (service, got)
            continue
        for e in got:
            assert MARK not in text_of(e), (service, e)
            if "message" not in e:
                assert set(e) == {"seq", "id", "type", "hash", "redacted"} and e["redacted"] is True, e
                continue
            body = w.opened(e)
            assert MARK not in text_of(body), (service, body)
            if e["seq"] in related:
                # only the service role reads referral's alerts: id, kind, target, due dates
                assert (attr, service) == ("svc", "referral") and e["type"] in ALERTS, (service, e)


@pytest.mark.parametrize("attr", NOBODY)
def test_nobody_else_gets_the_lead_from_xcctl_export_leads(world, attr):
    w = world
    out = os.path.join(w.s.folder, f"leads-{attr}.csv")
    for extra in ([], ["--target", "discipline-a"]):
        r = subprocess.run([XCCTL, "--config", w.s.config_path, "--key", w.keys[attr], "export", "leads",
                            *extra, "--out", out], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        with open(out, encoding="utf-8", newline="") as f:
            text = f.read()
        assert text == LEADS_HEADER, text
        assert MARK not in r.stdout + r.stderr


def only_counts(x, path="stats", forced=None):
    """A stats answer holds counts, rates and money as text, nothing else; besides the
    deployment's own words (each figure's definition, the names of kinds) and the filters the
    caller gave (echoed, issue 19), which hold no record's content. A district office's figures
    are forced to its district: its `owner` may be echoed (forced). rectify's overdue by round
    and by unit (issue 23) name each round or unit counted (its id and name) and the ladder
    step reached (a word of the policy): names of what the reader may list, no content."""
    if isinstance(x, dict):
        for k, v in x.items():
            if path == "stats" and k in ("definitions", "names", "filters"):
                assert k != "filters" or v in ({}, forced), f"{path}.{k}: {v!r} for no filter"
                continue
            if re.fullmatch(r"stats\.overdue_by_(round|unit)\[\](\.step)?", path) and k in ("round", "unit", "name"):
                assert isinstance(v, str), f"{path}.{k}: {v!r}"
                continue
            only_counts(v, f"{path}.{k}")
    elif isinstance(x, list):
        assert re.fullmatch(r"stats\.overdue_by_(round|unit)", path), f"{path}: {x!r}"
        for v in x:
            only_counts(v, f"{path}[]")
    elif isinstance(x, str):
        assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", x), f"{path}: {x!r}"
    else:
        assert x is None or (isinstance(x, (int, float)) and not isinstance(x, bool)), f"{path}: {x!r}"


@pytest.mark.parametrize("attr", NOBODY + ["svc", "body_a", "office"])
def test_stats_give_counts_only(world, attr):
    """The district office (lead_access full) gets referral.stats over its rounds."""
    w, who = world, world.who(attr)
    for service, type_ in (("intake", "intake.stats"), ("referral", "referral.stats"),
                           ("rectify", "rectify.stats"), ("notify", "notify.stats")):
        reply = w.call(service, who, type_, {})
        assert MARK not in text_of(reply)
        if reply["type"] == "error":
            assert answer(reply) == "forbidden", (service, reply)
            continue
        district = PRINCIPALS[attr][2].get("district")
        only_counts(reply["data"], forced={"owner": district} if district else None)
    refused = answer(w.call("referral", who, "referral.stats", {})) == "forbidden"
    assert refused == (attr not in ("office", "dist_a"))


@pytest.mark.parametrize("attr", NOBODY + ["svc", "body_a"])
def test_notices_carry_no_lead_text_and_reach_only_the_target(world, attr):
    w, who = world, world.who(attr)
    read = ok(w.call("notify", who, "notify.read", {"limit": 500}))["notices"]
    listed = w.pages("notify", who, "notify.list")
    notices = read + [ok(w.call("notify", who, "notify.get", {"delivery": r["id"]})) for r in listed]
    assert notices and MARK not in text_of(notices)
    about_lead = [n for n in notices if n["data"].get("referral") == w.lead]
    if attr == "body_a":
        assert {n["event"]["type"] for n in about_lead} == {"referral.overdue"}, about_lead
        assert set(about_lead[0]["data"]) <= {"referral", "kind", "target", "due", "round_owner"}, about_lead[0]
    else:
        assert about_lead == [], about_lead


def test_notify_and_rectify_never_hold_the_lead(world):
    """Everything notify delivered, as the office reads it, and the two databases' bytes."""
    w = world
    listed = w.pages("notify", w.s.office, "notify.list")
    assert any(r["rule"] == "all-to-office" for r in listed)
    notices = [ok(w.call("notify", w.s.office, "notify.get", {"delivery": r["id"]})) for r in listed]
    assert not [n for n in notices if MARK in text_of(n)]
    lead_notices = [n for n in notices if n["data"].get("referral") == w.lead]
    assert {(n["recipient"], n["event"]["type"]) for n in lead_notices} >= {
        ("office-desk", "referral.overdue"), ("to-discipline-a", "referral.overdue")}
    # a delivery is listed once made and posted on notify's next tick: wait for both webhooks
    deadline = time.monotonic() + 15
    while True:
        with w.http.lock:
            posted = list(w.http.requests)
        if {r["recipient"] for r in posted} >= {"office-desk", "to-discipline-a"} \
                or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert {r["recipient"] for r in posted} == {"office-desk", "to-discipline-a"}, posted
    assert [r["error"] for r in posted if r["error"]] == []
    assert not [r for r in posted if MARK in r["payload"]]
    assert any(r["body"]["data"]["data"].get("referral") == w.lead for r in posted
               if r["recipient"] == "to-discipline-a"), "the lead's notice to body A's webhook"
    for name in ("notify", "rectify"):
        for path in glob.glob(os.path.join(w.s.folder, f"{name}.db*")):
            with open(path, "rb") as f:
                assert MARK.encode() not in f.read(), path


# --- 4. reporter identity and the documented exposures ------------------------------------------

def test_reporter_identity_only_to_the_office(world):
    w = world
    got = ok(w.call("intake", w.s.office, "problem.get", {"problem": w.p_pet}))
    assert got["reporter"] == REPORTER and got["has_reporter"] is True
    for attr in ("petition", "svc"):           # the reporting bureau itself, a service
        got = ok(w.call("intake", w.who(attr), "problem.get", {"problem": w.p_pet}))
        assert "reporter" not in got and got["has_reporter"] is True, got
    mark = REPORTER["name"].split()[0]
    seen = [w.opened(e) for e in w.events("intake", w.s.office)]
    assert seen and mark not in text_of(seen)
    assert mark not in text_of(w.pages("intake", w.s.office, "problem.list"))
    # encrypted at rest, in no database and no log
    files = glob.glob(os.path.join(w.s.folder, "*.db*")) + glob.glob(os.path.join(w.s.folder, "*.log"))
    assert len(files) >= 8, files
    for path in files:
        with open(path, "rb") as f:
            assert mark.encode() not in f.read(), path


def redacted_id(service, key):
    """The id a redacted entry shows for a keyed event: the message's id derived from the key
    (docs/protocol.md section 6), never the key itself."""
    if re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", key):
        return key
    b = bytearray(hashlib.sha256(service.encode() + b"\0" + key.encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x80
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def test_a_lead_is_hidden_from_services_reporters_and_event_keys(world):
    """Only the office and the receiving body learn of a lead (docs/security.md, "Leads")."""
    w = world
    # a service that is not referral: the lead problem is not there, nor in its lists
    assert answer(w.call("intake", w.who("svc"), "problem.get", {"problem": w.p_lead})) == "not_found"
    assert w.p_lead not in {p["id"] for p in w.pages("intake", w.who("svc"), "problem.list")}
    # nor found, counted or quoted by a search for its own words (problem.search reads as the list)
    for q in (LEAD_SUMMARY, LEAD_DETAIL):
        found = ok(w.call("intake", w.who("svc"), "problem.search", {"q": q}))
        assert found["count"] == 0 and found["results"] == [], found
    # its reporter sees what it reported, but not that it became a lead, nor to whom
    got = ok(w.call("intake", w.who("petition"), "problem.get", {"problem": w.p_lead}))
    assert got["detail"] == LEAD_DETAIL and got["dispositions"] == [], got
    # the office sees it whole
    got = ok(w.call("intake", w.s.office, "problem.get", {"problem": w.p_lead}))
    assert got["dispositions"] == [{"kind": "lead", "body": "discipline-a", "note": LEAD_NOTE}], got
    for attr in ("audit", "team"):
        assert answer(w.call("intake", w.who(attr), "problem.get", {"problem": w.p_lead})) == "not_found"
    for attr in ("unit_a", "body_b", "dept", "public"):
        assert answer(w.call("intake", w.who(attr), "problem.get", {"problem": w.p_lead})) == "forbidden"
    # a redacted entry of a keyed event shows the message's id, not the key: body B cannot
    # learn the lead's number and due date from referral's events
    due = w.pages("referral", w.s.office, "referral.list", {"kind": "lead"})[0]["due"]
    key = f"overdue:{w.lead}:{due}"
    theirs = w.events("referral", w.s.body_b)
    assert not [e for e in theirs if key in json.dumps(e)], "the key in a redacted entry"
    keyed = [e for e in theirs if e["id"] == redacted_id("referral", key)]
    assert len(keyed) == 1 and keyed[0]["type"] == "referral.overdue" and "message" not in keyed[0], keyed
    mine = [e for e in w.events("referral", w.s.body_a) if e["id"] == key]
    assert len(mine) == 1 and "message" in mine[0], mine


# --- 5. filtered lists and event visibility -----------------------------------------------------

# The units of the items each sees (one item per unit): the district office of D-1 sees RD's item
# on U-C, not R1's on U-A (a unit in D-1, but a city round).
RECTIFY_SEES = {"office": {"U-A", "U-B", "U-C"}, "svc": {"U-A", "U-B", "U-C"}, "unit_a": {"U-A"},
                "unit_b": {"U-B"}, "body_a": {"U-A"}, "body_b": {"U-B"}, "audit": {"U-A", "U-C"},
                "team": set(), "petition": set(), "public": set(), "dept": set(), "dist_a": {"U-C"}}


def district_rounds(w, district):
    """The rounds a district office owns (by the office's round.list)."""
    return {r["id"] for r in w.pages("intake", w.s.office, "round.list")
            if (r.get("owner") or {}).get("district") == district}


@pytest.mark.parametrize("attr", sorted(RECTIFY_SEES))
def test_lists_exports_and_stats_are_filtered_to_the_scope(world, attr):
    w, who = world, world.who(attr)
    units = RECTIFY_SEES[attr]
    listed = w.pages("rectify", who, "rectify.list")
    assert {i["unit"] for i in listed} == units and len(listed) == len(units)
    assert ok(w.call("rectify", who, "rectify.stats", {}))["items"] == len(units)
    csv = ok(w.call("rectify", who, "rectify.export", {"list": "problems"}))
    assert csv["rows"] == len(units) and csv["csv"].startswith("\ufeff")
    refs = w.pages("referral", who, "referral.list")
    if attr == "office":
        assert len(refs) >= len(w.ref) + 1
    else:
        mine = [w.ref[who.iss]] + ([w.lead] if attr == "body_a" else [])
        if attr == "dist_a":        # lead_access full: every referral of RD too (at least ref_rd)
            owned = district_rounds(w, "D-1")
            rd = [r["id"] for r in w.pages("referral", w.s.office, "referral.list") if r.get("round") in owned]
            assert w.ref_rd in rd, rd
            mine += rd
        assert sorted(r["id"] for r in refs) == sorted(mine), refs
    deliveries = w.pages("notify", who, "notify.list")
    recipients = {r["recipient"] for r in deliveries}
    assert recipients == ({"office-desk"} | {f"to-{p[0]}" for p in (PRINCIPALS[a] for a in STREAMED[1:])}
                          if attr == "office" else {f"to-{who.iss}"}), recipients


def test_intake_lists_are_filtered_to_the_reporter_and_the_team(world):
    w = world
    for attr in ("petition", "audit"):
        rows = w.pages("intake", w.who(attr), "problem.list")
        assert rows and {r["reported_by"] for r in rows} == {w.who(attr).iss}, rows
    # the public channel reads none of the reports it carried
    assert answer(w.call("intake", w.s.public, "problem.list", {})) == "forbidden"
    rows = w.pages("intake", w.s.team, "problem.list")
    assert rows and {r["round"] for r in rows} <= {"R1", "R2", "R4"}, rows
    rounds = w.pages("intake", w.s.team, "round.list")
    assert {r["id"] for r in rounds} >= {"R1", "R2", "R4"} and "R3" not in {r["id"] for r in rounds}
    assert {r["team"] for r in rounds} == {"team-1"}
    for attr in ("svc", "office"):
        rounds = w.pages("intake", w.who(attr), "round.list")
        assert {r["id"] for r in rounds} >= {"R1", "R2", "R3", "R4"}


def visible(w, service, attr, e, body, context):
    """Whether attr may read event e (as the office read it), by the rules of docs/security.md."""
    p = w.who(attr)
    role = PRINCIPALS[attr][1]
    if role == "office":
        return True
    if role == "district":
        return district_visible(w, service, attr, e, body, context)
    if service == "intake":
        return e["type"] not in {"problem.recorded", "problem.classified", "problem.referred", "problem.asked",
                                 "problem.answered", "problem.contact_opened"}
    if service == "referral":
        target = context["target"][body["data"]["referral"]]
        return p.iss == target or (role == "service" and e["type"] in ALERTS)
    if service == "rectify":
        if e["type"] == "rectify.regime_set" or role == "service":
            return True
        if e["type"] == "document.issued":        # the register's: the offices' and the services'
            return False
        data = body["data"]
        unit = data.get("unit") or context["item_unit"][data["item"]]
        scope = set(PRINCIPALS[attr][2].get("units", []))
        if role == "unit":
            return unit in scope
        while unit:                               # a supervisor sees below its units
            if unit in scope or "*" in scope:
                return True
            unit = context["parent"].get(unit)
        return False
    return False


def district_visible(w, service, attr, e, body, context):
    """A district office's view (docs/security.md, "Events" and "Districts"): referral's events of
    the referrals whose target it is, and of its rounds' referrals as lead_access allows; rectify's
    events of the items and rounds it owns or reads (crossed rounds by it), and the calendar's."""
    p = w.who(attr)
    district = PRINCIPALS[attr][2]["district"]
    data = body["data"]
    if service == "referral":
        ref = data["referral"]
        if context["target"][ref] == p.iss:
            return True
        if context["round_owner"].get(context["ref_round"].get(ref)) != district:
            return False
        access = LEAD_ACCESS.get(district, "none")
        return access == "full" or (access == "status" and e["type"] in ALERTS)
    if service == "rectify":
        if e["type"] in ("calendar.waiting", "calendar.missing"):
            return True
        round_ = data.get("round") or context["item_round"].get(data.get("item"))
        return bool(round_) and (context["round_owner"].get(round_) == district
                                 or context["round_by"].get(round_) == district)
    return False


def round_context(w):
    rounds = w.pages("intake", w.s.office, "round.list")
    return {"round_owner": {r["id"]: (r.get("owner") or {}).get("district") for r in rounds},
            "round_by": {r["id"]: (r.get("link") or {}).get("by") for r in rounds}}


@pytest.mark.parametrize("service", SERVICES)
def test_each_reader_sees_the_events_the_page_says(world, service):
    w = world
    readers = {"intake": {"office", "svc"}, "referral": set(RECTIFY_SEES),
               "rectify": {"office", "svc", "unit_a", "unit_b", "body_a", "body_b", "audit", "dist_a"},
               "notify": {"office"}}[service]
    refs = w.pages("referral", w.s.office, "referral.list")
    items = w.pages("rectify", w.s.office, "rectify.list")
    context = {
        "target": {r["id"]: r["target"] for r in refs},
        "ref_round": {r["id"]: r.get("round") for r in refs},
        "item_unit": {i["id"]: i["unit"] for i in items},
        "item_round": {i["id"]: i.get("round") for i in items},
        "parent": {u["id"]: u.get("parent") for u in w.pages("intake", w.s.office, "unit.list")},
        **round_context(w),
    }
    full = w.events(service, w.s.office)
    assert full and all("message" in e for e in full), service
    bodies = {e["seq"]: w.opened(e) for e in full}
    for attr in sorted(RECTIFY_SEES):
        got = w.events(service, w.who(attr))
        if attr not in readers:
            assert got == "forbidden", (service, attr, got)
            continue
        assert isinstance(got, list), (service, attr, got)
        by_seq = {e["seq"]: e for e in got}
        assert list(by_seq)[:len(full)] == [e["seq"] for e in full], "offsets must stay contiguous"
        wrong = []
        for e in full:
            mine = by_seq[e["seq"]]
            shown = "message" in mine
            assert (mine["id"], mine["type"], mine["hash"]) == (
                e["id"] if shown else redacted_id(service, e["id"]), e["type"], e["hash"])
            if shown != visible(w, service, attr, e, bodies[e["seq"]], context):
                wrong.append(("shown" if shown else "redacted", e["type"], bodies[e["seq"]]["data"]))
                continue
            if shown:
                assert mine["message"] == e["message"]
            else:
                assert mine["redacted"] is True
        assert wrong == [], (service, attr, wrong)
