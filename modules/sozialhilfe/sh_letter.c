/*
 * sh_letter.c - what the Sozialhilfe module puts on paper: the decision
 * (Verfügung) and the letters written from templates, a request for the
 * intake documents still missing and a cost guarantee (Kostengutsprache).
 *
 * Every document is a letter of the social service: its letterhead, the
 * recipient in the envelope window, a place-and-date line, the dossier
 * reference, then the text in the recipient's language from texts.json,
 * dates written out ("1. März 2027", "1er mars 2027"), amounts as
 * "CHF 1'234.50", a footer with the reference and the page numbers on
 * every page. A draft decision carries "ENTWURF"/"PROJET" on every page
 * and no signatures. Letters are stored as documents of the dossier
 * (category letter) the moment they are written; the decision is stored
 * when it is approved (sh_budget.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh.h"
#include "kasus/pdf.h"
#include "kasus/swiss.h"


static json_t *texts;

/* Codes of the income side of a budget; the rest is need. */
static const char *const income_codes[] = { "income_employment", "efb",
    "income_other", NULL };

/* ------------------------------------------------------------- texts */

void
sh_texts_load(const char *root)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/modules/sozialhilfe/texts.json",
	    root);
	json_decref(texts);
	texts = json_load_file(path, 0, NULL);
}

void
sh_texts_fini(void)
{
	json_decref(texts);
	texts = NULL;
}

const char *
sh_text(const char *lang, const char *key)
{
	json_t *t = json_object_get(json_object_get(texts, lang), key);

	if (!json_is_string(t))
		t = json_object_get(json_object_get(texts, "de"), key);
	return json_is_string(t) ? json_string_value(t) : key;
}

/*
 * The text key in lang with each {name} replaced by its value from the
 * NULL-terminated name, value list; an unknown {name} stays as it is.
 * The result lives in the arena.
 */
static const char *
fill(struct ks_request *req, const char *lang, const char *key, ...)
{
	const char *t = sh_text(lang, key), *q, *name, *val;
	char *out;
	size_t cap = strlen(t) + 1, len = 0, n;
	va_list ap;
	int hit;

	for (va_start(ap, key); (name = va_arg(ap, const char *)) != NULL; ) {
		val = va_arg(ap, const char *);
		cap += strlen(val != NULL ? val : "") * 4;
	}
	va_end(ap);
	out = ks->alloc(req, cap);
	while (*t != '\0') {
		hit = 0;
		if (*t == '{' && (q = strchr(t, '}')) != NULL) {
			va_start(ap, key);
			while ((name = va_arg(ap, const char *)) != NULL) {
				val = va_arg(ap, const char *);
				n = strlen(name);
				if ((size_t)(q - t - 1) == n &&
				    strncmp(t + 1, name, n) == 0 &&
				    len + strlen(val ? val : "") < cap) {
					memcpy(out + len, val ? val : "",
					    strlen(val ? val : ""));
					len += strlen(val ? val : "");
					t = q + 1;
					hit = 1;
					break;
				}
			}
			va_end(ap);
		}
		if (!hit && len + 1 < cap)
			out[len++] = *t++;
		else if (!hit)
			break;
	}
	out[len] = '\0';
	return out;
}

/* ----------------------------------------------------------- helpers */

static const char *
chf(struct ks_request *req, long long rappen)
{
	char b[KS_SWISS_MAX];

	return ks->strdup(req, ks_swiss_chf(b, rappen));
}

static const char *
long_date(struct ks_request *req, const char *iso, const char *lang)
{
	char b[KS_SWISS_MAX];

	return ks->strdup(req, ks_swiss_date_long(b, iso, lang));
}

static const char *
short_date(struct ks_request *req, const char *iso)
{
	char b[KS_SWISS_MAX];

	return ks->strdup(req, ks_swiss_date(b, iso));
}

/* Non-empty parts joined by sep, in the arena. */
static const char *
join(struct ks_request *req, const char *sep, const char *const *parts,
    int n)
{
	size_t len = 1;
	char *out;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(parts[i] ? parts[i] : "") + strlen(sep);
	out = ks->alloc(req, len);
	*out = '\0';
	for (i = 0; i < n; i++) {
		if (parts[i] == NULL || *parts[i] == '\0')
			continue;
		if (*out != '\0')
			strcat(out, sep);
		strcat(out, parts[i]);
	}
	return out;
}

/* "street no", "postcode town" (either may be empty). */
static const char *
two(struct ks_request *req, const char *a, const char *b)
{
	const char *p[2] = { a, b };

	return join(req, " ", p, 2);
}

