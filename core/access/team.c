/*
 * team.c - the teams of a social service as records.
 *
 * The tenant's administrator creates, renames and removes teams; every
 * colleague reads them (to choose a dossier's team). Users and dossiers
 * keep naming their team in their `team` column, which a foreign key on
 * (tenant_id, name) ties to this table: a rename reaches them all in the
 * same statement (ON UPDATE CASCADE), and a team still named by a user
 * or dossier is not removed. Sessions carry their user's team: after a
 * rename every session of the tenant reads its user again.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"


int	ks_team_check(struct ks_request *, const char *);

static json_t *
team_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:I,s:s,s:I,s:I}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "name", ks_db_str(r, i, "name"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "members", (json_int_t)ks_db_getll(r, i, "members"),
	    "open_dossiers", (json_int_t)ks_db_getll(r, i, "open_dossiers"));
}

/**
 * A team name a user or dossier may carry: NULL (no team) or the name of
 * one of the tenant's teams; else 400 invalid_value naming "team".
 */
int
ks_team_check(struct ks_request *req, const char *name)
{
	PGresult *r;

	if (name == NULL)
		return KS_OK;
	if ((r = ks_db_q(req, Q_TEAM_BY_NAME, 1, &name)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0)
		return ks_fail_detail(req, 400, "invalid_value", "no team of "
		    "this social service has this name; create it first",
		    json_pack("{s:s}", "field", "team"));
	return KS_OK;
}

/* The body's name without surrounding blanks; 400 when nothing is left. */
static const char *
team_name(struct ks_request *req)
{
	const char *s = ks_body_str(req, "name");
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0) {
		ks_fail_detail(req, 400, "invalid_value", "a team needs a name",
		    json_pack("{s:s}", "field", "name"));
		return NULL;
	}
	return ks_arena_strndup(req->arena, s, n);
}

