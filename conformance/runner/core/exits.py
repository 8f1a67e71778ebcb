"""Exit statuses of tools/tigress-conformance and tools/interop, and the
error that ends a run before it could judge anything.

Each status says one thing, so that CI can tell a relay that fails from
one it could not reach:

    0  OK           no case (scenario) failed, expected failures aside
    1  FINDINGS     a case failed, erred, or was not run (a precondition)
    2  USAGE        bad arguments or input files
    3  NOTHING      nothing executed, or nothing to judge
    4  UNREACHABLE  the relay did not answer, or could not be started
    5  TLS          the relay's certificate is not trusted, or TLS failed
    6  INTERNAL     the tool itself failed (a bug)
    130            interrupted (Ctrl-C)
    141            the output's reader went away (`| head`): stopped there

    raise CannotRun(UNREACHABLE, "relay.example:8443 refused the "
                    "connection", "relay unreachable")
"""

from __future__ import annotations

import argparse
import os
import select
import textwrap
import traceback
from typing import Callable

OK = 0
FINDINGS = 1
USAGE = 2
NOTHING = 3
UNREACHABLE = 4
TLS = 5
INTERNAL = 6
INTERRUPTED = 130
OUTPUT_CLOSED = 141         # as a shell reports a process ended by SIGPIPE

# The short reason of each status, for the summary line "could not run
# (...)" when the raiser gives none.
SHORT = {USAGE: "usage error", NOTHING: "nothing executed",
         UNREACHABLE: "relay unreachable", TLS: "TLS failure",
         INTERNAL: "internal error", INTERRUPTED: "interrupted"}

# What each status means, for --help and the READMEs (kept in step by
# tests/test_conformance_cli.py).
MEANING = (
    (OK, "no case failed (expected failures aside)"),
    (FINDINGS, "findings: a case failed, erred, or was not run for a "
     "failed precondition"),
    (USAGE, "usage: bad arguments or input file (a relay URL that is not "
     "https://host[:port], a missing --ca file, a --case matching no "
     "case)"),
    (NOTHING, "nothing to judge: no case executed, or the client's driver "
     "did nothing a case could examine (a case that failed on driver "
     "traffic it observed makes it 1)"),
    (UNREACHABLE, "unreachable: the relay did not answer (unknown host, "
     "connection refused, timeout) or could not be started"),
    (TLS, "TLS: the relay's certificate is not trusted, or the TLS "
     "handshake failed"),
    (INTERNAL, "internal error: the tool failed (a bug; please report the "
     "line it printed)"),
    (INTERRUPTED, "interrupted"),
    (OUTPUT_CLOSED, "the reader of the output went away (| head): the "
     "run stopped there"),
)


def _reader_gone(out) -> bool:
    """Whether `out` is a pipe whose reader has closed it (poll reports an
    error on such a pipe's writing end)."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):   # not a file (tests)
        return False
    p = select.poll()
    p.register(fd, select.POLLOUT)
    return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in p.poll(0))


def help_table(meaning=MEANING) -> str:
    """The exit statuses as an --help epilog paragraph."""
    return "exit status:\n" + "\n".join(
        textwrap.fill(text, 78, initial_indent="  %-5d" % code,
                      subsequent_indent=" " * 7) for code, text in meaning)


class CannotRun(Exception):
    """The run could not happen (or judged nothing): `status` is the exit
    status, `str(e)` the one line saying why, `short` the reason for the
    summary line."""

    def __init__(self, status: int, message: str, short: str = ""):
        super().__init__(message)
        self.status = status
        self.short = short or SHORT.get(status, "")


def usage(message: str) -> CannotRun:
    return CannotRun(USAGE, message)


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (CannotRun) instead of the
    usage block."""

    def error(self, message):
        raise usage("%s (see %s --help)" % (message, self.prog))


def guarded(prog: str, could_not_run: Callable[[CannotRun], str], body,
            out, err, interrupted=None) -> int:
    """Run `body()` (returning the exit status) so that whatever stops it
    is one line on `err` ("PROG: why") and the summary line
    `could_not_run(e)` on `out`, with its status: a CannotRun, Ctrl-C
    (after `interrupted()`), a bug of ours (INTERNAL; TIGRESS_DEBUG=1
    prints the traceback), SIGTERM turned into SystemExit (launch.py)."""
    from .text import printable
    try:
        return body()
    except SystemExit as e:             # --help, --version; SIGTERM
        if isinstance(e.code, int):
            if e.code >= 128 and interrupted:   # a signal: stop the drivers
                interrupted()
            return e.code
        return USAGE if e.code else OK
    except KeyboardInterrupt:
        if interrupted:
            interrupted()
        e = CannotRun(INTERRUPTED, "interrupted")
    except BrokenPipeError:
        if not _reader_gone(out):
            raise
        if interrupted:                 # stop the drivers, quietly
            interrupted()
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return OUTPUT_CLOSED
    except CannotRun as caught:
        e = caught
    except Exception as bug:            # noqa: BLE001 - a bug of ours
        if os.environ.get("TIGRESS_DEBUG"):
            traceback.print_exc(file=err)
        e = CannotRun(INTERNAL, "internal error: %s: %s (a bug; please "
                      "report this line; TIGRESS_DEBUG=1 shows the "
                      "traceback)" % (type(bug).__name__,
                                      printable(str(bug), keep="")[:200]))
    err.write("%s: %s\n" % (prog, e))
    err.flush()
    out.write(could_not_run(e) + "\n")
    out.flush()
    return e.status
