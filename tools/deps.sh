#!/bin/sh
# Install the Debian packages tigress-ref needs, only those missing.
# Idempotent and quiet when everything is present.  Run as root or with sudo.
set -e
PKGS="build-essential pkg-config openssl libssl-dev libevent-dev
libcurl4-openssl-dev libjansson-dev libsqlite3-dev sqlite3 libhiredis-dev
redis-server libcunit1-dev python3 python3-pytest python3-cryptography
python3-requests python3-jsonschema"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# redis-server's postinst starts a service; policy-rc.d stops that on
# machines without an init system being useful to us.
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Tests start their own redis on an ephemeral port; a system one is not wanted.
if command -v systemctl >/dev/null 2>&1; then
	$SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
echo "deps: done"
