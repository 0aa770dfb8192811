"""The hostile-input catalogue (tests/hostile/catalogue.json, tests/hostile/README.md): its loading,
how an entry is built into frames, and the world it is sent into: one suite (intake, referral,
rectify, notify) given a little state first (units, a round, problems: one fed back as a rectify
item that unit-a has planned, one immediate item whose warning became a stream notice for
unit-a, one referred as a lead to the discipline commission, one left unclassified), so that
commands which are valid but forbidden for their sender mean something, and a snapshot of every
table of every service. Shared by test_hostile.py (over ZeroMQ) and test_gateway_hostile.py
(through the gateway)."""

import datetime
import hashlib
import hmac
import json
import os
import re
import time
import urllib.parse

import searchlib
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
            con = searchlib.connect(uri, uri=True, timeout=10)     # the search tables' tokenizer
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


def hostile_world(folder):
    """The suite started with its state, for a module's fixture: yield from hostile_world(folder)."""
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


def diff(before, after):
    keys = sorted(set(before) | set(after))
    return [f"{k}: {before.get(k, ('absent',))[0]} -> {after.get(k, ('absent',))[0]} rows"
            for k in keys if before.get(k) != after.get(k)]


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
