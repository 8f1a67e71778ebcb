"""Reading a preview page (ReadDisplayInformationFromMailbox, http-00
§6.4): its OpenGraph properties as a browser's parser sees them, and
anything active in it.

    p = parse(html_text)
    p.og["og:title"]          # unescaped content attribute, as parsed
    p.active                  # ["<script src=...>", "onerror= on <img>", ...]
    changed_strings([("og:title", sent, p.og["og:title"])])   # what changed
"""

from __future__ import annotations

import html.parser
import json
import urllib.parse
from typing import Dict, List, Optional

from ..core.text import highlight

ACTIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed",
               "applet", "form", "base", "svg", "math", "link", "style",
               "portal"}
URL_ATTRS = {"src", "href", "action", "formaction", "data", "poster",
             "background", "srcset", "xlink:href", "content"}
ACTIVE_SCHEMES = ("javascript:", "vbscript:", "data:text/html",
                  "data:image/svg", "data:application")


class Preview(html.parser.HTMLParser):
    def __init__(self, origin_host: Optional[str] = None):
        super().__init__(convert_charrefs=True)
        self.origin_host = origin_host
        self.og: Dict[str, str] = {}          # first value of each property
        self.og_all: List[tuple] = []
        self.attrs: List[tuple] = []          # (tag, attribute, value)
        self.tags: List[str] = []
        self.active: List[str] = []           # active content found
        self.third_party: List[str] = []      # resources of other hosts
        self.scripts: List[dict] = []
        self.html_prefix: Optional[str] = None
        self.title_text = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = {k.lower(): (v or "") for k, v in attrs}
        for k, v in a.items():
            self.attrs.append((tag, k, v))
        if tag == "html":
            self.html_prefix = a.get("prefix")
        if tag == "title":
            self._in_title = True
        if tag == "meta":
            prop = a.get("property") or a.get("name")
            if prop and prop.startswith("og:"):
                self.og_all.append((prop, a.get("content", "")))
                self.og.setdefault(prop, a.get("content", ""))
            if a.get("http-equiv", "").lower() == "refresh":
                self.active.append("<meta http-equiv=refresh>")
        if tag in ACTIVE_TAGS and not (tag == "link" and a.get("rel", "")
                                       .lower() in ("icon", "canonical")):
            desc = "<%s%s>" % (tag, (" src=%s" % a["src"]) if a.get("src")
                               else (" href=%s" % a["href"]) if a.get("href")
                               else "")
            if tag != "style" and tag != "link":
                self.active.append(desc)
        if tag == "script":
            self.scripts.append(a)
        for k, v in a.items():
            if k.startswith("on"):
                self.active.append("%s= on <%s>" % (k, tag))
            low = v.strip().lower().replace("\t", "").replace("\n", "")
            if k in URL_ATTRS and low.startswith(ACTIVE_SCHEMES):
                if not (tag == "meta"):
                    self.active.append("%s=%s on <%s>" % (k, v[:40], tag))
            if k in ("src", "href", "data") and tag in (
                    "script", "iframe", "frame", "object", "embed", "link",
                    "img") and low.startswith(("http://", "https://", "//")):
                host = urllib.parse.urlsplit(
                    v if not low.startswith("//") else "https:" + v).hostname
                if host and host != self.origin_host and tag != "img":
                    self.third_party.append("<%s %s=%s>" % (tag, k, v[:80]))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title_text += data


def parse(text: str, origin_host: Optional[str] = None) -> Preview:
    p = Preview(origin_host)
    try:
        p.feed(text)
        p.close()
    except Exception:           # html.parser is lenient; keep what it saw
        pass
    return p


def changed_strings(pairs) -> str:
    """What a relay made of display strings: for each (name, sent, shown)
    that differs, the shown text with the changed characters marked (or
    what came instead of a string)."""
    return "; ".join("%s %s" % (name, highlight(sent, shown) if isinstance(
        shown, str) else "missing" if shown is None else
        json.dumps(shown)[:60]) for name, sent, shown in pairs
        if sent != shown) or "the same strings"