/* The dossier's reference on paper: its number (e.g. "2026-00042"). */
static const char *
dossier_ref(PGresult *dossier)
{
	return ks_db_str(dossier, 0, "number");
}

/* "Street 12" and "3600 Thun" of a row with street, house_no ... town. */
static const char *
street_line(struct ks_request *req, PGresult *r)
{
	return two(req, ks_db_str(r, 0, "street"), ks_db_str(r, 0,
	    "house_no"));
}

static const char *
town_line(struct ks_request *req, PGresult *r)
{
	return two(req, ks_db_str(r, 0, "postcode"), ks_db_str(r, 0, "town"));
}

/* Everything a letter has before its text. */
struct letter {
	const char	*lang;
	const char	*sender;	/* letterhead lines */
	const char	*sender_line;	/* the same on one line */
	const char	*place;		/* the sender's town, or "" */
	const char	*ref;		/* dossier reference */
	PGresult	*client;	/* letter_client row */
	const char	*client_name;
	const char	*client_address;	/* lines */
	const char	*author;	/* the user writing, display name */
};

/* The sender, the client and the author; -1 with the error set. */
static int
letter_load(struct ks_request *req, PGresult *dossier, struct letter *l)
{
	const char *v[1], *p[4];
	PGresult *s, *u;

	memset(l, 0, sizeof(*l));
	v[0] = ks_db_str(dossier, 0, "applicant_id");
	if ((s = sh_q(req, Q_LETTER_SENDER, 0, NULL)) == NULL ||
	    (l->client = sh_q(req, Q_LETTER_CLIENT, 1, v)) == NULL)
		return -1;
	if (PQntuples(s) != 1 || PQntuples(l->client) != 1)
		return ks->fail(req, 404, "not_found", "no such dossier");
	p[0] = ks_db_str(s, 0, "name");
	p[1] = street_line(req, s);
	p[2] = town_line(req, s);
	l->sender = join(req, "\n", p, 3);
	l->sender_line = join(req, ", ", p, 3);
	l->place = ks_db_str(s, 0, "town");
	l->ref = dossier_ref(dossier);
	s = l->client;
	l->client_name = two(req, ks_db_str(s, 0, "first_name"),
	    ks_db_str(s, 0, "last_name"));
	p[0] = l->client_name;
	p[1] = street_line(req, s);
	p[2] = town_line(req, s);
	l->client_address = join(req, "\n", p, 3);
	l->lang = ks_db_str(s, 0, "language");
	v[0] = ks->num(req, ks->user_id(req));
	if ((u = sh_q(req, Q_USER_DISPLAY, 1, v)) == NULL)
		return -1;
	l->author = PQntuples(u) == 1 ? ks_db_str(u, 0, "display_name") : "";
	return 0;
}

/*
 * Letterhead, recipient, "Thun, 1. März 2027" and the reference lines;
 * the footer with the reference and page numbers.
 */
static void
letter_head(struct ks_request *req, struct ks_pdf_list *b, struct letter *l,
    const char *recipient, const char *date, const char *ref_lines,
    const char *footer)
{
	const char *d = long_date(req, date, l->lang);

	ks_pdf_add(b, KS_PDF_FOOTER, footer, NULL);
	ks_pdf_add(b, KS_PDF_LETTERHEAD, l->sender, NULL);
	ks_pdf_add(b, KS_PDF_ADDRESS, recipient, NULL);
	ks_pdf_add(b, KS_PDF_PARAGRAPH, *l->place != '\0' ? fill(req, l->lang,
	    "place_date", "place", l->place, "date", d, NULL) : d, NULL);
	ks_pdf_add(b, KS_PDF_PARAGRAPH, ref_lines, NULL);
}

/* "YYYYMMDDHHMMSS" of a timestamp "YYYY-MM-DD HH:MM:SS..." */
static void
created_of(const char *ts, char out[16])
{
	snprintf(out, 16, "%.4s%.2s%.2s%.2s%.2s%.2s", ts, ts + 5, ts + 8,
	    ts + 11, ts + 14, ts + 17);
}

static int
render_fail(struct ks_request *req, const char *what, const char *err)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "the %s could not be produced", what);
	return ks->fail_detail(req, 500, "document_failed", ks->strdup(req,
	    msg), json_pack("{s:s}", "reason", err));
}

/* ---------------------------------------------------------- decision */

