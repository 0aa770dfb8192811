// 驾驶舱: the office's dashboard (docs/console.md, "The dashboard (驾驶舱)"). The filters live in
// the address (#/dashboard?year=&round=&owner=&category=); the figures are the services' *.stats
// answers for them, as xcctl stats asks them (one rectify.stats per scope without an owner); the
// page lays them out and never computes one. Live: each service's verified event hints ask the
// figures again (at most one refresh running, one queued).
import { useEffect, useMemo, useRef, useState } from "../vendor/preact/hooks.mjs";
import { html, Page, Field, RefusalBox, Busy } from "../js/ui.js";
import { ask } from "../js/session.js";
import { routeGo } from "../js/route.js";
import { useCategories, categoryOptions } from "../js/categories.js";
import { coalesced, hintsWatch } from "../js/hints.js";
import { Lights, OverdueByOwner, OverdueByUnit, OverdueByRound, LeadsByTarget, Trends } from "./dashboard/sections.js";
import { Summary } from "./dashboard/summary.js";

const SCOPES = [["city", "市本级"], ["district", "各区县合计"]];
const LIVE = ["rectify", "referral", "intake"];

// The first page of a list query (500 rows: more districts or rounds than a select can offer).
async function listed(service, type, data, member) {
  const r = await ask(service, type, { ...data, limit: 500 });
  return r[member] ?? r.items ?? [];
}

// A list asked once for the page's filters; [] when the service refuses it.
function useListed(service, type, data, member, on = true) {
  const [rows, set] = useState(on ? null : []);
  useEffect(() => {
    if (!on) return undefined;
    let live = true;
    listed(service, type, data, member).then((r) => live && set(r), () => live && set([]));
    return () => { live = false; };
  }, [on]);
  return rows;
}

// The registered principals' display names {iss: display}, for the receiving bodies; {} when
// the registry does not answer this role.
function useDisplayNames() {
  const [names, set] = useState({});
  useEffect(() => {
    let live = true;
    ask("registry", "principal.list", { limit: 500 }).then((r) => live && set(Object.fromEntries(
      (r.principals ?? []).filter((p) => p.display).map((p) => [p.iss, p.display]))), () => {});
    return () => { live = false; };
  }, []);
  return names;
}

// The stats filters of the address: only the members given, year as a number.
function filtersOf(query, office) {
  const f = {};
  if (/^\d{4}$/.test(query.year ?? "")) f.year = Number(query.year);
  for (const k of ["round", "category"]) if (query[k]) f[k] = query[k];
  if (office && query.owner) f.owner = query.owner;
  return f;
}

// The answers for the filters: the three services' stats for the scope chosen and, for the city
// office with no owner chosen, rectify's for each scope (city, district, each district). A
// district office may be refused referral's figures (its discipline body's lead_access): null.
async function statsLoad(filters, scopes) {
  const [intake, referral, rectify, ...per] = await Promise.all([
    ask("intake", "intake.stats", filters),
    ask("referral", "referral.stats", filters).catch((e) => (e?.code === "forbidden" ? null : Promise.reject(e))),
    ask("rectify", "rectify.stats", filters),
    ...scopes.map((s) => ask("rectify", "rectify.stats", { ...filters, owner: s.owner })),
  ]);
  return { intake, referral, rectify, scopes: scopes.map((s, i) => ({ ...s, rectify: per[i] })) };
}

