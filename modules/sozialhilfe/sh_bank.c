/*
 * sh_bank.c - bank notifications (camt.054.001.08) of the Sozialhilfe
 * module: reconciliation of an uploaded file against the payment lines
 * (end-to-end id) and the recovery claims (creditor reference), the list
 * of imported files, and matching an unmatched transaction by hand.
 *
 * A file is for the social service's own account: a notification for
 * any other account is refused before anything is booked (it is the
 * wrong file; booking it would mark payments and repayments that did not
 * happen on this account). Every transaction is stored once (by its
 * identity), every file once (by its content): uploading a file again
 * books nothing twice. The upload is checked in the request and booked
 * by a background job (sozialhilfe.bank_import; 202 with the job, whose
 * result says what became of the file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "sh_pay.h"
#include "kasus/iso20022.h"

#define CAMT_LIMIT	(20u * 1024 * 1024)
#define LISTED_MAX	500		/* entries listed in one answer */

/* ---------------------------------------------------- entries as JSON */

/* Columns of sh_bank_entry_v (the migration's view). */
enum { E_ID, E_CDI, E_AMOUNT, E_CCY, E_STATUS, E_BOOKED, E_E2E, E_REF,
	E_RETURN, E_OUTCOME, E_REASON, E_LINE, E_CLAIM, E_UPLOADED, E_FILE,
	E_VERSION, E_MBY, E_MBY_NAME, E_MAT, E_DOSSIER, E_NAME, E_RUN_MONTH,
	E_FOR_MONTH, E_CLAIM_REF };

static json_t *
entry_json(PGresult *r, int i)
{
	json_t *match = json_null(), *by = json_null();

	if (!PQgetisnull(r, i, E_DOSSIER))
		match = json_pack("{s:I,s:o,s:o,s:o,s:o}", "dossier_id",
		    ll(r, i, E_DOSSIER), "name", str_or_null(r, i, E_NAME),
		    "run_month", str_or_null(r, i, E_RUN_MONTH), "for_month",
		    str_or_null(r, i, E_FOR_MONTH), "claim_reference",
		    str_or_null(r, i, E_CLAIM_REF));
	if (!PQgetisnull(r, i, E_MBY))
		by = json_pack("{s:I,s:o}", "id", ll(r, i, E_MBY),
		    "display_name", str_or_null(r, i, E_MBY_NAME));
	return json_pack("{s:I,s:I,s:s,s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:o,"
	    "s:o,s:o,s:s,s:I,s:o,s:o,s:o}", "id", ll(r, i, E_ID), "file_id",
	    ll(r, i, E_FILE), "cdi", PQgetvalue(r, i, E_CDI), "amount",
	    ll(r, i, E_AMOUNT), "currency", PQgetvalue(r, i, E_CCY),
	    "status", PQgetvalue(r, i, E_STATUS), "booking_date",
	    str_or_null(r, i, E_BOOKED), "end_to_end_id",
	    str_or_null(r, i, E_E2E), "reference", str_or_null(r, i, E_REF),
	    "return_reason", str_or_null(r, i, E_RETURN), "outcome",
	    PQgetvalue(r, i, E_OUTCOME), "reason", str_or_null(r, i, E_REASON),
	    "line_id", int_or_null(r, i, E_LINE), "claim_id",
	    int_or_null(r, i, E_CLAIM), "uploaded_at",
	    PQgetvalue(r, i, E_UPLOADED), "version", ll(r, i, E_VERSION),
	    "matched_by", by, "matched_at", str_or_null(r, i, E_MAT),
	    "match", match);
}

/* {"items", "next"} of an entries statement (v: filter, after, limit). */
static int
entries_page(struct ks_request *req, int q, const char *filter,
    json_t *wrap)
{
	const char *v[3];
	long long n;
	PGresult *r;
	json_t *items;
	int i;

	if (ks->page(req, &v[1], &v[2], &n) != KS_OK) {
		json_decref(wrap);
		return KS_ERROR;
	}
	v[0] = filter;
	if ((r = sh_q(req, q, 3, v)) == NULL) {
		json_decref(wrap);
		return KS_ERROR;
	}
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, entry_json(r, i));
	if (wrap == NULL)
		wrap = json_object();
	json_object_set_new(wrap, "items", items);
	json_object_set_new(wrap, "next", next_cursor(r, n));
	return ks->reply(req, 200, wrap);
}

