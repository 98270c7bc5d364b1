/*
 * auth.c - sessions in Redis, API tokens in PostgreSQL, login with
 * throttling, logout, /me and the user's own password.
 *
 * A session is the Redis hash ks:s:<sha256 of the cookie value>; the
 * cookie value itself is never stored. ks:us:<tenant>:<user> lists a
 * user's sessions so they can all be revoked. Idle expiry is the key's
 * TTL (renewed on every request), absolute expiry a field.
 *
 * What a session carries of its user (roles, permissions, team, whether
 * the password must be changed) is valid for one epoch of its tenant,
 * ks:ep:<tenant>. An administrator's change to a user or tenant moves
 * the epoch (ks_auth_invalidate) and publishes it on ks:authz; a session
 * whose epoch is behind reads its user again on its next request, and
 * ends when the user or tenant is switched off. The epoch travels with
 * the session lookup in one script, so a request costs one Redis round
 * trip as before, and the database is asked only after a change.
 *
 * Throttling counts every sign-in attempt before its password is
 * checked, per tenant and username (hashed: people type passwords into
 * the username field) and per client address, in one script, so parallel
 * attempts cannot pass the limit; a successful one is taken back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <microhttpd.h>

#include "kasus.h"
#include "queries.h"

#define COOKIE	"ks_session"

/* The session and its tenant's epoch (as field "_ep"); renews the TTL. */
static const char SESSION_GET[] =
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "if #h == 0 then return h end\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
    "local t = '0'\n"
    "for i = 1, #h, 2 do if h[i] == 't' then t = h[i + 1] end end\n"
    "h[#h + 1] = '_ep'\n"
    "h[#h + 1] = redis.call('GET', 'ks:ep:' .. t) or '0'\n"
    "return h\n";

/* KEYS session, user's set; ARGV idle, absolute, old session, fields. */
static const char SESSION_NEW[] =
    "redis.call('HSET', KEYS[1], unpack(ARGV, 4))\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
    "redis.call('SADD', KEYS[2], KEYS[1])\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[2])\n"
    "if ARGV[3] ~= '' and ARGV[3] ~= KEYS[1] then\n"
    "  redis.call('DEL', ARGV[3])\n"
    "  redis.call('SREM', KEYS[2], ARGV[3])\n"
    "end\n"
    "return 1\n";

/* KEYS user's set; ARGV the session to keep ('' none). */
static const char SESSIONS_END[] =
    "local n = 0\n"
    "for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if k ~= ARGV[1] then\n"
    "    redis.call('DEL', k)\n"
    "    redis.call('SREM', KEYS[1], k)\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

/*
 * KEYS user bucket, client bucket; ARGV window, max user, max client.
 * {1, 0}: counted, go on; {0, seconds}: locked for that long.
 */
static const char THROTTLE[] =
    "local lim = { tonumber(ARGV[2]), tonumber(ARGV[3]) }\n"
    "for i = 1, 2 do\n"
    "  if tonumber(redis.call('GET', KEYS[i]) or '0') >= lim[i] then\n"
    "    return { 0, redis.call('TTL', KEYS[i]) }\n"
    "  end\n"
    "end\n"
    "for i = 1, 2 do\n"
    "  if redis.call('INCR', KEYS[i]) == 1 then\n"
    "    redis.call('EXPIRE', KEYS[i], ARGV[1])\n"
    "  end\n"
    "end\n"
    "return { 1, 0 }\n";

/* A good sign-in: the user starts afresh, the client's attempt is void. */
static const char THROTTLE_OK[] =
    "redis.call('DEL', KEYS[1])\n"
    "if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) "
    "end\n"
    "return 1\n";

/* KEYS the tenant's epoch; ARGV the tenant id. */
static const char EPOCH_MOVE[] =
    "local e = redis.call('INCR', KEYS[1])\n"
    "redis.call('PUBLISH', 'ks:authz', ARGV[1])\n"
    "return e\n";

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

static int
ended(struct ks_request *req)
{
	return ks_fail(req, 401, "session_expired",
	    "your session has ended; sign in again");
}

/* A session's fields as key/value pairs (from Redis or the cache). */
struct fields {
	const char	**kv;
	int		  n;
};

/*
 * The fields every authenticated request reads, found in one pass (the
 * first of each name counts): looking each of the thirteen up by a walk
 * of all was about ninety strcmp per request (issue 13).
 */
