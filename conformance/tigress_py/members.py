"""The member checks of a JSON object, driven by the protocol description
(spec/protocol.json, read through conformance/protocol): rule BODY-MEMBERS
of spec/rules.md, for bodies.py and payload.py.

For each member, in the order the description lists them: presence
(field_missing), JSON type (field_type; null is a wrong type, a boolean is
no number), max_bytes of UTF-8 (field_too_long), min_bytes (field_value),
the value's own check, then the members of a nested object.

    check(obj, "", protocol.load().members("create_request"), VALUE_CHECKS)
"""

from typing import Callable, Dict, Sequence

from .errors import TigressError

_PY_TYPES = {"string": str, "object": dict, "boolean": bool, "array": list}
_TYPE_NAMES = {"string": "a string", "object": "an object",
               "boolean": "a boolean", "number": "a number",
               "array": "an array"}


def is_type(value, json_type: str) -> bool:
    """True when `value` (parsed JSON) has `json_type`."""
    if json_type == "number":
        return type(value) in (int, float)
    return isinstance(value, _PY_TYPES[json_type])


def path(parent: str, name: str) -> str:
    """Dotted field path of member `name` inside `parent` ("" = the body)."""
    return f"{parent}.{name}" if parent else name


def check(obj: dict, parent: str, members: Sequence,
          values: Dict[str, Callable], objects: Callable = None) -> None:
    """Check the members of `obj` (protocol.Member entries).  `values`:
    value name -> function(value, field) raising TigressError; a value not
    named is not checked.  `objects(name)`: the members of a nested
    object (None: nested objects are not entered).  Raises the first
    fault as TigressError with its dotted field path."""
    for m in members:
        field = path(parent, m.name)
        if m.name not in obj:
            if m.required:
                raise TigressError("field_missing", field, f"{field} is required")
            continue
        value = obj[m.name]
        if not is_type(value, m.type):
            raise TigressError("field_type", field,
                               f"{field} must be {_TYPE_NAMES[m.type]}")
        if m.type == "string":
            size = len(value.encode("utf-8", "surrogatepass"))
            if m.max_bytes is not None and size > m.max_bytes:
                raise TigressError("field_too_long", field,
                                   f"{field} over {m.max_bytes} bytes")
            if m.min_bytes is not None and size < m.min_bytes:
                raise TigressError("field_value", field,
                                   f"{field} under {m.min_bytes} bytes")
        if m.value in values:
            values[m.value](value, field)
        if m.object and objects is not None:
            check(value, field, objects(m.object), values, objects)
