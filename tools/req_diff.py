#!/usr/bin/python3
"""Which requirements are new, changed or gone between two draft revisions
(or between the catalog and a new revision), and which conformance cases
cite them.

    tools/req_diff.py OLD NEW [--source http-00] [--json]

OLD and NEW are draft files (.txt in the RFC layout, or kramdown .md);
OLD may also be `catalog` (or the path of spec/requirements.json): then
the old statements are the catalog's entries for --source.

A statement is one sentence (or table row) of the draft carrying a BCP 14
keyword or a "Required" marker; the catalog's API definitions (DEFINED)
are statements too.  Matching is by the SHA-256 of the normalized text:

    unchanged  the same hash in NEW (possibly in another section)
    changed    no equal hash, but a statement of NEW that is at least 60 %
               similar (difflib) -- the hash differs
    gone       neither
    new        a statement of NEW that matches nothing of OLD and is not
               among the catalog's deliberately excluded statements

Exit status: 0 when nothing is new, changed or gone, 1 otherwise, 2 on a
usage error.
"""

import argparse
import difflib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "conformance"))

from runner.core import catalog as catalog_mod  # noqa: E402
from runner.core import drafttext  # noqa: E402
from runner.citing import citing_cases  # noqa: E402

SIMILAR = 0.6


class Statement:
    def __init__(self, section, text, sha, reqs=()):
        self.section = section
        self.text = text            # None when unknown (catalog only)
        self.sha = sha
        self.reqs = list(reqs)      # catalog IDs with this statement
        self.keywords = drafttext._keywords(text) if text else []
        if text and drafttext._REQUIRED_PARAM_RE.search(text):
            self.keywords.append("REQUIRED")

    def short(self, n=100):
        if self.text is None:
            return "(text not available)"
        return self.text if len(self.text) <= n else self.text[:n - 3] + "..."


def statements_of_draft(path, cat, source):
    """Normative statements of a draft file, each tagged with the catalog
    IDs whose hash it has."""
    units = drafttext.extract(path)
    by_hash = {}
    if cat is not None:
        for r in cat:
            if r["source"] == source:
                by_hash.setdefault(r["sha256"], []).append(r["id"])
    out = []
    used = set()
    # Catalog statements spanning several units, and DEFINED ones.
    if cat is not None:
        for r in cat:
            if r["source"] != source:
                continue
            group = drafttext.locate(units, r["sha256"], r.get("span", 1),
                                     r["section"])
            if group is None or r["sha256"] in used:
                continue
            used.add(r["sha256"])
            for g in group:
                used.add(g.sha256)
            out.append(Statement(group[0].section,
                                 " ".join(g.text for g in group),
                                 r["sha256"], by_hash.get(r["sha256"], [])))
    for u in units:
        if u.normative and u.sha256 not in used:
            used.add(u.sha256)
            out.append(Statement(u.section, u.text, u.sha256,
                                 by_hash.get(u.sha256, [])))
    return out, units


def statements_of_catalog(cat, source):
    """The catalog's statements for `source`, with their text when the
    source draft is available."""
    units = catalog_mod.source_units(cat, source)
    out = []
    seen = set()
    for r in cat:
        if r["source"] != source or r["sha256"] in seen:
            continue
        seen.add(r["sha256"])
        text = None
        section = r["section"]
        if units is not None:
            group = drafttext.locate(units, r["sha256"], r.get("span", 1),
                                     r["section"])
            if group is not None:
                text = " ".join(g.text for g in group)
        ids = [x["id"] for x in cat if x["sha256"] == r["sha256"]
               and x["source"] == source]
        out.append(Statement(section, text, r["sha256"], ids))
    return out


