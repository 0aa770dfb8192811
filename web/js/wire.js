// wire.js: the suite's protocol (docs/protocol.md sections 2-4) in the browser, with nothing
// but WebCrypto and fetch. seal() signs a message as a flattened JWS (EdDSA, typ xc+jws),
// post() sends it to the gateway's POST /v1/{service}, verifyReply() checks the service's
// signed reply with the keys of GET /v1/keys. The gateway holds no key: every reply is
// believed only once verifyReply() accepted it. docs/console.md, "The protocol in the browser".

export const JOSE = "application/jose+json";
export const PROBLEM = "application/problem+json";
export const TYP = "xc+jws";
export const LIFETIME = 120;   // seconds a message lives; the protocol allows up to 3600
export const SKEW = 60;        // seconds of clock difference tolerated on a reply's exp

// Shown to a person whose browser cannot sign (no Ed25519 in WebCrypto, or no secure context).
export const ED25519_MISSING =
  "此浏览器不支持 Ed25519 数字签名（WebCrypto），无法在本机签署操作。" +
  "请使用新版 Chromium、Chrome、Edge 或 Firefox，并通过 HTTPS 访问本平台。";

// A reply that did not verify: nothing in it may be believed.
export class ReplyRefused extends Error {
  constructor(message) {
    super(message);
    this.name = "ReplyRefused";
  }
}

// The gateway's own refusal (RFC 9457 problem document, unsigned): the message reached no
// service. title is Chinese (for the person), detail English (for developers).
export class Problem extends Error {
  constructor(status, doc, retryAfter) {
    super(doc.title || `HTTP ${status}`);
    this.name = "Problem";
    this.status = status;
    this.type = doc.type || "";
    this.code = this.type.startsWith("urn:xuncha:gateway:") ? this.type.slice(19) : "";
    this.title = doc.title || "";
    this.detail = doc.detail || "";
    this.retryAfter = retryAfter;  // seconds, from Retry-After (429, 503), else null
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const B64U = /^[A-Za-z0-9_-]*$/;

export function b64uEncode(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Strict, as a receiver must be (section 2): no padding, no white space, nothing outside the
// alphabet, no non-zero unused bits (the last character's low bits: 4 of them after 2
// characters of a group, 2 after 3). Byte by byte, with no re-encoding: 核验 decodes every event
// and every 256 KiB page of them (chain.js).
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
export function b64uDecode(text) {
  if (typeof text !== "string" || !B64U.test(text) || text.length % 4 === 1)
    throw new TypeError("not base64url");
  const rem = text.length % 4;
  if (rem && ALPHABET.indexOf(text[text.length - 1]) & (rem === 2 ? 0x0f : 0x03))
    throw new TypeError("base64url with non-zero unused bits");
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// A version 7 UUID (RFC 9562), lower case: time-ordered, as the protocol asks of clients.
export function uuid7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i--, ms = Math.floor(ms / 256)) b[i] = ms % 256;
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

let ed25519 = null;
// Whether this browser can make and use Ed25519 keys in WebCrypto (checked once, by trying:
// a browser may have crypto.subtle and still lack the algorithm).
export function hasEd25519() {
  if (ed25519 === null) {
    ed25519 = !globalThis.isSecureContext || !globalThis.crypto?.subtle
      ? Promise.resolve(false)
      : crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
        .then(() => true, () => false);
  }
  return ed25519;
}

// What the protocol refuses and JSON.stringify would let through silently or change: lone
// surrogates and \u0000 (section 2), numbers that are not finite or not exact integers.
function checkValue(v, where) {
  if (typeof v === "string") {
    if (!v.isWellFormed() || v.includes("\u0000")) throw new TypeError(`${where}: string not allowed (lone surrogate or \\u0000)`);
  } else if (typeof v === "number") {
    if (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v)))
      throw new TypeError(`${where}: number not exactly representable`);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => checkValue(x, `${where}[${i}]`));
  } else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) checkValue(x, `${where}.${k}`);
  } else if (typeof v !== "boolean" && v !== null) {
    throw new TypeError(`${where}: ${typeof v} is not JSON`);
  }
}

