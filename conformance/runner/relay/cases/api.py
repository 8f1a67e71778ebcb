"""API cases: every operation of http-00 §6, its status codes, media
types, bodies, the echoed Mailbox-Request-ID, urlLink, expiration and the
preview's OpenGraph properties."""

from __future__ import annotations

import json
import time
import urllib.parse

from tigress_py import rfc3339, shareurl, uuids
from tigress_py.errors import TigressError

from ...core.context import describe
from ..registry import case
from .. import preview
from ..preview import changed_strings

JSON_REQS = ["RLY-BODY-FORMAT"]


def _json_answer(t, ex, reqs, what):
    """The answer is application/json, valid UTF-8, parsed."""
    t.check(ex.media_type == "application/json", reqs + JSON_REQS,
            "Content-Type application/json on the %s" % what,
            ex.content_type or "no Content-Type", ex)
    try:
        ex.body.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    t.check(utf8, ["RLY-UTF8"], "UTF-8 text in the %s" % what,
            "bytes that are not UTF-8", ex)


def _unknown_id() -> str:
    return uuids.new_v4()


# -- CreateMailbox ----------------------------------------------------------------

@case("API-CREATE-200", "CreateMailbox answers 200 with urlLink and "
      "isPushNotificationSupported as JSON",
      ["RLY-CREATE-ENDPOINT", "RLY-CREATE-200", "RLY-CREATE-PRODUCES",
       "RLY-BODY-FORMAT", "RLY-UTF8", "RLY-CREATE-URLLINK",
       "RLY-CREATE-PUSHFLAG", "RLY-REQID-ECHO", "RLY-CREATE-CONSUMES",
       "E-VERSION-PATH"],
      "200 application/json {urlLink, isPushNotificationSupported}")
def create_200(t):
    c = t.client()
    m = t.mailbox(client=c)
    ex = m.create
    t.expect_status(ex, 200, ["RLY-CREATE-200", "RLY-CREATE-ENDPOINT",
                              "RLY-CREATE-CONSUMES"],
                    "a valid create (POST /v1/m, application/json)")
    _json_answer(t, ex, ["RLY-CREATE-PRODUCES"], "create answer")
    t.members(ex, {"urlLink": str, "isPushNotificationSupported": bool},
              ["RLY-CREATE-URLLINK", "RLY-CREATE-PUSHFLAG"], "create answer")
    t.schema("create_response", ex, ["E-VERSION-PATH"])
    t.echo(ex, what="the create answer")


@case("API-CREATE-URLLINK", "urlLink is an https share URL of the new "
      "mailbox: host, /v1/m/{UUID}, no fragment",
      ["RLY-CREATE-URLLINK", "RLY-HTTPS-URI", "RLY-URL-HOST", "RLY-URL-VERSION",
       "RLY-URL-MAILBOX", "RLY-ID-UUID", "RLY-VERSION-IN-URI",
       "RLY-DEFAULT-PORT", "E-VERSION-PATH", "SCT-SECRET-NEVER",
       "RLY-PREVIEW-200"],
      "urlLink https://{host}/v1/m/{uuid} that names a working mailbox")
def create_urllink(t):
    m = t.mailbox()
    url = m.url
    parts = urllib.parse.urlsplit(url)
    t.check(parts.scheme == "https", ["RLY-HTTPS-URI"],
            "an https urlLink", repr(url), m.create)
    t.check(bool(parts.hostname), ["RLY-URL-HOST", "RLY-CREATE-URLLINK"],
            "a host in urlLink", repr(url), m.create)
    segs = parts.path.split("/")
    mailbox_id = segs[-1] if segs else ""
    t.check(uuids.is_form(mailbox_id), ["RLY-URL-MAILBOX", "RLY-ID-UUID"],
            "a UUID mailbox identifier as the last path segment",
            repr(mailbox_id), m.create)
    has_version = len(segs) >= 4 and segs[-2] == "m" and \
        segs[-3].startswith("v") and segs[-3][1:].isdigit()
    t.check(has_version, ["RLY-URL-VERSION", "RLY-VERSION-IN-URI"],
            "the path /v{N}/m/{id} (§7.3 marks ApiVersion Required; "
            "Figure 3's example lacks it, see E-VERSION-PATH)",
            repr(parts.path), m.create)
    t.check("#" not in url, ["SCT-SECRET-NEVER"],
            "no fragment in urlLink (the Secret is the client's)",
            repr(url), m.create)
    t.check("?" not in url, ["E-VERSION-PATH"],
            "no query in urlLink", repr(url), m.create)
    try:
        shareurl.parse(url)
    except TigressError as e:
        t.check(False, ["E-VERSION-PATH"], "a share URL per spec/rules.md",
                str(e), m.create)
    t._mark(["RLY-DEFAULT-PORT"])
    if parts.port not in (None, 443):
        t.note("urlLink uses port %s rather than the default https port "
               "(RLY-DEFAULT-PORT, a SHOULD); a deployment choice" %
               parts.port)
    # The urlLink names the mailbox just made: its preview answers 200.
    if uuids.is_form(mailbox_id):
        ex = t.client().read_display(mailbox_id)
        t.expect_status(ex, 200, ["RLY-PREVIEW-200", "RLY-CREATE-URLLINK"],
                        "the preview of the mailbox urlLink names")


BAD_CREATES = [
    ("an unparsable body", b'{"payload": {', None),
    ("a JSON array instead of an object", b"[1, 2, 3]", None),
    ("no payload", None, "payload"),
    ("no displayInformation", None, "displayInformation"),
    ("no displayInformation.title", None, "displayInformation.title"),
    ("no displayInformation.description", None,
     "displayInformation.description"),
    ("no displayInformation.imageURL", None, "displayInformation.imageURL"),
    ("no payload.type", None, "payload.type"),
    ("no payload.data", None, "payload.data"),
]


