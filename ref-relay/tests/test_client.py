"""The HTTP client itself (conformance/tigress_py/client.py), without a
relay: where requests go and what they carry."""

from tigress_py.client import PROFILES, RelayClient

MID = "2bba630e-519b-11ec-bf63-0242ac130002"


def test_url_for_never_keeps_fragment_or_share_query():
    c = RelayClient("https://relay.example:8443", ca=False)
    share = "https://relay.example:8443/v1/m/%s?v=c#hXlr6aRC7KgJpOLTNZaLsw==" \
        % MID
    assert c.url_for(share) == "https://relay.example:8443/v1/m/" + MID
    assert c.url_for(MID) == "https://relay.example:8443/v1/m/" + MID
    assert c.url_for("/v1/m/%s#secret" % MID) == \
        "https://relay.example:8443/v1/m/" + MID
    assert "#" not in c.url_for("/x?y=1#z")


def test_header_names_by_profile():
    assert PROFILES["http-00"] == {
        "request_id": "Mailbox-Request-ID",
        "claim": "Mailbox-Device-Claim",
        "attestation": "Mailbox-Device-Attestation"}
    assert PROFILES["sct-04"] == {
        "request_id": "Mailbox-Request-ID",
        "claim": "Device-Claim",
        "attestation": "Device-Attestation"}


def test_fresh_request_id_per_call():
    c = RelayClient("https://127.0.0.1:9", ca=False, timeout=0.5)
    a = c.read(MID, MID)
    b = c.read(MID, MID)
    ra = a.request_header("Mailbox-Request-ID")
    rb = b.request_header("Mailbox-Request-ID")
    assert ra and rb and ra != rb
    assert a.status is None and a.transport_error   # nothing listens on 9
    assert "#" not in a.url
    ev = a.to_evidence()
    assert ev["request"]["method"] == "POST"
    assert ev["response"] is None
