"""The interop reports without running a matrix: a failed scenario names
the requirements it breaks (with draft and section) in interop.json,
interop.md and interop.html; the HTML page keeps to the conformance
page's budget, cutting evidence the same way (size and SHA-256); the
summary line counts one cell as one cell.  The matrix is built in
memory: no relay, no driver runs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

from runner.core import catalog
from runner.core.driver import DriverRun
from runner.core.report import HTML_PAGE
from runner.interop import report
from runner.interop.matrix import (CHECK_REQUIREMENTS, STEP_REQUIREMENTS,
                                   Cell, Matrix, RelayHandle, Result)

CLIENTS = [{"name": "a", "driver": "/drv/a"}, {"name": "b",
                                                "driver": "/drv/b"}]


def relay(name):
    h = RelayHandle({"name": name, "url": "https://127.0.0.1:9"}, "/")
    h.url = "https://127.0.0.1:9"           # as if reached
    return h


def driver_run(scenario, step, code, expected, out=b"x" * 20000):
    party = SimpleNamespace(name="recipient", driver="/drv/b",
                            role="recipient")
    r = DriverRun(party, scenario, step, {"TIGRESS_RELAY": "https://h"})
    r.exit, r.expected = code, expected
    r.stdout, r.stderr = out, b"tigress: something\n" * 300
    return r


def exchange(n):
    body = {"encoding": "utf-8", "data": "y" * 1500, "length": 70000,
            "truncated": True, "sha256": "%064x" % n}
    return {"time": 0.0, "method": "POST", "target": "/v1/m/%d" % n,
            "headers": [["Mailbox-Request-ID", "r%d" % n]], "body": body,
            "status": 200, "aborted": None, "fault": None,
            "response_headers": [], "response_body": body}


def matrix(cells):
    m = Matrix({"_file": "/x/impls.json", "scenarios": ["cancel"],
                "clients": CLIENTS})
    m.relays = [relay("r%d" % i) for i in range(2)]
    m.cells = cells
    m.started, m.duration = time.time(), 1.0
    return m


def failed_cancel():
    """A cell whose `cancel` scenario failed: the recipient's accept of
    the cancelled share exited 0 instead of 8."""
    c = Cell("r0", "a", "b")
    r = Result("cancel")
    reqs = STEP_REQUIREMENTS[("accept", 8)]
    r.checks.append((False, "recipient cancel accept: exit 8",
                     "recipient cancel accept: exit 0 (success)", reqs))
    r.fail("expected exit 8, got exit 0", reqs)
    r.runs = [driver_run("cancel", "accept", 0, 8)]
    r.exchanges = [exchange(1)]
    c.results.append(r)
    return c


def passed_cell(relay_name, n):
    c = Cell(relay_name, "a", "a")
    for s in ("stateless", "stateful", "relinquish", "tamper"):
        r = Result(s)
        r.checks.append((True, "ok", "", ()))
        r.runs = [driver_run(s, st, 0, 0) for st in ("share", "accept",
                                                     "finish")]
        r.exchanges = [exchange(n * 100 + i) for i in range(20)]
        c.results.append(r)
    return c


def test_every_cited_requirement_is_in_the_catalog():
    cat = catalog.load()
    ids = [x for v in list(STEP_REQUIREMENTS.values()) +
           list(CHECK_REQUIREMENTS.values()) for x in v]
    assert ids and [x for x in ids if x not in cat] == []


def test_a_failed_scenario_names_the_requirements_it_breaks(tmp_path):
    m = matrix([failed_cancel()])
    paths = report.write_all(m, tmp_path)
    j = json.loads(paths["json"].read_text())
    r = j["cells"][0]["results"][0]
    assert r["requirements"] == ["RLY-READ-404", "CLI-READ-404"]
    assert r["citations"] == {
        "RLY-READ-404": "draft-vinokurov-tigress-http-00 §6.5.4",
        "CLI-READ-404": "draft-vinokurov-tigress-http-00 §6.5.4"}
    assert r["checks"][0]["requirements"] == r["requirements"]
    assert j["requirements"]["RLY-READ-404"]["section"] == "6.5.4"
    md = paths["markdown"].read_text()
    assert "- requirements: RLY-READ-404 (draft-vinokurov-tigress-http-00 " \
        "§6.5.4); CLI-READ-404 (draft-vinokurov-tigress-http-00 §6.5.4)" \
        in md
    page = paths["html"].read_text()
    assert "<p>Requirements: RLY-READ-404 (http-00 §6.5.4), CLI-READ-404 " \
        "(http-00 §6.5.4)</p>" in page
    assert "<h2>Requirements cited</h2>" in page
    # the one-cell summary is singular
    assert m.summary_line().startswith("interop: 1 cell, 0 passed, 1 failed")


def test_html_keeps_to_the_page_budget_and_cuts_evidence(tmp_path):
    """Eight cells of large driver output and relay bodies: the page
    stays within the conformance page's budget, bodies are cut with their
    size and SHA-256, the failed scenario's evidence is shown first, and
    the JSON keeps every run and exchange."""
    cells = [failed_cancel()] + [passed_cell("r%d" % (i % 2), i)
                                 for i in range(7)]
    m = matrix(cells)
    paths = report.write_all(m, tmp_path)
    page = paths["html"].read_text()
    assert len(page) <= HTML_PAGE + 10_000, len(page)
    assert re.search(r"cut: 70000 bytes in all, SHA-256 0{63}1", page)
    first = page.index("<b>cancel</b>")
    assert "recipient cancel accept -&gt; exit 0" in page[first:first + 8000]
    assert "shown here; all in interop.json)" in page
    j = json.loads(paths["json"].read_text())
    assert sum(len(r["exchanges"]) for c in j["cells"]
               for r in c["results"]) == 1 + 7 * 4 * 20
    assert Path(paths["markdown"]).stat().st_size < 20_000