def _drop(obj: dict, dotted: str) -> dict:
    obj = json.loads(json.dumps(obj))
    parts = dotted.split(".")
    cur = obj
    for p in parts[:-1]:
        cur = cur[p]
    del cur[parts[-1]]
    return obj


@case("API-CREATE-400", "An unparsable create, or one missing a required "
      "field, is answered 400",
      ["RLY-CREATE-400", "RLY-REQID-ECHO", "E-ERROR-BODY"],
      "400 for each malformed create", hostile=True)
def create_400(t):
    c = t.client()
    key, pl = t.seal(b"x" * 16)
    good = {"payload": pl, "displayInformation": t.display(),
            "mailboxConfiguration": {"expiration": t.expiration(),
                                     "accessRights": "RWD"}}
    for what, raw, missing in BAD_CREATES:
        body = raw if raw is not None else \
            json.dumps(_drop(good, missing)).encode()
        ex = c.create(t.claim(), None, None, body=body)
        if ex.status is not None and 200 <= ex.status < 300:
            t.check(False, ["RLY-CREATE-400"], "400 for a create with %s" % what,
                    describe(ex), ex)
        else:
            t.expect_status(ex, 400, ["RLY-CREATE-400"],
                            "a create with %s" % what)
        t.echo(ex, what="an error answer")
        if ex.status == 400:
            t.schema("error_response", ex, ["E-ERROR-BODY"])


ERRATA_CREATES = [
    ("a notificationToken without tokenData", "E-NOTIFY-BOTH",
     {"notificationToken": {"type": "com.example.push"}}),
    ("a mailboxConfiguration without expiration", "E-CONFIG-EXPIRATION",
     {"mailboxConfiguration": {"accessRights": "RD"}}),
    ("accessRights \"XW\"", "E-ACCESS-RIGHTS-FORM",
     {"mailboxConfiguration": {"accessRights": "XW", "expiration": None}}),
    ("an expiration with a fraction of a second", "E-TIME-STRICT",
     {"mailboxConfiguration": {"expiration": "FRACTION"}}),
    ("an expiration beyond a year (over the maximum lifetime)",
     "E-EXPIRATION",
     {"mailboxConfiguration": {"expiration": "FAR"}}),
]


@case("API-CREATE-400-ERRATA", "Creates that tigress-ref's decisions refuse "
      "(the draft is silent) are answered 400",
      ["E-NOTIFY-BOTH", "E-CONFIG-EXPIRATION", "E-ACCESS-RIGHTS-FORM",
       "E-TIME-STRICT", "E-EXPIRATION", "E-DUP-KEYS", "E-ERROR-BODY"],
      "400 for each (INFO otherwise: these are our decisions)", hostile=True)
def create_400_errata(t):
    c = t.client()
    key, pl = t.seal(b"y" * 16)
    for what, rid, extra in ERRATA_CREATES:
        body = {"payload": pl, "displayInformation": t.display()}
        body.update(json.loads(json.dumps(extra)))
        cfg = body.get("mailboxConfiguration")
        if cfg is not None and cfg.get("expiration") is None and \
                "expiration" in cfg:
            cfg["expiration"] = t.expiration()
        if cfg is not None and cfg.get("expiration") == "FRACTION":
            cfg["expiration"] = t.expiration()[:-1] + ".5Z"
        if cfg is not None and cfg.get("expiration") == "FAR":
            cfg["expiration"] = t.expiration(400 * 86400)
        ex = c.create(t.claim(), None, None, body=json.dumps(body).encode())
        t.soft(ex.status == 400, [rid], "400 for a create with %s" % what,
               describe(ex), ex)
        if ex.status == 400:
            t.schema("error_response", ex, ["E-ERROR-BODY"])
    dup = ('{"payload": %s, "payload": %s, "displayInformation": %s}' % (
        json.dumps(pl), json.dumps(pl), json.dumps(t.display()))).encode()
    ex = c.create(t.claim(), None, None, body=dup)
    t.soft(ex.status == 400, ["E-DUP-KEYS"],
           "400 for a body naming a member twice", describe(ex), ex)


@case("API-CREATE-CLAIM", "A create without a device claim, or with one that "
      "is not a UUID, creates nothing",
      ["RLY-BIND-ONE-RECIPIENT", "RLY-CREATE-400", "RLY-CREATE-401",
       "E-CLAIM-FORM"],
      "400 or 401 for each", hostile=True)
def create_claim(t):
    c = t.client()
    key, pl = t.seal(b"z" * 16)
    cfg = {"expiration": t.expiration(), "accessRights": "RWD"}
    for what, claim in (("no device claim", None), ("the claim \"not-a-uuid\"",
                                                     "not-a-uuid")):
        ex = c.create(claim, t.display(), pl, config=cfg)
        t.answered(ex, ["RLY-CREATE-400"], "an answer to a create with %s" %
                   what)
        t.check(not 200 <= ex.status < 300,
                ["RLY-BIND-ONE-RECIPIENT", "RLY-CREATE-401"],
                "a refusal (400 or 401) of a create with %s" % what,
                describe(ex), ex)
        if 400 <= ex.status < 500 and ex.status not in (400, 401):
            t.check(False, ["RLY-CREATE-400"], "400 or 401 for a create with "
                    "%s" % what, describe(ex), ex, verdict="WARN")
        t.soft(ex.status == 400 or not 400 <= ex.status < 500,
               ["E-CLAIM-FORM"], "400 (tigress-ref) for a create with %s" %
               what, describe(ex) + " (401 is the draft's example)", ex)


