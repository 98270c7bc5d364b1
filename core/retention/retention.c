/*
 * retention.c - personal data deleted when the canton's rules say so
 * (issue 15).
 *
 * The periods are rule data: the canton's `retention` pack (plugins/
 * retention), effective-dated and approved like every pack, answers them
 * for the day (a tenant's own approved version would take precedence).
 * The daily job core.retention deletes every closed dossier whose period
 * is over, unless a legal hold is set or its client account has bookings
 * of a business year whose accounting records must still be kept; then
 * the household and the persons no other record names
 * (retention_purge_dossier in 0019_retention.sql). Each deletion commits
 * on its own with its audit event (ids and counts, no content) and its
 * counts in retention_run; after the commit the dossier's key (its
 * documents and protected notes, core/casework/document.c) and the value
 * keys of the deleted persons' protected fields are destroyed
 * (core/lib/datakey.c), which makes the copies in backups unreadable. A
 * run ends with a sweep of value keys no row names any more.
 *
 * Routes: the dry run (what is due, held or waiting), the runs with their
 * counts, and the legal hold of a dossier (If-Match, audited).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kasus.h"
#include "lib/datakey.h"
#include "jobs/job.h"
#include "queries.h"

/* Value keys younger than this may belong to a row not yet committed. */
#define SWEEP_MIN_AGE_S	3600

/* JSON text in the request's arena. */
static const char *
dump(struct ks_request *req, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	const char *t = ks_arena_strdup(req->arena, s ? s : "{}");

	free(s);
	return t;
}

/* The periods in force today: {dossier_closed_years, accounting_years,
   pack: {code, data}} into *out (new reference). */
static int
periods(struct ks_request *req, json_t **out)
{
	json_t *in, *res = NULL, *prov = NULL, *y, *a;
	char today[11];
	struct tm tm;
	time_t now = time(NULL);
	int rc;

	*out = NULL;
	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	in = json_object();
	rc = ks_rules_eval(req, "retention", "periods", today, in, &res,
	    &prov);
	json_decref(in);
	if (rc != KS_OK)
		return KS_ERROR;
	y = json_object_get(res, "dossier_closed_years");
	a = json_object_get(res, "accounting_years");
	if (!json_is_integer(y) || !json_is_integer(a) ||
	    json_integer_value(y) < 1 || json_integer_value(y) > 100 ||
	    json_integer_value(a) < 0 || json_integer_value(a) > 100) {
		json_decref(res);
		json_decref(prov);
		return ks_fail(req, 422, "rule_error", "the retention rules "
		    "answered no valid periods (whole years, 1 to 100)");
	}
	*out = json_pack("{s:I,s:I,s:s,s:o}", "dossier_closed_years",
	    (json_int_t)json_integer_value(y), "accounting_years",
	    (json_int_t)json_integer_value(a), "as_of", today, "rules",
	    prov ? prov : json_null());
	json_decref(res);
	return *out != NULL ? KS_OK : ks_fail(req, 500, "internal_error",
	    "out of memory");
}

/* Closed before (date) and the first business year that must be kept. */
static void
cutoffs(struct ks_request *req, json_t *p, const char **closed,
    const char **books)
{
	time_t now = time(NULL);
	struct tm tm;
	long y = json_integer_value(json_object_get(p, "dossier_closed_years"));
	long a = json_integer_value(json_object_get(p, "accounting_years"));
	int mday;

	localtime_r(&now, &tm);
	/* 29 February of a year that has none: 28 February */
	mday = tm.tm_mon == 1 && tm.tm_mday == 29 ? 28 : tm.tm_mday;
	*closed = ks_arena_printf(req->arena, "%04ld-%02d-%02d",
	    (long)tm.tm_year + 1900 - y, tm.tm_mon + 1, mday);
	/* Records of year Y are kept until the end of year Y + a. */
	*books = ks_arena_printf(req->arena, "%04ld-01-01",
	    (long)tm.tm_year + 1900 - a);
}

/* ------------------------------------------------------------- the job */

