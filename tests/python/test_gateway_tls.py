"""xc-gateway over TLS (services.gateway.tls, docs/services/gateway.md): a CA and a server
certificate made with openssl in a temporary folder, a signed POST through curl --cacert and
requests (verify=the CA) answered with the service's signed reply, plain HTTP to the TLS port
refused, a missing or unreadable key file stopping the gateway at start with its name."""

import copy
import os
import socket
import subprocess

import pytest
import requests

from conftest import running_suite, write_json
from gatewaylib import stopped_at_end, JOSE, make_pki, Gateway, department, make_suite, open_reply


@pytest.fixture(scope="module")
def tls_gw(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("gateway_tls"))
    pki = make_pki(folder)
    s = make_suite(folder)
    for _ in running_suite(s):
        g = Gateway(s, extra={"tls": {"cert": pki["server.pem"], "key": pki["server.key"]}},
                    scheme="https", verify=pki["ca.pem"])
        g.office = department(s, "office")
        g.pki = pki
        with stopped_at_end(g):
            yield g


def test_requests_with_the_ca_gets_the_signed_reply(tls_gw):
    assert tls_gw.base.startswith("https://127.0.0.1:")
    r, body = tls_gw.call(tls_gw.office, "echo", "health", {})
    assert r.status_code == 200 and body["type"] == "result", body
    assert tls_gw.http.get(tls_gw.base + "/healthz", timeout=5).json()["status"] == "ok"


def test_curl_with_the_ca_gets_the_signed_reply(tls_gw, tmp_path):
    frame, id_ = tls_gw.office.seal("echo", "health", {})
    path = tmp_path / "frame.json"
    path.write_bytes(frame)
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", tls_gw.pki["ca.pem"],
                          "-H", f"Content-Type: {JOSE}", "--data-binary", f"@{path}",
                          "-w", "\n%{http_code}", tls_gw.base + "/v1/echo"],
                         capture_output=True, timeout=20, check=True)
    raw, _, code = out.stdout.rpartition(b"\n")
    assert code == b"200", out
    body = open_reply(raw, tls_gw.jwks, "echo", tls_gw.office.iss, id_)
    assert body["type"] == "result", body


def test_an_unknown_ca_is_refused_by_the_client(tls_gw):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_gw.base + "/healthz", timeout=5, verify=True)


def test_plain_http_to_the_tls_port_fails(tls_gw):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(tls_gw.base.replace("https://", "http://") + "/healthz", timeout=5)
    host, port = tls_gw.ready["http"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.settimeout(5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
        data = b""
        try:
            for _ in range(100):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
    assert b"HTTP/1.1 200" not in data and b'"status"' not in data, data


@pytest.mark.parametrize("what", ["missing", "unreadable"])
def test_a_bad_key_file_stops_the_gateway_at_start(tls_gw, tmp_path, what):
    key = str(tmp_path / "absent.key")
    if what == "unreadable":
        key = str(tmp_path / "a-folder.key")
        os.mkdir(key)                     # opened, but not read: root reads any mode
    config = copy.deepcopy(tls_gw.suite.config)
    config["services"]["gateway"] = {"http": "127.0.0.1:0",
                                     "tls": {"cert": tls_gw.pki["server.pem"], "key": key}}
    path = str(tmp_path / "config.json")
    write_json(path, config)
    ready = str(tmp_path / "ready")
    p = subprocess.run([os.path.join("build", "bin", "xc-gateway"), "--config", path,
                        "--ready-file", ready], capture_output=True, timeout=10,
                       stdin=subprocess.DEVNULL)
    log = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 1, log
    assert "services.gateway.tls.key" in log and key in log, log
    assert not os.path.exists(ready)
