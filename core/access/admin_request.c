/*
 * admin_request.c - a second administrator of a social service only
 * with that service's consent.
 *
 * The canton creates the first administrator of a new social service
 * (admin.c, POST .../admins, refused once the service has an active
 * one). After that the canton can only ask: a request names the person
 * and the reason and lands in the service's own tenant, where its
 * administrators see it (Users page) and its audit log records it. An
 * administrator of the service approves it and sets the first password,
 * which the canton never learns and the new administrator changes at
 * the first sign-in, or rejects it. Otherwise a canton administrator
 * could make an administrator with a password of its choosing, who
 * makes a case worker, who reads every dossier.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"


static json_t *
request_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s,s:s,s:s,s:s,s:o,s:s?,"
	    "s:s?,s:o,s:I}", "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "username", ks_db_str(r, i, "username"),
	    "display_name", ks_db_str(r, i, "display_name"),
	    "email", ks_db_get(r, i, "email"),
	    "language", ks_db_str(r, i, "language"),
	    "reason", ks_db_str(r, i, "reason"),
	    "requested_by", ks_db_str(r, i, "requested_by_name"),
	    "requested_at", ks_db_str(r, i, "requested_at"),
	    "status", ks_db_str(r, i, "status"),
	    "decided_by", ks_db_json_int(r, i, "decided_by"),
	    "decided_at", ks_db_get(r, i, "decided_at"),
	    "comment", ks_db_get(r, i, "comment"),
	    "user_id", ks_db_json_int(r, i, "user_id"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"));
}

/* {"items", "next"} of the transaction's tenant's requests. */
static int
list(struct ks_request *req)
{
	const char *v[3], *st = ks_query(req, "status");
	long long n;
	PGresult *r;

	if (ks_page(req, &v[0], &v[1], &n) != KS_OK)
		return KS_ERROR;
	if (st != NULL && strcmp(st, "pending") != 0 &&
	    strcmp(st, "approved") != 0 && strcmp(st, "rejected") != 0)
		return ks_fail_detail(req, 400, "invalid_parameter",
		    "status is pending, approved or rejected",
		    json_pack("{s:s}", "parameter", "status"));
	v[2] = st;
	if ((r = ks_db_q(req, Q_ADMIN_REQUEST_LIST, 3, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", request_json));
}

/* The social service {slug} (not the canton), its tenant switched to. */
static int
service(struct ks_request *req, int64_t *tid)
{
	const char *v[1] = { ks_param(req, "slug") };
	PGresult *t;

	if ((t = ks_db_q(req, Q_TENANT_BY_SLUG, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(t) != 1)
		return ks_fail(req, 404, "not_found", "no such tenant");
	if (strcmp(ks_db_str(t, 0, "kind"), "canton") == 0)
		return ks_fail(req, 400, "invalid_value", "the canton's "
		    "administrators are not requested here");
	*tid = ks_db_getll(t, 0, "id");
	return ks_db_set_tenant(req, *tid);
}

static int
canton_list(struct ks_request *req)
{
	int64_t tid;

	if (service(req, &tid) != KS_OK)
		return KS_ERROR;
	return list(req);
}

static int
request_create(struct ks_request *req)
{
	const char *v[7], *by;
	PGresult *u, *r;
	int64_t tid;

	/* Who asks, by name: the service cannot read the canton's users. */
	v[0] = ks_num(req, req->who.user_id);
	if ((u = ks_db_q(req, Q_USER_GET, 1, v)) == NULL)
		return KS_ERROR;
	by = PQntuples(u) == 1 ? ks_db_str(u, 0, "display_name") :
	    req->who.username;
	if (service(req, &tid) != KS_OK ||
	    (r = ks_db_q(req, Q_TENANT_ADMIN_COUNT, 0, NULL)) == NULL)
		return KS_ERROR;
	if (ks_db_getll(r, 0, "admins") == 0)
		return ks_fail(req, 409, "no_admin", "this social service has "
		    "no administrator to ask; create its first one");
	v[0] = ks_body_str(req, "username");
	if ((r = ks_db_q(req, Q_USER_EXISTS, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) > 0)
		return ks_fail_detail(req, 409, "already_exists", "this "
		    "username is taken in that social service",
		    json_pack("{s:s}", "field", "username"));
	v[1] = ks_body_str(req, "display_name");
	v[2] = ks_body_str(req, "email");
	v[3] = ks_body_str(req, "language");
	v[4] = ks_body_str(req, "reason");
	v[5] = ks_num(req, req->who.user_id);
	v[6] = by ? by : "";
	if ((r = ks_db_q(req, Q_ADMIN_REQUEST_INSERT, 7, v)) == NULL ||
	    ks_audit(req, "admin_requested", "admin_request",
	    ks_db_str(r, 0, "id"), NULL, request_json(r, 0), json_pack(
	    "{s:s,s:s}", "by_tenant", req->who.tenant_slug ?
	    req->who.tenant_slug : "", "requested_by", v[6])) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 201, request_json(r, 0));
}

static int
tenant_list(struct ks_request *req)
{
	return list(req);
}

/* The pending request {id}, locked, its If-Match checked. */
static PGresult *
pending(struct ks_request *req)
{
	PGresult *r;

	if ((r = ks_param_row(req, "id", Q_ADMIN_REQUEST_LOCK,
	    "request")) == NULL)
		return NULL;
	if (ks_check_etag(req, ks_db_getll(r, 0, "version"),
	    request_json(r, 0)) != KS_OK)
		return NULL;
	if (strcmp(ks_db_str(r, 0, "status"), "pending") != 0) {
		ks_fail_detail(req, 409, "invalid_state", "this request is "
		    "decided already", json_pack("{s:o}", "current",
		    request_json(r, 0)));
		return NULL;
	}
	return r;
}

static int
decide(struct ks_request *req, PGresult *b, const char *status,
    int64_t user)
{
	const char *v[6];
	PGresult *r;

	v[0] = ks_db_str(b, 0, "id");
	v[1] = status;
	v[2] = ks_num(req, req->who.user_id);
	v[3] = ks_body_str(req, "comment");
	v[4] = user ? ks_num(req, user) : NULL;
	v[5] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_ADMIN_REQUEST_DECIDE, 6, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "conflict", "the request changed "
		    "meanwhile; reload it");
	if (ks_audit(req, strcmp(status, "approved") == 0 ?
	    "admin_request_approved" : "admin_request_rejected",
	    "admin_request", v[0], request_json(b, 0), request_json(r, 0),
	    NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, request_json(r, 0));
}

static int
approve(struct ks_request *req)
{
	const char *in[6];
	json_t *roles;
	PGresult *b;
	int64_t id;
	int rc;

	if ((b = pending(req)) == NULL)
		return KS_ERROR;
	in[0] = ks_db_str(b, 0, "username");
	in[1] = ks_db_str(b, 0, "display_name");
	in[2] = ks_db_get(b, 0, "email");
	in[3] = ks_db_str(b, 0, "language");
	in[4] = ks_body_str(req, "password");
	in[5] = NULL;
	roles = json_pack("[s]", "tenant_admin");
	rc = ks_admin_user_insert(req, in, roles, &id);
	json_decref(roles);
	if (rc != KS_OK || ks_audit(req, "user_created", "user",
	    ks_num(req, id), NULL, NULL, json_pack("{s:s,s:s}", "roles",
	    "tenant_admin", "admin_request", ks_db_str(b, 0, "id"))) != KS_OK)
		return KS_ERROR;
	return decide(req, b, "approved", id);
}

static int
reject(struct ks_request *req)
{
	PGresult *b;

	if ((b = pending(req)) == NULL)
		return KS_ERROR;
	return decide(req, b, "rejected", 0);
}

static const struct ks_field request_body[] = {
	{ "username", KS_F_STRING, 1, 2, 63, "[a-z0-9._-], free in the "
	    "social service" },
	{ "display_name", KS_F_STRING, 1, 1, 200, NULL },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "reason", KS_F_STRING, 1, 1, 500, "why the service needs another "
	    "administrator (shown to it)" },
	KS_FIELDS_END
};
static const struct ks_field approve_body[] = {
	{ "password", KS_F_STRING, 1, 10, 1024, "the first password; "
	    "changed at the first sign-in" },
	{ "comment", KS_F_STRING, 0, 1, 500, NULL },
	KS_FIELDS_END
};
static const struct ks_field reject_body[] = {
	{ "comment", KS_F_STRING, 0, 1, 500, NULL },
	KS_FIELDS_END
};

#define KB	(16 * 1024)
#define R	"/api/v1/admin/admin-requests"

static const struct ks_route routes[] = {
	{ "POST", "/api/v1/admin/tenants/{slug}/admin-requests",
	    "canton.tenants", KB, request_body, 0, request_create,
	    "ask a social service that has an administrator to approve "
	    "another one", NULL },
	{ "GET", "/api/v1/admin/tenants/{slug}/admin-requests",
	    "canton.tenants", 0, NULL, KS_R_PAGED, canton_list,
	    "a social service's administrator requests and their outcome",
	    NULL },
	{ "GET", R, "tenant.users", 0, NULL, KS_R_PAGED, tenant_list,
	    "the canton's requests for administrators (?status=pending)",
	    NULL },
	{ "POST", R "/{id}/approve", "tenant.users", KB, approve_body,
	    KS_R_ETAG, approve, "approve a request (If-Match): creates the "
	    "administrator with the first password given here", NULL },
	{ "POST", R "/{id}/reject", "tenant.users", KB, reject_body,
	    KS_R_ETAG, reject, "reject a request (If-Match)", NULL },
	KS_ROUTES_END
};

void
ks_admin_request_register(void)
{
	ks_router_add(routes, NULL);
}
