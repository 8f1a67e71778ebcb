"""The command line of tools/tigress-conformance (also `python3 -m
conformance` from a checkout, and the `tigress-conformance` command of
the installed package).

    tigress-conformance relay URL [--ca FILE] [--draft http-00|sct-04]
                        [--report DIR] [--case ID ...] [--label NAME]
                        [--expected-failures FILE]
    tigress-conformance relay --start-ref            # the bundled ref-relay
    tigress-conformance relay --start-broken DEFECTS # the broken relay
    tigress-conformance relay URL --explore [--seed N] [--budget 60s]
    tigress-conformance relay URL --replay REPRODUCER.json
    tigress-conformance client DRIVER [--draft ...] [--report DIR]
                        [--case ID ...] [--expected-failures FILE]
    tigress-conformance lab --listen HOST:PORT [--public-url URL] ...
                                                     # the live lab (lab/)
    tigress-conformance list                         # cases and categories
    tigress-conformance --version

Exit status: core/exits.py (and --help).  Whatever stops a run is a
CannotRun carrying its status and one line saying why; main() prints it
once, followed by the summary line CI reads.  Each case is printed as it
finishes (core/progress.py).
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
from .core import driver as driver_mod
from .core import exits, launch, reach, report
from .core.exits import CannotRun, Parser, usage
from .core.model import DRAFTS
from .core.progress import Progress
from .core.text import count
from .relay import engine, profiles
from .relay.context import Options, RunState
from .relay.registry import CATEGORIES, REGISTRY
from .explore import cli as explore_cli

EXAMPLES = """examples:
  tigress-conformance relay https://relay.example:8443 --ca ca.pem --report out/
  tigress-conformance relay https://relay.example:8443 --label "Example relay 0.3"
  tigress-conformance relay URL --case REPLAY THREAT-CLAIM-RACE
  tigress-conformance relay --start-ref              # the bundled ref-relay
  tigress-conformance client ./my-driver --report out/   # spec/drivers.md
  tigress-conformance list relay

Reports (--report DIR): conformance.json, .xml (JUnit), .html and .md.
The interop matrix of many relays and clients is tools/interop (also
`python3 -m conformance interop FILE`).  More: conformance/README.md.
"""


def _common(kind: str) -> argparse.ArgumentParser:
    """The options `relay` and `client` share."""
    c = Parser(add_help=False)
    c.add_argument("--report", metavar="DIR",
                   help="write conformance.json, .xml (JUnit), .html and .md "
                   "here (made if missing; checked before the run)")
    c.add_argument("--expected-failures", metavar="FILE",
                   help="case IDs known to fail, one per line (# comments)")
    c.add_argument("--verbose", "-v", action="store_true",
                   help="show every note and each %s as it finishes" % (
                       "session" if kind == "client" else "case"))
    c.add_argument("--quiet", "-q", action="store_true",
                   help="list only the cases that did not pass")
    c.add_argument("--label", metavar="NAME",
                   help="the implementation under test, as the reports "
                   "name it (e.g. \"Example relay 0.3\")")
    return c


def _parser() -> argparse.ArgumentParser:
    epilog = EXAMPLES + "\n" + exits.help_table()
    fmt = argparse.RawDescriptionHelpFormatter
    p = Parser(
        prog="tigress-conformance", formatter_class=fmt, epilog=epilog,
        description="Check a TIGRESS relay, or a client through its driver, "
        "against draft-vinokurov-tigress-http-00 (or the sct-04 profile).")
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("relay", help="check a relay",
                       parents=[_common("relay")], formatter_class=fmt,
                       epilog=epilog,
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
    explore_cli.add_arguments(r)
    c = sub.add_parser("client", help="check a client through its driver",
                       parents=[_common("client")], formatter_class=fmt,
                       epilog=epilog,
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
    from .lab import server as lab_server
    lab_server.add_parser(sub)
    ls = sub.add_parser("list", help="list the cases", epilog=epilog,
                        formatter_class=fmt)
    ls.add_argument("which", nargs="?", choices=("relay", "client", "all"),
                    default="all")
    return p


def version_text() -> str:
    """--version: the suite's version and the drafts it checks."""
    cat = catalog_mod.load()
    return "%s; %d requirements catalogued" % (report.suite_line(cat),
                                              len(cat.entries))


