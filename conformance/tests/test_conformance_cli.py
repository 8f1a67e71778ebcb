"""tools/tigress-conformance as a program, as a stranger uses it: one line
for every user error (never a traceback or library text), an exit status
per kind of failure (core/exits.py), --version and --help, the summary
line CI reads, --case selection, --expected-failures, the reports."""

import json
import os
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
TOOL = REPO / "tools" / "tigress-conformance"
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

from runner.core import launch  # noqa: E402

SUMMARY_RE = re.compile(r"^conformance: (\d+) passed, (\d+) failed(, .*)?$")


def tool(*args, timeout=180):
    p = subprocess.run([str(TOOL)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=timeout)
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    return p.returncode, p.stdout, p.stderr, last


@pytest.fixture(scope="module")
def cookie_relay():
    """A broken relay that sets cookies (THREAT-NO-COOKIES fails)."""
    with launch.start_broken(["cookie"]) as r:
        yield r


def test_tool_is_an_executable_script():
    assert os.access(TOOL, os.X_OK)
    assert TOOL.read_text().startswith("#!/usr/bin/python3\n")


def one_line(err: str) -> str:
    """The one line a user error prints: no traceback, no library text."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for raw in ("Traceback", "urllib3", "object at 0x", "[Errno",
                "HTTPSConnectionPool", "Max retries"):
        assert raw not in err, err
    assert lines[0].startswith("tigress-conformance: "), err
    return lines[0]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                   # nobody listens there
    return port


def test_unreachable_relay_exits_4():
    port = free_port()
    rc, out, err, last = tool("relay", "https://127.0.0.1:%d" % port)
    assert rc == 4, out + err
    line = one_line(err)
    assert "127.0.0.1:%d refused the connection" % port in line
    m = SUMMARY_RE.match(last)
    assert m and m.group(1) == "0" and m.group(2) == "0"
    assert last.endswith("could not run (relay unreachable)")


# Issue 12's examples, and their kin: refused before anything is sent.
@pytest.mark.parametrize("args, said", [
    (["relay", "https://relay.example:8443", "--ca", "ca.pem", "--report",
      "out/"], "--ca ca.pem: no such file"),
    (["relay", "not a url"], "'not a url' is not a relay URL"),
    (["relay", "relay.example.org"], "relay.example.org is not a URL: give "
     "the relay's base with its scheme, https://relay.example.org"),
    (["relay", "https://relay.example:8443/v1"], "give the relay's base "
     "without a path"),
    (["relay", "http://relay.example:8443"], "reached over HTTPS"),
    (["relay", "https://relay.example:99999"], "the port is not a number"),
    (["relay", "https://relay.example", "--ca", "/etc/hostname"],
     "holds no PEM certificate"),
    (["relay", "https://relay.example", "--ca", "/etc"], "a directory"),
    (["relay", "https://relay.example", "--ca", "/etc/hostname",
      "--insecure"], "contradict"),
    (["relay", "https://relay.example", "--expected-failures",
      "/nonexistent/known.txt"], "cannot read it (no such file"),
    (["relay", "https://relay.example", "--draft", "http-99"],
     "invalid choice: 'http-99'"),
    (["relay", "https://relay.example", "--no-such-option"],
     "unrecognized arguments: --no-such-option"),
    (["relay"], "give a relay URL, or --start-ref"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "give a command"),
])
def test_user_errors_are_one_line_exit_2(args, said):
    rc, out, err, last = tool(*args)
    assert rc == 2, out + err
    assert said in one_line(err), err
    assert last == "conformance: 0 passed, 0 failed, could not run (usage " \
        "error)"


@pytest.mark.parametrize("args", [
    ["relay", "--start-ref", "--case", "API-CREATE"],
    ["client", "{driver}", "--case", "URL-FORM"],
    ["lab", "--listen", "127.0.0.1:0"],
])
@pytest.mark.parametrize("where, said", [
    ("/proc/nope", "--report /proc/nope: cannot write reports there (no "
     "such file or directory)"),
    ("/etc/passwd", "--report /etc/passwd: not a directory"),
])
def test_unwritable_report_directory_stops_before_the_run(args, where, said):
    """--report where nothing can be written: refused before a relay
    starts or a case runs, not after the run with its results lost."""
    driver = REPO / "conformance" / "drivers" / "py-client-driver"
    rc, out, err, last = tool(*[a.format(driver=driver) for a in args],
                              "--report", where, timeout=60)
    assert rc == 2, out + err
    assert one_line(err) == "tigress-conformance: " + said
    assert out == "conformance: 0 passed, 0 failed, could not run (usage " \
        "error)\n"                               # no case ran


def test_make_conformance_without_scheme():
    """`make conformance RELAY=relay.example.org`: the tool's one line,
    its exit status through make, no traceback."""
    p = subprocess.run(["make", "-s", "-C", str(REPO), "conformance",
                        "RELAY=relay.example.org"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0
    assert "tigress-conformance: relay.example.org is not a URL" in p.stderr
    assert "Traceback" not in p.stdout + p.stderr


def test_make_conformance_names_its_ca_setting(cookie_relay):
    """Under make the CA file is the setting CA=FILE: the hint for an
    untrusted certificate says that, not the tool's --ca FILE."""
    p = subprocess.run(["make", "-s", "-C", str(REPO), "conformance",
                        "RELAY=" + cookie_relay.base_url],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0
    assert "is not trusted: it does not chain to a certificate the system " \
        "trusts (give the relay's certificate or its CA with CA=FILE)" in \
        p.stderr, p.stderr
    rc, _, err, _ = tool("relay", cookie_relay.base_url)
    assert rc == 5 and one_line(err).endswith("with --ca FILE)")


@pytest.fixture(scope="module")
def wrong_ca(tmp_path_factory):
    """A PEM file holding a certificate that is not the relay's."""
    from brokenrelay import certs
    cert, _ = certs.ensure(tmp_path_factory.mktemp("other-ca"))
    return cert


def test_tls_errors_in_plain_words(cookie_relay, wrong_ca):
    # no --ca: the system does not trust a self-signed relay; --ca helps
    rc, out, err, last = tool("relay", cookie_relay.base_url)
    assert rc == 5, out + err
    line = one_line(err)
    assert "the relay's certificate (CN=tigress brokenrelay, self-signed) " \
        "is not trusted" in line
    assert "give the relay's certificate or its CA with --ca FILE" in line
    assert last.endswith("could not run (TLS failure)")
    # a --ca that is not the relay's: said so, without suggesting --ca
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              wrong_ca)
    assert rc == 5, out + err
    line = one_line(err)
    assert "does not chain to a certificate in %s" % wrong_ca in line
    assert "give the relay's" not in line


def test_a_plain_http_server_is_not_tls():
    import http.server
    import threading
    srv = http.server.HTTPServer(("127.0.0.1", 0),
                                 http.server.BaseHTTPRequestHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        rc, out, err, last = tool("relay", "https://127.0.0.1:%d" %
                                  srv.server_address[1])
    finally:
        srv.shutdown()
    assert rc == 5, out + err
    assert "does not speak TLS" in one_line(err)


def test_version_and_help():
    rc, out, err, last = tool("--version")
    assert rc == 0, err
    from runner import __version__
    assert out.startswith("tigress-conformance %s (draft-vinokurov-tigress-"
                          "http-00, draft-secure-credential-transfer-04" %
                          __version__), out
    from runner.core import exits
    for cmd in ([], ["relay"], ["client"]):
        rc, out, err, last = tool(*(cmd + ["--help"]))
        assert rc == 0, err
        assert "examples:" in out and "tigress-conformance relay https://" \
            in out
        for code, _ in exits.MEANING:       # every status documented
            assert re.search(r"^  %-5d\S" % code, out, re.M), (code, out)
        if cmd:                             # all four formats named
            opt = re.search(r"^  --report DIR +(.*?)\n  -", out,
                            re.M | re.S).group(1)
            assert re.sub(r"\s+", " ", opt).startswith(
                "write conformance.json, .xml (JUnit), .html and .md"), opt
    # and in the READMEs
    for readme in (REPO / "conformance" / "README.md",
                   REPO / "tools" / "README.md"):
        text = readme.read_text()
        for code, _ in exits.MEANING:
            assert re.search(r"\| \*\*%d\*\* \|" % code, text), (readme,
                                                                 code)


def test_case_matching_nothing(cookie_relay):
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "NO-SUCH-CASE")
    assert rc == 2 and "no case matches" in one_line(err)
    # a case of the other profile only: nothing is executed
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "PROFILE-SCT04-PARAM")
    assert rc == 3, out + err
    assert "selects no case of http-00 (sct-04 only)" in one_line(err)
    assert last.endswith("could not run (nothing executed)")


