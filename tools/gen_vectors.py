#!/usr/bin/python3
"""Deterministic generator of the tigress-ref test vectors.

    tools/gen_vectors.py [--out DIR] [--check]

writes vectors/{uuid,rfc3339,shareurl,payload,bodies}.json (default DIR: the
repository's vectors/ folder).  --check regenerates the files in memory and
exits 1, naming every file that differs byte for byte from the one in DIR
(0 when all match).

Where the expected values come from
-----------------------------------
Every expected verdict, error code, field path, parsed value, epoch and
canonical URL below is written out by hand in the case tables, from the rules
of spec/rules.md (the rule IDs are in each case's flags).  Nothing here parses
a UUID, a time, a URL or a body, and nothing imports lib/ or
conformance/tigress_py.  The only computed expected values are AEAD outputs
(AES-GCM from python3-cryptography, the third-party primitive) and their
base64 text; the AES-GCM known-answer cases also carry the ciphertext and tag
of the GCM specification as literals.  Inputs (long strings, tampered
ciphertexts, padded bodies) are built by small helpers, and sanity assertions
check that each built input is what its comment says (a length, a byte
count, a flipped bit).

No randomness, no clock: keys, IVs and plaintexts are constants or the
SHA-256 of a fixed label.
"""

import argparse
import base64
import copy
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "vectors")
SOURCE_RULES = "spec/rules.md"

# ---------------------------------------------------------------------------
# Descriptions of every flag a case may carry (each file's notes take the
# ones its cases use).  Rule IDs are those of spec/rules.md, E-* those of
# spec/errata.md.
# ---------------------------------------------------------------------------

FLAG_TEXT = {
    "UUID-FORM": "exactly 36 characters: hexadecimal digits (either case) "
    "with '-' at offsets 8, 13, 18 and 23; no braces, prefix or space; "
    "else uuid_syntax",
    "UUID-CANON": "the canonical form of a UUID is the lower-case one",
    "UUID-VERSION": "the version is the hexadecimal value of the character at "
    "offset 14 (nil UUID: 0); parsing accepts every version and variant",
    "TIME-FORM": "exactly the 20 characters YYYY-MM-DDThh:mm:ssZ, ASCII digits, "
    "upper-case T and Z; no fraction, offset or lower case; else time_syntax",
    "TIME-RANGE": "month 01-12, day valid for the month (proleptic Gregorian "
    "leap years), hour 00-23, minute 00-59, second 00-59 (no leap second), "
    "year 1970-9999; else time_syntax",
    "TIME-FORMAT": "formatting seconds since 1970-01-01T00:00:00Z "
    "(0..253402300799) gives the TIME-FORM form",
    "URL-LEN": "a share URL is at most 2048 bytes of UTF-8, else too_large "
    "(first check)",
    "URL-CHARS": "non-empty, every character printable ASCII 0x21-0x7E, "
    "contains '://'; else url_syntax",
    "URL-SCHEME": "the part before the first '://' is 'https', compared "
    "case-insensitively; else (including empty) url_scheme",
    "URL-USERINFO": "an authority containing '@' is url_userinfo",
    "URL-HOST": "host is an IP-literal '[' 1*(hex / ':' / '.') ']' or a name of "
    "1-253 characters from A-Z a-z 0-9 . -; else url_host; parsed host is "
    "lower-cased",
    "URL-PORT": "optional ':' and 1-5 digits, no leading zero, 1-65535; empty "
    "port is url_port; absent port parses as 0, explicit :443 is kept",
    "URL-PATH": "the path is exactly /{seg1}/m/{seg3} with non-empty segments; "
    "else url_path",
    "URL-VERSION": "seg1 is 'v' followed by 1-999 without leading zeros; else "
    "url_version",
    "URL-MAILBOX": "seg3 satisfies UUID-FORM, else url_mailbox_id; parsed "
    "identifier is lower case",
    "URL-QUERY": "a query, when '?' is present, is exactly one parameter "
    "'v=...'; empty, other name, second parameter or no '=' is url_query",
    "URL-VERTICAL": "the v value is a, h or c (case-sensitive), else "
    "url_vertical; absent query means a",
    "URL-SECRET-B64": "the fragment is base64, standard or URL-safe alphabet "
    "(not mixed), optional padding to a multiple of 4, unpadded length mod 4 "
    "never 1, zero unused bits, no percent-encoding; else url_secret_encoding",
    "URL-SECRET-LEN": "the Secret decodes to 16 (AEAD_AES_128_GCM) or 32 "
    "(AEAD_AES_256_GCM) bytes; empty fragment or other length is "
    "url_secret_length",
    "URL-API": "api_url is https://{host}[:{port}]/v{N}/m/{id} (port only when "
    "non-zero), no query, no fragment",
    "URL-BUILD": "building gives https://{host}[:{port}]/v{N}/m/{id}[?v=h|c]"
    "[#{standard padded base64 Secret}], host and id lower case; a bad field "
    "fails with the parser's error for it",
    "URL-SMS": "a car-key share URL with a 32-byte Secret on a 20-character "
    "host is 119 characters (at most 160)",
    "PAYLOAD-AEAD": "AEAD_AES_128_GCM (16-byte key) or AEAD_AES_256_GCM "
    "(32-byte key), 12-byte IV, 16-byte tag, empty AAD; data = "
    "base64(IV || ciphertext || tag)",
    "PAYLOAD-SEAL": "sealing (here with a given IV): a key of another length "
    "than the type's is payload_key; plaintext over 49124 bytes is too_large",
    "PAYLOAD-OBJECT": "the payload is a JSON object, else field_type (field '')",
    "PAYLOAD-TYPE": "type present (field_missing), a string (field_type), one "
    "of the two AEAD names (payload_type)",
    "PAYLOAD-DATA": "data present (field_missing), a string (field_type), at "
    "most 65536 characters (field_too_long), canonical standard padded base64 "
    "without whitespace (payload_encoding)",
    "PAYLOAD-MIN": "data decodes to at least 28 bytes (IV + tag), else "
    "payload_truncated",
    "PAYLOAD-KEY": "the key length matches the type, else payload_key "
    "(reported on field 'type')",
    "PAYLOAD-AUTH": "the tag verifies, else payload_auth (reported on field "
    "'data')",
    "BODY-SIZE": "a body is at most 98304 bytes, else too_large (field '')",
    "BODY-JSON": "one RFC 8259 JSON value that is an object, valid UTF-8, no NUL "
    "in strings, no member name twice in one object; else json_syntax "
    "(field '')",
    "BODY-DEPTH": "at most 16 levels of nested objects and arrays, the body "
    "being level 1; else json_depth (field '')",
    "BODY-UNKNOWN": "members not named by the rules are ignored at every level "
    "(their values are not checked, beyond BODY-JSON and BODY-DEPTH)",
    "BODY-DISPLAY": "displayInformation object: title string 1-256 bytes, "
    "description string 0-1024 bytes, imageURL string 0-2048 bytes, all "
    "required, checked in that order",
    "BODY-PAYLOAD": "payload object: PAYLOAD-OBJECT, -TYPE, -DATA, -MIN checks, "
    "fields prefixed 'payload.'",
    "BODY-NOTIFY": "notificationToken object (optional): type string 1-128 "
    "bytes, tokenData string 1-4096 bytes, both required",
    "BODY-CONFIG": "mailboxConfiguration object (optional): accessRights "
    "optional, 1-3 distinct letters of R W D including R (else field_value); "
    "expiration required, an RFC 3339 time of the TIME-* rules (else "
    "time_syntax)",
    "BODY-MEMBERS": "the per-kind member table of spec/rules.md 'JSON bodies': "
    "members checked in the listed order, each for presence (field_missing), "
    "JSON type (field_type; null is a wrong type), length in UTF-8 bytes "
    "(field_too_long), value (field_value or the named code); a string "
    "shorter than its minimum is field_value (rules.md has no ID for this "
    "table; this flag stands for it)",
    "E-READ-BODY": "errata: a read request body is empty (0 bytes) or an "
    "object with an optional notificationToken",
    "E-EMPTY-RESP": "errata: delete and relinquish responses are a JSON object "
    "whose members are ignored",
    "E-ERROR-BODY": "errata: error bodies are {error: 1-64 bytes, message: "
    "0-1024 bytes}",
    "E-VERSION-PATH": "errata: urlLink is the share URL's api_url form with "
    "/v{N}; the draft's Figure 3 (no /v1) is refused",
    "E-PAYLOAD-OBJECT": "errata: the read response payload is the {type, data} "
    "object, not a string",
    "E-DUP-KEYS": "errata: a member name twice in one object is refused",
    "E-IMAGEURL": "errata: imageURL is stored as given, any content up to its "
    "length limit",
    "E-NOTIFY-BOTH": "errata: a notificationToken needs both type and tokenData",
    "E-CONFIG-EXPIRATION": "errata: a present mailboxConfiguration needs its "
    "expiration",
    "E-ACCESS-RIGHTS-FORM": "errata: accessRights is 1-3 distinct letters of "
    "R, W, D containing R",
    "E-TIME-STRICT": "errata: times are exactly YYYY-MM-DDThh:mm:ssZ; no "
    "fraction, offset or lower case",
    "E-SECRET-B64": "errata: the Secret is read in the standard or URL-safe "
    "alphabet, padded or not, and written standard padded",
    "E-QUERY-STRICT": "errata: the only query parameter is a single v",
    "E-UUID-CASE": "errata: UUIDs are read in either case, written lower case; "
    "mailbox identifiers may be of any version",
    "E-AEAD-FROM-SECRET": "errata: the Secret's length (16 or 32 bytes) gives "
    "the AEAD",
    "E-API-URL": "errata: the relay is sent only https://{host}[:port]/v{N}/m/{id}",
    "E-AAD-EMPTY": "errata: the AEAD's additional data is empty",
    "E-DATA-LAYOUT": "errata: data is standard padded base64 of IV || "
    "ciphertext || tag",
    "E-LIMITS": "errata: every input has a limit: body over the limit is 413 "
    "too_large, a long string or deep nesting is 400",
}

# ---------------------------------------------------------------------------
# Shared constants
# ---------------------------------------------------------------------------


def sha(label, n=32):
    return hashlib.sha256(label.encode("ascii")).digest()[:n]


def b64(b):
    return base64.b64encode(b).decode("ascii")


A128 = "AEAD_AES_128_GCM"
A256 = "AEAD_AES_256_GCM"

K128 = sha("tigress-vector key 1", 16)
K256 = sha("tigress-vector key 2", 32)
K128_OTHER = sha("tigress-vector key 3", 16)
K256_OTHER = sha("tigress-vector key 4", 32)
K192 = sha("tigress-vector key 5", 24)
IV = [None] + [sha("tigress-vector iv %d" % i, 12) for i in range(1, 11)]


def pattern(n):
    """n bytes of the repeating pattern 00 01 02 .. ff 00 01 .."""
    return bytes(i & 0xFF for i in range(n))


PT_EMPTY = b""
PT_1 = b"A"
PT_16 = b"0123456789abcdef"
PT_PI = (b'{"format":"digitalwallet.carkey.ccc","content":'
         b'{"vehicleId":"WDD2221831A123456","keyRole":"friend",'
         b'"validUntil":"2022-02-08T14:57:22Z"}}')
PT_1000 = pattern(1000)
PT_MAX = pattern(49124)
PT_OVER = pattern(49125)


def seal(key, iv, pt):
    """IV || ciphertext || tag, by the third-party AES-GCM primitive."""
    return iv + AESGCM(key).encrypt(iv, pt, None)


def hexs(b):
    return b.hex()


# ---------------------------------------------------------------------------
# Case collection
# ---------------------------------------------------------------------------


class VectorSet:
    def __init__(self, name, source, description):
        self.name = name
        self.source = source
        self.description = description
        self.tests = []

    def add(self, comment, flags, result, body):
        """body: ordered list of (key, value) after id/comment/flags/result."""
        assert result in ("valid", "invalid", "acceptable"), result
        assert flags and len(set(flags)) == len(flags), (comment, flags)
        for f in flags:
            assert f in FLAG_TEXT, f
        case = {
            "id": "%s-%03d" % (self.name, len(self.tests) + 1),
            "comment": comment,
            "flags": list(flags),
            "result": result,
        }
        for k, v in body:
            case[k] = v
        self.tests.append(case)
        return case

    def document(self):
        used = []
        for t in self.tests:
            for f in t["flags"]:
                if f not in used:
                    used.append(f)
        notes = {f: FLAG_TEXT[f] for f in sorted(used)}
        return {
            "vectorSet": self.name,
            "formatVersion": 1,
            "source": self.source,
            "description": self.description,
            "notes": notes,
            "numberOfTests": len(self.tests),
            "tests": self.tests,
        }


# ---------------------------------------------------------------------------
# uuid.json
# ---------------------------------------------------------------------------


