"""Duplicate requests (http-00 §5.1; errata E-DUP-201-BODY, E-DUP-SCOPE,
E-DUP-DELETE): a replay with the same claim and Mailbox-Request-ID is
answered 201 with the byte-identical body of the original 200, and has no
second effect."""

import uuid

from relay_helpers import (DISPLAY, assert_echo, assert_error, assert_ok,
                           cfg, new_claim, new_key, new_mailbox,
                           open_payload, read_plain, seal)


def _replay_ok(first, again):
    assert first.status == 200, first
    assert again.status == 201, again
    assert again.body == first.body, (first.body, again.body)
    assert again.media_type == "application/json"
    assert_echo(again)


# ---- create --------------------------------------------------------------------

def test_create_replay_same_body(client):
    claim, rid, key = new_claim(), str(uuid.uuid4()), new_key()
    args = (claim, dict(DISPLAY), seal(key, b"one"))
    first = client.create(*args, config=cfg("RWD"), request_id=rid)
    again = client.create(*args, config=cfg("RWD"), request_id=rid)
    _replay_ok(first, again)


def test_create_replay_other_body_ignored(client):
    """The duplicate's body is ignored: no new mailbox, the original
    payload and display information stay."""
    claim, rid, key = new_claim(), str(uuid.uuid4()), new_key()
    first = client.create(claim, dict(DISPLAY), seal(key, b"original"),
                          config=cfg("RWD"), request_id=rid)
    again = client.create(claim, {"title": "Other", "description": "",
                                  "imageURL": ""},
                          seal(key, b"replacement"), config=cfg("R"),
                          request_id=rid)
    _replay_ok(first, again)
    url = first.json["urlLink"]
    j = assert_ok(client.read(url, claim))
    assert open_payload(j["payload"], key) == b"original"
    assert j["displayInformation"] == DISPLAY
    # the rights are still RWD (the replay's "R" was not applied)
    assert_ok(client.update(url, claim, seal(key, b"w")))


def test_create_replay_invalid_body_still_201(client):
    """'ignoring the duplicate request body content' (§5.1)."""
    claim, rid = new_claim(), str(uuid.uuid4())
    first = client.create(claim, dict(DISPLAY), seal(new_key(), b"x"),
                          request_id=rid)
    again = client.create(claim, None, None, body=b"{}", request_id=rid)
    _replay_ok(first, again)


def test_create_replay_makes_no_second_mailbox(relay_factory):
    """Against --max-mailboxes 2: any number of replays, then one more
    create fits, and the next is refused."""
    relay = relay_factory("--max-mailboxes", "2")
    client = relay.client()
    claim, rid = new_claim(), str(uuid.uuid4())
    first = client.create(claim, dict(DISPLAY), seal(new_key(), b"x"),
                          request_id=rid)
    assert_ok(first)
    for _ in range(10):
        _replay_ok(first, client.create(claim, dict(DISPLAY),
                                        seal(new_key(), b"y"),
                                        request_id=rid))
    assert_ok(client.create(new_claim(), dict(DISPLAY),
                            seal(new_key(), b"z")))
    assert_error(client.create(new_claim(), dict(DISPLAY),
                               seal(new_key(), b"z")), 503, "capacity")
    # a replay of an existing create is still answered at capacity
    _replay_ok(first, client.create(claim, dict(DISPLAY),
                                    seal(new_key(), b"y"), request_id=rid))


def test_create_replay_after_later_operations(client):
    s = new_mailbox(client, rights="RWD")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_ok(client.update(s.url, r, seal(s.key, b"r")))
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"i")))
    again = client.create(s.claim, dict(DISPLAY), seal(s.key, b"replay"),
                          request_id=s.request_id)
    _replay_ok(s.ex, again)
    assert read_plain(client, s.url, r, s.key) == b"i"


def test_create_replay_after_delete(client):
    """Requests are remembered until the mailbox's expiration, so a
    replayed create of a deleted mailbox is 201 and does not bring it
    back."""
    s = new_mailbox(client)
    assert_ok(client.delete(s.url, s.claim))
    again = client.create(s.claim, dict(DISPLAY), seal(s.key, b"x"),
                          request_id=s.request_id)
    _replay_ok(s.ex, again)
    assert_error(client.read(s.url, s.claim), 404, "not_found")


