"""Sessions: what the client suite does with a driver.  A session is one
scenario of spec/drivers.md played against a fresh test relay, with the
suite (peer.py, on tigress_py) as the other party, or the driver as both
parties.  Sessions run once per suite run (in parallel), before the cases;
the cases (cases.py) only look at what happened: the driver's runs (exit
status, output, stdout/stderr) and every request the relay recorded.

    @session("init-stateless", "the driver shares; the suite accepts")
    def init_stateless(s):
        run, url = s.share(s.party("initiator"), "stateless")
        ...

A driver that exits 127 ends its session: the session is unsupported and
the cases that need it report UNSUPPORTED.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Dict, List, Optional

from tigress_py import shareurl
from tigress_py.errors import TigressError

from ..core.driver import DriverRun, Party
from .peer import Peer, Share, flip
from .testrelay import TestRelay, is_peer

PI = (b'{"format":"digitalwallet.carkey.ccc","content":'
      b'{"vin":"W0L000051T2123456","note":"from the initiator"}}')
PI2 = (b'{"format":"digitalwallet.carkey.ccc","content":'
       b'{"step":"recipient reply","n":2}}')
PI3 = (b'{"format":"digitalwallet.carkey.ccc","content":'
       b'{"step":"initiator final","n":3}}')
NOT_PI = b'{"hello":"this is JSON but not Provisioning Information"}'
DISPLAY = {"title": "Car key", "description": "Blue car",
           "image": "https://example.com/car.png", "vertical": "c"}


class Unsupported127(Exception):
    def __init__(self, run: DriverRun):
        super().__init__(run.describe())
        self.run = run


class RecordEvidence:
    """A relay record as evidence of a case (the report's exchange form)."""

    def __init__(self, session: "Session", record: dict):
        self.session = session
        self.record = record
        self.started = record["time"]

    @property
    def peer(self) -> bool:
        return is_peer(self.record)

    def to_evidence(self, max_body: int = 4096) -> dict:
        r = self.record

        def body(b):
            if b is None:
                return None
            d = dict(b)
            if len(d.get("data", "")) > max_body:
                d["data"], d["truncated"] = d["data"][:max_body], True
            return d
        notes = []
        base = self.session.relay_url
        if r.get("tls") is False:
            base = self.session.plain_url
            notes.append("received in clear (plain HTTP, no TLS)")
        if self.peer:
            notes.append("sent by the suite (the other party)")
        if r.get("fault"):
            notes.append("injected fault: %s" % r["fault"])
        if r.get("aborted") == "drop":
            notes.append("applied; the answer was dropped")
        elif r.get("aborted") == "reset":
            notes.append("connection reset before the request was applied")
        return {
            "request": {"method": r["method"],
                        "url": base + r["target"],
                        "headers": r["headers"], "body": body(r["body"])},
            "response": None if r["status"] is None or r.get("aborted")
            == "reset" else {
                "status": r["status"], "reason": "",
                "headers": r["response_headers"],
                "body": body(r["response_body"])},
            "transport_error": None if r.get("aborted") is None else
            "the test relay %s" % ("dropped the answer" if r["aborted"] ==
                                   "drop" else "reset the connection"),
            "note": "; ".join(notes) + (" [session %s]" % self.session.name),
            "started": r["time"], "elapsed": 0.0,
        }


class HandshakeEvidence:
    """A TLS handshake that failed at the relay, as evidence."""

    def __init__(self, session: "Session", handshake: dict):
        self.session = session
        self.handshake = handshake
        self.started = handshake["time"]

    def to_evidence(self, max_body: int = 4096) -> dict:
        h = self.handshake
        return {"raw": True, "description": "TLS handshake from %s failed "
                "at the relay: %s" % (h["client"], h["error"][:max_body]),
                "request": None, "response": None,
                "transport_error": h["error"][:max_body],
                "note": "no HTTP request followed [session %s]" %
                self.session.name, "started": h["time"], "elapsed": 0.0}


class Session:
    def __init__(self, name: str, title: str, driver: str, profile: str,
                 home: Path, cert_dir: Path, timeout: float,
                 driver_env: Optional[Dict[str, str]] = None):
        self.name = name
        self.driver_env = dict(driver_env or {})
        self.title = title
        self.driver = driver
        self.profile = profile
        self.home = home
        self.cert_dir = cert_dir
        self.timeout = timeout
        self.runs: List[DriverRun] = []
        self.records: List[dict] = []
        self.secrets: Dict[str, bytes] = {}   # label -> Secret known
        self.inputs: List[bytes] = []          # plaintexts given to the driver
        self.values: Dict[str, object] = {}
        self.notes: List[str] = []
        self.unsupported: Optional[str] = None
        self.unsupported_run: Optional[DriverRun] = None    # its exit 127
        self.error: Optional[str] = None
        self.handshakes: List[dict] = []       # TLS handshakes that failed
        self.driver_ca: Optional[str] = None   # TIGRESS_CA, if not the relay's
        self.duration = 0.0
        self.relay: Optional[TestRelay] = None
        self.relay_url = ""
        self.plain_url = ""             # the relay served in clear, if used
        self.peer: Optional[Peer] = None
        self._parties: Dict[str, Party] = {}
        self._evidence: Dict[int, RecordEvidence] = {}
        self._handshake_ev: List[HandshakeEvidence] = []

    # -- during the session ------------------------------------------------------
    def party(self, role: str, name: Optional[str] = None) -> Party:
        name = name or role
        if name not in self._parties:
            self._parties[name] = self.new_party(role, name)
        return self._parties[name]

    def new_party(self, role: str, name: str) -> Party:
        """The driver in `role` (the lab makes a device party instead)."""
        return Party(self.driver, role, self.home / name, self.relay.base_url,
                     self.driver_ca or self.relay.ca, self.profile, name,
                     self.timeout, env=self.driver_env, runs=self.runs)

    def step(self, party: Party, scenario: str, step: str,
             expect: Optional[int] = 0, **kw) -> DriverRun:
        run = party.step(scenario, step, expect=expect, **kw)
        if run.input is not None and step in ("share", "send"):
            self.inputs.append(run.input)   # what the party was given
        if run.unsupported:
            raise Unsupported127(run)
        return run

    def share(self, party: Party, scenario: str, label: str = "share",
              **kw):
        """The driver shares PI; returns (run, parsed URL or None)."""
        disp = dict(DISPLAY)
        disp.update(kw)
        if scenario == "stateful":
            disp.setdefault("access", "RWD")
        run = self.step(party, scenario, "share", data=PI, **disp)
        text = (run.out or b"").decode("utf-8", "replace").strip()
        self.values[label + ".url"] = text
        u = None
        if run.exit == 0 and text:
            try:
                u = shareurl.parse(text.splitlines()[0])
            except TigressError as e:
                self.values[label + ".url_error"] = str(e)
            else:
                if u.secret is not None:
                    self.secrets[label] = u.secret
        self.values[label + ".parsed"] = u
        return run, u

    def peer_share(self, label: str, plaintext: bytes = PI, **kw) -> Share:
        sh = self.peer.share(plaintext, **kw)
        self.secrets[label] = sh.secret
        self.values[label] = sh
        return sh

    def peer_open(self, api_url: str, secret: bytes, label: str,
                  claim: Optional[str] = None) -> Optional[bytes]:
        """Read as the recipient (binding with a fresh claim unless given)
        and open the payload; the plaintext is kept under `label`."""
        claim = claim or self.peer.claim()
        ex = self.peer.read(api_url, claim)
        pt = self.peer.open(ex, secret) if ex.status == 200 else None
        self.values[label] = pt
        self.values[label + ".status"] = ex.status
        self.values[label + ".payload"] = ex.json.get("payload") if \
            isinstance(ex.json, dict) else None
        return pt

    def http_share_url(self, url: str) -> str:
        """`url` (an https share URL of the relay) with the scheme http,
        leading to the relay served in clear on another port."""
        self.plain_url = self.relay.plain_http()
        rest = url.split("://", 1)[1]
        return self.plain_url + rest[rest.index("/"):]

    def plain_records(self) -> List[dict]:
        """The requests the relay received in clear (over plain HTTP)."""
        return [r for r in self.records if r.get("tls") is False]

    def untrusted_relay(self) -> None:
        """From now on the relay serves a certificate that does not chain
        to the CA the driver is given (TIGRESS_CA stays the suite's).
        Call it first: parties made before still name the old relay."""
        self.driver_ca = self.relay.ca
        self.relay.stop()
        self.peer.close()
        d = self.cert_dir / "untrusted"
        d.mkdir(exist_ok=True)
        self.relay = TestRelay(d, self.profile)
        self.relay_url = self.relay.base_url
        self.peer = Peer(self.relay.base_url, self.relay.ca, self.profile)

    # -- after ---------------------------------------------------------------------
    def driver_records(self) -> List[dict]:
        return [r for r in self.records if not is_peer(r)]

    def driver_traffic(self) -> bool:
        """The driver reached the relay: a request, or a TLS handshake
        (the suite's own handshakes never fail)."""
        return bool(self.handshakes) or bool(self.driver_records())

    def handshake_evidence(self) -> list:
        if len(self._handshake_ev) != len(self.handshakes):
            self._handshake_ev = [HandshakeEvidence(self, h)
                                  for h in self.handshakes]
        return self._handshake_ev

    def evidence(self, record: dict) -> RecordEvidence:
        key = record["seq"]
        if key not in self._evidence:
            self._evidence[key] = RecordEvidence(self, record)
        return self._evidence[key]

    def all_evidence(self) -> list:
        return [self.evidence(r) for r in self.records] + list(self.runs) + \
            self.handshake_evidence()

    def as_asked(self, step: str) -> bool:
        """Every run of `step` used the inputs and settings given."""
        return all(r.as_asked for r in self.runs if r.step == step)

    def run_of(self, party: str, step: str, nth: int = 0
               ) -> Optional[DriverRun]:
        rs = [r for r in self.runs if r.party == party and r.step == step]
        return rs[nth] if len(rs) > nth else None


SESSIONS: "OrderedDict[str, tuple]" = OrderedDict()


def session(name: str, title: str):
    def deco(func: Callable):
        SESSIONS[name] = (title, func)
        return func
    return deco


def run_session(name: str, driver: str, profile: str, workdir: Path,
                cert_dir: Path, timeout: float,
                driver_env: Optional[Dict[str, str]] = None) -> Session:
    title, func = SESSIONS[name]
    s = Session(name, title, driver, profile, workdir / name, cert_dir,
                timeout, driver_env)
    s.relay = TestRelay(cert_dir, profile)      # stopped below, whatever
    play_session(s, func, Peer(s.relay.base_url, s.relay.ca, profile))
    return s


def play_session(s: Session, func: Callable, peer: Peer) -> None:
    """Play `func` on the session `s` (its relay set, the suite's part
    `peer`); afterwards keep the relay's records and stop the relay."""
    t0 = time.monotonic()
    try:
        s.relay_url = s.relay.base_url
        s.peer = peer
        func(s)
    except Unsupported127 as e:
        s.unsupported = "the driver does not support the %s step of the " \
            "%s scenario as %s (exit 127)" % (e.run.step, e.run.scenario,
                                              e.run.role)
        s.unsupported_run = e.run
    except Exception:                   # a suite bug, or an odd answer
        s.error = traceback.format_exc(limit=6)
    finally:
        try:
            time.sleep(0.05)            # let the relay's last record land
            s.records = s.relay.records()
            s.handshakes = s.relay.handshakes()
            s.values["mailboxes_at_end"] = s.relay.mailbox_ids()
            if s.peer is not None:
                s.peer.close()
        finally:
            s.relay.stop()
        s.duration = time.monotonic() - t0


def run_sessions(names, driver: str, profile: str, timeout: float = 20.0,
                 workers: int = 3, progress=None,
                 driver_env: Optional[Dict[str, str]] = None
                 ) -> Dict[str, Session]:
    """Run the sessions `names` (each once), `workers` at a time;
    `driver_env` is added to the driver's environment."""
    workdir = Path(tempfile.mkdtemp(prefix="tigress-client-suite-"))
    cert_dir = workdir / "relay"
    cert_dir.mkdir()
    out: Dict[str, Session] = {}
    todo = [n for n in SESSIONS if n in set(names)]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                n = todo.pop(0)
            try:
                s = run_session(n, driver, profile, workdir, cert_dir,
                                timeout, driver_env)
            except Exception:           # the test relay did not start
                s = Session(n, SESSIONS[n][0], driver, profile, workdir / n,
                            cert_dir, timeout)
                s.error = traceback.format_exc(limit=4)
            with lock:
                out[n] = s
            if progress:
                progress(s)
    try:
        from brokenrelay import certs
        certs.ensure(cert_dir)          # once, before the threads
        threads = [threading.Thread(target=worker, daemon=True)
                   for _ in range(max(1, min(workers, len(todo))))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


# -- the driver as initiator ---------------------------------------------------------

def _peer_accepts(s: Session, label: str = "share"):
    """The suite reads the driver's share as recipient and opens it."""
    u = s.values.get(label + ".parsed")
    if u is None or u.secret is None:
        return None
    return s.peer_open(u.api_url, u.secret, label + ".peer_read")


@session("init-stateless", "the driver shares (stateless, vertical c, RD for "
         "20 minutes); the suite accepts and deletes")
def init_stateless(s):
    a = s.party("initiator")
    run, u = s.share(a, "stateless", access="RD", expires=1200)
    if u is None or u.secret is None:
        return
    _peer_accepts(s)
    s.peer.delete(u.api_url, s.peer.claims[-1])


@session("init-stateful", "the driver shares (stateful, RWD); the suite "
         "accepts and replies; the driver receives, sends again and cancels")
def init_stateful(s):
    a = s.party("initiator")
    run, u = s.share(a, "stateful")
    if u is None or u.secret is None:
        return
    _peer_accepts(s)
    claim = s.peer.claims[-1]
    sh = Share(u.mailbox_id, u.api_url, "", u.secret, claim, {})
    ex, obj = s.peer.update(sh, PI2, claim)
    s.values["peer_update.status"] = ex.status
    s.step(a, "stateful", "receive")
    s.step(a, "stateful", "send", data=PI3)
    s.peer_open(u.api_url, u.secret, "peer_read2", claim=claim)
    s.step(a, "stateful", "cancel")
    s.values["mailbox_after_cancel"] = s.relay.mailbox(u.mailbox_id) is not None


@session("init-twice", "the driver shares twice from one state directory, "
         "asked for notifications and attestation (the second share: R for "
         "5 minutes)")
def init_twice(s):
    a = s.party("initiator")
    s.share(a, "stateless", "share", notify="1", attest="1")
    s.share(a, "stateless", "share2", notify="1", attest="1", access="R",
            expires=300)


@session("self", "the driver as both parties: shares, accepts, finishes")
def self_session(s):
    a = s.party("initiator")
    b = s.party("recipient")
    run, u = s.share(a, "stateless")
    if u is None:
        return
    s.step(b, "stateless", "accept", url=s.values["share.url"])
    s.step(b, "stateless", "finish")


# -- the driver as recipient ----------------------------------------------------------

@session("recip-stateless", "the suite shares (vertical c); the driver "
         "previews, accepts and finishes")
def recip_stateless(s):
    sh = s.peer_share("share", vertical="c")
    b = s.party("recipient")
    s.step(b, "stateless", "preview", url=sh.url)
    s.step(b, "stateless", "accept", url=sh.url)
    s.step(b, "stateless", "finish")
    s.values["mailbox_after_finish"] = s.relay.mailbox(sh.id) is not None


@session("recip-stateful", "the suite shares (RWD); the driver accepts and "
         "replies; the suite answers; the driver receives and finishes")
def recip_stateful(s):
    sh = s.peer_share("share", rights="RWD")
    b = s.party("recipient")
    s.step(b, "stateful", "accept", url=sh.url)
    s.step(b, "stateful", "send", data=PI2)
    s.peer_open(sh.api_url, sh.secret, "peer_read", claim=sh.claim)
    ex, obj = s.peer.update(sh, PI3, sh.claim)
    s.values["peer_update.status"] = ex.status
    s.values["peer_update.payload"] = obj
    s.step(b, "stateful", "receive")
    s.step(b, "stateful", "finish")
    s.values["mailbox_after_finish"] = s.relay.mailbox(sh.id) is not None


@session("recip-twice", "the driver accepts two shares from one state "
         "directory, asked for notifications")
def recip_twice(s):
    b = s.party("recipient")
    for label in ("share", "share2"):
        sh = s.peer_share(label)
        s.step(b, "stateless", "accept", url=sh.url, notify="1")


@session("recip-relinquish", "the driver accepts and relinquishes; another "
         "recipient (the suite) accepts")
def recip_relinquish(s):
    sh = s.peer_share("share")
    b = s.party("recipient")
    s.step(b, "relinquish", "accept", url=sh.url)
    s.values["bound_before"] = s.relay.recipient_of(sh.id)
    s.step(b, "relinquish", "relinquish")
    s.values["bound_after"] = s.relay.recipient_of(sh.id)
    s.peer_open(sh.api_url, sh.secret, "second_read")


@session("recip-aes128", "the driver accepts a share under a 16-byte Secret "
         "(AEAD_AES_128_GCM)")
def recip_aes128(s):
    sh = s.peer_share("share", secret_len=16)
    s.step(s.party("recipient"), "stateless", "accept", url=sh.url)


@session("recip-urlsafe", "the driver accepts a share URL whose Secret is "
         "URL-safe base64 without padding")
def recip_urlsafe(s):
    sh = s.peer_share("share")
    base = sh.url.split("#", 1)[0]
    frag = base64.urlsafe_b64encode(sh.secret).decode().rstrip("=")
    if "-" not in frag and "_" not in frag:
        # make sure the URL-safe alphabet shows: draw until it does
        for _ in range(50):
            sh = s.peer_share("share")
            frag = base64.urlsafe_b64encode(sh.secret).decode().rstrip("=")
            base = sh.url.split("#", 1)[0]
            if "-" in frag or "_" in frag:
                break
    s.values["urlsafe_url"] = base + "#" + frag
    s.step(s.party("recipient"), "stateless", "accept",
           url=s.values["urlsafe_url"])


@session("untrusted", "the relay's certificate does not chain to TIGRESS_CA: "
         "the driver shares, and accepts a share the suite made")
def untrusted(s):
    s.untrusted_relay()
    run, _ = s.share(s.party("initiator"), "stateless")
    run.expected = None                 # a failure is the right outcome
    sh = s.peer_share("peer share")
    s.step(s.party("recipient"), "stateless", "accept", url=sh.url,
           expect=None)


@session("recip-http-url", "the suite shares twice; the driver accepts the "
         "first share (https), then previews and accepts the second through "
         "its share URL with the scheme http, which leads to the test relay "
         "served in clear on another port")
def recip_http_url(s):
    sh = s.peer_share("share")
    if s.step(s.party("recipient"), "stateless", "accept",
              url=sh.url).exit != 0:
        return
    url = s.http_share_url(s.peer_share("http share").url)
    s.values["http_url"] = url
    b = s.party("recipient", "http")
    try:
        s.step(b, "stateless", "preview", url=url, expect=None)
    except Unsupported127:
        pass                            # preview is optional; accept is not
    s.step(b, "stateless", "accept", url=url, expect=None)


def _refusals(s: Session, variants) -> None:
    """Each variant: (name, scenario, make) where make(s) returns the share
    URL of a mailbox the driver must refuse; a fresh recipient each."""
    out = []
    for i, (name, scenario, make) in enumerate(variants):
        url = make(s)
        run = s.step(s.party("recipient", "r%d" % (i + 1)), scenario,
                     "accept", url=url, expect=None)
        out.append((name, run))
    s.values["variants"] = out


def _corrupted(offset: int, what: str):
    def make(s):
        sh = s.peer_share(what)
        s.relay.set_payload(sh.id, flip(sh.payload, offset))
        return sh.url
    return make


@session("tamper", "the driver accepts shares whose ciphertext, tag or IV "
         "the suite corrupted")
def tamper(s):
    _refusals(s, [("a ciphertext bit flipped", "tamper",
                   _corrupted(20, "ciphertext")),
                  ("a tag bit flipped", "tamper", _corrupted(-1, "tag")),
                  ("an IV bit flipped", "tamper", _corrupted(0, "iv"))])


def _relabelled(label: str):
    def make(s):
        sh = s.peer_share("type " + label)
        s.relay.set_payload(sh.id, {"type": label,
                                    "data": sh.payload["data"]})
        return sh.url
    return make


@session("wrong-type", "the driver accepts payloads labelled with another "
         "AEAD than the one sealed, or an unknown one")
def wrong_type(s):
    _refusals(s, [
        ("AES-256-GCM under a 32-byte Secret, labelled AEAD_AES_128_GCM",
         "tamper", _relabelled("AEAD_AES_128_GCM")),
        ("labelled AEAD_CHACHA20_POLY1305 (not a type of the draft)",
         "tamper", _relabelled("AEAD_CHACHA20_POLY1305"))])


def _sealed(plaintext: bytes, what: str):
    def make(s):
        return s.peer_share(what, plaintext=plaintext).url
    return make


def _raw_payload(obj, what: str):
    def make(s):
        sh = s.peer_share(what)
        s.relay.set_payload(sh.id, obj)
        return sh.url
    return make


@session("not-pi", "the driver accepts payloads that open but hold no "
         "Provisioning Information")
def not_pi(s):
    _refusals(s, [("JSON without format and content", "tamper",
                   _sealed(NOT_PI, "json")),
                  ("not JSON at all", "tamper",
                   _sealed(b"\x00\x01 plain bytes \xff", "bytes"))])


@session("malformed", "the driver accepts payloads whose data is not "
         "base64, or too short for IV and tag")
def malformed(s):
    _refusals(s, [
        ("data that is not base64", "tamper",
         _raw_payload({"type": "AEAD_AES_256_GCM",
                       "data": "this is *not* base64!"}, "not base64")),
        ("data of 20 bytes (no room for IV and tag)", "tamper",
         _raw_payload({"type": "AEAD_AES_256_GCM",
                       "data": base64.b64encode(bytes(20)).decode()},
                      "truncated"))])


@session("claimed", "the driver accepts a share another device accepted "
         "first (401)")
def claimed(s):
    sh = s.peer_share("share")
    s.peer_open(sh.api_url, sh.secret, "first_read")
    s.step(s.party("recipient"), "second-recipient", "accept", url=sh.url,
           expect=9)


@session("gone", "the driver accepts a share the suite deleted (404)")
def gone(s):
    sh = s.peer_share("share")
    s.peer.delete(sh.api_url, sh.claim)
    s.step(s.party("recipient"), "cancel", "accept", url=sh.url, expect=8)


@session("echo", "the relay answers the driver's read with another "
         "Mailbox-Request-ID than the request's")
def echo(s):
    sh = s.peer_share("share")
    s.relay.faults.add("wrong-echo", op="read")
    s.step(s.party("recipient"), "stateless", "accept", url=sh.url,
           expect=None)


# -- faults -------------------------------------------------------------------------------

def _retry_share(s: Session, kind: str, expect: Optional[int] = 0, **fault):
    s.relay.faults.add(kind, op="create", **fault)
    run, u = s.share(s.party("initiator"), "retry")
    run.expected = expect
    if u is not None:
        _peer_accepts(s)


@session("retry-create", "the relay applies the driver's create and drops "
         "the answer once")
def retry_create(s):
    _retry_share(s, "drop-response")


@session("retry-reset", "the relay resets the connection of the driver's "
         "create once, before applying it")
def retry_reset(s):
    _retry_share(s, "reset")


@session("retry-5xx", "the relay answers the driver's create 503 once")
def retry_5xx(s):
    _retry_share(s, "status", expect=None, status=503)


@session("retry-slow", "the relay answers the driver's create 2 s late")
def retry_slow(s):
    _retry_share(s, "delay", seconds=2.0)


@session("retry-update", "the relay applies the driver's update and drops "
         "the answer once")
def retry_update(s):
    sh = s.peer_share("share", rights="RWD")
    b = s.party("recipient")
    run = s.step(b, "stateful", "accept", url=sh.url)
    if run.exit != 0:
        return
    s.relay.faults.add("drop-response", op="update")
    s.step(b, "retry", "send", data=PI2)
    s.peer_open(sh.api_url, sh.secret, "peer_read", claim=sh.claim)


@session("retry-read", "the relay binds the driver at its read and drops the "
         "answer once")
def retry_read(s):
    sh = s.peer_share("share")
    s.relay.faults.add("drop-response", op="read")
    s.step(s.party("recipient"), "retry", "accept", url=sh.url)


# -- threats without a case before (spec/threat-model.md) --------------------------------

# Display strings a creator may choose (http-00 restricts no character; the
# rules refuse only NUL): markup, terminal commands (clear the screen, set
# the window title, a hyperlink, a one-character CSI U+009B), a bare CR
# that overwrites the line, backspaces, DEL and other C0 controls, and the
# bidirectional formatting characters that reorder what follows them.
HOSTILE_DISPLAY = {
    "title": "Car key</title><script>alert(1)</script>\x1b[2J\x1b[H"
             "\rACCEPTED\x07 \u202eyek rac\u202c",
    "description": "Blue car \x1b]0;tigress-owned\x07 \x1b]8;;https://"
                   "evil.example/\x07link\x1b]8;;\x07 \x9b6n \x08\x08"
                   "\x7f| \x0b\x0c| \x01\x1f| \u2066isolate\u2069 "
                   "\u202aembed\u202c end"}
STALE_WAIT = 2      # TIGRESS_TIMEOUT of a receive that must find nothing


@session("recip-hostile-display", "the suite shares with hostile display "
         "strings (markup, terminal commands, a bare CR, a right-to-left "
         "override) and an image on the test relay; the driver previews "
         "and accepts")
def recip_hostile_display(s):
    image = "%s/img/%s.png" % (s.relay_url, secrets.token_hex(8))
    display = dict(HOSTILE_DISPLAY, imageURL=image)
    s.values["display"] = display
    sh = s.peer_share("share", display=display)
    b = s.party("recipient")
    s.step(b, "stateless", "preview", url=sh.url, expect=None)
    s.step(b, "stateless", "accept", url=sh.url, expect=None)


@session("recip-stale", "the suite shares (RWD); the driver accepts and "
         "replies, the suite answers, the driver receives; then the driver "
         "receives (%d s) three times: with nothing new, with its own reply "
         "served again, with the suite's first message served again" %
         STALE_WAIT)
def recip_stale(s):
    sh = s.peer_share("share", rights="RWD")
    b = s.party("recipient")
    if s.step(b, "stateful", "accept", url=sh.url).exit != 0 or \
            s.step(b, "stateful", "send", data=PI2).exit != 0:
        return
    own = s.relay.mailbox(sh.id).payload        # the driver's reply
    ex, answer = s.peer.update(sh, PI3, sh.claim)
    if s.step(b, "stateful", "receive").exit != 0:
        return
    out = []
    for what, served in (("nothing new (the suite's answer, received "
                          "already)", None),
                         ("its own reply served again", own),
                         ("the suite's first message served again",
                          sh.payload)):
        if served is not None:
            s.relay.set_payload(sh.id, served)
        run = s.step(b, "stateful", "receive", expect=10, timeout=STALE_WAIT)
        out.append((what, served if served is not None else answer, run))
    s.values["stale"] = out


# The longest session, mostly waiting: played first, its waits overlap the
# other sessions' work instead of ending the run.
SESSIONS.move_to_end("recip-stale", last=False)