static int
shred_keys(struct ks_request *req, json_t *keys)
{
	json_t *k;
	size_t i;
	int bad = 0;

	json_array_foreach(keys, i, k)
		if (ks_datakey_shred(ks_datakey_tenant(req),
		    json_string_value(k)) != KS_OK)
			bad = 1;
	ks_datakey_shred_done();
	return bad ? ks_fail(req, 503, "encryption_unavailable", "a value "
	    "key could not be destroyed; the next run sweeps it") : KS_OK;
}

static int
retention_job(struct ks_request *req, json_t *payload)
{
	const char *v[5], *closed, *books, *pj;
	json_t *p, *res, *counts, *keys;
	long long *due, held = 0, waiting = 0, ndue = 0, i;
	long swept = 0;
	PGresult *r, *dk, *a;
	int n;

	(void)payload;
	if (periods(req, &p) != KS_OK)
		return KS_ERROR;
	pj = dump(req, p);
	cutoffs(req, p, &closed, &books);
	v[0] = closed;
	v[1] = books;
	v[2] = "0";
	v[3] = "0";
	if ((r = ks_db_q(req, Q_RETENTION_DUE, 4, v)) == NULL) {
		json_decref(p);
		return KS_ERROR;
	}
	n = PQntuples(r);
	due = ks_arena_alloc(req->arena, sizeof(*due) * (size_t)(n + 1));
	for (i = 0; i < n; i++) {
		const char *st = ks_db_str(r, (int)i, "status");

		if (strcmp(st, "due") == 0)
			due[ndue++] = ks_db_getll(r, (int)i, "id");
		else if (strcmp(st, "legal_hold") == 0)
			held++;
		else
			waiting++;
	}
	/* The job keeps one item's results at a time, not every item's. */
	ks_db_free(req, r);
	if (ks_job_progress(req, 0, ndue) != KS_OK) {
		json_decref(p);
		return KS_ERROR;
	}
	for (i = 0; i < ndue; i++) {
		v[0] = ks_num(req, due[i]);
		v[1] = closed;
		v[2] = books;
		/* The dossier's key (its documents), the dossier locked. */
		if ((dk = ks_db_q(req, Q_RETENTION_DOSSIER_KEY, 1, v)) ==
		    NULL ||
		    (r = ks_db_q(req, Q_RETENTION_PURGE, 3, v)) == NULL)
			goto fail;
		/* NULL: a hold was set, it was reopened or booked meanwhile */
		if (!ks_db_isnull(r, 0, "result")) {
			res = ks_db_json(r, 0, "result");
			counts = json_object_get(res, "counts");
			keys = json_object_get(res, "keys");
			if (PQntuples(dk) == 1)
				json_array_append_new(keys,
				    json_string(ks_db_str(dk, 0, "key_id")));
			if (ks_audit(req, "retention_deleted", "dossier", v[0],
			    NULL, NULL, json_pack("{s:O,s:I,s:O}", "deleted",
			    counts, "keys_shredded", (json_int_t)
			    json_array_size(keys), "periods", p)) != KS_OK) {
				json_decref(res);
				goto fail;
			}
			v[0] = ks_num(req, ks_job_id(req));
			v[1] = pj;
			v[2] = "1";
			v[3] = dump(req, counts);
			v[4] = ks_num(req, (long long)json_array_size(keys));
			if ((a = ks_db_q(req, Q_RETENTION_RUN_ADD, 5, v)) ==
			    NULL || ks_job_commit(req) != KS_OK ||
			    shred_keys(req, keys) != KS_OK) {
				json_decref(res);
				goto fail;
			}
			ks_db_free(req, a);
			json_decref(res);
		}
		ks_db_free(req, r);
		ks_db_free(req, dk);
		if (ks_job_progress(req, i + 1, ndue) != KS_OK)
			goto fail;
	}
	if (ks_datakey_sweep(req, SWEEP_MIN_AGE_S, &swept) != KS_OK)
		goto fail;
	v[0] = ks_num(req, ks_job_id(req));
	v[1] = pj;
	v[2] = ks_num(req, held);
	v[3] = ks_num(req, waiting);
	v[4] = ks_num(req, swept);
	if ((r = ks_db_q(req, Q_RETENTION_RUN_END, 5, v)) == NULL)
		goto fail;
	ks_job_result(req, json_pack("{s:I,s:I,s:I,s:I,s:O,s:O,s:o}",
	    "dossiers", (json_int_t)ks_db_getll(r, 0, "dossiers"),
	    "keys_shredded", (json_int_t)ks_db_getll(r, 0, "keys_shredded"),
	    "on_legal_hold", (json_int_t)held, "waiting_accounting",
	    (json_int_t)waiting,
	    "dossier_closed_years", json_object_get(p,
	    "dossier_closed_years"), "accounting_years",
	    json_object_get(p, "accounting_years"),
	    "rows", ks_db_json(r, 0, "counts")));
	json_decref(p);
	return ks_job_progress(req, ndue, ndue);
fail:
	json_decref(p);
	return KS_ERROR;
}

