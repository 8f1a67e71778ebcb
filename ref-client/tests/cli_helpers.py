"""What the ref-client end-to-end tests share (imported by conftest.py and
the test modules under this unique name): paths, the sample Provisioning
Information, a relay process, and a device that runs `tigress`."""

from __future__ import annotations

import atexit
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parents[1]
CLIENT = REPO / "ref-client" / "tigress"
RELAY = REPO / "ref-relay" / "tigress-relay"

if str(REPO / "conformance") not in sys.path:
    sys.path.insert(0, str(REPO / "conformance"))

LISTEN_RE = re.compile(r"listening on (https?://[0-9.:\[\]a-z]+)"
                       r"(?: \(certificate: ([^)]+)\))?")

_STARTED = []


@atexit.register
def _kill_leftovers():
    """Last resort: no relay outlives the test run."""
    for p in _STARTED:
        if p.poll() is None:
            p.kill()


PI = b'{"format":"digitalwallet.carkey.ccc","content":{"vin":"W0L000051T2123456"}}'


class Relay:
    """A running relay: base_url, ca, data_dir, db (the SQLite file)."""

    def __init__(self, data_dir: Path, flags):
        self.data_dir = data_dir
        self.flags = list(flags)
        self.proc = None
        self.base_url = None
        self.ca = None

    def start(self):
        self.proc = subprocess.Popen(
            [str(RELAY), "--listen", "127.0.0.1:0", "--data-dir",
             str(self.data_dir)] + self.flags,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        _STARTED.append(self.proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = LISTEN_RE.search(line)
            if m:
                self.base_url, self.ca = m.group(1), m.group(2)
                return self
        self.kill()
        raise RuntimeError("the relay did not start")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def mailbox_ids(self):
        """The ids of the mailboxes in the store (read-only)."""
        con = sqlite3.connect("file:%s?mode=ro" % (self.data_dir / "relay.db"),
                              uri=True, timeout=5)
        try:
            return sorted(r[0] for r in con.execute("SELECT id FROM mailbox"))
        finally:
            con.close()

    def py_client(self):
        from tigress_py.client import RelayClient
        return RelayClient(self.base_url, ca=self.ca)


class Device:
    """One device: its own state directory; runs `tigress`."""

    def __init__(self, home: Path, relay: Relay):
        self.home = home
        self.relay = relay
        self.state_dir = home / "state"
        self.env = {k: v for k, v in os.environ.items()
                    if "proxy" not in k.lower()}
        self.env["TIGRESS_STATE_DIR"] = str(self.state_dir)
        self.env["HOME"] = str(home)

    def run(self, *args, ca=True, input=None, timeout=60):
        argv = [str(CLIENT)] + [str(a) for a in args]
        if ca and self.relay is not None:
            argv += ["--ca", self.relay.ca]
        return subprocess.run(argv, env=self.env, input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)

    def popen(self, *args):
        argv = [str(CLIENT)] + [str(a) for a in args]
        return subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def state_files(self):
        if not self.state_dir.exists():
            return []
        return sorted(self.state_dir.glob("*.json"))

    def state(self) -> Path:
        files = self.state_files()
        assert len(files) == 1, files
        return files[0]
