/*
 * claim.c - recovery claims of the casework layer: what a client owes
 * the service back (a claim on any module's dossier), with a monthly
 * instalment plan and its repayments. A repayment is booked by hand here
 * or from a bank notification (bank.c, by the claim's creditor
 * reference); either way the client account gets it (ledger_entry kind
 * 'repayment'). Changes need If-Match (the claim's version).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"
#include "money.h"

#define MAX_AMOUNT	100000000000LL	/* CHF 1 bn in Rappen */
#define MAX_INSTALMENTS	600		/* a plan of 50 years at most */

#define I(c)	((json_int_t)ks_db_getll(r, i, c))

/* A row of claim_list: the claim and what its plan asks today. */
static json_t *
claim_json(PGresult *r, int i)
{
	json_t *next = json_null();

	if (!ks_db_isnull(r, i, "next_due_on"))
		next = json_pack("{s:s,s:I}", "due_on",
		    ks_db_str(r, i, "next_due_on"), "amount",
		    I("next_amount"));
	return json_pack("{s:I,s:I,s:I,s:s,s:I,s:s,s:I,s:I,s:s,s:I,s:s,s:I,"
	    "s:{s:I,s:s,s:I,s:I,s:I,s:o}}", "id", I("id"), "dossier_id",
	    I("dossier_id"), "amount", I("amount"), "reason",
	    ks_db_str(r, i, "reason"), "instalment", I("instalment"),
	    "reference", ks_db_str(r, i, "reference"), "repaid", I("repaid"),
	    "open", I("amount") - I("repaid"), "status",
	    ks_db_str(r, i, "status"), "created_by", I("created_by"),
	    "created_at", ks_db_str(r, i, "created_at"), "version",
	    I("version"), "plan", "instalment", I("instalment"), "first_due",
	    ks_db_str(r, i, "first_due"), "over", I("amount") -
	    I("plan_base"), "instalments", I("instalments"), "overdue",
	    I("overdue"), "next", next);
}

/* Text without control characters. */
static int
plain_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* The dossier {id} through the access policy (404 absent or foreign). */
static int
dossier(struct ks_request *req, int64_t *id)
{
	if (ks_param_id(req, "id", id) != KS_OK ||
	    ks_access_dossier(req, *id, KS_ACCESS_AUTO) == NULL)
		return KS_ERROR;
	return KS_OK;
}

/*
 * Claim id as the list shows it, with its ETag, after the access policy
 * for its dossier; NULL with the error set.
 */
