// The dashboard's sections (驾驶舱, docs/console.md "The dashboard"): each a chart (the picture)
// and a table of the same figures (the record). Every number is the services' own, laid out, never
// computed here; each sits in an element with data-figure="<path>", the path of the same figure
// in `xcctl stats --json` for the same filter (`rectify.lights.red`, `city.rectify.overdue_now`,
// `rectify.overdue_by_unit.U-1.overdue`: an array's element by its id), which the test compares.
import { html, Id, Explained } from "../../js/ui.js";
import { Chart } from "../../js/chart.js";

// A member by path (["on_time", "rate"]); undefined when absent.
export function figureAt(answer, path) {
  return path.reduce((v, k) => (v !== null && typeof v === "object" ? v[k] : undefined), answer);
}

// A figure: its value as the service gave it (null, a rate nothing counts for, as —); a figure the
// answer lacks is a plain — with no data-figure (it is no figure of the services).
export function Fig({ at, v }) {
  if (v === undefined) return html`<span class="fig">—</span>`;
  return html`<span class="fig" data-figure=${at}>${v === null ? "—" : String(v)}</span>`;
}

function Section({ id, title, children }) {
  return html`<section class="dash-card" id=${id} aria-labelledby=${`${id}-h`}><h3 id=${`${id}-h`}>${title}</h3>${children}</section>`;
}

function Table({ head, rows, empty = "暂无数据" }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table class="figures">
    <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr data-key=${r.key}>${r.cells.map((c, i) => html`<td data-label=${head[i]}>${c}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

const COLOURS = { red: "#c62828", yellow: "#b7791f", green: "#2e7d32", none: "#8c959f" };
const LIGHT_WORDS = { red: "红灯（逾期）", yellow: "黄灯（临期）", green: "绿灯（正常）", none: "未亮灯" };
const bar = (name, data, colour) => ({ name, type: "bar", data, itemStyle: colour ? { color: colour } : undefined });
const axes = (names, horizontal) => horizontal
  ? { grid: { containLabel: true, left: 8, right: 16, top: 24, bottom: 8 }, yAxis: { type: "category", data: names, inverse: true }, xAxis: { type: "value", minInterval: 1 } }
  : { grid: { containLabel: true, left: 8, right: 16, top: 32, bottom: 8 }, xAxis: { type: "category", data: names }, yAxis: { type: "value", minInterval: 1 } };

// The three colours over every open item (rectify.stats lights).
export function Lights({ rectify }) {
  const lights = rectify?.lights;
  if (!lights) return html`<${Section} id="dash-lights" title="整改事项亮灯"><p class="empty">整改服务尚未提供亮灯数字</p><//>`;
  // the usual colours first, then any other a policy's bands name (a district's own), none last
  const keys = [...new Set(["red", "yellow", "green", ...Object.keys(lights), "none"])];
  const word = (k) => LIGHT_WORDS[k] ?? html`<${Id}>${k}<//>`;
  const option = {
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["40%", "68%"], label: { show: false },
               data: keys.map((k) => ({ name: LIGHT_WORDS[k] ?? k, value: lights[k] ?? 0, itemStyle: COLOURS[k] ? { color: COLOURS[k] } : undefined })) }],
  };
  return html`<${Section} id="dash-lights" title="整改事项亮灯（未销号）">
    <${Chart} id="chart-lights" option=${option}/>
    <ul class="lights-list">${keys.map((k) => html`<li class=${`swatch swatch-${k}`}>${word(k)}：<${Fig} at=${`rectify.lights.${k}`} v=${lights[k]}/> 项</li>`)}</ul>
    ${rectify.definitions?.lights ? html`<p class="muted"><${Explained} cls="def" text=${rectify.definitions.lights} label="口径">口径<//></p>` : null}
  <//>`;
}

// Overdue items by owner: one rectify.stats per scope (全市, 市本级, 各区县合计, each district), as
// xcctl stats without --owner; with an owner chosen (or a district office), that scope's only.
export function OverdueByOwner({ data, title }) {
  const rows = [{ at: "", title, rectify: data.rectify }, ...data.scopes];
  const names = rows.map((r) => r.title);
  const option = { ...axes(names), series: [bar("逾期未整改", rows.map((r) => r.rectify?.overdue_now ?? 0), COLOURS.red)] };
  return html`<${Section} id="dash-owner" title="逾期未整改（按巡察主体）">
    <${Chart} id="chart-owner" option=${option}/>
    <${Table} head=${["巡察主体", "逾期未整改（项）"]} rows=${rows.map((r) => ({ key: r.at || "all", cells: [
      r.title, html`<${Fig} at=${`${r.at ? `${r.at}.` : ""}rectify.overdue_now`} v=${r.rectify?.overdue_now}/>`] }))}/>
  <//>`;
}