static int
bank_entries(struct ks_request *req)
{
	const char *o = ks->query(req, "outcome");
	static const char *const outcomes[] = { "booked", "returned",
	    "repayment", "pending", "unmatched", NULL };
	int i;

	if (o != NULL) {
		for (i = 0; outcomes[i] != NULL; i++)
			if (strcmp(outcomes[i], o) == 0)
				break;
		if (outcomes[i] == NULL)
			return ks->fail(req, 400, "invalid_parameter",
			    "outcome is booked, returned, repayment, pending "
			    "or unmatched");
	}
	return entries_page(req, Q_PAY_BANK_LIST, o, NULL);
}

/* ---------------------------------------------------------- bank files */

static json_t *
file_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:i,"
	    "s:{s:I,s:o},s:s}", "id", ll(r, i, 0), "sha256",
	    PQgetvalue(r, i, 1), "account", str_or_null(r, i, 2), "entries",
	    (int)ll(r, i, 3), "booked", (int)ll(r, i, 4), "returned",
	    (int)ll(r, i, 5), "repayments", (int)ll(r, i, 6), "pending",
	    (int)ll(r, i, 7), "duplicates", (int)ll(r, i, 8), "unmatched",
	    (int)ll(r, i, 9), "uploaded_by", "id", ll(r, i, 10),
	    "display_name", str_or_null(r, i, 11), "uploaded_at",
	    PQgetvalue(r, i, 12));
}

/* File id (or "0" for all), after, limit. */
static PGresult *
files_q(struct ks_request *req, const char *id, const char *after,
    const char *limit)
{
	const char *v[3] = { id, after, limit };

	return sh_q(req, Q_PAY_BANK_FILES, 3, v);
}

static int
bank_files(struct ks_request *req)
{
	const char *after, *limit;
	long long n;
	PGresult *r;

	if (ks->page(req, &after, &limit, &n) != KS_OK ||
	    (r = files_q(req, "0", after, limit)) == NULL)
		return KS_ERROR;
	return page_reply(req, r, n, file_json);
}