@case("API-CREATE-ATTESTATION", "A create may carry Mailbox-Device-Attestation",
      ["RLY-ATTESTATION-MAY", "RLY-CREATE-401", "E-CLAIM-NO-401-CREATE"],
      "200 (or 401 if the relay refuses this attestation)")
def create_attestation(t):
    c = t.client()
    key, pl = t.seal(b"a" * 32)
    ex = c.create(t.claim(), t.display(), pl,
                  config={"expiration": t.expiration(), "accessRights": "RD"},
                  attestation="conformance-test-attestation-" + uuids.new_v4())
    if ex.status != 401:
        t.create_precondition(ex)
    t.answered(ex, ["RLY-ATTESTATION-MAY"], "an answer")
    t.soft(ex.status != 401, ["E-CLAIM-NO-401-CREATE"],
           "200 (tigress-ref refuses no attestation)",
           "401, which §6.1.6 allows for a refused attestation", ex)
    t.expect_status(ex, 200, ["RLY-ATTESTATION-MAY", "RLY-CREATE-401"],
                    "a create carrying an attestation header", also=(401,))


@case("API-CREATE-NOTIFY", "A create with a notificationToken is accepted",
      ["RLY-CREATE-200", "RLY-CREATE-PUSHFLAG"],
      "200 with isPushNotificationSupported")
def create_notify(t):
    m = t.mailbox(notify={"type": "com.example.push",
                          "tokenData": "conformance-" + uuids.new_v4()},
                  check=False)
    if not t.created(m.create, ["RLY-CREATE-200"], "200 to a create with a "
                     "notificationToken"):
        return
    t.members(m.create, {"isPushNotificationSupported": bool},
              ["RLY-CREATE-PUSHFLAG"], "create answer")


@case("API-CREATE-EXPIRATION", "The expiration asked for at creation is the "
      "one the read answer gives",
      ["RLY-READ-EXPIRATION", "RLY-READ-EXPIRATION-ECHO",
       "RLY-READ-EXPIRATION-FORM", "E-EXPIRATION", "E-TIME-STRICT"],
      "the same YYYY-MM-DDThh:mm:ssZ string")
def create_expiration(t):
    exp = t.expiration(600 + 17)
    m = t.mailbox(expiration=exp)
    ex = t.client().read(m.id, t.claim())
    t.setup(ex, "first read", "API-READ-200")
    got = ex.json.get("expiration") if isinstance(ex.json, dict) else None
    t.check(isinstance(got, str), ["RLY-READ-EXPIRATION"],
            "an expiration in the read answer", repr(got), ex)
    if isinstance(got, str):
        try:
            rfc3339.parse(got)
            strict = True
        except TigressError:
            strict = False
        t.check(strict, ["RLY-READ-EXPIRATION-FORM", "E-TIME-STRICT"],
                "expiration in YYYY-MM-DDThh:mm:ssZ form", repr(got), ex)
        t.check(got == exp, ["RLY-READ-EXPIRATION-ECHO", "E-EXPIRATION"],
                "expiration %s (as created)" % exp, repr(got), ex)


@case("API-CREATE-DEFAULT-CONFIG", "Without mailboxConfiguration the relay "
      "applies a default lifetime and the default rights (read, delete)",
      ["RLY-DEFAULT-CONFIG", "RLY-DEFAULT-RIGHTS", "E-EXPIRATION",
       "E-ACCESS-RIGHTS", "RLY-READ-EXPIRATION"],
      "200; a future expiration; updates refused (no W right)")
def create_default_config(t):
    # §6.1.5 calls mailboxConfiguration Optional, with a default the relay
    # defines, and also "Required at the time of the mailbox creation": a
    # relay that refuses a create without it departs only from that
    # informal statement (RLY-DEFAULT-CONFIG, a WARN), not from create.
    c = t.client()
    m = t.mailbox(client=c, config=False, check=False)
    t.create_precondition(m.create)
    t.require(m.create.status == 200 and bool(m.id), ["RLY-DEFAULT-CONFIG"],
              "200 with a urlLink to a create without mailboxConfiguration "
              "(a default configuration applied)", describe(m.create),
              m.create)
    r = t.client()
    claim = t.claim()
    ex = r.read(m.id, claim)
    t.setup(ex, "first read", "API-READ-200")
    exp = ex.json.get("expiration") if isinstance(ex.json, dict) else None
    t.check(isinstance(exp, str), ["RLY-READ-EXPIRATION"],
            "an expiration in the read answer", repr(exp), ex)
    try:
        future = rfc3339.parse(exp) > time.time()
    except (TigressError, TypeError):
        future = False
    t.check(future, ["RLY-DEFAULT-CONFIG", "E-EXPIRATION"],
            "a default expiration in the future", repr(exp), ex)
    if future:
        t.note("default lifetime: about %d s" % (rfc3339.parse(exp) -
                                                 time.time()))
    key, pl = t.seal(b"update without W")
    ex = r.update(m.id, claim, pl)
    t.check(ex.status is not None and ex.status in (401, 403),
            ["RLY-DEFAULT-RIGHTS", "E-ACCESS-RIGHTS"],
            "401 to an update of a mailbox with the default rights (RD)",
            describe(ex), ex)


@case("API-CREATE-PAST-EXPIRATION", "A mailbox whose expiration is already "
      "past is never served",
      ["RLY-EXPIRE-DELETE-CONFIG", "RLY-EXPIRE-DELETE", "E-EXPIRATION"],
      "400, or at least no content served")
