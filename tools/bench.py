#!/usr/bin/python3
"""make bench: ref-relay side by side with nginx and magic-wormhole's
mailbox server, in one run, on this machine (issue 11).

    tools/bench.py [--quick] [--out DIR] [--only SECTION ...]

Sections (all by default):
  relay     the relay (TLS 1.3, SQLite) under build/bench_load: the
            stateless flow (create, binding read, delete), create alone,
            binding read, re-read, update; at 1, 16 and 256 connections;
            req/s and p50/p90/p99/max; relay CPU per stateless exchange
  nginx     nginx serving a static JSON of a create answer's size over TLS
            1.3 with the relay's certificate, same generator and
            connections: the relay/nginx ratio; then the relay's
            stateless flow and nginx in turn, 7 pairs (3 with --quick),
            and the median of their ratios (the load of a shared machine
            drifts less within a pair than between two sections)
  wormhole  magic-wormhole's mailbox server through full two-party
            exchanges (tools/bench_wormhole.py): its CPU per exchange
            from /proc, against the relay's
  growth    create and read p99, RSS and bytes on disk per live mailbox
            at 10^4, 10^5 and 10^6 live mailboxes (1 KiB payloads; up to
            10^4 made through the API, beyond that written into the
            database directly, as the API writes them, so that the full
            run stays under ten minutes on two cores: the API makes about
            2,000 a second here; every level is measured after the same
            warm-up); the create p99 of the largest and the smallest store
            again in turn, in the stateless flow (so that neither grows)
            for 2 s each, 7 pairs (3 with --quick), and the median of
            their ratios; then 10^5 expiring at once (written
            directly too): the sweeper's time and cost, the read p99
            meanwhile, and the disk use after
  longpoll  from one party's update to the other's held read returning
  cli       `tigress share` and `tigress accept` wall time, process start
            included
  redis     the same figures with the Redis store, 1 and 2 relay nodes

Writes DIR/bench.json (every figure) and DIR/bench.md (the table of
targets), and prints the table.  --quick runs everything shorter and
smaller (under a minute); the full run takes under ten.  Asserts nothing:
the machine is shared, so the load average is printed with the figures.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELAY = os.path.join(ROOT, "ref-relay", "tigress-relay")
CLIENT = os.path.join(ROOT, "ref-client", "tigress")
LOAD = os.path.join(ROOT, "build", "bench_load")
WORMHOLE = os.path.join(ROOT, "tools", "bench_wormhole.py")
PY = "/usr/bin/python3"
LINE = re.compile(r"listening on (https?://[^ ]+)(?: \(certificate: (.*)\))?")
FLOWS = ["stateless", "create", "bind", "reread", "update"]
MEASURED = {"stateless": "all", "create": "create", "bind": "bind",
            "reread": "read", "update": "update", "static": "static",
            "longpoll": "wake"}
SECTIONS = ["relay", "nginx", "wormhole", "growth", "longpoll", "cli",
            "redis"]
KEEP = []       # processes to stop at exit


API_FILL_MAX = 10000       # mailboxes made through the API; beyond: direct


class Profile:
    def __init__(self, quick):
        self.quick = quick
        self.seconds = 0.6 if quick else 3.0
        self.warmup = 0.2 if quick else 1.0
        self.conns = [1, 16, 256]
        self.levels = [1000, 20000] if quick else [10000, 100000, 1000000]
        self.expire = 3000 if quick else 100000
        self.trials = 100 if quick else 1000
        self.exchanges = 10 if quick else 200
        self.cli_runs = 2 if quick else 10
        self.pairs = 3 if quick else 7
        self.pair_seconds = 0.6 if quick else 2.0


# ---- processes ---------------------------------------------------------------

def stop_all():
    for p in KEEP:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    KEEP.clear()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wait_port(port, proc, seconds):
    """True once something listens on the loopback port; False if proc
    exited or the time ran out."""
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Relay:
    def __init__(self, data_dir, *flags):
        self.dir = data_dir
        args = [RELAY, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                "--max-mailboxes", "100000000"] + list(flags)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        KEEP.append(self.proc)
        m = LINE.search(self.proc.stdout.readline())
        if not m:
            sys.exit("bench: the relay did not start: " + " ".join(args))
        self.url, self.ca = m.group(1), m.group(2)
        self.pid = self.proc.pid

    def cpu(self):
        return cpu_seconds(self.pid)

    def disk_bytes(self):
        return sum(os.path.getsize(os.path.join(self.dir, n))
                   for n in ("relay.db", "relay.db-wal", "relay.db-shm")
                   if os.path.exists(os.path.join(self.dir, n)))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def load(url, ca, flow, conns, seconds=None, warmup=None, **extra):
    args = [LOAD, "--url", url, "--flow", flow, "--conns", str(conns)]
    if ca:
        args += ["--ca", ca]
    if seconds is not None:
        args += ["--seconds", str(seconds)]
    if warmup is not None:
        args += ["--warmup", str(warmup)]
    for k, v in extra.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        sys.exit("bench: bench_load failed: %s\n%s" % (" ".join(args),
                                                      r.stderr))
    return json.loads(r.stdout)


def op_stats(res, flow):
    ops = res["all"] if MEASURED[flow] == "all" else res["ops"]
    s = ops.get(MEASURED[flow], {})
    return {"rps": res["rps"], "errors": res["errors"],
            "p50_ms": s.get("p50_ms"), "p90_ms": s.get("p90_ms"),
            "p99_ms": s.get("p99_ms"), "max_ms": s.get("max_ms"),
            "n": s.get("n", 0)}


# ---- sections ----------------------------------------------------------------

def section_relay(prof, tmp, out):
    relay = Relay(os.path.join(tmp, "relay"))
    res = {}
    for flow in FLOWS:
        for conns in prof.conns:
            cpu0 = relay.cpu()
            r = load(relay.url, relay.ca, flow, conns, prof.seconds,
                     prof.warmup)
            cpu = relay.cpu() - cpu0
            st = op_stats(r, flow)
            st["relay_cpu_s"] = round(cpu, 3)
            if flow == "stateless":
                # warm-up included: CPU over every request the run made
                done = max(r["requests"] * (1 + prof.warmup / prof.seconds),
                           1)
                st["cpu_ms_per_exchange"] = round(cpu * 1000 * 3 / done, 4)
            res["%s@%d" % (flow, conns)] = st
            print("  relay %-9s %3d conns: %8.0f req/s  p99 %7.2f ms" % (
                flow, conns, st["rps"], st["p99_ms"] or 0), flush=True)
    out["relay"] = res
    out["relay_url"] = relay.url
    out["create_answer_bytes"] = create_answer_size(relay)
    out["_relay"] = relay


def create_answer_size(relay):
    import ssl
    import http.client
    ctx = ssl.create_default_context(cafile=relay.ca)
    host, port = relay.url.split("//")[1].rsplit(":", 1)
    c = http.client.HTTPSConnection(host, int(port), context=ctx)
    body = json.dumps({"payload": {"type": "AEAD_AES_128_GCM",
                                   "data": "A" * 40},
                       "displayInformation": {"title": "t",
                                              "description": "d"}})
    c.request("POST", "/v1/m", body=body, headers={
        "Content-Type": "application/json",
        "Mailbox-Device-Claim": "11111111-1111-4111-8111-111111111111",
        "Mailbox-Request-ID": os.urandom(8).hex()})
    n = len(c.getresponse().read())
    c.close()
    return n


NGINX_CONF = """
worker_processes 2;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_protocols TLSv1.3;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{ root {d}/www; default_type application/json; }}
    }}
}}
"""


def section_nginx(prof, tmp, out):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        out["nginx"] = {"skipped": "nginx is not installed (make deps)"}
        return
    d = os.path.join(tmp, "nginx")
    os.makedirs(os.path.join(d, "www"))
    # nginx's workers run as www-data: they must reach the file
    os.chmod(tmp, 0o711)
    os.chmod(d, 0o755)
    os.chmod(os.path.join(d, "www"), 0o755)
    relay_dir = os.path.join(tmp, "relay")
    size = out.get("create_answer_bytes", 115)
    body = '{"urlLink":"https://127.0.0.1/v1/m/%s","pad":"' % ("0" * 36)
    body += "x" * max(0, size - len(body) - 2) + '"}'
    with open(os.path.join(d, "www", "m.json"), "w") as f:
        f.write(body)
    os.chmod(os.path.join(d, "www", "m.json"), 0o644)
    port = free_port()
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(d=d, port=port,
                                  cert=os.path.join(relay_dir, "cert.pem"),
                                  key=os.path.join(relay_dir, "key.pem")))
    p = subprocess.Popen([nginx, "-c", os.path.join(d, "nginx.conf"),
                          "-p", d], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    KEEP.append(p)
    url = "https://127.0.0.1:%d" % port
    if not wait_port(port, p, 10):
        out["nginx"] = {"skipped": "nginx did not start (see %s)" %
                        os.path.join(d, "error.log")}
        return
    res = {"file_bytes": len(body)}
    for conns in prof.conns:
        r = load(url, os.path.join(relay_dir, "cert.pem"), "static", conns,
                 prof.seconds, prof.warmup, path="/m.json")
        res["static@%d" % conns] = op_stats(r, "static")
        if r["errors"] or not res["static@%d" % conns]["n"]:
            sys.exit("bench: nginx answered with errors: %r" % (r,))
        print("  nginx static    %3d conns: %8.0f req/s  p99 %7.2f ms" % (
            conns, r["rps"], res["static@%d" % conns]["p99_ms"]),
            flush=True)
    relay = out.get("_relay")
    if relay is not None:
        res["paired"] = paired(prof, relay, url,
                               os.path.join(relay_dir, "cert.pem"))
    p.send_signal(signal.SIGQUIT)
    p.wait(10)
    out["nginx"] = res


def paired(prof, relay, nginx_url, nginx_ca):
    """The relay's stateless flow and nginx's static file at 16
    connections, run in turn several times: on a shared machine the load
    drifts between two sections, and a ratio of runs made side by side,
    taken at its median, drifts much less than one of runs a minute apart."""
    ratios, relay_rps, nginx_rps = [], [], []
    for _ in range(prof.pairs):
        a = load(relay.url, relay.ca, "stateless", 16, prof.pair_seconds,
                 prof.warmup)
        b = load(nginx_url, nginx_ca, "static", 16, prof.pair_seconds,
                 prof.warmup, path="/m.json")
        if a["errors"] or b["errors"] or not b["rps"]:
            sys.exit("bench: errors in a paired run: %r %r" % (a, b))
        relay_rps.append(a["rps"])
        nginx_rps.append(b["rps"])
        ratios.append(a["rps"] / b["rps"])
    print("  paired, 16 conns: relay/nginx %s" % " ".join(
        "%.2f" % r for r in ratios), flush=True)
    return {"pairs": prof.pairs, "relay_rps": relay_rps,
            "nginx_rps": nginx_rps, "ratios": [round(r, 3) for r in ratios],
            "median_ratio": round(statistics.median(ratios), 3)}


def section_wormhole(prof, tmp, out):
    d = os.path.join(tmp, "wormhole")
    os.makedirs(d)
    port = free_port()
    p = subprocess.Popen([PY, "-m", "twisted", "wormhole-mailbox", "--port",
                          "tcp:%d:interface=127.0.0.1" % port,
                          "--channel-db", os.path.join(d, "relay.sqlite")],
                         cwd=d, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    KEEP.append(p)
    if not wait_port(port, p, 30):
        out["wormhole"] = {"skipped": "the mailbox server did not start "
                           "(python3-magic-wormhole-mailbox-server "
                           "installed?)"}
        return
    url = "ws://127.0.0.1:%d/v1" % port
    run = lambda n: subprocess.run([PY, WORMHOLE, url, str(n), "4"],
                                   capture_output=True, text=True,
                                   timeout=600)
    run(5)                                      # warm up
    cpu0 = cpu_seconds(p.pid)
    r = run(prof.exchanges)
    cpu = cpu_seconds(p.pid) - cpu0
    p.send_signal(signal.SIGTERM)
    p.wait(10)
    if r.returncode != 0:
        out["wormhole"] = {"skipped": "exchanges failed: " + r.stderr[-300:]}
        return
    info = json.loads(r.stdout)
    out["wormhole"] = {"exchanges": prof.exchanges,
                       "seconds": info["seconds"],
                       "server_cpu_s": round(cpu, 3),
                       "cpu_ms_per_exchange": round(
                           cpu * 1000 / prof.exchanges, 3)}
    print("  wormhole: %d exchanges, server CPU %.2f ms per exchange" % (
        prof.exchanges, cpu * 1000 / prof.exchanges), flush=True)


def live_rows(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        return con.execute("SELECT count(*) FROM mailbox").fetchone()[0]
    finally:
        con.close()


def direct_fill(d, relay, n, ttl=6 * 86400):
    """Write n mailboxes (1 KiB payloads) and their create log entries,
    all expiring ttl seconds from now, into the stopped relay's database,
    as the API writes them."""
    con = sqlite3.connect(os.path.join(d, "relay.db"))
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")
    now = int(time.time())
    exp = now + ttl
    base = relay.url
    uid = lambda: "%s" % __import__("uuid").uuid4()

    def rows(k):
        for _ in range(k):
            mid, claim = uid(), uid()
            yield (mid, claim, now, exp, os.urandom(12 + 1024 + 16)), \
                (claim, uid(), mid, '{"urlLink":"%s/v1/m/%s",'
                 '"isPushNotificationSupported":false}' % (base, mid), exp)

    done = 0
    while done < n:
        k = min(50000, n - done)
        batch = list(rows(k))
        with con:
            con.executemany(
                "INSERT INTO mailbox (id, initiator, recipient, rights,"
                " created, expires, etag, title, description, image_url,"
                " aead, data, init_aead) VALUES (?, ?, '', 7, ?, ?, 1,"
                " 'Car key', 'bench', 'https://example.com/i.png', 1, ?,"
                " 1)", (m for m, _ in batch))
            con.executemany(
                "INSERT INTO request_log (claim, request_id, op, mailbox,"
                " body, expires) VALUES (?, ?, 1, ?, ?, ?)",
                (l for _, l in batch))
        done += k
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def section_growth(prof, tmp, out):
    d = os.path.join(tmp, "growth")
    relay = Relay(d, "--sweep-interval", "1h")
    live, res = 0, {}
    for level in prof.levels:
        t0 = time.time()
        how = "api" if level <= API_FILL_MAX else "direct"
        need = level - live     # the measurements below add some too
        if need > 0 and how == "api":
            load(relay.url, relay.ca, "create", 64, warmup=0,
                 requests=need, payload=1024, threads=2, ttl=6 * 86400)
        elif need > 0:
            relay.stop()
            direct_fill(d, relay, need)
            relay = Relay(d, "--sweep-interval", "1h")
        fill_rps = max(need, 0) / max(time.time() - t0, 1e-3)
        live = max(level, live)
        # Warmed up at every level alike: beyond API_FILL_MAX the relay
        # was just restarted on the filled file, and its page cache
        # starts empty; the figure is the steady state at that size.
        c = load(relay.url, relay.ca, "create", 16, prof.seconds,
                 prof.warmup, payload=1024, ttl=6 * 86400)
        live += round(c["requests"] * (1 + prof.warmup / prof.seconds))
        rd = load(relay.url, relay.ca, "reread", 16, prof.seconds,
                  prof.warmup, payload=1024)
        live += 16
        disk = relay.disk_bytes()
        res[str(level)] = {
            "live": live, "filled": how,
            "fill_creates_per_s": round(fill_rps),
            "create_p99_ms": c["ops"]["create"]["p99_ms"],
            "read_p99_ms": rd["ops"]["read"]["p99_ms"],
            "rss_mib": round(status_kib(relay.pid, "VmRSS") / 1024, 1),
            "disk_bytes": disk,
            "disk_bytes_per_live": round(disk / live),
        }
        print("  growth %8d live: create p99 %6.2f ms, read p99 %6.2f ms, "
              "RSS %6.1f MiB, %5d bytes/mailbox on disk" % (
                  live, res[str(level)]["create_p99_ms"],
                  res[str(level)]["read_p99_ms"],
                  res[str(level)]["rss_mib"],
                  res[str(level)]["disk_bytes_per_live"]), flush=True)
        if level == prof.levels[0]:     # kept for the pairs below
            relay.stop()
            shutil.copytree(d, d + "-small")
            relay = Relay(d, "--sweep-interval", "1h")
    small = Relay(d + "-small", "--sweep-interval", "1h")
    out["growth_pairs"] = growth_pairs(prof, small, relay)
    small.stop()
    relay.stop()
    out["growth"] = res
    out["sweep"] = sweep_run(prof, tmp)


def growth_pairs(prof, small, large):
    """Create p99 of the largest store over that of the smallest, the two
    relays loaded in turn with the stateless flow (each create's mailbox
    deleted again, so that both stores keep their size) for
    prof.pair_seconds each: measured minutes apart, the two figures of the
    table above drift with the machine's load by more than the size
    changes them, and a run much shorter than the store's checkpoint
    period (a second) catches a checkpoint's stall or not by chance.
    The first pair only warms both up."""
    ratios = []
    for i in range(prof.pairs + 1):
        a = load(small.url, small.ca, "stateless", 16, prof.pair_seconds, 0,
                 payload=1024, ttl=6 * 86400)
        b = load(large.url, large.ca, "stateless", 16, prof.pair_seconds, 0,
                 payload=1024, ttl=6 * 86400)
        if a["errors"] or b["errors"]:
            sys.exit("bench: errors in a growth pair: %r %r" % (a, b))
        if i > 0:
            ratios.append(b["ops"]["create"]["p99_ms"] /
                          max(a["ops"]["create"]["p99_ms"], 1e-3))
    print("  growth pairs, create p99 largest/smallest: %s" % " ".join(
        "%.2f" % r for r in ratios), flush=True)
    return {"pairs": len(ratios), "seconds_per_run": prof.pair_seconds,
            "flow": "stateless",
            "ratios": [round(r, 3) for r in ratios],
            "median_ratio": round(statistics.median(ratios), 3)}


def sweep_run(prof, tmp):
    """prof.expire mailboxes expiring in the same second: how long the
    sweeper takes to delete them, its CPU, the read p99 meanwhile, and
    the disk use before and after.  They are made with a relay that does
    not sweep, then a relay that sweeps every second starts on them."""
    d = os.path.join(tmp, "sweep")
    relay = Relay(d, "--sweep-interval", "1h")
    db = os.path.join(d, "relay.db")
    relay.stop()
    t0 = time.time()
    ttl = 3
    direct_fill(d, relay, prof.expire, ttl)
    while time.time() < t0 + ttl + 1:
        time.sleep(0.1)
    full = relay.disk_bytes()
    rows = live_rows(db)
    relay = Relay(d, "--sweep-interval", "1s")
    cpu0 = relay.cpu()
    t_sweep = time.time()
    rd = load(relay.url, relay.ca, "reread", 16, 2.0, 0, payload=1024)
    while live_rows(db) > 16 and time.time() - t_sweep < 300:
        time.sleep(0.2)
    took = time.time() - t_sweep
    cpu = relay.cpu() - cpu0
    # idle now: the relay gives free pages back a step a second and
    # checkpoints once a second (a step first grows the WAL, the next
    # checkpoint empties it), so the files shrink in steps: settled once
    # they have not shrunk for three checks in a row
    after, deadline, flat = relay.disk_bytes(), time.time() + 60, 0
    while time.time() < deadline and flat < 3:
        time.sleep(2)
        now = relay.disk_bytes()
        flat = flat + 1 if now >= after else 0
        after = min(after, now)
    res_settle = round(time.time() - t_sweep - took - 2 * flat, 1)
    relay.stop()
    res = {"expired": rows, "sweep_seconds": round(took, 2),
           "relay_cpu_s": round(cpu, 2),
           "disk_settled_after_s": res_settle,
           "read_p99_ms_meanwhile": rd["ops"]["read"]["p99_ms"],
           "disk_bytes_full": full, "disk_bytes_after": after}
    print("  sweep %d expired: %.1f s, %.2f s CPU, read p99 meanwhile "
          "%.2f ms, disk %.1f MiB -> %.2f MiB" % (
              rows, took, cpu, res["read_p99_ms_meanwhile"],
              full / 2**20, after / 2**20), flush=True)
    return res


def section_longpoll(prof, tmp, out):
    relay = out.get("_relay") or Relay(os.path.join(tmp, "relay"))
    r = load(relay.url, relay.ca, "longpoll", 2, trials=prof.trials,
             warmup=0)
    out["longpoll"] = op_stats(r, "longpoll")
    print("  long-poll wake-up: p50 %.2f ms, p99 %.2f ms over %d" % (
        out["longpoll"]["p50_ms"], out["longpoll"]["p99_ms"],
        out["longpoll"]["n"]), flush=True)


def section_cli(prof, tmp, out):
    if not os.access(CLIENT, os.X_OK):
        out["cli"] = {"skipped": "ref-client/tigress is not built"}
        return
    relay = out.get("_relay") or Relay(os.path.join(tmp, "relay"))
    d = os.path.join(tmp, "cli")
    os.makedirs(d)
    env = dict(os.environ, TIGRESS_STATE_DIR=d)
    pi = os.path.join(d, "pi.json")
    with open(pi, "w") as f:
        json.dump({"format": "digitalwallet.generic.authorizationToken",
                   "content": {"token": "x" * 200}}, f)
    share, accept = [], []
    for i in range(prof.cli_runs):
        t = time.perf_counter()
        r = subprocess.run([CLIENT, "share", "--relay", relay.url, "--ca",
                            relay.ca, "--in", pi, "--title", "Bench"],
                           capture_output=True, text=True, env=env,
                           timeout=60)
        share.append(time.perf_counter() - t)
        if r.returncode != 0:
            out["cli"] = {"skipped": "tigress share failed: " + r.stderr}
            return
        url = r.stdout.strip().splitlines()[0]
        t = time.perf_counter()
        r = subprocess.run([CLIENT, "accept", url, "--ca", relay.ca, "--out",
                            os.path.join(d, "got%d.json" % i)],
                           capture_output=True, text=True, env=env,
                           timeout=60)
        accept.append(time.perf_counter() - t)
        if r.returncode != 0:
            out["cli"] = {"skipped": "tigress accept failed: " + r.stderr}
            return
    share.sort()
    accept.sort()
    out["cli"] = {"runs": prof.cli_runs,
                  "share_ms_p50": round(share[len(share) // 2] * 1000, 1),
                  "share_ms_max": round(share[-1] * 1000, 1),
                  "accept_ms_p50": round(accept[len(accept) // 2] * 1000, 1),
                  "accept_ms_max": round(accept[-1] * 1000, 1)}
    print("  tigress share p50 %.1f ms, accept p50 %.1f ms" % (
        out["cli"]["share_ms_p50"], out["cli"]["accept_ms_p50"]),
        flush=True)


def start_redis(d):
    redis = shutil.which("redis-server")
    if redis is None:
        return None, None
    sock = os.path.join(d, "redis.sock")
    p = subprocess.Popen([redis, "--port", "0", "--unixsocket", sock,
                          "--unixsocketperm", "700", "--save", "",
                          "--appendonly", "yes", "--appendfsync", "everysec",
                          "--dir", d], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    KEEP.append(p)
    deadline = time.time() + 10
    while not os.path.exists(sock) and time.time() < deadline:
        time.sleep(0.05)
    return p, sock


def section_redis(prof, tmp, out):
    d = os.path.join(tmp, "redis")
    os.makedirs(d)
    rd, sock = start_redis(d)
    if rd is None:
        out["redis"] = {"skipped": "redis-server is not installed"}
        return
    store = "redis+unix:" + sock
    # one certificate for both nodes, as behind one name
    first = Relay(os.path.join(tmp, "node0"), "--store", store)
    nodes = [first, Relay(os.path.join(tmp, "node1"), "--store", store,
                          "--tls-cert", first.ca, "--tls-key",
                          os.path.join(tmp, "node0", "key.pem"))]
    res = {}
    for n in (1, 2):
        cpu0 = sum(x.cpu() for x in nodes[:n])
        rcpu0 = cpu_seconds(rd.pid)
        procs = [subprocess.Popen(
            [LOAD, "--url", x.url, "--ca", x.ca, "--flow", "stateless",
             "--conns", str(16 // n), "--seconds", str(prof.seconds),
             "--warmup", str(prof.warmup)], stdout=subprocess.PIPE,
            text=True) for x in nodes[:n]]
        rs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
        cpu = sum(x.cpu() for x in nodes[:n]) - cpu0
        rcpu = cpu_seconds(rd.pid) - rcpu0
        reqs = sum(r["requests"] for r in rs)
        done = max(reqs * (1 + prof.warmup / prof.seconds), 1)
        lp = load(nodes[0].url, nodes[0].ca, "longpoll", 2,
                  trials=max(prof.trials // 4, 50), warmup=0,
                  peer_url=nodes[n - 1].url)
        res["%d node%s" % (n, "s" if n > 1 else "")] = {
            "stateless_rps": round(sum(r["rps"] for r in rs), 1),
            "stateless_p99_ms": max(r["all"]["all"]["p99_ms"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
            "relay_cpu_ms_per_exchange": round(cpu * 3000 / done, 4),
            "redis_cpu_ms_per_exchange": round(rcpu * 3000 / done, 4),
            "longpoll_p99_ms": lp["ops"].get("wake", {}).get("p99_ms"),
            "longpoll_errors": lp["errors"]}
        print("  redis, %d node%s: %8.0f req/s  p99 %7.2f ms, long-poll "
              "p99 %.2f ms" % (n, "s" if n > 1 else "",
                               res["%d node%s" % (n, "s" if n > 1 else "")]
                               ["stateless_rps"],
                               res["%d node%s" % (n, "s" if n > 1 else "")]
                               ["stateless_p99_ms"],
                               lp["ops"].get("wake", {}).get("p99_ms", 0)),
              flush=True)
    for x in nodes:
        x.stop()
    out["redis"] = res


# ---- the table -----------------------------------------------------------------

def targets(out):
    """(figure, measured, target, met) rows of issue 11.3."""
    rows = []
    rel = out.get("relay", {})
    ngx = out.get("nginx", {})
    st = rel.get("stateless@16")

    def row(name, value, target, ok, fmt="%.2f"):
        rows.append((name, "-" if value is None else fmt % value, target,
                     "-" if ok is None else ("yes" if ok else "NO")))

    if st and "static@16" in ngx:
        ratio = st["rps"] / ngx["static@16"]["rps"]
        row("stateless flow, 16 conns: relay/nginx req/s (%.0f / %.0f)" % (
            st["rps"], ngx["static@16"]["rps"]), ratio, ">= 0.5",
            ratio >= 0.5)
    pr = ngx.get("paired")
    if pr:
        row("the same, median of %d runs side by side (%.2f to %.2f)" % (
            pr["pairs"], min(pr["ratios"]), max(pr["ratios"])),
            pr["median_ratio"], ">= 0.5", pr["median_ratio"] >= 0.5)
    if st:
        row("stateless flow, 16 conns: p99 ms", st["p99_ms"], "< 5",
            st["p99_ms"] < 5)
        row("relay CPU per stateless exchange, ms",
            st["cpu_ms_per_exchange"], "<= 0.2",
            st["cpu_ms_per_exchange"] <= 0.2, "%.3f")
    wh = out.get("wormhole", {})
    if st and "cpu_ms_per_exchange" in wh:
        r = wh["cpu_ms_per_exchange"] / st["cpu_ms_per_exchange"]
        row("wormhole/relay CPU per exchange (%.2f / %.3f ms)" % (
            wh["cpu_ms_per_exchange"], st["cpu_ms_per_exchange"]), r,
            ">= 50", r >= 50, "%.1f")
    g = out.get("growth", {})
    levels = sorted(g, key=int)
    if len(levels) >= 2:
        lo, hi = g[levels[0]], g[levels[-1]]
        for what in ("create", "read"):
            k = what + "_p99_ms"
            r = hi[k] / lo[k] if lo[k] else None
            row("%s p99 at %s / at %s live" % (what, levels[-1], levels[0]),
                r, "<= 1.5", None if r is None else r <= 1.5)
        gp = out.get("growth_pairs")
        if gp:
            row("the create p99 in the stateless flow, median of %d pairs "
                "side by side (%.2f to %.2f)" % (
                    gp["pairs"], min(gp["ratios"]), max(gp["ratios"])),
                gp["median_ratio"], "<= 1.5", gp["median_ratio"] <= 1.5)
        per = g[levels[-1]]["disk_bytes_per_live"]
        row("bytes on disk per live mailbox (1 KiB payload) at %s" %
            levels[-1], per, "<= 2048", per <= 2048, "%.0f")
    sw = out.get("sweep")
    if sw:
        frac = sw["disk_bytes_after"] / max(sw["disk_bytes_full"], 1)
        row("disk after %d expired were swept / full" % sw["expired"], frac,
            "near 0 (<= 0.1)", frac <= 0.1, "%.3f")
    lp = out.get("longpoll")
    if lp:
        row("long-poll wake-up p99 ms", lp["p99_ms"], "< 10",
            lp["p99_ms"] < 10)
    for name, r in sorted(out.get("redis", {}).items()):
        if not isinstance(r, dict):
            continue
        if "static@16" in ngx:
            ratio = r["stateless_rps"] / ngx["static@16"]["rps"]
            row("Redis, %s: relay/nginx req/s" % name, ratio, ">= 0.5",
                ratio >= 0.5)
        row("Redis, %s: stateless p99 ms" % name, r["stateless_p99_ms"],
            "< 5", r["stateless_p99_ms"] < 5)
        row("Redis, %s: relay CPU per exchange ms" % name,
            r["relay_cpu_ms_per_exchange"], "<= 0.2",
            r["relay_cpu_ms_per_exchange"] <= 0.2, "%.3f")
        if r.get("longpoll_p99_ms") is not None:
            row("Redis, %s: long-poll wake-up p99 ms" % name,
                r["longpoll_p99_ms"], "< 10", r["longpoll_p99_ms"] < 10)
    return rows


def markdown(out):
    lines = ["# make bench%s" % (" --quick" if out["quick"] else ""), "",
             "%s; %d cores; load average %s at the start, %s at the end "
             "(the machine is shared: absolute figures are noisy)." % (
                 out["when"], out["cores"], out["load_start"],
                 out["load_end"]), "",
             "| figure | measured | target | met |",
             "| --- | --- | --- | --- |"]
    for r in targets(out):
        lines.append("| %s | %s | %s | %s |" % r)
    lines += ["", "## Relay and nginx, every flow", "",
              "| flow | conns | req/s | p50 ms | p90 ms | p99 ms | max ms |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, s in list(out.get("relay", {}).items()) + \
            [(k, v) for k, v in out.get("nginx", {}).items()
             if "@" in k]:
        flow, conns = name.split("@")
        if flow == "static":
            flow = "nginx static"
        lines.append("| %s | %s | %.0f | %s | %s | %s | %s |" % (
            flow, conns, s["rps"], s["p50_ms"], s["p90_ms"], s["p99_ms"],
            s["max_ms"]))
    if out.get("growth"):
        lines += ["", "## Growth (1 KiB payloads)", "",
                  "| live | create p99 ms | read p99 ms | RSS MiB | "
                  "disk bytes per live mailbox |", "| --- | --- | --- | --- "
                  "| --- |"]
        for lvl, g in sorted(out["growth"].items(), key=lambda x: int(x[0])):
            lines.append("| %d | %s | %s | %s | %s |" % (
                g["live"], g["create_p99_ms"], g["read_p99_ms"],
                g["rss_mib"], g["disk_bytes_per_live"]))
    for key in ("sweep", "longpoll", "wormhole", "cli", "redis"):
        if out.get(key):
            lines += ["", "## %s" % key, "", "```",
                      json.dumps(out[key], indent=1), "```"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--only", nargs="+", choices=SECTIONS)
    args = ap.parse_args()
    for exe in (RELAY, LOAD):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s is not built (make bench builds it)" % exe)
    prof = Profile(args.quick)
    os.makedirs(args.out, exist_ok=True)
    out = {"quick": args.quick, "cores": os.cpu_count(),
           "when": time.strftime("%Y-%m-%d %H:%M:%S"),
           "load_start": "%.2f" % os.getloadavg()[0]}
    tmp = tempfile.mkdtemp(prefix="tigress-bench-")
    t0 = time.time()
    try:
        for name in args.only or SECTIONS:
            print("== %s" % name, flush=True)
            globals()["section_" + name](prof, tmp, out)
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    out.pop("_relay", None)
    out["load_end"] = "%.2f" % os.getloadavg()[0]
    out["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(out, f, indent=1)
    md = markdown(out)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(md)
    print()
    print(md)
    print("bench: %.0f s; %s" % (out["seconds"],
                                 os.path.join(args.out, "bench.json")))


if __name__ == "__main__":
    main()
