"""The lab's process: one TLS listener that is the instrumented relay for
every path but /lab/ (never recorded), where the pages (pages.py), their
form posts and the API (api.py) live; and the command line

    tigress-conformance lab --listen HOST:PORT [--public-url https://NAME:PORT]
        [--cert FILE --key FILE] [--draft auto|http-00|sct-04]
        [--report DIR] [--label NAME]

    lab = start_lab("127.0.0.2:0")          # tests: serving in threads
    lab.relay.public_url + "/lab/"
    lab.close()
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
import urllib.parse
from pathlib import Path
from typing import Optional

from brokenrelay.protocol import Response
from brokenrelay.server import Handler

from . import api, pages, report
from .relay import LabError, LabRelay, parse_listen, public_url_of
from .state import Lab

MAX_POST = 262144
SECURITY = [("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"),
            ("X-Frame-Options", "DENY")]
DRAFTS = ("auto", "http-00", "sct-04")


def _page(body: str, status: int = 200) -> Response:
    return Response(status, body.encode("utf-8"), "text/html; charset=utf-8",
                    [("Content-Security-Policy", pages.CSP)] + SECURITY)


def _see_other(location: str) -> Response:
    return Response(303, b"", None, [("Location", location)] + SECURITY)


def _plain(status: int, ctype: Optional[str], body: bytes) -> Response:
    return Response(status, body, ctype, list(SECURITY))


class LabHandler(Handler):
    """The relay's handler, with /lab/ served by the lab."""

    def _serve(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/lab" or path.startswith("/lab/") or \
                path == "/favicon.ico":
            return self._write(self._lab(path))
        return super()._serve()

    def _lab(self, path: str) -> Response:
        lab: Lab = self.server.lab
        parts = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0) \
            if (self.headers.get("Content-Length") or "0").isdigit() else -1
        if n < 0 or n > MAX_POST:
            return _plain(413, "application/json",
                          b'{"error":"too_large","message":"body over '
                          b'256 KiB"}')
        body = self.rfile.read(n) if n else b""
        m = self.command
        if m == "POST" and not self._same_origin():
            return _plain(403, "application/json",
                          b'{"error":"origin","message":"posted from '
                          b'another site"}')
        if path.startswith("/lab/api/"):
            status, data = api.handle(lab, m, path, parts.query, body)
            return _plain(status, "application/json", data)
        try:
            return route_page(lab, m, path, parts.query, body)
        except api.ApiError as e:
            return _page(pages.page("TIGRESS lab", "<main><p class=\"msg\">"
                                    "%s</p><p><a href=\"/lab/\">Back</a></p>"
                                    "</main>" % pages.e(e.message)),
                         e.status)

    def _same_origin(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None or origin == "null":
            return origin is None
        return urllib.parse.urlsplit(origin).netloc == self.headers.get(
            "Host", "")


def _form(body: bytes) -> dict:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(
        body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def route_page(lab: Lab, method: str, path: str, query: str,
               body: bytes) -> Response:
    q = _form(query.encode())
    if path in ("/lab", "/lab/"):
        if method == "POST":
            run = api.new_run(lab, _form(body).get("label"))
            return _see_other("/lab/runs/%s/" % run.id)
        return _page(pages.start_page(lab, q.get("msg", "")))
    if path == "/lab/lab.css":
        return _plain(200, "text/css; charset=utf-8", pages.CSS.encode())
    if path == "/lab/lab.js":
        return _plain(200, "text/javascript; charset=utf-8",
                      pages.JS.encode())
    if path == "/lab/icon.svg":
        return _plain(200, "image/svg+xml", pages.ICON.encode())
    if path == "/lab/ca.pem" and lab.relay.generated:
        return _plain(200, "application/x-pem-file",
                      Path(lab.relay.cert_file).read_bytes())
    if path == "/lab/csp" and method == "POST":
        with lab.cond:
            lab.csp_reports.append(body.decode("utf-8", "replace")[:4096])
        return _plain(204, None, b"")
    segs = path.split("/")          # "", "lab", "runs", ID, what
    if len(segs) == 5 and segs[2] == "runs":
        run = api._run(lab, segs[3])
        what = segs[4]
        if what == "" and method == "GET":
            return _page(pages.run_page(run, q.get("msg", "")))
        if what.startswith("report.") and method == "GET":
            docs = report.documents(run)
            kind = what[len("report."):]
            if kind in docs:
                ctype, data = docs[kind]
                return _plain(200, ctype, data)
        if method == "POST" and what in ("start", "skip", "step"):
            return _post(run, what, _form(body))
    return _plain(404, "application/json", b'{"error":"not_found",'
                  b'"message":"no such page"}')


def _post(run, what: str, f: dict) -> Response:
    back = "/lab/runs/%s/" % run.id
    try:
        name = f.get("scenario", "")
        if what == "start":
            api.start(run, name)
        elif what == "skip":
            api.skip(run, name)
        else:
            ans = {"outcome": f.get("outcome"), "note": f.get("note") or None}
            if f.get("url"):
                ans["url"] = f["url"]
            if f.get("as_asked"):
                ans["as_asked"] = True
            n = f.get("n", "")
            api.answer(run, name, int(n) if n.isdigit() else -1, ans)
    except (api.ApiError, KeyError) as e:
        msg = e.message if isinstance(e, api.ApiError) else str(e)
        return _see_other(back + "?" + urllib.parse.urlencode({"msg": msg}))
    return _see_other(back + "#now")


# -- starting and the command line ---------------------------------------------------

def start_lab(listen: str, public_url: Optional[str] = None,
              cert: Optional[str] = None, key: Optional[str] = None,
              draft: str = "auto", report_dir: Optional[str] = None,
              label: str = "", workdir: Optional[Path] = None) -> Lab:
    """Start serving (threads); LabError when it cannot."""
    if draft not in DRAFTS:
        raise LabError("--draft %s: one of %s" % (draft, ", ".join(DRAFTS)))
    if bool(cert) != bool(key):
        raise LabError("give --cert and --key together")
    for f in (cert, key):
        if f and not Path(f).is_file():
            raise LabError("cannot read %s" % f)
    host, port = parse_listen(listen)
    pub = public_url_of(public_url, host, port) if port or public_url \
        else None                   # port 0: the port bound
    own = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="tigress-lab-"))
    try:
        relay = LabRelay(workdir, (host, port), pub,
                         (cert, key) if cert else None, draft, LabHandler)
    except LabError:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    lab = Lab(relay, workdir, draft, Path(report_dir) if report_dir else None,
              label)
    lab.own_workdir = own
    relay.server.lab = lab
    relay.check()
    return lab


