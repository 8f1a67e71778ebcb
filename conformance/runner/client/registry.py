"""The client cases' registry (apart from the relay cases of
relay/registry.py, which the relay commands and the catalog coverage test
read).

    @client_case("REQID-FRESH", "...", ["CLI-CREATE-REQID", ...],
                 "what a conforming client does",
                 sessions=["init-stateful", "recip-stateful"])
    def reqid_fresh(t): ...
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

from ..core.model import DRAFTS, Case

CLIENT_CATEGORIES = ("URL", "TLS", "SECRET", "REQID", "CLAIM", "PRIVACY",
                     "PAYLOAD", "RECEIVE", "REFUSE", "RETRY", "FLOW",
                     "REQUEST", "PREVIEW")


class ClientCase(Case):
    sessions: Sequence[str] = ()


CLIENT_REGISTRY: "OrderedDict[str, ClientCase]" = OrderedDict()


def client_case(case_id: str, title: str, requirements: Sequence[str],
                expect: str, sessions: Sequence[str],
                drafts: Sequence[str] = DRAFTS):
    """Register a client case.  `sessions`: the sessions (sessions.py) whose
    outcome it checks; they run before any case."""
    def deco(func):
        if case_id in CLIENT_REGISTRY:
            raise ValueError("duplicate client case id %s" % case_id)
        if case_id.split("-", 1)[0] not in CLIENT_CATEGORIES:
            raise ValueError("client case %s: unknown category" % case_id)
        c = ClientCase(case_id, title, list(requirements), func, expect,
                       tuple(drafts))
        c.sessions = tuple(sessions)
        CLIENT_REGISTRY[case_id] = c
        return func
    return deco
