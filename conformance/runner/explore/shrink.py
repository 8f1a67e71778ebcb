"""Making a disagreeing sequence minimal.

First the sequence is cut after its finding; each race before the last
step becomes its requests in the order they were served; then, of these
starts, the first that still disagrees is taken: the last step with
only the creates of (and waits for) its mailboxes, the same with its
devices' other steps about them, the steps about its mailbox or request
id, the whole.  A candidate
sequence is kept when replaying it (fresh devices, request
ids and mailboxes) still gives a finding of the same verdict that cites at
least one of the original's requirements; it is then cut after that
finding.  In rounds, until a round changes nothing or the budget is spent:

1. drop steps: halves, quarters... down to single steps are taken out
   (delta debugging);
2. simplify steps: a race becomes one of its reads, a poll a read; the
   notificationToken, a read's invalid body, a read's request id, HEAD,
   the mailboxConfiguration
   and the access rights go; a payload becomes the sequence's first one;
3. merge parties: every step of one device is given to another.

(runner.py renumbers the symbols in order of first use, m1, q1, p1...,
when it plays the result once more for the evidence.)  Each
candidate is replayed once (twice if it has a race and did not disagree
the first time: races are timing); those with a wait eight at a time.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from .judge import Finding
from .play import PlayResult
from .steps import Step, symbols

Replay = Callable[[List[Step]], PlayResult]


@dataclass
class Shrunk:
    steps: List[Step]
    finding: Finding
    result: PlayResult
    replays: int
    seconds: float
    complete: bool              # False: the budget ran out first


def matching(res: PlayResult, target: Finding) -> Optional[Finding]:
    """The finding of `res` that is the same disagreement as `target`."""
    want = set(target.requirements)
    for f in res.findings:
        if f.verdict == target.verdict and (set(f.requirements) & want):
            return f
    return None


class Shrinker:
    """The candidates of one pass that wait for an expiration are replayed
    a few at a time (they use fresh devices and mailboxes, so they do not
    interfere, and their waits overlap); the first that still disagrees,
    in the pass's order, is kept."""

    def __init__(self, target: Finding, replay: Replay, max_replays: int,
                 max_seconds: float, workers: int = 8):
        self.target = target
        self.replay = replay
        self.max_replays = max_replays
        self.deadline = time.monotonic() + max_seconds
        self.workers = workers
        self.replays = 0
        self.tried = set()
        self.cur: List[Step] = []
        self.best: Optional[PlayResult] = None
        self._lock = threading.Lock()

    def budget_left(self) -> bool:
        return self.replays < self.max_replays and \
            time.monotonic() < self.deadline

    def attempt(self, cand: List[Step]) -> Optional[PlayResult]:
        tries = 2 if any(s.op == "race" for s in cand) else 1
        for _ in range(tries):
            with self._lock:
                if not self.budget_left():
                    return None
                self.replays += 1
            res = self.replay(cand)
            if matching(res, self.target) is not None:
                return res
        return None

    def first_better(self, cands: List[List[Step]]) -> bool:
        """Keep the first of `cands` (each cut after its finding) that
        still disagrees; each candidate is tried once."""
        fresh = []
        for c in cands:
            key = json.dumps([s.to_json() for s in c], sort_keys=True)
            if c and len(c) <= len(self.cur) and key not in self.tried:
                self.tried.add(key)
                fresh.append(c)
        waits = any(s.op == "wait" for c in fresh for s in c)
        n = self.workers if waits else 1    # else it only loads the relay
        for i in range(0, len(fresh), n):
            batch = fresh[i:i + n]
            if not self.budget_left():
                return False
            with ThreadPoolExecutor(len(batch)) as pool:
                results = list(pool.map(self.attempt, batch))
            for c, res in zip(batch, results):
                if res is not None:
                    f = matching(res, self.target)
                    self.cur, self.best = c[:f.step], res
                    return True
        return False

    def drop(self) -> bool:
        changed = False
        k = max(1, len(self.cur) // 2)
        while k >= 1 and self.budget_left():
            cur = self.cur
            cands = [cur[:i] + cur[i + k:] for i in range(0, len(cur), k)]
            if self.first_better(cands):
                changed = True
                k = min(k, max(1, len(self.cur) // 2))
            else:
                k //= 2
        return changed

    def simplify(self) -> bool:
        changed = False
        while self.budget_left():
            cur = self.cur
            first = (symbols(cur)["payload"] or [None])[0]
            cands = [[_plain(s, first) for s in cur]] + \
                [cur[:i] + [x] + cur[i + 1:] for i in range(len(cur))
                 for x in _simpler(cur[i], first)]
            if not self.first_better(cands):
                break
            changed = True
        return changed

    def merge(self) -> bool:
        changed = False
        while self.budget_left():
            devs = symbols(self.cur)["by"]
            cands = [[_rename(s, b, a) for s in self.cur]
                     for j, b in enumerate(devs) for a in devs[:j]]
            if not self.first_better(cands):
                break
            changed = True
        return changed


def shrink(steps: List[Step], target: Finding, replay: Replay,
           max_replays: int = 80, max_seconds: float = 30.0,
           orders: Optional[Dict[int, Tuple[int, ...]]] = None) -> Shrunk:
    """`orders`: the serving order of each race as judged (play.py);
    races are first tried as those requests one after the other, since a
    race whose outcome only leads the way to the disagreement need not
    be one."""
    t0 = time.monotonic()
    sh = Shrinker(target, replay, max_replays, max_seconds)
    prefix = list(steps[:target.step])
    serial = _serial(prefix, orders or {})
    sh.cur = max(prefix, serial, key=len)
    if not sh.first_better(_skeletons(serial) + [_focus(serial), serial,
                                                  prefix]):
        # it does not reproduce: keep it whole
        return Shrunk(list(steps), target, PlayResult(steps=list(steps)),
                      sh.replays, time.monotonic() - t0, False)
    for _ in range(4):
        changed = sh.drop()
        changed = sh.simplify() or changed
        changed = sh.merge() or changed
        if not changed or not sh.budget_left():
            break
    f = matching(sh.best, target) or target
    return Shrunk(sh.cur, f, sh.best, sh.replays, time.monotonic() - t0,
                  sh.budget_left())


def _serial(steps: List[Step], orders: Dict[int, Tuple[int, ...]]
            ) -> List[Step]:
    """Each race but the last step as its requests one after the other, in
    the order they were judged to have been served."""
    out: List[Step] = []
    for n, s in enumerate(steps, 1):
        if s.op == "race" and n in orders and n < len(steps):
            out += [s.steps[i].copy() for i in orders[n]]
        else:
            out.append(s)
    return out


def _skeletons(steps: List[Step]) -> List[List[Step]]:
    """The last step with only the creates of its mailboxes and the waits
    for them; then also its devices' other steps about them."""
    last = steps[-1].flat()
    boxes = {s.mailbox for s in last}
    devs = {s.by for s in last}
    bare = [s for s in steps[:-1] if s.op in ("create", "wait") and
            s.mailbox in boxes]
    mine = [s for s in steps[:-1] if s.op in ("create", "wait") and
            s.mailbox in boxes or (s.by in devs and s.mailbox in boxes)]
    return [bare + [steps[-1]], mine + [steps[-1]]]


def _focus(steps: List[Step]) -> List[Step]:
    """The steps about the last step's mailbox or with its request id,
    and the last step."""
    last = steps[-1].flat()
    boxes = {s.mailbox for s in last}
    rids = {s.rid for s in last if s.rid}
    return [s for s in steps[:-1] if any(
        x.mailbox in boxes or (x.rid and x.rid in rids)
        for x in s.flat())] + [steps[-1]]


def _simpler(s: Step, first_payload: Optional[str]) -> Iterator[Step]:
    if s.op == "race":
        for x in s.steps:
            yield x.copy()
        return
    if s.op == "poll":
        yield s.copy(op="read")
    if s.token:
        yield s.copy(token=False)
    if s.body:
        yield s.copy(body=None)
    if s.op == "read" and s.rid:
        yield s.copy(rid=None)
    if s.method == "HEAD":
        yield s.copy(method="GET")
    if s.op == "create":
        if s.lifetime is not None and s.lifetime != "short":
            yield s.copy(lifetime=None, rights=None)
        if s.rights not in (None, "RWD"):
            yield s.copy(rights="RWD")
        if s.display != "d1":
            yield s.copy(display="d1")
    if s.payload and first_payload and s.payload != first_payload:
        yield s.copy(payload=first_payload)


def _plain(s: Step, first_payload: Optional[str]) -> Step:
    """Every simplification of `_simpler` at once that keeps the step's
    kind (all of them in one candidate: one replay instead of several)."""
    if s.op == "race":
        return s
    return s.copy(token=False, method="GET", body=None,
                  rid=None if s.op == "read" else s.rid,
                  rights="RWD" if s.op == "create" and s.rights else s.rights,
                  display="d1" if s.op == "create" else s.display,
                  payload=first_payload if s.payload else None)


def _rename(s: Step, old: str, new: str) -> Step:
    return s.copy(by=new if s.by == old else s.by,
                  steps=[_rename(x, old, new) for x in s.steps])
