/*
 * metrics.c - Prometheus counters shared by all workers: a region mapped
 * by the parent before it forks, updated with atomic adds, rendered by
 * whichever worker answers GET /metrics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kasus.h"

#define M_ROUTES	513		/* last slot: no route matched */
#define M_WORKERS	64
#define M_JOB_TYPES	64		/* KS_JOB_TYPES_MAX */

static const int codes[] = { 200, 201, 204, 400, 401, 403, 404, 405, 409,
    413, 415, 428, 429, 499, 500, 503, 0 };
#define NCODES	(sizeof(codes) / sizeof(codes[0]))
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1, 2.5, 5 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
/* How a job's attempt ended (enum ks_job_outcome). */
static const char *const outcomes[] = { "done", "retry", "failed", "dead",
    "released", "lost", "not_saved" };
#define NOUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

struct shm {
	uint64_t	count[M_ROUTES][NCODES];
	uint64_t	hist[M_ROUTES][NBUCKETS + 1];
	uint64_t	sum_us[M_ROUTES];
	uint64_t	restarts;
	uint64_t	jobs[M_JOB_TYPES][NOUTCOMES];
	struct {
		int	pid;
		int	db_conns;
		int	redis_up;
	}		w[M_WORKERS];
};

static struct shm *m;
int ks_worker_slot = -1;

int
ks_metrics_init(int nworkers)
{
	(void)nworkers;
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		m = NULL;
		return KS_ERROR;
	}
	memset(m, 0, sizeof(*m));
	return KS_OK;
}

void
ks_metrics_request(int ri, int status, double secs)
{
	size_t c, b;

	if (m == NULL)
		return;
	if (ri < 0 || ri >= M_ROUTES - 1)
		ri = M_ROUTES - 1;
	for (c = 0; c < NCODES - 1 && codes[c] != status; c++)
		;
	__atomic_add_fetch(&m->count[ri][c], 1, __ATOMIC_RELAXED);
	for (b = 0; b < NBUCKETS && secs > buckets[b]; b++)
		;
	__atomic_add_fetch(&m->hist[ri][b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&m->sum_us[ri], (uint64_t)(secs * 1e6),
	    __ATOMIC_RELAXED);
	/*
	 * Written only when it changed: the workers' slots share a cache
	 * line, and a store per request took that line from the other
	 * worker's core every time (issue 13).
	 */
	if (ks_worker_slot >= 0 && ks_worker_slot < M_WORKERS) {
		int n = ks_db_open_count();

		if (__atomic_load_n(&m->w[ks_worker_slot].db_conns,
		    __ATOMIC_RELAXED) != n)
			__atomic_store_n(&m->w[ks_worker_slot].db_conns, n,
			    __ATOMIC_RELAXED);
	}
}

void
ks_metrics_job(int type, int outcome)
{
	if (m != NULL && type >= 0 && type < M_JOB_TYPES && outcome >= 0 &&
	    outcome < (int)NOUTCOMES)
		__atomic_add_fetch(&m->jobs[type][outcome], 1,
		    __ATOMIC_RELAXED);
}

void
ks_metrics_worker_restart(void)
{
	if (m != NULL)
		__atomic_add_fetch(&m->restarts, 1, __ATOMIC_RELAXED);
}

void
ks_metrics_worker_state(int slot, int pid, int redis_up)
{
	if (m == NULL || slot < 0 || slot >= M_WORKERS)
		return;
	m->w[slot].pid = pid;
	m->w[slot].redis_up = redis_up;
}

struct render {
	struct ks_arena	*a;
	char		*buf;
	size_t		 len, cap;
};

static void
put(struct render *r, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *nb;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < r->cap - r->len)
			break;
		nb = ks_arena_alloc(r->a, r->cap * 2);
		memcpy(nb, r->buf, r->len);
		r->buf = nb;
		r->cap *= 2;
	}
	r->len += (size_t)n;
}

