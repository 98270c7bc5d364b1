/*
 * sh.h - the Sozialhilfe module's internal declarations. The module
 * reaches the core only through `ks` (struct ks_api); its statements are
 * the generated Q_* ids of its own table (the core adds the module's
 * base, so no id names a core statement).
 */
#ifndef SH_H
#define SH_H

#include <stdint.h>

#include "kasus/module.h"
#include "queries.h"

extern const struct ks_api *ks;

/* Route tables of the module's files, merged by sh_module.c. */
extern const struct ks_route sh_dossier_routes[];
extern const struct ks_route sh_budget_routes[];
extern const struct ks_route sh_payment_routes[];
extern const struct ks_route sh_worklist_routes[];
extern const struct ks_route sh_letter_routes[];
/* The dossier kind the core's transition engine enforces (sh_dossier.c). */
extern const struct ks_dossier_kind sh_dossier_kinds[];
/* Background jobs (sh_jobs.c). */
extern const struct ks_job_type sh_job_types[];
/* What the module contributes to the core's payment runs (sh_run.c). */
extern const struct ks_money sh_money;
/* The letters of a batch (sh_letter.c). */
int	sh_letters_job(struct ks_request *, json_t *);

/** Run statement q; NULL with the error set (ks->db_q). */
PGresult *sh_q(struct ks_request *, int q, int n, const char *const *v);
/**
 * Load dossier {id} of this module through the core's access policy:
 * 404 when absent or foreign, 403 other_team for another team's change.
 */
PGresult *sh_dossier(struct ks_request *, int64_t *id);
/**
 * The access policy for the dossier of a record loaded in r (row 0,
 * its dossier id in column col): a goal, deadline, budget, decision,
 * claim or payment. 0, or -1 with 404/403 set.
 */
int sh_access(struct ks_request *, PGresult *r, const char *col);
/** Load and free the texts of decisions and letters (texts.json). */
void sh_texts_load(const char *root);
void sh_texts_fini(void);
/** Text key in lang ("de", "fr"); German, then the key, when missing. */
const char *sh_text(const char *lang, const char *key);
/**
 * The decision document of decision row dec (decision_get) as PDF in
 * the decision's language; approver NULL renders the draft (marked on
 * every page, unsigned). *pdf goes to ks->free. -1 with the error set.
 */
int sh_decision_render(struct ks_request *, PGresult *dec,
    const char *approver, char **pdf, size_t *len);
/**
 * Store a rendered document of a dossier: v holds dossier id, category,
 * title, size, sha256, uploader (letter_document); *doc gets its row
 * (id, uploaded_at). -1 with the error set.
 */
int sh_document_store(struct ks_request *, const char *const *v,
    const char *bytes, size_t len, PGresult **doc);
/** The required intake documents still missing (JSON array of codes). */
json_t *sh_missing_docs(struct ks_request *, int64_t dossier);
/**
 * Answer {"items": [...]} with statement q run on dossier {id}, each row
 * converted by row(); 404 for a foreign or unknown dossier.
 */
int sh_dossier_list(struct ks_request *, int q,
    json_t *(*row)(PGresult *, int));
/**
 * A deadline the system sets (review due, missing documents ...), at most
 * one per dossier, kind and due date (set again, a done one reopens).
 */
int sh_auto_deadline(struct ks_request *, int64_t dossier, const char *due,
    const char *kind, const char *text);
/** Mark a dossier's open deadlines done: of one kind or (NULL) all,
 * except those due on keep_due (NULL: none kept). */
int sh_deadlines_close(struct ks_request *, int64_t dossier,
    const char *kind, const char *keep_due);
/**
 * Move dossier id from state `from` to `to` (the caller checked that it
 * may) with the dossier's version as read, through the core
 * (ks->dossier_transition): records the step with a person's reason and
 * a system reason code (the closure reason when closing), runs the
 * kind's on_transition (the state's deadlines), audits. 409 conflict
 * with the current dossier when the version is stale.
 */
int sh_transition(struct ks_request *, int64_t id, const char *from,
    const char *to, const char *reason, const char *code,
    const char *version);
/** 409 checklist_incomplete naming the missing documents, else 0. */
int sh_checklist_complete(struct ks_request *, int64_t id);
/** The first of the month n months ahead; the day n days ahead. */
const char *sh_months_ahead(struct ks_request *, int n);
const char *sh_days_ahead(struct ks_request *, int n);

#endif
