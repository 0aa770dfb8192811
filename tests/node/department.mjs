// department.mjs: a department's client of the HTTP gateway (docs/services/gateway.md, "Clients")
// in Node, with npm's jose (vendored: tools/vendor/jose) and Node's own fetch, nothing else.
// It signs a message as docs/protocol.md section 2 says (flattened JWS, EdDSA, typ xc+jws),
// posts it to POST /v1/{service}, and verifies the reply with the service's key from GET /v1/keys
// (section 4: signature, typ, iss is the service, aud is us, corr is our id, the key valid then).
//
//   node tests/node/department.mjs --key FILE --iss NAME --gateway URL --service NAME \
//        --type TYPE --data JSON [--id UUID] [--save FILE] [--modules DIR] [--timeout-ms N]
//   node tests/node/department.mjs --resend FILE --key FILE --iss NAME --gateway URL --service NAME
//
// --key: the principal's private JWK file ({"kty":"OKP","crv":"Ed25519","kid","x","d"});
// --save FILE keeps the signed bytes, --resend FILE posts those bytes again instead of signing
// (protocol section 4: a retry sends the same bytes); --modules: the node_modules holding jose
// (build/vendor/jose/node_modules by default, as make test unpacks it).
// Prints one JSON line, {"status": <HTTP status>, "id": <request id>, "reply": <reply body>} for
// a verified reply (of any type: an error reply is a verified answer too), or {"status", "id",
// "problem"} for a refusal by the gateway itself (RFC 9457, not signed). Exit status: 0 a
// verified reply, 3 a problem document, 1 a reply refused (it did not verify: nothing in it may
// be believed), 2 bad usage or no answer.
import { readFile, writeFile } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { webcrypto } from "node:crypto";

// Node 18 (Debian 12's nodejs) has WebCrypto but not yet as the global `crypto` that jose and
// this client use; Node 20 has both.
globalThis.crypto ??= webcrypto;

const JOSE = "application/jose+json";
const PROBLEM = "application/problem+json";
const TYP = "xc+jws";
const LIFETIME = 120;              // seconds; the protocol allows up to 3600
const SKEW = 60;                   // seconds of clock difference tolerated on a reply's exp

export class ReplyRefused extends Error {}

export async function loadJose(modules) {
  return import(pathToFileURL(join(modules, "jose", "dist", "webapi", "index.js")).href);
}

// A version 7 UUID (RFC 9562), lower case: time-ordered, as the protocol asks of clients.
export function uuid7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = BigInt(Date.now());
  for (let i = 5; i >= 0; i--, ms >>= 8n) b[i] = Number(ms & 0xffn);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The signer: the private JWK file's key, imported once.
export async function loadSigner(jose, jwkText, iss) {
  const jwk = JSON.parse(jwkText);
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.kid !== "string" || !jwk.d)
    throw new Error("the key file is not a private Ed25519 JWK with a kid");
  // only the key's own members: Web Crypto's import is strict about the rest
  const key = await jose.importJWK({ kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d }, "EdDSA");
  return { jose, key, kid: jwk.kid, iss };
}

// The bytes to send and the id (protocol section 2): sign what is sent, never re-serialize.
export async function seal(signer, aud, type, data, id = uuid7()) {
  const iat = Math.floor(Date.now() / 1000);
  const body = { v: 1, id, iss: signer.iss, aud, iat, exp: iat + LIFETIME, type, corr: null, data };
  const jws = await new signer.jose.FlattenedSign(new TextEncoder().encode(JSON.stringify(body)))
    .setProtectedHeader({ alg: "EdDSA", kid: signer.kid, typ: TYP })
    .sign(signer.key);
  return { frame: Buffer.from(JSON.stringify(jws)), id };
}

// The id of bytes signed before (our own message: read, not verified).
export function frameId(frame) {
  const m = JSON.parse(frame.toString("utf8"));
  return JSON.parse(Buffer.from(m.payload, "base64url").toString("utf8")).id;
}

