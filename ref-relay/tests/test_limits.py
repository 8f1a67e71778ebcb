"""Limits (spec/extensions.md X-LIMITS, spec/rules.md, errata E-LIMITS):
each limit's answer, and that the relay keeps serving others while a
client is over a limit, slow or idle (--idle-timeout 2, --header-timeout
2, --body-timeout 2).  Also: plain
HTTP is refused on the TLS port (http-00 §8.1.1)."""

import json
import socket
import threading
import time

import pytest

from relay_helpers import (DISPLAY, assert_error, assert_ok, cfg, connect,
                           new_claim, new_key, new_mailbox, seal,
                           wait_closed)

BODY_MAX = 98304


@pytest.fixture(scope="module")
def lrelay(module_relay_factory):
    return module_relay_factory("--idle-timeout", "2", "--header-timeout", "2",
                                "--body-timeout", "2")


@pytest.fixture
def lc(lrelay):
    c = lrelay.client()
    yield c
    c.close()
    assert lrelay.running, lrelay.output_text()[-3000:]


def _serves(relay):
    c = relay.client()
    try:
        ex = c.well_known()
        assert ex.status == 200, ex
        s = new_mailbox(c)
        assert_ok(c.read(s.url, s.claim))
    finally:
        c.close()


def _create_body(size=None, **over):
    b = {"payload": seal(new_key(), b"x"),
         "displayInformation": dict(DISPLAY),
         "mailboxConfiguration": cfg("RWD")}
    b.update(over)
    raw = json.dumps(b, separators=(",", ":")).encode()
    if size is not None:
        assert len(raw) <= size
        raw = raw[:-1] + b" " * (size - len(raw)) + b"}"
        assert len(raw) == size
    return raw


def _post(c, raw, claim=None, ct="application/json", headers=None):
    return c.create(claim or new_claim(), None, None, body=raw,
                    content_type=ct, headers=headers)


# ---- body size ------------------------------------------------------------------

def test_body_at_limit_accepted(lc):
    assert_ok(_post(lc, _create_body(BODY_MAX)))


def test_body_over_limit_413(lrelay, lc):
    ex = _post(lc, _create_body(BODY_MAX + 1))
    assert_error(ex, 413, "too_large")
    _serves(lrelay)


def test_update_body_over_limit_413(lc):
    s = new_mailbox(lc, rights="RWD")
    raw = json.dumps({"payload": seal(s.key, b"x")}).encode()
    raw = raw[:-1] + b" " * (BODY_MAX + 10 - len(raw)) + b"}"
    assert_error(lc.update(s.url, s.claim, None, body=raw), 413, "too_large")


def test_body_over_1mib_refused(lrelay, lc):
    """Over 1 MiB the HTTP layer refuses with its own 413 page (or drops
    the connection while the body is still coming)."""
    ex = _post(lc, _create_body(3 * 1024 * 1024))
    if ex.status is not None:
        assert ex.status == 413, ex
    _serves(lrelay)


def test_large_payload_data_at_limit(lc):
    """The largest plaintext (49124 bytes) seals to 65536 characters of
    data and is accepted; the body stays under the body limit."""
    key = new_key()
    p = seal(key, b"\x00" * 49124)
    assert len(p["data"]) == 65536
    s = lc.create(new_claim(), dict(DISPLAY), p)
    assert_ok(s)


# ---- headers ----------------------------------------------------------------------

def test_headers_over_8192_431(lrelay, lc):
    ex = lc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                   headers={"X-Padding": "p" * 9000})
    assert_error(ex, 431, "headers_too_large")
    ex = lc.read_display("00000000-0000-4000-8000-000000000000",
                         headers={"X-A": "a" * 5000, "X-B": "b" * 5000})
    assert_error(ex, 431, "headers_too_large")
    _serves(lrelay)


def test_headers_under_8192_fine(lc):
    ex = lc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                   headers={"X-Padding": "p" * 6000})
    assert_ok(ex)


