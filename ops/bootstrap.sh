#!/bin/sh
# Install the Debian packages Kasus needs, when missing. Idempotent.
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -eu
PKGS="build-essential pkg-config libqrencode-dev zbar-tools libmicrohttpd-dev libpq-dev libhiredis-dev
liblua5.4-dev libjansson-dev libxml2-dev libssl-dev postgresql-15
postgresql-contrib redis-server curl jq wrk chromium poppler-utils libxml2-utils"
# Node.js may come from elsewhere (with its own npm): accept any working one.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "kasus: missing Debian packages:$missing" >&2
	echo "kasus: run as root:  $cmd" >&2
	exit 1
fi
echo "kasus: installing$missing" >&2
sh -c "$cmd"
