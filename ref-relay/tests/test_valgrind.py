"""valgrind memcheck of the relay through a whole conformance run (issue
10 point 9): every case of tools/tigress-conformance against a relay under
memcheck, with reduced sizes (--id-sample 64 --race-trials 4) so that it
takes about a minute; then a clean stop.  No memcheck error, no leak.
It runs in the background from the start of the session
(relay_proc.Background)."""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from relay_proc import REPO, background, private_relay, register_background

VALGRIND = shutil.which("valgrind")
TIMEOUT = 600


def _run_valgrind():
    if VALGRIND is None:
        return None
    log = Path(tempfile.mkdtemp(prefix="tigress-memcheck-")) / "log"
    memcheck = [VALGRIND, "--tool=memcheck", "--leak-check=full",
                "--errors-for-leak-kinds=definite", "--error-exitcode=99",
                "--log-file=%s" % log]
    with private_relay("tigress-valgrind-", memcheck, 120) as (relay, d):
        r = subprocess.run(
            [sys.executable, str(REPO / "tools" / "tigress-conformance"),
             "relay", relay.base_url, "--ca", relay.ca, "--strict-errata",
             "--id-sample", "64", "--race-trials", "4", "-q"],
            capture_output=True, text=True, timeout=TIMEOUT)
        status = relay.stop(timeout=120)
    text = log.read_text()
    shutil.rmtree(log.parent, ignore_errors=True)
    return r, status, text


register_background(__name__, _run_valgrind)


def test_memcheck_through_a_conformance_run():
    if VALGRIND is None:
        pytest.skip("valgrind is not installed (make deps)")
    run, status, log = background(__name__).result(TIMEOUT + 180)
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", log)
    lost = re.search(r"definitely lost: ([\d,]+) bytes", log)
    print("conformance under memcheck: %s; %s; definitely lost: %s bytes" %
          (run.stdout.strip().splitlines()[-1] if run.stdout else "?",
           summary.group(0) if summary else "no summary",
           lost.group(1) if lost else "0"))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert summary is not None, log[-3000:]
    assert summary.group(1) == "0", log[-6000:]
    assert status == 0, "relay exit status %s under memcheck\n%s" % (
        status, log[-3000:])
