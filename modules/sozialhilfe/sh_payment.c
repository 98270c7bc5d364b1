/*
 * sh_payment.c - payments of the Sozialhilfe module that belong to a
 * dossier: one-off payments (four-eyes; their creditors checked by the
 * core's ks->party_check), recovery claims with their instalment plan
 * and repayments. The paying account, payment runs, pain.001 and the
 * client account are the casework layer's (core/casework/money/); the
 * lines this module adds to a run are in sh_run.c, bank notifications
 * (camt.054) in sh_bank.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh_pay.h"
#include "kasus/iso20022.h"

#define MAX_INSTALMENTS	600		/* a plan of 50 years at most */

/* ------------------------------------------------------------ helpers */

/*
 * Load this module's dossier {id} through the access policy; 404 when
 * absent or foreign, 403 other_team for another team's change.
 */
static PGresult *
dossier(struct ks_request *req, int64_t *id)
{
	const char *v[1];
	PGresult *r;

	if (ks->param_id(req, "id", id) != KS_OK ||
	    ks->access_dossier(req, *id, KS_ACCESS_AUTO) == NULL)
		return NULL;
	v[0] = ks->num(req, *id);
	if ((r = sh_q(req, Q_PAY_DOSSIER, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such dossier");
		return NULL;
	}
	return r;
}

/* ------------------------------------------------ parties (creditors) */

static const struct {
	const char	*name;
	size_t		 min, max;
} party_keys[] = {
	{ "name", 1, 70 }, { "iban", 1, 42 }, { "street", 0, 70 },
	{ "house_no", 0, 16 }, { "postcode", 0, 16 }, { "town", 1, 35 },
	{ "country", 2, 2 }, { NULL, 0, 0 }
};

/* A creditor object from a JSON body: known keys, strings, lengths. */
static int
party_from_json(struct ks_request *req, json_t *o, struct ks_party *p)
{
	const char *key, **slot;
	char f[64];
	json_t *v;
	int i;

	memset(p, 0, sizeof(*p));
	json_object_foreach(o, key, v) {
		for (i = 0; party_keys[i].name != NULL; i++)
			if (strcmp(party_keys[i].name, key) == 0)
				break;
		snprintf(f, sizeof(f), "creditor.%s", key);
		if (party_keys[i].name == NULL)
			return ks->fail_detail(req, 400, "unknown_field",
			    "the body has a field this request does not take",
			    json_pack("{s:s}", "field", f));
		if (json_is_null(v))
			continue;
		if (!json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v))
			return bad_field(req, "invalid_type",
			    "a field has the wrong type", ks->strdup(req, f));
		if (json_string_length(v) < party_keys[i].min ||
		    json_string_length(v) > party_keys[i].max)
			return ks->fail_detail(req, 400, "invalid_length",
			    "a text is too short or too long", json_pack(
			    "{s:s,s:I,s:I}", "field", f, "min",
			    (json_int_t)party_keys[i].min, "max",
			    (json_int_t)party_keys[i].max));
		if (!plain_text(json_string_value(v)))
			return bad_field(req, "invalid_value",
			    "text contains control characters",
			    ks->strdup(req, f));
		slot = i == 0 ? &p->name : i == 1 ? &p->iban : i == 2 ?
		    &p->street : i == 3 ? &p->house_no : i == 4 ? &p->postcode :
		    i == 5 ? &p->town : &p->country;
		*slot = json_string_value(v);
	}
	if (p->name == NULL)
		return bad_field(req, "missing_field",
		    "a required field is missing", "creditor.name");
	if (p->town == NULL)
		return bad_field(req, "missing_field",
		    "a required field is missing", "creditor.town");
	return ks->party_check(req, p, "creditor.");
}

static json_t *
party_json(const struct ks_party *p)
{
	return json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s,s:s}", "name", p->name,
	    "iban", p->iban, "street", p->street, "house_no", p->house_no,
	    "postcode", p->postcode, "town", p->town, "country", p->country);
}

/* ---------------------------------------------------- one-off payments */

