"""make demo (tools/demo/carkey.py): the car-key example runs green and
its transcript shows every step; a failing step ends it with exit 1, a
line naming the step, and the relay stopped.  Needs ref-relay and tigress
built (make test builds them first)."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DEMO = HERE / "carkey.py"
BINARIES = [HERE.parents[1] / "ref-relay" / "tigress-relay",
            HERE.parents[1] / "ref-client" / "tigress"]
STEPS = ["The relay starts",
         "Ben's phone holds the owner key of the car",
         "Ben's phone shares the car key (stateful flow, rights RWD)",
         "Amit's phone shows the preview, then accepts",
         "Amit's phone makes a key pair and sends its public key",
         "Ben's phone certifies Amit's key and sends it back",
         "Amit's phone receives its credential and checks it",
         "What the relay holds: ciphertext only",
         "Amit's phone deletes the mailbox; it is gone"]


def demo(tmp_path, path=None, keep=None):
    """Run the demo with its temporary files under tmp_path/tmp."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    if path:
        env["PATH"] = path
    argv = [sys.executable, str(DEMO)] + (["--keep", str(keep)] if keep
                                         else [])
    return subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=120)


def relays_left(tmp_path):
    """Processes whose command line names a directory below tmp_path."""
    left = []
    for p in Path("/proc").iterdir():
        try:
            cmd = (p / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if p.name.isdigit() and str(tmp_path) in cmd:
            left.append(cmd.replace("\0", " "))
    return left


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    missing = [str(b) for b in BINARIES if not os.access(b, os.X_OK)]
    if missing:
        pytest.fail("build first (make): %s" % ", ".join(missing))
    d = tmp_path_factory.mktemp("demo")
    return d, demo(d, keep=d / "kept")


def test_runs_green(run):
    d, r = run
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert r.stdout.splitlines()[-1] == "demo: all %d steps held" % len(STEPS)
    assert r.stderr == ""
    assert not relays_left(d)


def test_transcript_shows_every_step(run):
    _, r = run
    heads = re.findall(r"^== Step (\d+)\. (.*)$", r.stdout, re.M)
    assert heads == [(str(i + 1), s) for i, s in enumerate(STEPS)]
    out = r.stdout
    for want in ["ben's phone$ tigress share ", "--stateful",
                 "POST   /v1/m -> 200   (CreateMailbox, http-00 §6.1)",
                 "amit's phone$ tigress accept ",
                 "(ReadSecureContentFromMailbox, §6.5)",
                 "amit's phone$ openssl genpkey ",
                 "\"csr\": \"<CERTIFICATE REQUEST: ",
                 "(UpdateMailbox, §6.2)",
                 "Certificate request self-signature verify OK",
                 "\"certificate\": \"<CERTIFICATE: ",
                 "amit-cert.pem: OK",
                 "the certificate is for Amit's key",
                 "not found: the Secret",
                 "(DeleteMailbox, §6.3)",
                 "-> 404   (ReadDisplayInformationFromMailbox, §6.4)",
                 "relay log: "]:
        assert want in out, want
    # the two messages the phones send go through the mailbox, sealed
    assert out.count("(UpdateMailbox, §6.2)") == 2


def test_never_shows_the_secret(run):
    d, r = run
    url = (d / "kept" / "ben" / "share-url.txt").read_text().strip()
    secret = url.split("#", 1)[1]
    assert len(secret) >= 40 and secret not in r.stdout
    assert "#<the Secret: %d characters, not shown here>" % len(secret) \
        in r.stdout
    for phone in ("ben", "amit"):           # both ended without state
        assert not list((d / "kept" / phone / "state").iterdir())


def test_failing_step_is_named_and_relay_stopped(tmp_path):
    """An openssl that fails: step 2 fails, exit 1, the relay stopped."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "openssl").write_text("#!/bin/sh\necho 'openssl: no entropy' "
                                  ">&2\nexit 3\n")
    (fake / "openssl").chmod(stat.S_IRWXU)
    r = demo(tmp_path, path="%s:%s" % (fake, os.environ["PATH"]))
    assert r.returncode == 1, r.stdout[-2000:]
    last = r.stdout.splitlines()[-2:]
    assert last[0] == "demo: step 2 (Ben's phone holds the owner key of the " \
        "car) failed: openssl exited 3, expected 0", last
    assert last[1] == "    openssl: no entropy"
    assert not relays_left(tmp_path)
    assert not list((tmp_path / "tmp").iterdir())   # its files removed
