/*
 * ah_letter.c - what the Alimentenhilfe module puts on paper: the texts
 * of texts.json and the advance decision (Verfügung über die
 * Bevorschussung) to the applicant, in German or French.
 *
 * The decision names the child, the month it starts, what the title
 * says, the cap and the monthly advance, the pack's lines with their
 * explanations in the letter's language (kept in both when the decision
 * was computed), the yearly re-check, the duties and the legal remedies
 * notice, and the rule pack it was computed with. A decision not
 * approved carries "ENTWURF"/"PROJET" on every page and no signatures;
 * an approved one is dated and signed as approved, so rendering it again
 * gives the same file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"
#include "kasus/pdf.h"
#include "kasus/swiss.h"

const char *
ah_col(PGresult *r, const char *c)
{
	return ks_db_isnull(r, 0, c) || *ks_db_str(r, 0, c) == '\0' ? NULL :
	    ks_db_str(r, 0, c);
}

json_t *
ah_texts_load(void)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/modules/alimente/texts.json",
	    ks->root());
	return json_load_file(path, 0, NULL);
}

const char *
ah_text(json_t *texts, const char *lang, const char *key)
{
	json_t *t = json_object_get(json_object_get(texts, lang), key);

	if (!json_is_string(t))
		t = json_object_get(json_object_get(texts, "de"), key);
	return json_is_string(t) ? json_string_value(t) : key;
}

#define FILL_MAX	8

const char *
ah_fill(struct ks_request *req, json_t *texts, const char *lang,
    const char *key, ...)
{
	const char *names[FILL_MAX], *vals[FILL_MAX], *t, *end, *out;
	size_t n = 0, i;
	va_list ap;

	va_start(ap, key);
	while (n < FILL_MAX && (names[n] = va_arg(ap, const char *)) != NULL) {
		vals[n] = va_arg(ap, const char *);
		if (vals[n] == NULL)
			vals[n] = "";
		n++;
	}
	va_end(ap);
	out = "";
	for (t = ah_text(texts, lang, key); *t != '\0'; ) {
		if (*t == '{' && (end = strchr(t, '}')) != NULL) {
			for (i = 0; i < n; i++)
				if (strlen(names[i]) == (size_t)(end - t - 1) &&
				    strncmp(names[i], t + 1, end - t - 1) == 0)
					break;
			if (i < n) {
				out = ks->printf(req, "%s%s", out, vals[i]);
				t = end + 1;
				continue;
			}
		}
		end = strchr(t + 1, '{');
		if (end == NULL)
			end = t + strlen(t);
		out = ks->printf(req, "%s%.*s", out, (int)(end - t), t);
		t = end;
	}
	return out;
}

/* Amounts and dates as the letter writes them, in the arena. */
static const char *
money(struct ks_request *req, long long rappen)
{
	char b[KS_SWISS_MAX];

	return ks->strdup(req, ks_swiss_chf(b, rappen));
}

static const char *
day(struct ks_request *req, const char *iso, const char *lang)
{
	char b[KS_SWISS_MAX];

	/* a timestamp "YYYY-MM-DD HH:MM..." is dated by its day */
	return ks->strdup(req, ks_swiss_date_long(b, ks->printf(req, "%.10s",
	    iso), lang));
}

/* The non-empty strings of v[0..n) joined by sep, in the arena. */
static const char *
lines(struct ks_request *req, const char *sep, const char *const *v, int n)
{
	const char *out = "";
	int i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && *v[i] != '\0')
			out = *out == '\0' ? v[i] : ks->printf(req, "%s%s%s",
			    out, sep, v[i]);
	return out;
}

static const char *
pair(struct ks_request *req, const char *a, const char *b)
{
	const char *v[2] = { a, b };

	return lines(req, " ", v, 2);
}

/* "alimente-advance 2025.1 (1a2b3c4d5e6f)" of the pack's provenance. */
static const char *
pack_named(struct ks_request *req, PGresult *adv)
{
	json_t *p = json_loads(ks_db_str(adv, 0, "provenance"), 0, NULL);
	const char *s;

	s = ks->printf(req, "%s %s (%.12s)",
	    json_string_value(json_object_get(p, "name")),
	    json_string_value(json_object_get(p, "version")),
	    json_string_value(json_object_get(p, "sha256")));
	json_decref(p);
	return s;
}

/* The parties and texts of one letter. */
struct adv_letter {
	json_t		*texts;
	const char	*lang;
	PGresult	*parties;	/* ah_advance_letter_parties */
};

static const char *
T(struct adv_letter *l, const char *key)
{
	return ah_text(l->texts, l->lang, key);
}

