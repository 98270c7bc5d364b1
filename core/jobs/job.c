/*
 * job.c - background jobs as requests and modules see them: the types
 * (declared in a module's descriptor, or by the core), queuing a job from
 * a request (202 Accepted, Location: /api/v1/jobs/{id}), a running job's
 * progress and result, and the routes that show jobs, start a scheduled
 * one now and give a failed one its attempts again. The threads that
 * take jobs from the queue and run them are in job_runner.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kasus.h"
#include "jobs/job.h"
#include "queries.h"

static struct ks_job_entry types[KS_JOB_TYPES_MAX];
static int ntypes;

static const char *const states[] = { "queued", "running", "done", "failed",
    "dead", NULL };

/* ------------------------------------------------------------- types */

const char *
ks_job_module(const struct ks_job *j)
{
	return j->module;
}

const struct ks_job_entry *
ks_job_type_find(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < ntypes; i++)
		if (strcmp(types[i].type->name, name) == 0)
			return &types[i];
	return NULL;
}

int
ks_job_type_count(void)
{
	return ntypes;
}

const struct ks_job_entry *
ks_job_type_at(int i)
{
	return i >= 0 && i < ntypes ? &types[i] : NULL;
}

const char *
ks_job_type_name(int i)
{
	return i >= 0 && i < ntypes ? types[i].type->name : "";
}

int
ks_job_max_attempts(const struct ks_job_type *t)
{
	return t->max_attempts > 0 ? t->max_attempts : KS_JOB_ATTEMPTS;
}

int
ks_job_backoff_ms(const struct ks_job_type *t)
{
	return t->backoff_ms > 0 ? t->backoff_ms : KS_JOB_BACKOFF_MS;
}

int
ks_job_lease_s(const struct ks_job_type *t)
{
	return t->lease_s > 0 ? t->lease_s : KS_JOB_LEASE_S;
}

/* "<module>.<name>", as the job table's CHECK has it. */
static int
valid_name(const char *name, const char *module)
{
	const char *dot, *p;
	size_t m = strlen(module);

	if (name == NULL || (dot = strchr(name, '.')) == NULL ||
	    (size_t)(dot - name) != m || strncmp(name, module, m) != 0)
		return 0;
	p = dot + 1;
	if (strlen(p) < 2 || strlen(p) > 63 || !islower((unsigned char)*p))
		return 0;
	for (; *p != '\0'; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p)
		    && *p != '_')
			return 0;
	return 1;
}

static int
valid_type(const struct ks_job_type *t, const char *module)
{
	char key[32];

	if (!valid_name(t->name, module) || t->run == NULL ||
	    ks_job_type_find(t->name) != NULL)
		return 0;
	if (t->schedule != NULL &&
	    ks_job_period(t->schedule, 0, key, sizeof(key)) != KS_OK)
		return 0;
	return t->max_attempts >= 0 && t->max_attempts <= 100 &&
	    t->backoff_ms >= 0 && t->backoff_ms <= 3600 * 1000 &&
	    t->lease_s >= 0 && t->lease_s <= 86400;
}

int
ks_job_types_add(const struct ks_job_type *t, const char *module)
{
	const char *m = module != NULL ? module : "core";
	int i, n;

	for (n = 0; t[n].name != NULL; n++) {
		if (!valid_type(&t[n], m) || ntypes + n >= KS_JOB_TYPES_MAX) {
			ks_log(KS_LOG_ERROR, "job type %s of %s is not valid or "
			    "taken", t[n].name, m);
			return KS_ERROR;
		}
		for (i = 0; i < n; i++)
			if (strcmp(t[i].name, t[n].name) == 0)
				return KS_ERROR;
	}
	for (i = 0; i < n; i++) {
		types[ntypes].type = &t[i];
		types[ntypes].module = module;
		ntypes++;
	}
	return KS_OK;
}

