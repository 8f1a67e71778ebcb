"""The live lab (issue 15), driven through /lab/api/ by programs playing
"the phone": ref-client (ref-client-driver) and the Python client
(py-client-driver) play every lab scenario over TCP to a lab listening on
127.0.0.2 (not the default loopback address); the verdicts are the client
suite's, and the Python driver's defects are caught by the lab as by the
client suite.  A person's answers (the page's forms) are checked with
ref-client doing what the person's device would.

Every lab binds 127.0.0.2 on port 0 and is closed by its fixture.  The
plays run in parallel, one lab each: two devices of one address must not
play initiator scenarios at once (conformance/README.md, "The lab").
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

from runner.client import peer as peer_mod  # noqa: E402
from runner.client import engine as client_engine  # noqa: E402
from runner.client.registry import CLIENT_REGISTRY  # noqa: E402
from runner.lab import report as lab_report  # noqa: E402
from runner.lab.relay import LabError  # noqa: E402
from runner.lab.remote import LabAPI, play  # noqa: E402
from runner.lab.scenarios import (INITIATOR, RECIPIENT, SCENARIOS,  # noqa: E402
                                  in_group)
from runner.lab.server import start_lab  # noqa: E402
from runner.lab.state import lab_cases  # noqa: E402
from tigress_py.client import RelayClient  # noqa: E402
# the client suite's table of driver defects, and its fixture building ref-client
from test_client_conformance import DEFECTS, built  # noqa: E402,F401

TOOL = REPO / "tools" / "tigress-conformance"
DRIVERS = CONFORMANCE / "drivers"
PY = str(DRIVERS / "py-client-driver")
REF = str(DRIVERS / "ref-client-driver")
LISTEN = "127.0.0.2:0"
LAB_CASES = {c.id for c in lab_cases("http-00")}

# defect -> the lab scenarios to play (the client suite's DEFECTS table
# says which case must catch it, with which verdict and requirement)
LAB_DEFECTS = {
    "leak-fragment": ["recip-stateless"],
    "leak-secret-header": ["init-stateless"],
    "print-secret": ["init-stateless"],
    "new-request-id-on-retry": ["retry-create"],
    "no-op": ["init-stateless"],
    "same-claim-both-parties": ["self"],
    "constant-iv": ["init-stateless", "init-twice"],
}


class Lab:
    """A lab for the tests, and the API as the phone sees it."""

    def __init__(self, reports: Path):
        self.lab = start_lab(LISTEN, report_dir=str(reports))
        self.url = self.lab.relay.public_url
        self.ca = self.lab.relay.cert_file
        self.api = LabAPI(self.url, ca=self.ca)

    def play(self, label, driver, scenarios, workdir, env=None,
             profile="http-00"):
        rid = self.api.new_run(label)
        states = {sc: play(self.api, rid, sc, driver, workdir, self.ca,
                           profile, env) for sc in scenarios}
        return {"run": rid, "states": states, "report": self.api.get(
            "/lab/api/runs/%s/verdicts" % rid)}

    def close(self):
        self.api.close()
        self.lab.close()


def _plays(kind, tmp, reports):
    lab = Lab(reports)
    try:
        if kind == "defects":
            out = {}
            for d, scs in LAB_DEFECTS.items():
                out[d] = lab.play("py " + d, PY, scs, tmp / d,
                                  {"TIGRESS_DRIVER_DEFECTS": d})
            out["sct-04"] = lab.play("ref-client sct-04", REF,
                                     ["init-stateless"], tmp / "sct",
                                     profile="sct-04")
            return out
        label, driver, scs = kind
        return lab.play(label, driver, scs, tmp, {
            "TIGRESS_DRIVER_DEFECTS": ""})
    finally:
        lab.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return tmp_path_factory.mktemp("lab-reports")


@pytest.fixture(scope="module")
def played(built, tmp_path_factory, reports):
    """Every scenario with ref-client; every scenario with the Python
    client (in two runs); the defects; four labs at once."""
    plan = {"ref": ("ref-client", REF, list(SCENARIOS)),
            "py-recipient": ("tigress_py", PY,
                             [s.name for s in in_group(RECIPIENT)]),
            "py-initiator": ("tigress_py as initiator", PY,
                             [s.name for s in in_group(INITIATOR)]),
            "defects": "defects"}
    with ThreadPoolExecutor(len(plan)) as pool:
        futs = {k: pool.submit(_plays, v, tmp_path_factory.mktemp(k),
                               reports) for k, v in plan.items()}
        return {k: f.result() for k, f in futs.items()}


def _cases(result):
    return {c["id"]: c for c in result["report"]["cases"]}


def _bad(result, allowed=("PASS",)):
    return {c["id"]: (c["verdict"], c["line"]) for c in
            result["report"]["cases"] if c["verdict"] not in allowed}


# -- the reference clients -----------------------------------------------------------

def test_ref_client_passes_every_scenario(played):
    r = played["ref"]
    assert {sc: st["status"] for sc, st in r["states"].items()} == {
        sc: "done" for sc in SCENARIOS}
    assert _bad(r) == {}
    assert set(_cases(r)) == LAB_CASES
    assert all(c["observed"] for c in r["report"]["cases"])
    assert r["report"]["exit_status"] == 0


def test_python_client_passes_every_scenario(played):
    rec, ini = played["py-recipient"], played["py-initiator"]
    for r in (rec, ini):
        assert {st["status"] for st in r["states"].values()} == {"done"}
        # a case none of whose scenarios the run played is UNSUPPORTED
        assert _bad(r, ("PASS", "UNSUPPORTED")) == {}
    passed = {c for r in (rec, ini) for c, x in _cases(r).items()
              if x["verdict"] == "PASS"}
    assert passed == LAB_CASES
    assert set(rec["states"]) | set(ini["states"]) == set(SCENARIOS)


def test_verdicts_are_the_client_suites(played):
    """Same case IDs, requirements, levels and evidence as the client
    suite; the implementation's name is the client reported."""
    j = played["ref"]["report"]
    assert j["kind"] == "client" and j["client"] == "ref-client"
    assert j["implementation"] == "ref-client"
    for c in j["cases"]:
        assert c["requirements"] == CLIENT_REGISTRY[c["id"]].requirements
    for rid, e in j["requirements"].items():
        assert e["verdict"] in ("FAIL", "WARN", "INFO"), rid
    ev = [e for c in j["cases"] for e in c["evidence"]]
    device = [e for e in ev if e.get("device")]
    relay = [e for e in ev if not e.get("raw")]
    assert device and relay
    assert "reported through /lab/api/" in device[0]["description"]
    assert all(e["request"]["url"].startswith(j["lab"]["relay"])
               for e in relay)
    assert j["lab"]["not_in_lab"] == sorted(
        set(CLIENT_REGISTRY) - LAB_CASES, key=list(CLIENT_REGISTRY).index)


