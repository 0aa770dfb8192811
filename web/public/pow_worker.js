// pow_worker.js: the 码上巡 page's proof of work in a worker (docs/console.md, "码上巡"): given
// {challenge, bits}, finds the first decimal nonce with SHA-256(challenge + ":" + nonce) having
// `bits` leading zero bits (the gateway's GET /v1/public/pow), with chain.js's synchronous
// SHA-256 (no round trip to WebCrypto per try). Posts {tried} now and then, then {nonce, tried}.
import { sha256 } from "../js/chain.js";

const utf8 = new TextEncoder();
const REPORT_EVERY = 4096;

// Whether the hash starts with `bits` zero bits.
export function zeroBitsHave(hash, bits) {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (hash[i] !== 0) return false;
  return bits === 0 || (hash[i] >> (8 - bits)) === 0;
}

self.onmessage = (e) => {
  const { challenge, bits } = e.data;
  const prefix = `${challenge}:`;
  for (let n = 0; ; n++) {
    if (zeroBitsHave(sha256(utf8.encode(prefix + n)), bits)) {
      self.postMessage({ nonce: String(n), tried: n + 1 });
      return;
    }
    if (n % REPORT_EVERY === REPORT_EVERY - 1) self.postMessage({ tried: n + 1 });
  }
};
