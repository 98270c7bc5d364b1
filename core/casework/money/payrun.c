/*
 * payrun.c - monthly payment runs of the casework layer, exported as
 * pain.001.001.09 (SPS).
 *
 * A run is created by accounting (payment.run) and approved by someone
 * else with payment.approve. Its lines come from the modules switched on
 * for the tenant (struct ks_money in kasus/module.h): each adds its own
 * in one set-based statement, with its name and a kind of its
 * vocabulary, copying creditor and amount. Until approval a run can be
 * computed again (after a late decision, say) or discarded and made
 * again. Approval fixes the lines, message id, creation time, execution
 * date and debtor (the tenant's payment_account), so every export of the
 * run is the same file. Once exported, the run's lines are the client
 * accounts' payments (view ledger, booked on the execution date; not a
 * copy of them); a return reported by the bank books it back
 * (ledger_entry 'correction').
 *
 * Computing a new run and the export are background jobs (the routes
 * answer 202 with the job): core.payment_run computes the lines of the
 * run the route made, in one transaction under the tenant's run lock;
 * core.payment_export writes the file, checks it against the SPS schema
 * and marks the run exported with the checksum of the file and whether
 * it passed the schema, which books its payments. Both may run again
 * after a crash: the first computes a draft run anew (as recomputing
 * does) and leaves an approved one alone, the second marks the run once
 * (a run marked already gives its file's result again) and writes the
 * same file. It stores the file with the mark (payment_file); afterwards
 * GET .../pain001 hands out those bytes once their checksum is the
 * run's. A run exported before files were stored has its file written
 * again from the frozen lines: the same bytes (the checksum is
 * compared), so not validated again.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kasus.h"
#include "kasus/iso20022.h"
#include "kasus/module.h"
#include "queries.h"

#define PAIN_XSD	"/../shared/refdata/pain001/pain.001.001.09.ch.03.xsd"

static json_t *
run_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:I,s:s}", "id", (json_int_t)ks_db_getll(r, i, "id"), "month",
	    ks_db_str(r, i, "month"), "status", ks_db_str(r, i, "status"),
	    "execution_date", ks_db_str(r, i, "exec_date"), "created_by",
	    (json_int_t)ks_db_getll(r, i, "created_by"), "created_at",
	    ks_db_str(r, i, "created_at"), "approved_by",
	    ks_db_json_int(r, i, "approved_by"), "approved_at",
	    ks_db_json_str(r, i, "approved_at"), "message_id",
	    ks_db_json_str(r, i, "msg_id"), "exported_at",
	    ks_db_json_str(r, i, "exported_at"), "exported_by",
	    ks_db_json_int(r, i, "exported_by"), "file_sha256",
	    ks_db_json_str(r, i, "file_sha256"), "version",
	    (json_int_t)ks_db_getll(r, i, "version"), "computed_at",
	    ks_db_str(r, i, "computed_at"));
}

/* Counts and sums of a run's lines, by kind and status. */
static json_t *
run_summary(struct ks_request *req, const char *run)
{
	const char *v[1] = { run }, *kind, *st;
	json_int_t n = 0, total = 0, held = 0, held_total = 0, c, s;
	json_t *kinds, *sts, *k;
	PGresult *r;
	int i;

	if ((r = ks_db_q(req, Q_PAYRUN_SUMMARY, 1, v)) == NULL)
		return NULL;
	kinds = json_object();
	sts = json_object();
	for (i = 0; i < PQntuples(r); i++) {
		c = (json_int_t)ks_db_getll(r, i, "n");
		s = (json_int_t)ks_db_getll(r, i, "total");
		kind = ks_db_str(r, i, "kind");
		st = ks_db_str(r, i, "status");
		json_object_set_new(sts, st, json_integer(c +
		    json_integer_value(json_object_get(sts, st))));
		if (strcmp(st, "held") == 0) {
			held += c;
			held_total += s;
			continue;
		}
		n += c;
		total += s;
		if ((k = json_object_get(kinds, kind)) == NULL) {
			k = json_pack("{s:I,s:I}", "count", (json_int_t)0,
			    "total", (json_int_t)0);
			json_object_set_new(kinds, kind, k);
		}
		json_object_set_new(k, "count", json_integer(c +
		    json_integer_value(json_object_get(k, "count"))));
		json_object_set_new(k, "total", json_integer(s +
		    json_integer_value(json_object_get(k, "total"))));
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "lines", n, "total",
	    total, "held", held, "held_total", held_total, "by_kind", kinds,
	    "by_status", sts);
}

