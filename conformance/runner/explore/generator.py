"""Seeded, weighted random sequences.

Six devices: I1 and I2 mostly create (I1 often owns several mailboxes),
R1, R2 and R3 mostly read, update and relinquish, X1 is mostly a
stranger; but any device may do anything.  The kinds of step and their
weights (over the model's view of the state, so that a relinquish is
mostly the bound recipient's, and a wait only follows a short-lived
mailbox):

    create 5 (60 with no live mailbox, 8 with one)   read 20   update 14
    delete 4 (10 while a device initiated several live mailboxes)
    relinquish 3 (12 once a recipient is bound)   preview 3
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

Some long-lived creates ask for rights without R (WD, W: §6.1.5 allows
them, errata E-ACCESS-RIGHTS-FORM refuses them), and some reads by a
device that may bind carry a body E-READ-BODY refuses: a refused read
must bind nobody.  A sequence that waits starts with the short-lived
mailbox it waits for (with the read right).

Follow-ups: what a step sets up is, more often than the weights alone
would make it, checked by the next one (each with a probability, only
when the model's state says it applies):

    after a relinquish by the bound recipient   another device reads (and
                                                binds); or the relinquished
                                                party updates
    once another device is bound since          the relinquish retried
    after a relinquish retried                  a device that is neither
                                                initiator nor recipient
                                                reads
    the relinquished party, not bound again     its update (W granted)
    after a wait                                a party reads the mailbox
                                                waited for
    after a read that bound nobody (refused)    another device reads;
                                                without R, the refused one
                                                relinquishes or updates
    after an initiator's delete                 its request id again, by
                                                the same device on another
                                                request; or a read of
                                                another mailbox of the
                                                initiator's
"""

from __future__ import annotations

import random
from typing import Dict, List, Optional, Set, Tuple

from .model import State
from .steps import MUTATING, Step

INITIATORS = ("I1", "I2")
RECIPIENTS = ("R1", "R2", "R3")
STRANGERS = ("X1",)
DEVICES = INITIATORS + RECIPIENTS + STRANGERS
RIGHTS = (("RWD", 40), ("RW", 25), ("RD", 15), ("R", 5), ("WD", 4),
          ("W", 1), (None, 10))
READABLE = tuple((k, w) for k, w in RIGHTS if k is None or "R" in k)
OP_INTEREST = {"create": 1, "update": 2, "delete": 3, "relinquish": 4}
WEIGHTS = {"create": 5, "read": 20, "update": 14, "delete": 4,
           "relinquish": 3, "preview": 3, "retry": 14, "reuse": 8, "race": 5,
           "wait": 5, "poll": 2}
INVALID_BODY = 0.15         # of the reads by a device that may bind
# follow-ups (see above): the chance of each, when it applies
REBIND, RELINQUISHED_WRITES, RETRY, PROBE, DELETE_ID, SIBLING, EXPIRED = \
    0.45, 0.45, 0.6, 0.7, 0.4, 0.7, 0.7
