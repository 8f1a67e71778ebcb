"""The interop matrix's reports: interop.json, interop.md and interop.html
(one self-contained page: inline CSS, no scripts, no external assets), and
the command line of tools/interop.

Each cell (a relay, an initiator client, a recipient client) lists the
scenarios passed and failed; its details give, per scenario, the checks,
the requirements (spec/requirements.json, with draft and section) a
failed check breaks, the driver runs (exit status against the one
expected, stdout and stderr) and, where the relay records them (the test
relay's control endpoint), the exchanges with the relay.  The HTML page
shows that evidence as the conformance page does (core/report.py): each
body cut with its size and SHA-256, failed scenarios' first, within the
same page budget; interop.json keeps it all.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, List, Optional

from .. import __version__
from ..core import catalog, driver, exits, launch, reach
from ..core.progress import Progress
from ..core.text import count
from ..client.sessions import RecordEvidence
from ..core.report import (HTML_EVIDENCE_MIN, HTML_PAGE, exchange_html,
                           prepare_dir, requirements_html, requirements_json,
                           suite, suite_line, within_budget)
from ..core.text import printable
from .matrix import SCENARIOS, ConfigError, Matrix, load
from .matrix import run as run_matrix


# -- JSON ------------------------------------------------------------------------

def client_relay(m: Matrix) -> List[dict]:
    """The client x relay table: each client as both parties."""
    out = []
    for c in m.clients:
        for h in m.relays:
            cell = m.cell(h.name, c["name"], c["name"])
            out.append({"client": c["name"], "relay": h.name,
                        "status": cell.status if cell else "not run",
                        "passed": cell.of("pass") if cell else [],
                        "failed": cell.of("fail") if cell else [],
                        "n/a": cell.of("n/a") if cell else [],
                        "unsupported": cell.of("unsupported") if cell
                        else []})
    return out


def _cited(m: Matrix) -> List[str]:
    """The requirements the failed scenarios break, in order."""
    out: List[str] = []
    for c in m.cells:
        for r in c.results:
            out += [x for x in r.requirements if x not in out]
    return out


def _cells_json(m: Matrix, cat) -> List[dict]:
    cells = [c.to_json() for c in m.cells]
    for cell in cells:
        for r in cell["results"]:
            r["citations"] = {x: cat.where(x) for x in r["requirements"]
                              if x in cat}
    return cells


def to_json(m: Matrix) -> dict:
    cat = catalog.load()
    return {
        "tool": "tigress-interop", "version": __version__,
        "suite": suite(catalog.load()), "label": m.cfg.get("label"),
        "file": m.cfg["_file"], "profile": m.cfg.get("profile", "http-00"),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                 time.gmtime(m.started)),
        "duration": round(m.duration, 3),
        "scenarios": m.cfg["scenarios"],
        "relays": [h.describe() for h in m.relays],
        "clients": [{"name": c["name"], "driver": c["driver"],
                     "env": c.get("env", {})} for c in m.clients],
        "summary": m.counts(), "summary_line": m.summary_line(),
        "exit_status": m.exit_status(),
        "client_relay": client_relay(m),
        "cells": _cells_json(m, cat),
        "requirements": requirements_json(cat, _cited(m)),
    }


# -- Markdown ----------------------------------------------------------------------

def _cell_text(cell) -> str:
    """PASS 6/6 (n/a: retry): passed of the scenarios that ran."""
    if cell is None:
        return "not run"
    p, f = cell.of("pass"), cell.of("fail")
    na, un = cell.of("n/a"), cell.of("unsupported")
    s = "%s %d/%d" % ({"pass": "PASS", "fail": "FAIL"}.get(
        cell.status, "NONE"), len(p), len(p) + len(f))
    notes = []
    for label, xs in (("failed", f), ("n/a", na), ("unsupported", un),
                      ("skipped", cell.skipped)):
        if xs:
            notes.append("%s: %s" % (label, ", ".join(xs)))
    if notes:
        s += " (%s)" % "; ".join(notes)
    return s


def _md(s: str) -> str:
    return printable(str(s).replace("\n", " "), keep="").replace("|", "\\|")


def _title(m: Matrix) -> str:
    label = m.cfg.get("label")
    return "TIGRESS interop matrix%s" % (": %s" % label if label else "")


def to_markdown(m: Matrix) -> str:
    names = [c["name"] for c in m.clients]
    out = ["# %s" % _md(_title(m)), "",
           "`tools/interop %s`, profile %s, %s, %.1f s; %s." % (
               Path(m.cfg["_file"]).name, m.cfg.get("profile", "http-00"),
               time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(m.started)),
               m.duration, suite_line(catalog.load())), "",
           "    " + m.summary_line(), "",
           "Scenarios (spec/drivers.md): %s.  Each cell: scenarios passed "
           "of those run; n/a where the relay cannot inject the fault a "
           "scenario needs; skipped where the relay's entry says \"skip\"." % ", ".join(m.cfg["scenarios"]), ""]
    out += ["## Relays", "", "| relay | URL | fault injection |",
            "| --- | --- | --- |"]
    for h in m.relays:
        out.append("| %s | %s | %s |" % (
            _md(h.name), _md(h.url or "not started: %s" % h.error),
            "yes (control endpoint)" if h.control else "no"))
    out.append("")
    for h in m.relays:
        out += ["## Through %s (rows: initiator, columns: recipient)" %
                h.name, "",
                "| initiator \\ recipient | %s |" % " | ".join(
                    _md(n) for n in names),
                "| --- | %s |" % " | ".join("---" for _ in names)]
        for a in names:
            out.append("| %s | %s |" % (_md(a), " | ".join(
                _md(_cell_text(m.cell(h.name, a, b))) for b in names)))
        out.append("")
    out += ["## Client x relay (the client as both parties)", "",
            "| client | %s |" % " | ".join(_md(h.name) for h in m.relays),
            "| --- | %s |" % " | ".join("---" for _ in m.relays)]
    for c in names:
        out.append("| %s | %s |" % (_md(c), " | ".join(
            _md(_cell_text(m.cell(h.name, c, c))) for h in m.relays)))
    out.append("")
    out += ["## Cells", "",
            "| relay | initiator | recipient | passed | failed | n/a, "
            "unsupported, skipped |", "| --- | --- | --- | --- | --- | --- |"]
    for c in m.cells:
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            _md(c.relay), _md(c.initiator), _md(c.recipient),
            ", ".join(c.of("pass")) or "-", ", ".join(c.of("fail")) or "-",
            ", ".join(c.of("n/a") + c.of("unsupported") +
                      ["%s (skipped)" % x for x in c.skipped]) or "-"))
    out.append("")
    failed = [(c, r) for c in m.cells for r in c.results
              if r.status == "fail"]
    out += ["## Failures", ""]
    if not failed:
        out += ["None.", ""]
    cat = catalog.load()
    for c, r in failed:
        out += ["### %s: %s -> %s, %s" % (c.relay, c.initiator, c.recipient,
                                          r.scenario), "",
                "- %s" % _md(r.reason),
                "- requirements: %s" % (_md("; ".join(
                    cat.cite(x) for x in r.requirements)) or
                    "none (the tool failed, not an implementation)")]
        for run in r.runs:
            mark = "" if run.exit == run.expected else "  **<- expected %s**" \
                % run.expected
            out.append("- `%s`: exit %s%s" % (run.label, run.exit, mark))
            if run.exit != run.expected and run.stderr.strip():
                out.append("  - stderr: `%s`" % _md(run.last_error()))
        out.append("")
    out += ["Evidence (every check, driver output, relay exchanges): "
            "interop.json and interop.html.", ""]
    return "\n".join(out)


# -- HTML -----------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;
color:#1b1b1b;max-width:1300px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.3em .6em;
text-align:left;border:1px solid #ddd;vertical-align:top}
.pass{background:#dff3e0;color:#185c1f}.fail{background:#fbdada;color:#8a1414}
.na,.unsupported,.none{background:#eee;color:#555}
.v{font-weight:600;padding:.1em .45em;border-radius:3px;font-size:.85em}
details{margin:.3em 0 .3em 1em}summary{cursor:pointer}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap;
word-break:break-all;font-size:12px;margin:.2em 0}
.line{font-family:ui-monospace,monospace}.muted{color:#666}
"""


