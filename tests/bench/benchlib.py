"""Small helpers shared by the Python benchmarks (tests/bench/*_bench.py). Read-only for others.

Run from the repository root with /usr/bin/python3 (Debian's: zmq, nacl, pytest).

    TINY                       True when XC_BENCH_TINY=1 (the few-seconds version)
    bench(name, value, unit, floor, higher_is_better=False)
                               prints "BENCH <name> <value> <unit> floor=<floor> ratio=<ratio>";
                               ratio = floor/value (times, latencies, sizes), value/floor when
                               higher_is_better (rates); two decimals; returns the line
    comment(text)              prints "# <text>" (flushed)
    percentile(values, p)      nearest-rank percentile (p in 0..100) of a non-empty list
    load_average()             /proc/loadavg's first three figures, as text (the machine is shared)
    proc_kib(pid, field)       a field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM"), or None
    health_rtts(client, signer, n, timeout=5.0)
                               n bare signed `health` round trips with an xcwire.Client, in ms
    WebhookReceiver(registry, sender="notify")
                               a real HTTP server on 127.0.0.1 that verifies each POSTed body as a
                               message signed by sender (as tests/python/notify_servers.py does)
                               and records its monotonic arrival time; see the class
"""

import http.server
import math
import os
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "python"))
import xcwire  # noqa: E402

TINY = os.environ.get("XC_BENCH_TINY") == "1"


def _fmt(v):
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def bench(name, value, unit, floor, higher_is_better=False):
    if value is None or floor is None or not value or not floor:
        ratio = "n/a"
    else:
        ratio = f"{(value / floor if higher_is_better else floor / value):.2f}"
    line = f"BENCH {name} {_fmt(value) if value is not None else 'n/a'} {unit} " \
           f"floor={_fmt(floor) if floor is not None else 'n/a'} ratio={ratio}"
    print(line, flush=True)
    return line


def comment(text):
    print(f"# {text}", flush=True)


def percentile(values, p):
    s = sorted(values)
    k = max(1, math.ceil(p / 100.0 * len(s)))
    return s[k - 1]


def load_average():
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def proc_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def health_rtts(client, signer, n, timeout=5.0):
    out = []
    for _ in range(n):
        frame, body = xcwire.seal(signer, client.service, "health", {})
        t = time.monotonic()
        client.send(frame)
        reply = client.receive(body["id"], body["iss"], timeout)[2]
        out.append((time.monotonic() - t) * 1000.0)
        if reply["type"] != "result":
            raise RuntimeError(f"health answered {reply['type']}: {reply['data']}")
    return out


class DiskProbe:
    """What the disk under a folder does while a benchmark runs: every interval_s, 4 KiB
    overwritten in a file there (written whole and fsync'd first, so that no probe changes its
    size) and fdatasync'd, its time recorded. A latency goal on durable commits is at the
    mercy of the disk's stalls; this tells a stall of the disk from one of the suite. It adds
    1 / interval_s fdatasyncs a second to the disk's load."""

    BLOCKS = 64

    def __init__(self, folder, interval_s=0.05):
        self.path = os.path.join(folder, "disk-probe.dat")
        self.interval_s = interval_s
        self.times = []
        self.error = None
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                block, i = os.urandom(4096), 0
                os.write(fd, block * self.BLOCKS)
                os.fsync(fd)
                while not self.stop_event.wait(self.interval_s):
                    os.pwrite(fd, block, (i % self.BLOCKS) * 4096)
                    i += 1
                    t = time.monotonic()
                    os.fdatasync(fd)
                    self.times.append((time.monotonic() - t) * 1000.0)
            finally:
                os.close(fd)
        except OSError as e:
            self.error = f"the disk probe failed: {e}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(5.0)

    def summary(self):
        t = self.times
        if self.error or not t:
            return self.error or "no fdatasync measured"
        return (f"{len(t)} fdatasyncs of 4 KiB, one per {self.interval_s * 1000:.0f} ms: p50 "
                f"{percentile(t, 50):.2f} p99 {percentile(t, 99):.2f} max {max(t):.2f} ms, "
                f"{sum(1 for v in t if v > 50)} over 50 ms")


