#!/usr/bin/env bash
# make test-cluster: a fresh cluster on one machine (ops/cluster.sh), then
# the failure tests (a node, the PostgreSQL primary, the Redis master
# killed under load) and backup with point-in-time restore. The cluster is
# stopped at the end; var/cluster/ stays for a look at the logs.
# KASUS_TEST_ONLY="tests/cluster/x.test.mjs" runs only those files.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Many sign-ins from one address, and quicker password hashing.
export KASUS_LOGIN_MAX_IP=100000 KASUS_SCRYPT_LOG2N=14
bash ops/cluster.sh destroy >/dev/null 2>&1 || true
finish() {
	rc=$?
	trap - EXIT
	bash ops/cluster.sh status || true
	bash ops/cluster.sh stop
	[ $rc -eq 0 ] && echo "kasus: cluster tests passed" || echo "kasus: cluster tests FAILED" >&2
	exit $rc
}
trap finish EXIT
start=$(date +%s)
bash ops/cluster.sh start
echo "== cluster up in $(( $(date +%s) - start )) s"
bash ops/cluster.sh status
. var/cluster/env
echo "== failure tests, backup and restore"
# shellcheck disable=SC2086
node --test --test-concurrency=1 ${KASUS_TEST_ONLY:-tests/cluster/}
