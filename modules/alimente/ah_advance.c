/*
 * ah_advance.c - advance decisions (Bevorschussung) per child from the canton's pack alimente-advance, approved by a second person, their letters, the yearly re-check and the monthly advance lines of a payment run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

const struct ks_route ah_advance_routes[] = {
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL }
};

const struct ks_errdef ah_advance_errors[] = {
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_advance_vocabulary[] = {
	{ "deadline_kind", "ah_recheck" },
	{ "payment_kind", "ah_advance" },
	{ NULL, NULL }
};

int
ah_advance_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	(void)req; (void)dossier; (void)from; (void)to;
	return 0;
}

int
ah_advance_worklist(struct ks_request *req, json_t *lists)
{
	(void)req; (void)lists;
	return 0;
}

int
ah_advance_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	(void)req; (void)from; (void)from_tenant; (void)to; (void)to_tenant;
	return 0;
}

int
ah_advance_run_lines(struct ks_request *req, const char *run,
    const char *first, const char *month)
{
	(void)req; (void)run; (void)first; (void)month;
	return 0;
}
