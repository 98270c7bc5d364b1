/*
 * checklist.c - a dossier's checklist: the items its kind declares
 * (struct ks_checklist_item: documents to collect, steps to take), when
 * each was received, and what is still missing of the required ones. A
 * kind with checklist_before cannot enter that state while a required
 * item is missing (409 checklist_incomplete). The checklist is one
 * record with a version (If-Match; "0" before its first save).
 */
#include <string.h>

#include "kasus.h"
#include "casework/casework.h"
#include "queries.h"

/* The required items of kind k not received for dossier id. */
static json_t *
missing(struct ks_request *req, const struct ks_dossier_kind *k, int64_t id,
    int *err)
{
	const struct ks_checklist_item *c;
	const char *v[1] = { ks_num(req, id) };
	PGresult *r = ks_db_q(req, Q_CASE_CHECKLIST_GET, 1, v);
	json_t *miss = json_array();
	int j, got;

	*err = r == NULL;
	for (c = k->checklist; c != NULL && c->code != NULL; c++) {
		if (!c->required)
			continue;
		got = 0;
		for (j = 0; r != NULL && j < PQntuples(r); j++)
			if (!ks_db_isnull(r, j, "received_on") &&
			    strcmp(ks_db_str(r, j, "code"), c->code) == 0)
				got = 1;
		if (!got)
			json_array_append_new(miss, json_string(c->code));
	}
	return miss;
}

/* The kind of dossier id, or NULL with 404 set. */
static const struct ks_dossier_kind *
kind_of(struct ks_request *req, int64_t id)
{
	PGresult *r;

	if ((r = ks_case_load(req, id, KS_ACCESS_READ)) == NULL)
		return NULL;
	return ks_case_kind(r, 0);
}

json_t *
ks_checklist_missing(struct ks_request *req, int64_t id)
{
	const struct ks_dossier_kind *k;
	json_t *m;
	int err;

	if ((k = kind_of(req, id)) == NULL)
		return NULL;
	m = missing(req, k, id, &err);
	if (err) {
		json_decref(m);
		return NULL;
	}
	return m;
}

int
ks_checklist_complete(struct ks_request *req,
    const struct ks_dossier_kind *k, int64_t id)
{
	int err;
	json_t *miss = missing(req, k, id, &err);

	if (err) {
		json_decref(miss);
		return KS_ERROR;
	}
	if (json_array_size(miss) > 0)
		return ks_fail_detail(req, 409, "checklist_incomplete",
		    "required items of the checklist are missing",
		    json_pack("{s:o}", "missing", miss));
	json_decref(miss);
	return KS_OK;
}

/* The checklist's version; 0 before its first save. */
static long long
version(struct ks_request *req, int64_t id, int *err)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r = ks_db_q(req, Q_CASE_CHECKLIST_VERSION, 1, v);

	*err = r == NULL;
	return r != NULL && PQntuples(r) == 1 ? ks_db_getll(r, 0, "version") :
	    0;
}

static json_t *
checklist_json(struct ks_request *req, const struct ks_dossier_kind *k,
    int64_t id, long long ver)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r = ks_db_q(req, Q_CASE_CHECKLIST_GET, 1, v);
	json_t *items = json_array();
	int i, err;

	for (i = 0; r != NULL && i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:s,s:s?,s:s?}",
		    "code", ks_db_str(r, i, "code"), "received_on",
		    ks_db_get(r, i, "received_on"), "note",
		    ks_db_get(r, i, "note")));
	return json_pack("{s:o,s:o,s:I}", "items", items, "missing",
	    missing(req, k, id, &err), "version", (json_int_t)ver);
}

/* The dossier {id} and its kind, which must have a checklist. */
static const struct ks_dossier_kind *
load(struct ks_request *req, int64_t *id)
{
	const struct ks_dossier_kind *k;
	PGresult *r;

	if ((r = ks_case_param(req, id)) == NULL)
		return NULL;
	if ((k = ks_case_kind(r, 0)) == NULL || k->checklist == NULL) {
		ks_fail(req, 404, "not_found", "this kind of dossier has no "
		    "checklist");
		return NULL;
	}
	return k;
}

static int
checklist_show(struct ks_request *req)
{
	const struct ks_dossier_kind *k;
	long long ver;
	int64_t id;
	int e;

	if ((k = load(req, &id)) == NULL)
		return KS_ERROR;
	ver = version(req, id, &e);
	if (e)
		return KS_ERROR;
	ks_set_etag(req, ver);
	return ks_reply(req, 200, checklist_json(req, k, id, ver));
}