/* Run id (a number as text), locked or not; NULL with 404 when absent. */
static PGresult *
run_row(struct ks_request *req, const char *id, int lock)
{
	const char *v[1] = { id };
	PGresult *r;

	if ((r = ks_db_q(req, lock ? Q_PAYRUN_LOCK : Q_PAYRUN_GET, 1,
	    v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such payment run");
		return NULL;
	}
	return r;
}

/* The run {id} of the path. */
static PGresult *
run_get(struct ks_request *req, int64_t *id, int lock)
{
	if (ks_param_id(req, "id", id) != KS_OK)
		return NULL;
	return run_row(req, ks_num(req, *id), lock);
}

/* The run a job's payload names ({"run": id}), as text. */
static const char *
payload_run(struct ks_request *job, json_t *payload)
{
	json_t *id = json_object_get(payload, "run");

	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		ks_fail(job, 400, "invalid_body", "the job names no run");
		return NULL;
	}
	return ks_num(job, json_integer_value(id));
}

/*
 * The run freshly read with summary s (taken), or with its summary read
 * now when s is NULL; its version is the ETag.
 */
static json_t *
run_full_with(struct ks_request *req, const char *id, json_t *s)
{
	const char *v[1] = { id };
	json_t *j;
	PGresult *r;

	if ((r = ks_db_q(req, Q_PAYRUN_GET, 1, v)) == NULL ||
	    PQntuples(r) != 1 || (s == NULL &&
	    (s = run_summary(req, id)) == NULL)) {
		json_decref(s);
		return NULL;
	}
	j = run_json(r, 0);
	json_object_set_new(j, "summary", s);
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return j;
}

/* The run with its summary, freshly read; its version is the ETag. */
static json_t *
run_full(struct ks_request *req, const char *id)
{
	return run_full_with(req, id, NULL);
}

/* "YYYY-MM" with a plausible year; *first is the month's first day. */
static int
parse_month(struct ks_request *req, const char *m, const char **first)
{
	int y, mo;

	if (m == NULL || strlen(m) != 7 || m[4] != '-' ||
	    strspn(m, "0123456789") != 4 || strspn(m + 5, "0123456789") != 2)
		goto bad;
	y = atoi(m);
	mo = atoi(m + 5);
	if (y < 2000 || y > 2199 || mo < 1 || mo > 12)
		goto bad;
	*first = ks_arena_printf(req->arena, "%.7s-01", m);
	return KS_OK;
bad:
	return ks_fail_detail(req, 400, "invalid_value",
	    "a month is written YYYY-MM", json_pack("{s:s}", "field",
	    "month"));
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

	if ((r = ks_db_q(req, Q_PAYRUN_OPEN_IBANS, 1, v)) == NULL)
		return KS_ERROR;
	il += (size_t)PQntuples(r) * 21;
	pl += (size_t)PQntuples(r) * 14;
	ids = ks_arena_alloc(req->arena, il);
	probs = ks_arena_alloc(req->arena, pl);
	ids[io++] = '{';
	probs[po++] = '{';
	for (i = 0; i < PQntuples(r); i++) {
		q = 0;
		if (ks_iban_valid(ks_db_str(r, i, "iban"), norm,
		    sizeof(norm)) != 1)
			q = 1;
		else if (ks_iban_is_qr(norm))
			q = 2;
		if (q == 0)
			continue;
		io += (size_t)snprintf(ids + io, il - io, "%s%s",
		    bad ? "," : "", ks_db_str(r, i, "id"));
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
	return ks_db_q(req, Q_PAYRUN_HOLD, 3, v) == NULL ? KS_ERROR : KS_OK;
}

/*
 * One computation of a run at a time per tenant: creating, recomputing
 * and discarding runs wait for each other, so what one run pays is seen
 * by the next one (no month paid twice by two drafts made at once).
 */
static int
lock_runs(struct ks_request *req)
{
	return ks_db_q(req, Q_PAYRUN_LOCK_TENANT, 0, NULL) == NULL ?
	    KS_ERROR : KS_OK;
}

/* The lines of the modules for the run's month, bad IBANs held. */
static int
compute_lines(struct ks_request *req, const char *run, const char *month)
{
	const char *first = ks_arena_printf(req->arena, "%s-01", month);

	if (ks_db_q(req, Q_PAYRUN_SETTINGS, 0, NULL) == NULL ||
	    ks_modules_money(req, KS_MONEY_LINES, run, first, month) !=
	    KS_OK || hold_bad_ibans(req, run) != KS_OK ||
	    ks_modules_money(req, KS_MONEY_HELD, run, first, month) != KS_OK)
		return KS_ERROR;
	return KS_OK;
}

/* Drop a draft run's lines (the modules release what it took first). */
static int
clear_lines(struct ks_request *req, const char *run)
{
	const char *v[1] = { run };
	PGresult *r;

	if (ks_modules_money(req, KS_MONEY_CLEARED, run, NULL, NULL) != KS_OK ||
	    (r = ks_db_q(req, Q_PAYRUN_CLEAR, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "invalid_state",
		    "the payment run changed meanwhile");
	return KS_OK;
}

/*
 * A new run of a month: the empty draft is made here (one regular run
 * per month, 409 run_exists with the one there is), its lines by the job
 * core.payment_run (202, the job).
 */
static int
run_create(struct ks_request *req)
{
	const char *month = ks_body_str(req, "month"), *first = NULL, *v[3];
	const char *exec = ks_body_str(req, "execution_date"), *key;
	PGresult *r;
	json_t *j;
	int64_t job;
	int rc;

	if (parse_month(req, month, &first) != KS_OK || lock_runs(req) != KS_OK)
		return KS_ERROR;
	v[0] = first;
	v[1] = exec ? exec : first;
	v[2] = ks_num(req, req->who.user_id);
	if ((r = ks_db_q(req, Q_PAYRUN_INSERT, 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		/* One regular run per month: answer with the one there is. */
		if ((r = ks_db_q(req, Q_PAYRUN_BY_MONTH, 1, v)) == NULL ||
		    PQntuples(r) != 1 ||
		    (j = run_full(req, ks_db_str(r, 0, "id"))) == NULL)
			return KS_ERROR;
		return ks_fail_detail(req, 409, "run_exists", "there is a "
		    "payment run for this month already", json_pack("{s:o}",
		    "run", j));
	}
	key = ks_arena_printf(req->arena, "payment_run:%s",
	    ks_db_str(r, 0, "id"));
	j = json_pack("{s:I}", "run", (json_int_t)ks_db_getll(r, 0, "id"));
	rc = ks_job_enqueue(req, "core.payment_run", j, key, &job);
	json_decref(j);
	if (rc != KS_OK)
		return KS_ERROR;
	return ks_job_accepted(req, job);
}

/* What a job says of the run it made or exported. */
static json_t *
run_result(PGresult *b, json_t *summary)
{
	json_t *j = json_pack("{s:I,s:s}", "run",
	    (json_int_t)ks_db_getll(b, 0, "id"), "month",
	    ks_db_str(b, 0, "month"));

	if (summary != NULL) {
		json_object_set(j, "lines", json_object_get(summary, "lines"));
		json_object_set(j, "held", json_object_get(summary, "held"));
	}
	return j;
}

/*
 * The job core.payment_run: compute the lines of a new draft run. One
 * transaction under the tenant's run lock (a commit between would let
 * another run compute at the same time). Again after a crash: the draft
 * is computed anew; a run approved or discarded meanwhile is left as it
 * is. No count of items: the lines are made by a few statements.
 */
static int
compute_job(struct ks_request *job, json_t *payload)
{
	const char *id;
	PGresult *b;
	json_t *j;

	if ((id = payload_run(job, payload)) == NULL ||
	    ks_job_progress(job, 0, -1) != KS_OK ||
	    lock_runs(job) != KS_OK || (b = run_row(job, id, 1)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(b, 0, "status"), "draft") != 0) {
		ks_job_result(job, run_result(b, NULL));
		return KS_OK;
	}
	if (clear_lines(job, id) != KS_OK ||
	    compute_lines(job, id, ks_db_str(b, 0, "month")) != KS_OK ||
	    (j = run_full(job, id)) == NULL)
		return KS_ERROR;
	ks_job_result(job, run_result(b, json_object_get(j, "summary")));
	return ks_audit(job, "payment_run_created", "payment_run", id, NULL,
	    j, json_pack("{s:I}", "job", (json_int_t)ks_job_id(job)));
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
	if (strcmp(ks_db_str(b, 0, "status"), "draft") != 0) {
		ks_fail_detail(req, 409, "invalid_state", refusal,
		    json_pack("{s:o}", "current", run_json(b, 0)));
		return NULL;
	}
	if (ks_check_etag(req, ks_db_getll(b, 0, "version"),
	    run_json(b, 0)) != KS_OK)
		return NULL;
	return b;
}

/*
 * Compute a draft run again: its lines (and what the modules' lines had
 * taken) are dropped and made anew from today's records. What the run
 * paid before and pays now goes to the audit log.
 */
static int
run_recompute(struct ks_request *req)
{
	const char *id;
	PGresult *b;
	json_t *before, *j;
	int64_t n;

	if (lock_runs(req) != KS_OK || (b = draft_run(req, &n,
	    "an approved payment run is frozen; its month is caught up by "
	    "the next run")) == NULL)
		return KS_ERROR;
	id = ks_num(req, n);
	if ((before = run_summary(req, id)) == NULL)
		return KS_ERROR;
	if (clear_lines(req, id) != KS_OK ||
	    compute_lines(req, id, ks_db_str(b, 0, "month")) != KS_OK ||
	    (j = run_full(req, id)) == NULL) {
		json_decref(before);
		return KS_ERROR;
	}
	if (ks_audit(req, "payment_run_recomputed", "payment_run", id,
	    json_pack("{s:o}", "summary", before), json_incref(j), NULL) !=
	    KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	return ks_reply(req, 200, j);
}

/* payment.run or payment.approve, else 403. */
static int
need_run_perm(struct ks_request *req)
{
	if (ks_has_perm(&req->who, "payment.run") ||
	    ks_has_perm(&req->who, "payment.approve"))
		return KS_OK;
	return ks_fail_detail(req, 403, "forbidden",
	    "your role does not allow this", json_pack("{s:s}", "permission",
	    "payment.run"));
}

static int
runs_list(struct ks_request *req)
{
	const char *v[2];
	long long n;
	PGresult *r;

	if (need_run_perm(req) != KS_OK ||
	    ks_page(req, &v[0], &v[1], &n) != KS_OK ||
	    (r = ks_db_q(req, Q_PAYRUN_LIST, 2, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", run_json));
}

static json_t *
line_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:I,s:I,s:{s:s,s:o,s:o,s:o,s:o,"
	    "s:o,s:o},s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id",
	    (json_int_t)ks_db_getll(r, i, "id"), "dossier_id",
	    (json_int_t)ks_db_getll(r, i, "dossier_id"), "module",
	    ks_db_str(r, i, "module"), "kind", ks_db_str(r, i, "kind"),
	    "source_id", (json_int_t)ks_db_getll(r, i, "source_id"), "amount",
	    (json_int_t)ks_db_getll(r, i, "amount"), "creditor",
	    "name", ks_db_str(r, i, "name"), "street",
	    ks_db_json_str(r, i, "street"), "house_no",
	    ks_db_json_str(r, i, "house_no"), "postcode",
	    ks_db_json_str(r, i, "postcode"), "town", ks_db_json_str(r, i, "town"),
	    "country", ks_db_json_str(r, i, "country"), "iban",
	    ks_db_json_str(r, i, "iban"), "text", ks_db_str(r, i, "ustrd"),
	    "end_to_end_id", ks_db_str(r, i, "end_to_end_id"), "status",
	    ks_db_str(r, i, "status"), "problem",
	    ks_db_json_str(r, i, "problem"), "booked_on",
	    ks_db_json_str(r, i, "booked_on"), "return_reason",
	    ks_db_json_str(r, i, "return_reason"), "for_month",
	    ks_db_json_str(r, i, "for_month"));
}

/* A run with a page of its lines (?kind=back_payment: only those). */
static int
run_show(struct ks_request *req)
{
	const char *v[4], *k = ks_query(req, "kind");
	long long n;
	PGresult *r;
	json_t *j, *items;
	int64_t id;

	if (need_run_perm(req) != KS_OK)
		return KS_ERROR;
	if (k != NULL && !ks_vocab_has("payment_kind", k))
		return ks_fail_detail(req, 400, "invalid_parameter",
		    "kind is not a kind of payment line (GET "
		    "/api/v1/vocabularies: payment_kind)", json_pack("{s:s}",
		    "parameter", "kind"));
	if (ks_page(req, &v[1], &v[2], &n) != KS_OK ||
	    run_get(req, &id, 0) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[3] = k;
	if ((j = run_full(req, v[0])) == NULL)
		return KS_ERROR;
	if ((r = ks_db_q(req, Q_PAYRUN_LINES, 4, v)) == NULL) {
		json_decref(j);
		return KS_ERROR;
	}
	items = ks_db_rows(r, line_json);
	json_object_set_new(j, "lines", items);
	json_object_set_new(j, "next", ks_db_cursor(r, n, "id"));
	return ks_reply(req, 200, j);
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
	v[0] = ks_num(req, id);
	v[1] = ks_num(req, req->who.user_id);
	if (strcmp(ks_db_str(b, 0, "status"), "draft") != 0)
		return ks_fail(req, 409, "invalid_state",
		    "this payment run is approved already");
	if (ks_db_getll(b, 0, "created_by") == req->who.user_id)
		return ks_fail(req, 403, "four_eyes_required",
		    "a payment run is approved by someone other than who "
		    "created it");
	/* The approver approves the lines they saw, not a later computation. */
	if (ks_check_etag(req, ks_db_getll(b, 0, "version"),
	    run_json(b, 0)) != KS_OK)
		return KS_ERROR;
	if ((a = ks_db_q(req, Q_MONEY_ACCOUNT_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(a) != 1)
		return ks_fail(req, 409, "payment_account_missing",
		    "the social service has no payment account yet; its "
		    "administrator sets one");
	if ((s = run_summary(req, v[0])) == NULL)
		return KS_ERROR;
	if (json_integer_value(json_object_get(s, "lines")) == 0) {
		json_decref(s);
		return ks_fail(req, 409, "nothing_to_pay",
		    "this run has no payment that could be made");
	}
	/* Approving changes no line: the summary is the one just read. */
	if (ks_db_q(req, Q_PAYRUN_APPROVE, 2, v) == NULL ||
	    ks_modules_money(req, KS_MONEY_APPROVED, v[0], NULL, NULL) !=
	    KS_OK) {
		json_decref(s);
		return KS_ERROR;
	}
	if ((j = run_full_with(req, v[0], s)) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "payment_run_approved", "payment_run", v[0],
	    run_json(b, 0), json_incref(j), NULL) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	return ks_reply(req, 200, j);
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
	v[0] = ks_num(req, id);
	if (clear_lines(req, v[0]) != KS_OK ||
	    (r = ks_db_q(req, Q_PAYRUN_DELETE, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "invalid_state",
		    "the payment run changed meanwhile");
	if (ks_audit(req, "payment_run_discarded", "payment_run", v[0],
	    run_json(b, 0), NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * Fill the pain.001 run from the frozen run row and its lines (each
 * column of the lines found once: a run has up to a hundred thousand).
 */
enum { L_E2E, L_AMOUNT, L_NAME, L_STREET, L_HOUSE, L_POST, L_TOWN, L_CTRY,
    L_IBAN, L_USTRD, L_NCOLS };

static void
iso_run(struct ks_request *req, PGresult *run, PGresult *l, json_t *debtor,
    struct ks_iso_run *x)
{
	static const char *const name[L_NCOLS] = { "end_to_end_id", "amount",
	    "name", "street", "house_no", "postcode", "town", "country",
	    "iban", "ustrd" };
	struct ks_iso_payment *p;
	int c[L_NCOLS], i, n = PQntuples(l);

	memset(x, 0, sizeof(*x));
	x->msg_id = ks_db_str(run, 0, "msg_id");
	x->created = ks_db_str(run, 0, "created_ts");
	x->exec_date = ks_db_str(run, 0, "exec_date");
	x->debtor.name = jstr(debtor, "name");
	x->debtor.iban = jstr(debtor, "iban");
	x->debtor.bic = jstr(debtor, "bic");
	x->debtor.addr.street = jstr(debtor, "street");
	x->debtor.addr.building = jstr(debtor, "house_no");
	x->debtor.addr.postcode = jstr(debtor, "postcode");
	x->debtor.addr.town = jstr(debtor, "town");
	x->debtor.addr.country = jstr(debtor, "country");
	x->charset = KS_ISO_CHARSET_REPLACE;
	p = ks_arena_alloc(req->arena, sizeof(*p) * (size_t)(n > 0 ? n : 1));
	memset(p, 0, sizeof(*p) * (size_t)(n > 0 ? n : 1));
	for (i = 0; i < L_NCOLS; i++)
		c[i] = ks_db_col(l, name[i]);
	for (i = 0; i < n; i++) {
		p[i].end_to_end_id = ks_db_str_at(l, i, c[L_E2E]);
		p[i].instr_id = p[i].end_to_end_id;
		p[i].amount = (int64_t)strtoll(ks_db_str_at(l, i,
		    c[L_AMOUNT]), NULL, 10);
		p[i].currency = "CHF";
		p[i].creditor_name = ks_db_str_at(l, i, c[L_NAME]);
		p[i].creditor_addr.street = ks_db_get_at(l, i, c[L_STREET]);
		p[i].creditor_addr.building = ks_db_get_at(l, i, c[L_HOUSE]);
		p[i].creditor_addr.postcode = ks_db_get_at(l, i, c[L_POST]);
		p[i].creditor_addr.town = ks_db_get_at(l, i, c[L_TOWN]);
		p[i].creditor_addr.country = ks_db_get_at(l, i, c[L_CTRY]);
		p[i].creditor_iban = ks_db_str_at(l, i, c[L_IBAN]);
		p[i].ustrd = ks_db_str_at(l, i, c[L_USTRD]);
	}
	x->payments = p;
	x->npayments = (size_t)n;
}

/*
 * The SPS schema, compiled once per process on first use (compiling it
 * took as long as validating a run of a thousand payments); one schema
 * serves every thread (ks_iso_schema_validate). NULL when the deployment
 * has no schema file; *err says why when the file is there but does not
 * compile.
 */
static const struct ks_iso_schema *
pain_schema(char *err, size_t errlen)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct ks_iso_schema *schema;
	struct ks_iso_schema *s;
	char path[1024];

	*err = '\0';
	pthread_mutex_lock(&mu);
	if ((s = schema) == NULL) {
		snprintf(path, sizeof(path), "%s%s", ks_conf.root, PAIN_XSD);
		if (access(path, R_OK) == 0)
			s = schema = ks_iso_schema_load(path, err, errlen);
	}
	pthread_mutex_unlock(&mu);
	return s;
}

/*
 * Making a run's file apart from the request (no arena, no error set):
 * written and checked against the SPS schema as it is written (on a
 * helper thread of the worker: ks_iso_pain001_write_checked), its
 * checksum made while the check reads, compared with the file exported
 * before (was_sha). A file that is that file and passed the schema at
 * its export (the same bytes) is not checked again. pain_prepare fills
 * it in, pain_write writes it, pain_check waits for the check's verdict,
 * pain_made reports it.
 */
enum { MADE_OK, MADE_REFUSED, MADE_MISMATCH, MADE_INVALID };

struct pain_make {
	struct ks_iso_run	 x;
	json_t			*debtor;	/* x.debtor's strings */
	const char		*was_sha;	/* of the export, or NULL */
	int			 was_valid;	/* ... which passed the schema */
	char			*xml;		/* the caller's to free() */
	size_t			 len;
	char			 sha[65];
	const char		*schema;	/* "valid" or "unchecked" */
	int			 made;		/* MADE_* */
	char			 err[256];
	struct ks_iso_check	*ck;		/* reading xml, until pain_check */
	int			 again;		/* not checked again */
	int			 broken;	/* the schema does not compile */
	char			 bad[256];	/* why not */
};

#ifdef KS_TEST_HOOKS
/*
 * Test build only: the run whose message id the file named by
 * KASUS_TEST_PAIN_BREAK holds is written with an element the SPS schema
 * does not know (its first Ustrd renamed UstrX), as a mistake of the
 * writer would make it, and checked as a whole, so that a test sees a
 * failed check roll the export back. 1 when it made the run's file. A
 * file the tests write, not a route: nothing reachable over the network.
 */
static int
test_break(struct pain_make *m)
{
	const char *path = getenv("KASUS_TEST_PAIN_BREAK");
	const struct ks_iso_schema *xsd;
	char want[64], *p, *e;
	FILE *f;

	if (path == NULL || m->x.msg_id == NULL ||
	    (f = fopen(path, "r")) == NULL)
		return 0;
	p = fgets(want, sizeof(want), f);
	fclose(f);
	if (p == NULL)
		return 0;
	want[strcspn(want, "\r\n")] = '\0';
	if (strcmp(want, m->x.msg_id) != 0)
		return 0;
	m->schema = "unchecked";
	if (ks_iso_pain001_write(&m->x, &m->xml, &m->len, m->err,
	    sizeof(m->err)) != 0) {
		m->xml = NULL;
		m->made = MADE_REFUSED;
		return 1;
	}
	if ((p = strstr(m->xml, "<Ustrd>")) != NULL &&
	    (e = strstr(p, "</Ustrd>")) != NULL) {
		memcpy(p + 1, "UstrX", 5);
		memcpy(e + 2, "UstrX", 5);
	}
	ks_sha256_hex(m->xml, m->len, m->sha);
	if ((xsd = pain_schema(m->bad, sizeof(m->bad))) == NULL ||
	    ks_iso_schema_validate(xsd, m->xml, m->len, m->bad,
	    sizeof(m->bad)) != 0)
		m->broken = 1;
	else
		m->schema = "valid";
	return 1;
}
#endif

/*
 * Write the file and its checksum; its check against the schema goes on
 * reading it (m->ck) until pain_check, which must come before m->xml is
 * freed. m->schema is what the check will say when the file passes.
 */
static void
pain_write(struct pain_make *m)
{
	/* The worker's helper threads: it makes none after its start. */
	static const struct ks_iso_helper helper = {
		ks_offload_run, ks_offload_wait
	};
	const struct ks_iso_schema *xsd = NULL;
	int rc;

#ifdef KS_TEST_HOOKS
	if (test_break(m))
		return;
#endif
	m->schema = "unchecked";
	/* A file that passed the schema at its export comes out the same
	   bytes: it is not checked again. */
	m->again = m->was_sha != NULL && m->was_valid;
	if (!m->again && (xsd = pain_schema(m->bad, sizeof(m->bad))) == NULL)
		m->broken = *m->bad != '\0';	/* there, but does not compile */
	rc = xsd != NULL ? ks_iso_pain001_write_checked(&m->x, xsd, &helper,
	    &m->xml, &m->len, &m->ck, m->err, sizeof(m->err)) :
	    ks_iso_pain001_write(&m->x, &m->xml, &m->len, m->err,
	    sizeof(m->err));
	if (rc != 0) {
		m->xml = NULL;
		m->ck = NULL;
		m->made = MADE_REFUSED;
		return;
	}
	ks_sha256_hex(m->xml, m->len, m->sha);	/* while the check reads */
	if (m->again || xsd != NULL)
		m->schema = "valid";
}

/* The check's verdict (it is waited for): m->made and m->schema. */
static void
pain_check(struct pain_make *m)
{
	int invalid = 0;

	if (m->made == MADE_REFUSED)
		return;
	if (m->ck != NULL)
		invalid = ks_iso_check_wait(m->ck, m->bad, sizeof(m->bad)) != 0;
	m->ck = NULL;
	if (m->was_sha != NULL && strcmp(m->sha, m->was_sha) != 0)
		m->made = MADE_MISMATCH;
	else if (m->again)
		m->schema = "valid";
	else if (m->broken || invalid) {
		snprintf(m->err, sizeof(m->err), "%s", m->bad);
		m->made = MADE_INVALID;
		m->schema = "unchecked";
	}
}

/*
 * The lines of approved run b (locked or not) read into *l and *m made
 * ready for pain_write; KS_ERROR with the error set (nothing to release).
 */
static int
pain_prepare(struct ks_request *req, PGresult *b, PGresult **l,
    struct pain_make *m)
{
	const char *v[1], *was;

	memset(m, 0, sizeof(*m));
	if (strcmp(ks_db_str(b, 0, "status"), "approved") != 0)
		return ks_fail(req, 409, "run_not_approved",
		    "only an approved payment run can be exported");
	v[0] = ks_db_str(b, 0, "id");
	if ((*l = ks_db_q(req, Q_PAYRUN_EXPORT_LINES, 1, v)) == NULL)
		return KS_ERROR;
	if ((m->debtor = json_loads(ks_db_str(b, 0, "debtor"), 0,
	    NULL)) == NULL)
		return ks_fail(req, 500, "internal_error",
		    "the run's debtor cannot be read");
	iso_run(req, b, *l, m->debtor, &m->x);
	m->was_sha = ks_db_get(b, 0, "file_sha256");
	m->was_valid = m->was_sha != NULL &&
	    (was = ks_db_get(b, 0, "file_schema")) != NULL &&
	    strcmp(was, "valid") == 0;
	return KS_OK;
}

/*
 * Release what the file was made from; what went wrong becomes the
 * error (KS_ERROR, the file freed).
 */
static int
pain_made(struct ks_request *req, const char *run, struct pain_make *m)
{
	json_decref(m->debtor);
	m->debtor = NULL;
	if (m->made == MADE_OK)
		return KS_OK;
	free(m->xml);
	m->xml = NULL;
	switch (m->made) {
	case MADE_REFUSED:
		ks_log(KS_LOG_ERROR, "payment run %s not written: %s", run,
		    m->err);
		return ks_fail_detail(req, 409, "export_refused",
		    "the payment file cannot be written",
		    json_pack("{s:s}", "problem", m->err));
	case MADE_MISMATCH:
		ks_log(KS_LOG_ERROR, "payment run %s: file differs from its "
		    "export", run);
		return ks_fail(req, 500, "export_mismatch", "the payment "
		    "file would differ from the one exported before");
	default:
		ks_log(KS_LOG_ERROR, "payment file fails the SPS schema: %s",
		    m->err);
		return ks_fail_detail(req, 500, "export_invalid",
		    "the payment file does not pass the bank schema",
		    json_pack("{s:s}", "problem", m->err));
	}
}

/*
 * The pain.001 file of approved run b (locked or not) with its lines *l,
 * made in this thread: m->xml is the caller's to free(); KS_ERROR with
 * the error set and nothing to free.
 */
static int
pain_file(struct ks_request *req, PGresult *b, PGresult **l,
    struct pain_make *m)
{
	if (pain_prepare(req, b, l, m) != KS_OK)
		return KS_ERROR;
	pain_write(m);
	pain_check(m);
	return pain_made(req, ks_db_str(b, 0, "id"), m);
}

/* Start the export of an approved run: 202 with the job (once per run). */
static int
run_export_start(struct ks_request *req)
{
	PGresult *b;
	json_t *p;
	int64_t id, job;
	int rc;

	if ((b = run_get(req, &id, 0)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(b, 0, "status"), "approved") != 0)
		return ks_fail(req, 409, "run_not_approved",
		    "only an approved payment run can be exported");
	p = json_pack("{s:I}", "run", (json_int_t)id);
	rc = ks_job_enqueue(req, "core.payment_export", p,
	    ks_arena_printf(req->arena, "payment_export:%lld", (long long)id),
	    &job);
	json_decref(p);
	if (rc != KS_OK)
		return KS_ERROR;
	return ks_job_accepted(req, job);
}

/*
 * The job core.payment_export: the file is made (written, its checksum,
 * checked against the SPS schema), the run marked exported with the
 * file's checksum and the file stored (payment_file) in the transaction
 * that ends the job, which books its lines as the client accounts'
 * payments (view ledger): all of it or nothing. The mark, the file and
 * the audit event are sent while the check still reads the file; a file
 * the bank would refuse fails the job, and they are rolled back. A run
 * exported already gives its file's result again.
 */
static int
export_job(struct ks_request *job, json_t *payload)
{
	const char *id, *v[4], *f[3];
	struct pain_make m;
	PGresult *b, *l;
	json_t *res;
	int n, rc;

	if ((id = payload_run(job, payload)) == NULL ||
	    (b = run_row(job, id, 1)) == NULL ||
	    pain_prepare(job, b, &l, &m) != KS_OK)
		return KS_ERROR;
	pain_write(&m);
	n = PQntuples(l);
	rc = KS_OK;
	if (m.made == MADE_OK && ks_db_isnull(b, 0, "file_sha256")) {
		v[0] = id;
		v[1] = ks_num(job, job->who.user_id);
		v[2] = ks_arena_strdup(job->arena, m.sha);
		v[3] = m.schema;
		f[0] = id;
		f[1] = ks_num(job, n);
		f[2] = m.xml;
		/* Shown while it books: committed, the check still reading. */
		if (ks_job_progress(job, n, n) != KS_OK ||
		    ks_db_q(job, Q_PAYRUN_MARK_EXPORTED, 4, v) == NULL ||
		    ks_db_q(job, Q_PAYRUN_FILE_STORE, 3, f) == NULL ||
		    ks_audit(job, "payment_run_exported", "payment_run", id,
		    NULL, NULL, json_pack("{s:s,s:b,s:i,s:I}", "sha256", m.sha,
		    "first", 1, "payments", n, "job",
		    (json_int_t)ks_job_id(job))) != KS_OK)
			rc = KS_ERROR;
	}
	pain_check(&m);		/* before the file is freed */
	if (rc != KS_OK) {
		json_decref(m.debtor);
		free(m.xml);
		return KS_ERROR;
	}
	if (pain_made(job, id, &m) != KS_OK)
		return KS_ERROR;
	free(m.xml);
	res = json_pack("{s:I,s:s,s:s,s:i,s:o}", "run",
	    (json_int_t)ks_db_getll(b, 0, "id"), "message_id",
	    ks_db_str(b, 0, "msg_id"), "file_sha256", m.sha, "payments", n,
	    "file", json_sprintf("/api/v1/payment-runs/%s/pain001", id));
	ks_job_result(job, res);
	return KS_OK;
}

/*
 * The file its export stored (payment_file), into *m as pain_file makes
 * it: its checksum compared with the run's (export_mismatch when they
 * differ), the schema's verdict the export's, *payments its payments.
 * 0 when the run has no stored file (exported before there was one), 1
 * when *m holds it, KS_ERROR with the error set.
 */
static int
pain_stored(struct ks_request *req, PGresult *b, struct pain_make *m,
    long long *payments)
{
	const char *v[1] = { ks_db_str(b, 0, "id") }, *was, *xml;
	PGresult *r;

	memset(m, 0, sizeof(*m));
	if ((r = ks_db_q(req, Q_PAYRUN_FILE, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return 0;
	xml = ks_db_str(r, 0, "xml");
	m->len = (size_t)PQgetlength(r, 0, ks_db_col(r, "xml"));
	ks_sha256_hex(xml, m->len, m->sha);
	was = ks_db_get(b, 0, "file_sha256");
	if (was == NULL || strcmp(m->sha, was) != 0) {
		m->made = MADE_MISMATCH;
		return pain_made(req, v[0], m);
	}
	if ((m->xml = malloc(m->len + 1)) == NULL)
		return ks_fail(req, 500, "internal_error", "out of memory");
	memcpy(m->xml, xml, m->len + 1);
	*payments = ks_db_getll(r, 0, "payments");
	ks_db_free(req, r);
	m->schema = (was = ks_db_get(b, 0, "file_schema")) != NULL &&
	    strcmp(was, "valid") == 0 ? "valid" : "unchecked";
	return 1;
}

/*
 * The file of an exported run (the same bytes every time): the one its
 * export stored, or written again from the frozen lines.
 */
static int
run_export(struct ks_request *req)
{
	struct pain_make m;
	const char *v[1];
	PGresult *b, *l;
	long long payments = 0;
	int64_t id;
	int rc;

	if ((b = run_get(req, &id, 0)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(b, 0, "status"), "approved") == 0 &&
	    ks_db_isnull(b, 0, "exported_at"))
		return ks_fail(req, 409, "run_not_exported", "the payment "
		    "run is not exported yet: its export books the payments "
		    "first (POST .../export)");
	if ((rc = pain_stored(req, b, &m, &payments)) == KS_ERROR)
		return KS_ERROR;
	if (rc == 0) {
		if (pain_file(req, b, &l, &m) != KS_OK)
			return KS_ERROR;
		payments = PQntuples(l);
	}
	v[0] = ks_num(req, id);
	if (ks_audit(req, "payment_run_exported", "payment_run", v[0],
	    NULL, NULL, json_pack("{s:s,s:b,s:I}", "sha256", m.sha, "first",
	    0, "payments", (json_int_t)payments)) != KS_OK) {
		free(m.xml);
		return KS_ERROR;
	}
	ks_header(req, "X-Kasus-Schema", m.schema);
	ks_header(req, "Content-Disposition", ks_arena_printf(req->arena,
	    "attachment; filename=\"%s.xml\"", ks_db_str(b, 0, "msg_id")));
	req->raw = m.xml;	/* megabytes: sent as they are, not copied */
	req->raw_owned = 1;
	req->raw_len = m.len;
	req->ctype = "application/xml";
	req->status = 200;
	return KS_OK;
}

/* -------------------------------------------------------------- tables */

static const struct ks_field run_body[] = {
	{ "month", KS_F_STRING, 1, 7, 7, "YYYY-MM" },
	{ "execution_date", KS_F_DATE, 0, 0, 0,
	    "default the first of the month, at least the approval day" },
	KS_FIELDS_END
};

#define P	"/api/v1/payment-runs"
#define KB	(16 * 1024)

static const struct ks_route routes[] = {
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
	    run_recompute, "compute a draft run again from today's records "
	    "(If-Match)", NULL, NULL },
	{ "POST", P "/{id}/approve", "payment.approve", 0, NULL, KS_R_ETAG,
	    run_approve, "approve a run (not its creator; If-Match); freezes "
	    "the file", NULL, NULL },
	{ "POST", P "/{id}/export", "payment.run", 0, NULL, KS_R_JOB,
	    run_export_start, "export an approved run: a job books the "
	    "client accounts and fixes the pain.001 file (once per run)",
	    NULL, NULL },
	{ "GET", P "/{id}/pain001", "payment.run", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT | KS_R_LONG,
	    run_export, "the exported run as pain.001.001.09 (SPS), the same "
	    "file every time", NULL, NULL },
	KS_ROUTES_END
};

/* A shorter lease hands an export whose node died to another sooner; the
 * export's one booking statement takes a second or two for the largest
 * file a run may have (KS_ISO_MAX_XML). */
static const struct ks_job_type jobs[] = {
	{ "core.payment_run", compute_job, NULL, 0, 0, 0 },
	{ "core.payment_export", export_job, NULL, 0, 0, 20 },
	KS_JOB_TYPES_END
};

void
ks_payrun_register(void)
{
	ks_router_add(routes, NULL);
	if (ks_job_types_add(jobs, NULL) != KS_OK)
		abort();
}