def read_expected(path: str) -> set:
    ids = set()
    try:
        with open(path, encoding="utf-8") as f:
            for ln in f:
                ln = ln.split("#", 1)[0].strip()
                if ln:
                    ids.add(ln.upper())
    except OSError as e:
        raise usage("--expected-failures %s: cannot read it (%s)" % (
            path, reach.strerror(e)))
    except UnicodeDecodeError:
        raise usage("--expected-failures %s: not a text file" % path)
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
    if not os.path.exists(driver):
        raise usage("%s: no such file (the driver, spec/drivers.md)" %
                    args.driver)
    if not (os.path.isfile(driver) and os.access(driver, os.X_OK)):
        raise usage("%s is not an executable file (chmod +x it?)" %
                    args.driver)
    expected = read_expected(args.expected_failures) \
        if args.expected_failures else set()
    try:
        selected = client_engine.select(args.case, args.draft)
    except engine.SelectionError as e:
        raise usage(str(e))
    if not selected:
        raise CannotRun(exits.NOTHING, "no client case to run for --draft "
                        "%s" % args.draft)
    unknown = sorted(x for x in expected if x not in CLIENT_REGISTRY)
    if unknown:
        err.write("warning: --expected-failures names unknown cases: %s\n" %
                  ", ".join(unknown))
    if args.report:
        report.prepare_dir(args.report)
    cat = catalog_mod.load()
    old_handlers = launch.on_signals_exit()
    try:
        with tempfile.TemporaryDirectory(prefix="tigress-preflight-") as d:
            try:                        # the test relay can run here
                TestRelay(Path(d), args.draft).stop()
            except Exception as e:      # noqa: BLE001
                raise CannotRun(exits.UNREACHABLE, "the test relay could "
                                "not be started: %s" % reach.strerror(e),
                                "test relay not started")
        t0, started = time.monotonic(), time.time()
        sessions_needed = client_engine.sessions_of(selected)
        with Progress(out, err, len(sessions_needed), "session",
                      waits=driver_mod.in_flight) as pg:
            pg.line(report.head("client", driver, args.draft, cat,
                                len(selected), args.label))

            def session_progress(s):
                line = "session %-17s %d driver run%s, %.1f s%s" % (
                    s.name, len(s.runs), "" if len(s.runs) == 1 else "s",
                    s.duration, " (unsupported: a step exited 127)"
                    if s.unsupported else " (suite error)" if s.error
                    else "")
                pg.finish(s.name, "unsupported" if s.unsupported else "done")
                if args.verbose or not pg.live:
                    pg.line(line, err)

            def progress(r):
                if pg.unit != "case":       # the sessions are over
                    pg.unit, pg.total, pg.done = "case", len(selected), 0
                    pg.verdicts.clear()
                pg.finish(r.id, r.verdict, report.case_text(
                    r, cat, args.verbose, args.quiet))
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
                         kind="client", extra=extra, label=args.label)
        _write_reports(run, args, err)
        report.tail(run, out)
        return run.exit_status()
    finally:
        launch.restore_signals(old_handlers)


def _write_reports(run: report.Run, args, err) -> None:
    if not args.report:
        return
    try:
        paths = report.write_all(run, args.report)
    except OSError as e:
        raise usage("--report %s: cannot write there (%s)" % (
            args.report, reach.strerror(e)))
    err.write("reports: %s\n" % ", ".join(str(p) for p in paths.values()))


def _relay_given(args):
    """(URL, CA) of a relay given on the command line, checked before
    anything starts: (None, None) for --start-ref and --start-broken."""
    starts = sum(bool(x) for x in (args.url, args.start_ref,
                                   args.start_broken))
    if starts != 1:
        raise usage("give a relay URL, or --start-ref, or --start-broken "
                    "(exactly one)")
    if args.ca and args.insecure:
        raise usage("--ca and --insecure contradict each other: give one")
    if args.ca and not args.url:
        raise usage("--ca is for a relay URL; a started relay brings its "
                    "own certificate")
    url = reach.relay_base(args.url) if args.url else None
    ca = reach.ca_file(args.ca) if args.ca else None
    return url, ca


