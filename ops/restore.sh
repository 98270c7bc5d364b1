#!/usr/bin/env bash
# Point-in-time recovery from ops/backup.sh's backups into a new data
# directory, started as a stand-alone PostgreSQL on its own port (never
# into the running cluster: the operator checks the result, then points
# kasusd at it or rebuilds the cluster from it).
#
#   ops/restore.sh -t 'YYYY-MM-DD HH:MM:SS[.ffffff]+00' -D DATADIR \
#       [-b BACKUP_DIR] [-p PORT]
#
# Takes the newest base backup that was consistent before the target
# time, replays archived WAL up to the target (transactions that committed
# after it are not there), and promotes: the result takes writes. It
# archives nothing (archive_mode = off), so it cannot disturb the archive
# it came from. As root the server runs as the system user kasus.
#   ops/restore.sh stop -D DATADIR     stops such a server
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pgbin=/usr/lib/postgresql/15/bin
dir=${KASUS_BACKUP_DIR:-$here/var/cluster/backup}
port=61479
target=
data=

die() { echo "restore: $*" >&2; exit 1; }

. "$here/ops/lib.sh"

if [ "${1:-}" = stop ]; then
	shift
	while getopts "D:" o; do [ "$o" = D ] && data=$OPTARG; done
	[ -n "$data" ] || die "which data directory (-D)?"
	as_kasus "$pgbin/pg_ctl" -D "$data" -m fast -w stop
	exit 0
fi

while getopts "t:D:b:p:" o; do
	case $o in
	t) target=$OPTARG ;;
	D) data=$OPTARG ;;
	b) dir=$OPTARG ;;
	p) port=$OPTARG ;;
	*) die "usage: ops/restore.sh -t TIME -D DATADIR [-b BACKUP_DIR] [-p PORT]" ;;
	esac
done
[ -n "$target" ] && [ -n "$data" ] || die "usage: ops/restore.sh -t TIME -D DATADIR [-b BACKUP_DIR] [-p PORT]"
[ -e "$data" ] && [ -n "$(ls -A "$data" 2>/dev/null)" ] && die "$data is not empty"
# The target as PostgreSQL reads it, to compare with the backups' times.
tsec=$(date -u -d "$target" +%s) || die "cannot read the time $target"

base=
for b in $(ls -d "$dir"/base/*/ 2>/dev/null | sort); do
	[ -f "$b/stop_time" ] || continue
	[ "$(date -u -d "$(cat "$b/stop_time")" +%s)" -lt "$tsec" ] && base=$b
done
[ -n "$base" ] || die "no base backup in $dir/base was consistent before $target"
echo "restore: base backup $(basename "$base"), replaying WAL to $target" >&2

mkdir -p "$data"
tar -xzf "$base/base.tar.gz" -C "$data"
[ -f "$base/pg_wal.tar.gz" ] && tar -xzf "$base/pg_wal.tar.gz" -C "$data/pg_wal"
mkdir -p "$data/sock"
rm -f "$data/standby.signal" "$data/postmaster.pid"
# Whatever the source cluster (Patroni) configured: this server stands
# alone, on its own port, and archives nothing.
cat >>"$data/postgresql.auto.conf" <<EOT
# ops/restore.sh, $(date -u '+%Y-%m-%d %H:%M:%S+00')
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data/sock'
archive_mode = off
primary_conninfo = ''
primary_slot_name = ''
synchronous_standby_names = ''
hot_standby = on
restore_command = 'cp $dir/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
recovery_target_timeline = 'latest'
EOT
touch "$data/recovery.signal"
ensure_kasus "$data"
[ "$(id -u)" -eq 0 ] && chown -R kasus "$data"
chmod 700 "$data"
as_kasus "$pgbin/pg_ctl" -D "$data" -l "$data/restore.log" -w -t 300 start >/dev/null ||
	{ tail -20 "$data/restore.log" >&2; die "the restored server did not start"; }
# Recovery ends with the promotion; wait for it.
for _ in $(seq 600); do
	"$pgbin/pg_controldata" "$data" 2>/dev/null |
		grep -q '^Database cluster state: *in production' && break
	sleep 0.2
done
"$pgbin/pg_controldata" "$data" | grep -q '^Database cluster state: *in production' ||
	{ tail -20 "$data/restore.log" >&2; die "recovery did not reach $target"; }
echo "restore: done; PostgreSQL on 127.0.0.1:$port (ops/restore.sh stop -D $data)" >&2
