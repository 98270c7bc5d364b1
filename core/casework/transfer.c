/*
 * transfer.c - a dossier follows its client to another social service.
 *
 * When a person moves, the sending tenant closes the dossier as moved and
 * the receiving tenant gets a new dossier in registration with the
 * household's current members and the documents the sender selected. It
 * is one transaction under row-level security: first as the sender, then
 * with the tenant setting switched to the receiver. AHV numbers are opened
 * with the sender's key and sealed again with the receiver's; a person the
 * receiver already knows by AHV number is reused, not copied. Both audit
 * chains record the transfer. The sender's open deadlines end with the
 * dossier; the receiver's new dossier has nobody assigned, so it shows in
 * the unassigned list of the receiver's team leads. Transferring closes
 * a versioned record: If-Match is the dossier's ETag. The new dossier
 * is of the same kind, in its initial state; the kind's transfer hook
 * then moves the module's own data in the same transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "casework/casework.h"
#include "lib/datakey.h"
#include "queries.h"

#define MAX_MEMBERS	20
#define MAX_DOCS	50
#define NCOL		18	/* person columns in xfer_members */

struct member {
	const char	*f[NCOL];	/* person columns as in xfer_members */
	const char	*ahv;		/* opened AHV number or NULL */
	const char	*role;
};

static const char *
col(struct ks_request *req, PGresult *r, int row, const char *c)
{
	return ks_db_isnull(r, row, c) ? NULL :
	    ks_arena_strdup(req->arena, ks_db_str(r, row, c));
}

/* The person columns of xfer_members, in the order of member.f. */
static const char *const mcols[NCOL] = { "id", "last_name", "first_name",
	"birth_date", "sex", "ahv_enc", "nationality", "permit", "street",
	"house_no", "postcode", "town", "country", "phone", "email",
	"language", "iban", "civil_status" };

/* Read the household's members as the sender, opening AHV numbers. */
static int
read_members(struct ks_request *req, const char *household,
    struct member *m, int *n)
{
	PGresult *r;
	int i, c;
	char *plain;

