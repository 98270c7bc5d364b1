/*
 * money.h - what the casework layer's money files share (account.c,
 * bank.c, claim.c): a field's 400 and a page of rows as JSON.
 */
#ifndef KS_MONEY_H
#define KS_MONEY_H

#include "kasus.h"

/** 400 code with detail.field. */
static inline int
ks_money_bad_field(struct ks_request *req, const char *code,
    const char *msg, const char *field)
{
	return ks_fail_detail(req, 400, code, msg, json_pack("{s:s}",
	    "field", field));
}

/** 200 {"items": row(r, i) of every row, "next" by id} of a page of n. */
static inline int
ks_money_page(struct ks_request *req, PGresult *r, long long n,
    json_t *(*row)(PGresult *, int))
{
	json_t *items = json_array();
	int i;

	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, row(r, i));
	return ks_reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", ks_db_cursor(r, n, "id")));
}

/** s, or NULL when it is NULL or empty. */
static inline const char *
ks_money_nz(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

#endif