enum { SF_T, SF_U, SF_SLUG, SF_NAME, SF_LANG, SF_ROLES, SF_PERMS, SF_CSRF,
    SF_TEAM, SF_PWC, SF_ABS, SF_EP, SF_CUR, SF_N };
static const char *const sf_names[SF_N] = { "t", "u", "slug", "name",
    "lang", "roles", "perms", "csrf", "team", "pwc", "abs", "ep", "_ep" };

struct sfields {
	const char	*v[SF_N];
};

static void
session_fields(const struct fields *f, struct sfields *s)
{
	const char *k;
	int i, j;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < f->n; i++) {
		k = f->kv[2 * i];
		for (j = 0; j < SF_N; j++)
			if (k[0] == sf_names[j][0] && strcmp(k, sf_names[j]) == 0)
				break;
		if (j < SF_N && s->v[j] == NULL)
			s->v[j] = f->kv[2 * i + 1];
	}
}

/* The reply of SESSION_GET, copied into the request's arena. */
static void
fields_of(struct ks_request *req, redisReply *h, struct fields *f)
{
	size_t i;

	f->kv = ks_arena_alloc(req->arena, sizeof(*f->kv) * (h->elements + 1));
	f->n = 0;
	for (i = 0; i + 1 < h->elements; i += 2) {
		if (h->element[i]->str == NULL ||
		    h->element[i + 1]->str == NULL)
			continue;
		f->kv[2 * f->n] = ks_arena_strdup(req->arena,
		    h->element[i]->str);
		f->kv[2 * f->n + 1] = ks_arena_strdup(req->arena,
		    h->element[i + 1]->str);
		f->n++;
	}
}

static const char *
user_set(struct ks_request *req, int64_t tid, int64_t uid)
{
	return ks_arena_printf(req->arena, "ks:us:%lld:%lld", (long long)tid,
	    (long long)uid);
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
	/* Expired, revoked, or its creator or tenant switched off. */
	if (PQntuples(r) != 1 || strcmp(ks_db_str(r, 0, "valid"), "t") != 0 ||
	    strcmp(ks_db_str(r, 0, "revoked"), "t") == 0 ||
	    strcmp(ks_db_str(r, 0, "active"), "t") != 0) {
		req->who.tenant_id = 0;
		return ks_fail(req, 401, "invalid_token",
		    "the API token is not valid, has expired or was revoked");
	}
	req->who.user_id = ks_db_getll(r, 0, "created_by");
	req->who.perms = ks_arena_strdup(req->arena, ks_db_str(r, 0, "perms"));
	req->who.team = ks_arena_strdup(req->arena, ks_db_str(r, 0, "team"));
	req->who.roles = "";
	req->who.lang = "de";
	req->who.via_token = 1;
	req->authed = 1;
	return KS_OK;
}

/* End one session (user switched off, tenant switched off). */
static void
session_end(struct ks_request *req, const char *key)
{
	const char *set = user_set(req, req->who.tenant_id, req->who.user_id);

	ks_redis_free(ks_redis_cmd("DEL %s", key));
	ks_redis_free(ks_redis_cmd("SREM %s %s", set, key));
	ks_redis_barrier();
}

/*
 * The tenant's epoch moved since the session last read its user: read
 * the user again, end the session when user or tenant is switched off,
 * else store what changed with the new epoch.
 */
