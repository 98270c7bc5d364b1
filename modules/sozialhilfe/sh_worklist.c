/*
 * sh_worklist.c - what waits for whom: the caller's work list (deadlines
 * due and overdue, own dossiers, newly assigned ones, and the dossiers of
 * the own team that nobody works on yet, e.g. one that arrived from
 * another social service) and the team lead's approvals (draft budgets,
 * draft decisions, proposed one-off payments, payment runs).
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

/* A work list dossier: id, state, names, opened, number, origin. */
static json_t *
work_dossier(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?}", "id",
	    (json_int_t)atoll(ks_db_str(r, i, "id")), "state",
	    ks_db_str(r, i, "state"), "last_name", ks_db_str(r, i, "last_name"),
	    "first_name", ks_db_str(r, i, "first_name"), "opened_on",
	    ks_db_str(r, i, "opened_on"), "number", ks_db_str(r, i, "number"),
	    "transferred_from", ks_db_isnull(r, i, "transferred_from") ? NULL :
	    ks_db_str(r, i, "transferred_from"));
}

static int
deadlines(struct ks_request *req, const char *uid, json_t *due, json_t *over)
{
	const char *today = ks->today(req);
	PGresult *r;
	json_t *e;
	int i;

	if ((r = sh_q(req, Q_WORK_DEADLINES, 1, &uid)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		e = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:I}", "id",
		    (json_int_t)atoll(ks_db_str(r, i, "id")), "due_on",
		    ks_db_str(r, i, "due_on"), "kind", ks_db_str(r, i, "kind"),
		    "text",
		    ks_db_str(r, i, "text"), "dossier_id",
		    (json_int_t)atoll(ks_db_str(r, i, "dossier_id")), "client",
		    ks->strdup(req, ks_db_str(r, i, "last_name")), "number",
		    ks_db_str(r, i, "number"), "version",
		    (json_int_t)atoll(ks_db_str(r, i, "version")));
		json_array_append_new(strcmp(ks_db_str(r, i, "due_on"),
		    today) < 0 ?
		    over : due, e);
	}
	return 0;
}

/*
 * Dossiers nobody works on yet: those of the caller's team and those
 * without a team; a team lead without a team sees all of them.
 */
static int
unassigned(struct ks_request *req, json_t *out)
{
	const char *v[2];
	PGresult *r;
	json_t *e;
	int i;

	if (!ks->has_perm(req, "case.write"))
		return 0;
	v[0] = ks->team(req);
	v[1] = *v[0] == '\0' && ks->has_perm(req, "case.approve") ? "t" : "f";
	if ((r = sh_q(req, Q_WORK_UNASSIGNED, 2, v)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		e = work_dossier(r, i);
		json_object_set_new(e, "team", ks_db_isnull(r, i, "team") ?
		    json_null() : json_string(ks_db_str(r, i, "team")));
		json_array_append_new(out, e);
	}
	return 0;
}

static int
worklist(struct ks_request *req)
{
	const char *uid = ks->num(req, ks->user_id(req));
	json_t *due = json_array(), *over = json_array(), *open = json_array(),
	    *fresh = json_array(), *none = json_array(), *e;
	PGresult *r;
	int i;

	if (deadlines(req, uid, due, over) != 0 ||
	    (r = sh_q(req, Q_WORK_DOSSIERS, 1, &uid)) == NULL ||
	    unassigned(req, none) != 0) {
		json_decref(due);
		json_decref(over);
		json_decref(open);
		json_decref(fresh);
		json_decref(none);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		e = work_dossier(r, i);
		if (strcmp(ks_db_str(r, i, "new"), "t") == 0)
			json_array_append(fresh, e);
		json_array_append_new(open, e);
	}
	return ks->reply(req, 200, json_pack("{s:o,s:o,s:o,s:o,s:o}",
	    "due_today", due, "overdue", over, "open_dossiers", open,
	    "newly_assigned", fresh, "unassigned", none));
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
	{ "GET", "/api/v1/worklist", "case.read", 0, NULL, KS_R_AUDIT,
	    worklist,
	    "the caller's deadlines due and overdue, own and newly assigned "
	    "dossiers, and the unassigned ones of the own team" },
	{ "GET", "/api/v1/approvals", "case.approve", 0, NULL, 0, approvals,
	    "what waits for a team lead's approval: budgets, decisions, "
	    "one-off payments, payment runs" },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL }
};
