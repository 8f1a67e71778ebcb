#!/usr/bin/python3
"""bench_wormhole: full two-party exchanges against a magic-wormhole
mailbox server (Debian python3-magic-wormhole-mailbox-server), for
`make bench` (tools/bench.py) to read the server's CPU time per exchange.

    bench_wormhole.py ws://127.0.0.1:PORT/v1 EXCHANGES [PARALLEL]

Each exchange is what two magic-wormhole clients do over the mailbox
server's WebSocket protocol: the sender binds, allocates a nameplate,
claims it, opens the mailbox and adds its PAKE message; the receiver
binds, claims the nameplate, opens the mailbox and adds its PAKE message;
both add a version message, the sender adds the (encrypted) payload,
both release the nameplate and close the mailbox.  Prints one JSON line:
{"exchanges": N, "seconds": S}.  autobahn and twisted come with the
mailbox server package.
"""

import json
import os
import sys
import time

from autobahn.twisted.websocket import (WebSocketClientFactory,
                                        WebSocketClientProtocol)
from twisted.internet import defer, reactor
from twisted.internet.endpoints import clientFromString
from twisted.internet.error import ReactorNotRunning

APPID = "tigress-bench/wormhole"
PAYLOAD = "00" * 1100        # about a 1 KiB credential, hex as the client


class Side(WebSocketClientProtocol):
    """One client of an exchange; self.factory.plan drives it."""

    def onOpen(self):
        self.seen = set()
        self.mailbox = None
        self.nameplate = self.factory.nameplate
        self.done = self.factory.done
        self.send_msg("bind", appid=APPID, side=self.factory.side)
        if self.nameplate is None:
            self.send_msg("allocate")
        else:
            self.send_msg("claim", nameplate=self.nameplate)

    def send_msg(self, mtype, **kw):
        kw["type"] = mtype
        kw["id"] = os.urandom(2).hex()
        self.sendMessage(json.dumps(kw).encode("utf-8"))

    def onMessage(self, payload, is_binary):
        m = json.loads(payload.decode("utf-8"))
        t = m["type"]
        if t == "allocated":
            self.nameplate = m["nameplate"]
            self.factory.allocated.callback(self.nameplate)
            self.send_msg("claim", nameplate=self.nameplate)
        elif t == "claimed":
            self.mailbox = m["mailbox"]
            self.send_msg("open", mailbox=self.mailbox)
            self.send_msg("add", phase="pake", body=os.urandom(33).hex())
            self.send_msg("add", phase="version", body=os.urandom(64).hex())
            if self.factory.sender:
                self.send_msg("add", phase="0", body=PAYLOAD)
        elif t == "message" and m["side"] != self.factory.side:
            self.seen.add(m["phase"])
            want = {"pake", "version"} | (set() if self.factory.sender
                                          else {"0"})
            if want <= self.seen and self.mailbox is not None:
                self.send_msg("release", nameplate=self.nameplate)
                self.send_msg("close", mailbox=self.mailbox, mood="happy")
        elif t == "closed":
            self.sendClose()
        elif t == "error":
            self.factory.failed(m)

    def onClose(self, was_clean, code, reason):
        if not self.done.called:
            self.done.callback(None)


def side(url, sender, nameplate=None):
    f = WebSocketClientFactory(url)
    f.protocol = Side
    f.side = os.urandom(5).hex()
    f.sender = sender
    f.nameplate = nameplate
    f.done = defer.Deferred()
    f.allocated = defer.Deferred()
    f.failed = lambda m: (sys.stderr.write("wormhole error: %r\n" % (m,)),
                          os._exit(1))
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    ep = clientFromString(reactor, "tcp:%s:%s" % (host, port))
    ep.connect(f)
    return f


@defer.inlineCallbacks
def exchange(url):
    a = side(url, True)
    nameplate = yield a.allocated
    b = side(url, False, nameplate)
    yield defer.DeferredList([a.done, b.done])


@defer.inlineCallbacks
def run(url, total, parallel):
    left = [total]

    @defer.inlineCallbacks
    def lane():
        while left[0] > 0:
            left[0] -= 1
            yield exchange(url)

    yield defer.DeferredList([lane() for _ in range(parallel)])


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    url, n = sys.argv[1], int(sys.argv[2])
    parallel = int(sys.argv[3]) if len(sys.argv) == 4 else 4
    t0 = time.monotonic()
    d = run(url, n, parallel)

    def stop(_):
        try:
            reactor.stop()
        except ReactorNotRunning:
            pass
        return _

    d.addBoth(stop)
    reactor.run()
    print(json.dumps({"exchanges": n,
                      "seconds": round(time.monotonic() - t0, 3)}))


if __name__ == "__main__":
    main()
