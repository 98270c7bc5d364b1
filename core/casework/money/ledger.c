/*
 * ledger.c - the client account of a dossier (the view ledger): what was
 * paid to or for the client (negative: the lines of the exported payment
 * runs themselves, booked on the run's execution date, with the line's
 * id), corrections (a payment returned by the bank), repayments and
 * claims (ledger_entry), with the balance and what open claims still
 * ask. Any module's dossier has one; the entries are written by the
 * money services.
 */
#include "kasus.h"
#include "queries.h"

/* GET /api/v1/cases/{id}/ledger: a page of entries, balance, claims. */
static int
ledger_show(struct ks_request *req)
{
	const char *v[3];
	long long n;
	PGresult *r, *t;
	json_t *items;
	int64_t id;
	int i;

	if (ks_page(req, &v[1], &v[2], &n) != KS_OK ||
	    ks_param_id(req, "id", &id) != KS_OK ||
	    ks_access_dossier(req, id, KS_ACCESS_AUTO) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_LEDGER_LIST, 3, v)) == NULL ||
	    (t = ks_db_q(req, Q_LEDGER_TOTALS, 1, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:I,s:s,"
		    "s:o,s:s}", "id", (json_int_t)ks_db_getll(r, i, "id"),
		    "booked_on", ks_db_str(r, i, "booked_on"), "kind",
		    ks_db_str(r, i, "kind"), "amount",
		    (json_int_t)ks_db_getll(r, i, "amount"), "text",
		    ks_db_str(r, i, "text"), "ref", ks_db_json_str(r, i, "ref"),
		    "created_at", ks_db_str(r, i, "created_at")));
	return ks_reply(req, 200, json_pack("{s:o,s:o,s:I,s:I}", "items",
	    items, "next", ks_db_cursor(r, n, "id"), "balance",
	    (json_int_t)ks_db_getll(t, 0, "balance"), "claims_open",
	    (json_int_t)ks_db_getll(t, 0, "open")));
}

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/cases/{id}/ledger", "ledger.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, ledger_show,
	    "the client account: entries and balance", NULL, NULL },
	KS_ROUTES_END
};

void
ks_ledger_register(void)
{
	ks_router_add(routes, NULL);
}
