"""The executable model of a TIGRESS relay (draft-vinokurov-tigress-http-00;
sct-04 differs only in header names, which tigress_py.client takes care
of).  Independent of ref-relay's C code: it is built from the draft, the
protocol description (spec/protocol.json) and tigress-ref's decisions
(spec/errata.md).

Given the state and a request, `Model.branches` returns the SET of answers
the draft allows, as Branches: an outcome of the operation (status, the
statuses it `accept`s, the answer's kind, its effects), the facts that
make its condition hold (with the requirements that explain them), and
the decisions of tigress-ref the branch departs from.  judge.py matches an
answer against them; `Model.apply` gives the state that follows.

The draft, section by section:

- §4.1 (parties; errata E-PARTIES): the creator's claim is the initiator;
  the first other claim whose read of the secure content succeeds is the
  recipient; nobody else reads, updates, deletes or relinquishes.  The
  conditions party.* of spec/protocol.json, evaluated by `_condition`.
- §4.3, §6.1.5, §8.1.2 (expiration; E-EXPIRATION, E-EXPIRED-404): a
  mailbox answers 404 from its expiration second on.  The runner's clock
  is not the relay's: within `clock_skew` seconds of an expiration both a
  live and an expired mailbox are allowed (`_worlds`); a relay that
  serves an expired mailbox until its periodic check departs from
  E-EXPIRED-404 for `grace_seconds` (choice served-until-swept), then
  breaks RLY-EXPIRE-DELETE.
- §5.1, §6.1.6, §6.2.6, §6.6.3 (duplicates; E-DUP-SCOPE, E-DUP-201-BODY,
  E-DUP-DELETE): the conditions request.duplicate and request.conflict
  over remembered requests (`_views`).  The draft asks a relay to
  recognise the claim's last request id; tigress-ref remembers every
  successful mutating request until its mailbox expires.  The choices
  older-request-as-new, remembered-past-expiration and
  read-request-id-remembered are the draft's other readings.
- §6.1-§6.6 (the operations): each operation's outcomes, in
  spec/protocol.json, in order; the drafts fix no order, so the answer
  of every condition that holds is allowed (`_holding`).
- §6.1.5 (accessRights; E-ACCESS-RIGHTS): rights.permissions of
  spec/protocol.json; choice initiator-delete-needs-d.  The value is
  "a combination of" R, W and D; E-ACCESS-RIGHTS-FORM refuses one
  without R (body.invalid, 400 field_value); choice rights-without-read:
  it is taken, and the mailbox grants the letters it has (without R
  nobody reads it).
- §6.1.2, §6.1.5 (mailboxConfiguration Optional, then Required;
  E-EXPIRATION): a create without it gets the default lifetime and
  rights; choice config-required: it is refused.
- §6.2 (update; E-UPDATE-SLOT), §6.6 (relinquish; E-RELINQUISH-CONTENT):
  one payload slot; a relinquish restores the initiator's last payload
  (choice relinquish-keeps-payload: the draft leaves it).
- §6.5 (read; E-READ-BODY): choice read-body-refused; a read whose body
  E-READ-BODY refuses (an invalid notificationToken) is body.invalid, and
  never binds; choice read-body-unchecked: it is answered as if it had no
  body.  A refused read binds nobody (RLY-BIND-FIRST-READ): the model
  notes it, so that what follows cites it.
- X-LONG-POLL (spec/extensions.md): a poll whose ETag is still current
  may be answered 304; any read may be answered 200.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import protocol


P = protocol.load()
M = P.data["model"]
CHOICES = {c["name"]: c for c in M["choices"]}
DEFAULT_RIGHTS = P.data["rights"]["default"]
RIGHTS_FORM = P.value("access_rights")
PERMISSIONS = P.data["rights"]["permissions"]
# Conditions about malformed input: the generator never sends any, but for
# the bodies tigress-ref's decisions refuse where the draft is silent
# (`Model.refused_body`).
NEVER = ("header.", "body.", "capacity.full")
DECIDED = "body.invalid"
DECIDED_OPS = ("create", "read")         # where `refused_body` may hold


@dataclass(frozen=True)
class Fact:
    """Something the model knows, and the requirements that make it so."""
    reqs: Tuple[str, ...]
    text: str


def field_reqs(name: str, set_by: str, op: Optional[str] = None
               ) -> Tuple[str, ...]:
    """The requirements that explain state field `name` after `set_by`
    (spec/protocol.json model.fields)."""
    for f in M["fields"][name]:
        if f["set_by"] == set_by and f.get("op", op) == op:
            return tuple(f["requirements"])
    return ()


def choice_fact(name: str, text: Optional[str] = None) -> Fact:
    c = CHOICES[name]
    return Fact(tuple(c["requirements"]), text or c["what"])


@dataclass
class Candidate:
    """A payload the mailbox may hold, why, and the decisions a relay
    departs from if it is this one."""
    sym: str
    facts: List[Fact]
    departs: List[Fact] = field(default_factory=list)


@dataclass
class Box:
    """A mailbox the relay made."""
    id: str
    sym: str                          # the symbol that named it first
    initiator: str
    display: str
    expiration: Optional[int]         # seconds since the epoch; None: default
    rights: str
    rights_fact: Fact
    payload: List[Candidate]
    initiator_payload: Candidate
    recipient: Optional[str] = None
    recipient_fact: Fact = Fact((), "nobody has read it yet")
    gone: Optional[Fact] = None       # deleted
    expired_seen: bool = False        # an answer showed it expired
    version: int = 0                  # content changes (X-LONG-POLL ETag)
    writer: str = ""                  # who wrote the payload it holds
    made: int = 0                     # the step that created it


@dataclass
class Entry:
    """A remembered request (E-DUP-SCOPE): what it was and what it got."""
    op: str
    box: Optional[str]                # mailbox id (a create: the one made)
    body: object                      # the answer's JSON
    step: int
    sym: str = ""                     # the mailbox symbol it named


@dataclass
class State:
    boxes: Dict[str, Box] = field(default_factory=dict)
    ids: Dict[str, str] = field(default_factory=dict)   # symbol -> id
    memory: Dict[Tuple[str, str], Entry] = field(default_factory=dict)
    last: Dict[str, str] = field(default_factory=dict)      # device -> rid
    last_any: Dict[str, str] = field(default_factory=dict)  # reads too
    reads: Dict[Tuple[str, str], Entry] = field(default_factory=dict)
    polls: Dict[Tuple[str, str], Tuple[str, int]] = field(default_factory=dict)

    def box(self, sym: Optional[str]) -> Optional[Box]:
        i = self.ids.get(sym) if sym else None
        return self.boxes.get(i) if i else None

    def live_boxes(self) -> List[Box]:
        return [b for b in self.boxes.values()
                if b.gone is None and not b.expired_seen]


@dataclass
class Req:
    """A request as the model sees it (a step, made concrete by wire.py)."""
    n: int                            # step number, from 1
    op: str
    dev: Optional[str] = None
    sym: Optional[str] = None         # mailbox symbol
    box: Optional[str] = None         # mailbox id (None for a create)
    rid: Optional[str] = None         # request id symbol
    payload: Optional[str] = None
    display: Optional[str] = None
    rights: Optional[str] = None
    config: bool = False              # a mailboxConfiguration was sent
    expiration: Optional[int] = None  # the one sent
    token: bool = False
    method: str = "GET"
    bad_body: bool = False            # a read's body E-READ-BODY refuses
    body_taken: bool = False          # refused bodies taken (a choice)
    poll: Optional[Tuple[str, int]] = None   # (ETag sent, its version)
    t0: float = 0.0                   # sent (runner's clock)
    t1: float = 0.0                   # answered


@dataclass
class Branch:
    """One answer (family) the draft allows: `outcome` of spec/protocol.json
    in a `world` (mailbox id -> expired), answering as remembered `entry`
    for a duplicate."""
    op: str
    outcome: dict
    facts: List[Fact]
    departs: List[Fact] = field(default_factory=list)
    world: Dict[str, bool] = field(default_factory=dict)
    entry: Optional[Entry] = None
    accept: Dict[int, Fact] = field(default_factory=dict)
    not_modified: bool = False        # a poll may get 304

    @property
    def statuses(self) -> Tuple[int, ...]:
        s = (self.outcome["status"],) + tuple(self.accept)
        return s + ((304,) if self.not_modified else ())

    @property
    def reqs(self) -> Tuple[str, ...]:
        out = list(self.outcome["requirements"])
        for f in self.facts:
            out += [r for r in f.reqs if r not in out]
        return tuple(out)


class Model:
    """The relay of the drafts.  `skew`: seconds the relay's clock may be
    off ours (spec/protocol.json model.clock_skew by default)."""

    def __init__(self, skew: Optional[float] = None):
        self.skew = M["clock_skew"] if skew is None else skew
        self.grace = CHOICES["served-until-swept"]["grace_seconds"]

    @staticmethod
    def start() -> State:
        return State()

    # -- the allowed set -----------------------------------------------------------------
    def branches(self, st: State, req: Req) -> List[Branch]:
        out: List[Branch] = []
        taken = self._taken(req)
        for world, wdeps in self._worlds(st, req):
            for entry, vdeps in self._views(st, req, world):
                out += self._branches(st, req, world, entry, wdeps + vdeps)
                if taken is not None:
                    out += self._branches(st, taken[0], world, entry,
                                          wdeps + vdeps + taken[1])
        return out

    # -- bodies refused by a decision where the draft is silent ---------------------------
    @staticmethod
    def rights_form(rights: str) -> Tuple[bool, bool]:
        """(a combination of R, W and D, as §6.1.5 has it; also as
        E-ACCESS-RIGHTS-FORM has it: with R)."""
        v = RIGHTS_FORM
        combination = v["min_bytes"] <= len(rights) <= v["max_bytes"] and \
            set(rights) <= set(v["alphabet"]) and \
            len(set(rights)) == len(rights)
        return combination, combination and v["must_contain"] in rights

    @staticmethod
    def granted(rights: str) -> str:
        """The rights a mailbox created with `rights` grants: the letters
        of R, W and D it has (the same value when it is well formed)."""
        return "".join(c for c in RIGHTS_FORM["alphabet"] if c in rights)

    def refused_body(self, req: Req) -> Optional[Fact]:
        """Why tigress-ref's decisions refuse the request's body (the
        draft does not), or None."""
        if req.body_taken:
            return None
        if req.op == "create" and req.config and req.rights is not None \
                and not self.rights_form(req.rights)[1]:
            return Fact(tuple(RIGHTS_FORM["requirements"]),
                        "accessRights %r is not %s" % (req.rights,
                                                       RIGHTS_FORM["form"]))
        if req.op == "read" and req.bad_body:
            return Fact(("E-READ-BODY",), "the read's body is no JSON object "
                        "with a valid notificationToken")
        return None

    def _taken(self, req: Req) -> Optional[Tuple[Req, List[Fact]]]:
        """The request as a relay that takes the body refused by a decision
        sees it, and the departures that makes."""
        why = self.refused_body(req)
        if why is None:
            return None
        taken = copy.copy(req)
        taken.body_taken = True
        if req.op == "read":
            return taken, [choice_fact("read-body-unchecked")]
        deps = [choice_fact("rights-without-read", "accessRights %r taken: "
                            "the mailbox grants %r" % (
                                req.rights, self.granted(req.rights)))]
        if not self.rights_form(req.rights)[0]:
            deps.append(Fact(tuple(r for r in RIGHTS_FORM["requirements"]
                                   if not r.startswith("E-")),
                             "%r is no combination of R, W and D" %
                             req.rights))
        return taken, deps

    def _branches(self, st, req, world, entry, deps) -> List[Branch]:
        outcomes = P.operation(req.op)["outcomes"]
        holding = self._holding(st, req, world, entry)
        if not holding:
            always = next(o for o in outcomes if o["when"] == "always")
            holding = [(always, self._allowed_fact(st, req))]
        others = self._others_request(st, req)
        if len(holding) > 1:                # any of them (E-OUTCOME-ORDER)
            others.append(Fact(tuple(M["order"]["requirements"]),
                               M["order"]["what"]))
        out = []
        for o, fact in holding:
            b = Branch(req.op, o, [fact] + others, list(deps), world,
                       entry if o["when"] == "request.duplicate" else None)
            errata = tuple(r for r in o["requirements"] if r.startswith("E-"))
            for s in o.get("accept", ()):
                if 200 <= s < 300 and o["when"] == "request.conflict":
                    why = Fact(errata, "the request id of step %d reused, "
                               "and the request processed as a new one" %
                               entry.step)
                    out += self._branches(st, req, world, None, deps + [why])
                elif not 200 <= s < 300:
                    b.accept[s] = Fact(errata or tuple(o["requirements"]),
                                       "%d where tigress-ref answers %d" %
                                       (s, o["status"]))
            if o["when"] == "always" and req.op == "read" and req.poll:
                box = st.boxes.get(req.box)
                b.not_modified = box is not None and \
                    box.version == req.poll[1]
            out.append(b)
        if [o for o, _ in holding if o["when"] == "always"]:
            out += self._choice_branches(st, req, world, deps)
        return out

    @staticmethod
    def _others_request(st: State, req: Req) -> List[Fact]:
        """Another device made a request with this request id: it is none
        of this device's (request ids are kept per claim)."""
        if not req.rid:
            return []
        other = next((e for (d, r), e in st.memory.items()
                      if r == req.rid and d != req.dev), None)
        reqs = field_reqs("memory", "another claim", req.op)
        if other is None or not reqs:
            return []
        return [Fact(reqs, "step %d, another device's, used request id %s"
                     % (other.step, req.rid))]

    def _allowed_fact(self, st: State, req: Req) -> Fact:
        if req.op == "create":
            return Fact((), "a new create")
        box = st.boxes[req.box]
        if req.op == "update" and req.dev == box.writer:
            return Fact(field_reqs("payload", "the same party again"),
                        "%s may update %s, although the payload there is "
                        "its own" % (req.dev, box.sym))
        if req.op == "read" and box.recipient is None and \
                req.dev != box.initiator:
            return Fact(box.recipient_fact.reqs, "%s may read %s, whose "
                        "recipient is none (%s)" % (
                            req.dev, box.sym, box.recipient_fact.text))
        return Fact(box.recipient_fact.reqs if req.dev == box.recipient else
                    (), "%s may %s %s" % (req.dev or "anyone", req.op,
                                          box.sym))

    def liveness(self, st: State, req: Req) -> Optional[Fact]:
        """Why the mailbox a request names still exists (cited when the
        relay answers as if it did not)."""
        box = st.boxes.get(req.box) if req.box else None
        if box is None or box.gone is not None or box.expired_seen or \
                self.expiry(box, req) != "live":
            return None
        return Fact(field_reqs("live", "mailbox.create"),
                    "%s, made at step %d, is neither deleted nor expired" % (
                        box.sym, box.made))

    def _choice_branches(self, st, req, world, deps) -> List[Branch]:
        """The draft's answers that tigress-ref's decisions rule out, for a
        request that would succeed."""
        out = []
        box = st.boxes.get(req.box) if req.box else None
        if req.op == "delete" and box is not None and \
                req.dev == box.initiator and "D" not in box.rights:
            o = P.outcome("delete", "right.missing")
            out.append(Branch("delete", o, [Fact(
                box.rights_fact.reqs, "%s grants %s, no D" % (
                    box.sym, box.rights))], deps + [choice_fact(
                        "initiator-delete-needs-d")], world,
                accept={s: choice_fact("initiator-delete-needs-d")
                        for s in o.get("accept", ())}))
        if req.op == "create" and not req.config:
            o = P.outcome("create", "body.invalid")
            out.append(Branch("create", o, [Fact(
                (), "a create without mailboxConfiguration")], deps + [
                    choice_fact("config-required")], world))
        if req.op == "read" and req.token:
            o = P.outcome("read", "body.invalid")
            m = P.outcome("read", "body.media_type")
            out.append(Branch("read", o, [Fact((), "a read with a body")],
                              deps + [choice_fact("read-body-refused")],
                              world, accept={m["status"]: choice_fact(
                                  "read-body-refused")}))
        return out

    # -- expiration: which mailboxes may have expired (E-EXPIRED-404) -----------------
    def expiry(self, box: Box, req: Req) -> str:
        """live, gone, maybe (within the clock skew of the expiration) or
        grace (expired, within served-until-swept's grace)."""
        if box.expired_seen:
            return "gone"
        if box.expiration is None or req.t1 + self.skew < box.expiration:
            return "live"
        if req.t0 - self.skew < box.expiration:
            return "maybe"
        if req.t0 - self.skew < box.expiration + self.grace:
            return "grace"
        return "gone"

    def _worlds(self, st: State, req: Req):
        ids = [req.box] if req.box in st.boxes else []
        e = st.memory.get((req.dev, req.rid)) if req.rid else None
        if e is not None and e.box in st.boxes and e.box not in ids:
            ids.append(e.box)
        worlds = [({}, [])]
        for i in ids:
            box = st.boxes[i]
            status = self.expiry(box, req)
            if status == "live":
                opts = [(False, [])]
            elif status == "gone":
                opts = [(True, [])]
            elif status == "maybe":
                opts = [(False, []), (True, [])]
            else:
                opts = [(True, []), (False, [choice_fact(
                    "served-until-swept", "%s served %d s after its "
                    "expiration (%s)" % (box.sym, req.t0 - box.expiration,
                                         _hms(box.expiration)))])]
            worlds = [(dict(w, **{i: x}), d + dd) for w, d in worlds
                      for x, dd in opts]
        return worlds

    @staticmethod
    def _expired(st: State, box_id: Optional[str], world) -> bool:
        if box_id is None or box_id not in st.boxes:
            return False
        return world.get(box_id, st.boxes[box_id].expired_seen)

    # -- remembered requests (E-DUP-SCOPE) ----------------------------------------------
    def _views(self, st: State, req: Req, world):
        """(the remembered request the relay answers as, departures): the
        decision's view first, then the draft's other readings."""
        dedup = any(o["when"] == "request.duplicate"
                    for o in P.operation(req.op)["outcomes"])
        if not req.rid or not dedup:
            return [(None, [])]
        key = (req.dev, req.rid)
        e = st.memory.get(key)
        if e is None:
            views = [(None, [])]
            r = st.reads.get(key)
            if r is not None:
                views.append((r, [choice_fact(
                    "read-request-id-remembered", "the request id of the "
                    "read of step %d remembered" % r.step)]))
            return views
        if self._expired(st, e.box, world):
            return [(None, []), (e, [choice_fact(
                "remembered-past-expiration", "the request id of step %d "
                "recognised after its mailbox expired" % e.step)])]
        views = [(e, [])]
        same = e.op == req.op and (req.op == "create" or e.box == req.box)
        if same and not (st.last.get(req.dev) == req.rid ==
                         st.last_any.get(req.dev)):
            views.append((None, [choice_fact(
                "older-request-as-new", "the repetition of step %d processed "
                "as a new request (it was not the claim's last request)" %
                e.step)]))
        return views

    # -- conditions (spec/protocol.json conditions) ---------------------------------------
    def _holding(self, st, req, world, entry) -> List[Tuple[dict, Fact]]:
        out = []
        for o in P.operation(req.op)["outcomes"]:
            if o["when"] == "always":
                continue
            f = self._condition(o["when"], st, req, world, entry)
            if f is not None:
                out.append((o, f))
        return out

    def _condition(self, when, st, req, world, entry) -> Optional[Fact]:
        if when == DECIDED:
            return self.refused_body(req)
        if when.startswith(NEVER) or when == "header.attestation.refused":
            return None
        if when == "expiration.out_of_range":
            if req.expiration is not None and \
                    req.t1 + self.skew >= req.expiration:
                return Fact(("E-EXPIRATION",), "the expiration sent may not "
                            "be after the relay's current second")
            return None
        if when == "request.duplicate":
            if entry is not None and entry.op == req.op and (
                    req.op == "create" or entry.box == req.box):
                return Fact(field_reqs("memory", "request.remember"),
                            "step %d made this request (same device, "
                            "request id, operation%s)" % (
                                entry.step, "" if req.op == "create" else
                                " and mailbox"))
            return None
        if when == "request.conflict":
            if entry is not None and (entry.op != req.op or (
                    req.op != "create" and entry.box != req.box)):
                return Fact(field_reqs("memory", "request.remember"),
                            "step %d used request id %s for a %s of %s" % (
                                entry.step, req.rid, entry.op,
                                entry.sym or "a new mailbox"))
            return None
        if req.op == "create":
            return None
        box = st.boxes.get(req.box)
        if when == "mailbox.unknown":
            if box is None:
                return Fact((), "%s was never created" % req.sym)
            if box.gone is not None:
                return box.gone
            if self._expired(st, box.id, world):
                return Fact(field_reqs("gone", "expiration"),
                            "%s expired at %s" % (box.sym,
                                                  _hms(box.expiration)))
            return None
        if box is None or box.gone is not None or \
                self._expired(st, box.id, world):
            return None
        role = self.role(box, req.dev)
        if when == "party.stranger" and role.startswith("stranger"):
            return self._stranger(box, req)
        if when == "party.stranger_once_bound" and \
                role == "stranger_once_bound":
            return self._stranger(box, req)
        if when == "party.not_recipient" and role != "recipient":
            return Fact(box.recipient_fact.reqs, "%s is not %s's recipient "
                        "(%s)" % (req.dev, box.sym, self._who(box)))
        if when == "right.missing":
            need = self.needs(req.op, role)
            if need:
                missing = [r for r in need if r not in box.rights]
                if missing:
                    return Fact(box.rights_fact.reqs, "%s grants %s, no %s"
                                % (box.sym, box.rights, "".join(missing)))
        return None

    @staticmethod
    def role(box: Box, dev: Optional[str]) -> str:
        if dev == box.initiator:
            return "initiator"
        if dev is not None and dev == box.recipient:
            return "recipient"
        return "stranger_while_unbound" if box.recipient is None else \
            "stranger_once_bound"

    @staticmethod
    def needs(op: str, role: str) -> Optional[List[str]]:
        """The rights `role` needs for `op` (rights.permissions); None:
        never allowed."""
        table = PERMISSIONS.get(op, {})
        if role in table:
            return table[role]
        if role.startswith("stranger"):
            return table.get("stranger")
        return table.get("anyone", None)

    def _stranger(self, box: Box, req: Req) -> Fact:
        return Fact(box.recipient_fact.reqs, "%s is neither %s's initiator "
                    "(%s) nor its recipient (%s)" % (
                        req.dev, box.sym, box.initiator, self._who(box)))

    @staticmethod
    def _who(box: Box) -> str:
        if box.recipient is None:
            return "none: " + box.recipient_fact.text
        return "%s: %s" % (box.recipient, box.recipient_fact.text)

    # -- the state after an answer ----------------------------------------------------------
    def apply(self, st: State, b: Branch, req: Req, status: int,
              answer: object, new_id: Optional[str] = None,
              payload: Optional[Candidate] = None,
              etag: Optional[str] = None) -> State:
        """The state after the relay answered `status` (with JSON
        `answer`) as branch `b`.  `new_id`: a create's mailbox; `payload`:
        the candidate a read showed."""
        st = copy.deepcopy(st)
        for i, expired in b.world.items():
            if expired:
                st.boxes[i].expired_seen = True
        box = st.boxes.get(req.box) if req.box else None
        if req.op == "read" and status >= 400:
            self._refused_read(box, req, status)
        if status in b.accept:
            return st                       # refused: nothing happens
        if b.outcome["when"] == "request.duplicate":
            self._repeated(st, b.entry, req)
            return st
        for e in b.outcome.get("effects", ()):
            self._effect(e, st, req, box, answer, new_id)
        if req.op == "read" and status in (200, 304) and box is not None:
            if payload is not None:
                box.payload = [Candidate(payload.sym, payload.facts)]
            if req.rid:
                st.reads[(req.dev, req.rid)] = Entry("read", box.id, None,
                                                     req.n, req.sym)
                st.last_any[req.dev] = req.rid
            if status == 200 and etag:
                st.polls[(req.dev, box.id)] = (etag, box.version)
        return st

    def _effect(self, name, st, req, box, answer, new_id) -> None:
        n = req.n
        if name == "mailbox.create" and new_id:
            cand = Candidate(req.payload, [Fact(
                field_reqs("payload", "mailbox.create"),
                "%s, created by %s at step %d" % (req.payload, req.dev, n))])
            given = req.config and req.rights is not None
            rights = self.granted(req.rights) if given else DEFAULT_RIGHTS
            rf = Fact(field_reqs("rights", "accessRights" if given
                                 else "default"),
                      "%s grants %s%s" % (req.sym, rights or "nothing",
                                          "" if given else " (the default)"))
            st.boxes[new_id] = Box(new_id, req.sym, req.dev, req.display,
                                   req.expiration, rights, rf, [cand], cand,
                                   writer=req.dev, made=n)
            st.ids[req.sym] = new_id
        elif name == "recipient.bind" and box is not None:
            if box.recipient is None and req.dev != box.initiator:
                box.recipient = req.dev
                box.recipient_fact = Fact(
                    field_reqs("recipient", "recipient.bind"),
                    "bound by its read at step %d" % n)
        elif name == "payload.replace" and box is not None:
            cand = Candidate(req.payload, [Fact(
                field_reqs("payload", "payload.replace"),
                "%s, written by %s at step %d" % (req.payload, req.dev, n))])
            box.payload = [cand]
            box.writer = req.dev
            if req.dev == box.initiator:
                box.initiator_payload = cand
            box.version += 1
        elif name == "mailbox.delete" and box is not None:
            box.gone = Fact(field_reqs("gone", "mailbox.delete"),
                            "%s was deleted by %s at step %d" % (
                                box.sym, req.dev, n))
        elif name == "recipient.unbind" and box is not None:
            self._unbind(box, req)
        elif name == "request.remember" and req.rid:
            bid = new_id if req.op == "create" else (box.id if box else None)
            st.memory[(req.dev, req.rid)] = Entry(req.op, bid, answer, n,
                                                  req.sym or "")
            st.last[req.dev] = st.last_any[req.dev] = req.rid

    @staticmethod
    def _refused_read(box: Optional[Box], req: Req, status: int) -> None:
        """A stranger's read of a live, unbound mailbox refused: it binds
        nobody (RLY-BIND-FIRST-READ), which what follows rests on."""
        if box is None or box.gone is not None or box.expired_seen or \
                box.recipient is not None or req.dev == box.initiator:
            return
        box.recipient_fact = Fact(
            tuple(dict.fromkeys(box.recipient_fact.reqs + field_reqs(
                "recipient", "a refused read"))),
            "%s; %s's read at step %d was refused (%d), which binds nobody"
            % (box.recipient_fact.text, req.dev, req.n, status))

    def _unbind(self, box: Box, req: Req) -> None:
        old = box.recipient
        box.recipient = None
        box.recipient_fact = Fact(field_reqs("recipient",
                                             "recipient.unbind"),
                                  "%s relinquished it at step %d" % (old,
                                                                     req.n))
        ip = box.initiator_payload
        restored = Candidate(ip.sym, [Fact(
            field_reqs("payload", "recipient.unbind"),
            "%s, the initiator's last payload, restored by the relinquish "
            "at step %d" % (ip.sym, req.n))])
        kept = [Candidate(c.sym, c.facts, c.departs + [choice_fact(
            "relinquish-keeps-payload", "%s, written before the relinquish "
            "of step %d, kept" % (c.sym, req.n))])
            for c in box.payload if c.sym != ip.sym]
        box.payload = [restored] + kept
        box.writer = box.initiator
        box.version += 1

    def _repeated(self, st: State, e: Entry, req: Req) -> None:
        """A duplicate answered 201: nothing applied again.  Facts the
        original set now rest also on its not being applied again."""
        if req.op == "create":
            if e.box:
                st.ids[req.sym] = e.box
            return
        box = st.boxes.get(e.box)
        if box is None:
            return
        note = "step %d repeated step %d, not applied again" % (req.n, e.step)
        pr = field_reqs("payload", "request.duplicate", req.op)
        if pr:
            box.payload = [Candidate(c.sym, c.facts + [Fact(pr, note)],
                                     c.departs) for c in box.payload]
        rr = field_reqs("recipient", "request.duplicate", req.op)
        if rr:
            f = box.recipient_fact
            box.recipient_fact = Fact(tuple(dict.fromkeys(f.reqs + rr)),
                                      "%s; %s" % (f.text, note))


