"""Every endpoint of http-00 §6: its success answers and every error it can
give, with the error bodies of errata E-ERROR-BODY (codes of
spec/errors.md), the Mailbox-Request-ID echo of §5.1, the routing of
unknown paths, versions and methods, and /.well-known/tigress
(extensions.md X-WELL-KNOWN)."""

import base64
import json
import time
import uuid

import pytest

from relay_helpers import (DISPLAY, UUID4_RE, assert_echo, assert_error,
                           assert_ok, cfg, exp_in, new_claim,
                           new_key, new_mailbox, open_payload, parse_time,
                           parse_url, read_plain, seal)


def _body(**over):
    """A valid create body with members replaced (None removes one)."""
    b = {
        "payload": seal(new_key(), b"secret provisioning information"),
        "displayInformation": dict(DISPLAY),
        "mailboxConfiguration": cfg("RWD"),
    }
    for k, v in over.items():
        if v is None:
            b.pop(k, None)
        else:
            b[k] = v
    return b


def _post_create(client, obj=None, raw=None, claim=None, rid=None,
                 content_type="application/json", headers=None):
    body = raw if raw is not None else \
        json.dumps(obj, separators=(",", ":")).encode()
    return client.create(claim or new_claim(), None, None, body=body,
                         request_id=rid, content_type=content_type,
                         headers=headers)


# ---- startup ------------------------------------------------------------------

def test_startup_line_on_stdout(relay):
    """The listening line is printed on stdout (the brief's contract),
    naming the certificate to trust."""
    assert relay.listen_stream == "stdout", relay.output_text()
    assert relay.base_url.startswith("https://127.0.0.1:")
    assert relay.ca, "TLS relay did not name its certificate"


# ---- CreateMailbox (§6.1) ------------------------------------------------------

def test_create_200(relay, client):
    s = new_mailbox(client)
    j = s.ex.json
    assert set(j) >= {"urlLink", "isPushNotificationSupported"}
    assert isinstance(j["isPushNotificationSupported"], bool)
    assert j["isPushNotificationSupported"] is False  # no notifier
    url = j["urlLink"]
    # E-VERSION-PATH: https://{host}[:port]/v1/m/{id}, no query or fragment
    assert url.startswith(relay.base_url + "/v1/m/"), url
    assert "#" not in url and "?" not in url
    mid = url[len(relay.base_url + "/v1/m/"):]
    assert UUID4_RE.match(mid), "not a lower-case version 4 UUID: %r" % mid
    p = parse_url(url)
    assert p.secret is None
    assert p.mailbox_id == mid
    assert p.api_url == url
    # the share URL the initiator sends parses back to the same mailbox
    p2 = parse_url(s.share_url)
    assert p2.secret == s.key and p2.api_url == url


def test_create_ids_unique_and_random(client):
    ids = {new_mailbox(client).id for _ in range(20)}
    assert len(ids) == 20
    for i in ids:
        assert UUID4_RE.match(i)


def test_create_full_body_figure2(client):
    """Figure 2's body (with a valid expiration) is accepted, and the read
    echoes displayInformation and the expiration (E-EXPIRATION)."""
    exp = exp_in(3600)
    key = new_key()
    claim = new_claim()
    ex = client.create(claim, dict(DISPLAY), seal(key, b"x"),
                       notify={"type": "com.apple.apns",
                               "tokenData": "APNS1234QW"},
                       config={"accessRights": "RWD", "expiration": exp},
                       attestation="opaque-attestation-blob")
    assert_ok(ex)
    r = client.read(ex.json["urlLink"], claim)
    j = assert_ok(r)
    assert j["expiration"] == exp
    assert j["displayInformation"] == DISPLAY
    assert open_payload(j["payload"], key) == b"x"


def test_create_default_lifetime(client):
    """Without mailboxConfiguration the default lifetime (24 h) applies
    and the read echoes it (E-EXPIRATION)."""
    before = int(time.time())
    s = new_mailbox(client, config=False)
    j = assert_ok(client.read(s.url, s.claim))
    exp = parse_time(j["expiration"])
    after = int(time.time())
    assert before + 86400 - 5 <= exp <= after + 86400 + 5, j["expiration"]


