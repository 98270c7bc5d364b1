/*
 * sh_budget.c - the SKOS budget of a dossier and the decision
 * (Verfügung) that grants it.
 *
 * A budget is computed by rule packs, never by C constants: the tenant's
 * rent-ceilings pack gives the ceiling for the municipality and household
 * size, the canton's skos-budget pack the lines. The input, every line and
 * the packs' names, versions and checksums are stored, so a past budget
 * can be recomputed and explained. A case worker saves a draft, a team
 * lead approves it (four-eyes); a decision is drafted from an approved
 * budget, approved by a team lead, rendered to PDF in the client's
 * language (sh_letter.c) and stored as an immutable document of the
 * dossier. A budget line is explained in German and French: the screens
 * show it in the reader's language, the decision in the client's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh.h"
#include "kasus/pdf.h"


/* ------------------------------------------------------------ helpers */

static const char *
text(const char *lang, const char *key)
{
	return sh_text(lang, key);
}

int
sh_document_store(struct ks_request *req, const char *const *v,
    const char *bytes, size_t len, PGresult **doc)
{
	if ((*doc = sh_q(req, Q_LETTER_DOCUMENT, 6, v)) == NULL)
		return -1;
	/* Sealed under the dossier's key by the core, like an upload. */
	return ks->document_put(req, ks_db_str(*doc, 0, "id"), bytes,
	    len) != 0 ? -1 : 0;
}

static json_t *
budget_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:o,s:I,s:I,s:I,s:b,s:o,s:o,s:s,s:I,"
	    "s:o,s:s?,s:s,s:I,s:s?,s:s?}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "dossier_id", (json_int_t)ks_db_getll(r, i, "dossier_id"),
	    "valid_from", ks_db_str(r, i, "valid_from"),
	    "input", ks_db_json(r, i, "input"),
	    "need", (json_int_t)ks_db_getll(r, i, "need"),
	    "income_counted", (json_int_t)ks_db_getll(r, i, "income_counted"),
	    "payment", (json_int_t)ks_db_getll(r, i, "payment"),
	    "rent_direct", strcmp(ks_db_str(r, i, "rent_direct"), "t") == 0,
	    "landlord", ks_db_json(r, i, "landlord"),
	    "provenance", ks_db_json(r, i, "provenance"),
	    "status", ks_db_str(r, i, "status"),
	    "created_by", (json_int_t)ks_db_getll(r, i, "created_by"),
	    "approved_by", ks_db_json_int(r, i, "approved_by"),
	    "approved_at", ks_db_get(r, i, "approved_at"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "created_by_name", ks_db_get(r, i, "created_by_name"),
	    "approved_by_name", ks_db_get(r, i, "approved_by_name"));
}

/*
 * The lines with explain (the client's language, as the decision has
 * it) and explains {de, fr} for the reader's; lines saved before both
 * were kept have explain only.
 */
static json_t *
lines_json(struct ks_request *req, const char *budget)
{
	const char *v[1] = { budget };
	PGresult *r = sh_q(req, Q_BUDGET_LINES, 1, v);
	json_t *a = json_array(), *l;
	int i;

	for (i = 0; r != NULL && i < PQntuples(r); i++) {
		l = json_pack("{s:s,s:I,s:s}", "code", ks_db_str(r, i, "code"),
		    "amount", (json_int_t)ks_db_getll(r, i, "amount"),
		    "explain", ks_db_str(r, i, "explain"));
		if (!ks_db_isnull(r, i, "explains"))
			json_object_set_new(l, "explains", json_loads(
			    ks_db_str(r, i, "explains"), 0, NULL));
		json_array_append_new(a, l);
	}
	return a;
}

/* ---------------------------------------------------------- computing */

/*
 * Build the skos-budget input for the dossier on valid_from from the
 * household and the request body, evaluate the packs, and return
 * {input, output, provenance, rent_share} or NULL with the error set.
 */
/*
 * The social service's local benefits for a household of n (canton pack
 * local-benefits reading the service's own data) appended to sil as
 * "local:<code>"; *prov gets the pack's provenance when any applies.
 */
static int
local_benefits(struct ks_request *req, const char *date, long long n,
    json_t *sil, json_t **prov)
{
	json_t *in, *out, *l;
	size_t i;

	*prov = NULL;
	in = json_pack("{s:I}", "household_size", (json_int_t)n);
	if (ks->rules_eval(req, "local-benefits", "benefits", date, in, &out,
	    prov) != 0) {
		json_decref(in);
		return -1;
	}
	json_decref(in);
	json_array_foreach(json_object_get(out, "lines"), i, l)
		json_array_append_new(sil, json_pack("{s:s+,s:O,s:O*}", "code",
		    "local:", json_string_value(json_object_get(l, "code")),
		    "amount", json_object_get(l, "amount"), "label",
		    json_object_get(l, "label")));
	if (json_array_size(json_object_get(out, "lines")) == 0) {
		json_decref(*prov);
		*prov = NULL;
	}
	json_decref(out);
	return 0;
}

