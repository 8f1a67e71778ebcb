#!/usr/bin/python3
"""make demo: the car-key deployment example, end to end on this machine.

Ben shares his car key with his neighbour Amit (the use case of
draft-ietf-tigress-requirements, "Use Cases"; the flow where the sender
is the Provisioning Entity, "General Setting"), through the stateful flow
of draft-vinokurov-tigress-http-00, with ref-relay and two `tigress`
parties that each have a directory and a state of their own:

  - Ben's phone holds an owner key (made with openssl), standing in for
    the key the vehicle OEM certified when Ben paired his phone and car;
  - it shares an invitation (rights RWD) and sends the share URL to Amit;
  - Amit's phone previews, accepts (binds itself to the mailbox), makes a
    P-256 key pair and sends a certificate request through the mailbox;
  - Ben's phone checks the request, issues an X.509 certificate for
    Amit's key with the owner key, and sends it back;
  - Amit's phone checks it against the owner key (`openssl verify`, the
    car's check) and that it certifies its own key;
  - the relay's files hold neither the Secret nor any plaintext;
  - Amit's phone deletes the mailbox, and a GET answers 404.

Every message is sealed by `tigress` (AES-256-GCM under the Secret of the
share URL's fragment, http-00 §7.2); the messages are the Provisioning
Information format of spec/drivers.md, "The provision scenario".  Each
command is shown as typed, with the requests it made (tigress -v) and the
lines the relay logged for them.  The relay listens on 127.0.0.1, port 0,
keeps its files in a temporary directory, and is always stopped.

    tools/demo/carkey.py [--keep DIR]

Exit status: 0 when every step held; 1 when one did not (the last line
names it); 2 bad arguments.  --keep DIR moves the phones' and the relay's
files to DIR (which must not exist) instead of removing them.
"""

import base64
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIGRESS = REPO / "ref-client" / "tigress"
RELAY = REPO / "ref-relay" / "tigress-relay"
FORMAT = "org.tigress-ref.provision"
VIN = "W0L000051T2123456"
LISTEN_RE = re.compile(r"listening on (https://\S+) \(certificate: ([^)]+)\)")
TRACE_RE = re.compile(r"^tigress: ([<>]) (\S+)(?: (\S+))?")
PROGRESS_RE = re.compile(r"^[-.+*]*$")        # openssl's key generation dots
PEM_RE = re.compile(r"-----BEGIN ([A-Z ]+)-----\n.*?-----END \1-----\n?",
                    re.DOTALL)
MAILBOX = re.compile(r"/v1/m/[^/?#\s]+$")
CONN = ["--ca", "relay-cert.pem", "-v"]       # every tigress command's

# The operations of http-00 §6 (and our discovery) as seen on the wire.
OPERATIONS = (
    ("POST", re.compile(r"/v1/m$"), "CreateMailbox, http-00 §6.1"),
    ("PUT", MAILBOX, "UpdateMailbox, §6.2"),
    ("DELETE", MAILBOX, "DeleteMailbox, §6.3"),
    ("GET", MAILBOX, "ReadDisplayInformationFromMailbox, §6.4"),
    ("POST", MAILBOX, "ReadSecureContentFromMailbox, §6.5"),
    ("PATCH", MAILBOX, "RelinquishMailbox, §6.6"),
    ("GET", re.compile(r"/\.well-known/tigress$"),
     "the relay's features, spec/extensions.md X-WELL-KNOWN"),
)


class StepFailed(Exception):
    """A step did not hold; the message says what was seen."""


def say(text=""):
    print(text, flush=True)


def operation(method, url):
    """(path, name of the operation) of a request."""
    path = re.sub(r"^https://[^/]+", "", url)
    for m, rx, name in OPERATIONS:
        if m == method and rx.search(path):
            return path, name
    return path, "not an operation of http-00"


def provisioning_info(message, **content):
    """One message of the provision scenario: Provisioning Information
    (http-00 §7) of format FORMAT."""
    return json.dumps({"format": FORMAT,
                       "content": dict(message=message, **content)},
                      indent=1) + "\n"


