"""Strict base64 helpers (RFC 4648).

`base64.b64decode` accepts non-alphabet characters (unless validate=True),
missing or superfluous padding in places and non-zero unused bits; these
helpers add the checks the protocol needs and raise ValueError on any
deviation.  Callers turn ValueError into their own error code.

- `decode_std_canonical`: payload ``data`` (PAYLOAD-DATA): standard
  alphabet, padded, canonical, nothing else.
- `decode_secret`: the share URL fragment (URL-SECRET-B64): standard or
  URL-safe alphabet (not mixed), padding optional, canonical.
"""

import base64
import binascii

_STD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def encode_std(data: bytes) -> str:
    """Standard padded base64 of `data` (RFC 4648 §4) as a str."""
    return base64.b64encode(data).decode("ascii")


def _decode_padded_std(s: str) -> bytes:
    """Decode a padded standard-alphabet string and insist that re-encoding
    gives the same string back (which refuses non-zero unused bits, wrong
    padding and anything outside the alphabet).  Raises ValueError."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"not base64: {e}") from None
    if encode_std(raw) != s:
        raise ValueError("not canonical base64")
    return raw


def decode_std_canonical(s: str) -> bytes:
    """Decode canonical standard base64 with padding (RFC 4648 §4).

    Length a multiple of 4, only ``A-Z a-z 0-9 + /``, ``=`` only as the 0-2
    final padding characters, unused bits zero, no whitespace.
    Raises ValueError otherwise.
    """
    if not isinstance(s, str):
        raise ValueError("not a string")
    body = s.rstrip("=")
    if len(s) % 4 != 0 or len(s) - len(body) > 2 or not set(body) <= _STD:
        raise ValueError("not padded standard base64")
    return _decode_padded_std(s)


def decode_secret(s: str) -> bytes:
    """Decode a share-URL Secret (URL-SECRET-B64, errata E-SECRET-B64).

    Accepts the standard alphabet (``+ /``) or the URL-safe one (``- _``),
    never both in one string; ``=`` padding is optional but, when present,
    is at the end and makes the length a multiple of 4; the unpadded length
    modulo 4 is never 1; unused bits of the last character are zero.
    No percent-decoding.  The empty string decodes to b"".
    Raises ValueError otherwise.
    """
    if not isinstance(s, str):
        raise ValueError("not a string")
    body = s.rstrip("=")
    pad = len(s) - len(body)
    extra = set(body) - _ALNUM
    if not (extra <= {"+", "/"} or extra <= {"-", "_"}):
        raise ValueError("characters outside one base64 alphabet")
    if len(body) % 4 == 1:
        raise ValueError("impossible base64 length")
    if pad and (pad > 2 or len(s) % 4 != 0):
        raise ValueError("bad padding")
    std = body.replace("-", "+").replace("_", "/")
    std += "=" * (-len(std) % 4)
    return _decode_padded_std(std)
