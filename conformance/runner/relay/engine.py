"""Selecting and running the relay cases.

    results = run_cases(state, select(["REPLAY", "THREAT-CLAIM-RACE"],
                                      "http-00"))
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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
    """Run the cases and return their results in order; `starting(case)`
    is called before each, `progress(result)` as each ends.  The cases
    that mostly wait for the relay's clock (`waits`: an expiry, a held
    read) run beside the others, each in a thread of its own, so that a
    run takes the time of its requests rather than the sum of its waits;
    the others run one after another.  The canary (canary.py) runs after
    the hostile ones, after any that saw a 5xx or no answer, and after the
    last; a case that starts while the relay does not serve is marked
    unreliable."""
    state.last_case = selected[-1].id if selected else None
    canary.baseline(RelayContext(state, None))
    beside = [c for c in selected if c.waits]

    def one_case(case):
        dead = state.dead_after
        if starting:
            starting(case)
        r = core_engine.run_case(state, case, RelayContext)
        if dead is not None:
            r.unreliable = "ran while the relay was not serving (it " \
                "stopped after %s)" % dead
        if progress:
            progress(r)
        return r

    done = {}
    with ThreadPoolExecutor(max(1, len(beside))) as pool:
        waiting = {c.id: pool.submit(one_case, c) for c in beside}
        for case in selected:
            if not case.waits:
                done[case.id] = one_case(case)
        for cid, fut in waiting.items():
            done[cid] = fut.result()
    return [done[c.id] for c in selected]