static int
session_refresh(struct ks_request *req, const char *key, const char *ep)
{
	const char *v[1] = { req->who.username ? req->who.username : "" };
	PGresult *r;
	redisReply *w;

	if ((r = ks_db_q(req, Q_USER_LOGIN, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1 || ks_db_getll(r, 0, "id") != req->who.user_id ||
	    strcmp(ks_db_str(r, 0, "active"), "t") != 0 ||
	    strcmp(ks_db_str(r, 0, "tenant_active"), "t") != 0) {
		session_end(req, key);
		memset(&req->who, 0, sizeof(req->who));
		return ended(req);
	}
	req->who.roles = ks_arena_strdup(req->arena, ks_db_str(r, 0, "roles"));
	req->who.perms = ks_arena_strdup(req->arena, ks_db_str(r, 0, "perms"));
	req->who.team = ks_arena_strdup(req->arena, ks_db_str(r, 0, "team"));
	req->who.must_change = strcmp(ks_db_str(r, 0, "must_change_password"),
	    "t") == 0;
	w = ks_redis_cmd("HSET %s roles %s perms %s team %s pwc %s ep %s", key,
	    req->who.roles, req->who.perms, req->who.team,
	    req->who.must_change ? "1" : "0", ep);
	if (w == NULL)
		return store_down(req);
	ks_redis_free(w);
	return KS_OK;
}

/*
 * The session's key in Redis and in the worker's cache: "ks:s:" and the
 * SHA-256 of the cookie. A connection remembers its last cookie's hash:
 * a browser or a proxy sends the same cookie on one connection request
 * after request, and the hash was a tenth of kasusd's own work on an
 * authenticated read (issue 13). The cookie is compared in constant
 * time: a proxy may carry other clients' requests on the connection.
 */
static char *
session_key(struct ks_request *req, const char *cookie)
{
	struct ks_conn_memo *m = req->memo;
	char *key = ks_arena_alloc(req->arena, 5 + 64 + 1);

	/* "ks:s:" and the hash, without printf (every request; issue 13). */
	memcpy(key, "ks:s:", 5);
	if (m != NULL && m->cookie_set &&
	    ks_equal_ct(m->cookie, cookie, sizeof(m->cookie))) {
		memcpy(key + 5, m->cookie_hash, 65);
		return key;
	}
	ks_sha256_hex(cookie, 64, key + 5);
	if (m != NULL) {
		memcpy(m->cookie, cookie, sizeof(m->cookie));
		memcpy(m->cookie_hash, key + 5, 65);
		m->cookie_set = 1;
	}
	return key;
}

int
ks_auth_request(struct ks_request *req)
{
	const char *authz, *cookie, *abs, *ep, *cur, *args[2];
	char *key, idle[16];
	struct fields f;
	struct sfields s;
	redisReply *h;
	uint64_t gen;
	int cached;

	authz = ks_req_header(req, "Authorization");
	if (authz != NULL && strncmp(authz, "Bearer ", 7) == 0)
		return auth_token(req, authz + 7);
	cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND,
	    COOKIE);
	if (cookie == NULL || strlen(cookie) != 64)
		return ks_fail(req, 401, "unauthenticated", "sign in first");
	key = session_key(req, cookie);
	/* The worker's cache first (session_cache.c), then Redis. */
	gen = ks_session_cache_gen();
	cached = ks_session_cache_get(gen, req->arena, key, &f.kv, &f.n);
	if (!cached) {
		snprintf(idle, sizeof(idle), "%d", ks_conf.session_idle);
		args[0] = key;
		args[1] = idle;
		if ((h = ks_redis_eval(SESSION_GET, 1, 2, args)) == NULL)
			return store_down(req);
		if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
			ks_redis_free(h);
			return ended(req);
		}
		fields_of(req, h, &f);
		ks_redis_free(h);
	}
	session_fields(&f, &s);
	req->who.tenant_id = strtoll(s.v[SF_T] ?: "0", NULL, 10);
	req->who.user_id = strtoll(s.v[SF_U] ?: "0", NULL, 10);
	req->who.tenant_slug = s.v[SF_SLUG];
	req->who.username = s.v[SF_NAME];
	req->who.lang = s.v[SF_LANG];
	req->who.roles = s.v[SF_ROLES];
	req->who.perms = s.v[SF_PERMS];
	req->who.csrf = s.v[SF_CSRF];
	req->who.team = s.v[SF_TEAM];
	req->who.must_change = (s.v[SF_PWC] ?: "0")[0] == '1';
	abs = s.v[SF_ABS];
	ep = s.v[SF_EP];
	cur = s.v[SF_CUR];
	req->who.session_key = key;
	if (abs == NULL || strtoll(abs, NULL, 10) < (long long)time(NULL) ||
	    req->who.tenant_id <= 0 || req->who.user_id <= 0) {
		ks_redis_free(ks_redis_cmd("DEL %s", key));
		ks_redis_barrier();
		memset(&req->who, 0, sizeof(req->who));
		return ended(req);
	}
	if (cur != NULL && (ep == NULL || strcmp(ep, cur) != 0)) {
		if (session_refresh(req, key, cur) != KS_OK)
			return KS_ERROR;
	} else if (!cached)
		ks_session_cache_put(key, gen, req->who.tenant_id,
		    strtoll(abs, NULL, 10), f.kv, f.n);
	req->authed = 1;
	return KS_OK;
}

