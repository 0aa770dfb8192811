"""Refusals in Chinese (docs/console.md): web/js/reasons.js and web/js/words.js run under node.
Every reason the C sources give (collected here from the sources, reasonlib) has a Chinese entry
and no entry is stale; no Chinese shows an English word of its own; words.js is cli/words.c's
table; every protocol code and gateway problem code has its sentence; and real refusals of a
running suite, through the real gateway, come out Chinese with their values placed."""
import json
import os
import re

import pytest

from conftest import REPO, Suite, running_suite
from gatewaylib import Department, Gateway, stopped_at_end
from reasonlib import CONVERSION, node_run, reasons_collect

LETTERS = re.compile(r"[A-Za-z]")
PLACE = re.compile(r"\{\d+(?::[a-z_]+(?::[a-z_]+)?)?\}")

# Everything the Chinese side holds, as node sees it.
DUMP = """
import * as r from "./web/js/reasons.js";
import * as t from "./web/js/reasons_table.js";
import { WORDS } from "./web/js/words.js";
console.log(JSON.stringify({table: t.SERVICE_REASONS, phrases: t.PHRASES, messages: t.MESSAGES,
  codes: r.CODES, gateway: r.GATEWAY, roles: r.ROLES, services: r.SERVICES, words: WORDS}));
"""


@pytest.fixture(scope="module")
def js():
    return node_run(DUMP)


def test_every_reason_has_an_entry_and_none_is_stale(js):
    collected = reasons_collect()
    assert len(collected) > 150, len(collected)  # the collector still finds the reasons
    keys = [entry[0] for entry in js["table"]]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    missing = {fmt: where[0][1] for fmt, where in collected.items() if fmt not in set(keys)}
    assert not missing, f"reasons without Chinese in web/js/reasons_table.js: {missing}"
    # an entry naming its source (a branch's reasons, before the merge) is stale only once
    # that source is here
    stale = {entry[0] for entry in js["table"]
             if entry[0] not in collected and (len(entry) < 3 or os.path.exists(os.path.join(REPO, entry[2])))}
    assert not stale, f"entries no C source gives any more: {stale}"


def test_no_english_in_the_chinese(js):
    for fmt, chinese, *_ in js["table"]:
        assert not LETTERS.search(PLACE.sub("", chinese)), (fmt, chinese)
        assert re.search(r"[\u4e00-\u9fff]", chinese), (fmt, chinese)
        # a template places only values the format captures
        n = len([c for c in CONVERSION.findall(fmt) if c != "%%"])
        for m in re.finditer(r"\{(\d+)", chinese):
            assert 1 <= int(m.group(1)) <= n, (fmt, chinese)
    for name in ("phrases", "messages", "codes", "gateway", "roles", "services"):
        for key, chinese in js[name].items():
            assert not LETTERS.search(chinese), (name, key, chinese)


def test_each_format_is_matched_by_its_own_entry():
    """Each format filled with sample values comes back through its own entry (the patterns
    compile, and a more general entry does not take a more specific one's text)."""
    out = node_run("""
import { reasonFind, formatPattern } from "./web/js/reasons.js";
import { SERVICE_REASONS } from "./web/js/reasons_table.js";
const sample = (fmt) => fmt.replace(/%(?:%|[-+ #0]*(?:\\d+|\\*)?(?:\\.(?:\\d+|\\*))?(?:hh|h|ll|l|z|j|t)?([diuxXscp]))/g,
  (all, c) => all === "%%" ? "%" : c === "s" ? "甲乙" : "17");
console.log(JSON.stringify(SERVICE_REASONS.map(([fmt]) => {
  const found = reasonFind(sample(fmt));
  return [fmt, found && found.format, found && found.chinese];
})));
""")
    wrong = [(fmt, got) for fmt, got, _ in out if got != fmt]
    assert not wrong, wrong
    for fmt, _, chinese in out:
        assert not LETTERS.search(chinese), (fmt, chinese)


def test_words_are_cli_words(js):
    with open(os.path.join(REPO, "cli", "words.c"), encoding="utf-8") as f:
        c = f.read()
    table = c[c.index("s_words[] = {"):c.index("{ NULL, NULL, NULL }")]
    want = [list(t) for t in re.findall(r'\{ "([^"]*)", "([^"]*)", "([^"]*)" \}', table)]
    assert len(want) > 90
    assert js["words"] == want