/*
 * The names of the situation-related benefits the module offers, in
 * German and French (texts.json "sil.<code>"), for the budget pack to
 * explain them by; a local benefit brought its own.
 */
static void
sil_labels(json_t *sil)
{
	const char *code;
	char key[96];
	json_t *s;
	size_t i;

	json_array_foreach(sil, i, s) {
		code = json_string_value(json_object_get(s, "code"));
		if (code == NULL || json_object_get(s, "label") != NULL)
			continue;
		snprintf(key, sizeof(key), "sil.%s", code);
		if (strcmp(sh_text("de", key), key) != 0)
			json_object_set_new(s, "label", json_pack("{s:s,s:s}",
			    "de", sh_text("de", key), "fr",
			    sh_text("fr", key)));
	}
}

/*
 * Each line of out (explained in the client's language) gets explains
 * {de, fr}: the pack evaluated once more in the other language, so a
 * reader sees the explanation in their own.
 */
static int
explain_both(struct ks_request *req, const char *date, json_t *in,
    json_t *out)
{
	const char *lang = json_string_value(json_object_get(in, "language"));
	const char *other = strcmp(lang, "fr") == 0 ? "de" : "fr";
	json_t *in2 = json_deep_copy(in), *out2, *prov, *l, *l2;
	size_t i;

	json_object_set_new(in2, "language", json_string(other));
	if (ks->rules_eval(req, "skos-budget", "budget", date, in2, &out2,
	    &prov) != 0) {
		json_decref(in2);
		return -1;
	}
	json_decref(in2);
	json_decref(prov);
	json_array_foreach(json_object_get(out, "lines"), i, l) {
		l2 = json_array_get(json_object_get(out2, "lines"), i);
		json_object_set_new(l, "explains", json_pack("{s:O,s:O}", lang,
		    json_object_get(l, "explain"), other, json_equal(
		    json_object_get(l, "code"), json_object_get(l2, "code")) ?
		    json_object_get(l2, "explain") : json_object_get(l,
		    "explain")));
	}
	json_decref(out2);
	return 0;
}

