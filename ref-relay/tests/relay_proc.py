"""Relay processes of the integration tests, and the slow checks that run
beside the others (testssl.sh, valgrind); conftest.py makes fixtures of
them.  A module of its own so that tests can import it by a name no
other test directory uses (every conftest.py is "conftest").

The relay is built once per session (`make -C REPO ref-relay/tigress-relay`)
and started by a factory:

    tigress-relay --listen 127.0.0.1:0 --data-dir TMP [flags]

The factory reads the relay's output until the line

    tigress-relay: listening on https://127.0.0.1:PORT (certificate: PATH)

(`http://...` with --insecure-http, where the certificate part may be
absent).  Every relay process started is killed at teardown, even when a
test fails, and again at interpreter exit as a last resort.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


TESTS = Path(__file__).resolve().parent
REPO = TESTS.parents[1]
BINARY = REPO / "ref-relay" / "tigress-relay"

for p in (str(REPO / "conformance"), str(TESTS)):
    if p not in sys.path:
        sys.path.insert(0, p)

from tigress_py.client import RelayClient  # noqa: E402

LISTEN_RE = re.compile(
    r"tigress-relay: listening on (?P<url>https?://[^\s()]+?)/?"
    r"(?:\s+\(certificate: (?P<cert>[^)]+)\))?\s*$")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

_ALL_PROCS: list = []
_ALL_LOCK = threading.Lock()


def _kill_all_at_exit() -> None:
    with _ALL_LOCK:
        procs = list(_ALL_PROCS)
    for p in procs:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except Exception:
                pass


atexit.register(_kill_all_at_exit)


class RelayStartError(Exception):
    pass


class Relay:
    """One relay (one data directory and one set of flags), started,
    stopped and restarted any number of times.

    base_url, ca (certificate path or None), data_dir, process, flags,
    stdout/stderr (lists of lines of every incarnation), listen_line,
    listen_stream ("stdout" or "stderr").
    """

    def __init__(self, binary: Path, data_dir: Path, flags, profile,
                 wrapper=None, preexec=None):
        self.wrapper = list(wrapper or [])
        self.preexec = preexec
        self.binary = Path(binary)
        self.data_dir = Path(data_dir)
        self.flags = [str(f) for f in flags]
        self.insecure = "--insecure-http" in self.flags
        self.profile = profile
        self.process = None
        self.base_url = None
        self.ca = None
        self.port = None
        self.listen_line = None
        self.listen_stream = None
        self.stdout: list = []
        self.stderr: list = []
        self.argv = None
        self.starts = 0
        self._lines: "queue.Queue" = queue.Queue()
        self._readers: list = []

    # -- life cycle ------------------------------------------------------------
    def _reader(self, stream, sink, name, q):
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                sink.append(line)
                q.put((name, line))
        except (ValueError, OSError):
            pass
        finally:
            q.put((name, None))

    def start(self, timeout: float = START_TIMEOUT) -> "Relay":
        assert self.process is None or self.process.poll() is not None, \
            "relay already running"
        self.argv = self.wrapper + [
            str(self.binary), "--listen", "127.0.0.1:0",
            "--data-dir", str(self.data_dir)] + self.flags
        q: "queue.Queue" = queue.Queue()
        self._lines = q
        proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                start_new_session=True,
                                preexec_fn=self.preexec)
        with _ALL_LOCK:
            _ALL_PROCS.append(proc)
        self.process = proc
        self.starts += 1
        self._readers = []
        for stream, sink, name in ((proc.stdout, self.stdout, "stdout"),
                                   (proc.stderr, self.stderr, "stderr")):
            t = threading.Thread(target=self._reader,
                                 args=(stream, sink, name, q), daemon=True)
            t.start()
            self._readers.append(t)
        deadline = time.monotonic() + timeout
        closed = set()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill9()
                raise RelayStartError(
                    "no 'listening on' line within %.0fs from %s\n%s"
                    % (timeout, " ".join(self.argv), self.output_text()))
            try:
                name, line = q.get(timeout=min(left, 0.5))
            except queue.Empty:
                if proc.poll() is not None and len(closed) == 2:
                    break
                continue
            if line is None:
                closed.add(name)
                if len(closed) == 2:
                    break
                continue
            m = LISTEN_RE.search(line)
            if m:
                self.listen_line = line
                self.listen_stream = name
                self.base_url = m.group("url").rstrip("/")
                self.ca = m.group("cert").strip() if m.group("cert") else None
                self.port = int(self.base_url.rsplit(":", 1)[1])
                return self
        rc = proc.wait(5)
        raise RelayStartError("relay exited (status %s) before listening: %s"
                              "\n%s" % (rc, " ".join(self.argv),
                                        self.output_text()))

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _join_readers(self):
        for t in self._readers:
            t.join(5)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM and wait; returns the exit status.  A relay that does
        not exit within `timeout` is killed and the test fails."""
        p = self.process
        if p is None:
            return 0
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
                self._join_readers()
                raise AssertionError(
                    "relay did not exit within %.0fs of SIGTERM" % timeout)
        self._join_readers()
        return p.returncode

    def kill9(self) -> None:
        p = self.process
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(10)
        self._join_readers()

    def restart(self, timeout: float = START_TIMEOUT) -> "Relay":
        """Stop (SIGTERM) if running, then start again with the same data
        directory and flags (the port may change)."""
        if self.running:
            self.stop()
        return self.start(timeout)

    def cleanup(self) -> None:
        p = self.process
        if p is not None and p.poll() is None:
            try:
                p.kill()
                p.wait(10)
            except Exception:
                pass
        self._join_readers()
        for s in (getattr(p, "stdout", None), getattr(p, "stderr", None)):
            try:
                if s:
                    s.close()
            except Exception:
                pass

    # -- helpers ---------------------------------------------------------------
    def client(self, **kw) -> RelayClient:
        kw.setdefault("profile", self.profile)
        if self.base_url.startswith("https://"):
            kw.setdefault("ca", self.ca if self.ca else None)
        return RelayClient(self.base_url, **kw)

    def output_text(self) -> str:
        return "\n".join(["--- stdout ---"] + self.stdout +
                         ["--- stderr ---"] + self.stderr)


