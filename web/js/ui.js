// ui.js: the components every page shares (docs/console.md, "The shell"). Everything shown is
// Chinese; colours always come with a word; every field has its label; buttons are buttons.
import { h } from "../vendor/preact/preact.mjs";
import { useEffect, useRef, useState } from "../vendor/preact/hooks.mjs";
import htm from "../vendor/htm/htm.module.js";
import { act, ask, confirmSet, refusalFrom } from "./session.js";
import { routeGo, useRoute } from "./route.js";
import { explainChinese } from "./explain.js";
import { SERVICES } from "./reasons.js";

export const html = htm.bind(h);

export function Page({ title, children }) {
  useEffect(() => { document.title = `${title} - 巡察工作平台`; }, [title]);
  return html`<section class="page"><h2>${title}</h2>${children}</section>`;
}

let fieldSeq = 0;
// A label and its control: options [[value, 中文], ...] make a select, textarea a textarea.
// onValue gets the new value (string; checked for a checkbox).
export function Field({ label, name, value, onValue, type = "text", options, textarea, required,
                        hint, ...rest }) {
  const id = useRef(null);
  if (!id.current) id.current = `f${++fieldSeq}-${name || "x"}`;
  const on = (e) => onValue?.(type === "checkbox" ? e.target.checked : e.target.value);
  let control;
  if (options)
    control = html`<select id=${id.current} name=${name} value=${value ?? ""} onChange=${on} required=${required} ...${rest}>
      ${options.map(([v, t, isValue]) => html`<option value=${v} class=${isValue ? "id" : undefined}>${t}</option>`)}</select>`;
  else if (textarea)
    control = html`<textarea id=${id.current} name=${name} value=${value ?? ""} onInput=${on} required=${required} ...${rest}></textarea>`;
  else if (type === "checkbox")
    control = html`<input id=${id.current} name=${name} type="checkbox" checked=${!!value} onChange=${on} ...${rest}/>`;
  else
    control = html`<input id=${id.current} name=${name} type=${type} value=${value ?? ""} onInput=${on} required=${required} ...${rest}/>`;
  return html`<div class=${type === "checkbox" ? "field check" : "field"}><label for=${id.current}>${label}${required ? html`<span class="req" aria-hidden="true">*</span>` : null}</label>${control}${hint ? html`<small class="muted">${hint}</small>` : null}</div>`;
}

// A value shown as it is (an id, an account, a code, a hash): the one place a page may show
// Latin letters (docs/console.md, "The audit walk": everything else a person reads is Chinese).
export function Id({ children }) {
  return html`<code class="id">${children}</code>`;
}

// Who did something, as a history names them: a service by its Chinese name, a person's
// account as a value.
export function Actor({ iss }) {
  return SERVICES[iss] ? SERVICES[iss] : html`<${Id}>${iss}<//>`;
}

// A text whose runs of Latin letters are placed values (a refusal's Chinese: reasons.js places
// ids and accounts into Chinese that has no letter of its own): each such run shown as a value.
export function valuesMarked(text) {
  return String(text).split(/([!-~]*[A-Za-z][!-~]*)/).map((part, i) => i % 2 ? html`<${Id}>${part}<//>` : part);
}

export function Busy({ text = "正在处理……" }) {
  return html`<p class="busy" role="status">${text}</p>`;
}

// A refusal in Chinese, with its code for whoever helps the person. Whatever else was thrown (a
// reply that failed verification, no answer) becomes a Refusal first: never English shown.
export function RefusalBox({ refusal }) {
  if (!refusal) return null;
  const r = refusalFrom(refusal);
  return html`<div class="refusal" role="alert" data-code=${r.code}>${valuesMarked(r.chinese)}<span class="code">（<code class="id">${r.code}</code>）</span></div>`;
}

const LIGHTS = { green: "正常", yellow: "临期", red: "逾期" };
// A traffic light as the service gives it: never colour alone, the word goes with it.
export function Light({ colour }) {
  return html`<span class=${`light light-${colour}`} data-colour=${colour}>${LIGHTS[colour] ?? colour}</span>`;
}

