#!/usr/bin/env python3
"""end_to_end_latency and memory: from a signed `problem.report` sent to intake until the webhook
notice for that problem arrives at a real HTTP server, at a steady rate; and each service's peak
resident memory.

    real xc-intake and xc-notify (build/bin), keys, registry and config as tests/python/conftest.py's
    Suite makes them, the deployment's default limits; notify's only source is intake.
    Benchmark configuration (not a deployment's): intake's policies.intake.restricted_principals is
    ["referral", "notify"], so that notify reads the restricted problem.recorded, and notify has one
    rule bench-recorded: problem.recorded -> role:office -> webhook, to one directory entry whose
    webhook is benchlib.WebhookReceiver in this process (it verifies every JWS as notify_servers.py
    does). problem.recorded was chosen over problem.fed_back: it is the event problem.report itself
    makes, so the path is one command (fed_back needs a second command, problem.classify, whose
    timing would be part of the measure).
    The load is open loop: a separate process (this file with --sender) sends problem.report as the
    petition bureau on a fixed schedule (500/s for 20 s; XC_BENCH_TINY=1: 50 at 50/s) without waiting
    for acks, reading acks in between, and records the monotonic time of each send; the receiver
    records the monotonic time each notice's body was read (CLOCK_MONOTONIC is the same clock in
    both processes). Floor: the same percentile of bare signed health round trips to intake (the
    service the command goes to), measured idle just before the load, in the same run.
    The disk: while the load runs, a thread here fdatasyncs 4 KiB in the suite's folder every
    50 ms and reports those times (benchlib.DiskProbe): a stall of the disk delays every ack
    behind it, and this tells it from a stall of the suite. The probe's 20 fdatasyncs a second
    are part of the disk's load (the services make about a thousand).
    Memory: VmHWM of each service after the load; floor its VmRSS just after start.
Exit status 1 when a command was not acked, a notice is missing or bad, or a service died.
"""

import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (REPO, TINY, DiskProbe, WebhookReceiver, bench, comment, health_rtts, load_average,  # noqa: E402
                      percentile, proc_kib, report_wrong, run_suite_bench)

import xcwire  # noqa: E402  (benchlib put tests/python on the path)

RATE = 50 if TINY else 500               # problem.report per second
COUNT = 50 if TINY else 10000            # 1 s tiny, 20 s full
HEALTH_N = 50 if TINY else 500
SETTLE_S = 20.0 if TINY else 60.0        # the longest wait for the last notices after the last send
UNIT = "U-BENCH"


def report_data(i):
    return {"unit": UNIT, "category": "public_concerns", "summary": f"bench-{i}",
            "detail": "群众反映的问题（基准测试）", "severity": "general", "source": "petition"}


# --- the sender (a separate process) ------------------------------------------------------------