def add_parser(sub) -> None:
    p = sub.add_parser(
        "lab", help="serve the live lab for phones and apps",
        description="A live test relay for clients that are not programs "
        "on this machine (phones, web apps): it records what each device "
        "sends, plays the other party, injects faults, and guides the "
        "tester through the client scenarios at /lab/; the verdicts are "
        "the client suite's.  See conformance/README.md, 'The lab'.")
    p.add_argument("--listen", required=True, metavar="HOST:PORT",
                   help="where to listen, e.g. 0.0.0.0:8443")
    p.add_argument("--public-url", metavar="URL",
                   help="the https URL devices use (default: the listen "
                   "address, or this machine's LAN address)")
    p.add_argument("--cert", metavar="FILE", help="PEM certificate (chain) "
                   "for the public name (default: a self-signed one is made)")
    p.add_argument("--key", metavar="FILE", help="its private key")
    p.add_argument("--draft", choices=DRAFTS, default="auto",
                   help="the profile: auto (default) takes the revision "
                   "whose claim header the device sends")
    p.add_argument("--report", metavar="DIR", help="write each run's "
                   "conformance.json, .xml, .html and .md under DIR")
    p.add_argument("--label", metavar="NAME", default="",
                   help="the implementation's name (the page may change it)")


def main(args, out, err) -> int:
    """tigress-conformance lab: serve until SIGINT or SIGTERM."""
    try:
        lab = start_lab(args.listen, args.public_url, args.cert, args.key,
                        args.draft, args.report, args.label)
    except LabError as e:
        err.write("tigress-conformance: %s\n" % e)
        return 2
    stop = threading.Event()
    old = {s: signal.signal(s, lambda *_: stop.set())
           for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        r = lab.relay
        if args.label:
            api.new_run(lab, args.label)
        for w in r.warnings:
            err.write("warning: %s\n" % w)
        out.write("tigress-lab: relay %s, page %s/lab/ (certificate: %s)\n" %
                  (r.public_url, r.public_url, r.cert_file))
        if args.report:
            out.write("tigress-lab: reports under %s\n" % args.report)
        out.flush()
        while not stop.wait(0.5):
            pass
        out.write("tigress-lab: stopped\n")
        return 0
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        lab.close()
