/*
 * job_runner.c - the threads that run background jobs. Each worker
 * process starts job_threads of them before it enters its system call
 * filter. A runner
 *
 *   - claims the oldest due job with job_claim() (FOR UPDATE SKIP LOCKED;
 *     leases that ran out go back to the queue first) and runs its type's
 *     handler in a job context: a struct ks_request with the job's tenant
 *     set for row-level security, its creator's rights, an arena and the
 *     thread's database connection, exactly as a request has them;
 *   - records the end in the same transaction as the handler's last work
 *     (done), or rolls the attempt back and records the error: retried
 *     after a back-off that doubles, dead when no attempt is left, failed
 *     at once when the handler refused (a 4xx answer);
 *   - waits on its own LISTEN connection for "kasus_jobs" (sent when a
 *     job is queued or released anywhere in the cluster) or until the next
 *     retry is due, at most job_poll_ms; "kasus_job_end" (a job ended
 *     anywhere) heard meanwhile wakes the process's requests that wait for
 *     a job's end (ks_job_ended), and the runner waits on;
 *   - every job_schedule_s asks job_schedule() for the current period of
 *     each scheduled type: one job per tenant and period, however many
 *     runners on however many nodes ask.
 *
 * Besides the job_threads runners, which claim every type, each process
 * has one more runner, the route lane, that claims only the types routes
 * queue (no schedule): a payment run or a letter batch somebody started
 * waits for no daily job, however long the daily jobs of all tenants
 * take. It schedules nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kasus.h"
#include "jobs/job.h"
#include "queries.h"

#define MAX_RUNNERS	16

struct runner {
	pthread_t	 th;
	int		 started;
	char		 worker[128];	/* host:pid/runner, shown with jobs */
	PGconn		*listen;
	const char	*types;		/* {a.b,c.d}: what it claims */
	int		 schedules;	/* asks job_schedule() (not the route lane) */
	double		 next_schedule;
	double		 retry_at;	/* a job this runner failed is due */
	unsigned int	 seed;
};

static struct runner runners[MAX_RUNNERS];
static int nrunners;
static int stopping;
static int listening;	/* runners in wait_for_work, listening */

int
ks_jobs_listening(void)
{
	return __atomic_load_n(&listening, __ATOMIC_RELAXED);
}
static int wake[2] = { -1, -1 };
/* {a.b,c.d}: the types this process runs, for job_claim(), all of them
   and those routes queue (the route lane's). */
static char types_array[KS_JOB_TYPES_MAX * 96 + 8];
static char route_types_array[KS_JOB_TYPES_MAX * 96 + 8];

static int
stopped(void)
{
	return __atomic_load_n(&stopping, __ATOMIC_RELAXED);
}

static double
jitter(struct runner *rn)
{
	return (double)rand_r(&rn->seed) / ((double)RAND_MAX + 1.0);
}

/* ------------------------------------------------------ job contexts */

static struct ks_request *
ctx_new(void)
{
	struct ks_arena *a = ks_arena_new(8192);
	struct ks_request *req = ks_arena_alloc(a, sizeof(*req));

	req->arena = a;
	req->method = "JOB";
	req->path = "-";
	req->peer = "-";
	req->client = "-";
	req->t0 = ks_now();
	if (ks_random_hex(req->id, 8) != KS_OK)
		abort();
	return req;
}

static void
ctx_clear_error(struct ks_request *req)
{
	json_decref(req->err.detail);
	memset(&req->err, 0, sizeof(req->err));
}

static void
ctx_free(struct ks_request *req)
{
	ks_db_finish(req, 0);
	ctx_clear_error(req);
	json_decref(req->resp);
	ks_arena_free(req->arena);
	/* A job's rows and files leave free heap behind: return it. */
	malloc_trim(0);
}

/* -------------------------------------------------------- scheduling */

