// public.js: the 码上巡 page (docs/console.md, "码上巡: the public page and the poster"), phone
// first, no sign-in. From ?round=R&unit=U it shows what intake's signed public.info says (the
// round, the unit, until when, what happens to a report, who can open the contact), takes a
// report (text, files, an optional sealed contact), solves the gateway's proof of work, and
// shows the receipt: the code to write down and intake's verified acknowledgement to keep.
// #receipt is the "come back with your code" view: state, feedback, questions to answer.
import { h, render } from "../vendor/preact/preact.mjs";
import { useEffect, useRef, useState } from "../vendor/preact/hooks.mjs";
import htm from "../vendor/htm/htm.module.js";
import { refusalFrom } from "../js/reasons.js";
import { whenShown } from "../js/words.js";
import { acknowledgementCheck, answerSend, b64Encode, codeGrouped, codeMake, codeRead, contactSeal, fileUpload, infoGet, powSolve,
         receiptGet, reportDigest, reportSend } from "./channel.js";

const html = htm.bind(h);
const params = new URLSearchParams(location.search);
const ROUND = params.get("round") || "";
const UNIT = params.get("unit") || "";

const STATES = { received: "已收到，等待处理", handling: "正在办理", finished: "已办结" };

let fieldSeq = 0;
function Field({ label, name, value, onValue, textarea, type = "text", hint, ...rest }) {
  const id = useRef(null);
  if (!id.current) id.current = `p${++fieldSeq}-${name}`;
  const on = (e) => onValue(e.target.value);
  return html`<div class="field"><label for=${id.current}>${label}</label>${textarea
    ? html`<textarea id=${id.current} name=${name} value=${value} onInput=${on} ...${rest}></textarea>`
    : html`<input id=${id.current} name=${name} type=${type} value=${value} onInput=${on} ...${rest}/>`}${
    hint ? html`<small class="muted">${hint}</small>` : null}</div>`;
}

// A refusal in Chinese, its code as a value (letters only inside <code>).
function Refused({ error }) {
  if (!error) return null;
  const r = refusalFrom(error);
  const chinese = String(r.chinese).split(/([!-~]*[A-Za-z][!-~]*)/)
    .map((part, i) => (i % 2 ? html`<code class="id">${part}</code>` : part));
  return html`<div class="refusal" role="alert" data-code=${r.code}>${chinese}${
    r.code ? html`<span class="code">（<code class="id">${r.code}</code>）</span>` : null}</div>`;
}

// The proof of work's progress, while the worker runs.
function Work({ work }) {
  if (!work) return null;
  return html`<div class="busy" role="status" id="work">
    <p>${work.text}</p>
    ${work.max ? html`<progress id="pow-progress" max=${work.max} value=${Math.min(work.done, work.max)}>${work.done}</progress>` : null}
  </div>`;
}

// Runs a proof of work with its progress shown through setWork.
function powWith(setWork, text) {
  setWork({ text, done: 0, max: 1 });
  return powSolve((tried, expected) => setWork({ text: `${text}（已计算 ${tried} 次）`, done: Math.min(tried / expected, 0.99), max: 1 }));
}

function Info({ info }) {
  return html`<section class="card" id="public-info">
    <dl class="facts">
      <dt>巡察轮次</dt><dd id="round-name">${info.round.name}</dd>
      <dt>被巡察单位</dt><dd id="unit-name">${info.unit ? info.unit.name : "本轮全部被巡察单位"}</dd>
      <dt>受理截止</dt><dd id="until">${info.until}</dd>
    </dl>
    <h3>反映后会怎样</h3>
    <ol class="steps" id="steps">${info.steps.map((s, i) => html`<li key=${i}>${s}</li>`)}</ol>
  </section>`;
}