static int
is_income(const char *code)
{
	int i;

	for (i = 0; income_codes[i] != NULL; i++)
		if (strcmp(code, income_codes[i]) == 0)
			return 1;
	return 0;
}

/* A budget line's explanation in lang (lines saved before: as stored). */
static const char *
line_text(struct ks_request *req, PGresult *l, int i, const char *lang)
{
	json_t *e;
	const char *s;

	if (ks_db_isnull(l, i, "explains"))
		return ks_db_str(l, i, "explain");
	e = json_loads(ks_db_str(l, i, "explains"), 0, NULL);
	s = json_string_value(json_object_get(e, lang));
	s = s != NULL ? ks->strdup(req, s) : ks_db_str(l, i, "explain");
	json_decref(e);
	return s;
}

/* The budget table: need, income, what is paid. */
static void
budget_table(struct ks_request *req, struct ks_pdf_list *b, PGresult *bud,
    PGresult *l, const char *lang)
{
	int i, side;

	ks_pdf_add(b, KS_PDF_HEADING, sh_text(lang, "budget"), NULL);
	for (side = 0; side < 3; side++) {
		if (side == 1)
			ks_pdf_add(b, KS_PDF_TOTAL, sh_text(lang, "need"),
			    chf(req, ks_db_getll(bud, 0, "need")));
		if (side == 2)
			ks_pdf_add(b, KS_PDF_TOTAL, sh_text(lang, "income"),
			    chf(req, ks_db_getll(bud, 0, "income_counted")));
		for (i = 0; i < PQntuples(l); i++) {
			const char *code = ks_db_str(l, i, "code");

			/* Need first, then income; notes (assets) last. */
			if (side != (is_income(code) ? 1 :
			    strcmp(code, "assets_above_allowance") == 0 ? 2 :
			    0))
				continue;
			ks_pdf_add(b, side == 2 ? KS_PDF_PARAGRAPH : KS_PDF_ROW,
			    line_text(req, l, i, lang), side == 2 ? NULL :
			    chf(req, ks_db_getll(l, i, "amount")));
		}
	}
	ks_pdf_add(b, KS_PDF_TOTAL, sh_text(lang, "payment"),
	    chf(req, ks_db_getll(bud, 0, "payment")));
}

/* "rent-ceilings 2025.1 (20df2598b47a), skos-budget ..." */
static const char *
rules_used(struct ks_request *req, PGresult *bud)
{
	json_t *prov = json_loads(ks_db_str(bud, 0, "provenance"), 0, NULL);
	json_t *e;
	const char **p;
	size_t k, n = json_array_size(prov);
	const char *s;

	p = ks->alloc(req, (n + 1) * sizeof(*p));
	json_array_foreach(prov, k, e) {
		char one[200];

		snprintf(one, sizeof(one), "%s %s (%.12s)",
		    json_string_value(json_object_get(e, "name")),
		    json_string_value(json_object_get(e, "version")),
		    json_string_value(json_object_get(e, "sha256")));
		p[k] = ks->strdup(req, one);
	}
	s = join(req, ", ", p, (int)n);
	json_decref(prov);
	return s;
}

