"""A step as HTTP requests: the symbols of one play made concrete (a fresh
claim per device, a fresh UUID per request id, random payloads), sent with
tigress_py.client (one client per device, so racing requests go out on
separate connections)."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from typing import Dict, List, Optional, Tuple

from tigress_py import rfc3339, uuids
from tigress_py.client import Exchange, RelayClient

from .judge import Concrete
from .model import Req, State
from .steps import (INVALID_READ_BODY, LONG_LIFETIME, POLL_WAIT,
                    SHORT_LIFETIME, Step)

AEAD = "AEAD_AES_128_GCM"
MAX_WAIT = 15.0     # a wait for a mailbox further off than this: skipped


class Target:
    """The relay under test."""

    def __init__(self, base_url: str, ca, profile: str = "http-00",
                 timeout: float = 10.0):
        self.base_url = base_url
        self.ca = ca
        self.profile = profile
        self.timeout = timeout


class Clients:
    """One client (connection) per device name, kept from play to play: a
    device's claim is in its requests' headers, not in its connection.
    With `keep` the clients keep every exchange (a reproducer's
    evidence)."""

    def __init__(self, target: Target, keep: bool = False):
        self.target = target
        self.keep = keep
        self._clients: Dict[str, RelayClient] = {}
        self._lock = threading.Lock()

    def get(self, dev: Optional[str]) -> RelayClient:
        key = dev or "-"
        with self._lock:
            c = self._clients.get(key)
            if c is None:
                t = self.target
                c = RelayClient(t.base_url, ca=t.ca, profile=t.profile,
                                timeout=t.timeout, keep_history=self.keep)
                self._clients[key] = c
            return c

    def exchanges(self) -> List[Exchange]:
        out = [e for c in self._clients.values() for e in c.history]
        return sorted(out, key=lambda e: e.started)

    def close(self) -> None:
        for c in self._clients.values():
            try:
                c.close()
            except Exception:               # noqa: BLE001
                pass


class Wire(Concrete):
    """One play's concrete values, sent through `clients` (by default its
    own, closed with the Wire)."""

    def __init__(self, target: Target, clients: Optional[Clients] = None,
                 skew: float = 0.5):
        self.target = target
        self.clients = clients or Clients(target)
        self._own = clients is None
        self.skew = skew
        self.claims: Dict[str, str] = {}
        self.rids: Dict[str, str] = {}
        self.payloads: Dict[str, dict] = {}
        self.unknown: Dict[str, str] = {}     # mailbox symbols never made
        self._lock = threading.Lock()

    # -- Concrete ----------------------------------------------------------------------
    def payload(self, sym: str) -> dict:
        with self._lock:
            if sym not in self.payloads:
                raw = secrets.token_bytes(28 + secrets.randbelow(36))
                self.payloads[sym] = {"type": AEAD, "data": base64.b64encode(
                    raw).decode("ascii")}
            return self.payloads[sym]

    def display(self, sym: str) -> dict:
        return {"title": "Explore %s" % sym,
                "description": "a sequence of tigress-conformance --explore",
                "imageURL": "https://example.com/%s.png" % sym}

    def rid(self, sym: str) -> str:
        with self._lock:
            return self.rids.setdefault(sym, uuids.new_v4())

    def payload_sym(self, obj) -> Optional[str]:
        return next((s for s, p in self.payloads.items() if p == obj), None)

    def claim(self, dev: str) -> str:
        with self._lock:
            return self.claims.setdefault(dev, uuids.new_v4())

    def client(self, dev: Optional[str]) -> RelayClient:
        return self.clients.get(dev)

    def close(self) -> None:
        if self._own:
            self.clients.close()

    # -- steps -----------------------------------------------------------------------------
    def mailbox_id(self, st: State, sym: Optional[str]) -> Optional[str]:
        if sym is None:
            return None
        i = st.ids.get(sym)
        if i is None:
            with self._lock:
                i = self.unknown.setdefault(sym, uuids.new_v4())
        return i

    def execute(self, step: Step, st: State, n: int
                ) -> List[Tuple[Req, Exchange]]:
        """Send the step's request(s); a wait sends nothing."""
        if step.op == "wait":
            self._wait(step, st)
            return []
        if step.op != "race":
            return [self._send(step, st, n)]
        out: List[Optional[Tuple[Req, Exchange]]] = [None] * len(step.steps)
        for s in step.steps:                # connections up before the race
            self.client(s.by)
        go = threading.Event()

        def one(i, s):
            go.wait()
            out[i] = self._send(s, st, n)
        threads = [threading.Thread(target=one, args=(i, s))
                   for i, s in enumerate(step.steps)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        return [x for x in out if x is not None]

    def _wait(self, step: Step, st: State) -> None:
        box = st.box(step.mailbox)
        if box is None or box.expiration is None:
            return
        left = box.expiration + self.skew + 0.05 - time.time()
        if 0 < left <= MAX_WAIT:
            time.sleep(left)

    def _send(self, step: Step, st: State, n: int) -> Tuple[Req, Exchange]:
        op = "read" if step.op == "poll" else step.op
        req = Req(n, op, step.by, step.mailbox,
                  self.mailbox_id(st, step.mailbox) if op != "create"
                  else None, step.rid, step.payload, step.display,
                  step.rights, token=step.token, method=step.method,
                  bad_body=step.body == "invalid")
        c = self.client(step.by)
        claim = self.claim(step.by) if step.by else None
        rid = self.rid(step.rid) if step.rid else None
        notify = {"type": "com.example.explore",
                  "tokenData": "explore-%s" % (step.by or "")} \
            if step.token else None
        if op == "create":
            cfg = None
            if step.lifetime is not None:
                life = SHORT_LIFETIME if step.lifetime == "short" \
                    else LONG_LIFETIME
                req.expiration = int(time.time()) + life
                req.config = True
                cfg = {"expiration": rfc3339.format(req.expiration)}
                if step.rights:
                    cfg["accessRights"] = step.rights
            ex = c.create(claim, self.display(step.display),
                          self.payload(step.payload), notify=notify,
                          config=cfg, request_id=rid or False)
        elif op == "update":
            ex = c.update(req.box, claim, self.payload(step.payload),
                          notify=notify, request_id=rid or False)
        elif op == "delete":
            ex = c.delete(req.box, claim, request_id=rid or False)
        elif op == "relinquish":
            ex = c.relinquish(req.box, claim, request_id=rid or False)
        elif op == "preview":
            ex = c.read_display(req.box, method=step.method)
        else:
            etag = None
            if step.op == "poll":
                req.poll = st.polls.get((step.by, req.box))
                etag = req.poll[0] if req.poll else None
            bad = INVALID_READ_BODY if req.bad_body else None
            ex = c.read(req.box, claim, notify=notify,
                        request_id=rid or False, if_none_match=etag,
                        wait=POLL_WAIT if etag else None, body=bad,
                        content_type="application/json" if bad else None)
        req.t0 = ex.started
        req.t1 = ex.started + ex.elapsed
        return req, ex
