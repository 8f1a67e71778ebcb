"""tools/interop on conformance/interop-default.json (ref-relay and the
test relay x ref-client and the Python client, every scenario; the file
tools/interop uses when given none): every cell passes and is printed as
it ends, the three reports exist with the run's label and the suite's
version, the HTML page is self-contained.  Both relays bind 127.0.0.1 on
port 0 and are stopped by the tool.  Then the errors that stop a run
before it starts: each one line, with its own exit status."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "interop"
DEFAULT = REPO / "conformance" / "interop-default.json"
LAST_RE = re.compile(r"^interop: (\d+) cells?, (\d+) passed, (\d+) failed; "
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
    p = subprocess.run([str(TOOL), "--report", str(d), "--label",
                        "make test"],            # the default file
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
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 9 and all(x.startswith("PASS ") for x in
                                   lines[:-1]), p.stdout   # each cell
    assert (sp, sf, na, un) == (56, 0, 4, 0)     # retry: n/a on ref-relay
    # provision: through ref-relay only (the test relay's "skip")


def test_reports(matrix):
    p, d = matrix
    j = json.loads((d / "interop.json").read_text(encoding="utf-8"))
    assert j["file"] == str(DEFAULT)
    assert j["label"] == "make test"
    assert j["suite"]["version"] == j["version"] and j["suite"]["drafts"]
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
        assert cell["skipped"] == ([] if cell["relay"] == "ref-relay" else
                                   ["provision"])   # the relay's "skip"
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
    assert md.startswith("# TIGRESS interop matrix: make test\n")
    assert "tigress-conformance %s (draft-vinokurov-tigress-http-00" % \
        j["version"] in md
    assert "| initiator \\ recipient | ref-client | tigress_py |" in md
    assert "Client x relay" in md
    assert "| ref-client | PASS 7/7 (skipped: provision) |" in md
    assert "| tigress_py | PASS 7/7 (n/a: retry) | PASS 7/7 (skipped: " \
        "provision) |" in md


def test_html_is_self_contained(matrix):
    _, d = matrix
    page = (d / "interop.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert len(page.encode()) < 200_000         # evidence cut to a budget
    assert "<script" not in page.lower() and "<link" not in page.lower()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"' >]*)""", page,
                      re.IGNORECASE)
    assert refs and all(r.startswith("#") for r in refs), refs[:5]
    assert "url(" not in page and "@import" not in page


# -- what stops a run before it starts: one line each, its own status ----------

PY_DRIVER = REPO / "conformance" / "drivers" / "py-client-driver"


def interop(tmp_path, relays, clients=None, args=()):
    f = tmp_path / "impls.json"
    f.write_text(json.dumps({"relays": relays, "scenarios": ["stateless"],
                             "clients": clients or [
                                 {"name": "py", "driver": str(PY_DRIVER)}]}))
    p = subprocess.run([str(TOOL), str(f)] + list(args), capture_output=True,
                       text=True, timeout=120)
    err = p.stderr.strip().splitlines()
    assert len(err) == 1, p.stderr                  # said once
    for raw in ("Traceback", "[Errno", "urllib3", "FAIL 0/1"):
        assert raw not in p.stdout + p.stderr, p.stdout + p.stderr
    assert p.stdout.startswith("interop: could not run ("), p.stdout
    return p.returncode, err[0]


def test_unreachable_relay_is_caught_before_the_run(tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc, line = interop(tmp_path, [{"name": "gone",
                                   "url": "https://127.0.0.1:%d" % port}])
    assert rc == 4 and line == "interop: relay gone: 127.0.0.1:%d refused " \
        "the connection (nothing listens on that port)" % port


def test_wrong_ca_is_caught_before_the_run(tmp_path):
    import sys
    sys.path.insert(0, str(REPO / "conformance"))
    from brokenrelay import certs
    from runner.core import launch
    other, _ = certs.ensure(tmp_path)
    with launch.start_broken([]) as relay:
        rc, line = interop(tmp_path, [{"name": "r", "url": relay.base_url,
                                       "ca": str(other)}])
    assert rc == 5, line
    assert "the relay's certificate (CN=tigress brokenrelay, self-signed) " \
        "is not trusted: it does not chain to a certificate in %s" % other \
        in line


def test_unwritable_report_directory_is_caught_before_the_run(tmp_path):
    from runner.core import launch
    with launch.start_broken([]) as relay:
        rc, line = interop(tmp_path, [{"name": "r", "url": relay.base_url,
                                       "ca": relay.ca}],
                           args=["--report", "/proc/nope"])
    assert (rc, line) == (2, "interop: --report /proc/nope: cannot write "
                          "reports there (no such file or directory)")


@pytest.mark.parametrize("relays, clients, status, said", [
    ([{"name": "r", "start": ["./no-such-relay"]}], None, 4,
     "interop: relay r: %s/no-such-relay cannot be run: no such file or "
     "directory"),
    ([{"name": "r", "url": "https://relay.example/v1"}], None, 2,
     "give the relay's base without a path"),
    ([{"name": "r", "url": "https://relay.example", "ca": "none.pem"}], None,
     2, "none.pem: no such file"),
    ([{"name": "r", "url": "https://relay.example"}],
     [{"name": "c", "driver": "no-such-driver"}], 2,
     "client c: %s/no-such-driver: no such file"),
])
def test_setup_errors_are_one_line(tmp_path, relays, clients, status, said):
    rc, line = interop(tmp_path, relays, clients)
    assert rc == status, line
    assert said.replace("%s", str(tmp_path)) in line, line


def test_no_file_and_bad_arguments(tmp_path):
    p = subprocess.run([str(TOOL), str(tmp_path / "missing.json")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr == "interop: cannot read %s (no such file or " \
        "directory)\n" % (tmp_path / "missing.json")
    p = subprocess.run([str(TOOL), "--help"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and "examples:" in p.stdout
    assert "conformance/interop-default.json" in p.stdout
    assert re.search(r"^  4    unreachable", p.stdout, re.M)
