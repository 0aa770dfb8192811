"""xcctl, the operator's tool, against real intake, referral, rectify and notify: checked
against docs/xcctl.md and what each service itself answers to a client written from the docs.

Every test deploys its own suite in a temp folder (conftest.Suite), writes the private keys of
the principals xcctl acts as, and runs build/bin/xcctl as a subprocess with a timeout. Exit
statuses, stdout and stderr are checked as docs/xcctl.md states them; with --json the output is
compared with the service's own answer to the same query.
"""

import csv
import datetime
import io
import json
import os
import re
import select
import signal
import sqlite3
import stat
import subprocess
import time
import unicodedata

import pytest

import checks

import searchlib
import xcwire
from conftest import REPO, Suite, key_file, running_suite, write_json

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
SERVICES = ["intake", "referral", "rectify", "notify"]
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
    "discipline": ("discipline-commission", "discipline", {"units": ["*"]}),
}
POLICIES = {"notify": {"directory": {
    "office": {"name": "市委巡察办", "roles": ["office", "office_leadership"], "principal": "office",
               "channels": {"stream": True}}}}}
# Chinese names of different widths, so that a column after them only lines up when a Chinese
# character is counted as two columns.
UNITS = [("D-1", "云溪区", "district", None),
         ("U-A", "云溪区青石镇人民政府", "town", "D-1"),
         ("U-B", "市教育局", "city_department", None),
         ("U-C", "Qingshi村（社区）", "village", "U-A")]
SUMMARY = "低保资格审核不严，优亲厚友"
WAIT = 10.0


# --- the suite and running xcctl ---------------------------------------------------------------

@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS, POLICIES)
    s.keys = {attr: key_file(tmp_path, getattr(s, attr)) for attr in PRINCIPALS}
    yield from running_suite(s)


def xcctl(s, *args, key="office", stdin=None, timeout=30):
    """Runs xcctl as the principal whose key file is s.keys[key] (or the path key)."""
    path = s.keys.get(key, key)
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", path, *args],
                          capture_output=True, text=True, input=stdin, timeout=timeout)


def done(r):
    """The output of a run that must have succeeded."""
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def as_json(r):
    return json.loads(done(r))


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def wait_for(fn, timeout=WAIT, what="the condition"):
    return checks.wait_for(fn, what, timeout)


def list_all(client, signer, type_, filters=None):
    out, after = [], None
    for _ in range(100):
        page = ok(client.call(signer, type_, {**(filters or {}), "limit": 500,
                                              **({"after": after} if after is not None else {})}))
        out += page["items"]
        after = page["next"]
        if after is None:
            return out
    pytest.fail("the list did not end")


def today(days=0):
    """Today in the deployment's time (UTC+8), plus days."""
    tz = datetime.timezone(datetime.timedelta(hours=8))
    return str(datetime.datetime.now(tz).date() + datetime.timedelta(days=days))