def test_create_aes256(client):
    s = new_mailbox(client, key_len=32)
    assert read_plain(client, s.url, new_claim(), s.key) == s.plaintext


def test_create_unknown_members_ignored(client):
    """BODY-UNKNOWN: unknown members are ignored at every level."""
    b = _body(extra={"a": [1, 2, {"b": None}]})
    b["displayInformation"]["extra"] = True
    b["payload"]["note"] = "ignored"
    assert_ok(_post_create(client, b))


def test_create_charset_parameter(client):
    """A content type with parameters is still application/json."""
    ex = _post_create(client, _body(),
                      content_type="application/json; charset=utf-8")
    assert_ok(ex)


BAD_CREATE_BODIES = [
    ("missing payload", lambda: _body(payload=None), "field_missing"),
    ("payload null", lambda: {**_body(), "payload": None}, "field_type"),
    ("payload array", lambda: _body(payload=[]), "field_type"),
    ("displayInformation null",
     lambda: {**_body(), "displayInformation": None}, "field_type"),
    ("payload not object", lambda: _body(payload="AAAA"), "field_type"),
    ("payload missing type",
     lambda: _body(payload={"data": seal(new_key(), b"x")["data"]}),
     "field_missing"),
    ("bad AEAD type",
     lambda: _body(payload={"type": "AEAD_AES_512_GCM",
                            "data": seal(new_key(), b"x")["data"]}),
     "payload_type"),
    ("AEAD type lower case",
     lambda: _body(payload={"type": "aead_aes_128_gcm",
                            "data": seal(new_key(), b"x")["data"]}),
     "payload_type"),
    ("payload missing data",
     lambda: _body(payload={"type": "AEAD_AES_128_GCM"}), "field_missing"),
    ("data not a string",
     lambda: _body(payload={"type": "AEAD_AES_128_GCM", "data": 12}),
     "field_type"),
    ("bad base64",
     lambda: _body(payload={"type": "AEAD_AES_128_GCM",
                            "data": "!!!not*base64!!!"}),
     "payload_encoding"),
    ("base64 without padding",
     lambda: _body(payload={"type": "AEAD_AES_128_GCM",
                            "data": base64.b64encode(b"\0" * 40)
                            .decode().rstrip("=") + "A"}),
     "payload_encoding"),
    ("url-safe base64",
     lambda: _body(payload={"type": "AEAD_AES_128_GCM",
                            "data": base64.urlsafe_b64encode(
                                b"\xfb\xff" * 20).decode()}),
     "payload_encoding"),
    ("data too short",
     lambda: _body(payload={"type": "AEAD_AES_128_GCM",
                            "data": base64.b64encode(b"\1" * 27).decode()}),
     "payload_truncated"),
    ("missing displayInformation",
     lambda: _body(displayInformation=None), "field_missing"),
    ("missing displayInformation.title",
     lambda: _body(displayInformation={"description": "d",
                                       "imageURL": "https://e.com/i"}),
     "field_missing"),
    ("title not a string",
     lambda: _body(displayInformation={"title": 5, "description": "d",
                                       "imageURL": "https://e.com/i"}),
     "field_type"),
    ("empty title",
     lambda: _body(displayInformation={"title": "", "description": "d",
                                       "imageURL": "https://e.com/i"}),
     {"field_value", "field_too_long"}),
    ("notificationToken without tokenData (E-NOTIFY-BOTH)",
     lambda: _body(notificationToken={"type": "com.apple.apns"}),
     "field_missing"),
    ("notificationToken without type",
     lambda: _body(notificationToken={"tokenData": "abc"}),
     "field_missing"),
    ("mailboxConfiguration without expiration (E-CONFIG-EXPIRATION)",
     lambda: _body(mailboxConfiguration={"accessRights": "RD"}),
     "field_missing"),
    ("expiration with fraction",
     lambda: _body(mailboxConfiguration={
         "expiration": exp_in(3600)[:-1] + ".5Z"}), "time_syntax"),
    ("expiration with offset",
     lambda: _body(mailboxConfiguration={
         "expiration": exp_in(3600)[:-1] + "+00:00"}), "time_syntax"),
    ("expiration lower case",
     lambda: _body(mailboxConfiguration={
         "expiration": exp_in(3600).lower()}), "time_syntax"),
    ("expiration with space",
     lambda: _body(mailboxConfiguration={
         "expiration": exp_in(3600).replace("T", " ")}), "time_syntax"),
    ("expiration epoch number",
     lambda: _body(mailboxConfiguration={
         "expiration": int(time.time()) + 3600}), {"field_type",
                                                    "time_syntax"}),
    ("expiration not a real date",
     lambda: _body(mailboxConfiguration={
         "expiration": "2031-02-30T10:00:00Z"}), "time_syntax"),
    ("expiration in the past",
     lambda: _body(mailboxConfiguration={
         "expiration": exp_in(-3600)}), "field_value"),
    ("expiration is the current second",
     lambda: _body(mailboxConfiguration={"expiration": exp_in(0)}),
     "field_value"),
    ("expiration beyond max ttl",
     lambda: _body(mailboxConfiguration={
         "expiration": exp_in(7 * 86400 + 3600)}), "field_value"),
    ("accessRights empty",
     lambda: _body(mailboxConfiguration=cfg("")), "field_value"),
    ("accessRights without R",
     lambda: _body(mailboxConfiguration=cfg("WD")), "field_value"),
    ("accessRights unknown letter",
     lambda: _body(mailboxConfiguration=cfg("RX")), "field_value"),
    ("accessRights repeated letter",
     lambda: _body(mailboxConfiguration=cfg("RR")), "field_value"),
    ("accessRights lower case",
     lambda: _body(mailboxConfiguration=cfg("rwd")), "field_value"),
    ("accessRights too long",
     lambda: _body(mailboxConfiguration=cfg("RWDR")),
     {"field_value", "field_too_long"}),
    ("accessRights not a string",
     lambda: _body(mailboxConfiguration=cfg(["R"])), "field_type"),
]


