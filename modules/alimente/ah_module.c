/*
 * ah_module.c - the Alimentenhilfe module: descriptor, init, the dossier
 * kind, and what its files (ah.h) contribute, merged into one route
 * table, one list of error codes and one vocabulary. Dossiers live in
 * the core's casework layer with module = 'alimente'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

const struct ks_api *ks;

PGresult *
ah_dossier(struct ks_request *req, int64_t *id)
{
	PGresult *r;

	if (ks->param_id(req, "id", id) != 0)
		return NULL;
	if ((r = ks->access_dossier(req, *id, ks->method(req)[0] == 'G' ?
	    KS_ACCESS_READ : KS_ACCESS_WRITE)) == NULL)
		return NULL;
	if (strcmp(ks_db_str(r, 0, "module"), "alimente") != 0) {
		ks->fail(req, 404, "not_found", "no such dossier");
		return NULL;
	}
	return r;
}

int
ah_dossier_page(struct ks_request *req, int q,
    json_t *(*row)(PGresult *, int))
{
	const char *v[3];
	long long n;
	PGresult *r;
	int64_t id;

	if (ks->page(req, &v[1], &v[2], &n) != 0 ||
	    ah_dossier(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	if ((r = ks->db_q(req, q, 3, v)) == NULL)
		return -1;
	return ks->reply(req, 200, ks_db_page(r, n, "id", row));
}

json_t *
ah_dossier_row(struct ks_request *req, int q, const char *dossier,
    const char *rid, json_t *(*row)(PGresult *, int))
{
	const char *v[3] = { dossier, ks->num(req, strtoll(rid, NULL, 10) + 1),
	    "1" };
	PGresult *r;

	if ((r = ks->db_q(req, q, 3, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1 || strcmp(ks_db_str(r, 0, "id"), rid) != 0) {
		ks->fail(req, 500, "internal_error", "the record is gone");
		return NULL;
	}
	return row(r, 0);
}

/*
 * The life of a dossier (ALIMENTENHILFE.md): the application, its
 * assessment (the cooperation deadline for what is missing), collection
 * without and then with enforcement, the end with a reason (InkHV 16).
 */
static const char *const states[] = { "application", "assessment",
	"voluntary", "enforcement", "closed", NULL };
static const char *const reasons[] = { "claim_extinct", "withdrawn",
	"moved", "uncollectable", "regular_payment", "breach", NULL };
static const struct ks_transition steps[] = {
	{ "application", "assessment", "alimente.write", NULL },
	{ "assessment", "voluntary", "alimente.write", NULL },
	{ "voluntary", "enforcement", "alimente.write", NULL },
	{ "enforcement", "voluntary", "alimente.write", NULL },
	{ "application", "closed", "alimente.write", NULL },
	{ "assessment", "closed", "alimente.write", NULL },
	{ "voluntary", "closed", "alimente.write", NULL },
	{ "enforcement", "closed", "alimente.write", NULL },
	{ NULL, NULL, NULL, NULL }
};
/* InkHV art. 9: what an application needs before collection starts. */
static const struct ks_checklist_item checklist[] = {
	{ "title", 1 }, { "power_of_attorney", 1 }, { "assignment", 0 },
	{ "outstanding_list", 0 }, { "debtor_address", 1 }, { NULL, 0 }
};

static int
on_transition(struct ks_request *req, int64_t dossier, const char *from,
    const char *to)
{
	if (ah_title_on_transition(req, dossier, from, to) != 0 ||
	    ah_advance_on_transition(req, dossier, from, to) != 0 ||
	    ah_collect_on_transition(req, dossier, from, to) != 0 ||
	    ah_enforce_on_transition(req, dossier, from, to) != 0)
		return -1;
	return 0;
}

static int
worklist(struct ks_request *req, json_t *lists)
{
	if (ah_title_worklist(req, lists) != 0 ||
	    ah_advance_worklist(req, lists) != 0 ||
	    ah_collect_worklist(req, lists) != 0 ||
	    ah_enforce_worklist(req, lists) != 0)
		return -1;
	return 0;
}

static int
transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	if (ah_title_transfer(req, from, from_tenant, to, to_tenant) != 0 ||
	    ah_advance_transfer(req, from, from_tenant, to, to_tenant) != 0 ||
	    ah_collect_transfer(req, from, from_tenant, to, to_tenant) != 0 ||
	    ah_enforce_transfer(req, from, from_tenant, to, to_tenant) != 0)
		return -1;
	return 0;
}

