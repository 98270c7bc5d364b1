/*
 * core.c - the core's own small routes: health, ping, metrics, the
 * OpenAPI document, the caller's municipalities and the role list.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"

json_t *ks_modules_health(void);

static int
healthz(struct ks_request *req)
{
	int pg = ks_db_ping() == KS_OK, rd = ks_redis_ping() == KS_OK;
	json_t *mods = ks_modules_health();

	return ks_reply(req, pg && rd ? 200 : 503, json_pack(
	    "{s:s,s:s,s:s,s:o}", "status", pg && rd ? "ok" : "unavailable",
	    "postgres", pg ? "ok" : "down", "redis", rd ? "ok" : "down",
	    "modules", mods));
}

static int
ping(struct ks_request *req)
{
	req->raw = "{\"pong\":true}";
	req->raw_len = 13;
	req->ctype = "application/json";
	req->raw_static = 1;
	return KS_OK;
}

static int
metrics(struct ks_request *req)
{
	req->raw = ks_metrics_render(req->arena, &req->raw_len);
	req->ctype = "text/plain; version=0.0.4; charset=utf-8";
	return KS_OK;
}

static int
openapi(struct ks_request *req)
{
	req->raw = ks_openapi_render(req->arena, &req->raw_len);
	req->ctype = "application/json";
	return KS_OK;
}

json_t *
ks_served_municipalities(struct ks_request *req)
{
	PGresult *r;
	json_t *items;
	int i;

	if ((r = ks_db_q(req, Q_TM_LIST, 0, NULL)) == NULL)
		return NULL;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:I,s:s}",
		    "bfs", (json_int_t)ks_db_getll(r, i, "bfs"), "name",
		    ks_db_str(r, i, "name"), "population",
		    (json_int_t)ks_db_getll(r, i, "population"), "since",
		    ks_db_str(r, i, "since")));
	return items;
}

static int
my_municipalities(struct ks_request *req)
{
	json_t *items;

	if ((items = ks_served_municipalities(req)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
roles(struct ks_request *req)
{
	PGresult *r;
	json_t *items = json_array();
	int i;

	if ((r = ks_db_q(req, Q_ROLE_LIST, 0, NULL)) == NULL) {
		json_decref(items);
		return KS_ERROR;
	}
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:b,s:o}",
		    "code", ks_db_str(r, i, "code"),
		    "name_de", ks_db_str(r, i, "name_de"),
		    "name_fr", ks_db_str(r, i, "name_fr"),
		    "canton_level",
		    strcmp(ks_db_str(r, i, "canton_level"), "t") == 0,
		    "permissions", ks_csv_array(ks_db_str(r, i, "permissions"))));
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

/* Colleagues to assign work to: names and roles, nothing else. */
static int
staff(struct ks_request *req)
{
	PGresult *r;
	json_t *items = json_array();
	int i;

	if ((r = ks_db_q(req, Q_STAFF_LIST, 0, NULL)) == NULL) {
		json_decref(items);
		return KS_ERROR;
	}
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:o}",
		    "id", (json_int_t)ks_db_getll(r, i, "id"), "display_name",
		    ks_db_str(r, i, "display_name"),
		    "language", ks_db_str(r, i, "language"),
		    "roles", ks_csv_array(ks_db_str(r, i, "roles"))));
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static const struct ks_route routes[] = {
	{ "GET", "/healthz", NULL, 0, NULL, KS_R_PUBLIC, healthz,
	    "200 when PostgreSQL and Redis answer, 503 naming the one down",
	    NULL },
	{ "GET", "/api/v1/ping", NULL, 0, NULL, KS_R_PUBLIC, ping,
	    "answers without touching PostgreSQL or Redis", NULL },
	{ "GET", "/metrics", NULL, 0, NULL, KS_R_PUBLIC | KS_R_RAW, metrics,
	    "Prometheus metrics", NULL },
	{ "GET", "/api/openapi.json", NULL, 0, NULL, KS_R_PUBLIC | KS_R_RAW,
	    openapi, "this document", NULL },
	{ "GET", "/api/v1/municipalities", "directory.read", 0, NULL, 0,
	    my_municipalities, "municipalities the own tenant serves", NULL },
	{ "GET", "/api/v1/roles", "directory.read", 0, NULL, 0, roles,
	    "roles and the permissions they grant", NULL },
	{ "GET", "/api/v1/staff", "directory.read", 0, NULL, 0, staff,
	    "active colleagues of the own tenant (to assign dossiers)", NULL },
	KS_ROUTES_END
};

void
ks_routes_core_register(void)
{
	ks_router_add(routes, NULL);
	ks_auth_register();
	ks_admin_register();
	ks_admin_request_register();
	ks_audit_register();
	ks_rules_register();
	ks_rules_data_register();
	ks_billing_register();
	ks_modules_register();
	ks_static_register();
	ks_person_register();
	ks_document_register();
	ks_vocab_register();
	ks_transfer_register();
	ks_casework_register();
	ks_team_register();
	ks_job_register();
	ks_retention_register();
	ks_payrun_register();
	ks_ledger_register();
	ks_bank_register();
	ks_claim_register();
	ks_account_register();
}
