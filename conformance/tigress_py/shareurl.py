"""Share URLs (http-00 §7.3, §8.2.1): rules URL-* of spec/rules.md.

    https://{host}[:{port}]/v{N}/m/{mailbox-id}[?v={vertical}][#{secret}]

`parse` runs the checks in the order of spec/rules.md and reports the first
failing one; `build` composes a URL from fields (URL-BUILD).  Error fields
are always ``""`` (a URL is one string, not a JSON object).
"""

from dataclasses import dataclass
from typing import Optional

from . import b64, uuids
from .errors import TigressError

MAX_URL = 2048
MAX_HOST_NAME = 253
VERTICALS = ("a", "h", "c")
AEAD_FOR_SECRET_LEN = {16: "AEAD_AES_128_GCM", 32: "AEAD_AES_256_GCM"}

_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_LITERAL_CHARS = _HEX | {":", "."}


@dataclass
class ShareURL:
    """The fields of a parsed share URL (see spec/rules.md, "Parsing gives")."""
    host: str                 # lower case; an IP literal keeps its brackets
    port: int                 # 0 when absent
    version: int              # N of /v{N}/
    mailbox_id: str           # canonical lower-case UUID
    uuid_version: int         # UUID-VERSION of mailbox_id
    vertical: str             # "a", "h" or "c" ("a" when absent)
    vertical_present: bool    # whether ?v= was given
    secret: Optional[bytes]   # None without a fragment
    aead: Optional[str]       # from the Secret's length, None without one
    length: int               # characters of the whole input (all ASCII)
    api_url: str              # URL-API form, no query, no fragment


def _err(code: str, message: str) -> TigressError:
    """The error to raise for a URL fault (field is always "")."""
    return TigressError(code, "", message)


def _utf8_len(s: str) -> int:
    """Length of `s` in bytes of UTF-8 (a lone surrogate counts 3 bytes)."""
    return len(s.encode("utf-8", "surrogatepass"))


def _check_host(host: str) -> str:
    """URL-HOST: an IP literal ``[`` 1*(hex / ``:`` / ``.``) ``]`` or a name of
    1-253 characters of ``A-Z a-z 0-9 . -``.  Returns it lower-cased.
    Raises url_host."""
    if host.startswith("["):
        inner = host[1:-1]
        if not (host.endswith("]") and len(host) >= 3 and set(inner) <= _LITERAL_CHARS):
            raise _err("url_host", "not an IP literal")
    elif not (1 <= len(host) <= MAX_HOST_NAME and set(host) <= _NAME_CHARS):
        raise _err("url_host", "not a host name")
    return host.lower()


def _check_port_text(text: str) -> int:
    """URL-PORT: 1-5 decimal digits, no leading zero, 1-65535.  Raises url_port."""
    if not (1 <= len(text) <= 5 and set(text) <= _DIGITS and text[0] != "0"
            and int(text) <= 65535):
        raise _err("url_port", "port not 1-65535")
    return int(text)


def _split_authority(authority: str) -> tuple:
    """Split ``host[:port]`` into (host, port text or None).

    An IP literal runs to its ``]``; whatever follows it must be empty or
    ``:`` and the port, else the host is bad (url_host).  A name runs to the
    first ``:``.
    """
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise _err("url_host", "IP literal without ]")
        host, rest = authority[:end + 1], authority[end + 1:]
        if rest and not rest.startswith(":"):
            raise _err("url_host", "characters after the IP literal")
    else:
        colon = authority.find(":")
        host, rest = (authority, "") if colon < 0 else (authority[:colon], authority[colon:])
    return host, (rest[1:] if rest else None)


def _check_version_text(seg: str) -> int:
    """URL-VERSION: ``v`` then 1-999 without leading zeros.  Raises url_version."""
    digits = seg[1:]
    if not (seg.startswith("v") and 1 <= len(digits) <= 3 and set(digits) <= _DIGITS
            and digits[0] != "0"):
        raise _err("url_version", "version segment not v1..v999")
    return int(digits)


def _secret_aead(secret: bytes) -> str:
    """URL-SECRET-LEN: 16 or 32 bytes give the AEAD.  Raises url_secret_length."""
    aead = AEAD_FOR_SECRET_LEN.get(len(secret))
    if aead is None:
        raise _err("url_secret_length", f"Secret of {len(secret)} bytes, not 16 or 32")
    return aead


def _api_url(host: str, port: int, version: int, mailbox_id: str) -> str:
    """URL-API: ``https://{host}[:{port}]/v{N}/m/{id}``, port only when non-zero."""
    hostport = f"{host}:{port}" if port else host
    return f"https://{hostport}/v{version}/m/{mailbox_id}"


