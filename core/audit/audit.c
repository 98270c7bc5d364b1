/*
 * audit.c - the audit log: changes in a per-tenant hash chain, reads of
 * personal data beside it, both written in the request's transaction.
 *
 * A handler calls ks_audit(); the event is queued on the request with the
 * tenant the request works on at that moment, and written when the
 * transaction commits (ks_db_finish calls ks_audit_flush):
 *
 * - a change (any writing request) is appended to the tenant's chain by
 *   the SQL function audit_append, under the chain head's row lock;
 * - a read (GET, or a POST flagged KS_R_READ) goes to audit_read, without
 *   any lock, and commits synchronously in the same round trip as its
 *   insert, before the answer leaves. A route flagged KS_R_AUDIT gets a
 *   read record even when its handler records none.
 *
 * Every event lists the persons, households, dossiers and documents it
 * concerns (refs): from the object, the path (cases/{id}, persons/{id},
 * households/{id}, documents/{id}), the details and the answer
 * (person_id, dossier_id, household_id, applicant_id, document_id, and
 * the ids of a list of such records); the database expands a dossier to
 * its household and members and keeps only ids of the tenant's records.
 *
 * Reads and changes are sealed into a keyed chain by core/audit/audit_seal.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"

#define MAX_REFS	1000
#define SCAN_DEPTH	6

struct refs {
	long long	 v[MAX_REFS];
	int		 n;
};

struct event {
	int		 read;
	int64_t		 tenant;
	const char	*action;
	const char	*otype;
	const char	*oid;
	const char	*bd;
	const char	*ad;
	json_t		*detail;
	long long	*refs;		/* nrefs ids, as many as found */
	int		 nrefs;
	struct event	*next;
};

/*
 * The queued events and what writing them needs live in the state's own
 * arena (mem), freed once they are written: a job that commits between
 * items keeps the events of one commit, not of all (issue 13: the review
 * reminders of 20,000 dossiers kept 8 KB per event until the job ended).
 */
struct state {
	struct event	*head;
	struct event	**tail;
	struct ks_arena	*mem;		/* the events', until written */
	int		 nreads;
	int		 done;
	long long	*rr;		/* refs of the request itself */
	int		 nrr;
	int		 deferred;	/* reads wait for the writer */
	int		 wait;		/* 1 with the writer, 2 back */
	int		 ok;		/* the writer committed them */
	int		 via_writer;	/* counted in the writer's waiting */
	int		 routed;	/* the route's own read is recorded */
	long long	*ans;		/* ids of an answer written as text */
	int		 nans;
	void		(*resume)(struct ks_request *);
};

/* Path segments whose {id} names a record the refs take as it is. */
static const char *const subject_segments[] = { "cases", "persons",
    "households", "documents", NULL };
static const char *const subject_keys[] = { "person_id", "dossier_id",
    "household_id", "applicant_id", "document_id", NULL };
static const char *const subject_types[] = { "dossier", "person",
    "household", "document", NULL };

/*
 * A path segment as the kind of record it lists: the singular of the
 * segment ("payment-runs" a payment_run, "bank-entries" a bank_entry), so
 * that a module's routes name their records without the core knowing
 * them. Only two segments of the core's own say something else.
 */
static const struct {
	const char	*segment;
	const char	*type;
} types[] = {
	{ "cases", "dossier" }, { "reads", "audit" }, { NULL, NULL }
};

static int
in_list(const char *s, const char *const *l)
{
	for (; *l != NULL; l++)
		if (strcmp(s, *l) == 0)
			return 1;
	return 0;
}

static void
ref_add(struct refs *r, long long v)
{
	int i;

	if (v <= 0 || r->n == MAX_REFS)
		return;
	for (i = 0; i < r->n; i++)
		if (r->v[i] == v)
			return;
	r->v[r->n++] = v;
}

/* s as an id (a positive decimal and nothing else), or 0. */
static long long
id_of(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '1' || *s > '9')
		return 0;
	v = strtoll(s, &end, 10);
	return *end == '\0' ? v : 0;
}

static void
ref_text(struct refs *r, const char *s)
{
	ref_add(r, id_of(s));
}

/*
 * Ids of subjects in a JSON value: the subject keys anywhere, and "id"
 * where ids_here says the object is a subject itself.
 */