@pytest.mark.parametrize("make,code", [(m, c) for _, m, c in
                                       BAD_CREATE_BODIES],
                         ids=[n for n, _, _ in BAD_CREATE_BODIES])
def test_create_400_body(client, make, code):
    assert_error(_post_create(client, make()), 400, code)


@pytest.mark.parametrize("raw,code", [
    (b"", "json_syntax"),
    (b"not json", "json_syntax"),
    (b"[]", "json_syntax"),
    (b'"string"', "json_syntax"),
    (b'{"payload": ', "json_syntax"),
    (b'{"a":1}{"b":2}', "json_syntax"),
    (b'{"a":"\xff\xfe"}', "json_syntax"),
    (b'{"a":"x\\u0000y"}', "json_syntax"),
], ids=["empty", "text", "array", "string", "truncated", "two-values",
        "bad-utf8", "nul"])
def test_create_400_not_json(client, raw, code):
    assert_error(_post_create(client, raw=raw), 400, code)


def test_create_400_duplicate_member(client):
    """E-DUP-KEYS: a member name twice is refused."""
    b = json.dumps(_body(), separators=(",", ":"))
    dup = b[:-1] + ',"payload":' + json.dumps(
        seal(new_key(), b"other")) + "}"
    assert_error(_post_create(client, raw=dup.encode()), 400, "json_syntax")


def test_create_400_missing_claim(client):
    ex = client.create(None, dict(DISPLAY), seal(new_key(), b"x"))
    assert_error(ex, 400, "header_missing")


@pytest.mark.parametrize("claim", [
    "not-a-uuid", "{%s}" % uuid.uuid4(), "urn:uuid:%s" % uuid.uuid4(),
    str(uuid.uuid4())[:-1], str(uuid.uuid4()) + "0",
    str(uuid.uuid4()).replace("-", ""), "g" + str(uuid.uuid4())[1:],
], ids=["word", "braces", "urn", "short", "long", "no-dashes", "non-hex"])
def test_create_400_bad_claim(client, claim):
    ex = client.create(claim, dict(DISPLAY), seal(new_key(), b"x"))
    assert_error(ex, 400, "header_value")


