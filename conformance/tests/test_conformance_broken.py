"""The suite must be able to fail: the broken relay (conformance/
brokenrelay) in its correct mode passes, and each of its defects makes
the cases that target it report the requirement it breaks - FAIL for a
draft requirement, WARN for a SHOULD or a tigress-ref decision.  And the
verdicts can be trusted: one missing behaviour is one root cause, a failed
precondition is no FAIL of the case's own, a relay killed by a case is
blamed on that case and the cases after it are unreliable, and a relay of
the other profile gets a hint."""

import base64
import json
import shutil
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack
from io import StringIO
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

from brokenrelay.defects import DEFECTS  # noqa: E402
from brokenrelay.protocol import Relay, Request, error  # noqa: E402
from runner.core import catalog as catalog_mod  # noqa: E402
from runner import cli  # noqa: E402
from runner.core import launch, report  # noqa: E402
from runner.core import engine as core_engine  # noqa: E402
from runner.explore.cli import ExploreOptions  # noqa: E402
from runner.explore.runner import replay  # noqa: E402
from runner.explore.steps import Step  # noqa: E402
from runner.explore.wire import Target  # noqa: E402
from runner.relay import canary, engine  # noqa: E402
from runner.relay.context import Options, RelayContext, RunState  # noqa: E402
from runner.relay.registry import CATEGORIES, REGISTRY  # noqa: E402
from tigress_py import rfc3339, uuids  # noqa: E402

CAT = catalog_mod.load()
# THREAT-ID-GUESS with 256 creations, not 1024: enough for a counter's
# sequence, the 500s under load and clean statistics of a good generator
# (ref-relay's runs keep the full sample), and a quarter of the time.
OPTIONS = Options(id_sample=256)


def run_on(url, ca, patterns, draft="http-00", strict=False):
    state = RunState(url, ca, draft, CAT, OPTIONS, strict_errata=strict)
    assert engine.preflight(state) is None
    return engine.run_cases(state, engine.select(patterns, draft))


def run(defects, patterns, draft="http-00", strict=False):
    """The cases against a broken relay started for them alone."""
    with launch.start_broken(defects, draft) as relay:
        return run_on(relay.base_url, relay.ca, patterns, draft, strict)


@pytest.fixture(scope="module")
def each():
    """draft -> one broken-relay process serving a relay of its own to
    each test below that takes it: the correct one ("none") and one per
    defect.  Each relay serves one test only, as if started for it, but
    40 processes' start-up is not paid for (about 0.2 s of CPU each)."""
    names: dict = {"http-00": ["none"]}
    for n, d in DEFECTS.items():
        if d.category != "EXPLORE":
            names.setdefault(d.draft, []).append(n)
    with ExitStack() as stack:
        yield {draft: stack.enter_context(launch.start_broken_each(ns, draft))
               for draft, ns in names.items()}


def summary(results) -> report.Run:
    return report.Run("brokenrelay", "http-00", results, CAT, 0, 0)


def test_defect_table():
    assert len(DEFECTS) >= 15
    assert {d.category for d in DEFECTS.values()} == set(CATEGORIES)
    assert sum(d.verdict == "FAIL" for d in DEFECTS.values()) >= 15
    for d in DEFECTS.values():
        assert d.breaks in CAT, d.name
        assert all(r in CAT for r in d.also), d.name
        assert d.verdict == CAT.verdict(d.breaks), d.name
        for c in d.cases:
            assert c in REGISTRY, (d.name, c)
        assert any(d.breaks in REGISTRY[c].requirements for c in d.cases), \
            "%s: no case of %s cites %s" % (d.name, d.cases, d.breaks)


def test_correct_mode_passes(each):
    r = each["http-00"]
    results = run_on(r.urls["none"], r.ca, None, strict=True)  # ours too
    bad = [(r.id, r.verdict, r.line) for r in results
           if r.verdict in ("FAIL", "ERROR", "WARN")]
    assert bad == []
    assert len(results) >= 70
    assert {r.verdict for r in results} <= {"PASS", "UNSUPPORTED", "INFO"}


# The EXPLORE defects are found only by exploration, whose finding cites
# what the sequence met first: tests/test_explore.py shows each is found.
@pytest.mark.parametrize("name", [n for n, d in DEFECTS.items()
                                  if d.category != "EXPLORE"])