static void
schedule_all(void)
{
	const struct ks_job_entry *e;
	const struct ks_job_type *t;
	struct ks_request *req;
	const char *v[6];
	char key[32];
	PGresult *r;
	int i;

	for (i = 0; (e = ks_job_type_at(i)) != NULL && !stopped(); i++) {
		t = e->type;
		if (t->schedule == NULL || ks_job_period(t->schedule,
		    time(NULL), key, sizeof(key)) != KS_OK)
			continue;
		req = ctx_new();
		v[0] = t->name;
		v[1] = e->module != NULL ? e->module : "";
		v[2] = key;
		v[3] = ks_num(req, ks_job_max_attempts(t));
		v[4] = ks_num(req, ks_job_backoff_ms(t));
		v[5] = ks_num(req, ks_job_lease_s(t));
		if ((r = ks_db_q(req, Q_JOB_SCHEDULE, 6, v)) != NULL) {
			req->wrote = 1;
			if (ks_db_finish(req, 1) == KS_OK &&
			    ks_db_getll(r, 0, "tenants") > 0)
				ks_log(KS_LOG_INFO, "job %s scheduled for %s in "
				    "%lld tenants", t->name, key,
				    ks_db_getll(r, 0, "tenants"));
		}
		ctx_free(req);
	}
}

/* ------------------------------------------------------------ ending */

static void
end_done(struct ks_request *req, struct ks_job *j, const char **state)
{
	const char *v[4];
	char *res;
	PGresult *r;

	res = json_dumps(j->result != NULL ? j->result : json_null(),
	    JSON_COMPACT | JSON_ENCODE_ANY);
	if (res == NULL)
		abort();
	v[0] = ks_num(req, j->id);
	v[1] = ks_num(req, j->lease_no);
	v[2] = ks_arena_strdup(req->arena, res);
	v[3] = ks_num(req, j->done);
	free(res);
	if ((r = ks_db_q(req, Q_JOB_DONE, 4, v)) != NULL &&
	    PQntuples(r) == 1 && ks_job_commit(req) == KS_OK) {
		*state = "done";
		return;
	}
	/*
	 * The lease ran out and another worker has the job, or the database
	 * went away: this attempt's work is rolled back; the job runs again.
	 */
	*state = r != NULL && PQntuples(r) == 0 ? "lease lost" : "not saved";
	ks_db_finish(req, 0);
}

/* Retried: the server's trouble (5xx), a conflict, a timeout. */
static int
retryable(int http)
{
	return http < 400 || http >= 500 || http == 408 || http == 409 ||
	    http == 423 || http == 429;
}

static void
end_failed(struct runner *rn, struct ks_request *req, struct ks_job *j,
    const char **state)
{
	struct ks_error e = req->err;
	const char *v[5], *code;
	json_t *err;
	char *s;
	PGresult *r;
	double delay;
	int again;

	if (e.code == NULL) {
		e.code = "internal_error";
		e.message = "the job could not be completed";
		e.http = 500;
	}
	code = e.code;
	ks_db_finish(req, 0);		/* the attempt's work is undone */
	err = json_pack("{s:s,s:s,s:i}", "code", code, "message", e.message,
	    "attempt", j->attempt);
	if (e.detail != NULL)
		json_object_set(err, "detail", e.detail);
	ctx_clear_error(req);
	v[0] = ks_num(req, j->id);
	v[1] = ks_num(req, j->lease_no);
	if (strcmp(code, "job_lease_lost") == 0) {
		json_decref(err);
		*state = "lease lost";
		return;
	}
	if (strcmp(code, "job_interrupted") == 0 && stopped()) {
		json_decref(err);
		r = ks_db_q(req, Q_JOB_RELEASE, 2, v);
		*state = r != NULL && ks_job_commit(req) == KS_OK ?
		    "released" : "not saved";
		return;
	}
	again = retryable(e.http);
	delay = ks_job_backoff(j->type != NULL ?
	    ks_job_backoff_ms(j->type) : KS_JOB_BACKOFF_MS, j->attempt,
	    jitter(rn));
	v[2] = again ? "t" : "f";
	v[3] = ks_arena_printf(req->arena, "%.3f", delay);
	if ((s = json_dumps(err, JSON_COMPACT)) == NULL)
		abort();
	v[4] = ks_arena_strdup(req->arena, s);
	free(s);
	json_decref(err);
	if ((r = ks_db_q(req, Q_JOB_FAIL, 5, v)) == NULL ||
	    ks_job_commit(req) != KS_OK) {
		*state = "not saved";
		return;
	}
	*state = PQntuples(r) == 1 ? ks_arena_strdup(req->arena,
	    ks_db_str(r, 0, "state")) : "lease lost";
	if (strcmp(*state, "queued") == 0 &&
	    (rn->retry_at == 0 || ks_now() + delay < rn->retry_at))
		rn->retry_at = ks_now() + delay;
	*state = ks_arena_printf(req->arena, "%s error=%s", *state, code);
}

