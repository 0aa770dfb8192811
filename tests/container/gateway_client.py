"""A department's client of the gateway in compose (test_compose.py), run as a program so that
it can run inside a network namespace made by the test (another host). It is gatewaylib's client
(tests/python: requests and PyNaCl only), over HTTPS with the test's CA:

    python3 gateway_client.py pki --out DIR --ip 10.232.0.1 [--ip ...]
        a CA and the gateway's certificate for those addresses (gatewaylib.make_pki)
    python3 gateway_client.py call --base https://HOST:PORT --ca ca.pem --key office.jwk \
        --iss office --unit UNIT-ID
        /v1/keys, then a signed unit.register to intake, its reply verified with the key
        /v1/keys gave; prints {"status", "reply": the reply's payload, "keys": the JWK Set}
    python3 gateway_client.py plain --address HOST:PORT
        plain HTTP to the TLS port; prints {"answered": bool, "status" or "error"}
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# gatewaylib imports the python tests' conftest: theirs first, not this folder's
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import requests  # noqa: E402

from gatewaylib import JOSE, Department, make_pki, open_reply  # noqa: E402

TIMEOUT = 30


def call(a):
    http = requests.Session()
    http.verify = a.ca
    http.trust_env = False
    keys = http.get(a.base + "/v1/keys", timeout=TIMEOUT).json()
    with open(a.key, encoding="utf-8") as f:
        who = Department(json.load(f), a.iss)
    frame, id_ = who.seal("intake", "unit.register",
                          {"id": a.unit, "name": "网关联调单位", "level": "town"})
    r = http.post(a.base + "/v1/intake", data=frame, headers={"Content-Type": JOSE}, timeout=TIMEOUT)
    assert r.headers["Content-Type"] == JOSE, (r.status_code, r.text)
    reply = open_reply(r.content, keys, "intake", a.iss, id_)
    return {"status": r.status_code, "reply": reply, "keys": keys}


def plain(a):
    try:
        r = requests.get(f"http://{a.address}/healthz", timeout=TIMEOUT)
        return {"answered": True, "status": r.status_code}
    except requests.RequestException as e:
        return {"answered": False, "error": type(e).__name__ + ": " + str(e)[:300]}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("pki")
    p.add_argument("--out", required=True)
    p.add_argument("--ip", action="append", required=True)
    c = sub.add_parser("call")
    for name in ("--base", "--ca", "--key", "--iss", "--unit"):
        c.add_argument(name, required=True)
    q = sub.add_parser("plain")
    q.add_argument("--address", required=True)
    a = ap.parse_args()
    if a.what == "pki":
        out = make_pki(a.out, a.ip)
    elif a.what == "call":
        out = call(a)
    else:
        out = plain(a)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
