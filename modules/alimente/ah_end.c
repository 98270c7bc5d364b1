/*
 * ah_end.c - the final statement (Schlussabrechnung, InkHV art. 16) as a
 * PDF to the applicant: per creditor what was due, received from the
 * debtor, advanced by the community, recovered from the debtor and what
 * is outstanding (sums of the view ah_month_v up to the month the help
 * ended, or the current one while it runs: then it is an interim
 * statement), and the fees of every enforcement proceeding, which the
 * community advanced and charges to the debtor (InkHV 18). Texts in
 * German and French from texts-enforce.json (read per document: a
 * statement is rare, and nothing is shared between threads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"
#include "kasus/pdf.h"
#include "kasus/swiss.h"

struct doc {
	struct ks_request	*req;
	json_t			*texts;
	const char		*lang;
};

static const char *
text(struct doc *d, const char *key)
{
	json_t *t = json_object_get(json_object_get(d->texts, d->lang), key);

	return json_is_string(t) ? json_string_value(t) : key;
}

/*
 * The text key with {name} replaced by the value of the NULL-ended
 * name, value pairs (an unknown {name}, e.g. {page}, stays), in the
 * request's arena.
 */
static const char *
subst(struct doc *d, const char *key, const char *const *pairs)
{
	const char *t = text(d, key), *end;
	size_t cap = 1, len = 0, n, i;
	char *out;

	for (i = 0; pairs[i] != NULL; i += 2)
		cap += strlen(pairs[i + 1]);
	cap += strlen(t);
	out = ks->alloc(d->req, cap);
	while (*t != '\0') {
		if (*t == '{' && (end = strchr(t, '}')) != NULL) {
			n = (size_t)(end - t - 1);
			for (i = 0; pairs[i] != NULL; i += 2)
				if (strlen(pairs[i]) == n &&
				    strncmp(t + 1, pairs[i], n) == 0)
					break;
			if (pairs[i] != NULL && len + strlen(pairs[i + 1]) <
			    cap) {
				memcpy(out + len, pairs[i + 1],
				    strlen(pairs[i + 1]));
				len += strlen(pairs[i + 1]);
				t = end + 1;
				continue;
			}
		}
		if (len + 1 >= cap)
			break;
		out[len++] = *t++;
	}
	out[len] = '\0';
	return out;
}

#define FILL(d, key, ...)	subst(d, key, (const char *const []){ \
	__VA_ARGS__, NULL })

static const char *
chf(struct doc *d, long long rappen)
{
	char b[KS_SWISS_MAX];

	return ks->strdup(d->req, ks_swiss_chf(b, rappen));
}

static const char *
long_date(struct doc *d, const char *iso)
{
	char b[KS_SWISS_MAX];

	return ks->strdup(d->req, ks_swiss_date_long(b, iso, d->lang));
}

/* "03.2027" of a month "2027-03-01". */
static const char *
month_text(struct doc *d, const char *iso)
{
	return ks->printf(d->req, "%.2s.%.4s", iso + 5, iso);
}

/* Non-empty a and b with sep between. */
static const char *
pair(struct doc *d, const char *a, const char *sep, const char *b)
{
	if (*a == '\0' || *b == '\0')
		return ks->printf(d->req, "%s%s", a, b);
	return ks->printf(d->req, "%s%s%s", a, sep, b);
}

/* Name and address lines of a row (first_name ... town). */
static const char *
address(struct doc *d, PGresult *r, int with_name)
{
	const char *street = pair(d, ks_db_str(r, 0, "street"), " ",
	    ks_db_str(r, 0, "house_no"));
	const char *town = pair(d, ks_db_str(r, 0, "postcode"), " ",
	    ks_db_str(r, 0, "town"));
	const char *name = with_name ? pair(d, ks_db_str(r, 0, "first_name"),
	    " ", ks_db_str(r, 0, "last_name")) : ks_db_str(r, 0, "name");

	return pair(d, pair(d, name, "\n", street), "\n", town);
}