void
ks_job_types_remove(const char *module)
{
	int i, j = 0;

	for (i = 0; i < ntypes; i++) {
		if (module != NULL && types[i].module != NULL &&
		    strcmp(types[i].module, module) == 0)
			continue;
		types[j++] = types[i];
	}
	ntypes = j;
}

int
ks_job_period(const char *schedule, time_t t, char *out, size_t len)
{
	const char *fmt;
	struct tm tm;

	if (schedule == NULL)
		return KS_ERROR;
	if (strcmp(schedule, "hourly") == 0)
		fmt = "%Y-%m-%dT%H";
	else if (strcmp(schedule, "daily") == 0)
		fmt = "%Y-%m-%d";
	else if (strcmp(schedule, "monthly") == 0)
		fmt = "%Y-%m";
	else
		return KS_ERROR;
	if (localtime_r(&t, &tm) == NULL || strftime(out, len, fmt, &tm) == 0)
		return KS_ERROR;
	return KS_OK;
}

double
ks_job_backoff(int backoff_ms, int attempt, double r)
{
	double s = backoff_ms / 1000.0;
	int i;

	for (i = 1; i < attempt && s < KS_JOB_BACKOFF_MAX_S; i++)
		s *= 2;
	if (s > KS_JOB_BACKOFF_MAX_S)
		s = KS_JOB_BACKOFF_MAX_S;
	return s * (1.0 + (r < 0 ? 0 : r > 1 ? 1 : r) / 10.0);
}

/* ------------------------------------------------- queuing and progress */

static const char *
dump(struct ks_request *req, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	const char *out;

	if (s == NULL)
		abort();
	out = ks_arena_strdup(req->arena, s);
	free(s);
	return out;
}

