#!/usr/bin/env bash
# Benchmarks with ratios against their baselines (make bench).
#
#   bare      tests/bench/hello.c: libmicrohttpd alone (its own threading:
#             see there)
#   trivial   kasusd GET /api/v1/ping: routing, headers, access log; no
#             database, no Redis
#   authread  kasusd GET /api/v1/admin/users/{id} as thun/admin: session
#             lookup in Redis, one read in PostgreSQL under RLS
#   pgbench   pgbench -S -M prepared on the same PostgreSQL
#   bareblock tests/bench/bareread.c block: the authenticated read's one
#             statement behind libmicrohttpd and libpq alone, a worker
#             per CPU waiting for PostgreSQL as kasusd's do (no ratio
#             target: where kasusd's own work stands)
#   barepipe  the same in an event loop, statements pipelined (what the
#             event-loop design would give)
#
# wrk and pgbench use 64 connections and 2 threads each, BENCH_SECONDS
# (default 10) per measurement. Every measure that a ratio uses runs in
# BENCH_ROUNDS (default 3) rounds, each round measuring both sides of
# each ratio one after the other; the table shows each measure's median
# and each ratio is the median of its rounds' ratios (one run on a shared
# machine moves by 10 % or more). Figures go to stdout and to
# build/bench/results.txt. Services come from ops/services.sh bench (own
# ports, var/bench/), and are stopped at the end.
#
# BENCH_ONLY="trivial auth dossier" runs only the named groups (default
# all): trivial (bare, trivial), auth (authread, pgbench), rules
# (resolve, evaluate, rule evaluations in one thread), pay (payment
# runs), search (person search, the bare query), dossier (the audited
# dossier read; its ratio also needs auth), ah (Alimentenhilfe: the
# monthly advance run, a camt.054 of debtor payments, one dossier's
# arrears statement; tests/bench/alimente.sql).
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
conns=64
threads=2
# Two checkouts benchmarking side by side: KASUS_BENCH_PORT (the bare
# server takes the next one) and KASUS_BENCH_PG_PORT/_REDIS_PORT
# (ops/services.sh); with only the test ports exported (KASUS_TEST_PORT
# etc.), the bench takes each of them plus 5.
if [ -n "${KASUS_TEST_PORT:-}" ]; then
	: "${KASUS_BENCH_PORT:=$((KASUS_TEST_PORT + 5))}"
	: "${KASUS_BENCH_PG_PORT:=$((${KASUS_TEST_PG_PORT:-61330} + 5))}"
	: "${KASUS_BENCH_REDIS_PORT:=$((${KASUS_TEST_REDIS_PORT:-63800} + 5))}"
	export KASUS_BENCH_PG_PORT KASUS_BENCH_REDIS_PORT
fi
kport=${KASUS_BENCH_PORT:-18190}
hport=$((kport + 1))
bport=$((kport + 2))	# bareread block; pipe on the next one
out=build/bench
pgbin=/usr/lib/postgresql/15/bin
mkdir -p "$out"
res=$out/results.txt

kpid=
hpid=
bpids=
cleanup() {
	local rc=$? p
	set +e
	for p in $kpid $hpid $bpids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	bash ops/services.sh bench stop
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

only=" ${BENCH_ONLY:-trivial auth rules pay search dossier ah} "
want() { [[ $only == *" $1 "* ]]; }

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# A fresh machine has none of the bench's programs: the same set-up as
# make run and make test (installs only what is missing).
sh ops/bootstrap.sh
for t in wrk curl jq psql "$pgbin/pgbench" pkg-config awk sort node; do
	command -v "$t" >/dev/null || die "$t is missing (sh ops/bootstrap.sh)"
done

# 64 connections on each side plus the server's own descriptors.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 1024 ] ||
		die "open-file limit $(ulimit -n) is too low for $conns connections"
fi

say "services"
bash ops/services.sh bench start
# shellcheck disable=SC1091
. var/bench/env
# The deployment as make run has it: the domain modules, a master key.
export KASUS_MODULES=sozialhilfe,alimente KASUS_MODULE_DIR=$PWD/build/release/modules
export KASUS_ROOT=$PWD KASUS_MASTER_KEY=${KASUS_MASTER_KEY:-$(printf '%064x' 4242)}
export KASUS_AUDIT_ANCHOR_DIR=$PWD/var/bench/audit

say "build"
make -s VARIANT=release build/release/kasusd modules >&2
read -ra mhd <<<"$(pkg-config --cflags --libs libmicrohttpd)"
make -s VARIANT=release build/release/bench/rules_eval >&2
cc -O2 -Wall -Wextra -Werror -std=gnu11 -o "$out/hello" tests/bench/hello.c \
	"${mhd[@]}" -lpthread
read -ra pq <<<"$(pkg-config --cflags --libs libpq)"
cc -O2 -Wall -Wextra -Werror -std=gnu11 -o "$out/bareread" \
	tests/bench/bareread.c "${mhd[@]}" "${pq[@]}"

say "database"
build/release/kasusd migrate 2>>"$out/kasusd.log"
KASUS_DEMO=1 build/release/kasusd seed-demo 2>>"$out/kasusd.log"

# pgbench's own database, scale 10 (1M accounts), made once per var/bench.
super_user=$(sed -n 's/.*user=\([^ ]*\).*/\1/p' <<<"$KASUS_DB_SUPER")
pgb_conn="host=127.0.0.1 port=$KASUS_PG_PORT dbname=bench user=$super_user"
if [ "$(psql "$KASUS_DB_SUPER" -qAtc \
	"SELECT 1 FROM pg_database WHERE datname = 'bench'")" != 1 ]; then
	psql "$KASUS_DB_SUPER" -qAt -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE bench OWNER $super_user" >/dev/null
fi
if [ "$(psql "$pgb_conn" -qAtc 'SELECT count(*) FROM pgbench_branches' \
	2>/dev/null || true)" != 10 ]; then
	say "pgbench -i -s 10"
	"$pgbin/pgbench" -i -q -s 10 "$pgb_conn" >"$out/pgbench-init.log" 2>&1 ||
		{ cat "$out/pgbench-init.log" >&2; die "pgbench -i failed"; }
fi

say "servers"
"$out/hello" "$hport" &
hpid=$!
# Access logging stays on (info), as in production, into a file.
KASUS_PORT=$kport KASUS_LOG_LEVEL=info build/release/kasusd serve \
	2>"$out/kasusd.log" &
kpid=$!
base=http://127.0.0.1:$kport
for _ in $(seq 100); do
	curl -fs -o /dev/null "$base/healthz" && break
	kill -0 "$kpid" 2>/dev/null || die "kasusd ended; see $out/kasusd.log"
	sleep 0.1
done
curl -fs -o /dev/null "$base/healthz" ||
	die "kasusd not healthy after 10 s: $(curl -s "$base/healthz")"
curl -fs -o /dev/null "http://127.0.0.1:$hport/" || die "hello does not answer"

ping=/api/v1/ping
if [ "$(curl -s "$base$ping")" != '{"pong":true}' ]; then
	say "GET $ping is missing; the trivial route is /healthz (uses the database and Redis)"
	ping=/healthz
fi

# Log in as the demo admin of Thun; the session cookie and user id.
hdrs=$(mktemp)
body=$(curl -s -D "$hdrs" -H 'Content-Type: application/json' \
	-d '{"tenant":"thun","username":"admin","password":"kasus-demo"}' \
	"$base/api/v1/session")
cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: *\(ks_session=[0-9a-f]*\).*/\1/p' "$hdrs" |
	tr -d '\r')
