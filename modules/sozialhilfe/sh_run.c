/*
 * sh_run.c - monthly payment runs of the Sozialhilfe module, exported as
 * pain.001.001.09 (SPS).
 *
 * A run is created by accounting (payment.run) and approved by someone
 * else with payment.approve. Its lines copy creditor and amount when the
 * run is computed; until approval a run can be computed again (after a
 * late decision, say) or discarded and made again. Approval fixes the
 * lines, message id, creation time, execution date and debtor, so every
 * export of the run is the same file. The export books each line on the
 * client account (ledger_entry kind 'payment', negative); a return
 * reported by the bank books it back ('correction').
 *
 * Computing a new run and the export are background jobs (the routes
 * answer 202 with the job): sozialhilfe.payment_run computes the lines of
 * the run the route made, in one transaction under the tenant's run lock;
 * sozialhilfe.payment_export writes the file, books the lines one by one
 * with its progress, then marks the run exported. Both may run again
 * after a crash: the first computes a draft run anew (as recomputing
 * does) and leaves an approved one alone, the second books a line once
 * (its end-to-end id is unique among the tenant's payments) and writes
 * the same file. Afterwards GET .../pain001 hands out that file.
 *
 * Every line names the month it pays. A month whose run was approved
 * before the support for it was decided (or whose payment was held or
 * returned) is paid by the next run as a back payment (Nachzahlung): one
 * line per dossier and month, to the applicant, for what the budget in
 * force for that month says less what was paid for it. Only dossiers
 * whose state, budgets or payments changed are compared (the database
 * marks them; an approved run removes the marks it checked, and a run
 * approved late marks again what later runs had unmarked). Computing
 * runs is serialised per tenant, so two runs never pay a month twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh_pay.h"
#include "kasus/iso20022.h"

#define PAIN_XSD	"/../shared/refdata/pain001/pain.001.001.09.ch.03.xsd"

/* Columns of pay_run_get / _lock / _list. */
enum { R_ID, R_MONTH, R_STATUS, R_EXEC, R_CBY, R_CAT, R_ABY, R_AAT, R_MSG,
	R_CTS, R_DEBTOR, R_XAT, R_XBY, R_SHA, R_VERSION, R_COMPUTED };

static json_t *
run_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:I,s:s}", "id", ll(r, i, R_ID), "month",
	    PQgetvalue(r, i, R_MONTH),
	    "status", PQgetvalue(r, i, R_STATUS), "execution_date",
	    PQgetvalue(r, i, R_EXEC), "created_by", ll(r, i, R_CBY),
	    "created_at", PQgetvalue(r, i, R_CAT), "approved_by",
	    int_or_null(r, i, R_ABY), "approved_at", str_or_null(r, i, R_AAT),
	    "message_id", str_or_null(r, i, R_MSG), "exported_at",
	    str_or_null(r, i, R_XAT), "exported_by", int_or_null(r, i, R_XBY),
	    "file_sha256", str_or_null(r, i, R_SHA), "version",
	    ll(r, i, R_VERSION), "computed_at", PQgetvalue(r, i, R_COMPUTED));
}

/* Counts and sums of a run's lines, by kind and status. */
static json_t *
run_summary(struct ks_request *req, const char *run)
{
	const char *v[1] = { run };
	json_int_t n = 0, total = 0, held = 0, held_total = 0, c, s;
	json_t *kinds = json_object(), *st = json_object(), *k;
	PGresult *r;
	int i;

	if ((r = sh_q(req, Q_PAY_RUN_SUMMARY, 1, v)) == NULL) {
		json_decref(kinds);
		json_decref(st);
		return NULL;
	}
	for (i = 0; i < PQntuples(r); i++) {
		c = ll(r, i, 2);
		s = ll(r, i, 3);
		json_object_set_new(st, PQgetvalue(r, i, 1), json_integer(c +
		    json_integer_value(json_object_get(st,
		    PQgetvalue(r, i, 1)))));
		if (strcmp(PQgetvalue(r, i, 1), "held") == 0) {
			held += c;
			held_total += s;
			continue;
		}
		n += c;
		total += s;
		if ((k = json_object_get(kinds, PQgetvalue(r, i, 0))) == NULL) {
			k = json_pack("{s:I,s:I}", "count", (json_int_t)0,
			    "total", (json_int_t)0);
			json_object_set_new(kinds, PQgetvalue(r, i, 0), k);
		}
		json_object_set_new(k, "count", json_integer(c +
		    json_integer_value(json_object_get(k, "count"))));
		json_object_set_new(k, "total", json_integer(s +
		    json_integer_value(json_object_get(k, "total"))));
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "lines", n, "total",
	    total, "held", held, "held_total", held_total, "by_kind", kinds,
	    "by_status", st);
}

