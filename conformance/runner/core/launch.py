"""Starting and stopping a relay for a run: the bundled ref-relay
(`--start-ref`) or the deliberately broken Python relay (`--start-broken`).

Both print, once they accept connections,

    tigress-relay: listening on https://127.0.0.1:PORT (certificate: PATH)

which gives the URL and the certificate to trust.  `stop()` always ends the
process (SIGTERM, then SIGKILL) and removes the temporary data directory.
"""

from __future__ import annotations

import atexit
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import List, Optional, Sequence

CORE = Path(__file__).resolve().parent
REPO = CORE.parents[2]
REF_RELAY = REPO / "ref-relay" / "tigress-relay"     # in a built checkout
BROKEN_RELAY = CORE.parents[1] / "brokenrelay"      # also when installed
PYTHON = "/usr/bin/python3"

CONTROL_RE = re.compile(r"control on (?P<url>http://[^\s()]+?)/?\s*$")
LISTEN_RE = re.compile(
    r"^(?P<who>[\w.-]+): listening on (?P<url>https?://[^\s()]+?)/?"
    r"(?:\s+\(certificate: (?P<cert>[^)]+)\))?\s*$")

_RUNNING: List["Launched"] = []


class LaunchError(Exception):
    pass


class Launched:
    """A relay process started for a run."""

    def __init__(self, argv: Sequence[str], data_dir: Path, owns_dir: bool,
                 name: str = "relay", cwd: Optional[str] = None,
                 env: Optional[dict] = None):
        self.name = name
        self.cwd = cwd
        self.env = env
        self.control: Optional[str] = None   # a control endpoint's URL
        self.argv = list(argv)
        self.data_dir = data_dir
        self.owns_dir = owns_dir
        self.process: Optional[subprocess.Popen] = None
        self.base_url: Optional[str] = None
        self.ca: Optional[str] = None
        self.output: List[str] = []
        self._lines: "queue.Queue" = queue.Queue()

    def _reader(self, stream, name):
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.output.append(line)
                self._lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            self._lines.put(None)

    def start(self, timeout: float = 30.0) -> "Launched":
        try:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True, cwd=self.cwd,
                env=self.env)
        except OSError as e:
            self.stop()
            raise LaunchError("%s cannot be run: %s" % (
                self.argv[0], (e.strerror or str(e)).lower()))
        _RUNNING.append(self)
        for stream, name in ((self.process.stdout, "stdout"),
                             (self.process.stderr, "stderr")):
            threading.Thread(target=self._reader, args=(stream, name),
                             daemon=True).start()
        deadline = time.monotonic() + timeout
        closed = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or closed == 2:
                self.stop()
                said = [ln.strip() for ln in self.output if ln.strip()]
                raise LaunchError("%s %s%s" % (
                    self.name, "exited before it listened" if closed == 2
                    else "did not say 'listening on' within %g s" % timeout,
                    ": %s" % said[-1][:300] if said else ""))
            try:
                line = self._lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if line is None:
                closed += 1
                continue
            if self._ready(line):
                return self

    def _ready(self, line: str) -> bool:
        """Take in one line of the relay's output; True once it listens."""
        c = CONTROL_RE.search(line)
        if c:
            self.control = c.group("url")
        m = LISTEN_RE.match(line)
        if m:
            self.base_url = m.group("url")
            self.ca = m.group("cert")
        return m is not None

    def stop(self) -> None:
        p = self.process
        if p is not None and p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
            except OSError:
                pass
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _stop_all() -> None:
    for r in list(_RUNNING):
        r.stop()


atexit.register(_stop_all)


def start_ref(binary: Optional[str] = None, profile: str = "http-00",
              extra: Sequence[str] = ()) -> Launched:
    """Start ref-relay on 127.0.0.1 (ephemeral port, self-signed
    certificate, SQLite in a temporary data directory)."""
    b = Path(binary) if binary else REF_RELAY
    if not b.exists():
        raise LaunchError("%s is not built: run make in the checkout (or "
                          "give --ref-binary PATH)" % b)
    d = Path(tempfile.mkdtemp(prefix="tigress-conformance-"))
    argv = [str(b), "--listen", "127.0.0.1:0", "--data-dir", str(d)]
    if profile != "http-00":
        argv += ["--profile", profile]
    argv += list(extra)
    return Launched(argv, d, True, "ref-relay").start()


def start_broken(defects: Sequence[str] = (), profile: str = "http-00",
                 extra: Sequence[str] = ()) -> Launched:
    """Start the broken relay (conformance/brokenrelay) with `defects`
    (none: it behaves correctly)."""
    d = Path(tempfile.mkdtemp(prefix="tigress-brokenrelay-"))
    argv = [PYTHON, str(BROKEN_RELAY), "--listen", "127.0.0.1:0",
            "--data-dir", str(d), "--profile", profile]
    for x in defects:
        argv += ["--defect", x]
    argv += list(extra)
    name = "brokenrelay" + (" (%s)" % ", ".join(defects) if defects else "")
    return Launched(argv, d, True, name).start()


EACH_RE = re.compile(r"^tigress-relay \((?P<name>[\w.+-]+)\): listening on "
                     r"(?P<url>https://\S+?)/? "
                     r"\(certificate: (?P<cert>[^)]+)\)")


class LaunchedEach(Launched):
    """The broken relay serving one relay per defect (--each-defect):
    `urls` maps each item (a defect, 'none', or defects joined by '+') to
    its relay's URL."""

    def __init__(self, argv, data_dir: Path, names: Sequence[str]):
        super().__init__(argv, data_dir, True, "brokenrelay (%d relays)" %
                         len(names))
        self.names = list(names)
        self.urls: dict = {}

    def _ready(self, line: str) -> bool:
        m = EACH_RE.match(line)
        if m:
            self.urls[m.group("name")] = m.group("url")
            self.ca = m.group("cert")
        return set(self.names) <= set(self.urls)


def start_broken_each(defects: Sequence[str], profile: str = "http-00"
                      ) -> LaunchedEach:
    """One broken-relay process with one relay per item of `defects` (a
    defect; 'none', the correct relay; 'a+b', a relay with both)."""
    d = Path(tempfile.mkdtemp(prefix="tigress-brokenrelay-"))
    argv = [PYTHON, str(BROKEN_RELAY), "--listen", "127.0.0.1:0",
            "--data-dir", str(d), "--profile", profile, "--each-defect",
            ",".join(defects)]
    return LaunchedEach(argv, d, defects).start()


def on_signals_exit() -> dict:
    """Turn SIGTERM and SIGHUP into SystemExit so that `finally` blocks
    (which stop a started relay) run.  Returns the previous handlers for
    restore_signals()."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    old = {}
    for s in (signal.SIGTERM, signal.SIGHUP):
        try:
            old[s] = signal.signal(s, handler)
        except (ValueError, OSError):       # not the main thread
            pass
    return old


def restore_signals(old: dict) -> None:
    for s, h in old.items():
        signal.signal(s, h)
