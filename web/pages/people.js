// people.js: who may sign: the sign-in screen (this browser's key), the enrollment page
// (#/enroll?iss=&code=: a new key, proved and approved) and the office's 人员 page.
import { useEffect, useRef, useState } from "../vendor/preact/hooks.mjs";
import { hasEd25519, ED25519_MISSING } from "../js/wire.js";
import { keyCreate, keyDelete, keyKid, keyLoad, keySave } from "../js/keystore.js";
import { ROLES, Refusal, act, ask, refusalFrom, send, sessionEnter, sessionLeave, sessionSave, sessionStored } from "../js/session.js";
import { html, Id, valuesMarked, Busy, Field, ListView, Page, RefusalBox } from "../js/ui.js";
import { routeGo, routeHref } from "../js/route.js";

// Whether this browser can make and use a non-extractable Ed25519 key (wire.hasEd25519 tries).
function Ed25519Line() {
  const [ok, set] = useState(null);
  useEffect(() => { hasEd25519().then(set); }, []);
  if (ok === null) return html`<p id="ed25519" data-ed25519="checking">正在检查本浏览器能否签名……</p>`;
  return ok
    ? html`<p id="ed25519" data-ed25519="yes" class="yes">本浏览器支持 <${Id}>Ed25519<//> 签名（<${Id}>WebCrypto<//>）：您的密钥可以在本浏览器中生成并保存，私钥不会离开本机。</p>`
    : html`<p id="ed25519" data-ed25519="no" class="no">${valuesMarked(ED25519_MISSING)}</p>`;
}

// Which deployment the gateway serves (/v1/directory).
function Deployment() {
  const [dir, set] = useState(null);
  useEffect(() => {
    fetch("/v1/directory").then((r) => (r.ok ? r.json() : null)).then(set, () => set(null));
  }, []);
  if (!dir) return html`<p id="deployment" class="muted">正在连接服务……</p>`;
  return html`<p id="deployment" class="muted">部署：<${Id}>${dir.deployment}<//>，可用服务 ${dir.services.length} 个</p>`;
}

// The sign-in screen: a key in this browser lets the person enter; without one they are told
// to enroll with the code the office gave them.
export function SignIn() {
  const [stored, set] = useState(undefined);
  useEffect(() => {
    (async () => (await sessionStored()) ?? (await keyLoad(PENDING)))().then(set, () => set(null));
  }, []);
  return html`<${Page} title="登录">
    <div class="card" id="sign-in">
      ${stored === undefined ? html`<p>正在读取本浏览器中的密钥……</p>`
        : stored?.pending ? html`<p id="pending">本浏览器中有 <strong><${Id}>${stored.iss}<//></strong> 的登记申请，尚待巡察办批准。</p>
            <a class="button" href=${routeHref("enroll", { iss: stored.iss })}>查看登记进度</a>`
        : stored ? html`<p>本浏览器保存有 <strong>${stored.display || html`<${Id}>${stored.iss}<//>`}</strong>（${ROLES[stored.role] ?? stored.role}）的密钥。</p>
            <button type="button" id="enter" class="primary" onClick=${() => sessionEnter()}>进入</button>`
        : html`<p id="not-enrolled"><strong>尚未登记</strong>：本浏览器中没有您的密钥。请使用巡察办发给您的登记链接或登记码完成登记。</p>
            <${EnrollStart}/>`}
    </div>
    <div class="card"><${Ed25519Line}/><${Deployment}/></div>
  </${Page}>`;
}

// What a person whose registration has ended sees instead of their pages: the services refuse
// their own key (key_not_valid: revoked, or ended by a 重新登记 on another computer;
// unknown_kid: removed from the registry). What happened, what to do, and where to enroll again.
export function Invalid({ me }) {
  const r = refusalFrom(me.invalid);
  return html`<${Page} title="登记已失效">
    <div class="card" id="invalid" role="alert" data-code=${r.code}>
      <p><strong>您的登记已失效。</strong>本浏览器中 ${me.display || me.iss}（账号 <span class="id">${me.iss}</span>）的密钥已不被平台接受：
        巡察办可能已撤销或移除您的登记，或已为您在另一台电脑上重新登记。</p>
      <p class="refusal">服务答复：${r.chinese}<span class="code">（${r.code}）</span></p>
      <p>如需继续使用本平台，请联系巡察办为您重新登记，然后用巡察办发给您的新登记链接或登记码在本浏览器中登记：</p>
      <${EnrollStart}/>
      <div class="buttons"><button type="button" id="invalid-out" onClick=${() => { sessionLeave(); routeGo("", {}); }}>退出</button></div>
    </div>
  </${Page}>`;
}

