"""Reports of a run: the terminal summary, JSON, JUnit XML and one
self-contained HTML page (inline CSS, no scripts, no external assets; the
evidence of each case in collapsible sections).

The terminal summary ends with the line

    conformance: N passed, N failed, N warned, N info, N unsupported

(then errors, cases not run, unreliable verdicts, expected failures and
expected failures now passing when there are any); CI reads the `N
passed, N failed` part.  Above it, the root causes: the FAIL cases grouped
by the requirement that failed first in each ("2 distinct requirements
failed: RLY-REQID-ECHO (10 cases), RLY-NO-5XX (1 case)"); the JSON, HTML
and JUnit reports carry the same grouping.  Cases that ran while the relay
was not serving are shown as unreliable and counted apart.
"""

from __future__ import annotations

import html
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional

from .. import __version__
from .model import CaseResult

ORDER = ("FAIL", "ERROR", "WARN", "INFO", "UNSUPPORTED", "PASS")
COUNTED_AS = {"PASS": "passed", "FAIL": "failed", "WARN": "warned",
              "INFO": "info", "UNSUPPORTED": "unsupported", "ERROR": "errors"}


class Run:
    """A finished run: what was checked, how, and the results."""

    def __init__(self, relay: str, draft: str, results: List[CaseResult],
                 catalog, started: float, duration: float,
                 expected: Optional[set] = None, well_known=None,
                 strict_errata: bool = False, kind: str = "relay",
                 extra: Optional[dict] = None,
                 top: Optional[List[str]] = None):
        self.strict_errata = strict_errata
        self.top = list(top or [])      # lines shown first: profile, hints
        self.kind = kind                # "relay", or "client": `relay` is
        self.relay = relay              # then the driver checked
        self.extra = dict(extra or {})  # more run facts for the JSON
        self.draft = draft
        self.results = results
        self.catalog = catalog
        self.started = started
        self.duration = duration
        self.expected = set(expected or ())
        self.well_known = well_known
        for r in results:
            r.expected_failure = r.id in self.expected and r.verdict in (
                "FAIL", "ERROR") and not r.unreliable

    # -- counts ---------------------------------------------------------------
    @property
    def new_failures(self) -> List[CaseResult]:
        return [r for r in self.results if r.verdict in ("FAIL", "ERROR")
                and not r.expected_failure and not r.unreliable]

    @property
    def now_passing(self) -> List[CaseResult]:
        return [r for r in self.results if r.id in self.expected
                and r.verdict not in ("FAIL", "ERROR") and not r.unreliable]

    @property
    def unreliable(self) -> List[CaseResult]:
        return [r for r in self.results if r.unreliable]

    def root_causes(self) -> List[tuple]:
        """[(requirement, [case ids])] of the counted FAILs, grouped by the
        requirement that failed first in each, most cases first."""
        groups: Dict[str, List[str]] = {}
        for r in self.results:
            if r.verdict == "FAIL" and not r.expected_failure and \
                    not r.unreliable:
                groups.setdefault(r.root_cause or "?", []).append(r.id)
        return sorted(groups.items(), key=lambda kv: -len(kv[1]))

    def root_cause_line(self) -> str:
        rc = self.root_causes()
        if not rc:
            return ""
        return "%d distinct requirement%s failed: %s" % (
            len(rc), "" if len(rc) == 1 else "s", ", ".join(
                "%s (%d case%s)" % (req, len(ids), "" if len(ids) == 1
                                     else "s") for req, ids in rc))

    def counts(self) -> Dict[str, int]:
        c = {"passed": 0, "failed": 0, "warned": 0, "info": 0,
             "unsupported": 0, "errors": 0, "not_run": 0, "unreliable": 0,
             "xfailed": 0, "xpassed": len(self.now_passing)}
        for r in self.results:
            if r.unreliable:
                c["unreliable"] += 1
            elif r.expected_failure:
                c["xfailed"] += 1
            elif r.not_run:
                c["not_run"] += 1
            else:
                c[COUNTED_AS[r.verdict]] += 1
        seen = [r.traffic for r in self.results if r.traffic is not None]
        if seen:                        # client runs: cases with evidence
            c["observed"], c["observable"] = sum(seen), len(seen)
        return c

    @property
    def nothing_to_judge(self) -> Optional[str]:
        """Why the run judged nothing (the client suite sets it), or None."""
        return self.extra.get("nothing_to_judge")

    def summary_line(self) -> str:
        c = self.counts()
        s = "conformance: %d passed, %d failed, %d warned, %d info, " \
            "%d unsupported" % (c["passed"], c["failed"], c["warned"],
                                c["info"], c["unsupported"])
        if c["errors"]:
            s += ", %d errors" % c["errors"]
        if c["not_run"]:
            s += ", %d not run" % c["not_run"]
        if c["unreliable"]:
            s += ", %d unreliable" % c["unreliable"]
        if c["xfailed"]:
            s += ", %d xfailed" % c["xfailed"]
        if c["xpassed"]:
            s += ", %d xpassed" % c["xpassed"]
        if "observed" in c:
            s += ", %d of %d cases observed %s" % (
                c["observed"], c["observable"],
                "driver traffic" if self.kind == "client" else "traffic")
        if self.nothing_to_judge:
            s += ", nothing to judge"
        return s

    def exit_status(self) -> int:
        if self.nothing_to_judge:
            return 2
        return 1 if self.new_failures else 0