def gen_uuid():
    vs = VectorSet(
        "uuid", "draft-vinokurov-tigress-http-00 §4.1; RFC 4122; " + SOURCE_RULES,
        "UUID parsing: form, canonical lower-case form and version nibble.")

    def ok(comment, inp, canonical, version, flags=("UUID-FORM", "UUID-VERSION")):
        vs.add(comment, list(flags), "valid",
               [("input", inp), ("canonical", canonical), ("version", version)])

    def bad(comment, inp, flags=("UUID-FORM",)):
        vs.add(comment, list(flags), "invalid",
               [("input", inp), ("error", "uuid_syntax")])

    ok("version 4, lower case", "f47ac10b-58cc-4372-a567-0e02b2c3d479",
       "f47ac10b-58cc-4372-a567-0e02b2c3d479", 4)
    ok("version 4, upper case, canonical is lower case",
       "F47AC10B-58CC-4372-A567-0E02B2C3D479",
       "f47ac10b-58cc-4372-a567-0e02b2c3d479", 4,
       ("UUID-FORM", "UUID-CANON", "UUID-VERSION"))
    ok("version 4, mixed case", "F47ac10B-58Cc-4372-a567-0E02b2C3d479",
       "f47ac10b-58cc-4372-a567-0e02b2c3d479", 4,
       ("UUID-FORM", "UUID-CANON", "UUID-VERSION"))
    ok("version 1, the draft's Figure 11 mailbox identifier",
       "2bba630e-519b-11ec-bf63-0242ac130002",
       "2bba630e-519b-11ec-bf63-0242ac130002", 1)
    ok("version 3 (MD5 name-based)", "6fa459ea-ee8a-3ca4-894e-db77e160355e",
       "6fa459ea-ee8a-3ca4-894e-db77e160355e", 3)
    ok("version 5 (SHA-1 name-based)", "886313e1-3b8a-5372-9b90-0c9aee199e5d",
       "886313e1-3b8a-5372-9b90-0c9aee199e5d", 5)
    ok("version 6", "1ec9414c-232a-6b00-b3c8-9e6bdeced846",
       "1ec9414c-232a-6b00-b3c8-9e6bdeced846", 6)
    ok("version 7", "017f22e2-79b0-7cc3-98c4-dc0c0c07398f",
       "017f22e2-79b0-7cc3-98c4-dc0c0c07398f", 7)
    ok("nil UUID has version 0", "00000000-0000-0000-0000-000000000000",
       "00000000-0000-0000-0000-000000000000", 0)
    ok("max UUID: version nibble f is 15", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
       "ffffffff-ffff-ffff-ffff-ffffffffffff", 15,
       ("UUID-FORM", "UUID-CANON", "UUID-VERSION"))
    ok("variant bits are not checked (variant 0 with version 4)",
       "00000000-0000-4000-0000-000000000000",
       "00000000-0000-4000-0000-000000000000", 4)
    ok("upper-case version nibble A is 10", "12345678-9abc-Adef-8123-456789abcdef",
       "12345678-9abc-adef-8123-456789abcdef", 10,
       ("UUID-FORM", "UUID-CANON", "UUID-VERSION"))

    bad("empty string", "")
    bad("35 characters: one digit missing from the last group",
        "f47ac10b-58cc-4372-a567-0e02b2c3d47")
    bad("37 characters: one digit too many in the last group",
        "f47ac10b-58cc-4372-a567-0e02b2c3d4790")
    bad("32 hex digits without hyphens", "f47ac10b58cc4372a5670e02b2c3d479")
    bad("braces around the UUID", "{f47ac10b-58cc-4372-a567-0e02b2c3d479}")
    bad("urn:uuid: prefix", "urn:uuid:f47ac10b-58cc-4372-a567-0e02b2c3d479")
    bad("leading space", " f47ac10b-58cc-4372-a567-0e02b2c3d479")
    bad("trailing space", "f47ac10b-58cc-4372-a567-0e02b2c3d479 ")
    bad("trailing newline", "f47ac10b-58cc-4372-a567-0e02b2c3d479\n")
    bad("36 characters with hyphens at offsets 9, 13, 18, 23",
        "f47ac10b5-8cc-4372-a567-0e02b2c3d479")
    bad("36 characters, groups 8-4-4-4-12 shifted to 8-4-4-5-11",
        "f47ac10b-58cc-4372-a5670-e02b2c3d479")
    bad("non-hex letter g", "f47ac10b-58cc-4372-a567-0e02b2c3d47g")
    bad("underscore in place of the first hyphen",
        "f47ac10b_58cc-4372-a567-0e02b2c3d479")
    bad("hyphen in place of the last hex digit",
        "f47ac10b-58cc-4372-a567-0e02b2c3d47-")
    bad("Unicode hyphen U+2010 in place of a hyphen (36 characters)",
        "f47ac10b\u201058cc-4372-a567-0e02b2c3d479")
    bad("Arabic-Indic digit nine in place of the last digit (36 characters)",
        "f47ac10b-58cc-4372-a567-0e02b2c3d47\u0669")
    bad("fullwidth digit four in place of the first digit (36 characters)",
        "\uff1447ac10b-58cc-4372-a567-0e02b2c3d479")
    bad("NUL in place of the last digit", "f47ac10b-58cc-4372-a567-0e02b2c3d47\u0000")
    bad("plus sign in the first group", "+47ac10b-58cc-4372-a567-0e02b2c3d479")
    return vs


# ---------------------------------------------------------------------------
# rfc3339.json
# ---------------------------------------------------------------------------


def gen_rfc3339():
    vs = VectorSet(
        "rfc3339", "draft-vinokurov-tigress-http-00 §6.1.5, §6.5.4; RFC 3339; "
        + SOURCE_RULES,
        "Strict UTC times YYYY-MM-DDThh:mm:ssZ: parsing to seconds since "
        "1970-01-01T00:00:00Z and formatting.")

    F = ["TIME-FORM", "TIME-RANGE"]

    def ok(comment, inp, epoch, flags=F):
        vs.add(comment, list(flags), "valid",
               [("op", "parse"), ("input", inp), ("epoch", epoch)])

    def bad(comment, inp, flags):
        vs.add(comment, list(flags), "invalid",
               [("op", "parse"), ("input", inp), ("error", "time_syntax")])

    def fmt(comment, epoch, expected):
        vs.add(comment, ["TIME-FORMAT"], "valid",
               [("op", "format"), ("epoch", epoch), ("expected", expected)])

    ok("the epoch, lower bound of the year range", "1970-01-01T00:00:00Z", 0)
    ok("one second after the epoch", "1970-01-01T00:00:01Z", 1)
    ok("1972-02-29, first leap day after the epoch", "1972-02-29T00:00:00Z",
       68169600)
    ok("last second of 1999", "1999-12-31T23:59:59Z", 946684799)
    ok("first second of 2000", "2000-01-01T00:00:00Z", 946684800)
    ok("2000-02-29: 2000 is a leap year (divisible by 400)",
       "2000-02-29T12:00:00Z", 951825600)
    ok("2000-03-01 follows 2000-02-29", "2000-03-01T00:00:00Z", 951868800)
    ok("2016-12-31T23:59:59Z (the second before a real leap second)",
       "2016-12-31T23:59:59Z", 1483228799)
    ok("draft Figure 7 expiration", "2021-11-03T20:32:34Z", 1635971554)
    ok("draft Figure 2 expiration", "2022-02-08T14:57:22Z", 1644332242)
    ok("an ordinary time", "2023-06-15T08:30:45Z", 1686817845)
    ok("2024-02-29: 2024 is a leap year", "2024-02-29T00:00:00Z", 1709164800)
    ok("last second of 2024-02-29", "2024-02-29T23:59:59Z", 1709251199)
    ok("2^31 - 1 seconds", "2038-01-19T03:14:07Z", 2147483647)
    ok("2^31 seconds (past a signed 32-bit time_t)", "2038-01-19T03:14:08Z",
       2147483648)
    ok("2100-01-01", "2100-01-01T00:00:00Z", 4102444800)
    ok("2100-02-28 is the last day of February 2100", "2100-02-28T23:59:59Z",
       4107542399)
    ok("2100-03-01 follows 2100-02-28 (2100 is not a leap year)",
       "2100-03-01T00:00:00Z", 4107542400)
    ok("2^32 seconds", "2106-02-07T06:28:16Z", 4294967296)
    ok("first second of the last day of 9999", "9999-12-31T00:00:00Z",
       253402214400)
    ok("the last second of 9999, upper bound of the year range",
       "9999-12-31T23:59:59Z", 253402300799)

    R = ["TIME-RANGE"]
    Fm = ["TIME-FORM", "E-TIME-STRICT"]
    bad("1969-12-31T23:59:59Z: year below 1970", "1969-12-31T23:59:59Z", R)
    bad("1900-02-28: year below 1970", "1900-02-28T00:00:00Z", R)
    bad("1900-02-29: year below 1970, and 1900 is not a leap year (both "
        "TIME-RANGE faults)", "1900-02-29T00:00:00Z", R)
    bad("0000-01-01: year 0", "0000-01-01T00:00:00Z", R)
    bad("2100-02-29: 2100 is not a leap year (divisible by 100, not 400)",
        "2100-02-29T00:00:00Z", R)
    bad("2023-02-29: 2023 is not a leap year", "2023-02-29T00:00:00Z", R)
    bad("2024-02-30", "2024-02-30T00:00:00Z", R)
    bad("2024-04-31: April has 30 days", "2024-04-31T00:00:00Z", R)
    bad("2024-06-31: June has 30 days", "2024-06-31T00:00:00Z", R)
    bad("2024-01-32", "2024-01-32T00:00:00Z", R)
    bad("month 13", "2024-13-01T00:00:00Z", R)
    bad("month 00", "2024-00-10T00:00:00Z", R)
    bad("day 00", "2024-01-00T00:00:00Z", R)
    bad("hour 24 (24:00:00 is not accepted)", "2024-01-01T24:00:00Z", R)
    bad("minute 60", "2024-01-01T12:60:00Z", R)
    bad("second 60 on a real leap second", "2016-12-31T23:59:60Z", R)
    bad("second 60 on an ordinary minute", "2024-01-01T12:00:60Z", R)
    bad("lower-case t", "2024-01-01t00:00:00Z", Fm)
    bad("lower-case z", "2024-01-01T00:00:00z", Fm)
    bad("lower-case t and z", "2024-01-01t00:00:00z", Fm)
    bad("fraction of a second .5", "2024-01-01T00:00:00.5Z", Fm)
    bad("fraction of a second .000", "2021-11-03T20:32:34.000Z", Fm)
    bad("offset +00:00 instead of Z", "2024-01-01T00:00:00+00:00", Fm)
    bad("offset -05:00", "2024-01-01T00:00:00-05:00", Fm)
    bad("Z missing (19 characters)", "2024-01-01T00:00:00", Fm)
    bad("space instead of T", "2024-01-01 00:00:00Z", Fm)
    bad("five-digit year 10000", "10000-01-01T00:00:00Z", Fm)
    bad("single-digit month (19 characters)", "2024-1-01T00:00:00Z", Fm)
    bad("slashes as date separators", "2024/01/01T00:00:00Z", Fm)
    bad("date only", "2024-01-01", Fm)
    bad("empty string", "", Fm)
    bad("leading space", " 2024-01-01T00:00:00Z", Fm)
    bad("trailing newline", "2024-01-01T00:00:00Z\n", Fm)
    bad("Arabic-Indic digit one in the seconds (20 characters)",
        "2024-01-01T00:00:0\u0661Z", Fm)
    bad("sign before the year", "+2024-01-01T00:00:00Z", Fm)
    bad("UTC instead of Z", "2024-01-01T00:00:00UTC", Fm)

    fmt("epoch 0", 0, "1970-01-01T00:00:00Z")
    fmt("epoch 1", 1, "1970-01-01T00:00:01Z")
    fmt("last second of 1999", 946684799, "1999-12-31T23:59:59Z")
    fmt("2000-02-29 noon", 951825600, "2000-02-29T12:00:00Z")
    fmt("draft Figure 2 expiration", 1644332242, "2022-02-08T14:57:22Z")
    fmt("2024-02-29 last second", 1709251199, "2024-02-29T23:59:59Z")
    fmt("2^31 - 1", 2147483647, "2038-01-19T03:14:07Z")
    fmt("2^31", 2147483648, "2038-01-19T03:14:08Z")
    fmt("2100-02-28 last second", 4107542399, "2100-02-28T23:59:59Z")
    fmt("2100-03-01 (no 2100-02-29)", 4107542400, "2100-03-01T00:00:00Z")
    fmt("2^32", 4294967296, "2106-02-07T06:28:16Z")
    fmt("maximum: the last second of 9999", 253402300799, "9999-12-31T23:59:59Z")
    return vs


# ---------------------------------------------------------------------------
# shareurl.json
# ---------------------------------------------------------------------------

U1 = "2bba630e-519b-11ec-bf63-0242ac130002"          # Figure 11, version 1
U4 = "f47ac10b-58cc-4372-a567-0e02b2c3d479"          # version 4
U4_UP = "F47AC10B-58CC-4372-A567-0E02B2C3D479"
U7 = "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"          # version 7
UNIL = "00000000-0000-0000-0000-000000000000"

FIG11 = ("https://relayserver.example.com/v1/m/2bba630e-519b-11ec-bf63-0242ac130002"
         "?v=c#hXlr6aRC7KgJpOLTNZaLsw==")
# Secrets (hex) and their base64 forms, written out.
S16 = "85796be9a442eca809a4e2d335968bb3"                # Figure 11's Secret
S16_B64 = "hXlr6aRC7KgJpOLTNZaLsw=="
S16_NOPAD = "hXlr6aRC7KgJpOLTNZaLsw"
S16PS = "fbffbf0123456789abcdef0123456789"              # encodes with + and /
S16PS_B64 = "+/+/ASNFZ4mrze8BI0VniQ=="
S16PS_URL = "-_-_ASNFZ4mrze8BI0VniQ=="
S16PS_URL_NOPAD = "-_-_ASNFZ4mrze8BI0VniQ"
S32 = "3ac146665074d1337ad469edf7f3ff286c6e9b40e3f91b4891e50592e01eb150"
S32_B64 = "OsFGZlB00TN61Gnt9/P/KGxum0Dj+RtIkeUFkuAesVA="
S32_NOPAD = "OsFGZlB00TN61Gnt9/P/KGxum0Dj+RtIkeUFkuAesVA"
S32_URL_NOPAD = "OsFGZlB00TN61Gnt9_P_KGxum0Dj-RtIkeUFkuAesVA"
S32B = "bb211953072cb0cac29a98f91edb2476cf0cd0f3a2cebe5e304f3a69840c3f63"
S32B_B64 = "uyEZUwcssMrCmpj5Htskds8M0POizr5eME86aYQMP2M="

H = "https://relay.example.com"
HOST253 = ("a" * 63 + ".") * 3 + "b" * 61
HOST254 = ("a" * 63 + ".") * 3 + "b" * 62


def url_of_length(total, host_char="a", tail="/v1/m/" + U4, extra=""):
    """'https://' + host + extra + tail, with the host sized so that the URL
    has exactly `total` characters."""
    n = total - len("https://") - len(extra) - len(tail)
    u = "https://" + host_char * n + extra + tail
    assert len(u) == total
    return u


