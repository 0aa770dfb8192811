// search.js: the console's full-text search (docs/console.md, "Search"): the box in the shell
// and the page #/search?q=…, asking each service the person's role may search (problem.search,
// rectify.search, referral.search) at once, one section each with its count, its results with
// the matched words marked (<mark>, from the services' segments, never markup from them), a link
// to each record where the role has a page for it, and paging by offset.
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { ask } from "../js/session.js";
import { html, Busy, Field, Id, Page, RefusalBox } from "../js/ui.js";
import { routeGo, routeHref } from "../js/route.js";
import { useCategories, categoryOptions } from "../js/categories.js";
import { word } from "../js/words.js";

const LIMIT = 20;
const OFFSET_MAX = 1000;   // the services' offset bound (docs/services/*.md, "Search")

// The services that search, what they hold, and the roles that may ask each (those that may ask
// the service's list: docs/security.md).
export const SOURCES = [
  { service: "intake", type: "problem.search", name: "问题", roles: ["office", "district", "team", "petition", "audit"] },
  { service: "rectify", type: "rectify.search", name: "整改事项",
    roles: ["office", "district", "team", "petition", "audit", "unit", "discipline", "department"] },
  { service: "referral", type: "referral.search", name: "移交事项",
    roles: ["office", "district", "team", "petition", "audit", "unit", "discipline", "department"] },
];
export const SEARCH_ROLES = [...new Set(SOURCES.flatMap((s) => s.roles))];

// Where a result opens for a role: [page, query] or null (the role has no page for that record).
function recordHref(kind, id, role) {
  const at = {
    problem: { office: ["problem", { id }], district: ["problem", { id }], team: ["team-problem", { id }] },
    item: { office: ["item", { id }], district: ["item", { id }], unit: ["unit-item", { item: id }] },
    referral: { office: ["referral", { id }], district: ["referral", { id }], discipline: ["lead", { referral: id }] },
  }[kind]?.[role];
  return at ? routeHref(at[0], at[1]) : null;
}

// Segments (even plain, odd matched) as text with <mark>s; Preact sets each as text.
export function Marked({ segments }) {
  return (segments || []).map((s, i) => (i % 2 ? html`<mark>${s}</mark>` : s));
}

// A result's state in words: a problem's status, an item's or a referral's state.
function stateWord(kind, state) {
  return word(kind === "problem" ? "status" : "state", state);
}

// The box in the shell: a labelled field and a button; Enter or the button opens the page.
export function SearchBox({ me }) {
  const [q, setQ] = useState("");
  if (!me || !SEARCH_ROLES.includes(me.role)) return null;
  const go = (e) => {
    e.preventDefault();
    if (q.trim()) routeGo("search", { q: q.trim() });
  };
  return html`<form id="search-box" class="search-box" role="search" onSubmit=${go}>
    <label for="search-q">全文搜索</label>
    <input id="search-q" name="q" type="search" maxlength="100" value=${q} placeholder="如：公车 三资"
      onInput=${(e) => setQ(e.target.value)}/>
    <button type="submit">搜索</button>
  </form>`;
}

// One service's section: its count, its results and its pager (the offset in the route).
function Section({ source, answer, me, offset, onOffset }) {
  const { value, refusal, busy } = answer || {};
  return html`<section class="card search-section" id=${`search-${source.service}`} data-service=${source.service}>
    <h3>${source.name}${value ? html` <span class="count" data-count=${value.count}>（共 ${value.count}${value.count_capped ? " 条以上" : " 条"}）</span>` : null}</h3>
    ${busy ? html`<${Busy} text="正在搜索……"/>` : null}
    <${RefusalBox} refusal=${refusal}/>
    ${value && !value.results.length ? html`<p class="empty">没有找到相符的${source.name}</p>` : null}
    ${value?.results.length ? html`<ol class="results" start=${offset + 1}>${value.results.map((r) => {
      const to = recordHref(r.kind, r.id, me.role);
      const title = html`<${Marked} segments=${r.title}/>`;
      return html`<li key=${r.id} class="result" data-id=${r.id} data-kind=${r.kind}>
        <div class="result-title">${to ? html`<a href=${to}>${title}</a>` : title} <${Id}>${r.id}<//></div>
        <div class="muted result-facts">${r.round_name || ""}${r.round ? " · " : ""}${r.unit_name || ""}
          ${r.category_name ? ` · ${r.category_name}` : ""} · ${stateWord(r.kind, r.state)}${r.date ? ` · ${r.date}` : ""}</div>
        ${r.snippet?.length ? html`<p class="snippet"><${Marked} segments=${r.snippet}/></p>` : null}
      </li>`;
    })}</ol>` : null}
    ${value && (offset > 0 || value.next != null) ? html`<div class="pager">
      <button type="button" disabled=${offset <= 0} onClick=${() => onOffset(Math.max(0, offset - LIMIT))}>上一页</button>
      <button type="button" disabled=${value.next == null || value.next > OFFSET_MAX} onClick=${() => onOffset(value.next)}>下一页</button>
    </div>` : null}
  </section>`;
}

