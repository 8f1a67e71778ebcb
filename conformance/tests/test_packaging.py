"""The conformance runner without the C build and without root (issue 12,
item 6): `python3 -m conformance` from a checkout that has only
conformance/ and spec/, run as an unprivileged user; the package of
pyproject.toml installed with pip (--no-deps --no-build-isolation, into a
venv that sees Debian's modules); and the driver skeleton beside
spec/drivers.md, judged by the client suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1]
REPO = CONFORMANCE.parent
PYTHON = "/usr/bin/python3"
TOOL = REPO / "tools" / "tigress-conformance"


def test_every_package_is_in_pyproject():
    """pyproject.toml lists its packages by hand: none may be missing."""
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(cfg["tool"]["setuptools"]["packages"])
    found = {"tigress_conformance.spec", "tigress_conformance.vectors.explore"}
    for init in CONFORMANCE.rglob("__init__.py"):
        rel = init.parent.relative_to(CONFORMANCE)
        if "tests" in rel.parts:
            continue
        found.add(".".join(("tigress_conformance",) + rel.parts))
    assert listed == found


@pytest.fixture(scope="module")
def checkout():
    """conformance/, spec/ and vectors/explore alone (no ref-relay, no build), readable by
    anybody."""
    d = Path(tempfile.mkdtemp(prefix="tigress-no-build-"))
    try:
        ignore = shutil.ignore_patterns("__pycache__", "tests")
        shutil.copytree(CONFORMANCE, d / "conformance", ignore=ignore)
        shutil.copytree(REPO / "spec", d / "spec", ignore=ignore)
        shutil.copytree(REPO / "vectors" / "explore",
                        d / "vectors" / "explore")
        shutil.copy(REPO / "pyproject.toml", d)
        (d / "out").mkdir()
        for p in [d] + list(d.rglob("*")):
            p.chmod(p.stat().st_mode | 0o755 if p.is_dir() or
                    os.access(p, os.X_OK) else p.stat().st_mode | 0o644)
        (d / "out").chmod(0o777)
        d.chmod(0o755)
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def unprivileged(argv):
    """argv as user nobody when we are root (setpriv), else as is."""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        return ["setpriv", "--reuid=nobody", "--regid=nogroup",
                "--clear-groups"] + argv
    return argv


def test_python_m_conformance_without_build_nor_root(checkout):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["HOME"] = str(checkout / "out")
    p = subprocess.run(unprivileged([
        PYTHON, "-m", "conformance", "relay", "--start-broken", "none",
        "--case", "API-CREATE-200", "API-READ-200", "--label", "no build",
        "--report", str(checkout / "out" / "r")]), cwd=checkout, env=env,
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[-1].startswith("conformance: 2 passed, 0 "
                                                "failed")
    assert (checkout / "out" / "r" / "conformance.md").exists()
    # --start-ref needs the build: said in one line
    p = subprocess.run(unprivileged([PYTHON, "-m", "conformance", "relay",
                                     "--start-ref"]), cwd=checkout, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 4, p.stdout + p.stderr
    assert p.stderr.endswith("tigress-relay is not built: run make in the "
                             "checkout (or give --ref-binary PATH)\n")
    p = subprocess.run([PYTHON, "-m", "conformance", "interop", "--version"],
                       cwd=checkout, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("interop: "), p.stderr


def test_pip_install(checkout, tmp_path):
    """pip install --no-deps --no-build-isolation . into a venv with the
    system's site packages (Debian's requests and cryptography)."""
    venv = tmp_path / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--system-site-packages",
                    "--without-pip", str(venv)], check=True, timeout=120)
    build = tmp_path / "src"
    shutil.copytree(checkout, build, ignore=shutil.ignore_patterns("out"))
    p = subprocess.run([PYTHON, "-m", "pip", "--python", str(venv / "bin" /
                                                             "python"),
                        "install", "--no-deps", "--no-build-isolation",
                        "--no-index", "--quiet", "."], cwd=build,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    shutil.rmtree(build)                    # the installed copy only
    bin_ = venv / "bin"
    p = subprocess.run([str(bin_ / "tigress-conformance"), "relay",
                        "--start-broken", "none", "--case", "API-CREATE-200"],
                       cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run([str(bin_ / "python"), "-m", "tigress_conformance",
                        "--version"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("tigress-conformance ")
    p = subprocess.run([str(bin_ / "tigress-interop")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.startswith(
        "interop: give an implementations file"), p.stderr


# -- the driver skeleton ------------------------------------------------------------

SKELETON = REPO / "spec" / "driver-skeleton.sh"


def test_driver_skeleton_says_127_for_what_it_does_not_do(tmp_path):
    env = dict(os.environ, TIGRESS_STATE_DIR=str(tmp_path))
    for step in (["initiator", "stateful", "send"],
                 ["recipient", "relinquish", "relinquish"],
                 ["initiator", "provision", "issue"]):
        p = subprocess.run([str(SKELETON)] + step, env=env,
                           capture_output=True, timeout=30)
        assert p.returncode == 127 and not p.stdout, step


def test_driver_skeleton_is_judged(tmp_path):
    """The skeleton as shipped (tigress behind it) passes the
    nothing-to-judge gate honestly: what it does is judged, what it does
    not is UNSUPPORTED."""
    if not (REPO / "ref-client" / "tigress").exists():
        subprocess.run(["make", "-C", str(REPO), "ref-client/tigress"],
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
    p = subprocess.run([str(TOOL), "client", str(SKELETON), "--case",
                        "URL-FORM", "FLOW-FINISH", "FLOW-SEND", "--report",
                        str(tmp_path)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    last = p.stdout.splitlines()[-1]
    assert last.startswith("conformance: 2 passed, 0 failed, 0 warned, "
                           "0 info, 1 unsupported"), last
    assert "nothing to judge" not in p.stdout
    assert "\nUNSUPPORTED FLOW-SEND" in p.stdout
