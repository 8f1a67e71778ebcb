"""Several relay nodes on one Redis store (--store redis+unix:PATH): a
mailbox made on one node is served by the other, replays are recognised
across nodes, and of two devices reading at the same moment through two
nodes exactly one is bound.  The test starts its own redis-server on a
Unix socket in a temporary directory and always stops it."""

import shutil
import subprocess
import threading
import time

import pytest

from relay_helpers import (assert_error, assert_ok, new_claim, new_mailbox,
                           read_plain)

REDIS = shutil.which("redis-server")


@pytest.fixture(scope="module")
def redis_sock(tmp_path_factory):
    if REDIS is None:
        pytest.fail("redis-server is not installed (make deps installs it)")
    d = tmp_path_factory.mktemp("redis")
    sock = d / "redis.sock"
    proc = subprocess.Popen(
        [REDIS, "--port", "0", "--unixsocket", str(sock),
         "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
         "--dir", str(d)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while not sock.exists():
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.02)
        yield str(sock)
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def nodes(module_relay_factory, redis_sock):
    store = "redis+unix:" + redis_sock
    return [module_relay_factory("--store", store, "--threads", "2")
            for _ in range(2)]


def test_mailbox_served_by_the_other_node(nodes):
    a, b = nodes[0].client(), nodes[1].client()
    s = new_mailbox(a, rights="RWD")
    r = new_claim()
    assert read_plain(b, s.id, r, s.key) == s.plaintext
    assert_error(a.read(s.id, new_claim()), 401, "unauthorized")
    assert_ok(b.delete(s.id, s.claim))
    assert_error(a.read(s.id, s.claim), 404, "not_found")


def test_replay_recognised_on_the_other_node(nodes):
    a, b = nodes[0].client(), nodes[1].client()
    s = new_mailbox(a)
    again = b.create(s.claim, dict(s.display), {"type": "AEAD_AES_128_GCM",
                                                "data": "x"},
                     request_id=s.request_id)
    assert again.status == 201, again
    assert again.body == s.ex.body


def test_claim_race_across_nodes(nodes):
    a, b = nodes[0].client(), nodes[1].client()
    for trial in range(50):
        s = new_mailbox(a)
        barrier = threading.Barrier(2)
        status = [None, None]

        def read(i, c):
            barrier.wait()
            status[i] = c.read(s.id, new_claim()).status

        ts = [threading.Thread(target=read, args=(i, c))
              for i, c in enumerate((a, b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert sorted(status) == [200, 401], (trial, status)
