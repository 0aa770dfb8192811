// 移交: referrals (referral.list / referral.get, a logged read), made by the office
// (referral.create: special reports and their recommendations, or a lead outside a problem),
// followed through their due dates (the service's explanation shown, never recomputed),
// extended (referral.extend) and, for a special report, signed off by a leader (referral.sign).
import { useState } from '../../vendor/preact/hooks.mjs';
import { ReportLink } from '../documents.js';
import { Actor, Id, useAsk, Page, Field, ListView, DateCell, Light, RefusalBox, Busy, useCommand } from '../../js/ui.js';
import { word } from '../../js/words.js';
import { categoryOptions, useCategories } from '../../js/categories.js';
import { spanChinese } from './spans.js';
import { html, pick, useForm, href, PrincipalField } from './common.js';

const KINDS = ['lead', 'handover', 'report'];
const STATES = ['referred', 'acknowledged', 'disposed', 'concluded'];
const ACTIONS = { created: '移交', acknowledged: '签收', disposed: '处置', outcome: '报告结果', reopened: '重新办理',
  concluded: '办结', extended: '延期', signed: '领导签批', unit_succeeded: '单位变更承接',
  extension_requested: '申请延期', extension_declined: '不同意延期' };

function ReferralCreate({ onDone }) {
  const [v, bind] = useForm({ kind: 'report', target: '', title: '', detail: '', problem: '', round: '', unit: '', category: '' });
  const [run, outcome, busy] = useCommand(onDone);
  const categories = useCategories();
  function submit(e) {
    e.preventDefault();
    const data = { kind: v.kind, target: v.target.trim(), title: v.title, detail: v.detail };
    if (v.problem) data.problem = Number(v.problem);
    for (const k of ['round', 'unit', 'category']) if (v[k].trim()) data[k] = v[k].trim();
    run('referral', 'referral.create', data, `将「${data.title}」作为${word('kind', data.kind)}移交 ${data.target}`, '已移交');
  }
  return html`<form class="card form" id="referral-create" onSubmit=${submit}>
    <h3>新建移交</h3>
    <${Field} label="移交类型" options=${pick('kind', KINDS)} ...${bind('kind')} />
    <${PrincipalField} label="接收单位" roles=${['discipline', 'department']} required ...${bind('target')} />
    <${Field} label="标题" required ...${bind('title')} />
    <${Field} label="内容" textarea required ...${bind('detail')} />
    <${Field} label="问题编号（可不填）" type="number" ...${bind('problem')} />
    <${Field} label="轮次编号（可不填）" ...${bind('round')} />
    <${Field} label="单位编号（可不填）" ...${bind('unit')} />
    <${Field} label="问题类别（可不选）" options=${[['', '（不选）'], ...categoryOptions(categories)]} ...${bind('category')} />
    <button type="submit" disabled=${busy}>移交</button>${outcome}
  </form>`;
}

function ReferralsPage({ route }) {
  const [turn, setTurn] = useState(0);
  const columns = [
    { label: '编号', value: (r) => html`<a href=${href('referral', { id: r.id })}>#${r.id}</a>` },
    { label: '类型', value: (r) => word('kind', r.kind) },
    { label: '标题', value: (r) => r.title },
    { label: '接收单位', value: (r) => html`<${Id}>${r.target}<//>` },
    { label: '单位', value: (r) => r.unit_name || (r.unit ? html`<${Id}>${r.unit}<//>` : '—') },
    { label: '状态', value: (r) => word('state', r.state) + (r.method ? `（${word('method', r.method)}）` : '') },
    { label: '反馈期限', value: (r) => html`${r.due} ${r.overdue ? html`<${Light} colour="red" />` : null}` },
  ];
  const filters = [
    { name: 'kind', label: '移交类型', options: pick('kind', KINDS) },
    { name: 'state', label: '状态', options: pick('state', STATES) },
    { name: 'target', label: '接收单位（账号）' },
    { name: 'overdue', label: '是否逾期', boolean: true, options: [['true', '仅逾期'], ['false', '未逾期']] },
  ];
  return html`<${Page} title="移交">
    <${ListView} stamp=${turn} service="referral" type="referral.list" filters=${filters} columns=${columns} />
    <${ReferralCreate} onDone=${() => setTurn((n) => n + 1)} />
  <//>`;
}

