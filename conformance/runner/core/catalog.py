"""The requirements catalog: spec/requirements.json.

Each requirement has a stable ID, the document it comes from (a draft
revision, our errata, our extensions, or the working group's requirements
draft), its section, the party it binds, its level as written, the verdict
a relay that breaks it gets, whether it can be tested from outside (and
why not), the SHA-256 of its normalized text (see drafttext.normalize) and
a paraphrase.  The drafts' own sentences are never stored here.

    cat = load()
    r = cat.get("RLY-DUP-UPDATE-201")
    r["verdict"]      # "FAIL"
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Dict, List, Optional

from protocol import SPEC

from . import drafttext

CORE = Path(__file__).resolve().parent
REPO = SPEC.parent          # the checkout, or the installed package
CATALOG = SPEC / "requirements.json"
SCHEMA = SPEC / "requirements.schema.json"
ERRATA = SPEC / "errata.md"
EXTENSIONS = SPEC / "extensions.md"

# What breaking a requirement of each level yields (the catalog stores the
# verdict per entry; these are the defaults it was built from).
LEVEL_VERDICT = {
    "MUST": "FAIL", "MUST NOT": "FAIL", "SHALL": "FAIL", "SHALL NOT": "FAIL",
    "REQUIRED": "FAIL", "DEFINED": "FAIL",
    "SHOULD": "WARN", "SHOULD NOT": "WARN", "RECOMMENDED": "WARN",
    "NOT RECOMMENDED": "WARN", "INFORMAL": "WARN",
    "MAY": "INFO", "MAY NOT": "INFO", "OPTIONAL": "INFO",
}
VERDICT_RANK = {"FAIL": 3, "WARN": 2, "INFO": 1}


def reference_dir() -> Path:
    """The reference material (drafts): $TIGRESS_REFERENCE, else
    ../shared/reference beside the repository."""
    env = os.environ.get("TIGRESS_REFERENCE")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "reference"


class Catalog:
    def __init__(self, data: dict, path: Optional[Path] = None):
        self.data = data
        self.path = path
        self.entries: Dict[str, dict] = {}
        for r in data.get("requirements", []):
            self.entries[r["id"]] = r

    def get(self, rid: str) -> dict:
        return self.entries[rid]

    def __contains__(self, rid: str) -> bool:
        return rid in self.entries

    def __iter__(self):
        return iter(self.data.get("requirements", []))

    @property
    def sources(self) -> dict:
        return self.data.get("sources", {})

    @property
    def excluded(self) -> List[dict]:
        return self.data.get("excluded", [])

    def verdict(self, rid: str) -> str:
        """FAIL, WARN or INFO: what breaking requirement `rid` yields."""
        return self.entries[rid]["verdict"]

    def strongest(self, rids) -> str:
        """The most severe verdict among requirements `rids`."""
        best = "INFO"
        for rid in rids:
            v = self.verdict(rid)
            if VERDICT_RANK[v] > VERDICT_RANK[best]:
                best = v
        return best

    def where(self, rid: str, short: bool = False) -> str:
        """Where requirement `rid` comes from, as reports cite it:
        'draft-vinokurov-tigress-http-00 §4.2', or for our decisions
        'spec/errata.md, on §7.2'; `short`: 'http-00 §4.2', 'errata, on
        §7.2' (empty for an unknown ID)."""
        e = self.entries.get(rid)
        if e is None:
            return ""
        doc = self.sources.get(e["source"], {}).get("document") or \
            e.get("revision") or e["source"]
        if short:
            doc = e["source"]
        sec = str(e.get("section") or "-")
        if e["source"] in ("errata", "extensions"):
            doc = doc if short else e.get("revision") or doc
            return doc if sec == "-" else "%s, on §%s" % (doc, sec)
        return "%s §%s" % (doc, sec)

    def cite(self, rid: str) -> str:
        """'RLY-HTTPS-URI (draft-vinokurov-tigress-http-00 §4.2)'."""
        w = self.where(rid)
        return "%s (%s)" % (rid, w) if w else rid

    def documents(self) -> List[str]:
        """The drafts the catalog's requirements come from, e.g.
        ['draft-vinokurov-tigress-http-00', ...] (not our own files)."""
        return [s["document"] for k, s in self.sources.items()
                if "reference" in s and "document" in s]

    def source_path(self, source: str) -> Optional[Path]:
        """The file of a source document, or None if unknown."""
        s = self.sources.get(source)
        if not s:
            return None
        if "reference" in s:
            return reference_dir() / s["reference"]
        if "repo" in s:
            return REPO / s["repo"]
        return None

    def untestable(self) -> List[dict]:
        return [r for r in self if not r["testable"]]