int
sh_decision_render(struct ks_request *req, PGresult *dec,
    const char *approver, char **pdf, size_t *len)
{
	const char *lang = ks_db_str(dec, 0, "language"), *v[1], *date, *p[3];
	int draft = approver == NULL;
	struct ks_pdf_list b = { NULL, 0, 0 };
	struct letter l;
	PGresult *d, *bud, *lines;
	char err[256], created[16];
	int rc;

	v[0] = ks_db_str(dec, 0, "dossier_id");
	if ((d = sh_q(req, Q_DOSSIER_GET, 1, v)) == NULL)
		return -1;
	if (PQntuples(d) != 1)
		return ks->fail(req, 404, "not_found", "no such dossier");
	v[0] = ks_db_str(dec, 0, "budget_id");
	if ((bud = sh_q(req, Q_BUDGET_GET, 1, v)) == NULL ||
	    (lines = sh_q(req, Q_BUDGET_LINES, 1, v)) == NULL ||
	    letter_load(req, d, &l) != 0)
		return -1;
	if (PQntuples(bud) != 1)
		return ks->fail(req, 404, "not_found", "no such budget");
	/* The decision's language, whatever the client's is today. */
	l.lang = lang;
	/* Dated the day it is approved; a draft the day it was drafted. */
	date = ks_db_str(dec, 0, ks_db_isnull(dec, 0, "approved_at") ?
	    "created_at" : "approved_at");
	if (draft)
		ks_pdf_add(&b, KS_PDF_MARK, sh_text(lang, "draft_mark"), NULL);
	p[0] = fill(req, lang, "dossier_ref", "ref", l.ref, NULL);
	p[1] = fill(req, lang, "decision_ref", "id", ks_db_str(dec, 0, "id"),
	    NULL);
	p[2] = ks_db_isnull(dec, 0, "drafted_by_name") ? "" : fill(req, lang,
	    "caseworker", "name", ks_db_str(dec, 0, "drafted_by_name"), NULL);
	letter_head(req, &b, &l, l.client_address, date, join(req, "\n", p,
	    3), fill(req, lang, "footer_decision", "ref", l.ref, NULL));
	ks_pdf_add(&b, KS_PDF_TITLE, sh_text(lang, "title"), NULL);
	if (draft)
		ks_pdf_add(&b, KS_PDF_PARAGRAPH, sh_text(lang, "draft_note"),
		    NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, fill(req, lang, "intro", "date",
	    long_date(req, ks_db_str(bud, 0, "valid_from"), lang), NULL),
	    NULL);
	budget_table(req, &b, bud, lines, lang);
	ks_pdf_add(&b, KS_PDF_SPACE, NULL, NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, sh_text(lang, "duties"), NULL);
	ks_pdf_add(&b, KS_PDF_HEADING, sh_text(lang, "remedies_title"), NULL);
	ks_pdf_add(&b, KS_PDF_SMALL, sh_text(lang, "remedies"), NULL);
	ks_pdf_add(&b, KS_PDF_SMALL, fill(req, lang, "rules", "rules",
	    rules_used(req, bud), NULL), NULL);
	/* Only what was approved is signed. */
	if (!draft) {
		p[0] = sh_text(lang, "drafted");
		p[1] = ks_db_str(dec, 0, "drafted_by_name");
		p[2] = join(req, "\n", p, 2);
		p[0] = sh_text(lang, "approved");
		p[1] = approver;
		ks_pdf_add(&b, KS_PDF_SIGNATURES, p[2], join(req, "\n", p, 2));
	}
	/* The creation date is the decision's, so re-rendering is stable. */
	created_of(date, created);
	rc = ks->pdf_render(b.v, sh_text(lang, "title"), created, pdf, len,
	    err, sizeof(err));
	free(b.v);
	return rc != 0 ? render_fail(req, "decision document", err) : 0;
}

/* ----------------------------------------------------------- letters */

/*
 * Render blocks and store them as a letter of dossier id: the document
 * row (category letter), its bytes, the audit event; *out gets the
 * document as JSON. detail is taken.
 */
static int
letter_store(struct ks_request *req, int64_t id, const char *kind,
    const char *title, struct letter *l, struct ks_pdf_list *b,
    json_t *detail, json_t **out)
{
	const char *v[6];
	char err[256], created[16], sha[65], *pdf = NULL;
	PGresult *doc;
	size_t len;
	int rc;

	created_of(ks->today(req), created);
	memcpy(created + 8, "000000", 7);
	rc = ks->pdf_render(b->v, title, created, &pdf, &len, err,
	    sizeof(err));
	free(b->v);
	b->v = NULL;
	if (rc != 0) {
		json_decref(detail);
		return render_fail(req, "letter", err);
	}
	ks->sha256_hex(pdf, len, sha);
	v[0] = ks->num(req, id);
	v[1] = "letter";
	v[2] = title;
	v[3] = ks->num(req, (long long)len);
	v[4] = sha;
	v[5] = ks->num(req, ks->user_id(req));
	rc = sh_document_store(req, v, pdf, len, &doc);
	ks->free(pdf);
	json_object_set_new(detail, "kind", json_string(kind));
	json_object_set_new(detail, "language", json_string(l->lang));
	json_object_set_new(detail, "sha256", json_string(sha));
	if (rc != 0 || ks->audit(req, "letter_written", "document",
	    ks_db_str(doc, 0, "id"), NULL, NULL, json_incref(detail)) != 0) {
		json_decref(detail);
		return -1;
	}
	*out = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:o}", "id",
	    (json_int_t)ks_db_getll(doc, 0, "id"), "dossier_id",
	    (json_int_t)id, "category", "letter", "kind", kind, "title",
	    title, "language", l->lang, "size", (json_int_t)len, "sha256",
	    sha, "uploaded_at", ks_db_str(doc, 0, "uploaded_at"), "detail",
	    detail);
	return 0;
}

