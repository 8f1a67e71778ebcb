"""The two client drivers of conformance/drivers/ through ref-relay: the 2x2
interop of {ref-client-driver, py-client-driver} as initiator and
recipient over the scenarios of spec/drivers.md (stateless, stateful,
cancel, second-recipient, relinquish), and exit 127 for what a driver does
not support.

One ref-relay per module (TLS on 127.0.0.1, port 0, its generated
certificate as TIGRESS_CA, a temporary data directory), killed at teardown.
Each party is a driver with its own TIGRESS_STATE_DIR; the test sequences
the steps as the client conformance suite and tools/interop do.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tigress_py import payload as tpayload
from tigress_py import provision
from tigress_py import uuids
from tigress_py.client import RelayClient

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DRIVERS = REPO / "conformance" / "drivers"
RELAY_BIN = REPO / "ref-relay" / "tigress-relay"
CLIENT_BIN = REPO / "ref-client" / "tigress"
LISTEN_RE = re.compile(r"listening on (https://[0-9.:]+) \(certificate: ([^)]+)\)")

PI = b'{"format":"digitalwallet.carkey.ccc","content":{"vin":"W0L000051T2123456"}}'
PI2 = b'{"format":"digitalwallet.carkey.ccc","content":{"step":"recipient reply"}}'
PI3 = b'{"format":"digitalwallet.carkey.ccc","content":{"step":"initiator final","n":3}}'
DISPLAY = {"title": "Car key", "description": "Blue car",
           "imageURL": "https://example.com/car.png"}
NAMES = ("ref-client-driver", "py-client-driver")
PAIRS = [(i, r) for i in NAMES for r in NAMES]
PAIR_IDS = ["%s>%s" % (i.split("-")[0], r.split("-")[0]) for i, r in PAIRS]


class Relay:
    def __init__(self, data_dir: Path, *flags):
        self.proc = subprocess.Popen(
            [str(RELAY_BIN), "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
             *flags],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        deadline = time.monotonic() + 20
        self.base_url = self.ca = None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = LISTEN_RE.search(line)
            if m:
                self.base_url, self.ca = m.group(1), m.group(2)
                return
        self.kill()
        raise RuntimeError("ref-relay did not start")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc.stdout.close()

    def display_status(self, share_url: str) -> int:
        """Status of a GET of the mailbox (200 while it exists, 404 after)."""
        with RelayClient(self.base_url, ca=self.ca) as c:
            return c.read_display(share_url.split("#")[0]).status


@pytest.fixture(scope="module")
def built():
    r = subprocess.run(["make", "-C", str(REPO), "ref-client/tigress",
                        "ref-relay/tigress-relay"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail("build failed:\n" + r.stdout[-4000:], pytrace=False)


@pytest.fixture(scope="module")
def relay(built, tmp_path_factory):
    relay = Relay(tmp_path_factory.mktemp("relay"))
    try:
        yield relay
    finally:
        relay.kill()


@pytest.fixture(scope="module")
def sct04_relay(built, tmp_path_factory):
    relay = Relay(tmp_path_factory.mktemp("relay-sct04"), "--profile", "sct-04")
    try:
        yield relay
    finally:
        relay.kill()


class Party:
    """One party of a scenario: a driver, a role, a private state directory;
    every run's output is kept so that no Secret can slip into it."""

    def __init__(self, driver: str, role: str, relay: Relay, home: Path,
                 scenario: str):
        self.driver = str(DRIVERS / driver)
        self.role = role
        self.scenario = scenario
        self.home = home
        home.mkdir()
        self.env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        self.env.update({
            "TIGRESS_ROLE": role, "TIGRESS_SCENARIO": scenario,
            "TIGRESS_RELAY": relay.base_url, "TIGRESS_CA": relay.ca,
            "TIGRESS_PROFILE": "http-00",
            "TIGRESS_STATE_DIR": str(home / "state"),
            "TIGRESS_URL_FILE": str(home / "url"),
            "TIGRESS_TIMEOUT": "20",
            "TIGRESS_TITLE": DISPLAY["title"],
            "TIGRESS_DESCRIPTION": DISPLAY["description"],
            "TIGRESS_IMAGE": DISPLAY["imageURL"],
            "TIGRESS_VERTICAL": "c", "TIGRESS_EXPIRES": "600",
            "TIGRESS_ACCESS": "RWD" if scenario == "stateful" else "RD",
        })
        self.env.pop("TIGRESS_DRIVER_DEFECTS", None)
        self.runs = []
        self.n = 0

    def _argv_env(self, step, data):
        self.n += 1
        env = dict(self.env, TIGRESS_STEP=step,
                   TIGRESS_OUT=str(self.home / ("%d-%s.out" % (self.n, step))))
        if data is not None:
            p = self.home / ("%d-%s.in" % (self.n, step))
            p.write_bytes(data)
            env["TIGRESS_IN"] = str(p)
        return [self.driver, self.role, self.scenario, step], env

    def run(self, step, data=None, want=0):
        """Run one step; check its exit status; return its output bytes."""
        argv, env = self._argv_env(step, data)
        r = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.runs.append(r)
        assert r.returncode == want, "%s %s: exit %d, want %d\n%s" % (
            os.path.basename(self.driver), step, r.returncode, want,
            r.stderr.decode(errors="replace")[-3000:])
        out = Path(env["TIGRESS_OUT"])
        return out.read_bytes() if out.exists() else None

    def start(self, step):
        """Start a step in the background (a receive that has to wait)."""
        argv, env = self._argv_env(step, None)
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE), Path(env["TIGRESS_OUT"])

    def finish_started(self, started, want=0):
        proc, out = started
        stdout, stderr = proc.communicate(timeout=60)
        self.runs.append(subprocess.CompletedProcess(proc.args, proc.returncode,
                                                     stdout, stderr))
        assert proc.returncode == want, stderr.decode(errors="replace")[-3000:]
        return out.read_bytes()

    def give_url(self, url: bytes):
        (self.home / "url").write_bytes(url)

    def assert_quiet_about(self, secret_text: str):
        """spec/drivers.md: a driver never prints the Secret."""
        raw = base64.b64decode(secret_text)
        forms = {secret_text, secret_text.rstrip("="),
                 base64.urlsafe_b64encode(raw).decode().rstrip("=")}
        for r in self.runs:
            for stream in (r.stdout, r.stderr):
                text = stream.decode(errors="replace")
                assert not any(f in text for f in forms), "the Secret was printed"


