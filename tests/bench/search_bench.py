#!/usr/bin/env python3
"""search: issue 25's full-text search (problem.search, intake's problem_search FTS5 table with
the xc_bigram tokenizer) through the real xc-intake, at the five years' size and at 1,000,000.

    search_5y_p50, search_5y_p99: real xc-intake, xc-referral and xc-rectify (build/bin) from empty
    stores, as stats_bench.py makes them, then `build/bin/xcctl simulate --profile changzhou-5y`
    (20,459 problems). A fixed query set (seeded, so the same every run) drawn from what is in
    the store after the simulation: unit names whole and in part, the districts', villages' and
    towns' names, the problems' own words and numbers, 公车 and 三资, terms of 1, 2 and 3+
    characters and Latin/digit words, alone, two at a time, and with the filters (round, owner,
    unit, category, year, state); SEARCHES_5Y queries sent one at a time by the office over a
    connection already up (Python client, signed frames), each timed from send to verified reply.
    Floor: `health` the same way, interleaved one for one, in the same run. Goal p99 < 20 ms.
    Every answer is checked: a result must contain every term (in its summary, detail or one of
    its unit's names, as the tokenizer defines a match) and satisfy the filters; an unfiltered
    count must equal the matches counted here from the store's own rows.
    search_5y_rectify_p50, search_5y_rectify_p99: rectify.search the same way over the same run's
    rectification items (not in tiny: no items without the simulation's feedback).
    search_1m_p50, search_1m_p99: 1,000,000 problems (tiny: 2,000) of generated text (a vocabulary
    of inspection findings, units, villages, titles, amounts; stats_bench.py's 200 rounds and
    2,000 units, but in order of time: a round's problems one stretch of ids, as reported) inserted straight with SQLite into a store the real xc-intake made, on a connection
    with tests/python/searchlib.py's xc_search.so loaded so that the store's own triggers index
    each row in its transaction (in batches, searchlib.insert_many through stats_bench's
    insert_rows); then xc-intake restarted on it and SEARCHES_1M queries from the
    vocabulary sent the same way. Floor: health. Goal p99 < 100 ms. Also printed: the load's
    rows/s (with the index kept by the triggers) and the index's size on disk (dbstat: every
    page of the problem_search table's shadow tables).
    search_100k_rectify_p50, search_100k_rectify_p99 (and _unit_): 100,000 rectification items of
    the same generated text (one in four with a measure), 200 rounds in order of time, inserted
    straight into a store the real xc-rectify made (its triggers indexing each row), xc-rectify
    restarted on it, SEARCHES_100K rectify.search queries from the vocabulary (a third with a
    round or unit filter) by the office, then the same by a unit principal (its unit's 48 items:
    the narrow reader); every result checked against the store. Not in tiny. Alone:
    the_100k_rectify(folder, wrong); XC_SEARCH_BENCH_100K=0 leaves it out.
    XC_BENCH_TINY=1: no simulation (no smaller profile exists): the 5y figures over a few units
    and problems reported here through problem.report with the generated text.
Exit status 1 when a command fails, an answer is wrong, or a service died.
"""

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (REPO, TINY, bench, comment, load_average, percentile,  # noqa: E402
                      report_wrong, run_suite_bench)
import xcwire  # noqa: E402  (tests/python, on the path benchlib set)

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
PROFILE = "changzhou-5y"
SEARCHES_5Y = 240
SEARCHES_1M = 60 if TINY else 240
SEED = 25

# --- the generated text: a vocabulary of what inspection tours find ----------------------------

TOWNS = ["天目湖镇", "湖塘镇", "牛塘镇", "礼嘉镇", "洛阳镇", "雪堰镇", "前黄镇", "嘉泽镇", "横山桥镇", "郑陆镇",
         "罗溪镇", "孟河镇", "薛家镇", "西夏墅镇", "奔牛镇", "邹区镇", "茅山镇", "薛埠镇", "指前镇", "朱林镇",
         "直溪镇", "儒林镇", "金城镇", "社渚镇", "上兴镇", "竹箦镇", "戴埠镇", "别桥镇", "南渡镇", "埭头镇"]
