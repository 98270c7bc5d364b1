/*
 * ah_remind.c - reminders to the debtor (Mahnungen, InkHV art. 12: a
 * minimum service before enforcement). A case worker issues one for
 * what is outstanding per creditor and month up to this month: a letter
 * in German or French with the amounts, the payment deadline and, when
 * the service's account has a QR-IBAN, the QR-bill's payment part with
 * the title's reference; stored as a document of the dossier, noted in
 * its journal, the deadline set (the work list shows it), audited.
 *
 * The steps and their periods are the pack alimente-enforcement's
 * (reminders: 20 days, then a second reminder with 10 days): a next
 * level only once the deadline of the one before has passed; after the
 * last one the service requests enforcement; a payment of the debtor
 * since the last reminder starts again at level 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus/pdf.h"
#include "ah.h"

#define PACK	"alimente-enforcement"

static json_t *
reminder_json(PGresult *r, int i)
{
	json_t *items = json_loads(ks_db_str(r, i, "items"), 0, NULL);
	json_t *prov = json_loads(ks_db_str(r, i, "provenance"), 0, NULL);

	return json_pack("{s:I,s:I,s:i,s:s,s:s,s:I,s:o,s:s,s:o,s:o,s:o,s:I,"
	    "s:o,s:s}", "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "dossier_id", (json_int_t)ks_db_getll(r, i, "dossier_id"),
	    "level", (int)ks_db_getll(r, i, "level"), "issued_on",
	    ks_db_str(r, i, "issued_on"), "pay_by", ks_db_str(r, i, "pay_by"),
	    "amount", (json_int_t)ks_db_getll(r, i, "amount"), "items",
	    items != NULL ? items : json_array(), "language",
	    ks_db_str(r, i, "language"), "document_id",
	    ks_db_json_int(r, i, "document_id"), "journal_id",
	    ks_db_json_int(r, i, "journal_id"), "rules",
	    prov != NULL ? prov : json_null(), "created_by",
	    (json_int_t)ks_db_getll(r, i, "created_by"), "created_by_name",
	    ks_db_json_str(r, i, "created_by_name"), "created_at",
	    ks_db_str(r, i, "created_at"));
}

/*
 * The level of the next reminder of dossier dossier by the pack's steps
 * (*steps, taken), *prov its provenance; 409 while the last one's
 * deadline runs or after the last step. -1 on error.
 */
static int
next_level(struct ks_request *req, const char *dossier, json_t **steps,
    json_t **prov, int *level, const char **prev)
{
	const char *today = ks->today(req);
	json_t *in, *out = NULL;
	PGresult *r;
	int n;

	in = json_pack("{s:s}", "date", today);
	n = ks->rules_eval(req, PACK, "reminders", today, in, &out, prov);
	json_decref(in);
	if (n != 0) {
		json_decref(out);
		return -1;
	}
	*steps = json_incref(json_object_get(out, "steps"));
	json_decref(out);
	n = (int)json_array_size(*steps);
	*level = 1;
	*prev = NULL;
	if ((r = ks->db_q(req, Q_AH_REMIND_LAST, 1, &dossier)) == NULL)
		return -1;
	if (PQntuples(r) == 0 || strcmp(ks_db_str(r, 0, "paid_since"), "t") ==
	    0)
		return 0;
	if (strcmp(today, ks_db_str(r, 0, "pay_by")) <= 0)
		return ks->fail_detail(req, 409, "ah_remind_deadline_running",
		    "the deadline of the last reminder has not passed yet",
		    json_pack("{s:s,s:I}", "pay_by", ks_db_str(r, 0, "pay_by"),
		    "level", (json_int_t)ks_db_getll(r, 0, "level")));
	*level = (int)ks_db_getll(r, 0, "level") + 1;
	*prev = ks->strdup(req, ks_db_str(r, 0, "pay_by"));
	if (*level > n)
		return ks->fail_detail(req, 409, "ah_remind_exhausted", "the "
		    "reminders are exhausted; request enforcement",
		    json_pack("{s:i}", "steps", n));
	return 0;
}