/* A date of the body that must not lie before today. */
static int
not_past(struct ks_request *req, const char *date, const char *field)
{
	if (strcmp(date, ks->today(req)) < 0)
		return ks->fail_detail(req, 400, "invalid_value", "the date "
		    "lies in the past", json_pack("{s:s}", "field", field));
	return 0;
}

/* The letters one can write; kind as the routes name it. */
enum { L_REQUEST, L_GUARANTEE };
static const char *const kinds[] = { "document-request", "cost-guarantee",
    NULL };

/*
 * Why dossier d (sh_dossier row) gets no letter of kind k now: an error
 * code with its message in *msg, or NULL. Asked before a letter is
 * written, and for each dossier of a batch before it is queued.
 */
static const char *
refusal(struct ks_request *req, PGresult *d, int64_t id, int k,
    const char **msg)
{
	json_t *miss;
	size_t n;

	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0) {
		*msg = "a closed dossier gets no more letters";
		return "dossier_closed";
	}
	if (k == L_REQUEST) {
		miss = sh_missing_docs(req, id);
		n = json_array_size(miss);
		json_decref(miss);
		if (n == 0) {
			*msg = "every required document of the intake is "
			    "there; there is nothing to ask for";
			return "nothing_missing";
		}
	}
	return NULL;
}

/*
 * The request for the intake documents still missing, with a deadline
 * (14 days unless the body names one), to the client.
 */
static int
letter_request(struct ks_request *req, int64_t id, struct letter *l,
    json_t *body, json_t **out)
{
	json_t *miss, *e;
	const char *due, *note, *p[3], *title, **docs;
	struct ks_pdf_list b = { NULL, 0, 0 };
	size_t i, n;

	due = json_string_value(json_object_get(body, "deadline"));
	if (due == NULL)
		due = sh_days_ahead(req, 14);
	else if (not_past(req, due, "deadline") != 0)
		return -1;
	miss = sh_missing_docs(req, id);
	n = json_array_size(miss);
	docs = ks->alloc(req, (n + 1) * sizeof(*docs));
	json_array_foreach(miss, i, e) {
		char key[64];

		snprintf(key, sizeof(key), "doc.%s", json_string_value(e));
		docs[i] = ks->strdup(req, sh_text(l->lang, key));
	}
	title = sh_text(l->lang, "request_title");
	p[0] = fill(req, l->lang, "dossier_ref", "ref", l->ref, NULL);
	p[1] = fill(req, l->lang, "caseworker", "name", l->author, NULL);
	letter_head(req, &b, l, l->client_address, ks->today(req), join(req,
	    "\n", p, 2), fill(req, l->lang, "footer_letter", "title", title,
	    "ref", l->ref, NULL));
	ks_pdf_add(&b, KS_PDF_TITLE, title, NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, sh_text(l->lang, "request_intro"),
	    NULL);
	for (i = 0; i < n; i++)
		ks_pdf_add(&b, KS_PDF_PARAGRAPH, two(req, "–", docs[i]),
		    NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, fill(req, l->lang,
	    "request_deadline", "date", long_date(req, due, l->lang), NULL),
	    NULL);
	if ((note = json_string_value(json_object_get(body, "note"))) != NULL)
		ks_pdf_add(&b, KS_PDF_PARAGRAPH, note, NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, sh_text(l->lang,
	    "request_questions"), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, sh_text(l->lang, "regards"), NULL);
	ks_pdf_add(&b, KS_PDF_SIGNATURES, l->author, NULL);
	return letter_store(req, id, "document_request", title, l, &b,
	    json_pack("{s:s,s:o}", "deadline", due, "missing", miss), out);
}

/*
 * A cost guarantee to a provider (dentist, day care, landlord): who is
 * covered, for what, up to which amount and until when; a copy goes to
 * the client.
 */