// A date with its deadline explanation: in the title for a mouse, and behind a real button
// (ⓘ) for a keyboard or a phone, which shows it in the page.
// The services explain in English; explainChinese (explain.js) says it in Chinese.
export function DateCell({ date, explain: said }) {
  const explain = explainChinese(said);
  if (!explain) return html`<span class="date">${date ?? "—"}</span>`;
  return html`<${Explained} cls="date" text=${explain} label="日期说明">${date ?? "—"}<//>`;
}

// Something with a text that explains it (a date's explanation, a figure's definition): the text
// in the title for a mouse, and behind a real button (ⓘ, named `label：text`) for a keyboard or a
// phone, which shows it in the page.
export function Explained({ cls, text, label, children }) {
  const [open, set] = useState(false);
  return html`<span class=${cls} title=${text}>${children}<button type="button" class="explain"
      aria-label=${`${label}：${text}`} aria-expanded=${open} onClick=${() => set(!open)}>ⓘ</button>${open
      ? html`<span class="explained">${text}</span>` : null}</span>`;
}

// The dialog act() shows before it signs: the words, 确认 and 取消. One per page, in the shell.
export function ConfirmDialog() {
  const ref = useRef(null);
  const [ask_, setAsk] = useState(null);       // {words, resolve}
  // the question answered is the one asked now (a ref): a click that lands before the dialog
  // has drawn the next question still answers it, never a question already answered
  const pending = useRef(null);
  pending.current = ask_;
  useEffect(() => {
    confirmSet((words) => new Promise((resolve) => {
      const a = { words, resolve };
      pending.current = a;
      setAsk(a);
    }));
    return () => confirmSet(async () => false);
  }, []);
  useEffect(() => {
    const d = ref.current;
    if (ask_ && d && !d.open) d.showModal();
    if (!ask_ && d?.open) d.close();
  }, [ask_]);
  const answer = (yes) => { const a = pending.current; pending.current = null; setAsk(null); a?.resolve(yes); };
  return html`<dialog id="confirm" ref=${ref} aria-labelledby="confirm-title"
      onCancel=${(e) => { e.preventDefault(); answer(false); }}>
    <h3 id="confirm-title">请确认操作</h3>
    <p id="confirm-words">${ask_ ? valuesMarked(ask_.words) : null}</p>
    <p class="muted">确认后将以您本人的密钥签名并提交。</p>
    <div class="buttons">
      <button type="button" id="confirm-ok" class="primary" onClick=${() => answer(true)}>确认</button>
      <button type="button" id="confirm-cancel" onClick=${() => answer(false)}>取消</button>
    </div></dialog>`;
}

// A command from a form: act() (the confirmation dialog), then the outcome under the form.
// okText is the words shown on success, or a function of the verified reply giving them; done
// (the page reading again) is awaited before run resolves. run resolves to the reply, or null
// when the person cancelled or the service refused (the refusal is then shown).
export function useCommand(done) {
  const [state, set] = useState({});
  async function run(service, type, data, words, okText) {
    set({ busy: true });
    try {
      const reply = await act(service, type, data, words);
      if (reply === null) { set({}); return null; }
      set({ ok: typeof okText === "function" ? okText(reply) : okText });
      if (done) await done(reply);
      return reply;
    } catch (refusal) {
      set({ refusal });
      return null;
    }
  }
  const outcome = html`${state.busy ? html`<${Busy}/>` : null}
    <${RefusalBox} refusal=${state.refusal}/>
    ${state.ok ? html`<p class="done" role="status">${state.ok}</p>` : null}`;
  return [run, outcome, !!state.busy];
}

// Hooks a page uses for a query: {value, refusal, busy, reload}.
export function useAsk(service, type, data, deps = []) {
  const [state, set] = useState({ busy: true });
  const [n, bump] = useState(0);
  useEffect(() => {
    let live = true;
    set((s) => ({ ...s, busy: true }));
    ask(service, type, data).then((value) => live && set({ value }),
                                  (refusal) => live && set({ refusal }));
    return () => { live = false; };
  }, [...deps, n]);
  return { ...state, reload: () => bump((x) => x + 1) };
}

