// files.js: evidence files (佐证材料) kept by the services (docs/console.md, "Evidence files").
// An upload is signed file.begin / file.append commands through POST /v1/{service}, chunk by
// chunk with progress; after a network failure (or a reload, the file picked again) it resumes
// where the service says it stands, since the same sender beginning the same SHA-256 gets the
// same upload and its offset. A download is signed file.read queries to POST
// /v1/files/{service}, answered with the raw bytes (a piece at a time for a large file),
// which are believed only when they hash to the SHA-256 the signed record names. No UI here but the one error text; the components are in
// pages/roles_common.js.
import { JOSE, PROBLEM, Problem, ReplyRefused, seal, verifyReply } from "./wire.js";
import { Refusal, keysGet, refusalFrom, send, sessionCurrent } from "./session.js";
import { bytesHex } from "./chain.js";

// The file's bytes differ from the hash of the record: not shown, not saved.
export const MISMATCH = "下载的文件与记录中的摘要不符，文件可能已被改动，不予采信。";
// The network stayed away longer than an upload waits: picking the same file again resumes it.
export const UPLOAD_STALLED = "网络中断，上传未完成。网络恢复后请重新选择同一文件，将从中断处继续上传。";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// SHA-256 of bytes (a Uint8Array or an ArrayBuffer), lower-case hex.
export async function bytesSha256(bytes) {
  return bytesHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

// Standard base64 of bytes (the services' `data`), in pieces so a 128 KiB chunk never
// overflows the argument list of String.fromCharCode.
export function bytesBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// Refusals that mean "no answer now, try again": the network, a gateway that lost the
// service, a service that is busy.
const RETRY = new Set(["no_answer", "http_502", "http_503", "http_504", "no-answer",
                       "service-unreachable", "stopping", "unavailable", "busy", "too-many-requests"]);
export const isTransient = (refusal) => RETRY.has(refusalFrom(refusal).code);

// Uploads one File to service: resolves {file: its name, sha256} (the evidence entry a record
// takes, nothing more) once the service holds it whole. progress({sent, size, state, type?}) is
// called as it goes (state: "hashing", "sending", "retrying", "done"; type, the service's by
// content, with "done" when the last chunk told it). Throws a Refusal: the service's (a type not allowed, a hash
// that does not match, too large: the upload is dropped), or UPLOAD_STALLED after waitMs of
// network failure in a row.
export async function fileUpload(service, file, { progress = () => {}, waitMs = 120000, chunkGiveUpMs = 6000 } = {}) {
  const size = file.size;
  progress({ sent: 0, size, state: "hashing" });
  const sha256 = await bytesSha256(await file.arrayBuffer());
  const entry = { file: file.name, sha256 };
  let type;
  let upload = null, offset = 0, chunk = 0, failingSince = null;
  const begin = async () => {
    const r = (await send(service, "file.begin", { name: file.name, size, sha256 }, { giveUpMs: chunkGiveUpMs })).data.result;
    upload = r.upload;
    offset = r.offset;
    chunk = r.chunk_bytes;
    return r.complete;
  };
  for (;;) {
    try {
      if (!upload && await begin()) break;
      if (offset >= size) {
        // every byte was sent but the last answer was lost: the service says where it stands
        const st = await send(service, "file.status", { upload }, { giveUpMs: chunkGiveUpMs });
        if (st.data.complete) break;
        offset = st.data.offset;
      }
      progress({ sent: offset, size, state: "sending" });
      const bytes = new Uint8Array(await file.slice(offset, offset + chunk).arrayBuffer());
      const r = (await send(service, "file.append", { upload, offset, data: bytesBase64(bytes) },
                            { giveUpMs: chunkGiveUpMs })).data.result;
      failingSince = null;
      offset = r.offset;
      if (r.type) type = r.type;
      if (r.complete) break;
    } catch (e) {
      const refusal = refusalFrom(e);
      if (refusal.code === "conflict" && upload) {
        // another offset than ours (an append answered while we were cut off): take the
        // service's and go on from there
        const st = await send(service, "file.status", { upload }, { giveUpMs: chunkGiveUpMs })
          .catch((x) => { if (!isTransient(x)) throw x; return null; });
        if (st?.data.complete) break;
        if (st && st.data.offset !== offset) { offset = st.data.offset; continue; }
        if (st) throw refusal;
      } else if (!isTransient(refusal)) {
        throw refusal;
      }
      failingSince ??= Date.now();
      if (Date.now() - failingSince > waitMs) throw new Refusal("upload_stalled", refusal.text ?? "", UPLOAD_STALLED);
      progress({ sent: offset, size, state: "retrying" });
      await sleep(1000);
      upload = null;              // begin again: the same upload, the offset the service has
    }
  }
  progress({ sent: size, size, state: "done", ...(type ? { type } : {}) });
  return entry;
}

// One signed file.read through the gateway: {bytes, type, first, size} (first and size from
// Content-Range when the service answers a piece at a time), or throws a Refusal.
async function pieceRead(me, service, sha256, offset, timeoutMs) {
  const data = offset ? { sha256, offset } : { sha256 };
  const sealed = await seal(me.privateKey, me.kid, me.iss, service, "file.read", data);
  let r;
  try {
    r = await fetch(`/v1/files/${encodeURIComponent(service)}`, {
      method: "POST", headers: { "Content-Type": JOSE }, body: sealed.frame,
      signal: AbortSignal.timeout(timeoutMs), credentials: "omit", cache: "no-store",
    });
  } catch (e) {
    throw refusalFrom(e);
  }
  const type = (r.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
  if (type === JOSE) {
    // a refusal, signed by the service: believed once verified
    let reply;
    try {
      reply = await verifyReply(await r.text(), await keysGet(), service, me.iss, sealed.id);
    } catch (e) {
      throw refusalFrom(e);
    }
    throw reply.type === "error" ? refusalFrom(reply, r.status) : refusalFrom(new ReplyRefused("a reply where the file was expected"));
  }
  if (type === PROBLEM) {
    let doc = {};
    try { doc = JSON.parse(await r.text()); } catch { /* still a problem */ }
    throw refusalFrom(new Problem(r.status, doc && typeof doc === "object" ? doc : {}, null));
  }
  const bytes = new Uint8Array(await r.arrayBuffer());
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(r.headers.get("Content-Range") || "");
  if (r.status === 206 && range && Number(range[1]) === offset && Number(range[2]) - offset + 1 === bytes.length)
    return { bytes, type, first: offset, size: Number(range[3]) };
  if (r.status === 200 && offset === 0) return { bytes, type, first: 0, size: bytes.length };
  throw new Refusal("file_mismatch", `HTTP ${r.status} with Content-Range ${r.headers.get("Content-Range")}`, MISMATCH);
}

// Reads a stored file through the gateway: {bytes, type, sha256}, the bytes checked against
// sha256 (the hash the signed record names). A service answers a piece at a time when the
// whole would not fit one reply: the pieces are read in turn and joined. Throws a Refusal
// (not_found for a record whose file is not stored, or for a reader who may not read it;
// MISMATCH for bytes that differ).
export async function fileRead(service, sha256, { timeoutMs = 60000, maxBytes = 64 * 1024 * 1024 } = {}) {
  const me = sessionCurrent();
  if (!me) throw new Refusal("signed_out", "", "尚未登录，请先进入平台。");
  const pieces = [];
  let offset = 0, size = null, type = "application/octet-stream";
  do {
    const p = await pieceRead(me, service, sha256, offset, timeoutMs);
    if (size === null) size = p.size;
    if (p.size !== size || p.size > maxBytes || (!p.bytes.length && offset < size))
      throw new Refusal("file_mismatch", "the pieces disagree on the file's size", MISMATCH);
    pieces.push(p.bytes);
    type = p.type || type;
    offset += p.bytes.length;
  } while (offset < size);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) { bytes.set(p, at); at += p.length; }
  if (await bytesSha256(bytes) !== sha256)
    throw new Refusal("file_mismatch", `the bytes do not hash to ${sha256}`, MISMATCH);
  return { bytes, type, sha256 };
}

// Whether a file is shown as a thumbnail: by its name before it is read (so that a PDF is
// never fetched only to find it is not an image), by its type once read.
export const looksImage = (name) => /\.(jpe?g|png)$/i.test(name || "");
export const isImageType = (type) => type === "image/jpeg" || type === "image/png";

// Saves bytes as a file the person keeps (a download from a blob URL, released after).
export function bytesSave(bytes, type, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name || "file";
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