static void
scan(json_t *j, int depth, int ids_here, struct refs *r)
{
	const char *k;
	json_t *v;
	size_t i;

	if (j == NULL || depth > SCAN_DEPTH || r->n == MAX_REFS)
		return;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			scan(v, depth + 1, ids_here, r);
		return;
	}
	if (!json_is_object(j))
		return;
	json_object_foreach(j, k, v) {
		if (json_is_integer(v) && (in_list(k, subject_keys) ||
		    (ids_here && strcmp(k, "id") == 0)))
			ref_add(r, json_integer_value(v));
		else if (json_is_object(v) || json_is_array(v))
			/* A list's entries are what the list lists. */
			scan(v, depth + 1, ids_here && depth == 0 &&
			    strcmp(k, "items") == 0, r);
	}
}

/* The literal segment before the n-th path parameter, or the last one. */
static int
segment(const char *path, int param, char *out, size_t len)
{
	const char *p = path, *s, *e;
	int n = 0;

	out[0] = '\0';
	while ((s = strchr(p, '/')) != NULL) {
		s++;
		e = strchr(s, '/');
		if (e == NULL)
			e = s + strlen(s);
		if (*s == '{') {
			if (n++ == param)
				return 1;
		} else if ((size_t)(e - s) < len) {
			memcpy(out, s, (size_t)(e - s));
			out[e - s] = '\0';
		}
		p = e;
	}
	return param < 0;
}

static const char *
type_of(struct ks_request *req, const char *seg)
{
	size_t n = strlen(seg);
	char *t, *p;
	int i;

	for (i = 0; types[i].segment != NULL; i++)
		if (strcmp(types[i].segment, seg) == 0)
			return types[i].type;
	t = ks_arena_strdup(req->arena, seg);
	if (n > 3 && strcmp(t + n - 3, "ies") == 0)
		strcpy(t + n - 3, "y");
	else if (n > 1 && t[n - 1] == 's' && t[n - 2] != 's')
		t[n - 1] = '\0';
	for (p = t; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	return t;
}

/*
 * Refs of the request itself: ids in the path, and in the answer (whose
 * own id, or the ids of its items, count when the path's last segment
 * names subjects: cases/{id}, persons, cases/{id}/documents ...).
 */
static void
request_refs(struct ks_request *req, struct refs *r)
{
	char seg[64];
	int i;

	if (req->route == NULL)
		return;
	for (i = 0; i < req->nparams; i++)
		if (segment(req->route->path, i, seg, sizeof(seg)) &&
		    in_list(seg, subject_segments))
			ref_text(r, req->pvals[i]);
	if (req->err.code != NULL)
		return;
	if (req->resp != NULL) {
		segment(req->route->path, -1, seg, sizeof(seg));
		scan(req->resp, 0, in_list(seg, subject_segments), r);
	}
	if (req->audit != NULL)
		for (i = 0; i < ((struct state *)req->audit)->nans; i++)
			ref_add(r, ((struct state *)req->audit)->ans[i]);
}

static void
state_free(void *p)
{
	struct state *st = p;
	struct event *e;

	for (e = st->head; e != NULL; e = e->next)
		json_decref(e->detail);
	ks_arena_free(st->mem);
	st->mem = NULL;
}

/* The arena of the events queued now (made on first use). */
static struct ks_arena *
mem(struct state *st)
{
	if (st->mem == NULL)
		st->mem = ks_arena_new(2048);
	return st->mem;
}

/* A compact copy of r in the events' arena. */
static long long *
refs_copy(struct state *st, const struct refs *r)
{
	long long *v;

	if (r->n == 0)
		return NULL;
	v = ks_arena_alloc(mem(st), sizeof(*v) * (size_t)r->n);
	memcpy(v, r->v, sizeof(*v) * (size_t)r->n);
	return v;
}

/*
 * The events are written and their transaction commits: a request that
 * goes on and commits again (a job commits its progress between items)
 * starts a new list, so what it records later is written with that
 * commit, and nothing twice.
 */
static void
state_written(struct state *st)
{
	state_free(st);
	st->head = NULL;
	st->tail = &st->head;
	st->nreads = 0;
	st->done = 0;
	st->rr = NULL;
	st->nrr = 0;
}

static struct state *
state_get(struct ks_request *req)
{
	struct state *st = req->audit;

	if (st == NULL) {
		st = ks_arena_alloc(req->arena, sizeof(*st));
		st->tail = &st->head;
		ks_arena_cleanup(req->arena, state_free, st);
		req->audit = st;
	}
	return st;
}

static const char *
digest(struct state *st, json_t *v)
{
	char *s, *out;

	if (v == NULL)
		return NULL;
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s == NULL)
		return NULL;
	out = ks_arena_alloc(mem(st), 65);
	ks_sha256_hex(s, strlen(s), out);
	free(s);
	return out;
}

