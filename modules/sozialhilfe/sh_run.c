/*
 * sh_run.c - what the Sozialhilfe module contributes to the casework
 * layer's payment runs (core/casework/money/payrun.c; struct ks_money):
 * the lines of its dossiers, in one set-based statement.
 *
 * Regular lines pay the run's month from the approved budget in force
 * (rent to the landlord, the KVG premium to the insurer when the budget
 * says so, the rest to the applicant); approved one-off payments not
 * paid yet are paid by the next run. Every line names the month it pays.
 * A month whose run was approved before the support for it was decided
 * (or whose payment was held or returned) is paid by the next run as a
 * back payment (Nachzahlung): one line per dossier and month, to the
 * applicant, for what the budget in force for that month says less what
 * was paid for it. Only dossiers whose state, budgets or payments
 * changed are compared (the database marks them, sh_pay_mark; a run
 * notes the marks it checked, sh_run_check; its approval removes them,
 * and a run approved late marks again what later runs had unmarked).
 * The core serialises the computation of runs per tenant, so two runs
 * never pay a month twice.
 */
#include "sh_pay.h"

/* The run's lines: marks noted, then regular, back and one-off lines. */
static int
run_lines(struct ks_request *req, const char *run, const char *first,
    const char *month)
{
	const char *v[3] = { run, first, month };

	if (sh_q(req, Q_PAY_RUN_MARKS_TAKE, 1, v) == NULL ||
	    sh_q(req, Q_PAY_RUN_LINES_CREATE, 3, v) == NULL)
		return KS_ERROR;
	return KS_OK;
}

/* The one-off payments whose lines were not held are the run's now. */
static int
run_held(struct ks_request *req, const char *run)
{
	const char *v[1] = { run };

	return sh_q(req, Q_PAY_RUN_ONEOFFS_TAKE, 1, v) == NULL ?
	    KS_ERROR : KS_OK;
}

/* The run's lines go: its one-off payments are free again. */
static int
run_cleared(struct ks_request *req, const char *run)
{
	const char *v[1] = { run };

	return sh_q(req, Q_PAY_RUN_ONEOFFS_RELEASE, 1, v) == NULL ?
	    KS_ERROR : KS_OK;
}

/* Approved: the marks it checked go, a late approval marks again. */
static int
run_approved(struct ks_request *req, const char *run)
{
	const char *v[1] = { run };

	if (sh_q(req, Q_PAY_RUN_MARKS_CLEAR, 1, v) == NULL ||
	    sh_q(req, Q_PAY_RUN_MARKS_AGAIN, 1, v) == NULL)
		return KS_ERROR;
	return KS_OK;
}

const struct ks_money sh_money = {
	.run_lines = run_lines,
	.run_held = run_held,
	.run_cleared = run_cleared,
	.run_approved = run_approved
};
