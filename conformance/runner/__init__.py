"""tigress-conformance: checks a TIGRESS relay or client against
draft-vinokurov-tigress-http-00 (or the sct-04 profile) and reports, case
by case, where it departs from the draft.

    tools/tigress-conformance relay https://relay.example:8443 --ca ca.pem

Packages, each importing only downward (core imports no suite):

    core/     what every suite shares: model (cases, findings, verdicts),
              catalog (spec/requirements.json), drafttext (statements of a
              draft), context (findings and evidence), engine (selecting
              and running), report (terminal, JSON, JUnit XML, HTML),
              launch (starting relays), rawhttp, driver (running a client
              driver), records (the test relay's records)
    relay/    the relay suite: registry, context (mailboxes, clients),
              engine, cases/ by category, preview, uuidstats
    client/   the client suite: driver sessions, the test relay, cases
    interop/  the interop matrix and its reports

and on top, cli (the command line) and citing (which cases cite which
requirement, for tools/req_render.py and tools/req_diff.py).

Depends on conformance/tigress_py, conformance/brokenrelay (the client
suite's test relay) and Python 3 with requests, cryptography and
jsonschema.
"""

__version__ = "1.1"