// Verifies a reply (protocol section 4) with the keys of GET /v1/keys: its body, or ReplyRefused.
export async function openReply(jose, raw, jwks, service, requester, id) {
  let m;
  try {
    m = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new ReplyRefused("the reply is not JSON");
  }
  const members = m && typeof m === "object" ? Object.keys(m).sort().join(",") : "";
  if (members !== "payload,protected,signature")
    throw new ReplyRefused(`the reply is not a flattened JWS of exactly three members (${members})`);
  // only the service's own keys may sign its replies: another service's valid key is no proof
  const keys = (jwks.keys ?? []).filter((k) => k.iss === service);
  if (keys.length === 0) throw new ReplyRefused(`/v1/keys has no key of ${service}`);
  let verified;
  try {
    verified = await jose.flattenedVerify(m, jose.createLocalJWKSet({ keys }), { algorithms: ["EdDSA"] });
  } catch (e) {
    throw new ReplyRefused(`signature not verified with ${service}'s keys: ${e.code ?? e.name}: ${e.message}`);
  }
  const header = verified.protectedHeader;
  if (header.typ !== TYP) throw new ReplyRefused(`typ is ${JSON.stringify(header.typ)}, not ${TYP}`);
  let body;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(verified.payload));
  } catch {
    throw new ReplyRefused("the signed payload is not JSON text");
  }
  if (body.iss !== service) throw new ReplyRefused(`iss is ${JSON.stringify(body.iss)}, not ${service}`);
  if (body.aud !== requester) throw new ReplyRefused(`aud is ${JSON.stringify(body.aud)}, not ${requester}`);
  if (body.corr !== id.toLowerCase())
    throw new ReplyRefused(`corr is ${JSON.stringify(body.corr)}, not our id ${id.toLowerCase()}`);
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(body.iat) || !Number.isInteger(body.exp) || body.exp + SKEW < now)
    throw new ReplyRefused(`the reply's lifetime is over (iat ${body.iat}, exp ${body.exp}, now ${now})`);
  // the key must have been valid when the reply was signed (protocol section 8, both ends included)
  const jwk = keys.find((k) => k.kid === header.kid);
  const t = (s) => (s ? Date.parse(s) / 1000 : NaN);
  if (!jwk || body.iat < t(jwk.not_before) || body.iat > t(jwk.not_after))
    throw new ReplyRefused(`key ${header.kid} was not valid at iat ${body.iat}`);
  return body;
}

async function get(url, timeoutMs) {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.json();
}

// Posts the bytes; {status, reply} verified, {status, problem}, or ReplyRefused.
export async function send(jose, gateway, service, requester, frame, id, jwks, timeoutMs) {
  const r = await fetch(`${gateway}/v1/${service}`, {
    method: "POST", headers: { "Content-Type": JOSE }, body: frame,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const raw = Buffer.from(await r.arrayBuffer());
  const type = (r.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === PROBLEM) return { status: r.status, problem: JSON.parse(raw.toString("utf8")) };
  if (type !== JOSE) throw new ReplyRefused(`HTTP ${r.status} with content type ${JSON.stringify(type)}`);
  return { status: r.status, reply: await openReply(jose, raw, jwks, service, requester, id) };
}

async function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const { values: o } = parseArgs({
    options: {
      key: { type: "string" }, iss: { type: "string" }, gateway: { type: "string" },
      service: { type: "string" }, type: { type: "string" }, data: { type: "string" },
      id: { type: "string" }, save: { type: "string" }, resend: { type: "string" },
      modules: { type: "string", default: join(here, "..", "..", "build", "vendor", "jose", "node_modules") },
      "timeout-ms": { type: "string", default: "10000" },
    },
  });
  for (const need of ["key", "iss", "gateway", "service", ...(o.resend ? [] : ["type", "data"])])
    if (!o[need]) throw new Error(`usage: --${need} is missing`);
  const timeoutMs = Number(o["timeout-ms"]);
  const jose = await loadJose(o.modules);
  const signer = await loadSigner(jose, await readFile(o.key, "utf8"), o.iss);
  let frame, id;
  if (o.resend) {
    frame = await readFile(o.resend);
    id = frameId(frame);
  } else {
    ({ frame, id } = await seal(signer, o.service, o.type, JSON.parse(o.data), o.id));
  }
  if (o.save) await writeFile(o.save, frame);
  const gateway = o.gateway.replace(/\/+$/, "");
  const jwks = await get(`${gateway}/v1/keys`, timeoutMs);
  const out = await send(jose, gateway, o.service, o.iss, frame, id, jwks, timeoutMs);
  process.stdout.write(JSON.stringify({ status: out.status, id, ...out }) + "\n");
  return out.problem ? 3 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => { process.exitCode = code; }, (e) => {
    const refused = e instanceof ReplyRefused;
    // fetch's own message is "fetch failed": the why (a certificate, a refused connection) is its cause
    const why = e.cause ? ` (${e.cause.code ?? e.cause.message})` : "";
    process.stderr.write(`department: ${refused ? "reply refused: " : ""}${e.message}${why}\n`);
    process.exitCode = refused ? 1 : 2;
  });
}
