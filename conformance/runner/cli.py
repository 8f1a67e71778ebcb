"""The command line of tools/tigress-conformance.

    tigress-conformance relay URL [--ca FILE] [--draft http-00|sct-04]
                        [--report DIR] [--case ID ...]
                        [--expected-failures FILE]
    tigress-conformance relay --start-ref            # the bundled ref-relay
    tigress-conformance relay --start-broken DEFECTS # the broken relay
    tigress-conformance client DRIVER [--draft ...] [--report DIR]
                        [--case ID ...] [--expected-failures FILE]
    tigress-conformance list                         # cases and categories

Exit status: see core/exits.py (and --help).  Whatever stops a run is a
CannotRun carrying its status and one line saying why; main() prints it
once, followed by the summary line CI reads.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from .core import catalog as catalog_mod
from .core import exits, launch, report
from .core.exits import CannotRun, usage
from .core.model import DRAFTS
from .relay import engine, profiles
from .relay.context import Options, RunState
from .relay.registry import CATEGORIES, REGISTRY


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (CannotRun) instead of the
    usage block."""

    def error(self, message):
        raise usage("%s (see %s --help)" % (message, self.prog))


def _common(kind: str) -> argparse.ArgumentParser:
    """The options `relay` and `client` share."""
    c = Parser(add_help=False)
    c.add_argument("--report", metavar="DIR",
                   help="write conformance.json, .xml (JUnit) and .html here")
    c.add_argument("--expected-failures", metavar="FILE",
                   help="case IDs known to fail, one per line (# comments)")
    c.add_argument("--verbose", "-v", action="store_true",
                   help="show every note and each %s as it finishes" % (
                       "session" if kind == "client" else "case"))
    c.add_argument("--quiet", "-q", action="store_true",
                   help="list only the cases that did not pass")
    return c


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="tigress-conformance",
        description="Check a TIGRESS relay against draft-vinokurov-tigress-"
        "http-00 (or the sct-04 profile).")
    sub = p.add_subparsers(dest="command")
    r = sub.add_parser("relay", help="check a relay",
                       parents=[_common("relay")],
                       description="Run the conformance cases against a "
                       "relay and report where it departs from the draft.")
    r.add_argument("url", nargs="?", help="the relay, e.g. https://host:8443")
    r.add_argument("--ca", metavar="FILE",
                   help="PEM certificate(s) to trust for the relay")
    r.add_argument("--insecure", action="store_true",
                   help="do not verify the relay's certificate")
    r.add_argument("--draft", choices=("auto",) + DRAFTS, default="auto",
                   help="the draft revision (profile) to check against; "
                   "auto (the default): the one whose claim header the "
                   "relay honours")
    r.add_argument("--case", metavar="ID", nargs="+", action="extend",
                   help="run only these cases; an ID or a category prefix "
                   "(API, REPLAY, THREAT, OPACITY, PROFILE, REPLAY-UPDATE...)")
    r.add_argument("--start-ref", action="store_true",
                   help="start the bundled ref-relay (temporary data, "
                   "ephemeral port), check it, stop it")
    r.add_argument("--ref-binary", metavar="PATH",
                   help="the ref-relay binary for --start-ref")
    r.add_argument("--start-broken", metavar="DEFECTS",
                   help="start conformance/brokenrelay with these defects "
                   "(comma-separated; 'none' for the correct relay)")
    r.add_argument("--id-sample", type=int, default=Options.id_sample,
                   metavar="N", help="mailboxes THREAT-ID-GUESS creates "
                   "(default %(default)s)")
    r.add_argument("--race-trials", type=int, default=Options.race_trials,
                   metavar="N", help="trials of THREAT-CLAIM-RACE "
                   "(default %(default)s)")
    r.add_argument("--seed", type=int, default=Options.seed, metavar="N",
                   help="seed of the generated malformed inputs (default "
                   "%(default)s; the same seed gives the same inputs)")
    r.add_argument("--strict-errata", action="store_true",
                   help="treat tigress-ref's decisions (spec/errata.md) as "
                   "MUSTs: for tigress-ref's own relays only")
    c = sub.add_parser("client", help="check a client through its driver",
                       parents=[_common("client")],
                       description="Run the client cases: the driver "
                       "(spec/drivers.md) plays scenarios against the "
                       "suite's instrumented test relay, the suite plays the "
                       "other party, and every request is checked.")
    c.add_argument("driver", help="the client's driver executable")
    c.add_argument("--draft", choices=DRAFTS, default="http-00",
                   help="the draft revision (profile) to check against")
    c.add_argument("--case", metavar="ID", nargs="+", action="extend",
                   help="run only these cases; an ID or a category prefix "
                   "(URL, TLS, SECRET, REQID, CLAIM, PRIVACY, PAYLOAD, "
                   "RECEIVE, REFUSE, RETRY, FLOW, REQUEST, ...)")
    c.add_argument("--timeout", type=float, default=20.0, metavar="S",
                   help="TIGRESS_TIMEOUT of receive steps (default "
                   "%(default)s); a step is killed 40 s after it")
    c.add_argument("--workers", type=int, default=3, metavar="N",
                   help="sessions run at once (default %(default)s)")
    ls = sub.add_parser("list", help="list the cases")
    ls.add_argument("which", nargs="?", choices=("relay", "client", "all"),
                    default="all")
    return p


