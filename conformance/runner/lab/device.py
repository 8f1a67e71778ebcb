"""The device under test as a party of a client-suite session: instead of
running a driver (runner/core/driver.py), each step waits until the
tester reports on the lab page what the device did, or until a program
reports it through /lab/api/ (exit status and outputs, as a driver run).

    party = DeviceParty(session, "recipient", "recipient")
    run = party.step("stateless", "accept", url=share_url)   # blocks
    run.exit, run.out                                        # as reported

A report from the page gives an outcome (scenarios.OUTCOMES), the share URL
of a share step, and what the device said.  When the tester says the device
shows the key, the lab takes as its output what it served to the device
(the payload it read in the step, opened with the Secret the lab knows):
the client cases compare it with what was sealed, as they compare a
driver's TIGRESS_OUT.
"""

from __future__ import annotations

import time
from typing import Dict, Optional

from tigress_py import payload as tpayload
from tigress_py.errors import TigressError

from ..core.driver import DriverRun
from ..core.records import body_json, op_of
from ..client.testrelay import is_peer
from .scenarios import OUTCOMES

MAX_TEXT = 65536         # characters kept of each reported output


class DeviceRun(DriverRun):
    """One step of the device, as reported."""

    def __init__(self, party: "DeviceParty", scenario: str, step: str,
                 env: Dict[str, str]):
        super().__init__(party, scenario, step, env)
        self.reported_by = ""

    def to_evidence(self, max_body: int = 4096) -> dict:
        ev = super().to_evidence(max_body)
        ev["device"] = True
        ev["description"] = "device: %s -> exit %s (reported %s)" % (
            self.label, self.exit, self.reported_by)
        return ev


def _text(answer: dict, key: str) -> bytes:
    v = answer.get(key)
    return b"" if v is None else str(v)[:MAX_TEXT].encode("utf-8")


class DeviceParty:
    """A party of a session played by the device under test; `session` is
    the lab's (state.LabSession: ask(), plaintext_served())."""

    driver = "device"

    def __init__(self, session, role: str, name: str):
        self.session = session
        self.role = role
        self.name = name

    def step(self, scenario: str, step: str, data: Optional[bytes] = None,
             url: Optional[str] = None, expect: Optional[int] = None,
             **display) -> DeviceRun:
        settings = {k: str(v) for k, v in display.items() if v is not None}
        env = {"TIGRESS_ROLE": self.role, "TIGRESS_SCENARIO": scenario,
               "TIGRESS_STEP": step, "TIGRESS_RELAY": self.session.relay_url,
               "TIGRESS_PROFILE": self.session.profile}
        env.update({"TIGRESS_" + k.upper(): v for k, v in settings.items()})
        run = DeviceRun(self, scenario, step, env)
        run.expected = expect
        run.url = url
        answer = self.session.ask(self, run, data, settings)
        self._fill(run, answer, data)
        self.session.runs.append(run)
        return run

    def _fill(self, run: DeviceRun, answer: dict, data) -> None:
        run.elapsed = time.time() - run.started
        if "exit" in answer:                       # a program, through the API
            run.reported_by = "through /lab/api/"
            run.exit = int(answer["exit"])
            run.out = None if answer.get("out") is None else \
                _text(answer, "out")
            run.stdout, run.stderr = _text(answer, "stdout"), \
                _text(answer, "stderr")
            run.as_asked = bool(answer.get("as_asked", True))
        else:                                      # a person, on the page
            run.reported_by = "by the tester on the lab page"
            outcome = answer["outcome"]
            run.exit = OUTCOMES[outcome][0]
            run.stderr = _text(answer, "note")
            run.as_asked = bool(answer.get("as_asked", False))
            run.note = "the tester: %s" % OUTCOMES[outcome][1]
            if run.step == "share" and outcome == "ok":
                run.out = _text(answer, "url") + b"\n"
            elif outcome == "ok" and run.step in ("accept", "receive"):
                run.out = self.session.plaintext_served(run) or (
                    b"(the tester says the device shows it, but it read "
                    b"nothing the lab can open)")
            elif outcome == "already":
                before = [r for r in self.session.runs if r.party == self.name]
                if before:      # the window of the step in which it happened
                    run.started = before[-1].started
                    run.elapsed = time.time() - run.started
        run.input = data if run.as_asked else None


def opened(records, secrets) -> Optional[bytes]:
    """The plaintext of the last 200 read answer among `records` (the
    device's) that opens under one of `secrets`."""
    for r in reversed(records):
        if is_peer(r) or op_of(r) != "read" or r["status"] != 200:
            continue
        obj = body_json(r, "response_body")
        p = obj.get("payload") if isinstance(obj, dict) else None
        for secret in secrets:
            try:
                return tpayload.open(p, secret)
            except (TigressError, TypeError, ValueError):
                continue
    return None
