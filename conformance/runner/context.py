"""What a case works with: the run's settings and a CaseContext.

    def my_case(t):
        m = t.mailbox()                        # a fresh mailbox, checked
        ex = t.client().read(m.id, t.claim())
        t.check(ex.status == 200, ["RLY-READ-200"], "200", t.describe(ex), ex)

Every request made through `t.client()` (or recorded with `t.attach`) is
evidence of the case.  `t.check` records a finding when its condition is
false; its verdict comes from the catalog entries it names.  `t.require`
does the same and stops the case.
"""

from __future__ import annotations

import secrets
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

from tigress_py import bodies, payload as tpayload, rfc3339, uuids
from tigress_py.client import Exchange, RelayClient
from tigress_py.errors import TigressError

from .model import Finding

# Evidence kept per case: beyond this many exchanges the middle is left
# out (the exchanges a finding cites are always kept).
MAX_EVIDENCE = 40


class Abort(Exception):
    """Stop the case; the findings recorded so far decide its verdict."""


class Unsupported(Exception):
    """An optional feature the case needs is absent."""


@dataclass
class Options:
    """Knobs of a run (defaults are the full suite)."""
    id_sample: int = 1024        # THREAT-ID-GUESS: mailboxes to create
    race_trials: int = 24        # THREAT-CLAIM-RACE: trials
    race_readers: int = 4        # THREAT-CLAIM-RACE: concurrent readers
    expiry_ttl: int = 2          # THREAT-EXPIRED-UNREADABLE: seconds
    ttl: int = 900               # lifetime asked for ordinary mailboxes
    timeout: float = 10.0        # per request
    workers: int = 4             # parallel clients for bulk creation


class RunState:
    """Settings shared by the cases of one run."""

    def __init__(self, base_url: str, ca, profile: str, catalog,
                 options: Optional[Options] = None,
                 strict_errata: bool = False):
        self.base_url = base_url.rstrip("/")
        # tigress-ref's decisions as MUSTs: for checking tigress-ref's own
        # relays, never third-party ones
        self.strict_errata = strict_errata
        self.ca = ca
        self.profile = profile
        self.catalog = catalog
        self.options = options or Options()
        self.well_known: Optional[dict] = None   # X-WELL-KNOWN, if offered
        parts = urllib.parse.urlsplit(self.base_url)
        self.netloc = parts.netloc               # for a Host header
        self.prefix = parts.path.rstrip("/")     # a relay under a path

    def path(self, p: str) -> str:
        """The request target of API path `p` (e.g. /v1/m) on this relay."""
        return self.prefix + p

    def client(self, profile: Optional[str] = None,
               keep_history: bool = True) -> RelayClient:
        return RelayClient(self.base_url, ca=self.ca,
                           profile=profile or self.profile,
                           timeout=self.options.timeout,
                           keep_history=keep_history)


class RawExchange:
    """An exchange made over a raw socket (see rawhttp.py), shaped like
    tigress_py's Exchange for the reports."""

    def __init__(self, description: str, url: str, sent: bytes):
        self.description = description
        self.url = url
        self.sent = sent
        self.received = b""
        self.status: Optional[int] = None
        self.transport_error: Optional[str] = None
        self.note = ""
        self.started = time.time()
        self.elapsed = 0.0

    def to_evidence(self, max_body: int = 4096) -> dict:
        def text(b: bytes) -> dict:
            s = b.decode("utf-8", errors="replace")
            return {"encoding": "utf-8", "length": len(b),
                    "data": s[:max_body], "truncated": len(s) > max_body}
        return {
            "raw": True,
            "description": self.description,
            "request": {"method": "RAW", "url": self.url, "headers": [],
                        "body": text(self.sent)},
            "response": None if not self.received and self.status is None
            else {"status": self.status, "reason": "", "headers": [],
                  "body": text(self.received)},
            "transport_error": self.transport_error,
            "note": self.note,
            "started": self.started,
            "elapsed": self.elapsed,
        }


class Mailbox:
    """A mailbox the case created: where it is, who made it, what is in
    it."""

    def __init__(self, url: str, claim: str, key: bytes, plaintext: bytes,
                 payload: dict, display: dict, expiration: Optional[str],
                 create: Exchange, rights: Optional[str]):
        self.url = url
        self.id = url.rstrip("/").rsplit("/", 1)[-1]
        self.claim = claim
        self.key = key
        self.plaintext = plaintext
        self.payload = payload
        self.display = display
        self.expiration = expiration
        self.create = create
        self.rights = rights


def describe(ex) -> str:
    """One short phrase for an answer: '201 application/json' or 'no
    answer (ConnectionError: ...)'."""
    if ex is None:
        return "nothing"
    if ex.status is None:
        err = (ex.transport_error or "no answer").splitlines()[0]
        return "no answer (%s)" % err[:160]
    ct = ""
    if isinstance(ex, Exchange):
        ct = ex.media_type
        code = ex.error_code
        if code and ex.status >= 400:
            return "%d %s (%s)" % (ex.status, ct or "", code)
    return ("%d %s" % (ex.status, ct)).strip()