/* Letterhead, recipient, place and date, the reference lines. */
static void
head(struct ks_request *req, struct ks_pdf_list *b, struct adv_letter *l,
    PGresult *adv, const char *date)
{
	PGresult *p = l->parties;
	const char *v[4], *d = day(req, date, l->lang);

	ks_pdf_add(b, KS_PDF_FOOTER, ah_fill(req, l->texts, l->lang,
	    "adv_footer", "ref", ks_db_str(p, 0, "number"), NULL), NULL);
	v[0] = ks_db_str(p, 0, "sender");
	v[1] = pair(req, ks_db_str(p, 0, "s_street"), ks_db_str(p, 0,
	    "s_house_no"));
	v[2] = pair(req, ks_db_str(p, 0, "s_postcode"), ks_db_str(p, 0,
	    "s_town"));
	ks_pdf_add(b, KS_PDF_LETTERHEAD, lines(req, "\n", v, 3), NULL);
	v[0] = pair(req, ks_db_str(p, 0, "first_name"), ks_db_str(p, 0,
	    "last_name"));
	v[1] = pair(req, ks_db_str(p, 0, "street"), ks_db_str(p, 0,
	    "house_no"));
	v[2] = pair(req, ks_db_str(p, 0, "postcode"), ks_db_str(p, 0, "town"));
	ks_pdf_add(b, KS_PDF_ADDRESS, lines(req, "\n", v, 3), NULL);
	ks_pdf_add(b, KS_PDF_PARAGRAPH, *ks_db_str(p, 0, "s_town") != '\0' ?
	    ah_fill(req, l->texts, l->lang, "place_date", "place",
	    ks_db_str(p, 0, "s_town"), "date", d, NULL) : d, NULL);
	v[0] = ah_fill(req, l->texts, l->lang, "dossier_ref", "ref",
	    ks_db_str(p, 0, "number"), NULL);
	v[1] = ah_fill(req, l->texts, l->lang, "adv_ref", "id",
	    ks_db_str(adv, 0, "id"), NULL);
	v[2] = ah_fill(req, l->texts, l->lang, "caseworker", "name",
	    ks_db_str(adv, 0, "created_by_name"), NULL);
	ks_pdf_add(b, KS_PDF_PARAGRAPH, lines(req, "\n", v, 3), NULL);
}

/* The decision itself: the amounts, granted or not, and why. */
static void
body(struct ks_request *req, struct ks_pdf_list *b, struct adv_letter *l,
    PGresult *adv)
{
	const char *lang = l->lang, *from, *child, *col;
	json_t *in, *res, *e;
	size_t i;

	from = day(req, ks_db_str(adv, 0, "valid_from"), lang);
	child = pair(req, ks_db_str(adv, 0, "first_name"), ks_db_str(adv, 0,
	    "last_name"));
	ks_pdf_add(b, KS_PDF_PARAGRAPH, ah_fill(req, l->texts, lang,
	    "adv_intro", "child", child, "birth", day(req, ks_db_str(adv, 0,
	    "birth_date"), lang), "date", from, NULL), NULL);
	in = json_loads(ks_db_str(adv, 0, "input"), 0, NULL);
	ks_pdf_add(b, KS_PDF_HEADING, T(l, "adv_decision"), NULL);
	ks_pdf_add(b, KS_PDF_ROW, T(l, "adv_title_amount"), money(req,
	    json_integer_value(json_object_get(in, "title_amount"))));
	json_decref(in);
	ks_pdf_add(b, KS_PDF_ROW, T(l, "adv_cap"), money(req,
	    ks_db_getll(adv, 0, "cap")));
	ks_pdf_add(b, KS_PDF_TOTAL, T(l, "adv_amount"), money(req,
	    ks_db_getll(adv, 0, "amount")));
	if (ks_db_getll(adv, 0, "amount") > 0) {
		ks_pdf_add(b, KS_PDF_PARAGRAPH, ah_fill(req, l->texts, lang,
		    "adv_granted", "date", from, "child", child, "amount",
		    money(req, ks_db_getll(adv, 0, "amount")), NULL), NULL);
		if (!ks_db_isnull(adv, 0, "valid_to"))
			ks_pdf_add(b, KS_PDF_PARAGRAPH, ah_fill(req, l->texts,
			    lang, "adv_until", "date", day(req, ks_db_str(adv,
			    0, "valid_to"), lang), NULL), NULL);
	} else
		ks_pdf_add(b, KS_PDF_PARAGRAPH, ah_fill(req, l->texts, lang,
		    "adv_refused", "date", from, "child", child, NULL), NULL);
	/* The pack's lines in the letter's language (German if not kept). */
	col = strcmp(lang, "fr") == 0 && !ks_db_isnull(adv, 0, "result_fr") ?
	    "result_fr" : "result";
	res = json_loads(ks_db_str(adv, 0, col), 0, NULL);
	ks_pdf_add(b, KS_PDF_HEADING, T(l, "adv_reasons"), NULL);
	json_array_foreach(json_object_get(res, "lines"), i, e)
		ks_pdf_add(b, KS_PDF_PARAGRAPH, ks->strdup(req,
		    json_string_value(json_object_get(e, "explain"))), NULL);
	json_decref(res);
	if (ks_db_getll(adv, 0, "amount") > 0)
		ks_pdf_add(b, KS_PDF_PARAGRAPH, ah_fill(req, l->texts, lang,
		    "adv_recheck", "date", day(req, ks_db_isnull(adv, 0,
		    "recheck_on") ? ks->printf(req, "%d%s", atoi(ks_db_str(adv,
		    0, "valid_from")) + 1, ks_db_str(adv, 0, "valid_from") + 4) :
		    ks_db_str(adv, 0, "recheck_on"), lang), NULL), NULL);
	ks_pdf_add(b, KS_PDF_PARAGRAPH, T(l, "adv_duties"), NULL);
}

