"""tools/test-summary: counts CUnit and pytest suites from their output
and ends with one line; a failure anywhere is never exit 0."""

import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent / "test-summary"

CUNIT = """
Run Summary:    Type  Total    Ran Passed Failed Inactive
              suites      4      4    n/a      0        0
               tests     27     27     26      1        0
             asserts    376    376    375      1      n/a
"""
PYTEST = "....F.s\n1 failed, 5 passed, 1 skipped in 2.31s\n"
PYTEST_FRAMED = "=== 3 passed, 2 warnings, 1 error in 124.23s (0:02:04) ===\n"


def run(script):
    """test-summary over a shell command; (status, last line, output)."""
    r = subprocess.run([sys.executable, str(TOOL), "sh", "-c", script],
                       stdout=subprocess.PIPE, text=True, timeout=60)
    return r.returncode, r.stdout.splitlines()[-1], r.stdout


def test_counts_every_suite():
    status, last, out = run("cat <<'E'\n%s%s%sE\nexit 2" % (
        CUNIT, PYTEST, PYTEST_FRAMED))
    assert CUNIT.strip() in out and "2.31s" in out      # passed through
    assert last == "34 passed, 3 failed (1 skipped; 3 suites)"
    assert status == 2


def test_all_passed_and_nothing_ran():
    status, last, _ = run("echo '12 passed in 0.50s'")
    assert (status, last) == (0, "12 passed, 0 failed (0 skipped; 1 suite)")
    status, last, _ = run("echo 'no tests ran in 0.01s'")
    assert status == 1 and last.startswith("0 passed, 1 failed")


def test_failure_without_counts_is_not_hidden():
    status, last, _ = run("echo '3 passed in 1.0s'; exit 2")
    assert status == 2
    assert last.startswith("3 passed, 0 failed (0 skipped; 1 suite); but "
                           "the run failed (exit 2)")
    # a suite that failed while the command still exited 0
    status, _, _ = run("echo '1 failed, 1 passed in 1.0s'")
    assert status == 1
