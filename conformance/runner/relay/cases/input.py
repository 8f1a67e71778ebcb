"""Generated-input cases: the malformed inputs of generated.py, made from
the protocol description - every member of the create, update and read
bodies, every near-miss of a time and of a UUID, and display information
with every escaping hazard followed by its preview.  Each case sends its
inputs in one batch (update and read inputs on one mailbox, which they
cannot break), judges every answer, and reports the departures grouped by
the requirement they break.  All are hostile: the canary runs after each.

An input the rules refuse must get a 4xx; a 2xx breaks the requirement of
the constraint's basis (the draft's: RLY-CREATE-400, a FAIL; a decision's:
INFO or WARN).  A valid input must get a 2xx.  A 5xx is always a FAIL:
of the operation's 400 requirement for an invalid create or update, of
RLY-NO-5XX otherwise - but for a 503 with Retry-After (a relay at an
explicit capacity limit, wellformed.capacity_limited), which judges
nothing: those inputs are listed in a note, not judged.
"""

from __future__ import annotations

import json
import urllib.parse
from collections import OrderedDict

import protocol
from tigress_py import uuids
from tigress_py.client import OMIT

from ...core.context import describe
from ...core.wellformed import capacity_limited, server_error, \
    server_error_requirement
from .. import generated, preview
from ..registry import case
from ..preview import changed_strings


class Tally:
    """The departures of a batch, grouped by (requirements, what was
    expected, what happened)."""

    def __init__(self, total: int):
        self.total = total
        self.groups: "OrderedDict[tuple, list]" = OrderedDict()
        self.busy: list = []       # inputs answered 503 with Retry-After

    def add(self, reqs, expected: str, outcome: str, what: str, ex,
            verdict=None) -> None:
        key = (tuple(reqs), expected, outcome, verdict)
        self.groups.setdefault(key, []).append((what, ex))

    def report(self, t) -> None:
        if self.busy:
            t.note("%d of %d inputs were answered 503 with Retry-After (a "
                   "capacity limit, allowed), so not judged: %s%s" % (
                       len(self.busy), self.total, ", ".join(self.busy[:6]),
                       " (and %d more)" % (len(self.busy) - 6)
                       if len(self.busy) > 6 else ""))
        for (reqs, expected, outcome, verdict), items in self.groups.items():
            shown = ", ".join(w for w, _ in items[:6])
            more = " (and %d more)" % (len(items) - 6) if len(items) > 6 \
                else ""
            t.check(False, list(reqs), expected, "%d of %d inputs %s: %s%s"
                    % (len(items), self.total, outcome, shown, more),
                    [ex for _, ex in items[:3]], verdict=verdict)


def judge(t, tally: Tally, inp, ex) -> None:
    """Judge the answer `ex` to generated input `inp`."""
    st = ex.status
    if st is None:
        tally.add(inp.basis, "an answer to every input", "got no answer",
                  inp.what, ex, verdict="WARN")
    elif capacity_limited(ex):
        tally.busy.append(inp.what)
    elif st >= 500:
        tally.add([server_error_requirement(t.profile, ex)],
                  "no 5xx answer to any input (a 4xx to the invalid ones)",
                  "answered 5xx", "%s (%s)" % (inp.what, st), ex)
    elif inp.expect == "refuse" and st < 400:
        tally.add(inp.basis, "a 4xx to every input the rules refuse (%s)" %
                  ", ".join(inp.basis), "accepted (%d)" % st,
                  "%s [%s]" % (inp.what, inp.rule) if inp.rule else
                  inp.what, ex)
    elif inp.expect == "accept" and st >= 400:
        tally.add(inp.basis, "a 2xx to every valid input",
                  "refused (%s)" % describe(ex), inp.what, ex)


def _suspect(t, pairs) -> None:
    """When every answer from some input on was a 5xx or none, the input
    just before, if it was taken, probably broke the relay: it is noted,
    and cited by the canary."""
    bad = [ex.status is None or server_error(ex) for _, ex in pairs]
    k = len(bad)
    while k > 0 and bad[k - 1]:
        k -= 1
    if len(pairs) - k >= 2 and k > 0 and pairs[k - 1][1].status is not None \
            and pairs[k - 1][1].status < 400:
        inp, ex = pairs[k - 1]
        t.suspect = ex
        t.note("every answer from input %d of %d on was a 5xx or none; the "
               "input before, %s, was taken (%s): it may have broken the "
               "relay" % (k + 1, len(pairs), inp.what, describe(ex)))