def gen_shareurl():
    vs = VectorSet(
        "shareurl", "draft-vinokurov-tigress-http-00 §7.3, §8.2.1; "
        + SOURCE_RULES + "; spec/errata.md",
        "Share URL parsing (fields, api_url and canonical form) and building.")

    def E(host, port, version, mailbox_id, uuid_version, vertical,
          vertical_present, secret, aead, length, api_url, canonical):
        return {
            "host": host, "port": port, "version": version,
            "mailbox_id": mailbox_id, "uuid_version": uuid_version,
            "vertical": vertical, "vertical_present": vertical_present,
            "secret": secret, "aead": aead, "length": length,
            "api_url": api_url, "canonical": canonical,
        }

    base_ok = ["URL-SCHEME", "URL-HOST", "URL-PATH", "URL-VERSION",
               "URL-MAILBOX", "URL-API", "URL-BUILD"]

    def ok(comment, extra_flags, url, exp):
        flags = base_ok + [f for f in extra_flags if f not in base_ok]
        # sanity of the hand-written values
        assert exp["length"] == len(url), (comment, exp["length"], len(url))
        assert exp["canonical"].startswith(exp["api_url"]), comment
        if exp["secret"] is not None:
            assert exp["canonical"].endswith("#" + b64(bytes.fromhex(exp["secret"]))), comment
            assert exp["aead"] == {16: A128, 32: A256}[len(exp["secret"]) // 2]
        vs.add(comment, flags, "valid",
               [("op", "parse"), ("url", url), ("expected", exp)])

    def bad(comment, flags, url, error):
        vs.add(comment, list(flags), "invalid",
               [("op", "parse"), ("url", url), ("error", error)])

    def build(comment, flags, fields, url):
        vs.add(comment, ["URL-BUILD"] + list(flags), "valid",
               [("op", "build"), ("fields", fields), ("url", url)])

    def build_bad(comment, flags, fields, error):
        vs.add(comment, ["URL-BUILD"] + list(flags), "invalid",
               [("op", "build"), ("fields", fields), ("error", error)])

    def fields(host, port, version, mailbox_id, vertical, secret):
        return {"host": host, "port": port, "version": version,
                "mailbox_id": mailbox_id, "vertical": vertical, "secret": secret}

    API4 = H + "/v1/m/" + U4

    # ---- valid parses ----------------------------------------------------
    ok("draft Figure 11 car key URL: version 1 UUID, 16-byte Secret",
       ["URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64", "URL-SECRET-LEN",
        "E-UUID-CASE", "E-AEAD-FROM-SECRET"], FIG11,
       E("relayserver.example.com", 0, 1, U1, 1, "c", True, S16, A128, 102,
         "https://relayserver.example.com/v1/m/" + U1, FIG11))
    ok("no query and no fragment: general access, no Secret", ["URL-VERTICAL"],
       API4, E("relay.example.com", 0, 1, U4, 4, "a", False, None, None, 67,
               API4, API4))
    ok("fragment without query: general access with a Secret",
       ["URL-VERTICAL", "URL-SECRET-B64", "URL-SECRET-LEN"],
       API4 + "#" + S16_B64,
       E("relay.example.com", 0, 1, U4, 4, "a", False, S16, A128, 92,
         API4, API4 + "#" + S16_B64))
    ok("explicit ?v=a: vertical_present, and the canonical form drops ?v=a",
       ["URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64", "URL-SECRET-LEN"],
       API4 + "?v=a#" + S16_B64,
       E("relay.example.com", 0, 1, U4, 4, "a", True, S16, A128, 96,
         API4, API4 + "#" + S16_B64))
    ok("home key ?v=h with a 32-byte Secret (AEAD_AES_256_GCM)",
       ["URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64", "URL-SECRET-LEN",
        "E-AEAD-FROM-SECRET"],
       API4 + "?v=h#" + S32_B64,
       E("relay.example.com", 0, 1, U4, 4, "h", True, S32, A256, 116,
         API4, API4 + "?v=h#" + S32_B64))
    ok("car key without a fragment", ["URL-QUERY", "URL-VERTICAL"],
       API4 + "?v=c",
       E("relay.example.com", 0, 1, U4, 4, "c", True, None, None, 71,
         API4, API4 + "?v=c"))
    ok("unpadded standard base64 Secret; canonical form is padded",
       ["URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64", "URL-SECRET-LEN",
        "E-SECRET-B64"],
       API4 + "?v=c#" + S16_NOPAD,
       E("relay.example.com", 0, 1, U4, 4, "c", True, S16, A128, 94,
         API4, API4 + "?v=c#" + S16_B64))
    ok("standard alphabet Secret containing + and /",
       ["URL-SECRET-B64", "URL-SECRET-LEN"],
       API4 + "#" + S16PS_B64,
       E("relay.example.com", 0, 1, U4, 4, "a", False, S16PS, A128, 92,
         API4, API4 + "#" + S16PS_B64))
    ok("URL-safe alphabet Secret (- and _), padded; canonical is standard",
       ["URL-SECRET-B64", "URL-SECRET-LEN", "E-SECRET-B64"],
       API4 + "#" + S16PS_URL,
       E("relay.example.com", 0, 1, U4, 4, "a", False, S16PS, A128, 92,
         API4, API4 + "#" + S16PS_B64))
    ok("URL-safe alphabet Secret, unpadded; canonical is standard padded",
       ["URL-SECRET-B64", "URL-SECRET-LEN", "E-SECRET-B64"],
       API4 + "#" + S16PS_URL_NOPAD,
       E("relay.example.com", 0, 1, U4, 4, "a", False, S16PS, A128, 90,
         API4, API4 + "#" + S16PS_B64))
    ok("32-byte Secret, standard alphabet, unpadded (43 characters)",
       ["URL-SECRET-B64", "URL-SECRET-LEN", "E-SECRET-B64"],
       API4 + "#" + S32_NOPAD,
       E("relay.example.com", 0, 1, U4, 4, "a", False, S32, A256, 111,
         API4, API4 + "#" + S32_B64))
    ok("32-byte Secret, URL-safe alphabet, unpadded",
       ["URL-SECRET-B64", "URL-SECRET-LEN", "E-SECRET-B64"],
       API4 + "?v=c#" + S32_URL_NOPAD,
       E("relay.example.com", 0, 1, U4, 4, "c", True, S32, A256, 115,
         API4, API4 + "?v=c#" + S32_B64))
    ok("port 8443 is kept in api_url and canonical form",
       ["URL-PORT", "URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64",
        "URL-SECRET-LEN"],
       H + ":8443/v1/m/" + U4 + "?v=c#" + S16_B64,
       E("relay.example.com", 8443, 1, U4, 4, "c", True, S16, A128, 101,
         H + ":8443/v1/m/" + U4, H + ":8443/v1/m/" + U4 + "?v=c#" + S16_B64))
    ok("explicit default port :443 is kept as 443", ["URL-PORT"],
       H + ":443/v1/m/" + U4,
       E("relay.example.com", 443, 1, U4, 4, "a", False, None, None, 71,
         H + ":443/v1/m/" + U4, H + ":443/v1/m/" + U4))
    ok("highest port 65535", ["URL-PORT"],
       H + ":65535/v1/m/" + U4,
       E("relay.example.com", 65535, 1, U4, 4, "a", False, None, None, 73,
         H + ":65535/v1/m/" + U4, H + ":65535/v1/m/" + U4))
    ok("lowest port 1", ["URL-PORT"],
       H + ":1/v1/m/" + U4,
       E("relay.example.com", 1, 1, U4, 4, "a", False, None, None, 69,
         H + ":1/v1/m/" + U4, H + ":1/v1/m/" + U4))
    ok("IPv6 literal host; the parsed host keeps its brackets",
       ["URL-SECRET-B64", "URL-SECRET-LEN"],
       "https://[2001:db8::1]/v1/m/" + U4 + "#" + S16_B64,
       E("[2001:db8::1]", 0, 1, U4, 4, "a", False, S16, A128, 88,
         "https://[2001:db8::1]/v1/m/" + U4,
         "https://[2001:db8::1]/v1/m/" + U4 + "#" + S16_B64))
    ok("upper-case IPv6 literal with port, lower-cased",
       ["URL-PORT", "URL-QUERY", "URL-VERTICAL"],
       "https://[2001:DB8::A]:8443/v1/m/" + U4 + "?v=h",
       E("[2001:db8::a]", 8443, 1, U4, 4, "h", True, None, None, 72,
         "https://[2001:db8::a]:8443/v1/m/" + U4,
         "https://[2001:db8::a]:8443/v1/m/" + U4 + "?v=h"))
    ok("IPv4-mapped IPv6 literal (dots allowed in an IP-literal)", [],
       "https://[::ffff:192.0.2.1]/v1/m/" + U4,
       E("[::ffff:192.0.2.1]", 0, 1, U4, 4, "a", False, None, None, 68,
         "https://[::ffff:192.0.2.1]/v1/m/" + U4,
         "https://[::ffff:192.0.2.1]/v1/m/" + U4))
    ok("IPv4 address (a name of digits and dots)", [],
       "https://192.0.2.10/v1/m/" + U4,
       E("192.0.2.10", 0, 1, U4, 4, "a", False, None, None, 60,
         "https://192.0.2.10/v1/m/" + U4, "https://192.0.2.10/v1/m/" + U4))
    ok("upper-case scheme, host and UUID are normalized",
       ["URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64", "URL-SECRET-LEN",
        "E-UUID-CASE"],
       "HTTPS://RELAY.EXAMPLE.COM/v1/m/" + U4_UP + "?v=c#" + S16_B64,
       E("relay.example.com", 0, 1, U4, 4, "c", True, S16, A128, 96,
         API4, API4 + "?v=c#" + S16_B64))
    ok("mixed-case scheme", [],
       "hTtPs://relay.example.com/v1/m/" + U4,
       E("relay.example.com", 0, 1, U4, 4, "a", False, None, None, 67,
         API4, API4))
    ok("version v2", [],
       H + "/v2/m/" + U4,
       E("relay.example.com", 0, 2, U4, 4, "a", False, None, None, 67,
         H + "/v2/m/" + U4, H + "/v2/m/" + U4))
    ok("highest version v999", [],
       H + "/v999/m/" + U4,
       E("relay.example.com", 0, 999, U4, 4, "a", False, None, None, 69,
         H + "/v999/m/" + U4, H + "/v999/m/" + U4))
    ok("nil UUID as mailbox identifier (version 0)", ["E-UUID-CASE"],
       H + "/v1/m/" + UNIL,
       E("relay.example.com", 0, 1, UNIL, 0, "a", False, None, None, 67,
         H + "/v1/m/" + UNIL, H + "/v1/m/" + UNIL))
    ok("version 7 UUID as mailbox identifier", ["E-UUID-CASE"],
       H + "/v1/m/" + U7,
       E("relay.example.com", 0, 1, U7, 7, "a", False, None, None, 67,
         H + "/v1/m/" + U7, H + "/v1/m/" + U7))
    ok("single-label host with port", ["URL-PORT"],
       "https://localhost:8443/v1/m/" + U4,
       E("localhost", 8443, 1, U4, 4, "a", False, None, None, 64,
         "https://localhost:8443/v1/m/" + U4, "https://localhost:8443/v1/m/" + U4))
    ok("host of exactly 253 characters", [],
       "https://" + HOST253 + "/v1/m/" + U4,
       E(HOST253, 0, 1, U4, 4, "a", False, None, None, 303,
         "https://" + HOST253 + "/v1/m/" + U4,
         "https://" + HOST253 + "/v1/m/" + U4))
    ok("host with a trailing dot (characters and length are all URL-HOST checks)",
       [], "https://relay.example.com./v1/m/" + U4,
       E("relay.example.com.", 0, 1, U4, 4, "a", False, None, None, 68,
         "https://relay.example.com./v1/m/" + U4,
         "https://relay.example.com./v1/m/" + U4))
    ok("host with an empty label: URL-HOST checks only characters and length",
       [], "https://relay..example.com/v1/m/" + U4,
       E("relay..example.com", 0, 1, U4, 4, "a", False, None, None, 68,
         "https://relay..example.com/v1/m/" + U4,
         "https://relay..example.com/v1/m/" + U4))
    ok("URL-SMS: car key, 32-byte Secret, 20-character host: 119 characters",
       ["URL-SMS", "URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64",
        "URL-SECRET-LEN"],
       "https://relay-01.example.net/v1/m/" + U4 + "?v=c#" + S32B_B64,
       E("relay-01.example.net", 0, 1, U4, 4, "c", True, S32B, A256, 119,
         "https://relay-01.example.net/v1/m/" + U4,
         "https://relay-01.example.net/v1/m/" + U4 + "?v=c#" + S32B_B64))

    # ---- URL-LEN --------------------------------------------------------
    bad("2049 characters (host of 1999 'a'): too_large before any other check",
        ["URL-LEN"], url_of_length(2049), "too_large")
    bad("2049 characters with a space: URL-LEN comes before URL-CHARS",
        ["URL-LEN", "URL-CHARS"], url_of_length(2049, extra=" "), "too_large")
    bad("2048 characters (host of 1998 'a'): length is met, the host is too long",
        ["URL-LEN", "URL-HOST"], url_of_length(2048), "url_host")
    bad("2048 characters but 2049 UTF-8 bytes (one e-acute in the host): "
        "length counts bytes, so URL-LEN refuses it first",
        ["URL-LEN", "URL-CHARS"], url_of_length(2048, extra="\u00e9"),
        "too_large")

    # ---- URL-CHARS ------------------------------------------------------
    C = ["URL-CHARS"]
    bad("empty string", C, "", "url_syntax")
    bad("leading space", C, " " + API4, "url_syntax")
    bad("trailing space", C, API4 + " ", "url_syntax")
    bad("trailing newline", C, API4 + "\n", "url_syntax")
    bad("tab inside the fragment", C, API4 + "#hXlr6aRC7KgJ\tpOLTNZaLsw==",
        "url_syntax")
    bad("space inside the path", C, H + "/v1/m/ " + U4, "url_syntax")
    bad("non-ASCII host (e-acute)", C, "https://rel\u00e9.example.com/v1/m/" + U4,
        "url_syntax")
    bad("DEL (0x7F) in the path", C, API4 + "\u007f", "url_syntax")
    bad("no '://' (https:relay...)", C, "https:relay.example.com/v1/m/" + U4,
        "url_syntax")
    bad("single slash after the scheme", C, "https:/relay.example.com/v1/m/" + U4,
        "url_syntax")
    bad("no scheme at all", C, "relay.example.com/v1/m/" + U4, "url_syntax")

    # ---- URL-SCHEME -----------------------------------------------------
    S = ["URL-SCHEME"]
    bad("http scheme", S, "http://relay.example.com/v1/m/" + U4, "url_scheme")
    bad("ftp scheme", S, "ftp://relay.example.com/v1/m/" + U4, "url_scheme")
    bad("empty scheme", S, "://relay.example.com/v1/m/" + U4, "url_scheme")
    bad("httpss scheme", S, "httpss://relay.example.com/v1/m/" + U4, "url_scheme")
    bad("http scheme and userinfo: URL-SCHEME comes first", S + ["URL-USERINFO"],
        "http://user@relay.example.com/v1/m/" + U4, "url_scheme")

    # ---- URL-USERINFO ---------------------------------------------------
    UI = ["URL-USERINFO"]
    bad("user@ before the host", UI, "https://user@relay.example.com/v1/m/" + U4,
        "url_userinfo")
    bad("user:pass@ before the host", UI,
        "https://user:pass@relay.example.com/v1/m/" + U4, "url_userinfo")
    bad("empty userinfo @ before the host", UI,
        "https://@relay.example.com/v1/m/" + U4, "url_userinfo")
    bad("userinfo and a bad host character: URL-USERINFO comes first",
        UI + ["URL-HOST"], "https://user@relay_1.example.com/v1/m/" + U4,
        "url_userinfo")

    # ---- URL-HOST -------------------------------------------------------
    HO = ["URL-HOST"]
    bad("empty host", HO, "https:///v1/m/" + U4, "url_host")
    bad("empty host before a port", HO, "https://:8443/v1/m/" + U4, "url_host")
    bad("underscore in the host", HO, "https://relay_1.example.com/v1/m/" + U4,
        "url_host")
    bad("host of 254 characters", HO, "https://" + HOST254 + "/v1/m/" + U4,
        "url_host")
    bad("empty IP-literal []", HO, "https://[]/v1/m/" + U4, "url_host")
    bad("IP-literal with a zone identifier (%25)", HO,
        "https://[fe80::1%25en0]/v1/m/" + U4, "url_host")
    bad("IP-literal without its closing bracket", HO,
        "https://[2001:db8::1/v1/m/" + U4, "url_host")
    bad("percent-encoded character in the host", HO,
        "https://relay%2Eexample.com/v1/m/" + U4, "url_host")
    bad("the draft's Figure 10 template: '{' is not a host character", HO,
        "https://{RelayServerHost}/v{ApiVersion}/m/{MailboxIdentifier}"
        "?v={CredentialVertical}#{Secret}", "url_host")

    # ---- URL-PORT -------------------------------------------------------
    PO = ["URL-PORT"]
    bad("':' with no port after it", PO, H + ":/v1/m/" + U4, "url_port")
    bad("port 0", PO, H + ":0/v1/m/" + U4, "url_port")
    bad("port 65536", PO, H + ":65536/v1/m/" + U4, "url_port")
    bad("port with a leading zero", PO, H + ":08443/v1/m/" + U4, "url_port")
    bad("port of six digits", PO, H + ":100000/v1/m/" + U4, "url_port")
    bad("non-decimal port", PO, H + ":https/v1/m/" + U4, "url_port")
    bad("signed port", PO, H + ":+443/v1/m/" + U4, "url_port")
    bad("IP-literal followed by ':' and no port", PO,
        "https://[2001:db8::1]:/v1/m/" + U4, "url_port")

    # ---- URL-PATH -------------------------------------------------------
    PA = ["URL-PATH"]
    bad("no path", PA, H, "url_path")
    bad("path '/'", PA, H + "/", "url_path")
    bad("path /v1/m (two segments)", PA, H + "/v1/m", "url_path")
    bad("path /v1/m/ (empty third segment)", PA, H + "/v1/m/", "url_path")
    bad("trailing slash after the identifier", PA, API4 + "/", "url_path")
    bad("extra segment after the identifier", PA, API4 + "/extra", "url_path")
    bad("extra segment before the version", PA, H + "/api/v1/m/" + U4, "url_path")
    bad("empty segment between version and m", PA, H + "/v1//m/" + U4, "url_path")
    bad("empty first segment (//v1/m/id)", PA, H + "//v1/m/" + U4, "url_path")
    bad("second segment 'mailbox' instead of 'm'", PA, H + "/v1/mailbox/" + U4,
        "url_path")
    bad("second segment upper-case 'M'", PA, H + "/v1/M/" + U4, "url_path")
    bad("no path before the query and fragment (the authority ends at the "
        "split-off query)", PA + ["URL-QUERY"],
        H + "?v=c#" + S16_B64, "url_path")
    bad("no path before the fragment", PA, H + "#" + S16_B64, "url_path")
    bad("the draft's Figure 3 urlLink: no version segment", PA,
        "https://relayserver.example.com/m/12345678-9...A-BCD", "url_path")

    # ---- URL-VERSION ----------------------------------------------------
    VE = ["URL-VERSION"]
    bad("version v0", VE, H + "/v0/m/" + U4, "url_version")
    bad("version with a leading zero v01", VE, H + "/v01/m/" + U4, "url_version")
    bad("upper-case V1", VE, H + "/V1/m/" + U4, "url_version")
    bad("version v1000", VE, H + "/v1000/m/" + U4, "url_version")
    bad("version without the v", VE, H + "/1/m/" + U4, "url_version")
    bad("v without a number", VE, H + "/v/m/" + U4, "url_version")
    bad("version v1.0", VE, H + "/v1.0/m/" + U4, "url_version")
    bad("bad version and bad identifier: URL-VERSION comes first",
        VE + ["URL-MAILBOX"], H + "/v0/m/not-a-uuid", "url_version")

    # ---- URL-MAILBOX ----------------------------------------------------
    MB = ["URL-MAILBOX"]
    bad("identifier not a UUID", MB, H + "/v1/m/12345678-9abc-def0-1234",
        "url_mailbox_id")
    bad("identifier without hyphens", MB,
        H + "/v1/m/f47ac10b58cc4372a5670e02b2c3d479", "url_mailbox_id")
    bad("identifier in braces", MB, H + "/v1/m/{" + U4 + "}", "url_mailbox_id")
    bad("urn:uuid: identifier", MB, H + "/v1/m/urn:uuid:" + U4, "url_mailbox_id")
    bad("non-hex letter in the identifier", MB,
        H + "/v1/m/f47ac10b-58cc-4372-a567-0e02b2c3d47g", "url_mailbox_id")
    bad("percent-encoded hyphen in the identifier", MB,
        H + "/v1/m/f47ac10b%2D58cc-4372-a567-0e02b2c3d479", "url_mailbox_id")

    # ---- URL-QUERY ------------------------------------------------------
    Q = ["URL-QUERY", "E-QUERY-STRICT"]
    bad("empty query", Q, API4 + "?", "url_query")
    bad("empty query before a fragment", Q, API4 + "?#" + S16_B64, "url_query")
    bad("unknown parameter x", Q, API4 + "?x=1", "url_query")
    bad("repeated v", Q, API4 + "?v=c&v=c", "url_query")
    bad("v followed by an unknown parameter", Q, API4 + "?v=c&x=1#" + S16_B64,
        "url_query")
    bad("unknown parameter followed by v", Q, API4 + "?x=1&v=c", "url_query")
    bad("parameter v without '='", Q, API4 + "?v", "url_query")
    bad("upper-case parameter name V", Q, API4 + "?V=c", "url_query")
    bad("empty parameter before v", Q, API4 + "?&v=c", "url_query")
    bad("unknown parameter and a bad Secret: URL-QUERY comes first",
        Q + ["URL-SECRET-B64"], API4 + "?x=1#hXlr*", "url_query")

    # ---- URL-VERTICAL ---------------------------------------------------
    V = ["URL-VERTICAL"]
    bad("empty vertical ?v=", V, API4 + "?v=", "url_vertical")
    bad("upper-case vertical C", V, API4 + "?v=C", "url_vertical")
    bad("unknown vertical x", V, API4 + "?v=x#" + S16_B64, "url_vertical")
    bad("vertical 'car'", V, API4 + "?v=car", "url_vertical")
    bad("percent-encoded vertical %63 (not decoded)", V, API4 + "?v=%63",
        "url_vertical")

    # ---- URL-SECRET-B64 -------------------------------------------------
    B = ["URL-SECRET-B64", "E-SECRET-B64"]
    bad("mixed alphabets: + with _", B, API4 + "#+_+_ASNFZ4mrze8BI0VniQ==",
        "url_secret_encoding")
    bad("mixed alphabets: - with /", B, API4 + "#-/-/ASNFZ4mrze8BI0VniQ",
        "url_secret_encoding")
    bad("illegal character '!'", B, API4 + "#hXlr6aRC7KgJpOLTNZaLs!==",
        "url_secret_encoding")
    bad("illegal character '.'", B, API4 + "#hXlr6aRC7KgJ.OLTNZaLsw==",
        "url_secret_encoding")
    bad("percent-encoded padding %3D%3D", B,
        API4 + "#hXlr6aRC7KgJpOLTNZaLsw%3D%3D", "url_secret_encoding")
    bad("one '=' where two are needed (23 characters)", B,
        API4 + "#hXlr6aRC7KgJpOLTNZaLsw=", "url_secret_encoding")
    bad("three '=' (25 characters)", B, API4 + "#hXlr6aRC7KgJpOLTNZaLsw===",
        "url_secret_encoding")
    bad("six '=': padded length is a multiple of 4 but the padding exceeds "
        "the final quantum", B, API4 + "#hXlr6aRC7KgJpOLTNZaLsw======",
        "url_secret_encoding")
    bad("'=' inside the string", B, API4 + "#hXlr6aRC=KgJpOLTNZaLsw==",
        "url_secret_encoding")
    bad("unpadded length 21 (mod 4 = 1)", B, API4 + "#hXlr6aRC7KgJpOLTNZaLs",
        "url_secret_encoding")
    bad("a lone '='", B, API4 + "#=", "url_secret_encoding")
    bad("non-canonical last character x (unused bits not zero), padded", B,
        API4 + "#hXlr6aRC7KgJpOLTNZaLsx==", "url_secret_encoding")
    bad("non-canonical last character 0, unpadded", B,
        API4 + "#hXlr6aRC7KgJpOLTNZaLs0", "url_secret_encoding")
    bad("32-byte Secret with non-canonical last character B", B,
        API4 + "#OsFGZlB00TN61Gnt9/P/KGxum0Dj+RtIkeUFkuAesVB=",
        "url_secret_encoding")
    bad("'#' inside the fragment", B, API4 + "#hXlr6aRC7KgJ#pOLTNZaLsw==",
        "url_secret_encoding")
    bad("query after the fragment belongs to the fragment", B,
        API4 + "#" + S16_B64 + "?v=c", "url_secret_encoding")

    # ---- URL-SECRET-LEN -------------------------------------------------
    L = ["URL-SECRET-LEN", "E-AEAD-FROM-SECRET"]
    bad("empty fragment", L, API4 + "?v=c#", "url_secret_length")
    bad("15-byte Secret", L, API4 + "#hXlr6aRC7KgJpOLTNZaL", "url_secret_length")
    bad("17-byte Secret", L, API4 + "#hXlr6aRC7KgJpOLTNZaLswA=",
        "url_secret_length")
    bad("24-byte Secret (AES-192 key size)", L,
        API4 + "#hXlr6aRC7KgJpOLTNZaLs4V5a+mkQuyo", "url_secret_length")
    bad("33-byte Secret", L,
        API4 + "#OsFGZlB00TN61Gnt9/P/KGxum0Dj+RtIkeUFkuAesVAB",
        "url_secret_length")
    bad("1-byte Secret", L, API4 + "#Kg==", "url_secret_length")

    # ---- build ----------------------------------------------------------
    build("draft Figure 11 from its fields",
          ["URL-QUERY", "URL-VERTICAL", "URL-SECRET-B64"],
          fields("relayserver.example.com", 0, 1, U1, "c", S16), FIG11)
    build("upper-case host and identifier are written lower case",
          ["URL-HOST", "URL-MAILBOX", "E-UUID-CASE"],
          fields("RELAYSERVER.EXAMPLE.COM", 0, 1, "2BBA630E-519B-11EC-BF63-0242AC130002",
                 "c", S16), FIG11)
    build("general access: no ?v= in the URL", ["URL-VERTICAL"],
          fields("relay.example.com", 0, 1, U4, "a", S16),
          API4 + "#" + S16_B64)
    build("no Secret: no fragment", ["URL-VERTICAL"],
          fields("relay.example.com", 0, 1, U4, "h", None), API4 + "?v=h")
    build("general access and no Secret: the api_url form", ["URL-API"],
          fields("relay.example.com", 0, 1, U4, "a", None), API4)
    build("port 8443", ["URL-PORT"],
          fields("relay.example.com", 8443, 1, U4, "c", S16),
          H + ":8443/v1/m/" + U4 + "?v=c#" + S16_B64)
    build("port 443 is written when given", ["URL-PORT"],
          fields("relay.example.com", 443, 1, U4, "a", None),
          H + ":443/v1/m/" + U4)
    build("32-byte Secret in standard padded base64", ["URL-SECRET-B64"],
          fields("relay.example.com", 0, 1, U4, "h", S32),
          API4 + "?v=h#" + S32_B64)
    build("Secret written in the standard alphabet (+ and /)", ["URL-SECRET-B64"],
          fields("relay.example.com", 0, 1, U4, "a", S16PS),
          API4 + "#" + S16PS_B64)
    build("URL-SMS: car key, 32-byte Secret, 20-character host gives 119 "
          "characters", ["URL-SMS"],
          fields("relay-01.example.net", 0, 1, U4, "c", S32B),
          "https://relay-01.example.net/v1/m/" + U4 + "?v=c#" + S32B_B64)
    build("IPv6 literal host, lower-cased", ["URL-HOST"],
          fields("[2001:DB8::1]", 8443, 1, U4, "c", None),
          "https://[2001:db8::1]:8443/v1/m/" + U4 + "?v=c")
    build("version 2", ["URL-VERSION"],
          fields("relay.example.com", 0, 2, U7, "a", None),
          H + "/v2/m/" + U7)
    build_bad("host with an underscore", ["URL-HOST"],
              fields("relay_1.example.com", 0, 1, U4, "c", S16), "url_host")
    build_bad("empty host", ["URL-HOST"], fields("", 0, 1, U4, "c", S16), "url_host")
    build_bad("host of 254 characters", ["URL-HOST"],
              fields(HOST254, 0, 1, U4, "a", None), "url_host")
    build_bad("port 65536", ["URL-PORT"],
              fields("relay.example.com", 65536, 1, U4, "a", None), "url_port")
    build_bad("version 0", ["URL-VERSION"],
              fields("relay.example.com", 0, 0, U4, "a", None), "url_version")
    build_bad("version 1000", ["URL-VERSION"],
              fields("relay.example.com", 0, 1000, U4, "a", None), "url_version")
    build_bad("identifier not a UUID", ["URL-MAILBOX"],
              fields("relay.example.com", 0, 1, "not-a-uuid", "a", None),
              "url_mailbox_id")
    build_bad("identifier in braces", ["URL-MAILBOX"],
              fields("relay.example.com", 0, 1, "{" + U4 + "}", "a", None),
              "url_mailbox_id")
    build_bad("unknown vertical x", ["URL-VERTICAL"],
              fields("relay.example.com", 0, 1, U4, "x", None), "url_vertical")
    build_bad("upper-case vertical C", ["URL-VERTICAL"],
              fields("relay.example.com", 0, 1, U4, "C", None), "url_vertical")
    build_bad("empty vertical", ["URL-VERTICAL"],
              fields("relay.example.com", 0, 1, U4, "", None), "url_vertical")
    build_bad("15-byte Secret", ["URL-SECRET-LEN"],
              fields("relay.example.com", 0, 1, U4, "c", S16[:30]),
              "url_secret_length")
    build_bad("empty (0-byte) Secret", ["URL-SECRET-LEN"],
              fields("relay.example.com", 0, 1, U4, "c", ""), "url_secret_length")
    build_bad("24-byte Secret", ["URL-SECRET-LEN"],
              fields("relay.example.com", 0, 1, U4, "c", S16 + S16[:16]),
              "url_secret_length")
    return vs


# ---------------------------------------------------------------------------
# payload.json
# ---------------------------------------------------------------------------

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# AES-GCM known answers of the GCM specification (McGrew and Viega,
# "The Galois/Counter Mode of Operation", test cases 1, 2, 3, 13, 14, 15):
# key, IV, plaintext, ciphertext || tag, all written out.
GCM_P3 = ("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
          "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
KATS = [
    ("GCM spec test case 1 (AES-128, empty plaintext)", A128, "00" * 16, "00" * 12,
     "", "58e2fccefa7e3061367f1d57a4e7455a"),
    ("GCM spec test case 2 (AES-128, 16 zero bytes)", A128, "00" * 16, "00" * 12,
     "00" * 16,
     "0388dace60b6a392f328c2b971b2fe78" "ab6e47d42cec13bdf53a67b21257bddf"),
    ("GCM spec test case 3 (AES-128, 64 bytes)", A128,
     "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", GCM_P3,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
     "4d5c2af327cd64a62cf35abd2ba6fab4"),
    ("GCM spec test case 13 (AES-256, empty plaintext)", A256, "00" * 32,
     "00" * 12, "", "530f8afbc74536b9a963b4f1c4cb738b"),
    ("GCM spec test case 14 (AES-256, 16 zero bytes)", A256, "00" * 32, "00" * 12,
     "00" * 16,
     "cea7403d4d606b6e074ec5d3baf39d18" "d0d1c8a799996bf0265b98b5d48ab919"),
    ("GCM spec test case 15 (AES-256, 64 bytes)", A256,
     "feffe9928665731c6d6a8f9467308308" * 2, "cafebabefacedbaddecaf888", GCM_P3,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
     "b094dac5d93471bdec1a502270e3cc6c"),
]


def flip(b, index, mask):
    out = bytearray(b)
    out[index] ^= mask
    assert bytes(out) != b
    return bytes(out)


def noncanonical_last(data):
    """The same bytes in base64 with a non-zero unused bit in the last
    character before the padding."""
    assert data.endswith("=")
    i = len(data.rstrip("=")) - 1
    c = ALPHABET.index(data[i])
    pad = len(data) - len(data.rstrip("="))
    unused = 4 if pad == 2 else 2
    assert c & ((1 << unused) - 1) == 0
    new = data[:i] + ALPHABET[c | 1] + data[i + 1:]
    assert new != data and base64.b64decode(new) == base64.b64decode(data)
    return new


def gen_payload():
    vs = VectorSet(
        "payload", "draft-vinokurov-tigress-http-00 §7.2; RFC 5116; "
        + SOURCE_RULES + "; spec/errata.md",
        "Payload objects {type, data}: opening with a key, and sealing with a "
        "given IV (deterministic; real sealing draws the IV at random).")

    OK_OPEN = ["PAYLOAD-OBJECT", "PAYLOAD-TYPE", "PAYLOAD-DATA", "PAYLOAD-MIN",
               "PAYLOAD-KEY", "PAYLOAD-AUTH", "PAYLOAD-AEAD"]

    def open_ok(comment, key, payload, pt, extra=()):
        vs.add(comment, OK_OPEN + list(extra), "valid",
               [("op", "open"), ("key", hexs(key)), ("payload", payload),
                ("plaintext", hexs(pt))])

    def open_bad(comment, flags, key, payload, error, field):
        vs.add(comment, list(flags), "invalid",
               [("op", "open"), ("key", hexs(key)), ("payload", payload),
                ("error", error), ("field", field)])

    def seal_ok(comment, key, typ, iv, pt, data=None, extra=()):
        d = b64(seal(key, iv, pt))
        if data is not None:
            assert data == d, comment
        vs.add(comment, ["PAYLOAD-SEAL", "PAYLOAD-AEAD"] + list(extra), "valid",
               [("op", "seal"), ("key", hexs(key)), ("type", typ), ("iv", hexs(iv)),
                ("plaintext", hexs(pt)), ("payload", {"type": typ, "data": d})])

    def seal_bad(comment, flags, key, typ, iv, pt, error):
        vs.add(comment, ["PAYLOAD-SEAL"] + list(flags), "invalid",
               [("op", "seal"), ("key", hexs(key)), ("type", typ), ("iv", hexs(iv)),
                ("plaintext", hexs(pt)), ("error", error)])

    def P(typ, raw):
        return {"type": typ, "data": b64(raw)}

    # ---- seal, valid ------------------------------------------------------
    for comment, typ, key, iv, pt, ct in KATS:
        raw = bytes.fromhex(iv) + bytes.fromhex(ct)
        assert seal(bytes.fromhex(key), bytes.fromhex(iv), bytes.fromhex(pt)) == raw
        seal_ok("seal: " + comment, bytes.fromhex(key), typ, bytes.fromhex(iv),
                bytes.fromhex(pt), b64(raw), ["E-DATA-LAYOUT", "E-AAD-EMPTY"])
    seal_ok("seal AES-128, empty plaintext (28-byte data)", K128, A128, IV[1],
            PT_EMPTY)
    seal_ok("seal AES-128, 1-byte plaintext", K128, A128, IV[2], PT_1)
    seal_ok("seal AES-128, 16-byte plaintext", K128, A128, IV[3], PT_16)
    seal_ok("seal AES-128, Provisioning Information JSON", K128, A128, IV[4], PT_PI)
    seal_ok("seal AES-128, 1000-byte pattern", K128, A128, IV[5], PT_1000)
    seal_ok("seal AES-128, 49124 bytes: the maximum plaintext (data is 65536 "
            "characters)", K128, A128, IV[6], PT_MAX)
    seal_ok("seal AES-256, empty plaintext", K256, A256, IV[1], PT_EMPTY)
    seal_ok("seal AES-256, 16-byte plaintext", K256, A256, IV[3], PT_16)
    seal_ok("seal AES-256, Provisioning Information JSON", K256, A256, IV[4], PT_PI)
    seal_ok("seal AES-256, 49124 bytes: the maximum plaintext", K256, A256, IV[6],
            PT_MAX)
    # ---- seal, invalid ----------------------------------------------------
    seal_bad("seal: 32-byte key with AEAD_AES_128_GCM", ["PAYLOAD-KEY"], K256, A128,
             IV[1], PT_16, "payload_key")
    seal_bad("seal: 16-byte key with AEAD_AES_256_GCM", ["PAYLOAD-KEY"], K128, A256,
             IV[1], PT_16, "payload_key")
    seal_bad("seal: 24-byte key with AEAD_AES_128_GCM", ["PAYLOAD-KEY"], K192, A128,
             IV[1], PT_16, "payload_key")
    seal_bad("seal AES-128: 49125-byte plaintext, one over the maximum",
             ["E-LIMITS"], K128, A128, IV[7], PT_OVER, "too_large")
    seal_bad("seal AES-256: 49125-byte plaintext, one over the maximum",
             ["E-LIMITS"], K256, A256, IV[7], PT_OVER, "too_large")

    # ---- open, valid ------------------------------------------------------
    for comment, typ, key, iv, pt, ct in KATS:
        raw = bytes.fromhex(iv) + bytes.fromhex(ct)
        open_ok("open: " + comment, bytes.fromhex(key), {"type": typ, "data": b64(raw)},
                bytes.fromhex(pt), ["E-DATA-LAYOUT", "E-AAD-EMPTY"])
    S128_EMPTY = seal(K128, IV[1], PT_EMPTY)
    S128_16 = seal(K128, IV[3], PT_16)
    S128_PI = seal(K128, IV[4], PT_PI)
    S256_16 = seal(K256, IV[3], PT_16)
    S256_PI = seal(K256, IV[4], PT_PI)
    assert len(S128_EMPTY) == 28 and len(S128_16) == 44
    open_ok("open AES-128, empty plaintext: data of exactly 28 bytes", K128,
            P(A128, S128_EMPTY), PT_EMPTY)
    open_ok("open AES-128, 16-byte plaintext", K128, P(A128, S128_16), PT_16)
    open_ok("open AES-128, Provisioning Information JSON", K128, P(A128, S128_PI),
            PT_PI)
    open_ok("open AES-128, 1000-byte pattern", K128,
            P(A128, seal(K128, IV[5], PT_1000)), PT_1000)
    open_ok("open AES-128, 49124-byte plaintext: data of exactly 65536 characters",
            K128, P(A128, seal(K128, IV[6], PT_MAX)), PT_MAX)
    open_ok("open AES-256, empty plaintext", K256,
            P(A256, seal(K256, IV[1], PT_EMPTY)), PT_EMPTY)
    open_ok("open AES-256, 16-byte plaintext", K256, P(A256, S256_16), PT_16)
    open_ok("open AES-256, Provisioning Information JSON", K256, P(A256, S256_PI),
            PT_PI)
    open_ok("other members of the payload object are ignored (members listed "
            "before type and data)", K128,
            {"iv": "ignored", "version": 2, "type": A128, "data": b64(S128_16)},
            PT_16)

    # ---- open, invalid: PAYLOAD-OBJECT -------------------------------------
    OB = ["PAYLOAD-OBJECT"]
    open_bad("payload is an array", OB, K128, [A128, b64(S128_16)], "field_type", "")
    open_bad("payload is the data string alone", OB, K128, b64(S128_16),
             "field_type", "")
    open_bad("payload is null", OB, K128, None, "field_type", "")
    open_bad("payload is a number", OB, K128, 128, "field_type", "")
    # ---- PAYLOAD-TYPE ------------------------------------------------------
    TY = ["PAYLOAD-TYPE"]
    d16 = b64(S128_16)
    open_bad("empty object: type is checked first", TY, K128, {}, "field_missing",
             "type")
    open_bad("type missing", TY, K128, {"data": d16}, "field_missing", "type")
    open_bad("type is a number", TY, K128, {"type": 128, "data": d16}, "field_type",
             "type")
    open_bad("type is null", TY, K128, {"type": None, "data": d16}, "field_type",
             "type")
    open_bad("type is an array", TY, K128, {"type": [A128], "data": d16},
             "field_type", "type")
    open_bad("unknown type AEAD_AES_192_GCM", TY, K192,
             {"type": "AEAD_AES_192_GCM", "data": d16}, "payload_type", "type")
    open_bad("unknown type AEAD_CHACHA20_POLY1305", TY, K256,
             {"type": "AEAD_CHACHA20_POLY1305", "data": d16}, "payload_type", "type")
    open_bad("type in lower case", TY, K128,
             {"type": "aead_aes_128_gcm", "data": d16}, "payload_type", "type")
    open_bad("empty type", TY, K128, {"type": "", "data": d16}, "payload_type", "type")
    open_bad("unknown type and bad base64 data: PAYLOAD-TYPE comes first",
             TY + ["PAYLOAD-DATA"], K128, {"type": "A128GCM", "data": "!!!!"},
             "payload_type", "type")
    open_bad("type a number and data missing: PAYLOAD-TYPE comes first",
             TY + ["PAYLOAD-DATA"], K128, {"type": 1}, "field_type", "type")
    # ---- PAYLOAD-DATA ------------------------------------------------------
    DA = ["PAYLOAD-DATA"]
    DE = ["PAYLOAD-DATA", "E-DATA-LAYOUT"]
    dpi = b64(S128_PI)
    assert "+" in dpi or "/" in dpi
    open_bad("data missing", DA, K128, {"type": A128}, "field_missing", "data")
    open_bad("data is a number", DA, K128, {"type": A128, "data": 12345},
             "field_type", "data")
    open_bad("data is null", DA, K128, {"type": A128, "data": None}, "field_type",
             "data")
    open_bad("data is an object", DA, K128, {"type": A128, "data": {"iv": ""}},
             "field_type", "data")
    open_bad("data of 65540 characters (valid base64 form): over 65536",
             DA + ["E-LIMITS"], K128, {"type": A128, "data": "A" * 65540},
             "field_too_long", "data")
    open_bad("illegal base64 character '*'", DE, K128,
             {"type": A128, "data": d16[:10] + "*" + d16[11:]},
             "payload_encoding", "data")
    open_bad("padding removed", DE, K128, {"type": A128, "data": d16.rstrip("=")},
             "payload_encoding", "data")
    open_bad("excess padding (a whole quantum of '=' added)", DE, K128,
             {"type": A128, "data": d16 + "===="}, "payload_encoding", "data")
    open_bad("'=' inside the string", DE, K128,
             {"type": A128, "data": d16[:8] + "=" + d16[9:]},
             "payload_encoding", "data")
    open_bad("line break after 40 characters (MIME style)", DE, K128,
             {"type": A128, "data": d16[:40] + "\r\n" + d16[40:]},
             "payload_encoding", "data")
    open_bad("leading space", DE, K128, {"type": A128, "data": " " + d16},
             "payload_encoding", "data")
    open_bad("trailing newline", DE, K128, {"type": A128, "data": d16 + "\n"},
             "payload_encoding", "data")
    open_bad("URL-safe alphabet (- and _ for + and /)", DE, K128,
             {"type": A128, "data": dpi.replace("+", "-").replace("/", "_")},
             "payload_encoding", "data")
    open_bad("non-canonical: unused bits of the last character set", DE, K128,
             {"type": A128, "data": noncanonical_last(d16)},
             "payload_encoding", "data")
    open_bad("non-canonical empty-plaintext data (28 bytes, two '=')", DE, K128,
             {"type": A128, "data": noncanonical_last(b64(S128_EMPTY))},
             "payload_encoding", "data")
    # ---- PAYLOAD-MIN -------------------------------------------------------
    MI = ["PAYLOAD-MIN"]
    open_bad("27 bytes: an empty-plaintext seal less its last tag byte", MI, K128,
             P(A128, S128_EMPTY[:27]), "payload_truncated", "data")
    open_bad("12 bytes: the IV alone", MI, K128, P(A128, S128_16[:12]),
             "payload_truncated", "data")
    open_bad("empty data string (decodes to 0 bytes)", MI, K128,
             {"type": A128, "data": ""}, "payload_truncated", "data")
    open_bad("27 bytes and a key of the wrong length: PAYLOAD-MIN comes first",
             MI + ["PAYLOAD-KEY"], K256, P(A128, S128_EMPTY[:27]),
             "payload_truncated", "data")
    # ---- PAYLOAD-KEY -------------------------------------------------------
    KE = ["PAYLOAD-KEY"]
    open_bad("32-byte key with AEAD_AES_128_GCM", KE, K256, P(A128, S128_16),
             "payload_key", "type")
    open_bad("16-byte key with AEAD_AES_256_GCM", KE, K128, P(A256, S256_16),
             "payload_key", "type")
    open_bad("24-byte key with AEAD_AES_128_GCM", KE, K192, P(A128, S128_16),
             "payload_key", "type")
    open_bad("AES-128 data labelled AEAD_AES_256_GCM, opened with its 16-byte key",
             KE, K128, P(A256, S128_16), "payload_key", "type")
    open_bad("key of the wrong length and a flipped tag bit: PAYLOAD-KEY comes "
             "first", KE + ["PAYLOAD-AUTH"], K256,
             P(A128, flip(S128_16, 43, 0x01)), "payload_key", "type")
    # ---- PAYLOAD-AUTH ------------------------------------------------------
    AU = ["PAYLOAD-AUTH"]
    open_bad("wrong 16-byte key", AU, K128_OTHER, P(A128, S128_16), "payload_auth",
             "data")
    open_bad("wrong 32-byte key", AU, K256_OTHER, P(A256, S256_16), "payload_auth",
             "data")
    open_bad("28 bytes that are not a seal of the empty plaintext", AU, K128,
             P(A128, bytes(28)), "payload_auth", "data")
    open_bad("flipped bit in the IV", AU, K128, P(A128, flip(S128_16, 0, 0x01)),
             "payload_auth", "data")
    open_bad("flipped bit in the ciphertext", AU, K128,
             P(A128, flip(S128_16, 12, 0x80)), "payload_auth", "data")
    open_bad("flipped bit in the tag", AU, K128, P(A128, flip(S128_16, 43, 0x01)),
             "payload_auth", "data")
    open_bad("flipped bit in the AES-256 tag", AU, K256,
             P(A256, flip(S256_16, 28, 0x40)), "payload_auth", "data")
    open_bad("last tag byte removed (43 bytes)", AU, K128, P(A128, S128_16[:43]),
             "payload_auth", "data")
    open_bad("IV and tag swapped order (tag || ciphertext || IV)",
             AU + ["E-DATA-LAYOUT"], K128,
             P(A128, S128_16[28:] + S128_16[12:28] + S128_16[:12]),
             "payload_auth", "data")
    open_bad("AES-256 data labelled AEAD_AES_128_GCM, opened with a 16-byte key",
             AU, K128, P(A128, S256_16), "payload_auth", "data")
    return vs


# ---------------------------------------------------------------------------
# bodies.json
# ---------------------------------------------------------------------------

PD128 = b64(seal(sha("tigress-vector body key 1", 16), IV[8], PT_PI))
PD256 = b64(seal(sha("tigress-vector body key 2", 32), IV[9], PT_PI))
PAY128 = {"type": A128, "data": PD128}
PAY256 = {"type": A256, "data": PD256}
DISPLAY = {"title": "Hotel Pass", "description": "Some Hotel Pass",
           "imageURL": "https://example.com/sharingImage"}
TOKEN = "5f0c0e3a1b9d4c7e8f2a6b3c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a"
NOTIFY = {"type": "com.apple.apns", "tokenData": TOKEN}
CONFIG = {"accessRights": "RWD", "expiration": "2022-02-08T14:57:22Z"}
CREATE = {"payload": PAY128, "displayInformation": DISPLAY,
          "notificationToken": NOTIFY, "mailboxConfiguration": CONFIG}
CREATE_MIN = {"payload": PAY128, "displayInformation": DISPLAY}
UPDATE = {"payload": PAY128, "notificationToken": NOTIFY}
URL_LINK = "https://relay.example.com/v1/m/" + U4
CRESP = {"urlLink": URL_LINK, "isPushNotificationSupported": True}
URESP = {"isPushNotificationSupported": True}
RREQ = {"notificationToken": NOTIFY}
RRESP = {"displayInformation": DISPLAY, "payload": PAY128,
         "expiration": "2021-11-03T20:32:34Z"}
ERRB = {"error": "not_found", "message": "no such mailbox"}
PINFO = {"format": "digitalwallet.carkey.ccc",
         "content": {"vehicleId": "WDD2221831A123456", "keyRole": "friend"}}

_DROP = object()


def js(obj):
    return json.dumps(obj, ensure_ascii=False)


def fig(obj):
    return json.dumps(obj, indent=4, ensure_ascii=False)


def edit(base, path, value=_DROP):
    """A deep copy of base with the dotted member path set to value, or removed
    (value omitted).  A new member is added at the end of its object."""
    out = copy.deepcopy(base)
    keys = path.split(".")
    o = out
    for k in keys[:-1]:
        o = o[k]
    if value is _DROP:
        del o[keys[-1]]
    else:
        o[keys[-1]] = value
    return out


def nested(levels, inner="[]"):
    """levels nested arrays: nested(1) == '[]'."""
    assert levels >= 1
    return "[" * (levels - 1) + inner + "]" * (levels - 1)


def _depth(v):
    if isinstance(v, dict):
        return 1 + max([_depth(x) for x in v.values()] or [0])
    if isinstance(v, list):
        return 1 + max([_depth(x) for x in v] or [0])
    return 0


def padded_to(nbytes, head, filler="x"):
    """head + '"pad": "..."}' with the pad string (filler repeated, completed
    with 'x') sized so that the whole text is exactly nbytes bytes of UTF-8
    (head is '{' or ends just after a member and ', ')."""
    tail = '"}'
    fixed = len((head + '"pad": "' + tail).encode("utf-8"))
    per = len(filler.encode("utf-8"))
    n, r = divmod(nbytes - fixed, per)
    text = head + '"pad": "' + filler * n + "x" * r + tail
    assert len(text.encode("utf-8")) == nbytes
    return text


def gen_bodies():
    vs = VectorSet(
        "bodies", "draft-vinokurov-tigress-http-00 §6, §7; " + SOURCE_RULES
        + "; spec/errata.md",
        "Request and response bodies of the six endpoints and the Provisioning "
        "Information envelope.  body is the exact text; invalid UTF-8 cannot be "
        "carried in a JSON string and is not covered here.")

    def ok(kind, comment, flags, body):
        if body.strip():
            v = json.loads(body)   # sanity: the valid body is JSON
            assert isinstance(v, dict)
        assert len(body.encode("utf-8")) <= 98304
        vs.add(comment, list(flags), "valid", [("kind", kind), ("body", body)])

    def bad(kind, comment, flags, body, error, field):
        vs.add(comment, list(flags), "invalid",
               [("kind", kind), ("body", body), ("error", error), ("field", field)])

    M = ["BODY-MEMBERS"]
    PY = ["BODY-PAYLOAD"]
    DI = ["BODY-DISPLAY"]
    NO = ["BODY-NOTIFY"]
    CF = ["BODY-CONFIG"]
    JS = ["BODY-JSON"]
    DP = ["BODY-DEPTH"]
    UN = ["BODY-UNKNOWN"]
    SZ = ["BODY-SIZE", "E-LIMITS"]

    # ===================== create_request ==============================
    K = "create_request"
    ok(K, "draft Figure 2 with a real payload: every member present (an "
       "expiration in the past is the relay's concern, not the body's)",
       M + PY + DI + NO + CF, fig({"displayInformation": DISPLAY, "payload": PAY128,
                                  "notificationToken": NOTIFY,
                                  "mailboxConfiguration": CONFIG}))
    bad(K, "draft Figure 2 verbatim: typographic quote and elided data, not JSON",
        JS, '{\n    "displayInformation" : {\n        "title" : "Hotel Pass",\n'
        '        "description" : "Some Hotel Pass",\n'
        '        "imageURL" : "https://example.com/sharingImage"\n    },\n'
        '    "payload" : {\n        "type": "AEAD_AES_128_GCM",\n'
        '        "data": "FDEC...987654321"\n    },\n'
        '    "notificationToken" : {\n        "type" : "com.apple.apns",\n'
        '        "tokenData" : \u201cAPNS...1234"\n    },\n'
        '    "mailboxConfiguration" : {\n        "accessRights" : "RWD",\n'
        '        "expiration" : "2022-02-08T14:57:22Z"\n    }\n}',
        "json_syntax", "")
    bad(K, "draft Figure 2 with straight quotes: data 'FDEC...987654321' is not "
        "base64", PY + ["PAYLOAD-DATA"],
        fig(edit(CREATE, "payload.data", "FDEC...987654321")),
        "payload_encoding", "payload.data")
    ok(K, "payload and displayInformation only", M + PY + DI, js(CREATE_MIN))
    ok(K, "AEAD_AES_256_GCM payload", M + PY + DI, js(edit(CREATE, "payload", PAY256)))
    ok(K, "members in another order than the checking order", M + PY + DI + NO + CF,
       js({"mailboxConfiguration": CONFIG, "notificationToken": NOTIFY,
           "displayInformation": DISPLAY, "payload": PAY128}))
    # members missing / wrong type
    bad(K, "payload missing", M, js(edit(CREATE, "payload")), "field_missing",
        "payload")
    bad(K, "displayInformation missing", M, js(edit(CREATE, "displayInformation")),
        "field_missing", "displayInformation")
    bad(K, "empty object: payload is checked first", M, "{}", "field_missing",
        "payload")
    bad(K, "payload null", M + PY + ["PAYLOAD-OBJECT"],
        js(edit(CREATE, "payload", None)), "field_type", "payload")
    bad(K, "payload is a string", M + PY + ["PAYLOAD-OBJECT"],
        js(edit(CREATE, "payload", PD128)), "field_type", "payload")
    bad(K, "displayInformation null", M + DI,
        js(edit(CREATE, "displayInformation", None)), "field_type",
        "displayInformation")
    bad(K, "displayInformation is an array", M + DI,
        js(edit(CREATE, "displayInformation", [DISPLAY])), "field_type",
        "displayInformation")
    bad(K, "displayInformation faulty and written first, payload missing: payload "
        "is checked first", M + DI,
        js({"displayInformation": 7, "notificationToken": NOTIFY}),
        "field_missing", "payload")
    # payload
    bad(K, "payload.type missing", PY + ["PAYLOAD-TYPE"],
        js(edit(CREATE, "payload.type")), "field_missing", "payload.type")
    bad(K, "payload.type is a number", PY + ["PAYLOAD-TYPE"],
        js(edit(CREATE, "payload.type", 128)), "field_type", "payload.type")
    bad(K, "payload.type unknown (AEAD_CHACHA20_POLY1305)", PY + ["PAYLOAD-TYPE"],
        js(edit(CREATE, "payload.type", "AEAD_CHACHA20_POLY1305")),
        "payload_type", "payload.type")
    bad(K, "payload.data missing", PY + ["PAYLOAD-DATA"],
        js(edit(CREATE, "payload.data")), "field_missing", "payload.data")
    bad(K, "payload.data is a number", PY + ["PAYLOAD-DATA"],
        js(edit(CREATE, "payload.data", 0)), "field_type", "payload.data")
    assert PD128.endswith("=") and ("+" in PD128 or "/" in PD128)
    bad(K, "payload.data without its padding", PY + ["PAYLOAD-DATA"],
        js(edit(CREATE, "payload.data", PD128.rstrip("="))),
        "payload_encoding", "payload.data")
    bad(K, "payload.data in the URL-safe alphabet", PY + ["PAYLOAD-DATA"],
        js(edit(CREATE, "payload.data", PD128.replace("+", "-").replace("/", "_"))),
        "payload_encoding", "payload.data")
    bad(K, "payload.data of 27 bytes", PY + ["PAYLOAD-MIN"],
        js(edit(CREATE, "payload.data", b64(base64.b64decode(PD128)[:27]))),
        "payload_truncated", "payload.data")
    ok(K, "payload.data of exactly 65536 characters", M + PY + ["PAYLOAD-DATA"],
       js(edit(CREATE, "payload.data", b64(seal(K128, IV[10], PT_MAX)))))
    bad(K, "payload.data of 65540 characters", PY + ["PAYLOAD-DATA", "E-LIMITS"],
        js(edit(CREATE, "payload.data", "A" * 65540)), "field_too_long",
        "payload.data")
    ok(K, "unknown member inside payload is ignored", M + PY + UN,
       js(edit(CREATE, "payload.keyId", "k-2022-01")))
    bad(K, "payload.type a number and payload.data not base64: type first",
        PY + ["PAYLOAD-TYPE", "PAYLOAD-DATA"],
        js(edit(edit(CREATE, "payload.type", 1), "payload.data", "*")),
        "field_type", "payload.type")
    # displayInformation
    for member, fld in (("title", "title"), ("description", "description"),
                        ("imageURL", "imageURL")):
        bad(K, "displayInformation.%s missing" % member, DI,
            js(edit(CREATE, "displayInformation." + member)), "field_missing",
            "displayInformation." + fld)
    bad(K, "displayInformation.title null", DI,
        js(edit(CREATE, "displayInformation.title", None)), "field_type",
        "displayInformation.title")
    bad(K, "displayInformation.description is a number", DI,
        js(edit(CREATE, "displayInformation.description", 42)), "field_type",
        "displayInformation.description")
    bad(K, "displayInformation.imageURL null", DI,
        js(edit(CREATE, "displayInformation.imageURL", None)), "field_type",
        "displayInformation.imageURL")
    bad(K, "displayInformation.imageURL is an object", DI,
        js(edit(CREATE, "displayInformation.imageURL", {"href": "https://x"})),
        "field_type", "displayInformation.imageURL")
    bad(K, "empty title (under the 1-byte minimum)", DI + M,
        js(edit(CREATE, "displayInformation.title", "")), "field_value",
        "displayInformation.title")
    ok(K, "title of exactly 256 bytes", DI,
       js(edit(CREATE, "displayInformation.title", "T" * 256)))
    bad(K, "title of 257 bytes", DI,
        js(edit(CREATE, "displayInformation.title", "T" * 257)), "field_too_long",
        "displayInformation.title")
    ok(K, "title of 128 e-acute: 128 characters, 256 bytes", DI,
       js(edit(CREATE, "displayInformation.title", "\u00e9" * 128)))
    bad(K, "title of 128 e-acute and 'a': 129 characters, 257 bytes", DI,
        js(edit(CREATE, "displayInformation.title", "\u00e9" * 128 + "a")),
        "field_too_long", "displayInformation.title")
    ok(K, "title written as 128 \\u00e9 escapes: the decoded value is 256 bytes",
       DI, '{"payload": ' + js(PAY128) + ', "displayInformation": {"title": "'
       + "\\u00e9" * 128 + '", "description": "", "imageURL": ""}}')
    ok(K, "title of 64 emoji written as surrogate-pair escapes: 256 bytes", DI,
       '{"payload": ' + js(PAY128) + ', "displayInformation": {"title": "'
       + "\\ud83d\\ude97" * 64 + '", "description": "", "imageURL": ""}}')
    bad(K, "title of 64 emoji as escapes and one more byte: 257 bytes", DI,
        '{"payload": ' + js(PAY128) + ', "displayInformation": {"title": "'
        + "\\ud83d\\ude97" * 64 + '!", "description": "", "imageURL": ""}}',
        "field_too_long", "displayInformation.title")
    ok(K, "non-ASCII title (Cl\u00e9 de voiture \U0001F697)", DI,
       js(edit(CREATE, "displayInformation.title", "Cl\u00e9 de voiture \U0001F697")))
    ok(K, "empty description and imageURL", DI,
       js(edit(edit(CREATE, "displayInformation.description", ""),
               "displayInformation.imageURL", "")))
    ok(K, "description of exactly 1024 bytes", DI,
       js(edit(CREATE, "displayInformation.description", "d" * 1024)))
    bad(K, "description of 1025 bytes", DI,
        js(edit(CREATE, "displayInformation.description", "d" * 1025)),
        "field_too_long", "displayInformation.description")
    ok(K, "imageURL of exactly 2048 bytes", DI,
       js(edit(CREATE, "displayInformation.imageURL",
               "https://example.com/" + "i" * 2028)))
    bad(K, "imageURL of 2049 bytes", DI,
        js(edit(CREATE, "displayInformation.imageURL",
                "https://example.com/" + "i" * 2029)),
        "field_too_long", "displayInformation.imageURL")
    ok(K, "imageURL that is not an https URL is stored as given", DI + ["E-IMAGEURL"],
       js(edit(CREATE, "displayInformation.imageURL", "javascript:alert(1)")))
    bad(K, "title of 257 bytes and description a number: title first", DI,
        js(edit(edit(CREATE, "displayInformation.title", "T" * 257),
                "displayInformation.description", 1)),
        "field_too_long", "displayInformation.title")
    # notificationToken
    bad(K, "notificationToken null", NO + M,
        js(edit(CREATE, "notificationToken", None)), "field_type", "notificationToken")
    bad(K, "notificationToken is a string", NO + M,
        js(edit(CREATE, "notificationToken", TOKEN)), "field_type",
        "notificationToken")
    bad(K, "notificationToken empty object: type is checked first",
        NO + ["E-NOTIFY-BOTH"], js(edit(CREATE, "notificationToken", {})),
        "field_missing", "notificationToken.type")
    bad(K, "notificationToken without tokenData", NO + ["E-NOTIFY-BOTH"],
        js(edit(CREATE, "notificationToken.tokenData")), "field_missing",
        "notificationToken.tokenData")
    bad(K, "notificationToken without type", NO + ["E-NOTIFY-BOTH"],
        js(edit(CREATE, "notificationToken.type")), "field_missing",
        "notificationToken.type")
    bad(K, "notificationToken.type empty", NO + M,
        js(edit(CREATE, "notificationToken.type", "")), "field_value",
        "notificationToken.type")
    ok(K, "notificationToken.type of exactly 128 bytes", NO,
       js(edit(CREATE, "notificationToken.type", "com." + "a" * 124)))
    bad(K, "notificationToken.type of 129 bytes", NO,
        js(edit(CREATE, "notificationToken.type", "com." + "a" * 125)),
        "field_too_long", "notificationToken.type")
    bad(K, "notificationToken.tokenData empty", NO + M,
        js(edit(CREATE, "notificationToken.tokenData", "")), "field_value",
        "notificationToken.tokenData")
    ok(K, "notificationToken.tokenData of exactly 4096 bytes", NO,
       js(edit(CREATE, "notificationToken.tokenData", "f" * 4096)))
    bad(K, "notificationToken.tokenData of 4097 bytes", NO,
        js(edit(CREATE, "notificationToken.tokenData", "f" * 4097)),
        "field_too_long", "notificationToken.tokenData")
    bad(K, "notificationToken.tokenData is a number", NO,
        js(edit(CREATE, "notificationToken.tokenData", 1234)), "field_type",
        "notificationToken.tokenData")
    bad(K, "tokenData missing and mailboxConfiguration without expiration: "
        "notificationToken is checked first", NO + CF,
        js(edit(edit(CREATE, "notificationToken.tokenData"),
                "mailboxConfiguration.expiration")),
        "field_missing", "notificationToken.tokenData")
    # mailboxConfiguration
    bad(K, "mailboxConfiguration without expiration", CF + ["E-CONFIG-EXPIRATION"],
        js(edit(CREATE, "mailboxConfiguration.expiration")), "field_missing",
        "mailboxConfiguration.expiration")
    bad(K, "mailboxConfiguration empty object", CF + ["E-CONFIG-EXPIRATION"],
        js(edit(CREATE, "mailboxConfiguration", {})), "field_missing",
        "mailboxConfiguration.expiration")
    ok(K, "mailboxConfiguration with expiration only (accessRights optional)", CF,
       js(edit(CREATE, "mailboxConfiguration.accessRights")))
    bad(K, "mailboxConfiguration null", CF + M,
        js(edit(CREATE, "mailboxConfiguration", None)), "field_type",
        "mailboxConfiguration")
    bad(K, "mailboxConfiguration is an array", CF + M,
        js(edit(CREATE, "mailboxConfiguration", [CONFIG])), "field_type",
        "mailboxConfiguration")
    for rights in ("DR", "R", "RD", "WR", "DWR"):
        ok(K, "accessRights %r" % rights, CF + ["E-ACCESS-RIGHTS-FORM"],
           js(edit(CREATE, "mailboxConfiguration.accessRights", rights)))
    for rights, why in (("", "empty"), ("RR", "R twice"), ("X", "unknown letter"),
                        ("WD", "without R"), ("rwd", "lower case"),
                        ("RWDR", "four letters"), ("R W", "with a space")):
        bad(K, "accessRights %r: %s" % (rights, why), CF + ["E-ACCESS-RIGHTS-FORM"],
            js(edit(CREATE, "mailboxConfiguration.accessRights", rights)),
            "field_value", "mailboxConfiguration.accessRights")
    bad(K, "accessRights is an array", CF,
        js(edit(CREATE, "mailboxConfiguration.accessRights", ["R", "W"])),
        "field_type", "mailboxConfiguration.accessRights")
    bad(K, "accessRights null", CF,
        js(edit(CREATE, "mailboxConfiguration.accessRights", None)),
        "field_type", "mailboxConfiguration.accessRights")
    bad(K, "accessRights 'WD' and expiration missing: accessRights first",
        CF + ["E-ACCESS-RIGHTS-FORM"],
        js({"payload": PAY128, "displayInformation": DISPLAY,
            "mailboxConfiguration": {"accessRights": "WD"}}),
        "field_value", "mailboxConfiguration.accessRights")
    bad(K, "expiration is a number (epoch seconds)", CF,
        js(edit(CREATE, "mailboxConfiguration.expiration", 1644332242)),
        "field_type", "mailboxConfiguration.expiration")
    bad(K, "expiration null", CF,
        js(edit(CREATE, "mailboxConfiguration.expiration", None)),
        "field_type", "mailboxConfiguration.expiration")
    for value, why, fl in (
            ("2022-02-08t14:57:22z", "lower-case t and z", ["TIME-FORM"]),
            ("2022-02-08T14:57:22.000Z", "with a fraction", ["TIME-FORM"]),
            ("2022-02-08T14:57:22+00:00", "with an offset", ["TIME-FORM"]),
            ("2022-02-08", "date only", ["TIME-FORM"]),
            ("", "empty", ["TIME-FORM"]),
            ("2023-02-29T00:00:00Z", "not a real date", ["TIME-RANGE"]),
            ("2022-02-08T24:00:00Z", "hour 24", ["TIME-RANGE"])):
        bad(K, "expiration %s" % why, CF + fl + ["E-TIME-STRICT"],
            js(edit(CREATE, "mailboxConfiguration.expiration", value)),
            "time_syntax", "mailboxConfiguration.expiration")
    # unknown members
    ok(K, "unknown top-level member is ignored", M + UN,
       js(edit(CREATE, "x-vendor", {"anything": [1, 2, None]})))
    ok(K, "unknown members inside displayInformation, notificationToken and "
       "mailboxConfiguration are ignored", M + UN + DI + NO + CF,
       js(edit(edit(edit(CREATE, "displayInformation.subtitle", 5),
                    "notificationToken.topic", None),
               "mailboxConfiguration.maxReads", 1)))
    ok(K, "member names differing only in case are distinct (Payload unknown)",
       M + UN, js(edit(CREATE, "Payload", "ignored")))
    # BODY-JSON
    bad(K, "member payload twice", JS + ["E-DUP-KEYS"],
        '{"payload": ' + js(PAY128) + ', "displayInformation": ' + js(DISPLAY)
        + ', "payload": ' + js(PAY256) + '}', "json_syntax", "")
    bad(K, "member title twice inside displayInformation", JS + ["E-DUP-KEYS"],
        '{"payload": ' + js(PAY128) + ', "displayInformation": {"title": "A", '
        '"description": "", "imageURL": "", "title": "B"}}', "json_syntax", "")
    bad(K, "member title twice, once written with an escape (ti\\u0074le)",
        JS + ["E-DUP-KEYS"],
        '{"payload": ' + js(PAY128) + ', "displayInformation": {"title": "A", '
        '"description": "", "imageURL": "", "ti\\u0074le": "B"}}',
        "json_syntax", "")
    bad(K, "duplicate member inside an unknown member", JS + UN + ["E-DUP-KEYS"],
        js(CREATE_MIN)[:-1] + ', "ext": {"a": 1, "a": 2}}', "json_syntax", "")
    bad(K, "NUL (\\u0000) inside the title", JS,
        js(edit(CREATE, "displayInformation.title", "Hotel\u0000Pass")),
        "json_syntax", "")
    bad(K, "NUL (\\u0000) inside an unknown member's name", JS + UN,
        js(CREATE_MIN)[:-1] + ', "x\\u0000": 1}', "json_syntax", "")
    bad(K, "empty body", JS, "", "json_syntax", "")
    bad(K, "form-encoded, not JSON", JS, "payload=abc&displayInformation=def",
        "json_syntax", "")
    bad(K, "top-level array", JS, "[" + js(CREATE_MIN) + "]", "json_syntax", "")
    bad(K, "top-level string", JS, js(js(CREATE_MIN)), "json_syntax", "")
    bad(K, "top-level null", JS, "null", "json_syntax", "")
    bad(K, "trailing comma", JS, js(CREATE_MIN)[:-1] + ",}", "json_syntax", "")
    bad(K, "truncated object", JS, js(CREATE_MIN)[:-1], "json_syntax", "")
    bad(K, "two objects", JS, js(CREATE_MIN) + js(CREATE_MIN), "json_syntax", "")
    bad(K, "single-quoted strings", JS, js(CREATE_MIN).replace('"', "'"),
        "json_syntax", "")
    bad(K, "raw line feed inside a string", JS,
        js(edit(CREATE, "displayInformation.title", "Hotel")).replace(
            '"Hotel"', '"Hotel\nPass"'), "json_syntax", "")
    bad(K, "NaN in an unknown member (not RFC 8259)", JS + UN,
        js(CREATE_MIN)[:-1] + ', "x": NaN}', "json_syntax", "")
    bad(K, "real that overflows (1e400) in an unknown member", JS + UN,
        js(CREATE_MIN)[:-1] + ', "x": 1e400}', "json_syntax", "")
    ok(K, "real that underflows to zero (1e-400) in an unknown member",
       JS + UN, js(CREATE_MIN)[:-1] + ', "x": 1e-400}')
    bad(K, "integer 2^63 in an unknown member: beyond 64-bit", JS + UN,
        js(CREATE_MIN)[:-1] + ', "x": 9223372036854775808}', "json_syntax",
        "")
    ok(K, "integers -2^63 and 2^63-1 in unknown members", JS + UN,
       js(CREATE_MIN)[:-1] + ', "x": -9223372036854775808, '
       '"y": 9223372036854775807}')
    bad(K, "lone surrogate escape in an unknown member", JS + UN,
        js(CREATE_MIN)[:-1] + ', "x": "\\ud800"}', "json_syntax", "")
    # BODY-DEPTH
    b16 = js(CREATE_MIN)[:-1] + ', "ext": ' + nested(15) + '}'
    b17 = js(CREATE_MIN)[:-1] + ', "ext": ' + nested(16) + '}'
    assert _depth(json.loads(b16)) == 16 and _depth(json.loads(b17)) == 17
    ok(K, "16 levels: body, then 15 nested arrays in an unknown member",
       DP + UN, b16)
    bad(K, "17 levels: body, then 16 nested arrays", DP, b17, "json_depth", "")
    d16 = {"title": "T", "description": "", "imageURL": "",
           "ext": json.loads(nested(14))}
    d17 = dict(d16, ext=json.loads(nested(15)))
    assert _depth(edit(CREATE_MIN, "displayInformation", d16)) == 16
    ok(K, "16 levels through displayInformation (level 2) and 14 arrays",
       DP + UN + DI, js(edit(CREATE_MIN, "displayInformation", d16)))
    bad(K, "17 levels through displayInformation (level 2) and 15 arrays",
        DP + DI, js(edit(CREATE_MIN, "displayInformation", d17)), "json_depth", "")
    bad(K, "17 levels and payload missing: BODY-DEPTH comes before members",
        DP + M, '{"displayInformation": ' + js(DISPLAY) + ', "ext": '
        + nested(16) + '}', "json_depth", "")
    o17 = js(CREATE_MIN)[:-1] + ', "ext": ' + '{"a": ' * 15 + '{}' + '}' * 15 + '}'
    assert _depth(json.loads(o17)) == 17
    bad(K, "17 levels of objects", DP, o17, "json_depth", "")
    bad(K, "17 levels and a duplicate member: BODY-JSON comes first", JS + DP,
        js(CREATE_MIN)[:-1] + ', "ext": ' + nested(16) + ', "ext": 1}',
        "json_syntax", "")
    bad(K, "17 levels and the text cut off: BODY-JSON comes first", JS + DP,
        js(CREATE_MIN)[:-1] + ', "ext": ' + "[" * 16, "json_syntax", "")
    # BODY-SIZE
    head = js(CREATE_MIN)[:-1] + ", "
    ok(K, "exactly 98304 bytes (an unknown member pads the body)", SZ + UN,
       padded_to(98304, head))
    bad(K, "98305 bytes", SZ, padded_to(98305, head), "too_large", "")
    cut = padded_to(98306, head)[:-1]
    assert len(cut.encode("utf-8")) == 98305 and not cut.endswith("}")
    bad(K, "98305 bytes of a body that is not JSON either (closing brace "
        "missing): BODY-SIZE comes first", SZ + JS, cut, "too_large", "")

    # ===================== create_response =============================
    K = "create_response"
    CRF = M + ["E-VERSION-PATH"]
    ok(K, "urlLink in api_url form and true", CRF, js(CRESP))
    ok(K, "isPushNotificationSupported false", CRF,
       js(edit(CRESP, "isPushNotificationSupported", False)))
    ok(K, "urlLink with port, upper-case host and identifier (it parses)",
       CRF + ["URL-PORT", "URL-HOST", "URL-MAILBOX"],
       js(edit(CRESP, "urlLink", "https://RELAY.example.com:8443/v1/m/" + U4_UP)))
    bad(K, "urlLink with a query ?v=c: urlLink has no query (E-VERSION-PATH)",
        CRF + ["URL-QUERY"], js(edit(CRESP, "urlLink", URL_LINK + "?v=c")),
        "field_value", "urlLink")
    ok(K, "unknown member ignored", M + UN, js(edit(CRESP, "mailboxId", U4)))
    bad(K, "draft Figure 3 verbatim: urlLink without /v1 and identifier not a UUID",
        CRF + ["URL-PATH"],
        '{\n    "urlLink":"https://relayserver.example.com/m/12345678-9...A-BCD",\n'
        '    "isPushNotificationSupported":true\n}', "field_value", "urlLink")
    bad(K, "urlLink without /v1 but with a real UUID", CRF + ["URL-PATH"],
        js(edit(CRESP, "urlLink", "https://relay.example.com/m/" + U4)),
        "field_value", "urlLink")
    bad(K, "urlLink with a fragment (the Secret)", CRF + ["URL-SECRET-B64"],
        js(edit(CRESP, "urlLink", URL_LINK + "#" + S16_B64)), "field_value",
        "urlLink")
    bad(K, "urlLink with an empty fragment", CRF,
        js(edit(CRESP, "urlLink", URL_LINK + "#")), "field_value", "urlLink")
    bad(K, "urlLink with http scheme", CRF + ["URL-SCHEME"],
        js(edit(CRESP, "urlLink", "http://relay.example.com/v1/m/" + U4)),
        "field_value", "urlLink")
    bad(K, "urlLink empty", CRF, js(edit(CRESP, "urlLink", "")), "field_value",
        "urlLink")
    bad(K, "urlLink of 2048 bytes (length met) that is not a share URL", CRF,
        js(edit(CRESP, "urlLink", url_of_length(2048))), "field_value", "urlLink")
    bad(K, "urlLink of 2049 bytes", CRF,
        js(edit(CRESP, "urlLink", url_of_length(2049))), "field_too_long", "urlLink")
    bad(K, "urlLink null", M, js(edit(CRESP, "urlLink", None)), "field_type",
        "urlLink")
    bad(K, "urlLink is an object", M, js(edit(CRESP, "urlLink", {"href": URL_LINK})),
        "field_type", "urlLink")
    bad(K, "urlLink missing", M, js(edit(CRESP, "urlLink")), "field_missing",
        "urlLink")
    bad(K, "isPushNotificationSupported missing", M,
        js(edit(CRESP, "isPushNotificationSupported")), "field_missing",
        "isPushNotificationSupported")
    bad(K, "isPushNotificationSupported is the string \"true\"", M,
        js(edit(CRESP, "isPushNotificationSupported", "true")), "field_type",
        "isPushNotificationSupported")
    bad(K, "isPushNotificationSupported is 1", M,
        js(edit(CRESP, "isPushNotificationSupported", 1)), "field_type",
        "isPushNotificationSupported")
    bad(K, "isPushNotificationSupported null", M,
        js(edit(CRESP, "isPushNotificationSupported", None)), "field_type",
        "isPushNotificationSupported")
    bad(K, "urlLink bad and isPushNotificationSupported missing: urlLink first",
        CRF, js({"urlLink": "https://relay.example.com/m/" + U4}), "field_value",
        "urlLink")

    # ===================== update_request ==============================
    K = "update_request"
    ok(K, "draft Figure 4 with a real payload", M + PY + NO,
       fig({"payload": PAY128, "notificationToken": NOTIFY}))
    bad(K, "draft Figure 4 verbatim: typographic quote, not JSON", JS,
        '{\n     "payload" : {\n        "type": "AEAD_AES_128_GCM",\n'
        '        "data": "FDEC...987654321"\n    },\n'
        '    "notificationToken":{\n        "type" : "com.apple.apns",\n'
        '        "tokenData" : \u201cAPNS...1234"\n    }\n}', "json_syntax", "")
    ok(K, "payload only", M + PY, js({"payload": PAY256}))
    bad(K, "payload missing (the draft's Figure 1 alone)", M,
        js({"notificationToken": NOTIFY}), "field_missing", "payload")
    bad(K, "payload.data of 27 bytes", PY + ["PAYLOAD-MIN"],
        js(edit(UPDATE, "payload.data", b64(base64.b64decode(PD128)[:27]))),
        "payload_truncated", "payload.data")
    bad(K, "payload.type unknown", PY + ["PAYLOAD-TYPE"],
        js(edit(UPDATE, "payload.type", "AEAD_AES_128_CCM")), "payload_type",
        "payload.type")
    bad(K, "payload.data with an illegal character", PY + ["PAYLOAD-DATA"],
        js(edit(UPDATE, "payload.data", PD128[:20] + "%" + PD128[21:])),
        "payload_encoding", "payload.data")
    bad(K, "notificationToken without tokenData", NO + ["E-NOTIFY-BOTH"],
        js(edit(UPDATE, "notificationToken.tokenData")), "field_missing",
        "notificationToken.tokenData")
    ok(K, "displayInformation and mailboxConfiguration are not update members: "
       "ignored even when malformed", M + PY + UN,
       js(edit(edit(UPDATE, "displayInformation", 5), "mailboxConfiguration",
               {"expiration": "soon"})))

    # ===================== update_response =============================
    K = "update_response"
    ok(K, "draft Figure 5", M, '{\n    "isPushNotificationSupported":true\n}')
    ok(K, "false", M, js({"isPushNotificationSupported": False}))
    ok(K, "unknown member ignored", M + UN,
       js({"isPushNotificationSupported": True, "updated": "2022-02-08T14:57:22Z"}))
    bad(K, "empty object", M, "{}", "field_missing", "isPushNotificationSupported")
    bad(K, "isPushNotificationSupported is \"false\"", M,
        js({"isPushNotificationSupported": "false"}), "field_type",
        "isPushNotificationSupported")
    bad(K, "isPushNotificationSupported null", M,
        js({"isPushNotificationSupported": None}), "field_type",
        "isPushNotificationSupported")
    bad(K, "isPushNotificationSupported is 0", M,
        js({"isPushNotificationSupported": 0}), "field_type",
        "isPushNotificationSupported")
    bad(K, "top-level true", JS, "true", "json_syntax", "")

    # ===================== read_request ================================
    K = "read_request"
    RF = M + ["E-READ-BODY"]
    ok(K, "empty body (0 bytes)", RF, "")
    ok(K, "empty object", RF, "{}")
    ok(K, "the draft's Figure 1 notification token", RF + NO,
       '{\n   "notificationToken": {\n        "type":"com.apple.apns",\n'
       '        "tokenData":"APNS1234...QW"\n    }\n}')
    ok(K, "unknown member ignored (payload is not a read member)", RF + UN,
       js({"payload": "not checked"}))
    bad(K, "notificationToken without tokenData", RF + NO + ["E-NOTIFY-BOTH"],
        js({"notificationToken": {"type": "com.apple.apns"}}), "field_missing",
        "notificationToken.tokenData")
    bad(K, "notificationToken null", RF + NO, js({"notificationToken": None}),
        "field_type", "notificationToken")
    bad(K, "notificationToken.type of 129 bytes", RF + NO,
        js({"notificationToken": {"type": "t" * 129, "tokenData": TOKEN}}),
        "field_too_long", "notificationToken.type")
    bad(K, "a single space is not the empty body and not JSON", RF + JS, " ",
        "json_syntax", "")
    bad(K, "literal null", RF + JS, "null", "json_syntax", "")
    bad(K, "top-level array", RF + JS, "[]", "json_syntax", "")

    # ===================== read_response ===============================
    K = "read_response"
    RR = M + DI + PY
    bad(K, "draft Figure 7 verbatim: typographic quote, not JSON", JS,
        '{\n    \u201cdisplayInformation" : {\n        "title" : "Hotel Pass",\n'
        '        "description" : "Some Hotel Pass",\n'
        '        "imageURL" : "https://example.com/sharingImage"\n    },\n'
        '    "payload" : {\n        "type": "AEAD_AES_128_GCM",\n'
        '        "data": "FDEC...987654321"\n    },\n'
        '    "expiration": "2021-11-03T20:32:34Z"\n}', "json_syntax", "")
    ok(K, "draft Figure 7 with straight quotes and a real payload",
       RR + ["E-PAYLOAD-OBJECT"], fig(RRESP))
    ok(K, "AES-256 payload and unknown member", RR + UN,
       js(edit(edit(RRESP, "payload", PAY256), "readCount", 1)))
    bad(K, "payload as a string (the draft's text says String)",
        RR + ["E-PAYLOAD-OBJECT", "PAYLOAD-OBJECT"],
        js(edit(RRESP, "payload", PD128)), "field_type", "payload")
    bad(K, "displayInformation and payload missing: displayInformation first", M,
        js({"expiration": "2021-11-03T20:32:34Z"}), "field_missing",
        "displayInformation")
    bad(K, "payload missing", M, js(edit(RRESP, "payload")), "field_missing",
        "payload")
    bad(K, "expiration missing", M, js(edit(RRESP, "expiration")), "field_missing",
        "expiration")
    bad(K, "expiration is a number", M, js(edit(RRESP, "expiration", 1635971554)),
        "field_type", "expiration")
    bad(K, "expiration with milliseconds", M + ["TIME-FORM", "E-TIME-STRICT"],
        js(edit(RRESP, "expiration", "2021-11-03T20:32:34.000Z")), "time_syntax",
        "expiration")
    bad(K, "expiration with an offset", M + ["TIME-FORM", "E-TIME-STRICT"],
        js(edit(RRESP, "expiration", "2021-11-03T21:32:34+01:00")), "time_syntax",
        "expiration")
    bad(K, "expiration at a leap second", M + ["TIME-RANGE"],
        js(edit(RRESP, "expiration", "2016-12-31T23:59:60Z")), "time_syntax",
        "expiration")
    bad(K, "payload.data of 16 bytes", PY + ["PAYLOAD-MIN"],
        js(edit(RRESP, "payload.data", b64(bytes(16)))), "payload_truncated",
        "payload.data")
    bad(K, "displayInformation.title empty", DI,
        js(edit(RRESP, "displayInformation.title", "")), "field_value",
        "displayInformation.title")
    bad(K, "payload.type missing and expiration bad: payload first",
        PY + ["PAYLOAD-TYPE"],
        js(edit(edit(RRESP, "payload.type"), "expiration", "tomorrow")),
        "field_missing", "payload.type")

    # ===================== delete_response =============================
    K = "delete_response"
    EF = ["E-EMPTY-RESP"]
    ok(K, "empty object", EF, "{}")
    ok(K, "members are ignored", EF + UN, js({"deleted": True, "id": U4}))
    ok(K, "whitespace around the object", EF + JS, " \r\n\t{ }\n")
    bad(K, "empty body", EF + JS, "", "json_syntax", "")
    bad(K, "top-level array", EF + JS, "[]", "json_syntax", "")
    bad(K, "top-level number", EF + JS, "0", "json_syntax", "")
    bad(K, "duplicate member in an ignored object", EF + JS + ["E-DUP-KEYS"],
        '{"a": {"b": 1, "b": 1}}', "json_syntax", "")
    bad(K, "NUL inside an ignored string", EF + JS, '{"note": "a\\u0000b"}',
        "json_syntax", "")
    bad(K, "Infinity (not RFC 8259)", EF + JS, '{"x": Infinity}', "json_syntax", "")
    bad(K, "number with a leading zero", EF + JS, '{"x": 01}', "json_syntax", "")
    bad(K, "capitalised True", EF + JS, '{"x": True}', "json_syntax", "")
    bad(K, "comment (not JSON)", EF + JS, '{} // done', "json_syntax", "")
    ok(K, "16 levels of nesting", EF + DP, '{"x": ' + nested(15) + '}')
    bad(K, "17 levels of nesting", EF + DP, '{"x": ' + nested(16) + '}',
        "json_depth", "")
    bad(K, "3000 levels of nesting (beyond common parser stack limits)", EF + DP,
        '{"x": ' + nested(2999) + '}', "json_depth", "")
    ok(K, "exactly 98304 bytes, of which most are 2-byte characters", EF + SZ,
       padded_to(98304, "{", "\u00e9"))
    big = padded_to(98305, "{", "\u00e9")
    assert len(big) < 98304
    bad(K, "98305 bytes but fewer than 98304 characters: the limit counts bytes",
        EF + SZ, big, "too_large", "")

    # ===================== relinquish_response =========================
    K = "relinquish_response"
    ok(K, "empty object", EF, "{}")
    ok(K, "members are ignored", EF + UN, js({"relinquished": True}))
    bad(K, "literal null", EF + JS, "null", "json_syntax", "")
    bad(K, "unterminated object", EF + JS, "{", "json_syntax", "")
    bad(K, "empty body", EF + JS, "", "json_syntax", "")

    # ===================== error_response ==============================
    K = "error_response"
    EB = M + ["E-ERROR-BODY"]
    ok(K, "code and message", EB, js(ERRB))
    ok(K, "empty message", EB, js(edit(ERRB, "message", "")))
    ok(K, "error of exactly 64 bytes", EB, js(edit(ERRB, "error", "e" * 64)))
    bad(K, "error of 65 bytes", EB, js(edit(ERRB, "error", "e" * 65)),
        "field_too_long", "error")
    ok(K, "message of exactly 1024 bytes", EB, js(edit(ERRB, "message", "m" * 1024)))
    bad(K, "message of 1025 bytes", EB, js(edit(ERRB, "message", "m" * 1025)),
        "field_too_long", "message")
    ok(K, "an error string that is not a code of errors.md (only its form is "
       "checked)", EB, js(edit(ERRB, "error", "teapot")))
    ok(K, "unknown member ignored", EB + UN, js(edit(ERRB, "retryAfter", 30)))
    bad(K, "empty error", EB, js(edit(ERRB, "error", "")), "field_value", "error")
    bad(K, "error missing", EB, js(edit(ERRB, "error")), "field_missing", "error")
    bad(K, "message missing", EB, js(edit(ERRB, "message")), "field_missing",
        "message")
    bad(K, "error is a number (an HTTP status)", EB, js(edit(ERRB, "error", 404)),
        "field_type", "error")
    bad(K, "message null", EB, js(edit(ERRB, "message", None)), "field_type",
        "message")
    bad(K, "both missing: error first", EB, "{}", "field_missing", "error")

    # ===================== provisioning_info ===========================
    K = "provisioning_info"
    bad(K, "draft Figure 8 verbatim: the // comment is not JSON", JS,
        '{\n   "format" : "digitalwallet.carkey.ccc",\n   "content": {\n'
        '      // Format specific fields\n   }\n}', "json_syntax", "")
    ok(K, "draft Figure 8 with an empty content object", M,
       '{\n   "format" : "digitalwallet.carkey.ccc",\n   "content": {\n   }\n}')
    ok(K, "car key format with content", M, js(PINFO))
    ok(K, "generic authorization token format", M,
       js({"format": "digitalwallet.generic.authorizationToken",
           "content": {"authorizationToken": "c2VjcmV0LXRva2Vu"}}))
    ok(K, "unknown format name (the format is not checked)", M,
       js(edit(PINFO, "format", "com.example.unknown")))
    ok(K, "format-specific top-level keys are ignored", M + UN,
       js(edit(PINFO, "keyIdentifier", "0011223344")))
    ok(K, "format of exactly 256 bytes", M, js(edit(PINFO, "format", "f" * 256)))
    bad(K, "format of 257 bytes", M, js(edit(PINFO, "format", "f" * 257)),
        "field_too_long", "format")
    bad(K, "empty format", M, js(edit(PINFO, "format", "")), "field_value", "format")
    bad(K, "format missing", M, js(edit(PINFO, "format")), "field_missing", "format")
    bad(K, "format is a number", M, js(edit(PINFO, "format", 1)), "field_type",
        "format")
    bad(K, "content missing", M, js(edit(PINFO, "content")), "field_missing",
        "content")
    bad(K, "content is an array", M, js(edit(PINFO, "content", [])), "field_type",
        "content")
    bad(K, "content null", M, js(edit(PINFO, "content", None)), "field_type",
        "content")
    bad(K, "content is a string", M, js(edit(PINFO, "content", "{}")), "field_type",
        "content")
    bad(K, "format missing and content an array: format first", M,
        js({"content": []}), "field_missing", "format")
    return vs


# ---------------------------------------------------------------------------


GENERATORS = [("uuid", gen_uuid), ("rfc3339", gen_rfc3339),
              ("shareurl", gen_shareurl), ("payload", gen_payload),
              ("bodies", gen_bodies)]


def render():
    """{file name: bytes} of every vector file."""
    out = {}
    for name, fn in GENERATORS:
        doc = fn().document()
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        out[name + ".json"] = text.encode("utf-8")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder "
                    "(default: the repository's vectors/)")
    ap.add_argument("--check", action="store_true", help="compare, do not write")
    args = ap.parse_args(argv)
    files = render()
    if args.check:
        differ = []
        for name, data in files.items():
            path = os.path.join(args.out, name)
            try:
                with open(path, "rb") as f:
                    cur = f.read()
            except OSError:
                cur = None
            if cur != data:
                differ.append(path)
        for p in differ:
            print("differs: %s" % p, file=sys.stderr)
        return 1 if differ else 0
    os.makedirs(args.out, exist_ok=True)
    for name, data in files.items():
        path = os.path.join(args.out, name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