def test_every_code_has_its_sentence(js):
    with open(os.path.join(REPO, "docs", "protocol.md"), encoding="utf-8") as f:
        proto = f.read()
    section = proto[proto.index("## 5. Error codes"):proto.index("## 6.")]
    codes = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
    assert len(codes) == 20, codes
    with open(os.path.join(REPO, "common", "error.c"), encoding="utf-8") as f:
        names = re.findall(r'"([a-z_]+)"', f.read())
    assert set(codes) <= set(names)
    names = set(names) - {"ok"}  # XC_OK is never a refusal
    assert names <= set(js["codes"]), names - set(js["codes"])
    # the gateway's problem codes: its documented table and every code its sources send
    with open(os.path.join(REPO, "docs", "services", "gateway.md"), encoding="utf-8") as f:
        doc = f.read()
    doc = doc[doc.index("## What the gateway refuses itself"):]
    documented = set(re.findall(r"^\| `([a-z-]+)` \| \d{3}", doc, re.M))
    sent = set()
    for name in os.listdir(os.path.join(REPO, "services", "gateway")):
        if name.endswith(".c") and not name.endswith("_test.c"):
            with open(os.path.join(REPO, "services", "gateway", name), encoding="utf-8") as f:
                sent |= set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', f.read()))
    assert len(documented) >= 17, documented
    assert documented <= set(js["gateway"]), documented - set(js["gateway"])
    assert sent & documented, sent
    assert (sent & documented) <= set(js["gateway"])


def test_refusal_from_each_kind():
    out = node_run("""
import { refusalFrom, Refusal, CODES } from "./web/js/reasons.js";
import { Problem, ReplyRefused } from "./web/js/wire.js";
const show = (r) => ({isRefusal: r instanceof Refusal, code: r.code, text: r.text, chinese: r.chinese,
                      status: r.status, transient: r.transient});
console.log(JSON.stringify({
  reply: show(refusalFrom({type: "error", data: {code: "not_found", message: "no problem 42"}}, 404)),
  data: show(refusalFrom({code: "schema", message: "data.summary: length 0 is outside 1..200 bytes"})),
  unknown: show(refusalFrom({code: "conflict", message: "a reason no entry knows"})),
  nocode: show(refusalFrom({code: "frobnicated", message: "what"})),
  problem: show(refusalFrom(new Problem(404, {type: "urn:xuncha:gateway:unknown-service",
                                              title: "服务不存在", detail: "no service 'x'"}))),
  newproblem: show(refusalFrom(new Problem(418, {type: "urn:xuncha:gateway:teapot", title: "茶壶",
                                                 detail: "d"}))),
  refused: show(refusalFrom(new ReplyRefused("signature not verified"))),
  silent: show(refusalFrom(new TypeError("Failed to fetch"))),
  busy: show(refusalFrom({code: "busy", message: "database is locked"}, 503)),
  conflict: CODES.conflict,
}));
""")
    assert out["reply"] == {"isRefusal": True, "code": "not_found", "text": "no problem 42",
                            "chinese": "没有问题 #42", "status": 404, "transient": False}
    assert out["data"]["chinese"] == "字段 summary：长度 0 字节，应在 1 至 200 字节之间"
    assert out["unknown"]["chinese"] == out["conflict"]  # the code's sentence, never the English
    assert out["nocode"]["chinese"] == "请求被拒绝。"
    assert out["problem"] == {"isRefusal": True, "code": "unknown-service", "text": "no service 'x'",
                              "chinese": "请求的服务不存在。", "status": 404, "transient": False}
    assert out["newproblem"]["chinese"] == "茶壶"  # a new gateway code: its own Chinese title
    assert out["refused"]["code"] == "reply_refused" and "验证" in out["refused"]["chinese"]
    assert out["silent"]["code"] == "no_answer" and not LETTERS.search(out["silent"]["chinese"])
    assert out["busy"]["transient"] is True


def test_values_are_placed_and_words_used():
    out = node_run("""
import { reasonChinese } from "./web/js/reasons.js";
console.log(JSON.stringify([
  reasonChinese("conflict", "problem 7 is classified already"),
  reasonChinese("conflict", "round 'R-1' is at stage 'planned'; the next stage is 'stationed'"),
  reasonChinese("conflict", "the report deadline cannot be computed: 'x9' is not a date (YYYY-MM-DD)"),
  reasonChinese("forbidden", "role 'unit' may not send 'round.open'"),
  reasonChinese("conflict", "item 5 has no measure 2 deadline"),
  reasonChinese("schema", "data.items[2].text: expected string"),
]));
""")
    assert out == ["问题 #7 已分类",
                   "轮次 R-1 处于“计划”阶段，不能推进到所选阶段",
                   "报告期限无法计算：“x9”不是日期（年-月-日）",
                   "被巡察单位无权执行此项操作（开启巡察轮次）",
                   "整改事项 #5 没有第 2 项措施的期限",
                   "字段 items[2].text：应为文本"]


