"""Privacy (http-00 §8.1.3, §8.2.2): the relay does not record who talks
to it.  After a full flow (with errors), its stdout and stderr hold no
device claim, notification token, attestation or client
address; no response sets a cookie or names the server software."""

import re
import uuid

from relay_helpers import (DISPLAY, assert_error, assert_ok, new_claim,
                           new_key, new_mailbox, read_plain, seal)


def test_logs_hold_no_identifiers(relay_factory, tmp_path):
    spool = tmp_path / "spool.jsonl"
    access = tmp_path / "access.log"
    relay = relay_factory("--notify-spool", str(spool),
                          "--access-log", str(access))
    c = relay.client()
    secrets = []

    ti = {"type": "com.apple.apns", "tokenData": "TOKEN-I-" + new_claim()}
    tr = {"type": "com.google.fcm", "tokenData": "TOKEN-R-" + new_claim()}
    att = "ATTEST-" + uuid.uuid4().hex
    s = new_mailbox(c, rights="RWD", notify=ti, attestation=att)
    r, third = new_claim(), new_claim()
    secrets += [s.claim, r, third, ti["tokenData"], tr["tokenData"], att]
    assert_ok(c.read(s.url, r, notify=tr))
    assert_error(c.read(s.url, third), 401)
    upd_rid = "RID-" + uuid.uuid4().hex
    assert_ok(c.update(s.url, r, seal(s.key, b"r"), request_id=upd_rid,
                       attestation=att + "-u"))
    secrets.append(att + "-u")
    assert_ok(c.update(s.url, s.claim, seal(s.key, b"i")))
    assert_error(c.update(s.url, third, seal(s.key, b"x")), 401)
    bad_claim = "BADCLAIM-" + uuid.uuid4().hex
    secrets.append(bad_claim)
    assert_error(c.read(s.url, bad_claim), 400)
    assert_error(c.create(new_claim(), dict(DISPLAY), None), 400)
    assert_ok(c.relinquish(s.url, r))
    r2 = new_claim()
    secrets.append(r2)
    read_plain(c, s.url, r2, s.key)
    assert_ok(c.delete(s.url, s.claim))
    assert_error(c.read(s.url, r2), 404)
    assert c.read_display(s.url).status == 404
    relay.stop()

    out = "\n".join(relay.stdout + relay.stderr)
    for word in secrets:
        assert word not in out, "relay output contains %r:\n%s" % (
            word, out[-2000:])
    # no client address: 127.0.0.1 with a port other than the listen port
    for line in relay.stdout + relay.stderr:
        for m in re.finditer(r"127\.0\.0\.1[:.](\d+)", line):
            assert int(m.group(1)) == relay.port, \
                "client address in relay output: %r" % line
        if "127.0.0.1" in line:
            assert "listening" in line or str(relay.port) in line, \
                "client address in relay output: %r" % line
    # the access log (an operator's choice) holds none of them either
    log = access.read_text("utf-8", errors="replace") if access.exists() \
        else ""
    for word in secrets:
        assert word not in log, "access log contains %r" % word
    assert not re.search(r"127\.0\.0\.1[:. ]\d+", log), \
        "access log holds the full client address and port"
    # and nothing of it in the spool but tokens
    spool_text = spool.read_text("utf-8") if spool.exists() else ""
    for word in (s.claim, r, r2, third, att, s.id):
        assert word not in spool_text


def test_no_cookies_anywhere(client):
    s = new_mailbox(client, rights="RWD")
    r = new_claim()
    read_plain(client, s.url, r, s.key)
    client.update(s.url, r, seal(s.key, b"x"))
    client.read(s.url, new_claim())
    client.read_display(s.url)
    client.read_display(s.url, method="HEAD")
    client.relinquish(s.url, r)
    client.delete(s.url, s.claim)
    client.raw("OPTIONS", "/v1/m")
    client.well_known()
    client.raw("GET", "/x")
    client.create(new_claim(), dict(DISPLAY), seal(new_key(), b"x"),
                  headers={"Cookie": "a=b"})
    assert len(client.history) >= 12
    for ex in client.history:
        assert ex.status is not None, ex
        assert ex.header("Set-Cookie") is None, ex
        server = (ex.header("Server") or "").lower()
        assert "libevent" not in server and "tigress" not in server and \
            not re.search(r"\d+\.\d+", server), ex.headers
