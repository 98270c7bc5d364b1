/*
 * auth.c - sessions in Redis, API tokens in PostgreSQL, login with
 * throttling, logout and /me.
 *
 * A session is the Redis hash ks:s:<sha256 of the cookie value>; the
 * cookie value itself is never stored. ks:us:<tenant>:<user> lists a
 * user's sessions so they can all be revoked. Idle expiry is the key's
 * TTL (renewed on every request), absolute expiry a field.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <microhttpd.h>

#include "kasus.h"
#include "queries.h"

#define COOKIE	"ks_session"

static char *dummy_hash;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
dummy_init(void)
{
	dummy_hash = ks_password_hash("kasus-no-such-user");
}

static int
store_down(struct ks_request *req)
{
	return ks_fail(req, 503, "session_store_unavailable",
	    "sign-in is not possible right now because the session store "
	    "is not reachable; try again shortly");
}

static const char *
field(struct ks_request *req, redisReply *h, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (strcmp(h->element[i]->str, name) == 0)
			return ks_arena_strdup(req->arena,
			    h->element[i + 1]->str);
	return NULL;
}

static int
auth_token(struct ks_request *req, const char *tok)
{
	char hash[65];
	const char *v[1];
	long long tid;
	PGresult *r;

	if (strncmp(tok, "kst_", 4) != 0 || (tid = strtoll(tok + 4, NULL,
	    10)) <= 0 || strlen(tok) > 200)
		return ks_fail(req, 401, "invalid_token",
		    "the API token is not valid");
	ks_sha256_hex(tok, strlen(tok), hash);
	req->who.tenant_id = tid;
	v[0] = hash;
	if ((r = ks_db_q(req, Q_TOKEN_LOOKUP, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 2), "t") != 0 ||
	    strcmp(PQgetvalue(r, 0, 3), "t") == 0) {
		req->who.tenant_id = 0;
		return ks_fail(req, 401, "invalid_token",
		    "the API token is not valid, has expired or was revoked");
	}
	req->who.user_id = ks_db_ll(r, 0, 4);
	req->who.perms = ks_arena_strdup(req->arena, PQgetvalue(r, 0, 1));
	req->who.roles = "";
	req->who.lang = "de";
	req->who.via_token = 1;
	req->authed = 1;
	return KS_OK;
}

int
ks_auth_request(struct ks_request *req)
{
	const char *authz, *cookie, *fmts[2], *a1[2], *a2[2], *abs;
	char hash[65], *key, idle[16];
	redisReply *rep[2];

	authz = ks_req_header(req, "Authorization");
	if (authz != NULL && strncmp(authz, "Bearer ", 7) == 0)
		return auth_token(req, authz + 7);
	cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND,
	    COOKIE);
	if (cookie == NULL || strlen(cookie) != 64)
		return ks_fail(req, 401, "unauthenticated", "sign in first");
	ks_sha256_hex(cookie, 64, hash);
	key = ks_arena_printf(req->arena, "ks:s:%s", hash);
	snprintf(idle, sizeof(idle), "%d", ks_conf.session_idle);
	fmts[0] = "HGETALL %s";
	fmts[1] = "EXPIRE %s %s";
	a1[0] = a1[1] = key;
	a2[0] = NULL;
	a2[1] = idle;
	if (ks_redis_pipe(2, fmts, a1, a2, rep) != KS_OK)
		return store_down(req);
	ks_redis_free(rep[1]);
	if (rep[0]->type != REDIS_REPLY_ARRAY || rep[0]->elements == 0) {
		ks_redis_free(rep[0]);
		return ks_fail(req, 401, "session_expired",
		    "your session has ended; sign in again");
	}
	req->who.tenant_id = strtoll(field(req, rep[0], "t") ?: "0", NULL, 10);
	req->who.user_id = strtoll(field(req, rep[0], "u") ?: "0", NULL, 10);
	req->who.tenant_slug = field(req, rep[0], "slug");
	req->who.username = field(req, rep[0], "name");
	req->who.lang = field(req, rep[0], "lang");
	req->who.roles = field(req, rep[0], "roles");
	req->who.perms = field(req, rep[0], "perms");
	req->who.csrf = field(req, rep[0], "csrf");
	req->who.team = field(req, rep[0], "team");
	abs = field(req, rep[0], "abs");
	ks_redis_free(rep[0]);
	req->who.session_key = key;
	if (abs == NULL || strtoll(abs, NULL, 10) < (long long)time(NULL) ||
	    req->who.tenant_id <= 0 || req->who.user_id <= 0) {
		ks_redis_free(ks_redis_cmd("DEL %s", key));
		memset(&req->who, 0, sizeof(req->who));
		return ks_fail(req, 401, "session_expired",
		    "your session has ended; sign in again");
	}
	req->authed = 1;
	return KS_OK;
}

int
ks_auth_revoke_user(int64_t tid, int64_t uid)
{
	redisReply *r;
	size_t i;
	char set[64];

	snprintf(set, sizeof(set), "ks:us:%lld:%lld", (long long)tid,
	    (long long)uid);
	if ((r = ks_redis_cmd("SMEMBERS %s", set)) == NULL)
		return KS_ERROR;
	for (i = 0; i < r->elements; i++)
		ks_redis_free(ks_redis_cmd("DEL %s", r->element[i]->str));
	ks_redis_free(r);
	ks_redis_free(ks_redis_cmd("DEL %s", set));
	return KS_OK;
}

static json_t *
csv_array(const char *s)
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

/* Returns the number of failures so far, -1 when Redis is down. */
static int
throttle_count(const char *ku, const char *ki, int *user, int *ip)
{
	redisReply *r = ks_redis_cmd("MGET %s %s", ku, ki);

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		ks_redis_free(r);
		return KS_ERROR;
	}
	*user = r->element[0]->str ? atoi(r->element[0]->str) : 0;
	*ip = r->element[1]->str ? atoi(r->element[1]->str) : 0;
	ks_redis_free(r);
	return KS_OK;
}