/* The outstanding items as stored and their sum (*sum). */
static json_t *
items_of(PGresult *r, long long *sum)
{
	json_t *a = json_array();
	int i;

	*sum = 0;
	for (i = 0; i < PQntuples(r); i++) {
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:I}",
		    "creditor_id", (json_int_t)ks_db_getll(r, i, "creditor_id"),
		    "first_name", ks_db_str(r, i, "first_name"), "last_name",
		    ks_db_str(r, i, "last_name"), "month", ks_db_str(r, i,
		    "month"), "outstanding", (json_int_t)ks_db_getll(r, i,
		    "outstanding")));
		*sum += ks_db_getll(r, i, "outstanding");
	}
	return a;
}

/* What the letter is made of. */
struct rem {
	json_t		*texts, *items;
	const char	*lang, *issued, *pay_by, *prev, *level;
	long long	 amount;
	PGresult	*p;		/* ah_remind_parties */
};

static const char *
T(struct ks_request *req, struct rem *m, const char *key)
{
	return ah_fill(req, m->texts, m->lang, key, "level", m->level,
	    "amount", ah_chf(req, m->amount), "date", ah_day(req, m->pay_by,
	    m->lang), "ref", ks_db_str(m->p, 0, "number"), NULL);
}

/* How to pay: the QR-bill's part, else the account named. */
static int
payment(struct ks_request *req, struct ks_pdf_list *b, struct rem *m,
    char **payload)
{
	*payload = NULL;
	if (ah_col(m->p, "acc_qr_iban") != NULL &&
	    ah_col(m->p, "debtor_reference") != NULL) {
		ks_pdf_add(b, KS_PDF_PARAGRAPH, T(req, m, "rem_pay_qr"), NULL);
		return ah_collect_qrbill(req, m->p, m->amount, ah_text(m->texts,
		    m->lang, "rem_qr_message"), payload);
	}
	if (ah_col(m->p, "acc_iban") != NULL)
		ks_pdf_add(b, KS_PDF_PARAGRAPH, ah_fill(req, m->texts, m->lang,
		    "rem_pay_iban", "iban", ks_db_str(m->p, 0, "acc_iban"),
		    "name", ks_db_str(m->p, 0, "acc_name"), "ref",
		    ks_db_str(m->p, 0, "number"), NULL), NULL);
	return 0;
}