@pytest.fixture
def parties(relay, tmp_path):
    made = []

    def make(driver, role, scenario, name):
        p = Party(driver, role, relay, tmp_path / name, scenario)
        made.append(p)
        return p
    yield make
    secrets_seen = [p.secret for p in made if getattr(p, "secret", None)]
    for p in made:
        for s in secrets_seen:
            p.assert_quiet_about(s)


def share(initiator, *recipients):
    out = initiator.run("share", PI)
    url = out.decode().strip()
    assert out.endswith(b"\n") and out.count(b"\n") == 1
    assert re.match(r"^https://127\.0\.0\.1:\d+/v1/m/[0-9a-f-]{36}\?v=c"
                    r"#[A-Za-z0-9+/]{43}=$", url), url
    initiator.secret = url.split("#", 1)[1]
    for r in recipients:
        r.give_url(out)
    return url


@pytest.mark.parametrize("ini,rec", PAIRS, ids=PAIR_IDS)
def test_stateless(parties, relay, ini, rec):
    a = parties(ini, "initiator", "stateless", "a")
    b = parties(rec, "recipient", "stateless", "b")
    url = share(a, b)
    assert json.loads(b.run("preview")) == DISPLAY
    assert b.run("accept") == PI
    assert relay.display_status(url) == 200
    b.run("finish")
    assert relay.display_status(url) == 404        # the recipient deleted it


