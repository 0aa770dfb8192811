// What the pages of the team, the unit, the discipline body and the reporters share: evidence
// files hashed in the browser, money in yuan as exact fen, counts, facts. (A command sent from a
// form is ui.js's useCommand; the categories are categories.js's.)
import { useState } from "../vendor/preact/hooks.mjs";
import { html, Id } from "../js/ui.js";
import { word } from "../js/words.js";

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