def create_past_expiration(t):
    c = t.client()
    key, pl = t.seal(b"already expired")
    ex = c.create(t.claim(), t.display(), pl,
                  config={"expiration": t.expiration(-3600),
                          "accessRights": "RWD"})
    t.answered(ex, ["E-EXPIRATION"], "an answer")
    t.soft(ex.status == 400, ["E-EXPIRATION"],
           "400 for an expiration in the past", describe(ex), ex)
    url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
    rd = None
    if ex.status == 200 and isinstance(url, str):
        rd = c.read(url.rstrip("/").rsplit("/", 1)[-1], t.claim())
    t.check(rd is None or rd.status != 200,
            ["RLY-EXPIRE-DELETE-CONFIG", "RLY-EXPIRE-DELETE"],
            "no content from a mailbox created already expired",
            describe(rd), rd)


@case("API-CREATE-CONSUMES", "A create body sent as text/plain is refused",
      ["RLY-CREATE-CONSUMES", "E-LIMITS"],
      "415 (or another 4xx)")
def create_consumes(t):
    c = t.client()
    key, pl = t.seal(b"text plain")
    ex = c.create(t.claim(), t.display(), pl, content_type="text/plain",
                  config={"expiration": t.expiration(), "accessRights": "RD"})
    t.answered(ex, ["RLY-CREATE-CONSUMES"], "an answer")
    t.soft(400 <= ex.status < 500, ["RLY-CREATE-CONSUMES", "E-LIMITS"],
           "415 for a body declared text/plain", describe(ex), ex)


# -- UpdateMailbox -------------------------------------------------------------------

@case("API-UPDATE-200", "Both parties can update; the other party reads the "
      "new payload",
      ["RLY-UPDATE-ENDPOINT", "RLY-UPDATE-200", "RLY-UPDATE-PRODUCES",
       "RLY-UPDATE-PUSHFLAG", "RLY-UPDATE-OVERWRITES", "RLY-UPDATE-CONSUMES",
       "RLY-REQID-ECHO", "E-UPDATE-SLOT", "RLY-ACCESS-RIGHTS",
       "E-ACCESS-RIGHTS"],
      "200 application/json {isPushNotificationSupported}; new payload read")
def update_200(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    for who, c, claim, reader, reader_claim in (
            ("recipient", cr, rc, ci, m.claim),
            ("initiator", ci, m.claim, cr, rc)):
        key_text = ("update by the %s %s" % (who, uuids.new_v4())).encode()
        pl = t.seal(key_text, m.key)[1]
        ex = c.update(m.id, claim, pl)
        t.expect_status(ex, 200, ["RLY-UPDATE-200", "RLY-UPDATE-ENDPOINT",
                                  "RLY-UPDATE-CONSUMES", "RLY-ACCESS-RIGHTS",
                                  "E-ACCESS-RIGHTS"],
                        "an update by the %s of an RWD mailbox" % who)
        if ex.status != 200:
            continue
        _json_answer(t, ex, ["RLY-UPDATE-PRODUCES"], "update answer")
        t.members(ex, {"isPushNotificationSupported": bool},
                  ["RLY-UPDATE-PUSHFLAG"], "update answer")
        t.echo(ex, what="the update answer")
        rd = reader.read(m.id, reader_claim)
        t.check(rd.status == 200 and t.opened(rd, m.key) == key_text,
                ["RLY-UPDATE-OVERWRITES", "E-UPDATE-SLOT"],
                "the %s's new payload in the other party's read" % who,
                describe(rd) if rd.status != 200 else "another payload", rd)


@case("API-UPDATE-400", "An unparsable update, or one without payload, is "
      "answered 400",
      ["RLY-UPDATE-400"], "400 for each", hostile=True)
def update_400(t):
    c = t.client()
    m = t.mailbox(client=c)
    for what, body in (("an unparsable body", b'{"payload": '),
                       ("no payload", b'{"notificationToken": '
                                      b'{"type": "a", "tokenData": "b"}}'),
                       ("a payload that is a number", b'{"payload": 7}')):
        ex = c.update(m.id, m.claim, None, body=body)
        if ex.status is not None and 200 <= ex.status < 300:
            t.check(False, ["RLY-UPDATE-400"], "400 for an update with %s" %
                    what, describe(ex), ex)
        else:
            t.expect_status(ex, 400, ["RLY-UPDATE-400"],
                            "an update with %s" % what)
    rd = t.client().read(m.id, t.claim())
    t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
            ["RLY-UPDATE-400"], "the original payload after refused updates",
            describe(rd), rd)


@case("API-UPDATE-401", "An update by a claim that is not bound is answered "
      "401 and changes nothing",
      ["RLY-UPDATE-401", "RLY-CLAIM-GATE", "RLY-BIND-ONE-RECIPIENT"],
      "401; payload unchanged")
def update_401(t):
    m = t.mailbox()
    rc = t.bind(m)
    s = t.client()
    key, pl = t.seal(b"intruder", m.key)
    ex = s.update(m.id, t.claim(), pl)
    t.answered(ex, ["RLY-UPDATE-401"], "an answer")
    t.check(not 200 <= ex.status < 300, ["RLY-BIND-ONE-RECIPIENT",
                                         "RLY-CLAIM-GATE"],
            "a refusal of an update by a third claim", describe(ex), ex)
    t.expect_status(ex, 401, ["RLY-UPDATE-401"], "an update by a third claim")
    rd = t.client().read(m.id, rc)
    t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
            ["RLY-BIND-ONE-RECIPIENT"], "the original payload",
            describe(rd) if rd.status != 200 else "the intruder's payload",
            rd)


@case("API-UPDATE-404", "An update of an unknown mailbox is answered 404",
      ["RLY-UPDATE-404"], "404")
def update_404(t):
    key, pl = t.seal(b"nobody home")
    ex = t.client().update(_unknown_id(), t.claim(), pl)
    t.expect_status(ex, 404, ["RLY-UPDATE-404"], "an update of an unknown "
                    "mailbox")


