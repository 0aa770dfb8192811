// discipline.js: a discipline body's pages (纪检监察机关): the problem leads (问题线索) referred
// to it, and only those (referral shows a target its own; docs/services/referral.md): sign for
// them, dispose, report outcomes, reopen a parked lead, conclude. Each time a lead is opened
// here the service records the read (lead.read) before it answers.
import { useState } from "../vendor/preact/hooks.mjs";
import { html, Actor, Id, Busy, DateCell, Field, Light, ListView, Page, RefusalBox, useAsk, useCommand } from "../js/ui.js";
import { routeGo } from "../js/route.js";
import { word } from "../js/words.js";
import { EvidenceField, EvidenceList, Facts, codeOptions, count, historyEvidence } from "./roles_common.js";
import { KIND_LISTS, formName, formOptions, kindName, kindOptions, useOutcomeKinds } from "../js/outcome_kinds.js";

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
const ACTIONS = { created: "移交", acknowledged: "签收", disposed: "处置", outcome: "报告结果",
                  reopened: "重新启用", concluded: "办结", extended: "延长期限", signed: "领导签批",
                  unit_succeeded: "单位承继", extension_requested: "申请延期", extension_declined: "不同意延期" };

// A time as people read it here: a history entry's (seconds since the epoch) or an RFC 3339 one.
const when = (at) => (typeof at === "number" ? new Date(at * 1000).toLocaleString("zh-CN", { hour12: false })
  : typeof at === "string" && /^\d{4}-\d\d-\d\dT/.test(at) ? new Date(at).toLocaleString("zh-CN", { hour12: false })
  : at ?? "");