static json_t *
compute(struct ks_request *req, PGresult *dossier)
{
	json_t *b = ks->body(req), *members, *in, *out, *p1, *p2, *p3, *ceil_in,
	    *ceil_out, *res, *sil, *income, *prov;
	const char *date = json_string_value(json_object_get(b, "valid_from"));
	const char *q[3];
	long long rent, extra, n, share;
	PGresult *h, *m, *x;
	int i, own;

	if (strlen(date) != 10 || strcmp(date + 8, "01") != 0) {
		ks->fail_detail(req, 400, "invalid_value", "a budget starts on "
		    "the first day of a month", json_pack("{s:s}", "field",
		    "valid_from"));
		return NULL;
	}
	/* The household as it is on that day: the applicant's then. */
	q[0] = ks_db_str(dossier, 0, "household_id");
	q[1] = ks_db_str(dossier, 0, "applicant_id");
	q[2] = date;
	if ((h = sh_q(req, Q_BUDGET_HOUSEHOLD, 3, q)) == NULL)
		return NULL;
	q[0] = ks_db_str(h, 0, "household_id");
	q[1] = date;
	if ((m = sh_q(req, Q_MEMBERS_ON, 2, q)) == NULL ||
	    (x = sh_q(req, Q_HOUSEHOLD_EXTRA, 1, q)) == NULL)
		return NULL;
	if (PQntuples(m) == 0) {
		ks->fail_detail(req, 409, "no_members_on_date", "the household "
		    "has no members on that date; choose a later start",
		    json_pack("{s:s}", "field", "valid_from"));
		return NULL;
	}
	extra = PQntuples(x) == 1 ? ks_db_getll(x, 0, "flat_extra_persons") : 0;
	own = extra == 0;
	members = json_array();
	for (i = 0; i < PQntuples(m); i++)
		json_array_append_new(members, json_pack("{s:I,s:s,s:b}",
		    "age", (json_int_t)ks_db_getll(m, i, "age"), "role",
		    ks_db_str(m, i, "role"), "own_household", own));
	n = PQntuples(m);
	/* Kopfteilung: a shared flat's rent is split per head. */
	rent = json_integer_value(json_object_get(b, "rent"));
	share = rent * n / (n + extra);
	ceil_in = json_pack("{s:I,s:I}", "bfs",
	    (json_int_t)ks_db_getll(dossier, 0, "municipality_bfs"),
	    "household_size", (json_int_t)n);
	if (ks->rules_eval(req, "rent-ceilings", "ceiling", date, ceil_in,
	    &ceil_out, &p1) != 0) {
		json_decref(ceil_in);
		json_decref(members);
		return NULL;
	}
	json_decref(ceil_in);
	sil = json_object_get(b, "sil");
	sil = sil ? json_deep_copy(sil) : json_array();
	sil_labels(sil);
	if (local_benefits(req, date, n, sil, &p3) != 0) {
		json_decref(sil);
		json_decref(ceil_out);
		json_decref(members);
		json_decref(p1);
		return NULL;
	}
	income = json_object_get(b, "income");
	in = json_pack("{s:s,s:s,s:o,s:I,s:O,s:O,s:o,s:o,s:O,s:o}",
	    "date", date, "language", ks_db_str(dossier, 0, "language"),
	    "members", members, "rent", (json_int_t)share,
	    "rent_ceiling", json_object_get(ceil_out, "rent_ceiling"),
	    "kvg_premium", json_object_get(b, "kvg_premium"),
	    "sil", sil,
	    "income", income ? json_incref(income) : json_object(),
	    "assets", json_object_get(b, "assets"),
	    "integration_allowance", json_integer(json_integer_value(
	    json_object_get(b, "integration_allowance"))));
	json_decref(ceil_out);
	if (ks->rules_eval(req, "skos-budget", "budget", date, in, &out,
	    &p2) != 0) {
		json_decref(in);
		json_decref(p1);
		json_decref(p3);
		return NULL;
	}
	if (explain_both(req, date, in, out) != 0) {
		json_decref(in);
		json_decref(out);
		json_decref(p1);
		json_decref(p2);
		json_decref(p3);
		return NULL;
	}
	/* Provenance: ceilings, budget, and local benefits when any apply. */
	prov = json_pack("[o,o]", p1, p2);
	if (p3 != NULL)
		json_array_append_new(prov, p3);
	res = json_pack("{s:o,s:o,s:o,s:{s:I,s:I,s:I}}", "input", in,
	    "output", out, "provenance", prov, "rent_share", "flat_rent",
	    (json_int_t)rent, "persons", (json_int_t)n, "flat_persons",
	    (json_int_t)(n + extra));
	return res;
}

/* A third party paid directly (landlord, insurer) needs a usable account. */
static int
creditor_ok(struct ks_request *req, const char *flag, const char *field,
    const char *who)
{
	json_t *b = ks->body(req), *l = json_object_get(b, field);
	char norm[40], msg[160];
	const char *iban;

	if (!json_is_true(json_object_get(b, flag)))
		return 0;
	iban = json_string_value(json_object_get(l, "iban"));
	if (!json_is_object(l) || !json_is_string(json_object_get(l, "name")) ||
	    !json_is_string(json_object_get(l, "town")) || iban == NULL) {
		snprintf(msg, sizeof(msg), "paying the %s directly needs its "
		    "name, town and IBAN", who);
		return ks->fail_detail(req, 400, "invalid_value",
		    ks->strdup(req, msg), json_pack("{s:s}", "field", field));
	}
	if (ks->iban_valid(iban, norm, sizeof(norm)) != 1 ||
	    ks->iban_is_qr(norm))
		return ks->fail_detail(req, 400, "invalid_value", "the IBAN is "
		    "not valid for a transfer (a QR-IBAN needs a QR-bill)",
		    json_pack("{s:s}", "field", field));
	return 0;
}

static int
budget_preview(struct ks_request *req)
{
	PGresult *d;
	json_t *res;
	int64_t id;

	if ((d = sh_dossier(req, &id)) == NULL ||
	    (res = compute(req, d)) == NULL)
		return -1;
	return ks->reply(req, 200, res);
}

