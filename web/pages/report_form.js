// The short form in which an inspection team (on site, often from a phone), the petition bureau
// or the audit bureau reports a problem to intake (problem.report, docs/services/intake.md). The
// source is the reporter's own; a team names one of its rounds and one of that round's targets.
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { ask } from "../js/session.js";
import { html, Id, Field, ListView, RefusalBox, useCommand } from "../js/ui.js";
import { word } from "../js/words.js";
import { categoryName, categoryOptions, useCategories } from "../js/categories.js";
import { EvidenceField, SEVERITIES, codeOptions } from "./roles_common.js";

// the reporters whose evidence files intake keeps (the others: names and hashes only)
const UPLOADS = new Set(["team", "petition", "audit"]);

const SOURCE = { team: "inspection_team", petition: "petition", audit: "audit" };
// the stages in which intake takes a team's report
const OPEN_STAGES = ["stationed", "withdrawn", "reported"];

const blank = { summary: "", detail: "", category: "", severity: "general", immediate: false,
                evidence: [], reporter_name: "", reporter_contact: "" };

// The team's rounds that take reports now, and the targets (with their names) of the chosen one.
function useTeamChoices(enabled, round) {
  const [rounds, setRounds] = useState(null);
  const [units, setUnits] = useState(null);
  const [refusal, setRefusal] = useState(null);
  useEffect(() => {
    if (!enabled) return;
    ask("intake", "round.list", { limit: 500 }).then(
      (r) => setRounds(r.items.filter((x) => OPEN_STAGES.includes(x.stage))), setRefusal);
  }, []);
  useEffect(() => {
    setUnits(null);
    if (!enabled || !round) return;
    let live = true;
    ask("intake", "round.get", { round }).then(async (r) => {
      // the names of the targets, for a list a person can choose from (ids alone mean little)
      const named = await Promise.all(r.targets.slice(0, 200).map((t) =>
        ask("intake", "unit.get", { unit: t.unit }).then((u) => [t.unit, `${u.name}（${t.unit}）`], () => [t.unit, t.unit])));
      if (live) setUnits(named.concat(r.targets.slice(200).map((t) => [t.unit, t.unit])));
    }, (e) => live && setRefusal(e));
    return () => { live = false; };
  }, [round]);
  return { rounds, units, refusal };
}

// Every active unit, for a reporter with no round (a first page of 500 is the choice list;
// a unit beyond it is typed by its id).
function useUnits(enabled) {
  const [units, set] = useState([]);
  useEffect(() => {
    if (enabled) ask("intake", "unit.list", { limit: 500 }).then(
      (r) => set(r.items.filter((u) => u.status !== "merged" && u.status !== "split")), () => set([]));
  }, [enabled]);
  return units;
}

export function ReportForm({ me, round: initialRound = "" }) {
  const team = me.role === "team";
  const [v, setV] = useState({ ...blank, round: initialRound, unit: "" });
  const bind = (name) => ({ name, value: v[name], onValue: (x) => setV((o) => ({ ...o, [name]: x })) });
  const choices = useTeamChoices(team, v.round);
  const units = useUnits(!team);
  const categories = useCategories();
  const [uploading, setUploading] = useState(false);
  const [run, outcome, busy] = useCommand(() => setV((o) => ({ ...blank, round: o.round, unit: o.unit })));

  const submit = (e) => {
    e.preventDefault();
    const data = { unit: v.unit.trim(), category: v.category, summary: v.summary, detail: v.detail,
                   severity: v.severity, source: SOURCE[me.role], immediate: !!v.immediate };
    if (v.round) data.round = v.round;
    if (v.evidence.length) data.evidence = v.evidence;
    if (me.role === "petition" && v.reporter_name.trim())
      data.reporter = { name: v.reporter_name.trim(), contact: v.reporter_contact.trim() };
    const where = (team ? choices.units : units.map((u) => [u.id, u.name]))?.find(([id]) => id === data.unit);
    run("intake", "problem.report", data,
        `将报告问题「${v.summary}」，被巡察单位：${where ? where[1] : data.unit}${v.immediate ? "（立行立改）" : ""}`,
        (reply) => `已报告，问题编号 #${reply.result.problem}`);
  };

  const roundOptions = (choices.rounds || []).map((r) => [r.id, `${r.name}（${word("stage", r.stage)}）`]);
  return html`<form class="card report-form" id="report-form" onSubmit=${submit}>
    <${RefusalBox} refusal=${choices.refusal}/>
    ${team ? html`
      ${choices.rounds && !choices.rounds.length
        ? html`<p class="empty" id="no-open-round">本组暂无处于进驻、撤离或报告阶段的巡察轮次，暂不能报告问题。</p>` : null}
      <${Field} label="巡察轮次" required ...${bind("round")} options=${[["", "请选择"], ...roundOptions]}/>
      <${Field} label="被巡察单位" required ...${bind("unit")}
        options=${[["", v.round ? (choices.units ? "请选择" : "正在加载……") : "请先选择轮次"], ...(choices.units || [])]}/>`
    : html`
      <${Field} label="被巡察单位（编号）" required ...${bind("unit")} list="unit-choices" autocomplete="off"
        hint="输入单位名称或编号，从列表中选择"/>
      <datalist id="unit-choices">${units.map((u) => html`<option value=${u.id}>${u.name}</option>`)}</datalist>`}
    <${Field} label="问题类别" required ...${bind("category")} options=${[["", "请选择"], ...categoryOptions(categories)]}/>
    <${Field} label="严重程度" required ...${bind("severity")} options=${codeOptions("severity", SEVERITIES)}/>
    <${Field} label="问题摘要" required ...${bind("summary")} maxlength="160"/>
    <${Field} label="详细情况" required textarea ...${bind("detail")}/>
    <${Field} label="立行立改" type="checkbox" ...${bind("immediate")}/>
    <${EvidenceField} label="证据材料" value=${v.evidence} service=${UPLOADS.has(me.role) ? "intake" : undefined}
      onBusy=${setUploading} onValue=${(x) => setV((o) => ({ ...o, evidence: x }))}/>
    ${me.role === "petition" ? html`
      <${Field} label="反映人姓名（选填，加密保存）" ...${bind("reporter_name")}/>
      <${Field} label="反映人联系方式（选填）" ...${bind("reporter_contact")}/>` : null}
    <div class="buttons"><button type="submit" class="primary" id="report-submit" disabled=${busy || uploading}>提交问题</button></div>
    ${outcome}
  </form>`;
}

const STATUSES = ["recorded", "classified", "merged"];

// The problems a reporter may read (intake's rule: a team those of its rounds, petition and
// audit those they reported), newest last, with filters kept in the address.
export function ReportedList({ team }) {
  const categories = useCategories();
  return html`<${ListView} service="intake" type="problem.list" limit=${20}
    filters=${[...(team ? [{ name: "round", label: "巡察轮次" }] : []),
               { name: "unit", label: "单位编号" },
               { name: "status", label: "状态", options: STATUSES.map((c) => [c, c === "merged" ? "已合并" : word("status", c)]) }]}
    columns=${[
      { label: "编号", value: (p) => `#${p.id}` },
      { label: "问题摘要", value: (p) => p.summary },
      { label: "单位", value: (p) => html`<${Id}>${p.unit}<//>` },
      { label: "类别", value: (p) => categoryName(categories, p.category) },
      { label: "严重程度", value: (p) => word("severity", p.severity) },
      { label: "状态", value: (p) => (p.status === "merged" ? "已合并" : word("status", p.status)) },
      { label: "发现日期", value: (p) => p.found_on },
    ]}
    empty="暂无记录：尚未报告问题"/>`;
}