rm -f "$hdrs"
uid=$(jq -r '.user.id // empty' <<<"$body" 2>/dev/null || true)
csrf=$(jq -r '.csrf_token // empty' <<<"$body" 2>/dev/null || true)
if [ -z "$cookie" ] || [ -z "$uid" ]; then
	die "login as thun/admin failed: $body"
fi
read_url=$base/api/v1/admin/users/$uid
code=$(curl -s -o "$out/authread.json" -w '%{http_code}' -H "Cookie: $cookie" \
	"$read_url")
[ "$code" = 200 ] || die "GET $read_url gave $code: $(cat "$out/authread.json")"

# The same read without kasusd, both designs, as many workers as kasusd
# has (one per CPU), the same user of the same tenant.
thun=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT id FROM tenant WHERE slug = 'thun'")
bare_url=http://127.0.0.1:$bport/api/v1/admin/users/$uid
pipe_url=http://127.0.0.1:$((bport + 1))/api/v1/admin/users/$uid
for m in block pipe; do
	want auth || break
	p=$bport
	[ "$m" = block ] || p=$((bport + 1))
	"$out/bareread" "$p" "$m" "$(nproc)" "$thun" "$uid" &
	bpids="$bpids $!"
	for _ in $(seq 50); do
		curl -fs -o /dev/null "http://127.0.0.1:$p/api/v1/admin/users/$uid" &&
			break
		sleep 0.1
	done
	[ "$(curl -s "http://127.0.0.1:$p/api/v1/admin/users/$uid" |
		jq -r .username)" = "$(jq -r .username "$out/authread.json")" ] ||
		die "bareread $m does not answer the read"
done

# wrk NAME URL [header]: prints "rps p50_ms p99_ms"; fails on any error.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000
		else if (u == "m") n *= 60000
		printf "%.3f", n }'
}
run_wrk() {
	local name=$1 url=$2 log=$out/wrk-$1.txt rps p50 p99 bad
	shift 2
	say "wrk $name ($secs s)"
	wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$url" >"$log"
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$log")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$log")
	if [ -n "$bad" ] || grep -q 'Socket errors' "$log"; then
		say "$name: errors during the run:"
		grep -E 'Non-2xx|Socket errors' "$log" >&2
		echo "$name $rps $p50 $p99 ERRORS" >>"$out/raw"
	else
		echo "$name $rps $p50 $p99" >>"$out/raw"
	fi
}

: >"$out/raw"

# Rules: a request that evaluates the budget pack against one that only
# resolves which pack applies (same session, same resolution query).
jq -c '{pack: "skos-budget", function: "budget", date: "2025-06-01",
	input: .examples[0].input}' plugins/skos-budget/pack.json >"$out/eval.json"
code=$(BENCH_BODY=$out/eval.json curl -s -o "$out/eval.out" -w '%{http_code}' \
	-H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" \
	-H 'Content-Type: application/json' --data-binary @"$out/eval.json" \
	"$base/api/v1/rules/evaluate")
[ "$code" = 200 ] || die "POST /api/v1/rules/evaluate gave $code: $(cat "$out/eval.out")"
# p50 and p99 in ms of the transactions in pgbench's logs (-l; third
# column, microseconds).
pgbench_latencies() {
	cat "$out"/pgbench_log.* | awk '{ print $3 }' | sort -n |
		awk '{ v[NR] = $1 } END {
		i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
		i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
		printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }'
}
pg_select() {	# NAME: pgbench -S -M prepared, "NAME tps p50 p99" to raw
	local tps p50 p99
	say "pgbench -S -M prepared $1 ($secs s)"
	rm -f "$out"/pgbench_log.*
	(cd "$out" && "$pgbin/pgbench" -S -M prepared -c "$conns" \
		-j "$threads" -T "$secs" -n -l "$pgb_conn") \
		>"$out/pgbench.txt" 2>&1 ||
		{ cat "$out/pgbench.txt" >&2; die "pgbench failed"; }
	tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out/pgbench.txt" |
		head -n 1)
	# Per-transaction latencies (third column, microseconds).
	read -r p50 p99 < <(pgbench_latencies)
	rm -f "$out"/pgbench_log.*
	echo "$1 $tps $p50 $p99" >>"$out/raw"
}

