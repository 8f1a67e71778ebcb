"""Every defect of py-client-driver (TIGRESS_DRIVER_DEFECTS) is real: it
shows on the wire or in an exit status, where a simple observer sees it,
while the clean drivers (py-client-driver and ref-client-driver) show
nothing.

This is a self-check of the drivers, not the client conformance suite
(conformance/runner decides the verdicts with its own test relay): each
party talks to ref-relay through its own recording TLS proxy here, which
also drops the answer of the first create once (the relay applies it) so
that retries can be seen.  A session runs the steps a defect needs, in this
order:

    share1   a: share (stateful, RWD), first answer dropped
    preview  b: preview of share1
    accept1  b: accept share1
    send     a: send a second message (second sealing under one Secret)
    finish   b: finish (delete) share1
    gone     c: accept share1 after finish      -> 8
    share2   a: share again
    accept2  b: accept share2
    claimed  c: accept share2                   -> 9
    tamper   c: accept a mailbox whose ciphertext the test corrupted -> 7
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import shutil
import ssl
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tigress_py import payload as tpayload
from tigress_py import uuids
from tigress_py.client import RelayClient
from tigress_py.errors import TigressError
from test_drivers_flows import DRIVERS, PI, PI3, REPO, Relay

ALL_STEPS = ("share1", "preview", "accept1", "send", "finish", "gone",
             "share2", "accept2", "claimed", "tamper")

# defect -> (the steps it needs, what the observer must see)
DEFECTS = {
    "leak-fragment": ({"share1", "preview", "accept1"}, "secret-sent"),
    "leak-secret-header": ({"share1"}, "secret-sent"),
    "leak-secret-body": ({"share1"}, "secret-sent"),
    "new-request-id-on-retry": ({"share1"}, "request-id-changed-on-retry"),
    "reused-request-id": ({"share1", "preview", "accept1"}, "request-id-reused"),
    "no-request-id": ({"share1"}, "request-id-missing"),
    "reused-claim": ({"share1", "share2"}, "claim-reused"),
    "same-claim-both-parties": ({"share1", "accept1"}, "claims-equal-between-parties"),
    "non-uuid-claim": ({"share1"}, "claim-not-uuid"),
    "reused-iv": ({"share1", "send"}, "iv-reused"),
    "short-key": ({"share1"}, "payload-does-not-open"),
    "wrong-aead-type": ({"share1"}, "payload-type"),
    "accept-tampered": ({"tamper"}, "tampered-accepted"),
    "no-finish-delete": ({"share1", "accept1", "finish"}, "finish-did-not-delete"),
    "ignore-401": ({"share2", "accept2", "claimed"}, "claimed-not-9"),
    "ignore-404": ({"share1", "accept1", "finish", "gone"}, "gone-not-8"),
    "no-retry": ({"share1"}, "no-retry"),
    "reject-201": ({"share1"}, "failed-after-201"),
}

HOP = {"host", "connection", "keep-alive", "content-length",
       "transfer-encoding", "accept-encoding", "content-encoding"}


class Proxy(http.server.ThreadingHTTPServer):
    """A TLS front of ref-relay (with the relay's own certificate) that
    records every request and, while `drop_creates` > 0, applies a create
    and closes the connection without answering."""

    daemon_threads = True

    def __init__(self, relay: Relay):
        super().__init__(("127.0.0.1", 0), _Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(relay.ca, os.path.join(os.path.dirname(relay.ca), "key.pem"))
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.relay = relay
        self.base_url = "https://127.0.0.1:%d" % self.server_address[1]
        self.records = []
        self.label = ""
        self.drop_creates = 0
        self.rewrite = None             # bytes -> bytes, applied to answers
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_one(self):
        srv = self.server
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        rec = {"step": srv.label, "method": self.command, "path": self.path,
               "headers": list(self.headers.items()), "body": body,
               "status": None, "answer": b"", "dropped": False}
        with srv.lock:
            srv.records.append(rec)
            drop = self.command == "POST" and self.path == "/v1/m" and srv.drop_creates > 0
            if drop:
                srv.drop_creates -= 1
        fwd = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        fwd["Accept-Encoding"] = "identity"
        try:
            r = requests.request(self.command, srv.relay.base_url + self.path,
                                 headers=fwd, data=body if n else None,
                                 verify=srv.relay.ca, timeout=120,
                                 allow_redirects=False)
        except requests.RequestException:
            self.close_connection = True
            return
        answer = r.content.replace(srv.relay.base_url.encode(), srv.base_url.encode())
        if srv.rewrite is not None:
            answer = srv.rewrite(answer)
        rec["status"], rec["answer"] = r.status_code, answer
        if drop:
            rec["dropped"] = True
            self.close_connection = True
            return
        self.send_response(r.status_code)
        for k, v in r.headers.items():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_one


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    r = subprocess.run(["make", "-C", str(REPO), "ref-client/tigress",
                        "ref-relay/tigress-relay"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail("build failed:\n" + r.stdout[-4000:], pytrace=False)
    relay = Relay(tmp_path_factory.mktemp("relay"))
    try:
        yield relay
    finally:
        relay.kill()


class Session:
    """Parties a (initiator), b and c (recipients) of one driver, each
    behind its own proxy."""

    def __init__(self, relay, home: Path, driver: str, defects: str):
        self.relay, self.home, self.driver = relay, home, str(DRIVERS / driver)
        self.proxies = {p: Proxy(relay) for p in "abc"}
        self.proxies["a"].drop_creates = 1
        self.env = {k: v for k, v in os.environ.items()
                    if "proxy" not in k.lower() and not k.startswith("TIGRESS_")}
        self.env.update(TIGRESS_CA=relay.ca, TIGRESS_TIMEOUT="3",
                        TIGRESS_TITLE="Car key", TIGRESS_DRIVER_DEFECTS=defects,
                        TIGRESS_REQUEST_TIMEOUT="10")
        self.rc, self.out, self.urls, self.secrets = {}, {}, {}, {}
        self.mailbox1_after_finish = None
        self.n = 0

    def url_for(self, party, url):
        return url.replace(self.proxies["a"].base_url, self.proxies[party].base_url)

    def step(self, label, party, role, scenario, step, data=None, url=None):
        self.n += 1
        d = self.home / party
        d.mkdir(parents=True, exist_ok=True)
        env = dict(self.env, TIGRESS_RELAY=self.proxies[party].base_url,
                   TIGRESS_STATE_DIR=str(d / "state"),
                   TIGRESS_OUT=str(d / ("%d.out" % self.n)),
                   TIGRESS_ACCESS="RWD" if scenario == "stateful" else "RD")
        if data is not None:
            (d / ("%d.in" % self.n)).write_bytes(data)
            env["TIGRESS_IN"] = str(d / ("%d.in" % self.n))
        if url is not None:
            (d / ("%d.url" % self.n)).write_text(self.url_for(party, url) + "\n")
            env["TIGRESS_URL_FILE"] = str(d / ("%d.url" % self.n))
        self.proxies[party].label = label
        r = subprocess.run([self.driver, role, scenario, step], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.rc[label] = r.returncode
        out = Path(env["TIGRESS_OUT"])
        self.out[label] = out.read_bytes() if out.exists() else b""
        return r.returncode

    def share(self, label, scenario):
        if self.step(label, "a", "initiator", scenario, "share", PI) == 0:
            url = self.out[label].decode().strip()
            self.urls[label] = url
            self.secrets[label] = url.split("#", 1)[1]

    def tampered_url(self):
        """A mailbox the test made itself, its ciphertext corrupted."""
        secret = os.urandom(32)
        sealed = tpayload.seal(secret, PI)
        raw = bytearray(base64.b64decode(sealed["data"]))
        raw[14] ^= 0x01
        sealed["data"] = base64.b64encode(bytes(raw)).decode()
        with RelayClient(self.relay.base_url, ca=self.relay.ca) as c:
            ex = c.create(uuids.new_v4(), {"title": "T", "description": "", "imageURL": ""},
                          sealed)
        assert ex.status == 200, ex
        self.secrets["tamper"] = base64.b64encode(secret).decode()
        return ex.json["urlLink"] + "#" + self.secrets["tamper"]

    def run(self, steps):
        try:
            self._run(steps)
        finally:
            for p in self.proxies.values():
                p.stop()
        return self

    def _run(self, steps):
        if "share1" in steps:
            self.share("share1", "stateful")
        u1 = self.urls.get("share1")
        if u1 and "preview" in steps:
            self.step("preview", "b", "recipient", "stateful", "preview", url=u1)
        if u1 and "accept1" in steps:
            self.step("accept1", "b", "recipient", "stateful", "accept", url=u1)
        if u1 and "send" in steps:
            self.step("send", "a", "initiator", "stateful", "send", PI3)
        if u1 and "finish" in steps:
            self.step("finish", "b", "recipient", "stateful", "finish")
            with RelayClient(self.relay.base_url, ca=self.relay.ca) as c:
                self.mailbox1_after_finish = c.read_display(u1.split("#")[0]).status
        if u1 and "gone" in steps:
            self.step("gone", "c", "recipient", "stateful", "accept", url=u1)
        if "share2" in steps:
            self.share("share2", "stateless")
        u2 = self.urls.get("share2")
        if u2 and "accept2" in steps:
            self.step("accept2", "b", "recipient", "stateless", "accept", url=u2)
        if u2 and "claimed" in steps:
            self.step("claimed", "c", "recipient", "second-recipient", "accept", url=u2)
        if "tamper" in steps:
            url = self.tampered_url().replace(self.relay.base_url,
                                              self.proxies["a"].base_url)
            self.step("tamper", "c", "recipient", "tamper", "accept", url=url)


def header(rec, name):
    for k, v in rec["headers"]:
        if k.lower() == name.lower():
            return v
    return None


def findings(s: Session) -> set:
    """What an observer of the wire and of the exit statuses finds wrong."""
    f = set()
    recs = [(p, r) for p, proxy in s.proxies.items() for r in proxy.records]
    # the Secret never reaches the relay: request line, headers, body
    forms = set()
    for sec in s.secrets.values():
        raw = base64.b64decode(sec)
        forms |= {sec.rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    for _, r in recs:
        blob = r["path"] + "\n" + "\n".join("%s: %s" % kv for kv in r["headers"]) + \
            "\n" + r["body"].decode("utf-8", "replace")
        if any(x in blob for x in forms):
            f.add("secret-sent")
    # Mailbox-Request-ID: on every mutating request, a UUID, one per request
    by_rid = {}
    for p, r in recs:
        rid = header(r, "Mailbox-Request-ID")
        mutating = r["method"] in ("PUT", "DELETE", "PATCH") or \
            (r["method"] == "POST" and r["path"] == "/v1/m")
        if rid is None:
            if mutating:
                f.add("request-id-missing")
            continue
        if not uuids.is_form(rid):
            f.add("request-id-not-uuid")
        by_rid.setdefault(rid, set()).add((p, r["method"], r["path"], r["body"]))
    if any(len(v) > 1 for v in by_rid.values()):
        f.add("request-id-reused")
    for p, proxy in s.proxies.items():
        for i, r in enumerate(proxy.records):
            if not r["dropped"]:
                continue
            again = [x for x in proxy.records[i + 1:] if (x["method"], x["path"], x["body"])
                     == (r["method"], r["path"], r["body"])]
            if not again:
                f.add("no-retry")
            elif header(again[0], "Mailbox-Request-ID") != header(r, "Mailbox-Request-ID"):
                f.add("request-id-changed-on-retry")
            elif again[0]["status"] == 201 and s.rc.get(r["step"]) != 0:
                f.add("failed-after-201")
    # device claims: UUIDs, fresh per mailbox, different between the parties
    claims = {}
    for p, r in recs:
        c = header(r, "Mailbox-Device-Claim")
        if c is not None:
            claims.setdefault((p, r["step"]), set()).add(c)
            if not uuids.is_form(c):
                f.add("claim-not-uuid")
    get = lambda p, *steps: set().union(*(claims.get((p, st), set()) for st in steps))  # noqa: E731
    if get("a", "share1") & get("a", "share2") or get("b", "accept1") & get("b", "accept2"):
        f.add("claim-reused")
    if get("a", "share1") & get("b", "preview", "accept1") or \
            get("a", "share2") & get("b", "accept2"):
        f.add("claims-equal-between-parties")
    # payloads: known type, opens with the Secret, no IV twice under one Secret
    ivs = {}
    for p, r in recs:
        if not ((r["method"] == "POST" and r["path"] == "/v1/m") or r["method"] == "PUT"):
            continue
        try:
            obj = json.loads(r["body"])["payload"]
        except (ValueError, KeyError, TypeError):
            f.add("payload-type")
            continue
        if obj.get("type") not in tpayload.KEY_LEN:
            f.add("payload-type")
            continue
        sec = s.secrets.get("share1" if r["step"] in ("share1", "send") else r["step"])
        if sec is None:
            continue
        try:
            tpayload.open(obj, base64.b64decode(sec))
        except TigressError:
            f.add("payload-does-not-open")
        # a retry resends the same body: count each distinct payload once
        ivs.setdefault(sec, {})[obj["data"]] = base64.b64decode(obj["data"])[:12]
    for seen in ivs.values():
        if len(set(seen.values())) < len(seen):
            f.add("iv-reused")
    # outcomes
    for label in ("share1", "preview", "accept1", "send", "finish", "share2", "accept2"):
        if s.rc.get(label, 0) != 0:
            f.add("step-failed:" + label)
    for label in ("accept1", "accept2"):
        if s.rc.get(label) == 0 and s.out[label] != PI:
            f.add("wrong-content")
    if s.rc.get("finish") == 0 and s.mailbox1_after_finish != 404:
        f.add("finish-did-not-delete")
    if "gone" in s.rc and s.rc["gone"] != 8:
        f.add("gone-not-8")
    if "claimed" in s.rc and s.rc["claimed"] != 9:
        f.add("claimed-not-9")
    if "tamper" in s.rc and s.rc["tamper"] != 7:
        f.add("tampered-accepted")
    return f


@pytest.fixture(scope="module")
def sessions(relay, tmp_path_factory):
    """All sessions, run four at a time: {name: (Session, findings)}."""
    plan = {"clean py-client-driver": ("py-client-driver", "", set(ALL_STEPS)),
            "clean ref-client-driver": ("ref-client-driver", "", set(ALL_STEPS))}
    for d, (steps, _) in DEFECTS.items():
        plan[d] = ("py-client-driver", d, steps)
    root = tmp_path_factory.mktemp("sessions")

    def go(item):
        name, (driver, defects, steps) = item
        s = Session(relay, root / name.replace(" ", "_"), driver, defects).run(steps)
        return name, (s, findings(s))
    with ThreadPoolExecutor(4) as pool:
        results = dict(pool.map(go, plan.items()))
    yield results
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("driver", ["py-client-driver", "ref-client-driver"])
def test_clean_driver_shows_nothing(sessions, driver):
    s, found = sessions["clean " + driver]
    assert found == set(), (found, s.rc)
    assert s.rc == {"share1": 0, "preview": 0, "accept1": 0, "send": 0,
                    "finish": 0, "gone": 8, "share2": 0, "accept2": 0,
                    "claimed": 9, "tamper": 7}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_defect_is_observable(sessions, defect):
    s, found = sessions[defect]
    assert DEFECTS[defect][1] in found, (found, s.rc)


def test_unknown_defect_is_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIGRESS_")}
    env.update(TIGRESS_DRIVER_DEFECTS="leak-fragment,no-such-bug",
               TIGRESS_STATE_DIR=str(tmp_path))
    r = subprocess.run([str(DRIVERS / "py-client-driver"), "initiator", "stateless",
                        "share"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2 and b"no-such-bug" in r.stderr


@pytest.mark.parametrize("driver", ["py-client-driver", "ref-client-driver"])
@pytest.mark.parametrize("label", ["AEAD_CHACHA20_POLY1305", "AEAD_AES_128_GCM"])
def test_wrongly_typed_payload_exits_7(relay, tmp_path, driver, label):
    """A read answer whose payload type is unknown, or does not fit the
    Secret's length, is refused with 7 (the suite's peer can send it; the
    relay under test here cannot, so the proxy rewrites the answer)."""
    secret = os.urandom(32)
    with RelayClient(relay.base_url, ca=relay.ca) as c:
        ex = c.create(uuids.new_v4(), {"title": "T", "description": "", "imageURL": ""},
                      tpayload.seal(secret, PI))
    assert ex.status == 200, ex
    proxy = Proxy(relay)
    proxy.rewrite = lambda b: b.replace(b'"AEAD_AES_256_GCM"', b'"%s"' % label.encode())
    try:
        (tmp_path / "url").write_text(ex.json["urlLink"].replace(
            relay.base_url, proxy.base_url) + "#" + base64.b64encode(secret).decode())
        env = {k: v for k, v in os.environ.items()
               if "proxy" not in k.lower() and not k.startswith("TIGRESS_")}
        env.update(TIGRESS_CA=relay.ca, TIGRESS_URL_FILE=str(tmp_path / "url"),
                   TIGRESS_STATE_DIR=str(tmp_path / "state"),
                   TIGRESS_OUT=str(tmp_path / "out"))
        r = subprocess.run([str(DRIVERS / driver), "recipient", "tamper", "accept"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
    finally:
        proxy.stop()
    assert r.returncode == 7, r.stderr
    assert [x["status"] for x in proxy.records] == [200]
