"""Seeded, weighted random sequences.

Six devices: I1 and I2 mostly create (I1 often owns several mailboxes),
R1, R2 and R3 mostly read, update and relinquish, X1 is mostly a
stranger; but any device may do anything.  The kinds of step and their
weights (over the model's view of the state, so that a relinquish is
mostly the bound recipient's, and a wait only follows a short-lived
mailbox):

    create 5 (60 with no live mailbox)   read 20   update 14
    delete 4   relinquish 3 (12 once a recipient is bound)   preview 3
    retry 14    an earlier mutating request again: same device, request
                id, operation and mailbox; a third with another body
    reuse 8     an earlier request id, on another operation or mailbox,
                mostly by the same device
    race 5      two devices read one mailbox at the same moment
    wait 5      until a short-lived mailbox has expired (15 once it has two
                steps of history; once a sequence; most later steps are
                then about it)
    poll 2      a long-poll read with the device's last ETag

Retries and reuses pick more often the requests whose mailbox other
devices have used since, and relinquishes and deletes (their repetition
matters most); a read of an unbound mailbox is mostly by a recipient that
has not held it yet; most steps concern the newest live mailbox.  Only a
quarter of the sequences (runner.py) have short-lived mailboxes and a
wait; the first step is a create.  A sequence has 8 to 20 steps.  The
same seed and sequence number give the same steps against relays that
answer alike.
"""

from __future__ import annotations

import random
from typing import Dict, List, Optional

from .model import State
from .steps import MUTATING, Step

INITIATORS = ("I1", "I2")
RECIPIENTS = ("R1", "R2", "R3")
STRANGERS = ("X1",)
DEVICES = INITIATORS + RECIPIENTS + STRANGERS
RIGHTS = (("RWD", 45), ("RW", 25), ("RD", 15), ("R", 5), (None, 10))
OP_INTEREST = {"create": 1, "update": 2, "delete": 3, "relinquish": 4}
WEIGHTS = {"create": 5, "read": 20, "update": 14, "delete": 4,
           "relinquish": 3, "preview": 3, "retry": 14, "reuse": 8, "race": 5,
           "wait": 5, "poll": 2}


def pick(rng: random.Random, weighted) -> object:
    items = [(k, w) for k, w in weighted if w > 0]
    total = sum(w for _, w in items)
    x = rng.uniform(0, total)
    for k, w in items:
        x -= w
        if x <= 0:
            return k
    return items[-1][0]


