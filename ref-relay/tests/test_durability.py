"""Durability: what the relay acknowledged survives a SIGKILL under load
and a clean restart (errata E-DUP-SCOPE: remembered "across restarts")."""

import os
import threading
import time
import uuid

from relay_helpers import (DISPLAY, assert_error, assert_ok, cfg, new_claim,
                           new_key, new_mailbox, open_payload, read_plain,
                           seal)

THREADS = 6
LOAD_SECONDS = 2.0


def test_kill9_under_load(relay_factory):
    relay = relay_factory()
    acked = []
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def creator():
        c = relay.client(timeout=5, keep_history=False)
        try:
            while not stop.is_set():
                claim, rid, key = new_claim(), str(uuid.uuid4()), new_key()
                pt = os.urandom(24)
                try:
                    ex = c.create(claim, dict(DISPLAY), seal(key, pt),
                                  config=cfg("RWD"), request_id=rid)
                except Exception as e:       # pragma: no cover
                    errors.append(repr(e))
                    return
                if ex.status is None:
                    # the relay is gone (killed): stop
                    return
                if ex.status == 200 and not isinstance(ex.json, dict):
                    # the answer was cut by the kill: not acknowledged
                    return
                if ex.status == 200:
                    with lock:
                        acked.append((rid, claim, key, pt, ex.body,
                                      ex.json["urlLink"]))
                else:
                    errors.append(repr(ex))
                    return
        finally:
            c.close()

    threads = [threading.Thread(target=creator, daemon=True)
               for _ in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    relay.kill9()                               # mid-load
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors[:5]
    assert len(acked) >= THREADS, "too little load to mean anything: %d" % \
        len(acked)
    urls = [a[5] for a in acked]
    assert len(set(urls)) == len(urls), "duplicate urlLink acknowledged"

    print("kill -9 after %d acknowledged creates" % len(acked))
    relay.start()                               # same data dir and flags
    bad = []
    chunks = [acked[i::4] for i in range(4)]

    def verify(items):
        c = relay.client(keep_history=False)
        try:
            for rid, claim, key, pt, body, url in items:
                mid = url.rsplit("/", 1)[1]
                ex = c.read(mid, claim)
                if ex.status != 200 or \
                        open_payload(ex.json["payload"], key) != pt:
                    bad.append(("read", url, repr(ex)[:300]))
                    continue
                rp = c.create(claim, dict(DISPLAY), seal(key, b"dup"),
                              config=cfg("RWD"), request_id=rid)
                if rp.status != 201 or rp.body != body:
                    bad.append(("replay", url, repr(rp)[:300]))
        finally:
            c.close()

    vt = [threading.Thread(target=verify, args=(ch,)) for ch in chunks]
    for t in vt:
        t.start()
    for t in vt:
        t.join(120)
    assert not bad, "%d of %d acknowledged creates lost or changed; " \
        "first: %r" % (len(bad), len(acked), bad[:3])


def test_state_survives_clean_restart(relay_factory):
    relay = relay_factory()
    c = relay.client()
    s = new_mailbox(c, rights="RWD")
    r = new_claim()
    read_plain(c, s.url, r, s.key)
    assert_ok(c.update(s.url, r, seal(s.key, b"from r")))
    gone = new_mailbox(c)
    assert_ok(c.delete(gone.url, gone.claim))
    j0 = assert_ok(c.read(s.url, s.claim))
    c.close()
    relay.restart()
    c = relay.client()
    j = assert_ok(c.read(s.id, s.claim))
    assert open_payload(j["payload"], s.key) == b"from r"
    assert j["expiration"] == j0["expiration"]
    assert j["displayInformation"] == j0["displayInformation"]
    # the recipient binding and the rights survived
    assert read_plain(c, s.id, r, s.key) == b"from r"
    assert_error(c.read(s.id, new_claim()), 401, "unauthorized")
    assert_ok(c.update(s.id, s.claim, seal(s.key, b"after restart")))
    assert read_plain(c, s.id, r, s.key) == b"after restart"
    assert_error(c.read(gone.id, gone.claim), 404, "not_found")
    assert c.read_display(s.id).status == 200


def test_sigterm_exits(relay_factory):
    """SIGTERM stops the relay, also with an idle keep-alive connection
    open: it exits 0 (the bound is generous; the time is make bench's)."""
    relay = relay_factory("--threads", "2")
    c = relay.client()
    new_mailbox(c)                  # c keeps its connection open, idle
    assert relay.stop(timeout=10) == 0
    assert not relay.running


def test_sigterm_answers_request_in_flight(relay_factory):
    """A read held (long-poll) when SIGTERM arrives gets its answer, with
    Connection: close, before the relay exits 0."""
    relay = relay_factory()
    c = relay.client()
    s = new_mailbox(c)
    etag = c.read(s.id, s.claim).header("ETag")
    out = {}
    held = threading.Thread(target=lambda: out.update(ex=relay.client(
        timeout=20).read(s.id, s.claim, if_none_match=etag, wait=30)))
    held.start()
    time.sleep(0.5)                 # let the relay hold it
    assert relay.stop(timeout=10) == 0
    held.join(20)
    ex = out["ex"]
    assert ex.status == 304, ex
    assert (ex.header("Connection") or "").lower() == "close", ex.headers
