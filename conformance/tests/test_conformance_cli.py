"""tools/tigress-conformance as a program: exit status 0/1/2, the summary
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


def test_unreachable_relay_exits_2():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                   # nobody listens there
    rc, out, err, last = tool("relay", "https://127.0.0.1:%d" % port)
    assert rc == 2, out + err
    assert "cannot reach" in err
    m = SUMMARY_RE.match(last)
    assert m and m.group(1) == "0" and m.group(2) == "0"


@pytest.mark.parametrize("args", [
    ["relay"],                                         # no relay given
    ["relay", "https://127.0.0.1:1", "--draft", "http-99"],
    ["relay", "https://127.0.0.1:1", "--no-such-option"],
    ["frobnicate"],
])
def test_bad_arguments_exit_2(args):
    rc, out, err, last = tool(*args)
    assert rc == 2, out + err


def test_case_matching_nothing_exits_2(cookie_relay):
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "NO-SUCH-CASE")
    assert rc == 2 and "no case matches" in err
    # a case of the other profile only: nothing is executed
    rc, out, err, last = tool("relay", cookie_relay.base_url, "--ca",
                              cookie_relay.ca, "--case", "PROFILE-SCT04-PARAM")
    assert rc == 2, out + err


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
