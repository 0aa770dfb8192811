"""A load of signed commands to one service, with many in flight, that records what was acked.

Each command is sealed once and its same bytes are resent until an answer comes (a DEALER
reconnects by itself while the service restarts or its host is cut off), so a command is
applied at most once and every ack is kept. Used by the container tests; runs as a program
too, so that it can be started inside a network namespace (`ip netns exec HOST python3 load.py`).

    python3 load.py --endpoint tcp://10.77.0.1:7110 --service intake --registry principals.json \
        --key office.jwk [--curve office.jwk.curve] --type unit.register \
        --data '{"id": "L-{i}", "name": "负载单位{i}", "level": "town"}' --count 500 \
        --inflight 32 --seconds 60 --out result.json

The result is {"sent", "acked": {i: result}, "refused": {i: error}, "unanswered": [i, ...]}.
"""
import argparse
import json
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import xcwire  # noqa: E402


def signer_from_jwk(path):
    with open(path, encoding="utf-8") as f:
        jwk = json.load(f)
    iss = jwk["kid"].split("#", 1)[0]
    return xcwire.Signer(iss, jwk["kid"], seed=xcwire.unb64u(jwk["d"]))


def curve_keys(path):
    """A CURVE keypair file {"public", "secret"} (Z85)."""
    with open(path, encoding="utf-8") as f:
        kp = json.load(f)
    return kp["public"].encode("ascii"), kp["secret"].encode("ascii")


def fill(template, i):
    """The template with every "{i}" in its strings replaced by i."""
    if isinstance(template, str):
        return template.replace("{i}", str(i))
    if isinstance(template, list):
        return [fill(v, i) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, i) for k, v in template.items()}
    return template


class Load:
    def __init__(self, endpoint, service, registry, signer, curve=None, server_key=None):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RECONNECT_IVL, 100)
        self.sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        if curve:
            self.sock.curve_publickey, self.sock.curve_secretkey = curve
            self.sock.curve_serverkey = server_key
        self.sock.connect(endpoint)
        self.service = service
        self.registry = registry
        self.signer = signer

    def close(self):
        self.sock.close(0)
        self.ctx.term()

    def run(self, commands, inflight=32, seconds=60.0, resend_s=1.0):
        """commands: [(type, data)]; returns the result described above."""
        deadline = time.monotonic() + seconds
        pending = {}            # id -> [index, frame, last sent]
        acked, refused = {}, {}
        nxt = 0
        while time.monotonic() < deadline and (nxt < len(commands) or pending):
            while nxt < len(commands) and len(pending) < inflight:
                type_, data = commands[nxt]
                frame, body = xcwire.seal(self.signer, self.service, type_, data,
                                          exp=int(time.time()) + 3000)
                pending[body["id"]] = [nxt, frame, 0.0]
                nxt += 1
            now = time.monotonic()
            for entry in pending.values():
                if now - entry[2] >= resend_s:
                    try:
                        self.sock.send(entry[1], zmq.NOBLOCK)
                    except zmq.Again:
                        pass        # not connected now; the next round resends it
                    entry[2] = now
            if not self.sock.poll(50, zmq.POLLIN):
                continue
            while True:
                try:
                    frame = self.sock.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                _, body = xcwire.open_message(frame, self.registry)
                entry = pending.pop(body.get("corr"), None)
                if entry is None:
                    continue        # the answer to a resend already answered
                if body["type"] == "error":
                    refused[entry[0]] = body["data"]
                else:
                    acked[entry[0]] = body["data"]
        return {"sent": nxt, "acked": acked, "refused": refused,
                "unanswered": sorted(e[0] for e in pending.values())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--curve", help="the sender's CURVE keypair file; the server's public key "
                    "is read from the registry")
    ap.add_argument("--type", required=True)
    ap.add_argument("--data", required=True, help="JSON; {i} in strings is the command's index")
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--inflight", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.registry, encoding="utf-8") as f:
        doc = json.load(f)
    registry = xcwire.Registry(doc)
    curve = server_key = None
    if a.curve:
        curve = curve_keys(a.curve)
        server_key = registry.principals[a.service]["curve"].encode("ascii")
    template = json.loads(a.data)
    commands = [(a.type, fill(template, i)) for i in range(a.first, a.first + a.count)]
    load = Load(a.endpoint, a.service, registry, signer_from_jwk(a.key), curve, server_key)
    try:
        result = load.run(commands, a.inflight, a.seconds)
    finally:
        load.close()
    result["acked"] = {str(a.first + i): v for i, v in result["acked"].items()}
    result["refused"] = {str(a.first + i): v for i, v in result["refused"].items()}
    result["unanswered"] = [a.first + i for i in result["unanswered"]]
    with open(a.out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(a.out + ".tmp", a.out)
    print(f"load: sent {result['sent']}, acked {len(result['acked'])}, refused "
          f"{len(result['refused'])}, unanswered {len(result['unanswered'])}")


if __name__ == "__main__":
    main()
