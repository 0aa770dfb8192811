// 整改: every unit's rectification items (rectify.list with its filters, rectify.get): the plan
// and its measures, progress, completion claims, the office's review (accept = 销号, reject =
// 退回整改), extensions of a deadline (rectify.extend), each deadline with the service's own
// explanation, and the escalation ladder with the steps reached and the next one as rectify
// gives them (rectify.get's deadlines: `colour`, `step`, `next_step`, `ladder`; a list row's `light`).
import { useState } from '../../vendor/preact/hooks.mjs';
import { ask } from '../../js/session.js';
import { Actor, Id, useAsk, Page, Field, ListView, DateCell, Light, RefusalBox, Busy, useCommand } from '../../js/ui.js';
import { word } from '../../js/words.js';
import { spanChinese } from './spans.js';
import { EvidenceList, historyEvidence } from '../roles_common.js';
import { html, pick, useForm, href } from './common.js';
import { DocumentLinks } from '../documents.js';

const STATES = ['opened', 'planned', 'claimed', 'reopened', 'closed'];
const CLASSES = ['immediate', 'deadline', 'long_term'];
const COMPLETION = { completed: '完成', mostly_completed: '基本完成' };
const ACTIONS = { opened: '反馈', planned: '制定方案', progressed: '报告进展', claimed: '申请销号', closed: '销号',
  reopened: '退回整改', extended: '延期', unit_succeeded: '单位变更承接' };

// What a deadline is about, in words.
export function deadlineName(d) {
  if (d.deadline === 'plan') return '整改方案';
  if (d.deadline === 'measure') return `第 ${d.measure} 项措施`;
  return '整改完成';
}

const LISTS = [['problems', '问题清单'], ['tasks', '任务清单'], ['responsibilities', '责任清单']];

// The three lists of rectify.export as CSV files, for the round and unit filtered: every page
// asked in turn (the first starts with the byte order mark and the header), joined as rectify
// says, and handed to the browser as a download. Items too large for a page are named.
function ExportLists({ query }) {
  const [state, setState] = useState({});
  async function download(list, name) {
    setState({ busy: list });
    try {
      const parts = [], tooLarge = [];
      let after = null;
      do {
        const data = { list, limit: 500 };
        if (query.round) data.round = query.round;
        if (query.unit) data.unit = query.unit;
        if (after !== null) data.after = after;
        const page = await ask('rectify', 'rectify.export', data);
        parts.push(page.csv);
        tooLarge.push(...(page.too_large || []));
        after = page.next ?? null;
      } while (after !== null);
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${name}${query.round ? `-${query.round}` : ''}${query.unit ? `-${query.unit}` : ''}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      setState({ done: name, tooLarge });
    } catch (refusal) {
      setState({ refusal });
    }
  }
  return html`<section class="card" id="item-export">
    <h3>导出整改清单（表格文件）</h3>
    <p class="muted">按上方的轮次、单位筛选导出。</p>
    <div class="buttons">${LISTS.map(([list, name]) => html`<button type="button" data-list=${list}
      disabled=${!!state.busy} onClick=${() => download(list, name)}>${name}</button>`)}</div>
    ${state.busy ? html`<${Busy} text="正在导出……" />` : null}
    ${state.refusal ? html`<${RefusalBox} refusal=${state.refusal} />` : null}
    ${state.done ? html`<p class="done" role="status">已导出${state.done}${state.tooLarge.length
      ? `；事项 ${state.tooLarge.map((n) => `#${n}`).join('、')} 内容过长未列入，请在事项页面查看` : ''}</p>` : null}
  </section>`;
}

function ItemsPage({ route }) {
  const columns = [
    { label: '编号', value: (i) => html`<a href=${href('item', { id: i.id })}>#${i.id}</a>` },
    { label: '问题摘要', value: (i) => i.summary },
    { label: '单位', value: (i) => html`<${Id}>${i.unit}<//>` },
    { label: '轮次', value: (i) => i.round ? html`<${Id}>${i.round}<//>` : '—' },
    { label: '类别', value: (i) => i.category_name || i.category },
    { label: '整改类型', value: (i) => word('class', i.class) },
    { label: '状态', value: (i) => word('state', i.state) },
    // the band rectify gives the item's most pressing running deadline; none yet: 正常
    { label: '整改期限', value: (i) => html`${i.due || '长期'} ${i.light ? html`<${Light} colour=${i.light.colour || 'green'} />` : null}` },
  ];
  const filters = [
    { name: 'round', label: '轮次编号' },
    { name: 'unit', label: '单位编号' },
    { name: 'state', label: '状态', options: pick('state', STATES) },
    { name: 'class', label: '整改类型', options: pick('class', CLASSES) },
    { name: 'overdue', label: '是否逾期', boolean: true, options: [['true', '仅逾期'], ['false', '未逾期']] },
  ];
  return html`<${Page} title="整改">
    <${ListView} service="rectify" type="rectify.list" filters=${filters} columns=${columns} />
    <${ExportLists} query=${route.query} />
  <//>`;
}

