"""The suite as the other party of a client under test, written on
tigress_py: it creates mailboxes with sealed Provisioning Information and
hands out share URLs, reads (binding itself as recipient) and opens what
the client stored, sends updates, deletes.

Its requests carry `X-Tigress-Conformance: peer` so that the checks tell
them from the client's.  Its exchanges are kept (RelayClient.history).
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Optional

from tigress_py import payload as tpayload, rfc3339, shareurl, uuids
from tigress_py.client import RelayClient
from tigress_py.errors import TigressError

from .testrelay import PEER_HEADER

DISPLAY = {"title": "Conformance Key",
           "description": "A test share made by tigress-conformance",
           "imageURL": "https://example.com/key.png"}
HEADERS = {PEER_HEADER: "peer"}


class Share:
    """A mailbox the peer made: its id, API URL, share URL, Secret."""

    def __init__(self, mailbox_id: str, api_url: str, url: str,
                 secret: bytes, claim: str, payload: dict):
        self.id = mailbox_id
        self.api_url = api_url
        self.url = url
        self.secret = secret
        self.claim = claim
        self.payload = payload


class Peer:
    def __init__(self, base_url: str, ca: str, profile: str = "http-00"):
        self.client = RelayClient(base_url, ca=ca, profile=profile,
                                  timeout=15)
        self.claims = []                       # every claim the peer used

    def close(self):
        self.client.close()

    @property
    def history(self):
        return self.client.history

    def claim(self) -> str:
        c = uuids.new_v4()
        self.claims.append(c)
        return c

    # -- the peer as initiator -------------------------------------------------
    def share(self, plaintext: bytes, rights: str = "RD",
              secret_len: int = 32, vertical: str = "a",
              payload: Optional[dict] = None,
              secret: Optional[bytes] = None,
              display: Optional[dict] = None) -> Share:
        """Create a mailbox holding `plaintext` sealed under a fresh
        Secret (or `payload` as given, e.g. corrupted), showing `display`
        (default DISPLAY); return the share."""
        secret = secret or secrets.token_bytes(secret_len)
        obj = payload if payload is not None else tpayload.seal(secret,
                                                                plaintext)
        claim = self.claim()
        ex = self.client.create(
            claim, dict(display or DISPLAY), obj, headers=HEADERS,
            config={"accessRights": rights,
                    "expiration": rfc3339.format(int(time.time()) + 900)})
        if ex.status != 200 or not isinstance(ex.json, dict):
            raise RuntimeError("the test relay refused the peer's create: "
                               "%r" % ex)
        link = shareurl.parse(ex.json["urlLink"])
        url = shareurl.build(link.host, link.port, link.version,
                             link.mailbox_id, vertical, secret)
        return Share(link.mailbox_id, link.api_url, url, secret, claim, obj)

    def update(self, share: Share, plaintext: bytes, claim: str):
        obj = tpayload.seal(share.secret, plaintext)
        ex = self.client.update(share.api_url, claim, obj, headers=HEADERS)
        return ex, obj

    def delete(self, api_url: str, claim: str):
        return self.client.delete(api_url, claim, headers=HEADERS)

    # -- the peer as recipient ---------------------------------------------------
    def read(self, api_url: str, claim: str):
        return self.client.read(api_url, claim, headers=HEADERS)

    def open(self, ex, secret: bytes) -> Optional[bytes]:
        """The plaintext of a read answer's payload, or None."""
        if not isinstance(ex.json, dict):
            return None
        try:
            return tpayload.open(ex.json.get("payload"), secret)
        except TigressError:
            return None


def flip(obj: dict, offset: int) -> dict:
    """The payload with one bit of its data flipped at byte `offset`
    (negative: from the end)."""
    raw = bytearray(base64.b64decode(obj["data"]))
    raw[offset] ^= 0x01
    return {"type": obj["type"], "data": base64.b64encode(bytes(raw)).decode()}
