"""What a stranger meets (issue 12): a mistyped link that can be
corrected, the share URL kept out of `ps`, state files that go away when
the share is over, `tigress status`, and one precise line with a
documented exit code for each user error."""

import base64
import datetime
import json
import os

from cli_helpers import PI, assert_no_secret, one_error_line, secret_of, \
    share


def wrong_link(url):
    """The same share URL with another (random) Secret."""
    return url.split("#")[0] + "#" + base64.b64encode(os.urandom(32)).decode()


def test_wrong_link_then_right_link_same_device(devices, pi_file, tmp_path):
    """accept with a mistyped Secret binds the device and fails (7);
    accepting again with the right link from the same device reuses its
    claim and replaces the kept Secret, so it just works."""
    alice, bob, carol = devices(), devices(), devices()
    url = share(alice, pi_file).strip()
    bad = wrong_link(url)
    r = bob.run("accept", bad)
    line = one_error_line(r, 7, "run accept again with the right one")
    assert_no_secret(secret_of(bad), line)
    claim = json.loads(bob.state().read_text())["claim"]
    # the relay bound bob: another device is refused
    one_error_line(carol.run("accept", url), 9)
    got = tmp_path / "got.json"
    r = bob.run("accept", url, "--out", got, "-v")
    assert r.returncode == 0, r.stderr
    assert got.read_bytes() == PI
    assert "reusing its claim" in r.stderr
    st = json.loads(bob.state().read_text())
    assert st["claim"] == claim
    assert st["secret"] == secret_of(url)       # the right Secret now
    # and later commands work with it
    r = bob.run("read", url)
    assert r.returncode == 0 and r.stdout.encode().rstrip(b"\n") == PI


def test_wrong_relay_port_then_right_link(devices, pi_file, tmp_path):
    """accept with a link whose relay port is dead fails (4) but keeps
    the claim it saved; the right link then takes its place (same claim,
    the new URL) instead of "another share" (3)."""
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    dead = url.replace(alice.relay.base_url, "https://127.0.0.1:1")
    one_error_line(bob.run("accept", dead, "--retries", "0"), 4)
    claim = json.loads(bob.state().read_text())["claim"]
    got = tmp_path / "got.json"
    r = bob.run("accept", url, "--out", got)
    assert r.returncode == 0, r.stderr
    assert got.read_bytes() == PI
    st = json.loads(bob.state().read_text())
    assert st["claim"] == claim
    assert st["mailboxUrl"] == url.split("?")[0].split("#")[0]
    # once read there, a link to another relay is another share
    one_error_line(bob.run("accept", dead, "--retries", "0"), 3,
                   "is for another share")


def test_accept_says_what_it_wrote(devices, pi_file, tmp_path):
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    got = tmp_path / "got.json"
    r = bob.run("accept", url, "--out", got)
    assert r.returncode == 0 and r.stdout == ""
    assert r.stderr == ("tigress: wrote the Provisioning Information "
                        "(digitalwallet.carkey.ccc, %d bytes) to %s\n"
                        % (len(PI), got))
    r = bob.run("accept", url, "--delete")
    assert r.returncode == 0
    assert r.stderr.endswith("to standard output; the mailbox was "
                             "deleted\n"), r.stderr


def test_output_to_a_pipe_keeps_its_mode(devices, pi_file, tmp_path):
    """--out on a FIFO (as on /dev/null): written to, its mode untouched
    (a new file is 0600; a device or pipe is shared by others)."""
    import stat
    import threading
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo, 0o644)
    os.chmod(fifo, 0o644)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = bob.run("accept", url, "--out", fifo)
    reader.join(30)
    assert r.returncode == 0, r.stderr
    assert got and got[0].rstrip(b"\n") == PI
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o644
    new = tmp_path / "new.json"
    assert bob.run("read", url, "--out", new).returncode == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o600


