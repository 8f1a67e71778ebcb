"""Unit tests of tigress_py for edge cases derived from spec/rules.md
(independent of vectors/)."""

import base64
import calendar
import json
import random
import re

import pytest

from tigress_py import b64, bodies, payload, rfc3339, shareurl, strictjson, uuids
from tigress_py.errors import TigressError

FIG11 = ("https://relayserver.example.com/v1/m/2bba630e-519b-11ec-bf63-0242ac130002"
         "?v=c#hXlr6aRC7KgJpOLTNZaLsw==")
MBX = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
BASE = f"https://relay.example.com/v1/m/{MBX}"
KEY16, KEY32 = bytes(range(16)), bytes(range(32))


def code_of(call, *args, **kwargs):
    """The (code, field) of the TigressError `call` raises (fails if none)."""
    with pytest.raises(TigressError) as info:
        call(*args, **kwargs)
    return info.value.code, info.value.field


# ---- errors ---------------------------------------------------------------

def test_error_attributes_and_prefix():
    e = TigressError("payload_type", "type", "bad")
    assert (e.code, e.field, e.message) == ("payload_type", "type", "bad")
    assert e.prefixed("payload").field == "payload.type"
    assert TigressError("field_type").prefixed("payload").field == "payload"


# ---- UUID -------------------------------------------------------------------

def test_new_v4_form_version_variant_and_uniqueness():
    seen = set()
    for _ in range(200):
        u = uuids.new_v4()
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u)
        assert uuids.parse(u) == (u, 4)
        seen.add(u)
    assert len(seen) == 200


@pytest.mark.parametrize("s", [
    "{f47ac10b-58cc-4372-a567-0e02b2c3d479}",
    "urn:uuid:f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "f47ac10b58cc4372a5670e02b2c3d479",           # uuid.UUID() accepts these three
    "f47ac10b-58cc-4372-a567-0e02b2c3d47\u0669",  # Arabic-Indic digit nine
    "f47ac10b-58cc-4372-a567-0e02b2c3d4790"[:35] + "\u2010",
    " f47ac10b-58cc-4372-a567-0e02b2c3d47",
    None, 42,
])
def test_uuid_refused(s):
    assert code_of(uuids.parse, s) == ("uuid_syntax", "")


def test_uuid_versions_and_case():
    assert uuids.parse("00000000-0000-0000-0000-000000000000")[1] == 0
    assert uuids.parse("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF") == ("f" * 8 + "-" + "ffff-" * 3 + "f" * 12, 15)
    assert uuids.parse("2BBA630E-519B-11EC-BF63-0242AC130002") == ("2bba630e-519b-11ec-bf63-0242ac130002", 1)


# ---- RFC 3339 -----------------------------------------------------------------

def test_time_round_trip_against_calendar():
    rng = random.Random(3339)
    for _ in range(2000):
        epoch = rng.randint(0, rfc3339.MAX_EPOCH)
        text = rfc3339.format(epoch)
        assert rfc3339.parse(text) == epoch
        y, mo, d, h, mi, s = (int(x) for x in re.findall(r"\d+", text))
        assert calendar.timegm((y, mo, d, h, mi, s)) == epoch


def test_time_bounds_and_refusals():
    assert rfc3339.format(0) == "1970-01-01T00:00:00Z"
    assert rfc3339.format(253402300799) == "9999-12-31T23:59:59Z"
    assert rfc3339.parse("2000-02-29T12:00:00Z") == 951825600
    for bad in ["2100-02-29T00:00:00Z", "1969-12-31T23:59:59Z", "2024-01-01T00:00:60Z",
                "2024-01-01t00:00:00Z", "2024-01-01T00:00:00z", "2024-01-01T00:00:00.0Z",
                "2024-01-01T00:00:0\u0661Z", "+024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00"]:
        assert code_of(rfc3339.parse, bad) == ("time_syntax", ""), bad
    for bad in (-1, 253402300800):
        assert code_of(rfc3339.format, bad)[0] == "time_syntax"
    with pytest.raises(TypeError):
        rfc3339.format(True)


# ---- base64 --------------------------------------------------------------------

