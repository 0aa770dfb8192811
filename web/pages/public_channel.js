// public_channel.js: 码上巡 in the console (docs/console.md, "码上巡: the public page and the
// poster"): on a problem from the public channel, the follow-up questions and the reporter's
// answers with a form to ask (problem.ask: office, district, team), and for the office
// 查看联系方式 (problem.contact, after a confirmation that the opening is recorded); the team's
// list of its rounds' public reports and their page; the poster #/poster/<round> (office,
// district) to print on A4 with each unit's QR code (/v1/public/qr).
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { act } from "../js/session.js";
import { html, Id, Busy, Field, ListView, Page, RefusalBox, useAsk, useCommand } from "../js/ui.js";
import { routeGo, routeHref } from "../js/route.js";
import { whenShown, word } from "../js/words.js";
import { Facts } from "./roles_common.js";

// Roles that may open the contact: the office always; a team only when the deployment's policy
// names it (policies.intake.public.contact_readers), which the page cannot read, so a team's
// 查看联系方式 is not offered and the service stays the judge.
const CONTACT_ROLES = ["office"];

export const isPublic = (p) => !!p && (p.source === "public" || !!p.public);

function Contact({ problem }) {
  const [contact, setContact] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const [busy, setBusy] = useState(false);
  async function open() {
    setRefusal(null);
    setBusy(true);
    try {
      const got = await act("intake", "problem.contact", { problem: problem.id },
        `将查看问题 #${problem.id} 反映人的联系方式。本次查看将被记录（查看人和时间），请仅在办理需要时查看。`);
      // a command: each opening is recorded before the contact is answered
      if (got) setContact(got.result?.contact ?? got.contact);
    } catch (e) {
      setRefusal(e);
    }
    setBusy(false);
  }
  if (contact) return html`<dl class="facts" id="public-contact">
    <dt>姓名</dt><dd id="contact-name">${contact.name || "（未填写）"}</dd>
    <dt>电话</dt><dd id="contact-phone">${contact.phone ? html`<${Id}>${contact.phone}<//>` : "（未填写）"}</dd></dl>`;
  return html`<div><button type="button" id="contact-open" disabled=${busy} onClick=${open}>查看联系方式</button>
    ${busy ? html`<${Busy}/>` : null}<${RefusalBox} refusal=${refusal}/></div>`;
}

function Ask({ problem, onDone }) {
  const [text, setText] = useState("");
  const [run, outcome, busy] = useCommand(async () => { setText(""); await onDone(); });
  function submit(e) {
    e.preventDefault();
    run("intake", "problem.ask", { problem: problem.id, text }, `将向问题 #${problem.id} 的反映人提问：「${text}」`, "已发出提问");
  }
  return html`<form class="form" id="ask-form" onSubmit=${submit}>
    <${Field} label="向反映人提问" name="question" textarea required value=${text} onValue=${setText}
      hint="反映人凭查询码在码上巡页面看到提问并答复，巡察组看不到反映人的身份。"/>
    <button type="submit" disabled=${busy}>发出提问</button>${outcome}
  </form>`;
}

// The public section of a problem's page: null for a problem from another source.
export function PublicSection({ problem, me, onDone }) {
  if (!isPublic(problem)) return null;
  const qs = problem.questions || [];
  const pub = problem.public || {};
  return html`<section class="card" id="public-section">
    <h3>码上巡：群众反映</h3>
    <dl class="facts">
      <dt>收到时间</dt><dd>${pub.received_at ? whenShown(pub.received_at) : "—"}</dd>
      <dt>联系方式</dt><dd id="has-contact">${pub.has_contact ? "反映人留有联系方式（已加密）" : "反映人未留联系方式"}</dd>
    </dl>
    ${pub.has_contact && CONTACT_ROLES.includes(me?.role) ? html`<${Contact} problem=${problem}/>` : null}
    <h4>提问与答复</h4>
    ${qs.length ? html`<ul id="questions">${qs.map((q) => html`<li key=${q.id} data-id=${q.id}>
        <p>提问（${whenShown(q.asked_at)}）：<span class="q-text">${q.text}</span></p>
        <p class="q-answer">${q.answer != null ? `答复（${whenShown(q.answered_at)}）：${q.answer}` : "尚未答复"}</p></li>`)}</ul>`
      : html`<p class="empty" id="no-questions">暂无提问</p>`}
    <${Ask} problem=${problem} onDone=${onDone}/>
  </section>`;
}

