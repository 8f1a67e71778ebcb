"""Text as reports show it: printable (no control, format or separator
characters: a relay's answer may hold NUL, escape sequences or bidi
overrides, and a mail archive, a terminal or grep must not see them raw),
cut to a size with what was left out said, and a "got" that differs from
what was expected with the changed characters marked.

    printable("a\\x00b\\u202e")       # 'a\\x00b\\u202e' as 10 visible characters
    cut("x" * 5000, 1000, 5000, "ab12...")
    highlight("<b>", "&lt;b>")       # '⟦&lt;⟧b> (1 change: "<" became "&lt;" at 0)'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Optional

# Marks around a changed span in `highlight`; the HTML report turns them
# into <mark>.
MARK_OPEN, MARK_CLOSE = "\u27e6", "\u27e7"
HIDDEN = ("Cc", "Cf", "Cs", "Zl", "Zp")
_NOT_ASCII_TEXT = re.compile(r"[^\x20-\x7e]")     # the characters to look at


def _escape(ch: str) -> str:
    n = ord(ch)
    if n < 0x100:
        return "\\x%02x" % n
    return "\\u%04x" % n if n < 0x10000 else "\\U%08x" % n


def count(n: int, noun: str) -> str:
    """"1 request", "2 requests" (nouns that take an s)."""
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


def printable(s, keep: str = "\n\t") -> str:
    """`s` with every control, format (bidi, zero-width), surrogate and
    line/paragraph separator character written as \\xNN / \\uNNNN, except
    those in `keep`."""
    s = str(s)
    if s.isprintable():
        return s

    def one(m) -> str:
        ch = m.group()
        return ch if ch in keep or unicodedata.category(ch) not in HIDDEN \
            else _escape(ch)
    return _NOT_ASCII_TEXT.sub(one, s)


def cut(text: str, limit: int, length: Optional[int] = None,
        sha256: Optional[str] = None, truncated: bool = False) -> str:
    """`text` cut to `limit` characters.  When anything is left out (here,
    or before: `truncated`) it says so, with the whole size in bytes
    (`length`, else that of `text`) and its SHA-256 when known."""
    if len(text) <= limit and not truncated:
        return text
    total = len(text.encode("utf-8", "replace")) if length is None \
        else length
    return "%s\n[... cut: %d bytes in all%s]" % (
        text[:limit], total, ", SHA-256 %s" % sha256 if sha256 else "")


def _q(s: str) -> str:
    return '"%s"' % printable(s, keep="")


def highlight(want: str, got: str, width: int = 100,
              listed: int = 3) -> str:
    """`got`, printable, with each span that differs from `want` between
    ⟦ and ⟧ (⟦⟧ where characters were dropped), cut to about `width`
    characters around the first change; then the changes, e.g.
    '⟦&lt;⟧b> (1 change: "<" became "&lt;" at 0)'."""
    want, got = str(want), str(got)
    sm = difflib.SequenceMatcher(None, want, got, autojunk=False)
    ops = sm.get_opcodes()
    changes = [op for op in ops if op[0] != "equal"]
    if not changes:
        return _q(got)
    parts, first = [], None
    for tag, i1, i2, j1, j2 in ops:
        seg = printable(got[j1:j2], keep="")
        if tag == "equal":
            parts.append(seg)
            continue
        if first is None:
            first = sum(len(p) for p in parts)
        parts.append(MARK_OPEN + seg + MARK_CLOSE)
    marked = "".join(parts)
    start = max(0, (first or 0) - width // 3)
    shown = marked[start:start + width]
    shown = ("..." if start else "") + shown + (
        "..." if start + width < len(marked) else "")
    said = []
    for tag, i1, i2, j1, j2 in changes[:listed]:
        if tag == "replace":
            said.append("%s became %s at %d" % (_q(want[i1:i2]),
                                                 _q(got[j1:j2]), i1))
        elif tag == "delete":
            said.append("%s dropped at %d" % (_q(want[i1:i2]), i1))
        else:
            said.append("%s added at %d" % (_q(got[j1:j2]), i1))
    if len(changes) > listed:
        said.append("%d more" % (len(changes) - listed))
    return '"%s" (%d change%s: %s)' % (shown, len(changes),
                                        "" if len(changes) == 1 else "s",
                                        "; ".join(said))