function Outcomes({ lead }) {
  const kinds = useOutcomeKinds();
  if (!lead.outcomes?.length) return null;
  const files = historyEvidence(lead.history, "outcome");    // the n-th outcome's, as reported
  return html`<h3>处置结果</h3><ol class="outcomes">${lead.outcomes.map((o, k) => html`<li>${o.reported_on}：
    ${o.case_filed ? "已立案" : "未立案"}；党纪处分 ${o.party_sanctions}，政务处分 ${o.administrative_sanctions}，
    组织处理 ${o.organizational_handling}，留置 ${o.detentions}，移送司法 ${o.prosecution_transfers}${o.note ? `；${o.note}` : ""}
    ${o.people?.length ? html`<ol class="people">${o.people.map((p) => html`<li>${formName(kinds, p.form)}${
      KIND_LISTS.filter(([l]) => p[l]).map(([l, label]) => `，${label}：${kindName(kinds, l, p[l])}`).join("")}${
      p.detained ? "，留置" : ""}${p.prosecuted ? "，移送司法" : ""}</li>`)}</ol>` : null}
    <${EvidenceList} service="referral" evidence=${o.evidence ?? files[k]}/></li>`)}</ol>`;
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

const newPerson = () => ({ form: "1", party_sanction: "", administrative_sanction: "",
                           organizational_handling: "", detained: false, prosecuted: false });

// One person of an outcome: the form (四种形态) and what was decided for them.
function PersonFields({ n, kinds, person, set, remove }) {
  const bind = (name) => ({ name: `person-${n}-${name}`, value: person[name],
                            onValue: (x) => set({ ...person, [name]: x }) });
  return html`<fieldset class="person" data-person=${n}><legend>第 ${n} 人</legend>
    <${Field} label="运用形态" required options=${formOptions(kinds)} ...${bind("form")}/>
    ${KIND_LISTS.map(([list, label]) => html`<${Field} label=${label}
      options=${[["", "无"], ...kindOptions(kinds, list)]} ...${bind(list)}/>`)}
    <${Field} label="留置" type="checkbox" ...${bind("detained")}/>
    <${Field} label="移送司法" type="checkbox" ...${bind("prosecuted")}/>
    <button type="button" class="person-remove" onClick=${remove}>删除第 ${n} 人</button></fieldset>`;
}

// The person's outcome as the service takes it: only what was decided.
function personData(p) {
  const out = { form: Number(p.form) };
  for (const [list] of KIND_LISTS) if (p[list]) out[list] = p[list];
  if (p.detained) out.detained = true;
  if (p.prosecuted) out.prosecuted = true;
  return out;
}

// With people listed, the service derives the five counts from them: the counts are then not
// typed (a count that disagrees is refused); without people, the counts are typed as before.
function Outcome({ lead, done }) {
  const kinds = useOutcomeKinds();
  const [v, setV] = useState({ case_filed: false, note: "" });
  const [people, setPeople] = useState([]);
  const [bad, setBad] = useState(null);
  const [evidence, setEvidence] = useState([]);
  const [uploading, setUploading] = useState(false);
  const [run, outcome, busy] = useCommand(done);
  const bind = (name) => ({ name, value: v[name], onValue: (x) => setV((o) => ({ ...o, [name]: x })) });
  const submit = (e) => {
    e.preventDefault();
    const data = { referral: lead.id, case_filed: !!v.case_filed };
    let words;
    if (people.length) {
      data.people = people.map(personData);
      words = `将报告问题线索 #${lead.id} 的处置结果：${data.case_filed ? "已立案" : "未立案"}，涉及 ${people.length} 人（${
        data.people.map((p, i) => `第 ${i + 1} 人${formName(kinds, p.form)}${KIND_LISTS.filter(([l]) => p[l])
          .map(([l, label]) => `、${label}${kindName(kinds, l, p[l])}`).join("")}${p.detained ? "、留置" : ""}${p.prosecuted ? "、移送司法" : ""}`).join("；")}）`;
    } else {
      for (const [k] of COUNTS) {
        const n = count(v[k]);
        if (n === null) return setBad("人数请填写整数。");
        data[k] = n;
      }
      words = `将报告问题线索 #${lead.id} 的处置结果：${data.case_filed ? "已立案" : "未立案"}，党纪处分 ${data.party_sanctions} 人，政务处分 ${data.administrative_sanctions} 人`;
    }
    setBad(null);
    if (v.note?.trim()) data.note = v.note;
    if (evidence.length) data.evidence = evidence;
    run("referral", "referral.outcome", data, words, "处置结果已报告");
  };
  const setPerson = (i) => (p) => setPeople((list) => list.map((x, j) => (j === i ? p : x)));
  const removePerson = (i) => () => setPeople((list) => list.filter((_, j) => j !== i));
  return html`<form class="card" id="outcome-form" onSubmit=${submit}><h3>报告处置结果</h3>
    <${Field} label="已立案" type="checkbox" ...${bind("case_filed")}/>
    <h4>涉及人员</h4>
    ${people.length ? people.map((p, i) => html`<${PersonFields} n=${i + 1} kinds=${kinds} person=${p} set=${setPerson(i)}
        remove=${removePerson(i)}/>`)
      : html`<p class="muted">未逐人填写时，按下列人数报告；逐人填写后，人数由所列人员统计。</p>`}
    <div class="buttons"><button type="button" id="person-add"
      onClick=${() => setPeople((list) => [...list, newPerson()])}>添加人员</button></div>
    ${people.length ? null : COUNTS.map(([k, label]) => html`<${Field} label=${label} inputmode="numeric" ...${bind(k)}/>`)}
    <${Field} label="说明（选填）" textarea ...${bind("note")}/>
    <${EvidenceField} label="佐证材料（选填）" service="referral" value=${evidence} onValue=${setEvidence} onBusy=${setUploading}/>
    ${bad ? html`<p class="refusal" role="alert">${bad}</p>` : null}
    <div class="buttons"><button type="submit" id="outcome-submit" disabled=${busy || uploading}>报告结果</button></div>${outcome}</form>`;
}

// 申请延期: the body asks the office for a later feedback date (referral.request_extension);
// one open request at a time, answered by the office (granted: the due date moves; or declined
// with its reason). Until the lead is disposed: feedback given, no deadline is left to move.
function RequestExtension({ lead, done }) {
  const [due, setDue] = useState("");
  const [reason, setReason] = useState("");
  const [run, outcome, busy] = useCommand(done);
  const open = (lead.extension_requests || []).find((q) => q.state === "open");
  if (open)
    return html`<div class="card" id="extension-open"><h3>申请延期</h3>
      <p>已于 ${when(open.requested_at)} 申请将反馈期限延至 <span class="id">${open.due}</span>，等待巡察办答复。</p></div>`;
  const submit = (e) => {
    e.preventDefault();
    run("referral", "referral.request_extension", { referral: lead.id, due, reason },
        `申请将移交 #${lead.id} 的反馈期限延至 ${due}`, "延期申请已提交，等待巡察办答复");
  };
  return html`<form class="card" id="extension-form" onSubmit=${submit}><h3>申请延期</h3>
    <p class="muted">现反馈期限 ${lead.due?.date}；申请的日期须晚于现期限，由巡察办审核。</p>
    <${Field} label="申请延至" type="date" required name="extension-due" value=${due} onValue=${setDue}/>
    <${Field} label="申请理由" textarea required name="extension-reason" value=${reason} onValue=${setReason}/>
    <div class="buttons"><button type="submit" id="extension-submit" disabled=${busy}>申请延期</button></div>${outcome}</form>`;
}

const ANSWERS = { open: "待巡察办答复", granted: "已同意", declined: "未同意" };

// Every request and its answer: a declined one with the office's reason.
function ExtensionRequests({ lead }) {
  const list = lead.extension_requests || [];
  if (!list.length) return null;
  return html`<h3>延期申请</h3><ol class="extension-requests" id="extension-requests">${list.map((q) => html`<li
      data-state=${q.state}>${when(q.requested_at)} 申请延至 ${q.due}（${q.reason}）：<strong>${ANSWERS[q.state] ?? q.state}</strong>${
      q.state === "granted" ? `，反馈期限延至 ${q.answer.due}` : ""}${
      q.state === "declined" ? html`，理由：<span class="decline-reason">${q.answer.reason}</span>` : ""}</li>`)}</ol>`;
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
      <${ExtensionRequests} lead=${lead}/>
      <h3>办理记录</h3>
      <ol class="history">${(lead.history || []).map((h) => html`<li>${when(h.at)}
        ${ACTIONS[h.action] ?? h.action}（<${Actor} iss=${h.by}/>）</li>`)}</ol>
    </div>
    ${lead.state === "referred" ? html`<${Acknowledge} lead=${lead} done=${again}/>` : null}
    ${!lead.disposed_on && lead.state !== "concluded" ? html`<${RequestExtension} lead=${lead} done=${again}/>` : null}
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
