"""What every case works with: a CaseContext records findings and
evidence.  Each suite subclasses it (relay/context.py: RelayContext, with
mailboxes and clients; client/context.py: ClientContext, with sessions).

    t.check(ex.status == 200, ["RLY-READ-200"], "200", t.describe(ex), ex)

`t.check` records a finding when its condition is false; its verdict comes
from the catalog entries it names.  `t.require` does the same and stops
the case.  Every exchange a subclass records (its `_recorded()`) or that
is attached with `t.attach` is evidence of the case.
"""

from __future__ import annotations

import traceback
from typing import Any, List, Optional, Sequence

from tigress_py import bodies
from tigress_py.client import Exchange
from tigress_py.errors import TigressError

from .model import Finding
from .reach import plain_transport_error

# Evidence kept per case: beyond this many exchanges the middle is left
# out (the exchanges a finding cites are always kept).
MAX_EVIDENCE = 40


class Abort(Exception):
    """Stop the case; the findings recorded so far decide its verdict."""


class Unsupported(Exception):
    """An optional feature the case needs is absent."""


class NotRun(Exception):
    """A precondition failed: what the case checks could not be reached
    (its text: "precondition: create failed (see API-CREATE-200)")."""


def describe(ex) -> str:
    """One short phrase for an answer: '201 application/json' or 'no
    answer (ConnectionError: ...)'."""
    if ex is None:
        return "nothing"
    if ex.status is None:
        return "no answer (%s)" % plain_transport_error(ex.transport_error)
    ct = ""
    if isinstance(ex, Exchange):
        ct = ex.media_type
        code = ex.error_code
        if code and ex.status >= 400:
            return "%d %s (%s)" % (ex.status, ct or "", code)
    return ("%d %s" % (ex.status, ct)).strip()


