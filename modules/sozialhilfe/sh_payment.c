/*
 * sh_payment.c - one-off payments of the Sozialhilfe module (four-eyes;
 * their creditors checked by the core's ks->party_check). The paying
 * account, payment runs, pain.001, the client account, bank
 * notifications (camt.054) and recovery claims are the casework layer's
 * (core/casework/money/); the lines this module adds to a run are in
 * sh_run.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh_pay.h"
#include "kasus/iso20022.h"

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

#define I(c)	((json_int_t)ks_db_getll(r, i, c))

static json_t *
oneoff_json(PGresult *r, int i)
{
	json_t *cr = ks_db_isnull(r, i, "creditor") ? NULL :
	    json_loads(ks_db_str(r, i, "creditor"), 0, NULL);
	json_t *j;

	j = json_pack("{s:I,s:I,s:I,s:s,s:o,s:s,s:I,s:s,s:o,s:o,s:o,s:I}",
	    "id", I("id"), "dossier_id", I("dossier_id"), "amount",
	    I("amount"), "text", ks_db_str(r, i, "text"), "creditor",
	    cr ? cr : json_null(), "status", ks_db_str(r, i, "status"),
	    "created_by", I("created_by"), "created_at",
	    ks_db_str(r, i, "created_at"), "approved_by",
	    ks_db_json_int(r, i, "approved_by"), "approved_at",
	    ks_db_json_str(r, i, "approved_at"), "run_id",
	    ks_db_json_int(r, i, "run_id"), "version", I("version"));
	/* The lists (sh_one_off_v) name the client and the two people. */
	if (PQfnumber(r, "client") >= 0) {
		json_object_set_new(j, "client",
		    ks_db_json_str(r, i, "client"));
		json_object_set_new(j, "created_by_name",
		    ks_db_json_str(r, i, "created_by_name"));
		json_object_set_new(j, "approved_by_name",
		    ks_db_json_str(r, i, "approved_by_name"));
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
	if (!active(ks_db_str(d, 0, "state")))
		return ks->fail_detail(req, 409, "dossier_not_active",
		    "payments are made only while a dossier is supported",
		    json_pack("{s:s}", "state", ks_db_str(d, 0, "state")));
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
	    ks_db_str(r, 0, "id"), NULL, oneoff_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
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
	return ks->reply(req, 200, ks_db_page(r, n, "id", row));
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
	return ks->reply(req, 200, ks_db_page(r, n, "id", oneoff_json));
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
	if (strcmp(ks_db_str(b, 0, "status"), "proposed") != 0)
		return ks->fail_detail(req, 409, "invalid_state",
		    "this payment is already approved", json_pack("{s:o}",
		    "current", oneoff_json(b, 0)));
	if (ks_db_getll(b, 0, "created_by") == ks->user_id(req))
		return ks->fail(req, 403, "four_eyes_required",
		    "a payment is approved by someone other than who "
		    "proposed it");
	/* What the approver saw is what is approved. */
	if (ks->check_etag(req, ks_db_getll(b, 0, "version"),
	    oneoff_json(b, 0)) != KS_OK)
		return KS_ERROR;
	if ((r = sh_q(req, Q_PAY_ONEOFF_APPROVE, 2, v)) == NULL ||
	    ks->audit(req, "one_off_payment_approved", "sh_one_off", v[0],
	    oneoff_json(b, 0), oneoff_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, 200, oneoff_json(r, 0));
}

/* -------------------------------------------------------------- tables */

static const struct ks_field oneoff_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "text", KS_F_STRING, 1, 1, 140, "payment text" },
	{ "creditor", KS_F_OBJECT, 0, 0, 0, "name, iban, street, house_no, "
	    "postcode, town, country; absent: the applicant" },
	KS_FIELDS_END
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
	    KS_R_PAGED | KS_R_AUDIT, oneoff_list_all, "the service's one-off "
	    "payments, newest first (?status=proposed: waiting for "
	    "approval)", NULL, NULL },
	{ "POST", "/api/v1/one-off-payments/{id}/approve", "case.approve", 0,
	    NULL, KS_R_ETAG, oneoff_approve,
	    "approve a one-off payment (not its proposer; If-Match)", NULL,
	    NULL },
	KS_ROUTES_END
};