def load(path: Optional[Path] = None) -> Catalog:
    p = Path(path) if path else CATALOG
    with open(p, encoding="utf-8") as f:
        return Catalog(json.load(f), p)


def validate(data: dict) -> List[str]:
    """Schema errors of a catalog document (empty when valid)."""
    import jsonschema
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    v = jsonschema.Draft7Validator(schema)
    return ["%s: %s" % ("/".join(str(x) for x in e.path), e.message)
            for e in v.iter_errors(data)]


# -- our own documents: errata and extensions ---------------------------------

_DECISION_RE = re.compile(r"^- \*\*((?:E|X)-[A-Z0-9-]+)\*\*")


def decisions(path: Path) -> Dict[str, str]:
    """The bullets of spec/errata.md (`- **E-ID** ...`), id -> text (the
    whole bullet, lines joined)."""
    out: Dict[str, str] = {}
    cur = None
    lines: List[str] = []
    for ln in Path(path).read_text(encoding="utf-8").splitlines():
        m = _DECISION_RE.match(ln)
        if m:
            if cur:
                out[cur] = " ".join(lines)
            cur, lines = m.group(1), [ln[2:].strip()]
        elif cur and ln.startswith("  ") and ln.strip():
            lines.append(ln.strip())
        elif cur:
            out[cur] = " ".join(lines)
            cur, lines = None, []
    if cur:
        out[cur] = " ".join(lines)
    return out


_EXT_RE = re.compile(r"^## (X-[A-Z0-9-]+):")


def extensions(path: Path) -> Dict[str, str]:
    """The sections of spec/extensions.md (`## X-ID: ...`), id -> heading
    line plus its first paragraph."""
    out: Dict[str, str] = {}
    cur = None
    para: List[str] = []
    state = 0
    for ln in Path(path).read_text(encoding="utf-8").splitlines():
        m = _EXT_RE.match(ln)
        if m:
            if cur:
                out[cur] = " ".join(para)
            cur, para, state = m.group(1), [ln.strip()], 1
            continue
        if cur is None:
            continue
        if state == 1 and not ln.strip():
            continue
        if state == 1 and ln.strip() and not ln.startswith(("```", "|")):
            para.append(ln.strip())
            state = 2
            continue
        if state == 2 and ln.strip():
            para.append(ln.strip())
            continue
        if state == 2 and not ln.strip():
            state = 3
    if cur:
        out[cur] = " ".join(para)
    return out


def source_units(cat: Catalog, source: str):
    """Units of a draft source (list of drafttext.Unit), or None when the
    file is not available."""
    p = cat.source_path(source)
    if p is None or not p.exists():
        return None
    return drafttext.extract(p)


def check_hashes(cat: Catalog) -> List[str]:
    """Every entry's hash is found in its source document.  Returns
    problems (sources whose file is missing are skipped)."""
    problems: List[str] = []
    units_by_source = {}
    for r in cat:
        src = r["source"]
        if src == "errata" or src == "extensions":
            path = cat.source_path(src)
            if path is None or not path.exists():
                continue
            texts = decisions(path) if src == "errata" else extensions(path)
            text = texts.get(r["id"])
            if text is None:
                problems.append("%s: not in %s" % (r["id"], path.name))
            elif drafttext.digest(text) != r["sha256"]:
                problems.append("%s: text in %s changed" % (r["id"], path.name))
            continue
        if src not in units_by_source:
            units_by_source[src] = source_units(cat, src)
        units = units_by_source[src]
        if units is None:
            continue
        if drafttext.locate(units, r["sha256"], r.get("span", 1),
                            r["section"]) is None:
            problems.append("%s: statement not found in %s §%s" % (
                r["id"], src, r["section"]))
    for x in cat.excluded:
        units = units_by_source.get(x["source"])
        if units is None:
            units = units_by_source[x["source"]] = source_units(
                cat, x["source"])
        if units is not None and drafttext.locate(
                units, x["sha256"], 1, x["section"]) is None:
            problems.append("excluded %s §%s: statement not found" % (
                x["source"], x["section"]))
    return problems
