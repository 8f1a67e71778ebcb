"""Before a run: is the relay URL a relay's base, is the --ca file a PEM
file, and does the relay answer TLS with a certificate we trust?  Each
problem is one line in plain words (no library text, no traceback), raised
as exits.CannotRun with the status that tells it apart: USAGE for the
URL and the file, UNREACHABLE for the network, TLS for trust.

    base = relay_base("https://relay.example:8443")    # or CannotRun
    ca = ca_file("ca.pem")                             # or CannotRun
    probe(base, ca)                                    # or CannotRun
"""

from __future__ import annotations

import re
import socket
import ssl
import urllib.parse
from pathlib import Path
from typing import List, Optional, Union

from .exits import TLS, UNREACHABLE, CannotRun, usage

TIMEOUT = 10.0
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d+)?$")


def relay_base(text: str, what: str = "relay URL") -> str:
    """`text` as a relay's base URL, https://host[:port] (no path, query,
    fragment or user); raises CannotRun(USAGE) saying what is wrong."""
    s = (text or "").strip()
    if not s:
        raise usage("no %s given: give https://host[:port]" % what)
    if "://" not in s:
        if _HOST_RE.match(s):
            raise usage("%s is not a URL: give the relay's base with its "
                        "scheme, https://%s" % (s, s))
        raise usage("%r is not a %s: give https://host[:port]" % (s, what))
    parts = urllib.parse.urlsplit(s)
    scheme = parts.scheme.lower()
    if scheme == "http":
        raise usage("%s: a TIGRESS relay is reached over HTTPS (http-00 "
                    "§4.2): give https://%s" % (s, parts.netloc))
    if scheme != "https":
        raise usage("%s is not an https URL: give https://host[:port]" % s)
    if parts.username is not None or parts.password is not None:
        raise usage("%s: a relay URL carries no user name or password" % s)
    host = parts.hostname
    if not host or not _HOST_RE.match(parts.netloc.rsplit("@", 1)[-1]):
        raise usage("%s: no valid host name in it: give https://host[:port]"
                    % s)
    try:
        port = parts.port
    except ValueError:
        raise usage("%s: the port is not a number from 1 to 65535" % s)
    if port == 0:
        raise usage("%s: the port is not a number from 1 to 65535" % s)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise usage("%s: give the relay's base without a path, query or "
                    "fragment (https://%s); the suite adds /v1/m/... and "
                    "/.well-known/tigress itself" % (s, parts.netloc))
    return "https://" + parts.netloc


def ca_file(path: str, option: str = "--ca") -> str:
    """`path` if it is a readable file holding PEM certificates; raises
    CannotRun(USAGE) saying what is wrong."""
    p = Path(path)
    if not p.exists():
        raise usage("%s %s: no such file" % (option, path))
    if p.is_dir():
        raise usage("%s %s: a directory, not a PEM file" % (option, path))
    try:
        ssl.create_default_context(cafile=str(p))
    except PermissionError:
        raise usage("%s %s: cannot read it (permission denied)" % (option,
                                                                   path))
    except ssl.SSLError:
        raise usage("%s %s: holds no PEM certificate (-----BEGIN "
                    "CERTIFICATE-----)" % (option, path))
    except OSError as e:
        raise usage("%s %s: cannot read it (%s)" % (option, path,
                                                     strerror(e)))
    return str(p)


def strerror(e: BaseException) -> str:
    """An OS error in words, without Python's [Errno N] prefix."""
    text = getattr(e, "strerror", None)
    if text:
        return text[0].lower() + text[1:]
    return str(e) or type(e).__name__


def _context(ca: Union[None, str, bool]) -> ssl.SSLContext:
    if ca is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=ca or None)