def test_reports_are_written(played, reports):
    rid = played["ref"]["run"]
    d = next(reports.glob("ref-client-%s" % rid))
    names = {p.name for p in d.iterdir()}
    assert names == {"conformance.json", "conformance.xml",
                     "conformance.html", "conformance.md"}
    md = (d / "conformance.md").read_text()
    assert md.startswith("# TIGRESS lab: ref-client")
    assert "conformance: %d passed, 0 failed" % len(LAB_CASES) in md, \
        [ln for ln in md.splitlines() if ln.startswith("conformance:") or
         ("|" in ln and "PASS" not in ln)][:20]
    assert "| Accept a key (recip-stateless) | recipient | done |" in md
    page = (d / "conformance.html").read_text()
    assert "<script" not in page and "ref-client" in page
    assert json.loads((d / "conformance.json").read_text())["client"] == \
        "ref-client"


# -- the defects ----------------------------------------------------------------------

@pytest.mark.parametrize("defect", sorted(LAB_DEFECTS))
def test_defect_is_caught_as_by_the_client_suite(played, defect):
    r = played["defects"][defect]
    cases = _cases(r)
    _, target, verdict, req = DEFECTS[defect]
    if defect == "no-op":
        assert r["report"]["nothing_to_judge"], r["report"]["summary_line"]
        assert r["report"]["exit_status"] == 3    # exits.NOTHING
        assert not [c for c, x in cases.items() if x["verdict"] == "PASS"]
        return
    c = cases[target]
    assert c["verdict"] == verdict, (c["verdict"], c["line"])
    assert req in c["failed_requirements"], c["failed_requirements"]
    assert not [x for x in cases.values() if x["verdict"] == "ERROR"]


def test_secret_leak_shows_on_the_page_as_it_happens(played):
    r = played["defects"]["leak-fragment"]
    seen = r["states"]["recip-stateless"]["seen"]
    assert any("THE SECRET WAS SENT" in s["notes"] for s in seen), seen


def test_auto_draft_takes_the_devices_claim_header(played):
    r = played["defects"]["sct-04"]["report"]
    assert r["draft"] == "sct-04" and r["lab"]["draft"] == "auto"
    assert _cases(played["defects"]["sct-04"])["CLAIM-PRESENT"][
        "verdict"] == "PASS"


