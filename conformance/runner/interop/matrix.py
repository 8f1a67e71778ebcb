"""tools/interop: the interop matrix.  Every scenario of spec/drivers.md
for every initiator and recipient client pair through each relay of an
implementations file; the client x relay table is the diagonal (a client
as both parties).

    tools/interop conformance/interop-default.json --report build/interop

The implementations file (JSON):

    {
      "profile": "http-00",                      optional; or "sct-04"
      "scenarios": ["stateless", ...],            optional; default all
      "relays": [
        {"name": "ref-relay",
         "start": ["../ref-relay/tigress-relay", "--listen", "127.0.0.1:0",
                   "--data-dir", "{tmpdir}"]},
        {"name": "example", "url": "https://relay.example:8443",
         "ca": "example-ca.pem", "control": "http://127.0.0.1:9999"}
      ],
      "clients": [
        {"name": "ref-client", "driver": "drivers/ref-client-driver"},
        {"name": "buggy", "driver": "drivers/py-client-driver",
         "env": {"TIGRESS_DRIVER_DEFECTS": "reused-iv"}}
      ]
    }

Relative paths (drivers, a CA file, the command of `start` and its
arguments) are taken from the directory of the file: a `start` command runs
there.  `{tmpdir}` in a command is replaced by a fresh temporary directory,
removed afterwards.  A started relay must print `listening on URL
(certificate: PATH)`; one that also prints `control on URL` (the test
relay, conformance/brokenrelay --control) allows fault injection, so the
`retry` scenario runs there (else it is n/a) and `tamper` corrupts the
stored ciphertext (else the recipient gets the share URL with one bit of
its Secret flipped: the payload does not open either).  Started relays
bind 127.0.0.1, port 0, and are always stopped.

A relay's optional "skip" lists scenarios not run through it.  `provision`
(spec/drivers.md, "The provision scenario") makes a fresh issuer key and
certificate for the initiator, and checks that the credential the
recipient ends with verifies against it and certifies the recipient's key.

Scenario outcomes: pass, fail, n/a (the relay cannot do what it needs),
unsupported (a driver exited 127).  Every relay is started, or reached and
its TLS checked (core/reach.py), before any cell runs: a relay that cannot
be used stops the run with its cause in one line.  Exit status
(core/exits.py): 0 no scenario failed, 1 a scenario failed, 2 a bad file
or argument, 3 no scenario ran, 4 a relay unreachable or not started, 5 a
relay's TLS not trusted.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from tigress_py import b64, provision, shareurl
from tigress_py.client import RelayClient
from tigress_py.errors import TigressError

from ..core import launch, reach
from ..core.driver import DriverRun, Party
from ..core.exits import UNREACHABLE, CannotRun
from ..core.records import header, mailbox_of, op_of
from ..core.text import count

SCENARIOS = ("stateless", "stateful", "cancel", "relinquish",
             "second-recipient", "tamper", "retry", "provision")
PI = (b'{"format":"digitalwallet.carkey.ccc","content":'
      b'{"vin":"W0L000051T2123456","from":"interop initiator"}}')
PI2 = (b'{"format":"digitalwallet.carkey.ccc","content":'
       b'{"step":"recipient reply","n":2}}')
PI3 = (b'{"format":"digitalwallet.carkey.ccc","content":'
       b'{"step":"initiator final","n":3}}')
TITLE = "Interop key"

# The requirements (spec/requirements.json) a step's outcome stands for,
# by (step, exit status expected).  A cell cannot tell whether the
# initiator's client, the recipient's or the relay broke them, so a failed
# step names the requirements of all three.
STEP_REQUIREMENTS = {
    ("share", 0): ("CLI-FLOW-CREATE", "CLI-FLOW-ENCRYPT", "RLY-CREATE-200"),
    ("preview", 0): ("RLY-PREVIEW-200", "RLY-PREVIEW-OG"),
    ("accept", 0): ("CLI-FLOW-READ", "RLY-BIND-FIRST-READ", "RLY-READ-200"),
    ("accept", 7): ("CLI-INTEGRITY",),
    ("accept", 8): ("RLY-READ-404", "CLI-READ-404"),
    ("accept", 9): ("RLY-BIND-ONE-RECIPIENT", "RLY-READ-401",
                    "CLI-READ-401"),
    ("send", 0): ("CLI-FLOW-UPDATE", "RLY-UPDATE-200"),
    ("receive", 0): ("RLY-ROUNDTRIP-FIRST", "RLY-STORE-FORWARD"),
    ("finish", 0): ("CLI-FLOW-DELETE", "RLY-DELETE-200"),
    ("cancel", 0): ("CLI-FLOW-DELETE", "RLY-DELETE-PARTIES", "SCT-CANCEL"),
    ("relinquish", 0): ("CLI-FLOW-RELINQUISH", "RLY-RELINQUISH-200"),
    ("request", 0): ("Req-RoundTrips",),
    ("issue", 0): ("Req-RoundTrips",),
    ("install", 0): ("Req-RoundTrips",),
}
# ... and those of the scenarios' other checks.
CHECK_REQUIREMENTS = {
    "pi": ("RLY-CONF-INTEGRITY", "CLI-INTEGRITY"),  # TIGRESS_OUT as sent
    "title": ("RLY-PREVIEW-OG",),
    "url": ("RLY-CREATE-URLLINK", "RLY-URL-HOST", "RLY-URL-VERSION",
            "RLY-URL-MAILBOX"),
    "fragment": ("CLI-SECRET-FRAGMENT",),
    "gone": ("RLY-DELETE-200", "RLY-PREVIEW-404"),
    "rebind": ("RLY-RELINQUISH-REBIND",),
    "resent": ("CLI-RETRY-SAME-REQID",),
    "one-mailbox": ("RLY-DUP-CREATE-NO-NEW", "RLY-DUP-CREATE-201"),
    "credential": ("Req-CredentialType", "Req-RoundTrips"),
}


class ConfigError(Exception):
    pass


# -- the implementations file ---------------------------------------------------------

def load(path) -> dict:
    """Read and check an implementations file; paths made absolute."""
    p = Path(path).resolve()
    try:
        cfg = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError("cannot read %s (%s)" % (path, reach.strerror(e)))
    except ValueError as e:
        raise ConfigError("%s is not JSON: %s" % (path, e))
    base = p.parent

    def rel(x: str) -> str:
        return x if os.path.isabs(x) else str((base / x).resolve())
    if not isinstance(cfg, dict):
        raise ConfigError("%s: a JSON object is expected" % path)
    relays, clients = cfg.get("relays"), cfg.get("clients")
    if not isinstance(relays, list) or not relays:
        raise ConfigError("%s: \"relays\" must list at least one relay" %
                          path)
    if not isinstance(clients, list) or not clients:
        raise ConfigError("%s: \"clients\" must list at least one client" %
                          path)
    names = set()
    for r in relays:
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise ConfigError("every relay needs a \"name\"")
        if ("url" in r) == ("start" in r):
            raise ConfigError("relay %s: give either \"url\" or \"start\"" %
                              r["name"])
        if "start" in r:
            if not isinstance(r["start"], list) or not r["start"] or not all(
                    isinstance(a, str) for a in r["start"]):
                raise ConfigError("relay %s: \"start\" is a list of "
                                  "strings (the command)" % r["name"])
            a0 = r["start"][0]
            if "/" in a0 and not os.path.isabs(a0):
                r["start"][0] = rel(a0)
        if r.get("ca"):
            r["ca"] = rel(r["ca"])
        try:
            if "url" in r:
                r["url"] = reach.relay_base(str(r["url"]), "relay URL")
            if r.get("ca"):
                reach.ca_file(r["ca"], "\"ca\"")
        except CannotRun as e:
            raise ConfigError("relay %s: %s" % (r["name"], e))
        skip = r.get("skip", [])
        if not isinstance(skip, list) or not set(skip) <= set(SCENARIOS):
            raise ConfigError("relay %s: \"skip\" lists scenarios not run "
                              "through it (known: %s)" % (
                                  r["name"], ", ".join(SCENARIOS)))
    for c in clients:
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) \
                or not isinstance(c.get("driver"), str):
            raise ConfigError("every client needs a \"name\" and a "
                              "\"driver\"")
        c["driver"] = rel(c["driver"])
        if not os.path.exists(c["driver"]):
            raise ConfigError("client %s: %s: no such file" % (
                c["name"], c["driver"]))
        if not os.access(c["driver"], os.X_OK):
            raise ConfigError("client %s: %s is not executable" % (
                c["name"], c["driver"]))
        if not isinstance(c.get("env", {}), dict):
            raise ConfigError("client %s: \"env\" is an object" % c["name"])
    for x in relays + clients:
        if x["name"] in names:
            raise ConfigError("duplicate name %r" % x["name"])
        names.add(x["name"])
    scen = cfg.get("scenarios", list(SCENARIOS))
    bad = [s for s in scen if s not in SCENARIOS]
    if bad:
        raise ConfigError("unknown scenarios: %s (known: %s)" % (
            ", ".join(bad), ", ".join(SCENARIOS)))
    if cfg.get("profile", "http-00") not in ("http-00", "sct-04"):
        raise ConfigError("profile is http-00 or sct-04")
    if not isinstance(cfg.get("label", ""), str):
        raise ConfigError("\"label\" is a string (what the reports call "
                          "the run)")
    cfg["_dir"] = str(base)
    cfg["_file"] = str(p)
    cfg["scenarios"] = list(scen)
    return cfg


# -- relays ------------------------------------------------------------------------------

class Control:
    """The test relay's control endpoint (brokenrelay/control.py)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self._open = urllib.request.build_opener(
            urllib.request.ProxyHandler({})).open

    def _call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method, headers={
                                         "Content-Type": "application/json"})
        try:
            with self._open(req, timeout=10) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise RuntimeError("control %s %s: %s %s" % (
                method, path, e.code, e.read()[:200]))

    def requests(self, since: int = 0) -> List[dict]:
        return self._call("GET", "/requests?since=%d" % since)["requests"]

    def last_seq(self) -> int:
        rs = self.requests()
        return rs[-1]["seq"] if rs else 0

    def fault(self, kind: str, op: str = "any", **kw) -> dict:
        return self._call("POST", "/faults", dict(kind=kind, op=op, **kw))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def mailbox(self, mid: str) -> dict:
        return self._call("GET", "/mailboxes/%s" % mid)

    def set_payload(self, mid: str, payload) -> None:
        self._call("PUT", "/mailboxes/%s/payload" % mid,
                   {"payload": payload})


