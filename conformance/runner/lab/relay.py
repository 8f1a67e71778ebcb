"""The lab's relay: the client suite's test relay (runner/client/
testrelay.py: brokenrelay in its correct mode, recording, fault injection)
on any address, with a certificate for the name phones use, and the lab's
pages and API on the same port (`/lab/...`, never recorded).

Every device that tests goes through this one relay, so what a session
sees is a view of it (SessionRelay): the records of its own mailboxes,
and of its device's address while one of its steps waits, when no other
run could be waiting for the same request; faults scoped to the same.  How phones can reach and trust the relay is checked at
start (public_warnings).

    lab_relay = LabRelay(workdir, ("0.0.0.0", 8443), "https://lab.example:8443",
                         None, "auto", handler)
    lab_relay.warnings                  # what keeps phones out, in words
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Callable, List, Optional, Set

from cryptography import x509

from brokenrelay import certs
from tigress_py.client import Exchange, RelayClient

from ..client.peer import Peer
from ..client.testrelay import PEER_HEADER, TestRelay, is_peer
from ..core.records import mailbox_of

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
GRACE = 2.0         # seconds after a step during which its device is heard


class LabError(Exception):
    """The lab cannot start: bad arguments, unreadable files, no port."""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    return _is_ip(host) and ipaddress.ip_address(host).is_loopback


def _unspecified(host: str) -> bool:
    return _is_ip(host) and ipaddress.ip_address(host).is_unspecified


def lan_address() -> str:
    """This machine's address on its default route (no packet is sent),
    or its host name."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))         # TEST-NET-1: routing only
        return s.getsockname()[0]
    except OSError:
        return socket.gethostname()
    finally:
        s.close()


