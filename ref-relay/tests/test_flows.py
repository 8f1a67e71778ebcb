"""The flows of the drafts end to end, with payloads sealed and opened by
tigress_py.payload, and the party and rights rules of the errata:
E-PARTIES, E-ACCESS-RIGHTS, E-UPDATE-SLOT, E-RELINQUISH-CONTENT."""

import base64

import pytest

from relay_helpers import (assert_error, assert_ok, new_claim, new_mailbox,
                           open_payload, parse_url, read_plain, seal)


# ---- the two flows -------------------------------------------------------------

@pytest.mark.parametrize("key_len,vertical", [(16, None), (32, "c"),
                                              (16, "h")])
def test_stateless_flow(relay, client, key_len, vertical):
    """Initiator creates; recipient opens the share URL, reads with the
    api_url only, decrypts with the Secret, deletes; then 404."""
    s = new_mailbox(client, key_len=key_len)
    share = s.url + ("?v=%s" % vertical if vertical else "") + "#" + \
        base64.b64encode(s.key).decode()
    # --- the recipient's side: only the share URL crosses over
    p = parse_url(share)
    assert p.secret == s.key
    assert p.api_url == s.url
    rc = relay.client()
    rclaim = new_claim()
    ex = rc.read(p.api_url, rclaim)
    j = assert_ok(ex)
    assert "#" not in ex.url and "?" not in ex.url
    assert open_payload(j["payload"], p.secret) == s.plaintext
    assert j["displayInformation"] == s.display
    # default rights RD: the recipient may delete
    assert assert_ok(rc.delete(p.api_url, rclaim)) == {}
    assert_error(rc.read(p.api_url, rclaim), 404, "not_found")
    assert_error(client.read(s.url, s.claim), 404, "not_found")
    assert_error(client.read_display(s.url), 404, "not_found")
    assert_error(client.delete(s.url, s.claim), 404, "not_found")
    # the Secret never went to the relay
    secret_b64 = share.split("#", 1)[1]
    for e in rc.history + client.history:
        assert secret_b64 not in e.url
        for _, v in e.request_headers:
            assert secret_b64 not in v
        assert e.request_body is None or \
            secret_b64.encode() not in e.request_body


def test_stateful_flow(client):
    """Create with RWD; recipient reads and updates; initiator reads the
    recipient's payload; initiator updates; recipient reads; delete."""
    s = new_mailbox(client, rights="RWD")
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert_ok(client.update(s.url, r, seal(s.key, b"recipient: step 2")))
    assert read_plain(client, s.url, s.claim, s.key) == b"recipient: step 2"
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"initiator: 3")))
    assert read_plain(client, s.url, r, s.key) == b"initiator: 3"
    # E-UPDATE-SLOT: both read the latest
    assert read_plain(client, s.url, s.claim, s.key) == b"initiator: 3"
    assert_ok(client.delete(s.url, r))
    assert_error(client.read(s.url, s.claim), 404, "not_found")
    assert_error(client.read(s.url, r), 404, "not_found")
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x")), 404,
                 "not_found")


def test_payload_stored_verbatim(client):
    """The relay stores the payload object it was given (it cannot look
    into it): type and data come back unchanged."""
    s = new_mailbox(client, key_len=32)
    j = assert_ok(client.read(s.url, new_claim()))
    sent = s.ex.request_body
    assert j["payload"]["type"] == "AEAD_AES_256_GCM"
    assert j["payload"]["data"].encode() in sent


# ---- access rights (E-ACCESS-RIGHTS) --------------------------------------------

def test_rights_default_rd(client):
    s = new_mailbox(client, config=False)       # default configuration
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x")), 401,
                 "unauthorized")
    assert_error(client.update(s.url, r, seal(s.key, b"x")), 401,
                 "unauthorized")
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert_ok(client.delete(s.url, r))


def test_rights_rd_explicit(client):
    s = new_mailbox(client, rights="RD")
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x")), 401,
                 "unauthorized")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_error(client.update(s.url, r, seal(s.key, b"x")), 401,
                 "unauthorized")
    assert_ok(client.delete(s.url, r))


@pytest.mark.parametrize("rights", ["R", "RW", "WR"])
def test_rights_recipient_delete_needs_d(client, rights):
    s = new_mailbox(client, rights=rights)
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_error(client.delete(s.url, r), 401, "unauthorized")
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    # the initiator may always delete
    assert_ok(client.delete(s.url, s.claim))
    assert_error(client.read(s.url, r), 404, "not_found")


@pytest.mark.parametrize("rights", ["R", "RD", "RW", "RWD", "DWR"])
def test_rights_initiator_always_deletes(client, rights):
    s = new_mailbox(client, rights=rights)
    assert_ok(client.delete(s.url, s.claim))
    assert_error(client.read_display(s.url), 404, "not_found")


def test_rights_initiator_deletes_after_binding(client):
    s = new_mailbox(client, rights="R")
    read_plain(client, s.url, new_claim(), s.key)
    assert_ok(client.delete(s.url, s.claim))


@pytest.mark.parametrize("rights", ["RW", "RWD", "WDR"])
def test_rights_w_both_parties(client, rights):
    s = new_mailbox(client, rights=rights)
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"i1")))
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == b"i1"
    assert_ok(client.update(s.url, r, seal(s.key, b"r1")))
    assert read_plain(client, s.url, s.claim, s.key) == b"r1"


