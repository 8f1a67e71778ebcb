"""Fixtures of the relay integration tests: the relay binary, built once
per session, and factories of relays (relay_proc.py starts and stops
them), killed at teardown even when a test fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from relay_proc import (Relay, RelayStartError, START_TIMEOUT,  # noqa: F401
                        _BACKGROUND_FNS, background, build_relay)


@pytest.fixture(scope="session")
def relay_binary() -> Path:
    """Build the relay once per session; a failed build fails the tests."""
    try:
        return build_relay()
    except RelayStartError as e:
        pytest.fail(str(e), pytrace=False)


def pytest_collection_finish(session):
    # Under pytest-xdist every worker collects every test: a check starts
    # when its test runs, on the worker that runs it (the other workers
    # are the overlap then).
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    wanted = {getattr(item.module, "__name__", "") for item in session.items
              if getattr(item, "module", None) is not None}
    for module in sorted(wanted & set(_BACKGROUND_FNS)):
        background(module)


# ---- factories --------------------------------------------------------------

class RelayFactory:
    def __init__(self, binary, tmp_path_factory):
        self.binary = binary
        self.tmp = tmp_path_factory
        self.relays: list = []

    def __call__(self, *flags, tls: bool = True, data_dir=None,
                 start: bool = True, wrapper=None, preexec=None,
                 timeout: float = START_TIMEOUT) -> Relay:
        """Start a relay with the given extra flags.  tls=False adds
        --insecure-http.  A profile flag (--profile X) is noted so that its
        clients use the right header names.  wrapper: argv words before
        the binary (valgrind, unshare); preexec: run in the child before
        exec (limits, umask)."""
        flags = list(flags)
        if not tls and "--insecure-http" not in flags:
            flags.append("--insecure-http")
        profile = "http-00"
        if "--profile" in flags:
            profile = flags[flags.index("--profile") + 1]
        d = Path(data_dir) if data_dir else self.tmp.mktemp("relay-data")
        r = Relay(self.binary, d, flags, profile, wrapper, preexec)
        self.relays.append(r)
        if start:
            r.start(timeout)
        return r

    def cleanup(self):
        for r in self.relays:
            r.cleanup()


@pytest.fixture
def relay_factory(relay_binary, tmp_path_factory):
    """Function-scoped: start relays with extra flags; all are killed at
    the end of the test."""
    f = RelayFactory(relay_binary, tmp_path_factory)
    try:
        yield f
    finally:
        f.cleanup()


@pytest.fixture(scope="module")
def module_relay_factory(relay_binary, tmp_path_factory):
    """Module-scoped factory, for relays shared by the tests of a file."""
    f = RelayFactory(relay_binary, tmp_path_factory)
    try:
        yield f
    finally:
        f.cleanup()


@pytest.fixture(scope="module")
def relay(module_relay_factory) -> Relay:
    """A TLS relay with the default settings, shared by a test module."""
    return module_relay_factory()


@pytest.fixture
def client(relay):
    """A client of the shared relay.  After the test, the relay must still
    be running: a crash shows up as an error of the test that caused it."""
    assert relay.running, "the shared relay is not running:\n" + \
        relay.output_text()[-3000:]
    c = relay.client()
    yield c
    c.close()
    assert relay.running, "the relay died during this test (status %s):\n%s" \
        % (relay.process.returncode, relay.output_text()[-3000:])
