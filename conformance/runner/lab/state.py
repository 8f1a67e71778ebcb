"""The lab's bookkeeping: runs (one per implementation tested), the
sessions each run plays (client-suite sessions with the device as the
party), the step each session waits for, and the verdicts.

    lab = Lab(relay, workdir, draft="auto")
    run = lab.new_run("Acme Wallet 2.1")
    s = run.start("recip-stateless")       # plays in a thread
    s.pending                              # the step the device must take
    s.answer_step(1, {"outcome": "ok"})    # what it did
    run.results                            # the client cases' verdicts

Everything is guarded by the lab's one condition variable; every change
bumps `lab.version`, which the page and the API wait on.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Optional

from ..core import catalog as catalog_mod
from ..core.records import ANY_CLAIM_HEADER, mailbox_of
from ..client import engine as client_engine
from ..client.context import ClientContext, ClientRunState
from ..client.sessions import SESSIONS, Session, Unsupported127, \
    play_session
from ..client.testrelay import is_peer
from .device import DeviceParty, DeviceRun, opened
from .relay import GRACE, LabPeer, LabRelay, SessionRelay
from .scenarios import OPTIONAL_STEPS, SCENARIOS, choices, instruction

STEP_WAIT = 3600.0       # a step nobody answers for an hour is skipped
MAX_RUNS = 200


class LabContext(ClientContext):
    """The client cases' context, where a step the device does not offer
    (exit 127 of an optional step: no separate preview) is not judged."""

    def ran(self, s, run, requirements, what: str, expect: int = 0) -> bool:
        if run is not None and run.unsupported:
            self.note("%s: not offered by the device (skipped)" % what)
            return False
        return super().ran(s, run, requirements, what, expect)


class LabSession(Session):
    """A client-suite session played by a device through the lab."""

    def __init__(self, run: "LabRun", name: str):
        lab = run.lab
        super().__init__(name, SESSIONS[name][0], "device",
                         run.peer_profile, lab.workdir / run.id / name,
                         lab.workdir, 20.0)
        self.lab = lab
        self.lab_run = run
        self.started = time.time()
        self.status = "running"       # running, done, skipped, error
        self.pending: Optional[dict] = None
        self.steps: List[dict] = []   # the steps answered, for the page
        self.windows: List[list] = []  # [start, end or None] of device steps
        self._answer: Optional[dict] = None
        self._aborted = False
        self.relay = SessionRelay(lab.relay, self, lab)

    # -- the session's parties are the device ---------------------------------------
    def new_party(self, role: str, name: str) -> DeviceParty:
        return DeviceParty(self, role, name)

    def step(self, party, scenario: str, step: str, expect=0, **kw):
        try:
            return super().step(party, scenario, step, expect, **kw)
        except Unsupported127 as e:
            if step not in OPTIONAL_STEPS or self._aborted:
                raise
            self.notes.append("%s: not offered by the device" % e.run.label)
            return e.run

    def ask(self, party: DeviceParty, run: DeviceRun, data, settings) -> dict:
        """Wait until the device's step is reported (or the scenario
        skipped); the answer (see api.py)."""
        cond = self.lab.cond
        with cond:
            self.pending = {
                "n": len(self.steps) + 1, "role": party.role,
                "party": party.name, "scenario": run.scenario,
                "step": run.step, "url": run.url, "expect": run.expected,
                "input": None if data is None else data.decode("utf-8"),
                "settings": settings, "relay": self.relay_url,
                "profile": self.lab_run.profile,
                "instruction": instruction(run.step, run.expected, settings),
                "choices": list(choices(run.step)),
                "optional": run.step in OPTIONAL_STEPS,
                "since": run.started}
            self.windows.append([run.started, None])
            self._answer = None
            self.lab.changed()
            cond.wait_for(lambda: self._answer is not None or self._aborted,
                          STEP_WAIT)
            answer = self._answer or {"outcome": "skip", "note":
                                      "the scenario was skipped"
                                      if self._aborted else "no answer in "
                                      "%d s" % STEP_WAIT}
            self.windows[-1][1] = time.time()
            done = dict(self.pending, outcome=answer.get("outcome"),
                        exit=answer.get("exit"))
            self.pending = None
            self.steps.append(done)
            self.lab.changed()
            return answer

    def answer_step(self, n: int, answer: dict) -> Optional[str]:
        """Report step n; the reason it is refused, or None."""
        with self.lab.cond:
            if self.pending is None:
                return "no step of %s is waiting" % self.name
            if n != self.pending["n"]:
                return "step %d is waiting, not %d" % (self.pending["n"], n)
            self._answer = answer
            self.lab.cond.notify_all()
            return None

    def abort(self) -> None:
        with self.lab.cond:
            self._aborted = True
            self.lab.cond.notify_all()

    # -- what belongs to the session ---------------------------------------------------
    def mailbox_ids(self) -> set:
        ids = set(self.peer.mailboxes) if isinstance(self.peer, LabPeer) \
            else set()
        for k, v in list(self.values.items()):
            if k.endswith(".parsed") and v is not None:
                ids.add(v.mailbox_id.lower())
        return ids

    def heard_at(self, t: float) -> bool:
        """A request at time t comes from this session's device step: the
        run's last step that began before t is this session's, and it was
        still waiting (or had ended less than GRACE seconds before)."""
        return self.lab_run.step_at(t) is self

    def waiting(self) -> bool:
        return self.pending is not None

    def plaintext_served(self, run: DeviceRun) -> Optional[bytes]:
        mine = [r for r in self.relay.records()
                if r["time"] >= run.started - 0.5]
        return opened(mine, list(self.secrets.values()))

    # -- playing -------------------------------------------------------------------------
    def play(self) -> None:
        func = SESSIONS[self.name][1]
        try:
            play_session(self, func, LabPeer(self.lab.relay,
                                             self.lab_run.peer_profile))
        finally:
            if self._aborted and not self.error:
                self.unsupported = "skipped by the tester"
            elif self.unsupported_run is not None:
                r = self.unsupported_run
                self.unsupported = "the device does not offer %s (%s)" % (
                    r.label, r.reported_by)
            self.lab_run.session_done(self, "error" if self.error else
                                      "skipped" if self.unsupported else
                                      "done")


def _placeholder(run: "LabRun", name: str, why: str) -> Session:
    s = Session(name, SESSIONS[name][0], "device", run.peer_profile,
                run.lab.workdir, run.lab.workdir, 20.0)
    s.unsupported = why
    return s


class LabRun:
    """One implementation under test: its label, the scenarios it played,
    the verdicts."""

    def __init__(self, lab: "Lab", label: str):
        self.lab = lab
        self.id = secrets.token_urlsafe(6)
        self.label = label
        self.profile = None if lab.draft == "auto" else lab.draft
        self.created = time.time()
        self.sessions: "OrderedDict[str, LabSession]" = OrderedDict()
        self.active: Optional[LabSession] = None
        self.results: list = []
        self.report_paths: Dict[str, Path] = {}

    @property
    def peer_profile(self) -> str:
        """The header names the lab itself sends (the relay takes both
        under auto)."""
        return self.profile or "http-00"

    def judged_profile(self) -> str:
        """The draft the device is judged against: --draft, or under auto
        the one whose claim header the device sent (http-00 if none)."""
        if self.profile:
            return self.profile
        for r in self.device_records():
            for k, _ in r.get("headers", []):
                if k.lower() in ANY_CLAIM_HEADER:
                    return "http-00" if k.lower() == ANY_CLAIM_HEADER[0] \
                        else "sct-04"
        return "http-00"

    # -- playing ------------------------------------------------------------------------
    def start(self, name: str) -> LabSession:
        """Play scenario `name` (KeyError: unknown; RuntimeError: another
        is playing)."""
        if name not in SCENARIOS:
            raise KeyError(name)
        with self.lab.cond:
            if self.active is not None:
                raise RuntimeError("scenario %s is playing: finish or skip "
                                   "it first" % self.active.name)
            s = LabSession(self, name)
            self.active = s
            self.sessions[name] = s
            self.sessions.move_to_end(name)
            self.lab.changed()
        threading.Thread(target=s.play, name="lab-" + name,
                         daemon=True).start()
        return s

    def skip(self, name: str) -> None:
        """Skip a scenario: the one playing ends (UNSUPPORTED), another is
        marked skipped."""
        if name not in SCENARIOS:
            raise KeyError(name)
        with self.lab.cond:
            s = self.sessions.get(name)
            if s is not None and s is self.active:
                s.abort()           # its step answers 127: it ends soon
                self.lab.cond.wait_for(lambda: self.active is not s, 30)
                return
            s = LabSession(self, name)
            s.unsupported = "skipped by the tester"
            self.sessions[name] = s
        self.session_done(s, "skipped")

    def session_done(self, s: LabSession, status: str) -> None:
        """`s` has ended: judge the run with it, then say so."""
        self.evaluate(also=s)
        with self.lab.cond:
            s.status = status
            if self.active is s:
                self.active = None
            # written before anyone can see the session end: who reads
            # the reports when it has ended finds them up to date
            self.lab.write_report(self)
            self.lab.changed()

    def step_at(self, t: float, grace: float = GRACE) -> Optional[LabSession]:
        """The session whose device step was waiting at time t (or had
        ended at most `grace` seconds before), or None."""
        best, start = None, 0.0
        for s in list(self.sessions.values()):
            for a, b in list(s.windows):
                if start < a <= t and (b is None or t <= b + grace):
                    best, start = s, a
        return best

    # -- what the device did -------------------------------------------------------------
    def device_records(self) -> List[dict]:
        ids = set()
        for s in list(self.sessions.values()):
            ids |= s.mailbox_ids()
        return [r for r in self.lab.relay.records()
                if not is_peer(r) and mailbox_of(r) in ids]

    def device_addresses(self) -> set:
        """The addresses the device used for the run's mailboxes."""
        return {r.get("client") for r in self.device_records()}

    # -- verdicts -------------------------------------------------------------------------
    def evaluate(self, also: Optional[LabSession] = None) -> list:
        """Judge the sessions played so far (and `also`, ending) with the
        client cases."""
        profile = self.judged_profile()
        played: Dict[str, Session] = {}
        for name in SESSIONS:
            s = self.sessions.get(name)
            if s is not None and (s.status != "running" or s is also):
                played[name] = s
            else:
                played[name] = _placeholder(
                    self, name, "not played in the lab" if name in SCENARIOS
                    else "not a lab scenario (tigress-conformance client "
                    "plays it with a driver)")
        state = ClientRunState(self.label, profile, self.lab.catalog, played)
        results = client_engine.judge(state, lab_cases(profile), LabContext)
        with self.lab.cond:
            self.results = results
        return results