// The start of enrollment on the sign-in screen: the account and code the office gave, then
// the enrollment page.
function EnrollStart() {
  const [iss, setIss] = useState("");
  const [code, setCode] = useState("");
  return html`<form id="enroll-start" onSubmit=${(e) => {
      e.preventDefault();
      // accounts are lower case; the code's case, spaces and dashes the registry ignores
      location.hash = `#/enroll?${new URLSearchParams({ iss: iss.trim().toLowerCase(), code: code.trim() })}`;
    }}>
    <div class="field"><label for="start-iss">账号</label><input id="start-iss" value=${iss} required onInput=${(e) => setIss(e.target.value)}/></div>
    <div class="field"><label for="start-code">登记码</label><input id="start-code" value=${code} required autocomplete="off" onInput=${(e) => setCode(e.target.value)}/></div>
    <button type="submit" class="primary">开始登记</button>
  </form>`;
}

// --- enrollment: #/enroll?iss=&code= ---------------------------------------------------------

const PENDING = "pending";          // the keystore record of a key enrolled, not yet approved
const POLL_MS = 1000;

// The new key as the registry's proof of possession wants it (docs/protocol.md section 8).
const keyOf = (rec) => ({ kty: "OKP", crv: "Ed25519", x: rec.x });

// Asks how the enrollment stands, until approved or rejected: {state, fingerprint, reason?}.
async function enrollmentPoll(rec, live) {
  for (;;) {
    const r = await send("registry", "principal.enrollment", { key: keyOf(rec) }, { signer: rec });
    if (r.data.state !== "pending" || !live()) return r.data;
    await new Promise((ok) => setTimeout(ok, POLL_MS));
  }
}

// Once approved: who the registry says the person is (retried while the services reload the
// registry file the approval wrote), saved as the current person.
async function enrollmentEnter(rec) {
  const until = Date.now() + 15000;
  for (;;) {
    try {
      const who = (await send("registry", "principal.whoami", {}, { signer: rec })).data;
      await sessionSave({ ...rec, pending: undefined, iss: who.iss, role: who.role, scope: who.scope,
                          display: who.display ?? who.iss });
      await keyDelete(PENDING);
      return;
    } catch (e) {
      if (e.code !== "unknown_kid" || Date.now() > until) throw e;
      await new Promise((ok) => setTimeout(ok, 300));
    }
  }
}

function Enroll({ route }) {
  const [iss, setIss] = useState(route.query.iss ?? "");
  const [code, setCode] = useState(route.query.code ?? "");
  const [state, set] = useState({});              // {busy, fingerprint, status, reason, refusal}
  const live = useRef(true);
  useEffect(() => () => { live.current = false; }, []);
  const follow = async (rec, fingerprint) => {
    set({ fingerprint, status: "pending" });
    try {
      const st = await enrollmentPoll(rec, () => live.current);
      if (!live.current) return;
      set({ fingerprint: st.fingerprint ?? fingerprint, status: st.state, reason: st.reason });
      if (st.state === "approved") {
        await enrollmentEnter(rec);
        routeGo("", {});
      }
    } catch (e) {
      if (live.current) set({ fingerprint, status: "pending", refusal: e });
    }
  };
  // a key enrolled from this browser before (a reload while waiting): go on waiting
  useEffect(() => {
    keyLoad(PENDING).then((rec) => { if (rec && (!route.query.code || rec.iss === route.query.iss)) follow(rec, rec.fingerprint); });
  }, []);
  const submit = async (e) => {
    e.preventDefault();
    set({ busy: true });
    try {
      const name = iss.trim().toLowerCase();
      const k = await keyCreate();
      const rec = { name: PENDING, ...k, iss: name, kid: await keyKid(name, k.x), pending: true };
      const r = await send("registry", "principal.enroll", { code: code.trim(), key: keyOf(rec) }, { signer: rec });
      await keySave({ ...rec, fingerprint: r.data.result.fingerprint });
      follow(rec, r.data.result.fingerprint);
    } catch (err) {
      // a browser without Ed25519 is told so, not that the service did not answer
      set({ refusal: err.message === ED25519_MISSING ? new Refusal("ed25519", "", ED25519_MISSING) : err });
    }
  };
  if (state.status) return html`<${Page} title="登记">
    <div class="card" id="enrollment" data-state=${state.status}>
      <p>请将下面的密钥指纹通过电话读给巡察办工作人员核对：</p>
      <p id="fingerprint" class="code-shown id">${state.fingerprint}</p>
      ${state.status === "pending" ? html`<p id="enroll-wait" role="status">已提交，正在等待巡察办批准……（每秒自动查询一次）</p>` : null}
      ${state.status === "approved" ? html`<p role="status">已批准，正在进入平台……</p>` : null}
      ${state.status === "rejected" ? html`<p id="enroll-rejected" class="refusal" role="alert">登记申请被驳回：${state.reason}</p>` : null}
      <${RefusalBox} refusal=${state.refusal}/>
    </div></${Page}>`;
  return html`<${Page} title="登记">
    <form class="card" id="enroll-form" onSubmit=${submit}>
      <p>登记时将在本浏览器中生成您的签名密钥，私钥只保存在本机，不会发送给任何人。</p>
      <${Field} label="账号" name="iss" value=${iss} onValue=${setIss} required/>
      <${Field} label="登记码" name="code" value=${code} onValue=${setCode} required autocomplete="off"/>
      <${RefusalBox} refusal=${state.refusal}/>
      ${state.busy ? html`<${Busy} text="正在生成密钥并提交登记……"/>` : null}
      <button type="submit" id="enroll-submit" class="primary" disabled=${state.busy}>生成密钥并登记</button>
    </form><div class="card"><${Ed25519Line}/></div></${Page}>`;
}

// --- the office's 人员 ------------------------------------------------------------------------

const PERSON_ROLES = ["office", "team", "unit", "discipline", "petition", "audit", "public", "district", "department"];
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// An invitation code: 128 random bits as 26 Crockford base32 characters (the last carries 3
// bits and two zeros), made here so the registry only ever sees its hash.
export function codeMake() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let bits = 0, value = 0, out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) { out += CROCKFORD[(value >> (bits - 5)) & 31]; bits -= 5; }
    value &= (1 << bits) - 1;
  }
  return out + CROCKFORD[(value << (5 - bits)) & 31];
}
export const codeGroups = (code) => code.match(/.{1,4}/g).join("-");
export async function codeHash(code) {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}
// RFC 3339 without fractions, the end of a local day.
const dayEnd = (date) => new Date(`${date}T23:59:59`).toISOString().replace(/\.\d{3}Z$/, "Z");
const inHours = (h) => new Date(Date.now() + h * 3600e3).toISOString().replace(/\.\d{3}Z$/, "Z");

// The units the office may scope a person to (unit.list, every page).
function useUnits() {
  const [units, set] = useState(null);
  useEffect(() => {
    (async () => {
      const all = [];
      let after;
      do {
        const page = await ask("intake", "unit.list", after == null ? { limit: 500 } : { after, limit: 500 });
        all.push(...page.items);
        after = page.next;
      } while (after != null);
      set(all);
    })().catch(() => set([]));
  }, []);
  return units;
}

function Invite({ again, onDone }) {
  const [f, setF] = useState({ iss: again?.iss ?? "", display: again?.display ?? "", role: again?.role ?? "unit",
                               units: again?.scope?.units ?? [], district: again?.scope?.district ?? "", until: "" });
  const [refusal, setRefusal] = useState(null);
  const [made, setMade] = useState(null);          // {code, link}: shown once
  const units = useUnits();
  const put = (k) => (v) => setF({ ...f, [k]: v });
  const scoped = f.role === "unit" || f.role === "discipline";
  const submit = async (e) => {
    e.preventDefault();
    setRefusal(null);
    const code = codeMake();
    const data = { iss: f.iss.trim(), display: f.display.trim(), role: f.role, until: dayEnd(f.until),
                   code_sha256: await codeHash(code), expires: inHours(72) };
    if (f.role === "district") data.district = f.district;
    else data.scope = scoped ? { units: f.units } : {};
    const words = `${again ? "重新登记" : "邀请"} ${data.display}（账号 ${data.iss}，${ROLES[f.role]}），有效期至 ${f.until}`;
    try {
      const done = await act("registry", "principal.invite", data, words);
      if (!done) return;
      const link = `${location.origin}/#/enroll?${new URLSearchParams({ iss: data.iss, code: codeGroups(code) })}`;
      setMade({ code: codeGroups(code), link, display: data.display });
      onDone?.();
    } catch (err) {
      setRefusal(err);
    }
  };
  if (made) return html`<div class="card" id="invited">
    <p>已邀请 ${made.display}。登记码只显示这一次，请立即交给本人（巡察办不保存登记码）：</p>
    <p id="invite-code" class="code-shown id">${made.code}</p>
    <p>登记链接：<span id="invite-link" class="code-link id">${made.link}</span></p>
    <div class="buttons"><button type="button" id="copy-link" onClick=${() => navigator.clipboard?.writeText(made.link)}>复制链接</button>
    <button type="button" onClick=${() => { setMade(null); onDone?.(true); }}>完成</button></div></div>`;
  const districts = (units ?? []).filter((u) => u.level === "district");
  return html`<form class="card" id="invite-form" onSubmit=${submit}>
    <h3>${again ? `重新登记：${again.display ?? again.iss}` : "邀请新人员"}</h3>
    <${Field} label="姓名" name="display" value=${f.display} onValue=${put("display")} required maxlength="100"/>
    <${Field} label="账号" name="iss" value=${f.iss} onValue=${put("iss")} required disabled=${!!again}
      hint="小写字母开头，可含小写字母、数字、点、下划线、连字符"/>
    <${Field} label="角色" name="role" value=${f.role} onValue=${put("role")} disabled=${!!again}
      options=${PERSON_ROLES.map((r) => [r, ROLES[r]])}/>
    ${scoped ? html`<fieldset class="units"><legend>负责的单位</legend>
      ${units === null ? html`<${Busy} text="正在加载单位……"/>` : units.length === 0 ? html`<p class="empty">暂无单位</p>` :
        units.map((u) => html`<${Field} type="checkbox" label=${html`${u.name}（<${Id}>${u.id}<//>）`} name=${`unit-${u.id}`}
          value=${f.units.includes(u.id)} onValue=${(on) => put("units")(on ? [...f.units, u.id] : f.units.filter((x) => x !== u.id))}/>`)}
      </fieldset>` : null}
    ${f.role === "district" ? html`<${Field} label="所属区县" name="district" value=${f.district} onValue=${put("district")} required
      options=${[["", "请选择"], ...districts.map((u) => [u.id, u.name])]}/>` : null}
    <${Field} label="密钥有效期至" name="until" type="date" value=${f.until} onValue=${put("until")} required/>
    <${RefusalBox} refusal=${refusal}/>
    <div class="buttons"><button type="submit" id="invite-submit" class="primary">生成登记码</button>
    ${again ? html`<button type="button" onClick=${() => onDone?.(true)}>取消</button>` : null}</div>
  </form>`;
}

function stateOf(p) {
  if (p.revoked) return "已撤销";
  if (p.enrollment?.state === "pending") return "待批准";
  if (p.invitation?.state === "open") return p.registered ? "重新登记中" : "已邀请，待登记";
  if (p.invitation?.state === "expired" && !p.registered) return "邀请已过期";
  return p.registered ? "正常" : "未登记";
}
const lastUntil = (p) => p.keys?.map((k) => k.not_after).sort().at(-1)?.slice(0, 10) ?? "—";

// Every enrollment waiting for approval, whichever page of the list its iss falls on: the
// office compares each fingerprint by phone and decides here (principal.list, every page).
function usePending(stamp) {
  const [state, set] = useState({ items: [] });
  useEffect(() => {
    let live = true;
    (async () => {
      const items = [];
      let after;
      do {
        const page = await ask("registry", "principal.list", after == null ? { limit: 500 } : { after, limit: 500 });
        items.push(...page.principals.filter((p) => p.enrollment?.state === "pending"));
        after = page.next;
      } while (after != null);
      return items;
    })().then((items) => live && set({ items }), (refusal) => live && set({ items: [], refusal }));
    return () => { live = false; };
  }, [stamp]);
  return state;
}

function People() {
  const [stamp, setStamp] = useState(0);
  const [again, setAgain] = useState(null);
  const [inviting, setInviting] = useState(false);
  const [refusal, setRefusal] = useState(null);
  const reload = () => setStamp((n) => n + 1);
  const pending = usePending(stamp);
  const decide = async (type, p, words, extra = {}) => {
    setRefusal(null);
    try {
      if (await act("registry", type, { iss: p.iss, ...extra }, words)) reload();
    } catch (e) {
      setRefusal(e);
    }
  };
  const [asking, setAsking] = useState(null);      // {type, p, verb}: the reason form shown
  const [reason, setReason] = useState("");
  const withReason = (type, p, verb) => { setReason(""); setAsking({ type, p, verb }); };
  const reasonForm = asking && html`<form class="card" id="reason-form" onSubmit=${(e) => {
      e.preventDefault();
      const { type, p, verb } = asking;
      setAsking(null);
      decide(type, p, `${verb} ${p.display ?? p.iss}（账号 ${p.iss}），理由：${reason}`, { reason });
    }}>
    <h3>${asking.verb}：${asking.p.display ?? asking.p.iss}</h3>
    <${Field} label="理由" name="reason" value=${reason} onValue=${setReason} required maxlength="500" textarea/>
    <div class="buttons"><button type="submit" id="reason-submit" class="primary">${asking.verb}</button>
    <button type="button" onClick=${() => setAsking(null)}>取消</button></div></form>`;
  // the services, the gateway and the like are xcctl's on the host (the registry refuses them)
  const actions = (p) => !PERSON_ROLES.includes(p.role) ? "—" : html`<div class="buttons">
    ${p.enrollment?.state === "pending" ? html`
      <button type="button" class="primary approve" onClick=${() => decide("principal.approve", p,
        `批准 ${p.display ?? p.iss}（账号 ${p.iss}）的登记，密钥指纹 ${p.enrollment.fingerprint}`)}>批准</button>
      <button type="button" class="reject" onClick=${() => withReason("principal.reject", p, "驳回登记")}>驳回</button>` : null}
    ${p.registered && !p.revoked ? html`<button type="button" class="revoke" onClick=${() => withReason("principal.revoke", p, "撤销")}>撤销</button>` : null}
    ${p.registered ? html`<button type="button" class="reenroll" onClick=${() => { setInviting(false); setAgain(p); }}>重新登记</button>` : null}
  </div>`;
  const columns = [
    { label: "姓名", value: (p) => p.display ?? "—" },
    { label: "账号", value: (p) => html`<${Id}>${p.iss}<//>` },
    { label: "角色", value: (p) => ROLES[p.role] ?? p.role ?? "—" },
    { label: "状态", value: (p) => html`<span class="state">${stateOf(p)}</span>` },
    { label: "密钥指纹", value: (p) => p.enrollment?.state === "pending" ? html`<code class="fingerprint id">${p.enrollment.fingerprint}</code>` : "—" },
    { label: "有效期至", value: lastUntil },
    { label: "操作", value: actions },
  ];
  return html`<${Page} title="人员">
    <div class="buttons"><button type="button" id="invite-open" class="primary" onClick=${() => { setAgain(null); setInviting(true); }}>邀请</button></div>
    ${inviting ? html`<${Invite} onDone=${(close) => { reload(); if (close) setInviting(false); }}/>` : null}
    ${again ? html`<${Invite} key=${again.iss} again=${again} onDone=${(close) => { reload(); if (close) setAgain(null); }}/>` : null}
    ${reasonForm}
    <${RefusalBox} refusal=${refusal}/>
    ${pending.items.length ? html`<section class="card" id="pending-list" aria-labelledby="pending-title">
      <h3 id="pending-title">待批准的登记（${pending.items.length}）</h3>
      <p class="muted">请先打电话与本人核对密钥指纹，一致后再批准。</p>
      <ul class="pending">${pending.items.map((p) => html`<li class="pending-item" key=${p.iss} data-iss=${p.iss}>
        <span>${p.display ?? p.iss}（账号 <span class="id">${p.iss}</span>，${ROLES[p.role] ?? p.role}）</span>
        <span>密钥指纹 <span class="fingerprint">${p.enrollment.fingerprint}</span></span>
        <div class="buttons">
          <button type="button" class="primary approve" onClick=${() => decide("principal.approve", p,
            `批准 ${p.display ?? p.iss}（账号 ${p.iss}）的登记，密钥指纹 ${p.enrollment.fingerprint}`)}>批准</button>
          <button type="button" class="reject" onClick=${() => withReason("principal.reject", p, "驳回登记")}>驳回</button>
        </div></li>`)}</ul></section>` : null}
    <${RefusalBox} refusal=${pending.refusal}/>
    <${ListView} service="registry" type="principal.list" items="principals" rowKey=${(p) => p.iss}
      columns=${columns} stamp=${stamp} empty="暂无人员"/>
  </${Page}>`;
}

export const pages = [
  { path: "enroll", public: true, title: "登记", nav: false, view: Enroll },
  { path: "people", role: ["office"], title: "人员", nav: true, view: People },
];