def test_b64_secret_rules():
    raw = bytes.fromhex("fbff" * 8)                  # gives + and / (- and _)
    std = base64.b64encode(raw).decode()
    assert "+" in std and "/" in std
    for form in (std, std.rstrip("="), std.replace("+", "-").replace("/", "_"),
                 std.rstrip("=").replace("+", "-").replace("/", "_")):
        assert b64.decode_secret(form) == raw
    for bad in (std.replace("+", "-", 1),            # mixed alphabets
                std + "=", std[:-1], "A", "A===", "AB=", "AB=C", "AB%3D%3D",
                "AB", "ABC"):                        # AB, ABC: unused bits not zero
        with pytest.raises(ValueError):
            b64.decode_secret(bad)
    assert b64.decode_secret("") == b""
    assert b64.decode_secret("AA") == b"\0" and b64.decode_secret("AAA") == b"\0\0"


def test_b64_payload_rules():
    assert b64.decode_std_canonical("AAAA") == b"\0\0\0"
    for bad in ("AAA", "AAA=\n", " AAAA", "AB==", "AAAA====", "A-_A", "AA=A", "AAAA\u00e9"):
        with pytest.raises(ValueError):
            b64.decode_std_canonical(bad)


# ---- share URL -------------------------------------------------------------------

def test_figure_11():
    u = shareurl.parse(FIG11)
    assert (u.host, u.port, u.version) == ("relayserver.example.com", 0, 1)
    assert (u.mailbox_id, u.uuid_version) == ("2bba630e-519b-11ec-bf63-0242ac130002", 1)
    assert (u.vertical, u.vertical_present) == ("c", True)
    assert len(u.secret) == 16 and u.aead == "AEAD_AES_128_GCM"
    assert u.length == len(FIG11) == 102
    assert u.api_url == FIG11.split("?")[0]
    assert shareurl.build(u.host, u.port, u.version, u.mailbox_id, u.vertical, u.secret) == FIG11


def test_url_sms_car_key_is_119_characters():
    host = "relay.example-12.com"
    assert len(host) == 20
    url = shareurl.build(host, 0, 1, MBX, "c", bytes(range(32)))
    assert len(url) == 119 <= 160
    u = shareurl.parse(url)
    assert (u.vertical, u.aead, u.length) == ("c", "AEAD_AES_256_GCM", 119)


URL_FAULTS = [
    ("", "url_syntax"),
    ("https://" + "a" * 2041, "too_large"),                 # 2049 characters
    ("https://h\u00e9/" + "a" * 2037, "too_large"),           # 2048 characters, 2049 bytes
    ("https://h\u00e9/v1/m/" + MBX, "url_syntax"),
    ("https:relay/v1/m/" + MBX, "url_syntax"),
    ("http://u@relay/v1/m/" + MBX, "url_scheme"),            # scheme before userinfo
    ("https?://relay/v1/m/" + MBX, "url_scheme"),
    ("HTTPS://u@[zz]/v1/m/" + MBX, "url_userinfo"),           # userinfo before host
    ("https://[::1]x/v1/m/" + MBX, "url_host"),
    ("https://[::1/v1/m/" + MBX, "url_host"),
    ("https://[]/v1/m/" + MBX, "url_host"),
    ("https://:443/v1/m/" + MBX, "url_host"),
    ("https://relay:/v1/m/" + MBX, "url_port"),
    ("https://[::1]:/v1/m/" + MBX, "url_port"),
    ("https://relay:0443/v1/m/" + MBX, "url_port"),
    ("https://relay:1:2/v1/m/" + MBX, "url_port"),
    ("https://relay?v=c", "url_path"),
    ("https://relay/v1/m/" + MBX + "/", "url_path"),
    ("https://relay/v01/m/bad", "url_version"),              # version before mailbox
    ("https://relay/v1/m/{" + MBX[1:-1] + "}", "url_mailbox_id"),
    (BASE + "?v=c&", "url_query"),
    (BASE + "?&v=c", "url_query"),
    (BASE + "?v=c&v=c", "url_query"),
    (BASE + "?x=1#!!", "url_query"),                        # query before Secret
    (BASE + "?v=c?x", "url_vertical"),
    (BASE + "?v=c=c", "url_vertical"),
    (BASE + "#" + "A" * 21 + "?v=c", "url_secret_encoding"),
    (BASE + "#", "url_secret_length"),
    (BASE + "#AA", "url_secret_length"),
]


