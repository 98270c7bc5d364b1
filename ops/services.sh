#!/usr/bin/env bash
# Project-local PostgreSQL 15 and Redis, never a system instance.
#   ops/services.sh PROFILE start|stop|env|start-redis|stop-redis|
#                           start-pg|stop-pg|restart-pg|reset
# reset (make check): when both run, drop the database and empty Redis,
# then create the database again; exit 3 when they do not run.
# PROFILE is run, test or bench; each has its own ports and var/PROFILE/.
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# unprivileged user "kasus" (created when missing).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
profile=${1:?profile}
action=${2:?action}
# KASUS_TEST_PG_PORT and KASUS_TEST_REDIS_PORT move the test profile's
# ports (two checkouts testing side by side), KASUS_BENCH_PG_PORT and
# KASUS_BENCH_REDIS_PORT the bench profile's.
# Test and bench ports lie above Linux's ephemeral range (32768-60999),
# where an outgoing connection could already hold them.
case $profile in
run)   pgport=${KASUS_PG_PORT:-54320}; rport=${KASUS_REDIS_PORT:-63790} ;;
test)  pgport=${KASUS_TEST_PG_PORT:-61330}; rport=${KASUS_TEST_REDIS_PORT:-63800} ;;
bench) pgport=${KASUS_BENCH_PG_PORT:-61340}
       rport=${KASUS_BENCH_REDIS_PORT:-63810} ;;
*) echo "unknown profile $profile" >&2; exit 2 ;;
esac
dir=$here/var/$profile
pgbin=/usr/lib/postgresql/15/bin
pgdata=$dir/pg
sock=$dir/sock
envf=$dir/env
mkdir -p "$dir"

. "$here/ops/lib.sh"
as_pg() { as_kasus "$@"; }
# The cluster user must reach var/ through the checkout.
ensure_user() { ensure_kasus "$dir"; }

write_env() {
	cat >"$envf" <<EOT
export KASUS_DB_APP="host=127.0.0.1 port=$pgport dbname=kasus user=kasus_app connect_timeout=3"
export KASUS_DB_OWNER="host=127.0.0.1 port=$pgport dbname=kasus user=kasus_owner connect_timeout=3"
export KASUS_DB_SUPER="host=$sock port=$pgport dbname=kasus user=$( [ "$(id -u)" -eq 0 ] && echo kasus || id -un)"
export KASUS_REDIS_HOST=127.0.0.1
export KASUS_REDIS_PORT=$rport
export KASUS_PG_PORT=$pgport
export KASUS_PG_SOCK=$sock
EOT
}

start_pg() {
	ensure_user
	if [ ! -f "$pgdata/PG_VERSION" ]; then
		rm -rf "$pgdata"
		mkdir -p "$pgdata" "$sock"
		[ "$(id -u)" -eq 0 ] && chown kasus "$pgdata" "$sock"
		as_pg "$pgbin/initdb" -D "$pgdata" -A trust -E UTF8 \
			--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
		cat >>"$pgdata/postgresql.conf" <<EOT
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 256MB
fsync = on
log_min_messages = warning
EOT
	fi
	mkdir -p "$sock" "$dir/pglog"
	[ "$(id -u)" -eq 0 ] && chown kasus "$sock" "$dir/pglog"
	if ! as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
		as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$dir/pglog/pg.log" -w -t 60 \
			-o "-p $pgport" start >/dev/null
	fi
	# Roles and database, created when missing (idempotent).
	as_pg "$pgbin/psql" -h "$sock" -p "$pgport" -d postgres -qAt \
		-v ON_ERROR_STOP=1 <"$here/ops/sql/roles.sql" >/dev/null
	if ! as_pg "$pgbin/psql" -h "$sock" -p "$pgport" -d postgres -qAt \
		-c "SELECT 1 FROM pg_database WHERE datname = 'kasus'" | grep -q 1; then
		as_pg "$pgbin/psql" -h "$sock" -p "$pgport" -d postgres -qAt \
			-v ON_ERROR_STOP=1 -c "CREATE DATABASE kasus OWNER kasus_owner" >/dev/null
		as_pg "$pgbin/psql" -h "$sock" -p "$pgport" -d kasus -qAt \
			-v ON_ERROR_STOP=1 <"$here/ops/sql/database.sql" >/dev/null
	fi
}

stop_pg() {
	[ -f "$pgdata/PG_VERSION" ] || return 0
	as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
}

start_redis() {
	mkdir -p "$dir/redis"
	if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then
		return 0
	fi
	# Append-only file, written every second: a restart keeps sessions
	# and the login throttle (at most the last second is lost); no
	# snapshots besides it.
	redis-server --bind 127.0.0.1 --port "$rport" --dir "$dir/redis" \
		--daemonize yes --pidfile "$dir/redis.pid" \
		--logfile "$dir/redis.log" --save "" --appendonly yes \
		--appendfsync everysec --protected-mode yes
	for _ in $(seq 50); do
		redis-cli -p "$rport" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "redis did not start; see $dir/redis.log" >&2
	exit 1
}

stop_redis() {
	# NOSAVE skips a snapshot only; the append-only file is flushed.
	redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
	for _ in $(seq 50); do
		redis-cli -p "$rport" ping >/dev/null 2>&1 || break
		sleep 0.1
	done
	rm -f "$dir/redis.pid"
}

running() {
	[ -f "$pgdata/PG_VERSION" ] &&
		as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1 &&
		redis-cli -p "$rport" ping >/dev/null 2>&1
}

reset() {
	running || return 3
	as_pg "$pgbin/psql" -h "$sock" -p "$pgport" -d postgres -qAt \
		-v ON_ERROR_STOP=1 \
		-c "DROP DATABASE IF EXISTS kasus WITH (FORCE)" >/dev/null
	redis-cli -p "$rport" flushall >/dev/null
	start_pg
	write_env
}

case $action in
start)		start_pg; start_redis; write_env ;;
reset)		reset ;;
stop)		stop_redis; stop_pg ;;
env)		write_env; cat "$envf" ;;
start-redis)	start_redis ;;
stop-redis)	stop_redis ;;
start-pg)	start_pg ;;
stop-pg)	stop_pg ;;
restart-pg)	stop_pg; start_pg ;;
*) echo "unknown action $action" >&2; exit 2 ;;
esac