static int
budget_save(struct ks_request *req)
{
	json_t *res, *out, *b = ks->body(req);
	const char *v[10];
	char *s1, *s2, *s3, *s4;
	PGresult *d, *r;
	int64_t id;

	if ((d = sh_dossier(req, &id)) == NULL ||
	    creditor_ok(req, "rent_direct", "landlord", "landlord") != 0 ||
	    creditor_ok(req, "kvg_direct", "insurer", "health insurer") != 0)
		return -1;
	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0)
		return ks->fail(req, 409, "dossier_closed",
		    "a closed dossier gets no new budget");
	if ((res = compute(req, d)) == NULL)
		return -1;
	out = json_object_get(res, "output");
	/* How to pay is stored with the input the payment run reads. */
	if (json_is_true(json_object_get(b, "kvg_direct"))) {
		json_object_set_new(json_object_get(res, "input"), "kvg_direct",
		    json_true());
		json_object_set(json_object_get(res, "input"), "insurer",
		    json_object_get(b, "insurer"));
	}
	s1 = json_dumps(json_object_get(res, "input"), JSON_COMPACT);
	s2 = json_dumps(json_object_get(res, "provenance"), JSON_COMPACT);
	s3 = json_dumps(json_object_get(b, "landlord"), JSON_COMPACT |
	    JSON_ENCODE_ANY);
	s4 = json_dumps(json_object_get(out, "lines"), JSON_COMPACT);
	v[0] = ks->num(req, id);
	v[1] = json_string_value(json_object_get(b, "valid_from"));
	v[2] = ks->strdup(req, s1);
	v[3] = ks->num(req, json_integer_value(json_object_get(out, "need")));
	v[4] = ks->num(req, json_integer_value(json_object_get(out,
	    "income_counted")));
	v[5] = ks->num(req, json_integer_value(json_object_get(out,
	    "payment")));
	v[6] = json_is_true(json_object_get(b, "rent_direct")) ? "t" : "f";
	v[7] = s3 && json_is_object(json_object_get(b, "landlord")) ?
	    ks->strdup(req, s3) : NULL;
	v[8] = ks->strdup(req, s2);
	v[9] = ks->num(req, ks->user_id(req));
	free(s1);
	free(s2);
	free(s3);
	r = sh_q(req, Q_BUDGET_INSERT, 10, v);
	if (r != NULL) {
		v[0] = ks_db_str(r, 0, "id");
		v[1] = ks->strdup(req, s4 ? s4 : "[]");
		if (sh_q(req, Q_BUDGET_LINES_INSERT, 2, v) == NULL)
			r = NULL;
	}
	free(s4);
	json_decref(res);
	if (r == NULL || ks->audit(req, "budget_saved", "budget", v[0], NULL,
	    NULL, json_pack("{s:s}", "dossier", ks->num(req, id))) != 0)
		return -1;
	if ((r = sh_q(req, Q_BUDGET_GET, 1, v)) == NULL)
		return -1;
	res = budget_json(r, 0);
	json_object_set_new(res, "lines", lines_json(req, v[0]));
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, 201, res);
}

static int
budgets_list(struct ks_request *req)
{
	return sh_dossier_list(req, Q_BUDGET_LIST, budget_json);
}

static PGresult *
budget_load(struct ks_request *req, const char **idstr)
{
	PGresult *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != 0)
		return NULL;
	*idstr = ks->num(req, id);
	if ((r = sh_q(req, Q_BUDGET_GET, 1, idstr)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such budget");
		return NULL;
	}
	return sh_access(req, r, "dossier_id") == 0 ? r : NULL;
}

static int
budget_show(struct ks_request *req)
{
	const char *id;
	PGresult *r;
	json_t *j;

	if ((r = budget_load(req, &id)) == NULL)
		return -1;
	j = budget_json(r, 0);
	json_object_set_new(j, "lines", lines_json(req, id));
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, 200, j);
}

/*
 * Approve a draft budget (four eyes, If-Match). A budget of a closed
 * dossier is not approved any more.
 */
static int
budget_approve(struct ks_request *req)
{
	const char *v[3], *id;
	PGresult *r, *u;

	if ((r = budget_load(req, &id)) == NULL ||
	    ks->check_etag(req, ks_db_getll(r, 0, "version"),
	    budget_json(r, 0)) != 0)
		return -1;
	if (strcmp(ks_db_str(r, 0, "status"), "draft") != 0)
		return ks->fail_detail(req, 409, "invalid_state",
		    "only a draft budget can be approved", json_pack("{s:s}",
		    "status", ks_db_str(r, 0, "status")));
	if (strcmp(ks_db_str(r, 0, "dossier_state"), "closed") == 0)
		return ks->fail(req, 409, "dossier_closed", "the dossier is "
		    "closed; its budgets are not approved any more");
	if (ks_db_getll(r, 0, "created_by") == ks->user_id(req))
		return ks->fail(req, 403, "four_eyes_required", "a second "
		    "person must approve the budget you prepared");
	v[0] = id;
	v[1] = ks->num(req, ks->user_id(req));
	v[2] = ks_db_str(r, 0, "version");
	if ((u = sh_q(req, Q_BUDGET_APPROVE, 3, v)) == NULL)
		return -1;
	if (PQntuples(u) != 1) {
		u = sh_q(req, Q_BUDGET_GET, 1, &id);
		return ks->fail_detail(req, 409, "conflict", "the budget "
		    "changed meanwhile; review it and approve again",
		    u && PQntuples(u) == 1 ? json_pack("{s:o}", "current",
		    budget_json(u, 0)) : NULL);
	}
	v[0] = ks_db_str(r, 0, "dossier_id");
	v[1] = ks_db_str(r, 0, "valid_from");
	v[2] = id;
	if (sh_q(req, Q_BUDGET_REPLACE_OLDER, 3, v) == NULL ||
	    ks->audit(req, "budget_approved", "budget", id, NULL, NULL,
	    NULL) != 0)
		return -1;
	return budget_show(req);
}

