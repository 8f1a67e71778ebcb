"""Injected faults: the interceptor that makes the broken relay the
instrumented test relay of the client suite.

    faults = Faults(relay)
    relay.interceptors.append(faults)
    faults.add("drop-response", op="create")         # once, the next create
    faults.add("delay", op="any", seconds=2, count=3)

A fault applies to the next `count` requests of operation `op` (create,
read, update, delete, relinquish, preview, well-known, or any), oldest
fault first:

    drop-response  the relay applies the request, then closes the connection
                   without answering (the client sees a dropped connection
                   after its request took effect)
    reset          the connection is reset (TCP RST) before the request is
                   applied: nothing happens
    delay          the answer comes `seconds` later (the request is applied
                   after the pause)
    status         the relay answers `status` (default 503, with an
                   {"error", "message"} body) without applying anything;
                   with `retry_after` (seconds) also a Retry-After header
                   (503 with it: a relay at an explicit capacity limit)
    wrong-echo     the request is applied; the answer's Mailbox-Request-ID is
                   another value than the request's

The control endpoint (control.py) adds and lists faults over HTTP for a
relay running in another process.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from tigress_py import uuids

from .protocol import REQUEST_ID, Relay, Request, Response, error

KINDS = ("drop-response", "reset", "delay", "status", "wrong-echo")
OPS = ("create", "read", "update", "delete", "relinquish", "preview",
       "well-known", "any")
_METHOD_OP = {"POST": "read", "PUT": "update", "DELETE": "delete",
              "PATCH": "relinquish", "GET": "preview", "HEAD": "preview"}


def op_of(req: Request) -> str:
    """The operation a request asks for (by method and path)."""
    if req.path.rstrip("/") == "/v1/m":
        return "create"
    if req.path.startswith("/.well-known/"):
        return "well-known"
    return _METHOD_OP.get(req.method, "other")


_ids = itertools.count(1)


@dataclass
class Fault:
    kind: str
    op: str = "any"
    count: int = 1                 # requests it still applies to
    seconds: float = 0.0           # delay
    status: int = 503              # status
    retry_after: Optional[int] = None   # status: a Retry-After header
    id: int = field(default_factory=lambda: next(_ids))
    hits: List[int] = field(default_factory=list)   # times it fired
    # only requests for which scope(request) is true (the lab: one
    # tester's mailboxes and address); None: every request
    scope: Optional[Callable[[Request], bool]] = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError("unknown fault kind %r (known: %s)" % (
                self.kind, ", ".join(KINDS)))
        if self.op not in OPS:
            raise ValueError("unknown operation %r (known: %s)" % (
                self.op, ", ".join(OPS)))
        if not isinstance(self.count, int) or self.count < 1:
            raise ValueError("count must be a positive integer")
        if not 0 <= float(self.seconds) <= 120:
            raise ValueError("seconds must be 0-120")
        if not isinstance(self.status, int) or not 400 <= self.status <= 599:
            raise ValueError("status must be 400-599")
        if self.retry_after is not None and (
                not isinstance(self.retry_after, int) or
                not 0 <= self.retry_after <= 3600):
            raise ValueError("retry_after must be 0-3600 seconds")

    def describe(self) -> str:
        what = {"delay": "delay %.1f s" % self.seconds,
                "status": "answer %d" % self.status}.get(self.kind, self.kind)
        return "%s (fault %d, on %s)" % (what, self.id, self.op)

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "op": self.op,
                "count": self.count, "seconds": self.seconds,
                "status": self.status, "retry_after": self.retry_after,
                "fired": len(self.hits)}


class Faults:
    """The interceptor: pending faults, applied in the order added."""

    def __init__(self, relay: Relay):
        self.relay = relay
        self._lock = threading.Lock()
        self._pending: List[Fault] = []
        self.fired: List[Fault] = []

    def add(self, kind: str, op: str = "any", count: int = 1,
            seconds: float = 0.0, status: int = 503,
            scope: Optional[Callable[[Request], bool]] = None,
            retry_after: Optional[int] = None) -> Fault:
        f = Fault(kind, op, count, float(seconds), status, retry_after,
                  scope=scope)
        with self._lock:
            self._pending.append(f)
        return f

    def clear(self) -> None:
        with self._lock:
            self._pending = []

    def pending(self) -> List[Fault]:
        with self._lock:
            return list(self._pending)

    def _take(self, req: Request) -> Optional[Fault]:
        op = op_of(req)
        with self._lock:
            for f in self._pending:
                if f.op in ("any", op) and (f.scope is None or
                                            f.scope(req)):
                    f.count -= 1
                    f.hits.append(int(time.time()))
                    if f.count == 0:
                        self._pending.remove(f)
                    self.fired.append(f)
                    return f
        return None

    def __call__(self, req: Request) -> Optional[Response]:
        f = self._take(req)
        if f is None:
            return None
        if f.kind == "reset":
            return Response(0, abort="reset", fault=f.describe())
        if f.kind == "status":
            resp = error(f.status, "unavailable" if f.status == 503
                         else "internal", "injected fault")
            if f.retry_after is not None:
                resp.headers.append(("Retry-After", str(f.retry_after)))
            resp.fault = f.describe()
            return resp
        if f.kind == "delay":
            time.sleep(f.seconds)
        resp = self.relay.apply(req)
        resp.fault = f.describe()
        if f.kind == "drop-response":
            resp.abort = "drop"
        elif f.kind == "wrong-echo" and req.header(REQUEST_ID) is not None:
            resp.echo = uuids.new_v4()
        return resp
