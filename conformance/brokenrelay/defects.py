"""The defects the broken relay can be started with (`--defect NAME`,
repeatable).  Each names the category of cases it belongs to, what it
does, the requirement it breaks, the verdict the runner must give, and
the cases that catch it (the conformance tests run exactly those).

A WARN defect breaks only a SHOULD or one of tigress-ref's own decisions:
the runner must report it, but never as a FAIL.
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Defect:
    name: str
    category: str           # API, REPLAY, THREAT, OPACITY, PROFILE, INPUT
    summary: str
    breaks: str             # the requirement ID the runner must cite
    cases: Tuple[str, ...]  # the cases that catch it
    verdict: str = "FAIL"   # FAIL, or WARN for SHOULD-level / our decisions
    draft: str = "http-00"  # the profile to run it under
    also: Tuple[str, ...] = ()  # further requirements it must be caught on


DEFECTS = OrderedDict((d.name, d) for d in [
    # -- API -------------------------------------------------------------------
    Defect("wrong-content-type", "API",
           "JSON answers are labelled text/plain",
           "RLY-CREATE-PRODUCES", ("API-CREATE-200",)),
    Defect("no-echo-request-id", "API",
           "answers never repeat Mailbox-Request-ID",
           "RLY-REQID-ECHO", ("API-REQID-ECHO",)),
    Defect("no-expiration-echo", "API",
           "the read answer gives the relay's default expiration, not the "
           "one created", "RLY-READ-EXPIRATION-ECHO",
           ("API-CREATE-EXPIRATION",)),
    Defect("config-required", "API",
           "a create without mailboxConfiguration is refused (400): the "
           "draft calls it Optional and Required, so only the informal "
           "default-configuration statement is broken",
           "RLY-DEFAULT-CONFIG", ("API-CREATE-DEFAULT-CONFIG",),
           verdict="WARN"),
    Defect("turn-taking", "API",
           "a party may not update twice in a row (409 until the other "
           "writes)", "RLY-BACK-TO-BACK", ("API-FLOW-ROUNDTRIP",)),
    # -- REPLAY ---------------------------------------------------------------------
    Defect("no-dup-201", "REPLAY",
           "repeated request ids are processed again",
           "RLY-DUP-UPDATE-201", ("REPLAY-UPDATE-201",)),
    Defect("dup-wrong-body", "REPLAY",
           "duplicates get 201 with a wrong body: {} for updates, another "
           "mailbox's urlLink for creates", "RLY-DUP-CREATE-NO-NEW",
           ("REPLAY-CREATE-201",)),
    Defect("dup-across-claims", "REPLAY",
           "request ids are remembered without the claim, so another "
           "device's request with the same id gets the first one's answer",
           "RLY-DUP-UPDATE-PER-CLAIM", ("REPLAY-OTHER-CLAIM",)),
    Defect("reqid-across-ops", "REPLAY",
           "a request id reused for another operation or mailbox is taken "
           "for a duplicate: 201 with the earlier answer, nothing done",
           "RLY-DUP-SAME-REQUEST", ("REPLAY-ACROSS-OPS", "REPLAY-CONFLICT")),
    Defect("dup-last-only", "REPLAY",
           "only the last request id of each claim is remembered (what the "
           "draft asks, less than tigress-ref decided)", "E-DUP-SCOPE",
           ("REPLAY-AFTER-LATER",), verdict="WARN"),
    # -- THREAT ---------------------------------------------------------------------
    Defect("third-device-can-read", "THREAT",
           "after binding, any claim can still read the secure content",
           "RLY-BIND-ONE-RECIPIENT", ("THREAT-THIRD-DEVICE",)),
    Defect("no-binding", "THREAT",
           "updates and deletes do not check the claim",
           "RLY-CLAIM-GATE", ("THREAT-UNBOUND-WRITE",)),
    Defect("race", "THREAT",
           "the recipient is bound by a check-then-set with a 50 ms window",
           "RLY-BIND-ONE-RECIPIENT", ("THREAT-CLAIM-RACE",)),
    Defect("bind-before-rights", "THREAT",
           "a first read binds the reader before its body and the "
           "mailbox's rights are checked (a mailbox without R is taken, "
           "its reads refused 403): a refused stranger stays bound",
           "RLY-BIND-FIRST-READ", ("THREAT-BIND-BEFORE-CHECK",)),
    Defect("create-500-under-load", "THREAT",
           "while more than 20 creates a second come in, one in 29 is "
           "answered 500",
           "RLY-NO-5XX", ("THREAT-ID-GUESS",)),
    Defect("urllink-from-host", "THREAT",
           "urlLink is built from the request's Host header",
           "E-URLLINK-HOST", ("THREAT-URLLINK-HOST",), verdict="WARN"),
    Defect("sequential-ids", "THREAT",
           "mailbox identifiers come from a counter (v4-shaped, "
           "predictable)", "RLY-ID-CSPRNG", ("THREAT-ID-GUESS",)),
    Defect("deleted-readable", "THREAT",
           "a deleted mailbox is only marked; it is still served",
           "RLY-DELETE-200", ("THREAT-DELETED-UNREADABLE",)),
    Defect("expired-readable", "THREAT",
           "expirations are stored but never enforced",
           "RLY-EXPIRE-DELETE", ("THREAT-EXPIRED-UNREADABLE",)),
    Defect("relinquish-by-anyone", "THREAT",
           "any claim can relinquish, unbinding the recipient",
           "RLY-RELINQUISH-RECIPIENT", ("THREAT-RELINQUISH-OTHERS",)),
    Defect("initiator-as-recipient", "THREAT",
           "the initiator's own first read binds it as the recipient",
           "RLY-ROUNDTRIP-FIRST", ("THREAT-INITIATOR-AS-RECIPIENT",)),
    Defect("preview-unescaped", "THREAT",
           "display strings go into the preview page unescaped",
           "RLY-PREVIEW-OG", ("THREAT-PREVIEW-ESCAPE",)),
    Defect("preview-double-escape", "THREAT",
           "display strings are HTML-escaped twice in the preview page, so "
           "a '<' shows as '&lt;'",
           "RLY-PREVIEW-OPENGRAPH", ("THREAT-PREVIEW-ESCAPE", "INPUT-DISPLAY",
                                     "OPACITY-DISPLAY"),
           verdict="WARN"),
    Defect("preview-script", "THREAT",
           "the preview page loads a third-party analytics script",
           "RLY-NO-TRACK", ("THREAT-PREVIEW-ACTIVE",)),
    Defect("imageurl-any-scheme", "THREAT",
           "the preview shows imageURL whatever its scheme",
           "E-IMAGEURL", ("THREAT-PREVIEW-IMAGEURL",), verdict="WARN"),
    Defect("preview-consumes", "THREAT",
           "a GET or HEAD of the preview binds the mailbox to the fetcher",
           "RLY-ROUNDTRIP-FIRST", ("THREAT-PREVIEW-FETCHERS",)),
    Defect("cookie", "THREAT",
           "every answer sets a session cookie and names the server version",
           "RLY-NO-TRACK", ("THREAT-NO-COOKIES",)),
    Defect("plain-http", "THREAT",
           "plain HTTP is served on the TLS port too",
           "RLY-TLS-ONLY", ("THREAT-PLAIN-HTTP",)),
    Defect("oversize-500", "THREAT",
           "a body over the limit is answered 500",
           "RLY-CREATE-400", ("THREAT-OVERSIZE-BODY",)),
    Defect("malformed-500", "THREAT",
           "a body that does not parse is answered 500",
           "RLY-CREATE-400", ("THREAT-MALFORMED-BODY",)),
    # -- OPACITY --------------------------------------------------------------------
    Defect("opacity-mangle", "OPACITY",
           "payload data over 1000 characters is stored with one bit "
           "flipped", "RLY-OPAQUE-STORE", ("OPACITY-RANDOM-BYTES",)),
    # -- INPUT ----------------------------------------------------------------------
    Defect("poison-no-zone", "INPUT",
           "an expiration without a time zone is taken, and from then on "
           "every request is answered 500",
           "RLY-NO-USER-INTERACTION", ("INPUT-TIME",)),
    Defect("type-confusion-500", "INPUT",
           "a member of the wrong JSON type in a create, update or read "
           "body is answered 500; display strings of another type are "
           "taken, and their preview is answered 500",
           "RLY-CREATE-400", ("INPUT-CREATE-BODY", "INPUT-UPDATE-BODY",
                              "INPUT-READ-BODY"),
           also=("RLY-UPDATE-400", "RLY-NO-5XX")),
    Defect("reqid-poison", "INPUT",
           "a Mailbox-Request-ID with a character beyond ASCII is taken and "
           "breaks the request log: from then on every request is "
           "answered 500", "RLY-NO-USER-INTERACTION", ("INPUT-HEADERS",)),
    Defect("path-lenient-write", "INPUT",
           "update, delete and relinquish find the mailbox by the first 32 "
           "hexadecimal digits of the path, whatever else it holds: one "
           "digit more still names the mailbox", "RLY-UPDATE-404",
           ("INPUT-UUID",), also=("RLY-RELINQUISH-404", "RLY-DELETE-404")),
    # -- PROFILE --------------------------------------------------------------------
    Defect("other-profile-headers", "PROFILE",
           "the claim is read from the other profile's header only (an "
           "sct-04 relay checked as http-00): every create fails",
           "RLY-CLAIM-GATE", ("PROFILE-HEADERS",)),
    Defect("sct04-ignores-device-claim", "PROFILE",
           "under sct-04 the claim is read from Mailbox-Device-Claim only",
           "SCT-DEVICE-CLAIM-HEADER", ("PROFILE-HEADERS",), draft="sct-04"),
    # -- EXPLORE: sequence-only defects, which no fixed case catches -----------------
    Defect("relinquished-can-write", "EXPLORE",
           "a recipient that relinquished keeps the write right: its later "
           "updates are applied", "RLY-UPDATE-401", ("EXPLORE-SEQUENCES",)),
    Defect("update-renews-expiry", "EXPLORE",
           "an update renews the mailbox for an hour: reads show the new "
           "expiration and it is served after the one created",
           "RLY-READ-EXPIRATION-ECHO", ("EXPLORE-SEQUENCES",)),
    Defect("relinquish-retry-reapplied", "EXPLORE",
           "a repeated relinquish is answered 201 but applied again: it "
           "unbinds whoever is the recipient by then",
           "RLY-DUP-RELINQUISH-NO-APPLY", ("EXPLORE-SEQUENCES",)),
    Defect("delete-id-outlives", "EXPLORE",
           "a delete's request id is remembered for ever and for every "
           "operation: the claim's later request with it, whatever it is "
           "(a relinquish or an update of another mailbox, a create), is "
           "answered 201 with the delete's {} and not done",
           "RLY-CREATE-200",
           ("EXPLORE-SEQUENCES",)),
    Defect("delete-all-of-claim", "EXPLORE",
           "an initiator's delete removes every mailbox its claim created",
           "RLY-STORE-FORWARD", ("EXPLORE-SEQUENCES",)),
])

# The defects that concern state: exploration (conformance/runner/explore)
# must find each, and cite one of these requirements (its `breaks` when not
# listed; the expiry defects are seen within seconds of the expiration,
# where E-EXPIRED-404 is what breaks first).  A defect shows in more than
# one way, and a sequence meets whichever comes first: each requirement
# listed is one of the defect's own effects (the comments say which), so
# that finding one is finding it, whatever the seed.
EXPLORED = OrderedDict((name, (DEFECTS[name].breaks,) if reqs is None
                        else reqs) for name, reqs in [
    ("no-expiration-echo", None), ("turn-taking", None),
    ("no-dup-201", ("RLY-DUP-CREATE-201", "RLY-DUP-UPDATE-201",
                    "RLY-DUP-RELINQUISH-201", "RLY-DUP-201",
                    "E-DUP-SCOPE")),       # a reused id taken for a new one
    ("dup-wrong-body", ("RLY-DUP-CREATE-NO-NEW",
                        "E-DUP-201-BODY")),  # an update's 201 with {}
    ("dup-across-claims", ("RLY-DUP-UPDATE-PER-CLAIM",
                           "RLY-DUP-CREATE-PER-CLAIM",
                           "RLY-DUP-RELINQUISH-PER-CLAIM",
                           "E-DUP-SCOPE")),  # a delete: no RLY- of its own
    ("dup-last-only", None), ("third-device-can-read", None),
    ("no-binding", ("RLY-CLAIM-GATE",
                    "RLY-DELETE-PARTIES")),  # a recipient's delete without D
    ("race", None),
    ("bind-before-rights", None), ("deleted-readable", None),
    ("expired-readable", ("E-EXPIRED-404", "RLY-EXPIRE-DELETE")),
    ("relinquish-by-anyone", None),
    ("initiator-as-recipient", ("RLY-BIND-FIRST-READ", "E-PARTIES")),
    ("preview-consumes", ("RLY-BIND-FIRST-READ", "RLY-BIND-ONE-RECIPIENT")),
    ("relinquished-can-write", None),
    ("update-renews-expiry", ("RLY-READ-EXPIRATION-ECHO", "E-EXPIRED-404",
                              "RLY-EXPIRE-DELETE")),  # served after it
    ("relinquish-retry-reapplied", None),
    ("delete-id-outlives", ("RLY-CREATE-200", "E-DUP-SCOPE")),
    ("delete-all-of-claim", None),
    ("reqid-across-ops", ("RLY-DUP-SAME-REQUEST",)),
])