def probe(base: str, ca: Union[None, str, bool], timeout: float = TIMEOUT,
          ca_hint: str = "--ca FILE") -> None:
    """Connect to the relay of `base` and shake hands as the runner will
    (`ca`: None for the system's trust, a PEM file, or False for none);
    raises CannotRun(UNREACHABLE or TLS) with the cause in one line
    (`ca_hint`: how a user gives a CA, said when none was given)."""
    parts = urllib.parse.urlsplit(base)
    host, port = parts.hostname, parts.port or 443
    where = "%s:%d" % (host, port)
    try:
        sock = socket.create_connection((host, port), timeout)
    except socket.gaierror:
        raise CannotRun(UNREACHABLE, "cannot find the host %s (the name "
                        "does not resolve)" % host)
    except ConnectionRefusedError:
        raise CannotRun(UNREACHABLE, "%s refused the connection (nothing "
                        "listens on that port)" % where)
    except socket.timeout:
        raise CannotRun(UNREACHABLE, "%s did not accept a connection within "
                        "%g s" % (where, timeout))
    except OSError as e:
        raise CannotRun(UNREACHABLE, "cannot connect to %s: %s" % (
            where, strerror(e)))
    try:
        with _context(ca).wrap_socket(sock, server_hostname=host):
            return
    except ssl.SSLCertVerificationError as e:
        raise CannotRun(TLS, untrusted(e, host, port, ca, timeout, ca_hint))
    except ssl.SSLError as e:
        if e.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
                        "HTTP_REQUEST", "UNKNOWN_PROTOCOL"):
            raise CannotRun(TLS, "%s does not speak TLS (a plain-HTTP "
                            "server?); a TIGRESS relay serves HTTPS" % where)
        raise CannotRun(TLS, "the TLS handshake with %s failed (%s)" % (
            where, (e.reason or "no reason given").replace("_", " ")
            .lower()))
    except socket.timeout:
        raise CannotRun(UNREACHABLE, "%s accepted the connection but did not "
                        "complete a TLS handshake within %g s" % (where,
                                                                  timeout))
    except OSError as e:
        raise CannotRun(TLS, "%s closed the connection during the TLS "
                        "handshake (%s)" % (where, strerror(e)))
    finally:
        sock.close()


def untrusted(e: ssl.SSLCertVerificationError, host: str, port: int, ca,
              timeout: float, ca_hint: str) -> str:
    """Why the relay's certificate was refused, and what to do, in one
    line."""
    names, subject, issuer = _peer_names(host, port, timeout)
    code = getattr(e, "verify_code", None)
    msg = (getattr(e, "verify_message", None) or "not trusted").rstrip(".")
    if code in (62, 64):                # host name or IP address mismatch
        return "the relay's certificate is not valid for %s (it names %s): " \
            "use a name it names" % (host, ", ".join(names) or "no name")
    if code == 10:
        why = "it has expired"
    elif code == 9:
        why = "it is not valid yet"
    elif code in (18, 19, 20, 21, 2):
        why = "it does not chain to a certificate %s" % (
            "in %s" % ca if ca else "the system trusts")
    else:
        why = msg[0].lower() + msg[1:]
    who = " (%s%s)" % (subject, ", issued by %s" % issuer
                       if issuer and issuer != subject else
                       ", self-signed" if issuer else "") if subject else ""
    # Only when none was given is a CA file the likely cure.
    hint = "" if ca else \
        " (give the relay's certificate or its CA with %s)" % ca_hint
    return "the relay's certificate%s is not trusted: %s%s" % (who, why,
                                                               hint)


def _peer_names(host: str, port: int, timeout: float) -> tuple:
    """(DNS and IP names, subject, issuer) of the certificate the relay
    presents, read without verifying it; empty when it cannot be read."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
        with socket.create_connection((host, port), timeout) as sock:
            with _context(False).wrap_socket(sock,
                                             server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
        cert = x509.load_der_x509_certificate(der)
    except Exception:                   # noqa: BLE001 - only a detail
        return [], "", ""

    def cn(name) -> str:
        v = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return "CN=%s" % v[0].value if v else name.rfc4514_string()
    names: List[str] = []
    try:
        san = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)] + \
            [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    return names, cn(cert.subject), cn(cert.issuer)


def plain_transport_error(text: Optional[str]) -> str:
    """A transport error of tigress_py's RelayClient ("ConnectionError:
    HTTPSConnectionPool(...): Max retries exceeded ... (Caused by
    NewConnectionError('<urllib3...object at 0x...>: Failed to establish a
    new connection: [Errno 111] Connection refused'))") in plain words."""
    if not text:
        return "no answer"
    low = text.lower()
    for needle, words in (
            ("connection refused", "connection refused"),
            ("name or service not known", "the host name does not resolve"),
            ("temporary failure in name resolution",
             "the host name does not resolve"),
            ("certificate verify failed", "certificate not trusted"),
            ("read timed out", "timed out waiting for the answer"),
            ("connect timeout", "timed out connecting"),
            ("timed out", "timed out"),
            ("remotedisconnected", "the connection was closed without an "
             "answer"),
            ("connection aborted", "the connection was closed without an "
             "answer"),
            ("connection reset", "the connection was reset"),
            ("badstatusline", "an answer that is not HTTP"),
            ("wrong_version_number", "not TLS")):
        if needle in low:
            return words
    first = re.sub(r"<[^<>]* object at 0x[0-9a-f]+>", "", text.splitlines()[0])
    first = re.sub(r"\[Errno -?\d+\]\s*", "", first)
    return first[:160]
