"""Several relay nodes on one Redis store (--store redis+unix:PATH): a
mailbox made on one node is served by the other, replays are recognised
across nodes, and of two devices reading at the same moment through two
nodes exactly one is bound, also when one node is stopped between its
read and its commit; Redis killed and restarted from its append-only file
loses nothing acknowledged.  The tests start their own redis-server on a
Unix socket in a temporary directory and always stop it."""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from relay_proc import REPO
from relay_helpers import (DISPLAY, assert_error, assert_ok, new_claim,
                           new_key, new_mailbox, read_plain, seal)

REDIS = shutil.which("redis-server")


@pytest.fixture(scope="module")
def redis_sock(tmp_path_factory):
    if REDIS is None:
        pytest.fail("redis-server is not installed (make deps installs it)")
    d = tmp_path_factory.mktemp("redis")
    sock = d / "redis.sock"
    proc = _redis(d, sock, aof=False)
    try:
        _wait_sock(proc, sock)
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


def test_update_on_one_node_wakes_a_read_held_on_the_other(nodes):
    """X-LONG-POLL across nodes: the commit publishes the mailbox id on
    Redis and every node wakes the reads it holds for it.  The held read
    answers 200 with the new content, not 304 when its 10 s are up."""
    a, b = nodes[0].client(), nodes[1].client()
    s = new_mailbox(a, rights="RWD")
    r = new_claim()
    first = b.read(s.id, r)
    assert_ok(first)
    out = {}
    t = threading.Thread(target=lambda: out.update(held=b.read(
        s.id, r, if_none_match=first.header("ETag"), wait=10)))
    t.start()
    time.sleep(0.5)
    assert_ok(a.update(s.id, s.claim, seal(s.key, b"news")))
    t.join(15)
    held = out["held"]
    assert held.status == 200, held
    assert held.header("Preference-Applied") == "wait=10"
    assert held.header("ETag") != first.header("ETag")