/* ------------------------------------------------------------- routes */

static int
due_list(struct ks_request *req)
{
	const char *v[4], *closed, *books;
	long long n;
	json_t *p, *items;
	PGresult *r;
	int i;

	if (ks_page(req, &v[2], &v[3], &n) != KS_OK ||
	    periods(req, &p) != KS_OK)
		return KS_ERROR;
	cutoffs(req, p, &closed, &books);
	v[0] = closed;
	v[1] = books;
	if ((r = ks_db_q(req, Q_RETENTION_DUE, 4, v)) == NULL) {
		json_decref(p);
		return KS_ERROR;
	}
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s?,"
		    "s:s}", "dossier_id", (json_int_t)ks_db_getll(r, i, "id"),
		    "number", ks_db_str(r, i, "number"),
		    "closed_on", ks_db_str(r, i, "closed_on"),
		    "last_booking", ks_db_get(r, i, "last_booking"),
		    "status", ks_db_str(r, i, "status")));
	json_object_set_new(p, "closed_before", json_string(closed));
	json_object_set_new(p, "bookings_before", json_string(books));
	return ks_reply(req, 200, json_pack("{s:o,s:o,s:o}", "periods", p,
	    "items", items, "next", ks_db_cursor(r, n, "id")));
}

static int
runs_list(struct ks_request *req)
{
	const char *v[2];
	long long n;
	json_t *items;
	PGresult *r;
	int i;

	if (ks_page(req, &v[0], &v[1], &n) != KS_OK ||
	    (r = ks_db_q(req, Q_RETENTION_RUNS, 2, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:o,s:I,"
		    "s:o,s:I,s:I,s:I,s:s,s:s}",
		    "id", (json_int_t)ks_db_getll(r, i, "id"),
		    "job_id", (json_int_t)ks_db_getll(r, i, "job_id"),
		    "run_on", ks_db_str(r, i, "run_on"),
		    "periods", ks_db_json(r, i, "periods"),
		    "dossiers", (json_int_t)ks_db_getll(r, i, "dossiers"),
		    "deleted", ks_db_json(r, i, "counts"),
		    "keys_shredded", (json_int_t)ks_db_getll(r, i,
		    "keys_shredded"),
		    "held", (json_int_t)ks_db_getll(r, i, "held"),
		    "waiting_accounting", (json_int_t)ks_db_getll(r, i,
		    "waiting"),
		    "created_at", ks_db_str(r, i, "created_at"),
		    "updated_at", ks_db_str(r, i, "updated_at")));
	return ks_reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", ks_db_cursor(r, n, "id")));
}

static json_t *
hold_json(PGresult *r)
{
	return json_pack("{s:I,s:s,s:s,s:s?,s:b,s:s?,s:o,s:s?,s:I}",
	    "dossier_id", (json_int_t)ks_db_getll(r, 0, "id"),
	    "number", ks_db_str(r, 0, "number"),
	    "state", ks_db_str(r, 0, "state"),
	    "closed_on", ks_db_get(r, 0, "closed_on"),
	    "legal_hold", strcmp(ks_db_str(r, 0, "legal_hold"), "t") == 0,
	    "reason", ks_db_get(r, 0, "legal_hold_reason"),
	    "held_by", ks_db_json_int(r, 0, "legal_hold_by"),
	    "held_at", ks_db_get(r, 0, "legal_hold_at"),
	    "version", (json_int_t)ks_db_getll(r, 0, "version"));
}

static int
hold_show(struct ks_request *req)
{
	PGresult *r;

	if ((r = ks_param_row(req, "id", Q_RETENTION_HOLD_GET,
	    "dossier")) == NULL)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, hold_json(r));
}