static struct event *
queue(struct ks_request *req, int read, const char *action,
    const char *otype, const char *oid)
{
	struct state *st = state_get(req);
	struct event *e = ks_arena_alloc(mem(st), sizeof(*e));

	e->read = read;
	e->tenant = req->db_tenant ? req->db_tenant : req->who.tenant_id;
	e->action = ks_arena_strdup(st->mem, action);
	e->otype = ks_arena_strdup(st->mem, otype);
	e->oid = ks_arena_strdup(st->mem, oid ? oid : "");
	*st->tail = e;
	st->tail = &e->next;
	st->nreads += read;
	return e;
}

int
ks_audit(struct ks_request *req, const char *action, const char *otype,
    const char *oid, json_t *before, json_t *after, json_t *detail)
{
	struct event *e = queue(req, req->read_only, action, otype, oid);
	struct state *st = req->audit;
	struct refs r;

	r.n = 0;
	if (in_list(otype, subject_types))
		ref_text(&r, oid);
	scan(before, 1, 0, &r);
	scan(after, 1, 0, &r);
	scan(detail, 1, 0, &r);
	e->refs = refs_copy(st, &r);
	e->nrefs = r.n;
	e->bd = digest(st, before);
	e->ad = digest(st, after);
	e->detail = detail;
	json_decref(before);
	json_decref(after);
	return KS_OK;
}

void
ks_audit_answer_ref(struct ks_request *req, const char *id)
{
	struct state *st = state_get(req);
	long long *v, n = id_of(id);

	if (n <= 0)
		return;
	if (st->nans % 32 == 0) {
		v = ks_arena_alloc(req->arena, sizeof(*v) *
		    (size_t)(st->nans + 32));
		if (st->nans > 0)
			memcpy(v, st->ans, sizeof(*v) * (size_t)st->nans);
		st->ans = v;
	}
	st->ans[st->nans++] = n;
}

void *
ks_audit_mark(struct ks_request *req)
{
	return state_get(req)->tail;
}

void
ks_audit_rewind(struct ks_request *req, void *mark)
{
	struct state *st = state_get(req);
	struct event **at = mark, *e;

	for (e = *at; e != NULL; e = e->next) {
		json_decref(e->detail);
		e->detail = NULL;
		st->nreads -= e->read;
	}
	*at = NULL;
	st->tail = at;
}

void
ks_audit_rollback(struct ks_request *req)
{
	struct state *st = req->audit;

	/* Reads handed to the writer are the writer's until it answers. */
	if (st == NULL || st->deferred)
		return;
	ks_audit_rewind(req, &st->head);
	st->done = 0;
}

/* "{1,2,3}": the event's refs and the request's */
static const char *
refs_text(struct state *st, const struct event *e)
{
	struct refs all;
	char *s, *p;
	int i;

	all.n = 0;
	for (i = 0; i < e->nrefs; i++)
		ref_add(&all, e->refs[i]);
	for (i = 0; i < st->nrr; i++)
		ref_add(&all, st->rr[i]);
	p = s = ks_arena_alloc(mem(st), (size_t)all.n * 21 + 3);
	*p++ = '{';
	for (i = 0; i < all.n; i++)
		p += sprintf(p, "%s%lld", i ? "," : "", all.v[i]);
	*p++ = '}';
	*p = '\0';
	return s;
}

/* Work on tenant t from here on in this transaction. */
static int
use_tenant(struct ks_request *req, int64_t t)
{
	int64_t cur = req->db_tenant ? req->db_tenant : req->who.tenant_id;

	return t == cur ? KS_OK : ks_db_set_tenant(req, t);
}