def test_mbox_unit_tests_on_redis(tmp_path):
    """build/test_mbox on the Redis store: mbox's rules, and transactions
    of several requests as group commit runs them (each sees what the
    earlier ones wrote: of two binding reads of one mailbox the second gets
    401; an undone request leaves nothing), announced or not.  It empties
    that Redis before each test, so it gets one of its own."""
    r = subprocess.run(["make", "-C", str(REPO), "build/test_mbox"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:]
    sock = tmp_path / "redis.sock"
    rd = _redis(tmp_path, sock, aof=False)
    try:
        _wait_sock(rd, sock)
        t = subprocess.run([str(REPO / "build" / "test_mbox")],
                           env=dict(os.environ, TIGRESS_TEST_STORE=
                                    "redis+unix:" + str(sock)),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120)
        assert t.returncode == 0, t.stdout[-4000:]
        ran = re.search(r"tests +(\d+) +(\d+) +(\d+) +0 ", t.stdout)
        assert ran and int(ran.group(1)) > 0 and \
            len(set(ran.groups())) == 1, t.stdout   # all ran, all passed
    finally:
        rd.kill()
        rd.wait(10)


# ---- no timing assumptions: a node paused mid-transaction ------------------------

class RedisProxy:
    """A Unix-socket proxy in front of Redis for one relay node.  Armed,
    it catches the node's first EXEC, stops the node (SIGSTOP) for
    `pause` seconds before passing it on, then lets it run (SIGCONT)."""

    def __init__(self, target, path):
        self.target, self.path = target, str(path)
        self.armed = threading.Event()
        self.caught = threading.Event()
        self.pid, self.pause = None, 0
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(16)
        self.socks = [self.srv]
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, pid, pause):
        self.pid, self.pause = pid, pause
        self.armed.set()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.connect(self.target)
            self.socks += [c, u]
            threading.Thread(target=self._pump, args=(c, u, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False),
                             daemon=True).start()

    def _pump(self, src, dst, from_node):
        while True:
            try:
                d = src.recv(65536)
            except OSError:
                return
            if not d:
                return
            if from_node and self.armed.is_set() and b"\r\nEXEC\r\n" in d:
                self.armed.clear()
                os.kill(self.pid, signal.SIGSTOP)
                self.caught.set()
                time.sleep(self.pause)
                os.kill(self.pid, signal.SIGCONT)
            try:
                dst.sendall(d)
            except OSError:
                return

    def close(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


def test_node_stopped_mid_claim_race_one_winner(relay_factory, redis_sock,
                                                 tmp_path):
    """Node A reads the unbound mailbox and is stopped (SIGSTOP, 15 s)
    just before its commit; node B binds meanwhile.  The old store's lock
    expired after 10 s and A's late commit bound a second recipient; with
    WATCH/MULTI/EXEC, A's commit is refused and its retry finds the
    mailbox bound: exactly one winner."""
    proxy = RedisProxy(redis_sock, tmp_path / "proxy.sock")
    try:
        a = relay_factory("--store", "redis+unix:" + proxy.path,
                          "--threads", "1")
        b = relay_factory("--store", "redis+unix:" + redis_sock,
                          "--threads", "1")
        ca, cb = a.client(timeout=60), b.client(timeout=60)
        s = new_mailbox(cb)
        ra, rb = new_claim(), new_claim()
        out = {}
        proxy.arm(a.process.pid, 15)
        t = threading.Thread(target=lambda: out.update(
            a=ca.read(s.id, ra).status))
        t.start()
        assert proxy.caught.wait(20), "node A never committed"
        out["b"] = cb.read(s.id, rb).status
        t.join(60)
        assert sorted(out.values()) == [200, 401], out
        assert out["b"] == 200
        assert_ok(ca.read(s.id, rb))
        assert_error(cb.read(s.id, ra), 401, "unauthorized")
    finally:
        proxy.close()


# ---- Redis restarted from its append-only file -----------------------------------

def _redis(d, sock, aof=True):
    """redis-server on a Unix socket in d; with aof, every write fsynced
    to its append-only file first."""
    keep = ["--appendonly", "yes", "--appendfsync", "always"] if aof else \
        ["--appendonly", "no"]
    return subprocess.Popen(
        [REDIS, "--port", "0", "--unixsocket", str(sock),
         "--unixsocketperm", "700", "--save", ""] + keep + ["--dir", str(d)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_sock(proc, sock):
    deadline = time.time() + 10
    while not sock.exists():
        assert proc.poll() is None and time.time() < deadline, \
            "redis-server did not start"
        time.sleep(0.02)


def test_redis_killed_and_restarted_loses_no_acknowledged(relay_factory,
                                                          tmp_path):
    """Redis with appendfsync always, killed (-9) under load and started
    again on the same files: the relay reconnects by itself and every
    mailbox it acknowledged is there."""
    d = tmp_path / "aof"
    d.mkdir()
    sock = d / "redis.sock"
    rd = _redis(d, sock)
    try:
        _wait_sock(rd, sock)
        relay = relay_factory("--store", "redis+unix:" + str(sock))
        acked, lock, stop = [], threading.Lock(), threading.Event()

        def load():
            c = relay.client(timeout=10, keep_history=False)
            while not stop.is_set():
                claim, key = new_claim(), new_key()
                ex = c.create(claim, dict(DISPLAY), seal(key, b"aof"))
                if ex.status == 200:
                    with lock:
                        acked.append((ex.json["urlLink"], claim))
            c.close()

        ts = [threading.Thread(target=load) for _ in range(4)]
        for t in ts:
            t.start()
        time.sleep(1.5)
        rd.kill()
        rd.wait(10)
        n_before = len(acked)
        time.sleep(0.5)
        rd = _redis(d, sock)
        _wait_sock(rd, sock)
        time.sleep(1.5)
        stop.set()
        for t in ts:
            t.join(30)
        assert n_before >= 4, "too little load to mean anything"
        assert len(acked) > n_before, "the relay did not reconnect"
        c = relay.client(keep_history=False)
        lost = [u for u, claim in acked
                if c.read(u.rsplit("/", 1)[1], claim).status != 200]
        print("%d acknowledged (%d before the kill), %d lost" %
              (len(acked), n_before, len(lost)))
        assert not lost, lost[:3]
    finally:
        rd.kill()
        rd.wait(10)