def run_relay(args, out, err) -> int:
    url, ca = _relay_given(args)
    if args.id_sample < 1000 and args.id_sample != Options.id_sample:
        err.write("note: --id-sample %d is below the 1000 creations the "
                  "full identifier check uses\n" % args.id_sample)
    try:                        # --explore, --replay, --no-explore select
        explore_opts = explore_cli.options(args)
        args.case = explore_cli.patterns(args, args.case, CATEGORIES)
    except ValueError as e:
        raise usage(str(e))
    expected = read_expected(args.expected_failures) \
        if args.expected_failures else set()
    try:
        if args.draft != "auto":
            selected = engine.select(args.case, args.draft)
            if not selected:
                raise CannotRun(exits.NOTHING, _none_for(args.case,
                                                         args.draft))
        else:
            engine.select(args.case, DRAFTS[0])     # the patterns are valid
    except engine.SelectionError as e:
        raise usage(str(e))
    unknown = sorted(x for x in expected if x not in REGISTRY)
    if unknown:
        err.write("warning: --expected-failures names unknown cases: %s\n" %
                  ", ".join(unknown))
    if args.report:
        report.prepare_dir(args.report)
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
        if args.insecure:
            ca = False
        # Under `make conformance` (which sets TIGRESS_VIA_MAKE) a CA
        # file is given as CA=FILE, not --ca FILE.
        reach.probe(url, ca, ca_hint="CA=FILE" if os.environ.get(
            "TIGRESS_VIA_MAKE") else "--ca FILE")
        opts = Options(id_sample=args.id_sample, race_trials=args.race_trials,
                       seed=args.seed)
        state = RunState(url, ca, start_profile, cat, opts,
                         args.strict_errata)
        problem = engine.preflight(state)
        state.explore = explore_opts
        if problem:
            raise CannotRun(exits.UNREACHABLE, "%s did not answer an HTTP "
                            "request: %s" % (url, reach.plain_transport_error(
                                problem)))
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
            raise CannotRun(exits.NOTHING, _none_for(args.case,
                                                     state.profile))
        with Progress(out, err, len(selected)) as pg:
            pg.line(report.head("relay", url, state.profile, cat,
                                len(selected), args.label,
                                args.strict_errata))
            for ln in top:
                pg.line(ln)

            def progress(r):
                pg.finish(r.id, r.verdict, report.case_text(
                    r, cat, args.verbose, args.quiet))
            results = engine.run_cases(state, selected, progress,
                                       lambda c: pg.start(c.id))
        late = []
        if state.canary:
            late.append("canary: " + state.canary)
        if state.generated:
            late.append("generated inputs: %d in %s (seed %d)" % (
                sum(state.generated.values()),
                count(len(state.generated), "case"), args.seed))
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
                         args.strict_errata, extra=extra, top=top,
                         label=args.label, late=late)
        _write_reports(run, args, err)
        if not results:
            raise CannotRun(exits.NOTHING, "no case executed")
        if args.explore or args.replay:
            explore_cli.print_results(explore_opts, out)
        report.tail(run, out)
        return run.exit_status()
    except launch.LaunchError as e:
        raise CannotRun(exits.UNREACHABLE, str(e), "relay not started")
    finally:
        if launched is not None:
            launched.stop()
        launch.restore_signals(old_handlers)


def _none_for(patterns, draft: str) -> str:
    """Why a valid --case selected nothing: its cases are of another
    profile."""
    return "nothing to run: %s selects no case of %s (%s only)" % (
        "--case " + " ".join(patterns) if patterns else "the selection",
        draft, ", ".join(d for d in DRAFTS if d != draft))


def main(argv: Optional[List[str]] = None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr

    def body() -> int:
        args = _parser().parse_args(argv)
        if args.command == "list":
            return list_cases(out, args.which)
        if args.command == "lab":
            from .lab import server as lab_server
            if args.report:
                report.prepare_dir(args.report)
            return lab_server.main(args, out, err)
        if args.command == "client":
            return run_client(args, out, err)
        if args.command == "relay":
            return run_relay(args, out, err)
        raise usage("give a command: relay, client, lab or list (see "
                    "tigress-conformance --help)")
    return exits.guarded(
        "tigress-conformance",
        lambda e: "conformance: 0 passed, 0 failed, could not run%s" % (
            " (%s)" % e.short if e.short else ""),
        body, out, err, driver_mod.kill_in_flight)