@pytest.mark.parametrize("url,code", URL_FAULTS,
                         ids=[f"{i:02d}-{c}" for i, (_, c) in enumerate(URL_FAULTS)])
def test_url_faults(url, code):
    assert code_of(shareurl.parse, url) == (code, "")


def test_url_fields():
    u = shareurl.parse("HTTPS://[::FFFF:192.0.2.1]:8443/v999/m/" + MBX.upper() + "?v=a")
    assert (u.host, u.port, u.version, u.vertical, u.vertical_present) == \
        ("[::ffff:192.0.2.1]", 8443, 999, "a", True)
    assert u.api_url == "https://[::ffff:192.0.2.1]:8443/v999/m/" + MBX
    assert (u.secret, u.aead) == (None, None)
    assert shareurl.parse(BASE).port == 0
    assert shareurl.parse("https://relay:443/v1/m/" + MBX).api_url == "https://relay:443/v1/m/" + MBX


def test_build():
    assert shareurl.build("Relay.Example.COM", 0, 1, MBX.upper()) == BASE
    assert shareurl.build("relay.example.com", 443, 2, MBX, "h") == \
        f"https://relay.example.com:443/v2/m/{MBX}?v=h"
    assert shareurl.build("relay.example.com", 0, 1, MBX, "a", KEY16).endswith(
        "/m/" + MBX + "#" + base64.b64encode(KEY16).decode())


BUILD_FAULTS = [
    (("", 0, 1, MBX), "url_host"),
    (("a_b", 0, 1, MBX), "url_host"),
    (("a" * 254, 0, 1, MBX), "url_host"),
    (("[::1", 0, 1, MBX), "url_host"),
    (("h\u00e9", 0, 1, MBX), "url_host"),
    (("relay", -1, 1, MBX), "url_port"),
    (("relay", 65536, 1, MBX), "url_port"),
    (("relay", 0, 0, MBX), "url_version"),
    (("relay", 0, 1000, MBX), "url_version"),
    (("relay", 0, 1, "not-a-uuid"), "url_mailbox_id"),
    (("relay", 0, 1, MBX, ""), "url_vertical"),
    (("relay", 0, 1, MBX, "C"), "url_vertical"),
    (("relay", 0, 1, MBX, "a", b""), "url_secret_length"),
    (("relay", 0, 1, MBX, "a", bytes(24)), "url_secret_length"),
    (("bad host", 99999, 0, "x", "x", b""), "url_host"),   # parser order: host first
    (("[" + "0" * 2100 + "]", 0, 1, MBX), "too_large"),
]


@pytest.mark.parametrize("args,code", BUILD_FAULTS,
                         ids=[f"{i:02d}-{c}" for i, (_, c) in enumerate(BUILD_FAULTS)])
def test_build_faults(args, code):
    assert code_of(shareurl.build, *args) == (code, "")


def test_build_parse_round_trip():
    rng = random.Random(7)
    for _ in range(300):
        host = rng.choice(["relay.example.com", "[::1]", "10.0.0.1", "r"])
        port = rng.choice([0, 1, 443, 8443, 65535])
        version = rng.randint(1, 999)
        vertical = rng.choice("ahc")
        secret = rng.choice([None, rng.randbytes(16), rng.randbytes(32)])
        mbx = uuids.new_v4()
        url = shareurl.build(host, port, version, mbx, vertical, secret)
        u = shareurl.parse(url)
        assert (u.host, u.port, u.version, u.mailbox_id, u.vertical, u.secret) == \
            (host, port, version, mbx, vertical, secret)
        assert u.vertical_present == (vertical != "a")


# ---- payload ------------------------------------------------------------------------

