"""The encrypted payload object of http-00 §7.2: rules PAYLOAD-* of
spec/rules.md.

    {"type": "AEAD_AES_128_GCM" | "AEAD_AES_256_GCM",
     "data": base64(IV (12 bytes) || ciphertext || tag (16 bytes))}

RFC 5116 AES-GCM with empty additional data (errata E-AAD-EMPTY); the data
layout is errata E-DATA-LAYOUT.  Fields reported in errors are ``type``
(including a key that does not fit the type), ``data`` (including a failed
authentication) or ``""`` (not an object); the caller prefixes ``payload.``
inside a body.
"""

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import b64
from .errors import TigressError

KEY_LEN = {"AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 32}
AEAD_FOR_KEY_LEN = {16: "AEAD_AES_128_GCM", 32: "AEAD_AES_256_GCM"}
IV_LEN = 12
TAG_LEN = 16
MIN_DATA = IV_LEN + TAG_LEN          # PAYLOAD-MIN: 28 bytes
MAX_DATA_CHARS = 65536               # PAYLOAD-DATA: base64 text of `data`
MAX_PLAINTEXT = MAX_DATA_CHARS // 4 * 3 - MIN_DATA  # 49124 (PAYLOAD-SEAL)


def seal(key: bytes, plaintext: bytes, aead=None, iv=None) -> dict:
    """Encrypt `plaintext` under `key`; return ``{"type": ..., "data": ...}``.

    `aead` defaults to the type matching the key length (16 -> 128, 32 ->
    256).  `iv` defaults to 12 fresh bytes from the CSPRNG; passing one
    exists only to reproduce test vectors.  Checked in this order:
      - payload_type ("type"): `aead` given and not one of the two names;
      - payload_key ("type"):  the key length is not the type's (or, with no
        type given, neither 16 nor 32);
      - too_large (""):        plaintext over 49124 bytes (data would
        exceed 65536).
    A caller-given IV of another length than 12 bytes is a programming
    error: ValueError.
    """
    key, plaintext = bytes(key), bytes(plaintext)
    if aead is None:
        aead = AEAD_FOR_KEY_LEN.get(len(key))
        if aead is None:
            raise TigressError("payload_key", "type", "key is neither 16 nor 32 bytes")
    elif aead not in KEY_LEN:
        raise TigressError("payload_type", "type", "unknown AEAD type")
    if len(key) != KEY_LEN[aead]:
        raise TigressError("payload_key", "type", f"{aead} needs a {KEY_LEN[aead]}-byte key")
    if len(plaintext) > MAX_PLAINTEXT:
        raise TigressError("too_large", "", f"plaintext over {MAX_PLAINTEXT} bytes")
    if iv is None:
        iv = secrets.token_bytes(IV_LEN)
    iv = bytes(iv)
    if len(iv) != IV_LEN:
        raise ValueError("the IV must be 12 bytes")
    sealed = AESGCM(key).encrypt(iv, plaintext, None)  # ciphertext || tag
    return {"type": aead, "data": b64.encode_std(iv + sealed)}


def check(obj) -> tuple:
    """Run the checks of a payload that need no key; return (type, raw data).

    In order (PAYLOAD-OBJECT, -TYPE, -DATA, -MIN):
      - field_type ("")        `obj` is not a JSON object (dict);
      - field_missing ("type") / field_type ("type") / payload_type ("type");
      - field_missing ("data") / field_type ("data") /
        field_too_long ("data", over 65536 bytes of UTF-8) /
        payload_encoding ("data", not canonical padded standard base64);
      - payload_truncated ("data"): fewer than 28 decoded bytes.
    Members other than type and data are ignored.  Used by `open` and by
    the body checks (BODY-PAYLOAD).
    """
    if not isinstance(obj, dict):
        raise TigressError("field_type", "", "the payload is not an object")
    if "type" not in obj:
        raise TigressError("field_missing", "type", "no type")
    aead = obj["type"]
    if not isinstance(aead, str):
        raise TigressError("field_type", "type", "type is not a string")
    if aead not in KEY_LEN:
        raise TigressError("payload_type", "type", "unknown AEAD type")
    if "data" not in obj:
        raise TigressError("field_missing", "data", "no data")
    data = obj["data"]
    if not isinstance(data, str):
        raise TigressError("field_type", "data", "data is not a string")
    if len(data.encode("utf-8", "surrogatepass")) > MAX_DATA_CHARS:
        raise TigressError("field_too_long", "data", f"data over {MAX_DATA_CHARS} bytes")
    try:
        raw = b64.decode_std_canonical(data)
    except ValueError as e:
        raise TigressError("payload_encoding", "data", str(e)) from None
    if len(raw) < MIN_DATA:
        raise TigressError("payload_truncated", "data", "data shorter than IV and tag")
    return aead, raw


def open(obj, key: bytes) -> bytes:  # noqa: A001 - the module's public name
    """Check and decrypt a payload object with `key`; return the plaintext.

    Raises, in order, the errors of `check` (field_type, field_missing,
    payload_type, field_too_long, payload_encoding, payload_truncated),
    then payload_key ("type") when the key length does not match the type,
    then payload_auth ("data") when the tag does not verify.
    """
    aead, raw = check(obj)
    key = bytes(key)
    if len(key) != KEY_LEN[aead]:
        raise TigressError("payload_key", "type", f"{aead} needs a {KEY_LEN[aead]}-byte key")
    return _open_raw(key, raw[:IV_LEN], raw[IV_LEN:])


def _open_raw(key: bytes, iv: bytes, ct_tag: bytes, aad: bytes = b"") -> bytes:
    """AES-GCM decryption shared by `open` and the Wycheproof tests.

    `ct_tag` is ciphertext || 16-byte tag.  Payloads always have empty
    `aad`; a non-empty one exists only for Wycheproof cases.
    Raises payload_key ("type": key not 16 or 32 bytes), payload_truncated
    ("data": `ct_tag` shorter than the tag), payload_auth ("data": the tag
    does not verify).
    """
    if len(key) not in AEAD_FOR_KEY_LEN:
        raise TigressError("payload_key", "type", "key is neither 16 nor 32 bytes")
    if len(ct_tag) < TAG_LEN:
        raise TigressError("payload_truncated", "data", "no room for the tag")
    try:
        return AESGCM(key).decrypt(bytes(iv), bytes(ct_tag), bytes(aad) or None)
    except InvalidTag:
        raise TigressError("payload_auth", "data", "authentication failed") from None