int
ks_auth_revoke_user(int64_t tid, int64_t uid, const char *keep)
{
	char set[64];
	const char *args[2];
	redisReply *r;

	snprintf(set, sizeof(set), "ks:us:%lld:%lld", (long long)tid,
	    (long long)uid);
	args[0] = set;
	args[1] = keep ? keep : "";
	if ((r = ks_redis_eval(SESSIONS_END, 1, 2, args)) == NULL)
		return KS_ERROR;
	ks_redis_free(r);
	return ks_redis_barrier();
}

static int
epoch_move(int64_t tid)
{
	char key[48], t[24];
	const char *args[2] = { key, t };
	redisReply *r;

	snprintf(key, sizeof(key), "ks:ep:%lld", (long long)tid);
	snprintf(t, sizeof(t), "%lld", (long long)tid);
	if ((r = ks_redis_eval(EPOCH_MOVE, 1, 2, args)) == NULL)
		return KS_ERROR;
	ks_redis_free(r);
	return ks_redis_barrier();
}

static void
epoch_after(struct ks_request *req, void *arg)
{
	if (epoch_move(*(int64_t *)arg) != KS_OK)
		ks_log(KS_LOG_ERROR, "rid=%s tenant epoch not moved after a "
		    "change; sessions of tenant %lld keep what they had",
		    req->id, (long long)*(int64_t *)arg);
}

int
ks_auth_invalidate(struct ks_request *req, int64_t tid)
{
	int64_t *arg;

	/*
	 * Now, so that the change cannot commit while the store is away;
	 * and after the commit, so that a session that read its user between
	 * the two reads it again.
	 */
	if (epoch_move(tid) != KS_OK)
		return ks_fail(req, 503, "session_store_unavailable",
		    "the session store is not reachable; try again shortly");
	arg = ks_arena_alloc(req->arena, sizeof(*arg));
	*arg = tid;
	ks_after_commit(req, epoch_after, arg);
	return KS_OK;
}

/* The throttle's bucket of a tenant and username: hashed, never stored. */
static const char *
user_bucket(struct ks_request *req, const char *slug, const char *name)
{
	char hash[65], *s = ks_arena_printf(req->arena, "%s\n%s", slug, name);

	ks_sha256_hex(s, strlen(s), hash);
	return ks_arena_printf(req->arena, "ks:thr:u:%s", hash);
}

/* Count the attempt; KS_OK to go on, else 429 (or 503). */
static int
throttle(struct ks_request *req, const char *ku, const char *ki)
{
	char w[16], mu[16], mi[16];
	const char *args[5] = { ku, ki, w, mu, mi };
	redisReply *r;
	json_int_t secs;
	int go;

	snprintf(w, sizeof(w), "%d", ks_conf.login_window);
	snprintf(mu, sizeof(mu), "%d", ks_conf.login_max_user);
	snprintf(mi, sizeof(mi), "%d", ks_conf.login_max_ip);
	if ((r = ks_redis_eval(THROTTLE, 2, 5, args)) == NULL)
		return store_down(req);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		ks_redis_free(r);
		return store_down(req);
	}
	go = r->element[0]->integer == 1;
	secs = (json_int_t)r->element[1]->integer;
	ks_redis_free(r);
	if (go)
		return KS_OK;
	return ks_fail_detail(req, 429, "login_locked",
	    "too many failed sign-ins; wait and try again",
	    json_pack("{s:I}", "retry_after_seconds", secs > 0 ? secs : 1));
}

static void
throttle_ok(const char *ku, const char *ki)
{
	const char *args[2] = { ku, ki };

	ks_redis_free(ks_redis_eval(THROTTLE_OK, 2, 2, args));
}

static int
login_refused(struct ks_request *req, const char *uid)
{
	if (req->db_tenant != 0) {
		/*
		 * Never the name typed: a password typed into the username
		 * field would stay in the audit log. A known user is named
		 * by the event's object id.
		 */
		ks_audit(req, "login_failed", "user", uid ? uid : "unknown",
		    NULL, NULL, uid ? NULL : json_pack("{s:s}", "username",
		    "unknown"));
		req->commit_on_error = 1;
	}
	return ks_fail(req, 401, "invalid_credentials",
	    "the tenant, username or password is wrong");
}

