// session.js: the signed-in person and the two calls every page makes. ask() signs a query
// quietly; act() first shows the person what the command will do (the confirmation dialog that
// ui.js registers with confirmSet) and signs only once confirmed. Both verify the service's
// signed reply with the keys of /v1/keys and throw Refusal for a refusal. docs/console.md.
import { Problem, ReplyRefused, keysFetch, post, seal, verifyReply } from "./wire.js";
import { keyLoad, keySave } from "./keystore.js";
import { ROLES, Refusal, refusalFrom } from "./reasons.js";

// Refusal and its Chinese: reasons.js; pages take it from here with ask and act.
export { Refusal, refusalFrom, ROLES };

export const RECORD = "current";   // the keystore record of the person signed in
const OUT = "xuncha-signed-out";    // sessionStorage flag: 退出 pressed in this tab

let me = null;                      // the record, once loaded
const listeners = new Set();        // called with the record (or null) when it changes

export function sessionOn(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function changed() { for (const fn of listeners) fn(me); }

// The person whose key this browser holds, or null (no key, or 退出 in this tab).
export async function sessionLoad() {
  me = sessionStorage.getItem(OUT) ? null : await keyLoad(RECORD);
  return me;
}
// The record in the keystore whether signed in or not (the sign-in screen offers to enter).
export function sessionStored() { return keyLoad(RECORD); }
export function sessionCurrent() { return me; }

// Saves a record as the current person and enters.
export async function sessionSave(record) {
  await keySave({ ...record, name: RECORD });
  sessionStorage.removeItem(OUT);
  return sessionEnter();
}
export async function sessionEnter() {
  sessionStorage.removeItem(OUT);
  me = await keyLoad(RECORD);
  changed();
  return me;
}
// 退出: the key stays in this browser (it is the person's), the tab stops using it.
export function sessionLeave() {
  sessionStorage.setItem(OUT, "1");
  me = null;
  changed();
}

// The services' keys, fetched once and again when a reply names a kid we do not know.
let jwks = null;
export async function keysGet(fresh = false) {
  if (!jwks || fresh) jwks = keysFetch();
  try {
    return await jwks;
  } catch (e) {
    jwks = null;
    throw e;
  }
}

async function replyVerify(frame, service, signer, id) {
  try {
    return await verifyReply(frame, await keysGet(), service, signer.iss, id);
  } catch (e) {
    if (!(e instanceof ReplyRefused) || !e.message.startsWith("no key")) throw e;
    return verifyReply(frame, await keysGet(true), service, signer.iss, id);
  }
}

const TRANSIENT = new Set(["unavailable", "busy"]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The refusals that say the signer's own key is not (or no longer) in the registry, and how
// long to wait before asking again: the services reload the registry file within a second, so
// a key approved a moment ago (unknown_kid until then) is given more time than an ended one.
const OWN_KEY_WAITS = { key_not_valid: [1500], unknown_kid: [1500, 3500] };

// Sends one message (sendOnce) and watches for the person's own key being refused: asked again
// after the waits above, and if still refused the person's registration has ended (revoked,
// replaced by a 重新登记 elsewhere, removed): the record is marked `invalid` and the shell says
// so instead of showing a page (people.js, Invalid).
export async function send(service, type, data, opts = {}) {
  const own = !opts.signer || opts.signer === me;
  for (let tries = 0; ; tries++) {
    try {
      return await sendOnce(service, type, data, opts);
    } catch (e) {
      const waits = own && me && e instanceof Refusal && Object.hasOwn(OWN_KEY_WAITS, e.code) ? OWN_KEY_WAITS[e.code] : undefined;
      if (!waits) throw e;
      if (tries >= waits.length) {
        me = { ...me, invalid: e };
        changed();
        throw e;
      }
      await sleep(waits[tries]);
    }
  }
}

// Sends one message as protocol section 4 says: the same bytes again on 503/504, no answer or
// a transient error; past exp sealed again with the same id. The verified reply body.
async function sendOnce(service, type, data, opts = {}) {
  const signer = opts.signer ?? me;
  if (!signer) throw new Refusal("signed_out", "", "尚未登录，请先进入平台。");
  let sealed = await seal(signer.privateKey, signer.kid, signer.iss, service, type, data);
  const deadline = Date.now() + (opts.giveUpMs ?? 30000);
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    try {
      const answer = await post(service, sealed.frame, { timeoutMs: opts.timeoutMs ?? 10000 });
      const reply = await replyVerify(answer.frame, service, signer, sealed.id);
      if (reply.type !== "error") return reply;
      const refusal = refusalFrom(reply, answer.status);
      if (!TRANSIENT.has(reply.data?.code) || Date.now() > deadline) throw refusal;
    } catch (e) {
      const again = (e instanceof Problem && (e.status === 503 || e.status === 504)) ||
                     (!(e instanceof Problem) && !(e instanceof Refusal) && !(e instanceof ReplyRefused));
      if (!again || Date.now() > deadline) throw refusalFrom(e);
    }
    await sleep(wait);
    if (Date.now() / 1000 > sealed.body.exp - 5)
      sealed = await seal(signer.privateKey, signer.kid, signer.iss, service, type, data, { id: sealed.id });
  }
}

// A query: its verified result.
export async function ask(service, type, data = {}, opts = {}) {
  return (await send(service, type, data, opts)).data;
}

// How act() asks the person: a function (words) => Promise<boolean>, set by ui.js's dialog.
let confirmer = async () => false;
export function confirmSet(fn) { confirmer = fn; }

// A command: shown to the person in words first; null when cancelled, else the verified reply
// (ack: {status, result}).
export async function act(service, type, data, words, opts = {}) {
  if (!(await confirmer(words))) return null;
  return (await send(service, type, data, opts)).data;
}
