"""A sample of an office's past rounds, as `xcctl import round` reads them (docs/xcctl.md,
"Importing past rounds"): five years (2017-2021) of city and district rounds, a few hundred
problems with their dispositions, rectification and lead outcomes, and the figures per year the
services must give once it is loaded (counted here from the rows, not from the services).

    python3 tests/python/import_sample.py OUT_DIR [PROBLEMS]   writes the CSV files there
"""

import csv
import datetime
import os
import random
import sys

YEARS = range(2017, 2022)
CITY_LEVELS = ["city_department", "soe", "school", "hospital"]
# category names (and paths) of the default policy, as an office writes them
CATEGORIES = [("党的领导和政治建设", "political"), ("全面从严治党", "governance"), ("组织建设和选人用人", "organization"),
              ("整改落实", "rectification"), ("群众急难愁盼", "public_concerns"), ("意识形态工作责任制", "ideology"),
              ("governance", "governance"), ("全面从严治党 › 四风", "four_styles"), ("群众急难愁盼>民生", "livelihood"),
              ("扶贫", "poverty_alleviation")]
FORMS = ["第一种", "第二种", "第三种", "第四种"]
PARTY = ["", "警告", "严重警告", "撤销党内职务", "留党察看", "开除党籍"]
ADMIN = ["", "警告", "记过", "记大过", "降级", "撤职", "开除"]
HANDLING = ["", "诫勉", "停职检查", "调整职务", "责令辞职", "免职", "降职"]


def day(d):
    return d.strftime("%Y-%m-%d")


def spreadsheet_day(d, n):
    """A date as clerks write it: 2019-03-05, 2019/3/5, 2019.3.5 or 2019年3月5日."""
    return [day(d), f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}", f"{d.year}年{d.month}月{d.day}日"][n % 4]


