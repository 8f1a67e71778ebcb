"""The sct-04 profile (--profile sct-04; errata E-SCT04-HEADERS): the
claim is read from Device-Claim (or deviceClaim) and the attestation from
Device-Attestation (or deviceAttestation); Mailbox-Device-Claim is not a
claim there.  Everything else is as http-00."""

import uuid

import pytest

from relay_helpers import (DISPLAY, assert_error, assert_ok, new_claim,
                           new_key, new_mailbox, open_payload, read_plain,
                           seal)


@pytest.fixture(scope="module")
def sct(module_relay_factory):
    return module_relay_factory("--profile", "sct-04")


@pytest.fixture
def sc(sct):
    c = sct.client()            # profile sct-04: Device-Claim headers
    assert c.names["claim"] == "Device-Claim"
    yield c
    c.close()


def test_well_known_profile(sc):
    assert assert_ok(sc.well_known())["profile"] == "sct-04"


def test_full_flow_with_device_claim(sc):
    s = new_mailbox(sc, rights="RWD",
                    attestation="sct04-attestation-" + new_claim())
    assert "Device-Claim" in dict(s.ex.request_headers)
    r = new_claim()
    assert read_plain(sc, s.url, r, s.key) == s.plaintext
    assert_ok(sc.update(s.url, r, seal(s.key, b"r")))
    assert read_plain(sc, s.url, s.claim, s.key) == b"r"
    assert_error(sc.read(s.url, new_claim()), 401, "unauthorized")
    assert_ok(sc.relinquish(s.url, r))
    assert_ok(sc.delete(s.url, s.claim))
    assert_error(sc.read(s.url, s.claim), 404, "not_found")


def test_mailbox_device_claim_is_not_the_claim(sct, sc):
    h = sct.client(profile="http-00")     # sends Mailbox-Device-Claim
    ex = h.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"))
    assert_error(ex, 400, "header_missing")
    s = new_mailbox(sc)
    assert_error(h.read(s.url, new_claim()), 400, "header_missing")
    assert_error(h.delete(s.url, s.claim), 400, "header_missing")
    # nothing got bound by the refused read
    assert read_plain(sc, s.url, new_claim(), s.key) == s.plaintext


def test_device_claim_wins_over_mailbox_device_claim(sct, sc):
    """With both headers, the claim is Device-Claim's value."""
    s = new_mailbox(sc)
    decoy = new_claim()
    ex = sc.read(s.url, s.claim, headers={"Mailbox-Device-Claim": decoy})
    assert_ok(ex)
    # the initiator (Device-Claim) read; decoy was not bound
    r = new_claim()
    assert read_plain(sc, s.url, r, s.key) == s.plaintext
    assert_error(sc.read(s.url, decoy), 401, "unauthorized")


def test_device_claim_parameter_name(sct):
    """`deviceClaim` (sct-04's parameter name) is read as the claim."""
    c = sct.client()
    c.names["claim"] = "deviceClaim"
    c.names["attestation"] = "deviceAttestation"
    claim, key = new_claim(), new_key()
    ex = c.create(claim, dict(DISPLAY), seal(key, b"p"), attestation="att")
    assert_ok(ex)
    j = assert_ok(c.read(ex.json["urlLink"], claim))
    assert open_payload(j["payload"], key) == b"p"


def test_device_attestation_limit(sc):
    ex = sc.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                   attestation="a" * 4097)
    assert_error(ex, 400, "header_value")


def test_bad_device_claim(sc):
    ex = sc.create("nope", dict(DISPLAY), seal(new_key(), b"x"))
    assert_error(ex, 400, "header_value")


def test_http00_relay_ignores_device_claim(relay):
    """Under http-00 Device-Claim is not a claim."""
    c = relay.client(profile="sct-04")
    ex = c.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"))
    assert_error(ex, 400, "header_missing")


def test_replay_same_under_sct04(sc):
    claim, rid = new_claim(), str(uuid.uuid4())
    a = sc.create(claim, dict(DISPLAY), seal(new_key(), b"x"),
                  request_id=rid)
    b = sc.create(claim, dict(DISPLAY), seal(new_key(), b"x"),
                  request_id=rid)
    assert a.status == 200 and b.status == 201 and a.body == b.body