def lab_cases(profile: str) -> list:
    """The client cases with at least one session the lab plays."""
    return [c for c in client_engine.select(None, profile)
            if any(n in SCENARIOS for n in c.sessions)]


class Lab:
    def __init__(self, relay: LabRelay, workdir: Path, draft: str = "auto",
                 report_dir: Optional[Path] = None, label: str = ""):
        self.relay = relay
        self.workdir = Path(workdir)
        self.draft = draft
        self.report_dir = report_dir
        self.label = label
        self.catalog = catalog_mod.load()
        self.cond = threading.Condition()
        self.version = 0
        self.runs: "OrderedDict[str, LabRun]" = OrderedDict()
        self.csp_reports: List[dict] = []
        self.started = time.time()
        self.own_workdir = False        # close() removes it

    def changed(self) -> None:
        """Call with cond held."""
        self.version += 1
        self.cond.notify_all()

    def wait_change(self, after: int, timeout: float) -> int:
        with self.cond:
            self.cond.wait_for(lambda: self.version != after, timeout)
            return self.version

    def new_run(self, label: str) -> LabRun:
        with self.cond:
            if len(self.runs) >= MAX_RUNS:
                raise RuntimeError("this lab holds %d runs already" %
                                   MAX_RUNS)
            r = LabRun(self, label)
            self.runs[r.id] = r
            self.changed()
        return r

    def owned_mailboxes(self) -> set:
        """The mailboxes of every session of every run."""
        out = set()
        for run in list(self.runs.values()):
            for s in list(run.sessions.values()):
                out |= s.mailbox_ids()
        return out

    def address_book(self) -> dict:
        """Each run's device addresses, so far."""
        return {run: run.device_addresses()
                for run in list(self.runs.values())}

    def claimant(self, addr: Optional[str], t: float,
                 book: dict) -> Optional[LabSession]:
        """The session a request from `addr` at time `t`, naming no
        mailbox of the lab, comes from: the waiting session of the run
        whose device used `addr` before; else the waiting session of the
        one run that has not seen its device's address yet (a phone seen
        in an earlier run may start another).  None when that is not one session: two
        phones at their first steps at once cannot be told apart, and a
        fault meant for one must not hit the other (`book`: address_book())."""
        for grace in (0.0, GRACE):      # a step waiting before one just ended
            exact, fresh = [], []
            for run, known in book.items():
                s = run.step_at(t, grace)
                if s is None:
                    continue
                if addr in known:
                    exact.append(s)
                elif not known:
                    fresh.append(s)
            pool = exact or fresh
            if pool:
                return pool[0] if len(pool) == 1 else None
        return None

    def write_report(self, run: LabRun) -> None:
        if self.report_dir is None:
            return
        from . import report
        run.report_paths = report.write(run, self.report_dir)

    def close(self) -> None:
        for run in list(self.runs.values()):
            for s in list(run.sessions.values()):
                s.abort()
        self.relay.stop()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
