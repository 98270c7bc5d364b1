/*
 * ah_title.c - the application (InkHV art. 9), the maintenance title with
 * its creditors, amounts and debtor, and the schedule of what is due per
 * creditor and month (ah_due), indexed by the canton's pack
 * alimente-index as the title's clause says.
 *
 * The schedule is rewritten whenever the title or a creditor's amounts
 * change (ah_title_due_write): from the first due month (the month of the
 * application, or arrears_from when older arrears are taken on) to the
 * title's end or the end of next month. What it holds per month is in
 * migrations/0002_title.sql (amount = indexed maintenance + family
 * allowance). The index clause: the amount moves once a year, in the
 * title's index_month, after the base month, by the points of the month
 * before (the last one published; until there is one, it stays).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

#define KB		4096
#define MAX_STEPS	40
#define MAX_CREDITORS	20

/* ------------------------------------------------------------ helpers */

static PGresult *
q(struct ks_request *req, int id, int n, const char *const *v)
{
	return ks->db_q(req, id, n, v);
}

static const char *
bstr(struct ks_request *req, const char *name)
{
	return json_string_value(json_object_get(ks->body(req), name));
}

/* A whole number of the body as a statement parameter, NULL if absent. */
static const char *
bnum(struct ks_request *req, const char *name)
{
	json_t *v = json_object_get(ks->body(req), name);

	return json_is_integer(v) ? ks->num(req, json_integer_value(v)) : NULL;
}

static int
invalid(struct ks_request *req, const char *field, const char *msg)
{
	return ks->fail_detail(req, 400, "invalid_value", msg,
	    json_pack("{s:s}", "field", field));
}

/* A month as a number (year * 12 + month - 1) from "YYYY-MM[-DD]". */
static int
month_of(const char *s)
{
	return atoi(s) * 12 + atoi(s + 5) - 1;
}

/* Month m as YYYY-MM, or as its first day, in buf (11 bytes). */
static const char *
month_buf(char *buf, int m, int day)
{
	snprintf(buf, 11, day ? "%04d-%02d-01" : "%04d-%02d", m / 12,
	    m % 12 + 1);
	return buf;
}

static const char *
month_str(struct ks_request *req, int m, int day)
{
	char buf[11];

	return ks->strdup(req, month_buf(buf, m, day));
}

static int
first_of_month(const char *s)
{
	return s != NULL && strlen(s) == 10 && strcmp(s + 8, "01") == 0;
}

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant). */
static long
days_of(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static const char *
date_plus(struct ks_request *req, const char *date, int days)
{
	long z = days_of(atoi(date), atoi(date + 5), atoi(date + 8)) + days
	    + 719468, era, doe, yoe, y, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	return ks->printf(req, "%04ld-%02ld-%02ld", y + (m <= 2), m, d);
}

/* The QR reference of a title: its id in 26 digits, the mod-10 digit. */
static const char *
qr_reference(struct ks_request *req, const char *id)
{
	static const int table[10] = { 0, 9, 4, 6, 8, 2, 7, 1, 3, 5 };
	const char *ref = ks->printf(req, "%026lld", atoll(id));
	int carry = 0;
	size_t i;

	for (i = 0; ref[i] != '\0'; i++)
		carry = table[(carry + ref[i] - '0') % 10];
	return ks->printf(req, "%s%d", ref, (10 - carry) % 10);
}

/* ---------------------------------------------------------- answers */

static json_t *
person_name(PGresult *r, int i, const char *first, const char *last)
{
	if (ks_db_isnull(r, i, last))
		return json_null();
	return json_sprintf("%s %s", ks_db_str(r, i, first),
	    ks_db_str(r, i, last));
}

static json_t *
creditor_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:o,s:s,s:s,s:o,s:I,s:o}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "person_id", (json_int_t)ks_db_getll(r, i, "person_id"),
	    "name", person_name(r, i, "first_name", "last_name"),
	    "birth_date", ks_db_str(r, i, "birth_date"),
	    "role", ks_db_str(r, i, "role"),
	    "education_until", ks_db_json_str(r, i, "education_until"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "amounts", ks_db_json(r, i, "amounts"));
}

static json_t *
title_only(PGresult *t)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,"
	    "s:I,s:b,s:o,s:o,s:o,s:o,s:I}",
	    "id", (json_int_t)ks_db_getll(t, 0, "id"),
	    "dossier_id", (json_int_t)ks_db_getll(t, 0, "dossier_id"),
	    "title_kind", ks_db_str(t, 0, "title_kind"),
	    "authority", ks_db_str(t, 0, "authority"),
	    "decided_on", ks_db_str(t, 0, "decided_on"),
	    "enforceable_on", ks_db_json_str(t, 0, "enforceable_on"),
	    "applied_on", ks_db_str(t, 0, "applied_on"),
	    "arrears_from", ks_db_json_str(t, 0, "arrears_from"),
	    "ends_on", ks_db_json_str(t, 0, "ends_on"),
	    "index_base_points", ks_db_json_int(t, 0, "index_base_points"),
	    "index_base_month", ks_db_json_str(t, 0, "index_base_month"),
	    "index_month", ks_db_json_int(t, 0, "index_month"),
	    "index_rounding", (json_int_t)ks_db_getll(t, 0, "index_rounding"),
	    "family_allowances", strcmp(ks_db_str(t, 0, "family_allowances"),
	    "t") == 0,
	    "debtor_id", ks_db_json_int(t, 0, "debtor_id"),
	    "debtor_employer", ks_db_json_str(t, 0, "debtor_employer"),
	    "debtor_pension", ks_db_json_str(t, 0, "debtor_pension"),
	    "debtor_reference", ks_db_json_str(t, 0, "debtor_reference"),
	    "version", (json_int_t)ks_db_getll(t, 0, "version"));
}

