// team.js: an inspection team's pages (巡察组): its rounds, the on-site report (a short form
// that works on a phone), and what it reported. Intake decides what a team may see and report
// (docs/services/intake.md): its own rounds, their target units, stages 进驻 to 报告.
import { html, Id, DateCell, ListView, Page, RefusalBox, Busy, useAsk } from "../js/ui.js";
import { routeGo, routeHref } from "../js/route.js";
import { word } from "../js/words.js";
import { ReportForm, ReportedList } from "./report_form.js";
import { Facts } from "./roles_common.js";

const STAGES = ["planned", "stationed", "withdrawn", "reported", "feedback_delivered", "rectifying",
                "rectification_reported", "evaluated", "closed"];

function Rounds() {
  return html`<${Page} title="本组巡察轮次">
    <${ListView} service="intake" type="round.list"
      filters=${[{ name: "stage", label: "阶段", options: STAGES.map((s) => [s, word("stage", s)]) }]}
      columns=${[
        { label: "轮次", value: (r) => r.name },
        { label: "编号", value: (r) => html`<${Id}>${r.id}<//>` },
        { label: "类型", value: (r) => word("kind", r.kind) },
        { label: "阶段", value: (r) => word("stage", r.stage) },
        { label: "计划时间", value: (r) => `${r.planned_start} 至 ${r.planned_end}` },
      ]}
      onOpen=${(r) => routeGo("team-round", { round: r.id })}
      empty="暂无记录：本组尚无巡察轮次"/>
  </${Page}>`;
}

function Round({ route }) {
  const id = route.query.round;
  const { value: r, refusal, busy } = useAsk("intake", "round.get", { round: id }, [id]);
  return html`<${Page} title=${r ? r.name : "巡察轮次"}>
    <${RefusalBox} refusal=${refusal}/>
    ${busy && !r ? html`<${Busy} text="正在加载……"/>` : null}
    ${r ? html`<div class="card">
      <${Facts} rows=${[["编号", html`<${Id}>${r.id}<//>`], ["类型", word("kind", r.kind)], ["阶段", word("stage", r.stage)],
                       ["计划时间", `${r.planned_start} 至 ${r.planned_end}`], ["巡察机构", r.owner?.organ]]}/>
      <p><a class="button primary" id="report-here" href=${routeHref("team-report", { round: r.id })}>在本轮次报告问题</a></p>
      <h3>阶段日期</h3>
      <ul>${r.stages.map((s) => html`<li>${word("stage", s.stage)}：<${DateCell} date=${s.date}/></li>`)}</ul>
      <h3>被巡察单位（${r.targets.length}）</h3>
      <ul class="targets">${r.targets.map((t) => html`<li><${Id}>${t.unit}<//>（${t.coverage === "main" ? "主体" : "延伸"}）</li>`)}</ul>
    </div>` : null}
  </${Page}>`;
}

function Report({ route, me }) {
  return html`<${Page} title="现场报告问题">
    <p class="muted">在巡察现场发现问题后即时报告。提交前会请您确认，并以您本人的密钥签名。</p>
    <${ReportForm} me=${me} round=${route.query.round || ""}/>
    <p><a href=${routeHref("team-problems")}>查看本组已报告的问题</a></p>
  </${Page}>`;
}

function Problems() {
  return html`<${Page} title="本组已报问题"><${ReportedList} team=${true}/></${Page}>`;
}

export const pages = [
  { path: "team-rounds", role: ["team"], title: "本组轮次", nav: true, view: Rounds },
  { path: "team-report", role: ["team"], title: "现场报告", nav: true, view: Report },
  { path: "team-problems", role: ["team"], title: "已报问题", nav: true, view: Problems },
  { path: "team-round", role: ["team"], title: "巡察轮次", nav: false, view: Round },
];
