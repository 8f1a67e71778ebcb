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

CATEGORIES = ("API", "REPLAY", "THREAT", "OPACITY", "PROFILE", "EXPLORE")

REGISTRY: "OrderedDict[str, Case]" = OrderedDict()


def case(case_id: str, title: str, requirements: Sequence[str], expect: str,
         drafts: Sequence[str] = DRAFTS):
    """Register a case.  `requirements`: every requirement ID the case
    checks (the catalog coverage test reads them); `expect`: what a
    conforming relay does, in a few words."""
    def deco(func):
        if case_id in REGISTRY:
            raise ValueError("duplicate case id %s" % case_id)
        if case_id.split("-", 1)[0] not in CATEGORIES:
            raise ValueError("case %s: unknown category" % case_id)
        REGISTRY[case_id] = Case(case_id, title, list(requirements), func,
                                 expect, tuple(drafts))
        return func
    return deco
