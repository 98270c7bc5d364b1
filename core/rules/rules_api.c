/*
 * rules_api.c - rule packs as versioned data: resolution for a tenant and
 * a date, the canton admin's API (draft, dry run, example cases, four-eyes
 * approval, retirement), the import of plugins/ and tenants/<slug>/ at
 * start-up, and cache invalidation over Redis pub/sub.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kasus.h"
#include "queries.h"

#define CHANNEL	"ks:invalidate"

/* Check a stored version against its checksum: the sha is its identity. */
static int
intact(struct ks_request *req, const char *src, size_t len, const char *sha)
{
	char got[65];

	ks_sha256_hex(src, len, got);
	if (strcmp(got, sha) != 0)
		return ks_fail(req, 500, "rule_integrity", "the rule pack "
		    "does not match its checksum");
	return KS_OK;
}

/*
 * Whether a resolution found the code: rule_resolve_with_data answers a
 * row of kind 'code' (first) and one of kind 'data' when the tenant has
 * data; the canton's resolution one row of code.
 */
static int
found_code(PGresult *r)
{
	if (PQfnumber(r, "kind") < 0)
		return PQntuples(r) == 1;
	return PQntuples(r) >= 1 && strcmp(ks_db_str(r, 0, "kind"),
	    "code") == 0;
}

/* The row of the tenant's rule data in a resolution; -1 when none. */
static int
data_row(PGresult *r)
{
	/* Only rule_resolve_with_data brings the tenant's data. */
	if (PQfnumber(r, "kind") < 0 || PQntuples(r) != 2)
		return -1;
	return 1;
}

/* The tenant's rule data of a resolution (row d), checked and parsed. */
static int
tenant_data(struct ks_request *req, PGresult *r, int d, json_t **data)
{
	const char *src = ks_db_str(r, d, "source");

	if (intact(req, src, strlen(src), ks_db_str(r, d, "sha256")) !=
	    KS_OK)
		return KS_ERROR;
	if ((*data = json_loads(src, 0, NULL)) == NULL)
		return ks_fail(req, 500, "rule_integrity", "the rule data "
		    "is not JSON");
	return KS_OK;
}

/* Which version of the tenant's rule data it is; NULL when none. */
static json_t *
tenant_data_prov(PGresult *r)
{
	int d = data_row(r);

	if (d < 0)
		return NULL;
	return json_pack("{s:I,s:s,s:s,s:s}", "id",
	    (json_int_t)ks_db_getll(r, d, "id"), "version",
	    ks_db_str(r, d, "version"), "sha256", ks_db_str(r, d, "sha256"),
	    "valid_from", ks_db_str(r, d, "valid_from"));
}

/* Whose pack a resolution found: the tenant's own or the canton's. */
static const char *
scope_of(PGresult *r)
{
	return strcmp(ks_db_str(r, 0, "own"), "t") == 0 ? "tenant" : "canton";
}

/*
 * Where an evaluation's output goes: a tree, or JSON text; with ptext its
 * provenance is written there as JSON text instead of built as a tree.
 */
struct eval_out {
	json_t		**json;
	const char	**text;
	size_t		 *len;
	struct ks_buf	 *ptext;
};

/* ,"key":"value" (or the first member without the comma). */
static int
put_member(struct ks_buf *b, const char *key, size_t klen, const char *v)
{
	ks_buf_put(b, key, klen);
	return ks_json_put_str(b, v, strlen(v));
}

#define PUT(b, lit, v)	put_member(b, lit, sizeof(lit) - 1, v)

/*
 * The provenance of a resolution as the compact JSON text json_pack and
 * ks_json_compact made of it, written straight from the result's columns:
 * building, dumping and freeing the tree cost more than the rest of the
 * route's own code.
 */
