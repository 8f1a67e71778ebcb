"""The symbolic sequence: what a step does, in terms that survive a replay.

A step names devices (I1, I2, R1, R2, R3, X: each is one device claim,
fresh in every play), mailboxes (m1, m2...: bound to the identifier the
relay answers when the create that names it succeeds; a mailbox no create
made is a fresh random identifier), request ids (q1, q2...: one fresh
UUID each per play, so a step reusing q3 repeats step 3's request id) and
payloads and display information (p1..., d1...: fixed per play).

    Step("create", by="I1", mailbox="m1", rid="q1", payload="p1",
         display="d1", rights="RWD", lifetime="short")
    Step("read", by="R1", mailbox="m1")
    Step("race", steps=[Step("read", by="R1", mailbox="m1"),
                        Step("read", by="R2", mailbox="m1")])

`lifetime`: "short" (a few seconds: waits reach its expiration), "long"
(ten minutes) or None (no mailboxConfiguration: the relay's default
lifetime and rights).  A `wait` step sleeps until its mailbox has expired
(nothing for a long-lived or unknown one).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Dict, List, Optional

OPERATIONS = ("create", "read", "update", "delete", "relinquish", "preview",
              "poll", "wait", "race")
# Steps that change the mailbox and carry a Mailbox-Request-ID.
MUTATING = ("create", "update", "delete", "relinquish")
SHORT_LIFETIME = 2          # seconds (a whole second is the draft's unit)
LONG_LIFETIME = 600
POLL_WAIT = 1               # Prefer: wait=1 (X-LONG-POLL)


@dataclass
class Step:
    op: str
    by: Optional[str] = None          # device; None for a preview
    mailbox: Optional[str] = None
    rid: Optional[str] = None         # None: no Mailbox-Request-ID
    payload: Optional[str] = None     # create, update
    display: Optional[str] = None     # create
    rights: Optional[str] = None      # create: accessRights (None: left out)
    lifetime: Optional[str] = None    # create: short, long, None (no config)
    token: bool = False               # a notificationToken in the body
    method: str = "GET"               # preview: GET or HEAD
    steps: List["Step"] = field(default_factory=list)   # race

    def to_json(self) -> dict:
        out = {"op": self.op}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("op", "steps") or v in (None, False) or \
                    (f.name == "method" and v == "GET"):
                continue
            out[f.name] = v
        if self.steps:
            out["steps"] = [s.to_json() for s in self.steps]
        return out

    @classmethod
    def from_json(cls, d: dict) -> "Step":
        if not isinstance(d, dict) or d.get("op") not in OPERATIONS:
            raise ValueError("not a step: %r" % (d,))
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError("unknown step member(s): %s" %
                             ", ".join(sorted(unknown)))
        kw = {k: v for k, v in d.items() if k != "steps"}
        kw["steps"] = [cls.from_json(s) for s in d.get("steps", ())]
        return cls(**kw)

    def copy(self, **over) -> "Step":
        s = replace(self, **over)
        if "steps" not in over:
            s.steps = [x.copy() for x in self.steps]
        return s

    # -- what a step touches -------------------------------------------------------
    def devices(self) -> List[str]:
        out = [self.by] if self.by else []
        for s in self.steps:
            out += s.devices()
        return out

    def flat(self) -> List["Step"]:
        """The requests of this step: the racing ones, or itself."""
        return list(self.steps) if self.op == "race" else [self]


def describe(step: Step, history: Optional[List[Step]] = None) -> str:
    """One line: 'R1 updates m1 [q4] with p2 (the request id of step 3:
    a retry, another body)'.  `history`: the steps before it (for the
    request-id note)."""
    if step.op == "race":
        return "at once: " + " | ".join(describe(s, history)
                                        for s in step.steps)
    if step.op == "wait":
        return "wait until %s has expired" % step.mailbox
    if step.op == "preview":
        return "preview of %s (%s)" % (step.mailbox, step.method)
    verbs = {"create": "creates", "read": "reads", "update": "updates",
             "delete": "deletes", "relinquish": "relinquishes",
             "poll": "long-polls"}
    s = "%s %s %s" % (step.by, verbs[step.op], step.mailbox)
    if step.rid:
        s += " [%s]" % step.rid
    if step.op == "create":
        cfg = "no mailboxConfiguration" if step.lifetime is None else \
            "rights %s, expires in %s" % (
                step.rights or "(default)",
                "%d s" % SHORT_LIFETIME if step.lifetime == "short"
                else "%d min" % (LONG_LIFETIME // 60))
        s += " with %s, %s (%s)" % (step.payload, step.display, cfg)
    elif step.op == "update":
        s += " with %s" % step.payload
    elif step.op == "poll":
        s += " (If-None-Match: its last ETag, Prefer: wait=%d)" % POLL_WAIT
    if step.token:
        s += " and a notificationToken"
    note = reuse_note(step, history or [])
    return s + (" (%s)" % note if note else "")


def reuse_note(step: Step, history: List[Step]) -> str:
    """How `step` reuses an earlier request id, if it does."""
    if not step.rid:
        return ""
    for n in range(len(history), 0, -1):
        for prev in history[n - 1].flat():
            if prev.rid != step.rid:
                continue
            if prev.by != step.by:
                return "request id of step %d, another device" % n
            same = prev.op == step.op and (step.op == "create" or
                                           prev.mailbox == step.mailbox)
            if not same:
                return "request id of step %d, another %s" % (
                    n, "operation" if prev.op != step.op else "mailbox")
            body = "" if _body(prev) == _body(step) else ", another body"
            return "a retry of step %d%s" % (n, body)
    return ""


def _body(s: Step) -> tuple:
    return s.payload, s.display, s.token, s.rights, s.lifetime


def load_steps(items) -> List[Step]:
    if not isinstance(items, list) or not items:
        raise ValueError("steps: a non-empty list expected")
    return [Step.from_json(d) for d in items]


def symbols(steps: List[Step]) -> Dict[str, List[str]]:
    """The symbols the steps use, by kind (devices, mailbox, rid, payload,
    display), each list in order of first use."""
    out: Dict[str, List[str]] = {k: [] for k in ("by", "mailbox", "rid",
                                                 "payload", "display")}
    for st in steps:
        for s in st.flat():
            for k in out:
                v = getattr(s, k)
                if v and v not in out[k]:
                    out[k].append(v)
    return out


def renumber(steps: List[Step]) -> List[Step]:
    """The same sequence with symbols numbered in order of first use
    (m1, m2...; devices keep their role letter)."""
    syms = symbols(steps)
    maps: Dict[str, Dict[str, str]] = {}
    for kind, prefix in (("mailbox", "m"), ("rid", "q"), ("payload", "p"),
                         ("display", "d")):
        maps[kind] = {v: "%s%d" % (prefix, i + 1)
                      for i, v in enumerate(syms[kind])}
    by_letter: Dict[str, int] = {}
    maps["by"] = {}
    for d in syms["by"]:
        letter = d.rstrip("0123456789") or "D"
        by_letter[letter] = by_letter.get(letter, 0) + 1
        maps["by"][d] = "%s%d" % (letter, by_letter[letter])

    def conv(s: Step) -> Step:
        over = {k: maps[k].get(getattr(s, k), getattr(s, k)) for k in maps}
        over["steps"] = [conv(x) for x in s.steps]
        return s.copy(**over)
    return [conv(s) for s in steps]
