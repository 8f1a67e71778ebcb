"""brokenrelay: a small TIGRESS relay in Python with switchable defects.

By default it implements draft-vinokurov-tigress-http-00 correctly (with
tigress-ref's decisions of spec/errata.md); `--defect NAME` (repeatable)
breaks one thing each, so that the conformance runner's cases can be shown
to fail.  It keeps everything in memory.

    /usr/bin/python3 conformance/brokenrelay --listen 127.0.0.1:0 \\
        --data-dir /tmp/br --defect race --defect cookie

prints, once it accepts connections, the same line as ref-relay:

    tigress-relay: listening on https://127.0.0.1:PORT (certificate: PATH)

Modules: defects (the list), protocol (the relay logic, no I/O; hooks for
recording and fault injection), store (memory), server (http.server with
TLS per connection), certs (self-signed certificate).

May depend on: conformance/tigress_py, the standard library and
python3-cryptography.
"""
