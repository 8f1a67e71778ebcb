"""The requirements catalog (spec/requirements.json): schema, hashes
against the drafts, coverage by the conformance cases, the rendered
Markdown, and the revision diff tool."""

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))
if str(REPO / "tools") not in sys.path:
    sys.path.insert(0, str(REPO / "tools"))

from runner.core import catalog as catalog_mod  # noqa: E402
from runner.core import drafttext  # noqa: E402
from runner.relay.registry import REGISTRY  # noqa: E402
import runner.relay.cases  # noqa: E402,F401

REF = catalog_mod.reference_dir() / "drafts"
HTTP00 = REF / "draft-vinokurov-tigress-http-00.txt"
needs_drafts = pytest.mark.skipif(not HTTP00.exists(),
                                  reason="reference drafts not available")


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load()


def test_schema(cat):
    assert catalog_mod.validate(cat.data) == []


def test_ids_unique_and_levels_consistent(cat):
    ids = [r["id"] for r in cat]
    assert len(ids) == len(set(ids))
    for r in cat:
        if r["source"] in ("errata", "extensions", "requirements"):
            # tigress-ref decisions and lower-case WG requirements never FAIL
            assert r["verdict"] != "FAIL", r["id"]
        if r["level"] in ("MUST", "MUST NOT", "SHALL", "SHALL NOT",
                          "REQUIRED"):
            assert r["verdict"] == "FAIL", r["id"]
        if r["level"] in ("SHOULD", "SHOULD NOT", "RECOMMENDED"):
            assert r["verdict"] == "WARN", r["id"]
        if r["source"] == "errata":
            assert r.get("tigress_ref_decision") is True


def test_counts(cat):
    reqs = list(cat)
    by_source = Counter(r["source"] for r in reqs)
    assert by_source["http-00"] >= 100
    names = {r["id"] for r in reqs}
    for item in ("Req-XPlatform", "Req-NonCorrelation", "Req-Opaque",
                 "Req-RoundTrips", "Req-ConnectionIntegrity",
                 "Req-Connectivity", "Req-Retrievals"):
        assert item in names
    for rid in ("RLY-TLS-ONLY", "CLI-FRAGMENT-STRIP", "RLY-DUP-UPDATE-201",
                "RLY-BIND-ONE-RECIPIENT"):
        assert rid in names
    for r in cat.untestable():
        assert len(r["untestable_reason"]) > 10


@needs_drafts
def test_hashes_match_the_drafts_and_our_documents(cat):
    problems = catalog_mod.check_hashes(cat)
    assert problems == [], (
        "%s\nIf spec/errata.md or spec/extensions.md changed, review the "
        "entries and run tools/req_render.py --rehash-decisions" %
        "\n".join(problems))


@needs_drafts
def test_every_normative_statement_of_http00_is_catalogued(cat):
    units = drafttext.extract(HTTP00)
    known = {(r["section"], r["sha256"]) for r in cat
             if r["source"] == "http-00"}
    known |= {(x["section"], x["sha256"]) for x in cat.excluded}
    missing = [(u.section, u.short(70)) for u in units
               if u.normative and (u.section, u.sha256) not in known]
    assert missing == []


def test_errata_and_extensions_all_catalogued(cat):
    ids = {r["id"] for r in cat}
    errata = catalog_mod.decisions(catalog_mod.ERRATA)
    assert errata, "no decisions found in spec/errata.md"
    assert sorted(set(errata) - ids) == []
    assert sorted(r["id"] for r in cat if r["source"] == "errata"
                  and r["id"] not in errata) == []
    ext = catalog_mod.extensions(catalog_mod.EXTENSIONS)
    assert sorted(set(ext) - ids) == []


def test_every_relay_side_testable_requirement_has_a_case(cat):
    cited = {r for c in REGISTRY.values() for r in c.requirements}
    uncovered = [r["id"] for r in cat if r["testable"]
                 and r["party"] in ("relay", "both") and r["id"] not in cited]
    assert uncovered == []


def test_cases_cite_only_catalogued_requirements(cat):
    for c in REGISTRY.values():
        assert c.requirements, c.id
        for r in c.requirements:
            assert r in cat, "%s cites unknown %s" % (c.id, r)
        assert re.match(r"^(API|REPLAY|THREAT|OPACITY|PROFILE|INPUT|EXPLORE)-"
                        r"[A-Z0-9-]+$", c.id)


def test_rendered_markdown_is_up_to_date():
    import req_render
    assert req_render.main(["--check"]) == 0, \
        "spec/requirements.md is stale: run tools/req_render.py"


def test_normalize_and_keywords():
    assert drafttext.normalize("  The Value\n   SHALL  be ") == \
        "the value shall be"
    units = drafttext.extract_text(
        "1.  Intro\n\n   Relay Server SHALL not look.  It MAY do X.\n\n"
        "   *  name (String, Required) - a name.\n", markdown=False)
    assert [u.keywords for u in units] == [["SHALL NOT"], ["MAY"], []]
    assert units[2].required and units[2].section == "1"


# -- tools/req_diff.py -------------------------------------------------------------

def _diff(*args):
    p = subprocess.run([sys.executable, str(REPO / "tools" / "req_diff.py")]
                       + [str(a) for a in args], capture_output=True,
                       text=True, timeout=120)
    return p


@needs_drafts
def test_req_diff_catalog_against_its_own_draft():
    p = _diff("catalog", HTTP00)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 changed, 0 gone, 0 new" in p.stdout


@needs_drafts
def test_req_diff_finds_new_changed_and_gone(tmp_path):
    text = HTTP00.read_text(encoding="utf-8")
    # changed: a SHALL weakened; gone: the TLS-only sentence removed;
    # new: a MUST added.
    text = text.replace("Relay Server SHALL use Device Claim to bind",
                        "Relay Server SHOULD use Device Claim to bind")
    text = text.replace(
        "   *  Relay Server SHALL only allow TLS connections to thwart\n"
        "      eavesdropping or disruption of communication between Relay "
        "Server\n      and Initiator/Recipient.\n", "")
    text = text.replace(
        "   All Strings SHOULD be UTF-8 encoded",
        "   The relay MUST answer within ten seconds.  All Strings SHOULD "
        "be UTF-8 encoded")
    new = tmp_path / "draft-vinokurov-tigress-http-01.txt"
    new.write_text(text, encoding="utf-8")
    p = _diff("catalog", new, "--json")
    assert p.returncode == 1, p.stderr
    d = json.loads(p.stdout)
    changed = {r for c in d["changed"] for r in c["requirements"]}
    gone = {r for g in d["gone"] for r in g["requirements"]}
    assert "RLY-BIND-ONE-RECIPIENT" in changed
    assert "RLY-TLS-ONLY" in gone
    assert any("MUST" in n["keywords"] for n in d["new"])
    ch = next(c for c in d["changed"]
              if "RLY-BIND-ONE-RECIPIENT" in c["requirements"])
    assert "THREAT-THIRD-DEVICE" in ch["cases"]
    g = next(x for x in d["gone"] if "RLY-TLS-ONLY" in x["requirements"])
    assert "THREAT-PLAIN-HTTP" in g["cases"]
    # draft against draft, text output
    p = _diff(HTTP00, new)
    assert p.returncode == 1
    assert "RLY-TLS-ONLY" in p.stdout and "THREAT-PLAIN-HTTP" in p.stdout
