"""JSON bodies of the six endpoints and the Provisioning Information
envelope (http-00 §6, §7): rules BODY-* of spec/rules.md.

`parse(kind, text)` runs, in order: BODY-SIZE (too_large), BODY-JSON
(json_syntax), BODY-DEPTH (json_depth), then the members of the kind as
the protocol description (spec/protocol.json, `bodies`, `objects`,
`values`) lists them, which is the order of the table in spec/rules.md.
For each member: presence (field_missing), JSON type (field_type; null is
a wrong type), length (field_too_long, field_value), value (the code
named by its value form).  Members not named are ignored at every level
(BODY-UNKNOWN).
"""

import protocol

from . import members as _members
from . import payload as _payload
from . import rfc3339, shareurl, strictjson
from .errors import TigressError

_P = protocol.load()
MAX_BODY = _P.data["json"]["max_body_bytes"]
MAX_DEPTH = _P.data["json"]["max_depth"]


def _access_rights_ok(rights: str) -> bool:
    """1-3 distinct letters of R, W, D including R (E-ACCESS-RIGHTS-FORM;
    protocol values.access_rights)."""
    v = _P.value("access_rights")
    return (v["min_bytes"] <= len(rights) <= v["max_bytes"]
            and set(rights) <= set(v["alphabet"])
            and len(set(rights)) == len(rights) and v["must_contain"] in rights)


def _time(value: str, field: str) -> None:
    """values.time: TIME-FORM and TIME-RANGE, else time_syntax."""
    try:
        rfc3339.parse(value)
    except TigressError:
        raise TigressError("time_syntax", field, "not a valid time") from None


def _access_rights(value: str, field: str) -> None:
    if not _access_rights_ok(value):
        raise TigressError("field_value", field,
                           "accessRights is not 1-3 distinct letters of R, W, D with R")


def _share_url_api(url: str, field: str) -> None:
    """values.share_url_api: a share URL (field_value otherwise) without
    query or fragment (rules.md says "without fragment"; errata
    E-VERSION-PATH says urlLink is the api_url form, "without query and
    fragment": both are refused)."""
    try:
        shareurl.parse(url)
    except TigressError:
        raise TigressError("field_value", field, "urlLink is not a share URL") from None
    if "#" in url or "?" in url:
        raise TigressError("field_value", field, "urlLink carries a query or fragment")


# value name (protocol values.*) -> its check; "text" needs none.
VALUE_CHECKS = dict(_payload.VALUE_CHECKS, time=_time,
                    access_rights=_access_rights, share_url_api=_share_url_api)

KINDS = tuple(_P.data["bodies"])


def check_members(kind: str, body: dict) -> None:
    """The member checks of body `kind` (BODY-MEMBERS and the shared parts
    BODY-DISPLAY, BODY-PAYLOAD, BODY-NOTIFY, BODY-CONFIG), as the protocol
    description lists them: first fault raised."""
    _members.check(body, "", _P.members(kind), VALUE_CHECKS, _P.members)





def parse(kind: str, text) -> dict:
    """Validate a body of `kind` (one of KINDS); return it parsed as a dict.

    `text` is the body as bytes or str (a str is taken as its UTF-8
    encoding; lone surrogates in it stand for invalid UTF-8 and are
    refused).  Raises, first failure only:
      - too_large ("")   over 98304 bytes (BODY-SIZE);
      - json_syntax ("") not UTF-8, not strict JSON, not an object,
        duplicate member name, NUL or lone surrogate in a string (BODY-JSON);
      - json_depth ("")  more than 16 levels of objects/arrays (BODY-DEPTH);
      - then the member errors of the kind: field_missing, field_type,
        field_too_long, field_value, time_syntax, payload_type,
        payload_encoding, payload_truncated, with a dotted field path.
    A read_request of 0 bytes is valid and gives {} (errata E-READ-BODY).
    ValueError for an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown body kind {kind!r}")
    raw = bytes(text) if not isinstance(text, str) else text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY:
        raise TigressError("too_large", "", f"body over {MAX_BODY} bytes")
    if not raw and _P.body(kind).get("empty_allowed"):
        return {}
    try:
        value, depth = strictjson.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise TigressError("json_syntax", "", "body is not valid UTF-8") from None
    except strictjson.JSONError as e:
        raise TigressError("json_syntax", "", str(e)) from None
    if not isinstance(value, dict):
        raise TigressError("json_syntax", "", "body is not a JSON object")
    if depth > MAX_DEPTH:
        raise TigressError("json_depth", "", f"nesting over {MAX_DEPTH} levels")
    check_members(kind, value)
    return value