function ItemReview({ item, onDone }) {
  const [v, bind] = useForm({ decision: 'accept', reason: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const data = { item: item.id, decision: v.decision };
    if (v.reason.trim()) data.reason = v.reason.trim();
    run('rectify', 'rectify.review', data,
      v.decision === 'accept'
        ? `将审核通过整改事项 #${item.id}「${item.summary}」的销号申请，予以销号`
        : `将退回整改事项 #${item.id}「${item.summary}」的销号申请，理由：${data.reason || ''}`,
      v.decision === 'accept' ? '已销号' : '已退回整改');
  }
  return html`<form class="card form" id="item-review" onSubmit=${submit}>
    <h3>审核销号申请</h3>
    <${Field} label="审核意见" options=${[['accept', '同意销号'], ['reject', '退回整改']]} ...${bind('decision')} />
    <${Field} label="理由（退回时必填）" textarea required=${v.decision === 'reject'} ...${bind('reason')} />
    <button type="submit" disabled=${busy}>提交审核</button>${outcome}
  </form>`;
}

function ItemExtend({ item, onDone }) {
  const running = item.deadlines.filter((d) => d.running);
  const [v, bind] = useForm({ which: running.length ? String(item.deadlines.indexOf(running[0])) : '', due: '', reason: '' });
  const [run, outcome, busy] = useCommand(onDone);
  if (!running.length) return null;
  function submit(e) {
    e.preventDefault();
    const d = item.deadlines[Number(v.which)];
    const data = { item: item.id, deadline: d.deadline, due: v.due, reason: v.reason };
    if (d.deadline === 'measure') data.measure = d.measure;
    run('rectify', 'rectify.extend', data,
      `将整改事项 #${item.id} 的「${deadlineName(d)}」期限由 ${d.due} 延至 ${v.due}`, '已延期');
  }
  return html`<form class="card form" id="item-extend" onSubmit=${submit}>
    <h3>延长期限</h3>
    <${Field} label="期限" options=${running.map((d) => [String(item.deadlines.indexOf(d)), `${deadlineName(d)}（${d.due}）`])} ...${bind('which')} />
    <${Field} label="新的期限" type="date" required ...${bind('due')} />
    <${Field} label="延期理由" textarea required ...${bind('reason')} />
    <button type="submit" disabled=${busy}>延期</button>${outcome}
  </form>`;
}

// The ladder of escalation steps (督办升级) of each running deadline, as rectify.get gives it:
// every step with its day (`ladder`), those reached, and the next one (`next_step`). Nothing
// here is computed.
function Escalation({ deadlines }) {
  const shown = deadlines.filter((d) => d.running && d.ladder && d.ladder.length);
  if (!shown.length) return null;
  return html`<section class="card" id="item-escalation">
    <h3>督办升级</h3>
    ${shown.map((d, i) => html`<div key=${i}>
      <h4>${deadlineName(d)}（期限 ${d.due}）</h4>
      <ol class="ladder">${d.ladder.map((s) => html`<li key=${s.n} class=${s.reached ? 'reached' : ''}>
        ${word('step', s.name)}：${s.on}${s.reached ? '（已到达）' : ''}</li>`)}</ol>
      <p class="next-step">${d.next_step ? `下一步：${word('step', d.next_step.name)}，${d.next_step.on}` : '已到达最后一级督办'}</p>
    </div>`)}
  </section>`;
}

// The escalation steps any deadline of the item reached, each once (their letters: documents.js).
function stepsReached(deadlines) {
  const names = [...new Set(deadlines.flatMap((d) => (d.ladder || []).filter((s) => s.reached).map((s) => s.name)))];
  return names.map((name) => ({ name, word: word('step', name) }));
}

// A deadline's light: the band rectify says it is in; before any band it is 正常 (green).
const lightOf = (d) => (d.running ? (d.colour || 'green') : null);

function ItemPage({ route }) {
  const id = Number(route.query.id);
  const [turn, setTurn] = useState(0);
  const again = () => setTurn((n) => n + 1);
  const got = useAsk('rectify', 'rectify.get', { item: id }, [id, turn]);
  const it = got.value;
  return html`<${Page} title=${`整改事项 #${id}`}>
    <p><a href=${href('items')}>← 返回整改事项</a></p>
    ${got.refusal ? html`<${RefusalBox} refusal=${got.refusal} />` : null}
    ${!it ? (got.busy ? html`<${Busy} />` : null) : html`
      <section class="card" id="item">
        <h3>${it.summary}</h3>
        <dl class="facts">
          <dt>状态</dt><dd id="item-state">${word('state', it.state)}</dd>
          <dt>整改类型</dt><dd>${word('class', it.class)}</dd>
          <dt>单位</dt><dd><${Id}>${it.unit}<//></dd>
          <dt>轮次</dt><dd>${it.round ? html`<${Id}>${it.round}<//>` : '—'}</dd>
          <dt>问题</dt><dd><a href=${href('problem', { id: it.problem })}>#${it.problem}</a></dd>
          <dt>类别</dt><dd>${it.category_name || it.category}</dd>
          <dt>反馈日期</dt><dd>${it.opened_on}</dd>
          <dt>是否逾期</dt><dd>${it.overdue ? html`<${Light} colour="red" />` : '否'}</dd>
          ${it.closed_on ? html`<dt>销号日期</dt><dd>${it.closed_on}</dd>` : null}
        </dl>
        <h4>详情</h4><p class="detail">${it.detail}</p>
        <h4>期限</h4>
        <table id="item-deadlines"><thead><tr><th>期限</th><th>日期</th><th>规则</th><th>状态</th></tr></thead>
          <tbody>${it.deadlines.map((d, i) => html`<tr key=${i}><td>${deadlineName(d)}</td>
            <td><${DateCell} date=${d.due} explain=${d.explain} /></td><td>${spanChinese(d.policy)}（自 ${d.start} 起）</td>
            <td>${d.running ? html`<${Light} colour=${lightOf(d)} /> 进行中` : '已完成'}${d.extensions.length ? `，延期 ${d.extensions.length} 次` : ''}</td></tr>`)}</tbody></table>
        ${it.measures.length ? html`<h4>整改措施</h4><ol id="item-measures">${it.measures.map((m) => html`<li key=${m.n}>${m.text}（责任人 ${m.owner}，牵头领导 ${m.lead_leader}，期限 ${m.deadline}${m.done_on ? `，${m.done_on} 完成` : ''}）</li>`)}</ol>` : html`<p class="muted">尚未提交整改方案。</p>`}
        <${EvidenceList} service="rectify" evidence=${historyEvidence(it.history, 'planned').at(-1)} />
        ${it.claims.length ? html`<h4>销号申请</h4><ol id="item-claims">${it.claims.map((c) => html`<li key=${c.n}>${c.claimed_on}：${COMPLETION[c.completion] || c.completion}；证据 ${c.evidence.map((f, k) => html`${k ? '、' : ''}<${Id}>${f.file}<//>（摘要 <${Id}>${f.sha256.slice(0, 12)}…<//>）`)}${c.note ? `；说明：${c.note}` : ''}${c.decision ? `；${c.decision === 'accept' ? '已同意销号' : `已退回：${c.reason}`}（${c.reviewed_on}）` : '；待审核'}<${EvidenceList} service="rectify" evidence=${c.evidence} /></li>`)}</ol>` : null}
        <h4>办理记录</h4>
        <ol id="item-history">${it.history.map((x) => html`<li key=${x.n}>${x.occurred_on || x.at}：${ACTIONS[x.action] || x.action}（<${Actor} iss=${x.by}/>）${x.recorded_from_history ? '（补录）' : ''}${x.data?.note ? `：${x.data.note}` : x.data?.reason ? `：${x.data.reason}` : ''}</li>`)}</ol>
      </section>
      <${Escalation} deadlines=${it.deadlines} />
      <${DocumentLinks} item=${it.id} steps=${stepsReached(it.deadlines)} />
      ${it.state === 'claimed' ? html`<${ItemReview} item=${it} onDone=${again} />` : null}
      ${it.state !== 'closed' ? html`<${ItemExtend} key=${turn} item=${it} onDone=${again} />` : null}`}
  <//>`;
}

export const pages = [
  { path: 'items', role: ['office', 'district'], title: '整改', nav: true, view: ItemsPage },
  { path: 'item', role: ['office', 'district'], title: '整改事项', nav: false, view: ItemPage },
];
