// unit.js: an inspected unit's pages (被巡察单位): its rectification items (整改事项) with their
// due dates and lights as rectify gives them (docs/services/rectify.md, "Lights"), what is
// overdue and the next escalation step; the plan with its measures, progress, and the
// completion claim with its evidence. Rectify limits the unit to the items of its scope.
import { useState } from "../vendor/preact/hooks.mjs";
import { html, Actor, Id, Busy, DateCell, Field, Light, ListView, Page, RefusalBox, useAsk, useCommand } from "../js/ui.js";
import { routeGo, useRoute } from "../js/route.js";
import { word } from "../js/words.js";
import { EvidenceField, EvidenceList, Facts, codeOptions, count, historyEvidence, yuanToFen } from "./roles_common.js";

const STATES = ["opened", "planned", "claimed", "reopened", "closed"];
const CLASSES = ["immediate", "deadline", "long_term"];
const COMPLETION = [["completed", "完成"], ["mostly_completed", "基本完成"]];
const DEADLINE = { plan: "整改方案", item: "整改完成" };
const deadlineName = (d) => (d.deadline === "measure" ? `措施 ${d.measure}` : DEADLINE[d.deadline] ?? d.deadline);

// The service's light for a deadline or an item: its colour with the word, and when overdue
// the step reached and the next one. A running deadline before its first warning band has no
// colour from the service: 正常.
export function LightCell({ light }) {
  if (!light) return html`<span class="muted">—</span>`;
  return html`<span class="light-cell"><${Light} colour=${light.colour || "green"}/>
    ${light.days_left < 0 ? html` <span class="overdue-days">逾期 ${-light.days_left} 天</span>`
      : html` <span class="muted">剩余 ${light.days_left} 天</span>`}</span>`;
}

export function StepCell({ light }) {
  if (!light || light.days_left >= 0) return html`<span class="muted">—</span>`;
  return html`<span class="steps">${light.step ? html`已到：${word("step", light.step.name)}；` : null}${light.next_step
    ? html`下一步：${word("step", light.next_step.name)}（${light.next_step.on}）` : "已到最后一级"}</span>`;
}

