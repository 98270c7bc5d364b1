/*
 * worklist.c - what waits for whom (GET /api/v1/worklist), over every
 * module switched on for the tenant: the caller's deadlines due and
 * overdue, own dossiers, newly assigned ones, and the dossiers of the
 * own team that nobody works on yet (e.g. one that arrived from another
 * social service). Each module adds its own items through its dossier
 * kind's worklist hook; every item says which module it belongs to.
 */
#include <string.h>

#include "kasus.h"
#include "casework/casework.h"
#include "queries.h"

/* A work list dossier: id, state, names, opened, number, origin. */
static json_t *
work_dossier(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s}", "id",
	    (json_int_t)ks_db_getll(r, i, "id"), "state",
	    ks_db_str(r, i, "state"), "last_name", ks_db_str(r, i, "last_name"),
	    "first_name", ks_db_str(r, i, "first_name"), "opened_on",
	    ks_db_str(r, i, "opened_on"), "number", ks_db_str(r, i, "number"),
	    "transferred_from", ks_db_get(r, i, "transferred_from"),
	    "module", ks_db_str(r, i, "module"));
}

static int
deadlines(struct ks_request *req, const char *const *v, json_t *due,
    json_t *over)
{
	const char *today = ks_today(req);
	PGresult *r;
	json_t *e;
	int i;

	if ((r = ks_db_q(req, Q_CASE_WORK_DEADLINES, 2, v)) == NULL)
		return KS_ERROR;
	for (i = 0; i < PQntuples(r); i++) {
		e = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:I,s:s}", "id",
		    (json_int_t)ks_db_getll(r, i, "id"), "due_on",
		    ks_db_str(r, i, "due_on"), "kind", ks_db_str(r, i, "kind"),
		    "text", ks_db_str(r, i, "text"), "dossier_id",
		    (json_int_t)ks_db_getll(r, i, "dossier_id"), "client",
		    ks_db_str(r, i, "last_name"), "number", ks_db_str(r, i,
		    "number"), "version", (json_int_t)ks_db_getll(r, i,
		    "version"), "module", ks_db_str(r, i, "module"));
		json_array_append_new(strcmp(ks_db_str(r, i, "due_on"),
		    today) < 0 ? over : due, e);
	}
	return KS_OK;
}

/*
 * Dossiers nobody works on yet: those of the caller's team and those
 * without a team; a team lead without a team sees all of them.
 */
static int
unassigned(struct ks_request *req, const char *mods, json_t *out)
{
	const char *v[3];
	PGresult *r;
	json_t *e;
	int i;

	if (!ks_has_perm(&req->who, "case.write"))
		return KS_OK;
	v[0] = req->who.team ? req->who.team : "";
	v[1] = mods;
	v[2] = *v[0] == '\0' && ks_has_perm(&req->who, "case.approve") ?
	    "t" : "f";
	if ((r = ks_db_q(req, Q_CASE_WORK_UNASSIGNED, 3, v)) == NULL)
		return KS_ERROR;
	for (i = 0; i < PQntuples(r); i++) {
		e = work_dossier(r, i);
		json_object_set_new(e, "team", ks_db_isnull(r, i, "team") ?
		    json_null() : json_string(ks_db_str(r, i, "team")));
		json_array_append_new(out, e);
	}
	return KS_OK;
}

struct contrib {
	struct ks_request		*req;
	const struct ks_dossier_kind	*k;
	json_t				*lists;
};

static int
contribute(void *p)
{
	struct contrib *c = p;

	return c->k->worklist(c->req, c->lists);
}

/*
 * Each module switched on adds its items (its first kind with a
 * worklist hook); what it added is marked with its name.
 */
static int
contributions(struct ks_request *req, json_t *lists)
{
	struct contrib c = { req, NULL, lists };
	const char *name, *key;
	json_t *a, *e;
	size_t j;
	int i, on;

	for (i = 0; i < ks_modules_count(); i++) {
		for (c.k = ks_module_kinds(i, &name); c.k != NULL &&
		    c.k->code != NULL && c.k->worklist == NULL; c.k++)
			;
		if (c.k == NULL || c.k->code == NULL)
			continue;
		if ((on = ks_module_on(req, name)) < 0)
			return KS_ERROR;
		if (!on)
			continue;
		if (ks_case_hook(req, name, contribute, &c) != KS_OK)
			return KS_ERROR;
		json_object_foreach(lists, key, a) {
			if (!json_is_array(a))
				return ks_fail(req, 500, "internal_error",
				    "something went wrong on our side");
			json_array_foreach(a, j, e)
				if (json_is_object(e) &&
				    json_object_get(e, "module") == NULL)
					json_object_set_new(e, "module",
					    json_string(name));
		}
	}
	return KS_OK;
}

static int
worklist(struct ks_request *req)
{
	const char *v[2], *mods = ks_case_modules_on(req);
	json_t *due = json_array(), *over = json_array(), *open = json_array(),
	    *fresh = json_array(), *none = json_array(), *e, *lists;
	PGresult *r;
	int i;

	v[0] = ks_num(req, req->who.user_id);
	v[1] = mods;
	lists = json_pack("{s:o,s:o,s:o,s:o,s:o}", "due_today", due,
	    "overdue", over, "open_dossiers", open, "newly_assigned", fresh,
	    "unassigned", none);
	if (deadlines(req, v, due, over) != KS_OK ||
	    (r = ks_db_q(req, Q_CASE_WORK_DOSSIERS, 2, v)) == NULL ||
	    unassigned(req, mods, none) != KS_OK) {
		json_decref(lists);
		return KS_ERROR;
	}
	for (i = 0; i < PQntuples(r); i++) {
		e = work_dossier(r, i);
		if (strcmp(ks_db_str(r, i, "new"), "t") == 0)
			json_array_append(fresh, e);
		json_array_append_new(open, e);
	}
	if (contributions(req, lists) != KS_OK) {
		json_decref(lists);
		return KS_ERROR;
	}
	return ks_reply(req, 200, lists);
}

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/worklist", "case.read", 0, NULL,
	    KS_R_CASEWORK | KS_R_AUDIT, worklist,
	    "the caller's deadlines due and overdue, own and newly assigned "
	    "dossiers, the unassigned ones of the own team, and what each "
	    "module adds; every item names its module", NULL },
	KS_ROUTES_END
};

void
ks_worklist_register(void)
{
	ks_router_add(routes, NULL);
}
