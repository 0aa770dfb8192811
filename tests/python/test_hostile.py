"""The hostile-input catalogue (tests/hostile/catalogue.json) against the four running services.

One suite (intake, referral, rectify, notify) is started for the module and given a little state
first: units, a round, problems (one fed back as a rectify item that unit-a has planned, one
immediate item whose warning became a stream notice for unit-a, one referred as a lead to the
discipline commission, one left unclassified), so that commands which are valid but forbidden
for their sender mean something. Then each catalogue entry is built from its description, sent
on a fresh DEALER to its service, and must get a signed `error` with exactly the expected code
(or, where the protocol drops the frame, no answer at all, and the service still answers the
next message on that connection). Every table of every service's SQLite file is hashed before
and after: no entry may change anything, anywhere.

How an entry is built (the ops of its "build" list) is described in tests/hostile/README.md.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import sqlite3
import time
import urllib.parse

import pytest
import zmq

import xcwire
from conftest import REPO, Suite, running_suite, write_json

CATALOGUE = os.path.join(REPO, "tests", "hostile", "catalogue.json")
PROTOCOL = os.path.join(REPO, "docs", "protocol.md")
SERVICES = ["intake", "referral", "rectify", "notify"]
LIMIT = 262144                    # limits.max_message_bytes: the default, which the suite keeps
REPLY_WAIT = 5.0                  # the longest a reply may take
SILENCE = 1.0                     # how long "no answer" is listened for
TZ = datetime.timezone(datetime.timedelta(hours=8))

PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "petition": ("petition-bureau", "petition", {}),
    "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
    "unit_b": ("unit-b", "unit", {"units": ["U-B"]}),
    "discipline": ("discipline-commission", "discipline", {"units": ["*"]}),
    "orgdept": ("organization-dept", "department", {}),
}
# Principals whose key or standing is bad, added to the registry before the services start.
# Each has the office role, so only the key (not the role) can be why it is refused.
BAD_KEYS = {
    "future": ("future-office", {"not_before": "2098-01-01T00:00:00Z", "not_after": "2099-01-01T00:00:00Z"}),
    "retired": ("retired-office", {"not_before": "2020-01-01T00:00:00Z", "not_after": "2021-01-01T00:00:00Z"}),
    "revoked": ("revoked-office", {"revoked": True}),
}
DIRECTORY = {
    "unit-a-desk": {"name": "青石镇整改办", "roles": ["officer"], "units": ["U-A"], "principal": "unit-a",
                    "channels": {"stream": True}},
    "unit-b-desk": {"name": "市教育局整改办", "roles": ["officer"], "units": ["U-B"], "principal": "unit-b",
                    "channels": {"stream": True}},
    "discipline-commission": {"name": "市纪委监委", "roles": ["receiving_body"],
                              "principal": "discipline-commission", "channels": {"stream": True}},
}

# Entries whose service answers another code than the protocol promises: name -> the finding.
# Each is run as xfail(strict=True), so a fixed service makes the test fail until it is removed.
FINDINGS = {}

# What the catalogue must cover (brief: issue 9, "Hostile input").
REQUIRED_CATEGORIES = {
    "tampered_header", "tampered_payload", "tampered_signature", "alg_none", "alg_hs256",
    "kid_issuer_mismatch", "key_not_yet_valid", "key_expired", "revoked", "replay",
    "wrong_audience", "duplicate_key_outer", "duplicate_key_header", "duplicate_key_body",
    "duplicate_key_data", "invalid_utf8", "nul_raw", "nul_escaped", "deep_nesting",
    "huge_number", "oversized_over_limit", "oversized_4x", "multi_frame", "sql_injection",
    "over_long", "unknown_field_data", "unknown_field_body", "expired", "iat_skew",
    "bad_lifetime", "forbidden",
}


def load_catalogue():
    with open(CATALOGUE, encoding="utf-8") as f:
        return xcwire.strict_loads(f.read())["entries"]


ENTRIES = load_catalogue()


def protocol_codes():
    """The error codes of docs/protocol.md section 5."""
    with open(PROTOCOL, encoding="utf-8") as f:
        text = f.read()
    section = text.split("## 5. Error codes", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \| (?:permanent|transient) \|", section, re.M))


# --- building a message from an entry -----------------------------------------------------------

def local_day(days=0):
    return datetime.datetime.now(TZ).date() + datetime.timedelta(days=days)


def resolve(value, state):
    """The entry's value with its placeholders replaced (see tests/hostile/README.md)."""
    if isinstance(value, list):
        return [resolve(v, state) for v in value]
    if isinstance(value, dict):
        if "$repeat" in value:
            return value["$repeat"] * value["times"]
        if "$list" in value:
            return [resolve(value["$list"], state) for _ in range(value["times"])]
        if "$range" in value:
            return list(range(*value["$range"]))
        if "$upper" in value:           # an id in upper case (its first "chars" characters)
            text = resolve(value["$upper"], state)
            n = value.get("chars", len(text))
            return text[:n].upper() + text[n:]
        return {k: resolve(v, state) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("$"):
        m = re.fullmatch(r"\$(day|now)([+-]\d+)?", value)
        if m:
            n = int(m.group(2) or 0)
            return str(local_day(n)) if m.group(1) == "day" else int(time.time()) + n
        return state[value[1:]]            # a KeyError names a placeholder the setup lacks
    return value


def path_parts(path):
    return [int(p) if p.isdigit() else p for p in path.split(".")] if path else []


def set_path(obj, path, value):
    parts = path_parts(path)
    for p in parts[:-1]:
        obj = obj[p]
    obj[parts[-1]] = value


def get_path(obj, path):
    for p in path_parts(path):
        obj = obj[p]
    return obj


def raw_bytes(text):
    """Text to bytes, where a \\xNN in the text is the single raw byte NN."""
    return re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  text.encode("utf-8"))


