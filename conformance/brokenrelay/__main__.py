"""Run the broken relay: /usr/bin/python3 conformance/brokenrelay [options]
(or `/usr/bin/python3 -m brokenrelay` from conformance/)."""

import argparse
import shutil
import signal
import ssl
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:          # run as a directory
    sys.path.insert(0, str(HERE.parent))

from brokenrelay import certs  # noqa: E402
from brokenrelay.defects import DEFECTS  # noqa: E402
from brokenrelay.control import ControlServer  # noqa: E402
from brokenrelay.faults import Faults  # noqa: E402
from brokenrelay.protocol import Relay  # noqa: E402
from brokenrelay.recorder import Recorder  # noqa: E402
from brokenrelay.server import Server, sweeper  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="brokenrelay", description=__doc__)
    p.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT")
    p.add_argument("--data-dir", metavar="DIR",
                   help="where the certificate is kept (default: a "
                   "temporary directory)")
    p.add_argument("--insecure-http", action="store_true",
                   help="plain HTTP only (for client tests)")
    p.add_argument("--profile", choices=("http-00", "sct-04"),
                   default="http-00")
    p.add_argument("--defect", action="append", default=[], metavar="NAME",
                   help="switch a defect on (repeatable; see --list-defects)")
    p.add_argument("--list-defects", action="store_true")
    p.add_argument("--record", metavar="FILE",
                   help="append every exchange to FILE as a JSON line")
    p.add_argument("--control", metavar="HOST:PORT",
                   help="serve the control endpoint (recorded requests, "
                   "injected faults; control.py) on this loopback address")
    p.add_argument("--each-defect", metavar="NAMES",
                   help="serve one relay per item of this comma-separated "
                   "list of defects ('none': the correct relay; a+b: one "
                   "relay with both), each on its own port, announced as "
                   "'tigress-relay (ITEM): listening on ...'")
    p.add_argument("--idle-timeout", type=float, default=30.0)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.list_defects:
        for d in DEFECTS.values():
            print("%-28s %-8s %-5s %s (breaks %s)" % (
                d.name, d.category, d.verdict, d.summary, d.breaks))
        return 0
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    data_dir = Path(args.data_dir) if args.data_dir else \
        Path(tempfile.mkdtemp(prefix="brokenrelay-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return serve(args, host, port, data_dir)
    finally:
        if not args.data_dir:           # ours: its certificate and key
            shutil.rmtree(data_dir, ignore_errors=True)


def serve(args, host, port, data_dir) -> int:
    """Serve until SIGTERM or Ctrl-C; the exit status."""
    ctx = None
    cert = None
    if not args.insecure_http:
        cert, key = certs.ensure(data_dir)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(cert), str(key))
    if args.each_defect:
        return serve_each(args.each_defect.split(","), args, host, ctx, cert)
    try:
        relay = Relay(args.defect, args.profile)
    except ValueError as e:
        print("brokenrelay: %s" % e, file=sys.stderr)
        return 2
    server = Server((host, int(port or 0)), relay, ctx, args.idle_timeout,
                    args.verbose)
    scheme = "http" if ctx is None else "https"
    shown = host if ":" not in host else "[%s]" % host
    relay.public_url = "%s://%s:%d" % (scheme, shown, server.server_address[1])
    control = None
    if args.record or args.control:
        rec = Recorder(args.record)
        relay.observers.append(rec)
    if args.control:
        faults = Faults(relay)
        relay.interceptors.append(faults)
        chost, _, cport = args.control.rpartition(":")
        try:
            control = ControlServer((chost.strip("[]") or "127.0.0.1",
                                     int(cport or 0)), relay, rec,
                                    faults).start()
        except (ValueError, OSError) as e:
            print("brokenrelay: --control: %s" % e, file=sys.stderr)
            server.server_close()
            return 2
        print("brokenrelay: control on %s" % control.url, flush=True)
    stop = threading.Event()
    threading.Thread(target=sweeper, args=(relay, stop), daemon=True).start()

    def bye(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, bye)
    if args.defect:
        print("brokenrelay: defects: %s" % ", ".join(args.defect),
              file=sys.stderr, flush=True)
    print("tigress-relay: listening on %s%s" % (
        relay.public_url, " (certificate: %s)" % cert if cert else ""),
        flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop.set()
        server.server_close()
        if control is not None:
            control.shutdown()
            control.server_close()
    return 0


def serve_each(names, args, host, ctx, cert) -> int:
    """One relay per defect in this process (a test of many defects starts
    one process); no control endpoint, no records."""
    try:
        relays = [(n, Relay([] if n == "none" else n.split("+"),
                            args.profile)) for n in names]
    except ValueError as e:
        print("brokenrelay: %s" % e, file=sys.stderr)
        return 2
    stop = threading.Event()
    servers = []
    for name, relay in relays:
        server = Server((host, 0), relay, ctx, args.idle_timeout,
                        args.verbose)
        relay.public_url = "https://%s:%d" % (host, server.server_address[1])
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={
            "poll_interval": 0.2}, daemon=True).start()
        threading.Thread(target=sweeper, args=(relay, stop),
                         daemon=True).start()
        print("tigress-relay (%s): listening on %s (certificate: %s)" % (
            name, relay.public_url, cert), flush=True)

    def bye(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, bye)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for server in servers:          # their threads are daemons: no shutdown
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