class RelayHandle:
    def __init__(self, spec: dict, cwd: str):
        self.spec = spec
        self.name = spec["name"]
        self.cwd = cwd
        self.url: Optional[str] = None
        self.ca: Optional[str] = None
        self.control: Optional[Control] = None
        self.launched: Optional[launch.Launched] = None
        self.tmpdir: Optional[str] = None
        self.error: Optional[str] = None
        self.status: Optional[int] = None   # exit status of self.error

    def start(self) -> "RelayHandle":
        """Start the relay, or reach it and check its TLS; raises
        CannotRun (UNREACHABLE, TLS) saying why it cannot be used."""
        if "url" in self.spec:
            self.url = self.spec["url"].rstrip("/")
            self.ca = self.spec.get("ca")
            reach.probe(self.url, self.ca, ca_hint="\"ca\": FILE in the "
                        "implementations file")
        else:
            self.tmpdir = tempfile.mkdtemp(prefix="tigress-interop-relay-")
            argv = [a.replace("{tmpdir}", self.tmpdir)
                    for a in self.spec["start"]]
            env = dict(os.environ)
            env.update(self.spec.get("env") or {})
            self.launched = launch.Launched(argv, Path(self.tmpdir), True,
                                            self.name, cwd=self.cwd, env=env)
            try:
                self.launched.start()
            except launch.LaunchError as e:
                raise CannotRun(UNREACHABLE, str(e), "relay not started")
            self.url, self.ca = self.launched.base_url, self.launched.ca
            if self.launched.control:
                self.control = Control(self.launched.control)
        if self.spec.get("control"):
            self.control = Control(self.spec["control"])
        return self

    def stop(self) -> None:
        if self.launched is not None:
            self.launched.stop()
        elif self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def describe(self) -> dict:
        return {"name": self.name, "url": self.url, "ca": self.ca,
                "control": self.control.url if self.control else None,
                "started": "start" in self.spec,
                "command": self.spec.get("start"), "error": self.error}


