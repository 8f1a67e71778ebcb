"""The client suite (tools/tigress-conformance client): both drivers of
tigress-ref pass; every deliberate defect of py-client-driver
(TIGRESS_DRIVER_DEFECTS) is reported by the case that targets it, on the
requirement it breaks; the command line keeps the relay runner's exit
codes, summary line and reports; `make conformance CLIENT=...` runs it.

Each suite run starts its own in-process test relays (127.0.0.1, port 0),
stopped before the run returns.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

from runner.core import catalog as catalog_mod  # noqa: E402
from runner.client import engine as client_engine  # noqa: E402
from runner.client.registry import CLIENT_REGISTRY  # noqa: E402

TOOL = REPO / "tools" / "tigress-conformance"
DRIVERS = CONFORMANCE / "drivers"
PY = str(DRIVERS / "py-client-driver")
REF = str(DRIVERS / "ref-client-driver")
CAT = catalog_mod.load()
SUMMARY_RE = re.compile(r"^conformance: (\d+) passed, (\d+) failed(, .*)?$")

# defect -> (cases to run, the case that catches it, its verdict, the
# requirement it must report); conformance/drivers/README.md has the table.
DEFECTS = {
    "leak-fragment": (["SECRET"], "SECRET-RECIPIENT", "FAIL",
                      "CLI-FRAGMENT-STRIP"),
    "leak-secret-header": (["SECRET-INITIATOR"], "SECRET-INITIATOR", "FAIL",
                           "CLI-ENCRYPT"),
    "leak-secret-body": (["SECRET-INITIATOR"], "SECRET-INITIATOR", "FAIL",
                         "SCT-SECRET-NEVER"),
    "new-request-id-on-retry": (["RETRY-SAME-REQID", "RETRY-201"],
                                "RETRY-SAME-REQID", "WARN",
                                "CLI-RETRY-SAME-REQID"),
    "reused-request-id": (["REQID-FRESH"], "REQID-FRESH", "FAIL",
                          "CLI-CREATE-REQID"),
    "no-request-id": (["REQID-PRESENT"], "REQID-PRESENT", "FAIL",
                      "CLI-CREATE-REQID"),
    "reused-claim": (["CLAIM-FRESH"], "CLAIM-FRESH", "WARN",
                     "CLI-CLAIM-FRESH"),
    "same-claim-both-parties": (["CLAIM-DISTINCT"], "CLAIM-DISTINCT", "FAIL",
                                "CLI-CLAIM-DISTINCT"),
    "non-uuid-claim": (["CLAIM-UUID"], "CLAIM-UUID", "FAIL",
                       "CLI-CLAIM-UUID"),
    "reused-iv": (["PAYLOAD-IV"], "PAYLOAD-IV", "FAIL", "CLI-AEAD-IV-RANDOM"),
    "constant-iv": (["PAYLOAD-IV"], "PAYLOAD-IV", "FAIL", "CLI-AEAD-IV-RANDOM"),
    "short-key": (["PAYLOAD-KEY"], "PAYLOAD-KEY", "FAIL",
                  "CLI-AEAD-AES256-GCM"),
    "wrong-aead-type": (["PAYLOAD-FORM"], "PAYLOAD-FORM", "FAIL",
                        "RLY-PAYLOAD-TYPE"),
    "accept-tampered": (["REFUSE-TAMPERED", "REFUSE-TYPE"], "REFUSE-TAMPERED",
                        "FAIL", "CLI-INTEGRITY"),
    "no-finish-delete": (["FLOW-FINISH"], "FLOW-FINISH", "WARN",
                         "SCT-RECEIVER-DELETES"),
    "ignore-401": (["REFUSE-401"], "REFUSE-401", "FAIL", "CLI-READ-401"),
    "ignore-404": (["REFUSE-404"], "REFUSE-404", "FAIL", "CLI-READ-404"),
    "reject-201": (["RETRY-201"], "RETRY-201", "FAIL", "CLI-CREATE-201"),
    "no-echo-check": (["REQID-MATCH"], "REQID-MATCH", "FAIL",
                      "CLI-REQID-MATCH"),
    # retrying is optional (http-00 5.1, lower-case "may"): a client that
    # never retries is told so, as UNSUPPORTED, not failed
    "no-retry": (["RETRY-SAME-REQID"], "RETRY-SAME-REQID", "UNSUPPORTED",
                 None),
    # issue 9: the checks that did not exist
    "no-tls-verify": (["TLS"], "TLS-UNTRUSTED", "FAIL", "CLI-HTTPS-VERIFY"),
    "print-secret": (["SECRET-OUTPUT"], "SECRET-OUTPUT", "WARN",
                     "E-SECRET-LOCAL"),
    "reused-notify-token": (["PRIVACY-NOTIFY"], "PRIVACY-NOTIFY", "WARN",
                            "CLI-NOTIFY-FRESH"),
    "device-attestation": (["PRIVACY-ATTEST"], "PRIVACY-ATTEST", "FAIL",
                           "CLI-ATTEST-NO-ID"),
    "identifying-notify-token": (["PRIVACY-NOTIFY"], "PRIVACY-NOTIFY", "FAIL",
                                 "CLI-NOTIFY-NO-ID"),
    "more-rights": (["REQUEST-CONFIG"], "REQUEST-CONFIG", "WARN",
                    "E-CONFIG-AS-ASKED"),
    "wrong-lifetime": (["REQUEST-CONFIG"], "REQUEST-CONFIG", "WARN",
                       "E-CONFIG-AS-ASKED"),
    # issue 14: the client threats that had no case (spec/threat-model.md)
    "time-claim": (["CLAIM-RANDOM"], "CLAIM-RANDOM", "WARN",
                   "E-CLAIM-RANDOM"),
    "fixed-secret": (["SECRET-FRESH"], "SECRET-FRESH", "WARN",
                     "SCT-SECRET-PER-MAILBOX"),
    "echo-display": (["PREVIEW-HOSTILE"], "PREVIEW-HOSTILE", "WARN",
                     "E-DISPLAY-UNTRUSTED"),
    "fetch-image": (["PREVIEW-NO-FETCH"], "PREVIEW-NO-FETCH", "INFO",
                    "E-IMAGE-NO-FETCH"),
    "last-digest-only": (["RECEIVE-STALE"], "RECEIVE-STALE", "WARN",
                         "E-RECEIVE-NEW"),
    "follow-http-url": (["TLS-HTTP-URL"], "TLS-HTTP-URL", "FAIL",
                        "RLY-HTTPS-URI"),
    # nothing to examine: never a PASS, and the run has nothing to judge
    "no-op": (["URL-FORM", "TLS"], "TLS-UNTRUSTED", "UNSUPPORTED", None),
    "unsupported": (["URL-FORM"], "URL-FORM", "UNSUPPORTED", None),
}
NOTHING_TO_JUDGE = {"no-op", "unsupported"}


def suite(driver, patterns=None, draft="http-00", defects=""):
    selected = client_engine.select(patterns, draft)
    results, sessions = client_engine.run(
        driver, draft, selected, CAT, timeout=15, workers=2,
        driver_env={"TIGRESS_DRIVER_DEFECTS": defects})
    return {r.id: r for r in results}, sessions, \
        client_engine.nothing_to_judge(results, sessions)


@pytest.fixture(scope="module")
def built():
    r = subprocess.run(["make", "-C", str(REPO), "ref-client/tigress"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail("build failed:\n" + r.stdout[-4000:], pytrace=False)


@pytest.fixture(scope="module")
def clean(built):
    """Full runs of both drivers (and ref-client-driver under sct-04)."""
    plan = {("py", "http-00"): PY, ("ref", "http-00"): REF,
            ("ref", "sct-04"): REF}
    with ThreadPoolExecutor(2) as pool:
        futs = {k: pool.submit(suite, d, None, k[1]) for k, d in plan.items()}
        return {k: f.result()[:2] for k, f in futs.items()}


@pytest.fixture(scope="module")
def defect_runs(built):
    with ThreadPoolExecutor(3) as pool:
        futs = {d: pool.submit(suite, PY, cases, "http-00", d)
                for d, (cases, *_rest) in DEFECTS.items()}
        return {d: f.result()[::2] for d, f in futs.items()}


def test_registry():
    assert len(CLIENT_REGISTRY) >= 30
    for c in CLIENT_REGISTRY.values():
        assert c.requirements and c.sessions, c.id
        for r in c.requirements:
            assert r in CAT, "%s cites unknown %s" % (c.id, r)
    ids = {r for c in CLIENT_REGISTRY.values() for r in c.requirements}
    # the checks issue 6 asks for, each with its requirement
    for rid in ("CLI-FRAGMENT-STRIP", "CLI-CREATE-REQID", "CLI-REQID-UUID",
                "CLI-RETRY-SAME-REQID", "CLI-CLAIM-UUID", "CLI-CLAIM-FRESH",
                "CLI-CLAIM-DISTINCT", "RLY-PAYLOAD-TYPE", "CLI-AEAD-IV-RANDOM",
                "CLI-AEAD-AES256-GCM", "CLI-INTEGRITY", "CLI-CREATE-201",
                "CLI-READ-401", "CLI-READ-404", "SCT-RECEIVER-DELETES",
                "RLY-URL-MAILBOX", "Req-InvitationChannel",
                # and issue 9's
                "CLI-HTTPS-VERIFY", "E-SECRET-LOCAL", "CLI-NOTIFY-NO-ID",
                "CLI-ATTEST-NO-ID", "E-CONFIG-AS-ASKED",
                # and issue 14's
                "E-CLAIM-RANDOM", "SCT-SECRET-PER-MAILBOX",
                "E-DISPLAY-UNTRUSTED", "E-IMAGE-NO-FETCH", "E-RECEIVE-NEW"):
        assert rid in ids, rid


@pytest.mark.parametrize("key", [("py", "http-00"), ("ref", "http-00"),
                                 ("ref", "sct-04")],
                         ids=["py-http00", "ref-http00", "ref-sct04"])
def test_clean_driver_passes(clean, key):
    results, sessions = clean[key]
    assert len(results) == len([c for c in CLIENT_REGISTRY.values()
                                if key[1] in c.drafts])
    bad = {r.id: (r.verdict, r.line) for r in results.values()
           if r.verdict != "PASS"}
    assert bad == {}
    assert not [s.name for s in sessions.values() if s.error or
                s.unsupported]
    assert all(r.traffic for r in results.values())


# Named only when a client seals with AEAD_AES_128_GCM, which neither
# driver does on its own (the suite's peer uses it in RECEIVE-AES128).
VARIANT_ONLY = {("PAYLOAD-KEY", "CLI-AEAD-AES128-GCM")}


def test_every_declared_requirement_is_checked(clean):
    """A case's requirement list is what its checks name."""
    checked = {}
    for results, _ in clean.values():
        for r in results.values():
            checked.setdefault(r.id, set()).update(r.checked)
    for cid, seen in checked.items():
        declared = set(CLIENT_REGISTRY[cid].requirements)
        assert seen <= declared, (cid, seen - declared)
        missing = {x for x in declared - seen if (cid, x) not in VARIANT_ONLY}
        assert not missing, (cid, missing)


