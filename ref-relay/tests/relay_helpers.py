"""Shared helpers of the relay integration tests (not a test module)."""

from __future__ import annotations

import os
import re
import socket
import ssl
import time
import uuid

from tigress_py import bodies as tp_bodies
from tigress_py import payload as tp_payload
from tigress_py import rfc3339 as tp_time
from tigress_py import shareurl as tp_url

UUID4_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
UUID_ANY_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}$")

ERROR_CODES = {
    "nomem", "internal", "too_large", "uuid_syntax", "url_syntax",
    "url_scheme", "url_userinfo", "url_host", "url_port", "url_path",
    "url_version", "url_mailbox_id", "url_query", "url_vertical",
    "url_secret_encoding", "url_secret_length", "time_syntax", "json_syntax",
    "json_depth", "field_missing", "field_type", "field_value",
    "field_too_long", "payload_type", "payload_encoding",
    "payload_truncated", "payload_key", "payload_auth", "not_found",
    "method_not_allowed", "unauthorized", "header_missing", "header_value",
    "request_id_conflict", "unsupported_media_type", "headers_too_large",
    "capacity", "http_syntax", "request_timeout", "not_implemented",
    "unavailable",
}

DISPLAY = {
    "title": "Hotel Pass",
    "description": "Some Hotel Pass",
    "imageURL": "https://example.com/sharingImage",
}


def new_claim() -> str:
    return str(uuid.uuid4())


def new_key(n: int = 16) -> bytes:
    return os.urandom(n)


def seal(key: bytes, plaintext: bytes) -> dict:
    return tp_payload.seal(key, plaintext)


def open_payload(obj: dict, key: bytes) -> bytes:
    return tp_payload.open(obj, key)


def rfc3339(epoch: int) -> str:
    return tp_time.format(int(epoch))


def parse_time(s: str) -> int:
    return int(tp_time.parse(s))


def exp_in(seconds: int) -> str:
    """An expiration `seconds` after the current second."""
    return rfc3339(int(time.time()) + seconds)


def cfg(rights=None, exp_seconds: int = 3600, expiration=None) -> dict:
    c = {"expiration": expiration or exp_in(exp_seconds)}
    if rights is not None:
        c["accessRights"] = rights
    return c