def test_headers_over_64k_refused(lrelay, lc):
    ex = lc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                   headers={"X-Padding": "p" * (70 * 1024)})
    if ex.status is not None:
        # extensions.md X-LIMITS: over 64 KiB libevent refuses with 400.
        assert ex.status in (400, 413, 431), ex
    _serves(lrelay)


# ---- JSON nesting and strings ------------------------------------------------------

def _nested(depth_of_extra):
    v = 1
    for _ in range(depth_of_extra):
        v = [v]
    return v


def test_nesting_16_accepted(lc):
    # the body is level 1; 15 arrays make level 16
    assert_ok(_post(lc, _create_body(extra=_nested(15))))


def test_nesting_17_json_depth(lc):
    assert_error(_post(lc, _create_body(extra=_nested(16))), 400,
                 "json_depth")


def test_nesting_objects_17_json_depth(lc):
    v = {}
    for _ in range(16):
        v = {"a": v}
    assert_error(_post(lc, _create_body(extra=v)), 400, "json_depth")


def test_nesting_deep_1000(lrelay, lc):
    raw = _create_body()
    raw = raw[:-1] + b',"x":' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert_error(_post(lc, raw), 400, "json_depth")
    _serves(lrelay)


def _disp(**over):
    d = dict(DISPLAY)
    d.update(over)
    return d


LONG = [
    ("title", lambda: dict(displayInformation=_disp(title="t" * 257))),
    ("title-utf8", lambda: dict(displayInformation=_disp(
        title="\u00e9" * 128 + "a"))),
    ("description", lambda: dict(displayInformation=_disp(
        description="d" * 1025))),
    ("imageURL", lambda: dict(displayInformation=_disp(
        imageURL="https://e.com/" + "i" * 2040))),
    ("notify-type", lambda: dict(notificationToken={
        "type": "t" * 129, "tokenData": "x"})),
    ("notify-tokenData", lambda: dict(notificationToken={
        "type": "t", "tokenData": "x" * 4097})),
    ("payload-data", lambda: dict(payload={
        "type": "AEAD_AES_128_GCM", "data": "A" * 65540})),
]

FITS = [
    ("title", lambda: dict(displayInformation=_disp(title="t" * 256))),
    ("title-utf8", lambda: dict(displayInformation=_disp(
        title="\u00e9" * 128))),
    ("description", lambda: dict(displayInformation=_disp(
        description="d" * 1024))),
    ("imageURL", lambda: dict(displayInformation=_disp(
        imageURL="https://e.com/" + "i" * (2048 - 14)))),
    ("notify", lambda: dict(notificationToken={
        "type": "t" * 128, "tokenData": "x" * 4096})),
]


@pytest.mark.parametrize("make", [m for _, m in LONG],
                         ids=[n for n, _ in LONG])
def test_long_strings_field_too_long(lc, make):
    assert_error(_post(lc, _create_body(**make())), 400, "field_too_long")


@pytest.mark.parametrize("make", [m for _, m in FITS],
                         ids=[n for n, _ in FITS])
def test_strings_at_limit_accepted(lc, make):
    assert_ok(_post(lc, _create_body(**make())))


def test_attestation_limit(lc):
    ok = lc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                   attestation="a" * 4096)
    assert_ok(ok)
    bad = lc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                    attestation="a" * 4097)
    assert_error(bad, 400, "header_value")


def test_request_id_limit(lc):
    assert_ok(lc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                        request_id="r" * 128))
    assert_error(lc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                           request_id="r" * 129), 400, "header_value")


# ---- content type --------------------------------------------------------------------

@pytest.mark.parametrize("ct", ["text/plain", "application/xml",
                                "multipart/form-data; boundary=x",
                                "application/jsonx", "text/json"])
def test_415_content_types(lc, ct):
    assert_error(_post(lc, _create_body(), ct=ct), 415,
                 "unsupported_media_type")
    s = new_mailbox(lc, rights="RWD")
    assert_error(lc.update(s.url, s.claim, seal(s.key, b"x"),
                           content_type=ct), 415, "unsupported_media_type")
    assert_error(lc.read(s.url, s.claim, body=b"{}", content_type=ct), 415,
                 "unsupported_media_type")