class CaseContext:
    describe = staticmethod(describe)

    def __init__(self, run: RunState, case):
        self.run = run
        self.case = case
        self.catalog = run.catalog
        self.options = run.options
        self.profile = run.profile
        self.findings: List[Finding] = []
        self.notes: List[str] = []
        self._clients: List[RelayClient] = []
        self._attached: List[Any] = []
        self.checked: List[str] = []      # every requirement a check named

    # -- clients and fixtures --------------------------------------------------
    def client(self, profile: Optional[str] = None) -> RelayClient:
        c = self.run.client(profile)
        self._clients.append(c)
        return c

    def bulk_client(self) -> RelayClient:
        """A client whose exchanges are not kept (attach the ones that
        matter with `attach`)."""
        c = self.run.client(keep_history=False)
        self._clients.append(c)
        return c

    def attach(self, ex) -> None:
        if ex is not None and ex not in self._attached:
            self._attached.append(ex)

    @staticmethod
    def claim() -> str:
        return uuids.new_v4()

    @staticmethod
    def request_id() -> str:
        return uuids.new_v4()

    def expiration(self, seconds: Optional[int] = None) -> str:
        ttl = self.options.ttl if seconds is None else seconds
        return rfc3339.format(int(time.time()) + ttl)

    @staticmethod
    def display(**over) -> dict:
        d = {"title": "Conformance Key",
             "description": "A test share made by tigress-conformance",
             "imageURL": "https://example.com/key.png"}
        d.update(over)
        return d

    @staticmethod
    def seal(plaintext: bytes, key: Optional[bytes] = None) -> tuple:
        key = key or secrets.token_bytes(16)
        return key, tpayload.seal(key, plaintext)

    def mailbox(self, client: Optional[RelayClient] = None,
                rights: Optional[str] = "RWD", ttl: Optional[int] = None,
                config: bool = True, display: Optional[dict] = None,
                plaintext: Optional[bytes] = None, key: Optional[bytes] = None,
                claim: Optional[str] = None, notify: Optional[dict] = None,
                request_id: Optional[str] = None, expiration: Optional[str] = None,
                check: bool = True) -> Mailbox:
        """Create a mailbox (by default with accessRights RWD and a
        lifetime of options.ttl seconds) and check the answer: a create
        that does not succeed stops the case with a FAIL of RLY-CREATE-200."""
        c = client or self.client()
        claim = claim or self.claim()
        plaintext = secrets.token_bytes(64) if plaintext is None else plaintext
        key, pl = self.seal(plaintext, key)
        display = display or self.display()
        cfg = None
        if config:
            expiration = expiration or self.expiration(ttl)
            cfg = {"expiration": expiration}
            if rights:
                cfg["accessRights"] = rights
        ex = c.create(claim, display, pl, notify=notify, config=cfg,
                      request_id=request_id)
        url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
        if check:
            self.require(ex.status == 200 and isinstance(url, str),
                         ["RLY-CREATE-200", "RLY-CREATE-URLLINK"],
                         "200 with a urlLink (setting up a mailbox)",
                         describe(ex), ex)
        return Mailbox(url or "", claim, key, plaintext, pl, display,
                       expiration if config else None, ex, rights)

    def bind(self, m: Mailbox, client: Optional[RelayClient] = None,
             claim: Optional[str] = None) -> str:
        """Bind a recipient to `m` by reading it; returns the claim.  A
        read that does not succeed stops the case (RLY-BIND-FIRST-READ)."""
        c = client or self.client()
        claim = claim or self.claim()
        ex = c.read(m.id, claim)
        self.require(ex.status == 200, ["RLY-BIND-FIRST-READ", "RLY-READ-200"],
                     "200 (binding a recipient by its first read)",
                     describe(ex), ex)
        return claim

    def opened(self, ex, key: bytes) -> Optional[bytes]:
        """The plaintext of the payload of a read answer, or None."""
        if not isinstance(ex.json, dict):
            return None
        try:
            return tpayload.open(ex.json.get("payload"), key)
        except TigressError:
            return None

    # -- findings ----------------------------------------------------------------
    def check(self, cond: bool, requirements: Sequence[str], expected: str,
              got: str, exchanges=None, verdict: Optional[str] = None) -> bool:
        """Record a finding unless `cond` holds; returns `cond`."""
        reqs = list(requirements)
        self._mark(reqs)
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
            return True
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

    def unsupported(self, text: str) -> None:
        self.notes.append(text)
        raise Unsupported(text)

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
            return True
        except TigressError as e:
            return self.check(False, requirements,
                              "a %s body as spec/rules.md defines it" % kind,
                              "%s" % e, ex)

    # -- the record --------------------------------------------------------------------
    def _recorded(self):
        """Every exchange recorded by this case's clients (subclasses that
        record elsewhere override this)."""
        for c in self._clients:
            yield from c.history

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
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass


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
