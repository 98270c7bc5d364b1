/*
 * record.c - what the casework layer keeps on every module's dossier: the
 * journal (Aktennotizen; a protected note is visible to its author's role
 * group only, sealed under the dossier's key, and every read of one is
 * audited) and the deadlines (Wiedervorlagen: by hand, or set by a module
 * through ks_deadline_add). Categories and deadline kinds come from the
 * vocabularies (core/casework/vocabulary.c); the database refuses others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "casework/casework.h"
#include "lib/datakey.h"
#include "queries.h"

/* ----------------------------------------------------------- journal */

static int
journal_list(struct ks_request *req)
{
	const char *v[2];
	PGresult *r;
	json_t *items;
	int64_t id;
	int i, prot = 0;

	if (ks_case_param(req, &id) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	/* Protected notes: only the author's role group, and not at all
	 * without the permission for protected notes. */
	v[1] = ks_has_perm(&req->who, "case.protected") && req->who.roles ?
	    req->who.roles : "";
	if ((r = ks_db_q(req, Q_CASE_JOURNAL_LIST, 2, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		int p = strcmp(ks_db_str(r, i, "protected"), "t") == 0;
		char *text = ks_db_str(r, i, "text"), what[48];

		prot |= p;
		/* A protected note sealed under the dossier's key. */
		snprintf(what, sizeof(what), "journal_entry:%s",
		    ks_db_str(r, i, "id"));
		if (!ks_db_isnull(r, i, "text_sealed") && ks_dossier_open(req,
		    id, what, ks_db_str(r, i, "text_sealed"), &text) != KS_OK) {
			json_decref(items);
			return KS_ERROR;
		}
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s,s:I,"
		    "s:s?,s:b,s:s,s:s}", "id", (json_int_t)ks_db_getll(r, i,
		    "id"), "noted_on", ks_db_str(r, i, "noted_on"), "category",
		    ks_db_str(r, i, "category"), "text", text,
		    "author_id", (json_int_t)ks_db_getll(r, i, "author_id"),
		    "author", ks_db_get(r, i, "display_name"),
		    "protected", p, "role_group", ks_db_str(r, i, "role_group"),
		    "created_at", ks_db_str(r, i, "created_at")));
	}
	if (prot && ks_audit(req, "journal_protected_read", "dossier", v[0],
	    NULL, NULL, NULL) != KS_OK) {
		json_decref(items);
		return KS_ERROR;
	}
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
journal_add(struct ks_request *req)
{
	const char *v[9], *roles = req->who.roles ? req->who.roles : "";
	char group[64], what[48];
	json_t *prot = json_object_get(req->body, "protected");
	PGresult *r;
	int64_t id;
	size_t n;

	if (ks_case_param(req, &id) == NULL)
		return KS_ERROR;
	/* The role group is the author's first role. */
	n = strcspn(roles, ",");
	snprintf(group, sizeof(group), "%.*s", (int)n, roles);
	v[0] = ks_num(req, id);
	v[1] = ks_body_str(req, "noted_on");
	v[2] = ks_body_str(req, "category");
	v[3] = ks_body_str(req, "text");
	v[4] = ks_num(req, req->who.user_id);
	v[5] = json_is_true(prot) ? "t" : "f";
	v[6] = group[0] ? ks_arena_strdup(req->arena, group) : "token";
	v[7] = NULL;
	v[8] = NULL;
	/* A protected note's text is sealed under the dossier's key, bound
	   to the note's id. */
	if (json_is_true(prot)) {
		if ((r = ks_db_q(req, Q_CASE_JOURNAL_NEXT_ID, 0, NULL)) == NULL)
			return KS_ERROR;
		v[7] = ks_db_str(r, 0, "id");
		snprintf(what, sizeof(what), "journal_entry:%s", v[7]);
		if (ks_dossier_seal(req, id, what, v[3], &v[8]) != KS_OK)
			return KS_ERROR;
		v[3] = "";
	}
	if ((r = ks_db_q(req, Q_CASE_JOURNAL_ADD, 9, v)) == NULL ||
	    ks_audit(req, "journal_added", "journal_entry",
	    ks_db_str(r, 0, "id"), NULL, NULL, json_pack("{s:s,s:b}",
	    "dossier", v[0], "protected", json_is_true(prot))) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 201, json_pack("{s:I}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id")));
}

/* --------------------------------------------------------- deadlines */

static json_t *
deadline_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:s?,s:s?,s:I,s:I}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"), "due_on",
	    ks_db_str(r, i, "due_on"), "kind", ks_db_str(r, i, "kind"), "text",
	    ks_db_str(r, i, "text"), "assignee_id", ks_db_isnull(r, i,
	    "assignee_id") ? json_null() : json_integer(ks_db_getll(r, i,
	    "assignee_id")),
	    "assignee", ks_db_get(r, i, "display_name"),
	    "done_on", ks_db_get(r, i, "done_on"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "dossier_id", (json_int_t)ks_db_getll(r, i, "dossier_id"));
}

int
ks_deadline_add(struct ks_request *req, int64_t id, const char *due,
    const char *kind, const char *text, int64_t *out)
{
	const char *v[4] = { ks_num(req, id), due, kind, text };
	PGresult *r;

	if ((r = ks_db_q(req, Q_CASE_DEADLINE_AUTO, 4, v)) == NULL)
		return KS_ERROR;
	if (out != NULL)
		*out = PQntuples(r) > 0 ? ks_db_getll(r, 0, "id") : 0;
	return KS_OK;
}

