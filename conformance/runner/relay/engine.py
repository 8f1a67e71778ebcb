"""Selecting and running the relay cases.

    results = run_cases(state, select(["REPLAY", "THREAT-CLAIM-RACE"],
                                      "http-00"))
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from ..core import engine as core_engine
from ..core.engine import SelectionError  # noqa: F401  (for callers)
from ..core.model import Case, CaseResult
from . import canary
from . import cases  # noqa: F401  (registers every case)
from .context import RelayContext, RunState
from .registry import REGISTRY


def all_cases() -> List[Case]:
    return list(REGISTRY.values())


def select(patterns: Optional[Sequence[str]], draft: str) -> List[Case]:
    """The relay cases to run for `draft`, in registry order (see
    core.engine.select)."""
    return core_engine.select(all_cases(), patterns, draft)


def preflight(state: RunState) -> Optional[str]:
    """None when the relay answers HTTP at all, else why not.  Reads
    /.well-known/tigress (X-WELL-KNOWN) when offered."""
    c = state.client()
    try:
        ex = c.well_known()
        if ex.status is None:
            return ex.transport_error or "no answer"
        if ex.status == 200 and isinstance(ex.json, dict):
            state.well_known = ex.json
        return None
    finally:
        c.close()


def run_cases(state: RunState, selected: Sequence[Case], progress=None,
              starting=None) -> List[CaseResult]:
    """Run the cases in order; `starting(case)` is called before each,
    `progress(result)` after.  The canary (canary.py) runs after the
    hostile ones, after any that saw a 5xx or no answer, and after the
    last; a case that starts while the relay does not serve is marked
    unreliable."""
    results = []
    state.last_case = selected[-1].id if selected else None
    canary.baseline(RelayContext(state, None))
    for case in selected:
        dead = state.dead_after
        if starting:
            starting(case)
        r = core_engine.run_case(state, case, RelayContext)
        if dead is not None:
            r.unreliable = "ran while the relay was not serving (it " \
                "stopped after %s)" % dead
        results.append(r)
        if progress:
            progress(r)
    return results