static PGresult *
claim_row(struct ks_request *req, const char *id)
{
	const char *v[4] = { "0", "0", "1", id };
	PGresult *r;

	if ((r = ks_db_q(req, Q_CLAIM_LIST, 4, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such claim");
		return NULL;
	}
	if (ks_access_dossier(req, ks_db_getll(r, 0, "dossier_id"),
	    KS_ACCESS_AUTO) == NULL)
		return NULL;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return r;
}

/*
 * A plan over open Rappen: instalment at most what is owed, at most
 * MAX_INSTALMENTS of them, a first due date given or the first of next
 * month.
 */
static int
plan_check(struct ks_request *req, json_int_t open, json_int_t inst,
    const char **first)
{
	const char *today;
	int m;

	if (inst > open)
		return ks_money_bad_field(req, "invalid_value", "an "
		    "instalment is not larger than what is owed",
		    "instalment");
	if ((open + inst - 1) / inst > MAX_INSTALMENTS)
		return ks_fail_detail(req, 400, "plan_too_long", "the plan "
		    "would have more than 600 monthly instalments; choose a "
		    "larger instalment", json_pack("{s:s,s:I}", "field",
		    "instalment", "min", (open + MAX_INSTALMENTS - 1) /
		    MAX_INSTALMENTS));
	if (*first == NULL) {
		today = ks_today(req);
		m = atoi(today + 5);	/* next month, 0-based */
		*first = ks_arena_printf(req->arena, "%04d-%02d-01",
		    atoi(today) + m / 12, m % 12 + 1);
	}
	return KS_OK;
}

/* A string field of the (validated) body, or NULL. */
static const char *
body_s(struct ks_request *req, const char *name)
{
	return json_string_value(json_object_get(req->body, name));
}

static int
claim_create(struct ks_request *req)
{
	json_int_t amount = json_integer_value(json_object_get(req->body,
	    "amount"));
	json_int_t inst = json_integer_value(json_object_get(req->body,
	    "instalment"));
	const char *v[6];
	PGresult *r;
	int64_t id;

	if (dossier(req, &id) != KS_OK)
		return KS_ERROR;
	v[5] = body_s(req, "first_due");
	if (plan_check(req, amount, inst, &v[5]) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = ks_num(req, amount);
	v[2] = body_s(req, "reason");
	v[3] = ks_num(req, inst);
	v[4] = ks_num(req, req->who.user_id);
	if (!plain_text(v[2]))
		return ks_money_bad_field(req, "invalid_value",
		    "text contains control characters", "reason");
	if ((r = ks_db_q(req, Q_CLAIM_INSERT, 6, v)) == NULL ||
	    (r = claim_row(req, ks_db_str(r, 0, "id"))) == NULL ||
	    ks_audit(req, "claim_created", "claim", ks_db_str(r, 0, "id"),
	    NULL, claim_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 201, claim_json(r, 0));
}

static int
claim_list(struct ks_request *req)
{
	const char *v[4];
	long long n;
	PGresult *r;
	int64_t id;

	if (ks_page(req, &v[1], &v[2], &n) != KS_OK ||
	    dossier(req, &id) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[3] = "0";
	if ((r = ks_db_q(req, Q_CLAIM_LIST, 4, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", claim_json));
}

/* An instalment of claim_schedule with its state today. */
static json_t *
instalment_json(PGresult *r, int i, const char *today)
{
	const char *st;

	st = I("paid") == I("amount") ? "paid" :
	    strcmp(ks_db_str(r, i, "due_on"), today) <= 0 ? "overdue" :
	    I("paid") > 0 ? "partly" : "open";
	return json_pack("{s:I,s:s,s:I,s:I,s:s}", "no", I("no"), "due_on",
	    ks_db_str(r, i, "due_on"), "amount", I("amount"), "paid",
	    I("paid"), "state", st);
}

/* A row of claim_repayments. */
static json_t *
repayment_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:{s:I,s:o},s:s}", "id",
	    I("id"), "amount", I("amount"), "paid_on",
	    ks_db_str(r, i, "paid_on"), "source", ks_db_str(r, i, "source"),
	    "bank_entry_id", ks_db_json_int(r, i, "bank_entry_id"),
	    "created_by", "id", I("created_by"), "display_name",
	    ks_db_json_str(r, i, "display_name"), "created_at",
	    ks_db_str(r, i, "created_at"));
}

/*
 * A claim with its instalment plan (each instalment: due date, amount,
 * what repayments settled of it, its state today) and its repayments.
 */
static int
claim_show(struct ks_request *req)
{
	const char *v[1], *today = ks_today(req);
	PGresult *c, *p, *r;
	json_t *j, *plan, *reps;
	int64_t id;
	int i;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    (c = claim_row(req, ks_num(req, id))) == NULL)
		return KS_ERROR;
	v[0] = ks_db_str(c, 0, "id");
	if ((p = ks_db_q(req, Q_CLAIM_SCHEDULE, 1, v)) == NULL ||
	    (r = ks_db_q(req, Q_CLAIM_REPAYMENTS, 1, v)) == NULL)
		return KS_ERROR;
	plan = json_array();
	for (i = 0; i < PQntuples(p); i++)
		json_array_append_new(plan, instalment_json(p, i, today));
	reps = ks_db_rows(r, repayment_json);
	j = claim_json(c, 0);
	json_object_set_new(j, "schedule", plan);
	json_object_set_new(j, "repayments", reps);
	return ks_reply(req, 200, j);
}

/* The claim {id}, locked, at the version the caller saw (If-Match). */
static PGresult *
claim_for_change(struct ks_request *req, const char **id)
{
	const char *v[1];
	PGresult *c, *cur;
	int64_t n;

	if (ks_param_id(req, "id", &n) != KS_OK)
		return NULL;
	v[0] = *id = ks_num(req, n);
	if ((c = ks_db_q(req, Q_CLAIM_LOCK, 1, v)) == NULL)
		return NULL;
	if (PQntuples(c) != 1) {
		ks_fail(req, 404, "not_found", "no such claim");
		return NULL;
	}
	if ((cur = claim_row(req, *id)) == NULL ||
	    ks_check_etag(req, ks_db_getll(c, 0, "version"),
	    claim_json(cur, 0)) != KS_OK)
		return NULL;
	return cur;
}

/* What claim row c still owes. */
static json_int_t
owed(PGresult *c)
{
	return (json_int_t)(ks_db_getll(c, 0, "amount") -
	    ks_db_getll(c, 0, "repaid"));
}

/* A new instalment plan over what is still owed (If-Match). */
static int
claim_plan(struct ks_request *req)
{
	json_int_t inst = json_integer_value(json_object_get(req->body,
	    "instalment"));
	const char *v[3], *id;
	PGresult *c, *r;

	if ((c = claim_for_change(req, &id)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(c, 0, "status"), "open") != 0)
		return ks_fail(req, 409, "invalid_state",
		    "this claim is settled");
	v[2] = body_s(req, "first_due");
	if (plan_check(req, owed(c), inst, &v[2]) != KS_OK)
		return KS_ERROR;
	v[0] = id;
	v[1] = ks_num(req, inst);
	if (ks_db_q(req, Q_CLAIM_PLAN_SET, 3, v) == NULL ||
	    (r = claim_row(req, id)) == NULL ||
	    ks_audit(req, "claim_plan_set", "claim", id, claim_json(c, 0),
	    claim_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 200, claim_json(r, 0));
}

static int
repayment_create(struct ks_request *req)
{
	json_int_t amount = json_integer_value(json_object_get(req->body,
	    "amount"));
	const char *v[6], *id;
	PGresult *c, *r;

	if ((c = claim_for_change(req, &id)) == NULL)
		return KS_ERROR;
	if (amount > owed(c))
		return ks_fail_detail(req, 409, "exceeds_claim",
		    "the repayment is larger than what is still owed",
		    json_pack("{s:I}", "open", owed(c)));
	v[0] = id;
	v[1] = ks_num(req, amount);
	v[2] = body_s(req, "date");
	v[3] = "manual";
	v[4] = NULL;
	v[5] = ks_num(req, req->who.user_id);
	if (ks_db_q(req, Q_REPAYMENT_BOOK, 6, v) == NULL ||
	    (r = claim_row(req, id)) == NULL ||
	    ks_audit(req, "claim_repayment_booked", "claim", v[0],
	    claim_json(c, 0), claim_json(r, 0), json_pack("{s:I,s:s}",
	    "amount", amount, "date", v[2])) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 201, claim_json(r, 0));
}

/* -------------------------------------------------------------- tables */

static const struct ks_field claim_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "reason", KS_F_STRING, 1, 1, 500, NULL },
	{ "instalment", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen per month" },
	{ "first_due", KS_F_DATE, 0, 0, 0,
	    "the first instalment; default the first of next month" },
	KS_FIELDS_END
};
static const struct ks_field plan_body[] = {
	{ "instalment", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen per month" },
	{ "first_due", KS_F_DATE, 0, 0, 0,
	    "the first instalment; default the first of next month" },
	KS_FIELDS_END
};
static const struct ks_field repayment_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "date", KS_F_DATE, 1, 0, 0, NULL },
	KS_FIELDS_END
};

#define C	"/api/v1/cases/{id}"
#define KB	(16 * 1024)

static const struct ks_route routes[] = {
	{ "POST", C "/claims", "case.write", KB, claim_body, 0, claim_create,
	    "open a recovery claim with its instalment plan", NULL, NULL },
	{ "GET", C "/claims", "ledger.read", 0, NULL, KS_R_PAGED | KS_R_AUDIT,
	    claim_list,
	    "recovery claims of a dossier, with what their plans ask today",
	    NULL, NULL },
	{ "GET", "/api/v1/claims/{id}", "ledger.read", 0, NULL, KS_R_AUDIT,
	    claim_show,
	    "a claim with its instalments and repayments", NULL, NULL },
	{ "PUT", "/api/v1/claims/{id}/plan", "case.write", KB, plan_body,
	    KS_R_ETAG, claim_plan, "a new instalment plan over what is still "
	    "owed (If-Match)", NULL, NULL },
	{ "POST", "/api/v1/claims/{id}/repayments", "payment.run", KB,
	    repayment_body, KS_R_ETAG, repayment_create,
	    "book a repayment by hand (If-Match: the claim)", NULL, NULL },
	KS_ROUTES_END
};

void
ks_claim_register(void)
{
	ks_router_add(routes, NULL);
}
