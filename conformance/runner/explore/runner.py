"""Exploring a relay within a budget, and replaying reproducers.

    x = explore(Target(url, ca, "http-00"), Settings(seed=1, seconds=5),
                catalog)
    x.main                 # the finding shrunk (None: every answer allowed)
    x.reproducer           # its JSON document (reproducer.py)
    x.minimal.records      # the minimal sequence's exchanges

Sequence i of seed S is generated from random.Random("S:i"); sequences
use fresh devices, request ids and mailboxes, so they do not interfere.
Exploration stops at the budget (seconds or requests, whichever comes
first) or at the first finding whose verdict is `stop_on` or worse.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from ..core.model import SEVERITY
from . import reproducer
from .generator import Generator
from .judge import Finding, Verdicts
from .model import Model
from .play import PlayResult, fixed, play
from .shrink import Shrunk, matching, shrink
from .steps import Step, renumber
from .wire import Clients, Target, Wire

DEFAULT_SECONDS = 3.0
WAIT_NEEDS = 5.0          # seconds of budget left for a sequence to wait
WAIT_SHARE = 0.25         # of the sequences, those with short mailboxes


class BudgetError(ValueError):
    pass


def parse_budget(text: str) -> Tuple[Optional[float], Optional[int]]:
    """'60s', '2m', '1.5s' -> seconds; '500' -> requests."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|)\s*", text or "")
    if not m or float(m.group(1)) <= 0 or (not m.group(2) and
                                           "." in m.group(1)):
        raise BudgetError("a budget is seconds (60s, 2m) or a number of "
                          "requests (500), not %r" % text)
    v = float(m.group(1))
    if m.group(2) == "s":
        return v, None
    if m.group(2) == "m":
        return v * 60, None
    return None, int(v)


@dataclass
class Settings:
    seed: int = 1
    seconds: Optional[float] = DEFAULT_SECONDS
    requests: Optional[int] = None
    strict: bool = False
    skew: Optional[float] = None
    waits: bool = True
    polls: bool = True
    stop_on: str = "FAIL"               # or "INFO": the first finding
    shrink_seconds: float = 30.0
    shrink_replays: int = 80


@dataclass
class Exploration:
    sequences: int = 0
    requests: int = 0
    seconds: float = 0.0
    checked: List[str] = field(default_factory=list)
    findings: List[Tuple[Finding, int]] = field(default_factory=list)
    main: Optional[Finding] = None       # the finding shrunk
    sequence: int = -1                   # its sequence number
    shrunk: Optional[Shrunk] = None
    reproducer: Optional[dict] = None
    minimal: Optional[PlayResult] = None
    exchanges: list = field(default_factory=list)   # of the minimal replay


def explore(target: Target, s: Settings, catalog) -> Exploration:
    model = Model(s.skew)
    verdicts = Verdicts(catalog, s.strict)
    x = Exploration()
    t0 = time.monotonic()
    deadline = t0 + s.seconds if s.seconds else None

    def out_of_budget() -> bool:
        return (deadline is not None and time.monotonic() >= deadline) or \
            (s.requests is not None and x.requests >= s.requests)

    seen = set()
    found: Optional[Tuple[Finding, PlayResult, int]] = None
    clients = Clients(target)
    try:
        while not out_of_budget():
            rng = random.Random("%d:%d" % (s.seed, x.sequences))
            left = deadline - time.monotonic() if deadline else None
            waits = s.waits and rng.random() < WAIT_SHARE and \
                (left is None or left >= WAIT_NEEDS)
            gen = Generator(rng, waits=waits, polls=s.polls)
            res = play(gen, Wire(target, clients, model.skew), model,
                       verdicts, stop=out_of_budget)
            x.requests += res.requests
            for r in res.checked:
                if r not in x.checked:
                    x.checked.append(r)
            for f in res.findings:
                if f.signature not in seen:
                    seen.add(f.signature)
                    x.findings.append((f, x.sequences))
            worst = res.worst()
            if worst is not None and (found is None or SEVERITY[
                    worst.verdict] > SEVERITY[found[0].verdict]):
                found = (worst, res, x.sequences)
            x.sequences += 1
            if found is not None and \
                    SEVERITY[found[0].verdict] >= SEVERITY[s.stop_on]:
                break
        x.seconds = time.monotonic() - t0
        if found is not None:
            _minimise(x, found, target, s, model, verdicts, clients)
    finally:
        clients.close()
    return x


def _minimise(x: Exploration, found, target: Target, s: Settings,
              model: Model, verdicts: Verdicts, clients: Clients) -> None:
    f, res, seq = found
    x.main, x.sequence = f, seq

    def again(steps: List[Step]) -> PlayResult:
        return play(fixed(steps), Wire(target, clients, model.skew), model,
                    verdicts)
    x.shrunk = sh = shrink(res.steps, f, again, s.shrink_replays,
                           s.shrink_seconds, res.orders)
    # the evidence: the minimal sequence once more, symbols renumbered,
    # every exchange kept
    steps = renumber(sh.steps)
    final, kept = replay(target, steps, s.strict, model.skew, verdicts)
    if matching(final, sh.finding) is None:
        steps, final = sh.steps, sh.result   # flaky: the shrinker's play
        x.exchanges = [r.exchange for r in final.records]
    else:
        x.exchanges = kept.exchanges()
    x.minimal = final
    main = matching(final, sh.finding) or sh.finding
    x.main = main
    x.reproducer = reproducer.document(
        steps, main, final, target.profile, s.strict,
        {"relay": target.base_url, "seed": s.seed, "sequence": seq,
         "steps_before": f.step, "replays": sh.replays,
         "shrink_complete": sh.complete})


def replay(target: Target, steps: List[Step], strict: bool,
           skew: Optional[float] = None, verdicts: Optional[Verdicts] = None,
           catalog=None) -> Tuple[PlayResult, Clients]:
    """Play `steps` once on fresh connections, keeping every exchange
    (`Clients.exchanges()`)."""
    model = Model(skew)
    verdicts = verdicts or Verdicts(catalog, strict)
    clients = Clients(target, keep=True)
    try:
        return play(fixed(steps), Wire(target, clients, model.skew), model,
                    verdicts), clients
    finally:
        clients.close()