/* ---------------------------------------------------------- running */

/* The metric's outcome of an attempt that ended in state ("queued ..."). */
static int
outcome(const char *state)
{
	static const struct { const char *prefix; int o; } map[] = {
		{ "done", KS_JOB_DONE }, { "queued", KS_JOB_RETRY },
		{ "failed", KS_JOB_FAILED }, { "dead", KS_JOB_DEAD },
		{ "released", KS_JOB_RELEASED }, { "lease lost", KS_JOB_LOST },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(state, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].o;
	return KS_JOB_NOT_SAVED;
}

/* The principal of a job: its tenant, and its creator's current rights. */
static void
principal(struct ks_request *req, PGresult *r)
{
	struct ks_principal *p = &req->who;

	p->user_id = strtoll(ks_db_str(r, 0, "created_by"), NULL, 10);
	p->tenant_slug = ks_arena_strdup(req->arena, ks_db_str(r, 0, "slug"));
	p->lang = ks_arena_strdup(req->arena, ks_db_str(r, 0, "language"));
	p->username = "-";
	p->roles = ks_arena_strdup(req->arena, ks_db_str(r, 0, "roles"));
	p->perms = ks_arena_strdup(req->arena, ks_db_str(r, 0, "perms"));
	p->team = ks_arena_strdup(req->arena, ks_db_str(r, 0, "team"));
	req->authed = 1;
}

static void
run_claimed(struct runner *rn, int64_t tenant, int64_t id, long long lease)
{
	struct ks_request *req = ctx_new();
	const struct ks_job_entry *e;
	struct ks_job j;
	const char *v[2], *state = "not started";
	json_t *payload = NULL;
	PGresult *r;
	int rc;

	memset(&j, 0, sizeof(j));
	j.id = id;
	j.lease_no = lease;
	j.stopping = &stopping;
	req->who.tenant_id = tenant;
	v[0] = ks_num(req, id);
	v[1] = ks_num(req, lease);
	if ((r = ks_db_q(req, Q_JOB_LOAD, 2, v)) == NULL ||
	    PQntuples(r) != 1) {
		ks_log(KS_LOG_WARN, "job id=%lld tenant=%lld could not be "
		    "loaded; it runs again when its lease ends", (long long)id,
		    (long long)tenant);
		ctx_free(req);
		return;
	}
	e = ks_job_type_find(ks_db_str(r, 0, "type"));
	j.type = e != NULL ? e->type : NULL;
	j.module = e != NULL ? e->module : NULL;
	j.attempt = (int)ks_db_getll(r, 0, "attempts");
	j.last_write = 0;	/* the first progress report is saved */
	payload = json_loads(ks_db_str(r, 0, "payload"), JSON_DECODE_ANY, NULL);
	principal(req, r);
	req->job = &j;
	if (e == NULL || payload == NULL)
		rc = ks_fail(req, 422, "job_type_unknown", "this server does "
		    "not know the job's type");
	else
		rc = e->type->run(req, payload);
	if (rc == KS_OK && req->err.code == NULL)
		end_done(req, &j, &state);
	else
		end_failed(rn, req, &j, &state);
	ks_job_ended();		/* this process's waiting readers */
	if (e != NULL)
		ks_metrics_job((int)(e - ks_job_type_at(0)), outcome(state));
	ks_log(KS_LOG_INFO, "job id=%lld tenant=%lld type=%s attempt=%d %s "
	    "dur_ms=%.1f", (long long)id, (long long)tenant,
	    e != NULL ? e->type->name : "?", j.attempt, state,
	    (ks_now() - req->t0) * 1000.0);
	json_decref(payload);
	json_decref(j.result);
	ctx_free(req);
	ks_db_thread_trim();	/* a file's megabytes: a new connection */
	malloc_trim(0);
}

/*
 * Claim and run one job. Returns 1 when one ran, 0 when none was due
 * (*wait lowered to when the next one is), -1 when the database failed.
 */
static int
run_one(struct runner *rn, double *wait)
{
	struct ks_request *req = ctx_new();
	const char *v[2] = { rn->worker, rn->types };
	int64_t tenant, id;
	long long lease;
	PGresult *r;
	double w;

	if ((r = ks_db_q(req, Q_JOB_CLAIM, 2, v)) == NULL) {
		ctx_free(req);
		return -1;
	}
	req->wrote = 1;		/* the sweep of run-out leases, the claim */
	if (PQntuples(r) != 1 || ks_db_isnull(r, 0, "id")) {
		if (PQntuples(r) == 1 && !ks_db_isnull(r, 0, "wait_s") &&
		    (w = strtod(ks_db_str(r, 0, "wait_s"), NULL)) < *wait)
			*wait = w;
		ks_db_finish(req, 1);
		ctx_free(req);
		return 0;
	}
	tenant = ks_db_getll(r, 0, "tenant_id");
	id = ks_db_getll(r, 0, "id");
	lease = ks_db_getll(r, 0, "lease_no");
	if (ks_db_finish(req, 1) != KS_OK) {
		ctx_free(req);
		return -1;
	}
	ctx_free(req);
	run_claimed(rn, tenant, id, lease);
	return 1;
}

/* --------------------------------------------------------- waiting */

static void
listen_open(struct runner *rn)
{
	PGresult *r;

	if (rn->listen != NULL && PQstatus(rn->listen) == CONNECTION_OK)
		return;
	if (rn->listen != NULL)
		PQfinish(rn->listen);
	rn->listen = PQconnectdb(ks_conf.db_app);
	if (PQstatus(rn->listen) == CONNECTION_OK) {
		r = PQexec(rn->listen,
		    "LISTEN kasus_jobs; LISTEN kasus_job_end");
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			return;
		}
		PQclear(r);
	}
	PQfinish(rn->listen);
	rn->listen = NULL;
}

