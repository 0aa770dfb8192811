"""An independent client of the xuncha wire protocol, written from docs/protocol.md alone.

Nothing here is shared with the C side: base64url, signing, verification, the command digest
and the event hash chain are implemented from the specification.
"""

import base64
import binascii
import datetime
import hashlib
import json
import re
import time
import uuid

import nacl.exceptions
import nacl.signing
import zmq

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TYPE_RE = re.compile(r"^[a-z0-9_.]{1,63}$")
B64U_RE = re.compile(r"^[A-Za-z0-9_-]*$")
HEADER_MEMBERS = {"alg", "kid", "typ"}
BODY_REQUIRED = {"v", "id", "iss", "aud", "iat", "type", "data"}
REPLY_LIFETIME = 300


class WireError(Exception):
    """A message from the peer does not follow the protocol."""


# --- base64url (RFC 4648 section 5, no padding) ---------------------------------------------

def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64u(text):
    """Strict decode: alphabet only, no padding, canonical (unused bits zero)."""
    if not isinstance(text, str) or not B64U_RE.match(text) or len(text) % 4 == 1:
        raise WireError(f"bad base64url {text!r:.40}")
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4),
                               validate=True)
    except binascii.Error as e:
        raise WireError(f"bad base64url: {e}") from e
    if b64u(raw) != text:
        raise WireError("non-canonical base64url")
    return raw


# --- JSON ------------------------------------------------------------------------------------

def _no_dup_pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise WireError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


def _no_constant(name):
    raise WireError(f"not JSON: {name}")


