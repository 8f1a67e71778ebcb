"""Judging an answer against the model's allowed set.

Every branch whose status matches the answer is checked further (the echo,
the body: spec/protocol.json bodies and model.shows); what it departs from
(the branch's decisions, an `accept`ed status, a body that breaks only a
decision) is weighed with the catalog's verdicts, tigress-ref's decisions
being FAILs with --strict-errata.  The least severe branch wins:

- PASS, INFO or WARN: the answer is allowed; its departures are findings,
  and the sequence goes on from the state that branch leads to;
- FAIL, or no branch matches at all: a disagreement; the sequence stops
  there, and the finding cites what the model allowed (the outcomes'
  requirements and the facts that made their conditions hold) - but a 5xx
  (503 with Retry-After aside) cites RLY-NO-5XX alone: the generator sends
  only well-formed requests, and a server error is the defect, not the
  outcomes it kept from happening.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from tigress_py import rfc3339, uuids

from ..core.model import SEVERITY
from ..core.wellformed import server_error
from .model import (M, P, Branch, Candidate, Fact, Model, Req, State,
                    choice_fact)
from .model import checked as model_checked

ECHO = tuple(M["echo"]["requirements"])
NO_5XX = ("RLY-NO-5XX",)
SHOWS = {(s["answer"], s.get("member")): tuple(s["requirements"])
         for s in M["shows"]}


@dataclass
class Seen:
    """An answer, as judged."""
    status: Optional[int]
    media: str = ""
    json: object = None
    body: bytes = b""
    echo: Optional[str] = None
    etag: Optional[str] = None
    error: Optional[str] = None      # why there was no answer
    server_error: bool = False       # a 5xx, 503 with Retry-After aside

    @classmethod
    def of(cls, ex) -> "Seen":
        if ex.status is None:
            return cls(None, error=(ex.transport_error or "no answer")
                       .splitlines()[0][:160])
        return cls(ex.status, ex.media_type, ex.json, ex.body,
                   ex.header("Mailbox-Request-ID"), ex.header("ETag"),
                   server_error=server_error(ex))


class Concrete:
    """What symbols stand for in one play (wire.Wire implements it)."""
    def payload(self, sym: str) -> dict: ...
    def display(self, sym: str) -> dict: ...
    def rid(self, sym: str) -> str: ...
    def payload_sym(self, obj) -> Optional[str]: ...


@dataclass
class Finding:
    """A departure (the answer allowed, departing from a decision or a
    SHOULD) or a disagreement (fatal: no allowed answer)."""
    verdict: str
    requirements: List[str]
    expected: str
    got: str
    step: int
    fatal: bool

    @property
    def signature(self) -> Tuple[str, frozenset]:
        return self.verdict, frozenset(self.requirements)

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "requirements": self.requirements,
                "expected": self.expected, "got": self.got,
                "step": self.step, "fatal": self.fatal}


@dataclass
class Judgement:
    state: Optional[State]          # None: no allowed answer
    findings: List[Finding] = field(default_factory=list)
    allowed: str = ""               # what the model allowed, in words
    got: str = ""
    checked: List[str] = field(default_factory=list)


class Verdicts:
    """The verdict of breaking requirements: the catalog's, and FAIL for
    tigress-ref's decisions with --strict-errata (as CaseContext.check)."""

    def __init__(self, catalog, strict: bool):
        self.catalog = catalog
        self.strict = strict

    def of(self, reqs: Sequence[str]) -> str:
        known = [r for r in reqs if r in self.catalog]
        if not known:
            return "WARN"
        if self.strict and any(self.catalog.get(r)["source"] == "errata"
                               for r in known):
            return "FAIL"
        return self.catalog.strongest(known)

    def worst(self, facts: Sequence[Fact]) -> str:
        v = "PASS"
        for f in facts:
            x = self.of(f.reqs)
            if SEVERITY[x] > SEVERITY[v]:
                v = x
        return v