/* --------------------------------------------------------- decisions */

static json_t *
decision_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:I,s:s,s:s,s:{s:I,s:s?},s:o,s:s?,s:o,"
	    "s:s,s:I,s:o,s:s?,s:s?,s:s}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "dossier_id", (json_int_t)ks_db_getll(r, i, "dossier_id"),
	    "budget_id", (json_int_t)ks_db_getll(r, i, "budget_id"),
	    "language", ks_db_str(r, i, "language"),
	    "status", ks_db_str(r, i, "status"),
	    "drafted_by", "id", (json_int_t)ks_db_getll(r, i, "drafted_by"),
	    "display_name", ks_db_get(r, i, "drafted_by_name"),
	    "approved_by", ks_db_isnull(r, i, "approved_by") ? json_null() :
	    json_pack("{s:I,s:s?}", "id", (json_int_t)ks_db_getll(r, i,
	    "approved_by"), "display_name", ks_db_get(r, i,
	    "approved_by_name")),
	    "approved_at", ks_db_get(r, i, "approved_at"),
	    "document_id", ks_db_json_int(r, i, "document_id"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "revoked_by", ks_db_isnull(r, i, "revoked_by") ? json_null() :
	    json_pack("{s:I,s:s?}", "id", (json_int_t)ks_db_getll(r, i,
	    "revoked_by"), "display_name", ks_db_get(r, i, "revoked_by_name")),
	    "revoked_at", ks_db_get(r, i, "revoked_at"),
	    "revoke_reason", ks_db_get(r, i, "revoke_reason"),
	    "valid_from", ks_db_str(r, i, "budget_valid_from"));
}

/*
 * Draft a decision from an approved budget of an open dossier. A budget
 * has one decision unless that one was revoked.
 */
static int
decision_draft(struct ks_request *req)
{
	const char *v[4], *bid;
	PGresult *d, *b, *r;
	int64_t id;

	if ((d = sh_dossier(req, &id)) == NULL)
		return -1;
	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0)
		return ks->fail(req, 409, "dossier_closed", "the dossier is "
		    "closed; it gets no new decision");
	bid = ks->num(req, json_integer_value(json_object_get(ks->body(req),
	    "budget_id")));
	if ((b = sh_q(req, Q_BUDGET_GET, 1, &bid)) == NULL)
		return -1;
	if (PQntuples(b) != 1 || ks_db_getll(b, 0, "dossier_id") != id)
		return ks->fail_detail(req, 400, "invalid_value", "no such "
		    "budget in this dossier", json_pack("{s:s}", "field",
		    "budget_id"));
	if (strcmp(ks_db_str(b, 0, "status"), "approved") != 0)
		return ks->fail(req, 409, "budget_not_approved", "a decision "
		    "needs an approved budget");
	if ((r = sh_q(req, Q_DECISION_LIVE, 1, &bid)) == NULL)
		return -1;
	if (PQntuples(r) > 0)
		return ks->fail_detail(req, 409, "decision_exists", "this "
		    "budget already has a decision; revoke it first to make "
		    "another", json_pack("{s:I,s:s}", "decision_id",
		    (json_int_t)ks_db_getll(r, 0, "id"), "status",
		    ks_db_str(r, 0, "status")));
	v[0] = ks->num(req, id);
	v[1] = bid;
	v[2] = ks_db_str(d, 0, "language");	/* the client's language */
	v[3] = ks->num(req, ks->user_id(req));
	if ((r = sh_q(req, Q_DECISION_INSERT, 4, v)) == NULL ||
	    ks->audit(req, "decision_drafted", "decision", ks_db_str(r, 0,
	    "id"), NULL, NULL, json_pack("{s:s}", "budget", bid)) != 0)
		return -1;
	v[0] = ks_db_str(r, 0, "id");
	if ((r = sh_q(req, Q_DECISION_GET, 1, v)) == NULL)
		return -1;
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, 201, decision_json(r, 0));
}

