#!/usr/bin/env python3
"""核验 in a real browser (issue 23's bar: >= 5000 events verified per second).

    real xc-registry, xc-intake and xc-gateway serving web/ (tests/python/consolelib.py's
    console_suite), intake's outbox filled with ~20,000 real events (unit.register commands
    signed by the office, sent through the Python client in batches of 500 in flight), and
    Debian's chromium headless through selenium (tests/python/browserlib.py), the office signed
    in with a key made there.
    console_verify_events_per_s: the 核验 page (web/pages/verify.js, web/js/chain.js) from the
    click on 开始核验 until its summary: every event read with signed events.read queries
    through the gateway (each reply verified), every signature checked with WebCrypto, every
    hash link recomputed (in one worker per core); events over seconds, the median of 3 runs (tiny: 1). Floor: the same
    pages only read (the same signed, verified events.read queries, nothing checked), in the
    same browser, the same run: what the reading alone allows.
    Comments: chain.js's checks over pages already read (in the page, in workers);
    crypto.subtle.digest (parallel batches) against chain.js's synchronous sha256, and Ed25519
    verify alone, over the same messages, in operations per second; where the time of each 核验
    run went (waiting for pages, for checks) and the load average (the machine is shared).
    console_verify_5y_events_per_s: 核验 over the five years' records of every service
    (`xcctl simulate --profile changzhou-5y`: intake, referral, rectify; ~38,000 events), the
    median of 3 runs; floor: `xcctl audit verify` (C, libsodium) over the same stores, events
    per second.
XC_BENCH_TINY=1: 500 events; consolelib.seed's records for the five years' line.
Exit status 1 when something fails.
"""

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import REPO, TINY, bench, comment, load_average, report_wrong  # noqa: E402

EVENTS = 500 if TINY else 20000
RUNS = 1 if TINY else 3
BATCH = 500
PROFILE = "changzhou-5y"

# The floor, and each primitive alone: in the page, with session.js's ask.
PARTS = """
const done = arguments[arguments.length - 1];
(async () => {
  const session = await import("/js/session.js");
  const wire = await import("/js/wire.js");
  await session.sessionLoad();
  const t0 = performance.now();
  const events = [], pages = new Map();
  for (let after = 0, head = 1; after < head;) {
    const page = await session.ask("intake", "events.read", {after, limit: 1000});
    pages.set(after, page);
    head = page.head;
    if (!page.events.length) break;
    events.push(...page.events);
    after = page.events[page.events.length - 1].seq;
  }
  const read = performance.now() - t0;
  const chain = await import("/js/chain.js");
  const tc = performance.now();
  const checked = await chain.chainVerify("intake", async (after) => pages.get(after),
                                          chain.keysIndex(await wire.keysFetch()));
  const check = performance.now() - tc;
  const jwks = await wire.keysFetch();
  const checkers = chain.checkersStart(jwks);
  const tw = performance.now();
  const inWorkers = await chain.chainVerify("intake", async (after) => pages.get(after), chain.keysIndex(jwks), {checkers});
  const workers = performance.now() - tw;
  checkers.close();
  if (inWorkers.verified !== events.length) throw new Error(`chain.js in workers verified ${inWorkers.verified}`);
  if (checked.verified !== events.length) throw new Error(`chain.js verified ${checked.verified} of ${events.length}`);
  const enc = new TextEncoder();
  const keys = await wire.keysFetch();
  const t1 = performance.now();
  for (let i = 0; i < events.length; i += 1000)
    await Promise.all(events.slice(i, i + 1000).map((e) => {
      const m = enc.encode(e.message), b = new Uint8Array(32 + m.length);
      b.set(m, 32);
      return crypto.subtle.digest("SHA-256", b);
    }));
  const digest = performance.now() - t1;
  const t3 = performance.now();
  for (const e of events) {
    const m = enc.encode(e.message), b = new Uint8Array(32 + m.length);
    b.set(m, 32);
    chain.sha256(b);
  }
  const sync = performance.now() - t3;
  const t2 = performance.now();
  for (let i = 0; i < events.length; i += 1000)
    await Promise.all(events.slice(i, i + 1000).map(async (e) => {
      const m = JSON.parse(e.message);
      const kid = JSON.parse(atob(m.protected.replace(/-/g, "+").replace(/_/g, "/"))).kid;
      const jwk = keys.keys.find((k) => k.kid === kid);
      return crypto.subtle.verify({name: "Ed25519"}, await wire.verifierImport(jwk.x), wire.b64uDecode(m.signature),
                                  enc.encode(`${m.protected}.${m.payload}`));
    }));
  const verify = performance.now() - t2;
  return {n: events.length, read, check, workers, digest, sync, verify, cores: navigator.hardwareConcurrency};
})().then(done, (e) => done({error: String(e && (e.chinese || e.message) || e)}));
"""


def fill(c, n):
    """n unit.register commands signed by the office, BATCH in flight at a time: n events."""
    import xcwire
    client, office = c.clients["intake"], c.suite.office
    stamp = int(time.time())
    for start in range(0, n, BATCH):
        ids = []
        for i in range(start, min(n, start + BATCH)):
            frame, body = xcwire.seal(office, "intake", "unit.register",
                                      {"id": f"V-{stamp}-{i}", "name": f"核验基准单位{i}", "level": "village"})
            client.send(frame)
            ids.append(body["id"])
        for id_ in ids:
            _, _, body = client.receive(id_, office.iss, timeout=60)
            if body["type"] != "ack":
                raise SystemExit(f"unit.register: {body}")