function ReportForm({ info, onDone }) {
  const [v, setV] = useState({ text: "", name: "", phone: "" });
  const [files, setFiles] = useState([]);
  const [work, setWork] = useState(null);
  const [error, setError] = useState(null);
  const code = useRef(null);        // kept over a failed try: the same code is the same report
  const bind = (name) => ({ name, value: v[name], onValue: (x) => setV((o) => ({ ...o, [name]: x })) });
  const limits = info.limits || {};
  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      if (!v.text.trim()) throw refusalFrom({ code: "schema", message: "" });
      const evidence = [];
      for (const [i, f] of files.entries()) {
        setWork({ text: `正在上传第 ${i + 1} 个文件（共 ${files.length} 个）`, done: 0, max: f.size || 1 });
        evidence.push(await fileUpload(f, (done, size) => setWork({ text: `正在上传第 ${i + 1} 个文件（共 ${files.length} 个）`, done, max: size || 1 })));
      }
      const report = { round: info.round.id, unit: info.unit?.id ?? UNIT, text: v.text };
      if (v.name.trim() || v.phone.trim())
        report.contact_sealed = contactSeal({ name: v.name.trim(), phone: v.phone.trim() }, info.sealing_key);
      if (evidence.length) report.evidence = evidence;
      code.current ??= codeMake();
      const pow = await powWith(setWork, "正在进行防刷验证，请稍候");
      setWork({ text: "正在提交……" });
      const got = await reportSend({ ...report, code: code.current }, pow);
      setWork(null);
      onDone({ code: code.current, result: got.result, frame: got.frame, files: evidence, digest: reportDigest(report) });
    } catch (err) {
      setWork(null);
      setError(err);
    }
  }
  return html`<form class="card form" id="report-form" onSubmit=${submit}>
    <h3>反映问题</h3>
    <${Field} label="您看到或了解到的问题" name="text" textarea required value=${v.text} onValue=${bind("text").onValue}
      hint=${limits.text_bytes ? `不超过 ${Math.floor(limits.text_bytes / 3)} 个汉字` : undefined}/>
    <div class="field"><label for="report-files">照片或文件（可不选）</label>
      <input id="report-files" name="files" type="file" multiple onChange=${(e) => setFiles([...e.target.files])}/>
      ${limits.files ? html`<small class="muted">最多 ${limits.files} 个，每个不超过 ${Math.floor((limits.file_bytes || 0) / 1048576)} 兆字节，限照片和文档</small>` : null}
    </div>
    <fieldset><legend>联系方式（可不填）</legend>
      <p class="notice" id="contact-notice">${info.contact_notice}</p>
      <${Field} label="姓名" ...${bind("name")} autocomplete="name"/>
      <${Field} label="电话" type="tel" ...${bind("phone")} autocomplete="tel"/>
    </fieldset>
    <button type="submit" id="report-submit" class="primary" disabled=${!!work}>提交反映</button>
    <${Work} work=${work}/>
    <${Refused} error=${error}/>
  </form>`;
}

// The receipt: the code to write down, what intake acknowledged (verified), the file to keep.
function Receipt({ got }) {
  // a data: address holds the acknowledgement's bytes as they came (a blob: one could not be read
  // back by the page: the CSP's connect-src is 'self')
  const href = `data:application/json;base64,${b64Encode(new TextEncoder().encode(got.frame))}`;
  const r = got.result;
  return html`<section class="card" id="receipt">
    <h3>已收到您的反映</h3>
    <p>请抄写并妥善保存您的查询码。凭此码可以查看办理情况、回答巡察组的提问。查询码只显示这一次，遗失后无法找回。</p>
    <code class="id receipt-code" id="receipt-code">${codeGrouped(got.code)}</code>
    <dl class="facts">
      <dt>问题编号</dt><dd id="receipt-problem">${r.problem}</dd>
      <dt>收到时间</dt><dd id="receipt-at">${whenShown(r.received_at)}</dd>
      <dt>内容摘要值</dt><dd><code class="id hash" id="receipt-sha256">${r.sha256}</code></dd>
      <dt>所附文件</dt><dd>${got.files.length ? got.files.map((f) => html`<span key=${f.sha256}><code class="id">${f.file}</code> </span>`) : "无"}</dd>
    </dl>
    <p id="ack-verified">问题登记服务的回执已签名，本页已验证签名有效。</p>
    ${got.digest === r.sha256 ? html`<p id="digest-same">回执中的内容摘要值与本机按所提交内容计算的一致：服务收到的正是您提交的内容。</p>`
      : html`<p class="refusal" role="alert" id="digest-differs">回执中的内容摘要值与本机计算的不一致，请保存回执并联系巡察办。</p>`}
    <p><a id="ack-download" class="button" href=${href} download=${["回执", r.problem].join("-") + ".json"}>保存回执文件</a></p>
    <p><a href="#receipt">凭查询码查看办理情况</a></p>
  </section>`;
}

function Question({ q, code, onDone }) {
  const [text, setText] = useState("");
  const [work, setWork] = useState(null);
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      const pow = await powWith(setWork, "正在进行防刷验证，请稍候");
      setWork({ text: "正在提交……" });
      await answerSend(code, q.id, text, pow);
      setWork(null);
      onDone();
    } catch (err) {
      setWork(null);
      setError(err);
    }
  }
  return html`<div class="question" data-id=${q.id}>
    <p><strong>巡察组提问</strong>（${whenShown(q.asked_at)}）：<span class="q-text">${q.text}</span></p>
    ${q.answer != null ? html`<p class="q-answer">您的答复（${whenShown(q.answered_at)}）：${q.answer}</p>` : html`
      <form class="form" onSubmit=${submit}>
        <${Field} label="您的答复" name="answer" textarea required value=${text} onValue=${setText}/>
        <button type="submit" disabled=${!!work}>提交答复</button>
        <${Work} work=${work}/><${Refused} error=${error}/>
      </form>`}
  </div>`;
}

