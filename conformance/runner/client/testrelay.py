"""The instrumented test relay of the client suite: conformance/brokenrelay
in its correct mode, run in this process (a thread serving TLS on
127.0.0.1, port 0), with a Recorder and a Faults interceptor.

    with TestRelay(cert_dir, "http-00") as r:
        r.base_url, r.ca                 # for the driver
        r.faults.add("drop-response", op="create")
        ...
        r.records()                      # every request, in order
        r.handshakes()                   # TLS handshakes that failed
        r.mailbox(mid)                   # the relay's state of a mailbox
        r.set_payload(mid, {...})        # what reads of it will return
        r.plain_http()                   # http://127.0.0.1:port, no TLS

Independent of ref-relay: the relay logic is brokenrelay/protocol.py.
"""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path
from typing import List, Optional

from brokenrelay import certs
from brokenrelay.faults import Faults
from brokenrelay.protocol import Relay
from brokenrelay.recorder import Recorder
from brokenrelay.server import Server, sweeper

class _Server(Server):
    """The relay's server, keeping every failed TLS handshake: a client
    that refuses the relay's certificate shows there, and nowhere else."""

    def __init__(self, *args, **kw):
        self.handshake_failures: List[dict] = []
        self._hs_lock = threading.Lock()
        self._accepted = threading.local()
        super().__init__(*args, **kw)

    def finish_request(self, request, client_address):
        self._accepted.time = time.time()   # while the client waits
        super().finish_request(request, client_address)

    def handshake_failed(self, client_address, error: Exception) -> None:
        with self._hs_lock:
            self.handshake_failures.append({
                "time": self._accepted.time,
                "client": "%s:%d" % client_address[:2],
                "error": str(error) or type(error).__name__})


# The suite's own requests (it plays the other party) carry this header,
# so that the checks can tell them from the driver's.
PEER_HEADER = "X-Tigress-Conformance"


def is_peer(record: dict) -> bool:
    return any(k.lower() == PEER_HEADER.lower() for k, _ in
               record.get("headers", []))


class TestRelay:
    __test__ = False                     # not a pytest class

    def __init__(self, cert_dir: Path, profile: str = "http-00",
                 address: tuple = ("127.0.0.1", 0), cert_key=None,
                 public_url: Optional[str] = None, handler=None):
        """The suite's relay on 127.0.0.1 with a certificate made in
        `cert_dir`; the lab (runner/lab/) gives another `address`, its
        (cert, key) files, the URL clients use and an HTTP handler."""
        cert, key = cert_key or certs.ensure(Path(cert_dir))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(cert), str(key))
        self.ca = str(cert)
        self.profile = profile
        self.relay = Relay([], profile)
        self.recorder = Recorder()
        self.faults = Faults(self.relay)
        self.relay.interceptors.append(self.faults)
        self.relay.observers.append(self.recorder)
        self.server = _Server(address, self.relay, ctx, idle_timeout=30.0)
        if handler is not None:
            self.server.RequestHandlerClass = handler
        host, port = self.server.server_address[:2]
        self.base_url = "https://%s:%d" % (
            "[%s]" % host if ":" in host else host, port)
        self.relay.public_url = public_url or self.base_url
        self._plain: Optional[Server] = None
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self.server.serve_forever,
                             kwargs={"poll_interval": 0.1}, daemon=True),
            threading.Thread(target=sweeper, args=(self.relay, self._stop),
                             daemon=True)]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        for srv in (self.server, self._plain):
            if srv is not None:
                srv.shutdown()
                srv.server_close()

    def plain_http(self) -> str:
        """The base URL of a listener that serves this relay in clear, on
        the relay's host and another port (started on first use): where
        an http: share URL leads.  Its records have "tls": False."""
        if self._plain is None:
            self._plain = Server((self.server.server_address[0], 0),
                                 self.relay, None, idle_timeout=30.0)
            threading.Thread(target=self._plain.serve_forever,
                             kwargs={"poll_interval": 0.1},
                             daemon=True).start()
        host, port = self._plain.server_address[:2]
        return "http://%s:%d" % ("[%s]" % host if ":" in host else host,
                                 port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- what the suite looks at ---------------------------------------------
    def records(self, since: int = 0) -> List[dict]:
        return self.recorder.records(since)

    def handshakes(self) -> List[dict]:
        """The TLS handshakes that failed (time, client, error), oldest
        first."""
        with self.server._hs_lock:
            return [dict(h) for h in self.server.handshake_failures]

    def mailbox_ids(self) -> List[str]:
        with self.relay.store.lock:
            return sorted(self.relay.store.mailboxes)

    def mailbox(self, mid: str):
        """The relay's Mailbox object (brokenrelay/store.py) or None."""
        with self.relay.store.lock:
            return self.relay.store.mailboxes.get(mid.lower())

    def set_payload(self, mid: str, payload) -> None:
        """Make reads of the mailbox return `payload` (any JSON value)."""
        with self.relay.store.lock:
            mb = self.relay.store.mailboxes[mid.lower()]
            mb.payload = mb.initiator_payload = payload

    def recipient_of(self, mid: str) -> Optional[str]:
        mb = self.mailbox(mid)
        return None if mb is None else mb.recipient