static void
route_lines(const struct ks_route *rt, int i, void *arg)
{
	struct render *r = arg;
	uint64_t v, cum = 0;
	size_t c, b;

	for (c = 0; c < NCODES; c++) {
		if ((v = __atomic_load_n(&m->count[i][c], __ATOMIC_RELAXED)) == 0)
			continue;
		put(r, "kasus_http_requests_total{method=\"%s\",route=\"%s\","
		    "status=\"%d\"} %llu\n", rt->method, rt->path, codes[c],
		    (unsigned long long)v);
	}
	for (b = 0; b <= NBUCKETS; b++)
		cum += m->hist[i][b];
	if (cum == 0)
		return;
	cum = 0;
	for (b = 0; b <= NBUCKETS; b++) {
		cum += m->hist[i][b];
		if (b < NBUCKETS)
			put(r, "kasus_http_request_duration_seconds_bucket{"
			    "route=\"%s %s\",le=\"%g\"} %llu\n", rt->method,
			    rt->path, buckets[b], (unsigned long long)cum);
		else
			put(r, "kasus_http_request_duration_seconds_bucket{"
			    "route=\"%s %s\",le=\"+Inf\"} %llu\n", rt->method,
			    rt->path, (unsigned long long)cum);
	}
	put(r, "kasus_http_request_duration_seconds_sum{route=\"%s %s\"} "
	    "%.6f\n", rt->method, rt->path, (double)m->sum_us[i] / 1e6);
	put(r, "kasus_http_request_duration_seconds_count{route=\"%s %s\"} "
	    "%llu\n", rt->method, rt->path, (unsigned long long)cum);
}

char *
ks_metrics_render(struct ks_arena *a, size_t *len)
{
	struct render r = { a, NULL, 0, 65536 };
	int i;

	r.buf = ks_arena_alloc(a, r.cap);
	if (m == NULL) {
		*len = 0;
		return r.buf;
	}
	put(&r, "# HELP kasus_http_requests_total HTTP requests by route and "
	    "status.\n# TYPE kasus_http_requests_total counter\n");
	put(&r, "# HELP kasus_http_request_duration_seconds Request latency.\n"
	    "# TYPE kasus_http_request_duration_seconds histogram\n");
	ks_router_each(route_lines, &r);
	for (i = 0; i < (int)NCODES; i++)
		if (m->count[M_ROUTES - 1][i] != 0)
			put(&r, "kasus_http_requests_total{method=\"-\",route="
			    "\"unmatched\",status=\"%d\"} %llu\n", codes[i],
			    (unsigned long long)m->count[M_ROUTES - 1][i]);
	put(&r, "# HELP kasus_worker_restarts_total Workers respawned by the "
	    "parent.\n# TYPE kasus_worker_restarts_total counter\n"
	    "kasus_worker_restarts_total %llu\n",
	    (unsigned long long)m->restarts);
	put(&r, "# HELP kasus_job_attempts_total Background job attempts by "
	    "type and how they ended.\n# TYPE kasus_job_attempts_total "
	    "counter\n");
	for (i = 0; i < M_JOB_TYPES && i < ks_job_type_count(); i++)
		for (size_t o = 0; o < NOUTCOMES; o++)
			if (m->jobs[i][o] != 0)
				put(&r, "kasus_job_attempts_total{type=\"%s\","
				    "outcome=\"%s\"} %llu\n",
				    ks_job_type_name(i), outcomes[o],
				    (unsigned long long)m->jobs[i][o]);
	put(&r, "# HELP kasus_db_connections Open PostgreSQL connections per "
	    "worker.\n# TYPE kasus_db_connections gauge\n");
	for (i = 0; i < M_WORKERS; i++)
		if (m->w[i].pid != 0)
			put(&r, "kasus_db_connections{worker=\"%d\"} %d\n", i,
			    m->w[i].db_conns);
	put(&r, "# HELP kasus_redis_up Redis answers (1) or not (0).\n"
	    "# TYPE kasus_redis_up gauge\nkasus_redis_up %d\n",
	    ks_redis_ping() == KS_OK);
	put(&r, "# HELP kasus_postgres_up PostgreSQL answers (1) or not (0).\n"
	    "# TYPE kasus_postgres_up gauge\nkasus_postgres_up %d\n",
	    ks_db_ping() == KS_OK);
	*len = r.len;
	return r.buf;
}