/* The letter (PDF, *pdf to ks->free). */
static int
letter(struct ks_request *req, struct rem *m, char **pdf, size_t *len)
{
	struct ks_pdf_list b = { NULL, 0, 0 };
	const char *debtor, *s, *title;
	char err[256], *payload = NULL;
	json_t *e;
	size_t i;
	int rc;

	title = ah_text(m->texts, m->lang, strcmp(m->level, "1") == 0 ?
	    "rem_title_1" : "rem_title_2");
	ks_pdf_add(&b, KS_PDF_FOOTER, T(req, m, "rem_footer"), NULL);
	s = ah_col(m->p, "acc_name") != NULL ? ah_col(m->p, "acc_name") :
	    ks_db_str(m->p, 0, "sender");
	ks_pdf_add(&b, KS_PDF_LETTERHEAD, ah_collect_lines(req, m->p, s,
	    "acc_"), NULL);
	debtor = ks->printf(req, "%s %s", ks_db_str(m->p, 0, "first_name"),
	    ks_db_str(m->p, 0, "last_name"));
	ks_pdf_add(&b, KS_PDF_ADDRESS, ah_collect_lines(req, m->p, debtor, ""),
	    NULL);
	s = ah_day(req, m->issued, m->lang);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, ah_col(m->p, "acc_town") != NULL ?
	    ah_fill(req, m->texts, m->lang, "place_date", "place",
	    ah_col(m->p, "acc_town"), "date", s, NULL) : s, NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, T(req, m, "dossier_ref"), NULL);
	ks_pdf_add(&b, KS_PDF_TITLE, title, NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, m->prev == NULL ? T(req, m,
	    "rem_intro") : ah_fill(req, m->texts, m->lang, "rem_intro_2",
	    "date", ah_day(req, m->prev, m->lang), NULL), NULL);
	ks_pdf_add(&b, KS_PDF_HEADING, T(req, m, "rem_outstanding"), NULL);
	json_array_foreach(m->items, i, e)
		ks_pdf_add(&b, KS_PDF_ROW, ah_fill(req, m->texts, m->lang,
		    "rem_item", "month", json_string_value(json_object_get(e,
		    "month")), "name", ks->printf(req, "%s %s",
		    json_string_value(json_object_get(e, "first_name")),
		    json_string_value(json_object_get(e, "last_name"))), NULL),
		    ah_chf(req, json_integer_value(json_object_get(e,
		    "outstanding"))));
	ks_pdf_add(&b, KS_PDF_TOTAL, T(req, m, "rem_total"), ah_chf(req,
	    m->amount));
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, T(req, m, "rem_pay_by"), NULL);
	if (payment(req, &b, m, &payload) != 0) {
		free(b.v);
		return -1;
	}
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, T(req, m, m->prev == NULL ?
	    "rem_next" : "rem_threat"), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, T(req, m, "rem_contact"), NULL);
	if (payload != NULL)
		ks_pdf_add(&b, KS_PDF_QRBILL, payload, m->lang);
	rc = ks->pdf_render(b.v, title, ks->printf(req, "%.4s%.2s%.2s000000",
	    m->issued, m->issued + 5, m->issued + 8), pdf, len, err,
	    sizeof(err));
	free(b.v);
	ks->free(payload);
	if (rc != 0)
		return ks->fail_detail(req, 500, "document_failed", "the "
		    "reminder could not be produced", json_pack("{s:s}",
		    "reason", err));
	return 0;
}

/*
 * The letter stored as a document of the dossier and noted in its
 * journal; the reminder row points at both.
 */
static int
store(struct ks_request *req, struct rem *m, const char *dossier,
    const char *rid)
{
	const char *v[4], *roles = ks->roles(req), *doc;
	char *pdf = NULL, sha[65];
	PGresult *j;
	size_t len;

	if (letter(req, m, &pdf, &len) != 0 || (doc = ah_pdf_store(req,
	    Q_AH_REMIND_DOCUMENT, dossier, ah_fill(req, m->texts, m->lang,
	    "rem_document", "level", m->level, "date", ah_day(req, m->issued,
	    m->lang), NULL), pdf, len, sha)) == NULL)
		return -1;
	v[0] = dossier;
	v[1] = T(req, m, "rem_journal");
	v[2] = ks->num(req, ks->user_id(req));
	v[3] = ks->printf(req, "%.*s", (int)strcspn(roles, ","), roles);
	if (*v[3] == '\0')
		v[3] = "token";
	if ((j = ks->db_q(req, Q_AH_REMIND_JOURNAL, 4, v)) == NULL)
		return -1;
	v[0] = rid;
	v[1] = doc;
	v[2] = ks_db_str(j, 0, "id");
	return ks->db_q(req, Q_AH_REMIND_SET, 3, v) == NULL ? -1 : 0;
}

/* Reminder rid of dossier as listed (new reference), NULL on error. */
static json_t *
reminder_now(struct ks_request *req, const char *dossier, const char *rid)
{
	return ah_dossier_row(req, Q_AH_REMIND_LIST, dossier, rid, reminder_json);
}