# -- a person on the page ---------------------------------------------------------------

def _session(ca):
    s = requests.Session()
    s.trust_env = False             # no proxies, no CA bundle from outside
    s.verify = ca
    return s


def _form(s, target, **fields):
    r = s.post(target, data=fields, allow_redirects=False,
               headers={"Origin": target.split("/lab/")[0]})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert "msg=" not in r.headers["Location"], r.headers["Location"]
    return r.headers["Location"]


def _pending(lab, path, n):
    """The pending step n of a scenario, once the lab asks for it."""
    st = lab.api.get(path)
    while not st["pending"] or st["pending"]["n"] != n:
        assert st["status"] == "running", st
        st = lab.api.get(path, after=st["version"])
    return st["pending"]


def _ended(lab, path):
    st = lab.api.get(path)
    while st["status"] == "running":
        st = lab.api.get(path, after=st["version"])
    return st


def test_a_person_answers_on_the_page(built, tmp_path, reports):
    """The page's forms: the device (ref-client, run by hand) shows no
    separate preview (skipped: the scenario goes on), accepts, deletes by
    itself; as initiator it shares its own key, which the tester pastes."""
    from runner.core.driver import Party
    lab = Lab(reports)
    s = _session(lab.ca)
    try:
        base = lab.url
        loc = _form(s, base + "/lab/", label="Acme Wallet")
        assert re.match(r"^/lab/runs/[\w-]+/$", loc)
        rid = loc.split("/")[3]
        run_url = base + loc
        _form(s, run_url + "start", scenario="recip-stateless")
        api = "/lab/api/runs/%s/scenarios/recip-stateless" % rid
        dev = Party(REF, "recipient", tmp_path / "dev", base, lab.ca)
        p = _pending(lab, api, 1)
        page = s.get(run_url).text
        assert p["step"] == "preview" and p["url"] in page and "<svg" in page
        _form(s, run_url + "step", scenario="recip-stateless", n="1",
              outcome="skip", note="no separate preview")
        p = _pending(lab, api, 2)
        assert p["step"] == "accept"
        dev.step("stateless", "accept", url=p["url"])
        dev.step("stateless", "finish")     # it deletes by itself
        _form(s, run_url + "step", scenario="recip-stateless", n="2",
              outcome="ok")
        assert _pending(lab, api, 3)["step"] == "finish"
        _form(s, run_url + "step", scenario="recip-stateless", n="3",
              outcome="already")
        _ended(lab, api)
        # as initiator: its own key, the URL pasted
        _form(s, run_url + "start", scenario="init-stateless")
        ini = Party(REF, "initiator", tmp_path / "ini", base, lab.ca)
        own = b'{"format":"acme.key","content":{"door":"front"}}'
        url = ini.step("stateless", "share", data=own, title="Front door")\
            .out.decode().strip()
        _pending(lab, "/lab/api/runs/%s/scenarios/init-stateless" % rid, 1)
        _form(s, run_url + "step", scenario="init-stateless", n="1",
              outcome="ok", url=url)
        _ended(lab, "/lab/api/runs/%s/scenarios/init-stateless" % rid)
        j = lab.api.get("/lab/api/runs/%s" % rid)
        v = {c["id"]: c["verdict"] for c in j["verdicts"]}
        assert v["FLOW-PREVIEW"] == "UNSUPPORTED"      # skipped, not failed
        assert v["RECEIVE-AES256"] == "PASS"           # what the lab served
        assert v["FLOW-FINISH"] == "PASS"              # during the accept
        assert v["SECRET-RECIPIENT"] == "PASS"
        assert v["PAYLOAD-KEY"] == "PASS"              # its own content
        assert v["REQUEST-CONFIG"] == "UNSUPPORTED"    # its own settings
        assert v["URL-FORM"] == "PASS"
        rep = lab.api.get("/lab/api/runs/%s/verdicts" % rid)
        ev = [e for c in rep["cases"] for e in c["evidence"]
              if e.get("device")]
        assert any("by the tester on the lab page" in e["description"]
                   for e in ev)
    finally:
        s.close()
        lab.close()


# -- bad requests, the command line, warnings ----------------------------------------------

