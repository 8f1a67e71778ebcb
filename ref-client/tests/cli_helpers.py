"""What the ref-client end-to-end tests share (imported by conftest.py and
the test modules under this unique name): paths, the sample Provisioning
Information, a relay process, and a device that runs `tigress`."""

from __future__ import annotations

import atexit
import base64
import http.client
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
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

HEADER_LIMIT = 65536
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@atexit.register
def _kill_leftovers():
    """Last resort: no relay outlives the test run."""
    for p in _STARTED:
        if p.poll() is None:
            p.kill()


PI = b'{"format":"digitalwallet.carkey.ccc","content":{"vin":"W0L000051T2123456"}}'


def share(dev, pi_file, *extra):
    r = dev.run("share", "--relay", dev.relay.base_url, "--in", pi_file,
                "--title", "Car key", "--description", "Blue car", *extra)
    assert r.returncode == 0, r.stderr
    return r.stdout


def one_error_line(r, code, text=None):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("tigress: ")
    if text is not None:
        assert text in lines[0], lines[0]
    return lines[0]


def secret_of(url):
    return url.split("#", 1)[1]


def assert_no_secret(secret, *texts):
    raw = base64.b64decode(secret)
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for t in texts:
        assert secret not in t and secret.rstrip("=") not in t
        assert urlsafe not in t


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


class FaultProxy:
    """TLS-terminating HTTP proxy in front of a relay (same certificate)
    that injects faults: it drops the answer to the first create (every
    create with drop_all; none with drop_creates False), and with
    strip_request_id it relays answers without their Mailbox-Request-ID.
    It closes the connection after answering /.well-known/tigress (which
    share asks before the create), so that the create opens its own: a
    drop on a reused connection is retried by libcurl itself, outside the
    client's --retries.
    seen: (method, path, Mailbox-Request-ID, relay status, dropped)."""

    def __init__(self, relay):
        self.relay = relay
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_ctx.load_cert_chain(relay.data_dir / "cert.pem",
                                        relay.data_dir / "key.pem")
        self.client_ctx = ssl.create_default_context(cafile=relay.ca)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.seen = []
        self.dropped = 0
        self.drop_creates = True
        self.drop_all = False
        self.strip_request_id = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return "https://127.0.0.1:%d" % self.port

    def close(self):
        self.sock.close()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,),
                             daemon=True).start()

    @staticmethod
    def _read_request(f):
        line = f.readline(HEADER_LIMIT)
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers = []
        while True:
            h = f.readline(HEADER_LIMIT).decode("latin-1").rstrip("\r\n")
            if not h:
                break
            k, v = h.split(":", 1)
            headers.append((k.strip(), v.strip()))
        n = int(dict((k.lower(), v) for k, v in headers).get(
            "content-length", "0"))
        return method, path, headers, f.read(n) if n else b""

    def _forward(self, method, path, headers, body):
        c = http.client.HTTPSConnection("127.0.0.1", self.relay.port,
                                        context=self.client_ctx, timeout=10)
        try:
            c.request(method, path, body=body if body or method in (
                "POST", "PUT") else None,
                headers={k: v for k, v in headers if k.lower() != "host"})
            r = c.getresponse()
            return r.status, r.reason, r.getheaders(), r.read()
        finally:
            c.close()

    def _handle(self, conn):
        try:
            tls = self.server_ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return
        f = tls.makefile("rb")
        try:
            while True:
                req = self._read_request(f)
                if req is None:
                    return
                method, path, headers, body = req
                status, reason, rh, rbody = self._forward(*req)
                rid = dict((k.lower(), v) for k, v in headers).get(
                    "mailbox-request-id")
                with self.lock:
                    drop = (self.drop_creates and method == "POST" and
                            path == "/v1/m" and
                            (self.dropped == 0 or self.drop_all))
                    self.dropped += drop
                    self.seen.append((method, path, rid, status, drop))
                if drop:
                    return          # the relay answered; the client never
                out = ["HTTP/1.1 %d %s" % (status, reason)]
                skip = HOP | ({"mailbox-request-id"} if
                              self.strip_request_id else set())
                out += ["%s: %s" % (k, v) for k, v in rh
                        if k.lower() not in skip]
                out.append("Content-Length: %d" % len(rbody))
                close = path == "/.well-known/tigress"
                if close:
                    out.append("Connection: close")
                tls.sendall(("\r\n".join(out) + "\r\n\r\n").encode(
                    "latin-1") + rbody)
                if close:
                    return
        except (OSError, ValueError, http.client.HTTPException):
            return
        finally:
            f.close()
            try:
                tls.close()
            except OSError:
                pass
