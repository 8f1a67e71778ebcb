"""UUIDs (http-00 §4.1, RFC 4122): rules UUID-FORM, UUID-CANON,
UUID-VERSION and UUID-V4-GEN of spec/rules.md.

`uuid.UUID()` is deliberately not used: it accepts braces, ``urn:uuid:``
prefixes and missing hyphens, all of which UUID-FORM refuses.
"""

import secrets

from .errors import TigressError

_HEX = frozenset("0123456789abcdefABCDEF")
_HYPHENS = (8, 13, 18, 23)


def is_form(s) -> bool:
    """True when `s` is a str in UUID-FORM (8-4-4-4-12 hex, either case)."""
    if not isinstance(s, str) or len(s) != 36:
        return False
    for i, ch in enumerate(s):
        if i in _HYPHENS:
            if ch != "-":
                return False
        elif ch not in _HEX:
            return False
    return True


def parse(s: str) -> tuple:
    """Parse a UUID; return ``(canonical lower-case form, version nibble)``.

    The version is the hex value of the character at offset 14
    (UUID-VERSION); every version, including the nil UUID's 0, is accepted.
    Raises TigressError("uuid_syntax") unless `s` satisfies UUID-FORM.
    """
    if not is_form(s):
        raise TigressError("uuid_syntax", "", "not a UUID in 8-4-4-4-12 hex form")
    return s.lower(), int(s[14], 16)


def new_v4() -> str:
    """Generate a version 4 UUID from the CSPRNG (UUID-V4-GEN).

    122 random bits, version nibble 4, variant bits 10, lower case.
    Raises nothing.
    """
    b = bytearray(secrets.token_bytes(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