def write(path, header, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def make_sample(folder, problems=300, seed=19, body="jiwei", department="dept-audit", team="team-1",
                bad_rows=True):
    """Writes units.csv, rounds.csv, targets.csv, problems.csv, leads.csv, people.csv, reports.csv into
    folder; returns (paths, expected) where expected[year] holds the figures of that year and
    bad the (file, line) of each row that must be refused."""
    rnd = random.Random(seed)
    units = [("CZ-D1", "第一区", "district", "")]
    city = [(f"CZ-C{i:02d}", f"市直单位{i}", CITY_LEVELS[i % 4], "") for i in range(1, 13)]
    towns = [(f"CZ-T{i}", f"镇街{i}", "town", "CZ-D1") for i in range(1, 5)]
    villages = [(f"CZ-V{i}", f"村社区{i}", "village", f"CZ-T{(i - 1) % 4 + 1}") for i in range(1, 9)]
    units += city + towns + villages
    paths = {name: os.path.join(folder, f"{name}.csv")
             for name in ("units", "rounds", "targets", "problems", "leads", "people", "reports")}
    write(paths["units"], ["id", "name", "level", "parent"], units)

    rounds, targets, round_info, visits, scores = [], [], [], {}, {}

    def evaluation(rid, unit, evaluated, on):
        """The 2020 rounds' units are scored (评估): the parts, the principal leader, the day."""
        if not evaluated:
            return [""] * 7
        parts = [rnd.randrange(40, 101) for _ in range(4)]
        # the default weights 15/15/60/10, as rectify computes the score (hundredths, exact)
        scores[(rid, unit)] = "%.2f" % (sum(w * p for w, p in zip((15, 15, 60, 10), parts)) / 100)
        return [str(p) for p in parts] + ["王某", "党组书记", day(on)]

    for year in YEARS:
        for owner in ("city", "district"):
            rid = f"R-{year}-{'C' if owner == 'city' else 'D'}"
            start = datetime.date(year, 3, 6)
            stages = [start, start + datetime.timedelta(days=40), start + datetime.timedelta(days=60),
                      start + datetime.timedelta(days=90)]
            members = rnd.sample(city, 5) if owner == "city" else rnd.sample(towns, 2) + rnd.sample(villages, 3)
            rounds.append([rid, f"{year}年{'市委' if owner == 'city' else '第一区委'}第一轮巡察", "常规巡察",
                           "", team, "" if owner == "city" else "第一区", "市委" if owner == "city" else "CZ-D1",
                           day(start - datetime.timedelta(days=5)), day(start), day(stages[1])] + [day(s) for s in stages])
            for k, u in enumerate(members):
                visited = rnd.random() < 0.7
                interview = owner == "city" and k == 1
                targets.append([rid, u[1] if k % 2 else u[0], "延伸" if owner == "city" and k == 4 else "主体",
                                day(stages[3] + datetime.timedelta(days=80 + k)) if visited else "",
                                "回访、专项检查" if visited and k == 0 else "",
                                "李某" if interview else "", "党委书记" if interview else "",
                                "市委巡察办主任" if interview else "",
                                day(stages[3] + datetime.timedelta(days=30)) if interview else ""]
                               + evaluation(rid, u[0], year == 2020, stages[3] + datetime.timedelta(days=100)))
                visits[year] = visits.get(year, [0, 0, 0])
                visits[year][0] += 1
                visits[year][1] += visited
                visits[year][2] += interview
            round_info.append((rid, year, stages, members))
    write(paths["rounds"], ["轮次编号", "轮次名称", "类型", "方式", "巡察组", "巡察机构", "所属", "立项", "计划开始",
                            "计划结束", "进驻", "撤离", "报告", "反馈"], rounds)
    write(paths["targets"], ["轮次编号", "被巡察单位", "覆盖", "回访时间", "回访方式", "约谈对象", "约谈职务", "约谈人",
                             "约谈时间", "领导班子", "责任落实", "任务完成", "满意度", "主要负责人", "负责人职务", "评估时间"],
          targets)

    expected = {y: {"problems": 0, "leads": 0, "handovers": 0, "items": 0, "closed": 0, "closed_on_time": 0,
                    "cases_filed": 0, "people": 0, "sanctioned": 0, "detentions": 0, "immediate": 0,
                    "institutional_measures": 0, "by_category": {}, "reports": 0, "reports_signed": 0,
                    "revisits_due": visits[y][0], "revisits_done": visits[y][1], "interviews_held": visits[y][2]}
                for y in YEARS}
    header = ["问题编号", "轮次编号", "被巡察单位", "问题描述", "问题详情", "问题类别", "发现时间", "问题来源", "立行立改",
              "处置", "处置时间", "接收单位", "整改时限", "完成时间", "完成情况", "制度机制", "清缴金额"]
    prows, lead_rows, people_rows = [], [], []
    for n in range(problems):
        rid, year, stages, members = round_info[n % len(round_info)]
        unit = members[n % len(members)]
        found = stages[0] + datetime.timedelta(days=rnd.randrange(0, 35))
        classified = stages[2] - datetime.timedelta(days=rnd.randrange(0, 10))
        kind = rnd.choices(["反馈整改", "移交线索", "移交部门", "专题报告", ""], [60, 20, 5, 5, 10])[0]
        immediate = kind == "反馈整改" and rnd.random() < 0.15
        no = f"{rid}-{n + 1:04d}"
        row = {h: "" for h in header}
        row.update({"问题编号": no, "轮次编号": rid, "被巡察单位": unit[0] if n % 3 else unit[1],
                    "问题描述": f"{year}年巡察发现问题{n + 1}", "问题详情": f"问题{n + 1}的详细情况，含逗号,与\"引号\"",
                    "问题类别": CATEGORIES[n // len(round_info) % len(CATEGORIES)][0], "发现时间": spreadsheet_day(found, n),
                    "问题来源": "巡察组", "立行立改": "是" if immediate else "否", "处置": kind,
                    "处置时间": day(classified)})
        e = expected[year]
        e["problems"] += 1
        category = CATEGORIES[n // len(round_info) % len(CATEGORIES)][1]
        e["by_category"][category] = e["by_category"].get(category, 0) + 1
        e["immediate"] += immediate
        if kind == "反馈整改":
            feedback = classified if immediate else stages[3]
            e["items"] += 1
            due = feedback + datetime.timedelta(days=45 if not immediate else 10)
            row["整改时限"] = day(due)
            if rnd.random() < 0.8:
                late = rnd.random() < 0.25
                done = due + datetime.timedelta(days=rnd.randrange(1, 20)) if late else \
                    feedback + datetime.timedelta(days=rnd.randrange(0, (due - feedback).days + 1))
                measures = rnd.randrange(0, 3)
                row.update({"完成时间": day(done), "完成情况": "完成" if rnd.random() < 0.9 else "基本完成",
                            "制度机制": str(measures), "清缴金额": "1,261.50" if n % 17 == 0 else ""})
                e["closed"] += 1
                e["closed_on_time"] += not late
                e["institutional_measures"] += measures
        elif kind in ("移交线索", "移交部门"):
            row["接收单位"] = body if kind == "移交线索" else department
            e["leads" if kind == "移交线索" else "handovers"] += 1
            if kind == "移交线索":
                method = rnd.choice(["谈话函询", "初步核实", "初步核实", "予以了结", "暂存待查"])
                disposed = classified + datetime.timedelta(days=rnd.randrange(5, 40))
                filed = method == "初步核实" and rnd.random() < 0.6
                lead_rows.append([no, day(disposed), method, day(disposed), "是" if filed else "否",
                                  "" if method == "暂存待查" else day(disposed + datetime.timedelta(days=30))])
                e["cases_filed"] += filed
                if filed:
                    for _ in range(rnd.randrange(1, 4)):
                        party, admin = rnd.choice(PARTY), rnd.choice(ADMIN)
                        detained = rnd.random() < 0.2
                        people_rows.append([no, rnd.choice(FORMS), party, admin, rnd.choice(HANDLING),
                                            "是" if detained else "否", "否"])
                        e["people"] += 1
                        e["sanctioned"] += bool(party or admin)
                        e["detentions"] += detained
        prows.append([row[h] for h in header])
    bad = []
    if bad_rows:
        # rows a clerk gets wrong: each must be named by its line and the rest go on
        wrong = [("unknown category", {"问题类别": "不存在的类别"}), ("not a date", {"发现时间": "2019-02-30"}),
                 ("after today", {"发现时间": day(datetime.date.today() + datetime.timedelta(days=3))}),
                 ("unknown unit", {"被巡察单位": "查无此单位"}), ("unknown round", {"轮次编号": "R-1999-X"})]
        for k, (why, change) in enumerate(wrong):
            row = dict(zip(header, prows[k]))
            row.update(change)
            row["问题编号"] = f"BAD-{k + 1}"
            row["处置"], row["接收单位"], row["整改时限"], row["完成时间"], row["完成情况"] = "", "", "", "", ""
            row["制度机制"], row["清缴金额"] = "", ""
            at = 5 + 7 * k
            prows.insert(at, [row[h] for h in header])
            bad.append(("problems", why))
    write(paths["problems"], header, prows)
    if bad_rows:
        # the header is line 1; no field of these rows holds a line break
        bad = [("problems", i + 2) for i, r in enumerate(prows) if r[0].startswith("BAD-")]
    reports = []
    for rid, year, stages, members in round_info:
        for k in range(rnd.randrange(1, 4)):
            sent = stages[2] + datetime.timedelta(days=rnd.randrange(0, 20))
            signed = rnd.random() < 0.5
            reports.append([f"{rid}-BG{k + 1}", rid, f"关于{year}年巡察发现共性问题的专题报告（{k + 1}）", department,
                            day(sent), "张某某" if signed else "", "市委副书记" if signed else "",
                            day(sent + datetime.timedelta(days=7)) if signed else ""])
            expected[year]["reports"] += 1
            expected[year]["reports_signed"] += signed
    write(paths["reports"], ["报告编号", "轮次编号", "报告标题", "接收单位", "报送时间", "签批领导", "签批职务", "签批时间"],
          reports)
    write(paths["leads"], ["问题编号", "受理时间", "处置方式", "处置时间", "立案", "办结时间"], lead_rows)
    write(paths["people"], ["问题编号", "形态", "党纪处分", "政务处分", "组织处理", "留置", "移送司法"], people_rows)
    expected["scores"] = scores
    return paths, expected, bad


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    made, figures, _ = make_sample(out, int(sys.argv[2]) if len(sys.argv) > 2 else 300)
    for year in YEARS:
        print(year, figures[year])
