"""The exploration's command-line options (runner/cli.py adds them to
`tigress-conformance relay`) and what a run keeps for the terminal.

    --explore          only EXPLORE-SEQUENCES, with a budget of 60 s
    --no-explore       no EXPLORE case
    --seed N           the sequences' seed (default 1)
    --budget B         60s, 2m (time) or 500 (requests); default 2s in a
                       full run
    --replay FILE...   only EXPLORE-VECTORS, replaying these reproducers
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

import protocol

from . import reproducer
from .runner import BudgetError, parse_budget

DEFAULT_BUDGET = "2s"             # in every relay run
EXPLORE_BUDGET = "60s"            # with --explore
# vectors/explore beside spec/: in a checkout, or inside the installed
# package (pyproject.toml installs it as tigress_conformance/vectors/explore)
VECTORS = protocol.REPO / "vectors" / "explore"


@dataclass
class ExploreOptions:
    """What the EXPLORE cases run with (RunState.explore)."""
    seed: int = 1
    budget: str = DEFAULT_BUDGET
    report_dir: Optional[str] = None
    replay: List[str] = field(default_factory=list)
    # filled by the cases: (case id, text) to print after the run
    printed: List[tuple] = field(default_factory=list)

    @property
    def seconds_and_requests(self):
        return parse_budget(self.budget)

    def vectors(self) -> List[Path]:
        if self.replay:
            return [Path(p) for p in self.replay]
        return sorted(VECTORS.glob("*.json"))


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("exploration (model-based random sequences)")
    g.add_argument("--explore", action="store_true",
                   help="only explore: random sequences checked against the "
                   "model, the first disagreement shrunk and saved "
                   "(budget %s unless --budget)" % EXPLORE_BUDGET)
    g.add_argument("--no-explore", action="store_true",
                   help="no EXPLORE case (neither the short exploration of "
                   "every run nor the saved reproducers)")
    try:
        g.add_argument("--seed", type=int, default=1, metavar="N",
                       help="seed of the random sequences (default 1)")
    except argparse.ArgumentError:     # another part of the runner has it
        pass
    g.add_argument("--budget", metavar="B",
                   help="exploration budget: 60s, 2m, or a number of "
                   "requests (default %s, or %s with --explore)" % (
                       DEFAULT_BUDGET, EXPLORE_BUDGET))
    g.add_argument("--replay", metavar="FILE", nargs="+", action="extend",
                   help="only replay these reproducers (EXPLORE-VECTORS)")


def options(args) -> ExploreOptions:
    """ExploreOptions from parsed arguments; ValueError says what is
    wrong (a bad budget, an unreadable reproducer, conflicting options)."""
    if args.explore and args.no_explore:
        raise ValueError("--explore and --no-explore exclude each other")
    if args.replay and (args.explore or args.no_explore):
        raise ValueError("--replay runs only the reproducers: no --explore "
                         "or --no-explore with it")
    budget = args.budget or (EXPLORE_BUDGET if args.explore
                             else DEFAULT_BUDGET)
    try:
        parse_budget(budget)
    except BudgetError as e:
        raise ValueError(str(e))
    for f in args.replay or ():
        try:
            reproducer.load(f)
        except reproducer.ReproducerError as e:
            raise ValueError(str(e))
    return ExploreOptions(getattr(args, "seed", 1) or 1, budget,
                          args.report, list(args.replay or ()))


def patterns(args, given: Optional[Sequence[str]],
             categories: Sequence[str]) -> Optional[List[str]]:
    """The --case patterns, as --explore, --replay and --no-explore narrow
    them (`categories`: every category of relay cases)."""
    if args.explore:
        return ["EXPLORE-SEQUENCES"]
    if args.replay:
        return ["EXPLORE-VECTORS"]
    if not args.no_explore:
        return list(given) if given else None
    pats = [p.strip() for g in given or () for p in g.split(",")]
    if any(p.upper().startswith("EXPLORE") for p in pats):
        raise ValueError("--no-explore, yet --case selects EXPLORE cases")
    return pats or [c for c in categories if c != "EXPLORE"]


def print_results(opts: ExploreOptions, out) -> None:
    for case_id, text in opts.printed:
        out.write("== %s\n%s\n" % (case_id, text))
