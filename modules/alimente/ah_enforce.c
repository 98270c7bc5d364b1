/*
 * ah_enforce.c - enforcement (Betreibung, SchKG 67 ff.) with its steps,
 * fees and deadlines, the pension-fund report (InkHV 13-14) with its
 * revocation and the 30-day payout block, the criminal complaint (StGB
 * 217) as a recorded step, and the limitation dates in the work list.
 * The end itself is the core's transition to "closed" with a reason; its
 * final statement is ah_end.c.
 *
 * Every period (10 days, 20 days, 1 year, 4 months, CHF 1,000, 30 days,
 * 5 years, 18 years) comes from the canton's pack alimente-enforcement,
 * effective-dated; none is written here. The order of the steps is the
 * procedure of the SchKG and stays in C (steps_after below).
 *
 * Deadlines: the deadlines of kind ah_enforcement of a dossier are those
 * of the last step of each of its open proceedings; after every step they
 * are set again from the pack (the others marked done), so an objection
 * ends "objection by" and a withdrawal ends the proceeding's deadlines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"
#include "kasus/swiss.h"

#define PACK		"alimente-enforcement"
#define MAX_AMOUNT	100000000000LL	/* CHF 1 bn */
#define MAX_FEE		100000000LL	/* CHF 1 m */
/* How far ahead the work list shows limitation dates (days). */
#define LIMITATION_AHEAD	90

/* ------------------------------------------------------------ helpers */

static const char *
body_str(struct ks_request *req, const char *name)
{
	return json_string_value(json_object_get(ks->body(req), name));
}

static int
bad_field(struct ks_request *req, const char *code, const char *msg,
    const char *field)
{
	return ks->fail_detail(req, 400, code, msg, json_pack("{s:s}",
	    "field", field));
}

/* The JSON column doc of row i, as a new reference. */
static json_t *
doc_of(PGresult *r, int i)
{
	json_t *j = json_loads(ks_db_str(r, i, "doc"), 0, NULL);

	return j != NULL ? j : json_object();
}

