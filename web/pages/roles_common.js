// What the pages of the team, the unit, the discipline body and the reporters share: evidence
// files uploaded, listed and shown (files.js), money in yuan as exact fen, counts, facts. (A command sent from a
// form is ui.js's useCommand; the categories are categories.js's.)
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { html, Id, RefusalBox } from "../js/ui.js";
import { refusalFrom } from "../js/session.js";
import { bytesSave, bytesSha256, fileRead, fileUpload, isImageType, looksImage } from "../js/files.js";
import { word } from "../js/words.js";

export const SEVERITIES = ["general", "serious", "grave"];

// [value, 中文] pairs of codes for a Field's options, through words.js.
export const codeOptions = (member, codes) => codes.map((c) => [c, word(member, c)]);

// Evidence as the services take it: each file's name and the SHA-256 of its bytes, computed
// here (a record from paper names a file the services do not hold: hashes only).
export async function filesEvidence(files) {
  const out = [];
  for (const f of files) out.push({ file: f.name, sha256: await bytesSha256(await f.arrayBuffer()) });
  return out;
}

const STATES = { hashing: "正在计算摘要", sending: "正在上传", retrying: "网络中断，正在重试", done: "已上传" };

// A file input with its label. With service, each chosen file is uploaded to that service
// (files.js: signed chunks with progress, resumed after a network failure) and the entries
// are handed to the form once stored whole; a refused file shows the service's reason and is
// left out. onBusy(true/false) lets the form wait for the uploads. Without service, names and
// hashes only (the file stays on the person's computer).
let evidenceSeq = 0;
export function EvidenceField({ label, value, onValue, required, service, onBusy }) {
  const [id] = useState(() => `evidence-${++evidenceSeq}`);
  const [busy, setBusy] = useState(false);
  const [rows, setRows] = useState([]);    // [{name, sent, size, state, refusal}]
  const on = async (e) => {
    const files = Array.from(e.target.files);
    setBusy(true);
    onBusy?.(true);
    try {
      if (!service) return onValue(await filesEvidence(files));
      setRows(files.map((f) => ({ name: f.name, sent: 0, size: f.size, state: "hashing" })));
      const kept = [];
      for (const [i, f] of files.entries()) {
        const set = (o) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...o } : r)));
        try {
          kept.push(await fileUpload(service, f, { progress: set }));
        } catch (refusal) {
          set({ state: "refused", refusal });
        }
      }
      onValue(kept);
    } finally {
      setBusy(false);
      onBusy?.(false);
    }
  };
  const pct = (r) => (r.size ? Math.floor((100 * r.sent) / r.size) : 100);
  return html`<div class="field evidence-field"><label for=${id}>${label}${required
      ? html`<span class="req" aria-hidden="true">*</span>` : null}</label>
    <input id=${id} type="file" multiple onChange=${on}/>
    ${busy && !service ? html`<small class="muted">正在计算文件摘要……</small>` : null}
    ${service && rows.length ? html`<ul class="uploads" aria-live="polite">${rows.map((r, i) => html`<li data-state=${r.state} data-n=${i}>
      <span class="file id">${r.name}</span>
      ${r.state === "refused" ? html`<${RefusalBox} refusal=${r.refusal}/>` : html`
        <progress max="100" value=${pct(r)} aria-label=${`${STATES[r.state]}：${pct(r)}%`}></progress>
        <small class="muted upload-state">${STATES[r.state]} ${pct(r)}%</small>`}</li>`)}</ul>` : null}
    ${value?.length ? html`<ul class="evidence">${value.map((v) => html`<li><span class="file id">${v.file}</span>
      <small class="muted hash"><${Id}>SHA-256 ${v.sha256}<//></small></li>`)}</ul>` : null}
    <small class="muted">${service
      ? "文件加密保存在服务中，类型按文件内容检查（不看文件名）；网络中断后会自动续传。"
      : html`文件保留在本机，只提交文件名和 <${Id}>SHA-256<//> 摘要，供日后核对原件。`}</small></div>`;
}

// One evidence entry of a record: a thumbnail for an image the service holds (read through
// the gateway, checked against the hash, shown from a blob URL), a 下载 button for any file;
// a file the service does not hold (a record from paper) says so.
function EvidenceEntry({ service, entry }) {
  const [state, set] = useState({});       // {url, type, bytes, refusal, busy}
  const image = looksImage(entry.file);
  const read = async () => {
    set({ busy: true });
    try {
      const f = await fileRead(service, entry.sha256);
      const url = isImageType(f.type) ? URL.createObjectURL(new Blob([f.bytes], { type: f.type })) : null;
      set({ url, type: f.type, bytes: f.bytes });
      return f;
    } catch (refusal) {
      set({ refusal });
      return null;
    }
  };
  useEffect(() => {
    if (image) read();
  }, [service, entry.sha256]);
  useEffect(() => () => state.url && URL.revokeObjectURL(state.url), [state.url]);
  const save = async () => {
    const f = state.bytes ? state : await read();
    if (f) bytesSave(f.bytes, f.type, entry.file);
  };
  const missing = state.refusal && refusalFrom(state.refusal).code === "not_found";
  return html`<li class="evidence-entry" data-sha256=${entry.sha256}>
    ${state.url ? html`<img class="thumb" src=${state.url} alt=${`图片：${entry.file}`}/>` : null}
    <span class="file id">${entry.file}</span>
    <small class="muted hash"><${Id}>${entry.sha256.slice(0, 16)}…<//></small>
    ${missing ? html`<small class="muted not-stored">未存储原件（仅有摘要）</small>`
      : html`<button type="button" class="quiet download" disabled=${state.busy} onClick=${save}
          aria-label=${`下载 ${entry.file}`}>下载</button>`}
    ${state.busy ? html`<small class="muted">正在读取……</small>` : null}
    ${state.refusal && !missing ? html`<${RefusalBox} refusal=${state.refusal}/>` : null}</li>`;
}

// The evidence a record's history names for an action (a plan's, an outcome's: the services
// keep them in the history entry's data, as the command had them), newest entry last.
export const historyEvidence = (history, action) =>
  (history ?? []).filter((h) => h.action === action).map((h) => h.data?.evidence ?? []);

// A record's evidence files (problem, claim, plan, outcome), each an EvidenceEntry.
export function EvidenceList({ service, evidence }) {
  if (!evidence?.length) return null;
  return html`<ul class="evidence-files">${evidence.map((e) => html`<${EvidenceEntry} key=${e.sha256}
      service=${service} entry=${e}/>`)}</ul>`;
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
