/*
 * ah.h - the Alimentenhilfe module's internal declarations (collection
 * help and advances of child support). The module reaches the core only
 * through `ks` (struct ks_api); its statements are the generated Q_* ids
 * of its own table.
 *
 * The files by subject, each with its routes, error codes and
 * vocabulary, merged by ah_module.c:
 *   ah_title.c    application, title, creditors, debtor, the schedule
 *   ah_advance.c  advance decisions (four eyes), letters, the advance run
 *   ah_collect.c  debtor payments, allocation, pass-on, arrears, ledger
 *   ah_enforce.c  enforcement, pension-fund reports, end, final statement
 */
#ifndef AH_H
#define AH_H

#include <stdint.h>

#include "kasus/module.h"
#include "queries.h"

extern const struct ks_api *ks;

/* What each file adds (NULL-terminated arrays; merged at init). */
#define AH_AREA(a)							\
	extern const struct ks_route ah_##a##_routes[];			\
	extern const struct ks_errdef ah_##a##_errors[];		\
	extern const struct ks_vocab ah_##a##_vocabulary[];		\
	int ah_##a##_on_transition(struct ks_request *, int64_t dossier, \
	    const char *from, const char *to);				\
	int ah_##a##_worklist(struct ks_request *, json_t *lists);	\
	int ah_##a##_transfer(struct ks_request *, int64_t from,	\
	    int64_t from_tenant, int64_t to, int64_t to_tenant);
AH_AREA(title)
AH_AREA(advance)
AH_AREA(collect)
AH_AREA(enforce)
#undef AH_AREA

/* The dossier kind (ah_module.c). */
extern const struct ks_dossier_kind ah_dossier_kinds[];

/* Payment runs: each area's lines (ah_advance.c, ah_collect.c). */
int	ah_advance_run_lines(struct ks_request *, const char *run,
	    const char *first, const char *month);
int	ah_collect_run_lines(struct ks_request *, const char *run,
	    const char *first, const char *month);

/**
 * Load dossier {id} of this module through the core's access policy
 * (404 absent, foreign or another module's; 403 another team's change).
 */
PGresult *ah_dossier(struct ks_request *, int64_t *id);
/**
 * 200 {"items", "next"}: a page of statement q (dossier, after, limit)
 * for dossier {id} (ah_dossier), each row as row() makes it.
 */
int	ah_dossier_page(struct ks_request *, int q,
	    json_t *(*row)(PGresult *, int));
/** Record rid of dossier as that page lists it (new reference), NULL on error. */
json_t	*ah_dossier_row(struct ks_request *, int q, const char *dossier,
	    const char *rid, json_t *(*row)(PGresult *, int));

/* Collection (ah_collect.c, h14-collect): a bank credit by the title's
   QR reference (struct ks_money credit, SDK 2.5). */
int	ah_collect_credit(struct ks_request *, const struct ks_credit *);
/*
 * The debtor's QR-bill payload from row 0 of r (columns of
 * ah_collect_bill: acc_*, the debtor's, debtor_reference) for amount
 * (none when <= 0); *payload to ks->free. The address lines of the
 * person or (pre "acc_") the account in r, in the arena.
 */
int	ah_collect_qrbill(struct ks_request *, PGresult *r, long long amount,
	    const char *message, char **payload);
const char *ah_collect_lines(struct ks_request *, PGresult *r,
	    const char *name, const char *pre);

/* Reminders to the debtor (ah_remind.c, InkHV 12): its routes; how
   many were sent in dossier (for the enforcement request), NULL: none. */
extern const struct ks_route ah_remind_routes[];
extern const struct ks_errdef ah_remind_errors[];
extern const struct ks_vocab ah_remind_vocabulary[];
json_t	*ah_remind_sent(struct ks_request *, int64_t dossier);

/*
 * The title's area (ah_title.c, h14-title). Rewrite the schedule
 * (ah_due) of dossier from its title and amounts: from the first due
 * month to the title's end or the end of next month (call it when what
 * it reads changed, or for a month it has not reached yet). The
 * checklist hook sets or ends the cooperation deadline.
 */
int	ah_title_due_write(struct ks_request *, int64_t dossier);
int	ah_title_on_checklist(struct ks_request *, int64_t dossier,
	    json_t *missing);
/* The monthly job alimente.schedule carries every open schedule on. */
extern const struct ks_job_type ah_title_jobs[];

/* Enforcement and end (h14-enforce): ah_end.c, routed by ah_enforce.c. */
/** GET /cases/{id}/final-statement: the Schlussabrechnung as PDF. */
int	ah_end_statement(struct ks_request *);

/*
 * Advances (h14-advance): the texts of the module's letters
 * (texts.json, read when a letter is written: a new reference, NULL when
 * unreadable), one text in lang (German when missing) and one with each
 * {name} filled from NULL-terminated name, value pairs (in the arena);
 * the advance decision letter (ah_letter.c): adv is an ah_advance_get
 * row, *lang NULL: the applicant's (set to it), draft marks it as a
 * draft and leaves out the signatures.
 */
json_t		*ah_texts_load(void);
const char	*ah_text(json_t *texts, const char *lang, const char *key);
const char	*ah_fill(struct ks_request *, json_t *texts, const char *lang,
		    const char *key, ...);
int		 ah_advance_letter(struct ks_request *, PGresult *adv,
		    const char **lang, int draft, char **pdf, size_t *len);
/* An amount "CHF 1'234.50" and a long date in lang, in the arena. */
const char	*ah_chf(struct ks_request *, long long rappen);
const char	*ah_day(struct ks_request *, const char *iso, const char *lang);
/* Text of column c of row 0, NULL when SQL NULL or empty. */
const char	*ah_col(PGresult *, const char *c);
/* A PDF stored as a document of a dossier through query q; its id. */
const char	*ah_pdf_store(struct ks_request *, int q, const char *dossier,
		    const char *title, char *pdf, size_t len, char sha[65]);

#endif
