"""Disk full (issue 10 point 6): the SQLite store on a small tmpfs that
fills up answers 503 `unavailable` with a clear JSON error and
Retry-After, loses no acknowledged mailbox, and recovers by itself when
space returns; a data directory on a read-only file system is a clear
error at start.

The tmpfs is mounted in a private mount namespace (`unshare -rm`, no real
privileges needed) that only the relay sees.  The space comes back when
the test touches a flag file: a helper inside the namespace then deletes
a filler file it made on the tmpfs at the start.  Plain HTTP: a
certificate made on the tmpfs would be out of the client's sight."""

import os
import shutil
import subprocess
import time

import pytest

from relay_helpers import (DISPLAY, assert_error, assert_ok, new_claim,
                           new_key, open_payload, seal)

UNSHARE = shutil.which("unshare")
TMPFS_KIB = 1024
FILLER_KIB = 384

# $1 data dir, $2 flag file, $3 tmpfs size (KiB), $4 filler (KiB), rest:
# the relay's argv.  The helper ends with the relay.
SCRIPT = r'''
mount -t tmpfs -o "size=$3k,mode=0700" tigress "$1" || exit 97
dd if=/dev/zero of="$1/filler" bs=1k count="$4" 2>/dev/null || exit 98
pid=$$
( while kill -0 "$pid" 2>/dev/null; do
    if [ -e "$2" ]; then rm -f "$1/filler"; exit 0; fi; sleep 0.1
  done ) &
d=$1 f=$2
shift 4
exec "$@"
'''

READ_ONLY = r'''
mount -t tmpfs -o ro,mode=0700 tigress "$1" || exit 97
shift
exec "$@"
'''


def _namespaces_work():
    if UNSHARE is None:
        return False
    r = subprocess.run([UNSHARE, "-rm", "sh", "-c",
                        "mount -t tmpfs x /mnt 2>/dev/null || "
                        "mount -t tmpfs x /tmp"], capture_output=True)
    return r.returncode == 0


needs_ns = pytest.mark.skipif(not _namespaces_work(),
                              reason="unshare -rm (user and mount "
                              "namespaces) is not available here")


@needs_ns
def test_disk_full_503_then_recovers(relay_factory, tmp_path):
    d = tmp_path / "data"
    d.mkdir(mode=0o700)
    flag = tmp_path / "free-space"
    wrapper = [UNSHARE, "-rm", "sh", "-c", SCRIPT, "sh", str(d), str(flag),
               str(TMPFS_KIB), str(FILLER_KIB)]
    relay = relay_factory(data_dir=d, wrapper=wrapper, tls=False)
    c = relay.client(keep_history=False)
    acked, full = [], None
    for i in range(200):
        key, pt = new_key(), os.urandom(16 * 1024)
        claim = new_claim()
        ex = c.create(claim, dict(DISPLAY), seal(key, pt))
        if ex.status == 200:
            acked.append((ex.json["urlLink"], claim, key, pt))
            continue
        full = ex
        break
    assert full is not None, "the tmpfs never filled up"
    print("storage full after %d mailboxes: %r" % (len(acked), full))
    j = assert_error(full, 503, "unavailable")
    assert "full" in j["message"], j
    assert (full.header("Retry-After") or "").isdigit(), full.headers
    # reads still work while full; and nothing acknowledged is lost
    for url, claim, key, pt in acked[:3]:
        assert open_payload(assert_ok(c.read(url, claim))["payload"],
                            key) == pt
    flag.touch()
    deadline = time.monotonic() + 20
    while True:
        ex = c.create(new_claim(), dict(DISPLAY), seal(new_key(), b"again"))
        if ex.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ex.status == 200, "did not recover when space returned: %r" % ex
    # (a restart would mount a new, empty tmpfs: check on the running one)
    for url, claim, key, pt in acked:
        mid = url.rsplit("/", 1)[1]
        assert open_payload(assert_ok(c.read(mid, claim))["payload"],
                            key) == pt


@needs_ns
def test_read_only_data_dir_clear_error(relay_binary, tmp_path):
    d = tmp_path / "ro"
    d.mkdir(mode=0o700)
    r = subprocess.run([UNSHARE, "-rm", "sh", "-c", READ_ONLY, "sh", str(d),
                        str(relay_binary), "--listen", "127.0.0.1:0",
                        "--data-dir", str(d)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 3, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "not writable" in lines[0] and "Read-only" in lines[0], lines
