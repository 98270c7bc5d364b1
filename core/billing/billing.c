/*
 * billing.c - the canton shares the platform's costs with the social
 * services, and runs the burden-sharing report (Lastenausgleich).
 *
 * The canton records costs per period and phase and the figures the keys
 * use; the Lua pack cost-allocation (in force on the period's last day)
 * splits them. A run keeps the pack version, its input and its output:
 * a new key makes a new run, and an old run stays explained by its own
 * version. The core checks that the shares add up to the costs to the
 * Rappen whatever the pack says. Invoices (invoice.c) are made from runs.
 * The burden-sharing report reads each social service's eligible costs
 * as sums per municipality (kasus_eligible_costs) under that service's
 * own tenant: no person-level row reaches the canton.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "billing/billing.h"
#include "kasus/iso20022.h"
#include "queries.h"

static const char *const PHASES[] = { "project", "operation", "development",
    "migration", NULL };

PGresult *
ks_bill_period(struct ks_request *req)
{
	return ks_param_row(req, "id", Q_BILL_PERIOD_GET, "billing period");
}

/* ------------------------------------------------------------ creditor */

static json_t *
creditor_json(PGresult *r)
{
	return json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:s,s:s}", "name",
	    ks_db_str(r, 0, "name"), "street", ks_db_get(r, 0, "street"),
	    "building", ks_db_get(r, 0, "building"), "postcode",
	    ks_db_str(r, 0, "postcode"), "town", ks_db_str(r, 0, "town"),
	    "country", ks_db_str(r, 0, "country"), "iban",
	    ks_db_str(r, 0, "iban"));
}

