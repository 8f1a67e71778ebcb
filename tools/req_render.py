#!/usr/bin/python3
"""Render spec/requirements.json (the requirements catalog) to
spec/requirements.md, with the conformance cases that cite each
requirement.

    tools/req_render.py            # write spec/requirements.md
    tools/req_render.py --check    # exit 1 if spec/requirements.md is stale
    tools/req_render.py --rehash-decisions
        # after spec/errata.md or spec/extensions.md changed: list the
        # decisions whose text changed, store their new hashes in
        # spec/requirements.json (review each entry's summary and verdict)

The catalog is the source; the Markdown is generated and must not be
edited by hand.
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "conformance"))

from runner.core import catalog as catalog_mod  # noqa: E402
from runner.client.registry import CLIENT_REGISTRY  # noqa: E402
from runner.citing import citing_cases  # noqa: E402
from runner.relay.registry import REGISTRY  # noqa: E402

OUT = REPO / "spec" / "requirements.md"
SOURCE_TITLES = [
    ("http-00", "draft-vinokurov-tigress-http-00"),
    ("sct-04", "draft-secure-credential-transfer-04 (the sct-04 profile)"),
    ("requirements", "draft-ietf-tigress-requirements (the working group's "
     "requirements)"),
    ("errata", "tigress-ref decisions (spec/errata.md)"),
    ("extensions", "tigress-ref extensions (spec/extensions.md)"),
]


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render(cat) -> str:
    cites = citing_cases()
    reqs = list(cat)
    lines = [
        "# Requirements catalog",
        "",
        "Generated from `spec/requirements.json` by `tools/req_render.py`; "
        "do not edit.  Each requirement has a stable ID, the document and "
        "section it comes from, the party it binds, its level as written, "
        "the verdict a relay that breaks it gets, whether it can be tested "
        "from outside, and the conformance cases that check it (relay "
        "cases, and `client:` cases of `tigress-conformance client`).  The "
        "summaries are paraphrases; the catalog stores a SHA-256 of each "
        "statement's normalized text (whitespace collapsed, lower case) so "
        "that `tools/req_diff.py` can tell, for a new draft revision, which "
        "requirements are new, changed or gone.",
        "",
        "Verdicts: FAIL for MUST/SHALL/REQUIRED and API definitions "
        "(DEFINED); WARN for SHOULD, for statements with lower-case keywords "
        "(INFORMAL) and for tigress-ref decisions that matter for "
        "interoperability; INFO for MAY and the other decisions.  A "
        "tigress-ref decision never makes a third-party relay FAIL.",
        "",
        "## Counts",
        "",
    ]
    by_party = Counter(r["party"] for r in reqs)
    by_verdict = Counter(r["verdict"] for r in reqs)
    by_source = Counter(r["source"] for r in reqs)
    untestable = [r for r in reqs if not r["testable"]]
    lines += [
        "| | |", "| --- | --- |",
        "| requirements | %d |" % len(reqs),
        "| by source | %s |" % ", ".join("%s %d" % (s, by_source[s])
                                         for s, _ in SOURCE_TITLES),
        "| by party | %s |" % ", ".join("%s %d" % (p, by_party[p])
                                        for p in ("relay", "client", "both")),
        "| by verdict when broken | %s |" % ", ".join(
            "%s %d" % (v, by_verdict[v]) for v in ("FAIL", "WARN", "INFO")),
        "| testable from outside | %d (untestable %d) |" % (
            len(reqs) - len(untestable), len(untestable)),
        "| relay-side testable, cited by a case | %d of %d |" % (
            sum(1 for r in reqs if r["testable"] and r["party"] != "client"
                and any(not c.startswith("client:")
                        for c in cites.get(r["id"], []))),
            sum(1 for r in reqs if r["testable"] and r["party"] != "client")),
        "| client-side testable, cited by a client case | %d of %d |" % (
            sum(1 for r in reqs if r["testable"] and r["party"] != "relay"
                and any(c.startswith("client:")
                        for c in cites.get(r["id"], []))),
            sum(1 for r in reqs if r["testable"] and r["party"] != "relay")),
        "| conformance cases | %d relay, %d client |" % (
            len(REGISTRY), len(CLIENT_REGISTRY)),
        "",
    ]
    for source, title in SOURCE_TITLES:
        rs = [r for r in reqs if r["source"] == source]
        if not rs:
            continue
        lines += ["## %s" % title, "",
                  "| ID | § | party | level | verdict | summary | cases |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in rs:
            cs = cites.get(r["id"], [])
            if not r["testable"]:
                cases = "untestable"
            elif r["party"] == "client" and not cs:
                cases = "(no client case)"
            else:
                cases = ", ".join(cs) if cs else "**none**"
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                r["id"], _cell(r["section"]), r["party"], r["level"],
                r["verdict"], _cell(r["summary"]), cases))
        lines.append("")
    lines += ["## Not testable from outside", "",
              "| ID | party | reason |", "| --- | --- | --- |"]
    for r in untestable:
        lines.append("| %s | %s | %s |" % (r["id"], r["party"],
                                            _cell(r["untestable_reason"])))
    lines += ["", "## Normative statements not catalogued", "",
              "| source | § | reason |", "| --- | --- | --- |"]
    for x in cat.excluded:
        lines.append("| %s | %s | %s |" % (x["source"], x["section"],
                                           _cell(x["reason"])))
    lines.append("")
    return "\n".join(lines)


def rehash_decisions(path) -> int:
    """Update the sha256 of errata and extension entries whose text in
    spec/errata.md / spec/extensions.md changed; report new and vanished
    IDs (those need a hand-written entry, or removing one)."""
    from runner.core import drafttext
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    texts = {"errata": catalog_mod.decisions(catalog_mod.ERRATA),
             "extensions": catalog_mod.extensions(catalog_mod.EXTENSIONS)}
    changed = 0
    for r in data["requirements"]:
        if r["source"] not in texts:
            continue
        text = texts[r["source"]].pop(r["id"], None)
        if text is None:
            print("gone from %s: %s (remove its entry)" % (r["source"],
                                                             r["id"]))
            continue
        h = drafttext.digest(text)
        if h != r["sha256"]:
            print("changed: %s  (check its summary: %s)" % (r["id"],
                                                            r["summary"]))
            r["sha256"] = h
            changed += 1
    for source, rest in texts.items():
        for rid in rest:
            print("new in %s: %s (add an entry by hand)" % (source, rid))
    if changed:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print("%d hashes updated" % changed)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true",
                   help="exit 1 when spec/requirements.md is not up to date")
    p.add_argument("--output", default=str(OUT))
    p.add_argument("--rehash-decisions", action="store_true",
                   help="update the hashes of changed errata/extensions")
    args = p.parse_args(argv)
    if args.rehash_decisions:
        return rehash_decisions(catalog_mod.CATALOG)
    text = render(catalog_mod.load())
    out = Path(args.output)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print("%s is not up to date: run tools/req_render.py" % out)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
