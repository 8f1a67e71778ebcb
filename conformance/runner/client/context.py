"""What a client case works with: the sessions it checks, helpers over the
relay's records, and the findings machinery of every suite (t.check,
t.require, t.soft, ... of core/context.py).

    def my_case(t):
        for s in t.sessions():                  # the case's sessions, run
            for r in s.driver_records():        # what the driver sent
                t.check(header(r, "Mailbox-Request-ID") is not None,
                        ["CLI-CREATE-REQID"], "...", "...", s.evidence(r))

Evidence of the case: every record and driver run of the sessions it
looked at (the relay runner's limit of 40, those a finding cites kept).
"""

from __future__ import annotations

from typing import List

import protocol

from ..core.context import Abort, CaseContext
from .sessions import Session


class ClientRunState:
    """Settings and sessions shared by the client cases of one run."""

    def __init__(self, driver: str, profile: str, catalog, sessions,
                 strict_errata: bool = False):
        self.driver = driver
        self.profile = profile
        self.catalog = catalog
        self.sessions = sessions            # name -> Session
        self.options = None               # the relay suite's knobs only
        self.strict_errata = strict_errata

    @property
    def claim_header(self) -> str:
        return protocol.load().header(self.profile, "claim")


class ClientContext(CaseContext):
    def __init__(self, run: ClientRunState, case):
        super().__init__(run, case)
        self._used: List[Session] = []

    @property
    def claim_header(self) -> str:
        return self.run.claim_header

    def sessions(self, *names: str, partial: bool = False) -> List[Session]:
        """The case's sessions (or `names`) that ran; an unsupported one is
        noted and left out, and when none is left the case is UNSUPPORTED.
        A session the suite failed in makes the case an ERROR.  `partial`:
        an unsupported session that took steps before it ended is kept, for
        checks of what any request shows (a Secret sent stays sent when
        the rest of the scenario is skipped)."""
        out = []
        skipped = []
        for n in names or self.case.sessions:
            s = self.run.sessions.get(n)
            if s is None:
                raise RuntimeError("session %s did not run" % n)
            if s not in self._used:
                self._used.append(s)
            if s.error:
                raise RuntimeError("the suite failed in session %s:\n%s" % (
                    n, s.error))
            if s.unsupported and not (partial and s.runs):
                skipped.append("%s: %s" % (n, s.unsupported))
                continue
            if s.unsupported:
                self.note("session %s ended early (%s): judged on what it "
                          "did before" % (n, s.unsupported))
            out.append(s)
        for x in skipped:
            self.note("not checked, session %s" % x)
        if not out:
            self.unsupported("; ".join(skipped) or "no session")
        return out

    def session(self, name: str) -> Session:
        return self.sessions(name)[0]

    # -- was anything examined? ------------------------------------------------------
    def _declared(self) -> List[Session]:
        return [self.run.sessions[n] for n in self.case.sessions
                if n in self.run.sessions]

    def saw_traffic(self) -> bool:
        """The driver reached the relay in one of the case's sessions."""
        return any(s.driver_traffic() for s in self._declared())

    def nothing_examined(self):
        if not self.saw_traffic():
            return "the driver made no request and no TLS connection in " \
                "session %s" % ", ".join(s.name for s in self._declared())
        return super().nothing_examined()

    # -- evidence -------------------------------------------------------------------
    def _recorded(self):
        """The evidence of every session this case used."""
        for s in self._used:
            yield from s.all_evidence()

    def around(self, s: Session, run) -> list:
        """Evidence of a driver run: the run and the driver's requests made
        while it ran."""
        if run is None:
            return []
        # a request of the run reaches the relay after the run started
        # (a margin there took the previous step's last request)
        lo, hi = run.started, run.started + run.elapsed + 0.05
        return [run] + [s.evidence(r) for r in s.driver_records()
                        if lo <= r["time"] <= hi]

    # -- steps -----------------------------------------------------------------------
    @staticmethod
    def need(cond: bool) -> None:
        """Stop the case (its findings so far decide) unless `cond`."""
        if not cond:
            raise Abort()

    def ran(self, s: Session, run, requirements, what: str,
            expect: int = 0) -> bool:
        """The driver's step ended with `expect` (0: success)."""
        if run is None:
            return self.check(False, requirements, what,
                              "the step was not reached (session %s)" %
                              s.name)
        return self.check(run.exit == expect and not run.timed_out,
                          requirements, "%s (exit %d)" % (what, expect),
                          run.describe(), self.around(s, run))
