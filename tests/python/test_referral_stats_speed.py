"""referral.stats with filters over five years of referrals answers in under 50 ms (issue 19),
and its figures are the counts of what is stored.

The store is made by the real xc-referral (its migrations), filled straight with SQLite while the
service is stopped (10,000 referrals over 2017-2021, 100 rounds, outcomes with people, sign-offs:
about ten times the source's five years), then queried through the real service. Each filter's
figures are checked against the same counts made here from the rows written."""

import os
import random
import time

import pytest

import searchlib
from conftest import Suite, running_suite

SERVICES = ["intake", "referral"]
LIMIT_MS = 50.0
CATEGORIES = [("governance", "four_styles"), ("governance", "eight_rules"), ("public_concerns", "livelihood"),
              ("public_concerns", "poverty_alleviation"), ("public_concerns", "hazardous_chemicals"),
              ("political", None)]
LEVELS = ["city_department", "district", "town", "village", "soe", "school", "hospital"]


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), SERVICES, {"office": ("office", "office", {})})
    yield from running_suite(s)


def fill(path, rng):
    """Rounds, units, referrals, outcomes, people and sign-offs: what was written, for the counts."""
    db = searchlib.connect(path)       # referrals are indexed by triggers (xc_bigram)
    rounds = []
    db.execute("INSERT INTO units (id, level) VALUES ('D1', 'district'), ('D2', 'district')")
    for n in range(100):
        year = 2017 + n // 20
        owner = "city" if n % 3 else "district"
        district = None if owner == "city" else ("D1" if n % 2 else "D2")
        kind = ["regular", "special", "mobile", "lookback"][n % 4]
        modes = ["linked"] if n % 5 == 0 else []
        rid = f"R{n}"
        rounds.append({"id": rid, "year": year, "owner": owner, "district": district, "kind": kind, "modes": modes})
        db.execute("INSERT INTO rounds (id, name, kind, owner_level, owner_district, organ, year, planned_start)"
                   " VALUES (?, ?, ?, ?, ?, '市委巡察办', ?, ?)", (rid, f"第{n}轮", kind, owner, district, year,
                                                                   f"{year}-03-01"))
        for m in modes:
            db.execute("INSERT INTO round_modes (mode, round) VALUES (?, ?)", (m, rid))
    rows = []
    for i in range(1, 10001):
        r = rng.choice(rounds) if rng.random() < 0.95 else None
        year = r["year"] if r else rng.randint(2017, 2021)
        day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        kind = rng.choices(["lead", "handover", "report"], [6, 3, 1])[0]
        top, child = rng.choice(CATEGORIES)
        path = [top] + ([child] if child else [])
        level = rng.choice(LEVELS)
        disposed = day if rng.random() < 0.8 else None
        row = {"id": i, "round": r, "year": year, "kind": kind, "path": path, "level": level, "people": [],
               "case": False, "signed": False}
        db.execute("INSERT INTO referrals (id, kind, target, problem, title, content, state, referred_on, due,"
                   " due_start, due_policy, due_explain, created_by, round, unit, unit_level, category,"
                   " category_path, last_on, applied_on, disposed_on)"
                   " VALUES (?, ?, 'body', ?, 't', '{}', ?, ?, ?, ?, '3 months', 'x', 'intake', ?, ?, ?, ?, ?, ?, ?, ?)",
                   (i, kind, i, "disposed" if disposed else "referred", day, f"{year}-12-31", day,
                    r["id"] if r else None, f"U{i % 500}", level, path[-1], str(path).replace("'", '"'), day, day,
                    disposed))
        for c in path:
            db.execute("INSERT INTO referral_categories (category, referral) VALUES (?, ?)", (c, i))
        if disposed and rng.random() < 0.7:
            row["case"] = kind == "lead" and rng.random() < 0.6
            people = [{"form": rng.randint(1, 4), "party": rng.choice([None, "warning", "expulsion"]),
                       "detained": rng.random() < 0.1} for _ in range(rng.randint(0, 3))]
            row["people"] = people
            db.execute("INSERT INTO outcomes (referral, n, case_filed, party_sanctions, administrative_sanctions,"
                       " organizational_handling, detentions, prosecution_transfers, reported_on,"
                       " institutional_measures) VALUES (?, 1, ?, ?, 0, 0, ?, 0, ?, 0)",
                       (i, int(row["case"]), sum(1 for p in people if p["party"]),
                        sum(1 for p in people if p["detained"]), day))
            for k, p in enumerate(people):
                db.execute("INSERT INTO people (referral, n, i, form, party_sanction, detained, prosecuted)"
                           " VALUES (?, 1, ?, ?, ?, ?, 0)", (i, k + 1, p["form"], p["party"], int(p["detained"])))
        if kind == "report" and rng.random() < 0.45:
            row["signed"] = True
            db.execute("INSERT INTO signatures (referral, leader_name, leader_title, signed_on, by)"
                       " VALUES (?, '张三', '市长', ?, 'office')", (i, day))
        rows.append(row)
    db.commit()
    db.close()
    return rows


def selects(row, f):
    r = row["round"]
    if any(k in f for k in ("round", "owner", "kind", "mode")) and r is None:
        return False
    return (("round" not in f or r["id"] == f["round"])
            and ("owner" not in f or f["owner"] in (r["owner"], r["district"]))
            and ("year" not in f or row["year"] == f["year"])
            and ("kind" not in f or r["kind"] == f["kind"])
            and ("mode" not in f or f["mode"] in r["modes"])
            and ("category" not in f or f["category"] in row["path"])
            and ("unit_level" not in f or row["level"] == f["unit_level"]))


def test_filtered_stats_over_five_years_are_fast_and_right(suite):
    s = suite
    d = s.deployments["referral"]
    ok(d.client().call(s.office, "referral.stats", {}))   # the store exists, migrated
    assert d.end_process() == 0
    rows = fill(os.path.join(s.folder, "referral.db"), random.Random(19))
    d.start()
    c = d.client()
    filters = [{}, {"year": 2019}, {"round": "R42"}, {"category": "governance"}, {"category": "livelihood"},
               {"owner": "district"}, {"owner": "D1", "year": 2020}, {"kind": "special", "mode": "linked"},
               {"unit_level": "village", "year": 2018}, {"owner": "city", "category": "public_concerns"}]
    for f in filters:
        ok(c.call(s.office, "referral.stats", f))            # warm: the first read of the pages
        took = []
        for _ in range(3):
            t0 = time.perf_counter()
            got = ok(c.call(s.office, "referral.stats", f))
            took.append((time.perf_counter() - t0) * 1000)
        sel = [r for r in rows if selects(r, f)]
        assert got["leads"] == sum(r["kind"] == "lead" for r in sel), f
        assert got["reports"] == sum(r["kind"] == "report" for r in sel), f
        assert got["reports_signed"] == sum(r["signed"] for r in sel), f
        assert got["cases_filed"] == sum(r["case"] for r in sel), f
        assert got["people"] == sum(len(r["people"]) for r in sel), f
        assert got["by_form"]["4"] == sum(p["form"] == 4 for r in sel for p in r["people"]), f
        assert got["sanctioned_people"] == sum(bool(p["party"]) for r in sel for p in r["people"]), f
        assert got["detentions"] == sum(p["detained"] for r in sel for p in r["people"]), f
        assert got["by_sanction"]["party"]["expulsion"] == sum(p["party"] == "expulsion" for r in sel
                                                                for p in r["people"]), f
        print(f"referral.stats {f}: {min(took):.1f} ms over {len(rows)} referrals ({len(sel)} selected)")
        if f:
            assert min(took) < LIMIT_MS, (f, took)