static json_t *
debtor_json(PGresult *t)
{
	if (ks_db_isnull(t, 0, "debtor_id") && ks_db_isnull(t, 0,
	    "debtor_employer") && ks_db_isnull(t, 0, "debtor_pension"))
		return json_pack("{s:n,s:n,s:s}", "person_id", "name",
		    "reference", ks_db_str(t, 0, "debtor_reference"));
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s}",
	    "person_id", ks_db_json_int(t, 0, "debtor_id"),
	    "name", person_name(t, 0, "debtor_first_name", "debtor_last_name"),
	    "birth_date", ks_db_json_str(t, 0, "debtor_birth_date"),
	    "street", ks_db_json_str(t, 0, "debtor_street"),
	    "house_no", ks_db_json_str(t, 0, "debtor_house_no"),
	    "postcode", ks_db_json_str(t, 0, "debtor_postcode"),
	    "town", ks_db_json_str(t, 0, "debtor_town"),
	    "country", ks_db_json_str(t, 0, "debtor_country"),
	    "employer", ks_db_json_str(t, 0, "debtor_employer"),
	    "pension", ks_db_json_str(t, 0, "debtor_pension"),
	    "reference", ks_db_str(t, 0, "debtor_reference"));
}

/*
 * The title of dossier id as GET answers it; NULL with *version 0 when
 * there is none, NULL with *version -1 on an error (set).
 */
static json_t *
title_json(struct ks_request *req, int64_t id, long long *version)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *t, *c;
	json_t *cr;
	int i;

	*version = -1;
	if ((t = q(req, Q_AH_TITLE_GET, 1, v)) == NULL)
		return NULL;
	*version = 0;
	if (PQntuples(t) != 1)
		return NULL;
	*version = -1;
	if ((c = q(req, Q_AH_TITLE_CREDITORS, 1, v)) == NULL)
		return NULL;
	cr = json_array();
	for (i = 0; i < PQntuples(c); i++)
		json_array_append_new(cr, creditor_json(c, i));
	*version = ks_db_getll(t, 0, "version");
	return json_pack("{s:o,s:o,s:o}", "title", title_only(t), "debtor",
	    debtor_json(t), "creditors", cr);
}

/* Dossier {id} for a change: a closed one is refused (409). */
static PGresult *
dossier_open(struct ks_request *req, int64_t *id)
{
	PGresult *d;

	if ((d = ah_dossier(req, id)) == NULL)
		return NULL;
	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0) {
		ks->fail(req, 409, "dossier_closed", "the dossier is closed: "
		    "its title and creditors stay as they are");
		return NULL;
	}
	return d;
}

static int
title_missing(struct ks_request *req)
{
	return ks->fail(req, 404, "ah_title_missing", "the dossier has no "
	    "maintenance title yet");
}

/* ------------------------------------------------------- the schedule */

struct points_memo {
	int	 ref;		/* month */
	int	 points;	/* 0: not published */
};

struct amount_memo {
	long long	 amount, out;
	int		 points;
};

struct clause {
	int			 on, base, base_month, month, rounding;
	struct points_memo	 pts[64];
	int			 npts;
	struct amount_memo	 amt[128];
	int			 namt;
};

/* The index points of month ref from the pack: >= 0 (0: none yet). */
static int
points_of(struct ks_request *req, struct clause *c, int ref)
{
	json_t *in, *out, *prov;
	char buf[11];
	int i, p;

	for (i = 0; i < c->npts; i++)
		if (c->pts[i].ref == ref)
			return c->pts[i].points;
	in = json_pack("{s:s}", "month", month_buf(buf, ref, 0));
	if (ks->rules_eval(req, "alimente-index", "points", ks->today(req),
	    in, &out, &prov) != 0) {
		json_decref(in);
		return -1;
	}
	p = (int)json_integer_value(json_object_get(out, "points"));
	json_decref(in);
	json_decref(out);
	json_decref(prov);
	if (c->npts < (int)(sizeof(c->pts) / sizeof(c->pts[0]))) {
		c->pts[c->npts].ref = ref;
		c->pts[c->npts++].points = p;
	}
	return p;
}

/*
 * The month whose points index month m: the latest month before one the
 * amount moves in (the clause's month of the year) after the base month
 * with points published. 1 with *ref and *pts, 0 when none, -1 error.
 */
static int
index_ref(struct ks_request *req, struct clause *c, int m, int *ref,
    int *pts)
{
	int a = m - ((m % 12) - (c->month - 1) + 12) % 12;

	for (; a > c->base_month; a -= 12) {
		if ((*pts = points_of(req, c, a - 1)) < 0)
			return -1;
		if (*pts > 0) {
			*ref = a - 1;
			return 1;
		}
	}
	return 0;
}

