/*
 * sh_module.c - the Sozialhilfe module (social assistance): descriptor,
 * init, and the helpers its files share. Dossiers live in the core's
 * casework layer with module = 'sozialhilfe'; this module adds the
 * lifecycle, budgets (SKOS via the canton's Lua pack), decisions and
 * payment runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sh.h"

const struct ks_api *ks;
static struct ks_route *routes;
static struct ks_module descriptor;

PGresult *
sh_q(struct ks_request *req, int q, int n, const char *const *v)
{
	return ks->db_q(req, q, n, v);
}

int
sh_dossier_list(struct ks_request *req, int q,
    json_t *(*row)(PGresult *, int))
{
	const char *v[1];
	PGresult *r;
	json_t *items;
	int64_t id;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	if ((r = sh_q(req, q, 1, v)) == NULL)
		return -1;
	items = ks_db_rows(r, row);
	return ks->reply(req, 200, json_pack("{s:o}", "items", items));
}

int
sh_access(struct ks_request *req, PGresult *r, const char *col)
{
	return ks->access_dossier(req, ks_db_getll(r, 0, col),
	    KS_ACCESS_AUTO) != NULL ? 0 : -1;
}

/* The codes only Sozialhilfe answers with (the core's are in errors.c). */
static const struct ks_errdef errors[] = {
	{ "budget_not_approved", 409, "the budget is not approved" },
	{ "decision_exists", 409, "the budget has a decision already" },
	{ "dossier_not_active", 409, "the dossier is not supported at the "
	    "moment" },
	{ "dossier_not_ready", 409, "the dossier is still in registration or "
	    "intake" },
	{ "no_members_on_date", 409, "the household has no members on that "
	    "date" },
	{ "nothing_missing", 409, "every required document is there" },
	{ NULL, 0, NULL }
};

static const struct ks_route *const tables[] = {
	sh_dossier_routes, sh_budget_routes, sh_payment_routes,
	sh_worklist_routes, sh_letter_routes, NULL
};

static int
init(const struct ks_api *api, char *err, size_t errlen)
{
	size_t n = 0, i, j;

	if (api->abi_major != KS_ABI_MAJOR || api->abi_minor < KS_ABI_MINOR) {
		snprintf(err, errlen, "needs core ABI %d.%d", KS_ABI_MAJOR,
		    KS_ABI_MINOR);
		return -1;
	}
	ks = api;
	if (api->db_register(sozialhilfe_queries, Q_SOZIALHILFE_COUNT) < 0) {
		snprintf(err, errlen, "cannot register statements");
		return -1;
	}
	for (i = 0; tables[i] != NULL; i++)
		for (j = 0; tables[i][j].method != NULL; j++)
			n++;
	if ((routes = calloc(n + 1, sizeof(*routes))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = 0;
	for (i = 0; tables[i] != NULL; i++)
		for (j = 0; tables[i][j].method != NULL; j++)
			routes[n++] = tables[i][j];
	/* The loader registers the routes after init returns. */
	descriptor.routes = routes;
	sh_texts_load(api->root());
	return 0;
}

static void
fini(void)
{
	free(routes);
	routes = NULL;
	descriptor.routes = NULL;
	sh_texts_fini();
	ks = NULL;
}

/* The codes this module adds to the casework layer's vocabularies. */
static const struct ks_vocab vocabulary[] = {
	{ "deadline_kind", "review_due" },
	{ "deadline_kind", "missing_document" },
	{ "deadline_kind", "goal_due" },
	{ "deadline_kind", "decision_expiring" },
	{ "document_category", "rent_contract" },
	{ "document_category", "income_proof" },
	{ "payment_kind", "support" },
	{ "payment_kind", "rent" },
	{ "payment_kind", "kvg" },
	{ "payment_kind", "one_off" },
	{ "payment_kind", "back_payment" },
	{ NULL, NULL }
};

static struct ks_module descriptor = {
	KS_MODULE_HEADER,
	.name = "sozialhilfe",
	.errors = errors,
	.version = "0.1.0",
	.init = init,
	.fini = fini,
	.migrations = "modules/sozialhilfe/migrations",
	.jobs = sh_job_types,
	.vocabulary = vocabulary,
	.dossier_kinds = sh_dossier_kinds,
	.money = &sh_money
};

const struct ks_module *
kasus_module(void)
{
	return &descriptor;
}