def _e(s) -> str:
    return html.escape(printable(s), quote=True)


def _anchor(*parts) -> str:
    return "c-" + "-".join("".join(ch if ch.isalnum() else "_" for ch in p)
                           for p in parts)


def _status_class(s: str) -> str:
    return {"n/a": "na"}.get(s, s)


def _cell_html(cell) -> str:
    if cell is None:
        return "<td class=\"none\">not run</td>"
    p, f = cell.of("pass"), cell.of("fail")
    body = "<a href=\"#%s\">%s %d/%d</a>" % (
        _anchor(cell.relay, cell.initiator, cell.recipient),
        "FAIL" if f else "PASS", len(p), len(p) + len(f))
    if p:
        body += "<br><span class=\"muted\">passed: %s</span>" % _e(
            ", ".join(p))
    if f:
        body += "<br>failed: %s" % _e(", ".join(f))
    if cell.of("n/a"):
        body += "<br><span class=\"muted\">n/a: %s</span>" % _e(
            ", ".join(cell.of("n/a")))
    if cell.of("unsupported"):
        body += "<br><span class=\"muted\">unsupported: %s</span>" % _e(
            ", ".join(cell.of("unsupported")))
    if cell.skipped:
        body += "<br><span class=\"muted\">skipped: %s</span>" % _e(
            ", ".join(cell.skipped))
    return "<td class=\"%s\">%s</td>" % ("fail" if f else "pass", body)


