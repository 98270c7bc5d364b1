#!/usr/bin/env bash
# make run: install what is missing, build, start the project-local
# PostgreSQL and Redis, migrate, seed the demo canton and serve on
# http://127.0.0.1:${KASUS_PORT:-8080}. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
sh ops/bootstrap.sh
make --no-print-directory VARIANT=release build/release/kasusd modules web
bash ops/services.sh run start
. var/run/env
export KASUS_ROOT=$PWD KASUS_PIDFILE=$PWD/var/run/kasusd.pid
# The audit seals' anchors belong to this database (var/run/pg).
export KASUS_AUDIT_ANCHOR_DIR=${KASUS_AUDIT_ANCHOR_DIR:-$PWD/var/run/audit}
stop() {
	trap - EXIT INT TERM
	[ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bash ops/services.sh run stop
}
trap stop EXIT INT TERM
build/release/kasusd -c conf/kasus.conf migrate
build/release/kasusd -c conf/kasus.conf seed-demo
echo "kasus: serving on http://127.0.0.1:${KASUS_PORT:-8080} (Ctrl-C stops)"
build/release/kasusd -c conf/kasus.conf serve &
pid=$!
wait "$pid"
