"""protocol: the reader of spec/protocol.json, the one machine-readable
description of the TIGRESS relay protocol (draft-vinokurov-tigress-http-00,
and draft-secure-credential-transfer-04 as a profile of it): paths,
headers, value forms, bodies and their members, parties and rights, and
every operation with its outcomes.  The format is explained in
spec/README.md and checked by spec/protocol.schema.json.

    from protocol import load
    p = load()
    p.header("sct-04", "claim")              # "Device-Claim"
    p.operation("update")["outcomes"]        # ordered: when, status, ...
    for path, m in p.walk("create_request"):  # every member, depth first
        print(path, m.type, m.required, m.max_bytes)

Read by tigress_py (the body checks, header names, AEAD sizes), the
broken relay, the conformance runner (generated inputs, well-formed
requests, cases) and an executable model of the relay.  Depends on the
standard library only; it never imports tigress_py or the runner.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

def _spec_dir() -> Path:
    """spec/ beside conformance/ in a checkout, or the copy inside the
    installed package (pyproject.toml installs spec/ as
    tigress_conformance/spec)."""
    here = Path(__file__).resolve().parents[1]
    for d in (here.parent / "spec", here / "spec"):
        if (d / "protocol.json").exists():
            return d
    return here.parent / "spec"


SPEC = _spec_dir()
REPO = SPEC.parent
PROTOCOL = SPEC / "protocol.json"
SCHEMA = SPEC / "protocol.schema.json"

JSON_TYPES = ("string", "number", "boolean", "object", "array")


@dataclass(frozen=True)
class Member:
    """One member of a body or object (the fields of spec/protocol.json's
    member entries; absent limits are None)."""
    name: str
    type: str                      # a JSON type: string, object, boolean...
    required: bool
    requirements: Tuple[str, ...]
    object: Optional[str] = None   # objects.* entry of an object member
    value: Optional[str] = None    # values.* entry of its content
    min_bytes: Optional[int] = None
    max_bytes: Optional[int] = None
    basis_over: Tuple[Tuple[str, str], ...] = ()
    preview: Optional[str] = None

    def basis(self, constraint: str, default: Dict[str, str]) -> str:
        """Which requirement a relay breaks by accepting a body that
        breaks `constraint` (required, type, min_bytes, max_bytes):
        "draft" or a requirement ID (see json.basis_note)."""
        return dict(self.basis_over).get(constraint, default[constraint])


def _member(d: dict) -> Member:
    return Member(d["name"], d["type"], d["required"],
                  tuple(d.get("requirements", ())), d.get("object"),
                  d.get("value"), d.get("min_bytes"), d.get("max_bytes"),
                  tuple(sorted(d.get("basis", {}).items())), d.get("preview"))


class Protocol:
    """The description, with lookups.  `data` is the parsed JSON."""

    def __init__(self, data: dict):
        self.data = data
        self._paths = {name: _path_regex(p["template"]) for name, p in
                       data["paths"].items() if isinstance(p, dict)
                       and name != "share_url"}

    # -- profiles and headers ---------------------------------------------------------
    @property
    def profiles(self) -> List[str]:
        return list(self.data["profiles"])

    def header(self, profile: str, kind: str) -> str:
        """The header name of `kind` (request_id, claim, attestation) under
        `profile`.  KeyError for an unknown profile or kind."""
        return self.data["profiles"][profile]["headers"][kind]

    def headers(self, profile: str) -> Dict[str, str]:
        """kind -> header name under `profile`."""
        return dict(self.data["profiles"][profile]["headers"])

    def header_names(self, profile: str, kind: str) -> List[str]:
        """The header name of `kind` under `profile`, then its aliases
        (sct-04: Device-Claim, deviceClaim)."""
        prof = self.data["profiles"][profile]
        return [prof["headers"][kind]] + list(prof["aliases"].get(kind, ()))

    def all_header_names(self, kind: str) -> List[str]:
        """The names of `kind` in every profile, aliases included, each
        once, in profile order."""
        out: List[str] = []
        for p in self.profiles:
            for n in self.header_names(p, kind):
                if n not in out:
                    out.append(n)
        return out

    # -- operations ---------------------------------------------------------------------
    @property
    def operations(self) -> Dict[str, dict]:
        return self.data["operations"]

    def operation(self, name: str) -> dict:
        return self.data["operations"][name]

    def operation_of(self, method: str, path: str) -> Optional[str]:
        """The operation a request is (create, update, delete, preview,
        read, relinquish, well_known), from its method and path (without
        query); None when no operation has them."""
        method = method.upper()
        for name, op in self.operations.items():
            methods = [op["method"]] + list(op.get("also_methods", ()))
            if method in methods and self._paths[op["path"]].match(path):
                return name
        return None

    def path_of(self, operation: str, mailbox: str = "",
                version: Optional[str] = None) -> str:
        """The request path of `operation` (for a mailbox operation, of
        mailbox identifier `mailbox`)."""
        tpl = self.data["paths"][self.operation(operation)["path"]]["template"]
        return tpl.replace("{version}", version or self.data["paths"]["version"]
                           ).replace("{mailboxIdentifier}", mailbox)

    def outcome(self, operation: str, when: str) -> Optional[dict]:
        """The outcome of `operation` for condition `when`, or None."""
        for o in self.operation(operation)["outcomes"]:
            if o["when"] == when:
                return o
        return None

    # -- bodies, objects, values ----------------------------------------------------------
    def body(self, kind: str) -> dict:
        return self.data["bodies"][kind]

    def members(self, kind: str) -> List[Member]:
        """The members of body `kind`, or of objects.`kind`, in checking
        order."""
        src = self.data["bodies"].get(kind) or self.data["objects"][kind]
        return [_member(m) for m in src["members"]]

    def walk(self, kind: str, parent: str = "") -> Iterator[Tuple[str, Member]]:
        """(dotted path, member) for every member of body or object `kind`,
        depth first in checking order (an object member before its
        members)."""
        for m in self.members(kind):
            path = "%s.%s" % (parent, m.name) if parent else m.name
            yield path, m
            if m.object:
                yield from self.walk(m.object, path)

    def value(self, name: str) -> dict:
        return self.data["values"][name]

    @property
    def basis_default(self) -> Dict[str, str]:
        return self.data["json"]["basis_default"]

    def aeads(self) -> Dict[str, dict]:
        """AEAD name -> {key_bytes, iv_bytes, tag_bytes}."""
        return {k: dict(v) for k, v in self.data["aeads"].items()}

    @property
    def limits(self) -> dict:
        return self.data["limits"]

    # -- the requirement IDs it cites --------------------------------------------------------
    def requirement_ids(self) -> List[str]:
        """Every requirement ID the description cites (in `requirements`,
        `invalid` and `basis` fields), each once, sorted."""
        found = set()

        def visit(node, key=None):
            if isinstance(node, dict):
                for k, v in node.items():
                    visit(v, k)
            elif isinstance(node, list):
                for v in node:
                    visit(v, key)
            elif isinstance(node, str) and key in (
                    "requirements", "invalid", "basis", "required",
                    "type", "min_bytes", "max_bytes") and _REQ_ID.match(node):
                found.add(node)
        visit(self.data)
        return sorted(found)


_REQ_ID = re.compile(r"^(RLY|CLI|SCT)-[A-Z0-9-]+$|^Req-[A-Za-z]+$|"
                     r"^[EX]-[A-Z0-9-]+$")


def _path_regex(template: str):
    pat = re.escape(template).replace(r"\{version\}", r"v[1-9][0-9]{0,2}")
    pat = pat.replace(r"\{mailboxIdentifier\}", r"[^/]+")
    return re.compile("^%s$" % pat)


@lru_cache(maxsize=None)
def load(path: Optional[str] = None) -> Protocol:
    """The description in `path` (default spec/protocol.json), parsed once."""
    with open(path or PROTOCOL, encoding="utf-8") as f:
        return Protocol(json.load(f))


def validate(data: dict) -> List[str]:
    """Schema errors of a description (empty when valid); needs
    python3-jsonschema."""
    import jsonschema
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    v = jsonschema.Draft7Validator(schema)
    return ["%s: %s" % ("/".join(str(x) for x in e.path), e.message)
            for e in v.iter_errors(data)]