static int
letter_guarantee(struct ks_request *req, int64_t id, struct letter *l,
    json_t *body, json_t **out)
{
	const char *to, *purpose, *until, *p[3], *title, *addr, *birth;
	struct ks_pdf_list b = { NULL, 0, 0 };
	long long amount;

	to = json_string_value(json_object_get(body, "recipient"));
	purpose = json_string_value(json_object_get(body, "purpose"));
	until = json_string_value(json_object_get(body, "valid_until"));
	amount = json_integer_value(json_object_get(body, "amount"));
	if (not_past(req, until, "valid_until") != 0)
		return -1;
	title = sh_text(l->lang, "guarantee_title");
	p[0] = fill(req, l->lang, "dossier_ref", "ref", l->ref, NULL);
	p[1] = fill(req, l->lang, "caseworker", "name", l->author, NULL);
	letter_head(req, &b, l, to, ks->today(req), join(req, "\n", p, 2),
	    fill(req, l->lang, "footer_letter", "title", title, "ref", l->ref,
	    NULL));
	ks_pdf_add(&b, KS_PDF_TITLE, title, NULL);
	p[0] = street_line(req, l->client);
	p[1] = town_line(req, l->client);
	addr = join(req, ", ", p, 2);
	birth = ks_db_isnull(l->client, 0, "birth_date") ? "–" :
	    short_date(req, ks_db_str(l->client, 0, "birth_date"));
	ks_pdf_add(&b, KS_PDF_HEADING, fill(req, l->lang, "guarantee_client",
	    "name", l->client_name, "birth", birth, "address", addr, NULL),
	    NULL);
	ks_pdf_add(&b, KS_PDF_HEADING, fill(req, l->lang, "guarantee_purpose",
	    "purpose", purpose, NULL), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, fill(req, l->lang, "guarantee_text",
	    "amount", chf(req, amount), NULL), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, fill(req, l->lang, "guarantee_valid",
	    "date", long_date(req, until, l->lang), NULL), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, fill(req, l->lang,
	    "guarantee_invoice", "ref", l->ref, "address", l->sender_line,
	    NULL), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, sh_text(l->lang, "regards"), NULL);
	ks_pdf_add(&b, KS_PDF_SIGNATURES, l->author, NULL);
	ks_pdf_add(&b, KS_PDF_SMALL, fill(req, l->lang, "copy_to", "name",
	    l->client_name, NULL), NULL);
	return letter_store(req, id, "cost_guarantee", title, l, &b,
	    json_pack("{s:s,s:s,s:I,s:s}", "recipient", to, "purpose",
	    purpose, "amount", (json_int_t)amount, "valid_until", until), out);
}

/*
 * Write letter k to the client of dossier d (sh_dossier row) with the
 * fields of body (the single route's) and store it; *out gets the stored
 * document. The one way to a letter, one at a time or in a batch. -1
 * with the error set.
 */
static int
letter_write(struct ks_request *req, PGresult *d, int64_t id, int k,
    json_t *body, json_t **out)
{
	const char *lang = json_string_value(json_object_get(body,
	    "language")), *code, *msg;
	struct letter l;

	if ((code = refusal(req, d, id, k, &msg)) != NULL)
		return ks->fail(req, 409, code, msg);
	if (letter_load(req, d, &l) != 0)
		return -1;
	if (lang != NULL)
		l.lang = lang;
	return k == L_REQUEST ? letter_request(req, id, &l, body, out) :
	    letter_guarantee(req, id, &l, body, out);
}

/* POST /cases/{id}/letters/<kind>: one letter, 201 with its document. */
static int
letter_one(struct ks_request *req, int k)
{
	PGresult *d;
	json_t *out;
	int64_t id;

	if ((d = sh_dossier(req, &id)) == NULL ||
	    letter_write(req, d, id, k, ks->body(req), &out) != 0)
		return -1;
	return ks->reply(req, 201, out);
}

static int
letter_request_one(struct ks_request *req)
{
	return letter_one(req, L_REQUEST);
}

static int
letter_guarantee_one(struct ks_request *req)
{
	return letter_one(req, L_GUARANTEE);
}

/* ------------------------------------------------------------ batch */

/* The index of kind in kinds, or -1. */
static int
kind_of(const char *kind)
{
	int k;

	for (k = 0; kind != NULL && kinds[k] != NULL; k++)
		if (strcmp(kinds[k], kind) == 0)
			return k;
	return -1;
}

/* 400 for the dossier list of a batch. */
static int
bad_ids(struct ks_request *req, const char *code, const char *msg)
{
	return ks->fail_detail(req, 400, code, msg, json_pack("{s:s}",
	    "field", "dossiers"));
}

/*
 * POST /letters/batch: the same letter to the clients of many dossiers,
 * written by the job sozialhilfe.letters. Everything is checked before
 * anything is queued: the fields the letter needs, every dossier through
 * the access policy (404 or 409 naming the first that fails).
 */