def mailbox_id(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[1]


# ---- assertions ---------------------------------------------------------------

def assert_echo(ex) -> None:
    """Mailbox-Request-ID is echoed on every response to a request that had
    one (http-00 §5.1, errata E-REQID-FORM).  A malformed id (refused with
    header_value) is not a request id and need not be echoed."""
    rid = ex.request_header("Mailbox-Request-ID")
    if isinstance(rid, bytes):
        return
    if rid is not None and ex.status is not None and \
            re.match(r"^[\x21-\x7e]{1,128}$", rid):
        assert ex.header("Mailbox-Request-ID") == rid, \
            "Mailbox-Request-ID not echoed: %r" % (ex,)


def assert_ok(ex, status: int = 200) -> dict:
    """A JSON success answer; returns the parsed body."""
    assert ex.status == status, ex
    assert ex.media_type == "application/json", \
        "Content-Type %r: %r" % (ex.content_type, ex)
    assert isinstance(ex.json, dict), ex
    assert_echo(ex)
    return ex.json


def assert_error(ex, status: int, code=None) -> dict:
    """A 4xx/5xx answer with the JSON body {"error": CODE, "message": TEXT}
    of errata E-ERROR-BODY and a code of spec/errors.md.  `code` may be a
    string or a set of acceptable codes."""
    assert ex.status == status, ex
    assert ex.media_type == "application/json", \
        "error answer not application/json (%r): %r" % (ex.content_type, ex)
    j = ex.json
    assert isinstance(j, dict), "error body not a JSON object: %r" % (ex,)
    assert isinstance(j.get("error"), str), ex
    assert isinstance(j.get("message"), str), ex
    assert 1 <= len(j["error"].encode()) <= 64, ex
    assert len(j["message"].encode()) <= 1024, ex
    assert j["error"] in ERROR_CODES, "unknown error code: %r" % (ex,)
    if code is not None:
        codes = {code} if isinstance(code, str) else set(code)
        assert j["error"] in codes, "expected %s: %r" % (sorted(codes), ex)
    tp_bodies.parse("error_response", ex.body)
    assert_echo(ex)
    return j


# ---- a mailbox --------------------------------------------------------------

class Share:
    """A mailbox created by an initiator: its claim, key, the plaintext
    sealed in it, the create exchange, urlLink, id and share URL."""

    def __init__(self, client, claim, key, plaintext, ex, display, config,
                 notify=None, request_id=None):
        self.client = client
        self.claim = claim
        self.key = key
        self.plaintext = plaintext
        self.ex = ex
        self.display = display
        self.config = config
        self.notify = notify
        self.request_id = request_id
        self.url = ex.json["urlLink"]
        self.id = mailbox_id(self.url)
        p = tp_url.parse(self.url)
        self.share_url = tp_url.build(p.host, p.port, p.version, p.mailbox_id,
                                      secret=key)


def new_mailbox(client, rights=None, exp_seconds: int = 3600,
                key_len: int = 16, plaintext: bytes = None, notify=None,
                display=None, claim=None, attestation=None,
                expiration=None, request_id=None, config=True) -> Share:
    """Create a mailbox (asserting 200) and return its Share."""
    claim = claim or new_claim()
    key = new_key(key_len)
    plaintext = plaintext if plaintext is not None else \
        b'{"format":"digitalwallet.generic.authorizationToken",' \
        b'"content":{"token":"' + os.urandom(8).hex().encode() + b'"}}'
    display = dict(display or DISPLAY)
    conf = cfg(rights, exp_seconds, expiration) if config else None
    rid = request_id or str(uuid.uuid4())
    ex = client.create(claim, display, seal(key, plaintext), notify=notify,
                       config=conf, request_id=rid, attestation=attestation)
    assert_ok(ex)
    tp_bodies.parse("create_response", ex.body)
    return Share(client, claim, key, plaintext, ex, display, conf, notify,
                 rid)


def read_plain(client, target, claim, key, **kw) -> bytes:
    """Read (asserting 200) and decrypt."""
    ex = client.read(target, claim, **kw)
    j = assert_ok(ex)
    tp_bodies.parse("read_response", ex.body)
    return open_payload(j["payload"], key)


# ---- raw sockets --------------------------------------------------------------

def connect(relay, tls: bool = None, timeout: float = 10.0):
    """A raw connection to the relay (TLS per its URL unless told)."""
    host, port = "127.0.0.1", relay.port
    s = socket.create_connection((host, port), timeout=timeout)
    if tls is None:
        tls = relay.base_url.startswith("https://")
    if tls:
        ctx = ssl.create_default_context(cafile=relay.ca)
        s = ctx.wrap_socket(s, server_hostname=host)
    return s


def wait_closed(sock, limit: float = 30.0) -> bool:
    """Block until the peer closes `sock` (True) or `limit` seconds pass
    (False).  Data the peer sends first (an error page) is read and
    dropped."""
    deadline = time.monotonic() + limit
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            d = sock.recv(4096)
        except socket.timeout:
            continue
        except ssl.SSLWantReadError:
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            return True
        if not d:
            return True
    return False


def parse_url(url: str):
    return tp_url.parse(url)


# ---- raw HTTP -------------------------------------------------------------------

class RawAnswer:
    """The first answer in bytes the relay sent: status, headers (names in
    lower case; a repeated name keeps the last), body, and the bytes."""

    def __init__(self, data: bytes):
        self.data = data
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        self.status = None
        self.headers = {}
        if lines and lines[0].startswith(b"HTTP/1."):
            self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            self.headers[name.decode("latin-1").strip().lower()] = \
                value.decode("latin-1").strip()
        n = int(self.headers.get("content-length", "0") or 0)
        self.body = rest[:n]

    @property
    def json(self):
        import json as _json
        try:
            return _json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return "<RawAnswer %r>" % (self.data[:300],)


def raw_answer(client, request: bytes, timeout: float = 5.0) -> RawAnswer:
    """Send request bytes on a new connection; parse what comes back."""
    return RawAnswer(client.raw_bytes(request, timeout=timeout))


def assert_raw_error(ans: RawAnswer, status: int, code: str,
                     request_id: str = None) -> None:
    """An HTTP-layer refusal with the relay's JSON error body (errata
    E-ERROR-BODY) and, when the request had one, the request id."""
    assert ans.status == status, ans
    assert ans.headers.get("content-type", "").startswith(
        "application/json"), ans
    j = ans.json
    assert isinstance(j, dict) and j.get("error") == code, ans
    assert isinstance(j.get("message"), str), ans
    tp_bodies.parse("error_response", ans.body)
    if request_id is not None:
        assert ans.headers.get("mailbox-request-id") == request_id, ans
