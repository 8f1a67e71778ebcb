"""A sequence played against the relay and judged step by step.

    result = play(fixed(steps), Wire(target), Model(), Verdicts(cat, strict))
    result.fatal          # the disagreement that stopped it, or None
    result.findings       # every finding (departures and the disagreement)

Racing requests are judged in every order they may have been served in;
the answers must fit one of them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from ..core.model import SEVERITY
from .judge import Finding, Judgement, Seen, Verdicts, judge
from .model import Model, Req, State
from .steps import Step
from .wire import Wire

NextStep = Callable[[State, List[Step]], Optional[Step]]


@dataclass
class Record:
    """One request of a step, its answer and how it was judged."""
    n: int
    req: Req
    exchange: object
    seen: Seen
    allowed: str
    got: str
    findings: List[Finding]


@dataclass
class PlayResult:
    steps: List[Step] = field(default_factory=list)
    records: List[Record] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    fatal: Optional[Finding] = None
    checked: List[str] = field(default_factory=list)
    requests: int = 0
    orders: Dict[int, Tuple[int, ...]] = field(default_factory=dict)

    def worst(self) -> Optional[Finding]:
        """The fatal finding, else the first most severe departure."""
        if self.fatal is not None:
            return self.fatal
        best = None
        for f in self.findings:
            if best is None or SEVERITY[f.verdict] > SEVERITY[best.verdict]:
                best = f
        return best


def fixed(steps: List[Step]) -> NextStep:
    return lambda st, hist: steps[len(hist)] if len(hist) < len(steps) \
        else None


def play(next_step: NextStep, wire: Wire, model: Model, verdicts: Verdicts,
         stop: Optional[Callable[[], bool]] = None) -> PlayResult:
    """Play steps from `next_step` until it gives None, a disagreement, or
    `stop()` says so (checked between steps)."""
    res = PlayResult()
    st = model.start()
    while True:
        if stop is not None and stop():
            break
        step = next_step(st, res.steps)
        if step is None:
            break
        res.steps.append(step)
        n = len(res.steps)
        sent = wire.execute(step, st, n)
        res.requests += len(sent)
        if not sent:
            continue
        js, after, order = _judge_all(model, verdicts, st, sent, wire)
        if len(sent) > 1:
            res.orders[n] = order
        for (req, ex), j in zip(sent, js):
            seen = Seen.of(ex)
            res.records.append(Record(n, req, ex, seen, j.allowed, j.got,
                                      j.findings))
            for r in j.checked:
                if r not in res.checked:
                    res.checked.append(r)
            res.findings += j.findings
            for f in j.findings:
                if f.fatal and res.fatal is None:
                    res.fatal = f
        if res.fatal is not None or after is None:
            break
        st = after
    return res


def _judge_all(model, verdicts, st, sent, wire
               ) -> Tuple[List[Judgement], Optional[State], Tuple[int, ...]]:
    """Judge the requests of one step (racing ones in the serving order
    that fits best): the judgements in the order of `sent`, the state
    after the step (None after a disagreement) and that order."""
    if len(sent) == 1:
        req, ex = sent[0]
        j = judge(model, verdicts, st, req, Seen.of(ex), wire)
        return [j], j.state, (0,)
    tries = []
    for order in itertools.permutations(range(len(sent))):
        s, js = st, {}
        for i in order:
            req, ex = sent[i]
            js[i] = judge(model, verdicts, s, req, Seen.of(ex), wire)
            s = js[i].state
            if s is None:
                break
        worst = max([SEVERITY[f.verdict] for j in js.values()
                     for f in j.findings] or [0])
        tries.append((s is None, worst, len(tries), js, s, order))
    _, _, _, js, after, order = min(tries, key=lambda t: t[:3])
    return [js.get(i) or Judgement(None, [], "", "(not judged: an earlier "
                                   "answer of the race disagreed)")
            for i in range(len(sent))], after, order
