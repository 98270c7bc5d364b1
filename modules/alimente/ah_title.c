/*
 * ah_title.c - the application (InkHV art. 9), the maintenance title with its creditors, amounts and debtor, and the schedule of what is due per creditor and month (indexed by the canton's pack alimente-index).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

const struct ks_route ah_title_routes[] = {
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL }
};

const struct ks_errdef ah_title_errors[] = {
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_title_vocabulary[] = {
	{ "deadline_kind", "ah_cooperation" },
	{ "document_category", "ah_title" },
	{ "document_category", "ah_power_of_attorney" },
	{ "document_category", "ah_assignment" },
	{ NULL, NULL }
};

int
ah_title_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	(void)req; (void)dossier; (void)from; (void)to;
	return 0;
}

int
ah_title_worklist(struct ks_request *req, json_t *lists)
{
	(void)req; (void)lists;
	return 0;
}

int
ah_title_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	(void)req; (void)from; (void)from_tenant; (void)to; (void)to_tenant;
	return 0;
}
