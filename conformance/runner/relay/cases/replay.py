"""Replay cases: a mutating request repeated with the same
Mailbox-Request-ID (http-00 §5.1, §6.1.6, §6.2.6, §6.6.3) - immediately,
after later operations, under another claim, and after a dropped
connection."""

from __future__ import annotations

import json
import time

from tigress_py.client import PROFILES

from ...core.context import describe
from ..registry import case
from ...core import rawhttp


def _mid(url) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) else ""


def _url_of(ex):
    return ex.json.get("urlLink") if isinstance(ex.json, dict) else None


@case("REPLAY-CREATE-201", "A repeated create (same claim and request id) is "
      "answered 201 with the original body and makes no mailbox",
      ["RLY-DUP-CREATE-201", "RLY-DUP-CREATE-NO-NEW", "RLY-DUP-CREATE-STORE",
       "RLY-DUP-201", "RLY-REQID-ECHO", "E-DUP-201-BODY"],
      "201 naming the same mailbox, whose content is the first request's")
def create_201(t):
    c = t.client()
    rid = t.request_id()
    claim = t.claim()
    m = t.mailbox(client=c, claim=claim, request_id=rid)
    # The repetition carries another payload: it must be ignored.
    key2, pl2 = t.seal(b"the repeated create's payload", m.key)
    ex = c.create(claim, t.display(title="Repeated"), pl2, request_id=rid,
                  config={"expiration": t.expiration(), "accessRights": "RWD"})
    t.expect_status(ex, 201, ["RLY-DUP-CREATE-201", "RLY-DUP-CREATE-NO-NEW",
                              "RLY-DUP-CREATE-STORE", "RLY-DUP-201"],
                    "a repeated create")
    t.echo(ex, what="the repeated create's answer")
    url = _url_of(ex)
    if url is not None and _mid(url) != m.id:
        t.check(False, ["RLY-DUP-CREATE-NO-NEW", "RLY-DUP-CREATE-201"],
                "the first mailbox (%s) in the answer to the repetition" % m.id,
                "another mailbox %s" % _mid(url), ex)
    if ex.status == 201:
        t.check(ex.body == m.create.body, ["E-DUP-201-BODY"],
                "the original answer's body", repr(ex.text[:120]), ex)
    rd = t.client().read(m.id, t.claim())
    t.check(rd.status == 200, ["RLY-DUP-CREATE-NO-NEW"],
            "200 to a read of the first mailbox", describe(rd), rd)
    t.check(rd.status != 200 or t.opened(rd, m.key) == m.plaintext,
            ["RLY-DUP-201"],
            "the first create's payload (the repetition's body ignored)",
            describe(rd) if rd.status != 200 else "the repetition's payload",
            rd)


@case("REPLAY-UPDATE-201", "A repeated update is answered 201 with the "
      "original body and not applied",
      ["RLY-DUP-UPDATE-201", "RLY-DUP-UPDATE-NO-APPLY", "RLY-DUP-UPDATE-STORE",
       "RLY-UPDATE-PUSHFLAG", "RLY-DUP-201", "RLY-REQID-STORE",
       "RLY-REQID-ECHO", "E-DUP-201-BODY"],
      "201 {isPushNotificationSupported}; payload still the first update's")
def update_201(t):
    ci = t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m)
    rid = t.request_id()
    a = b"update A"
    first = ci.update(m.id, m.claim, t.seal(a, m.key)[1], request_id=rid)
    t.setup(first, "first update", "API-UPDATE-200")
    ex = ci.update(m.id, m.claim, t.seal(b"update B (a repetition)",
                                         m.key)[1], request_id=rid)
    t.expect_status(ex, 201, ["RLY-DUP-UPDATE-201", "RLY-DUP-UPDATE-NO-APPLY",
                              "RLY-DUP-UPDATE-STORE", "RLY-DUP-201",
                              "RLY-REQID-STORE"],
                    "a repeated update (its request id the claim's last)")
    t.echo(ex, what="the repeated update's answer")
    if ex.status == 201:
        t.members(ex, {"isPushNotificationSupported": bool},
                  ["RLY-UPDATE-PUSHFLAG"], "answer to the repeated update")
        t.check(ex.body == first.body, ["E-DUP-201-BODY"],
                "the original answer's body", repr(ex.text[:120]), ex)
    rd = t.client().read(m.id, rc)
    t.check(rd.status == 200 and t.opened(rd, m.key) == a,
            ["RLY-DUP-UPDATE-NO-APPLY", "RLY-DUP-UPDATE-201"],
            "payload A (the repetition not applied)",
            describe(rd) if rd.status != 200 else "the repetition's payload",
            rd)