// A query whose answer is the deployment's configuration (a policy's categories or kinds, data
// {}): asked once per page load and shared by every page that uses it; null until it answers. A
// refusal (a role that may not ask) or a lost answer is not kept, so a later page asks again.
const once = new Map();   // "service type" -> {asked: Promise, value}
function askOnce(service, type) {
  const key = `${service} ${type}`;
  let entry = once.get(key);
  if (!entry) {
    entry = { value: null };
    entry.asked = ask(service, type, {}).then((v) => (entry.value = v),
      (refusal) => { once.delete(key); throw refusal; });
    once.set(key, entry);
  }
  return entry;
}
export function useAskOnce(service, type) {
  const [value, setValue] = useState(once.get(`${service} ${type}`)?.value ?? null);
  useEffect(() => {
    let live = true;
    askOnce(service, type).asked.then((got) => live && setValue(got), () => {});
    return () => { live = false; };
  }, [service, type]);
  return value;
}

// The page of a list query (`after`/`limit` in, `next` out). filters: [{name, label, options?,
// number?, boolean?}] (number/boolean: the query's text sent as a number / true or false),
// kept in the route's query (linkable, kept over a reload); columns: [{label, value(row)}];
// rowKey(row); onOpen(row) makes each row's first cell a button. items: the result's member
// holding the rows (default "items"). The query's "after" holds the page's cursor.
export function ListView({ service, type, filters = [], columns, rowKey = (r) => r.id, onOpen,
                          items = "items", limit = 20, extra = {}, empty = "暂无记录", stamp }) {
  const route = useRoute();
  const q = route.query;
  const data = { ...extra, limit };
  for (const f of filters)
    if (q[f.name]) data[f.name] = f.number ? Number(q[f.name]) : f.boolean ? q[f.name] === "true" : q[f.name];
  // a cursor is whatever `next` was: a number (problem ids) or a text (unit ids)
  if (q.after) data.after = q.after_n === "1" ? Number(q.after) : q.after;
  const { value, refusal, busy, reload } = useAsk(service, type, data, [JSON.stringify(data), stamp]);
  const set = (patch) => routeGo(route.path, { ...q, ...patch }, true);
  const rows = value ? (value[items] ?? Object.values(value).find(Array.isArray) ?? []) : [];
  const pages = q.pages ? q.pages.split(",") : [];
  const next = value?.next;
  // the first time a page's rows are drawn: make bench times navigation to this mark
  // (tests/bench/console_bench.py), a list being what a person waits for
  useEffect(() => {
    if (rows.length && !performance.getEntriesByName("xc-list-ready").length) performance.mark("xc-list-ready");
  }, [rows.length]);
  return html`<div class="list">
    ${filters.length ? html`<form class="filters" onSubmit=${(e) => e.preventDefault()}>
      ${filters.map((f) => html`<${Field} label=${f.label} name=${f.name} value=${q[f.name] ?? ""}
          options=${f.options ? [["", "全部"], ...f.options] : undefined}
          onValue=${(v) => set({ [f.name]: v, after: "", pages: "", after_n: "" })}/>`)}
    </form>` : null}
    <${RefusalBox} refusal=${refusal}/>
    ${busy && !value ? html`<${Busy} text="正在加载……"/>` : null}
    ${value && !rows.length ? html`<p class="empty">${empty}</p>` : null}
    ${rows.length ? html`<div class="table-wrap"><table>
      <thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${rowKey(r)} data-key=${rowKey(r)}>${columns.map((c, i) => html`<td data-label=${c.label}>${
        i === 0 && onOpen ? html`<button type="button" class="link" onClick=${() => onOpen(r)}>${c.value(r)}</button>` : c.value(r)}</td>`)}</tr>`)}</tbody>
    </table></div>` : null}
    <div class="pager">
      ${typeof value?.total === "number" ? html`<span class="total">共 ${value.total} 条</span>` : null}
      <button type="button" disabled=${!pages.length} onClick=${() => {
        const p = pages.slice(0, -1);
        set({ after: pages.length > 1 ? pages[pages.length - 2] : "", pages: p.join(","), after_n: q.after_n });
      }}>上一页</button>
      <button type="button" disabled=${next == null} onClick=${() => set({
        after: String(next), pages: [...pages, String(next)].join(","), after_n: typeof next === "number" ? "1" : "" })}>下一页</button>
      <button type="button" class="quiet" onClick=${reload}>刷新</button>
    </div></div>`;
}
