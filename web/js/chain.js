// chain.js: the audit of a service's events in the reader's own browser (docs/console.md, "The
// audit in the reader's browser"). No UI here. For each entry of events.read: seq has no gap;
// the link into it, hash(seq) = SHA-256(hash(seq-1) || message) from the hash the entry before
// states (docs/protocol.md section 6), so that the links are independent of each other (all of
// them holding is the whole chain recomputed from seq 1); the message's Ed25519 signature
// against the keys the reader was given, the key valid at the event's iat; the message names
// the service and the entry's type. A redacted entry (no message) is taken as stated: only the
// link into a visible entry can be checked by its reader. The chain is walked in order; the
// signatures of a page are verified several at once while the next page is read.
import { b64uDecode, verifierImport } from "./wire.js";

// What failed, in the words the page shows (the codes are the test's).
export const FAULTS = {
  gap: "序号缺失",
  link: "哈希链断裂",
  signature: "签名无效",
  key_unknown: "签名密钥不在所用密钥之中",
  key_validity: "密钥不在有效期",
  malformed: "事件格式错误",
  mismatch: "事件内容与索引不符",
  short: "事件少于链头所示",
};

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const HEX = /^[0-9a-f]{64}$/;

export function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesHex(bytes) {
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}

// A JWK Set's Ed25519 keys by service: Map iss -> Map kid -> {x, from, until} (seconds; a
// missing bound is open). A key without iss belongs to the service its kid names ("intake#1").
// Throws TypeError when the set is not a JWK Set of such keys.
export function keysIndex(jwks) {
  if (!jwks || typeof jwks !== "object" || !Array.isArray(jwks.keys)) throw new TypeError("not a JWK Set");
  const index = new Map();
  const time = (s, open) => (s == null ? open : Date.parse(s) / 1000);
  for (const k of jwks.keys) {
    if (!k || k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.kid !== "string" ||
        typeof k.x !== "string" || b64uDecode(k.x).length !== 32)
      throw new TypeError("a key that is not an Ed25519 public JWK with kid and x");
    const iss = typeof k.iss === "string" ? k.iss : k.kid.split("#")[0];
    const from = time(k.not_before, -Infinity), until = time(k.not_after, Infinity);
    if (Number.isNaN(from) || Number.isNaN(until)) throw new TypeError("a key's validity is not a time");
    if (!index.has(iss)) index.set(iss, new Map());
    index.get(iss).set(k.kid, { x: k.x, from, until });
  }
  if (!index.size) throw new TypeError("no key");
  return index;
}

// A service signs its events with one header per key: each decoded once.
const headers = new Map();
function headerRead(text) {
  if (!headers.has(text)) headers.set(text, JSON.parse(utf8Strict.decode(b64uDecode(text))));
  return headers.get(text);
}

// The checks of one visible entry that need no await: {fault, detail} or the work to do.
function entryOpen(entry, service, keys) {
  let m, header, body;
  try {
    m = JSON.parse(entry.message);
    header = headerRead(m.protected);
    body = JSON.parse(utf8Strict.decode(b64uDecode(m.payload)));
  } catch {
    return { fault: "malformed" };
  }
  if (!header || !body || typeof m.signature !== "string" || header.typ !== "xc+jws" ||
      (header.alg !== "EdDSA" && header.alg !== "Ed25519"))
    return { fault: "malformed" };
  const key = keys.get(service)?.get(header.kid);
  if (!key) return { fault: "key_unknown", kid: header.kid };
  if (!(body.iat >= key.from && body.iat <= key.until)) return { fault: "key_validity", kid: header.kid };
  // an event is the service's word to everyone (protocol section 6): iss, aud "*", the type
  if (body.iss !== service || body.aud !== "*" || body.type !== entry.type) return { fault: "mismatch" };
  let sig;
  try { sig = b64uDecode(m.signature); } catch { return { fault: "malformed" }; }
  if (sig.length !== 64) return { fault: "signature", kid: header.kid };
  return { key, sig, signed: utf8.encode(`${m.protected}.${m.payload}`), kid: header.kid };
}