# ---- building ---------------------------------------------------------------

def build_relay() -> Path:
    """The relay binary, built if needed; RelayStartError when the build
    fails.  TIGRESS_RELAY_BINARY names another binary to test instead
    (e.g. an older build, to see a test fail on it); nothing is built
    then."""
    other = os.environ.get("TIGRESS_RELAY_BINARY")
    if other:
        return Path(other)
    r = subprocess.run(["make", "-C", str(REPO), "ref-relay/tigress-relay"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=1200)
    if r.returncode != 0:
        raise RelayStartError("make ref-relay/tigress-relay failed (status "
                              "%d):\n%s" % (r.returncode, r.stdout[-4000:]))
    if not os.access(BINARY, os.X_OK):
        raise RelayStartError("%s was not built" % BINARY)
    return BINARY

# ---- checks that run beside the others ------------------------------------------

class Background:
    """A slow check (testssl.sh, valgrind) run in a thread from the end of
    collection, so that its minute of mostly waiting overlaps the other
    tests; the test that owns it collects the result."""

    def __init__(self, fn):
        self.fn = fn
        self.value = self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.value = self.fn()
        except BaseException as e:      # reported by result()
            self.error = e

    def start(self):
        self.thread.start()
        return self

    def result(self, timeout):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError("background check still running after "
                                 "%.0f s" % timeout)
        if self.error is not None:
            raise self.error
        return self.value


_BACKGROUND_FNS: dict = {}
_BACKGROUND: dict = {}


@contextlib.contextmanager
def private_relay(prefix: str, wrapper=None, timeout=START_TIMEOUT):
    """A relay of its own outside the fixtures (for a Background check),
    in a fresh temporary directory; yields (relay, directory) and always
    stops and removes both."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    relay = Relay(build_relay(), d / "data", [], "http-00", wrapper)
    try:
        relay.start(timeout)
        yield relay, d
    finally:
        relay.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def register_background(module: str, fn) -> None:
    """Have fn() start in the background when a test of module (its
    __name__) is collected; the test gets it from background(module)."""
    _BACKGROUND_FNS[module] = fn


def background(module: str) -> Background:
    if module not in _BACKGROUND:
        _BACKGROUND[module] = Background(_BACKGROUND_FNS[module]).start()
    return _BACKGROUND[module]


def track(proc) -> None:
    """Have a process of a test killed at exit if it is still running."""
    with _ALL_LOCK:
        _ALL_PROCS.append(proc)
