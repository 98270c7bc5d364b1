/*
 * sh_jobs.c - the Sozialhilfe module's background jobs.
 *
 * sozialhilfe.review_reminders (daily): support is reviewed at least
 * every six months. A dossier gets its reminder (a review_due deadline)
 * when it becomes ongoing; this job gives one to every ongoing dossier
 * that has none open - its reminder was marked done without the review
 * step, or it came by a migration or an import - due six months after the
 * last review. Running it again changes nothing: a dossier with an open
 * reminder is left alone, and the dossier is locked while one is set.
 */
#include <string.h>

#include "sh.h"

#define REVIEW_TEXT	"Periodische Überprüfung fällig"

static int
review_reminders(struct ks_request *job, json_t *payload)
{
	const char *v[3];
	PGresult *c, *l, *r;
	int i, n, made = 0;

	(void)payload;
	if ((c = sh_q(job, Q_REVIEW_CANDIDATES, 0, NULL)) == NULL)
		return -1;
	n = PQntuples(c);
	if (ks->job_progress(job, 0, n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		v[0] = ks_db_str(c, i, "id");
		v[1] = ks_db_str(c, i, "due_on");
		v[2] = REVIEW_TEXT;
		if ((l = sh_q(job, Q_REVIEW_LOCK, 1, v)) == NULL ||
		    (r = sh_q(job, Q_REVIEW_REMINDER_ADD, 3, v)) == NULL)
			return -1;
		if (PQntuples(r) == 1) {
			made++;
			if (ks->audit(job, "deadline_added", "deadline",
			    ks_db_str(r, 0, "id"), NULL, NULL, json_pack(
			    "{s:s,s:s,s:s,s:s}", "dossier", v[0], "kind",
			    "review_due", "due_on", v[1], "by",
			    "review_reminders")) != 0)
				return -1;
		}
		/* The item's results go now, not when the job ends. */
		ks->db_free(job, r);
		ks->db_free(job, l);
		if (ks->job_progress(job, i + 1, n) != 0)
			return -1;
	}
	ks->job_result(job, json_pack("{s:i,s:i}", "checked", n, "created",
	    made));
	return 0;
}

/*
 * The letters of a batch (sh_letter.c) report progress with every letter
 * (payment runs and camt.054 imports are the core's jobs now:
 * core/casework/money/).
 */
const struct ks_job_type sh_job_types[] = {
	{ "sozialhilfe.review_reminders", review_reminders, "daily", 0, 0, 0 },
	{ "sozialhilfe.letters", sh_letters_job, NULL, 0, 0, 0 },
	KS_JOB_TYPES_END
};
