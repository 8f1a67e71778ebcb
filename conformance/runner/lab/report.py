"""A lab run's reports: the client suite's JSON, JUnit XML and HTML
(core/report.py, `"kind": "client"`, the implementation's name as the
client), and a Markdown summary in the style of the interop matrix's.

    write(run, Path("reports"))   # reports/<label>-<run id>/conformance.*
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Dict

from ..core import report
from .scenarios import GROUPS, SCENARIOS
from .state import LabRun, lab_cases


def _nothing_to_judge(run: LabRun):
    if not run.results or not any(r.traffic for r in run.results):
        return "no case observed device traffic: in no scenario played " \
            "did the device send a request to the lab's relay"
    return None


def core_run(run: LabRun) -> report.Run:
    judged = run.judged_profile()
    in_lab = {c.id for c in lab_cases(judged)}
    from ..client import engine as client_engine
    extra = {
        "implementation": run.label,
        "lab": {"relay": run.lab.relay.public_url,
                "draft": run.profile or "auto",
                "draft_judged": judged,
                "scenarios": [{"name": n, "title": SCENARIOS[n].title,
                               "status": s.status,
                               "unsupported": s.unsupported,
                               "steps": [{k: x.get(k) for k in (
                                   "n", "party", "step", "outcome", "exit")}
                                   for x in s.steps]}
                              for n, s in list(run.sessions.items())],
                "not_in_lab": [c.id for c in client_engine.all_cases()
                               if c.id not in in_lab]},
        "nothing_to_judge": _nothing_to_judge(run)}
    return report.Run(run.label, judged, list(run.results), run.lab.catalog,
                      run.created, time.time() - run.created, kind="client",
                      extra=extra)


def summary_line(run: LabRun) -> str:
    return core_run(run).summary_line()


def to_json(run: LabRun) -> dict:
    return report.to_json(core_run(run))


def _md(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def to_markdown(run: LabRun) -> str:
    r = core_run(run)
    lab = r.extra["lab"]
    out = ["# TIGRESS lab: %s" % _md(run.label), "",
           "`tools/tigress-conformance lab`, relay %s, draft %s%s, %s; "
           "%d scenarios played." % (
               lab["relay"], r.draft, " (auto: the device's claim header)"
               if lab["draft"] == "auto" else "",
               time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.started)),
               len(lab["scenarios"])), "",
           "    " + r.summary_line(), ""]
    if r.nothing_to_judge:
        out += ["Nothing to judge: %s." % r.nothing_to_judge, ""]
    out += ["## Scenarios", "", "| scenario | device as | status | steps |",
            "| --- | --- | --- | --- |"]
    for sc in lab["scenarios"]:
        steps = ", ".join("%s %s" % (x["step"], x["outcome"] or "exit %s" %
                                     x["exit"]) for x in sc["steps"])
        out.append("| %s (%s) | %s | %s | %s |" % (
            _md(sc["title"]), sc["name"],
            GROUPS[SCENARIOS[sc["name"]].group].split()[-1], _md(
                sc["status"] + (": %s" % sc["unsupported"]
                                if sc["unsupported"] else "")),
            _md(steps) or "-"))
    out += ["", "## Cases", "", "| verdict | case | title | broken |",
            "| --- | --- | --- | --- |"]
    for c in sorted(r.results, key=lambda c: (report.ORDER.index(c.verdict),
                                              c.id)):
        out.append("| %s | %s | %s | %s |" % (
            c.verdict, c.id, _md(c.title),
            _md(", ".join(c.failed_requirements)) or "-"))
    bad = [c for c in r.results if c.verdict in ("FAIL", "WARN", "ERROR")]
    out += ["", "## Not passed", ""]
    if not bad:
        out += ["None.", ""]
    for c in bad:
        out += ["### %s: %s" % (c.id, c.verdict), "",
                "- %s" % _md(c.line),
                "- requirements: %s" % ", ".join(c.failed_requirements), ""]
    out += ["Not judged in the lab (`tigress-conformance client` with a "
            "driver): %s." % ", ".join(lab["not_in_lab"]), "",
            "Evidence (every request and device step): conformance.json and "
            "conformance.html.", ""]
    return "\n".join(out)


def documents(run: LabRun) -> Dict[str, tuple]:
    """kind -> (media type, bytes) of each report."""
    import json
    r = core_run(run)
    return {"json": ("application/json", json.dumps(
                report.to_json(r), indent=1, ensure_ascii=False).encode()),
            "xml": ("application/xml", report.to_junit(r)),
            "html": ("text/html; charset=utf-8", report.to_html(r).encode()),
            "md": ("text/markdown; charset=utf-8",
                   to_markdown(run).encode())}


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:40] or "run"


def write(run: LabRun, directory) -> Dict[str, Path]:
    d = Path(directory) / ("%s-%s" % (slug(run.label), run.id))
    paths = report.write_all(core_run(run), d)
    paths["markdown"] = d / "conformance.md"
    paths["markdown"].write_text(to_markdown(run), encoding="utf-8")
    return paths
