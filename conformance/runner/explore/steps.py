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
(nothing for a long-lived or unknown one).  A read's `body` "invalid"
sends the JSON body {"notificationToken": 7}, which errata E-READ-BODY
refuses.

`check_step` says what is wrong with a step's JSON form (the reproducer
format of conformance/README.md), member by member, before anything is
sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace
from typing import Dict, List, Optional

OPERATIONS = ("create", "read", "update", "delete", "relinquish", "preview",
              "poll", "wait", "race")
# Steps that change the mailbox and carry a Mailbox-Request-ID.
MUTATING = ("create", "update", "delete", "relinquish")
SHORT_LIFETIME = 2          # seconds (a whole second is the draft's unit)
LONG_LIFETIME = 600
POLL_WAIT = 1               # Prefer: wait=1 (X-LONG-POLL)
LIFETIMES = ("short", "long")
METHODS = ("GET", "HEAD")
BODIES = ("invalid",)       # a read's body: refused by E-READ-BODY
INVALID_READ_BODY = b'{"notificationToken": 7}'

# The members each kind of step must have, and those it may have.
REQUIRED = {"create": ("by", "mailbox", "rid", "payload", "display"),
            "read": ("by", "mailbox"), "poll": ("by", "mailbox"),
            "update": ("by", "mailbox", "rid", "payload"),
            "delete": ("by", "mailbox", "rid"),
            "relinquish": ("by", "mailbox", "rid"),
            "preview": ("mailbox",), "wait": ("mailbox",), "race": ("steps",)}
OPTIONAL = {"create": ("rights", "lifetime", "token"),
            "read": ("rid", "token", "body"), "poll": ("rid", "token"),
            "update": ("token",), "delete": (), "relinquish": (),
            "preview": ("method",), "wait": (), "race": ()}
SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
RIGHTS_TEXT = re.compile(r"[!-~]{0,16}")     # any value: the model judges it


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
    body: Optional[str] = None        # read: "invalid" (E-READ-BODY refuses)
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
    def from_json(cls, d: dict, where: str = "a step") -> "Step":
        """The step of JSON object `d`; ValueError names what is wrong
        (`where`: the step, as the message names it)."""
        check_step(d, where)
        kw = {k: v for k, v in d.items() if k != "steps"}
        kw["steps"] = [cls.from_json(s, "%s, request %d of the race" % (
            where, i)) for i, s in enumerate(d.get("steps", ()), 1)]
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
    if step.body == "invalid":
        s += " with the invalid body %s" % INVALID_READ_BODY.decode()
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
    return s.payload, s.display, s.token, s.rights, s.lifetime, s.body


def check_step(d, where: str) -> None:
    """ValueError naming the first thing wrong with step `d`'s JSON form:
    its op, a member it must have and lacks, one it may not have, a
    value of the wrong type or outside its values."""
    if not isinstance(d, dict):
        raise ValueError("%s: a JSON object expected, not %s" % (
            where, _json_type(d)))
    op = d.get("op")
    if op not in OPERATIONS:
        raise ValueError("%s: member op: %s, not %s" % (
            where, ", ".join(OPERATIONS), _shown(op)))
    where = "%s (%s)" % (where, op)
    allowed = set(REQUIRED[op] + OPTIONAL[op] + ("op",))
    for k in sorted(d):
        if k not in allowed:
            raise ValueError("%s: member %s is not one %s %s has (it has "
                             "%s)" % (where, k, "an" if op[0] in "aeiou"
                                      else "a", op, ", ".join(
                                          REQUIRED[op] + OPTIONAL[op])))
    for k in REQUIRED[op]:
        if k not in d:
            raise ValueError("%s: member %s is missing" % (where, k))
    for k, v in sorted(d.items()):
        problem = _member_problem(op, k, v)
        if problem:
            raise ValueError("%s: member %s: %s, not %s" % (
                where, k, problem, _shown(v)))
    if "rights" in d and "lifetime" not in d:
        raise ValueError("%s: member rights needs a lifetime (accessRights "
                         "goes in the mailboxConfiguration)" % where)
    if d.get("token") and "body" in d:
        raise ValueError("%s: members token and body exclude each other "
                         "(both are the read's body)" % where)
    if op == "race":
        for i, x in enumerate(d["steps"], 1):
            if isinstance(x, dict) and x.get("op") in ("race", "wait"):
                raise ValueError("%s: member steps: request %d is a %s; a "
                                 "race has requests" % (where, i, x["op"]))


def _member_problem(op: str, k: str, v) -> Optional[str]:
    """What the value `v` of member `k` should be, when it is not."""
    if k == "op":
        return None
    if k in ("by", "mailbox", "rid", "payload", "display"):
        ok = isinstance(v, str) and SYMBOL.fullmatch(v)
        return None if ok else \
            "a symbol (a letter, then up to 31 letters, digits, - or _)"
    if k == "rights":
        ok = isinstance(v, str) and RIGHTS_TEXT.fullmatch(v)
        return None if ok else "a string of up to 16 printable characters"
    if k == "lifetime":
        return None if v in LIFETIMES else " or ".join(
            '"%s"' % x for x in LIFETIMES) + \
            " (or no lifetime: no mailboxConfiguration)"
    if k == "token":
        return None if isinstance(v, bool) else "true or false"
    if k == "method":
        return None if v in METHODS else " or ".join('"%s"' % x
                                                     for x in METHODS)
    if k == "body":
        return None if v in BODIES else " or ".join('"%s"' % x
                                                    for x in BODIES)
    if k == "steps":
        ok = isinstance(v, list) and len(v) >= 2
        return None if ok else "a list of at least two requests"
    return "unknown"


def _json_type(v) -> str:
    return {dict: "an object", list: "a list", str: "a string",
            bool: "a boolean", type(None): "null"}.get(
                type(v), "a number")


def _shown(v) -> str:
    if v is None:
        return "null"
    text = json.dumps(v)
    return text if len(text) <= 40 else text[:37] + "..."


def load_steps(items) -> List[Step]:
    """The steps of a reproducer's `steps` member; ValueError names the
    step (numbered from 1, as the transcript does) and the member."""
    if not isinstance(items, list) or not items:
        raise ValueError("member steps: a non-empty list of steps, not %s"
                         % _shown(items))
    return [Step.from_json(d, "step %d" % n) for n, d in enumerate(items, 1)]


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
