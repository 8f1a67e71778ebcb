"""A small HTTP client for the TIGRESS relay protocol (draft-vinokurov-
tigress-http-00, with the decisions of spec/errata.md and the extensions of
spec/extensions.md).

One method per operation of the protocol.  Every call returns an
`Exchange`: the exact request that went out (method, URL, headers, body)
and the response that came back (status, headers, body bytes and text, the
parsed JSON or None).  Exchanges are kept in `RelayClient.history`, so a
test or the conformance runner can cite them as evidence.

The client never sends a URL fragment (the Secret of a share URL, http-00
§8.2.1): any `#...` is cut from a target before the request is made, and a
share URL's query (the vertical) is cut as well (errata E-API-URL).

    c = RelayClient("https://127.0.0.1:8443", ca="/path/cert.pem")
    ex = c.create(claim, display, payload)
    url = ex.json["urlLink"]
    ex = c.read(url, other_claim)

Header names depend on the profile (errata E-SCT04-HEADERS):

    http-00: Mailbox-Request-ID, Mailbox-Device-Claim, Mailbox-Device-Attestation
    sct-04:  Mailbox-Request-ID, Device-Claim,         Device-Attestation
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json as _json
import re
import select
import socket
import ssl
import threading
import time
import uuid
import urllib.parse
from typing import Any, Iterable, Mapping, Optional, Union

import protocol

__all__ = [
    "PROFILES", "Exchange", "RelayClient", "ClientError", "api_path",
    "mailbox_id_of",
]

# profile -> {request_id, claim, attestation} -> header name, from the
# protocol description (spec/protocol.json, `profiles`).
PROFILES = {p: protocol.load().headers(p) for p in protocol.load().profiles}

# Headers every request carries unless the caller names its own; `raw()`
# sends none of them, only what the caller names (plus Host and
# Content-Length).
_DEFAULT_HEADERS = (("User-Agent", "tigress_py"), ("Accept", "*/*"))

# Idle keep-alive connections kept per relay (as urllib3's pool_maxsize).
_POOL_MAX = 10

# Characters left as they are when a URL is percent-encoded before it is
# sent (requests' requote_uri: reserved and unreserved characters and %).
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}$")

# Marker: leave a header out entirely (e.g. request_id=OMIT).
OMIT = False


class ClientError(Exception):
    """A misuse of the client (not a relay answer)."""


class Headers(dict):
    """Response headers by name, any case; a repeated header's values are
    joined with ", " (RFC 9110 5.3).  Keys keep the case first seen."""

    def __init__(self, items=()):
        super().__init__()
        self._names: dict = {}
        for k, v in items:
            low = k.lower()
            if low in self._names:
                k = self._names[low]
                super().__setitem__(k, dict.__getitem__(self, k) + ", " + v)
            else:
                self._names[low] = k
                super().__setitem__(k, v)

    def _key(self, name: str) -> str:
        return self._names.get(name.lower(), name)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(self._key(name))

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name.lower() in self._names

    def get(self, name: str, default=None):
        return super().get(self._key(name), default)


def _transport_error(e: BaseException, connected: bool) -> str:
    """An exception of the transport as "Kind: detail", with the kinds the
    callers look for (SSLError, ConnectTimeout, ReadTimeout,
    ConnectionError)."""
    if isinstance(e, ssl.SSLError):
        return "SSLError: %s" % e
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "ReadTimeout: read timed out" if connected else \
            "ConnectTimeout: connect timeout"
    if isinstance(e, http.client.HTTPException):    # its class says what
        name = type(e).__name__
        return "ConnectionError: %s" % ("%s(%r)" % (name, str(e))
                                        if str(e) else name)
    if isinstance(e, OSError):
        return "ConnectionError: %s" % e
    return "InvalidRequest: %s" % e         # a header or URL put refused


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def mailbox_id_of(target: str) -> str:
    """The mailbox identifier of a mailbox URL, share URL or bare id."""
    t = _strip_fragment(target).split("?", 1)[0]
    return t.rstrip("/").rsplit("/", 1)[-1]


def api_path(target: str, version: str = "v1") -> str:
    """`/v{N}/m/{id}` of a bare id, or the path of a URL (no query, no
    fragment)."""
    if _UUID_RE.match(target):
        return "/%s/m/%s" % (version, target)
    t = _strip_fragment(target).split("?", 1)[0]
    if "://" in t:
        p = urllib.parse.urlsplit(t).path
        return p or "/"
    return t


def _encode_body(obj: Any) -> bytes:
    return _json.dumps(obj, separators=(",", ":"),
                       ensure_ascii=False).encode("utf-8")


class Exchange:
    """One request and its response.

    Request side: method, url, request_headers (list of (name, value) in
    the order sent), request_body (bytes or None).
    Response side: status (None when the transport failed), headers
    (case-insensitive dict), body (bytes), text, json (parsed body or None),
    transport_error (str or None), elapsed (seconds).
    """

    def __init__(self, method: str, url: str, request_headers,
                 request_body: Optional[bytes]):
        self.method = method
        self.url = url
        self.request_headers = list(request_headers)
        self.request_body = request_body
        self.status: Optional[int] = None
        self.reason: str = ""
        self.headers: Headers = Headers()
        self.header_list: list = []
        self.body: bytes = b""
        self.text: str = ""
        self.json: Any = None
        self.transport_error: Optional[str] = None
        self.started = time.time()
        self.elapsed = 0.0

    # -- request side ------------------------------------------------------
    def request_header(self, name: str) -> Optional[str]:
        for k, v in self.request_headers:
            if k.lower() == name.lower():
                return v
        return None

    # -- response side -----------------------------------------------------
    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").strip()

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def error_code(self) -> Optional[str]:
        if isinstance(self.json, dict):
            e = self.json.get("error")
            return e if isinstance(e, str) else None
        return None

    def _fill(self, resp: http.client.HTTPResponse, body: bytes) -> None:
        self.status = resp.status
        self.reason = resp.reason or ""
        self.header_list = list(resp.msg.items())
        self.headers = Headers(self.header_list)
        self.body = body
        self.text = self.body.decode("utf-8", errors="replace")
        self.json = None
        if self.body:
            try:
                self.json = _json.loads(self.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self.json = None

    def to_evidence(self, max_body: int = 4096) -> dict:
        """A JSON-serialisable record of the exchange."""
        def body_repr(b: Optional[bytes]):
            if b is None:
                return None
            try:
                s = b.decode("utf-8")
                enc = "utf-8"
            except UnicodeDecodeError:
                s = base64.b64encode(b).decode("ascii")
                enc = "base64"
            trunc = len(s) > max_body
            return {"encoding": enc, "length": len(b),
                    "data": s[:max_body], "truncated": trunc,
                    "sha256": hashlib.sha256(b).hexdigest()}
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": [[k, v if isinstance(v, str) else
                             bytes(v).decode("utf-8", "replace")]
                            for k, v in self.request_headers],
                "body": body_repr(self.request_body),
            },
            "response": None if self.status is None else {
                "status": self.status,
                "reason": self.reason,
                "headers": [[k, v] for k, v in self.header_list],
                "body": body_repr(self.body),
            },
            "transport_error": self.transport_error,
            "started": self.started,
            "elapsed": self.elapsed,
        }

    def __repr__(self) -> str:
        st = self.status if self.status is not None else \
            "transport error: %s" % self.transport_error
        return "<Exchange %s %s -> %s %s>" % (
            self.method, self.url, st, self.text[:300])


class RelayClient:
    """A client of one relay.

    base_url: `https://host:port` (or `http://...` for a relay run with
    --insecure-http).  ca: None for the system trust store, a path to a PEM
    file holding the certificate(s) to trust, or False to skip
    verification.  profile: "http-00" or "sct-04" (header names).
    keep_history: keep every Exchange in `history`; observers: functions
    called with every Exchange as it completes (from the calling thread).
    """

    def __init__(self, base_url: str, ca: Union[None, str, bool] = None,
                 profile: str = "http-00", timeout: float = 10,
                 api_version: str = "v1", keep_history: bool = True,
                 observers=()):
        if profile not in PROFILES:
            raise ClientError("unknown profile %r" % profile)
        self.base_url = _strip_fragment(base_url).rstrip("/")
        self.ca = ca
        self.profile = profile
        self.names = dict(PROFILES[profile])
        self.timeout = timeout
        self.api_version = api_version
        self.keep_history = keep_history
        self.history: list = []
        # functions called with every Exchange, kept or not
        self.observers = list(observers)
        self._lock = threading.Lock()
        self._ssl: Optional[ssl.SSLContext] = None
        # (scheme, host, port) -> idle keep-alive connections
        self._idle: dict = {}

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- URLs --------------------------------------------------------------
    def url_for(self, target: str) -> str:
        """The URL a request about `target` goes to.

        target: a bare mailbox id (sent to this client's relay), a path
        starting with `/`, or an absolute URL (a `urlLink` or a share URL).
        A fragment is always removed; for a mailbox URL (`/v{N}/m/{id}`)
        the query is removed too (errata E-API-URL).
        """
        target = _strip_fragment(target)
        if _UUID_RE.match(target):
            return "%s/%s/m/%s" % (self.base_url, self.api_version, target)
        if target.startswith("/"):
            return self.base_url + target
        if "://" in target:
            parts = urllib.parse.urlsplit(target)
            if re.match(r"^/v[0-9]+/m/[^/]+$", parts.path):
                return urllib.parse.urlunsplit(
                    (parts.scheme, parts.netloc, parts.path, "", ""))
            return urllib.parse.urlunsplit(
                (parts.scheme, parts.netloc, parts.path, parts.query, ""))
        raise ClientError("not a mailbox id, path or URL: %r" % target)

    # -- header building -----------------------------------------------------
    @staticmethod
    def new_request_id() -> str:
        return str(uuid.uuid4())

    def _headers(self, claim=None, request_id=None, attestation=None,
                 extra: Optional[Mapping[str, Any]] = None,
                 content_type: Optional[str] = None,
                 default_request_id: bool = True) -> list:
        h = []
        if request_id is None and default_request_id:
            request_id = self.new_request_id()
        if request_id is not None and request_id is not OMIT:
            h.append((self.names["request_id"], request_id))
        if claim is not None and claim is not OMIT:
            h.append((self.names["claim"], claim))
        if attestation is not None and attestation is not OMIT:
            h.append((self.names["attestation"], attestation))
        if content_type is not None:
            h.append(("Content-Type", content_type))
        if extra:
            for k, v in (extra.items() if hasattr(extra, "items") else extra):
                h = [(a, b) for a, b in h if a.lower() != k.lower()]
                if v is not None:
                    h.append((k, v))
        return h

    # -- sending ------------------------------------------------------------
    def _send(self, method: str, url: str, headers: list,
              body: Optional[bytes], timeout: Optional[float] = None,
              drop_defaults: bool = False) -> Exchange:
        url = urllib.parse.quote(_strip_fragment(url), safe=_URL_SAFE)
        named = {k.lower() for k, _ in headers}
        hl = [] if drop_defaults else [
            (k, v) for k, v in _DEFAULT_HEADERS if k.lower() not in named]
        hl += [(k, v) for k, v in headers if v is not None]
        if "content-length" not in named and (
                body or (body is None and method not in ("GET", "HEAD")) or
                (body is not None and method in ("POST", "PUT", "PATCH"))):
            # as requests did: the length of a body, and 0 for a method
            # that may carry one but has none
            hl.append(("Content-Length", str(len(body or b""))))
        ex = Exchange(method, url, hl, body)
        t0 = time.monotonic()
        self._exchange(ex, "host" in named,
                       self.timeout if timeout is None else timeout)
        ex.elapsed = time.monotonic() - t0
        if self.keep_history:
            with self._lock:
                self.history.append(ex)
        for o in self.observers:
            o(ex)
        return ex

    def _exchange(self, ex: Exchange, own_host: bool, timeout: float) -> None:
        """Send `ex`'s request on a kept or new connection and fill in the
        answer, or its transport_error."""
        parts = urllib.parse.urlsplit(ex.url)
        key = (parts.scheme, parts.hostname, parts.port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn, connected = None, False
        try:
            conn = self._connection(key, timeout)
            if conn.sock is None:
                conn.connect()
            connected = True
            conn.putrequest(ex.method, target, skip_host=own_host,
                            skip_accept_encoding=True)
            for k, v in ex.request_headers:
                conn.putheader(k, v)
            conn.endheaders(ex.request_body)
            resp = conn.getresponse()
            body = resp.read()
            ex._fill(resp, body)
            if resp.will_close:
                conn.close()
            else:
                self._keep(key, conn)
            conn = None
        except (OSError, http.client.HTTPException, ValueError) as e:
            ex.transport_error = _transport_error(e, connected)
        finally:
            if conn is not None:
                conn.close()

    def _connection(self, key, timeout: float) -> http.client.HTTPConnection:
        """An idle connection to `key` that the relay has not closed, or a
        new one (not yet connected)."""
        with self._lock:
            conns = self._idle.get(key, [])
            while conns:
                conn = conns.pop()
                readable, _, _ = select.select([conn.sock], [], [], 0)
                if not readable:            # still open, nothing unasked
                    conn.sock.settimeout(timeout)
                    return conn
                conn.close()
        scheme, host, port = key
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=timeout, context=self.ssl_context())
        if scheme == "http":
            return http.client.HTTPConnection(host, port, timeout=timeout)
        raise ValueError("unsupported URL scheme %r" % scheme)

    def _keep(self, key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            conns = self._idle.setdefault(key, [])
            if len(conns) < _POOL_MAX:
                conns.append(conn)
                return
        conn.close()

    def request(self, method: str, target: str, *, claim=None,
                request_id=OMIT, attestation=None,
                headers: Optional[Mapping[str, Any]] = None,
                body: Optional[bytes] = None, json: Any = None,
                content_type: Optional[str] = None,
                timeout: Optional[float] = None) -> Exchange:
        """Any request: `json` is encoded (and Content-Type defaults to
        application/json), or `body` is sent as given.  request_id defaults
        to none here; pass None for a fresh one."""
        if json is not None:
            body = _encode_body(json)
            if content_type is None:
                content_type = "application/json"
        hdrs = self._headers(claim, request_id, attestation, headers,
                             content_type)
        return self._send(method, self.url_for(target), hdrs, body, timeout)

    def raw(self, method: str, path: str,
            headers: Union[None, Mapping[str, str], Iterable] = None,
            body: Optional[bytes] = None,
            timeout: Optional[float] = None) -> Exchange:
        """Send exactly `method path` with only the given headers (plus Host
        and, with a body, Content-Length).  `path` may be a path or an
        absolute URL; a fragment is removed."""
        if "://" not in path:
            if not path.startswith("/"):
                raise ClientError("raw path must start with /")
            url = self.base_url + path
        else:
            url = path
        hl = list(headers.items()) if hasattr(headers, "items") else \
            list(headers or [])
        return self._send(method, url, hl, body, timeout, drop_defaults=True)

    def raw_bytes(self, data: bytes, timeout: float = 5.0,
                  tls: Optional[bool] = None, max_bytes: int = 1 << 20
                  ) -> bytes:
        """Open a new connection, send `data` as it is, and return what the
        relay sends back until it closes the connection, `timeout` seconds
        pass without data, or `max_bytes` arrived.  tls: None follows the
        base URL's scheme."""
        parts = urllib.parse.urlsplit(self.base_url)
        if tls is None:
            tls = parts.scheme == "https"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        sock = socket.create_connection((parts.hostname, port),
                                        timeout=timeout)
        try:
            if tls:
                ctx = self.ssl_context()
                sock = ctx.wrap_socket(sock, server_hostname=parts.hostname)
            sock.sendall(data)
            out = bytearray()
            while len(out) < max_bytes:
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, ConnectionError, ssl.SSLError):
                    break
                if not chunk:
                    break
                out += chunk
            return bytes(out)
        finally:
            sock.close()

    def ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting what this client trusts (made once)."""
        if self._ssl is not None:
            return self._ssl
        if self.ca is False:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca is None:
            ctx = ssl.create_default_context()
        else:
            ctx = ssl.create_default_context(cafile=str(self.ca))
        self._ssl = ctx
        return ctx

    # -- the operations ---------------------------------------------------------
    def create(self, claim, display, payload, notify=None, config=None,
               request_id=None, attestation=None, *, extra=None, body=None,
               headers=None, content_type="application/json",
               timeout=None) -> Exchange:
        """CreateMailbox: POST /v1/m (http-00 §6.1).  `extra` adds members
        to the body; `body` (bytes) replaces it entirely."""
        if body is None:
            obj = {}
            if payload is not None:
                obj["payload"] = payload
            if display is not None:
                obj["displayInformation"] = display
            if notify is not None:
                obj["notificationToken"] = notify
            if config is not None:
                obj["mailboxConfiguration"] = config
            if extra:
                obj.update(extra)
            body = _encode_body(obj)
        hdrs = self._headers(claim, request_id, attestation, headers,
                             content_type)
        return self._send("POST", "%s/%s/m" % (self.base_url,
                                               self.api_version),
                          hdrs, body, timeout)

    def update(self, mailbox, claim, payload, notify=None, request_id=None,
               attestation=None, *, extra=None, body=None, headers=None,
               content_type="application/json", timeout=None) -> Exchange:
        """UpdateMailbox: PUT /v1/m/{id} (http-00 §6.2)."""
        if body is None:
            obj = {}
            if payload is not None:
                obj["payload"] = payload
            if notify is not None:
                obj["notificationToken"] = notify
            if extra:
                obj.update(extra)
            body = _encode_body(obj)
        hdrs = self._headers(claim, request_id, attestation, headers,
                             content_type)
        return self._send("PUT", self.url_for(mailbox), hdrs, body, timeout)

    def delete(self, mailbox, claim, request_id=None, attestation=None, *,
               headers=None, timeout=None) -> Exchange:
        """DeleteMailbox: DELETE /v1/m/{id} (http-00 §6.3)."""
        hdrs = self._headers(claim, request_id, attestation, headers)
        return self._send("DELETE", self.url_for(mailbox), hdrs, None,
                          timeout)

    def read_display(self, mailbox, method="GET", *, user_agent=None,
                     request_id=OMIT, claim=None, headers=None,
                     timeout=None) -> Exchange:
        """ReadDisplayInformationFromMailbox: GET (or HEAD) /v1/m/{id}
        (http-00 §6.4).  No request id unless given."""
        extra = dict(headers or {})
        if user_agent is not None:
            extra["User-Agent"] = user_agent
        hdrs = self._headers(claim, request_id, None, extra,
                             default_request_id=False)
        return self._send(method, self.url_for(mailbox), hdrs, None, timeout)

    def read(self, mailbox, claim, notify=None, request_id=None, *,
             if_none_match=None, wait=None, headers=None, body=None,
             content_type=None, timeout=None) -> Exchange:
        """ReadSecureContentFromMailbox: POST /v1/m/{id} (http-00 §6.5).
        The body is empty unless a notification token is given (errata
        E-READ-BODY).  if_none_match/wait: long-poll (X-LONG-POLL)."""
        if body is None:
            if notify is not None:
                body = _encode_body({"notificationToken": notify})
                if content_type is None:
                    content_type = "application/json"
            else:
                body = b""
        extra = dict(headers or {})
        if if_none_match is not None:
            extra["If-None-Match"] = if_none_match
        if wait is not None:
            extra["Prefer"] = "wait=%s" % wait
        if timeout is None and wait is not None:
            timeout = self.timeout + float(wait)
        hdrs = self._headers(claim, request_id, None, extra, content_type)
        return self._send("POST", self.url_for(mailbox), hdrs, body, timeout)

    def relinquish(self, mailbox, claim, request_id=None, attestation=None,
                   *, headers=None, timeout=None) -> Exchange:
        """RelinquishMailbox: PATCH /v1/m/{id} (http-00 §6.6)."""
        hdrs = self._headers(claim, request_id, attestation, headers)
        return self._send("PATCH", self.url_for(mailbox), hdrs, None,
                          timeout)

    def well_known(self, *, headers=None, timeout=None) -> Exchange:
        """GET /.well-known/tigress (X-WELL-KNOWN)."""
        hdrs = self._headers(None, OMIT, None, headers,
                             default_request_id=False)
        return self._send("GET", self.base_url + "/.well-known/tigress",
                          hdrs, None, timeout)