def parse_listen(text: str) -> tuple:
    """HOST:PORT (IPv6 in brackets) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise LabError("--listen %r: give HOST:PORT, e.g. 0.0.0.0:8443" %
                       text)
    return host.strip("[]") or "0.0.0.0", int(port)


def public_url_of(text: Optional[str], listen_host: str, port: int) -> str:
    """The URL devices use: --public-url, or the listen address (this
    machine's LAN address when it listens on every address)."""
    if not text:
        host = lan_address() if _unspecified(listen_host) else listen_host
        return "https://%s:%d" % ("[%s]" % host if ":" in host else host,
                                  port)
    u = urllib.parse.urlsplit(text.strip())
    if u.scheme != "https" or not u.hostname:
        raise LabError("--public-url %r: give https://NAME[:PORT] (devices "
                       "reach the relay over HTTPS only)" % text)
    if u.path not in ("", "/") or u.query or u.fragment or u.username:
        raise LabError("--public-url %r: no path, query or user part" % text)
    try:
        p = u.port or 443
    except ValueError:
        raise LabError("--public-url %r: bad port" % text) from None
    h = u.hostname
    return "https://%s:%d" % ("[%s]" % h if ":" in h else h, p)


def cert_names(cert_file: str) -> List[str]:
    """The DNS names and addresses a certificate (the first of a PEM
    chain) is valid for."""
    cert = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [n.lower() for n in san.get_values_for_type(x509.DNSName)] + \
        [str(a) for a in san.get_values_for_type(x509.IPAddress)]


def _names_host(names: List[str], host: str) -> bool:
    if _is_ip(host):
        return str(ipaddress.ip_address(host)) in names
    host = host.lower()
    return host in names or any(
        n.startswith("*.") and host.split(".", 1)[-1] == n[2:] and
        host.count(".") == n.count(".") for n in names)


def tls_verdict(connect: tuple, host: str, timeout: float = 5.0) -> Optional[str]:
    """Why a device with this machine's CA store would refuse the relay at
    `connect` under the name `host`, or None when it verifies."""
    ctx = ssl.create_default_context()
    try:
        with socket.create_connection(connect, timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host):
                return None
    except ssl.SSLCertVerificationError as e:
        return e.verify_message or str(e)
    except (OSError, ssl.SSLError) as e:
        return "no TLS connection: %s" % e


RESOLVE_WAIT = 2.0     # seconds to wait for the public name's lookup


def _local(addr: str) -> bool:
    """Whether addr is one of this machine's addresses (it can be bound)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.bind((addr.split("%")[0], 0))
        return True
    except OSError:
        return False


def name_warning(host: str, port: int) -> Optional[str]:
    """Why the public name will not lead a phone here, as far as this
    machine's resolver can tell (None: it resolves to this machine, or
    the name is an address)."""
    if _is_ip(host) or _loopback(host):
        return None
    found: dict = {}

    def lookup():
        try:
            found["addrs"] = {a[4][0] for a in socket.getaddrinfo(
                host, port, proto=socket.IPPROTO_TCP)}
        except OSError as e:
            found["error"] = e.strerror or str(e)

    t = threading.Thread(target=lookup, daemon=True)
    t.start()
    t.join(RESOLVE_WAIT)
    if "addrs" in found:
        if any(_local(a) for a in found["addrs"]):
            return None
        return ("%s resolves to %s here, not to this machine: phones will "
                "go there (unless their network's DNS says otherwise)" % (
                    host, ", ".join(sorted(found["addrs"]))))
    return ("%s does not resolve from this machine (%s): phones on its "
            "network will not find it either, unless their DNS differs" % (
                host, found.get("error", "no answer in %.0f s" %
                                RESOLVE_WAIT)))


def public_warnings(listen_host: str, public_url: str, cert_file: str,
                    generated: bool, connect: tuple) -> List[str]:
    """Everything that keeps a phone from reaching or trusting the relay
    at `public_url`, one sentence each (empty: nothing found)."""
    host = urllib.parse.urlsplit(public_url).hostname or ""
    out = []
    if _loopback(host):
        out.append("the public URL %s is a loopback address: no phone can "
                   "reach it; listen on the network (--listen 0.0.0.0:PORT) "
                   "and give --public-url https://NAME-OR-LAN-ADDRESS:PORT"
                   % public_url)
    elif _loopback(listen_host):
        out.append("the lab listens on %s, a loopback address: devices on "
                   "the network cannot connect (--listen 0.0.0.0:PORT)" %
                   listen_host)
    if host.endswith(".local"):
        out.append("%s is an mDNS name, which many phone apps do not "
                   "resolve: prefer a DNS name or the LAN address" % host)
    else:
        why = name_warning(host, urllib.parse.urlsplit(public_url).port or
                           443)
        if why is not None:
            out.append(why)
    names = cert_names(cert_file)
    if not _names_host(names, host):
        out.append("the certificate %s does not name %s (it names %s): "
                   "devices will refuse it" % (
                       cert_file, host, ", ".join(names) or "nothing"))
    if generated:
        out.append("the certificate is a self-signed one made for %s: a "
                   "phone refuses it until the certificate is installed and "
                   "trusted (it is served at %s/lab/ca.pem); apps that "
                   "trust only the system's authorities will still refuse "
                   "it: see conformance/README.md, 'The lab at an interop "
                   "event'" % (host, public_url))
        return out
    why = tls_verdict(connect, host)
    if why is not None and "mismatch" not in why:
        out.append("this machine cannot verify the certificate for %s (%s): "
                   "neither will phones, unless they are made to trust it" %
                   (host, why))
    return out


class LabRelay:
    """The test relay serving every device of the lab, the lab's pages
    and API (`handler`) on the same address."""

    def __init__(self, workdir: Path, address: tuple,
                 public_url: Optional[str], cert_key: Optional[tuple],
                 profile: str, handler):
        """`public_url` None: the listen address (or LAN address) and the
        port bound."""
        listen = address[0]
        host = urllib.parse.urlsplit(public_url).hostname if public_url \
            else lan_address() if _unspecified(listen) else listen
        self.generated = cert_key is None
        if cert_key is None:
            hosts = [host] + ([] if _unspecified(listen) else [listen])
            cert_key = certs.ensure(Path(workdir), hosts)
        try:
            self.test_relay = TestRelay(Path(workdir), profile, address,
                                        cert_key, public_url, handler)
        except ssl.SSLError as e:
            raise LabError("cannot use the certificate or key: %s" % e)
        except OSError as e:
            raise LabError("cannot listen on %s:%d: %s" % (
                address[0], address[1], e.strerror or e))
        if public_url is None:
            public_url = "https://%s:%d" % (
                "[%s]" % host if ":" in host else host,
                self.test_relay.server.server_address[1])
            self.test_relay.relay.public_url = public_url
        self.public_url = public_url
        self.cert_file = str(cert_key[0])
        bound = self.test_relay.server.server_address
        self.port = bound[1]
        self.listen_host = address[0]
        local = address[0]
        if _unspecified(local):
            local = "::1" if ":" in local else "127.0.0.1"
        self.connect = (local, self.port)
        self.local_url = "https://%s:%d" % (
            "[%s]" % local if ":" in local else local, self.port)
        self.warnings: List[str] = []

    def check(self) -> List[str]:
        """Look at the public URL and the certificate as a phone would."""
        self.warnings = public_warnings(self.listen_host, self.public_url,
                                        self.cert_file, self.generated,
                                        self.connect)
        return self.warnings

    @property
    def server(self):
        return self.test_relay.server

    def records(self) -> List[dict]:
        return self.test_relay.records()

    def stop(self) -> None:
        self.test_relay.stop()


# -- one session's view ---------------------------------------------------------

def _origin(url: str) -> tuple:
    u = urllib.parse.urlsplit(url)
    try:
        return (u.scheme, (u.hostname or "").lower(), u.port or 443)
    except ValueError:
        return (u.scheme, "", -1)


class _LocalClient(RelayClient):
    """The lab's own requests go to its local address (the public name may
    resolve only on the event's network), and only there: a share URL
    naming another host is not followed (URL-FORM says what is wrong with
    it).  No verification is needed to talk to itself."""

    def __init__(self, local_url: str, public_url: str, profile: str):
        super().__init__(local_url, ca=False, profile=profile, timeout=15)
        self.public = _origin(public_url)

    def url_for(self, target: str) -> str:
        url = super().url_for(target)
        if "://" in url and _origin(url) == self.public:
            url = self.base_url + urllib.parse.urlsplit(url).path
        return url

    def _send(self, method, url, headers, body, timeout=None,
              drop_defaults=False):
        if not url.startswith(self.base_url + "/"):
            ex = Exchange(method, url, headers, body)
            ex.transport_error = "not sent: %s is not the lab's relay" % url
            return ex
        return super()._send(method, url, headers, body, timeout,
                             drop_defaults)


class LabPeer(Peer):
    """The suite's peer (runner/client/peer.py) inside the lab: it remembers
    the mailboxes it made, which belong to its session."""

    def __init__(self, relay: LabRelay, profile: str):
        super().__init__(relay.local_url, False, profile)
        self.client.close()
        self.client = _LocalClient(relay.local_url, relay.public_url,
                                   profile)
        self.mailboxes: Set[str] = set()

    def share(self, plaintext: bytes, **kw):
        sh = super().share(plaintext, **kw)
        self.mailboxes.add(sh.id.lower())
        return sh


class _ScopedFaults:
    """The relay's faults, each limited to one session's requests."""

    def __init__(self, faults, scope: Callable):
        self._faults = faults
        self._scope = scope

    def add(self, kind: str, op: str = "any", count: int = 1,
            seconds: float = 0.0, status: int = 503):
        return self._faults.add(kind, op, count, seconds, status,
                                scope=self._scope)


class SessionRelay:
    """What a lab session sees of the lab's relay: the interface of
    TestRelay that runner/client/sessions.py uses.

    A record is the session's when it is about one of the session's
    mailboxes (made by the lab's peer, or named by the device's share
    URL), or, naming no other session's mailbox, when the lab can tell it
    comes from this session's device (`lab.claimant`: the run's device
    address while one of the session's device steps waits, or just after
    it).  Faults are scoped the same way.
    """

    def __init__(self, relay: LabRelay, session, lab):
        self._relay = relay
        self._tr = relay.test_relay
        self.session = session
        self.base_url = relay.public_url
        self.ca = relay.cert_file
        self._lab = lab       # owned_mailboxes(), address_book(), claimant()
        self.faults = _ScopedFaults(self._tr.faults, self.owns_request)

    # -- attribution ----------------------------------------------------------------
    def records(self, since: int = 0) -> List[dict]:
        mine = self.session.mailbox_ids()
        owned, book = self._lab.owned_mailboxes(), self._lab.address_book()
        out = []
        for r in self._relay.records():
            m = mailbox_of(r)
            if m is not None and m in mine:
                pass
            elif is_peer(r) or (m is not None and m in owned):
                continue                       # another session's
            elif self._lab.claimant(r.get("client"), r["time"], book) \
                    is not self.session:
                continue
            elif m is not None:
                mine.add(m)                    # a create heard by address
            if r["seq"] > since:
                out.append(r)
        return out

    def owns_request(self, req) -> bool:
        """A fault's scope: a live request of this session's device."""
        if req.header(PEER_HEADER) is not None:
            return False
        if req.path.startswith("/v1/m/"):
            return req.path[len("/v1/m/"):].lower() in \
                self.session.mailbox_ids()
        return self.session.waiting() and self._lab.claimant(
            req.peer, time.time(), self._lab.address_book()) is self.session

    # -- the rest of TestRelay ------------------------------------------------------
    def handshakes(self) -> List[dict]:
        return []                              # not attributable to a session

    def mailbox_ids(self) -> List[str]:
        return sorted(set(self._tr.mailbox_ids()) &
                      self.session.mailbox_ids())

    def mailbox(self, mid: str):
        return self._tr.mailbox(mid)

    def set_payload(self, mid: str, payload) -> None:
        self._tr.set_payload(mid, payload)

    def recipient_of(self, mid: str):
        return self._tr.recipient_of(mid)

    def stop(self) -> None:
        """The lab's relay outlives its sessions."""
