"""Notifications (spec/extensions.md X-NOTIFY, errata E-READ-BODY,
E-RELINQUISH-CONTENT): with --notify-spool FILE an update by one party
appends the other party's token to FILE; isPushNotificationSupported
says whether a notifier is configured."""

import json
import time

import pytest

from relay_helpers import assert_ok, new_claim, new_mailbox, read_plain, seal


@pytest.fixture(scope="module")
def spool_relay(module_relay_factory, tmp_path_factory):
    spool = tmp_path_factory.mktemp("spool") / "notify.jsonl"
    r = module_relay_factory("--notify-spool", str(spool))
    r.spool = spool
    return r


def _lines(path):
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _wait_for(path, pred, limit=10.0):
    deadline = time.monotonic() + limit
    while True:
        ls = _lines(path)
        hits = [x for x in ls if pred(x)]
        if hits or time.monotonic() > deadline:
            return hits, ls
        time.sleep(0.05)


def _token(tag):
    return {"type": "com.example.push",
            "tokenData": "%s-%s" % (tag, new_claim())}


def _for(tok):
    return lambda x: x.get("tokenData") == tok["tokenData"]


def test_push_supported_with_spool(spool_relay):
    c = spool_relay.client()
    s = new_mailbox(c, rights="RWD")
    assert s.ex.json["isPushNotificationSupported"] is True
    j = assert_ok(c.update(s.url, s.claim, seal(s.key, b"x")))
    assert j["isPushNotificationSupported"] is True
    assert c.well_known().json["isPushNotificationSupported"] is True


def test_push_not_supported_without_spool(client):
    s = new_mailbox(client, rights="RWD")
    assert s.ex.json["isPushNotificationSupported"] is False
    j = assert_ok(client.update(s.url, s.claim, seal(s.key, b"x")))
    assert j["isPushNotificationSupported"] is False


def test_updates_notify_the_other_party(spool_relay):
    c = spool_relay.client()
    ti, tr = _token("initiator"), _token("recipient")
    s = new_mailbox(c, rights="RWD", notify=ti)
    r = new_claim()
    assert_ok(c.read(s.url, r, notify=tr))
    # the recipient updates: the initiator's token is notified
    assert_ok(c.update(s.url, r, seal(s.key, b"from r")))
    hits, all_ = _wait_for(spool_relay.spool, _for(ti))
    assert len(hits) == 1, all_
    assert hits[0] == {"type": ti["type"], "tokenData": ti["tokenData"],
                       "event": "update"}
    assert not [x for x in all_ if _for(tr)(x)], "updater was notified"
    # the initiator updates: the recipient's token is notified
    assert_ok(c.update(s.url, s.claim, seal(s.key, b"from i")))
    hits, all_ = _wait_for(spool_relay.spool, _for(tr))
    assert len(hits) == 1, all_
    assert hits[0] == {"type": tr["type"], "tokenData": tr["tokenData"],
                       "event": "update"}
    assert len([x for x in all_ if _for(ti)(x)]) == 1


def test_spool_lines_carry_nothing_else(spool_relay):
    c = spool_relay.client()
    ti = _token("only")
    s = new_mailbox(c, rights="RWD", notify=ti)
    r = new_claim()
    read_plain(c, s.url, r, s.key)
    assert_ok(c.update(s.url, r, seal(s.key, b"x")))
    hits, _ = _wait_for(spool_relay.spool, _for(ti))
    assert hits
    text = spool_relay.spool.read_text("utf-8")
    for word in (s.id, s.claim, r):
        assert word not in text, "spool names %s" % word
    for x in _lines(spool_relay.spool):
        assert set(x) == {"type", "tokenData", "event"}, x


def test_token_given_with_update(spool_relay):
    """A party may give its token with an update; it is then notified of
    the other party's updates."""
    c = spool_relay.client()
    s = new_mailbox(c, rights="RWD")
    r = new_claim()
    read_plain(c, s.url, r, s.key)
    tr = _token("r-update")
    assert_ok(c.update(s.url, r, seal(s.key, b"1"), notify=tr))
    assert_ok(c.update(s.url, s.claim, seal(s.key, b"2")))
    hits, all_ = _wait_for(spool_relay.spool, _for(tr))
    assert len(hits) == 1, all_


def test_no_token_no_notification(spool_relay):
    c = spool_relay.client()
    ti = _token("marker")
    s = new_mailbox(c, rights="RWD", notify=ti)
    r = new_claim()
    read_plain(c, s.url, r, s.key)          # no recipient token
    before = len(_lines(spool_relay.spool))
    assert_ok(c.update(s.url, s.claim, seal(s.key, b"nobody to tell")))
    assert_ok(c.update(s.url, r, seal(s.key, b"tell initiator")))
    hits, all_ = _wait_for(spool_relay.spool, _for(ti))
    assert len(hits) == 1
    new = all_[before:]
    assert [x["tokenData"] for x in new] == [ti["tokenData"]], new


def test_relinquish_drops_recipient_token(spool_relay):
    c = spool_relay.client()
    ti, ta = _token("i2"), _token("old-recipient")
    s = new_mailbox(c, rights="RWD", notify=ti)
    a = new_claim()
    assert_ok(c.read(s.url, a, notify=ta))
    assert_ok(c.relinquish(s.url, a))
    b = new_claim()
    read_plain(c, s.url, b, s.key)
    assert_ok(c.update(s.url, s.claim, seal(s.key, b"for b")))
    assert_ok(c.update(s.url, b, seal(s.key, b"b says")))
    hits, all_ = _wait_for(spool_relay.spool, _for(ti))
    assert hits
    assert not [x for x in all_ if _for(ta)(x)], \
        "relinquished recipient still notified"


def test_replayed_update_does_not_notify_again(spool_relay):
    c = spool_relay.client()
    ti = _token("replay")
    s = new_mailbox(c, rights="RWD", notify=ti)
    r = new_claim()
    read_plain(c, s.url, r, s.key)
    rid = new_claim()
    assert_ok(c.update(s.url, r, seal(s.key, b"x"), request_id=rid))
    assert c.update(s.url, r, seal(s.key, b"x"), request_id=rid).status == 201
    # a later, real update gives the second line
    assert_ok(c.update(s.url, r, seal(s.key, b"y")))
    deadline = time.monotonic() + 10
    while len([x for x in _lines(spool_relay.spool) if _for(ti)(x)]) < 2 \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert len([x for x in _lines(spool_relay.spool) if _for(ti)(x)]) == 2
