"""Long-poll (spec/extensions.md X-LONG-POLL): ETag on every read answer,
If-None-Match + Prefer: wait=S holds the read until the content changes
(200), the mailbox goes (404), or the time runs out (304)."""

import re
import threading
import time

from relay_helpers import (assert_error, assert_ok, new_claim, new_mailbox,
                           open_payload, read_plain, seal)

ETAG_RE = re.compile(r'^"[0-9]+"$')


def _etag(ex):
    e = ex.header("ETag")
    assert e and ETAG_RE.match(e), "ETag %r" % e
    return e


def _in_thread(fn):
    out = {}

    def run():
        out["ex"] = fn()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_etag_counts_content_changes(client):
    s = new_mailbox(client, rights="RWD")
    e1 = _etag(client.read(s.url, s.claim))
    assert _etag(client.read(s.url, s.claim)) == e1          # reads: same
    assert client.read_display(s.url).status == 200
    assert _etag(client.read(s.url, s.claim)) == e1
    r = new_claim()
    assert _etag(client.read(s.url, r)) == e1                # binding: same
    assert_ok(client.update(s.url, r, seal(s.key, b"u")))
    e2 = _etag(client.read(s.url, s.claim))
    assert e2 != e1
    assert_ok(client.relinquish(s.url, r))                   # relinquish
    e3 = _etag(client.read(s.url, s.claim))
    assert e3 not in (e1, e2)


def test_longpoll_returns_new_content_after_update(relay, client):
    s = new_mailbox(client, rights="RWD")
    r = new_claim()
    ex = client.read(s.url, r)
    etag = _etag(ex)
    rc = relay.client()
    t, out = _in_thread(lambda: rc.read(s.url, r, if_none_match=etag,
                                        wait=10))
    time.sleep(0.3)       # let the read be held (not required for validity)
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"news")))
    t.join(30)
    got = out["ex"]
    j = assert_ok(got)
    assert open_payload(j["payload"], s.key) == b"news"
    assert _etag(got) != etag


def test_longpoll_initiator_waits_for_recipient(relay, client):
    s = new_mailbox(client, rights="RWD")
    etag = _etag(client.read(s.url, s.claim))
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    ic = relay.client()
    t, out = _in_thread(lambda: ic.read(s.url, s.claim, if_none_match=etag,
                                        wait=10))
    time.sleep(0.3)
    assert_ok(client.update(s.url, r, seal(s.key, b"reply")))
    t.join(30)
    j = assert_ok(out["ex"])
    assert open_payload(j["payload"], s.key) == b"reply"


def test_longpoll_304_when_nothing_changes(client):
    s = new_mailbox(client)
    etag = _etag(client.read(s.url, s.claim))
    ex = client.read(s.url, s.claim, if_none_match=etag, wait=1)
    assert ex.status == 304, ex
    assert ex.body == b""
    pa = ex.header("Preference-Applied")
    assert pa and pa.replace(" ", "").startswith("wait="), ex.headers


def test_longpoll_stale_etag_answers_at_once(client):
    s = new_mailbox(client, rights="RWD")
    etag = _etag(client.read(s.url, s.claim))
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"v2")))
    ex = client.read(s.url, s.claim, if_none_match=etag, wait=30)
    j = assert_ok(ex)
    assert open_payload(j["payload"], s.key) == b"v2"


def test_if_none_match_without_prefer_ignored(client):
    s = new_mailbox(client)
    etag = _etag(client.read(s.url, s.claim))
    ex = client.read(s.url, s.claim, if_none_match=etag)
    assert ex.status == 200, ex
    assert _etag(ex) == etag


def test_longpoll_binds_before_waiting(relay, client):
    s = new_mailbox(client)
    etag = _etag(client.read(s.url, s.claim))
    b = new_claim()
    ex = client.read(s.url, b, if_none_match=etag, wait=1)
    assert ex.status == 304, ex
    assert_error(client.read(s.url, new_claim()), 401, "unauthorized")
    assert read_plain(client, s.url, b, s.key) == s.plaintext


def test_longpoll_404_on_delete(relay, client):
    s = new_mailbox(client)
    etag = _etag(client.read(s.url, s.claim))
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    rc = relay.client()
    t, out = _in_thread(lambda: rc.read(s.url, r, if_none_match=etag,
                                        wait=10))
    time.sleep(0.3)
    assert_ok(client.delete(s.url, s.claim))
    t.join(30)
    assert_error(out["ex"], 404, "not_found")


def test_longpoll_refused_claim_is_401_at_once(client):
    s = new_mailbox(client)
    etag = _etag(client.read(s.url, s.claim))
    read_plain(client, s.url, new_claim(), s.key)
    ex = client.read(s.url, new_claim(), if_none_match=etag, wait=5)
    assert_error(ex, 401, "unauthorized")


def test_many_held_reads_do_not_block_others(relay, client):
    """Held reads do not occupy the relay: others are served meanwhile,
    and each held read gets the update."""
    s = new_mailbox(client, rights="RWD")
    r = new_claim()
    etag = _etag(client.read(s.url, r))
    holders = []
    for _ in range(12):
        c = relay.client()
        holders.append(_in_thread(lambda c=c: c.read(
            s.url, r, if_none_match=etag, wait=15)))
    time.sleep(0.5)
    for _ in range(5):
        t = new_mailbox(client)
        assert_ok(client.read(t.url, t.claim))
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"all")))
    for t, out in holders:
        t.join(30)
        j = assert_ok(out["ex"])
        assert open_payload(j["payload"], s.key) == b"all"
