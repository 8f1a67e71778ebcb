"""spec/threat-model.md and spec/feedback.md kept in step with the suite.

The threat table names conformance cases, requirement IDs, tigress-ref
decisions, actors and assets; these tests fail when any of them does not
exist, when a threat has neither a case nor a reason for each side, when
the threats marked `gap` and the section "Threats without a case yet"
disagree, or when a proposed case has been registered without moving into
the table.  For the feedback: every decision of spec/errata.md is
discussed, every item is complete, and every quotation is found, word for
word, in the section of the draft it is attributed to.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
SPEC = REPO / "spec"
THREATS = SPEC / "threat-model.md"
FEEDBACK = SPEC / "feedback.md"
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))


# -- where the runner keeps things: the only lines to change if it moves ---------

def registered_cases():
    """(relay case IDs, client case IDs), as the runner registers them."""
    import runner.relay.cases  # noqa: F401  (registers the relay cases)
    import runner.client.cases  # noqa: F401  (registers the client cases)
    from runner.relay.registry import REGISTRY
    from runner.client.registry import CLIENT_REGISTRY
    return set(REGISTRY), set(CLIENT_REGISTRY)


def known_ids():
    """(catalog requirement IDs, decision IDs of spec/errata.md)."""
    from runner.core import catalog
    return ({r["id"] for r in catalog.load()},
            set(catalog.decisions(catalog.ERRATA)))


def draft_units(path):
    """The units (section, text) of a draft, as the catalog reads them."""
    from runner.core import drafttext
    return drafttext.extract(path)


def reference_dir():
    from runner.core import catalog
    return catalog.reference_dir()


# -- parsing ---------------------------------------------------------------------

COLUMNS = ["ID", "Threat", "Actors", "Assets", "Drafts' mitigation",
           "tigress-ref adds", "Relay cases", "Client cases",
           "Without a case"]
PARTY_RE = re.compile(r"(?:^|; )(relay|client): (gap\b)?")
THREAT_ID_RE = re.compile(r"(?<![-\w])T-[A-Z0-9]+(?:-[A-Z0-9]+)*")
REQ_RE = re.compile(r"(?<![-\w`])(?:(?:RLY|CLI|SCT)-[A-Z0-9]+(?:-[A-Z0-9]+)*"
                    r"|Req-[A-Za-z]+|X-[A-Z0-9]+(?:-[A-Z0-9]+)*)(?![-\w])")
ERRATUM_RE = re.compile(r"(?<![-\w])E-[A-Z0-9]+(?:-[A-Z0-9]+)*(?![-\w])")
PROPOSED_RE = re.compile(r"^- Proposed (relay|client) case: `([A-Z0-9-]+)`",
                         re.M)
DEFECT_RE = re.compile(r"^- (?:Driver defects?|Broken relay defects?): `",
                       re.M)


def _text(path):
    return path.read_text(encoding="utf-8")


def _section(text, title):
    """The body of the `## title` section."""
    m = re.search(r"^## %s\n(.*?)(?=^## |\Z)" % re.escape(title), text,
                  re.M | re.S)
    assert m, "no section '## %s'" % title
    return m.group(1)


def _table(body):
    """The first Markdown table in `body`: (header, rows of cells)."""
    lines = [ln for ln in body.splitlines() if ln.startswith("|")]
    assert len(lines) >= 3, "no table"
    cells = [[c.strip() for c in ln.strip()[1:-1].split(" | ")]
             for ln in lines]
    return cells[0], [r for r in cells[2:]]


def _names(cell):
    """The backticked names of an actors or assets cell."""
    return re.findall(r"`([a-z-]+)`", cell)


def _ids(cell):
    return [] if cell == "none" else [x.strip() for x in cell.split(",")]


@pytest.fixture(scope="module")
def model():
    text = _text(THREATS)
    header, rows = _table(_section(text, "Threats"))
    assert header == COLUMNS
    threats = [dict(zip(COLUMNS, r)) for r in rows]
    for t, r in zip(threats, rows):
        assert len(r) == len(COLUMNS), "row %s has %d cells" % (r[0], len(r))
    return {
        "text": text,
        "threats": threats,
        "assets": {r[0].strip("`") for r in
                   _table(_section(text, "Assets"))[1]},
        "actors": {r[0].strip("`") for r in
                   _table(_section(text, "Actors"))[1]},
        "sources": _table(_section(text, "Where each threat comes from"))[1],
        "gaps": _section(text, "Threats without a case yet"),
    }


@pytest.fixture(scope="module")
def cases():
    return registered_cases()


# -- the threat model --------------------------------------------------------------

def test_threat_table_is_well_formed(model):
    ids = [t["ID"] for t in model["threats"]]
    assert len(ids) >= 30
    assert len(ids) == len(set(ids)), "duplicate threat IDs"
    for t in model["threats"]:
        assert THREAT_ID_RE.fullmatch(t["ID"]), t["ID"]
        for col in COLUMNS:
            assert t[col], "%s: empty %s" % (t["ID"], col)
        actors, assets = _names(t["Actors"]), _names(t["Assets"])
        assert actors and assets, t["ID"]
        assert set(actors) <= model["actors"], (t["ID"], actors)
        assert set(assets) <= model["assets"], (t["ID"], assets)
        assert re.search(r"\b(http-00|sct-04|requirements)\b|^none",
                         t["Drafts' mitigation"]), t["ID"]


def test_named_cases_exist(model, cases):
    relay, client = cases
    for t in model["threats"]:
        unknown = [c for c in _ids(t["Relay cases"]) if c not in relay]
        unknown += ["client:" + c for c in _ids(t["Client cases"])
                    if c not in client]
        assert unknown == [], "%s names unknown cases %s" % (t["ID"], unknown)


def test_case_ids_in_the_prose_exist(model, cases):
    """Outside the table's case columns, a token shaped like a case ID of
    either registry names a registered case (proposed ones aside)."""
    relay, client = cases
    proposed = {cid for _, cid in PROPOSED_RE.findall(model["gaps"])}
    prefixes = sorted({c.split("-", 1)[0] for c in relay | client})
    token = re.compile(r"(?<![-\w])(?:%s)-[A-Z0-9]+(?:-[A-Z0-9]+)*(?![-\w])"
                       % "|".join(prefixes))
    found = set(token.findall(model["text"]))
    unknown = sorted(found - relay - client - proposed)
    assert unknown == []


def test_named_requirements_and_decisions_exist(model):
    reqs, errata = known_ids()
    for path, text in ((THREATS, model["text"]), (FEEDBACK, _text(FEEDBACK))):
        unknown = sorted(set(REQ_RE.findall(text)) - reqs)
        assert unknown == [], "%s names unknown requirements %s" % (
            path.name, unknown)
        unknown = sorted(set(ERRATUM_RE.findall(text)) - errata)
        assert unknown == [], "%s names unknown decisions %s" % (
            path.name, unknown)


def test_every_threat_has_a_case_or_a_reason(model):
    for t in model["threats"]:
        said = {m.group(1) for m in PARTY_RE.finditer(t["Without a case"])}
        for side, col in (("relay", "Relay cases"),
                          ("client", "Client cases")):
            if t[col] == "none":
                assert side in said, (
                    "%s has no %s case and no '%s: ...' reason" %
                    (t["ID"], side, side))
        if t["Relay cases"] != "none" and t["Client cases"] != "none":
            continue
        assert t["Without a case"] != "-", t["ID"]


def test_gaps_are_listed_with_a_case_and_a_defect(model, cases):
    relay, client = cases
    marked = {t["ID"] for t in model["threats"]
              if any(m.group(2) for m in
                     PARTY_RE.finditer(t["Without a case"]))}
    entries = dict(re.findall(r"^### (T-[A-Z0-9-]+)\n(.*?)(?=^### |\Z)",
                              model["gaps"], re.M | re.S))
    assert sorted(entries) == sorted(marked), (
        "threats marked 'gap' in the table and the entries of 'Threats "
        "without a case yet' differ")
    for tid, body in entries.items():
        proposed = PROPOSED_RE.findall(body)
        assert proposed, "%s: no '- Proposed relay/client case: `ID`'" % tid
        assert DEFECT_RE.search(body), "%s: no defect named" % tid
        for side, cid in proposed:
            registered = relay if side == "relay" else client
            assert cid not in registered, (
                "%s: proposed %s case %s now exists: name it in the table "
                "and drop the entry" % (tid, side, cid))


def test_every_threat_is_traced_to_a_source(model):
    ids = {t["ID"] for t in model["threats"]}
    traced = set()
    for row in model["sources"]:
        named = set(THREAT_ID_RE.findall(row[-1]))
        assert named <= ids, (row[0], sorted(named - ids))
        traced |= named
    assert sorted(ids - traced) == []


def test_threat_ids_in_the_prose_exist(model):
    ids = {t["ID"] for t in model["threats"]}
    for path, text in ((THREATS, model["text"]), (FEEDBACK, _text(FEEDBACK))):
        unknown = sorted(set(THREAT_ID_RE.findall(text)) - ids)
        assert unknown == [], (path.name, unknown)


# -- the feedback ------------------------------------------------------------------

QUOTE_RE = re.compile(
    r'^> "(?P<text>.+)" \((?P<src>http-00|sct-04|requirements)'
    r' §(?P<sec>[0-9]+(?:\.[0-9]+)*)(?:, (?P<fig>(?:Figure|Table) \d+))?\)$')
ITEM_RE = re.compile(r"^### (\d+)\. [^\n]+\n(.*?)(?=^##|\Z)", re.M | re.S)
DRAFTS = {"http-00": "draft-vinokurov-tigress-http-00.txt",
          "sct-04": "draft-secure-credential-transfer-04.md",
          "requirements": "draft-ietf-tigress-requirements.md"}


def _squeeze(s):
    return re.sub(r"\s+", "", s)


def test_feedback_discusses_every_erratum():
    _, errata = known_ids()
    assert errata
    named = set(ERRATUM_RE.findall(_text(FEEDBACK)))
    assert sorted(errata - named) == []


def test_feedback_items_are_complete():
    items = ITEM_RE.findall(_text(FEEDBACK))
    assert len(items) >= 40
    assert [int(n) for n, _ in items] == list(range(1, len(items) + 1))
    for n, body in items:
        quotes = [ln for ln in body.splitlines() if ln.startswith('> "')]
        assert quotes, "item %s quotes nothing" % n
        for ln in quotes:
            assert QUOTE_RE.match(ln), "item %s: malformed quote %r" % (n, ln)
        for part in ("**Why it matters.**", "**tigress-ref.**",
                     "**Proposed text"):
            assert part in body, "item %s lacks %s" % (n, part)


@pytest.mark.skipif(not (reference_dir() / "drafts" / DRAFTS["http-00"])
                    .exists(), reason="reference drafts not available")
def test_feedback_quotes_are_verbatim_in_the_section_cited():
    """A quote is found, whitespace aside, in the section it cites (in the
    whole draft for a figure or a table, which the unit reader skips)."""
    units, whole = {}, {}
    for src, name in DRAFTS.items():
        path = reference_dir() / "drafts" / name
        whole[src] = _squeeze(path.read_text(encoding="utf-8"))
        units[src] = {}
        for u in draft_units(path):
            units[src][u.section] = units[src].get(u.section, "") + \
                _squeeze(u.text)
    bad, checked = [], 0
    for ln in _text(FEEDBACK).splitlines():
        m = QUOTE_RE.match(ln)
        if not m:
            continue
        checked += 1
        q = _squeeze(m.group("text"))
        where = whole[m.group("src")] if m.group("fig") else \
            units[m.group("src")].get(m.group("sec"), "")
        if q not in where:
            bad.append("%s §%s: %s" % (m.group("src"), m.group("sec"),
                                       m.group("text")[:70]))
    assert checked >= 50 and bad == []


def test_feedback_req_diff_summary_matches_the_tool():
    """The counts quoted at the end are those tools/req_diff.py prints."""
    drafts = reference_dir() / "drafts"
    if not (drafts / DRAFTS["sct-04"]).exists():
        pytest.skip("reference drafts not available")
    p = subprocess.run([sys.executable, str(REPO / "tools" / "req_diff.py"),
                        str(drafts / DRAFTS["sct-04"]),
                        str(drafts / DRAFTS["http-00"])],
                       capture_output=True, text=True, timeout=120)
    lines = p.stdout.splitlines()
    m = re.search(r": (\d+) unchanged, (\d+) changed, (\d+) gone, (\d+) new$",
                  lines[0] if lines else "")
    assert m, p.stdout + p.stderr
    moved = sum(1 for ln in lines if ln.startswith("moved "))
    counts = "%s unchanged (%d of them in another section), %s changed, " \
             "%s gone, %s new" % (m.group(1), moved, m.group(2), m.group(3),
                                  m.group(4))
    assert counts in re.sub(r"\s+", " ", _text(FEEDBACK))


def test_feedback_counts_are_the_suites():
    """The opening's figures (cases, defects) are those of the suite now."""
    from brokenrelay.defects import DEFECTS
    relay, client = registered_cases()
    driver = (CONFORMANCE / "drivers" / "py-client-driver").read_text()
    table = driver[driver.index("DEFECTS = {"):]
    table = table[:table.index("\n}")]
    py_defects = len(re.findall(r'^    "[a-z0-9-]+":', table, re.M))
    head = " ".join(_text(FEEDBACK)[:1500].split())
    m = re.search(r"\((\d+) relay cases, (\d+) client cases, a deliberately "
                  r"broken relay with (\d+) switchable defects, a Python "
                  r"client with (\d+)\)", head)
    assert m, "the opening no longer gives the figures"
    assert [int(x) for x in m.groups()] == [
        len(relay), len(client), len(DEFECTS), py_defects]