# -- scenarios ---------------------------------------------------------------------------

class Result:
    def __init__(self, scenario: str):
        self.scenario = scenario
        self.status = "pass"
        self.reason = ""
        self.requirements: List[str] = []      # those of the failed checks
        self.checks: List[tuple] = []          # (ok, what, got, requirements)
        self.runs: List[DriverRun] = []
        self.exchanges: List[dict] = []
        self.notes: List[str] = []
        self.duration = 0.0

    def fail(self, reason: str, requirements=()) -> None:
        if self.status == "pass":
            self.status, self.reason = "fail", reason
        self.requirements += [x for x in requirements
                              if x not in self.requirements]

    def to_json(self) -> dict:
        return {
            "scenario": self.scenario, "status": self.status,
            "reason": self.reason, "duration": round(self.duration, 3),
            "requirements": self.requirements,
            "checks": [{"ok": ok, "expected": what, "got": got,
                        "requirements": list(reqs)}
                       for ok, what, got, reqs in self.checks],
            "steps": [_run_json(r) for r in self.runs],
            "exchanges": self.exchanges, "notes": self.notes}


def _excerpt(b: bytes, n: int = 2000) -> str:
    s = (b or b"").decode("utf-8", "replace")
    return s if len(s) <= n else s[:n] + "\n[... %d more characters]" % (
        len(s) - n)


