"""The lab's pages in a real browser (issue 15, item 5): Debian's headless
Chromium (tools/headless_chromium.py) loads /lab/ and a run's page at a
phone's size from a lab on 127.0.0.2; the QR code in the screenshot
decodes (zbar-tools' zbarimg) to the share URL the lab waits on; every
request the pages make is recorded, and anything not to the lab's own
origin is refused and fails the test; no CSP violation happens; the
script's live update reloads the page when the lab moves on.

Screenshots are kept as test artefacts: build/artefacts/lab-*.png.  The
test skips, saying so, when chromium or zbarimg is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
for d in (CONFORMANCE, REPO / "tools"):
    if str(d) not in sys.path:
        sys.path.insert(0, str(d))

from headless_chromium import (CSP_LISTENER, PHONE, Chromium,  # noqa: E402
                               available)
from runner.lab.remote import LabAPI, play  # noqa: E402
from runner.lab.server import start_lab  # noqa: E402
from test_client_conformance import built  # noqa: E402,F401  (make ref-client)

ARTEFACTS = REPO / "build" / "artefacts"
REF = str(CONFORMANCE / "drivers" / "ref-client-driver")
ZBARIMG = shutil.which("zbarimg") or "/usr/bin/zbarimg"

PROBE = """(() => {
  const q = s => document.querySelector(s);
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    live: document.body.classList.contains("js"),
    h1: q("h1") ? q("h1").textContent : null,
    font: getComputedStyle(document.body).fontFamily,
    qr: !!q(".qr svg"),
    url: q(".now .url") ? q(".now .url").textContent : null,
    buttons: [...document.querySelectorAll("button")].map(b => b.textContent),
    external: [...document.querySelectorAll("[src],[href]")].map(
        e => e.getAttribute("src") || e.getAttribute("href")).filter(
        u => /^[a-z]+:/i.test(u) && !u.startsWith("data:") &&
             !u.startsWith(location.origin)),
    csp: window.__csp,
  };
})()"""


def keep(name, data):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / name).write_bytes(data)


def shots(browser, s, name, full=False):
    """The phone's screen as lab-NAME.png (and the whole page as
    lab-NAME-full.png); the screen's PNG."""
    screen = browser.screenshot(s, PHONE, full=False)
    keep("lab-%s.png" % name, screen)
    if full:
        keep("lab-%s-full.png" % name, browser.screenshot(s, PHONE))
    return screen


def load(browser, url):
    """A phone's tab on url: (target, session, probe)."""
    target, s = browser.tab(PHONE, init_script=CSP_LISTENER)
    browser.call("Page.navigate", {"url": url}, s)
    browser.wait_loads(s, 1)
    return target, s, browser.evaluate(s, PROBE)


def decode_qr(png: bytes, tmp: Path) -> list:
    f = tmp / "shot.png"
    f.write_bytes(png)
    p = subprocess.run([ZBARIMG, "--raw", "-q", str(f)],
                       capture_output=True, text=True, timeout=60)
    return [x for x in p.stdout.splitlines() if x.strip()]


@pytest.fixture(scope="module")
def lab(built):
    if not available():
        pytest.skip("chromium is not installed (Debian package chromium, "
                    "make deps): the lab's pages are not rendered")
    if not Path(ZBARIMG).exists():
        pytest.skip("zbarimg is not installed (Debian package zbar-tools, "
                    "make deps): the QR code cannot be read")
    lab = start_lab("127.0.0.2:0", label="Acme Wallet 2.1")
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    origin = lab.relay.public_url

    def route(url):
        return "continue" if url.startswith(origin + "/") else "fail"
    b = Chromium(tmp_path_factory.mktemp("chromium"), route)
    try:
        yield b
    finally:
        b.close()


def only_lab(browser, origin):
    assert browser.requests, "the browser asked for nothing"
    outside = [u for u in browser.requests if not u.startswith(origin + "/")]
    assert outside == [], outside


def test_pages_on_a_phone(lab, browser, tmp_path):
    origin = lab.relay.public_url
    api = LabAPI(origin, ca=lab.relay.cert_file)
    rid = api.new_run("Acme Wallet 2.1")
    # the start page
    browser.requests.clear()
    target, s, p = load(browser, origin + "/lab/")
    shots(browser, s, "start")
    browser.call("Target.closeTarget", {"targetId": target})
    assert p["h1"] == "TIGRESS lab" and "Start testing" in p["buttons"]
    assert p["csp"] == [] and p["external"] == []
    assert p["scrollWidth"] <= p["innerWidth"] == 390
    assert "Times" not in p["font"]
    only_lab(browser, origin)

    # a recipient step: the share URL as text and QR code
    path = "/lab/api/runs/%s/scenarios/recip-stateless" % rid
    st = api.post(path)
    while not st["pending"]:
        st = api.get(path, after=st["version"])
    share = st["pending"]["url"]
    browser.requests.clear()
    target, s, p = load(browser, origin + "/lab/runs/%s/" % rid)
    shot = shots(browser, s, "recipient")
    assert p["qr"] and p["url"] == share and p["live"]
    assert "Done" in p["buttons"] and "Skip: not offered" in p["buttons"]
    assert p["csp"] == [] and p["external"] == []
    assert p["scrollWidth"] <= p["innerWidth"]
    assert decode_qr(shot, tmp_path) == [share]
    # live: the step is answered elsewhere; the page reloads by itself
    api.post(path + "/steps/1", {"outcome": "skip"})
    browser.wait_loads(s, 2)
    p = browser.evaluate(s, PROBE)
    assert p["url"] == share and "It shows the key" in p["buttons"]
    browser.call("Target.closeTarget", {"targetId": target})
    polls = [u for u in browser.requests if "/lab/api/runs/%s?after=" % rid
             in u]
    assert polls, browser.requests
    only_lab(browser, origin)
    api.post(path + "/skip")

    # an initiator step, after a scenario played (its verdicts shown)
    play(api, rid, "gone", REF, tmp_path / "dev", lab.relay.cert_file)
    st = api.post("/lab/api/runs/%s/scenarios/init-stateless" % rid)
    while not st["pending"]:
        st = api.get("/lab/api/runs/%s/scenarios/init-stateless" % rid,
                     after=st["version"])
    browser.requests.clear()
    target, s, p = load(browser, origin + "/lab/runs/%s/" % rid)
    shots(browser, s, "initiator", full=True)   # the checklist, verdicts
    browser.call("Target.closeTarget", {"targetId": target})
    assert not p["qr"] and "Shared" in p["buttons"]
    assert p["csp"] == [] and p["external"] == []
    assert p["scrollWidth"] <= p["innerWidth"]
    only_lab(browser, origin)
    assert lab.csp_reports == []
    api.post("/lab/api/runs/%s/scenarios/init-stateless/skip" % rid)
    api.close()
