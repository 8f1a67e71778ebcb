"""Is a request well-formed?  Judged with the protocol description
(spec/protocol.json) and tigress_py's checks, for the rule that a 5xx is
never a conforming answer (RLY-NO-5XX): a well-formed request answered 5xx
breaks RLY-NO-5XX; an invalid create or update breaks the operation's
400 requirement (RLY-CREATE-400, RLY-UPDATE-400) instead.

    problem("http-00", "PUT", "/v1/m/ID", headers, body)  # None, or why not
    header_problem("request_id", "a b")   # "a character outside ..."
    header_kinds("sct-04", "delete")      # {"claim": "required", ...}
    server_error_requirement("http-00", exchange)        # "RLY-NO-5XX", ...
    capacity_limited(exchange)      # the one 5xx allowed: 503 + Retry-After
    server_error(exchange)          # a 5xx other than that one
"""

from __future__ import annotations

import urllib.parse
from typing import Iterable, Optional, Tuple

import protocol
from tigress_py import bodies, uuids
from tigress_py.errors import TigressError


def _header(headers: Iterable[Tuple[str, str]], names) -> Optional[str]:
    low = {n.lower() for n in names}
    for k, v in headers:
        if k.lower() in low:
            return v
    return None


def header_problem(kind: str, value) -> Optional[str]:
    """None when `value` (str, or bytes as sent) is a well-formed value of
    header `kind` (request_id, claim, attestation) by its value form in
    the description (a UUID; min_bytes, max_bytes, code_points), else
    what is wrong with it."""
    p = protocol.load()
    name = p.data["headers"][kind]["value"]
    v = p.value(name)
    raw = value if isinstance(value, bytes) else \
        value.encode("utf-8", "surrogatepass")
    text = raw.decode("utf-8", "replace")
    if name == "uuid":
        return None if uuids.is_form(text.strip()) else "not a UUID"
    if len(raw) < v.get("min_bytes", 0):
        return "empty" if not raw else "under %d bytes" % v["min_bytes"]
    if len(raw) > v.get("max_bytes", len(raw)):
        return "over %d bytes" % v["max_bytes"]
    lo, hi = v.get("code_points", (0, 0x10FFFF))
    bad = next((ch for ch in text if not lo <= ord(ch) <= hi), None)
    if bad is not None:
        return "U+%04X, outside U+%04X-U+%04X" % (ord(bad), lo, hi)
    return None


def header_kinds(profile: str, op: str) -> dict:
    """kind -> "required" or "optional": the headers a request of
    operation `op` may carry under `profile` (the operation's, and the
    attestation where the profile allows it on `op`)."""
    p = protocol.load()
    kinds = dict(p.operation(op)["headers"])
    if op in p.data["profiles"][profile]["attestation_on"]:
        kinds.setdefault("attestation", "optional")
    return kinds


def problem(profile: str, method: str, url: str, headers, body) -> Optional[str]:
    """None when the request is one of the protocol's operations with the
    headers and body it needs, else what is wrong with it."""
    p = protocol.load()
    path = urllib.parse.urlsplit(url).path if "://" in url else url
    op = p.operation_of(method, path.split("?", 1)[0])
    if op is None:
        return "no operation is %s %s" % (method, path)
    spec = p.operation(op)
    headers = list(headers or ())
    for kind, need in header_kinds(profile, op).items():
        value = _header(headers, p.header_names(profile, kind))
        if value is None:
            if need == "required":
                return "no %s header" % p.header(profile, kind)
            continue
        why = header_problem(kind, value)
        if why is not None:
            return "%s %s" % (p.header(profile, kind), why)
    kind = spec.get("request")
    if kind is None:
        return None
    body = body or b""
    ctype = _header(headers, ["Content-Type"]) or ""
    if body and ctype.split(";")[0].strip().lower() != spec["consumes"]:
        return "a body labelled %r" % ctype
    try:
        bodies.parse(kind, body)
    except TigressError as e:
        return "an invalid %s body (%s at %r)" % (kind, e.code, e.field)
    return None


def _capacity_outcome() -> dict:
    """capacity.full's outcome (the description's one 5xx answer)."""
    p = protocol.load()
    for op in p.operations:
        o = p.outcome(op, "capacity.full")
        if o is not None:
            return o
    raise KeyError("spec/protocol.json: no capacity.full outcome")


def capacity_limited(ex) -> bool:
    """The answer is the one 5xx the protocol allows: capacity.full's
    status with its headers (503 with Retry-After), a relay at an
    explicit capacity limit.  Every suite and check asks this, never
    its own test of the status."""
    o = _capacity_outcome()
    if getattr(ex, "status", None) != o["status"]:
        return False
    header = getattr(ex, "header", None)       # raw exchanges have none
    return header is not None and all(header(h) for h in o.get("headers",
                                                                 ()))


def server_error(ex) -> bool:
    """A 5xx answer that is not capacity_limited(): never conforming to a
    well-formed request."""
    st = getattr(ex, "status", None)
    return st is not None and st >= 500 and not capacity_limited(ex)


def well_formed(profile: str, ex) -> bool:
    """Exchange `ex` (of tigress_py's client; a raw one is never judged
    well-formed) sent a well-formed request: problem() finds nothing."""
    method = getattr(ex, "method", None)
    headers = getattr(ex, "request_headers", None)
    return method is not None and headers is not None and problem(
        profile, method, ex.url, headers, ex.request_body) is None


def server_error_requirement(profile: str, ex) -> str:
    """The requirement a 5xx answer to exchange `ex` breaks: the
    operation's `invalid` requirement for an invalid create or update
    body, else RLY-NO-5XX."""
    method = getattr(ex, "method", None)
    if method is None or getattr(ex, "request_headers", None) is None:
        return "RLY-NO-5XX"                 # a raw exchange
    why = problem(profile, method, ex.url, ex.request_headers,
                  ex.request_body)
    p = protocol.load()
    path = urllib.parse.urlsplit(ex.url).path
    op = p.operation_of(method, path)
    if why is not None and op in ("create", "update"):
        return p.body(p.operation(op)["request"])["invalid"][0]
    return "RLY-NO-5XX"