def _run_json(r: DriverRun) -> dict:
    return {"party": r.party, "role": r.role, "scenario": r.scenario,
            "step": r.step, "driver": r.driver, "exit": r.exit,
            "expected": r.expected, "timed_out": r.timed_out,
            "elapsed": round(r.elapsed, 3), "stdout": _excerpt(r.stdout),
            "stderr": _excerpt(r.stderr),
            "out": None if r.out is None else _excerpt(r.out, 600)}


class Stop(Exception):
    """End the scenario (its outcome is already recorded)."""


class Unsupported(Exception):
    pass


class Scenario:
    """What a scenario function works with."""

    def __init__(self, name: str, relay: RelayHandle, ini: dict, rec: dict,
                 home: Path, profile: str, timeout: float):
        self.name = name
        self.relay = relay
        self.profile = profile
        self.res = Result(name)
        self.mailboxes: List[str] = []

        def party(client, role, pname):
            return Party(client["driver"], role, home / pname, relay.url,
                         relay.ca, profile, pname, timeout,
                         env=client.get("env"), runs=self.res.runs)
        self.ini = party(ini, "initiator", "initiator")
        self.rec = party(rec, "recipient", "recipient")
        self.rec2 = party(rec, "recipient", "recipient2")

    def check(self, ok: bool, what: str, got: str = "",
              requirements=()) -> bool:
        """Record a check; a failed one fails the scenario and cites
        `requirements` (IDs of spec/requirements.json)."""
        self.res.checks.append((bool(ok), what, got, tuple(requirements)))
        if not ok:
            self.res.fail("expected %s, got %s" % (what, got), requirements)
        return bool(ok)

    def step(self, party: Party, step: str, expect: int = 0,
             want: Optional[bytes] = None, stop: bool = True,
             cites=(), **kw) -> DriverRun:
        """Run a driver step; `cites`: requirements besides the step's
        own (STEP_REQUIREMENTS) that its failure breaks."""
        run = party.step(self.name, step, expect=expect, **kw)
        if run.unsupported:
            raise Unsupported(run.describe())
        reqs = STEP_REQUIREMENTS.get((step, expect), ()) + tuple(cites)
        ok = self.check(run.exit == expect and not run.timed_out,
                        "%s: exit %d" % (run.label, expect), run.describe(),
                        reqs)
        if ok and expect != 0:
            ok = self.check(not (run.out or b"").strip(),
                            "%s: nothing in TIGRESS_OUT" % run.label,
                            "%d bytes" % len(run.out or b""), reqs)
        if ok and want is not None:
            ok = self.check((run.out or b"").strip() == want,
                            "%s: TIGRESS_OUT holds the Provisioning "
                            "Information sent" % run.label,
                            repr((run.out or b"")[:100]),
                            CHECK_REQUIREMENTS["pi"] + tuple(cites))
        if not ok and stop:
            raise Stop()
        return run

    def share(self, data: bytes = PI, **kw) -> str:
        kw.setdefault("title", TITLE)
        kw.setdefault("description", "Blue car")
        kw.setdefault("vertical", "c")
        if self.name == "stateful":
            kw.setdefault("access", "RWD")
        run = self.step(self.ini, "share", data=data, **kw)
        url = (run.out or b"").decode("utf-8", "replace").strip()
        try:
            u = shareurl.parse(url)
        except TigressError as e:
            self.check(False, "a share URL (tigress_py.shareurl.parse)",
                       "%r: %s" % (url[:160], e), CHECK_REQUIREMENTS["url"])
            raise Stop()
        self.check(u.secret is not None, "the Secret in the URL's fragment",
                   "no fragment", CHECK_REQUIREMENTS["fragment"])
        self.mailboxes.append(u.mailbox_id)
        return url

    def gone(self, url: str) -> None:
        """The mailbox of `url` answers 404 now."""
        with RelayClient(self.relay.url, ca=self.relay.ca or None,
                         profile=self.profile) as c:
            ex = c.read_display(url.split("#", 1)[0])
        self.check(ex.status == 404, "the mailbox gone (GET answers 404)",
                   str(ex.status if ex.status is not None else
                       ex.transport_error), CHECK_REQUIREMENTS["gone"])


