/*
 * audit.c - the append-only audit log: events are appended by the SQL
 * function audit_append in the request's transaction; verification
 * recomputes every hash here, with OpenSSL, from the stored columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"

#define BATCH	"5000"

static const char *
digest(struct ks_request *req, json_t *v)
{
	char *s, *out;

	if (v == NULL)
		return NULL;
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s == NULL)
		return NULL;
	out = ks_arena_alloc(req->arena, 65);
	ks_sha256_hex(s, strlen(s), out);
	free(s);
	return out;
}

int
ks_audit(struct ks_request *req, const char *action, const char *otype,
    const char *oid, json_t *before, json_t *after, json_t *detail)
{
	const char *v[8];
	char *d = NULL;
	PGresult *r;

	v[0] = req->who.user_id ? ks_arena_printf(req->arena, "%lld",
	    (long long)req->who.user_id) : NULL;
	v[1] = req->id;
	v[2] = action;
	v[3] = otype;
	v[4] = oid;
	v[5] = digest(req, before);
	v[6] = digest(req, after);
	json_decref(before);
	json_decref(after);
	if (detail != NULL) {
		d = json_dumps(detail, JSON_COMPACT);
		json_decref(detail);
		v[7] = ks_arena_strdup(req->arena, d);
		free(d);
	} else
		v[7] = NULL;
	r = ks_db_q(req, req->read_only ? Q_AUDIT_APPEND_READ : Q_AUDIT_APPEND,
	    8, v);
	return r != NULL ? KS_OK : KS_ERROR;
}

/**
 * The canonical text of an event, as audit_canonical() in SQL builds it.
 * Returns a malloc'd string.
 */
char *
ks_audit_canonical(const char *prev, const char *tenant, const char *seq,
    const char *at_us, const char *actor, const char *action,
    const char *otype, const char *oid, const char *bd, const char *ad,
    const char *detail)
{
	const char *f[11] = { prev, tenant, seq, at_us, actor, action, otype,
	    oid, bd, ad, detail };
	size_t len = 1, i, n;
	char *s, *p;

	for (i = 0; i < 11; i++)
		len += (f[i] ? strlen(f[i]) : 0) + 24;
	if ((p = s = malloc(len)) == NULL)
		return NULL;
	for (i = 0; i < 11; i++) {
		n = f[i] ? strlen(f[i]) : 0;
		p += sprintf(p, "%zu:", n);
		memcpy(p, f[i] ? f[i] : "", n);
		p += n;
		*p++ = '|';
	}
	*p = '\0';
	return s;
}

static int
audit_list(struct ks_request *req)
{
	const char *v[2], *after;
	long long n;
	PGresult *r;
	json_t *items, *e, *d;
	int i;

	/* Newest first: the cursor is the last seq seen, 0 the start. */
	if (ks_page(req, &after, &v[1], &n) != KS_OK)
		return KS_ERROR;
	v[0] = strcmp(after, "0") == 0 ? ks_arena_printf(req->arena, "%lld",
	    (long long)INT64_MAX) : after;
	if ((r = ks_db_q(req, Q_AUDIT_LIST, 2, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		d = ks_db_s(r, i, 7) ? json_loads(ks_db_s(r, i, 7), 0, NULL) :
		    json_null();
		e = json_pack("{s:I,s:s,s:o,s:s?,s:s,s:s,s:s,s:o}",
		    "seq", (json_int_t)ks_db_ll(r, i, 0),
		    "at", PQgetvalue(r, i, 1),
		    "actor_id", PQgetisnull(r, i, 2) ? json_null() :
		    json_integer(ks_db_ll(r, i, 2)),
		    "request_id", ks_db_s(r, i, 3),
		    "action", PQgetvalue(r, i, 4),
		    "object_type", PQgetvalue(r, i, 5),
		    "object_id", PQgetvalue(r, i, 6),
		    "detail", d ? d : json_null());
		json_array_append_new(items, e);
	}
	return ks_reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", PQntuples(r) == n ? json_sprintf("%lld",
	    ks_db_ll(r, PQntuples(r) - 1, 0)) : json_null()));
}

static int
broken(struct ks_request *req, long long seq, const char *reason,
    long long n)
{
	return ks_reply(req, 200, json_pack("{s:b,s:I,s:I,s:s}", "ok", 0,
	    "events", (json_int_t)n, "first_broken_seq", (json_int_t)seq,
	    "reason", reason));
}

static int
audit_verify(struct ks_request *req)
{
	char prev[65], h[65], *canon;
	const char *v[2];
	long long last = 0, n = 0, seq;
	PGresult *r;
	int i;

	memset(prev, '0', 64);
	prev[64] = '\0';
	for (;;) {
		v[0] = ks_arena_printf(req->arena, "%lld", last);
		v[1] = BATCH;
		if ((r = ks_db_q(req, Q_AUDIT_CHAIN, 2, v)) == NULL)
			return KS_ERROR;
		for (i = 0; i < PQntuples(r); i++) {
			seq = ks_db_ll(r, i, 0);
			if (seq != last + 1)
				return broken(req, last + 1, "event missing",
				    n);
			if (strcmp(PQgetvalue(r, i, 1), prev) != 0)
				return broken(req, seq, "link to the previous "
				    "event does not match", n);
			canon = ks_audit_canonical(prev, PQgetvalue(r, i, 3),
			    PQgetvalue(r, i, 0), PQgetvalue(r, i, 4),
			    ks_db_s(r, i, 5), PQgetvalue(r, i, 6),
			    PQgetvalue(r, i, 7), PQgetvalue(r, i, 8),
			    PQgetvalue(r, i, 9), PQgetvalue(r, i, 10),
			    ks_db_s(r, i, 11));
			if (canon == NULL)
				abort();
			ks_sha256_hex(canon, strlen(canon), h);
			free(canon);
			if (strcmp(h, PQgetvalue(r, i, 2)) != 0)
				return broken(req, seq, "event content does "
				    "not match its hash", n);
			memcpy(prev, h, sizeof(prev));
			last = seq;
			n++;
		}
		if (PQntuples(r) < atoi(BATCH))
			break;
	}
	/* The head row catches events cut off the end of the chain. */
	if ((r = ks_db_q(req, Q_AUDIT_HEAD, 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 1 && (ks_db_ll(r, 0, 0) != last ||
	    strcmp(PQgetvalue(r, 0, 1), prev) != 0))
		return broken(req, last + 1, "events after this one are "
		    "missing", n);
	return ks_reply(req, 200, json_pack("{s:b,s:I,s:s}", "ok", 1,
	    "events", (json_int_t)n, "head", prev));
}

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/audit", "audit.read", 0, NULL, KS_R_PAGED, audit_list,
	    "audit events of the own tenant, newest first", NULL },
	{ "GET", "/api/v1/audit/verify", "audit.read", 0, NULL, 0,
	    audit_verify, "recompute the hash chain; names the first broken "
	    "event", NULL },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL }
};

void
ks_audit_register(void)
{
	ks_router_add(routes, NULL);
}