def test_create_400_missing_request_id(client):
    ex = client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                       request_id=False)
    assert_error(ex, 400, "header_missing")


@pytest.mark.parametrize("rid", ["x" * 129, "has space", "caf\u00e9",
                                 "tab\there"],
                         ids=["129-chars", "space", "non-ascii", "tab"])
def test_create_400_bad_request_id(client, rid):
    ex = client.raw("POST", "/v1/m", headers={
        "Mailbox-Request-ID": rid.encode("utf-8") if not rid.isascii()
        else rid,
        "Mailbox-Device-Claim": new_claim(),
        "Content-Type": "application/json"},
        body=json.dumps(_body()).encode())
    assert ex.status == 400, ex
    assert_error(ex, 400, "header_value")


def test_create_empty_request_id(client):
    ex = client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                       request_id="")
    assert_error(ex, 400, {"header_value", "header_missing"})


@pytest.mark.parametrize("rid", ["x", "x" * 128, "not-a-uuid-but-fine!~",
                                 "A" * 64])
def test_create_request_id_any_printable(client, rid):
    """E-REQID-FORM: any 1-128 printable ASCII characters."""
    ex = client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                       request_id=rid)
    assert_ok(ex)
    assert ex.header("Mailbox-Request-ID") == rid


def test_create_claim_any_version_and_case(client):
    """E-CLAIM-FORM / E-UUID-CASE: a claim may be any UUID version and is
    read in either case: the upper-case form names the same device."""
    claim = "2bba630e-519b-11ec-bf63-0242ac130002"  # version 1
    s = new_mailbox(client, claim=claim.upper(), rights="RWD")
    # the initiator reading with the lower-case form is still the
    # initiator: it does not become the recipient
    assert read_plain(client, s.url, claim, s.key) == s.plaintext
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == s.plaintext


def test_create_attestation(client):
    ex = client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                       attestation=base64.b64encode(b"a" * 600).decode())
    assert_ok(ex)


def test_create_415_content_type(client):
    assert_error(_post_create(client, _body(), content_type="text/plain"),
                 415, "unsupported_media_type")
    assert_error(_post_create(client, _body(),
                              content_type="application/x-www-form-"
                                           "urlencoded"),
                 415, "unsupported_media_type")


def test_create_echo_request_id(client):
    rid = str(uuid.uuid4())
    ex = client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                       request_id=rid)
    assert_ok(ex)
    assert ex.header("Mailbox-Request-ID") == rid
    bad = _post_create(client, raw=b"nope", rid=rid + "-2")
    assert_error(bad, 400)
    assert bad.header("Mailbox-Request-ID") == rid + "-2"


# ---- UpdateMailbox (§6.2) --------------------------------------------------------

def test_update_200_initiator_before_binding(client):
    """E-ACCESS-RIGHTS: W lets the initiator update before a recipient is
    bound."""
    s = new_mailbox(client, rights="RWD")
    ex = client.update(s.url, s.claim, seal(s.key, b"v2"))
    j = assert_ok(ex)
    assert set(j) >= {"isPushNotificationSupported"}
    assert j["isPushNotificationSupported"] is False
    assert read_plain(client, s.url, s.claim, s.key) == b"v2"


def test_update_200_recipient(client):
    s = new_mailbox(client, rights="RW")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_ok(client.update(s.url, r, seal(s.key, b"from recipient")))
    assert read_plain(client, s.url, s.claim, s.key) == b"from recipient"


def test_update_201_duplicate(client):
    s = new_mailbox(client, rights="RWD")
    rid = str(uuid.uuid4())
    first = client.update(s.url, s.claim, seal(s.key, b"v2"), request_id=rid)
    assert_ok(first)
    again = client.update(s.url, s.claim, seal(s.key, b"v3"), request_id=rid)
    assert again.status == 201, again
    assert again.body == first.body
    assert_echo(again)
    assert read_plain(client, s.url, s.claim, s.key) == b"v2"