def test_share_url_from_stdin_or_file(devices, pi_file, tmp_path):
    """The share URL (and its Secret) need not be an argument, where `ps`
    shows it: "-" reads it from standard input, --url-file from a file."""
    alice, bob = devices(), devices()
    url = share(alice, pi_file, "--stateful").strip()
    r = bob.run("accept", "-", input="\n  " + url + "\r\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode().rstrip(b"\n") == PI
    link = tmp_path / "link.txt"
    link.write_text(url + "\n")
    r = bob.run("read", "--url-file", link)
    assert r.returncode == 0 and r.stdout.encode().rstrip(b"\n") == PI
    r = bob.run("preview", "--url-file", link)
    assert r.returncode == 0 and "title: Car key" in r.stdout
    link.write_text(url + "\n" + url + "\n")
    one_error_line(bob.run("read", "--url-file", link), 3, "one line")
    one_error_line(bob.run("accept", "-", input=""), 3, "standard input")
    one_error_line(bob.run("accept", "-", "--secret-file", "-", input=url),
                   2, "both")


def test_state_removed_when_the_share_is_over(devices, pi_file):
    """cancel, relinquish and accept --delete remove the state file; a
    party that finds the share gone (404) removes its own."""
    alice, bob = devices(), devices()
    url = share(alice, pi_file, "--stateful").strip()
    assert bob.run("accept", url).returncode == 0
    assert len(alice.state_files()) == 1 and len(bob.state_files()) == 1
    assert bob.run("cancel", url).returncode == 0       # the recipient, D
    assert bob.state_files() == []
    line = one_error_line(alice.run("wait", url, "--timeout", "5"), 8)
    assert line == ("tigress: this share has expired, was cancelled or "
                    "never existed (its state file was removed)")
    assert alice.state_files() == []
    # a share whose recipient deleted it on accept
    url = share(alice, pi_file).strip()
    assert bob.run("accept", url, "--delete").returncode == 0
    assert bob.state_files() == []
    one_error_line(alice.run("read", url), 8, "state file was removed")
    assert alice.state_files() == []


def test_accept_delete_keeps_the_share_when_out_fails(devices, pi_file,
                                                     tmp_path):
    """accept --delete whose --out cannot be written fails (1) and keeps
    the mailbox and the state file, so a rerun with a good --out gets the
    credential and only then deletes the mailbox."""
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    mid = url.split("/v1/m/")[1].split("#")[0]
    r = bob.run("accept", url, "--delete", "--out", tmp_path / "no" / "k")
    one_error_line(r, 1, "the mailbox and the state file were kept")
    assert mid in bob.relay.mailbox_ids()
    assert len(bob.state_files()) == 1
    got = tmp_path / "got.json"
    r = bob.run("accept", url, "--delete", "--out", got)
    assert r.returncode == 0, r.stderr
    assert got.read_bytes() == PI
    assert mid not in bob.relay.mailbox_ids() and bob.state_files() == []


def test_share_over_the_file_size_limit_leaves_nothing(devices, pi_file):
    """Under `ulimit -f 0` the state cannot be written: share is not
    killed (SIGXFSZ) between the create and the save, but fails (1),
    deletes the mailbox again and leaves no temporary file."""
    import resource
    import subprocess
    from cli_helpers import CLIENT
    alice = devices()
    before = alice.relay.mailbox_ids()

    def no_file_growth():
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    r = subprocess.run([str(CLIENT), "share", "--relay",
                        alice.relay.base_url, "--in", str(pi_file), "--title",
                        "Car key", "--ca", alice.relay.ca], env=alice.env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60, preexec_fn=no_file_growth)
    one_error_line(r, 1, "the mailbox was deleted again")
    assert r.stdout == ""
    assert alice.relay.mailbox_ids() == before
    assert list(alice.state_dir.iterdir()) == []


def test_initiator_state_goes_when_the_share_is_over(devices, pi_file):
    """A share made without --expires: its state records the relay's
    default lifetime (/.well-known/tigress), and once the recipient has
    deleted the mailbox on accept, `status --prune` asks the relay (404)
    and removes the initiator's state, Secret and all."""
    import time
    alice, bob = devices(), devices()
    before = int(time.time())
    url = share(alice, pi_file).strip()
    st = json.loads(alice.state().read_text())
    exp = int(datetime.datetime.strptime(
        st["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp())
    assert before + 86400 <= exp <= int(time.time()) + 86400 + 2
    r = alice.run("status", ca=False)
    assert st["expiration"] in r.stdout and "unknown" not in r.stdout
    assert bob.run("accept", url, "--delete").returncode == 0
    live = share(alice, pi_file, "--expires", "1h").strip()
    r = alice.run("status", "--prune", ca=False)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ("tigress: removed %s (the relay no longer has the "
                        "share: cancelled, deleted or expired)\n" % (
                            alice.state_dir / (url.split("/v1/m/")[1].split(
                                "#")[0] + ".initiator.json")))
    assert [f.name.split(".")[0] for f in alice.state_files()] == [
        live.split("/v1/m/")[1].split("#")[0]]   # the live one is kept
    # a relay that cannot be asked: its share is kept, exit 4
    kept = json.loads(alice.state().read_text())
    kept["mailboxUrl"] = kept["mailboxUrl"].replace(
        alice.relay.base_url, "https://127.0.0.1:1")
    gone_relay = alice.state_dir / "unreachable.json"
    gone_relay.write_text(json.dumps(kept))
    gone_relay.chmod(0o600)
    r = alice.run("status", "--prune", "--retries", "0", ca=False)
    assert r.returncode == 4, r.stderr
    assert r.stderr.splitlines() == [
        "tigress: kept %s: cannot reach the relay at https://127.0.0.1:1: "
        "cannot connect (Connection refused)" % gone_relay,
        "tigress: 1 share kept: its relay could not be asked (above)"]
    assert len(alice.state_files()) == 2
    assert bob.state_files() == []


def test_share_sends_nothing_without_a_state_directory(devices, pi_file,
                                                        tmp_path):
    """A state file that cannot be written is found before the create:
    exit 1, one line, no request, no mailbox left on the relay."""
    dev = devices()
    before = dev.relay.mailbox_ids()
    plain = tmp_path / "plain"
    plain.write_text("")
    for env, where, why in (
            ({"HOME": str(tmp_path / "nohome")}, tmp_path / "nohome" /
             ".tigress", "No such file or directory"),
            ({"TIGRESS_STATE_DIR": str(plain)}, plain, "Not a directory")):
        dev.env.pop("TIGRESS_STATE_DIR", None)
        dev.env.update(env)
        args = ("share", "--relay", dev.relay.base_url, "--in", pi_file,
                "--title", "Car key")
        line = one_error_line(dev.run(*args), 1)
        assert line == ("tigress: cannot write a state file in %s: %s "
                        "(choose another with TIGRESS_STATE_DIR or --state; "
                        "nothing was sent to the relay)" % (where, why))
        assert "> POST" not in dev.run(*args, "-v").stderr
    line = one_error_line(dev.run(*args, "--state", plain / "s.json"), 1)
    assert line == ("tigress: cannot write the state file %s: Not a "
                    "directory (nothing was sent to the relay)" % (
                        plain / "s.json"))
    assert dev.relay.mailbox_ids() == before


def test_a_mistyped_mailbox_id_may_never_have_existed(devices, pi_file):
    alice, bob = devices(), devices()
    url = share(alice, pi_file).strip()
    mid = url.split("/v1/m/")[1].split("#")[0]
    typo = url.replace(mid, mid[:-1] + ("0" if mid[-1] != "0" else "1"))
    for cmd in ("accept", "preview"):
        line = one_error_line(bob.run(cmd, typo), 8)
        assert line == ("tigress: this share has expired, was cancelled or "
                        "never existed")
    assert bob.state_files() == []
    r = bob.run("--help", ca=False)
    assert "8  the share expired, was cancelled or never existed" in r.stdout


def test_status_lists_and_prunes(devices, pi_file):
    alice = devices()
    r = alice.run("status", ca=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "no shares kept in %s\n" % alice.state_dir
    url = share(alice, pi_file, "--expires", "1h").strip()
    mid = url.split("/v1/m/")[1].split("#")[0]
    r = alice.run("status", ca=False)
    assert r.returncode == 0, r.stderr
    head, row = r.stdout.splitlines()
    assert head.split() == ["MAILBOX", "ROLE", "EXPIRES", "RELAY"]
    assert row.split()[:2] == [mid, "initiator"]
    assert row.split()[-1] == alice.relay.base_url
    assert secret_of(url) not in r.stdout
    # an expired share's state (written as a relay's past expiration)
    current = alice.state()
    st = json.loads(current.read_text())
    st["expiration"] = "2020-01-01T00:00:00Z"
    old = alice.state_dir / "old.json"
    old.write_text(json.dumps(st))
    old.chmod(0o600)
    r = alice.run("status", "--json", ca=False)
    j = json.loads(r.stdout)
    by_file = {s["state"]: s for s in j["shares"]}
    assert by_file[str(old)]["expired"] is True
    assert by_file[str(current)]["expired"] is False
    assert all(s["mailboxId"] == mid for s in j["shares"])
    assert "secret" not in r.stdout
    r = alice.run("status", "--prune", ca=False)
    assert r.returncode == 0
    assert r.stderr == ("tigress: removed %s (the share expired "
                        "2020-01-01T00:00:00Z)\n" % old)
    assert len(r.stdout.splitlines()) == 2        # the table: the live one
    assert not old.exists() and len(alice.state_files()) == 1
    # a file that is not a state file: named, exit 3
    (alice.state_dir / "notes.json").write_text("{}")
    (alice.state_dir / "notes.json").chmod(0o600)
    r = alice.run("status", ca=False)
    assert r.returncode == 3 and mid in r.stdout
    assert "cannot use the state file %s: not a tigress state file" % (
        alice.state_dir / "notes.json") in r.stderr
    assert r.stderr.endswith("1 of the 2 files in %s cannot be used "
                             "(above)\n" % alice.state_dir)
    r = alice.run("status", "--json", ca=False)     # still one object
    assert r.returncode == 3
    assert json.loads(r.stdout)["unusable"][0]["message"] == \
        "not a tigress state file"
    one_error_line(alice.run("status", url, ca=False), 2, "no share URL")


def test_precise_messages(devices, pi_file, tmp_path):
    dev = devices()
    base = ["share", "--relay", dev.relay.base_url, "--in", pi_file,
            "--title", "t"]
    # the --ca file: missing or not PEM is bad input (3), not TLS (5)
    line = one_error_line(dev.run(*base, "--ca", tmp_path / "none.pem",
                                  ca=False), 3)
    assert line == ("tigress: --ca %s: cannot read it: No such file or "
                    "directory" % (tmp_path / "none.pem"))
    one_error_line(dev.run(*base, "--ca", pi_file, ca=False), 3,
                   "no PEM certificate in it")
    one_error_line(dev.run(*base, "--ca", tmp_path, ca=False), 3,
                   "a directory")
    # network and TLS failures in plain words, not libcurl's
    line = one_error_line(dev.run(*base, ca=False), 5)
    assert line == ("tigress: TLS failure talking to %s: its certificate is "
                    "not trusted: self-signed certificate (give the relay's "
                    "CA certificate with --ca FILE)" % dev.relay.base_url)
    line = one_error_line(dev.run("share", "--relay", "https://127.0.0.1:1",
                                  "--in", pi_file, "--title", "t",
                                  "--retries", "0"), 4)
    assert line == ("tigress: cannot reach the relay at https://127.0.0.1:1:"
                    " cannot connect (Connection refused)")
    # JSON errors say where
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "x",\n "content": {]}')
    line = one_error_line(dev.run("share", "--relay", dev.relay.base_url,
                                  "--in", bad, "--title", "t"), 3)
    assert line.startswith("tigress: %s is not JSON: line 2, column " % bad)
    # which required option is missing
    one_error_line(dev.run("share", "--relay", dev.relay.base_url, "--in",
                           pi_file), 2, "share needs --title TEXT")
    one_error_line(dev.run("accept"), 2, "accept needs the share URL (")
    one_error_line(dev.run("accept", "--state", tmp_path / "s.json"), 2,
                   "--state only names")
    line = one_error_line(dev.run("preview", "not a url"), 3)
    assert line == ("tigress: not a share URL (expected https://HOST[:PORT]"
                    "/v1/m/MAILBOX-ID[?v=a|h|c]#SECRET)")
    one_error_line(dev.run("preview", "http://h/v1/m/x"), 3,
                   "scheme is not https")
    assert dev.state_files() == []


def test_preview_prints_only_what_is_there(devices, pi_file):
    alice, bob = devices(), devices()
    r = alice.run("share", "--relay", alice.relay.base_url, "--in", pi_file,
                  "--title", "Car key")
    url = r.stdout.strip()
    r = bob.run("preview", url)
    assert r.returncode == 0, r.stderr
    keys = [ln.split(":", 1)[0] for ln in r.stdout.splitlines()]
    assert keys == ["title", "url"], r.stdout
    url = share(alice, pi_file, "--image", "https://example.com/car.png")
    r = bob.run("preview", url.strip())
    assert "image: https://example.com/car.png\n" in r.stdout
    # a creator's terminal commands and reordering characters reach the
    # terminal as '?' (errata E-DISPLAY-UNTRUSTED); --json keeps them
    hostile = "Car\x1b]0;owned\x07\x1b[2J key\r\x9b6n\u202eyek\u2066!"
    r = alice.run("share", "--relay", alice.relay.base_url, "--in", pi_file,
                  "--title", hostile)
    assert r.returncode == 0, r.stderr
    hostile_url = r.stdout.strip()
    r = bob.run("preview", hostile_url)
    assert r.returncode == 0, r.stderr
    title = r.stdout.splitlines()[0]
    assert title.endswith(" key?6n?yek?!"), title    # ref-relay drops C0
    assert not [c for c in r.stdout if c != "\n" and (
        c < " " or "\x7f" <= c <= "\x9f" or c in "\u202e\u2066")], r.stdout
    r = bob.run("preview", hostile_url, "--json")
    assert "\x9b6n\u202eyek\u2066" in json.loads(r.stdout)["title"]


def test_version_and_help(devices):
    dev = devices()
    r = dev.run("--version", ca=False)
    assert r.returncode == 0 and r.stdout.startswith("tigress 1.0 ")
    assert "draft-vinokurov-tigress-http-00" in r.stdout
    r = dev.run("--help", ca=False)
    assert "Examples:" in r.stdout and "Exit codes:" in r.stdout
    for code in range(11):
        assert "\n  %2d  " % code in r.stdout
    r = dev.run("status", "--help", ca=False)
    assert r.returncode == 0 and "--prune" in r.stdout


def _answering_server(relay, status, ctype, body):
    """A TLS server with the relay's certificate that answers every GET
    with status, ctype and body (echoing the Mailbox-Request-ID), as a
    misrouted proxy or another server in front of the relay would."""
    import http.server
    import ssl
    import threading

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Mailbox-Request-ID",
                             self.headers.get("Mailbox-Request-ID", ""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(relay.data_dir / "cert.pem",
                        relay.data_dir / "key.pem")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_prune_keeps_state_unless_the_relay_says_404(devices, pi_file):
    """status --prune removes a state only on a 404 with the relay's JSON
    error body; an HTML 404, a 410 or a 5xx keeps it (exit 6, said)."""
    alice = devices()
    share(alice, pi_file, "--expires", "1h")
    kept = json.loads(alice.state().read_text())
    cases = [(404, "text/html", b"<html>Not Found</html>", True),
             (410, "application/json", b'{"error":"gone"}', True),
             (503, "application/json", b'{"error":"busy"}', True),
             (404, "application/json; charset=utf-8",
              b'{"error":"not-found","message":"no such mailbox"}', False)]
    for status, ctype, body, keep in cases:
        srv = _answering_server(alice.relay, status, ctype, body)
        try:
            st = dict(kept, mailboxUrl=kept["mailboxUrl"].replace(
                alice.relay.base_url, "https://127.0.0.1:%d"
                % srv.server_address[1]))
            f = alice.state_dir / "elsewhere.json"
            f.write_text(json.dumps(st))
            f.chmod(0o600)
            r = alice.run("status", "--prune", "--retries", "0", ca=False)
        finally:
            srv.shutdown()
            srv.server_close()
        assert f.exists() == keep, (status, ctype, r.stderr)
        if keep:
            assert r.returncode == 6, (status, r.stderr)
            assert "kept %s: the relay" % f in r.stderr, r.stderr
        else:
            assert r.returncode == 0, r.stderr
