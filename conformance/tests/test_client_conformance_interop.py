"""tools/interop on conformance/interop-default.json (ref-relay and the
test relay x ref-client and the Python client, every scenario): every cell
passes, the three reports exist, the HTML page is self-contained.  Both
relays bind 127.0.0.1 on port 0 and are stopped by the tool."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "interop"
DEFAULT = REPO / "conformance" / "interop-default.json"
LAST_RE = re.compile(r"^interop: (\d+) cells, (\d+) passed, (\d+) failed; "
                     r"scenarios: (\d+) passed, (\d+) failed, (\d+) n/a, "
                     r"(\d+) unsupported$")


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    r = subprocess.run(["make", "-C", str(REPO), "ref-client/tigress",
                        "ref-relay/tigress-relay"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail("build failed:\n" + r.stdout[-4000:], pytrace=False)
    d = tmp_path_factory.mktemp("interop")
    p = subprocess.run([str(TOOL), str(DEFAULT), "--report", str(d)],
                       capture_output=True, text=True, timeout=300)
    return p, d


def test_every_cell_passes(matrix):
    p, d = matrix
    last = p.stdout.strip().splitlines()[-1]
    m = LAST_RE.match(last)
    assert m, p.stdout + p.stderr
    assert p.returncode == 0, p.stdout + p.stderr
    cells, passed, failed, sp, sf, na, un = map(int, m.groups())
    assert (cells, passed, failed) == (8, 8, 0)
    assert (sp, sf, na, un) == (56, 0, 4, 0)     # retry: n/a on ref-relay
    # provision: through ref-relay only (the test relay's "skip")


def test_reports(matrix):
    p, d = matrix
    j = json.loads((d / "interop.json").read_text(encoding="utf-8"))
    assert {r["name"] for r in j["relays"]} == {"ref-relay", "test relay"}
    assert {c["name"] for c in j["clients"]} == {"ref-client", "tigress_py"}
    assert len(j["cells"]) == 8 and len(j["client_relay"]) == 4
    for cell in j["cells"]:
        assert cell["status"] == "pass" and not cell["failed"]
        byname = {r["scenario"]: r for r in cell["results"]}
        assert set(byname) == {"stateless", "stateful", "cancel",
                               "relinquish", "second-recipient", "tamper",
                               "retry"} | ({"provision"} if cell["relay"] ==
                                           "ref-relay" else set())
        for r in cell["results"]:
            if r["status"] == "n/a":
                assert cell["relay"] == "ref-relay" and r["scenario"] == \
                    "retry"
                continue
            assert r["steps"] and all(s["exit"] == s["expected"]
                                      for s in r["steps"])
            assert r["checks"] and all(c["ok"] for c in r["checks"])
        if cell["relay"] == "test relay":      # recorded: the exchanges
            retry = byname["retry"]
            assert retry["exchanges"]
            creates = [x for x in retry["exchanges"]
                       if x["method"] == "POST" and x["target"] == "/v1/m"]
            assert [x["aborted"] for x in creates] == ["drop", None]
            assert creates[1]["status"] == 201
        assert byname["cancel"]["steps"][-1]["expected"] == 8
        assert byname["second-recipient"]["steps"][2]["exit"] == 9
        assert byname["tamper"]["steps"][1]["exit"] == 7
        if "provision" in byname:           # the credential checked
            checks = {c["expected"] for c in byname["provision"]["checks"]}
            assert "the credential: signed with the issuer's key" in checks
            assert [s["step"] for s in byname["provision"]["steps"]] == [
                "share", "accept", "request", "issue", "install", "finish"]
    md = (d / "interop.md").read_text(encoding="utf-8")
    assert "| initiator \\ recipient | ref-client | tigress_py |" in md
    assert "Client x relay" in md


def test_html_is_self_contained(matrix):
    _, d = matrix
    page = (d / "interop.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower() and "<link" not in page.lower()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"' >]*)""", page,
                      re.IGNORECASE)
    assert refs and all(r.startswith("#") for r in refs), refs[:5]
    assert "url(" not in page and "@import" not in page
