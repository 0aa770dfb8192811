// What the pages of the team, the unit, the discipline body and the reporters share: a command
// sent from a form with its outcome shown under it, evidence files hashed in the browser, the
// policy's default categories, money in yuan as exact fen. (The office's pages have their own
// in pages/office/common.js; the two are candidates to merge once both have landed.)
import { useState } from "../vendor/preact/hooks.mjs";
import { act } from "../js/session.js";
import { html, Id, Busy, RefusalBox } from "../js/ui.js";
import { word } from "../js/words.js";

// A command from a form: act() (the confirmation dialog), then the outcome under the form.
// run() resolves to the verified reply's data, or null when cancelled or refused.
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
    ${state.ok ? html`<p class="done yes" role="status">${state.ok}</p>` : null}`;
  return [run, outcome, !!state.busy];
}

// The default categories of policies.intake: intake has no query that lists its policy, so a
// deployment with categories of its own edits this list (an unknown id is shown as it is).
export const CATEGORIES = [
  ["political", "党的领导和政治建设"], ["governance", "全面从严治党"], ["four_styles", "全面从严治党 › 四风"],
  ["eight_rules", "全面从严治党 › 八项规定"], ["organization", "组织建设和选人用人"],
  ["rectification", "整改落实"], ["public_concerns", "群众急难愁盼"], ["livelihood", "群众急难愁盼 › 民生"],
  ["poverty_alleviation", "群众急难愁盼 › 扶贫"], ["hazardous_chemicals", "群众急难愁盼 › 危化品安全"],
  ["receivables", "群众急难愁盼 › 村级应收款"], ["ideology", "意识形态工作责任制"],
];
export const categoryName = (id) => (CATEGORIES.find(([c]) => c === id) || [id, id])[1];
export const SEVERITIES = ["general", "serious", "grave"];

// [value, 中文] pairs of codes for a Field's options, through words.js.
export const codeOptions = (member, codes) => codes.map((c) => [c, word(member, c)]);

// Evidence as the services take it: each file's name and the SHA-256 of its bytes, computed
// here; the file itself stays on the person's computer (the services keep no files).
export async function filesEvidence(files) {
  const out = [];
  for (const f of files) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await f.arrayBuffer()));
    out.push({ file: f.name, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") });
  }
  return out;
}

// A file input with its label, and the names and hashes of what was chosen.
let evidenceSeq = 0;
export function EvidenceField({ label, value, onValue, required }) {
  const [id] = useState(() => `evidence-${++evidenceSeq}`);
  const [busy, setBusy] = useState(false);
  const on = async (e) => {
    setBusy(true);
    try { onValue(await filesEvidence(Array.from(e.target.files))); } finally { setBusy(false); }
  };
  return html`<div class="field"><label for=${id}>${label}${required
      ? html`<span class="req" aria-hidden="true">*</span>` : null}</label>
    <input id=${id} type="file" multiple onChange=${on}/>
    ${busy ? html`<small class="muted">正在计算文件摘要……</small>` : null}
    ${value?.length ? html`<ul class="evidence">${value.map((v) => html`<li><span class="file id">${v.file}</span>
      <small class="muted hash"><${Id}>SHA-256 ${v.sha256}<//></small></li>`)}</ul>` : null}
    <small class="muted">文件保留在本机，只提交文件名和 <${Id}>SHA-256<//> 摘要，供日后核对原件。</small></div>`;
}

// Yuan as typed ("1234.5") to exact fen (123450), or null when it is not an amount; no
// floating point, so what is signed is what was typed.
export function yuanToFen(text) {
  const m = /^\s*(\d{1,11})(?:\.(\d{1,2}))?\s*$/.exec(String(text ?? ""));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

// A whole number typed in a field (0 when left empty), or null when it is not one.
export function count(text) {
  const t = String(text ?? "").trim();
  return t === "" ? 0 : /^\d{1,5}$/.test(t) ? Number(t) : null;
}

// A definition list of [label, value] pairs, the values already shown as people read them.
export function Facts({ rows }) {
  return html`<dl class="facts">${rows.filter(([, v]) => v !== undefined).map(([k, v]) =>
    html`<dt>${k}</dt><dd>${v ?? "—"}</dd>`)}</dl>`;
}
