// verify.js: 核验, the audit a reader runs in their own browser (docs/console.md, "The audit in
// the reader's browser"). Every event the reader may read from each service (events.read paged
// to head, through ask), checked by chain.js against the keys the reader was given: the
// deployment's /v1/keys, or a JWK Set file they load, which then takes precedence.
import { useRef, useState } from "../vendor/preact/hooks.mjs";
import { ask } from "../js/session.js";
import { html, Id, Page, RefusalBox } from "../js/ui.js";
import { keysFetch } from "../js/wire.js";
import { chainVerify, checkersStart, FAULTS, keysIndex } from "../js/chain.js";
import { refusalFrom, SERVICES } from "../js/reasons.js";

const PAGE = 1000;           // events.read's largest page
const SHOWN = 50;            // failures listed per service; the rest counted

// Why a reader gets entries redacted: docs/security.md, "Events", by service and role ("*": any
// other role that may read).
const REDACTED = {
  intake: {
    "*": "问题登记、分类与移交的事件仅市委巡察办和移交服务可见，其他读者只见其序号、类型和哈希。",
  },
  referral: {
    discipline: "移交的内容和办理事件仅巡察办和接收该移交的单位可见；移交给其他单位的事件对您隐去。",
    district: "本区县轮次的移交按纪委监委给予的权限可见（仅状态或全部）；其他轮次的移交事件对您隐去。",
    "*": "移交的内容和办理事件仅巡察办和接收该移交的单位可见；提醒、逾期、延期、签批等不含内容的事件另对系统服务可见。",
  },
  rectify: {
    unit: "整改事件仅巡察办、系统服务、该单位本身及其上级监督机关可见；其他单位的整改事件对您隐去。",
    discipline: "您可见所监督单位及其下级单位的整改事件；其他单位的整改事件对您隐去。",
    audit: "您可见所监督单位及其下级单位的整改事件；其他单位的整改事件对您隐去。",
    district: "您可见本区县所辖及所阅轮次的整改事件；其他轮次的整改事件对您隐去。",
    "*": "整改事件按单位可见：巡察办、系统服务、该单位及其监督机关。",
  },
  notify: { "*": "通知事件仅市委巡察办可见。" },
  registry: { "*": "人员登记事件仅巡察办和系统服务可见。" },
};
const redactedWhy = (service, role) =>
  REDACTED[service]?.[role] ?? REDACTED[service]?.["*"] ?? "按访问规则，这些事件的内容对您隐去。";

const serviceName = (s) => SERVICES[s] ?? s;

// The services the deployment runs, from the gateway's /v1/directory.
async function servicesList() {
  const r = await fetch("/v1/directory", { cache: "no-store", signal: AbortSignal.timeout(10000) });
  if (r.status !== 200) throw new Error(`GET /v1/directory: HTTP ${r.status}`);
  return (await r.json()).services.map((s) => s.name).filter((n) => n !== "echo" && n !== "gateway");
}

function faultText(f) {
  if (f.fault === "gap") return `${FAULTS.gap}：缺少第 ${f.missing[0]}${f.missing[1] && f.missing[1] !== f.missing[0] ? `—${f.missing[1]}` : ""} 号`;
  if (f.fault === "short") return `${FAULTS.short}：链头为第 ${f.head} 号`;
  return FAULTS[f.fault] ?? f.fault;
}