def read_expected(path: str) -> set:
    ids = set()
    try:
        with open(path, encoding="utf-8") as f:
            for ln in f:
                ln = ln.split("#", 1)[0].strip()
                if ln:
                    ids.add(ln.upper())
    except OSError as e:
        raise usage("cannot read %s: %s" % (path, e))
    return ids


def list_cases(out, which: str = "all") -> int:
    from .client import cases as _client_cases  # noqa: F401  (registers)
    from .client.registry import CLIENT_CATEGORIES, CLIENT_REGISTRY
    tables = []
    if which in ("relay", "all"):
        tables.append(("relay", CATEGORIES, REGISTRY))
    if which in ("client", "all"):
        tables.append(("client", CLIENT_CATEGORIES, CLIENT_REGISTRY))
    for kind, cats, reg in tables:
        out.write("== %s cases (tigress-conformance %s)\n" % (kind, kind))
        for cat in cats:
            cases = [c for c in reg.values() if c.category == cat]
            out.write("%s (%d)\n" % (cat, len(cases)))
            for c in cases:
                only = "" if len(c.drafts) == len(DRAFTS) else \
                    "  [%s only]" % ", ".join(c.drafts)
                out.write("  %-30s %s%s\n" % (c.id, c.title, only))
    out.write(", ".join("%d %s cases" % (len(reg), kind)
                        for kind, _, reg in tables) + "\n")
    return 0


def run_client(args, out, err) -> int:
    """tigress-conformance client DRIVER: see conformance/README.md."""
    from .client import engine as client_engine
    from .client.registry import CLIENT_REGISTRY
    from .client.testrelay import TestRelay
    driver = str(Path(args.driver).resolve())
    if not (os.path.isfile(driver) and os.access(driver, os.X_OK)):
        raise CannotRun(exits.USAGE, "%s is not an executable file" %
                        args.driver, "driver not runnable")
    expected = read_expected(args.expected_failures) \
        if args.expected_failures else set()
    try:
        selected = client_engine.select(args.case, args.draft)
    except engine.SelectionError as e:
        raise usage(str(e))
    if not selected:
        raise usage("no client case to run for --draft %s" % args.draft)
    unknown = sorted(x for x in expected if x not in CLIENT_REGISTRY)
    if unknown:
        err.write("warning: --expected-failures names unknown cases: %s\n" %
                  ", ".join(unknown))
    cat = catalog_mod.load()
    old_handlers = launch.on_signals_exit()
    try:
        with tempfile.TemporaryDirectory(prefix="tigress-preflight-") as d:
            try:                        # the test relay can run here
                TestRelay(Path(d), args.draft).stop()
            except Exception as e:      # noqa: BLE001
                raise CannotRun(exits.USAGE, "the test relay does not "
                                "start: %s" % e, "test relay not started")
        t0, started = time.monotonic(), time.time()

        def progress(r):
            if args.verbose:
                err.write("%-11s %s\n" % (r.verdict, r.id))

        def session_progress(s):
            if args.verbose:
                err.write("session %-17s %d driver runs, %.1f s%s\n" % (
                    s.name, len(s.runs), s.duration,
                    " (unsupported)" if s.unsupported else
                    " (suite error)" if s.error else ""))
        results, sessions = client_engine.run(
            driver, args.draft, selected, cat, args.timeout,
            max(1, args.workers), progress, session_progress)
        extra = {"test_relay": "conformance/brokenrelay (in process, "
                 "correct mode, recording, fault injection)",
                 "sessions": [{"name": s.name, "title": s.title,
                               "driver_runs": len(s.runs),
                               "requests": len(s.records),
                               "unsupported": s.unsupported,
                               "duration": round(s.duration, 3)}
                              for s in sessions.values()],
                 "nothing_to_judge": client_engine.nothing_to_judge(
                     results, sessions)}
        run = report.Run(driver, args.draft, results, cat, started,
                         time.monotonic() - t0, expected, None, False,
                         kind="client", extra=extra)
        if args.report:
            paths = report.write_all(run, args.report)
            err.write("reports: %s\n" % ", ".join(str(p) for p in
                                                  paths.values()))
        report.terminal(run, out, args.verbose, args.quiet)
        return run.exit_status()
    finally:
        launch.restore_signals(old_handlers)


