"""TLS grade (issue 10 point 8): Debian's testssl.sh against the relay
finds no protocol below TLS 1.2, no weak cipher and no finding of severity
MEDIUM or higher among the checks it runs: protocols (-p), cipher
categories (-s) and the known vulnerabilities (-U: Heartbleed, CCS,
ROBOT, renegotiation, CRIME, BREACH, POODLE, SWEET32, BEAST, LUCKY13,
...).  Not the certificate checks: the test relay's certificate is a
self-signed one made for 127.0.0.1, whose chain of trust and revocation
findings say nothing about the relay.  testssl.sh takes two minutes or so
here, so it runs in the background from the start of the session
(relay_proc.Background); skipped with a message when testssl.sh is not
installed."""

import json
import os
import shutil
import signal
import subprocess

import pytest

from relay_proc import background, private_relay, register_background, track

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
CHECKS = ["-p", "-s", "-U"]
TIMEOUT = 420           # seconds; it is slow on a loaded machine
WEAK = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "cipherlist_NULL",
        "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
        "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"]


def _run_testssl():
    if TESTSSL is None:
        return None
    with private_relay("tigress-testssl-") as (relay, d):
        out = d / "testssl.json"
        p = subprocess.Popen(
            [TESTSSL, "--quiet", "--color", "0", "--warnings", "off",
             "--nodns", "min", "--jsonfile", str(out)] + CHECKS +
            ["127.0.0.1:%d" % relay.port],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        track(p)
        try:
            text, _ = p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
            raise AssertionError("testssl.sh ran over %d s" % TIMEOUT)
        return text, json.loads(out.read_text())


register_background(__name__, _run_testssl)


def test_testssl_grade():
    if TESTSSL is None:
        pytest.skip("testssl.sh is not installed (make deps installs "
                    "testssl.sh): the TLS grade was not checked")
    text, findings = background(__name__).result(TIMEOUT + 120)
    by_id = {f["id"]: f for f in findings}
    print("testssl.sh %s: %s" % (" ".join(CHECKS), ", ".join(
        "%s=%s" % (f["id"], f["finding"]) for f in findings
        if f["id"] in WEAK + ["TLS1_2", "TLS1_3", "cipherlist_STRONG"])))
    for name in WEAK:
        assert name in by_id, "testssl.sh did not report %s:\n%s" % (
            name, text[-2000:])
        assert by_id[name]["finding"].startswith("not offered"), \
            by_id[name]
    assert by_id["TLS1_3"]["finding"].startswith("offered"), by_id["TLS1_3"]
    bad = [f for f in findings
           if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL")]
    assert not bad, bad
