// ranking.js: rectify's ranking of units (排名, rectify.ranking) and a lookback round's view of
// its prior round (回头看, rectify.lookback), for the office and a district office
// (docs/console.md, "Ranking" and "Lookback"). The CSV is made here in the browser from the
// answer shown, with the columns of `xcctl ranking --csv`.
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { ask } from "../js/session.js";
import { html, Busy, Field, Id, Page, RefusalBox, useAsk } from "../js/ui.js";
import { routeGo, routeHref } from "../js/route.js";
import { word } from "../js/words.js";

// The parts of an evaluation (policies.rectify's weights) and their names.
export const PARTS = [["leadership", "领导重视"], ["responsibility", "责任落实"], ["task_completion", "任务完成"],
  ["satisfaction", "群众满意"]];

const show = (v) => (v === null || v === undefined ? "" : v === true ? "是" : v === false ? "否" : String(v));

// The ranking's columns: [header, value(unit)], the four parts after 等次 (as xcctl's CSV).
export function rankingColumns(weights = {}) {
  const ev = (u, m) => u.evaluation?.[m];
  return [
    ["名次", (u) => u.rank], ["单位编号", (u) => u.unit], ["单位名称", (u) => u.unit_name], ["所属区县", (u) => u.district],
    ["综合得分", (u) => ev(u, "score")], ["等次", (u) => ev(u, "grade_name")],
    ...PARTS.flatMap(([id, name]) => [
      [`${name}原始分`, (u) => u.evaluation?.parts?.[id]?.value],
      [`${name}得分（权重${show(weights[id])}）`, (u) => u.evaluation?.parts?.[id]?.points]]),
    ["屡查屡犯扣分", (u) => ev(u, "deduction")], ["评估轮次数", (u) => ev(u, "rounds")],
    ["按期整改数", (u) => u.on_time?.closed_on_time], ["到期事项数", (u) => u.on_time?.due],
    ["按期整改率", (u) => u.on_time?.rate], ["逾期天数", (u) => u.overdue_days], ["逾期事项数", (u) => u.overdue_items],
    ["屡查屡犯次数", (u) => u.repeats], ["建议约谈", (u) => u.interview], ["首轮专项督查", (u) => u.special_check],
  ];
}