/* A list of the dossier {id} by statement q, a page at a time. */
static int
dossier_page(struct ks_request *req, int q)
{
	const char *v[3];
	long long n;
	PGresult *r;
	int64_t id;

	if (ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    ah_dossier(req, &id) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if ((r = ks->db_q(req, q, 3, v)) == NULL)
		return KS_ERROR;
	return ks->reply(req, 200, ks_db_page(r, n, "id", doc_of));
}

/*
 * Record {id} by statement q (columns id, dossier_id, version, doc) and
 * its dossier through the access policy (404 when either is not there or
 * not the caller's to see; 403 another team's change).
 */
static PGresult *
record_of(struct ks_request *req, int q, int64_t *id, PGresult **dossier)
{
	const char *v[1];
	PGresult *r;

	if (ks->param_id(req, "id", id) != KS_OK)
		return NULL;
	v[0] = ks->num(req, *id);
	if ((r = ks->db_q(req, q, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such record");
		return NULL;
	}
	if ((*dossier = ks->access_dossier(req, ks_db_getll(r, 0,
	    "dossier_id"), ks->method(req)[0] == 'G' ? KS_ACCESS_READ :
	    KS_ACCESS_WRITE)) == NULL)
		return NULL;
	return r;
}

static int
not_closed(struct ks_request *req, PGresult *dossier)
{
	if (strcmp(ks_db_str(dossier, 0, "state"), "closed") == 0)
		return ks->fail(req, 409, "dossier_closed", "the help has "
		    "ended: a closed dossier takes no more steps");
	return KS_OK;
}

/* A date not after today (400 naming field). */
static int
not_future(struct ks_request *req, const char *date, const char *field)
{
	if (date != NULL && strcmp(date, ks->today(req)) > 0)
		return bad_field(req, "invalid_value", "the date lies in the "
		    "future; record what has happened", field);
	return KS_OK;
}

/* fn of the pack in force on date with input (taken); NULL: failed. */
static json_t *
pack_call(struct ks_request *req, const char *fn, const char *date,
    json_t *input)
{
	json_t *out = NULL, *prov = NULL;
	int rc;

	json_object_set_new(input, "date", json_string(date));
	rc = ks->rules_eval(req, PACK, fn, date, input, &out, &prov);
	json_decref(input);
	json_decref(prov);
	if (rc != KS_OK) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static long long
field_ll(json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

/* The first day of the month of a date YYYY-MM-DD. */
static const char *
month_of(struct ks_request *req, const char *date)
{
	return ks->printf(req, "%.7s-01", date);
}

/* ----------------------------------------------------------- the steps */

static const char *const step_names[] = { "request", "payment_order",
	"objection", "setting_aside", "continuation", "seizure",
	"loss_certificate", "withdrawn", NULL };

/*
 * What may follow the last step of a proceeding (NULL: none yet): the
 * order of the SchKG. An objection needs its setting aside before the
 * continuation; a certificate of loss or a withdrawal ends it.
 */
static const char *const *
steps_after(const char *last)
{
	static const char *const first[] = { "request", NULL };
	static const char *const table[][4] = {
		{ "request", "payment_order", "withdrawn", NULL },
		{ "payment_order", "objection", "continuation", "withdrawn" },
		{ "objection", "setting_aside", "withdrawn", NULL },
		{ "setting_aside", "continuation", "withdrawn", NULL },
		{ "continuation", "seizure", "withdrawn", NULL },
		{ "seizure", "loss_certificate", "withdrawn", NULL },
	};
	static const char *const none[] = { NULL };
	size_t i;

	if (last == NULL)
		return first;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i][0], last) == 0)
			return &table[i][1];
	return none;
}

static int
is_step(const char *s)
{
	int i;

	for (i = 0; step_names[i] != NULL; i++)
		if (strcmp(step_names[i], s) == 0)
			return 1;
	return 0;
}

/* The dates of a proceeding's steps (doc.steps) as step -> date. */
static json_t *
dates_of(json_t *doc)
{
	json_t *out = json_object(), *s;
	size_t i;

	json_array_foreach(json_object_get(doc, "steps"), i, s)
		json_object_set(out, json_string_value(json_object_get(s,
		    "step")), json_object_get(s, "date"));
	return out;
}

/*
 * The day a deadline d of the pack falls on for a proceeding with the
 * step dates; NULL when its base step has no date (*failed 0) or the
 * statement failed (*failed 1, the error set).
 */
static const char *
due_of(struct ks_request *req, json_t *d, json_t *dates, int *failed)
{
	const char *v[7];
	PGresult *r;

	*failed = 0;
	v[0] = json_string_value(json_object_get(dates, json_string_value(
	    json_object_get(d, "base"))));
	if (v[0] == NULL)
		return NULL;
	v[1] = ks->num(req, field_ll(d, "years"));
	v[2] = ks->num(req, field_ll(d, "months"));
	v[3] = ks->num(req, field_ll(d, "days"));
	v[4] = json_is_true(json_object_get(d, "working_day")) ? "t" : "f";
	/* SchKG 88 para. 2: the setting-aside proceedings do not count. */
	v[5] = v[6] = NULL;
	if (json_is_true(json_object_get(d, "pause"))) {
		v[5] = json_string_value(json_object_get(dates, "objection"));
		v[6] = json_string_value(json_object_get(dates,
		    "setting_aside"));
	}
	if ((r = ks->db_q(req, Q_AH_ENFORCE_DUE, 7, v)) == NULL) {
		*failed = 1;
		return NULL;
	}
	return ks_db_str(r, 0, "due");
}

/* The language of dossier id's client ("de" or "fr"); NULL: failed. */
static const char *
dossier_lang(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *r;

	if ((r = ks->db_q(req, Q_AH_ENFORCE_DOSSIER, 1, v)) == NULL)
		return NULL;
	return PQntuples(r) == 1 && strcmp(ks_db_str(r, 0, "language"),
	    "fr") == 0 ? "fr" : "de";
}

/*
 * The deadlines the pack gives for the last step of the proceeding doc
 * (dates: its step dates), as an array of {code, due, de, fr}; NULL with
 * the error set.
 */
static json_t *
step_deadlines(struct ks_request *req, json_t *doc, json_t *dates)
{
	const char *last = json_string_value(json_object_get(doc,
	    "last_step")), *due;
	json_t *out, *list, *d, *res;
	size_t i;
	int failed;

	res = json_array();
	if (last == NULL)
		return res;
	if ((out = pack_call(req, "deadlines", json_string_value(
	    json_object_get(dates, last)), json_pack("{s:s}", "step",
	    last))) == NULL) {
		json_decref(res);
		return NULL;
	}
	list = json_object_get(out, "deadlines");
	json_array_foreach(list, i, d) {
		if ((due = due_of(req, d, dates, &failed)) == NULL) {
			if (!failed)
				continue;
			json_decref(out);
			json_decref(res);
			return NULL;
		}
		json_array_append_new(res, json_pack("{s:O,s:s,s:O,s:O}",
		    "code", json_object_get(d, "code"), "due", due, "de",
		    json_object_get(d, "de"), "fr", json_object_get(d, "fr")));
	}
	json_decref(out);
	return res;
}

/*
 * Set the enforcement deadlines of dossier id again: those of the last
 * step of each of its proceedings, every other one of the kind done.
 */
static int
deadlines_set(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks->num(req, id) }, *lang, *text, *ref;
	json_t *doc, *dates, *list, *d;
	PGresult *r;
	size_t j;
	int i, rc = KS_OK;

	if ((lang = dossier_lang(req, id)) == NULL ||
	    (r = ks->db_q(req, Q_AH_ENFORCE_OPEN, 1, v)) == NULL ||
	    ks->deadlines_close(req, id, "ah_enforcement", NULL) != KS_OK)
		return KS_ERROR;
	for (i = 0; rc == KS_OK && i < PQntuples(r); i++) {
		doc = doc_of(r, i);
		dates = dates_of(doc);
		if ((list = step_deadlines(req, doc, dates)) == NULL)
			rc = KS_ERROR;
		ref = json_string_value(json_object_get(doc, "reference"));
		json_array_foreach(list, j, d) {
			text = ks->printf(req, "%s %s%s%s: %s", strcmp(lang,
			    "fr") == 0 ? "Poursuite" : "Betreibung",
			    json_string_value(json_object_get(doc, "office")),
			    ref != NULL ? " " : "", ref != NULL ? ref : "",
			    json_string_value(json_object_get(d, lang)));
			if (rc == KS_OK && ks->deadline_add(req, id,
			    json_string_value(json_object_get(d, "due")),
			    "ah_enforcement", ks->printf(req, "%.500s", text),
			    NULL) != KS_OK)
				rc = KS_ERROR;
		}
		json_decref(list);
		json_decref(dates);
		json_decref(doc);
	}
	return rc;
}

/* ------------------------------------------------------- proceedings */

/* 2xx with the record of statement q {id} (doc) and its ETag. */
static int
reply_record(struct ks_request *req, int http, int q, int64_t id)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *r;

	if ((r = ks->db_q(req, q, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(req, 404, "not_found", "no such record");
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, http, doc_of(r, 0));
}

static int
enforcement_list(struct ks_request *req)
{
	return dossier_page(req, Q_AH_ENFORCE_LIST);
}

/*
 * POST /cases/{id}/enforcements: a proceeding against the debtor. A
 * dossier in voluntary collection moves to enforcement with it.
 */
static int
enforcement_add(struct ks_request *req)
{
	const char *v[6];
	json_t *sent, *doc;
	PGresult *d, *r;
	int64_t id, eid;

	if ((d = ah_dossier(req, &id)) == NULL || not_closed(req, d) != KS_OK)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, json_integer_value(json_object_get(ks->body(req),
	    "amount")));
	v[2] = body_str(req, "office");
	v[3] = body_str(req, "started_on");
	v[4] = body_str(req, "reference");
	v[5] = ks->num(req, ks->user_id(req));
	if (not_future(req, v[3], "started_on") != KS_OK ||
	    (r = ks->db_q(req, Q_AH_ENFORCE_INSERT, 6, v)) == NULL)
		return KS_ERROR;
	eid = ks_db_getll(r, 0, "id");
	/* InkHV 12: the reminders before it, noted with the request. */
	sent = ah_remind_sent(req, id);
	if (ks->audit(req, "ah_enforcement_started", "ah_enforcement",
	    ks->num(req, eid), NULL, json_incref(ks->body(req)), json_pack(
	    "{s:I,s:O}", "dossier_id", (json_int_t)id, "reminders",
	    sent != NULL ? sent : json_null())) != KS_OK) {
		json_decref(sent);
		return KS_ERROR;
	}
	if (strcmp(ks_db_str(d, 0, "state"), "voluntary") == 0 &&
	    ks->dossier_transition(req, id, "voluntary", "enforcement", NULL,
	    "enforcement_started", ks_db_str(d, 0, "version")) != KS_OK) {
		json_decref(sent);
		return KS_ERROR;
	}
	v[0] = ks->num(req, eid);
	if ((r = ks->db_q(req, Q_AH_ENFORCE_GET, 1, v)) == NULL) {
		json_decref(sent);
		return KS_ERROR;
	}
	doc = doc_of(r, 0);
	json_object_set_new(doc, "reminders", sent != NULL ? sent :
	    json_null());
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, 201, doc);
}

