#!/usr/bin/python3
"""openapi.py: writes docs/openapi.yaml, the OpenAPI 3.1 description of the HTTP gateway
(issue 21), from the services' own route tables.

    tools/openapi.py            write docs/openapi.yaml
    tools/openapi.py --check    exit 1 if docs/openapi.yaml is not what this script writes now
    tools/openapi.py --stdout   print it instead

Each message type's `data` schema is derived from services/<name>/routes.c: the C preprocessor
(`cc -E -P -I.`, as tests/python/test_xcctl_newcomer.py reads them) expands the macros, then
the xc_field_t arrays, the one_of lists and the xc_route_t table are read from its text, with
the built-in routes every service answers (events.read, health: common/service_routes.c;
clock.set is test mode only and not described). The hand-written parts (paths, the status
table, the problem body) are below in this file. Debian's python3 only: no third-party module;
the YAML is written by the small emitter at the end (every one-line string double-quoted,
JSON-style, which YAML 1.2 reads as JSON reads it; a multi-line one as a literal block).
"""
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "docs", "openapi.yaml")
# the services the gateway carries, in the order of the issue (echo is a test service)
SERVICES = ("intake", "referral", "rectify", "notify", "registry")

# --- reading the route tables ----------------------------------------------------------------

INT64_MAX = 2 ** 63 - 1


def preprocess(path):
    return subprocess.run(["cc", "-E", "-P", "-I.", path], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=True).stdout


def c_int(expr):
    """An integer constant expression of the expanded source: numbers with L/U suffixes,
    parentheses, casts to integer types, + - * /."""
    e = re.sub(r"\(\s*(?:long|int|unsigned|signed|short|int64_t|uint64_t|size_t|\s)+\)", "", expr)
    e = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", e)
    if not re.fullmatch(r"[\s0-9a-fA-FxX()+\-*/]*", e):
        raise ValueError(f"not an integer constant: {expr!r}")
    return int(eval(e.replace("/", "//"), {"__builtins__": {}}))  # digits and operators only