/*
 * Until a job is queued anywhere, the stop, or wait seconds passed. A
 * job's end heard meanwhile wakes this process's waiting requests and
 * the wait goes on.
 */
static void
wait_for_work(struct runner *rn, double wait)
{
	struct pollfd p[2];
	PGnotify *n;
	double until;
	int np = 1, work;

	listen_open(rn);
	p[0].fd = wake[0];
	p[0].events = POLLIN;
	if (rn->listen != NULL) {
		p[1].fd = PQsocket(rn->listen);
		p[1].events = POLLIN;
		np = 2;
	}
	if (wait < 0.005)
		wait = 0.005;
	until = ks_now() + wait;
	if (np == 2)
		__atomic_add_fetch(&listening, 1, __ATOMIC_RELAXED);
	for (;;) {
		if (poll(p, (nfds_t)np, (int)(wait * 1000.0)) <= 0 ||
		    np == 1 || !(p[1].revents & (POLLIN | POLLERR | POLLHUP)))
			break;
		if (PQconsumeInput(rn->listen) != 1) {
			PQfinish(rn->listen);
			rn->listen = NULL;
			break;
		}
		work = 0;
		while ((n = PQnotifies(rn->listen)) != NULL) {
			if (strcmp(n->relname, "kasus_job_end") == 0)
				ks_job_ended();
			else
				work = 1;
			PQfreemem(n);
		}
		if (work || (p[0].revents & POLLIN) ||
		    (wait = until - ks_now()) < 0.001)
			break;
	}
	if (np == 2)
		__atomic_sub_fetch(&listening, 1, __ATOMIC_RELAXED);
}