def _result_html(r, cat) -> tuple:
    """(the scenario's HTML lines, the index of the line its evidence
    goes in, or None when it has none)."""
    out = ["<details%s><summary><span class=\"v %s\">%s</span> <b>%s</b> "
           "%s <span class=\"muted\">(%.1f s)</span></summary>" % (
               " open" if r.status == "fail" else "",
               _status_class(r.status), _e(r.status.upper()), _e(r.scenario),
               _e(r.reason), r.duration)]
    if r.requirements:
        out.append("<p>Requirements: %s</p>" % requirements_html(
            cat, r.requirements))
    if r.checks:
        out.append("<table><tr><th></th><th>expected</th><th>got</th>"
                   "<th>requirements</th></tr>")
        for ok, what, got, reqs in r.checks:
            out.append("<tr><td class=\"%s\">%s</td><td>%s</td><td "
                       "class=\"line\">%s</td><td>%s</td></tr>" % (
                           "pass" if ok else "fail", "ok" if ok else "FAIL",
                           _e(what), _e(got), "" if ok else
                           requirements_html(cat, reqs)))
        out.append("</table>")
    for n in r.notes:
        out.append("<pre class=\"muted\">%s</pre>" % _e(n))
    slot = None
    if r.runs or r.exchanges:
        slot = len(out)
        out.append("")                  # the evidence, filled in later
    out.append("</details>")
    return out, slot


def _evidence(cell, r, relay_url: str) -> List[dict]:
    """A scenario's driver runs, then its relay exchanges, as the
    conformance reports' evidence (core/report.exchange_html)."""
    where = SimpleNamespace(relay_url=relay_url or "", name="%s: %s -> %s, "
                            "%s" % (cell.relay, cell.initiator,
                                    cell.recipient, r.scenario))
    return [run.to_evidence() for run in r.runs] + [
        RecordEvidence(where, x).to_evidence(1500) for x in r.exchanges]


def _evidence_html(m: Matrix, slots: dict, budget: int) -> Dict[int, str]:
    """{id(result): its evidence block} within `budget` characters: the
    failed scenarios' first (their failing driver runs first of all),
    then the passed ones' driver runs, then their relay exchanges."""
    urls = {h.name: h.url for h in m.relays}
    items, evs = [], {}
    for c in m.cells:
        for r in c.results:
            if id(r) not in slots:
                continue
            evs[id(r)] = ev = _evidence(c, r, urls.get(c.relay))
            failed = r.status == "fail"
            for i, e in enumerate(ev):
                run = i < len(r.runs)
                bad = run and (r.runs[i].exit != r.runs[i].expected or
                               r.runs[i].timed_out)
                tier = (0 if bad else 1 if run else 2) if failed else \
                    (3 if run else 4)
                items.append((tier, (id(r), i),
                              lambda e=e, i=i: exchange_html(i, e)))
    shown = within_budget(items, budget)
    out = {}
    for key, ev in evs.items():
        mine = [i for i in range(len(ev)) if (key, i) in shown]
        out[key] = "\n".join(
            ["<details><summary>evidence: %s, %s%s</summary>" % (
                count(sum(1 for e in ev if e.get("driver")), "driver run"),
                count(sum(1 for e in ev if not e.get("driver")),
                      "relay exchange"),
                "" if len(mine) == len(ev) else
                " (%d shown here; all in interop.json)" % len(mine))] +
            [shown[(key, i)] for i in mine] + ["</details>"])
    return out