	if ((r = ks_db_q(req, Q_XFER_MEMBERS, 1, &household)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0 || PQntuples(r) > MAX_MEMBERS)
		return ks_fail(req, 409, "household_empty", "the household has "
		    "no current members to transfer");
	for (i = 0; i < PQntuples(r); i++) {
		for (c = 0; c < NCOL; c++)
			m[i].f[c] = col(req, r, i, mcols[c]);
		m[i].role = col(req, r, i, "role");
		m[i].ahv = NULL;
		if (m[i].f[5] != NULL) {
			if (ks_datakey_decrypt(req, m[i].f[5], &plain) != KS_OK)
				return KS_ERROR;
			m[i].ahv = plain;
		}
	}
	*n = PQntuples(r);
	return KS_OK;
}

/* Create (or find by AHV) each member as the receiver; ids into out. */
static int
write_members(struct ks_request *req, struct member *m, int n,
    const char **out)
{
	const char *v[NCOL], *hash, *sealed;
	PGresult *r;
	int i, c;

	for (i = 0; i < n; i++) {
		hash = sealed = NULL;
		if (m[i].ahv != NULL) {
			if (ks_datakey_hash(req, m[i].ahv, 1, &hash) != KS_OK)
				return KS_ERROR;
			if ((r = ks_db_q(req, Q_XFER_PERSON_BY_AHV, 1,
			    &hash)) == NULL)
				return KS_ERROR;
			if (PQntuples(r) == 1) {
				out[i] = col(req, r, 0, "id");
				continue;
			}
			if (ks_datakey_encrypt(req, m[i].ahv, &sealed) != KS_OK)
				return KS_ERROR;
		}
		/* last, first, birth, sex, then the columns after ahv_enc */
		for (c = 0; c < 4; c++)
			v[c] = m[i].f[1 + c];
		v[4] = sealed;
		v[5] = hash;
		for (c = 6; c < NCOL; c++)
			v[c] = m[i].f[c];
		if ((r = ks_db_q(req, Q_XFER_PERSON_INSERT, NCOL, v)) == NULL)
			return KS_ERROR;
		out[i] = col(req, r, 0, "id");
	}
	return KS_OK;
}

static int
check_target(struct ks_request *req, const char *slug, const char *bfs,
    const char *module, int64_t *tid)
{
	PGresult *r;

	if ((r = ks_db_q(req, Q_XFER_TARGET, 1, &slug)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1 || strcmp(ks_db_str(r, 0, "kind"),
	    "social_service") != 0 || strcmp(ks_db_str(r, 0, "active"),
	    "t") != 0)
		return ks_fail_detail(req, 400, "invalid_value", "no active "
		    "social service with this name", json_pack("{s:s}",
		    "field", "to_tenant"));
	*tid = ks_db_getll(r, 0, "id");
	if (*tid == req->who.tenant_id)
		return ks_fail_detail(req, 400, "invalid_value", "a dossier is "
		    "transferred to another social service", json_pack("{s:s}",
		    "field", "to_tenant"));
	if (ks_db_set_tenant(req, *tid) != KS_OK ||
	    (r = ks_db_q(req, Q_XFER_SERVES, 1, &bfs)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0)
		return ks_fail_detail(req, 400, "invalid_value", "the "
		    "receiving service does not serve that municipality",
		    json_pack("{s:s}", "field", "municipality_bfs"));
	if ((r = ks_db_q(req, Q_XFER_MODULE_ON, 1, &module)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0)
		return ks_fail(req, 409, "module_off", "the receiving service "
		    "does not work with this kind of dossier yet");
	return KS_OK;
}

struct hook_call {
	struct ks_request		*req;
	const struct ks_dossier_kind	*k;
	int64_t				 from, from_tenant, to, to_tenant;
};

static int
transfer_hook(void *p)
{
	struct hook_call *c = p;

	return c->k->transfer(c->req, c->from, c->from_tenant, c->to,
	    c->to_tenant);
}

static int
transfer(struct ks_request *req)
{
	struct member m[MAX_MEMBERS];
	json_t *docs = json_object_get(req->body, "document_ids"), *e;
	const char *v[8], *ids[MAX_MEMBERS], *slug, *from_slug, *bfs, *number;
	const struct ks_dossier_kind *kind;
	PGresult *d, *r, *dr[MAX_DOCS];
	unsigned char *bytes[MAX_DOCS];
	size_t blen[MAX_DOCS];
	int64_t id, tid = 0;
	int n = 0, i, applicant = 0;
	size_t k;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	if (json_array_size(docs) > MAX_DOCS)
		return ks_fail(req, 400, "invalid_length", "at most 50 "
		    "documents are transferred");
	/* Handing a dossier over changes it: its team's decision. */
	if (ks_access_dossier(req, id, KS_ACCESS_WRITE) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((d = ks_db_q(req, Q_XFER_DOSSIER, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(d) != 1)
		return ks_fail(req, 404, "not_found", "no such dossier");
	kind = ks_module_kind(ks_db_str(d, 0, "module"),
	    ks_db_str(d, 0, "kind"));
	if (ks_check_etag(req, ks_db_getll(d, 0, "version"),
	    json_pack("{s:I,s:s,s:s,"
	    "s:I}", "id", (json_int_t)id, "number", ks_db_str(d, 0, "number"),
	    "state", ks_db_str(d, 0, "state"), "version",
	    (json_int_t)ks_db_getll(d, 0, "version"))) != KS_OK)
		return KS_ERROR;
	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0)
		return ks_fail(req, 409, "dossier_closed", "a closed dossier "
		    "is not transferred");
	/* Everything of the sender is read before switching tenants. */
	if (read_members(req, ks_db_str(d, 0, "household_id"), m, &n) != KS_OK)
		return KS_ERROR;
	json_array_foreach(docs, k, e) {
		v[0] = ks_num(req, json_integer_value(e));
		v[1] = ks_num(req, id);
		if (!json_is_integer(e) ||
		    (dr[k] = ks_db_q(req, Q_XFER_DOCUMENT, 2, v)) == NULL)
			return req->err.code ? KS_ERROR : ks_fail(req, 400,
			    "invalid_value", "document ids are numbers");
		if (PQntuples(dr[k]) != 1)
			return ks_fail_detail(req, 400, "invalid_value", "a "
			    "document is not part of this dossier", json_pack(
			    "{s:O}", "document_id", e));
		/* Opened with the sender's dossier key, sealed again below
		   under the receiver's. */
		if (ks_document_get(req, v[0], &bytes[k], &blen[k]) != KS_OK)
			return KS_ERROR;
	}
	if ((r = ks_db_q(req, Q_XFER_TENANT_SLUG, 0, NULL)) == NULL)
		return KS_ERROR;
	from_slug = col(req, r, 0, "slug");
	slug = ks_body_str(req, "to_tenant");
	bfs = ks_num(req, json_integer_value(json_object_get(req->body,
	    "municipality_bfs")));
	v[0] = ks_num(req, id);
	v[1] = ks_db_str(d, 0, "version");
	if ((r = ks_db_q(req, Q_XFER_CLOSE, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "conflict", "the dossier changed "
		    "meanwhile; reload it");
	v[1] = ks_db_str(d, 0, "state");
	v[2] = "closed";
	v[3] = ks_arena_printf(req->arena, "%s", slug);
	v[4] = ks_num(req, req->who.user_id);
	v[5] = "transferred_out";
	if (ks_db_q(req, Q_XFER_TRANSITION, 6, v) == NULL ||
	    ks_db_q(req, Q_XFER_CLOSE_DEADLINES, 1, v) == NULL ||
	    ks_audit(req, "dossier_transferred_out", "dossier", v[0], NULL,
	    NULL, json_pack("{s:s,s:s,s:I}", "to_tenant", slug,
	    "municipality_bfs", bfs, "documents",
	    (json_int_t)json_array_size(docs))) != KS_OK)
		return KS_ERROR;

	/* Now as the receiver. */
	if (check_target(req, slug, bfs, ks_db_str(d, 0, "module"),
	    &tid) != KS_OK ||
	    write_members(req, m, n, ids) != KS_OK)
		return KS_ERROR;
	for (i = 0; i < n; i++)
		if (strcmp(m[i].f[0], ks_db_str(d, 0, "applicant_id")) == 0)
			applicant = i;
	v[0] = ks_arena_printf(req->arena, "%s %s", m[applicant].f[1],
	    m[applicant].f[2]);
	if ((r = ks_db_q(req, Q_XFER_HOUSEHOLD, 1, v)) == NULL)
		return KS_ERROR;
	v[0] = col(req, r, 0, "id");
	for (i = 0; i < n; i++) {
		v[1] = ids[i];
		v[2] = m[i].role;
		if (ks_db_q(req, Q_XFER_MEMBER, 3, v) == NULL)
			return KS_ERROR;
	}
	v[1] = v[0];
	v[0] = ks_db_str(d, 0, "module");
	v[2] = ids[applicant];
	v[3] = bfs;
	v[4] = ks_arena_printf(req->arena, "%s/%lld", from_slug, (long long)id);
	/* A kind no module serves now starts like Sozialhilfe's did. */
	v[5] = kind != NULL ? kind->initial : "registration";
	v[6] = kind != NULL ? kind->code : ks_db_str(d, 0, "kind");
	if ((r = ks_db_q(req, Q_XFER_NEW_DOSSIER, 7, v)) == NULL)
		return KS_ERROR;
	v[0] = col(req, r, 0, "id");
	number = col(req, r, 0, "number");
	json_array_foreach(docs, k, e) {
		const char *dv[7] = { v[0], ks_db_str(dr[k], 0, "category"),
		    ks_db_str(dr[k], 0, "title"), ks_db_str(dr[k], 0, "mime"),
		    ks_db_str(dr[k], 0, "size"), ks_db_str(dr[k], 0, "sha256"),
		    ks_num(req, req->who.user_id) };
		if ((r = ks_db_q(req, Q_XFER_DOC_INSERT, 7, dv)) == NULL ||
		    ks_document_put(req, col(req, r, 0, "id"), bytes[k],
		    blen[k]) != KS_OK)
			return KS_ERROR;
	}
	v[1] = "";
	v[2] = v[5];
	v[3] = v[4];
	v[4] = ks_num(req, req->who.user_id);
	v[5] = "transferred_in";
	if (ks_db_q(req, Q_XFER_TRANSITION, 6, v) == NULL ||
	    ks_audit(req, "dossier_transferred_in", "dossier", v[0], NULL,
	    NULL, json_pack("{s:s,s:I}", "from", v[3], "documents",
	    (json_int_t)json_array_size(docs))) != KS_OK)
		return KS_ERROR;
	/* The module moves its own data, in this transaction. */
	if (kind != NULL && kind->transfer != NULL) {
		struct hook_call c = { req, kind, id, req->who.tenant_id,
		    atoll(v[0]), tid };

		if (ks_case_hook(req, ks_module_of_kind(kind), transfer_hook,
		    &c) != KS_OK)
			return KS_ERROR;
	}
	return ks_reply(req, 201, json_pack("{s:{s:s?,s:I,s:s,s:s},"
	    "s:{s:s,s:I,s:s?}}", "from", "tenant", from_slug, "dossier_id",
	    (json_int_t)id, "number", ks_db_str(d, 0, "number"), "state",
	    "closed",
	    "to", "tenant", slug, "dossier_id", (json_int_t)atoll(v[0]),
	    "number", number));
}

/*
 * Where a dossier can go: the other active social services that work
 * with its module, each with the municipalities it serves (read under
 * each receiver's tenant setting; which service serves a municipality is
 * no secret).
 */
static int
targets(struct ks_request *req)
{
	const char *v[1];
	PGresult *d, *t, *m, *on;
	json_t *items = json_array(), *munis;
	int64_t id;
	int i, j;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    ks_access_dossier(req, id, KS_ACCESS_READ) == NULL) {
		json_decref(items);
		return KS_ERROR;
	}
	v[0] = ks_num(req, id);
	if ((d = ks_db_q(req, Q_XFER_DOSSIER, 1, v)) == NULL ||
	    PQntuples(d) != 1) {
		json_decref(items);
		return d == NULL ? KS_ERROR : ks_fail(req, 404, "not_found",
		    "no such dossier");
	}
	v[0] = ks_num(req, req->who.tenant_id);
	if ((t = ks_db_q(req, Q_XFER_TENANTS, 1, v)) == NULL) {
		json_decref(items);
		return KS_ERROR;
	}
	for (i = 0; i < PQntuples(t); i++) {
		v[0] = ks_db_str(d, 0, "module");
		if (ks_db_set_tenant(req, ks_db_getll(t, i, "id")) != KS_OK ||
		    (on = ks_db_q(req, Q_XFER_MODULE_ON, 1, v)) == NULL ||
		    (m = ks_db_q(req, Q_XFER_TENANT_MUNIS, 0, NULL)) == NULL) {
			json_decref(items);
			return KS_ERROR;
		}
		if (PQntuples(on) == 0 || PQntuples(m) == 0)
			continue;
		munis = json_array();
		for (j = 0; j < PQntuples(m); j++)
			json_array_append_new(munis, json_pack("{s:i,s:s}",
			    "bfs", atoi(ks_db_str(m, j, "bfs")), "name",
			    ks_db_str(m, j, "name")));
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:o}",
		    "slug", ks_db_str(t, i, "slug"), "name", ks_db_str(t, i,
		    "name"), "language", ks_db_str(t, i, "language"),
		    "municipalities", munis));
	}
	if (ks_db_set_tenant(req, req->who.tenant_id) != KS_OK) {
		json_decref(items);
		return KS_ERROR;
	}
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static const struct ks_field transfer_body[] = {
	{ "to_tenant", KS_F_SLUG, 1, 2, 63, "the receiving social service" },
	{ "municipality_bfs", KS_F_INT, 1, 1, 9999,
	    "the new responsible municipality" },
	{ "document_ids", KS_F_ARRAY, 0, 0, 50, "documents to send along" },
	KS_FIELDS_END
};

static const struct ks_route routes[] = {
	{ "POST", "/api/v1/cases/{id}/transfer", "case.write", 4096,
	    transfer_body, KS_R_ETAG, transfer, "hand the dossier to the "
	    "social service of the client's new municipality (If-Match)" },
	{ "GET", "/api/v1/cases/{id}/transfer", "case.write", 0, NULL, 0,
	    targets, "the social services a dossier can go to, with the "
	    "municipalities they serve" },
	KS_ROUTES_END
};

void
ks_transfer_register(void)
{
	ks_router_add(routes, NULL);
}
