/*
 * admin.c - administration API: the canton admin's tenants and
 * municipalities, the tenant admin's users, roles and API tokens.
 *
 * A canton admin works on another tenant's rows (assigning
 * municipalities, creating its first admin) by switching the
 * transaction's tenant setting to that tenant: row-level security stays
 * the boundary, and the event lands in that tenant's audit chain.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"


int	ks_team_check(struct ks_request *, const char *);	/* team.c */

json_t *
ks_csv_array(const char *s)
{
	json_t *a = json_array();
	const char *e;

	while (s != NULL && *s != '\0') {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
		s = *e ? e + 1 : e;
	}
	return a;
}

static const char *
boolstr(json_t *b)
{
	return b == NULL || json_is_null(b) ? NULL : json_is_true(b) ? "t" : "f";
}

/* ------------------------------------------------------------- tenants */

static json_t *
tenant_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:I,s:s}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"), "slug", ks_db_str(r, i,
	    "slug"),
	    "name", ks_db_str(r, i, "name"), "kind", ks_db_str(r, i, "kind"),
	    "language", ks_db_str(r, i, "language"),
	    "active", strcmp(ks_db_str(r, i, "active"), "t") == 0,
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "created_at", ks_db_str(r, i, "created_at"));
}

static PGresult *
tenant_get(struct ks_request *req)
{
	const char *v[1] = { ks_param(req, "slug") };
	PGresult *r;

	if ((r = ks_db_q(req, Q_TENANT_BY_SLUG, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such tenant");
		return NULL;
	}
	return r;
}

static int
tenants_list(struct ks_request *req)
{
	const char *v[2];
	long long n;
	PGresult *r;

	if (ks_page(req, &v[0], &v[1], &n) != KS_OK ||
	    (r = ks_db_q(req, Q_TENANT_LIST, 2, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", tenant_json));
}

static int
tenant_create(struct ks_request *req)
{
	const char *v[4];
	const char *lang = ks_body_str(req, "language");
	PGresult *r;

	v[0] = ks_num(req, req->who.tenant_id);
	v[1] = ks_body_str(req, "slug");
	v[2] = ks_body_str(req, "name");
	v[3] = lang ? lang : "de";
	if ((r = ks_db_q(req, Q_TENANT_INSERT, 4, v)) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "tenant_created", "tenant", v[1], NULL,
	    tenant_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 201, tenant_json(r, 0));
}

static int
tenant_show(struct ks_request *req)
{
	PGresult *t, *a;
	json_t *j, *ms;

	if ((t = tenant_get(req)) == NULL ||
	    ks_db_set_tenant(req, ks_db_getll(t, 0, "id")) != KS_OK ||
	    (ms = ks_served_municipalities(req)) == NULL)
		return KS_ERROR;
	if ((a = ks_db_q(req, Q_TENANT_ADMIN_COUNT, 0, NULL)) == NULL) {
		json_decref(ms);
		return KS_ERROR;
	}
	j = tenant_json(t, 0);
	json_object_set_new(j, "municipalities", ms);
	/* Whether a new administrator needs the service's consent. */
	json_object_set_new(j, "has_admin", json_boolean(ks_db_getll(a, 0,
	    "admins") >
	    0));
	ks_set_etag(req, ks_db_getll(t, 0, "version"));
	return ks_reply(req, 200, j);
}

/*
 * A tenant switched off ends at once: every session of its users and
 * every API token (for good), recorded in its own audit log; the epoch
 * makes a session read in flight refuse its next request too.
 */
static int
tenant_switched_off(struct ks_request *req, int64_t tid)
{
	PGresult *u, *k;
	int i;

	if (ks_auth_invalidate(req, tid) != KS_OK ||
	    ks_db_set_tenant(req, tid) != KS_OK ||
	    (u = ks_db_q(req, Q_TENANT_USER_IDS, 0, NULL)) == NULL ||
	    (k = ks_db_q(req, Q_TOKENS_REVOKE_ALL, 0, NULL)) == NULL)
		return KS_ERROR;
	for (i = 0; i < PQntuples(u); i++)
		if (ks_auth_revoke_user(tid, ks_db_getll(u, i, "id"), NULL) !=
		    KS_OK)
			return ks_fail(req, 503, "session_store_unavailable",
			    "the session store is not reachable; try again "
			    "shortly");
	return ks_audit(req, "tenant_switched_off", "tenant", ks_num(req, tid),
	    NULL, NULL, json_pack("{s:s,s:i,s:i}", "by_tenant",
	    req->who.tenant_slug ? req->who.tenant_slug : "", "users",
	    PQntuples(u), "tokens_revoked", PQntuples(k)));
}

static int
tenant_patch(struct ks_request *req)
{
	const char *v[5];
	PGresult *t, *r;
	json_t *before;

	if ((t = tenant_get(req)) == NULL)
		return KS_ERROR;
	before = tenant_json(t, 0);
	if (ks_check_etag(req, ks_db_getll(t, 0, "version"),
	    json_incref(before)) != KS_OK) {
		json_decref(before);
		return KS_ERROR;
	}
	if (strcmp(ks_db_str(t, 0, "kind"), "canton") == 0 &&
	    json_is_false(json_object_get(req->body, "active"))) {
		json_decref(before);
		return ks_fail(req, 400, "invalid_value",
		    "the canton's own tenant cannot be switched off");
	}
	v[0] = ks_db_str(t, 0, "slug");
	v[1] = ks_body_str(req, "name");
	v[2] = ks_body_str(req, "language");
	v[3] = boolstr(json_object_get(req->body, "active"));
	v[4] = ks_db_str(t, 0, "version");
	if ((r = ks_db_q(req, Q_TENANT_UPDATE, 5, v)) == NULL) {
		json_decref(before);
		return KS_ERROR;
	}
	if (PQntuples(r) != 1)
		return ks_fail_detail(req, 409, "conflict", "someone else "
		    "changed this record; review it and apply your change "
		    "again", json_pack("{s:o}", "current", before));
	if (ks_audit(req, "tenant_changed", "tenant", v[0], json_incref(before),
	    tenant_json(r, 0), NULL) != KS_OK) {
		json_decref(before);
		return KS_ERROR;
	}
	json_decref(before);
	if (v[3] != NULL && v[3][0] == 'f' &&
	    tenant_switched_off(req, ks_db_getll(t, 0, "id")) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, tenant_json(r, 0));
}

static int
bfs_param(struct ks_request *req, int64_t *bfs)
{
	if (ks_param_id(req, "bfs", bfs) != KS_OK || *bfs > 9999) {
		req->err.code = NULL;
		return ks_fail(req, 404, "not_found", "no such municipality");
	}
	return KS_OK;
}

static int
tenant_muni(struct ks_request *req, int assign)
{
	PGresult *t, *r;
	const char *v[1];
	int64_t bfs;

	if (bfs_param(req, &bfs) != KS_OK || (t = tenant_get(req)) == NULL ||
	    ks_db_set_tenant(req, ks_db_getll(t, 0, "id")) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, bfs);
	if ((r = ks_db_q(req, assign ? Q_TM_ASSIGN : Q_TM_REMOVE, 1, v)) == NULL)
		return KS_ERROR;
	if (!assign && strcmp(PQcmdTuples(r), "0") == 0)
		return ks_fail(req, 404, "not_found",
		    "the tenant does not serve this municipality");
	if (ks_audit(req, assign ? "municipality_assigned" :
	    "municipality_unassigned", "municipality", v[0], NULL, NULL,
	    json_pack("{s:s}", "by_tenant", req->who.tenant_slug ?
	    req->who.tenant_slug : "")) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

static int
tenant_muni_put(struct ks_request *req)
{
	return tenant_muni(req, 1);
}

static int
tenant_muni_delete(struct ks_request *req)
{
	return tenant_muni(req, 0);
}

/* --------------------------------------------------------------- users */

static json_t *
user_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s?,s:s,s:b,s:I,s:o,s:s?}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"), "username", ks_db_str(r,
	    i, "username"),
	    "display_name", ks_db_str(r, i, "display_name"), "email",
	    ks_db_get(r, i, "email"),
	    "language", ks_db_str(r, i, "language"),
	    "active", strcmp(ks_db_str(r, i, "active"), "t") == 0,
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "roles", ks_csv_array(ks_db_str(r, i, "roles")),
	    "team", ks_db_get(r, i, "team"));
}

/* A string field of user_text: "name": then the value or null. */
static int
user_text_str(struct ks_buf *o, const char *key, size_t klen, const char *v)
{
	ks_buf_put(o, key, klen);
	if (v == NULL) {
		KS_BUF_LIT(o, "null");
		return 0;
	}
	return ks_json_put_str(o, v, strlen(v));
}

/*
 * The bytes ks_json_compact(user_json(r, i)) makes, written as text: the
 * answer of GET /api/v1/admin/users/{id}, the bench's authenticated read,
 * without building, dumping and freeing a tree of nine values per
 * request (issue 13). -1 (nothing to use) when a text is not UTF-8:
 * the caller then takes user_json, which refuses it as before.
 */
static int
user_text(struct ks_request *req, PGresult *r, int i)
{
	const char *roles = ks_db_str(r, i, "roles"), *e;
	struct ks_buf o = { NULL, 0, 0 };
	int bad = 0;

	ks_buf_reserve(&o, 256);
	KS_BUF_LIT(&o, "{\"id\":");
	ks_json_put_int(&o, (json_int_t)ks_db_getll(r, i, "id"));
	bad |= user_text_str(&o, ",\"username\":", 12,
	    ks_db_str(r, i, "username"));
	bad |= user_text_str(&o, ",\"display_name\":", 16,
	    ks_db_str(r, i, "display_name"));
	bad |= user_text_str(&o, ",\"email\":", 9, ks_db_get(r, i, "email"));
	bad |= user_text_str(&o, ",\"language\":", 12,
	    ks_db_str(r, i, "language"));
	if (strcmp(ks_db_str(r, i, "active"), "t") == 0)
		KS_BUF_LIT(&o, ",\"active\":true,\"version\":");
	else
		KS_BUF_LIT(&o, ",\"active\":false,\"version\":");
	ks_json_put_int(&o, (json_int_t)ks_db_getll(r, i, "version"));
	KS_BUF_LIT(&o, ",\"roles\":[");
	/* As ks_csv_array splits them. */
	while (*roles != '\0') {
		if ((e = strchr(roles, ',')) == NULL)
			e = roles + strlen(roles);
		if (o.p[o.len - 1] != '[')
			KS_BUF_LIT(&o, ",");
		bad |= ks_json_put_str(&o, roles, (size_t)(e - roles));
		roles = *e ? e + 1 : e;
	}
	KS_BUF_LIT(&o, "]");
	bad |= user_text_str(&o, ",\"team\":", 8, ks_db_get(r, i, "team"));
	KS_BUF_LIT(&o, "}");
	if (bad) {
		free(o.p);
		return -1;
	}
	ks_arena_cleanup(req->arena, free, o.p);
	req->raw = o.p;
	req->raw_len = o.len;
	req->ctype = "application/json";
	req->status = 200;
	return 0;
}

static PGresult *
user_get(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r;

	if ((r = ks_db_q(req, Q_USER_GET, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such user");
		return NULL;
	}
	return r;
}

static int
set_roles(struct ks_request *req, int64_t id, json_t *roles)
{
	const char *v[3];
	PGresult *r;
	json_t *e;
	size_t i;

	v[0] = ks_num(req, id);
	if (ks_db_q(req, Q_USER_ROLES_CLEAR, 1, v) == NULL)
		return KS_ERROR;
	v[2] = "f";
	json_array_foreach(roles, i, e) {
		v[1] = json_string_value(e);
		if ((r = ks_db_q(req, Q_USER_ROLE_ADD, 3, v)) == NULL)
			return KS_ERROR;
		if (strcmp(PQcmdTuples(r), "1") != 0)
			return ks_fail_detail(req, 400, "invalid_value",
			    "this role does not exist or cannot be given "
			    "by a tenant administrator",
			    json_pack("{s:s,s:s}", "field", "roles", "role",
			    v[1]));
	}
	return KS_OK;
}

static int
valid_username(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 63 || !(islower((unsigned char)s[0]) ||
	    isdigit((unsigned char)s[0])))
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return 0;
	return 1;
}

int
ks_admin_user_insert(struct ks_request *req, const char *const in[6],
    json_t *roles, int64_t *id)
{
	const char *v[6];
	char *hash;
	PGresult *r;

	if (!valid_username(in[0]))
		return ks_fail_detail(req, 400, "invalid_value", "a username "
		    "has 2 to 63 lowercase letters, digits, dots, dashes or "
		    "underscores", json_pack("{s:s}", "field", "username"));
	if ((hash = ks_password_hash(in[4])) == NULL)
		return ks_fail(req, 500, "internal_error", "hashing failed");
	memcpy(v, in, sizeof(v));
	v[4] = ks_arena_strdup(req->arena, hash);
	free(hash);
	if (ks_team_check(req, v[5]) != KS_OK ||
	    (r = ks_db_q(req, Q_USER_INSERT, 6, v)) == NULL)
		return KS_ERROR;
	*id = ks_db_getll(r, 0, "id");
	return set_roles(req, *id, roles);
}

static int
user_insert(struct ks_request *req, json_t *roles, int64_t *id)
{
	const char *in[6] = { ks_body_str(req, "username"),
	    ks_body_str(req, "display_name"), ks_body_str(req, "email"),
	    ks_body_str(req, "language"), ks_body_str(req, "password"),
	    ks_body_str(req, "team") };

	return ks_admin_user_insert(req, in, roles, id);
}

static int
user_created(struct ks_request *req, int64_t id)
{
	PGresult *r;

	if ((r = user_get(req, id)) == NULL ||
	    ks_audit(req, "user_created", "user", ks_num(req, id), NULL,
	    user_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 201, user_json(r, 0));
}

static int
tenant_admin_create(struct ks_request *req)
{
	PGresult *t, *a;
	json_t *roles;
	int64_t id;
	int rc;

	if ((t = tenant_get(req)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(t, 0, "kind"), "canton") == 0)
		return ks_fail(req, 400, "invalid_value",
		    "canton administrators are not created here");
	if (ks_db_set_tenant(req, ks_db_getll(t, 0, "id")) != KS_OK ||
	    (a = ks_db_q(req, Q_TENANT_ADMIN_COUNT, 0, NULL)) == NULL)
		return KS_ERROR;
	/*
	 * The first administrator is the canton's job; another one needs
	 * the service's consent (admin requests), or the canton could give
	 * itself a way into every dossier.
	 */
	if (ks_db_getll(a, 0, "admins") > 0)
		return ks_fail(req, 409, "admin_exists", "this social service "
		    "has an administrator; ask it to approve a new one "
		    "(administrator request)");
	roles = json_pack("[s]", "tenant_admin");
	rc = user_insert(req, roles, &id);
	json_decref(roles);
	return rc != KS_OK ? KS_ERROR : user_created(req, id);
}

static int
users_list(struct ks_request *req)
{
	const char *v[2];
	long long n;
	PGresult *r;

	if (ks_page(req, &v[0], &v[1], &n) != KS_OK ||
	    (r = ks_db_q(req, Q_USER_LIST, 2, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", user_json));
}

static int
user_create(struct ks_request *req)
{
	json_t *roles = json_object_get(req->body, "roles");
	int64_t id;
	int rc;

	roles = json_is_array(roles) ? json_incref(roles) : json_array();
	rc = user_insert(req, roles, &id);
	json_decref(roles);
	return rc != KS_OK ? KS_ERROR : user_created(req, id);
}

static int
user_show(struct ks_request *req)
{
	PGresult *r;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    (r = user_get(req, id)) == NULL)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	if (user_text(req, r, 0) == 0)
		return KS_OK;
	return ks_reply(req, 200, user_json(r, 0));
}

/* Load a user and check If-Match; returns the row or NULL. */
static PGresult *
user_for_write(struct ks_request *req, int64_t *id)
{
	PGresult *r;

	if (ks_param_id(req, "id", id) != KS_OK ||
	    (r = user_get(req, *id)) == NULL)
		return NULL;
	if (ks_check_etag(req, ks_db_getll(r, 0, "version"), user_json(r,
	    0)) != KS_OK)
		return NULL;
	return r;
}

static int
user_changed(struct ks_request *req, int64_t id, PGresult *before,
    const char *action)
{
	PGresult *r;

	if ((r = user_get(req, id)) == NULL ||
	    ks_audit(req, action, "user", ks_num(req, id), user_json(before, 0),
	    user_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, user_json(r, 0));
}

static int
stale(struct ks_request *req, int64_t id)
{
	PGresult *r = user_get(req, id);

	return ks_fail_detail(req, 409, "conflict", "someone else changed "
	    "this record; review it and apply your change again",
	    r ? json_pack("{s:o}", "current", user_json(r, 0)) : NULL);
}

static int
user_patch(struct ks_request *req)
{
	const char *v[9];
	PGresult *b, *r;
	json_t *active = json_object_get(req->body, "active");
	int64_t id;

	if ((b = user_for_write(req, &id)) == NULL)
		return KS_ERROR;
	if (id == req->who.user_id && json_is_false(active))
		return ks_fail(req, 400, "invalid_value",
		    "you cannot switch off your own account");
	v[0] = ks_num(req, id);
	v[1] = ks_body_str(req, "display_name");
	v[2] = ks_body_str(req, "email");
	v[3] = ks_body_str(req, "language");
	v[4] = boolstr(active);
	v[5] = ks_db_str(b, 0, "version");
	/* "email": null clears it; leaving the key out keeps it. */
	v[6] = json_object_get(req->body, "email") != NULL ? "t" : "f";
	v[7] = ks_body_str(req, "team");
	v[8] = json_object_get(req->body, "team") != NULL ? "t" : "f";
	if (ks_team_check(req, v[7]) != KS_OK ||
	    (r = ks_db_q(req, Q_USER_UPDATE, 9, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return stale(req, id);
	/* Team and activity are carried by sessions: read again. */
	if ((v[8][0] == 't' || v[4] != NULL) &&
	    ks_auth_invalidate(req, req->who.tenant_id) != KS_OK)
		return KS_ERROR;
	if (json_is_false(active))
		ks_auth_revoke_user(req->who.tenant_id, id, NULL);
	return user_changed(req, id, b, "user_changed");
}

static int
user_roles(struct ks_request *req)
{
	const char *v[2];
	PGresult *b, *r;
	int64_t id;

	if ((b = user_for_write(req, &id)) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_USER_VERSION_BUMP, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return stale(req, id);
	if (set_roles(req, id, json_object_get(req->body, "roles")) != KS_OK)
		return KS_ERROR;
	/* The user's sessions and tokens act with the new roles at once. */
	if (ks_auth_invalidate(req, req->who.tenant_id) != KS_OK)
		return KS_ERROR;
	return user_changed(req, id, b, "user_roles_changed");
}

static int
user_password(struct ks_request *req)
{
	const char *v[2];
	char *hash;
	PGresult *r;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	if ((hash = ks_password_hash(ks_body_str(req, "password"))) == NULL)
		return ks_fail(req, 500, "internal_error", "hashing failed");
	v[0] = ks_num(req, id);
	v[1] = ks_arena_strdup(req->arena, hash);
	free(hash);
	if ((r = ks_db_q(req, Q_USER_PASSWORD, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no such user");
	ks_auth_revoke_user(req->who.tenant_id, id, NULL);
	if (ks_audit(req, "user_password_set", "user", v[0], NULL, NULL,
	    NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

static int
user_sessions_revoke(struct ks_request *req)
{
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK || user_get(req, id) == NULL)
		return KS_ERROR;
	if (ks_auth_revoke_user(req->who.tenant_id, id, NULL) != KS_OK)
		return ks_fail(req, 503, "session_store_unavailable",
		    "the session store is not reachable; try again shortly");
	if (ks_audit(req, "user_sessions_revoked", "user", ks_num(req, id),
	    NULL, NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

/* -------------------------------------------------------- municipalities */

static json_t *
muni_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:I,s:I}", "bfs",
	    (json_int_t)ks_db_getll(r, i, "bfs"), "name", ks_db_str(r, i,
	    "name"),
	    "population", (json_int_t)ks_db_getll(r, i, "population"),
	    "version",
	    (json_int_t)ks_db_getll(r, i, "version"));
}

static int
munis_list(struct ks_request *req)
{
	const char *v[2];
	long long n;
	PGresult *r;

	if (ks_page(req, &v[0], &v[1], &n) != KS_OK ||
	    (r = ks_db_q(req, Q_MUNI_LIST, 2, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "bfs", muni_json));
}

static int
muni_create(struct ks_request *req)
{
	const char *v[4];
	PGresult *r;

	v[0] = ks_num(req, req->who.tenant_id);
	v[1] = ks_num(req, json_integer_value(json_object_get(req->body,
	    "bfs")));
	v[2] = ks_body_str(req, "name");
	v[3] = ks_num(req, json_integer_value(json_object_get(req->body,
	    "population")));
	if ((r = ks_db_q(req, Q_MUNI_INSERT, 4, v)) == NULL ||
	    ks_audit(req, "municipality_created", "municipality", v[1], NULL,
	    muni_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 201, muni_json(r, 0));
}

static PGresult *
muni_get(struct ks_request *req)
{
	const char *v[1];
	PGresult *r;
	int64_t bfs;

	if (bfs_param(req, &bfs) != KS_OK)
		return NULL;
	v[0] = ks_num(req, bfs);
	if ((r = ks_db_q(req, Q_MUNI_GET, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such municipality");
		return NULL;
	}
	return r;
}

static int
muni_show(struct ks_request *req)
{
	PGresult *r;

	if ((r = muni_get(req)) == NULL)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, muni_json(r, 0));
}

static int
muni_patch(struct ks_request *req)
{
	const char *v[4];
	json_t *pop = json_object_get(req->body, "population");
	PGresult *b, *r;

	if ((b = muni_get(req)) == NULL ||
	    ks_check_etag(req, ks_db_getll(b, 0, "version"), muni_json(b,
	    0)) != KS_OK)
		return KS_ERROR;
	v[0] = ks_db_str(b, 0, "bfs");
	v[1] = ks_body_str(req, "name");
	v[2] = json_is_integer(pop) ? ks_num(req, json_integer_value(pop)) :
	    NULL;
	v[3] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_MUNI_UPDATE, 4, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail_detail(req, 409, "conflict", "someone else "
		    "changed this record; review it and apply your change "
		    "again", json_pack("{s:o}", "current", muni_json(b, 0)));
	if (ks_audit(req, "municipality_changed", "municipality", v[0],
	    muni_json(b, 0), muni_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, muni_json(r, 0));
}

/* -------------------------------------------------------------- tokens */

static int
token_create(struct ks_request *req)
{
	json_t *perms = json_object_get(req->body, "permissions"), *e;
	char secret[65], hash[65], *tok, *arr, *p;
	const char *v[5];
	size_t i, len = 3;
	PGresult *r;

	if (json_array_size(perms) == 0)
		return ks_fail_detail(req, 400, "invalid_value",
		    "a token needs at least one permission",
		    json_pack("{s:s}", "field", "permissions"));
	json_array_foreach(perms, i, e)
		len += json_string_length(e) * 2 + 3;
	/* A text[] literal; every element quoted, quotes escaped. */
	p = arr = ks_arena_alloc(req->arena, len);
	*p++ = '{';
	json_array_foreach(perms, i, e) {
		const char *s = json_string_value(e);
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		for (; *s; s++) {
			if (*s == '"' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		*p++ = '"';
	}
	*p++ = '}';
	v[0] = arr;
	if ((r = ks_db_q(req, Q_PERM_KNOWN, 1, v)) == NULL)
		return KS_ERROR;
	if (ks_db_getll(r, 0, "known") != (long long)json_array_size(perms))
		return ks_fail_detail(req, 400, "invalid_value",
		    "a permission is not known", json_pack("{s:s}", "field",
		    "permissions"));
	/*
	 * A token never does more than its creator may: each permission is
	 * one the creator holds now (and token_lookup keeps it so later).
	 */
	json_array_foreach(perms, i, e)
		if (!ks_has_perm(&req->who, json_string_value(e)))
			return ks_fail_detail(req, 403, "forbidden",
			    "you cannot give a token a permission you lack",
			    json_pack("{s:O}", "permission", e));
	if (ks_random_hex(secret, 32) != KS_OK)
		return ks_fail(req, 500, "internal_error", "no randomness");
	tok = ks_arena_printf(req->arena, "kst_%lld_%s",
	    (long long)req->who.tenant_id, secret);
	ks_sha256_hex(tok, strlen(tok), hash);
	v[0] = ks_body_str(req, "name");
	v[1] = hash;
	v[2] = arr;
	v[3] = ks_num(req, req->who.user_id);
	v[4] = ks_num(req, json_integer_value(json_object_get(req->body,
	    "days")));
	if ((r = ks_db_q(req, Q_TOKEN_INSERT, 5, v)) == NULL ||
	    ks_audit(req, "token_created", "api_token", ks_db_str(r, 0, "id"),
	    NULL, NULL, json_pack("{s:O}", "permissions", perms)) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 201, json_pack("{s:I,s:s,s:s,s:O}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "token", tok, "expires_at",
	    ks_db_str(r, 0, "expires_at"), "permissions", perms));
}

static int
tokens_list(struct ks_request *req)
{
	PGresult *r;
	json_t *items;
	int i;

	if ((r = ks_db_q(req, Q_TOKEN_LIST, 0, NULL)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:o,s:s,s:s,"
		    "s:b,s:o}", "id", (json_int_t)ks_db_getll(r, i, "id"),
		    "name",
		    ks_db_str(r, i, "name"), "permissions",
		    ks_csv_array(ks_db_str(r, i, "permissions")), "created_at",
		    ks_db_str(r, i, "created_at"), "expires_at", ks_db_str(r, i,
		    "expires_at"),
		    "revoked", strcmp(ks_db_str(r, i, "revoked"), "t") == 0,
		    "effective_permissions",
		    ks_csv_array(ks_db_str(r, i, "effective_permissions"))));
	return ks_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
	    "next"));
}

static int
token_revoke(struct ks_request *req)
{
	PGresult *r;

	if ((r = ks_param_row(req, "id", Q_TOKEN_REVOKE, "token")) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "token_revoked", "api_token", ks_db_str(r, 0, "id"),
	    NULL, NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

/* -------------------------------------------------------------- tables */

static const struct ks_field tenant_new[] = {
	{ "slug", KS_F_SLUG, 1, 2, 63, "short name used at sign-in" },
	{ "name", KS_F_STRING, 1, 1, 200, "name of the social service" },
	{ "language", KS_F_LANG, 0, 0, 0, "default language" },
	KS_FIELDS_END
};
static const struct ks_field tenant_change[] = {
	{ "name", KS_F_STRING, 0, 1, 200, NULL },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "active", KS_F_BOOL, 0, 0, 0, "false blocks every sign-in" },
	KS_FIELDS_END
};
static const struct ks_field user_new[] = {
	{ "username", KS_F_STRING, 1, 2, 63, "[a-z0-9._-], unique per tenant" },
	{ "display_name", KS_F_STRING, 1, 1, 200, NULL },
	{ "password", KS_F_STRING, 1, 10, 1024, "at least 10 characters" },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	{ "roles", KS_F_STRINGS, 0, 0, 16, "role codes" },
	{ "team", KS_F_STRING, 0, 1, 60, "one of the tenant's teams: the user "
	    "edits this team's dossiers" },
	KS_FIELDS_END
};
static const struct ks_field first_admin[] = {
	{ "username", KS_F_STRING, 1, 2, 63, NULL },
	{ "display_name", KS_F_STRING, 1, 1, 200, NULL },
	{ "password", KS_F_STRING, 1, 10, 1024, NULL },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	KS_FIELDS_END
};
static const struct ks_field user_change[] = {
	{ "display_name", KS_F_STRING, 0, 1, 200, NULL },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	{ "team", KS_F_STRING, 0, 1, 60, "null: no team" },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "active", KS_F_BOOL, 0, 0, 0, NULL },
	KS_FIELDS_END
};
static const struct ks_field roles_body[] = {
	{ "roles", KS_F_STRINGS, 1, 0, 16, "role codes" },
	KS_FIELDS_END
};
static const struct ks_field password_body[] = {
	{ "password", KS_F_STRING, 1, 10, 1024, NULL },
	KS_FIELDS_END
};
static const struct ks_field muni_new[] = {
	{ "bfs", KS_F_INT, 1, 1, 9999, "BFS municipality number" },
	{ "name", KS_F_STRING, 1, 1, 200, NULL },
	{ "population", KS_F_INT, 1, 0, 100000000, NULL },
	KS_FIELDS_END
};
static const struct ks_field muni_change[] = {
	{ "name", KS_F_STRING, 0, 1, 200, NULL },
	{ "population", KS_F_INT, 0, 0, 100000000, NULL },
	KS_FIELDS_END
};
static const struct ks_field token_new[] = {
	{ "name", KS_F_STRING, 1, 1, 200, NULL },
	{ "permissions", KS_F_STRINGS, 1, 0, 64, NULL },
	{ "days", KS_F_INT, 1, 1, 365, "validity in days" },
	KS_FIELDS_END
};

#define T	"/api/v1/admin/tenants"
#define U	"/api/v1/admin/users"
#define M	"/api/v1/admin/municipalities"
#define CT	"canton.tenants"
#define CM	"canton.municipalities"
#define TU	"tenant.users"
#define KB	(16 * 1024)

static const struct ks_route routes[] = {
	{ "GET", T, CT, 0, NULL, KS_R_PAGED, tenants_list, "list tenants",
	    NULL },
	{ "POST", T, CT, KB, tenant_new, 0, tenant_create, "create a tenant",
	    NULL },
	{ "GET", T "/{slug}", CT, 0, NULL, 0, tenant_show,
	    "a tenant with its municipalities", NULL },
	{ "PATCH", T "/{slug}", CT, KB, tenant_change, KS_R_ETAG,
	    tenant_patch, "change a tenant (If-Match)", NULL },
	{ "PUT", T "/{slug}/municipalities/{bfs}", CT, 0, NULL, 0,
	    tenant_muni_put, "the tenant serves this municipality", NULL },
	{ "DELETE", T "/{slug}/municipalities/{bfs}", CT, 0, NULL, 0,
	    tenant_muni_delete, "the tenant no longer serves it", NULL },
	{ "POST", T "/{slug}/admins", CT, KB, first_admin, 0,
	    tenant_admin_create, "create the first administrator of a "
	    "tenant that has none (more need its consent: admin-requests)",
	    NULL },
	{ "GET", M, CM, 0, NULL, KS_R_PAGED, munis_list,
	    "list municipalities", NULL },
	{ "POST", M, CM, KB, muni_new, 0, muni_create,
	    "create a municipality", NULL },
	{ "GET", M "/{bfs}", CM, 0, NULL, 0, muni_show, "a municipality",
	    NULL },
	{ "PATCH", M "/{bfs}", CM, KB, muni_change, KS_R_ETAG, muni_patch,
	    "change a municipality (If-Match)", NULL },
	{ "GET", U, TU, 0, NULL, KS_R_PAGED, users_list,
	    "users of the own tenant", NULL },
	{ "POST", U, TU, KB, user_new, 0, user_create, "create a user", NULL },
	{ "GET", U "/{id}", TU, 0, NULL, KS_R_PARK, user_show, "a user", NULL },
	{ "PATCH", U "/{id}", TU, KB, user_change, KS_R_ETAG, user_patch,
	    "change a user (If-Match)", NULL },
	{ "PUT", U "/{id}/roles", TU, KB, roles_body, KS_R_ETAG, user_roles,
	    "replace a user's roles (If-Match); open sessions and the user's "
	    "tokens act with the new roles from their next request", NULL },
	{ "POST", U "/{id}/password", TU, KB, password_body, 0, user_password,
	    "set a new password; signs the user out", NULL },
	{ "DELETE", U "/{id}/sessions", TU, 0, NULL, 0, user_sessions_revoke,
	    "end every session of a user", NULL },
	{ "GET", "/api/v1/admin/tokens", "tenant.tokens", 0, NULL, 0,
	    tokens_list, "API tokens of the own tenant", NULL },
	{ "POST", "/api/v1/admin/tokens", "tenant.tokens", KB, token_new, 0,
	    token_create, "create an API token (shown once)", NULL },
	{ "DELETE", "/api/v1/admin/tokens/{id}", "tenant.tokens", 0, NULL, 0,
	    token_revoke, "revoke an API token", NULL },
	KS_ROUTES_END
};

void
ks_admin_register(void)
{
	ks_router_add(routes, NULL);
}
