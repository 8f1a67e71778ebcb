"""tigress_py: an independent Python implementation of the protocol rules
of spec/rules.md (draft-vinokurov-tigress-http-00 with spec/errata.md),
written to cross-check the C library against vectors/.

Modules: errors (TigressError), uuids, rfc3339, b64, shareurl, payload,
strictjson, members (the member checks), bodies.  Names, types, limits and
member order of bodies and payloads, the AEADs and the header names come
from the protocol description (spec/protocol.json, read by
conformance/protocol); the rules themselves are written here from the
drafts and spec/rules.md.  Standard library and python3-cryptography
only.  (client.py, the HTTP client, is separate and not imported here.)
"""

from . import b64, bodies, errors, members, payload, rfc3339, shareurl, strictjson, uuids
from .errors import TigressError

__all__ = ["TigressError", "errors", "uuids", "rfc3339", "b64", "shareurl",
           "payload", "strictjson", "members", "bodies"]
