/*
 * ah_collect.c - the debtor's payments (camt.054 by the title's QR reference, or by hand), their allocation by the canton's pack alimente-allocation, the pass-on to the creditor, arrears, reminders and the recovery ledger per child.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

const struct ks_route ah_collect_routes[] = {
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL }
};

const struct ks_errdef ah_collect_errors[] = {
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_collect_vocabulary[] = {
	{ "deadline_kind", "ah_missing_payment" },
	{ "payment_kind", "ah_passon" },
	{ NULL, NULL }
};

int
ah_collect_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	(void)req; (void)dossier; (void)from; (void)to;
	return 0;
}

int
ah_collect_worklist(struct ks_request *req, json_t *lists)
{
	(void)req; (void)lists;
	return 0;
}

int
ah_collect_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	(void)req; (void)from; (void)from_tenant; (void)to; (void)to_tenant;
	return 0;
}

int
ah_collect_run_lines(struct ks_request *req, const char *run,
    const char *first, const char *month)
{
	(void)req; (void)run; (void)first; (void)month;
	return 0;
}