int
ks_deadlines_close(struct ks_request *req, int64_t id, const char *kind,
    const char *keep_due)
{
	const char *v[3] = { ks_num(req, id), kind, keep_due };

	return ks_db_q(req, Q_CASE_DEADLINES_CLOSE, 3, v) ? KS_OK : KS_ERROR;
}

static int
deadlines_list(struct ks_request *req)
{
	const char *v[1];
	PGresult *r;
	json_t *items;
	int64_t id;

	if (ks_case_param(req, &id) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_CASE_DEADLINE_LIST, 1, v)) == NULL)
		return KS_ERROR;
	items = ks_db_rows(r, deadline_json);
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
deadline_add(struct ks_request *req)
{
	json_t *a = json_object_get(req->body, "assignee_id");
	const char *v[6];
	PGresult *r;
	int64_t id;

	if (ks_case_param(req, &id) == NULL)
		return KS_ERROR;
	if (json_is_integer(a) && ks_case_check_assignee(req, "assignee_id",
	    json_integer_value(a), NULL) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = ks_body_str(req, "due_on");
	v[2] = "manual";
	v[3] = ks_body_str(req, "text");
	v[4] = json_is_integer(a) ? ks_num(req, json_integer_value(a)) : NULL;
	v[5] = ks_num(req, req->who.user_id);
	if ((r = ks_db_q(req, Q_CASE_DEADLINE_ADD, 6, v)) == NULL ||
	    ks_audit(req, "deadline_added", "deadline", ks_db_str(r, 0, "id"),
	    NULL, NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 201, json_pack("{s:I}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id")));
}

static int
deadline_patch(struct ks_request *req)
{
	const char *v[3];
	PGresult *b, *r;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((b = ks_db_q(req, Q_CASE_DEADLINE_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(b) != 1)
		return ks_fail(req, 404, "not_found", "no such deadline");
	if (ks_case_load(req, ks_db_getll(b, 0, "dossier_id"),
	    KS_ACCESS_AUTO) == NULL)
		return KS_ERROR;
	if (ks_check_etag(req, ks_db_getll(b, 0, "version"),
	    deadline_json(b, 0)) != KS_OK)
		return KS_ERROR;
	v[1] = json_is_true(json_object_get(req->body, "done")) ? "t" : "f";
	v[2] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_CASE_DEADLINE_DONE, 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		r = ks_db_q(req, Q_CASE_DEADLINE_GET, 1, v);
		return ks_fail_detail(req, 409, "conflict", "someone else "
		    "changed this deadline; review it and apply your change "
		    "again", r && PQntuples(r) == 1 ? json_pack("{s:o}",
		    "current", deadline_json(r, 0)) : NULL);
	}
	if ((r = ks_db_q(req, Q_CASE_DEADLINE_GET, 1, v)) == NULL ||
	    ks_audit(req, "deadline_changed", "deadline", v[0], NULL, NULL,
	    json_pack("{s:b}", "done", v[1][0] == 't')) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, deadline_json(r, 0));
}

/* ------------------------------------------------------------ routes */

static const struct ks_field journal_body[] = {
	{ "category", KS_F_STRING, 1, 1, 20, "a journal_category of the "
	    "vocabularies (GET /api/v1/vocabularies)" },
	{ "text", KS_F_STRING, 1, 1, 20000, NULL },
	{ "noted_on", KS_F_DATE, 0, 0, 0, NULL },
	{ "protected", KS_F_BOOL, 0, 0, 0, "visible to the own role group" },
	KS_FIELDS_END
};
static const struct ks_field deadline_body[] = {
	{ "due_on", KS_F_DATE, 1, 0, 0, NULL },
	{ "text", KS_F_STRING, 1, 1, 500, NULL },
	{ "assignee_id", KS_F_INT, 0, 1, 0, NULL },
	KS_FIELDS_END
};
static const struct ks_field deadline_change[] = {
	{ "done", KS_F_BOOL, 1, 0, 0, NULL },
	KS_FIELDS_END
};

#define C	"/api/v1/cases"
#define KB	(16 * 1024)
#define CW	KS_R_CASEWORK

static const struct ks_route routes[] = {
	{ "GET", C "/{id}/journal", "case.read", 0, NULL, CW | KS_R_AUDIT,
	    journal_list,
	    "case notes (protected ones for the own role group)", NULL },
	{ "POST", C "/{id}/journal", "case.write", 64 * 1024, journal_body,
	    CW, journal_add, "add a case note", NULL },
	{ "GET", C "/{id}/deadlines", "case.read", 0, NULL, CW | KS_R_AUDIT,
	    deadlines_list, "deadlines of a dossier", NULL },
	{ "POST", C "/{id}/deadlines", "case.write", KB, deadline_body, CW,
	    deadline_add, "add a deadline", NULL },
	{ "PATCH", "/api/v1/deadlines/{id}", "case.write", KB,
	    deadline_change, CW | KS_R_ETAG, deadline_patch,
	    "mark a deadline done or open (If-Match)", NULL },
	KS_ROUTES_END
};

void
ks_record_register(void)
{
	ks_router_add(routes, NULL);
}
