// The dashboard's summary: the figures `xcctl stats` prints (cli/report.c), each with the
// definition its service gives (the answer's `definitions`) in the title and behind ⓘ.
import { html, Explained } from "../../js/ui.js";
import { Fig, figureAt } from "./sections.js";

// [label, [figures as "service.path"], how they are joined, the definition "service.key", suffix]
const GROUPS = [
  ["巡察覆盖", [
    ["市级巡察 常规巡察/延伸巡察单位", ["intake.coverage.by_owner.city.by_kind.regular.main", "intake.coverage.by_owner.city.by_kind.regular.extended"], " / ", "intake.coverage.by_owner"],
    ["县级巡察 被巡察单位/其中村（社区）", ["intake.coverage.by_owner.district.units_by_kind.regular", "intake.coverage.by_owner.district.by_kind_level.regular.village"], " / ", "intake.coverage.by_owner"],
    ["被巡察单位（不重复）", ["intake.coverage.units"], "", "intake.coverage.units"],
  ]],
  ["发现问题与处置", [
    ["发现问题", ["intake.problems.total"], "", "intake.problems.total"],
    ["立行立改（发现即改）", ["intake.problems.immediate"], "", "intake.problems.immediate"],
    ["其中已整改销号", ["rectify.immediate.closed"], "", "rectify.immediate"],
    ["屡查屡犯（已确认）", ["intake.problems.repeats"], "", "intake.problems.repeats"],
    ["移交问题线索", ["referral.leads"], "", "referral.leads"],
    ["移交职能部门", ["referral.handovers"], "", "referral.handovers"],
    ["专题报告", ["referral.reports"], "", "referral.reports"],
    ["其中领导签批", ["referral.reports_signed"], "", "referral.reports_signed"],
    ["并入专题报告的问题", ["intake.problems.folded_into_reports"], "", "intake.problems.folded_into_reports"],
  ]],
  ["问题线索处置结果", [
    ["立案", ["referral.cases_filed"], "", "referral.cases_filed"],
    ["处理人数", ["referral.people"], "", "referral.people", "人"],
    ["党纪政务处分", ["referral.sanctioned_people"], "", "referral.sanctioned_people", "人"],
    ["党纪处分", ["referral.party_sanctions"], "", "referral.party_sanctions", "人"],
    ["政务处分", ["referral.administrative_sanctions"], "", "referral.administrative_sanctions", "人"],
    ["组织处理", ["referral.organizational_handling"], "", "referral.organizational_handling", "人"],
    ["留置", ["referral.detentions"], "", "referral.detentions"],
    ["移送司法", ["referral.prosecution_transfers"], "", "referral.prosecution_transfers"],
    ["逾期未反馈线索", ["referral.overdue_now"], "", "referral.overdue_now", "件"],
  ]],
  ["整改落实", [
    ["整改按期报结率（%）", ["rectify.on_time.rate", "rectify.on_time.closed_on_time", "rectify.on_time.due"], "rate", "rectify.on_time"],
    ["整改完成率（%）", ["rectify.completion.rate", "rectify.completion.completed", "rectify.completion.items"], "rate", "rectify.completion"],
    ["完善制度机制（整改单位/专题报告和移交部门）", ["rectify.institutional_measures", "referral.institutional_measures"], " / ", "rectify.institutional_measures", "项"],
    ["解决群众关切问题", ["rectify.public_concerns_resolved"], "", "rectify.public_concerns_resolved"],
    ["清缴/核销应收款（元）", ["rectify.money_recovered_yuan", "rectify.money_written_off_yuan"], " / ", "rectify.money"],
    ["约谈一把手（已约谈/建议约谈）", ["rectify.interviews_held", "rectify.interviews_recommended"], " / ", "rectify.interviews_held", "人"],
    ["巡察回访（已回访/应回访）", ["rectify.revisits.done", "rectify.revisits.due"], " / ", "rectify.revisits", "个"],
    ["逾期未整改", ["rectify.overdue_now"], "", "rectify.overdue_now", "项"],
  ]],
];

// The figure "service.path" in the answers {intake, referral, rectify} as a Fig.
function figure(answers, dotted) {
  const [service, ...path] = dotted.split(".");
  return html`<${Fig} at=${dotted} v=${figureAt(answers[service], path)}/>`;
}

function Row({ answers, row: [label, figs, join, def, suffix] }) {
  const [service, ...key] = def.split(".");
  const text = answers[service]?.definitions?.[key.join(".")];
  const shown = join === "rate"
    ? html`${figure(answers, figs[0])}（${figure(answers, figs[1])}/${figure(answers, figs[2])}）`
    : figs.map((f, i) => html`${i ? join : ""}${figure(answers, f)}`);
  return html`<tr><th scope="row">${text ? html`<${Explained} cls="def" text=${text} label=${`${label}的口径`}>${label}<//>` : label}</th>
    <td>${shown}${suffix ? ` ${suffix}` : ""}</td></tr>`;
}

// answers: {intake, referral, rectify} of the scope chosen (referral null when withheld).
export function Summary({ answers }) {
  const owner = ["intake", "referral", "rectify"].map((s) => answers[s]?.definitions?.owner).find(Boolean);
  return html`<section class="dash-card dash-wide" id="dash-summary" aria-labelledby="dash-summary-h">
    <h3 id="dash-summary-h">巡察工作统计</h3>
    ${owner ? html`<p class="muted">口径：${owner}</p>` : null}
    <div class="summary-groups">${GROUPS.map(([title, rows]) => html`<div class="table-wrap"><table class="summary">
      <caption>${title}</caption>
      <tbody>${rows.map((row) => html`<${Row} answers=${answers} row=${row}/>`)}</tbody></table></div>`)}</div>
  </section>`;
}