static json_t *
oneoff_json(PGresult *r, int i)
{
	json_t *cr = PQgetisnull(r, i, 4) ? json_null() :
	    json_loads(PQgetvalue(r, i, 4), 0, NULL);
	json_t *j;

	j = json_pack("{s:I,s:I,s:I,s:s,s:o,s:s,s:I,s:s,s:o,s:o,s:o,s:I}",
	    "id", ll(r, i, 0), "dossier_id", ll(r, i, 1), "amount",
	    ll(r, i, 2), "text", PQgetvalue(r, i, 3), "creditor",
	    cr ? cr : json_null(), "status", PQgetvalue(r, i, 5),
	    "created_by", ll(r, i, 6), "created_at", PQgetvalue(r, i, 7),
	    "approved_by", int_or_null(r, i, 8), "approved_at",
	    str_or_null(r, i, 9), "run_id", int_or_null(r, i, 10),
	    "version", ll(r, i, 11));
	/* The lists (sh_one_off_v) name the client and the two people. */
	if (PQnfields(r) >= 15) {
		json_object_set_new(j, "client", str_or_null(r, i, 12));
		json_object_set_new(j, "created_by_name",
		    str_or_null(r, i, 13));
		json_object_set_new(j, "approved_by_name",
		    str_or_null(r, i, 14));
	}
	return j;
}

static int
active(const char *state)
{
	return strcmp(state, "ongoing") == 0 || strcmp(state, "review") == 0;
}

static int
oneoff_create(struct ks_request *req)
{
	json_t *b = ks->body(req), *cj = json_object_get(b, "creditor");
	const char *v[5];
	struct ks_party p;
	PGresult *d, *r;
	int64_t id;
	char *cs = NULL;

	if ((d = dossier(req, &id)) == NULL)
		return KS_ERROR;
	if (!active(PQgetvalue(d, 0, 1)))
		return ks->fail_detail(req, 409, "dossier_not_active",
		    "payments are made only while a dossier is supported",
		    json_pack("{s:s}", "state", PQgetvalue(d, 0, 1)));
	if (json_is_object(cj)) {
		json_t *pj;

		if (party_from_json(req, cj, &p) != KS_OK)
			return KS_ERROR;
		pj = party_json(&p);
		cs = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(pj);
		if (cs == NULL)
			abort();
	}
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, json_integer_value(json_object_get(b, "amount")));
	v[2] = json_string_value(json_object_get(b, "text"));
	v[3] = cs ? ks->strdup(req, cs) : NULL;
	v[4] = ks->num(req, ks->user_id(req));
	free(cs);
	if (!plain_text(v[2]))
		return bad_field(req, "invalid_value",
		    "text contains control characters", "text");
	if ((r = sh_q(req, Q_PAY_ONEOFF_INSERT, 5, v)) == NULL ||
	    ks->audit(req, "one_off_payment_proposed", "sh_one_off",
	    PQgetvalue(r, 0, 0), NULL, oneoff_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ll(r, 0, 11));
	return ks->reply(req, 201, oneoff_json(r, 0));
}