# -- terminal -------------------------------------------------------------------------

def tag_of(r: CaseResult) -> str:
    """The verdict as shown: XFAIL for an expected failure, NOT-RUN for a
    failed precondition, (VERDICT) for an unreliable one."""
    if r.unreliable:
        return "(%s)" % r.verdict
    if r.expected_failure:
        return "XFAIL"
    return "NOT-RUN" if r.not_run else r.verdict


def _cls(r: CaseResult) -> str:
    """The CSS class of a case's verdict tag."""
    if r.unreliable:
        return "UNRELIABLE"
    return "NOTRUN" if r.not_run and not r.expected_failure else \
        tag_of(r)


def case_line(r: CaseResult) -> str:
    out = "%-11s %-30s %s" % (tag_of(r), r.id, r.title)
    if r.verdict != "PASS":
        reqs = r.failed_requirements
        out += "\n            %s%s" % (r.line, "  [%s]" % ", ".join(reqs)
                                       if reqs else "")
    if r.unreliable:
        out += "\n            unreliable, not counted: %s" % r.unreliable
    return out


def terminal(run: Run, stream, verbose: bool = False,
             quiet: bool = False) -> None:
    """One line per case (quiet: only those that did not pass), the line
    'expected X, got Y' and the requirements under each that did not, and
    the summary line last."""
    w = stream.write
    w("tigress-conformance %s: %s%s, draft %s%s, %d cases in %.1f s\n" % (
        __version__, "client " if run.kind == "client" else "", run.relay,
        run.draft,
        " (tigress-ref decisions as MUSTs)" if run.strict_errata else "",
        len(run.results), run.duration))
    for ln in run.top:
        w(ln + "\n")
    for r in run.results:
        if r.verdict == "PASS" and quiet and not r.unreliable:
            continue
        w(case_line(r) + "\n")
        if verbose or r.verdict in ("INFO", "UNSUPPORTED"):
            for n in r.notes:
                if "Traceback" not in n and n != r.got:
                    w("            note: %s\n" % n.splitlines()[0])
    if run.now_passing:
        w("expected failures that now pass: %s\n" %
          ", ".join(r.id for r in run.now_passing))
    xf = [r.id for r in run.results if r.expected_failure]
    if xf:
        w("expected failures still failing: %s\n" % ", ".join(xf))
    if run.new_failures and run.expected:
        w("new failures: %s\n" % ", ".join(r.id for r in run.new_failures))
    if run.nothing_to_judge:
        w("nothing to judge: %s (exit status 2)\n" % run.nothing_to_judge)
    if run.unreliable:
        w("ran while the relay was not serving (unreliable, not counted): "
          "%s\n" % ", ".join(r.id for r in run.unreliable))
    rc = run.root_causes()
    if rc:
        w(run.root_cause_line() + "\n")
        for req, ids in rc:
            w("  %-26s %s%s\n" % (req, ", ".join(ids[:8]),
                                    " ... (%d more)" % (len(ids) - 8)
                                    if len(ids) > 8 else ""))
    w(run.summary_line() + "\n")


# -- JSON -------------------------------------------------------------------------------

