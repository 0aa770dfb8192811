"""xc-gateway's optional client certificates (services.gateway.tls.client_ca,
docs/services/gateway.md): a certificate signed by the client CA is bound to a principal (its
SHA-256 fingerprint listed in the registry's client_cert_sha256, else its subject's CN) and
must be the message's iss, else 403 before anything is forwarded; a client without one still
gets in (require_client_cert is off); one from another CA is refused."""

import json
import os
import subprocess

import pytest
import requests

from conftest import running_suite, write_json
from gatewaylib import (JOSE, PROBLEM, Gateway, department, make_pki, make_suite, open_reply, openssl,
                        stopped_at_end)


def client_cert(folder, name, cn, ca="ca"):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=folder)
    with open(os.path.join(folder, f"{name}.cnf"), "w", encoding="utf-8") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.cnf",
            cwd=folder)
    out = subprocess.run(["openssl", "x509", "-in", f"{name}.pem", "-noout", "-fingerprint",
                          "-sha256"], cwd=folder, check=True, capture_output=True, timeout=30)
    fingerprint = out.stdout.decode().strip().split("=", 1)[1].replace(":", "").lower()
    return (os.path.join(folder, f"{name}.pem"), os.path.join(folder, f"{name}.key")), fingerprint


@pytest.fixture(scope="module")
def cgw(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("gateway_client_cert"))
    pki = make_pki(folder)
    s = make_suite(folder)
    office, petition = department(s, "office"), department(s, "petition")
    certs = {}
    certs["office"], _ = client_cert(folder, "office", office.iss)
    certs["desk"], desk_fp = client_cert(folder, "desk", "desk-7")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=other CA",
            "-addext", "basicConstraints=critical,CA:TRUE", cwd=folder)
    certs["foreign"], _ = client_cert(folder, "foreign", office.iss, ca="other")
    for _ in running_suite(s):
        with open(s.registry_path, encoding="utf-8") as f:
            registry = json.load(f)
        for p in registry["principals"]:
            if p["iss"] == petition.iss:
                p["client_cert_sha256"] = [desk_fp]
        write_json(s.registry_path, registry)
        g = Gateway(s, extra={"tls": {"cert": pki["server.pem"], "key": pki["server.key"],
                                      "client_ca": pki["ca.pem"]}},
                    scheme="https", verify=pki["ca.pem"])
        g.office, g.petition, g.certs, g.ca = office, petition, certs, pki["ca.pem"]
        with stopped_at_end(g):
            yield g


def post(g, who, cert):
    frame, id_ = who.seal("echo", "health", {})
    r = requests.post(g.base + "/v1/echo", data=frame, headers={"Content-Type": JOSE},
                      verify=g.ca, cert=g.certs[cert] if cert else None, timeout=10)
    return r, id_


def test_a_certificate_whose_cn_is_the_signer_goes_through(cgw):
    r, id_ = post(cgw, cgw.office, "office")
    assert r.status_code == 200, r.text
    assert open_reply(r.content, cgw.jwks, "echo", cgw.office.iss, id_)["type"] == "result"


def test_a_certificate_of_another_principal_is_403_before_forwarding(cgw):
    r, _ = post(cgw, cgw.petition, "office")
    assert r.status_code == 403 and r.headers["Content-Type"] == PROBLEM, r.text
    p = r.json()
    assert p["type"] == "urn:xuncha:gateway:client-certificate", p
    assert cgw.petition.iss in p["detail"] and cgw.office.iss in p["detail"], p


def test_a_fingerprint_listed_in_the_registry_binds_the_certificate(cgw):
    r, id_ = post(cgw, cgw.petition, "desk")
    assert r.status_code == 200, r.text
    assert open_reply(r.content, cgw.jwks, "echo", cgw.petition.iss, id_)["type"] == "result"
    r, _ = post(cgw, cgw.office, "desk")
    assert r.status_code == 403, r.text


def test_no_certificate_is_still_served_when_not_required(cgw):
    r, _ = post(cgw, cgw.office, None)
    assert r.status_code == 200, r.text


def test_a_certificate_from_another_ca_is_refused(cgw):
    r, _ = post(cgw, cgw.office, "foreign")     # the handshake passes: the check is the gateway's
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "urn:xuncha:gateway:client-certificate"
