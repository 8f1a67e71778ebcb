"""Selecting and running cases, for every suite: a suite passes its
registered cases and its context class (relay/engine.py, client/engine.py).

    chosen = select(REGISTRY.values(), ["REPLAY"], "http-00")
    result = run_case(state, chosen[0], RelayContext)
"""

from __future__ import annotations

import time
from typing import List, Optional, Sequence

from .context import Abort, CaseContext, NotRun, Unsupported, \
    format_exception
from .model import Case, CaseResult, root_cause, worst


class SelectionError(Exception):
    pass


def matches(case_id: str, pattern: str) -> bool:
    """A pattern is a case ID or a prefix of whole dash-separated parts:
    REPLAY, REPLAY-UPDATE, REPLAY-UPDATE-201."""
    p = pattern.strip().upper()
    c = case_id.upper()
    return c == p or c.startswith(p + "-")


def select(cases: Sequence[Case], patterns: Optional[Sequence[str]],
           draft: str, what: str = "case") -> List[Case]:
    """Of `cases` (a registry's, in its order), those to run for `draft`.
    Patterns may also be comma-separated.  Raises SelectionError naming a
    pattern that matches no case at all ("no `what` matches ...")."""
    cases = list(cases)
    chosen = [c for c in cases if draft in c.drafts]
    if not patterns:
        return chosen
    pats = [p for arg in patterns for p in arg.split(",") if p.strip()]
    for p in pats:
        if not any(matches(c.id, p) for c in cases):
            raise SelectionError("no %s matches %r" % (what, p))
    return [c for c in chosen if any(matches(c.id, p) for p in pats)]


def run_case(state, case: Case, context=CaseContext) -> CaseResult:
    """Run one case; `context` makes its CaseContext (the relay suite
    passes its RelayContext, the client suite its ClientContext).

    The verdict is the worst finding, with these rules: a runner error
    makes it ERROR, and so does a failed precondition (`not_run`) - unless
    a FAIL was already found; an optional feature found absent makes a
    PASS or INFO UNSUPPORTED; and a case whose checks examined nothing is
    never PASS (UNSUPPORTED)."""
    t = context(state, case)
    t0 = time.monotonic()
    unsupported = not_run = error = None
    try:
        case.func(t)
    except Abort:
        pass
    except NotRun as e:
        not_run = str(e)
    except Unsupported as e:
        unsupported = str(e)
    except Exception:                      # a runner bug or a very odd answer
        error = format_exception()
    try:
        t.finish()
    except Exception:                      # noqa: BLE001 - a runner bug
        error = error or format_exception()
    finally:
        t.close()
    verdict = worst(f.verdict for f in t.findings)
    if error is not None and verdict != "FAIL":
        verdict = "ERROR"
    elif not_run is not None and verdict != "FAIL":
        verdict = "ERROR"
    elif unsupported is not None and verdict in ("PASS", "INFO"):
        verdict = "UNSUPPORTED"
    elif verdict in ("PASS", "INFO") and t.nothing_examined():
        # evidence or nothing: a case that examined nothing never PASSes
        unsupported = "nothing to examine: %s" % t.nothing_examined()
        t.notes.append(unsupported)
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
    elif verdict == "ERROR" and error is None:
        expected, got = case.expect, not_run
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
    res.unreliable = t.unreliable
    res.observed = t.observed
    if verdict == "ERROR" and error is None:
        res.not_run = not_run
    res.root_cause = root_cause(t.findings, verdict, state.catalog) \
        if verdict == "FAIL" else None
    res.traffic = t.saw_traffic()
    return res
