// people.js: who may sign: the sign-in screen (this browser's key), the enrollment page
// (#/enroll?iss=&code=: a new key, proved and approved) and the office's 人员 page.
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { hasEd25519, ED25519_MISSING } from "../js/wire.js";
import { ROLES, sessionEnter, sessionStored } from "../js/session.js";
import { html, Page } from "../js/ui.js";

// Whether this browser can make and use a non-extractable Ed25519 key (wire.hasEd25519 tries).
function Ed25519Line() {
  const [ok, set] = useState(null);
  useEffect(() => { hasEd25519().then(set); }, []);
  if (ok === null) return html`<p id="ed25519" data-ed25519="checking">正在检查本浏览器能否签名……</p>`;
  return ok
    ? html`<p id="ed25519" data-ed25519="yes" class="yes">本浏览器支持 Ed25519 签名（WebCrypto）：您的密钥可以在本浏览器中生成并保存，私钥不会离开本机。</p>`
    : html`<p id="ed25519" data-ed25519="no" class="no">${ED25519_MISSING}</p>`;
}

// Which deployment the gateway serves (/v1/directory).
function Deployment() {
  const [dir, set] = useState(null);
  useEffect(() => {
    fetch("/v1/directory").then((r) => (r.ok ? r.json() : null)).then(set, () => set(null));
  }, []);
  if (!dir) return html`<p id="deployment" class="muted">正在连接服务……</p>`;
  return html`<p id="deployment" class="muted">部署：${dir.deployment}，可用服务 ${dir.services.length} 个</p>`;
}

// The sign-in screen: a key in this browser lets the person enter; without one they are told
// to enroll with the code the office gave them.
export function SignIn() {
  const [stored, set] = useState(undefined);
  useEffect(() => { sessionStored().then(set, () => set(null)); }, []);
  return html`<${Page} title="登录">
    <div class="card" id="sign-in">
      ${stored === undefined ? html`<p>正在读取本浏览器中的密钥……</p>`
        : stored ? html`<p>本浏览器保存有 <strong>${stored.display || stored.iss}</strong>（${ROLES[stored.role] ?? stored.role}）的密钥。</p>
            <button type="button" id="enter" class="primary" onClick=${() => sessionEnter()}>进入</button>`
        : html`<p id="not-enrolled"><strong>尚未登记</strong>：本浏览器中没有您的密钥。请使用巡察办发给您的登记链接或登记码完成登记。</p>
            <${EnrollStart}/>`}
    </div>
    <div class="card"><${Ed25519Line}/><${Deployment}/></div>
  </${Page}>`;
}

// The start of enrollment on the sign-in screen: the account and code the office gave, then
// the enrollment page.
function EnrollStart() {
  const [iss, setIss] = useState("");
  const [code, setCode] = useState("");
  return html`<form id="enroll-start" onSubmit=${(e) => {
      e.preventDefault();
      location.hash = `#/enroll?${new URLSearchParams({ iss: iss.trim(), code: code.trim() })}`;
    }}>
    <div class="field"><label for="start-iss">账号</label><input id="start-iss" value=${iss} required onInput=${(e) => setIss(e.target.value)}/></div>
    <div class="field"><label for="start-code">登记码</label><input id="start-code" value=${code} required autocomplete="off" onInput=${(e) => setCode(e.target.value)}/></div>
    <button type="submit" class="primary">开始登记</button>
  </form>`;
}

export const pages = [];
