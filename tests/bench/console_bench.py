#!/usr/bin/env python3
"""The console in a real browser over the five years' data (issue 22's bars).

    real xc-registry, xc-intake, xc-referral, xc-rectify, xc-notify and xc-gateway serving web/
    (tests/python/consolelib.py's console_suite, the profile's policies), filled by
    `build/bin/xcctl simulate --profile changzhou-5y` (20,459 problems), and Debian's chromium
    headless through selenium (tests/python/browserlib.py).
    console_problems_ready: the office's problem list (#/problems), from navigation (a full load
    of the page: the modules, the services' keys, the signed query, its verification) until the
    list's first rows are drawn: ui.js's ListView marks that moment (performance mark
    xc-list-ready, ms since the navigation began); p50 and max of 10 loads (tiny: 3); the bar is
    < 1000 ms. Floor: the same page's load event (the files alone), p50 in the same run.
    console_unit_items_ready: a unit's item list (#/unit-items) as that unit's liaison, the unit
    with the most items of the profile; the same way.
    console_command: a signed command from the click on the confirmation dialog's 确认 until the
    service's verified ack (session.js act: sign with the non-extractable key, POST through the
    gateway, verify the reply with the service's key): unit.register, a new unit each time, 200
    runs (tiny: 20), p50 and p99 (bar: p99 < 100 ms). Floor: a signed health query the same way
    (ask), p50 in the same run.
XC_BENCH_TINY=1: no simulation; consolelib.seed's data.
Exit status 1 when something fails.
"""

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import REPO, TINY, bench, comment, percentile, report_wrong  # noqa: E402

LOADS = 3 if TINY else 10
COMMANDS = 20 if TINY else 200
PROFILE = "changzhou-5y"

READY = """
const done = arguments[arguments.length - 1];
const t0 = performance.now();
(function look() {
  const m = performance.getEntriesByName("xc-list-ready");
  const nav = performance.getEntriesByType("navigation")[0];
  if (m.length && nav && nav.loadEventEnd > 0) return done({ready: m[0].startTime, load: nav.loadEventEnd});
  if (performance.now() - t0 > 30000) return done({error: "no xc-list-ready mark within 30 s: " + document.body.innerText.slice(0, 300)});
  setTimeout(look, 20);
})();
"""

COMMAND = """
const done = arguments[arguments.length - 1];
const args = arguments[0];
(async () => {
  const session = await import("/js/session.js");
  await session.sessionLoad();
  const out = {command: [], query: []};
  for (let i = 0; i < args.n; i++) {
    const t = performance.now();
    await session.ask("intake", "health", {});
    out.query.push(performance.now() - t);
  }
  for (let i = 0; i < args.n; i++) {
    const id = `${args.prefix}${i}`;
    const p = session.act("intake", "unit.register", {id, name: `基准单位${i}`, level: "village"},
                          `登记单位 ${id}`);
    let ok;
    for (let k = 0; k < 500 && !(ok = document.querySelector("dialog#confirm[open] #confirm-ok")); k++)
      await new Promise((r) => setTimeout(r, 2));
    if (!ok) throw new Error("no confirmation dialog");
    const t = performance.now();
    ok.click();
    const reply = await p;
    out.command.push(performance.now() - t);
    if (!reply || reply.status !== "accepted") throw new Error("unit.register: " + JSON.stringify(reply));
  }
  return out;
})().then(done, (e) => done({error: String(e && (e.chinese || e.message) || e)}));
"""


def loads(browser, url, what, wrong):
    """Times LOADS full loads of url: (ready ms list, load-event ms list)."""
    ready, load = [], []
    for _ in range(LOADS):
        browser.driver.get("about:blank")
        browser.driver.get(url)
        got = browser.driver.execute_async_script(READY)
        if "error" in got:
            wrong.append(f"{what}: {got['error']}")
            return None, None
        ready.append(got["ready"])
        load.append(got["load"])
    return ready, load


def main():
    sys.path.insert(0, os.path.join(REPO, "tests", "python"))
    from browserlib import Browser
    from consolelib import console_suite, seed, signed_in
    from conftest import profile_policies

    wrong = []
    with tempfile.TemporaryDirectory(prefix="xc-console-bench-") as folder:
        services = ["registry", "intake", "referral", "rectify", "notify"]
        policies = {} if TINY else profile_policies(PROFILE, ["intake", "referral", "rectify"])
        with console_suite(folder, policies=policies) as c:
            if TINY:
                seed(c)         # consolelib's units, rounds and items: U-A has items
                unit = "U-A"
                comment("console tiny: no simulation; consolelib.seed's few units, problems and items")
            else:
                import subprocess
                from conftest import key_file
                key = key_file(folder, c.suite.office)
                t = time.monotonic()
                r = subprocess.run([os.path.join(REPO, "build", "bin", "xcctl"), "--config", c.suite.config_path,
                                    "--key", key, "--timeout", "60000", "simulate", "--profile", PROFILE],
                                   cwd=REPO, capture_output=True, text=True, timeout=1800)
                if r.returncode != 0:
                    raise SystemExit(f"xcctl simulate exit {r.returncode}: {r.stderr[-1000:]}")
                comment(f"xcctl simulate --profile {PROFILE}: {time.monotonic() - t:.1f} s")
                # the unit with the most items: counted from rectify's own list
                counts, after = {}, None
                while True:
                    page = c.ok("rectify", "rectify.list", {"limit": 500, **({"after": after} if after else {})})
                    for it in page["items"]:
                        counts[it["unit"]] = counts.get(it["unit"], 0) + 1
                    after = page.get("next")
                    if after is None:
                        break
                unit = max(counts, key=counts.get)
                comment(f"the unit with the most items: {unit} ({counts[unit]} items of {sum(counts.values())})")
            with Browser(folder) as b:
                b.driver.set_script_timeout(600)
                signed_in(b, c, "bench-office", "office", display="基准办公室")
                ready, load = loads(b, c.base + "/#/problems", "the office's problem list", wrong)
                if ready:
                    bench("console_problems_ready", percentile(ready, 50), "ms", percentile(load, 50))
                    bench("console_problems_ready_max", max(ready), "ms", max(load))
                got = b.driver.execute_async_script(COMMAND, {"n": COMMANDS, "prefix": f"BENCH-{int(time.time())}-"})
                if "error" in got:
                    wrong.append(f"console_command: {got['error']}")
                else:
                    bench("console_command", percentile(got["command"], 50), "ms", percentile(got["query"], 50))
                    bench("console_command_p99", percentile(got["command"], 99), "ms", percentile(got["query"], 99))
            with Browser(folder) as b:
                b.driver.set_script_timeout(120)
                signed_in(b, c, "bench-unit", "unit", scope={"units": [unit]}, display="基准单位联络员")
                ready, load = loads(b, c.base + "/#/unit-items", "the unit's item list", wrong)
                if ready:
                    bench("console_unit_items_ready", percentile(ready, 50), "ms", percentile(load, 50))
                    bench("console_unit_items_ready_max", max(ready), "ms", max(load))
    return report_wrong(wrong)


if __name__ == "__main__":
    sys.exit(main())