@pytest.mark.parametrize("rights", ["R", "RD"])
def test_rights_without_w(client, rights):
    s = new_mailbox(client, rights=rights)
    assert_error(client.update(s.url, s.claim, seal(s.key, b"x")), 401,
                 "unauthorized")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_error(client.update(s.url, r, seal(s.key, b"x")), 401,
                 "unauthorized")
    assert read_plain(client, s.url, s.claim, s.key) == s.plaintext


@pytest.mark.parametrize("rights", ["R", "RD", "RWD"])
def test_rights_relinquish_always_open_to_recipient(client, rights):
    s = new_mailbox(client, rights=rights)
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    assert_ok(client.relinquish(s.url, r))


def test_rights_stranger_refused_everything(client):
    s = new_mailbox(client, rights="RWD")
    x = new_claim()
    # before binding a stranger may only read (and so become recipient);
    # it may not update, delete or relinquish
    assert_error(client.update(s.url, x, seal(s.key, b"x")), 401,
                 "unauthorized")
    assert_error(client.delete(s.url, x), 401, "unauthorized")
    assert_error(client.relinquish(s.url, x), 401, "unauthorized")
    assert read_plain(client, s.url, s.claim, s.key) == s.plaintext


# ---- parties (E-PARTIES) ---------------------------------------------------------

def test_parties_third_claim_refused(client):
    s = new_mailbox(client, rights="RWD")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    t = new_claim()
    assert_error(client.read(s.url, t), 401, "unauthorized")
    assert_error(client.update(s.url, t, seal(s.key, b"x")), 401,
                 "unauthorized")
    assert_error(client.delete(s.url, t), 401, "unauthorized")
    assert_error(client.relinquish(s.url, t), 401, "unauthorized")
    # both parties still work
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert read_plain(client, s.url, s.claim, s.key) == s.plaintext


def test_parties_initiator_read_never_binds(client):
    s = new_mailbox(client, rights="RWD")
    for _ in range(3):
        assert read_plain(client, s.url, s.claim, s.key) == s.plaintext
    # the initiator is not the recipient: it cannot relinquish
    assert_error(client.relinquish(s.url, s.claim), 401, "unauthorized")
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert_error(client.read(s.url, new_claim()), 401, "unauthorized")


def test_parties_failed_reads_do_not_bind(client):
    """A read refused for its form (400) binds nobody."""
    s = new_mailbox(client)
    c = new_claim()
    assert_error(client.read(s.url, c, notify={"type": "x"}), 400)
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert_error(client.read(s.url, c), 401, "unauthorized")


def test_parties_display_never_binds(client):
    s = new_mailbox(client)
    x = new_claim()
    for m in ("GET", "HEAD"):
        ex = client.read_display(s.url, method=m, claim=x)
        assert ex.status == 200
    r = new_claim()
    assert read_plain(client, s.url, r, s.key) == s.plaintext
    assert_error(client.read(s.url, x), 401, "unauthorized")


# ---- relinquish (E-RELINQUISH-CONTENT) ---------------------------------------------

def test_relinquish_rebinds_and_hides_recipient_content(client):
    s = new_mailbox(client, rights="RWD")
    a = new_claim()
    assert read_plain(client, s.url, a, s.key) == s.plaintext
    assert_ok(client.update(s.url, a, seal(s.key, b"written by A")))
    assert read_plain(client, s.url, s.claim, s.key) == b"written by A"
    assert_ok(client.relinquish(s.url, a))
    b = new_claim()
    # B sees the initiator's last payload, never A's
    assert read_plain(client, s.url, b, s.key) == s.plaintext
    assert read_plain(client, s.url, s.claim, s.key) == s.plaintext
    # A is no longer bound
    assert_error(client.read(s.url, a), 401, "unauthorized")
    assert_error(client.update(s.url, a, seal(s.key, b"x")), 401,
                 "unauthorized")
    assert_error(client.relinquish(s.url, a), 401, "unauthorized")


def test_relinquish_restores_initiator_latest(client):
    s = new_mailbox(client, rights="RWD")
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"initiator v2")))
    a = new_claim()
    assert read_plain(client, s.url, a, s.key) == b"initiator v2"
    assert_ok(client.update(s.url, a, seal(s.key, b"A v1")))
    assert_ok(client.update(s.url, s.claim, seal(s.key, b"initiator v3")))
    assert_ok(client.update(s.url, a, seal(s.key, b"A v2")))
    assert_ok(client.relinquish(s.url, a))
    b = new_claim()
    assert read_plain(client, s.url, b, s.key) == b"initiator v3"


def test_relinquish_then_same_device_may_bind_again(client):
    s = new_mailbox(client)
    a = new_claim()
    read_plain(client, s.url, a, s.key)
    assert_ok(client.relinquish(s.url, a))
    # unbound: the first other claim to read is bound, which may be A again
    assert read_plain(client, s.url, a, s.key) == s.plaintext
    assert_error(client.read(s.url, new_claim()), 401, "unauthorized")


def test_relinquish_new_recipient_has_full_rights(client):
    s = new_mailbox(client, rights="RWD")
    a = new_claim()
    read_plain(client, s.url, a, s.key)
    assert_ok(client.relinquish(s.url, a))
    b = new_claim()
    read_plain(client, s.url, b, s.key)
    assert_ok(client.update(s.url, b, seal(s.key, b"B")))
    assert read_plain(client, s.url, s.claim, s.key) == b"B"
    assert_ok(client.delete(s.url, b))