def _count(t, n: int) -> None:
    t.run.generated[t.case.id] = t.run.generated.get(t.case.id, 0) + n
    t.note("%d generated inputs (seed %d)" % (n, t.options.seed))


def _base_create(t, m_key=None) -> dict:
    key, pl = t.seal(b"generated input", m_key)
    return {"payload": pl, "displayInformation": t.display(),
            "notificationToken": {"type": "com.example.push",
                                  "tokenData": "conformance-generated"},
            "mailboxConfiguration": {"expiration": t.expiration(),
                                     "accessRights": "RWD"}}


def _bases(inputs):
    return sorted({b for i in inputs for b in i.basis})


def _batch(t, inputs, send, after=None) -> list:
    """Send each input with `send(input)` -> exchange, judge its answer,
    call `after(input, exchange, tally)`; report.  Returns (input, answer)
    pairs."""
    tally = Tally(len(inputs))
    pairs = []
    t.saw(len(inputs))
    for inp in inputs:
        ex = send(inp)
        pairs.append((inp, ex))
        judge(t, tally, inp, ex)
        if after is not None:
            after(inp, ex, tally)
    tally.report(t)
    _suspect(t, pairs)
    return pairs


def _creates(t) -> tuple:
    """(send, after) for inputs sent as creates (fresh claim and request
    id each), after which the preview of each mailbox made is fetched."""
    c = t.client()

    def send(inp):
        return c.create(t.claim(), None, None, body=inp.encoded())

    def after(inp, ex, tally):
        url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
        if ex.status is None or not 200 <= ex.status < 300 or \
                not isinstance(url, str):
            return
        _previewed(tally, inp, c.read_display(url))
    return send, after


def _previewed(tally: Tally, inp, pv) -> bool:
    """Whether the preview `pv` of the mailbox input `inp` made answered
    200; else it is tallied (a 503 with Retry-After only listed)."""
    if pv.status == 200:
        return True
    what = "the preview after %s" % inp.what
    if capacity_limited(pv):
        tally.busy.append(what)
    else:
        tally.add(["RLY-NO-5XX"] if server_error(pv) else
                  ["RLY-PREVIEW-200"], "200 to the preview of every mailbox "
                  "the relay made", describe(pv), what, pv)
    return False


def _body_case(t, kind: str, base: dict, accept, send, after=None) -> None:
    """The generated inputs of request body `kind` (valid body `base`;
    `accept`: what refusing a valid one breaks), each sent by `send`."""
    rng = generated.rng_for(t.options.seed, t.case.id)
    inputs = generated.body_inputs(kind, base, rng, accept)
    _count(t, len(inputs))
    t._mark(_bases(inputs) + ["RLY-NO-5XX"])
    _batch(t, inputs, send, after)


@case("INPUT-CREATE-BODY", "Every member of a create body, generated "
      "missing, null, of each wrong JSON type, empty, over-long and "
      "non-ASCII: the invalid ones refused with a 4xx, never a 5xx, and "
      "the preview of any mailbox made still served",
      ["RLY-CREATE-400", "RLY-CREATE-200", "RLY-NO-5XX", "RLY-PREVIEW-200",
       "RLY-UTF8", "RLY-DEFAULT-CONFIG", "E-LIMITS", "E-PAYLOAD-CHECK",
       "E-NOTIFY-BOTH", "E-CONFIG-EXPIRATION", "E-ACCESS-RIGHTS-FORM",
       "E-TIME-STRICT"],
      "400 to each invalid body, 200 to each valid one", hostile=True)
def create_body(t):
    t.needs_creates()
    t._mark(["RLY-PREVIEW-200"])
    _body_case(t, "create_request", _base_create(t), ["RLY-CREATE-200"],
               *_creates(t))


@case("INPUT-UPDATE-BODY", "Every member of an update body, generated as "
      "for creates, sent by the initiator to one mailbox: the invalid "
      "ones refused with a 4xx, never a 5xx",
      ["RLY-UPDATE-400", "RLY-UPDATE-200", "RLY-NO-5XX", "RLY-UTF8",
       "E-LIMITS", "E-PAYLOAD-CHECK", "E-NOTIFY-BOTH"],
      "400 to each invalid body, 200 to each valid one", hostile=True)
def update_body(t):
    m = t.mailbox()
    c = t.client()
    base = {"payload": t.seal(b"generated update", m.key)[1],
            "notificationToken": {"type": "com.example.push",
                                  "tokenData": "conformance-generated"}}
    _body_case(t, "update_request", base, ["RLY-UPDATE-200"],
               lambda inp: c.update(m.id, m.claim, None,
                                    body=inp.encoded()))