/* One creditor's section: the sums of row i. */
static void
creditor(struct doc *d, struct ks_pdf_list *b, PGresult *c, int i)
{
	const char *name = pair(d, ks_db_str(c, i, "first_name"), " ",
	    ks_db_str(c, i, "last_name"));
	long long adv = ks_db_getll(c, i, "advanced");
	long long rec = ks_db_getll(c, i, "recovered");

	ks_pdf_add(b, KS_PDF_HEADING, ks_db_isnull(c, i, "birth_date") ?
	    FILL(d, "creditor_nobirth", "name", name) : FILL(d, "creditor",
	    "name", name, "birth", long_date(d, ks_db_str(c, i,
	    "birth_date"))), NULL);
	if (ks_db_isnull(c, i, "first_month")) {
		ks_pdf_add(b, KS_PDF_PARAGRAPH, text(d, "period_none"), NULL);
		return;
	}
	ks_pdf_add(b, KS_PDF_PARAGRAPH, FILL(d, "period", "from",
	    month_text(d, ks_db_str(c, i, "first_month")), "to",
	    month_text(d, ks_db_str(c, i, "last_month"))), NULL);
	ks_pdf_add(b, KS_PDF_ROW, text(d, "due"), chf(d, ks_db_getll(c, i,
	    "due")));
	ks_pdf_add(b, KS_PDF_ROW, text(d, "received"), chf(d,
	    ks_db_getll(c, i, "received")));
	ks_pdf_add(b, KS_PDF_TOTAL, text(d, "outstanding"), chf(d,
	    ks_db_getll(c, i, "outstanding")));
	ks_pdf_add(b, KS_PDF_ROW, text(d, "advanced"), chf(d, adv));
	ks_pdf_add(b, KS_PDF_ROW, text(d, "recovered"), chf(d, rec));
	ks_pdf_add(b, KS_PDF_ROW, text(d, "community_cost"), chf(d,
	    adv - rec));
	ks_pdf_add(b, KS_PDF_SPACE, NULL, NULL);
}

/* The proceedings with their fees and the total. */
static void
fees(struct doc *d, struct ks_pdf_list *b, PGresult *f)
{
	long long total = 0;
	const char *ref;
	int i;

	ks_pdf_add(b, KS_PDF_HEADING, text(d, "fees_heading"), NULL);
	if (PQntuples(f) == 0) {
		ks_pdf_add(b, KS_PDF_PARAGRAPH, text(d, "fees_none"), NULL);
		return;
	}
	for (i = 0; i < PQntuples(f); i++) {
		ref = ks_db_str(f, i, "reference");
		ks_pdf_add(b, KS_PDF_ROW, FILL(d, "fee_row", "office",
		    ks_db_str(f, i, "office"), "ref", *ref != '\0' ?
		    ks->printf(d->req, " (%s)", ref) : "", "date",
		    long_date(d, ks_db_str(f, i, "started_on"))), chf(d,
		    ks_db_getll(f, i, "fees")));
		total += ks_db_getll(f, i, "fees");
	}
	ks_pdf_add(b, KS_PDF_TOTAL, text(d, "fees_total"), chf(d, total));
}

/* ?lang (de, fr; default the client's) and ?creditor (an id or none). */
static int
params(struct ks_request *req, PGresult *dossier, const char **lang,
    const char **cred)
{
	const char *l = ks->query(req, "lang"), *c = ks->query(req,
	    "creditor"), *p;

	if (l != NULL && strcmp(l, "de") != 0 && strcmp(l, "fr") != 0)
		return ks->fail_detail(req, 400, "invalid_parameter", "lang is "
		    "de or fr", json_pack("{s:s}", "parameter", "lang"));
	*lang = l != NULL ? l : strcmp(ks_db_str(dossier, 0, "language"),
	    "fr") == 0 ? "fr" : "de";
	*cred = c;
	for (p = c; p != NULL && *p != '\0'; p++)
		if (*p < '0' || *p > '9' || p - c > 17)
			break;
	if (c != NULL && (*c == '\0' || *p != '\0'))
		return ks->fail_detail(req, 400, "invalid_parameter", "creditor "
		    "is the id of one of the dossier's creditors", json_pack(
		    "{s:s}", "parameter", "creditor"));
	return KS_OK;
}

static int
texts_load(struct doc *d)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/modules/alimente/texts-enforce.json",
	    ks->root());
	if ((d->texts = json_load_file(path, 0, NULL)) == NULL)
		return ks->fail(d->req, 500, "document_failed", "the texts of "
		    "the final statement could not be read");
	return KS_OK;
}