@pytest.mark.parametrize("ini,rec", PAIRS, ids=PAIR_IDS)
def test_stateful(parties, relay, ini, rec):
    a = parties(ini, "initiator", "stateful", "a")
    b = parties(rec, "recipient", "stateful", "b")
    url = share(a, b)
    assert b.run("accept") == PI
    waiting = a.start("receive")                   # long-poll, held by the relay
    time.sleep(0.3)
    b.run("send", PI2)
    assert a.finish_started(waiting) == PI2
    waiting = b.start("receive")
    time.sleep(0.3)
    a.run("send", PI3)
    assert b.finish_started(waiting) == PI3
    b.run("finish")
    assert relay.display_status(url) == 404


@pytest.mark.parametrize("ini,rec", PAIRS, ids=PAIR_IDS)
def test_cancel(parties, ini, rec):
    a = parties(ini, "initiator", "cancel", "a")
    b = parties(rec, "recipient", "cancel", "b")
    share(a, b)
    a.run("cancel")
    b.run("accept", want=8)


@pytest.mark.parametrize("ini,rec", PAIRS, ids=PAIR_IDS)
def test_second_recipient(parties, ini, rec):
    a = parties(ini, "initiator", "second-recipient", "a")
    b = parties(rec, "recipient", "second-recipient", "b")
    c = parties(rec, "recipient", "second-recipient", "c")
    share(a, b, c)
    assert b.run("accept") == PI
    c.run("accept", want=9)


@pytest.mark.parametrize("ini,rec", PAIRS, ids=PAIR_IDS)
def test_relinquish(parties, ini, rec):
    a = parties(ini, "initiator", "relinquish", "a")
    b = parties(rec, "recipient", "relinquish", "b")
    c = parties(rec, "recipient", "relinquish", "c")
    share(a, b, c)
    assert b.run("accept") == PI
    b.run("relinquish")
    assert c.run("accept") == PI


@pytest.mark.parametrize("ini,rec", [PAIRS[1], PAIRS[2]], ids=[PAIR_IDS[1], PAIR_IDS[2]])
def test_stateless_sct04(sct04_relay, tmp_path, ini, rec):
    """TIGRESS_PROFILE=sct-04: Device-Claim instead of Mailbox-Device-Claim."""
    a = Party(ini, "initiator", sct04_relay, tmp_path / "a", "stateless")
    b = Party(rec, "recipient", sct04_relay, tmp_path / "b", "stateless")
    for p in (a, b):
        p.env["TIGRESS_PROFILE"] = "sct-04"
    url = share(a, b)
    assert b.run("accept") == PI
    b.run("finish")
    assert sct04_relay.display_status(url) == 404


def sealed_mailbox(relay, plaintext, corrupt=False):
    """A share URL of a mailbox the test made itself (the suite's peer)."""
    secret = os.urandom(32)
    sealed = tpayload.seal(secret, plaintext)
    if corrupt:
        raw = bytearray(base64.b64decode(sealed["data"]))
        raw[-1] ^= 0x80                             # a bit of the tag
        sealed["data"] = base64.b64encode(bytes(raw)).decode()
    with RelayClient(relay.base_url, ca=relay.ca) as c:
        ex = c.create(uuids.new_v4(), {"title": "T", "description": "", "imageURL": ""},
                      sealed)
    assert ex.status == 200, ex
    return ex.json["urlLink"] + "#" + base64.b64encode(secret).decode()


@pytest.mark.parametrize("driver", NAMES)
@pytest.mark.parametrize("case", ["tampered", "not-provisioning-information"])
def test_refused_payload_exits_7(parties, relay, driver, case):
    """A payload that does not open, or opens to something that is not
    Provisioning Information, is refused with 7 and nothing is written."""
    plaintext = b'{"format":"x"}' if case != "tampered" else PI
    url = sealed_mailbox(relay, plaintext, corrupt=case == "tampered")
    b = parties(driver, "recipient", "tamper", "b")
    b.give_url(url.encode())
    assert not b.run("accept", want=7)