@case("REPLAY-RELINQUISH-201", "A repeated relinquish is answered 201 and "
      "does not unbind the next recipient",
      ["RLY-DUP-RELINQUISH-201", "RLY-DUP-RELINQUISH-NO-APPLY",
       "RLY-DUP-RELINQUISH-STORE", "RLY-DUP-201", "RLY-REQID-ECHO",
       "E-DUP-201-BODY"],
      "201 twice; the second recipient stays bound")
def relinquish_201(t):
    m = t.mailbox()
    cr = t.client()
    rc = t.bind(m, cr)
    rid = t.request_id()
    first = cr.relinquish(m.id, rc, request_id=rid)
    t.setup(first, "first relinquish", "API-RELINQUISH-200")
    ex = cr.relinquish(m.id, rc, request_id=rid)
    t.expect_status(ex, 201, ["RLY-DUP-RELINQUISH-201",
                              "RLY-DUP-RELINQUISH-STORE", "RLY-DUP-201"],
                    "a repeated relinquish")
    t.echo(ex, what="the repeated relinquish's answer")
    if ex.status == 201:
        t.check(ex.body == first.body, ["E-DUP-201-BODY"],
                "the original answer's body", repr(ex.text[:120]), ex)
    c2 = t.client()
    rc2 = t.bind(m, c2)
    again = cr.relinquish(m.id, rc, request_id=rid)
    t.expect_status(again, 201, ["RLY-DUP-RELINQUISH-201",
                                 "RLY-DUP-RELINQUISH-NO-APPLY"],
                    "the repetition once another recipient is bound")
    rd = c2.read(m.id, rc2)
    t.check(rd.status == 200, ["RLY-DUP-RELINQUISH-NO-APPLY"],
            "200: the second recipient still bound", describe(rd), rd)


@case("REPLAY-DELETE", "A repeated delete changes nothing (201 with the "
      "original body, or 404)",
      ["RLY-DELETE-REPEAT-404", "E-DUP-DELETE", "RLY-DUP-201"],
      "201 (our decision) or 404 (the draft's)")
def delete_repeat(t):
    ci = t.client()
    m = t.mailbox(client=ci)
    rid = t.request_id()
    first = ci.delete(m.id, m.claim, request_id=rid)
    t.setup(first, "first delete", "API-DELETE-200")
    ex = ci.delete(m.id, m.claim, request_id=rid)
    t.answered(ex, ["RLY-DUP-201"], "an answer")
    t.expect_status(ex, 201, ["RLY-DUP-201", "RLY-DELETE-REPEAT-404"],
                    "a repeated delete", also=(404,))
    t.soft(ex.status == 201 and ex.body == first.body, ["E-DUP-DELETE"],
           "201 with the original body (our reading of §5.1)",
           describe(ex) + (" (which §6.3.3 allows)" if ex.status == 404
                           else ""), ex)
    rd = ci.read(m.id, m.claim)
    t.expect_status(rd, 404, ["RLY-DELETE-200"], "a read after the delete")


@case("REPLAY-AFTER-LATER", "A request repeated after later requests of the "
      "same claim is still recognised",
      ["E-DUP-SCOPE"],
      "201; the later update's payload stays (our decision: the draft "
      "asks only for the last request id)")