@case("API-UPDATE-NO-WRITE", "Without the W right nobody updates",
      ["RLY-ACCESS-RIGHTS", "E-ACCESS-RIGHTS"],
      "401 to updates of an RD mailbox")
def update_no_write(t):
    ci = t.client()
    m = t.mailbox(client=ci, rights="RD")
    rc = t.bind(m)
    for who, claim in (("initiator", m.claim), ("recipient", rc)):
        key, pl = t.seal(b"no write right", m.key)
        ex = ci.update(m.id, claim, pl)
        t.check(ex.status is not None and 400 <= ex.status < 500,
                ["RLY-ACCESS-RIGHTS", "E-ACCESS-RIGHTS"],
                "401 to an update by the %s of an RD mailbox" % who,
                describe(ex), ex)


# -- DeleteMailbox -------------------------------------------------------------------

@case("API-DELETE-200", "The initiator deletes; the mailbox is gone",
      ["RLY-DELETE-ENDPOINT", "RLY-DELETE-200", "RLY-DELETE-CLAIM",
       "RLY-DELETE-PARTIES", "RLY-REQID-ECHO", "E-EMPTY-RESP",
       "RLY-READ-404", "RLY-PREVIEW-404"],
      "200; then 404 to read and preview")
def delete_200(t):
    c = t.client()
    m = t.mailbox(client=c)
    rc = t.bind(m)
    ex = c.delete(m.id, m.claim)
    t.expect_status(ex, 200, ["RLY-DELETE-200", "RLY-DELETE-PARTIES",
                              "RLY-DELETE-ENDPOINT", "RLY-DELETE-CLAIM"],
                    "a delete by the initiator")
    t.echo(ex, what="the delete answer")
    if ex.status == 200:
        t.soft(ex.media_type == "application/json" and
               isinstance(ex.json, dict), ["E-EMPTY-RESP"],
               "{} as application/json", describe(ex), ex)
    rd = c.read(m.id, rc)
    t.expect_status(rd, 404, ["RLY-READ-404", "RLY-DELETE-200"],
                    "a read of a deleted mailbox")
    pv = c.read_display(m.id)
    t.expect_status(pv, 404, ["RLY-PREVIEW-404", "RLY-DELETE-200"],
                    "the preview of a deleted mailbox")


@case("API-DELETE-RECIPIENT", "The bound recipient can delete (right D)",
      ["RLY-DELETE-CLAIM", "RLY-DELETE-PARTIES", "RLY-DELETE-200",
       "E-ACCESS-RIGHTS"],
      "200; then 404")
def delete_recipient(t):
    m = t.mailbox(rights="RWD")
    rc = t.bind(m)
    c = t.client()
    ex = c.delete(m.id, rc)
    t.expect_status(ex, 200, ["RLY-DELETE-200", "RLY-DELETE-PARTIES",
                              "RLY-DELETE-CLAIM", "E-ACCESS-RIGHTS"],
                    "a delete by the bound recipient of an RWD mailbox")
    rd = c.read(m.id, m.claim)
    t.expect_status(rd, 404, ["RLY-DELETE-200"], "a read after the delete")


@case("API-DELETE-401", "A delete by a claim that is not bound is answered "
      "401 and deletes nothing",
      ["RLY-DELETE-401", "RLY-CLAIM-GATE", "RLY-BIND-ONE-RECIPIENT"],
      "401; the mailbox stays")
def delete_401(t):
    m = t.mailbox()
    rc = t.bind(m)
    c = t.client()
    ex = c.delete(m.id, t.claim())
    t.answered(ex, ["RLY-DELETE-401"], "an answer")
    t.check(not 200 <= ex.status < 300, ["RLY-BIND-ONE-RECIPIENT",
                                         "RLY-CLAIM-GATE"],
            "a refusal of a delete by a third claim", describe(ex), ex)
    t.expect_status(ex, 401, ["RLY-DELETE-401"], "a delete by a third claim")
    rd = c.read(m.id, rc)
    t.expect_status(rd, 200, ["RLY-BIND-ONE-RECIPIENT"],
                    "the recipient's read after a refused delete")


@case("API-DELETE-404", "A delete of an unknown mailbox is answered 404",
      ["RLY-DELETE-404"], "404")
def delete_404(t):
    ex = t.client().delete(_unknown_id(), t.claim())
    t.expect_status(ex, 404, ["RLY-DELETE-404"],
                    "a delete of an unknown mailbox")


# -- ReadDisplayInformationFromMailbox -------------------------------------------------

@case("API-PREVIEW-200", "The preview is text/html with the display "
      "information as OpenGraph properties",
      ["RLY-PREVIEW-ENDPOINT", "RLY-PREVIEW-200", "RLY-PREVIEW-PRODUCES",
       "RLY-PREVIEW-OG", "RLY-PREVIEW-OPENGRAPH", "RLY-BODY-FORMAT",
       "E-IMAGEURL"],
      "200 text/html with og:title, og:description, og:image")
def preview_200(t):
    d = t.display(title="Hotel Pass %s" % uuids.new_v4()[:8],
                  description="Room 1207, checkout Sunday",
                  imageURL="https://example.com/photos/pass.jpg")
    m = t.mailbox(display=d)
    ex = t.client().read_display(m.id)
    t.require(ex.status == 200, ["RLY-PREVIEW-200", "RLY-PREVIEW-ENDPOINT"],
              "200 to a preview (GET /v1/m/{id})", describe(ex), ex)
    t.check(ex.media_type == "text/html", ["RLY-PREVIEW-PRODUCES",
                                           "RLY-BODY-FORMAT"],
            "Content-Type text/html", ex.content_type or "none", ex)
    p = preview.parse(ex.text)
    for prop, want in (("og:title", d["title"]),
                       ("og:description", d["description"])):
        got = p.og.get(prop)
        t.check(got == want, ["RLY-PREVIEW-OG", "RLY-PREVIEW-OPENGRAPH"],
                "%s = %r" % (prop, want), "no %s" % prop if got is None
                else changed_strings([(prop, want, got)]), ex)
    img = p.og.get("og:image")
    t.check(img == d["imageURL"], ["E-IMAGEURL", "RLY-PREVIEW-OPENGRAPH"],
            "og:image = %r" % d["imageURL"],
            "no og:image" if img is None else repr(img), ex)