def sc_stateless(c: Scenario):
    url = c.share()
    run = c.step(c.rec, "preview", url=url)
    try:
        title = json.loads(run.out or b"{}").get("title")
    except (ValueError, AttributeError):
        title = None
    c.check(title == TITLE, "preview: the title %r" % TITLE, repr(title),
            CHECK_REQUIREMENTS["title"])
    c.step(c.rec, "accept", url=url, want=PI)
    c.step(c.rec, "finish")
    c.gone(url)


def sc_stateful(c: Scenario):
    url = c.share()
    c.step(c.rec, "accept", url=url, want=PI)
    c.step(c.rec, "send", data=PI2)
    c.step(c.ini, "receive", want=PI2)
    c.step(c.ini, "send", data=PI3)
    c.step(c.rec, "receive", want=PI3)
    c.step(c.rec, "finish")
    c.gone(url)


def sc_cancel(c: Scenario):
    url = c.share()
    c.step(c.ini, "cancel")
    c.step(c.rec, "accept", url=url, expect=8)
    c.gone(url)


def sc_relinquish(c: Scenario):
    url = c.share()
    c.step(c.rec, "accept", url=url, want=PI)
    c.step(c.rec, "relinquish")
    c.step(c.rec2, "accept", url=url, want=PI,
           cites=CHECK_REQUIREMENTS["rebind"])
    c.step(c.rec2, "finish")


def sc_second_recipient(c: Scenario):
    url = c.share()
    c.step(c.rec, "accept", url=url, want=PI)
    c.step(c.rec2, "accept", url=url, expect=9, stop=False)
    c.step(c.ini, "cancel")


