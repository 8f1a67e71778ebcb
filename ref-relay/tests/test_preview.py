"""The preview page of ReadDisplayInformationFromMailbox (http-00 §6.4,
§8.1.2; errata E-IMAGEURL, E-HEAD): OpenGraph tags, every display string
HTML-escaped, no script, safe headers, and no binding by link-preview
crawlers."""

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from relay_helpers import (DISPLAY, assert_error, assert_ok, new_claim,
                           new_mailbox, read_plain)

# Nothing loads but https images and the page's one inline style, allowed
# by its hash (lib/preview.h PREVIEW_CSP); no script, base, form or frame.
CSP = ("default-src 'none'; img-src https:; style-src 'sha256-%s'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
STYLE_RE = re.compile(r"<style>(.*?)</style>", re.S)


def csp_of(page_text):
    """The CSP that allows exactly the inline style of page_text."""
    styles = STYLE_RE.findall(page_text)
    assert len(styles) == 1, page_text
    digest = hashlib.sha256(styles[0].encode("utf-8")).digest()
    return CSP % base64.b64encode(digest).decode()

HOSTILE = [
    ("<script>alert(1)</script>", "</title><script>alert(2)</script>"),
    ('"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)"),
    ('" onload="alert(1)', "x\" autofocus onfocus=\"alert(1)"),
    ("Tom & Jerry &amp; &lt;b&gt; &#60;script&#62;", "&quot;&#x27;"),
    ("Caf\u00e9 \u6f22\u5b57 \U0001F511 \u202e", "Gr\u00fc\u00dfe\u00a0\u2028 "
     "\u05e9\u05dc\u05d5\u05dd"),
    ("<!-- comment", "--><style>*{}</style><svg onload=alert(1)>"),
    ("javascript:alert(1)", "<iframe src=javascript:alert(1)>"),
    ("<SCRIPT SRC=//e.com/x.js></SCRIPT>", "<ScRiPt>alert(1)</sCrIpT>"),
]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.metas = {}
        self.tags = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        a = dict(attrs)
        if tag == "meta" and a.get("property"):
            self.metas.setdefault(a["property"], []).append(a.get("content"))
        if tag == "title":
            self._in_title = True

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _page(ex):
    assert ex.status == 200, ex
    assert ex.media_type == "text/html", ex.content_type
    p = _Page()
    p.feed(ex.body.decode("utf-8"))
    p.close()
    return p


def _shape(p):
    """The page's element structure: tag names and attribute names."""
    return [(t, sorted(n for n, _ in a)) for t, a in p.tags]


def _assert_safe(ex, baseline=None):
    low = ex.text.lower()
    assert "<script" not in low, ex.text
    p = _page(ex)
    for tag, attrs in p.tags:
        assert tag not in ("script", "iframe", "svg", "object", "embed"), \
            (tag, ex.text)
        for name, _ in attrs:
            assert not name.lower().startswith("on"), (tag, name, ex.text)
    if baseline is not None:
        # hostile strings add no element and no attribute to the page
        assert _shape(p) == _shape(baseline), ex.text
    return p


def _baseline(client):
    s = new_mailbox(client, display={"title": "T", "description": "D",
                                     "imageURL": "https://example.com/i.png"})
    return _page(client.read_display(s.url))


def _assert_headers(ex, page_text=None):
    """page_text: the GET's page, for a HEAD (which has no body)."""
    want = csp_of(page_text if page_text is not None else ex.text)
    assert ex.header("Content-Security-Policy") == want, ex.headers
    assert (ex.header("X-Content-Type-Options") or "").lower() == "nosniff"
    assert (ex.header("Referrer-Policy") or "").lower() == "no-referrer"
    assert ex.header("Set-Cookie") is None


@pytest.mark.parametrize("title,description", HOSTILE,
                         ids=["script", "img-onerror", "attr-quote",
                              "entities", "utf8", "comment", "javascript",
                              "script-case"])
def test_hostile_strings_escaped(client, title, description):
    disp = {"title": title, "description": description,
            "imageURL": "https://example.com/i.png"}
    s = new_mailbox(client, display=disp)
    ex = client.read_display(s.url)
    p = _assert_safe(ex, _baseline(client))
    _assert_headers(ex)
    assert p.metas.get("og:title") == [title], (p.metas, ex.text)
    assert p.metas.get("og:description") == [description], p.metas
    assert p.title == title
    # the read gives the strings back exactly as stored
    j = assert_ok(client.read(s.url, s.claim))
    assert j["displayInformation"] == disp


def test_og_tags_present(relay, client):
    s = new_mailbox(client)
    ex = client.read_display(s.url)
    p = _assert_safe(ex)
    _assert_headers(ex)
    assert p.metas["og:title"] == [DISPLAY["title"]]
    assert p.metas["og:description"] == [DISPLAY["description"]]
    assert p.metas["og:image"] == [DISPLAY["imageURL"]]
    assert "charset=utf-8" in ex.content_type.lower().replace(" ", "") or \
        '<meta charset="utf-8"' in ex.text.lower()


@pytest.mark.parametrize("image,shown", [
    ("https://example.com/photos/photo.jpg", True),
    ("https://example.com/a.png?x=1&y=2", True),
    ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False),
    ("data:image/png;base64,iVBORw0KGgo=", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("http://example.com/a.png", False),
    ("//example.com/a.png", False),
    ("ftp://example.com/a.png", False),
    ("https://example.com/a b.png", False),
    ('https://example.com/a".png', False),
    ("https://example.com/\x01.png", False),
    (" https://example.com/a.png", False),
    ("", False),
], ids=["https", "https-query", "javascript", "javascript-case", "data-png",
        "data-html", "http", "scheme-relative", "ftp", "space", "quote",
        "control", "leading-space", "empty"])
def test_og_image_only_https(client, image, shown):
    disp = {"title": "T", "description": "D", "imageURL": image}
    s = new_mailbox(client, display=disp)
    ex = client.read_display(s.url)
    p = _assert_safe(ex)
    if shown:
        assert p.metas.get("og:image") == [image], (p.metas, ex.text)
    else:
        assert "og:image" not in p.metas, (p.metas, ex.text)
        if image:
            low = ex.text.lower()
            assert "javascript:" not in low and "data:" not in low
    # E-IMAGEURL: stored as given
    j = assert_ok(client.read(s.url, s.claim))
    assert j["displayInformation"]["imageURL"] == image


def test_head_same_headers_no_body(client):
    s = new_mailbox(client)
    g = client.read_display(s.url)
    h = client.read_display(s.url, method="HEAD")
    assert h.status == 200 and h.body == b""
    _assert_headers(h, g.text)
    assert h.header("Content-Type") == g.header("Content-Type")


def test_no_cookie_no_server_software(client):
    s = new_mailbox(client, rights="RWD")
    exs = [client.read_display(s.url), client.read(s.url, s.claim),
           client.read_display("00000000-0000-4000-8000-000000000000"),
           client.well_known(), client.raw("GET", "/nowhere")]
    for ex in exs:
        assert ex.header("Set-Cookie") is None, ex.headers
        server = (ex.header("Server") or "").lower()
        for word in ("libevent", "evhttp", "tigress", "openssl", "/"):
            assert word not in server, "Server header %r" % server


CRAWLERS = [
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext."
    "php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0 A",
    "Twitterbot/1.0",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
]


def test_crawlers_never_bind(client):
    s = new_mailbox(client, rights="RWD")
    etag0 = client.read(s.url, s.claim).header("ETag")
    for ua in CRAWLERS:
        for m in ("GET", "HEAD"):
            ex = client.read_display(s.url, method=m, user_agent=ua)
            assert ex.status == 200, (ua, m, ex)
            if m == "GET":
                _assert_safe(ex)
            # even a crawler that sends a claim header is not bound
            ex = client.read_display(s.url, method=m, user_agent=ua,
                                     claim=new_claim())
            assert ex.status == 200
    # nothing changed: same ETag, and a real recipient binds now
    assert client.read(s.url, s.claim).header("ETag") == etag0
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert_error(client.read(s.url, new_claim()), 401, "unauthorized")


def test_preview_after_binding_still_served(client):
    """The preview stays public display information after binding."""
    s = new_mailbox(client)
    read_plain(client, s.url, new_claim(), s.key)
    assert client.read_display(s.url).status == 200
