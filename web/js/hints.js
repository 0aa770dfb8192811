// hints.js: the services' event hints in the browser (the gateway's GET /v1/events/{service}/hints,
// Server-Sent Events; docs/services/gateway.md, "Hints"). Each hint is the service's signed
// events.head and is believed only once verified with /v1/keys as a reply is (wire.verifyHint). A
// hint says only "read again"; what changed is read with signed queries.
import { verifyHint } from "./wire.js";
import { keysGet } from "./session.js";

// Watches the services' heads: onHead(service, seq) for each verified hint whose seq is new for
// that service (the first one of a stream too: events may have come before it opened). Hints that
// fail verification are dropped (and counted in the returned watcher's `refused`). close() ends
// the streams.
export function hintsWatch(services, onHead) {
  const last = new Map();
  const watcher = { refused: 0, streams: [], close() { for (const s of this.streams) s.close(); } };
  for (const service of services) {
    const stream = new EventSource(`/v1/events/${encodeURIComponent(service)}/hints`);
    stream.addEventListener("events.head", async (e) => {
      let body;
      try {
        body = await hintVerify(e.data, service);
      } catch {
        watcher.refused++;
        return;
      }
      const seq = body.data.seq;
      if (last.get(service) === seq) return;
      last.set(service, seq);
      onHead(service, seq);
    });
    watcher.streams.push(stream);
  }
  return watcher;
}

// A hint signed by a key the page does not know yet (a service's new key): /v1/keys read again.
async function hintVerify(frame, service) {
  try {
    return await verifyHint(frame, await keysGet(), service);
  } catch (e) {
    if (!String(e.message).startsWith("no key")) throw e;
    return verifyHint(frame, await keysGet(true), service);
  }
}

// Runs load() at most once at a time: a call while it runs queues one more run (however many
// calls came meanwhile), made when it ends. The returned function resolves when the run that
// will have seen this call's state is done.
export function coalesced(load) {
  let running = null, queued = null;
  const run = () => {
    running = Promise.resolve().then(load).finally(() => {
      running = null;
      if (queued) { const q = queued; queued = null; q.start(); }
    });
    return running;
  };
  return () => {
    if (!running) return run();
    if (!queued) {
      let start;
      const done = new Promise((resolve) => { start = () => run().then(resolve, resolve); });
      queued = { start, done };
    }
    return queued.done;
  };
}