/* The row's language, de or fr; the body's first. */
static const char *
language(struct ks_request *req, PGresult *p)
{
	const char *l = json_string_value(json_object_get(ks->body(req),
	    "language"));

	if (l == NULL)
		l = ah_col(p, "language");
	return l != NULL && strcmp(l, "fr") == 0 ? "fr" : "de";
}

/* Check the dossier collects and has a title with a debtor: its parties. */
static PGresult *
parties(struct ks_request *req, PGresult *d, const char *dossier)
{
	const char *st = ks_db_str(d, 0, "state");
	PGresult *p;

	if (strcmp(st, "voluntary") != 0 && strcmp(st, "enforcement") != 0) {
		ks->fail_detail(req, 409, "ah_remind_not_collecting", "a "
		    "reminder goes out while the service collects", json_pack(
		    "{s:s}", "state", st));
		return NULL;
	}
	/*
	 * The title locked first: a second reminder or a debtor's payment
	 * booked at the same time waits, so the level and the amounts are
	 * read as they stand.
	 */
	if (ks->db_q(req, Q_AH_COLLECT_TITLE_OF, 1, &dossier) == NULL ||
	    (p = ks->db_q(req, Q_AH_REMIND_PARTIES, 1, &dossier)) == NULL)
		return NULL;
	if (PQntuples(p) != 1 || ah_col(p, "last_name") == NULL) {
		ks->fail(req, 409, "ah_collect_no_title", "record the "
		    "maintenance title with its debtor first");
		return NULL;
	}
	return p;
}

/* Insert the reminder row; *rid and m->pay_by set. */
static int
insert(struct ks_request *req, struct rem *m, const char *dossier,
    json_t *step, json_t *prov, const char **rid)
{
	const char *v[9];
	char *items, *pv;
	PGresult *r;

	items = json_dumps(m->items, JSON_COMPACT);
	pv = json_dumps(prov != NULL ? prov : json_object(), JSON_COMPACT);
	v[0] = dossier;
	v[1] = m->level;
	v[2] = m->issued;
	v[3] = ks->num(req, json_integer_value(json_object_get(step,
	    "days")));
	v[4] = ks->num(req, m->amount);
	v[5] = ks->strdup(req, items);
	v[6] = m->lang;
	v[7] = ks->strdup(req, pv);
	v[8] = ks->num(req, ks->user_id(req));
	free(items);
	free(pv);
	if ((r = ks->db_q(req, Q_AH_REMIND_INSERT, 9, v)) == NULL)
		return -1;
	*rid = ks->strdup(req, ks_db_str(r, 0, "id"));
	m->pay_by = ks->strdup(req, ks_db_str(r, 0, "pay_by"));
	return 0;
}

/* The deadline in the work list and the audit event. */
static int
record(struct ks_request *req, struct rem *m, int64_t id, const char *rid,
    json_t *after)
{
	const char *key = strcmp(m->level, "1") == 0 ? "rem_title_1" :
	    "rem_title_2", *text;

	/* in both languages, whichever the letter was written in */
	text = ks->printf(req, "%s %s: %s / %s %s: %s",
	    ah_text(m->texts, "de", key), ah_chf(req, m->amount),
	    ah_day(req, m->pay_by, "de"), ah_text(m->texts, "fr", key),
	    ah_chf(req, m->amount), ah_day(req, m->pay_by, "fr"));
	if (ks->deadlines_close(req, id, "ah_reminder", NULL) != 0 ||
	    ks->deadline_add(req, id, m->pay_by, "ah_reminder", text, NULL) !=
	    0)
		return -1;
	return ks->audit(req, "ah_reminder_issued", "ah_reminder", rid, NULL,
	    json_incref(after), json_pack("{s:I,s:s,s:I}", "dossier_id",
	    (json_int_t)id, "level", m->level, "amount",
	    (json_int_t)m->amount));
}

