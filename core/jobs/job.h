/*
 * job.h - what the job queue (job.c) and its runner (job_runner.c) share.
 */
#ifndef KS_JOB_H
#define KS_JOB_H

#include <pthread.h>
#include <time.h>

#include "kasus.h"
#include "kasus/module.h"

#define KS_JOB_ATTEMPTS		5
#define KS_JOB_BACKOFF_MS	5000
#define KS_JOB_LEASE_S		60
#define KS_JOB_BACKOFF_MAX_S	3600
#define KS_JOB_TYPES_MAX	64	/* registered types, names <= 95 */

/** A running job: what a job context carries besides the request's. */
struct ks_job {
	int64_t			 id;
	long long		 lease_no;
	int			 attempt;
	const struct ks_job_type *type;
	const char		*module;	/* that declared it; NULL: core */
	long long		 done;		/* items done, last noted */
	double			 last_write;	/* progress last committed */
	json_t			*result;	/* owned */
	volatile int		*stopping;	/* the runner stops */
};

/** A registered type and the module that declared it (NULL: core). */
struct ks_job_entry {
	const struct ks_job_type *type;
	const char		*module;
};

/**
 * Commit the job's transaction and run what waited for it (after_commit);
 * the next statement begins a new one.
 */
int	ks_job_commit(struct ks_request *);

/**
 * A job ended (done, failed, dead) in this process, or the runner heard
 * of one that ended elsewhere (NOTIFY kasus_job_end): the requests of
 * this process waiting for a job's end (GET /jobs/{id}?wait=) read
 * their job again at once.
 */
void	ks_job_ended(void);
/**
 * 1 while this process's job listener has its LISTEN connection: a job's
 * end anywhere then reaches ks_job_ended without a poll; else 0.
 */
int	ks_jobs_listening(void);
/**
 * A condition variable whose timed waits count by CLOCK_MONOTONIC, as
 * ks_now() does (aborts when it cannot be made).
 */
void	ks_job_cond_init(pthread_cond_t *);

/** The type named name, or NULL. */
const struct ks_job_entry *ks_job_type_find(const char *name);
/** The i-th registered type (count: ks_job_type_count), or NULL. */
const struct ks_job_entry *ks_job_type_at(int i);

int	ks_job_max_attempts(const struct ks_job_type *);
int	ks_job_backoff_ms(const struct ks_job_type *);
int	ks_job_lease_s(const struct ks_job_type *);

/**
 * The period a schedule ("hourly", "daily", "monthly") is in at time t
 * (local time): "2026-11-22T14", "2026-11-22", "2026-11". Returns
 * KS_ERROR for an unknown schedule.
 */
int	ks_job_period(const char *schedule, time_t t, char *out, size_t len);
/**
 * Seconds before attempt number attempt + 1 of a job that failed for the
 * attempt-th time: backoff_ms doubled per earlier attempt, at most
 * KS_JOB_BACKOFF_MAX_S, plus up to a tenth more (jitter, from r in
 * [0, 1)) so that retries of many jobs do not come in step.
 */
double	ks_job_backoff(int backoff_ms, int attempt, double r);

#endif