# ---- capacity ---------------------------------------------------------------------------

def test_capacity_503(relay_factory):
    relay = relay_factory("--max-mailboxes", "3")
    c = relay.client()
    made = [new_mailbox(c) for _ in range(3)]
    ex = c.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"))
    assert_error(ex, 503, "capacity")
    ra = ex.header("Retry-After")
    assert ra is not None and ra.strip().isdigit(), ex.headers
    assert int(ra) == 60
    # the existing ones still work, and deleting one frees a place
    for s in made:
        assert_ok(c.read(s.url, s.claim))
    assert_ok(c.delete(made[0].url, made[0].claim))
    assert_ok(c.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x")))
    assert_error(c.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x")),
                 503, "capacity")


# ---- slow and idle clients ------------------------------------------------------------

def test_idle_tcp_connection_does_not_block_and_is_closed(lrelay):
    idle = [socket.create_connection(("127.0.0.1", lrelay.port), timeout=10)
            for _ in range(32)]
    try:
        for _ in range(3):
            _serves(lrelay)
        assert wait_closed(idle[0], 30), \
            "an idle connection was not closed (--idle-timeout 2)"
        for s in idle[1:]:
            assert wait_closed(s, 10)
    finally:
        for s in idle:
            s.close()


def test_idle_tls_connection_does_not_block_and_is_closed(lrelay):
    idle = [connect(lrelay) for _ in range(8)]   # handshake done, then quiet
    try:
        _serves(lrelay)
        for s in idle:
            assert wait_closed(s, 30), "idle TLS connection kept open"
    finally:
        for s in idle:
            s.close()


def test_slow_header_sender_does_not_block_others(lrelay):
    """A client sending its request a byte at a time does not stop others
    from being served."""
    req = ("GET /.well-known/tigress HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "X-Slow: " + "s" * 40 + "\r\n\r\n").encode()
    stop = threading.Event()
    socks = [connect(lrelay) for _ in range(4)]

    def drip(sock):
        try:
            for b in req:
                if stop.is_set():
                    return
                sock.sendall(bytes([b]))
                time.sleep(0.05)
        except OSError:
            return

    ts = [threading.Thread(target=drip, args=(s,), daemon=True)
          for s in socks]
    for t in ts:
        t.start()
    try:
        for _ in range(5):
            _serves(lrelay)
    finally:
        stop.set()
        for t in ts:
            t.join(10)
        for s in socks:
            s.close()


def test_half_request_then_silence_closed(lrelay):
    s = connect(lrelay)
    try:
        s.sendall(b"POST /v1/m HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Length: 100\r\n\r\n{\"pay")
        _serves(lrelay)
        assert wait_closed(s, 30), "a stalled request was never closed"
    finally:
        s.close()


# ---- plain HTTP on the TLS port ----------------------------------------------------------

def test_plain_http_refused_on_tls_port(lrelay):
    s = socket.create_connection(("127.0.0.1", lrelay.port), timeout=5)
    got = b""
    try:
        s.sendall(b"GET /.well-known/tigress HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Connection: close\r\n\r\n")
        s.settimeout(5)
        while True:
            try:
                d = s.recv(65536)
            except (socket.timeout, OSError):
                break
            if not d:
                break
            got += d
    finally:
        s.close()
    assert not got.startswith(b"HTTP/1.1 200") and \
        not got.startswith(b"HTTP/1.0 200"), got[:200]
    assert b"apiVersions" not in got
    _serves(lrelay)


def test_plain_http_on_insecure_relay(relay_factory):
    """Sanity check of the request above: an --insecure-http relay
    answers it."""
    r = relay_factory(tls=False)
    assert r.base_url.startswith("http://127.0.0.1:")
    c = r.client()
    ex = c.well_known()
    assert ex.status == 200, ex
    raw = c.raw_bytes(b"GET /.well-known/tigress HTTP/1.1\r\n"
                      b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200") or raw.startswith(b"HTTP/1.0 200")