function Items() {
  const route = useRoute();
  const overdue = route.query.overdue === "1";
  return html`<${Page} title="整改事项">
    <div class="filters">
      <${Field} label="只看逾期事项" type="checkbox" name="overdue" value=${overdue}
        onValue=${(on) => routeGo(route.path, { ...route.query, overdue: on ? "1" : "", after: "", pages: "" }, true)}/>
    </div>
    <${ListView} service="rectify" type="rectify.list" extra=${overdue ? { overdue: true } : {}}
      filters=${[{ name: "state", label: "状态", options: codeOptions("state", STATES) },
                 { name: "class", label: "类型", options: codeOptions("class", CLASSES) }]}
      columns=${[
        { label: "编号", value: (i) => `#${i.id}` },
        { label: "问题", value: (i) => i.summary },
        { label: "类型", value: (i) => word("class", i.class) },
        { label: "状态", value: (i) => word("state", i.state) },
        { label: "整改期限", value: (i) => html`<${DateCell} date=${i.due}/>` },
        { label: "预警", value: (i) => html`<${LightCell} light=${i.light}/>` },
        { label: "督办", value: (i) => html`<${StepCell} light=${i.light}/>` },
      ]}
      onOpen=${(i) => routeGo("unit-item", { item: i.id })}
      empty=${overdue ? "暂无逾期事项" : "暂无记录：尚无反馈给本单位的整改事项"}/>
  </${Page}>`;
}

// --- the item -------------------------------------------------------------------------------

function Deadlines({ item }) {
  if (!item.deadlines.length) return html`<p class="empty">暂无期限</p>`;
  return html`<div class="table-wrap"><table id="deadlines"><thead><tr><th scope="col">期限</th><th scope="col">到期日</th>
      <th scope="col">状态</th><th scope="col">督办</th></tr></thead>
    <tbody>${item.deadlines.map((d) => html`<tr data-deadline=${d.deadline}>
      <td data-label="期限">${deadlineName(d)}</td>
      <td data-label="到期日"><${DateCell} date=${d.due} explain=${d.explain}/></td>
      <td data-label="状态">${d.running ? html`<${LightCell} light=${d}/>` : "已完成"}</td>
      <td data-label="督办">${d.running ? html`<${StepCell} light=${d}/>` : "—"}</td></tr>`)}</tbody></table></div>`;
}

function Measures({ item }) {
  if (!item.measures.length) return html`<p class="empty">尚未提交整改方案</p>`;
  return html`<div class="table-wrap"><table id="measures"><thead><tr><th scope="col">序号</th><th scope="col">整改措施</th>
      <th scope="col">责任人</th><th scope="col">分管领导</th><th scope="col">完成时限</th><th scope="col">完成日期</th></tr></thead>
    <tbody>${item.measures.map((m) => html`<tr><td data-label="序号">${m.n}</td><td data-label="整改措施">${m.text}</td>
      <td data-label="责任人">${m.owner}</td><td data-label="分管领导">${m.lead_leader}</td>
      <td data-label="完成时限">${m.deadline}</td><td data-label="完成日期">${m.done_on ?? "未完成"}</td></tr>`)}</tbody></table></div>`;
}

const ACTIONS = { opened: "反馈", planned: "提交方案", progressed: "报告进展", claimed: "申报完成", closed: "审核销号",
                  reopened: "退回整改", extended: "延长期限", unit_succeeded: "单位承继" };

function History({ item }) {
  return html`<ol class="history">${item.history.map((h) => html`<li>${h.occurred_on ?? h.at}
    ${ACTIONS[h.action] ?? h.action}（<${Actor} iss=${h.by}/>）${h.data?.reason ? `：${h.data.reason}` : ""}</li>`)}</ol>`;
}

const emptyMeasure = () => ({ text: "", owner: "", lead_leader: "", deadline: "" });

function PlanForm({ item, done }) {
  const [measures, setMeasures] = useState([emptyMeasure()]);
  const [note, setNote] = useState("");
  const [evidence, setEvidence] = useState([]);
  const [uploading, setUploading] = useState(false);
  const [run, outcome, busy] = useCommand(done);
  const set = (i, k) => (x) => setMeasures((ms) => ms.map((m, j) => (j === i ? { ...m, [k]: x } : m)));
  const submit = (e) => {
    e.preventDefault();
    const data = { item: item.id, measures };
    if (note.trim()) data.note = note;
    if (evidence.length) data.evidence = evidence;
    run("rectify", "rectify.plan", data,
        `将提交整改事项 #${item.id}「${item.summary}」的整改方案，共 ${measures.length} 项措施`, "整改方案已提交");
  };
  return html`<form class="card" id="plan-form" onSubmit=${submit}>
    <h3>制定整改方案</h3>
    ${measures.map((m, i) => html`<fieldset class="measure"><legend>措施 ${i + 1}</legend>
      <${Field} label="整改措施" textarea required name=${`text-${i}`} value=${m.text} onValue=${set(i, "text")}/>
      <${Field} label="责任人" required name=${`owner-${i}`} value=${m.owner} onValue=${set(i, "owner")}/>
      <${Field} label="分管领导" required name=${`lead-${i}`} value=${m.lead_leader} onValue=${set(i, "lead_leader")}/>
      <${Field} label="完成时限" type="date" required name=${`deadline-${i}`} value=${m.deadline} onValue=${set(i, "deadline")}/>
      ${measures.length > 1 ? html`<button type="button" onClick=${() => setMeasures((ms) => ms.filter((_, j) => j !== i))}>删除此项措施</button>` : null}
    </fieldset>`)}
    <div class="buttons"><button type="button" id="measure-add" onClick=${() => setMeasures((ms) => [...ms, emptyMeasure()])}>增加一项措施</button></div>
    <${Field} label="说明（选填）" textarea name="note" value=${note} onValue=${setNote}/>
    <${EvidenceField} label="佐证材料（选填）" service="rectify" value=${evidence} onValue=${setEvidence} onBusy=${setUploading}/>
    <div class="buttons"><button type="submit" class="primary" id="plan-submit" disabled=${busy || uploading}>提交整改方案</button></div>
    ${outcome}
  </form>`;
}

function ProgressForm({ item, done }) {
  const [note, setNote] = useState("");
  const [marked, setMarked] = useState({});
  const [run, outcome, busy] = useCommand(done);
  const open = item.measures.filter((m) => !m.done_on);
  const submit = (e) => {
    e.preventDefault();
    const finished = open.filter((m) => marked[m.n]).map((m) => m.n);
    const data = { item: item.id, note };
    if (finished.length) data.measures_done = finished;
    run("rectify", "rectify.progress", data,
        `将报告整改事项 #${item.id} 的整改进展${finished.length ? `，措施 ${finished.join("、")} 已完成` : ""}`, "整改进展已报告");
  };
  return html`<form class="card" id="progress-form" onSubmit=${submit}>
    <h3>报告整改进展</h3>
    <${Field} label="进展情况" textarea required name="progress-note" value=${note} onValue=${setNote}/>
    ${open.map((m) => html`<${Field} label=${`措施 ${m.n} 已完成：${m.text}`} type="checkbox" name=${`done-${m.n}`}
        value=${!!marked[m.n]} onValue=${(x) => setMarked((o) => ({ ...o, [m.n]: x }))}/>`)}
    <div class="buttons"><button type="submit" id="progress-submit" disabled=${busy}>报告进展</button></div>
    ${outcome}
  </form>`;
}