# ---------------------------------------------------------------- scale
# A canton-scale data set (tests/bench/scale.sql, made once per var/bench):
# payment runs for the big tenant and for all, against a COPY of the same
# payment rows; person search and a dossier read against the bare query.
tenants=${BENCH_TENANTS:-60}
persons=${BENCH_PERSONS:-150000}
dossiers=${BENCH_DOSSIERS:-80000}
big=${BENCH_BIG:-20000}
if { want pay || want search || want dossier; } &&
	[ "$(psql "$KASUS_DB_OWNER" -qAtc "SELECT count(*) FROM tenant WHERE slug = 'bench-big'")" != 1 ]; then
	say "canton-scale data: $tenants tenants, $persons persons, $dossiers dossiers"
	psql "$KASUS_DB_OWNER" -q -1 -v tenants="$tenants" -v persons="$persons" \
		-v dossiers="$dossiers" -v big="$big" -f tests/bench/scale.sql \
		>"$out/scale.log" 2>&1 || { cat "$out/scale.log" >&2; die "scale.sql failed"; }
fi
# Every bench service pays from an account (as the demo services do).
psql "$KASUS_DB_OWNER" -qAtc "INSERT INTO payment_account (tenant_id, name,
	iban, street, house_no, postcode, town, country, updated_by)
	SELECT id, name, 'CH9300762011623852957', 'Bahnhofstrasse', '1', '3600',
	'Thun', 'CH', 0 FROM tenant WHERE slug LIKE 'bench-%'
	ON CONFLICT (tenant_id) DO NOTHING" >/dev/null
bench_login() {	# tenant user -> "cookie csrf"
	local h b
	h=$(mktemp)
	b=$(curl -s -D "$h" -H 'Content-Type: application/json' \
		-d "{\"tenant\":\"$1\",\"username\":\"$2\",\"password\":\"kasus-demo\"}" \
		"$base/api/v1/session")
	printf '%s %s\n' "$(sed -n 's/^[Ss]et-[Cc]ookie: *\(ks_session=[0-9a-f]*\).*/\1/p' "$h" | tr -d '\r')" \
		"$(jq -r '.csrf_token // empty' <<<"$b")"
	rm -f "$h"
}
# The audited dossier read and the person search run as bench-big's case
# worker; the bare search query with the tenant set as a session setting.
read -r cwc cwcsrf < <(bench_login bench-big caseworker)
# The dossier read reads 2,000 of bench-big's dossiers in turn
# (tests/bench/paths.lua), as a service's case workers open many: each
# one's stored answer is computed on its first read (migration 0045) and
# the same dossier is read again only after the 1,999 others.
psql "$KASUS_DB_OWNER" -qAtc "SELECT '/api/v1/cases/' || d.id FROM dossier d JOIN tenant t ON t.id = d.tenant_id WHERE t.slug = 'bench-big' ORDER BY d.id LIMIT 2000 OFFSET 777" >"$out/dossier-paths.txt"
big_tid=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT id FROM tenant WHERE slug = 'bench-big'")

# The server schedules its daily jobs for each tenant (every
# job_schedule_s, 60 s; on a new data set the review reminders of 80,000
# dossiers, minutes of work). Every measure runs on an idle server: the
# jobs would share the two cores and the database with one side of a
# ratio and not the other (on a fresh data set they ran for minutes
# through the rounds of the authenticated and the dossier read), and a
# payment run's jobs would queue behind them. Wait until each bench
# tenant has today's reminders job (at most 90 s) and no job is queued
# or running (at most 15 minutes).
jobs_idle() {
	say "waiting for the daily jobs the server schedules"
	for _ in $(seq 180); do
		[ "$(psql "$KASUS_DB_OWNER" -qAtc "SELECT count(*) FROM tenant t
			WHERE t.slug LIKE 'bench-%' AND NOT EXISTS (SELECT 1 FROM job j
			WHERE j.tenant_id = t.id AND j.type = 'sozialhilfe.review_reminders'
			AND j.created_at > now() - interval '20 hours')")" = 0 ] && break
		sleep 0.5
	done
	for _ in $(seq 1800); do
		[ "$(psql "$KASUS_DB_OWNER" -qAtc "SELECT count(*) FROM job
			WHERE state IN ('queued', 'running')")" = 0 ] && break
		sleep 0.5
	done
}
jobs_idle

# The trivial pair: both servers first answer a warm-up that is not
# counted (first connections, pages of each connection's memory, the
# kept ping answer of each thread), and the side that goes first
# alternates from round to round, so that neither side always runs
# right after the other's load or right after the warm-up.
if want trivial; then
	say "warm-up of the trivial pair (2 s each, not counted)"
	wrk -t"$threads" -c"$conns" -d2s "http://127.0.0.1:$hport/" >/dev/null
	wrk -t"$threads" -c"$conns" -d2s "$base$ping" >/dev/null
fi

# Worker memory after each group (build/bench/rss-steps.txt): which part
# of the run leaves a worker large.
: >"$out/rss-steps.txt"
rss_mark() {	# label
	local w
	w=$(for f in /proc/[0-9]*/status; do
		awk -v k="$kpid" '/^Pid:/ { p = $2 } /^PPid:/ { pp = $2 }
			/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
			END { if (pp == k) printf "worker %s %.1f MiB (peak %.1f); ",
			      p, r / 1024, h / 1024 }' "$f" 2>/dev/null || true
	done)
	echo "after $1: $w" >>"$out/rss-steps.txt"
}
rss_mark "the start and the daily jobs"

