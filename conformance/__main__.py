"""python3 -m conformance: tools/tigress-conformance (relay, client,
list), or with `interop` first, tools/interop."""

import sys

from . import _HERE  # noqa: F401  (puts the suite's packages on sys.path)


def main(argv=None) -> int:
    from runner.cli import main as conformance
    return conformance(argv)


def interop(argv=None) -> int:
    from runner.interop.report import main as matrix
    return matrix(argv)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["interop"]:
        sys.exit(interop(args[1:]))
    sys.exit(main(args))
