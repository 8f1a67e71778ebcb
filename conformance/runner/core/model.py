"""Cases, findings and results, shared by every suite.

A case is a function registered by a suite (`@case(...)` of
relay/registry.py, `@client_case(...)` of client/registry.py): it gets a
CaseContext (see context.py) and records findings with `t.check(...)`.
The case's verdict is the most severe finding:

    FAIL         a MUST/SHALL/REQUIRED/DEFINED requirement is broken
    WARN         a SHOULD requirement, or a tigress-ref decision, is broken
    INFO         something worth knowing that breaks nothing normative
    UNSUPPORTED  an optional feature the case needs is absent
    PASS         every check held
    ERROR        the runner itself failed (a bug, or an answer so odd the
                 case could not go on); or the case did not run because a
                 precondition failed ("precondition: create failed (see
                 API-CREATE-200)", `not_run`); counted apart, exit status 1

A case that observed nothing to check never PASSes (UNSUPPORTED).  A case
that ran while the relay under test was not serving is `unreliable`: its
verdict is shown but not counted.  `root_cause` is the requirement that
failed first in a FAIL case; reports group FAILs by it.

The verdict of a failed check is the one the catalog records for the
strongest requirement the check names (spec/requirements.json, field
"verdict"), so a check citing only tigress-ref decisions can never FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

VERDICTS = ("PASS", "FAIL", "WARN", "INFO", "UNSUPPORTED", "ERROR")
SEVERITY = {"PASS": 0, "INFO": 1, "UNSUPPORTED": 1, "WARN": 2, "FAIL": 3,
            "ERROR": 4}
DRAFTS = ("http-00", "sct-04")


@dataclass
class Case:
    id: str
    title: str
    requirements: List[str]
    func: Callable
    expect: str
    drafts: Sequence[str] = DRAFTS
    hostile: bool = False      # sends hostile or malformed input
    waits: bool = False        # mostly waits (an expiry, a held read)

    @property
    def category(self) -> str:
        return self.id.split("-", 1)[0]


@dataclass
class Finding:
    verdict: str                  # FAIL, WARN or INFO
    requirements: List[str]
    expected: str
    got: str
    exchanges: List[int] = field(default_factory=list)  # evidence indexes

    def line(self) -> str:
        return "expected %s, got %s" % (self.expected, self.got)

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "requirements": self.requirements,
                "expected": self.expected, "got": self.got,
                "exchanges": self.exchanges}


@dataclass
class CaseResult:
    id: str
    title: str
    category: str
    verdict: str
    requirements: List[str]
    expected: str
    got: str
    findings: List[Finding] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    evidence: List[dict] = field(default_factory=list)
    duration: float = 0.0
    expected_failure: bool = False   # listed in --expected-failures
    checked: List[str] = field(default_factory=list)  # named by checks run
    not_run: Optional[str] = None    # "precondition: ... (see CASE)"
    unreliable: Optional[str] = None  # why its verdict is not counted
    root_cause: Optional[str] = None  # the first requirement that failed
    observed: int = 0                # checks that had something to examine
    traffic: Optional[bool] = None   # saw the implementation's traffic

    @property
    def line(self) -> str:
        return "expected %s, got %s" % (self.expected, self.got)

    @property
    def failed_requirements(self) -> List[str]:
        out: List[str] = []
        for f in self.findings:
            if f.verdict == self.verdict:
                for r in f.requirements:
                    if r not in out:
                        out.append(r)
        return out

    def to_json(self) -> dict:
        out = {
            "id": self.id, "title": self.title, "category": self.category,
            "verdict": self.verdict, "requirements": self.requirements,
            "failed_requirements": self.failed_requirements,
            "checked_requirements": self.checked,
            "expected": self.expected, "got": self.got, "line": self.line,
            "findings": [f.to_json() for f in self.findings],
            "notes": self.notes, "duration": round(self.duration, 3),
            "expected_failure": self.expected_failure,
            "not_run": self.not_run, "unreliable": self.unreliable,
            "root_cause": self.root_cause, "observed": self.observed,
            "evidence": self.evidence,
        }
        if self.traffic is not None:
            out["traffic"] = self.traffic
        return out


def worst(verdicts) -> str:
    best = "PASS"
    for v in verdicts:
        if SEVERITY[v] > SEVERITY[best]:
            best = v
    return best


def root_cause(findings, verdict: str, catalog) -> Optional[str]:
    """The requirement that failed first: of the first finding with the
    case's verdict, its first requirement whose catalog verdict is that
    verdict (else its first).  None when no finding has the verdict."""
    for f in findings:
        if f.verdict != verdict:
            continue
        for r in f.requirements:
            if r in catalog and catalog.verdict(r) == verdict:
                return r
        return f.requirements[0] if f.requirements else None
    return None
