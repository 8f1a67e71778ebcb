"""Statements of an Internet-Draft, for the requirements catalog.

Reads a draft in the RFC plain-text layout (``draft-....txt``) or in
kramdown-rfc Markdown (``draft-....md``) and cuts the text of every
numbered section into units:

- a sentence of a paragraph or of a list item;
- a row of a table (cells joined with `` | ``).

Figures (ASCII art, JSON and HTML examples, code blocks) are skipped.
Each unit gets its section number, its normalized text (whitespace
collapsed to one space, lower case), the SHA-256 of that, the BCP 14
keywords written in capitals in it, and whether it marks something as
*Required* (a ``(Type, Required)`` parameter, or a ``Yes`` in a table's
``Required`` column).

The catalog (spec/requirements.json) stores only the hash and a
paraphrase of a statement, never its text; the text is read from the
draft itself when needed (tools/req_diff.py, the catalog tests).

    units = extract(Path("draft-vinokurov-tigress-http-00.txt"))
    normative = [u for u in units if u.normative]
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

__all__ = ["Unit", "extract", "extract_text", "normalize", "digest",
           "KEYWORDS", "locate", "span_text"]

# BCP 14 keywords, longest first so "MUST NOT" wins over "MUST".
KEYWORDS = ("NOT RECOMMENDED", "MUST NOT", "SHALL NOT", "SHOULD NOT",
            "MAY NOT", "MUST", "SHALL", "SHOULD", "MAY", "REQUIRED",
            "RECOMMENDED", "OPTIONAL")
# A keyword in capitals, optionally followed by a lower-case "not" (the
# drafts write "SHALL not" and "SHOULD not" too).
_KW_RE = re.compile(
    r'(?<![A-Za-z"“])(NOT RECOMMENDED|MUST|SHALL|SHOULD|MAY|REQUIRED|'
    r'RECOMMENDED|OPTIONAL)(\s+(?:NOT|not))?(?![A-Za-z"”])')
_REQUIRED_PARAM_RE = re.compile(r"\([^()]*\bRequired\)")
_BOX_CHARS = set("│─┌┐└┘├┤┬┴┼║═╔╗╚╝╟╢╤╧╪░")
_ABBREVIATIONS = ("e.g.", "E.g.", "i.e.", "etc.", "vs.", "Fig.")


def normalize(text: str) -> str:
    """Whitespace collapsed to single spaces, trimmed, lower-cased."""
    return re.sub(r"\s+", " ", text).strip().lower()


def digest(text: str) -> str:
    """SHA-256 (hex) of the normalized text."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


@dataclass
class Unit:
    """One sentence or table row of a draft."""
    section: str              # "6.1.6", "A" for an appendix
    title: str                # the section's title
    index: int                # position within the section, from 1
    kind: str                 # "sentence" | "row"
    text: str                 # whitespace-collapsed text (kept in memory)
    keywords: List[str] = field(default_factory=list)
    required: bool = False
    item: int = 0             # paragraph / list item / table within section

    @property
    def norm(self) -> str:
        return normalize(self.text)

    @property
    def sha256(self) -> str:
        return digest(self.text)

    @property
    def normative(self) -> bool:
        """Carries a BCP 14 keyword or a Required marker."""
        return bool(self.keywords) or self.required

    def short(self, n: int = 90) -> str:
        t = self.text
        return t if len(t) <= n else t[:n - 3] + "..."


def _keywords(sentence: str) -> List[str]:
    found = []
    for m in _KW_RE.finditer(sentence):
        kw = m.group(1)
        if m.group(2):
            kw = kw + " NOT"
        found.append(kw)
    return found


def _split_sentences(text: str) -> List[str]:
    """Split a paragraph into sentences at `.`, `!` or `?` followed by
    space and a capital, a quote or an opening bracket."""
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbr, "\x00%d\x00" % i)
    parts = re.split(r'(?<=[.!?])\s+(?=[A-Z"“(\[])', protected)
    out = []
    for p in parts:
        for i, abbr in enumerate(_ABBREVIATIONS):
            p = p.replace("\x00%d\x00" % i, abbr)
        p = p.strip()
        if p:
            out.append(p)
    return out


def _join_lines(lines: List[str]) -> str:
    """Join wrapped lines; a line ending in letter + '-' continues the word
    on the next line ("Mailbox-" + "Request-ID")."""
    out = ""
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if out and re.search(r"[A-Za-z]-$", out):
            out += s
        elif out:
            out += " " + s
        else:
            out = s
    return out


class _Section:
    def __init__(self, number: str, title: str):
        self.number = number
        self.title = title
        self.blocks: List[list] = []     # list of ("prose"|"table", lines)