def test_update_400(client):
    s = new_mailbox(client, rights="RWD")
    assert_error(client.update(s.url, s.claim, None), 400, "field_missing")
    assert_error(client.update(s.url, s.claim, {"type": "AEAD_AES_128_GCM",
                                                "data": "@@@@"}),
                 400, "payload_encoding")
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x"),
                               notify={"type": "t"}), 400, "field_missing")
    assert_error(client.update(s.url, s.claim, None, body=b"{"), 400,
                 "json_syntax")
    assert_error(client.update(s.url, None, seal(s.key, b"x")), 400,
                 "header_missing")
    assert_error(client.update(s.url, "nope", seal(s.key, b"x")), 400,
                 "header_value")
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x"),
                               request_id=False), 400, "header_missing")
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x"),
                               request_id="y" * 129), 400, "header_value")
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x"),
                               content_type="text/plain"),
                 415, "unsupported_media_type")
    # nothing of the above changed the mailbox
    assert read_plain(client, s.url, s.claim, s.key) == s.plaintext


def test_update_401(client):
    s = new_mailbox(client, rights="RWD")
    assert_error(client.update(s.url, new_claim(), seal(s.key, b"x")), 401,
                 "unauthorized")
    # default RD: nobody may update
    d = new_mailbox(client)
    assert_error(client.update(d.url, d.claim, seal(d.key, b"x")), 401,
                 "unauthorized")


def test_update_404(client):
    assert_error(client.update(str(uuid.uuid4()), new_claim(),
                               seal(new_key(), b"x")), 404, "not_found")


# ---- DeleteMailbox (§6.3) --------------------------------------------------------

def test_delete_200(client):
    s = new_mailbox(client)
    ex = client.delete(s.url, s.claim)
    j = assert_ok(ex)
    assert j == {}  # E-EMPTY-RESP
    assert_error(client.read(s.url, s.claim), 404, "not_found")
    assert_error(client.read_display(s.url), 404, "not_found")
    assert_error(client.delete(s.url, s.claim), 404, "not_found")


def test_delete_201_duplicate(client):
    s = new_mailbox(client)
    rid = str(uuid.uuid4())
    first = client.delete(s.url, s.claim, request_id=rid)
    assert_ok(first)
    again = client.delete(s.url, s.claim, request_id=rid)
    assert again.status == 201, again   # E-DUP-DELETE
    assert again.body == first.body
    assert_echo(again)


def test_delete_400(client):
    s = new_mailbox(client)
    assert_error(client.delete(s.url, None), 400, "header_missing")
    assert_error(client.delete(s.url, "123"), 400, "header_value")
    assert_error(client.delete(s.url, s.claim, request_id=False), 400,
                 "header_missing")
    assert_ok(client.read(s.url, s.claim))


def test_delete_401(client):
    s = new_mailbox(client, rights="RWD")
    assert_error(client.delete(s.url, new_claim()), 401, "unauthorized")
    assert_ok(client.read(s.url, s.claim))


def test_delete_404(client):
    assert_error(client.delete(str(uuid.uuid4()), new_claim()), 404,
                 "not_found")


# ---- ReadDisplayInformationFromMailbox (§6.4) ----------------------------------

def test_get_display_200(client):
    s = new_mailbox(client)
    ex = client.read_display(s.url)
    assert ex.status == 200, ex
    assert ex.media_type == "text/html", ex.content_type
    assert "Hotel Pass" in ex.text
    assert 'property="og:title"' in ex.text or "property='og:title'" in \
        ex.text


def test_get_display_404(client):
    assert_error(client.read_display(str(uuid.uuid4())), 404, "not_found")


def test_head_display(client):
    """E-HEAD: HEAD is answered like GET without a body."""
    s = new_mailbox(client)
    g = client.read_display(s.url)
    h = client.read_display(s.url, method="HEAD")
    assert h.status == 200, h
    assert h.body == b""
    assert h.media_type == "text/html"
    assert g.status == 200
    for name in ("Content-Type", "Content-Security-Policy",
                 "X-Content-Type-Options", "Referrer-Policy"):
        assert h.header(name) == g.header(name), name
    h404 = client.read_display(str(uuid.uuid4()), method="HEAD")
    assert h404.status == 404 and h404.body == b""


