"""tigress-conformance: checks a TIGRESS relay against
draft-vinokurov-tigress-http-00 (or the sct-04 profile) and reports, case
by case, where it departs from the draft.

    tools/tigress-conformance relay https://relay.example:8443 --ca ca.pem

Modules: drafttext (statements of a draft), catalog (spec/requirements.json),
model (cases, findings, verdicts), context (what a case works with),
rawhttp, preview, uuidstats (helpers of the cases), cases/ (the cases),
engine (selecting and running), report (terminal, JSON, JUnit XML, HTML),
launch (starting ref-relay or the broken relay), cli (the command line).

Depends on conformance/tigress_py and Python 3 with requests,
cryptography and jsonschema.
"""

__version__ = "1.0"