static long long
indexed(struct ks_request *req, struct clause *c, long long amount, int pts)
{
	json_t *in, *out, *prov;
	long long r;
	int i;

	for (i = 0; i < c->namt; i++)
		if (c->amt[i].amount == amount && c->amt[i].points == pts)
			return c->amt[i].out;
	in = json_pack("{s:I,s:i,s:i,s:i}", "amount", (json_int_t)amount,
	    "base_index", c->base, "index", pts, "rounding", c->rounding);
	if (ks->rules_eval(req, "alimente-index", "index", ks->today(req),
	    in, &out, &prov) != 0) {
		json_decref(in);
		return -1;
	}
	r = json_integer_value(json_object_get(out, "amount"));
	json_decref(in);
	json_decref(out);
	json_decref(prov);
	if (c->namt < (int)(sizeof(c->amt) / sizeof(c->amt[0]))) {
		c->amt[c->namt].amount = amount;
		c->amt[c->namt].points = pts;
		c->amt[c->namt++].out = r;
	}
	return r;
}

/* One step's months from..to (exclusive) into rows. */
static int
step_rows(struct ks_request *req, struct clause *c, PGresult *s, int i,
    int from, int to, int fa_on, json_t *rows)
{
	long long amount = ks_db_getll(s, i, "amount"), due;
	long long fa = fa_on ? ks_db_getll(s, i, "family_allowance") : 0;
	json_t *row;
	char buf[11];
	int m, ref, pts, k;

	/* No arena copies: this runs for every month of thousands of
	   titles in the monthly job. */
	for (m = from; m < to; m++) {
		row = json_pack("{s:s,s:s,s:I,s:I}", "c", ks_db_str(s, i,
		    "creditor_id"), "m", month_buf(buf, m, 1), "t",
		    (json_int_t)amount, "f", (json_int_t)fa);
		json_array_append_new(rows, row);
		k = c->on ? index_ref(req, c, m, &ref, &pts) : 0;
		if (k < 0)
			return -1;
		due = amount;
		if (k == 1) {
			if ((due = indexed(req, c, amount, pts)) < 0)
				return -1;
			json_object_set_new(row, "b", json_integer(c->base));
			json_object_set_new(row, "p", json_integer(pts));
			json_object_set_new(row, "r", json_integer(
			    c->rounding));
			json_object_set_new(row, "x", json_string(
			    month_buf(buf, ref, 1)));
		}
		json_object_set_new(row, "a", json_integer(due + fa));
	}
	return 0;
}

int
ah_title_due_write(struct ks_request *req, int64_t dossier)
{
	const char *v[2] = { ks->num(req, dossier), NULL }, *ends;
	struct clause c;
	PGresult *l, *t, *d, *s, *r;
	json_t *rows;
	char *dump;
	int first, end, e, i, from, to, fa_on, rc;

	/*
	 * The monthly job writes this for every open title (thousands): the
	 * results go as soon as they are used, not when the job ends.
	 */
	/* One writer at a time per dossier: the title's row is the lock. */
	if ((l = q(req, Q_AH_TITLE_LOCK, 1, v)) == NULL ||
	    (t = q(req, Q_AH_TITLE_GET, 1, v)) == NULL ||
	    (d = q(req, Q_AH_TITLE_DUE_DELETE, 1, v)) == NULL)
		return -1;
	ks->db_free(req, d);
	ks->db_free(req, l);
	if (PQntuples(t) != 1) {
		ks->db_free(req, t);
		return 0;
	}
	if ((s = q(req, Q_AH_TITLE_STEPS, 1, v)) == NULL)
		return -1;
	first = month_of(ks_db_str(t, 0, "applied_on"));
	if (!ks_db_isnull(t, 0, "arrears_from"))
		first = month_of(ks_db_str(t, 0, "arrears_from"));
	end = month_of(ks->today(req)) + 2;
	if ((ends = ks_db_get(t, 0, "ends_on")) != NULL) {
		/* due: every month that begins before the title ends */
		e = month_of(ends) + (strcmp(ends + 8, "01") != 0);
		end = e < end ? e : end;
	}
	memset(&c, 0, sizeof(c));
	if ((c.on = !ks_db_isnull(t, 0, "index_base_points"))) {
		c.base = (int)ks_db_getll(t, 0, "index_base_points");
		c.base_month = month_of(ks_db_str(t, 0, "index_base_month"));
		c.month = (int)ks_db_getll(t, 0, "index_month");
		c.rounding = (int)ks_db_getll(t, 0, "index_rounding");
	}
	fa_on = strcmp(ks_db_str(t, 0, "family_allowances"), "t") == 0;
	ks->db_free(req, t);
	rows = json_array();
	for (i = 0; i < PQntuples(s); i++) {
		from = month_of(ks_db_str(s, i, "valid_from"));
		to = ks_db_isnull(s, i, "valid_to") ? end :
		    month_of(ks_db_str(s, i, "valid_to"));
		if (step_rows(req, &c, s, i, from > first ? from : first,
		    to < end ? to : end, fa_on, rows) != 0) {
			json_decref(rows);
			return -1;
		}
	}
	ks->db_free(req, s);
	if ((dump = json_dumps(rows, JSON_COMPACT)) == NULL)
		abort();
	json_decref(rows);
	v[1] = dump;
	r = q(req, Q_AH_TITLE_DUE_INSERT, 2, v);
	free(dump);
	rc = r == NULL ? -1 : 0;
	ks->db_free(req, r);
	return rc;
}

/*
 * The schedule runs to the end of next month: once a month every open
 * dossier's is written again, so the new month is there (and a new
 * version of the index pack's points is taken in). Rewriting is
 * idempotent.
 */
