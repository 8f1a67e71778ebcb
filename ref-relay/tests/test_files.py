"""The relay's files (issue 10 point 4): 0600 files and a 0700 directory
whatever the umask; a data directory owned by another user or writable by
others is refused with one line; the access log escapes what is not
printable ASCII and shows mailbox ids only as keyed hashes."""

import hashlib
import hmac
import os
import socket
import stat
import subprocess
import uuid

import pytest

from relay_helpers import (DISPLAY, assert_ok, new_claim, new_key,
                           new_mailbox, read_plain, seal)

EXIT_DATADIR = 3


def _umask0():
    os.umask(0)


def test_files_private_whatever_the_umask(relay_factory, tmp_path):
    log = tmp_path / "access.log"
    spool = tmp_path / "spool.jsonl"
    d = tmp_path / "data"
    relay = relay_factory("--access-log", str(log), "--notify-spool",
                          str(spool), data_dir=d, preexec=_umask0)
    c = relay.client()
    s = new_mailbox(c, notify={"type": "t", "tokenData": "x"})
    read_plain(c, s.url, new_claim(), s.key)
    relay.stop()
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    names = ["relay.db", "relay.db-wal", "relay.db-shm", "cert.pem",
             "key.pem", "access-log.key"]
    paths = [d / n for n in names if (d / n).exists()] + [log, spool]
    assert d / "relay.db" in paths and log.exists()
    for p in paths:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, \
            "%s is %o" % (p, stat.S_IMODE(p.stat().st_mode))


def _refused(relay_binary, d, tmp_path):
    r = subprocess.run([str(relay_binary), "--listen", "127.0.0.1:0",
                        "--data-dir", str(d)], capture_output=True,
                       text=True, timeout=30)
    return r


def test_data_dir_of_another_user_refused(relay_binary, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give a directory to another user")
    d = tmp_path / "theirs"
    d.mkdir(mode=0o700)
    os.chown(d, 12345, 12345)
    r = _refused(relay_binary, d, tmp_path)
    assert r.returncode == EXIT_DATADIR, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "belongs to user 12345" in lines[0], r.stderr
    assert not (d / "relay.db").exists()


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702, 0o1777])
def test_data_dir_writable_by_others_refused(relay_binary, tmp_path, mode):
    d = tmp_path / "open"
    d.mkdir()
    os.chmod(d, mode)
    r = _refused(relay_binary, d, tmp_path)
    assert r.returncode == EXIT_DATADIR, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "writable by" in lines[0], r.stderr
    assert "chmod 700" in lines[0]
    # the mode in full: 1777 (sticky, like /tmp) was said to be 777
    assert "(mode %04o)" % mode in lines[0], lines[0]


def test_data_dir_that_is_a_file_refused(relay_binary, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = _refused(relay_binary, f, tmp_path)
    assert r.returncode == EXIT_DATADIR, r
    assert "not a directory" in r.stderr and r.stderr.count("\n") == 1


def test_access_log_escaped_and_ids_hashed(relay_factory, tmp_path):
    log = tmp_path / "access.log"
    d = tmp_path / "data"
    relay = relay_factory("--access-log", str(log), data_dir=d)
    c = relay.client()
    s = new_mailbox(c)
    read_plain(c, s.url, new_claim(), s.key)
    c.read_display(s.id.upper())
    # terminal escapes and bytes beyond ASCII in the request line
    for raw in (b"GET /v1/m/\x1b]2;pwned\x07\x1b[31m HTTP/1.1\r\n"
                b"Host: h\r\n\r\n",
                b"GET /\xc3\xa9\xff HTTP/1.1\r\nHost: h\r\n\r\n",
                b"G\x1bT / HTTP/1.1\r\nHost: h\r\n\r\n"):
        c.raw_bytes(raw, timeout=3)
    relay.stop()
    data = log.read_bytes()
    assert data, "nothing logged"
    for b in data:
        assert b == 0x0a or 0x20 <= b < 0x7f, \
            "raw byte %#x in the access log: %r" % (b, data[-400:])
    text = data.decode("ascii")
    assert s.id not in text and s.id.upper() not in text, text
    key = (d / "access-log.key").read_text().strip()
    mark = "#" + hmac.new(key.encode(), s.id.encode(),
                          hashlib.sha256).hexdigest()[:16]
    assert text.count(mark) == 2, (mark, text)   # the read, the page


def test_access_log_plain_ids_when_asked(relay_factory, tmp_path):
    log = tmp_path / "access.log"
    relay = relay_factory("--access-log", str(log), "--access-log-ids",
                          "plain")
    c = relay.client()
    s = new_mailbox(c)
    c.read_display(s.url)
    relay.stop()
    assert s.id in log.read_text()
