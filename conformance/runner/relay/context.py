"""What a relay case works with: the run's settings (RunState, Options)
and a RelayContext: fresh mailboxes, clients whose exchanges are evidence.

    def my_case(t):
        m = t.mailbox()                        # a fresh mailbox, checked
        ex = t.client().read(m.id, t.claim())
        t.check(ex.status == 200, ["RLY-READ-200"], "200", t.describe(ex), ex)

Every request made through `t.client()` (or recorded with `t.attach`) is
evidence of the case.
"""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import List, Optional

from tigress_py import payload as tpayload, rfc3339, uuids
from tigress_py.client import Exchange, RelayClient
from tigress_py.errors import TigressError

from ..core.context import CaseContext, describe
from ..core.wellformed import capacity_limited, server_error, \
    server_error_requirement, well_formed
from . import canary


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
    seed: int = 1                # the generated inputs (generated.py)


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
        self.explore = None     # explore.cli.ExploreOptions (the CLI sets it)
        parts = urllib.parse.urlsplit(self.base_url)
        self.netloc = parts.netloc               # for a Host header
        self.prefix = parts.path.rstrip("/")     # a relay under a path
        # the canary (canary.py): the case after which the relay stopped
        # serving (None while it serves), the last case after which it
        # served, and the case the run ends with (the canary runs after it)
        self.dead_after: Optional[str] = None
        self.last_good: Optional[str] = None
        self.canary: Optional[str] = None        # why it is not used
        self.create_refused: Optional[str] = None  # its create's answer
        self.last_case: Optional[str] = None
        # what a failed canary means is decided under this lock: cases run
        # side by side, and one relay that stops is blamed on one case
        self.canary_lock = threading.Lock()
        self.generated: dict = {}                # case id -> inputs sent

    def path(self, p: str) -> str:
        """The request target of API path `p` (e.g. /v1/m) on this relay."""
        return self.prefix + p

    def client(self, profile: Optional[str] = None,
               keep_history: bool = True, observers=()) -> RelayClient:
        return RelayClient(self.base_url, ca=self.ca,
                           profile=profile or self.profile,
                           timeout=self.options.timeout,
                           keep_history=keep_history, observers=observers)


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


class RelayContext(CaseContext):
    def __init__(self, run: RunState, case):
        super().__init__(run, case)
        self._clients: List[RelayClient] = []
        self._troubled: List[Exchange] = []   # 5xx or no answer, bulk too
        self._sent = 0                        # requests of every client
        self._lock = threading.Lock()

    def _saw(self, ex: Exchange) -> None:
        """Observer of every client: counts requests and keeps the answers
        that were 5xx or none (also of bulk clients, whose history is not
        kept)."""
        with self._lock:
            self._sent += 1
            if ex.status is None or ex.status >= 500:
                self._troubled.append(ex)

    # -- clients and fixtures --------------------------------------------------
    def client(self, profile: Optional[str] = None) -> RelayClient:
        c = self.run.client(profile, observers=[self._saw])
        self._clients.append(c)
        return c

    def bulk_client(self) -> RelayClient:
        """A client whose exchanges are not kept (attach the ones that
        matter with `attach`); its 5xx answers still count (finish)."""
        c = self.run.client(keep_history=False, observers=[self._saw])
        self._clients.append(c)
        return c

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
        that does not succeed is a failed precondition (the case is not
        run; see API-CREATE-200), and in API-CREATE-200 itself a FAIL of
        RLY-CREATE-200."""
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
            self.precondition(ex.status == 200 and isinstance(url, str),
                              "create", "API-CREATE-200",
                              ["RLY-CREATE-200", "RLY-CREATE-URLLINK"],
                              describe(ex), ex)
        return Mailbox(url or "", claim, key, plaintext, pl, display,
                       expiration if config else None, ex, rights)

    def bind(self, m: Mailbox, client: Optional[RelayClient] = None,
             claim: Optional[str] = None) -> str:
        """Bind a recipient to `m` by reading it; returns the claim.  A
        read that does not succeed is a failed precondition (see
        API-READ-200)."""
        c = client or self.client()
        claim = claim or self.claim()
        ex = c.read(m.id, claim)
        self.precondition(ex.status == 200, "binding read", "API-READ-200",
                          ["RLY-BIND-FIRST-READ", "RLY-READ-200"],
                          describe(ex), ex)
        return claim

    def create_precondition(self, ex) -> None:
        """A create the case examines itself (its payload, its display
        strings, a token or header) did not succeed, and neither did the
        plain create of the canary before the first case: a relay that
        creates nothing says nothing about this create, so the case is not
        run, citing API-CREATE-200 (a relay of the other profile checked
        with an explicit --draft refuses every create)."""
        if ex.status != 200 and self.run.create_refused is not None:
            self.precondition(False, "create", "API-CREATE-200",
                              ["RLY-CREATE-200"], describe(ex), ex)

    def needs_creates(self) -> None:
        """For a case that cannot begin without creates of its own
        (generated creates, sequences, identifier samples): not run when
        the canary's plain create failed before the first case."""
        if self.run.create_refused is not None:
            self.precondition(False, "create", "API-CREATE-200",
                              ["RLY-CREATE-200"], self.run.create_refused)

    def created(self, ex, requirements, expected: str) -> bool:
        """check() that create answer `ex` is 200, after
        create_precondition()."""
        self.create_precondition(ex)
        return self.check(ex.status == 200, requirements, expected,
                          describe(ex), ex)

    def setup(self, ex, what: str, see: str, status: int = 200) -> None:
        """A step that sets up what the case checks (an update, a delete,
        a read) answered `status`; else the case is not run, citing the
        case `see` that checks that step."""
        self.precondition(ex.status == status, what, see, got=describe(ex),
                          exchanges=ex)

    def opened(self, ex, key: bytes) -> Optional[bytes]:
        """The plaintext of the payload of a read answer, or None."""
        if not isinstance(ex.json, dict):
            return None
        try:
            return tpayload.open(ex.json.get("payload"), key)
        except TigressError:
            return None

    # -- after the case ------------------------------------------------------------------
    def finish(self) -> None:
        """A 5xx anywhere in the case is a finding (RLY-NO-5XX, or the
        operation's 400 requirement for an invalid create or update); then
        the canary, after a hostile case, a case that saw a 5xx or no
        answer (also among the exchanges it attached: the EXPLORE cases
        use clients of their own), the run's last case, and while the
        relay is not serving."""
        server_errors(self)
        run = self.run
        troubled = bool(self._troubled) or any(
            ex.status is None or server_error(ex) for ex in self._attached)
        if run.dead_after is not None or self.case.hostile or troubled or \
                run.last_case == self.case.id:
            canary.after_case(self)

    # -- the record --------------------------------------------------------------------
    def _recorded(self):
        """Every exchange recorded by this case's clients."""
        for c in self._clients:
            yield from c.history

    def close(self) -> None:
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass




