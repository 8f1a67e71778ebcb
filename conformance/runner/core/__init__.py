"""What every suite of the conformance runner shares (see
runner/__init__.py).  Imports no suite."""
