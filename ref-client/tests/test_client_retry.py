"""A retry after a dropped response (http-00 §5.1, errata E-DUP-201-BODY):
a fault-injecting proxy forwards the first create request to the relay and
closes the client's connection instead of relaying the answer.  The client
sends the request again with the same Mailbox-Request-ID, the relay answers
201 with the original body, and exactly one mailbox exists."""

import http.client
import socket
import ssl
import threading

HEADER_LIMIT = 65536
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class DropFirstCreate:
    """TLS-terminating HTTP proxy in front of a relay (same certificate).
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
        self.drop_all = False
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
                    drop = (method == "POST" and path == "/v1/m" and
                            (self.dropped == 0 or self.drop_all))
                    self.dropped += drop
                    self.seen.append((method, path, rid, status, drop))
                if drop:
                    return          # the relay answered; the client never
                out = ["HTTP/1.1 %d %s" % (status, reason)]
                out += ["%s: %s" % (k, v) for k, v in rh
                        if k.lower() not in HOP]
                out.append("Content-Length: %d" % len(rbody))
                tls.sendall(("\r\n".join(out) + "\r\n\r\n").encode(
                    "latin-1") + rbody)
        except (OSError, ValueError, http.client.HTTPException):
            return
        finally:
            f.close()
            try:
                tls.close()
            except OSError:
                pass


def test_retry_after_dropped_response(relay_factory, devices, pi_file):
    relay = relay_factory()
    proxy = DropFirstCreate(relay)
    try:
        dev = devices(relay)
        r = dev.run("share", "--relay", proxy.base_url, "--in", pi_file,
                    "--title", "Retry", "-v")
        assert r.returncode == 0, r.stderr
        url = r.stdout.strip()
        creates = [s for s in proxy.seen if s[1] == "/v1/m"]
        assert len(creates) == 2, proxy.seen
        (m1, _, rid1, st1, drop1), (m2, _, rid2, st2, drop2) = creates
        assert drop1 and not drop2
        assert rid1 and rid1 == rid2            # the same Request-ID
        assert (st1, st2) == (200, 201)         # 201: the original's body
        assert "[retry]" in r.stderr
        ids = relay.mailbox_ids()
        assert len(ids) == 1, ids               # exactly one mailbox
        assert ids[0] in url
        # and the share works
        r = devices(relay).run("accept", url)
        assert r.returncode == 0, r.stderr
    finally:
        proxy.close()


def test_retries_exhausted_is_network_error(relay_factory, devices, pi_file):
    """A relay that never answers (the proxy drops every create): after
    --retries the client gives up with exit 4, all tries one Request-ID."""
    relay = relay_factory()
    proxy = DropFirstCreate(relay)
    proxy.drop_all = True
    try:
        dev = devices(relay)
        r = dev.run("share", "--relay", proxy.base_url, "--in", pi_file,
                    "--title", "T", "--retries", "2")
        assert r.returncode == 4, r.stderr
        assert r.stderr.startswith("tigress: cannot reach the relay at "
                                   + proxy.base_url)
        rids = {s[2] for s in proxy.seen}
        assert len(proxy.seen) == 3 and len(rids) == 1
        assert len(relay.mailbox_ids()) == 1    # replays created nothing
        assert dev.state_files() == []
    finally:
        proxy.close()