function ClaimForm({ item, done }) {
  const [v, setV] = useState({ completion: "completed", evidence: [], institutional_measures: "",
                               recovered: "", written_off: "", resolved: false, note: "" });
  const bind = (name) => ({ name, value: v[name], onValue: (x) => setV((o) => ({ ...o, [name]: x })) });
  const [bad, setBad] = useState(null);
  const [uploading, setUploading] = useState(false);
  const [run, outcome, busy] = useCommand(done);
  const submit = (e) => {
    e.preventDefault();
    const measures = count(v.institutional_measures);
    const recovered = v.recovered.trim() ? yuanToFen(v.recovered) : 0;
    const writtenOff = v.written_off.trim() ? yuanToFen(v.written_off) : 0;
    if (!v.evidence.length) return setBad("请至少选择一份证据材料。");
    if (measures === null || recovered === null || writtenOff === null)
      return setBad("数量请填写整数，金额请填写元（最多两位小数）。");
    setBad(null);
    const data = { item: item.id, completion: v.completion, evidence: v.evidence,
                   outcomes: { institutional_measures: measures, money_recovered_fen: recovered,
                               money_written_off_fen: writtenOff, public_concern_resolved: !!v.resolved } };
    if (v.note.trim()) data.note = v.note;
    const how = COMPLETION.find(([c]) => c === v.completion)[1];
    run("rectify", "rectify.claim", data,
        `将申报整改事项 #${item.id}「${item.summary}」整改${how}，提交 ${v.evidence.length} 份证据材料，请巡察办审核销号`,
        "整改完成已申报，等待巡察办审核");
  };
  return html`<form class="card" id="claim-form" onSubmit=${submit}>
    <h3>申报整改完成</h3>
    <${Field} label="完成情况" required ...${bind("completion")} options=${COMPLETION}/>
    <${EvidenceField} label="证据材料" required service="rectify" value=${v.evidence} onBusy=${setUploading}
      onValue=${(x) => setV((o) => ({ ...o, evidence: x }))}/>
    <${Field} label="完善制度机制（项）" ...${bind("institutional_measures")} inputmode="numeric"/>
    <${Field} label="清缴金额（元）" ...${bind("recovered")} inputmode="decimal"/>
    <${Field} label="核销金额（元）" ...${bind("written_off")} inputmode="decimal"/>
    <${Field} label="群众关切问题已解决" type="checkbox" ...${bind("resolved")}/>
    <${Field} label="说明（选填）" textarea ...${bind("note")}/>
    ${bad ? html`<p class="refusal" role="alert">${bad}</p>` : null}
    <div class="buttons"><button type="submit" class="primary" id="claim-submit" disabled=${busy || uploading}>申报整改完成</button></div>
    ${outcome}
  </form>`;
}

function Claims({ item }) {
  if (!item.claims.length) return null;
  return html`<h3>完成申报</h3><ol class="claims">${item.claims.map((c) => html`<li>${c.claimed_on}
    ${COMPLETION.find(([k]) => k === c.completion)?.[1] ?? c.completion}，证据 ${c.evidence.length} 份
    ${c.decision ? html`：${c.decision === "accept" ? "已审核通过（销号）" : `退回：${c.reason}`}` : "：待审核"}
    <${EvidenceList} service="rectify" evidence=${c.evidence}/></li>`)}</ol>`;
}

function Item({ route }) {
  const id = Number(route.query.item);
  const [stamp, bump] = useState(0);
  const { value: item, refusal, busy } = useAsk("rectify", "rectify.get", { item: id }, [id, stamp]);
  const again = () => bump((n) => n + 1);
  const canPlan = item?.state === "opened";
  const canWork = item && (["planned", "reopened"].includes(item.state) || (item.state === "opened" && item.class === "immediate"));
  return html`<${Page} title=${item ? `整改事项 #${item.id}` : "整改事项"}>
    <${RefusalBox} refusal=${refusal}/>
    ${busy && !item ? html`<${Busy} text="正在加载……"/>` : null}
    ${item ? html`<div class="card" id="item" data-state=${item.state}>
      <h3 id="item-summary">${item.summary}</h3>
      <p class="detail">${item.detail}</p>
      <${Facts} rows=${[["类型", word("class", item.class)], ["状态", word("state", item.state)],
                        ["问题类别", item.category_name], ["巡察轮次", item.round ? html`<${Id}>${item.round}<//>` : "—"], ["反馈日期", item.opened_on],
                        ["整改期限", html`<${DateCell} date=${item.due}/>`], ["销号日期", item.closed_on ?? undefined]]}/>
      <h3>期限与预警</h3><${Deadlines} item=${item}/>
      <h3>整改方案</h3><${Measures} item=${item}/>
      <${EvidenceList} service="rectify" evidence=${historyEvidence(item.history, "planned").at(-1)}/>
      <${Claims} item=${item}/>
      <h3>办理记录</h3><${History} item=${item}/>
    </div>
    ${canPlan ? html`<${PlanForm} item=${item} done=${again}/>` : null}
    ${canWork ? html`<${ProgressForm} item=${item} done=${again}/><${ClaimForm} item=${item} done=${again}/>` : null}` : null}
  </${Page}>`;
}

export const pages = [
  { path: "unit-items", role: ["unit"], title: "整改事项", nav: true, view: Items },
  { path: "unit-item", role: ["unit"], title: "整改事项", nav: false, view: Item },
];