REFUSED = 0.6


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
        # the relinquishes by a bound recipient: mailbox -> (device, rid)
        self.relinquished: Dict[str, List[Tuple[str, str]]] = {}
        self.done: Set[tuple] = set()         # follow-ups made

    def new(self, kind: str) -> str:
        self.count[kind] += 1
        return "%s%d" % (kind, self.count[kind])

    def __call__(self, st: State, history: List[Step]) -> Optional[Step]:
        if len(history) >= self.length:
            return None
        return self._note(st, self._next(st, history))

    def _next(self, st: State, history: List[Step]) -> Step:
        r = self.rng
        live = st.live_boxes()
        mutating = [s for h in history for s in h.flat()
                    if s.op in MUTATING and s.rid]
        w = dict(WEIGHTS)
        if not st.boxes and not history:
            return self._create()
        follow = self._follow_up(st, history)
        if follow is not None:
            return follow
        if not live:
            w["create"] = 60
        elif len(live) == 1:
            w["create"] = 8             # one device, several mailboxes
        owners = [b.initiator for b in live]
        several = [b for b in live if owners.count(b.initiator) > 1]
        if several:
            w["delete"] = 10            # what a delete does to the others
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
            return self._retry(self._earlier(st, history))
        if kind == "reuse":
            return self._reuse(st, self._earlier(st, history))
        if kind == "poll":
            dev, box_id = r.choice(sorted(st.polls))
            box = st.boxes[box_id]
            return Step("poll", by=dev, mailbox=box.sym)
        if kind == "create":
            return self._create()
        if kind == "delete" and several and r.random() < 0.7:
            b = r.choice(several)
            return Step("delete", by=b.initiator, mailbox=b.sym,
                        rid=self.new("q"))
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
        if self.waits and self.count["m"] == 0:
            lifetime: Optional[str] = "short"     # the one to wait for
        else:
            lifetime = pick(r, (("short", 30 if self.waits else 0),
                                ("long", 55), (None, 15)))
        rights = pick(r, RIGHTS if lifetime == "long" else READABLE) \
            if lifetime else None
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
            binds = b is not None and rec is None and dev != ini
            invalid = r.random() < (INVALID_BODY if binds else 0.03)
            return Step("read", by=dev, mailbox=box,
                        rid=self.new("q") if r.random() < 0.4 else None,
                        token=not invalid and r.random() < 0.08,
                        body="invalid" if invalid else None)
        if kind == "update":
            held = [d for d in self._held(box) if d != rec]
            dev = pick(r, ((ini, 40), (rec, 45), (r.choice(others), 15)) +
                       (((held[-1], 20),) if held else ())) \
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
        return Step("relinquish", by=dev, mailbox=box, rid=self.new("q"))

    def _note(self, st: State, step: Step) -> Step:
        """Keep the relinquishes by a bound recipient (follow-ups)."""
        for s in step.flat():
            b = st.box(s.mailbox)
            if s.op == "relinquish" and s.rid and b is not None and \
                    b.recipient == s.by:
                held = self.relinquished.setdefault(b.sym, [])
                if (s.by, s.rid) not in held:
                    held.append((s.by, s.rid))
        return step

    def _earlier(self, st: State, history: List[Step]) -> Step:
        """An earlier mutating request: more often those whose mailbox
        others have used since (a repetition then meets another state),
        and those whose repetition matters most (relinquish, delete); a
        relinquish most when another device is bound by now."""
        flat = [s for h in history for s in h.flat()]
        weighted = []
        for i, s in enumerate(flat):
            if s.op in MUTATING and s.rid:
                since = sum(1 for x in flat[i + 1:] if x.mailbox == s.mailbox
                            and x.by != s.by)
                b = st.box(s.mailbox)
                rebound = s.op == "relinquish" and b is not None and \
                    b.recipient not in (None, s.by)
                weighted.append((s, (1 + 2 * since) * OP_INTEREST[s.op] *
                                 (4 if rebound else 1)))
        return pick(self.rng, weighted)

    # -- follow-ups ------------------------------------------------------------------------
    def _follow_up(self, st: State, history: List[Step]) -> Optional[Step]:
        """A step checking what the last ones set up (see the module's
        documentation), or None."""
        last = history[-1] if history else None
        for box, held in self.relinquished.items():
            b = st.box(box)
            if b is None or b.gone is not None or b.expired_seen:
                continue
            for dev, rid in held:
                step = self._after_relinquish(st, b, dev, rid, last)
                if step is not None:
                    return step
        if last is not None and last.op == "read":
            b = st.box(last.mailbox)
            if b is not None and b.gone is None and not b.expired_seen \
                    and b.recipient is None and last.by != b.initiator and \
                    self._once(("refused", b.sym, len(history)), REFUSED):
                return self._after_refused_read(b, last.by)
        if last is not None and last.op == "wait":
            b = st.box(last.mailbox)
            if b is not None and b.gone is None and \
                    self._once(("expired", b.sym), EXPIRED):
                return Step("read", by=b.recipient or b.initiator,
                            mailbox=b.sym)
        if last is not None and last.op == "delete" and last.rid:
            b = st.box(last.mailbox)
            if b is not None and b.gone is not None and \
                    last.by == b.initiator:
                return self._after_delete(st, b, last)
        return None

    def _once(self, key: tuple, chance: float) -> bool:
        """Whether to make follow-up `key` now: once, by `chance`."""
        if key in self.done or self.rng.random() >= chance:
            return False
        self.done.add(key)
        return True

    def _after_relinquish(self, st: State, b, dev: str, rid: str,
                          last: Optional[Step]) -> Optional[Step]:
        r = self.rng
        just = last is not None and last.op == "relinquish" and \
            last.mailbox == b.sym and last.by == dev
        retried = just and last.rid == rid and \
            ("retry", b.sym, rid) in self.done
        if retried and b.recipient is not None and \
                self._once(("probe", b.sym, rid), PROBE):
            others = [d for d in DEVICES
                      if d not in (b.initiator, b.recipient)]
            return Step("read", by=dev if r.random() < 0.5 else
                        r.choice(others), mailbox=b.sym)
        if b.recipient is not None and b.recipient != dev and \
                self._once(("retry", b.sym, rid), RETRY):
            return Step("relinquish", by=dev, mailbox=b.sym, rid=rid)
        if just and last.rid == rid and b.recipient is None:
            if self._once(("rebind", b.sym, rid), REBIND):
                fresh = [d for d in RECIPIENTS if d != dev and
                         d not in self._held(b.sym)] or ["X1"]
                return Step("read", by=fresh[0], mailbox=b.sym)
        if b.recipient != dev and "W" in b.rights and \
                self._once(("writes", b.sym, rid), RELINQUISHED_WRITES):
            return Step("update", by=dev, mailbox=b.sym, rid=self.new("q"),
                        payload=self.new("p"))
        return None

    def _after_refused_read(self, b, dev: str) -> Step:
        """`dev`'s read of `b` was refused (it bound nobody): another
        device reads; without R, `dev` acts as the recipient it is not."""
        r = self.rng
        if "R" not in b.rights and r.random() < 0.6:
            if "W" in b.rights and r.random() < 0.5:
                return Step("update", by=dev, mailbox=b.sym,
                            rid=self.new("q"), payload=self.new("p"))
            return Step("relinquish", by=dev, mailbox=b.sym,
                        rid=self.new("q"))
        other = [d for d in RECIPIENTS + STRANGERS
                 if d not in (dev, b.initiator)]
        return Step("read", by=r.choice(other), mailbox=b.sym)

    def _after_delete(self, st: State, b, last: Step) -> Optional[Step]:
        r = self.rng
        mine = [x.sym for x in st.live_boxes() if x.initiator == b.initiator]
        if mine and self._once(("sibling", b.sym), SIBLING):
            return Step("read", by=b.initiator, mailbox=r.choice(mine))
        if self._once(("delete-id", b.sym), DELETE_ID):
            live = st.live_boxes()
            if not live or r.random() < 0.4:
                return self._create().copy(by=last.by, rid=last.rid)
            op = r.choice(("update", "relinquish", "delete"))
            return Step(op, by=last.by, mailbox=live[-1].sym, rid=last.rid,
                        payload=self.new("p") if op == "update" else None)
        return None

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
        return [d for d, _ in self.relinquished.get(box, [])]

    @staticmethod
    def _others(st: State, box: str) -> List[str]:
        b = st.box(box)
        taken = {b.initiator, b.recipient} if b else set()
        return [d for d in DEVICES if d not in taken]