def _raw_response(client, request: bytes):
    """Send one request on a new connection (Connection: close) and split
    what comes back into (head, rest-after-the-blank-line)."""
    got = client.raw_bytes(request, timeout=5)
    head, sep, rest = got.partition(b"\r\n\r\n")
    assert sep, got[:300]
    return head, rest


@pytest.mark.parametrize("target", ["mailbox", "unknown", "well-known"])
def test_head_sends_no_body_on_the_wire(client, target):
    """E-HEAD (and RFC 9110 §9.3.2): the answer to HEAD has no content.
    Checked on the raw connection, where a stray body would otherwise be
    taken as the start of the next answer."""
    path = {"mailbox": "/v1/m/" + new_mailbox(client).id,
            "unknown": "/v1/m/00000000-0000-4000-8000-000000000000",
            "well-known": "/.well-known/tigress"}[target]
    head, rest = _raw_response(client, (
        "HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        % path).encode())
    assert head.startswith(b"HTTP/1.1 "), head
    assert rest == b"", "HEAD answered with a body: %r" % rest[:200]


def test_get_display_echoes_request_id(client):
    s = new_mailbox(client)
    ex = client.read_display(s.url, request_id="display-req-1")
    assert ex.status == 200
    assert ex.header("Mailbox-Request-ID") == "display-req-1"


# ---- ReadSecureContentFromMailbox (§6.5) -----------------------------------------

def test_read_200(client):
    s = new_mailbox(client)
    ex = client.read(s.url, new_claim())
    j = assert_ok(ex)
    assert set(j) >= {"displayInformation", "payload", "expiration"}
    assert j["displayInformation"] == s.display
    assert isinstance(j["payload"], dict)      # E-PAYLOAD-OBJECT
    assert j["payload"]["type"] == "AEAD_AES_128_GCM"
    assert open_payload(j["payload"], s.key) == s.plaintext
    assert j["expiration"] == s.config["expiration"]
    assert ex.header("ETag"), "read answer without ETag (X-LONG-POLL)"


def test_read_without_request_id(client):
    """E-REQID-FORM: the request id is optional on reads."""
    s = new_mailbox(client)
    ex = client.read(s.url, s.claim, request_id=False)
    assert_ok(ex)
    assert ex.header("Mailbox-Request-ID") is None


def test_read_repeated_not_deduplicated(client):
    """E-DUP-SCOPE: reads are not deduplicated; a repeated read (same
    request id) is 200 with the current content."""
    s = new_mailbox(client, rights="RWD")
    rid = str(uuid.uuid4())
    assert_ok(client.read(s.url, s.claim, request_id=rid))
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"new")))
    ex = client.read(s.url, s.claim, request_id=rid)
    assert ex.status == 200, ex
    assert open_payload(ex.json["payload"], s.key) == b"new"


def test_read_with_notification_token(client):
    s = new_mailbox(client)
    ex = client.read(s.url, new_claim(), notify={"type": "com.apple.apns",
                                                 "tokenData": "ABCDEF"})
    assert_ok(ex)


def test_read_empty_object_body(client):
    s = new_mailbox(client)
    assert_ok(client.read(s.url, new_claim(), body=b"{}",
                          content_type="application/json"))


def test_read_400(client):
    s = new_mailbox(client)
    assert_error(client.read(s.url, None), 400, "header_missing")
    assert_error(client.read(s.url, "not-a-claim"), 400, "header_value")
    assert_error(client.read(s.url, new_claim(), notify={"type": "x"}), 400,
                 "field_missing")
    assert_error(client.read(s.url, new_claim(), body=b"[1]",
                             content_type="application/json"), 400,
                 "json_syntax")
    assert_error(client.read(s.url, new_claim(), body=b"{}",
                             content_type="text/plain"), 415,
                 "unsupported_media_type")