# --- real refusals of a running suite, through the gateway -----------------------------------

SERVICES = ["intake", "referral", "rectify", "notify"]
PRINCIPALS = {"office": ("office", "office", {"units": ["*"]}),
              "team": ("team-9", "team", {}),
              "unit": ("unit-9", "unit", {"units": ["U-9"]}),
              "body": ("discipline-9", "discipline", {"units": ["*"]})}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reasons")
    s = Suite(str(folder), SERVICES, PRINCIPALS, {"notify": {"directory": {
        "office-desk": {"name": "巡察办", "roles": ["office"], "principal": "office",
                        "channels": {"stream": True}}}}})
    for _ in running_suite(s):
        g = Gateway(s)
        with stopped_at_end(g):
            g.who = {attr: Department(getattr(s, attr).private_jwk(), getattr(s, attr).iss)
                     for attr in PRINCIPALS}
            yield g


def refused(g, who, service, type_, data):
    r, body = g.call(g.who[who], service, type_, data)
    assert body["type"] == "error", body
    return {"status": r.status_code, **body["data"]}


def test_real_refusals_come_out_chinese(gateway):
    g = gateway
    unit = {"id": "U-9", "name": "测试镇人民政府", "level": "town"}
    r, body = g.call(g.who["office"], "intake", "unit.register", unit)
    assert body["type"] == "ack", body
    # (reply, the values the Chinese must show)
    cases = [
        (refused(g, "office", "intake", "unit.register", unit), ["U-9"]),
        (refused(g, "office", "intake", "unit.register", {"id": "U-10", "level": "town"}), ["name"]),
        (refused(g, "office", "intake", "problem.classify",
                 {"problem": 987654, "dispositions": [{"kind": "feedback", "timeliness": "immediate"}]}),
         ["987654"]),
        (refused(g, "office", "intake", "round.advance",
                 {"round": "R-NONE", "stage": "stationed", "date": "2025-03-01"}), ["R-NONE"]),
        (refused(g, "unit", "intake", "round.open", {}), []),
        (refused(g, "office", "intake", "problem.nonesuch", {}), ["problem.nonesuch"]),
        (refused(g, "office", "rectify", "rectify.get", {"item": 424242}), ["424242"]),
        (refused(g, "office", "referral", "referral.get", {"referral": 313131}), ["313131"]),
        (refused(g, "office", "notify", "notify.get", {"delivery": 515151}), ["515151"]),
        (refused(g, "unit", "rectify", "rectify.review", {"item": 1, "decision": "accept"}), []),
        (refused(g, "body", "referral", "referral.acknowledge", {"referral": 212121}), ["212121"]),
        (refused(g, "team", "intake", "problem.report",
                 {"unit": "U-9", "category": "no_such_category", "summary": "测试", "detail": "测试",
                  "severity": "general", "source": "inspection_team", "round": "R-NONE"}),
         ["no_such_category"]),
    ]
    texts = [c["message"] for c, _ in cases]
    out = node_run("""
import { refusalFrom } from "./web/js/reasons.js";
import { CODES } from "./web/js/reasons.js";
const cases = %s;
console.log(JSON.stringify(cases.map((c) => {
  const r = refusalFrom({type: "error", data: c}, c.status);
  return {code: r.code, chinese: r.chinese, general: r.chinese === CODES[c.code]};
})));
""" % json.dumps([c for c, _ in cases], ensure_ascii=False))
    for (reply, values), got in zip(cases, out):
        print(reply["code"], reply["message"], "->", got["chinese"])
        assert got["code"] == reply["code"]
        assert not got["general"], (reply, got)  # its own reason, not the code's sentence
        rest = got["chinese"]
        for v in values:
            assert v in rest, (reply, got, v)
            rest = rest.replace(v, "")
        assert not LETTERS.search(rest), (reply, got)
    assert len(set(texts)) == len(texts), texts


def test_real_gateway_problem_comes_out_chinese(gateway):
    r = gateway.http.post(gateway.base + "/v1/nonesuch", data=b"{}",
                          headers={"Content-Type": "application/jose+json"}, timeout=5)
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    out = node_run("""
import { refusalFrom } from "./web/js/reasons.js";
import { Problem } from "./web/js/wire.js";
const r = refusalFrom(new Problem(%d, %s, null));
console.log(JSON.stringify({code: r.code, chinese: r.chinese, status: r.status}));
""" % (r.status_code, json.dumps(r.json(), ensure_ascii=False)))
    assert out == {"code": "unknown-service", "chinese": "请求的服务不存在。", "status": 404}
