// channel.js: what the 码上巡 page says to the gateway's /v1/public/* routes, with no UI
// (docs/console.md, "码上巡: the public page and the poster"). The page holds no key: the gateway
// signs as the public principal; every answer that is a service's word is a signed reply the
// page verifies with /v1/keys before showing it (wire.js). The receipt code is made here and
// sent only to the gateway, which sends on its slow hash; the contact is sealed here to intake's
// public key (tweetnacl's nacl.box, loaded as a classic script: window.nacl).
import { PROBLEM, Problem, ReplyRefused, b64uEncode, keysFetch, verifyAcknowledgement, verifyPublicReply } from "../js/wire.js";
import { bytesHex, sha256 } from "../js/chain.js";
import { Refusal, refusalFrom } from "../js/reasons.js";

const JOSE = "application/jose+json";
const utf8 = new TextEncoder();
let keys = null;

export async function keysGet(fresh = false) {
  if (!keys || fresh) keys = keysFetch();
  try { return await keys; } catch (e) { keys = null; throw e; }
}

// Standard base64 (file chunks), and back (the sealing key: base64url read too).
export function b64Encode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
export function b64Decode(text) {
  const t = String(text).replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(t + "===".slice((t.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// The receipt code: 16 decimal digits, uniform (bytes of 250 and above are drawn again).
export function codeMake() {
  let code = "";
  while (code.length < 16) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    for (const b of bytes) if (b < 250 && code.length < 16) code += String(b % 10);
  }
  return code;
}
// 1234 5678 9012 3456, for writing down.
export const codeGrouped = (code) => code.replace(/(\d{4})(?=\d)/g, "$1 ");
// What a person typed (spaces, dashes, full-width digits) as 16 digits, or null.
export function codeRead(text) {
  const digits = String(text).replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[\s\-－—]/g, "");
  return /^\d{16}$/.test(digits) ? digits : null;
}

// {"name", "phone"} sealed to intake's X25519 key with a fresh ephemeral key pair (nacl.box).
export function contactSeal(contact, sealingKey) {
  const nacl = globalThis.nacl;
  if (!nacl?.box) throw new Error("tweetnacl is not loaded");
  const pk = b64Decode(sealingKey);
  if (pk.length !== nacl.box.publicKeyLength) throw new Error("the sealing key is not 32 bytes");
  const eph = nacl.box.keyPair();
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const box = nacl.box(utf8.encode(JSON.stringify(contact)), nonce, pk, eph.secretKey);
  eph.secretKey.fill(0);
  return { box: b64uEncode(box), epk: b64uEncode(eph.publicKey), nonce: b64uEncode(nonce) };
}

// What intake's acknowledgement states as the report's sha256, computed here from what was sent:
// SHA-256 of {"contact_sealed": {...} | null, "evidence": [sha256, ...], "text"} as compact JSON
// with sorted keys, UTF-8 unescaped (docs/services/intake.md), as hex.
export function reportDigest(report) {
  const s = report.contact_sealed;
  const doc = { contact_sealed: s ? { box: s.box, epk: s.epk, nonce: s.nonce } : null,
                evidence: (report.evidence || []).map((e) => e.sha256), text: report.text };
  return bytesHex(sha256(utf8.encode(JSON.stringify(doc))));
}

// A route's answer: a signed reply is verified (a refusal in it thrown as Refusal), a problem
// document thrown as Problem, JSON returned as it is.
async function answerRead(r) {
  const type = (r.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
  const text = await r.text();
  if (type === PROBLEM) {
    let doc = {};
    try { doc = JSON.parse(text); } catch { /* still a refusal */ }
    const ra = r.headers.get("Retry-After");
    throw new Problem(r.status, doc && typeof doc === "object" ? doc : {}, ra === null ? null : Number(ra));
  }
  if (type === JOSE) return replyRead(text, r.status);
  if (type === "application/json") {
    const doc = JSON.parse(text);
    // a report's answer: the acknowledgement, itself a signed reply
    if (typeof doc?.acknowledgement === "string") return { ...(await replyRead(doc.acknowledgement, r.status)), frame: doc.acknowledgement };
    return { data: doc };
  }
  throw new Error(`HTTP ${r.status}: unexpected content type ${JSON.stringify(type)}`);
}

// A signed reply of intake to the public principal: {body, data, frame}, or throws.
export async function replyRead(frame, status = 200) {
  let body;
  try {
    body = await verifyPublicReply(frame, await keysGet(), "intake");
  } catch (e) {
    if (!(e instanceof ReplyRefused) || !e.message.startsWith("no key")) throw e;
    body = await verifyPublicReply(frame, await keysGet(true), "intake");
  }
  if (body.type === "error") throw refusalFrom(body, status);
  return { body, data: body.data, frame };
}

// A kept acknowledgement (the file the receipt saved), checked again: what intake acknowledged
// ({problem, round, unit, received_at, sha256}), or throws ReplyRefused when it is not intake's.
export async function acknowledgementCheck(text) {
  let body;
  try {
    body = await verifyAcknowledgement(text, await keysGet());
  } catch (e) {
    if (!(e instanceof ReplyRefused) || !e.message.startsWith("no key")) throw e;
    body = await verifyAcknowledgement(text, await keysGet(true));
  }
  return body.data.result;
}

async function request(method, path, json, timeoutMs = 20000) {
  let r;
  try {
    r = await fetch(path, {
      method, cache: "no-store", credentials: "omit", signal: AbortSignal.timeout(timeoutMs),
      ...(json ? { headers: { "Content-Type": "application/json" }, body: JSON.stringify(json) } : {}),
    });
  } catch (e) {
    throw refusalFrom(e);
  }
  try {
    return await answerRead(r);
  } catch (e) {
    throw e instanceof Refusal ? e : refusalFrom(e);
  }
}

// public.info's verified result for a round (and unit).
export async function infoGet(round, unit) {
  const q = new URLSearchParams({ round, ...(unit ? { unit } : {}) });
  return (await request("GET", `/v1/public/info?${q}`)).data;
}

// A proof of work solved in a worker: {challenge, nonce}; progress(tried, expected).
export async function powSolve(progress = () => {}) {
  const { data: c } = await request("GET", "/v1/public/pow");
  const worker = new Worker(new URL("./pow_worker.js", import.meta.url), { type: "module" });
  try {
    const nonce = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => {
        progress(e.data.tried, 2 ** c.bits);
        if (e.data.nonce !== undefined) resolve(e.data.nonce);
      };
      worker.onerror = (e) => reject(new Error(`the proof-of-work worker failed: ${e.message}`));
      worker.postMessage({ challenge: c.challenge, bits: c.bits });
    });
    return { challenge: c.challenge, nonce };
  } finally {
    worker.terminate();
  }
}

// A file the reporter picked, through /v1/public/files in chunks: its evidence entry
// {file, sha256}. A chunk the network lost is sent again from the offset the service states.
export async function fileUpload(file, progress = () => {}) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const begun = (await request("POST", "/v1/public/files", { op: "begin", name: file.name, size: bytes.length, sha256: hex })).data.result;
  let { offset, complete } = begun;
  const chunk = begun.chunk_bytes || 131072;
  for (let failures = 0; !complete;) {
    progress(offset, bytes.length);
    try {
      const r = (await request("POST", "/v1/public/files", { op: "append", upload: begun.upload, offset,
        data: b64Encode(bytes.subarray(offset, offset + chunk)) })).data.result;
      ({ offset, complete } = r);
      failures = 0;
    } catch (e) {
      if (++failures > 5 || (e.code && !["no_answer", "unavailable", "busy", "conflict"].includes(e.code))) throw e;
      offset = (await request("POST", "/v1/public/files", { op: "status", upload: begun.upload })).data.offset;
    }
  }
  progress(bytes.length, bytes.length);
  return { file: file.name, sha256: hex };
}

// The report: {result, frame} (intake's signed acknowledgement, verified), or throws.
export async function reportSend(report, pow) {
  const got = await request("POST", "/v1/public/report", { ...report, pow });
  return { result: got.data.result, frame: got.frame };
}

// public.status for a code: the verified result.
export async function receiptGet(code, pow) {
  return (await request("POST", "/v1/public/receipt", { code, pow })).data;
}

// public.answer: the verified reply's data.
export async function answerSend(code, question, text, pow) {
  return (await request("POST", "/v1/public/answer", { code, question, text, pow })).data;
}

export const textBytes = (s) => utf8.encode(s).length;
