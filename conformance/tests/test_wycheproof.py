"""Project Wycheproof AES-GCM vectors through tigress_py.payload.

The file is the vendored copy {repo}/vectors/wycheproof/aes_gcm_test.json
(Apache-2.0, LICENSE beside it).  Groups
with a 96-bit IV, a 128-bit tag and a 128- or 256-bit key are used (the
only parameters of http-00 §7.2).  A case with empty `aad` goes through
payload.open() as a payload object; payloads have no AAD, so a case with
non-empty `aad` goes through payload._open_raw(), the same decryption path.

valid -> the plaintext is `msg`; invalid -> TigressError; acceptable ->
either.  A missing file is a failure, not a skip.
"""

import base64
import json
from pathlib import Path

import pytest

from tigress_py import payload
from tigress_py.errors import TigressError

REPO = Path(__file__).resolve().parents[2]


WYCHEPROOF = REPO / "vectors" / "wycheproof" / "aes_gcm_test.json"
AEAD_FOR_BITS = {128: "AEAD_AES_128_GCM", 256: "AEAD_AES_256_GCM"}


def _cases():
    try:
        with open(WYCHEPROOF, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return [pytest.param(None, None, f"{WYCHEPROOF}: {e}", id="wycheproof-missing")]
    params = []
    for group in data["testGroups"]:
        if (group.get("ivSize") == 96 and group.get("tagSize") == 128
                and group.get("keySize") in AEAD_FOR_BITS):
            for case in group["tests"]:
                params.append(pytest.param(group["keySize"], case, None,
                                           id=f"wycheproof-{case['tcId']}"))
    return params or [pytest.param(None, None, "no usable test group", id="wycheproof-empty")]


def _open(key_bits: int, case: dict) -> bytes:
    key, iv = bytes.fromhex(case["key"]), bytes.fromhex(case["iv"])
    ct_tag = bytes.fromhex(case["ct"]) + bytes.fromhex(case["tag"])
    aad = bytes.fromhex(case["aad"])
    if aad:
        return payload._open_raw(key, iv, ct_tag, aad)
    obj = {"type": AEAD_FOR_BITS[key_bits],
           "data": base64.b64encode(iv + ct_tag).decode("ascii")}
    return payload.open(obj, key)


@pytest.mark.parametrize("key_bits,case,problem", _cases())
def test_wycheproof(key_bits, case, problem, tally):
    """One Wycheproof case (or a failure standing for a missing file)."""
    tally["wycheproof"][1] += 1
    if problem:
        pytest.fail(f"Wycheproof file unusable: {problem}")
    result = case["result"]
    if result == "valid":
        assert _open(key_bits, case) == bytes.fromhex(case["msg"])
    elif result == "invalid":
        with pytest.raises(TigressError):
            _open(key_bits, case)
    else:
        try:
            _open(key_bits, case)
        except TigressError:
            pass
    tally["wycheproof"][0] += 1
