"""The protocol description (spec/protocol.json, read by
conformance/protocol): its schema, that everything it names exists (the
requirements of the catalog, the rules of spec/rules.md, the error codes
of spec/errors.md, its own conditions, effects, objects, values and body
kinds), and that its readers agree with it."""

import re
import sys
from pathlib import Path

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

import protocol  # noqa: E402
from runner.core import catalog as catalog_mod  # noqa: E402
from tigress_py import bodies, payload  # noqa: E402
from tigress_py.client import PROFILES  # noqa: E402

P = protocol.load()
D = P.data
ANSWERS = set(D["bodies"]) | {"original", "preview_page", "well_known"}


def test_schema():
    assert protocol.validate(D) == []


def test_cited_requirements_are_catalogued():
    cat = catalog_mod.load()
    ids = P.requirement_ids()
    assert len(ids) > 100
    assert [r for r in ids if r not in cat] == []


def test_cited_rules_exist():
    rules = set(re.findall(r"`([A-Z0-9]+-[A-Z0-9-]+)`",
                           (REPO / "spec" / "rules.md").read_text()))
    cited = set()
    for section in ("values", "objects", "paths"):
        for v in D[section].values():
            if isinstance(v, dict):
                cited.update(v.get("rules", ()))
    cited.update(D["json"]["rules"])
    assert cited and sorted(cited - rules) == []


def test_error_codes_exist():
    codes = set(re.findall(r"^\| `([a-z_]+)` \|",
                           (REPO / "spec" / "errors.md").read_text(), re.M))
    for name, op in P.operations.items():
        for o in op["outcomes"]:
            if "error" in o and not o["error"].startswith("("):
                assert o["error"] in codes, (name, o)
    for v in D["values"].values():
        for k in ("error", "error_short"):
            if k in v:
                assert v[k] in codes, v


def test_internal_references():
    for name, op in P.operations.items():
        assert op["path"] in D["paths"], name
        assert set(op["headers"]) <= set(D["headers"]), name
        assert op.get("request", "create_request") in D["bodies"], name
        assert set(op["parties"]) <= set(D["parties"]) | {
            "stranger_while_unbound"}, name
        assert op["outcomes"][-1]["when"] == "always", name
        for o in op["outcomes"]:
            assert o["when"] in D["conditions"], (name, o["when"])
            assert set(o.get("effects", ())) <= set(D["effects"]), (name, o)
            assert o.get("answer", "error_response") in ANSWERS, (name, o)
            assert o["status"] not in o.get("accept", ()), (name, o)
    for kind in list(D["bodies"]) + list(D["objects"]):
        for path, m in P.walk(kind):
            assert m.object is None or m.object in D["objects"], path
            assert m.value is None or m.value in D["values"], path
            assert (m.object is not None) == (m.type == "object") or \
                kind in ("provisioning_info",), path
    for kind, h in D["headers"].items():
        assert h["value"] in D["values"], kind
    assert set(D["rights"]["permissions"]) <= set(P.operations)


def test_every_request_member_has_a_basis():
    """A relay accepting a body that breaks a constraint breaks either the
    draft (the operation's `invalid` requirements) or a decision."""
    for kind, b in D["bodies"].items():
        if not kind.endswith("_request"):
            continue
        assert b["invalid"], kind
        for path, m in P.walk(kind):
            for c in ("required", "type", "min_bytes", "max_bytes"):
                basis = m.basis(c, P.basis_default)
                assert basis == "draft" or basis.startswith("E-"), (path, c)


def test_readers_agree():
    assert set(bodies.KINDS) == set(D["bodies"])
    assert bodies.MAX_BODY == D["json"]["max_body_bytes"] == \
        D["limits"]["max_body_bytes"]
    assert set(payload.KEY_LEN) == set(D["values"]["aead_type"]["enum"])
    assert PROFILES["sct-04"]["claim"] == "Device-Claim"
    assert P.header_names("sct-04", "claim") == ["Device-Claim", "deviceClaim"]
    assert P.all_header_names("claim") == [
        "Mailbox-Device-Claim", "Device-Claim", "deviceClaim"]


def test_operation_of():
    mid = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
    assert P.operation_of("POST", "/v1/m") == "create"
    assert P.operation_of("POST", "/v1/m/" + mid) == "read"
    assert P.operation_of("HEAD", "/v1/m/" + mid) == "preview"
    assert P.operation_of("PATCH", "/v1/m/" + mid) == "relinquish"
    assert P.operation_of("GET", "/.well-known/tigress") == "well_known"
    assert P.operation_of("GET", "/v1/m") is None
    assert P.operation_of("PUT", "/v1/x/" + mid) is None
    assert P.path_of("update", mid) == "/v1/m/" + mid
    assert P.outcome("update", "party.stranger")["status"] == 401
