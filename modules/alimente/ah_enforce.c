/*
 * ah_enforce.c - enforcement (Betreibung) with its steps, fees and deadlines, the pension-fund report and its payout block, the criminal complaint, the end of the help (InkHV 16) and the final statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

const struct ks_route ah_enforce_routes[] = {
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL }
};

const struct ks_errdef ah_enforce_errors[] = {
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_enforce_vocabulary[] = {
	{ "deadline_kind", "ah_enforcement" },
	{ "deadline_kind", "ah_limitation" },
	{ NULL, NULL }
};

int
ah_enforce_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	(void)req; (void)dossier; (void)from; (void)to;
	return 0;
}

int
ah_enforce_worklist(struct ks_request *req, json_t *lists)
{
	(void)req; (void)lists;
	return 0;
}

int
ah_enforce_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	(void)req; (void)from; (void)from_tenant; (void)to; (void)to_tenant;
	return 0;
}
