"""policies.intake of issue 19 against a real xc-intake: the category tree and its names on
the events, the organs of city and district rounds, look-back additions, and a tree whose
parent comes late refused at start."""

import json
import os
import subprocess

import pytest

import xcwire
from conftest import REPO, running, write_json
from test_intake import IntakeDeployment, ack, assert_error, read_events, result

POLICY = {
    "categories": [{"id": "style", "name": "作风建设"},
                   {"id": "banquets", "name": "违规吃喝", "parent": "style"},
                   {"id": "village_banquets", "name": "村级违规吃喝", "parent": "banquets"},
                   {"id": "other", "name": "其他"}],
    "organs": {"city": "中共某市委巡察工作领导小组办公室", "district_suffix": "委巡察工作领导小组办公室"},
    "lookback_new_targets": "addition",
}


def deployment(folder, policy):
    d = IntakeDeployment(folder)
    with open(d.config_path, encoding="utf-8") as f:
        config = json.load(f)
    config["policies"] = {"intake": policy}
    write_json(d.config_path, config)
    return d


@pytest.fixture
def intake(tmp_path):
    d = deployment(str(tmp_path), POLICY)
    yield from running(d)
    assert d.stopped == 0, f"xc-intake exit status {d.stopped}"


def round_data(rid, targets, **extra):
    data = {"id": rid, "name": "第二轮巡察", "kind": "regular", "team": "team-1",
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": "2020-03-02", "planned_end": "2020-05-29", "date": "2020-02-20"}
    data.update(extra)
    return data


def events_of(intake, c, etype):
    """The verified messages of every event of etype, read by the office."""
    return [xcwire.open_message(e["message"].encode("utf-8"), intake.registry, event=True)[1]
            for e in read_events(c, intake.office) if e["type"] == etype]


def test_tree_organs_and_lookback_additions(intake):
    c = intake.client()
    for uid, name, level in (("D-1", "云溪区", "district"), ("V-1", "桃花村", "village"),
                             ("V-2", "李家村", "village")):
        ack(c.call(intake.office, "unit.register", {"id": uid, "name": name, "level": level}))
    ack(c.call(intake.office, "round.open", round_data("R-1", ["V-1"])))
    ack(c.call(intake.office, "round.open", round_data("R-2", ["V-1"], owner="D-1")))
    r1 = result(c.call(intake.office, "round.get", {"round": "R-1"}))
    r2 = result(c.call(intake.office, "round.get", {"round": "R-2"}))
    assert r1["owner"] == {"level": "city", "district": None, "organ": POLICY["organs"]["city"]}
    assert r2["owner"] == {"level": "district", "district": "D-1",
                           "organ": "云溪区委巡察工作领导小组办公室"}
    assert r1["year"] == 2020

    # a look-back's target its prior round did not inspect: accepted, marked as an addition
    ack(c.call(intake.office, "round.open",
               round_data("R-3", ["V-1", "V-2"], kind="lookback", prior_round="R-1")))
    targets = {t["unit"]: t for t in result(c.call(intake.office, "round.get", {"round": "R-3"}))["targets"]}
    assert targets["V-2"].get("addition") is True
    assert "addition" not in targets["V-1"]

    # the office loads a problem from history in the deepest category: names from the root
    pid = ack(c.call(intake.office, "problem.report", {
        "round": "R-2", "unit": "V-1", "category": "village_banquets", "summary": "村干部违规吃喝",
        "detail": "2020年4月，村委会以接待为名公款吃喝。", "severity": "general",
        "source": "inspection_team", "occurred_on": "2020-04-08"}))["problem"]
    recorded = events_of(intake, c, "problem.recorded")
    assert len(recorded) == 1
    ev = recorded[0]["data"]
    assert ev["problem"]["id"] == pid
    assert ev["category_path"] == ["style", "banquets", "village_banquets"]
    assert ev["category_name"] == "作风建设 › 违规吃喝 › 村级违规吃喝"
    assert ev["round_owner"]["district"] == "D-1" and ev["round_name"] == "第二轮巡察"
    assert ev["occurred_on"] == "2020-04-08" and ev["recorded_from_history"] is True

    # the category filter takes the subtree, in stats and lists alike
    st = result(c.call(intake.office, "intake.stats", {"category": "style", "year": 2020}))
    assert st["problems"]["total"] == 1
    assert st["problems"]["by_category_tree"] == {"style": 1, "banquets": 1, "village_banquets": 1}
    assert st["filters"] == {"category": "style", "year": 2020}
    assert result(c.call(intake.office, "intake.stats", {"category": "other"}))["problems"]["total"] == 0
    listed = result(c.call(intake.office, "problem.list", {"category": "banquets"}))
    assert [p["id"] for p in listed["items"]] == [pid]


def test_problem_categories_are_the_policys_own(intake):
    """problem.categories gives the loaded policy's categories, in its order, with their name
    paths and parents, to every role that reports or reads problems (docs/services/intake.md)."""
    c = intake.client()
    want = [{"id": "style", "name": "作风建设", "path": "作风建设", "parent": None},
            {"id": "banquets", "name": "违规吃喝", "path": "作风建设 › 违规吃喝", "parent": "style"},
            {"id": "village_banquets", "name": "村级违规吃喝",
             "path": "作风建设 › 违规吃喝 › 村级违规吃喝", "parent": "banquets"},
            {"id": "other", "name": "其他", "path": "其他", "parent": None}]
    for signer in (intake.office, intake.petition, intake.rectify):
        assert result(c.call(signer, "problem.categories", {})) == {"categories": want}
    # the public channel's principal reads nothing but public.* (issue 24)
    assert_error(c.call(intake.public, "problem.categories", {}), "forbidden")
    assert_error(c.call(intake.office, "problem.categories", {"category": "style"}), "schema")


def test_problem_categories_default_to_the_domains(tmp_path):
    d = IntakeDeployment(str(tmp_path))
    for _ in running(d):
        got = result(d.client().call(d.office, "problem.categories", {}))["categories"]
        assert [g["id"] for g in got][:4] == ["political", "governance", "four_styles", "eight_rules"]
        assert len(got) == 12
        four = got[2]
        assert four == {"id": "four_styles", "name": "四风", "path": "全面从严治党 › 四风",
                        "parent": "governance"}


def test_a_parent_after_its_child_stops_the_service(tmp_path):
    d = deployment(str(tmp_path), {"categories": [{"id": "child", "name": "子类", "parent": "top"},
                                                  {"id": "top", "name": "大类"}]})
    binary = os.path.join(REPO, "build", "bin", "xc-intake")
    proc = subprocess.run([binary, "--config", d.config_path, "--test-mode"], capture_output=True,
                          text=True, timeout=20)
    assert proc.returncode != 0
    assert "policies.intake.categories" in proc.stderr + proc.stdout
    assert "'top'" in proc.stderr + proc.stdout
