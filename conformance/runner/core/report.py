"""Reports of a run: the terminal summary (streamed case by case while the
run goes, see cli.py), JSON, JUnit XML, one self-contained HTML page
(inline CSS, no scripts, no external assets; the evidence of each case in
collapsible sections) and a Markdown summary for a mailing list.  Each
names the implementation (`--label`), the suite's version and the draft,
and cites every requirement with the draft and section it comes from.
Text from the implementation is shown printable (core/text.py); the HTML
page shows evidence cut to a budget, each body with its size and SHA-256
(the JSON keeps up to 4 KiB of each).

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
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional

from .. import __version__
from .model import CaseResult
from . import exits
from .reach import strerror
from .text import MARK_CLOSE, MARK_OPEN, count, cut, printable

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
                 top: Optional[List[str]] = None,
                 label: Optional[str] = None,
                 late: Optional[List[str]] = None):
        self.strict_errata = strict_errata
        self.top = list(top or [])      # lines shown first: profile, hints
        self.late = list(late or [])    # lines known after: canary, inputs
        self.label = label              # the implementation's name
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
            s += ", " + count(c["errors"], "error")
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
        """FINDINGS when a case failed, OK when none did; but NOTHING when
        the run judged nothing (a client driver that did nothing: issue 9
        point 7) and none of its failures rests on driver traffic a case
        observed: those are the dead driver's, not the client's.  A
        failure on observed traffic wins over nothing to judge."""
        judged = [r for r in self.new_failures if r.traffic is not False]
        if self.nothing_to_judge and not judged:
            return exits.NOTHING
        return exits.FINDINGS if self.new_failures else exits.OK

    def cite(self, rid: str) -> str:
        return self.catalog.cite(rid) if rid in self.catalog else rid

    def implementation(self) -> str:
        """'NAME (URL)', or the URL (driver) alone without a label."""
        return "%s (%s)" % (self.label, self.relay) if self.label else \
            str(self.relay)


def suite(catalog) -> dict:
    """The suite's version and the drafts its requirements come from."""
    return {"name": "tigress-conformance", "version": __version__,
            "drafts": catalog.documents()}


def suite_line(catalog) -> str:
    """'tigress-conformance 1.1 (draft-vinokurov-tigress-http-00, ...)'."""
    s = suite(catalog)
    return "%s %s (%s)" % (s["name"], s["version"], ", ".join(s["drafts"]))


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


def case_line(r: CaseResult, catalog=None) -> str:
    """A case as the terminal shows it: its verdict, ID and title; under
    one that did not pass, 'expected X, got Y' and the requirements it
    broke, each with its draft and section."""
    out = "%-11s %-30s %s" % (tag_of(r), r.id, r.title)
    if r.verdict != "PASS":
        reqs = [catalog.cite(x) if catalog is not None and x in catalog
                else x for x in r.failed_requirements]
        out += "\n            %s%s" % (r.line, "  [%s]" % "; ".join(reqs)
                                       if reqs else "")
    if r.unreliable:
        out += "\n            unreliable, not counted: %s" % r.unreliable
    return printable(out)


def case_text(r: CaseResult, catalog=None, verbose: bool = False,
              quiet: bool = False) -> Optional[str]:
    """The lines of one case (None when `quiet` hides it), notes
    included."""
    if r.verdict == "PASS" and quiet and not r.unreliable:
        return None
    lines = [case_line(r, catalog)]
    if verbose or r.verdict in ("INFO", "UNSUPPORTED"):
        for n in r.notes:
            if "Traceback" not in n and n != r.got and n.strip():
                lines.append("            note: %s" % printable(
                    n.splitlines()[0]))
    return "\n".join(lines)


def head(kind: str, relay: str, draft: str, catalog, count: int,
         label: Optional[str] = None, strict_errata: bool = False) -> str:
    """The first line: the suite, what is checked (with its label), the
    draft."""
    doc = catalog.sources.get(draft, {}).get("document", draft)
    impl = "%s (%s)" % (label, relay) if label else relay
    return printable("tigress-conformance %s: %s %s, %s (%s)%s, %d case%s" % (
        __version__, kind, impl, draft, doc,
        " (tigress-ref decisions as MUSTs)" if strict_errata else "",
        count, "" if count == 1 else "s"))