static int
enforcement_get(struct ks_request *req)
{
	PGresult *d, *r;
	int64_t id;

	if ((r = record_of(req, Q_AH_ENFORCE_GET, &id, &d)) == NULL)
		return KS_ERROR;
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, 200, doc_of(r, 0));
}

/*
 * A step the proceeding's current deadlines forbid on date: before its
 * "<step>_from" (409 ah_enforcement_too_early) or after its "<step>_by"
 * (409 ah_enforcement_lapsed).
 */
static int
step_window(struct ks_request *req, json_t *doc, json_t *dates,
    const char *step, const char *date)
{
	json_t *list, *d;
	const char *code, *due;
	size_t i, n = strlen(step);
	int rc = KS_OK;

	if ((list = step_deadlines(req, doc, dates)) == NULL)
		return KS_ERROR;
	json_array_foreach(list, i, d) {
		code = json_string_value(json_object_get(d, "code"));
		due = json_string_value(json_object_get(d, "due"));
		if (strncmp(code, step, n) != 0 || code[n] != '_')
			continue;
		if (strcmp(code + n, "_from") == 0 && strcmp(date, due) < 0) {
			rc = ks->fail_detail(req, 409,
			    "ah_enforcement_too_early", "this step can be "
			    "taken only from a later day", json_pack(
			    "{s:s,s:s,s:s}", "step", step, "earliest", due,
			    "rule", code));
			break;
		}
		if (strcmp(code + n, "_by") == 0 && strcmp(date, due) > 0) {
			rc = ks->fail_detail(req, 409, "ah_enforcement_lapsed",
			    "the period for this step has passed", json_pack(
			    "{s:s,s:s,s:s}", "step", step, "latest", due,
			    "rule", code));
			break;
		}
	}
	json_decref(list);
	return rc;
}

