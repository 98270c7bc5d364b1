/*
 * rules_data.c - a social service's own rule data (rent ceilings per
 * municipality and household size, local benefits) within bounds the
 * canton sets.
 *
 * The canton's code pack of the same name reads the data as the global
 * DATA and declares the bounds: bounds(input) describes them for the
 * editor, validate(input) returns { violations = { ... } }, each naming
 * the bound it breaks. Input to both is { data = ..., municipalities =
 * the tenant's own }. A version in bounds is in force from its valid_from;
 * earlier versions stay, so what applied on any past date can be shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"

/* Call fn of the canton's pack name in force on date with the data. */
static int
canton_call(struct ks_request *req, const char *name, const char *fn,
    const char *date, json_t *data, json_t **out, json_t **prov)
{
	json_t *in, *m;
	int rc;

	if ((m = ks_served_municipalities(req)) == NULL)
		return KS_ERROR;
	in = json_pack("{s:O?,s:o}", "data", data, "municipalities", m);
	rc = ks_rules_eval_canton(req, name, fn, date, NULL, in, out, prov);
	json_decref(in);
	return rc;
}

/* The canton's verdict on data: a list of violations, empty when fine. */
static int
violations_of(struct ks_request *req, const char *name, const char *date,
    json_t *data, json_t **viol, json_t **prov)
{
	json_t *out;

	if (canton_call(req, name, "validate", date, data, &out, prov) !=
	    KS_OK)
		return KS_ERROR;
	*viol = json_incref(json_object_get(out, "violations"));
	json_decref(out);
	if (*viol == NULL)
		*viol = json_array();
	if (!json_is_array(*viol)) {
		json_decref(*viol);
		json_decref(*prov);
		return ks_fail(req, 422, "rule_error", "the canton's validate "
		    "must return { violations = { ... } }");
	}
	return KS_OK;
}

static const char *
name_param(struct ks_request *req)
{
	const char *n = ks_param(req, "name");

	if (n == NULL || strlen(n) < 2 || strlen(n) > 63 ||
	    strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(n)) {
		ks_fail(req, 404, "not_found", "no such rule pack");
		return NULL;
	}
	return n;
}

static json_t *
version_json(PGresult *r, int i)
{
	json_t *data = json_loads(ks_db_str(r, i, "source"), 0, NULL);
	json_t *j = ks_rules_pack_head(r, i);

	/* The author by name: author_name of rule_data_list. */
	json_object_update_new(j, json_pack("{s:o,s:o,s:s,s:s?,s:o}",
	    "data", data ? data : json_null(),
	    "author_id", ks_db_json_int(r, i, "author_id"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "comment", ks_db_get(r, i, "review_comment"),
	    "author_name", ks_db_json_str(r, i, "author_name")));
	return j;
}

/* Every version of the tenant's rule data, newest first per name. */
static int
data_list(struct ks_request *req)
{
	const char *kind = "data";
	PGresult *r;
	json_t *items;

	if ((r = ks_db_q(req, Q_RULE_DATA_LIST, 1, &kind)) == NULL)
		return KS_ERROR;
	items = ks_db_rows(r, version_json);
	return ks_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
	    "next"));
}

/* For the editor: the canton's bounds and the data in force on date. */
static int
data_bounds(struct ks_request *req)
{
	const char *name, *date, *v[2];
	json_t *out, *prov, *muni, *cur = json_null();
	PGresult *r;

	if ((name = name_param(req)) == NULL ||
	    (date = ks_query_date(req, "date")) == NULL)
		return KS_ERROR;
	if (canton_call(req, name, "bounds", date, NULL, &out, &prov) != KS_OK)
		return KS_ERROR;
	v[0] = name;
	v[1] = date;
	if ((r = ks_db_q(req, Q_RULE_RESOLVE_DATA, 2, v)) == NULL ||
	    (muni = ks_served_municipalities(req)) == NULL) {
		json_decref(out);
		json_decref(prov);
		return KS_ERROR;
	}
	if (PQntuples(r) == 1)
		cur = json_pack("{s:I,s:s,s:s,s:o?}", "id", (json_int_t)
		    ks_db_getll(r, 0, "id"), "version", ks_db_str(r, 0,
		    "version"), "valid_from", ks_db_str(r, 0, "valid_from"),
		    "data", json_loads(ks_db_str(r, 0, "source"), 0, NULL));
	return ks_reply(req, 200, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}",
	    "name", name, "date", date, "bounds", out, "pack", prov,
	    "municipalities", muni, "current", cur));
}