def test_defect_is_caught(each, name):
    d = DEFECTS[name]
    r = each[d.draft]
    results = run_on(r.urls[name], r.ca, list(d.cases), d.draft)
    assert results, "no case ran"
    hits = [(r.id, f.line()) for r in results for f in r.findings
            if f.verdict == d.verdict and d.breaks in f.requirements]
    verdicts = {r.id: (r.verdict, r.line) for r in results}
    assert hits, "%s not reported as %s on %s: %s" % (
        name, d.verdict, d.breaks, verdicts)
    for req in d.also:
        assert any(req in f.requirements for r in results
                   for f in r.findings), (name, req, verdicts)
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


# -- trustworthy verdicts (issue 9) ---------------------------------------------------

def test_one_missing_behaviour_is_one_root_cause():
    """No Mailbox-Request-ID echo fails every case that checks it, all
    grouped under one requirement, in every report."""
    cases = ["API-CREATE-200", "API-UPDATE-200", "API-DELETE-200",
             "REPLAY-UPDATE-201"]             # registry order
    results = run(["no-echo-request-id"], cases)
    assert [(r.id, r.root_cause) for r in results] == [
        (c, "RLY-REQID-ECHO") for c in cases]
    run_ = summary(results)
    assert run_.root_causes() == [("RLY-REQID-ECHO", cases)]
    assert run_.root_cause_line() == \
        "1 distinct requirement failed: RLY-REQID-ECHO (4 cases)"
    j = report.to_json(run_)
    assert j["root_causes"][0]["cases"] == cases
    assert j["root_causes"][0]["section"] == "5.1"
    assert b'name="root_cause" value="RLY-REQID-ECHO"' in \
        report.to_junit(run_)
    assert "Root causes" in report.to_html(run_)


def test_failed_precondition_is_not_run():
    """A relay that creates nothing (it reads the other profile's claim
    header): API-CREATE-200 fails; a case that needs a mailbox is not run,
    citing it, and is no root cause of its own."""
    create, update = run(["other-profile-headers"], ["API-CREATE-200",
                                                     "API-UPDATE-401"])
    assert create.verdict == "FAIL" and create.root_cause == "RLY-CREATE-200"
    assert update.verdict == "ERROR" and update.not_run.startswith(
        "precondition: create failed (see API-CREATE-200)")
    run_ = summary([create, update])
    assert run_.counts()["not_run"] == 1 and run_.counts()["errors"] == 0
    assert run_.root_causes() == [("RLY-CREATE-200", ["API-CREATE-200"])]
    assert run_.exit_status() == 1


def test_a_relay_that_creates_nothing_fails_one_case():
    """When even the canary's plain create fails before the first case,
    the cases that check creates of their own (random payloads, a token,
    generated creates, sequences) are not run rather than failed on their
    own requirements: one root cause, not eleven."""
    cases = ["API-CREATE-200", "API-CREATE-NOTIFY", "API-CREATE-DEFAULT-CONFIG",
             "OPACITY-RANDOM-BYTES", "OPACITY-NOT-CIPHERTEXT", "INPUT-TIME",
             "EXPLORE-SEQUENCES"]
    results = run(["other-profile-headers"], cases)
    assert {r.id: (r.verdict, bool(r.not_run)) for r in results} == {
        c: ("FAIL", False) if c == "API-CREATE-200" else ("ERROR", True)
        for c in cases}, [(r.id, r.verdict, r.line) for r in results]
    assert summary(results).root_causes() == [
        ("RLY-CREATE-200", ["API-CREATE-200"])]


def test_dead_relay_is_blamed_on_the_case_that_killed_it():
    """An expiration without a time zone poisons the relay: the case that
    sent it FAILs with "the relay stopped serving after this case"; a
    case after it is unreliable, not counted."""
    killer, after = run(["poison-no-zone"], ["INPUT-TIME",
                                             "THREAT-THIRD-DEVICE"])
    assert killer.verdict == "FAIL" and killer.got.startswith(
        "the relay stopped serving after this case")
    assert killer.root_cause == "RLY-NO-USER-INTERACTION"
    assert after.unreliable and "INPUT-TIME" in after.unreliable
    c = summary([killer, after]).counts()
    assert (c["failed"], c["unreliable"]) == (1, 1)


def test_draft_hint_and_auto(tmp_path):
    """A relay of the other profile: with --draft http-00 the report's
    first line after the header is a hint to rerun with --draft sct-04
    (also in the JSON report); with the default --draft auto the profile
    is detected and the run passes."""
    with launch.start_broken([], "sct-04") as relay:
        base = ["relay", relay.base_url, "--ca", relay.ca, "--case",
                "API-CREATE-200"]
        out = StringIO()
        rc = cli.main(base + ["--draft", "http-00", "--report",
                              str(tmp_path)], out, StringIO())
        lines = out.getvalue().splitlines()
        assert rc == 1 and lines[1].startswith("hint: ") and \
            lines[1].endswith("rerun with --draft sct-04"), lines
        j = json.loads((tmp_path / "conformance.json").read_text())
        assert j["profile"]["hint"] == lines[1]
        out = StringIO()
        assert cli.main(base, out, StringIO()) == 0
        assert "profile: sct-04 (--draft auto: " in out.getvalue()