static int
creditor_get(struct ks_request *req)
{
	PGresult *r;
	json_t *j;

	if ((r = ks_db_q(req, Q_BILL_CREDITOR_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no creditor recorded "
		    "for the canton's invoices yet");
	ks_set_etag(req, ks_db_getll(r, 0, "row_version"));
	j = creditor_json(r);
	json_object_set_new(j, "row_version", json_integer(ks_db_getll(r, 0,
	    "row_version")));
	return ks_reply(req, 200, j);
}

/* An IBAN as stored: upper case, no spaces; NULL unless CH/LI and valid. */
static const char *
iban_norm(struct ks_request *req, const char *in)
{
	char *o = ks_arena_alloc(req->arena, KS_IBAN_BUFLEN);

	if (ks_iban_valid(in, o, KS_IBAN_BUFLEN) != 1 ||
	    (strncmp(o, "CH", 2) != 0 && strncmp(o, "LI", 2) != 0))
		return NULL;
	return o;
}

/* An address part a QR-bill can carry: the SPS character set only. */
static int
qr_text_ok(struct ks_request *req, const char *field)
{
	const unsigned char *p = (const unsigned char *)ks_body_str(req, field);
	uint32_t c;

	while (p != NULL && *p != '\0')
		if (ks_utf8_next(&p, &c) == -1 || !ks_sps_allowed(c))
			return ks_fail_detail(req, 400, "invalid_value", "a "
			    "character here cannot go on a QR-bill (Swiss "
			    "Payment Standards Latin set)", json_pack("{s:s}",
			    "field", field));
	return KS_OK;
}

/* Every part of the body's address fits on a QR-bill. */
static int
qr_address_ok(struct ks_request *req)
{
	static const char *const parts[] = { "name", "street", "building",
	    "postcode", "town", "country" };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (qr_text_ok(req, parts[i]) != KS_OK)
			return KS_ERROR;
	return KS_OK;
}

static int
creditor_put(struct ks_request *req)
{
	const char *v[8];
	PGresult *r;

	if ((r = ks_db_q(req, Q_BILL_CREDITOR_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	if ((PQntuples(r) == 1 && ks_check_etag(req, ks_db_getll(r, 0,
	    "row_version"),
	    creditor_json(r)) != KS_OK) || qr_address_ok(req) != KS_OK)
		return KS_ERROR;
	if ((v[6] = iban_norm(req, ks_body_str(req, "iban"))) == NULL)
		return ks_fail_detail(req, 400, "invalid_value", "the account "
		    "must be a valid Swiss or Liechtenstein IBAN or QR-IBAN",
		    json_pack("{s:s}", "field", "iban"));
	v[0] = ks_body_str(req, "name");
	v[1] = ks_body_str(req, "street");
	v[2] = ks_body_str(req, "building");
	v[3] = ks_body_str(req, "postcode");
	v[4] = ks_body_str(req, "town");
	v[5] = ks_body_str(req, "country");
	v[7] = PQntuples(r) == 1 ? ks_db_str(r, 0, "row_version") : NULL;
	if ((r = ks_db_q(req, Q_BILL_CREDITOR_PUT, 8, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "conflict", "someone else changed the "
		    "creditor meanwhile; reload it");
	if (ks_audit(req, "billing_creditor_changed", "billing_creditor",
	    "canton", NULL, json_pack("{s:s,s:s,s:s}", "name", v[0], "town",
	    v[4], "iban", v[6]), NULL) != KS_OK)
		return KS_ERROR;
	return creditor_get(req);
}

static json_t *address_json(PGresult *, int);

static int
addresses_list(struct ks_request *req)
{
	PGresult *r;
	json_t *items;
	int i;

	if ((r = ks_db_q(req, Q_BILL_ADDRESSES, 0, NULL)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s,s:o,"
		    "s:I}", "tenant_id", (json_int_t)ks_db_getll(r, i, "id"),
		    "slug", ks_db_str(r, i, "slug"), "name", ks_db_str(r, i,
		    "name"), "language", ks_db_str(r, i, "language"),
		    "address", address_json(r, i), "row_version", (json_int_t)
		    ks_db_getll(r, i, "row_version")));
	return ks_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
	    "next"));
}

/*
 * A social service's address, If-Match on its version (0 while there is
 * none): the answer of a stale change names the address as it is now.
 */
static int
address_put(struct ks_request *req)
{
	const char *v[8];
	PGresult *r;
	long long version;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_BILL_IS_SOCIAL_SERVICE, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no such social service");
	if ((r = ks_db_q(req, Q_BILL_ADDRESS_GET, 1, v)) == NULL)
		return KS_ERROR;
	version = PQntuples(r) == 1 ? ks_db_getll(r, 0, "row_version") : 0;
	if (ks_check_etag(req, version, PQntuples(r) == 1 ?
	    address_json(r, 0) : json_null()) != KS_OK ||
	    qr_address_ok(req) != KS_OK)
		return KS_ERROR;
	v[7] = ks_num(req, version);
	v[1] = ks_body_str(req, "name");
	v[2] = ks_body_str(req, "street");
	v[3] = ks_body_str(req, "building");
	v[4] = ks_body_str(req, "postcode");
	v[5] = ks_body_str(req, "town");
	v[6] = ks_body_str(req, "country");
	if ((r = version == 0 ? ks_db_q(req, Q_BILL_ADDRESS_INSERT, 7, v) :
	    ks_db_q(req, Q_BILL_ADDRESS_UPDATE, 8, v)) == NULL)
		return KS_ERROR;
	/* The row lock above makes this the rare race of two first entries. */
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "conflict", "someone else entered the "
		    "address meanwhile; reload it");
	version = ks_db_getll(r, 0, "row_version");
	if (ks_audit(req, "billing_address_changed", "tenant", v[0], NULL,
	    json_pack("{s:s,s:s}", "name", v[1], "town", v[5]), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, version);
	return ks_reply(req, 200, json_pack("{s:I,s:s,s:s?,s:s?,s:s,s:s,"
	    "s:s,s:I}", "tenant_id", (json_int_t)id, "name", v[1], "street",
	    v[2], "building", v[3], "postcode", v[4], "town", v[5], "country",
	    v[6], "row_version", (json_int_t)version));
}

/* ------------------------------------------------------------- periods */

/* A period without its lists: what a conflict shows as current. */
static json_t *
period_head(PGresult *p)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)
	    ks_db_getll(p, 0, "id"), "code", ks_db_str(p, 0, "code"),
	    "starts_on", ks_db_str(p, 0, "starts_on"), "ends_on",
	    ks_db_str(p, 0, "ends_on"), "row_version", (json_int_t)
	    ks_db_getll(p, 0, "row_version"));
}

/* If-Match against period p. */
static int
period_etag(struct ks_request *req, PGresult *p)
{
	return ks_check_etag(req, ks_db_getll(p, 0, "row_version"),
	    period_head(p));
}

static int
periods_list(struct ks_request *req)
{
	PGresult *r;
	json_t *items;
	int i;

	if ((r = ks_db_q(req, Q_BILL_PERIOD_LIST, 0, NULL)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s,s:I,"
		    "s:I,s:I}", "id", (json_int_t)ks_db_getll(r, i, "id"),
		    "code", ks_db_str(r, i, "code"), "starts_on",
		    ks_db_str(r, i, "starts_on"), "ends_on", ks_db_str(r, i,
		    "ends_on"), "costs_total", (json_int_t)ks_db_getll(r, i,
		    "costs_total"), "runs", (json_int_t)ks_db_getll(r, i,
		    "runs"), "row_version", (json_int_t)ks_db_getll(r, i,
		    "row_version")));
	return ks_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
	    "next"));
}

/*
 * Fill a period's figures from the platform: per social service the
 * municipalities it serves with their population, its active users and
 * the dossiers open during the period (counted under its own tenant).
 * A new period takes them all; a refresh (only_missing) adds services and
 * municipalities the period lacks and keeps the canton's corrections.
 * *added counts the rows added.
 */
