"""Strict HTTP/1.1 and every answer under the relay's control (issue 10
points 2 and 3; RFC 9112 §3.2, §5, §6.3; errata E-ERROR-BODY): what the
HTTP layer refuses is answered with the relay's JSON error body and the
request id echoed, never with a page of an HTTP library; `Prefer` is read
as the RFC 7240 list it is."""

import json
import socket
import time
import uuid

import pytest

from relay_helpers import (DISPLAY, RawAnswer, assert_error, assert_ok,
                           assert_raw_error, cfg, connect, new_claim,
                           new_key, new_mailbox, raw_answer, seal)

RID = "strict-rid-1"


def _body() -> bytes:
    return json.dumps({"payload": seal(new_key(), b"x"),
                       "displayInformation": dict(DISPLAY),
                       "mailboxConfiguration": cfg("RWD")}).encode()


def _create_head(extra: bytes, length=None, host=b"Host: 127.0.0.1\r\n",
                 version=b"HTTP/1.1") -> bytes:
    """A create request's head; extra goes after the usual fields."""
    body = _body()
    n = len(body) if length is None else length
    return (b"POST /v1/m " + version + b"\r\n" + host +
            b"Mailbox-Request-ID: " + RID.encode() + b"\r\n"
            b"Mailbox-Device-Claim: " + new_claim().encode() + b"\r\n"
            b"Content-Type: application/json\r\n" +
            (b"Content-Length: %d\r\n" % n if n >= 0 else b"") +
            extra + b"Connection: close\r\n\r\n" + body)


def _chunked(framing: bytes) -> bytes:
    """A chunked create whose body is framing, as it is."""
    return (b"POST /v1/m HTTP/1.1\r\nHost: h\r\nMailbox-Request-ID: " +
            RID.encode() + b"\r\nMailbox-Device-Claim: " +
            new_claim().encode() + b"\r\nContent-Type: application/json"
            b"\r\nTransfer-Encoding: chunked\r\n\r\n" + framing)