static int
known_item(const struct ks_dossier_kind *k, const char *code)
{
	const struct ks_checklist_item *c;

	for (c = k->checklist; code != NULL && c->code != NULL; c++)
		if (strcmp(c->code, code) == 0)
			return 1;
	return 0;
}

/* The items of a checklist body, checked before anything is written. */
static int
items_ok(struct ks_request *req, const struct ks_dossier_kind *k,
    json_t *items)
{
	json_t *e, *rc, *note;
	size_t i;

	json_array_foreach(items, i, e) {
		rc = json_object_get(e, "received_on");
		note = json_object_get(e, "note");
		if (!json_is_object(e) || !known_item(k, json_string_value(
		    json_object_get(e, "code"))) ||
		    (rc != NULL && !json_is_null(rc) && !json_is_string(rc)) ||
		    (note != NULL && !json_is_null(note) &&
		    !json_is_string(note)))
			return ks_fail_detail(req, 400, "invalid_value",
			    "each item needs a known code and a received_on "
			    "date or null", json_pack("{s:s,s:I}", "field",
			    "items", "index", (json_int_t)i));
	}
	return KS_OK;
}

struct saved {
	struct ks_request		*req;
	const struct ks_dossier_kind	*k;
	int64_t				 id;
	json_t				*missing;
};

static int
saved_hook(void *p)
{
	struct saved *s = p;

	return s->k->on_checklist(s->req, s->id, s->missing);
}

static int
checklist_put(struct ks_request *req)
{
	json_t *items = json_object_get(req->body, "items"), *e;
	const struct ks_dossier_kind *k;
	struct saved s;
	const char *v[4];
	long long ver;
	PGresult *r;
	int64_t id;
	size_t i;
	int err;

	if ((k = load(req, &id)) == NULL)
		return KS_ERROR;
	ver = version(req, id, &err);
	if (err || ks_check_etag(req, ver, checklist_json(req, k, id,
	    ver)) != KS_OK || items_ok(req, k, items) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = ks_num(req, req->who.user_id);
	v[2] = ks_num(req, ver);
	if ((r = ks_db_q(req, ver == 0 ? Q_CASE_CHECKLIST_FIRST :
	    Q_CASE_CHECKLIST_BUMP, ver == 0 ? 2 : 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		/* Someone saved it in between. */
		ver = version(req, id, &err);
		ks_set_etag(req, ver);
		return err ? KS_ERROR : ks_fail_detail(req, 409, "conflict",
		    "someone else saved this checklist; review it and apply "
		    "your change again", json_pack("{s:o}", "current",
		    checklist_json(req, k, id, ver)));
	}
	ver = ks_db_getll(r, 0, "version");
	json_array_foreach(items, i, e) {
		v[0] = ks_num(req, id);
		v[1] = json_string_value(json_object_get(e, "code"));
		v[2] = json_string_value(json_object_get(e, "received_on"));
		v[3] = json_string_value(json_object_get(e, "note"));
		if (ks_db_q(req, Q_CASE_CHECKLIST_SET, 4, v) == NULL)
			return KS_ERROR;
	}
	if (k->on_checklist != NULL) {
		s.req = req;
		s.k = k;
		s.id = id;
		s.missing = missing(req, k, id, &err);
		err = err || ks_case_hook(req, ks_module_of_kind(k), saved_hook,
		    &s) != KS_OK;
		json_decref(s.missing);
		if (err)
			return KS_ERROR;
	}
	if (ks_audit(req, "checklist_changed", "dossier", ks_num(req, id),
	    NULL, json_incref(items), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ver);
	return ks_reply(req, 200, checklist_json(req, k, id, ver));
}

static const struct ks_field checklist_body[] = {
	{ "items", KS_F_ARRAY, 1, 0, 20, "[{code, received_on, note}]: "
	    "codes of the dossier kind's checklist" },
	KS_FIELDS_END
};

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/cases/{id}/checklist", "case.read", 0, NULL,
	    KS_R_CASEWORK | KS_R_AUDIT, checklist_show,
	    "the dossier's checklist and what is missing", NULL },
	{ "PUT", "/api/v1/cases/{id}/checklist", "case.write", 16 * 1024,
	    checklist_body, KS_R_CASEWORK | KS_R_ETAG, checklist_put,
	    "record received items (If-Match: the checklist's ETag)", NULL },
	KS_ROUTES_END
};

void
ks_checklist_register(void)
{
	ks_router_add(routes, NULL);
}