def tail(run: Run, stream) -> None:
    """What follows the cases: the bookkeeping of expected failures, the
    root causes, and the summary line last."""
    w = stream.write
    for ln in run.late:
        w(printable(ln) + "\n")
    if run.now_passing:
        w("expected failures that now pass: %s\n" %
          ", ".join(r.id for r in run.now_passing))
    xf = [r.id for r in run.results if r.expected_failure]
    if xf:
        w("expected failures still failing: %s\n" % ", ".join(xf))
    if run.new_failures and run.expected:
        w("new failures: %s\n" % ", ".join(r.id for r in run.new_failures))
    if run.nothing_to_judge:
        w("nothing to judge: %s (exit status %d)\n" % (run.nothing_to_judge,
                                                      exits.NOTHING))
    if run.unreliable:
        w("ran while the relay was not serving (unreliable, not counted): "
          "%s\n" % ", ".join(r.id for r in run.unreliable))
    rc = run.root_causes()
    if rc:
        w(run.root_cause_line() + "\n")
        for req, ids in rc:
            w("  %-26s %s%s  (%s)\n" % (req, ", ".join(ids[:8]),
                                         " ... (%d more)" % (len(ids) - 8)
                                         if len(ids) > 8 else "",
                                         run.catalog.where(req)))
    w("%d case%s in %.1f s%s\n" % (len(run.results), "" if len(run.results)
                                    == 1 else "s", run.duration,
                                    ", %s" % run.label if run.label else ""))
    w(run.summary_line() + "\n")
    stream.flush()


def terminal(run: Run, stream, verbose: bool = False,
             quiet: bool = False) -> None:
    """The whole terminal report at once (cli.py streams the same lines
    while the run goes): the head, one line per case (quiet: only those
    that did not pass) with 'expected X, got Y' and the requirements
    under each that did not, and the summary line last."""
    w = stream.write
    w(head(run.kind, run.relay, run.draft, run.catalog, len(run.results),
           run.label, run.strict_errata) + "\n")
    for ln in run.top:
        w(printable(ln) + "\n")
    for r in run.results:
        text = case_text(r, run.catalog, verbose, quiet)
        if text is not None:
            w(text + "\n")
    tail(run, stream)


# -- JSON -------------------------------------------------------------------------------

def requirements_json(catalog, rids) -> dict:
    """{ID: the catalog's entry (source, section, level, summary...) and
    `where` (draft and section)} of each requirement cited, in order."""
    reqs = {}
    for rid in rids:
        if rid in reqs or rid not in catalog:
            continue
        e = catalog.get(rid)
        reqs[rid] = {k: e[k] for k in ("source", "revision", "section",
                                        "party", "level", "verdict",
                                        "summary") if k in e}
        reqs[rid]["where"] = catalog.where(rid)
    return reqs