static int
prov_text(struct ks_buf *b, PGresult *r, const char *sha)
{
	int bad = 0, d = data_row(r);

	KS_BUF_LIT(b, "{\"id\":");
	ks_json_put_int(b, (json_int_t)ks_db_getll(r, 0, "id"));
	bad |= PUT(b, ",\"name\":", ks_db_str(r, 0, "name"));
	bad |= PUT(b, ",\"version\":", ks_db_str(r, 0, "version"));
	bad |= PUT(b, ",\"sha256\":", sha);
	bad |= PUT(b, ",\"valid_from\":", ks_db_str(r, 0, "valid_from"));
	bad |= PUT(b, ",\"scope\":", scope_of(r));
	if (d >= 0) {
		KS_BUF_LIT(b, ",\"data\":{\"id\":");
		ks_json_put_int(b, (json_int_t)ks_db_getll(r, d, "id"));
		bad |= PUT(b, ",\"version\":", ks_db_str(r, d, "version"));
		bad |= PUT(b, ",\"sha256\":", ks_db_str(r, d, "sha256"));
		bad |= PUT(b, ",\"valid_from\":", ks_db_str(r, d,
		    "valid_from"));
		KS_BUF_LIT(b, "}");
	}
	KS_BUF_LIT(b, "}");
	return bad ? KS_ERROR : KS_OK;
}

static int
eval_cached(struct ks_request *req, const char *sha, const char *name,
    json_t *data, const char *dkey, const char *fn, json_t *input,
    const struct eval_out *o)
{
	if (o->text != NULL)
		return ks_rules_eval_cached_text(req, sha, name, data, dkey,
		    fn, input, o->text, o->len);
	return ks_rules_eval_cached(req, sha, name, data, dkey, fn, input,
	    o->json);
}

/*
 * Resolve the code with query qid (and the tenant's data, when the query
 * brings it) and run fn on it; caller_data, when given, is the DATA.
 */
static int
eval_code(struct ks_request *req, int qid, const char *pack, const char *fn,
    const char *date, json_t *caller_data, json_t *input,
    const struct eval_out *out, json_t **prov)
{
	const char *v[2], *src, *dkey = NULL;
	struct ks_rules_ticket ticket;
	PGresult *r, *s = NULL, *kept;
	json_t *data, *dprov;
	char name[128], sha[65];
	int rc = KS_ERROR, found;

	v[0] = pack;
	v[1] = date;
	*prov = NULL;
	/*
	 * The thread's cached resolution and Lua states are used across
	 * this evaluation's statements: it never parks (for the rest of its
	 * request; core/lib/fiber.c).
	 */
	ks_fiber_pin();
	/* What is in force as this thread last read it, when still so. */
	if ((r = kept = ks_rules_resolved(req, qid, pack, date, &ticket)) ==
	    NULL) {
		if ((r = ks_db_q(req, qid, 2, v)) == NULL)
			return KS_ERROR;
		if (found_code(r))
			ks_rules_resolved_keep(&ticket, r);
	}
	if (!found_code(r)) {
		ks_db_free(req, r);
		return ks_fail_detail(req, 422, "rule_missing", "no approved "
		    "rule pack of this name is valid on that date, neither "
		    "the tenant's nor the canton's", json_pack("{s:s,s:s}",
		    "pack", pack, "date", date));
	}
	/*
	 * The tenant's data is named by its stored checksum: a thread that
	 * has it converted already needs neither its text checked nor
	 * parsed; on a miss it is, and on a miss of the code its source.
	 */
	data = NULL;
	if (out->ptext != NULL) {
		dprov = NULL;
		if (data_row(r) >= 0)
			dkey = ks_db_str(r, data_row(r), "sha256");
	} else if ((dprov = tenant_data_prov(r)) != NULL)
		dkey = ks_db_str(r, data_row(r), "sha256");
	if (caller_data != NULL) {
		data = json_incref(caller_data);
		dkey = NULL;
	}
	ks_rules_join(name, sizeof(name), ks_db_str(r, 0, "name"), '@',
	    ks_db_str(r, 0, "version"));
	ks_rules_join(sha, sizeof(sha), ks_db_str(r, 0, "sha256"), '\0', "");
	found = eval_cached(req, sha, name, data, dkey, fn, input, out);
	if (found != KS_OK && req->err.code == NULL && dkey != NULL) {
		if (tenant_data(req, r, data_row(r), &data) != KS_OK)
			goto out;
		found = eval_cached(req, sha, name, data, dkey, fn, input,
		    out);
	}
	if (found != KS_OK) {
		if (req->err.code != NULL)
			goto out;
		v[0] = ks_db_str(r, 0, "id");
		if ((s = ks_db_q(req, Q_RULE_SOURCE, 1, v)) == NULL)
			goto out;
		if (PQntuples(s) != 1) {
			ks_fail(req, 422, "rule_missing",
			    "the rule pack disappeared");
			goto out;
		}
		src = ks_db_str(s, 0, "source");
		if (intact(req, src, strlen(src), sha) != KS_OK ||
		    ks_rules_load(req, name, sha, src, strlen(src)) != KS_OK ||
		    eval_cached(req, sha, name, data, dkey, fn, input, out) !=
		    KS_OK)
			goto out;
	}
	if (out->ptext != NULL) {
		if (prov_text(out->ptext, r, sha) != KS_OK) {
			ks_fail(req, 500, "rule_integrity", "the rule pack's "
			    "provenance is not valid UTF-8");
			goto out;
		}
		rc = KS_OK;
		goto out;
	}
	*prov = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "name", ks_db_str(r, 0,
	    "name"), "version", ks_db_str(r, 0, "version"), "sha256", sha,
	    "valid_from", ks_db_str(r, 0, "valid_from"), "scope",
	    scope_of(r));
	if (dprov != NULL) {
		json_object_set_new(*prov, "data", dprov);
		dprov = NULL;
	}
	rc = KS_OK;
