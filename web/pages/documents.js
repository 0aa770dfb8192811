// 公文: formal documents to GB/T 9704-2012 (docs/console.md, "Formal documents (公文)"). 拟制公文
// composes a document from the signed records (rectify.get, rectify.list, intake's round and unit)
// and never asks for what they hold: only 主送, the date and, for a 约谈记录 or 专题报告, the text
// the records lack may be edited. The office issues it (document.issue, with the SHA-256 of the
// content and the events it was made from); then it prints (window.print(), print.css: A4, the
// standard's margins, 版头, 页码). The register lists what was issued (document.list).
import { useEffect, useState } from '../vendor/preact/hooks.mjs';
import { ask } from '../js/session.js';
import { html, Page, Field, Id, Busy, RefusalBox, ListView, useAsk, useAskOnce, useCommand } from '../js/ui.js';
import { word } from '../js/words.js';
import { href, today } from './office/common.js';

// What each kind is made from: an item, a referral (a special report), or a round (with a unit,
// or all of the round's).
const FROM_ITEM = (kind) => kind === 'rectify_notice' || kind === 'interview_record' || kind.startsWith('step.');
// The kinds whose records lack some text (what was said at an interview, a report's findings).
const FREE_TEXT = { interview_record: '约谈情况（记录中没有的内容）', special_report: '报告补充说明（记录中没有的内容）' };
const MAX_SOURCES = 200;   // document.issue's limit