def to_json(run: Run) -> dict:
    cited = []
    for r in run.results:
        for rid in r.requirements:
            if rid not in cited:
                cited.append(rid)
    reqs = {}
    for rid in cited:
        e = run.catalog.get(rid)
        reqs[rid] = {k: e[k] for k in ("source", "revision", "section",
                                        "party", "level", "verdict",
                                        "summary") if k in e}
    out = {
        "tool": "tigress-conformance",
        "version": __version__,
        "kind": run.kind,
        run.kind: run.relay,
        "draft": run.draft,
        "strict_errata": run.strict_errata,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                 time.gmtime(run.started)),
        "duration": round(run.duration, 3),
        "summary": run.counts(),
        "summary_line": run.summary_line(),
        "top": run.top,
        "root_causes": [
            dict(_requirement_info(run, req), requirement=req, cases=ids)
            for req, ids in run.root_causes()],
        "root_cause_line": run.root_cause_line(),
        "unreliable": [r.id for r in run.unreliable],
        "exit_status": run.exit_status(),
        "expected_failures": {
            "listed": sorted(run.expected),
            "still_failing": [r.id for r in run.results
                              if r.expected_failure],
            "now_passing": [r.id for r in run.now_passing],
            "new_failures": [r.id for r in run.new_failures],
        },
        "well_known": run.well_known,
        "cases": [r.to_json() for r in run.results],
        "requirements": reqs,
        "untestable": [{"id": e["id"], "party": e["party"],
                        "reason": e["untestable_reason"]}
                       for e in _untestable(run)],
    }
    out.update(run.extra)
    return out


def _requirement_info(run: Run, rid: str) -> dict:
    e = run.catalog.entries.get(rid, {})
    return {k: e[k] for k in ("source", "section", "level", "summary")
            if k in e}


def _untestable(run: Run) -> List[dict]:
    """The untestable requirements that bind the party checked."""
    if run.kind == "client":
        return [e for e in run.catalog.untestable() if e["party"] != "relay"]
    return run.catalog.untestable()


# -- JUnit XML -------------------------------------------------------------------------------

def to_junit(run: Run) -> bytes:
    c = run.counts()
    root = ET.Element("testsuites", {
        "name": "tigress-conformance", "tests": str(len(run.results)),
        "failures": str(c["failed"]), "errors": str(c["errors"]),
        "skipped": str(c["unsupported"] + c["xfailed"]),
        "time": "%.3f" % run.duration})
    by_cat: Dict[str, List[CaseResult]] = {}
    for r in run.results:
        by_cat.setdefault(r.category, []).append(r)
    run_wide = run.root_cause_line()
    for cat, rs in by_cat.items():
        mine = [r for r in rs if not r.unreliable]
        suite = ET.SubElement(root, "testsuite", {
            "name": cat, "tests": str(len(rs)),
            "failures": str(sum(1 for r in mine if r.verdict == "FAIL"
                                and not r.expected_failure)),
            "errors": str(sum(1 for r in mine if r.verdict == "ERROR"
                              and not r.expected_failure)),
            "skipped": str(sum(1 for r in rs if r.verdict == "UNSUPPORTED"
                               or r.expected_failure or r.unreliable)),
            "time": "%.3f" % sum(r.duration for r in rs)})
        sprops = ET.SubElement(suite, "properties")
        ET.SubElement(sprops, "property", {
            "name": "root_causes", "value": "; ".join(
                "%s: %s" % (req, " ".join(i for i in ids if i in
                                          {r.id for r in rs}))
                for req, ids in run.root_causes()
                if any(r.id in ids for r in rs))})
        ET.SubElement(sprops, "property", {"name": "run_root_causes",
                                           "value": run_wide})
        for ln in run.top:              # the profile, a hint, the canary
            name, _, value = ln.partition(": ")
            ET.SubElement(sprops, "property", {"name": name, "value": value})
        for r in rs:
            tc = ET.SubElement(suite, "testcase", {
                "classname": "tigress.%s" % cat, "name": r.id,
                "time": "%.3f" % r.duration})
            props = ET.SubElement(tc, "properties")
            ET.SubElement(props, "property", {"name": "verdict",
                                              "value": r.verdict})
            ET.SubElement(props, "property", {
                "name": "requirements", "value": " ".join(r.requirements)})
            for name in ("root_cause", "not_run", "unreliable"):
                if getattr(r, name):
                    ET.SubElement(props, "property", {
                        "name": name, "value": getattr(r, name)})
            detail = "%s\nrequirements: %s\n%s" % (
                r.line, ", ".join(r.failed_requirements),
                "\n".join(r.notes))
            if r.unreliable:
                ET.SubElement(tc, "skipped", {
                    "message": "unreliable (%s): %s" % (r.unreliable,
                                                        r.line)})
            elif r.expected_failure:
                ET.SubElement(tc, "skipped", {
                    "message": "expected failure: %s" % r.line})
            elif r.verdict == "FAIL":
                f = ET.SubElement(tc, "failure", {"message": r.line,
                                                  "type": "FAIL"})
                f.text = detail
            elif r.verdict == "ERROR":
                f = ET.SubElement(tc, "error", {
                    "message": r.line,
                    "type": "NOT-RUN" if r.not_run else "ERROR"})
                f.text = detail
            elif r.verdict == "UNSUPPORTED":
                ET.SubElement(tc, "skipped", {"message": r.line})
            so = ET.SubElement(tc, "system-out")
            so.text = "%s %s: %s" % (r.verdict, r.id, detail)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- HTML ------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;