int
ks_job_enqueue(struct ks_request *req, const char *type, json_t *payload,
    const char *key, int64_t *id)
{
	const struct ks_job_entry *e = ks_job_type_find(type);
	const struct ks_job_type *t;
	const char *v[7];
	json_t *empty = NULL;
	PGresult *r;

	if (e == NULL || (key != NULL && (*key == '\0' || strlen(key) > 100))) {
		/* A module's mistake, not the caller's. */
		ks_log(KS_LOG_ERROR, "job type %s is not declared, or its key "
		    "is not 1 to 100 characters", type ? type : "(none)");
		return ks_fail(req, 500, "internal_error",
		    "the request could not be completed");
	}
	t = e->type;
	if (payload == NULL)
		payload = empty = json_object();
	v[0] = type;
	v[1] = key;
	v[2] = dump(req, payload);
	json_decref(empty);
	v[3] = ks_num(req, ks_job_max_attempts(t));
	v[4] = ks_num(req, ks_job_backoff_ms(t));
	v[5] = ks_num(req, ks_job_lease_s(t));
	v[6] = req->who.user_id ? ks_num(req, req->who.user_id) : "";
	if ((r = ks_db_q(req, Q_JOB_INSERT, 7, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0 &&
	    ((r = ks_db_q(req, Q_JOB_BY_KEY, 2, v)) == NULL ||
	    PQntuples(r) == 0))
		return r == NULL ? KS_ERROR : ks_fail(req, 409,
		    "concurrent_change", "the record was changed at the same "
		    "time; try again");
	*id = ks_db_getll(r, 0, "id");
	return KS_OK;
}

int
ks_job_commit(struct ks_request *req)
{
	if (ks_db_finish(req, 1) != KS_OK)
		return KS_ERROR;
	req->wrote = 0;
	return KS_OK;
}

static int
not_a_job(struct ks_request *req)
{
	ks_log(KS_LOG_ERROR, "a job function was called outside a job");
	return ks_fail(req, 500, "internal_error",
	    "the request could not be completed");
}

int
ks_job_progress(struct ks_request *req, long long done, long long total)
{
	struct ks_job *j = req->job;
	const char *v[4];
	PGresult *r;

	if (j == NULL)
		return not_a_job(req);
	if (__atomic_load_n(j->stopping, __ATOMIC_RELAXED))
		return ks_fail(req, 503, "job_interrupted", "the server is "
		    "stopping; the job goes back to the queue");
	j->done = done < 0 ? 0 : done;
	/* A commit per item would cost more than the items. */
	if (ks_now() - j->last_write < 0.25 && (total < 0 || done < total))
		return KS_OK;
	v[0] = ks_num(req, j->id);
	v[1] = ks_num(req, j->lease_no);
	v[2] = ks_num(req, j->done);
	v[3] = total >= 0 ? ks_num(req, total) : NULL;
	if ((r = ks_db_q(req, Q_JOB_PROGRESS, 4, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0)
		return ks_fail(req, 409, "job_lease_lost", "another worker took "
		    "this job over after its lease ran out");
	ks_db_free(req, r);
	if (ks_job_commit(req) != KS_OK)
		return KS_ERROR;
	j->last_write = ks_now();
	return KS_OK;
}

void
ks_job_result(struct ks_request *req, json_t *result)
{
	if (req->job == NULL) {
		json_decref(result);
		not_a_job(req);
		return;
	}
	json_decref(req->job->result);
	req->job->result = result;
}

int64_t
ks_job_id(struct ks_request *req)
{
	return req->job != NULL ? req->job->id : 0;
}

int
ks_job_attempt(struct ks_request *req)
{
	return req->job != NULL ? req->job->attempt : 0;
}

/* ------------------------------------------------------------ routes */

/* Columns of job_get and job_list (created_by_name: to whoever sees it). */
static json_t *
job_json(PGresult *r, int i, int full)
{
	json_t *o;

	o = json_pack("{s:I,s:s,s:s?,s:s,s:i,s:i,s:{s:I,s:o},s:o,s:o,s:o,"
	    "s:s?,s:s,s:s?,s:s?,s:s,s:I}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "type", ks_db_str(r, i, "type"),
	    "key", ks_db_get(r, i, "key"),
	    "state", ks_db_str(r, i, "state"),
	    "attempts", (int)ks_db_getll(r, i, "attempts"),
	    "max_attempts", (int)ks_db_getll(r, i, "max_attempts"),
	    "progress", "done", (json_int_t)ks_db_getll(r, i, "done"), "total",
	    ks_db_json_int(r, i, "total"),
	    "result", ks_db_json(r, i, "result"),
	    "error", ks_db_json(r, i, "error"),
	    "created_by", ks_db_json_int(r, i, "created_by"),
	    "created_by_name", ks_db_get(r, i, "created_by_name"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "started_at", ks_db_get(r, i, "started_at"),
	    "finished_at", ks_db_get(r, i, "finished_at"),
	    "run_after", ks_db_str(r, i, "run_after"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"));
	if (o == NULL)
		abort();
	/* What it works on and where it runs: for the tenant's operators. */
	if (full) {
		json_object_set_new(o, "payload", ks_db_json(r, i, "payload"));
		json_object_set_new(o, "worker", ks_db_get(r, i, "worker") ?
		    json_string(ks_db_get(r, i, "worker")) : json_null());
	}
	return o;
}

/* A job of a list: the whole row (ks_db_page's row function). */
static json_t *
job_full_json(PGresult *r, int i)
{
	return job_json(r, i, 1);
}

static PGresult *
job_row(struct ks_request *req, int64_t *id)
{
	const char *v[1];
	PGresult *r;

	if (ks_param_id(req, "id", id) != KS_OK)
		return NULL;
	v[0] = ks_num(req, *id);
	if ((r = ks_db_q(req, Q_JOB_GET, 1, v)) == NULL)
		return NULL;
	/* Someone else's job is, to a person without job.read, no job. */
	if (PQntuples(r) == 0 || (!ks_has_perm(&req->who, "job.read") &&
	    (ks_db_isnull(r, 0, "created_by") || ks_db_getll(r, 0,
	    "created_by") != req->who.user_id))) {
		ks_fail(req, 404, "not_found", "no such job");
		return NULL;
	}
	return r;
}

int
ks_job_accepted(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r;

	if ((r = ks_db_q(req, Q_JOB_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 500, "internal_error",
		    "the request could not be completed");
	ks_header(req, "Location", ks_arena_printf(req->arena,
	    "/api/v1/jobs/%lld", (long long)id));
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 202, job_json(r, 0,
	    ks_has_perm(&req->who, "job.read")));
}

/*
 * ?wait=1..10: the job's state once it has ended (done, failed, dead) or
 * after that many seconds, whichever comes first, so that a client does
 * not poll (a poll every 100 ms learns of a job's end 50 ms late on
 * average, and each poll is a request). The job is read again as soon as
 * a job ends in this process or the process's job listener hears of
 * one ending elsewhere (ks_job_ended); besides, every 100 ms while the
 * listener has its connection, and every 10 ms (50 ms after two
 * seconds) while it has none: a read every 10 ms was a quarter of a
 * payment run's statements.
 * At most a quarter of a worker's request threads
 * (server threads, when it has none) wait at once; beyond that the
 * answer comes at once, as without wait.
 */
#define WAIT_MAX_S	10

static int waiting;	/* server threads of this worker in a wait */

static pthread_once_t ended_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t ended_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ended_cv;
static unsigned long ended_gen;	/* jobs' ends seen by this process */

void
ks_job_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	if (pthread_condattr_init(&a) != 0 ||
	    pthread_condattr_setclock(&a, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(cv, &a) != 0)
		abort();
	pthread_condattr_destroy(&a);
}

static void
ended_init(void)
{
	ks_job_cond_init(&ended_cv);
}

void
ks_job_ended(void)
{
	pthread_once(&ended_once, ended_init);
	pthread_mutex_lock(&ended_mu);
	/* Atomic: ended_seen() reads it without the lock. */
	__atomic_add_fetch(&ended_gen, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&ended_cv);
	pthread_mutex_unlock(&ended_mu);
}

static unsigned long
ended_seen(void)
{
	return __atomic_load_n(&ended_gen, __ATOMIC_ACQUIRE);
}

/* Until a job ended after seen was read, or until ks_now() reaches until. */
static void
ended_wait(unsigned long seen, double until)
{
	struct timespec d;

	d.tv_sec = (time_t)until;
	d.tv_nsec = (long)((until - (double)d.tv_sec) * 1e9);
	pthread_once(&ended_once, ended_init);
	pthread_mutex_lock(&ended_mu);
	while (ended_gen == seen && pthread_cond_timedwait(&ended_cv,
	    &ended_mu, &d) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&ended_mu);
}

static int
job_ended(PGresult *r)
{
	const char *st = ks_db_str(r, 0, "state");

	return strcmp(st, "done") == 0 || strcmp(st, "failed") == 0 ||
	    strcmp(st, "dead") == 0;
}

static int
wait_param(struct ks_request *req, long *ms)
{
	const char *w = ks_query(req, "wait");
	char *end;
	long s;

	*ms = 0;
	if (w == NULL)
		return KS_OK;
	s = strtol(w, &end, 10);
	if (*w < '0' || *w > '9' || *end != '\0' || s < 1 || s > WAIT_MAX_S)
		return ks_fail_detail(req, 400, "invalid_parameter", "wait is "
		    "a number of seconds from 1 to 10", json_pack("{s:s}",
		    "parameter", "wait"));
	*ms = s * 1000;
	return KS_OK;
}

static int
job_show(struct ks_request *req)
{
	unsigned long seen = ended_seen();
	double t0, end, now;
	PGresult *r;
	int64_t id;
	long ms;
	/* KS_R_LONG: it waits on a request thread, when there are any. */
	int n, threads = ks_conf.request_threads > 0 ?
	    ks_conf.request_threads : ks_conf.threads;

	if (wait_param(req, &ms) != KS_OK || (r = job_row(req, &id)) == NULL)
		return KS_ERROR;
	if (ms > 0 && !job_ended(r)) {
		n = __atomic_add_fetch(&waiting, 1, __ATOMIC_RELAXED);
		if (n * 4 > threads)
			ms = 0;
		t0 = ks_now();		/* CLOCK_MONOTONIC, as ended_cv's */
		end = t0 + (double)ms / 1000.0;
		while ((now = ks_now()) < end && !job_ended(r)) {
			ended_wait(seen, fmin(end, now +
			    (ks_jobs_listening() > 0 ? 0.100 :
			    now - t0 < 2.0 ? 0.010 : 0.050)));
			seen = ended_seen();
			ks_db_free(req, r);	/* one read kept, not 300 */
			if ((r = job_row(req, &id)) == NULL)
				break;
		}
		__atomic_sub_fetch(&waiting, 1, __ATOMIC_RELAXED);
		if (r == NULL)
			return KS_ERROR;
	}
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, job_json(r, 0,
	    ks_has_perm(&req->who, "job.read")));
}

static int
job_list(struct ks_request *req)
{
	const char *v[3], *state = ks_query(req, "state");
	long long n;
	PGresult *r;
	int i;

	if (ks_page(req, &v[0], &v[1], &n) != KS_OK)
		return KS_ERROR;
	for (i = 0; state != NULL && states[i] != NULL; i++)
		if (strcmp(states[i], state) == 0)
			break;
	if (state != NULL && states[i] == NULL)
		return ks_fail_detail(req, 400, "invalid_parameter", "the state "
		    "is queued, running, done, failed or dead", json_pack(
		    "{s:s}", "parameter", "state"));
	v[2] = state != NULL ? state : "";
	if ((r = ks_db_q(req, Q_JOB_LIST, 3, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", job_full_json));
}

static int
module_on(struct ks_request *req, const char *module)
{
	json_t *on, *m;
	size_t i;
	int found = 0;

	if (module == NULL)
		return 1;
	on = ks_modules_enabled(req);
	json_array_foreach(on, i, m)
		if (strcmp(json_string_value(m), module) == 0)
			found = 1;
	json_decref(on);
	return found;
}

static int
job_types_list(struct ks_request *req)
{
	const struct ks_job_entry *e;
	json_t *items = json_array();
	int i;

	for (i = 0; (e = ks_job_type_at(i)) != NULL; i++) {
		if (!module_on(req, e->module))
			continue;
		json_array_append_new(items, json_pack("{s:s,s:s?,s:s?}",
		    "type", e->type->name, "module", e->module,
		    "schedule", e->type->schedule));
	}
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
job_start(struct ks_request *req)
{
	const char *name = ks_body_str(req, "type");
	const struct ks_job_entry *e = ks_job_type_find(name);
	char period[32];
	json_t *payload;
	int64_t id;
	int rc;

	if (e == NULL || e->type->schedule == NULL ||
	    !module_on(req, e->module) ||
	    ks_job_period(e->type->schedule, time(NULL), period,
	    sizeof(period)) != KS_OK)
		return ks_fail_detail(req, 400, "invalid_value", "there is no "
		    "scheduled job of that name for this social service",
		    json_pack("{s:s}", "field", "type"));
	payload = json_pack("{s:s,s:b}", "period", period, "manual", 1);
	rc = ks_job_enqueue(req, name, payload, NULL, &id);
	json_decref(payload);
	if (rc != KS_OK || ks_audit(req, "job_started", "job", ks_num(req, id),
	    NULL, NULL, json_pack("{s:s}", "type", name)) != KS_OK)
		return KS_ERROR;
	return ks_job_accepted(req, id);
}

static int
job_retry(struct ks_request *req)
{
	const struct ks_job_entry *e;
	const char *v[3], *state;
	json_t *cur;
	PGresult *r;
	int64_t id;

	if ((r = job_row(req, &id)) == NULL)
		return KS_ERROR;
	cur = job_json(r, 0, 1);
	if (ks_check_etag(req, ks_db_getll(r, 0, "version"),
	    json_incref(cur)) !=
	    KS_OK) {
		json_decref(cur);
		return KS_ERROR;
	}
	state = ks_db_str(r, 0, "state");
	if (strcmp(state, "failed") != 0 && strcmp(state, "dead") != 0) {
		json_decref(cur);
		return ks_fail_detail(req, 409, "job_not_retryable", "only a "
		    "failed or dead job can be tried again", json_pack("{s:s}",
		    "state", state));
	}
	e = ks_job_type_find(ks_db_str(r, 0, "type"));
	v[0] = ks_num(req, id);
	v[1] = ks_db_str(r, 0, "version");
	v[2] = ks_num(req, e != NULL ? ks_job_max_attempts(e->type) :
	    KS_JOB_ATTEMPTS);
	if ((r = ks_db_q(req, Q_JOB_RETRY, 3, v)) == NULL) {
		json_decref(cur);
		return KS_ERROR;
	}
	if (PQntuples(r) == 0)
		return ks_fail_detail(req, 409, "conflict", "someone else "
		    "changed this record; review the current state and apply "
		    "your change again", json_pack("{s:o}", "current", cur));
	if (ks_audit(req, "job_retried", "job", v[0], cur, NULL,
	    json_pack("{s:s}", "type", json_string_value(json_object_get(cur,
	    "type")))) != KS_OK)
		return KS_ERROR;
	return ks_job_accepted(req, id);
}

/* ---------------------------------------------------- the core's jobs */

/* Finished jobs are kept job_keep_days; dead ones until someone acts. */
static int
prune(struct ks_request *req, json_t *payload)
{
	const char *v[1];
	PGresult *r;

	(void)payload;
	v[0] = ks_num(req, ks_conf.job_keep_days);
	if ((r = ks_db_q(req, Q_JOB_PRUNE, 1, v)) == NULL)
		return KS_ERROR;
	ks_job_result(req, json_pack("{s:I,s:i}", "deleted",
	    (json_int_t)strtoll(PQcmdTuples(r), NULL, 10), "kept_days",
	    ks_conf.job_keep_days));
	return ks_job_progress(req, 1, 1);
}

static const struct ks_job_type core_jobs[] = {
	{ "core.jobs_prune", prune, "daily", 0, 0, 0 },
	KS_JOB_TYPES_END
};

static const struct ks_field start_body[] = {
	{ "type", KS_F_STRING, 1, 3, 95, "a scheduled job type "
	    "(GET /api/v1/job-types)" },
	KS_FIELDS_END
};

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/jobs", "job.read", 0, NULL, KS_R_PAGED, job_list,
	    "the tenant's background jobs, newest first "
	    "(?state=queued|running|done|failed|dead)", NULL },
	{ "POST", "/api/v1/jobs", "job.admin", 1024, start_body, KS_R_JOB,
	    job_start, "run a scheduled job now: 202, Location: the job",
	    NULL },
	{ "GET", "/api/v1/jobs/{id}", "job.status", 0, NULL, KS_R_LONG,
	    job_show,
	    "a job's state, progress (done of total), result or error: to "
	    "whoever started it and to job.read (?wait=1..10: once it ended "
	    "or after that many seconds)", NULL },
	{ "POST", "/api/v1/jobs/{id}/retry", "job.admin", 0, NULL,
	    KS_R_ETAG | KS_R_JOB, job_retry, "give a failed or dead job its "
	    "attempts again (If-Match): 202", NULL },
	{ "GET", "/api/v1/job-types", "job.read", 0, NULL, 0, job_types_list,
	    "the job types of the tenant's modules, with their schedules",
	    NULL },
	KS_ROUTES_END
};

void
ks_job_register(void)
{
	ks_router_add(routes, NULL);
	if (ks_job_types_add(core_jobs, NULL) != KS_OK)
		abort();
}
