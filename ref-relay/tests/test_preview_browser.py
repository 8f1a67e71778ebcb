"""The preview page as a recipient sees it (issue 12, item 5): rendered by
headless Chromium (Debian's /usr/bin/chromium) at phone and desktop sizes,
from ref-relay over TLS with the relay's own headers (the CSP included).

Chromium is driven over the DevTools protocol on a pipe
(tools/headless_chromium.py: no extra package).  Every
request the page makes is intercepted (Fetch domain): the relay's page is
let through, the share's image at images.example is answered with a PNG
made here, anything else is recorded and refused, so nothing leaves the
machine and "nothing external fetched" is measured, not assumed.  A
listener for CSP violations (securitypolicyviolation) shows that the one
inline style is allowed by its hash and that nothing was even attempted.

Screenshots are kept as test artefacts: build/artefacts/preview-*.png.
The test skips, saying so, when chromium is not installed."""

import struct
import sys
import zlib
from pathlib import Path

import pytest

from relay_helpers import new_mailbox

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from headless_chromium import (CSP_LISTENER, DESKTOP, PHONE,  # noqa: E402
                               Chromium, available)

ARTEFACTS = Path(__file__).resolve().parents[2] / "build" / "artefacts"
IMAGE_URL = "https://images.example/car.png"

HOSTILE_TITLE = "</title><script>alert(1)</script><b>Car key</b>"
HOSTILE_DESC = ('<img src="https://evil.example/x.png" onerror="alert(2)">'
                '<link rel="stylesheet" href="https://evil.example/s.css">'
                "<style>body{display:none}</style>"
                '<iframe src="https://evil.example/"></iframe>'
                "' onmouseover='alert(3) &amp; &lt;")

# What the page shows, read from the rendered DOM.
PROBE = """(() => {
  const q = s => document.querySelector(s);
  const meta = k => { const m = q('meta[property="' + k + '"]') ||
                                q('meta[name="' + k + '"]');
                      return m ? m.content : null; };
  const img = q('img');
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    font: getComputedStyle(document.body).fontFamily,
    background: getComputedStyle(document.body).backgroundColor,
    mainWidth: q('main').getBoundingClientRect().width,
    tags: [...document.querySelectorAll('*')].map(e => e.tagName.toLowerCase()),
    attrs: [...document.querySelectorAll('*')].flatMap(
        e => [...e.attributes].map(a => a.name)),
    h1: q('h1').textContent,
    desc: q('.desc') ? q('.desc').textContent : null,
    until: q('time') ? q('time').getAttribute('datetime') : null,
    text: document.body.innerText,
    image: img ? {src: img.src, alt: img.alt, loaded: img.complete &&
                  img.naturalWidth > 0} : null,
    meta: Object.fromEntries(['og:site_name', 'og:title', 'og:description',
        'og:type', 'og:url', 'og:image', 'og:image:alt', 'twitter:card',
        'twitter:title', 'twitter:description', 'twitter:image',
        'twitter:image:alt', 'viewport'].map(k => [k, meta(k)])),
    csp: window.__csp,
  };
})()"""

def png(width=600, height=315):
    """A small PNG (a blue-to-teal gradient with a pale disc): the share's
    image, so that the screenshots show a real picture."""
    rows = []
    for y in range(height):
        row = bytearray(b"\0")
        for x in range(width):
            t = x / width
            r, g, b = int(20 + 20 * t), int(90 + 100 * t), int(200 - 40 * t)
            d = (x - width * 0.7) ** 2 + (y - height * 0.45) ** 2
            if d < (height * 0.28) ** 2:
                r, g, b = 235, 242, 250
            row += bytes((r, g, b))
        rows.append(bytes(row))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(
            ">I", zlib.crc32(c) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) +
            chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def browser(relay, tmp_path_factory):
    if not available():
        pytest.skip("chromium is not installed (Debian package chromium, "
                    "make deps): the preview page is not rendered")
    image = png()

    def route(url):
        """The relay's page through, the share's image answered here
        (a PNG made above), anything else refused."""
        if url.startswith(relay.base_url + "/"):
            return "continue"
        if url == IMAGE_URL:
            return {"headers": [("Content-Type", "image/png")],
                    "body": image}
        return "fail"
    b = Chromium(tmp_path_factory.mktemp("chromium"), route,
                 unrecorded=[relay.base_url + "/favicon.ico"])
    try:
        yield b
    finally:
        b.close()