def test_create_same_id_other_claim_is_new(client):
    rid = str(uuid.uuid4())
    a = client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"a"),
                      request_id=rid)
    b = client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"b"),
                      request_id=rid)
    assert_ok(a)
    assert_ok(b)
    assert a.json["urlLink"] != b.json["urlLink"]


def test_create_failed_request_not_remembered(client):
    claim, rid = new_claim(), str(uuid.uuid4())
    bad = client.create(claim, dict(DISPLAY), None, request_id=rid)
    assert_error(bad, 400, "field_missing")
    good = client.create(claim, dict(DISPLAY), seal(new_key(), b"x"),
                         request_id=rid)
    assert good.status == 200, good


# ---- update --------------------------------------------------------------------

def test_update_replay_not_applied_again(client):
    s = new_mailbox(client, rights="RWD")
    rid1 = str(uuid.uuid4())
    first = client.update(s.url, s.claim, seal(s.key, b"P1"), request_id=rid1)
    assert_ok(first)
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"P2")))
    again = client.update(s.url, s.claim, seal(s.key, b"P1 again"),
                          request_id=rid1)
    _replay_ok(first, again)
    assert read_plain(client, s.url, s.claim, s.key) == b"P2"


def test_update_replay_by_recipient(client):
    s = new_mailbox(client, rights="RW")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    rid = str(uuid.uuid4())
    first = client.update(s.url, r, seal(s.key, b"R1"), request_id=rid)
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"I2")))
    _replay_ok(first, client.update(s.url, r, seal(s.key, b"R1"),
                                    request_id=rid))
    assert read_plain(client, s.url, r, s.key) == b"I2"


def test_update_same_id_both_parties(client):
    """The same request id under another claim is a new request."""
    s = new_mailbox(client, rights="RWD")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    rid = str(uuid.uuid4())
    assert client.update(s.url, s.claim, seal(s.key, b"I"),
                         request_id=rid).status == 200
    ex = client.update(s.url, r, seal(s.key, b"R"), request_id=rid)
    assert ex.status == 200, ex
    assert read_plain(client, s.url, s.claim, s.key) == b"R"


def test_update_failed_request_not_remembered(client):
    """A 401 is not remembered: the same claim and id succeed later on a
    mailbox where the update is allowed."""
    claim = new_claim()
    rd = new_mailbox(client, rights="RD", claim=claim)
    rwd = new_mailbox(client, rights="RWD", claim=claim)
    rid = str(uuid.uuid4())
    assert_error(client.update(rd.url, claim, seal(rd.key, b"x"),
                               request_id=rid), 401, "unauthorized")
    ex = client.update(rwd.url, claim, seal(rwd.key, b"y"), request_id=rid)
    assert ex.status == 200, ex


def test_update_replay_after_delete(client):
    s = new_mailbox(client, rights="RWD")
    rid = str(uuid.uuid4())
    first = client.update(s.url, s.claim, seal(s.key, b"x"), request_id=rid)
    assert_ok(first)
    assert_ok(client.delete(s.url, s.claim))
    _replay_ok(first, client.update(s.url, s.claim, seal(s.key, b"x"),
                                    request_id=rid))
    assert_error(client.read(s.url, s.claim), 404, "not_found")


# ---- delete --------------------------------------------------------------------

def test_delete_replay(client):
    s = new_mailbox(client)
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    rid = str(uuid.uuid4())
    first = client.delete(s.url, r, request_id=rid)
    assert_ok(first)
    for _ in range(3):
        _replay_ok(first, client.delete(s.url, r, request_id=rid))
    assert_error(client.read(s.url, s.claim), 404, "not_found")
    # a new delete (new id) of the deleted mailbox is 404
    assert_error(client.delete(s.url, r), 404, "not_found")


# ---- relinquish -------------------------------------------------------------------