def parse(url: str) -> ShareURL:
    """Parse a share URL; return its fields as a ShareURL.

    Checks, first failure reported (all with field ""): too_large (URL-LEN:
    over 2048 bytes of UTF-8), url_syntax (URL-CHARS), url_scheme,
    url_userinfo, url_host, url_port, url_path, url_version,
    url_mailbox_id, url_query, url_vertical, url_secret_encoding,
    url_secret_length.
    """
    if not isinstance(url, str):
        raise TypeError("url must be a str")
    # URL-LEN ("Lengths are counted in bytes of UTF-8": a non-ASCII URL
    # of at most 2048 characters can still be too_large)
    if _utf8_len(url) > MAX_URL:
        raise _err("too_large", f"URL over {MAX_URL} bytes")
    # URL-CHARS
    if not url or any(not 0x21 <= ord(ch) <= 0x7E for ch in url) or "://" not in url:
        raise _err("url_syntax", "not a URL of printable ASCII with ://")
    # split: fragment at the first '#', then query at the first '?' before it
    before_frag, has_frag, fragment = url.partition("#")
    main, has_query, query = before_frag.partition("?")
    # URL-SCHEME: whatever precedes the first "://" of the URL
    sep = url.index("://")
    if url[:sep].lower() != "https":
        raise _err("url_scheme", "scheme is not https")
    # (the scheme is "https", so this "://" lies in `main` at the same offset)
    rest = main[sep + 3:]
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    # URL-USERINFO
    if "@" in authority:
        raise _err("url_userinfo", "user information before the host")
    # URL-HOST, URL-PORT
    host_text, port_text = _split_authority(authority)
    host = _check_host(host_text)
    port = 0 if port_text is None else _check_port_text(port_text)
    # URL-PATH
    segs = path.split("/")
    if len(segs) != 4 or segs[0] != "" or segs[2] != "m" or "" in segs[1:]:
        raise _err("url_path", "path is not /v{N}/m/{id}")
    # URL-VERSION
    version = _check_version_text(segs[1])
    # URL-MAILBOX
    try:
        mailbox_id, uuid_version = uuids.parse(segs[3])
    except TigressError:
        raise _err("url_mailbox_id", "mailbox identifier is not a UUID") from None
    # URL-QUERY, URL-VERTICAL
    vertical = "a"
    if has_query:
        name, has_eq, value = query.partition("=")
        if not query or "&" in query or not has_eq or name != "v":
            raise _err("url_query", "query is not a single v=...")
        if value not in VERTICALS:
            raise _err("url_vertical", "vertical is not a, h or c")
        vertical = value
    # URL-SECRET-B64, URL-SECRET-LEN
    secret = aead = None
    if has_frag:
        try:
            secret = b64.decode_secret(fragment)
        except ValueError as e:
            raise _err("url_secret_encoding", f"Secret: {e}") from None
        aead = _secret_aead(secret)
    return ShareURL(host=host, port=port, version=version, mailbox_id=mailbox_id,
                    uuid_version=uuid_version, vertical=vertical,
                    vertical_present=bool(has_query), secret=secret, aead=aead,
                    length=len(url), api_url=_api_url(host, port, version, mailbox_id))


def build(host: str, port: int, version: int, mailbox_id: str,
          vertical: str = "a", secret=None) -> str:
    """Compose a share URL (URL-BUILD).

    ``https://{host}[:{port}]/v{N}/m/{id}[?v={vertical}][#{secret}]``: host
    and identifier lower case, port only when non-zero, ``?v=`` only for
    ``h`` and ``c``, the Secret (when not None) in padded standard base64.
    Each field is checked as the parser would check it, in the parser's
    order: url_host, url_port (0 = absent, else 1-65535), url_version
    (1-999), url_mailbox_id, url_vertical, url_secret_length (16 or 32
    bytes; b"" too).  Finally too_large if the result is over 2048
    characters (possible only with a very long IP literal).
    """
    if not isinstance(host, str) or not host.isascii():
        raise _err("url_host", "host is not an ASCII string")
    host = _check_host(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise _err("url_port", "port not 0 or 1-65535")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 999:
        raise _err("url_version", "version not 1..999")
    try:
        mailbox_id, _ = uuids.parse(mailbox_id)
    except TigressError:
        raise _err("url_mailbox_id", "mailbox identifier is not a UUID") from None
    if vertical not in VERTICALS:
        raise _err("url_vertical", "vertical is not a, h or c")
    url = _api_url(host, port, version, mailbox_id)
    if vertical != "a":
        url += f"?v={vertical}"
    if secret is not None:
        secret = bytes(secret)
        _secret_aead(secret)
        url += "#" + b64.encode_std(secret)
    if _utf8_len(url) > MAX_URL:
        raise _err("too_large", f"URL over {MAX_URL} bytes")
    return url