// Overdue items by unit, with the furthest step of the escalation ladder any of them reached.
export function OverdueByUnit({ rectify }) {
  const list = rectify?.overdue_by_unit ?? [];
  const option = { ...axes(list.map((u) => u.name || u.unit), true), series: [bar("逾期未整改", list.map((u) => u.overdue), COLOURS.red)] };
  return html`<${Section} id="dash-unit" title="逾期未整改（按单位）及督办阶梯">
    ${list.length ? html`<${Chart} id="chart-unit" option=${option}/>` : null}
    <${Table} empty="没有逾期未整改的单位" head=${["单位", "逾期未整改（项）", "已达督办阶梯"]} rows=${list.map((u) => ({ key: u.unit, cells: [
      html`${u.name ?? ""} <${Id}>${u.unit}<//>`,
      html`<${Fig} at=${`rectify.overdue_by_unit.${u.unit}.overdue`} v=${u.overdue}/>`,
      u.step ? html`<${Fig} at=${`rectify.overdue_by_unit.${u.unit}.step.name`} v=${u.step.name}/>（第<${Fig} at=${`rectify.overdue_by_unit.${u.unit}.step.n`} v=${u.step.n}/>级）`
             : "尚未进入督办阶梯"] }))}/>
  <//>`;
}

// Overdue items by round.
export function OverdueByRound({ rectify }) {
  const list = rectify?.overdue_by_round ?? [];
  const option = { ...axes(list.map((r) => r.name || r.round), true), series: [bar("逾期未整改", list.map((r) => r.overdue), COLOURS.red)] };
  return html`<${Section} id="dash-round" title="逾期未整改（按轮次）">
    ${list.length ? html`<${Chart} id="chart-round" option=${option}/>` : null}
    <${Table} empty="没有逾期未整改的轮次" head=${["轮次", "逾期未整改（项）"]} rows=${list.map((r) => ({ key: r.round, cells: [
      html`${r.name ?? ""} <${Id}>${r.round}<//>`, html`<${Fig} at=${`rectify.overdue_by_round.${r.round}.overdue`} v=${r.overdue}/>`] }))}/>
  <//>`;
}

// Leads and handovers open, due soon and overdue at each receiving body (referral.stats by_target);
// a body by its registered display name when the registry answers, its account always as a value.
export function LeadsByTarget({ referral, names }) {
  if (referral === null)
    return html`<${Section} id="dash-leads" title="移交线索办理"><p class="empty">本区县纪委监委未同意巡察机构知悉线索，线索数字不显示。</p><//>`;
  const by = referral?.by_target ?? {};
  const targets = Object.keys(by).sort();
  const label = (t) => names?.[t] || t;
  const option = { ...axes(targets.map(label)), legend: { top: 0 },
    series: [bar("未办结", targets.map((t) => by[t].open)), bar("即将到期", targets.map((t) => by[t].due_soon), COLOURS.yellow),
             bar("已逾期", targets.map((t) => by[t].overdue), COLOURS.red)] };
  const defs = referral?.definitions ?? {};
  return html`<${Section} id="dash-leads" title="移交线索办理（按承办机关）">
    ${targets.length ? html`<${Chart} id="chart-leads" option=${option}/>` : null}
    <${Table} empty="暂无移交事项" head=${["承办机关", "未办结", "即将到期", "已逾期"]} rows=${targets.map((t) => ({ key: t, cells: [
      html`${names?.[t] ? `${names[t]} ` : ""}<${Id}>${t}<//>`,
      ...["open", "due_soon", "overdue"].map((k) => html`<${Fig} at=${`referral.by_target.${t}.${k}`} v=${by[t][k]}/>`)] }))}/>
    ${defs.by_target ? html`<p class="muted"><${Explained} cls="def" text=${defs.by_target} label="口径">口径<//></p>` : null}
  <//>`;
}

// Trends by month: problems found (intake), items closed and the on-time rate (rectify).
export function Trends({ intake, rectify }) {
  const found = intake?.problems?.by_month ?? {};
  const closed = rectify?.by_month ?? {};
  const months = [...new Set([...Object.keys(found), ...Object.keys(closed)])].sort();
  const rate = (m) => (closed[m]?.on_time_rate == null ? null : Number(closed[m].on_time_rate));
  const option = {
    legend: { top: 0 }, grid: { containLabel: true, left: 8, right: 8, top: 36, bottom: 8 },
    xAxis: { type: "category", data: months },
    yAxis: [{ type: "value", name: "件数", minInterval: 1 }, { type: "value", name: "按期报结率（%）", min: 0, max: 100 }],
    series: [bar("发现问题", months.map((m) => found[m] ?? null)), bar("整改销号", months.map((m) => closed[m]?.closed ?? null), COLOURS.green),
             { name: "按期报结率", type: "line", yAxisIndex: 1, connectNulls: false, data: months.map(rate) }],
  };
  const cell = (obj, at, v) => (obj ? html`<${Fig} at=${at} v=${v}/>` : "—");
  return html`<${Section} id="dash-trends" title="月度趋势">
    ${months.length ? html`<${Chart} id="chart-trends" option=${option}/>` : null}
    <${Table} empty="暂无按月数字" head=${["月份", "发现问题", "整改销号", "按期报结率（%）"]} rows=${months.map((m) => ({ key: m, cells: [
      m, m in found ? html`<${Fig} at=${`intake.problems.by_month.${m}`} v=${found[m]}/>` : "—",
      cell(closed[m], `rectify.by_month.${m}.closed`, closed[m]?.closed),
      cell(closed[m], `rectify.by_month.${m}.on_time_rate`, closed[m]?.on_time_rate)] }))}/>
  <//>`;
}
