// The console's entry (an ES module, no build step): for now the platform's name, whether this
// browser can hold a person's key (Ed25519 in WebCrypto) and the deployment the gateway serves.
import { h, render } from './vendor/preact/preact.mjs';
import { useEffect, useState } from './vendor/preact/hooks.mjs';
import htm from './vendor/htm/htm.module.js';

const html = htm.bind(h);

// Whether this browser can make and use a non-extractable Ed25519 key: tried, not guessed
// from the user agent. WebCrypto exists only in a secure context (HTTPS or loopback).
export async function ed25519_check() {
  if (!globalThis.isSecureContext || !globalThis.crypto || !crypto.subtle)
    return { ok: false, why: '当前页面不是安全连接（需要 HTTPS），浏览器不提供 WebCrypto，无法生成签名密钥。' };
  try {
    const key = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const data = new TextEncoder().encode('巡察');
    const sig = await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, data);
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key.publicKey, sig, data);
    return ok ? { ok: true } : { ok: false, why: '本浏览器的 Ed25519 签名验证失败。' };
  } catch (e) {
    return { ok: false, why: '本浏览器的 WebCrypto 不支持 Ed25519 签名，请使用新版 Chromium、Chrome、Edge 或 Firefox。' };
  }
}

function Ed25519Line() {
  const [state, set_state] = useState(null);
  useEffect(() => { ed25519_check().then(set_state); }, []);
  if (!state)
    return html`<p id="ed25519" data-ed25519="checking">正在检查本浏览器能否签名……</p>`;
  return state.ok
    ? html`<p id="ed25519" data-ed25519="yes" class="yes">本浏览器支持 Ed25519 签名（WebCrypto）：您的密钥可以在本浏览器中生成并保存，私钥不会离开本机。</p>`
    : html`<p id="ed25519" data-ed25519="no" class="no">本浏览器不支持 Ed25519 签名：${state.why}</p>`;
}

function Deployment() {
  const [dir, set_dir] = useState(null);
  useEffect(() => {
    fetch('/v1/directory').then((r) => (r.ok ? r.json() : null)).then(set_dir, () => set_dir(null));
  }, []);
  if (!dir)
    return html`<p id="deployment" class="muted">正在连接服务……</p>`;
  return html`<p id="deployment" class="muted">部署：${dir.deployment}，可用服务 ${dir.services.length} 个</p>`;
}

function App() {
  return html`<section class="card">
    <h2>欢迎使用</h2>
    <p>巡察办、巡察组、被巡察单位、纪检监察机关及信访、审计部门在此办理各自的工作，每一项操作都由本人的密钥签名。</p>
    <${Ed25519Line} />
    <${Deployment} />
  </section>`;
}

// the page's own "loading" line goes: Preact renders beside what is there, not over it
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);
