"""Selecting and running client cases: the sessions the selected cases
need run first (a few at a time, each with its own test relay), then the
cases check what happened.

    selected = select(["REQID", "SECRET-RECIPIENT"], "http-00")
    results, sessions = run(driver, "http-00", selected, catalog)
"""

from __future__ import annotations

import time
from typing import Dict, List, Optional, Sequence

from ..core import engine as core_engine
from ..core.text import count
from . import cases  # noqa: F401  (registers every client case)
from .context import ClientContext, ClientRunState
from .registry import CLIENT_REGISTRY, ClientCase
from .sessions import SESSIONS, Session, run_sessions


def all_cases() -> List[ClientCase]:
    return list(CLIENT_REGISTRY.values())


def select(patterns: Optional[Sequence[str]], draft: str) -> List[ClientCase]:
    """The client cases to run for `draft` (see core.engine.select)."""
    return core_engine.select(all_cases(), patterns, draft, "client case")


def sessions_of(selected: Sequence[ClientCase]) -> List[str]:
    names = []
    for c in selected:
        for n in c.sessions:
            if n not in SESSIONS:
                raise KeyError("case %s needs unknown session %s" % (c.id, n))
            if n not in names:
                names.append(n)
    return names


# The minimum every client must do: the stateless flow's share and accept.
MINIMUM = {("initiator", "share"), ("recipient", "accept")}


def nothing_to_judge(results, sessions: Dict[str, Session]) -> Optional[str]:
    """Why a run judged nothing (exit status 2), or None: the driver
    answered 127 to a step of the stateless flow it must support, or no
    case saw it reach the relay at all."""
    for s in sessions.values():
        r = s.unsupported_run
        if r is not None and r.scenario == "stateless" and (
                r.role, r.step) in MINIMUM:
            return "the driver does not support the stateless flow (exit " \
                "127 for %s), the minimum every client must do" % r.label
    if results and not any(r.traffic for r in results):
        return "no case observed driver traffic: in no session did the " \
            "driver send a request or open a TLS connection to the relay"
    return None


def run(driver: str, profile: str, selected: Sequence[ClientCase], catalog,
        timeout: float = 20.0, workers: int = 3, progress=None,
        session_progress=None, driver_env=None) -> tuple:
    """(case results, {name: Session}).  `driver_env`: variables added to
    the driver's environment (e.g. TIGRESS_DRIVER_DEFECTS)."""
    sessions: Dict[str, Session] = run_sessions(
        sessions_of(selected), driver, profile, timeout, workers,
        session_progress, driver_env)
    state = ClientRunState(driver, profile, catalog, sessions)
    return judge(state, selected, ClientContext, progress), sessions


def judge(state: ClientRunState, selected: Sequence[ClientCase],
          context=ClientContext, progress=None) -> list:
    """The results of the cases `selected` over the sessions played
    (state.sessions); the lab passes its own context."""
    results = []
    for c in selected:
        t0 = time.monotonic()
        r = core_engine.run_case(state, c, context)
        r.duration = time.monotonic() - t0
        used = [state.sessions[n] for n in c.sessions if n in state.sessions]
        r.notes.append("sessions: " + ", ".join(
            "%s (%s, %s, %.1f s)" % (
                s.name, count(len(s.runs), "driver run"),
                count(len(s.records), "request"), s.duration)
            for s in used))
        results.append(r)
        if progress:
            progress(r)
    return results