static int
write_change(struct ks_request *req, struct state *st, struct event *e)
{
	const char *v[9];
	char *d = NULL;
	PGresult *r;

	if (use_tenant(req, e->tenant) != KS_OK)
		return KS_ERROR;
	v[0] = req->who.user_id ? ks_arena_printf(st->mem, "%lld",
	    (long long)req->who.user_id) : NULL;
	v[1] = req->id;
	v[2] = e->action;
	v[3] = e->otype;
	v[4] = e->oid;
	v[5] = e->bd;
	v[6] = e->ad;
	if (e->detail != NULL && (d = json_dumps(e->detail, JSON_COMPACT)) !=
	    NULL) {
		v[7] = ks_arena_strdup(st->mem, d);
		free(d);
	} else
		v[7] = NULL;
	v[8] = refs_text(st, e);
	if ((r = ks_db_q(req, Q_AUDIT_APPEND, 9, v)) == NULL)
		return KS_ERROR;
	ks_db_free(req, r);
	return KS_OK;
}

/* The route a read came through: "GET /api/v1/cases/{id}". */
static const char *
route_name(struct ks_request *req)
{
	if (req->route == NULL)
		return ks_arena_strdup(req->arena, "-");
	return ks_arena_printf(req->arena, "%s %s", req->route->method,
	    req->route->path);
}

/* The read record of a KS_R_AUDIT route whose handler recorded none. */
static void
route_read(struct ks_request *req)
{
	char seg[64];
	const char *oid = "";

	if (segment(req->route->path, 0, seg, sizeof(seg)) && seg[0] != '\0')
		oid = req->nparams > 0 ? req->pvals[0] : "";
	else
		segment(req->route->path, -1, seg, sizeof(seg));
	queue(req, 1, "read", type_of(req, seg), oid);
}

/*
 * s as a JSON string. Bytes that are not UTF-8 (a path parameter can be
 * anything) become U+FFFD, so that the read is recorded either way.
 */
static void
put_str(struct ks_buf *o, const char *s)
{
	size_t n = strlen(s), i, j = 0, k, mark = o->len;
	char *t;

	if (ks_json_put_str(o, s, n) == 0)
		return;
	o->len = mark;
	o->p[mark] = '\0';
	if ((t = malloc(n * 3 + 1)) == NULL)
		abort();
	for (i = 0; i < n; i += k)
		if ((k = ks_utf8_len((const unsigned char *)s + i, n - i)) ==
		    0) {
			memcpy(t + j, "\xef\xbf\xbd", 3);
			j += 3;
			k = 1;
		} else {
			memcpy(t + j, s + i, k);
			j += k;
		}
	if (ks_json_put_str(o, t, j) != 0)
		abort();	/* a broken invariant: t is UTF-8 */
	free(t);
}

/*
 * Every read of tenant t as audit_read_insert rows, comma-separated,
 * appended to o as text: no tree to build, dump and free per read
 * (issue 13). The keys and values jansson's dump of the same rows had.
 */
static void
reads_text(struct ks_request *req, struct state *st, int64_t t,
    struct ks_buf *o)
{
	struct event *e;
	const char *route = route_name(req);
	char *d;
	size_t len;
	int i, j, n;

	for (e = st->head; e != NULL; e = e->next) {
		if (!e->read || e->tenant != t)
			continue;
		if (o->len > 0)
			KS_BUF_LIT(o, ",");
		KS_BUF_LIT(o, "{\"actor_id\":");
		if (req->who.user_id)
			ks_json_put_int(o, req->who.user_id);
		else
			KS_BUF_LIT(o, "null");
		KS_BUF_LIT(o, ",\"request_id\":");
		put_str(o, req->id);
		KS_BUF_LIT(o, ",\"route\":");
		put_str(o, route);
		KS_BUF_LIT(o, ",\"action\":");
		put_str(o, e->action);
		KS_BUF_LIT(o, ",\"object_type\":");
		put_str(o, e->otype);
		KS_BUF_LIT(o, ",\"object_id\":");
		put_str(o, e->oid);
		/* The event's refs, then the request's it does not have. */
		KS_BUF_LIT(o, ",\"refs\":[");
		for (i = 0; i < e->nrefs; i++) {
			if (i > 0)
				KS_BUF_LIT(o, ",");
			ks_json_put_int(o, e->refs[i]);
		}
		for (i = 0, n = e->nrefs; i < st->nrr; i++) {
			for (j = 0; j < e->nrefs && e->refs[j] != st->rr[i];
			    j++)
				;
			if (j < e->nrefs)
				continue;
			if (n++ > 0)
				KS_BUF_LIT(o, ",");
			ks_json_put_int(o, st->rr[i]);
		}
		KS_BUF_LIT(o, "]");
		if (e->detail != NULL) {
			KS_BUF_LIT(o, ",\"detail\":");
			if ((d = ks_json_compact(e->detail, &len)) == NULL &&
			    (d = json_dumps(e->detail, JSON_COMPACT |
			    JSON_ENCODE_ANY)) == NULL)
				abort();
			ks_buf_put(o, d, strlen(d));
			free(d);
		}
		KS_BUF_LIT(o, "}");
	}
}