def test_evidence_is_kept(clean):
    results, _ = clean[("ref", "http-00")]
    r = results["REQID-FRESH"]
    assert r.evidence
    reqs = [e for e in r.evidence if not e.get("raw")]
    runs = [e for e in r.evidence if e.get("driver")]
    assert reqs and runs
    assert any(h[0].lower() == "mailbox-request-id"
               for e in reqs for h in e["request"]["headers"])
    assert runs[0]["response"]["status"] == 0


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_defect_is_caught(defect_runs, defect):
    cases, target, verdict, req = DEFECTS[defect]
    results, nothing = defect_runs[defect]
    assert bool(nothing) == (defect in NOTHING_TO_JUDGE), nothing
    if nothing:
        assert not [x.id for x in results.values() if x.verdict == "PASS"]
    r = results[target]
    assert r.verdict == verdict, (r.verdict, r.line)
    if req is not None:
        assert req in r.failed_requirements, (r.failed_requirements, r.line)
        assert CAT.verdict(req) == verdict or verdict == "WARN", req
    assert not [x.id for x in results.values() if x.verdict == "ERROR"], \
        [(x.id, x.notes[-1]) for x in results.values()
         if x.verdict == "ERROR"]


def test_at_least_eight_defects_fail():
    assert sum(v[2] == "FAIL" for v in DEFECTS.values()) >= 8