def test_seal_open_round_trip_and_fresh_iv():
    for key, aead in ((KEY16, "AEAD_AES_128_GCM"), (KEY32, "AEAD_AES_256_GCM")):
        a, b = payload.seal(key, b"hello"), payload.seal(key, b"hello")
        assert a["type"] == b["type"] == aead
        assert a["data"] != b["data"]                      # fresh random IV
        assert payload.open(a, key) == payload.open(b, key) == b"hello"
        assert len(base64.b64decode(a["data"])) == 12 + 5 + 16


def test_seal_limits_and_faults():
    big = payload.seal(KEY16, bytes(payload.MAX_PLAINTEXT))
    assert len(big["data"]) == 65536
    assert payload.open(big, KEY16) == bytes(payload.MAX_PLAINTEXT)
    assert code_of(payload.seal, KEY16, bytes(49125))[0] == "too_large"
    assert code_of(payload.seal, bytes(24), b"")[0] == "payload_key"
    assert code_of(payload.seal, KEY32, b"", "AEAD_AES_128_GCM")[0] == "payload_key"
    assert code_of(payload.seal, KEY16, b"", "AEAD_AES_192_GCM")[0] == "payload_type"
    with pytest.raises(ValueError):
        payload.seal(KEY16, b"", iv=bytes(16))


def test_open_order():
    good = payload.seal(KEY16, b"x", iv=bytes(12))
    bad_b64 = {"type": "AEAD_AES_128_GCM", "data": "!!!!"}
    assert code_of(payload.open, [], KEY16) == ("field_type", "")
    assert code_of(payload.open, {"type": "nope"}, KEY16) == ("payload_type", "type")
    assert code_of(payload.open, {"type": "AEAD_AES_128_GCM"}, KEY16) == ("field_missing", "data")
    assert code_of(payload.open, bad_b64, bytes(3)) == ("payload_encoding", "data")
    assert code_of(payload.open, {**good, "data": "A" * 65540}, KEY16) == ("field_too_long", "data")
    short = {"type": "AEAD_AES_128_GCM", "data": base64.b64encode(bytes(27)).decode()}
    assert code_of(payload.open, short, bytes(3)) == ("payload_truncated", "data")
    assert code_of(payload.open, good, KEY32) == ("payload_key", "type")
    assert code_of(payload.open, good, bytes(16)[:-1] + b"\1") == ("payload_auth", "data")
    assert payload.open({**good, "extra": [1]}, KEY16) == b"x"


def test_open_raw_with_aad():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    iv = bytes(12)
    ct = AESGCM(KEY16).encrypt(iv, b"msg", b"aad")
    assert payload._open_raw(KEY16, iv, ct, b"aad") == b"msg"
    assert code_of(payload._open_raw, KEY16, iv, ct)[0] == "payload_auth"


# ---- strict JSON --------------------------------------------------------------------

def _random_json(rng, depth=0):
    kind = rng.randrange(7 if depth < 6 else 5)
    if kind == 0:
        return rng.choice([True, False, None])
    if kind == 1:
        return rng.randint(-2**63, 2**63 - 1)
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    if kind in (3, 4):
        return "".join(rng.choice('ab"\\/\u00e9\U0001F697\n\t\x01 ') for _ in range(rng.randrange(6)))
    if kind == 5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}{rng.choice('xé')}": _random_json(rng, depth + 1) for i in range(rng.randrange(4))}


def _depth(v):
    if isinstance(v, dict):
        return 1 + max(map(_depth, v.values()), default=0)
    if isinstance(v, list):
        return 1 + max(map(_depth, v), default=0)
    return 0


def _reference_loads(text):
    """json.loads with duplicates, NaN/Infinity, NUL and lone surrogates refused."""
    def pairs(items):
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise ValueError("dup")
        return dict(items)

    def const(name):
        raise ValueError(name)

    def real(token):
        v = float(token)
        if v in (float("inf"), float("-inf")):
            raise ValueError("overflow")
        return v

    def integer(token):
        v = int(token)
        if not -2 ** 63 <= v < 2 ** 63:
            raise ValueError("beyond 64 bits")
        return v

    value = json.loads(text, object_pairs_hook=pairs, parse_constant=const,
                       parse_float=real, parse_int=integer)

    def clean(v):
        if isinstance(v, str):
            return not re.search("[\x00\ud800-\udfff]", v)
        if isinstance(v, list):
            return all(map(clean, v))
        if isinstance(v, dict):
            return all(clean(k) and clean(x) for k, x in v.items())
        return True
    if not clean(value):
        raise ValueError("NUL or surrogate")
    return value


