"""Running a client driver (spec/drivers.md): one party, one step per run.

    p = Party(driver, "initiator", home, relay_url, ca, "http-00")
    run = p.step("stateless", "share", data=PI, title="Car key")
    run.exit, run.out, run.stdout, run.stderr

Every run is kept as evidence (DriverRun.to_evidence, shaped like the
relay runner's raw exchanges).  The driver inherits the environment except
the contract's own variables (which are set per step) and any *_proxy
variable; TIGRESS_DRIVER_DEFECTS and the like pass through.  A step that
outlives its timeout is killed (its process group).  The steps running
now are listed by in_flight() (progress announces one that hangs) and
killed by kill_in_flight() (an interrupted run leaves none behind).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

CONTRACT_VARS = ("TIGRESS_ROLE", "TIGRESS_SCENARIO", "TIGRESS_STEP",
                 "TIGRESS_RELAY", "TIGRESS_CA", "TIGRESS_PROFILE",
                 "TIGRESS_STATE_DIR", "TIGRESS_IN", "TIGRESS_OUT",
                 "TIGRESS_URL_FILE", "TIGRESS_TIMEOUT", "TIGRESS_TITLE",
                 "TIGRESS_DESCRIPTION", "TIGRESS_IMAGE", "TIGRESS_VERTICAL",
                 "TIGRESS_ACCESS", "TIGRESS_EXPIRES", "TIGRESS_NOTIFY",
                 "TIGRESS_ATTEST")
UNSUPPORTED = 127
EXCERPT = 4096
EXIT_MEANING = {0: "success", 7: "payload refused", 8: "gone (404)",
                9: "claimed by another device (401)", 127: "unsupported"}
# The issuer of the provision scenario (spec/drivers.md), for `issue`.
CONTRACT_VARS += ("TIGRESS_ISSUER_KEY", "TIGRESS_ISSUER_CERT")


def _kill(p: subprocess.Popen) -> None:
    """Kill a driver run and whatever it started (its process group)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass


# The driver steps running now: id(run) -> (what, monotonic start, process)
_IN_FLIGHT: Dict[int, tuple] = {}
_IN_FLIGHT_LOCK = threading.Lock()


def in_flight() -> List[Tuple[str, float]]:
    """[(what, monotonic start)] of the driver steps running now, e.g.
    ('driver step "initiator stateful receive" of my-driver', 1234.5)."""
    with _IN_FLIGHT_LOCK:
        return [(what, t0) for what, t0, _ in _IN_FLIGHT.values()]


def kill_in_flight() -> None:
    """Kill every driver step still running (an interrupted run)."""
    with _IN_FLIGHT_LOCK:
        procs = [p for _, _, p in _IN_FLIGHT.values()]
    for p in procs:
        _kill(p)


def base_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in CONTRACT_VARS and "proxy" not in k.lower()}
    env.update(extra or {})
    return env