@case("API-PREVIEW-404", "The preview of an unknown mailbox is answered 404",
      ["RLY-PREVIEW-404"], "404")
def preview_404(t):
    ex = t.client().read_display(_unknown_id())
    t.expect_status(ex, 404, ["RLY-PREVIEW-404"],
                    "the preview of an unknown mailbox")


@case("API-HEAD", "HEAD on a mailbox answers like GET without a body",
      ["E-HEAD", "RLY-PREVIEW-ENDPOINT"], "200 without a body (or 405)")
def head(t):
    m = t.mailbox()
    ex = t.client().read_display(m.id, method="HEAD")
    t.answered(ex, ["E-HEAD", "RLY-PREVIEW-ENDPOINT"], "an answer")
    t.soft(ex.status == 200 and not ex.body, ["E-HEAD"], "200 without a body",
           "%s, %d body bytes" % (describe(ex), len(ex.body)), ex)


# -- ReadSecureContentFromMailbox ---------------------------------------------------------

@case("API-READ-200", "The first read binds the recipient and returns "
      "displayInformation, payload and expiration as JSON",
      ["RLY-READ-ENDPOINT", "RLY-READ-200", "RLY-READ-PRODUCES",
       "RLY-BODY-FORMAT", "RLY-READ-PAYLOAD", "RLY-READ-DISPLAY",
       "RLY-READ-EXPIRATION", "RLY-BIND-FIRST-READ", "RLY-CLAIM-GATE",
       "RLY-STORE-FORWARD", "RLY-REQID-ECHO", "E-PAYLOAD-OBJECT",
       "E-TIME-STRICT"],
      "200 application/json {displayInformation, payload, expiration}")
def read_200(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.claim()
    ex = cr.read(m.id, rc)
    t.require(ex.status == 200, ["RLY-READ-200", "RLY-BIND-FIRST-READ",
                                 "RLY-READ-ENDPOINT"],
              "200 to the first read by a new claim", describe(ex), ex)
    _json_answer(t, ex, ["RLY-READ-PRODUCES"], "read answer")
    t.echo(ex, what="the read answer")
    ok = t.members(ex, {"displayInformation": dict,
                        "payload": (dict, str), "expiration": str},
                   ["RLY-READ-PAYLOAD", "RLY-READ-DISPLAY",
                    "RLY-READ-EXPIRATION"], "read answer")
    if ok:
        t.check(ex.json["displayInformation"] == m.display,
                ["RLY-READ-DISPLAY"], "the displayInformation as created",
                repr(ex.json["displayInformation"])[:120], ex)
        t.check(ex.json["payload"] == m.payload, ["RLY-READ-PAYLOAD"],
                "the payload as created", repr(ex.json["payload"])[:120], ex)
        t.schema("read_response", ex, ["E-PAYLOAD-OBJECT", "E-TIME-STRICT"])
    # Both bound parties read; repeated reads keep working (store and
    # forward, not read-once).
    for who, c, claim in (("recipient again", cr, rc),
                          ("initiator", ci, m.claim)):
        rd = c.read(m.id, claim)
        t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
                ["RLY-READ-200", "RLY-CLAIM-GATE", "RLY-STORE-FORWARD"],
                "200 with the payload to a read by the %s" % who,
                describe(rd), rd)


@case("API-READ-401", "Once a recipient is bound, a third claim's read is "
      "answered 401",
      ["RLY-READ-401", "RLY-BIND-ONE-RECIPIENT"], "401")
def read_401(t):
    m = t.mailbox()
    t.bind(m)
    ex = t.client().read(m.id, t.claim())
    t.answered(ex, ["RLY-READ-401"], "an answer")
    t.check(ex.status != 200, ["RLY-BIND-ONE-RECIPIENT"],
            "a refusal of a third claim's read", describe(ex), ex)
    t.expect_status(ex, 401, ["RLY-READ-401"], "a third claim's read")


@case("API-READ-404", "A read of an unknown mailbox is answered 404",
      ["RLY-READ-404"], "404")
def read_404(t):
    ex = t.client().read(_unknown_id(), t.claim())
    t.expect_status(ex, 404, ["RLY-READ-404"], "a read of an unknown mailbox")


@case("API-READ-BODY", "A read may carry a JSON body with a notificationToken",
      ["E-READ-BODY", "RLY-READ-200"], "200")
def read_body(t):
    m = t.mailbox()
    ex = t.client().read(m.id, t.claim(), notify={
        "type": "com.example.push", "tokenData": "reader-" + uuids.new_v4()})
    t.answered(ex, ["E-READ-BODY"], "an answer")
    t.check(ex.status == 200, ["E-READ-BODY", "RLY-READ-200"],
            "200 to a first read with a notificationToken body",
            describe(ex), ex,
            verdict="WARN" if ex.status is not None and 400 <= ex.status < 500
            else None)


@case("API-UUID-CASE", "A mailbox identifier is accepted in upper case",
      ["E-UUID-CASE"], "200 to the preview by the upper-case identifier")
def uuid_case(t):
    m = t.mailbox()
    ex = t.client().read_display(m.id.upper())
    t.soft(ex.status == 200, ["E-UUID-CASE"],
           "200 for the upper-case identifier", describe(ex), ex)


