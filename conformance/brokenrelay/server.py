"""The broken relay's HTTP side: http.server, one thread per connection,
TLS done in that thread (a client that never finishes its handshake
blocks only itself)."""

from __future__ import annotations

import http.server
import socket
import socketserver
import ssl
import struct
import threading
import urllib.parse
from typing import Optional

from .protocol import MAX_HEADER_BYTES, Relay, Request, Response, error
from .recorder import Recorder

MAX_DECLARED_BODY = 1 << 20      # longer bodies are refused unread


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # -- quiet, and no Server header ------------------------------------------------
    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def send_error(self, code, message=None, explain=None):
        """Errors found by http.server itself (bad request line, headers
        too long, unknown method), as JSON."""
        codes = {400: "bad_request", 414: "too_large",
                 431: "headers_too_large", 501: "method_not_allowed"}
        self._write(error(code, codes.get(code, "bad_request"),
                          message or ""), close=True)

    # -- every method ---------------------------------------------------------------------
    def do_GET(self):
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _serve(self):
        relay: Relay = self.server.relay
        headers = {k.lower(): v for k, v in self.headers.items()}
        size = sum(len(k) + len(v) + 4 for k, v in self.headers.items())
        if size > MAX_HEADER_BYTES:
            return self._write(error(431, "headers_too_large"), close=True)
        if "transfer-encoding" in headers:
            return self._write(error(400, "bad_request",
                                     "Transfer-Encoding is not supported"),
                               close=True)
        body = b""
        cl = headers.get("content-length")
        if cl is not None:
            if not cl.strip().isdigit():
                return self._write(error(400, "bad_request",
                                         "bad Content-Length"), close=True)
            n = int(cl)
            if n > MAX_DECLARED_BODY:
                if relay.has("oversize-500"):
                    return self._write(error(500, "internal"), close=True)
                return self._write(error(413, "too_large"), close=True)
            body = self.rfile.read(n)
        parts = urllib.parse.urlsplit(self.path)
        req = Request(self.command, parts.path, headers, body, parts.query,
                      tls=isinstance(self.connection, ssl.SSLSocket),
                      peer=self.client_address[0], target=self.path,
                      raw_headers=list(self.headers.items()))
        try:
            resp = relay.handle(req)
        except Exception as e:              # a bug: answer, keep serving
            resp = error(500, "internal", type(e).__name__)
        self._write(resp)

    def _write(self, resp: Response, close: bool = False):
        if resp.abort is not None:          # an injected fault
            self.close_connection = True
            if resp.abort == "reset":       # RST instead of FIN
                try:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
                    self.connection.close()
                except OSError:
                    pass
            return                          # "drop": close, no answer
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        if close or resp.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        # Headers and body in one write (one TLS record, one segment).
        self._headers_buffer.append(b"\r\n")
        if not resp.head_only and self.command != "HEAD":
            self._headers_buffer.append(resp.body)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, relay: Relay,
                 ssl_context: Optional[ssl.SSLContext], idle_timeout: float,
                 verbose: bool = False):
        self.relay = relay
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout
        self.verbose = verbose
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(self.idle_timeout)
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        conn = request
        if self.ssl_context is not None:
            plain = False
            if self.relay.has("plain-http"):
                try:
                    first = request.recv(1, socket.MSG_PEEK)
                except OSError:
                    return
                plain = bool(first) and first[0] != 0x16   # not a handshake
            if not plain:
                try:
                    conn = self.ssl_context.wrap_socket(request,
                                                        server_side=True)
                except (ssl.SSLError, OSError) as e:
                    self.handshake_failed(client_address, e)
                    return                  # not TLS: no answer at all
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ConnectionError, socket.timeout, ssl.SSLError, OSError):
            pass

    def handshake_failed(self, client_address, error: Exception) -> None:
        """A TLS handshake that did not complete (a client refusing the
        certificate, or no TLS at all); the client suite's relay keeps
        them."""

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def sweeper(relay: Relay, stop: threading.Event, interval: float = 1.0):
    """Delete expired mailboxes every `interval` seconds (not with the
    expired-readable defect)."""
    while not stop.wait(interval):
        if not relay.has("expired-readable"):
            relay.store.sweep()


def recorder(path: str):
    """An observer that appends one JSON line per exchange to `path`
    (recorder.py)."""
    return Recorder(path)