const struct ks_dossier_kind ah_dossier_kinds[] = {
	{ .code = "alimente", .initial = "application", .states = states,
	    .transitions = steps, .closing_reasons = reasons,
	    .checklist = checklist, .checklist_before = "voluntary",
	    .on_transition = on_transition, .worklist = worklist,
	    .on_checklist = ah_title_on_checklist,
	    .transfer = transfer },
	{ .code = NULL }
};

static const struct ks_perm_def perms[] = {
	{ "alimente.read", "read Alimentenhilfe dossiers, titles, schedules "
	    "and advances", "caseworker,teamlead,accounting,legal,auditor" },
	{ "alimente.write", "record applications, titles, payments, "
	    "enforcement steps; propose advance decisions",
	    "caseworker,teamlead" },
	{ "alimente.approve", "approve advance decisions (four eyes)",
	    "teamlead" },
	{ NULL, NULL, NULL }
};

/* Money: every area's lines of a payment run. */
static int
run_lines(struct ks_request *req, const char *run, const char *first,
    const char *month)
{
	if (ah_advance_run_lines(req, run, first, month) != 0 ||
	    ah_collect_run_lines(req, run, first, month) != 0)
		return -1;
	return 0;
}

static const struct ks_money money = { .run_lines = run_lines,
	.credit = ah_collect_credit };

/*
 * The areas' tables, concatenated into fixed arrays when the loader asks
 * for the descriptor (before its checks and before `kasusd migrate`
 * records the vocabulary; no heap, so nothing outlives dlclose).
 */
#define ROUTES_MAX	160
#define ERRORS_MAX	48
#define VOCAB_MAX	48
static struct ks_route routes[ROUTES_MAX + 1];
static struct ks_errdef errors[ERRORS_MAX + 1];
static struct ks_vocab vocabulary[VOCAB_MAX + 1];
static int gathered;		/* 1: the tables are there, -1: too small */

#define CONCAT(out, max, parts, end) do {				\
	size_t n_ = 0, i_, j_;						\
	for (i_ = 0; (parts)[i_] != NULL; i_++)				\
		for (j_ = 0; (parts)[i_][j_].end != NULL; j_++) {	\
			if (n_ == (max))				\
				return -1;				\
			(out)[n_++] = (parts)[i_][j_];			\
		}							\
	memset(&(out)[n_], 0, sizeof((out)[n_]));			\
} while (0)

static int
gather(void)
{
	const struct ks_route *const r[] = { ah_title_routes,
		ah_advance_routes, ah_collect_routes, ah_enforce_routes,
		ah_remind_routes, NULL };
	const struct ks_errdef *const e[] = { ah_title_errors,
		ah_advance_errors, ah_collect_errors, ah_enforce_errors,
		ah_remind_errors, NULL };
	const struct ks_vocab *const v[] = { ah_title_vocabulary,
		ah_advance_vocabulary, ah_collect_vocabulary,
		ah_enforce_vocabulary, ah_remind_vocabulary, NULL };

	CONCAT(routes, ROUTES_MAX, r, method);
	CONCAT(errors, ERRORS_MAX, e, code);
	CONCAT(vocabulary, VOCAB_MAX, v, domain);
	return 0;
}

static int
init(const struct ks_api *api, char *err, size_t errlen)
{
	if (api->abi_major != KS_ABI_MAJOR || api->abi_minor < KS_ABI_MINOR) {
		snprintf(err, errlen, "needs core ABI %d.%d", KS_ABI_MAJOR,
		    KS_ABI_MINOR);
		return -1;
	}
	if (gathered < 0) {
		snprintf(err, errlen, "more routes, codes or vocabulary than "
		    "ah_module.c has room for");
		return -1;
	}
	ks = api;
	if (api->db_register(alimente_queries, Q_ALIMENTE_COUNT) < 0) {
		snprintf(err, errlen, "cannot register statements");
		return -1;
	}
	return 0;
}

static void
fini(void)
{
	ks = NULL;
}

static const struct ks_module descriptor = {
	KS_MODULE_HEADER,
	.name = "alimente",
	.version = "0.1.0",
	.init = init,
	.fini = fini,
	.routes = routes,
	.errors = errors,
	.vocabulary = vocabulary,
	.permissions = perms,
	.migrations = "modules/alimente/migrations",
	.dossier_kinds = ah_dossier_kinds,
	.jobs = ah_title_jobs,
	.money = &money
};

const struct ks_module *
kasus_module(void)
{
	/* A table too small leaves them empty: init then refuses. */
	if (gathered == 0 && (gathered = gather() == 0 ? 1 : -1) < 0) {
		memset(routes, 0, sizeof(routes));
		memset(errors, 0, sizeof(errors));
		memset(vocabulary, 0, sizeof(vocabulary));
	}
	return &descriptor;
}
