// 轮次: the office's rounds (intake's round.list / round.get / round.open / round.advance) and,
// per round, what rectify keeps of it (rectify.round: regime, the targets' items, scores, return
// visits, interviews) with the office's commands on it (regime, evaluate, revisit, interview).
import { useState } from '../../vendor/preact/hooks.mjs';
import { Id, useAsk, Page, Field, ListView, DateCell, RefusalBox, Busy, useCommand } from '../../js/ui.js';
import { word } from '../../js/words.js';
import { DocumentLinks } from '../documents.js';
import { html, pick, useForm, today, href, lines, PrincipalField } from './common.js';

export const STAGES = ['planned', 'stationed', 'withdrawn', 'reported', 'feedback_delivered', 'rectifying',
  'rectification_reported', 'evaluated', 'closed'];
const KINDS = ['regular', 'special', 'mobile', 'lookback'];
const MODES = ['elevated', 'cross', 'system', 'extended', 'linked', 'audit_linked'];
// a round's link to the other level: its kind, the member naming the other side, what to ask
const LINKS = { linked: ['round', '市级轮次编号'], crossed: ['by', '派出巡察组的区县（单位编号）'],
  raised: ['district', '被提级的区县（单位编号）'] };

function RoundOpen({ onOpened }) {
  const [v, bind] = useForm({ id: '', name: '', kind: 'regular', theme: '', prior_round: '', team: '', main: '',
    extended: '', planned_start: today(), planned_end: today(), date: today(), audit_ref: '', organ: '', owner: '',
    link: '', link_to: '', ...Object.fromEntries(MODES.map((m) => [`mode_${m}`, false])) });
  const [run, outcome, busy] = useCommand(onOpened);
  function submit(e) {
    e.preventDefault();
    const targets = [...lines(v.main).map((unit) => ({ unit, coverage: 'main' })),
      ...lines(v.extended).map((unit) => ({ unit, coverage: 'extended' }))];
    const data = { id: v.id.trim(), name: v.name.trim(), kind: v.kind, team: v.team.trim(), targets,
      planned_start: v.planned_start, planned_end: v.planned_end, date: v.date };
    if (v.kind === 'special') data.theme = v.theme;
    if (v.kind === 'lookback') data.prior_round = v.prior_round.trim();
    const modes = MODES.filter((m) => v[`mode_${m}`]);
    if (modes.length) data.modes = modes;
    if (modes.includes('audit_linked')) data.audit_ref = v.audit_ref;
    if (v.organ.trim()) data.organ = v.organ.trim();
    if (v.owner.trim()) data.owner = v.owner.trim();
    if (v.link) data.link = { kind: v.link, [LINKS[v.link][0]]: v.link_to.trim() };
    run('intake', 'round.open', data,
      `将开启${word('kind', v.kind)}轮次「${data.name}」（编号 ${data.id}），巡察组 ${data.team}，被巡察单位 ${targets.length} 个，计划 ${data.planned_start} 至 ${data.planned_end}` +
      (modes.length ? `，巡察方式：${modes.map((m) => word('modes', m)).join('、')}` : '') +
      (data.link ? `，${word('link', data.link.kind)}（${v.link_to.trim()}）` : ''),
      `已开启轮次 ${data.id}`);
  }
  return html`<form class="card form" id="round-open" onSubmit=${submit}>
    <h3>开启新轮次</h3>
    <${Field} label="轮次编号" required ...${bind('id')} />
    <${Field} label="轮次名称" required ...${bind('name')} />
    <${Field} label="巡察类型" options=${pick('kind', KINDS)} ...${bind('kind')} />
    ${v.kind === 'special' ? html`<${Field} label="专项巡察主题" required ...${bind('theme')} />` : null}
    ${v.kind === 'lookback' ? html`<${Field} label="原轮次编号" required ...${bind('prior_round')} />` : null}
    <${PrincipalField} label="巡察组" roles=${['team']} required ...${bind('team')} />
    <${Field} label="被巡察单位编号（每行一个）" textarea required ...${bind('main')} />
    <${Field} label="延伸巡察单位编号（每行一个，可不填）" textarea ...${bind('extended')} />
    <${Field} label="计划开始日期" type="date" required ...${bind('planned_start')} />
    <${Field} label="计划结束日期" type="date" required ...${bind('planned_end')} />
    <${Field} label="开启日期" type="date" required ...${bind('date')} />
    <details class="more"><summary>更多选项：巡察方式、巡察主体、上下联动</summary>
      <fieldset><legend>巡察方式</legend>
        ${MODES.map((m) => html`<${Field} key=${m} label=${word('modes', m)} type="checkbox" ...${bind(`mode_${m}`)} />`)}
      </fieldset>
      ${v.mode_audit_linked ? html`<${Field} label="审计项目" required ...${bind('audit_ref')} />` : null}
      <${Field} label="巡察机构（不填则按规定）" ...${bind('organ')} />
      <${Field} label="开展巡察的区县（单位编号；市委开展的不填）" ...${bind('owner')} />
      <${Field} label="上下联动" options=${[['', '无'], ...Object.entries(LINKS).map(([k, [, label]]) => [k, word('link', k) + '：' + label])]} ...${bind('link')} />
      ${v.link ? html`<${Field} label=${LINKS[v.link][1]} required ...${bind('link_to')} />` : null}
    </details>
    <button type="submit" disabled=${busy}>开启轮次</button>
    ${outcome}
  </form>`;
}

