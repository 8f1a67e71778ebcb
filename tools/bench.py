#!/usr/bin/python3
"""make bench: throughput, latency and memory of ref-relay on loopback.

Starts the relay (TLS, then plain HTTP for comparison) on an ephemeral
port with a temporary data directory, drives it from several client
processes over keep-alive connections, and prints figures and ratios.
It asserts nothing: speed is measured here, never in tests.
"""

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELAY = os.path.join(ROOT, "ref-relay", "tigress-relay")
LINE = re.compile(r"listening on (https?)://([^ ]+):(\d+)(?: \(certificate: (.*)\))?")


def start_relay(data_dir, tls):
    args = [RELAY, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
            "--max-mailboxes", "10000000"]
    if not tls:
        args.append("--insecure-http")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    m = LINE.search(proc.stdout.readline())
    if not m:
        proc.kill()
        sys.exit("bench: the relay did not start")
    return proc, int(m.group(3)), m.group(4)


def connection(port, ca):
    if ca is None:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ctx = ssl.create_default_context(cafile=ca)
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                       timeout=30)


def body():
    data = base64.b64encode(os.urandom(12 + 200 + 16)).decode()
    return json.dumps({
        "payload": {"type": "AEAD_AES_256_GCM", "data": data},
        "displayInformation": {"title": "Car key", "description": "bench",
                               "imageURL": "https://example.com/i.png"},
    })


def worker(port, ca, count, out):
    """Create a mailbox, read it as a recipient, delete it; time each."""
    conn = connection(port, ca)
    times = {"create": [], "read": [], "delete": []}
    for _ in range(count):
        claim, recipient = str(uuid.uuid4()), str(uuid.uuid4())
        for op in ("create", "read", "delete"):
            t = time.perf_counter()
            if op == "create":
                conn.request("POST", "/v1/m", body=body(), headers={
                    "Content-Type": "application/json",
                    "Mailbox-Device-Claim": claim,
                    "Mailbox-Request-ID": str(uuid.uuid4())})
            elif op == "read":
                conn.request("POST", path, headers={
                    "Mailbox-Device-Claim": recipient})
            else:
                conn.request("DELETE", path, headers={
                    "Mailbox-Device-Claim": claim,
                    "Mailbox-Request-ID": str(uuid.uuid4())})
            resp = conn.getresponse()
            data = resp.read()
            times[op].append(time.perf_counter() - t)
            if resp.status != 200:
                out.put(("error", f"{op} answered {resp.status}"))
                return
            if op == "create":
                path = "/v1/m/" + json.loads(data)["urlLink"].rsplit("/", 1)[1]
    out.put(("ok", times))


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run(tls, clients, count):
    data_dir = tempfile.mkdtemp(prefix="tigress-bench-")
    proc, port, ca = start_relay(data_dir, tls)
    try:
        out = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=worker,
                                         args=(port, ca, count, out))
                 for _ in range(clients)]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        elapsed = time.perf_counter() - t0
        for p in procs:
            p.join()
        rss = peak_rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)
    errors = [r[1] for r in results if r[0] == "error"]
    if errors:
        sys.exit("bench: " + errors[0])
    merged = {op: sorted(t for r in results for t in r[1][op])
              for op in ("create", "read", "delete")}
    return elapsed, merged, rss


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--count", type=int, default=300,
                    help="exchanges (create, read, delete) per client")
    args = ap.parse_args()
    ops = 3 * args.clients * args.count
    summary = {}
    for tls in (True, False):
        name = "https" if tls else "http"
        elapsed, times, rss = run(tls, args.clients, args.count)
        summary[name] = ops / elapsed
        print(f"{name:5}: {ops} requests by {args.clients} clients in "
              f"{elapsed:.2f} s = {ops / elapsed:.0f} req/s; "
              f"relay peak RSS {rss / 1024:.1f} MiB")
        for op, t in times.items():
            print(f"       {op:6} p50 {pct(t, 0.5):6.2f} ms  "
                  f"p99 {pct(t, 0.99):6.2f} ms")
    print(f"ratio: https/http throughput {summary['https'] / summary['http']:.2f}")


if __name__ == "__main__":
    main()
