"""Profile cases: the header names of the draft revision the run checks
(`--draft http-00`: Mailbox-Device-Claim; `--draft sct-04`: Device-Claim)
and what the relay does with the other revision's names."""

from __future__ import annotations

from tigress_py.client import PROFILES

from ...core.context import describe
from ..registry import case


def _gate_reqs(t):
    return ["SCT-DEVICE-CLAIM-HEADER", "E-SCT04-HEADERS"] \
        if t.profile == "sct-04" else ["RLY-CLAIM-GATE"]


@case("PROFILE-HEADERS", "The claim header of the draft revision under test "
      "creates, binds and guards a mailbox",
      ["RLY-CLAIM-GATE", "SCT-DEVICE-CLAIM-HEADER", "E-SCT04-HEADERS",
       "RLY-BIND-ONE-RECIPIENT"],
      "create 200, first read 200, a third claim 401")
def headers(t):
    name = PROFILES[t.profile]["claim"]
    reqs = _gate_reqs(t)
    c = t.client()
    claim = t.claim()
    key, pl = t.seal(b"profile " + t.profile.encode())
    ex = c.create(claim, t.display(), pl,
                  config={"expiration": t.expiration(), "accessRights": "RWD"})
    t.require(ex.status == 200, reqs, "200 to a create with the claim in %s"
              % name, describe(ex), ex)
    mid = ex.json["urlLink"].rstrip("/").rsplit("/", 1)[-1]
    rc = t.claim()
    rd = c.read(mid, rc)
    t.require(rd.status == 200, reqs, "200 to a first read with %s" % name,
              describe(rd), rd)
    x = c.read(mid, t.claim())
    t.check(x.status != 200, reqs + ["RLY-BIND-ONE-RECIPIENT"],
            "401 to a third claim in %s" % name, describe(x), x)
    up = c.update(mid, claim, t.seal(b"initiator update", key)[1])
    t.check(up.status == 200, reqs, "200 to the initiator's update with %s"
            % name, describe(up), up)


@case("PROFILE-OTHER-HEADER", "A claim sent only in the other revision's "
      "header is not taken", ["E-SCT04-HEADERS"],
      "400 (the claim is missing for this profile)")
def other_header(t):
    other = "sct-04" if t.profile == "http-00" else "http-00"
    name = PROFILES[other]["claim"]
    c = t.client(profile=other)
    key, pl = t.seal(b"other profile")
    ex = c.create(t.claim(), t.display(), pl,
                  config={"expiration": t.expiration(), "accessRights": "RD"})
    t.answered(ex, ["E-SCT04-HEADERS"], "an answer")
    t.soft(not 200 <= ex.status < 300, ["E-SCT04-HEADERS"],
           "400: %s is not this profile's header" % name, describe(ex), ex)


@case("PROFILE-SCT04-PARAM", "Under sct-04 the claim is also read from "
      "deviceClaim, the parameter name sct-04 uses", ["E-SCT04-HEADERS"],
      "200 to a create with deviceClaim", drafts=("sct-04",))
def sct04_param(t):
    c = t.client()
    key, pl = t.seal(b"deviceClaim")
    ex = c.create(None, t.display(), pl, headers={"deviceClaim": t.claim()},
                  config={"expiration": t.expiration(), "accessRights": "RD"})
    t.soft(ex.status == 200, ["E-SCT04-HEADERS"],
           "200 to a create with deviceClaim", describe(ex), ex)


@case("PROFILE-DECLARED", "The relay's well-known document names the profile "
      "under test", ["X-WELL-KNOWN"],
      "profile equal to --draft")
def declared(t):
    wk = t.run.well_known
    if wk is None:
        t.unsupported("no /.well-known/tigress (an optional extension)")
    prof = wk.get("profile")
    t.soft(prof == t.profile, ["X-WELL-KNOWN"], "profile %r" % t.profile,
           repr(prof))
