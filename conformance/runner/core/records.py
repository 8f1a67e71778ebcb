"""The test relay's records (brokenrelay/recorder.py: one dict per
request, with the relay's answer): what operation a request was, its
headers, bodies and mailbox.  Read by the client suite and the interop
matrix.
"""

from __future__ import annotations

import json
import re
from typing import Optional

import protocol

MUTATING = tuple(n for n, op in protocol.load().operations.items()
                 if op["mutating"])
ANY_CLAIM_HEADER = tuple(n.lower() for n in
                         protocol.load().all_header_names("claim"))
_MAILBOX_PATH = re.compile(r"^/v1/m/([^/?#]+)$")
_METHOD_OP = {"POST": "read", "PUT": "update", "DELETE": "delete",
              "PATCH": "relinquish", "GET": "preview", "HEAD": "preview"}


def header(rec: dict, name: str) -> Optional[str]:
    for k, v in rec.get("headers", []):
        if k.lower() == name.lower():
            return v
    return None


def claim_of(rec: dict) -> Optional[str]:
    """The device claim a request carries, under any profile's name."""
    for k, v in rec.get("headers", []):
        if k.lower() in ANY_CLAIM_HEADER:
            return v.strip()
    return None


def op_of(rec: dict) -> str:
    path = rec.get("path", "")
    if path.rstrip("/") == "/v1/m":
        return "create" if rec["method"] == "POST" else "other"
    if path.startswith("/.well-known/"):
        return "well-known"
    if _MAILBOX_PATH.match(path):
        return _METHOD_OP.get(rec["method"], "other")
    return "other"


def body_text(rec: dict, key: str = "body") -> str:
    b = rec.get(key) or {}
    return b.get("data", "") if b.get("encoding") == "utf-8" else ""


def body_json(rec: dict, key: str = "body"):
    try:
        return json.loads(body_text(rec, key))
    except ValueError:
        return None


def mailbox_of(rec: dict) -> Optional[str]:
    """The mailbox a request is about: from its path, or for a create from
    the urlLink answered."""
    m = _MAILBOX_PATH.match(rec.get("path", ""))
    if m:
        return m.group(1).lower()
    if op_of(rec) == "create":
        ans = body_json(rec, "response_body")
        if isinstance(ans, dict) and isinstance(ans.get("urlLink"), str):
            return ans["urlLink"].rstrip("/").rsplit("/", 1)[-1].lower()
    return None


def describe_record(rec: dict) -> str:
    st = rec["status"]
    tail = "reset" if rec.get("aborted") == "reset" else (
        "%s, answer dropped" % st if rec.get("aborted") == "drop" else st)
    return "%s %s -> %s" % (rec["method"], rec["target"], tail)