// A date as GB/T 9704-2012 7.3.5.1 writes it: Arabic numerals, 年月日 in full, no leading zeros.
export function dateWritten(day) {
  const [y, m, d] = String(day).split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Every row of a paged list query.
async function askAll(service, type, data, member = 'items') {
  const rows = [];
  let after;
  do {
    const page = await ask(service, type, { ...data, limit: 100, ...(after !== undefined ? { after } : {}) });
    rows.push(...page[member]);
    after = page.next ?? undefined;
  } while (after !== undefined && rows.length < 2000);
  return rows;
}

// The records a document of kind is made from: {kinds, issuer, round, unit, items (rectify.get
// each, with its events)}.
async function gather(q) {
  if (q.kind === 'special_report') return gatherReport(q);
  let items;
  if (FROM_ITEM(q.kind)) items = [await ask('rectify', 'rectify.get', { item: Number(q.item) })];
  else {
    const rows = await askAll('rectify', 'rectify.list', { round: q.round, ...(q.unit ? { unit: q.unit } : {}) });
    // a document names at most 200 sources: more items than that are not made into one document
    if (rows.length > MAX_SOURCES) return { tooMany: rows.length };
    items = await Promise.all(rows.map((r) => ask('rectify', 'rectify.get', { item: r.id })));
  }
  // the notice and the feedback name the problems' classification too (problem.get's events)
  if (q.kind === 'rectify_notice' || q.kind === 'feedback')
    items = await Promise.all(items.map(async (it) => ({
      ...it, problemEvents: (await ask('intake', 'problem.get', { problem: it.problem })).events || [] })));
  const roundId = q.round || items[0]?.round;
  const unitId = q.unit || (FROM_ITEM(q.kind) ? items[0]?.unit : null);
  const [kinds, round, unit] = await Promise.all([
    ask('rectify', 'document.kinds', { round: roundId }),
    ask('intake', 'round.get', { round: roundId }),
    unitId ? ask('intake', 'unit.get', { unit: unitId }) : null,
  ]);
  const units = {};
  if (!unitId)
    for (const u of new Set(items.map((i) => i.unit)))
      units[u] = (await ask('intake', 'unit.get', { unit: u })).name;
  else units[unitId] = unit.name;
  return { kinds, issuer: kinds.issuer, round, unit, units, items };
}

// A special report (专题报告) is a referral of kind report, made and signed off (领导签批) in
// referral: its title, text and sign-off are the referral's (referral.get, a logged read whose
// ack carries it). The recipient offered is the target's display name when the registry gives it.
async function gatherReport(q) {
  const report = (await ask('referral', 'referral.get', { referral: Number(q.referral) })).result;
  const [kinds, round, people] = await Promise.all([
    ask('rectify', 'document.kinds', report.round ? { round: report.round } : {}),
    report.round ? ask('intake', 'round.get', { round: report.round }) : null,
    ask('registry', 'principal.list', { limit: 500 }).catch(() => null),
  ]);
  const target = people?.principals?.find((p) => p.iss === report.target)?.display;
  return { kinds, issuer: kinds.issuer, round, unit: null, units: {}, items: [], report, target };
}

// The events a document names: the items' rectify.opened (and, for the notice and the feedback,
// their problems' problem.classified in intake), for a ladder letter the escalations too; for
// the lists every item's events (its plan, claims, review); a special report its referral's.
function sourcesOf(kind, items, report) {
  if (kind === 'special_report')
    return (report?.events || []).filter((e) => e.type === 'referral.created' || e.type === 'referral.signed')
      .map((e) => ({ service: 'referral', seq: e.seq, hash: e.hash }));
  const types = kind === 'rectify_notice' || kind === 'feedback' ? ['rectify.opened']
    : kind.startsWith('step.') ? ['rectify.opened', 'rectify.escalated'] : null;
  const out = [];
  for (const it of items) {
    // the problem's classification (intake's problem.classified) the notice and the feedback rest on
    for (const e of it.problemEvents || [])
      if (e.type === 'problem.classified') out.push({ service: 'intake', seq: e.seq, hash: e.hash });
    for (const e of it.events || [])
      if (!types || types.includes(e.type)) out.push({ service: 'rectify', seq: e.seq, hash: e.hash });
  }
  return out.slice(0, MAX_SOURCES);
}

const dueOf = (it) => it.due || '—';
const measuresOf = (it) => it.measures.map((m) => `${m.text}（责任人${m.owner}，牵头领导${m.lead_leader}，${dateWritten(m.deadline)}前完成）`);

// The document's content from the records and the few edited fields: {title, paragraphs, rows?}.
function compose(q, rec, edit) {
  const kindName = rec.kinds.kinds.find((k) => k.kind === q.kind)?.name ?? '';
  const unitName = rec.unit?.name ?? '';
  const roundName = rec.round?.name ?? '';
  const it = rec.items[0];
  const paragraphs = [];
  let rows = null;
  let title;
  if (q.kind === 'rectify_notice') {
    title = `关于${unitName}限期整改巡察反馈问题的${kindName}`;
    paragraphs.push(`根据${roundName}巡察反馈意见，你单位存在以下问题：${it.summary}（问题类别：${it.category_name || it.category}）。`);
    paragraphs.push(`该问题于${dateWritten(it.opened_on)}反馈，整改类型为${word('class', it.class)}，请于${it.due ? dateWritten(it.due) : '规定期限'}前完成整改，并按要求报送整改方案和整改情况。`);
  } else if (q.kind.startsWith('step.')) {
    const d = it.deadlines.find((x) => x.running) || it.deadlines[0];
    title = `关于${unitName}巡察反馈问题整改逾期的${kindName}`;
    paragraphs.push(`${roundName}反馈你单位的问题“${it.summary}”，整改期限为${d ? dateWritten(d.due) : '—'}，截至目前尚未完成整改销号。`);
    paragraphs.push(`现依规发出${kindName}，请你单位党组织切实履行整改主体责任，立即组织整改，并于收到本函后按要求书面报告整改进展。`);
  } else if (q.kind === 'interview_record') {
    title = `${unitName}整改工作${kindName}`;
    paragraphs.push(`事由：${roundName}反馈你单位的问题“${it.summary}”整改情况（反馈日期${dateWritten(it.opened_on)}，整改期限${it.due ? dateWritten(it.due) : '—'}）。`);
    if (edit.text) paragraphs.push(...edit.text.split(/\n+/).filter(Boolean));
  } else if (q.kind === 'feedback') {
    title = `${roundName}关于${unitName || '被巡察单位'}的${kindName}`;
    paragraphs.push(`按照巡察工作安排，${roundName}对${unitName || '被巡察单位'}进行了巡察。现将巡察发现的问题反馈如下：`);
    rec.items.forEach((x, i) => paragraphs.push(`${i + 1}. ${x.summary}（${x.category_name || x.category}；${word('class', x.class)}，整改期限${x.due ? dateWritten(x.due) : '—'}）。`));
    paragraphs.push('请认真对照反馈问题，制定整改方案，明确整改措施、责任人和完成时限，按期报送整改情况。');
  } else if (q.kind === 'three_lists') {
    title = `${roundName}${unitName ? `${unitName}` : ''}${kindName}（问题清单、任务清单、责任清单）`;
    paragraphs.push(`${roundName}反馈问题共${rec.items.length}个，问题清单、任务清单和责任清单如下。`);
    rows = rec.items.map((x, i) => ({ n: i + 1, unit: rec.units[x.unit] ?? x.unit, summary: x.summary,
      measures: measuresOf(x), due: dueOf(x), state: word('state', x.state) }));
  } else {
    const r = rec.report;
    title = r.title;
    paragraphs.push(...String(r.content?.detail ?? '').split(/\n+/).filter(Boolean));
    if (edit.text) paragraphs.push(...edit.text.split(/\n+/).filter(Boolean));
    if (r.signed) paragraphs.push(`领导签批：${r.signed.leader.title}${r.signed.leader.name}，${dateWritten(r.signed.on)}。`);
  }
  return { title, paragraphs, rows };
}

// The content a document's SHA-256 is of: its words and its sources, in a fixed order.
const canonical = (q, doc, edit, sources) => JSON.stringify({
  kind: q.kind, round: q.round || null, unit: q.unit || null, item: q.item ? Number(q.item) : null,
  referral: q.referral ? Number(q.referral) : null,
  title: doc.title, recipient: edit.recipient, date: edit.date, paragraphs: doc.paragraphs, rows: doc.rows, sources });

// The document as paper: 版头 (the issuer in red, 发文字号, the red line), 标题, 主送, 正文,
// 落款 and 成文日期, then the 版记 that ties the paper to the signed records.
function Paper({ issuer, number, doc, edit, sources, sha }) {
  return html`<article class="gw" id="document" lang="zh-CN">
    <header class="gw-head">
      <p class="gw-organ" id="doc-organ">${issuer.name}</p>
      <p class="gw-number" id="doc-number">${number || '（发文字号于签发时编排）'}</p>
      <div class="gw-redline"></div>
    </header>
    <h1 class="gw-title" id="doc-title">${doc.title}</h1>
    <p class="gw-to" id="doc-recipient">${edit.recipient}：</p>
    <div class="gw-body" id="doc-body">
      ${doc.paragraphs.map((p, i) => html`<p key=${i}>${p}</p>`)}
      ${doc.rows ? html`<table class="gw-table" id="doc-rows"><thead><tr><th>序号</th><th>单位</th><th>问题</th><th>整改措施（任务、责任）</th><th>期限</th><th>状态</th></tr></thead>
        <tbody>${doc.rows.map((r) => html`<tr key=${r.n}><td>${r.n}</td><td>${r.unit}</td><td>${r.summary}</td>
          <td>${r.measures.length ? r.measures.map((m, k) => html`<p key=${k}>${m}</p>`) : '尚未制定'}</td><td>${r.due}</td><td>${r.state}</td></tr>`)}</tbody></table>` : null}
    </div>
    <div class="gw-sign"><p id="doc-signer">${issuer.name}</p><p id="doc-date">${dateWritten(edit.date)}</p></div>
    <footer class="gw-record" id="doc-record">
      <p>发文字号：${number ? html`<span id="doc-record-number">${number}</span>` : '待签发'}</p>
      <p>来源记录：${sources.map((s, i) => html`${i ? '，' : ''}<${Id}>${s.service}#${s.seq} ${s.hash.slice(0, 16)}<//>`)}</p>
      <p>内容摘要（<${Id}>SHA-256<//>）：<${Id}>${sha || '—'}<//></p>
    </footer>
  </article>`;
}

// The address a register entry was composed from (the links build the same): an item's kinds
// by the item, a special report by its referral, the others by the round (and unit).
function queryOf(doc) {
  if (FROM_ITEM(doc.kind)) return { kind: doc.kind, item: String(doc.item) };
  if (doc.kind === 'special_report') return { kind: doc.kind, referral: String(doc.referral) };
  return { kind: doc.kind, round: doc.round, ...(doc.unit ? { unit: doc.unit } : {}) };
}

// 拟制公文 (#/document?kind=…) composes a new document; an issued one (#/document?id=, from the
// register) is composed again from the records and its register entry (主送, date, text), and
// shown as issued only when its SHA-256 is the one issued: a record changed since is said so.
function ComposePage({ route }) {
  const [issuedDoc, setIssuedDoc] = useState(null);
  const q = route.query.id ? (issuedDoc ? queryOf(issuedDoc) : null) : route.query;
  const [rec, setRec] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const [tooMany, setTooMany] = useState(0);
  const [edit, setEdit] = useState({ recipient: '', date: today(), text: '' });
  const [issued, setIssued] = useState(null);
  const [sha, setSha] = useState('');
  const [run, outcome, busy] = useCommand();
  useEffect(() => {
    let live = true;
    setIssuedDoc(null);
    if (route.query.id)
      ask('rectify', 'document.get', { document: Number(route.query.id) }).then((d) => live && setIssuedDoc(d),
        (e) => live && setRefusal(e));
    return () => { live = false; };
  }, [route.query.id]);
  const key = JSON.stringify(q);
  useEffect(() => {
    let live = true;
    setRec(null); setIssued(null); setRefusal(null); setTooMany(0);
    if (!q) return undefined;
    gather(q).then((r) => {
      if (!live) return;
      if (r.tooMany) {
        setTooMany(r.tooMany);
        return;
      }
      setRec({ ...r, key });
      if (issuedDoc) {
        setEdit({ recipient: issuedDoc.recipient, date: issuedDoc.dated || issuedDoc.issued_on, text: issuedDoc.text || '' });
        setIssued({ number: issuedDoc.number, issuer_name: issuedDoc.issuer_name, sha: issuedDoc.content_sha256, again: true });
        return;
      }
      const recipient = r.report ? (r.target || '') : r.unit ? `中共${r.unit.name}委员会` : `${r.round.name}各被巡察单位党组织`;
      // the 成文日期 offered is the service's today (its clock decides the number's year too)
      setEdit((e) => ({ ...e, recipient, date: r.kinds.today || e.date }));
    }, (e) => live && setRefusal(e));
    return () => { live = false; };
  }, [key]);
  const ready = rec && q && rec.key === key;   // the records of the address shown, not of one left
  const sources = ready ? sourcesOf(q.kind, rec.items, rec.report) : [];
  // a special report is issued once a leader has signed it off (referral.sign)
  const unsigned = ready && rec.report && !rec.report.signed;
  const doc = ready ? compose(q, rec, edit) : null;
  const text = ready ? canonical(q, doc, edit, sources) : '';
  useEffect(() => {
    let live = true;
    if (text) sha256Hex(text).then((h) => live && setSha(h));
    return () => { live = false; };
  }, [text]);
  const kindName = rec?.kinds.kinds.find((k) => k.kind === q?.kind)?.name;
  // an issued document composed again: the same content as issued, or not
  const same = issued?.again && sha ? sha === issued.sha : null;
  async function issue() {
    const data = { kind: q.kind, ...(rec.round ? { round: rec.round.id } : {}), title: doc.title, recipient: edit.recipient, sources,
      content_sha256: await sha256Hex(text), dated: edit.date };
    if (rec.unit) data.unit = rec.unit.id;
    if (q.item) data.item = Number(q.item);
    if (q.referral) data.referral = Number(q.referral);
    if (FREE_TEXT[q.kind] && edit.text) data.text = edit.text;
    const reply = await run('rectify', 'document.issue', data, `签发${kindName}“${doc.title}”，主送${edit.recipient}。签发后即编排发文字号，内容不能再修改。`,
      (r) => `已签发，发文字号：${r.result.number}`);
    if (reply) setIssued({ ...reply.result, sha: data.content_sha256 });
  }
  const set = (name) => (v) => !issued && setEdit((e) => ({ ...e, [name]: v }));
  return html`<${Page} title=${kindName ? `拟制公文：${kindName}` : '拟制公文'}>
    <p class="no-print"><a href=${href('documents')}>← 返回公文登记</a></p>
    <${RefusalBox} refusal=${refusal}/>
    ${issued?.again && same === true ? html`<p class="done no-print" role="status" id="doc-same">已签发的公文：按签名记录重新生成的内容与签发时一致（内容摘要相同），可以重印。</p>` : null}
    ${issued?.again && same === false ? html`<p class="refusal no-print" role="alert" id="doc-changed">记录在签发后已有变化，重新生成的内容与签发时不同（内容摘要不同），不能重印；下方为按当前记录生成的内容，仅供核对。</p>` : null}
    ${tooMany ? html`<p class="refusal" role="alert" id="doc-too-many">本公文涉及整改事项 ${tooMany} 项，超过一份公文可列明的 ${MAX_SOURCES} 项来源记录，请按单位分别拟制。</p>` : null}
    ${!ready ? (refusal || tooMany ? null : html`<${Busy} text="正在读取记录……"/>`) : html`
      ${!rec.kinds.kinds.some((k) => k.kind === q.kind) ? html`<p class="refusal" role="alert">此种公文未在政策中配置，无法拟制。</p>` : null}
      ${!sources.length ? html`<p class="refusal" role="alert">没有可作为来源的签名记录，无法签发。</p>` : null}
      ${unsigned ? html`<p class="refusal" role="alert" id="doc-unsigned">该专题报告尚未经领导签批，签批后方可签发。</p>` : null}
      <form class="card no-print" id="doc-form" onSubmit=${(e) => { e.preventDefault(); issue(); }}>
        <p class="muted">正文由已签名的记录生成，不能改写；可填写主送机关、成文日期${FREE_TEXT[q.kind] ? '和记录中没有的内容' : ''}。</p>
        <${Field} label="主送机关" name="recipient" value=${edit.recipient} onValue=${set('recipient')} required disabled=${!!issued}/>
        <${Field} label="成文日期" name="date" type="date" value=${edit.date} onValue=${set('date')} required disabled=${!!issued}/>
        ${FREE_TEXT[q.kind] ? html`<${Field} label=${FREE_TEXT[q.kind]} name="text" textarea value=${edit.text} onValue=${set('text')} disabled=${!!issued}/>` : null}
        <div class="buttons">
          ${issued ? null : html`<button type="submit" class="primary" id="doc-issue" disabled=${busy || !sources.length || unsigned || !edit.recipient}>签发</button>`}
          ${issued && (!issued.again || same) ? html`<button type="button" class="primary" id="doc-print" onClick=${() => window.print()}>打印</button>` : null}
        </div>
        ${outcome}
      </form>
      <${Paper} issuer=${issued ? { name: issued.issuer_name } : rec.issuer} number=${issued && (!issued.again || same) ? issued.number : null}
        doc=${doc} edit=${edit} sources=${sources} sha=${issued?.again ? sha : issued?.sha || sha}/>`}
  <//>`;
}

// The register: what was issued, with its number, kind, round and date (document.list).
function RegisterPage() {
  // the kinds as the deployment's policy names them (document.kinds), for the kind filter
  const kinds = useAskOnce('rectify', 'document.kinds');
  return html`<${Page} title="公文登记">
    <p class="muted">从轮次、单位、整改事项、专题报告页面的“拟制公文”开始拟制；签发后在此登记。</p>
    <${ListView} service="rectify" type="document.list" rowKey=${(d) => d.document}
      filters=${[{ name: 'kind', label: '种类', options: (kinds?.kinds || []).map((k) => [k.kind, k.name]) },
                 { name: 'round', label: '轮次' }, { name: 'unit', label: '单位' }, { name: 'year', label: '年度', number: true }]}
      columns=${[
        { label: '发文字号', value: (d) => html`<a class="doc-number" href=${href('document', { id: d.document })}>${d.number}</a>` },
        { label: '种类', value: (d) => d.kind_name },
        { label: '标题', value: (d) => d.title },
        { label: '主送', value: (d) => d.recipient },
        { label: '轮次', value: (d) => html`<${Id}>${d.round}<//>` },
        { label: '签发日期', value: (d) => d.issued_on },
      ]} empty="尚未签发公文"/>
  <//>`;
}