// One CSV field as a spreadsheet reads it (RFC 4180), a leading = + - @ made text (common/text.c).
function csvField(v) {
  let s = show(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The ranking as CSV text: a byte order mark, the Chinese header, one line per unit.
export function rankingCsv(result) {
  const cols = rankingColumns(result.weights);
  const lines = [cols.map(([h]) => csvField(h)).join(",")];
  for (const u of result.units) lines.push(cols.map(([, f]) => csvField(f(u))).join(","));
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// Every page of rectify.ranking (a reply holds what max_message_bytes allows; next: the rank to go
// on after), as one answer.
export async function rankingAll(data) {
  let all = null;
  for (let after = null; ;) {
    const page = await ask("rectify", "rectify.ranking", after === null ? data : { ...data, after });
    if (!all) all = page;
    else all.units.push(...page.units);
    after = page.next ?? null;
    if (after === null) return { ...all, next: null };
  }
}


function RankingTable({ result }) {
  const weights = result.weights || {};
  return html`<div class="table-wrap"><table id="ranking-table">
    <thead><tr><th scope="col">名次</th><th scope="col">单位</th><th scope="col">综合得分</th><th scope="col">等次</th>
      ${PARTS.map(([id, name]) => html`<th scope="col">${name}（权重${show(weights[id])}）</th>`)}
      <th scope="col">屡查屡犯扣分</th><th scope="col">按期整改率</th><th scope="col">逾期天数</th>
      <th scope="col">屡查屡犯次数</th><th scope="col">标记</th></tr></thead>
    <tbody>${result.units.map((u) => html`<tr key=${u.unit} data-unit=${u.unit}>
      <td data-label="名次">${u.rank}</td>
      <td data-label="单位">${u.unit_name} <${Id}>${u.unit}<//></td>
      <td data-label="综合得分" class="score">${u.evaluation ? u.evaluation.score : "未评估"}</td>
      <td data-label="等次">${u.evaluation?.grade_name ?? "—"}</td>
      ${PARTS.map(([id, name]) => {
        const p = u.evaluation?.parts?.[id];
        return html`<td data-label=${name} data-part=${id}>${p ? `${show(p.value)} 分，折合 ${show(p.points)}` : "—"}</td>`;
      })}
      <td data-label="屡查屡犯扣分">${u.evaluation ? show(u.evaluation.deduction) : "—"}</td>
      <td data-label="按期整改率">${u.on_time?.due ? `${show(u.on_time.rate)}（${u.on_time.closed_on_time}/${u.on_time.due}）` : "无到期事项"}</td>
      <td data-label="逾期天数">${show(u.overdue_days)}（${show(u.overdue_items)} 项）</td>
      <td data-label="屡查屡犯次数">${show(u.repeats)}</td>
      <td data-label="标记">${u.interview ? html`<span class="tag interview">约谈</span>` : null}${u.special_check
        ? html`<span class="tag special-check">专项督查</span>` : null}${!u.interview && !u.special_check ? "—" : null}</td>
    </tr>`)}</tbody></table></div>`;
}

function RankingPage({ route, me }) {
  const q = route.query;
  const by = q.round ? "round" : "year";
  const [form, setForm] = useState({ by, year: q.year || String(new Date().getFullYear()), round: q.round || "",
    district: q.district || "" });
  const data = by === "round" && q.round ? { round: q.round } : { year: Number(q.year || new Date().getFullYear()) };
  if (q.district) data.district = q.district;
  const got = useAll(() => rankingAll(data), JSON.stringify(data));
  const districts = useAsk("intake", "unit.list", { level: "district", limit: 200 }, []);
  const rounds = useAsk("intake", "round.list", { limit: 200 }, []);
  const set = (name) => ({ name, value: form[name], onValue: (v) => setForm((o) => ({ ...o, [name]: v })) });
  const submit = (e) => {
    e.preventDefault();
    const next = form.by === "round" ? { round: form.round } : { year: form.year };
    if (form.district) next.district = form.district;
    routeGo("ranking", next);
  };
  const r = got.value;
  const period = by === "round" ? html`${r?.period?.round_name || "轮次"} <${Id}>${q.round}<//>` : `${data.year} 年度`;
  return html`<${Page} title="整改排名">
    <form class="filters card" id="ranking-form" onSubmit=${submit}>
      <${Field} label="排名依据" options=${[["year", "按年度"], ["round", "按轮次"]]} ...${set("by")}/>
      ${form.by === "year" ? html`<${Field} label="年度" type="number" min="2000" max="2100" required ...${set("year")}/>`
        : html`<${Field} label="轮次" required options=${[["", "请选择"], ...(rounds.value?.items || []).map((x) => [x.id, x.name])]} ...${set("round")}/>`}
      ${me.role === "office" ? html`<${Field} label="县（区）" options=${[["", "全市"], ...(districts.value?.items || []).map((d) => [d.id, d.name])]} ...${set("district")}/>` : null}
      <div class="buttons"><button type="submit" class="primary">查看排名</button></div>
    </form>
    <${RefusalBox} refusal=${got.refusal}/>
    ${got.busy && !r ? html`<${Busy} text="正在加载……"/>` : null}
    ${r ? html`<section class="card" id="ranking">
      <h3>${period}${q.district ? html`（<${Id}>${q.district}<//>）` : "（全市）"}：${r.units.length} 个单位</h3>
      <p class="muted">排序：综合得分、按期整改率、逾期天数、屡查屡犯次数依次比较（按配置）。“约谈”“专项督查”为按排名提出的建议名单。</p>
      ${r.units.length ? html`<${RankingTable} result=${r}/>` : html`<p class="empty">该期间暂无可排名的单位</p>`}
      <div class="buttons"><button type="button" id="ranking-csv" disabled=${!r.units.length}
        onClick=${() => download(rankingCsv(r), ["整改排名", by === "round" ? q.round : data.year, q.district].filter(Boolean).join("-") + ".csv")}>下载表格文件</button></div>
    </section>` : null}
  <//>`;
}

// Every page of rectify.lookback (units after `after` while next is a unit), as one answer.
export async function lookbackAll(round) {
  let all = null;
  for (let after = null; ;) {
    const page = await ask("rectify", "rectify.lookback", after === null ? { round } : { round, after });
    if (!all) all = page;
    else all.units.push(...page.units);
    after = page.next ?? null;
    if (after === null) return { ...all, next: null };
  }
}

function useAll(fetch, key) {
  const [state, set] = useState({ busy: true });
  useEffect(() => {
    let live = true;
    set((s) => ({ ...s, busy: true }));
    fetch().then((value) => live && set({ value }), (refusal) => live && set({ refusal }));
    return () => { live = false; };
  }, [key]);
  return state;
}

function LookbackPage({ route }) {
  const round = route.query.round || "";
  const got = useAll(() => lookbackAll(round), round);
  const r = got.value;
  return html`<${Page} title="回头看">
    <p><a href=${routeHref("round", { id: round })}>← 返回轮次 <${Id}>${round}<//></a></p>
    <${RefusalBox} refusal=${got.refusal}/>
    ${got.busy && !r ? html`<${Busy} text="正在加载……"/>` : null}
    ${r ? html`<p id="lookback-prior">原轮次：<a href=${routeHref("round", { id: r.prior_round })}><${Id}>${r.prior_round}<//></a>，共 ${r.units.length} 个单位</p>
      ${!r.units.length ? html`<p class="empty">原轮次没有整改事项</p>` : null}
      ${r.units.map((u) => html`<section class="card lookback-unit" key=${u.unit} data-unit=${u.unit}>
        <h3>${u.unit_name} <${Id}>${u.unit}<//></h3>
        <p class="figures">事项 <b data-figure="items">${u.items}</b>，已销号 <b data-figure="closed">${u.closed}</b>，曾退回 <b data-figure="reopened">${u.reopened}</b>，
          屡查屡犯 <b data-figure="repeated">${u.repeated}</b>，未销号 <b data-figure="open">${u.open}</b>，逾期 <b data-figure="overdue">${u.overdue}</b></p>
        <div class="table-wrap"><table><thead><tr><th scope="col">事项</th><th scope="col">问题</th><th scope="col">状态</th>
          <th scope="col">期限</th><th scope="col">销号日期</th><th scope="col">曾退回</th><th scope="col">屡查屡犯</th></tr></thead>
        <tbody>${u.rows.map((row) => html`<tr key=${row.item} data-item=${row.item}>
          <td data-label="事项"><a href=${routeHref("item", { id: row.item })}><${Id}>${row.item}<//></a></td>
          <td data-label="问题">${row.summary}</td>
          <td data-label="状态">${word("state", row.state)}</td>
          <td data-label="期限">${row.due ?? "—"}</td>
          <td data-label="销号日期">${row.closed_on ?? "—"}</td>
          <td data-label="曾退回">${row.reopened ? html`<span class="tag">曾退回</span>` : "否"}</td>
          <td data-label="屡查屡犯">${row.repeated_by?.length ? row.repeated_by.map((p) => html`<a class="repeat-link"
              href=${routeHref("problem", { id: p })}>问题 <${Id}>${p}<//></a> `) : "否"}</td>
        </tr>`)}</tbody></table></div>
      </section>`)}` : null}
  <//>`;
}

export const pages = [
  { path: "ranking", role: ["office", "district"], title: "排名", nav: true, view: RankingPage },
  { path: "lookback", role: ["office", "district"], title: "回头看", nav: false, view: LookbackPage },
];