const FILTERS = ["round", "owner", "unit", "category", "year", "state"];

function SearchPage({ route, me }) {
  const q = route.query;
  const text = (q.q || "").trim();
  // a state belongs to one service: with one chosen, only that service is asked
  const mine = SOURCES.filter((s) => s.roles.includes(me.role) && (!q.state || STATE_SERVICE[q.state] === s.service));
  const [answers, setAnswers] = useState({});
  const [form, setForm] = useState(() => ({ q: q.q || "", ...Object.fromEntries(FILTERS.map((f) => [f, q[f] || ""])) }));
  const categories = useCategories();
  // 巡察主体 for the city office: the city's own rounds or a district's (a district office has its own only)
  const [districts, setDistricts] = useState([]);
  useEffect(() => {
    if (me.role !== "office") return undefined;
    let live = true;
    ask("intake", "unit.list", { level: "district", limit: 200 }).then((r) => live && setDistricts(r.items), () => {});
    return () => { live = false; };
  }, [me.role]);
  useEffect(() => setForm({ q: q.q || "", ...Object.fromEntries(FILTERS.map((f) => [f, q[f] || ""])) }),
    [JSON.stringify(q)]);
  useEffect(() => {
    if (!text) return undefined;
    let live = true;
    const base = { q: text, limit: LIMIT };
    for (const f of FILTERS) if (q[f]) base[f] = f === "year" ? Number(q[f]) : q[f];
    setAnswers(Object.fromEntries(mine.map((s) => [s.service, { busy: true }])));
    for (const s of mine) {
      const offset = Number(q[`o_${s.service}`] || 0);
      ask(s.service, s.type, offset ? { ...base, offset } : base).then(
        (value) => live && setAnswers((a) => ({ ...a, [s.service]: { value } })),
        (refusal) => live && setAnswers((a) => ({ ...a, [s.service]: { refusal } })));
    }
    return () => { live = false; };
  }, [JSON.stringify(q), me.role]);
  const submit = (e) => {
    e.preventDefault();
    const next = { q: form.q.trim() };
    for (const f of FILTERS) if (form[f]) next[f] = form[f];
    routeGo("search", next);
  };
  const set = (name) => ({ name, value: form[name], onValue: (v) => setForm((o) => ({ ...o, [name]: v })) });
  return html`<${Page} title="全文搜索">
    <form class="filters card" id="search-form" role="search" onSubmit=${submit}>
      <${Field} label="关键词（多个词以空格分隔，须全部出现）" maxlength="100" required ...${set("q")}/>
      <${Field} label="轮次编号" ...${set("round")}/>
      ${me.role === "office" ? html`<${Field} label="巡察主体" options=${[["", "全部"], ["city", "市本级"],
        ...districts.map((d) => [d.id, d.name])]} ...${set("owner")}/>` : null}
      <${Field} label="单位编号" ...${set("unit")}/>
      <${Field} label="问题类别" options=${[["", "全部"], ...categoryOptions(categories)]} ...${set("category")}/>
      <${Field} label="年度" type="number" min="2000" max="2100" ...${set("year")}/>
      <${Field} label="状态" options=${[["", "全部"], ...STATES.map((s) => [s, STATE_NAMES[s]])]} ...${set("state")}/>
      <div class="buttons"><button type="submit" class="primary">搜索</button></div>
    </form>
    ${!text ? html`<p class="empty" id="search-empty">请输入要搜索的词语。</p>` : null}
    ${!mine.length ? html`<p class="empty">您的角色无可搜索的内容。</p>` : null}
    ${text ? mine.map((s) => html`<${Section} key=${s.service} source=${s} me=${me} answer=${answers[s.service]}
        offset=${Number(q[`o_${s.service}`] || 0)}
        onOffset=${(o) => routeGo("search", { ...q, [`o_${s.service}`]: o ? String(o) : "" })}/>`) : null}
  <//>`;
}

// The states a search filters on: each service takes its own (a problem's status, an item's or a
// referral's state); the one chosen is sent to the service it belongs to, and only that one is asked.
const STATES = ["recorded", "classified", "opened", "planned", "claimed", "reopened", "closed", "referred",
  "acknowledged", "disposed", "concluded"];
const STATE_SERVICE = Object.fromEntries(STATES.map((s) => [s, ["recorded", "classified"].includes(s) ? "intake"
  : ["referred", "acknowledged", "disposed", "concluded"].includes(s) ? "referral" : "rectify"]));
const STATE_NAMES = Object.fromEntries(STATES.map((s) => [s, ["recorded", "classified"].includes(s)
  ? `问题：${word("status", s)}` : ["referred", "acknowledged", "disposed", "concluded"].includes(s)
    ? `移交：${word("state", s)}` : `整改：${word("state", s)}`]));

export const pages = [
  { path: "search", role: SEARCH_ROLES, title: "全文搜索", nav: false, view: SearchPage },
];