// The team's page of a problem of its rounds (problem.get as a team sees it).
function TeamProblem({ route, me }) {
  const id = Number(route.query.id);
  const [turn, setTurn] = useState(0);
  const got = useAsk("intake", "problem.get", { problem: id }, [id, turn]);
  const p = got.value;
  return html`<${Page} title=${`问题 #${id}`}>
    <p><a href=${routeHref("team-public")}>← 返回群众反映列表</a></p>
    <${RefusalBox} refusal=${got.refusal}/>
    ${!p ? (got.busy ? html`<${Busy}/>` : null) : html`
      <section class="card" id="problem"><h3>${p.summary}</h3>
        <${Facts} rows=${[["单位", html`<${Id}>${p.unit}<//>`], ["轮次", p.round ? html`<${Id}>${p.round}<//>` : "—"],
                         ["状态", word("status", p.status)], ["发现日期", p.found_on]]}/>
        <h4>详情</h4><p class="detail">${p.detail}</p></section>
      <${PublicSection} problem=${p} me=${me} onDone=${() => setTurn((n) => n + 1)}/>`}
  <//>`;
}

function TeamPublic() {
  return html`<${Page} title="群众反映">
    <p class="muted">本组轮次中经码上巡收到的群众反映。可向反映人提问，反映人凭查询码答复。</p>
    <${ListView} service="intake" type="problem.list" extra=${{ source: "public" }}
      filters=${[{ name: "round", label: "巡察轮次" }]}
      columns=${[
        { label: "编号", value: (p) => `#${p.id}` },
        { label: "问题摘要", value: (p) => p.summary },
        { label: "单位", value: (p) => html`<${Id}>${p.unit}<//>` },
        { label: "发现日期", value: (p) => p.found_on },
      ]}
      onOpen=${(p) => routeGo("team-problem", { id: p.id })}
      empty="暂无群众反映"/>
  <//>`;
}

// One unit's poster sheet: public.info (as the office reads it) and the QR of the public page.
function Sheet({ round, unit }) {
  const { value: info, refusal, busy } = useAsk("intake", "public.info", { round, unit }, [round, unit]);
  const q = new URLSearchParams({ round, unit, format: "svg" });
  return html`<article class="poster-sheet" data-unit=${unit}>
    <h2 class="poster-title">码上巡 · 欢迎群众反映问题</h2>
    <${RefusalBox} refusal=${refusal}/>
    ${info ? html`<p class="poster-round">${info.round.name}</p>
      <p class="poster-unit">被巡察单位：<span class="unit-name">${info.unit?.name ?? unit}</span></p>
      <img class="poster-qr" src=${`/v1/public/qr?${q}`} alt=${`${info.unit?.name ?? "本单位"}的码上巡二维码`}/>
      <p class="poster-until">受理截止：${info.until}</p>
      <p>请用手机扫描二维码，填写您看到或了解到的问题。可以不留姓名；留下的联系方式经加密保存。</p>
      <ol class="poster-steps">${info.steps.map((s, i) => html`<li key=${i}>${s}</li>`)}</ol>
      <p class="poster-notice">${info.contact_notice}</p>` : busy ? html`<${Busy} text="正在加载……"/>` : null}
  </article>`;
}

function Poster({ route }) {
  const id = decodeURIComponent(route.path.slice("poster/".length));
  const got = useAsk("intake", "round.get", { round: id }, [id]);
  const r = got.value;
  useEffect(() => { document.title = `码上巡海报 - 巡察工作平台`; }, []);
  return html`<div class="poster" id="poster">
    <div class="no-print">
      <h2>码上巡二维码海报</h2>
      <p class="muted">每个被巡察单位一页，用 <${Id}>A4<//> 纸打印后张贴在单位公告处。</p>
      <p class="buttons"><button type="button" id="poster-print" onClick=${() => print()}>打印</button>
        ${r ? html`<a class="button" href=${routeHref("round", { id: r.id })}>返回轮次</a>` : null}</p>
    </div>
    <${RefusalBox} refusal=${got.refusal}/>
    ${r ? r.targets.map((t) => html`<${Sheet} key=${t.unit} round=${r.id} unit=${t.unit}/>`) : got.busy ? html`<${Busy}/>` : null}
  </div>`;
}

// "poster" takes the round after a slash (#/poster/R-1); app.js matches it by prefix.
export const pages = [
  { path: "poster", prefix: true, role: ["office", "district"], title: "码上巡海报", nav: false, view: Poster },
  { path: "team-public", role: ["team"], title: "群众反映", nav: true, view: TeamPublic },
  { path: "team-problem", role: ["team"], title: "问题", nav: false, view: TeamProblem },
];
