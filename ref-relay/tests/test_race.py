"""The claim race (http-00 §8.1.1, §8.3.3; errata E-PARTIES): when several
devices read a fresh mailbox at the same moment, exactly one is bound as
the recipient (200) and every other gets 401, in every trial."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from relay_helpers import new_claim, new_mailbox, open_payload


@pytest.fixture(scope="module")
def relay(module_relay_factory):
    """Two event loops whatever the cores: the racing reads arrive on both
    and meet in one group commit."""
    return module_relay_factory("--threads", "2")


def _fresh_mailboxes(relay, count, workers=4):
    """`count` new mailboxes, made ahead of the trials (in parallel, to
    save time); each trial races on its own one."""
    clients = [relay.client(keep_history=False) for _ in range(workers)]
    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda i: new_mailbox(clients[i % workers]),
                                 range(count)))
    finally:
        for c in clients:
            c.close()


def _race(relay, trials, strangers, with_initiator):
    n = strangers + (1 if with_initiator else 0)
    boxes = _fresh_mailboxes(relay, trials)
    clients = [relay.client() for _ in range(n)]
    for c in clients:                      # connect (TLS handshake) first
        assert c.well_known().status == 200
    barrier = threading.Barrier(n + 1, timeout=60)
    state = {"target": None, "claims": [None] * n, "res": [None] * n,
             "stop": False}

    def worker(i):
        try:
            while True:
                barrier.wait()
                if state["stop"]:
                    return
                ex = clients[i].read(state["target"], state["claims"][i],
                                     request_id=False)
                state["res"][i] = ex
                barrier.wait()
        except threading.BrokenBarrierError:
            return

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    bad = []
    try:
        for trial in range(trials):
            s = boxes[trial]
            claims = [new_claim() for _ in range(strangers)]
            if with_initiator:
                claims.append(s.claim)
            state["target"], state["claims"] = s.url, claims
            state["res"] = [None] * n
            barrier.wait()          # go
            barrier.wait()          # all answered
            res = state["res"]
            st = [e.status for e in res]
            winners = [i for i in range(strangers) if st[i] == 200]
            losers = [i for i in range(strangers) if st[i] == 401]
            ok = len(winners) == 1 and len(losers) == strangers - 1
            if with_initiator:
                ok = ok and st[-1] == 200
            for i in range(n):
                if st[i] == 200 and open_payload(res[i].json["payload"],
                                                 s.key) != s.plaintext:
                    ok = False
                if st[i] == 401 and (res[i].json or {}).get("error") != \
                        "unauthorized":
                    ok = False
            if not ok:
                bad.append((trial, st, [repr(e)[:200] for e in res]))
    finally:
        state["stop"] = True
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        barrier.abort()
        for t in threads:
            t.join(10)
        for c in clients:
            c.close()
    assert not bad, "%d of %d trials broke the race rule; first: %r" % (
        len(bad), trials, bad[:3])


def test_claim_race_two_readers(relay):
    _race(relay, trials=200, strangers=2, with_initiator=False)


def test_claim_race_three_readers_and_initiator(relay):
    """The initiator reading at the same time is never bound and always
    reads; exactly one of three strangers wins."""
    _race(relay, trials=100, strangers=3, with_initiator=True)
