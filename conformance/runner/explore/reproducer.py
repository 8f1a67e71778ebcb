"""The reproducer: a minimal disagreeing sequence as a JSON file, and as a
readable numbered exchange.

    {
      "format": "tigress-explore-reproducer",
      "version": 1,
      "title": "R1 updates m1 [q3] with p2: 200, the model allows 401",
      "draft": "http-00",
      "strict_errata": true,
      "verdict": "FAIL",
      "requirements": ["RLY-UPDATE-401", "RLY-CLAIM-GATE"],
      "step": 3,
      "expected": "401 unauthorized (R1 is neither m1's initiator ...)",
      "got": "200 {...}",
      "steps": [{"op": "create", "by": "I1", "mailbox": "m1", ...}, ...],
      "transcript": ["1. I1 creates m1 [q1] ... -> 200 urlLink .../m1", ...],
      "found": {"relay": URL, "seed": 1, "sequence": 4, "steps_before": 13,
                "replays": 21, "date": "2024-05-01T10:00:00Z"}
    }

`steps` is the sequence (steps.Step.to_json); the rest says what happened
when it was found.  Replaying needs only `format`, `version` and `steps`
(`draft` and `strict_errata` are the defaults of `--replay`).  A replay
gives the same verdict against a relay that behaves the same.  `load`
checks every member (`check`) before anything is sent: one line names
the first one that is wrong, and the step it is in.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional

from ..core.model import DRAFTS, SEVERITY
from .judge import Finding
from .play import PlayResult
from .steps import Step, describe, load_steps

FORMAT = "tigress-explore-reproducer"
VERSION = 1


class ReproducerError(Exception):
    pass


def document(steps: List[Step], finding: Finding, result: PlayResult,
             draft: str, strict: bool, found: dict) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": title(steps, finding),
        "draft": draft,
        "strict_errata": strict,
        "verdict": finding.verdict,
        "requirements": finding.requirements,
        "step": finding.step,
        "expected": finding.expected,
        "got": finding.got,
        "steps": [s.to_json() for s in steps],
        "transcript": transcript(result),
        "found": dict(found, date=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                time.gmtime())),
    }


def title(steps: List[Step], f: Finding) -> str:
    s = describe(steps[f.step - 1], steps[:f.step - 1]) \
        if 0 < f.step <= len(steps) else "step %d" % f.step
    return "step %d of %d, %s: %s %s" % (f.step, len(steps), s, f.verdict,
                                         ", ".join(f.requirements[:4]))


def save(doc: dict, directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def load(path) -> dict:
    """A reproducer file, checked (its `steps` made Steps);
    ReproducerError says in one line what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ReproducerError("%s: not UTF-8 text" % path)
    except OSError as e:
        raise ReproducerError("%s: cannot read it (%s)" % (
            path, e.strerror or e))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ReproducerError("%s: not JSON (line %d, column %d: %s)" % (
            path, e.lineno, e.colno, e.msg[:1].lower() + e.msg[1:]))
    try:
        check(doc)
        doc["steps"] = load_steps(doc["steps"])
    except ValueError as e:
        raise ReproducerError("%s: %s" % (path, e))
    return doc


# The members besides `steps` (conformance/README.md, "The reproducer
# format"): which are needed, and what each must be.
_STR = (str, "a string")
_STRS = (list, "a list of strings")
MEMBERS = {"format": (True, None), "version": (True, None),
           "steps": (True, None), "title": (False, _STR),
           "draft": (False, None), "strict_errata": (False, (bool,
                                                             "true or false")),
           "verdict": (False, None), "requirements": (False, _STRS),
           "step": (False, None), "expected": (False, _STR),
           "got": (False, _STR), "transcript": (False, _STRS),
           "found": (False, (dict, "an object"))}


def check(doc) -> None:
    """ValueError naming the first member of reproducer `doc` that is
    missing, unknown or not what the format says (the steps: steps.py's
    `check_step`, through `load_steps`)."""
    if not isinstance(doc, dict):
        raise ValueError("not a %s file (a JSON object expected)" % FORMAT)
    if doc.get("format") != FORMAT:
        raise ValueError("member format: %r expected: not a %s file" % (
            FORMAT, FORMAT))
    if doc.get("version") != VERSION or isinstance(doc["version"], bool):
        raise ValueError("member version: %d expected (this runner reads "
                         "version %d), not %s" % (VERSION, VERSION, json.dumps(
                             doc.get("version"))))
    for k in sorted(doc):
        if k not in MEMBERS:
            raise ValueError("member %s is not one of the format's (%s)" % (
                k, ", ".join(MEMBERS)))
    for k, (needed, kind) in MEMBERS.items():
        if k not in doc:
            if needed:
                raise ValueError("member %s is missing" % k)
            continue
        v = doc[k]
        bad = None
        if kind is not None and (not isinstance(v, kind[0]) or (
                kind[0] is list and not all(isinstance(x, str) for x in v))):
            bad = kind[1]
        elif k == "draft" and v not in DRAFTS:
            bad = " or ".join(DRAFTS)
        elif k == "verdict" and v not in SEVERITY:
            bad = "one of %s" % ", ".join(SEVERITY)
        elif k == "step" and (isinstance(v, bool) or not isinstance(v, int)
                              or v < 1):
            bad = "a step number (1 or more)"
        if bad:
            raise ValueError("member %s: %s, not %s" % (
                k, bad, json.dumps(v)[:40]))


def recorded(doc: dict) -> str:
    """What the reproducer says was found, in words."""
    if not doc.get("verdict"):
        return "no verdict recorded"
    reqs = ", ".join(doc.get("requirements") or ())
    return "recorded: %s%s" % (doc["verdict"], " " + reqs if reqs else "")


def transcript(res: PlayResult) -> List[str]:
    """The numbered exchange: one line per request, and under the one that
    disagreed (or departed), what the model allowed, what came back and
    the requirements."""
    out: List[str] = []
    by_step = {}
    for r in res.records:
        by_step.setdefault(r.n, []).append(r)
    for n, step in enumerate(res.steps, 1):
        hist = res.steps[:n - 1]
        recs = by_step.get(n, [])
        if not recs:
            out.append("%2d. %s" % (n, describe(step, hist)))
            continue
        parts = step.flat()
        for i, r in enumerate(recs):
            what = describe(parts[i] if i < len(parts) else step, hist)
            if len(recs) > 1:
                what = "(at once) " + what
            out.append("%2d. %s" % (n, what))
            out.append("      -> %s" % r.got)
            for f in r.findings:
                out.append("      the model allows: %s" % f.expected)
                out.append("      the relay answered: %s" % f.got)
                out.append("      %s %s%s" % (
                    f.verdict, ", ".join(f.requirements),
                    "" if f.fatal else " (allowed by the draft; a "
                    "departure from tigress-ref's decision)"))
    return out


def render(doc: dict, path: Optional[Path] = None) -> str:
    """The reproducer as text, for the terminal and the report's notes."""
    lines = ["%s %s: %d steps (shrunk from %s)" % (
        doc["verdict"], ", ".join(doc["requirements"]),
        len(doc["steps"]), doc.get("found", {}).get("steps_before", "?"))]
    lines += doc.get("transcript", [])
    if path is not None:
        lines.append("reproducer: %s  (replay: tigress-conformance relay URL "
                     "--replay %s)" % (path, path))
    return "\n".join(lines)