def split_top(text, sep=","):
    """Splits at sep outside braces, brackets, parentheses and strings."""
    out, depth, cur, i, in_str = [], 0, [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            cur.append(c)
            if c == "\\":
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            cur.append(c)
        elif c in "{([":
            depth += 1
            cur.append(c)
        elif c in "})]":
            depth -= 1
            cur.append(c)
        elif c == sep and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def strip_braces(s):
    s = s.strip()
    assert s.startswith("{") and s.endswith("}"), s
    return s[1:-1]


class Source:
    """The declarations of one preprocessed file: string lists, field arrays, single fields
    and the route table."""

    def __init__(self, text):
        self.lists, self.arrays, self.singles, self.routes = {}, {}, {}, []
        decl = re.compile(r"(?:static\s+)?const\s+(char\s*\*\s*const|xc_field_t|xc_route_t)\s+(\w+)"
                          r"\s*(\[\s*\])?\s*=\s*\{")
        for m in decl.finditer(text):
            body, end = self.block(text, m.end() - 1)
            kind, name, is_array = m.group(1), m.group(2), bool(m.group(3))
            if kind.startswith("char"):
                self.lists[name] = [json.loads(s) for s in split_top(body) if s.startswith('"')]
            elif kind == "xc_field_t" and is_array:
                self.arrays[name] = [self.field(strip_braces(f)) for f in split_top(body)]
            elif kind == "xc_field_t":
                self.singles[name] = self.field(body)
            elif kind == "xc_route_t" and is_array:
                for r in split_top(body):
                    parts = split_top(strip_braces(r))
                    self.routes.append({"type": json.loads(parts[0]), "kind": parts[1],
                                        "roles": parts[2], "schema": parts[3]})

    @staticmethod
    def block(text, start):
        depth, i, in_str = 0, start, False
        while True:
            c = text[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[start + 1:i], i
            i += 1

    @staticmethod
    def field(body):
        f = {}
        for part in split_top(body):
            m = re.fullmatch(r"\.(\w+)\s*=\s*(.*)", part, re.S)
            if not m:
                raise ValueError(f"field member not designated: {part!r}")
            k, v = m.group(1), m.group(2).strip()
            if k == "name":
                f[k] = None if v in ("NULL", "((void *)0)", "0") else json.loads(v)
            elif k == "type":
                f[k] = v
            elif k == "required":
                f[k] = v in ("true", "1")
            elif k in ("min", "max"):
                f[k] = c_int(v)
            else:                                   # fields, items (&x), one_of
                f[k] = v.lstrip("&").strip()
        return f


class Schemas:
    """JSON Schema (2020-12, as OpenAPI 3.1 uses it) of xc_field_t descriptions
    (common/schema.h: the checks of common/schema.c)."""

    def __init__(self, sources):
        self.sources = sources                       # later ones win for a shared name

    def lookup(self, table, name):
        # a compound literal in place: (const xc_field_t[]) { ... } or (const char *const[]) {...}
        m = re.fullmatch(r"\(\s*const\s+(xc_field_t|char\s*\*\s*const)\s*(\[\s*\])?\s*\)\s*(\{.*\})", name, re.S)
        if m:
            body = strip_braces(m.group(3))
            if m.group(1).startswith("char"):
                return [json.loads(x) for x in split_top(body) if x.startswith('"')]
            if m.group(2):
                return [Source.field(strip_braces(f)) for f in split_top(body)]
            return Source.field(body)
        for s in self.sources:
            if name in getattr(s, table):
                return getattr(s, table)[name]
        raise KeyError(f"{name}: not declared in the route files ({table})")

    def fields(self, name):
        if name in ("NULL", "((void *)0)", "0"):
            return []
        return [f for f in self.lookup("arrays", name) if f.get("name")]

    def object(self, fields):
        props, required = {}, []
        for f in fields:
            props[f["name"]] = self.field(f)
            if f.get("required"):
                required.append(f["name"])
        out = {"type": "object"}
        if props:
            out["properties"] = props
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        return out

    @staticmethod
    def ranged(f):
        lo, hi = f.get("min", 0), f.get("max", 0)
        if lo == 0 and hi == 0:
            return None, None
        return lo, (hi if hi != 0 else None)

    def field(self, f):
        t = f["type"]
        lo, hi = self.ranged(f)
        if t == "XC_T_ANY":
            return {"description": "any JSON value (checked by the handler)"}
        if t in ("XC_T_STRING", "XC_T_NULLABLE_STRING"):
            s = {"type": "string"} if t == "XC_T_STRING" else {"type": ["string", "null"]}
            if f.get("one_of"):
                values = self.lookup("lists", f["one_of"])
                s["enum"] = values + ([None] if t == "XC_T_NULLABLE_STRING" else [])
            if lo is not None:
                s["minLength"] = lo
            if hi is not None:
                s["maxLength"] = hi
                s["description"] = "length limits count UTF-8 bytes"
            return s
        if t == "XC_T_INTEGER":
            s = {"type": "integer", "format": "int64"}
            if lo is not None:
                s["minimum"] = lo
            # format int64 says 2^63-1 already, and a maximum of 9223372036854775807 would read as
            # 2^63 in every JSON parser that keeps numbers as doubles (JavaScript's)
            if hi is not None and hi != INT64_MAX:
                s["maximum"] = hi
            return s
        if t == "XC_T_BOOLEAN":
            return {"type": "boolean"}
        if t == "XC_T_ID":
            return {"$ref": "#/components/schemas/Id"}
        if t == "XC_T_DATE":
            return {"$ref": "#/components/schemas/Date"}
        if t == "XC_T_OBJECT":
            return self.object(self.fields(f["fields"]))
        if t == "XC_T_ARRAY":
            s = {"type": "array", "items": self.field(self.lookup("singles", f["items"]))}
            if lo is not None:
                s["minItems"] = lo
            if hi is not None:
                s["maxItems"] = hi
            return s
        if t == "XC_T_MAP":
            s = {"type": "object", "additionalProperties": self.field(self.lookup("singles", f["items"]))}
            if f.get("max"):
                s["maxProperties"] = f["max"]
            return s
        raise ValueError(f"unknown field type {t}")


def builtin_routes():
    """events.read and health: every service answers them (common/service_routes.c)."""
    src = Source(preprocess("common/service_routes.c"))
    found = {t: schema for t, _, schema in
             re.findall(r'\(xc_route_t\)\s*\{\s*"([a-z0-9_.]+)",\s*XC_(COMMAND|QUERY),\s*[^,]+,\s*(\w+)',
                        preprocess("common/service_routes.c"))}
    routes = [{"type": t, "kind": "XC_QUERY", "schema": found[t]} for t in ("events.read", "health")]
    return src, routes


def service_routes():
    """{service: [(type, kind, data schema)]} in the order of each route table."""
    bsrc, broutes = builtin_routes()
    out = {}
    for svc in SERVICES:
        src = Source(preprocess(f"services/{svc}/routes.c"))
        if not src.routes:
            raise ValueError(f"services/{svc}/routes.c: no route table found")
        sch = Schemas([src])
        rows = [(r["type"], r["kind"], sch.object(sch.fields(r["schema"]))) for r in src.routes]
        bsch = Schemas([bsrc])
        rows += [(r["type"], r["kind"], bsch.object(bsch.fields(r["schema"]))) for r in broutes]
        out[svc] = rows
    return out


# --- the hand-written parts ------------------------------------------------------------------

# The protocol's outcome -> HTTP status (issue 21; docs/protocol.md sections 4 and 5). The codes of
# each status are read from the gateway's own table (services/gateway/status.c, s_table), so the
# two cannot differ; only the words are here. tests/python/test_openapi.py also holds the tables of
# docs/services/gateway.md and the gateway's problem codes (main.c) against these.
STATUS_WORDS = {
    "200": "ack (accepted, or duplicate with the first result) or result",
    "400": "malformed request, or for another service",
    "401": "the signature or the key does not hold",
    "403": "the role or scope does not allow it",
    "404": "no such object, or no such command or query at this service",
    "409": "contradicts the current state, or the id was used with another body",
    "413": "the message, or its answer, is above the size limit",
    "422": "data does not match the type's schema (the message names the member)",
    "503": "transient: resend the same bytes after Retry-After",
}


def gateway_status_table():
    """services/gateway/status.c's s_table: [(code, status)] in its order."""
    with open(os.path.join(REPO, "services", "gateway", "status.c"), encoding="utf-8") as f:
        text = f.read()
    body = re.search(r"s_table\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    if not body:
        raise ValueError("services/gateway/status.c: no s_table found")
    return [(c, int(n)) for c, n in re.findall(r'\{\s*"([a-z_]+)",\s*(\d+)\s*\}', body.group(1))]


def status_rows():
    by = {"200": ["ack", "result"]}
    for code, status in gateway_status_table():
        by.setdefault(str(status), []).append(code)
    missing = set(by) - set(STATUS_WORDS)
    if missing:
        raise ValueError(f"services/gateway/status.c: statuses {sorted(missing)} have no words in tools/openapi.py")
    return [(status, STATUS_WORDS[status], by[status]) for status in sorted(by)]


STATUS = status_rows()
# What the gateway answers itself on POST /v1/{service}: (status, problem codes, what). The codes
# are the `urn:xuncha:gateway:<code>` of docs/services/gateway.md; 502 is no problem document
# but the service's frame as it came.
GATEWAY_ONLY = [
    ("400", ["unreadable-payload", "audience-mismatch", "bad-request"],
     "the body is no flattened JWS whose payload has aud and a UUID id, or the path does not match its aud, "
     "or the request's framing is ambiguous (Host, Content-Type, Content-Length, Transfer-Encoding)"),
    ("403", ["client-certificate"],
     "the client certificate is bound to another principal than the payload's iss (services.gateway.tls.client_ca)"),
    ("404", ["unknown-service"], "the path names no service of the deployment"),
    ("405", ["method-not-allowed"], "wrong method"),
    ("413", ["too-large"], "the body is above the size limit"),
    ("415", ["unsupported-media-type"], "Content-Type is not application/jose+json"),
    ("429", ["too-many-requests"],
     "this address has no token left in its bucket (services.gateway.limits): resend after Retry-After"),
    ("501", ["not-implemented", "unsupported-transfer-coding"],
     "a method that is not HTTP's, CONNECT, or a transfer coding other than chunked"),
    ("503", ["service-unreachable", "stopping"],
     "the service is not reachable, or the gateway is stopping: resend the same bytes after Retry-After"),
    ("504", ["no-answer"], "the service did not answer in time: resend the same bytes"),
]
NOT_A_REPLY = ("502", "the service's frame does not read as a reply (no type, or an error without a code): "
                      "the bytes as they came")


def status_table():
    lines = ["| HTTP | protocol outcome (docs/protocol.md sections 4, 5) | body |", "|---|---|---|"]
    for code, what, outcomes in STATUS:
        lines.append(f"| {code} | {what}: {', '.join('`' + o + '`' for o in outcomes)} | signed reply |")
    for code, codes, what in GATEWAY_ONLY:
        lines.append(f"| {code} | refused by the gateway: {what} ({', '.join('`' + c + '`' for c in codes)})"
                     " | problem (RFC 9457) |")
    lines.append(f"| {NOT_A_REPLY[0]} | {NOT_A_REPLY[1]} | the frame |")
    return "\n".join(lines)


B64U = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "base64url without padding"}


def jws(name, payload_ref, what):
    return {
        "type": "object",
        "description": f"{what}: a JWS (RFC 7515) in the flattened JSON serialization, EdDSA over "
                       "Ed25519 on the ASCII bytes protected + '.' + payload (docs/protocol.md section 2). "
                       "Exactly these three members.",
        "required": ["protected", "payload", "signature"],
        "additionalProperties": False,
        "properties": {
            "protected": dict(B64U, contentEncoding="base64url", contentMediaType="application/json",
                              contentSchema={"$ref": "#/components/schemas/Header"}),
            "payload": dict(B64U, contentEncoding="base64url", contentMediaType="application/json",
                            contentSchema={"$ref": payload_ref}),
            "signature": dict(B64U, description="base64url of the 64-byte Ed25519 signature"),
        },
    }


def problem(code, what):
    return {"description": f"refused by the gateway: {what}",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


RETRY_AFTER = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}

def public_paths(paths, schemas):
    """码上巡: the public channel's routes (docs/services/gateway.md, "The public channel"), no
    sign-in: the gateway signs them as the principal public (intake's public.* and file.*)."""
    ids = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"}
    code = {"type": "string", "pattern": "^[0-9]{16}$",
            "description": "the receipt code made in the reporter's browser; only its Argon2id hash goes on"}
    pow_ = {"type": "object", "required": ["challenge", "nonce"], "additionalProperties": False,
            "properties": {"challenge": {"type": "string"}, "nonce": {"type": "string", "pattern": "^[0-9]{1,20}$"}}}
    evidence = {"type": "array", "maxItems": 64, "items": {"type": "object", "required": ["file", "sha256"],
                                                            "properties": {"file": {"type": "string"},
                                                                           "sha256": {"type": "string"}}}}
    sealed = {"type": "object", "required": ["epk", "nonce", "box"], "additionalProperties": False,
              "properties": {k: {"type": "string"} for k in ("epk", "nonce", "box")}}
    schemas["PublicPow"] = {"type": "object", "required": ["challenge", "bits", "expires"], "properties": {
        "challenge": {"type": "string"}, "bits": {"type": "integer", "minimum": 0, "maximum": 32},
        "expires": {"type": "integer", "description": "Unix seconds"}}}
    schemas["PublicReport"] = {"type": "object", "required": ["round", "unit", "text", "code", "pow"],
                               "additionalProperties": False, "properties": {
        "round": ids, "unit": ids, "text": {"type": "string", "minLength": 1}, "code": code,
        "contact_sealed": sealed, "evidence": evidence, "pow": pow_}}
    schemas["PublicReceipt"] = {"type": "object", "required": ["code", "pow"], "additionalProperties": False,
                                "properties": {"code": code, "pow": pow_}}
    schemas["PublicAnswer"] = {"type": "object", "required": ["code", "question", "text", "pow"],
                               "additionalProperties": False, "properties": {
        "code": code, "question": {"type": "integer", "minimum": 1}, "text": {"type": "string", "minLength": 1},
        "evidence": evidence, "pow": pow_}}
    schemas["PublicFiles"] = {"type": "object", "required": ["op"], "properties": {
        "op": {"enum": ["begin", "append", "status"]}, "name": {"type": "string"}, "size": {"type": "integer"},
        "sha256": {"type": "string"}, "upload": {"type": "string"}, "offset": {"type": "integer"},
        "data": {"type": "string"}}}
    schemas["PublicAcknowledgement"] = {"type": "object", "required": ["acknowledgement"], "properties": {
        "acknowledgement": {"type": "string", "description": "intake's signed reply (the JWS bytes as a string)"}}}
    signed = {"application/jose+json": {"schema": {"$ref": "#/components/schemas/Reply"}}}
    limited = dict(problem("429", "more requests from this address than services.gateway.public allows "
                                  "(too-many-requests)"), headers=dict(RETRY_AFTER))
    common = {"400": problem("400", "a body or query that is not what the route takes (bad-json, bad-code, "
                                    "pow-invalid, pow-expired, pow-used, pow-unsolved, ...)"),
              "404": problem("404", "no public channel (public-off)"), "429": limited,
              "504": problem("504", "intake did not answer in time (no-answer)")}

    def post(op, summary, schema, ok):
        return {"post": {"operationId": op, "summary": summary, "tags": ["intake"],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": f"#/components/schemas/{schema}"}}}},
                         "responses": {"200": ok, **common,
                                       "413": problem("413", "a body above max_message_bytes (too-large)"),
                                       "415": problem("415", "not application/json"),
                                       "default": {"description": "intake's signed refusal", "content": signed}}}}

    query = [{"name": "round", "in": "query", "required": True, "schema": ids},
             {"name": "unit", "in": "query", "required": False, "schema": ids}]
    paths["/v1/public/pow"] = {"get": {"operationId": "getPublicPow", "summary": "a proof-of-work challenge: find "
                                       "a decimal nonce with SHA-256(challenge + ':' + nonce) having bits leading zero bits",
                                       "responses": {"200": {"description": "a challenge, used once", "content": {
                                           "application/json": {"schema": {"$ref": "#/components/schemas/PublicPow"}}}},
                                           "404": common["404"], "429": limited}}}
    paths["/v1/public/info"] = {"get": {"operationId": "getPublicInfo", "summary": "intake's signed reply to "
                                        "public.info, byte for byte", "parameters": query, "tags": ["intake"],
                                        "responses": {"200": {"description": "the signed reply", "content": signed},
                                                      **common, "default": {"description": "intake's signed refusal",
                                                                            "content": signed}}}}
    paths["/v1/public/report"] = post("postPublicReport", "a report from the public (public.report)", "PublicReport",
                                      {"description": "the acknowledgement", "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/PublicAcknowledgement"}}}})
    paths["/v1/public/receipt"] = post("postPublicReceipt", "a report's state by its receipt code (public.status)",
                                       "PublicReceipt", {"description": "the signed reply", "content": signed})
    paths["/v1/public/answer"] = post("postPublicAnswer", "the reporter answers a question (public.answer)",
                                      "PublicAnswer", {"description": "the signed reply", "content": signed})
    paths["/v1/public/files"] = post("postPublicFiles", "the public's uploads (file.begin, file.append, file.status)",
                                     "PublicFiles", {"description": "the signed reply", "content": signed})
    paths["/v1/public/qr"] = {"get": {"operationId": "getPublicQr", "summary": "the QR code of the public page's "
                                      "address (base_url/public/?round=R&unit=U)",
                                      "parameters": query + [{"name": "format", "in": "query", "required": False,
                                                              "schema": {"enum": ["svg", "png"]}}],
                                      "responses": {"200": {"description": "the QR code", "content": {
                                          "image/svg+xml": {"schema": {"type": "string"}},
                                          "image/png": {"schema": {"type": "string", "contentEncoding": "binary"}}}},
                                          "400": common["400"], "404": common["404"], "429": limited}}}