const hhmmss = (d) => [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");

function Filters({ query, office, rounds, districts, categories }) {
  const set = (name) => (v) => routeGo("dashboard", { ...query, [name]: v }, true);
  const years = [...new Set([new Date().getFullYear(), ...(rounds ?? []).map((r) => Number(String(r.planned_start ?? "").slice(0, 4)))])]
    .filter((y) => y >= 2000).sort((a, b) => b - a);
  return html`<form class="filters" id="dash-filters" onSubmit=${(e) => e.preventDefault()}>
    <${Field} label="年度" name="year" value=${query.year ?? ""} onValue=${set("year")}
      options=${[["", "全部年度"], ...years.map((y) => [String(y), `${y}年`])]}/>
    <${Field} label="轮次" name="round" value=${query.round ?? ""} onValue=${set("round")}
      options=${[["", "全部轮次"], ...(rounds ?? []).map((r) => [r.id, r.name ? `${r.name}（${r.id}）` : r.id, true])]}/>
    ${office ? html`<${Field} label="巡察主体" name="owner" value=${query.owner ?? ""} onValue=${set("owner")}
      options=${[["", "全市"], ...SCOPES, ...(districts ?? []).map((d) => [d.id, d.name || d.id])]}/>` : null}
    <${Field} label="问题类别" name="category" value=${query.category ?? ""} onValue=${set("category")}
      options=${[["", "全部类别"], ...categoryOptions(categories)]}/>
  </form>`;
}

function DashboardPage({ route, me }) {
  const query = route.query;
  const office = me.role === "office";
  const rounds = useListed("intake", "round.list", {}, "rounds");
  const districts = useListed("intake", "unit.list", { level: "district" }, "units", office);
  const categories = useCategories();
  const names = useDisplayNames();
  const filters = filtersOf(query, office);
  const key = JSON.stringify(filters);
  const scopes = useMemo(() => (!office || filters.owner || !districts ? [] : [
    ...SCOPES.map(([owner, title]) => ({ at: owner, owner, title })),
    ...districts.map((d) => ({ at: `districts.${d.id}`, owner: d.id, title: d.name || d.id }))]), [key, districts]);
  const ready = !office || !!filters.owner || districts !== null;
  const [state, setState] = useState({});
  // the loader of these filters and scopes; an answer is shown only while it is still the page's
  // (a hint may start a run of an older loader, whose answer then is dropped)
  const latest = useRef(null);
  const refresh = useMemo(() => {
    const self = coalesced(async () => {
      if (!ready) return;
      try {
        const data = await statsLoad(filters, scopes);
        if (latest.current === self) setState({ data, at: new Date(), key });
      } catch (refusal) {
        if (latest.current === self) setState((s) => ({ ...s, refusal }));
      }
    });
    return self;
  }, [key, scopes, ready]);
  latest.current = refresh;
  useEffect(() => { refresh(); }, [refresh]);
  useEffect(() => {
    const watcher = hintsWatch(LIVE, () => latest.current());
    return () => watcher.close();
  }, []);

  const data = state.key === key ? state.data : null;
  const ownerTitle = filters.owner ? (SCOPES.find(([o]) => o === filters.owner)?.[1]
    ?? districts?.find((d) => d.id === filters.owner)?.name ?? filters.owner) : office ? "全市" : "本区县";
  return html`<${Page} title="驾驶舱">
    <${Filters} query=${query} office=${office} rounds=${rounds} districts=${districts} categories=${categories}/>
    <p class="dash-updated" role="status" aria-live="polite">${state.at
      ? html`<span id="dash-updated" data-at=${state.at.getTime()}>更新于 ${hhmmss(state.at)}</span>` : null}</p>
    <${RefusalBox} refusal=${state.refusal}/>
    ${!data ? html`<${Busy} text="正在读取统计……"/>` : html`<div class="dash-grid" id="dash" data-filters=${key}>
      <${Lights} rectify=${data.rectify}/>
      <${OverdueByOwner} data=${data} title=${ownerTitle}/>
      <${OverdueByUnit} rectify=${data.rectify}/>
      <${OverdueByRound} rectify=${data.rectify}/>
      <${LeadsByTarget} referral=${data.referral} names=${names}/>
      <${Trends} intake=${data.intake} rectify=${data.rectify}/>
      <${Summary} answers=${data}/>
    </div>`}
  <//>`;
}

export const pages = [
  { path: "dashboard", role: ["office", "district"], title: "驾驶舱", nav: true, view: DashboardPage },
];