def world(s, c):
    """Through a client: the units, round R1 (stationed) on U-A and U-B, one problem by the team
    on U-A, classified for immediate feedback and as a lead to the discipline commission. Waits
    for the referral and the rectify item: (problem id, referral id, item id)."""
    for uid, name, level, parent in UNITS:
        ok(c["intake"].call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                        **({"parent": parent} if parent else {})}))
    ok(c["intake"].call(s.office, "round.open", {
        "id": "R1", "name": "十一届第一轮巡察", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "extended"}],
        "planned_start": today(-10), "planned_end": today(30), "date": today(-20)}))
    ok(c["intake"].call(s.office, "round.advance", {"round": "R1", "stage": "stationed", "date": today(-10)}))
    p = ok(c["intake"].call(s.team, "problem.report", {
        "round": "R1", "unit": "U-A", "category": "public_concerns", "summary": SUMMARY,
        "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
    ok(c["intake"].call(s.office, "problem.classify", {"problem": p, "dispositions": [
        {"kind": "feedback", "timeliness": "immediate"},
        {"kind": "lead", "body": "discipline-commission", "note": "移交市纪委监委"}]}))
    ref = wait_for(lambda: list_all(c["referral"], s.office, "referral.list"), what="the referral")
    item = wait_for(lambda: list_all(c["rectify"], s.office, "rectify.list"), what="the rectify item")
    return p, ref[0]["id"], item[0]["id"]


def clients(s):
    return {name: s.client(name) for name in SERVICES}


# --- tables ------------------------------------------------------------------------------------

def width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def cells(line):
    """The line as display columns: a wide character fills its column and a None after it."""
    out = []
    for ch in line:
        out.append(ch)
        if width(ch) == 2:
            out.append(None)
    return out


def cell_text(v, prefix="", nested=False):
    """A cell as docs/xcctl.md says tables show it: never JSON; an object as key=value pairs
    (dotted keys for deeper objects), an array as its elements joined by ", "."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"' if nested and (v == "" or any(c in v for c in " =,{}")) else v
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            path = f"{prefix}.{k}" if prefix else k
            if isinstance(x, dict) and x:
                parts.append(cell_text(x, path, True))
            else:
                parts.append(f"{path}={cell_text(x, '', True)}")
        return " ".join(parts) if parts or prefix else "{}"
    if isinstance(v, list):
        return ", ".join("{" + cell_text(x, "", True) + "}" if isinstance(x, dict) else cell_text(x, "", True)
                         for x in v)
    return json.dumps(v)


def office_headers():
    """{member: header} of the services' lists, as cli/table.c's s_headers has them."""
    with open(os.path.join(REPO, "cli", "table.c"), encoding="utf-8") as f:
        src = f.read()
    table = src[src.index("s_headers[] = {"):src.index("{ NULL, NULL }")]
    return dict(re.findall(r'\{ "([a-z_]+)", "([^"]+)" \}', table))


def office_words():
    """{(member, code): word} as cli/words.c has them."""
    with open(os.path.join(REPO, "cli", "words.c"), encoding="utf-8") as f:
        src = f.read()
    return {(m, c): w for m, c, w in re.findall(r'\{ "([a-z_]+)", "([a-z_]+)", "([^"]+)" \}', src)}


def office_row(row, words):
    """A list's row as cli/table.c shows it to the office: codes in words, booleans 是/否, arrays
    of codes joined by 、, a category or grade by its name when the row has it (not twice), an
    owner by its organ."""
    out = {}
    for k, v in row.items():
        if k in ("category_name", "grade_name") and k[:-5] in row:
            continue
        if k in ("category", "grade") and isinstance(row.get(k + "_name"), str):
            v = row[k + "_name"]
        if k == "owner" and isinstance(v, dict):
            # the city's own rounds read 市本级, a district's by its organ
            v = "市本级" if not v.get("district") else v.get("organ") or v["district"]
        if k == "round_owner" and v == "city":
            v = "市本级"
        if k == "link" and isinstance(v, dict):
            word = words.get(("link", v["kind"]), v["kind"])
            v = f"{word}（{v['round']}）" if "round" in v else word if len(v) == 1 else v
        if k == "link" and v is None:
            v = ""
        if k == "light":
            # rectify.list's light: its colour in words (正常 before a band), the step reached
            if isinstance(v, dict):
                step = (v.get("step") or {}).get("name")
                v = (words.get(("colour", v["colour"]), v["colour"]) if v["colour"] else "正常") + \
                    (f"，{words.get(('step', step), step)}" if step else "")
            else:
                v = "—"
        if isinstance(v, bool):
            v = "是" if v else "否"
        elif isinstance(v, str):
            v = words.get((k, v), v)
        elif isinstance(v, list) and v and isinstance(v[0], str):
            v = "、".join(words.get((k, x), x) for x in v)
        out[k] = v
    return out


def check_table(text, rows, columns=None, office=True):
    """text is a table of rows (objects, in order): a header of the column names (a service's
    list: in the office's words where cli/table.c has them, else in capitals; office False,
    the operator's tables: in capitals), then one line a row, each cell starting at its
    column's display column (a Chinese character counting two) and padded with spaces to the
    next."""
    lines = text.rstrip("\n").split("\n")
    header = lines[0]
    words = office_headers() if office else {}
    if office:
        codes = office_words()
        rows = [office_row(r, codes) for r in rows]
    found = [(m.group(0), width(header[:m.start()])) for m in re.finditer(r"\S+", header)]
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    assert [name for name, _ in found] == [words.get(c, c.upper()) for c in columns], (header, columns)
    starts = [start for _, start in found]
    assert len(lines) - 1 == len(rows), text
    for line, row in zip(lines[1:], rows):
        cols = cells(line)
        for j, column in enumerate(columns):
            want = cell_text(row.get(column))
            begin = starts[j]
            end = begin + width(want)
            got = "".join(ch for ch in cols[begin:end] if ch is not None)
            assert got == want and (begin == 0 or cols[begin - 1] == " "), \
                f"column {column.upper()} (display column {begin}) of {line!r}: {got!r}, expected {want!r}"
            if j + 1 < len(columns):
                gap = cols[end:starts[j + 1]]
                assert gap and all(ch == " " for ch in gap), \
                    f"after column {column.upper()} of {line!r}: {gap!r} before column {starts[j + 1]}"
            else:
                assert len(cols) == end, f"{line!r} goes on after its last cell"


# --- 1. a verb for every service -------------------------------------------------------------

def test_intake_verbs_send_what_the_service_answers(suite):
    s, c = suite, clients(suite)
    # unit register / get / list
    for uid, name, level, parent in UNITS:
        args = ["unit", "register", "--id", uid, "--name", name, "--level", level]
        assert as_json(xcctl(s, *args, *(["--parent", parent] if parent else []), "--json")) == {"unit": uid}
    assert as_json(xcctl(s, "--json", "unit", "get", "--unit", "U-A")) == \
        ok(c["intake"].call(s.office, "unit.get", {"unit": "U-A"}))
    got = as_json(xcctl(s, "unit", "list", "--parent", "D-1", "--json"))
    assert got == ok(c["intake"].call(s.office, "unit.list", {"parent": "D-1"}))
    assert [u["id"] for u in got["items"]] == ["U-A"]
    units = ok(c["intake"].call(s.office, "unit.list", {}))
    assert len(units["items"]) == 4
    check_table(done(xcctl(s, "unit", "list")), units["items"])

    # round open (a JSON value for --targets and --modes) and advance
    targets = [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "extended"}]
    opened = xcctl(s, "round", "open", "--id", "R1", "--name", "十一届第一轮巡察", "--kind", "regular",
                   "--team", "team-1", "--targets", json.dumps(targets, ensure_ascii=False),
                   "--modes", '["cross"]', "--planned-start", today(-10), "--planned-end", today(30),
                   "--date", today(-20), "--json")
    assert as_json(opened) == {"round": "R1"}
    r1 = ok(c["intake"].call(s.office, "round.get", {"round": "R1"}))
    assert r1["stage"] == "planned" and r1["modes"] == ["cross"] and r1["planned_start"] == today(-10)
    assert sorted((t["unit"], t["coverage"]) for t in r1["targets"]) == [("U-A", "main"), ("U-B", "extended")]
    assert as_json(xcctl(s, "round", "advance", "--round", "R1", "--stage", "stationed",
                         "--date", today(-10), "--json")) == {"round": "R1", "stage": "stationed"}
    assert as_json(xcctl(s, "round", "get", "--round", "R1", "--json")) == \
        ok(c["intake"].call(s.office, "round.get", {"round": "R1"}))

    # problem report as the team (its own key), then the office classifies and reads it
    reported = as_json(xcctl(s, "problem", "report", "--round", "R1", "--unit", "U-A",
                             "--category", "public_concerns", "--summary", SUMMARY,
                             "--detail", "详见巡察底稿", "--severity", "serious",
                             "--source", "inspection_team", "--immediate", "false", "--json", key="team"))
    assert set(reported) == {"problem"} and isinstance(reported["problem"], int)
    p = reported["problem"]
    as_team = ok(c["intake"].call(s.team, "problem.get", {"problem": p}))
    assert as_team["summary"] == SUMMARY and as_team["source"] == "inspection_team"
    assert as_team["immediate"] is False and as_team["status"] == "recorded"
    done(xcctl(s, "problem", "classify", "--problem", str(p), "--dispositions",
               '[{"kind": "feedback", "timeliness": "immediate"}]'))
    got = as_json(xcctl(s, "problem", "get", "--problem", str(p), "--json"))
    assert got == ok(c["intake"].call(s.office, "problem.get", {"problem": p}))
    assert got["status"] == "classified"
    got = as_json(xcctl(s, "problem", "list", "--round", "R1", "--json"))
    assert got == ok(c["intake"].call(s.office, "problem.list", {"round": "R1"}))
    assert [x["id"] for x in got["items"]] == [p]
    # problem.list gives the category's id; xcctl names it by the deployment's intake policy
    # (here the default's name of public_concerns, docs/services/intake.md)
    assert {x["category"] for x in got["items"]} == {"public_concerns"}
    check_table(done(xcctl(s, "problem", "list")), [dict(x, category_name="群众急难愁盼") for x in got["items"]])
    # the team reads its own problem with its own key
    assert as_json(xcctl(s, "problem", "list", "--json", key="team")) == \
        ok(c["intake"].call(s.team, "problem.list", {}))

    # intake.stats is one word: the noun intake, the verb stats
    stats = as_json(xcctl(s, "intake", "stats", "--json"))
    assert stats == ok(c["intake"].call(s.office, "intake.stats", {}))
    assert stats["problems"]["total"] == 1
    assert stats["coverage"]["by_kind"]["regular"] == {"main": 1, "extended": 1}


def test_referral_verbs_as_the_office_and_the_target(suite):
    s, c = suite, clients(suite)
    p, ref, _ = world(s, c)
    got = as_json(xcctl(s, "referral", "list", "--json"))
    assert got == ok(c["referral"].call(s.office, "referral.list", {}))
    assert [(r["id"], r["kind"], r["target"], r["problem"]) for r in got["items"]] == \
        [(ref, "lead", "discipline-commission", p)]
    check_table(done(xcctl(s, "referral", "list")), got["items"])
    # the target sees it too; a unit sees nothing
    assert as_json(xcctl(s, "referral", "list", "--kind", "lead", "--json", key="discipline")) == \
        ok(c["referral"].call(s.discipline, "referral.list", {"kind": "lead"}))
    assert as_json(xcctl(s, "referral", "list", "--json", key="unit_a"))["items"] == []
    assert done(xcctl(s, "referral", "list", key="unit_a")) == "（无）\n"

    got = as_json(xcctl(s, "referral", "get", "--referral", str(ref), "--json"))
    assert got == ok(c["referral"].call(s.office, "referral.get", {"referral": ref}))
    assert got["target"] == "discipline-commission" and got["kind"] == "lead"
    # a unit may not read a lead: the service's refusal, exit 1
    r = xcctl(s, "referral", "get", "--referral", str(ref), key="unit_a")
    assert r.returncode == 1 and "referral refused referral.get: forbidden" in r.stderr, r
    stats = as_json(xcctl(s, "referral", "stats", "--json"))
    assert stats == ok(c["referral"].call(s.office, "referral.stats", {}))
    assert stats["leads"] == 1


def test_rectify_verbs_as_a_unit_principal_with_scope(suite):
    s, c = suite, clients(suite)
    _, _, item = world(s, c)
    got = as_json(xcctl(s, "rectify", "list", "--json", key="unit_a"))
    assert got == ok(c["rectify"].call(s.unit_a, "rectify.list", {}))
    assert [(i["id"], i["unit"], i["summary"]) for i in got["items"]] == [(item, "U-A", SUMMARY)]
    check_table(done(xcctl(s, "rectify", "list", key="unit_a")), got["items"])
    assert as_json(xcctl(s, "rectify", "list", "--overdue", "true", "--json", key="unit_a")) == \
        ok(c["rectify"].call(s.unit_a, "rectify.list", {"overdue": True}))

    measures = [{"text": "重新核查低保对象", "owner": "王建国", "lead_leader": "李副镇长", "deadline": today(5)},
                {"text": "=建立复核制度", "owner": "陈小明", "lead_leader": "李副镇长", "deadline": today(10)}]
    planned = as_json(xcctl(s, "rectify", "plan", "--item", str(item), "--measures",
                            json.dumps(measures, ensure_ascii=False), "--json", key="unit_a"))
    assert planned == {"item": item, "state": "planned"}
    got = as_json(xcctl(s, "rectify", "get", "--item", str(item), "--json", key="unit_a"))
    assert got == ok(c["rectify"].call(s.unit_a, "rectify.get", {"item": item}))
    assert got["state"] == "planned"
    assert [m["text"] for m in got["measures"]] == [m["text"] for m in measures]
    # the item is not in the team's scope: refused by rectify, exit 1
    r = xcctl(s, "rectify", "get", "--item", str(item), key="team")
    assert r.returncode == 1 and "rectify refused rectify.get: forbidden" in r.stderr, r
    # the same plan again is refused: the item is planned already
    r = xcctl(s, "rectify", "plan", "--item", str(item), "--measures", json.dumps(measures), key="unit_a")
    assert r.returncode == 1 and "rectify refused rectify.plan: conflict" in r.stderr, r
    assert as_json(xcctl(s, "rectify", "stats", "--json", key="unit_a")) == \
        ok(c["rectify"].call(s.unit_a, "rectify.stats", {}))


def test_notify_stats_and_the_outputs_for_people(suite):
    s, c = suite, clients(suite)
    stats = as_json(xcctl(s, "notify", "stats", "--json"))
    assert stats == ok(c["notify"].call(s.office, "notify.stats", {}))
    assert "deliveries" in stats and "by_state" in stats
    # a result that is not a list prints as member lines for people
    text = done(xcctl(s, "notify", "stats"))
    assert re.search(r"^deliveries\s+0$", text, re.M), text
    # --json anywhere on the line
    assert as_json(xcctl(s, "--json", "notify", "stats")) == stats
    assert json.loads(done(subprocess.run(
        [XCCTL, "--json", "--config", s.config_path, "--key", s.keys["office"], "notify", "stats"],
        capture_output=True, text=True, timeout=30))) == stats


# --- 2. --file, typed members, JSON values ---------------------------------------------------

def test_file_and_standard_input_give_the_data_and_options_replace_members(suite, tmp_path):
    s, c = suite, clients(suite)
    data = tmp_path / "unit.json"
    data.write_text(json.dumps({"id": "F-1", "name": "文件中的名字", "level": "town"}, ensure_ascii=False),
                    encoding="utf-8")
    assert as_json(xcctl(s, "unit", "register", "--file", str(data), "--json")) == {"unit": "F-1"}
    assert ok(c["intake"].call(s.office, "unit.get", {"unit": "F-1"}))["name"] == "文件中的名字"

    # standard input
    stdin = json.dumps({"id": "F-2", "name": "标准输入", "level": "village", "parent": "F-1"}, ensure_ascii=False)
    assert as_json(xcctl(s, "unit", "register", "--file", "-", "--json", stdin=stdin)) == {"unit": "F-2"}
    got = ok(c["intake"].call(s.office, "unit.get", {"unit": "F-2"}))
    assert (got["name"], got["level"], got["parent"]) == ("标准输入", "village", "F-1")

    # an option replaces the file's member, whether it comes after --file or before it
    assert as_json(xcctl(s, "unit", "register", "--file", str(data), "--id", "F-3", "--name", "选项优先",
                         "--json")) == {"unit": "F-3"}
    assert as_json(xcctl(s, "unit", "register", "--id", "F-4", "--level", "school", "--file", str(data),
                         "--json")) == {"unit": "F-4"}
    assert ok(c["intake"].call(s.office, "unit.get", {"unit": "F-3"}))["name"] == "选项优先"
    f4 = ok(c["intake"].call(s.office, "unit.get", {"unit": "F-4"}))
    assert (f4["name"], f4["level"]) == ("文件中的名字", "school")

    # a file that is not a JSON object is a local problem of usage, nothing is sent
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    r = xcctl(s, "unit", "register", "--file", str(bad))
    assert r.returncode == 2 and str(bad) in r.stderr, r


def test_typed_members_and_json_values(suite):
    s, c = suite, clients(suite)
    p, _, item = world(s, c)
    # --problem 7 is an integer on the wire: intake would refuse a string (schema)
    assert as_json(xcctl(s, "problem", "get", "--problem", str(p), "--json"))["id"] == p
    r = xcctl(s, "problem", "get", "--problem", str(p + 100))
    assert r.returncode == 6 and "intake refused problem.get: not_found" in r.stderr, r
    r = xcctl(s, "problem", "get", "--problem", "x")
    assert r.returncode == 2 and "--problem" in r.stderr and "'x'" in r.stderr and "integer" in r.stderr, r
    # booleans: --overdue true / false
    assert as_json(xcctl(s, "rectify", "list", "--overdue", "false", "--json"))["items"][0]["id"] == item
    r = xcctl(s, "rectify", "list", "--overdue", "yes")
    assert r.returncode == 2 and "--overdue" in r.stderr, r
    # --limit and --after are integers too
    page = as_json(xcctl(s, "unit", "list", "--limit", "2", "--json"))
    assert page == ok(c["intake"].call(s.office, "unit.list", {"limit": 2}))
    assert len(page["items"]) == 2 and page["next"] is not None
    # a JSON value that does not parse is bad usage
    r = xcctl(s, "problem", "classify", "--problem", str(p), "--dispositions", "[{\"kind\": ")
    assert r.returncode == 2 and "--dispositions" in r.stderr, r
    # --planned-start is the member planned_start; a JSON object value
    done(xcctl(s, "unit", "register", "--id", "U-X", "--name", "新单位", "--level", "other"))
    opened = xcctl(s, "round", "open", "--id", "R2", "--name", "专项巡察", "--kind", "special",
                   "--theme", "乡村振兴", "--team", "team-1", "--targets", '[{"unit": "U-X", "coverage": "main"}]',
                   "--planned-start", today(1), "--planned-end", today(20), "--json")
    assert as_json(opened) == {"round": "R2"}
    r2 = ok(c["intake"].call(s.office, "round.get", {"round": "R2"}))
    assert r2["planned_start"] == today(1) and r2["theme"] == "乡村振兴"


# --- 3. errors -----------------------------------------------------------------------------

def test_a_service_down_is_exit_3_naming_it(suite):
    s = suite
    endpoint = s.config["services"]["notify"]["api"]
    done(xcctl(s, "notify", "stats"))
    s.deployments["notify"].end_process()
    started = time.monotonic()
    r = xcctl(s, "notify", "stats")
    took = time.monotonic() - started
    assert r.returncode == 3, r
    assert r.stdout == ""
    assert f"notify at {endpoint}" in r.stderr, r.stderr
    assert "did not answer" in r.stderr and "make run" in r.stderr, r.stderr
    # the form docs/xcctl.md shows, with the default --timeout of 2000 ms
    assert r.stderr == (f"xcctl: notify at {endpoint} did not answer within 2 s; is it running?"
                        " try make run\n"), r.stderr
    assert 1.8 <= took < 6, took
    # --timeout MS bounds the wait, resends included
    started = time.monotonic()
    r = xcctl(s, "--timeout", "300", "notify", "stats")
    took = time.monotonic() - started
    assert r.returncode == 3 and "did not answer within 0.3 s" in r.stderr, r
    assert took < 1.5, took
    # the others still answer
    done(xcctl(s, "intake", "stats"))


def test_a_refusal_is_exit_1_with_the_services_code(suite):
    s = suite
    done(xcctl(s, "unit", "register", "--id", "U-A", "--name", "青石镇", "--level", "town"))
    r = xcctl(s, "unit", "register", "--id", "U-A", "--name", "青石镇", "--level", "town")
    assert r.returncode == 1, r
    assert r.stderr.startswith("xcctl: intake refused unit.register: conflict: "), r.stderr
    assert "U-A" in r.stderr
    # a role that may not: forbidden
    r = xcctl(s, "unit", "register", "--id", "U-Z", "--name", "某单位", "--level", "town", key="team")
    assert r.returncode == 1 and "intake refused unit.register: forbidden" in r.stderr, r
    # the service's schema check
    r = xcctl(s, "unit", "register", "--id", "U-Y", "--name", "某单位", "--level", "planet")
    assert r.returncode == 1 and "intake refused unit.register: schema" in r.stderr, r


def test_local_problems_are_exit_4(suite, tmp_path):
    s = suite
    stranger = xcwire.Signer("stranger", "stranger#7")
    path = str(tmp_path / "stranger.jwk")
    write_json(path, stranger.private_jwk(), 0o600)
    r = xcctl(s, "unit", "list", key=path)
    assert r.returncode == 4, r
    assert "stranger#7" in r.stderr, r.stderr
    missing = str(tmp_path / "no-such-key.jwk")
    r = xcctl(s, "unit", "list", key=missing)
    assert r.returncode == 4, r
    assert missing in r.stderr, r.stderr
    assert r.stdout == ""


def test_config_and_key_defaults(suite):
    """--config defaults to $XC_CONFIG; --key to $XC_KEY, then keys/office.jwk beside the config."""
    s = suite
    env = {k: v for k, v in os.environ.items() if k not in ("XC_CONFIG", "XC_KEY")}
    run = lambda args, extra: subprocess.run([XCCTL, *args], capture_output=True, text=True, timeout=30,
                                             env={**env, **extra}, cwd=s.folder)
    r = run(["unit", "list", "--json"], {"XC_CONFIG": s.config_path, "XC_KEY": s.keys["team"]})
    assert json.loads(done(r)) == {"items": [], "next": None}
    # XC_KEY names the team: the office's verb is refused, so the key really was the team's
    r = run(["unit", "register", "--id", "U-Q", "--name", "某镇", "--level", "town"],
            {"XC_CONFIG": s.config_path, "XC_KEY": s.keys["team"]})
    assert r.returncode == 1 and "forbidden" in r.stderr, r
    # no key named anywhere: keys/office.jwk beside the config; none there yet is exit 4
    r = run(["unit", "list"], {"XC_CONFIG": s.config_path})
    assert r.returncode == 4 and os.path.join(s.folder, "keys", "office.jwk") in r.stderr, r
    os.mkdir(os.path.join(s.folder, "keys"))
    write_json(os.path.join(s.folder, "keys", "office.jwk"), s.office.private_jwk(), 0o600)
    r = run(["--config", s.config_path, "unit", "register", "--id", "U-Q", "--name", "某镇", "--level", "town",
             "--json"], {})
    assert json.loads(done(r)) == {"unit": "U-Q"}


def test_usage_errors_and_help(suite):
    s = suite
    r = xcctl(s, "unit", "frobnicate")
    assert r.returncode == 2, r
    assert "frobnicate" in r.stderr
    for verb in ("register", "get", "list"):
        assert re.search(rf"\b{verb}\b", r.stderr), r.stderr
    assert "advance" not in r.stderr and "classify" not in r.stderr, r.stderr   # only unit's verbs

    r = xcctl(s, "unit", "register", "--help")
    assert r.returncode == 0, r
    assert r.stdout.startswith("usage: xcctl unit register ")
    for option in ("--id", "--name", "--level", "--parent"):
        assert option in r.stdout, r.stdout
    r = xcctl(s, "rectify", "plan", "--help")
    assert r.returncode == 0 and "--measures" in r.stdout, r

    r = xcctl(s, "help", "referral")
    assert r.returncode == 0, r
    for verb in ("create", "acknowledge", "dispose", "outcome", "reopen", "conclude", "extend", "get",
                 "list", "stats"):
        assert re.search(rf"\b{verb}\b", r.stdout), (verb, r.stdout)
    r = xcctl(s, "unit", "register", "--id")           # an option without its value
    assert r.returncode == 2, r


# --- 4. events -----------------------------------------------------------------------------

def event_lines(text):
    """(seq, type, rest of the line) of each event line of `xcctl events` for people."""
    out = []
    for line in text.splitlines()[1:]:
        m = re.match(r"^\s*(\d+)\s+(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)?\s+([a-z0-9_.]+)\s+(.*)$", line)
        assert m, line
        out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


def test_events_as_this_principal_may_read_them(suite):
    s, c = suite, clients(suite)
    p, _, _ = world(s, c)
    text = done(xcctl(s, "events", "intake"))
    assert re.match(r"^\s*SEQ\s+TIME\s+TYPE\s+DATA\s*$", text.splitlines()[0]), text
    lines = event_lines(text)
    entries = ok(c["intake"].call(s.office, "events.read", {"limit": 1000}))["events"]
    assert [(seq, t) for seq, t, _ in lines] == [(e["seq"], e["type"]) for e in entries]
    types = [t for _, t, _ in lines]
    assert types[:4] == ["unit.registered"] * 4 and "problem.recorded" in types
    # the data is the event's, as intake signed it
    first = json.loads(lines[0][2])["unit"]
    assert (first["id"], first["name"], first["parent"]) == ("D-1", "云溪区", None), lines[0]
    assert all("not yours" not in rest for _, _, rest in lines)

    # rectify, a service that is not one of intake's restricted readers: the restricted events
    # are listed with their seq and type but shown as not readable
    rectify_key = os.path.join(s.folder, "rectify.jwk")
    lines = event_lines(done(xcctl(s, "events", "intake", key=rectify_key)))
    assert [(seq, t) for seq, t, _ in lines] == [(e["seq"], e["type"]) for e in entries]
    restricted = {"problem.recorded", "problem.classified", "problem.referred"}
    for seq, t, rest in lines:
        if t in restricted:
            assert "not yours" in rest and SUMMARY not in rest, (seq, t, rest)
        else:
            assert "not yours" not in rest, (seq, t, rest)
    fed_back = [rest for _, t, rest in lines if t == "problem.fed_back"]
    assert len(fed_back) == 1 and json.loads(fed_back[0])["problem"] == p

    # times are local time: the deployment's utc_offset (+08:00)
    objs = [json.loads(line) for line in done(xcctl(s, "events", "intake", "--json")).splitlines()]
    tz = datetime.timezone(datetime.timedelta(hours=8))
    for line, o in zip(text.splitlines()[1:], objs):
        local = datetime.datetime.fromtimestamp(o["iat"], tz).strftime("%Y-%m-%d %H:%M:%S")
        assert local in line, (local, line)

    # --after N
    n = 5
    lines = event_lines(done(xcctl(s, "events", "intake", "--after", str(n))))
    assert [seq for seq, _, _ in lines] == [e["seq"] for e in entries if e["seq"] > n]

    # --json: one object a line
    out = done(xcctl(s, "events", "intake", "--json", key=rectify_key))
    objs = [json.loads(line) for line in out.splitlines()]
    assert [(o["seq"], o["type"]) for o in objs] == [(e["seq"], e["type"]) for e in entries]
    for o in objs:
        if o["type"] in restricted:
            assert "data" not in o and o.get("redacted") is True, o
        else:
            assert isinstance(o["data"], dict), o
    out = done(xcctl(s, "--json", "events", "intake", "--after", str(len(entries) - 1)))
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [len(entries)]

    # a unit reading referral's events: the referral is not its to read
    lines = event_lines(done(xcctl(s, "events", "referral", key="unit_a")))
    assert lines and lines[0][1] == "referral.created" and "not yours" in lines[0][2], lines


# --- 5. audit verify -------------------------------------------------------------------------

def audit_rows(text):
    lines = text.splitlines()
    names = lines[0].lower().split()
    return {row[0]: dict(zip(names, row)) for row in (line.split() for line in lines[1:])}


def tamper(s, sql, *params):
    """Stops intake, runs sql on its SQLite file, starts it again (same ports)."""
    d = s.deployments["intake"]
    assert d.end_process() == 0
    db = searchlib.connect(os.path.join(s.folder, "intake.db"))   # the search triggers' tokenizer
    try:
        n = db.execute(sql, params).rowcount
        db.commit()
    finally:
        db.close()
    assert n == 1, sql
    d.start()


def clean_audit(s, c):
    world(s, c)
    r = xcctl(s, "audit", "verify")
    assert r.returncode == 0, r
    rows = audit_rows(r.stdout)
    assert set(rows) == set(SERVICES), r.stdout
    assert all(row["result"] == "ok" for row in rows.values()), r.stdout
    assert r.stderr == ""
    report = as_json(xcctl(s, "audit", "verify", "--json"))
    assert report["failures"] == []
    assert {x["service"]: x["result"] for x in report["services"]} == {n: "ok" for n in SERVICES}
    head = ok(c["intake"].call(s.office, "events.read", {"limit": 1}))["head"]
    assert head >= 8
    return head


def test_audit_verify_names_a_changed_event(suite):
    s, c = suite, clients(suite)
    head = clean_audit(s, c)
    k = 3
    db = sqlite3.connect(os.path.join(s.folder, "intake.db"))
    message = db.execute("SELECT message FROM outbox WHERE seq = ?", (k,)).fetchone()[0]
    db.close()
    # one character of the payload (base64url text) flipped: still valid UTF-8 text
    payload = json.loads(message)["payload"]
    at = message.index(payload) + len(payload) // 2
    flipped = message[:at] + ("B" if message[at] == "A" else "A") + message[at + 1:]
    assert len(flipped) == len(message) and flipped != message
    tamper(s, "UPDATE outbox SET message = ? WHERE seq = ?", flipped, k)

    r = xcctl(s, "audit", "verify")
    assert r.returncode == 5, r
    assert f"intake seq {k}" in r.stderr, r.stderr
    named = re.findall(r"\baudit: (\w+) seq (\d+)\b", r.stderr)
    assert named == [("intake", str(k))], r.stderr          # only that event; the rest verify
    rows = audit_rows(r.stdout)
    assert rows["intake"]["result"] != "ok"
    assert all(rows[n]["result"] == "ok" for n in SERVICES if n != "intake"), r.stdout
    # only intake, by name
    r = xcctl(s, "audit", "verify", "intake")
    assert r.returncode == 5 and f"intake seq {k}" in r.stderr and set(audit_rows(r.stdout)) == {"intake"}, r
    r = xcctl(s, "audit", "verify", "referral", "rectify")
    assert r.returncode == 0 and set(audit_rows(r.stdout)) == {"referral", "rectify"}, r
    report = json.loads(xcctl(s, "audit", "verify", "--json").stdout)
    assert [(f["service"], f["seq"]) for f in report["failures"]] == [("intake", k)], report
    assert head == ok(c["intake"].call(s.office, "events.read", {"limit": 1}))["head"]


def test_audit_verify_checks_every_signature(suite):
    """An event changed and the chain recomputed after it: every link holds, only the signature
    tells, and it is the only event named."""
    s, c = suite, clients(suite)
    head = clean_audit(s, c)
    k = 2
    d = s.deployments["intake"]
    assert d.end_process() == 0
    db = sqlite3.connect(os.path.join(s.folder, "intake.db"))
    try:
        rows = db.execute("SELECT seq, message, hash FROM outbox ORDER BY seq").fetchall()
        assert [r[0] for r in rows] == list(range(1, head + 1))
        prev = bytes(rows[k - 2][2])
        for seq, message, _ in rows[k - 1:]:
            if seq == k:
                # the unit's name in the signed payload changed: 云溪区青石镇 becomes 云溪区石青镇
                outer = json.loads(message)
                body = json.loads(xcwire.unb64u(outer["payload"]))
                assert body["data"]["unit"]["name"] == "云溪区青石镇人民政府"
                body["data"]["unit"]["name"] = "云溪区石青镇人民政府"
                outer["payload"] = xcwire.b64u(json.dumps(body, ensure_ascii=False,
                                                          separators=(",", ":")).encode("utf-8"))
                message = json.dumps(outer, separators=(",", ":"))
                db.execute("UPDATE outbox SET message = ? WHERE seq = ?", (message, seq))
            prev = xcwire.chain_next(prev, message)
            db.execute("UPDATE outbox SET hash = ? WHERE seq = ?", (prev, seq))
        db.commit()
    finally:
        db.close()
    d.start()
    got = ok(c["intake"].call(s.office, "events.read", {"after": k - 1, "limit": 1}))["events"][0]
    assert "石青镇" in xcwire.unb64u(json.loads(got["message"])["payload"]).decode("utf-8")

    r = xcctl(s, "audit", "verify")
    assert r.returncode == 5, r
    named = re.findall(r"\baudit: (\w+) seq (\d+)\b", r.stderr)
    assert named == [("intake", str(k))], r.stderr
    assert "signature" in r.stderr, r.stderr


def test_audit_verify_names_a_deleted_event(suite):
    s, c = suite, clients(suite)
    head = clean_audit(s, c)
    k = 4
    tamper(s, "DELETE FROM outbox WHERE seq = ?", k)
    r = xcctl(s, "audit", "verify")
    assert r.returncode == 5, r
    # the gap is named (by the deleted seq or the one after it), and no intact event is blamed
    named = re.findall(r"\baudit: (\w+) seq (\d+)\b", r.stderr)
    assert named in ([("intake", str(k))], [("intake", str(k + 1))]), r.stderr
    rows = audit_rows(r.stdout)
    assert rows["intake"]["result"] != "ok"
    assert all(rows[n]["result"] == "ok" for n in SERVICES if n != "intake"), r.stdout
    assert head >= k + 1


# --- 6. export ---------------------------------------------------------------------------------

def read_csv(path):
    raw = open(path, "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    text = raw.decode("utf-8")[1:]
    return list(csv.reader(io.StringIO(text, newline=""))), raw


def test_export_the_three_lists_and_a_bodys_leads(suite, tmp_path):
    s, c = suite, clients(suite)
    # a second problem, for U-A too, so the lists have two items
    p, ref, item = world(s, c)
    p2 = ok(c["intake"].call(s.team, "problem.report", {
        "round": "R1", "unit": "U-A", "category": "governance", "summary": "公车私用, \"多次\"",
        "detail": "详见底稿", "severity": "general", "source": "inspection_team"}))["problem"]
    ok(c["intake"].call(s.office, "problem.classify", {"problem": p2, "dispositions": [
        {"kind": "feedback", "timeliness": "immediate"}]}))
    items = wait_for(lambda: (lambda x: x if len(x) == 2 else None)(
        list_all(c["rectify"], s.office, "rectify.list")), what="two items")
    ok(c["rectify"].call(s.unit_a, "rectify.plan", {"item": item, "measures": [
        {"text": "重新核查", "owner": "王建国", "lead_leader": "李副镇长", "deadline": today(5)},
        {"text": "=建立制度, 长效", "owner": "陈 \"小\" 明", "lead_leader": "李副镇长", "deadline": today(10)}]}))

    out = str(tmp_path / "problems.csv")
    done(xcctl(s, "export", "problems", "--out", out))
    rows, raw = read_csv(out)
    assert rows[0][:3] == ["事项编号", "问题编号", "巡察轮次"], rows[0]
    by_id = {int(r[0]): r for r in rows[1:]}
    assert sorted(by_id) == sorted(i["id"] for i in items)
    for i in items:
        r = by_id[i["id"]]
        assert int(r[1]) == i["problem"] and r[2] == i["round"] and r[3] == i["unit"], r
        assert i["summary"] in r, (i, r)
    # the file is the service's own pages, byte for byte
    whole = ok(c["rectify"].call(s.office, "rectify.export", {"list": "problems"}))["csv"]
    assert raw.decode("utf-8") == whole

    for name in ("tasks", "responsibilities"):
        out = str(tmp_path / f"{name}.csv")
        done(xcctl(s, "export", name, "--unit", "U-A", "--round", "R1", "--out", out))
        rows, raw = read_csv(out)
        assert len(rows) == 1 + 2, rows
        assert raw.decode("utf-8") == ok(c["rectify"].call(
            s.office, "rectify.export", {"list": name, "unit": "U-A", "round": "R1"}))["csv"]
    rows, _ = read_csv(str(tmp_path / "tasks.csv"))
    assert "'=建立制度, 长效" in rows[2], rows[2]
    rows, _ = read_csv(str(tmp_path / "responsibilities.csv"))
    assert "陈 \"小\" 明" in rows[2], rows[2]
    # a unit's export holds its own items only: U-B has none
    out = str(tmp_path / "none.csv")
    done(xcctl(s, "export", "problems", "--unit", "U-B", "--out", out))
    assert len(read_csv(out)[0]) == 1

    # the leads of a body, for the office
    out = str(tmp_path / "leads.csv")
    done(xcctl(s, "export", "leads", "--target", "discipline-commission", "--out", out))
    rows, _ = read_csv(out)
    leads = list_all(c["referral"], s.office, "referral.list", {"kind": "lead"})
    assert len(rows) == 1 + len(leads) == 2, rows
    row = rows[1]
    assert row[0] == str(ref) and "discipline-commission" in row and str(p) in row, row
    assert leads[0]["title"] in row and leads[0]["due"] in row, (leads, row)
    assert "详见巡察底稿" not in "".join(row)              # no lead content
    r = xcctl(s, "export", "problems")                     # --out is required
    assert r.returncode == 2, r


# --- 7. import units -------------------------------------------------------------------------

def test_import_units_names_each_bad_row_and_registers_the_rest(suite, tmp_path):
    s, c = suite, clients(suite)
    levels = ["city_department", "district", "town", "village", "soe", "school", "hospital", "other"]
    lines = ["id,name,level,parent"]
    good = {}
    lines.append("D-0,云溪区,district,")
    good["D-0"] = "云溪区"
    for i in range(1, 300):
        uid = f"C-{i:03d}"
        name = f"第{i}号单位"
        if i == 7:
            name = '青石镇,"人民"政府'               # a comma and quotes, quoted as RFC 4180 says
            lines.append(f'{uid},"青石镇,""人民""政府",town,D-0')
        else:
            lines.append(f"{uid},{name},{levels[i % len(levels)]},{'D-0' if i % 3 else ''}")
        good[uid] = name
        if i == 50:
            lines.append("B-1,,town,D-0")                # missing name
        if i == 100:
            lines.append('B-2,"青石镇人民政府,town,D-0')  # a quote that is not closed
        if i == 150:
            lines.append("C-010,重复的单位,town,")         # a duplicate id
        if i == 200:
            lines.append("B-3,某某村,village,NO-SUCH")     # a parent that does not exist
    bad = {n + 1: uid for n, line in enumerate(lines)
           for uid in ("B-1", "B-2", "C-010", "B-3") if line.startswith(uid + ",") and
           (uid != "C-010" or "重复" in line)}
    assert len(bad) == 4
    path = tmp_path / "units.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    r = xcctl(s, "import", "units", str(path), timeout=120)
    assert r.returncode == 1, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    for line_no in bad:
        said = [l for l in r.stderr.splitlines() if re.match(rf"^line {line_no}\b", l)]
        assert said, f"line {line_no} is not named on stderr:\n{r.stderr[-3000:]}"
        assert not any(re.match(rf"^line {line_no}: registered ", l) for l in said), said
    # no good line is named as refused
    refused = {int(m.group(1)) for m in re.finditer(r"^line (\d+):(?! registered )", r.stderr, re.M)}
    assert refused == set(bad), (refused, bad)
    units = {u["id"]: u for u in list_all(c["intake"], s.office, "unit.list")}
    assert len(units) == 300 and {uid: u["name"] for uid, u in units.items()} == good
    assert units["C-003"]["parent"] is None and units["C-001"]["parent"] == "D-0"
    assert not {"B-1", "B-2", "B-3"} & set(units)
    assert units["C-010"]["name"] == "第10号单位"

    # a spreadsheet's byte order mark before the header is accepted
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,name,level,parent\r\nE-1,东山街道,town,D-0\r\nE-2,西山村,village,E-1\r\n"
                     .encode("utf-8"))
    r = xcctl(s, "import", "units", str(path))
    assert r.returncode == 0, r
    e2 = ok(c["intake"].call(s.office, "unit.get", {"unit": "E-2"}))
    assert (e2["name"], e2["parent"]) == ("西山村", "E-1")
    r = xcctl(s, "import", "units", str(tmp_path / "absent.csv"))
    assert r.returncode == 4, r


# --- 8. keygen and principals ----------------------------------------------------------------

def test_a_new_principal_reports_without_a_restart_until_revoked(suite, tmp_path):
    s, c = suite, clients(suite)
    ok(c["intake"].call(s.office, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
    key = str(tmp_path / "petition.jwk")
    done(xcctl(s, "keygen", "--out", key, "--kid", "petition-bureau#2026"))
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    private = json.load(open(key))
    public = json.load(open(key + ".pub"))
    assert private["kid"] == public["kid"] == "petition-bureau#2026" and "d" in private and "d" not in public
    assert public["x"] == private["x"]

    report = ["problem", "report", "--unit", "U-A", "--category", "public_concerns", "--summary", "信访件",
              "--detail", "群众反映低保问题", "--severity", "general", "--source", "petition", "--json"]
    # not registered yet: a local problem naming the kid
    r = xcctl(s, *report, key=key)
    assert r.returncode == 4 and "petition-bureau#2026" in r.stderr, r

    done(xcctl(s, "principal", "add", "--iss", "petition-bureau", "--role", "petition",
               "--public", key + ".pub"))
    started = time.monotonic()
    got = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(xcctl(s, *report, key=key)),
                   timeout=5, what="the new principal's report")
    assert time.monotonic() - started < 5
    p = json.loads(got.stdout)["problem"]
    problem = ok(c["intake"].call(s.office, "problem.get", {"problem": p}))
    assert problem["source"] == "petition" and problem["summary"] == "信访件"
    assert all(d.proc.poll() is None for d in s.deployments.values())      # nothing restarted

    listed = as_json(xcctl(s, "principal", "list", "--json"))
    mine = [x for x in listed if x["iss"] == "petition-bureau"]
    assert len(mine) == 1 and mine[0]["role"] == "petition" and mine[0]["revoked"] is False

    done(xcctl(s, "principal", "revoke", "--iss", "petition-bureau"))
    r = wait_for(lambda: (lambda r: r if r.returncode != 0 else None)(xcctl(s, *report, key=key)),
                 timeout=5, what="the revoked principal's refusal")
    assert r.returncode == 1, r                        # refused by intake
    assert "intake refused problem.report" in r.stderr, r.stderr
    listed = as_json(xcctl(s, "principal", "list", "--json"))
    assert [x["revoked"] for x in listed if x["iss"] == "petition-bureau"] == [True]
    text = done(xcctl(s, "principal", "list"))
    check_table(text, listed, ["iss", "role", "district", "keys", "valid_until", "revoked", "scope"], office=False)
    row = [line for line in text.splitlines() if line.startswith("petition-bureau ")]
    assert len(row) == 1 and re.search(r"\btrue\b", row[0]), text


# --- 9. health ---------------------------------------------------------------------------------

def test_health_every_service_up_with_head_and_lag(suite):
    s, c = suite, clients(suite)
    world(s, c)

    # consumers catch up and timers may append events meanwhile: wait until xcctl's heads, as
    # JSON and then as a table, are the services' own read right after both, with no lag
    # anywhere (heads only grow, so the table read between shows the same)
    def settled():
        rows = json.loads(done(xcctl(s, "health", "--json")))
        table = done(xcctl(s, "health"))
        heads = {n: ok(c[n].call(s.office, "health", {}))["head"] for n in SERVICES}
        same = all(x["lag"] == 0 and x["head"] == heads[x["service"]] for x in rows)
        return (rows, table) if same else None
    rows, text = wait_for(settled, what="lag 0 everywhere and xcctl's heads those of the services")
    assert [x["service"] for x in rows] == SERVICES
    for x in rows:
        assert x["state"] == "up" and x["api"] == s.config["services"][x["service"]]["api"], x
        assert isinstance(x["commands"], int)
    assert rows[0]["head"] >= 8 and rows[0]["commands"] >= 7

    header = text.splitlines()[0].split()
    assert "HEAD" in header and "LAG" in header and "STATE" in header, text
    check_table(text, rows, [h.lower() for h in header], office=False)


def test_events_follow_shows_new_events_as_they_come_and_stops_on_ctrl_c(suite):
    s = suite
    watch = subprocess.Popen([XCCTL, "--config", s.config_path, "--key", s.keys["office"], "--json",
                              "events", "intake", "--follow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        time.sleep(0.5)                                   # watching an empty chain
        done(xcctl(s, "unit", "register", "--id", "U-F", "--name", "跟踪镇", "--level", "town"))
        deadline = time.monotonic() + 10
        seen = None
        while seen is None and time.monotonic() < deadline:
            # a bounded wait for the next line, so the test cannot hang on a silent watch
            ready, _, _ = select.select([watch.stdout], [], [], max(0.0, deadline - time.monotonic()))
            line = watch.stdout.readline() if ready else ""   # --json: one event a line
            if line:
                event = json.loads(line)
                if event["type"] == "unit.registered" and event["data"]["unit"]["id"] == "U-F":
                    seen = event
        assert seen and seen["seq"] == 1 and seen["data"]["unit"]["name"] == "跟踪镇", seen
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=5) == 0
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()