def modelled(outcome: dict, op: str) -> bool:
    """Whether the model evaluates this outcome's condition of `op` (not
    those about malformed input, which the generator never sends, but for
    the bodies refused by a decision)."""
    w = outcome["when"]
    if w == DECIDED:
        return op in DECIDED_OPS
    return not w.startswith(NEVER) and w not in (
        "header.attestation.refused", "expiration.out_of_range")


def checked(op: str) -> List[str]:
    """The requirements every judged answer to `op` is checked against:
    those of each modelled outcome (the answer must be one of them, and
    not another), the echo, and what the answers show."""
    out: List[str] = []
    outcomes = [o for o in P.operation(op)["outcomes"] if modelled(o, op)]
    kinds = {o.get("answer") for o in outcomes}
    groups = [o["requirements"] for o in outcomes]
    groups += [s["requirements"] for s in M["shows"] if s["answer"] in kinds]
    if any(o["when"] == "request.duplicate" for o in outcomes):
        groups.append(M["echo"]["requirements"])
        groups.append(field_reqs("memory", "request.remember"))
    if len(outcomes) > 2:
        groups.append(M["order"]["requirements"])
    if any(o["when"] == "mailbox.unknown" for o in outcomes):
        groups.append(field_reqs("gone", "expiration"))
    skip = M["unchecked"]["requirements"]
    for g in groups:
        out += [r for r in g if r not in out and r not in skip]
    return out


def _hms(t: Optional[int]) -> str:
    return "never" if t is None else time.strftime("%H:%M:%SZ",
                                                   time.gmtime(t))

