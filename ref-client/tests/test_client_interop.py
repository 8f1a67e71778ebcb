"""The C client and the independent Python implementation
(conformance/tigress_py) interoperate through ref-relay, both ways."""

import json
import os
import time
import uuid

from cli_helpers import PI
from tigress_py import payload, rfc3339, shareurl

DISPLAY = {"title": "Home key", "description": "Front door",
           "imageURL": "https://example.com/door.png"}


def test_c_initiator_python_recipient(devices, pi_file, tmp_path, relay):
    alice = devices()
    r = alice.run("share", "--relay", relay.base_url, "--in", pi_file,
                  "--title", "Car", "--stateful", "--vertical", "c")
    assert r.returncode == 0, r.stderr
    u = shareurl.parse(r.stdout.strip())
    assert u.vertical == "c" and u.aead == "AEAD_AES_256_GCM"
    c = relay.py_client()
    claim = str(uuid.uuid4())
    ex = c.read(u.api_url, claim)
    assert ex.status == 200, ex
    assert payload.open(ex.json["payload"], u.secret) == PI
    # Python answers; the C initiator's wait picks it up
    reply = b'{"format":"reply","content":{"from":"python"}}'
    ex = c.update(u.api_url, claim, payload.seal(u.secret, reply))
    assert ex.status == 200, ex
    r = alice.run("wait", "--state", alice.state(), "--timeout", "10")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == json.loads(reply)
    # the C initiator answers; Python reads and opens it
    m3 = tmp_path / "m3.json"
    m3.write_bytes(b'{"format":"final","content":{"from":"c"}}')
    r = alice.run("send", "--state", alice.state(), "--in", m3)
    assert r.returncode == 0, r.stderr
    ex = c.read(u.api_url, claim)
    assert payload.open(ex.json["payload"], u.secret) == m3.read_bytes()
    assert c.delete(u.api_url, claim).status == 200
    r = alice.run("read", "--state", alice.state())
    assert r.returncode == 8
    c.close()


def test_python_initiator_c_recipient(devices, tmp_path, relay):
    key = os.urandom(16)                          # AES-128 this way
    c = relay.py_client()
    claim = str(uuid.uuid4())
    config = {"accessRights": "RWD",
              "expiration": rfc3339.format(int(time.time()) + 600)}
    ex = c.create(claim, DISPLAY, payload.seal(key, PI), config=config)
    assert ex.status == 200, ex
    u = shareurl.parse(ex.json["urlLink"])
    url = shareurl.build(u.host, u.port, u.version, u.mailbox_id,
                         vertical="h", secret=key)
    bob = devices()
    r = bob.run("preview", url)
    assert r.returncode == 0 and "title: Home key" in r.stdout
    got = tmp_path / "got.json"
    r = bob.run("accept", url, "--out", got)
    assert r.returncode == 0, r.stderr
    assert got.read_bytes() == PI
    # the C recipient answers; Python opens it
    reply = tmp_path / "reply.json"
    reply.write_bytes(b'{"format":"reply","content":{"from":"c"}}')
    r = bob.run("send", url, "--in", reply)
    assert r.returncode == 0, r.stderr
    ex = c.read(u.api_url, claim)
    assert ex.status == 200, ex
    assert ex.json["payload"]["type"] == "AEAD_AES_128_GCM"
    assert payload.open(ex.json["payload"], key) == reply.read_bytes()
    # the recipient (RWD) deletes; Python sees it gone
    r = bob.run("cancel", url)
    assert r.returncode == 0, r.stderr
    assert c.read(u.api_url, claim).status == 404
    c.close()
