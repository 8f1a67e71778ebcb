#!/usr/bin/python3
"""Seed a libFuzzer corpus directory with the inputs of the vectors."""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(out):
    os.makedirs(out, exist_ok=True)
    for name, key in (("shareurl", "url"), ("bodies", "body"),
                      ("uuid", "input"), ("rfc3339", "input")):
        with open(os.path.join(ROOT, "vectors", name + ".json")) as f:
            cases = json.load(f)["tests"]
        for case in cases:
            value = case.get(key)
            if isinstance(value, str) and len(value) < 8192:
                data = value.encode("utf-8", "surrogatepass")
                path = os.path.join(out, hashlib.sha1(data).hexdigest())
                with open(path, "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
