"""docs/openapi.yaml, the HTTP gateway's OpenAPI 3.1 description (issue 21): valid by a real
validator, complete against the services' route tables, and exactly what tools/openapi.py
writes from them now, so that it cannot drift.

The validator is the vendored @seriousme/openapi-schema-validator (tools/vendor/openapi-validator,
README there: version, licence, sha256), run by node (Debian's nodejs, `make deps`), unpacked by
`make test` into build/vendor/openapi-validator without network; a targeted pytest run unpacks
it the same way when it is not there yet. The route tables are read here on their own, not
with the generator's reader: the route rows as tests/python/test_access.py finds them, the
members of each route's data as tests/python/test_xcctl_newcomer.py does (through cc -E).
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO
import xcwire

DOC = os.path.join(REPO, "docs", "openapi.yaml")
GENERATOR = os.path.join(REPO, "tools", "openapi.py")
VENDOR = os.path.join(REPO, "tools", "vendor", "openapi-validator")
MODULES = os.path.join(REPO, "build", "vendor", "openapi-validator")
SERVICES = ("intake", "referral", "rectify", "notify", "registry")
# every service answers these besides its own routes (common/service_routes.c; clock.set only
# in test mode, and not described)
BUILTIN = {"events.read": "query", "health": "query"}
POST_STATUSES = {"200", "400", "401", "403", "404", "405", "409", "413", "415", "422", "429", "501", "502",
                 "503", "504"}


def node():
    path = shutil.which("node")
    assert path, "node is missing: make deps installs Debian's nodejs"
    return path


def validate(path, cases=None, tmp_path=None):
    """Runs the vendored validator on path; returns its report (validate.mjs)."""
    if not os.path.exists(os.path.join(MODULES, ".stamp")):
        subprocess.run([os.path.join(VENDOR, "install.sh"), MODULES], check=True, timeout=120)
    args = [node(), os.path.join(VENDOR, "validate.mjs"), os.path.join(MODULES, "node_modules"), path]
    if cases is not None:
        cf = tmp_path / "cases.json"
        cf.write_text(json.dumps(cases))
        args.append(str(cf))
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert p.stdout.strip(), p.stderr
    report = json.loads(p.stdout)
    assert p.returncode == (0 if report["valid"] else 1), (p.returncode, p.stderr)
    return report


@pytest.fixture(scope="module")
def report():
    r = validate(DOC)
    assert r["valid"], json.dumps(r["errors"], indent=1)[:4000]
    return r


@pytest.fixture(scope="module")
def doc(report):
    return report["document"]


def source_routes(service):
    """type -> "command" | "query", as tests/python/test_access.py reads the C source."""
    routes = {}
    for path in sorted(os.listdir(os.path.join(REPO, "services", service))):
        if not path.endswith(".c") or path.endswith("_test.c"):
            continue
        with open(os.path.join(REPO, "services", service, path), encoding="utf-8") as f:
            for m in re.finditer(r'\{\s*"([a-z0-9_.]+)",\s*XC_(COMMAND|QUERY)\s*,', f.read()):
                routes[m.group(1)] = m.group(2).lower()
    return routes


def source_members(service):
    """type -> {member: required} of each route's data, through cc -E, as
    tests/python/test_xcctl_newcomer.py reads them."""
    src = subprocess.run(["cc", "-E", "-P", "-I.", f"services/{service}/routes.c"], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    arrays = {}
    for m in re.finditer(r"xc_field_t\s+(\w+)\s*\[\]\s*=\s*\{(.*?)\{\s*\.name\s*=\s*(?:NULL|\(\(void\s*\*\)0\)|0)"
                         r"\s*\}\s*,?\s*\};", src, re.S):
        arrays[m.group(1)] = {f.group(1): ".required = 1" in f.group(2) or ".required = true" in f.group(2)
                              for f in re.finditer(r"\{\s*\.name\s*=\s*\"(\w+)\"(.*?)\}", m.group(2), re.S)}
    out = {}
    for m in re.finditer(r"\{\s*\"([a-z_]+\.[a-z_]+)\",\s*XC_\w+,\s*\w+,\s*(\w+|\(\(void \*\)0\))", src):
        out[m.group(1)] = arrays.get(m.group(2), {})
    return out


def test_the_validator_finds_the_file_valid_openapi_3_1(report, doc):
    assert report["version"] == "3.1" and doc["openapi"].startswith("3.1."), (report["version"], doc["openapi"])
    # every schema under components compiled as JSON Schema 2020-12 (strict about keywords)
    assert report["schemas"] == len(doc["components"]["schemas"]) > 50, report["schemas"]


@pytest.mark.parametrize("breakage", ["dangling_ref", "misspelt_keyword", "status_code", "body_parameter"])
def test_the_validator_refuses_a_broken_file(doc, tmp_path, breakage):
    """The validator is no rubber stamp: each of these breakages of the real file is refused."""
    d = json.loads(json.dumps(doc))
    post = d["paths"]["/v1/intake"]["post"]
    if breakage == "dangling_ref":
        post["requestBody"]["content"]["application/jose+json"]["schema"]["$ref"] = "#/components/schemas/Nothing"
    elif breakage == "misspelt_keyword":
        d["components"]["schemas"]["intake.problem.report"]["properties"]["summary"]["maxLenght"] = 5
    elif breakage == "status_code":
        post["responses"]["2000"] = post["responses"]["200"]
    else:                                       # Swagger 2.0's, not OpenAPI 3's
        d["paths"]["/v1/events/{service}/hints"]["get"]["parameters"][0]["in"] = "body"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(d))
    assert not validate(str(path))["valid"], breakage


def test_the_file_is_what_the_generator_writes_now():
    p = subprocess.run([sys.executable, GENERATOR, "--stdout"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    with open(DOC, encoding="utf-8") as f:
        assert f.read() == p.stdout, "docs/openapi.yaml drifted from the route tables: run tools/openapi.py"
    assert subprocess.run([sys.executable, GENERATOR, "--check"], cwd=REPO, timeout=120).returncode == 0


def test_the_yaml_reads_as_the_generator_document(doc):
    """The generator's own YAML emitter: the validator's YAML parser reads the file back to the
    very document the generator built."""
    p = subprocess.run([sys.executable, GENERATOR, "--json"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert doc == json.loads(p.stdout)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_in_the_file_with_its_data_schema(doc, service):
    routes = dict(source_routes(service), **BUILTIN)
    members = source_members(service)
    assert len(routes) > len(BUILTIN), routes
    schemas = doc["components"]["schemas"]
    cap = service.capitalize()
    envelope = schemas[f"{cap}Envelope"]["allOf"][1]
    # the envelope's type is exactly the service's routes, each with its data schema
    assert sorted(envelope["properties"]["type"]["enum"]) == sorted(routes), service
    assert envelope["properties"]["aud"] == {"const": service}
    variants = {v["properties"]["type"]["const"]: v["properties"]["data"]["$ref"] for v in envelope["oneOf"]}
    assert sorted(variants) == sorted(routes)
    for type_, kind in routes.items():
        name = f"{service}.{type_}"
        assert variants[type_] == f"#/components/schemas/{name}", (type_, variants[type_])
        s = schemas[name]
        assert s["type"] == "object" and s["additionalProperties"] is False, name
        assert kind in s["description"], (name, kind, s["description"])
        if type_ in members:                    # a service's own route: its members, required ones
            want = members[type_]
            assert sorted(s.get("properties", {})) == sorted(want), (name, sorted(want))
            assert sorted(s.get("required", [])) == sorted(k for k, r in want.items() if r), name
    # the path: POST /v1/<service>, the flattened JWS whose payload is that envelope
    post = doc["paths"][f"/v1/{service}"]["post"]
    body = post["requestBody"]["content"]["application/jose+json"]["schema"]["$ref"]
    assert body == f"#/components/schemas/{cap}Request"
    jws = schemas[f"{cap}Request"]
    assert sorted(jws["required"]) == ["payload", "protected", "signature"] and jws["additionalProperties"] is False
    assert jws["properties"]["payload"]["contentSchema"] == {"$ref": f"#/components/schemas/{cap}Envelope"}
    assert jws["properties"]["payload"]["contentEncoding"] == "base64url"


def test_post_responses_are_the_status_table(doc):
    for service in SERVICES:
        responses = doc["paths"][f"/v1/{service}"]["post"]["responses"]
        assert set(responses) == POST_STATUSES, (service, sorted(responses))
        assert "application/jose+json" in responses["200"]["content"]
        for code in ("400", "401", "403", "404", "409", "413", "422", "503"):
            assert responses[code]["content"]["application/jose+json"]["schema"]["$ref"] == \
                "#/components/schemas/Reply", (service, code)
        for code in ("400", "404", "405", "413", "415", "503", "504"):
            assert responses[code]["content"]["application/problem+json"]["schema"]["$ref"] == \
                "#/components/schemas/Problem", (service, code)
        for code in ("503",):
            assert "Retry-After" in responses[code]["headers"], (service, code)
    # and the table is in the document's words too
    for code in sorted(POST_STATUSES):
        assert re.search(rf"^\| {code} \|", doc["info"]["description"], re.M), code


def _generator():
    import importlib.util
    spec = importlib.util.spec_from_file_location("openapi_generator", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _md_table(text, heading, first_cell):
    """The rows of the first table under '## heading' whose header starts with first_cell."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows, inside = [], False
    for line in section.splitlines():
        if line.startswith(f"| {first_cell}"):
            inside = True
            continue
        if inside and line.startswith("|---"):
            continue
        if inside and line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif inside:
            break
    assert rows, (heading, first_cell)
    return rows