def test_internal_error_and_interrupt_are_one_line(monkeypatch):
    from io import StringIO
    from runner import cli

    def boom(*a):
        raise RuntimeError("something odd\nsecond line")
    for exc, rc_want, said in ((boom, 6, "internal error: RuntimeError: "
                                "something odd\\x0asecond line (a bug"),
                               (KeyboardInterrupt, 130, "interrupted")):
        def raiser(*a, _e=exc):
            if _e is boom:
                boom()
            raise _e()
        monkeypatch.setattr(cli, "run_relay", raiser)
        out, err = StringIO(), StringIO()
        rc = cli.main(["relay", "https://relay.example"], out, err)
        assert rc == rc_want
        assert said in one_line(err.getvalue()), err.getvalue()


def test_a_reader_that_goes_away_stops_the_run_quietly():
    """`tigress-conformance relay ... | head -1`: the run stops at the next
    line it writes, exits 141 without a word, and stops the relay it
    started."""
    p = subprocess.Popen([str(TOOL), "relay", "--start-ref", "--case",
                          "API", "INPUT"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    p.stdout.close()                    # as head -1 does
    rc = p.wait(120)
    err = p.stderr.read()
    p.stderr.close()
    assert first.startswith("tigress-conformance "), first
    assert rc == 141, err
    assert "Traceback" not in err and "rror" not in err, err
    url = re.search(r"started ref-relay at https://([0-9.]+):(\d+)", err)
    assert url, err
    with pytest.raises(OSError):
        socket.create_connection((url.group(1), int(url.group(2))),
                                 timeout=5).close()


def test_failure_exits_1_and_reports(cookie_relay, tmp_path):
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "THREAT-NO-COOKIES",
                              "API-CREATE-200", "--report", tmp_path)
    assert rc == 1, out + err
    m = SUMMARY_RE.match(last)
    assert m and m.group(1) == "1" and m.group(2) == "1", last
    assert "FAIL        THREAT-NO-COOKIES" in out
    assert "RLY-NO-TRACK" in out and "expected " in out
    j = json.loads((tmp_path / "conformance.json").read_text())
    assert j["exit_status"] == 1
    case = next(c for c in j["cases"] if c["id"] == "THREAT-NO-COOKIES")
    assert case["verdict"] == "FAIL" and case["evidence"]
    assert "RLY-NO-TRACK" in case["failed_requirements"]
    root = ET.parse(tmp_path / "conformance.xml").getroot()
    failures = [tc.get("name") for tc in root.iter("testcase")
                if tc.find("failure") is not None]
    assert failures == ["THREAT-NO-COOKIES"]
    html = (tmp_path / "conformance.html").read_text()
    assert "THREAT-NO-COOKIES" in html and "<details" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)