def to_html(m: Matrix) -> str:
    """The page, kept to HTML_PAGE characters as the conformance page is
    (the evidence of failed scenarios first)."""
    names = [c["name"] for c in m.clients]
    cat = catalog.load()
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<title>%s</title>" % _e(_title(m)),
           "<style>%s</style></head><body>" % CSS,
           "<h1>%s</h1>" % _e(_title(m)),
           "<p>%s, profile <b>%s</b>, %s, %.1f s; %s</p>" % (
               _e(Path(m.cfg["_file"]).name),
               _e(m.cfg.get("profile", "http-00")),
               _e(time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                time.gmtime(m.started))), m.duration,
               _e(suite_line(catalog.load()))),
           "<p class=\"line\">%s</p>" % _e(m.summary_line()),
           "<p>Scenarios (spec/drivers.md): %s.</p>" % _e(
               ", ".join(m.cfg["scenarios"])),
           "<h2>Relays</h2><table><tr><th>relay</th><th>URL</th>"
           "<th>fault injection</th></tr>"]
    for h in m.relays:
        out.append("<tr><td>%s</td><td class=\"line\">%s</td><td>%s</td>"
                   "</tr>" % (_e(h.name), _e(h.url or "not started: %s" %
                                             h.error),
                              "yes" if h.control else "no"))
    out.append("</table>")
    for h in m.relays:
        out.append("<h2>Through %s</h2><table><tr><th>initiator \\ "
                   "recipient</th>%s</tr>" % (_e(h.name), "".join(
                       "<th>%s</th>" % _e(n) for n in names)))
        for a in names:
            out.append("<tr><th>%s</th>%s</tr>" % (_e(a), "".join(
                _cell_html(m.cell(h.name, a, b)) for b in names)))
        out.append("</table>")
    out.append("<h2>Client x relay (the client as both parties)</h2><table>"
               "<tr><th>client</th>%s</tr>" % "".join(
                   "<th>%s</th>" % _e(h.name) for h in m.relays))
    for c in names:
        out.append("<tr><th>%s</th>%s</tr>" % (_e(c), "".join(
            _cell_html(m.cell(h.name, c, c)) for h in m.relays)))
    out.append("</table><h2>Cells</h2><p class=\"muted\">Requirements are "
               "cited with the draft and section they come from: %s.  "
               "Evidence shown here is cut (bodies with their size and "
               "SHA-256); interop.json has every run and exchange.</p>" % _e(
                   "; ".join("%s = %s" % (k, v.get("document", k))
                             for k, v in cat.sources.items())))
    slots = {}                          # id(result) -> index in out
    for cell in m.cells:
        out.append("<h3 id=\"%s\">%s: %s &rarr; %s <span class=\"v %s\">%s"
                   "</span></h3>" % (
                       _anchor(cell.relay, cell.initiator, cell.recipient),
                       _e(cell.relay), _e(cell.initiator), _e(cell.recipient),
                       _status_class(cell.status), _e(cell.status.upper())))
        for r in cell.results:
            lines, slot = _result_html(r, cat)
            if slot is not None:
                slots[id(r)] = len(out) + slot
            out += lines
    cited = _cited(m)
    if cited:
        out.append("<h2>Requirements cited</h2><table><tr><th>requirement"
                   "</th><th>draft, section</th><th>level</th><th>what</th>"
                   "</tr>")
        for rid, e in requirements_json(cat, cited).items():
            out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                       "</tr>" % (_e(rid), _e(e["where"]),
                                  _e(e.get("level", "")),
                                  _e(e.get("summary", ""))))
        out.append("</table>")
    out.append("</body></html>")
    room = HTML_PAGE - sum(len(x) + 1 for x in out) - 200 * len(slots)
    blocks = _evidence_html(m, slots, max(HTML_EVIDENCE_MIN, room))
    for key, i in slots.items():
        out[i] = blocks[key]
    return "\n".join(out) + "\n"


def write_all(m: Matrix, directory) -> Dict[str, Path]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {"json": d / "interop.json", "markdown": d / "interop.md",
             "html": d / "interop.html"}
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(to_json(m), f, indent=1, ensure_ascii=True)
        f.write("\n")
    paths["markdown"].write_text(to_markdown(m), encoding="utf-8")
    paths["html"].write_text(to_html(m), encoding="utf-8")
    return paths


# -- the command line ----------------------------------------------------------------------

DEFAULT = Path(__file__).resolve().parents[2] / "interop-default.json"

EXAMPLES = """examples:
  interop                            # conformance/interop-default.json, as make interop
  interop event.json --report out/ --label "IETF 121 hackathon"
  interop event.json --scenario stateless tamper -v

The implementations file: conformance/README.md, "The interop matrix".
"""

