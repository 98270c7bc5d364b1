/*
 * test_job.c - the parts of the job queue that need no database
 * (core/jobs/job.c): the period a schedule is in, the back-off that doubles up
 * to its cap, and which job type tables the registry refuses.
 */
#include <stdlib.h>
#include <time.h>

#include "jobs/job.h"
#include "ks_test.h"

static int
run(struct ks_request *req, json_t *payload)
{
	(void)req;
	(void)payload;
	return KS_OK;
}

KS_TEST(periods)
{
	/* 2026-11-22 14:30:00 in Zurich (CET, UTC+1). */
	time_t t = 1795354200;
	char b[32];

	setenv("TZ", "Europe/Zurich", 1);
	tzset();
	KS_CHECK_INT(ks_job_period("daily", t, b, sizeof(b)), KS_OK);
	KS_CHECK_STR(b, "2026-11-22");
	KS_CHECK_INT(ks_job_period("monthly", t, b, sizeof(b)), KS_OK);
	KS_CHECK_STR(b, "2026-11");
	KS_CHECK_INT(ks_job_period("hourly", t, b, sizeof(b)), KS_OK);
	KS_CHECK_STR(b, "2026-11-22T14");
	/* Local midnight starts the next day, not UTC's. */
	KS_CHECK_INT(ks_job_period("daily", 1795388400, b, sizeof(b)), KS_OK);
	KS_CHECK_STR(b, "2026-11-23");
	KS_CHECK_INT(ks_job_period("weekly", t, b, sizeof(b)), KS_ERROR);
	KS_CHECK_INT(ks_job_period(NULL, t, b, sizeof(b)), KS_ERROR);
	KS_CHECK_INT(ks_job_period("daily", t, b, 4), KS_ERROR);
}

KS_TEST(backoff_doubles_to_its_cap)
{
	KS_CHECK(ks_job_backoff(200, 1, 0) == 0.2);
	KS_CHECK(ks_job_backoff(200, 2, 0) == 0.4);
	KS_CHECK(ks_job_backoff(200, 3, 0) == 0.8);
	KS_CHECK(ks_job_backoff(5000, 30, 0) == KS_JOB_BACKOFF_MAX_S);
	KS_CHECK(ks_job_backoff(5000, 1000000, 0.5) <=
	    KS_JOB_BACKOFF_MAX_S * 1.1);
	/* Jitter adds at most a tenth, never takes away. */
	KS_CHECK(ks_job_backoff(1000, 1, 0.999) < 1.1);
	KS_CHECK(ks_job_backoff(1000, 1, 0.999) > 1.0);
	KS_CHECK(ks_job_backoff(1000, 1, 7) <= 1.1);
	KS_CHECK(ks_job_backoff(1000, 1, -1) == 1.0);
}

KS_TEST(registry_refuses_bad_tables)
{
	static const struct ks_job_type good[] = {
		{ "mod.one", run, NULL, 0, 0, 0 },
		{ "mod.two_2", run, "monthly", 3, 100, 5 },
		KS_JOB_TYPES_END
	};
	static const struct ks_job_type other[] = {
		{ "other.one", run, "daily", 0, 0, 0 },
		KS_JOB_TYPES_END
	};
	static const struct ks_job_type bad[][2] = {
		{ { "one", run, NULL, 0, 0, 0 } },		/* no module */
		{ { "other.one", run, NULL, 0, 0, 0 } },	/* not its own */
		{ { "mod.One", run, NULL, 0, 0, 0 } },		/* upper case */
		{ { "mod.x", run, NULL, 0, 0, 0 } },		/* too short */
		{ { "mod.three", NULL, NULL, 0, 0, 0 } },	/* no handler */
		{ { "mod.three", run, "weekly", 0, 0, 0 } },	/* schedule */
		{ { "mod.three", run, NULL, -1, 0, 0 } },
		{ { "mod.three", run, NULL, 0, 0, 86401 } },
		{ { "mod.one", run, NULL, 0, 0, 0 } },		/* taken */
	};
	const struct ks_job_entry *e;
	size_t i;

	KS_CHECK_INT(ks_job_types_add(good, "mod"), KS_OK);
	KS_CHECK_INT(ks_job_types_add(other, "other"), KS_OK);
	KS_CHECK_INT(ks_job_type_count(), 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KS_CHECK_INT(ks_job_types_add(bad[i], "mod"), KS_ERROR);
		KS_CHECK_INT(ks_job_type_count(), 3);
	}
	e = ks_job_type_find("mod.two_2");
	KS_CHECK(e != NULL && strcmp(e->module, "mod") == 0);
	KS_CHECK_INT(ks_job_max_attempts(e->type), 3);
	KS_CHECK_INT(ks_job_backoff_ms(e->type), 100);
	KS_CHECK_INT(ks_job_lease_s(e->type), 5);
	e = ks_job_type_find("mod.one");
	KS_CHECK_INT(ks_job_max_attempts(e->type), KS_JOB_ATTEMPTS);
	KS_CHECK_INT(ks_job_backoff_ms(e->type), KS_JOB_BACKOFF_MS);
	KS_CHECK_INT(ks_job_lease_s(e->type), KS_JOB_LEASE_S);
	/* A module unloaded takes its types along, and only its own. */
	ks_job_types_remove("mod");
	KS_CHECK_INT(ks_job_type_count(), 1);
	KS_CHECK(ks_job_type_find("mod.one") == NULL);
	KS_CHECK(ks_job_type_find("other.one") != NULL);
	ks_job_types_remove("other");
	KS_CHECK_INT(ks_job_type_count(), 0);
}