def server_errors(t: RelayContext) -> None:
    """Every 5xx answer of the case becomes a finding of the requirement
    it breaks.  A finding that rests on a 5xx answer to a well-formed
    request (a create answered 500, whatever the case checks) is a finding
    of RLY-NO-5XX, not of the case's own requirement: the relay did not
    get as far as what the case checks (restated).  Every other 5xx that
    no FAIL cites yet becomes one, grouped by the requirement it breaks,
    with the count and the first exchanges.  A 503 with Retry-After (an
    explicit capacity limit) is only noted."""
    t._mark(["RLY-NO-5XX"])              # every answer of every case
    _restate_server_errors(t)
    cited = {id(e) for f in t.findings if f.verdict == "FAIL"
             for e in f.exchanges}
    groups: dict = {}
    busy = 0
    seen = set()
    for ex in list(t.exchanges()) + list(t._troubled):
        if id(ex) in seen or id(ex) in cited:
            continue
        seen.add(id(ex))
        if capacity_limited(ex):
            busy += 1
        elif server_error(ex):
            groups.setdefault(server_error_requirement(t.profile, ex),
                              []).append(ex)
    if busy:
        t.note("%d answers were 503 with Retry-After (a capacity limit, "
               "allowed)" % busy)
    for req, exs in groups.items():
        first = exs[0]
        t.check(False, [req], "no 5xx answer to any request of the case "
                "(503 with Retry-After aside)",
                "%d of %d requests answered 5xx; first: %s %s -> %s" % (
                    len(exs), max(t._sent, len(exs)),
                    getattr(first, "method", "RAW"),
                    urllib.parse.urlsplit(first.url).path, describe(first)),
                exs[:3])


def _restate_server_errors(t: RelayContext) -> None:
    """A finding that cites a 5xx answer to a well-formed request becomes
    a finding of RLY-NO-5XX (a FAIL), in its place: what failed first is
    the server error, so that is the case's root cause."""
    for f in t.findings:
        if "RLY-NO-5XX" in f.requirements:
            continue
        bad = next((e for e in f.exchanges if server_error(e) and
                    well_formed(t.profile, e)), None)
        if bad is None:
            continue
        t.note("a check of %s was answered %s to a well-formed request: "
               "reported as RLY-NO-5XX (a server error is never a "
               "conforming answer)" % (", ".join(f.requirements),
                                       describe(bad)))
        f.requirements = ["RLY-NO-5XX"]
        f.verdict = t.catalog.strongest(f.requirements)