function ReferralExtend({ r, onDone }) {
  const [v, bind] = useForm({ due: '', reason: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    run('referral', 'referral.extend', { referral: r.id, due: v.due, reason: v.reason },
      `将移交 #${r.id} 的反馈期限由 ${r.due.date} 延至 ${v.due}`, '已延期');
  }
  return html`<form class="card form" id="referral-extend" onSubmit=${submit}>
    <h3>延长反馈期限</h3>
    <${Field} label="新的期限" type="date" required ...${bind('due')} />
    <${Field} label="延期理由" textarea required ...${bind('reason')} />
    <button type="submit" disabled=${busy}>延期</button>${outcome}
  </form>`;
}

// The target's open request for more time (referral.request_extension): 同意 extends to the
// date asked (referral.extend, which marks the request granted), 不同意 declines it with the
// reason the target will read (referral.decline_extension).
function ExtensionAnswer({ r, onDone }) {
  const q = (r.extension_requests || []).find((x) => x.state === 'open');
  const [v, bind] = useForm({ reason: '' });
  const [run, outcome, busy] = useCommand(onDone);
  const [missing, setMissing] = useState(false);
  if (!q) return null;
  function grant() {
    setMissing(false);
    run('referral', 'referral.extend', { referral: r.id, due: q.due, reason: v.reason.trim() || `同意${r.target}的延期申请：${q.reason}`.slice(0, 600) },
      `同意将移交 #${r.id} 的反馈期限由 ${r.due.date} 延至 ${q.due}`, '已同意延期');
  }
  function decline() {
    if (!v.reason.trim()) { setMissing(true); return; }
    setMissing(false);
    run('referral', 'referral.decline_extension', { referral: r.id, reason: v.reason },
      `不同意移交 #${r.id} 延至 ${q.due} 的申请，理由：${v.reason}`, '已答复：不同意延期');
  }
  return html`<section class="card form" id="extension-answer">
    <h3>延期申请（待答复）</h3>
    <dl class="facts">
      <dt>申请单位</dt><dd>${q.requested_by}</dd>
      <dt>申请时间</dt><dd>${new Date(q.requested_at).toLocaleString('zh-CN', { hour12: false })}</dd>
      <dt>现反馈期限</dt><dd>${r.due.date}</dd>
      <dt>申请延至</dt><dd id="extension-asked">${q.due}</dd>
      <dt>申请理由</dt><dd id="extension-reason">${q.reason}</dd>
    </dl>
    <${Field} label="答复意见（不同意时必填）" textarea ...${bind('reason')} />
    ${missing ? html`<p class="refusal" role="alert">不同意延期时请填写理由。</p>` : null}
    <div class="buttons">
      <button type="button" id="extension-grant" disabled=${busy} onClick=${grant}>同意</button>
      <button type="button" id="extension-decline" disabled=${busy} onClick=${decline}>不同意</button>
    </div>${outcome}
  </section>`;
}

const ANSWERS = { open: '待答复', granted: '已同意', declined: '未同意' };

function ReferralSign({ r, onDone }) {
  const [v, bind] = useForm({ name: '', title: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    run('referral', 'referral.sign', { referral: r.id, leader: { name: v.name, title: v.title } },
      `将登记${v.title}${v.name}对专题报告 #${r.id}「${r.title}」的签批`, '已登记签批');
  }
  return html`<form class="card form" id="referral-sign" onSubmit=${submit}>
    <h3>领导签批</h3>
    <${Field} label="领导姓名" required ...${bind('name')} />
    <${Field} label="领导职务" required ...${bind('title')} />
    <button type="submit" disabled=${busy}>登记签批</button>${outcome}
  </form>`;
}

function ReferralPage({ route }) {
  const id = Number(route.query.id);
  const [turn, setTurn] = useState(0);
  const again = () => setTurn((n) => n + 1);
  // referral.get is itself recorded (lead.read): a command, whose ack carries the referral
  const got = useAsk('referral', 'referral.get', { referral: id }, [id, turn]);
  const r = got.value?.result;
  const open = r && r.state !== 'concluded';
  return html`<${Page} title=${`移交 #${id}`}>
    <p><a href=${href('referrals')}>← 返回移交列表</a></p>
    ${got.refusal ? html`<${RefusalBox} refusal=${got.refusal} />` : null}
    ${!r ? (got.busy ? html`<${Busy} />` : null) : html`
      <section class="card" id="referral">
        <h3>${r.title}</h3>
        <dl class="facts">
          <dt>类型</dt><dd>${word('kind', r.kind)}</dd>
          <dt>接收单位</dt><dd><${Id}>${r.target}<//></dd>
          <dt>状态</dt><dd id="referral-state">${word('state', r.state)}${r.method ? `（${word('method', r.method)}）` : ''}</dd>
          <dt>移交日期</dt><dd>${r.referred_on}</dd>
          <dt>反馈期限</dt><dd id="referral-due"><${DateCell} date=${r.due.date} explain=${r.due.explain} /></dd>
          <dt>期限规则</dt><dd>${spanChinese(r.due.policy)}（自 ${r.due.start} 起算；${r.due.calendar === 'calendar days' ? '按自然日' : '按工作日'}）</dd>
          <dt>单位</dt><dd>${r.unit_name || (r.unit ? html`<${Id}>${r.unit}<//>` : '—')}</dd>
          <dt>轮次</dt><dd>${r.round ? html`<${Id}>${r.round}<//>` : '—'}</dd>
          <dt>问题</dt><dd>${r.problem ? html`<a href=${href('problem', { id: r.problem })}>#${r.problem}</a>` : '—'}</dd>
          <dt>类别</dt><dd>${r.category_name || '—'}</dd>
          ${r.signed ? html`<dt>领导签批</dt><dd>${r.signed.leader.title}${r.signed.leader.name}（${r.signed.on}）</dd>` : null}
        </dl>
        ${r.due.extensions.length ? html`<h4>延期记录</h4><ul id="referral-extensions">${r.due.extensions.map((x, i) => html`<li key=${i}>由 ${x.from} 延至 ${x.to}：${x.reason}</li>`)}</ul>` : null}
        ${r.extension_requests?.length ? html`<h4>延期申请</h4><ul id="referral-extension-requests">${r.extension_requests.map((q) => html`<li key=${q.n} data-state=${q.state}>申请延至 ${q.due}（${q.reason}）：${ANSWERS[q.state] || q.state}${q.state === 'declined' ? `，理由：${q.answer.reason}` : ''}</li>`)}</ul>` : null}
        <h4>办理记录</h4>
        <ol id="referral-history">${r.history.map((x) => html`<li key=${x.n}>${x.at}：${ACTIONS[x.action] || x.action}（<${Actor} iss=${x.by}/>）</li>`)}</ol>
        ${r.outcomes.length ? html`<h4>办理结果</h4><ul>${r.outcomes.map((o) => html`<li key=${o.n}>${o.reported_on}：${o.case_filed ? '已立案' : '未立案'}；党纪处分 ${o.party_sanctions}，政务处分 ${o.administrative_sanctions}，组织处理 ${o.organizational_handling}，留置 ${o.detentions}，移送司法 ${o.prosecution_transfers}</li>`)}</ul>` : null}
      </section>
      <${ExtensionAnswer} r=${r} onDone=${again} />
      ${open && !r.disposed_on ? html`<${ReferralExtend} r=${r} onDone=${again} />` : null}
      ${r.kind === 'report' && !r.signed ? html`<${ReferralSign} r=${r} onDone=${again} />` : null}
      ${r.kind === 'report' ? html`<${ReportLink} referral=${r.id} />` : null}`}
  <//>`;
}

export const pages = [
  { path: 'referrals', role: ['office', 'district'], title: '移交', nav: true, view: ReferralsPage },
  { path: 'referral', role: ['office', 'district'], title: '移交', nav: false, view: ReferralPage },
];