function RoundsPage({ route }) {
  const [turn, setTurn] = useState(0);
  const columns = [
    { label: '编号', value: (r) => html`<a href=${href('round', { id: r.id })}><${Id}>${r.id}<//></a>` },
    { label: '名称', value: (r) => r.name },
    { label: '类型', value: (r) => word('kind', r.kind) },
    { label: '阶段', value: (r) => word('stage', r.stage) },
    { label: '巡察组', value: (r) => html`<${Id}>${r.team}<//>` },
    { label: '计划时间', value: (r) => `${r.planned_start} 至 ${r.planned_end}` },
  ];
  const filters = [
    { name: 'stage', label: '阶段', options: pick('stage', STAGES) },
    { name: 'kind', label: '巡察类型', options: pick('kind', KINDS) },
  ];
  return html`<${Page} title="轮次">
    <${ListView} stamp=${turn} service="intake" type="round.list" filters=${filters} columns=${columns} />
    <${RoundOpen} onOpened=${() => setTurn((n) => n + 1)} />
  <//>`;
}

function RoundAdvance({ round, onDone }) {
  const next = STAGES[STAGES.indexOf(round.stage) + 1];
  const [v, bind] = useForm({ date: today() });
  const [run, outcome, busy] = useCommand(onDone);
  if (!next)
    return html`<p class="muted">本轮巡察已结束。</p>`;
  function submit(e) {
    e.preventDefault();
    run('intake', 'round.advance', { round: round.id, stage: next, date: v.date },
      `将轮次「${round.name}」（${round.id}）推进到「${word('stage', next)}」阶段，日期 ${v.date}` +
      (next === 'feedback_delivered' ? '；已分类为反馈整改的问题将同日反馈给被巡察单位' : ''),
      `已推进到「${word('stage', next)}」`);
  }
  return html`<form class="card form" id="round-advance" onSubmit=${submit}>
    <h3>推进阶段：${word('stage', round.stage)} → ${word('stage', next)}</h3>
    <${Field} label=${`${word('stage', next)}日期`} type="date" required ...${bind('date')} />
    <button type="submit" disabled=${busy}>推进到「${word('stage', next)}」</button>
    ${outcome}
  </form>`;
}

