#!/bin/sh
# Install the Debian packages tigress-ref needs, only those missing.
# Idempotent and quiet when everything is present.  Run as root or with sudo.
# It never stops, restarts or reconfigures a service that was already there.
#
#     tools/deps.sh         what make, make test and make bench need
#     tools/deps.sh fuzz    clang and libFuzzer's runtime too (make fuzz)
set -e
# Build and run: compiler, libraries, the Python test harness.
PKGS="build-essential pkg-config openssl libssl-dev libevent-dev
libcurl4-openssl-dev libjansson-dev libsqlite3-dev sqlite3 libhiredis-dev
redis-server libcunit1-dev node-llhttp python3 python3-pytest
python3-pytest-xdist python3-cryptography python3-requests
python3-jsonschema"
# Tests and benches: attack tools, load generators, a browser, peers.
PKGS="$PKGS slowhttptest testssl.sh wrk nginx-light nghttp2-client valgrind
python3-hypothesis python3-segno zbar-tools chromium
python3-magic-wormhole-mailbox-server"
# make fuzz only: a fresh machine running make test does without them.
[ "$1" = fuzz ] && PKGS="$PKGS clang libclang-rt-dev"
# One dpkg-query for all of them (a fresh clone runs this before its first
# compile; one query per package took seconds).
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null |
	awk '$NF == "installed" && $(NF-1) == "ok" { printf "%s ", $1 }')"
missing=""
for p in $PKGS; do
	case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
# Tests start their own redis and nginx on ephemeral ports, so a service
# the install starts is stopped again.  What decides is each unit's state
# before the install, not which package was missing: nginx-light depends on
# nginx, so a developer's running nginx may be there while nginx-light is
# missing.  A unit that was active (or enabled) before is left exactly as
# it was; only what this run newly started (or enabled) is undone.
UNITS="redis-server nginx"
have_systemctl=""
command -v systemctl >/dev/null 2>&1 && have_systemctl=1
# unit_state KIND UNIT: systemctl's word for it (active, enabled, ...), or
# "none" when systemctl cannot tell (no such unit, no systemd).
unit_state() {
	[ -n "$have_systemctl" ] || { echo none; return; }
	st=$(systemctl "is-$1" "$2" 2>/dev/null | head -n 1)
	echo "${st:-none}"
}
before=""
for u in $UNITS; do
	before="$before $u:$(unit_state active "$u"):$(unit_state enabled "$u")"
done
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
for entry in $before; do
	u=${entry%%:*}; rest=${entry#*:}
	was_active=${rest%%:*}; was_enabled=${rest#*:}
	if [ "$was_active" != active ] &&
	    [ "$(unit_state active "$u")" = active ]; then
		$SUDO systemctl stop "$u" >/dev/null 2>&1 || true
	fi
	if [ "$was_enabled" != enabled ] &&
	    [ "$(unit_state enabled "$u")" = enabled ]; then
		$SUDO systemctl disable "$u" >/dev/null 2>&1 || true
	fi
done
echo "deps: done"