/* A file with its transactions (a page at a time). */
static int
bank_file_show(struct ks_request *req)
{
	const char *after, *limit;
	long long n;
	PGresult *r;
	int64_t id;

	/* A bad ?limit or ?after is refused before the file is looked up. */
	if (ks->page(req, &after, &limit, &n) != KS_OK ||
	    ks->param_id(req, "id", &id) != KS_OK ||
	    (r = files_q(req, ks->num(req, id), "0", "1")) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(req, 404, "not_found", "no such bank file");
	return entries_page(req, Q_PAY_BANK_FILE_ENTRIES, ks->num(req, id),
	    file_json(r, 0));
}

/* ------------------------------------------------------ reconciliation */

struct tally {
	int	 entries, matched, booked, returned, repayments, pending,
		 duplicates, unmatched;
	json_t	*unmatched_list, *matched_list;
};

/* A reference as printed on slips: spaces dropped, letters upper. */
static const char *
ref_norm(struct ks_request *req, const char *s)
{
	char *o = ks->alloc(req, strlen(s) + 1), *p = o;

	for (; *s; s++)
		if (*s != ' ')
			*p++ = (*s >= 'a' && *s <= 'z') ? *s - 32 : *s;
	return o;
}

/*
 * Book a return of line (money back from the bank): the line is returned
 * and the client account gets the correction. A line returned already
 * is left as it is. NULL on a database error.
 */
static const char *
book_return(struct ks_request *req, const char *line, const char *status,
    const char *reason, const char *date)
{
	const char *v[3] = { line, reason, date };

	if (strcmp(status, "returned") != 0 &&
	    sh_q(req, Q_PAY_LINE_RETURNED, 3, v) == NULL)
		return NULL;
	return "returned";
}

/* Book a repayment on claim from bank entry bank_id; NULL on error. */
static const char *
book_repayment(struct ks_request *req, const char *claim, int64_t amount,
    const char *date, const char *bank_id)
{
	const char *v[6];

	v[0] = claim;
	v[1] = ks->num(req, amount);
	v[2] = date != NULL ? date : ks->today(req);
	v[3] = "bank";
	v[4] = bank_id;
	v[5] = ks->num(req, ks->user_id(req));
	return sh_q(req, Q_PAY_REPAYMENT_BOOK, 6, v) == NULL ? NULL :
	    "repayment";
}

/* Match one transaction against payment lines; outcome or NULL. */
static const char *
match_line(struct ks_request *req, const struct ks_iso_camt_entry *e,
    const char **reason, const char **line, struct tally *t)
{
	const char *v[2], *out;
	PGresult *l;

	v[0] = e->end_to_end_id;
	if ((l = sh_q(req, Q_PAY_LINE_BY_E2E, 1, v)) == NULL)
		return "";
	if (PQntuples(l) != 1)
		return NULL;
	*line = PQgetvalue(l, 0, 0);
	if (strcmp(PQgetvalue(l, 0, 4), "t") != 0) {
		*reason = "run_not_exported";
		return "unmatched";
	}
	if (*e->return_reason != '\0' || e->reversal) {
		if ((out = book_return(req, *line, PQgetvalue(l, 0, 1),
		    *e->return_reason ? e->return_reason : "RVSL",
		    nz(e->booking_date))) == NULL)
			return "";
		t->matched++;
		t->returned++;
		return out;
	}
	if (e->cdi != KS_ISO_DBIT) {
		*reason = "unexpected_credit";
		return "unmatched";
	}
	if (e->amount != (int64_t)ll(l, 0, 2) ||
	    strcmp(e->currency, "CHF") != 0) {
		*reason = "amount_differs";
		return "unmatched";
	}
	if (e->status != KS_ISO_STS_BOOK) {
		t->pending++;
		return "pending";
	}
	v[0] = *line;
	v[1] = nz(e->booking_date);
	if (sh_q(req, Q_PAY_LINE_BOOKED, 2, v) == NULL)
		return "";
	t->matched++;
	t->booked++;
	return "booked";
}

/* Match a credit against a claim's creditor reference; outcome or NULL. */
static const char *
match_claim(struct ks_request *req, const struct ks_iso_camt_entry *e,
    const char *bank_id, const char **reason, const char **claim,
    struct tally *t)
{
	const char *v[1], *out;
	PGresult *c;

	if (e->cdi != KS_ISO_CRDT || *e->creditor_ref == '\0' ||
	    e->status != KS_ISO_STS_BOOK || e->reversal)
		return NULL;
	v[0] = ref_norm(req, e->creditor_ref);
	if ((c = sh_q(req, Q_PAY_CLAIM_BY_REF, 1, v)) == NULL)
		return "";
	if (PQntuples(c) != 1)
		return NULL;
	*claim = PQgetvalue(c, 0, 0);
	if (strcmp(e->currency, "CHF") != 0 || e->amount <= 0 ||
	    e->amount > (int64_t)(ll(c, 0, 2) - ll(c, 0, 6))) {
		*reason = "exceeds_claim";
		return "unmatched";
	}
	if ((out = book_repayment(req, *claim, e->amount, nz(e->booking_date),
	    bank_id)) == NULL)
		return "";
	t->matched++;
	t->repayments++;
	return out;
}

/* The transaction as listed in the reconciliation's answer. */
static json_t *
listed(const char *id, size_t pos, const char *cdi,
    const struct ks_iso_camt_entry *e, const char *outcome,
    const char *reason, const char *line, const char *claim)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:I,s:s,s:s,s:o,s:o,s:o,s:s,s:o,"
	    "s:o,s:o}", "id", (json_int_t)strtoll(id, NULL, 10), "position",
	    (json_int_t)pos + 1, "cdi", cdi,
	    "status", e->status_code, "amount", (json_int_t)e->amount,
	    "currency", e->currency, "booking_date", e->booking_date,
	    "end_to_end_id", nz(e->end_to_end_id) ?
	    json_string(e->end_to_end_id) : json_null(), "reference",
	    nz(e->creditor_ref) ? json_string(e->creditor_ref) : json_null(),
	    "return_reason", nz(e->return_reason) ?
	    json_string(e->return_reason) : json_null(), "outcome", outcome,
	    "reason", reason ? json_string(reason) : json_null(), "line_id",
	    line ? json_integer(strtoll(line, NULL, 10)) : json_null(),
	    "claim_id", claim ? json_integer(strtoll(claim, NULL, 10)) :
	    json_null());
}

