"""Debian's headless Chromium driven over its DevTools pipe
(--remote-debugging-pipe: NUL-separated JSON, no extra package), for the
browser tests (ref-relay/tests/test_preview_browser.py: the preview page;
conformance/tests/test_lab_browser.py: the lab's pages).

Every request a page makes is intercepted (the Fetch domain) and recorded
in `requests`; `route(url)` says what becomes of it: "continue" (let it
through), "fail" (refused, nothing leaves the machine), or a dict
{"status", "headers": [(name, value)], "body": bytes} to answer it here.
So "nothing external fetched" is measured, not assumed.

    b = Chromium(profile_dir, lambda url: "continue"
                 if url.startswith(origin + "/") else "fail")
    probe, png = b.open(url, PHONE, probe="document.title")
    b.requests                   # every URL the pages asked for
    b.close()
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
DESKTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1,
           "mobile": False}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--ignore-certificate-errors", "--remote-debugging-pipe"]
STEP_TIMEOUT = 30

# Collects the page's CSP violations in window.__csp (install with open()'s
# init_script).
CSP_LISTENER = ("window.__csp = []; document.addEventListener("
                "'securitypolicyviolation', e => window.__csp.push("
                "e.violatedDirective + ' ' + e.blockedURI));")


def available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def high_fd(fd):
    """fd moved to a number above 9 (the old one is closed)."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class Chromium:
    """Headless Chromium on a DevTools pipe (fd 3: commands in, fd 4:
    answers and events out)."""

    def __init__(self, profile_dir, route, unrecorded=()):
        to_chrome, self._to = os.pipe()
        self._from, from_chrome = os.pipe()
        # bash (dash knows single-digit fds only) puts the pipes on fd 3
        # and 4 and execs chromium; they start above 9, so that neither is
        # 3 or 4 already.
        to_chrome, from_chrome = [high_fd(fd) for fd in (to_chrome,
                                                         from_chrome)]
        script = 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (
            to_chrome, from_chrome, to_chrome, from_chrome)
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", script, CHROMIUM] + FLAGS +
            ["--user-data-dir=%s" % profile_dir, "about:blank"],
            pass_fds=(to_chrome, from_chrome), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        os.close(to_chrome)
        os.close(from_chrome)
        self._buf = b""
        self._id = 0
        self.route = route
        self.unrecorded = set(unrecorded)
        self.requests = []
        self.loaded = {}                 # session -> load events seen

    def close(self):
        try:
            self.send("Browser.close")
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)     # our own session, by its id
            self.proc.wait(10)
        os.close(self._to)
        os.close(self._from)

    def send(self, method, params=None, session=None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to, json.dumps(msg).encode() + b"\0")
        return self._id

    def _next(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            data = os.read(self._from, 1 << 16)
            if not data:
                raise EOFError("chromium closed its DevTools pipe")
            self._buf += data
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None):
        want = self.send(method, params, session)
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            m = self._next(deadline)
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m["result"]
            self._event(m)

    def _event(self, m):
        method, p, session = m.get("method"), m.get("params", {}), \
            m.get("sessionId")
        if method == "Page.loadEventFired":
            self.loaded[session] = self.loaded.get(session, 0) + 1
        if method != "Fetch.requestPaused":
            return
        url = p["request"]["url"]
        if url not in self.unrecorded:
            self.requests.append(url)
        what = self.route(url)
        if what == "continue":
            self.send("Fetch.continueRequest", {"requestId": p["requestId"]},
                      session)
        elif isinstance(what, dict):
            self.send("Fetch.fulfillRequest", {
                "requestId": p["requestId"],
                "responseCode": what.get("status", 200),
                "responseHeaders": [{"name": k, "value": v}
                                    for k, v in what.get("headers", [])],
                "body": base64.b64encode(what.get("body", b"")).decode()},
                session)
        else:
            self.send("Fetch.failRequest", {"requestId": p["requestId"],
                                            "errorReason": "BlockedByClient"},
                      session)

    def wait_loads(self, session, count):
        """Wait until `session` has fired `count` load events."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while self.loaded.get(session, 0) < count:
            self._event(self._next(deadline))

    def tab(self, device, dark=False, init_script=None):
        """A new tab emulating `device` (and a dark colour scheme), its
        requests intercepted: (target id, session id)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})
        s = self.call("Target.attachToTarget", {
            "targetId": target["targetId"], "flatten": True})["sessionId"]
        self.call("Page.enable", session=s)
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, s)
        if init_script:
            self.call("Page.addScriptToEvaluateOnNewDocument",
                      {"source": init_script}, s)
        self.call("Emulation.setDeviceMetricsOverride", device, s)
        self.call("Emulation.setEmulatedMedia", {"features": [{
            "name": "prefers-color-scheme",
            "value": "dark" if dark else "light"}]}, s)
        return target["targetId"], s

    def evaluate(self, session, expression):
        return self.call("Runtime.evaluate", {
            "expression": expression, "returnByValue": True},
            session)["result"].get("value")

    def screenshot(self, session, device, full=True):
        """A PNG of the whole page at the device's width (full), or of
        what its screen shows."""
        if not full:
            shot = self.call("Page.captureScreenshot", {"format": "png"},
                             session)
            return base64.b64decode(shot["data"])
        size = self.call("Page.getLayoutMetrics",
                         session=session)["cssContentSize"]
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": device["width"],
                     "height": max(size["height"], device["height"]),
                     "scale": 1}}, session)
        return base64.b64decode(shot["data"])

    def open(self, url, device, dark=False, probe=None, init_script=None):
        """Load url in a new tab emulating device; returns (the value of
        the expression `probe`, PNG of the whole page)."""
        target, s = self.tab(device, dark, init_script)
        self.call("Page.navigate", {"url": url}, s)
        self.wait_loads(s, 1)
        value = self.evaluate(s, probe) if probe else None
        shot = self.screenshot(s, device)
        self.call("Target.closeTarget", {"targetId": target})
        return value, shot