/* The rows of tenant t as malloc'd text. */
static char *
reads_rows(struct ks_request *req, struct state *st, int64_t t)
{
	struct ks_buf o;

	o.len = 0;
	o.cap = 512;
	if ((o.p = malloc(o.cap)) == NULL)
		abort();
	o.p[0] = '\0';
	reads_text(req, st, t, &o);
	return o.p;
}

/* The rows of tenant t as one JSON array, in the request's arena. */
static const char *
reads_array(struct ks_request *req, struct state *st, int64_t t)
{
	char *rows = reads_rows(req, st, t);
	const char *out = ks_arena_printf(req->arena, "[%s]", rows);

	free(rows);
	return out;
}

/* The tenants of the request's reads, in order of their first read. */
static int
read_tenants(struct state *st, int64_t *t, int max)
{
	struct event *e;
	int n = 0, i;

	for (e = st->head; e != NULL; e = e->next) {
		if (!e->read)
			continue;
		for (i = 0; i < n && t[i] != e->tenant; i++)
			;
		if (i == n && n < max)
			t[n++] = e->tenant;
	}
	return n;
}

/*
 * Write the reads in the request's own transaction and commit with the
 * last insert (one round trip when the request wrote nothing else).
 */
static int
write_reads(struct ks_request *req, struct state *st)
{
	const char *v[1];
	int64_t t[8];
	int i, n = read_tenants(st, t, 8);

	for (i = 0; i < n; i++) {
		v[0] = reads_array(req, st, t[i]);
		if (use_tenant(req, t[i]) != KS_OK)
			return KS_ERROR;
		if (i < n - 1 && ks_db_q(req, Q_AUDIT_READ_INSERT, 1, v) ==
		    NULL)
			return KS_ERROR;
		if (i == n - 1 && ks_db_exec_commit(req, Q_AUDIT_READ_INSERT,
		    1, v) != KS_OK)
			return KS_ERROR;
	}
	return KS_OK;
}

int
ks_audit_flush(struct ks_request *req)
{
	struct state *st = req->audit;
	struct event *e;
	struct refs rr;
	int ok = req->err.code == NULL && req->status < 300 &&
	    (req->resp != NULL || req->raw != NULL);

	if (st != NULL && st->done)
		return KS_OK;
	if (st == NULL && !(req->route != NULL &&
	    (req->route->flags & KS_R_AUDIT) && ok))
		return KS_OK;
	st = state_get(req);
	if (st->head == NULL && st->routed)
		return KS_OK;
	st->done = 1;
	if (req->route != NULL && (req->route->flags & KS_R_AUDIT) && ok &&
	    st->nreads == 0 && !st->routed)
		route_read(req);
	st->routed = 1;
	rr.n = 0;
	request_refs(req, &rr);
	st->rr = refs_copy(st, &rr);
	st->nrr = rr.n;
	for (e = st->head; e != NULL; e = e->next)
		if (!e->read && write_change(req, st, e) != KS_OK)
			return KS_ERROR;
	/* A read is recorded when its data goes out, and only then. */
	if (st->nreads == 0 || !ok) {
		state_written(st);
		return KS_OK;
	}
	/*
	 * A request that only read hands its reads to the worker's writer,
	 * which commits many requests' reads at once; the answer waits for
	 * that commit (ks_audit_deferred). Otherwise they join the request's
	 * own transaction.
	 */
	if (!req->in_txn && req->conn != NULL) {
		st->deferred = 1;
		return KS_OK;
	}
	if (write_reads(req, st) != KS_OK)
		return KS_ERROR;
	state_written(st);
	return KS_OK;
}

int
ks_audit_deferred(struct ks_request *req)
{
	struct state *st = req->audit;

	return st != NULL && st->deferred && st->wait == 0;
}

int
ks_audit_resumed(struct ks_request *req)
{
	struct state *st = req->audit;

	return st != NULL && st->wait == 2;
}

static void
written(void *arg, int ok)
{
	struct ks_request *req = arg;
	struct state *st = req->audit;
	void (*resume)(struct ks_request *) = st->resume;

	st->ok = ok;
	st->wait = 2;
	/* After this the request belongs to its connection's thread again. */
	resume(req);
}