/*
 * Why step may not come next in the proceeding doc on date: 409 out of
 * order, 400 a date before the step before it or in the future, 409
 * outside its period; KS_OK when it may.
 */
static int
step_check(struct ks_request *req, json_t *doc, const char *step,
    const char *date)
{
	const char *last, *prev, *const *next;
	json_t *dates, *allowed;
	int i, rc;

	last = json_string_value(json_object_get(doc, "last_step"));
	next = steps_after(last);
	for (i = 0; next[i] != NULL && strcmp(next[i], step) != 0; i++)
		;
	if (next[i] == NULL) {
		allowed = json_array();
		for (i = 0; next[i] != NULL; i++)
			json_array_append_new(allowed, json_string(next[i]));
		return ks->fail_detail(req, 409, "ah_enforcement_step_order",
		    last == NULL ? "a proceeding begins with the request" :
		    json_array_size(allowed) == 0 ? "the proceeding has "
		    "ended; it takes no more steps" : "this step does not "
		    "follow the last one", json_pack("{s:s,s:s?,s:o}", "step",
		    step, "last_step", last, "allowed", allowed));
	}
	if (not_future(req, date, "date") != KS_OK)
		return KS_ERROR;
	dates = dates_of(doc);
	prev = json_string_value(last != NULL ? json_object_get(dates, last) :
	    json_object_get(doc, "started_on"));
	if (prev != NULL && strcmp(date, prev) < 0)
		rc = ks->fail_detail(req, 400, "invalid_value", last == NULL ?
		    "the request cannot come before the proceeding started" :
		    "a step cannot come before the one before it", json_pack(
		    "{s:s,s:s}", "field", "date", "earliest", prev));
	else
		rc = step_window(req, doc, dates, step, date);
	json_decref(dates);
	return rc;
}

/* POST /alimente/enforcements/{id}/steps: the next step of a proceeding. */
static int
step_add(struct ks_request *req)
{
	const char *step = body_str(req, "step"), *v[7];
	json_t *doc;
	PGresult *d, *r;
	int64_t id, dossier;

	if ((r = record_of(req, Q_AH_ENFORCE_GET, &id, &d)) == NULL)
		return KS_ERROR;
	doc = doc_of(r, 0);
	if (ks->check_etag(req, ks_db_getll(r, 0, "version"),
	    json_incref(doc)) != KS_OK || not_closed(req, d) != KS_OK)
		goto fail;
	if (!is_step(step)) {
		bad_field(req, "invalid_value", "the step is one of request, "
		    "payment_order, objection, setting_aside, continuation, "
		    "seizure, loss_certificate, withdrawn", "step");
		goto fail;
	}
	if (step_check(req, doc, step, body_str(req, "date")) != KS_OK)
		goto fail;
	dossier = ks_db_getll(r, 0, "dossier_id");
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, dossier);
	v[2] = step;
	v[3] = body_str(req, "date");
	v[4] = ks->num(req, json_integer_value(json_object_get(ks->body(req),
	    "fee")));
	v[5] = body_str(req, "note");
	v[6] = ks->num(req, ks->user_id(req));
	if (ks->db_q(req, Q_AH_ENFORCE_STEP_ADD, 7, v) == NULL ||
	    ks->db_q(req, Q_AH_ENFORCE_STEP_SET, 2, (const char *[]){ v[0],
	    step }) == NULL)
		goto fail;
	/* audit takes doc */
	if (ks->audit(req, "ah_enforcement_step", "ah_enforcement", v[0], doc,
	    json_incref(ks->body(req)), json_pack("{s:I}", "dossier_id",
	    (json_int_t)dossier)) != KS_OK ||
	    deadlines_set(req, dossier) != KS_OK)
		return KS_ERROR;
	return reply_record(req, 201, Q_AH_ENFORCE_GET, id);
fail:
	json_decref(doc);
	return KS_ERROR;
}

/* ------------------------------------------------ pension-fund report */

/* The months missing and paid regularly of dossier id on date. */
static int
months(struct ks_request *req, int64_t id, const char *date, long long
    regular_of, long long *missing, long long *regular)
{
	const char *v[3];
	PGresult *r;

	v[0] = ks->num(req, id);
	v[1] = month_of(req, date);
	v[2] = ks->num(req, regular_of);
	if ((r = ks->db_q(req, Q_AH_ENFORCE_MONTHS, 3, v)) == NULL)
		return KS_ERROR;
	*missing = ks_db_getll(r, 0, "missing");
	*regular = ks_db_getll(r, 0, "regular");
	return KS_OK;
}