def keep(name, data):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / name).write_bytes(data)


def test_landing_page_phone_and_desktop(client, browser):
    disp = {"title": "Car key", "description": "Blue Volvo XC40, parked on "
            "level 2.\nThe key works from 8:00 to 18:00.",
            "imageURL": IMAGE_URL}
    s = new_mailbox(client, display=disp, exp_seconds=7200)
    backgrounds = {}
    for name, device, dark in (("phone", PHONE, False),
                               ("desktop", DESKTOP, False),
                               ("phone-dark", PHONE, True)):
        browser.requests.clear()
        p, shot = browser.open(s.share_url, device, dark, PROBE,
                               CSP_LISTENER)
        keep("preview-%s.png" % name, shot)
        # exactly the page and its https image, nothing else
        assert [u.split("#")[0] for u in browser.requests] == [
            s.url, IMAGE_URL], browser.requests
        assert p["csp"] == [], p["csp"]         # the style's hash matches
        assert "Times" not in p["font"], p["font"]
        assert p["image"] == {"src": IMAGE_URL, "alt": "Car key",
                              "loaded": True}
        assert p["h1"] == "Car key" and p["desc"] == disp["description"]
        assert p["until"] == s.config["expiration"]
        assert "Available until" in p["text"] and "wallet app" in p["text"]
        assert p["scrollWidth"] <= p["innerWidth"]      # no sideways scroll
        assert p["meta"]["og:site_name"] and p["meta"]["og:url"] == s.url
        assert p["meta"]["og:image"] == p["meta"]["twitter:image"] == \
            IMAGE_URL
        assert p["meta"]["og:image:alt"] == p["meta"]["twitter:image:alt"] \
            == "Car key"
        assert p["meta"]["twitter:card"] == "summary_large_image"
        assert p["meta"]["twitter:title"] == p["meta"]["og:title"] == \
            "Car key"
        backgrounds[name] = p["background"]
        if device is PHONE:     # the viewport meta: laid out at 390 px
            assert p["innerWidth"] == 390, p["innerWidth"]
        else:                   # a centred card, not a full-width line
            assert p["mainWidth"] < 600 < p["innerWidth"]
    assert backgrounds["phone"] == backgrounds["desktop"] != \
        backgrounds["phone-dark"]       # the dark colour scheme applies


def test_hostile_display_information_stays_text(client, browser):
    plain = new_mailbox(client, display={"title": "T", "description": "D",
                                         "imageURL": ""})
    base, shot = browser.open(plain.share_url, PHONE, probe=PROBE,
                              init_script=CSP_LISTENER)
    keep("preview-plain-phone.png", shot)
    assert base["meta"]["twitter:card"] == "summary"
    assert base["image"] is None and base["meta"]["og:image"] is None
    bad_image = IMAGE_URL + '" onerror="alert(4)'
    s = new_mailbox(client, display={"title": HOSTILE_TITLE,
                                     "description": HOSTILE_DESC,
                                     "imageURL": bad_image})
    browser.requests.clear()
    p, shot = browser.open(s.share_url, PHONE, probe=PROBE,
                           init_script=CSP_LISTENER)
    keep("preview-hostile-phone.png", shot)
    assert [u.split("#")[0] for u in browser.requests] == [s.url], \
        browser.requests                        # nothing external fetched
    assert p["csp"] == [], p["csp"]             # nothing even attempted
    assert p["tags"] == base["tags"], p["tags"]     # no element injected
    assert sorted(set(p["attrs"])) == sorted(set(base["attrs"]))
    assert p["h1"] == HOSTILE_TITLE and p["desc"] == HOSTILE_DESC
    assert p["meta"]["og:title"] == HOSTILE_TITLE
    assert p["meta"]["og:description"] == HOSTILE_DESC
    assert p["image"] is None and p["meta"]["og:image"] is None
    assert p["scrollWidth"] <= p["innerWidth"]