def test_expiry_case_survives_a_slow_first_read():
    """THREAT-EXPIRED-UNREADABLE's mailbox lives 2 s; when its binding read
    arrives after that (a slow link, a loaded machine: here the relay holds
    the first read 2.1 s), the case tries again with a longer lifetime
    instead of giving up on a failed precondition."""
    with launch.start_broken([], extra=["--control", "127.0.0.1:0"]) as relay:
        req = urllib.request.Request(
            relay.control + "/faults", method="POST", data=json.dumps(
                {"kind": "delay", "op": "read", "seconds": 2.1}).encode())
        urllib.request.urlopen(req, timeout=10).close()
        state = RunState(relay.base_url, relay.ca, "http-00", CAT, OPTIONS,
                         strict_errata=True)
        # run alone: no canary before it to take the delayed read
        r = core_engine.run_case(state, REGISTRY["THREAT-EXPIRED-UNREADABLE"],
                                 RelayContext)
    assert (r.verdict, r.not_run) == ("PASS", None), r.line
    assert any("tried again with 4 s" in n for n in r.notes), r.notes


def _fault(relay, **fault):
    req = urllib.request.Request(relay.control + "/faults", method="POST",
                                 data=json.dumps(fault).encode())
    urllib.request.urlopen(req, timeout=10).close()


def test_one_wrong_canary_answer_is_no_dead_relay():
    """A canary whose create gets one 500 (a relay under load) and which
    succeeds a second later: the case fails on RLY-NO-5XX and the relay
    still serves; two failures in a row are a relay that stopped."""
    case = REGISTRY["THREAT-MALFORMED-BODY"]
    with launch.start_broken([], extra=["--control", "127.0.0.1:0"]) as relay:
        state = RunState(relay.base_url, relay.ca, "http-00", CAT, OPTIONS)
        _fault(relay, kind="status", op="create", status=500)
        t = RelayContext(state, case)
        canary.after_case(t)
        t.close()
        assert state.dead_after is None and state.last_good == case.id
        assert [(f.verdict, f.requirements) for f in t.findings] == [
            ("FAIL", ["RLY-NO-5XX"])]
        assert "a second canary 1 s later succeeded" in t.findings[0].got
        _fault(relay, kind="status", op="create", status=500, count=2)
        t = RelayContext(state, case)
        canary.after_case(t)
        t.close()
        assert state.dead_after == case.id
        assert t.findings[0].got.startswith(canary.DEAD)


def test_generated_inputs_take_503_with_retry_after_as_capacity():
    """Two generated creates answered 503 with Retry-After (a relay at an
    explicit capacity limit) are noted and not judged, as everywhere in
    the suite; the same two answered 503 without it are a FAIL."""
    case = REGISTRY["INPUT-CREATE-BODY"]
    with launch.start_broken([], extra=["--control", "127.0.0.1:0"]) as relay:
        state = RunState(relay.base_url, relay.ca, "http-00", CAT, OPTIONS)
        _fault(relay, kind="status", op="create", status=503, count=2,
               retry_after=1)
        busy = core_engine.run_case(state, case, RelayContext)
        _fault(relay, kind="status", op="create", status=503, count=2)
        failed = core_engine.run_case(state, case, RelayContext)
    assert busy.verdict == "PASS", busy.line
    assert any(n.startswith("2 of ") and "503 with Retry-After" in n and
               "not judged" in n for n in busy.notes), busy.notes
    assert failed.verdict == "FAIL" and "2 of " in failed.got, failed.line


