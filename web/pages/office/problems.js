// 问题: every problem intake holds (problem.list with its filters, problem.get), the office's
// classification with its dispositions (problem.classify), merging duplicates (problem.merge) and
// recording a problem from paper (problem.report with occurred_on: the office reports only so).
import { useState } from '../../vendor/preact/hooks.mjs';
import { Id, useAsk, Page, Field, ListView, RefusalBox, Busy, useCommand } from '../../js/ui.js';
import { word } from '../../js/words.js';
import { categoryName, categoryOptions, useCategories } from '../../js/categories.js';
import { html, pick, useForm, today, href, lines, PrincipalField } from './common.js';
import { EvidenceList } from '../roles_common.js';
import { PublicSection } from '../public_channel.js';
import { RepeatsPanel } from '../repeats.js';

const SOURCES = ['inspection_team', 'petition', 'audit', 'public'];
const STATUSES = ['recorded', 'classified', 'merged'];
const SEVERITIES = ['general', 'serious', 'grave'];
const TIMELINESS = ['immediate', 'deadline', 'long_term'];
// 已合并 is a problem's status too (cli/words.c has it for units under the same member)
const statusWord = (s) => word('status', s);

function ProblemReport({ onDone }) {
  const [v, bind] = useForm({ occurred_on: today(), round: '', unit: '', category: '', summary: '',
    detail: '', severity: 'general', source: 'petition', immediate: false });
  const [run, outcome, busy] = useCommand(onDone);
  const categories = useCategories();
  function submit(e) {
    e.preventDefault();
    const data = { unit: v.unit.trim(), category: v.category, summary: v.summary, detail: v.detail, severity: v.severity,
      source: v.source, immediate: !!v.immediate, occurred_on: v.occurred_on };
    if (v.round.trim()) data.round = v.round.trim();
    run('intake', 'problem.report', data,
      `将补录 ${data.occurred_on} 发现的问题「${data.summary}」（单位 ${data.unit}，来源：${word('source', data.source)}）`,
      '已补录');
  }
  return html`<form class="card form" id="problem-report" onSubmit=${submit}>
    <h3>补录历史问题</h3>
    <p class="muted">巡察办只能补录纸质记录中已发现的问题，须填写发现日期。</p>
    <${Field} label="发现日期" type="date" required ...${bind('occurred_on')} />
    <${Field} label="轮次编号（可不填）" ...${bind('round')} />
    <${Field} label="单位编号" required ...${bind('unit')} />
    <${Field} label="问题类别" required options=${[['', '请选择'], ...categoryOptions(categories)]} ...${bind('category')} />
    <${Field} label="问题摘要" required ...${bind('summary')} />
    <${Field} label="问题详情" textarea required ...${bind('detail')} />
    <${Field} label="严重程度" options=${pick('severity', SEVERITIES)} ...${bind('severity')} />
    <${Field} label="问题来源" options=${pick('source', SOURCES)} ...${bind('source')} />
    <${Field} label="立行立改" type="checkbox" ...${bind('immediate')} />
    <button type="submit" disabled=${busy}>补录</button>${outcome}
  </form>`;
}

