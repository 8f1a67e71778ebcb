"""The broken relay's protocol logic, without any I/O: a Request goes in,
a Response comes out.  By default it follows draft-vinokurov-tigress-
http-00 with tigress-ref's decisions (spec/errata.md); each defect of
defects.py switches one thing off or breaks it, at the place marked
`self.has("...")`.

Two hooks make it an instrumented relay for client tests:

- `interceptors`: functions (request) -> Response or None, asked before
  the relay handles a request (inject a fault: answer 500, delay, ...);
  an interceptor may call `apply(request)` to have the request applied
  and then change the answer, or mark it `abort="drop"` (applied, the
  connection closed without an answer) or `abort="reset"` (the
  connection reset, nothing applied).  faults.py is the interceptor of
  the client suite;
- `observers`: functions (request, response) called after every answer
  (record what a client sent; recorder.py).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import protocol as protocol_description
from tigress_py import bodies, rfc3339, uuids
from tigress_py.errors import TigressError

from .defects import DEFECTS
from .store import Mailbox, Remembered, Store

# Limits and header names: the protocol description (spec/protocol.json).
_P = protocol_description.load()
MAX_BODY = _P.limits["max_body_bytes"]
DEFAULT_TTL = _P.limits["default_lifetime"]
MAX_TTL = _P.limits["max_lifetime"]
MAX_HEADER_BYTES = _P.limits["max_header_bytes"]   # all headers (X-LIMITS)
REQUEST_ID = _P.header("http-00", "request_id").lower()
CLAIM_HEADERS = {p: tuple(n.lower() for n in _P.header_names(p, "claim"))
                 for p in _P.profiles}
# either revision's (the lab's --draft auto: the device's choice shows)
CLAIM_HEADERS["auto"] = CLAIM_HEADERS["http-00"] + CLAIM_HEADERS["sct-04"]
# the attestation under any name: a relay refuses one over its limit
ATTESTATION_HEADERS = tuple(n.lower() for n in
                            _P.all_header_names("attestation"))
MAX_ATTESTATION = _P.value("attestation")["max_bytes"]
PREVIEW_HEADERS = [("Content-Security-Policy", "default-src 'none'; img-src https:"),
                   ("X-Content-Type-Options", "nosniff"),
                   ("Referrer-Policy", "no-referrer"),
                   ("Cache-Control", "no-store")]
_MAILBOX_PATH = re.compile(r"^/v1/m/([^/]+)$")


@dataclass
class Request:
    method: str
    path: str                     # without the query
    headers: Dict[str, str]       # lower-case names
    body: bytes = b""
    query: str = ""
    tls: bool = True
    peer: str = ""
    received: float = field(default_factory=time.time)
    target: str = ""              # the request target exactly as received
    raw_headers: List[tuple] = field(default_factory=list)  # as received

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: Optional[str] = "application/json"
    headers: List[tuple] = field(default_factory=list)
    close: bool = False
    head_only: bool = False       # HEAD: send the headers of `body` only
    abort: Optional[str] = None   # "drop": no answer; "reset": TCP reset
    fault: Optional[str] = None   # the injected fault, for the records
    echo: Optional[str] = None    # a Mailbox-Request-ID to echo instead


class Fail(Exception):
    """An error answer: {"error": code, "message": message}."""

    def __init__(self, status: int, code: str, message: str = ""):
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or code


def error(status: int, code: str, message: str = "") -> Response:
    body = json.dumps({"error": code, "message": message or code}).encode()
    return Response(status, body)


def _json(obj, status: int = 200) -> Response:
    return Response(status, json.dumps(obj, separators=(",", ":"),
                                       ensure_ascii=False).encode("utf-8"))


class Relay:
    def __init__(self, defects: Sequence[str] = (), profile: str = "http-00",
                 public_url: str = "https://127.0.0.1"):
        unknown = [d for d in defects if d not in DEFECTS]
        if unknown:
            raise ValueError("unknown defect(s): %s" % ", ".join(unknown))
        if profile not in CLAIM_HEADERS:
            raise ValueError("unknown profile %r" % profile)
        self.defects = set(defects)
        self.profile = profile
        self.public_url = public_url.rstrip("/")
        self.store = Store()
        self.interceptors: List[Callable] = []
        self.observers: List[Callable] = []
        self.notifications: List[dict] = []     # what a push service got
        self._counter = secrets.randbits(32)
        self._former: Dict[str, set] = {}   # relinquished-can-write
        self._counter_lock = threading.Lock()
        self.poisoned = False             # the poison-no-zone defect
        self._recent_creates: List[float] = []   # create-500-under-load
        self._load_count = 0

    def has(self, defect: str) -> bool:
        return defect in self.defects

    # -- entry point -------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        resp = None
        for f in self.interceptors:
            resp = f(req)
            if resp is not None:
                break
        if resp is None:
            resp = self.apply(req)
        self._finish(req, resp)
        for o in self.observers:
            o(req, resp)
        return resp

    def apply(self, req: Request) -> Response:
        """Handle the request (no interceptors, no observers)."""
        if self.poisoned:
            return error(500, "internal", "the store is corrupted")
        try:
            return self._route(req)
        except Fail as e:
            return error(e.status, e.code, e.message)

    def _finish(self, req: Request, resp: Response) -> None:
        rid = resp.echo if resp.echo is not None else req.header(REQUEST_ID)
        # Echoed whenever it can be written back safely, also on the 400
        # that refuses a request id over 128 characters (http-00 §5.1).
        if rid is not None and _echoable(rid) and \
                not self.has("no-echo-request-id"):
            resp.headers.append(("Mailbox-Request-ID", rid))
        if resp.content_type == "application/json":
            resp.headers.append(("Cache-Control", "no-store"))
            if self.has("wrong-content-type"):
                resp.content_type = "text/plain; charset=utf-8"
        if self.has("cookie"):
            resp.headers.append(("Set-Cookie", "relay_session=%s; Path=/; "
                                 "HttpOnly" % secrets.token_hex(16)))
            resp.headers.append(("Server", "BrokenRelay/0.9.1 Python/3.11"))

    def _route(self, req: Request) -> Response:
        if req.path == "/v1/m":
            if req.method != "POST":
                raise Fail(405, "method_not_allowed")
            return self.create(req)
        m = _MAILBOX_PATH.match(req.path)
        if not m:
            raise Fail(404, "not_found", "no such path")
        mid = m.group(1)
        if req.method in ("PUT", "DELETE", "PATCH") and \
                self.has("path-lenient-write"):
            mid = _hex_prefix(mid)
        op = {"GET": self.preview, "HEAD": self.preview, "POST": self.read,
              "PUT": self.update, "DELETE": self.delete,
              "PATCH": self.relinquish}.get(req.method)
        if op is None:
            raise Fail(405, "method_not_allowed")
        return op(req, mid)

    # -- request parts ---------------------------------------------------------------
    def _claim(self, req: Request) -> str:
        names = CLAIM_HEADERS[self.profile]
        if self.profile == "sct-04" and self.has("sct04-ignores-device-claim"):
            names = CLAIM_HEADERS["http-00"]
        if self.has("other-profile-headers"):  # speaks the other profile
            names = next(v for k, v in CLAIM_HEADERS.items()
                         if k != self.profile)
        for n in names:
            v = req.header(n)
            if v is not None:
                if not uuids.is_form(v.strip()):
                    raise Fail(400, "header_value", "the claim is not a UUID")
                return v.strip().lower()
        raise Fail(400, "header_missing", "no device claim")

    def _request_id(self, req: Request, required: bool) -> Optional[str]:
        for n in ATTESTATION_HEADERS:        # X-LIMITS (read with the ids)
            a = req.header(n)
            if a is not None and len(a.encode("latin-1", "replace")) > \
                    MAX_ATTESTATION:
                raise Fail(400, "header_value", "attestation over %d bytes"
                           % MAX_ATTESTATION)
        v = req.header(REQUEST_ID)
        if v is None:
            if required:
                raise Fail(400, "header_missing", "no Mailbox-Request-ID")
            return None
        if not _valid_request_id(v):
            if self.has("reqid-poison") and any(ord(c) > 0x7E for c in v):
                self.poisoned = True      # stored, and the log breaks
                return v
            raise Fail(400, "header_value", "bad Mailbox-Request-ID")
        return v

    def _body(self, req: Request, kind: str) -> dict:
        if len(req.body) > MAX_BODY:
            if self.has("oversize-500"):
                raise Fail(500, "internal", "body too big for the buffer")
            raise Fail(413, "too_large", "body over %d bytes" % MAX_BODY)
        ctype = (req.header("content-type") or "").split(";")[0].strip()
        if req.body and ctype.lower() != "application/json":
            raise Fail(415, "unsupported_media_type", "not application/json")
        try:
            return bodies.parse(kind, req.body)
        except TigressError as e:
            if self.has("malformed-500") and e.code in ("json_syntax",
                                                        "json_depth"):
                raise Fail(500, "internal", "parser crashed")
            taken = self._lenient(kind, req.body, e)
            if taken is not None:
                return taken
            if self.has("type-confusion-500") and e.code == "field_type":
                raise Fail(500, "internal", "TypeError: %s" % e.field)
            raise Fail(413 if e.code == "too_large" else 400, e.code,
                       str(e))

    def _lenient(self, kind: str, raw: bytes, e: TigressError):
        """The body as parsed JSON when a defect makes the relay take what
        the rules refuse, else None: an expiration without a time zone
        (poison-no-zone), display strings of another JSON type
        (type-confusion-500), access rights without R
        (bind-before-rights)."""
        field = e.field or ""
        if (self.has("poison-no-zone") and e.code == "time_syntax" and
                field == "mailboxConfiguration.expiration") or \
                (self.has("type-confusion-500") and e.code == "field_type"
                 and field.startswith("displayInformation.")) or \
                (self.has("bind-before-rights") and e.code == "field_value"
                 and field == "mailboxConfiguration.accessRights"):
            body = json.loads(raw)
            cfg = body.get("mailboxConfiguration") or {}
            if field == "mailboxConfiguration.expiration":
                if len(cfg.get("expiration", "")) != 19:
                    return None
                cfg["expiration"] += "Z"      # read as UTC ...
                self.poisoned = True          # ... and the store breaks
            return body
        return None

    def _under_load(self) -> bool:
        """create-500-under-load: true for one create in 29 while more than
        20 creates came in the last second (called under the store lock)."""
        now = time.monotonic()
        recent = self._recent_creates
        recent.append(now)
        while recent and recent[0] < now - 1:
            recent.pop(0)
        self._load_count += 1
        return len(recent) > 20 and self._load_count % 29 == 0

    def _mailbox(self, mid: str) -> Mailbox:
        mb = self.store.get(mid.lower())
        if mb is None:
            raise Fail(404, "not_found", "no such mailbox")
        if mb.deleted and not self.has("deleted-readable"):
            raise Fail(404, "not_found", "no such mailbox")
        if time.time() >= mb.expiration and not self.has("expired-readable"):
            raise Fail(404, "not_found", "the mailbox expired")
        return mb

    def _new_id(self) -> str:
        if self.has("sequential-ids"):
            with self._counter_lock:
                self._counter += 1
                return "00000000-0000-4000-8000-%012x" % self._counter
        return uuids.new_v4()

    # -- remembered requests (http-00 §5.1; errata E-DUP-SCOPE) ---------------------------
    def _duplicate(self, claim: str, rid: str, op: str,
                   mailbox: Optional[str]) -> Optional[Response]:
        if self.has("no-dup-201"):
            return None
        key = ("*" if self.has("dup-across-claims") else claim, rid)
        r = self.store.requests.get(key)
        outlives = r is not None and r.op == "delete" and \
            self.has("delete-id-outlives")
        if outlives:
            return Response(201, r.body)
        if r is None or r.expires <= time.time():
            return None             # forgotten at its mailbox's expiration
        if self.has("dup-last-only") and \
                self.store.last_request.get(claim) != rid:
            return None
        if r.op != op or (op != "create" and r.mailbox != mailbox):
            if self.has("reqid-across-ops"):      # the last id, any request
                return Response(201, r.body)
            raise Fail(409, "request_id_conflict",
                       "request id used for another request")
        if self.has("dup-wrong-body"):
            if op == "create":
                return _json({"urlLink": "%s/v1/m/%s" % (
                    self.public_url, uuids.new_v4()),
                    "isPushNotificationSupported": True}, 201)
            return _json({}, 201)
        return Response(201, r.body)

    def _remember(self, claim: str, rid: str, op: str,
                  mailbox: Optional[str], resp: Response,
                  expires: int) -> None:
        key = ("*" if self.has("dup-across-claims") else claim, rid)
        self.store.requests[key] = Remembered(op, mailbox, resp.body, expires)
        self.store.last_request[claim] = rid

    def _notify(self, mb: Mailbox, writer: str) -> None:
        for claim, token in mb.notify.items():
            if claim != writer:
                self.notifications.append(dict(token, event="update"))

    # -- the six operations --------------------------------------------------------------
    def create(self, req: Request) -> Response:
        claim = self._claim(req)
        rid = self._request_id(req, True)
        with self.store.lock:
            dup = self._duplicate(claim, rid, "create", None)
            if dup is not None:
                return dup
            body = self._body(req, "create_request")
            now = int(time.time())
            cfg = body.get("mailboxConfiguration")
            if cfg is None and self.has("config-required"):
                raise Fail(400, "field_missing", "mailboxConfiguration")
            if self.has("create-500-under-load") and self._under_load():
                raise Fail(500, "internal", "database is locked")
            rights = "RD"
            if cfg is not None:
                exp = rfc3339.parse(cfg["expiration"])
                if exp <= now or exp > now + MAX_TTL:
                    raise Fail(400, "field_value",
                               "expiration not in the next %d s" % MAX_TTL)
                rights = cfg.get("accessRights", "RD")
            else:
                exp = now + DEFAULT_TTL
            payload = self._stored_payload(body["payload"])
            mid = self._new_id()
            mb = Mailbox(mid, claim, payload, payload,
                         body["displayInformation"], exp,
                         rfc3339.format(exp), rights)
            if "notificationToken" in body:
                mb.notify[claim] = body["notificationToken"]
            self.store.mailboxes[mid] = mb
            origin = self.public_url
            if self.has("urllink-from-host") and req.header("host"):
                origin = "https://%s" % req.header("host")
            resp = _json({"urlLink": "%s/v1/m/%s" % (origin, mid),
                          "isPushNotificationSupported": True})
            self._remember(claim, rid, "create", None, resp, exp)
            return resp

    def _stored_payload(self, payload: dict) -> dict:
        if self.has("opacity-mangle") and len(payload["data"]) > 1000:
            import base64
            raw = bytearray(base64.b64decode(payload["data"]))
            raw[-1] ^= 1
            payload = dict(payload, data=base64.b64encode(raw).decode())
        return payload

    def read(self, req: Request, mid: str) -> Response:
        claim = self._claim(req)
        self._request_id(req, False)
        mb = self._mailbox(mid)
        if self.has("bind-before-rights"):     # bound before any check
            with self.store.lock:
                if claim != mb.initiator and mb.recipient is None:
                    mb.recipient = claim
            if req.body:
                self._body(req, "read_request")
            if "R" not in mb.rights:
                raise Fail(403, "forbidden", "no read right")
        body = self._body(req, "read_request") if req.body else {}
        if "R" not in mb.rights:
            raise Fail(401, "unauthorized", "no read right")
        bound_now = False
        if self.has("race") and claim != mb.initiator and mb.recipient is None:
            time.sleep(0.05)                  # check, then set: not atomic
            mb.recipient = claim
            bound_now = True
        with self.store.lock:
            if claim == mb.initiator:
                if self.has("initiator-as-recipient") and mb.recipient is None:
                    mb.recipient = claim
            elif mb.recipient is None:
                mb.recipient = claim
            elif mb.recipient != claim and not bound_now and \
                    not self.has("third-device-can-read"):
                raise Fail(401, "unauthorized", "not bound to this mailbox")
            if "notificationToken" in body:
                mb.notify[claim] = body["notificationToken"]
            exp = mb.expiration_text
            if self.has("no-expiration-echo"):
                exp = rfc3339.format(int(time.time()) + DEFAULT_TTL)
            return _json({"displayInformation": mb.display,
                          "payload": mb.payload, "expiration": exp})

    def update(self, req: Request, mid: str) -> Response:
        claim = self._claim(req)
        rid = self._request_id(req, True)
        with self.store.lock:
            mb = self._mailbox(mid)
            dup = self._duplicate(claim, rid, "update", mb.id)
            if dup is not None:
                return dup
            body = self._body(req, "update_request")
            if claim not in (mb.initiator, mb.recipient) and \
                    not self.has("no-binding") and not (
                        self.has("relinquished-can-write") and
                        claim in self._former.get(mb.id, ())):
                raise Fail(401, "unauthorized", "not bound to this mailbox")
            if "W" not in mb.rights:
                raise Fail(401, "unauthorized", "no write right")
            if self.has("turn-taking") and mb.last_writer == claim:
                raise Fail(409, "turn_taking", "wait for the other party")
            payload = self._stored_payload(body["payload"])
            mb.payload = payload
            if claim == mb.initiator:
                mb.initiator_payload = payload
            mb.last_writer = claim
            if self.has("update-renews-expiry"):
                mb.expiration = int(time.time()) + 3600
                mb.expiration_text = rfc3339.format(mb.expiration)
            if "notificationToken" in body:
                mb.notify[claim] = body["notificationToken"]
            self._notify(mb, claim)
            resp = _json({"isPushNotificationSupported": True})
            self._remember(claim, rid, "update", mb.id, resp, mb.expiration)
            return resp

    def delete(self, req: Request, mid: str) -> Response:
        claim = self._claim(req)
        rid = self._request_id(req, True)
        with self.store.lock:
            dup = self._duplicate(claim, rid, "delete", mid.lower())
            if dup is not None:
                return dup
            mb = self._mailbox(mid)
            allowed = claim == mb.initiator or (
                claim == mb.recipient and "D" in mb.rights)
            if not allowed and not self.has("no-binding"):
                raise Fail(401, "unauthorized", "may not delete")
            if self.has("deleted-readable"):
                mb.deleted = True         # only marked (and still served)
            else:
                del self.store.mailboxes[mb.id]
            if self.has("delete-all-of-claim") and claim == mb.initiator:
                for other in [m for m in self.store.mailboxes.values()
                              if m.initiator == claim]:
                    del self.store.mailboxes[other.id]
            resp = _json({})
            self._remember(claim, rid, "delete", mb.id, resp,
                           mb.expiration if not self.has("delete-id-outlives")
                           else 1 << 40)
            return resp

    def relinquish(self, req: Request, mid: str) -> Response:
        claim = self._claim(req)
        rid = self._request_id(req, True)
        with self.store.lock:
            mb = self._mailbox(mid)
            dup = self._duplicate(claim, rid, "relinquish", mb.id)
            if dup is not None:
                if self.has("relinquish-retry-reapplied"):
                    self._unbind(mb)
                return dup
            if (mb.recipient is None or claim != mb.recipient) and \
                    not self.has("relinquish-by-anyone"):
                raise Fail(401, "unauthorized", "not the bound recipient")
            self._unbind(mb)
            resp = _json({})
            self._remember(claim, rid, "relinquish", mb.id, resp,
                           mb.expiration)
            return resp

    def _unbind(self, mb: Mailbox) -> None:
        if mb.recipient is not None:
            mb.notify.pop(mb.recipient, None)
            self._former.setdefault(mb.id, set()).add(mb.recipient)
        mb.recipient = None
        mb.payload = mb.initiator_payload

    def preview(self, req: Request, mid: str) -> Response:
        mb = self._mailbox(mid)
        if self.has("preview-consumes"):
            with self.store.lock:
                if mb.recipient is None:
                    mb.recipient = "preview:" + (req.header("user-agent")
                                                 or "unknown")
        page = self.render_preview(mb).encode("utf-8")
        return Response(200, page, "text/html; charset=utf-8",
                        list(PREVIEW_HEADERS), head_only=req.method == "HEAD")

    # -- the preview page --------------------------------------------------------------------
    def render_preview(self, mb: Mailbox) -> str:
        esc = (lambda s: s) if self.has("preview-unescaped") else \
            (lambda s: html.escape(s, quote=True))
        if self.has("preview-double-escape"):
            once = esc
            esc = (lambda s: html.escape(once(s), quote=True))
        d = mb.display
        lines = ["<!DOCTYPE html>",
                 '<html lang="en" prefix="og: https://ogp.me/ns#">',
                 "<head>", '<meta charset="utf-8">',
                 "<title>%s</title>" % esc(d["title"]),
                 '<meta property="og:title" content="%s">' % esc(d["title"]),
                 '<meta property="og:description" content="%s">' %
                 esc(d["description"]),
                 '<meta property="og:type" content="website">']
        img = d.get("imageURL", "")
        if img and (self.has("imageurl-any-scheme") or _clean_https(img)):
            lines.append('<meta property="og:image" content="%s">' % esc(img))
        if self.has("preview-script"):
            lines.append('<script async src="https://analytics.example.net/'
                         't.js"></script>')
        lines += ["</head>", "<body>", "<h1>%s</h1>" % esc(d["title"]),
                  "<p>%s</p>" % esc(d["description"]), "</body>", "</html>"]
        return "\n".join(lines) + "\n"


def _valid_request_id(v: str) -> bool:
    return 1 <= len(v) <= 128 and all(0x21 <= ord(c) <= 0x7E for c in v)


def _hex_prefix(mid: str) -> str:
    """path-lenient-write: the identifier made of the first 32 hexadecimal
    digits of a path segment, whatever else it holds (braces, urn:uuid:,
    one digit more); the segment itself when it has fewer."""
    d = re.sub("[^0-9a-f]", "", urllib.parse.unquote(mid).lower())[:32]
    if len(d) < 32:
        return mid
    return "%s-%s-%s-%s-%s" % (d[:8], d[8:12], d[12:16], d[16:20], d[20:])


def _echoable(v: str) -> bool:
    return 1 <= len(v) <= 1024 and all(0x20 <= ord(c) <= 0x7E for c in v)


def _clean_https(url: str) -> bool:
    """errata E-IMAGEURL: shown only when https, without quotes, spaces or
    control characters."""
    return url.lower().startswith("https://") and not any(
        c in url for c in "\"'<> ") and all(0x20 < ord(c) != 0x7F
                                             for c in url)
