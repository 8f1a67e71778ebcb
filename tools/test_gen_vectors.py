"""Tests of tools/gen_vectors.py and the vector files it writes.

Run with: /usr/bin/python3 -m pytest -q tools/test_gen_vectors.py

These check the generator and the files (reproducibility, schema, ids,
counts, flags) and cross-check a few hand-written expected values against
independent third-party code (AES-GCM of python3-cryptography, the
standard library's calendar and base64).  They do not use lib/ or
conformance/tigress_py.
"""

import base64
import calendar
import copy
import json
import os
import re
import subprocess
import sys
import time

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jsonschema import Draft202012Validator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "vectors")
GEN = os.path.join(ROOT, "tools", "gen_vectors.py")
SETS = ["uuid", "rfc3339", "shareurl", "payload", "bodies"]
MINIMUM = {"uuid": 20, "rfc3339": 25, "shareurl": 45, "payload": 32, "bodies": 70}
KINDS = ["create_request", "create_response", "update_request", "update_response",
         "read_request", "read_response", "delete_response", "relinquish_response",
         "error_response", "provisioning_info"]


def load(name):
    with open(os.path.join(VECTORS, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def docs():
    return {n: load(n) for n in SETS}


@pytest.fixture(scope="module")
def schema():
    with open(os.path.join(VECTORS, "schema.json"), encoding="utf-8") as f:
        return json.load(f)


def spec_text(name):
    with open(os.path.join(ROOT, "spec", name), encoding="utf-8") as f:
        return f.read()


def error_codes(shared_only=False):
    """The codes of the tables of spec/errors.md."""
    text = spec_text("errors.md")
    if shared_only:
        text = text.split("## Codes only the relay answers")[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))


# (a) reproducibility -------------------------------------------------------

def test_check_reproduces_byte_for_byte():
    r = subprocess.run([sys.executable, GEN, "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_check_reports_a_difference(tmp_path):
    r = subprocess.run([sys.executable, GEN, "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    p = tmp_path / "uuid.json"
    p.write_bytes(p.read_bytes() + b" ")
    (tmp_path / "bodies.json").unlink()
    r = subprocess.run([sys.executable, GEN, "--out", str(tmp_path), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "uuid.json" in r.stderr and "bodies.json" in r.stderr
    assert "payload.json" not in r.stderr


def test_file_format(docs):
    for n in SETS:
        with open(os.path.join(VECTORS, n + ".json"), "rb") as f:
            raw = f.read()
        text = json.dumps(docs[n], indent=2, ensure_ascii=False) + "\n"
        assert raw == text.encode("utf-8"), n
        assert list(docs[n]) == ["vectorSet", "formatVersion", "source",
                                 "description", "notes", "numberOfTests", "tests"]
        for t in docs[n]["tests"]:
            assert list(t)[:4] == ["id", "comment", "flags", "result"], t["id"]


# (b) schema --------------------------------------------------------------

def test_schema_is_valid(schema):
    Draft202012Validator.check_schema(schema)


def test_schema_error_enum_is_errors_md(schema):
    assert set(schema["$defs"]["errorCode"]["enum"]) == error_codes()


@pytest.mark.parametrize("name", SETS)
def test_files_validate(schema, docs, name):
    errs = sorted(Draft202012Validator(schema).iter_errors(docs[name]),
                  key=lambda e: list(e.absolute_path))
    assert not errs, "\n".join("%s: %s" % (list(e.absolute_path), e.message[:200])
                               for e in errs[:10])


def test_schema_rejects_broken_files(schema, docs):
    v = Draft202012Validator(schema)
    d = copy.deepcopy(docs["uuid"])
    d["tests"][0]["error"] = "uuid_syntax"              # valid case with error
    assert not v.is_valid(d)
    d = copy.deepcopy(docs["shareurl"])
    inv = next(t for t in d["tests"] if t["result"] == "invalid")
    del inv["error"]
    assert not v.is_valid(d)
    d = copy.deepcopy(docs["bodies"])
    d["tests"][0]["error"] = "no_such_code"
    assert not v.is_valid(d)
    d = copy.deepcopy(docs["payload"])
    d["tests"][0]["surprise"] = 1
    assert not v.is_valid(d)
    d = copy.deepcopy(docs["rfc3339"])
    d["tests"][0]["id"] = "uuid-001"
    assert not v.is_valid(d)
    d = copy.deepcopy(docs["rfc3339"])
    d["tests"][0]["flags"] = [1]
    assert not v.is_valid(d)


# (c) ids, counts, flags ----------------------------------------------------

@pytest.mark.parametrize("name", SETS)
def test_ids_counts_flags(docs, name):
    d = docs[name]
    assert d["vectorSet"] == name
    ids = [t["id"] for t in d["tests"]]
    assert len(ids) == len(set(ids))
    assert ids == ["%s-%03d" % (name, i + 1) for i in range(len(ids))]
    assert d["numberOfTests"] == len(d["tests"])
    assert len(d["tests"]) >= MINIMUM[name]
    used = {f for t in d["tests"] for f in t["flags"]}
    assert used <= set(d["notes"]), used - set(d["notes"])
    assert set(d["notes"]) <= used, set(d["notes"]) - used


def test_flags_are_spec_ids(docs):
    """Every flag is a rule ID of rules.md or an errata ID of errata.md, except
    BODY-MEMBERS, which stands for rules.md's per-kind member table (no ID)."""
    rules, errata = spec_text("rules.md"), spec_text("errata.md")
    known = set(re.findall(r"`([A-Z]+(?:-[A-Z0-9]+)+)`", rules))
    known |= set(re.findall(r"\*\*(E-[A-Z0-9-]+)\*\*", errata))
    for n in SETS:
        unknown = set(docs[n]["notes"]) - known
        assert not unknown, (n, unknown)


def test_invalid_cases_use_shared_codes(docs):
    shared = error_codes(shared_only=True)
    for n in SETS:
        for t in docs[n]["tests"]:
            if t["result"] == "invalid":
                assert t["error"] in shared, t["id"]
            assert t["result"] != "acceptable", t["id"]


def test_coverage(docs):
    rules = set(re.findall(r"^- `([A-Z]+(?:-[A-Z0-9]+)+)`", spec_text("rules.md"),
                           re.M))
    used = {f for n in SETS for f in docs[n]["notes"]}
    # UUID-V4-GEN needs a CSPRNG and cannot have a deterministic vector.
    assert rules - used == {"UUID-V4-GEN"}, rules - used
    kinds = {t["kind"]: set() for t in docs["bodies"]["tests"]}
    for t in docs["bodies"]["tests"]:
        kinds[t["kind"]].add(t["result"])
    assert sorted(kinds) == sorted(KINDS)
    for k, results in kinds.items():
        assert results == {"valid", "invalid"}, k
    # every error code of the URL rules appears in shareurl.json
    url_codes = {"too_large", "url_syntax", "url_scheme", "url_userinfo",
                 "url_host", "url_port", "url_path", "url_version",
                 "url_mailbox_id", "url_query", "url_vertical",
                 "url_secret_encoding", "url_secret_length"}
    got = {t["error"] for t in docs["shareurl"]["tests"] if t["result"] == "invalid"}
    assert got == url_codes
    got = {t["error"] for t in docs["payload"]["tests"] if t["result"] == "invalid"}
    assert got == {"too_large", "field_type", "field_missing", "field_too_long",
                   "payload_type", "payload_encoding", "payload_truncated",
                   "payload_key", "payload_auth"}


# (d) AEAD sanity -----------------------------------------------------------

def _aesgcm(key_hex):
    return AESGCM(bytes.fromhex(key_hex))


def test_payload_valid_cases_decrypt(docs):
    n = 0
    for t in docs["payload"]["tests"]:
        if t["result"] != "valid":
            continue
        p = t["payload"]
        raw = base64.b64decode(p["data"], validate=True)
        assert base64.b64encode(raw).decode() == p["data"], t["id"]
        key = bytes.fromhex(t["key"])
        assert len(key) == {"AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 32}[p["type"]]
        pt = AESGCM(key).decrypt(raw[:12], raw[12:], None)
        assert pt.hex() == t["plaintext"], t["id"]
        if t["op"] == "seal":
            assert raw[:12].hex() == t["iv"]
            assert p["type"] == t["type"]
        n += 1
    assert n >= 20


def test_payload_auth_cases_fail(docs):
    for t in docs["payload"]["tests"]:
        if t.get("error") != "payload_auth":
            continue
        raw = base64.b64decode(t["payload"]["data"], validate=True)
        with pytest.raises(InvalidTag):
            _aesgcm(t["key"]).decrypt(raw[:12], raw[12:], None)


def test_payload_limits(docs):
    sizes = {len(bytes.fromhex(t["plaintext"])) for t in docs["payload"]["tests"]
             if t["op"] == "seal" and t["result"] == "valid"}
    assert 0 in sizes and 49124 in sizes
    datas = [t["payload"]["data"] for t in docs["payload"]["tests"]
             if t["result"] == "valid"]
    assert max(len(d) for d in datas) == 65536
    over = [t for t in docs["payload"]["tests"] if t.get("error") == "too_large"]
    assert over and all(len(t["plaintext"]) == 2 * 49125 for t in over)


# further sanity of hand-written values against independent code --------------

def test_rfc3339_epochs_match_calendar(docs):
    for t in docs["rfc3339"]["tests"]:
        if t["result"] != "valid":
            continue
        s = t["input"] if t["op"] == "parse" else t["expected"]
        assert calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) == t["epoch"], \
            t["id"]


def test_shareurl_values_consistent(docs):
    for t in docs["shareurl"]["tests"]:
        if t["result"] != "valid":
            continue
        if t["op"] == "build":
            f = t["fields"]
            if f["secret"]:
                sec = base64.b64encode(bytes.fromhex(f["secret"])).decode()
                assert t["url"].endswith("#" + sec), t["id"]
            continue
        e = t["expected"]
        assert e["length"] == len(t["url"]), t["id"]
        assert e["canonical"].startswith(e["api_url"]), t["id"]
        assert "?" not in e["api_url"] and "#" not in e["api_url"]
        assert e["vertical_present"] == ("?" in t["url"].split("#")[0]), t["id"]
        frag = t["url"].split("#", 1)[1] if "#" in t["url"] else None
        if e["secret"] is None:
            assert frag is None and e["aead"] is None
            continue
        std = frag.replace("-", "+").replace("_", "/")
        std += "=" * (-len(std) % 4)
        assert base64.b64decode(std, validate=True).hex() == e["secret"], t["id"]
        assert e["canonical"].endswith(
            "#" + base64.b64encode(bytes.fromhex(e["secret"])).decode())
        assert e["aead"] == {16: "AEAD_AES_128_GCM", 32: "AEAD_AES_256_GCM"}[
            len(e["secret"]) // 2]
    sms = [t for t in docs["shareurl"]["tests"] if "URL-SMS" in t["flags"]]
    assert sms
    for t in sms:
        assert len(t["url"]) == 119


def test_bodies_valid_are_json_objects(docs):
    for t in docs["bodies"]["tests"]:
        b = t["body"]
        if t["result"] == "valid":
            assert len(b.encode("utf-8")) <= 98304, t["id"]
            if t["kind"] == "read_request" and b == "":
                continue
            assert isinstance(json.loads(b), dict), t["id"]
        elif t["error"] == "too_large":
            assert len(b.encode("utf-8")) > 98304, t["id"]
