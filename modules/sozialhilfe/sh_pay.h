/*
 * sh_pay.h - what the Sozialhilfe module's money files share
 * (sh_payment.c: account, one-off payments, claims, client account;
 * sh_run.c: the lines of payment runs; sh_bank.c: camt.054 and bank
 * files): row accessors and the checks every handler makes.
 */
#ifndef SH_PAY_H
#define SH_PAY_H

#include <stdlib.h>
#include <string.h>

#include "sh.h"

#define END_FIELDS	{ NULL, 0, 0, 0, 0, NULL }
#define MAX_AMOUNT	100000000000LL	/* CHF 1 bn in Rappen */

/** Column c of row i as an integer. */
static inline json_int_t
ll(PGresult *r, int i, int c)
{
	return (json_int_t)strtoll(PQgetvalue(r, i, c), NULL, 10);
}

/** Column c of row i, NULL when SQL NULL. */
static inline const char *
str(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
}

static inline json_t *
int_or_null(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? json_null() : json_integer(ll(r, i, c));
}

static inline json_t *
str_or_null(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? json_null() :
	    json_string(PQgetvalue(r, i, c));
}

/** A list's "next": the first column of its last row when the page is full. */
static inline json_t *
next_cursor(PGresult *r, long long n)
{
	if (PQntuples(r) < n)
		return json_null();
	return json_string(PQgetvalue(r, PQntuples(r) - 1, 0));
}

/** 200 {"items": row(r, i) of every row, "next"} of a page of n. */
static inline int
page_reply(struct ks_request *req, PGresult *r, long long n,
    json_t *(*row)(PGresult *, int))
{
	json_t *items = json_array();
	int i;

	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, row(r, i));
	return ks->reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", next_cursor(r, n)));
}

/** The caller holds one of two permissions, else 403. */
static inline int
need_any(struct ks_request *req, const char *a, const char *b)
{
	if (ks->has_perm(req, a) || (b != NULL && ks->has_perm(req, b)))
		return KS_OK;
	return ks->fail_detail(req, 403, "forbidden",
	    "your role does not allow this", json_pack("{s:s}", "permission",
	    a));
}

static inline int
bad_field(struct ks_request *req, const char *code, const char *msg,
    const char *field)
{
	return ks->fail_detail(req, 400, code, msg, json_pack("{s:s}",
	    "field", field));
}

/** A string field of the (validated) body, or NULL. */
static inline const char *
body_s(struct ks_request *req, const char *name)
{
	return json_string_value(json_object_get(ks->body(req), name));
}

/** Text without control characters. */
static inline int
plain_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/** s, or NULL when it is NULL or empty. */
static inline const char *
nz(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

#endif