static PGresult *
decision_load(struct ks_request *req, const char **idstr)
{
	PGresult *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != 0)
		return NULL;
	*idstr = ks->num(req, id);
	if ((r = sh_q(req, Q_DECISION_GET, 1, idstr)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such decision");
		return NULL;
	}
	return sh_access(req, r, "dossier_id") == 0 ? r : NULL;
}

static int
decisions_list(struct ks_request *req)
{
	return sh_dossier_list(req, Q_DECISION_LIST, decision_json);
}

/* The decision document (sh_letter.c). */
static int
render(struct ks_request *req, PGresult *dec, const char *approver,
    char **pdf, size_t *len)
{
	return sh_decision_render(req, dec, approver, pdf, len);
}

/*
 * Whether the dossier's state allows approving a decision, and what the
 * approval then does: in the decision step support starts (-> ongoing),
 * in a review the review ends with it (-> ongoing), while support runs a
 * further decision adds to it. Before (registration, intake) and after
 * (closed) nothing is approved. NULL with the error set.
 */
static const char *
approval_effect(struct ks_request *req, PGresult *d)
{
	const char *st = ks_db_str(d, 0, "state");

	if (strcmp(st, "decision") == 0)
		return "support_started";
	if (strcmp(st, "review") == 0)
		return "review_concluded";
	if (strcmp(st, "ongoing") == 0)
		return "support_continues";
	if (strcmp(st, "closed") == 0)
		ks->fail(req, 409, "dossier_closed", "the dossier is closed; "
		    "its decisions are not approved any more");
	else
		ks->fail_detail(req, 409, "dossier_not_ready", "the dossier is "
		    "still in registration or intake: a decision is approved "
		    "once the intake is complete and the dossier has moved to "
		    "the decision step", json_pack("{s:s,s:s}", "state", st,
		    "needed", "decision"));
	return NULL;
}

/* Render and store the decision document; its id into *doc_id. */
static int
decision_store(struct ks_request *req, PGresult *dec, const char **doc_id,
    char sha[65])
{
	const char *v[5];
	char *pdf = NULL;
	PGresult *u, *doc;
	size_t len;

	v[0] = ks->num(req, ks->user_id(req));
	if ((u = sh_q(req, Q_USER_DISPLAY, 1, v)) == NULL ||
	    render(req, dec, PQntuples(u) ? ks_db_str(u, 0, "display_name") :
	    "", &pdf, &len) != 0)
		return -1;
	ks->sha256_hex(pdf, len, sha);
	v[0] = ks_db_str(dec, 0, "dossier_id");
	v[1] = text(ks_db_str(dec, 0, "language"), "title");
	v[2] = ks->num(req, (long long)len);
	v[3] = sha;
	v[4] = ks->num(req, ks->user_id(req));
	doc = sh_q(req, Q_DECISION_DOCUMENT, 5, v);
	if (doc != NULL && ks->document_put(req, ks_db_str(doc, 0, "id"), pdf,
	    len) != 0)
		doc = NULL;
	ks->free(pdf);
	if (doc == NULL)
		return -1;
	*doc_id = ks_db_str(doc, 0, "id");
	return 0;
}

static int
decision_stale(struct ks_request *req, const char *id)
{
	PGresult *r = sh_q(req, Q_DECISION_GET, 1, &id);

	if (r != NULL && PQntuples(r) == 1)
		ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->fail_detail(req, 409, "conflict", "the decision changed "
	    "meanwhile; review it and try again", r && PQntuples(r) == 1 ?
	    json_pack("{s:o}", "current", decision_json(r, 0)) : NULL);
}

/*
 * Approve a draft decision (a team lead other than its author, If-Match)
 * when its budget is still the approved one, the dossier's state allows
 * it and the intake checklist is complete: render and store the
 * document, remind of its renewal, and move the dossier on as the state
 * machine says. The answer says what happened (effect, dossier_state).
 */