@case("INPUT-READ-BODY", "Every member of a read body (a notification "
      "token, E-READ-BODY), generated as for creates, sent by the "
      "initiator to one mailbox: refused or taken, never a 5xx",
      ["E-READ-BODY", "RLY-READ-200", "RLY-NO-5XX", "RLY-UTF8",
       "E-LIMITS", "E-NOTIFY-BOTH"],
      "400 to each invalid body (our decision), 200 to each valid one",
      hostile=True)
def read_body(t):
    m = t.mailbox()
    c = t.client()
    base = {"notificationToken": {"type": "com.example.push",
                                  "tokenData": "conformance-generated"}}
    _body_case(t, "read_request", base, ["RLY-READ-200"],
               lambda inp: c.read(m.id, m.claim, body=inp.encoded(),
                                  content_type="application/json"))


@case("INPUT-TIME", "An expiration in every near-miss RFC 3339 form (no "
      "time zone, offsets, fractions, lower case, leap second, 24:00:00, "
      "year 0000, impossible dates...): refused, never a 5xx, and the "
      "relay keeps serving",
      ["E-TIME-STRICT", "RLY-CREATE-400", "RLY-NO-5XX", "RLY-PREVIEW-200"],
      "400 to each (our decision: INFO when taken)", hostile=True)
def time_forms(t):
    t.needs_creates()
    base = _base_create(t)
    good = base["mailboxConfiguration"]["expiration"]
    inputs = []
    for family, value in generated.time_near_misses(good):
        body = dict(base, mailboxConfiguration={"expiration": value,
                                                "accessRights": "RWD"})
        inputs.append(generated.judge(
            "create_request", generated.Input(
                "the expiration %r (%s)" % (value, family), "near-miss:time",
                body), ["RLY-CREATE-200"]))
    _count(t, len(inputs))
    t._mark(_bases(inputs) + ["RLY-NO-5XX", "RLY-PREVIEW-200",
                              "RLY-CREATE-400"])
    _batch(t, inputs, *_creates(t))


def _header_value(v: str):
    """A claim near-miss as a header value: bytes (UTF-8) when it is not
    Latin-1; None when it cannot be one: HTTP libraries refuse CR, LF and
    NUL, and the whitespace around a field value is not part of it (RFC
    9110 §5.5), so a claim with it is the claim."""
    if any(ch in v for ch in "\r\n\x00") or v != v.strip():
        return None
    try:
        v.encode("latin-1")
        return v
    except UnicodeEncodeError:
        return v.encode("utf-8")


_PATH_REQS = sorted({r for i in generated.path_inputs(uuids.new_v4())
                     for r in i.basis})


@case("INPUT-UUID", "A device claim and a mailbox identifier in every "
      "near-miss UUID form (length, separators, braces, urn:uuid:, spaces, "
      "other digits), the identifier in the path of every operation on a "
      "mailbox: refused or taken as the same UUID, never acting on "
      "another identifier's mailbox, never a 5xx",
      ["E-CLAIM-FORM", "RLY-CREATE-400", "RLY-NO-5XX"] + _PATH_REQS,
      "400/401 to a malformed claim, 404 to a path naming no mailbox",
      hostile=True)
def uuid_forms(t):
    t._mark(["E-CLAIM-FORM", "RLY-CREATE-400", "RLY-NO-5XX"] + _PATH_REQS)
    c = t.client()
    key, pl = t.seal(b"claim near-miss")
    families = generated.uuid_near_misses(t.claim())
    tally = Tally(0)
    pairs = []
    unsendable = []
    for family, claim, kind in families:
        value = _header_value(claim)
        if value is None:
            unsendable.append(family)
            continue
        inp = generated.Input("the claim %r (%s)" % (claim, family),
                              "near-miss:claim", value=claim,
                              expect="accept" if kind == "same" else "refuse",
                              basis=["E-UUID-CASE" if kind == "same"
                                     else "E-CLAIM-FORM"])
        ex = c.create(value, t.display(), pl,
                      config={"expiration": t.expiration(),
                              "accessRights": "RD"})
        pairs.append((inp, ex))
        judge(t, tally, inp, ex)
    if unsendable:
        t.note("claims that are no header value (CR, LF, NUL; whitespace "
               "around a value is not part of it), tried in the path only: "
               "%s" % ", ".join(unsendable))
    m = t.mailbox(client=c)
    inputs = generated.path_inputs(m.id)
    claims = _parties(t, m, c, {i.op for i in inputs})
    for inp in inputs:
        path = t.run.path("/v1/m/" + urllib.parse.quote(inp.value, safe=""))
        ex = _operation(c, inp.op, path, claims, m)
        pairs.append((inp, ex))
        judge(t, tally, inp, ex)
    tally.total = len(pairs)
    t.saw(len(pairs))
    _count(t, len(pairs))
    tally.report(t)
    _suspect(t, pairs)


