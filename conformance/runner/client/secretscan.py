"""Finding a Secret in what a client sent: the request target, every
header, the body.

The Secret is looked for as raw bytes and in every text form a client
might give it: standard and URL-safe base64 (padded or not, also
percent-encoded), base64 of the Secret inside a longer value at the two
other byte alignments (only the characters that depend on the Secret
alone), and hexadecimal in either case.

    hits = find_secret(record, secret)   # [(where, form), ...]
    hits = find_in_output(run, secret)   # a driver run's stdout, stderr
    form = find_in(text, secret)         # one string: a form, or None
"""

from __future__ import annotations

import base64
import urllib.parse
from typing import Dict, List, Optional, Tuple


def forms(secret: bytes) -> Dict[str, str]:
    """Text forms of `secret`, name -> text (hex ones lower case)."""
    out: Dict[str, str] = {}
    std = base64.b64encode(secret).decode("ascii")
    url = base64.urlsafe_b64encode(secret).decode("ascii")
    whole = (8 * len(secret)) // 6  # characters made of Secret bits only
    out["base64"] = std[:whole]
    out["base64url"] = url[:whole]
    pct = urllib.parse.quote(std[:whole], safe="")
    if pct != out["base64"]:
        out["base64 (percent-encoded)"] = pct
    n = len(secret)
    for k in (1, 2):                # inside a longer base64 value
        enc = base64.b64encode(b"\0" * k + secret + b"\0\0").decode("ascii")
        first = -(-8 * k // 6)      # first character made of Secret bits only
        last = (8 * (k + n)) // 6   # one past the last such character
        frag = enc[first:last]
        out["base64 (offset %d)" % k] = frag
        out["base64url (offset %d)" % k] = frag.replace("+", "-").replace(
            "/", "_")
    out["hex"] = secret.hex()
    return out


def _haystacks(record: dict) -> List[Tuple[str, str]]:
    """(where, text) pairs of a recorder record, each also unescaped."""
    out = []
    target = record.get("target") or record.get("path") or ""
    out.append(("request target", target))
    for k, v in record.get("headers", []):
        out.append(("header %s" % k, "%s: %s" % (k, v)))
    body = record.get("body") or {}
    data = body.get("data", "") if isinstance(body, dict) else str(body)
    if isinstance(body, dict) and body.get("encoding") == "base64":
        raw = base64.b64decode(data)
        out.append(("body", raw.decode("latin-1")))
    else:
        out.append(("body", data))
    more = []
    for where, text in out:
        alt = urllib.parse.unquote(text).replace("\\/", "/")
        if alt != text:
            more.append((where, alt))
    return out + more


def find_in(text: str, secret: bytes, min_len: int = 1) -> Optional[str]:
    """The form in which `secret` appears in `text`, or None.  Forms
    shorter than `min_len` characters are not looked for (a short
    identifier's base64 fragments would match by chance)."""
    raw = secret.decode("latin-1")
    if len(raw) >= min_len and raw in text:
        return "raw bytes"
    low = text.lower()
    for name, f in forms(secret).items():
        if len(f) >= min_len and f in (low if name == "hex" else text):
            return name
    return None


def find_secret(record: dict, secret: bytes) -> List[Tuple[str, str]]:
    """Where and in which form `secret` appears in a request record."""
    hits = []
    for where, text in _haystacks(record):
        found = find_in(text, secret)
        if found and (where, found) not in hits:
            hits.append((where, found))
    return hits


def find_in_output(run, secret: bytes) -> List[Tuple[str, str]]:
    """Where (stdout, stderr) and in which form `secret` appears in what a
    driver run printed."""
    hits = []
    for where, data in (("standard output", run.stdout),
                        ("standard error", run.stderr)):
        text = (data or b"").decode("latin-1")
        for t in (text, urllib.parse.unquote(text)):
            found = find_in(t, secret)
            if found:
                hits.append((where, found))
                break
    return hits