static int
report_list(struct ks_request *req)
{
	return dossier_page(req, Q_AH_ENFORCE_REPORT_LIST);
}

/*
 * POST /cases/{id}/pension-reports: report the debtor to his pension
 * institution (InkHV 13), allowed once the pack's number of monthly
 * payments is missing (months of the schedule up to the report's month
 * with an amount outstanding).
 */
static int
report_add(struct ks_request *req)
{
	const char *v[5], *date = body_str(req, "reported_on"), *inst;
	long long missing, regular, need;
	json_t *p;
	PGresult *d, *r;
	int64_t id;

	if ((d = ah_dossier(req, &id)) == NULL || not_closed(req, d) != KS_OK)
		return KS_ERROR;
	if (date == NULL)
		date = ks->today(req);
	else if (not_future(req, date, "reported_on") != KS_OK)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if ((inst = body_str(req, "institution")) == NULL) {
		if ((r = ks->db_q(req, Q_AH_ENFORCE_TITLE_PENSION, 1, v)) ==
		    NULL)
			return KS_ERROR;
		if (PQntuples(r) == 1 && !ks_db_isnull(r, 0, "debtor_pension"))
			inst = ks_db_str(r, 0, "debtor_pension");
		if (inst == NULL || *inst == '\0')
			return bad_field(req, "missing_field", "name the "
			    "pension institution: the title names none",
			    "institution");
	}
	if ((p = pack_call(req, "pension", date, json_object())) == NULL)
		return KS_ERROR;
	need = field_ll(p, "min_missing_months");
	json_decref(p);
	if (months(req, id, date, 0, &missing, &regular) != KS_OK)
		return KS_ERROR;
	if (missing < need)
		return ks->fail_detail(req, 409, "ah_pension_not_due", "the "
		    "debtor may be reported to his pension institution only "
		    "when enough monthly payments are missing (InkHV 13)",
		    json_pack("{s:I,s:I}", "missing_months",
		    (json_int_t)missing, "required", (json_int_t)need));
	v[1] = inst;
	v[2] = date;
	v[3] = ks->num(req, missing);
	v[4] = ks->num(req, ks->user_id(req));
	if ((r = ks->db_q(req, Q_AH_ENFORCE_REPORT_INSERT, 5, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail_detail(req, 409, "ah_pension_report_active",
		    "this institution has an active report for the dossier "
		    "already", json_pack("{s:s}", "institution", inst));
	id = ks_db_getll(r, 0, "id");
	if (ks->audit(req, "ah_pension_reported", "ah_pension_report",
	    ks->num(req, id), NULL, json_incref(ks->body(req)), json_pack(
	    "{s:s,s:I}", "dossier_id", v[0], "missing_months",
	    (json_int_t)missing)) != KS_OK)
		return KS_ERROR;
	return reply_record(req, 201, Q_AH_ENFORCE_REPORT_GET, id);
}

/* The active report {id} with the caller's If-Match; NULL: failed. */
static PGresult *
report_active(struct ks_request *req, int64_t *id, json_t **doc)
{
	PGresult *d, *r;

	if ((r = record_of(req, Q_AH_ENFORCE_REPORT_GET, id, &d)) == NULL)
		return NULL;
	*doc = doc_of(r, 0);
	if (ks->check_etag(req, ks_db_getll(r, 0, "version"),
	    json_incref(*doc)) != KS_OK) {
		json_decref(*doc);
		return NULL;
	}
	if (strcmp(ks_db_str(r, 0, "status"), "active") != 0) {
		json_decref(*doc);
		ks->fail_detail(req, 409, "invalid_state", "the report has "
		    "been revoked", json_pack("{s:s}", "status", "revoked"));
		return NULL;
	}
	return r;
}

/*
 * POST /alimente/pension-reports/{id}/revoke: when the arrears are paid
 * and the debtor paid regularly for the pack's months (reason paid), or
 * by a decision with a note.
 */
static int
report_revoke(struct ks_request *req)
{
	const char *reason = body_str(req, "reason"), *note, *date, *v[4];
	long long missing, regular, need;
	json_t *doc, *p;
	PGresult *r;
	int64_t id, dossier;

	if ((r = report_active(req, &id, &doc)) == NULL)
		return KS_ERROR;
	dossier = ks_db_getll(r, 0, "dossier_id");
	note = body_str(req, "note");
	if ((date = body_str(req, "date")) == NULL)
		date = ks->today(req);
	if (strcmp(reason, "paid") != 0 && strcmp(reason, "decision") != 0) {
		json_decref(doc);
		return bad_field(req, "invalid_value", "the reason is paid "
		    "or decision", "reason");
	}
	if (strcmp(reason, "decision") == 0 && note == NULL) {
		json_decref(doc);
		return bad_field(req, "missing_field", "a revocation by "
		    "decision says why in a note", "note");
	}
	if (not_future(req, date, "date") != KS_OK) {
		json_decref(doc);
		return KS_ERROR;
	}
	if (strcmp(reason, "paid") == 0) {
		if ((p = pack_call(req, "pension", date, json_object())) ==
		    NULL) {
			json_decref(doc);
			return KS_ERROR;
		}
		need = field_ll(p, "regular_months");
		json_decref(p);
		if (months(req, dossier, date, need, &missing, &regular) !=
		    KS_OK) {
			json_decref(doc);
			return KS_ERROR;
		}
		if (missing > 0 || regular < need) {
			json_decref(doc);
			return ks->fail_detail(req, 409,
			    "ah_pension_revoke_early", "the report is revoked "
			    "once the arrears are paid and the debtor has "
			    "paid regularly for a year (InkHV 14), or by "
			    "decision", json_pack("{s:I,s:I,s:I}",
			    "missing_months", (json_int_t)missing,
			    "regular_months", (json_int_t)regular, "required",
			    (json_int_t)need));
		}
	}
	v[0] = ks->num(req, id);
	v[1] = date;
	v[2] = reason;
	v[3] = note;
	if (ks->db_q(req, Q_AH_ENFORCE_REPORT_REVOKE, 4, v) == NULL ||
	    ks->audit(req, "ah_pension_revoked", "ah_pension_report", v[0],
	    doc, json_incref(ks->body(req)), json_pack("{s:I}", "dossier_id",
	    (json_int_t)dossier)) != KS_OK)
		return KS_ERROR;
	return reply_record(req, 200, Q_AH_ENFORCE_REPORT_GET, id);
}

/*
 * POST /alimente/pension-reports/{id}/payout-notice: the institution
 * reports a payout (InkHV 14: from the pack's threshold); it may pay no
 * earlier than the pack's days after telling the service: a deadline.
 */
static int
report_payout(struct ks_request *req)
{
	const char *date = body_str(req, "notified_on"), *v[7], *until;
	long long amount, threshold, days;
	json_t *doc, *p;
	PGresult *r, *n;
	int64_t id, dossier;
	char money[KS_SWISS_MAX];

	if ((r = report_active(req, &id, &doc)) == NULL)
		return KS_ERROR;
	json_decref(doc);
	dossier = ks_db_getll(r, 0, "dossier_id");
	amount = json_integer_value(json_object_get(ks->body(req), "amount"));
	if (not_future(req, date, "notified_on") != KS_OK ||
	    (p = pack_call(req, "pension", date, json_object())) == NULL)
		return KS_ERROR;
	threshold = field_ll(p, "payout_threshold");
	days = field_ll(p, "payout_block_days");
	json_decref(p);
	if (amount < threshold)
		return ks->fail_detail(req, 409, "ah_payout_below_threshold",
		    "the institution reports payouts from the threshold on "
		    "(InkHV 14); a smaller one is not blocked", json_pack(
		    "{s:I,s:I}", "amount", (json_int_t)amount, "threshold",
		    (json_int_t)threshold));
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, dossier);
	v[2] = date;
	v[3] = ks->num(req, amount);
	v[4] = ks->num(req, days);
	v[5] = body_str(req, "note");
	v[6] = ks->num(req, ks->user_id(req));
	if ((n = ks->db_q(req, Q_AH_ENFORCE_PAYOUT_INSERT, 7, v)) == NULL ||
	    ks->db_q(req, Q_AH_ENFORCE_REPORT_BUMP, 1, v) == NULL)
		return KS_ERROR;
	until = ks_db_str(n, 0, "blocked_until");
	ks_swiss_chf(money, amount);
	if (ks->deadline_add(req, dossier, until, "ah_payout_block",
	    ks->printf(req, "Vorsorgeeinrichtung: Auszahlung von %s frühestens "
	    "am %s (InkHV 14) / Institution de prévoyance: versement de %s "
	    "au plus tôt le %s (OAiR 14)", money, until, money, until),
	    NULL) != KS_OK ||
	    ks->audit(req, "ah_payout_notice", "ah_pension_report", v[0],
	    NULL, json_incref(ks->body(req)), json_pack("{s:I,s:s}",
	    "dossier_id", (json_int_t)dossier, "blocked_until", until)) !=
	    KS_OK)
		return KS_ERROR;
	return reply_record(req, 201, Q_AH_ENFORCE_REPORT_GET, id);
}

/* ------------------------------------------------ criminal complaint */

static int
complaint_list(struct ks_request *req)
{
	return dossier_page(req, Q_AH_ENFORCE_COMPLAINT_LIST);
}

/* POST /cases/{id}/complaints: a complaint filed (StGB 217), recorded. */
static int
complaint_add(struct ks_request *req)
{
	const char *v[5];
	PGresult *d, *r;
	int64_t id;

	if ((d = ah_dossier(req, &id)) == NULL || not_closed(req, d) != KS_OK)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	v[1] = body_str(req, "filed_on");
	v[2] = body_str(req, "authority");
	v[3] = body_str(req, "note");
	v[4] = ks->num(req, ks->user_id(req));
	if (not_future(req, v[1], "filed_on") != KS_OK ||
	    (r = ks->db_q(req, Q_AH_ENFORCE_COMPLAINT_INSERT, 5, v)) == NULL ||
	    ks->audit(req, "ah_complaint_filed", "ah_complaint", ks_db_str(r,
	    0, "id"), NULL, json_incref(ks->body(req)), json_pack("{s:I}",
	    "dossier_id", (json_int_t)id)) != KS_OK)
		return KS_ERROR;
	return ks->reply(req, 201, doc_of(r, 0));
}

/* ------------------------------------------------------------ routes */

static const struct ks_field enforcement_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "the amount claimed, Rappen" },
	{ "office", KS_F_STRING, 1, 1, 200, "the debt enforcement office" },
	{ "started_on", KS_F_DATE, 1, 0, 0, "the day the proceeding began" },
	{ "reference", KS_F_STRING, 0, 1, 60, "the office's number of the "
	    "proceeding" },
	KS_FIELDS_END
};
static const struct ks_field step_body[] = {
	{ "step", KS_F_STRING, 1, 1, 20, "request, payment_order (the day it "
	    "was served), objection, setting_aside, continuation, seizure, "
	    "loss_certificate or withdrawn" },
	{ "date", KS_F_DATE, 1, 0, 0, "the day of the step" },
	{ "fee", KS_F_INT, 0, 0, MAX_FEE, "the office's fee the community "
	    "advanced, Rappen (charged to the debtor)" },
	{ "note", KS_F_STRING, 0, 1, 1000, NULL },
	KS_FIELDS_END
};
static const struct ks_field report_body[] = {
	{ "institution", KS_F_STRING, 0, 1, 200, "default: the title's "
	    "pension institution of the debtor" },
	{ "reported_on", KS_F_DATE, 0, 0, 0, "default: today" },
	KS_FIELDS_END
};
static const struct ks_field revoke_body[] = {
	{ "reason", KS_F_STRING, 1, 1, 20, "paid (arrears paid and a year of "
	    "regular payment) or decision" },
	{ "note", KS_F_STRING, 0, 1, 1000, "required with decision" },
	{ "date", KS_F_DATE, 0, 0, 0, "default: today" },
	KS_FIELDS_END
};
static const struct ks_field payout_body[] = {
	{ "notified_on", KS_F_DATE, 1, 0, 0, "the day the institution told "
	    "the service" },
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "the payout, Rappen" },
	{ "note", KS_F_STRING, 0, 1, 1000, NULL },
	KS_FIELDS_END
};
static const struct ks_field complaint_body[] = {
	{ "filed_on", KS_F_DATE, 1, 0, 0, NULL },
	{ "authority", KS_F_STRING, 1, 1, 200, "the prosecution authority" },
	{ "note", KS_F_STRING, 0, 1, 1000, NULL },
	KS_FIELDS_END
};

