"""Threat cases: the security considerations of http-00 §8 and sct-04, and
the attacks discussed in the working group (IETF 114): third devices,
claim races, guessed identifiers, deleted and expired mailboxes, preview
abuse and link-preview fetchers, plain HTTP, tracking, hostile input."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

from tigress_py import rfc3339, uuids

from ...core.context import describe
from ..registry import case
from ...core import rawhttp
from .. import preview, uuidstats
from ..preview import changed_strings


def _refused(t, ex, reqs, what, limit=None) -> None:
    """A hostile request is refused with a 4xx: a 5xx gets the verdict of
    `reqs`, no answer at all is a WARN.  A 2xx gets the verdict of `reqs`
    too, unless the request is valid HTTP and JSON that only a limit of
    ours refuses (`limit`, an errata ID): then it is INFO."""
    t._mark(list(reqs) + ([limit] if limit else []))
    t.saw()
    if ex.status is None:
        t.check(False, reqs, "a 4xx answer to %s" % what, describe(ex), ex,
                verdict="WARN")
    elif 200 <= ex.status < 300 and limit:
        t.soft(False, [limit], "a 4xx answer to %s" % what, describe(ex), ex)
    elif not 400 <= ex.status < 500:
        t.check(False, reqs, "a 4xx answer to %s" % what, describe(ex), ex)


# -- binding -----------------------------------------------------------------------

@case("THREAT-THIRD-DEVICE", "Once a recipient is bound, a third device can "
      "neither read, update, delete nor relinquish",
      ["RLY-BIND-ONE-RECIPIENT", "RLY-CLAIM-GATE", "RLY-READ-401",
       "RLY-UPDATE-401", "RLY-DELETE-401", "RLY-RELINQUISH-401",
       "Req-ConnectionIntegrity", "Req-Retrievals", "SCT-EXACTLY-ONE",
       "RLY-CONF-INTEGRITY"],
      "401 to each of the third device's requests; nothing leaks or changes")
def third_device(t):
    ci, cr, cx = t.client(), t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    x = t.claim()
    data = m.payload["data"]
    ex = cx.read(m.id, x)
    t.check(ex.status != 200 and data not in ex.text,
            ["RLY-BIND-ONE-RECIPIENT", "SCT-EXACTLY-ONE",
             "Req-ConnectionIntegrity", "Req-Retrievals"],
            "a refusal (401) of a third device's read, without the payload",
            describe(ex), ex)
    t.expect_status(ex, 401, ["RLY-READ-401"], "a third device's read")
    for op, ex, code_req in (
            ("update", cx.update(m.id, x, t.seal(b"third", m.key)[1]),
             "RLY-UPDATE-401"),
            ("relinquish", cx.relinquish(m.id, x), "RLY-RELINQUISH-401"),
            ("delete", cx.delete(m.id, x), "RLY-DELETE-401")):
        t.check(ex.status is not None and not 200 <= ex.status < 300,
                ["RLY-BIND-ONE-RECIPIENT", "RLY-CLAIM-GATE"],
                "a refusal (401) of a third device's %s" % op,
                describe(ex), ex)
        if ex.status is not None and not 200 <= ex.status < 300:
            t.expect_status(ex, 401, [code_req], "a third device's %s" % op)
    rd = cr.read(m.id, rc)
    t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
            ["RLY-BIND-ONE-RECIPIENT", "RLY-CONF-INTEGRITY"],
            "the recipient still reading the original payload",
            describe(rd) if rd.status != 200 else "another payload", rd)


@case("THREAT-UNBOUND-WRITE", "Before a recipient is bound, a stranger can "
      "neither update, delete nor relinquish",
      ["RLY-CLAIM-GATE", "RLY-UPDATE-401", "RLY-DELETE-401",
       "RLY-RELINQUISH-401", "RLY-BIND-ONE-RECIPIENT"],
      "401 to each; the recipient then reads the original payload")
def unbound_write(t):
    m = t.mailbox()
    cx = t.client()
    x = t.claim()
    for op, ex, code_req in (
            ("update", cx.update(m.id, x, t.seal(b"stranger", m.key)[1]),
             "RLY-UPDATE-401"),
            ("relinquish", cx.relinquish(m.id, x), "RLY-RELINQUISH-401"),
            ("delete", cx.delete(m.id, x), "RLY-DELETE-401")):
        t.check(ex.status is not None and not 200 <= ex.status < 300,
                ["RLY-CLAIM-GATE", "RLY-BIND-ONE-RECIPIENT"],
                "a refusal of a stranger's %s of an unbound mailbox" % op,
                describe(ex), ex)
        if ex.status is not None and not 200 <= ex.status < 300:
            t.expect_status(ex, 401, [code_req],
                            "a stranger's %s of an unbound mailbox" % op)
    rd = t.client().read(m.id, t.claim())
    t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
            ["RLY-CLAIM-GATE", "RLY-ROUNDTRIP-FIRST"],
            "200 with the original payload to the recipient's first read",
            describe(rd) if rd.status != 200 else "another payload", rd)


@case("THREAT-BIND-BEFORE-CHECK", "A first read that is refused binds "
      "nobody: neither one with an invalid body nor one the mailbox's "
      "rights refuse; the intended recipient still reads afterwards",
      ["RLY-BIND-FIRST-READ", "RLY-BIND-ONE-RECIPIENT", "E-READ-BODY",
       "E-ACCESS-RIGHTS-FORM"],
      "the stranger refused and unbound; the next device's first read 200")
def bind_before_check(t):
    # A refused read by a stranger, for an invalid body (E-READ-BODY).
    m = t.mailbox()
    x = t.client().read(m.id, t.claim(), body=b'{"notificationToken": 7}',
                        content_type="application/json")
    t.answered(x, ["E-READ-BODY"], "an answer to a read with an invalid body")
    observed = False
    if x.status == 200:
        t.note("a read with the notificationToken 7 was taken (E-READ-BODY "
               "is our decision); whether a refused read binds is not seen "
               "that way")
        t.soft(False, ["E-READ-BODY"], "400 to a read whose body is invalid",
               describe(x), x)
    else:
        rd = t.client().read(m.id, t.claim())
        t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
                ["RLY-BIND-FIRST-READ", "RLY-BIND-ONE-RECIPIENT"],
                "200 with the payload to the intended recipient's first read, "
                "after a stranger's read was refused (%s)" % describe(x),
                describe(rd) + (": the refused stranger was bound" if
                                rd.status == 401 else ""), [x, rd])
        observed = True
    # A mailbox without the read right, where the relay takes one.
    r = t.mailbox(rights="WD", check=False)
    t.soft(r.create.status is not None and 400 <= r.create.status < 500,
           ["E-ACCESS-RIGHTS-FORM"], "400 to a create with accessRights WD "
           "(no R: our decision)", describe(r.create), r.create)
    if r.create.status != 200 or not r.id:
        if not observed:
            t.unsupported("neither a read with an invalid body nor a mailbox "
                          "without the read right is refused for its own "
                          "reason here")
        return
    s1, s2 = t.client(), t.client()
    a, b = t.claim(), t.claim()
    first = s1.read(r.id, a)
    t.check(first.status is not None and 400 <= first.status < 500,
            ["RLY-ACCESS-RIGHTS"], "a refusal of a read of a mailbox "
            "without R", describe(first), first)
    if first.status is None or first.status == 200:
        return
    rel = s1.relinquish(r.id, a)
    t.check(rel.status is not None and rel.status >= 400,
            ["RLY-BIND-FIRST-READ", "RLY-BIND-ONE-RECIPIENT"],
            "the stranger whose read was refused (%s) not bound: 401 to its "
            "relinquish" % describe(first),
            "%s: it was bound" % describe(rel), [first, rel])
    second = s2.read(r.id, b)
    t.check(second.status == first.status and
            second.error_code == first.error_code,
            ["RLY-BIND-FIRST-READ", "RLY-BIND-ONE-RECIPIENT"],
            "the next device's read refused as the first was (%s)" %
            describe(first), describe(second) + " (a binding was left "
            "behind)", [first, second])


@case("THREAT-CLAIM-RACE", "Devices reading a fresh mailbox at the same "
      "moment: exactly one becomes the recipient, in every trial",
      ["RLY-BIND-ONE-RECIPIENT", "RLY-BIND-FIRST-READ", "RLY-READ-401",
       "Req-ConnectionIntegrity", "Req-Retrievals", "RLY-NO-5XX"],
      "one 200 and the rest 401 in each trial; never a 5xx", hostile=True)
def claim_race(t):
    reqs = ["RLY-BIND-ONE-RECIPIENT", "RLY-BIND-FIRST-READ", "RLY-READ-401",
            "Req-ConnectionIntegrity", "Req-Retrievals"]
    t._mark(reqs)
    trials = t.options.race_trials
    k = t.options.race_readers
    main = t.client()
    readers = [t.client() for _ in range(k + 1)]     # the last: initiator
    for c in readers:
        c.read_display(uuids.new_v4())               # open the connection
    barrier = threading.Barrier(k + 2, timeout=60)
    state = {"target": None, "claims": [], "res": [None] * (k + 1),
             "stop": False, "with_initiator": False}

    def worker(i):
        try:
            while True:
                barrier.wait()
                if state["stop"]:
                    return
                if i == k and not state["with_initiator"]:
                    state["res"][i] = None
                else:
                    state["res"][i] = readers[i].read(state["target"],
                                                      state["claims"][i])
                barrier.wait()
        except threading.BrokenBarrierError:
            return

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(k + 1)]
    for th in threads:
        th.start()
    bad = []
    odd_losers = []
    try:
        for trial in range(trials):
            m = t.mailbox(client=main)
            state["target"] = m.id
            state["with_initiator"] = trial % 2 == 1
            state["claims"] = [t.claim() for _ in range(k)] + [m.claim]
            state["res"] = [None] * (k + 1)
            barrier.wait()
            barrier.wait()
            res = state["res"]
            st = [e.status if e is not None else None for e in res[:k]]
            winners = [i for i in range(k) if st[i] == 200]
            odd = [e for e in res[:k] if e is not None and
                   e.status not in (200, 401)]
            if odd and not odd_losers:
                odd_losers.extend(odd)
            if len(winners) != 1:
                bad.append((trial, st, [e for e in res[:k] if e is not None
                                        and e.status == 200]))
            if state["with_initiator"] and (res[k] is None or
                                            res[k].status != 200):
                bad.append((trial, ["initiator: %s" % describe(res[k])],
                            [res[k]]))
    finally:
        state["stop"] = True
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        barrier.abort()
        for th in threads:
            th.join(10)
    t.note("%d trials, %d concurrent readers each (the initiator joining "
           "every other trial)" % (trials, k))
    if odd_losers:
        t.expect_status(odd_losers[0], 401, ["RLY-READ-401"],
                        "a read that lost the race")
    trial, st, exs = bad[0] if bad else (0, [], [])
    t.check(not bad, ["RLY-BIND-ONE-RECIPIENT", "Req-ConnectionIntegrity"],
            "exactly one 200 among %d concurrent first reads, in every "
            "trial" % k,
            "%d of %d trials broke it; first: trial %d answered %s" % (
                len(bad), trials, trial + 1, st), exs[:4])


# -- identifiers ----------------------------------------------------------------------

@case("THREAT-ID-GUESS", "Mailbox identifiers are version 4 UUIDs without "
      "structure: over 1000 creations, no duplicates, balanced bits, no "
      "sequence, and the next one cannot be predicted",
      ["RLY-ID-UUID", "RLY-ID-CSPRNG", "RLY-ID-ENTROPY", "RLY-MULTI-MAILBOX",
       "RLY-CONF-INTEGRITY", "RLY-NO-5XX"],
      "random v4 UUIDs", hostile=True)
def id_guess(t):
    t.needs_creates()
    n = t.options.id_sample
    workers = max(1, t.options.workers)
    key, pl = t.seal(b"identifier sample")
    cfg = {"expiration": t.expiration(), "accessRights": "RD"}
    display = t.display(title="identifier sample")
    lists = [[] for _ in range(workers)]
    failures = []

    def work(w):
        c = t.bulk_client()
        for i in range(w, n, workers):
            ex = c.create(t.claim(), display, pl, config=cfg)
            url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
            if ex.status == 200 and isinstance(url, str):
                lists[w].append(url.rstrip("/").rsplit("/", 1)[-1])
                if i < 3:
                    t.attach(ex)
            else:
                failures.append(ex)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ids = [x for lst in lists for x in lst]
    if failures:
        t.attach(failures[0])
        t.note("%d of %d creates failed; first: %s" % (
            len(failures), n, describe(failures[0])))
    t.require(len(ids) >= min(n, 100), ["RLY-MULTI-MAILBOX"],
              "%d mailboxes created" % n, "%d" % len(ids),
              failures[:1], verdict="INFO")
    rep = uuidstats.analyse(lists)
    t.note(rep.summary())
    t.check(not rep.malformed, ["RLY-ID-UUID"], "UUIDs only",
            "%d identifiers that are not UUIDs, e.g. %r" % (
                len(rep.malformed), rep.malformed[:2]))
    t.check(not rep.duplicates, ["RLY-ID-UUID"], "no identifier twice",
            "%d duplicates, e.g. %s" % (len(rep.duplicates),
                                        rep.duplicates[:2]))
    t.check(rep.not_v4 == 0, ["RLY-ID-ENTROPY"],
            "version 4, variant 10 in every identifier",
            "%d of %d are not" % (rep.not_v4, rep.count))
    t.check(not rep.biased_bits, ["RLY-ID-ENTROPY"],
            "each random bit set in about half of the identifiers "
            "(within %.1f standard deviations)" % uuidstats.BIT_SIGMA,
            "%d biased bit positions, e.g. %s" % (
                len(rep.biased_bits), rep.biased_bits[:4]))
    t.check(not rep.sequential, ["RLY-ID-ENTROPY"],
            "consecutive identifiers unrelated (about 61 of 122 bits "
            "differing)", rep.sequential_reason)
    # The attack: predict the next identifiers from those seen, let a
    # victim create a mailbox, and try to read the predicted ones.
    guesses = uuidstats.predict(lists, 4)
    victim = t.mailbox()
    attacker = t.client()
    hit = None
    for g in guesses:
        ex = attacker.read(g, t.claim())
        if ex.status == 200:
            hit = ex
            break
    t.check(hit is None, ["RLY-ID-CSPRNG", "RLY-CONF-INTEGRITY"],
            "none of %d identifiers predicted from the sample to exist" %
            len(guesses),
            "the predicted %s exists%s; a third party bound itself to it" % (
                hit.url.rsplit("/", 1)[-1] if hit else "",
                " (the victim's mailbox)" if hit is not None and
                hit.url.endswith(victim.id) else ""), hit)


# -- deletion and expiry ----------------------------------------------------------------

@case("THREAT-DELETED-UNREADABLE", "After a delete nobody reads, previews or "
      "updates the mailbox",
      ["RLY-DELETE-200", "RLY-READ-404", "RLY-PREVIEW-404", "RLY-UPDATE-404",
       "Req-ConnectionIntegrity"],
      "404 to every request after the delete")
def deleted_unreadable(t):
    for deleter in ("initiator", "recipient"):
        ci, cr = t.client(), t.client()
        m = t.mailbox(client=ci)
        rc = t.bind(m, cr)
        c, claim = (ci, m.claim) if deleter == "initiator" else (cr, rc)
        ex = c.delete(m.id, claim)
        t.setup(ex, "delete by the %s" % deleter,
                "API-DELETE-200" if deleter == "initiator" else
                "API-DELETE-RECIPIENT")
        for what, ex, code_req in (
                ("the recipient's read", cr.read(m.id, rc), "RLY-READ-404"),
                ("the initiator's read", ci.read(m.id, m.claim),
                 "RLY-READ-404"),
                ("a new device's read", t.client().read(m.id, t.claim()),
                 "RLY-READ-404"),
                ("the preview", ci.read_display(m.id), "RLY-PREVIEW-404"),
                ("the initiator's update", ci.update(
                    m.id, m.claim, t.seal(b"after delete", m.key)[1]),
                 "RLY-UPDATE-404")):
            if t.check(ex.status is not None and not 200 <= ex.status < 300,
                       ["RLY-DELETE-200", "Req-ConnectionIntegrity"],
                       "404 to %s after a delete by the %s" % (what, deleter),
                       describe(ex), ex):
                t.expect_status(ex, 404, [code_req],
                                "%s after a delete" % what)


# Tries of THREAT-EXPIRED-UNREADABLE's short-lived mailbox, each living
# twice as long as the last: on a slow link or a loaded machine the first
# may expire before its binding read arrives.
EXPIRY_TRIES = 3


def _short_lived(t, ci, cr):
    """A mailbox of options.expiry_ttl seconds created by `ci` and bound by
    a read of `cr`: (now, ttl, expiration, initiator claim, id, recipient
    claim), or None when the relay refused the create (noted).  A binding
    read answered 404 once the mailbox may have expired is tried again
    with a longer lifetime; any other failed read is a failed
    precondition."""
    ttl = t.options.expiry_ttl
    for attempt in range(EXPIRY_TRIES):
        now = int(time.time())
        exp = rfc3339.format(now + ttl)
        key, pl = t.seal(b"short-lived")
        claim = t.claim()
        ex = ci.create(claim, t.display(), pl,
                       config={"expiration": exp, "accessRights": "RWD"})
        if ex.status != 200:
            t.info(["RLY-EXPIRE-DELETE"], "a mailbox living %d s to test "
                   "expiry" % ttl, describe(ex), ex)
            return None
        mid = ex.json["urlLink"].rstrip("/").rsplit("/", 1)[-1]
        rc = t.claim()
        first = cr.read(mid, rc)
        late = time.time() >= now + ttl - 0.5
        if first.status == 404 and late and attempt + 1 < EXPIRY_TRIES:
            t.note("the mailbox of %d s expired before its first read "
                   "arrived: tried again with %d s" % (ttl, 2 * ttl))
            ttl *= 2
            continue
        t.setup(first, "first read before expiry", "API-READ-200")
        return now, ttl, exp, claim, mid, rc
    return None


@case("THREAT-EXPIRED-UNREADABLE", "Once its expiration has passed, a "
      "mailbox is neither read nor previewed",
      ["RLY-EXPIRE-DELETE", "RLY-EXPIRE-DELETE-CONFIG", "RLY-EXPIRE-SWEEP",
       "RLY-EXPIRE-SWEEP-PERIODIC", "RLY-EXPIRE-SWEEP-SEC", "E-EXPIRED-404"],
      "404 from the expiration second on", waits=True)
def expired_unreadable(t):
    ci, cr = t.client(), t.client()
    made = _short_lived(t, ci, cr)
    if made is None:
        return
    now, ttl, exp, claim, mid, rc = made
    time.sleep(max(0.0, now + ttl + 1 - time.time()))
    t._mark(["RLY-EXPIRE-DELETE", "RLY-EXPIRE-DELETE-CONFIG",
             "RLY-EXPIRE-SWEEP", "RLY-EXPIRE-SWEEP-PERIODIC",
             "RLY-EXPIRE-SWEEP-SEC", "E-EXPIRED-404"])
    late = [("the recipient's read", lambda: cr.read(mid, rc)),
            ("the initiator's read", lambda: ci.read(mid, claim)),
            ("the preview", lambda: ci.read_display(mid))]
    first_pass = [(w, f()) for w, f in late]
    served = [(w, e) for w, e in first_pass if e.status == 200]
    if t.check(not served, ["RLY-EXPIRE-DELETE"],
               "no content from the expiration second on", "content served",
               [e for _, e in first_pass]):
        return
    # Served after expiry: a relay that sweeps every few seconds is late;
    # one that still serves well after is broken.
    deadline = now + ttl + 6
    while time.time() < deadline:
        time.sleep(0.5)
        served = [(w, f()) for w, f in late]
        served = [(w, e) for w, e in served if e.status == 200]
        if not served:
            t.check(False, ["E-EXPIRED-404"],
                    "404 from the expiration second on",
                    "content served for a few seconds after expiry",
                    [e for _, e in first_pass])
            return
    w, e = served[0]
    t.check(False, ["RLY-EXPIRE-DELETE", "RLY-EXPIRE-DELETE-CONFIG",
                    "RLY-EXPIRE-SWEEP-SEC"],
            "404 to %s once the expiration (%s) has passed" % (w, exp),
            "%s, %d s after the expiration" % (describe(e),
                                               int(time.time()) - now - ttl),
            e)


# -- relinquish and the parties -------------------------------------------------------------

@case("THREAT-RELINQUISH-OTHERS", "Nobody but the bound recipient "
      "relinquishes: neither the initiator nor a stranger can unbind it",
      ["RLY-RELINQUISH-RECIPIENT", "RLY-RELINQUISH-401",
       "RLY-BIND-ONE-RECIPIENT", "Req-ConnectionIntegrity", "E-PARTIES"],
      "401 to both; the recipient stays bound")
def relinquish_others(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    rc = t.bind(m, cr)
    for who, claim in (("the initiator", m.claim), ("a stranger", t.claim())):
        ex = ci.relinquish(m.id, claim)
        t.check(ex.status is not None and not 200 <= ex.status < 300,
                ["RLY-RELINQUISH-RECIPIENT", "RLY-RELINQUISH-401", "E-PARTIES"],
                "401 to a relinquish by %s" % who, describe(ex), ex)
    x = t.claim()
    take = t.client().read(m.id, x)
    t.check(take.status != 200, ["RLY-BIND-ONE-RECIPIENT",
                                 "Req-ConnectionIntegrity"],
            "401 to a new device's read (the recipient still bound)",
            describe(take) + (", the new device bound itself" if
                              take.status == 200 else ""), take)
    rd = cr.read(m.id, rc)
    t.check(rd.status == 200, ["RLY-BIND-ONE-RECIPIENT"],
            "200 to the recipient's read", describe(rd), rd)


@case("THREAT-INITIATOR-AS-RECIPIENT", "The initiator reading its own "
      "mailbox first does not take the recipient's place",
      ["RLY-ROUNDTRIP-FIRST", "RLY-BIND-FIRST-READ", "RLY-BIND-ONE-RECIPIENT",
       "RLY-CLAIM-GATE", "RLY-RELINQUISH-RECIPIENT", "E-PARTIES"],
      "the recipient's later first read 200; then a third device 401")
def initiator_as_recipient(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    ex = ci.read(m.id, m.claim)
    t.check(ex.status == 200, ["RLY-CLAIM-GATE"],
            "200 to the initiator's read", describe(ex), ex)
    rc = t.claim()
    rd = cr.read(m.id, rc)
    t.check(rd.status == 200, ["RLY-ROUNDTRIP-FIRST", "RLY-BIND-FIRST-READ"],
            "200 to the recipient's first read after the initiator's own read",
            describe(rd), rd)
    if rd.status == 200:
        x = t.client().read(m.id, t.claim())
        t.check(x.status != 200, ["RLY-BIND-ONE-RECIPIENT"],
                "401 to a third device", describe(x), x)
        rel = ci.relinquish(m.id, m.claim)
        t.check(rel.status is not None and not 200 <= rel.status < 300,
                ["E-PARTIES", "RLY-RELINQUISH-RECIPIENT"],
                "401 to the initiator's relinquish (it is not the "
                "recipient)", describe(rel), rel)


@case("THREAT-SECRET-NOT-NEEDED", "A whole transfer works without the relay "
      "ever seeing the Secret; a share URL's fragment never reaches it",
      ["SCT-SECRET-NEVER", "RLY-OPAQUE-STORE", "CLI-FRAGMENT-STRIP",
       "SCT-CONTENT-SECRET-ONLY", "Req-Opaque", "E-API-URL"],
      "the flow succeeds; the key appears in no request")
def secret_not_needed(t):
    import base64
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    forms = {base64.b64encode(m.key).decode(), base64.b64encode(m.key)
             .decode().rstrip("="), base64.urlsafe_b64encode(m.key).decode()
             .rstrip("="), m.key.hex()}
    # A share URL with the Secret in its fragment, on the relay under test
    share = "%s/v1/m/%s?v=c#%s" % (t.run.base_url, m.id,
                                   base64.b64encode(m.key).decode())
    rc = t.claim()
    rd = cr.read(share, rc)          # the client cuts query and fragment
    t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
            ["RLY-OPAQUE-STORE", "SCT-SECRET-NEVER", "SCT-CONTENT-SECRET-ONLY",
             "Req-Opaque"],
            "200 and the payload, without the Secret", describe(rd), rd)
    ex = cr.update(m.id, rc, t.seal(b"reply", m.key)[1])
    t.check(ex.status == 200, ["RLY-OPAQUE-STORE"], "200 to an update",
            describe(ex), ex)
    # A recipient app that keeps ?v=c when asking for the preview.
    pv = t.client().raw("GET", "/v1/m/%s?v=c" % m.id,
                        {"Host": t.run.netloc})
    t.soft(pv.status == 200, ["E-API-URL"],
           "200 to a preview with the share URL's query ?v=c",
           describe(pv), pv)
    leaked = []
    for ex in t.exchanges():
        sent = " ".join("%s: %s" % hv for hv in getattr(
            ex, "request_headers", [])) + " " + getattr(ex, "url", "")
        body = getattr(ex, "request_body", None) or b""
        sent += body.decode("utf-8", "replace")
        if any(f in sent for f in forms):
            leaked.append(ex)
    t.check(not leaked, ["SCT-SECRET-NEVER", "CLI-FRAGMENT-STRIP"],
            "the Secret in no request", "%d requests carried it" %
            len(leaked), leaked[:2])


# -- the preview page ----------------------------------------------------------------------------

HOSTILE_TITLE = ('</title><script>alert("title")</script>'
                 '<meta property="og:title" content="spoofed">')
HOSTILE_DESC = '"><img src=x onerror=alert(1)>\' & <b>bold</b> &amp; \u202e'
HOSTILE_IMG = 'https://example.com/i.png"><script>alert(2)</script>'


@case("THREAT-PREVIEW-ESCAPE", "Hostile display strings are shown as text: "
      "the OpenGraph properties read back exactly, nothing injected",
      ["RLY-PREVIEW-OG", "RLY-PREVIEW-OPENGRAPH", "RLY-PREVIEW-NO-3P-SCRIPT",
       "E-IMAGEURL"],
      "og:title and og:description equal to the strings given; no markup "
      "from them", hostile=True)
def preview_escape(t):
    d = t.display(title=HOSTILE_TITLE, description=HOSTILE_DESC,
                  imageURL=HOSTILE_IMG)
    m = t.mailbox(display=d, check=False)
    if m.create.status != 200 or not m.id:
        t.info(["RLY-PREVIEW-OG"], "a mailbox made with hostile display "
               "strings (a relay may refuse them)", describe(m.create),
               m.create)
        return
    ex = t.client().read_display(m.id)
    t.setup(ex, "preview", "API-PREVIEW-200")
    p = preview.parse(ex.text, urllib.parse.urlsplit(t.run.base_url).hostname)
    # Markup made of the strings breaks the page: more or fewer og:title
    # properties than one, or active content.  A relay that shows the
    # strings sanitized rather than escaped only departs from the display
    # information given.
    titles = [v for k, v in p.og_all if k == "og:title"]
    descs = [v for k, v in p.og_all if k == "og:description"]
    t.check(len(titles) == 1 and len(descs) == 1, ["RLY-PREVIEW-OG"],
            "exactly one og:title and one og:description",
            "og:title %s, og:description %s" % (
                repr(titles)[:100], repr(descs)[:60]), ex)
    injected = [a for a in p.active if "alert" in a or "onerror" in a
                or a.startswith("<script")]
    t.check(not injected, ["RLY-PREVIEW-OG", "RLY-PREVIEW-NO-3P-SCRIPT"],
            "no active content made from the display strings",
            ", ".join(injected)[:200], ex)
    if len(titles) == 1 and len(descs) == 1:
        t.check(titles[0] == d["title"] and descs[0] == d["description"],
                ["RLY-PREVIEW-OPENGRAPH"],
                "og:title and og:description equal to the strings given, "
                "escaped (not altered)", changed_strings(
                    [("og:title", d["title"], titles[0]),
                     ("og:description", d["description"], descs[0])]), ex)
    img = p.og.get("og:image")
    t.check(img is None or not ('"' in img or "<" in img), ["E-IMAGEURL"],
            "no og:image for an imageURL with quotes and markup",
            repr(img), ex)


@case("THREAT-PREVIEW-ACTIVE", "The preview page runs no script and loads "
      "nothing from third parties",
      ["RLY-PREVIEW-NO-3P-SCRIPT", "RLY-NO-TRACK", "Req-NonCorrelation"],
      "no <script>, no event handlers, no third-party resources")
def preview_active(t):
    m = t.mailbox()
    ex = t.client().read_display(m.id)
    t.setup(ex, "preview", "API-PREVIEW-200")
    p = preview.parse(ex.text, urllib.parse.urlsplit(t.run.base_url).hostname)
    t.check(not p.third_party, ["RLY-NO-TRACK", "RLY-PREVIEW-NO-3P-SCRIPT",
                                "Req-NonCorrelation"],
            "no script or frame loaded from another site (it would see "
            "every recipient who opens the share)",
            ", ".join(p.third_party)[:200], ex)
    t.check(not p.active, ["RLY-PREVIEW-NO-3P-SCRIPT"],
            "no active content", ", ".join(p.active)[:200], ex)
    if not ex.header("Content-Security-Policy"):
        t.note("no Content-Security-Policy header on the preview")


BAD_IMAGE_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)",
                  "data:text/html,<script>alert(1)</script>",
                  "vbscript:msgbox(1)", "http://example.com/plain.png",
                  "file:///etc/passwd", "https://example.com/a b.png"]


@case("THREAT-PREVIEW-IMAGEURL", "The preview shows imageURL only as a clean "
      "https URL",
      ["E-IMAGEURL", "RLY-PREVIEW-NO-3P-SCRIPT"],
      "no og:image or src for javascript:, data:, vbscript:, http:, file: "
      "or malformed URLs", hostile=True)
def preview_imageurl(t):
    c = t.client()
    for url in BAD_IMAGE_URLS:
        m = t.mailbox(client=c, display=t.display(imageURL=url), check=False)
        if m.create.status != 200:
            continue                      # refusing it at create is fine
        ex = c.read_display(m.id)
        if ex.status != 200:
            continue
        p = preview.parse(ex.text)
        shown = ["<%s %s>" % (tag, attr) for tag, attr, value in p.attrs
                 if value.strip() == url]
        t.check(not shown, ["E-IMAGEURL"],
                "imageURL %r not shown in the preview" % url,
                "shown as " + ", ".join(shown), ex)
        active = [a for a in p.active if "script" in a.lower()
                  or "data:" in a.lower()]
        t.check(not active, ["RLY-PREVIEW-NO-3P-SCRIPT"],
                "no active content from imageURL %r" % url,
                ", ".join(active), ex)


CRAWLERS = [
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Microsoft Office/16.0 (Microsoft Outlook; SafeLinks)",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) facebookexternalhit/1.1 Facebot Twitterbot/1.0",
]


@case("THREAT-PREVIEW-FETCHERS", "Link-preview fetchers of chat apps and mail "
      "scanners (GET and HEAD with their user agents) never bind or consume "
      "a mailbox",
      ["RLY-ROUNDTRIP-FIRST", "RLY-BIND-FIRST-READ", "RLY-PREVIEW-200",
       "Req-ConnectionIntegrity", "E-HEAD"],
      "preview still 200 after every fetch; the recipient then binds")
def preview_fetchers(t):
    m = t.mailbox()
    c = t.client()
    for ua in CRAWLERS:
        for method in ("GET", "HEAD"):
            ex = c.read_display(m.id, method=method, user_agent=ua)
            if method == "GET":
                t.check(ex.status == 200, ["RLY-PREVIEW-200"],
                        "200 to a preview fetch by %s" % ua.split()[0],
                        describe(ex), ex)
            else:
                t.soft(ex.status == 200, ["E-HEAD"],
                       "200 to a HEAD by %s" % ua.split()[0], describe(ex), ex)
    ex = c.read_display(m.id)
    t.check(ex.status == 200, ["RLY-PREVIEW-200", "Req-ConnectionIntegrity"],
            "the preview still there after the fetchers", describe(ex), ex)
    rc = t.claim()
    rd = t.client().read(m.id, rc)
    t.check(rd.status == 200 and t.opened(rd, m.key) == m.plaintext,
            ["RLY-ROUNDTRIP-FIRST", "RLY-BIND-FIRST-READ"],
            "200 with the payload to the real recipient's first read after "
            "%d preview fetches" % (2 * len(CRAWLERS)), describe(rd), rd)


@case("THREAT-URLLINK-HOST", "urlLink names the relay, not a host taken "
      "from the request's Host, X-Forwarded-Host or Forwarded header",
      ["E-URLLINK-HOST"],
      "the same host as an ordinary create's urlLink, or a refusal (421, "
      "400)")
def urllink_host(t):
    m = t.mailbox()
    honest = urllib.parse.urlsplit(m.url).hostname
    c = t.client()
    key, pl = t.seal(b"forged host")
    for what, headers in (
            ("Host: evil.example", {"Host": "evil.example"}),
            ("X-Forwarded-Host: evil.example",
             {"X-Forwarded-Host": "evil.example"}),
            ("Forwarded: host=evil.example",
             {"Forwarded": "host=evil.example;proto=https"})):
        ex = c.create(t.claim(), t.display(), pl, headers=headers,
                      config={"expiration": t.expiration(),
                              "accessRights": "RD"})
        t.answered(ex, ["E-URLLINK-HOST"], "an answer to a create with %s" %
                   what)
        url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
        if ex.status >= 400 or not isinstance(url, str):
            t.check(ex.status < 500, ["RLY-NO-5XX"], "a refusal (4xx) or a "
                    "create with %s" % what, describe(ex), ex)
            continue
        host = urllib.parse.urlsplit(url).hostname
        t.check(host == honest, ["E-URLLINK-HOST"],
                "urlLink on %s (as for any create), whatever %s says" % (
                    honest, what),
                "urlLink %s%s" % (url, ": the host the request named"
                                  if host == "evil.example" else ""), ex)


# -- transport and privacy ----------------------------------------------------------------------

@case("THREAT-PLAIN-HTTP", "Plain HTTP sent to the relay's port is never "
      "answered with a success",
      ["RLY-TLS-ONLY", "RLY-HTTPS-ALL", "RLY-HTTPS-URI", "SCT-TLS-ONLY",
       "RLY-CONF-INTEGRITY", "Req-Security"],
      "no HTTP 2xx over a plain TCP connection", hostile=True)
def plain_http(t):
    parts = urllib.parse.urlsplit(t.run.base_url)
    t.require(parts.scheme == "https", ["RLY-TLS-ONLY", "RLY-HTTPS-URI"],
              "an https relay URL", t.run.base_url)
    m = t.mailbox()
    host = parts.netloc
    names = t.client().names
    key, pl = t.seal(b"over plain http")
    body = json.dumps({"payload": pl, "displayInformation": t.display(),
                       "mailboxConfiguration": {"expiration": t.expiration(),
                                                "accessRights": "RD"}}).encode()
    for what, data in (
            ("a preview GET", rawhttp.build_request(
                "GET", t.run.path("/v1/m/%s" % m.id), host)),
            ("a create POST", rawhttp.build_request(
                "POST", t.run.path("/v1/m"), host, [
                    (names["request_id"], t.request_id()),
                    (names["claim"], t.claim()),
                    ("Content-Type", "application/json")], body)),
            ("a read POST", rawhttp.build_request(
                "POST", t.run.path("/v1/m/%s" % m.id), host, [
                    (names["claim"], t.claim())], b""))):
        rx = rawhttp.exchange(t.run.base_url, data, None,
                              "%s over plain TCP to the TLS port" % what,
                              tls=False, timeout=3)
        t.attach(rx)
        ok = rx.status is None or not 200 <= rx.status < 300
        t.check(ok, ["RLY-TLS-ONLY", "RLY-HTTPS-ALL", "SCT-TLS-ONLY",
                     "RLY-CONF-INTEGRITY", "Req-Security"],
                "no HTTP success to %s sent without TLS" % what,
                "HTTP %s" % rx.status, rx)


TRACKING_HEADERS = ("set-cookie", "set-cookie2", "p3p")


@case("THREAT-NO-COOKIES", "No answer sets a cookie or other client-tracking "
      "state",
      ["RLY-NO-TRACK", "RLY-NO-CORRELATE", "RLY-NO-RELATE-DEVICES",
       "RLY-NO-IDENTIFYING-INFO", "Req-NonCorrelation", "Req-NonIdentity"],
      "no Set-Cookie on any answer")
def no_cookies(t):
    ci, cr = t.client(), t.client()
    m = t.mailbox(client=ci)
    ci.read_display(m.id)
    ci.read_display(m.id, method="HEAD")
    rc = t.claim()
    cr.read(m.id, rc)
    cr.update(m.id, rc, t.seal(b"x", m.key)[1])
    cr.read(m.id, t.claim())
    ci.read(uuids.new_v4(), m.claim)
    ci.well_known()
    ci.delete(m.id, m.claim)
    versions = []
    tracking = []
    for ex in t.exchanges():
        for k, v in getattr(ex, "header_list", []):
            if k.lower() in TRACKING_HEADERS:
                tracking.append((ex, "%s: %s on %s %s" % (
                    k, v[:60], ex.method,
                    urllib.parse.urlsplit(ex.url).path)))
            if k.lower() in ("server", "x-powered-by") and \
                    any(ch.isdigit() for ch in v):
                versions.append("%s: %s" % (k, v))
    t.check(not tracking, ["RLY-NO-TRACK", "RLY-NO-CORRELATE",
                           "RLY-NO-RELATE-DEVICES", "RLY-NO-IDENTIFYING-INFO",
                           "Req-NonCorrelation", "Req-NonIdentity"],
            "no Set-Cookie (or other client-tracking header) on %d answers" %
            len(t.exchanges()),
            "%d such headers; first: %s" % (len(tracking), tracking[0][1])
            if tracking else "", [e for e, _ in tracking[:3]])
    if versions:
        t.note("answers name the server software and its version (%s); "
               "not a draft requirement, but it helps attackers" %
               sorted(set(versions))[0])


# -- hostile input ---------------------------------------------------------------------------------

@case("THREAT-OVERSIZE-BODY", "Oversize bodies are refused with a 4xx and "
      "the relay keeps serving",
      ["RLY-CREATE-400", "RLY-UPDATE-400", "RLY-NO-USER-INTERACTION",
       "E-LIMITS", "X-LIMITS"],
      "413 (or another 4xx) to 200 KiB and 2 MiB bodies; never a 5xx", hostile=True)
def oversize_body(t):
    c = t.client()
    m = t.mailbox(client=c)
    key, pl = t.seal(b"big")
    names = c.names
    host = t.run.netloc
    for size in (200 * 1024, 2 * 1024 * 1024):
        big = dict(pl)
        big["data"] = "A" * size
        body = json.dumps({"payload": big, "displayInformation": t.display(),
                           "mailboxConfiguration": {
                               "expiration": t.expiration(),
                               "accessRights": "RD"}}).encode()
        for op, method, path, claim, reqs, b in (
                ("create", "POST", "/v1/m", t.claim(), ["RLY-CREATE-400"],
                 body),
                ("update", "PUT", "/v1/m/%s" % m.id, m.claim,
                 ["RLY-UPDATE-400"],
                 json.dumps({"payload": big}).encode())):
            data = rawhttp.build_request(method, t.run.path(path), host, [
                (names["request_id"], t.request_id()),
                (names["claim"], claim),
                ("Content-Type", "application/json")], b)
            rx = rawhttp.exchange(t.run.base_url, data, c.ssl_context(),
                                  "a %d-byte %s" % (len(b), op), timeout=10)
            t.attach(rx)
            _refused(t, rx, reqs, "a %d-byte %s" % (len(b), op), "E-LIMITS")
            if rx.status is not None and 400 <= rx.status < 500:
                t.soft(rx.status == 413, ["E-LIMITS", "X-LIMITS"],
                       "413 to a %d-byte %s" % (len(b), op),
                       "HTTP %d" % rx.status, rx)


MALFORMED = [
    ("invalid UTF-8", b'{"payload": "\xff\xfe", "displayInformation": {}}'),
    ("a lone surrogate escape", b'{"payload": "\\ud800"}'),
    ("NaN", b'{"payload": NaN}'),
    ("a number too large for any parser", b'{"payload": 1e99999}'),
    ("a bare string", b'"payload"'),
    ("null", b"null"),
    ("an empty body", b""),
    ("a truncated object", b'{"payload": {"type": "AEAD_AES_128_GCM", "da'),
    ("trailing garbage", b'{"payload": {}} {"more": 1}'),
    ("a NUL byte", b'{"payload\x00": {}}'),
    ("wrong member types", b'{"payload": [], "displayInformation": "x"}'),
]


@case("THREAT-MALFORMED-BODY", "Malformed JSON bodies are answered 400 and "
      "the relay keeps serving",
      ["RLY-CREATE-400", "RLY-UPDATE-400", "RLY-NO-USER-INTERACTION",
       "E-DUP-KEYS"],
      "400 to each", hostile=True)
def malformed_body(t):
    c = t.client()
    m = t.mailbox(client=c)
    for what, body in MALFORMED:
        ex = c.create(t.claim(), None, None, body=body)
        _refused(t, ex, ["RLY-CREATE-400"], "a create with %s" % what)
        ex = c.update(m.id, m.claim, None, body=body)
        _refused(t, ex, ["RLY-UPDATE-400"], "an update with %s" % what)
    key, pl = t.seal(b"duplicate member")
    dup = ('{"payload": %s, "payload": %s, "displayInformation": %s}' % (
        json.dumps(pl), json.dumps(pl), json.dumps(t.display()))).encode()
    ex = c.create(t.claim(), None, None, body=dup)
    t.check(ex.status is None or ex.status < 500, ["RLY-CREATE-400"],
            "no 5xx to a body naming a member twice", describe(ex), ex)
    t.soft(ex.status == 400, ["E-DUP-KEYS"],
           "400 to a body naming a member twice", describe(ex), ex)


@case("THREAT-DEEP-NESTING", "Deeply nested JSON is answered 4xx and the "
      "relay keeps serving",
      ["RLY-CREATE-400", "RLY-UPDATE-400", "RLY-NO-USER-INTERACTION",
       "E-LIMITS"],
      "a 4xx (400 json_depth for tigress-ref) to 50, 5000 and 30000 "
      "levels; never a 5xx", hostile=True)
def deep_nesting(t):
    c = t.client()
    m = t.mailbox(client=c)
    key, pl = t.seal(b"deep")
    for depth in (50, 5000, 30000):
        nest = "[" * depth + "]" * depth
        body = ('{"payload": %s, "displayInformation": %s, "extra": %s}' % (
            json.dumps(pl), json.dumps(t.display()), nest)).encode()
        # Valid JSON (an unknown member, nested): only our limit refuses
        # it; what must never happen is a 5xx or a relay that stops.
        ex = c.create(t.claim(), None, None, body=body)
        _refused(t, ex, ["RLY-CREATE-400"], "a create nested %d deep" % depth,
                 "E-LIMITS")
        ex = c.update(m.id, m.claim, None, body=(
            '{"payload": %s, "extra": %s}' % (json.dumps(pl), nest)).encode())
        _refused(t, ex, ["RLY-UPDATE-400"], "an update nested %d deep" % depth,
                 "E-LIMITS")


@case("THREAT-OVERSIZE-HEADERS", "Oversize headers are refused with a 4xx "
      "(or the connection closed) and the relay keeps serving",
      ["RLY-CREATE-400", "RLY-NO-USER-INTERACTION", "E-LIMITS",
       "E-REQID-FORM"],
      "431, 413 or 400", hostile=True)
def oversize_headers(t):
    c = t.client()
    m = t.mailbox(client=c)
    for what, rid, headers in (
            ("a 100 KiB header", "E-LIMITS", {"X-Filler": "a" * (100 * 1024)}),
            ("an 8 KiB Mailbox-Request-ID", "E-REQID-FORM",
             {"Mailbox-Request-ID": "r" * 8192}),
            ("300 small headers", None,
             {"X-H%d" % i: "v" for i in range(300)})):
        ex = c.read(m.id, m.claim, headers=headers)
        if ex.status is None:
            t.note("%s: the connection was closed without an answer" % what)
            continue
        t.check(ex.status < 500, ["RLY-CREATE-400"],
                "a 4xx answer to a request with %s" % what, describe(ex), ex)
        if rid:
            t.soft(not 200 <= ex.status < 300, [rid],
                   "a 4xx answer to a request with %s" % what,
                   describe(ex), ex)


@case("THREAT-MALFORMED-HEADERS", "Malformed headers are answered 4xx and the "
      "relay keeps serving",
      ["RLY-CREATE-400", "RLY-CLAIM-GATE", "RLY-NO-USER-INTERACTION",
       "E-CLAIM-FORM"],
      "400 to each", hostile=True)
def malformed_headers(t):
    c = t.client()
    m = t.mailbox(client=c)
    names = c.names
    ex = c.read(m.id, "'; DROP TABLE mailboxes; --")
    t.answered(ex, ["RLY-CLAIM-GATE"], "an answer")
    t.check(ex.status < 500, ["RLY-CREATE-400"],
            "a 4xx to a read with a claim that is not a UUID", describe(ex), ex)
    t.soft(ex.status != 200, ["E-CLAIM-FORM"],
           "400 to a claim that is not a UUID", describe(ex), ex)
    ctx = c.ssl_context()
    target = t.run.path("/v1/m/%s" % m.id)

    def raw(method, header_lines):
        head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, target,
                                                     t.run.netloc)
        return head.encode() + b"".join(h + b"\r\n" for h in header_lines) \
            + b"Connection: close\r\n\r\n"

    claim_line = ("%s: %s" % (names["claim"], t.claim())).encode()
    for what, data in (
            ("Content-Length: abc",
             raw("POST", [claim_line, b"Content-Length: abc"])),
            ("Content-Length: -5",
             raw("POST", [claim_line, b"Content-Length: -5"])),
            ("a header line without a colon",
             raw("GET", [b"this is not a header"])),
            ("a control character in a header",
             raw("GET", [b"X-Bad: a\x01b"]))):
        rx = rawhttp.exchange(t.run.base_url, data, ctx,
                              "a request with %s" % what, timeout=3)
        t.attach(rx)
        if rx.status is not None:
            t.check(rx.status < 500, ["RLY-CREATE-400"],
                    "a 4xx answer to a request with %s" % what,
                    "HTTP %d" % rx.status, rx)