def judge(model: Model, verdicts: Verdicts, st: State, req: Req, seen: Seen,
          concrete: Concrete) -> Judgement:
    branches = model.branches(st, req)
    checked = _union([model_checked(req.op)] + [b.reqs for b in branches])
    allowed = describe_allowed(branches, st, req)
    got = describe_seen(seen, req, st, concrete)
    scored = []
    for i, b in enumerate(branches):
        if seen.status is None or seen.status not in b.statuses:
            continue
        probs, new_id, cand = answer_problems(b, st, req, seen, concrete)
        deps = list(b.departs) + probs
        if seen.status in b.accept:
            deps.append(b.accept[seen.status])
        if cand is not None:
            deps += cand.departs
        v = verdicts.worst(deps)
        scored.append((SEVERITY[v], i, v, b, deps, new_id, cand))
    j = Judgement(None, [], allowed, got, checked)
    if scored:
        _, _, v, b, deps, new_id, cand = min(scored, key=lambda x: x[:2])
        if v != "FAIL":
            j.state = model.apply(st, b, req, seen.status, seen.json,
                                  new_id, cand, seen.etag)
            for d in _unique(deps):
                j.findings.append(Finding(
                    verdicts.of(d.reqs), list(d.reqs),
                    describe_allowed([x for x in branches if not x.departs]
                                     or branches, st, req),
                    "%s: %s" % (got, d.text), req.n, False))
            return j
        bad = [d for d in _unique(deps) if verdicts.of(d.reqs) == "FAIL"]
        j.findings.append(Finding(
            "FAIL", _union(d.reqs for d in bad),
            describe_branch(b, st, req),
            "%s: %s" % (got, "; ".join(d.text for d in bad)), req.n, True))
        return j
    # Outside even the draft's set: every allowed answer's requirements
    # are broken (the decisions' too); a 404 to a mailbox that lives, also
    # what keeps it.
    live = model.liveness(st, req)
    unknown = P.outcome(req.op, "mailbox.unknown")
    if live is not None and unknown is not None and \
            seen.status == unknown["status"]:
        got = "%s: %s" % (got, live.text)
        branches = branches + [Branch(req.op, {"requirements": []}, [live])]
    reqs = _union([b.reqs for b in branches] +
                  [d.reqs for b in branches for d in b.departs])
    if seen.server_error:
        reqs = list(NO_5XX)
    j.findings.append(Finding(verdicts.of(reqs), reqs, allowed, got, req.n,
                              True))
    return j


# -- the answer's body ----------------------------------------------------------------

def answer_problems(b: Branch, st: State, req: Req, seen: Seen,
                    concrete: Concrete
                    ) -> Tuple[List[Fact], Optional[str], Optional[Candidate]]:
    """What the answer breaks if it is branch `b`'s, the identifier of a
    mailbox it created, and the payload candidate a read showed."""
    probs: List[Fact] = []
    if req.rid is not None:
        sent = concrete.rid(req.rid)
        if seen.echo != sent:
            probs.append(Fact(ECHO, "Mailbox-Request-ID %s" % (
                "not echoed" if seen.echo is None else
                "%r echoed, %r sent" % (seen.echo[:40], sent))))
    status = seen.status
    if status == 304 or req.method == "HEAD":     # no body (E-HEAD)
        return probs, None, None
    kind = "error_response" if status in b.accept and status >= 400 \
        else b.outcome.get("answer")
    new_id, cand = None, None
    if kind == "error_response":
        probs += _error_body(b, seen)
    elif kind == "original":
        probs += _original(b, seen)
    elif kind == "preview_page":
        probs += _preview(st, req, seen, concrete)
    elif kind in P.data["bodies"]:
        probs += _members(kind, req.op, seen)
        if kind == "create_response":
            new_id, p = _created(st, seen)
            probs += p
        elif kind == "read_response" and isinstance(seen.json, dict):
            cand, p = _read(st, req, seen, concrete)
            probs += p
    return probs, new_id, cand


def _produces(op: str) -> Tuple[str, ...]:
    return tuple(r for r in P.operation(op)["requirements"]
                 if r.endswith("-PRODUCES"))


def _members(kind: str, op: str, seen: Seen) -> List[Fact]:
    body = P.body(kind)
    if seen.media != body["media_type"]:
        return [Fact(_produces(op) or ("E-EMPTY-RESP",),
                     "Content-Type %r" % (seen.media or "none"))]
    if not isinstance(seen.json, dict):
        return [Fact(tuple(_union(m.requirements for m in P.members(kind)))
                     or ("E-EMPTY-RESP",), "not a JSON object")]
    out = []
    types = {"string": str, "boolean": bool, "object": dict}
    for m in P.members(kind):
        v = seen.json.get(m.name)
        if m.required and (v is None or not isinstance(v, types[m.type])):
            out.append(Fact(m.requirements, "no %s %s" % (m.type, m.name)))
    return out


def _error_body(b: Branch, seen: Seen) -> List[Fact]:
    j = seen.json
    if not (isinstance(j, dict) and isinstance(j.get("error"), str)):
        return [Fact(("E-ERROR-BODY",), "no {error, message} body")]
    code = b.outcome.get("error", "")
    if seen.status == b.outcome["status"] and code and \
            not code.startswith("(") and j["error"] != code:
        return [Fact(("E-ERROR-BODY",), "error %r where tigress-ref answers "
                     "%r" % (j["error"][:40], code))]
    return []


def _original(b: Branch, seen: Seen) -> List[Fact]:
    e = b.entry
    if seen.json == e.body:
        return []
    if e.op == "create" and isinstance(seen.json, dict) and \
            isinstance(seen.json.get("urlLink"), str) and \
            _id_of(seen.json["urlLink"]) != e.box:
        return [Fact(tuple(r for r in b.outcome["requirements"]
                           if not r.startswith("E-")),
                     "the 201 names another mailbox than step %d made" %
                     e.step)]
    return [choice_fact("duplicate-other-body", "201 with %s, not the answer "
                        "of step %d" % (_short(seen.body), e.step))]