# -- the command line ---------------------------------------------------------------

def tool(*args, env=None, timeout=180):
    e = {k: v for k, v in os.environ.items() if k != "TIGRESS_DRIVER_DEFECTS"}
    e.update(env or {})
    p = subprocess.run([str(TOOL)] + [str(a) for a in args], env=e,
                       capture_output=True, text=True, timeout=timeout)
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    return p.returncode, p.stdout, p.stderr, last


def test_cli_exit_codes_and_reports(built, tmp_path):
    rc, out, err, last = tool("client", REF, "--case", "URL", "REFUSE-404",
                              "--report", tmp_path / "ok")
    assert rc == 0 and SUMMARY_RE.match(last), out + err
    assert last.startswith("conformance: 3 passed, 0 failed")
    j = json.loads((tmp_path / "ok" / "conformance.json").read_text())
    assert j["kind"] == "client" and j["client"] == REF
    assert {c["id"] for c in j["cases"]} == {"URL-FORM", "URL-LENGTH",
                                             "REFUSE-404"}
    ET.parse(str(tmp_path / "ok" / "conformance.xml"))
    page = (tmp_path / "ok" / "conformance.html").read_text()
    assert "<script" not in page and not re.search(
        r'(src|href)="(?!#)', page)
    # a failure: exit 1, and with --expected-failures 0 again
    rc, out, err, last = tool("client", PY, "--case", "REFUSE-404",
                              env={"TIGRESS_DRIVER_DEFECTS": "ignore-404"})
    assert rc == 1 and "FAIL" in out and "CLI-READ-404" in out, out + err
    assert SUMMARY_RE.match(last).group(2) == "1"
    known = tmp_path / "known.txt"
    known.write_text("REFUSE-404   # known\n")
    rc, out, err, last = tool("client", PY, "--case", "REFUSE-404",
                              "--expected-failures", known,
                              env={"TIGRESS_DRIVER_DEFECTS": "ignore-404"})
    assert rc == 0 and "1 xfailed" in last, out + err