def after_later(t):
    ci = t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m)
    rid_x, rid_y = t.request_id(), t.request_id()
    a, b = b"update A", b"update B"
    ex = ci.update(m.id, m.claim, t.seal(a, m.key)[1], request_id=rid_x)
    t.setup(ex, "update", "API-UPDATE-200")
    ex = ci.update(m.id, m.claim, t.seal(b, m.key)[1], request_id=rid_y)
    t.setup(ex, "update", "API-UPDATE-200")
    # The draft asks relays to remember the last request id of a claim;
    # tigress-ref remembers all of them (E-DUP-SCOPE).
    ex = ci.update(m.id, m.claim, t.seal(a, m.key)[1], request_id=rid_x)
    rd = t.client().read(m.id, rc)
    reapplied = rd.status == 200 and t.opened(rd, m.key) == a
    t.check(ex.status == 201 and not reapplied, ["E-DUP-SCOPE"],
            "201 and payload B kept (the older update not applied again)",
            "%s, payload %s" % (describe(ex), "A again" if reapplied else
                                "B"), [ex, rd])
    # The same for a create repeated after an update.
    cc = t.client()
    rid_c = t.request_id()
    claim = t.claim()
    m2 = t.mailbox(client=cc, claim=claim, request_id=rid_c)
    cc.update(m2.id, claim, t.seal(b"later", m2.key)[1])
    key, pl = t.seal(b"repeat of the create", m2.key)
    ex = cc.create(claim, t.display(), pl, request_id=rid_c,
                   config={"expiration": t.expiration(), "accessRights": "RWD"})
    url = _url_of(ex)
    t.check(ex.status == 201 and (url is None or _mid(url) == m2.id),
            ["E-DUP-SCOPE"],
            "201 naming the first mailbox for a create repeated after an "
            "update", "%s %s" % (describe(ex), url or ""), ex)


@case("REPLAY-OTHER-CLAIM", "The same request id under another claim is a "
      "new request, never answered with another claim's body",
      ["RLY-DUP-UPDATE-PER-CLAIM", "RLY-DUP-CREATE-PER-CLAIM",
       "RLY-DUP-RELINQUISH-PER-CLAIM", "RLY-CONF-INTEGRITY",
       "Req-ConnectionIntegrity", "E-DUP-SCOPE"],
      "200 and the request applied, for create, update and relinquish")