static int
letter_batch(struct ks_request *req)
{
	static const char *const need[] = { "recipient", "purpose", "amount",
	    "valid_until", NULL };
	json_t *body = ks->body(req), *ids, *e, *f, *p;
	const char *v[1], *code, *msg;
	PGresult *d;
	int64_t id, job;
	size_t i, j;
	int k, rc;

	ids = json_object_get(body, "dossiers");
	if ((k = kind_of(json_string_value(json_object_get(body, "kind")))) <
	    0)
		return ks->fail_detail(req, 400, "invalid_value", "the kind "
		    "of letter is document-request or cost-guarantee",
		    json_pack("{s:s}", "field", "kind"));
	if (json_array_size(ids) == 0)
		return bad_ids(req, "invalid_length", "name at least one "
		    "dossier");
	for (i = 0; k == L_GUARANTEE && need[i] != NULL; i++)
		if (json_object_get(body, need[i]) == NULL)
			return ks->fail_detail(req, 400, "missing_field",
			    "a required field is missing", json_pack("{s:s}",
			    "field", need[i]));
	if ((f = json_object_get(body, "deadline")) != NULL &&
	    not_past(req, json_string_value(f), "deadline") != 0)
		return -1;
	if ((f = json_object_get(body, "valid_until")) != NULL &&
	    not_past(req, json_string_value(f), "valid_until") != 0)
		return -1;
	json_array_foreach(ids, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 1)
			return bad_ids(req, "invalid_type", "a dossier is "
			    "named by its id, a positive whole number");
		for (j = 0; j < i; j++)
			if (json_integer_value(json_array_get(ids, j)) ==
			    json_integer_value(e))
				return bad_ids(req, "invalid_value", "a "
				    "dossier is named twice");
	}
	json_array_foreach(ids, i, e) {
		id = json_integer_value(e);
		v[0] = ks->num(req, id);
		if ((d = sh_q(req, Q_DOSSIER_GET, 1, v)) == NULL)
			return -1;
		if (PQntuples(d) != 1)
			return ks->fail_detail(req, 404, "not_found", "no such "
			    "dossier", json_pack("{s:I}", "dossier",
			    (json_int_t)id));
		if (ks->access_dossier(req, id, KS_ACCESS_WRITE) == NULL)
			return -1;
		if ((code = refusal(req, d, id, k, &msg)) != NULL)
			return ks->fail_detail(req, 409, code, msg, json_pack(
			    "{s:I}", "dossier", (json_int_t)id));
	}
	f = json_deep_copy(body);
	json_object_del(f, "kind");
	json_object_del(f, "dossiers");
	p = json_pack("{s:s,s:O,s:o}", "kind", kinds[k], "dossiers", ids,
	    "fields", f);
	rc = ks->job_enqueue(req, "sozialhilfe.letters", p, NULL, &job);
	json_decref(p);
	if (rc != 0)
		return -1;
	return ks->job_accepted(req, job);
}

/*
 * The job sozialhilfe.letters: one letter per dossier of the payload,
 * written as the batch's creator. Each letter is recorded with the job
 * (sh_letter_batch_item) in the transaction that stores it, so a job
 * that runs again after a crash or a retry skips the dossiers it did. A
 * dossier closed meanwhile, or whose documents all came, is skipped and
 * named in the result; one the creator may no longer write to fails the
 * job (the letters written so far stay).
 */
