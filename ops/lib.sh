# ops/lib.sh - shell functions the ops scripts share (sourced by bash).

# as_kasus CMD...: as root, run CMD as the system user kasus (PostgreSQL
# refuses root, and the cluster's services need no privileges); otherwise
# run it as it is.
as_kasus() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u kasus -- "$@"
	else
		"$@"
	fi
}

# ensure_kasus DIR: as root, create the system user kasus when missing and
# let it reach DIR through every folder above it.
ensure_kasus() {
	[ "$(id -u)" -eq 0 ] || return 0
	id kasus >/dev/null 2>&1 || useradd --system --no-create-home \
		--shell /usr/sbin/nologin kasus
	local d=$1
	while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
}