// The message to send (section 2): {frame: the JSON text, id, body}. key is the signer's
// private CryptoKey (or its key pair). Sign the bytes that are sent; never re-serialize.
// opts: id (a resend past exp keeps the id), iat, exp, corr.
export async function seal(key, kid, iss, aud, type, data, opts = {}) {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  const body = { v: 1, id: opts.id ?? uuid7(), iss, aud, iat, exp: opts.exp ?? iat + LIFETIME,
                 type, corr: opts.corr ?? null, data };
  checkValue(body, "body");
  const p = b64uEncode(utf8.encode(JSON.stringify({ alg: "EdDSA", kid, typ: TYP })));
  const q = b64uEncode(utf8.encode(JSON.stringify(body)));
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey ?? key, utf8.encode(`${p}.${q}`));
  const frame = JSON.stringify({ protected: p, payload: q, signature: b64uEncode(new Uint8Array(sig)) });
  return { frame, id: body.id, body };
}

// Sends a frame to POST /v1/{service}: {status, frame} with the service's signed reply as
// text (not yet believed: verifyReply), or throws Problem for the gateway's own refusal, or
// Error (no answer, another content type). 503 and 504 with a problem: resend the same frame.
export async function post(service, frame, { timeoutMs = 10000, base = "" } = {}) {
  const r = await fetch(`${base}/v1/${encodeURIComponent(service)}`, {
    method: "POST", headers: { "Content-Type": JOSE }, body: frame,
    signal: AbortSignal.timeout(timeoutMs), credentials: "omit", cache: "no-store",
  });
  return answerRead(r);
}

async function answerRead(r) {
  const type = (r.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
  const text = await r.text();
  if (type === JOSE) return { status: r.status, frame: text };
  if (type === PROBLEM) {
    let doc = {};
    try { doc = JSON.parse(text); } catch { /* an unreadable problem still is one */ }
    const ra = r.headers.get("Retry-After");
    throw new Problem(r.status, doc && typeof doc === "object" ? doc : {}, ra === null ? null : Number(ra));
  }
  throw new Error(`HTTP ${r.status}: unexpected content type ${JSON.stringify(type)}`);
}

// The services' public keys (GET /v1/keys, a JWK Set).
export async function keysFetch({ timeoutMs = 10000, base = "" } = {}) {
  const r = await fetch(`${base}/v1/keys`, { signal: AbortSignal.timeout(timeoutMs), cache: "no-store" });
  if (r.status !== 200) throw new Error(`GET /v1/keys: HTTP ${r.status}`);
  return r.json();
}

const imported = new Map();  // x -> the public CryptoKey, imported once (chain.js shares it)
export function verifierImport(x) {
  if (!imported.has(x)) {
    imported.set(x, crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x },
                                            { name: "Ed25519" }, false, ["verify"]));
  }
  return imported.get(x);
}