def test_api_refuses_bad_requests(tmp_path, reports):
    lab = Lab(reports)
    s = _session(lab.ca)
    try:
        def call(method, path, **kw):
            r = s.request(method, lab.url + path, **kw)
            body = r.json()
            assert set(body) == {"error", "message"} or r.ok, body
            return r.status_code
        assert call("GET", "/lab/api/runs/nope") == 404
        assert call("POST", "/lab/api/runs", data=b"{not json") == 400
        assert call("POST", "/lab/api/runs", json={"label": "x" * 81}) == 413
        rid = s.post(lab.url + "/lab/api/runs", json={"label": "T"}).json()[
            "id"]
        base = "/lab/api/runs/%s/scenarios/" % rid
        assert call("POST", base + "no-such") == 404
        assert call("POST", base + "gone") == 201
        assert call("POST", base + "claimed") == 409       # one at a time
        n = _pending(lab, base + "gone", 1)["n"]
        assert call("POST", base + "gone/steps/%d" % (n + 1),
                    json={"exit": 8}) == 409
        assert call("POST", base + "gone/steps/%d" % n,
                    json={"exit": 999}) == 400
        assert call("POST", base + "gone/steps/%d" % n,
                    json={"outcome": "maybe"}) == 400
        assert call("POST", base + "gone/skip") == 200
        r = s.post(lab.url + "/lab/runs/%s/start" % rid, data={
            "scenario": "gone"}, headers={"Origin": "https://evil.example"},
            allow_redirects=False)
        assert r.status_code == 403
        assert s.get(lab.url + "/v1/m/x").status_code == 404   # the relay
        assert not [x for x in lab.lab.relay.records()
                    if x["path"].startswith("/lab")]            # unrecorded
    finally:
        s.close()
        lab.close()


