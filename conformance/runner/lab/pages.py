"""The lab's pages: plain HTML with one style sheet and one small script
(live updates), nothing from elsewhere; made for a phone's screen.

    /lab/               what the lab is, warnings, a form to start a run
    /lab/runs/R/        the run: the step to take now (share URL as text
                        and QR code), what the relay saw, the checklist of
                        scenarios with their verdicts, the reports

Forms post to /lab/... (server.py) and come back here; the script waits
on /lab/api/runs/R?after=V and reloads when anything changed.
"""

from __future__ import annotations

import html
import io
import time
from typing import Optional

from .api import seen, status_of
from .scenarios import GROUPS, OUTCOMES, SCENARIOS, button, in_group
from .state import Lab, LabRun, LabSession

CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'; report-uri /lab/csp")
VERDICT_ORDER = ("FAIL", "ERROR", "WARN", "INFO", "UNSUPPORTED", "PASS")

CSS = """
:root{--bg:#f5f6f8;--card:#fff;--fg:#15171a;--muted:#5d6570;--line:#dde1e6;
--accent:#1d5fd1;--accent-fg:#fff;--pass:#dff3e0;--pass-fg:#185c1f;
--fail:#fbdada;--fail-fg:#8a1414;--warn:#fdf0cf;--warn-fg:#6d4c00;
--info:#e2ecfb;--info-fg:#1f4b8a;--grey:#eceef1;--grey-fg:#4d545c}
@media (prefers-color-scheme:dark){:root{--bg:#111316;--card:#1b1e22;
--fg:#e8eaed;--muted:#9aa3ad;--line:#2e333a;--accent:#6ea1ff;
--accent-fg:#0b1020;--grey:#2a2f35;--grey-fg:#c2c8cf}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:40rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem}
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.1rem;margin:0 0 .4rem}
p{margin:.35rem 0}a{color:var(--accent)}
.muted,.kicker{color:var(--muted);font-size:.9rem}
.kicker{text-transform:uppercase;letter-spacing:.04em;font-size:.75rem;
margin:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;
padding:1rem;margin:1rem 0}
.now{border:2px solid var(--accent)}
.warn{background:var(--warn);color:var(--warn-fg);border-color:#e9d49a;
overflow-wrap:anywhere}
.warn li{margin:.3rem 0;font-size:.9rem}
.warn summary{font-weight:700}
.do{font-size:1.1rem;font-weight:600;margin:.4rem 0 .6rem}
.now h2{margin:.5rem 0 0;font-size:.8rem;text-transform:uppercase;
letter-spacing:.04em;color:var(--accent)}
.qr{display:block;margin:.8rem auto;width:min(18rem,100%);background:#fff;
padding:.5rem;border-radius:8px}
.qr svg{display:block;width:100%;height:auto}
code,.url{font:14px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;
word-break:break-all}
.url{background:var(--grey);color:var(--fg);padding:.5rem .6rem;
border-radius:8px;margin:.4rem 0}
form{margin:.5rem 0}
.buttons{display:flex;flex-wrap:wrap;gap:.5rem;margin:.6rem 0}
button,.button{font:inherit;font-weight:600;border:0;border-radius:10px;
padding:.7rem 1rem;min-height:2.9rem;background:var(--grey);
color:var(--grey-fg);cursor:pointer;text-decoration:none;display:inline-block}
button.primary,.button.primary{background:var(--accent);color:var(--accent-fg)}
button.small{min-height:2.2rem;padding:.35rem .8rem;font-size:.9rem}
input[type=text]{font:inherit;width:100%;padding:.65rem .7rem;border-radius:10px;
border:1px solid var(--line);background:var(--card);color:var(--fg)}
label{display:block;margin:.5rem 0 .2rem;font-weight:600}
label.check{font-weight:400;display:flex;gap:.5rem;align-items:flex-start}
ol.done{margin:.3rem 0;padding-left:1.4rem;color:var(--muted);font-size:.85rem}
ul.seen{list-style:none;margin:.4rem 0;padding:0;font-size:.85rem}
ul.seen li{padding:.35rem 0;border-top:1px solid var(--line)}
ul.seen li.lab{color:var(--muted)}
ul.seen .alarm{color:var(--fail-fg);background:var(--fail);font-weight:700;
padding:0 .3rem;border-radius:4px}
ul.list{list-style:none;margin:0;padding:0}
ul.list>li{padding:.75rem 0;border-top:1px solid var(--line)}
ul.list>li:first-child{border-top:0}
.row{display:flex;justify-content:space-between;align-items:center;gap:.5rem}
.v{font-weight:700;font-size:.75rem;padding:.12rem .45rem;border-radius:5px;
white-space:nowrap;display:inline-block}
.PASS,.done-s{background:var(--pass);color:var(--pass-fg)}
.FAIL,.error-s{background:var(--fail);color:var(--fail-fg)}
.WARN{background:var(--warn);color:var(--warn-fg)}
.INFO,.running-s{background:var(--info);color:var(--info-fg)}
.UNSUPPORTED,.ERROR,.skipped-s,.notrun-s{background:var(--grey);
color:var(--grey-fg)}
.chips{display:flex;flex-wrap:wrap;gap:.3rem;margin-top:.4rem}
details summary{cursor:pointer;font-weight:600;margin:.3rem 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td{padding:.35rem .3rem;border-top:1px solid var(--line);vertical-align:top}
ul.verdicts{list-style:none;margin:.4rem 0;padding:0;font-size:.9rem}
ul.verdicts li{padding:.45rem 0;border-top:1px solid var(--line)}
li details summary{font-weight:400;color:var(--muted);font-size:.9rem}
.live{display:none;color:var(--muted);font-size:.8rem}
body.js .live{display:inline}
.msg{background:var(--fail);color:var(--fail-fg);padding:.6rem;
border-radius:8px}
footer{padding:1rem 1rem 2rem;color:var(--muted);font-size:.85rem}
"""

ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        '<rect width="32" height="32" rx="7" fill="#1d5fd1"/><path d="M9 10h14'
        'M16 10v13" stroke="#fff" stroke-width="4" stroke-linecap="round"/>'
        '</svg>')

