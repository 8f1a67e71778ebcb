"""End-to-end flows of `tigress` against ref-relay: the stateless and
stateful flows of draft-vinokurov-tigress-http-00 §3.2/§4.3, cancel,
a second recipient, relinquish, tampered payloads, and the error lines
and exit codes of ref-client/README.md."""

import base64
import json
import os
import re
import stat
import time

from cli_helpers import PI, assert_no_secret, one_error_line, secret_of, \
    share

SHARE_URL_RE = re.compile(
    r"^https://127\.0\.0\.1:\d+/v1/m/[0-9a-f-]{36}(\?v=[hc])?"
    r"#[A-Za-z0-9+/]{43}=$")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_stateless_share_accept_delete(devices, pi_file, tmp_path):
    alice, bob = devices(), devices()
    out = share(alice, pi_file, "--vertical", "c")
    assert out.count("\n") == 1                  # the URL and nothing else
    url = out.strip()
    assert SHARE_URL_RE.match(url), url
    assert "?v=c#" in url
    assert mode(alice.state()) == 0o600
    assert mode(alice.state_dir) == 0o700
    # preview: display information, no binding
    r = bob.run("preview", url)
    assert r.returncode == 0, r.stderr
    assert "title: Car key" in r.stdout and "description: Blue car" in r.stdout
    # accept: bind, decrypt, write 0600
    got = tmp_path / "got.json"
    r = bob.run("accept", url, "--out", got)
    assert r.returncode == 0, r.stderr
    assert got.read_bytes() == PI
    assert mode(got) == 0o600
    assert mode(bob.state()) == 0o600
    state = json.loads(bob.state().read_text())
    assert state["role"] == "recipient"
    assert state["mailboxUrl"] == url.split("?")[0].split("#")[0]
    alice_state = json.loads(alice.state().read_text())
    assert state["claim"] != alice_state["claim"]
    # the recipient deletes: the mailbox is gone
    mid = state["mailboxUrl"].rsplit("/", 1)[1]
    assert mid in alice.relay.mailbox_ids()
    r = bob.run("cancel", "--state", bob.state(), ca=False)
    assert r.returncode == 0, r.stderr
    assert bob.state_files() == []
    assert mid not in alice.relay.mailbox_ids()
    one_error_line(alice.run("read", url), 8,
                   "this share has expired, was cancelled or never existed")
    one_error_line(bob.run("preview", url), 8)


def test_accept_to_stdout_and_delete(devices, pi_file):
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    r = bob.run("accept", url, "--delete")
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode().rstrip(b"\n") == PI
    assert bob.state_files() == []
    one_error_line(alice.run("read", "--state", alice.state()), 8)


def test_wait_alongside_send_skips_own_message(devices, pi_file, tmp_path):
    """A wait that loaded the state before a send of the same device
    (which saves the sent digest) does not take that message back from
    the relay as new: it waits on for the other party's."""
    alice, bob = devices(), devices()
    url = share(alice, pi_file, "--stateful", "--expires", "10m").strip()
    assert bob.run("accept", url, "--out", tmp_path / "m1").returncode == 0
    waiter = bob.popen("wait", url, "--timeout", "30", "-v")
    # -v traces each request: once one is out, the state was loaded
    while "> GET" not in waiter.stderr.readline():
        assert waiter.poll() is None
    own = tmp_path / "own.json"
    own.write_text('{"format":"reply","content":{"mine":true}}')
    assert bob.run("send", url, "--in", own, ca=False).returncode == 0
    theirs = tmp_path / "theirs.json"
    theirs.write_text('{"format":"final","content":{"theirs":true}}')
    r = alice.run("send", "--state", alice.state(), "--in", theirs)
    assert r.returncode == 0, r.stderr
    out, err = waiter.communicate(timeout=40)
    assert waiter.returncode == 0, err
    assert out.rstrip("\n") == theirs.read_text(), out


def test_stateful_three_messages(devices, pi_file, tmp_path):
    alice, bob = devices(), devices()
    url = share(alice, pi_file, "--stateful", "--expires", "10m").strip()
    r = bob.run("accept", url, "--out", tmp_path / "m1.json")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "m1.json").read_bytes() == PI
    # the initiator waits (long-poll) while the recipient answers
    waiter = alice.popen("wait", url, "--timeout", "20", "--json")
    time.sleep(0.5)
    m2 = tmp_path / "m2.json"
    m2.write_text('{"format":"reply","content":{"deviceKey":"k2"}}')
    r = bob.run("send", url, "--in", m2, ca=False)    # CA from the state
    assert r.returncode == 0, r.stderr
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    j = json.loads(out)
    assert j["new"] is True and j["role"] == "initiator"
    assert j["provisioningInformation"] == json.loads(m2.read_text())
    # the initiator's third message reaches the recipient
    m3 = tmp_path / "m3.json"
    m3.write_text('{"format":"final","content":{"ok":true}}')
    r = alice.run("send", "--state", alice.state(), "--in", m3)
    assert r.returncode == 0, r.stderr
    r = bob.run("wait", url, "--timeout", "10", "--out", tmp_path / "got3")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "got3").read_bytes() == m3.read_bytes()
    # nothing newer for either side: wait times out (exit 10)
    one_error_line(bob.run("wait", url, "--timeout", "1"), 10)
    one_error_line(alice.run("wait", url, "--timeout", "1"), 10)
    # read returns the current message, whoever wrote it
    r = alice.run("read", url)
    assert r.returncode == 0 and json.loads(r.stdout) == json.loads(
        m3.read_text())
    r = alice.run("cancel", url)
    assert r.returncode == 0, r.stderr
    one_error_line(bob.run("read", url), 8)