def _make_units(sections: List[_Section]) -> List[Unit]:
    units: List[Unit] = []
    for sec in sections:
        idx = 0
        item_no = 0
        for kind, lines in sec.blocks:
            if kind == "table":
                item_no += 1
                for row in _table_rows(lines):
                    idx += 1
                    u = _unit(sec, idx, "row", row["text"], row["required"])
                    u.item = item_no
                    units.append(u)
                continue
            for item in _items(lines):
                item_no += 1
                for s in _split_sentences(item):
                    idx += 1
                    u = _unit(sec, idx, "sentence", s, None)
                    u.item = item_no
                    units.append(u)
    return units


def _unit(sec: _Section, idx: int, kind: str, text: str,
          row_required: Optional[bool]) -> Unit:
    text = re.sub(r"\s+", " ", text).strip()
    kws = [] if kind == "row" else _keywords(text)
    # The conventions boilerplate quotes every keyword: not a statement.
    if kws and re.search(r'"(MUST|SHALL|SHOULD|MAY)"', text):
        kws = []
    if kind == "row":
        required = bool(row_required)
    else:
        required = bool(_REQUIRED_PARAM_RE.search(text))
    return Unit(sec.number, sec.title, idx, kind, text, kws, required)


_BULLET_RE = re.compile(r"^(\*|-|\d+\.)\s+")


def _items(lines: List[str]) -> List[str]:
    """Split a prose block into paragraphs / list items (a new item starts
    at a line beginning with a bullet or a number)."""
    items: List[List[str]] = []
    for ln in lines:
        s = ln.strip()
        if _BULLET_RE.match(s) or not items:
            items.append([_BULLET_RE.sub("", s) if _BULLET_RE.match(s)
                          else s])
        else:
            items[-1].append(s)
    return [_join_lines(i) for i in items if _join_lines(i)]


def _table_rows(lines: List[str]) -> List[dict]:
    """Rows of a table drawn with `|` cells (plain text, with `+---+`
    separators and cells continued on several lines; or Markdown)."""
    rows: List[List[str]] = []
    current: Optional[List[List[str]]] = None
    header: Optional[List[str]] = None
    header_done = False
    for ln in lines:
        s = ln.strip()
        if s.startswith("+") or re.match(r"^\|?\s*:?-{2,}", s):
            if current is not None:
                cells = [_join_lines(c) for c in current]
                if header is None:
                    header = cells
                else:
                    rows.append(cells)
                current = None
            if s.startswith("+=") or re.match(r"^\|?\s*:?-{2,}", s):
                header_done = header is not None
            continue
        if not s.startswith("|"):
            continue
        cells = [c for c in s.strip("|").split("|")]
        if lines and lines[0].strip().startswith("|") and not any(
                x.strip().startswith("+") for x in lines):
            # Markdown table: one line per row.
            cells_j = [c.strip() for c in cells]
            if header is None:
                header = cells_j
            else:
                rows.append(cells_j)
            continue
        if current is None:
            current = [[c] for c in cells]
        else:
            for i, c in enumerate(cells):
                if i < len(current):
                    current[i].append(c)
    if current is not None:
        cells = [_join_lines(c) for c in current]
        if header is None:
            header = cells
        else:
            rows.append(cells)
    del header_done
    out = []
    req_col = None
    if header:
        for i, h in enumerate(header):
            if h.strip().lower() == "required":
                req_col = i
    for cells in rows:
        if not any(c.strip() for c in cells):
            continue
        required = (req_col is not None and req_col < len(cells)
                    and cells[req_col].strip().lower() == "yes")
        named = []
        for i, c in enumerate(cells):
            h = header[i].strip() if header and i < len(header) else ""
            named.append("%s: %s" % (h, c.strip()) if h else c.strip())
        out.append({"text": " | ".join(named), "required": required})
    return out


# -- plain text (RFC layout) ---------------------------------------------------

_TXT_HEADING_RE = re.compile(r"^(\d+(?:\.\d+)*)\.\s+(\S.*)$")
_TXT_APPENDIX_RE = re.compile(r"^Appendix ([A-Z])\.\s+(\S.*)$")
_CAPTION_RE = re.compile(r"^\s*(Figure \d+:.*|Table \d+)\s*$")


def _is_figure_line(s: str) -> bool:
    t = s.strip()
    if any(ch in _BOX_CHARS for ch in t):
        return True
    return bool(t) and t[0] in '{}"<“[' and not t.startswith("[RFC")


