"""tools/deps.sh: which services it stops after an install.

deps.sh runs here with stubs first on PATH for dpkg-query, apt-get,
systemctl and id (root, so no sudo): no root, no apt, no real service is
touched.  The systemctl stub keeps each unit's is-active / is-enabled
word in a file; the apt-get stub "starts" the units an install would."""

import os
import subprocess
from pathlib import Path

DEPS = Path(__file__).resolve().parent / "deps.sh"

STUBS = {
    # Every package installed except those in $STUB_MISSING.
    "dpkg-query": r'''#!/bin/sh
shift 2   # -W -f=...
for p in "$@"; do
	case " $STUB_MISSING " in *" $p "*) continue ;; esac
	echo "$p install ok installed"
done
''',
    "id": "#!/bin/sh\necho 0\n",
    # install: the units in $STUB_STARTS come up active and enabled, as
    # Debian's maintainer scripts do for a newly installed service.
    "apt-get": r'''#!/bin/sh
echo "apt-get $*" >> "$STUB_LOG"
case " $* " in *" install "*)
	for u in $STUB_STARTS; do
		echo active > "$STUB_UNITS/$u.active"
		echo enabled > "$STUB_UNITS/$u.enabled"
	done ;;
esac
''',
    "systemctl": r'''#!/bin/sh
case "$1" in
is-active|is-enabled)
	f="$STUB_UNITS/$2.${1#is-}"
	if [ -f "$f" ]; then cat "$f"; else echo unknown; exit 4; fi
	[ "$(cat "$f")" = "${1#is-}" ] ;;
*)	echo "systemctl $*" >> "$STUB_LOG" ;;
esac
''',
}


def run_deps(tmp_path, missing, before, starts):
    """deps.sh with the stubs: `before` maps unit -> (is-active,
    is-enabled) words before the install; returns the logged calls."""
    stubs = tmp_path / "bin"
    units = tmp_path / "units"
    stubs.mkdir()
    units.mkdir()
    for name, text in STUBS.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    for unit, (active, enabled) in before.items():
        (units / (unit + ".active")).write_text(active + "\n")
        (units / (unit + ".enabled")).write_text(enabled + "\n")
    log = tmp_path / "calls"
    log.write_text("")
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % stubs,
               STUB_MISSING=" ".join(missing), STUB_STARTS=" ".join(starts),
               STUB_UNITS=str(units), STUB_LOG=str(log))
    r = subprocess.run(["sh", str(DEPS)], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout
    return [c for c in log.read_text().splitlines()
            if c.startswith("systemctl")], r.stdout


def test_running_nginx_is_left_alone_when_nginx_light_is_missing(tmp_path):
    # Debian 12: nginx-light depends on nginx; a developer's own nginx
    # runs, only nginx-light is missing.
    calls, out = run_deps(tmp_path, ["nginx-light"],
                          {"nginx": ("active", "enabled"),
                           "redis-server": ("active", "enabled")},
                          starts=[])
    assert "installing nginx-light" in out
    assert calls == []


def test_services_the_install_started_are_stopped(tmp_path):
    calls, _ = run_deps(tmp_path, ["redis-server", "nginx-light"], {},
                        starts=["redis-server", "nginx"])
    assert sorted(calls) == [
        "systemctl disable nginx", "systemctl disable redis-server",
        "systemctl stop nginx", "systemctl stop redis-server"]


def test_only_what_changed_is_undone(tmp_path):
    # redis started by hand (active, not enabled) and nginx installed but
    # stopped and disabled: the install would enable and start both.
    calls, _ = run_deps(tmp_path, ["python3-segno"],
                        {"redis-server": ("active", "disabled"),
                         "nginx": ("inactive", "disabled")},
                        starts=["redis-server", "nginx"])
    assert sorted(calls) == [
        "systemctl disable nginx", "systemctl disable redis-server",
        "systemctl stop nginx"]


def test_nothing_missing_runs_nothing(tmp_path):
    calls, out = run_deps(tmp_path, [], {"nginx": ("active", "enabled")},
                          starts=["nginx"])
    assert calls == [] and out == ""
