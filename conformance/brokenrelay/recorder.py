"""Recording what clients send: an observer of protocol.Relay that keeps
every exchange (in memory, and as JSON lines in a file when given one).

    rec = Recorder()                  # or Recorder("/tmp/exchanges.jsonl")
    relay.observers.append(rec)
    ...
    for r in rec.records():           # dicts, oldest first
        r["method"], r["target"], r["headers"], r["body"], r["status"]

A record is the request exactly as the relay received it - method, request
target (path and query as sent), headers (names as sent, in order), body,
whether it came over TLS - and what happened to it: the status answered (None when the connection was
reset before the request was applied), the answer's headers and body, and
`fault`/`aborted` when an injected fault (faults.py) changed the answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import List, Optional

MAX_BODY = 65536        # bytes of a request body kept (payloads fit)
MAX_ANSWER = 4096       # bytes of an answer body kept


def _body(b: bytes, limit: int) -> dict:
    cut = b[:limit]
    out = {"encoding": "utf-8", "length": len(b), "truncated": len(b) > limit,
           "sha256": hashlib.sha256(b).hexdigest()}
    try:
        out["data"] = cut.decode("utf-8")
    except UnicodeDecodeError:
        out["encoding"] = "base64"
        out["data"] = base64.b64encode(cut).decode("ascii")
    return out


def record_of(req, resp, seq: int = 0) -> dict:
    """The record of one exchange (see the module's docstring)."""
    aborted = resp.abort
    return {
        "seq": seq,
        "time": req.received,
        "method": req.method,
        "target": req.target or (req.path + ("?" + req.query
                                             if req.query else "")),
        "path": req.path,
        "query": req.query,
        "client": req.peer,          # the client's address
        "tls": req.tls,              # False: received in clear
        "headers": [[k, v] for k, v in (req.raw_headers or
                                        list(req.headers.items()))],
        "body": _body(req.body, MAX_BODY),
        "status": None if aborted == "reset" else resp.status,
        "response_headers": [[k, v] for k, v in resp.headers] + (
            [["Content-Type", resp.content_type]] if resp.content_type
            else []),
        "response_body": None if aborted == "reset" else
        _body(resp.body, MAX_ANSWER),
        "fault": resp.fault,
        "aborted": aborted,          # None, "drop" or "reset"
    }


class Recorder:
    """Observer keeping every exchange; thread-safe."""

    def __init__(self, path: Optional[str] = None):
        self.path = path
        self._lock = threading.Lock()
        self._records: List[dict] = []
        self._seq = 0                # never reset: `since` stays valid

    def __call__(self, req, resp) -> None:
        with self._lock:
            self._seq += 1
            rec = record_of(req, resp, self._seq)
            self._records.append(rec)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(rec) + "\n")

    def records(self, since: int = 0) -> List[dict]:
        """Copies of the records with seq > since, oldest first."""
        with self._lock:
            return [dict(r) for r in self._records if r["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._records = []
