"""pytest setup for conformance/tests: makes `tigress_py` importable, keeps
a tally of checked cases and prints it in the terminal summary:

    python: checked N vectors (uuid a, rfc3339 b, shareurl c, payload d, bodies e)
    python: wycheproof matched N of M cases

and the lines tests add to `tally["lines"]` (explore: found K/N ...), which
a test cannot print itself under pytest-xdist: a worker's output is not
shown.
"""

import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

VECTOR_SETS = ("uuid", "rfc3339", "shareurl", "payload", "bodies")
_TALLY = pytest.StashKey[dict]()


def pytest_configure(config):
    config.stash[_TALLY] = {"vectors": {name: 0 for name in VECTOR_SETS},
                            "vectors_ran": False,
                            "wycheproof": [0, 0],  # [matched, run]
                            "lines": []}


@pytest.fixture
def tally(request):
    """The run's tally: {"vectors": {set: checked}, "vectors_ran": bool,
    "wycheproof": [matched, run], "lines": [printed at the end]}."""
    return request.config.stash[_TALLY]


def pytest_sessionfinish(session):
    """Under pytest-xdist: a worker hands its tally to the controller."""
    out = getattr(session.config, "workeroutput", None)
    if out is not None:
        out["tigress_tally"] = session.config.stash[_TALLY]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """(xdist controller) add a finished worker's tally to the run's."""
    w = getattr(node, "workeroutput", {}).get("tigress_tally")
    if not w:
        return
    t = node.config.stash[_TALLY]
    for name in VECTOR_SETS:
        t["vectors"][name] += w["vectors"][name]
    t["vectors_ran"] = t["vectors_ran"] or w["vectors_ran"]
    t["wycheproof"] = [a + b for a, b in zip(t["wycheproof"], w["wycheproof"])]
    t["lines"] += w["lines"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    t = config.stash.get(_TALLY, None)
    if not t:
        return
    if t["vectors_ran"]:
        v = t["vectors"]
        parts = ", ".join(f"{name} {v[name]}" for name in VECTOR_SETS)
        terminalreporter.write_line(f"python: checked {sum(v.values())} vectors ({parts})")
    matched, run = t["wycheproof"]
    if run:
        terminalreporter.write_line(f"python: wycheproof matched {matched} of {run} cases")
    for line in t["lines"]:
        terminalreporter.write_line(line)