# -- RelinquishMailbox ----------------------------------------------------------------------

@case("API-RELINQUISH-200", "The recipient relinquishes; another device can "
      "then bind",
      ["RLY-RELINQUISH-ENDPOINT", "RLY-RELINQUISH-200",
       "RLY-RELINQUISH-RECIPIENT", "RLY-RELINQUISH-REBIND", "RLY-REQID-ECHO",
       "E-RELINQUISH-CONTENT", "E-EMPTY-RESP", "RLY-BIND-ONE-RECIPIENT"],
      "200; a new claim's read 200; the old recipient 401")
def relinquish_200(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    written = b"written by the first recipient"
    up = cr.update(m.id, rc, t.seal(written, m.key)[1])
    ex = cr.relinquish(m.id, rc)
    t.require(ex.status == 200, ["RLY-RELINQUISH-200",
                                 "RLY-RELINQUISH-ENDPOINT",
                                 "RLY-RELINQUISH-RECIPIENT"],
              "200 to a relinquish by the bound recipient", describe(ex), ex)
    t.echo(ex, what="the relinquish answer")
    t.soft(ex.media_type == "application/json" and isinstance(ex.json, dict),
           ["E-EMPTY-RESP"], "{} as application/json", describe(ex), ex)
    c2 = t.client()
    rc2 = t.claim()
    rd = c2.read(m.id, rc2)
    t.expect_status(rd, 200, ["RLY-RELINQUISH-REBIND"],
                    "the first read by a new claim after relinquish")
    if rd.status == 200 and up.status == 200:
        t.check(t.opened(rd, m.key) == m.plaintext, ["E-RELINQUISH-CONTENT"],
                "the initiator's payload, not the first recipient's",
                "the first recipient's payload" if t.opened(rd, m.key) ==
                written else "another payload", rd)
    old = cr.read(m.id, rc)
    t.check(old.status != 200, ["RLY-BIND-ONE-RECIPIENT"],
            "a refusal (401) of the old recipient's read once another is "
            "bound", describe(old), old)


@case("API-RELINQUISH-401", "A relinquish by anyone but the bound recipient "
      "is answered 401",
      ["RLY-RELINQUISH-401", "RLY-RELINQUISH-RECIPIENT"], "401")
def relinquish_401(t):
    m = t.mailbox()
    t.bind(m)
    ex = t.client().relinquish(m.id, t.claim())
    t.expect_status(ex, 401, ["RLY-RELINQUISH-401", "RLY-RELINQUISH-RECIPIENT"],
                    "a relinquish by a third claim")


@case("API-RELINQUISH-404", "A relinquish of an unknown mailbox is answered "
      "404", ["RLY-RELINQUISH-404"], "404")
def relinquish_404(t):
    ex = t.client().relinquish(_unknown_id(), t.claim())
    t.expect_status(ex, 404, ["RLY-RELINQUISH-404"],
                    "a relinquish of an unknown mailbox")


# -- headers and errors ----------------------------------------------------------------------

@case("API-REQID-ECHO", "Every answer repeats the request's "
      "Mailbox-Request-ID, errors included",
      ["RLY-REQID-ECHO"], "the same Mailbox-Request-ID on every answer")
def reqid_echo(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    t.echo(m.create, what="create")
    rc = t.claim()
    t.echo(cr.read(m.id, rc), what="read")
    t.echo(ci.read_display(m.id, request_id=t.request_id()), what="preview")
    t.echo(cr.update(m.id, rc, t.seal(b"u", m.key)[1]), what="update")
    t.echo(cr.relinquish(m.id, rc), what="relinquish")
    t.echo(ci.read(m.id, t.claim()), what="read")
    t.echo(cr.read(m.id, t.claim()), what="a 401 answer")
    t.echo(ci.delete(_unknown_id(), m.claim), what="a 404 answer")
    t.echo(ci.delete(m.id, m.claim), what="delete")


@case("API-REQID-ECHO-ANY", "Request ids that are not UUIDs (which the draft "
      "only recommends) are echoed too, also when the request is refused",
      ["RLY-REQID-ECHO", "CLI-REQID-UUID", "E-REQID-FORM"],
      "the same Mailbox-Request-ID on each answer", hostile=True)
def reqid_echo_any(t):
    c = t.client()
    m = t.mailbox(client=c)
    for rid in ("conformance-request-1", "r" * 200):
        for what, ex in (
                ("a read", c.read(m.id, t.claim(), request_id=rid)),
                ("a refused update", c.update(_unknown_id(), m.claim,
                                              m.payload, request_id=rid))):
            t.echo(ex, what="%s with a %d-character request id" % (
                what, len(rid)))
    t._mark(["CLI-REQID-UUID", "E-REQID-FORM"])


@case("API-REQID-MISSING", "Mutating requests without Mailbox-Request-ID "
      "are refused", ["E-REQID-FORM"],
      "400 (our decision; INFO otherwise)")
def reqid_missing(t):
    c = t.client()
    key, pl = t.seal(b"no request id")
    ex = c.create(t.claim(), t.display(), pl, request_id=False,
                  config={"expiration": t.expiration(), "accessRights": "RD"})
    t.soft(ex.status == 400, ["E-REQID-FORM"],
           "400 to a create without Mailbox-Request-ID", describe(ex), ex)


@case("API-ERROR-BODY", "Error answers carry {error, message} as JSON",
      ["E-ERROR-BODY"], "an error_response body on 400, 401 and 404")
def error_body(t):
    c = t.client()
    m = t.mailbox(client=c)
    t.bind(m)
    for ex in (c.create(t.claim(), None, None, body=b"{"),
               c.read(m.id, t.claim()),
               c.read(_unknown_id(), t.claim())):
        if ex.status is None or ex.status < 400:
            continue
        t.schema("error_response", ex, ["E-ERROR-BODY"])


# -- flows and features ----------------------------------------------------------------------

@case("API-FLOW-ROUNDTRIP", "A stateful transfer: several round trips, back "
      "to back messages from one party, no user interaction",
      ["RLY-ROUNDTRIP-FIRST", "RLY-NOT-TURN-TAKING", "RLY-BACK-TO-BACK",
       "RLY-STORE-FORWARD", "RLY-NO-USER-INTERACTION",
       "RLY-NO-IDENTIFYING-INFO", "Req-RoundTrips", "Req-Connectivity",
       "E-UPDATE-SLOT"],
      "every message reaches the other party")
def flow_roundtrip(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    steps = [("recipient", cr, rc, ci, m.claim),
             ("initiator", ci, m.claim, cr, rc),
             ("recipient", cr, rc, ci, m.claim),
             ("recipient", cr, rc, ci, m.claim),     # back to back
             ("initiator", ci, m.claim, cr, rc),
             ("initiator", ci, m.claim, cr, rc)]     # back to back
    prev_who = None
    for i, (who, c, claim, reader, reader_claim) in enumerate(steps):
        msg = ("message %d from the %s" % (i + 1, who)).encode()
        ex = c.update(m.id, claim, t.seal(msg, m.key)[1])
        reqs = ["RLY-ROUNDTRIP-FIRST", "Req-RoundTrips",
                "RLY-NO-USER-INTERACTION", "RLY-NO-IDENTIFYING-INFO"]
        if who == prev_who:
            reqs = ["RLY-BACK-TO-BACK", "RLY-NOT-TURN-TAKING"]
        t.require(ex.status == 200, reqs,
                  "200 to message %d (%s%s)" % (
                      i + 1, who, ", right after its previous one"
                      if who == prev_who else ""), describe(ex), ex)
        prev_who = who
        rd = reader.read(m.id, reader_claim)
        t.check(rd.status == 200 and t.opened(rd, m.key) == msg,
                ["RLY-ROUNDTRIP-FIRST", "RLY-STORE-FORWARD",
                 "Req-Connectivity", "E-UPDATE-SLOT"],
                "message %d in the other party's read" % (i + 1),
                describe(rd) if rd.status != 200 else "another payload", rd)


@case("API-NOTIFY", "The relay offers a way to learn of updates (push "
      "notifications, or long-polling)",
      ["RLY-NOTIFY-RECOMMENDED", "RLY-CREATE-PUSHFLAG", "X-LONG-POLL"],
      "isPushNotificationSupported true, or long-polling offered")
def notify(t):
    m = t.mailbox()
    push = isinstance(m.create.json, dict) and \
        m.create.json.get("isPushNotificationSupported") is True
    wk = t.run.well_known or {}
    longpoll = "long-poll" in (wk.get("extensions") or [])
    if push:
        t.note("isPushNotificationSupported: true")
    if longpoll:
        t.note("long-polling offered (X-LONG-POLL)")
    t.members(m.create, {"isPushNotificationSupported": bool},
              ["RLY-CREATE-PUSHFLAG"], "create answer")
    t._mark(["X-LONG-POLL"])
    t.check(push or longpoll, ["RLY-NOTIFY-RECOMMENDED"],
            "push notifications or long-polling",
            "isPushNotificationSupported false and no long-polling", m.create)


@case("API-EXT-WELLKNOWN", "GET /.well-known/tigress describes the relay "
      "(tigress-ref extension)",
      ["X-WELL-KNOWN"], "200 application/json with apiVersions")
def ext_wellknown(t):
    ex = t.client().well_known()
    t.answered(ex, ["X-WELL-KNOWN"], "an answer")
    if ex.status == 404:
        t.unsupported("no /.well-known/tigress (an optional extension)")
    t.soft(ex.status == 200 and isinstance(ex.json, dict), ["X-WELL-KNOWN"],
           "200 application/json", describe(ex), ex)
    if not isinstance(ex.json, dict):
        return
    versions = ex.json.get("apiVersions")
    t.soft(isinstance(versions, list) and "v1" in versions, ["X-WELL-KNOWN"],
           "apiVersions including v1", repr(versions), ex)


@case("API-EXT-LONGPOLL", "A read held with If-None-Match and Prefer: wait "
      "(tigress-ref extension)",
      ["X-LONG-POLL"], "304 after the wait, 200 at once after an update",
      waits=True)
def ext_longpoll(t):
    wk = t.run.well_known or {}
    if "long-poll" not in (wk.get("extensions") or []):
        t.unsupported("long-polling is not offered (an optional extension)")
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.claim()
    first = cr.read(m.id, rc)
    t.setup(first, "first read", "API-READ-200")
    etag = first.header("ETag")
    t.soft(bool(etag), ["X-LONG-POLL"], "an ETag on the read answer", "none",
           first)
    if not etag:
        return
    t0 = time.monotonic()
    held = cr.read(m.id, rc, if_none_match=etag, wait=1)
    waited = time.monotonic() - t0
    t.soft(held.status == 304 and waited >= 0.8, ["X-LONG-POLL"],
           "304 after about 1 s", "%s after %.1f s" % (describe(held), waited),
           held)
    import threading
    result = {}

    def waiter():
        result["ex"] = cr.read(m.id, rc, if_none_match=etag, wait=10)
    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.3)
    msg = b"wake up"
    ci.update(m.id, m.claim, t.seal(msg, m.key)[1])
    th.join(15)
    ex = result.get("ex")
    t.soft(ex is not None and ex.status == 200 and t.opened(ex, m.key) == msg,
           ["X-LONG-POLL"], "200 with the update to the held read",
           describe(ex), ex)
