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
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Tests start their own redis and nginx on ephemeral ports.  A service that
# this run just installed (and so started) is stopped again; one that was
# installed before is left exactly as it was.
for svc in redis-server nginx-light; do
	case " $missing " in *" $svc "*) ;; *) continue ;; esac
	unit=${svc%-light}
	if command -v systemctl >/dev/null 2>&1; then
		$SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
	fi
done
echo "deps: done"