color:#1b1b1b;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse}td,th{padding:.25em .6em;text-align:left;
border-bottom:1px solid #ddd;vertical-align:top}
.v{font-weight:600;padding:.1em .5em;border-radius:3px;font-size:.85em}
.PASS{background:#dff3e0;color:#185c1f}.FAIL{background:#fbdada;color:#8a1414}
.WARN{background:#fdf0cf;color:#6d4c00}.INFO{background:#e2ecfb;color:#1f4b8a}
.UNSUPPORTED{background:#eee;color:#555}.ERROR{background:#f3d7f5;color:#6b1470}
.XFAIL{background:#eee;color:#8a1414}.NOTRUN{background:#f3d7f5;color:#555}
.UNRELIABLE{background:#eee;color:#999;text-decoration:line-through}
details{margin:.3em 0 .3em 1em}summary{cursor:pointer}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap;
word-break:break-all;font-size:12px;margin:.2em 0}
.line{font-family:ui-monospace,monospace}.muted{color:#666}
"""


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _body(b) -> str:
    if not b:
        return ""
    s = b.get("data", "")
    if b.get("encoding") == "base64":
        s = "(base64) " + s
    if b.get("truncated"):
        s += "\n... (%d bytes in all)" % b.get("length", 0)
    return s


def _exchange_html(i: int, ev: dict) -> str:
    req = ev.get("request") or {}
    resp = ev.get("response")
    if ev.get("driver"):
        title = "#%d %s" % (i, ev.get("description", ""))
        reqtext = _body(req.get("body"))
    elif ev.get("raw"):
        title = "#%d raw: %s" % (i, ev.get("description", ""))
        reqtext = _body(req.get("body"))
    else:
        title = "#%d %s %s" % (i, req.get("method"), req.get("url"))
        reqtext = "%s %s\n%s\n\n%s" % (
            req.get("method"), req.get("url"),
            "\n".join("%s: %s" % (k, v) for k, v in req.get("headers", [])),
            _body(req.get("body")))
    if resp is None:
        resptext = "(no answer) %s %s" % (ev.get("transport_error") or "",
                                          ev.get("note") or "")
        title += " -> no answer"
    else:
        resptext = "%s %s\n%s\n\n%s" % (
            resp.get("status"), resp.get("reason", ""),
            "\n".join("%s: %s" % (k, v) for k, v in resp.get("headers", [])),
            _body(resp.get("body")))
        if ev.get("note"):
            resptext += "\n(%s)" % ev["note"]
        if ev.get("driver"):
            resptext = _body(resp.get("body"))
        else:
            title += " -> %s" % resp.get("status")
    return ("<details><summary>%s</summary><pre>%s</pre><pre>%s</pre>"
            "</details>" % (_e(title), _e(reqtext), _e(resptext)))


def to_html(run: Run) -> str:
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<title>tigress-conformance: %s</title>" % _e(run.relay),
           "<style>%s</style></head><body>" % CSS,
           "<h1>tigress-conformance %s</h1>" % _e(__version__),
           "<p>%s <b>%s</b>, draft <b>%s</b>, %d cases in %.1f s, %s</p>" % (
               "Client (driver)" if run.kind == "client" else "Relay",
               _e(run.relay), _e(run.draft), len(run.results), run.duration,
               _e(time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                time.gmtime(run.started)))),
           "<p class=\"line\">%s</p>" % _e(run.summary_line())]
    for ln in run.top:
        out.append("<p class=\"line\">%s</p>" % _e(ln))
    rc = run.root_causes()
    if rc:
        out.append("<h2>Root causes</h2><p>%s</p><table><tr><th>requirement"
                   "</th><th>section</th><th>what</th><th>cases</th></tr>" %
                   _e(run.root_cause_line()))
        for req, ids in rc:
            info = _requirement_info(run, req)
            out.append("<tr><td>%s</td><td>%s %s</td><td>%s</td><td>%s</td>"
                       "</tr>" % (_e(req), _e(info.get("source", "")),
                                  _e(info.get("section", "")),
                                  _e(info.get("summary", "")), ", ".join(
                                      "<a href=\"#%s\">%s</a>" % (_e(i), _e(i))
                                      for i in ids)))
        out.append("</table>")
    if run.unreliable:
        out.append("<p>Ran while the relay was not serving (unreliable, not "
                   "counted): %s</p>" % _e(", ".join(
                       r.id for r in run.unreliable)))
    if run.now_passing:
        out.append("<p>Expected failures that now pass: %s</p>" % _e(
            ", ".join(r.id for r in run.now_passing)))
    out.append("<table><tr><th>verdict</th><th>case</th><th>title</th>"
               "<th>expected / got</th></tr>")
    for r in sorted(run.results, key=lambda r: (ORDER.index(r.verdict), r.id)):
        tag = tag_of(r)
        out.append("<tr><td><span class=\"v %s\">%s</span></td><td>"
                   "<a href=\"#%s\">%s</a></td><td>%s</td><td class=\"line\">"
                   "%s</td></tr>" % (_cls(r), tag, _e(r.id), _e(r.id),
                                     _e(r.title),
                                     _e(r.line) if r.verdict != "PASS" else ""))
    out.append("</table>")
    out.append("<h2>Cases</h2>")
    for r in run.results:
        tag = tag_of(r)
        out.append("<details id=\"%s\"%s><summary><span class=\"v %s\">%s"
                   "</span> <b>%s</b> %s</summary>" % (
                       _e(r.id), " open" if r.verdict in ("FAIL", "ERROR")
                       else "", _cls(r), tag, _e(r.id), _e(r.title)))
        out.append("<p class=\"line\">%s</p>" % _e(r.line))
        if r.unreliable:
            out.append("<p>Unreliable, not counted: %s</p>" % _e(r.unreliable))
        out.append("<p>Requirements: %s</p>" % ", ".join(
            "<span title=\"%s\">%s</span>" % (
                _e(run.catalog.get(x)["summary"]), _e(x))
            for x in r.requirements))
        if r.findings:
            out.append("<ul>")
            for f in r.findings:
                out.append("<li><span class=\"v %s\">%s</span> <span "
                           "class=\"line\">%s</span> [%s] %s</li>" % (
                               f.verdict, f.verdict, _e(f.line()),
                               _e(", ".join(f.requirements)),
                               _e(" ".join("#%d" % i for i in f.exchanges))))
            out.append("</ul>")
        for n in r.notes:
            out.append("<pre class=\"muted\">%s</pre>" % _e(n))
        if r.evidence:
            out.append("<details><summary>evidence: %d exchanges</summary>" %
                       len(r.evidence))
            for i, ev in enumerate(r.evidence):
                out.append(_exchange_html(i, ev))
            out.append("</details>")
        out.append("</details>")
    unt = _untestable(run)
    out.append("<h2>Requirements not testable from outside</h2><table>")
    for e in unt:
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            _e(e["id"]), _e(e["summary"]), _e(e["untestable_reason"])))
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


def write_all(run: Run, directory) -> Dict[str, Path]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {"json": d / "conformance.json", "junit": d / "conformance.xml",
             "html": d / "conformance.html"}
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(to_json(run), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(paths["junit"], "wb") as f:
        f.write(to_junit(run))
    with open(paths["html"], "w", encoding="utf-8") as f:
        f.write(to_html(run))
    return paths