def show_message(path):
    """A message file on one line, each PEM block in it shortened."""
    pi = json.loads(Path(path).read_text(encoding="utf-8"))

    def short(m):
        return "<%s: %d lines of PEM>" % (m.group(1), m.group(0).count("\n"))
    for k, v in pi["content"].items():
        if isinstance(v, str):
            pi["content"][k] = PEM_RE.sub(short, v)
    say("    %s: %s" % (Path(path).name, json.dumps(pi)))


def content_of(path, message, *members):
    """The content of a received message, checked to be a `message` with
    these members (strings)."""
    try:
        pi = json.loads(Path(path).read_text(encoding="utf-8"))
        content = pi["content"]
        ok = pi["format"] == FORMAT and content["message"] == message and \
            all(isinstance(content.get(m), str) for m in members)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise StepFailed("%s is not a %s message with %s" % (
            Path(path).name, message, ", ".join(members)))
    show_message(path)
    return content


def openssl(*args):
    return ["openssl"] + list(args)


def tigress(*args):
    return [str(TIGRESS)] + list(args)


class Phone:
    """One party: a directory of its own, for its files and its tigress
    state (TIGRESS_STATE_DIR)."""

    def __init__(self, demo, name, prompt):
        self.demo = demo
        self.prompt = prompt
        self.dir = demo.work / name
        (self.dir / "state").mkdir(mode=0o700, parents=True)
        self.env = {k: v for k, v in os.environ.items()
                    if "proxy" not in k.lower()}   # the relay is local
        self.env["TIGRESS_STATE_DIR"] = str(self.dir / "state")
        self.err = ""                   # standard error of the last command

    def path(self, name):
        return self.dir / name

    def read(self, name):
        return self.path(name).read_text(encoding="ascii")

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        p.write_text(text, encoding="utf-8")
        p.chmod(mode)
        return p

    def send(self, name, kind, **content):
        """Write a message of the scenario to `name`, show it and send it
        through the mailbox."""
        self.write(name, provisioning_info(kind, **content))
        show_message(self.path(name))
        self.run(tigress("send", "--url-file", "share-url.txt", "--in", name,
                         *CONN))

    def receive(self, name, kind, member):
        """Wait for the other party's message into `name`, which must be a
        `kind`; its `member`."""
        self.run(tigress("wait", "--url-file", "share-url.txt", "--out", name,
                         "--timeout", "30", *CONN))
        return content_of(self.path(name), kind, member)[member]

    def run(self, argv, expect=0, show=False):
        """Run argv here; show it as typed, then the requests of a tigress
        command and what the relay logged, the messages of openssl and,
        with `show`, the standard output.  Returns the standard output;
        StepFailed when the exit status is not `expect`."""
        shown = ["tigress" if a == str(TIGRESS) else a for a in argv]
        say("%s$ %s" % (self.prompt, shlex.join(shown)))
        try:
            r = subprocess.run(argv, cwd=self.dir, env=self.env,
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise StepFailed("%s: %s" % (shown[0], e))
        out = r.stdout.decode("utf-8", "replace")
        err = self.err = r.stderr.decode("utf-8", "replace")
        self.demo.relay_saw(show_trace(err))
        if r.returncode != expect:
            tail = [ln for ln in (err + out).splitlines() if ln.strip()][-3:]
            raise StepFailed("%s exited %d, expected %d%s" % (
                shown[0], r.returncode, expect,
                "".join("\n    " + ln for ln in tail)))
        for ln in err.splitlines() + (out.splitlines() if show else []):
            if not TRACE_RE.match(ln) and not PROGRESS_RE.match(ln):
                say("    " + ln)
        return out


def show_trace(err):
    """Show the -v trace of tigress, a line per request and its answer;
    returns how many requests it made."""
    n, sent = 0, None
    for ln in err.splitlines():
        m = TRACE_RE.match(ln)
        if m and m.group(1) == ">":
            n += 1
            sent = (m.group(2),) + operation(m.group(2), m.group(3) or "")
        elif m and sent:
            say("    %-6s %s -> %s   (%s)" % (sent[0], sent[1], m.group(2),
                                              sent[2]))
            sent = None
    return n


class Demo:
    """The relay, the narration and the step being run."""

    def __init__(self, work: Path):
        self.work = work
        self.relay = None
        self.url = self.ca = None
        self.log = work / "relay-access.log"
        self.log_seen = 0               # characters of the log shown
        self.number = 0
        self.title = ""
        self.share_url = ""
        self.secret = ""                # the share URL's fragment

    def step(self, title, explanation):
        self.number += 1
        self.title = title
        say()
        say("== Step %d. %s" % (self.number, title))
        say(textwrap.fill(explanation, 76, initial_indent="   ",
                          subsequent_indent="   "))

    def relay_saw(self, requests):
        """Show the access-log lines of the last `requests` requests (the
        relay writes a line when it has answered)."""
        lines = []
        deadline = time.monotonic() + 5
        while requests and time.monotonic() < deadline:
            text = self.log.read_text(encoding="utf-8") \
                if self.log.exists() else ""
            lines = text[self.log_seen:].splitlines(keepends=True)
            if len(lines) >= requests and lines[-1].endswith("\n"):
                break
            time.sleep(0.02)
        self.log_seen += sum(len(ln) for ln in lines)
        for ln in lines:
            say("    relay log: " + ln.rstrip())

    def start_relay(self):
        out = self.work / "relay.out"
        with out.open("w") as f:
            self.relay = subprocess.Popen(
                [str(RELAY), "--listen", "127.0.0.1:0", "--data-dir",
                 str(self.work / "relay"), "--access-log", str(self.log)],
                stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.relay.poll() is None:
            m = LISTEN_RE.search(out.read_text(encoding="utf-8", errors="replace"))
            if m:
                self.url, self.ca = m.group(1), m.group(2)
                return
            time.sleep(0.02)
        raise StepFailed("ref-relay did not start: %s" % out.read_text(
            encoding="utf-8", errors="replace")[-500:].strip())

    def stop_relay(self):
        if self.relay is None or self.relay.poll() is not None:
            return
        os.killpg(self.relay.pid, signal.SIGTERM)
        try:
            self.relay.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.relay.pid, signal.SIGKILL)
            self.relay.wait()

    def relay_files(self):
        """What the relay keeps: its data directory and its access log."""
        files = [p for p in (self.work / "relay").rglob("*") if p.is_file()]
        return sorted(files) + [self.log]


def main(argv):
    keep = None
    if len(argv) == 3 and argv[1] == "--keep":
        keep = Path(argv[2])
        if keep.exists():
            print("carkey: --keep %s: it exists already" % keep,
                  file=sys.stderr)
            return 2
    elif len(argv) != 1:
        print("usage: tools/demo/carkey.py [--keep DIR]", file=sys.stderr)
        return 2
    for binary in (TIGRESS, RELAY):
        if not os.access(binary, os.X_OK):
            print("carkey: %s is missing (make)" % binary, file=sys.stderr)
            return 1
    if shutil.which("openssl") is None:
        print("carkey: the openssl command is missing (make deps)",
              file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="tigress-demo-"))
    demo = Demo(work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        run(demo)
        say()
        say("demo: all %d steps held" % demo.number)
        return 0
    except StepFailed as e:
        say()
        say("demo: step %d (%s) failed: %s" % (demo.number, demo.title, e))
        return 1
    except KeyboardInterrupt:
        say("\ndemo: interrupted in step %d (%s)" % (demo.number, demo.title))
        return 1
    finally:
        demo.stop_relay()
        if keep is not None:
            shutil.move(str(work), str(keep))
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(demo: Demo):
    say(textwrap.fill(
        "The car-key example of TIGRESS (draft-vinokurov-tigress-http-00): "
        "Ben shares his car key with his neighbour Amit.  `tigress` is "
        "ref-client/tigress; every message it sends is sealed with "
        "AES-256-GCM under the Secret that only the share URL's fragment "
        "carries (http-00 §7.2), and no fragment is ever sent to the "
        "relay.", 76))

    demo.step("The relay starts",
              "ref-relay on an ephemeral loopback port, its files in a "
              "temporary directory, with a self-signed certificate that "
              "both phones trust (--ca relay-cert.pem).  It logs one line "
              "per request (--access-log): that is what it sees below.")
    demo.start_relay()
    ben = Phone(demo, "ben", "ben's phone")
    amit = Phone(demo, "amit", "amit's phone")
    for phone in (ben, amit):
        shutil.copy(demo.ca, phone.path("relay-cert.pem"))
    say("    relay: listening on %s" % demo.url)

    demo.step("Ben's phone holds the owner key of the car",
              "A P-256 key and a self-signed certificate, made with "
              "openssl.  In a real deployment the vehicle OEM certified "
              "this key when Ben paired his phone with the car; here the "
              "car (played by `openssl verify`) trusts it as it is.")
    ben.run(openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "owner-key.pem", "-out", "owner-cert.pem",
                    "-subj", "/O=Demo Vehicle OEM/CN=Owner key of " + VIN,
                    "-days", "365",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign"))

    demo.step("Ben's phone shares the car key (stateful flow, rights RWD)",
              "The invitation (Provisioning Information, http-00 §7) names "
              "the car and carries the owner certificate.  tigress seals it "
              "under a fresh Secret and creates the mailbox: the relay "
              "gets the title and description (for previews), Ben's "
              "device claim and the sealed payload.  The Secret goes only "
              "into the URL's fragment.")
    ben.write("invitation.json", provisioning_info(
        "invitation", vehicle=VIN, rights="unlock and start, 2 days",
        issuer=ben.read("owner-cert.pem")))
    show_message(ben.path("invitation.json"))
    url = ben.run(tigress("share", "--relay", demo.url, "--in",
                          "invitation.json", "--title", "Car key",
                          "--description", "The blue hatchback, for Amit",
                          "--vertical", "c", "--stateful", "--expires",
                          "15m", *CONN)).strip()
    demo.share_url = url
    base, _, demo.secret = url.partition("#")
    if not demo.secret:
        raise StepFailed("the share URL has no Secret: %r" % url)
    ben.write("share-url.txt", url + "\n", 0o600)
    say("    share URL: %s#<the Secret: %d characters, not shown here>" % (
        base, len(demo.secret)))
    say("   Ben sends the share URL to Amit over a messaging app (here: "
        "a copy of share-url.txt).")
    shutil.copy(ben.path("share-url.txt"), amit.path("share-url.txt"))

    demo.step("Amit's phone shows the preview, then accepts",
              "The preview is the relay's page for the link, what a "
              "messaging app shows.  Accepting binds Amit's phone to the "
              "mailbox with a device claim of its own, then opens the "
              "invitation with the Secret.  The URL is read from a file: "
              "on a command line other users could see it.")
    amit.run(tigress("preview", "--url-file", "share-url.txt", *CONN),
             show=True)
    amit.run(tigress("accept", "--url-file", "share-url.txt", "--out",
                     "invitation.json", *CONN))
    invitation = content_of(amit.path("invitation.json"), "invitation",
                            "issuer", "vehicle", "rights")
    amit.write("owner-cert.pem", invitation["issuer"])

    demo.step("Amit's phone makes a key pair and sends its public key",
              "A fresh P-256 key pair whose private key never leaves the "
              "phone.  The certificate request (PKCS #10) carries the "
              "public key and proves possession of the private key; it "
              "goes through the same mailbox, sealed under the same "
              "Secret.")
    amit.run(openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-out", "amit-key.pem"))
    amit.path("amit-key.pem").chmod(0o600)
    amit.run(openssl("req", "-new", "-key", "amit-key.pem", "-subj",
                     "/CN=Phone of Amit", "-out", "amit.csr"))
    amit.send("request.json", "request", csr=amit.read("amit.csr"))

    demo.step("Ben's phone certifies Amit's key and sends it back",
              "It waits for Amit's message, checks the request's "
              "signature and issues an X.509 certificate for Amit's "
              "public key with the owner key (not a CA, digital signature "
              "only, valid 2 days): the attestation the car will check.")
    ben.write("amit.csr", ben.receive("request.json", "request", "csr"))
    ben.run(openssl("req", "-in", "amit.csr", "-verify", "-noout"))
    if "self-signature verify OK" not in ben.err:   # OpenSSL 3.0 exits 0 then
        raise StepFailed("the request's signature does not verify")
    ben.write("amit-cert.ext", "basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature\n")
    ben.run(openssl("x509", "-req", "-in", "amit.csr", "-CA",
                    "owner-cert.pem", "-CAkey", "owner-key.pem", "-days", "2",
                    "-sha256", "-set_serial", "0x" + secrets.token_hex(16),
                    "-extfile", "amit-cert.ext", "-out", "amit-cert.pem"))
    ben.send("certificate.json", "certificate",
             certificate=ben.read("amit-cert.pem"))

    demo.step("Amit's phone receives its credential and checks it",
              "The certificate must verify against the owner certificate "
              "of the invitation, as the car will check it, and certify "
              "Amit's own key.")
    amit.write("amit-cert.pem", amit.receive("certificate.json",
                                             "certificate", "certificate"))
    amit.run(openssl("verify", "-CAfile", "owner-cert.pem", "amit-cert.pem"),
             show=True)
    amit.run(openssl("x509", "-in", "amit-cert.pem", "-noout", "-subject",
                     "-issuer", "-enddate", "-ext",
                     "basicConstraints,keyUsage"), show=True)
    mine = amit.run(openssl("pkey", "-in", "amit-key.pem", "-pubout"))
    certified = amit.run(openssl("x509", "-in", "amit-cert.pem", "-noout",
                                 "-pubkey"))
    if mine != certified:
        raise StepFailed("the certificate is not for Amit's key")
    say("    the certificate is for Amit's key: Amit's phone holds the "
        "car key")

    demo.step("What the relay holds: ciphertext only",
              "Every file of the relay (its TLS key and certificate, its "
              "SQLite store, its access log) is searched for the Secret and "
              "for plaintext of the three messages.")
    scan_relay(demo)

    demo.step("Amit's phone deletes the mailbox; it is gone",
              "The transfer is over: the recipient deletes the mailbox (it "
              "has the D right) and tigress removes its state, which held "
              "the Secret.  A GET of the mailbox then answers 404.")
    amit.run(tigress("cancel", "--url-file", "share-url.txt", *CONN))
    amit.run(tigress("preview", "--url-file", "share-url.txt", *CONN),
             expect=8)
    say("   Ben's phone learns it at its next request, and removes its "
        "state too.")
    ben.run(tigress("read", "--url-file", "share-url.txt", *CONN), expect=8)
    for phone in (amit, ben):
        left = [p.name for p in (phone.dir / "state").iterdir()]
        if left:
            raise StepFailed("%s kept its state: %s" % (phone.prompt, left))


def scan_relay(demo):
    """Fail when a file of the relay holds the Secret or plaintext."""
    text = demo.secret.translate(str.maketrans("-_", "+/"))
    raw = base64.b64decode(text + "=" * (-len(text) % 4))
    needles = {
        "the Secret (as in the URL)": demo.secret.encode(),
        "the Secret (its bytes)": raw,
        "the Secret (hex)": raw.hex().encode(),
        "the car's VIN": VIN.encode(),
        "a certificate request": b"CERTIFICATE REQUEST",
        "Amit's name": b"Phone of Amit",
        "the owner key's name": b"Owner key of",
    }
    mailbox = MAILBOX.search(demo.share_url.split("?")[0]).group(0)[6:]
    files, size, holding = demo.relay_files(), 0, []
    for f in files:
        data = f.read_bytes()
        size += len(data)
        for what, needle in needles.items():
            if needle in data:
                raise StepFailed("the relay's %s holds %s" % (f.name, what))
        if mailbox.encode() in data:
            holding.append(f.name)
    say("    searched %d files, %d bytes: %s" % (
        len(files), size, ", ".join(f.name for f in files)))
    say("    the mailbox %s is in: %s" % (mailbox, ", ".join(holding) or
                                        "none of them (its id is not "
                                        "stored in clear)"))
    say(textwrap.fill("not found: " + "; ".join(needles), 76,
                      initial_indent="    ", subsequent_indent="      "))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