# Rounds: each ratio's two sides one after the other (name#round).
for k in $(seq "$rounds"); do
	say "round $k of $rounds"
	if want trivial && [ $((k % 2)) = 1 ]; then
		run_wrk "bare#$k" "http://127.0.0.1:$hport/"
		run_wrk "trivial#$k" "$base$ping"
	elif want trivial; then
		run_wrk "trivial#$k" "$base$ping"
		run_wrk "bare#$k" "http://127.0.0.1:$hport/"
	fi
	if want auth; then
		run_wrk "authread#$k" "$read_url" -H "Cookie: $cookie"
		pg_select "pgbench#$k"
		run_wrk "bareblock#$k" "$bare_url"
		run_wrk "barepipe#$k" "$pipe_url"
	fi
	# Right after the authenticated read its ratio is taken against.
	want dossier &&
		BENCH_PATHS=$out/dossier-paths.txt BENCH_COOKIE=$cwc \
			run_wrk "dossier#$k" "$base/" -s tests/bench/paths.lua
	if want rules; then
		run_wrk "resolve#$k" \
			"$base/api/v1/rules/resolve?name=skos-budget&date=2025-06-01" \
			-H "Cookie: $cookie"
		BENCH_BODY=$out/eval.json BENCH_COOKIE=$cookie BENCH_CSRF=$csrf \
			run_wrk "evaluate#$k" "$base/api/v1/rules/evaluate" \
			-s tests/bench/post.lua
	fi
done
rss_mark "the request rounds"
evals=n/a
if want rules; then
	say "rule evaluations in one thread (3 s)"
	evals=$(build/release/bench/rules_eval plugins/skos-budget 3)
fi