MEANING = (
    (exits.OK, "every scenario that ran passed"),
    (exits.FINDINGS, "a scenario failed"),
    (exits.USAGE, "usage: bad arguments, or an implementations file that "
     "cannot be read or is wrong (a relay URL that is not "
     "https://host[:port], a missing \"ca\" file or driver)"),
    (exits.NOTHING, "nothing ran: no scenario ran in any cell"),
    (exits.UNREACHABLE, "unreachable: a relay did not answer, or did not "
     "start"),
    (exits.TLS, "TLS: a relay's certificate is not trusted, or its TLS "
     "handshake failed"),
    (exits.INTERNAL, "internal error: the tool failed (a bug)"),
    (exits.INTERRUPTED, "interrupted"),
    (exits.OUTPUT_CLOSED, "the reader of the output went away (| head): "
     "the run stopped there"),
)


def _parser() -> argparse.ArgumentParser:
    p = exits.Parser(
        prog="interop", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES + "\n" + exits.help_table(MEANING),
        description="Run every scenario of spec/drivers.md for every "
        "initiator/recipient client pair through each relay of "
        "IMPLEMENTATIONS_FILE (default: conformance/interop-default.json).")
    p.add_argument("file", metavar="IMPLEMENTATIONS_FILE", nargs="?",
                   help="the relays and clients (JSON); default %s" %
                   "conformance/interop-default.json")
    p.add_argument("--report", metavar="DIR",
                   help="write interop.json, interop.md and interop.html")
    p.add_argument("--label", metavar="NAME",
                   help="what the reports call this run (an event, a "
                   "date); else the file's \"label\"")
    p.add_argument("--scenario", nargs="+", action="extend",
                   choices=SCENARIOS, metavar="S",
                   help="only these scenarios (%s)" % ", ".join(SCENARIOS))
    p.add_argument("--timeout", type=float, default=20.0, metavar="S",
                   help="TIGRESS_TIMEOUT of receive steps")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="show each scenario as it ends")
    p.add_argument("--version", action="version",
                   version="interop: %s" % suite_line(catalog.load()))
    return p


def _cell_line(c) -> str:
    return "%-4s %s: %s -> %s: %s" % (c.status.upper(), c.relay,
                                      c.initiator, c.recipient,
                                      _cell_text(c))


def _run(args, out, err) -> int:
    path = args.file
    if path is None:
        if not DEFAULT.exists():
            raise exits.usage("give an implementations file (there is no "
                              "default here: %s)" % DEFAULT)
        path = str(DEFAULT)
    try:
        cfg = load(path)
    except ConfigError as e:
        raise exits.usage(str(e))
    if args.scenario:
        cfg["scenarios"] = [s for s in SCENARIOS if s in args.scenario]
    if args.label:
        cfg["label"] = args.label
    if args.report:
        prepare_dir(args.report)
    n_cells = len(cfg["relays"]) * len(cfg["clients"]) ** 2
    old = launch.on_signals_exit()
    try:
        with Progress(out, err, n_cells, "cell",
                      waits=driver.in_flight) as pg:
            def progress(cell, r):
                if args.verbose:
                    pg.line("%-11s %s: %s -> %s, %s (%.1f s)%s" % (
                        r.status.upper(), cell.relay, cell.initiator,
                        cell.recipient, r.scenario, r.duration,
                        "  " + r.reason if r.reason else ""), err)

            def cell_done(cell):
                pg.finish("%s: %s -> %s" % (cell.relay, cell.initiator,
                                            cell.recipient),
                          cell.status.upper(), _cell_line(cell))
            m = run_matrix(cfg, args.timeout, progress, cell_done)
    finally:
        launch.restore_signals(old)
    bad = [h for h in m.relays if h.error]
    for h in bad:
        err.write("interop: relay %s: %s\n" % (h.name, h.error))
    if bad:
        out.write("interop: could not run (%s)\n" % "; ".join(
            "relay %s %s" % (h.name, "not trusted" if h.status == exits.TLS
                             else "unreachable" if "url" in h.spec
                             else "not started") for h in bad))
        return bad[0].status or exits.UNREACHABLE
    if args.report:
        try:
            paths = write_all(m, args.report)
        except OSError as e:
            raise exits.usage("--report %s: cannot write there (%s)" % (
                args.report, reach.strerror(e)))
        err.write("reports: %s\n" % ", ".join(str(x) for x in
                                              paths.values()))
    out.write(m.summary_line() + "\n")
    if not any(c.results for c in m.cells) or not any(
            r.status in ("pass", "fail") for c in m.cells for r in c.results):
        err.write("interop: nothing ran: no scenario passed or failed in "
                  "any cell\n")
        return exits.NOTHING
    return m.exit_status()


def main(argv: Optional[List[str]] = None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    return exits.guarded(
        "interop", lambda e: "interop: could not run (%s)" % (
            e.short or "usage error"),
        lambda: _run(_parser().parse_args(argv), out, err), out, err,
        driver.kill_in_flight)