/* POST /cases/{id}/reminders: the next reminder to the debtor. */
static int
remind_add(struct ks_request *req)
{
	struct rem m;
	json_t *steps = NULL, *prov = NULL, *after = NULL;
	const char *v[2], *rid;
	PGresult *d, *o;
	int64_t id;
	int level, rc = -1;

	memset(&m, 0, sizeof(m));
	if ((d = ah_dossier(req, &id)) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	v[1] = m.issued = ks->today(req);
	if ((m.p = parties(req, d, v[0])) == NULL ||
	    next_level(req, v[0], &steps, &prov, &level, &m.prev) != 0)
		goto out;
	if ((o = ks->db_q(req, Q_AH_REMIND_OUTSTANDING, 2, v)) == NULL)
		goto out;
	m.items = items_of(o, &m.amount);
	if (m.amount <= 0) {
		rc = ks->fail(req, 409, "ah_remind_nothing_due", "the debtor "
		    "owes nothing up to this month");
		goto out;
	}
	m.level = ks->num(req, level);
	m.lang = language(req, m.p);
	if ((m.texts = ah_texts_load()) == NULL) {
		rc = ks->fail(req, 500, "document_failed", "the texts of the "
		    "module are unreadable");
		goto out;
	}
	if (insert(req, &m, v[0], json_array_get(steps, level - 1), prov,
	    &rid) != 0 || store(req, &m, v[0], rid) != 0 ||
	    (after = reminder_now(req, v[0], rid)) == NULL ||
	    record(req, &m, id, rid, after) != 0)
		goto out;
	rc = ks->reply(req, 201, json_incref(after));
out:
	json_decref(after);
	json_decref(m.texts);
	json_decref(m.items);
	json_decref(steps);
	json_decref(prov);
	return rc;
}

/* GET /cases/{id}/reminders: the dossier's reminders, newest first. */
static int
remind_list(struct ks_request *req)
{
	return ah_dossier_page(req, Q_AH_REMIND_LIST, reminder_json);
}

json_t *
ah_remind_sent(struct ks_request *req, int64_t dossier)
{
	const char *v[1] = { ks->num(req, dossier) };
	PGresult *r;

	if ((r = ks->db_q(req, Q_AH_REMIND_SENT, 1, v)) == NULL ||
	    ks_db_getll(r, 0, "n") == 0)
		return NULL;
	return json_pack("{s:I,s:s}", "count", (json_int_t)ks_db_getll(r, 0,
	    "n"), "last", ks_db_str(r, 0, "last"));
}

static const struct ks_field remind_body[] = {
	{ "language", KS_F_LANG, 0, 0, 0, "de or fr; the debtor's when "
	    "absent" },
	KS_FIELDS_END
};

const struct ks_route ah_remind_routes[] = {
	{ "GET", "/api/v1/cases/{id}/reminders", "alimente.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, remind_list, "the reminders sent to the "
	    "debtor, newest first (the letter: document_id)", NULL, NULL },
	{ "POST", "/api/v1/cases/{id}/reminders", "alimente.write", 1024,
	    remind_body, 0, remind_add, "send the next reminder to the "
	    "debtor for what is outstanding up to this month: letter (PDF, "
	    "a document of the dossier), journal, deadline (pack "
	    "alimente-enforcement)", NULL, NULL },
	KS_ROUTES_END
};

const struct ks_errdef ah_remind_errors[] = {
	{ "ah_remind_not_collecting", 409, "reminders go out while the "
	    "service collects (voluntary or enforcement)" },
	{ "ah_remind_deadline_running", 409, "the deadline of the last "
	    "reminder has not passed yet" },
	{ "ah_remind_exhausted", 409, "the reminders are exhausted; the next "
	    "step is enforcement" },
	{ "ah_remind_nothing_due", 409, "the debtor owes nothing up to this "
	    "month" },
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_remind_vocabulary[] = {
	{ "deadline_kind", "ah_reminder" },
	{ "document_category", "ah_reminder" },
	{ NULL, NULL }
};