def test_category_prefix_selects_cases(cookie_relay):
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "REPLAY-UPDATE",
                              "--quiet")
    m = SUMMARY_RE.match(last)
    assert rc == 0 and m and m.group(1) == "1", out + err   # REPLAY-UPDATE-201


def test_expected_failures(cookie_relay, tmp_path):
    xf = tmp_path / "expected.txt"
    xf.write_text("# known to fail on this relay\nTHREAT-NO-COOKIES\n"
                  "API-CREATE-200   # fixed meanwhile\n")
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "THREAT-NO-COOKIES",
                              "API-CREATE-200", "--expected-failures", xf,
                              "--report", tmp_path / "r")
    assert rc == 0, out + err
    m = SUMMARY_RE.match(last)
    assert m and m.group(2) == "0", last
    assert "1 xfailed" in last and "1 xpassed" in last
    assert "expected failures that now pass: API-CREATE-200" in out
    j = json.loads((tmp_path / "r" / "conformance.json").read_text())
    assert j["expected_failures"]["now_passing"] == ["API-CREATE-200"]
    assert j["expected_failures"]["still_failing"] == ["THREAT-NO-COOKIES"]
    # a failure not in the list is new: exit 1
    xf.write_text("API-CREATE-200\n")
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "THREAT-NO-COOKIES",
                              "API-CREATE-200", "--expected-failures", xf)
    assert rc == 1 and "new failures: THREAT-NO-COOKIES" in out
    # an unreadable list is a usage error
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--expected-failures",
                              tmp_path / "missing.txt")
    assert rc == 2


