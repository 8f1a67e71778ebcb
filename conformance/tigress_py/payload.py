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

import protocol

from . import b64, members
from .errors import TigressError

# The AEADs, the payload object's members and its limits come from the
# protocol description (spec/protocol.json: aeads, objects.payload,
# values.aead_data).
_P = protocol.load()
KEY_LEN = {name: a["key_bytes"] for name, a in _P.aeads().items()}
AEAD_FOR_KEY_LEN = {n: name for name, n in KEY_LEN.items()}
# every AEAD of the description has a 12-byte IV and a 16-byte tag
(IV_LEN, TAG_LEN), = {(a["iv_bytes"], a["tag_bytes"])
                      for a in _P.aeads().values()}
MIN_DATA = _P.value("aead_data")["min_decoded_bytes"]   # PAYLOAD-MIN: 28
MAX_DATA_CHARS = next(m.max_bytes for m in _P.members("payload")
                      if m.name == "data")              # PAYLOAD-DATA: 65536
MAX_PLAINTEXT = MAX_DATA_CHARS // 4 * 3 - MIN_DATA  # 49124 (PAYLOAD-SEAL)



def _aesgcm(key: bytes):
    """python3-cryptography's AES-GCM, imported when first needed: loading
    it is most of a command's start-up, and many steps never seal or open
    (the drivers start one process per step)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    return AESGCM(key)

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
    sealed = _aesgcm(key).encrypt(iv, plaintext, None)  # ciphertext || tag
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
    members.check(obj, "", _P.members("payload"), VALUE_CHECKS)
    return obj["type"], b64.decode_std_canonical(obj["data"])


def _aead_type(value: str, field: str) -> None:
    """values.aead_type: one of the AEAD names, else payload_type."""
    if value not in KEY_LEN:
        raise TigressError("payload_type", field, "unknown AEAD type")


def _aead_data(value: str, field: str) -> None:
    """values.aead_data: canonical padded standard base64 (else
    payload_encoding) of at least IV and tag (else payload_truncated)."""
    try:
        raw = b64.decode_std_canonical(value)
    except ValueError as e:
        raise TigressError("payload_encoding", field, str(e)) from None
    if len(raw) < MIN_DATA:
        raise TigressError("payload_truncated", field, "data shorter than IV and tag")


# value name (protocol values.*) -> its check, for members.check
VALUE_CHECKS = {"aead_type": _aead_type, "aead_data": _aead_data}


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
    from cryptography.exceptions import InvalidTag
    try:
        return _aesgcm(key).decrypt(bytes(iv), bytes(ct_tag), bytes(aad) or None)
    except InvalidTag:
        raise TigressError("payload_auth", "data", "authentication failed") from None