out:
	/*
	 * A job evaluates thousands of times (a camt.054 of debtor
	 * payments, the monthly schedules): nothing of an evaluation stays.
	 */
	ks_db_free(req, s);
	if (r != kept)
		ks_db_free(req, r);
	json_decref(dprov);
	json_decref(data);
	return rc;
}

int
ks_rules_eval(struct ks_request *req, const char *pack, const char *fn,
    const char *date, json_t *input, json_t **out, json_t **prov)
{
	struct eval_out o = { out, NULL, NULL, NULL };

	return eval_code(req, Q_RULE_RESOLVE_WITH_DATA, pack, fn, date, NULL,
	    input, &o, prov);
}

int
ks_rules_eval_text(struct ks_request *req, const char *pack, const char *fn,
    const char *date, json_t *input, const char **text, size_t *len,
    struct ks_buf *prov)
{
	struct eval_out o = { NULL, text, len, prov };
	json_t *none;

	return eval_code(req, Q_RULE_RESOLVE_WITH_DATA, pack, fn, date, NULL,
	    input, &o, &none);
}

int
ks_rules_eval_canton(struct ks_request *req, const char *pack,
    const char *fn, const char *date, json_t *data, json_t *input,
    json_t **out, json_t **prov)
{
	struct eval_out o = { out, NULL, NULL, NULL };

	return eval_code(req, Q_RULE_RESOLVE_CANTON, pack, fn, date, data,
	    input, &o, prov);
}

/* ------------------------------------------------------------- the API */

json_t *
ks_rules_pack_head(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "name", ks_db_str(r, i, "name"),
	    "version", ks_db_str(r, i, "version"),
	    "valid_from", ks_db_str(r, i, "valid_from"),
	    "sha256", ks_db_str(r, i, "sha256"),
	    "status", ks_db_str(r, i, "status"));
}

static json_t *
pack_json(PGresult *r, int i, int with_source)
{
	json_t *ex = json_loads(ks_db_str(r, i, "examples"), 0, NULL);
	json_t *j = ks_rules_pack_head(r, i);

	json_object_update_new(j, json_pack("{s:o,s:o,s:o,s:s?,"
	    "s:s?,s:s,s:s?,s:I}",
	    "examples", ex ? ex : json_array(),
	    "author_id", ks_db_json_int(r, i, "author_id"),
	    "approver_id", ks_db_json_int(r, i, "approver_id"),
	    "review_comment", ks_db_get(r, i, "review_comment"),
	    "imported_from", ks_db_get(r, i, "imported_from"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "approved_at", ks_db_get(r, i, "approved_at"),
	    "row_version", (json_int_t)ks_db_getll(r, i, "row_version")));
	json_object_set_new(j, "kind", json_string(ks_db_str(r, i, "kind")));
	json_object_set_new(j, "submitted_at", ks_db_json_str(r, i,
	    "submitted_at"));
	json_object_set_new(j, "retired_at", ks_db_json_str(r, i,
	    "retired_at"));
	if (with_source)
		json_object_set_new(j, "source", json_string(ks_db_str(r, i,
		    "source")));
	json_object_set_new(j, "author_name", ks_db_json_str(r, i,
	    "author_name"));
	json_object_set_new(j, "approver_name", ks_db_json_str(r, i,
	    "approver_name"));
	return j;
}

static PGresult *
pack_get(struct ks_request *req)
{
	return ks_param_row(req, "id", Q_RULE_GET, "rule pack");
}

static int
packs_list(struct ks_request *req)
{
	const char *kind = "code";
	PGresult *r;
	json_t *items;
	int i;

	if ((r = ks_db_q(req, Q_RULE_LIST, 1, &kind)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, pack_json(r, i, 0));
	return ks_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
	    "next"));
}