def _parties(t, m, c, ops) -> dict:
    """party (of the description's `parties`) -> the claim a request on
    mailbox `m` is sent with: its initiator, nobody for "anyone", and a
    recipient bound for the occasion when one of operations `ops` is
    first the recipient's (relinquish)."""
    p = protocol.load()
    out = {"initiator": m.claim, "anyone": None}
    if any(p.operation(op)["parties"][0] == "recipient" for op in ops):
        out["recipient"] = t.bind(m, client=c)
    return out


def _operation(c, op: str, target: str, claims: dict, m, request_id=None,
               attestation=None, create=None):
    """Operation `op` of the description on `target` as its first party
    (`claims`), with a valid body of its kind (the create body `create`,
    mailbox `m`'s payload, an empty read), a fresh request id where it
    takes one, unless `request_id` (OMIT: none) or `attestation` say
    otherwise."""
    spec = protocol.load().operation(op)
    body, ctype = None, None
    kind = spec.get("request")
    if kind == "create_request":
        body, ctype = json.dumps(create).encode(), "application/json"
    elif kind == "update_request":
        body = json.dumps({"payload": m.payload}).encode()
        ctype = "application/json"
    elif kind is not None:
        body = b""
    if request_id is None and "request_id" not in spec["headers"]:
        request_id = OMIT
    return c.request(spec["method"], target, claim=claims.get(
        spec["parties"][0]), request_id=request_id, attestation=attestation,
        body=body, content_type=ctype)


def _echoed(tally: Tally, inp, ex) -> None:
    """A request id of printable ASCII (spaces too), well-formed or not,
    comes back on the answer (RLY-REQID-ECHO; E-REQID-FORM: the 400 that
    refuses its form too).  Other values - empty, with a control or a
    non-ASCII character - are judged for their status only: writing such
    a value back into a header is a hazard a relay may avoid (tigress-ref's
    relays echo 1-1024 printable characters)."""
    v = inp.value
    if inp.header != "request_id" or not v or ex.status is None or \
            not all(0x20 <= ord(ch) <= 0x7E for ch in v):
        return
    got = ex.header("Mailbox-Request-ID")
    if got != v:
        tally.add(["RLY-REQID-ECHO"], "Mailbox-Request-ID echoed on every "
                  "answer, the 400 that refuses its form too", "not echoed",
                  "%s (%s)" % (inp.what, "no such header" if got is None
                               else repr(got[:40])), ex)


_HEADER_REQS = sorted({r for prof in protocol.load().profiles
                       for i in generated.header_inputs(prof)
                       for r in i.basis})


@case("INPUT-HEADERS", "Mailbox-Request-ID and the attestation header of "
      "every operation, generated from their value forms: missing, empty, "
      "at and over the byte limit, with a non-ASCII character, a TAB and "
      "the characters just outside the allowed range; the malformed ones "
      "refused with a 4xx, never a 5xx, the request id echoed",
      _HEADER_REQS + ["RLY-REQID-ECHO", "RLY-NO-5XX", "RLY-CREATE-400",
                      "RLY-UPDATE-400"],
      "400 to each malformed request id or attestation (our decisions: "
      "INFO when taken), 2xx to each valid one", hostile=True)
def header_forms(t):
    t.needs_creates()
    inputs = generated.header_inputs(t.profile)
    _count(t, len(inputs))
    t._mark(_HEADER_REQS + ["RLY-REQID-ECHO", "RLY-NO-5XX",
                            "RLY-CREATE-400", "RLY-UPDATE-400"])
    c = t.client()
    create = _base_create(t)
    p = protocol.load()

    def send(inp):
        over = {inp.header: OMIT if inp.value is None else
                _header_value(inp.value)}
        if inp.op == "create":          # a claim and a mailbox of its own
            return _operation(c, "create", t.run.path(p.path_of("create")),
                              {"anyone": t.claim()}, None, create=create,
                              **over)
        m = t.mailbox(client=c)         # the operation may delete it
        return _operation(c, inp.op, t.run.path(p.path_of(inp.op, m.id)),
                          _parties(t, m, c, [inp.op]), m, **over)
    t.note("the echo is judged for request ids of printable ASCII; empty "
           "ones, and ones with a control or non-ASCII character, are only "
           "judged for their status")
    _batch(t, inputs, send, lambda inp, ex, tally: _echoed(tally, inp, ex))