def _parse_txt(text: str) -> List[_Section]:
    lines = text.splitlines()
    sections: List[_Section] = []
    cur: Optional[_Section] = None
    started = False
    block: List[str] = []
    in_figure = False
    prev_blank = False

    def flush():
        nonlocal block
        if cur is not None and block:
            if any(b.strip().startswith(("+=", "+-")) for b in block):
                cur.blocks.append(("table", block))
            else:
                cur.blocks.append(("prose", block))
        block = []

    for ln in lines:
        m = _TXT_HEADING_RE.match(ln) or _TXT_APPENDIX_RE.match(ln)
        if m and not ln.startswith(" "):
            # The table of contents repeats headings indented; headings at
            # column 0 start sections.  "1.  Introduction" starts the body.
            if m.group(1) == "1":
                started = True
            if started:
                flush()
                in_figure = False
                cur = _Section(m.group(1), m.group(2).strip())
                sections.append(cur)
                continue
        if not started or cur is None:
            continue
        if _CAPTION_RE.match(ln):
            flush()
            in_figure = False
            prev_blank = False
            continue
        if not ln.strip():
            if not in_figure:
                flush()
            prev_blank = True
            continue
        if in_figure and prev_blank and re.match(r"^   [A-Za-z*]", ln):
            in_figure = False          # prose again after an uncaptioned figure
        prev_blank = False
        if in_figure:
            continue
        if not block and _is_figure_line(ln):
            in_figure = True
            continue
        if not ln.startswith(" ") and not block:
            # A line at column 0 inside a section is a long figure line
            # (a URL example): skip it.
            in_figure = True
            continue
        block.append(ln)
    flush()
    return sections


# -- Markdown (kramdown-rfc) ------------------------------------------------------

def _parse_md(text: str) -> List[_Section]:
    lines = text.splitlines()
    # Skip the YAML front matter.
    i = 0
    if lines and lines[0].strip() == "---":
        i = 1
        while i < len(lines) and not lines[i].startswith("---"):
            i += 1
        if i < len(lines) and lines[i].strip() == "---":
            i += 1            # a bare closing line; "--- abstract" is kept
    sections: List[_Section] = []
    cur: Optional[_Section] = None
    part = "front"
    counters = [0] * 7
    appendix = 0
    in_code = False
    block: List[str] = []
    block_kind = "prose"

    def flush():
        nonlocal block, block_kind
        if cur is not None and block:
            cur.blocks.append((block_kind, block))
        block = []
        block_kind = "prose"

    for ln in lines[i:]:
        s = ln.strip()
        if s.startswith("~~~") or s.startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if s.startswith("--- "):
            flush()
            part = s[4:].strip()
            cur = None
            continue
        m = re.match(r"^(#+)\s+(.*?)\s*$", ln)
        if m:
            flush()
            level = len(m.group(1))
            title = re.sub(r"\{[:][^}]*\}", "", m.group(2)).strip()
            unnumbered = 'numbered="false"' in ln
            if part == "middle" and not unnumbered:
                counters[level - 1] += 1
                for k in range(level, len(counters)):
                    counters[k] = 0
                number = ".".join(str(c) for c in counters[:level])
            elif part == "back" and not unnumbered:
                if level == 1:
                    appendix += 1
                    counters = [0] * 7
                    number = chr(ord("A") + appendix - 1)
                else:
                    counters[level - 1] += 1
                    for k in range(level, len(counters)):
                        counters[k] = 0
                    number = chr(ord("A") + appendix - 1) + "." + ".".join(
                        str(c) for c in counters[1:level])
            else:
                number = "-"
            cur = _Section(number, title)
            sections.append(cur)
            continue
        if cur is None:
            continue
        if s.startswith("{:") or s.startswith("{::"):
            flush()
            continue
        if not s:
            flush()
            continue
        if s.startswith("|"):
            if block and block_kind != "table":
                flush()
            block_kind = "table"
            block.append(s)
            continue
        if block_kind == "table":
            flush()
        # A new list item starts a new block at its own indentation level.
        if _BULLET_RE.match(s) and block:
            flush()
        block.append(ln)
    flush()
    return [s for s in sections if s.number != "-"]


def extract_text(text: str, markdown: bool = False) -> List[Unit]:
    """Units of a draft given as text."""
    sections = _parse_md(text) if markdown else _parse_txt(text)
    return _make_units(sections)


def extract(path) -> List[Unit]:
    """Units of the draft in file `path` (.md: Markdown, else plain
    text)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    return extract_text(text, markdown=p.suffix.lower() in (".md", ".mkd"))


def span_text(units: List[Unit], start: int, span: int) -> str:
    """The text of `span` consecutive units from position `start` of the
    list, joined by single spaces (a statement of several sentences)."""
    return " ".join(u.text for u in units[start:start + span])


def locate(units: List[Unit], sha256: str, span: int = 1,
           section: Optional[str] = None) -> Optional[List[Unit]]:
    """The `span` consecutive units (within one section) whose joined text
    has this hash; searched in `section` first, then anywhere.  None when
    the statement is not in the draft."""
    order = [section, None] if section is not None else [None]
    for sec in order:
        for i, u in enumerate(units):
            if sec is not None and u.section != sec:
                continue
            group = units[i:i + span]
            if len(group) < span or len({g.section for g in group}) != 1:
                continue
            if digest(span_text(units, i, span)) == sha256:
                return group
    return None