static int
session_create(struct ks_request *req, PGresult *t, PGresult *u,
    const char *ep)
{
	char tok[65], hash[65], csrf[65], *key, *cookie;
	const char *old, *oldkey = "", *a[40];
	char idle[16], absl[16], absv[24];
	redisReply *r;
	int n = 0, change = strcmp(ks_db_str(u, 0, "must_change_password"),
	    "t") == 0;

	if (ks_random_hex(tok, 32) != KS_OK || ks_random_hex(csrf, 32) != KS_OK)
		return ks_fail(req, 500, "internal_error", "no randomness");
	ks_sha256_hex(tok, 64, hash);
	key = ks_arena_printf(req->arena, "ks:s:%s", hash);
	/* Rotation: a session the browser still held is ended. */
	old = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, COOKIE);
	if (old != NULL && strlen(old) == 64) {
		ks_sha256_hex(old, 64, hash);
		oldkey = ks_arena_printf(req->arena, "ks:s:%s", hash);
	}
	snprintf(idle, sizeof(idle), "%d", ks_conf.session_idle);
	snprintf(absl, sizeof(absl), "%d", ks_conf.session_absolute);
	snprintf(absv, sizeof(absv), "%lld", (long long)time(NULL) +
	    ks_conf.session_absolute);
	a[n++] = key;
	a[n++] = user_set(req, ks_db_getll(t, 0, "id"), ks_db_getll(u, 0,
	    "id"));
	a[n++] = idle;
	a[n++] = absl;
	a[n++] = oldkey;
#define F(k, v)	do { a[n++] = (k); a[n++] = (v); } while (0)
	F("t", ks_db_str(t, 0, "id"));
	F("u", ks_db_str(u, 0, "id"));
	F("slug", ks_db_str(t, 0, "slug"));
	F("name", ks_body_str(req, "username"));
	F("lang", ks_db_str(u, 0, "language"));
	F("roles", ks_db_str(u, 0, "roles"));
	F("perms", ks_db_str(u, 0, "perms"));
	F("csrf", csrf);
	F("abs", absv);
	F("dn", ks_db_str(u, 0, "display_name"));
	F("tn", ks_db_str(t, 0, "name"));
	F("team", ks_db_str(u, 0, "team"));
	F("pwc", change ? "1" : "0");
	F("ep", ep);
#undef F
	if ((r = ks_redis_eval(SESSION_NEW, 2, n, a)) == NULL)
		return store_down(req);
	ks_redis_free(r);
	/* Survives a failover of the session store (redis_wait_replicas). */
	ks_redis_durable();
	cookie = ks_arena_printf(req->arena, COOKIE "=%s; Path=/; HttpOnly; "
	    "SameSite=Strict%s", tok, ks_conf.behind_tls ? "; Secure" : "");
	ks_header(req, "Set-Cookie", cookie);
	return ks_reply(req, 201, json_pack("{s:s,s:{s:I,s:s,s:s,s:s},"
	    "s:{s:I,s:s,s:s},s:o,s:o,s:b}", "csrf_token", csrf,
	    "user", "id", (json_int_t)ks_db_getll(u, 0, "id"), "username",
	    ks_body_str(req, "username"), "display_name",
	    ks_db_str(u, 0, "display_name"), "language", ks_db_str(u, 0,
	    "language"),
	    "tenant", "id", (json_int_t)ks_db_getll(t, 0, "id"), "slug",
	    ks_db_str(t, 0, "slug"), "name", ks_db_str(t, 0, "name"),
	    "roles", ks_csv_array(ks_db_str(u, 0, "roles")),
	    "permissions", ks_csv_array(ks_db_str(u, 0, "perms")),
	    "must_change_password", change));
}

/* The tenant's epoch before its user is read (see the file's comment). */
static int
epoch_get(struct ks_request *req, int64_t tid, const char **ep)
{
	redisReply *r = ks_redis_cmd("GET ks:ep:%lld", (long long)tid);

	if (r == NULL)
		return store_down(req);
	*ep = ks_arena_strdup(req->arena, r->type == REDIS_REPLY_STRING ?
	    r->str : "0");
	ks_redis_free(r);
	return KS_OK;
}