def post_path(svc, rows):
    cap = svc.capitalize()
    signed = {"application/jose+json": {"schema": {"$ref": "#/components/schemas/Reply"}}}
    responses = {}
    for code, what, outcomes in STATUS:
        r = {"description": f"{what} ({', '.join(outcomes)})", "content": dict(signed)}
        if code == "503":
            r["headers"] = dict(RETRY_AFTER)
        responses[code] = r
    for code, codes, what in GATEWAY_ONLY:
        if code in responses:
            responses[code]["description"] += f"; or refused by the gateway: {what}"
            responses[code]["content"] = dict(responses[code]["content"],
                                              **problem(code, what)["content"])
        else:
            responses[code] = problem(code, what)
    responses[NOT_A_REPLY[0]] = {"description": NOT_A_REPLY[1],
                                 "content": {"application/jose+json": {"schema": {"type": "string"}}}}
    commands = [t for t, k, _ in rows if k == "XC_COMMAND"]
    queries = [t for t, k, _ in rows if k == "XC_QUERY"]
    return {"post": {
        "operationId": f"post{cap}",
        "tags": [svc],
        "summary": f"send a signed command or query to {svc}",
        "description": f"The body is the flattened JWS a client sends over ZeroMQ, forwarded byte for byte; "
                       f"its payload's `aud` must be `{svc}`. The response body is the service's own signed "
                       f"reply, byte for byte. Commands: {', '.join(commands)}. Queries: {', '.join(queries)}. "
                       f"See docs/services/{svc}.md.",
        "requestBody": {"required": True, "content": {"application/jose+json": {
            "schema": {"$ref": f"#/components/schemas/{cap}Request"}}}},
        "responses": responses,
    }}