int
sh_letters_job(struct ks_request *job, json_t *payload)
{
	json_t *ids = json_object_get(payload, "dossiers"), *docs, *skipped;
	json_t *fields = json_object_get(payload, "fields"), *e, *out;
	const char *v[3], *code, *msg;
	size_t i, n = json_array_size(ids);
	PGresult *d, *r, *a;
	int64_t id;
	int k;

	k = kind_of(json_string_value(json_object_get(payload, "kind")));
	if (k < 0 || !json_is_object(fields))
		return ks->fail(job, 400, "invalid_value", "the job names no "
		    "kind of letter");
	if (ks->job_progress(job, 0, (long long)n) != 0)
		return -1;
	docs = json_array();
	skipped = json_array();
	json_array_foreach(ids, i, e) {
		id = json_integer_value(e);
		v[0] = ks->num(job, ks->job_id(job));
		v[1] = ks->num(job, id);
		if ((r = sh_q(job, Q_LETTER_BATCH_DONE, 2, v)) == NULL)
			goto fail;
		if (PQntuples(r) == 1) {
			json_array_append_new(docs, json_integer(atoll(
			    ks_db_str(r, 0, "document_id"))));
			ks->db_free(job, r);
			goto next;
		}
		/* Each letter's results go when it is written (500 letters). */
		ks->db_free(job, r);
		/* The policy again: the job may run long after the request. */
		if (ks->access_dossier(job, id, KS_ACCESS_WRITE) == NULL ||
		    (d = sh_q(job, Q_DOSSIER_GET, 1, v + 1)) == NULL)
			goto fail;
		if (PQntuples(d) != 1) {
			ks->fail(job, 404, "not_found", "no such dossier");
			goto fail;
		}
		if ((code = refusal(job, d, id, k, &msg)) != NULL) {
			json_array_append_new(skipped, json_pack("{s:I,s:s}",
			    "dossier", (json_int_t)id, "reason", code));
			ks->db_free(job, d);
			goto next;
		}
		if (letter_write(job, d, id, k, fields, &out) != 0)
			goto fail;
		ks->db_free(job, d);
		v[2] = ks->num(job, json_integer_value(json_object_get(out,
		    "id")));
		json_array_append(docs, json_object_get(out, "id"));
		json_decref(out);
		if ((a = sh_q(job, Q_LETTER_BATCH_ADD, 3, v)) == NULL)
			goto fail;
		ks->db_free(job, a);
next:
		if (ks->job_progress(job, (long long)i + 1, (long long)n) != 0)
			goto fail;
	}
	ks->job_result(job, json_pack("{s:s,s:I,s:o,s:o}", "kind", kinds[k],
	    "count", (json_int_t)json_array_size(docs), "documents", docs,
	    "skipped", skipped));
	return 0;
fail:
	json_decref(docs);
	json_decref(skipped);
	return -1;
}

/* ------------------------------------------------------------ routes */

static const struct ks_field request_body[] = {
	{ "deadline", KS_F_DATE, 0, 0, 0, "when the documents are due; "
	    "default in 14 days" },
	{ "note", KS_F_STRING, 0, 1, 1000, "a paragraph of your own" },
	{ "language", KS_F_LANG, 0, 0, 0, "default: the client's" },
	KS_FIELDS_END
};
static const struct ks_field guarantee_body[] = {
	{ "recipient", KS_F_STRING, 1, 3, 300, "the provider's name and "
	    "postal address, one line each" },
	{ "purpose", KS_F_STRING, 1, 3, 300, "what the costs are for" },
	{ "amount", KS_F_INT, 1, 1, 100000000, "at most, Rappen" },
	{ "valid_until", KS_F_DATE, 1, 0, 0, "services up to this day" },
	{ "language", KS_F_LANG, 0, 0, 0, "default: the client's" },
	KS_FIELDS_END
};

static const struct ks_field batch_body[] = {
	{ "kind", KS_F_STRING, 1, 1, 40, "document-request or "
	    "cost-guarantee" },
	{ "dossiers", KS_F_ARRAY, 1, 0, 500, "the ids of the dossiers, 1 to "
	    "500" },
	{ "deadline", KS_F_DATE, 0, 0, 0, "document-request: when the "
	    "documents are due; default in 14 days" },
	{ "note", KS_F_STRING, 0, 1, 1000, "document-request: a paragraph "
	    "of your own" },
	{ "recipient", KS_F_STRING, 0, 3, 300, "cost-guarantee (required): "
	    "the provider's name and postal address, one line each" },
	{ "purpose", KS_F_STRING, 0, 3, 300, "cost-guarantee (required): "
	    "what the costs are for" },
	{ "amount", KS_F_INT, 0, 1, 100000000, "cost-guarantee (required): "
	    "at most, Rappen" },
	{ "valid_until", KS_F_DATE, 0, 0, 0, "cost-guarantee (required): "
	    "services up to this day" },
	{ "language", KS_F_LANG, 0, 0, 0, "default: each client's" },
	KS_FIELDS_END
};

#define C	"/api/v1/cases"
#define KB	(16 * 1024)

const struct ks_route sh_letter_routes[] = {
	{ "POST", C "/{id}/letters/document-request", "case.write", KB,
	    request_body, 0, letter_request_one, "write and store a letter "
	    "asking the client for the intake documents still missing" },
	{ "POST", C "/{id}/letters/cost-guarantee", "case.write", KB,
	    guarantee_body, 0, letter_guarantee_one, "write and store a cost "
	    "guarantee (Kostengutsprache) to a provider" },
	{ "POST", "/api/v1/letters/batch", "case.write", 2 * KB, batch_body,
	    KS_R_JOB, letter_batch, "write the same letter to the clients of "
	    "up to 500 dossiers and store each (a job; 202)" },
	KS_ROUTES_END
};