// SHA-256 (FIPS 180-4), synchronous: a link costs no round trip to WebCrypto's thread, which
// the signatures keep busy (the bench, tests/bench/verify_bench.py, compares the two).
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
const W = new Uint32Array(64);
export function sha256(bytes) {
  const n = bytes.length, total = ((n + 9 + 63) >> 6) << 6;
  const m = new Uint8Array(total);
  m.set(bytes);
  m[n] = 0x80;
  const dv = new DataView(m.buffer);
  dv.setUint32(total - 8, Math.floor(n / 0x20000000));
  dv.setUint32(total - 4, (n << 3) >>> 0);
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
    h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15], b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  const out = new Uint8Array(32), ov = new DataView(out.buffer);
  [h0, h1, h2, h3, h4, h5, h6, h7].forEach((v, i) => ov.setUint32(i * 4, v));
  return out;
}

function linkHolds(prevHex, message, statedHex) {
  const msg = utf8.encode(message);
  const buf = new Uint8Array(32 + msg.length);
  buf.set(hexBytes(prevHex), 0);
  buf.set(msg, 32);
  return bytesHex(sha256(buf)) === statedHex;
}

// Checks visible entries [{seq, type, message, prev, stated}] (prev: the hash the entry before
// states) of `service` against keys: {failures: [{service, seq, type, fault, kid?}], ok: [seq]}.
export async function itemsCheck(items, service, keys) {
  const failures = [], ok = [];
  const fail = (it, fault, kid) => failures.push({ service, seq: it.seq, type: it.type, fault, ...(kid ? { kid } : {}) });
  async function one(it) {
    const opened = entryOpen(it, service, keys);
    if (opened.fault) return fail(it, opened.fault, opened.kid);
    // a changed message breaks its link first: the link is what names it
    if (!linkHolds(it.prev, it.message, it.stated)) return fail(it, "link");
    const key = await verifierImport(opened.key.x);
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, opened.sig, opened.signed)))
      return fail(it, "signature", opened.kid);
    ok.push(it.seq);
  }
  // LANES signatures waiting at a time: enough to keep WebCrypto's thread busy, few enough
  // that a page's own request (signed and verified on the same thread) is not queued behind
  // a whole page of them
  let next = 0;
  const lane = async () => { while (next < items.length) await one(items[next++]); };
  await Promise.all(Array.from({ length: Math.min(LANES, items.length) }, lane));
  return { failures, ok };
}

// The checks spread over workers, one per core (at most 4): the per-event work (parsing,
// hashing) is JavaScript the page's own thread would otherwise do between reading pages, and
// each worker has WebCrypto of its own (chain_worker.js). {check(items, service), close()};
// null where there are no workers. A worker that fails rejects what it was given.
export function checkersStart(jwks, n = Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency || 2))) {
  if (typeof Worker === "undefined") return null;
  const waiting = new Map();
  let last = 0;
  const workers = Array.from({ length: n }, () => {
    const w = new Worker(new URL("./chain_worker.js", import.meta.url), { type: "module" });
    w.onmessage = (e) => { const p = waiting.get(e.data.id); waiting.delete(e.data.id); p?.resolve(e.data); };
    w.onerror = (e) => {
      e.preventDefault?.();
      for (const [id, p] of waiting) { waiting.delete(id); p.reject(new Error("a checking worker failed")); }
    };
    w.postMessage({ jwks });
    return w;
  });
  const one = (w, items, service) => new Promise((resolve, reject) => {
    const id = ++last;
    waiting.set(id, { resolve, reject });
    w.postMessage({ id, service, items });
  });
  return {
    async check(items, service) {
      const size = Math.ceil(items.length / n);
      const parts = await Promise.all(workers.map((w, i) => one(w, items.slice(i * size, (i + 1) * size), service)));
      return { failures: parts.flatMap((p) => p.failures), ok: parts.flatMap((p) => p.ok) };
    },
    close() { for (const w of workers) w.terminate(); },
  };
}