def sender(spec_path):
    import zmq
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    registry = xcwire.Registry.load(spec["registry"])
    with open(spec["key"], encoding="utf-8") as f:
        jwk = json.load(f)
    signer = xcwire.Signer(spec["iss"], jwk["kid"], seed=xcwire.unb64u(jwk["d"]))
    ctx = zmq.Context()
    client = xcwire.Client(ctx, spec["endpoint"], registry, "intake")
    count, rate = spec["count"], spec["rate"]
    send_t = [None] * count
    ack_t = [None] * count
    pending = {}                     # message id -> index
    acked, refused, bad = {}, {}, []

    def drain(wait_ms):
        if not client.sock.poll(wait_ms, zmq.POLLIN):
            return
        while True:
            try:
                frame = client.sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                _, body = xcwire.open_message(frame, registry)
            except xcwire.WireError as e:
                bad.append(str(e))
                continue
            i = pending.pop(body.get("corr"), None)
            if i is None:
                continue
            if body["type"] == "ack":
                acked[i] = body["data"]["result"]["problem"]
                ack_t[i] = time.monotonic()
            else:
                refused[i] = body["data"]

    try:
        # the connection is up before the schedule starts
        client.call(signer, "health", {})
        behind_max = 0.0
        t0 = time.monotonic() + 0.05
        limit = t0 + count / rate + 30.0
        for i in range(count):
            target = t0 + i / rate
            while True:
                left = target - time.monotonic()
                if left <= 0:
                    break
                if left >= 0.001:
                    drain(int(left * 1000))
                else:
                    time.sleep(left)     # no busy wait: the services need the cores
            frame, body = xcwire.seal(signer, "intake", "problem.report", report_data(i))
            pending[body["id"]] = i
            t = time.monotonic()
            client.send(frame)
            send_t[i] = t
            behind_max = max(behind_max, t - target)
            if t > limit:
                break
        sent = sum(1 for t in send_t if t is not None)
        last = time.monotonic()
        while pending and time.monotonic() - last < 30.0:
            drain(100)
        result = {"sent": sent, "send_t": send_t, "ack_t": ack_t, "acked": {str(k): v for k, v in acked.items()},
                  "refused": {str(k): v for k, v in refused.items()}, "unanswered": len(pending),
                  "bad": bad[:10], "behind_max_ms": behind_max * 1000.0,
                  "send_span_s": (max(t for t in send_t if t is not None) - t0) if sent else 0.0}
    finally:
        client.close()
        ctx.term()
    with open(spec["out"] + ".tmp", "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(spec["out"] + ".tmp", spec["out"])


# --- the benchmark -------------------------------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def mib(kib):
    return kib / 1024.0 if kib is not None else None


def run(folder, receiver, wrong, holder):
    """The benchmark in folder; holder["suite"] is the Suite once made (the caller stops it)."""
    from conftest import Suite, key_file, write_json     # imports pytest: only here

    # A benchmark configuration: notify is a restricted reader of intake's events, and
    # one rule sends every problem.recorded to the receiver's webhook.
    policies = {
        "intake": {"restricted_principals": ["referral", "notify"]},
        "notify": {
            "sources": ["intake"],
            "directory": {"bench-desk": {"name": "基准接收端", "roles": ["office"],
                                         "channels": {"webhook": receiver.url("bench-desk")}}},
            "rules": [{"id": "bench-recorded", "events": ["problem.recorded"],
                       "to": ["role:office"], "channels": ["webhook"]}],
            "retry": {"max_attempts": 5, "backoff_ms": 100, "backoff_max_ms": 1000,
                      "timeout_ms": 5000}}}
    suite = holder["suite"] = Suite(folder, ["intake", "notify"],
                                    {"office": ("office", "office", {}),
                                     "petition": ("petition-bureau", "petition", {})}, policies)
    suite.config["limits"] = {}      # the deployment's defaults (docs/configuration.md)
    write_json(suite.config_path, suite.config)
    receiver.registry = suite.registry
    suite.start()
    pids = {n: d.proc.pid for n, d in suite.deployments.items()}
    idle = {n: proc_kib(pid, "VmRSS") for n, pid in pids.items()}

    intake = suite.client("intake")
    reply = intake.call(suite.office, "unit.register", {"id": UNIT, "name": "基准镇", "level": "town"})
    if reply["type"] != "ack":
        raise RuntimeError(f"unit.register: {reply}")
    # one problem through the whole path first: the configuration works, connections are up
    reply = intake.call(suite.petition, "problem.report", dict(report_data(-1), summary="warm-up"))
    if reply["type"] != "ack" or not receiver.wait(1, 15.0):
        raise RuntimeError(f"the warm-up problem got no notice (reply {reply['type']}); "
                           f"receiver errors {receiver.errors[:3]}")
    warm = receiver.count()

    floor_intake = health_rtts(intake, suite.office, HEALTH_N)
    floor_notify = health_rtts(suite.client("notify"), suite.office, HEALTH_N)

    cpu0 = {n: cpu_seconds(pid) for n, pid in pids.items()}
    own0 = os.times().user + os.times().system
    spec = {"endpoint": suite.deployments["intake"].ready["api"], "registry": suite.registry_path,
            "key": key_file(folder, suite.petition), "iss": suite.petition.iss,
            "count": COUNT, "rate": RATE, "out": os.path.join(folder, "sent.json")}
    spec_path = os.path.join(folder, "sender.json")
    write_json(spec_path, spec)
    load_before = load_average()
    with DiskProbe(folder) as disk:
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--sender", spec_path],
                                stdin=subprocess.DEVNULL)
        try:
            proc.wait(COUNT / RATE + 90)
        except subprocess.TimeoutExpired:
            wrong.append("the sender did not finish in time")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    try:
        with open(spec["out"], encoding="utf-8") as f:
            sent = json.load(f)
    except (OSError, ValueError):
        sent = None
        wrong.append(f"the sender left no result (exit {proc.returncode})")

    want = warm + (sent["sent"] if sent else 0)
    receiver.wait(want, SETTLE_S)
    hwm = {n: proc_kib(pid, "VmHWM") for n, pid in pids.items()}
    cpu = {f"xc-{n}": cpu_seconds(pid) - cpu0[n] for n, pid in pids.items()}
    cpu["sender"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime \
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    mine = os.times()
    cpu["receiver (this process)"] = mine.user + mine.system - own0
    for n, d in suite.deployments.items():
        if d.proc.poll() is not None:
            wrong.append(f"xc-{n} died (exit {d.proc.returncode}):\n{d.log_tail(20)}")

    with receiver.lock:
        notices = list(receiver.notices)
        errors, copies = list(receiver.errors), receiver.copies
    recv_t, strays = {}, 0
    for t, _, data in notices:
        summary = (data.get("data", {}).get("problem") or {}).get("summary", "")
        if summary.startswith("bench-"):
            recv_t[int(summary[len("bench-"):])] = t
        elif summary != "warm-up":
            strays += 1
    lat = []
    if sent:
        lat = [(recv_t[i] - t) * 1000.0 for i, t in enumerate(sent["send_t"])
               if t is not None and i in recv_t]
        missing = sent["sent"] - len(lat)
        comment(f"end_to_end_latency: problem.report -> intake -> problem.recorded -> notify -> webhook, "
                f"open loop {RATE}/s, {COUNT} planned, from another process; settings: deployment "
                f"default limits, notify source intake only, keep-alive HTTP receiver")
        comment(f"load average before the load {load_before}, after {load_average()} (others share the machine)")
        comment(f"sent {sent['sent']} in {sent['send_span_s']:.2f} s (at most "
                f"{sent['behind_max_ms']:.1f} ms behind schedule), acked {len(sent['acked'])}, "
                f"refused {len(sent['refused'])}, unanswered {sent['unanswered']}, notices "
                f"received {len(lat)} (+{warm} warm-up), missing {missing}, bad notices {len(errors)}, "
                f"copies {copies}, strays {strays}")
        if len(sent["acked"]) != sent["sent"] or sent["refused"] or sent["unanswered"] or sent["bad"]:
            wrong.append(f"commands not acked: refused {list(sent['refused'].items())[:3]}, "
                         f"unanswered {sent['unanswered']}, bad replies {sent['bad'][:3]}")
        if sent["sent"] != COUNT:
            wrong.append(f"only {sent['sent']} of {COUNT} sent within the time limit")
        if missing:
            wrong.append(f"{missing} notices missing after {SETTLE_S:.0f} s")
    if errors or strays:
        wrong.append(f"bad notices: {errors[:3]}; strays {strays}")

    comment(f"health round trips, idle, just before the load ({HEALTH_N} each): intake p50 "
            f"{percentile(floor_intake, 50):.2f} p99 {percentile(floor_intake, 99):.2f} ms; notify p50 "
            f"{percentile(floor_notify, 50):.2f} p99 {percentile(floor_notify, 99):.2f} ms")
    comment(f"the disk of the services' stores during the load: {disk.summary()}")
    if disk.error:
        wrong.append(disk.error)
    comment(f"CPU seconds during the load and its settling ({os.cpu_count()} cores): "
            + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    if sent and lat:
        to_ack = [(a - t) * 1000.0 for t, a in zip(sent["send_t"], sent["ack_t"]) if t is not None and a is not None]
        after_ack = [(recv_t[i] - a) * 1000.0 for i, a in enumerate(sent["ack_t"]) if a is not None and i in recv_t]
        if to_ack and after_ack:
            comment(f"split: report -> ack (intake) p50 {percentile(to_ack, 50):.2f} p99 {percentile(to_ack, 99):.2f} ms; "
                    f"ack -> notice (notify, receiver) p50 {percentile(after_ack, 50):.2f} "
                    f"p99 {percentile(after_ack, 99):.2f} ms")
    if lat:
        comment(f"latency min {min(lat):.2f} p90 {percentile(lat, 90):.2f} max {max(lat):.2f} ms; "
                f"{sum(1 for v in lat if v > 50)} over 50 ms, {sum(1 for v in lat if v > 500)} over 500 ms; "
                f"goal (issue 10): p99 under 50 ms")
        bench("end_to_end_latency_p50", percentile(lat, 50), "ms", percentile(floor_intake, 50))
        bench("end_to_end_latency_p99", percentile(lat, 99), "ms", percentile(floor_intake, 99))
    else:
        wrong.append("no latency measured")
    for n in suite.deployments:
        bench(f"memory_{n}", mib(hwm[n]), "MiB", mib(idle[n]))


def main():
    os.chdir(REPO)
    wrong = []
    started = time.monotonic()
    receiver = WebhookReceiver(None)
    try:
        run_suite_bench("xc-e2e-bench-", lambda folder, holder: run(folder, receiver, wrong, holder), wrong)
    finally:
        receiver.stop()
    comment(f"e2e_bench took {time.monotonic() - started:.1f} s{' (tiny)' if TINY else ''}")
    return report_wrong(wrong)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sender":
        sender(sys.argv[2])
        sys.exit(0)
    sys.exit(main())