def test_send_needs_write_right(devices, pi_file):
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()                # RD by default
    assert bob.run("accept", url).returncode == 0
    one_error_line(bob.run("send", url, "--in", pi_file), 6, "401")


def test_cancel_before_accept(devices, pi_file):
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    r = alice.run("cancel", url)
    assert r.returncode == 0, r.stderr
    assert alice.state_files() == []
    line = one_error_line(bob.run("accept", url, "--out", "x.json"), 8)
    assert line == ("tigress: this share has expired, was cancelled or "
                    "never existed")
    assert bob.state_files() == []


def test_second_recipient_refused(devices, pi_file):
    alice, bob, carol = devices(), devices(), devices()
    url = share(alice, pi_file).strip()
    assert bob.run("accept", url).returncode == 0
    r = carol.run("accept", url)
    line = one_error_line(r, 9)
    assert line == "tigress: this share was already accepted by another device"
    assert r.stdout == ""
    assert carol.state_files() == []
    # accepting again on the first device continues with its claim
    r = bob.run("accept", url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode().rstrip(b"\n") == PI


def test_relinquish_then_another_recipient(devices, pi_file):
    alice, bob, carol = devices(), devices(), devices()
    url = share(alice, pi_file).strip()
    assert bob.run("accept", url).returncode == 0
    one_error_line(alice.run("relinquish", url), 2, "only the recipient")
    r = bob.run("relinquish", url)
    assert r.returncode == 0, r.stderr
    assert bob.state_files() == []
    r = carol.run("accept", url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode().rstrip(b"\n") == PI


def test_tampered_ciphertext_refused(devices, relay):
    """A mailbox whose ciphertext was altered (here by a Python initiator
    that flips one base64 character) is refused with exit 7."""
    from tigress_py import payload, shareurl
    key = os.urandom(32)
    obj = payload.seal(key, PI)
    data = obj["data"]
    i = len(data) // 2
    obj["data"] = data[:i] + ("A" if data[i] != "A" else "B") + data[i + 1:]
    c = relay.py_client()
    ex = c.create("7c0c8a38-5b1b-4b55-9a64-1d7a9c1b1e01",
                  {"title": "t", "description": "", "imageURL": ""}, obj)
    assert ex.status == 200, ex
    u = shareurl.parse(ex.json["urlLink"])
    url = shareurl.build(u.host, u.port, u.version, u.mailbox_id,
                         secret=key)
    bob = devices()
    never = bob.home / "never.json"
    r = bob.run("accept", url, "--out", never)
    line = one_error_line(r, 7, "the Secret does not open this payload")
    assert_no_secret(secret_of(url), line, r.stdout)
    assert not never.exists()
    c.close()


def test_wrong_secret(devices, pi_file):
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    other = base64.b64encode(os.urandom(32)).decode()
    bad = url.split("#")[0] + "#" + other
    r = bob.run("accept", bad)
    line = one_error_line(r, 7)
    assert_no_secret(other, line)


def test_secret_separately(devices, pi_file, tmp_path):
    alice, bob = devices(), devices()
    out = share(alice, pi_file, "--secret-separately", "--aead", "128")
    lines = out.splitlines()
    assert len(lines) == 2 and "#" not in lines[0]
    assert len(base64.b64decode(lines[1])) == 16
    (tmp_path / "secret").write_text(lines[1] + "\n")
    r = bob.run("accept", lines[0], "--secret-file", tmp_path / "secret")
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode().rstrip(b"\n") == PI
    one_error_line(devices().run("accept", lines[0]), 3, "no Secret")


def test_json_output_and_verbose_trace(devices, pi_file):
    alice, bob = devices(), devices()
    r = alice.run("share", "--relay", alice.relay.base_url, "--in", pi_file,
                  "--title", "T", "--json", "-v")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    url, secret = j["shareUrl"], j["secret"]
    assert url.endswith("#" + secret) and j["role"] == "initiator"
    assert os.path.exists(j["state"])
    assert "> POST https://127.0.0.1:" in r.stderr
    assert "Mailbox-Request-ID" in r.stderr
    r2 = bob.run("accept", url, "-v", "--json")
    assert r2.returncode == 0, r2.stderr
    assert json.loads(r2.stdout)["provisioningInformation"] == json.loads(PI)
    assert_no_secret(secret, r.stderr, r2.stderr)
    r3 = bob.run("preview", url, "--json")
    assert json.loads(r3.stdout)["title"] == "T"
    r4 = devices().run("accept", url, "--json")
    assert r4.returncode == 9
    err = json.loads(r4.stdout)
    assert err["error"] == "claimed" and err["exitCode"] == 9


def test_long_url_warning(relay_factory, devices, pi_file):
    """A relay whose public name is long gives share URLs over 160
    characters (too long for one SMS): share warns on stderr and still
    prints only the URL on stdout."""
    short = devices()
    r = short.run("share", "--relay", short.relay.base_url, "--in", pi_file,
                  "--title", "T")
    assert r.returncode == 0 and len(r.stdout.strip()) <= 160
    assert r.stderr == ""
    name = "a-relay-with-a-rather-long-host-name." * 2 + "example.com"
    long_relay = relay_factory("--public-url", "https://%s:8443" % name)
    dev = devices(long_relay)
    r = dev.run("share", "--relay", long_relay.base_url, "--in", pi_file,
                "--title", "T")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert r.stdout.count("\n") == 1 and len(url) > 160
    assert url.startswith("https://" + name + ":8443/v1/m/")
    assert "warning" in r.stderr and "160" in r.stderr
    assert_no_secret(secret_of(url), r.stderr)


def test_usage_and_input_errors(devices, pi_file, tmp_path):
    dev = devices()
    assert dev.run("--help", ca=False).returncode == 0
    for sub in ("share", "preview", "accept", "send", "wait", "read",
                "cancel", "relinquish"):
        r = dev.run(sub, "--help")
        assert r.returncode == 0 and r.stdout.startswith("usage: tigress")
    one_error_line(dev.run(ca=False), 2)
    one_error_line(dev.run("share", "--in", pi_file), 2)
    one_error_line(dev.run("frob", ca=False), 2)
    one_error_line(dev.run("share", "--relay", "http://x", "--in", pi_file,
                           "--title", "t"), 2)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "x"}')
    one_error_line(dev.run("share", "--relay", dev.relay.base_url, "--in",
                           bad, "--title", "t"), 3, "content")
    one_error_line(dev.run("share", "--relay", dev.relay.base_url, "--in",
                           tmp_path / "missing", "--title", "t"), 3)
    one_error_line(dev.run("accept", "https://h/v1/m/not-a-uuid#x"), 3)
    one_error_line(dev.run("read", "--state", tmp_path / "none.json"), 3)
    one_error_line(dev.run("share", "--relay", dev.relay.base_url, "--in",
                           pi_file, "--title", "x" * 300), 2, "--title")
    assert dev.state_files() == []


def test_network_and_tls_errors(devices, pi_file):
    dev = devices()
    # no --ca: the self-signed certificate is refused
    r = dev.run("share", "--relay", dev.relay.base_url, "--in", pi_file,
                "--title", "t", ca=False)
    one_error_line(r, 5, "TLS failure talking to " + dev.relay.base_url)
    # --insecure is explicit and works
    r = dev.run("share", "--relay", dev.relay.base_url, "--in", pi_file,
                "--title", "t", "--insecure", ca=False)
    assert r.returncode == 0, r.stderr
    # a closed port
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = dev.run("share", "--relay", "https://127.0.0.1:%d" % port, "--in",
                pi_file, "--title", "t", "--retries", "0")
    one_error_line(r, 4, "cannot reach the relay at https://127.0.0.1:%d"
                   % port)


def test_sct04_profile(relay_factory, devices, pi_file):
    r04 = relay_factory("--profile", "sct-04")
    alice, bob = devices(r04), devices(r04)
    url = share(alice, pi_file, "--profile", "sct-04").strip()
    # the http-00 header names are refused by an sct-04 relay
    one_error_line(bob.run("accept", url), 6, "400")
    r = bob.run("accept", url, "--profile", "sct-04", "--state",
                bob.home / "s.json")
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode().rstrip(b"\n") == PI
    # the profile is kept in the state file
    assert bob.run("read", "--state", bob.home / "s.json").returncode == 0


def test_notification_tokens(relay_factory, devices, pi_file, tmp_path):
    """--notify-type/--notify-token reach the relay: when the recipient
    sends, the relay's spool notifier wakes the initiator's token, and the
    other way round."""
    spool = tmp_path / "spool.jsonl"
    r = relay_factory("--notify-spool", spool)
    alice, bob = devices(r), devices(r)
    url = share(alice, pi_file, "--stateful", "--notify-type",
                "com.example.push", "--notify-token", "alice-token").strip()
    res = bob.run("accept", url, "--notify-type", "com.example.push",
                  "--notify-token", "bob-token")
    assert res.returncode == 0, res.stderr
    assert bob.run("send", url, "--in", pi_file).returncode == 0
    assert alice.run("send", url, "--in", pi_file).returncode == 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = spool.read_text().splitlines() if spool.exists() else []
        if len(lines) >= 2:
            break
        time.sleep(0.05)
    events = [json.loads(x) for x in lines]
    assert {e["tokenData"] for e in events} == {"alice-token", "bob-token"}
    assert all(e["type"] == "com.example.push" for e in events)