// rectify's view of the round: its regime (chosen before the first item opens), and once the
// round is fed back its targets' items, scores, return visits and interviews.
function RoundRectify({ id, fedBack }) {
  const [turn, setTurn] = useState(0);
  const got = useAsk('rectify', 'rectify.round', { round: id }, [id, turn]);
  const reload = () => setTurn((n) => n + 1);
  if (got.busy && !got.value) return html`<${Busy} />`;
  if (got.refusal) return html`<section class="card"><h3>整改情况</h3><${RefusalBox} refusal=${got.refusal} /></section>`;
  const r = got.value;
  return html`<section class="card" id="round-rectify">
    <h3>整改情况</h3>
    <p>整改制度：<span id="round-regime">${r.regime}</span>${r.regime_chosen ? '（已指定）' : '（默认）'}${fedBack ? `；评估${r.evaluations_complete ? '已全部完成' : '未全部完成'}` : ''}</p>
    ${fedBack ? html`<div class="table-wrap"><table>
      <thead><tr><th>单位</th><th>整改事项</th><th>评估得分</th><th>等次</th><th>回访</th><th>约谈建议</th><th>已约谈</th></tr></thead>
      <tbody>${r.targets.map((t) => html`<tr key=${t.unit}>
        <td><a href=${href('items', { round: id, unit: t.unit })}>${t.name || html`<${Id}>${t.unit}<//>`}</a></td>
        <td>${t.items}</td><td>${t.score ?? '—'}</td><td>${t.grade_name ?? '—'}</td>
        <td class="visit">${t.visit?.recorded_on ? `已回访 ${t.visit.recorded_on}` : t.visit?.due ? html`应回访 <${DateCell} date=${t.visit.due} explain=${t.visit.explain} />` : '—'}</td>
        <td>${interviewReason(t.interview)}</td><td>${t.interviews_held}</td></tr>`)}</tbody>
    </table></div>` : null}
    ${r.regime_chosen ? null : html`<${RegimeForm} id=${id} onDone=${reload} />`}
    ${fedBack ? html`<${EvaluateForm} id=${id} targets=${r.targets} onDone=${reload} />
      <${RevisitForm} id=${id} targets=${r.targets} onDone=${reload} />
      <${InterviewForm} id=${id} targets=${r.targets} onDone=${reload} />` : null}
  </section>`;
}

// rectify's reason for recommending an interview (evaluation.c words it in English)
function interviewReason(text) {
  let m;
  if (!text) return '—';
  if ((m = /^below (\d+) and among the lowest (\d+)$/.exec(text))) return `得分低于 ${m[1]} 分且居最低 ${m[2]} 名之列，建议约谈`;
  if ((m = /^below (\d+)$/.exec(text))) return `得分低于 ${m[1]} 分，建议约谈`;
  if ((m = /^among the lowest (\d+)$/.exec(text))) return `得分居最低 ${m[1]} 名之列，建议约谈`;
  return text;
}

const unitChoices = (targets) => targets.map((t) => [t.unit, t.name || t.unit]);

function RegimeForm({ id, onDone }) {
  const [v, bind] = useForm({ regime: '2024' });
  const [run, outcome, busy] = useCommand(onDone);
  const submit = (e) => { e.preventDefault(); run('rectify', 'rectify.regime', { round: id, regime: v.regime }, `将轮次 ${id} 的整改制度设为「${v.regime}」`, '已设定整改制度'); };
  return html`<form class="form sub" id="regime" onSubmit=${submit}>
    <h4>指定整改制度（须在首个整改事项产生前）</h4>
    <${Field} label="整改制度" options=${[['2017', '2017 年规定（方案 1 个月、整改 2 个月）'], ['2024', '2024 年规定（方案 1 个月、集中整改 6 个月）']]} ...${bind('regime')} />
    <button type="submit" disabled=${busy}>设定</button>${outcome}</form>`;
}

function EvaluateForm({ id, targets, onDone }) {
  const [v, bind] = useForm({ unit: targets[0]?.unit || '', leadership: '', responsibility: '', task_completion: '',
    satisfaction: '', leader: '', title: '', note: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const parts = {};
    for (const k of ['leadership', 'responsibility', 'task_completion', 'satisfaction']) parts[k] = Number(v[k]);
    const data = { round: id, unit: v.unit, parts, principal_leader: { name: v.leader, title: v.title } };
    if (v.note) data.note = v.note;
    run('rectify', 'rectify.evaluate', data,
      `将对单位 ${v.unit} 的整改情况评估打分：领导重视 ${parts.leadership}、责任落实 ${parts.responsibility}、任务完成 ${parts.task_completion}、群众满意 ${parts.satisfaction}`,
      '已评估');
  }
  return html`<form class="form sub" id="evaluate" onSubmit=${submit}>
    <h4>整改评估</h4>
    <${Field} label="单位" options=${unitChoices(targets)} ...${bind('unit')} />
    <${Field} label="领导重视（0-100）" type="number" min="0" max="100" required ...${bind('leadership')} />
    <${Field} label="责任落实（0-100）" type="number" min="0" max="100" required ...${bind('responsibility')} />
    <${Field} label="任务完成（0-100）" type="number" min="0" max="100" required ...${bind('task_completion')} />
    <${Field} label="群众满意（0-100）" type="number" min="0" max="100" required ...${bind('satisfaction')} />
    <${Field} label="主要负责人姓名" required ...${bind('leader')} />
    <${Field} label="主要负责人职务" required ...${bind('title')} />
    <${Field} label="备注" textarea ...${bind('note')} />
    <button type="submit" disabled=${busy}>提交评估</button>${outcome}</form>`;
}

function RevisitForm({ id, targets, onDone }) {
  const [v, bind] = useForm({ unit: targets[0]?.unit || '', date: today(), return_visit: true, special_check: false, note: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const kinds = [v.return_visit && 'return_visit', v.special_check && 'special_check'].filter(Boolean);
    const data = { round: id, unit: v.unit, date: v.date, kinds };
    if (v.note) data.note = v.note;
    run('rectify', 'rectify.revisit', data, `将登记 ${v.date} 对单位 ${v.unit} 的${kinds.map((k) => (k === 'return_visit' ? '回访' : '专项检查')).join('、')}`, '已登记回访');
  }
  return html`<form class="form sub" id="revisit" onSubmit=${submit}>
    <h4>登记回访</h4>
    <${Field} label="单位" options=${unitChoices(targets)} ...${bind('unit')} />
    <${Field} label="回访日期" type="date" required ...${bind('date')} />
    <${Field} label="回访" type="checkbox" ...${bind('return_visit')} />
    <${Field} label="专项检查" type="checkbox" ...${bind('special_check')} />
    <${Field} label="备注" textarea ...${bind('note')} />
    <button type="submit" disabled=${busy}>登记回访</button>${outcome}</form>`;
}

function InterviewForm({ id, targets, onDone }) {
  const [v, bind] = useForm({ unit: targets[0]?.unit || '', name: '', title: '', by: '', note: '', occurred_on: today() });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const data = { round: id, unit: v.unit, interviewee: { name: v.name, title: v.title }, by: v.by, occurred_on: v.occurred_on };
    if (v.note) data.note = v.note;
    run('rectify', 'rectify.interview', data, `将登记 ${v.occurred_on} 由${v.by}对单位 ${v.unit} 的${v.name}（${v.title}）进行约谈`, '已登记约谈');
  }
  return html`<form class="form sub" id="interview" onSubmit=${submit}>
    <h4>登记约谈</h4>
    <${Field} label="单位" options=${unitChoices(targets)} ...${bind('unit')} />
    <${Field} label="被约谈人姓名" required ...${bind('name')} />
    <${Field} label="被约谈人职务" required ...${bind('title')} />
    <${Field} label="约谈人" required ...${bind('by')} />
    <${Field} label="约谈日期" type="date" required ...${bind('occurred_on')} />
    <${Field} label="备注" textarea ...${bind('note')} />
    <button type="submit" disabled=${busy}>登记约谈</button>${outcome}</form>`;
}

function RoundPage({ route }) {
  const id = route.query.id;
  const [turn, setTurn] = useState(0);
  const got = useAsk('intake', 'round.get', { round: id }, [id, turn]);
  const r = got.value;
  return html`<${Page} title=${r ? `轮次：${r.name}` : '轮次'}>
    <p><a href=${href('rounds')}>← 返回轮次列表</a></p>
    ${got.refusal ? html`<${RefusalBox} refusal=${got.refusal} />` : null}
    ${!r ? (got.busy ? html`<${Busy} />` : null) : html`
      <section class="card" id="round">
        <dl class="facts">
          <dt>编号</dt><dd><${Id}>${r.id}<//></dd>
          <dt>类型</dt><dd>${word('kind', r.kind)}${r.theme ? `（${r.theme}）` : ''}</dd>
          <dt>阶段</dt><dd id="round-stage">${word('stage', r.stage)}</dd>
          <dt>巡察组</dt><dd><${Id}>${r.team}<//></dd>
          ${r.modes?.length ? html`<dt>巡察方式</dt><dd id="round-modes">${r.modes.map((m) => word('modes', m)).join('、')}${r.audit_ref ? `（${r.audit_ref}）` : ''}</dd>` : null}
          ${r.link ? html`<dt>上下联动</dt><dd id="round-link">${word('link', r.link.kind)}：${r.link.round || r.link.by || r.link.district}</dd>` : null}
          <dt>巡察机构</dt><dd>${r.owner?.organ}</dd>
          <dt>计划时间</dt><dd>${r.planned_start} 至 ${r.planned_end}</dd>
        </dl>
        <h3>阶段记录</h3>
        <ol class="stages">${r.stages.map((s) => html`<li key=${s.stage}>${word('stage', s.stage)}：${s.date}</li>`)}</ol>
        <h3>被巡察单位（${r.targets.length} 个）</h3>
        <ul class="targets">${r.targets.map((t) => html`<li key=${t.unit}><a href=${href('problems', { round: r.id, unit: t.unit })}><${Id}>${t.unit}<//></a>${t.coverage === 'extended' ? '（延伸）' : ''}</li>`)}</ul>
        <p><a href=${href('problems', { round: r.id })}>本轮问题</a> · <a href=${href('items', { round: r.id })}>本轮整改事项</a>${r.kind === 'lookback' ? html` · <a id="lookback-link" href=${href('lookback', { round: r.id })}>回头看：原轮次整改情况</a>` : null}</p>
        <${DocumentLinks} round=${r.id} />
        <p><a id="poster-link" href=${`#/poster/${encodeURIComponent(r.id)}`}>码上巡二维码</a></p>
        <p class="doc-links">各单位反馈意见：${r.targets.map((t, i) => html`${i ? ' · ' : ''}<a href=${href('document', { kind: 'feedback', round: r.id, unit: t.unit })} data-unit=${t.unit}><${Id}>${t.unit}<//></a>`)}</p>
      </section>
      <${RoundAdvance} key=${r.stage} round=${r} onDone=${() => setTurn((n) => n + 1)} />
      <${RoundRectify} key=${r.stage} id=${r.id} fedBack=${STAGES.indexOf(r.stage) >= STAGES.indexOf('feedback_delivered')} />`}
  <//>`;
}

export const pages = [
  { path: 'rounds', role: ['office', 'district'], title: '轮次', nav: true, view: RoundsPage },
  { path: 'round', role: ['office', 'district'], title: '轮次', nav: false, view: RoundPage },
];
