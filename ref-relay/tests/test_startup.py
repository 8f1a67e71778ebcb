"""Startup failures (issue 12, relay): each has its own exit status and
one line naming the problem, never OpenSSL's text; a wildcard --listen
without --public-url is warned about; the generated certificate covers
the public name.  (The data directory's statuses are in test_files.)"""

import contextlib
import socket
import subprocess

from cryptography import x509

EXIT_LISTEN, EXIT_TLS, EXIT_STORE = 4, 5, 6


def _run(relay_binary, tmp_path, *flags, listen="127.0.0.1:0"):
    return subprocess.run([str(relay_binary), "--listen", listen,
                           "--data-dir", str(tmp_path / "data")] +
                          list(flags), capture_output=True, text=True,
                          timeout=30)


def _one_line(r):
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "error:" not in lines[0] and "routines" not in lines[0], lines
    return lines[0]


@contextlib.contextmanager
def _taken_port():
    """A loopback port this test listens on, so the relay cannot."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def test_port_in_use(relay_binary, tmp_path):
    with _taken_port() as port:
        r = _run(relay_binary, tmp_path, listen="127.0.0.1:%d" % port)
    assert r.returncode == EXIT_LISTEN, r
    assert "already in use" in _one_line(r)


def test_missing_certificate(relay_binary, tmp_path):
    r = _run(relay_binary, tmp_path, "--tls-cert", str(tmp_path / "no.pem"),
             "--tls-key", str(tmp_path / "no-key.pem"))
    assert r.returncode == EXIT_TLS, r
    line = _one_line(r)
    assert "no.pem" in line and "No such file" in line


def test_certificate_not_pem(relay_binary, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    r = _run(relay_binary, tmp_path, "--tls-cert", str(bad), "--tls-key",
             str(bad))
    assert r.returncode == EXIT_TLS, r
    assert "holds no PEM certificate" in _one_line(r)


def test_redis_down(relay_binary, tmp_path):
    r = _run(relay_binary, tmp_path, "--store",
             "redis+unix:" + str(tmp_path / "nobody.sock"))
    assert r.returncode == EXIT_STORE, r
    assert "nobody.sock" in _one_line(r)


def test_wildcard_listen_without_public_url_warns(relay_binary, tmp_path):
    """The warning comes before listening; the port is taken on loopback,
    so the relay never listens on every address."""
    with _taken_port() as port:
        r = _run(relay_binary, tmp_path, listen="0.0.0.0:%d" % port)
    assert r.returncode == EXIT_LISTEN, r
    warning = r.stderr.splitlines()[0]
    assert "warning" in warning and "--public-url" in warning, r.stderr


def test_generated_certificate_covers_the_public_name(relay_factory):
    relay = relay_factory("--public-url", "https://relay.example.test:8443")
    with open(relay.ca, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    san = cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert "relay.example.test" in san.get_values_for_type(x509.DNSName)
    assert "localhost" in san.get_values_for_type(x509.DNSName)


def test_help_lists_exit_statuses(relay_binary):
    r = subprocess.run([str(relay_binary), "--help"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0
    for n in range(7):
        assert " %d " % n in r.stdout.split("Exit status:")[1], r.stdout
