/*
 * sh_worklist.c - what waits for a team lead's approval (draft budgets,
 * draft decisions, proposed one-off payments, payment runs). The work
 * list itself is the core's (core/casework/worklist.c).
 */
#include <stdlib.h>
#include <string.h>

#include "sh.h"

static json_t *
client(PGresult *r, int i)
{
	return json_pack("{s:s,s:s}", "last_name", ks_db_str(r, i,
	    "last_name"), "first_name", ks_db_str(r, i, "first_name"));
}

/* ---------------------------------------------------------- approvals */

/*
 * One waiting item: the record, its dossier and who prepared it; `own`
 * when the caller prepared it (four eyes: someone else approves).
 */
static json_t *
pending(struct ks_request *req, PGresult *r, int i)
{
	long long by = atoll(ks_db_str(r, i, "created_by"));

	return json_pack("{s:I,s:{s:I,s:s,s:o},s:{s:I,s:s?},s:s,s:b,s:I}",
	    "id", (json_int_t)atoll(ks_db_str(r, i, "id")),
	    "dossier", "id", (json_int_t)atoll(ks_db_str(r, i, "dossier_id")),
	    "number", ks_db_str(r, i, "number"), "client", client(r, i),
	    "created_by", "id", (json_int_t)by, "display_name",
	    ks_db_isnull(r, i, "display_name") ? NULL : ks_db_str(r, i,
	    "display_name"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "own", by == ks->user_id(req),
	    "version", (json_int_t)atoll(ks_db_str(r, i, "version")));
}

static json_t *
pending_list(struct ks_request *req, int q, const char *f8, const char *f9,
    int *err)
{
	PGresult *r;
	json_t *a = json_array(), *e;
	int i;

	if ((r = sh_q(req, q, 0, NULL)) == NULL) {
		*err = 1;
		return a;
	}
	for (i = 0; i < PQntuples(r); i++) {
		e = pending(req, r, i);
		/* Amounts are Rappen; valid_from and texts stay text. */
		json_object_set_new(e, f8, json_string(ks_db_str(r, i, f8)));
		json_object_set_new(e, f9, json_integer(ks_db_getll(r, i, f9)));
		if (PQfnumber(r, "state") >= 0)
			json_object_set_new(e, "dossier_state",
			    json_string(ks_db_str(r, i, "state")));
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *
runs_list(struct ks_request *req, int *err)
{
	PGresult *r;
	json_t *a = json_array();
	long long by;
	int i;

	if (!ks->has_perm(req, "payment.approve"))
		return a;
	if ((r = sh_q(req, Q_PENDING_RUNS, 0, NULL)) == NULL) {
		*err = 1;
		return a;
	}
	for (i = 0; i < PQntuples(r); i++) {
		by = atoll(ks_db_str(r, i, "created_by"));
		json_array_append_new(a, json_pack("{s:I,s:s,s:{s:I,s:s?},s:s,"
		    "s:I,s:I,s:b,s:I}", "id",
		    (json_int_t)atoll(ks_db_str(r, i, "id")), "month",
		    ks_db_str(r, i, "month"), "created_by", "id",
		    (json_int_t)by,
		    "display_name", ks_db_isnull(r, i, "display_name") ? NULL :
		    ks_db_str(r, i, "display_name"), "created_at", ks_db_str(r,
		    i, "created_at"),
		    "lines", (json_int_t)atoll(ks_db_str(r, i, "lines")),
		    "total",
		    (json_int_t)atoll(ks_db_str(r, i, "total")), "own",
		    by == ks->user_id(req), "version",
		    (json_int_t)atoll(ks_db_str(r, i, "version"))));
	}
	return a;
}

static int
approvals(struct ks_request *req)
{
	json_t *b, *d, *o, *p;
	int err = 0;

	b = pending_list(req, Q_PENDING_BUDGETS, "valid_from", "payment",
	    &err);
	d = pending_list(req, Q_PENDING_DECISIONS, "valid_from", "payment",
	    &err);
	o = pending_list(req, Q_PENDING_ONE_OFFS, "text", "amount", &err);
	p = runs_list(req, &err);
	if (err) {
		json_decref(b);
		json_decref(d);
		json_decref(o);
		json_decref(p);
		return -1;
	}
	return ks->reply(req, 200, json_pack("{s:o,s:o,s:o,s:o}", "budgets",
	    b, "decisions", d, "one_offs", o, "payment_runs", p));
}

const struct ks_route sh_worklist_routes[] = {
	{ "GET", "/api/v1/approvals", "case.approve", 0, NULL, 0, approvals,
	    "what waits for a team lead's approval: budgets, decisions, "
	    "one-off payments, payment runs" },
	KS_ROUTES_END
};