@pytest.mark.parametrize("args", [
    ["client", "/nonexistent/driver"],
    ["client", PY, "--case", "NO-SUCH-CASE"],
    ["client", PY, "--draft", "http-99"],
    ["client"],
])
def test_cli_cannot_run_exits_2(args):
    rc, out, err, last = tool(*args)
    assert rc == 2, out + err


# Issue 9: drivers that do nothing a check could examine.  Each gets no
# PASS, and the run exits 3 "nothing to judge".
DEAD = {"exits-127": "echo 'unsupported' >&2\nexit 127",
        "fails-everything": "echo 'cannot do that' >&2\nexit 1"}


@pytest.mark.parametrize("kind", sorted(DEAD))
def test_dead_driver_has_nothing_to_judge(tmp_path, kind):
    d = tmp_path / kind
    d.write_text("#!/bin/sh\n%s\n" % DEAD[kind])
    d.chmod(d.stat().st_mode | stat.S_IEXEC)
    rc, out, err, last = tool("client", d)
    assert rc == 3, out + err
    assert not re.search(r"^PASS ", out, re.M), out
    assert SUMMARY_RE.match(last), last
    assert re.search(r", 0 of \d+ cases observed driver traffic, nothing to "
                     r"judge$", last), last
    assert "nothing to judge:" in out


def test_no_secret_to_examine_is_unsupported(tmp_path):
    """py-client-driver behind a wrapper that cuts the Secret off its share
    URLs: the checks that search for the Secret have nothing to look for."""
    d = tmp_path / "no-fragment"
    d.write_text('#!/bin/sh\n"%s" "$@"; rc=$?\nif [ "$3" = share ] && '
                 '[ $rc = 0 ]; then sed -i "s/#.*//" "$TIGRESS_OUT"; fi\n'
                 'exit $rc\n' % PY)
    d.chmod(d.stat().st_mode | stat.S_IEXEC)
    results, _, nothing = suite(str(d), ["SECRET-INITIATOR", "URL-FORM"])
    r = results["SECRET-INITIATOR"]
    assert r.verdict == "UNSUPPORTED" and "no Secret" in r.got, r.line
    assert results["URL-FORM"].failed_requirements == ["CLI-SECRET-FRAGMENT"]
    assert nothing is None


def test_make_conformance_client(built):
    """The make target's wiring (a full run of this driver is `clean`)."""
    p = subprocess.run(["make", "-s", "-C", str(REPO), "conformance",
                        "CLIENT=conformance/drivers/ref-client-driver",
                        "CASES=URL REFUSE-404"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert SUMMARY_RE.match(p.stdout.strip().splitlines()[-1])
    assert (REPO / "build" / "conformance-client" / "conformance.json"
            ).exists()