def to_json(run: Run) -> dict:
    reqs = requirements_json(run.catalog, [
        rid for r in run.results for rid in r.requirements])
    cases = []
    for r in run.results:
        j = r.to_json()
        j["citations"] = {x: run.catalog.where(x) for x in r.requirements
                          if x in run.catalog}
        cases.append(j)
    out = {
        "tool": "tigress-conformance",
        "version": __version__,
        "suite": suite(run.catalog),
        "label": run.label,
        "kind": run.kind,
        run.kind: run.relay,
        "draft": run.draft,
        "draft_document": run.catalog.sources.get(run.draft, {}).get(
            "document", run.draft),
        "strict_errata": run.strict_errata,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                 time.gmtime(run.started)),
        "duration": round(run.duration, 3),
        "summary": run.counts(),
        "summary_line": run.summary_line(),
        "top": run.top + run.late,
        "root_causes": [
            dict(_requirement_info(run, req), requirement=req, cases=ids,
                 where=run.catalog.where(req))
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
        "cases": cases,
        "requirements": reqs,
        "untestable": [{"id": e["id"], "party": e["party"],
                        "where": run.catalog.where(e["id"]),
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

def _x(s) -> str:
    """Text XML 1.0 can hold: printable (no NUL or other controls)."""
    return printable(s)


def to_junit(run: Run) -> bytes:
    c = run.counts()
    root = ET.Element("testsuites", {
        "name": _x("tigress-conformance %s: %s" % (__version__,
                                                   run.implementation())),
        "tests": str(len(run.results)),
        "failures": str(c["failed"]), "errors": str(c["errors"]),
        "skipped": str(c["unsupported"] + c["xfailed"]),
        "time": "%.3f" % run.duration})
    by_cat: Dict[str, List[CaseResult]] = {}
    for r in run.results:
        by_cat.setdefault(r.category, []).append(r)
    run_wide = run.root_cause_line()
    for cat, rs in by_cat.items():
        mine = [r for r in rs if not r.unreliable]
        suite_el = ET.SubElement(root, "testsuite", {
            "name": cat, "tests": str(len(rs)),
            "failures": str(sum(1 for r in mine if r.verdict == "FAIL"
                                and not r.expected_failure)),
            "errors": str(sum(1 for r in mine if r.verdict == "ERROR"
                              and not r.expected_failure)),
            "skipped": str(sum(1 for r in rs if r.verdict == "UNSUPPORTED"
                               or r.expected_failure or r.unreliable)),
            "time": "%.3f" % sum(r.duration for r in rs)})
        sprops = ET.SubElement(suite_el, "properties")

        def prop(parent, name, value):
            ET.SubElement(parent, "property", {"name": name,
                                               "value": _x(value)})
        prop(sprops, "suite", suite_line(run.catalog))
        prop(sprops, "implementation", run.implementation())
        if run.label:
            prop(sprops, "label", run.label)
        prop(sprops, "draft", "%s (%s)" % (run.draft, run.catalog.sources.get(
            run.draft, {}).get("document", run.draft)))
        prop(sprops, "root_causes", "; ".join(
            "%s: %s" % (run.cite(req), " ".join(
                i for i in ids if i in {r.id for r in rs}))
            for req, ids in run.root_causes()
            if any(r.id in ids for r in rs)))
        prop(sprops, "run_root_causes", run_wide)
        for ln in run.top + run.late:   # the profile, a hint, the canary
            name, _, value = ln.partition(": ")
            prop(sprops, name, value)
        for r in rs:
            tc = ET.SubElement(suite_el, "testcase", {
                "classname": "tigress.%s" % cat, "name": r.id,
                "time": "%.3f" % r.duration})
            props = ET.SubElement(tc, "properties")
            prop(props, "verdict", r.verdict)
            prop(props, "requirements", " ".join(r.requirements))
            prop(props, "citations", "; ".join(run.cite(x)
                                               for x in r.requirements))
            for name in ("root_cause", "not_run", "unreliable"):
                if getattr(r, name):
                    prop(props, name, getattr(r, name))
            detail = _x("%s\nrequirements: %s\n%s" % (
                r.line, "; ".join(run.cite(x) for x in
                                  r.failed_requirements),
                "\n".join(cut(n, 2000) for n in r.notes)))
            line = _x(r.line)
            if r.unreliable:
                ET.SubElement(tc, "skipped", {
                    "message": _x("unreliable (%s): %s" % (r.unreliable,
                                                           r.line))})
            elif r.expected_failure:
                ET.SubElement(tc, "skipped", {
                    "message": "expected failure: %s" % line})
            elif r.verdict == "FAIL":
                f = ET.SubElement(tc, "failure", {"message": line,
                                                  "type": "FAIL"})
                f.text = detail
            elif r.verdict == "ERROR":
                f = ET.SubElement(tc, "error", {
                    "message": line,
                    "type": "NOT-RUN" if r.not_run else "ERROR"})
                f.text = detail
            elif r.verdict == "UNSUPPORTED":
                ET.SubElement(tc, "skipped", {"message": line})
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
mark{background:#ffe066}
.line{font-family:ui-monospace,monospace}.muted{color:#666}
"""

# The page stays under HTML_PAGE characters (mail archives, browsers on
# phones).  The text of the cases comes first, each line, finding and note
# cut to HTML_CAPS characters (all scaled down together until at least
# HTML_EVIDENCE_MIN is left: a relay whose every answer is long and
# hostile cannot grow the page); then the exchanges while room is left -
# those the findings of failed cases cite, then one per other case, then
# the rest - each body cut to HTML_BODY characters (its size and SHA-256
# said).  Everything is in conformance.json.
HTML_PAGE = 190_000
HTML_EVIDENCE_MIN = 30_000
HTML_BODY = 600
HTML_CAPS = {"table": 200, "line": 600, "finding": 400, "findings": 8,
             "note": 1500, "notes": 6}


def _e(s) -> str:
    """Escaped and printable, for HTML text and attributes; the marks of a
    highlighted change (core/text.highlight) become <mark>."""
    t = html.escape(printable(s), quote=True)
    if MARK_OPEN in t:
        opened = t.count(MARK_OPEN) - t.count(MARK_CLOSE)
        t = t.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
        t += "</mark>" * max(0, opened)
    return t


def body_text(b, limit: int) -> str:
    """An evidence body as text: printable, cut to `limit` characters
    with its size and SHA-256 said when anything is left out."""
    if not b:
        return ""
    s = b.get("data", "")
    if b.get("encoding") == "base64":
        s = "(base64) " + s
    else:
        s = s.replace("\r\n", "\n")
    more = bool(b.get("truncated")) or len(s) > limit
    return cut(printable(s[:limit]), limit * 10, b.get("length"),
               b.get("sha256"), more)


def exchange_html(i: int, ev: dict, limit: int = HTML_BODY) -> str:
    """Exchange #i of a case's evidence (an HTTP exchange, a raw one, or
    a driver run) as a collapsed <details>, each body cut to `limit`
    characters with its size and SHA-256 (body_text)."""
    req = ev.get("request") or {}
    resp = ev.get("response")
    if ev.get("driver"):
        title = "#%d %s" % (i, ev.get("description", ""))
        reqtext = body_text(req.get("body"), 4 * limit)
    elif ev.get("raw"):
        title = "#%d raw: %s" % (i, ev.get("description", ""))
        reqtext = body_text(req.get("body"), limit)
    else:
        title = "#%d %s %s" % (i, req.get("method"), req.get("url"))
        reqtext = "%s %s\n%s\n\n%s" % (
            req.get("method"), req.get("url"),
            "\n".join("%s: %s" % (k, v) for k, v in req.get("headers", [])),
            body_text(req.get("body"), limit))
    if resp is None:
        resptext = "(no answer) %s %s" % (ev.get("transport_error") or "",
                                          ev.get("note") or "")
        title += " -> no answer"
    else:
        resptext = "%s %s\n%s\n\n%s" % (
            resp.get("status"), resp.get("reason", ""),
            "\n".join("%s: %s" % (k, v) for k, v in resp.get("headers", [])),
            body_text(resp.get("body"), limit))
        if ev.get("note"):
            resptext += "\n(%s)" % ev["note"]
        if ev.get("driver"):
            resptext = body_text(resp.get("body"), 4 * limit)
        else:
            title += " -> %s" % resp.get("status")
    return ("<details><summary>%s</summary><pre>%s</pre><pre>%s</pre>"
            "</details>" % (_e(title), _e(reqtext), _e(resptext)))


def _evidence_shown(run: Run, budget: int) -> Dict[int, Dict[int, str]]:
    """{id(case result): {exchange index: its HTML}} within `budget`
    characters, in the order of HTML_PAGE."""
    tiers: List[tuple] = []
    for r in run.results:
        cited: List[int] = []
        for f in r.findings:
            cited += [i for i in f.exchanges if i not in cited]
        failed = r.verdict in ("FAIL", "ERROR", "WARN")
        for i in range(len(r.evidence)):
            if failed and i in cited:   # the first of each failed case
                tier = 2 * cited.index(i)   # first, then the others'
            elif i == (cited[0] if cited else 0):
                tier = 1
            else:
                tier = 1000 + i
            tiers.append((tier, r, i))
    shown: Dict[int, Dict[int, str]] = {}
    for (rid, i), h in within_budget(
            [(tier, (id(r), i), lambda r=r, i=i: exchange_html(
                i, r.evidence[i])) for tier, r, i in tiers], budget).items():
        shown.setdefault(rid, {})[i] = h
    return shown


def within_budget(items, budget: int) -> dict:
    """{key: html} of the pieces of evidence a page shows: `items` are
    (tier, key, make), make() giving the piece's HTML; lower tiers first
    (in their order), each piece that still fits in `budget` characters.
    The conformance and the interop pages keep to HTML_PAGE with it."""
    shown = {}
    left = budget
    for tier, key, make in sorted(items, key=lambda t: t[0]):
        if left < 400:                  # no exchange fits any more
            break
        h = make()
        if len(h) > left:
            continue
        left -= len(h)
        shown[key] = h
    return shown


def requirements_html(catalog, rids) -> str:
    """Each requirement with its draft (short name) and section; the
    table of requirements cited gives the drafts' full names."""
    return _e(", ".join("%s (%s)" % (x, catalog.where(x, short=True))
                        for x in rids))


def _ecut(s, cap: int) -> str:
    """`s` as HTML (see _e) of at most about `cap` characters; what is cut
    is said (the whole is in the JSON)."""
    t = printable(s)
    h = _e(t)
    if len(h) <= cap:
        return h
    k = cap
    while k > 10:
        h = _e(t[:k])
        if len(h) <= cap:
            break
        k = max(10, k * cap // len(h) - 1)
    return h + " [... %d characters cut]" % (len(t) - k)


def _caps(scale: float) -> dict:
    return {k: max(1 if k in ("findings", "notes") else 60, int(v * scale))
            for k, v in HTML_CAPS.items()}


def to_html(run: Run) -> str:
    """The page; the text of the cases cut ever shorter until the
    evidence has HTML_EVIDENCE_MIN of HTML_PAGE."""
    for scale in (1, 0.5, 0.25, 0.12, 0.06):
        out, slots = _page(run, _caps(scale))
        room = HTML_PAGE - sum(len(x) + 1 for x in out) - 200 * len(slots)
        if room >= HTML_EVIDENCE_MIN:
            break
    shown = _evidence_shown(run, max(HTML_EVIDENCE_MIN, room))
    for r in run.results:
        if id(r) in slots:
            mine = shown.get(id(r), {})
            out[slots[id(r)]] = "\n".join(
                ["<details><summary>evidence: %d exchange%s%s</summary>" % (
                    len(r.evidence), "" if len(r.evidence) == 1 else "s",
                    "" if len(mine) == len(r.evidence) else
                    " (%d shown here; all in conformance.json)" % len(mine))]
                + [mine[i] for i in sorted(mine)] + ["</details>"])
    return "\n".join(out) + "\n"


def _page(run: Run, caps: dict) -> tuple:
    """(the page's lines, {id(result): the line its evidence goes in})."""
    doc = run.catalog.sources.get(run.draft, {}).get("document", run.draft)
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<title>tigress-conformance: %s</title>" % _e(run.implementation()),
           "<style>%s</style></head><body>" % CSS,
           "<h1>%s %s</h1>" % ("Client" if run.kind == "client" else "Relay",
                               _e(run.label or run.relay)),
           "<p>%s <b>%s</b>%s checked against <b>%s</b> (%s) by %s, %d cases "
           "in %.1f s, %s</p>" % (
               "Client (driver)" if run.kind == "client" else "Relay",
               _e(run.relay), " (%s)" % _e(run.label) if run.label else "",
               _e(doc), _e(run.draft), _e(suite_line(run.catalog)),
               len(run.results), run.duration,
               _e(time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                time.gmtime(run.started)))),
           "<p class=\"line\">%s</p>" % _e(run.summary_line())]
    for ln in run.top + run.late:
        out.append("<p class=\"line\">%s</p>" % _ecut(ln, caps["line"]))
    if run.nothing_to_judge:
        out.append("<p>Nothing to judge: %s.</p>" % _e(run.nothing_to_judge))
    rc = run.root_causes()
    if rc:
        out.append("<h2>Root causes</h2><p>%s</p><table><tr><th>requirement"
                   "</th><th>draft, section</th><th>what</th><th>cases</th>"
                   "</tr>" % _e(run.root_cause_line()))
        for req, ids in rc:
            info = _requirement_info(run, req)
            out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                       "</tr>" % (_e(req), _e(run.catalog.where(req)),
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
                                     _ecut(r.line, caps["table"])
                                     if r.verdict != "PASS" else ""))
    out.append("</table>")
    out.append("<h2>Cases</h2><p class=\"muted\">Requirements are cited "
               "with the draft and section they come from: %s.  Evidence "
               "shown here is cut (bodies to %d characters, with their size "
               "and SHA-256); conformance.json has every exchange.</p>" % (
                   _e("; ".join("%s = %s" % (k, v.get("document", k))
                                for k, v in run.catalog.sources.items())),
                   HTML_BODY))
    slots = {}                          # id(result) -> index in out
    for r in run.results:
        tag = tag_of(r)
        out.append("<details id=\"%s\"%s><summary><span class=\"v %s\">%s"
                   "</span> <b>%s</b> %s</summary>" % (
                       _e(r.id), " open" if r.verdict in ("FAIL", "ERROR")
                       else "", _cls(r), tag, _e(r.id), _e(r.title)))
        out.append("<p class=\"line\">%s</p>" % _ecut(r.line, caps["line"]))
        if r.unreliable:
            out.append("<p>Unreliable, not counted: %s</p>" % _e(r.unreliable))
        out.append("<p>Requirements: %s</p>" % requirements_html(
            run.catalog, r.requirements))
        if r.findings:
            out.append("<ul>")
            for f in r.findings[:caps["findings"]]:
                out.append("<li><span class=\"v %s\">%s</span> <span "
                           "class=\"line\">%s</span> [%s] %s</li>" % (
                               f.verdict, f.verdict,
                               _ecut(f.line(), caps["finding"]),
                               requirements_html(run.catalog, f.requirements),
                               _e(" ".join("#%d" % i for i in f.exchanges))))
            if len(r.findings) > caps["findings"]:
                out.append("<li>%d more findings in conformance.json</li>" %
                           (len(r.findings) - caps["findings"]))
            out.append("</ul>")
        for n in r.notes[:caps["notes"]]:
            out.append("<pre class=\"muted\">%s</pre>" % _ecut(
                n, caps["note"]))
        if len(r.notes) > caps["notes"]:
            out.append("<p class=\"muted\">%d more notes in conformance.json"
                       "</p>" % (len(r.notes) - caps["notes"]))
        if r.evidence:
            slots[id(r)] = len(out)
            out.append("")              # the evidence, filled in below
        out.append("</details>")
    out.append("<h2>Requirements cited</h2><table><tr>"
               "<th>requirement</th><th>draft, section</th><th>level</th>"
               "<th>what</th></tr>")
    cited = []
    for r in run.results:
        cited += [x for x in r.requirements if x not in cited]
    for rid in sorted(cited):
        e = run.catalog.entries.get(rid, {})
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td>"
                   "<td>%s</td></tr>" % (_e(rid),
                                         _e(run.catalog.where(rid)),
                                         _e(e.get("level", "")),
                                         _e(e.get("summary", ""))))
    out.append("</table>")
    unt = _untestable(run)
    out.append("<h2>Requirements not testable from outside</h2><table>")
    for e in unt:
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            _e(e["id"]), _e(run.catalog.where(e["id"])), _e(e["summary"]),
            _e(e["untestable_reason"])))
    out.append("</table></body></html>")
    return out, slots


