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
 *   - waits until its process's listener hears of a job it can claim,
 *     or until the next retry is due, at most job_poll_ms. One listener
 *     thread a process holds the LISTEN connection: "kasus_jobs" (sent
 *     when a job is queued or released anywhere in the cluster, its type
 *     the payload) wakes the waiting runners and the first that can
 *     claim the type claims; a runner that claimed a job lets another
 *     try too, so a burst of jobs spreads over the runners; "kasus_job_end"
 *     (a job ended anywhere) wakes the process's requests that wait for a
 *     job's end (ks_job_ended). Every runner of every process claimed on
 *     every job queued before: 15 claims for a payment run's two jobs;
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
	const char	*types;		/* {a.b,c.d}: what it claims */
	int		 schedules;	/* asks job_schedule() (not the route lane) */
	double		 next_schedule;
	double		 retry_at;	/* a job this runner failed is due */
	unsigned int	 seed;
};

static struct runner runners[MAX_RUNNERS];
static int nrunners;
static int stopping;
static int wake[2] = { -1, -1 };	/* the listener's: the stop */

/*
 * The listener's news for the runners (under work_mu): jobs queued that
 * any runner may claim (types routes queue) and those only the general
 * runners claim (scheduled types), each at most the runners there are.
 */
static pthread_t listener_th;
static int listener_started;
static pthread_mutex_t work_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv;
static int pending_route, pending_sched;
static int listening;	/* the listener's connection is up */

static void	news(int);

int
ks_jobs_listening(void)
{
	return __atomic_load_n(&listening, __ATOMIC_RELAXED);
}
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
	news(1);	/* more may be queued: another runner tries too */
	run_claimed(rn, tenant, id, lease);
	return 1;
}

/* --------------------------------------------------------- waiting */

static void
cv_init_once(void)
{
	ks_job_cond_init(&work_cv);
}

static void
cv_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, cv_init_once);
}

/* News of a job queued: pending for a runner that can claim it. */
static void
news(int route)
{
	int *p = route ? &pending_route : &pending_sched;

	pthread_mutex_lock(&work_mu);
	if (*p < nrunners)
		(*p)++;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&work_mu);
}

/* A job of type name was queued: news, unless this process lacks it. */
static void
heard(const char *name)
{
	const struct ks_job_entry *e = ks_job_type_find(name);

	if (e != NULL)
		news(e->type->schedule == NULL);
}

static PGconn *
listen_open(void)
{
	PGconn *c = PQconnectdb(ks_conf.db_app);
	PGresult *r;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, "LISTEN kasus_jobs; LISTEN kasus_job_end");
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			return c;
		}
		PQclear(r);
	}
	PQfinish(c);
	return NULL;
}

/*
 * The process's listener: its LISTEN connection's notifications become
 * news for the runners and ends for the waiting requests. Without a
 * connection it tries again every second (the runners claim every
 * job_poll_ms meanwhile, as they always do).
 */
static void *
listener_main(void *arg)
{
	struct pollfd p[2];
	PGnotify *n;
	PGconn *c = NULL;
	nfds_t np;

	(void)arg;
	while (!stopped()) {
		if (c == NULL && (c = listen_open()) != NULL)
			news(1);	/* what was queued while deaf */
		__atomic_store_n(&listening, c != NULL, __ATOMIC_RELAXED);
		p[0].fd = wake[0];
		p[0].events = POLLIN;
		np = 1;
		if (c != NULL) {
			p[1].fd = PQsocket(c);
			p[1].events = POLLIN;
			np = 2;
		}
		if (poll(p, np, 1000) <= 0 || np == 1 ||
		    !(p[1].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if (PQconsumeInput(c) != 1) {
			PQfinish(c);
			c = NULL;
			continue;
		}
		while ((n = PQnotifies(c)) != NULL) {
			if (strcmp(n->relname, "kasus_job_end") == 0)
				ks_job_ended();
			else
				heard(n->extra);
			PQfreemem(n);
		}
	}
	__atomic_store_n(&listening, 0, __ATOMIC_RELAXED);
	if (c != NULL)
		PQfinish(c);
	return NULL;
}

/*
 * Until the listener has news of a job this runner can claim, the stop,
 * or wait seconds passed.
 */
static void
wait_for_work(struct runner *rn, double wait)
{
	double until = ks_now() + (wait < 0.005 ? 0.005 : wait);
	struct timespec d;

	d.tv_sec = (time_t)until;	/* CLOCK_MONOTONIC, as work_cv's */
	d.tv_nsec = (long)((until - (double)d.tv_sec) * 1e9);
	pthread_mutex_lock(&work_mu);
	while (!stopped()) {
		if (pending_route > 0) {
			pending_route--;
			break;
		}
		if (rn->schedules && pending_sched > 0) {
			pending_sched--;
			break;
		}
		if (pthread_cond_timedwait(&work_cv, &work_mu, &d) ==
		    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&work_mu);
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
	cv_init();
	pending_route = pending_sched = 0;
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
		pthread_mutex_lock(&work_mu);
		nrunners = i + 1;
		pthread_mutex_unlock(&work_mu);
	}
	listener_started = nrunners > 0 &&
	    pthread_create(&listener_th, NULL, listener_main, NULL) == 0;
	if (nrunners > 0 && !listener_started)
		ks_log(KS_LOG_ERROR, "job listener not started: the runners "
		    "claim every job_poll_ms");
}

void
ks_jobs_stop(void)
{
	int i;

	if (wake[1] < 0)
		return;
	__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&work_mu);
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&work_mu);
	if (write(wake[1], "x", 1) != 1)
		ks_log(KS_LOG_WARN, "job runners could not be woken");
	for (i = 0; i < nrunners; i++)
		if (runners[i].started)
			pthread_join(runners[i].th, NULL);
	if (listener_started)
		pthread_join(listener_th, NULL);
	listener_started = 0;
	pthread_mutex_lock(&work_mu);
	nrunners = 0;
	pthread_mutex_unlock(&work_mu);
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
}
