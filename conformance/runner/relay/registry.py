"""The relay cases' registry (the client cases have theirs in
client/registry.py).

    @case("THREAT-SOMETHING", "One sentence saying what holds",
          ["RLY-...", "E-..."], "what a conforming relay does")
    def something(t): ...
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

from ..core.model import DRAFTS, Case
from .canary import CANARY_REQS

CATEGORIES = ("API", "REPLAY", "THREAT", "OPACITY", "PROFILE", "INPUT",
              "EXPLORE")

REGISTRY: "OrderedDict[str, Case]" = OrderedDict()


def case(case_id: str, title: str, requirements: Sequence[str], expect: str,
         drafts: Sequence[str] = DRAFTS, hostile: bool = False,
         waits: bool = False):
    """Register a case.  `requirements`: every requirement ID the case
    checks (the catalog coverage test reads them); `expect`: what a
    conforming relay does, in a few words; `hostile`: the case sends
    hostile or malformed input, so the canary checks afterwards that the
    relay still serves (canary.py); `waits`: the case spends its time
    waiting for the relay's clock (an expiry, a held read) and touches
    nothing the others count on, so it runs beside them (engine.py)."""
    def deco(func):
        if case_id in REGISTRY:
            raise ValueError("duplicate case id %s" % case_id)
        if case_id.split("-", 1)[0] not in CATEGORIES:
            raise ValueError("case %s: unknown category" % case_id)
        reqs = list(requirements)
        if hostile:                 # the canary checks these after it
            reqs += [r for r in CANARY_REQS if r not in reqs]
        REGISTRY[case_id] = Case(case_id, title, reqs, func, expect,
                                 tuple(drafts), hostile, waits)
        return func
    return deco