def test_command_line(tmp_path):
    p = subprocess.Popen([str(TOOL), "lab", "--listen", LISTEN, "--label",
                          "Acme Wallet", "--report", str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        line = p.stdout.readline()
        m = re.match(r"^tigress-lab: relay (https://127\.0\.0\.2:\d+), page "
                     r"\1/lab/ \(certificate: (\S+)\)$", line.strip())
        assert m, line
        with _session(m.group(2)) as s:
            page = s.get(m.group(1) + "/lab/").text
        assert "Acme Wallet" in page and "loopback address" in page
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    assert "stopped" in out
    assert "warning: the public URL https://127.0.0.2:" in err
    assert "warning: the certificate is a self-signed one" in err


def test_command_line_refuses_bad_arguments():
    """Exit status 2 and one line saying what is wrong (in process: the
    command line's main, as tools/tigress-conformance calls it)."""
    import io
    from runner.cli import main
    for args, says in (
            (["--listen", "nonsense"], "--listen"),
            (["--listen", LISTEN, "--cert", "x.pem"], "--cert and --key"),
            (["--listen", LISTEN, "--public-url", "http://lab.example"],
             "https"),
            (["--listen", LISTEN, "--cert", "/nonexistent", "--key", "/x"],
             "cannot read")):
        out, err = io.StringIO(), io.StringIO()
        assert main(["lab"] + args, out, err) == 2, args
        assert len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
        assert says in err.getvalue(), err.getvalue()


def test_warnings_about_the_public_url(tmp_path):
    """A certificate that does not name the public host, one this machine
    cannot verify, an mDNS name: each gets its sentence."""
    from brokenrelay import certs
    cert, key = certs.ensure(tmp_path, ["lab.example"])
    lab = start_lab(LISTEN, "https://lab.local:8443", str(cert), str(key))
    try:
        w = " | ".join(lab.relay.warnings)
        assert "mDNS name" in w
        assert "does not name lab.local" in w
        assert "listens on 127.0.0.2, a loopback address" in w
    finally:
        lab.close()
    lab = start_lab(LISTEN, "https://lab.example:8443", str(cert), str(key))
    try:
        w = " | ".join(lab.relay.warnings)
        assert "does not name" not in w
        assert "cannot verify the certificate for lab.example" in w
        assert "lab.example does not resolve from this machine" in w
    finally:
        lab.close()
    (tmp_path / "lh").mkdir()
    cert, key = certs.ensure(tmp_path / "lh", ["localhost"])
    lab = start_lab(LISTEN, "https://localhost:8443", str(cert), str(key))
    try:                            # a name that resolves here: no word
        w = " | ".join(lab.relay.warnings)
        assert "resolve" not in w, w
    finally:
        lab.close()
    lab = start_lab(LISTEN, "https://192.0.2.10:8443", str(cert), str(key))
    try:                            # an IP literal the certificate lacks
        assert "does not name 192.0.2.10" in " | ".join(lab.relay.warnings)
    finally:
        lab.close()
    with pytest.raises(LabError):
        start_lab(LISTEN, "https://lab.example/path")


def test_lab_cases_cover_the_issue():
    """The checks issue 15 names, each by a client case the lab runs."""
    for cid in ("FLOW-PREVIEW", "CLAIM-PRESENT", "REQID-PRESENT",
                "SECRET-RECIPIENT", "RETRY-READ", "FLOW-FINISH",
                "REFUSE-TAMPERED", "REFUSE-404", "REFUSE-401",
                "PAYLOAD-FORM", "PAYLOAD-KEY", "PAYLOAD-IV", "RECEIVE-UPDATE",
                "RETRY-SAME-REQID", "RETRY-5XX", "RETRY-SLOW",
                "CLAIM-DISTINCT"):
        assert cid in LAB_CASES, cid
    assert lab_report.slug("Acme Wallet 2.1 (Android)") == \
        "Acme-Wallet-2.1-Android"
    readme = " ".join((CONFORMANCE / "README.md").read_text().split())
    left = [c.id for c in client_engine.all_cases() if c.id not in LAB_CASES]
    said = readme.split("Nine client cases need what a phone")[1][:1000]
    assert len(left) == 9 and all(c in said for c in left), left


def test_the_lab_reads_only_its_own_relay():
    """The lab's own requests go to its local address whatever the public
    name (with or without :443); a share URL naming another host is not
    followed."""
    from runner.lab.relay import _LocalClient
    c = _LocalClient("https://127.0.0.2:1234", "https://lab.example.org:443",
                     "http-00")
    try:
        assert c.url_for("https://LAB.example.org/v1/m/abc?v=c#s") == \
            "https://127.0.0.2:1234/v1/m/abc"
        ex = c.read("https://elsewhere.example/v1/m/abc", "claim")
        assert ex.status is None and "not the lab's relay" in \
            ex.transport_error
    finally:
        c.close()


class _FromAddress(RelayClient):
    """A phone of its own address (127.0.0.0/8 is all this machine's)."""

    def __init__(self, address, *a, **kw):
        super().__init__(*a, **kw)
        self.address = address

    def _connection(self, key, timeout):
        conn = super()._connection(key, timeout)
        if conn.sock is None:
            conn.source_address = (self.address, 0)
        return conn


def test_two_phones_at_their_first_steps_are_not_confused(reports,
                                                        monkeypatch):
    """Two runs wait at their first step, neither knowing its phone's
    address yet; one phone shares.  The other run's fault (drop the
    create's answer) must not hit it, nor its records show there."""
    lab = Lab(reports)
    paths = []
    try:
        for label, sc in (("phone A", "init-stateless"),
                          ("phone B", "retry-create")):
            paths.append("/lab/api/runs/%s/scenarios/%s" % (
                lab.api.new_run(label), sc))
            lab.api.post(paths[-1])
        for p in paths:
            _pending(lab, p, 1)
        monkeypatch.setattr(peer_mod, "HEADERS", {})  # a phone, not the lab
        peer = peer_mod.Peer(lab.url, lab.ca)
        peer.client.close()
        peer.client = _FromAddress("127.0.0.40", lab.url, ca=lab.ca,
                                   timeout=15)
        try:
            sh = peer.share(b'{"format":"x","content":{}}')   # not dropped
        finally:
            peer.close()
        b = lab.api.get(paths[1])
        assert not [s for s in b["seen"] if s["op"] == "create"], b["seen"]
        # phone A pastes its URL: the create is its run's from then on
        lab.api.post(paths[0] + "/steps/1", {"exit": 0, "out": sh.url + "\n"})
        a = lab.api.get(paths[0])
        assert [s for s in a["seen"] if s["op"] == "create"
                and not s["peer"]], a["seen"]
    finally:
        for p in paths:
            lab.api.post(p + "/skip")
        lab.close()


def test_a_secret_sent_stays_sent_when_the_scenario_is_skipped(reports):
    """The device sends the Secret at its preview; the tester then skips
    the scenario: SECRET-RECIPIENT still FAILs on what was seen."""
    lab = Lab(reports)
    try:
        rid = lab.api.new_run("leaky phone")
        path = "/lab/api/runs/%s/scenarios/recip-stateless" % rid
        lab.api.post(path)
        url = _pending(lab, path, 1)["url"]
        api_url, fragment = url.split("?")[0], url.split("#")[1]
        s = _session(lab.ca)
        assert s.get(api_url + "?secret=" + fragment).status_code == 200
        lab.api.post(path + "/steps/1", {"outcome": "ok"})
        lab.api.post(path + "/skip")
        c = _cases({"report": lab.api.get(
            "/lab/api/runs/%s/verdicts" % rid)})["SECRET-RECIPIENT"]
        assert c["verdict"] == "FAIL", (c["verdict"], c["line"])
        assert "CLI-FRAGMENT-STRIP" in c["failed_requirements"]
    finally:
        lab.close()