static PGresult *
team_get(struct ks_request *req, int64_t *id)
{
	const char *v[1];
	PGresult *r;

	if (ks_param_id(req, "id", id) != KS_OK)
		return NULL;
	v[0] = ks_num(req, *id);
	if ((r = ks_db_q(req, Q_TEAM_LIST, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such team");
		return NULL;
	}
	return r;
}

static int
teams_list(struct ks_request *req)
{
	const char *v[1] = { NULL };
	PGresult *r;
	json_t *items;

	if ((r = ks_db_q(req, Q_TEAM_LIST, 1, v)) == NULL)
		return KS_ERROR;
	items = ks_db_rows(r, team_json);
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
team_show(struct ks_request *req)
{
	const char *v[1];
	PGresult *r, *m;
	json_t *j, *members;
	int64_t id;
	int i;

	if ((r = team_get(req, &id)) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((m = ks_db_q(req, Q_TEAM_MEMBERS, 1, v)) == NULL)
		return KS_ERROR;
	members = json_array();
	for (i = 0; i < PQntuples(m); i++)
		json_array_append_new(members, json_pack("{s:I,s:s,s:b}", "id",
		    (json_int_t)ks_db_getll(m, i, "id"), "display_name",
		    ks_db_str(m, i, "display_name"), "active",
		    strcmp(ks_db_str(m, i, "active"), "t") == 0));
	j = team_json(r, 0);
	json_object_set_new(j, "users", members);
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, j);
}

static int
team_reply(struct ks_request *req, int64_t id, int status, PGresult *before,
    const char *action)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r;

	if ((r = ks_db_q(req, Q_TEAM_LIST, 1, v)) == NULL ||
	    ks_audit(req, action, "team", v[0], before ? team_json(before, 0) :
	    NULL, team_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, status, team_json(r, 0));
}

static int
team_create(struct ks_request *req)
{
	const char *name;
	PGresult *r;

	if ((name = team_name(req)) == NULL)
		return KS_ERROR;
	if ((r = ks_db_q(req, Q_TEAM_BY_NAME, 1, &name)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) > 0)
		return ks_fail_detail(req, 409, "already_exists", "there is a "
		    "team with this name already", json_pack("{s:s}", "field",
		    "name"));
	if ((r = ks_db_q(req, Q_TEAM_INSERT, 1, &name)) == NULL)
		return KS_ERROR;
	return team_reply(req, ks_db_getll(r, 0, "id"), 201, NULL,
	    "team_created");
}

static int
stale(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r = ks_db_q(req, Q_TEAM_LIST, 1, v);

	return ks_fail_detail(req, 409, "conflict", "someone else changed "
	    "this team; review it and apply your change again",
	    r && PQntuples(r) == 1 ? json_pack("{s:o}", "current",
	    team_json(r, 0)) : NULL);
}

static int
team_patch(struct ks_request *req)
{
	const char *v[3], *name;
	PGresult *b, *r;
	int64_t id;

	if ((b = team_get(req, &id)) == NULL ||
	    ks_check_etag(req, ks_db_getll(b, 0, "version"), team_json(b,
	    0)) != KS_OK ||
	    (name = team_name(req)) == NULL)
		return KS_ERROR;
	if ((r = ks_db_q(req, Q_TEAM_BY_NAME, 1, &name)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) > 0 && ks_db_getll(r, 0, "id") != id)
		return ks_fail_detail(req, 409, "already_exists", "there is a "
		    "team with this name already", json_pack("{s:s}", "field",
		    "name"));
	v[0] = ks_num(req, id);
	v[1] = name;
	v[2] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_TEAM_RENAME, 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return stale(req, id);
	/* The members' sessions carry the old name: they read it again. */
	if (strcmp(name, ks_db_str(b, 0, "name")) != 0 &&
	    ks_auth_invalidate(req, req->who.tenant_id) != KS_OK)
		return KS_ERROR;
	return team_reply(req, id, 200, b, "team_renamed");
}

static int
team_delete(struct ks_request *req)
{
	const char *v[2];
	PGresult *b, *r;
	int64_t id;

	if ((b = team_get(req, &id)) == NULL ||
	    ks_check_etag(req, ks_db_getll(b, 0, "version"), team_json(b,
	    0)) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_TEAM_IN_USE, 1, v)) == NULL)
		return KS_ERROR;
	if (ks_db_getll(r, 0, "users") > 0 || ks_db_getll(r, 0, "dossiers") > 0)
		return ks_fail_detail(req, 409, "team_in_use", "users or "
		    "dossiers still belong to this team; move them first",
		    json_pack("{s:I,s:I}", "users",
		    (json_int_t)ks_db_getll(r, 0, "users"), "dossiers",
		    (json_int_t)ks_db_getll(r, 0, "dossiers")));
	if ((r = ks_db_q(req, Q_TEAM_DELETE, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return stale(req, id);
	if (ks_audit(req, "team_deleted", "team", v[0], team_json(b, 0), NULL,
	    NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

static const struct ks_field team_body[] = {
	{ "name", KS_F_STRING, 1, 1, 60, "unique within the social service" },
	KS_FIELDS_END
};

#define KB	(4 * 1024)

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/teams", "directory.read", 0, NULL, 0, teams_list,
	    "the own social service's teams", NULL },
	{ "GET", "/api/v1/teams/{id}", "directory.read", 0, NULL, 0,
	    team_show, "a team with its users", NULL },
	{ "POST", "/api/v1/admin/teams", "tenant.teams", KB, team_body, 0,
	    team_create, "create a team", NULL },
	{ "PATCH", "/api/v1/admin/teams/{id}", "tenant.teams", KB, team_body,
	    KS_R_ETAG, team_patch, "rename a team: its users, their sessions "
	    "and its dossiers follow (If-Match)", NULL },
	{ "DELETE", "/api/v1/admin/teams/{id}", "tenant.teams", 0, NULL,
	    KS_R_ETAG, team_delete, "remove a team nobody belongs to "
	    "(If-Match)", NULL },
	KS_ROUTES_END
};

void
ks_team_register(void)
{
	ks_router_add(routes, NULL);
}