static int
login(struct ks_request *req)
{
	const char *slug = ks_body_str(req, "tenant");
	const char *name = ks_body_str(req, "username");
	const char *pw = ks_body_str(req, "password");
	const char *ku, *ki, *uid = NULL, *v[1], *ep = "0";
	PGresult *t, *u = NULL;
	int ok;

	pthread_once(&dummy_once, dummy_init);
	ku = user_bucket(req, slug, name);
	ki = ks_arena_printf(req->arena, "ks:thr:ip:%s", req->client);
	if (throttle(req, ku, ki) != KS_OK)
		return KS_ERROR;
	v[0] = slug;
	if ((t = ks_db_q(req, Q_TENANT_BY_SLUG, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(t) == 1 && strcmp(ks_db_str(t, 0, "active"), "t") == 0) {
		if (ks_db_set_tenant(req, ks_db_getll(t, 0, "id")) != KS_OK ||
		    epoch_get(req, ks_db_getll(t, 0, "id"), &ep) != KS_OK)
			return KS_ERROR;
		req->who.tenant_id = ks_db_getll(t, 0, "id");
		v[0] = name;
		if ((u = ks_db_q(req, Q_USER_LOGIN, 1, v)) == NULL)
			return KS_ERROR;
		if (PQntuples(u) != 1)
			u = NULL;
	}
	ok = ks_password_verify(pw, u ? ks_db_str(u, 0,
	    "password_hash") : dummy_hash);
	if (u != NULL)
		uid = ks_db_str(u, 0, "id");
	if (!ok || u == NULL || strcmp(ks_db_str(u, 0, "active"), "t") != 0)
		return login_refused(req, uid);
	throttle_ok(ku, ki);
	req->who.user_id = ks_db_getll(u, 0, "id");
	if (session_create(req, t, u, ep) != KS_OK)
		return KS_ERROR;
	return ks_audit(req, "login", "user", uid, NULL, NULL, NULL);
}

static int
logout(struct ks_request *req)
{
	const char *set;

	if (req->who.session_key == NULL)
		return ks_fail(req, 400, "no_session",
		    "API tokens have no session to end");
	set = user_set(req, req->who.tenant_id, req->who.user_id);
	ks_redis_free(ks_redis_cmd("DEL %s", req->who.session_key));
	ks_redis_free(ks_redis_cmd("SREM %s %s", set, req->who.session_key));
	ks_redis_barrier();
	ks_header(req, "Set-Cookie", COOKIE "=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0");
	if (ks_audit(req, "logout", "user", ks_arena_printf(req->arena,
	    "%lld", (long long)req->who.user_id), NULL, NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

/*
 * The session's CSRF token goes to the application's own pages only, so
 * that a second tab of the same browser can write: a page of another
 * site cannot read this answer anyway (no CORS), and browsers say in
 * Sec-Fetch-Site where a request comes from.
 */
static const char *
csrf_for(struct ks_request *req)
{
	const char *site = ks_req_header(req, "Sec-Fetch-Site");

	if (req->who.session_key == NULL || req->who.csrf == NULL)
		return NULL;
	if (site != NULL && strcasecmp(site, "same-origin") != 0 &&
	    strcasecmp(site, "none") != 0)
		return NULL;
	return req->who.csrf;
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
	    "s:{s:I,s:s,s:s},s:o,s:o,s:o,s:b,s:b,s:s?}",
	    "user", "id", (json_int_t)req->who.user_id,
	    "username", req->who.username ? req->who.username : "",
	    "display_name", dn, "language", req->who.lang ? req->who.lang : "de",
	    "tenant", "id", (json_int_t)req->who.tenant_id,
	    "slug", req->who.tenant_slug ? req->who.tenant_slug : "",
	    "name", tn,
	    "roles", ks_csv_array(req->who.roles),
	    "permissions", ks_csv_array(req->who.perms),
	    "modules", ks_modules_enabled(req),
	    "via_token", req->who.via_token,
	    "must_change_password", req->who.must_change,
	    "csrf_token", csrf_for(req)));
}

/* The password rule beyond its length (checked by the field list). */
static int
password_rule(struct ks_request *req, const char *pw, const char *cur,
    const char *username)
{
	const char *rule = NULL;

	if (strcmp(pw, cur) == 0)
		rule = "same_as_current";
	else if (username != NULL && *username != '\0' &&
	    strcasestr(pw, username) != NULL)
		rule = "contains_username";
	if (rule == NULL)
		return KS_OK;
	return ks_fail_detail(req, 400, "password_policy", "the new password "
	    "must differ from the current one and must not contain the "
	    "username", json_pack("{s:s,s:s}", "field", "new_password",
	    "rule", rule));
}

/*
 * The user's own password: the current one is checked (and counted
 * like a sign-in, so a session cannot be used to guess it), the new one
 * replaces it, every other session of the user ends and this one may
 * work again if it had to change the password first.
 */
static int
password_change(struct ks_request *req)
{
	const char *cur = ks_body_str(req, "current_password");
	const char *pw = ks_body_str(req, "new_password");
	const char *v[3], *ku, *ki;
	char *hash;
	PGresult *r;
	redisReply *w;

	if (req->who.session_key == NULL)
		return ks_fail(req, 400, "no_session",
		    "an API token has no password to change");
	ku = user_bucket(req, req->who.tenant_slug ? req->who.tenant_slug : "",
	    req->who.username ? req->who.username : "");
	ki = ks_arena_printf(req->arena, "ks:thr:ip:%s", req->client);
	if (throttle(req, ku, ki) != KS_OK)
		return KS_ERROR;
	v[0] = ks_arena_printf(req->arena, "%lld", (long long)req->who.user_id);
	if ((r = ks_db_q(req, Q_USER_PASSWORD_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ended(req);
	if (!ks_password_verify(cur, ks_db_str(r, 0, "password_hash"))) {
		/* Recorded like a failed sign-in, the rest rolled back. */
		req->commit_on_error = ks_audit(req, "password_change_failed",
		    "user", v[0], NULL, NULL, NULL) == KS_OK;
		return ks_fail_detail(req, 403, "wrong_password", "the current "
		    "password is not right", json_pack("{s:s}", "field",
		    "current_password"));
	}
	throttle_ok(ku, ki);
	if (password_rule(req, pw, cur, ks_db_str(r, 0, "username")) != KS_OK)
		return KS_ERROR;
	if ((hash = ks_password_hash(pw)) == NULL)
		return ks_fail(req, 500, "internal_error", "hashing failed");
	v[1] = ks_arena_strdup(req->arena, hash);
	free(hash);
	v[2] = ks_db_str(r, 0, "password_hash");
	if ((r = ks_db_q(req, Q_USER_PASSWORD_OWN, 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "conflict", "the password was changed "
		    "meanwhile; sign in again");
	if (ks_auth_revoke_user(req->who.tenant_id, req->who.user_id,
	    req->who.session_key) != KS_OK ||
	    (w = ks_redis_cmd("HSET %s pwc 0", req->who.session_key)) == NULL)
		return store_down(req);
	ks_redis_free(w);
	ks_redis_barrier();
	if (ks_audit(req, "password_changed", "user", v[0], NULL, NULL,
	    json_pack("{s:b}", "was_required", req->who.must_change)) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

static const struct ks_field login_body[] = {
	{ "tenant", KS_F_SLUG, 1, 2, 63, "tenant slug, e.g. thun" },
	{ "username", KS_F_STRING, 1, 1, 64, "username" },
	{ "password", KS_F_STRING, 1, 1, 1024, "password" },
	KS_FIELDS_END
};

static const struct ks_field password_body[] = {
	{ "current_password", KS_F_STRING, 1, 1, 1024, NULL },
	{ "new_password", KS_F_STRING, 1, 10, 1024, "at least 10 characters, "
	    "not the current one, without the username" },
	KS_FIELDS_END
};

static const struct ks_route routes[] = {
	{ "POST", "/api/v1/session", NULL, 4096, login_body,
	    KS_R_PUBLIC | KS_R_NO_CSRF, login,
	    "sign in; sets the session cookie, returns the CSRF token", NULL },
	{ "DELETE", "/api/v1/session", NULL, 0, NULL, KS_R_PW_CHANGE, logout,
	    "sign out", NULL },
	{ "GET", "/api/v1/me", NULL, 0, NULL, KS_R_PW_CHANGE, me,
	    "the signed-in user, tenant, roles, permissions and modules; "
	    "the session's CSRF token for the application's own pages", NULL },
	{ "POST", "/api/v1/me/password", NULL, 4096, password_body,
	    KS_R_PW_CHANGE, password_change, "change the own password; "
	    "ends the user's other sessions", NULL },
	KS_ROUTES_END
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
