"""Which cases cite which requirement: shared by tools/req_render.py and
tools/req_diff.py.  Importing this registers every relay and client case."""

from .client import cases as _client_cases  # noqa: F401
from .client.registry import CLIENT_REGISTRY
from .relay import cases as _cases  # noqa: F401  (registers the relay cases)
from .relay.registry import REGISTRY


def citing_cases() -> dict:
    """requirement id -> the relay cases and the client cases (the latter
    as `client:ID`) that cite it."""
    out = {}
    for c in REGISTRY.values():
        for r in c.requirements:
            out.setdefault(r, []).append(c.id)
    for c in CLIENT_REGISTRY.values():
        for r in c.requirements:
            out.setdefault(r, []).append("client:" + c.id)
    return out