/* Check data against the bounds without saving (the editor, live). */
static int
data_check(struct ks_request *req)
{
	const char *name;
	json_t *viol, *prov;

	if ((name = name_param(req)) == NULL)
		return KS_ERROR;
	if (violations_of(req, name, ks_body_str(req, "valid_from"),
	    json_object_get(req->body, "data"), &viol, &prov) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 200, json_pack("{s:b,s:o,s:o}", "ok",
	    json_array_size(viol) == 0, "violations", viol, "pack", prov));
}

/* Save a new version in force from valid_from, when it is in bounds. */
static int
data_save(struct ks_request *req)
{
	const char *name, *v[11];
	json_t *viol, *prov, *data = json_object_get(req->body, "data");
	char sha[65], *text;
	PGresult *r;

	if ((name = name_param(req)) == NULL)
		return KS_ERROR;
	v[2] = ks_body_str(req, "valid_from");
	if (violations_of(req, name, v[2], data, &viol, &prov) != KS_OK)
		return KS_ERROR;
	if (json_array_size(viol) > 0) {
		json_decref(prov);
		return ks_fail_detail(req, 422, "rule_bounds", "some values "
		    "are outside the bounds the canton set; each is named "
		    "with its bound", json_pack("{s:o}", "violations", viol));
	}
	json_decref(viol);
	/* Sorted and compact: the same data has the same checksum. */
	text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	v[3] = ks_arena_strdup(req->arena, text);
	free(text);
	ks_sha256_hex(v[3], strlen(v[3]), sha);
	v[0] = name;
	if ((r = ks_db_q(req, Q_RULE_DATA_VERSIONS, 1, v)) == NULL) {
		json_decref(prov);
		return KS_ERROR;
	}
	v[1] = ks_arena_printf(req->arena, "%s.%lld", v[2],
	    ks_db_getll(r, 0, "versions") + 1);
	v[4] = sha;
	v[5] = "[]";
	v[6] = ks_arena_printf(req->arena, "%lld", (long long)req->who.user_id);
	v[7] = "approved";
	v[8] = NULL;
	v[9] = "data";
	v[10] = ks_body_str(req, "comment");
	if ((r = ks_db_q(req, Q_RULE_INSERT, 11, v)) == NULL ||
	    ks_audit(req, "rule_data_saved", "rule_pack", ks_db_str(r, 0, "id"),
	    NULL, json_pack("{s:O}", "data", data), json_pack("{s:s,s:s,s:s,"
	    "s:s,s:O,s:s?}", "name", name, "version", v[1], "valid_from", v[2],
	    "sha256", sha, "bounds_pack", prov, "comment", ks_body_str(req,
	    "comment"))) != KS_OK) {
		json_decref(prov);
		return KS_ERROR;
	}
	/* In force from valid_from: resolutions kept anywhere are stale. */
	ks_rules_announce(req, sha);
	return ks_reply(req, 201, json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id"), "name", name, "version", v[1],
	    "valid_from", v[2], "sha256", sha, "bounds_pack", prov));
}

static int
data_as_of(struct ks_request *req)
{
	return ks_rules_as_of(req, "data");
}

static const struct ks_field check_body[] = {
	{ "valid_from", KS_F_DATE, 1, 0, 0, "in force from this date" },
	{ "data", KS_F_OBJECT, 1, 0, 0, "the rule data, as the canton's "
	    "bounds() describe it" },
	KS_FIELDS_END
};
static const struct ks_field save_body[] = {
	{ "valid_from", KS_F_DATE, 1, 0, 0, "in force from this date" },
	{ "data", KS_F_OBJECT, 1, 0, 0, "the rule data" },
	{ "comment", KS_F_STRING, 0, 0, 2000, "why, for the audit log" },
	KS_FIELDS_END
};

#define RD	"/api/v1/rule-data"
#define P	"rules.data"

static const struct ks_route routes[] = {
	{ "GET", RD, P, 0, NULL, 0, data_list,
	    "every version of the own social service's rule data", NULL },
	{ "GET", RD "/as-of", P, 0, NULL, 0, data_as_of,
	    "the own rule data in force on a date", NULL },
	{ "GET", RD "/{name}/bounds", P, 0, NULL, 0, data_bounds,
	    "the canton's bounds and the data in force, for the editor", NULL },
	{ "POST", RD "/{name}/check", P, 256 * 1024, check_body,
	    KS_R_READ | KS_R_LONG, data_check,
	    "check rule data against the canton's bounds", NULL },
	{ "POST", RD "/{name}", P, 256 * 1024, save_body, 0, data_save,
	    "save rule data in force from valid_from, within the bounds",
	    NULL },
	KS_ROUTES_END
};

void
ks_rules_data_register(void)
{
	ks_router_add(routes, NULL);
}