def test_a_server_error_is_the_root_cause_wherever_it_appears():
    """One create answered 500 in a case that checks something else
    (OPACITY-RANDOM-BYTES: payloads come back byte for byte), in the case
    of the create itself and in a case's precondition: each fails on
    RLY-NO-5XX, never on what it checks, so the root causes name one
    requirement for the one defect."""
    cases = ["OPACITY-RANDOM-BYTES", "API-CREATE-200", "API-UPDATE-200"]
    with launch.start_broken([], extra=["--control", "127.0.0.1:0"]) as relay:
        state = RunState(relay.base_url, relay.ca, "http-00", CAT, OPTIONS)
        results = []
        for cid in cases:
            _fault(relay, kind="status", op="create", status=500)
            results.append(core_engine.run_case(state, REGISTRY[cid],
                                                RelayContext))
    assert [(r.id, r.verdict, r.root_cause, r.failed_requirements)
            for r in results] == [(c, "FAIL", "RLY-NO-5XX", ["RLY-NO-5XX"])
                                  for c in cases], [r.line for r in results]
    assert summary(results).root_causes() == [("RLY-NO-5XX", cases)]
    opacity = results[0]
    assert opacity.line.endswith("got 500 application/json (internal)")
    assert any("a check of RLY-OPAQUE-STORE was answered 500" in n
               for n in opacity.notes), opacity.notes


def test_explore_blames_a_server_error_on_rly_no_5xx():
    """A sequence whose create is answered 500 disagrees with the model on
    RLY-NO-5XX alone (the generator sends only well-formed requests), not
    on the create's outcomes it kept from happening; a 503 with
    Retry-After is no server error there either."""
    steps = [Step("create", by="I1", mailbox="m1", rid="q1", payload="p1",
                  display="d1", rights="RWD", lifetime="long")]
    with launch.start_broken([], extra=["--control", "127.0.0.1:0"]) as relay:
        target = Target(relay.base_url, relay.ca)
        _fault(relay, kind="status", op="create", status=500)
        failed, _ = replay(target, steps, False, catalog=CAT)
        _fault(relay, kind="status", op="create", status=503, retry_after=1)
        busy, _ = replay(target, steps, False, catalog=CAT)
    assert [(f.verdict, f.requirements) for f in failed.findings] == [
        ("FAIL", ["RLY-NO-5XX"])]
    assert "RLY-NO-5XX" not in busy.findings[0].requirements


def _stopped_relay_state(tmp_path) -> RunState:
    """The run state of a broken relay that has stopped: every request
    is refused (its certificate kept, so that nothing else fails)."""
    ca = tmp_path / "ca.pem"
    with launch.start_broken([]) as relay:
        shutil.copy(relay.ca, ca)
        return RunState(relay.base_url, str(ca), "http-00", CAT, OPTIONS)


def test_one_relay_death_blames_one_case(monkeypatch, tmp_path):
    """Two cases run side by side (as a waiting case runs beside the
    others) against a relay that has stopped; both canaries see it dead
    before either decides (a barrier after each one's first canary).
    Exactly one case is blamed, under the run's canary lock; the other is
    unreliable, its verdict not counted."""
    state = _stopped_relay_state(tmp_path)
    monkeypatch.setattr(canary, "RETRY_PAUSE", 0)
    both_saw_it = threading.Barrier(2)
    first_probe = canary.probe
    probed = set()

    def probe(t):
        out = first_probe(t)
        if t.case.id not in probed:
            probed.add(t.case.id)
            both_saw_it.wait(timeout=60)
        return out
    monkeypatch.setattr(canary, "probe", probe)
    cases = ["REPLAY-DROPPED-UPDATE", "THREAT-EXPIRED-UNREADABLE"]
    results = {}

    def run_one(cid):
        results[cid] = core_engine.run_case(state, REGISTRY[cid],
                                            RelayContext)
    threads = [threading.Thread(target=run_one, args=(c,)) for c in cases]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    blamed = [r for r in results.values()
              if r.verdict == "FAIL" and r.got.startswith(canary.DEAD)]
    assert len(blamed) == 1, [(r.id, r.verdict, r.got) for r in
                              results.values()]
    other, = [r for r in results.values() if r is not blamed[0]]
    assert state.dead_after == blamed[0].id and not blamed[0].unreliable
    assert other.unreliable and blamed[0].id in other.unreliable
    assert not any(f.got.startswith(canary.DEAD) for f in other.findings)
    c = summary([results[cid] for cid in cases]).counts()
    assert (c["failed"], c["unreliable"]) == (1, 1)


def test_canary_follows_a_case_with_clients_of_its_own(tmp_path):
    """EXPLORE-SEQUENCES sends through clients of its own and attaches
    their exchanges: when they got no answer, the canary runs after it
    too, and the relay that stopped is blamed on it rather than on the
    next hostile case."""
    state = _stopped_relay_state(tmp_path)
    state.explore = ExploreOptions(budget="3")
    r = core_engine.run_case(state, REGISTRY["EXPLORE-SEQUENCES"],
                             RelayContext)
    assert r.got.startswith(canary.DEAD), r.line
    assert state.dead_after == "EXPLORE-SEQUENCES"