def test_start_broken_and_list():
    rc, out, err, last = tool("relay", "--start-broken", "none", "--case",
                              "API-READ-200", "--draft", "sct-04")
    assert rc == 0 and SUMMARY_RE.match(last), out + err
    rc, out, err, last = tool("list")
    assert rc == 0 and "THREAT-CLAIM-RACE" in out and "cases" in last


# -- progress: each case as it finishes, a hung driver announced -----------------

def test_each_case_is_printed_as_it_finishes(monkeypatch):
    """The line of a case is written, and flushed, before the next case
    starts (in process: the order of events, not their timing)."""
    from io import StringIO
    from runner import cli
    from runner.relay import engine as relay_engine
    events = []
    real = relay_engine.core_engine.run_case

    def spy(state, case, context):
        events.append(("run", case.id))
        return real(state, case, context)
    monkeypatch.setattr(relay_engine.core_engine, "run_case", spy)

    class Out(StringIO):
        def write(self, s):
            events.append(("write", s))
            return super().write(s)

        def flush(self):
            events.append(("flush",))
    cases = ["API-CREATE-200", "API-READ-200", "API-PREVIEW-200"]
    rc = cli.main(["relay", "--start-broken", "none", "--case"] + cases,
                  Out(), StringIO())
    assert rc == 0
    ran = [e[1] for e in events if e[0] == "run"]      # in registry order
    assert sorted(ran) == sorted(cases)
    for done, following in zip(ran, ran[1:]):
        wrote = next(i for i, e in enumerate(events) if e[0] == "write"
                     and done in e[1])
        runs = events.index(("run", following))
        assert wrote < runs and ("flush",) in events[wrote:runs], events


def test_live_line_on_a_terminal_and_announcements_elsewhere():
    import time
    from io import StringIO
    from runner.core.progress import Progress

    class Terminal(StringIO):
        def isatty(self):
            return True
    out, err = StringIO(), Terminal()
    with Progress(out, err, total=2) as p:
        p.start("API-CREATE-200")
        p.finish("API-CREATE-200", "PASS", "PASS  API-CREATE-200")
    assert out.getvalue() == "PASS  API-CREATE-200\n"
    shown = err.getvalue()
    assert "[0/2 cases] - running API-CREATE-200 (0 s)" in shown, shown
    assert shown.endswith("\r\x1b[K"), shown    # erased at the end
    # not a terminal: what hangs is announced as lines
    out, err = StringIO(), StringIO()
    began = time.monotonic() - 2.5
    p = Progress(out, err, total=1, announce_every=1, waits=lambda: [
        ('driver step "initiator stateful receive" of my-driver', began)])
    p._announce()
    assert err.getvalue() == 'still waiting for driver step "initiator ' \
        'stateful receive" of my-driver (2 s)\n'
    p._announce()                               # said once per interval
    assert err.getvalue().count("\n") == 1