def replace_once(blob, step):
    find = raw_bytes(step["find"]) if step.get("bytes") else step["find"].encode("utf-8")
    new = raw_bytes(step["replace"]) if step.get("bytes") else step["replace"].encode("utf-8")
    assert blob.count(find) == 1, f"{step['find']!r} is not exactly once in {blob[:300]!r}"
    return blob.replace(find, new)


class Placeholders:
    """Raw JSON text and duplicate members, put in place after serialization."""

    def __init__(self):
        self.texts = {}

    def raw(self, obj, step):
        token = f"@@RAW{len(self.texts)}@@"
        if "nest" in step:
            text = (step.get("open", "[") * step["nest"] + step.get("inner", "")
                    + step.get("close", "]") * step["nest"])
        else:
            text = step["text"]
        self.texts[json.dumps(token)] = text
        set_path(obj, step["path"], token)

    def duplicate(self, obj, step, state):
        token = f"@@DUP{len(self.texts)}@@"
        self.texts[json.dumps(token)] = json.dumps(step["member"], ensure_ascii=False)
        target = get_path(obj, step.get("path", ""))
        assert step["member"] in target, f"{step['member']!r} is not there to repeat"
        target[token] = resolve(step["value"], state)

    def text(self, obj):
        out = xcwire.compact(obj)
        for token, text in self.texts.items():
            if token in out:
                out = out.replace(token, text)
        return out.encode("utf-8")


def sign_input(p, q):
    return f"{p}.{q}".encode("ascii")