int
ah_end_statement(struct ks_request *req)
{
	struct doc d = { req, NULL, "de" };
	struct ks_pdf_list b = { NULL, 0, 0 };
	const char *v[3], *cred = NULL, *title, *ref, *until, *place, *date;
	PGresult *ds, *s, *to, *c, *f;
	char err[256], created[16], *pdf = NULL;
	int64_t id;
	size_t len;
	int closed, i, rc;

	if (ah_dossier(req, &id) == NULL)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if ((ds = ks->db_q(req, Q_AH_ENFORCE_DOSSIER, 1, v)) == NULL ||
	    params(req, ds, &d.lang, &cred) != KS_OK)
		return KS_ERROR;
	closed = strcmp(ks_db_str(ds, 0, "state"), "closed") == 0;
	/* Up to the month the help ended in, or the current one. */
	date = closed ? ks_db_str(ds, 0, "closed_on") : ks_db_str(ds, 0,
	    "today");
	until = ks->printf(req, "%.7s-01", date);
	v[1] = cred;
	v[2] = until;
	if ((c = ks->db_q(req, Q_AH_ENFORCE_STATEMENT, 3, v)) == NULL ||
	    (f = ks->db_q(req, Q_AH_ENFORCE_FEES, 1, v)) == NULL ||
	    (s = ks->db_q(req, Q_AH_ENFORCE_SENDER, 0, NULL)) == NULL)
		return KS_ERROR;
	if (cred != NULL && PQntuples(c) == 0)
		return ks->fail(req, 404, "not_found", "no such creditor in "
		    "this dossier");
	v[0] = ks_db_str(ds, 0, "applicant_id");
	if ((to = ks->db_q(req, Q_AH_ENFORCE_ADDRESSEE, 1, v)) == NULL)
		return KS_ERROR;
	if (texts_load(&d) != KS_OK)
		return KS_ERROR;
	ref = ks_db_str(ds, 0, "number");
	title = text(&d, closed ? "title_final" : "title_interim");
	place = ks_db_str(s, 0, "town");
	ks_pdf_add(&b, KS_PDF_FOOTER, FILL(&d, "footer", "title", title, "ref",
	    ref), NULL);
	ks_pdf_add(&b, KS_PDF_LETTERHEAD, address(&d, s, 0), NULL);
	if (PQntuples(to) == 1)
		ks_pdf_add(&b, KS_PDF_ADDRESS, address(&d, to, 1), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, *place != '\0' ? FILL(&d,
	    "place_date", "place", place, "date", long_date(&d, date)) :
	    long_date(&d, date), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, FILL(&d, "dossier_ref", "ref", ref),
	    NULL);
	ks_pdf_add(&b, KS_PDF_TITLE, title, NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, closed ? FILL(&d, "intro_final",
	    "date", long_date(&d, date), "reason", text(&d, ks->printf(req,
	    "reason.%s", ks_db_str(ds, 0, "closure_reason"))), "month",
	    month_text(&d, until)) : FILL(&d, "intro_interim", "month",
	    month_text(&d, until)), NULL);
	for (i = 0; i < PQntuples(c); i++)
		creditor(&d, &b, c, i);
	fees(&d, &b, f);
	ks_pdf_add(&b, KS_PDF_SPACE, NULL, NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, text(&d, "outstanding_note"), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, text(&d, "questions"), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, text(&d, "regards"), NULL);
	/* Dated by its content, so that the same statement is the same file. */
	snprintf(created, sizeof(created), "%.4s%.2s%.2s000000", date,
	    date + 5, date + 8);
	rc = ks->pdf_render(b.v, title, created, &pdf, &len, err, sizeof(err));
	free(b.v);
	json_decref(d.texts);
	if (rc != 0)
		return ks->fail_detail(req, 500, "document_failed", "the final "
		    "statement could not be produced", json_pack("{s:s}",
		    "reason", err));
	ks->header(req, "Content-Disposition", ks->printf(req,
	    "inline; filename=\"%s-%s.pdf\"", closed ? "schlussabrechnung" :
	    "abrechnung", ref));
	rc = ks->raw(req, 200, "application/pdf", pdf, len);
	ks->free(pdf);
	return rc;
}