def test_strictjson_matches_json_module():
    rng = random.Random(8259)
    for _ in range(1500):
        value = _random_json(rng)
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5,
                          indent=rng.choice([None, 0, 2]))
        got, depth = strictjson.loads(text)
        assert got == value and depth == _depth(value)
        # mutate one character and compare accept/refuse with the json module
        if text:
            i = rng.randrange(len(text))
            mutated = text[:i] + rng.choice('{}[],:"\\ 0-e.tfnx\x00') + text[i + 1:]
            try:
                expected = _reference_loads(mutated)
            except (ValueError, RecursionError):
                expected = ValueError
            try:
                actual = strictjson.loads(mutated)[0]
            except strictjson.JSONError:
                actual = ValueError
            assert actual == expected, repr(mutated)


@pytest.mark.parametrize("text", [
    '{"a":1,"a":2}', '{"a":1,"\\u0061":2}', '{"a":NaN}', '{"a":-Infinity}',
    '{"a":"\\u0000"}', '{"\\u0000":1}', '{"a":"\\ud800"}', '{"a":"\\udc00\\ud800"}',
    '\ufeff{}', '{"a":\u0661}', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":+1}',
    '{"a":[1,]}', '{"a":1,}', '{"a" 1}', "{'a':1}", '{"a":"\t"}', '{}{}', '{} x',
    '{"a":tru}', '{"a":nul}', '', ' ', '{', '{"a":[}', '{"a":"\\x"}',
    '{"a":1e400}', '{"a":9223372036854775808}', '{"a":' + "9" * 5000 + '}',
])
def test_strictjson_refuses(text):
    with pytest.raises(strictjson.JSONError):
        strictjson.loads(text)


def test_strictjson_accepts():
    assert strictjson.loads(' {"a":[1e-400, -0, 1E+2, "\\ud83d\\ude97", ' + "9" * 18 + ']}\r\n')[1] == 2
    assert strictjson.loads('[[[]]]') == ([[[]]], 3)
    assert strictjson.loads('"x"') == ("x", 0)


# ---- bodies ------------------------------------------------------------------------

PAYLOAD = payload.seal(KEY16, b'{"format":"x","content":{}}', iv=bytes(12))
DISPLAY = {"title": "Car Key", "description": "", "imageURL": ""}


def body(**members):
    return json.dumps(members)


def test_every_kind_minimal_valid():
    ok = {
        "create_request": body(payload=PAYLOAD, displayInformation=DISPLAY),
        "create_response": body(urlLink=BASE, isPushNotificationSupported=False),
        "update_request": body(payload=PAYLOAD),
        "update_response": body(isPushNotificationSupported=True),
        "read_request": "",
        "read_response": body(displayInformation=DISPLAY, payload=PAYLOAD,
                              expiration="2030-01-01T00:00:00Z"),
        "delete_response": "{}",
        "relinquish_response": '{"x": [null]}',
        "error_response": body(error="not_found", message=""),
        "provisioning_info": body(format="digitalwallet.carkey.ccc", content={}),
    }
    assert set(ok) == set(bodies.KINDS)
    for kind, text in ok.items():
        assert bodies.parse(kind, text) == (json.loads(text) if text else {})
        assert bodies.parse(kind, text.encode()) == (json.loads(text) if text else {})