static int
check_examples(struct ks_request *req, json_t *ex)
{
	json_t *e, *fn;
	size_t i;

	json_array_foreach(ex, i, e) {
		fn = json_object_get(e, "function");
		if (!json_is_object(e) || !json_is_string(fn) ||
		    json_object_get(e, "input") == NULL ||
		    json_object_get(e, "expected") == NULL)
			return ks_fail_detail(req, 400, "invalid_value",
			    "each example needs function, input and expected",
			    json_pack("{s:s,s:I}", "field", "examples",
			    "index", (json_int_t)i));
	}
	return KS_OK;
}

static int
pack_create(struct ks_request *req)
{
	const char *v[11], *src = ks_body_str(req, "source");
	json_t *ex = json_object_get(req->body, "examples");
	char sha[65], *exs, *label;
	PGresult *r;

	if (ex == NULL || json_is_null(ex))
		ex = json_array();
	else
		json_incref(ex);
	if (!json_is_array(ex) || check_examples(req, ex) != KS_OK) {
		json_decref(ex);
		return req->err.code ? KS_ERROR : ks_fail(req, 400,
		    "invalid_type", "examples must be a list");
	}
	label = ks_arena_printf(req->arena, "%s@%s", ks_body_str(req, "name"),
	    ks_body_str(req, "version"));
	if (ks_rules_check(req, label, src, strlen(src)) != KS_OK) {
		json_decref(ex);
		return KS_ERROR;
	}
	ks_sha256_hex(src, strlen(src), sha);
	exs = json_dumps(ex, JSON_COMPACT);
	json_decref(ex);
	v[0] = ks_body_str(req, "name");
	v[1] = ks_body_str(req, "version");
	v[2] = ks_body_str(req, "valid_from");
	v[3] = src;
	v[4] = sha;
	v[5] = ks_arena_strdup(req->arena, exs);
	free(exs);
	v[6] = ks_num(req, req->who.user_id);
	v[7] = "draft";
	v[8] = NULL;
	v[9] = "code";
	v[10] = NULL;
	if ((r = ks_db_q(req, Q_RULE_INSERT, 11, v)) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "rule_pack_created", "rule_pack", ks_db_str(r, 0,
	    "id"), NULL, NULL, json_pack("{s:s,s:s,s:s}", "name", v[0],
	    "version", v[1], "sha256", sha)) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 201, json_pack("{s:I,s:s,s:s}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "status", "draft", "sha256",
	    sha));
}

static int
pack_show(struct ks_request *req)
{
	PGresult *r;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "row_version"));
	return ks_reply(req, 200, pack_json(r, 0, 1));
}

static const char *
label_of(struct ks_request *req, PGresult *r)
{
	return ks_arena_printf(req->arena, "%s@%s", ks_db_str(r, 0, "name"),
	    ks_db_str(r, 0, "version"));
}

static int
pack_dry_run(struct ks_request *req)
{
	const char *src;
	PGresult *r;
	json_t *out;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	src = ks_db_str(r, 0, "source");
	if (ks_rules_eval_source(req, label_of(req, r), src, strlen(src),
	    json_object_get(req->body, "data"),
	    ks_body_str(req, "function"), json_object_get(req->body, "input"),
	    &out) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 200, json_pack("{s:o,s:{s:s,s:s,s:s}}", "output",
	    out, "pack", "name", ks_db_str(r, 0, "name"), "version",
	    ks_db_str(r, 0, "version"), "sha256", ks_db_str(r, 0, "sha256")));
}

