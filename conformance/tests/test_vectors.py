"""Run every case of vectors/{uuid,rfc3339,shareurl,payload,bodies}.json
through tigress_py (see vectors/README.md for the format).

- valid:      the call succeeds and gives exactly the expected values;
- invalid:    the call raises TigressError with the expected `error` code
              and, when the case has one, the expected `field`;
- acceptable: either outcome, but nothing other than TigressError.

A missing or unreadable vector file is a failure, not a skip.
"""

import base64
import json
from pathlib import Path

import pytest

from tigress_py import bodies, payload, rfc3339, shareurl, uuids
from tigress_py.errors import TigressError

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
SETS = ("uuid", "rfc3339", "shareurl", "payload", "bodies")


def _load(name: str):
    """Return (file object, None) or (None, reason it cannot be used)."""
    path = VECTORS / f"{name}.json"
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        return None, f"{path}: {e}"


def _params(name: str):
    data, problem = _load(name)
    if problem:
        return [pytest.param(name, None, problem, id=f"{name}-missing")]
    return [pytest.param(name, case, None, id=case.get("id", f"{name}-?"))
            for case in data.get("tests", [])] or \
        [pytest.param(name, None, "no tests in the file", id=f"{name}-empty")]


def _outcome(case: dict, call) -> object:
    """Run `call()` and check it against the case's result; return the value
    for valid cases (None otherwise)."""
    result = case["result"]
    if result == "valid":
        return call()
    if result == "invalid":
        with pytest.raises(TigressError) as info:
            call()
        assert info.value.code == case["error"], f"{case['id']}: {info.value!r}"
        if "field" in case:
            assert info.value.field == case["field"], f"{case['id']}: {info.value!r}"
        return None
    assert result == "acceptable", f"unknown result {result!r}"
    try:
        call()
    except TigressError:
        pass
    return None


# ---- one checker per vector set ------------------------------------------

def check_uuid(case):
    got = _outcome(case, lambda: uuids.parse(case["input"]))
    if case["result"] == "valid":
        assert got == (case["canonical"], case["version"])


def check_rfc3339(case):
    if case["op"] == "format":
        assert case["result"] == "valid"
        assert rfc3339.format(case["epoch"]) == case["expected"]
        return
    got = _outcome(case, lambda: rfc3339.parse(case["input"]))
    if case["result"] == "valid":
        assert got == case["epoch"]


def _build(fields: dict) -> str:
    secret = fields["secret"]
    return shareurl.build(fields["host"], fields["port"], fields["version"],
                          fields["mailbox_id"], fields["vertical"],
                          None if secret is None else bytes.fromhex(secret))


def check_shareurl(case):
    if case["op"] == "build":
        got = _outcome(case, lambda: _build(case["fields"]))
        if case["result"] == "valid":
            assert got == case["url"]
        return
    got = _outcome(case, lambda: shareurl.parse(case["url"]))
    if case["result"] != "valid":
        return
    exp = case["expected"]
    actual = {
        "host": got.host, "port": got.port, "version": got.version,
        "mailbox_id": got.mailbox_id, "uuid_version": got.uuid_version,
        "vertical": got.vertical, "vertical_present": got.vertical_present,
        "secret": None if got.secret is None else got.secret.hex(),
        "aead": got.aead, "length": got.length, "api_url": got.api_url,
        "canonical": shareurl.build(got.host, got.port, got.version, got.mailbox_id,
                                    got.vertical, got.secret),
    }
    assert actual == exp


def check_payload(case):
    key = bytes.fromhex(case["key"])
    if case["op"] == "seal":
        got = _outcome(case, lambda: payload.seal(key, bytes.fromhex(case["plaintext"]),
                                                  case["type"], bytes.fromhex(case["iv"])))
        if case["result"] == "valid":
            assert got == case["payload"]
        return
    got = _outcome(case, lambda: payload.open(case["payload"], key))
    if case["result"] != "valid":
        return
    assert got == bytes.fromhex(case["plaintext"])
    # sealing again with the IV taken from the data reproduces the data
    obj = case["payload"]
    iv = base64.b64decode(obj["data"])[:12]
    assert payload.seal(key, got, obj["type"], iv) == {"type": obj["type"], "data": obj["data"]}


def check_bodies(case):
    got = _outcome(case, lambda: bodies.parse(case["kind"], case["body"]))
    if case["result"] == "valid":
        assert isinstance(got, dict)
        if case["body"]:
            assert got == json.loads(case["body"])


CHECKERS = {"uuid": check_uuid, "rfc3339": check_rfc3339, "shareurl": check_shareurl,
            "payload": check_payload, "bodies": check_bodies}


@pytest.mark.parametrize("name,case,problem",
                         [p for name in SETS for p in _params(name)])
def test_vector(name, case, problem, tally):
    """One vector case (or a failure standing for a missing file)."""
    tally["vectors_ran"] = True
    if problem:
        pytest.fail(f"vector file unusable: {problem}")
    CHECKERS[name](case)
    tally["vectors"][name] += 1


@pytest.mark.parametrize("name", SETS)
def test_vector_file(name, tally):
    """File-level sanity: the right set, numberOfTests right, unique ids,
    every flag explained in notes."""
    tally["vectors_ran"] = True
    data, problem = _load(name)
    if problem:
        pytest.fail(f"vector file unusable: {problem}")
    assert data["vectorSet"] == name
    assert data["formatVersion"] == 1
    tests = data["tests"]
    assert data["numberOfTests"] == len(tests)
    ids = [t["id"] for t in tests]
    assert len(ids) == len(set(ids))
    for t in tests:
        assert set(t["flags"]) <= set(data["notes"]), t["id"]
