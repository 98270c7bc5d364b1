#!/bin/sh
# Install what Kasus needs, when missing, and prove it is there. Idempotent.
#
# Two lists: the Debian packages whose libraries and headers the build
# links against, and every program that the build, `make run`, `make test`
# and `make bench` call, each with the package that provides it. After the
# install every program is checked with `command -v`, so a missing one
# fails here, naming its package, instead of halfway through a test run.
# As root it runs apt-get; otherwise it prints the exact command and stops.
# `ops/bootstrap.sh --check` installs nothing and only checks.
set -eu
check_only=0
[ "${1:-}" = --check ] && check_only=1

# Libraries (headers and pkg-config files) the C build links against, and
# the time zone database kasusd reads its day from (timezone).
LIBS="libmicrohttpd-dev libpq-dev libhiredis-dev liblua5.4-dev libjansson-dev
libxml2-dev libssl-dev libqrencode-dev libseccomp-dev postgresql-contrib
tzdata"

# program:package for every program a script, test or bench calls.
# The PostgreSQL server binaries live outside PATH and are checked by path.
PROGS="cc:build-essential make:build-essential ar:binutils nm:binutils readelf:binutils
pkg-config:pkg-config psql:postgresql-client-15 pgbench:postgresql-client-15
redis-server:redis-server redis-cli:redis-tools lua5.4:lua5.4
curl:curl jq:jq wrk:wrk chromium:chromium pdftotext:poppler-utils
pdftoppm:poppler-utils zbarimg:zbar-tools xmllint:libxml2-utils
pgrep:procps od:coreutils sort:coreutils awk:mawk sed:sed git:git
setsid:util-linux setpriv:util-linux tar:tar gzip:gzip cmp:diffutils
sync:coreutils nproc:coreutils systemd-analyze:systemd haproxy:haproxy patroni:patroni
etcd:etcd-server redis-sentinel:redis-sentinel"
# As root the local PostgreSQL runs as the system user kasus (services.sh).
[ "$(id -u)" -eq 0 ] && PROGS="$PROGS runuser:util-linux useradd:passwd"
PGBIN=/usr/lib/postgresql/15/bin
PGPROGS="initdb pg_ctl postgres pg_basebackup pg_rewind pg_archivecleanup
pg_controldata"

need=""
for p in $LIBS postgresql-15; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		need="$need $p"
done
for pp in $PROGS; do
	prog=${pp%%:*} pkg=${pp#*:}
	command -v "$prog" >/dev/null 2>&1 || need="$need $pkg"
done
# Node.js may come from elsewhere (with its own npm): accept a working one.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	need="$need nodejs npm"
need=$(printf '%s\n' $need | sort -u | tr '\n' ' ')

if [ -n "${need% }" ] && [ $check_only -eq 0 ]; then
	cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need"
	if [ "$(id -u)" -ne 0 ]; then
		echo "kasus: missing Debian packages: $need" >&2
		echo "kasus: run as root:  $cmd" >&2
		exit 1
	fi
	echo "kasus: installing $need" >&2
	sh -c "$cmd"
fi

# Every program, checked where the scripts will look for it.
bad=0
for pp in $PROGS node:nodejs npm:npm; do
	prog=${pp%%:*} pkg=${pp#*:}
	if ! command -v "$prog" >/dev/null 2>&1; then
		echo "kasus: '$prog' is missing (Debian package $pkg)" >&2
		bad=1
	fi
done
for prog in $PGPROGS; do
	if [ ! -x "$PGBIN/$prog" ]; then
		echo "kasus: '$PGBIN/$prog' is missing (Debian package postgresql-15)" >&2
		bad=1
	fi
done
# The web build needs Node.js 20.19 or later (Vite 8).
if command -v node >/dev/null 2>&1 &&
	! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
	echo "kasus: Node.js $(node --version) is too old; 20.19 or later is needed" >&2
	bad=1
fi
exit $bad