static int
reconcile_one(struct ks_request *req, const struct ks_iso_camt_entry *e,
    size_t pos, const char *file_id, const char *file_sha, struct tally *t)
{
	const char *v[13], *out = NULL, *reason = NULL, *line = NULL;
	const char *claim = NULL, *cdi = e->cdi == KS_ISO_CRDT ? "CRDT" :
	    "DBIT", *id;
	char key[65], *src;
	json_t *kj, *list;
	PGresult *r;

	kj = json_pack("[s,s,s,s,s,s,I,s,s,s,s,s,b]", e->account,
	    e->entry_ref, e->acct_svcr_ref, e->end_to_end_id, e->instr_id,
	    e->creditor_ref, (json_int_t)e->amount, e->currency, cdi,
	    e->status_code, e->booking_date, e->return_reason, e->reversal);
	if (kj == NULL || (src = json_dumps(kj, JSON_COMPACT)) == NULL)
		abort();
	json_decref(kj);
	ks->sha256_hex(src, strlen(src), key);
	free(src);
	t->entries++;
	v[0] = key;
	v[1] = file_sha;
	v[2] = cdi;
	v[3] = ks->num(req, e->amount);
	v[4] = e->currency;
	v[5] = e->status_code;
	v[6] = nz(e->booking_date);
	v[7] = nz(e->end_to_end_id);
	v[8] = nz(e->creditor_ref);
	v[9] = nz(e->return_reason);
	v[10] = ks->num(req, ks->user_id(req));
	v[11] = file_id;
	v[12] = nz(e->account);
	if ((r = sh_q(req, Q_PAY_BANK_INSERT, 13, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		t->duplicates++;	/* this transaction was processed */
		return KS_OK;
	}
	id = PQgetvalue(r, 0, 0);
	if (*e->end_to_end_id != '\0')
		out = match_line(req, e, &reason, &line, t);
	if (out == NULL)
		out = match_claim(req, e, id, &reason, &claim, t);
	if (out != NULL && *out == '\0')
		return KS_ERROR;
	if (out == NULL) {
		out = "unmatched";
		reason = "no_match";
	}
	if (strcmp(out, "unmatched") == 0)
		t->unmatched++;
	list = strcmp(out, "unmatched") == 0 ? t->unmatched_list :
	    t->matched_list;
	if (json_array_size(list) < LISTED_MAX)
		json_array_append_new(list, listed(id, pos, cdi, e, out, reason,
		    line, claim));
	v[0] = id;
	v[1] = out;
	v[2] = reason;
	v[3] = line;
	v[4] = claim;
	return sh_q(req, Q_PAY_BANK_OUTCOME, 5, v) == NULL ? KS_ERROR :
	    KS_OK;
}

static int
xml_type(struct ks_request *req)
{
	const char *ct = ks->req_header(req, "Content-Type");

	return ct != NULL && (strncasecmp(ct, "application/xml", 15) == 0 ||
	    strncasecmp(ct, "text/xml", 8) == 0);
}

/* An account as written in a file: its IBAN normalised, else as is. */
static const char *
account_norm(struct ks_request *req, const char *a)
{
	char norm[KS_IBAN_BUFLEN];

	if (ks->iban_valid(a, norm, sizeof(norm)) == 1)
		return ks->strdup(req, norm);
	return a;
}

/*
 * The file must be for the service's own account (the pain.001 debtor):
 * every notification in it names that account, else 409 foreign_account
 * and nothing is booked. *account is the file's account.
 */
static int
own_account(struct ks_request *req, struct ks_iso_camt_entry *es, size_t n,
    const char **account)
{
	const char *own, *a;
	PGresult *r;
	size_t i;

	if ((r = sh_q(req, Q_PAY_ACCOUNT_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "payment_account_missing",
		    "the social service has no payment account yet; its "
		    "administrator sets one");
	own = PQgetvalue(r, 0, 1);
	*account = own;
	for (i = 0; i < n; i++) {
		a = account_norm(req, es[i].account);
		if (strcmp(a, own) != 0)
			return ks->fail_detail(req, 409, "foreign_account",
			    "the notification is for another account than "
			    "the social service's; nothing was booked",
			    json_pack("{s:s,s:s,s:I}", "account", a,
			    "expected", own, "position", (json_int_t)i + 1));
	}
	return KS_OK;
}

/* The file's row: new (*fresh 1) or the one with the same content. */
static PGresult *
file_row(struct ks_request *req, const char *sha, const char *account,
    int *fresh)
{
	const char *v[3] = { sha, account, ks->num(req, ks->user_id(req)) };
	PGresult *r;

	if ((r = sh_q(req, Q_PAY_BANK_FILE_INSERT, 3, v)) == NULL)
		return NULL;
	*fresh = PQntuples(r) == 1;
	if (*fresh)
		return r;
	return sh_q(req, Q_PAY_BANK_FILE_BY_SHA, 1, v);
}

/* The file's counts from its transactions (and the duplicates). */
static PGresult *
file_count(struct ks_request *req, const char *id, int duplicates)
{
	const char *v[2] = { id, ks->num(req, duplicates) };
	PGresult *r;

	if (sh_q(req, Q_PAY_BANK_FILE_COUNT, 2, v) == NULL ||
	    (r = files_q(req, id, "0", "1")) == NULL)
		return NULL;
	return r;
}

/*
 * Read a notification: 400 invalid_camt when it is not camt.054.001.08,
 * 409 (foreign_account, payment_account_missing) when it is not for the
 * service's account. *es (camt054_free) and *account on success.
 */
static int
camt_read(struct ks_request *req, const char *body, size_t len,
    struct ks_iso_camt_entry **es, size_t *n, const char **account)
{
	char err[256];

	*es = NULL;
	*n = 0;
	if (ks->camt054_parse(body, len, es, n, err, sizeof(err)) != 0)
		return ks->fail_detail(req, 400, "invalid_camt",
		    "the file is not a camt.054.001.08 notification",
		    json_pack("{s:s}", "problem", err));
	if (own_account(req, *es, *n, account) != KS_OK) {
		ks->camt054_free(*es, *n);
		*es = NULL;
		return KS_ERROR;
	}
	return KS_OK;
}

/*
 * Book a notification: every transaction once (by its identity), the
 * file once (by its content). *out: what became of it (the result of
 * the import job).
 */
static int
book_file(struct ks_request *req, const char *body, size_t len,
    json_t **out)
{
	struct ks_iso_camt_entry *es;
	struct tally t;
	const char *account = NULL, *fid;
	char sha[65];
	size_t n = 0, i;
	PGresult *f;
	json_t *fj;
	int rc = KS_OK, fresh = 0;

	if (camt_read(req, body, len, &es, &n, &account) != KS_OK)
		return KS_ERROR;
	ks->sha256_hex(body, len, sha);
	if ((f = file_row(req, sha, account, &fresh)) == NULL) {
		ks->camt054_free(es, n);
		return KS_ERROR;
	}
	fid = PQgetvalue(f, 0, 0);
	memset(&t, 0, sizeof(t));
	t.unmatched_list = json_array();
	t.matched_list = json_array();
	for (i = 0; i < n && rc == KS_OK; i++)
		rc = reconcile_one(req, &es[i], i, fid, sha, &t);
	ks->camt054_free(es, n);
	if (rc != KS_OK || (f = fresh ? file_count(req, fid, t.duplicates) :
	    files_q(req, fid, "0", "1")) == NULL ||
	    ks->audit(req, "bank_file_reconciled", "sh_bank_file", fid, NULL,
	    NULL, json_pack("{s:s,s:b,s:i,s:i,s:i,s:i,s:i,s:i}", "sha256",
	    sha, "new", fresh, "entries", t.entries, "booked", t.booked,
	    "returned", t.returned, "repayments", t.repayments, "duplicates",
	    t.duplicates, "unmatched", t.unmatched)) != KS_OK) {
		json_decref(t.unmatched_list);
		json_decref(t.matched_list);
		return KS_ERROR;
	}
	fj = file_json(f, 0);
	json_object_set_new(fj, "already_imported", json_boolean(!fresh));
	*out = json_pack("{s:s,s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:o,s:o}",
	    "file_sha256", sha, "file", fj, "entries", t.entries, "matched",
	    t.matched, "booked", t.booked, "returned", t.returned,
	    "repayments", t.repayments, "pending", t.pending, "duplicates",
	    t.duplicates, "unmatched_count", t.unmatched, "unmatched",
	    t.unmatched_list, "matched_entries", t.matched_list);
	return KS_OK;
}

/* s (len bytes) is UTF-8 without NUL bytes: 1 or 0. */
static int
utf8_text(const unsigned char *s, size_t len)
{
	size_t i = 0, k, n;
	unsigned int c;

	while (i < len) {
		c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		if (len - i <= n)
			return 0;	/* cut off */
		/* No overlong forms, surrogates or code points past U+10FFFF. */
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		for (k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Upload a notification: checked here (the message, the account), then
 * stored and booked by the job sozialhilfe.bank_import (202, the job).
 */
static int
reconcile(struct ks_request *req)
{
	struct ks_iso_camt_entry *es;
	const char *account, *v[2], *body;
	size_t n, len;
	PGresult *r;
	json_t *p;
	int64_t job;
	int rc;

	if ((body = ks->body_raw(req, &len)) == NULL)
		return ks->fail(req, 400, "missing_body",
		    "send the camt.054 notification as the body");
	if (!xml_type(req))
		return ks->fail(req, 415, "unsupported_media_type",
		    "send the notification as application/xml");
	/* ISO 20022 files are UTF-8 (and the stored copy is text). */
	if (!utf8_text((const unsigned char *)body, len))
		return ks->fail_detail(req, 400, "invalid_camt",
		    "the file is not a camt.054.001.08 notification",
		    json_pack("{s:s}", "problem", "the file is not UTF-8 "
		    "text"));
	if (camt_read(req, body, len, &es, &n,
	    &account) != KS_OK)
		return KS_ERROR;
	ks->camt054_free(es, n);
	v[0] = body;
	v[1] = ks->num(req, ks->user_id(req));
	if ((r = sh_q(req, Q_PAY_BANK_UPLOAD_INSERT, 2, v)) == NULL)
		return KS_ERROR;
	p = json_pack("{s:I,s:I}", "upload", ll(r, 0, 0), "entries",
	    (json_int_t)n);
	rc = ks->job_enqueue(req, "sozialhilfe.bank_import", p, NULL, &job);
	json_decref(p);
	if (rc != KS_OK)
		return KS_ERROR;
	return ks->job_accepted(req, job);
}

/*
 * The job sozialhilfe.bank_import: book the stored notification and
 * delete it, all in one transaction (a file is booked whole or not at
 * all, and again from the start after a crash), so the job counts no
 * items. A notification that no longer passes (the service's account
 * changed meanwhile) fails the job with the request's error.
 */
int
sh_bank_import_job(struct ks_request *job, json_t *payload)
{
	json_t *id = json_object_get(payload, "upload"), *out = NULL;
	const char *v[1];
	PGresult *r;

	if (!json_is_integer(id))
		return ks->fail(job, 400, "invalid_body",
		    "the job names no upload");
	v[0] = ks->num(job, json_integer_value(id));
	if (ks->job_progress(job, 0, -1) != KS_OK ||
	    (r = sh_q(job, Q_PAY_BANK_UPLOAD_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(job, 404, "not_found",
		    "the uploaded notification is gone");
	if (book_file(job, PQgetvalue(r, 0, 0),
	    (size_t)PQgetlength(r, 0, 0), &out) != KS_OK)
		return KS_ERROR;
	if (sh_q(job, Q_PAY_BANK_UPLOAD_DELETE, 1, v) == NULL) {
		json_decref(out);
		return KS_ERROR;
	}
	ks->job_result(job, out);
	return KS_OK;
}

/* ------------------------------------------------- matching by hand */

/* Columns of pay_bank_entry_lock. */
enum { K_ID, K_CDI, K_AMOUNT, K_CCY, K_STATUS, K_BOOKED, K_RETURN,
	K_OUTCOME, K_VERSION, K_FILE };

/* One entry as the view shows it (for answers and the audit log). */
static json_t *
entry_now(struct ks_request *req, const char *id)
{
	const char *v[1] = { id };
	PGresult *r;

	if ((r = sh_q(req, Q_PAY_BANK_ENTRY_GET, 1, v)) == NULL ||
	    PQntuples(r) != 1)
		return NULL;
	return entry_json(r, 0);
}

/*
 * The entry to a payment line: a debit books the line (same amount, the
 * run exported, the line still open); a credit is the bank returning the
 * payment. Outcome or NULL with the error set.
 */
static const char *
hand_line(struct ks_request *req, PGresult *e, const char *line_id)
{
	const char *v[2];
	PGresult *l;

	v[0] = line_id;
	if ((l = sh_q(req, Q_PAY_LINE_LOCK, 1, v)) == NULL)
		return NULL;
	if (PQntuples(l) != 1) {
		ks->fail(req, 404, "not_found", "no such payment line");
		return NULL;
	}
	if (sh_access(req, l, "dossier_id") != 0)
		return NULL;
	if (strcmp(PQgetvalue(l, 0, 4), "t") != 0) {
		ks->fail(req, 409, "run_not_exported", "the payment run of "
		    "this line is not exported yet");
		return NULL;
	}
	if (ll(e, 0, K_AMOUNT) != ll(l, 0, 2) ||
	    strcmp(PQgetvalue(e, 0, K_CCY), "CHF") != 0) {
		ks->fail_detail(req, 409, "amount_differs", "the amounts of "
		    "the bank transaction and the payment differ",
		    json_pack("{s:I,s:I}", "entry", ll(e, 0, K_AMOUNT), "line",
		    ll(l, 0, 2)));
		return NULL;
	}
	if (strcmp(PQgetvalue(e, 0, K_CDI), "CRDT") == 0) {
		if (strcmp(PQgetvalue(l, 0, 1), "returned") == 0) {
			ks->fail(req, 409, "line_not_open", "this payment is "
			    "already booked as returned");
			return NULL;
		}
		return book_return(req, line_id, PQgetvalue(l, 0, 1),
		    PQgetisnull(e, 0, K_RETURN) ? "MANU" :
		    PQgetvalue(e, 0, K_RETURN), str(e, 0, K_BOOKED));
	}
	if (strcmp(PQgetvalue(l, 0, 1), "open") != 0) {
		ks->fail(req, 409, "line_not_open", "this payment is already "
		    "booked or returned");
		return NULL;
	}
	v[1] = str(e, 0, K_BOOKED);
	if (sh_q(req, Q_PAY_LINE_BOOKED, 2, v) == NULL)
		return NULL;
	return "booked";
}

/* The entry (a credit) to a claim: a repayment of at most what is owed. */
static const char *
hand_claim(struct ks_request *req, PGresult *e, const char *claim_id)
{
	const char *v[1] = { claim_id };
	PGresult *c;

	if (strcmp(PQgetvalue(e, 0, K_CDI), "CRDT") != 0) {
		ks->fail(req, 409, "wrong_direction", "a debit is a payment "
		    "of the service, not a repayment of a claim");
		return NULL;
	}
	if ((c = sh_q(req, Q_PAY_CLAIM_LOCK, 1, v)) == NULL)
		return NULL;
	if (PQntuples(c) != 1) {
		ks->fail(req, 404, "not_found", "no such claim");
		return NULL;
	}
	if (sh_access(req, c, "dossier_id") != 0)
		return NULL;
	if (strcmp(PQgetvalue(e, 0, K_CCY), "CHF") != 0 ||
	    ll(e, 0, K_AMOUNT) > ll(c, 0, 2) - ll(c, 0, 6)) {
		ks->fail_detail(req, 409, "exceeds_claim", "the repayment is "
		    "larger than what is still owed", json_pack("{s:I}",
		    "open", ll(c, 0, 2) - ll(c, 0, 6)));
		return NULL;
	}
	return book_repayment(req, claim_id, ll(e, 0, K_AMOUNT),
	    str(e, 0, K_BOOKED), PQgetvalue(e, 0, K_ID));
}

/*
 * Match an unmatched transaction by hand to a payment line or a claim
 * (If-Match: the entry's version). Booked as the automatic matching
 * would have, recorded with who did it, audited.
 */
static int
entry_match(struct ks_request *req)
{
	json_t *b = ks->body(req), *li = json_object_get(b, "line_id");
	json_t *ci = json_object_get(b, "claim_id"), *cur, *after;
	const char *v[5], *out;
	PGresult *e;
	int64_t id;

	if (ks->param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	if (li == NULL && ci == NULL)
		return bad_field(req, "missing_field", "name the payment line "
		    "or the claim the transaction belongs to", "line_id");
	if (li != NULL && ci != NULL)
		return bad_field(req, "invalid_value", "name either a payment "
		    "line or a claim, not both", "claim_id");
	v[0] = ks->num(req, id);
	if ((e = sh_q(req, Q_PAY_BANK_ENTRY_LOCK, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(e) != 1)
		return ks->fail(req, 404, "not_found",
		    "no such bank transaction");
	if ((cur = entry_now(req, v[0])) == NULL)
		return KS_ERROR;
	if (strcmp(PQgetvalue(e, 0, K_OUTCOME), "unmatched") != 0)
		return ks->fail_detail(req, 409, "invalid_state", "this "
		    "transaction is matched already", json_pack("{s:o}",
		    "current", cur));
	if (ks->check_etag(req, ll(e, 0, K_VERSION), cur) != KS_OK)
		return KS_ERROR;
	if (strcmp(PQgetvalue(e, 0, K_STATUS), "BOOK") != 0)
		return ks->fail(req, 409, "entry_not_booked", "the bank has "
		    "not booked this transaction yet");
	v[3] = li ? ks->num(req, json_integer_value(li)) : NULL;
	v[4] = ci ? ks->num(req, json_integer_value(ci)) : NULL;
	if ((out = li ? hand_line(req, e, v[3]) : hand_claim(req, e,
	    v[4])) == NULL)
		return KS_ERROR;
	v[1] = out;
	v[2] = ks->num(req, ks->user_id(req));
	if (sh_q(req, Q_PAY_BANK_MATCH, 5, v) == NULL ||
	    file_count(req, PQgetvalue(e, 0, K_FILE), -1) == NULL ||
	    (after = entry_now(req, v[0])) == NULL)
		return KS_ERROR;
	if (ks->audit(req, "bank_entry_matched", "sh_bank_entry", v[0], NULL,
	    json_incref(after), json_pack("{s:s,s:O,s:O}", "outcome", out,
	    "line_id", li ? li : json_null(), "claim_id", ci ? ci :
	    json_null())) != KS_OK) {
		json_decref(after);
		return KS_ERROR;
	}
	ks->set_etag(req, json_integer_value(json_object_get(after,
	    "version")));
	return ks->reply(req, 200, after);
}

/* A row of pay_bank_candidates: a payment line or a claim. */
static json_t *
candidate_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
	    ll(r, i, 0), "type", PQgetvalue(r, i, 1), "dossier_id",
	    ll(r, i, 2), "amount", ll(r, i, 3), "name", str_or_null(r, i, 4),
	    "end_to_end_id", str_or_null(r, i, 5), "run_month",
	    str_or_null(r, i, 6), "for_month", str_or_null(r, i, 7),
	    "reference", str_or_null(r, i, 8), "status",
	    str_or_null(r, i, 9));
}

/*
 * What an unmatched transaction could belong to: payment lines of
 * exported runs with its amount (open ones for a debit, paid ones for a
 * credit that is a return) and, for a credit, open claims that still owe
 * at least its amount. Newest first.
 */
static int
entry_candidates(struct ks_request *req)
{
	const char *v[3], *after, *limit;
	long long n;
	PGresult *e, *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != KS_OK ||
	    ks->page(req, &after, &limit, &n) != KS_OK)
		return KS_ERROR;
	v[0] = ks->num(req, id);
	if ((e = sh_q(req, Q_PAY_BANK_ENTRY_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(e) != 1)
		return ks->fail(req, 404, "not_found",
		    "no such bank transaction");
	v[1] = after;
	v[2] = limit;
	if ((r = sh_q(req, Q_PAY_BANK_CANDIDATES, 3, v)) == NULL)
		return KS_ERROR;
	return page_reply(req, r, n, candidate_json);
}

/* -------------------------------------------------------------- tables */

static const struct ks_field match_body[] = {
	{ "line_id", KS_F_INT, 0, 1, 9007199254740991LL, "a payment line" },
	{ "claim_id", KS_F_INT, 0, 1, 9007199254740991LL, "a claim" },
	END_FIELDS
};

#define KB	(16 * 1024)

const struct ks_route sh_bank_routes[] = {
	{ "POST", "/api/v1/payment-runs/reconcile", "payment.run", CAMT_LIMIT,
	    NULL, KS_R_JOB | KS_R_BODY_RAW, reconcile, "book a camt.054.001.08 "
	    "notification for the service's account (XML body; a job books "
	    "it)" },
	{ "GET", "/api/v1/bank-files", "payment.run", 0, NULL, KS_R_PAGED,
	    bank_files, "imported bank files, newest first: when, by whom, "
	    "what became of their transactions", NULL, NULL },
	{ "GET", "/api/v1/bank-files/{id}", "payment.run", 0, NULL,
	    KS_R_PAGED, bank_file_show, "a bank file with its transactions "
	    "(cursor)", NULL, NULL },
	{ "GET", "/api/v1/bank-entries", "payment.run", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, bank_entries, "transactions of uploaded "
	    "notifications (?outcome=unmatched)", NULL, NULL },
	{ "GET", "/api/v1/bank-entries/{id}/candidates", "payment.run", 0,
	    NULL, KS_R_PAGED | KS_R_AUDIT, entry_candidates, "payment lines "
	    "and claims an unmatched transaction could belong to", NULL,
	    NULL },
	{ "POST", "/api/v1/bank-entries/{id}/match", "payment.run", KB,
	    match_body, KS_R_ETAG, entry_match, "match an unmatched "
	    "transaction to a payment line or a claim (If-Match)", NULL,
	    NULL },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL }
};