# The page's only script: wait for the lab to change, then reload (not
# while the tester is typing into a field).
JS = """(function () {
  var b = document.body, url = b.getAttribute("data-poll");
  if (!url || !window.fetch) { return; }
  var v = b.getAttribute("data-version");
  b.className += " js";
  function typing() {
    var e = document.activeElement;
    return e && e.tagName === "INPUT" && e.value !== "";
  }
  function poll() {
    fetch(url + "?after=" + v, {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (String(s.version) === v) { poll(); return; }
        if (typing()) { v = String(s.version); setTimeout(poll, 2000); return; }
        location.reload();
      }, function () { setTimeout(poll, 3000); });
  }
  poll();
})();
"""


def e(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG (segno), black on white."""
    import segno                # python3-segno: only the pages need it
    buf = io.BytesIO()
    segno.make(text, error="m").save(
        buf, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True,
        border=4, dark="#000", light="#fff", svgclass=None, lineclass=None,
        title="QR code of the share URL")
    return buf.getvalue().decode("ascii")


def page(title: str, body: str, poll: Optional[str] = None,
         version: int = 0) -> str:
    attrs = ' data-poll="%s" data-version="%d"' % (e(poll), version) \
        if poll else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, "
            "initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\">"
            "<link rel=\"icon\" href=\"/lab/icon.svg\">"
            "<link rel=\"stylesheet\" href=\"/lab/lab.css\">"
            "<title>%s</title></head><body%s>\n%s\n"
            "<script src=\"/lab/lab.js\"></script></body></html>\n" % (
                e(title), attrs, body))


def _warnings(lab: Lab, open_: bool = True) -> str:
    r = lab.relay
    if not r.warnings:
        return ""
    n = len(r.warnings)
    return ("<details class=\"card warn\"%s><summary>%s</summary><ul>%s</ul>"
            "%s</details>" % (
                " open" if open_ else "",
                "%d reason%s devices may not reach or trust this lab" % (
                    n, "" if n == 1 else "s"),
                "".join("<li>%s</li>" % e(w) for w in r.warnings),
                "<p><a href=\"/lab/ca.pem\">Download the lab's certificate"
                "</a> to install it on the device.</p>" if r.generated
                else ""))


def start_page(lab: Lab, msg: str = "") -> str:
    runs = "".join("<li><a href=\"/lab/runs/%s/\">%s</a> <span class=\"muted\">"
                   "%s</span></li>" % (e(r.id), e(r.label), e(
                       time.strftime("%H:%M", time.localtime(r.created))))
                   for r in reversed(list(lab.runs.values())))
    body = [
        "<header><p class=\"kicker\">tigress-conformance</p>"
        "<h1>TIGRESS lab</h1></header><main>",
        "<p class=\"msg\">%s</p>" % e(msg) if msg else "",
        "<section class=\"card\"><p>Test a TIGRESS client, such as a wallet "
        "app on a phone: the lab is a relay that records what your device "
        "sends, plays the other party, injects faults, and judges it "
        "against the draft.</p>"
        "<p class=\"muted\">Relay <code>%s</code> &middot; draft %s</p>" % (
            e(lab.relay.public_url), e(lab.draft)),
        "<form method=\"post\" action=\"/lab/\"><label for=\"label\">The "
        "implementation you test</label><input type=\"text\" id=\"label\" "
        "name=\"label\" maxlength=\"80\" required value=\"%s\" "
        "placeholder=\"e.g. Acme Wallet 2.1 (Android)\"><div class=\"buttons\">"
        "<button class=\"primary\">Start testing</button></div></form>"
        "</section>" % e(lab.label),
        _warnings(lab),
        "<section class=\"card\"><h2>Runs</h2><ul>%s</ul></section>" % runs
        if runs else "",
        "<section class=\"card\"><h2>How it works</h2><ol>"
        "<li>Name the implementation and start.</li>"
        "<li>Pick a scenario: your device as recipient (the lab shares, you "
        "scan the QR code) or as initiator (you share, then paste the URL)."
        "</li><li>Do each step on the device and say what it did; skip "
        "what it does not offer.</li><li>Read the verdicts and take the "
        "report.</li></ol></section>",
        "</main><footer>Nothing on this page comes from elsewhere.</footer>"]
    return page("TIGRESS lab", "\n".join(body))


def _chips(run: LabRun, name: str) -> str:
    from .api import _verdicts
    vs = sorted(_verdicts(run, name),
                key=lambda v: (VERDICT_ORDER.index(v["verdict"]), v["id"]))
    return "<div class=\"chips\">%s</div>" % "".join(
        "<span class=\"v %s\" title=\"%s\">%s %s</span>" % (
            v["verdict"], e(v["line"]), e(v["id"]), v["verdict"])
        for v in vs) if vs else ""


def _answer_form(run: LabRun, s: LabSession, p: dict) -> str:
    hidden = ("<input type=\"hidden\" name=\"scenario\" value=\"%s\">"
              "<input type=\"hidden\" name=\"n\" value=\"%d\">" % (
                  e(s.name), p["n"]))
    out = ["<form method=\"post\" action=\"/lab/runs/%s/step\">" % e(run.id),
           hidden]
    if p["step"] == "share":
        out.append("<label for=\"url\">The share URL your device made</label>"
                   "<input type=\"text\" id=\"url\" name=\"url\" "
                   "inputmode=\"url\" autocomplete=\"off\" required "
                   "placeholder=\"%s/v1/m/...#...\">"
                   "<label class=\"check\"><input type=\"checkbox\" "
                   "name=\"as_asked\" value=\"1\"> It shared the lab's test "
                   "key with these settings</label>" % e(run.lab.relay
                                                         .public_url))
    out.append("<div class=\"buttons\">")
    if p["step"] == "share":
        out.append("<button class=\"primary\" name=\"outcome\" value=\"ok\">"
                   "Shared</button>")
    for i, o in enumerate(p["choices"]):
        cls = " class=\"primary\"" if i == 0 and p["step"] != "share" else ""
        out.append("<button%s name=\"outcome\" value=\"%s\" formnovalidate>"
                   "%s</button>" % (cls, o, e(button(o, p["step"]))))
    out.append("</div><label for=\"note\">What the device said "
               "(optional)</label><input type=\"text\" id=\"note\" "
               "name=\"note\" maxlength=\"2000\" autocomplete=\"off\"></form>")
    return "".join(out)


def _settings(p: dict) -> str:
    st = p["settings"]
    if p["step"] != "share" or not st:
        return ""
    names = {"title": "title", "description": "description",
             "image": "image URL", "access": "rights", "expires": "lifetime",
             "vertical": "vertical", "notify": "notifications",
             "attest": "attestation"}
    shown = []
    for k, v in st.items():
        if k == "expires":
            v = "%d minutes" % (int(v) // 60)
        elif k in ("notify", "attest"):
            v = "yes, if it has them"
        shown.append("<tr><td>%s</td><td>%s</td></tr>" % (
            e(names.get(k, k)), e(v)))
    pi = ("<p class=\"muted\">Content, if it can be chosen:</p>"
          "<p class=\"url\">%s</p>" % e(p["input"])) if p["input"] else ""
    return ("<details><summary>If your app lets you choose</summary>"
            "<table>%s</table>%s</details>" % ("".join(shown), pi))


def _seen(s: LabSession) -> str:
    rows = seen(s)
    items = []
    for r in rows:
        notes = " &middot; ".join(
            "<span class=\"alarm\">%s</span>" % e(n)
            if n.startswith("THE SECRET") else e(n) for n in r["notes"])
        items.append("<li class=\"%s\"><code>%s</code><br>%s</li>" % (
            "lab" if r["peer"] else "dev", e(r["line"]), notes))
    return ("<details%s><summary>What the relay saw (%d)</summary>"
            "<ul class=\"seen\">%s</ul></details>" % (
                " open" if rows else "", len(rows), "".join(items) or
                "<li class=\"lab\">nothing yet</li>"))


def _now(run: LabRun, s: LabSession) -> str:
    sc = SCENARIOS[s.name]
    out = ["<section class=\"card now\" id=\"now\"><p class=\"kicker\">"
           "%s &middot; %s</p>" % (e(GROUPS[sc.group]), e(sc.title))]
    if s.steps:
        out.append("<ol class=\"done\">%s</ol>" % "".join(
            "<li>%s: %s</li>" % (e(x["step"]), e(
                OUTCOMES[x["outcome"]][1] if x.get("outcome") else
                "exit %s" % x.get("exit"))) for x in s.steps))
    p = s.pending
    if p is None:
        out.append("<p class=\"do\">The lab is working&hellip;</p>")
    else:
        out.append("<h2>Step %d: %s</h2><p class=\"do\">%s</p>" % (
            p["n"], e(p["step"]), e(p["instruction"])))
        if p["url"]:
            out.append("<div class=\"qr\">%s</div><p class=\"url\">%s</p>"
                       "<p><a class=\"button\" href=\"%s\">Open on this "
                       "device</a></p>" % (qr_svg(p["url"]), e(p["url"]),
                                           e(p["url"])))
        if p["step"] == "share":
            out.append("<p>The relay to use:</p><p class=\"url\">%s</p>" %
                       e(p["relay"]))
            out.append(_settings(p))
        out.append(_answer_form(run, s, p))
    out.append(_seen(s))
    out.append("<details><summary>About this scenario</summary><p>%s</p>"
               "<p class=\"muted\">Checks: %s.</p></details>" % (
                   e(sc.what), e(sc.checks)))
    out.append("<form method=\"post\" action=\"/lab/runs/%s/skip\"><input "
               "type=\"hidden\" name=\"scenario\" value=\"%s\"><button "
               "class=\"small\">Skip this scenario</button></form></section>"
               % (e(run.id), e(s.name)))
    return "".join(out)


def _checklist(run: LabRun) -> str:
    out = []
    for g, title in GROUPS.items():
        items = []
        for sc in in_group(g):
            st = status_of(run, sc.name)
            can = run.active is None
            start = ("<form method=\"post\" action=\"/lab/runs/%s/start\">"
                     "<input type=\"hidden\" name=\"scenario\" value=\"%s\">"
                     "<button class=\"small%s\">%s</button></form>" % (
                         e(run.id), e(sc.name), " primary" if st == "not run"
                         else "", "Start" if st == "not run" else "Again")
                     if can else "")
            why = getattr(run.sessions.get(sc.name), "unsupported", None)
            items.append(
                "<li><div class=\"row\"><div><b>%s</b> <span class=\"v %s-s"
                "\">%s</span></div>%s</div>%s<details><summary>What it "
                "checks</summary><p>%s</p><p class=\"muted\">%s.</p>"
                "</details>%s</li>" % (
                    e(sc.title), st.replace(" ", ""), e(st), start,
                    "<p class=\"muted\">%s</p>" % e(why)
                    if why and st != "running" else "",
                    e(sc.what), e(sc.checks[0].upper() + sc.checks[1:]),
                    _chips(run, sc.name) if st not in ("not run", "running")
                    else ""))
        out.append("<section class=\"card\"><h2>%s</h2><ul class=\"list\">%s"
                   "</ul></section>" % (e(title), "".join(items)))
    return "".join(out)


def _verdict_table(run: LabRun) -> str:
    from . import report
    from ..client.registry import CLIENT_REGISTRY
    played = {n for n, s in run.sessions.items() if s.status != "running"}
    shown = [c for c in sorted(run.results, key=lambda c: (
        VERDICT_ORDER.index(c.verdict), c.id))
        if played & set(CLIENT_REGISTRY[c.id].sessions)]

    def row(c, text):
        return ("<li><span class=\"v %s\">%s</span> <b>%s</b><br><span "
                "class=\"muted\">%s</span></li>" % (
                    c.verdict, c.verdict, e(c.id), e(text)))
    bad = "".join(row(c, c.line) for c in shown if c.verdict != "PASS")
    good = [row(c, c.title) for c in shown if c.verdict == "PASS"]
    links = " &middot; ".join(
        "<a href=\"/lab/runs/%s/report.%s\">%s</a>" % (e(run.id), k, n)
        for k, n in (("html", "HTML"), ("json", "JSON"), ("xml", "JUnit"),
                     ("md", "Markdown")))
    return ("<section class=\"card\"><h2>Verdicts so far</h2><p><code>%s"
            "</code></p>%s%s<p>Report: %s</p></section>" % (
                e(report.summary_line(run)),
                "<ul class=\"verdicts\">%s</ul>" % bad if bad else "" if
                good else "<p class=\"muted\">None yet: play a scenario.</p>",
                "<details><summary>%d passed</summary><ul class=\"verdicts\">"
                "%s</ul></details>" % (len(good), "".join(good)) if good
                else "", links))


def run_page(run: LabRun, msg: str = "") -> str:
    lab = run.lab
    active = run.active
    body = ["<header><p class=\"kicker\"><a href=\"/lab/\">TIGRESS lab</a>"
            " <span class=\"live\">&middot; live</span></p><h1>%s</h1>"
            "<p class=\"muted\"><code>%s</code> &middot; %s</p></header>"
            "<main>" % (
                e(run.label), e(lab.relay.public_url),
                e(run.judged_profile() + (" (auto)" if run.profile is None
                                          else ""))),
            "<p class=\"msg\">%s</p>" % e(msg) if msg else "",
            _now(run, active) if active is not None else "",
            _warnings(lab, open_=False),
            _checklist(run), _verdict_table(run),
            "</main><footer>Run %s. Nothing on this page comes from "
            "elsewhere.</footer>" % e(run.id)]
    return page("%s - TIGRESS lab" % run.label, "\n".join(body),
                "/lab/api/runs/%s" % run.id, lab.version)
