"""The broken relay's memory: mailboxes and remembered requests, in a dict
guarded by one lock."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple


@dataclass
class Mailbox:
    id: str
    initiator: str                      # the creator's claim
    payload: dict                       # what a read returns now
    initiator_payload: dict             # the initiator's last payload
    display: dict
    expiration: int                     # seconds since the epoch
    expiration_text: str
    rights: str                         # e.g. "RD", "RWD"
    recipient: Optional[str] = None
    notify: Dict[str, dict] = field(default_factory=dict)   # claim -> token
    deleted: bool = False               # only with the deleted-readable defect
    last_writer: Optional[str] = None   # for the turn-taking defect


@dataclass
class Remembered:
    """A successful mutating request: what it was and what was answered."""
    op: str
    mailbox: Optional[str]
    body: bytes
    expires: int


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.mailboxes: Dict[str, Mailbox] = {}
        self.requests: Dict[Tuple[str, str], Remembered] = {}
        self.last_request: Dict[str, str] = {}       # claim -> request id

    def get(self, mailbox_id: str) -> Optional[Mailbox]:
        with self.lock:
            return self.mailboxes.get(mailbox_id)

    def sweep(self, now: Optional[float] = None) -> int:
        """Delete expired mailboxes and the requests remembered for them."""
        now = time.time() if now is None else now
        with self.lock:
            gone = [k for k, m in self.mailboxes.items()
                    if m.expiration <= now]
            for k in gone:
                del self.mailboxes[k]
            old = [k for k, r in self.requests.items() if r.expires <= now]
            for k in old:
                del self.requests[k]
            return len(gone)