static int
decision_approve(struct ks_request *req)
{
	const char *id, *v[4], *effect, *doc;
	char sha[65];
	PGresult *dec, *u, *d;
	int64_t did;
	json_t *j;

	if ((dec = decision_load(req, &id)) == NULL ||
	    ks->check_etag(req, ks_db_getll(dec, 0, "version"),
	    decision_json(dec, 0)) != 0)
		return -1;
	if (strcmp(ks_db_str(dec, 0, "status"), "draft") != 0)
		return ks->fail_detail(req, 409, "invalid_state",
		    "only a draft decision is approved", json_pack("{s:s}",
		    "status", ks_db_str(dec, 0, "status")));
	if (ks_db_getll(dec, 0, "drafted_by") == ks->user_id(req))
		return ks->fail(req, 403, "four_eyes_required", "a team lead "
		    "other than the author approves a decision");
	if (strcmp(ks_db_str(dec, 0, "budget_status"), "approved") != 0)
		return ks->fail(req, 409, "budget_not_approved",
		    "the budget of this decision is no longer the approved "
		    "one; revoke the draft and decide on the budget in force");
	did = ks_db_getll(dec, 0, "dossier_id");
	v[0] = ks_db_str(dec, 0, "dossier_id");
	if ((d = sh_q(req, Q_DOSSIER_GET, 1, v)) == NULL ||
	    PQntuples(d) != 1 || (effect = approval_effect(req, d)) == NULL ||
	    sh_checklist_complete(req, did) != 0 ||
	    decision_store(req, dec, &doc, sha) != 0)
		return -1;
	v[0] = id;
	v[1] = ks->num(req, ks->user_id(req));
	v[2] = doc;
	v[3] = ks_db_str(dec, 0, "version");
	if ((u = sh_q(req, Q_DECISION_APPROVE, 4, v)) == NULL)
		return -1;
	if (PQntuples(u) != 1)
		return decision_stale(req, id);
	if (ks->audit(req, "decision_approved", "decision", id, NULL, NULL,
	    json_pack("{s:s,s:s,s:s}", "document", doc, "sha256", sha,
	    "effect", effect)) != 0)
		return -1;
	/* A decision is renewed yearly: remind a month before it expires;
	 * the newest decision's reminder replaces earlier ones. */
	v[0] = sh_months_ahead(req, 11);
	if (sh_deadlines_close(req, did, "decision_expiring", v[0]) != 0 ||
	    sh_auto_deadline(req, did, v[0], "decision_expiring",
	    "Verfügung läuft ab: neu verfügen") != 0)
		return -1;
	if (strcmp(effect, "support_continues") != 0 &&
	    sh_transition(req, did, ks_db_str(d, 0, "state"), "ongoing", NULL,
	    strcmp(effect, "support_started") == 0 ? "decision_approved" :
	    "review_decided", ks_db_str(d, 0, "version")) != 0)
		return -1;
	if ((dec = sh_q(req, Q_DECISION_GET, 1, &id)) == NULL)
		return -1;
	j = decision_json(dec, 0);
	json_object_set_new(j, "effect", json_string(effect));
	json_object_set_new(j, "dossier_state", json_string("ongoing"));
	ks->set_etag(req, ks_db_getll(dec, 0, "version"));
	return ks->reply(req, 200, j);
}

/*
 * Revoke a decision (If-Match) with a reason: a draft is dropped, an
 * approved one (team leads only) stays on record with its document but
 * no longer binds its budget, which can then get a new decision.
 */
static int
decision_revoke(struct ks_request *req)
{
	const char *id, *v[4];
	PGresult *dec, *u;
	int approved;

	if ((dec = decision_load(req, &id)) == NULL ||
	    ks->check_etag(req, ks_db_getll(dec, 0, "version"),
	    decision_json(dec, 0)) != 0)
		return -1;
	if (strcmp(ks_db_str(dec, 0, "status"), "revoked") == 0)
		return ks->fail_detail(req, 409, "invalid_state",
		    "the decision is already revoked", json_pack("{s:s}",
		    "status", "revoked"));
	approved = strcmp(ks_db_str(dec, 0, "status"), "approved") == 0;
	if (approved && !ks->has_perm(req, "case.approve"))
		return ks->fail_detail(req, 403, "forbidden", "revoking an "
		    "approved decision needs the permission case.approve",
		    json_pack("{s:s}", "permission", "case.approve"));
	v[0] = id;
	v[1] = ks->num(req, ks->user_id(req));
	v[2] = json_string_value(json_object_get(ks->body(req), "reason"));
	v[3] = ks_db_str(dec, 0, "version");
	if ((u = sh_q(req, Q_DECISION_REVOKE, 4, v)) == NULL)
		return -1;
	if (PQntuples(u) != 1)
		return decision_stale(req, id);
	if (ks->audit(req, "decision_revoked", "decision", id, NULL, NULL,
	    json_pack("{s:s,s:s}", "was", approved ? "approved" : "draft",
	    "reason", v[2])) != 0 ||
	    (dec = sh_q(req, Q_DECISION_GET, 1, &id)) == NULL)
		return -1;
	ks->set_etag(req, ks_db_getll(dec, 0, "version"));
	return ks->reply(req, 200, decision_json(dec, 0));
}

