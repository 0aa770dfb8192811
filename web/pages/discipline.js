// discipline.js: a discipline body's pages (纪检监察机关): the problem leads (问题线索) referred
// to it, and only those (referral shows a target its own; docs/services/referral.md): sign for
// them, dispose, report outcomes, reopen a parked lead, conclude. Each time a lead is opened
// here the service records the read (lead.read) before it answers.
import { useState } from "../vendor/preact/hooks.mjs";
import { html, Actor, Id, Busy, DateCell, Field, Light, ListView, Page, RefusalBox, useAsk } from "../js/ui.js";
import { routeGo } from "../js/route.js";
import { word } from "../js/words.js";
import { Facts, codeOptions, count, useCommand } from "./roles_common.js";

const STATES = ["referred", "acknowledged", "disposed", "concluded"];
const METHODS = ["talk_inquiry", "preliminary_verification", "park", "close"];

function Leads() {
  return html`<${Page} title="问题线索">
    <p class="muted">仅显示移交本机关的问题线索。</p>
    <${ListView} service="referral" type="referral.list" extra=${{ kind: "lead" }}
      filters=${[{ name: "state", label: "状态", options: codeOptions("state", STATES) }]}
      columns=${[
        { label: "编号", value: (r) => `#${r.id}` },
        { label: "标题", value: (r) => r.title },
        { label: "单位", value: (r) => r.unit_name ?? r.unit ?? "—" },
        { label: "状态", value: (r) => word("state", r.state) },
        { label: "处置方式", value: (r) => (r.method ? word("method", r.method) : "—") },
        { label: "反馈期限", value: (r) => html`<${DateCell} date=${r.due}/>` },
        { label: "是否逾期", value: (r) => (r.overdue ? html`<${Light} colour="red"/>` : html`<span class="muted">未逾期</span>`) },
      ]}
      onOpen=${(r) => routeGo("lead", { referral: r.id })}
      empty="暂无记录：尚无移交本机关的问题线索"/>
  </${Page}>`;
}

// The lead's content as intake's event carried it: the parts a person reads, in Chinese.
const CONTENT = [["summary", "问题摘要"], ["detail", "详细情况"], ["note", "移交说明"], ["found_on", "发现日期"]];
const ACTIONS = { created: "移交", acknowledged: "签收", disposed: "处置", outcome_reported: "报告结果",
                  reopened: "重新启用", concluded: "办结", extended: "延长期限", signed: "领导签批",
                  unit_succeeded: "单位承继" };

// A history entry's time (seconds since the epoch) as people read it here.
const when = (at) => (typeof at === "number" ? new Date(at * 1000).toLocaleString("zh-CN", { hour12: false }) : at ?? "");

function Outcomes({ lead }) {
  if (!lead.outcomes?.length) return null;
  return html`<h3>处置结果</h3><ol class="outcomes">${lead.outcomes.map((o) => html`<li>${o.reported_on}：
    ${o.case_filed ? "已立案" : "未立案"}；党纪处分 ${o.party_sanctions}，政务处分 ${o.administrative_sanctions}，
    组织处理 ${o.organizational_handling}，留置 ${o.detentions}，移送司法 ${o.prosecution_transfers}${o.note ? `；${o.note}` : ""}</li>`)}</ol>`;
}

function Acknowledge({ lead, done }) {
  const [run, outcome, busy] = useCommand(done);
  return html`<div class="card"><h3>签收</h3>
    <button type="button" class="primary" id="lead-acknowledge" disabled=${busy}
      onClick=${() => run("referral", "referral.acknowledge", { referral: lead.id },
                          `将签收问题线索 #${lead.id}「${lead.title}」`, "已签收")}>签收线索</button>${outcome}</div>`;
}

function Dispose({ lead, done }) {
  const [method, setMethod] = useState("");
  const [note, setNote] = useState("");
  const [run, outcome, busy] = useCommand(done);
  const submit = (e) => {
    e.preventDefault();
    const data = { referral: lead.id, method };
    if (note.trim()) data.note = note;
    run("referral", "referral.dispose", data, `将以「${word("method", method)}」方式处置问题线索 #${lead.id}「${lead.title}」`, "已处置");
  };
  return html`<form class="card" id="dispose-form" onSubmit=${submit}><h3>处置</h3>
    <${Field} label="处置方式" required name="method" value=${method} onValue=${setMethod}
      options=${[["", "请选择"], ...codeOptions("method", METHODS)]}/>
    <${Field} label="处置说明（选填）" textarea name="dispose-note" value=${note} onValue=${setNote}/>
    <div class="buttons"><button type="submit" class="primary" id="dispose-submit" disabled=${busy}>提交处置</button></div>${outcome}</form>`;
}

const COUNTS = [["party_sanctions", "党纪处分（人）"], ["administrative_sanctions", "政务处分（人）"],
                ["organizational_handling", "组织处理（人）"], ["detentions", "留置（人）"],
                ["prosecution_transfers", "移送司法（人）"]];