static void
throttle_fail(const char *ku, const char *ki)
{
	char w[16];

	snprintf(w, sizeof(w), "%d", ks_conf.login_window);
	ks_redis_free(ks_redis_cmd("INCR %s", ku));
	ks_redis_free(ks_redis_cmd("EXPIRE %s %s", ku, w));
	ks_redis_free(ks_redis_cmd("INCR %s", ki));
	ks_redis_free(ks_redis_cmd("EXPIRE %s %s", ki, w));
}

static int
login_refused(struct ks_request *req, const char *ku, const char *ki,
    const char *uid, const char *username)
{
	throttle_fail(ku, ki);
	if (req->db_tenant != 0) {
		ks_audit(req, "login_failed", "user", uid ? uid : "unknown",
		    NULL, NULL, json_pack("{s:s}", "username", username));
		req->commit_on_error = 1;
	}
	return ks_fail(req, 401, "invalid_credentials",
	    "the tenant, username or password is wrong");
}

static int
session_create(struct ks_request *req, PGresult *t, PGresult *u)
{
	char tok[65], hash[65], csrf[65], *key, *set, *abs, *cookie;
	redisReply *r;
	const char *old;

	if (ks_random_hex(tok, 32) != KS_OK || ks_random_hex(csrf, 32) != KS_OK)
		return ks_fail(req, 500, "internal_error", "no randomness");
	ks_sha256_hex(tok, 64, hash);
	key = ks_arena_printf(req->arena, "ks:s:%s", hash);
	set = ks_arena_printf(req->arena, "ks:us:%s:%s", PQgetvalue(t, 0, 0),
	    PQgetvalue(u, 0, 0));
	abs = ks_arena_printf(req->arena, "%lld", (long long)time(NULL) +
	    ks_conf.session_absolute);
	r = ks_redis_cmd("HSET %s t %s u %s slug %s name %s lang %s roles %s "
	    "perms %s csrf %s abs %s dn %s tn %s team %s", key,
	    PQgetvalue(t, 0, 0),
	    PQgetvalue(u, 0, 0), PQgetvalue(t, 0, 1),
	    ks_body_str(req, "username"), PQgetvalue(u, 0, 3),
	    PQgetvalue(u, 0, 5), PQgetvalue(u, 0, 6), csrf, abs,
	    PQgetvalue(u, 0, 4), PQgetvalue(t, 0, 2), PQgetvalue(u, 0, 7));
	if (r == NULL)
		return store_down(req);
	ks_redis_free(r);
	ks_redis_free(ks_redis_cmd("EXPIRE %s %d", key, ks_conf.session_idle));
	ks_redis_free(ks_redis_cmd("SADD %s %s", set, key));
	ks_redis_free(ks_redis_cmd("EXPIRE %s %d", set,
	    ks_conf.session_absolute));
	/* Survives a failover of the session store (redis_wait_replicas). */
	ks_redis_durable();
	/* Rotation: a session the browser still held is ended. */
	old = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, COOKIE);
	if (old != NULL && strlen(old) == 64) {
		ks_sha256_hex(old, 64, hash);
		ks_redis_free(ks_redis_cmd("DEL ks:s:%s", hash));
	}
	cookie = ks_arena_printf(req->arena, COOKIE "=%s; Path=/; HttpOnly; "
	    "SameSite=Strict%s", tok, ks_conf.behind_tls ? "; Secure" : "");
	ks_header(req, "Set-Cookie", cookie);
	return ks_reply(req, 201, json_pack("{s:s,s:{s:I,s:s,s:s,s:s},"
	    "s:{s:I,s:s,s:s},s:o,s:o}", "csrf_token", csrf,
	    "user", "id", (json_int_t)ks_db_ll(u, 0, 0), "username",
	    ks_body_str(req, "username"), "display_name", PQgetvalue(u, 0, 4),
	    "language", PQgetvalue(u, 0, 3),
	    "tenant", "id", (json_int_t)ks_db_ll(t, 0, 0), "slug",
	    PQgetvalue(t, 0, 1), "name", PQgetvalue(t, 0, 2),
	    "roles", csv_array(PQgetvalue(u, 0, 5)),
	    "permissions", csv_array(PQgetvalue(u, 0, 6))));
}

