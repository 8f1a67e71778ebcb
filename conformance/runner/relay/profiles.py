"""Which profile does a relay speak?  `--draft auto` (the default) probes
it: one create per profile, each carrying the device claim only under that
profile's header name (http-00 Mailbox-Device-Claim, sct-04 Device-Claim;
spec/protocol.json `profiles`).  The profile whose create succeeds is the
relay's; when both or neither succeed, the relay's /.well-known/tigress
`profile` decides if it names one, else http-00, the newest draft.  An
explicit `--draft` that disagrees with what the relay honours gets a
one-line hint (shown first in the terminal and in the reports).

    d = detect(state)        # Detection: profile, why, honours, hint()
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import protocol
from tigress_py import payload, rfc3339, uuids

from ..core.context import describe


@dataclass
class Detection:
    profile: str                      # the profile the relay honours
    why: str                          # one sentence: what the probes saw
    honours: Dict[str, bool] = field(default_factory=dict)
    answers: Dict[str, str] = field(default_factory=dict)
    evidence: List = field(default_factory=list)

    def hint(self, draft: str) -> Optional[str]:
        """The one-line hint when `draft` (given explicitly) is not what
        the relay honours, else None."""
        if self.honours.get(draft) or not any(self.honours.values()):
            return None
        p = protocol.load()
        return ("hint: the relay honours %s (%s) but not %s (%s): rerun "
                "with --draft %s" % (
                    p.header(self.profile, "claim"), self.profile,
                    p.header(draft, "claim"), draft, self.profile))

    def to_json(self) -> dict:
        return {"detected": self.profile, "why": self.why,
                "honours": self.honours, "answers": self.answers}


def detect(state) -> Detection:
    """Probe the relay of `state` (a RunState); the probe mailboxes are
    deleted again."""
    p = protocol.load()
    honours, answers, evidence = {}, {}, []
    for prof in p.profiles:
        c = state.client(prof)
        try:
            claim = uuids.new_v4()
            ex = c.create(claim, {"title": "profile probe", "description": "",
                                  "imageURL": ""},
                          payload.seal(secrets.token_bytes(16), b"probe"),
                          config={"expiration": rfc3339.format(
                              int(time.time()) + state.options.ttl),
                              "accessRights": "RD"})
            evidence.append(ex)
            url = ex.json.get("urlLink") if isinstance(ex.json, dict) else None
            honours[prof] = ex.status == 200 and isinstance(url, str)
            answers[prof] = describe(ex)
            if honours[prof]:
                c.delete(url.rstrip("/").rsplit("/", 1)[-1], claim)
        finally:
            c.close()
    names = {prof: p.header(prof, "claim") for prof in p.profiles}
    yes = [prof for prof in p.profiles if honours[prof]]
    declared = (state.well_known or {}).get("profile")
    if len(yes) == 1:
        other = next(x for x in p.profiles if x != yes[0])
        why = "a create with the claim in %s succeeded, one with it only in " \
            "%s got %s" % (names[yes[0]], names[other], answers[other])
        return Detection(yes[0], why, honours, answers, evidence)
    if declared in p.profiles:
        chosen, by = declared, "its /.well-known/tigress names %s" % declared
    else:
        chosen, by = p.profiles[0], "%s is the newest draft" % p.profiles[0]
    seen = "creates with the claim in %s and in %s both succeeded" % (
        names[p.profiles[0]], names[p.profiles[1]]) if yes else \
        "creates with the claim in %s and in %s both failed (%s; %s)" % (
            names[p.profiles[0]], names[p.profiles[1]],
            answers[p.profiles[0]], answers[p.profiles[1]])
    return Detection(chosen, "%s; %s" % (seen, by), honours, answers,
                     evidence)