def test_a_hung_driver_is_announced_while_it_hangs(tmp_path):
    """A driver that hangs in `share` until told to go on: the tool says
    so while it hangs (TIGRESS_ANNOUNCE_EVERY=1 instead of 20 s)."""
    flag = tmp_path / "go-on"
    d = tmp_path / "hanging-driver"
    d.write_text("#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.1; done\n"
                 "exit 127\n" % flag)
    d.chmod(0o755)
    env = dict(os.environ, TIGRESS_ANNOUNCE_EVERY="1")
    p = subprocess.Popen([str(TOOL), "client", str(d), "--case", "URL-FORM",
                          "--workers", "1"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        seen = []
        for line in p.stderr:               # while the driver hangs
            seen.append(line)
            if line.startswith("still waiting for driver step "
                               "\"initiator stateless share\" of "
                               "hanging-driver ("):
                break
        assert p.poll() is None, seen
        flag.touch()
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 3, out + err        # 127 to share: nothing to judge


# -- the client command's errors ------------------------------------------------

@pytest.mark.parametrize("args, said", [
    (["client", "/nonexistent/driver"], "/nonexistent/driver: no such file"),
    (["client", "{plain}"], "is not an executable file"),
    (["client", "/bin/true", "--case", "NO-SUCH-CASE"],
     "no client case matches"),
    (["client"], "the following arguments are required: driver"),
])
def test_client_user_errors_are_one_line(args, said, tmp_path):
    plain = tmp_path / "driver.txt"
    plain.write_text("not a program\n")
    plain.chmod(0o644)
    rc, out, err, last = tool(*[a.format(plain=plain) for a in args])
    assert rc == 2, out + err
    assert said in one_line(err), err


# -- reports: label, suite, citations, printable, budgeted ------------------------

CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
                        "\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def test_reports_name_the_implementation_suite_and_drafts(tmp_path):
    from runner import __version__
    d = tmp_path / "r"
    rc, out, err, last = tool(
        "relay", "--start-broken", "preview-double-escape,cookie", "--case",
        "THREAT-PREVIEW-ESCAPE", "THREAT-NO-COOKIES", "API-CREATE-200",
        "--label", "Example relay 0.3", "--report", d)
    assert rc == 1, out + err
    assert out.startswith("tigress-conformance %s: relay Example relay 0.3 "
                          "(https://127.0.0.1:" % __version__)
    assert "[RLY-NO-TRACK (draft-vinokurov-tigress-http-00 §8.1.3)" in out
    # the escaping check marks what the relay changed
    assert 'got og:title "\u27e6&lt;\u27e7/title' in out
    assert '"<" became "&lt;" at 0' in out
    j = json.loads((d / "conformance.json").read_text())
    assert j["label"] == "Example relay 0.3"
    assert j["suite"]["version"] == __version__
    assert "draft-vinokurov-tigress-http-00" in j["suite"]["drafts"]
    assert j["draft_document"] == "draft-vinokurov-tigress-http-00"
    case = next(c for c in j["cases"] if c["id"] == "THREAT-NO-COOKIES")
    assert case["citations"]["RLY-NO-TRACK"] == \
        "draft-vinokurov-tigress-http-00 §8.1.3"
    assert j["requirements"]["RLY-NO-TRACK"]["where"] == \
        "draft-vinokurov-tigress-http-00 §8.1.3"
    xml = (d / "conformance.xml").read_text()
    assert 'name="label" value="Example relay 0.3"' in xml
    assert "RLY-NO-TRACK (draft-vinokurov-tigress-http-00 §8.1.3)" in xml
    assert "tigress-conformance %s (draft-vinokurov" % __version__ in xml
    page = (d / "conformance.html").read_text()
    assert "Example relay 0.3" in page and __version__ in page
    assert "RLY-NO-TRACK (http-00 §8.1.3)" in page
    assert "http-00 = draft-vinokurov-tigress-http-00" in page
    assert "<mark>&amp;lt;</mark>" in page
    md = (d / "conformance.md").read_text()
    assert md.startswith("# TIGRESS conformance: Example relay 0.3\n")
    assert "- suite: tigress-conformance %s" % __version__ in md
    assert "| RLY-NO-TRACK | draft-vinokurov-tigress-http-00 §8.1.3 |" in md
    assert "| FAIL | THREAT-NO-COOKIES | expected " in md
    assert "## Passed (1)\n\nAPI-CREATE-200\n" in md
    # the hostile strings (a bidi override among them) are printable
    for f in ("conformance.json", "conformance.xml", "conformance.html",
              "conformance.md"):
        text = (d / f).read_text()
        assert not CONTROL_RE.search(text), (f, CONTROL_RE.search(text))
    assert "\\u202e" in page                    # shown, not obeyed


def test_evidence_is_printable_cut_and_within_the_page_budget(tmp_path):
    """A run whose evidence is huge and hostile (NUL, 0x01, ESC, bidi;
    bodies of 100 KB): every report stays printable, the page under its
    budget, each body cut with its size and SHA-256."""
    import hashlib
    from runner.core import catalog, report
    from runner.core.model import CaseResult, Finding
    hostile = "\x00\x01\x1b[31m\u202e<b>x</b>" * 20
    big = (hostile + "A" * 100_000).encode()
    body = {"encoding": "utf-8", "length": len(big), "truncated": True,
            "data": big[:4096].decode(), "sha256": hashlib.sha256(big)
            .hexdigest()}
    ex = {"request": {"method": "POST", "url": "https://relay/v1/m",
                      "headers": [["X-Evil", hostile]], "body": body},
          "response": {"status": 500, "reason": "", "headers": [],
                       "body": body}, "transport_error": None}
    results = [CaseResult("THREAT-X%d" % i, "t", "THREAT", "FAIL",
                          ["RLY-NO-5XX"], "no 5xx", hostile,
                          [Finding("FAIL", ["RLY-NO-5XX"], "no 5xx",
                                   hostile, [0])], [hostile], [ex] * 40)
               for i in range(90)]
    run = report.Run("https://relay", "http-00", results, catalog.load(),
                     0, 1.0, label="Hostile \x00 relay")
    paths = report.write_all(run, tmp_path)
    for p in paths.values():
        text = p.read_text(encoding="utf-8")
        assert not CONTROL_RE.search(text), (p, CONTROL_RE.search(text))
    page = paths["html"].read_bytes()
    assert len(page) < 200_000, len(page)
    assert b"[... cut: %d bytes in all, SHA-256 %s]" % (
        len(big), body["sha256"].encode()) in page
    assert b"\\x00\\x01\\x1b[31m\\u202e&lt;b&gt;" in page
    assert b"shown here; all in conformance.json" in page


def test_a_failure_on_observed_traffic_wins_over_nothing_to_judge():
    """A client run with nothing to judge exits 3 while its failures come
    from a driver that did nothing (no traffic: issue 9); a case that
    failed on driver traffic it observed makes the run exit 1."""
    from runner.core import catalog, exits, report
    from runner.core.model import CaseResult

    def run(*traffic):
        results = [CaseResult("C%d" % i, "t", "X", "FAIL", ["CLI-FLOW-READ"],
                              "x", "y", traffic=t)
                   for i, t in enumerate(traffic)]
        results.append(CaseResult("U", "t", "X", "UNSUPPORTED", [], "x",
                                  "nothing", traffic=False))
        return report.Run("driver", "http-00", results, catalog.load(), 0,
                          1.0, kind="client", extra={
                              "nothing_to_judge": "the driver does not "
                              "support the stateless flow"})
    assert run().exit_status() == exits.NOTHING
    assert run(False).exit_status() == exits.NOTHING
    assert run(False, True).exit_status() == exits.FINDINGS
    r = run(True)
    assert r.exit_status() == exits.FINDINGS
    assert r.summary_line().endswith("nothing to judge")    # still said