#define C	"/api/v1/cases/{id}"
#define A	"/api/v1/alimente"
#define KB	(16 * 1024)

const struct ks_route ah_enforce_routes[] = {
	{ "GET", C "/enforcements", "alimente.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, enforcement_list, "the debt enforcement "
	    "proceedings of a dossier with their steps and fees", NULL,
	    NULL },
	{ "POST", C "/enforcements", "alimente.write", KB, enforcement_body,
	    0, enforcement_add, "start a debt enforcement proceeding "
	    "(Betreibung); a dossier in voluntary collection moves to "
	    "enforcement", NULL, NULL },
	{ "GET", A "/enforcements/{id}", "alimente.read", 0, NULL,
	    KS_R_AUDIT, enforcement_get, "a proceeding with its steps",
	    NULL, NULL },
	{ "POST", A "/enforcements/{id}/steps", "alimente.write", KB,
	    step_body, KS_R_ETAG, step_add, "record the next step of a "
	    "proceeding; sets its deadlines (pack alimente-enforcement)",
	    NULL, NULL },
	{ "GET", C "/pension-reports", "alimente.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, report_list, "the reports of the "
	    "debtor to pension institutions with their payout notices",
	    NULL, NULL },
	{ "POST", C "/pension-reports", "alimente.write", KB, report_body, 0,
	    report_add, "report the debtor to his pension institution "
	    "(InkHV 13; once enough monthly payments are missing)", NULL,
	    NULL },
	{ "POST", A "/pension-reports/{id}/revoke", "alimente.write", KB,
	    revoke_body, KS_R_ETAG, report_revoke, "revoke a report (arrears "
	    "paid and a year of regular payment, or by decision)", NULL,
	    NULL },
	{ "POST", A "/pension-reports/{id}/payout-notice", "alimente.write",
	    KB, payout_body, KS_R_ETAG, report_payout, "record the "
	    "institution's notice of a payout: the payout block as a "
	    "deadline (InkHV 14)", NULL, NULL },
	{ "GET", C "/complaints", "alimente.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, complaint_list, "criminal complaints "
	    "for neglect of maintenance duties", NULL, NULL },
	{ "POST", C "/complaints", "alimente.write", KB, complaint_body, 0,
	    complaint_add, "record a criminal complaint (StGB 217)", NULL,
	    NULL },
	{ "GET", C "/final-statement", "alimente.read", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT | KS_R_LONG, ah_end_statement,
	    "the final statement "
	    "(Schlussabrechnung) as PDF: per creditor due, received, "
	    "advanced, recovered, outstanding, and the enforcement fees "
	    "(?lang=de|fr, ?creditor=id)", NULL, NULL },
	KS_ROUTES_END
};

