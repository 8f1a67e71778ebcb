"""Expiry (http-00 §6.1.5, §8.1.2; errata E-EXPIRATION, E-EXPIRED-404):
a mailbox answers 404 on every operation from its expiration second on,
and the sweeper (--sweep-interval 1s) removes it for good."""

import time

import pytest

from relay_helpers import (DISPLAY, assert_error, assert_ok, new_claim,
                           new_mailbox, read_plain, rfc3339, seal)


@pytest.fixture(scope="module")
def srelay(module_relay_factory):
    return module_relay_factory("--sweep-interval", "1s")


def _sleep_until(epoch):
    """Sleep until the wall clock (CLOCK_REALTIME, which the relay reads
    too) has reached `epoch`.  No margin: a relay reading the coarse clock
    (time(2) on Linux can lag the second boundary by a tick) answers 200
    just after expiry, which E-EXPIRED-404 forbids."""
    while time.time() < epoch:
        time.sleep(min(0.1, max(0.01, epoch - time.time())))


def _short_mailbox(c, seconds=2, rights="RWD"):
    exp = int(time.time()) + seconds
    s = new_mailbox(c, rights=rights, expiration=rfc3339(exp))
    return s, exp


def test_expired_mailbox_is_404_everywhere(srelay):
    c = srelay.client()
    s, exp = _short_mailbox(c, 3)
    r = new_claim()
    # alive: display, reads by both parties, update by the initiator
    assert c.read_display(s.url).status == 200
    assert read_plain(c, s.url, r, s.key) == s.plaintext
    j = assert_ok(c.read(s.url, s.claim))
    assert j["expiration"] == rfc3339(exp)
    assert time.time() < exp, "the checks above took too long to be valid"
    _sleep_until(exp)
    assert_error(c.read_display(s.url), 404, "not_found")
    h = c.read_display(s.url, method="HEAD")
    assert h.status == 404
    assert_error(c.read(s.url, s.claim), 404, "not_found")
    assert_error(c.read(s.url, r), 404, "not_found")
    assert_error(c.read(s.url, new_claim()), 404, "not_found")
    assert_error(c.update(s.url, s.claim, seal(s.key, b"x")), 404,
                 "not_found")
    assert_error(c.update(s.url, r, seal(s.key, b"x")), 404, "not_found")
    assert_error(c.relinquish(s.url, r), 404, "not_found")
    assert_error(c.delete(s.url, s.claim), 404, "not_found")
    assert_error(c.delete(s.url, r), 404, "not_found")


def test_expiration_one_second_ahead_is_accepted(srelay):
    """The smallest valid expiration (the next second) is accepted: only
    one not after the current second is refused."""
    c = srelay.client()
    for _ in range(5):
        exp = int(time.time()) + 1
        ex = c.create(new_claim(), dict(DISPLAY), seal(b"k" * 16, b"x"),
                      config={"expiration": rfc3339(exp)})
        if time.time() < exp:
            # the relay's current second was before exp: it must accept
            assert_ok(ex)
            return
        # the second turned during the request: try again
    pytest.fail("could not make a request within one second")


def test_sweeper_removes_and_replay_does_not_resurrect(srelay):
    c = srelay.client()
    s, exp = _short_mailbox(c, 2)
    rid_upd = "upd-" + s.request_id
    upd = c.update(s.url, s.claim, seal(s.key, b"v2"), request_id=rid_upd)
    assert_ok(upd)
    _sleep_until(exp)
    assert_error(c.read(s.url, s.claim), 404, "not_found")
    # give the sweeper (1 s interval) a few rounds
    time.sleep(2.5)
    assert_error(c.read(s.url, s.claim), 404, "not_found")
    again = c.create(s.claim, dict(DISPLAY), seal(s.key, b"again"),
                     config={"expiration": rfc3339(int(time.time()) + 600)},
                     request_id=s.request_id)
    # the request log may be gone with the mailbox: either a 201 replay of
    # the original body or a brand-new mailbox; never the old one back
    assert again.status in (200, 201), again
    if again.status == 200:
        assert again.json["urlLink"] != s.url
    assert_error(c.read(s.url, s.claim), 404, "not_found")
    assert_error(c.read_display(s.url), 404, "not_found")
    u = c.update(s.url, s.claim, seal(s.key, b"v3"), request_id=rid_upd)
    assert u.status in (201, 404), u
    assert_error(c.read(s.url, s.claim), 404, "not_found")


def test_sweeper_frees_capacity(relay_factory):
    """Expired mailboxes do not count against --max-mailboxes."""
    relay = relay_factory("--sweep-interval", "1s", "--max-mailboxes", "1")
    c = relay.client()
    s, exp = _short_mailbox(c, 2)
    assert_error(c.create(new_claim(), dict(DISPLAY), seal(s.key, b"x")),
                 503, "capacity")
    _sleep_until(exp)
    time.sleep(2.5)
    assert_ok(c.create(new_claim(), dict(DISPLAY), seal(s.key, b"x")))


def test_longpoll_answers_404_on_expiry(srelay):
    """X-LONG-POLL: a held read is answered 404 when the mailbox expires."""
    c = srelay.client()
    s, exp = _short_mailbox(c, 2)
    first = assert_ok(c.read(s.url, s.claim))
    etag = c.history[-1].header("ETag")
    assert etag
    ex = c.read(s.url, s.claim, if_none_match=etag, wait=6)
    assert_error(ex, 404, "not_found")
    assert first


def _db_holds(path, needles):
    """Whether any cell of any table of the SQLite store (the documented
    default `sqlite:DATA_DIR/relay.db`) contains one of `needles`."""
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in con.execute('SELECT * FROM "%s"' % t.replace('"', '""')):
                for cell in row:
                    if isinstance(cell, bytes):
                        cell = cell.decode("utf-8", "replace")
                    if isinstance(cell, str) and any(n in cell
                                                     for n in needles):
                        return True
        return False
    finally:
        con.close()


def test_sweeper_deletes_expired_records(srelay):
    """http-00 §8.1.2: expired mailboxes are deleted, not only hidden.
    The store is scanned for the mailbox's display title (a unique marker
    that only the mailbox record holds; the request log may keep the
    identifier until it is forgotten): present before expiry, gone after a
    few sweeps."""
    db = srelay.data_dir / "relay.db"
    assert db.exists(), "no store at the documented default path %s" % db
    c = srelay.client()
    marker = "SWEEP-MARKER-" + new_claim()
    exp = int(time.time()) + 2
    new_mailbox(c, display={"title": marker, "description": "d",
                                "imageURL": ""},
                    expiration=rfc3339(exp))
    assert _db_holds(db, [marker]), "marker not found: the scan is blind"
    _sleep_until(exp)
    deadline = time.monotonic() + 15
    while _db_holds(db, [marker]) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not _db_holds(db, [marker]), \
        "expired mailbox still in the store after several sweep intervals"
