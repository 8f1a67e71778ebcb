"""Opacity cases: whatever a client seals, the relay hands back byte for
byte (http-00 §3.3, §8.1.3; requirements draft Req-Opaque)."""

from __future__ import annotations

import base64
import json
import secrets

from tigress_py import payload as tpayload

from ...core.context import describe
from ..registry import case
from ..preview import changed_strings

OPACITY_REQS = ["RLY-OPAQUE-STORE", "RLY-READ-PAYLOAD", "RLY-PAYLOAD-TYPE",
                "RLY-PAYLOAD-DATA", "Req-Opaque", "Req-CredentialType",
                "SCT-CONTENT-SECRET-ONLY", "RLY-CONF-INTEGRITY"]


def _roundtrip(t, c, m, rc, what):
    rd = c.read(m.id, rc)
    t.check(rd.status == 200, ["RLY-READ-200"], "200 to the read of %s" %
            what, describe(rd), rd)
    if rd.status != 200:
        return
    got = rd.json.get("payload") if isinstance(rd.json, dict) else None
    t.check(got == m.payload, ["RLY-OPAQUE-STORE", "RLY-READ-PAYLOAD",
                               "RLY-PAYLOAD-TYPE", "RLY-PAYLOAD-DATA",
                               "Req-Opaque", "Req-CredentialType"],
            "the payload object of %s unchanged" % what,
            "type %r, data of %s characters%s" % (
                got.get("type") if isinstance(got, dict) else None,
                len(got.get("data", "")) if isinstance(got, dict) else "?",
                " differing" if isinstance(got, dict) else ""), rd)
    if got == m.payload:
        t.check(t.opened(rd, m.key) == m.plaintext,
                ["RLY-CONF-INTEGRITY", "SCT-CONTENT-SECRET-ONLY"],
                "the plaintext of %s after opening" % what,
                "a payload that does not open", rd)


@case("OPACITY-RANDOM-BYTES", "Random bytes of several sizes, sealed with "
      "both AEADs, come back byte for byte",
      OPACITY_REQS, "the same payload object, opening to the same bytes")
def random_bytes(t):
    c = t.client()
    for size in (0, 1, 31, 1000, 4096):
        for key_len in (16, 32):
            pt = secrets.token_bytes(size)
            key = secrets.token_bytes(key_len)
            m = t.mailbox(plaintext=pt, key=key, check=False)
            what = "%d random bytes under a %d-bit key" % (size, key_len * 8)
            if t.created(m.create, ["RLY-OPAQUE-STORE"],
                         "200 to a create of %s" % what):
                _roundtrip(t, c, m, t.claim(), what)


@case("OPACITY-NOT-CIPHERTEXT", "data the relay cannot tell from ciphertext "
      "(random bytes under no key) is stored and returned as it is",
      ["RLY-OPAQUE-STORE", "RLY-READ-PAYLOAD", "Req-Opaque"],
      "200 and the same data back")
def not_ciphertext(t):
    c = t.client()
    junk = {"type": "AEAD_AES_256_GCM",
            "data": base64.b64encode(secrets.token_bytes(333)).decode()}
    claim = t.claim()
    ex = c.create(claim, t.display(), junk,
                  config={"expiration": t.expiration(), "accessRights": "RWD"})
    if not t.created(ex, ["RLY-OPAQUE-STORE"],
                     "200 to a create whose payload no key opens"):
        return
    mid = ex.json["urlLink"].rstrip("/").rsplit("/", 1)[-1]
    rd = c.read(mid, t.claim())
    got = rd.json.get("payload") if isinstance(rd.json, dict) else None
    t.check(rd.status == 200 and got == junk, ["RLY-OPAQUE-STORE",
                                               "RLY-READ-PAYLOAD", "Req-Opaque"],
            "the same payload object", describe(rd), rd)


@case("OPACITY-NEAR-LIMIT", "Payloads at the size limit pass unchanged; "
      "just over it they are refused with a 4xx",
      OPACITY_REQS + ["E-LIMITS"],
      "the largest payload intact; a larger one 413 or 400")
