"""xcctl at two levels (issue 20): `xcctl stats` by scope (全市, 市本级, 各区县合计, each district),
`xcctl rules` (the rules in effect for the city and a district, and why), `principal add
--district`, and the tables that name a round's owner and link and an item's 巡察机构.

Real xc-intake, xc-referral and xc-rectify (conftest.Suite) and build/bin/xcctl. The world: a
city round and two districts' rounds, fed back in 2021 (their deadline items overdue now), a
linked and a raised round; every figure is counted from what this file created.
"""

import json
import os
import subprocess

import pytest

import checks
from checks import done, ok
from conftest import REPO, Suite, key_file, running_suite, write_json

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
ENV = {k: v for k, v in os.environ.items() if k not in ("XC_CONFIG", "XC_KEY")}
SERVICES = ["intake", "referral", "rectify"]
PRINCIPALS = {"office": ("office", "office", {}), "team": ("team-1", "team", {})}
WAIT = 15.0


def xcctl(s, *args, key=None):
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", key or s.office_key, *args],
                          capture_output=True, text=True, timeout=30, env=ENV)


def wait_for(fn, what, timeout=WAIT):
    return checks.wait_for(fn, what, timeout)


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS)
    s.office_key = key_file(tmp_path, s.office)
    s.tmp = tmp_path
    yield from running_suite(s)


DISTRICTS = {"D-A": "云溪区", "D-B": "青山区"}
UNITS = [("D-A", "云溪区", "district", None), ("D-B", "青山区", "district", None),
         ("U-C", "市教育局", "city_department", None), ("U-A", "青石镇", "town", "D-A"),
         ("U-AV", "柳树村", "village", "U-A"), ("U-B", "白沙镇", "town", "D-B")]
# round, owner, targets, problems at each target
ROUNDS = [("R-C", "city", {"U-C": 1}), ("R-A", "D-A", {"U-A": 1, "U-AV": 1}), ("R-B", "D-B", {"U-B": 3})]
STAGES = [("stationed", "2021-03-10"), ("withdrawn", "2021-05-10"), ("reported", "2021-05-20"),
          ("feedback_delivered", "2021-06-01")]


