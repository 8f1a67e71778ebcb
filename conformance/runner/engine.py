"""Selecting and running cases.

    results = run_cases(state, select(["REPLAY", "THREAT-CLAIM-RACE"]))
"""

from __future__ import annotations

import time
from typing import List, Optional, Sequence

from . import cases  # noqa: F401  (registers every case)
from .context import Abort, CaseContext, RunState, Unsupported, \
    format_exception
from .model import REGISTRY, Case, CaseResult, worst


class SelectionError(Exception):
    pass


def all_cases() -> List[Case]:
    return list(REGISTRY.values())


def matches(case_id: str, pattern: str) -> bool:
    """A pattern is a case ID or a prefix of whole dash-separated parts:
    REPLAY, REPLAY-UPDATE, REPLAY-UPDATE-201."""
    p = pattern.strip().upper()
    c = case_id.upper()
    return c == p or c.startswith(p + "-")


def select(patterns: Optional[Sequence[str]], draft: str) -> List[Case]:
    """The cases to run for `draft`, in registry order.  Patterns may also
    be comma-separated.  Raises SelectionError naming a pattern that
    matches no case at all."""
    chosen = [c for c in all_cases() if draft in c.drafts]
    if not patterns:
        return chosen
    pats = [p for arg in patterns for p in arg.split(",") if p.strip()]
    for p in pats:
        if not any(matches(c.id, p) for c in all_cases()):
            raise SelectionError("no case matches %r" % p)
    return [c for c in chosen if any(matches(c.id, p) for p in pats)]


def run_case(state: RunState, case: Case, context=CaseContext
             ) -> CaseResult:
    """Run one case; `context` makes its CaseContext (the client suite
    passes its ClientContext)."""
    t = context(state, case)
    t0 = time.monotonic()
    unsupported = None
    error = None
    try:
        case.func(t)
    except Abort:
        pass
    except Unsupported as e:
        unsupported = str(e)
    except Exception:                      # a runner bug or a very odd answer
        error = format_exception()
    finally:
        t.close()
    verdict = worst(f.verdict for f in t.findings)
    if error is not None and verdict != "FAIL":
        verdict = "ERROR"
    elif unsupported is not None and verdict in ("PASS", "INFO"):
        verdict = "UNSUPPORTED"
    evidence, index, omitted = t.evidence()
    if omitted:
        t.notes.append("%d further exchanges of this case are not shown" %
                       omitted)
    for f in t.findings:
        f.exchanges = [index[id(e)] for e in f.exchanges if id(e) in index]
    decisive = next((f for f in t.findings if f.verdict == verdict), None)
    if decisive is not None:
        expected, got = decisive.expected, decisive.got
    elif verdict == "ERROR":
        expected = case.expect
        got = "a runner error: " + error.strip().splitlines()[-1]
        t.notes.append(error)
    elif verdict == "UNSUPPORTED":
        expected, got = case.expect, unsupported
    else:
        expected, got = case.expect, "that"
    res = CaseResult(case.id, case.title, case.category, verdict,
                     list(case.requirements), expected, got, t.findings,
                     t.notes, evidence, time.monotonic() - t0)
    res.checked = list(t.checked)
    return res


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


def run_cases(state: RunState, selected: Sequence[Case], progress=None
              ) -> List[CaseResult]:
    results = []
    for case in selected:
        r = run_case(state, case)
        results.append(r)
        if progress:
            progress(r)
    return results
