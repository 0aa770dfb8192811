"""Helpers of the several-hosts test (test_hosts.py): network namespaces as hosts joined by a
bridge, partitions made with nft inside a host, the hosts' addresses, and a command runner built
on load.py's Load (plus a health probe of every service).

The runner runs as a program inside a namespace (the client host), like load.py:

    ip netns exec HOST python3 hosts.py send --endpoint tcp://10.231.0.11:7110 --service intake \
        --registry principals.json --key office.jwk --curve office.jwk.curve \
        --commands commands.json [--inflight 16] [--rate 60] [--seconds 60] --out result.json

commands.json is [[type, data], ...] (any data, integers included, which load.py's {i}
template cannot give). With --rate the commands go out in small batches at about that many a
second, so that the load lasts long enough to be cut in the middle; each batch is resent (same
bytes) until answered, as load.py does. The result has load.py's shape with indexes into the
list, plus "answered_at": {index: Unix time (float) when its batch was all answered}.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# The hosts: a private /24 that exists only inside the namespaces made here.
SUBNET = "10.231.0"
SERVICES = {            # name: (host address's last octet, api port); events on port + 1
    "intake": (11, 7110),
    "referral": (12, 7120),
    "rectify": (13, 7130),
    "notify": (14, 7140),
}
CLIENT_OCTET = 20


def address(octet):
    return f"{SUBNET}.{octet}"


def api_endpoint(service):
    octet, port = SERVICES[service]
    return f"tcp://{address(octet)}:{port}"


def run(*args, check=True, timeout=60, input=None):
    """A command's completed process (text); fails with its output when check and it fails."""
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                       input=input)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {p.returncode}\n"
                             f"stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
    return p


class Hosts:
    """Network namespaces named PREFIX + name, each with one veth (eth0) on the bridge br0 of the
    switch namespace PREFIX + "sw".

    close() removes every namespace made (and with it the veths, the nft tables and the
    addresses): call it from a finalizer."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.made = []
        self.switch = self.prefix + "sw"

    def start(self):
        """The switch: a namespace with the bridge br0."""
        self._add_ns("sw")
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")

    def _add_ns(self, name):
        ns = self.prefix + name
        # a namespace of this very name left by an interrupted run of this test goes first
        if ns in run("ip", "netns", "list").stdout.split():
            run("ip", "netns", "del", ns)
        run("ip", "netns", "add", ns)
        self.made.append(ns)
        return ns

    def ns(self, name):
        return self.prefix + name

    def add(self, name, octet):
        """A host with address SUBNET.octet/24 on eth0, and lo up."""
        ns = self._add_ns(name)
        port = f"p{octet}"
        run("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
            "netns", self.switch)
        run("ip", "-n", self.switch, "link", "set", port, "master", "br0")
        run("ip", "-n", self.switch, "link", "set", port, "up")
        run("ip", "-n", ns, "addr", "add", f"{address(octet)}/24", "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")
        return ns

    def cut(self, name):
        """Drops everything in and out of the host's eth0 (loopback goes on): a partition."""
        run("ip", "netns", "exec", self.ns(name), "nft", "-f", "-", input=(
            "table inet xc_cut {\n"
            "  chain in { type filter hook input priority -10; iifname \"eth0\" drop; }\n"
            "  chain out { type filter hook output priority -10; oifname \"eth0\" drop; }\n"
            "}\n"))

    def heal(self, name):
        run("ip", "netns", "exec", self.ns(name), "nft", "delete", "table", "inet", "xc_cut")

    def is_cut(self, name):
        p = run("ip", "netns", "exec", self.ns(name), "nft", "list", "tables", check=False)
        return "xc_cut" in p.stdout

    def close(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        self.made = []


def python_in(ns, *args, timeout=120):
    """Runs this machine's python3 (with zmq and nacl) inside a namespace."""
    return run("ip", "netns", "exec", ns, "/usr/bin/python3", *args, timeout=timeout)


# --- the runner ------------------------------------------------------------------------------

def send(endpoint, service, registry_path, key, curve, commands, inflight=16, rate=0.0,
         seconds=60.0):
    sys.path.insert(0, HERE)
    import load  # noqa: E402  (load.py beside this file; it finds xcwire itself)
    import xcwire  # noqa: E402

    with open(registry_path, encoding="utf-8") as f:
        registry = xcwire.Registry(json.load(f))
    server_key = registry.principals[service]["curve"].encode("ascii") if curve else None
    client = load.Load(endpoint, service, registry, load.signer_from_jwk(key),
                       load.curve_keys(curve) if curve else None, server_key)
    start = time.monotonic()
    deadline = start + seconds
    batch = max(1, int(rate / 4)) if rate > 0 else len(commands) or 1
    result = {"sent": 0, "acked": {}, "refused": {}, "unanswered": [], "answered_at": {}}
    try:
        for first in range(0, len(commands), batch):
            chunk = commands[first:first + batch]
            left = deadline - time.monotonic()
            if left <= 0:
                result["unanswered"].extend(range(first, len(commands)))
                break
            r = client.run(chunk, inflight, left)
            now = time.time()
            result["sent"] += r["sent"]
            for i, v in r["acked"].items():
                result["acked"][str(first + i)] = v
                result["answered_at"][str(first + i)] = now
            for i, v in r["refused"].items():
                result["refused"][str(first + i)] = v
            result["unanswered"].extend(first + i for i in r["unanswered"])
            result["unanswered"].extend(range(first + r["sent"], first + len(chunk)))
            if rate > 0:        # the next batch when its time comes
                pause = start + (first + len(chunk)) / rate - time.monotonic()
                if pause > 0:
                    time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
    finally:
        client.close()
    return result


def health(registry_path, key, curve, seconds=3.0, services=None):
    """{service: its health result, or None when it did not answer within seconds}."""
    out = {}
    for service in services or SERVICES:
        r = send(api_endpoint(service), service, registry_path, key, curve, [("health", {})],
                 inflight=1, seconds=seconds)
        out[service] = r["acked"].get("0")
    return out


def main():
    ap = argparse.ArgumentParser(description="sends a list of signed commands or queries")
    sub = ap.add_subparsers(dest="what", required=True)
    h = sub.add_parser("health", help="every service's health (JSON; null: no answer)")
    h.add_argument("--registry", required=True)
    h.add_argument("--key", required=True)
    h.add_argument("--curve")
    h.add_argument("--seconds", type=float, default=3.0)
    h.add_argument("services", nargs="*", help="these only (default: all)")
    s = sub.add_parser("send")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--service", required=True)
    s.add_argument("--registry", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--curve")
    s.add_argument("--commands", required=True, help="a JSON file: [[type, data], ...]")
    s.add_argument("--inflight", type=int, default=16)
    s.add_argument("--rate", type=float, default=0.0, help="commands a second (0: at once)")
    s.add_argument("--seconds", type=float, default=60.0)
    s.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.what == "health":
        print(json.dumps(health(a.registry, a.key, a.curve, a.seconds, a.services)))
        return
    with open(a.commands, encoding="utf-8") as f:
        commands = [tuple(c) for c in json.load(f)]
    result = send(a.endpoint, a.service, a.registry, a.key, a.curve, commands, a.inflight,
                  a.rate, a.seconds)
    with open(a.out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    os.replace(a.out + ".tmp", a.out)
    print(f"send: {a.service}: sent {result['sent']}, acked {len(result['acked'])}, refused "
          f"{len(result['refused'])}, unanswered {len(result['unanswered'])}")


if __name__ == "__main__":
    main()