int
ks_audit_submit(struct ks_request *req, void (*resume)(struct ks_request *))
{
	struct state *st = req->audit;
	int64_t t[8];
	char *a[8];
	int i, n = read_tenants(st, t, 8);

	for (i = 0; i < n; i++)
		a[i] = reads_rows(req, st, t[i]);
	st->resume = resume;
	st->wait = 1;
	st->via_writer = 1;
	if (ks_audit_writer_submit(t, a, n, written, req) == KS_OK)
		return KS_OK;
	st->via_writer = 0;
	/* No writer: the request writes them itself, now. */
	st->ok = write_reads(req, st) == KS_OK;
	st->wait = 2;
	return KS_ERROR;
}

int
ks_audit_outcome(struct ks_request *req)
{
	struct state *st = req->audit;

	if (st != NULL && st->via_writer) {
		st->via_writer = 0;
		ks_audit_writer_answered();
	}
	if (st == NULL || st->ok)
		return KS_OK;
	if (req->err.code == NULL)
		ks_fail(req, 503, "audit_unavailable", "the read could not be "
		    "recorded in the audit log; try again shortly");
	return KS_ERROR;
}

char *
ks_audit_fields(const char *const *f, int nf)
{
	size_t len = 1, n;
	char *s, *p;
	int i;

	for (i = 0; i < nf; i++)
		len += (f[i] ? strlen(f[i]) : 0) + 24;
	if ((p = s = malloc(len)) == NULL)
		return NULL;
	for (i = 0; i < nf; i++) {
		n = f[i] ? strlen(f[i]) : 0;
		p += sprintf(p, "%zu:", n);
		memcpy(p, f[i] ? f[i] : "", n);
		p += n;
		*p++ = '|';
	}
	*p = '\0';
	return s;
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

	return ks_audit_fields(f, 11);
}

/* ------------------------------------------------------------ reading */

/*
 * The filters of both lists: ?person=, ?dossier= (records that concern
 * them), ?user=, ?from=, ?to= (dates, to inclusive). v[0..4] become
 * $3..$7; a bad one is a 400 naming it.
 */
static int
filters(struct ks_request *req, const char **v)
{
	static const char *const ids[] = { "person", "dossier", "user" };
	static const char *const dates[] = { "from", "to" };
	const char *s;
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		v[i] = NULL;
		if ((s = ks_query(req, ids[i])) == NULL || *s == '\0')
			continue;
		if (*s < '1' || *s > '9' || strlen(s) > 18 ||
		    (strtoll(s, &end, 10), *end != '\0'))
			return ks_fail_detail(req, 400, "invalid_parameter",
			    "an id is a positive whole number",
			    json_pack("{s:s}", "parameter", ids[i]));
		v[i] = s;
	}
	for (i = 0; i < 2; i++) {
		v[3 + i] = NULL;
		if (ks_query(req, dates[i]) != NULL &&
		    (v[3 + i] = ks_query_date(req, dates[i])) == NULL)
			return KS_ERROR;
	}
	return KS_OK;
}

/* One event or read as the API shows it; reads have a route. */
static json_t *
row_json(PGresult *r, int i, int read)
{
	const char *key = read ? "id" : "seq";
	json_t *e = json_pack("{s:I,s:s,s:o,s:o,s:s?,s:s,s:s,s:s,s:o,s:o}",
	    key, (json_int_t)ks_db_getll(r, i, key),
	    "at", ks_db_str(r, i, "at"),
	    "actor_id", ks_db_isnull(r, i, "actor_id") ? json_null() :
	    json_integer(ks_db_getll(r, i, "actor_id")),
	    "actor_name", ks_db_isnull(r, i, "display_name") ? json_null() :
	    json_string(ks_db_str(r, i, "display_name")),
	    "request_id", ks_db_get(r, i, "request_id"),
	    "action", ks_db_str(r, i, "action"),
	    "object_type", ks_db_str(r, i, "object_type"),
	    "object_id", ks_db_str(r, i, "object_id"),
	    "detail", ks_db_json(r, i, "detail"),
	    "persons", ks_db_isnull(r, i, "persons") ? json_array() :
	    ks_db_json(r, i, "persons"));

	if (read)
		json_object_set_new(e, "route", json_string(ks_db_str(r, i,
		    "route")));
	return e;
}

