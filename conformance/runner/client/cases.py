"""The client cases: checks over what a driver did in the sessions
(sessions.py).  Each names every requirement it checks; a broken check
gets the catalog's verdict for the strongest one named (or the verdict
given explicitly, where the check rests on our driver contract rather
than the draft).

Categories: URL (the share URL), SECRET (the Secret never reaches the
relay), REQID (Mailbox-Request-ID), CLAIM (device claims), PAYLOAD (what
the client seals), RECEIVE (what it opens), REFUSE (what it must refuse:
tampered, wrongly typed, malformed payloads, 401, 404, a wrong echo),
RETRY (lost answers, resets, 5xx, slow answers), FLOW (finish, cancel,
relinquish, send, preview), REQUEST (paths and bodies), PREVIEW (what a
client does with hostile display information).
"""

from __future__ import annotations

import base64
import getpass
import json
import socket
import unicodedata
import urllib.parse
from collections import defaultdict
from pathlib import Path

from tigress_py import b64, bodies, payload as tpayload, rfc3339, uuids
from tigress_py.errors import TigressError

from ..core.records import (MUTATING, body_json, body_text, claim_of,
                            describe_record, header, mailbox_of, op_of)
from .registry import client_case
from .secretscan import find_in, find_in_output, find_secret
from .sessions import DISPLAY, PI, PI2, PI3

REQID = "Mailbox-Request-ID"
REQID_REQ = {"create": "CLI-CREATE-REQID", "update": "CLI-UPDATE-REQID",
             "delete": "CLI-DELETE-REQID",
             "relinquish": "CLI-RELINQUISH-REQID"}
CLAIM_REQ = {"create": "CLI-CREATE-CLAIM", "read": "CLI-READ-CLAIM",
             "update": "CLI-UPDATE-CLAIM", "delete": "CLI-DELETE-CLAIM",
             "relinquish": "CLI-RELINQUISH-CLAIM"}
AEAD_REQ = {"AEAD_AES_128_GCM": "CLI-AEAD-AES128-GCM",
            "AEAD_AES_256_GCM": "CLI-AEAD-AES256-GCM"}
MAX_SMS = 160


def _refused(t, s, run, code: int, requirements, what: str,
             verdict_other: str = "WARN", answer: int = 200) -> None:
    """A step that must stop with exit `code` (spec/drivers.md) and write
    nothing: exit 0 or any output is the requirement's verdict; another
    non-zero status only `verdict_other` (the refusal happened, with
    another code than the contract's).  First, the driver's read must
    have been answered `answer` (the payload delivered, the 401, the
    404): a refusal for another reason proves nothing."""
    ev = t.around(s, run)
    if run is None:
        t.check(False, requirements, what, "the step did not run")
        return
    reads = [e.record for e in ev[1:] if op_of(e.record) == "read"]
    if not t.check(any(r["status"] == answer for r in reads),
                   ["CLI-FLOW-READ"], "%s: the driver's read answered %d "
                   "by the relay" % (what, answer),
                   ", ".join(describe_record(r) for r in reads) or
                   "no read (%s)" % run.describe(), ev):
        return
    wrote = bool(run.out and run.out.strip())
    t.check(run.exit != 0 and not wrote and not run.timed_out, requirements,
            "%s: a non-zero exit status (%d) and nothing in TIGRESS_OUT" % (
                what, code),
            "%s%s" % (run.describe(), ", and TIGRESS_OUT holds %d bytes" %
                      len(run.out) if wrote else ""), ev)
    if run.exit not in (0, None) and run.exit != code and not run.timed_out:
        t.check(False, requirements, "%s: exit %d (spec/drivers.md)" % (
            what, code), run.describe(), ev, verdict=verdict_other)
    if run.exit and not run.stderr.strip():
        t.soft(False, requirements, "%s: a message on standard error" % what,
               "nothing on standard error", ev)