// One page of entries: the state carried from the page before ({seq, hash}), the failures
// appended to out.failures, the counts to out. check(items) checks the visible ones.
async function pageCheck(events, service, state, out, check) {
  const items = [];
  for (const e of events) {
    const seq = e.seq, stated = typeof e.hash === "string" && HEX.test(e.hash) ? e.hash : null;
    const fail = (fault, extra = {}) => out.failures.push({ service, seq, type: e.type, fault, ...extra });
    if (!Number.isInteger(seq) || seq !== state.seq + 1) {
      // the chain goes on from here: the next link is checked against this entry's hash
      fail("gap", { missing: [state.seq + 1, Number.isInteger(seq) ? seq - 1 : null] });
    } else if (!stated) {
      fail("malformed");
    } else if (typeof e.message !== "string") {
      out.redacted++;
    } else {
      items.push({ seq, type: e.type, message: e.message, prev: state.hash, stated });
    }
    if (Number.isInteger(seq)) state.seq = seq;
    if (stated) state.hash = stated;
  }
  if (!items.length) return;
  const got = await check(items);
  out.failures.push(...got.failures);
  for (const s of got.ok) out.ok.push(s);
}

const DEPTH = 2;     // pages checked at once while the next is read
const LANES = 8;     // signatures waiting on WebCrypto at once

// Reads and checks every event of `service`. read(after) -> Promise of events.read's result
// ({head, events}); keys: keysIndex(...); progress(out) after each page; stopped() true ends it
// early (out.stopped). Pages are read while the ones before are checked. Resolves to
// {service, head, headHash, read, verified, redacted, failures, firstFailure, unverifiable,
// stopped, ms}: verified counts the visible entries that passed and come before the first
// failure; those after it are `unverifiable` (the chain from there cannot be trusted).
// opts.checkers: checkersStart(...) to check in workers (else in the calling thread, with keys).
export async function chainVerify(service, read, keys, { progress = () => {}, stopped = () => false, checkers = null } = {}) {
  const here = (items) => itemsCheck(items, service, keys);
  // a worker that cannot run (a stricter policy, a browser without module workers): here instead
  const check = checkers ? (items) => checkers.check(items, service).catch(() => here(items)) : here;
  const t0 = performance.now();
  const state = { seq: 0, hash: "0".repeat(64) };
  const out = { service, head: 0, headHash: null, read: 0, redacted: 0, failures: [], ok: [], stopped: false,
                readMs: 0, checkMs: 0 };   // waited for the pages, for the checks
  // pages are asked one after the other without waiting for their checks (a reply's own
  // verification queues behind the checks on WebCrypto's thread): at most DEPTH pages checked
  // at once, so memory stays bounded
  const checking = [];
  let page = await read(0);
  for (;;) {
    out.head = page.head;
    const events = page.events ?? [];
    const last = events.length ? events[events.length - 1].seq : state.seq;
    const more = events.length > 0 && last < page.head && !stopped();
    const next = more ? read(last) : null;
    checking.push(pageCheck(events, service, state, out, check).then(() => progress(out)));
    out.read = state.seq;     // pageCheck's walk along the seqs ran before its first await
    if (state.seq === page.head && state.seq > 0) out.headHash = state.hash;
    let t = performance.now();
    if (checking.length >= DEPTH) await checking.shift();
    out.checkMs += performance.now() - t;
    if (!next) break;
    t = performance.now();
    page = await next;
    out.readMs += performance.now() - t;
  }
  const t = performance.now();
  await Promise.all(checking);
  out.checkMs += performance.now() - t;
  out.stopped = stopped() && out.read < out.head;
  if (!out.stopped && out.read < out.head)
    out.failures.push({ service, seq: out.read + 1, type: null, fault: "short", head: out.head });
  out.failures.sort((a, b) => a.seq - b.seq);
  const first = out.failures.length ? out.failures[0].seq : Infinity;
  out.firstFailure = out.failures.length ? first : null;
  out.verified = out.ok.filter((s) => s < first).length;
  out.unverifiable = out.failures.length ? Math.max(0, out.read - first) : 0;
  delete out.ok;
  out.ms = performance.now() - t0;
  return out;
}
