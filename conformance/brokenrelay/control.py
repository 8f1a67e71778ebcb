"""The control endpoint of the test relay: plain HTTP with JSON, on a
separate loopback port, for a suite that runs the relay in another process
(tools/interop).  `--control 127.0.0.1:0` starts it; the relay prints

    brokenrelay: control on http://127.0.0.1:PORT

before its `listening on` line.

    GET    /requests[?since=N]        the recorded exchanges (recorder.py)
    DELETE /requests                  forget them
    GET    /faults                    pending faults
    POST   /faults                    {"kind", "op", "count", "seconds",
                                       "status", "retry_after"}: add one
                                      (faults.py) -> 201
    DELETE /faults                    drop the pending faults
    GET    /mailboxes                 {"mailboxes": [ids]}
    GET    /mailboxes/ID              {"id", "payload", "rights", "bound"}
    PUT    /mailboxes/ID/payload      {"payload": {...}}: replace what reads
                                      return (to serve a corrupted payload)

Only loopback addresses may be bound: the endpoint has no authentication.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import threading
import urllib.parse

from .faults import Faults
from .protocol import Relay
from .recorder import Recorder


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status: int, obj) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        return json.loads(raw or b"{}")

    def _route(self):
        srv = self.server
        parts = urllib.parse.urlsplit(self.path)
        path = parts.path.rstrip("/")
        q = urllib.parse.parse_qs(parts.query)
        m = self.command
        if path == "/requests":
            if m == "GET":
                since = int((q.get("since") or ["0"])[0])
                return 200, {"requests": srv.recorder.records(since)}
            if m == "DELETE":
                srv.recorder.clear()
                return 200, {}
        if path == "/faults":
            if m == "GET":
                return 200, {"faults": [f.to_json()
                                        for f in srv.faults.pending()]}
            if m == "POST":
                b = self._json_body()
                try:
                    f = srv.faults.add(b.get("kind", ""), b.get("op", "any"),
                                       b.get("count", 1), b.get("seconds", 0),
                                       b.get("status", 503),
                                       retry_after=b.get("retry_after"))
                except (ValueError, TypeError) as e:
                    return 400, {"error": str(e)}
                return 201, f.to_json()
            if m == "DELETE":
                srv.faults.clear()
                return 200, {}
        store = srv.relay.store
        if path == "/mailboxes" and m == "GET":
            with store.lock:
                return 200, {"mailboxes": sorted(store.mailboxes)}
        segs = path.split("/")
        if len(segs) >= 3 and segs[1] == "mailboxes":
            with store.lock:
                mb = store.mailboxes.get(segs[2].lower())
                if mb is None:
                    return 404, {"error": "no such mailbox"}
                if len(segs) == 3 and m == "GET":
                    return 200, {"id": mb.id, "payload": mb.payload,
                                 "rights": mb.rights,
                                 "bound": mb.recipient is not None}
                if len(segs) == 4 and segs[3] == "payload" and m == "PUT":
                    b = self._json_body()
                    if "payload" not in b:
                        return 400, {"error": "give {\"payload\": ...}"}
                    mb.payload = mb.initiator_payload = b["payload"]
                    return 200, {}
        return 404, {"error": "no such control resource"}

    def _serve(self):
        try:
            status, obj = self._route()
        except (ValueError, TypeError) as e:
            status, obj = 400, {"error": str(e)}
        self._answer(status, obj)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class ControlServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, relay: Relay, recorder: Recorder,
                 faults: Faults):
        host = address[0]
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the control endpoint binds loopback only")
        self.relay, self.recorder, self.faults = relay, recorder, faults
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        return "http://%s:%d" % self.server_address[:2]

    def start(self) -> "ControlServer":
        threading.Thread(target=self.serve_forever, kwargs={
            "poll_interval": 0.2}, daemon=True).start()
        return self