def load_world(s):
    """The units, the three rounds with their problems (each fed back as a deadline item),
    a linked round of D-A with R-C and a raised round of the city over D-B's unit. Returns
    the clients and the problems by owner."""
    c = {n: s.client(n) for n in SERVICES}
    intake = c["intake"]
    for uid, name, level, parent in UNITS:
        ok(intake.call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                   **({"parent": parent} if parent else {})}))
    by_owner = {}
    for rid, owner, targets in ROUNDS:
        ok(intake.call(s.office, "round.open", {
            "id": rid, "name": f"{rid}轮巡察", "kind": "regular", "owner": owner, "team": "team-1",
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": "2021-03-01", "planned_end": "2021-05-01", "date": "2021-02-20"}))
        for stage, day in STAGES:
            ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": day}))
        for unit, n in targets.items():
            for k in range(n):
                p = ok(intake.call(s.office, "problem.report", {
                    "round": rid, "unit": unit, "category": "four_styles", "summary": f"{unit}的问题{k}",
                    "detail": "巡察底稿", "severity": "general", "source": "inspection_team",
                    "occurred_on": "2021-04-01"}))["problem"]
                ok(intake.call(s.office, "problem.classify", {"problem": p, "occurred_on": "2021-06-01",
                                                              "dispositions": [{"kind": "feedback",
                                                                                "timeliness": "deadline"}]}))
                by_owner.setdefault(owner, []).append(p)
    for rid, owner, link, target in (("R-L", "D-A", {"kind": "linked", "round": "R-C"}, "U-A"),
                                     ("R-R", "city", {"kind": "raised", "district": "D-B"}, "U-B")):
        ok(intake.call(s.office, "round.open", {
            "id": rid, "name": f"{rid}轮巡察", "kind": "regular", "owner": owner, "team": "team-1", "link": link,
            "targets": [{"unit": target, "coverage": "main"}], "planned_start": "2021-03-01",
            "planned_end": "2021-05-01", "date": "2021-02-20"}))
    total = sum(len(v) for v in by_owner.values())
    wait_for(lambda: len(ok(c["rectify"].call(s.office, "rectify.list", {}))["items"]) == total, "every item")
    return c, by_owner


def block_texts(text):
    """The report's blocks by their title (巡察工作统计：TITLE)."""
    blocks, title = {}, None
    for ln in text.splitlines():
        if ln.startswith("巡察工作统计"):
            title = ln.split("：", 1)[1] if "：" in ln else ""
            blocks[title] = []
        elif title is not None:
            blocks[title].append(ln)
    return {t: "\n".join(lines) for t, lines in blocks.items()}


def figure(text, label):
    found = [ln.split()[-1] for ln in text.splitlines() if ln.strip().startswith(label + " ")]
    assert found, (label, text)
    return found[0]


# --- stats at both levels ----------------------------------------------------------------------

def test_stats_without_owner_gives_every_scope_each_the_services_answer(suite):
    s = suite
    c, by_owner = load_world(s)
    expected = {"all": sum(len(v) for v in by_owner.values()), "city": len(by_owner["city"]),
                "district": sum(len(v) for o, v in by_owner.items() if o != "city"),
                **{d: len(by_owner[d]) for d in DISTRICTS}}
    got = json.loads(done(xcctl(s, "--json", "stats")))
    # the city as a whole at the top, in the shape of one scope's answer; the others by scope
    assert set(got) == {"filters", "intake", "referral", "rectify", "summary", "city", "district", "districts"}
    assert set(got["districts"]) == set(DISTRICTS)
    whole = {k: got[k] for k in ("filters", "intake", "referral", "rectify", "summary")}
    blocks = {"all": whole, "city": got["city"], "district": got["district"], **got["districts"]}
    for scope, block in blocks.items():
        assert block["intake"]["problems"]["total"] == expected[scope], (scope, block["intake"]["problems"])
        filters = {} if scope == "all" else {"owner": scope}
        assert block["filters"] == filters
        # each block is what each service answers to that scope, one call each
        for n in SERVICES:
            assert block[n] == ok(c[n].call(s.office, f"{n}.stats", filters)), (scope, n)
    for d, name in DISTRICTS.items():
        assert got["districts"][d]["name"] == name
    # the items are the problems fed back: overdue now, counted by the owner of their round
    assert got["district"]["rectify"]["overdue_now"] == expected["district"]
    assert got["districts"]["D-B"]["rectify"]["overdue_now"] == expected["D-B"]

    # for people: one block per scope, titled, each with its own figures and definitions
    text = done(xcctl(s, "stats"))
    texts = block_texts(text)
    titles = {"all": "全市", "city": "市本级", "district": "各区县合计", **DISTRICTS}
    assert list(texts) == [titles[k] for k in ("all", "city", "district", "D-A", "D-B")], list(texts)
    for scope, title in titles.items():
        assert figure(texts[title], "发现问题") == str(expected[scope]), (title, texts[title])
        on_time = blocks[scope]["rectify"]["definitions"]["on_time"]
        assert f"口径：{on_time}" in texts[title], title
        owner_sentence = blocks[scope]["intake"].get("definitions", {}).get("owner")
        if owner_sentence:
            assert owner_sentence in texts[title]
    assert "统计范围：巡察主体 D-A（云溪区）" in texts["云溪区"], texts["云溪区"]


def test_stats_with_owner_prints_one_block_and_keeps_the_other_filters(suite):
    s = suite
    c, by_owner = load_world(s)
    text = done(xcctl(s, "stats", "--owner", "D-B", "--year", "2021"))
    assert text.count("巡察工作统计") == 1, text
    assert figure(text, "发现问题") == str(len(by_owner["D-B"]))
    got = json.loads(done(xcctl(s, "--json", "stats", "--owner", "city", "--year", "2020")))
    assert got["filters"] == {"owner": "city", "year": 2020}
    assert got["intake"]["problems"]["total"] == 0          # every problem was found in 2021
    got = json.loads(done(xcctl(s, "--json", "stats", "--year", "2021")))
    assert got["districts"]["D-A"]["filters"] == {"owner": "D-A", "year": 2021}
    assert got["districts"]["D-A"]["intake"]["problems"]["total"] == len(by_owner["D-A"])


# --- principals of district offices ------------------------------------------------------------

def test_principal_add_for_a_district_office_and_its_own_stats(suite):
    s = suite
    _, by_owner = load_world(s)
    key = os.path.join(str(s.tmp), "qx-a.jwk")
    done(xcctl(s, "keygen", "--out", key, "--kid", "qx-a#1"))
    # the role and --district go together
    r = xcctl(s, "principal", "add", "--iss", "qx-x", "--role", "office", "--district", "D-A", "--public", key + ".pub")
    assert r.returncode == 2 and "--district is for the role district" in r.stderr, r
    r = xcctl(s, "principal", "add", "--iss", "qx-x", "--role", "district", "--public", key + ".pub")
    assert r.returncode == 2 and "needs --district" in r.stderr, r
    r = xcctl(s, "principal", "add", "--iss", "qx-x", "--role", "district", "--district", "云溪", "--public",
              key + ".pub")
    assert r.returncode == 2 and "is not an id" in r.stderr, r
    registry = json.load(open(s.registry_path))
    assert not [p for p in registry["principals"] if p["iss"] == "qx-x"], "a refused add wrote nothing"
    done(xcctl(s, "principal", "add", "--iss", "qx-a", "--role", "district", "--district", "D-A",
               "--public", key + ".pub"))
    entry = [p for p in json.load(open(s.registry_path))["principals"] if p["iss"] == "qx-a"][0]
    assert entry["role"] == "district" and entry["scope"] == {"district": "D-A"}, entry
    listed = done(xcctl(s, "principal", "list"))
    row = [ln.split() for ln in listed.splitlines() if ln.startswith("qx-a ")][0]
    assert row[:3] == ["qx-a", "district", "D-A"], listed
    assert listed.splitlines()[0].split()[:3] == ["ISS", "ROLE", "DISTRICT"]
    rows = json.loads(done(xcctl(s, "--json", "principal", "list")))
    assert [r["district"] for r in rows if r["iss"] == "qx-a"] == ["D-A"]
    assert all(r["district"] is None for r in rows if r["iss"] != "qx-a")

    # the district office's xcctl stats is its own district's block (the services allow no other)
    def own():
        r = xcctl(s, "stats", key=key)
        return r if r.returncode == 0 else None
    text = wait_for(own, "the new principal taken by the services").stdout
    assert text.count("巡察工作统计") == 1, text
    assert figure(text, "发现问题") == str(len(by_owner["D-A"])), text
    r = xcctl(s, "stats", "--owner", "D-B", key=key)
    assert r.returncode == 1 and "forbidden" in r.stderr, r


# --- tables: owner, link, 巡察机构 ----------------------------------------------------------------

def test_round_list_names_the_owner_and_the_link_in_words(suite):
    s = suite
    load_world(s)
    rows = {ln.split()[0]: ln for ln in done(xcctl(s, "round", "list")).splitlines()[1:]}
    assert "市本级" in rows["R-C"] and "市本级" in rows["R-R"], rows
    assert "云溪区" in rows["R-A"] and "青山区" in rows["R-B"], rows
    assert "联动巡察（R-C）" in rows["R-L"], rows["R-L"]
    assert "提级巡察（青山区）" in rows["R-R"], rows["R-R"]
    header = done(xcctl(s, "round", "list")).splitlines()[0]
    assert "联动类型" in header and "巡察主体" in header, header
    assert "linked" not in "".join(rows.values()) and "raised" not in "".join(rows.values())


def test_the_citys_one_overdue_list_has_the_owner_column(suite):
    s = suite
    _, by_owner = load_world(s)
    names = {"city": "市本级", **DISTRICTS}
    items = json.loads(done(xcctl(s, "--json", "rectify", "list", "--overdue", "true")))["items"]
    assert sorted(i["problem"] for i in items) == sorted(p for v in by_owner.values() for p in v)
    table = done(xcctl(s, "rectify", "list", "--overdue", "true")).splitlines()
    assert "巡察机构" in table[0].split(), table[0]

    def owners(lines):
        # each row's 巡察机构: the one owner's name it holds (no unit here is named like one)
        return sorted([n for n in names.values() if n in ln][0] for ln in lines)
    assert len(table) - 1 == len(items)
    assert owners(table[1:]) == sorted(names[o] for o, v in by_owner.items() for _ in v), table
    # narrowed to one district, or to all districts
    table = done(xcctl(s, "rectify", "list", "--overdue", "true", "--owner", "D-B")).splitlines()
    assert owners(table[1:]) == ["青山区"] * len(by_owner["D-B"]), table
    table = done(xcctl(s, "rectify", "list", "--overdue", "true", "--owner", "district")).splitlines()
    assert owners(table[1:]) == sorted(names[o] for o, v in by_owner.items() if o != "city" for _ in v), table


# --- rules in effect ---------------------------------------------------------------------------

DIRECTORY = {"office": {"name": "市委巡察办", "roles": ["office"], "principal": "office",
                        "channels": {"stream": True}}}


def rules_deployment(tmp_path, policies):
    s = Suite(str(tmp_path), ["intake", "referral", "rectify", "notify"], PRINCIPALS, policies=policies)
    s.office_key = key_file(tmp_path, s.office)
    return s


def rules(s, *args):
    return json.loads(done(xcctl(s, "--json", "rules", *args)))


def test_rules_without_overrides_are_the_codes_defaults_and_the_citys(tmp_path):
    s = rules_deployment(tmp_path, {"notify": {"directory": DIRECTORY},
                                    "rectify": {"calendar_warn_from": None, "immediate_due": "10 days"}})
    got = rules(s)
    assert got["districts"] == {}
    city = got["city"]
    assert city["rectify.immediate_due"] == {"value": "10 days", "source": "city"}
    assert city["rectify.revisit_after"]["source"] == "default"
    assert city["referral.lead_access"] == {"value": "none", "source": "default"}
    assert city["notify.directory"]["source"] == "city" and list(city["notify.directory"]["value"]) == ["office"]
    # a district named without rules of its own has the city's
    got = rules(s, "--district", "D-A")
    assert got["districts"]["D-A"] == {k: (v if k != "notify.directory" else {"value": {}, "source": "default"})
                                       for k, v in city.items()}
    text = done(xcctl(s, "rules"))
    line = [ln for ln in text.splitlines() if "rectify.immediate_due" in ln][0]
    assert line.split()[-2:] == ["10日", "全市配置"], line
    assert [ln for ln in text.splitlines() if "rectify.revisit_after" in ln][0].split()[-1] == "全市默认"


def test_rules_with_a_districts_overrides_say_which_applies_and_why(tmp_path):
    s = rules_deployment(tmp_path, {
        "notify": {"directory": DIRECTORY, "districts": {"D-A": {"directory": {
            "qx-a": {"name": "云溪区委巡察办", "roles": ["office"], "principal": "qx-a", "channels": {"stream": True}}}}}},
        "rectify": {"calendar_warn_from": None, "immediate_due": "10 days",
                    "districts": {"D-A": {"immediate_due": "7 days", "warnings": [{"colour": "red", "days_left": 5}],
                                          "regimes": {"D2023": {"plan_due": "20 days", "report_due": "3 months"}}},
                                  "D-B": {"revisit_after": "6 months"}}},
        "referral": {"due": {"lead": "2 months"}, "districts": {"D-A": {"lead_access": "status"}}}})
    got = rules(s)
    assert set(got["districts"]) == {"D-A", "D-B"}     # every district that has rules of its own
    a, b, city = got["districts"]["D-A"], got["districts"]["D-B"], got["city"]
    assert a["rectify.immediate_due"] == {"value": "7 days", "source": "district"}
    assert b["rectify.immediate_due"] == {"value": "10 days", "source": "city"}
    assert a["rectify.warnings"] == {"value": [{"colour": "red", "days_left": 5}], "source": "district"}
    assert city["rectify.warnings"]["source"] == "default" and len(city["rectify.warnings"]["value"]) == 2
    # a regime a district adds keeps the city's (the same merging as the city's own)
    assert set(a["rectify.regimes"]["value"]) == set(city["rectify.regimes"]["value"]) | {"D2023"}
    assert a["rectify.regimes"]["value"]["D2023"] == {"plan_due": "20 days", "report_due": "3 months"}
    assert b["rectify.revisit_after"] == {"value": "6 months", "source": "district"}
    assert a["rectify.revisit_after"] == city["rectify.revisit_after"]
    assert a["referral.lead_access"] == {"value": "status", "source": "district"}
    assert b["referral.lead_access"] == {"value": "none", "source": "default"}
    assert a["referral.due"]["value"]["lead"] == "2 months" and a["referral.due"]["source"] == "city"
    assert list(a["notify.directory"]["value"]) == ["qx-a"] and a["notify.directory"]["source"] == "district"
    assert list(city["notify.directory"]["value"]) == ["office"]
    assert b["notify.directory"] == {"value": {}, "source": "default"}
    # one district only
    assert set(rules(s, "--district", "D-B")["districts"]) == {"D-B"}
    # for people: each rule's city row, then each district's, with why in words
    text = done(xcctl(s, "rules", "--district", "D-A"))
    lines = [ln for ln in text.splitlines() if "rectify.immediate_due" in ln]
    assert [ln.split()[-3:] for ln in lines] == [["全市", "10日", "全市配置"], ["D-A", "7日", "区县配置"]], lines
    lead = [ln for ln in text.splitlines() if "referral.lead_access" in ln]
    assert lead[1].split()[-1] == "区县配置" and "可知悉办理状态" in lead[1], lead
    directory = [ln for ln in text.splitlines() if "notify.directory" in ln]
    assert "云溪区委巡察办（qx-a，角色 巡察办）" in directory[1] and directory[1].split()[-1] == "区县配置", directory


def test_an_override_the_services_would_refuse_is_refused(tmp_path):
    s = rules_deployment(tmp_path, {"notify": {"directory": DIRECTORY},
                                    "rectify": {"calendar_warn_from": None,
                                                "districts": {"D-A": {"immediate_due": "soon"}}}})
    r = xcctl(s, "rules")
    assert r.returncode == 4 and "policies.rectify.districts.D-A" in r.stderr and r.stdout == "", r
    s.config["policies"]["rectify"]["districts"] = {"D-A": {"grades": []}}
    write_json(s.config_path, s.config)
    r = xcctl(s, "rules")
    assert r.returncode == 4 and "grades" in r.stderr, r
    r = xcctl(s, "rules", "--district", "云溪区")
    assert r.returncode == 2 and "is not an id" in r.stderr, r