static int
login(struct ks_request *req)
{
	const char *slug = ks_body_str(req, "tenant");
	const char *name = ks_body_str(req, "username");
	const char *pw = ks_body_str(req, "password");
	const char *ku, *ki, *uid = NULL, *v[1];
	PGresult *t, *u = NULL;
	int nu, ni, ok;
	redisReply *ttl;

	pthread_once(&dummy_once, dummy_init);
	ku = ks_arena_printf(req->arena, "ks:thr:u:%s:%s", slug, name);
	ki = ks_arena_printf(req->arena, "ks:thr:ip:%s", req->peer);
	if (throttle_count(ku, ki, &nu, &ni) != KS_OK)
		return store_down(req);
	if (nu >= ks_conf.login_max_user || ni >= ks_conf.login_max_ip) {
		ttl = ks_redis_cmd("TTL %s", nu >= ks_conf.login_max_user ?
		    ku : ki);
		json_int_t secs = ttl ? (json_int_t)ttl->integer : 0;
		ks_redis_free(ttl);
		return ks_fail_detail(req, 429, "login_locked",
		    "too many failed sign-ins; wait and try again",
		    json_pack("{s:I}", "retry_after_seconds", secs));
	}
	v[0] = slug;
	if ((t = ks_db_q(req, Q_TENANT_BY_SLUG, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(t) == 1 && strcmp(PQgetvalue(t, 0, 5), "t") == 0) {
		if (ks_db_set_tenant(req, ks_db_ll(t, 0, 0)) != KS_OK)
			return KS_ERROR;
		req->who.tenant_id = ks_db_ll(t, 0, 0);
		v[0] = name;
		if ((u = ks_db_q(req, Q_USER_LOGIN, 1, v)) == NULL)
			return KS_ERROR;
		if (PQntuples(u) != 1)
			u = NULL;
	}
	ok = ks_password_verify(pw, u ? PQgetvalue(u, 0, 1) : dummy_hash);
	if (u != NULL)
		uid = PQgetvalue(u, 0, 0);
	if (!ok || u == NULL || strcmp(PQgetvalue(u, 0, 2), "t") != 0)
		return login_refused(req, ku, ki, uid, name);
	ks_redis_free(ks_redis_cmd("DEL %s", ku));
	req->who.user_id = ks_db_ll(u, 0, 0);
	if (session_create(req, t, u) != KS_OK)
		return KS_ERROR;
	return ks_audit(req, "login", "user", uid, NULL, NULL, NULL);
}

static int
logout(struct ks_request *req)
{
	char set[64];

	if (req->who.session_key == NULL)
		return ks_fail(req, 400, "no_session",
		    "API tokens have no session to end");
	snprintf(set, sizeof(set), "ks:us:%lld:%lld",
	    (long long)req->who.tenant_id, (long long)req->who.user_id);
	ks_redis_free(ks_redis_cmd("DEL %s", req->who.session_key));
	ks_redis_free(ks_redis_cmd("SREM %s %s", set, req->who.session_key));
	ks_header(req, "Set-Cookie", COOKIE "=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0");
	if (ks_audit(req, "logout", "user", ks_arena_printf(req->arena,
	    "%lld", (long long)req->who.user_id), NULL, NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

static int
me(struct ks_request *req)
{
	redisReply *r = NULL;
	const char *dn = "", *tn = "";

	if (req->who.session_key != NULL &&
	    (r = ks_redis_cmd("HMGET %s dn tn", req->who.session_key)) != NULL &&
	    r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		if (r->element[0]->str)
			dn = ks_arena_strdup(req->arena, r->element[0]->str);
		if (r->element[1]->str)
			tn = ks_arena_strdup(req->arena, r->element[1]->str);
	}
	ks_redis_free(r);
	return ks_reply(req, 200, json_pack("{s:{s:I,s:s,s:s,s:s},"
	    "s:{s:I,s:s,s:s},s:o,s:o,s:o,s:b}",
	    "user", "id", (json_int_t)req->who.user_id,
	    "username", req->who.username ? req->who.username : "",
	    "display_name", dn, "language", req->who.lang ? req->who.lang : "de",
	    "tenant", "id", (json_int_t)req->who.tenant_id,
	    "slug", req->who.tenant_slug ? req->who.tenant_slug : "",
	    "name", tn,
	    "roles", csv_array(req->who.roles),
	    "permissions", csv_array(req->who.perms),
	    "modules", ks_modules_enabled(req),
	    "via_token", req->who.via_token));
}

static const struct ks_field login_body[] = {
	{ "tenant", KS_F_SLUG, 1, 2, 63, "tenant slug, e.g. thun" },
	{ "username", KS_F_STRING, 1, 1, 64, "username" },
	{ "password", KS_F_STRING, 1, 1, 1024, "password" },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct ks_route routes[] = {
	{ "POST", "/api/v1/session", NULL, 4096, login_body,
	    KS_R_PUBLIC | KS_R_NO_CSRF, login,
	    "sign in; sets the session cookie, returns the CSRF token", NULL },
	{ "DELETE", "/api/v1/session", NULL, 0, NULL, 0, logout,
	    "sign out", NULL },
	{ "GET", "/api/v1/me", NULL, 0, NULL, 0, me,
	    "the signed-in user, tenant, roles, permissions and modules", NULL },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL }
};

void
ks_auth_register(void)
{
	ks_router_add(routes, NULL);
}

void
ks_auth_shutdown(void)
{
	free(dummy_hash);
	dummy_hash = NULL;
}