class _QuietServer(http.server.ThreadingHTTPServer):
    """A peer that closes a kept-alive connection (notify stopping) is not an error. The listen
    backlog is large: with socketserver's 5, a burst of new connections loses SYNs to TCP's 1 s
    retransmit, which the benchmark would charge to notify."""
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class WebhookReceiver:
    """POST /hook/<recipient>. Each body is verified as notify.md says a receiver does: a message
    signed by `sender` (key from the registry), aud the recipient, type notice, fresh on the wall
    clock; a message id seen before is answered 200 and not counted again (Idempotency-Key).
    HTTP/1.1 with keep-alive, as a department system would answer; 400 for a bad body.

    notices: list of (monotonic seconds when the body was read, message id, data) per new notice;
    errors: list of texts; copies: how many repeated ids came. wait(n, timeout) waits for n notices.
    """

    def __init__(self, registry, sender="notify"):
        self.registry = registry
        self.sender = sender
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.notices, self.errors, self.copies = [], [], 0
        self.seen = set()
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                recv._post(self)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, recipient):
        return f"http://127.0.0.1:{self.port}/hook/{recipient}"

    def _post(self, h):
        length = int(h.headers.get("Content-Length", "0"))
        raw = h.rfile.read(length) if h.headers.get("Transfer-Encoding", "").lower() != "chunked" else None
        t = time.monotonic()
        error, body = None, None
        try:
            if raw is None:
                raise xcwire.WireError("chunked body")
            recipient = h.path[len("/hook/"):] if h.path.startswith("/hook/") else None
            _, body = xcwire.check_notice(raw, self.registry, self.sender, recipient, h.path)
            if h.headers.get("Idempotency-Key") != body["id"]:
                raise xcwire.WireError("Idempotency-Key is not the message id")
        except Exception as e:      # noqa: BLE001 - every error is counted and answered 400
            error = f"{type(e).__name__}: {e}"
        with self.cond:
            if error:
                self.errors.append(error)
            elif body["id"] in self.seen:
                self.copies += 1
            else:
                self.seen.add(body["id"])
                self.notices.append((t, body["id"], body["data"]))
                self.cond.notify_all()
        answer = b'{"ok":false}' if error else b'{"ok":true}'
        h.close_connection = raw is None       # a body not read leaves the connection unusable
        h.send_response(400 if error else 200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(answer)))
        h.end_headers()
        h.wfile.write(answer)

    def count(self):
        with self.lock:
            return len(self.notices)

    def wait(self, n, timeout):
        """Waits until n notices came or timeout seconds passed: whether they came."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.notices) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def run_suite_bench(prefix, run, wrong):
    """Calls run(folder, holder) in a fresh temporary folder; run puts the suite it starts in
    holder["suite"]. Whatever it raises, and every service that then exits other than cleanly,
    is added to wrong (with the end of its log)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        holder = {}
        try:
            run(folder, holder)
        except BaseException as e:      # pytest.fail (conftest) raises a BaseException
            wrong.append(f"{type(e).__name__}: {e}")
        finally:
            if "suite" in holder:
                for n, st in holder["suite"].stop().items():
                    if st not in (0, "not started"):
                        wrong.append(f"xc-{n} exit status {st}:\n{holder['suite'].deployments[n].log_tail(20)}")


def report_wrong(wrong):
    """Prints each thing that went wrong as comment lines; the exit status: 1 if any, else 0."""
    for w in wrong:
        print("\n".join(f"# {'WRONG: ' if k == 0 else '  '}{line}" for k, line in enumerate(w.splitlines())),
              flush=True)
    return 1 if wrong else 0