// The keys chosen: the platform's (null) or a file's {name, jwks}.
function KeysChoice({ file, setFile, disabled }) {
  const [bad, setBad] = useState(null);
  async function load(e) {
    const f = e.target.files?.[0];
    e.target.value = "";
    if (!f) return;
    try {
      const jwks = JSON.parse(await f.text());
      keysIndex(jwks);
      setBad(null);
      setFile({ name: f.name, jwks });
    } catch {
      setBad("此文件不是有效的密钥文件（应为巡察办导出的服务公钥集合）。");
    }
  }
  return html`<div class="verify-keys">
    <p id="verify-keys-used" data-keys=${file ? "file" : "platform"}>所用密钥：${file
      ? html`您载入的密钥文件 <${Id}>${file.name}<//>（优先于平台公布的密钥）`
      : "本平台公布的服务公钥（网关的公钥集合）"}</p>
    <div class="file-pick"><input id="verify-key-file" class="visually-hidden" type="file" accept=".json,.jwks,application/json"
        disabled=${disabled} onChange=${load}/><label for="verify-key-file" class="button">载入密钥文件（巡察办提供的公钥集合）</label></div>
    ${file ? html`<button type="button" id="verify-keys-platform" disabled=${disabled} onClick=${() => setFile(null)}>改用平台公布的密钥</button>` : null}
    ${bad ? html`<p class="refusal" role="alert" id="verify-keys-bad">${bad}</p>` : null}
  </div>`;
}

function ServiceRow({ r, role }) {
  const status = r.refusal ? "refused" : r.running ? "running" : r.failures.length ? "failed" : r.stopped ? "stopped" : "ok";
  const words = { refused: "无权读取", running: "核验中", failed: "发现异常", stopped: "已停止", ok: "通过" };
  return html`<tr data-service=${r.service} data-status=${status} data-head=${r.head ?? ""} data-read=${r.read ?? ""}
      data-verified=${r.verified ?? ""} data-redacted=${r.redacted ?? ""} data-failures=${r.failures?.length ?? 0}>
    <td data-label="服务">${serviceName(r.service)}</td>
    <td data-label="链头">${r.refusal ? "—" : html`第 ${r.head ?? "—"} 号${r.headHash ? html` <${Id}>${r.headHash}<//>` : null}`}</td>
    <td data-label="已读取">${r.refusal ? "—" : html`${r.read ?? 0}${r.running && r.head ? html` <progress max=${r.head} value=${r.read ?? 0} aria-label=${`${serviceName(r.service)}读取进度`}></progress>` : null}`}</td>
    <td data-label="已核验">${r.verified ?? "—"}</td>
    <td data-label="已隐去">${r.redacted ?? "—"}${r.redacted ? html`<small class="muted why">${redactedWhy(r.service, role)}</small>` : null}</td>
    <td data-label="结果">${r.refusal ? html`<${RefusalBox} refusal=${r.refusal}/>` : words[status]}</td>
  </tr>`;
}

function Failures({ r }) {
  if (!r.failures?.length) return null;
  return html`<section class="verify-failures" data-service=${r.service}>
    <h3>${serviceName(r.service)}：${r.failures.length} 处异常</h3>
    <ul>${r.failures.slice(0, SHOWN).map((f) => html`<li class="failure" data-service=${f.service} data-seq=${f.seq} data-fault=${f.fault}>
      第 ${f.seq} 号${f.type ? html`（<${Id}>${f.type}<//>）` : null}：${faultText(f)}${f.kid ? html`，密钥 <${Id}>${f.kid}<//>` : null}</li>`)}</ul>
    ${r.failures.length > SHOWN ? html`<p class="muted">另有 ${r.failures.length - SHOWN} 处同类异常未列出。</p>` : null}
    <p class="unverifiable" data-from=${r.firstFailure}>自第 ${r.firstFailure} 号起，此服务的事件链无法核验${r.unverifiable ? `（其后 ${r.unverifiable} 条事件不予采信）` : ""}。</p>
  </section>`;
}

function Verify({ me }) {
  const [file, setFile] = useState(null);
  const [rows, setRows] = useState(null);
  const [run, setRun] = useState(null);        // {running, stopped, ms, events, keys}
  const [refusal, setRefusal] = useState(null);
  const stop = useRef(false);

  async function start() {
    stop.current = false;
    setRefusal(null);
    setRun({ running: true, keys: file ? "file" : "platform" });
    const t0 = performance.now();
    let checkers = null;
    try {
      const jwks = file ? file.jwks : await keysFetch();
      const keys = keysIndex(jwks);
      checkers = checkersStart(jwks);
      const services = await servicesList();
      const results = services.map((service) => ({ service, running: true, failures: [] }));
      // drawn at most every 100 ms: the services' pages arrive together
      let drawing = null;
      const drawNow = () => { clearTimeout(drawing); drawing = null; setRows(results.map((r) => ({ ...r }))); };
      const draw = () => { drawing ??= setTimeout(drawNow, 100); };
      drawNow();
      // the services at once: while one's page is on its way, another's is checked
      await Promise.all(services.map(async (service, i) => {
        const read = (after) => ask(service, "events.read", { after, limit: PAGE });
        try {
          const out = await chainVerify(service, read, keys, {
            stopped: () => stop.current, checkers,
            progress: (o) => { results[i] = { ...results[i], ...o, verified: null, failures: o.failures.slice() }; draw(); },
          });
          results[i] = { ...out, running: false };
        } catch (e) {
          results[i] = { service, running: false, failures: [], refusal: refusalFrom(e) };
        }
        draw();
      }));
      drawNow();
      const events = results.reduce((n, r) => n + (r.read ?? 0), 0);
      const waited = (k) => Math.round(results.reduce((n, r) => n + (r[k] ?? 0), 0));
      setRun({ running: false, stopped: stop.current, ms: performance.now() - t0, events,
               readMs: waited("readMs"), checkMs: waited("checkMs"),
               keys: file ? "file" : "platform" });
    } catch (e) {
      setRefusal(e);
      setRun(null);
    } finally {
      checkers?.close();
    }
  }

  const done = run && !run.running;
  const faults = (rows ?? []).reduce((n, r) => n + (r.failures?.length ?? 0), 0);
  const verified = (rows ?? []).reduce((n, r) => n + (r.verified ?? 0), 0);
  const refused = (rows ?? []).filter((r) => r.refusal).length;
  const outcome = () => run.stopped ? "核验已停止，结果不完整。"
    : faults ? `发现 ${faults} 处异常。`
    : refused === rows.length ? "您无权读取任何服务的事件，没有可核验的内容。"
    : refused ? `全部核验通过（另有 ${refused} 个服务无权读取）。` : "全部核验通过。";
  return html`<${Page} title="核验">
    <p class="muted">本页在您自己的浏览器中读取您有权读取的全部事件，用您所得的公钥逐条验证签名，重新计算哈希链，并检查序号是否连续。结果不依赖网关或服务的说法。</p>
    <${KeysChoice} file=${file} setFile=${setFile} disabled=${run?.running}/>
    <div class="buttons">
      <button type="button" id="verify-start" class="primary" disabled=${run?.running} onClick=${start}>开始核验</button>
      ${run?.running ? html`<button type="button" id="verify-stop" onClick=${() => { stop.current = true; }}>停止</button>` : null}
    </div>
    <${RefusalBox} refusal=${refusal}/>
    ${run?.running ? html`<p class="busy" role="status" id="verify-progress">正在核验……已读取 ${(rows ?? []).reduce((n, r) => n + (r.read ?? 0), 0)} 条事件</p>` : null}
    ${done ? html`<p id="verify-summary" role="status" class=${faults ? "refusal" : "done"} data-faults=${faults}
        data-verified=${verified} data-events=${run.events} data-ms=${Math.round(run.ms)} data-keys=${run.keys} data-read-ms=${run.readMs} data-check-ms=${run.checkMs} data-stopped=${run.stopped ? "1" : "0"} data-refused=${refused}>${outcome()}
        共读取 ${run.events} 条事件，验证 ${verified} 条，用时 ${(run.ms / 1000).toFixed(1)} 秒。</p>` : null}
    ${(rows ?? []).map((r) => html`<${Failures} key=${r.service} r=${r}/>`)}
    ${rows ? html`<div class="table-wrap"><table id="verify-table">
      <thead><tr><th scope="col">服务</th><th scope="col">链头（序号与哈希）</th><th scope="col">已读取</th>
        <th scope="col">已核验</th><th scope="col">对您隐去</th><th scope="col">结果</th></tr></thead>
      <tbody>${rows.map((r) => html`<${ServiceRow} key=${r.service} r=${r} role=${me.role}/>`)}</tbody>
    </table></div>` : null}
  </${Page}>`;
}

export const pages = [
  { path: "verify", role: ["office", "district", "discipline", "audit", "unit", "service"], title: "核验", nav: true,
    view: Verify },
];