SURNAMES = ["张", "王", "李", "赵", "陈", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭", "何", "高", "林", "罗",
            "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "蒋"]
VILLAGE_ENDS = ["家村", "庄村", "塘村", "桥村", "巷村", "湾村", "墅村", "圩村"]
DEPARTMENTS = ["交通运输局", "财政局", "住房和城乡建设局", "自然资源和规划局", "生态环境局", "农业农村局", "水利局",
               "卫生健康委员会", "教育局", "民政局", "人力资源和社会保障局", "市场监督管理局", "应急管理局", "审计局",
               "商务局", "文化广电和旅游局", "城市管理局", "国有资产监督管理委员会", "公安局", "司法局"]
SOES = ["城建集团", "交通产业集团", "文化旅游集团", "投资集团", "燃气有限公司", "公共交通集团", "水务集团"]
TITLES = ["党委书记", "党支部书记", "村支书", "村委会主任", "局长", "副局长", "财务人员", "会计", "出纳",
          "总经理", "办公室主任", "分管领导", "项目负责人", "校长", "院长"]
# (category, weight, phrases): a weight is how often the finding comes up
FINDINGS = [
    ("eight_rules", 9, ["违规使用公车", "公车私用", "超标准公务接待", "违规发放津贴补贴", "违规收受礼品礼金",
                        "公款吃喝", "借培训名义公款旅游"]),
    ("receivables", 7, ["村级三资管理不规范", "三资台账不清", "集体资产出租未公开招标", "集体资金坐收坐支",
                        "应收账款清收不力", "资产资源底数不清"]),
    ("governance", 8, ["履行全面从严治党主体责任不到位", "第一责任人职责落实不到位", "监督责任落实不力",
                       "廉政风险防控机制不健全"]),
    ("four_styles", 6, ["形式主义官僚主义问题突出", "文山会海仍然存在", "调查研究走过场", "检查考核过多过频"]),
    ("organization", 6, ["选人用人程序不规范", "干部档案管理混乱", "基层党组织软弱涣散", "三会一课制度落实不到位",
                         "党员发展程序不规范"]),
    ("ideology", 3, ["意识形态工作责任制落实不到位", "理论学习中心组学习流于形式"]),
    ("livelihood", 5, ["群众反映强烈的问题解决不及时", "惠民资金发放不及时", "低保审核把关不严", "拆迁安置补偿不公开"]),
    ("poverty_alleviation", 3, ["扶贫资金拨付滞后", "帮扶项目效益不高"]),
    ("hazardous_chemicals", 2, ["危化品企业安全检查流于形式", "危化品仓储台账缺失"]),
    ("rectification", 4, ["上轮巡察反馈问题整改不到位", "整改措施空泛", "整改销号把关不严"]),
    ("political", 4, ["贯彻落实上级决策部署打折扣", "重大事项请示报告不及时"]),
    ("public_concerns", 3, ["村干部违规插手工程项目", "工程项目未经招投标", "财务报销审核不严"]),
]
# the words a person looks findings up by (of 2 and of 3+ characters), and single characters
WORDS_2 = ["公车", "三资", "台账", "招标", "接待", "津贴", "礼金", "公款", "旅游", "档案", "扶贫", "低保", "拆迁",
           "整改", "销号", "工程", "报销", "资产", "资金", "党员", "干部", "考核", "培训", "补偿", "凭证", "仓储"]
WORDS_3 = ["危化品", "村干部", "形式主义", "官僚主义", "选人用人", "工程项目", "财务报销", "集体资产", "应收账款",
           "主体责任", "意识形态", "三会一课", "八项规定", "公务接待", "惠民资金", "中心小学", "人民政府",
           "津贴补贴", "招投标", "软弱涣散", "第一责任人", "巡察反馈"]
WORDS_1 = ["村", "镇", "局", "张", "王", "陈", "车", "账", "税"]
DETAILS = ["经查，{title}{finding}，涉及金额{amount}万元。", "{place}存在{finding}的情况，群众反映较多。",
           "抽查{year}年凭证{n}份，发现{finding}，{title}负有直接责任。", "{finding}问题长期存在，整改未见成效。",
           "巡察组走访{place}，了解到{title}{finding}。"]


def village_name(i):
    return f"{TOWNS[i % len(TOWNS)]}{SURNAMES[(i // len(TOWNS)) % len(SURNAMES)]}{VILLAGE_ENDS[(i // 7) % len(VILLAGE_ENDS)]}"


def unit_name(i):
    """The name of generated unit i: a village one in two, else a town, a department or a company."""
    k = i % 4
    if k in (0, 1):
        return village_name(i)
    if k == 2:
        return f"{TOWNS[i % len(TOWNS)]}人民政府" if i % 8 == 2 else f"常州市{DEPARTMENTS[i % len(DEPARTMENTS)]}"
    return f"常州{SOES[i % len(SOES)]}" if i % 8 == 3 else f"{TOWNS[i % len(TOWNS)]}中心小学"


def problem_text(rng, unit_i):
    """(category, summary, detail) of a generated finding at unit_i."""
    cat, _, phrases = rng.choices(FINDINGS, weights=[f[1] for f in FINDINGS])[0]
    finding = rng.choice(phrases)
    title = rng.choice(TITLES)
    place = village_name(rng.randrange(4000))
    summary = f"{title}{finding}" if rng.random() < 0.6 else f"{unit_name(unit_i)}{finding}"
    detail = rng.choice(DETAILS).format(title=title, finding=finding, amount=f"{rng.randrange(1, 5000) / 10:.1f}",
                                        place=place, year=rng.randrange(2015, 2022), n=rng.randrange(20, 400))
    if rng.random() < 0.3:
        cat2, _, phrases2 = rng.choices(FINDINGS, weights=[f[1] for f in FINDINGS])[0]
        detail += f"另发现{rng.choice(phrases2)}。"
    return cat, summary, detail


# --- what a match is, by definition (docs/services/intake.md "Search"; common/search.h) --------

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def term_matches(term, texts):
    """Whether a search term matches one of texts, as a person means it: the term's text in
    one of them, case folded, where a Latin or digit run at either end of the term is a whole
    word (xc_bigram makes one token of a run of letters and digits; CJK characters are found
    anywhere, a term of 2+ as the phrase of its bigrams, one character as every token it begins)."""
    t = term.lower()
    rx = re.compile((r"(?<![a-z0-9])" if re.match(r"[a-z0-9]", t) else "") + re.escape(t) +
                    (r"(?![a-z0-9])" if re.search(r"[a-z0-9]$", t) else ""))
    return any(rx.search(x.lower()) for x in texts if x)


def all_match(terms, texts):
    return all(term_matches(t, texts) for t in terms)


# --- timing --------------------------------------------------------------------------------------

def timed_searches(client, signer, queries, check, wrong, timeout=60, service="intake", query="problem.search"):
    """Sends each query (a problem.search data) then a health, one at a time: (search ms, health
    ms). check(query, data) returns what is wrong with an answer, or None."""
    search_ms, health_ms, bad = [], [], 0
    for q in queries:
        for kind, data, out in ((query, q, search_ms), ("health", {}, health_ms)):
            frame, body = xcwire.seal(signer, service, kind, data)
            t = time.monotonic()
            reply = client.request(frame, body, timeout=timeout)
            out.append((time.monotonic() - t) * 1000.0)
            if reply["type"] != "result":
                wrong.append(f"{kind} {json.dumps(data, ensure_ascii=False)}: {reply['type']} {reply['data']}")
                return search_ms, health_ms
            if kind == query:
                why = check(q, reply["data"])
                if why:
                    bad += 1
                    if bad <= 5:
                        wrong.append(f"{query} {json.dumps(q, ensure_ascii=False)}: {why}")
    return search_ms, health_ms


def shape_summary(queries, ms):
    """The p50/p99/max by query shape (terms' lengths, filtered or not): where the tail is."""
    groups = {}
    for q, v in zip(queries, ms):
        terms = q["q"].split()
        n = min(len(t) for t in terms)
        shape = ("1" if n == 1 else "2" if n == 2 else "3+") + ("x2" if len(terms) > 1 else "") + \
            ("+filter" if len(q) > 1 else "")
        groups.setdefault(shape, []).append(v)
    return "; ".join(f"{k} n={len(v)} p50 {percentile(v, 50):.1f} p99 {percentile(v, 99):.1f} max {max(v):.1f}"
                     for k, v in sorted(groups.items()))


class Store:
    """What the checks need of intake's store, read once (read-only, beside the running
    service): each problem's texts (summary, detail, every name its unit has had), unit, round,
    category, status, found_on; each round's owner and year."""

    def __init__(self, db):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            names = {}
            for unit, name in con.execute("SELECT unit, name FROM unit_names"):
                names.setdefault(unit, []).append(name)
            self.unit_names = names
            self.rounds = {r: (owner, year) for r, owner, year in
                           con.execute("SELECT id, owner_district, year FROM rounds")}
            self.problems = {}
            for pid, rnd, unit, cat, status, found_on, summary, detail in con.execute(
                    "SELECT id, round, unit, category, status, found_on, summary, detail FROM problems"):
                self.problems[pid] = (rnd, unit, cat, status, found_on, [summary, detail] + names.get(unit, []))
        finally:
            con.close()

    def matches(self, terms):
        return sum(1 for p in self.problems.values() if all_match(terms, p[5]))


def make_check(store, subtree, count_max=10000):
    """The check of one problem.search answer against the store (see the module's comment)."""

    def check(q, got):
        terms = q["q"].split()
        for r in got.get("results", []):
            p = store.problems.get(int(r["id"]))
            if p is None:
                return f"result {r['id']} is no problem of the store"
            rnd, unit, cat, status, found_on, texts = p
            if not all_match(terms, texts):
                return f"result {r['id']} does not contain every term of {q['q']!r}: {texts}"
            owner, year = store.rounds.get(rnd, (None, None))
            if ("round" in q and rnd != q["round"]) or ("unit" in q and unit != q["unit"]) \
                    or ("state" in q and status != q["state"]) \
                    or ("category" in q and cat not in subtree.get(q["category"], {q["category"]})) \
                    or ("owner" in q and rnd is None) \
                    or ("owner" in q and (owner or "city") != q["owner"]) \
                    or ("year" in q and q["year"] not in (year, int((found_on or "0")[:4]))):
                return f"result {r['id']} ({rnd}, {unit}, {cat}, {status}, {found_on}) is outside the filters"
            if not (isinstance(r.get("title"), list) and isinstance(r.get("snippet"), list)):
                return f"result {r['id']} has no segments: {r}"
        if not isinstance(got.get("count"), int) or got["count"] < len(got.get("results", [])):
            return f"count {got.get('count')} for {len(got.get('results', []))} results"
        if len(q) == 1:
            want = store.matches(terms)
            if got["count"] != min(want, count_max) or got["count_capped"] != (want > count_max):
                return f"count {got['count']} (capped {got['count_capped']}), by definition {want}"
        return None
    return check


def categories_subtree(client, signer):
    """Each category id -> itself and every category under it (problem.categories)."""
    reply = client.call(signer, "problem.categories", {})
    if reply["type"] != "result":
        raise RuntimeError(f"problem.categories: {reply}")
    parent = {c["id"]: c["parent"] for c in reply["data"]["categories"]}
    out = {}
    for c in parent:
        p = c
        while p is not None:
            out.setdefault(p, set()).add(c)
            p = parent.get(p)
    return out


def query_set_5y(store, n, rng):
    """n problem.search data drawn from what is in the store: terms of 1, 2 and 3+ characters
    and Latin/digit words from the units' names and the problems' texts, 公车 and 三资, alone
    and two at a time, a third of them with one or two filters."""
    names = sorted({nm for ns in store.unit_names.values() for nm in ns})
    texts = [p[5][0] for p in store.problems.values()] + [p[5][1] for p in store.problems.values()]
    sample = rng.sample(texts, min(len(texts), 400))
    cjk_runs = [m for t in sample + names for m in re.findall(CJK.pattern + "+", t)]
    words = sorted({m for t in sample + names for m in re.findall(r"[A-Za-z0-9]+", t)})
    pools = {
        "name": names,
        "1": sorted({c for run in cjk_runs for c in run}),
        "2": sorted({run[i:i + 2] for run in cjk_runs for i in range(len(run) - 1)}) + WORDS_2[:6],
        "3+": sorted({run[i:i + k] for run in cjk_runs for k in (3, 4) for i in range(len(run) - k + 1)}),
        "word": words or ["2020"],
    }
    rounds = sorted(r for r in store.rounds)
    units = sorted(store.unit_names)
    owners = ["city"] + sorted({o for o, _ in store.rounds.values() if o})
    years = sorted({y for _, y in store.rounds.values() if y}) or [2020]
    cats = sorted({p[2] for p in store.problems.values()})
    kinds = ["name", "name", "1", "2", "2", "3+", "3+", "word"]
    out = []
    for i in range(n):
        terms = [rng.choice(pools[rng.choice(kinds)])]
        if i % 5 == 4:
            terms.append(rng.choice(pools[rng.choice(kinds)]))
        q = {"q": " ".join(terms)}
        if i % 3 == 2:
            for f in rng.sample(["round", "owner", "unit", "category", "year", "state"], 1 + (i % 2)):
                q[f] = {"round": lambda: rng.choice(rounds) if rounds else None,
                        "owner": lambda: rng.choice(owners),
                        "unit": lambda: rng.choice(units),
                        "category": lambda: rng.choice(cats),
                        "year": lambda: rng.choice(years),
                        "state": lambda: rng.choice(["recorded", "classified", "merged"])}[f]()
            q = {k: v for k, v in q.items() if v is not None}
        out.append(q)
    return out


def run_5y(folder, wrong, holder):
    """search_5y_*: the simulation's store, the query set from it, timed against health."""
    from conftest import Suite, key_file, profile_policies, write_json     # imports pytest: only here

    services = ["intake", "referral", "rectify"]
    suite = holder["suite"] = Suite(folder, services,
                                    {"office": ("office", "office", {}),
                                     "petition": ("petition-bureau", "petition", {})},
                                    profile_policies(PROFILE, services))
    suite.config["limits"] = {}      # the deployment's defaults, as make run has them
    write_json(suite.config_path, suite.config)
    key = key_file(folder, suite.office)
    suite.start()
    intake = suite.client("intake")
    if TINY:
        rng = random.Random(SEED)
        for u in range(8):
            reply = intake.call(suite.office, "unit.register", {"id": f"U{u}", "name": unit_name(u), "level": "town"})
            if reply["type"] != "ack":
                raise RuntimeError(f"unit.register: {reply}")
        for i in range(40):
            cat, summary, detail = problem_text(rng, i % 8)
            reply = intake.call(suite.petition, "problem.report",
                                {"unit": f"U{i % 8}", "category": cat, "summary": summary, "detail": detail,
                                 "severity": "general", "source": "petition"})
            if reply["type"] != "ack":
                raise RuntimeError(f"problem.report: {reply}")
        comment(f"search_5y tiny: no simulation (no smaller profile than {PROFILE}); 8 units and 40 problems "
                f"of generated text reported here")
        want = 40
    else:
        t = time.monotonic()
        r = subprocess.run([XCCTL, "--config", suite.config_path, "--key", key, "--timeout", "60000",
                            "simulate", "--profile", PROFILE], cwd=REPO, capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError(f"xcctl simulate exit {r.returncode}: {r.stdout[-500:]} {r.stderr[-1500:]}")
        comment(f"xcctl simulate --profile {PROFILE}: {time.monotonic() - t:.1f} s")
        with open(os.path.join(REPO, "config", "profiles", f"{PROFILE}.json"), encoding="utf-8") as f:
            want = json.load(f)["problems"]
    store = Store(os.path.join(folder, "intake.db"))
    if len(store.problems) != want:
        wrong.append(f"intake's store holds {len(store.problems)} problems, not {want}")
    queries = query_set_5y(store, SEARCHES_5Y, random.Random(SEED))
    check = make_check(store, categories_subtree(intake, suite.office))
    timed_searches(intake, suite.office, queries[:10], lambda q, got: None, wrong)   # warm: pages in the cache
    load_before = load_average()
    search_ms, health_ms = timed_searches(intake, suite.office, queries, check, wrong)
    if len(search_ms) != len(queries):
        return
    if suite.deployments["intake"].proc.poll() is not None:
        wrong.append(f"xc-intake died:\n{suite.deployments['intake'].log_tail(20)}")
    comment(f"load average before the searches {load_before}, after {load_average()} (others share the machine)")
    comment(f"search_5y: {len(queries)} problem.search queries over {len(store.problems)} problems by the office, "
            f"one at a time over a connection up, each then a health; every answer checked; by shape: "
            f"{shape_summary(queries, search_ms)}")
    slow = sorted(zip(search_ms, queries), key=lambda x: -x[0])[:3]
    comment("search_5y slowest: " + "; ".join(f"{ms:.1f} ms {json.dumps(q, ensure_ascii=False)}" for ms, q in slow))
    bench("search_5y_p50", percentile(search_ms, 50), "ms", percentile(health_ms, 50))
    bench("search_5y_p99", percentile(search_ms, 99), "ms", percentile(health_ms, 99))
    if TINY:
        comment("search_5y_rectify: not in tiny (items come from the simulation's feedback)")
    else:
        rectify_5y(suite, os.path.join(folder, "rectify.db"), wrong)


def rectify_5y(suite, db, wrong):
    """search_5y_rectify_*: rectify.search over the same run's rectification items, the query
    set drawn the same way from rectify's store (items' summary, detail, measures and unit
    names: its view item_search_text, what its triggers index), checked the same way."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        items = {i: (rnd, unit, state, [a, b, c, d]) for i, rnd, unit, state, a, b, c, d in con.execute(
            "SELECT t.id, i.round, i.unit, i.state, t.summary, t.detail, t.measures, t.unit_names"
            " FROM item_search_text t JOIN items i ON i.id = t.id")}
    finally:
        con.close()
    if not items:
        wrong.append("rectify's store holds no item to search")
        return
    # the query set: Store's shape (texts; unit names from the indexed column) for query_set_5y
    store = Store.__new__(Store)
    store.unit_names = {u: t[3].split("；") for _, u, _, t in items.values()}
    store.rounds = {r: (None, None) for r, _, _, _ in items.values() if r}
    store.problems = {i: (r, u, "", st, None, t) for i, (r, u, st, t) in items.items()}
    rng = random.Random(SEED + 2)
    queries = []
    for q in query_set_5y(store, SEARCHES_5Y, rng):
        q.pop("owner", None), q.pop("category", None), q.pop("year", None)
        if "state" in q:
            q["state"] = rng.choice(["opened", "planned", "claimed", "reopened", "closed"])
        queries.append(q)

    def check(q, got):
        terms = q["q"].split()
        for r in got.get("results", []):
            it = items.get(int(r["id"]))
            if it is None or r.get("kind") != "item":
                return f"result {r.get('kind')} {r['id']} is no item of the store"
            if not all_match(terms, it[3]):
                return f"result {r['id']} does not contain every term of {q['q']!r}: {it[3]}"
            if ("round" in q and it[0] != q["round"]) or ("unit" in q and it[1] != q["unit"]) \
                    or ("state" in q and it[2] != q["state"]):
                return f"result {r['id']} ({it[0]}, {it[1]}, {it[2]}) is outside the filters"
        if got["count"] < len(got["results"]):
            return f"count {got['count']} for {len(got['results'])} results"
        if len(q) == 1:
            want = sum(1 for it in items.values() if all_match(terms, it[3]))
            if got["count"] != min(want, 10000) or got["count_capped"] != (want > 10000):
                return f"count {got['count']} (capped {got['count_capped']}), by definition {want}"
        return None

    client = suite.client("rectify")
    timed_searches(client, suite.office, queries[:10], lambda q, got: None, wrong, service="rectify",
                   query="rectify.search")
    search_ms, health_ms = timed_searches(client, suite.office, queries, check, wrong, service="rectify",
                                          query="rectify.search")
    if len(search_ms) != len(queries):
        return
    comment(f"search_5y_rectify: {len(queries)} rectify.search queries over {len(items)} items by the office, "
            f"the same way; every answer checked; by shape: {shape_summary(queries, search_ms)}")
    bench("search_5y_rectify_p50", percentile(search_ms, 50), "ms", percentile(health_ms, 50))
    bench("search_5y_rectify_p99", percentile(search_ms, 99), "ms", percentile(health_ms, 99))


# --- 1,000,000 problems ----------------------------------------------------------------------------

MILLION = 2000 if TINY else 1_000_000


def query_set_1m(n, rng, n_rounds, n_units, years, cats):
    """n problem.search data from the generated text's vocabulary: whole findings, words of 2
    and 3+ characters (公车, 三资 among them), single characters, titles, towns, villages and
    units by name, one in five two terms at a time, a third with filters."""
    pools = {"phrase": [p for f in FINDINGS for p in f[2]], "2": WORDS_2, "3": WORDS_3, "1": WORDS_1,
             "title": TITLES, "town": TOWNS, "village": [village_name(i) for i in range(4000)],
             "unit": [unit_name(i) for i in range(n_units)]}
    kinds = ["phrase", "2", "2", "3", "1", "title", "town", "village", "village", "unit"]
    out = []
    for i in range(n):
        terms = [rng.choice(pools[rng.choice(kinds)])]
        if i % 5 == 4:
            terms.append(rng.choice(pools[rng.choice(kinds)]))
        q = {"q": " ".join(terms)}
        if i % 3 == 2:
            for f in rng.sample(["round", "owner", "unit", "category", "year"], 1 + (i % 2)):
                q[f] = {"round": lambda: f"BR{rng.randrange(n_rounds):04d}",
                        "owner": lambda: "city",
                        "unit": lambda: f"BU{rng.randrange(n_units):05d}",
                        "category": lambda: rng.choice(cats),
                        "year": lambda: rng.choice(years)}[f]()
        out.append(q)
    return out


def index_bytes(con, table):
    """The bytes on disk of an FTS5 table's shadow tables and their indexes (dbstat)."""
    return con.execute("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ? ESCAPE '\\' OR name IN"
                       " (SELECT name FROM sqlite_master WHERE tbl_name LIKE ? ESCAPE '\\')",
                       (table + "\\_%", table + "\\_%")).fetchone()[0]


def the_million(folder, wrong):
    """Makes intake's store with the real binary, fills it straight with SQLite (the triggers
    indexing each row), restarts xc-intake on it and times problem.search."""
    from conftest import Suite, write_json
    import searchlib
    from stats_bench import (CATEGORIES, KINDS, LEVELS, N_ROUNDS, N_UNITS, TARGETS_PER_ROUND, YEARS,
                             insert_rows)

    suite = Suite(folder, ["intake"], {"office": ("office", "office", {}), "team": ("team-1", "team", {})})
    suite.config["limits"] = {}
    write_json(suite.config_path, suite.config)
    suite.start()
    suite.stop()                      # its migrations made the store; now filled from outside
    db = os.path.join(folder, "intake.db")
    con = searchlib.connect(db)
    con.isolation_level = None
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'problem_search'").fetchone():
        raise RuntimeError("intake's store has no problem_search table")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")       # 256 MiB while loading
    t0 = time.monotonic()
    con.execute("BEGIN")
    units = [{"id": f"BU{u:05d}", "name": unit_name(u), "level": LEVELS[u % len(LEVELS)], "parent": None,
              "registered_on": "2016-12-01"} for u in range(N_UNITS)]
    insert_rows(con, "units", units, units[0])
    names = [{"unit": u["id"], "seq": 0, "name": u["name"], "from_on": u["registered_on"]} for u in units]
    insert_rows(con, "unit_names", names, names[0])
    rounds, targets = [], []
    per_year = N_ROUNDS // len(YEARS)
    for r in range(N_ROUNDS):
        year = YEARS[r // per_year]          # rounds in order of time, as problems' ids are
        kind = KINDS[r % len(KINDS)]
        rounds.append({"id": f"BR{r:04d}", "name": f"基准第{r}轮", "kind": kind,
                       "theme": "专项" if kind == "special" else None,
                       "prior_round": f"BR{r - 1:04d}" if kind == "lookback" else None,
                       "modes": "[]", "audit_ref": None, "team": "team-1",
                       "planned_start": f"{year}-{1 + (r % per_year) * 12 // per_year:02d}-01",
                       "planned_end": f"{year}-12-31",
                       "stage": "closed", "stage_index": 8, "year": year, "organ": "市委巡察办",
                       "owner_district": None if r % 3 else f"BU{(r * 8 + 1) % N_UNITS:05d}"})
        for k in range(TARGETS_PER_ROUND):
            targets.append({"round": f"BR{r:04d}", "unit": f"BU{(r * TARGETS_PER_ROUND + k) % N_UNITS:05d}",
                            "coverage": "main" if k % 3 else "extended"})
    insert_rows(con, "rounds", rounds, rounds[0])
    insert_rows(con, "round_targets", targets, targets[0])
    rng = random.Random(SEED)

    def problem(i):
        # ids grow with time as in service: a round's problems are reported during it, so they
        # are one stretch of ids (stats_bench.py deals them out round-robin instead)
        r = (i - 1) * N_ROUNDS // MILLION
        year = YEARS[r // per_year]
        unit = (r * TARGETS_PER_ROUND + i % TARGETS_PER_ROUND) % N_UNITS
        cat, summary, detail = problem_text(rng, unit)
        return {"id": i, "round": f"BR{r:04d}", "unit": f"BU{unit:05d}", "category": cat, "summary": summary,
                "detail": detail, "severity": "general", "source": "inspection_team", "immediate": int(i % 10 == 0),
                "evidence": "[]", "reporter": None, "reported_by": "team-1", "reported_at": 1_500_000_000_000 + i,
                "status": "classified", "merged_into": None, "feedback": None, "fed_back_on": None,
                "found_on": f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}", "classified_on": f"{year}-12-01",
                "unit_level": LEVELS[unit % len(LEVELS)]}
    # the problems' B-tree indexes dropped for the load and made again from their SQL (as
    # stats_bench.py); the triggers stay: problem_search is filled row by row as in service
    indexes = list(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'problems'"
                               " AND sql IS NOT NULL"))
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    t1 = time.monotonic()
    insert_rows(con, "problems", (problem(i) for i in range(1, MILLION + 1)), problem(1))
    t2 = time.monotonic()
    for _, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    load_s = time.monotonic() - t0
    indexed = con.execute("SELECT count(*) FROM problem_search").fetchone()[0]
    fts_bytes = index_bytes(con, "problem_search")
    con.close()
    db_bytes = os.path.getsize(db)
    if indexed != MILLION:
        wrong.append(f"problem_search holds {indexed} rows after the load, not {MILLION}")
    comment(f"search_1m load: {MILLION} problems of generated text inserted with the triggers indexing each: "
            f"{MILLION / (t2 - t1):.0f} rows/s (problems' rows and problem_search; {t2 - t1:.1f} s), "
            f"{load_s:.1f} s in all with units, rounds and the B-tree indexes made again; problem_search on disk "
            f"{fts_bytes / 1048576:.1f} MiB of a {db_bytes / 1048576:.1f} MiB store "
            f"({fts_bytes / MILLION:.0f} bytes a problem)")

    suite2 = Suite(folder, ["intake"], {"office": ("office", "office", {}), "team": ("team-1", "team", {})})
    suite2.config["limits"] = {}
    write_json(suite2.config_path, suite2.config)
    try:
        suite2.start()
        client = suite2.client("intake")
        queries = query_set_1m(SEARCHES_1M, random.Random(SEED + 1), N_ROUNDS, N_UNITS, list(YEARS), CATEGORIES)
        reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        subtree = categories_subtree(client, suite2.office)
        checked = {"n": 0}

        def check(q, got):
            terms = q["q"].split()
            for r in got.get("results", []):
                row = reader.execute("SELECT p.round, p.unit, p.category, p.found_on, p.summary, p.detail,"
                                     " (SELECT group_concat(name, '|') FROM unit_names WHERE unit = p.unit)"
                                     " FROM problems p WHERE p.id = ?", (int(r["id"]),)).fetchone()
                if row is None:
                    return f"result {r['id']} is no problem of the store"
                if not all_match(terms, [row[4], row[5]] + (row[6] or "").split("|")):
                    return f"result {r['id']} does not contain every term of {q['q']!r}"
                if ("round" in q and row[0] != q["round"]) or ("unit" in q and row[1] != q["unit"]) \
                        or ("category" in q and row[2] not in subtree.get(q["category"], {q["category"]})):
                    return f"result {r['id']} is outside the filters"
            if got["count"] < len(got["results"]):
                return f"count {got['count']} for {len(got['results'])} results"
            if len(q) == 1 and checked["n"] < 12:       # by definition: a scan per query, so a few
                checked["n"] += 1
                cond = " AND ".join("(instr(p.summary, ?) OR instr(p.detail, ?) OR EXISTS (SELECT 1 FROM unit_names"
                                    " n WHERE n.unit = p.unit AND instr(n.name, ?)))" for _ in terms)
                want = reader.execute(f"SELECT count(*) FROM (SELECT 1 FROM problems p WHERE {cond} LIMIT 10001)",
                                      [t for t in terms for _ in range(3)]).fetchone()[0]
                if got["count"] != min(want, 10000) or got["count_capped"] != (want > 10000):
                    return f"count {got['count']} (capped {got['count_capped']}), by definition {want}"
            return None

        timed_searches(client, suite2.office, queries[:10], lambda q, got: None, wrong, timeout=120)   # warm
        search_ms, health_ms = timed_searches(client, suite2.office, queries, check, wrong, timeout=120)
        reader.close()
        if len(search_ms) != len(queries):
            return
        comment(f"search_1m: {len(queries)} problem.search queries over {MILLION} problems through the restarted "
                f"xc-intake, one at a time, each then a health; every result checked, {checked['n']} counts by "
                f"definition; by shape: {shape_summary(queries, search_ms)}")
        slow = sorted(zip(search_ms, queries), key=lambda x: -x[0])[:5]
        comment("search_1m slowest: " + "; ".join(f"{ms:.0f} ms {json.dumps(q, ensure_ascii=False)}"
                                                  for ms, q in slow))
        bench("search_1m_p50", percentile(search_ms, 50), "ms", percentile(health_ms, 50))
        bench("search_1m_p99", percentile(search_ms, 99), "ms", percentile(health_ms, 99))
    finally:
        for n, st in suite2.stop().items():
            if st not in (0, "not started"):
                wrong.append(f"xc-{n} exit status {st}:\n{suite2.deployments[n].log_tail(20)}")


# --- 100,000 rectification items -----------------------------------------------------------------

HUNDRED_K = 100_000
SEARCHES_100K = 240
MEASURES = ["建立公车使用登记台账", "清退违规发放的津贴补贴", "开展三资清产核资", "完善集体资产出租招标制度",
            "召开专题民主生活会", "修订廉政风险防控手册", "追缴应收账款", "规范选人用人程序"]
RECTIFY_STATES = ["opened", "planned", "claimed", "reopened", "closed"]


def load_referrals(db, rng):
    """100,000 referrals (one in 50 handed over to audit-city, the others leads to discipline
    offices) of the generated text into referral's store, as the items: (seconds, FTS bytes)."""
    import searchlib
    from stats_bench import LEVELS, N_ROUNDS, N_UNITS, TARGETS_PER_ROUND, YEARS, insert_rows

    con = searchlib.connect(db)
    con.isolation_level = None
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    units = [{"id": f"BU{u:05d}", "level": LEVELS[u % len(LEVELS)], "parent": None} for u in range(N_UNITS)]
    insert_rows(con, "units", units, units[0])
    names = [{"unit": f"BU{u:05d}", "from_on": "2016-12-01", "name": unit_name(u)} for u in range(N_UNITS)]
    insert_rows(con, "unit_names", names, names[0])
    per_year = N_ROUNDS // len(YEARS)
    rounds = [{"id": f"BR{r:04d}", "name": f"基准第{r}轮", "kind": "regular", "owner_level": "city",
               "owner_district": None, "year": YEARS[r // per_year], "planned_start": f"{YEARS[r // per_year]}-03-01"}
              for r in range(N_ROUNDS)]
    insert_rows(con, "rounds", rounds, rounds[0])

    def referral(i):
        r = (i - 1) * N_ROUNDS // HUNDRED_K
        unit = (r * TARGETS_PER_ROUND + i % TARGETS_PER_ROUND) % N_UNITS
        cat, summary, detail = problem_text(rng, unit)
        day = f"{YEARS[r // per_year]}-07-01"
        handover = i % 50 == 0
        return {"id": i, "kind": "handover" if handover else "lead",
                "target": "audit-city" if handover else f"discipline-{i % 7}", "problem": None,
                "title": summary, "content": detail, "state": "referred", "referred_on": day, "due": day,
                "due_start": day, "due_policy": "{}", "due_explain": "-", "round": f"BR{r:04d}", "unit": f"BU{unit:05d}",
                "unit_level": LEVELS[unit % len(LEVELS)], "category": cat, "category_name": cat, "last_on": day,
                "applied_on": day}
    t = time.monotonic()
    insert_rows(con, "referrals", (referral(i) for i in range(1, HUNDRED_K + 1)), referral(1))
    con.execute("COMMIT")
    took = time.monotonic() - t
    fts_bytes = index_bytes(con, "referral_search")
    con.close()
    return took, fts_bytes


def the_100k_rectify(folder, wrong):
    """search_100k_rectify_*: 100,000 items (one in four with a measure) of the generated text
    inserted straight with SQLite into a store the real xc-rectify made (its triggers indexing
    each row, searchlib.insert_many), xc-rectify restarted on it, then rectify.search by the
    office and by a unit principal (its own unit's items only), each answer checked.
    search_100k_referral_*: the same with 100,000 referrals and referral.search, by the office
    and by the audit office (the handovers to it, one in 50). A lead's content is not indexed."""
    from conftest import Suite, write_json
    import searchlib
    from stats_bench import LEVELS, N_ROUNDS, N_UNITS, TARGETS_PER_ROUND, YEARS, insert_rows

    reader_unit = "BU00041"
    principals = {"office": ("office", "office", {}), "unit": ("unit-41", "unit", {"units": [reader_unit]}),
                  "audit": ("audit-city", "audit", {})}
    services = ["intake", "rectify", "referral"]     # rectify and referral read intake's events
    suite = Suite(folder, services, principals)
    suite.config["limits"] = {}
    write_json(suite.config_path, suite.config)
    suite.start()
    suite.stop()
    db = os.path.join(folder, "rectify.db")
    con = searchlib.connect(db)
    con.isolation_level = None
    con.execute("PRAGMA synchronous = OFF")
    t0 = time.monotonic()
    con.execute("BEGIN")
    units = [{"id": f"BU{u:05d}", "name": unit_name(u), "level": LEVELS[u % len(LEVELS)], "parent": None}
             for u in range(N_UNITS)]
    insert_rows(con, "units", units, units[0])
    names = [{"unit": u["id"], "n": 1, "name": u["name"], "from_on": "2016-12-01"} for u in units]
    insert_rows(con, "unit_names", names, names[0])
    per_year = N_ROUNDS // len(YEARS)
    rounds = [{"id": f"BR{r:04d}", "name": f"基准第{r}轮", "regime": "standard", "kind": "regular",
               "owner_level": "city", "owner_district": None, "year": YEARS[r // per_year]} for r in range(N_ROUNDS)]
    insert_rows(con, "rounds", rounds, rounds[0])
    rng = random.Random(SEED + 3)

    def item(i):
        r = (i - 1) * N_ROUNDS // HUNDRED_K         # in order of time, as items are opened
        unit = (r * TARGETS_PER_ROUND + i % TARGETS_PER_ROUND) % N_UNITS
        cat, summary, detail = problem_text(rng, unit)
        year = YEARS[r // per_year]
        return {"id": i, "problem": i, "round": f"BR{r:04d}", "unit": f"BU{unit:05d}",
                "unit_level": LEVELS[unit % len(LEVELS)], "category": cat, "category_name": cat, "summary": summary,
                "detail": detail, "severity": "general", "class": "deadline", "regime": "standard",
                "state": RECTIFY_STATES[i % len(RECTIFY_STATES)], "opened_on": f"{year}-06-01",
                "applied_on": f"{year}-06-01", "due": f"{year}-12-01"}
    t1 = time.monotonic()
    insert_rows(con, "items", (item(i) for i in range(1, HUNDRED_K + 1)), item(1))
    measures = [{"item": i, "n": 1, "text": MEASURES[i % len(MEASURES)], "owner": "党政办",
                 "lead_leader": rng.choice(SURNAMES) + "建国", "deadline": "2021-12-31"}
                for i in range(1, HUNDRED_K + 1, 4)]
    insert_rows(con, "measures", measures, measures[0])
    t2 = time.monotonic()
    con.execute("COMMIT")
    indexed = con.execute("SELECT count(*) FROM item_search").fetchone()[0]
    fts_bytes = index_bytes(con, "item_search")
    own = con.execute("SELECT count(*) FROM items WHERE unit = ?", (reader_unit,)).fetchone()[0]
    con.close()
    if indexed != HUNDRED_K:
        wrong.append(f"item_search holds {indexed} rows after the load, not {HUNDRED_K}")
    comment(f"search_100k_rectify load: {HUNDRED_K} items and {len(measures)} measures with the triggers indexing "
            f"each: {HUNDRED_K / (t2 - t1):.0f} items/s, {time.monotonic() - t0:.1f} s in all; item_search "
            f"{fts_bytes / 1048576:.1f} MiB; unit {reader_unit} has {own} items")

    took, fts_bytes = load_referrals(os.path.join(folder, "referral.db"), random.Random(SEED + 5))
    comment(f"search_100k_referral load: {HUNDRED_K} referrals with the triggers indexing each: "
            f"{HUNDRED_K / took:.0f} referrals/s; referral_search {fts_bytes / 1048576:.1f} MiB")

    suite2 = Suite(folder, services, principals)
    suite2.config["limits"] = {}
    write_json(suite2.config_path, suite2.config)
    try:
        suite2.start()
        client = suite2.client("rectify")
        reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        # the 1,000,000's vocabulary; the filters items have here: round and unit
        queries = query_set_1m(SEARCHES_100K, random.Random(SEED + 4), N_ROUNDS, N_UNITS, list(YEARS), ["none"])
        for q in queries:
            for f in ("owner", "category", "year"):
                q.pop(f, None)

        def check_for(unit_only):
            def check(q, got):
                terms = q["q"].split()
                for r in got.get("results", []):
                    row = reader.execute("SELECT t.summary, t.detail, t.measures, t.unit_names, i.round, i.unit"
                                         " FROM item_search_text t JOIN items i ON i.id = t.id WHERE t.id = ?",
                                         (int(r["id"]),)).fetchone()
                    if row is None:
                        return f"result {r['id']} is no item of the store"
                    if not all_match(terms, list(row[:3]) + row[3].split("；")):
                        return f"result {r['id']} does not contain every term of {q['q']!r}"
                    if ("round" in q and row[4] != q["round"]) or ("unit" in q and row[5] != q["unit"]) \
                            or (unit_only and row[5] != reader_unit):
                        return f"result {r['id']} ({row[4]}, {row[5]}) is outside the filters or the reader's reach"
                if got["count"] < len(got["results"]):
                    return f"count {got['count']} for {len(got['results'])} results"
                return None
            return check

        load_before = load_average()
        for who, name in ((suite2.office, "office"), (getattr(suite2, "unit"), "unit")):
            timed_searches(client, who, queries[:10], lambda q, got: None, wrong, timeout=120, service="rectify",
                           query="rectify.search")
            search_ms, health_ms = timed_searches(client, who, queries, check_for(name == "unit"), wrong,
                                                  timeout=120, service="rectify", query="rectify.search")
            if len(search_ms) != len(queries):
                return
            comment(f"search_100k_rectify by the {name}: {len(queries)} rectify.search queries over {HUNDRED_K} "
                    f"items; every result checked; by shape: {shape_summary(queries, search_ms)}")
            slow = sorted(zip(search_ms, queries), key=lambda x: -x[0])[:3]
            comment(f"search_100k_rectify by the {name}, slowest: " + "; ".join(
                f"{ms:.0f} ms {json.dumps(q, ensure_ascii=False)}" for ms, q in slow))
            suffix = "" if name == "office" else "_unit"
            bench(f"search_100k_rectify{suffix}_p50", percentile(search_ms, 50), "ms", percentile(health_ms, 50))
            bench(f"search_100k_rectify{suffix}_p99", percentile(search_ms, 99), "ms", percentile(health_ms, 99))
        comment(f"search_100k_rectify: load average before {load_before}, after {load_average()}")
        reader.close()
        reader = sqlite3.connect(f"file:{os.path.join(folder, 'referral.db')}?mode=ro", uri=True)

        def check_referral(audit_only):
            def check(q, got):
                terms = q["q"].split()
                for r in got.get("results", []):
                    row = reader.execute("SELECT t.title, t.content, t.unit_names, r.round, r.unit, r.target"
                                         " FROM referral_search_text t JOIN referrals r ON r.id = t.id WHERE t.id = ?",
                                         (int(r["id"]),)).fetchone()
                    if row is None:
                        return f"result {r['id']} is no referral of the store"
                    if not all_match(terms, list(row[:2]) + row[2].split("；")):
                        return f"result {r['id']} does not contain every term of {q['q']!r}"
                    if ("round" in q and row[3] != q["round"]) or ("unit" in q and row[4] != q["unit"]) \
                            or (audit_only and row[5] != "audit-city"):
                        return f"result {r['id']} ({row[3]}, {row[4]}, {row[5]}) is outside the filters or reach"
                if got["count"] < len(got["results"]):
                    return f"count {got['count']} for {len(got['results'])} results"
                return None
            return check

        client = suite2.client("referral")
        load_before = load_average()
        for who, name in ((suite2.office, "office"), (getattr(suite2, "audit"), "audit")):
            timed_searches(client, who, queries[:10], lambda q, got: None, wrong, timeout=120, service="referral",
                           query="referral.search")
            search_ms, health_ms = timed_searches(client, who, queries, check_referral(name == "audit"), wrong,
                                                  timeout=120, service="referral", query="referral.search")
            if len(search_ms) != len(queries):
                return
            comment(f"search_100k_referral by the {name}: {len(queries)} referral.search queries over {HUNDRED_K} "
                    f"referrals; every result checked; by shape: {shape_summary(queries, search_ms)}")
            suffix = "" if name == "office" else "_audit"
            bench(f"search_100k_referral{suffix}_p50", percentile(search_ms, 50), "ms", percentile(health_ms, 50))
            bench(f"search_100k_referral{suffix}_p99", percentile(search_ms, 99), "ms", percentile(health_ms, 99))
        comment(f"search_100k_referral: load average before {load_before}, after {load_average()}")
        reader.close()
    finally:
        for n, st in suite2.stop().items():
            if st not in (0, "not started"):
                wrong.append(f"xc-{n} exit status {st}:\n{suite2.deployments[n].log_tail(20)}")



def main():
    os.chdir(REPO)
    wrong = []
    started = time.monotonic()
    run_suite_bench("xc-search-bench-", lambda folder, holder: run_5y(folder, wrong, holder), wrong)
    with tempfile.TemporaryDirectory(prefix="xc-search-1m-") as folder:
        try:
            the_million(folder, wrong)
        except Exception as e:      # noqa: BLE001 (a failure is reported, not raised)
            wrong.append(f"search_1m: {type(e).__name__}: {e}")
    if not TINY and os.environ.get("XC_SEARCH_BENCH_100K", "1") != "0":
        with tempfile.TemporaryDirectory(prefix="xc-search-100k-") as folder:
            try:
                the_100k_rectify(folder, wrong)
            except Exception as e:      # noqa: BLE001 (a failure is reported, not raised)
                wrong.append(f"search_100k_rectify: {type(e).__name__}: {e}")
    comment(f"search_bench took {time.monotonic() - started:.1f} s{' (tiny)' if TINY else ''}")
    return report_wrong(wrong)


if __name__ == "__main__":
    sys.exit(main())