def test_relinquish_replay_does_not_unbind_next_recipient(client):
    s = new_mailbox(client)
    a = new_claim()
    read_plain(client, s.url, a, s.key)
    rid = str(uuid.uuid4())
    first = client.relinquish(s.url, a, request_id=rid)
    assert_ok(first)
    b = new_claim()
    read_plain(client, s.url, b, s.key)
    _replay_ok(first, client.relinquish(s.url, a, request_id=rid))
    # B is still the recipient: A and a third claim are refused
    assert read_plain(client, s.url, b, s.key) == s.plaintext
    assert_error(client.read(s.url, a), 401, "unauthorized")
    assert_error(client.read(s.url, new_claim()), 401, "unauthorized")


# ---- conflicts (409) ---------------------------------------------------------------

def test_conflict_create_id_reused_for_update(client):
    s = new_mailbox(client, rights="RWD")
    ex = client.update(s.url, s.claim, seal(s.key, b"x"),
                       request_id=s.request_id)
    assert_error(ex, 409, "request_id_conflict")
    assert read_plain(client, s.url, s.claim, s.key) == s.plaintext


def test_conflict_create_id_reused_for_delete(client):
    s = new_mailbox(client)
    ex = client.delete(s.url, s.claim, request_id=s.request_id)
    assert_error(ex, 409, "request_id_conflict")
    assert_ok(client.read(s.url, s.claim))


def test_conflict_update_id_on_other_mailbox(client):
    claim = new_claim()
    m1 = new_mailbox(client, rights="RWD", claim=claim)
    m2 = new_mailbox(client, rights="RWD", claim=claim)
    rid = str(uuid.uuid4())
    assert_ok(client.update(m1.url, claim, seal(m1.key, b"1"),
                            request_id=rid))
    assert_error(client.update(m2.url, claim, seal(m2.key, b"2"),
                               request_id=rid), 409, "request_id_conflict")
    assert read_plain(client, m2.url, claim, m2.key) == m2.plaintext


def test_conflict_relinquish_id_reused_for_delete(client):
    s = new_mailbox(client)
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    rid = str(uuid.uuid4())
    assert_ok(client.relinquish(s.url, r, request_id=rid))
    read_plain(client, s.url, r, s.key)      # bind again
    assert_error(client.delete(s.url, r, request_id=rid), 409,
                 "request_id_conflict")
    assert_ok(client.read(s.url, r))


def test_conflict_create_id_reused_for_create_other_claim_fine(client):
    """Only the same claim conflicts."""
    s = new_mailbox(client, rights="RWD")
    other = new_claim()
    ex = client.create(other, dict(DISPLAY), seal(new_key(), b"x"),
                       request_id=s.request_id)
    assert ex.status == 200, ex


# ---- across a restart -----------------------------------------------------------

def test_replay_after_restart(relay_factory):
    relay = relay_factory()
    c = relay.client()
    s = new_mailbox(c, rights="RWD")
    rid_u = str(uuid.uuid4())
    upd = c.update(s.url, s.claim, seal(s.key, b"updated"), request_id=rid_u)
    assert_ok(upd)
    r = new_claim()
    read_plain(c, s.url, r, s.key)
    rid_rel = str(uuid.uuid4())
    rel = c.relinquish(s.url, r, request_id=rid_rel)
    assert_ok(rel)
    d = new_mailbox(c)
    rid_del = str(uuid.uuid4())
    dele = c.delete(d.url, d.claim, request_id=rid_del)
    assert_ok(dele)
    c.close()

    relay.stop()
    relay.start()
    c = relay.client()
    _replay_ok(s.ex, c.create(s.claim, dict(DISPLAY), seal(s.key, b"no"),
                              request_id=s.request_id))
    _replay_ok(upd, c.update(s.id, s.claim, seal(s.key, b"no"),
                             request_id=rid_u))
    _replay_ok(rel, c.relinquish(s.id, r, request_id=rid_rel))
    _replay_ok(dele, c.delete(d.id, d.claim, request_id=rid_del))
    # and nothing was applied again
    j = assert_ok(c.read(s.id, s.claim))
    # after relinquish the initiator's last payload ("updated") is current
    assert open_payload(j["payload"], s.key) == b"updated"
    assert_error(c.read(d.id, d.claim), 404, "not_found")
    # the recipient binding survived too: r was relinquished, so a new
    # device binds, and a third is refused
    read_plain(c, s.id, new_claim(), s.key)
    assert_error(c.read(s.id, new_claim()), 401, "unauthorized")