static int
list(struct ks_request *req, int read)
{
	const char *v[7], *after;
	long long n;
	PGresult *r;
	json_t *items;
	int i;

	/* Newest first: the cursor is the last seq or id seen. */
	if (ks_page(req, &after, &v[1], &n) != KS_OK ||
	    filters(req, v + 2) != KS_OK)
		return KS_ERROR;
	v[0] = strcmp(after, "0") == 0 ? ks_arena_printf(req->arena, "%lld",
	    (long long)INT64_MAX) : after;
	if ((r = ks_db_q(req, read ? Q_AUDIT_READS_LIST : Q_AUDIT_LIST, 7,
	    v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, row_json(r, i, read));
	return ks_reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", PQntuples(r) == n ? json_sprintf("%lld",
	    ks_db_getll(r, PQntuples(r) - 1, read ? "id" : "seq")) :
	    json_null()));
}

static int
audit_list(struct ks_request *req)
{
	return list(req, 0);
}

static int
reads_list(struct ks_request *req)
{
	return list(req, 1);
}

#define EXPORT_MAX	"100000"

/*
 * Everything recorded about one person (a data-protection request): the
 * changes and the reads that concern them, oldest first, as a JSON file.
 */
static int
person_export(struct ks_request *req)
{
	const char *v[7], *pv[1];
	PGresult *p, *r;
	json_t *out, *part;
	int64_t id;
	char *s;
	int k, i;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	pv[0] = ks_arena_printf(req->arena, "%lld", (long long)id);
	if ((p = ks_db_q(req, Q_AUDIT_PERSON, 1, pv)) == NULL)
		return KS_ERROR;
	if (PQntuples(p) != 1)
		return ks_fail(req, 404, "not_found", "no such person");
	out = json_pack("{s:{s:I,s:s,s:s,s:s},s:s,s:I}", "person",
	    "id", (json_int_t)id, "last_name", ks_db_str(p, 0, "last_name"),
	    "first_name", ks_db_str(p, 0, "first_name"), "birth_date",
	    ks_db_str(p, 0, "birth_date"), "exported_by", req->who.username ?
	    req->who.username : "", "exported_by_id",
	    (json_int_t)req->who.user_id);
	v[0] = ks_arena_printf(req->arena, "%lld", (long long)INT64_MAX);
	v[1] = EXPORT_MAX;
	v[2] = pv[0];
	v[3] = v[4] = v[5] = v[6] = NULL;
	for (k = 0; k < 2; k++) {
		if ((r = ks_db_q(req, k ? Q_AUDIT_READS_LIST : Q_AUDIT_LIST, 7,
		    v)) == NULL) {
			json_decref(out);
			return KS_ERROR;
		}
		part = json_array();
		for (i = PQntuples(r) - 1; i >= 0; i--)
			json_array_append_new(part, row_json(r, i, k));
		json_object_set_new(out, k ? "reads" : "changes", part);
	}
	ks_header(req, "Content-Disposition", ks_arena_printf(req->arena,
	    "attachment; filename=\"audit-person-%lld.json\"", (long long)id));
	s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(out);
	if (s == NULL)
		abort();
	req->raw = ks_arena_strdup(req->arena, s);
	req->raw_len = strlen(s);
	req->ctype = "application/json; charset=utf-8";
	free(s);
	/* The export is itself a read about this person. */
	return ks_audit(req, "person_exported", "person", pv[0], NULL, NULL,
	    NULL);
}

static int
audit_verify(struct ks_request *req)
{
	return ks_audit_verify(req);
}

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/audit", "audit.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, audit_list, "changes of the own tenant, "
	    "newest first; ?person=, ?dossier=, ?user=, ?from=, ?to=", NULL },
	{ "GET", "/api/v1/audit/reads", "audit.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, reads_list, "reads of personal data, "
	    "newest first; the same filters", NULL },
	{ "GET", "/api/v1/audit/verify", "audit.read", 0, NULL, KS_R_LONG,
	    audit_verify, "recompute the hash chain, the seals and the "
	    "anchor; names the first broken record", NULL },
	{ "GET", "/api/v1/audit/persons/{id}/export", "audit.read", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT | KS_R_LONG, person_export,
	    "everything recorded about "
	    "one person, as a JSON file", NULL },
	KS_ROUTES_END
};

void
ks_audit_register(void)
{
	ks_router_add(routes, NULL);
}
