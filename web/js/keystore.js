// keystore.js: the person's Ed25519 key, made in this browser by WebCrypto as non-extractable
// and kept in IndexedDB (the CryptoKey objects themselves: the private half never exists as
// bytes a script could read, send or lose). docs/console.md, "The protocol in the browser".
import { ED25519_MISSING, b64uEncode, hasEd25519 } from "./wire.js";

const DB_NAME = "xuncha-console";
const STORE = "keys";

function dbOpen() {
  return new Promise((resolve, reject) => {
    const rq = indexedDB.open(DB_NAME, 1);
    rq.onupgradeneeded = () => rq.result.createObjectStore(STORE, { keyPath: "name" });
    rq.onsuccess = () => resolve(rq.result);
    rq.onerror = () => reject(rq.error);
  });
}

// One request in its own transaction; resolves when the transaction is complete (durable).
async function storeDo(mode, act) {
  const db = await dbOpen();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const rq = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(rq.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// A new key pair: {privateKey, publicKey, x} where x is the public key as base64url (the
// JWK's x, what the registry holds). Throws Error(ED25519_MISSING) when the browser cannot.
export async function keyCreate() {
  if (!(await hasEd25519())) throw new Error(ED25519_MISSING);
  let pair;
  try {
    pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  } catch {
    // hasEd25519's answer is kept per page; a later refusal means the same to the person
    throw new Error(ED25519_MISSING);
  }
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, x: b64uEncode(raw) };
}

// Keeps record under record.name: {name, privateKey, publicKey, x, kid, iss, ...}.
export function keySave(record) {
  return storeDo("readwrite", (s) => s.put(record));
}

// The record saved under name, or null.
export async function keyLoad(name) {
  return (await storeDo("readonly", (s) => s.get(name))) ?? null;
}

export function keyDelete(name) {
  return storeDo("readwrite", (s) => s.delete(name));
}

// The key's RFC 7638 thumbprint (SHA-256 of {"crv","kty","x"} in that order), base64url: the
// registry derives an enrolling key's kid from it (docs/protocol.md section 8).
export async function keyThumbprint(x) {
  const canonical = JSON.stringify({ crv: "Ed25519", kty: "OKP", x });
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return b64uEncode(new Uint8Array(hash));
}

// The kid a new key enrolls with: <iss>#<the first 16 characters of its thumbprint>.
export async function keyKid(iss, x) {
  return `${iss}#${(await keyThumbprint(x)).slice(0, 16)}`;
}