def test_read_401_and_binding(client):
    s = new_mailbox(client)
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert read_plain(client, s.url, s.claim, s.key) == s.plaintext
    assert_error(client.read(s.url, new_claim()), 401, "unauthorized")


def test_read_404(client):
    assert_error(client.read(str(uuid.uuid4()), new_claim()), 404,
                 "not_found")


def test_read_mailbox_id_upper_case(client):
    """E-UUID-CASE: identifiers are read in either case."""
    s = new_mailbox(client)
    ex = client.read("/v1/m/" + s.id.upper(), s.claim)
    assert_ok(ex)


# ---- RelinquishMailbox (§6.6) ------------------------------------------------------

def test_relinquish_200_201(client):
    s = new_mailbox(client)
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    rid = str(uuid.uuid4())
    first = client.relinquish(s.url, r, request_id=rid)
    assert assert_ok(first) == {}       # E-EMPTY-RESP
    again = client.relinquish(s.url, r, request_id=rid)
    assert again.status == 201, again
    assert again.body == first.body
    assert_echo(again)


def test_relinquish_401(client):
    s = new_mailbox(client)
    # no recipient bound yet
    assert_error(client.relinquish(s.url, new_claim()), 401, "unauthorized")
    assert_error(client.relinquish(s.url, s.claim), 401, "unauthorized")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_error(client.relinquish(s.url, s.claim), 401, "unauthorized")
    assert_error(client.relinquish(s.url, new_claim()), 401, "unauthorized")
    # still bound
    assert_error(client.read(s.url, new_claim()), 401, "unauthorized")


def test_relinquish_400(client):
    s = new_mailbox(client)
    assert_error(client.relinquish(s.url, None), 400, "header_missing")
    assert_error(client.relinquish(s.url, "x"), 400, "header_value")
    assert_error(client.relinquish(s.url, new_claim(), request_id=False),
                 400, "header_missing")


def test_relinquish_404(client):
    assert_error(client.relinquish(str(uuid.uuid4()), new_claim()), 404,
                 "not_found")


# ---- routing ---------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/m"), ("PUT", "/v1/m"), ("DELETE", "/v1/m"),
    ("PATCH", "/v1/m"), ("HEAD", "/v1/m"),
    ("POST", "/.well-known/tigress"), ("PUT", "/.well-known/tigress"),
    ("DELETE", "/.well-known/tigress"),
])
def test_405_collection_and_well_known(client, method, path):
    ex = client.raw(method, path, headers={
        "Mailbox-Device-Claim": new_claim(),
        "Mailbox-Request-ID": str(uuid.uuid4())})
    if method == "HEAD":
        assert ex.status == 405 and ex.body == b"", ex
    else:
        assert_error(ex, 405, "method_not_allowed")


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "FOO"])
def test_405_other_methods_on_mailbox(client, method):
    s = new_mailbox(client)
    ex = client.raw(method, "/v1/m/" + s.id, headers={
        "Mailbox-Device-Claim": s.claim,
        "Mailbox-Request-ID": str(uuid.uuid4())})
    if method == "FOO":
        # extensions.md X-LIMITS, errata E-ERROR-BODY: libevent answers a
        # method it does not know with 501 before the relay sees it.
        assert ex.status == 501, ex
    else:
        assert_error(ex, 405, "method_not_allowed")
    # and the mailbox is untouched
    assert_ok(client.read(s.url, s.claim))