def near_limit(t):
    wk = t.run.well_known or {}
    limit = wk.get("maxPayloadDataBytes")
    if not isinstance(limit, int) or limit < 64:
        limit = tpayload.MAX_DATA_CHARS
        t.note("payload limit assumed: %d characters of data (tigress-ref's)"
               % limit)
    max_plain = limit // 4 * 3 - tpayload.MIN_DATA
    c = t.client()
    for size in (max_plain, max_plain - 1):
        pt = secrets.token_bytes(size)
        m = t.mailbox(plaintext=pt, check=False)
        t.soft(m.create.status == 200, ["E-LIMITS"],
               "200 to a payload of %d data characters" %
               len(m.payload["data"]), describe(m.create), m.create)
        if m.create.status != 200:
            continue
        _roundtrip(t, c, m, t.claim(), "%d random bytes (data of %d "
                   "characters)" % (size, len(m.payload["data"])))
    # One block more than the limit.
    key = secrets.token_bytes(16)
    raw = secrets.token_bytes(max_plain + tpayload.MIN_DATA + 3)
    over = {"type": "AEAD_AES_128_GCM",
            "data": base64.b64encode(raw).decode()}
    ex = c.create(t.claim(), t.display(), over,
                  config={"expiration": t.expiration(), "accessRights": "RD"})
    t.soft(ex.status is not None and 400 <= ex.status < 500, ["E-LIMITS"],
           "413 or 400 to data of %d characters (over the limit)" %
           len(over["data"]), describe(ex), ex)
    del key


@case("OPACITY-UPDATE", "Random bytes sent by updates in both directions "
      "come back byte for byte",
      ["RLY-OPAQUE-STORE", "Req-Opaque", "RLY-UPDATE-OVERWRITES",
       "RLY-READ-PAYLOAD"],
      "each party reads exactly what the other sealed")
def update_bytes(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    for who, c, claim, reader, reader_claim in (
            ("recipient", cr, rc, ci, m.claim),
            ("initiator", ci, m.claim, cr, rc)):
        pt = secrets.token_bytes(2048)
        pl = tpayload.seal(m.key, pt)
        ex = c.update(m.id, claim, pl)
        t.setup(ex, "update", "API-UPDATE-200")
        rd = reader.read(m.id, reader_claim)
        got = rd.json.get("payload") if isinstance(rd.json, dict) else None
        t.check(got == pl, ["RLY-OPAQUE-STORE", "Req-Opaque",
                            "RLY-UPDATE-OVERWRITES", "RLY-READ-PAYLOAD"],
                "the %s's payload unchanged" % who,
                describe(rd) if rd.status != 200 else "a changed payload", rd)


@case("OPACITY-DISPLAY", "Display strings in any script, with emoji and "
      "combining marks, come back exactly",
      ["RLY-READ-DISPLAY", "RLY-UTF8", "RLY-PREVIEW-OG",
       "RLY-PREVIEW-OPENGRAPH"],
      "the same strings in the read answer and the preview")
def display_strings(t):
    d = t.display(title="Clé de l'hôtel \u2014 \u9152\u5e97 \U0001F511",
                  description="\u0645\u0641\u062a\u0627\u062d \u0627\u0644"
                  "\u0633\u064a\u0627\u0631\u0629 / \u0915\u093e\u0930 "
                  "\"quoted\" \\ back\\slash",
                  imageURL="https://example.com/k%C3%A9y.png?size=2&x=1")
    m = t.mailbox(display=d, check=False)
    if not t.created(m.create, ["RLY-UTF8"], "200 to a create with "
                     "display strings in several scripts"):
        return
    rd = t.client().read(m.id, t.claim())
    got = rd.json.get("displayInformation") if isinstance(rd.json, dict) \
        else None
    t.check(got == d, ["RLY-READ-DISPLAY", "RLY-UTF8"],
            "the display strings unchanged", changed_strings(
                [(k, d[k], got.get(k)) for k in d]) if isinstance(got, dict)
            else json.dumps(got, ensure_ascii=True)[:160], rd)
    pv = t.client().read_display(m.id)
    if pv.status == 200:
        from .. import preview
        p = preview.parse(pv.text)
        got_title = p.og.get("og:title")
        # missing breaks the Required member (§6.4.4), altered only the
        # informal "as OpenGraph metadata" (§6.4): as THREAT-PREVIEW-ESCAPE
        if t.check(got_title is not None, ["RLY-PREVIEW-OG"],
                   "an og:title", "no og:title", pv):
            t.check(got_title == d["title"], ["RLY-PREVIEW-OPENGRAPH"],
                    "og:title equal to the title", changed_strings(
                        [("og:title", d["title"], got_title)]), pv)
