"""The provision scenario of spec/drivers.md on python3-cryptography: its
messages (Provisioning Information of format org.tigress-ref.provision)
and its X.509 steps.

py-client-driver makes its key pair and request, issues and checks
certificates with it; the interop matrix and the tests make the issuer
and check what the recipient ended with.  ref-client-driver does the same
with the openssl command, so that the two clients cross-check.

    key = new_key(); csr = request(key)                      # recipient
    cert = issue(load_request(pem(csr)), ikey, icert)         # initiator
    check_issued(load_certificate(pem(cert)), icert, key.public_key())

Not imported by tigress_py/__init__.py (like client.py).  Every refusal
raises Refused with one line saying what is wrong.
"""

from __future__ import annotations

import datetime
import json
from typing import List, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

FORMAT = "org.tigress-ref.provision"
KINDS = ("invitation", "request", "certificate")
VALID_DAYS = 2                      # of the certificates `issue` makes
_USAGES = ("digital_signature", "content_commitment", "key_encipherment",
           "data_encipherment", "key_agreement", "key_cert_sign",
           "crl_sign", "encipher_only", "decipher_only")


class Refused(Exception):
    """A message or a certificate breaks the scenario's rules."""


def message(kind: str, **content) -> bytes:
    """The Provisioning Information of one message, `content` besides
    its `message` member."""
    return json.dumps({"format": FORMAT,
                       "content": dict(message=kind, **content)}).encode()


def content(data: bytes, kind: str) -> dict:
    """The content of a message, which must be a `kind`."""
    try:
        pi = json.loads(data)
        c = pi["content"]
        ok = pi["format"] == FORMAT and c["message"] == kind
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise Refused("the message is not a provision %s" % kind)
    return c


def pem(obj) -> str:
    """PEM of a certificate or certificate request."""
    return obj.public_bytes(serialization.Encoding.PEM).decode("ascii")


def private_pem(key) -> bytes:
    """Unencrypted PKCS #8 PEM of a private key."""
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def spki(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def load_key(data: bytes):
    """The private key of unencrypted PEM."""
    try:
        return serialization.load_pem_private_key(data, None)
    except (ValueError, TypeError):
        raise Refused("not an unencrypted PEM private key") from None


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def request(key, subject: str = "tigress_py recipient"):
    """A certificate request for `key`, signed with it."""
    return (x509.CertificateSigningRequestBuilder().subject_name(
        _name(subject)).sign(key, hashes.SHA256()))


def _certificate(subject, issuer_name, public_key, signing_key, ca: bool,
                 days: int, before: datetime.timedelta):
    now = datetime.datetime.utcnow().replace(microsecond=0)
    usage = dict.fromkeys(_USAGES, False)
    usage["key_cert_sign" if ca else "digital_signature"] = True
    return (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(issuer_name).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - before)
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(
                ca=ca, path_length=0 if ca else None), critical=True)
            .add_extension(x509.KeyUsage(**usage), critical=True)
            .sign(signing_key, hashes.SHA256()))


def issuer(common_name: str = "tigress-ref provision issuer", days: int = 1):
    """(key, certificate) of a fresh self-signed P-256 issuer."""
    key = new_key()
    return key, _certificate(_name(common_name), _name(common_name),
                             key.public_key(), key, True, days,
                             datetime.timedelta(minutes=5))


def load_request(text):
    """The certificate request of a `request` message's `csr`: PEM, its
    signature valid, its key on P-256."""
    try:
        csr = x509.load_pem_x509_csr(text.encode("ascii"))
        valid = csr.is_signature_valid
        key = csr.public_key()
    except (ValueError, AttributeError, UnicodeError):
        raise Refused("the csr is not a PEM certificate request") from None
    if not valid:
        raise Refused("the certificate request's signature does not verify")
    if not isinstance(key, ec.EllipticCurvePublicKey) or \
            key.curve.name != "secp256r1":
        raise Refused("the certificate request is not for a P-256 key")
    return csr


def issue(csr, key, issuer_cert, days: int = VALID_DAYS):
    """The certificate for a checked request, issued with `key` as
    `issuer_cert`'s subject: not a CA, digitalSignature only."""
    return _certificate(csr.subject, issuer_cert.subject, csr.public_key(),
                        key, False, days, datetime.timedelta(minutes=1))


def load_certificate(text):
    try:
        return x509.load_pem_x509_certificate(text.encode("ascii"))
    except (ValueError, AttributeError, UnicodeError):
        raise Refused("not a PEM X.509 certificate") from None


def certificate_checks(cert, issuer_cert, public_key
                       ) -> List[Tuple[bool, str, str]]:
    """(ok, what is expected, what was found) of every rule a certificate
    of the scenario keeps, against its issuer's certificate and the key of
    the request it answers."""
    try:
        issuer_cert.public_key().verify(
            cert.signature, cert.tbs_certificate_bytes,
            ec.ECDSA(cert.signature_hash_algorithm))
        signed = "a signature that verifies"
    except InvalidSignature:
        signed = "a signature that does not verify"
    except (TypeError, ValueError) as e:
        signed = "no ECDSA signature (%s)" % e
    try:
        ca = cert.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = None
    now = datetime.datetime.utcnow().replace(microsecond=0)
    mine = spki(cert.public_key()) == spki(public_key)
    return [
        (signed == "a signature that verifies",
         "signed with the issuer's key", signed),
        (cert.issuer == issuer_cert.subject, "issuer name %s" %
         issuer_cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()),
        (mine, "the key of the request certified",
         "that key" if mine else "another key"),
        (cert.not_valid_before <= now <= cert.not_valid_after,
         "valid now (%s)" % now, "%s to %s" % (cert.not_valid_before,
                                                cert.not_valid_after)),
        (ca is False, "basicConstraints cA false", "cA %s" % ca),
    ]


def check_issued(cert, issuer_cert, public_key) -> None:
    """Refused unless `cert` keeps every rule of certificate_checks."""
    for ok, what, got in certificate_checks(cert, issuer_cert, public_key):
        if not ok:
            raise Refused("the certificate breaks a rule: expected %s, got %s"
                          % (what, got))
