"""tigress-ref's conformance suite as one package, for running it without
the C build and without root:

    /usr/bin/python3 -m conformance relay https://relay.example:8443   # from a checkout
    /usr/bin/python3 -m conformance interop event.json
    tigress-conformance ..., tigress-interop ...   # installed (pyproject.toml)

The modules import each other as top-level packages (runner, tigress_py,
brokenrelay, protocol: tools/ and the tests put this directory on
sys.path); so does importing this package.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