@case("INPUT-DISPLAY", "Display information with every type and escaping "
      "hazard (markup, attribute breakouts, entities, scripts, bidi and "
      "zero-width characters, CR LF, dangerous image URLs): taken as "
      "given, and the preview shows it as inert text",
      ["RLY-PREVIEW-OG", "RLY-PREVIEW-OPENGRAPH", "RLY-PREVIEW-NO-3P-SCRIPT",
       "RLY-PREVIEW-200", "RLY-READ-DISPLAY", "RLY-NO-TRACK", "E-IMAGEURL",
       "RLY-NO-5XX"],
      "one og:title and og:description equal to the strings, no active "
      "content, no injected header, og:image only for a clean https URL",
      hostile=True)
def display_forms(t):
    rng = generated.rng_for(t.options.seed, t.case.id)
    base = _base_create(t)
    inputs = generated.display_hazards(rng, base["displayInformation"])
    _count(t, len(inputs))
    t._mark(["RLY-PREVIEW-OG", "RLY-PREVIEW-OPENGRAPH",
             "RLY-PREVIEW-NO-3P-SCRIPT", "RLY-PREVIEW-200",
             "RLY-READ-DISPLAY", "RLY-NO-TRACK", "E-IMAGEURL", "RLY-NO-5XX"])
    host = urllib.parse.urlsplit(t.run.base_url).hostname
    c = t.client()
    tally = Tally(len(inputs))
    refused = []
    t.saw(len(inputs))
    for inp in inputs:
        d = inp.body["displayInformation"]
        inp.body = dict(base, displayInformation=d)
        claim = t.claim()
        ex = c.create(claim, None, None, body=inp.encoded())
        judge(t, tally, inp, ex)
        url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
        if ex.status != 200 or not isinstance(url, str):
            refused.append(inp.what)
            continue
        pv = c.read_display(url)
        if not _previewed(tally, inp, pv):
            continue
        _check_page(t, tally, inp, d, pv, host)
        rd = c.read(url, claim)                 # the initiator: no binding
        got = rd.json.get("displayInformation") \
            if isinstance(rd.json, dict) else None
        if got != d:
            tally.add(["RLY-READ-DISPLAY"], "the display information read "
                      "back unchanged", "changed", inp.what, rd)
    if refused:
        t.note("creates refused (a relay may refuse such strings): %s" %
               "; ".join(refused))
    tally.report(t)


def _lines(text: str) -> str:
    """`text` after HTML's newline normalization (CR LF and CR are LF in
    the input stream a browser parses): a relay need not escape CR."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_page(t, tally, inp, d, pv, host) -> None:
    """The preview page of display information `d` shows it inertly."""
    p = preview.parse(pv.text, host)
    titles = [v for k, v in p.og_all if k == "og:title"]
    descs = [v for k, v in p.og_all if k == "og:description"]
    if len(titles) != 1 or len(descs) != 1:
        tally.add(["RLY-PREVIEW-OG"], "exactly one og:title and one "
                  "og:description", "%d and %d" % (len(titles), len(descs)),
                  inp.what, pv)
    elif _lines(titles[0]) != _lines(d["title"]) or \
            _lines(descs[0]) != _lines(d["description"]):
        tally.add(["RLY-PREVIEW-OPENGRAPH"], "og:title and og:description "
                  "equal to the strings given (escaped, not altered)",
                  "other text", "%s (%s)" % (inp.what, changed_strings(
                      [("og:title", _lines(d["title"]), _lines(titles[0])),
                       ("og:description", _lines(d["description"]),
                        _lines(descs[0]))])), pv)
    injected = [a for a in p.active if "alert" in a or "onerror" in a or
                "onload" in a or "onmouseover" in a or "refresh" in a or
                a.startswith("<script")]
    if injected:
        tally.add(["RLY-PREVIEW-OG", "RLY-PREVIEW-NO-3P-SCRIPT"],
                  "no active content made of the display strings",
                  "; ".join(injected)[:120], inp.what, pv)
    if pv.header("Set-Cookie") or pv.header("X-Injected"):
        tally.add(["RLY-NO-TRACK"], "no header made of the display strings",
                  "an injected header", inp.what, pv)
    img = p.og.get("og:image")
    clean = d["imageURL"].lower().startswith("https://") and not any(
        ch in d["imageURL"] for ch in "\"'<> \r\n")
    if img is not None and not clean:
        tally.add(["E-IMAGEURL"], "no og:image for an imageURL that is not a "
                  "clean https URL", repr(img)[:80], inp.what, pv)
