"""JSON bodies of the six endpoints and the Provisioning Information
envelope (http-00 §6, §7): rules BODY-* of spec/rules.md.

`parse(kind, text)` runs, in order: BODY-SIZE (too_large), BODY-JSON
(json_syntax), BODY-DEPTH (json_depth), then the members of the kind in
the order of the table in spec/rules.md.  For each member: presence
(field_missing), JSON type (field_type; null is a wrong type), length
(field_too_long), value (field_value or the code named by the rule).
Members not named are ignored at every level (BODY-UNKNOWN).
"""

from . import payload as _payload
from . import rfc3339, shareurl, strictjson
from .errors import TigressError

MAX_BODY = 98304
MAX_DEPTH = 16

_TYPE_NAMES = {str: "a string", dict: "an object", bool: "a boolean"}


def _path(parent: str, name: str) -> str:
    """Dotted field path of member `name` inside `parent` ("" = the body)."""
    return f"{parent}.{name}" if parent else name


def _member(obj: dict, parent: str, name: str, jtype: type, required: bool = True):
    """Presence and JSON type of ``obj[name]``.

    Returns the value, or None when an optional member is absent.
    Raises field_missing (required and absent) or field_type.
    """
    field = _path(parent, name)
    if name not in obj:
        if required:
            raise TigressError("field_missing", field, f"{field} is required")
        return None
    value = obj[name]
    if not isinstance(value, jtype):
        raise TigressError("field_type", field, f"{field} must be {_TYPE_NAMES[jtype]}")
    return value


def _string(obj: dict, parent: str, name: str, min_len: int, max_len: int,
            required: bool = True):
    """A string member of `min_len`..`max_len` bytes of UTF-8.

    Raises field_missing, field_type, field_too_long (over `max_len`) or
    field_value (under `min_len`, i.e. empty when 1 is the minimum).
    Returns the string (None when optional and absent).
    """
    value = _member(obj, parent, name, str, required)
    if value is None:
        return None
    field = _path(parent, name)
    size = len(value.encode("utf-8"))
    if size > max_len:
        raise TigressError("field_too_long", field, f"{field} over {max_len} bytes")
    if size < min_len:
        raise TigressError("field_value", field, f"{field} under {min_len} bytes")
    return value


def _check_display(body: dict) -> None:
    """BODY-DISPLAY: displayInformation {title 1-256, description 0-1024,
    imageURL 0-2048}, all required strings."""
    d = _member(body, "", "displayInformation", dict)
    _string(d, "displayInformation", "title", 1, 256)
    _string(d, "displayInformation", "description", 0, 1024)
    _string(d, "displayInformation", "imageURL", 0, 2048)


def _check_payload(body: dict) -> None:
    """BODY-PAYLOAD: payload present, then PAYLOAD-OBJECT/-TYPE/-DATA/-MIN
    with fields under ``payload.`` (a non-object payload is field_type at
    ``payload``)."""
    if "payload" not in body:
        raise TigressError("field_missing", "payload", "payload is required")
    try:
        _payload.check(body["payload"])
    except TigressError as e:
        raise e.prefixed("payload") from None


def _check_notify(body: dict) -> None:
    """BODY-NOTIFY: optional notificationToken {type 1-128, tokenData 1-4096},
    both required when the object is present."""
    t = _member(body, "", "notificationToken", dict, required=False)
    if t is not None:
        _string(t, "notificationToken", "type", 1, 128)
        _string(t, "notificationToken", "tokenData", 1, 4096)


def _access_rights_ok(rights: str) -> bool:
    """1-3 distinct letters of R, W, D including R (E-ACCESS-RIGHTS-FORM)."""
    return (1 <= len(rights) <= 3 and set(rights) <= {"R", "W", "D"}
            and len(set(rights)) == len(rights) and "R" in rights)


