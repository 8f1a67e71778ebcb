"""A retry after a dropped response (http-00 §5.1, errata E-DUP-201-BODY):
a fault-injecting proxy forwards the first create request to the relay and
closes the client's connection instead of relaying the answer.  The client
sends the request again with the same Mailbox-Request-ID, the relay answers
201 with the original body, and exactly one mailbox exists."""

from cli_helpers import FaultProxy


def test_retry_after_dropped_response(relay_factory, devices, pi_file):
    relay = relay_factory()
    proxy = FaultProxy(relay)
    try:
        dev = devices(relay)
        r = dev.run("share", "--relay", proxy.base_url, "--in", pi_file,
                    "--title", "Retry", "-v")
        assert r.returncode == 0, r.stderr
        url = r.stdout.strip()
        creates = [s for s in proxy.seen if s[1] == "/v1/m"]
        assert len(creates) == 2, proxy.seen
        (m1, _, rid1, st1, drop1), (m2, _, rid2, st2, drop2) = creates
        assert drop1 and not drop2
        assert rid1 and rid1 == rid2            # the same Request-ID
        assert (st1, st2) == (200, 201)         # 201: the original's body
        assert "[retry]" in r.stderr
        ids = relay.mailbox_ids()
        assert len(ids) == 1, ids               # exactly one mailbox
        assert ids[0] in url
        # and the share works
        r = devices(relay).run("accept", url)
        assert r.returncode == 0, r.stderr
    finally:
        proxy.close()


def test_retries_exhausted_is_network_error(relay_factory, devices, pi_file):
    """A relay that never answers (the proxy drops every create): after
    --retries the client gives up with exit 4, all tries one Request-ID."""
    relay = relay_factory()
    proxy = FaultProxy(relay)
    proxy.drop_all = True
    try:
        dev = devices(relay)
        r = dev.run("share", "--relay", proxy.base_url, "--in", pi_file,
                    "--title", "T", "--retries", "2")
        assert r.returncode == 4, r.stderr
        assert r.stderr.startswith("tigress: cannot reach the relay at "
                                   + proxy.base_url)
        creates = [s for s in proxy.seen if s[1] == "/v1/m"]
        rids = {s[2] for s in creates}
        assert len(creates) == 3 and len(rids) == 1
        assert len(relay.mailbox_ids()) == 1    # replays created nothing
        assert dev.state_files() == []
    finally:
        proxy.close()


def test_answer_without_request_id_refused(relay_factory, devices, pi_file):
    """http-00 §5.1: the originator SHALL match the echoed
    Mailbox-Request-ID.  Through a proxy that strips the header from the
    relay's answers, share is refused (exit 6) although the relay said
    200, and no state file is kept; the same share straight to the relay
    works."""
    relay = relay_factory()
    proxy = FaultProxy(relay)
    proxy.drop_creates = False
    proxy.strip_request_id = True
    try:
        dev = devices(relay)
        r = dev.run("share", "--relay", proxy.base_url, "--in", pi_file,
                    "--title", "T", "--retries", "0")
        assert r.returncode == 6, (r.returncode, r.stderr)
        assert r.stdout == ""
        assert r.stderr == ("tigress: the relay at %s answered (200) without "
                            "the request's Mailbox-Request-ID (http-00 "
                            "section 5.1)\n" % proxy.base_url)
        creates = [s for s in proxy.seen if s[1] == "/v1/m"]
        assert creates and creates[0][3] == 200     # the relay did create
        assert dev.state_files() == []
        r = dev.run("share", "--relay", relay.base_url, "--in", pi_file,
                    "--title", "T")
        assert r.returncode == 0, r.stderr
    finally:
        proxy.close()