function jsonRead(bytes, what) {
  try {
    return JSON.parse(utf8Strict.decode(bytes));
  } catch {
    throw new ReplyRefused(`${what} is not UTF-8 JSON`);
  }
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const members = (o) => Object.keys(o).sort().join(",");

// Verifies a reply (section 4) to our request `id`, sent as `iss` to `service`: signed by one
// of service's own keys in jwks (another service's key is no proof), typ xc+jws, iss the
// service, aud us, corr our id, not expired, the key valid when it signed. Its body, or throws
// ReplyRefused.
export function verifyReply(frame, jwks, service, iss, id) {
  return verifySigned(frame, jwks, service, (body) => {
    if (body.aud !== iss) throw new ReplyRefused(`aud is ${JSON.stringify(body.aud)}, not ${iss}`);
    if (body.corr !== id.toLowerCase())
      throw new ReplyRefused(`corr is ${JSON.stringify(body.corr)}, not our id ${id.toLowerCase()}`);
  });
}

// Verifies a service's reply to the public principal (码上巡: the gateway signs the page's
// public.* requests as `public`, docs/services/gateway.md): the same checks as a reply, aud
// `public`; corr is the gateway's request id, which the page never saw, so only its form is
// checked. Its body, or throws ReplyRefused.
export function verifyPublicReply(frame, jwks, service, iss = "public") {
  return verifySigned(frame, jwks, service, (body) => {
    if (body.aud !== iss) throw new ReplyRefused(`aud is ${JSON.stringify(body.aud)}, not ${iss}`);
    if (typeof body.corr !== "string" || !/^[0-9a-f-]{36}$/.test(body.corr))
      throw new ReplyRefused("corr is not a request id");
  });
}

// Verifies a 码上巡 acknowledgement the reporter kept (intake's signed reply to public.report, saved
// as a file): the checks of verifyPublicReply but the lifetime, because what it proves, that intake
// received that content at iat, does not expire; the key must still have been valid at iat. Its
// body, or throws ReplyRefused.
export function verifyAcknowledgement(frame, jwks) {
  return verifySigned(frame, jwks, "intake", (body) => {
    if (body.aud !== "public") throw new ReplyRefused(`aud is ${JSON.stringify(body.aud)}, not public`);
    if (typeof body.corr !== "string" || !/^[0-9a-f-]{36}$/.test(body.corr))
      throw new ReplyRefused("corr is not a request id");
    const r = body.data?.result;
    if (body.type !== "ack" || !Number.isInteger(r?.problem) || typeof r?.sha256 !== "string")
      throw new ReplyRefused("not an acknowledgement of a report");
  }, { lifetime: false });
}

// Verifies a service's events.head hint (protocol section 7, as the gateway's hint stream carries
// it): the same checks as a reply, with aud "*" and corr null. Its body ({data: {seq}}), or throws
// ReplyRefused.
export function verifyHint(frame, jwks, service) {
  return verifySigned(frame, jwks, service, (body) => {
    if (body.aud !== "*") throw new ReplyRefused(`aud is ${JSON.stringify(body.aud)}, not "*"`);
    if (body.corr !== null) throw new ReplyRefused("a hint's corr is not null");
    if (body.type !== "events.head" || !Number.isSafeInteger(body.data?.seq))
      throw new ReplyRefused("not an events.head hint with an integer seq");
  });
}

// What a reply and a hint share: the frame, the header, service's own key, the signature, iss;
// then addressed(body) (throws when the body is not for us), the lifetime and the key's validity.
async function verifySigned(frame, jwks, service, addressed, { lifetime = true } = {}) {
  let m;
  try { m = JSON.parse(frame); } catch { throw new ReplyRefused("the reply is not JSON"); }
  if (!isObject(m) || members(m) !== "payload,protected,signature" ||
      !Object.values(m).every((s) => typeof s === "string"))
    throw new ReplyRefused("the reply is not a flattened JWS of exactly three strings");
  let header, sig, payload;
  try {
    header = b64uDecode(m.protected);
    payload = b64uDecode(m.payload);
    sig = b64uDecode(m.signature);
  } catch (e) {
    throw new ReplyRefused(`the reply's base64url: ${e.message}`);
  }
  header = jsonRead(header, "the header");
  if (!isObject(header) || members(header) !== "alg,kid,typ")
    throw new ReplyRefused("the header is not exactly alg, kid, typ");
  if (header.alg !== "EdDSA" && header.alg !== "Ed25519") throw new ReplyRefused(`alg ${header.alg}`);
  if (header.typ !== TYP) throw new ReplyRefused(`typ is ${JSON.stringify(header.typ)}, not ${TYP}`);
  const jwk = (jwks?.keys ?? []).find((k) => k.iss === service && k.kid === header.kid &&
                                             k.kty === "OKP" && k.crv === "Ed25519");
  if (!jwk) throw new ReplyRefused(`no key ${JSON.stringify(header.kid)} of ${service} in /v1/keys`);
  if (sig.length !== 64) throw new ReplyRefused("the signature is not 64 bytes");
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, await verifierImport(jwk.x), sig,
                                        utf8.encode(`${m.protected}.${m.payload}`));
  if (!ok) throw new ReplyRefused(`signature not verified with ${service}'s key ${jwk.kid}`);
  const body = jsonRead(payload, "the payload");
  if (!isObject(body)) throw new ReplyRefused("the payload is not an object");
  if (body.iss !== service) throw new ReplyRefused(`iss is ${JSON.stringify(body.iss)}, not ${service}`);
  addressed(body);
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(body.iat) || !Number.isInteger(body.exp) || (lifetime && body.exp + SKEW < now))
    throw new ReplyRefused(`the reply's lifetime is over (iat ${body.iat}, exp ${body.exp}, now ${now})`);
  const t = (s) => (s ? Date.parse(s) / 1000 : NaN);
  if (body.iat < t(jwk.not_before) || body.iat > t(jwk.not_after))
    throw new ReplyRefused(`key ${jwk.kid} was not valid at iat ${body.iat}`);
  return body;
}

// Sign, post, verify: the reply's verified body. A problem throws Problem; a reply that does
// not verify throws ReplyRefused. signer: {key, kid, iss} (keystore.js's record fits).
export async function call(signer, service, type, data, jwks, opts = {}) {
  const { frame, id } = await seal(signer.privateKey ?? signer.key, signer.kid, signer.iss,
                                   service, type, data, opts);
  const answer = await post(service, frame, opts);
  return verifyReply(answer.frame, jwks, service, signer.iss, id);
}
