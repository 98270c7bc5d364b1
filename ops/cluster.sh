#!/usr/bin/env bash
# What a canton runs on several machines, on one: three kasusd nodes behind
# HAProxy, PostgreSQL 15 primary and synchronous replica managed by Patroni
# (leader lock in etcd), Redis master and replica watched by three
# Sentinels. The nodes share nothing but PostgreSQL and Redis.
#
#   ops/cluster.sh start     start what is not running (first start:
#                            create, migrate, seed the demo canton);
#                            a killed part rejoins in its new role
#   ops/cluster.sh stop      stop everything
#   ops/cluster.sh status    one line per part; exit 1 when one is down
#   ops/cluster.sh env       the variables clients and tests use
#   ops/cluster.sh destroy   stop and delete var/cluster/
#
# Ports (each may be moved with the variable in brackets):
#   19710 HTTP, HAProxy in front of the nodes      [CLUSTER_HTTP_PORT]
#   19711-19713 kasusd nodes                        [CLUSTER_NODE_PORTS]
#   19719 HAProxy statistics (CSV at /;csv)         [CLUSTER_STATS_PORT]
#   19721-19722 Patroni REST API of pg1, pg2        [CLUSTER_PATRONI_PORTS]
#   19731-19732 etcd client and peer                [CLUSTER_ETCD_PORTS]
#   61471-61472 PostgreSQL pg1, pg2                 [CLUSTER_PG_PORTS]
#   63971-63972 Redis redis1, redis2                [CLUSTER_REDIS_PORTS]
#   63981-63983 Redis Sentinels                     [CLUSTER_SENTINEL_PORTS]
# As root, every service runs as the system user kasus (created when
# missing); kasusd's parent stays root and its workers drop to kasus.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
action=${1:-status}

http_port=${CLUSTER_HTTP_PORT:-19710}
read -r -a node_ports <<<"${CLUSTER_NODE_PORTS:-19711 19712 19713}"
stats_port=${CLUSTER_STATS_PORT:-19719}
read -r -a rest_ports <<<"${CLUSTER_PATRONI_PORTS:-19721 19722}"
read -r etcd_port etcd_peer <<<"${CLUSTER_ETCD_PORTS:-19731 19732}"
read -r -a pg_ports <<<"${CLUSTER_PG_PORTS:-61471 61472}"
read -r -a redis_ports <<<"${CLUSTER_REDIS_PORTS:-63971 63972}"
read -r -a sentinel_ports <<<"${CLUSTER_SENTINEL_PORTS:-63981 63982 63983}"

dir=$here/var/cluster
pgbin=/usr/lib/postgresql/15/bin
kasusd=$here/build/release/kasusd
master_name=kasus

pg_hosts=$(printf '127.0.0.1,%.0s' "${pg_ports[@]}")
pg_hosts=${pg_hosts%,}
pg_portlist=$(IFS=,; echo "${pg_ports[*]}")
sentinels=$(printf '127.0.0.1:%s,' "${sentinel_ports[@]}")
sentinels=${sentinels%,}
db_app="host=$pg_hosts port=$pg_portlist dbname=kasus user=kasus_app target_session_attrs=read-write connect_timeout=2"
db_owner="host=$pg_hosts port=$pg_portlist dbname=kasus user=kasus_owner target_session_attrs=read-write connect_timeout=2"
db_super="host=$pg_hosts port=$pg_portlist dbname=kasus user=postgres target_session_attrs=read-write connect_timeout=2"

say() { echo "cluster: $*" >&2; }

. "$here/ops/lib.sh"

mkdirs() {
	mkdir -p "$@"
	[ "$(id -u)" -eq 0 ] && chown kasus "$@"
	chmod 700 "$@"
}