def _driver_sealings(s):
    """(record, payload object) of every create and update the driver
    sent, a retried copy (same data) once."""
    seen = set()
    out = []
    for r in s.driver_records():
        if op_of(r) not in ("create", "update"):
            continue
        obj = body_json(r)
        p = obj.get("payload") if isinstance(obj, dict) else None
        key = json.dumps(p, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        out.append((r, p))
    return out


def _secret_for(s, r):
    """The Secret a driver's payload should be sealed under: that of the
    share the request belongs to."""
    mid = mailbox_of(r)
    for label, secret in s.secrets.items():
        v = s.values.get(label + ".parsed")
        sh = s.values.get(label)
        if v is not None and getattr(v, "mailbox_id", None) == mid:
            return secret
        if sh is not None and getattr(sh, "id", None) == mid:
            return secret
    return None


# -- URL ------------------------------------------------------------------------------

URL_ERRORS = {"url_scheme": ["RLY-HTTPS-URI"], "url_host": ["RLY-URL-HOST"],
              "url_port": ["RLY-URL-HOST"], "url_path": ["RLY-URL-VERSION",
                                                         "RLY-URL-MAILBOX"],
              "url_version": ["RLY-URL-VERSION"],
              "url_mailbox_id": ["RLY-URL-MAILBOX"],
              "url_query": ["E-QUERY-STRICT"],
              "url_vertical": ["E-QUERY-STRICT"],
              "url_secret_encoding": ["CLI-SECRET-FRAGMENT", "E-SECRET-B64"],
              "url_secret_length": ["E-AEAD-FROM-SECRET"],
              "url_syntax": ["RLY-URL-HOST"], "url_userinfo": ["RLY-URL-HOST"],
              "too_large": ["Req-InvitationChannel"]}


@client_case("URL-FORM", "The share URL names the relay, the API version "
             "and the mailbox, with the Secret in its fragment",
             ["CLI-FLOW-CREATE", "RLY-HTTPS-URI", "RLY-URL-HOST",
              "RLY-URL-VERSION", "RLY-URL-MAILBOX", "CLI-SECRET-FRAGMENT",
              "E-SECRET-B64", "E-QUERY-STRICT", "E-AEAD-FROM-SECRET",
              "Req-InvitationChannel"],
             "https://relay/v1/m/{the mailbox made}?v=c#{Secret in padded "
             "standard base64}, one line", ["init-stateless"])
def url_form(t):
    s = t.session("init-stateless")
    run = s.run_of("initiator", "share")
    t.need(t.ran(s, run, ["CLI-FLOW-CREATE"], "share succeeds"))
    text = s.values["share.url"]
    lines = [x for x in text.splitlines() if x.strip()]
    t.require(bool(lines), ["CLI-FLOW-CREATE"], "the share URL in "
              "TIGRESS_OUT (spec/drivers.md)", "share exited 0 and wrote "
              "nothing", run)
    t.soft(len(lines) == 1, ["RLY-URL-HOST"],
           "TIGRESS_OUT holds one line, the share URL",
           "%d lines" % len(lines), run)
    url = lines[0].strip() if lines else ""
    u = s.values.get("share.parsed")
    if u is None:
        err = s.values.get("share.url_error", "")
        code = err.split(":", 1)[0] if err else ""
        reqs = URL_ERRORS.get(code, ["RLY-URL-MAILBOX"])
        t.check(False, reqs, "a share URL of the form https://host[:port]/"
                "v{N}/m/{id}[?v=..][#Secret] (tigress_py.shareurl.parse)",
                "%r: %s" % (url[:200], err or "unparsable"), run)
        return
    # the parser checked every part: scheme, host, version, id, query, Secret
    t._mark(sorted({x for v in URL_ERRORS.values() for x in v}
                   & set(t.case.requirements)))
    creates = [r for r in s.driver_records() if op_of(r) == "create"
               and r["status"] in (200, 201)]
    made = mailbox_of(creates[-1]) if creates else None
    relay = urllib.parse.urlsplit(s.relay_url)    # no port: 443
    host = "%s:%d" % (relay.hostname, relay.port or 443)
    t.check("%s:%d" % (u.host.lower(), u.port or 443) == host,
            ["RLY-URL-HOST"], "the URL names the relay that was used, %s" %
            host, "%s:%s" % (u.host, u.port), run)
    t.check(u.version == 1, ["RLY-URL-VERSION"], "/v1/ in the path",
            "/v%d/" % u.version, run)
    t.check(made is not None and u.mailbox_id == made, ["RLY-URL-MAILBOX"],
            "the identifier of the mailbox the relay made (%s)" % made,
            u.mailbox_id, [run] + [s.evidence(r) for r in creates])
    if u.secret is None:
        t.check(False, ["CLI-SECRET-FRAGMENT"],
                "the Secret in the URL's fragment (spec/drivers.md: share "
                "writes the URL with its Secret)", "no fragment", run,
                verdict="WARN")
    else:
        frag = url.split("#", 1)[1]
        t.soft(frag == b64.encode_std(u.secret), ["E-SECRET-B64"],
               "the Secret written in padded standard base64",
               repr(frag), run)
    if run.as_asked:                # a device in the lab chose its own
        t.soft(u.vertical_present and u.vertical == "c", ["E-QUERY-STRICT"],
               "?v=c, the vertical the driver was given (TIGRESS_VERTICAL=c)",
               "?v=%s" % u.vertical if u.vertical_present else "no query",
               run)


@client_case("URL-LENGTH", "The share URL fits one SMS (160 characters)",
             ["Req-InvitationChannel"],
             "a share URL of at most 160 characters", ["init-stateless"])
def url_length(t):
    s = t.session("init-stateless")
    run = s.run_of("initiator", "share")
    url = (s.values.get("share.url") or "").strip()
    if not url:
        t.unsupported("no share URL to measure (share: %s)" % (
            run.describe() if run else "not run"))
    t.check(len(url) <= MAX_SMS, ["Req-InvitationChannel"],
            "at most %d characters (one SMS)" % MAX_SMS,
            "%d characters" % len(url), run)
    t.note("share URL length: %d characters" % len(url))


# -- TLS --------------------------------------------------------------------------------

def _stopped_unsent(t, run, sent, reqs, nothing: str, what: str, ev,
                    how: str = "") -> None:
    """A step that must stop before sending anything: no request in `sent`
    (`nothing` says what was expected; `how` how they came), a non-zero
    exit and nothing in TIGRESS_OUT, and a message on standard error
    (INFO)."""
    t.check(not sent, reqs, nothing, "%s sent %s%s" % (run.label, ", ".join(
        describe_record(e.record) for e in sent), how), ev)
    wrote = bool(run.out and run.out.strip())
    t.check(run.exit != 0 and not run.timed_out and not wrote, reqs,
            "%s fails and writes nothing" % what, run.describe() + (
                ", and TIGRESS_OUT holds %d bytes" % len(run.out)
                if wrote else ""), ev)
    if run.exit:
        t.soft(bool(run.stderr.strip()), reqs, "a message saying why %s "
               "failed" % what, "nothing on standard error", ev)


@client_case("TLS-UNTRUSTED", "A relay whose certificate does not chain to "
             "the CA the client was given is refused", ["CLI-HTTPS-VERIFY"],
             "share and accept fail, write nothing and send no request (the "
             "TLS handshake is refused)", ["untrusted"])
def tls_untrusted(t):
    s = t.session("untrusted")
    judged = 0
    for run in s.runs:
        lo, hi = run.started, run.started + run.elapsed + 0.05
        shakes = [h for h in s.handshake_evidence() if lo <= h.started <= hi]
        sent = t.around(s, run)[1:]
        if not sent and not shakes:
            t.note("%s: no connection to the relay; not judged" %
                   run.describe())
            continue
        judged += 1
        _stopped_unsent(t, run, sent, ["CLI-HTTPS-VERIFY"], "no request to "
                        "a relay whose certificate does not chain to "
                        "TIGRESS_CA", run.label, [run] + sent + shakes)
    if not judged:
        t.unsupported("the driver connected to the relay in no step (%s)" %
                      "; ".join(r.describe() for r in s.runs))
    t.note("TLS handshakes refused: %s" % "; ".join(
        h["error"][:120] for h in s.handshakes[:3]))


@client_case("TLS-HTTP-URL", "A share URL whose scheme is http is refused: "
             "nothing goes to the relay in clear", ["RLY-HTTPS-URI"],
             "preview and accept of an http: share URL (leading to the test "
             "relay served in clear) fail, write nothing and send no request; "
             "the driver accepted the session's https share before",
             ["recip-http-url"])
def tls_http_url(t):
    s = t.session("recip-http-url")
    control = s.run_of("recipient", "accept")
    read = [r for r in t.around(s, control)[1:] if r.record.get("tls")
            is not False and op_of(r.record) == "read" and
            r.record["status"] == 200]
    if control is None or control.exit != 0 or not read:
        t.unsupported("no accept of the session's https share that read "
                      "it (200) and succeeded (%s): a refusal of the http: "
                      "share URL would show nothing" % (
                          control.describe() if control else "not run"))
    plain = s.plain_records()
    t.note("the http: share URL: %s" % s.values.get("http_url", "?")
           .split("#", 1)[0] + "#...")
    for run in [r for r in s.runs if r.party == "http"]:
        if run.unsupported:
            t.note("%s: not offered (exit 127)" % run.label)
            continue
        lo, hi = run.started, run.started + run.elapsed + 0.05
        sent = [s.evidence(r) for r in plain if lo <= r["time"] <= hi]
        plain = [r for r in plain if not lo <= r["time"] <= hi]
        what = "%s of an http: share URL" % run.step
        _stopped_unsent(t, run, sent, ["RLY-HTTPS-URI"], "%s sends nothing "
                        "in clear" % what, what, [run] + sent,
                        " over plain HTTP")
    t.check(not plain, ["RLY-HTTPS-URI"], "no request in clear at any "
            "time", "%d request(s) over plain HTTP outside the steps: %s" % (
                len(plain), ", ".join(describe_record(r) for r in plain)),
            [s.evidence(r) for r in plain])


# -- SECRET ----------------------------------------------------------------------------

def _no_secret(t, sessions, reqs, who: str) -> None:
    checked = 0
    for s in sessions:
        for r in s.driver_records():
            for label, secret in s.secrets.items():
                checked += 1
                hits = find_secret(r, secret)
                t.check(not hits, reqs,
                        "no trace of the Secret (%s) in what the %s sends: "
                        "request line, headers, body" % (label, who),
                        "%s: found in %s" % (describe_record(r), ", ".join(
                            "%s (%s)" % h for h in hits)), s.evidence(r))
    if not checked:
        t.unsupported("no Secret to look for: the driver's requests go with "
                      "no share URL whose Secret the suite knows (URL-FORM)")
    t.note("%d request x Secret pairs searched (raw, base64 in both "
           "alphabets at every alignment, percent-encoded, hex)" % checked)


@client_case("SECRET-INITIATOR", "The initiator never sends the Secret to "
             "the relay",
             ["CLI-ENCRYPT", "SCT-SECRET-NEVER", "SCT-CONTENT-SECRET-ONLY"],
             "no request of the initiator carries the Secret in any form",
             ["init-stateless", "init-stateful", "init-twice",
              "retry-create"])
def secret_initiator(t):
    _no_secret(t, t.sessions(partial=True),
               ["CLI-ENCRYPT", "SCT-SECRET-NEVER", "SCT-CONTENT-SECRET-ONLY"],
               "initiator")


@client_case("SECRET-RECIPIENT", "The recipient removes the fragment: the "
             "Secret never reaches the relay",
             ["CLI-FRAGMENT-STRIP", "SCT-SECRET-NEVER", "CLI-ENCRYPT",
              "E-API-URL"],
             "no request of the recipient carries the Secret; requests go to "
             "/v1/m/{id} without the share URL's query",
             ["recip-stateless", "recip-stateful", "recip-relinquish",
              "recip-urlsafe", "self"])
def secret_recipient(t):
    ss = t.sessions(partial=True)
    _no_secret(t, ss, ["CLI-FRAGMENT-STRIP", "SCT-SECRET-NEVER",
                       "CLI-ENCRYPT"], "client")
    for s in ss:
        for r in s.driver_records():
            if op_of(r) in ("read", "preview", "update", "delete",
                            "relinquish"):
                t.soft("?" not in r["target"] and "#" not in r["target"],
                       ["E-API-URL"], "the API URL only, without the share "
                       "URL's query and fragment", describe_record(r),
                       s.evidence(r))


@client_case("SECRET-OUTPUT", "The driver never prints the Secret on its "
             "standard output or error", ["E-SECRET-LOCAL"],
             "no trace of a Secret of the session in any step's standard "
             "output or error (raw, base64 in both alphabets at every "
             "alignment, percent-encoded, hex)",
             ["init-stateless", "recip-stateless", "tamper"])
def secret_output(t):
    pairs = 0
    for s in t.sessions(partial=True):
        for run in s.runs:
            for label, secret in s.secrets.items():
                pairs += 1
                hits = find_in_output(run, secret)
                t.check(not hits, ["E-SECRET-LOCAL"], "no trace of the "
                        "Secret (%s) in what %s printed" % (label, run.label),
                        ", ".join("%s (%s)" % h for h in hits), run)
    t.note("%d step x Secret pairs searched" % pairs)


# -- REQID ------------------------------------------------------------------------------

REQID_SESSIONS = ["init-stateful", "recip-stateful", "recip-relinquish"]


@client_case("REQID-PRESENT", "Create, update, delete and relinquish carry "
             "Mailbox-Request-ID",
             list(REQID_REQ.values()),
             "the header on every mutating request", REQID_SESSIONS)
def reqid_present(t):
    n = 0
    for s in t.sessions():
        for r in s.driver_records():
            op = op_of(r)
            if op in MUTATING:
                n += 1
                t.check(header(r, REQID) is not None, [REQID_REQ[op]],
                        "Mailbox-Request-ID on the %s" % op,
                        "%s without it" % describe_record(r), s.evidence(r))
    t.note("%d mutating requests looked at" % n)


@client_case("REQID-UUID", "Every Mailbox-Request-ID is a UUID",
             ["CLI-REQID-UUID"], "UUIDs (8-4-4-4-12 hex)", REQID_SESSIONS)
def reqid_uuid(t):
    for s in t.sessions():
        for r in s.driver_records():
            v = header(r, REQID)
            if v is not None:
                t.check(uuids.is_form(v.strip()), ["CLI-REQID-UUID"],
                        "a UUID as Mailbox-Request-ID",
                        "%r on %s" % (v[:80], describe_record(r)),
                        s.evidence(r))


def _retry_of(first: dict, later: dict) -> bool:
    """`later` may repeat `first`'s Request-ID: the same method and target,
    and `first` got no answer (dropped, reset) or a 5xx."""
    no_answer = first.get("aborted") is not None or (
        first["status"] is not None and first["status"] >= 500)
    return no_answer and (first["method"], first["target"]) == (
        later["method"], later["target"])


@client_case("REQID-FRESH", "A fresh Mailbox-Request-ID for every request "
             "(the same only for a retry)",
             list(REQID_REQ.values()) + ["CLI-REQID-MATCH"],
             "no two requests share a Mailbox-Request-ID unless the second "
             "resends the first after its answer was lost",
             REQID_SESSIONS + ["init-twice", "recip-twice"])
def reqid_fresh(t):
    earlier = {}                        # Request-ID -> (session, record)
    shown = 0
    for s in t.sessions():
        for r in s.driver_records():
            v = header(r, REQID)
            if v is None:
                continue
            prev = earlier.get(v)
            earlier[v] = (s, r)
            ok = prev is None or (prev[0] is s and _retry_of(prev[1], r))
            ops = [op_of(r)] + ([op_of(prev[1])] if prev else [])
            mut = [o for o in ops if o in MUTATING]
            ev = [s.evidence(r)] + ([prev[0].evidence(prev[1])] if prev
                                    else [])
            got = "%s and %s both carry %s" % (
                describe_record(prev[1]), describe_record(r), v[:60]) \
                if prev else ""
            if mut:
                ok = t.check(ok, sorted({REQID_REQ[o] for o in mut}),
                             "a unique request identifier per request",
                             got, ev)
            else:
                ok = t.check(ok, ["CLI-REQID-MATCH"],
                             "distinct Mailbox-Request-IDs, so that answers "
                             "can be matched to requests", got, ev,
                             verdict="WARN")
            shown += not ok
            if shown >= 10:
                t.note("further repeats not listed")
                return


@client_case("REQID-MATCH", "An answer with another Mailbox-Request-ID than "
             "the request's is not taken",
             ["CLI-REQID-MATCH"],
             "the accept fails (or retries and takes only an answer that "
             "echoes its own Mailbox-Request-ID)", ["echo"])
def reqid_match(t):
    s = t.session("echo")
    run = s.run_of("recipient", "accept")
    reads = [r for r in s.driver_records() if op_of(r) == "read"]
    if not reads or header(reads[0], REQID) is None:
        t.unsupported("the driver's read carried no Mailbox-Request-ID, so "
                      "there is nothing to match (see REQID-PRESENT)")
    later_ok = [r for r in reads[1:] if r["status"] == 200 and not r.get(
        "fault")]
    ev = t.around(s, run)
    t.check(run.exit != 0 or bool(later_ok), ["CLI-REQID-MATCH"],
            "no success from an answer whose Mailbox-Request-ID is not the "
            "request's", "exit 0 after %s (the relay echoed another "
            "Mailbox-Request-ID)" % describe_record(reads[0]), ev)
    if run.exit:
        t.note("the driver refused the answer: %s" % run.describe())


# -- CLAIM ------------------------------------------------------------------------------

@client_case("CLAIM-PRESENT", "Create, read, update, delete and relinquish "
             "carry the device claim, under the profile's header name",
             ["CLI-CLAIM-HEADER", "SCT-CLAIM-HEADER"] +
             sorted(set(CLAIM_REQ.values())),
             "Mailbox-Device-Claim (sct-04: Device-Claim) on each",
             REQID_SESSIONS + ["init-stateless", "recip-stateless"])
def claim_present(t):
    name = t.claim_header
    main = "CLI-CLAIM-HEADER" if t.profile == "http-00" else \
        "SCT-CLAIM-HEADER"
    for s in t.sessions():
        for r in s.driver_records():
            op = op_of(r)
            if op not in CLAIM_REQ:
                continue
            reqs = [CLAIM_REQ[op]] + ([main] if op in ("create", "read",
                                                       "update") else [])
            t.check(header(r, name) is not None, reqs,
                    "%s on the %s" % (name, op),
                    "%s without it%s" % (describe_record(r), (
                        " (it sent %r)" % claim_of(r)) if claim_of(r) else
                        ""), s.evidence(r))


@client_case("CLAIM-UUID", "Device claims are UUIDs",
             ["CLI-CLAIM-UUID", "E-UUID-CASE"],
             "UUIDs, written in lower case",
             REQID_SESSIONS + ["init-stateless", "recip-stateless", "self"])
def claim_uuid(t):
    for s in t.sessions():
        for r in s.driver_records():
            c = claim_of(r)
            if c is None:
                continue
            if not t.check(uuids.is_form(c), ["CLI-CLAIM-UUID"],
                           "a UUID as device claim",
                           "%r on %s" % (c[:80], describe_record(r)),
                           s.evidence(r)):
                continue
            t.soft(c == c.lower(), ["E-UUID-CASE"], "a lower-case UUID",
                   repr(c), s.evidence(r))


def _claims_per_mailbox(s):
    out = defaultdict(set)
    for r in s.driver_records():
        c, m = claim_of(r), mailbox_of(r)
        if c is not None and m is not None and op_of(r) != "preview":
            out[m].add(c.lower())
    return out


@client_case("CLAIM-FRESH", "A party uses a new device claim for each "
             "mailbox", ["CLI-CLAIM-FRESH"],
             "different claims for two shares, and for two accepts, made "
             "from one state directory", ["init-twice", "recip-twice"])
def claim_fresh(t):
    for s in t.sessions():
        per = _claims_per_mailbox(s)
        t.check(len(per) >= 2, ["CLI-CLAIM-FRESH"],
                "two mailboxes used by the driver (%s)" % s.title,
                "%d" % len(per), s.runs, verdict="INFO")
        seen = {}
        for m, cs in per.items():
            for c in cs:
                if c in seen and seen[c] != m:
                    t.check(False, ["CLI-CLAIM-FRESH"],
                            "a fresh claim for each new mailbox",
                            "claim %s used for mailboxes %s and %s (%s)" % (
                                c, seen[c], m, s.title),
                            [s.evidence(r) for r in s.driver_records()
                             if claim_of(r) and claim_of(r).lower() == c])
                seen.setdefault(c, m)


@client_case("CLAIM-DISTINCT", "Initiator and recipient present different "
             "device claims", ["CLI-CLAIM-DISTINCT"],
             "the driver's recipient claim differs from its initiator claim "
             "(and from the suite's)", ["self", "init-stateless",
                                         "recip-stateless"])
def claim_distinct(t):
    for s in t.sessions():
        if s.name == "self":
            # the driver as both parties: its initiator claims (creates)
            # against its recipient claims (reads while the recipient ran)
            rec_runs = [x for x in s.runs if x.party == "recipient"]
            lo = min((x.started for x in rec_runs), default=float("inf"))
            mine = s.driver_records()
            a = {claim_of(r).lower() for r in mine
                 if op_of(r) == "create" and claim_of(r)}
            b = {claim_of(r).lower() for r in mine if op_of(r) == "read"
                 and claim_of(r) and r["time"] >= lo - 0.05}
            both = a & b
            t.check(not both, ["CLI-CLAIM-DISTINCT"],
                    "the driver as recipient uses another claim than the "
                    "driver as initiator",
                    "both use %s" % ", ".join(sorted(both)),
                    [s.evidence(r) for r in mine
                     if claim_of(r) and claim_of(r).lower() in both])
            continue
        # the suite as the other party: its claims against the driver's
        peer = {c.lower() for c in s.peer.claims}
        for r in s.driver_records():
            c = claim_of(r)
            if c is not None and op_of(r) != "preview":
                t.check(c.lower() not in peer, ["CLI-CLAIM-DISTINCT"],
                        "a claim of its own, not the other party's",
                        "%s sent the suite's claim %s" % (
                            describe_record(r), c), s.evidence(r))


# -- PRIVACY ----------------------------------------------------------------------------

ATTESTATION = ("mailbox-device-attestation", "device-attestation",
               "deviceattestation")
MIN_ID = 4          # characters of an identifier, and of a form searched


def _device_identifiers():
    """(what, bytes) that identify this machine and its user (errata
    E-IDENTIFYING); the drivers run here."""
    out = [("the host name", socket.gethostname())]
    try:
        out.append(("the login name", getpass.getuser()))
    except (KeyError, OSError):
        pass
    try:
        out.append(("the machine id", Path("/etc/machine-id").read_text(
            encoding="ascii").strip()))
    except (OSError, UnicodeDecodeError):
        pass
    return [(w, v.encode()) for w, v in out if len(v) >= MIN_ID]


def _claim_forms(claim: str):
    yield claim.encode()
    if uuids.is_form(claim):
        yield bytes.fromhex(claim.replace("-", ""))


def _token_of(r):
    obj = body_json(r)
    tok = obj.get("notificationToken") if isinstance(obj, dict) else None
    return None if tok is None else json.dumps(tok, sort_keys=True)


def _attestation_of(r):
    for k, v in r.get("headers", []):
        if k.lower() in ATTESTATION:
            return v
    return None


def _no_id(t, value_of, what, no_id, fresh, variable):
    """Every `what` the driver sent (value_of(record)) identifies nothing
    and differs between mailboxes."""
    idents = _device_identifiers()
    a_what = ("an " if what[0] in "aeiou" else "a ") + what
    seen = {}                           # value -> (mailbox, evidence)
    n = 0
    for s in t.sessions():
        claims = _claims_per_mailbox(s)
        for r in s.driver_records():
            v, m = value_of(r), mailbox_of(r)
            if v is None or m is None:
                continue
            n += 1
            ev = s.evidence(r)
            others = [("the claim %s of mailbox %s" % (c, mb), x)
                      for mb, cs in claims.items() if mb != m
                      for c in cs for x in _claim_forms(c)]
            hits = ["%s (%s)" % (w, f) for w, x in idents + others
                    for f in [find_in(v, x, MIN_ID)] if f]
            t.check(not hits, [no_id, "E-IDENTIFYING"], "%s that "
                    "identifies nothing" % a_what, "%s: its %s holds %s" % (
                        describe_record(r), what, ", ".join(hits[:3])), ev)
            prev = seen.setdefault(v, (m, ev))
            t.check(prev[0] == m, [fresh, "E-IDENTIFYING"],
                    "a different %s for every share" % what,
                    "the same %s for mailboxes %s and %s" % (what, prev[0], m),
                    [prev[1], ev])
    if not n:
        t.unsupported("the driver sent no %s when asked (%s=1)" % (
            what, variable))
    t.note("%d %ss looked at, against %d identifiers of this machine" % (
        n, what, len(idents)))


@client_case("PRIVACY-NOTIFY", "Notification tokens identify nothing and "
             "differ for every share",
             ["CLI-NOTIFY-NO-ID", "CLI-NOTIFY-FRESH", "E-IDENTIFYING"],
             "with TIGRESS_NOTIFY=1, a new notificationToken for every share "
             "that holds no host, login or machine name, nor another "
             "mailbox's claim", ["init-twice", "recip-twice"])
def privacy_notify(t):
    _no_id(t, _token_of, "notification token", "CLI-NOTIFY-NO-ID",
           "CLI-NOTIFY-FRESH", "TIGRESS_NOTIFY")


@client_case("PRIVACY-ATTEST", "Device attestations identify nothing and "
             "differ for every share",
             ["CLI-ATTEST-NO-ID", "CLI-ATTEST-FRESH", "E-IDENTIFYING"],
             "with TIGRESS_ATTEST=1, a new Mailbox-Device-Attestation for "
             "every share that holds no host, login or machine name, nor "
             "another mailbox's claim", ["init-twice"])
def privacy_attest(t):
    _no_id(t, _attestation_of, "attestation", "CLI-ATTEST-NO-ID",
           "CLI-ATTEST-FRESH", "TIGRESS_ATTEST")


# -- PAYLOAD ------------------------------------------------------------------------------

PAYLOAD_SESSIONS = ["init-stateless", "init-stateful", "recip-stateful"]


@client_case("PAYLOAD-FORM", "Payloads sent are {type, data} with a type "
             "of the draft and data in base64 of IV, ciphertext and tag",
             ["CLI-CREATE-PAYLOAD", "CLI-UPDATE-PAYLOAD", "RLY-PAYLOAD-TYPE",
              "RLY-PAYLOAD-DATA", "E-DATA-LAYOUT", "CLI-ENCRYPT"],
             "AEAD_AES_128_GCM or AEAD_AES_256_GCM, canonical padded "
             "base64 of at least 28 bytes, no plaintext in the clear",
             PAYLOAD_SESSIONS)
def payload_form(t):
    for s in t.sessions():
        for r, p in _driver_sealings(s):
            op = op_of(r)
            ev = s.evidence(r)
            req = "CLI-CREATE-PAYLOAD" if op == "create" else \
                "CLI-UPDATE-PAYLOAD"
            if not t.check(isinstance(p, dict), [req],
                           "a payload object in the %s body" % op,
                           "%s: %s" % (describe_record(r),
                                       body_text(r)[:120]), ev):
                continue
            typ = p.get("type")
            t.check(typ in tpayload.KEY_LEN, ["RLY-PAYLOAD-TYPE"],
                    "type AEAD_AES_128_GCM or AEAD_AES_256_GCM",
                    repr(typ)[:80], ev)
            data = p.get("data")
            if not t.check(isinstance(data, str), ["RLY-PAYLOAD-DATA"],
                           "data, a base64 string", repr(data)[:80], ev):
                continue
            try:
                raw = b64.decode_std_canonical(data)
            except ValueError as e:
                try:
                    raw = base64.b64decode(data + "==", validate=False)
                    t.soft(False, ["E-DATA-LAYOUT"],
                           "canonical padded standard base64", str(e), ev)
                except ValueError:
                    t.check(False, ["RLY-PAYLOAD-DATA"], "base64 data",
                            "%s: %r" % (e, data[:60]), ev)
                    continue
            t.check(len(raw) >= tpayload.MIN_DATA, ["RLY-PAYLOAD-DATA",
                                                    "E-DATA-LAYOUT"],
                    "at least 28 bytes (IV and tag)", "%d bytes" % len(raw),
                    ev)
            text = body_text(r)
            leaked = [x for x in s.inputs
                      if x.decode("utf-8", "replace") in text]
            t.check(not leaked, ["CLI-ENCRYPT"],
                    "no Provisioning Information in the clear",
                    "the plaintext is in the %s body" % op, ev)


@client_case("PAYLOAD-KEY", "Payloads are sealed with the Secret, a key of "
             "the length the type declares, and open to what the client "
             "was given",
             ["CLI-FLOW-ENCRYPT", "CLI-AEAD-AES128-GCM",
              "CLI-AEAD-AES256-GCM", "E-AEAD-FROM-SECRET", "E-AAD-EMPTY"],
             "each payload opens with the Secret of the share URL under its "
             "declared type and gives back the Provisioning Information the "
             "driver was given", PAYLOAD_SESSIONS)
def payload_key(t):
    opened = 0
    for s in t.sessions():
        for r, p in _driver_sealings(s):
            if not isinstance(p, dict) or p.get("type") not in AEAD_REQ:
                continue                        # PAYLOAD-FORM's finding
            ev = s.evidence(r)
            secret = _secret_for(s, r)
            if secret is None:
                t.note("%s: no known Secret for this mailbox" %
                       describe_record(r))
                continue
            opened += 1
            typ = p["type"]
            need = tpayload.KEY_LEN[typ]
            t.check(len(secret) == need, [AEAD_REQ[typ],
                                          "E-AEAD-FROM-SECRET"],
                    "a %d-byte Secret for %s" % (need, typ),
                    "a %d-byte Secret in the share URL" % len(secret), ev)
            try:
                pt = tpayload.open(p, secret)
                t.check(True, [AEAD_REQ[typ], "CLI-FLOW-ENCRYPT",
                               "E-AAD-EMPTY"], "", "")
            except TigressError as e:
                why = e.code
                if len(secret) == 32 and typ == "AEAD_AES_256_GCM":
                    try:
                        tpayload._open_raw(secret[:16],
                                           base64.b64decode(p["data"])[:12],
                                           base64.b64decode(p["data"])[12:])
                        why = "it opens with the first 16 bytes of the " \
                            "Secret as an AES-128 key"
                    except (TigressError, ValueError):
                        pass
                t.check(False, [AEAD_REQ[typ], "CLI-FLOW-ENCRYPT",
                                "E-AAD-EMPTY"],
                        "a payload that opens under %s with the Secret "
                        "(a %d-byte key)" % (typ, need), why, ev)
                continue
            if s.inputs:
                t.check(pt in s.inputs, ["CLI-FLOW-ENCRYPT"],
                        "the Provisioning Information the driver was given",
                        "%r" % pt[:80], ev)
            else:                   # a device in the lab chose what to share
                t.check(_is_pinfo(pt), ["CLI-FLOW-ENCRYPT"],
                        "Provisioning Information (format, content)",
                        "%r" % pt[:80], ev)
    if not opened:
        t.unsupported("no payload of the driver's whose Secret the suite "
                      "knows (no create or update, or no Secret in the "
                      "share URL)")


@client_case("PAYLOAD-IV", "No IV is used twice, under one Secret or "
             "across shares", ["CLI-AEAD-IV-RANDOM", "CLI-ENCRYPT"],
             "a fresh random IV for every sealing",
             ["init-stateful", "recip-stateful", "init-stateless",
              "init-twice"])
def payload_iv(t):
    anywhere = {}                   # iv -> (session, record): the driver's
    for s in t.sessions():
        seen = {}                   # (secret, iv) -> record
        datas = set()
        sealings = _sealings(s)
        for r, data, iv, secret in sealings:
            if data in datas:       # a retry of the same body
                continue
            datas.add(data)
            key = (secret, iv)
            if not s.evidence(r).peer:
                prev = seen.get(key)
                t.check(prev is None, ["CLI-AEAD-IV-RANDOM", "CLI-ENCRYPT"],
                        "an IV never used before under this Secret",
                        "IV %s of %s was used by %s" % (
                            iv.hex(), describe_record(r),
                            describe_record(prev)) if prev else "",
                        [s.evidence(prev), s.evidence(r)] if prev else [])
                other = anywhere.get(iv) if prev is None else None
                # 96 random bits do not repeat: a repeat under another
                # Secret shows an IV that is not drawn at random
                t.check(other is None, ["CLI-AEAD-IV-RANDOM"],
                        "an IV drawn at random: none of the driver's other "
                        "sealings has it",
                        "IV %s of %s (session %s) was used by %s (session "
                        "%s), under another Secret" % (
                            iv.hex(), describe_record(r), s.name,
                            describe_record(other[1]), other[0].name)
                        if other else "",
                        [other[0].evidence(other[1]), s.evidence(r)]
                        if other else [])
                anywhere.setdefault(iv, (s, r))
            seen.setdefault(key, r)
        t.note("%s: %d sealings under %d Secrets" % (
            s.name, len(datas), len({x[3] for x in sealings})))


def _sealings(s) -> list:
    """(record, data, IV, Secret) of every create and update of session
    s whose payload the suite can attribute to a Secret (the suite's
    sealings too)."""
    out = []
    for r in s.records:
        if op_of(r) not in ("create", "update"):
            continue
        obj = body_json(r)
        p = obj.get("payload") if isinstance(obj, dict) else None
        if not isinstance(p, dict) or not isinstance(p.get("data"), str):
            continue
        try:
            raw = base64.b64decode(p["data"])
        except ValueError:
            continue
        secret = _secret_for(s, r)
        if secret is not None and len(raw) >= 12:
            out.append((r, p["data"], raw[:12], secret))
    return out


def _is_pinfo(pt: bytes) -> bool:
    try:
        bodies.parse("provisioning_info", pt)
        return True
    except TigressError:
        return False


# -- RECEIVE ------------------------------------------------------------------------------

def _got(t, s, run, want: bytes, reqs, what: str) -> None:
    if not t.ran(s, run, reqs, what):
        return
    t.check(run.out == want or (run.out or b"").strip() == want, reqs,
            "%s: TIGRESS_OUT holds the Provisioning Information sent" % what,
            "%r" % (run.out or b"")[:120], t.around(s, run))


@client_case("RECEIVE-AES256", "The client opens an AEAD_AES_256_GCM "
             "payload of another implementation",
             ["CLI-FLOW-READ", "CLI-AEAD-MTI", "CLI-AEAD-AES256-GCM",
              "E-AAD-EMPTY", "E-DATA-LAYOUT"],
             "accept exits 0 and writes the Provisioning Information",
             ["recip-stateless"])
def receive_256(t):
    s = t.session("recip-stateless")
    _got(t, s, s.run_of("recipient", "accept"), PI,
         ["CLI-FLOW-READ", "CLI-AEAD-AES256-GCM", "CLI-AEAD-MTI",
          "E-AAD-EMPTY", "E-DATA-LAYOUT"],
         "accept of a share sealed by the suite")


@client_case("RECEIVE-AES128", "The client opens an AEAD_AES_128_GCM "
             "payload (a 16-byte Secret)",
             ["CLI-FLOW-READ", "CLI-AEAD-MTI", "CLI-AEAD-AES128-GCM",
              "E-AEAD-FROM-SECRET"],
             "accept exits 0 and writes the Provisioning Information",
             ["recip-aes128"])
def receive_128(t):
    s = t.session("recip-aes128")
    _got(t, s, s.run_of("recipient", "accept"), PI,
         ["CLI-FLOW-READ", "CLI-AEAD-AES128-GCM", "CLI-AEAD-MTI",
          "E-AEAD-FROM-SECRET"],
         "accept of a share under a 16-byte Secret")


@client_case("RECEIVE-UPDATE", "The client receives the other party's "
             "later messages (stateful flow, both roles)",
             ["CLI-FLOW-READ", "CLI-AEAD-AES256-GCM", "Req-RoundTrips"],
             "receive exits 0 with the suite's message",
             ["init-stateful", "recip-stateful"])
def receive_update(t):
    for s in t.sessions():
        role = "initiator" if s.name == "init-stateful" else "recipient"
        want = PI2 if role == "initiator" else PI3
        _got(t, s, s.run_of(role, "receive"), want,
             ["CLI-FLOW-READ", "CLI-AEAD-AES256-GCM", "Req-RoundTrips"],
             "receive by the %s of the suite's update" % role)


@client_case("RECEIVE-URLSAFE", "The client reads a Secret written in "
             "URL-safe base64 without padding", ["E-SECRET-B64"],
             "accept exits 0 and writes the Provisioning Information",
             ["recip-urlsafe"])
def receive_urlsafe(t):
    s = t.session("recip-urlsafe")
    run = s.run_of("recipient", "accept")
    t.soft(run is not None and run.exit == 0 and run.out == PI,
           ["E-SECRET-B64"], "accept of %s" % s.values.get("urlsafe_url"),
           run.describe() if run else "not run", t.around(s, run))


# -- REFUSE ------------------------------------------------------------------------------

def _variants(t, name, code, reqs, what, verdict_other="WARN"):
    s = t.session(name)
    for label, run in s.values.get("variants", []):
        _refused(t, s, run, code, reqs, "%s (%s)" % (what, label),
                 verdict_other)


@client_case("REFUSE-TAMPERED", "A payload whose ciphertext, tag or IV was "
             "changed is refused (exit 7)", ["CLI-INTEGRITY", "CLI-FLOW-READ"],
             "accept exits 7 and writes nothing, for each corruption",
             ["tamper"])
def refuse_tampered(t):
    _variants(t, "tamper", 7, ["CLI-INTEGRITY"], "a corrupted payload")


@client_case("REFUSE-TYPE", "A payload labelled with another AEAD than its "
             "Secret's, or an unknown one, is refused (exit 7)",
             ["RLY-PAYLOAD-TYPE", "CLI-AEAD-AES128-GCM", "E-AEAD-FROM-SECRET",
              "CLI-INTEGRITY", "CLI-FLOW-READ"],
             "accept exits 7 and writes nothing", ["wrong-type"])
def refuse_type(t):
    s = t.session("wrong-type")
    for (label, run), reqs in zip(s.values.get("variants", []), (
            ["CLI-AEAD-AES128-GCM", "RLY-PAYLOAD-TYPE", "E-AEAD-FROM-SECRET"],
            ["RLY-PAYLOAD-TYPE", "CLI-INTEGRITY"])):
        _refused(t, s, run, 7, reqs, "a wrongly typed payload (%s)" % label)


@client_case("REFUSE-NOT-PI", "Content that opens but is no Provisioning "
             "Information is refused (exit 7)",
             ["CLI-PINFO-FORMAT", "CLI-PINFO-CONTENT", "CLI-FLOW-READ"],
             "accept exits 7 and writes nothing", ["not-pi"])
def refuse_not_pi(t):
    # The draft marks format and content Required for whoever writes the
    # Provisioning Information; a recipient that passes on content without
    # them is a WARN here (spec/drivers.md asks for exit 7).
    s = t.session("not-pi")
    for label, run in s.values.get("variants", []):
        ev = t.around(s, run)
        reads = [e.record for e in ev[1:] if op_of(e.record) == "read"]
        if not t.check(any(r["status"] == 200 for r in reads),
                       ["CLI-FLOW-READ"], "the driver's read answered 200",
                       ", ".join(describe_record(r) for r in reads) or
                       "no read (%s)" % run.describe(), ev):
            continue
        wrote = bool(run.out and run.out.strip())
        t.check(run.exit != 0 and not wrote, ["CLI-PINFO-FORMAT",
                                              "CLI-PINFO-CONTENT"],
                "a refusal (exit 7) of content without format and content "
                "(%s)" % label, run.describe(), ev, verdict="WARN")


@client_case("REFUSE-MALFORMED", "A payload whose data is not base64, or "
             "too short for IV and tag, is refused (exit 7)",
             ["RLY-PAYLOAD-DATA", "CLI-INTEGRITY", "CLI-FLOW-READ"],
             "accept exits 7 and writes nothing", ["malformed"])
def refuse_malformed(t):
    _variants(t, "malformed", 7, ["RLY-PAYLOAD-DATA", "CLI-INTEGRITY"],
              "a malformed payload")


@client_case("REFUSE-401", "A share another device accepted first stops "
             "with a clear error (exit 9)", ["CLI-READ-401", "CLI-FLOW-READ"],
             "accept exits 9 with a message and writes nothing",
             ["claimed"])
def refuse_401(t):
    s = t.session("claimed")
    _refused(t, s, s.run_of("recipient", "accept"), 9, ["CLI-READ-401"],
             "accept answered 401", answer=401)


@client_case("REFUSE-404", "A share that is gone stops with a clear error "
             "(exit 8)", ["CLI-READ-404", "CLI-FLOW-READ"],
             "accept exits 8 with a message and writes nothing", ["gone"])
def refuse_404(t):
    s = t.session("gone")
    _refused(t, s, s.run_of("recipient", "accept"), 8, ["CLI-READ-404"],
             "accept answered 404", answer=404)


# -- RETRY ------------------------------------------------------------------------------

def _first_faulted(s, op):
    for r in s.driver_records():
        if op_of(r) == op and r.get("fault"):
            return r
    return None


def _resends(s, first):
    return [r for r in s.driver_records() if r["seq"] > first["seq"]
            and (r["method"], r["path"]) == (first["method"], first["path"])]


@client_case("RETRY-SAME-REQID", "A request whose answer was lost (dropped "
             "or reset) is resent with the same Mailbox-Request-ID",
             ["CLI-RETRY-SAME-REQID"],
             "the resent create or update carries the first one's "
             "Mailbox-Request-ID; exactly one mailbox, one update",
             ["retry-create", "retry-update", "retry-reset"])
def retry_same_reqid(t):
    retried = 0
    for s in t.sessions():
        op = "update" if s.name == "retry-update" else "create"
        first = _first_faulted(s, op)
        if first is None:
            t.note("%s: the fault did not fire (no %s)" % (s.name, op))
            continue
        again = _resends(s, first)
        run = s.runs[-1] if s.runs else None
        step = [x for x in s.runs if x.step in ("share", "send")]
        run = step[-1] if step else run
        if not again:
            t.note("%s: the driver did not resend the %s after %s (%s); "
                   "retrying is optional" % (
                       s.name, op, "the dropped answer" if first.get(
                           "aborted") == "drop" else "the reset",
                       run.describe() if run else "-"))
            continue
        retried += 1
        rid0 = header(first, REQID)
        ev = [s.evidence(first)] + [s.evidence(r) for r in again]
        if rid0 is None:
            t.check(False, ["CLI-RETRY-SAME-REQID"], "a Mailbox-Request-ID "
                    "on the %s, so that the relay knows the resend" % op,
                    "none (see REQID-PRESENT)", ev)
            continue
        t.check(all(header(r, REQID) == rid0 for r in again),
                ["CLI-RETRY-SAME-REQID"],
                "the same Mailbox-Request-ID (%s) on the resent %s" % (
                    rid0, op), ", ".join("%s with %s" % (
                        describe_record(r), header(r, REQID)) for r in again),
                ev)
        if op == "create" and first.get("aborted") == "drop":
            made = {mailbox_of(r) for r in [first] + again
                    if r["status"] in (200, 201)} - {None}
            t.check(len(made) <= 1, ["CLI-RETRY-SAME-REQID"],
                    "one mailbox for one share",
                    "%d mailboxes made: %s" % (len(made), ", ".join(
                        sorted(made))), ev)
    if not retried:
        t.unsupported("the driver does not resend a request whose answer "
                      "was lost (retrying is optional)")


@client_case("RETRY-201", "The 201 that answers a resent request is taken "
             "for the original's success",
             ["CLI-CREATE-201", "CLI-UPDATE-201", "CLI-FLOW-CREATE",
              "CLI-FLOW-UPDATE"],
             "share (or send) exits 0 after its resent request was answered "
             "201; the share URL works", ["retry-create", "retry-update"])
def retry_201(t):
    seen = 0
    for s in t.sessions():
        op = "update" if s.name == "retry-update" else "create"
        dup = [r for r in s.driver_records() if op_of(r) == op
               and r["status"] == 201]
        step = "send" if op == "update" else "share"
        run = [x for x in s.runs if x.step == step]
        run = run[-1] if run else None
        if not dup:
            first = _first_faulted(s, op)
            again = _resends(s, first) if first else []
            why = "it did not resend" if not again else (
                "its requests carry no Mailbox-Request-ID" if header(
                    first, REQID) is None else "its resend carried a new "
                "Mailbox-Request-ID" if header(again[0], REQID) != header(
                    first, REQID) else "the resend was not answered 201")
            t.note("%s: no 201 was answered to the driver (%s)" % (
                s.name, why))
            continue
        seen += 1
        req = "CLI-CREATE-201" if op == "create" else "CLI-UPDATE-201"
        t.ran(s, run, [req], "%s succeeds after the 201" % step)
        if op == "create" and run is not None and run.exit == 0:
            u = s.values.get("share.parsed")
            t.check(u is not None and u.mailbox_id == mailbox_of(dup[0]),
                    ["CLI-CREATE-201", "CLI-FLOW-CREATE"],
                    "the share URL names the mailbox the 201 (the original "
                    "answer's urlLink) gave", s.values.get("share.url", "")
                    [:120], [run, s.evidence(dup[0])])
        if op == "update" and run is not None and run.exit == 0:
            sent = body_json(dup[0])
            t.check(isinstance(sent, dict) and s.values.get(
                "peer_read.payload") == sent.get("payload"),
                ["CLI-FLOW-UPDATE"], "the mailbox holds the message sent",
                "it holds %s" % json.dumps(s.values.get(
                    "peer_read.payload"))[:100], run)
    if not seen:
        t.unsupported("no 201 was answered: the driver did not resend the "
                      "request under the same Mailbox-Request-ID (see "
                      "RETRY-SAME-REQID)")


@client_case("RETRY-5XX", "After a 503 the client reports a failure or "
             "retries; it never gives out a URL to nothing",
             ["CLI-FLOW-CREATE", "RLY-URL-MAILBOX"],
             "share exits non-zero with a message, or exits 0 with a URL "
             "whose mailbox holds the Provisioning Information",
             ["retry-5xx"])
def retry_5xx(t):
    s = t.session("retry-5xx")
    run = s.run_of("initiator", "share")
    ev = t.around(s, run)
    t.check(run.exit != 0 or s.values.get("share.peer_read.status") == 200,
            ["RLY-URL-MAILBOX", "CLI-FLOW-CREATE"],
            "a share URL to a mailbox that exists",
            "exit 0; the suite's read of the URL: status %s" % s.values.get(
                "share.peer_read.status"), ev)
    if run.exit:
        t.soft(bool(run.stderr.strip()), ["CLI-FLOW-CREATE"],
               "a message saying why the share failed",
               "nothing on standard error", ev)
        t.note("the driver reported the 503: %s" % run.describe())


@client_case("RETRY-SLOW", "An answer that comes 2 s late is waited for",
             ["CLI-FLOW-CREATE", "CLI-RETRY-SAME-REQID"],
             "share exits 0; one mailbox", ["retry-slow"])
def retry_slow(t):
    s = t.session("retry-slow")
    run = s.run_of("initiator", "share")
    t.ran(s, run, ["CLI-FLOW-CREATE"], "share through a slow relay")
    made = {mailbox_of(r) for r in s.driver_records() if op_of(r) ==
            "create" and r["status"] in (200, 201)} - {None}
    t.check(len(made) <= 1, ["CLI-RETRY-SAME-REQID"],
            "one mailbox for one share", "%d mailboxes: %s" % (
                len(made), ", ".join(sorted(made))), t.around(s, run))


@client_case("RETRY-READ", "A binding read whose answer was lost is resent "
             "with the same claim, and the content taken",
             ["CLI-FLOW-READ", "CLI-RETRY-SAME-REQID"],
             "accept exits 0 with the Provisioning Information",
             ["retry-read"])
def retry_read(t):
    s = t.session("retry-read")
    run = s.run_of("recipient", "accept")
    first = _first_faulted(s, "read")
    again = _resends(s, first) if first else []
    if not again:
        t.unsupported("the driver did not resend the read whose answer was "
                      "lost (%s); retrying is optional" % run.describe())
    ev = t.around(s, run)
    claims = {(claim_of(r) or "").lower() for r in [first] + again}
    t.check(len(claims) == 1, ["CLI-RETRY-SAME-REQID"],
            "the resent read under the claim the relay bound",
            "claims %s" % ", ".join(sorted(claims)), ev)
    _got(t, s, run, PI, ["CLI-FLOW-READ"], "accept after a lost answer")


# -- FLOW -------------------------------------------------------------------------------

def _deletes(s, party_runs):
    lo = min((x.started for x in party_runs), default=0)
    return [r for r in s.driver_records() if op_of(r) == "delete"
            and r["time"] >= lo - 0.05]


@client_case("FLOW-FINISH", "The recipient deletes the mailbox when the "
             "stateless flow is done",
             ["CLI-FLOW-DELETE", "SCT-RECEIVER-DELETES", "CLI-DELETE-VERSION",
              "CLI-DELETE-MAILBOX"],
             "finish exits 0 after a DELETE /v1/m/{id}; the mailbox is gone",
             ["recip-stateless", "recip-stateful", "self"])
def flow_finish(t):
    for s in t.sessions():
        run = s.run_of("recipient", "finish")
        if not t.ran(s, run, ["CLI-FLOW-DELETE"], "finish (%s)" % s.title):
            continue
        dels = _deletes(s, [run])
        ev = t.around(s, run)
        t.check(bool(dels), ["SCT-RECEIVER-DELETES"],
                "a DeleteMailbox when the transfer is done",
                "no DELETE (finish: %s)" % run.describe(), ev)
        for r in dels:
            t.check(r["path"].startswith("/v1/m/"), ["CLI-DELETE-VERSION",
                                                     "CLI-DELETE-MAILBOX"],
                    "DELETE /v1/m/{id}", describe_record(r), s.evidence(r))
        if "mailbox_after_finish" in s.values:
            t.check(not s.values["mailbox_after_finish"],
                    ["SCT-RECEIVER-DELETES"], "the mailbox gone after finish",
                    "still on the relay", ev)


@client_case("FLOW-CANCEL", "The initiator's cancel deletes the mailbox",
             ["CLI-FLOW-DELETE", "CLI-DELETE-VERSION", "CLI-DELETE-MAILBOX"],
             "cancel exits 0 after DELETE /v1/m/{id}; the mailbox is gone",
             ["init-stateful"])
def flow_cancel(t):
    s = t.session("init-stateful")
    run = s.run_of("initiator", "cancel")
    if not t.ran(s, run, ["CLI-FLOW-DELETE"], "cancel"):
        return
    ev = t.around(s, run)
    t.check(not s.values.get("mailbox_after_cancel", True),
            ["CLI-FLOW-DELETE"], "the mailbox gone after cancel",
            "still on the relay", ev)
    u = s.values.get("share.parsed")
    for r in _deletes(s, [run]):
        t.check(u is not None and r["path"] == "/v1/m/%s" % u.mailbox_id,
                ["CLI-DELETE-VERSION", "CLI-DELETE-MAILBOX"],
                "DELETE /v1/m/%s" % (u.mailbox_id if u else "{id}"),
                describe_record(r), s.evidence(r))


@client_case("FLOW-RELINQUISH", "relinquish gives the binding up, so that "
             "another device may accept",
             ["CLI-FLOW-RELINQUISH", "CLI-RELINQUISH-VERSION",
              "CLI-RELINQUISH-MAILBOX", "CLI-FLOW-READ"],
             "relinquish exits 0 after PATCH /v1/m/{id}; another recipient "
             "then reads", ["recip-relinquish"])
def flow_relinquish(t):
    s = t.session("recip-relinquish")
    acc = s.run_of("recipient", "accept")
    t.need(t.ran(s, acc, ["CLI-FLOW-READ"], "accept"))
    run = s.run_of("recipient", "relinquish")
    if not t.ran(s, run, ["CLI-FLOW-RELINQUISH"], "relinquish"):
        return
    ev = t.around(s, run)
    sh = s.values["share"]
    patches = [r for r in s.driver_records() if op_of(r) == "relinquish"]
    t.check(any(r["path"] == "/v1/m/%s" % sh.id for r in patches),
            ["CLI-RELINQUISH-VERSION", "CLI-RELINQUISH-MAILBOX",
             "CLI-FLOW-RELINQUISH"], "PATCH /v1/m/%s" % sh.id,
            ", ".join(describe_record(r) for r in patches) or "no PATCH", ev)
    t.check(s.values.get("bound_after") is None and s.values.get(
        "second_read") == PI, ["CLI-FLOW-RELINQUISH"],
        "the mailbox unbound, and another recipient's read answered",
        "bound to %s; the other recipient's read: %s" % (
            s.values.get("bound_after"), s.values.get("second_read.status")),
        ev)


@client_case("FLOW-SEND", "send stores a new message the other party opens "
             "(both roles)",
             ["CLI-FLOW-UPDATE", "Req-RoundTrips", "CLI-UPDATE-VERSION",
              "CLI-UPDATE-MAILBOX"],
             "send exits 0 after PUT /v1/m/{id}; the suite opens the message",
             ["init-stateful", "recip-stateful"])
def flow_send(t):
    for s in t.sessions():
        role = "initiator" if s.name == "init-stateful" else "recipient"
        run = s.run_of(role, "send")
        if not t.ran(s, run, ["CLI-FLOW-UPDATE"], "send by the %s" % role):
            continue
        label = "peer_read2" if role == "initiator" else "peer_read"
        puts = [body_json(e.record) for e in t.around(s, run)[1:]
                if op_of(e.record) == "update" and e.record["status"] in (
                    200, 201)]
        sent = [p.get("payload") for p in puts if isinstance(p, dict)]
        t.check(bool(sent) and s.values.get(label + ".payload") == sent[-1],
                ["CLI-FLOW-UPDATE", "Req-RoundTrips"],
                "the other party then reads the message the %s sent "
                "(PAYLOAD-KEY checks that it opens)" % role,
                "it reads %s (status %s)" % (
                    json.dumps(s.values.get(label + ".payload"))[:100],
                    s.values.get(label + ".status")), t.around(s, run))
        for r in s.driver_records():
            if op_of(r) == "update":
                t.check(mailbox_of(r) is not None and r["path"].startswith(
                    "/v1/m/"), ["CLI-UPDATE-VERSION", "CLI-UPDATE-MAILBOX"],
                    "PUT /v1/m/{id}", describe_record(r), s.evidence(r))


@client_case("FLOW-PREVIEW", "preview fetches the display information "
             "without binding",
             ["CLI-PREVIEW-VERSION", "CLI-PREVIEW-MAILBOX"],
             "preview exits 0 after GET /v1/m/{id} and writes the title, "
             "description and image URL; nothing is bound",
             ["recip-stateless"])
def flow_preview(t):
    s = t.session("recip-stateless")
    run = s.run_of("recipient", "preview")
    if not t.ran(s, run, ["CLI-PREVIEW-MAILBOX"], "preview"):
        return
    sh = s.values["share"]
    ev = t.around(s, run)
    during = [e.record for e in ev[1:]]
    t.check(any(r["method"] == "GET" and r["path"] == "/v1/m/%s" % sh.id
                for r in during), ["CLI-PREVIEW-VERSION",
                                   "CLI-PREVIEW-MAILBOX"],
            "GET /v1/m/%s" % sh.id,
            ", ".join(describe_record(r) for r in during) or "no request", ev)
    t.check(not any(op_of(r) == "read" for r in during),
            ["CLI-PREVIEW-MAILBOX"], "no read of the secure content (that "
            "would bind the device)", ", ".join(describe_record(r)
                                                for r in during), ev)
    try:
        got = json.loads(run.out or b"")
    except ValueError:
        got = None
    from .peer import DISPLAY as PEER_DISPLAY
    t.soft(isinstance(got, dict) and all(
        got.get(k) == PEER_DISPLAY[k] for k in PEER_DISPLAY),
        ["CLI-PREVIEW-MAILBOX"],
        "TIGRESS_OUT: %s" % json.dumps(PEER_DISPLAY),
        repr(run.out)[:200], ev)


# -- REQUEST ----------------------------------------------------------------------------

@client_case("REQUEST-CREATE", "The create request: POST /v1/m, JSON, "
             "display information and mailbox configuration",
             ["CLI-CREATE-VERSION", "RLY-CREATE-CONSUMES",
              "CLI-CREATE-DISPLAY", "CLI-DISPLAY-TITLE",
              "CLI-DISPLAY-DESCRIPTION", "CLI-DISPLAY-IMAGEURL",
              "CLI-CONFIG-EXPIRATION", "E-TIME-STRICT",
              "E-ACCESS-RIGHTS-FORM"],
             "POST /v1/m, application/json, displayInformation {title, "
             "description, imageURL} as given, mailboxConfiguration "
             "{expiration, accessRights}", ["init-stateless",
                                            "init-stateful"])
def request_create(t):
    for s in t.sessions():
        for r in s.driver_records():
            if r["method"] != "POST" or op_of(r) == "read":
                continue
            ev = s.evidence(r)
            t.check(r["path"] == "/v1/m", ["CLI-CREATE-VERSION"],
                    "POST /v1/m", describe_record(r), ev)
            ct = (header(r, "Content-Type") or "").split(";")[0].strip()
            t.check(ct.lower() == "application/json", ["RLY-CREATE-CONSUMES"],
                    "Content-Type: application/json", repr(ct), ev)
            obj = body_json(r)
            if not t.check(isinstance(obj, dict), ["CLI-CREATE-DISPLAY"],
                           "a JSON object", body_text(r)[:120], ev):
                continue
            d = obj.get("displayInformation")
            if not t.check(isinstance(d, dict), ["CLI-CREATE-DISPLAY"],
                           "displayInformation", repr(d)[:120], ev):
                continue
            for k, req in (("title", "CLI-DISPLAY-TITLE"),
                           ("description", "CLI-DISPLAY-DESCRIPTION"),
                           ("imageURL", "CLI-DISPLAY-IMAGEURL")):
                t.check(isinstance(d.get(k), str), [req],
                        "displayInformation.%s, a string" % k,
                        repr(d.get(k))[:80], ev)
            want = {"title": DISPLAY["title"],
                    "description": DISPLAY["description"],
                    "imageURL": DISPLAY["image"]}
            t.soft(all(d.get(k) == v for k, v in want.items()) or
                   not s.as_asked("share"),
                   ["CLI-CREATE-DISPLAY"], "the display information given "
                   "(TIGRESS_TITLE, _DESCRIPTION, _IMAGE): %s" %
                   json.dumps(want), json.dumps(d)[:200], ev)
            cfg = obj.get("mailboxConfiguration")
            if cfg is None:
                t.note("%s: no mailboxConfiguration" % s.name)
                continue
            exp = cfg.get("expiration") if isinstance(cfg, dict) else None
            if not t.check(isinstance(exp, str), ["CLI-CONFIG-EXPIRATION"],
                           "mailboxConfiguration.expiration",
                           repr(cfg)[:120], ev):
                continue
            try:
                rfc3339.parse(exp)
                err = None
            except TigressError as e:
                err = e.code
            t.check(err is None, ["CLI-CONFIG-EXPIRATION", "E-TIME-STRICT"],
                    "YYYY-MM-DDThh:mm:ssZ", "%r (%s)" % (exp, err), ev)
            rights = cfg.get("accessRights")
            t.soft(rights is None or _rights_form(rights),
                   ["E-ACCESS-RIGHTS-FORM"], "accessRights: 1-3 distinct "
                   "letters of R, W, D with R (REQUEST-CONFIG: as asked)",
                   repr(rights), ev)


def _rights_form(rights) -> bool:
    return isinstance(rights, str) and 1 <= len(rights) <= 3 and \
        len(set(rights)) == len(rights) and set(rights) <= set("RWD") and \
        "R" in rights


SLACK = 2           # seconds of an expiration's leeway (clock, rounding)


@client_case("REQUEST-CONFIG", "The mailbox is created with the access "
             "rights and the lifetime the user asked for",
             ["E-CONFIG-AS-ASKED"],
             "mailboxConfiguration.accessRights as TIGRESS_ACCESS (default "
             "RD) and an expiration TIGRESS_EXPIRES (default 600) seconds "
             "after the step, within %d s" % SLACK,
             ["init-stateless", "init-twice"])
def request_config(t):
    n = 0
    for s in t.sessions():
        for run in [x for x in s.runs if x.step == "share"]:
            if not run.as_asked:
                t.note("%s: the device chose its own rights and lifetime" %
                       run.label)
                continue
            asked = run.env.get("TIGRESS_ACCESS") or "RD"
            life = int(run.env.get("TIGRESS_EXPIRES") or 600)
            creates = [e for e in t.around(s, run)[1:]
                       if op_of(e.record) == "create"]
            if not creates:
                continue
            n += 1
            e = creates[0]              # a resend repeats its body
            obj = body_json(e.record)
            cfg = obj.get("mailboxConfiguration") if isinstance(obj, dict) \
                else None
            cfg = cfg if isinstance(cfg, dict) else {}
            sent = cfg.get("accessRights", "RD")    # E-ACCESS-RIGHTS
            extra = sorted(set(str(sent)) - set(asked))
            t.check(_rights_form(sent) and set(sent) == set(asked),
                    ["E-CONFIG-AS-ASKED"], "accessRights %s, as asked" % asked,
                    "%r%s%s" % (sent, "" if "accessRights" in cfg else
                                " (none sent: the default)",
                                ", giving the other party %s" % "".join(extra)
                                if extra else ""), [run, e])
            try:
                at = rfc3339.parse(cfg.get("expiration"))
            except TigressError:
                at = None               # REQUEST-CREATE says why
            lo = run.started + life - SLACK
            hi = run.started + run.elapsed + life + SLACK
            t.check(at is not None and lo <= at <= hi, ["E-CONFIG-AS-ASKED"],
                    "an expiration %d s after the share" % life,
                    "%s (%s)" % (cfg.get("expiration"), "%+d s from the "
                                 "step's start" % (at - run.started)
                                 if at is not None else "no lifetime chosen: "
                                 "the relay's default"), [run, e])
    if not n:
        t.unsupported("no create request to examine")


@client_case("REQUEST-PATHS", "Every request goes to /v1/m or "
             "/v1/m/{the mailbox}, with JSON bodies labelled so",
             ["CLI-READ-VERSION", "CLI-READ-MAILBOX", "CLI-UPDATE-VERSION",
              "CLI-UPDATE-MAILBOX", "CLI-DELETE-VERSION",
              "CLI-DELETE-MAILBOX", "CLI-RELINQUISH-VERSION",
              "CLI-RELINQUISH-MAILBOX", "RLY-UPDATE-CONSUMES"],
             "paths of the draft with the mailbox of the share",
             REQID_SESSIONS)
def request_paths(t):
    reqs = {"read": ["CLI-READ-VERSION", "CLI-READ-MAILBOX"],
            "update": ["CLI-UPDATE-VERSION", "CLI-UPDATE-MAILBOX"],
            "delete": ["CLI-DELETE-VERSION", "CLI-DELETE-MAILBOX"],
            "relinquish": ["CLI-RELINQUISH-VERSION",
                           "CLI-RELINQUISH-MAILBOX"]}
    for s in t.sessions():
        known = set()
        for label in s.secrets:
            v = s.values.get(label + ".parsed") or s.values.get(label)
            mid = getattr(v, "mailbox_id", None) or getattr(v, "id", None)
            if mid:
                known.add(mid)
        for r in s.driver_records():
            op = op_of(r)
            ev = s.evidence(r)
            if op == "other":
                t.check(r["path"].startswith("/.well-known/"),
                        ["CLI-READ-VERSION"], "a path of the API",
                        describe_record(r), ev)
                continue
            if op in reqs:
                t.check(mailbox_of(r) in known, reqs[op],
                        "/v1/m/{%s}" % "|".join(sorted(known)),
                        describe_record(r), ev)
            if op == "update":
                ct = (header(r, "Content-Type") or "").split(";")[0]
                t.check(ct.strip().lower() == "application/json",
                        ["RLY-UPDATE-CONSUMES"],
                        "Content-Type: application/json", repr(ct), ev)


# -- threats of spec/threat-model.md: claims, Secrets, display, replays -----------------

def _quarters(claim: str):
    """The four 32-bit quarters of a UUID, as hex."""
    h = claim.replace("-", "").lower()
    return [h[i:i + 8] for i in range(0, 32, 8)]


@client_case("CLAIM-RANDOM", "Device claims are random version 4 UUIDs",
             ["E-CLAIM-RANDOM"],
             "every claim the driver sends is a version 4 UUID (version "
             "nibble 4, variant bits 10), and no two claims of the run share "
             "one of their four 32-bit quarters (a chance of about 1 in 10^7 "
             "for random claims)",
             ["init-twice", "recip-twice", "init-stateless",
              "recip-stateless"])
def claim_random(t):
    claims = {}                         # claim -> (session, record)
    for s in t.sessions():
        for r in s.driver_records():
            c = claim_of(r)
            if c is not None and uuids.is_form(c):   # else CLAIM-UUID's
                claims.setdefault(c.lower(), (s, r))
    if not claims:
        t.unsupported("the driver sent no device claim of UUID form (see "
                      "CLAIM-PRESENT, CLAIM-UUID)")
    first = [{} for _ in range(4)]      # quarter value -> claim, per position
    for c, (s, r) in claims.items():
        h = c.replace("-", "")
        t.check(h[12] == "4" and h[16] in "89ab", ["E-CLAIM-RANDOM"],
                "a version 4 UUID (version nibble 4, variant bits 10)",
                "%s on %s: version %s, variant nibble %s" % (
                    c, describe_record(r), h[12], h[16]), s.evidence(r))
        for k, q in enumerate(_quarters(c)):
            prev = first[k].setdefault(q, c)
            if prev != c:
                ps, pr = claims[prev]
                t.check(False, ["E-CLAIM-RANDOM"], "claims that share no "
                        "32-bit quarter (random bits from a CSPRNG)",
                        "%s and %s share quarter %d (%s)" % (prev, c, k + 1, q),
                        [ps.evidence(pr), s.evidence(r)])
    t.note("%d distinct claims looked at" % len(claims))


@client_case("SECRET-FRESH", "Every share gets a Secret of its own",
             ["SCT-SECRET-PER-MAILBOX"],
             "the share URLs of two shares from one state directory, and of "
             "the other sessions, carry different Secrets",
             ["init-twice", "init-stateless"])
def secret_fresh(t):
    shares = []                         # (Secret, session, label, its run)
    for s in t.sessions():
        for label, secret in s.secrets.items():
            url = s.values.get(label + ".url")
            if url is None:
                continue                # the suite's share, not the driver's
            runs = [x for x in s.runs if x.step == "share" and (
                x.out or b"").decode("utf-8", "replace").strip() == url]
            shares.append((secret, s, label, runs[0] if runs else None))
    if len(shares) < 2:
        t.unsupported("fewer than two share URLs with a Secret to compare "
                      "(%d; see URL-FORM)" % len(shares))
    seen = {}
    for secret, s, label, run in shares:
        ps, plabel, prun = seen.setdefault(secret, (s, label, run))
        t.check(ps is s and plabel == label, ["SCT-SECRET-PER-MAILBOX"],
                "a new Secret for every share",
                "the Secret of %s (session %s) is that of %s (session %s)" % (
                    label, s.name, plabel, ps.name),
                [x for x in (prun, run) if x is not None])
    t.note("%d share URLs compared" % len(shares))


def _leaked(text: str, strings) -> list:
    """The control and formatting characters of `strings` that appear in
    `text` raw, each with the characters that follow it there (so that a
    driver's own colours or line ends are not taken for them); a CR only
    when no LF follows it."""
    out = []
    for st in strings:
        for i, ch in enumerate(st):
            if ch in "\t\n" or unicodedata.category(ch) not in ("Cc", "Cf"):
                continue
            snippet = st[i:i + 4]
            if snippet in text and snippet not in out:
                out.append(snippet)
    return out


@client_case("PREVIEW-HOSTILE", "Hostile display strings reach no terminal "
             "raw, and are handed on unchanged as data",
             ["E-DISPLAY-UNTRUSTED"],
             "preview exits 0 and writes the title and description as given "
             "(INFO otherwise); no control or bidirectional formatting "
             "character of them, raw, on the standard output or error of "
             "preview or accept", ["recip-hostile-display"])
def preview_hostile(t):
    s = t.session("recip-hostile-display")
    display = s.values["display"]
    strings = [display["title"], display["description"]]
    run = s.run_of("recipient", "preview")
    if run is not None and t.check(
            run.exit == 0 and not run.timed_out, ["E-DISPLAY-UNTRUSTED"],
            "preview of hostile display strings succeeds (exit 0)",
            run.describe(), t.around(s, run), verdict="INFO"):
        try:
            got = json.loads(run.out or b"")
        except ValueError:
            got = None
        t.check(isinstance(got, dict) and all(
            got.get(k) == display[k] for k in ("title", "description")),
            ["E-DISPLAY-UNTRUSTED"], "TIGRESS_OUT: the title and "
            "description as the creator gave them, byte for byte",
            repr(run.out)[:300], run, verdict="INFO")
    runs = [x for x in s.runs if x.step in ("preview", "accept")]
    for x in runs:
        for where, data in (("standard output", x.stdout),
                            ("standard error", x.stderr)):
            raw = _leaked((data or b"").decode("utf-8", "surrogateescape"),
                          strings)
            t.check(not raw, ["E-DISPLAY-UNTRUSTED"], "no control character "
                    "of the display strings raw on the %s of %s" % (
                        where, x.label), "found %s" % ", ".join(
                            ascii(r) for r in raw[:6]), x)
    t.note("%d driver runs looked at" % len(runs))


@client_case("PREVIEW-NO-FETCH", "The client does not fetch imageURL on its "
             "own", ["E-IMAGE-NO-FETCH"],
             "no request for the image (on the test relay) during preview and "
             "accept", ["recip-hostile-display"])
def preview_no_fetch(t):
    s = t.session("recip-hostile-display")
    path = "/" + s.values["display"]["imageURL"].split("/", 3)[3]
    runs = [x for x in s.runs if x.step in ("preview", "accept")]
    if not any(x.exit == 0 for x in runs):
        t.unsupported("neither preview nor accept succeeded, so the driver "
                      "may never have read the image URL (%s)" % "; ".join(
                          x.describe() for x in runs))
    fetched = [r for r in s.driver_records() if r["path"] == path]
    t.check(not fetched, ["E-IMAGE-NO-FETCH"], "no GET %s (the imageURL "
            "the creator chose: fetching it tells its server where and when "
            "the share is opened)" % path, ", ".join(
                describe_record(r) for r in fetched),
            [s.evidence(r) for r in fetched] + runs)


@client_case("RECEIVE-STALE", "A payload the client has seen or sent is "
             "never taken for the other party's next message",
             ["E-RECEIVE-NEW", "CLI-FLOW-READ", "CLI-FLOW-UPDATE"],
             "receive exits 10 (nothing new) and writes nothing when the "
             "relay serves nothing new, the driver's own reply again, or the "
             "suite's first message again", ["recip-stale"])
def receive_stale(t):
    s = t.session("recip-stale")
    for step, req in (("accept", "CLI-FLOW-READ"), ("send", "CLI-FLOW-UPDATE"),
                      ("receive", "CLI-FLOW-READ")):
        t.need(t.ran(s, s.run_of("recipient", step), [req],
                     "%s before the replays" % step))
    judged = 0
    for what, served, run in s.values.get("stale", []):
        ev = t.around(s, run)
        reads = [e.record for e in ev[1:] if op_of(e.record) == "read"
                 and e.record["status"] == 200]
        if not any(isinstance(body_json(r, "response_body"), dict) and
                   body_json(r, "response_body").get("payload") == served
                   for r in reads):
            t.note("%s: the driver read nothing during %s (%s)" % (
                what, run.label, run.describe()))
            continue
        judged += 1
        wrote = bool(run.out and run.out.strip())
        t.check(run.exit not in (0, None) and not wrote and not run.timed_out,
                ["E-RECEIVE-NEW"], "%s: receive exits 10 (nothing new) and "
                "writes nothing" % what, "%s%s" % (
                    run.describe(), ", and TIGRESS_OUT holds %r" %
                    run.out[:80] if wrote else ""), ev)
        if run.exit not in (0, 10, None):
            t.note("%s: %s (not 10, but no message taken)" % (
                what, run.describe()))
    if not judged:
        t.unsupported("the relay served no replayed payload to the driver "
                      "during its receives")