static void *
runner_main(void *arg)
{
	struct runner *rn = arg;
	double wait, now;

	ks_db_thread_track_peak();	/* read after each job (run_claimed) */
	while (!stopped()) {
		now = ks_now();
		if (now >= rn->next_schedule) {
			if (rn->schedules)
				schedule_all();
			rn->next_schedule = ks_now() + ks_conf.job_schedule_s *
			    (0.9 + 0.2 * jitter(rn));
		}
		wait = ks_conf.job_poll_ms / 1000.0;
		while (!stopped() && ks_now() < rn->next_schedule &&
		    run_one(rn, &wait) == 1)
			wait = ks_conf.job_poll_ms / 1000.0;
		if (stopped())
			break;
		now = ks_now();
		if (rn->retry_at > 0) {
			if (rn->retry_at - now < wait)
				wait = rn->retry_at - now;
			if (rn->retry_at <= now + 0.001)
				rn->retry_at = 0;
		}
		if (rn->next_schedule - now < wait)
			wait = rn->next_schedule - now;
		wait_for_work(rn, wait);
	}
	if (rn->listen != NULL)
		PQfinish(rn->listen);
	rn->listen = NULL;
	return NULL;
}

/* ---------------------------------------------------- start and stop */

/* The registered types as a text array, all or only those routes queue;
   the number listed. */
static int
types_list(char *out, size_t len, int routes_only)
{
	const struct ks_job_entry *e;
	size_t n;
	int i, k = 0;

	snprintf(out, len, "{");
	for (i = 0; (e = ks_job_type_at(i)) != NULL; i++) {
		if (routes_only && e->type->schedule != NULL)
			continue;
		n = strlen(out);
		snprintf(out + n, len - n, "%s%s", k++ > 0 ? "," : "",
		    e->type->name);
	}
	n = strlen(out);
	snprintf(out + n, len - n, "}");
	return k;
}

int
ks_jobs_runners(void)
{
	int n = ks_conf.job_threads;

	if (n <= 0)
		return 0;
	return (n > MAX_RUNNERS - 1 ? MAX_RUNNERS - 1 : n) + 1;
}

void
ks_jobs_start(void)
{
	char host[64] = "-", seed[9];
	int i, n = ks_jobs_runners(), general = n - 1, lane;

	if (n <= 0)
		return;
	if (pipe2(wake, O_CLOEXEC) != 0) {
		ks_log(KS_LOG_ERROR, "job runners not started: %s",
		    strerror(errno));
		return;
	}
	gethostname(host, sizeof(host) - 1);
	/*
	 * The runners trim glibc's heap after each job (ctx_free). Under
	 * AddressSanitizer nothing else touches glibc's allocator, and two
	 * runners whose first trims race read its arena list while the
	 * other still sets it up (a crash seen in the test build): set it
	 * up here, before any runner starts.
	 */
	malloc_trim(0);
	types_list(types_array, sizeof(types_array), 0);
	/* The last runner is the route lane, if any type is queued by routes. */
	if (types_list(route_types_array, sizeof(route_types_array), 1) == 0)
		n--;
	__atomic_store_n(&stopping, 0, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++) {
		struct runner *rn = &runners[i];

		memset(rn, 0, sizeof(*rn));
		lane = i == general;
		snprintf(rn->worker, sizeof(rn->worker), "%s:%d/%d%s", host,
		    (int)getpid(), i, lane ? "r" : "");
		rn->types = lane ? route_types_array : types_array;
		rn->schedules = !lane;
		if (ks_random_hex(seed, 4) != KS_OK)
			abort();
		rn->seed = (unsigned int)strtoul(seed, NULL, 16);
		/* Workers that start together do not schedule in step. */
		rn->next_schedule = ks_now() + jitter(rn);
		if (pthread_create(&rn->th, NULL, runner_main, rn) != 0) {
			ks_log(KS_LOG_ERROR, "job runner %d not started", i);
			break;
		}
		rn->started = 1;
		nrunners = i + 1;
	}
}

void
ks_jobs_stop(void)
{
	int i;

	if (wake[1] < 0)
		return;
	__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
	if (write(wake[1], "x", 1) != 1)
		ks_log(KS_LOG_WARN, "job runners could not be woken");
	for (i = 0; i < nrunners; i++)
		if (runners[i].started)
			pthread_join(runners[i].th, NULL);
	nrunners = 0;
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
}
