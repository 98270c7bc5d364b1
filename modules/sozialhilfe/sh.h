/*
 * sh.h - the Sozialhilfe module's internal declarations. The module
 * reaches the core only through `ks` (struct ks_api); its statements are
 * the generated Q_* ids offset by `sh_qbase` (use SHQ()).
 */
#ifndef SH_H
#define SH_H

#include <stdint.h>

#include "kasus.h"
#include "ks_module.h"
#include "queries.h"

extern const struct ks_api *ks;
extern int sh_qbase;

#define SHQ(name)	(sh_qbase + Q_##name)

/* Route tables of the module's files, merged by sh_module.c. */
extern const struct ks_route sh_dossier_routes[];
extern const struct ks_route sh_budget_routes[];
extern const struct ks_route sh_payment_routes[];
extern const struct ks_route sh_run_routes[];
extern const struct ks_route sh_bank_routes[];

/** "%lld" of v in the request's arena. */
const char *sh_num(struct ks_request *, long long v);
/** Run statement q; NULL with the error set (ks->db_q). */
PGresult *sh_q(struct ks_request *, int q, int n, const char *const *v);
/** Load dossier {id} of this module; 404 when absent or foreign. */
PGresult *sh_dossier(struct ks_request *, int64_t *id);
/** The dossier as JSON (overview fields). */
json_t *sh_dossier_json(PGresult *, int row);
/** Load and free the decision texts (texts.json). */
void sh_budget_texts(const char *root);
void sh_budget_fini(void);
/**
 * Answer {"items": [...]} with statement q run on dossier {id}, each row
 * converted by row(); 404 for a foreign or unknown dossier.
 */
int sh_dossier_list(struct ks_request *, int q,
    json_t *(*row)(PGresult *, int));
/** A deadline the system sets (review due, missing documents ...). */
int sh_auto_deadline(struct ks_request *, int64_t dossier, const char *due,
    const char *kind, const char *text);
/** The first of the month n months ahead; the day n days ahead. */
const char *sh_months_ahead(struct ks_request *, int n);
const char *sh_days_ahead(struct ks_request *, int n);
/** "YYYY-MM-DD" today, in the arena. */
const char *sh_today(struct ks_request *);

#endif