def _preview(st: State, req: Req, seen: Seen, concrete) -> List[Fact]:
    if seen.media != "text/html":
        return [Fact(_produces("preview"), "Content-Type %r" % seen.media)]
    box = st.boxes.get(req.box)
    if req.method == "GET" and box is not None:
        title = concrete.display(box.display)["title"]
        text = seen.body.decode("utf-8", "replace")
        if html.escape(title, quote=True) not in text and title not in text:
            return [Fact(SHOWS[("preview_page", "og:title")],
                         "the title %r is not on the page" % title)]
    return []


def _created(st: State, seen: Seen) -> Tuple[Optional[str], List[Fact]]:
    url = seen.json.get("urlLink") if isinstance(seen.json, dict) else None
    if not isinstance(url, str):
        return None, []             # _members reported it
    mid = _id_of(url)
    if not uuids.is_form(mid):
        return None, [Fact(SHOWS[("create_response", "urlLink")],
                           "urlLink %r names no mailbox" % url[:80])]
    if mid in st.boxes:
        return None, [Fact(tuple(P.data["effects"]["mailbox.create"]
                                 ["requirements"]),
                           "urlLink names %s, made before" %
                           st.boxes[mid].sym)]
    return mid, []


def _read(st: State, req: Req, seen: Seen, concrete
          ) -> Tuple[Optional[Candidate], List[Fact]]:
    box = st.boxes[req.box]
    j = seen.json
    probs = []
    cand = next((c for c in box.payload
                 if concrete.payload(c.sym) == j.get("payload")), None)
    if cand is None and isinstance(j.get("payload"), dict):
        sym = concrete.payload_sym(j.get("payload"))
        reqs = SHOWS[("read_response", "payload")] + tuple(
            _union(f.reqs for c in box.payload for f in c.facts))
        probs.append(Fact(reqs, "payload %s, not %s" % (
            sym or "unknown to the sequence", " or ".join(
                "%s (%s)" % (c.sym, "; ".join(f.text for f in c.facts))
                for c in box.payload))))
    if j.get("displayInformation") != concrete.display(box.display):
        probs.append(Fact(SHOWS[("read_response", "displayInformation")],
                          "displayInformation is not %s's" % box.display))
    exp = j.get("expiration")
    if box.expiration is not None and exp != rfc3339.format(box.expiration):
        probs.append(Fact(SHOWS[("read_response", "expiration")],
                          "expiration %r, not the %s created" % (
                              exp, rfc3339.format(box.expiration))))
    return cand, probs


# -- words ------------------------------------------------------------------------------

def describe_branch(b: Branch, st: State, req: Optional[Req] = None) -> str:
    o = b.outcome
    kind = o.get("answer")
    codes = "/".join(str(s) for s in b.statuses)
    if kind == "original":
        what = "with the answer of step %d" % b.entry.step
    elif kind == "error_response":
        what = o.get("error", "")
        what = "" if what.startswith("(") else what
    elif kind == "read_response" and req is not None and \
            req.box in st.boxes:
        what = "with %s" % " or ".join(c.sym for c in
                                       st.boxes[req.box].payload)
    else:
        what = ""
    text = "%s %s" % (codes, what) if what else codes
    facts = "; ".join(f.text for f in b.facts if f.text)
    if facts:
        text += " (%s)" % facts
    if b.departs:
        text += " [departing from %s: %s]" % (
            ", ".join(_union(d.reqs for d in b.departs)),
            "; ".join(d.text for d in b.departs))
    return text


def describe_allowed(branches: List[Branch], st: State,
                     req: Optional[Req] = None) -> str:
    out: List[str] = []
    for b in branches:
        t = describe_branch(b, st, req)
        if t not in out:
            out.append(t)
    return " or ".join(out)


def describe_seen(seen: Seen, req: Req, st: State, concrete) -> str:
    if seen.status is None:
        return "no answer (%s)" % seen.error
    j = seen.json
    if seen.status == 304:
        return "304 (not modified)"
    if isinstance(j, dict) and isinstance(j.get("error"), str):
        return "%d %s" % (seen.status, j["error"])
    if req.op in ("read", "poll") and isinstance(j, dict) and "payload" in j:
        return "%d with %s" % (seen.status, concrete.payload_sym(
            j["payload"]) or "an unknown payload")
    if isinstance(j, dict) and isinstance(j.get("urlLink"), str):
        mid = _id_of(j["urlLink"])
        known = st.boxes.get(mid)
        return "%d urlLink of %s" % (seen.status, "%s, made before" %
                                     known.sym if known else
                                     "a new mailbox (%s)" % req.sym)
    if req.op == "preview":
        return "%d %s" % (seen.status, seen.media or "")
    return "%d %s" % (seen.status, _short(seen.body))


def _short(b: bytes, n: int = 80) -> str:
    s = b.decode("utf-8", "replace").strip()
    return s if len(s) <= n else s[:n - 3] + "..."


def _id_of(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _union(groups) -> List[str]:
    out: List[str] = []
    for g in groups:
        for r in g:
            if r not in out:
                out.append(r)
    return out


def _unique(facts: List[Fact]) -> List[Fact]:
    out: List[Fact] = []
    for f in facts:
        if f not in out:
            out.append(f)
    return out