class CaseContext:
    describe = staticmethod(describe)

    def __init__(self, run, case):
        self.run = run
        self.case = case
        self.catalog = run.catalog
        self.options = run.options
        self.profile = run.profile
        self.findings: List[Finding] = []
        self.notes: List[str] = []
        self._attached: List[Any] = []
        self.checked: List[str] = []      # every requirement a check named
        self.observed = 0                 # checks that examined something
        # why the case's verdict cannot be trusted (the relay stopped
        # serving while it ran), or None: shown, not counted
        self.unreliable: Optional[str] = None

    def attach(self, ex) -> None:
        if ex is not None and ex not in self._attached:
            self._attached.append(ex)

    # -- findings ----------------------------------------------------------------
    def check(self, cond: bool, requirements: Sequence[str], expected: str,
              got: str, exchanges=None, verdict: Optional[str] = None) -> bool:
        """Record a finding unless `cond` holds; returns `cond`."""
        reqs = list(requirements)
        self._mark(reqs)
        self.observed += 1
        if cond:
            return True
        v = verdict or self.catalog.strongest(reqs)
        if self.run.strict_errata and any(
                self.catalog.get(r)["source"] == "errata" for r in reqs):
            v = "FAIL"
        exs = exchanges if isinstance(exchanges, (list, tuple)) else \
            ([exchanges] if exchanges is not None else [])
        for ex in exs:
            self.attach(ex)
        self.findings.append(Finding(v, reqs, expected, got, list(exs)))
        return False

    def require(self, cond: bool, requirements: Sequence[str], expected: str,
                got: str, exchanges=None, verdict: Optional[str] = None) -> None:
        if not self.check(cond, requirements, expected, got, exchanges,
                          verdict):
            raise Abort()

    def expect_status(self, ex, code: int, requirements: Sequence[str],
                      what: str, also: Sequence[int] = ()) -> bool:
        """The answer's status is `code` (or one of `also`).  Another 4xx
        where a 4xx was expected is a WARN (the request was refused, with
        another code than the draft's); anything else gets the verdict of
        `requirements`."""
        self._mark(requirements)
        if ex.status == code or ex.status in also:
            self.observed += 1
            return True
        codes = "/".join(str(x) for x in (code,) + tuple(also))
        near = (ex.status is not None and 400 <= code < 500
                and 400 <= ex.status < 500)
        return self.check(False, requirements, "%s to %s" % (codes, what),
                          describe(ex), ex,
                          verdict="WARN" if near else None)

    def echo(self, ex, requirements: Sequence[str] = ("RLY-REQID-ECHO",),
             what: str = "") -> bool:
        """The answer repeats the request's Mailbox-Request-ID."""
        self._mark(requirements)
        sent = ex.request_header("Mailbox-Request-ID")
        if sent is None or ex.status is None:
            return True               # nothing to compare
        got = ex.header("Mailbox-Request-ID")
        shown = sent if len(sent) <= 60 else "%s... (%d characters)" % (
            sent[:20], len(sent))
        return self.check(got == sent, requirements,
                          "Mailbox-Request-ID: %s echoed%s" % (
                              shown, " on " + what if what else ""),
                          "%s (%s)" % ("no such header" if got is None
                                       else repr(got[:60]), describe(ex)), ex)

    def _mark(self, requirements: Sequence[str]) -> None:
        for r in requirements:
            if r not in self.catalog:
                raise KeyError("case cites unknown requirement %s" % r)
            if r not in self.checked:
                self.checked.append(r)

    def soft(self, cond: bool, requirements: Sequence[str], expected: str,
             got: str, exchanges=None) -> bool:
        """A check whose failure is only INFO (a tigress-ref decision or a
        permission the relay does not use)."""
        return self.check(cond, requirements, expected, got, exchanges,
                          verdict="INFO")

    def info(self, requirements: Sequence[str], expected: str, got: str,
             exchanges=None) -> None:
        self.check(False, requirements, expected, got, exchanges,
                   verdict="INFO")

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- was anything examined? --------------------------------------------------
    def saw_traffic(self) -> Optional[bool]:
        """Whether the case saw traffic of the implementation under test;
        None where the question does not arise (a relay case makes its
        own requests)."""
        return None

    def nothing_examined(self) -> Optional[str]:
        """Why the case had nothing to examine, or None.  A case that
        examined nothing never PASSes: it is UNSUPPORTED."""
        return None if self.observed else \
            "no check of this case had an answer or a record to look at"

    def saw(self, n: int = 1) -> None:
        """Count `n` observations made outside `check` (a batch judged at
        once): a case that observed nothing never PASSes."""
        self.observed += n

    def unsupported(self, text: str) -> None:
        self.notes.append(text)
        raise Unsupported(text)

    def precondition(self, cond: bool, what: str, see: str,
                     requirements: Sequence[str] = (), got: str = "",
                     exchanges=None) -> None:
        """What the case checks needs `cond` (set up by an operation that
        case `see` checks): when it does not hold, the case is not run
        (ERROR, "precondition: WHAT failed (see SEE)") - unless this case
        is `see` itself, where it is a finding of `requirements`."""
        if cond:
            return
        if self.case.id == see:
            self.require(False, requirements, "a successful %s" % what, got,
                         exchanges)
        exs = exchanges if isinstance(exchanges, (list, tuple)) else \
            ([exchanges] if exchanges is not None else [])
        for ex in exs:
            self.attach(ex)
        text = "precondition: %s failed (see %s)%s" % (
            what, see, ": " + got if got else "")
        self.notes.append(text)
        raise NotRun(text)

    def finish(self) -> None:
        """Called once the case function has returned (or stopped), before
        its verdict is decided: suites add their run-wide checks here."""

    def answered(self, ex, requirements: Sequence[str], what: str) -> None:
        """Stop the case (with a finding) when the relay gave no HTTP
        answer at all."""
        self.require(ex.status is not None, requirements, what, describe(ex),
                     ex)

    # -- body checks -----------------------------------------------------------------
    def members(self, ex, spec: dict, requirements: Sequence[str],
                what: str) -> bool:
        """Draft-level check of a JSON answer: every member of `spec`
        (name -> Python type or tuple of types) is present with that
        type."""
        self._mark(requirements)
        obj = ex.json
        if not isinstance(obj, dict):
            return self.check(False, requirements,
                              "a JSON object (%s)" % what,
                              "%s, body %r" % (describe(ex), ex.text[:80]), ex)
        ok = True
        self.observed += 1
        for name, typ in spec.items():
            if name not in obj:
                ok = self.check(False, requirements,
                                "member %s in the %s" % (name, what),
                                "no %s" % name, ex) and ok
            elif not _is(obj[name], typ):
                ok = self.check(False, requirements,
                                "%s of type %s" % (name, _tname(typ)),
                                "%s" % _short(obj[name]), ex) and ok
        return ok

    def schema(self, kind: str, ex, requirements: Sequence[str]) -> bool:
        """tigress-ref's body rules (spec/rules.md) for an answer of
        `kind`; cite the errata the rules come from."""
        self._mark(requirements)
        try:
            bodies.parse(kind, ex.body)
            self.observed += 1
            return True
        except TigressError as e:
            return self.check(False, requirements,
                              "a %s body as spec/rules.md defines it" % kind,
                              "%s" % e, ex)

    # -- the record --------------------------------------------------------------------
    def _recorded(self):
        """Every exchange recorded by the case (subclasses say where)."""
        return iter(())

    def exchanges(self) -> List[Any]:
        """The recorded and attached exchanges, each once, in time order."""
        seen = set()
        out = []
        for ex in list(self._recorded()) + list(self._attached):
            if id(ex) not in seen:
                seen.add(id(ex))
                out.append(ex)
        out.sort(key=lambda e: e.started)
        return out

    def evidence(self) -> tuple:
        """(list of evidence dicts, map id(exchange) -> index, omitted)."""
        exs = self.exchanges()
        cited = {id(e) for f in self.findings for e in f.exchanges}
        omitted = 0
        if len(exs) > MAX_EVIDENCE:
            head, tail = exs[:MAX_EVIDENCE - 10], exs[-10:]
            keep_ids = {id(e) for e in head + tail} | cited
            kept = [e for e in exs if id(e) in keep_ids]
            omitted = len(exs) - len(kept)
            exs = kept
        index = {id(e): i for i, e in enumerate(exs)}
        return [e.to_evidence() for e in exs], index, omitted

    def close(self) -> None:
        """Release what the case used (subclasses)."""


def _is(value, typ) -> bool:
    """isinstance for JSON values, where a boolean is not a number."""
    for t in (typ if isinstance(typ, tuple) else (typ,)):
        if t is bool:
            if type(value) is bool:
                return True
        elif t in (int, float):
            if type(value) in (int, float):
                return True
        elif isinstance(value, t):
            return True
    return False


def _tname(typ) -> str:
    names = {str: "string", dict: "object", bool: "boolean", list: "array",
             int: "number", float: "number"}
    if isinstance(typ, tuple):
        return " or ".join(names.get(t, t.__name__) for t in typ)
    return names.get(typ, typ.__name__)


def _short(v) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def format_exception() -> str:
    return traceback.format_exc(limit=6)