def page_runs(b, c, expect, wrong):
    """RUNS runs of 核验 on the page (signed in already): each run's events per second. Every
    run must verify `expect` events with no fault."""
    rates = []
    for _ in range(RUNS):
        b.driver.get(c.base + "/#/verify")
        b.driver.refresh()
        b.wait_for("#verify-start").click()
        s = b.wait_for("#verify-summary", timeout=600)
        events, ms = int(s.get_attribute("data-events")), int(s.get_attribute("data-ms"))
        faults, verified = int(s.get_attribute("data-faults")), int(s.get_attribute("data-verified"))
        if faults or verified != expect:
            wrong.append(f"核验 found {faults} faults, verified {verified} of {expect}")
        rates.append(events / (ms / 1000))
        comment(f"核验: {events} events read, {verified} verified in {ms} ms: {rates[-1]:.0f} events/s "
                f"(waited {s.get_attribute('data-read-ms')} ms for pages, "
                f"{s.get_attribute('data-check-ms')} ms for checks; load average {load_average()})")
    return sorted(rates)


def five_years(folder, wrong):
    """核验 over the five years' records of every service (xcctl simulate --profile changzhou-5y;
    tiny: consolelib.seed's), against xcctl audit verify over the same stores as the floor."""
    import json
    import subprocess
    from browserlib import Browser
    from conftest import key_file, profile_policies
    from consolelib import console_suite, seed, signed_in
    xcctl = os.path.join(REPO, "build", "bin", "xcctl")
    policies = {} if TINY else profile_policies(PROFILE, ["intake", "referral", "rectify"])
    os.makedirs(folder)
    with console_suite(folder, policies=policies) as c:
        key = key_file(folder, c.suite.office)
        if TINY:
            seed(c)
        else:
            t = time.monotonic()
            r = subprocess.run([xcctl, "--config", c.suite.config_path, "--key", key, "--timeout", "60000",
                                "simulate", "--profile", PROFILE], cwd=REPO, capture_output=True, text=True, timeout=1800)
            if r.returncode != 0:
                raise SystemExit(f"xcctl simulate exit {r.returncode}: {r.stderr[-1000:]}")
            comment(f"xcctl simulate --profile {PROFILE}: {time.monotonic() - t:.1f} s")
        time.sleep(3)     # the consumers' own events (rectify's items) settle
        t = time.monotonic()
        r = subprocess.run([xcctl, "--config", c.suite.config_path, "--key", key, "--json", "audit", "verify"],
                           cwd=REPO, capture_output=True, text=True, timeout=600)
        xcctl_s = time.monotonic() - t
        report = json.loads(r.stdout)
        total = sum(x["events"] for x in report["services"])
        verified = sum(x["verified"] for x in report["services"])
        if r.returncode != 0:
            wrong.append(f"xcctl audit verify exit {r.returncode}")
        per_service = ", ".join(f"{x['service']} {x['events']}" for x in report["services"])
        comment(f"xcctl audit verify: {total} events, {verified} verified in {xcctl_s:.1f} s "
                f"({per_service})")
        with Browser(folder) as b:
            b.driver.set_script_timeout(600)
            signed_in(b, c, "bench-office", "office", display="基准办公室")
            rates = page_runs(b, c, verified, wrong)
        bench("console_verify_5y_events_per_s", round(rates[len(rates) // 2]), "events/s",
              round(total / xcctl_s), higher_is_better=True)


def main():
    sys.path.insert(0, os.path.join(REPO, "tests", "python"))
    from browserlib import Browser
    from consolelib import console_suite, signed_in

    wrong = []
    with tempfile.TemporaryDirectory(prefix="xc-verify-bench-") as folder:
        with console_suite(folder, services=["registry", "intake"]) as c:
            t = time.monotonic()
            fill(c, EVENTS)
            head = c.ok("intake", "events.read", {"limit": 1})["head"]
            comment(f"{EVENTS} unit.register commands in batches of {BATCH}: {time.monotonic() - t:.1f} s; "
                    f"intake's head {head}")
            with Browser(folder) as b:
                b.driver.set_script_timeout(600)
                signed_in(b, c, "bench-office", "office", display="基准办公室")
                rates = page_runs(b, c, head, wrong)
                got = b.driver.execute_async_script(PARTS)
                if "error" in got:
                    wrong.append(f"floor: {got['error']}")
                else:
                    n = got["n"]
                    comment(f"alone over the same {n} events: events.read pages {n / got['read'] * 1000:.0f}/s, "
                            f"chain.js's checks over the pages already read {n / got['check'] * 1000:.0f}/s in the page, "
                            f"{n / got['workers'] * 1000:.0f}/s in {got['cores']} workers, "
                            f"crypto.subtle.digest {n / got['digest'] * 1000:.0f}/s (in parallel), "
                            f"chain.js's synchronous sha256 {n / got['sync'] * 1000:.0f}/s, "
                            f"Ed25519 verify {n / got['verify'] * 1000:.0f}/s (batches of 1000 in parallel)")
                    rates.sort()
                    bench("console_verify_events_per_s", round(rates[len(rates) // 2]), "events/s",
                          round(n / got["read"] * 1000), higher_is_better=True)
        five_years(os.path.join(folder, "five-years"), wrong)
    return report_wrong(wrong)


if __name__ == "__main__":
    sys.exit(main())
