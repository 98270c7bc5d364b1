/*
 * sh_pay.h - what the Sozialhilfe module's money files share
 * (sh_payment.c: one-off payments; sh_run.c: the lines of
 * payment runs): the checks every handler makes.
 */
#ifndef SH_PAY_H
#define SH_PAY_H

#include <stdlib.h>
#include <string.h>

#include "sh.h"

#define MAX_AMOUNT	100000000000LL	/* CHF 1 bn in Rappen */

static inline int
bad_field(struct ks_request *req, const char *code, const char *msg,
    const char *field)
{
	return ks->fail_detail(req, 400, code, msg, json_pack("{s:s}",
	    "field", field));
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

#endif