alive() {	# alive PIDFILE
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

wait_for() {	# wait_for SECONDS DESCRIPTION COMMAND...
	local t=$1 what=$2 i
	shift 2
	for i in $(seq $((t * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	say "$what did not come up in $t s"
	return 1
}

# Start a program in the background, in its own session, as kasus; the
# pid file holds the program's own pid (setsid and setpriv exec it).
spawn() {	# spawn PIDFILE LOGFILE PROGRAM ARGS...
	local pidf=$1 log=$2
	shift 2
	if [ "$(id -u)" -eq 0 ]; then
		setsid setpriv --reuid=kasus --regid=kasus --init-groups -- \
			"$@" >>"$log" 2>&1 </dev/null &
	else
		setsid "$@" >>"$log" 2>&1 </dev/null &
	fi
	echo $! >"$pidf"
}

secrets() {
	if [ ! -f "$dir/secrets" ]; then
		(umask 077; echo "KASUS_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$dir/secrets")
	fi
	# shellcheck disable=SC1091
	. "$dir/secrets"
	export KASUS_MASTER_KEY
}

write_env() {
	cat >"$dir/env" <<EOT
export KASUS_CLUSTER_URL=http://127.0.0.1:$http_port
export KASUS_CLUSTER_NODE_PORTS="${node_ports[*]}"
export KASUS_CLUSTER_PG_PORTS="${pg_ports[*]}"
export KASUS_CLUSTER_PATRONI_PORTS="${rest_ports[*]}"
export KASUS_CLUSTER_REDIS_PORTS="${redis_ports[*]}"
export KASUS_CLUSTER_SENTINEL_PORTS="${sentinel_ports[*]}"
export KASUS_CLUSTER_STATS_URL="http://127.0.0.1:$stats_port/;csv"
export KASUS_CLUSTER_DIR=$dir
export KASUS_DB_APP="$db_app"
export KASUS_DB_OWNER="$db_owner"
export KASUS_DB_SUPER="$db_super"
export KASUS_REDIS_SENTINELS=$sentinels
export KASUS_REDIS_MASTER=$master_name
EOT
}

# ------------------------------------------------------------------ etcd

start_etcd() {
	alive "$dir/etcd.pid" && return 0
	mkdirs "$dir/etcd"
	spawn "$dir/etcd.pid" "$dir/etcd.log" etcd --name e1 \
		--data-dir "$dir/etcd/data" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" \
		--advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-cluster "e1=http://127.0.0.1:$etcd_peer" \
		--initial-cluster-token kasus-local --initial-cluster-state new
	wait_for 30 etcd curl -sf "http://127.0.0.1:$etcd_port/health"
}

# ------------------------------------------------------ PostgreSQL (Patroni)

patroni_conf() {	# patroni_conf N
	local n=$1 i=$(($1 - 1)) d=$dir/pg$1
	cat >"$d/patroni.yml" <<EOT
scope: kasus
namespace: /kasus/
name: pg$n
restapi:
  listen: 127.0.0.1:${rest_ports[$i]}
  connect_address: 127.0.0.1:${rest_ports[$i]}
etcd3:
  host: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    # A dead primary's leader lock expires after ttl seconds; then the
    # synchronous standby takes over.
    ttl: 10
    loop_wait: 2
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    # Commits wait for the standby: an acknowledged write survives the
    # primary's loss. Alone, the primary goes on (not strict).
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
        shared_buffers: 128MB
        synchronous_commit: "on"
        archive_mode: always
        archive_timeout: 60
  initdb:
  - encoding: UTF8
  - locale: C.UTF-8
  - data-checksums
postgresql:
  listen: 127.0.0.1:${pg_ports[$i]}
  connect_address: 127.0.0.1:${pg_ports[$i]}
  data_dir: $d/data
  bin_dir: $pgbin
  pgpass: $d/pgpass
  use_unix_socket: true
  # A new replica copies the primary at once, not after a spread checkpoint.
  basebackup:
  - checkpoint: fast
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: $d/sock
    log_min_messages: warning
    # Both nodes archive what they have (always): what a killed primary
    # had not archived yet its standby already holds.
    archive_command: '$here/ops/backup.sh archive %p %f $dir/backup'
    restore_command: 'cp $dir/backup/wal/%f %p'
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOT
}

pg_up() {	# pg_up N: Patroni answers and PostgreSQL runs
	curl -sf "http://127.0.0.1:${rest_ports[$(($1 - 1))]}/health"
}

start_pg() {	# start_pg N
	local n=$1 d=$dir/pg$1
	alive "$d/patroni.pid" && return 0
	mkdirs "$d" "$d/sock" "$dir/backup" "$dir/backup/wal"
	patroni_conf "$n"
	# A postmaster left behind by a killed Patroni is Patroni's to
	# restart: end it first, as a crashed machine would have.
	if [ -f "$d/data/postmaster.pid" ]; then
		kill -9 "$(head -1 "$d/data/postmaster.pid")" 2>/dev/null || true
	fi
	spawn "$d/patroni.pid" "$d/patroni.log" patroni "$d/patroni.yml"
}

primary_port() {	# the PostgreSQL port of the current leader, or nothing
	local i
	for i in "${!rest_ports[@]}"; do
		if curl -sf -o /dev/null "http://127.0.0.1:${rest_ports[$i]}/primary"; then
			echo "${pg_ports[$i]}"
			return 0
		fi
	done
	return 1
}

create_db() {
	local p
	p=$(primary_port)
	as_kasus psql -h "$dir/pg$(pg_index "$p")/sock" -p "$p" -U postgres \
		-d postgres -qAt -v ON_ERROR_STOP=1 <"$here/ops/sql/roles.sql" >/dev/null
	if ! as_kasus psql -h 127.0.0.1 -p "$p" -U postgres -d postgres -qAt \
		-c "SELECT 1 FROM pg_database WHERE datname = 'kasus'" | grep -q 1; then
		as_kasus psql -h 127.0.0.1 -p "$p" -U postgres -d postgres -qAt \
			-v ON_ERROR_STOP=1 -c "CREATE DATABASE kasus OWNER kasus_owner" >/dev/null
		as_kasus psql -h 127.0.0.1 -p "$p" -U postgres -d kasus -qAt \
			-v ON_ERROR_STOP=1 <"$here/ops/sql/database.sql" >/dev/null
	fi
}

pg_index() {	# pg_index PORT -> node number
	local i
	for i in "${!pg_ports[@]}"; do
		[ "${pg_ports[$i]}" = "$1" ] && echo $((i + 1)) && return 0
	done
	return 1
}

# ---------------------------------------------------------- Redis, Sentinel

current_master_port() {	# what the sentinels say, or nothing
	local p
	for p in "${sentinel_ports[@]}"; do
		redis-cli -p "$p" --raw SENTINEL get-master-addr-by-name \
			"$master_name" 2>/dev/null | sed -n 2p | grep . && return 0
	done
	return 1
}

start_redis() {	# start_redis N
	local n=$1 d=$dir/redis$1 port=${redis_ports[$(($1 - 1))]} m
	alive "$d/redis.pid" && return 0
	mkdirs "$d"
	rm -f "$d/redis.pid"
	# The first master is redis1; later a restarted one joins whoever
	# the sentinels name, so it never comes back as a second master.
	m=$(current_master_port || true)
	[ -z "$m" ] && [ "$n" -ne 1 ] && m=${redis_ports[0]}
	[ "$m" = "$port" ] && m=
	as_kasus redis-server --bind 127.0.0.1 --port "$port" --dir "$d" \
		--daemonize yes --pidfile "$d/redis.pid" --logfile "$d/redis.log" \
		--save "" --appendonly no --protected-mode yes \
		${m:+--replicaof 127.0.0.1 "$m"}
	wait_for 10 "redis$n" redis-cli -p "$port" ping
}

start_sentinel() {	# start_sentinel N
	local n=$1 d=$dir/sentinel$1 port=${sentinel_ports[$(($1 - 1))]}
	alive "$d/sentinel.pid" && return 0
	mkdirs "$d"
	# Sentinel rewrites its file with what it learns; write it only once.
	if [ ! -f "$d/sentinel.conf" ]; then
		cat >"$d/sentinel.conf" <<EOT
bind 127.0.0.1
port $port
daemonize yes
pidfile $d/sentinel.pid
logfile $d/sentinel.log
dir $d
sentinel monitor $master_name 127.0.0.1 ${redis_ports[0]} 2
sentinel down-after-milliseconds $master_name 1000
sentinel failover-timeout $master_name 5000
sentinel parallel-syncs $master_name 1
EOT
		[ "$(id -u)" -eq 0 ] && chown kasus "$d/sentinel.conf"
	fi
	as_kasus redis-sentinel "$d/sentinel.conf"
	wait_for 10 "sentinel$n" redis-cli -p "$port" ping
}

# ------------------------------------------------------------- kasusd nodes

start_node() {	# start_node N
	local n=$1 d=$dir/node$1 port=${node_ports[$(($1 - 1))]}
	alive "$d/kasusd.pid" && return 0
	mkdir -p "$d"
	# shellcheck disable=SC2097,SC2098
	KASUS_ROOT=$here KASUS_PORT=$port KASUS_PIDFILE=$d/kasusd.pid \
	KASUS_DB_APP=$db_app KASUS_DB_OWNER=$db_owner \
	KASUS_REDIS_SENTINELS=$sentinels KASUS_REDIS_MASTER=$master_name \
	KASUS_REDIS_WAIT_REPLICAS=${KASUS_REDIS_WAIT_REPLICAS:-1} \
	KASUS_MODULE_DIR=$here/build/release/modules \
	KASUS_WORKERS=${KASUS_WORKERS:-1} \
		setsid "$kasusd" -c "$here/conf/kasus.conf" serve \
		>>"$d/kasusd.log" 2>&1 </dev/null &
	wait_for 30 "node$n" curl -sf -m 2 "http://127.0.0.1:$port/api/v1/ping"
}

# ---------------------------------------------------------------- HAProxy

haproxy_conf() {
	local i
	cat >"$dir/haproxy.cfg" <<EOT
global
	maxconn 4096
	pidfile $dir/haproxy.pid
	stats socket $dir/haproxy.sock mode 600 level admin

defaults
	mode http
	timeout connect 2s
	timeout client 60s
	timeout server 60s
	timeout http-request 10s
	timeout queue 5s
	# A request that never reached a node is sent to another one; one
	# that did is not repeated (a write may have committed).
	retries 3
	option redispatch 1
	retry-on conn-failure
	http-reuse never
	# Kasus's error shape, with a code the web application knows.
	errorfile 502 $here/ops/cluster/502.http
	errorfile 503 $here/ops/cluster/503.http
	errorfile 504 $here/ops/cluster/504.http

frontend kasus
	bind 127.0.0.1:$http_port
	default_backend nodes

backend nodes
	balance roundrobin
	# A node is in service while it answers /healthz at all: 503 there
	# means PostgreSQL or Redis, which every node shares, so taking the
	# node out would help nobody; the client gets kasusd's clear 503.
	option httpchk GET /healthz
	http-check expect rstatus ^(200|503)\$
	default-server inter 500ms fastinter 250ms downinter 1s fall 2 rise 2
EOT
	for i in "${!node_ports[@]}"; do
		printf '\tserver node%d 127.0.0.1:%s check\n' $((i + 1)) \
			"${node_ports[$i]}" >>"$dir/haproxy.cfg"
	done
	cat >>"$dir/haproxy.cfg" <<EOT

listen stats
	bind 127.0.0.1:$stats_port
	stats enable
	stats uri /
	stats refresh 5s
EOT
}

start_haproxy() {
	alive "$dir/haproxy.pid" && return 0
	haproxy_conf
	haproxy -c -q -f "$dir/haproxy.cfg"
	as_kasus haproxy -D -f "$dir/haproxy.cfg"
	wait_for 10 haproxy curl -sf -o /dev/null "http://127.0.0.1:$stats_port/"
}

# --------------------------------------------------------------- commands

start() {
	sh ops/bootstrap.sh
	make --no-print-directory VARIANT=release build/release/kasusd modules web
	# The services run as kasus and must reach var/cluster and the tree.
	ensure_kasus "$here"
	mkdirs "$dir"
	secrets
	write_env
	start_etcd
	start_pg 1
	wait_for 90 "the first PostgreSQL primary" primary_port
	start_pg 2
	create_db
	local i
	for i in "${!redis_ports[@]}"; do start_redis $((i + 1)); done
	for i in "${!sentinel_ports[@]}"; do start_sentinel $((i + 1)); done
	wait_for 90 "pg2" pg_up 2
	wait_for 90 "pg1" pg_up 1
	KASUS_DB_OWNER=$db_owner "$kasusd" -c conf/kasus.conf migrate
	KASUS_DB_OWNER=$db_owner "$kasusd" -c conf/kasus.conf seed-demo
	for i in "${!node_ports[@]}"; do start_node $((i + 1)); done
	start_haproxy
	wait_for 60 "a synchronous standby" sync_standby
	say "serving on http://127.0.0.1:$http_port (ops/cluster.sh status)"
}

sync_standby() {
	local p
	for p in "${rest_ports[@]}"; do
		curl -sf -o /dev/null "http://127.0.0.1:$p/sync" && return 0
	done
	return 1
}

stop_pidfile() {	# stop_pidfile FILE [SIGNAL]
	local f=$1 pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "-${2:-TERM}" "$pid" 2>/dev/null || true
		for i in $(seq 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

stop() {
	local n
	stop_pidfile "$dir/haproxy.pid" USR1
	for n in "$dir"/node*/kasusd.pid; do stop_pidfile "$n"; done
	for n in "$dir"/sentinel*/sentinel.pid "$dir"/redis*/redis.pid; do
		stop_pidfile "$n"
	done
	for n in "$dir"/pg*/patroni.pid; do stop_pidfile "$n"; done
	# Patroni stops its PostgreSQL; one it left behind is stopped here.
	for n in "$dir"/pg*/data; do
		[ -f "$n/postmaster.pid" ] &&
			as_kasus "$pgbin/pg_ctl" -D "$n" -m fast -w stop >/dev/null 2>&1 || true
	done
	stop_pidfile "$dir/etcd.pid"
	return 0
}

status() {
	local bad=0 i n p role state pid
	line() { printf '%-10s %-6s %-8s %-9s %s\n' "$@"; }
	line part port pid state role
	state=down; alive "$dir/etcd.pid" && curl -sf -o /dev/null \
		"http://127.0.0.1:$etcd_port/health" && state=up
	[ $state = up ] || bad=1
	line etcd "$etcd_port" "$(cat "$dir/etcd.pid" 2>/dev/null || echo -)" $state dcs
	for i in "${!pg_ports[@]}"; do
		n=$((i + 1)) p=${rest_ports[$i]} state=down role=-
		if curl -sf -o /dev/null "http://127.0.0.1:$p/health"; then
			state=up
			role=$(curl -s "http://127.0.0.1:$p/patroni" |
				sed -n 's/.*"role": *"\([a-z_]*\)".*/\1/p')
			curl -sf -o /dev/null "http://127.0.0.1:$p/sync" && role="$role (sync)"
		fi
		[ $state = up ] || bad=1
		line "pg$n" "${pg_ports[$i]}" "$(cat "$dir/pg$n/patroni.pid" 2>/dev/null || echo -)" $state "$role"
	done
	for i in "${!redis_ports[@]}"; do
		n=$((i + 1)) p=${redis_ports[$i]} state=down role=-
		if role=$(redis-cli -p "$p" --raw ROLE 2>/dev/null | head -1) && [ -n "$role" ]; then
			state=up
		else
			role=-
		fi
		[ $state = up ] || bad=1
		line "redis$n" "$p" "$(cat "$dir/redis$n/redis.pid" 2>/dev/null || echo -)" $state "$role"
	done
	for i in "${!sentinel_ports[@]}"; do
		n=$((i + 1)) p=${sentinel_ports[$i]} state=down
		redis-cli -p "$p" ping >/dev/null 2>&1 && state=up
		[ $state = up ] || bad=1
		line "sentinel$n" "$p" "$(cat "$dir/sentinel$n/sentinel.pid" 2>/dev/null || echo -)" $state \
			"master at $(current_master_port 2>/dev/null || echo '?')"
	done
	for i in "${!node_ports[@]}"; do
		n=$((i + 1)) p=${node_ports[$i]} state=down
		curl -sf -m 2 -o /dev/null "http://127.0.0.1:$p/api/v1/ping" && state=up
		[ $state = up ] || bad=1
		line "node$n" "$p" "$(cat "$dir/node$n/kasusd.pid" 2>/dev/null || echo -)" $state kasusd
	done
	state=down
	curl -sf -o /dev/null "http://127.0.0.1:$stats_port/" && state=up
	[ $state = up ] || bad=1
	line haproxy "$http_port" "$(cat "$dir/haproxy.pid" 2>/dev/null || echo -)" $state \
		"$(curl -s "http://127.0.0.1:$stats_port/;csv" 2>/dev/null |
			awk -F, '$1=="nodes" && $2!="BACKEND" {printf "%s:%s ", $2, $18}')"
	return $bad
}

case $action in
start)		start ;;
stop)		stop ;;
status)		status ;;
env)		write_env; cat "$dir/env" ;;
destroy)	stop; rm -rf "$dir" ;;
*) echo "usage: ops/cluster.sh start|stop|status|env|destroy" >&2; exit 2 ;;
esac
