#!/usr/bin/env bash
# Backups of the PostgreSQL cluster: base backups plus continuous WAL
# archiving, so that ops/restore.sh can bring the database back to any
# moment after the oldest base backup kept.
#
#   ops/backup.sh base [-d CONNINFO] [-b DIR]
#       a base backup (tar, gzip, with the WAL it needs) from the primary
#       into DIR/base/<UTC time>/, with the time it became consistent in
#       DIR/base/<UTC time>/stop_time
#   ops/backup.sh archive PATH NAME [DIR]
#       PostgreSQL's archive_command: archive_command =
#       '/opt/kasus/app/ops/backup.sh archive %p %f /srv/kasus-backup'
#       copies the segment to DIR/wal/NAME (written aside, synced, then
#       renamed); a segment already there with the same content counts as
#       archived, one with other content is an error (never overwritten)
#   ops/backup.sh list [-b DIR]
#       base backups and the range of archived WAL
#   ops/backup.sh prune N [-b DIR]
#       keep the N newest base backups and the WAL they need
#
# DIR defaults to var/cluster/backup (the cluster on one machine) and
# CONNINFO to the cluster's read-write endpoint (var/cluster/env); a
# production host sets both (KASUS_BACKUP_DIR, KASUS_BACKUP_CONNINFO: a
# replication-capable role). Copy DIR off the machine, too.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
action=${1:-}
[ $# -gt 0 ] && shift

dir=${KASUS_BACKUP_DIR:-$here/var/cluster/backup}
conninfo=${KASUS_BACKUP_CONNINFO:-}

die() { echo "backup: $*" >&2; exit 1; }

opts() {
	while getopts "d:b:" o; do
		case $o in
		d) conninfo=$OPTARG ;;
		b) dir=$OPTARG ;;
		*) die "unknown option" ;;
		esac
	done
}

base() {
	opts "$@"
	if [ -z "$conninfo" ] && [ -f "$here/var/cluster/env" ]; then
		# shellcheck disable=SC1091
		. "$here/var/cluster/env"
		conninfo=$KASUS_DB_SUPER
	fi
	[ -n "$conninfo" ] || die "no database to back up (-d CONNINFO)"
	local stamp out
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	out=$dir/base/$stamp
	mkdir -p "$dir/base" "$dir/wal"
	[ -e "$out" ] && die "$out exists"
	# Fast checkpoint: start now; -X stream: the WAL of the backup's own
	# duration travels with it, so it restores even without the archive.
	pg_basebackup -d "$conninfo" -D "$out.part" -Ft -z -X stream \
		--checkpoint=fast -l "kasus $stamp" --no-password
	date -u '+%Y-%m-%d %H:%M:%S+00' >"$out.part/stop_time"
	mv "$out.part" "$out"
	echo "$out"
}

archive() {
	local path=${1:?path} name=${2:?name} tmp
	[ -n "${3:-}" ] && dir=$3
	mkdir -p "$dir/wal"
	if [ -f "$dir/wal/$name" ]; then
		# Both nodes archive (archive_mode = always): the same segment
		# twice is fine, a different one is not.
		cmp -s "$path" "$dir/wal/$name" && exit 0
		echo "backup: $dir/wal/$name exists with other content" >&2
		exit 1
	fi
	tmp=$dir/wal/.$name.$$
	cp "$path" "$tmp"
	sync "$tmp"
	mv "$tmp" "$dir/wal/$name"
}

list() {
	opts "$@"
	local b
	for b in "$dir"/base/*/; do
		[ -f "$b/stop_time" ] || continue
		printf 'base %s consistent at %s\n' "$(basename "$b")" "$(cat "$b/stop_time")"
	done
	# shellcheck disable=SC2012
	printf 'wal  %s segments, %s .. %s\n' \
		"$(ls "$dir/wal" 2>/dev/null | grep -c '^[0-9A-F]\{24\}$' || true)" \
		"$(ls "$dir/wal" 2>/dev/null | grep '^[0-9A-F]\{24\}$' | head -1)" \
		"$(ls "$dir/wal" 2>/dev/null | grep '^[0-9A-F]\{24\}$' | tail -1)"
}

prune() {
	local keep=${1:?how many base backups to keep}
	shift
	opts "$@"
	local all oldest label
	# shellcheck disable=SC2012
	all=$(ls -d "$dir"/base/*/ 2>/dev/null | sort)
	[ "$(echo "$all" | grep -c .)" -gt "$keep" ] || return 0
	echo "$all" | head -n -"$keep" | xargs rm -rf
	oldest=$(ls -d "$dir"/base/*/ | sort | head -1)
	# The first segment the oldest kept backup needs, from its label.
	label=$(tar -xzOf "$oldest/base.tar.gz" backup_label |
		sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p')
	[ -n "$label" ] && /usr/lib/postgresql/15/bin/pg_archivecleanup "$dir/wal" "$label"
}

case $action in
base)		base "$@" ;;
archive)	archive "$@" ;;
list)		list "$@" ;;
prune)		prune "$@" ;;
*) echo "usage: ops/backup.sh base|archive|list|prune (see the file)" >&2; exit 2 ;;
esac