function Lookup() {
  const [typed, setTyped] = useState("");
  const [code, setCode] = useState(null);
  const [status, setStatus] = useState(null);
  const [work, setWork] = useState(null);
  const [error, setError] = useState(null);
  async function look(c) {
    setError(null);
    try {
      const pow = await powWith(setWork, "正在进行防刷验证，请稍候");
      setWork({ text: "正在查询……" });
      setStatus(await receiptGet(c, pow));
      setCode(c);
    } catch (err) {
      setStatus(null);
      setError(err);
    }
    setWork(null);
  }
  function submit(e) {
    e.preventDefault();
    const c = codeRead(typed);
    if (!c) { setError(refusalFrom({ code: "schema", message: "" })); setStatus(null); return; }
    look(c);
  }
  return html`<section>
    <form class="card form" id="lookup-form" onSubmit=${submit}>
      <h3>凭查询码查看办理情况</h3>
      <${Field} label="查询码（16 位数字）" name="code" value=${typed} onValue=${setTyped} inputmode="numeric" autocomplete="off"/>
      <button type="submit" class="primary" disabled=${!!work}>查询</button>
      <${Work} work=${work}/><${Refused} error=${error}/>
    </form>
    ${status ? html`<section class="card" id="status">
      <dl class="facts">
        <dt>问题编号</dt><dd id="status-problem">${status.problem}</dd>
        <dt>收到时间</dt><dd>${whenShown(status.received_at)}</dd>
        <dt>办理情况</dt><dd id="status-state" data-state=${status.state}>${STATES[status.state] ?? "未知"}</dd>
        ${status.feedback ? html`<dt>办理结果</dt><dd id="status-feedback">${status.feedback}</dd>` : null}
      </dl>
      <h3>巡察组的提问</h3>
      ${status.questions?.length ? status.questions.map((q) => html`<${Question} key=${q.id} q=${q} code=${code} onDone=${() => look(code)}/>`)
        : html`<p class="empty" id="no-questions">暂无提问</p>`}
    </section>` : null}
  </section>`;
}

// A kept acknowledgement file checked again, in this browser, against the deployment's keys:
// whether intake signed it, and what it acknowledged.
function AckCheck() {
  const [got, setGot] = useState(null);
  async function picked(e) {
    const file = e.target.files[0];
    if (!file) return;
    try {
      setGot({ result: await acknowledgementCheck(await file.text()) });
    } catch {
      setGot({ bad: true });
    }
  }
  return html`<section class="card form" id="ack-check">
    <h3>核验回执文件</h3>
    <div class="field"><label for="ack-file">选择保存的回执文件</label>
      <input id="ack-file" name="ack" type="file" onChange=${picked}/></div>
    ${got?.result ? html`<div id="ack-valid" role="status">
        <p>回执有效：由问题登记服务签名，签名核验通过。</p>
        <dl class="facts">
          <dt>问题编号</dt><dd id="ack-problem">${got.result.problem}</dd>
          <dt>收到时间</dt><dd>${whenShown(got.result.received_at)}</dd>
          <dt>内容摘要值</dt><dd><code class="id hash" id="ack-sha256">${got.result.sha256}</code></dd>
        </dl></div>`
      : got?.bad ? html`<p class="refusal" role="alert" id="ack-invalid">回执无效：文件不是本平台签发的回执，或已被改动。</p>` : null}
  </section>`;
}

function useHash() {
  const [hash, set] = useState(location.hash);
  useEffect(() => {
    const on = () => set(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const [info, setInfo] = useState(null);
  const [error, setError] = useState(null);
  const [receipt, setReceipt] = useState(null);
  useEffect(() => {
    if (ROUND) infoGet(ROUND, UNIT).then(setInfo, setError);
  }, []);
  const lookup = hash === "#receipt";
  useEffect(() => { document.title = lookup ? "码上巡：查看办理情况" : "码上巡：群众反映问题"; }, [lookup]);
  let body;
  if (lookup) body = html`<${Lookup}/><${AckCheck}/>`;
  else if (receipt) body = html`<${Receipt} got=${receipt}/>`;
  else if (!ROUND) body = html`<p class="card" id="no-round">请扫描巡察公告上的二维码进入本页反映问题。已经反映过的，可凭查询码查看办理情况。</p>`;
  else if (error) body = html`<${Refused} error=${error}/>`;
  else if (!info) body = html`<p class="busy" role="status">正在加载……</p>`;
  else body = html`<${Info} info=${info}/>${info.open ? html`<${ReportForm} info=${info} onDone=${setReceipt}/>`
    : html`<p class="card" id="closed">本轮巡察目前不受理反映。如已反映过，可凭查询码查看办理情况。</p>`}`;
  return html`<div class="public" id="page" data-view=${lookup ? "receipt" : "report"}>
    <nav class="tabs" aria-label="功能">
      <a class="button" href="#" aria-current=${lookup ? undefined : "page"} id="tab-report">反映问题</a>
      <a class="button" href="#receipt" aria-current=${lookup ? "page" : undefined} id="tab-receipt">凭查询码查询</a>
    </nav>
    ${body}
  </div>`;
}

const root = document.getElementById("app");
root.replaceChildren();
render(html`<${App}/>`, root);
