"""EXPLORE cases: model-based random testing (runner/explore) as ordinary
cases.  EXPLORE-SEQUENCES plays seeded random sequences within a budget
and checks every answer against the executable model; the first
disagreement, shrunk, is the finding, its minimal exchange the evidence,
and its reproducer is saved (under --report DIR/explore/, else a
temporary directory).  EXPLORE-VECTORS replays saved reproducers: the
regression vectors of vectors/explore/, or the files of --replay."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from ...explore import reproducer
from ...explore.cli import VECTORS, ExploreOptions
from ...explore.model import checked
from ...explore.runner import Settings, explore, replay
from ...explore.wire import Target
from ..registry import case

OPERATIONS = ("create", "read", "update", "delete", "relinquish", "preview")


def _reqs(ops) -> list:
    out: list = []
    for op in ops:
        out += [r for r in checked(op) if r not in out]
    return out


def _vector_ops() -> list:
    ops = []
    for p in sorted(VECTORS.glob("*.json")):
        try:
            doc = reproducer.load(p)
        except reproducer.ReproducerError:
            continue
        for st in doc["steps"]:
            for s in st.flat():
                op = "read" if s.op == "poll" else s.op
                if op in OPERATIONS and op not in ops:
                    ops.append(op)
    return ops or ["create"]


def _options(t) -> ExploreOptions:
    return getattr(t.run, "explore", None) or ExploreOptions()


def _target(t) -> Target:
    return Target(t.run.base_url, t.run.ca, t.profile, t.options.timeout)


def _report(t, f, exchanges, where: str) -> None:
    t.check(False, f.requirements, f.expected,
            "%s (%s, step %d)" % (f.got, where, f.step), exchanges,
            verdict=f.verdict)


@case("EXPLORE-SEQUENCES", "Seeded random sequences of every operation, by "
      "initiators, recipients and strangers, get only answers the draft "
      "allows", _reqs(OPERATIONS),
      "every answer one the model allows; the first disagreement shrunk")
def sequences(t):
    t.needs_creates()
    opts = _options(t)
    seconds, requests = opts.seconds_and_requests
    s = Settings(seed=opts.seed, seconds=seconds, requests=requests,
                 strict=t.run.strict_errata)
    x = explore(_target(t), s, t.catalog)
    t.check(bool(x.requests), list(x.checked),
            "answers to judge", "no request was made")
    stats = "%d sequence%s, %d requests in %.1f s (seed %d, budget %s)" % (
        x.sequences, "" if x.sequences == 1 else "s", x.requests, x.seconds,
        opts.seed, opts.budget)
    t.note(stats)
    for ex in x.exchanges:
        t.attach(ex)
    for f, seq in x.findings:
        if x.main is not None and f.signature == x.main.signature:
            continue
        _report(t, f, None, "seed %d, sequence %d" % (opts.seed, seq))
    if x.main is None:
        opts.printed.append((t.case.id, "every answer allowed: " + stats))
        return
    f = x.main
    cited = [r.exchange for r in (x.minimal.records if x.minimal else [])
             if r.n == f.step and r.exchange in x.exchanges]
    doc = x.reproducer
    d = Path(opts.report_dir) / "explore" if opts.report_dir else \
        Path(tempfile.mkdtemp(prefix="tigress-explore-"))
    path = reproducer.save(doc, d, "reproducer-seed%d-seq%d-%d.json" % (
        opts.seed, x.sequence, int(time.time())))
    sh = x.shrunk
    _report(t, f, cited, "minimal sequence of %d steps, shrunk from %d in "
            "%d replays; reproducer %s" % (len(doc["steps"]),
                                           doc["found"]["steps_before"],
                                           sh.replays if sh else 0, path))
    text = reproducer.render(doc, path) + "\n" + stats
    t.note(text)
    opts.printed.append((t.case.id, text))


@case("EXPLORE-VECTORS", "Saved reproducers (vectors/explore/, or "
      "--replay) replay without a disagreement", _reqs(_vector_ops()),
      "every answer of each saved sequence one the model allows")
def vectors(t):
    t.needs_creates()
    opts = _options(t)
    files = opts.vectors()
    if not files:
        t.unsupported("no reproducer to replay in %s" % VECTORS)
    for p in files:
        doc = reproducer.load(p)
        res, kept = replay(_target(t), doc["steps"], t.run.strict_errata,
                           catalog=t.catalog)
        t.check(bool(res.requests), list(res.checked),
                "answers to judge", "no request was made")
        for ex in kept.exchanges():
            t.attach(ex)
        f = res.worst()
        was = reproducer.recorded(doc)
        if f is None:
            t.note("%s: every answer allowed (%s)" % (p.name, was))
            opts.printed.append((t.case.id, "%s: PASS (%s)" % (p, was)))
            continue
        cited = [r.exchange for r in res.records if r.n == f.step]
        _report(t, f, cited, "replaying %s" % p.name)
        doc["transcript"] = reproducer.transcript(res)
        doc["verdict"], doc["requirements"] = f.verdict, f.requirements
        opts.printed.append((t.case.id, "%s: %s %s (%s)\n%s" % (
            p, f.verdict, ", ".join(f.requirements), was,
            "\n".join(doc["transcript"]))))