def other_claim(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    rid = t.request_id()
    ex = ci.update(m.id, m.claim, t.seal(b"initiator's", m.key)[1],
                   request_id=rid)
    t.setup(ex, "update", "API-UPDATE-200")
    mine = b"recipient's, same request id"
    ex = cr.update(m.id, rc, t.seal(mine, m.key)[1], request_id=rid)
    t.check(ex.status == 200, ["RLY-DUP-UPDATE-PER-CLAIM"],
            "200 to the recipient's update reusing the initiator's request id",
            describe(ex), ex)
    rd = ci.read(m.id, m.claim)
    t.check(rd.status == 200 and t.opened(rd, m.key) == mine,
            ["RLY-DUP-UPDATE-PER-CLAIM"],
            "the recipient's payload applied", describe(rd) if rd.status != 200
            else "it was not applied", rd)
    # Create: another device reusing a request id gets its own mailbox,
    # and never the first device's urlLink.
    rid_c = t.request_id()
    m1 = t.mailbox(request_id=rid_c)
    key, pl = t.seal(b"second device's create")
    cx = t.client()
    ex = cx.create(t.claim(), t.display(), pl, request_id=rid_c,
                   config={"expiration": t.expiration(), "accessRights": "RWD"})
    url = _url_of(ex)
    t.check(_mid(url) != m1.id, ["RLY-CONF-INTEGRITY",
                                 "Req-ConnectionIntegrity", "E-DUP-SCOPE"],
            "never another device's urlLink",
            "the first device's mailbox %s" % m1.id, ex)
    t.check(ex.status == 200, ["RLY-DUP-CREATE-PER-CLAIM"],
            "200 (a new mailbox) to a create reusing another claim's request "
            "id", describe(ex), ex)
    # Relinquish: two recipients in turn using one request id.
    m3 = t.mailbox()
    c1, c2 = t.client(), t.client()
    r1 = t.bind(m3, c1)
    rid_r = t.request_id()
    ex = c1.relinquish(m3.id, r1, request_id=rid_r)
    t.setup(ex, "relinquish", "API-RELINQUISH-200")
    r2 = t.bind(m3, c2)
    ex = c2.relinquish(m3.id, r2, request_id=rid_r)
    t.check(ex.status == 200, ["RLY-DUP-RELINQUISH-PER-CLAIM"],
            "200 to the second recipient's relinquish reusing the first's "
            "request id", describe(ex), ex)
    r3 = t.claim()
    rd = t.client().read(m3.id, r3)
    t.check(rd.status == 200, ["RLY-DUP-RELINQUISH-PER-CLAIM"],
            "200 to a third device's read (the second relinquish applied)",
            describe(rd), rd)


def _reused(t, ex, applied: bool, what: str, op_reqs) -> None:
    """Judge an operation that reused a request id of another operation
    or mailbox: applied (2xx) or refused (4xx: 409 is our decision) both
    conform; a 201 that did nothing is a FAIL (RLY-DUP-SAME-REQUEST); a
    200 that did nothing breaks the operation (`op_reqs`)."""
    t.answered(ex, ["RLY-DUP-SAME-REQUEST"], "an answer to %s" % what)
    ok = applied or ex.status >= 400
    if ex.status == 201:
        t.check(ok, ["RLY-DUP-SAME-REQUEST"],
                "%s applied, or refused with a 4xx (409, E-DUP-SCOPE)" % what,
                "201, and it was not applied", ex)
    else:
        t.check(ok, op_reqs, "%s applied, or refused with a 4xx" % what,
                "%s, and it was not applied" % describe(ex), ex)
    t.soft(ex.status == 409, ["E-DUP-SCOPE"],
           "409 request_id_conflict for %s (our decision)" % what,
           describe(ex) + (", applied" if applied else ""), ex)


@case("REPLAY-CONFLICT", "A request id reused by one claim on another "
      "mailbox is applied or refused, never answered 201 without effect",
      ["E-DUP-SCOPE", "RLY-DUP-SAME-REQUEST", "RLY-UPDATE-OVERWRITES"],
      "409 (our decision); 200 and applied conforms; 201 undone FAILs")
def conflict(t):
    ci = t.client()
    m = t.mailbox(client=ci)
    rid = t.request_id()
    ex = ci.update(m.id, m.claim, t.seal(b"one", m.key)[1], request_id=rid)
    t.setup(ex, "update", "API-UPDATE-200")
    m2 = t.mailbox(client=ci, claim=m.claim)
    two = b"two"
    ex = ci.update(m2.id, m.claim, t.seal(two, m2.key)[1], request_id=rid)
    rd = ci.read(m2.id, m.claim)
    _reused(t, ex, t.opened(rd, m2.key) == two,
            "an update of another mailbox with the request id of the "
            "previous one", ["RLY-UPDATE-OVERWRITES"])


@case("REPLAY-ACROSS-OPS", "A request id reused by one claim for another "
      "operation (a relinquish, a delete after an update) is applied or "
      "refused, never answered 201 without effect",
      ["RLY-DUP-SAME-REQUEST", "RLY-RELINQUISH-REBIND", "RLY-DELETE-200",
       "E-DUP-SCOPE"],
      "409 (our decision) or the operation applied; never 201 undone")
def across_ops(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    rid = t.request_id()
    ex = cr.update(m.id, rc, t.seal(b"the recipient's", m.key)[1],
                   request_id=rid)
    t.setup(ex, "update", "API-UPDATE-200")
    rel = cr.relinquish(m.id, rc, request_id=rid)
    other = t.client().read(m.id, t.claim())
    _reused(t, rel, other.status == 200,
            "a relinquish (PATCH) with the request id of the recipient's "
            "update (PUT)", ["RLY-RELINQUISH-REBIND"])
    t.attach(other)
    m2 = t.mailbox(client=ci)
    rid2 = t.request_id()
    ex = ci.update(m2.id, m2.claim, t.seal(b"the initiator's", m2.key)[1],
                   request_id=rid2)
    t.setup(ex, "update", "API-UPDATE-200")
    dl = ci.delete(m2.id, m2.claim, request_id=rid2)
    gone = ci.read_display(m2.id)
    _reused(t, dl, gone.status == 404,
            "a delete (DELETE) with the request id of the initiator's update "
            "(PUT)", ["RLY-DELETE-200"])
    t.attach(gone)


def _raw_json(t, method, path, claim, rid, obj):
    body = json.dumps(obj).encode()
    names = PROFILES[t.profile]
    return rawhttp.build_request(method, t.run.path(path), t.run.netloc, [
        (names["request_id"], rid), (names["claim"], claim),
        ("Content-Type", "application/json")], body)


@case("REPLAY-DROPPED-CREATE", "A create whose answer was lost (connection "
      "dropped) and is sent again gets 201 with the same mailbox",
      ["RLY-DUP-CREATE-201", "RLY-DUP-CREATE-NO-NEW", "E-DUP-201-BODY"],
      "201 naming a mailbox that holds the payload", hostile=True)
def dropped_create(t):
    t.needs_creates()
    claim, rid = t.claim(), t.request_id()
    key, pl = t.seal(b"sent over a dropped connection")
    body = {"payload": pl, "displayInformation": t.display(),
            "mailboxConfiguration": {"expiration": t.expiration(),
                                     "accessRights": "RWD"}}
    c = t.client()
    data = _raw_json(t, "POST", "/v1/m", claim, rid, body)
    rx = rawhttp.send_and_drop(t.run.base_url, data, c.ssl_context(),
                               "create, connection dropped before the answer")
    t.attach(rx)
    time.sleep(0.2)
    ex = c.create(claim, None, None, body=json.dumps(body).encode(),
                  request_id=rid)
    t.answered(ex, ["RLY-DUP-CREATE-201"], "an answer to the retry")
    if ex.status == 200:
        again = c.create(claim, None, None, body=json.dumps(body).encode(),
                         request_id=rid)
        if again.status == 201:
            t.note("the relay seems not to have processed the request whose "
                   "connection dropped; the retry created the mailbox")
            ex = again
        else:
            t.check(False, ["RLY-DUP-CREATE-201"],
                    "201 to the second retry", describe(again), again)
            return
    t.expect_status(ex, 201, ["RLY-DUP-CREATE-201"],
                    "the retry of a create whose answer was lost")
    url = _url_of(ex)
    t.check(url is not None, ["E-DUP-201-BODY"],
            "the urlLink in the answer to the retry (the creator has no "
            "other way to learn it)", describe(ex), ex)
    if url is None:
        return
    rd = t.client().read(_mid(url), t.claim())
    t.check(rd.status == 200 and t.opened(rd, key) ==
            b"sent over a dropped connection", ["RLY-DUP-CREATE-NO-NEW"],
            "the mailbox named in the retry's answer holds the payload",
            describe(rd), rd)


@case("REPLAY-DROPPED-UPDATE", "An update whose answer was lost, sent again "
      "after the other party wrote, is not applied twice",
      ["RLY-DUP-UPDATE-201", "RLY-DUP-UPDATE-NO-APPLY"],
      "201; the other party's later payload stays", hostile=True)
def dropped_update(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    rid = t.request_id()
    a = b"update A, answer lost"
    pl = t.seal(a, m.key)[1]
    data = _raw_json(t, "PUT", "/v1/m/%s" % m.id, m.claim, rid, {"payload": pl})
    rx = rawhttp.send_and_drop(t.run.base_url, data, ci.ssl_context(),
                               "update, connection dropped before the answer")
    t.attach(rx)
    time.sleep(0.2)
    rd = cr.read(m.id, rc)
    applied = rd.status == 200 and t.opened(rd, m.key) == a
    if not applied:
        t.note("the update sent over the dropped connection was not applied")
    c = b"the recipient's answer"
    ex = cr.update(m.id, rc, t.seal(c, m.key)[1])
    t.setup(ex, "update", "API-UPDATE-200")
    retry = ci.update(m.id, m.claim, None,
                      body=json.dumps({"payload": pl}).encode(),
                      request_id=rid)
    final = ci.read(m.id, m.claim)
    if applied:
        t.expect_status(retry, 201, ["RLY-DUP-UPDATE-201"],
                        "the retry of an update the relay had applied")
        t.check(final.status == 200 and t.opened(final, m.key) == c,
                ["RLY-DUP-UPDATE-NO-APPLY"],
                "the recipient's later payload (the retry not applied)",
                describe(final) if final.status != 200 else
                "update A applied again over it", final)
    else:
        t.expect_status(retry, 200, ["RLY-UPDATE-200"],
                        "the retry of an update the relay never applied")