def build(entry, world, fill=None):
    """The frames of the entry's message and its body as built (a dict, before any later
    damage): (frames, body)."""
    state, steps = world.state, entry.get("build", [])
    signer = world.signer(entry.get("sender", "office"))
    id_ = resolve(entry["id"], state) if "id" in entry else xcwire.new_id()
    body = xcwire.make_body(signer.iss, entry.get("aud", entry["service"]), entry["type"],
                            resolve(entry.get("data", {}), state), id_=id_)
    header = {"alg": "EdDSA", "kid": signer.kid, "typ": "xc+jws"}
    if fill:
        set_path(body, *fill)
    parts = {"protected": header, "payload": body}
    holders = {"protected": Placeholders(), "payload": Placeholders(), "outer": Placeholders()}
    outer_extra = {}
    for st in steps:
        op = st["op"]
        if op in ("header", "body"):
            target = parts["protected" if op == "header" else "payload"]
            for k, v in st.get("set", {}).items():
                set_path(target, k, resolve(v, state))
            for k in st.get("drop", []):
                del target[k]
        elif op == "raw":
            holders[st["part"]].raw(parts[st["part"]] if st["part"] != "outer" else outer_extra, st)
        elif op == "duplicate" and st["part"] != "outer":
            holders[st["part"]].duplicate(parts[st["part"]], st, state)
    expected_body = json.loads(json.dumps(body))
    texts = {name: holders[name].text(parts[name]) for name in ("protected", "payload")}
    for st in steps:
        if st["op"] == "replace" and st["part"] in texts:
            texts[st["part"]] = replace_once(texts[st["part"]], st)

    # padding ('='), signed as sent: white space after the JSON until there is some to add
    padded = {st["part"] for st in steps if st["op"] == "pad"}
    for name in padded:
        while len(xcwire.b64u(texts[name])) % 4 == 0:
            texts[name] += b" "

    def b64(name):
        text = xcwire.b64u(texts[name])
        return text + "=" * (-len(text) % 4) if name in padded else text

    # the signature, over exactly these bytes
    p, q = b64("protected"), b64("payload")
    by = next((world.signer(st["with"]) for st in steps if st["op"] == "sign_with"), signer)
    sig = by.sign(sign_input(p, q))
    sig_text = xcwire.b64u(sig)

    # damage after signing
    for st in steps:
        if st["op"] == "after_signing":
            name = st["part"]
            if "set" in st:
                doc = json.loads(texts[name])
                for k, v in st["set"].items():
                    set_path(doc, k, resolve(v, state))
                texts[name] = xcwire.compact(doc).encode("utf-8")
            else:
                texts[name] = replace_once(texts[name], st)
            p, q = b64("protected"), b64("payload")
        elif st["op"] == "signature":
            how = st["value"]
            if how == "flip_bit":
                flipped = bytearray(sig)
                flipped[10] ^= 0x01
                sig_text = xcwire.b64u(bytes(flipped))
            elif how == "empty":
                sig_text = ""
            elif how == "truncate":
                sig_text = xcwire.b64u(sig[:63])
            elif how == "padded":
                sig_text = xcwire.b64u(sig) + "=="
            elif how == "hs256_raw_key":          # HMAC keyed with the 32 public-key bytes
                sig_text = xcwire.b64u(hmac.new(by.public, sign_input(p, q), hashlib.sha256).digest())
            elif how == "hs256_jwk_x":            # HMAC keyed with the JWK's "x" text
                sig_text = xcwire.b64u(hmac.new(xcwire.b64u(by.public).encode(), sign_input(p, q),
                                                hashlib.sha256).digest())
            elif how == "other_message":          # a real signature of this signer, another body
                other = dict(expected_body, id=xcwire.new_id())
                sig_text = xcwire.b64u(by.sign(sign_input(p, xcwire.b64u(xcwire.compact(other).encode()))))
            else:
                raise ValueError(f"unknown signature damage {how!r}")

    outer = {"protected": p, "payload": q, "signature": sig_text}
    for st in steps:
        if st["op"] == "outer":
            for k, v in st.get("set", {}).items():
                outer[k] = resolve(v, state)
            for k in st.get("drop", []):
                del outer[k]
        elif st["op"] == "duplicate" and st["part"] == "outer":
            if "body_with" in st:        # the repeated member: another body, base64url
                other = dict(expected_body, **resolve(st["body_with"], state))
                st = dict(st, value=xcwire.b64u(xcwire.compact(other).encode("utf-8")))
            holders["outer"].duplicate(outer, st, state)
    outer.update(outer_extra)
    frame = holders["outer"].text(outer)
    for st in steps:
        if st["op"] == "replace" and st["part"] == "frame":
            frame = replace_once(frame, st)
    frames = [frame]
    for st in steps:
        if st["op"] == "frames":
            frames = [frame if f == "message" else raw_bytes(f) for f in st["frames"]]
    return frames, expected_body


def frame_size(expr):
    """'limit+1', '4*limit', '4*limit+1000': bytes."""
    m = re.fullmatch(r"(?:(\d+)\*)?limit([+-]\d+)?", expr)
    assert m, expr
    return int(m.group(1) or 1) * LIMIT + int(m.group(2) or 0)


