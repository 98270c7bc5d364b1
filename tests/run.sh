#!/usr/bin/env bash
# make test: the same set-up as make run, on separate ports and var/test/,
# with the AddressSanitizer/UBSan build; then every test:
#   unit tests (C), API, isolation and fault tests against the real server
#   over HTTP with real PostgreSQL and Redis, the platform smoke check.
# A sanitizer report from any process fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sh ops/bootstrap.sh
# KASUS_TEST_NO_WEB=1 skips the web build and browser tests (for quick
# runs while working on the server; CI never sets it).
web=web
[ -n "${KASUS_TEST_NO_WEB:-}" ] && web=
make --no-print-directory VARIANT=asan build/asan/kasusd unit modules web-deps $web
# make run's optimised build must compile too (-O2 finds other warnings).
make --no-print-directory VARIANT=release build/release/kasusd modules

san=$root/var/test/san
port=${KASUS_TEST_PORT:-18091}
export ASAN_OPTIONS="detect_leaks=1:log_path=$san/asan:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$san/ubsan"
export KASUS_ROOT=$root KASUS_DEMO=1 KASUS_PORT=$port
# The tests count days in the zone kasusd counts them in (timezone, by
# default Europe/Zurich): node's local date and psql's current_date.
export TZ=Europe/Zurich PGTZ=Europe/Zurich
export KASUS_SCRYPT_LOG2N=14 KASUS_LOGIN_MAX_IP=100000
# The sanitizer build is slow: the session cache test's two dozen reads
# over new connections must fit into the cache's time (1 s in production).
export KASUS_SESSION_CACHE_MS=3000
# The tests reach the server from loopback; 127.0.0.1 stands in for a
# load balancer (X-Forwarded-For names the client), 127.0.0.2 for a
# client whose header is not believed.
export KASUS_TRUSTED_PROXIES=127.0.0.1
# Scheduled jobs: every worker asks for the current period every 2 s (60
# by default), so that tests see several schedulers race for one job.
export KASUS_JOB_SCHEDULE_S=2
KASUS_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export KASUS_MASTER_KEY
export KASUS_PIDFILE=$root/var/test/kasusd.pid
# Audit seals every half second (tests wait for them) and their anchors
# beside this run's database.
export KASUS_AUDIT_ANCHOR_DIR=$root/var/test/audit KASUS_AUDIT_SEAL_MS=500
# Value keys of protected fields (core/lib/datakey.c) beside them.
export KASUS_KEY_DIR=$root/var/test/keys
# The test build writes the payment run whose message id this file holds
# with an element the bank schema refuses (payrun.c, test_break).
export KASUS_TEST_PAIN_BREAK=$root/var/test/pain-break
export KASUS_URL=http://127.0.0.1:$port KASUS_PROFILE=test
# The loader's fixtures: echo loads; the other three must be refused.
export KASUS_MODULES=echo,badabi,dupname,initfail,sozialhilfe,alimente
export KASUS_MODULE_DIR=$root/build/asan/modules

# Every run starts from the seeded demo canton: a fresh cluster, or with
# KASUS_TEST_KEEP (make check) the running PostgreSQL and Redis of the
# last run with a new database and an empty Redis; they then stay up.
if [ -n "${KASUS_TEST_KEEP:-}" ] && bash ops/services.sh test reset; then
	echo "== reusing the running test services (database recreated)"
	rm -rf var/test/san var/test/keys var/test/audit var/test/smoke \
		var/test/kasusd.log var/test/kasusd.pid var/test/pain-break
else
	bash ops/services.sh test stop
	rm -rf var/test
	bash ops/services.sh test start
fi
. var/test/env
mkdir -p "$san" tests/artifacts
# Workers run as kasus (when started as root) and write their reports here.
[ "$(id -u)" -eq 0 ] && chown kasus "$san"

pid=
finish() {
	rc=$?
	trap - EXIT
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	[ -n "${KASUS_TEST_KEEP:-}" ] || bash ops/services.sh test stop
	if ls "$san"/* >/dev/null 2>&1; then
		echo "sanitizer reports:" >&2
		cat "$san"/* >&2
		rc=1
	fi
	[ $rc -eq 0 ] && echo "kasus: all tests passed" || echo "kasus: tests FAILED" >&2
	exit $rc
}
trap finish EXIT

echo "== unit tests"
for t in build/asan/unit/test_*; do
	[ -x "$t" ] || continue
	echo "-- $t"
	"$t"
done

echo "== rule packs under plain Lua (examples, property tests)"
lua5.4 tests/rules/run.lua plugins/*

echo "== migrations and demo seed"
build/asan/kasusd migrate
build/asan/kasusd migrate		# a second run applies nothing
build/asan/kasusd seed-demo
build/asan/kasusd seed-demo		# and seeding twice changes nothing

echo "== server"
if curl -s -m 2 -o /dev/null "$KASUS_URL/healthz"; then
	echo "port $port is already in use; stop what runs there" >&2
	exit 1
fi
build/asan/kasusd serve >var/test/kasusd.log 2>&1 &
pid=$!
for _ in $(seq 100); do
	curl -sf -m 2 "$KASUS_URL/healthz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -sf -m 2 "$KASUS_URL/healthz" >/dev/null || {
	echo "server did not come up:" >&2; tail -20 var/test/kasusd.log >&2; exit 1; }

# KASUS_TEST_ONLY="tests/api/x.test.mjs ..." runs only those files (quick
# runs while working; CI never sets it).
if [ -n "${KASUS_TEST_ONLY:-}" ]; then
	echo "== only: $KASUS_TEST_ONLY"
	# shellcheck disable=SC2086
	node --test --test-concurrency=1 $KASUS_TEST_ONLY
	exit 0
fi

echo "== API, isolation, fault and ops tests"
node --test --test-concurrency=1 tests/api/ tests/ops/

if [ -d tests/browser ] && [ -n "$web" ]; then
	echo "== browser tests (Chromium, Playwright)"
	node --test --test-concurrency=1 tests/browser/
fi

if [ -f ../shared/checks/smoke.sh ]; then
	echo "== platform smoke check"
	KS_PORT=$port KS_TMP=$root/var/test/smoke bash ../shared/checks/smoke.sh
fi