const struct ks_errdef ah_enforce_errors[] = {
	{ "ah_enforcement_step_order", 409, "the step does not follow the "
	    "proceeding's last one in the order of the SchKG (detail: step, "
	    "last_step, allowed)" },
	{ "ah_enforcement_too_early", 409, "the step's period has not begun "
	    "(e.g. the continuation before 20 days; detail: earliest)" },
	{ "ah_enforcement_lapsed", 409, "the step's period has passed (e.g. "
	    "the continuation after a year; detail: latest)" },
	{ "ah_pension_not_due", 409, "fewer monthly payments are missing "
	    "than a pension-fund report needs (detail: missing_months, "
	    "required)" },
	{ "ah_pension_report_active", 409, "the institution has an active "
	    "report for the dossier already" },
	{ "ah_pension_revoke_early", 409, "the arrears are not paid or the "
	    "year of regular payment is not over (detail)" },
	{ "ah_payout_below_threshold", 409, "a payout below the threshold "
	    "the institution must report (detail: threshold)" },
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_enforce_vocabulary[] = {
	{ "deadline_kind", "ah_enforcement" },
	{ "deadline_kind", "ah_limitation" },
	{ "deadline_kind", "ah_payout_block" },
	{ NULL, NULL }
};

/* --------------------------------------------------------------- hooks */

int
ah_enforce_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	(void)from;
	/*
	 * The end: nothing more is due, neither in its proceedings nor of
	 * its advances (their yearly re-check) nor by hand; every open
	 * deadline is done, as the browser tells who closes it.
	 */
	if (strcmp(to, "closed") == 0 && ks->deadlines_close(req, dossier,
	    NULL, NULL) != KS_OK)
		return KS_ERROR;
	return KS_OK;
}