static int
decision_pdf(struct ks_request *req)
{
	const char *id, *v[1];
	unsigned char *bytes;
	PGresult *dec;
	char *pdf;
	size_t len;
	int rc;

	if ((dec = decision_load(req, &id)) == NULL)
		return -1;
	ks->header(req, "Content-Disposition", "inline; filename="
	    "\"verfuegung.pdf\"");
	if (ks_db_isnull(dec, 0, "document_id")) {
		/* A draft: rendered for review, stored only when approved. */
		if (ks->audit(req, "decision_draft_read", "decision", id, NULL,
		    NULL, json_pack("{s:I}", "dossier_id",
		    (json_int_t)ks_db_getll(dec, 0, "dossier_id"))) != 0 ||
		    render(req, dec, NULL, &pdf, &len) != 0)
			return -1;
		rc = ks->raw(req, 200, "application/pdf", pdf, len);
		ks->free(pdf);
		return rc;
	}
	v[0] = ks_db_str(dec, 0, "document_id");
	if (ks->document_get(req, v[0], &bytes, &len) != 0)
		return -1;
	if (ks->audit(req, "document_downloaded", "document", v[0], NULL, NULL,
	    NULL) != 0)
		return -1;
	return ks->raw(req, 200, "application/pdf", bytes, len);
}

/* ------------------------------------------------------------ routes */

static const struct ks_field budget_body[] = {
	{ "valid_from", KS_F_DATE, 1, 0, 0, "first day of a month" },
	{ "rent", KS_F_INT, 1, 0, 100000000, "monthly flat rent, Rappen" },
	{ "kvg_premium", KS_F_INT, 1, 0, 100000000, "net KVG premiums" },
	{ "sil", KS_F_ARRAY, 0, 0, 100, "[{code, amount}]" },
	{ "income", KS_F_OBJECT, 0, 0, 0, "{employment, other}" },
	{ "assets", KS_F_INT, 1, 0, 100000000000LL, NULL },
	{ "integration_allowance", KS_F_INT, 0, 0, 100000000, NULL },
	{ "rent_direct", KS_F_BOOL, 0, 0, 0, "pay rent to the landlord" },
	{ "landlord", KS_F_OBJECT, 0, 0, 0, "{name, iban, street, house_no, "
	    "postcode, town, country}" },
	{ "kvg_direct", KS_F_BOOL, 0, 0, 0, "pay the premium to the insurer" },
	{ "insurer", KS_F_OBJECT, 0, 0, 0, "{name, iban, street, house_no, "
	    "postcode, town, country, reference}" },
	KS_FIELDS_END
};
static const struct ks_field decision_body[] = {
	{ "budget_id", KS_F_INT, 1, 1, 0, "an approved budget" },
	KS_FIELDS_END
};
static const struct ks_field revoke_body[] = {
	{ "reason", KS_F_STRING, 1, 1, 500, "why it is revoked" },
	KS_FIELDS_END
};

#define C	"/api/v1/cases"
#define KB	(16 * 1024)

const struct ks_route sh_budget_routes[] = {
	{ "POST", C "/{id}/budgets/preview", "case.read", KB, budget_body,
	    KS_R_READ | KS_R_AUDIT, budget_preview,
	    "compute a budget without saving it (rule packs named)" },
	{ "POST", C "/{id}/budgets", "case.write", KB, budget_body, 0,
	    budget_save, "compute and save a draft budget" },
	{ "GET", C "/{id}/budgets", "case.read", 0, NULL, KS_R_AUDIT,
	    budgets_list,
	    "budgets of a dossier" },
	{ "GET", "/api/v1/budgets/{id}", "case.read", 0, NULL, KS_R_AUDIT,
	    budget_show, "a budget with its lines and rule provenance" },
	{ "POST", "/api/v1/budgets/{id}/approve", "case.approve", 0, NULL,
	    KS_R_ETAG, budget_approve,
	    "approve a draft budget (not its author; If-Match)" },
	{ "POST", C "/{id}/decisions", "case.write", KB, decision_body, 0,
	    decision_draft, "draft a decision from an approved budget (one "
	    "per budget unless revoked)" },
	{ "GET", C "/{id}/decisions", "case.read", 0, NULL, KS_R_AUDIT,
	    decisions_list, "decisions of a dossier" },
	{ "POST", "/api/v1/decisions/{id}/approve", "case.approve", 0, NULL,
	    KS_R_ETAG, decision_approve, "approve in the decision step (or "
	    "review, ongoing) with the intake complete: render, store, move "
	    "the dossier on (If-Match)" },
	{ "POST", "/api/v1/decisions/{id}/revoke", "case.write", KB,
	    revoke_body, KS_R_ETAG, decision_revoke, "revoke a decision with "
	    "a reason (an approved one: team leads; If-Match)" },
	{ "GET", "/api/v1/decisions/{id}/pdf", "case.read", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT | KS_R_LONG,
	    decision_pdf, "the decision as PDF (a draft is rendered live)" },
	KS_ROUTES_END
};