def sc_tamper(c: Scenario):
    url = c.share()
    u = shareurl.parse(url)
    if c.relay.control is not None:
        p = c.relay.control.mailbox(u.mailbox_id)["payload"]
        raw = bytearray(base64.b64decode(p["data"]))
        raw[len(raw) // 2] ^= 0x01
        c.relay.control.set_payload(u.mailbox_id, {
            "type": p["type"], "data": base64.b64encode(bytes(raw)).decode()})
        c.res.notes.append("the relay's stored ciphertext had one bit "
                           "flipped (control endpoint)")
        bad = url
    else:
        secret = bytearray(u.secret)
        secret[0] ^= 0x01
        bad = url.split("#", 1)[0] + "#" + b64.encode_std(bytes(secret))
        c.res.notes.append("no control endpoint: the recipient got the "
                           "share URL with one bit of its Secret flipped")
    c.step(c.rec, "accept", url=bad, expect=7, stop=False)
    c.step(c.ini, "cancel")


def sc_retry(c: Scenario):
    ctl = c.relay.control
    if ctl is None:
        c.res.status = "n/a"
        c.res.reason = "the relay offers no fault injection (no control " \
            "endpoint)"
        return
    ctl.fault("drop-response", op="create")
    try:
        url = c.share()
    finally:
        ctl.clear_faults()
    u = shareurl.parse(url)
    creates = [r for r in ctl.requests(c.seq0) if op_of(r) == "create"]
    rids = {header(r, "Mailbox-Request-ID") for r in creates}
    made = {mailbox_of(r) for r in creates
            if r["status"] in (200, 201)} - {None}
    c.check(len(creates) >= 2, "the create sent again after the dropped "
            "answer", count(len(creates), "create"),
            CHECK_REQUIREMENTS["resent"])
    c.check(len(rids) == 1 and None not in rids, "the same "
            "Mailbox-Request-ID on the resent create", ", ".join(
                str(x) for x in rids), CHECK_REQUIREMENTS["resent"])
    c.check(made == {u.mailbox_id}, "one mailbox, the one in the share URL",
            ", ".join(sorted(made)), CHECK_REQUIREMENTS["one-mailbox"])
    c.step(c.rec, "accept", url=url, want=PI)
    c.step(c.rec, "finish")


# -- provision (spec/drivers.md, "The provision scenario") -------------------

def sc_provision(c: Scenario):
    key, issuer = provision.issuer()
    d = c.ini.home / "issuer"
    d.mkdir(parents=True, exist_ok=True)
    (d / "key.pem").write_bytes(provision.private_pem(key))
    (d / "cert.pem").write_text(provision.pem(issuer), encoding="ascii")
    invitation = provision.message(
        "invitation", vehicle="W0L000051T2123456",
        rights="unlock and start, 2 days", issuer=provision.pem(issuer))
    url = c.share(data=invitation, access="RWD")
    c.step(c.rec, "accept", url=url, want=invitation)
    csr = c.step(c.rec, "request").out or b""
    issued = c.step(c.ini, "issue", issuer_key=d / "key.pem",
                    issuer_cert=d / "cert.pem").out or b""
    installed = c.step(c.rec, "install").out or b""
    c.check(installed.strip() == issued.strip(), "install: the certificate "
            "the initiator issued", "%d bytes, %d issued" % (
                len(installed), len(issued)), CHECK_REQUIREMENTS["credential"])
    try:
        public = provision.load_request(csr.decode("ascii", "replace")
                                        ).public_key()
        cert = provision.load_certificate(installed.decode("ascii",
                                                           "replace"))
    except provision.Refused as e:
        c.check(False, "request: a P-256 certificate request signed with "
                "its key; install: a certificate (PEM)", str(e),
                CHECK_REQUIREMENTS["credential"])
        raise Stop()
    for ok, what, got in provision.certificate_checks(cert, issuer, public):
        c.check(ok, "the credential: " + what, got,
                CHECK_REQUIREMENTS["credential"])
    c.step(c.rec, "finish")
    c.gone(url)


RUN = {"stateless": sc_stateless, "stateful": sc_stateful,
       "cancel": sc_cancel, "relinquish": sc_relinquish,
       "second-recipient": sc_second_recipient, "tamper": sc_tamper,
       "retry": sc_retry, "provision": sc_provision}


def run_scenario(name: str, relay: RelayHandle, ini: dict, rec: dict,
                 home: Path, profile: str, timeout: float) -> Result:
    c = Scenario(name, relay, ini, rec, home, profile, timeout)
    t0 = time.monotonic()
    c.seq0 = relay.control.last_seq() if relay.control else 0
    try:
        RUN[name](c)
    except Stop:
        pass
    except Unsupported as e:
        c.res.status, c.res.reason = "unsupported", str(e)
    except Exception:                   # the tool, or a very odd relay
        c.res.status = "fail"
        c.res.reason = "error: %s" % traceback.format_exc(limit=3).strip(
        ).splitlines()[-1]
        c.res.notes.append(traceback.format_exc(limit=6))
    c.res.duration = time.monotonic() - t0
    if relay.control is not None:
        try:
            recs = relay.control.requests(c.seq0)
            ids = set(c.mailboxes)
            c.res.exchanges = [_exchange(r) for r in recs
                               if not ids or mailbox_of(r) in ids][:60]
        except Exception as e:          # noqa: BLE001
            c.res.notes.append("the relay's records could not be read: "
                               "%s" % e)
    return c.res


def _exchange(r: dict) -> dict:
    """A relay record as the report keeps it: each body the recorder's
    {encoding, data, length, truncated, sha256}, its data cut to 1500
    characters (the size and hash say what was left out)."""
    def body(b):
        if not b:
            return None
        d = dict(b)
        if len(d.get("data", "")) > 1500:
            d["data"], d["truncated"] = d["data"][:1500], True
        return d
    return {"time": r.get("time", 0.0), "method": r["method"],
            "target": r["target"], "headers": r["headers"],
            "body": body(r.get("body")), "status": r["status"],
            "aborted": r.get("aborted"), "fault": r.get("fault"),
            "response_headers": r.get("response_headers", []),
            "response_body": body(r.get("response_body"))}


# -- the matrix -----------------------------------------------------------------------------

class Cell:
    def __init__(self, relay: str, initiator: str, recipient: str):
        self.relay = relay
        self.initiator = initiator
        self.recipient = recipient
        self.results: List[Result] = []
        self.skipped: List[str] = []     # the relay's "skip": not run

    def of(self, status: str) -> List[str]:
        return [r.scenario for r in self.results if r.status == status]

    @property
    def status(self) -> str:
        if self.of("fail"):
            return "fail"
        return "pass" if self.of("pass") else "none"

    def to_json(self) -> dict:
        return {"relay": self.relay, "initiator": self.initiator,
                "recipient": self.recipient, "status": self.status,
                "passed": self.of("pass"), "failed": self.of("fail"),
                "n/a": self.of("n/a"), "unsupported": self.of("unsupported"),
                "skipped": list(self.skipped),
                "results": [r.to_json() for r in self.results]}


class Matrix:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.relays: List[RelayHandle] = []
        self.cells: List[Cell] = []
        self.started = time.time()
        self.duration = 0.0

    @property
    def clients(self) -> List[dict]:
        return self.cfg["clients"]

    def cell(self, relay, ini, rec) -> Optional[Cell]:
        for c in self.cells:
            if (c.relay, c.initiator, c.recipient) == (relay, ini, rec):
                return c
        return None

    def counts(self) -> Dict[str, int]:
        out = {"cells": len(self.cells), "cells_passed": 0,
               "cells_failed": 0, "cells_empty": 0, "passed": 0, "failed": 0,
               "n/a": 0, "unsupported": 0}
        for c in self.cells:
            out["cells_" + {"fail": "failed", "pass": "passed"}.get(
                c.status, "empty")] += 1
            for r in c.results:
                key = {"pass": "passed", "fail": "failed"}.get(r.status,
                                                               r.status)
                out[key] += 1
        return out

    def summary_line(self) -> str:
        n = self.counts()
        return ("interop: %s, %d passed, %d failed%s; scenarios: %d "
                "passed, %d failed, %d n/a, %d unsupported" % (
                    count(n["cells"], "cell"), n["cells_passed"],
                    n["cells_failed"],
                    ", %d without a scenario run" % n["cells_empty"]
                    if n["cells_empty"] else "",
                    n["passed"], n["failed"], n["n/a"], n["unsupported"]))

    def exit_status(self) -> int:
        return 1 if self.counts()["failed"] else 0


def _in_parallel(func, items) -> None:
    threads = [threading.Thread(target=func, args=(x,), daemon=True)
               for x in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run(cfg: dict, timeout: float = 20.0, progress=None,
        cell_done=None) -> Matrix:
    """Start (or reach) every relay first; when one cannot be used, run
    nothing (its handle's `error` and `status` say why).  Then run every
    cell (relays in parallel, the cells of one relay one after another:
    faults are injected relay-wide), and stop the relays.
    `progress(cell, result)` follows each scenario, `cell_done(cell)` each
    cell."""
    m = Matrix(cfg)
    t0 = time.monotonic()
    profile = cfg.get("profile", "http-00")
    work = Path(tempfile.mkdtemp(prefix="tigress-interop-"))
    lock = threading.Lock()
    m.relays = [RelayHandle(spec, cfg["_dir"]) for spec in cfg["relays"]]

    def start(h):
        try:
            h.start()
        except CannotRun as e:
            h.error, h.status = str(e), e.status

    def cells_of(h):
        for ini in m.clients:
            for rec in m.clients:
                cell = Cell(h.name, ini["name"], rec["name"])
                with lock:
                    m.cells.append(cell)
                for sc in cfg["scenarios"]:
                    if sc in h.spec.get("skip", ()):
                        cell.skipped.append(sc)
                        continue
                    home = work / _safe(h.name) / ("%s__%s" % (
                        _safe(ini["name"]), _safe(rec["name"]))) / sc
                    r = run_scenario(sc, h, ini, rec, home, profile,
                                     timeout)
                    cell.results.append(r)
                    if progress:
                        progress(cell, r)
                if cell_done:
                    cell_done(cell)
        h.stop()
    try:
        _in_parallel(start, m.relays)
        if not any(h.error for h in m.relays):
            _in_parallel(cells_of, m.relays)
    finally:
        for h in m.relays:
            h.stop()
        shutil.rmtree(work, ignore_errors=True)
    order = {s["name"]: i for i, s in enumerate(cfg["relays"])}
    corder = {c["name"]: i for i, c in enumerate(cfg["clients"])}
    m.cells.sort(key=lambda c: (order[c.relay], corder[c.initiator],
                                corder[c.recipient]))
    m.duration = time.monotonic() - t0
    return m


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