/*
 * The work list: the months still outstanding of the caller's open
 * dossiers whose limitation date (pack: OR 128, a child's claim from the
 * 18th birthday, OR 134) falls within LIMITATION_AHEAD days, as the list
 * "ah_limitation". The enforcement deadlines are the core's.
 */
int
ah_enforce_worklist(struct ks_request *req, json_t *lists)
{
	const char *v[4];
	json_t *p, *a;
	PGresult *r;
	int i;

	if ((p = pack_call(req, "limitation", ks->today(req), json_object())) ==
	    NULL)
		return KS_ERROR;
	v[0] = ks->num(req, ks->user_id(req));
	v[1] = ks->num(req, field_ll(p, "years"));
	v[2] = ks->num(req, field_ll(p, "child_from_age"));
	v[3] = ks->num(req, LIMITATION_AHEAD);
	json_decref(p);
	if ((r = ks->db_q(req, Q_AH_ENFORCE_LIMITATION, 4, v)) == NULL)
		return KS_ERROR;
	a = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,"
		    "s:s,s:I,s:s}", "dossier_id", (json_int_t)ks_db_getll(r, i,
		    "dossier_id"), "number", ks_db_str(r, i, "number"),
		    "client", ks_db_str(r, i, "client"), "creditor_id",
		    (json_int_t)ks_db_getll(r, i, "creditor_id"),
		    "creditor_first_name", ks_db_str(r, i,
		    "creditor_first_name"), "creditor_last_name", ks_db_str(r,
		    i, "creditor_last_name"), "month", ks_db_str(r, i, "month"),
		    "outstanding", (json_int_t)ks_db_getll(r, i, "outstanding"),
		    "limitation_on", ks_db_str(r, i, "limitation_on")));
	return json_object_set_new(lists, "ah_limitation", a);
}

/*
 * A transfer: the proceedings stay with the sender. After a move the
 * old service keeps collecting the arrears due until the move (InkHV
 * art. 4 via ALIMENTENHILFE.md "Competence"); the new one starts afresh.
 */
int
ah_enforce_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	(void)req; (void)from; (void)from_tenant; (void)to; (void)to_tenant;
	return KS_OK;
}