def _excerpt(b: bytes) -> str:
    s = b.decode("utf-8", "replace")
    if len(s) > EXCERPT:
        s = s[:EXCERPT // 2] + "\n[... %d characters ...]\n" % (
            len(s) - EXCERPT) + s[-EXCERPT // 2:]
    return s


class DriverRun:
    """One driver invocation and what came of it."""

    def __init__(self, party: "Party", scenario: str, step: str,
                 env: Dict[str, str]):
        self.party = party.name
        self.driver = party.driver
        self.role = party.role
        self.scenario = scenario
        self.step = step
        self.env = {k: v for k, v in env.items() if k in CONTRACT_VARS}
        self.input: Optional[bytes] = None     # TIGRESS_IN content
        self.url: Optional[str] = None         # TIGRESS_URL_FILE content
        self.exit: Optional[int] = None
        self.timed_out = False
        self.stdout = b""
        self.stderr = b""
        self.out: Optional[bytes] = None       # TIGRESS_OUT, None if absent
        self.started = time.time()
        self.elapsed = 0.0
        self.expected: Optional[int] = None    # set by the scenario
        self.note = ""
        # False when the party chose its content and settings itself (a
        # device in the lab) instead of the TIGRESS_IN and TIGRESS_* given
        self.as_asked = True

    @property
    def label(self) -> str:
        who = self.role if self.party == self.role else "%s (%s)" % (
            self.party, self.role)
        return "%s %s %s" % (who, self.scenario, self.step)

    @property
    def unsupported(self) -> bool:
        return self.exit == UNSUPPORTED

    def last_error(self) -> str:
        lines = [ln for ln in self.stderr.decode("utf-8", "replace")
                 .splitlines() if ln.strip()]
        return lines[-1].strip()[:200] if lines else "(nothing on stderr)"

    def describe(self) -> str:
        if self.timed_out:
            return "%s: killed after %.0f s" % (self.label, self.elapsed)
        what = EXIT_MEANING.get(self.exit, "failed")
        s = "%s: exit %s (%s)" % (self.label, self.exit, what)
        if self.exit:
            s += ": %s" % self.last_error()
        return s

    def to_evidence(self, max_body: int = 4096) -> dict:
        req = "%s %s %s %s\n" % (Path(self.driver).name, self.role,
                                 self.scenario, self.step)
        req += "".join("%s=%s\n" % kv for kv in sorted(self.env.items()))
        if self.url is not None:
            req += "\nTIGRESS_URL_FILE holds: %s\n" % self.url
        if self.input is not None:
            req += "\nTIGRESS_IN holds: %s\n" % self.input.decode(
                "utf-8", "replace")[:max_body]
        resp = "exit %s%s\n\nstdout:\n%s\nstderr:\n%s" % (
            self.exit, " (killed: timeout)" if self.timed_out else "",
            _excerpt(self.stdout), _excerpt(self.stderr))
        if self.out is not None:
            resp += "\nTIGRESS_OUT holds: %s" % self.out.decode(
                "utf-8", "replace")[:max_body]
        def body(text: str) -> dict:
            b = text.encode("utf-8", "replace")
            return {"encoding": "utf-8", "length": len(b), "data": text,
                    "truncated": False,
                    "sha256": hashlib.sha256(b).hexdigest()}
        return {
            "raw": True, "driver": True,
            "description": "driver: %s -> exit %s" % (self.label, self.exit),
            "request": {"method": "RUN", "url": self.label, "headers": [],
                        "body": body(req)},
            "response": {"status": self.exit, "reason": "", "headers": [],
                         "body": body(resp)},
            "transport_error": None, "note": self.note,
            "started": self.started, "elapsed": self.elapsed,
        }


class Party:
    """A driver in one role with its own state directory."""

    def __init__(self, driver: str, role: str, home: Path, relay_url: str,
                 ca: Optional[str], profile: str = "http-00",
                 name: Optional[str] = None, timeout: float = 20.0,
                 env: Optional[Dict[str, str]] = None,
                 runs: Optional[List[DriverRun]] = None):
        self.driver = str(driver)
        self.role = role
        self.name = name or role
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "state").mkdir(mode=0o700, exist_ok=True)
        self.relay_url = relay_url
        self.ca = ca
        self.profile = profile
        self.timeout = timeout          # TIGRESS_TIMEOUT of receive steps
        self.env = dict(env or {})
        self.runs = runs if runs is not None else []
        self.n = 0

    def step(self, scenario: str, step: str, data: Optional[bytes] = None,
             url: Optional[str] = None, expect: Optional[int] = None,
             **display) -> DriverRun:
        """Run one step.  `data` goes to TIGRESS_IN, `url` to
        TIGRESS_URL_FILE; `display` sets TIGRESS_TITLE, _DESCRIPTION,
        _IMAGE, _VERTICAL, _ACCESS, _EXPIRES, _NOTIFY, _ATTEST (lower-case
        keys)."""
        self.n += 1
        io = self.home / ("%02d-%s" % (self.n, step))
        env = base_env(self.env)
        env.update({
            "TIGRESS_ROLE": self.role, "TIGRESS_SCENARIO": scenario,
            "TIGRESS_STEP": step, "TIGRESS_RELAY": self.relay_url,
            "TIGRESS_CA": self.ca or "", "TIGRESS_PROFILE": self.profile,
            "TIGRESS_STATE_DIR": str(self.home / "state"),
            "TIGRESS_OUT": str(io) + ".out",
            "TIGRESS_TIMEOUT": "%d" % self.timeout})
        for k, v in display.items():
            if v is not None:
                env["TIGRESS_" + k.upper()] = str(v)
        run = DriverRun(self, scenario, step, env)
        run.expected = expect
        if data is not None:
            Path(str(io) + ".in").write_bytes(data)
            env["TIGRESS_IN"] = str(io) + ".in"
            run.input = data
            run.env["TIGRESS_IN"] = env["TIGRESS_IN"]
        if url is not None:
            Path(str(io) + ".url").write_text(url + "\n", encoding="utf-8")
            env["TIGRESS_URL_FILE"] = str(io) + ".url"
            run.url = url
            run.env["TIGRESS_URL_FILE"] = env["TIGRESS_URL_FILE"]
        limit = self.timeout + 40.0
        # started and elapsed from the same instant, so that every request
        # of the run has a time within [started, started + elapsed] (the
        # files above can take a while to write on a loaded machine)
        run.started, t0 = time.time(), time.monotonic()
        try:
            p = subprocess.Popen([self.driver, self.role, scenario, step],
                                 env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE,
                                 start_new_session=True)
        except OSError as e:
            run.exit = 126
            run.stderr = ("cannot run the driver: %s%s" % (
                (e.strerror or str(e)).lower(), " (not a program, or its #! "
                "line names no interpreter)" if e.errno == 8 else "")
                ).encode()
            self.runs.append(run)
            return run
        what = 'driver step "%s" of %s' % (run.label,
                                           Path(self.driver).name)
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT[id(run)] = (what, t0, p)
        try:
            run.stdout, run.stderr = p.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            run.timed_out = True
            _kill(p)
            run.stdout, run.stderr = p.communicate()
        except BaseException:           # interrupted: leave nothing behind
            _kill(p)
            p.wait()
            raise
        finally:
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT.pop(id(run), None)
        run.exit = p.returncode
        run.elapsed = time.monotonic() - t0
        out = Path(env["TIGRESS_OUT"])
        if out.exists():
            run.out = out.read_bytes()
        self.runs.append(run)
        return run
