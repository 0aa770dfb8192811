#!/usr/bin/env python3
"""stats_query and memory: how long the whole `xcctl stats` command takes over the five-year
simulation's data, and each service's peak resident memory in that run.

    real xc-intake, xc-referral and xc-rectify (build/bin) from empty stores, keys, registry and
    config as tests/python/test_simulate.py makes them (conftest.Suite, the office's key file),
    with the deployment's default limits as tools/run-local.sh runs them; then
    `build/bin/xcctl simulate --profile changzhou-5y` (20,459 problems, five years of a city's tours).
    stats_query: `xcctl stats` (the table a person reads: three signed queries, verified answers,
    the process's start and exit included), 10 runs (tiny: 3) alternating with `xcctl health`
    (the same three services, bare signed round trips): p50 and max. Floor: the same figure of
    `xcctl health`, in the same run. Each xcctl command pays about 250 ms per service it connects
    to before its first request goes out (common/transport.c: ZMQ_IMMEDIATE, then the first resend
    wait), which both figures share, so
    stats_query_calls: the three stats queries over connections already up, against the three
    health queries the same way, shows what the queries themselves cost (health is not free on a
    full store either: it counts the inbox, common/inbox.c).
    memory_<service>_stats: VmHWM after the simulation and the queries; floor VmRSS just after
    start (empty store). (memory_<service> without a suffix is e2e_bench's.)
    XC_BENCH_TINY=1: no simulation (no smaller profile exists); stats over a few units and
    problems made here.
Exit status 1 when a command fails, the problem count is not the profile's, or a service died.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (REPO, TINY, bench, comment, load_average, percentile, proc_kib,  # noqa: E402
                      report_wrong, run_suite_bench)

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
PROFILE = "changzhou-5y"
RUNS = 3 if TINY else 10
TINY_UNITS, TINY_PROBLEMS = 5, 20


def run(folder, wrong, holder):
    """The benchmark in folder; holder["suite"] is the Suite once made (the caller stops it)."""
    from conftest import Suite, key_file, write_json     # imports pytest: only here

    suite = holder["suite"] = Suite(folder, ["intake", "referral", "rectify"],
                                    {"office": ("office", "office", {}),
                                     "petition": ("petition-bureau", "petition", {})})
    suite.config["limits"] = {}      # the deployment's defaults, as make run has them
    write_json(suite.config_path, suite.config)
    key = key_file(folder, suite.office)
    suite.start()
    pids = {n: d.proc.pid for n, d in suite.deployments.items()}
    idle = {n: proc_kib(pid, "VmRSS") for n, pid in pids.items()}

    def xcctl(*args, timeout=60):
        t = time.monotonic()
        r = subprocess.run([XCCTL, "--config", suite.config_path, "--key", key, "--timeout", "60000", *args],
                           cwd=REPO, capture_output=True, text=True, timeout=timeout)
        return r, (time.monotonic() - t) * 1000.0

    if TINY:
        intake = suite.client("intake")
        for u in range(TINY_UNITS):
            reply = intake.call(suite.office, "unit.register", {"id": f"U{u}", "name": f"基准单位{u}", "level": "town"})
            if reply["type"] != "ack":
                raise RuntimeError(f"unit.register: {reply}")
        for i in range(TINY_PROBLEMS):
            reply = intake.call(suite.petition, "problem.report",
                                {"unit": f"U{i % TINY_UNITS}", "category": "public_concerns", "summary": f"问题{i}",
                                 "detail": "群众反映的问题", "severity": "general", "source": "petition"})
            if reply["type"] != "ack":
                raise RuntimeError(f"problem.report: {reply}")
        comment(f"stats_query tiny: no simulation (no smaller profile than {PROFILE}); stats over "
                f"{TINY_UNITS} units and {TINY_PROBLEMS} problems made here")
        want_problems = TINY_PROBLEMS
    else:
        r, ms = xcctl("simulate", "--profile", PROFILE, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError(f"xcctl simulate exit {r.returncode}: {r.stdout[-500:]} {r.stderr[-1500:]}")
        comment(f"xcctl simulate --profile {PROFILE}: {ms / 1000.0:.1f} s; it said: {r.stdout.strip()}")
        with open(os.path.join(REPO, "config", "profiles", f"{PROFILE}.json"), encoding="utf-8") as f:
            want_problems = json.load(f)["problems"]

    # the data is what it should be before it is timed
    r, _ = xcctl("--json", "stats")
    if r.returncode != 0:
        raise RuntimeError(f"xcctl --json stats exit {r.returncode}: {r.stderr[-500:]}")
    total = json.loads(r.stdout)["intake"]["problems"]["total"]
    if total != want_problems:
        wrong.append(f"intake.stats counts {total} problems, not {want_problems}")

    load_before = load_average()
    stats_ms, health_ms = [], []
    for _ in range(RUNS):
        for args, out in ((("health",), health_ms), (("stats",), stats_ms)):
            r, ms = xcctl(*args)
            if r.returncode != 0:
                wrong.append(f"xcctl {args[0]} exit {r.returncode}: {r.stderr.strip()[-300:]}")
            out.append(ms)
    # the same three queries over connections that are up: what the services themselves take
    clients = {n: suite.client(n) for n in suite.deployments}
    calls_ms, calls_floor_ms = [], []
    each = {(n, k): [] for n in clients for k in ("health", "stats")}
    for _ in range(RUNS):
        for kind, out in (("health", calls_floor_ms), ("stats", calls_ms)):
            total_ms = 0.0
            for n, c in clients.items():
                t = time.monotonic()
                reply = c.call(suite.office, "health" if kind == "health" else f"{n}.stats", {})
                ms = (time.monotonic() - t) * 1000.0
                if reply["type"] != "result":
                    wrong.append(f"{n} {kind}: {reply['type']} {reply['data']}")
                each[(n, kind)].append(ms)
                total_ms += ms
            out.append(total_ms)
    hwm = {n: proc_kib(pid, "VmHWM") for n, pid in pids.items()}
    for n, d in suite.deployments.items():
        if d.proc.poll() is not None:
            wrong.append(f"xc-{n} died (exit {d.proc.returncode}):\n{d.log_tail(20)}")

    comment(f"load average before the queries {load_before}, after {load_average()} (others share the machine)")
    comment(f"stats_query: the whole `xcctl stats` command ({RUNS} runs, alternating with `xcctl health`), "
            f"{total} problems; stats ms {' '.join(f'{v:.0f}' for v in stats_ms)}; "
            f"health ms {' '.join(f'{v:.0f}' for v in health_ms)}")
    bench("stats_query", percentile(stats_ms, 50), "ms", percentile(health_ms, 50))
    bench("stats_query_max", max(stats_ms), "ms", max(health_ms))
    comment(f"stats_query_calls: intake.stats, referral.stats and rectify.stats one after another over "
            f"connections already up (Python client), p50 of {RUNS}; floor: the three health queries the same way; "
            f"p50 each: " + ", ".join(f"{n} stats {percentile(each[(n, 'stats')], 50):.1f} health "
                                      f"{percentile(each[(n, 'health')], 50):.1f} ms" for n in clients))
    bench("stats_query_calls", percentile(calls_ms, 50), "ms", percentile(calls_floor_ms, 50))
    for n in suite.deployments:
        kib_hwm, kib_idle = hwm[n], idle[n]
        bench(f"memory_{n}_stats", kib_hwm / 1024.0 if kib_hwm else None, "MiB", kib_idle / 1024.0 if kib_idle else None)


def main():
    os.chdir(REPO)
    wrong = []
    started = time.monotonic()
    run_suite_bench("xc-stats-bench-", lambda folder, holder: run(folder, wrong, holder), wrong)
    comment(f"stats_bench took {time.monotonic() - started:.1f} s{' (tiny)' if TINY else ''}")
    return report_wrong(wrong)


if __name__ == "__main__":
    sys.exit(main())