def run_relay(args, out, err) -> int:
    starts = sum(bool(x) for x in (args.url, args.start_ref,
                                   args.start_broken))
    if starts != 1:
        raise usage("give a relay URL, or --start-ref, or --start-broken "
                    "(exactly one)")
    if args.id_sample < 1000 and args.id_sample != Options.id_sample:
        err.write("note: --id-sample %d is below the 1000 creations the "
                  "full identifier check uses\n" % args.id_sample)
    expected = read_expected(args.expected_failures) \
        if args.expected_failures else set()
    try:
        if args.draft != "auto":
            selected = engine.select(args.case, args.draft)
            if not selected:
                raise usage("no case to run for --draft %s" % args.draft)
        else:
            engine.select(args.case, DRAFTS[0])     # the patterns are valid
    except engine.SelectionError as e:
        raise usage(str(e))
    unknown = sorted(x for x in expected if x not in REGISTRY)
    if unknown:
        err.write("warning: --expected-failures names unknown cases: %s\n" %
                  ", ".join(unknown))
    cat = catalog_mod.load()
    launched = None
    old_handlers = launch.on_signals_exit()
    try:
        start_profile = DRAFTS[0] if args.draft == "auto" else args.draft
        if args.start_ref:
            launched = launch.start_ref(args.ref_binary, start_profile)
        elif args.start_broken:
            defects = [d for d in args.start_broken.split(",")
                       if d.strip() and d.strip() != "none"]
            launched = launch.start_broken(defects, start_profile)
        if launched is not None:
            url, ca = launched.base_url, launched.ca
            err.write("started %s at %s\n" % (launched.name, url))
        else:
            url, ca = args.url, args.ca
        if args.insecure:
            ca = False
        opts = Options(id_sample=args.id_sample, race_trials=args.race_trials,
                       seed=args.seed)
        state = RunState(url, ca, start_profile, cat, opts,
                         args.strict_errata)
        problem = engine.preflight(state)
        if problem:
            if "CERTIFICATE_VERIFY_FAILED" in problem:
                problem += " (give the relay's certificate or CA with --ca " \
                    "FILE)"
            raise CannotRun(exits.USAGE, "cannot reach %s: %s" % (
                url, problem), "relay unreachable")
        t0, started = time.monotonic(), time.time()
        found = profiles.detect(state)
        top = []
        if args.draft == "auto":
            state.profile = found.profile
            selected = engine.select(args.case, found.profile)
            top.append("profile: %s (--draft auto: %s)" % (found.profile,
                                                            found.why))
        else:
            top.append("profile: %s (--draft %s; the probes: %s)" % (
                args.draft, args.draft, found.why))
            hint = found.hint(args.draft)
            if hint:
                top.insert(0, hint)
        if not selected:
            raise usage("no case to run for --draft %s" % state.profile)

        def progress(r):
            if args.verbose:
                err.write("%-11s %s (%.1f s)\n" % (r.verdict, r.id,
                                                   r.duration))
        results = engine.run_cases(state, selected, progress)
        if state.canary:
            top.append("canary: " + state.canary)
        if state.generated:
            top.append("generated inputs: %d in %d cases (seed %d)" % (
                sum(state.generated.values()), len(state.generated),
                args.seed))
        extra = {"profile": dict(found.to_json(), draft_option=args.draft,
                                 used=state.profile,
                                 hint=found.hint(args.draft)
                                 if args.draft != "auto" else None),
                 "generated": {"seed": args.seed,
                               "count": sum(state.generated.values()),
                               "cases": state.generated},
                 "canary": {"unusable": state.canary,
                            "stopped_after": state.dead_after,
                            "last_serving_after": state.last_good}}
        run = report.Run(url, state.profile, results, cat, started,
                         time.monotonic() - t0, expected, state.well_known,
                         args.strict_errata, extra=extra, top=top)
        if args.report:
            paths = report.write_all(run, args.report)
            err.write("reports: %s\n" % ", ".join(str(p) for p in
                                                  paths.values()))
        if not results:
            raise CannotRun(exits.USAGE, "no case executed",
                            "no case executed")
        report.terminal(run, out, args.verbose, args.quiet)
        return run.exit_status()
    except launch.LaunchError as e:
        raise CannotRun(exits.USAGE, str(e), "relay not started")
    finally:
        if launched is not None:
            launched.stop()
        launch.restore_signals(old_handlers)


def _could_not_run(out, err, e: CannotRun) -> int:
    err.write("tigress-conformance: %s\n" % e)
    out.write("conformance: 0 passed, 0 failed, could not run%s\n" % (
        " (%s)" % e.short if e.short else ""))
    return e.status


def main(argv: Optional[List[str]] = None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parser().parse_args(argv)
        if args.command == "list":
            return list_cases(out, args.which)
        if args.command == "client":
            return run_client(args, out, err)
        if args.command == "relay":
            return run_relay(args, out, err)
        raise usage("give a command: relay, client or list (see "
                    "tigress-conformance --help)")
    except SystemExit as e:             # --help
        return exits.USAGE if e.code else exits.OK
    except CannotRun as e:
        return _could_not_run(out, err, e)