static int
set_status(struct ks_request *req, PGresult *r, const char *to,
    const char *from, const char *approver, const char *comment)
{
	const char *v[5];
	PGresult *u;

	v[0] = ks_db_str(r, 0, "id");
	v[1] = to;
	v[2] = approver;
	v[3] = comment;
	v[4] = from;
	if ((u = ks_db_q(req, Q_RULE_SET_STATUS, 5, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(u) != 1)
		return ks_fail(req, 409, "conflict",
		    "the rule pack changed meanwhile; reload it");
	return ks_audit(req, ks_arena_printf(req->arena, "rule_pack_%s", to),
	    "rule_pack", v[0], NULL, NULL, json_pack("{s:s,s:s,s:s,s:s?}",
	    "name", ks_db_str(r, 0, "name"), "version", ks_db_str(r, 0,
	    "version"), "from", from, "comment", comment));
}

/*
 * After the commit of a change to what is in force: this worker forgets
 * at once, the others when they hear of it; one more round trip puts the
 * message in every subscriber's socket before the answer goes out
 * (rules_resolved.c).
 */
static void
announce(struct ks_request *req, void *msg)
{
	(void)req;
	ks_rules_invalidate();
	ks_redis_free(ks_redis_cmd("PUBLISH " CHANNEL " %s", (char *)msg));
	ks_redis_barrier();
}

void
ks_rules_announce(struct ks_request *req, const char *sha)
{
	ks_after_commit(req, announce, ks_arena_printf(req->arena,
	    "rules:%s", sha));
}

static int
pack_test(struct ks_request *req)
{
	PGresult *r;
	json_t *ex, *e, *out, *res;
	size_t i, pass = 0, fail = 0;
	const char *st, *src;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	src = ks_db_str(r, 0, "source");
	ex = json_loads(ks_db_str(r, 0, "examples"), 0, NULL);
	res = json_array();
	json_array_foreach(ex, i, e) {
		struct ks_error saved = req->err;
		const char *fn = json_string_value(json_object_get(e,
		    "function"));
		int ok;

		memset(&req->err, 0, sizeof(req->err));
		ok = ks_rules_eval_source(req, label_of(req, r), src,
		    strlen(src), json_object_get(e, "data"), fn ? fn : "",
		    json_object_get(e, "input"), &out) == KS_OK;
		if (ok) {
			ok = json_equal(out, json_object_get(e, "expected"));
			json_array_append_new(res, json_pack("{s:I,s:s?,s:b,"
			    "s:o}", "index", (json_int_t)i, "function", fn,
			    "ok", ok, "output", out));
		} else {
			json_array_append_new(res, json_pack("{s:I,s:s?,s:b,"
			    "s:s,s:s,s:O?}", "index", (json_int_t)i,
			    "function", fn, "ok", 0, "error", req->err.code,
			    "message", req->err.message, "detail",
			    req->err.detail));
			json_decref(req->err.detail);
		}
		req->err = saved;
		ok ? pass++ : fail++;
	}
	json_decref(ex);
	st = ks_db_str(r, 0, "status");
	if (fail == 0 && pass > 0 && strcmp(st, "draft") == 0) {
		if (set_status(req, r, "tested", "draft", NULL, NULL) != KS_OK) {
			json_decref(res);
			return KS_ERROR;
		}
		st = "tested";
	}
	return ks_reply(req, 200, json_pack("{s:I,s:I,s:s,s:o}", "passed",
	    (json_int_t)pass, "failed", (json_int_t)fail, "status", st,
	    "results", res));
}

static int
pack_approve(struct ks_request *req)
{
	PGresult *r;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(r, 0, "status"), "submitted") != 0)
		return ks_fail_detail(req, 409, "invalid_state", "only a pack "
		    "submitted for approval (its example cases passed) can be "
		    "approved", json_pack("{s:s}", "status", ks_db_str(r, 0,
		    "status")));
	if (ks_db_getll(r, 0, "author_id") == req->who.user_id)
		return ks_fail(req, 403, "four_eyes_required", "a second "
		    "canton administrator must approve what you wrote");
	if (set_status(req, r, "approved", "submitted", ks_num(req,
	    req->who.user_id), ks_body_str(req, "comment")) != KS_OK)
		return KS_ERROR;
	ks_rules_announce(req, ks_db_str(r, 0, "sha256"));
	return ks_reply(req, 200, json_pack("{s:I,s:s,s:s}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "status", "approved",
	    "valid_from", ks_db_str(r, 0, "valid_from")));
}

