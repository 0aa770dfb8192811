// 单位: the registry of units in intake (unit.list / unit.get), registered, renamed, merged and
// split by the office (unit.register, unit.rename, unit.merge, unit.split: 机构改革).
import { useState } from '../../vendor/preact/hooks.mjs';
import { Id, useAsk, Page, Field, ListView, RefusalBox, Busy, useCommand } from '../../js/ui.js';
import { word } from '../../js/words.js';
import { html, useForm, href, lines } from './common.js';
import { UnitDocumentLinks } from '../documents.js';

export const LEVELS = ['city_department', 'district', 'town', 'village', 'soe', 'school', 'hospital', 'other'];
const levelChoices = LEVELS.map((c) => [c, word('level', c)]);

function UnitRegister({ onDone }) {
  const [v, bind] = useForm({ id: '', name: '', level: 'town', parent: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const data = { id: v.id.trim(), name: v.name.trim(), level: v.level };
    if (v.parent.trim()) data.parent = v.parent.trim();
    run('intake', 'unit.register', data,
      `将登记单位「${data.name}」（编号 ${data.id}，${word('level', data.level)}${data.parent ? `，上级单位 ${data.parent}` : ''}）`,
      `已登记单位 ${data.id}`);
  }
  return html`<form class="card form" id="unit-register" onSubmit=${submit}>
    <h3>登记单位</h3>
    <${Field} label="单位编号（如统一社会信用代码）" required ...${bind('id')} />
    <${Field} label="单位名称" required ...${bind('name')} />
    <${Field} label="层级" options=${levelChoices} ...${bind('level')} />
    <${Field} label="上级单位编号（可不填）" ...${bind('parent')} />
    <button type="submit" disabled=${busy}>登记</button>${outcome}
  </form>`;
}

function UnitMerge({ onDone }) {
  const [v, bind] = useForm({ from: '', into: '', name: '', level: 'town' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const from = lines(v.from);
    const into = v.name.trim() ? { id: v.into.trim(), name: v.name.trim(), level: v.level } : { id: v.into.trim() };
    run('intake', 'unit.merge', { from, into },
      `将单位 ${from.join('、')} 合并为${into.name ? `新单位「${into.name}」（${into.id}）` : `单位 ${into.id}`}；原单位未办结的整改事项和移交事项转由其承接`,
      '已合并');
  }
  return html`<form class="card form" id="unit-merge" onSubmit=${submit}>
    <h3>合并单位（机构改革）</h3>
    <${Field} label="被合并单位编号（每行一个，至少两个）" textarea required ...${bind('from')} />
    <${Field} label="合并后单位编号" required ...${bind('into')} />
    <${Field} label="合并后新单位名称（合并入已有单位时不填）" ...${bind('name')} />
    <${Field} label="新单位层级" options=${levelChoices} ...${bind('level')} />
    <button type="submit" disabled=${busy}>合并</button>${outcome}
  </form>`;
}

function UnitsPage({ route }) {
  const [turn, setTurn] = useState(0);
  const again = () => setTurn((n) => n + 1);
  const columns = [
    { label: '编号', value: (u) => html`<a href=${href('unit', { id: u.id })}><${Id}>${u.id}<//></a>` },
    { label: '名称', value: (u) => u.name },
    { label: '层级', value: (u) => word('level', u.level) },
    { label: '上级单位', value: (u) => u.parent ? html`<${Id}>${u.parent}<//>` : '—' },
    { label: '状态', value: (u) => word('status', u.status) + (u.successor ? html`（并入 <${Id}>${u.successor}<//>）` : '') },
  ];
  const filters = [
    { name: 'level', label: '层级', options: levelChoices },
    { name: 'parent', label: '上级单位编号' },
  ];
  return html`<${Page} title="单位">
    <${ListView} stamp=${turn} service="intake" type="unit.list" filters=${filters} columns=${columns} />
    <${UnitRegister} onDone=${again} />
    <${UnitMerge} onDone=${again} />
  <//>`;
}

function UnitRename({ unit, onDone }) {
  const [v, bind] = useForm({ name: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    run('intake', 'unit.rename', { unit: unit.id, name: v.name.trim() },
      `将单位「${unit.name}」（${unit.id}）更名为「${v.name.trim()}」`, '已更名');
  }
  return html`<form class="card form" id="unit-rename" onSubmit=${submit}>
    <h3>更名</h3>
    <${Field} label="新名称" required ...${bind('name')} />
    <button type="submit" disabled=${busy}>更名</button>${outcome}
  </form>`;
}

// 分立: the unit's work goes to the successor, one of the new units (each line: id and name).
function UnitSplit({ unit, onDone }) {
  const [v, bind] = useForm({ into: '', level: unit.level, successor: '' });
  const [run, outcome, busy] = useCommand(onDone);
  function submit(e) {
    e.preventDefault();
    const into = String(v.into).split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const [id, ...name] = l.split(/[\s,，]+/);
      return { id, name: name.join(' '), level: v.level, ...(unit.parent ? { parent: unit.parent } : {}) };
    });
    const successor = v.successor.trim() || (into[0] && into[0].id);
    run('intake', 'unit.split', { unit: unit.id, into, successor },
      `将单位「${unit.name}」（${unit.id}）分立为${into.map((u) => `「${u.name}」（${u.id}）`).join('、')}，由 ${successor} 承接其未办结的工作`,
      '已分立');
  }
  return html`<form class="card form" id="unit-split" onSubmit=${submit}>
    <h3>分立（机构改革）</h3>
    <${Field} label="分立后的新单位（每行一个：编号 名称）" textarea required ...${bind('into')} />
    <${Field} label="新单位层级" options=${levelChoices} ...${bind('level')} />
    <${Field} label="承接单位编号（不填则为第一个新单位）" ...${bind('successor')} />
    <button type="submit" disabled=${busy}>分立</button>${outcome}
  </form>`;
}

function UnitPage({ route }) {
  const id = route.query.id;
  const [turn, setTurn] = useState(0);
  const got = useAsk('intake', 'unit.get', { unit: id }, [id, turn]);
  const u = got.value;
  return html`<${Page} title=${u ? `单位：${u.name}` : '单位'}>
    <p><a href=${href('units')}>← 返回单位列表</a></p>
    ${got.refusal ? html`<${RefusalBox} refusal=${got.refusal} />` : null}
    ${!u ? (got.busy ? html`<${Busy} />` : null) : html`
      <section class="card" id="unit">
        <dl class="facts">
          <dt>编号</dt><dd><${Id}>${u.id}<//></dd><dt>名称</dt><dd id="unit-name">${u.name}</dd>
          <dt>层级</dt><dd>${word('level', u.level)}</dd><dt>上级单位</dt><dd>${u.parent ? html`<${Id}>${u.parent}<//>` : '—'}</dd>
          <dt>登记日期</dt><dd>${u.registered_on}</dd>
          <dt>状态</dt><dd>${word('status', u.status)}${u.successor ? html`，由 <${Id}>${u.successor}<//> 承接（${u.changed_on}）` : ''}</dd>
        </dl>
        <h3>名称沿革</h3>
        <ol>${u.names.map((n) => html`<li key=${n.from}>${n.from} 起：${n.name}</li>`)}</ol>
        <p><a href=${href('problems', { unit: u.id })}>该单位的问题</a> · <a href=${href('items', { unit: u.id })}>该单位的整改事项</a></p>
        <${UnitDocumentLinks} unit=${u.id} />
      </section>
      ${u.status === 'active' ? html`<${UnitRename} unit=${u} onDone=${() => setTurn((n) => n + 1)} /><${UnitSplit} unit=${u} onDone=${() => setTurn((n) => n + 1)} />` : null}`}
  <//>`;
}

export const pages = [
  { path: 'units', role: ['office', 'district'], title: '单位', nav: true, view: UnitsPage },
  { path: 'unit', role: ['office', 'district'], title: '单位', nav: false, view: UnitPage },
];
