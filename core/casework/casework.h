/*
 * casework.h - what the casework routes (dossier.c, record.c,
 * worklist.c, transfer.c) share: a dossier's row (statement case_get),
 * its JSON, and the calls into a module's hooks.
 */
#ifndef KS_CASEWORK_H
#define KS_CASEWORK_H

#include "kasus.h"
#include "kasus/module.h"

/** The dossier kind of row i of a case_get/case_list result (or NULL). */
const struct ks_dossier_kind *ks_case_kind(PGresult *, int i);
/** A dossier as JSON (the overview fields). */
json_t	*ks_case_json(PGresult *, int i);
/**
 * Load dossier id through the access policy (mode KS_ACCESS_*): its
 * case_get row, or NULL with 404 (unknown, foreign, or its module off
 * for the tenant) or 403 other_team set.
 */
PGresult *ks_case_load(struct ks_request *, int64_t id, int mode);
/** The same for path parameter {id} (KS_ACCESS_AUTO). */
PGresult *ks_case_param(struct ks_request *, int64_t *id);
/** 409 conflict with detail.current: the dossier as it is now. */
int	ks_case_stale(struct ks_request *, int64_t id);
/** 400 unless uid is an active user that may work for team. */
int	ks_case_check_assignee(struct ks_request *, const char *field,
	    long long uid, const char *team);
/**
 * Call fn(arg) as module (its statements); a failure without an error
 * set becomes 500. KS_OK or KS_ERROR.
 */
int	ks_case_hook(struct ks_request *, const char *module,
	    int (*fn)(void *), void *arg);

/** 1 when s is in the NULL-terminated list (transition.c). */
int	ks_str_in(const char *s, const char *const *list);
/** The modules switched on for the tenant, comma-separated. */
const char *ks_case_modules_on(struct ks_request *);
/** The work list (worklist.c). */
void	ks_worklist_register(void);
/** The checklist routes (checklist.c). */
void	ks_checklist_register(void);
/** 409 checklist_incomplete naming the missing required items, else KS_OK. */
int	ks_checklist_complete(struct ks_request *,
	    const struct ks_dossier_kind *, int64_t id);
/** The journal and deadline routes (record.c). */
void	ks_record_register(void);

#endif
