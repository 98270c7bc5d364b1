/*
 * money.h - what the casework layer's money files share (account.c,
 * bank.c, claim.c): a field's 400 and a text that may be empty.
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

/** s, or NULL when it is NULL or empty. */
static inline const char *
ks_money_nz(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

#endif