static int
prefill(struct ks_request *req, const char *pid, const char *from,
    const char *to, int only_missing, int *added)
{
	int64_t canton = req->who.tenant_id;
	const char *v[5], *dv[2] = { from, to };
	int qf = only_missing ? Q_BILL_FIGURES_ADD : Q_BILL_FIGURES_PUT;
	int qp = only_missing ? Q_BILL_POPULATION_ADD : Q_BILL_POPULATION_PUT;
	PGresult *t, *m, *u, *d, *r;
	int i, j;

	*added = 0;
	if ((t = ks_db_q(req, Q_BILL_SOCIAL_SERVICES, 0, NULL)) == NULL)
		return KS_ERROR;
	for (i = 0; i < PQntuples(t); i++) {
		if (ks_db_set_tenant(req, ks_db_getll(t, i, "id")) != KS_OK ||
		    (m = ks_db_q(req, Q_TM_LIST, 0, NULL)) == NULL ||
		    (u = ks_db_q(req, Q_BILL_COUNT_USERS, 0, NULL)) == NULL ||
		    (d = ks_db_q(req, Q_BILL_COUNT_DOSSIERS, 2, dv)) == NULL ||
		    ks_db_set_tenant(req, canton) != KS_OK)
			return KS_ERROR;
		v[0] = pid;
		v[1] = ks_db_str(t, i, "id");
		v[2] = ks_db_str(d, 0, "n");
		v[3] = ks_db_str(u, 0, "n");
		v[4] = "0";
		if ((r = ks_db_q(req, qf, 5, v)) == NULL)
			return KS_ERROR;
		*added += PQntuples(r);
		for (j = 0; j < PQntuples(m); j++) {
			v[1] = ks_db_str(m, j, "bfs");
			v[2] = ks_db_str(t, i, "id");
			v[3] = ks_db_str(m, j, "population");
			if ((r = ks_db_q(req, qp, 4, v)) == NULL)
				return KS_ERROR;
			*added += PQntuples(r);
		}
	}
	return KS_OK;
}

static json_t *
runs_json(struct ks_request *req, const char *pid)
{
	PGresult *r;
	json_t *a;
	int i;

	if ((r = ks_db_q(req, Q_BILL_RUNS_OF, 1, &pid)) == NULL)
		return NULL;
	a = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:{s:I,s:s?},s:o,"
		    "s:I,s:s?}", "id", (json_int_t)ks_db_getll(r, i, "id"),
		    "created_at", ks_db_str(r, i, "created_at"), "created_by",
		    "id", (json_int_t)ks_db_getll(r, i, "created_by"),
		    "display_name", ks_db_get(r, i, "display_name"), "pack",
		    ks_db_json(r, i, "pack"), "total", (json_int_t)
		    ks_db_getll(r, i, "total"), "issued_at", ks_db_get(r, i,
		    "issued_at")));
	return a;
}

/* The address columns (addr_name ...) of row i; null when there is none. */
static json_t *
address_json(PGresult *r, int i)
{
	if (ks_db_isnull(r, i, "addr_name"))
		return json_null();
	return json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:s}", "name",
	    ks_db_str(r, i, "addr_name"), "street", ks_db_get(r, i,
	    "addr_street"), "building", ks_db_get(r, i, "addr_building"),
	    "postcode", ks_db_str(r, i, "addr_postcode"), "town",
	    ks_db_str(r, i, "addr_town"), "country", ks_db_str(r, i,
	    "addr_country"));
}

/* A period with its costs, figures and runs. */
static int
period_reply(struct ks_request *req, PGresult *p, int status)
{
	const char *pid = ks_db_str(p, 0, "id");
	PGresult *c, *m, *f;
	json_t *costs, *munis, *tenants, *runs;
	int i;

	if ((c = ks_db_q(req, Q_BILL_COSTS, 1, &pid)) == NULL ||
	    (m = ks_db_q(req, Q_BILL_POPULATION, 1, &pid)) == NULL ||
	    (f = ks_db_q(req, Q_BILL_FIGURES, 1, &pid)) == NULL ||
	    (runs = runs_json(req, pid)) == NULL)
		return KS_ERROR;
	costs = json_array();
	for (i = 0; i < PQntuples(c); i++)
		json_array_append_new(costs, json_pack("{s:I,s:s,s:I,s:s}",
		    "id", (json_int_t)ks_db_getll(c, i, "id"), "phase",
		    ks_db_str(c, i, "phase"), "amount", (json_int_t)
		    ks_db_getll(c, i, "amount"), "description",
		    ks_db_str(c, i, "description")));
	munis = json_array();
	for (i = 0; i < PQntuples(m); i++)
		json_array_append_new(munis, json_pack("{s:I,s:s,s:I,s:s,s:I}",
		    "bfs", (json_int_t)ks_db_getll(m, i, "bfs"), "name",
		    ks_db_str(m, i, "name"), "tenant_id", (json_int_t)
		    ks_db_getll(m, i, "subject_id"), "tenant_name",
		    ks_db_str(m, i, "tenant_name"), "population",
		    (json_int_t)ks_db_getll(m, i, "population")));
	tenants = json_array();
	for (i = 0; i < PQntuples(f); i++)
		json_array_append_new(tenants, json_pack("{s:I,s:s,s:s,s:s,s:I,"
		    "s:I,s:I,s:o}", "tenant_id", (json_int_t)
		    ks_db_getll(f, i, "subject_id"), "slug",
		    ks_db_str(f, i, "slug"), "name", ks_db_str(f, i, "name"),
		    "language", ks_db_str(f, i, "language"), "dossiers",
		    (json_int_t)ks_db_getll(f, i, "dossiers"), "users",
		    (json_int_t)ks_db_getll(f, i, "users"),
		    "migrated_dossiers", (json_int_t)ks_db_getll(f, i,
		    "migrated_dossiers"), "address", address_json(f, i)));
	ks_set_etag(req, ks_db_getll(p, 0, "row_version"));
	return ks_reply(req, status, json_pack("{s:I,s:s,s:s,s:s,s:I,s:o,s:o,"
	    "s:o,s:o}", "id", (json_int_t)ks_db_getll(p, 0, "id"), "code",
	    ks_db_str(p, 0, "code"), "starts_on", ks_db_str(p, 0,
	    "starts_on"), "ends_on", ks_db_str(p, 0, "ends_on"),
	    "row_version", (json_int_t)ks_db_getll(p, 0, "row_version"),
	    "costs", costs, "municipalities", munis, "tenants", tenants,
	    "runs", runs));
}