# The job a route started (its 202 answer in $2), followed until it
# ended: 0 with the job's last answer in job_json, or 1. The server
# answers once the job has ended (?wait=10; a server without it answers
# at once, and this asks again every 100 ms: polling more often spawns
# curl often enough to slow the server on 2 cores). The answers are read
# by bash's own regular expressions, not by jq processes.
job_wait() {	# cookie 202-answer
	local id st i
	job_json=$2
	[[ $2 =~ \"id\":([0-9]+) ]] || { echo "no job: $2" >&2; return 1; }
	id=${BASH_REMATCH[1]}
	i=0
	while [ "$i" -lt 6000 ]; do
		i=$((i + 1))
		job_json=$(curl -s -H "Cookie: $1" "$base/api/v1/jobs/$id?wait=10")
		st=
		[[ $job_json =~ \"state\":\"([a-z]+)\" ]] && st=${BASH_REMATCH[1]}
		case $st in
		done)	return 0 ;;
		failed|dead) echo "job $id $st: $job_json" >&2; return 1 ;;
		esac
		sleep 0.1
	done
	echo "job $id did not end" >&2
	return 1
}
# The same with the 202 answer on stdin: prints the job's result.
job_result() {	# cookie
	job_wait "$1" "$(cat)" && jq -c .result <<<"$job_json"
}
# Payment runs, one tenant after the other (tests/bench/payruns.mjs: the
# same requests from one process; curl and jq per step cost a small run
# more than its jobs): create (accounting; a job computes it), approve
# (team lead), export (a job books it), the file. Prints "seconds run_id
# lines" per tenant; the steps go to build/bench/payrun-steps.txt.
pay_clients=1	# BENCH_CLIENTS of payruns.mjs
pay_steps=payrun-steps.txt
pay_runs() {	# month tenant...
	local m=$1
	shift
	BENCH_OUT=$out BENCH_CLIENTS=$pay_clients node tests/bench/payruns.mjs "$base" "$m" "$@" |
	while read -r t s id n c a e f; do
		echo "$t $n lines: compute $c approve $a export $e file $f" \
			>>"$out/$pay_steps"
		echo "$s $id $n"
	done
	[ "${PIPESTATUS[0]}" = 0 ] || die "payment runs for $* failed"
}
# The baseline of the payment runs (the lead's decision of 2026-12-05):
# the write a run has to do at the least, a COPY *in* of the run's
# payment_line rows into a fresh logged table made LIKE payment_line
# INCLUDING ALL with the same foreign keys, committed. The rows are
# fetched as text before timing (the generated end_to_end_id is made
# again by the table); timed in the server's clock from the COPY's start
# to its commit; the table is dropped. Three times, each into a fresh
# table: the median (one COPY moved by 2x from run to run).
checkpoint() { psql "$KASUS_DB_SUPER" -qAtc CHECKPOINT; }
copy_in_s() {	# run ids [streams]
	local f cols k j n=${2:-1}
	f=$out/copy-in.txt
	cols=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT string_agg(quote_ident(attname),
		', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid =
		'payment_line'::regclass AND attnum > 0 AND NOT attisdropped
		AND attgenerated = ''")
	psql "$KASUS_DB_OWNER" -qAtc "COPY (SELECT $cols FROM payment_line
		WHERE run_id IN ($1)) TO STDOUT" >"$f"
	# With several streams each copies every n-th row in a session of
	# its own, all at once; timed from the first one's start to the last
	# one's commit, in the server's clock.
	awk -v n="$n" -v f="$f" '{ print > (f "." (NR % n)) }' "$f"
	for k in 1 2 3; do
		checkpoint
		psql "$KASUS_DB_OWNER" -qAt -v ON_ERROR_STOP=1 <<-SQL || die "COPY in failed"
			SET client_min_messages TO warning;
			DROP TABLE IF EXISTS bench_copy_in;
			CREATE TABLE bench_copy_in (LIKE payment_line INCLUDING ALL);
			SELECT format('ALTER TABLE bench_copy_in ADD %s',
			    pg_get_constraintdef(oid)) FROM pg_constraint
			    WHERE conrelid = 'payment_line'::regclass AND contype = 'f'
			    ORDER BY conname \gexec
		SQL
		for j in $(seq 0 $((n - 1))); do
			psql "$KASUS_DB_OWNER" -qAt -v ON_ERROR_STOP=1 <<-SQL &
				SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
				BEGIN;
				\copy bench_copy_in ($cols) FROM '$f.$j'
				COMMIT;
				SELECT :t0, extract(epoch FROM clock_timestamp());
			SQL
		done | awk -F'|' -v n="$n" 'NR == 1 || $1 < a { a = $1 } NR == 1 || $2 > b { b = $2 }
			END { if (NR == n) printf "%.3f\n", b - a
			      else print "bench: a COPY in failed" > "/dev/stderr" }'
		# awk ends when the last stream has ended (its output closed)
		psql "$KASUS_DB_OWNER" -qAtc "DROP TABLE bench_copy_in"
	done | median
	rm -f "$f" "$f".*
}
copy_s() {	# the same payment rows, COPY out of PostgreSQL (an extra line)
	local t0
	t0=$(date +%s.%N)
	psql "$KASUS_DB_OWNER" -qAtc "COPY (SELECT * FROM payment_line WHERE run_id IN ($1)) TO STDOUT" >/dev/null
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'
}
if want pay; then
# The month after the last one paid in an earlier run on this data set;
# each round pays the next month (a month's run, once approved, cannot
# be repeated), so the ratios are medians of BENCH_ROUNDS rounds as the
# others are (the first round is also the first run of the server's
# connections and of PostgreSQL's buffers since its start).
month0=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT to_char(coalesce(max(r.month)
	+ interval '1 month', date '2030-01-01'), 'YYYY-MM') FROM payment_run r
	JOIN tenant t ON t.id = r.tenant_id WHERE t.slug LIKE 'bench-%'")
jobs_idle
: >"$out/payrun-steps.txt"
for k in $(seq "$rounds"); do
	month=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT to_char(date '$month0-01'
		+ ($k - 1) * interval '1 month', 'YYYY-MM')")
	say "payment run for bench-big ($month), round $k of $rounds"
	# Each side of the ratio starts after a checkpoint: neither pays for
	# one the other's writes started (one that ran through the COPYs made
	# them take 3.4 s instead of 0.4), and the COPY in of bench-big's rows
	# comes right after its run, in the same minute.
	checkpoint
	read -r big_s big_id big_n < <(pay_runs "$month" bench-big)
	[ -n "$big_n" ] || die "the payment run of bench-big failed"
	big_in=$(copy_in_s "$big_id")
	say "payment runs for all bench tenants ($month)"
	all_s=$big_s all_n=$big_n ids=$big_id
	while read -r s id n; do
		all_s=$(awk -v a="$all_s" -v b="$s" 'BEGIN { printf "%.3f", a + b }')
		all_n=$((all_n + n))
		ids="$ids,$id"
	done < <(pay_runs "$month" $(psql "$KASUS_DB_OWNER" -qAtc "SELECT slug FROM tenant WHERE slug LIKE 'bench-0%' ORDER BY slug"))
	[ "$ids" != "$big_id" ] || die "the payment runs of the other tenants failed"
	big_copy=$(copy_s "$big_id")
	all_copy=$(copy_s "$ids")
	all_in=$(copy_in_s "$ids")
	echo "runbig#$k $big_s $big_n $big_in $big_copy" >>"$out/raw"
	echo "runall#$k $all_s $all_n $all_in $all_copy" >>"$out/raw"
done
# BENCH_PAY_CLIENTS=K (K > 1, not by default): besides, all services'
# runs by K clients at once, as a canton's services pay at the month's
# end, in the months after the rounds', against the COPY in of their rows
# by K streams at once and by one. Not a target's figure: whether paying
# at once changes the ratio (2026-12-06: it did not, see the README).
if [ "${BENCH_PAY_CLIENTS:-1}" -gt 1 ]; then
	pay_clients=$BENCH_PAY_CLIENTS pay_steps=payrun-steps-at-once.txt
	: >"$out/$pay_steps"
	for k in $(seq "$rounds"); do
		month=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT to_char(date '$month0-01'
			+ ($rounds + $k - 1) * interval '1 month', 'YYYY-MM')")
		say "payment runs for all bench tenants, $pay_clients clients at once ($month)"
		checkpoint
		rm -f "$out/payruns-wall.txt"
		conc_n=0 ids=
		while read -r s id n; do
			conc_n=$((conc_n + n))
			ids="$ids${ids:+,}$id"
		done < <(pay_runs "$month" $(psql "$KASUS_DB_OWNER" -qAtc "SELECT slug FROM tenant WHERE slug = 'bench-big' OR slug LIKE 'bench-0%' ORDER BY slug"))
		[ -s "$out/payruns-wall.txt" ] || die "the concurrent payment runs failed"
		echo "runconc#$k $(cat "$out/payruns-wall.txt") $conc_n $(copy_in_s "$ids" "$pay_clients") $(copy_in_s "$ids")" >>"$out/raw"
	done
	pay_clients=1 pay_steps=payrun-steps.txt
fi
rss_mark "the payment runs"
fi

# ------------------------------------------------------- Alimentenhilfe
# tests/bench/alimente.sql (made once per var/bench): :titles advance
# dossiers, :children children, :months months of schedule, advances and
# debtor payments. Measured: the monthly advance run (create, approve,
# export) against a COPY of its lines; a camt.054 with :camt debtor
# payments (matched by QR reference, split, booked) against a COPY of the
# receipts and parts it made; one dossier's arrears statement over the
# API against the same rows from the view in pgbench.
ah_titles=${BENCH_AH_TITLES:-8000}
ah_children=${BENCH_AH_CHILDREN:-12000}
ah_months=${BENCH_AH_MONTHS:-60}
ah_camt=${BENCH_AH_CAMT:-5000}
if want ah; then
	if [ "$(psql "$KASUS_DB_OWNER" -qAtc "SELECT count(*) FROM tenant WHERE slug = 'bench-ah'")" != 1 ]; then
		say "Alimentenhilfe data: $ah_titles titles, $ah_children children, $ah_months months"
		psql "$KASUS_DB_OWNER" -q -1 -v titles="$ah_titles" \
			-v children="$ah_children" -v months="$ah_months" \
			-f tests/bench/alimente.sql >"$out/alimente.log" 2>&1 ||
			{ cat "$out/alimente.log" >&2; die "alimente.sql failed"; }
	fi
	ah_month=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT to_char(max(r.month)
		+ interval '1 month', 'YYYY-MM') FROM payment_run r
		JOIN tenant t ON t.id = r.tenant_id WHERE t.slug = 'bench-ah'")
	say "advance run for bench-ah ($ah_month)"
	# Against the same baseline as the payment runs: a COPY in of its
	# lines (and, as an extra figure, the COPY out it had before).
	checkpoint
	read -r ahr_s ahr_id ahr_n < <(pay_runs "$ah_month" bench-ah)
	[ -n "$ahr_n" ] || die "the advance run of bench-ah failed"
	ahr_copy=$(copy_s "$ahr_id")
	ahr_in=$(copy_in_s "$ahr_id")
	echo "ahrun $ahr_s $ahr_n $ahr_in $ahr_copy" >>"$out/raw"

	# A camt.054 with a debtor payment for each of $ah_camt titles, by
	# their QR reference, booked on the day after the run's month.
	ah_day=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT to_char(to_date('$ah_month', 'YYYY-MM') + 27, 'YYYY-MM-DD')")
	psql "$KASUS_DB_OWNER" -qAt -F ' ' -c "SELECT t.debtor_reference,
		(SELECT sum(a.amount) FROM ah_creditor c JOIN ah_title_amount a
		  ON a.tenant_id = c.tenant_id AND a.creditor_id = c.id
		  WHERE c.tenant_id = t.tenant_id AND c.title_id = t.id)
		FROM ah_title t JOIN tenant n ON n.id = t.tenant_id
		WHERE n.slug = 'bench-ah' ORDER BY t.id LIMIT $ah_camt" |
	awk -v day="$ah_day" -v stamp="$(date +%s)" '
	BEGIN {
		print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		print "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"><BkToCstmrDbtCdtNtfctn>"
		printf "<GrpHdr><MsgId>AH%s</MsgId><CreDtTm>%sT18:00:00</CreDtTm></GrpHdr>\n", stamp, day
		printf "<Ntfctn><Id>AHN%s</Id><CreDtTm>%sT18:00:00</CreDtTm>\n", stamp, day
		print "<Acct><Id><IBAN>CH9300762011623852957</IBAN></Id></Acct>"
	}
	{
		amt = sprintf("%d.%02d", int($2 / 100), $2 % 100)
		printf "<Ntry><Amt Ccy=\"CHF\">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>false</RvslInd><Sts><Cd>BOOK</Cd></Sts>", amt
		printf "<BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt><AcctSvcrRef>AH%s-%d</AcctSvcrRef>", day, day, stamp, NR
		printf "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>VCOM</SubFmlyCd></Fmly></Domn></BkTxCd>"
		printf "<NtryDtls><TxDtls><Refs><AcctSvcrRef>AHT%s-%d</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>", stamp, NR
		printf "<Amt Ccy=\"CHF\">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd>", amt
		printf "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd></RmtInf>", $1
		print "</TxDtls></NtryDtls></Ntry>"
	}
	END { print "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>" }' >"$out/ah-camt.xml"
	read -r acc acsrf < <(bench_login bench-ah accounting)
	say "camt.054 with $ah_camt debtor payments"
	t0=$(date +%s.%N)
	camt_res=$(curl -s -H "Cookie: $acc" -H "X-CSRF-Token: $acsrf" \
		-H 'Content-Type: application/xml' --data-binary @"$out/ah-camt.xml" \
		"$base/api/v1/payment-runs/reconcile" | job_result "$acc") ||
		die "camt.054 import failed"
	ahc_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	ahc_n=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT count(*) FROM ah_receipt r
		JOIN tenant t ON t.id = r.tenant_id WHERE t.slug = 'bench-ah'
		AND r.received_on = '$ah_day' AND r.source = 'bank'")
	t0=$(date +%s.%N)
	psql "$KASUS_DB_OWNER" -qAtc "COPY (SELECT r.*, a.* FROM ah_receipt r
		JOIN ah_allocation a ON a.tenant_id = r.tenant_id AND
		a.receipt_id = r.id JOIN tenant t ON t.id = r.tenant_id
		WHERE t.slug = 'bench-ah' AND r.received_on = '$ah_day' AND
		r.source = 'bank') TO STDOUT" >/dev/null
	ahc_copy=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	echo "ahcamt $ahc_s $ahc_n $ahc_copy" >>"$out/raw"
	[ "$ahc_n" = "$ah_camt" ] ||
		say "camt.054: $ahc_n of $ah_camt payments became receipts: $(head -c 300 <<<"$camt_res")"
	rss_mark "the advance run and the camt.054"

	# One dossier's arrears statement (two children, every month).
	ah_tid=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT id FROM tenant WHERE slug = 'bench-ah'")
	ah_did=$(psql "$KASUS_DB_OWNER" -qAtc "SELECT dossier_id FROM ah_title WHERE tenant_id = $ah_tid ORDER BY id LIMIT 1 OFFSET 77")
	read -r ahcw _ < <(bench_login bench-ah caseworker)
	printf 'SELECT * FROM ah_month_v WHERE dossier_id = %s ORDER BY creditor_id, month;\n' \
		"$ah_did" >"$out/ah-schedule.sql"
	for k in $(seq "$rounds"); do
		run_wrk "ahsched#$k" "$base/api/v1/cases/$ah_did/schedule" \
			-H "Cookie: $ahcw"
		say "pgbench ah-schedule ahschedsql#$k ($secs s)"
		rm -f "$out"/pgbench_log.*
		(cd "$out" && PGOPTIONS="-c kasus.tenant_id=$ah_tid" \
			"$pgbin/pgbench" -n -M prepared -c "$conns" -j "$threads" \
			-T "$secs" -l -f ah-schedule.sql "$KASUS_DB_APP") \
			>"$out/pgbench-ah.txt" 2>&1 ||
			{ cat "$out/pgbench-ah.txt" >&2; die "pgbench ah-schedule failed"; }
		read -r sp50 sp99 < <(pgbench_latencies)
		rm -f "$out"/pgbench_log.*
		echo "ahschedsql#$k $(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' \
			"$out/pgbench-ah.txt" | head -n 1) $sp50 $sp99" >>"$out/raw"
	done
	rss_mark "the arrears statements"
fi

# person search by name prefix, the API against the bare query: the
# API's statement, prepared with parameters and run with its generic
# plan as the API runs it (core/data/db.c, plan_generic). pgbench cannot
# pass an empty text or NULL: the empty first name ($2) and the birth
# date ($3) stay constants.
sed -n '/^-- name: person_search$/,/^$/p' core/sql/queries/person.sql | sed '1d' |
	sed "s/\$1/:q/g; s/\$2/''/g; s/\$3::date/NULL::date/g; s/\$4/:after/g; s/\$5/:lim/g; s/\$6::boolean/:ds::boolean/g" \
	>"$out/search.sql"
echo ';' >>"$out/search.sql"
search_sql() {	# NAME: the bare search query in pgbench, tenant preset
	local stps sp50 sp99
	say "pgbench search $1 ($secs s)"
	rm -f "$out"/pgbench_log.*
	(cd "$out" && PGOPTIONS="-c kasus.tenant_id=$big_tid -c plan_cache_mode=force_generic_plan" \
		"$pgbin/pgbench" -n -M prepared -c "$conns" -j "$threads" \
		-T "$secs" -l -D q=mei -D after=0 -D lim=20 -D ds=true \
		-f search.sql "$KASUS_DB_APP") \
		>"$out/pgbench-search.txt" 2>&1 ||
		{ cat "$out/pgbench-search.txt" >&2; die "pgbench search failed"; }
	stps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' \
		"$out/pgbench-search.txt" | head -n 1)
	read -r sp50 sp99 < <(pgbench_latencies)
	rm -f "$out"/pgbench_log.*
	echo "$1 $stps $sp50 $sp99" >>"$out/raw"
}
for k in $(seq "$rounds"); do
	want search || break
	say "scale round $k of $rounds"
	if want search; then
		run_wrk "search#$k" "$base/api/v1/persons?q=mei&limit=20" \
			-H "Cookie: $cwc"
		search_sql "searchsql#$k"
	fi
done
want search && rss_mark "the person searches"

# Memory after every run above (canton-scale data: bench-big and all
# tenants' payment runs): resident size of kasusd and of each worker.
rss=$(for f in /proc/[0-9]*/status; do
	awk -v k="$kpid" '/^Pid:/ { p = $2 } /^PPid:/ { pp = $2 } /^VmRSS:/ { r = $2 }
		END { if (p == k) printf "main %.0f MiB; ", r / 1024
		      else if (pp == k) printf "worker %.0f MiB; ", r / 1024 }' "$f" 2>/dev/null
done)
# The largest worker in MB (10^6 bytes), the unit of issue 13's target.
wmax=$(for f in /proc/[0-9]*/status; do
	awk -v k="$kpid" '/^PPid:/ { pp = $2 } /^VmRSS:/ { r = $2 }
		END { if (pp == k) print r * 1024 / 1e6 }' "$f" 2>/dev/null
done | sort -g | tail -n 1)

val() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$out/raw"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r + 0 >= t) ? "meets" : "BELOW" }'; }
# med NAME COL: the median over the rounds of a measure's column
med() { awk -v n="$1" -v c="$2" '{ split($1, a, "#") } a[1] == n { print $c }' "$out/raw" | median; }
# medratio A COLA B COLB: the median of the rounds' A/B
medratio() {
	local k
	for k in $(seq "$rounds"); do
		ratio "$(val "$1#$k" "$2")" "$(val "$3#$k" "$4")"
		echo
	done | median
}

r1=$(medratio trivial 2 bare 2)
r2=$(medratio authread 2 pgbench 2)
# Time per request, evaluate over resolve: 1.20 means the rule adds 20 %.
r3=$(medratio resolve 2 evaluate 2)
rs=$(medratio search 4 searchsql 4)
r4=$(medratio dossier 2 authread 2)
{
	echo "# kasus bench $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null || echo -)"
	echo "# $conns connections, $threads client threads, $secs s each, $(nproc) cores; medians of $rounds rounds"
	printf '%-10s %12s %10s %10s  %s\n' measure 'req/s' 'p50 ms' 'p99 ms' note
	awk '{ split($1, a, "#") } !(a[1] in s) { s[a[1]] = 1; print a[1] }' \
	    "$out/raw" | while read -r n; do
		# the runs and the camt.054 have a line of their own below
		[[ " runbig runall runconc ahrun ahcamt " == *" $n "* ]] && continue
		rps=$(med "$n" 2) p50=$(med "$n" 3) p99=$(med "$n" 4)
		note=$(awk -v n="$n" '{ split($1, a, "#") } a[1] == n && $5 != "" { print "ERRORS in a round"; exit }' "$out/raw")
		case $n in
		bare) what="hello.c, libmicrohttpd alone" ;;
		trivial) what="kasusd GET $ping" ;;
		authread) what="kasusd GET /api/v1/admin/users/$uid, session cookie" ;;
		pgbench) what="pgbench -S -M prepared (tps)" ;;
		bareblock) what="bareread.c block: the same read, libmicrohttpd and libpq alone" ;;
		barepipe) what="bareread.c pipe: the same, event loop, statements pipelined" ;;
		resolve) what="kasusd GET /api/v1/rules/resolve (no evaluation)" ;;
		search) what="kasusd GET /api/v1/persons?q=mei ($persons persons)" ;;
		searchsql) what="the same query in pgbench, tenant preset (tps)" ;;
		dossier) what="kasusd GET /api/v1/cases/{id} (audited read, 2000 dossiers in turn)" ;;
		ahsched) what="kasusd GET /api/v1/cases/{id}/schedule (Alimentenhilfe, audited)" ;;
		ahschedsql) what="the same rows from ah_month_v in pgbench, tenant preset (tps)" ;;
		ahrun|ahcamt) continue ;;
		runbig|runall|runconc) continue ;;
		evaluate) what="kasusd POST /api/v1/rules/evaluate skos-budget" ;;
		esac
		printf '%-10s %12.0f %10s %10s  %s%s\n' "$n" "$rps" "$p50" "$p99" \
			"$what" "${note:+ ($note)}"
	done
	want trivial &&
		echo "ratio trivial/bare     $r1  (target >= 0.95: $(verdict "$r1" 0.95))"
	if want auth; then
		echo "ratio authread/pgbench $r2  (target >= 0.6: $(verdict "$r2" 0.6))"
		echo "  the same read without kasusd, ratio to pgbench: waiting $(medratio bareblock 2 pgbench 2), pipelined $(medratio barepipe 2 pgbench 2); kasusd / waiting $(medratio authread 2 bareblock 2)"
	fi
	want rules &&
		echo "rule evaluations/s, one thread, skos-budget: $evals"
	if want pay; then
	# Medians of the rounds: seconds, COPY in, COPY out, and the ratios
	# (the median of the rounds' ratios); each round's ratio beside.
	bn=$(med runbig 3) an=$(med runall 3)
	bs=$(med runbig 2) bc=$(med runbig 4) bo=$(med runbig 5)
	as=$(med runall 2) ac=$(med runall 4) ao=$(med runall 5)
	rb=$(medratio runbig 2 runbig 4) ra=$(medratio runall 2 runall 4)
	per() { for k in $(seq "$rounds"); do ratio "$(val "$1#$k" 2)" "$(val "$1#$k" 4)"; printf ' '; done; }
	echo "payment run bench-big: $bn payments, create+approve+export ${bs}s; COPY in ${bc}s; ratio $rb (rounds: $(per runbig)) (target <= 3: $(awk -v r="$rb" 'BEGIN { print (r + 0 <= 3) ? "meets" : "ABOVE" }'))"
	echo "payment runs all tenants: $an payments, ${as}s; COPY in ${ac}s; ratio $ra (rounds: $(per runall)) (target <= 3: $(awk -v r="$ra" 'BEGIN { print (r + 0 <= 3) ? "meets" : "ABOVE" }'))"
	echo "  the same rows COPY out (former baseline): bench-big ${bo}s (ratio $(medratio runbig 2 runbig 5)), all ${ao}s (ratio $(medratio runall 2 runall 5))"
	if grep -q '^runconc#' "$out/raw"; then
		conc_n=$(med runconc 3) conc_s=$(med runconc 2)
		conc_k=$(med runconc 4) conc_1=$(med runconc 5)
		conc_rk=$(medratio runconc 2 runconc 4) conc_r1=$(medratio runconc 2 runconc 5)
		echo "  all services' runs by $BENCH_PAY_CLIENTS clients at once (not a target's figure): $conc_n payments, ${conc_s}s; COPY in by $BENCH_PAY_CLIENTS streams at once ${conc_k}s, ratio $conc_rk; by one ${conc_1}s, ratio $conc_r1"
	fi
	# Where a run's time goes (payrun-steps.txt, which also has
	# Alimentenhilfe's advance run): bench-big's steps in each round and
	# the average of the other services' runs.
	awk '$1 == "bench-big" { printf "  steps bench-big, round %d: compute %s approve %s export %s file %s\n", ++r, $5, $7, $9, $11 }
		$1 ~ /^bench-0/ { c += $5; a += $7; e += $9; f += $11; n++ }
		END { if (n) printf "  steps of the other %d runs, average: compute %.3f approve %.3f export %.3f file %.3f\n", n, c / n, a / n, e / n, f / n }' \
		"$out/payrun-steps.txt"
	fi
	if want ah; then
	read -r _ hs hn hc ho <<<"$(grep '^ahrun ' "$out/raw")"
	echo "Alimentenhilfe advance run: $hn payments, create+approve+export ${hs}s; COPY in ${hc}s; ratio $(ratio "$hs" "$hc") (COPY out ${ho}s: ratio $(ratio "$hs" "$ho"))"
	read -r _ cs cn cc <<<"$(grep '^ahcamt ' "$out/raw")"
	echo "Alimentenhilfe camt.054: $cn debtor payments matched, split and booked in ${cs}s; COPY of their rows ${cc}s; ratio $(ratio "$cs" "$cc")"
	echo "Alimentenhilfe arrears statement p99 API/SQL $(medratio ahsched 4 ahschedsql 4); req/s API/SQL $(medratio ahsched 2 ahschedsql 2)"
	fi
	want search &&
		echo "ratio search p99 API/SQL $rs  (target <= 2: $(awk -v r="$rs" 'BEGIN { print (r + 0 <= 2) ? "meets" : "ABOVE" }'))"
	want rules &&
		echo "ratio evaluate/resolve time $r3  (target <= 1.2: $(awk -v r="$r3" 'BEGIN { print (r + 0 <= 1.2) ? "meets" : "ABOVE" }'))"
	dp99=$(med dossier 4)
	want dossier &&
		echo "ratio audited dossier read/authread $r4  (target >= 0.5: $(verdict "$r4" 0.5)); its p99 $dp99 ms (target <= 20: $(awk -v p="$dp99" 'BEGIN { print (p + 0 <= 20) ? "meets" : "ABOVE" }'))"
	echo "memory kasusd (resident, after the runs): ${rss:-n/a}"
	echo "largest worker $(printf '%.1f' "${wmax:-0}") MB  (target <= 50: $(awk -v m="${wmax:-0}" 'BEGIN { print (m + 0 <= 50) ? "meets" : "ABOVE" }'))"
	sed 's/^/  /' "$out/rss-steps.txt"
} | tee "$res"
rm -f "$out/raw"