def document():
    routes = service_routes()
    schemas = {
        "Id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$",
               "description": "an id chosen by people: 1-64 of A-Z a-z 0-9 . _ : -"},
        "Date": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "Uuid": {"type": "string",
                 "pattern": "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"},
        "Header": {"type": "object", "required": ["alg", "kid", "typ"], "additionalProperties": False,
                   "properties": {"alg": {"enum": ["EdDSA", "Ed25519"]}, "kid": {"type": "string"},
                                  "typ": {"const": "xc+jws"}}},
        "Envelope": {
            "type": "object", "description": "the decoded payload (docs/protocol.md section 2)",
            "required": ["v", "id", "iss", "aud", "iat", "type", "data"],
            "properties": {
                "v": {"const": 1},
                "id": {"$ref": "#/components/schemas/Uuid"},
                "iss": {"type": "string", "minLength": 1, "maxLength": 63},
                "aud": {"type": "string", "minLength": 1, "maxLength": 63},
                "iat": {"type": "integer", "format": "int64"},
                "exp": {"type": "integer", "format": "int64", "description": "iat < exp <= iat + 3600; absent in events only"},
                "type": {"type": "string", "pattern": "^[a-z0-9_.]{1,63}$"},
                "corr": {"oneOf": [{"$ref": "#/components/schemas/Uuid"}, {"type": "null"}]},
                "data": {"type": "object"},
            },
        },
        "ReplyEnvelope": {"allOf": [{"$ref": "#/components/schemas/Envelope"}, {
            "required": ["exp", "corr"],
            "properties": {"type": {"enum": ["ack", "result", "error"]}},
            "oneOf": [
                {"properties": {"type": {"const": "ack"}, "data": {
                    "type": "object", "required": ["status", "result"],
                    "properties": {"status": {"enum": ["accepted", "duplicate"]}, "result": {"type": "object"}}}}},
                {"properties": {"type": {"const": "result"}, "data": {"type": "object"}}},
                {"properties": {"type": {"const": "error"}, "data": {"$ref": "#/components/schemas/ErrorData"}}},
            ]}]},
        "ErrorData": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"enum": ["too_large", "malformed", "duplicate_key", "bad_alg", "bad_typ", "unknown_kid",
                              "kid_issuer_mismatch", "key_not_valid", "bad_signature", "wrong_audience",
                              "expired", "iat_skew", "unknown_type", "forbidden", "schema", "replayed",
                              "not_found", "conflict", "unavailable", "busy"]},
            "message": {"type": "string"}}},
        "Reply": jws("Reply", "#/components/schemas/ReplyEnvelope", "the service's signed reply"),
        "Problem": {
            "type": "object", "description": "problem details (RFC 9457) of a refusal by the gateway itself",
            "properties": {"type": {"type": "string", "format": "uri-reference"},
                           "title": {"type": "string"}, "status": {"type": "integer", "minimum": 100, "maximum": 599},
                           "detail": {"type": "string"}, "instance": {"type": "string", "format": "uri-reference"}},
        },
        "Jwk": {"type": "object", "required": ["kty", "crv", "x", "kid"], "properties": {
            "kty": {"const": "OKP"}, "crv": {"const": "Ed25519"}, "x": B64U, "kid": {"type": "string"},
            "alg": {"enum": ["EdDSA", "Ed25519"]}, "use": {"const": "sig"}}},
        "JwkSet": {"type": "object", "required": ["keys"], "properties": {
            "keys": {"type": "array", "items": {"$ref": "#/components/schemas/Jwk"}}}},
        "Directory": {"type": "object", "required": ["protocol", "services"], "properties": {
            "protocol": {"type": "integer", "const": 1},
            "services": {"type": "array", "items": {"type": "object", "required": ["name", "path"], "properties": {
                "name": {"type": "string"}, "path": {"type": "string"}, "hints": {"type": "string"}}}}}},
        "Health": {"type": "object", "properties": {"status": {"type": "string"}}},
    }
    paths = {}
    for svc in SERVICES:
        cap = svc.capitalize()
        variants = []
        for t, kind, data in routes[svc]:
            name = f"{svc}.{t}"
            schemas[name] = dict(data, description=f"`data` of {t} ({'command' if kind == 'XC_COMMAND' else 'query'}"
                                                   f" of {svc})")
            variants.append({"properties": {"type": {"const": t}, "data": {"$ref": f"#/components/schemas/{name}"}}})
        schemas[f"{cap}Envelope"] = {"allOf": [{"$ref": "#/components/schemas/Envelope"}, {
            "properties": {"aud": {"const": svc}, "type": {"enum": [t for t, _, _ in routes[svc]]}},
            "oneOf": variants}]}
        schemas[f"{cap}Request"] = jws(f"{cap}Request", f"#/components/schemas/{cap}Envelope",
                                       f"a signed command or query for {svc}")
        paths[f"/v1/{svc}"] = post_path(svc, routes[svc])
    paths["/v1/directory"] = {"get": {"operationId": "getDirectory", "summary": "the services, their HTTP paths, the protocol version",
                                      "responses": {"200": {"description": "the directory", "content": {
                                          "application/json": {"schema": {"$ref": "#/components/schemas/Directory"}}}}}}}
    paths["/v1/keys"] = {"get": {"operationId": "getKeys", "summary": "the services' public keys, to verify replies and events",
                                 "responses": {"200": {"description": "a JWK Set (RFC 7517)", "content": {
                                     "application/jwk-set+json": {"schema": {"$ref": "#/components/schemas/JwkSet"}}}}}}}
    paths["/v1/events/{service}/hints"] = {"get": {
        "operationId": "getHints",
        "summary": "Server-Sent Events: each new head seq of the service's events (the PUB hint)",
        "description": "One SSE event per new head of the service (docs/protocol.md section 7; "
                       "docs/services/gateway.md, Hints): `id` the seq, event `events.head`, data the hint as "
                       "the service signed it, a flattened JWS whose payload's data is `{\"seq\": <head>}` "
                       "(verify it with /v1/keys). A new stream starts with the last hint seen; an idle one gets "
                       "a comment line `: heartbeat`. A hint only says \"read again\": reading the events stays "
                       "a signed `events.read` POST to /v1/{service}.",
        "parameters": [{"name": "service", "in": "path", "required": True,
                        "schema": {"enum": list(SERVICES)}}],
        "responses": {"200": {"description": "an event stream (text/event-stream, WHATWG HTML's Server-Sent Events)",
                              "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            "404": problem("404", "no such service (unknown-service)"),
            "405": problem("405", "another method than GET or HEAD (method-not-allowed)"),
            "503": dict(problem("503", "services.gateway.sse_clients streams are open (too-many-streams)"),
                        headers=dict(RETRY_AFTER))}}}
    paths["/healthz"] = {"get": {"operationId": "getHealthz", "summary": "the gateway is up",
                                 "responses": {"200": {"description": "up", "content": {
                                     "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                                     "503": problem("503", "not ready")}}}
    paths["/metrics"] = {"get": {"operationId": "getMetrics",
                                 "summary": "Prometheus text: requests by route and status, latency histogram of "
                                            "forwarded POSTs, in-flight, hint streams, each service's head seq",
                                 "responses": {"200": {"description": "Prometheus text format 0.0.4", "content": {
                                     "text/plain": {"schema": {"type": "string"}}}}}}}
    public_paths(paths, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "xuncha HTTP gateway",
            "version": "1",
            "summary": "the suite's own signed messages (docs/protocol.md) over HTTP",
            "description": "Generated by tools/openapi.py from the services' route tables: do not edit by hand.\n\n"
                           "The gateway signs nothing and forwards the JWS bytes as they are; a reply is the "
                           "service's own signed reply. Status of a POST:\n\n" + status_table(),
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": [{"name": s, "description": f"docs/services/{s}.md"} for s in SERVICES],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "headers": {"RetryAfter": {"description": "seconds to wait before resending the same bytes",
                                       "schema": {"type": "integer", "minimum": 0}}},
        },
    }


# --- YAML ------------------------------------------------------------------------------------

PLAIN_KEY = re.compile(r"^[A-Za-z_$/][A-Za-z0-9_.$/{}+-]*$")
YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def key(k):
    k = str(k)
    return k if PLAIN_KEY.match(k) and k.lower() not in YAML_WORDS else json.dumps(k, ensure_ascii=False)


def scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def emit(v, indent=0):
    pad = "  " * indent
    lines = []
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                lines.append(f"{pad}{key(k)}:")
                lines += emit(x, indent + 1)
            elif block_ok(x):
                lines.append(f"{pad}{key(k)}: |-")
                lines += [f"{pad}  {ln}" if ln else "" for ln in x.split("\n")]
            else:
                lines.append(f"{pad}{key(k)}: {scalar_or_empty(x)}")
    else:
        for x in v:
            if isinstance(x, (dict, list)) and x:
                sub = emit(x, indent + 1)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines += sub[1:]
            else:
                lines.append(f"{pad}- {scalar_or_empty(x)}")
    return lines


def block_ok(x):
    """A multi-line string YAML's literal block keeps as it is: printable, no line starting with
    white space (no indentation indicator needed), none ending with it, no trailing newline."""
    return (isinstance(x, str) and "\n" in x and not x.endswith("\n")
            and all(ln == ln.strip() and ln.isprintable() for ln in x.split("\n")))


def scalar_or_empty(x):
    if isinstance(x, dict):
        return "{}"
    if isinstance(x, list):
        return "[]"
    return scalar(x)


def render():
    return ("# Generated by tools/openapi.py from services/*/routes.c: do not edit; run tools/openapi.py\n"
            + "\n".join(emit(document())) + "\n")


def main(argv):
    text = render()
    if "--stdout" in argv:
        sys.stdout.write(text)
        return 0
    if "--json" in argv:
        json.dump(document(), sys.stdout, ensure_ascii=False, indent=1)
        return 0
    if "--check" in argv:
        try:
            with open(OUT, encoding="utf-8") as f:
                same = f.read() == text
        except FileNotFoundError:
            same = False
        if not same:
            print("docs/openapi.yaml is not what tools/openapi.py writes: run tools/openapi.py", file=sys.stderr)
        return 0 if same else 1
    with open(OUT + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(OUT + ".tmp", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