def build_entry(entry, world):
    """build(), and for a "size" step the frame grown to exactly the size asked for: a string
    member filled with 'x' as far as it goes, then white space after the outer object."""
    size = next((st for st in entry.get("build", []) if st["op"] == "size"), None)
    if not size:
        return build(entry, world)
    target = frame_size(size["frame_bytes"])
    lo, hi = 0, target
    while lo < hi:                       # the longest fill whose frame is not above the target
        mid = (lo + hi + 1) // 2
        frames, _ = build(entry, world, (size["path"], "x" * mid))
        if len(frames[0]) <= target:
            lo = mid
        else:
            hi = mid - 1
    frames, body = build(entry, world, (size["path"], "x" * lo))
    frames[0] += b" " * (target - len(frames[0]))
    assert len(frames[0]) == target
    return frames, body


# --- the suite and its state -------------------------------------------------------------------

def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def wait_for(what, fetch, done, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if done(got):
            return got
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s: {got}"
        time.sleep(0.05)


class World:
    def __init__(self, suite, extra):
        self.suite = suite
        self.extra = extra
        self.state = {}
        self.databases = {name: os.path.join(suite.folder, f"{name}.db") for name in SERVICES}

    def signer(self, name):
        return self.extra[name] if name in self.extra else getattr(self.suite, name)

    def snapshot(self):
        """{service.table: (rows, sha256 of the rows ordered by every column)} for every table
        of every service, each file opened read-only."""
        out = {}
        for name, path in self.databases.items():
            uri = "file:" + urllib.parse.quote(path) + "?mode=ro"
            con = sqlite3.connect(uri, uri=True, timeout=10)
            try:
                tables = [r[0] for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
                assert tables, f"{name}.db has no table"
                for table in tables:
                    quoted = '"' + table.replace('"', '""') + '"'
                    cols = [r[1] for r in con.execute(f"PRAGMA table_info({quoted})")]
                    order = ", ".join('"' + c.replace('"', '""') + '"' for c in cols)
                    h, n = hashlib.sha256(), 0
                    for row in con.execute(f"SELECT * FROM {quoted} ORDER BY {order}"):
                        h.update(repr(row).encode("utf-8"))
                        h.update(b"\n")
                        n += 1
                    out[f"{name}.{table}"] = (n, h.hexdigest())
            finally:
                con.close()
        return out

    def settle(self, timeout=15.0):
        """Waits until the consumers have caught up and nothing changes for a while."""
        c = {n: self.suite.client(n) for n in ("referral", "rectify", "notify")}

        def lagging():
            late = []
            for name, client in c.items():
                for src, s in ok(client.call(self.suite.office, "health", {}))["sources"].items():
                    if s["offset"] != s["head"]:
                        late.append((name, src, s))
            return late
        wait_for("consumers caught up", lagging, lambda late: not late, timeout)
        deadline = time.monotonic() + timeout
        last = self.snapshot()
        calm = 0
        while calm < 3:
            assert time.monotonic() < deadline, "the databases keep changing with nothing sent"
            time.sleep(0.25)
            now = self.snapshot()
            calm = calm + 1 if now == last else 0
            last = now

    def log_lines(self, service, needle, n=3):
        d = self.suite.deployments[service]
        lines = d.log_tail(400).splitlines()
        hits = [ln for ln in lines if needle and needle in ln]
        if not hits:
            hits = ["(no line names this id; the last refusals:)"] + [
                ln for ln in lines if "refused" in ln or "failed" in ln][-n:]
        return "\n".join(hits[-n - 1:])


def set_up_state(s, w):
    """Units, a round, problems, an item planned, a lead acknowledged, a notice acknowledged;
    the id of one accepted command per service (for the replays)."""
    intake = s.client("intake")
    rectify, referral, notify = s.client("rectify"), s.client("referral"), s.client("notify")
    o = s.office

    def accepted(client, signer, type_, data):
        frame, body = xcwire.seal(signer, client.service, type_, data)
        return ok(client.request(frame, body)), body["id"]

    ok(intake.call(o, "unit.register", {"id": "D-1", "name": "云溪区", "level": "district"}))
    ok(intake.call(o, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town", "parent": "D-1"}))
    _, w.state["accepted_intake"] = accepted(
        intake, o, "unit.register", {"id": "U-B", "name": "市教育局", "level": "city_department"})
    ok(intake.call(o, "round.open", {
        "id": "R1", "name": "十一届第一轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "main"}],
        "planned_start": str(local_day(-80)), "planned_end": str(local_day(-40)),
        "date": str(local_day(-90))}))
    ok(intake.call(o, "round.advance", {"round": "R1", "stage": "stationed", "date": str(local_day(-80))}))

    def report(unit, summary):
        return ok(intake.call(s.team, "problem.report", {
            "round": "R1", "unit": unit, "category": "public_concerns", "summary": summary,
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]

    feedback, immediate, lead, open_ = (report("U-A", "学生宿舍楼年久失修"), report("U-A", "校车管理不规范"),
                                       report("U-B", "违规发放津贴"), report("U-B", "食堂采购不透明"))
    ok(intake.call(o, "problem.classify", {"problem": feedback, "dispositions": [
        {"kind": "feedback", "timeliness": "deadline"}]}))
    ok(intake.call(o, "problem.classify", {"problem": immediate, "dispositions": [
        {"kind": "feedback", "timeliness": "immediate"}]}))
    ok(intake.call(o, "problem.classify", {"problem": lead, "dispositions": [
        {"kind": "lead", "body": "discipline-commission", "note": "移交纪委"}]}))
    for stage, day in [("withdrawn", -40), ("reported", -20), ("feedback_delivered", -5)]:
        ok(intake.call(o, "round.advance", {"round": "R1", "stage": stage, "date": str(local_day(day))}))
    w.state["problem_open"] = open_

    items = wait_for("two rectify items",
                     lambda: ok(rectify.call(o, "rectify.list", {"limit": 100}))["items"],
                     lambda got: len(got) == 2)
    by_class = {i["class"]: i["id"] for i in items}
    w.state["item"], w.state["immediate_item"] = by_class["deadline"], by_class["immediate"]
    _, w.state["accepted_rectify"] = accepted(rectify, s.unit_a, "rectify.plan", {
        "item": w.state["item"], "measures": [{"text": "新建宿舍楼", "owner": "王建国",
                                               "lead_leader": "李副镇长", "deadline": str(local_day(40))}]})

    leads = wait_for("the lead at referral",
                     lambda: ok(referral.call(s.discipline, "referral.list", {}))["items"],
                     lambda got: len(got) == 1)
    w.state["referral"] = leads[0]["id"]
    _, w.state["accepted_referral"] = accepted(referral, s.discipline, "referral.acknowledge",
                                               {"referral": w.state["referral"]})

    notices = wait_for("a stream notice for unit-a",
                       lambda: ok(notify.call(s.unit_a, "notify.read", {}))["notices"],
                       lambda got: len(got) >= 1)
    w.state["delivery"] = notices[0]["delivery"]
    _, w.state["accepted_notify"] = accepted(notify, s.unit_a, "notify.ack",
                                             {"deliveries": [w.state["delivery"]]})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hostile"))
    s = Suite(folder, SERVICES, PRINCIPALS, {"notify": {"directory": DIRECTORY}})
    extra = {}
    with open(s.registry_path, encoding="utf-8") as f:
        doc = json.load(f)
    for attr, (iss, how) in BAD_KEYS.items():
        signer = xcwire.Signer(iss, f"{iss}#1")
        extra[attr] = signer
        key = signer.public_jwk(how.get("not_before", "2020-01-01T00:00:00Z"),
                                how.get("not_after", "2099-01-01T00:00:00Z"))
        doc["principals"].append({"iss": iss, "role": "office", "revoked": how.get("revoked", False),
                                  "keys": [key]})
    write_json(s.registry_path, doc)
    s.registry = xcwire.Registry.load(s.registry_path)
    for d in s.deployments.values():
        d.registry = s.registry
    run = running_suite(s)
    next(run)                                # started; its end asserts every exit status is 0
    try:
        world = World(s, extra)
        set_up_state(s, world)
        world.settle()
        yield world
    finally:
        next(run, None)


# --- the tests ---------------------------------------------------------------------------------

def test_catalogue_covers_the_brief():
    assert len(ENTRIES) >= 40, len(ENTRIES)
    codes = protocol_codes()
    assert {"too_large", "malformed", "forbidden", "replayed", "schema"} <= codes, codes
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names)), "entry names must be unique"
    for e in ENTRIES:
        for key in ("name", "category", "service", "why", "expect", "type"):
            assert isinstance(e.get(key), str) and e[key], (e.get("name"), key)
        assert e["service"] in SERVICES, e["name"]
        assert e["expect"] in codes | {"no_answer"}, (e["name"], e["expect"])
        assert e.get("corr", "id") in ("id", None), e["name"]
        assert e.get("sender", "office") in set(PRINCIPALS) | set(BAD_KEYS), e["name"]
    categories = {e["category"] for e in ENTRIES}
    assert REQUIRED_CATEGORIES <= categories, sorted(REQUIRED_CATEGORIES - categories)

    def where(cat):
        return {e["service"] for e in ENTRIES if e["category"] == cat}
    # spread over the four services where the brief asks for it
    for cat in ("forbidden", "over_long", "replay", "sql_injection", "unknown_field_data"):
        assert where(cat) == set(SERVICES), (cat, where(cat))
    # the four forbidden-but-valid commands the brief names
    forbidden = {(e["service"], e.get("sender", "office"), e["type"]) for e in ENTRIES
                 if e["category"] == "forbidden"}
    assert ("rectify", "unit_b", "rectify.plan") in forbidden
    assert ("intake", "team", "problem.classify") in forbidden
    assert ("referral", "orgdept", "referral.get") in forbidden
    assert any(s == "notify" and who != "office" for s, who, _ in forbidden)
    text = json.dumps(ENTRIES, ensure_ascii=False)
    for needle in ("'; DROP TABLE units;--", '" OR 1=1 --', "1e400", "1180591620717411303424"):
        assert needle in text, needle
    assert any(st.get("nest", 0) >= 10000 for e in ENTRIES for st in e.get("build", [])
               if e["category"] == "deep_nesting")
    sizes = {(st["frame_bytes"], e["expect"]) for e in ENTRIES for st in e.get("build", [])
             if st["op"] == "size"}
    assert ("limit+1", "too_large") in sizes, sizes
    assert any(frame_size(fb) > 4 * LIMIT and ex == "no_answer" for fb, ex in sizes), sizes
    assert all(frame_size(fb) <= 4 * LIMIT or ex == "no_answer" for fb, ex in sizes), sizes
    assert set(FINDINGS) <= set(names), set(FINDINGS) - set(names)
    with open(CATALOGUE, encoding="utf-8") as f:
        assert json.load(f)["limit"] == LIMIT
    for e in ENTRIES:
        if "rightful" in e:
            assert e["expect"] == "forbidden" and not e.get("build"), e["name"]
            assert e["rightful"] in PRINCIPALS and e["rightful"] != e["sender"], e["name"]


def test_every_entry_builds_offline():
    """Each entry's description builds, with placeholder state, without a running service."""
    class Offline:
        state = {"item": 1, "immediate_item": 2, "referral": 3, "delivery": 4, "problem_open": 5,
                 **{f"accepted_{s}": xcwire.new_id() for s in SERVICES}}
        signers = {}

        def signer(self, name):
            iss = PRINCIPALS[name][0] if name in PRINCIPALS else BAD_KEYS[name][0]
            return self.signers.setdefault(name, xcwire.Signer(iss, f"{iss}#1"))
    offline = Offline()
    for e in ENTRIES:
        frames, body = build_entry(e, offline)
        assert frames and all(isinstance(f, bytes) for f in frames), e["name"]
    # Without its damage (the build steps), each entry is a well-formed message that verifies
    # (checks 1-12 by the independent client; every key valid here): what makes it bad is the
    # damage, its data, its sender, its aud or its id, as the entry says.
    registry = xcwire.Registry({"principals": [
        {"iss": s.iss, "keys": [s.public_jwk("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")]}
        for s in offline.signers.values()]})
    for e in ENTRIES:
        base = {k: v for k, v in e.items() if k != "build"}
        frames, body = build(base, offline)
        _, opened = xcwire.open_message(frames[0], registry)
        assert opened["id"] == body["id"] and opened["data"] == body["data"], e["name"]


def receive_one(client, timeout):
    """The first frame on this (fresh) connection, verified as a reply of its service:
    (header, body)."""
    sock = client.sock
    assert sock.poll(int(timeout * 1000), zmq.POLLIN), f"no answer within {timeout} s"
    frames = sock.recv_multipart(zmq.NOBLOCK)
    assert len(frames) == 1, f"a reply of {len(frames)} frames"
    header, body = xcwire.open_message(frames[0], client.registry)    # checks 1-12, signature
    assert body["iss"] == client.service and header["kid"] == f"{client.service}#1", (header, body)
    assert client.registry.keys[header["kid"]][0] == client.service
    assert body["exp"] == body["iat"] + xcwire.REPLY_LIFETIME, body
    return header, body


def diff(before, after):
    keys = sorted(set(before) | set(after))
    return [f"{k}: {before.get(k, ('absent',))[0]} -> {after.get(k, ('absent',))[0]} rows"
            for k in keys if before.get(k) != after.get(k)]


def params():
    out = []
    for e in ENTRIES:
        marks = [pytest.mark.xfail(strict=True, reason=FINDINGS[e["name"]])] if e["name"] in FINDINGS else []
        out.append(pytest.param(e, id=e["name"], marks=marks))
    return out


# Words an error text must not hold: a library's names and flags (the reader knows the protocol,
# not the implementation), and a plural after the number one ("1 seconds").
LIBRARY_WORDS = re.compile(r"jansson|json_[a-z]|sodium|crypto_sign|sqlite|zmq|zeromq|libcurl|errno|"
                           r"strtod|malloc", re.I)
ONE_PLURAL = re.compile(r"(?<![\d.,])1 (second|minute|hour|day|byte|member|character|element|"
                        r"item|frame|key)s\b")


def assert_plain_words(text, name):
    assert not LIBRARY_WORDS.search(text), f"{name}: a library's words in {text!r}"
    assert not ONE_PLURAL.search(text), f"{name}: ungrammatical {text!r}"
    assert not re.search(r"too big integer|without JSON", text), f"{name}: {text!r}"


def assert_running(world, service):
    d = world.suite.deployments[service]
    status = d.proc.poll()
    assert status is None, f"xc-{service} is not running (exit status {status}):\n{d.log_tail(15)}"


@pytest.mark.parametrize("entry", params())
def test_hostile_message_is_refused_and_changes_nothing(world, entry):
    assert_running(world, entry["service"])
    frames, body = build_entry(entry, world)
    before = world.snapshot()
    client = world.suite.client(entry["service"])
    if len(frames) == 1:
        client.sock.send(frames[0])
    else:
        client.sock.send_multipart(frames)

    if entry["expect"] == "no_answer":
        assert not client.sock.poll(int(SILENCE * 1000), zmq.POLLIN), (
            f"answered a frame of {len(frames[0])} bytes that must be dropped:\n"
            f"{world.log_lines(entry['service'], body['id'])}")
        # the next message on the same connection is answered
        reply = client.call(world.suite.office, "health", {})
        assert reply["type"] == "result" and reply["data"]["service"] == entry["service"], reply
    else:
        try:
            header, reply = receive_one(client, REPLY_WAIT)
        except AssertionError:
            assert_running(world, entry["service"])        # a crash says more than a timeout
            raise
        got = reply["data"].get("code") if reply["type"] == "error" else reply["type"]
        log = world.log_lines(entry["service"], body["id"])
        assert reply["type"] == "error" and got == entry["expect"], (
            f"{entry['name']}: expected {entry['expect']}, got {got}: {reply['data']}\nlog: {log}")
        assert isinstance(reply["data"].get("message"), str), reply
        assert_plain_words(reply["data"]["message"], entry["name"])
        if entry.get("corr", "id") == "id":
            # the request's id, in lower case (protocol.md section 2)
            assert reply["corr"] == body["id"].lower(), (reply["corr"], body["id"])
            iss = body["iss"]
            short = isinstance(iss, str) and 1 <= len(iss.encode("utf-8")) <= 63 and "\0" not in iss
            assert reply["aud"] == (iss if short else "unknown"), (reply["aud"], iss)
        else:
            # the id cannot be read from this message: the refusal cannot name it
            assert reply["corr"] is None, reply
        assert not client.sock.poll(50, zmq.POLLIN), "a second reply to one message"

    after = world.snapshot()
    assert after == before, f"{entry['name']} changed: {diff(before, after)}"


def test_forbidden_entries_are_valid_for_the_rightful_sender(world):
    """Controls, run after the catalogue (they change state): a forbidden entry with a
    "rightful" sender, sent by that sender, is accepted (or answered). So each was refused for
    its sender alone, and the snapshot, which must not move for a refusal, does move for an
    accepted command."""
    controls = [e for e in ENTRIES if "rightful" in e]
    assert len(controls) >= 8, len(controls)
    for e in controls:
        frames, body = build(dict(e, sender=e["rightful"]), world)
        before = world.snapshot()
        client = world.suite.client(e["service"])
        client.sock.send(frames[0])
        header, reply = receive_one(client, REPLY_WAIT)
        assert reply["type"] in ("ack", "result"), (e["name"], reply["data"],
                                                    world.log_lines(e["service"], body["id"]))
        assert xcwire.same_id(reply["corr"], body["id"])
        if reply["type"] == "ack":
            assert reply["data"]["status"] == "accepted", (e["name"], reply["data"])
            changed = diff(before, world.snapshot())
            assert any(c.startswith(e["service"] + ".") for c in changed), (e["name"], changed)
    # The SQL text of a name is stored and read back as text.
    unit = ok(world.suite.client("intake").call(world.suite.office, "unit.get", {"unit": "U-X"}))
    assert unit["name"] == "'; DROP TABLE units;--", unit


def test_an_id_in_upper_case_is_the_same_command(world):
    """Issue 18: a command signed with id 01a24e07-… and again, same body, with 01A24E07-… is
    one command (ids compare case-insensitively): the second is answered `duplicate` with the
    first result and the request's id in lower case as corr, and changes nothing in any table
    of any service: one inbox row, the first command's events only. Runs last: it adds state."""
    s, st = world.suite, world.state
    commands = [
        ("intake", s.petition, "problem.report", {
            "unit": "U-A", "category": "public_concerns", "summary": "大小写重发",
            "detail": "同一条命令，id 大小写不同", "severity": "general", "source": "petition"}, 1),
        ("referral", s.office, "referral.create", {
            "kind": "report", "target": "organization-dept", "title": "大小写重发专题报告",
            "detail": "详见附件"}, 1),
        ("rectify", s.office, "rectify.revisit", {"round": "R1", "unit": "U-A",
                                                  "date": str(local_day(0)),
                                                  "kinds": ["return_visit"]}, 1),
        ("notify", s.unit_a, "notify.ack", {"deliveries": [st["delivery"]]}, 0),
    ]
    for service, signer, type_, data, events in commands:
        client = s.client(service)
        id_ = xcwire.new_id()
        assert id_ == id_.lower()
        db = world.databases[service]

        def count(sql, *args):
            con = sqlite3.connect("file:" + urllib.parse.quote(db) + "?mode=ro", uri=True, timeout=10)
            try:
                return con.execute(sql, args).fetchone()[0]
            finally:
                con.close()
        head_before = count("SELECT coalesce(max(seq), 0) FROM outbox")
        frame, body = xcwire.seal(signer, service, type_, data, id_=id_)
        first = client.request(frame, body)
        assert first["type"] == "ack" and first["data"]["status"] == "accepted", (service, first)
        assert first["corr"] == id_
        world.settle()
        before = world.snapshot()
        upper = id_.upper()
        frame2, body2 = xcwire.seal(signer, service, type_, data, id_=upper)
        second = client.request(frame2, body2)
        assert second["type"] == "ack", (service, second, world.log_lines(service, id_))
        assert second["data"] == {"status": "duplicate", "result": first["data"]["result"]}, (
            service, second)
        assert second["corr"] == id_, (service, second["corr"])     # the lower-case form
        world.settle()
        assert world.snapshot() == before, (service, diff(before, world.snapshot()))
        assert count("SELECT count(*) FROM inbox WHERE lower(id) = ?", id_) == 1, service
        assert count("SELECT count(*) FROM inbox WHERE id = ?", id_) == 1, service
        # the events the command caused: their corr is the lower-case id
        corrs = [json.loads(xcwire.unb64u(json.loads(m)["payload"]))["corr"] for (m,) in
                 sqlite3.connect(db).execute("SELECT message FROM outbox WHERE seq > ?",
                                             (head_before,))]
        assert corrs.count(id_) == events and upper not in corrs, (service, corrs)