static int
pack_reject(struct ks_request *req)
{
	PGresult *r;
	const char *st;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	st = ks_db_str(r, 0, "status");
	if (strcmp(st, "draft") != 0 && strcmp(st, "tested") != 0 &&
	    strcmp(st, "submitted") != 0)
		return ks_fail(req, 409, "invalid_state", "only packs not yet "
		    "approved can be rejected");
	if (ks_db_getll(r, 0, "author_id") == req->who.user_id)
		return ks_fail(req, 403, "four_eyes_required", "a second "
		    "canton administrator reviews what you wrote");
	if (set_status(req, r, "rejected", st, ks_num(req, req->who.user_id),
	    ks_body_str(req, "comment")) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 200, json_pack("{s:I,s:s}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "status", "rejected"));
}

static int
pack_retire(struct ks_request *req)
{
	PGresult *r;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(r, 0, "status"), "approved") != 0)
		return ks_fail(req, 409, "invalid_state",
		    "only approved packs can be retired");
	if (set_status(req, r, "retired", "approved", NULL, NULL) != KS_OK)
		return KS_ERROR;
	ks_rules_announce(req, ks_db_str(r, 0, "sha256"));
	return ks_reply(req, 200, json_pack("{s:I,s:s}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "status", "retired"));
}

/* Edit a draft (or a tested or rejected version): back to draft. */
static int
pack_update(struct ks_request *req)
{
	const char *v[7], *src = ks_body_str(req, "source");
	json_t *ex = json_object_get(req->body, "examples");
	char sha[65], *exs;
	PGresult *r, *u;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	if (ks_check_etag(req, ks_db_getll(r, 0, "row_version"),
	    pack_json(r, 0, 0)) != KS_OK)
		return KS_ERROR;
	if (json_is_null(ex))
		ex = NULL;		/* absent: keep the stored examples */
	if (ex != NULL && check_examples(req, ex) != KS_OK)
		return KS_ERROR;
	if (ks_rules_check(req, label_of(req, r), src, strlen(src)) != KS_OK)
		return KS_ERROR;
	ks_sha256_hex(src, strlen(src), sha);
	if (ex != NULL) {
		exs = json_dumps(ex, JSON_COMPACT);
		v[3] = ks_arena_strdup(req->arena, exs);
		free(exs);
	} else
		v[3] = ks_db_str(r, 0, "examples");
	v[0] = ks_db_str(r, 0, "id");
	v[1] = src;
	v[2] = sha;
	v[4] = ks_body_str(req, "valid_from") ? ks_body_str(req,
	    "valid_from") : ks_db_str(r, 0, "valid_from");
	v[5] = ks_num(req, req->who.user_id);
	v[6] = ks_db_str(r, 0, "row_version");
	if ((u = ks_db_q(req, Q_RULE_UPDATE, 7, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(u) != 1)
		return ks_fail_detail(req, 409, "invalid_state", "only drafts, "
		    "tested and rejected versions can be edited; make a new "
		    "version of an approved pack", json_pack("{s:s}", "status",
		    ks_db_str(r, 0, "status")));
	if (ks_audit(req, "rule_pack_edited", "rule_pack", v[0], NULL, NULL,
	    json_pack("{s:s,s:s,s:s,s:s}", "name", ks_db_str(r, 0, "name"),
	    "version", ks_db_str(r, 0, "version"), "sha256_before",
	    ks_db_str(r, 0, "sha256"), "sha256", sha)) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(u, 0, "row_version"));
	return ks_reply(req, 200, json_pack("{s:I,s:s,s:s,s:I}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "status", "draft", "sha256",
	    sha, "row_version", (json_int_t)ks_db_getll(u, 0, "row_version")));
}

/* The author asks for review once the example cases passed. */
static int
pack_submit(struct ks_request *req)
{
	PGresult *r;

	if ((r = pack_get(req)) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(r, 0, "status"), "tested") != 0)
		return ks_fail_detail(req, 409, "invalid_state", "run the "
		    "example cases first: only a tested pack can be submitted",
		    json_pack("{s:s}", "status", ks_db_str(r, 0, "status")));
	if (set_status(req, r, "submitted", "tested", NULL, ks_body_str(req,
	    "comment")) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 200, json_pack("{s:I,s:s}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "status", "submitted"));
}

/* What was in force on a date, per pack name, of the given kind. */
int
ks_rules_as_of(struct ks_request *req, const char *kind)
{
	const char *v[2];
	PGresult *r;
	json_t *items;
	int i;

	if ((v[0] = ks_query_date(req, "date")) == NULL)
		return KS_ERROR;
	v[1] = kind;
	if ((r = ks_db_q(req, Q_RULE_AS_OF, 2, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s,s:s,"
		    "s:s,s:s?,s:s?}", "id", (json_int_t)ks_db_getll(r, i, "id"),
		    "name", ks_db_str(r, i, "name"), "version",
		    ks_db_str(r, i, "version"), "valid_from", ks_db_str(r, i,
		    "valid_from"), "sha256", ks_db_str(r, i, "sha256"),
		    "status", ks_db_str(r, i, "status"), "approved_at",
		    ks_db_get(r, i, "approved_at"), "retired_at",
		    ks_db_get(r, i, "retired_at")));
	return ks_reply(req, 200, json_pack("{s:s,s:o}", "date", v[0],
	    "items", items));
}

static int
packs_as_of(struct ks_request *req)
{
	return ks_rules_as_of(req, "code");
}

static int
resolve(struct ks_request *req)
{
	const char *v[2], *date = ks_query(req, "date");
	PGresult *r;

	v[0] = ks_query(req, "name");
	v[1] = date ? date : ks_today(req);
	if (v[0] == NULL || strlen(v[0]) > 63 || strlen(v[1]) != 10)
		return ks_fail(req, 400, "invalid_parameter",
		    "give name=<pack> and optionally date=YYYY-MM-DD");
	if ((r = ks_db_q(req, Q_RULE_RESOLVE, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 422, "rule_missing", "no approved rule "
		    "pack of this name is valid on that date");
	return ks_reply(req, 200, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "id", (json_int_t)ks_db_getll(r, 0, "id"), "name", ks_db_str(r, 0,
	    "name"), "version", ks_db_str(r, 0, "version"), "sha256",
	    ks_db_str(r, 0, "sha256"), "valid_from", ks_db_str(r, 0,
	    "valid_from"), "scope", scope_of(r),
	    "date", v[1]));
}

/*
 * The answer { output, pack } is written as text: the output goes from
 * Lua to JSON text directly, not through a tree that is dumped and freed
 * (a tenth of the route's CPU), and the provenance from the resolution's
 * columns (building and dumping its tree cost more than the rest of the
 * route's own code).
 */
#define OUT_KEY		"{\"output\":"
#define PACK_KEY	",\"pack\":"
#define PROV_CAP	512	/* what a provenance with rule data takes */

static int
evaluate(struct ks_request *req)
{
	const char *date = ks_body_str(req, "date"), *out;
	struct ks_buf prov = { malloc(PROV_CAP), 0, PROV_CAP }, *pb = &prov;
	size_t len;
	char *a;
	int rc;

	if (prov.p == NULL)
		abort();
	rc = ks_rules_eval_text(req, ks_body_str(req, "pack"), ks_body_str(req,
	    "function"), date ? date : ks_today(req), json_object_get(req->body,
	    "input"), &out, &len, pb);
	if (rc == KS_OK) {
		/* {"output":<out>,"pack":<pack>} in the request's arena */
		req->raw_len = sizeof(OUT_KEY) - 1 + len +
		    sizeof(PACK_KEY) - 1 + pb->len + 1;
		req->raw = a = ks_arena_alloc(req->arena, req->raw_len + 1);
		a = mempcpy(a, OUT_KEY, sizeof(OUT_KEY) - 1);
		a = mempcpy(a, out, len);
		a = mempcpy(a, PACK_KEY, sizeof(PACK_KEY) - 1);
		a = mempcpy(a, pb->p, pb->len);
		memcpy(a, "}", 2);
		req->ctype = "application/json";
	}
	free(prov.p);
	return rc;
}

static const struct ks_field pack_new[] = {
	{ "name", KS_F_SLUG, 1, 2, 63, "pack name, e.g. skos-budget" },
	{ "version", KS_F_STRING, 1, 1, 32, NULL },
	{ "valid_from", KS_F_DATE, 1, 0, 0, "in force from this date" },
	{ "source", KS_F_STRING, 1, 1, 256 * 1024, "Lua source" },
	{ "examples", KS_F_ARRAY, 0, 0, 200, "[{function, input, expected}]" },
	KS_FIELDS_END
};
static const struct ks_field pack_edit[] = {
	{ "valid_from", KS_F_DATE, 0, 0, 0, "in force from this date" },
	{ "source", KS_F_STRING, 1, 1, 256 * 1024, "Lua source" },
	{ "examples", KS_F_ARRAY, 0, 0, 200, "[{function, input, expected}]" },
	KS_FIELDS_END
};
static const struct ks_field dry_run[] = {
	{ "function", KS_F_STRING, 1, 1, 64, NULL },
	{ "input", KS_F_OBJECT, 1, 0, 0, NULL },
	{ "data", KS_F_OBJECT, 0, 0, 0, "rule data the code reads as DATA" },
	KS_FIELDS_END
};
static const struct ks_field review[] = {
	{ "comment", KS_F_STRING, 0, 0, 2000, NULL },
	KS_FIELDS_END
};
static const struct ks_field rejection[] = {
	{ "comment", KS_F_STRING, 1, 1, 2000, "why, for the author" },
	KS_FIELDS_END
};
static const struct ks_field eval_body[] = {
	{ "pack", KS_F_SLUG, 1, 2, 63, NULL },
	{ "function", KS_F_STRING, 1, 1, 64, NULL },
	{ "date", KS_F_DATE, 0, 0, 0, "default today" },
	{ "input", KS_F_OBJECT, 1, 0, 0, NULL },
	KS_FIELDS_END
};

#define RP	"/api/v1/admin/rule-packs"
#define CR	"canton.rules"

static const struct ks_route routes[] = {
	{ "GET", RP, CR, 0, NULL, 0, packs_list,
	    "versions of the canton's rule packs", NULL },
	{ "POST", RP, CR, 512 * 1024, pack_new, 0, pack_create,
	    "create a draft rule pack (compiled to check it)", NULL },
	{ "GET", RP "/as-of", CR, 0, NULL, 0, packs_as_of,
	    "the canton's packs in force on a date", NULL },
	{ "GET", RP "/{id}", CR, 0, NULL, 0, pack_show,
	    "a rule pack version with its source", NULL },
	{ "PUT", RP "/{id}", CR, 512 * 1024, pack_edit, KS_R_ETAG,
	    pack_update,
	    "edit a draft (If-Match); it becomes a draft again", NULL },
	{ "POST", RP "/{id}/submit", CR, 8192, review, 0, pack_submit,
	    "submit a tested pack for a second admin's approval", NULL },
	{ "POST", RP "/{id}/dry-run", CR, 256 * 1024, dry_run,
	    KS_R_READ | KS_R_LONG, pack_dry_run,
	    "evaluate a function of this version", NULL },
	{ "POST", RP "/{id}/test", CR, 0, NULL, 0, pack_test,
	    "run the pack's example cases; all pass: draft becomes tested",
	    NULL },
	{ "POST", RP "/{id}/approve", CR, 8192, review, 0, pack_approve,
	    "second canton admin approves a submitted pack", NULL },
	{ "POST", RP "/{id}/reject", CR, 8192, rejection, 0, pack_reject,
	    "second canton admin rejects with a comment", NULL },
	{ "POST", RP "/{id}/retire", CR, 0, NULL, 0, pack_retire,
	    "take an approved pack out of force", NULL },
	{ "GET", "/api/v1/rules/resolve", "rules.evaluate", 0, NULL, KS_R_PARK,
	    resolve, "which pack applies to the own tenant on a date", NULL },
	{ "POST", "/api/v1/rules/evaluate", "rules.evaluate", 256 * 1024,
	    eval_body, KS_R_READ, evaluate,
	    "evaluate a function of the pack in force on a date", NULL },
	KS_ROUTES_END
};

void
ks_rules_register(void)
{
	ks_router_add(routes, NULL);
}