static int
schedule_job(struct ks_request *job, json_t *payload)
{
	PGresult *r;
	int i, n;

	(void)payload;
	if ((r = q(job, Q_AH_TITLE_OPEN_DOSSIERS, 0, NULL)) == NULL)
		return -1;
	n = PQntuples(r);
	if (ks->job_progress(job, 0, n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (ah_title_due_write(job, ks_db_getll(r, i,
		    "dossier_id")) != 0 || ks->job_progress(job, i + 1, n) != 0)
			return -1;
	ks->job_result(job, json_pack("{s:i}", "dossiers", n));
	return 0;
}

const struct ks_job_type ah_title_jobs[] = {
	{ "alimente.schedule", schedule_job, "monthly", 0, 0, 0 },
	KS_JOB_TYPES_END
};

/* ---------------------------------------------------------- the title */

/* What the fields' declarations cannot say about a title. */
static int
title_check(struct ks_request *req)
{
	const char *kind = bstr(req, "title_kind"), *applied, *arrears,
	    *decided, *ends, *bm;
	json_t *b = ks->body(req);
	int has_points, has_month;

	if (strcmp(kind, "judgment") != 0 && strcmp(kind, "decision") != 0 &&
	    strcmp(kind, "agreement") != 0)
		return invalid(req, "title_kind", "the title is a judgment, a "
		    "decision or an agreement");
	applied = bstr(req, "applied_on");
	decided = bstr(req, "decided_on");
	if (atoi(applied) < 1990 || atoi(applied) > 2200)
		return invalid(req, "applied_on", "the application is dated "
		    "between 1990 and 2200");
	if ((arrears = bstr(req, "arrears_from")) != NULL) {
		if (!first_of_month(arrears))
			return invalid(req, "arrears_from", "arrears are taken "
			    "on from the first day of a month");
		if (month_of(arrears) >= month_of(applied) ||
		    month_of(arrears) < month_of(applied) - 20 * 12)
			return invalid(req, "arrears_from", "arrears are taken "
			    "on from a month before the application, at most "
			    "20 years back");
	}
	if ((ends = bstr(req, "ends_on")) != NULL && strcmp(ends,
	    decided) <= 0)
		return invalid(req, "ends_on", "the title ends after it was "
		    "decided");
	has_points = json_is_integer(json_object_get(b, "index_base_points"));
	bm = bstr(req, "index_base_month");
	has_month = json_is_integer(json_object_get(b, "index_month"));
	if (has_points != (bm != NULL) || has_points != has_month)
		return invalid(req, has_points ? (bm ? "index_month" :
		    "index_base_month") : "index_base_points", "an index "
		    "clause names its base points, its base month and the "
		    "month the amount moves, or none of them");
	if (bm != NULL && !first_of_month(bm))
		return invalid(req, "index_base_month", "the base month is "
		    "given by its first day");
	return 0;
}

/* The debtor, when named, is a person of this service. */
static int
person_check(struct ks_request *req, const char *id, const char *field)
{
	PGresult *r;

	if (id == NULL)
		return 0;
	if ((r = q(req, Q_AH_TITLE_PERSON, 1, &id)) == NULL)
		return -1;
	return PQntuples(r) == 1 ? 0 : invalid(req, field, "no such person");
}

static int
title_write(struct ks_request *req, int64_t id, int exists)
{
	const char *v[19], *tid;
	PGresult *r;
	int n = 0;

	v[n++] = ks->num(req, id);
	v[n++] = bstr(req, "title_kind");
	v[n++] = bstr(req, "authority");
	v[n++] = bstr(req, "decided_on");
	v[n++] = bstr(req, "enforceable_on");
	v[n++] = bstr(req, "applied_on");
	v[n++] = bstr(req, "arrears_from");
	v[n++] = bstr(req, "ends_on");
	v[n++] = bnum(req, "index_base_points");
	v[n++] = bstr(req, "index_base_month");
	v[n++] = bnum(req, "index_month");
	v[n++] = bnum(req, "index_rounding");
	if (v[n - 1] == NULL)
		v[n - 1] = "100";
	v[n++] = json_is_true(json_object_get(ks->body(req),
	    "family_allowances")) ? "t" : "f";
	v[n++] = bnum(req, "debtor_id");
	v[n++] = bstr(req, "debtor_employer");
	v[n++] = bstr(req, "debtor_pension");
	if (exists)
		return q(req, Q_AH_TITLE_UPDATE, n, v) == NULL ? -1 : 0;
	if ((r = q(req, Q_AH_TITLE_NEXT_ID, 0, NULL)) == NULL)
		return -1;
	tid = ks->strdup(req, ks_db_str(r, 0, "id"));
	/* insert: the id first, the reference and the author last */
	memmove(&v[1], &v[0], (size_t)n * sizeof(v[0]));
	v[0] = tid;
	n++;
	v[n++] = qr_reference(req, tid);
	v[n++] = ks->num(req, ks->user_id(req));
	return q(req, Q_AH_TITLE_INSERT, n, v) == NULL ? -1 : 0;
}

static int
title_put(struct ks_request *req)
{
	const char *v[1];
	long long ver;
	json_t *before = NULL, *after;
	PGresult *t;
	int64_t id;
	int exists;

	if (dossier_open(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	if ((t = q(req, Q_AH_TITLE_LOCK, 1, v)) == NULL)
		return -1;
	if ((exists = PQntuples(t) == 1)) {
		if ((before = title_json(req, id, &ver)) == NULL)
			return -1;
		if (ks->check_etag(req, ver, json_deep_copy(before)) != 0) {
			json_decref(before);
			return -1;
		}
	}
	if (title_check(req) != 0 || person_check(req, bnum(req,
	    "debtor_id"), "debtor_id") != 0 || title_write(req, id,
	    exists) != 0 || ah_title_due_write(req, id) != 0 ||
	    (after = title_json(req, id, &ver)) == NULL) {
		json_decref(before);
		return -1;
	}
	if (ks->audit(req, exists ? "ah_title_changed" : "ah_title_created",
	    "ah_title", ks->num(req, json_integer_value(json_object_get(
	    json_object_get(after, "title"), "id"))), before ?
	    json_incref(json_object_get(before, "title")) : NULL,
	    json_incref(json_object_get(after, "title")), json_pack("{s:I}",
	    "dossier", (json_int_t)id)) != 0) {
		json_decref(before);
		json_decref(after);
		return -1;
	}
	json_decref(before);
	ks->set_etag(req, ver);
	return ks->reply(req, exists ? 200 : 201, after);
}

static int
title_get(struct ks_request *req)
{
	long long ver;
	json_t *j;
	int64_t id;

	if (ah_dossier(req, &id) == NULL)
		return -1;
	if ((j = title_json(req, id, &ver)) == NULL)
		return ver == 0 ? title_missing(req) : -1;
	ks->set_etag(req, ver);
	return ks->reply(req, 200, j);
}

/* -------------------------------------------------------- creditors */

static json_t *
creditor_of(struct ks_request *req, int64_t dossier, const char *cid)
{
	const char *v[1] = { ks->num(req, dossier) };
	PGresult *c;
	int i;

	if ((c = q(req, Q_AH_TITLE_CREDITORS, 1, v)) == NULL)
		return NULL;
	for (i = 0; i < PQntuples(c); i++)
		if (strcmp(ks_db_str(c, i, "id"), cid) == 0)
			return creditor_json(c, i);
	ks->fail(req, 404, "not_found", "no such creditor");
	return NULL;
}

static int
creditor_add(struct ks_request *req)
{
	const char *v[5], *role = bstr(req, "role");
	PGresult *t, *r;
	json_t *j;
	int64_t id;

	if (dossier_open(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	if ((t = q(req, Q_AH_TITLE_GET, 1, v)) == NULL)
		return -1;
	if (PQntuples(t) != 1)
		return title_missing(req);
	if (strcmp(role, "child") != 0 && strcmp(role, "spouse") != 0)
		return invalid(req, "role", "a creditor is a child or a "
		    "spouse");
	v[0] = ks_db_str(t, 0, "id");
	v[1] = ks->num(req, id);
	v[2] = bnum(req, "person_id");
	v[3] = role;
	v[4] = bstr(req, "education_until");
	if (person_check(req, v[2], "person_id") != 0)
		return -1;
	if (strcmp(v[2], ks_db_str(t, 0, "debtor_id")) == 0)
		return invalid(req, "person_id", "the debtor is not a creditor "
		    "of the same title");
	if ((r = q(req, Q_AH_TITLE_CREDITOR_INSERT, 5, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "already_exists", "the person is a "
		    "creditor of this title already");
	if ((j = creditor_of(req, id, ks_db_str(r, 0, "id"))) == NULL ||
	    ks->audit(req, "ah_creditor_added", "ah_creditor",
	    ks_db_str(r, 0, "id"), NULL, json_deep_copy(j),
	    json_pack("{s:I}", "dossier", (json_int_t)id)) != 0) {
		json_decref(j);
		return -1;
	}
	ks->set_etag(req, 1);
	return ks->reply(req, 201, j);
}

/*
 * The age steps as a whole: each from a first of the month to a first of
 * the month (exclusive; open only for the last), in order, without
 * overlap.
 */
static int
steps_check(struct ks_request *req, json_t *a)
{
	const char *f, *t, *prev_to = NULL;
	json_t *s, *x;
	size_t i;

	json_array_foreach(a, i, s) {
		if (!json_is_object(s))
			return invalid(req, "amounts", "each age step is an "
			    "object");
		f = json_string_value(json_object_get(s, "valid_from"));
		x = json_object_get(s, "valid_to");
		t = json_string_value(x);
		if (!first_of_month(f) || (!json_is_null(x) && x != NULL &&
		    !first_of_month(t)))
			return invalid(req, "amounts", "an age step runs from "
			    "the first day of a month to the first day of a "
			    "month");
		if (atoi(f) < 1950 || (t != NULL && atoi(t) > 2200) ||
		    atoi(f) > 2200 || atoi(f + 5) > 12 || atoi(f + 5) < 1 ||
		    (t != NULL && (atoi(t + 5) > 12 || atoi(t + 5) < 1)))
			return invalid(req, "amounts", "an age step has a date "
			    "that is out of range");
		if (t != NULL && strcmp(t, f) <= 0)
			return invalid(req, "amounts", "an age step ends after "
			    "it begins");
		if (i > 0 && (prev_to == NULL || strcmp(f, prev_to) < 0))
			return invalid(req, "amounts", "the age steps overlap "
			    "or are not in order");
		x = json_object_get(s, "amount");
		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
		    json_integer_value(x) > 10000000)
			return invalid(req, "amounts", "an amount is a whole "
			    "number of Rappen up to CHF 100,000");
		x = json_object_get(s, "family_allowance");
		if (x != NULL && !json_is_null(x) && (!json_is_integer(x) ||
		    json_integer_value(x) < 0 ||
		    json_integer_value(x) > 1000000))
			return invalid(req, "amounts", "a family allowance is "
			    "a whole number of Rappen up to CHF 10,000");
		prev_to = t;
	}
	return 0;
}

static int
amounts_put(struct ks_request *req)
{
	const char *v[2];
	json_t *a = json_object_get(ks->body(req), "amounts"), *before, *j;
	PGresult *c, *d;
	int64_t id, dossier;
	char *dump;

	if (ks->param_id(req, "id", &id) != 0)
		return -1;
	v[0] = ks->num(req, id);
	if ((c = q(req, Q_AH_TITLE_CREDITOR_LOCK, 1, v)) == NULL)
		return -1;
	if (PQntuples(c) != 1)
		return ks->fail(req, 404, "not_found", "no such creditor");
	dossier = ks_db_getll(c, 0, "dossier_id");
	if ((d = ks->access_dossier(req, dossier, KS_ACCESS_WRITE)) == NULL)
		return -1;
	if ((before = creditor_of(req, dossier, v[0])) == NULL)
		return -1;
	if (ks->check_etag(req, ks_db_getll(c, 0, "version"),
	    json_deep_copy(before)) != 0)
		goto fail;
	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0) {
		ks->fail(req, 409, "dossier_closed", "a closed dossier's "
		    "amounts are not changed any more");
		goto fail;
	}
	if (steps_check(req, a) != 0)
		goto fail;
	dump = json_dumps(a, JSON_COMPACT);
	v[1] = ks->strdup(req, dump);
	free(dump);
	if (q(req, Q_AH_TITLE_AMOUNTS_DELETE, 1, v) == NULL ||
	    q(req, Q_AH_TITLE_AMOUNTS_INSERT, 2, v) == NULL ||
	    q(req, Q_AH_TITLE_CREDITOR_TOUCH, 1, v) == NULL ||
	    ah_title_due_write(req, dossier) != 0 ||
	    (j = creditor_of(req, dossier, v[0])) == NULL)
		goto fail;
	if (ks->audit(req, "ah_amounts_changed", "ah_creditor", v[0],
	    before, json_deep_copy(j), json_pack("{s:I}", "dossier",
	    (json_int_t)dossier)) != 0) {
		json_decref(j);
		return -1;
	}
	ks->set_etag(req, json_integer_value(json_object_get(j, "version")));
	return ks->reply(req, 200, j);
fail:
	json_decref(before);
	return -1;
}

/* ------------------------------------------------- the schedule (GET) */

/* ?from / ?to as YYYY-MM (the first day of that month), or dflt. */
static const char *
month_param(struct ks_request *req, const char *name, const char *dflt)
{
	const char *s = ks->query(req, name);
	int i;

	if (s == NULL)
		return dflt;
	for (i = 0; i < 7; i++)
		if (s[i] == '\0' || (i == 4 ? s[i] != '-' : (s[i] < '0' ||
		    s[i] > '9')))
			break;
	if (i != 7 || s[7] != '\0' || atoi(s + 5) < 1 || atoi(s + 5) > 12) {
		ks->fail_detail(req, 400, "invalid_parameter", "a month is "
		    "written YYYY-MM", json_pack("{s:s}", "parameter", name));
		return NULL;
	}
	return ks->printf(req, "%s-01", s);
}

/*
 * GET /cases/{id}/schedule: the arrears statement, built by the database
 * in one statement (ah_title_schedule_doc).
 */
static int
schedule_get(struct ks_request *req)
{
	const char *v[4];
	PGresult *r;
	json_t *res;
	int64_t id;

	if (ah_dossier(req, &id) == NULL ||
	    (v[1] = month_param(req, "from", "1900-01-01")) == NULL ||
	    (v[2] = month_param(req, "to", "9999-12-01")) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	v[3] = month_str(req, month_of(ks->today(req)), 0);
	if ((r = q(req, Q_AH_TITLE_SCHEDULE_DOC, 4, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return title_missing(req);
	if ((res = json_loads(ks_db_str(r, 0, "doc"), 0, NULL)) == NULL)
		return ks->fail(req, 500, "internal_error", "the statement "
		    "could not be read");
	return ks->reply(req, 200, res);
}

/* ----------------------------------------------- cooperation deadline */

/*
 * InkHV art. 9: what the application still lacks becomes a cooperation
 * deadline, 30 days from today (the case worker moves it through the
 * core's PATCH /deadlines/{id}); an open one is kept, not pushed back.
 * Nothing missing: the open ones are done.
 */
static int
cooperation(struct ks_request *req, int64_t dossier, json_t *missing)
{
	const char *v[1] = { ks->num(req, dossier) }, *codes = "";
	PGresult *r;
	json_t *m;
	size_t i;

	if (json_array_size(missing) == 0)
		return ks->deadlines_close(req, dossier, "ah_cooperation",
		    NULL);
	if ((r = q(req, Q_AH_TITLE_COOPERATION_OPEN, 1, v)) == NULL)
		return -1;
	if (PQntuples(r) > 0)
		return 0;
	json_array_foreach(missing, i, m)
		codes = ks->printf(req, "%s%s%s", codes, i ? ", " : "",
		    json_string_value(m));
	return ks->deadline_add(req, dossier, date_plus(req, ks->today(req),
	    30), "ah_cooperation", codes, NULL);
}

int
ah_title_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	json_t *missing;
	int rc;

	(void)from;
	if (strcmp(to, "closed") == 0)
		return ks->deadlines_close(req, dossier, "ah_cooperation",
		    NULL);
	if (strcmp(to, "assessment") != 0)
		return 0;
	if ((missing = ks->checklist_missing(req, dossier)) == NULL)
		return -1;
	rc = cooperation(req, dossier, missing);
	json_decref(missing);
	return rc;
}

int
ah_title_on_checklist(struct ks_request *req, int64_t dossier,
    json_t *missing)
{
	return cooperation(req, dossier, missing);
}

int
ah_title_worklist(struct ks_request *req, json_t *lists)
{
	(void)req; (void)lists;
	return 0;
}

/* ---------------------------------------------------------- transfer */

/*
 * The sender's rows of a transfer, read with its tenant set: the title,
 * the creditors with their amounts, the persons they name.
 */
struct xfer {
	PGresult	*title, *creditors, *persons;
	const char	*begin;		/* the receiver's first month */
};

/* The receiver's id of the sender's person id, looked up or copied. */
static const char *
xfer_person(struct ks_request *req, struct xfer *x, int64_t to,
    const char *id)
{
	const char *v[9];
	PGresult *r;
	int i;

	for (i = 0; i < PQntuples(x->persons); i++)
		if (strcmp(ks_db_str(x->persons, i, "id"), id) == 0)
			break;
	if (i == PQntuples(x->persons)) {
		ks->fail(req, 500, "internal_error", "a person of the title "
		    "cannot be read");
		return NULL;
	}
	v[0] = ks->num(req, to);
	v[1] = ks_db_get(x->persons, i, "last_name");
	v[2] = ks_db_get(x->persons, i, "first_name");
	v[3] = ks_db_get(x->persons, i, "birth_date");
	v[4] = ks_db_get(x->persons, i, "street");
	v[5] = ks_db_get(x->persons, i, "house_no");
	v[6] = ks_db_get(x->persons, i, "postcode");
	v[7] = ks_db_get(x->persons, i, "town");
	v[8] = ks_db_get(x->persons, i, "country");
	if ((r = q(req, Q_AH_TITLE_XFER_PERSON, 9, v)) == NULL ||
	    PQntuples(r) != 1)
		return NULL;
	return ks->strdup(req, ks_db_str(r, 0, "id"));
}

/* The title again at the receiver: its instalments from x->begin on. */
static int
xfer_title(struct ks_request *req, struct xfer *x, int64_t to)
{
	static const char *const cols[] = { "title_kind", "authority",
		"decided_on", "enforceable_on", NULL, NULL, "ends_on",
		"index_base_points", "index_base_month", "index_month",
		"index_rounding", "family_allowances", NULL,
		"debtor_employer", "debtor_pension" };
	const char *v[19], *debtor = ks_db_get(x->title, 0, "debtor_id");
	PGresult *r;
	int i;

	if ((r = q(req, Q_AH_TITLE_NEXT_ID, 0, NULL)) == NULL)
		return -1;
	v[0] = ks->strdup(req, ks_db_str(r, 0, "id"));
	v[1] = ks->num(req, to);
	for (i = 0; i < 15; i++)
		v[2 + i] = cols[i] ? ks_db_get(x->title, 0, cols[i]) : NULL;
	v[6] = x->begin;			/* applied_on */
	if (debtor != NULL && (v[14] = xfer_person(req, x, to,
	    debtor)) == NULL)
		return -1;
	v[17] = qr_reference(req, v[0]);
	v[18] = ks->num(req, ks->user_id(req));
	return q(req, Q_AH_TITLE_INSERT, 19, v) == NULL ? -1 : 0;
}

static int
xfer_creditors(struct ks_request *req, struct xfer *x, int64_t to)
{
	const char *v[5], *w[2], *title;
	PGresult *t, *r;
	char *dump;
	json_t *a;
	int i;

	v[0] = ks->num(req, to);
	if ((t = q(req, Q_AH_TITLE_GET, 1, v)) == NULL)
		return -1;
	title = ks_db_str(t, 0, "id");
	for (i = 0; i < PQntuples(x->creditors); i++) {
		v[0] = title;
		v[1] = ks->num(req, to);
		if ((v[2] = xfer_person(req, x, to, ks_db_str(x->creditors,
		    i, "person_id"))) == NULL)
			return -1;
		v[3] = ks_db_str(x->creditors, i, "role");
		v[4] = ks_db_get(x->creditors, i, "education_until");
		if ((r = q(req, Q_AH_TITLE_CREDITOR_INSERT, 5, v)) == NULL)
			return -1;
		if (PQntuples(r) != 1)
			continue;	/* the same person twice: once */
		a = json_loads(ks_db_str(x->creditors, i, "amounts"), 0, NULL);
		dump = json_dumps(a, JSON_COMPACT);
		json_decref(a);
		w[0] = ks->strdup(req, ks_db_str(r, 0, "id"));
		w[1] = ks->strdup(req, dump ? dump : "[]");
		free(dump);
		if (q(req, Q_AH_TITLE_AMOUNTS_INSERT, 2, w) == NULL)
			return -1;
	}
	return 0;
}

/*
 * InkHV: after a move the sender keeps the arrears due until then, the
 * future instalments go to the new service. The month of the transfer
 * stays with the sender (instalments fall due at its start); the
 * receiver's copy of the title, its creditors and their amounts is
 * applied for from the next month on, without older arrears, and gets
 * a QR reference of its own. Persons are the receiver's: the household
 * members the core copied, or copies of the debtor.
 */
int
ah_title_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	const char *v[2] = { ks->num(req, from), NULL };
	struct xfer x;

	x.begin = month_str(req, month_of(ks->today(req)) + 1, 1);
	v[1] = x.begin;
	if (ks->db_set_tenant(req, from_tenant) != 0 ||
	    (x.title = q(req, Q_AH_TITLE_GET, 1, v)) == NULL ||
	    (x.creditors = q(req, Q_AH_TITLE_CREDITORS, 1, v)) == NULL ||
	    (x.persons = q(req, Q_AH_TITLE_XFER_PERSONS, 1, v)) == NULL ||
	    q(req, Q_AH_TITLE_XFER_DUE_CUT, 2, v) == NULL ||
	    ks->db_set_tenant(req, to_tenant) != 0)
		return -1;
	if (PQntuples(x.title) != 1)
		return 0;
	if (xfer_title(req, &x, to) != 0 || xfer_creditors(req, &x,
	    to) != 0 || ah_title_due_write(req, to) != 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ tables */

#define C	"/api/v1/cases"

static const struct ks_field title_body[] = {
	{ "title_kind", KS_F_STRING, 1, 1, 20, "judgment, decision or "
	    "agreement (KESB-approved)" },
	{ "authority", KS_F_STRING, 1, 1, 200, "the court or authority" },
	{ "decided_on", KS_F_DATE, 1, 0, 0, "the day of the title" },
	{ "enforceable_on", KS_F_DATE, 0, 0, 0, "enforceable from" },
	{ "applied_on", KS_F_DATE, 1, 0, 0, "the application (InkHV art. "
	    "9): maintenance is due from its month" },
	{ "arrears_from", KS_F_DATE, 0, 0, 0, "older arrears taken on from "
	    "this month (a first day; before the application)" },
	{ "ends_on", KS_F_DATE, 0, 0, 0, "the title's end (exclusive)" },
	{ "index_base_points", KS_F_INT, 0, 1, 10000000, "index clause: the "
	    "base points in tenths (base December 2020 = 1000)" },
	{ "index_base_month", KS_F_DATE, 0, 0, 0, "index clause: the base "
	    "month (its first day)" },
	{ "index_month", KS_F_INT, 0, 1, 12, "index clause: the month of the "
	    "year the amount moves (by the points of the month before)" },
	{ "index_rounding", KS_F_INT, 0, 1, 100000000, "index clause: round "
	    "to this many Rappen (default 100: whole francs)" },
	{ "family_allowances", KS_F_BOOL, 0, 0, 0, "the title makes the "
	    "debtor pass on family allowances" },
	{ "debtor_id", KS_F_INT, 0, 1, 0, "the debtor: a person" },
	{ "debtor_employer", KS_F_STRING, 0, 1, 200, "the debtor's employer" },
	{ "debtor_pension", KS_F_STRING, 0, 1, 200, "the debtor's pension or "
	    "vested-benefits institution" },
	KS_FIELDS_END
};

static const struct ks_field creditor_body[] = {
	{ "person_id", KS_F_INT, 1, 1, 0, "the creditor: a person" },
	{ "role", KS_F_STRING, 1, 1, 10, "child or spouse" },
	{ "education_until", KS_F_DATE, 0, 0, 0, "a child in education: its "
	    "expected end" },
	KS_FIELDS_END
};

static const struct ks_field amounts_body[] = {
	{ "amounts", KS_F_ARRAY, 1, 0, MAX_STEPS, "the age steps: "
	    "[{valid_from, valid_to (exclusive, null: open), amount, "
	    "family_allowance}] in Rappen per month, first days of months, "
	    "without overlap" },
	KS_FIELDS_END
};

const struct ks_route ah_title_routes[] = {
	{ "GET", C "/{id}/title", "alimente.read", 0, NULL, KS_R_AUDIT,
	    title_get, "the maintenance title with debtor and creditors",
	    NULL, NULL },
	{ "PUT", C "/{id}/title", "alimente.write", KB, title_body, KS_R_ETAG,
	    title_put, "record or change the title (If-Match once it "
	    "exists); rewrites the schedule", NULL, NULL },
	{ "POST", C "/{id}/creditors", "alimente.write", KB, creditor_body, 0,
	    creditor_add, "add a creditor (child or spouse) to the title",
	    NULL, NULL },
	{ "PUT", "/api/v1/alimente/creditors/{id}/amounts", "alimente.write",
	    4 * KB, amounts_body, KS_R_ETAG, amounts_put, "replace a "
	    "creditor's amounts (age steps; If-Match: the creditor's ETag); "
	    "rewrites the schedule", NULL, NULL },
	{ "GET", C "/{id}/schedule", "alimente.read", 0, NULL, KS_R_AUDIT,
	    schedule_get, "what is due, received, advanced, recovered and "
	    "outstanding per creditor and month (?from, ?to: YYYY-MM)",
	    NULL, NULL },
	KS_ROUTES_END
};

const struct ks_errdef ah_title_errors[] = {
	{ "ah_title_missing", 404, "the dossier has no maintenance title yet" },
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_title_vocabulary[] = {
	{ "deadline_kind", "ah_cooperation" },
	{ "document_category", "ah_title" },
	{ "document_category", "ah_power_of_attorney" },
	{ "document_category", "ah_assignment" },
	{ NULL, NULL }
};