# Each is refused 400 http_syntax (RFC 9112); the first three were served
# by libevent's evhttp (200, 200 and 404).
MALFORMED = {
    "second-different-content-length": lambda: _create_head(
        b"Content-Length: 5\r\n"),
    "plus-sign-content-length": lambda: _create_head(
        b"Content-Length: +%d\r\n" % len(_body()), length=-1),
    "no-host": lambda: _create_head(b"", host=b""),
    "two-hosts": lambda: _create_head(b"Host: example.com\r\n"),
    "bad-host": lambda: _create_head(b"", host=b"Host: a b\r\n"),
    "transfer-encoding-and-content-length": lambda: _create_head(
        b"Transfer-Encoding: chunked\r\n"),
    "unknown-transfer-encoding": lambda: _create_head(
        b"Transfer-Encoding: gzip\r\n", length=-1),
    "obs-fold": lambda: _create_head(b"X-Folded: a\r\n b\r\n"),
    "bare-cr": lambda: _create_head(b"X-Cr: a\rb\r\n"),
    "space-before-colon": lambda: _create_head(b"X-Space : a\r\n"),
    "http-2.0-line": lambda: _create_head(b"", version=b"HTTP/2.0"),
    "bad-chunk-size": lambda: _chunked(b"zz\r\n"),
    # A CR not followed by LF (RFC 9112 §2.2): llhttp's default mode took
    # it and the byte after it as the CRLF ending the head (the create was
    # served, its body read after the "X"), or as the CRLF of the chunk
    # framing (400 json_syntax: the body "hello" was read).
    "bare-cr-ends-head": lambda: _create_head(b"").replace(
        b"Connection: close\r\n\r\n", b"Connection: close\r\n\rX", 1),
    "bare-cr-after-chunk-size": lambda: _chunked(
        b"5\rXhello\r\n0\r\n\r\n"),
    "bare-cr-after-chunk-data": lambda: _chunked(
        b"5\r\nhello\rX0\r\n\r\n"),
    "bare-cr-after-last-chunk": lambda: _chunked(
        b"5\r\nhello\r\n0\rX\r\n"),
    # llhttp refuses these versions before the fields: the id is read
    # from the rest of the head all the same.
    "http-1.2-line": lambda: _create_head(b"", version=b"HTTP/1.2"),
    "http-3.0-line": lambda: _create_head(b"", version=b"HTTP/3.0"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_request_400(relay, client, name):
    ans = raw_answer(client, MALFORMED[name]())
    assert_raw_error(ans, 400, "http_syntax", RID)
    assert ans.headers.get("connection") == "close", ans
    assert client.well_known().status == 200


def test_bare_cr_does_not_end_a_head(client):
    """`\\r` and any byte after it ended the head: two requests were
    answered 200 where there is one, refused (a proxy in front that reads
    the bare CR as data sees one request: smuggling)."""
    get = b"GET /.well-known/tigress HTTP/1.1\r\nHost: h\r\n"
    got = client.raw_bytes(get + b"Mailbox-Request-ID: " + RID.encode() +
                           b"\r\n\rX" + get +
                           b"Connection: close\r\n\r\n")
    assert got.count(b"HTTP/1.1 ") == 1, got
    assert_raw_error(RawAnswer(got), 400, "http_syntax", RID)


def test_the_same_request_well_formed_is_served(client):
    """The control of the cases above: the request as it should be."""
    ans = raw_answer(client, _create_head(b""))
    assert ans.status == 200, ans
    assert ans.headers.get("mailbox-request-id") == RID


def test_body_over_any_limit_json_413(client):
    """Over 1 MiB evhttp answered its own 413 page, without the request
    id; now every size over the limit gets the JSON answer at once."""
    head = _create_head(b"", length=2 * 1024 * 1024)
    ans = raw_answer(client, head[:head.index(b"\r\n\r\n") + 4] +
                     b"{" * 1000)
    assert_raw_error(ans, 413, "too_large", RID)


@pytest.mark.parametrize("rid", [b"caf\xe9", b"\xc3\xa9t\xc3\xa9-1"])
def test_request_id_beyond_ascii_never_echoed(client, rid):
    """Bytes beyond ASCII went back raw in the 413's Mailbox-Request-ID:
    no answer repeats them (errata E-REQID-FORM: printable ASCII),
    neither the HTTP layer's (413) nor the relay's (400 header_value)."""
    head = _create_head(b"", length=200 * 1024).replace(
        RID.encode(), rid)
    ans = raw_answer(client, head[:head.index(b"\r\n\r\n") + 4])
    assert_raw_error(ans, 413, "too_large")
    assert "mailbox-request-id" not in ans.headers, ans
    ans = raw_answer(client, _create_head(b"").replace(RID.encode(), rid))
    assert_raw_error(ans, 400, "header_value")
    assert "mailbox-request-id" not in ans.headers, ans


@pytest.mark.parametrize("line", [b"FOO /x HTTP/1.1", b"GET /x HTTP/1.2",
                                  b"GET /.well-known/tigress HTTP/1.1"])
@pytest.mark.parametrize("rid", [b"A\x7fB", b"A\rB", b"AB\x00CD"])
def test_request_id_cut_by_a_fault_never_echoed(client, line, rid):
    """A request id that a fault cuts short (a control byte inside it) was
    echoed up to that byte ("A" for "A\x7fB"): its prefix is not the id
    that was sent, and a malformed id is not echoed (E-REQID-FORM)."""
    ans = raw_answer(client, line + b"\r\nHost: h\r\nMailbox-Request-ID: " +
                     rid + b"\r\n\r\n")
    assert ans.status in (400, 501), ans
    assert "mailbox-request-id" not in ans.headers, ans


def test_request_id_whole_before_a_fault_echoed(client):
    """An id whose line ended before the fault came is the id sent."""
    ans = raw_answer(client, b"FOO /x HTTP/1.1\r\nHost: h\r\n"
                     b"Mailbox-Request-ID: " + RID.encode() +
                     b"\r\nX: a\x00b\r\n\r\n")
    assert ans.status in (400, 501), ans
    assert ans.headers.get("mailbox-request-id") == RID, ans


def test_chunked_body_over_limit_413(client):
    chunk = b"a" * 60000
    data = (b"POST /v1/m HTTP/1.1\r\nHost: h\r\nMailbox-Request-ID: " +
            RID.encode() + b"\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" +
            (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
    assert_raw_error(raw_answer(client, data), 413, "too_large", RID)


def test_chunked_body_accepted(client):
    body = _body()
    data = (b"POST /v1/m HTTP/1.1\r\nHost: h\r\nMailbox-Device-Claim: " +
            new_claim().encode() + b"\r\nMailbox-Request-ID: c1\r\n"
            b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
            b"%x\r\n" % 10 + body[:10] + b"\r\n" +
            b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\n\r\n")
    ans = raw_answer(client, data)
    assert ans.status == 200, ans


@pytest.mark.parametrize("size", [9000, 70 * 1024])
def test_header_block_over_limit_json_431(client, size):
    """Over 64 KiB evhttp answered a 400 page; any head over the limit
    (8192 bytes) now gets 431 headers_too_large with the request id."""
    data = (b"GET /.well-known/tigress HTTP/1.1\r\nHost: h\r\n"
            b"Mailbox-Request-ID: " + RID.encode() + b"\r\n"
            b"X-Padding: " + b"p" * size + b"\r\n\r\n")
    assert_raw_error(raw_answer(client, data), 431, "headers_too_large",
                     RID)


def test_too_many_fields_431(client):
    data = (b"GET /.well-known/tigress HTTP/1.1\r\nHost: h\r\n" +
            b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n")
    assert_raw_error(raw_answer(client, data), 431, "headers_too_large")


def test_unknown_method_json_501(client):
    """evhttp answered a method it does not know with its own 501 page."""
    data = (b"FOO /v1/m HTTP/1.1\r\nHost: h\r\nMailbox-Request-ID: " +
            RID.encode() + b"\r\n\r\n")
    ans = raw_answer(client, data)
    assert_raw_error(ans, 501, "not_implemented", RID)


def test_garbage_request_line_400(client):
    ans = raw_answer(client, b"G@T / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert_raw_error(ans, 400, "http_syntax")
    ans = raw_answer(client, b"\x16\x03\x01\x00\x01\x00\r\n\r\n")
    assert_raw_error(ans, 400, "http_syntax")


def test_known_method_not_served_405(client):
    ans = raw_answer(client, b"PROPFIND /v1/m HTTP/1.1\r\nHost: h\r\n"
                     b"Connection: close\r\n\r\n")
    assert_raw_error(ans, 405, "method_not_allowed")
    assert "POST" in ans.headers.get("allow", "")


def test_transfer_coding_list_400(client):
    """'identity, chunked' was served as chunked; hops that read the list
    otherwise frame the body otherwise (RFC 9112 §6.1, §7)."""
    body = _body()
    head = _chunked(b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    ans = raw_answer(client, head.replace(b"Transfer-Encoding: chunked",
                                          b"Transfer-Encoding: identity, "
                                          b"chunked"))
    assert_raw_error(ans, 400, "http_syntax")
    ans = raw_answer(client, head)          # the same, chunked alone
    assert ans.status == 200, ans


def test_http10_with_transfer_encoding_400(client):
    """A chunked body in HTTP/1.0 was read and served (RFC 9112 §6.1: a
    1.0 message with Transfer-Encoding has faulty framing)."""
    body = _body()
    ans = raw_answer(client, b"POST /v1/m HTTP/1.0\r\nHost: h\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Mailbox-Device-Claim: " + new_claim().encode() +
                     b"\r\nMailbox-Request-ID: " + RID.encode() +
                     b"\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    assert_raw_error(ans, 400, "http_syntax", RID)


def test_http10_without_host_served(client):
    ans = raw_answer(client, b"GET /.well-known/tigress HTTP/1.0\r\n\r\n")
    assert ans.status == 200, ans


def test_absolute_form_target(client):
    ans = raw_answer(client, b"GET https://127.0.0.1/.well-known/tigress "
                     b"HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close"
                     b"\r\n\r\n")
    assert ans.status == 200, ans


def test_expect_100_continue(relay):
    body = _body()
    s = connect(relay)
    try:
        s.sendall(b"POST /v1/m HTTP/1.1\r\nHost: h\r\n"
                  b"Mailbox-Device-Claim: " + new_claim().encode() +
                  b"\r\nMailbox-Request-ID: e100\r\nContent-Type: "
                  b"application/json\r\nExpect: 100-continue\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        first = s.recv(4096)
        assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first
        s.sendall(body)
        got = first[25:]
        while b"\r\n\r\n" not in got:
            got += s.recv(4096)
        assert got.startswith(b"HTTP/1.1 200 "), got
    finally:
        s.close()


def test_pipelined_requests_answered_in_order(client):
    one = b"GET /.well-known/tigress HTTP/1.1\r\nHost: h\r\n\r\n"
    two = (b"GET /nowhere HTTP/1.1\r\nHost: h\r\nMailbox-Request-ID: p2\r\n"
           b"Connection: close\r\n\r\n")
    got = client.raw_bytes(one + two, timeout=5)
    first = got.index(b"HTTP/1.1 200 ")
    second = got.index(b"HTTP/1.1 404 ")
    assert first == 0 and second > first, got[:400]
    assert b"Mailbox-Request-ID: p2" in got[second:]


def test_pipelined_tls_records_all_answered(relay):
    """Requests pipelined as separate TLS records, which reach the relay
    together: OpenSSL reads them ahead in one go, and none is left
    unanswered in its buffer."""
    req = b"GET /.well-known/tigress HTTP/1.1\r\nHost: h\r\n\r\n"
    for n in (2, 3, 4) * 5:
        s = connect(relay)
        for _ in range(n):
            s.send(req)             # a record each
        got = b""
        while got.count(b"HTTP/1.1 200 ") < n:
            data = s.recv(65536)    # the socket's timeout bounds the wait
            assert data, got
            got += data
        s.close()


@pytest.mark.parametrize("header", ["Mailbox-Request-ID",
                                    "Mailbox-Device-Claim", "Content-Type"])
def test_repeated_header_refused(client, header):
    """A header the relay reads, given twice with different values: which
    one would a proxy in front have checked?"""
    s = new_mailbox(client)
    values = {"Mailbox-Request-ID": ("r-a", "r-b"),
              "Mailbox-Device-Claim": (s.claim, new_claim()),
              "Content-Type": ("application/json", "text/plain")}[header]
    data = ("POST /v1/m/%s HTTP/1.1\r\nHost: h\r\n"
            "Mailbox-Device-Claim: %s\r\n%s: %s\r\n%s: %s\r\n"
            "Content-Length: 2\r\nConnection: close\r\n\r\n{}" % (
                s.id, s.claim, header, values[0], header, values[1])
            ).encode()
    ans = raw_answer(client, data)
    assert_raw_error(ans, 400, "header_value")


def test_request_deadline_408(relay_factory):
    """A head that does not arrive in time is answered 408 with the JSON
    body (and the request id read so far), then the connection closes."""
    relay = relay_factory("--header-timeout", "1", "--body-timeout", "1")
    for partial in (b"POST /v1/m HTTP/1.1\r\nHost: h\r\n"
                    b"Mailbox-Request-ID: t408\r\n",
                    b"POST /v1/m HTTP/1.1\r\nHost: h\r\n"
                    b"Mailbox-Request-ID: t408\r\nContent-Length: 100\r\n"
                    b"\r\n{\"pay"):
        s = connect(relay)
        try:
            s.sendall(partial)
            s.settimeout(10)
            got = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                got += d
        finally:
            s.close()
        assert_raw_error(RawAnswer(got), 408, "request_timeout", "t408")


# ---- Prefer (RFC 7240) ----------------------------------------------------------

def _held(client, prefer, headers=None):
    s = new_mailbox(client)
    first = client.read(s.url, s.claim)
    assert_ok(first)
    etag = first.header("ETag")
    h = {"If-None-Match": etag}
    if prefer is not None:
        h["Prefer"] = prefer
    h.update(headers or {})
    return client.read(s.url, s.claim, headers=h)


def test_prefer_other_token_ending_in_wait_is_not_wait(client):
    """`nowait=2` is not the wait preference: evhttp's substring match
    held this read 2 s and answered Preference-Applied: wait=2."""
    ex = _held(client, "respond-async, nowait=2")
    assert ex.status == 200, ex
    assert ex.header("Preference-Applied") is None, ex.headers


def test_prefer_wait_in_a_list(client):
    ex = _held(client, "respond-async, wait=1")
    assert ex.status == 304, ex
    assert ex.header("Preference-Applied") == "wait=1"


def test_prefer_wait_as_a_parameter_is_not_wait(client):
    ex = _held(client, 'foo; wait=1, handling="a,b"')
    assert ex.status == 200, ex
    assert ex.header("Preference-Applied") is None


def test_prefer_first_wait_counts(client):
    ex = _held(client, "wait=1, wait=30")
    assert ex.status == 304, ex
    assert ex.header("Preference-Applied") == "wait=1"


def test_prefer_wait_quoted(client):
    """RFC 7240 §2: a preference's value is a token or a quoted-string."""
    ex = _held(client, 'respond-async, wait="1"')
    assert ex.status == 304, ex
    assert ex.header("Preference-Applied") == "wait=1"


def test_prefer_wait_not_a_number_ignored(client):
    ex = _held(client, "wait=soon")
    assert ex.status == 200, ex