def diff(old, new_units, excluded):
    """(unchanged, changed, gone, new): lists of (old, new) pairs or
    statements."""
    new_all = {}
    for u in new_units:
        new_all.setdefault(u.sha256, u)
    new_norm = [u for u in new_units if u.normative]
    matched_new = set()
    # citations differ between the two layouts ([RFC4122], {{!RFC4122}})
    def plain(text):
        return drafttext.normalize(text.replace("{{!", "[").replace(
            "{{?", "[").replace("}}", "]"))
    unchanged, changed, gone = [], [], []
    pending = []
    for s in old:
        u = new_all.get(s.sha)
        if u is None and s.text is not None:
            # a multi-sentence statement: look for the joined text
            for i in range(len(new_units)):
                k = len(drafttext.normalize(s.text).split(". "))
                for span in range(2, k + 2):
                    if drafttext.digest(drafttext.span_text(
                            new_units, i, span)) == s.sha:
                        u = new_units[i]
                        break
                if u is not None:
                    break
        if u is not None:
            unchanged.append((s, u))
            matched_new.add(u.sha256)
        else:
            pending.append(s)
    for s in pending:
        best, score = None, 0.0
        if s.text is not None:
            a = plain(s.text)
            # API definitions carry no keyword: look among all statements
            pool = new_norm if s.keywords else new_units
            for u in pool:
                if u.sha256 in matched_new:
                    continue
                r = difflib.SequenceMatcher(None, a, plain(u.text)).ratio()
                if r > score:
                    best, score = u, r
        if best is not None and score >= SIMILAR:
            changed.append((s, best, score))
            matched_new.add(best.sha256)
        else:
            gone.append(s)
    old_hashes = {s.sha for s in old}
    new = [u for u in new_norm if u.sha256 not in matched_new
           and u.sha256 not in old_hashes and u.sha256 not in excluded]
    return unchanged, changed, gone, new


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", help="a draft file, or 'catalog'")
    p.add_argument("new", help="a draft file")
    p.add_argument("--source", default="http-00",
                   help="the catalog source OLD stands for (default "
                   "%(default)s)")
    p.add_argument("--catalog", default=str(catalog_mod.CATALOG))
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    cat = catalog_mod.load(args.catalog)
    excluded = {x["sha256"] for x in cat.excluded}
    new_path = Path(args.new)
    if not new_path.exists():
        print("req_diff: no such file: %s" % new_path, file=sys.stderr)
        return 2
    if args.old == "catalog" or args.old.endswith(".json"):
        old = statements_of_catalog(cat if args.old == "catalog" else
                                    catalog_mod.load(args.old), args.source)
        old_name = "catalog (%s)" % args.source
    else:
        if not Path(args.old).exists():
            print("req_diff: no such file: %s" % args.old, file=sys.stderr)
            return 2
        old, _ = statements_of_draft(args.old, cat, args.source)
        old_name = args.old
    new_units = drafttext.extract(new_path)
    unchanged, changed, gone, new = diff(old, new_units, excluded)
    cites = citing_cases()

    def cases_of(ids):
        out = []
        for i in ids:
            for c in cites.get(i, []):
                if c not in out:
                    out.append(c)
        return out

    if args.json:
        json.dump({
            "old_source": old_name, "new_source": str(new_path),
            "unchanged": len(unchanged),
            "changed": [{"requirements": s.reqs, "old_section": s.section,
                         "new_section": u.section, "old_sha256": s.sha,
                         "new_sha256": u.sha256, "similarity": round(r, 2),
                         "cases": cases_of(s.reqs)} for s, u, r in changed],
            "gone": [{"requirements": s.reqs, "section": s.section,
                      "sha256": s.sha, "cases": cases_of(s.reqs)}
                     for s in gone],
            "new": [{"section": u.section, "sha256": u.sha256,
                     "keywords": u.keywords, "required": u.required}
                    for u in new],
        }, sys.stdout, indent=1)
        print()
    else:
        print("%s -> %s: %d unchanged, %d changed, %d gone, %d new" % (
            old_name, new_path, len(unchanged), len(changed), len(gone),
            len(new)))
        moved = [(s, u) for s, u in unchanged if s.section != u.section]
        for s, u in moved:
            print("moved    §%s -> §%s  %s" % (s.section, u.section,
                                              ", ".join(s.reqs) or "-"))
        for s, u, r in changed:
            print("changed  §%s -> §%s  %s  (%.0f%% similar)" % (
                s.section, u.section, ", ".join(s.reqs) or "(not catalogued)",
                100 * r))
            print("         old: %s" % s.short())
            print("         new: %s" % u.short(100))
            cs = cases_of(s.reqs)
            if cs:
                print("         cases: %s" % ", ".join(cs))
        for s in gone:
            print("gone     §%s  %s" % (s.section, ", ".join(s.reqs) or
                                        "(not catalogued)"))
            print("         old: %s" % s.short())
            cs = cases_of(s.reqs)
            if cs:
                print("         cases: %s" % ", ".join(cs))
        for u in new:
            print("new      §%s  %s%s" % (u.section, "/".join(u.keywords),
                                          " Required" if u.required else ""))
            print("         %s" % u.short(100))
    return 1 if (changed or gone or new) else 0


if __name__ == "__main__":
    sys.exit(main())