static PGresult *
run_get(struct ks_request *req, int64_t *id, int lock)
{
	const char *v[1];
	PGresult *r;

	if (ks->param_id(req, "id", id) != KS_OK)
		return NULL;
	v[0] = ks->num(req, *id);
	if ((r = sh_q(req, lock ? Q_PAY_RUN_LOCK : Q_PAY_RUN_GET, 1,
	    v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such payment run");
		return NULL;
	}
	return r;
}

/* Run id (a number as text), locked; NULL with 404 set when gone. */
static PGresult *
run_lock_id(struct ks_request *req, const char *id)
{
	const char *v[1] = { id };
	PGresult *r;

	if ((r = sh_q(req, Q_PAY_RUN_LOCK, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such payment run");
		return NULL;
	}
	return r;
}

/* The run a job's payload names ({"run": id}), as text. */
static const char *
payload_run(struct ks_request *job, json_t *payload)
{
	json_t *id = json_object_get(payload, "run");

	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		ks->fail(job, 400, "invalid_body", "the job names no run");
		return NULL;
	}
	return ks->num(job, json_integer_value(id));
}

/* The run with its summary, freshly read. */
static json_t *
run_full(struct ks_request *req, const char *id)
{
	const char *v[1] = { id };
	json_t *j, *s;
	PGresult *r;

	if ((r = sh_q(req, Q_PAY_RUN_GET, 1, v)) == NULL ||
	    PQntuples(r) != 1 || (s = run_summary(req, id)) == NULL)
		return NULL;
	j = run_json(r, 0);
	json_object_set_new(j, "summary", s);
	ks->set_etag(req, ll(r, 0, R_VERSION));
	return j;
}

/* "YYYY-MM" with a plausible year; *first is the month's first day. */
static int
parse_month(struct ks_request *req, const char *m, const char **first)
{
	char buf[16];
	int y, mo;

	if (m == NULL || strlen(m) != 7 || m[4] != '-' ||
	    strspn(m, "0123456789") != 4 || strspn(m + 5, "0123456789") != 2)
		return bad_field(req, "invalid_value",
		    "a month is written YYYY-MM", "month");
	y = atoi(m);
	mo = atoi(m + 5);
	if (y < 2000 || y > 2199 || mo < 1 || mo > 12)
		return bad_field(req, "invalid_value",
		    "a month is written YYYY-MM", "month");
	snprintf(buf, sizeof(buf), "%.7s-01", m);
	*first = ks->strdup(req, buf);
	return KS_OK;
}

/*
 * Hold the lines whose IBAN fails the mod-97 check or is a QR-IBAN: the
 * database checks only the form. One statement for the whole run.
 */
static int
hold_bad_ibans(struct ks_request *req, const char *run)
{
	const char *v[3] = { run, NULL, NULL };
	char norm[KS_IBAN_BUFLEN], *ids, *probs;
	size_t il = 2, pl = 2, io = 0, po = 0;
	PGresult *r;
	int i, bad = 0, q;

	if ((r = sh_q(req, Q_PAY_RUN_OPEN_IBANS, 1, v)) == NULL)
		return KS_ERROR;
	il += (size_t)PQntuples(r) * 21;
	pl += (size_t)PQntuples(r) * 14;
	ids = ks->alloc(req, il);
	probs = ks->alloc(req, pl);
	ids[io++] = '{';
	probs[po++] = '{';
	for (i = 0; i < PQntuples(r); i++) {
		q = 0;
		if (ks->iban_valid(PQgetvalue(r, i, 1), norm,
		    sizeof(norm)) != 1)
			q = 1;
		else if (ks->iban_is_qr(norm))
			q = 2;
		if (q == 0)
			continue;
		io += (size_t)snprintf(ids + io, il - io, "%s%s",
		    bad ? "," : "", PQgetvalue(r, i, 0));
		po += (size_t)snprintf(probs + po, pl - po, "%s%s",
		    bad ? "," : "", q == 1 ? "invalid_iban" : "qr_iban");
		bad++;
	}
	if (bad == 0)
		return KS_OK;
	ids[io] = '}';
	probs[po] = '}';
	v[1] = ids;
	v[2] = probs;
	return sh_q(req, Q_PAY_RUN_HOLD, 3, v) == NULL ? KS_ERROR : KS_OK;
}

/*
 * One computation of a run at a time per tenant: creating, recomputing
 * and discarding runs wait for each other, so what one run pays is seen
 * by the next one (no month paid twice by two drafts made at once).
 */
static int
lock_runs(struct ks_request *req)
{
	return sh_q(req, Q_PAY_RUN_LOCK_TENANT, 0, NULL) == NULL ?
	    KS_ERROR : KS_OK;
}

/* The run's lines for its month, back payments and approved one-offs. */
static int
compute_lines(struct ks_request *req, const char *run, const char *first)
{
	const char *v[3] = { run, first, NULL };
	char month[8];

	snprintf(month, sizeof(month), "%.7s", first);
	v[2] = month;
	if (sh_q(req, Q_PAY_RUN_MARKS_TAKE, 1, v) == NULL ||
	    sh_q(req, Q_PAY_RUN_LINES_CREATE, 3, v) == NULL ||
	    hold_bad_ibans(req, run) != KS_OK ||
	    sh_q(req, Q_PAY_RUN_ONEOFFS_TAKE, 1, v) == NULL)
		return KS_ERROR;
	return KS_OK;
}

/*
 * A new run of a month: the empty draft is made here (one regular run
 * per month, 409 run_exists with the one there is), its lines by the job
 * sozialhilfe.payment_run (202, the job).
 */
static int
run_create(struct ks_request *req)
{
	const char *month = body_s(req, "month"), *first = NULL, *v[3];
	const char *exec = body_s(req, "execution_date");
	char key[64];
	PGresult *r;
	json_t *j;
	int64_t job;
	int rc;

	if (parse_month(req, month, &first) != KS_OK || lock_runs(req) != KS_OK)
		return KS_ERROR;
	v[0] = first;
	v[1] = exec ? exec : first;
	v[2] = ks->num(req, ks->user_id(req));
	if ((r = sh_q(req, Q_PAY_RUN_INSERT, 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		/* One regular run per month: answer with the one there is. */
		if ((r = sh_q(req, Q_PAY_RUN_BY_MONTH, 1, v)) == NULL ||
		    PQntuples(r) != 1 ||
		    (j = run_full(req, PQgetvalue(r, 0, 0))) == NULL)
			return KS_ERROR;
		return ks->fail_detail(req, 409, "run_exists", "there is a "
		    "payment run for this month already", json_pack("{s:o}",
		    "run", j));
	}
	snprintf(key, sizeof(key), "payment_run:%s", PQgetvalue(r, 0, 0));
	j = json_pack("{s:I}", "run", ll(r, 0, 0));
	rc = ks->job_enqueue(req, "sozialhilfe.payment_run", j, key, &job);
	json_decref(j);
	if (rc != KS_OK)
		return KS_ERROR;
	return ks->job_accepted(req, job);
}

/* What a job says of the run it made or exported. */
static json_t *
run_result(PGresult *b, json_t *summary)
{
	json_t *j = json_pack("{s:I,s:s}", "run", ll(b, 0, R_ID), "month",
	    PQgetvalue(b, 0, R_MONTH));

	if (summary != NULL) {
		json_object_set(j, "lines", json_object_get(summary, "lines"));
		json_object_set(j, "held", json_object_get(summary, "held"));
	}
	return j;
}

/*
 * The job sozialhilfe.payment_run: compute the lines of a new draft run.
 * One transaction under the tenant's run lock (a commit between would
 * let another run compute at the same time).
 * Again after a crash: the draft is computed anew; a run approved or
 * discarded meanwhile is left as it is. No count of items: the lines are
 * made by a few statements, not one by one.
 */
int
sh_run_compute_job(struct ks_request *job, json_t *payload)
{
	const char *id, *first, *v[1];
	char buf[11];
	PGresult *b, *r;
	json_t *j, *s;

	if ((id = payload_run(job, payload)) == NULL ||
	    ks->job_progress(job, 0, -1) != KS_OK ||
	    lock_runs(job) != KS_OK || (b = run_lock_id(job, id)) == NULL)
		return KS_ERROR;
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "draft") != 0) {
		ks->job_result(job, run_result(b, NULL));
		return KS_OK;
	}
	v[0] = id;
	if ((r = sh_q(job, Q_PAY_RUN_CLEAR, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(job, 409, "invalid_state",
		    "the payment run changed meanwhile");
	snprintf(buf, sizeof(buf), "%s-01", PQgetvalue(b, 0, R_MONTH));
	first = ks->strdup(job, buf);
	if (compute_lines(job, id, first) != KS_OK ||
	    (j = run_full(job, id)) == NULL)
		return KS_ERROR;
	s = json_object_get(j, "summary");
	ks->job_result(job, run_result(b, s));
	if (ks->audit(job, "payment_run_created", "sh_payment_run", id, NULL,
	    j, json_pack("{s:I}", "job", (json_int_t)ks->job_id(job))) !=
	    KS_OK)
		return KS_ERROR;
	return KS_OK;
}

/*
 * A draft run and the version the caller saw (If-Match), locked; NULL
 * with the error set; refusal says why an approved run is refused.
 */
static PGresult *
draft_run(struct ks_request *req, int64_t *id, const char *refusal)
{
	PGresult *b;

	if ((b = run_get(req, id, 1)) == NULL)
		return NULL;
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "draft") != 0) {
		ks->fail_detail(req, 409, "invalid_state", refusal,
		    json_pack("{s:o}", "current", run_json(b, 0)));
		return NULL;
	}
	if (ks->check_etag(req, ll(b, 0, R_VERSION), run_json(b, 0)) != KS_OK)
		return NULL;
	return b;
}

/*
 * Compute a draft run again: its lines (and the one-off payments it had
 * taken) are dropped and made anew from today's budgets, dossiers and
 * payments. What the run paid before and pays now goes to the audit log.
 */
static int
run_recompute(struct ks_request *req)
{
	const char *v[1], *first;
	char buf[11];
	PGresult *b, *r;
	json_t *before, *j;
	int64_t id;

	if (lock_runs(req) != KS_OK || (b = draft_run(req, &id,
	    "an approved payment run is frozen; its month is caught up by "
	    "the next run")) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if ((before = run_summary(req, v[0])) == NULL)
		return KS_ERROR;
	if ((r = sh_q(req, Q_PAY_RUN_CLEAR, 1, v)) == NULL ||
	    PQntuples(r) != 1) {
		json_decref(before);
		return r == NULL ? KS_ERROR : ks->fail(req, 409,
		    "invalid_state", "the payment run changed meanwhile");
	}
	snprintf(buf, sizeof(buf), "%s-01", PQgetvalue(b, 0, R_MONTH));
	first = ks->strdup(req, buf);
	if (compute_lines(req, v[0], first) != KS_OK ||
	    (j = run_full(req, v[0])) == NULL) {
		json_decref(before);
		return KS_ERROR;
	}
	if (ks->audit(req, "payment_run_recomputed", "sh_payment_run", v[0],
	    json_pack("{s:o}", "summary", before), json_incref(j), NULL) !=
	    KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	return ks->reply(req, 200, j);
}

static int
runs_list(struct ks_request *req)
{
	const char *v[2];
	long long n;
	PGresult *r;

	if (need_any(req, "payment.run", "payment.approve") != KS_OK ||
	    ks->page(req, &v[0], &v[1], &n) != KS_OK ||
	    (r = sh_q(req, Q_PAY_RUN_LIST, 2, v)) == NULL)
		return KS_ERROR;
	return page_reply(req, r, n, run_json);
}

static json_t *
line_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:I,s:I,s:{s:s,s:o,s:o,s:o,s:o,s:o,"
	    "s:o},s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", ll(r, i, 0),
	    "dossier_id", ll(r, i, 1), "kind", PQgetvalue(r, i, 2),
	    "source_id", ll(r, i, 3), "amount", ll(r, i, 4), "creditor",
	    "name", PQgetvalue(r, i, 5), "street", str_or_null(r, i, 6),
	    "house_no", str_or_null(r, i, 7), "postcode", str_or_null(r, i, 8),
	    "town", str_or_null(r, i, 9), "country", str_or_null(r, i, 10),
	    "iban", str_or_null(r, i, 11), "text", PQgetvalue(r, i, 12),
	    "end_to_end_id", PQgetvalue(r, i, 13), "status",
	    PQgetvalue(r, i, 14), "problem", str_or_null(r, i, 15),
	    "booked_on", str_or_null(r, i, 16), "return_reason",
	    str_or_null(r, i, 17), "for_month", str_or_null(r, i, 18));
}

/* A run with a page of its lines (?kind=back_payment: only those). */
static int
run_show(struct ks_request *req)
{
	static const char *const kinds[] = { "support", "rent", "kvg",
	    "one_off", "back_payment", NULL };
	const char *v[4], *k = ks->query(req, "kind");
	long long n;
	PGresult *r;
	json_t *j, *items;
	int64_t id;
	int i;

	if (need_any(req, "payment.run", "payment.approve") != KS_OK)
		return KS_ERROR;
	if (k != NULL) {
		for (i = 0; kinds[i] != NULL && strcmp(kinds[i], k) != 0; i++)
			;
		if (kinds[i] == NULL)
			return ks->fail_detail(req, 400, "invalid_parameter",
			    "kind is support, rent, kvg, one_off or "
			    "back_payment", json_pack("{s:s}", "parameter",
			    "kind"));
	}
	if (ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    run_get(req, &id, 0) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	v[3] = k;
	if ((j = run_full(req, v[0])) == NULL)
		return KS_ERROR;
	if ((r = sh_q(req, Q_PAY_RUN_LINES, 4, v)) == NULL) {
		json_decref(j);
		return KS_ERROR;
	}
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, line_json(r, i));
	json_object_set_new(j, "lines", items);
	json_object_set_new(j, "next", next_cursor(r, n));
	return ks->reply(req, 200, j);
}

static int
run_approve(struct ks_request *req)
{
	const char *v[2];
	PGresult *b, *a;
	json_t *s, *j;
	int64_t id;

	if ((b = run_get(req, &id, 1)) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, ks->user_id(req));
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "draft") != 0)
		return ks->fail(req, 409, "invalid_state",
		    "this payment run is approved already");
	if (ll(b, 0, R_CBY) == ks->user_id(req))
		return ks->fail(req, 403, "four_eyes_required",
		    "a payment run is approved by someone other than who "
		    "created it");
	/* The approver approves the lines they saw, not a later computation. */
	if (ks->check_etag(req, ll(b, 0, R_VERSION), run_json(b, 0)) != KS_OK)
		return KS_ERROR;
	if ((a = sh_q(req, Q_PAY_ACCOUNT_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(a) != 1)
		return ks->fail(req, 409, "payment_account_missing",
		    "the social service has no payment account yet; its "
		    "administrator sets one");
	if ((s = run_summary(req, v[0])) == NULL)
		return KS_ERROR;
	if (json_integer_value(json_object_get(s, "lines")) == 0) {
		json_decref(s);
		return ks->fail(req, 409, "nothing_to_pay",
		    "this run has no payment that could be made");
	}
	json_decref(s);
	if (sh_q(req, Q_PAY_RUN_APPROVE, 2, v) == NULL ||
	    sh_q(req, Q_PAY_RUN_MARKS_CLEAR, 1, v) == NULL ||
	    sh_q(req, Q_PAY_RUN_MARKS_AGAIN, 1, v) == NULL ||
	    (j = run_full(req, v[0])) == NULL)
		return KS_ERROR;
	if (ks->audit(req, "payment_run_approved", "sh_payment_run", v[0],
	    run_json(b, 0), json_incref(j), NULL) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	return ks->reply(req, 200, j);
}

static int
run_delete(struct ks_request *req)
{
	const char *v[1];
	PGresult *b, *r;
	int64_t id;

	if (lock_runs(req) != KS_OK || (b = draft_run(req, &id,
	    "an approved payment run cannot be discarded")) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if (sh_q(req, Q_PAY_RUN_CLEAR, 1, v) == NULL ||
	    (r = sh_q(req, Q_PAY_RUN_DELETE, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "invalid_state",
		    "the payment run changed meanwhile");
	if (ks->audit(req, "payment_run_discarded", "sh_payment_run", v[0],
	    run_json(b, 0), NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks->reply(req, 204, NULL);
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Fill the pain.001 run from the frozen run row and its lines. */
static int
iso_run(struct ks_request *req, PGresult *run, PGresult *l, json_t *debtor,
    struct ks_iso_run *x)
{
	struct ks_iso_payment *p;
	int i, n = PQntuples(l);

	memset(x, 0, sizeof(*x));
	x->msg_id = PQgetvalue(run, 0, R_MSG);
	x->created = PQgetvalue(run, 0, R_CTS);
	x->exec_date = PQgetvalue(run, 0, R_EXEC);
	x->debtor.name = jstr(debtor, "name");
	x->debtor.iban = jstr(debtor, "iban");
	x->debtor.bic = jstr(debtor, "bic");
	x->debtor.addr.street = jstr(debtor, "street");
	x->debtor.addr.building = jstr(debtor, "house_no");
	x->debtor.addr.postcode = jstr(debtor, "postcode");
	x->debtor.addr.town = jstr(debtor, "town");
	x->debtor.addr.country = jstr(debtor, "country");
	x->charset = KS_ISO_CHARSET_REPLACE;
	p = ks->alloc(req, sizeof(*p) * (size_t)(n > 0 ? n : 1));
	for (i = 0; i < n; i++) {
		p[i].end_to_end_id = PQgetvalue(l, i, 10);
		p[i].instr_id = PQgetvalue(l, i, 10);
		p[i].amount = (int64_t)ll(l, i, 1);
		p[i].currency = "CHF";
		p[i].creditor_name = PQgetvalue(l, i, 2);
		p[i].creditor_addr.street = str(l, i, 3);
		p[i].creditor_addr.building = str(l, i, 4);
		p[i].creditor_addr.postcode = str(l, i, 5);
		p[i].creditor_addr.town = str(l, i, 6);
		p[i].creditor_addr.country = str(l, i, 7);
		p[i].creditor_iban = PQgetvalue(l, i, 8);
		p[i].ustrd = PQgetvalue(l, i, 9);
	}
	x->payments = p;
	x->npayments = (size_t)n;
	return KS_OK;
}

/*
 * Validate against the SPS schema when the deployment has it: *schema is
 * "valid" or "unchecked" (no schema file); KS_ERROR with 500
 * export_invalid when the file fails it.
 */
static int
pain_validate(struct ks_request *req, const char *xml, size_t len,
    const char **schema)
{
	char path[1024], err[256];

	snprintf(path, sizeof(path), "%s%s", ks->root(), PAIN_XSD);
	*schema = "unchecked";
	if (access(path, R_OK) != 0)
		return KS_OK;
	if (ks->xml_validate(xml, len, path, err, sizeof(err)) != 0) {
		ks->log(3, "payment file fails the SPS schema: %s", err);
		return ks->fail_detail(req, 500, "export_invalid",
		    "the payment file does not pass the bank schema",
		    json_pack("{s:s}", "problem", err));
	}
	*schema = "valid";
	return KS_OK;
}

/*
 * The pain.001 file of approved run b (locked or not) with its lines
 * *l: written, checked against the SPS schema and, when the run was
 * exported, against the file it was exported with. *xml is the caller's
 * to free (ks->free); KS_ERROR with the error set and nothing to free.
 */
static int
pain_file(struct ks_request *req, PGresult *b, PGresult **l, char **xml,
    size_t *len, char sha[65], const char **schema)
{
	struct ks_iso_run x;
	const char *v[1];
	char err[256];
	json_t *debtor;
	int rc;

	*xml = NULL;
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "approved") != 0)
		return ks->fail(req, 409, "run_not_approved",
		    "only an approved payment run can be exported");
	v[0] = PQgetvalue(b, 0, R_ID);
	if ((*l = sh_q(req, Q_PAY_RUN_EXPORT_LINES, 1, v)) == NULL)
		return KS_ERROR;
	if ((debtor = json_loads(PQgetvalue(b, 0, R_DEBTOR), 0, NULL)) == NULL)
		return ks->fail(req, 500, "internal_error",
		    "the run's debtor cannot be read");
	iso_run(req, b, *l, debtor, &x);
	rc = ks->pain001_write(&x, xml, len, err, sizeof(err));
	json_decref(debtor);
	if (rc != 0) {
		*xml = NULL;
		ks->log(3, "payment run %s not written: %s", v[0], err);
		return ks->fail_detail(req, 409, "export_refused",
		    "the payment file cannot be written",
		    json_pack("{s:s}", "problem", err));
	}
	ks->sha256_hex(*xml, *len, sha);
	if (!PQgetisnull(b, 0, R_SHA) &&
	    strcmp(sha, PQgetvalue(b, 0, R_SHA)) != 0) {
		ks->log(3, "payment run %s: file differs from its export",
		    v[0]);
		rc = ks->fail(req, 500, "export_mismatch", "the payment "
		    "file would differ from the one exported before");
	} else
		rc = pain_validate(req, *xml, *len, schema);
	if (rc != KS_OK) {
		ks->free(*xml);
		*xml = NULL;
	}
	return rc;
}

/* Start the export of an approved run: 202 with the job (once per run). */
static int
run_export_start(struct ks_request *req)
{
	char key[64];
	PGresult *b;
	json_t *p;
	int64_t id, job;
	int rc;

	if ((b = run_get(req, &id, 0)) == NULL)
		return KS_ERROR;
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "approved") != 0)
		return ks->fail(req, 409, "run_not_approved",
		    "only an approved payment run can be exported");
	snprintf(key, sizeof(key), "payment_export:%lld", (long long)id);
	p = json_pack("{s:I}", "run", (json_int_t)id);
	rc = ks->job_enqueue(req, "sozialhilfe.payment_export", p, key, &job);
	json_decref(p);
	if (rc != KS_OK)
		return KS_ERROR;
	return ks->job_accepted(req, job);
}

#define BOOK_BATCH	1000

/* Ids of rows from..from+n of r's first column as an array literal. */
static const char *
id_array(struct ks_request *req, PGresult *r, int from, int n)
{
	size_t len = 3, at = 0;
	char *out;
	int i, end = from + n < PQntuples(r) ? from + n : PQntuples(r);

	for (i = from; i < end; i++)
		len += (size_t)PQgetlength(r, i, 0) + 1;
	if ((out = ks->alloc(req, len)) == NULL)
		return NULL;
	out[at++] = '{';
	for (i = from; i < end; i++) {
		if (i > from)
			out[at++] = ',';
		memcpy(out + at, PQgetvalue(r, i, 0),
		    (size_t)PQgetlength(r, i, 0));
		at += (size_t)PQgetlength(r, i, 0);
	}
	out[at++] = '}';
	out[at] = '\0';
	return out;
}

/*
 * The job sozialhilfe.payment_export: the file is written and checked
 * first (nothing is booked for a file the bank would refuse), then the
 * lines are booked on their client accounts, BOOK_BATCH a statement, with
 * the progress (a line booked by an earlier attempt is not booked
 * again), then the run is marked
 * exported with the file's checksum, in the transaction that ends the
 * job. A run exported already gives its file's result again.
 */
int
sh_run_export_job(struct ks_request *job, json_t *payload)
{
	const char *id, *schema = "unchecked", *v[3];
	char sha[65], *xml;
	size_t len;
	PGresult *b, *l;
	json_t *res;
	int i, n, first;

	if ((id = payload_run(job, payload)) == NULL ||
	    (b = run_lock_id(job, id)) == NULL ||
	    pain_file(job, b, &l, &xml, &len, sha, &schema) != KS_OK)
		return KS_ERROR;
	ks->free(xml);
	n = PQntuples(l);
	first = PQgetisnull(b, 0, R_SHA);
	res = json_pack("{s:I,s:s,s:s,s:i,s:o}", "run", ll(b, 0, R_ID),
	    "message_id", PQgetvalue(b, 0, R_MSG), "file_sha256", sha,
	    "payments", n, "file", json_sprintf(
	    "/api/v1/payment-runs/%s/pain001", id));
	if (!first) {
		ks->job_result(job, res);
		return KS_OK;
	}
	/* Booked in batches: one statement per BOOK_BATCH lines. */
	v[1] = PQgetvalue(b, 0, R_EXEC);
	for (i = 0; i < n; i += BOOK_BATCH) {
		if (ks->job_progress(job, i, n) != KS_OK ||
		    (v[0] = id_array(job, l, i, BOOK_BATCH)) == NULL ||
		    sh_q(job, Q_PAY_RUN_BOOK_LINES, 2, v) == NULL)
			goto fail;
	}
	v[0] = id;
	v[1] = ks->num(job, ks->user_id(job));
	v[2] = sha;
	if (ks->job_progress(job, n, n) != KS_OK ||
	    sh_q(job, Q_PAY_RUN_MARK_EXPORTED, 3, v) == NULL ||
	    ks->audit(job, "payment_run_exported", "sh_payment_run", id,
	    NULL, NULL, json_pack("{s:s,s:b,s:i,s:I}", "sha256", sha, "first",
	    1, "payments", n, "job", (json_int_t)ks->job_id(job))) != KS_OK)
		goto fail;
	ks->job_result(job, res);
	return KS_OK;
fail:
	json_decref(res);
	return KS_ERROR;
}

/* The file of an exported run (the same bytes every time). */
static int
run_export(struct ks_request *req)
{
	const char *schema, *v[1];
	char buf[256], sha[65], *xml;
	size_t len;
	PGresult *b, *l;
	int64_t id;
	int rc;

	if ((b = run_get(req, &id, 0)) == NULL)
		return KS_ERROR;
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "approved") == 0 &&
	    PQgetisnull(b, 0, R_XAT))
		return ks->fail(req, 409, "run_not_exported", "the payment "
		    "run is not exported yet: its export books the payments "
		    "first (POST .../export)");
	if (pain_file(req, b, &l, &xml, &len, sha, &schema) != KS_OK)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if (ks->audit(req, "payment_run_exported", "sh_payment_run", v[0],
	    NULL, NULL, json_pack("{s:s,s:b,s:I}", "sha256", sha, "first",
	    0, "payments", (json_int_t)PQntuples(l))) != KS_OK) {
		ks->free(xml);
		return KS_ERROR;
	}
	ks->header(req, "X-Kasus-Schema", schema);
	snprintf(buf, sizeof(buf), "attachment; filename=\"%s.xml\"",
	    PQgetvalue(b, 0, R_MSG));
	ks->header(req, "Content-Disposition", ks->strdup(req, buf));
	rc = ks->raw(req, 200, "application/xml", xml, len);
	ks->free(xml);
	return rc;
}

/* -------------------------------------------------------------- tables */

static const struct ks_field run_body[] = {
	{ "month", KS_F_STRING, 1, 7, 7, "YYYY-MM" },
	{ "execution_date", KS_F_DATE, 0, 0, 0,
	    "default the first of the month, at least the approval day" },
	END_FIELDS
};

#define P	"/api/v1/payment-runs"
#define KB	(16 * 1024)

const struct ks_route sh_run_routes[] = {
	{ "POST", P, "payment.run", KB, run_body, KS_R_JOB, run_create,
	    "create the payment run of a month (a job computes its lines)",
	    NULL, NULL },
	{ "GET", P, NULL, 0, NULL, KS_R_PAGED, runs_list,
	    "payment runs, newest first", NULL, NULL },
	{ "GET", P "/{id}", NULL, 0, NULL, KS_R_PAGED | KS_R_AUDIT, run_show,
	    "a payment run with its lines (cursor; ?kind=back_payment)", NULL,
	    NULL },
	{ "DELETE", P "/{id}", "payment.run", 0, NULL, KS_R_ETAG, run_delete,
	    "discard a draft run (If-Match)", NULL, NULL },
	{ "POST", P "/{id}/recompute", "payment.run", 0, NULL, KS_R_ETAG,
	    run_recompute, "compute a draft run again from today's budgets "
	    "and payments (If-Match)", NULL, NULL },
	{ "POST", P "/{id}/approve", "payment.approve", 0, NULL, KS_R_ETAG,
	    run_approve, "approve a run (not its creator; If-Match); freezes "
	    "the file", NULL, NULL },
	{ "POST", P "/{id}/export", "payment.run", 0, NULL, KS_R_JOB,
	    run_export_start, "export an approved run: a job books the "
	    "client accounts and fixes the pain.001 file (once per run)",
	    NULL, NULL },
	{ "GET", P "/{id}/pain001", "payment.run", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT,
	    run_export, "the exported run as pain.001.001.09 (SPS), the same "
	    "file every time", NULL, NULL },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL }
};