def test_one_status_table_gateway_docs_and_generator_agree():
    """services/gateway/status.c, the two tables of docs/services/gateway.md, the problem codes
    the gateway answers itself (main.c's s_problem calls) and tools/openapi.py: one table."""
    gen = _generator()
    with open(os.path.join(REPO, "services", "gateway", "status.c"), encoding="utf-8") as f:
        c_table = dict(re.findall(r'\{ "([a-z_]+)", (\d+) \}', f.read()))
    c_table = {k: int(v) for k, v in c_table.items()}
    assert len(c_table) >= 19, c_table
    with open(os.path.join(REPO, "docs", "services", "gateway.md"), encoding="utf-8") as f:
        md = f.read()
    docs = {}
    for reply, status in _md_table(md, "Status", "reply"):
        codes = re.findall(r"`([a-z_]+)`", reply)
        for c in codes:
            if c not in ("ack", "accepted", "duplicate", "result", "reply_timeout_ms"):
                docs[c] = int(status[:3])
    assert docs == c_table, (docs, c_table)
    gen_codes = {c: int(s) for s, _, codes in gen.STATUS for c in codes if c not in ("ack", "result")}
    assert gen_codes == c_table, (gen_codes, c_table)
    # what the gateway refuses itself on POST /v1/{service}
    docs_refusals = {}
    for row in _md_table(md, "What the gateway refuses itself", "code"):
        docs_refusals[row[0].strip("`")] = int(row[1][:3])
    src = ""
    for name in ("main.c", "request.c", "hints.c", "metrics.c", "framing.c"):
        path = os.path.join(REPO, "services", "gateway", name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                src += f.read()
    code_refusals = {c: int(s) for s, c in re.findall(r'(?:s_problem|s_refuse|request_problem_set) \(\s*[&\w>.-]+,\s*(\d+),\s*"([a-z-]+)"', src)}
    assert code_refusals == docs_refusals, (code_refusals, docs_refusals)
    gen_refusals = {c: int(s) for s, codes, _ in gen.GATEWAY_ONLY for c in codes}
    # the public channel's own (docs/services/gateway.md, "The public channel"), not POST /v1/{service}'s
    not_for_post = {"not-found", "registry-unreadable", "too-many-streams", "public-off", "busy",
                    "signing-failed", "qr-failed"}
    assert {c: s for c, s in docs_refusals.items() if c not in not_for_post} == gen_refusals
    assert int(gen.NOT_A_REPLY[0]) == 502 and re.search(r"\| 502 \|", md)


def test_the_gateway_own_paths(doc):
    p = doc["paths"]
    assert "application/json" in p["/healthz"]["get"]["responses"]["200"]["content"]
    assert "application/json" in p["/v1/directory"]["get"]["responses"]["200"]["content"]
    keys = p["/v1/keys"]["get"]["responses"]["200"]["content"]["application/jwk-set+json"]["schema"]
    assert keys == {"$ref": "#/components/schemas/JwkSet"}
    hints = p["/v1/events/{service}/hints"]["get"]
    assert "text/event-stream" in hints["responses"]["200"]["content"]
    assert hints["parameters"][0]["schema"]["enum"] == list(SERVICES)
    assert "text/plain" in p["/metrics"]["get"]["responses"]["200"]["content"]
    public = {f"/v1/public/{r}" for r in ("pow", "info", "report", "receipt", "answer", "files", "qr")}
    assert set(p) == {f"/v1/{s}" for s in SERVICES} | {"/healthz", "/v1/directory", "/v1/keys",
                                                        "/v1/events/{service}/hints", "/metrics"} | public
    ack = p["/v1/public/report"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ack == {"$ref": "#/components/schemas/PublicAcknowledgement"}


def test_a_message_signed_as_clients_sign_matches_the_schemas(report, tmp_path):
    """A problem.report made by the project's own client code (xcwire, docs/protocol.md section 12):
    the outer object against IntakeRequest, its decoded payload against IntakeEnvelope; the same
    body with a member the route does not know, or for another service, does not match."""
    team = xcwire.Signer("team-1", "team-1-k1")
    data = {"unit": "U1", "category": "party", "summary": "s", "detail": "d", "severity": "minor",
            "source": "inspection_team", "evidence": [{"file": "photo.jpg", "sha256": "ab" * 32}],
            "occurred_on": "2024-05-31"}
    frame, _ = xcwire.seal(team, "intake", "problem.report", data)
    outer = json.loads(frame)
    body = json.loads(xcwire.unb64u(outer["payload"]))
    header = json.loads(xcwire.unb64u(outer["protected"]))
    bad_member = dict(body, data=dict(data, colour="red"))
    other_aud = dict(body, aud="referral")
    cases = [{"schema": "IntakeRequest", "instance": outer},
             {"schema": "Header", "instance": header},
             {"schema": "IntakeEnvelope", "instance": body},
             {"schema": "IntakeEnvelope", "instance": bad_member},
             {"schema": "IntakeEnvelope", "instance": other_aud},
             {"schema": "IntakeRequest", "instance": dict(outer, extra="x")}]
    r = validate(DOC, cases, tmp_path)
    got = [c["valid"] for c in r["cases"]]
    assert got == [True, True, True, False, False, False], json.dumps(r["cases"], indent=1)[:3000]