static int
period_create(struct ks_request *req)
{
	const char *v[3];
	PGresult *r;
	int added;

	v[0] = ks_body_str(req, "code");
	v[1] = ks_body_str(req, "starts_on");
	v[2] = ks_body_str(req, "ends_on");
	if (strcmp(v[2], v[1]) < 0)
		return ks_fail_detail(req, 400, "invalid_value", "the period "
		    "ends before it starts", json_pack("{s:s}", "field",
		    "ends_on"));
	if ((r = ks_db_q(req, Q_BILL_PERIOD_INSERT, 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail_detail(req, 409, "already_exists", "a period "
		    "with this code exists", json_pack("{s:s}", "field",
		    "code"));
	v[0] = ks_db_str(r, 0, "id");
	if (prefill(req, v[0], v[1], v[2], 0, &added) != KS_OK ||
	    ks_audit(req, "billing_period_created", "billing_period", v[0],
	    NULL, json_pack("{s:s,s:s,s:s}", "code", ks_body_str(req, "code"),
	    "starts_on", v[1], "ends_on", v[2]), NULL) != KS_OK ||
	    (r = ks_db_q(req, Q_BILL_PERIOD_GET, 1, v)) == NULL)
		return KS_ERROR;
	return period_reply(req, r, 201);
}

static int
period_show(struct ks_request *req)
{
	PGresult *p;

	if ((p = ks_bill_period(req)) == NULL)
		return KS_ERROR;
	return period_reply(req, p, 200);
}

static int
touch(struct ks_request *req, const char *pid)
{
	return ks_db_q(req, Q_BILL_PERIOD_TOUCH, 1, &pid) ? KS_OK : KS_ERROR;
}

static int
cost_add(struct ks_request *req)
{
	const char *v[4];
	json_t *amt = json_object_get(req->body, "amount");
	PGresult *p, *r;
	int k;

	if ((p = ks_bill_period(req)) == NULL)
		return KS_ERROR;
	v[0] = ks_db_str(p, 0, "id");
	v[1] = ks_body_str(req, "phase");
	for (k = 0; PHASES[k] && strcmp(PHASES[k], v[1]) != 0; k++)
		;
	if (PHASES[k] == NULL)
		return ks_fail_detail(req, 400, "invalid_value", "the phase is "
		    "one of project, operation, development, migration",
		    json_pack("{s:s}", "field", "phase"));
	if (json_integer_value(amt) <= 0 ||
	    json_integer_value(amt) > 100000000000LL)
		return ks_fail_detail(req, 400, "invalid_value", "the amount "
		    "is in Rappen, 1 to 100'000'000'000", json_pack("{s:s}",
		    "field", "amount"));
	v[2] = ks_num(req, json_integer_value(amt));
	v[3] = ks_body_str(req, "description");
	if ((r = ks_db_q(req, Q_BILL_COST_INSERT, 4, v)) == NULL ||
	    touch(req, v[0]) != KS_OK ||
	    ks_audit(req, "billing_cost_added", "billing_period", v[0], NULL,
	    json_pack("{s:s,s:I,s:s}", "phase", v[1], "amount", (json_int_t)
	    json_integer_value(amt), "description", v[3]), NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 201, json_pack("{s:I}", "id", (json_int_t)
	    ks_db_getll(r, 0, "id")));
}

static int
cost_remove(struct ks_request *req)
{
	const char *v[2];
	PGresult *p, *r;
	int64_t cid;

	if ((p = ks_bill_period(req)) == NULL ||
	    ks_param_id(req, "cost", &cid) != KS_OK)
		return KS_ERROR;
	v[0] = ks_db_str(p, 0, "id");
	v[1] = ks_num(req, cid);
	if ((r = ks_db_q(req, Q_BILL_COST_DELETE, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no such cost");
	if (touch(req, v[0]) != KS_OK ||
	    ks_audit(req, "billing_cost_removed", "billing_period", v[0],
	    json_pack("{s:s,s:I,s:s}", "phase", ks_db_str(r, 0, "phase"),
	    "amount", (json_int_t)ks_db_getll(r, 0, "amount"), "description",
	    ks_db_str(r, 0, "description")),
	    NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 204, NULL);
}

/* A whole number 0..100'000'000 from a figures entry, or -1. */
static long long
figure(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return -2;		/* absent: unchanged */
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 100000000)
		return -1;
	return json_integer_value(v);
}

static int
bad_figure(struct ks_request *req, const char *list, size_t i,
    const char *what)
{
	return ks_fail_detail(req, 400, "invalid_value", what, json_pack(
	    "{s:s,s:I}", "field", list, "index", (json_int_t)i));
}

static int
figures_put(struct ks_request *req)
{
	json_t *munis = json_object_get(req->body, "municipalities");
	json_t *tens = json_object_get(req->body, "tenants"), *e;
	const char *v[5], *names[3] = { "dossiers", "users",
	    "migrated_dossiers" };
	PGresult *p, *r;
	long long x;
	size_t i;
	int k;

	if ((p = ks_bill_period(req)) == NULL ||
	    period_etag(req, p) != KS_OK)
		return KS_ERROR;
	v[0] = ks_db_str(p, 0, "id");
	json_array_foreach(munis, i, e) {
		if (!json_is_integer(json_object_get(e, "bfs")) ||
		    (x = figure(e, "population")) < 0)
			return bad_figure(req, "municipalities", i, "each entry "
			    "needs bfs and population, a whole number from 0");
		v[1] = ks_num(req, json_integer_value(json_object_get(e,
		    "bfs")));
		v[2] = ks_num(req, x);
		if ((r = ks_db_q(req, Q_BILL_POPULATION_SET, 3, v)) == NULL)
			return KS_ERROR;
		if (PQntuples(r) != 1)
			return bad_figure(req, "municipalities", i, "no such "
			    "municipality in this period");
	}
	json_array_foreach(tens, i, e) {
		if (!json_is_integer(json_object_get(e, "tenant_id")))
			return bad_figure(req, "tenants", i, "each entry needs "
			    "tenant_id");
		v[1] = ks_num(req, json_integer_value(json_object_get(e,
		    "tenant_id")));
		for (k = 0; k < 3; k++) {
			if ((x = figure(e, names[k])) == -1)
				return bad_figure(req, "tenants", i, "dossiers, "
				    "users and migrated_dossiers are whole "
				    "numbers from 0");
			v[2 + k] = x == -2 ? NULL : ks_num(req, x);
		}
		if ((r = ks_db_q(req, Q_BILL_FIGURES_SET, 5, v)) == NULL)
			return KS_ERROR;
		if (PQntuples(r) != 1)
			return bad_figure(req, "tenants", i, "no such social "
			    "service in this period");
	}
	if (touch(req, v[0]) != KS_OK ||
	    ks_audit(req, "billing_figures_changed", "billing_period", v[0],
	    NULL, json_pack("{s:O?,s:O?}", "municipalities", munis, "tenants",
	    tens), NULL) != KS_OK ||
	    (p = ks_db_q(req, Q_BILL_PERIOD_GET, 1, v)) == NULL)
		return KS_ERROR;
	return period_reply(req, p, 200);
}

/* Add the social services and municipalities the period lacks. */
static int
figures_refresh(struct ks_request *req)
{
	const char *pid;
	PGresult *p;
	int added;

	if ((p = ks_bill_period(req)) == NULL ||
	    period_etag(req, p) != KS_OK)
		return KS_ERROR;
	pid = ks_db_str(p, 0, "id");
	if (prefill(req, pid, ks_db_str(p, 0, "starts_on"), ks_db_str(p, 0,
	    "ends_on"), 1, &added) != KS_OK)
		return KS_ERROR;
	if (added > 0 && (touch(req, pid) != KS_OK ||
	    ks_audit(req, "billing_figures_refreshed", "billing_period", pid,
	    NULL, NULL, json_pack("{s:i}", "rows_added", added)) != KS_OK))
		return KS_ERROR;
	if ((p = ks_db_q(req, Q_BILL_PERIOD_GET, 1, &pid)) == NULL)
		return KS_ERROR;
	return period_reply(req, p, 200);
}

/* ----------------------------------------------------------- allocation */

/* The allocation pack's input: period, costs, social services' figures. */
static json_t *
alloc_input(struct ks_request *req, PGresult *p)
{
	const char *pid = ks_db_str(p, 0, "id");
	PGresult *c, *m, *f;
	json_t *costs, *tens, *t, *mu;
	int i, j;

	if ((c = ks_db_q(req, Q_BILL_COSTS, 1, &pid)) == NULL ||
	    (m = ks_db_q(req, Q_BILL_POPULATION, 1, &pid)) == NULL ||
	    (f = ks_db_q(req, Q_BILL_FIGURES, 1, &pid)) == NULL)
		return NULL;
	costs = json_array();
	for (i = 0; i < PQntuples(c); i++)
		json_array_append_new(costs, json_pack("{s:s,s:I,s:s}",
		    "phase", ks_db_str(c, i, "phase"), "amount", (json_int_t)
		    ks_db_getll(c, i, "amount"), "description",
		    ks_db_str(c, i, "description")));
	tens = json_array();
	for (i = 0; i < PQntuples(f); i++) {
		mu = json_array();
		for (j = 0; j < PQntuples(m); j++)
			if (ks_db_getll(m, j, "subject_id") ==
			    ks_db_getll(f, i, "subject_id"))
				json_array_append_new(mu, json_pack("{s:I,s:s,"
				    "s:I}", "bfs", (json_int_t)ks_db_getll(m, j,
				    "bfs"), "name", ks_db_str(m, j, "name"),
				    "population", (json_int_t)ks_db_getll(m, j,
				    "population")));
		t = json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:o}", "id",
		    (json_int_t)ks_db_getll(f, i, "subject_id"), "slug",
		    ks_db_str(f, i, "slug"), "name", ks_db_str(f, i, "name"),
		    "language", ks_db_str(f, i, "language"), "dossiers",
		    (json_int_t)ks_db_getll(f, i, "dossiers"), "users",
		    (json_int_t)ks_db_getll(f, i, "users"), "migrated_dossiers",
		    (json_int_t)ks_db_getll(f, i, "migrated_dossiers"),
		    "municipalities", mu);
		json_array_append_new(tens, t);
	}
	return json_pack("{s:{s:s,s:s,s:s},s:o,s:o}", "period", "code",
	    ks_db_str(p, 0, "code"), "from", ks_db_str(p, 0, "starts_on"),
	    "to", ks_db_str(p, 0, "ends_on"), "costs", costs, "tenants",
	    tens);
}

static int
sum_fails(struct ks_request *req, const char *phase, long long want,
    long long got)
{
	return ks_fail_detail(req, 422, "rule_error", "the allocation pack's "
	    "shares do not add up to the costs; nothing was saved",
	    json_pack("{s:s,s:I,s:I}", "phase", phase, "total",
	    (json_int_t)want, "shares", (json_int_t)got));
}

/*
 * Whatever the pack computes, the shares of each phase must be whole,
 * non-negative Rappen adding up exactly to that phase's costs.
 */
static int
alloc_check(struct ks_request *req, json_t *in, json_t *out,
    long long *total)
{
	json_t *s, *c, *shares = json_object_get(out, "shares");
	long long want, got;
	size_t i;
	int k;

	if (!json_is_array(shares))
		return ks_fail(req, 422, "rule_error", "the allocation pack "
		    "returned no shares");
	json_array_foreach(shares, i, s) {
		const char *ph = json_string_value(json_object_get(s, "phase"));

		for (k = 0; ph != NULL && PHASES[k] && strcmp(PHASES[k], ph);
		    k++)
			;
		if (!json_is_integer(json_object_get(s, "amount")) ||
		    json_integer_value(json_object_get(s, "amount")) < 0 ||
		    ph == NULL || PHASES[k] == NULL)
			return ks_fail_detail(req, 422, "rule_error", "a share "
			    "is not a whole, non-negative amount of Rappen of "
			    "a known phase", json_pack("{s:I}", "index",
			    (json_int_t)i));
	}
	*total = 0;
	for (k = 0; PHASES[k]; k++) {
		want = got = 0;
		json_array_foreach(json_object_get(in, "costs"), i, c)
			if (strcmp(json_string_value(json_object_get(c,
			    "phase")), PHASES[k]) == 0)
				want += json_integer_value(json_object_get(c,
				    "amount"));
		json_array_foreach(shares, i, s)
			if (strcmp(json_string_value(json_object_get(s,
			    "phase")), PHASES[k]) == 0)
				got += json_integer_value(json_object_get(s,
				    "amount"));
		if (want != got)
			return sum_fails(req, PHASES[k], want, got);
		*total += want;
	}
	return KS_OK;
}

/*
 * Who the run's invoices are from and to, as they are now: a run keeps
 * them so that its invoices read the same whatever changes later.
 */
static char *
parties(struct ks_request *req)
{
	PGresult *c, *a;
	json_t *j, *addr;
	char *s, *out;
	int i;

	if ((c = ks_db_q(req, Q_BILL_CREDITOR_GET, 0, NULL)) == NULL ||
	    (a = ks_db_q(req, Q_BILL_ADDRESSES, 0, NULL)) == NULL)
		return NULL;
	addr = json_object();
	for (i = 0; i < PQntuples(a); i++)
		if (!ks_db_isnull(a, i, "addr_name"))
			json_object_set_new(addr, ks_db_str(a, i, "id"),
			    address_json(a, i));
	j = json_pack("{s:o,s:o}", "creditor", PQntuples(c) == 1 ?
	    creditor_json(c) : json_null(), "addresses", addr);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	out = ks_arena_strdup(req->arena, s);
	free(s);
	return out;
}

static int
allocate(struct ks_request *req)
{
	const char *v[7];
	json_t *in, *out, *prov;
	PGresult *p, *r;
	long long total = 0;
	char *s[3];
	int rc;

	if ((p = ks_bill_period(req)) == NULL ||
	    (in = alloc_input(req, p)) == NULL)
		return KS_ERROR;
	if (json_array_size(json_object_get(in, "costs")) == 0) {
		json_decref(in);
		return ks_fail(req, 409, "nothing_to_allocate", "record the "
		    "period's costs first");
	}
	/* The key in force on the period's last day splits its costs. */
	if (ks_rules_eval(req, "cost-allocation", "allocate", ks_db_str(p, 0,
	    "ends_on"), in, &out, &prov) != KS_OK) {
		json_decref(in);
		return KS_ERROR;
	}
	if ((rc = alloc_check(req, in, out, &total)) == KS_OK &&
	    (v[6] = parties(req)) == NULL)
		rc = KS_ERROR;
	if (rc == KS_OK) {
		s[0] = json_dumps(prov, JSON_COMPACT);
		s[1] = json_dumps(in, JSON_COMPACT);
		s[2] = json_dumps(out, JSON_COMPACT);
		v[0] = ks_db_str(p, 0, "id");
		v[1] = ks_arena_strdup(req->arena, s[0]);
		v[2] = ks_arena_strdup(req->arena, s[1]);
		v[3] = ks_arena_strdup(req->arena, s[2]);
		v[4] = ks_num(req, total);
		v[5] = ks_num(req, req->who.user_id);
		free(s[0]);
		free(s[1]);
		free(s[2]);
	}
	json_decref(in);
	json_decref(out);
	if (rc != KS_OK) {
		json_decref(prov);
		return KS_ERROR;
	}
	if ((r = ks_db_q(req, Q_BILL_RUN_INSERT, 7, v)) == NULL ||
	    ks_audit(req, "billing_allocated", "billing_run", ks_db_str(r, 0,
	    "id"), NULL, NULL, json_pack("{s:s,s:I,s:o}", "period",
	    ks_db_str(p, 0, "code"), "total", (json_int_t)total, "pack",
	    prov)) != KS_OK)
		return KS_ERROR;
	return ks_bill_run_reply(req, ks_db_str(r, 0, "id"), 201);
}

/* ------------------------------------------------------- burden sharing */

/*
 * Eligible costs per municipality in the period, from each social
 * service's ledger under its own tenant; municipalities of the period's
 * figures, with the population the canton recorded.
 */
static json_t *
burden_input(struct ks_request *req, PGresult *p, PGresult *m)
{
	int64_t canton = req->who.tenant_id, last = 0;
	const char *dv[2] = { ks_db_str(p, 0, "starts_on"),
	    ks_db_str(p, 0, "ends_on") };
	json_t *rows = json_array(), *row;
	PGresult *e;
	int i, j;

	for (i = 0; i < PQntuples(m); i++)
		json_array_append_new(rows, json_pack("{s:I,s:s,s:I,s:I,s:I}",
		    "bfs", (json_int_t)ks_db_getll(m, i, "bfs"), "name",
		    ks_db_str(m, i, "name"), "tenant_id", (json_int_t)
		    ks_db_getll(m, i, "subject_id"), "population", (json_int_t)
		    ks_db_getll(m, i, "population"), "costs", (json_int_t)0));
	/* Rows are ordered by bfs; visit each serving tenant once. */
	for (i = 0; i < PQntuples(m); i++) {
		int64_t t = ks_db_getll(m, i, "subject_id");
		int seen = 0;

		for (j = 0; j < i; j++)
			seen |= ks_db_getll(m, j, "subject_id") == t;
		if (seen || t == last)
			continue;
		last = t;
		if (ks_db_set_tenant(req, t) != KS_OK ||
		    (e = ks_db_q(req, Q_BILL_ELIGIBLE, 2, dv)) == NULL ||
		    ks_db_set_tenant(req, canton) != KS_OK) {
			json_decref(rows);
			return NULL;
		}
		for (j = 0; j < PQntuples(e); j++) {
			size_t k;

			json_array_foreach(rows, k, row)
				if (json_integer_value(json_object_get(row,
				    "bfs")) == ks_db_getll(e, j, "bfs") &&
				    json_integer_value(json_object_get(row,
				    "tenant_id")) == t)
					json_object_set_new(row, "costs",
					    json_integer(json_integer_value(
					    json_object_get(row, "costs")) +
					    ks_db_getll(e, j, "amount")));
		}
	}
	return json_pack("{s:{s:s,s:s,s:s},s:o}", "period", "code",
	    ks_db_str(p, 0, "code"), "from", dv[0], "to", dv[1],
	    "municipalities", rows);
}

/* canton + municipalities == total and the shares sum to their half. */
static int
burden_check(struct ks_request *req, json_t *in, json_t *out)
{
	long long total = 0, shares = 0;
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(in, "municipalities"), i, r)
		total += json_integer_value(json_object_get(r, "costs"));
	json_array_foreach(json_object_get(out, "rows"), i, r)
		shares += json_integer_value(json_object_get(r, "share"));
	if (json_integer_value(json_object_get(out, "total_costs")) != total ||
	    json_integer_value(json_object_get(out, "canton")) +
	    json_integer_value(json_object_get(out, "municipalities_total")) !=
	    total || shares != json_integer_value(json_object_get(out,
	    "municipalities_total")))
		return ks_fail_detail(req, 422, "rule_error", "the "
		    "burden-sharing pack's figures do not add up",
		    json_pack("{s:I,s:I}", "total", (json_int_t)total, "shares",
		    (json_int_t)shares));
	return KS_OK;
}

/* The report: the pack's output with names and the pack version. */
int
ks_bill_burden(struct ks_request *req, json_t **res)
{
	PGresult *p, *m;
	json_t *in, *out, *prov, *row;
	const char *pid;
	size_t i;
	int j;

	if ((p = ks_bill_period(req)) == NULL)
		return KS_ERROR;
	pid = ks_db_str(p, 0, "id");
	if ((m = ks_db_q(req, Q_BILL_POPULATION, 1, &pid)) == NULL ||
	    (in = burden_input(req, p, m)) == NULL)
		return KS_ERROR;
	if (ks_rules_eval(req, "burden-sharing", "share", ks_db_str(p, 0,
	    "ends_on"), in, &out, &prov) != KS_OK) {
		json_decref(in);
		return KS_ERROR;
	}
	if (burden_check(req, in, out) != KS_OK) {
		json_decref(in);
		json_decref(out);
		json_decref(prov);
		return KS_ERROR;
	}
	json_decref(in);
	json_array_foreach(json_object_get(out, "rows"), i, row)
		for (j = 0; j < PQntuples(m); j++)
			if (json_integer_value(json_object_get(row, "bfs")) ==
			    ks_db_getll(m, j, "bfs"))
				json_object_set_new(row, "tenant_name",
				    json_string(ks_db_str(m, j,
				    "tenant_name")));
	json_object_set_new(out, "pack", prov);
	json_object_set_new(out, "period", json_pack("{s:I,s:s,s:s,s:s}",
	    "id", (json_int_t)ks_db_getll(p, 0, "id"), "code", ks_db_str(p, 0,
	    "code"), "starts_on", ks_db_str(p, 0, "starts_on"), "ends_on",
	    ks_db_str(p, 0, "ends_on")));
	*res = out;
	return KS_OK;
}

static int
burden(struct ks_request *req)
{
	json_t *res;

	if (ks_bill_burden(req, &res) != KS_OK)
		return KS_ERROR;
	return ks_reply(req, 200, res);
}

/* -------------------------------------------------------------- routes */

/* The creditor is an address with an account: an address is the rest. */
static const struct ks_field creditor_body[] = {
	{ "iban", KS_F_STRING, 1, 15, 42, "IBAN or QR-IBAN (CH, LI)" },
	{ "name", KS_F_STRING, 1, 1, 70, NULL },
	{ "street", KS_F_STRING, 0, 0, 70, NULL },
	{ "building", KS_F_STRING, 0, 0, 16, NULL },
	{ "postcode", KS_F_STRING, 1, 1, 16, NULL },
	{ "town", KS_F_STRING, 1, 1, 35, NULL },
	{ "country", KS_F_STRING, 1, 2, 2, "ISO 3166 alpha-2, e.g. CH" },
	KS_FIELDS_END
};
#define address_body	(creditor_body + 1)
static const struct ks_field period_body[] = {
	{ "code", KS_F_STRING, 1, 1, 20, "e.g. 2026 or 2026-H1" },
	{ "starts_on", KS_F_DATE, 1, 0, 0, NULL },
	{ "ends_on", KS_F_DATE, 1, 0, 0, NULL },
	KS_FIELDS_END
};
static const struct ks_field cost_body[] = {
	{ "phase", KS_F_STRING, 1, 1, 20, "project | operation | development "
	    "| migration" },
	{ "amount", KS_F_INT, 1, 0, 0, "Rappen" },
	{ "description", KS_F_STRING, 1, 1, 200, NULL },
	KS_FIELDS_END
};
static const struct ks_field figures_body[] = {
	{ "municipalities", KS_F_ARRAY, 0, 0, 5000, "[{bfs, population}]" },
	{ "tenants", KS_F_ARRAY, 0, 0, 1000, "[{tenant_id, dossiers, users, "
	    "migrated_dossiers}]" },
	KS_FIELDS_END
};

#define B	"/api/v1/billing"
#define P	"canton.billing"

static const struct ks_route routes[] = {
	{ "GET", B "/creditor", P, 0, NULL, 0, creditor_get,
	    "the creditor of the canton's invoices", NULL },
	{ "PUT", B "/creditor", P, 8192, creditor_body, KS_R_ETAG,
	    creditor_put, "set the creditor and account (If-Match once it "
	    "exists)", NULL },
	{ "GET", B "/addresses", P, 0, NULL, 0, addresses_list,
	    "the social services with their invoice addresses", NULL },
	{ "PUT", B "/addresses/{id}", P, 8192, address_body, KS_R_ETAG,
	    address_put, "a social service's invoice address (If-Match: "
	    "its row_version, \"0\" while it has none)", NULL },
	{ "GET", B "/periods", P, 0, NULL, 0, periods_list,
	    "billing periods", NULL },
	{ "POST", B "/periods", P, 4096, period_body, 0, period_create,
	    "a new period, its figures taken from the platform", NULL },
	{ "GET", B "/periods/{id}", P, 0, NULL, 0, period_show,
	    "a period with its costs, figures and runs", NULL },
	{ "POST", B "/periods/{id}/costs", P, 4096, cost_body, 0, cost_add,
	    "record a cost of a phase", NULL },
	{ "DELETE", B "/periods/{id}/costs/{cost}", P, 0, NULL, 0,
	    cost_remove, "remove a cost", NULL },
	{ "PUT", B "/periods/{id}/figures", P, 512 * 1024, figures_body,
	    KS_R_ETAG, figures_put, "correct the figures the keys use "
	    "(If-Match)", NULL },
	{ "POST", B "/periods/{id}/figures/refresh", P, 0, NULL, KS_R_ETAG,
	    figures_refresh, "add the social services and municipalities the "
	    "period lacks (If-Match); corrections stay", NULL },
	{ "POST", B "/periods/{id}/allocate", P, 0, NULL, 0, allocate,
	    "split the costs with the allocation pack in force", NULL },
	{ "GET", B "/periods/{id}/burden-sharing", P, 0, NULL, KS_R_LONG,
	    burden,
	    "the burden-sharing report (sums per municipality)", NULL },
	KS_ROUTES_END
};

void
ks_billing_register(void)
{
	ks_router_add(routes, NULL);
	ks_invoice_register();
}