def test_body_general_order():
    deep_ok = '{"x":' + "[" * 15 + "]" * 15 + "}"
    assert bodies.parse("delete_response", deep_ok)
    assert code_of(bodies.parse, "delete_response", '{"x":' + "[" * 16 + "]" * 16 + "}") == ("json_depth", "")
    very_deep = '{"x":' + "[" * 40000 + "]" * 40000 + "}"
    assert code_of(bodies.parse, "create_request", very_deep) == ("json_depth", "")
    assert code_of(bodies.parse, "create_request", very_deep[:-2] + "}") == ("json_syntax", "")
    dup_deep = '{"a":1,"a":1,"x":' + "[" * 40 + "]" * 40 + "}"
    assert code_of(bodies.parse, "delete_response", dup_deep) == ("json_syntax", "")
    big = '{"x":"' + "a" * (98304 - 8) + '"}'
    assert len(big) == 98304 and bodies.parse("delete_response", big)
    assert code_of(bodies.parse, "delete_response", big[:-2] + 'a"}') == ("too_large", "")
    assert code_of(bodies.parse, "delete_response", "{" * 98305) == ("too_large", "")
    assert code_of(bodies.parse, "delete_response", b'{"x":"\xff"}') == ("json_syntax", "")
    assert code_of(bodies.parse, "delete_response", b'{"x":"\xed\xa0\x80"}') == ("json_syntax", "")
    assert code_of(bodies.parse, "delete_response", '{"x":"\ud800"}') == ("json_syntax", "")
    assert code_of(bodies.parse, "delete_response", '{"x":"\\ud800"}') == ("json_syntax", "")
    assert code_of(bodies.parse, "delete_response", b"\xef\xbb\xbf{}") == ("json_syntax", "")
    assert code_of(bodies.parse, "read_request", " ") == ("json_syntax", "")
    assert code_of(bodies.parse, "read_request", "[]") == ("json_syntax", "")
    with pytest.raises(ValueError):
        bodies.parse("no_such_kind", "{}")


@pytest.mark.parametrize("kind,members,code,field", [
    ("create_request", {}, "field_missing", "payload"),
    ("create_request", {"payload": None, "displayInformation": 1}, "field_type", "payload"),
    ("create_request", {"payload": {"type": "AEAD_AES_128_GCM", "data": "AAAA"}},
     "payload_truncated", "payload.data"),
    ("create_request", {"payload": PAYLOAD}, "field_missing", "displayInformation"),
    ("create_request", {"payload": PAYLOAD, "displayInformation": {**DISPLAY, "title": ""}},
     "field_value", "displayInformation.title"),
    ("create_request", {"payload": PAYLOAD, "displayInformation": {**DISPLAY, "title": "\u00e9" * 129}},
     "field_too_long", "displayInformation.title"),
    ("create_request", {"payload": PAYLOAD, "displayInformation": DISPLAY,
                        "notificationToken": {"type": "t"}}, "field_missing", "notificationToken.tokenData"),
    ("create_request", {"payload": PAYLOAD, "displayInformation": DISPLAY,
                        "mailboxConfiguration": {"accessRights": "RWDR"}},
     "field_value", "mailboxConfiguration.accessRights"),
    ("create_request", {"payload": PAYLOAD, "displayInformation": DISPLAY,
                        "mailboxConfiguration": {"accessRights": "DR"}},
     "field_missing", "mailboxConfiguration.expiration"),
    ("create_request", {"payload": PAYLOAD, "displayInformation": DISPLAY,
                        "mailboxConfiguration": {"expiration": "2030-02-30T00:00:00Z"}},
     "time_syntax", "mailboxConfiguration.expiration"),
    ("create_response", {"urlLink": FIG11, "isPushNotificationSupported": True}, "field_value", "urlLink"),
    ("create_response", {"urlLink": BASE + "#", "isPushNotificationSupported": True}, "field_value", "urlLink"),
    ("create_response", {"urlLink": BASE}, "field_missing", "isPushNotificationSupported"),
    ("create_response", {"urlLink": BASE, "isPushNotificationSupported": 0}, "field_type",
     "isPushNotificationSupported"),
    ("read_response", {"displayInformation": DISPLAY, "payload": PAYLOAD, "expiration": 0},
     "field_type", "expiration"),
    ("read_response", {"displayInformation": DISPLAY, "payload": PAYLOAD,
                       "expiration": "2030-01-01 00:00:00Z"}, "time_syntax", "expiration"),
    ("error_response", {"error": "x" * 65, "message": ""}, "field_too_long", "error"),
    ("provisioning_info", {"format": "f", "content": []}, "field_type", "content"),
])
def test_body_member_faults(kind, members, code, field):
    assert code_of(bodies.parse, kind, json.dumps(members)) == (code, field)