// The link that opens a special report (专题报告) from its referral's page.
export function ReportLink({ referral }) {
  return html`<p class="doc-links">拟制公文：<a href=${href('document', { kind: 'special_report', referral })} data-kind="special_report">专题报告</a></p>`;
}

// The links that open 拟制公文 from a unit's page: for each round in which the unit has items
// (rectify.list of the unit, its first 500), its 巡察反馈意见 and its 三张清单.
export function UnitDocumentLinks({ unit }) {
  const got = useAsk('rectify', 'rectify.list', { unit, limit: 500 }, [unit]);
  const rounds = [...new Set((got.value?.items || []).map((i) => i.round).filter(Boolean))];
  if (!rounds.length) return null;
  return html`<div class="doc-links" id="unit-documents"><p>拟制公文（有整改事项的轮次）：</p><ul>${rounds.map((r) => html`<li key=${r}>
    <${Id}>${r}<//>：<a href=${href('document', { kind: 'feedback', round: r, unit })} data-kind="feedback" data-round=${r}>巡察反馈意见</a>
    · <a href=${href('document', { kind: 'three_lists', round: r, unit })} data-kind="three_lists" data-round=${r}>三张清单</a></li>`)}</ul></div>`;
}

// The links that open 拟制公文 from a round's or an item's page.
export function DocumentLinks({ round, unit, item, steps = [] }) {
  const links = item
    ? [['rectify_notice', '整改通知书'], ...steps.map((s) => [`step.${s.name}`, `${s.word}（督办升级）`]), ['interview_record', '约谈记录']]
    : [['feedback', '巡察反馈意见'], ['three_lists', '三张清单']];
  const q = (kind) => (item ? { kind, item } : { kind, round, ...(unit ? { unit } : {}) });
  return html`<p class="doc-links">拟制公文：${links.map(([kind, name], i) => html`${i ? ' · ' : ''}<a href=${href('document', q(kind))} data-kind=${kind}>${name}</a>`)}</p>`;
}

export const pages = [
  { path: 'documents', role: ['office', 'district'], title: '公文', nav: true, view: RegisterPage },
  { path: 'document', role: ['office', 'district'], title: '拟制公文', nav: false, view: ComposePage },
];