function Outcome({ lead, done }) {
  const [v, setV] = useState({ case_filed: false, note: "" });
  const [bad, setBad] = useState(null);
  const [run, outcome, busy] = useCommand(done);
  const bind = (name) => ({ name, value: v[name], onValue: (x) => setV((o) => ({ ...o, [name]: x })) });
  const submit = (e) => {
    e.preventDefault();
    const data = { referral: lead.id, case_filed: !!v.case_filed };
    for (const [k] of COUNTS) {
      const n = count(v[k]);
      if (n === null) return setBad("人数请填写整数。");
      data[k] = n;
    }
    setBad(null);
    if (v.note?.trim()) data.note = v.note;
    run("referral", "referral.outcome", data,
        `将报告问题线索 #${lead.id} 的处置结果：${data.case_filed ? "已立案" : "未立案"}，党纪处分 ${data.party_sanctions} 人，政务处分 ${data.administrative_sanctions} 人`,
        "处置结果已报告");
  };
  return html`<form class="card" id="outcome-form" onSubmit=${submit}><h3>报告处置结果</h3>
    <${Field} label="已立案" type="checkbox" ...${bind("case_filed")}/>
    ${COUNTS.map(([k, label]) => html`<${Field} label=${label} inputmode="numeric" ...${bind(k)}/>`)}
    <${Field} label="说明（选填）" textarea ...${bind("note")}/>
    ${bad ? html`<p class="refusal" role="alert">${bad}</p>` : null}
    <div class="buttons"><button type="submit" id="outcome-submit" disabled=${busy}>报告结果</button></div>${outcome}</form>`;
}

// One text and one button: conclude (办结) or reopen a parked lead (重新启用).
function NoteCommand({ lead, done, type, title, label, button, words, required }) {
  const [text, setText] = useState("");
  const [run, outcome, busy] = useCommand(done);
  const member = type === "referral.reopen" ? "reason" : "note";
  const submit = (e) => {
    e.preventDefault();
    const data = { referral: lead.id };
    if (text.trim()) data[member] = text;
    run("referral", type, data, words, `${title}：已提交`);
  };
  return html`<form class="card" id=${`${type.split(".")[1]}-form`} onSubmit=${submit}><h3>${title}</h3>
    <${Field} label=${label} textarea required=${required} name=${member} value=${text} onValue=${setText}/>
    <div class="buttons"><button type="submit" id=${`${type.split(".")[1]}-submit`} disabled=${busy}>${button}</button></div>${outcome}</form>`;
}

function Lead({ route }) {
  const id = Number(route.query.referral);
  const [stamp, bump] = useState(0);
  // referral.get is the logged read: asked once per opening (and after each command)
  const { value, refusal, busy } = useAsk("referral", "referral.get", { referral: id }, [id, stamp]);
  const lead = value?.result ?? null;    // a command's ack: {status, result}
  const again = () => bump((n) => n + 1);
  const content = lead?.content || {};
  const parked = lead?.state === "disposed" && lead.method === "park";
  return html`<${Page} title=${lead ? `问题线索 #${lead.id}` : "问题线索"}>
    <p class="muted" id="read-logged">按照规定，每次查阅问题线索均由服务登记（查阅人、时间）。</p>
    <${RefusalBox} refusal=${refusal}/>
    ${busy && !lead ? html`<${Busy} text="正在加载……"/>` : null}
    ${lead ? html`<div class="card" id="lead" data-state=${lead.state}>
      <h3 id="lead-title">${lead.title}</h3>
      <${Facts} rows=${[["类型", word("kind", lead.kind)], ["状态", word("state", lead.state)],
                        ["处置方式", lead.method ? word("method", lead.method) : "—"],
                        ["单位", lead.unit_name ?? html`<${Id}>${lead.unit}<//>`], ["问题类别", lead.category_name],
                        ["移交日期", lead.referred_on],
                        ["反馈期限", html`<${DateCell} date=${lead.due?.date} explain=${lead.due?.explain}/>`],
                        ...CONTENT.filter(([k]) => typeof content[k] === "string").map(([k, label]) => [label, content[k]])]}/>
      <${Outcomes} lead=${lead}/>
      <h3>办理记录</h3>
      <ol class="history">${(lead.history || []).map((h) => html`<li>${when(h.at)}
        ${ACTIONS[h.action] ?? h.action}（<${Actor} iss=${h.by}/>）</li>`)}</ol>
    </div>
    ${lead.state === "referred" ? html`<${Acknowledge} lead=${lead} done=${again}/>` : null}
    ${lead.state === "acknowledged" ? html`<${Dispose} lead=${lead} done=${again}/>` : null}
    ${lead.state === "disposed" && !parked ? html`<${Outcome} lead=${lead} done=${again}/>
      <${NoteCommand} lead=${lead} done=${again} type="referral.conclude" title="办结" label="办结说明（选填）"
        button="办结线索" words=${`将办结问题线索 #${lead.id}「${lead.title}」`}/>` : null}
    ${parked ? html`<${NoteCommand} lead=${lead} done=${again} type="referral.reopen" title="重新启用" label="重新启用的理由"
        required button="重新启用" words=${`将重新启用暂存待查的问题线索 #${lead.id}「${lead.title}」`}/>` : null}` : null}
  </${Page}>`;
}

export const pages = [
  { path: "leads", role: ["discipline"], title: "问题线索", nav: true, view: Leads },
  { path: "lead", role: ["discipline"], title: "问题线索", nav: false, view: Lead },
];
