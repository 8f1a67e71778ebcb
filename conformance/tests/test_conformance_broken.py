"""The suite must be able to fail: the broken relay (conformance/
brokenrelay) in its correct mode passes, and each of its defects makes
the cases that target it report the requirement it breaks - FAIL for a
draft requirement, WARN for a SHOULD or a tigress-ref decision."""

import base64
import json
import sys
import time
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

from brokenrelay.defects import DEFECTS  # noqa: E402
from brokenrelay.protocol import Relay, Request, error  # noqa: E402
from runner.core import catalog as catalog_mod  # noqa: E402
from runner.core import launch  # noqa: E402
from runner.relay import engine  # noqa: E402
from runner.relay.context import Options, RunState  # noqa: E402
from runner.relay.registry import CATEGORIES, REGISTRY  # noqa: E402
from tigress_py import rfc3339, uuids  # noqa: E402

CAT = catalog_mod.load()


def run(defects, patterns, draft="http-00", strict=False):
    with launch.start_broken(defects, draft) as relay:
        state = RunState(relay.base_url, relay.ca, draft, CAT, Options(),
                         strict_errata=strict)
        assert engine.preflight(state) is None
        return engine.run_cases(state, engine.select(patterns, draft))


def test_defect_table():
    assert len(DEFECTS) >= 15
    assert {d.category for d in DEFECTS.values()} == set(CATEGORIES)
    assert sum(d.verdict == "FAIL" for d in DEFECTS.values()) >= 15
    for d in DEFECTS.values():
        assert d.breaks in CAT, d.name
        assert d.verdict == CAT.verdict(d.breaks), d.name
        for c in d.cases:
            assert c in REGISTRY, (d.name, c)
        assert any(d.breaks in REGISTRY[c].requirements for c in d.cases), \
            "%s: no case of %s cites %s" % (d.name, d.cases, d.breaks)


def test_correct_mode_passes():
    results = run([], None, strict=True)     # our decisions too
    bad = [(r.id, r.verdict, r.line) for r in results
           if r.verdict in ("FAIL", "ERROR", "WARN")]
    assert bad == []
    assert len(results) >= 70
    assert {r.verdict for r in results} <= {"PASS", "UNSUPPORTED", "INFO"}


# The EXPLORE defects are found only by exploration, whose finding cites
# what the sequence met first: tests/test_explore.py shows each is found.
@pytest.mark.parametrize("name", [n for n, d in DEFECTS.items()
                                  if d.category != "EXPLORE"])
def test_defect_is_caught(name):
    d = DEFECTS[name]
    results = run([name], list(d.cases), d.draft)
    assert results, "no case ran"
    hits = [(r.id, f.line()) for r in results for f in r.findings
            if f.verdict == d.verdict and d.breaks in f.requirements]
    verdicts = {r.id: (r.verdict, r.line) for r in results}
    assert hits, "%s not reported as %s on %s: %s" % (
        name, d.verdict, d.breaks, verdicts)
    if d.verdict == "WARN":
        # a WARN-level defect never makes the relay FAIL
        assert all(r.verdict != "FAIL" for r in results), verdicts
    else:
        assert any(r.verdict == "FAIL" for r in results), verdicts


# -- the broken relay without the network (also what issue 6 builds on) --------------

def _req(method, path, headers=None, body=b""):
    return Request(method, path, {k.lower(): v for k, v in
                                  (headers or {}).items()}, body)


def _create(relay, claim, rid="r1"):
    body = json.dumps({
        "payload": {"type": "AEAD_AES_128_GCM",
                    "data": base64.b64encode(b"x" * 40).decode()},
        "displayInformation": {"title": "t", "description": "d",
                               "imageURL": "https://example.com/i.png"},
        "mailboxConfiguration": {"expiration": rfc3339.format(
            int(time.time()) + 600), "accessRights": "RWD"},
    }).encode()
    return relay.handle(_req("POST", "/v1/m", {
        "Mailbox-Device-Claim": claim, "Mailbox-Request-ID": rid,
        "Content-Type": "application/json"}, body))


def test_protocol_records_and_injects_faults():
    relay = Relay()
    seen = []
    relay.observers.append(lambda req, resp: seen.append((req.method,
                                                          resp.status)))
    claim = uuids.new_v4()
    r = _create(relay, claim)
    assert r.status == 200 and seen == [("POST", 200)]
    assert ("Mailbox-Request-ID", "r1") in r.headers
    assert _create(relay, claim).status == 201          # the same request id
    mid = json.loads(r.body)["urlLink"].rsplit("/", 1)[-1]
    relay.interceptors.append(
        lambda req: error(503, "capacity") if req.method == "GET" else None)
    r = relay.handle(_req("GET", "/v1/m/" + mid))
    assert r.status == 503 and seen[-1] == ("GET", 503)
    r = relay.handle(_req("POST", "/v1/m/" + mid,
                          {"Mailbox-Device-Claim": uuids.new_v4()}))
    assert r.status == 200 and seen[-1] == ("POST", 200)


def test_protocol_unknown_defect_refused():
    with pytest.raises(ValueError):
        Relay(["no-such-defect"])
