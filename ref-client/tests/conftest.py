"""Fixtures of the ref-client end-to-end tests.

`make ref-client/tigress ref-relay/tigress-relay` runs once per session;
each test module gets its own relay:

    tigress-relay --listen 127.0.0.1:0 --data-dir TMP

over TLS, whose generated certificate the client trusts with --ca.  Every
relay is killed at teardown, even when a test fails.  `tigress` runs as a
subprocess with a scrubbed environment (no proxies, a private state
directory per device).  The classes live in cli_helpers.py.
"""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_helpers import CLIENT, PI, RELAY, REPO, Device, Relay  # noqa: E402


@pytest.fixture(scope="session")
def binaries():
    r = subprocess.run(["make", "-C", str(REPO), "ref-client/tigress",
                        "ref-relay/tigress-relay"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail("build failed:\n" + r.stdout[-4000:], pytrace=False)
    return CLIENT, RELAY


@pytest.fixture(scope="module")
def relay(binaries, tmp_path_factory):
    r = Relay(tmp_path_factory.mktemp("relay"), [])
    r.start()
    try:
        yield r
    finally:
        r.kill()


@pytest.fixture
def relay_factory(binaries, tmp_path_factory):
    """Start relays with extra flags; all are killed after the test."""
    started = []

    def make(*flags):
        r = Relay(tmp_path_factory.mktemp("relay"), flags)
        started.append(r)
        return r.start()
    try:
        yield make
    finally:
        for r in started:
            r.kill()


@pytest.fixture
def devices(tmp_path, relay):
    """A factory of devices on the module's relay."""
    n = [0]

    def make(r=None):
        n[0] += 1
        d = tmp_path / ("device%d" % n[0])
        d.mkdir()
        return Device(d, r or relay)
    return make


@pytest.fixture
def pi_file(tmp_path):
    p = tmp_path / "pi.json"
    p.write_bytes(PI)
    return p