@pytest.mark.parametrize("driver", NAMES)
@pytest.mark.parametrize("role,scenario,step", [
    ("initiator", "stateless", "frobnicate"),      # unknown step
    ("recipient", "stateless", ""),                # no step
    ("initiator", "teleport", "share"),            # unknown scenario
    ("initiator", "stateless", "finish"),          # the recipient's step
    ("recipient", "stateless", "share"),           # the initiator's step
    ("initiator", "stateful", "issue"),            # a step of provision only
])
def test_unsupported_exits_127(tmp_path, driver, role, scenario, step):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIGRESS_")}
    env["TIGRESS_STATE_DIR"] = str(tmp_path)
    r = subprocess.run([str(DRIVERS / driver), role, scenario, step], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 127, r.stderr
    assert list(tmp_path.iterdir()) == []          # nothing was done


@pytest.mark.parametrize("driver", NAMES)
def test_steps_from_the_environment(parties, relay, driver, tmp_path):
    """ROLE, SCENARIO and STEP may come from the environment alone."""
    a = parties("py-client-driver", "initiator", "stateless", "a")
    share(a)
    env = dict(a.env, TIGRESS_ROLE="recipient", TIGRESS_STEP="preview",
               TIGRESS_URL_FILE=str(a.home / "1-share.out"),
               TIGRESS_STATE_DIR=str(tmp_path / "b"),
               TIGRESS_OUT=str(tmp_path / "preview.json"))
    r = subprocess.run([str(DRIVERS / driver)], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "preview.json").read_text()) == DISPLAY


def test_ref_client_driver_finds_its_binary(tmp_path):
    """TIGRESS_CLIENT_BIN overrides ../../ref-client/tigress; a missing
    binary is a failure (1), never 127 (which would read as UNSUPPORTED)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIGRESS_")}
    env.update(TIGRESS_CLIENT_BIN=str(tmp_path / "no-such-tigress"),
               TIGRESS_STATE_DIR=str(tmp_path), TIGRESS_URL_FILE=str(tmp_path / "u"),
               TIGRESS_OUT=str(tmp_path / "o"))
    r = subprocess.run([str(DRIVERS / "ref-client-driver"), "recipient",
                        "stateless", "preview"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 1, r.stderr
    assert CLIENT_BIN.exists()


# -- provision (spec/drivers.md): what issue and install refuse ----------------

@pytest.mark.parametrize("driver", NAMES)
def test_provision_refusals_exit_7(parties, tmp_path, driver):
    """issue refuses a request whose signature does not verify (OpenSSL
    3.0's `req -verify` exits 0 on that), install a certificate signed by
    another key than the invitation's issuer: exit 7, nothing written.
    The interop matrix runs the scenario itself (provision)."""
    key, issuer = provision.issuer()
    (tmp_path / "ikey.pem").write_bytes(provision.private_pem(key))
    (tmp_path / "icert.pem").write_text(provision.pem(issuer))
    a = parties(driver, "initiator", "provision", "a")
    b = parties(driver, "recipient", "provision", "b")
    a.env.update(TIGRESS_ISSUER_KEY=str(tmp_path / "ikey.pem"),
                 TIGRESS_ISSUER_CERT=str(tmp_path / "icert.pem"),
                 TIGRESS_ACCESS="RWD")
    invitation = provision.message("invitation", issuer=provision.pem(issuer))
    out = a.run("share", invitation)
    a.secret = out.decode().strip().split("#", 1)[1]
    b.give_url(out)
    assert b.run("accept") == invitation
    csr = provision.load_request(b.run("request").decode())
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01                                 # the signature's last bit
    bad = x509.load_der_x509_csr(bytes(der))
    b.run("send", provision.message("request", csr=provision.pem(bad)))
    assert a.run("issue", want=7) is None
    assert b"signature does not verify" in a.runs[-1].stderr
    foreign = provision.issue(csr, provision.new_key(), issuer)
    a.run("send", provision.message("certificate",
                                    certificate=provision.pem(foreign)))
    assert b.run("install", want=7) is None
    assert b"does not verify" in b.runs[-1].stderr, b.runs[-1].stderr
