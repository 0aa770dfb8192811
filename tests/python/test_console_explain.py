"""A due date's explanation in Chinese (web/js/explain.js, docs/console.md): the explanations a
real xc-referral writes for spans in days, working days and months, from days chosen to cross
public holidays, weekends, make-up working days and a month's end, and an extension, each
reworded under node with no English word left and every date and number of the service's text
kept in order."""
import json
import re
import subprocess

import pytest

from conftest import REPO, Suite, running_suite

BODY = "discipline-commission"
# start days (all in years config/calendar has) and the kind whose span is used
STARTS = [("2025-09-25", "lead"), ("2025-09-21", "report"), ("2026-01-31", "handover"),
          ("2025-12-27", "report"), ("2025-04-30", "lead"), ("2025-02-28", "handover"),
          ("2025-05-29", "report"), ("2026-03-02", "lead")]


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "referral"], {
        "office": ("office", "office", {}), "body": (BODY, "discipline", {})},
        policies={"referral": {"due": {"lead": "20 workdays", "handover": "1 months", "report": "10 days"}}})
    yield from running_suite(s)


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def node_explain(texts):
    script = ("import {explainChinese} from './web/js/explain.js';\n"
              "import {spanChinese} from './web/pages/office/spans.js';\n"
              f"const texts = {json.dumps(texts)};\n"
              "console.log(JSON.stringify(texts.map((t) => [explainChinese(t), spanChinese(t)])));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=REPO, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def numbers(text):
    return re.findall(r"\d+(?:-\d+)*", text.replace("art. 203", ""))


def test_real_explanations_come_out_chinese(suite):
    referral = suite.client("referral")
    explains, policies = [], []
    for day, kind in STARTS:
        rid = ok(referral.call(suite.office, "referral.create", {
            "kind": kind, "target": BODY, "title": "期限说明测试", "detail": "见来信", "occurred_on": day}))["referral"]
        got = ok(referral.call(suite.office, "referral.get", {"referral": rid}))["due"]
        explains.append(got["explain"])
        policies.append(got["policy"])
    # an extension's explanation, with a reason that is the office's own words
    ok(referral.call(suite.office, "referral.extend", {"referral": rid, "due": "2026-12-31", "reason": "材料未齐，延期至年底"}))
    explains.append(ok(referral.call(suite.office, "referral.get", {"referral": rid}))["due"]["explain"])
    # the inputs cover what the calendar writes: a skipped holiday, a move off a day off, a clamp
    joined = "\n".join(explains)
    for what in ("skipped", "holiday", "weekend", "the period ends on the next working day", "clamped", "extended from"):
        assert what in joined, (what, explains)
    said = node_explain(explains)
    print("\n".join(f"{e}\n  -> {c}" for e, (c, _) in zip(explains, said)))
    for english, (chinese, _) in zip(explains, said):
        assert not re.search(r"[A-Za-z]", chinese), (english, chinese)
        assert numbers(chinese) == numbers(english), (english, chinese)
    for policy, (_, span) in zip(policies, node_explain(policies)):
        assert not re.search(r"[A-Za-z]", span) and numbers(span) == numbers(policy), (policy, span)
    # a text it does not know comes back as it was, not half translated
    assert node_explain(["due by decree"])[0][0] == "due by decree"