class Generator:
    """The steps of one sequence: call it with the model's state and the
    steps so far; None ends the sequence.  `waits`: short-lived mailboxes
    and waits for their expiration (seconds each); `polls`: long-polls."""

    def __init__(self, rng: random.Random, waits: bool = True,
                 polls: bool = True, length: Optional[int] = None):
        self.rng = rng
        self.waits = waits
        self.polls = polls
        self.length = length or rng.randint(8, 20)
        self.count: Dict[str, int] = {"m": 0, "q": 0, "p": 0}
        self.waited = False
        self.focus: Optional[str] = None      # the mailbox waited for
        self.relinquished: Dict[str, List[str]] = {}

    def new(self, kind: str) -> str:
        self.count[kind] += 1
        return "%s%d" % (kind, self.count[kind])

    def __call__(self, st: State, history: List[Step]) -> Optional[Step]:
        if len(history) >= self.length:
            return None
        r = self.rng
        live = st.live_boxes()
        mutating = [s for h in history for s in h.flat()
                    if s.op in MUTATING and s.rid]
        w = dict(WEIGHTS)
        if not st.boxes and not history:
            return self._create()
        if not live:
            w["create"] = 60
        if any(b.recipient for b in live):
            w["relinquish"] = 12
        if not mutating:
            w["retry"] = w["reuse"] = 0
        if not live:
            w["race"] = w["wait"] = w["poll"] = 0
        short = [b for b in live if b.expiration is not None and
                 any(s.op == "create" and s.mailbox == b.sym and
                     s.lifetime == "short" for h in history for s in h.flat())]
        if not (self.waits and short) or self.waited:
            w["wait"] = 0
        elif len(history) - max(b.made for b in short) >= 2:
            w["wait"] = 15              # the mailbox has a history by now
        if not (self.polls and st.polls):
            w["poll"] = 0
        kind = pick(r, w.items())
        if kind == "wait":
            self.waited = True
            self.focus = r.choice(short).sym
            return Step("wait", mailbox=self.focus)
        if kind == "retry":
            return self._retry(self._earlier(history))
        if kind == "reuse":
            return self._reuse(st, self._earlier(history))
        if kind == "poll":
            dev, box_id = r.choice(sorted(st.polls))
            box = st.boxes[box_id]
            return Step("poll", by=dev, mailbox=box.sym)
        if kind == "create":
            return self._create()
        box = self._mailbox(st)
        if kind == "race":
            others = self._others(st, box)
            a, b = r.sample(others if len(others) >= 2 else RECIPIENTS, 2)
            return Step("race", steps=[Step("read", by=a, mailbox=box),
                                       Step("read", by=b, mailbox=box)])
        if kind == "preview":
            return Step("preview", mailbox=box,
                        method="HEAD" if r.random() < 0.15 else "GET")
        return self._op(kind, st, box)

    # -- the kinds --------------------------------------------------------------------
    def _create(self) -> Step:
        r = self.rng
        first = self.count["m"] == 0
        lifetime = pick(r, (("short", (70 if first else 30) if self.waits
                             else 0), ("long", 55), (None, 15)))
        rights = pick(r, RIGHTS) if lifetime else None
        return Step("create", by=pick(r, (("I1", 60), ("I2", 30),
                                          ("R1", 5), ("X1", 5))),
                    mailbox=self.new("m"), rid=self.new("q"),
                    payload=self.new("p"), display=r.choice(("d1", "d2")),
                    rights=rights, lifetime=lifetime,
                    token=r.random() < 0.1)

    def _op(self, kind: str, st: State, box: str) -> Step:
        r = self.rng
        b = st.box(box)
        ini = b.initiator if b else "I1"
        rec = (b.recipient if b and b.recipient else None)
        others = self._others(st, box)
        if kind == "read":
            if rec:
                dev = pick(r, ((rec, 45), (ini, 25), (r.choice(others), 30)))
            else:
                fresh = [d for d in RECIPIENTS if d not in self._held(box)]
                dev = pick(r, ((fresh[0] if fresh else "R1", 40),
                               (r.choice(others), 25), (ini, 20),
                               ("X1", 15)))
            return Step("read", by=dev, mailbox=box,
                        rid=self.new("q") if r.random() < 0.4 else None,
                        token=r.random() < 0.08)
        if kind == "update":
            held = self._held(box)
            dev = pick(r, ((ini, 40), (rec, 45), (r.choice(others), 15))) \
                if rec else pick(r, ((ini, 60), ("R1", 10),
                                     (held[-1] if held else "R2", 15),
                                     (r.choice(others), 15)))
            return Step("update", by=dev, mailbox=box, rid=self.new("q"),
                        payload=self.new("p"), token=r.random() < 0.1)
        if kind == "delete":
            dev = pick(r, ((ini, 45), (rec or "R1", 35),
                           (r.choice(others), 20)))
            return Step("delete", by=dev, mailbox=box, rid=self.new("q"))
        dev = pick(r, ((rec or "R1", 65), (r.choice(RECIPIENTS), 20),
                       (pick(r, ((ini, 1), ("X1", 1))), 15)))
        if dev == rec:
            self.relinquished.setdefault(box, []).append(dev)
        return Step("relinquish", by=dev, mailbox=box, rid=self.new("q"))

    def _earlier(self, history: List[Step]) -> Step:
        """An earlier mutating request: more often those whose mailbox
        others have used since (a repetition then meets another state),
        and those whose repetition matters most (relinquish, delete)."""
        flat = [s for h in history for s in h.flat()]
        weighted = []
        for i, s in enumerate(flat):
            if s.op in MUTATING and s.rid:
                since = sum(1 for x in flat[i + 1:] if x.mailbox == s.mailbox
                            and x.by != s.by)
                weighted.append((s, (1 + 2 * since) * OP_INTEREST[s.op]))
        return pick(self.rng, weighted)

    def _retry(self, prev: Step) -> Step:
        s = prev.copy()
        if s.op in ("create", "update") and self.rng.random() < 0.35:
            s.payload = self.new("p")
        return s

    def _reuse(self, st: State, prev: Step) -> Step:
        r = self.rng
        kind = pick(r, (("create", 2), ("update", 3), ("delete", 2),
                        ("relinquish", 2), ("read", 1)))
        if kind == "create":
            s = self._create()
        else:
            s = self._op(kind, st, self._mailbox(st))
        dev = prev.by if r.random() < 0.75 else r.choice(DEVICES)
        return s.copy(by=dev, rid=prev.rid)

    # -- targets ---------------------------------------------------------------------------
    def _mailbox(self, st: State) -> str:
        """Mostly the newest live mailbox (long histories on one mailbox),
        else another, one that is gone, or one never made."""
        r = self.rng
        if self.focus and r.random() < 0.8:
            return self.focus                   # just waited for it
        live = st.live_boxes()
        if live and r.random() < 0.85:
            return live[-1].sym if r.random() < 0.75 else r.choice(live).sym
        made = [b.sym for b in st.boxes.values()]
        if made and r.random() < 0.8:
            return r.choice(made)
        return "m0"                             # never made

    def _held(self, box: str) -> List[str]:
        """The devices that relinquished `box` in this sequence."""
        return self.relinquished.get(box, [])

    @staticmethod
    def _others(st: State, box: str) -> List[str]:
        b = st.box(box)
        taken = {b.initiator, b.recipient} if b else set()
        return [d for d in DEVICES if d not in taken]