# -- Markdown --------------------------------------------------------------------------------

MD_LINE = 300           # characters of an expected / got line


def _md(s, limit: int = MD_LINE) -> str:
    """A table cell: printable, one line, pipes escaped, cut."""
    t = printable(str(s), keep="").replace("\\x0a", " ")
    t = t if len(t) <= limit else t[:limit - 3] + "..."
    return t.replace("|", "\\|")


def to_markdown(run: Run) -> str:
    """conformance.md: the run in a few screens of plain Markdown, for a
    mailing list or an issue (the evidence is in the JSON and HTML)."""
    doc = run.catalog.sources.get(run.draft, {}).get("document", run.draft)
    out = ["# TIGRESS conformance: %s" % _md(run.label or run.relay), "",
           "- %s: %s" % ("client (driver)" if run.kind == "client"
                         else "relay", _md(run.relay)),
           "- implementation: %s" % _md(run.label or "(no --label given)"),
           "- draft: %s (%s)%s" % (doc, run.draft,
                                   ", tigress-ref decisions as MUSTs"
                                   if run.strict_errata else ""),
           "- suite: %s" % suite_line(run.catalog),
           "- run: %s, %d cases in %.1f s" % (
               time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(run.started)),
               len(run.results), run.duration), "",
           "    " + run.summary_line(), ""]
    for ln in run.top + run.late:
        out.append("- %s" % _md(ln, 600))
    if run.top or run.late:
        out.append("")
    if run.nothing_to_judge:
        out += ["**Nothing to judge**: %s." % _md(run.nothing_to_judge), ""]
    rc = run.root_causes()
    if rc:
        out += ["## Root causes", "", run.root_cause_line(), "",
                "| requirement | draft, section | what | cases |",
                "| --- | --- | --- | --- |"]
        for req, ids in rc:
            out.append("| %s | %s | %s | %s |" % (
                req, _md(run.catalog.where(req)),
                _md(_requirement_info(run, req).get("summary", "")),
                ", ".join(ids)))
        out.append("")
    bad = [r for r in run.results if r.verdict != "PASS" or r.unreliable]
    out += ["## Cases that did not pass (%d)" % len(bad), ""]
    if not bad:
        out += ["None.", ""]
    else:
        out += ["| verdict | case | expected, got | requirements |",
                "| --- | --- | --- | --- |"]
        for r in sorted(bad, key=lambda r: (ORDER.index(r.verdict), r.id)):
            out.append("| %s | %s | %s | %s |" % (
                tag_of(r), r.id, _md(r.line), _md("; ".join(
                    run.cite(x) for x in (r.failed_requirements or
                                          r.requirements)), 600)))
        out.append("")
    xf = [r.id for r in run.results if r.expected_failure]
    if xf or run.now_passing:
        out += ["Expected failures still failing: %s; now passing: %s." % (
            ", ".join(xf) or "none",
            ", ".join(r.id for r in run.now_passing) or "none"), ""]
    good = [r.id for r in run.results if r.verdict == "PASS" and
            not r.unreliable]
    out += ["## Passed (%d)" % len(good), "", ", ".join(good) or "None.", "",
            "Every exchange, finding and requirement: conformance.json, "
            "conformance.html and conformance.xml (JUnit) beside this "
            "file.", ""]
    return "\n".join(out)


def prepare_dir(directory, option: str = "--report") -> Path:
    """Make the report directory (with its parents) and check a file can
    be written in it, before a run starts, so that no run's results are
    lost to an unwritable --report.  Raises a usage CannotRun (one line)
    when it cannot; the directory is left made."""
    d = Path(directory)
    try:
        if d.exists() and not d.is_dir():
            raise exits.usage("%s %s: not a directory" % (option, directory))
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=d):
            pass
    except OSError as e:
        raise exits.usage("%s %s: cannot write reports there (%s)" % (
            option, directory, strerror(e)))
    return d


def write_all(run: Run, directory) -> Dict[str, Path]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {"json": d / "conformance.json", "junit": d / "conformance.xml",
             "html": d / "conformance.html",
             "markdown": d / "conformance.md"}
    with open(paths["json"], "w", encoding="utf-8") as f:
        # ASCII only: every control or non-ASCII character a JSON escape
        json.dump(to_json(run), f, indent=1, ensure_ascii=True)
        f.write("\n")
    with open(paths["junit"], "wb") as f:
        f.write(to_junit(run))
    paths["html"].write_text(to_html(run), encoding="utf-8")
    paths["markdown"].write_text(to_markdown(run), encoding="utf-8")
    return paths
