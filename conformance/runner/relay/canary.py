"""The canary: does the relay still serve?  A create, a first read and a
delete, each with a fresh claim and request id, must all succeed (200).

It runs at the end of a case (RelayContext.finish) when the case sent
hostile or malformed input, when it saw a 5xx or no answer at all, when it
is the run's last case, and while the relay is known not to serve.  A
failed canary is tried once more a second later: one wrong answer (a 5xx
under load) is a finding of the case, not a relay that stopped.  The
first failure of both blames the case just run: it FAILs with "the relay stopped
serving after this case" (a finding put first, so that it is the case's
verdict line and root cause).  Cases run side by side, so that decision
is taken under a lock (RunState.canary_lock): one relay that stops is
blamed on one case, and a case running beside it whose canary finds it
already blamed is unreliable.  Every case that starts while the relay does
not serve is marked unreliable by the relay engine: its verdict is shown
but not counted.  When a later canary succeeds again, the relay serves
again and the cases after it count.  A canary answered 503 with
Retry-After (a capacity limit) is a busy relay, not a dead one.

A first canary runs before any case (`baseline`): when even that one
fails (a relay of the other profile, one that refuses every create), a
failed canary later says nothing, so none runs and the run notes why.
"""

from __future__ import annotations

import time
from typing import List, Tuple

from ..core.context import describe
from ..core.wellformed import capacity_limited, server_error

# A relay that needs an operator before it serves again does not work
# without user interaction, nor store and forward (http-00 §3.3).
CANARY_REQS = ["RLY-NO-USER-INTERACTION", "RLY-STORE-FORWARD", "Req-Security"]
DEAD = "the relay stopped serving after this case"
RETRY_PAUSE = 1.0        # seconds before a failed canary is tried again


def probe(t) -> Tuple[bool, bool, List, str]:
    """(serving, busy, exchanges, what went wrong) of one canary."""
    c = t.client()
    claim = t.claim()
    key, pl = t.seal(b"canary")
    ex = c.create(claim, t.display(title="canary"), pl,
                  config={"expiration": t.expiration(), "accessRights": "RD"})
    exs = [ex]
    url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
    if ex.status != 200 or not isinstance(url, str):
        return False, capacity_limited(ex), exs, \
            "the canary's create: %s" % describe(ex)
    mid = url.rstrip("/").rsplit("/", 1)[-1]
    for what, call in (("first read", lambda: c.read(mid, t.claim())),
                       ("delete", lambda: c.delete(mid, claim))):
        ex = call()
        exs.append(ex)
        if ex.status != 200:
            return False, capacity_limited(ex), exs, \
                "the canary's %s: %s" % (what, describe(ex))
    return True, False, exs, ""


def baseline(t) -> None:
    """The canary before any case (context `t` of no case): sets
    RunState.canary, the reason it is unusable, or None when it works."""
    ok, busy, exs, got = probe(t)
    t.close()
    # the create itself failed: cases that check a create of their own are
    # not run (RelayContext.create_precondition)
    t.run.create_refused = describe(exs[0]) if not (ok or busy) and \
        len(exs) == 1 else None
    t.run.canary = None if ok or busy else \
        "the canary failed before any case ran (%s): a relay that stops " \
        "serving cannot be told apart, so no canary runs" % got


def _serves_again(t, exs, got: str) -> bool:
    """A failed canary is tried once more after RETRY_PAUSE: a relay that
    answered one request wrongly (a 5xx under load) has not stopped
    serving.  When the second succeeds, the first failure is the case's
    finding - of RLY-NO-5XX for a 5xx, else of the canary's requirements -
    and the relay counts as serving."""
    time.sleep(RETRY_PAUSE)
    ok, busy, again, _ = probe(t)
    if not (ok or busy):
        return False
    t.check(False, ["RLY-NO-5XX"] if server_error(exs[-1]) else CANARY_REQS,
            "the canary's requests answered 200 (a create, a first read and "
            "a delete with fresh ids)", "%s; a second canary %.0f s later "
            "%s" % (got, RETRY_PAUSE, "succeeded" if ok else
                    "was answered 503 with Retry-After"), exs)
    t.run.last_good = t.case.id
    return True


def after_case(t) -> None:
    """Run the canary for the case of context `t` and keep the run's
    state (RunState.dead_after, last_good).  Cases run side by side
    (engine.py), so what a failed canary means is decided under the run's
    canary lock: the first case to take it with a canary that failed twice
    is blamed; a case whose canary finds the relay already blamed on
    another is unreliable (`t.unreliable`), never blamed too."""
    run = t.run
    if run.canary is not None:
        return
    t._mark(CANARY_REQS)
    ok, busy, exs, got = probe(t)
    if busy:
        t.note("canary: the relay answered 503 with Retry-After (at its "
               "capacity); not counted as stopped")
        return
    with run.canary_lock:
        if ok:
            if run.dead_after is not None:
                t.note("canary: the relay serves again (it had stopped "
                       "after %s)" % run.dead_after)
                run.dead_after = None
            run.last_good = t.case.id
            return
        if run.dead_after is not None:
            t.note("canary: the relay still does not serve (%s)" % got)
            t.unreliable = "ran while the relay was not serving (it " \
                "stopped after %s)" % run.dead_after
            return
        if _serves_again(t, exs, got):
            return
        run.dead_after = t.case.id
        since = " (the last canary that succeeded ran after %s)" % \
            run.last_good if run.last_good else \
            " (the canary succeeded before the first case)"
    suspect = getattr(t, "suspect", None)     # set by generated inputs
    t.check(False, CANARY_REQS, "the relay still serving after this case "
            "(a create, a first read and a delete with fresh ids, all 200)",
            "%s: %s%s" % (DEAD, got, since),
            exs + ([suspect] if suspect is not None else []))
    t.findings.insert(0, t.findings.pop())
