// chain_worker.js: chain.js's checks of links and signatures in a worker (checkersStart): the
// first message gives the reader's keys (a JWK Set), each later one {id, service, items}.
import { itemsCheck, keysIndex } from "./chain.js";

let keys = null;
self.onmessage = async (e) => {
  const m = e.data;
  if (m.jwks) { keys = keysIndex(m.jwks); return; }
  self.postMessage({ id: m.id, ...(await itemsCheck(m.items, m.service, keys)) });
};