int
ah_advance_letter(struct ks_request *req, PGresult *adv, const char **lang,
    int draft, char **pdf, size_t *len)
{
	struct ks_pdf_list b = { NULL, 0, 0 };
	struct adv_letter l;
	const char *v[1], *date, *s[2];
	char err[256], created[16];
	int rc;

	v[0] = ks_db_str(adv, 0, "dossier_id");
	if ((l.parties = ks->db_q(req, Q_AH_ADVANCE_LETTER_PARTIES, 1, v)) ==
	    NULL)
		return -1;
	if (PQntuples(l.parties) != 1)
		return ks->fail(req, 404, "not_found", "no such dossier");
	if ((l.texts = ah_texts_load()) == NULL)
		return ks->fail_detail(req, 500, "document_failed", "the "
		    "decision could not be produced", json_pack("{s:s}",
		    "reason", "texts.json of the module is unreadable"));
	if (*lang == NULL)
		*lang = ks_db_str(l.parties, 0, "language");
	l.lang = *lang;
	/* Dated the day it is approved; a draft the day it was proposed. */
	date = ks_db_str(adv, 0, draft || ks_db_isnull(adv, 0, "approved_at") ?
	    "created_at" : "approved_at");
	if (draft)
		ks_pdf_add(&b, KS_PDF_MARK, T(&l, "draft_mark"), NULL);
	head(req, &b, &l, adv, date);
	ks_pdf_add(&b, KS_PDF_TITLE, T(&l, "adv_title"), NULL);
	if (draft)
		ks_pdf_add(&b, KS_PDF_PARAGRAPH, T(&l, "adv_draft_note"), NULL);
	body(req, &b, &l, adv);
	ks_pdf_add(&b, KS_PDF_HEADING, T(&l, "remedies_title"), NULL);
	ks_pdf_add(&b, KS_PDF_SMALL, T(&l, "remedies"), NULL);
	ks_pdf_add(&b, KS_PDF_SMALL, ah_fill(req, l.texts, l.lang, "rules",
	    "rules", pack_named(req, adv), NULL), NULL);
	if (!draft) {
		s[0] = ks->printf(req, "%s\n%s", T(&l, "drafted"),
		    ks_db_str(adv, 0, "created_by_name"));
		s[1] = ks->printf(req, "%s\n%s", T(&l, "approved"),
		    ks_db_str(adv, 0, "approved_by_name"));
		ks_pdf_add(&b, KS_PDF_SIGNATURES, s[0], s[1]);
	}
	/* "YYYYMMDDHHMMSS" of the date: the same file each time. */
	snprintf(created, sizeof(created), "%.4s%.2s%.2s%.2s%.2s%.2s", date,
	    date + 5, date + 8, date + 11, date + 14, date + 17);
	rc = ks->pdf_render(b.v, T(&l, "adv_title"), created, pdf, len, err,
	    sizeof(err));
	free(b.v);
	if (rc != 0) {
		/* the texts go after the failure: err and T() point into them */
		rc = ks->fail_detail(req, 500, "document_failed", "the decision "
		    "could not be produced", json_pack("{s:s}", "reason", err));
		json_decref(l.texts);
		return rc;
	}
	json_decref(l.texts);
	return 0;
}

const char *
ah_chf(struct ks_request *req, long long rappen)
{
	return money(req, rappen);
}

const char *
ah_day(struct ks_request *req, const char *iso, const char *lang)
{
	return day(req, iso, lang);
}

/*
 * Store pdf (len bytes; freed here) as a document of dossier: query q
 * (dossier, title, size, sha256, user) inserts its row, the core seals
 * the bytes. sha: the digest, for the caller's audit. The new
 * document's id, NULL on error.
 */
const char *
ah_pdf_store(struct ks_request *req, int q, const char *dossier,
    const char *title, char *pdf, size_t len, char sha[65])
{
	const char *v[5];
	PGresult *doc;
	int rc;

	ks->sha256_hex(pdf, len, sha);
	v[0] = dossier;
	v[1] = title;
	v[2] = ks->num(req, (long long)len);
	v[3] = sha;
	v[4] = ks->num(req, ks->user_id(req));
	doc = ks->db_q(req, q, 5, v);
	rc = doc == NULL || ks->document_put(req, ks_db_str(doc, 0, "id"), pdf,
	    len) != 0 ? -1 : 0;
	ks->free(pdf);
	return rc != 0 ? NULL : ks->strdup(req, ks_db_str(doc, 0, "id"));
}