function ProblemMerge({ onDone, into = '' }) {
  const [v, bind] = useForm({ into: String(into), from: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const from = lines(v.from).map(Number);
    run('intake', 'problem.merge', { into: Number(v.into), from },
      `将问题 ${from.map((n) => `#${n}`).join('、')} 作为重复问题并入问题 #${v.into}`, '已合并');
  }
  return html`<form class="card form" id="problem-merge" onSubmit=${submit}>
    <h3>合并重复问题</h3>
    <${Field} label="保留的问题编号" type="number" required ...${bind('into')} />
    <${Field} label="并入的问题编号（每行一个）" textarea required ...${bind('from')} />
    <button type="submit" disabled=${busy}>合并</button>${outcome}
  </form>`;
}

function ProblemsPage({ route }) {
  const [turn, setTurn] = useState(0);
  const again = () => setTurn((n) => n + 1);
  const categories = useCategories();
  const columns = [
    { label: '编号', value: (p) => html`<a href=${href('problem', { id: p.id })}>#${p.id}</a>` },
    { label: '摘要', value: (p) => p.summary },
    { label: '单位', value: (p) => html`<${Id}>${p.unit}<//>` },
    { label: '轮次', value: (p) => p.round ? html`<${Id}>${p.round}<//>` : '—' },
    { label: '类别', value: (p) => categoryName(categories, p.category) },
    { label: '严重程度', value: (p) => word('severity', p.severity) },
    { label: '来源', value: (p) => word('source', p.source) },
    { label: '状态', value: (p) => statusWord(p.status) },
    { label: '发现日期', value: (p) => p.found_on },
  ];
  const filters = [
    { name: 'round', label: '轮次编号' },
    { name: 'unit', label: '单位编号' },
    { name: 'category', label: '问题类别', options: categoryOptions(categories) },
    { name: 'source', label: '问题来源', options: pick('source', SOURCES) },
    { name: 'status', label: '状态', options: STATUSES.map((c) => [c, statusWord(c)]) },
  ];
  return html`<${Page} title="问题">
    <${ListView} stamp=${turn} service="intake" type="problem.list" filters=${filters} columns=${columns} />
    <${ProblemMerge} onDone=${again} />
    <${ProblemReport} onDone=${again} />
  <//>`;
}

// The words of a classification, for the confirmation: what each disposition will do.
function dispositionWords(d) {
  if (d.kind === 'feedback') return `反馈被巡察单位整改（${word('feedback', d.timeliness)}）`;
  if (d.kind === 'lead') return `作为问题线索移交 ${d.body}`;
  if (d.kind === 'handover') return `移交 ${d.department} 办理`;
  return '纳入专题报告';
}

function ProblemClassify({ problem, onDone }) {
  const [v, bind] = useForm({ feedback: true, timeliness: 'deadline', lead: false, body: '', lead_note: '',
    handover: false, department: '', handover_note: '', special: false, report: '', occurred_on: today() });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const dispositions = [];
    if (v.feedback) dispositions.push({ kind: 'feedback', timeliness: v.timeliness });
    if (v.lead) dispositions.push({ kind: 'lead', body: v.body.trim(), ...(v.lead_note ? { note: v.lead_note } : {}) });
    if (v.handover) dispositions.push({ kind: 'handover', department: v.department.trim(), ...(v.handover_note ? { note: v.handover_note } : {}) });
    if (v.special) dispositions.push({ kind: 'special_report', report: v.report });
    const data = { problem: problem.id, dispositions };
    if (v.occurred_on && v.occurred_on !== today()) data.occurred_on = v.occurred_on;
    run('intake', 'problem.classify', data,
      `将问题 #${problem.id}「${problem.summary}」分类处置：${dispositions.map(dispositionWords).join('；') || '（未选择处置方式）'}`,
      '已分类');
  }
  return html`<form class="card form" id="problem-classify" onSubmit=${submit}>
    <h3>分类处置</h3>
    <fieldset><legend>反馈整改</legend>
      <${Field} label="反馈被巡察单位整改" type="checkbox" ...${bind('feedback')} />
      <${Field} label="整改时限" options=${pick('feedback', TIMELINESS)} ...${bind('timeliness')} />
    </fieldset>
    <fieldset><legend>问题线索</legend>
      <${Field} label="作为问题线索移交" type="checkbox" ...${bind('lead')} />
      <${PrincipalField} label="受理机关" roles=${['discipline', 'department']} ...${bind('body')} />
      <${Field} label="线索说明" textarea ...${bind('lead_note')} />
    </fieldset>
    <fieldset><legend>移交职能部门</legend>
      <${Field} label="移交职能部门办理" type="checkbox" ...${bind('handover')} />
      <${PrincipalField} label="职能部门" roles=${['department']} ...${bind('department')} />
      <${Field} label="移交说明" textarea ...${bind('handover_note')} />
    </fieldset>
    <fieldset><legend>专题报告</legend>
      <${Field} label="纳入专题报告" type="checkbox" ...${bind('special')} />
      <${Field} label="专题报告" ...${bind('report')} />
    </fieldset>
    <${Field} label="分类日期" type="date" ...${bind('occurred_on')} />
    <button type="submit" disabled=${busy}>分类</button>${outcome}
  </form>`;
}

const DISPOSITION_KIND = { feedback: '反馈整改', lead: '问题线索', handover: '移交办理', special_report: '专题报告' };

function ProblemPage({ route, me }) {
  const id = Number(route.query.id);
  const [turn, setTurn] = useState(0);
  const again = () => setTurn((n) => n + 1);
  const got = useAsk('intake', 'problem.get', { problem: id }, [id, turn]);
  const categories = useCategories();
  const p = got.value;
  return html`<${Page} title=${`问题 #${id}`}>
    <p><a href=${href('problems')}>← 返回问题列表</a></p>
    ${got.refusal ? html`<${RefusalBox} refusal=${got.refusal} />` : null}
    ${!p ? (got.busy ? html`<${Busy} />` : null) : html`
      <section class="card" id="problem">
        <h3>${p.summary}</h3>
        <dl class="facts">
          <dt>状态</dt><dd id="problem-status">${statusWord(p.status)}${p.merged_into ? `（并入 #${p.merged_into}）` : ''}</dd>
          <dt>单位</dt><dd><a href=${href('unit', { id: p.unit })}><${Id}>${p.unit}<//></a></dd>
          <dt>轮次</dt><dd>${p.round ? html`<a href=${href('round', { id: p.round })}><${Id}>${p.round}<//></a>` : '—'}</dd>
          <dt>类别</dt><dd>${categoryName(categories, p.category)}</dd>
          <dt>严重程度</dt><dd>${word('severity', p.severity)}</dd>
          <dt>来源</dt><dd>${(p.sources || [p.source]).map((s) => word('source', typeof s === 'string' ? s : s.source)).join('、')}</dd>
          <dt>立行立改</dt><dd>${p.immediate ? '是' : '否'}</dd>
          <dt>发现日期</dt><dd>${p.found_on}</dd>
          <dt>反馈</dt><dd>${p.fed_back_on ? `已于 ${p.fed_back_on} 反馈（${word('feedback', p.feedback)}）` : (p.feedback ? `待反馈（${word('feedback', p.feedback)}）` : '—')}</dd>
          ${p.reporter ? html`<dt>反映人</dt><dd>${p.reporter.name} ${p.reporter.contact || ''}</dd>` : null}
        </dl>
        <h4>详情</h4><p class="detail">${p.detail}</p>
        ${p.evidence?.length ? html`<h4>证据材料</h4><${EvidenceList} service="intake" evidence=${p.evidence}/>` : null}
        ${p.dispositions?.length ? html`<h4>处置</h4><ul id="dispositions">${p.dispositions.map((d, i) => html`<li key=${i}>${DISPOSITION_KIND[d.kind] || d.kind}${d.timeliness ? `：${word('feedback', d.timeliness)}` : ''}${d.body || d.department || d.report ? `：${d.body || d.department || d.report}` : ''}${d.note ? `（${d.note}）` : ''}</li>`)}</ul>` : null}
        ${p.status === 'classified' ? html`<p><a href=${href('items', { unit: p.unit, round: p.round || '' })}>查看整改事项</a> · <a href=${href('referrals')}>查看移交</a></p>` : null}
      </section>
      <${RepeatsPanel} problem=${p.id} me=${me} />
      <${PublicSection} problem=${p} me=${me} onDone=${again} />
      ${p.status === 'recorded' ? html`<${ProblemClassify} problem=${p} onDone=${again} /><${ProblemMerge} into=${p.id} onDone=${again} />` : null}`}
  <//>`;
}

export const pages = [
  { path: 'problems', role: ['office', 'district'], title: '问题', nav: true, view: ProblemsPage },
  { path: 'problem', role: ['office', 'district'], title: '问题', nav: false, view: ProblemPage },
];