def _check_time(obj: dict, parent: str, name: str) -> None:
    """A required string member holding an RFC 3339 time (TIME-FORM and
    TIME-RANGE).  Raises field_missing, field_type or time_syntax."""
    value = _member(obj, parent, name, str)
    try:
        rfc3339.parse(value)
    except TigressError:
        raise TigressError("time_syntax", _path(parent, name), "not a valid time") from None


def _check_config(body: dict) -> None:
    """BODY-CONFIG: optional mailboxConfiguration {accessRights? (field_value),
    expiration (required, time_syntax)}."""
    c = _member(body, "", "mailboxConfiguration", dict, required=False)
    if c is None:
        return
    rights = _member(c, "mailboxConfiguration", "accessRights", str, required=False)
    if rights is not None and not _access_rights_ok(rights):
        raise TigressError("field_value", "mailboxConfiguration.accessRights",
                           "accessRights is not 1-3 distinct letters of R, W, D with R")
    _check_time(c, "mailboxConfiguration", "expiration")


def _check_push(body: dict) -> None:
    """update_response; also the second member of create_response:
    isPushNotificationSupported, a required boolean (field_missing,
    field_type)."""
    _member(body, "", "isPushNotificationSupported", bool)


def _create_request(body: dict) -> None:
    """create_request (§6.1.5): payload, displayInformation,
    notificationToken?, mailboxConfiguration?."""
    _check_payload(body)
    _check_display(body)
    _check_notify(body)
    _check_config(body)


def _create_response(body: dict) -> None:
    """create_response (§6.1.6): urlLink (string 1-2048 bytes, a share URL
    without query or fragment, else field_value), then
    isPushNotificationSupported."""
    url = _string(body, "", "urlLink", 1, 2048)
    try:
        shareurl.parse(url)
    except TigressError:
        raise TigressError("field_value", "urlLink", "urlLink is not a share URL") from None
    # rules.md says "without fragment"; errata E-VERSION-PATH says urlLink is
    # the api_url form, "without query and fragment": both are refused.
    if "#" in url or "?" in url:
        raise TigressError("field_value", "urlLink", "urlLink carries a query or fragment")
    _check_push(body)


def _update_request(body: dict) -> None:
    """update_request (§6.2.5): payload, notificationToken?."""
    _check_payload(body)
    _check_notify(body)


def _read_request(body: dict) -> None:
    """read_request (errata E-READ-BODY): notificationToken? (the empty
    body is handled by `parse`)."""
    _check_notify(body)


def _read_response(body: dict) -> None:
    """read_response (§6.5.4): displayInformation, payload, expiration
    (time_syntax)."""
    _check_display(body)
    _check_payload(body)
    _check_time(body, "", "expiration")


def _members_ignored(body: dict) -> None:
    """delete_response, relinquish_response (errata E-EMPTY-RESP): any object."""


def _error_response(body: dict) -> None:
    """error_response (errata E-ERROR-BODY): error 1-64 bytes, message
    0-1024 bytes (the code itself is not checked against errors.md)."""
    _string(body, "", "error", 1, 64)
    _string(body, "", "message", 0, 1024)


def _provisioning_info(body: dict) -> None:
    """provisioning_info (§7, Table 1): format 1-256 bytes, content object."""
    _string(body, "", "format", 1, 256)
    _member(body, "", "content", dict)


_KINDS = {
    "create_request": _create_request,
    "create_response": _create_response,
    "update_request": _update_request,
    "update_response": _check_push,
    "read_request": _read_request,
    "read_response": _read_response,
    "delete_response": _members_ignored,
    "relinquish_response": _members_ignored,
    "error_response": _error_response,
    "provisioning_info": _provisioning_info,
}
KINDS = tuple(_KINDS)


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
    check = _KINDS.get(kind)
    if check is None:
        raise ValueError(f"unknown body kind {kind!r}")
    raw = bytes(text) if not isinstance(text, str) else text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY:
        raise TigressError("too_large", "", f"body over {MAX_BODY} bytes")
    if kind == "read_request" and not raw:
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
    check(value)
    return value