def strict_loads(text):
    """Parse JSON, refusing duplicate keys at any depth and NaN/Infinity."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise WireError(f"not UTF-8: {e}") from e
    try:
        return json.loads(text, object_pairs_hook=_no_dup_pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise WireError(f"not JSON: {e}") from e


def compact(obj):
    """Compact JSON, UTF-8 kept as is (what a client sends)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _canon_string(s):
    # Jansson without JSON_ENSURE_ASCII / JSON_ESCAPE_SLASH: \" \\ \b \f \n \r \t, other
    # control characters as \u00XX; everything else as UTF-8.
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif c < 0x20:
            out.append("\\u%04X" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical_json(obj):
    """JSON with sorted keys and no white space, as protocol.md section 4 names for the digest
    (Jansson JSON_COMPACT | JSON_SORT_KEYS). Reals are not supported: the page does not say how
    they are written."""
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        raise ValueError("the digest of a real number is not specified")
    if isinstance(obj, str):
        return _canon_string(obj)
    if isinstance(obj, list):
        return "[" + ",".join(canonical_json(x) for x in obj) + "]"
    if isinstance(obj, dict):
        # Sorting by code point equals sorting the UTF-8 bytes (strcmp).
        keys = sorted(obj, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(_canon_string(k) + ":" + canonical_json(obj[k]) for k in keys) + "}"
    raise TypeError(f"not JSON: {type(obj)}")


def digest(aud, type_, data):
    """SHA-256 of the command's {aud, data, type} (protocol.md section 4)."""
    return hashlib.sha256(
        canonical_json({"aud": aud, "data": data, "type": type_}).encode("utf-8")).digest()


# --- the hash chain (section 6) --------------------------------------------------------------

ZERO_HASH = bytes(32)


def chain_next(prev, message):
    assert len(prev) == 32
    return hashlib.sha256(prev + message.encode("utf-8")).digest()


# --- keys and the registry (section 8) -------------------------------------------------------

def rfc3339(text):
    if not isinstance(text, str) or not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", text):
        raise WireError(f"not RFC 3339: {text!r}")
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is None:
        raise WireError(f"RFC 3339 time without offset: {text!r}")
    return t


class Signer:
    """A principal's signing key."""

    def __init__(self, iss, kid, seed=None):
        self.iss = iss
        self.kid = kid
        self.sk = nacl.signing.SigningKey(seed) if seed else nacl.signing.SigningKey.generate()

    @property
    def public(self):
        return bytes(self.sk.verify_key)

    def private_jwk(self):
        return {"kty": "OKP", "crv": "Ed25519", "kid": self.kid,
                "x": b64u(self.public), "d": b64u(bytes(self.sk))}

    def public_jwk(self, not_before, not_after):
        return {"kty": "OKP", "crv": "Ed25519", "kid": self.kid, "x": b64u(self.public),
                "not_before": not_before, "not_after": not_after}

    def sign(self, signing_input):
        return self.sk.sign(signing_input).signature


class Registry:
    """The verifying side of a principals file."""

    def __init__(self, doc):
        self.keys = {}          # kid -> (iss, VerifyKey, not_before, not_after)
        self.principals = {}
        for p in doc["principals"]:
            self.principals[p["iss"]] = p
            for k in p["keys"]:
                if k["kid"] in self.keys:
                    raise WireError(f"kid {k['kid']!r} twice")
                x = unb64u(k["x"])
                if k.get("kty") != "OKP" or k.get("crv") != "Ed25519" or len(x) != 32:
                    raise WireError(f"bad key {k['kid']!r}")
                self.keys[k["kid"]] = (p["iss"], nacl.signing.VerifyKey(x),
                                       rfc3339(k["not_before"]), rfc3339(k["not_after"]))

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(strict_loads(f.read()))


# --- sealing ---------------------------------------------------------------------------------

def new_id():
    return str(uuid.uuid4())


def same_id(a, b):
    """Ids compare case-insensitively (RFC 9562; protocol.md section 2): a reply's corr is the
    request's id in lower case. None (a null corr) is the same only as None."""
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a is None and b is None


def make_body(iss, aud, type_, data, id_=None, iat=None, exp=None, corr=None):
    now = int(time.time())
    iat = now if iat is None else iat
    return {"v": 1, "id": id_ or new_id(), "iss": iss, "aud": aud, "iat": iat,
            "exp": iat + 120 if exp is None else exp, "type": type_, "corr": corr, "data": data}


def seal_bytes(signer, header_text, payload_text, sign_as=None):
    """The flattened JWS over exactly these header and payload texts (str or bytes)."""
    enc = lambda t: b64u(t.encode("utf-8") if isinstance(t, str) else t)
    p, q = enc(header_text), enc(payload_text)
    sig = (sign_as or signer).sign(f"{p}.{q}".encode("ascii"))
    return json.dumps({"protected": p, "payload": q, "signature": b64u(sig)}).encode("ascii")


def seal(signer, aud, type_, data, id_=None, iat=None, exp=None, header=None, body_extra=None,
         iss=None):
    """Sign a message; returns (frame bytes, body dict)."""
    hdr = {"alg": "EdDSA", "kid": signer.kid, "typ": "xc+jws"} if header is None else header
    body = make_body(iss or signer.iss, aud, type_, data, id_=id_, iat=iat, exp=exp)
    if body_extra:
        body.update(body_extra)
    return seal_bytes(signer, compact(hdr), compact(body)), body


# --- opening ---------------------------------------------------------------------------------

def parse(frame):
    """Decode a message without verifying: (outer, header, body, signing input, signature)."""
    outer = strict_loads(frame)
    if not isinstance(outer, dict) or set(outer) != {"protected", "payload", "signature"} \
            or not all(isinstance(v, str) for v in outer.values()):
        raise WireError("outer object must have exactly protected, payload, signature")
    header = strict_loads(unb64u(outer["protected"]))
    body = strict_loads(unb64u(outer["payload"]))
    sig = unb64u(outer["signature"])
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise WireError("header and body must be objects")
    return outer, header, body, f"{outer['protected']}.{outer['payload']}".encode("ascii"), sig


def _check_body(body, event):
    allowed = BODY_REQUIRED | {"corr"} | (set() if event else {"exp"})
    required = BODY_REQUIRED | (set() if event else {"exp"})
    if not required <= set(body) or not set(body) <= allowed:
        raise WireError(f"body members {sorted(body)}")
    isint = lambda v: isinstance(v, int) and not isinstance(v, bool)
    if body["v"] != 1 or not isint(body["v"]):
        raise WireError("v must be 1")
    if not isinstance(body["id"], str) or not UUID_RE.match(body["id"]):
        raise WireError(f"id {body['id']!r} is not a UUID")
    for m in ("iss", "aud"):
        if not isinstance(body[m], str) or not 1 <= len(body[m].encode()) <= 63:
            raise WireError(f"bad {m}")
    if not isint(body["iat"]):
        raise WireError("iat must be an integer")
    if not event and not (isint(body["exp"]) and body["iat"] < body["exp"] <= body["iat"] + 3600):
        raise WireError("bad exp")
    if not isinstance(body["type"], str) or not TYPE_RE.match(body["type"]):
        raise WireError(f"bad type {body['type']!r}")
    if body.get("corr") is not None and not isinstance(body["corr"], str):
        raise WireError("corr must be a string or null")
    if not isinstance(body["data"], dict):
        raise WireError("data must be an object")


def open_message(frame, registry, event=False, at=None):
    """Checks 1-12 of section 3 from the receiving side: returns (header, body).

    event=True: a stored event (no exp; key validity judged at its iat)."""
    _, header, body, signing_input, sig = parse(frame)
    if set(header) != HEADER_MEMBERS:
        raise WireError(f"header members {sorted(header)}")
    if header["alg"] not in ("EdDSA", "Ed25519"):
        raise WireError(f"alg {header['alg']!r}")
    if header["typ"] != "xc+jws":
        raise WireError(f"typ {header['typ']!r}")
    _check_body(body, event)
    if header["kid"] not in registry.keys:
        raise WireError(f"unknown kid {header['kid']!r}")
    iss, vk, nb, na = registry.keys[header["kid"]]
    if iss != body["iss"]:
        raise WireError(f"kid {header['kid']!r} is not {body['iss']!r}'s")
    when = datetime.datetime.fromtimestamp(body["iat"] if event else (at or time.time()),
                                           datetime.timezone.utc)
    if not nb <= when <= na:
        raise WireError("key not valid")
    try:
        vk.verify(signing_input, sig)
    except nacl.exceptions.BadSignatureError as e:
        raise WireError("bad signature") from e
    return header, body


# --- a client --------------------------------------------------------------------------------

class Client:
    """A DEALER to one service; every receive has a timeout."""

    def __init__(self, ctx, endpoint, registry, service):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.registry = registry
        self.service = service
        self.stray = []

    def close(self):
        self.sock.close(0)

    def send(self, frame):
        if isinstance(frame, (list, tuple)):
            self.sock.send_multipart(frame)
        else:
            self.sock.send(frame)

    def receive(self, corr, requester, timeout=5.0, accept_null_corr=False):
        """The verified reply whose corr is `corr`: (frame, header, body)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000) + 1, zmq.POLLIN):
                raise TimeoutError(f"no reply with corr {corr!r} within {timeout} s")
            frames = self.sock.recv_multipart(zmq.NOBLOCK)
            if len(frames) != 1:
                raise WireError(f"reply of {len(frames)} frames")
            frame = frames[0]
            header, body = open_message(frame, self.registry)
            if not same_id(body["corr"], corr) and not (accept_null_corr and body["corr"] is None):
                self.stray.append(body)
                continue
            if body["iss"] != self.service:
                raise WireError(f"reply iss {body['iss']!r}")
            if self.registry.keys[header["kid"]][0] != self.service:
                raise WireError("reply not signed by the service")
            if body["aud"] != requester and not (body["corr"] is None and body["aud"] == "unknown"):
                raise WireError(f"reply aud {body['aud']!r}, expected {requester!r}")
            if body["exp"] != body["iat"] + REPLY_LIFETIME:
                raise WireError("reply exp is not iat + 300")
            if body["type"] not in ("ack", "result", "error"):
                raise WireError(f"reply type {body['type']!r}")
            return frame, header, body

    def request(self, frame, body, timeout=5.0, **kw):
        """Send bytes signed for `body`; the verified reply body."""
        self.send(frame)
        return self.receive(body["id"], body["iss"], timeout, **kw)[2]

    def call(self, signer, type_, data, aud=None, **kw):
        frame, body = seal(signer, aud or self.service, type_, data, **kw)
        return self.request(frame, body)


def check_notice(frame, registry, sender, recipient, path, now=None):
    """A webhook notice as its receiver must check it (docs/services/notify.md): signed by the
    sender service, for this recipient, of type notice, fresh on the wall clock (protocol.md
    checks 15, 16). Returns (header, body); raises WireError."""
    header, body = open_message(frame, registry)
    if body["iss"] != sender or registry.keys[header["kid"]][0] != sender:
        raise WireError(f"not signed by {sender}: {body['iss']!r}")
    if body["aud"] != recipient:
        raise WireError(f"aud {body['aud']!r} posted to {path!r}")
    if body["type"] != "notice":
        raise WireError(f"type {body['type']!r}")
    now = time.time() if now is None else now
    if now > body["exp"] or abs(body["iat"] - now) > 300:
        raise WireError(f"stale: iat {body['iat']}, exp {body['exp']}, now {int(now)}")
    return header, body
