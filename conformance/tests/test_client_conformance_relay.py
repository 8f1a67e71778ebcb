"""The client suite's instruments: the test relay's fault injection and
recording (in process and through the control endpoint of a brokenrelay
process), and the search for a Secret in what a client sent."""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

from runner.core import launch  # noqa: E402
from runner.client.secretscan import find_secret, forms  # noqa: E402
from runner.client.testrelay import TestRelay  # noqa: E402
from runner.interop.matrix import Control  # noqa: E402
from tigress_py import payload as tpayload, rfc3339, uuids  # noqa: E402
from tigress_py.client import RelayClient  # noqa: E402

DISPLAY = {"title": "T", "description": "", "imageURL": ""}


def create(c, rid=None, claim=None):
    return c.create(claim or uuids.new_v4(), DISPLAY,
                    tpayload.seal(os.urandom(32), b'{"format":"x","content":{}}'),
                    config={"expiration": rfc3339.format(int(time.time()) + 600),
                            "accessRights": "RWD"}, request_id=rid)


@pytest.fixture()
def relay(tmp_path):
    with TestRelay(tmp_path) as r:
        yield r


def test_records_every_request_as_sent(relay):
    with RelayClient(relay.base_url, ca=relay.ca) as c:
        ex = create(c)
        assert ex.status == 200
        mid = ex.json["urlLink"].rsplit("/", 1)[-1]
        c.read_display(mid, headers={"X-Odd": "yes"})
    recs = relay.records()
    assert [(r["method"], r["status"]) for r in recs] == [("POST", 200),
                                                          ("GET", 200)]
    assert recs[0]["target"] == "/v1/m"
    assert json.loads(recs[0]["body"]["data"])["displayInformation"] == DISPLAY
    assert ["X-Odd", "yes"] in recs[1]["headers"]
    assert relay.mailbox_ids() == [mid]


def test_drop_response_applies_then_closes(relay):
    relay.faults.add("drop-response", op="create")
    with RelayClient(relay.base_url, ca=relay.ca) as c:
        rid, claim = uuids.new_v4(), uuids.new_v4()
        ex = create(c, rid, claim)
        assert ex.status is None and ex.transport_error      # no answer
        assert len(relay.mailbox_ids()) == 1                 # but applied
        again = create(c, rid, claim)                        # the retry
        assert again.status == 201
    recs = relay.records()
    assert recs[0]["aborted"] == "drop" and recs[0]["status"] == 200
    assert "drop-response" in recs[0]["fault"]
    assert len(relay.mailbox_ids()) == 1


def test_reset_before_applying(relay):
    relay.faults.add("reset", op="create")
    with RelayClient(relay.base_url, ca=relay.ca) as c:
        ex = create(c)
        assert ex.status is None
        assert relay.mailbox_ids() == []                     # not applied
        assert create(c).status == 200                       # once only
    assert relay.records()[0]["aborted"] == "reset"
    assert relay.records()[0]["status"] is None


def test_status_delay_and_wrong_echo(relay):
    relay.faults.add("status", op="create", status=503)
    relay.faults.add("delay", op="create", seconds=0.6)
    relay.faults.add("wrong-echo", op="create")
    with RelayClient(relay.base_url, ca=relay.ca) as c:
        ex = create(c)
        assert ex.status == 503 and relay.mailbox_ids() == []
        t0 = time.monotonic()
        ex = create(c)
        assert ex.status == 200 and time.monotonic() - t0 >= 0.55
        ex = create(c)
        assert ex.status == 200
        assert ex.header("Mailbox-Request-ID") != ex.request_header(
            "Mailbox-Request-ID")
        ex = create(c)                                       # no fault left
        assert ex.header("Mailbox-Request-ID") == ex.request_header(
            "Mailbox-Request-ID")
    assert relay.faults.pending() == []


def test_faults_only_for_their_operation(relay):
    relay.faults.add("status", op="read", status=500, count=2)
    with RelayClient(relay.base_url, ca=relay.ca) as c:
        ex = create(c)
        assert ex.status == 200
        mid = ex.json["urlLink"].rsplit("/", 1)[-1]
        assert c.read(mid, uuids.new_v4()).status == 500
        assert c.read_display(mid).status == 200
        assert c.read(mid, uuids.new_v4()).status == 500
        assert c.read(mid, uuids.new_v4()).status == 200
    with pytest.raises(ValueError):
        relay.faults.add("explode")


def test_control_endpoint_of_a_relay_process(tmp_path):
    with launch.start_broken([], extra=["--control", "127.0.0.1:0"]) as r:
        assert r.control and r.control.startswith("http://127.0.0.1:")
        ctl = Control(r.control)
        ctl.fault("drop-response", op="create")
        with RelayClient(r.base_url, ca=r.ca) as c:
            rid, claim = uuids.new_v4(), uuids.new_v4()
            assert create(c, rid, claim).status is None
            ex = create(c, rid, claim)
            assert ex.status == 201
            mid = ex.json["urlLink"].rsplit("/", 1)[-1]
            p = ctl.mailbox(mid)["payload"]
            bad = dict(p, data=base64.b64encode(bytes(40)).decode())
            ctl.set_payload(mid, bad)
            rd = c.read(mid, uuids.new_v4())
            assert rd.json["payload"] == bad
        recs = ctl.requests()
        assert [x["status"] for x in recs] == [200, 201, 200]
        assert recs[0]["aborted"] == "drop"
        assert ctl.requests(since=recs[1]["seq"]) == recs[2:]
        assert ctl._call("GET", "/faults")["faults"] == []
        with pytest.raises(RuntimeError):
            ctl.fault("no-such-fault")
    # only loopback may be bound
    from brokenrelay.control import ControlServer
    with pytest.raises(ValueError):
        ControlServer(("0.0.0.0", 0), None, None, None)


@pytest.mark.parametrize("n", [16, 32])
def test_secret_found_in_every_form(n):
    s = secrets.token_bytes(n)
    std = base64.b64encode(s).decode()
    url = base64.urlsafe_b64encode(s).decode().rstrip("=")
    cases = {
        "target": {"target": "/v1/m/x?k=" + urllib.parse.quote(std, safe="")},
        "header": {"headers": [["Referer", "https://h/v1/m/x#" + url]]},
        "hex": {"headers": [["X-K", s.hex().upper()]]},
        "inside": {"body": {"encoding": "utf-8", "data": json.dumps(
            {"k": base64.b64encode(b"xy" + s + b"z").decode()})}},
        "escaped": {"body": {"encoding": "utf-8",
                             "data": json.dumps({"k": std}).replace(
                                 "/", "\\/")}},
        "raw": {"body": {"encoding": "base64", "data": base64.b64encode(
            b"head" + s + b"tail").decode()}},
    }
    for name, rec in cases.items():
        rec.setdefault("target", "/v1/m")
        assert find_secret(rec, s), name
    clean = {"target": "/v1/m/x", "headers": [["A", std[::-1]]],
             "body": {"encoding": "utf-8", "data": "{}"}}
    assert find_secret(clean, s) == []
    assert all(len(f) >= 20 for f in forms(s).values())
