"""HTTP over raw sockets, for what an HTTP library will not do: send a
request and drop the connection before the answer is read, speak plain
HTTP to a TLS port, send malformed or oversize headers.

Each function returns a context.RawExchange (evidence for the report).
"""

from __future__ import annotations

import hashlib
import select
import socket
import ssl
import struct
import time
import urllib.parse
from typing import Optional



class RawExchange:
    """An exchange made over a raw socket (see rawhttp.py), shaped like
    tigress_py's Exchange for the reports."""

    def __init__(self, description: str, url: str, sent: bytes):
        self.description = description
        self.url = url
        self.sent = sent
        self.received = b""
        self.status: Optional[int] = None
        self.transport_error: Optional[str] = None
        self.note = ""
        self.started = time.time()
        self.elapsed = 0.0

    def to_evidence(self, max_body: int = 4096) -> dict:
        def text(b: bytes) -> dict:
            s = b.decode("utf-8", errors="replace")
            return {"encoding": "utf-8", "length": len(b),
                    "data": s[:max_body], "truncated": len(s) > max_body,
                    "sha256": hashlib.sha256(b).hexdigest()}
        return {
            "raw": True,
            "description": self.description,
            "request": {"method": "RAW", "url": self.url, "headers": [],
                        "body": text(self.sent)},
            "response": None if not self.received and self.status is None
            else {"status": self.status, "reason": "", "headers": [],
                  "body": text(self.received)},
            "transport_error": self.transport_error,
            "note": self.note,
            "started": self.started,
            "elapsed": self.elapsed,
        }



def _target(base_url: str):
    parts = urllib.parse.urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname, port, parts.scheme == "https"


def build_request(method: str, path: str, host: str, headers=(),
                  body: Optional[bytes] = None, close: bool = True) -> bytes:
    """An HTTP/1.1 request as bytes (headers: list of (name, value))."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host]
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    if body is not None:
        lines.append("Content-Length: %d" % len(body))
    if close:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")


def _status_of(data: bytes) -> Optional[int]:
    if not data.startswith(b"HTTP/"):
        return None
    try:
        return int(data.split(b"\r\n", 1)[0].split(b" ")[1])
    except (IndexError, ValueError):
        return None


def _complete(data: bytes) -> bool:
    """A full response (headers and a Content-Length body) is in `data`."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for ln in head.split(b"\r\n")[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            try:
                return len(body) >= int(v.strip())
            except ValueError:
                return True
    return False


def _early_answer(sock, timeout: float) -> Optional[bytes]:
    """Application data the relay already sent (b"" when it closed), or
    None when there is none yet.  select() alone is not enough on TLS:
    a session ticket makes the socket readable without any answer."""
    ready, _, _ = select.select([sock], [], [], 0)
    if not ready:
        return None
    sock.settimeout(0)
    try:
        return sock.recv(65536)
    except (ssl.SSLWantReadError, BlockingIOError):
        return None
    except (ConnectionError, ssl.SSLError, OSError):
        return b""
    finally:
        sock.settimeout(timeout)


def exchange(base_url: str, data: bytes, ssl_context: Optional[ssl.SSLContext],
             description: str, tls: Optional[bool] = None,
             timeout: float = 5.0, max_bytes: int = 1 << 20) -> RawExchange:
    """Send `data` on a new connection and read the answer (until the
    relay closes, a complete response arrived, or `timeout` passes without
    data).  tls None: as the base URL says."""
    host, port, is_tls = _target(base_url)
    use_tls = is_tls if tls is None else tls
    rx = RawExchange(description, "%s://%s:%d" % (
        "tls" if use_tls else "tcp", host, port), data)
    t0 = time.monotonic()
    sock = None
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        if use_tls:
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
        # Send in pieces and stop as soon as the relay answers: a relay may
        # refuse an oversize request before it has all of it.
        sent = 0
        out = bytearray()
        try:
            while sent < len(data):
                sent += sock.send(data[sent:sent + 65536])
                early = _early_answer(sock, timeout)
                if early is not None:
                    out += early
                    break
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError) as e:
            rx.note = "sending stopped: %s" % type(e).__name__
        if sent < len(data):
            rx.note = (rx.note + "; " if rx.note else "") + \
                "the relay answered or closed after %d of %d bytes" % (
                    sent, len(data))
        while len(out) < max_bytes:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                rx.note = (rx.note + "; " if rx.note else "") + \
                    "no more data within %.0fs" % timeout
                break
            except (ConnectionError, ssl.SSLError, OSError) as e:
                rx.note = (rx.note + "; " if rx.note else "") + \
                    "connection ended: %s" % type(e).__name__
                break
            if not chunk:
                break
            out += chunk
            if _complete(bytes(out)):
                break
        rx.received = bytes(out)
        rx.status = _status_of(rx.received)
    except (OSError, ssl.SSLError) as e:
        rx.transport_error = "%s: %s" % (type(e).__name__, e)
    finally:
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
    rx.elapsed = time.monotonic() - t0
    return rx


def send_and_drop(base_url: str, data: bytes, ssl_context: ssl.SSLContext,
                  description: str, wait: float = 3.0) -> RawExchange:
    """Send a request, wait until the relay starts answering (the socket
    becomes readable) or `wait` seconds pass, and close the connection
    without reading a byte: the caller never learns the answer, as when a
    mobile connection drops."""
    host, port, is_tls = _target(base_url)
    rx = RawExchange(description, "%s://%s:%d" % (
        "tls" if is_tls else "tcp", host, port), data)
    t0 = time.monotonic()
    sock = None
    try:
        raw = socket.create_connection((host, port), timeout=wait + 5)
        sock = ssl_context.wrap_socket(raw, server_hostname=host) \
            if is_tls else raw
        sock.sendall(data)
        ready, _, _ = select.select([sock], [], [], wait)
        rx.note = ("the relay began answering; the connection was closed "
                   "without reading it" if ready else
                   "no answer within %.0fs; the connection was closed" % wait)
    except (OSError, ssl.SSLError) as e:
        rx.transport_error = "%s: %s" % (type(e).__name__, e)
    finally:
        if sock is not None:
            try:
                # An abortive close (RST), as a vanished peer would leave.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
    rx.elapsed = time.monotonic() - t0
    return rx