/* {"items", "next"} of statement q over dossier {id}, a page at a time. */
static int
dossier_page(struct ks_request *req, int q, json_t *(*row)(PGresult *, int))
{
	const char *v[3];
	long long n;
	PGresult *r;
	int64_t id;

	if (ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    dossier(req, &id) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if ((r = sh_q(req, q, 3, v)) == NULL)
		return KS_ERROR;
	return page_reply(req, r, n, row);
}

static int
oneoff_list(struct ks_request *req)
{
	return dossier_page(req, Q_PAY_ONEOFF_LIST, oneoff_json);
}

/* The tenant's one-off payments (?status=proposed: what waits). */
static int
oneoff_list_all(struct ks_request *req)
{
	const char *v[3], *st = ks->query(req, "status");
	long long n;
	PGresult *r;

	if (st != NULL && strcmp(st, "proposed") != 0 &&
	    strcmp(st, "approved") != 0)
		return ks->fail_detail(req, 400, "invalid_parameter",
		    "status is proposed or approved", json_pack("{s:s}",
		    "parameter", "status"));
	if (ks->page(req, &v[1], &v[2], &n) != KS_OK)
		return KS_ERROR;
	v[0] = st;
	if ((r = sh_q(req, Q_PAY_ONEOFF_LIST_ALL, 3, v)) == NULL)
		return KS_ERROR;
	return page_reply(req, r, n, oneoff_json);
}

static int
oneoff_approve(struct ks_request *req)
{
	const char *v[2];
	PGresult *b, *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, ks->user_id(req));
	if ((b = sh_q(req, Q_PAY_ONEOFF_LOCK, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(b) != 1)
		return ks->fail(req, 404, "not_found",
		    "no such one-off payment");
	if (sh_access(req, b, "dossier_id") != 0)
		return KS_ERROR;
	if (strcmp(PQgetvalue(b, 0, 5), "proposed") != 0)
		return ks->fail_detail(req, 409, "invalid_state",
		    "this payment is already approved", json_pack("{s:o}",
		    "current", oneoff_json(b, 0)));
	if (ll(b, 0, 6) == ks->user_id(req))
		return ks->fail(req, 403, "four_eyes_required",
		    "a payment is approved by someone other than who "
		    "proposed it");
	/* What the approver saw is what is approved. */
	if (ks->check_etag(req, ll(b, 0, 11), oneoff_json(b, 0)) != KS_OK)
		return KS_ERROR;
	if ((r = sh_q(req, Q_PAY_ONEOFF_APPROVE, 2, v)) == NULL ||
	    ks->audit(req, "one_off_payment_approved", "sh_one_off", v[0],
	    oneoff_json(b, 0), oneoff_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ll(r, 0, 11));
	return ks->reply(req, 200, oneoff_json(r, 0));
}

/* ---------------------------------------------- claims and repayments */

/* Columns of pay_claim_list (the claim, its plan's figures for today). */
enum { C_ID, C_DOSSIER, C_AMOUNT, C_REASON, C_INST, C_REF, C_REPAID,
	C_STATUS, C_CBY, C_CAT, C_VERSION, C_FIRST, C_BASE, C_OVERDUE,
	C_NEXT_ON, C_NEXT_AMOUNT, C_COUNT };

static json_t *
claim_json(PGresult *r, int i)
{
	json_t *next = json_null();

	if (!PQgetisnull(r, i, C_NEXT_ON))
		next = json_pack("{s:s,s:I}", "due_on",
		    PQgetvalue(r, i, C_NEXT_ON), "amount",
		    ll(r, i, C_NEXT_AMOUNT));
	return json_pack("{s:I,s:I,s:I,s:s,s:I,s:s,s:I,s:I,s:s,s:I,s:s,s:I,"
	    "s:{s:I,s:s,s:I,s:I,s:I,s:o}}", "id", ll(r, i, C_ID),
	    "dossier_id", ll(r, i, C_DOSSIER), "amount", ll(r, i, C_AMOUNT),
	    "reason", PQgetvalue(r, i, C_REASON), "instalment",
	    ll(r, i, C_INST), "reference", PQgetvalue(r, i, C_REF), "repaid",
	    ll(r, i, C_REPAID), "open", ll(r, i, C_AMOUNT) -
	    ll(r, i, C_REPAID), "status", PQgetvalue(r, i, C_STATUS),
	    "created_by", ll(r, i, C_CBY), "created_at",
	    PQgetvalue(r, i, C_CAT), "version", ll(r, i, C_VERSION), "plan",
	    "instalment", ll(r, i, C_INST), "first_due",
	    PQgetvalue(r, i, C_FIRST), "over", ll(r, i, C_AMOUNT) -
	    ll(r, i, C_BASE), "instalments", ll(r, i, C_COUNT), "overdue",
	    ll(r, i, C_OVERDUE), "next", next);
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

	if ((r = sh_q(req, Q_PAY_CLAIM_LIST, 4, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such claim");
		return NULL;
	}
	if (sh_access(req, r, "dossier_id") != 0)
		return NULL;
	ks->set_etag(req, ll(r, 0, C_VERSION));
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
	if (inst > open)
		return bad_field(req, "invalid_value", "an instalment is not "
		    "larger than what is owed", "instalment");
	if ((open + inst - 1) / inst > MAX_INSTALMENTS)
		return ks->fail_detail(req, 400, "plan_too_long", "the plan "
		    "would have more than 600 monthly instalments; choose a "
		    "larger instalment", json_pack("{s:s,s:I}", "field",
		    "instalment", "min", (open + MAX_INSTALMENTS - 1) /
		    MAX_INSTALMENTS));
	if (*first == NULL)
		*first = sh_months_ahead(req, 1);
	return KS_OK;
}

static int
claim_create(struct ks_request *req)
{
	json_t *b = ks->body(req);
	json_int_t amount = json_integer_value(json_object_get(b, "amount"));
	json_int_t inst = json_integer_value(json_object_get(b,
	    "instalment"));
	const char *v[6];
	PGresult *r;
	int64_t id;

	if (dossier(req, &id) == NULL)
		return KS_ERROR;
	v[5] = body_s(req, "first_due");
	if (plan_check(req, amount, inst, &v[5]) != KS_OK)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, amount);
	v[2] = body_s(req, "reason");
	v[3] = ks->num(req, inst);
	v[4] = ks->num(req, ks->user_id(req));
	if (!plain_text(v[2]))
		return bad_field(req, "invalid_value",
		    "text contains control characters", "reason");
	if ((r = sh_q(req, Q_PAY_CLAIM_INSERT, 6, v)) == NULL ||
	    (r = claim_row(req, PQgetvalue(r, 0, 0))) == NULL ||
	    ks->audit(req, "claim_created", "sh_claim", PQgetvalue(r, 0, 0),
	    NULL, claim_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	return ks->reply(req, 201, claim_json(r, 0));
}

static int
claim_list(struct ks_request *req)
{
	const char *v[4];
	long long n;
	PGresult *r;
	int64_t id;

	if (ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    dossier(req, &id) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	v[3] = "0";
	if ((r = sh_q(req, Q_PAY_CLAIM_LIST, 4, v)) == NULL)
		return KS_ERROR;
	return page_reply(req, r, n, claim_json);
}

/*
 * A claim with its instalment plan (each instalment: due date, amount,
 * what repayments settled of it, its state today) and its repayments.
 */
static int
claim_show(struct ks_request *req)
{
	const char *v[1], *today = ks->today(req), *st;
	PGresult *c, *p, *r;
	json_t *j, *plan, *reps;
	int64_t id;
	int i;

	if (ks->param_id(req, "id", &id) != KS_OK ||
	    (c = claim_row(req, ks->num(req, id))) == NULL)
		return KS_ERROR;
	v[0] = PQgetvalue(c, 0, C_ID);
	if ((p = sh_q(req, Q_PAY_CLAIM_SCHEDULE, 1, v)) == NULL ||
	    (r = sh_q(req, Q_PAY_CLAIM_REPAYMENTS, 1, v)) == NULL)
		return KS_ERROR;
	plan = json_array();
	for (i = 0; i < PQntuples(p); i++) {
		st = ll(p, i, 3) == ll(p, i, 2) ? "paid" :
		    strcmp(PQgetvalue(p, i, 1), today) <= 0 ? "overdue" :
		    ll(p, i, 3) > 0 ? "partly" : "open";
		json_array_append_new(plan, json_pack("{s:I,s:s,s:I,s:I,s:s}",
		    "no", ll(p, i, 0), "due_on", PQgetvalue(p, i, 1), "amount",
		    ll(p, i, 2), "paid", ll(p, i, 3), "state", st));
	}
	reps = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(reps, json_pack("{s:I,s:I,s:s,s:s,s:o,"
		    "s:{s:I,s:o},s:s}", "id", ll(r, i, 0), "amount",
		    ll(r, i, 1), "paid_on", PQgetvalue(r, i, 2), "source",
		    PQgetvalue(r, i, 3), "bank_entry_id", int_or_null(r, i, 4),
		    "created_by", "id", ll(r, i, 5), "display_name",
		    str_or_null(r, i, 6), "created_at", PQgetvalue(r, i, 7)));
	j = claim_json(c, 0);
	json_object_set_new(j, "schedule", plan);
	json_object_set_new(j, "repayments", reps);
	return ks->reply(req, 200, j);
}

/* The claim {id}, locked, at the version the caller saw (If-Match). */
static PGresult *
claim_for_change(struct ks_request *req, const char **id)
{
	const char *v[1];
	PGresult *c, *cur;
	int64_t n;

	if (ks->param_id(req, "id", &n) != KS_OK)
		return NULL;
	v[0] = *id = ks->num(req, n);
	if ((c = sh_q(req, Q_PAY_CLAIM_LOCK, 1, v)) == NULL)
		return NULL;
	if (PQntuples(c) != 1) {
		ks->fail(req, 404, "not_found", "no such claim");
		return NULL;
	}
	if ((cur = claim_row(req, *id)) == NULL ||
	    ks->check_etag(req, ll(c, 0, C_VERSION), claim_json(cur, 0)) !=
	    KS_OK)
		return NULL;
	return cur;
}

/* A new instalment plan over what is still owed (If-Match). */
static int
claim_plan(struct ks_request *req)
{
	json_t *b = ks->body(req);
	json_int_t inst = json_integer_value(json_object_get(b,
	    "instalment"));
	const char *v[3], *id;
	PGresult *c, *r;

	if ((c = claim_for_change(req, &id)) == NULL)
		return KS_ERROR;
	if (strcmp(PQgetvalue(c, 0, C_STATUS), "open") != 0)
		return ks->fail(req, 409, "invalid_state",
		    "this claim is settled");
	v[2] = body_s(req, "first_due");
	if (plan_check(req, ll(c, 0, C_AMOUNT) - ll(c, 0, C_REPAID), inst,
	    &v[2]) != KS_OK)
		return KS_ERROR;
	v[0] = id;
	v[1] = ks->num(req, inst);
	if (sh_q(req, Q_PAY_CLAIM_PLAN_SET, 3, v) == NULL ||
	    (r = claim_row(req, id)) == NULL ||
	    ks->audit(req, "claim_plan_set", "sh_claim", id, claim_json(c, 0),
	    claim_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	return ks->reply(req, 200, claim_json(r, 0));
}

static int
repayment_create(struct ks_request *req)
{
	json_t *b = ks->body(req);
	json_int_t amount = json_integer_value(json_object_get(b, "amount"));
	const char *v[6], *id;
	PGresult *c, *r;

	if ((c = claim_for_change(req, &id)) == NULL)
		return KS_ERROR;
	if (amount > ll(c, 0, C_AMOUNT) - ll(c, 0, C_REPAID))
		return ks->fail_detail(req, 409, "exceeds_claim",
		    "the repayment is larger than what is still owed",
		    json_pack("{s:I}", "open", ll(c, 0, C_AMOUNT) -
		    ll(c, 0, C_REPAID)));
	v[0] = id;
	v[1] = ks->num(req, amount);
	v[2] = body_s(req, "date");
	v[3] = "manual";
	v[4] = NULL;
	v[5] = ks->num(req, ks->user_id(req));
	if (sh_q(req, Q_PAY_REPAYMENT_BOOK, 6, v) == NULL ||
	    (r = claim_row(req, id)) == NULL ||
	    ks->audit(req, "claim_repayment_booked", "sh_claim", v[0],
	    claim_json(c, 0), claim_json(r, 0), json_pack("{s:I,s:s}",
	    "amount", amount, "date", v[2])) != KS_OK)
		return KS_ERROR;
	return ks->reply(req, 201, claim_json(r, 0));
}

/* -------------------------------------------------------------- tables */

static const struct ks_field oneoff_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "text", KS_F_STRING, 1, 1, 140, "payment text" },
	{ "creditor", KS_F_OBJECT, 0, 0, 0, "name, iban, street, house_no, "
	    "postcode, town, country; absent: the applicant" },
	END_FIELDS
};
static const struct ks_field claim_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "reason", KS_F_STRING, 1, 1, 500, NULL },
	{ "instalment", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen per month" },
	{ "first_due", KS_F_DATE, 0, 0, 0,
	    "the first instalment; default the first of next month" },
	END_FIELDS
};
static const struct ks_field plan_body[] = {
	{ "instalment", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen per month" },
	{ "first_due", KS_F_DATE, 0, 0, 0,
	    "the first instalment; default the first of next month" },
	END_FIELDS
};
static const struct ks_field repayment_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "date", KS_F_DATE, 1, 0, 0, NULL },
	END_FIELDS
};

#define C	"/api/v1/cases/{id}"
#define KB	(16 * 1024)

const struct ks_route sh_payment_routes[] = {
	{ "POST", C "/one-off-payments", "case.write", KB, oneoff_body, 0,
	    oneoff_create, "propose a one-off payment", NULL, NULL },
	{ "GET", C "/one-off-payments", "case.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT,
	    oneoff_list, "one-off payments of a dossier", NULL, NULL },
	{ "GET", "/api/v1/one-off-payments", "ledger.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, oneoff_list_all, "the service's one-off payments, "
	    "newest first (?status=proposed: waiting for approval)", NULL,
	    NULL },
	{ "POST", "/api/v1/one-off-payments/{id}/approve", "case.approve", 0,
	    NULL, KS_R_ETAG, oneoff_approve,
	    "approve a one-off payment (not its proposer; If-Match)", NULL,
	    NULL },
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
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL }
};