static int
hold_put(struct ks_request *req)
{
	const char *v[5], *reason = ks_body_str(req, "reason");
	json_t *on = json_object_get(req->body, "hold");
	PGresult *b, *r;
	int hold = json_is_true(on);

	if ((b = ks_param_row(req, "id", Q_RETENTION_HOLD_GET,
	    "dossier")) == NULL || ks_check_etag(req, ks_db_getll(b, 0,
	    "version"), hold_json(b)) != KS_OK)
		return KS_ERROR;
	if (hold && reason == NULL)
		return ks_fail_detail(req, 400, "missing_field", "a legal hold "
		    "needs its reason", json_pack("{s:s}", "field", "reason"));
	v[0] = ks_db_str(b, 0, "id");
	v[1] = hold ? "true" : "false";
	v[2] = hold ? reason : NULL;
	v[3] = ks_num(req, req->who.user_id);
	v[4] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_RETENTION_HOLD_SET, 5, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		r = ks_db_q(req, Q_RETENTION_HOLD_GET, 1, v);
		return ks_fail_detail(req, 409, "conflict", "someone else "
		    "changed this dossier; review it and apply your change "
		    "again", r && PQntuples(r) == 1 ? json_pack("{s:o}",
		    "current", hold_json(r)) : NULL);
	}
	if ((r = ks_db_q(req, Q_RETENTION_HOLD_GET, 1, v)) == NULL ||
	    ks_audit(req, hold ? "legal_hold_set" : "legal_hold_lifted",
	    "dossier", v[0], hold_json(b), hold_json(r), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, hold_json(r));
}

static const struct ks_job_type jobs[] = {
	{ "core.retention", retention_job, "daily", 0, 0, 300 },
	KS_JOB_TYPES_END
};

static const struct ks_field hold_body[] = {
	{ "hold", KS_F_BOOL, 1, 0, 0, "true sets the legal hold, false "
	    "lifts it" },
	{ "reason", KS_F_STRING, 0, 1, 500, "why the dossier must be kept "
	    "(needed to set the hold)" },
	KS_FIELDS_END
};

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/retention/due", "retention.read", 0, NULL,
	    KS_R_PAGED, due_list, "dry run: the closed dossiers whose period "
	    "is over, due (the next run deletes them), on legal hold, or "
	    "waiting for their accounting records; with the periods in "
	    "force", NULL },
	{ "GET", "/api/v1/retention/runs", "retention.read", 0, NULL,
	    KS_R_PAGED, runs_list, "what each retention run deleted: counts "
	    "per kind, no personal data", NULL },
	{ "GET", "/api/v1/retention/holds/{id}", "retention.read", 0, NULL, 0,
	    hold_show, "a dossier's legal hold (ETag for the change)", NULL },
	{ "PUT", "/api/v1/retention/holds/{id}", "retention.hold", 1024,
	    hold_body, KS_R_ETAG, hold_put, "set or lift a dossier's legal "
	    "hold, which stops its deletion (If-Match, audited)", NULL },
	KS_ROUTES_END
};

void
ks_retention_register(void)
{
	ks_router_add(routes, NULL);
	if (ks_job_types_add(jobs, NULL) != KS_OK)
		abort();
}
