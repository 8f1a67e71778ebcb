"""A strict, non-recursive JSON (RFC 8259) reader for BODY-JSON/BODY-DEPTH.

Why not `json.loads`: it recurses once per nesting level and raises
RecursionError near 1000 levels, while a 98304-byte body can nest about
49000 levels deep.  Such a body must still be told apart as ``json_syntax``
(any fault anywhere) or ``json_depth`` (well-formed but too deep), because
BODY-JSON is checked before BODY-DEPTH.  So this reader keeps an explicit
stack, and reports the maximum depth alongside the value.

It uses the json module's own string scanner (`json.decoder.scanstring`,
strict mode: no raw control characters, valid escapes only) and refuses,
beyond RFC 8259's grammar:
  - a member name twice in one object (errata E-DUP-KEYS);
  - U+0000 in any string, escaped or not;
  - a lone surrogate (``\\ud800`` without its pair): not representable in
    UTF-8;
  - NaN, Infinity and other non-JSON tokens (simply not in the grammar);
  - a byte order mark (not JSON whitespace).
  - numbers a parser cannot represent (BODY-JSON): integers outside the
    signed 64-bit range, and reals that overflow to infinity.
"""

import re
from json.decoder import JSONDecodeError, scanstring

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_BAD_IN_STRING = re.compile("[\x00\ud800-\udfff]")
_LITERALS = (("true", True), ("false", False), ("null", None))


class JSONError(ValueError):
    """The text is not one strict JSON value (see the module docstring)."""


def _skip_ws(text: str, pos: int) -> int:
    """Position of the first non-whitespace character at or after `pos`
    (JSON whitespace is only space, tab, LF and CR)."""
    return _WS.match(text, pos).end()


def _read_string(text: str, pos: int) -> tuple:
    """Read the string starting at the quote at `pos`; return (str, end)."""
    try:
        value, end = scanstring(text, pos + 1, True)
    except JSONDecodeError as e:
        raise JSONError(f"bad string at {pos}: {e.msg}") from None
    if _BAD_IN_STRING.search(value):
        raise JSONError(f"NUL or lone surrogate in the string at {pos}")
    return value, end


def _read_scalar(text: str, pos: int) -> tuple:
    """Read a string, number or literal at `pos`; return (value, end)."""
    ch = text[pos]
    if ch == '"':
        return _read_string(text, pos)
    for word, value in _LITERALS:
        if text.startswith(word, pos):
            return value, pos + len(word)
    m = _NUMBER.match(text, pos)
    if not m:
        raise JSONError(f"unexpected character at {pos}")
    if m.group(1) or m.group(2):
        value = float(m.group())
        if value in (float("inf"), float("-inf")):
            raise JSONError(f"real number overflow at {pos}")
        return value, m.end()
    digits = m.group().lstrip("-")
    if len(digits) > 19:
        raise JSONError(f"integer out of 64-bit range at {pos}")
    value = int(m.group())
    if not -(2 ** 63) <= value < 2 ** 63:
        raise JSONError(f"integer out of 64-bit range at {pos}")
    return value, m.end()


def _read_key(text: str, pos: int, obj: dict) -> tuple:
    """Read ``"name" :`` at `pos` for `obj`; return (name, position of the value)."""
    if pos >= len(text) or text[pos] != '"':
        raise JSONError(f"expected a member name at {pos}")
    name, pos = _read_string(text, pos)
    if name in obj:
        raise JSONError(f"member name {name!r} given twice")
    pos = _skip_ws(text, pos)
    if pos >= len(text) or text[pos] != ":":
        raise JSONError(f"expected ':' at {pos}")
    return name, _skip_ws(text, pos + 1)


def loads(text: str) -> tuple:
    """Parse `text` as exactly one JSON value; return (value, depth).

    `depth` counts nested objects and arrays, the outermost being 1 (a lone
    scalar has depth 0).  Raises JSONError for anything that is not strict
    JSON as described in the module docstring.
    """
    n = len(text)
    stack = []      # open containers: [container, member name being read]
    depth = 0
    pos = _skip_ws(text, 0)
    while True:
        # Read one value at `pos` (or open a container and go read its first item).
        if pos >= n:
            raise JSONError("unexpected end of text")
        ch = text[pos]
        if ch in "{[":
            container = {} if ch == "{" else []
            closer = "}" if ch == "{" else "]"
            stack.append([container, None])
            depth = max(depth, len(stack))
            pos = _skip_ws(text, pos + 1)
            if pos < n and text[pos] == closer:
                stack.pop()
                value, pos = container, pos + 1
            else:
                if ch == "{":
                    stack[-1][1], pos = _read_key(text, pos, container)
                continue
        else:
            value, pos = _read_scalar(text, pos)
        # A value is complete: store it in its container, then either go on
        # to the next item (after ',') or close containers as they end.
        while True:
            if not stack:
                if _skip_ws(text, pos) != n:
                    raise JSONError(f"text after the JSON value at {pos}")
                return value, depth
            container, name = stack[-1]
            if isinstance(container, list):
                container.append(value)
            else:
                container[name] = value
            pos = _skip_ws(text, pos)
            if pos < n and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
                if isinstance(container, dict):
                    stack[-1][1], pos = _read_key(text, pos, container)
                break
            closer = "]" if isinstance(container, list) else "}"
            if pos < n and text[pos] == closer:
                stack.pop()
                value, pos = container, pos + 1
                continue
            raise JSONError(f"expected ',' or '{closer}' at {pos}")