def test_405_allow_header(client):
    """RFC 9110 §15.5.6: a 405 answer names the allowed methods."""
    s = new_mailbox(client)
    ex = client.raw("OPTIONS", "/v1/m/" + s.id)
    assert ex.status == 405, ex
    allow = {m.strip().upper() for m in (ex.header("Allow") or "")
             .split(",")}
    assert {"GET", "POST", "PUT", "DELETE", "PATCH"} <= allow, ex.headers
    ex = client.raw("PUT", "/v1/m")
    assert ex.status == 405
    assert "POST" in (ex.header("Allow") or "").upper(), ex.headers


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/v1"), ("GET", "/v1/"), ("GET", "/v1/m/"),
    ("POST", "/v1/m/"), ("GET", "/index.html"), ("GET", "/.well-known/"),
    ("GET", "/.well-known/tigress/x"), ("POST", "/v2/m"),
    ("GET", "/v1/m/not-a-uuid"), ("POST", "/v1/m/not-a-uuid"),
    ("GET", "/v1/m/%s/extra"), ("GET", "/v1/x/%s"), ("GET", "/v2/m/%s"),
    ("POST", "/v2/m/%s"), ("GET", "/v0/m/%s"), ("GET", "/v01/m/%s"),
    ("GET", "/V1/m/%s"), ("GET", "/v1/M/%s"), ("GET", "/v1//m/%s"),
    ("GET", "/v1/m/%s/"), ("DELETE", "/v2/m/%s"), ("PUT", "/v3/m/%s"),
    ("PATCH", "/v2/m/%s"),
])
def test_404_unknown_paths(client, method, path):
    """Unknown paths and API versions are 404 not_found, even when the
    mailbox exists under /v1."""
    s = new_mailbox(client, rights="RWD")
    p = path % s.id if "%s" in path else path
    headers = {"Mailbox-Device-Claim": s.claim,
               "Mailbox-Request-ID": str(uuid.uuid4())}
    body = None
    if method in ("POST", "PUT"):
        headers["Content-Type"] = "application/json"
        body = json.dumps(_body()).encode()
    ex = client.raw(method, p, headers=headers, body=body)
    assert_error(ex, 404, "not_found")
    assert_ok(client.read(s.url, s.claim))


def test_query_on_api_url_ignored_or_refused(client):
    """E-API-URL: a client never sends a query; when one arrives, the
    relay must not treat it as another mailbox (no 5xx, no crash)."""
    s = new_mailbox(client)
    ex = client.raw("GET", "/v1/m/%s?v=c" % s.id)
    assert ex.status in (200, 400, 404), ex


# ---- /.well-known/tigress (X-WELL-KNOWN) ----------------------------------------

def test_well_known(client):
    ex = client.well_known()
    j = assert_ok(ex)
    assert "v1" in j["apiVersions"]
    assert j["profile"] == "http-00"
    assert set(j["aeadTypes"]) == {"AEAD_AES_128_GCM", "AEAD_AES_256_GCM"}
    assert j["defaultLifetime"] == 86400
    assert j["maxLifetime"] == 604800
    assert j["maxBodyBytes"] == 98304
    assert j["maxPayloadDataBytes"] == 65536
    assert j["isPushNotificationSupported"] is False
    assert j["longPoll"]["maxWait"] == 60
    assert {"well-known", "long-poll"} <= set(j["extensions"])


def test_well_known_head(client):
    ex = client.raw("HEAD", "/.well-known/tigress")
    assert ex.status == 200 and ex.body == b"", ex


# ---- error bodies everywhere ------------------------------------------------------

def test_request_id_echoed_on_errors(client):
    s = new_mailbox(client)
    ok = client.read(s.url, new_claim(), request_id="e1")
    assert ok.status == 200 and ok.header("Mailbox-Request-ID") == "e1"
    ex401 = client.update(s.url, new_claim(), seal(s.key, b"x"),
                          request_id="e2")
    assert ex401.status == 401 and ex401.header("Mailbox-Request-ID") == "e2"
    ex404 = client.read(str(uuid.uuid4()), new_claim(), request_id="e3")
    assert ex404.status == 404 and ex404.header("Mailbox-Request-ID") == "e3"
    ex400 = client.read(s.url, "bad", request_id="e4")
    assert ex400.status == 400 and ex400.header("Mailbox-Request-ID") == "e4"
    ex405 = client.raw("OPTIONS", "/v1/m/" + s.id,
                       headers={"Mailbox-Request-ID": "e5"})
    assert ex405.status == 405 and ex405.header("Mailbox-Request-ID") == "e5"
    exnf = client.raw("GET", "/nowhere", headers={"Mailbox-Request-ID": "e6"})
    assert exnf.status == 404 and exnf.header("Mailbox-Request-ID") == "e6"
