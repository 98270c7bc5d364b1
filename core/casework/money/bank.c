/*
 * bank.c - bank notifications (camt.054.001.08) of the casework layer:
 * reconciliation of an uploaded file against the payment lines of any
 * module (end-to-end id) and the recovery claims (creditor reference),
 * then the modules' own references (struct ks_money credit, 2.5: a
 * credit no claim takes is offered to them), the list of imported
 * files, and matching an unmatched transaction by hand.
 *
 * A file is for the social service's own account: a notification for
 * any other account is refused before anything is booked (it is the
 * wrong file; booking it would mark payments and repayments that did not
 * happen on this account). Every transaction is stored once (by its
 * identity), every file once (by its content): uploading a file again
 * books nothing twice. The upload is checked in the request and booked
 * by a background job (core.bank_import; 202 with the job, whose
 * result says what became of the file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kasus.h"
#include "kasus/iso20022.h"
#include "kasus/module.h"
#include "queries.h"
#include "money.h"

#define CAMT_LIMIT	(20u * 1024 * 1024)
#define LISTED_MAX	500		/* entries listed in one answer */

/* ---------------------------------------------------- entries as JSON */

#define I(c)	((json_int_t)ks_db_getll(r, i, c))
#define S(c)	ks_db_json_str(r, i, c)

/* A row of bank_entry_v (the migration's view). */
static json_t *
entry_json(PGresult *r, int i)
{
	json_t *match = json_null(), *by = json_null();

	if (!ks_db_isnull(r, i, "dossier_id"))
		match = json_pack("{s:I,s:o,s:o,s:o,s:o}", "dossier_id",
		    I("dossier_id"), "name", S("name"), "run_month",
		    S("run_month"), "for_month", S("for_month"),
		    "claim_reference", S("claim_reference"));
	if (!ks_db_isnull(r, i, "matched_by"))
		by = json_pack("{s:I,s:o}", "id", I("matched_by"),
		    "display_name", S("matched_by_name"));
	return json_pack("{s:I,s:I,s:s,s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:o,"
	    "s:o,s:o,s:s,s:I,s:o,s:o,s:o,s:o}", "id", I("id"), "file_id",
	    I("file_id"), "cdi", ks_db_str(r, i, "cdi"), "amount",
	    I("amount"), "currency", ks_db_str(r, i, "currency"), "status",
	    ks_db_str(r, i, "status_code"), "booking_date", S("booking_date"),
	    "end_to_end_id", S("end_to_end_id"), "reference", S("reference"),
	    "return_reason", S("return_reason"), "outcome",
	    ks_db_str(r, i, "outcome"), "reason", S("reason"), "line_id",
	    ks_db_json_int(r, i, "line_id"), "claim_id",
	    ks_db_json_int(r, i, "claim_id"), "uploaded_at",
	    ks_db_str(r, i, "uploaded_at"), "version", I("version"),
	    "matched_by", by, "matched_at", S("matched_at"), "match", match,
	    "module", S("module"));
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

	if (ks_page(req, &v[1], &v[2], &n) != KS_OK) {
		json_decref(wrap);
		return KS_ERROR;
	}
	v[0] = filter;
	if ((r = ks_db_q(req, q, 3, v)) == NULL) {
		json_decref(wrap);
		return KS_ERROR;
	}
	items = ks_db_rows(r, entry_json);
	if (wrap == NULL)
		wrap = json_object();
	json_object_set_new(wrap, "items", items);
	json_object_set_new(wrap, "next", ks_db_cursor(r, n, "id"));
	return ks_reply(req, 200, wrap);
}

static int
bank_entries(struct ks_request *req)
{
	const char *o = ks_query(req, "outcome");
	static const char *const outcomes[] = { "booked", "returned",
	    "repayment", "received", "pending", "unmatched", NULL };
	int i;

	if (o != NULL) {
		for (i = 0; outcomes[i] != NULL; i++)
			if (strcmp(outcomes[i], o) == 0)
				break;
		if (outcomes[i] == NULL)
			return ks_fail(req, 400, "invalid_parameter",
			    "outcome is booked, returned, repayment, received, "
			    "pending or unmatched");
	}
	return entries_page(req, Q_BANK_ENTRY_LIST, o, NULL);
}

/* ---------------------------------------------------------- bank files */

static json_t *
file_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,"
	    "s:{s:I,s:o},s:s}", "id", I("id"), "sha256",
	    ks_db_str(r, i, "sha256"), "account", S("account"), "entries",
	    (int)I("entries"), "booked", (int)I("booked"), "returned",
	    (int)I("returned"), "repayments", (int)I("repayments"),
	    "received", (int)I("received"), "pending",
	    (int)I("pending"), "duplicates", (int)I("duplicates"),
	    "unmatched", (int)I("unmatched"), "uploaded_by", "id",
	    I("uploaded_by"), "display_name", S("display_name"),
	    "uploaded_at", ks_db_str(r, i, "uploaded_at"));
}

/* File id (or "0" for all), after, limit. */
static PGresult *
files_q(struct ks_request *req, const char *id, const char *after,
    const char *limit)
{
	const char *v[3] = { id, after, limit };

	return ks_db_q(req, Q_BANK_FILES, 3, v);
}

static int
bank_files(struct ks_request *req)
{
	const char *after, *limit;
	long long n;
	PGresult *r;

	if (ks_page(req, &after, &limit, &n) != KS_OK ||
	    (r = files_q(req, "0", after, limit)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", file_json));
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
	if (ks_page(req, &after, &limit, &n) != KS_OK ||
	    ks_param_id(req, "id", &id) != KS_OK ||
	    (r = files_q(req, ks_num(req, id), "0", "1")) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no such bank file");
	return entries_page(req, Q_BANK_FILE_ENTRIES, ks_num(req, id),
	    file_json(r, 0));
}

/* ------------------------------------------------------ reconciliation */

struct tally {
	int	 entries, matched, booked, returned, repayments, received,
		 pending, duplicates, unmatched;
	json_t	*unmatched_list, *matched_list;
};

/* A reference as printed on slips: spaces dropped, letters upper. */
static const char *
ref_norm(struct ks_request *req, const char *s)
{
	char *o = ks_arena_alloc(req->arena, strlen(s) + 1), *p = o;

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
	    ks_db_q(req, Q_BANK_LINE_RETURNED, 3, v) == NULL)
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
	v[1] = ks_num(req, amount);
	v[2] = date != NULL ? date : ks_today(req);
	v[3] = "bank";
	v[4] = bank_id;
	v[5] = ks_num(req, req->who.user_id);
	return ks_db_q(req, Q_REPAYMENT_BOOK, 6, v) == NULL ? NULL :
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
	if ((l = ks_db_q(req, Q_BANK_LINE_BY_E2E, 1, v)) == NULL)
		return "";
	if (PQntuples(l) != 1)
		return NULL;
	*line = ks_db_str(l, 0, "id");
	if (strcmp(ks_db_str(l, 0, "exported"), "t") != 0) {
		*reason = "run_not_exported";
		return "unmatched";
	}
	if (*e->return_reason != '\0' || e->reversal) {
		if ((out = book_return(req, *line, ks_db_str(l, 0, "status"),
		    *e->return_reason ? e->return_reason : "RVSL",
		    ks_money_nz(e->booking_date))) == NULL)
			return "";
		t->matched++;
		t->returned++;
		return out;
	}
	if (e->cdi != KS_ISO_DBIT) {
		*reason = "unexpected_credit";
		return "unmatched";
	}
	if (e->amount != (int64_t)ks_db_getll(l, 0, "amount") ||
	    strcmp(e->currency, "CHF") != 0) {
		*reason = "amount_differs";
		return "unmatched";
	}
	if (e->status != KS_ISO_STS_BOOK) {
		t->pending++;
		return "pending";
	}
	v[0] = *line;
	v[1] = ks_money_nz(e->booking_date);
	if (ks_db_q(req, Q_BANK_LINE_BOOKED, 2, v) == NULL)
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
	if ((c = ks_db_q(req, Q_CLAIM_BY_REF, 1, v)) == NULL)
		return "";
	if (PQntuples(c) != 1)
		return NULL;
	*claim = ks_db_str(c, 0, "id");
	if (strcmp(e->currency, "CHF") != 0 || e->amount <= 0 ||
	    e->amount > (int64_t)(ks_db_getll(c, 0, "amount") -
	    ks_db_getll(c, 0, "repaid"))) {
		*reason = "exceeds_claim";
		return "unmatched";
	}
	if ((out = book_repayment(req, *claim, e->amount,
	    ks_money_nz(e->booking_date), bank_id)) == NULL)
		return "";
	t->matched++;
	t->repayments++;
	return out;
}

/*
 * Offer a credit no claim took to the modules (struct ks_money credit):
 * outcome "received" with *module the one that booked it, or NULL. The
 * offer runs under a savepoint: a module that fails on this one credit
 * (its record closed, its rule pack refusing odd data, a constraint)
 * leaves nothing behind, neither rows nor audit events, and the credit
 * stays unmatched with reason module_failed while the rest of the file
 * is booked. Only a lost database fails the file.
 */
static const char *
match_module(struct ks_request *req, const struct ks_iso_camt_entry *e,
    const char *bank_id, const char **reason, const char **module,
    struct tally *t)
{
	struct ks_credit c;
	void *mark;
	PGresult *sp;
	int rc, nafter;

	if (e->cdi != KS_ISO_CRDT || *e->creditor_ref == '\0' ||
	    e->status != KS_ISO_STS_BOOK || e->reversal || e->amount <= 0 ||
	    strcmp(e->currency, "CHF") != 0)
		return NULL;
	memset(&c, 0, sizeof(c));
	c.entry = strtoll(bank_id, NULL, 10);
	c.reference = ref_norm(req, e->creditor_ref);
	c.amount = e->amount;
	c.currency = e->currency;
	c.booking_date = ks_money_nz(e->booking_date);
	c.debtor_name = ks_money_nz(e->debtor_name);
	c.debtor_iban = ks_money_nz(e->debtor_iban);
	/* A file of thousands of credits keeps none of these results. */
	if ((sp = ks_db_q(req, Q_BANK_CREDIT_SAVEPOINT, 0, NULL)) == NULL)
		return "";
	ks_db_free(req, sp);
	mark = ks_audit_mark(req);
	nafter = req->nafter;
	rc = ks_modules_credit(req, &c, module);
	if (rc < 0) {
		if (!req->in_txn || req->err.code == NULL ||
		    strcmp(req->err.code, "database_unavailable") == 0)
			return "";
		ks_log(KS_LOG_WARN, "bank entry %s: module %s refused the "
		    "credit (%s: %s); left unmatched", bank_id,
		    *module != NULL ? *module : "-", req->err.code,
		    req->err.message != NULL ? req->err.message : "");
		json_decref(req->err.detail);
		memset(&req->err, 0, sizeof(req->err));
		if ((sp = ks_db_q(req, Q_BANK_CREDIT_ROLLBACK, 0, NULL)) ==
		    NULL)
			return "";
		ks_db_free(req, sp);
		ks_audit_rewind(req, mark);
		req->nafter = nafter;
		*module = NULL;
		*reason = "module_failed";
		return "unmatched";
	}
	if ((sp = ks_db_q(req, Q_BANK_CREDIT_RELEASE, 0, NULL)) == NULL)
		return "";
	ks_db_free(req, sp);
	if (rc == 0)
		return NULL;
	t->matched++;
	t->received++;
	return "received";
}

/* The transaction as listed in the reconciliation's answer. */
static json_t *
listed(const char *id, size_t pos, const char *cdi,
    const struct ks_iso_camt_entry *e, const char *outcome,
    const char *reason, const char *line, const char *claim,
    const char *module)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:I,s:s,s:s,s:o,s:o,s:o,s:s,s:o,"
	    "s:o,s:o,s:o}", "id", (json_int_t)strtoll(id, NULL, 10), "position",
	    (json_int_t)pos + 1, "cdi", cdi,
	    "status", e->status_code, "amount", (json_int_t)e->amount,
	    "currency", e->currency, "booking_date", e->booking_date,
	    "end_to_end_id", ks_money_nz(e->end_to_end_id) ?
	    json_string(e->end_to_end_id) : json_null(), "reference",
	    ks_money_nz(e->creditor_ref) ? json_string(e->creditor_ref) :
	    json_null(),
	    "return_reason", ks_money_nz(e->return_reason) ?
	    json_string(e->return_reason) : json_null(), "outcome", outcome,
	    "reason", reason ? json_string(reason) : json_null(), "line_id",
	    line ? json_integer(strtoll(line, NULL, 10)) : json_null(),
	    "claim_id", claim ? json_integer(strtoll(claim, NULL, 10)) :
	    json_null(), "module", module ? json_string(module) :
	    json_null());
}

static int
reconcile_one(struct ks_request *req, const struct ks_iso_camt_entry *e,
    size_t pos, const char *file_id, const char *file_sha, struct tally *t)
{
	const char *v[13], *out = NULL, *reason = NULL, *line = NULL;
	const char *claim = NULL, *module = NULL, *cdi = e->cdi == KS_ISO_CRDT ? "CRDT" :
	    "DBIT", *id;
	char key[65], *src;
	json_t *kj, *list;
	PGresult *r, *o;

	kj = json_pack("[s,s,s,s,s,s,I,s,s,s,s,s,b]", e->account,
	    e->entry_ref, e->acct_svcr_ref, e->end_to_end_id, e->instr_id,
	    e->creditor_ref, (json_int_t)e->amount, e->currency, cdi,
	    e->status_code, e->booking_date, e->return_reason, e->reversal);
	if (kj == NULL || (src = json_dumps(kj, JSON_COMPACT)) == NULL)
		abort();
	json_decref(kj);
	ks_sha256_hex(src, strlen(src), key);
	free(src);
	t->entries++;
	v[0] = key;
	v[1] = file_sha;
	v[2] = cdi;
	v[3] = ks_num(req, e->amount);
	v[4] = e->currency;
	v[5] = e->status_code;
	v[6] = ks_money_nz(e->booking_date);
	v[7] = ks_money_nz(e->end_to_end_id);
	v[8] = ks_money_nz(e->creditor_ref);
	v[9] = ks_money_nz(e->return_reason);
	v[10] = ks_num(req, req->who.user_id);
	v[11] = file_id;
	v[12] = ks_money_nz(e->account);
	if ((r = ks_db_q(req, Q_BANK_ENTRY_INSERT, 13, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		t->duplicates++;	/* this transaction was processed */
		ks_db_free(req, r);
		return KS_OK;
	}
	id = ks_db_str(r, 0, "id");
	if (*e->end_to_end_id != '\0')
		out = match_line(req, e, &reason, &line, t);
	if (out == NULL)
		out = match_claim(req, e, id, &reason, &claim, t);
	if (out == NULL)
		out = match_module(req, e, id, &reason, &module, t);
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
		    line, claim, module));
	v[0] = id;
	v[1] = out;
	v[2] = reason;
	v[3] = line;
	v[4] = claim;
	v[5] = module;
	if ((o = ks_db_q(req, Q_BANK_ENTRY_OUTCOME, 6, v)) == NULL)
		return KS_ERROR;
	/* A file of thousands of entries keeps no entry's rows. */
	ks_db_free(req, o);
	ks_db_free(req, r);
	return KS_OK;
}

static int
xml_type(struct ks_request *req)
{
	const char *ct = ks_req_header(req, "Content-Type");

	return ct != NULL && (strncasecmp(ct, "application/xml", 15) == 0 ||
	    strncasecmp(ct, "text/xml", 8) == 0);
}

/* An account as written in a file: its IBAN normalised, else as is. */
static const char *
account_norm(struct ks_request *req, const char *a)
{
	char norm[KS_IBAN_BUFLEN];

	if (ks_iban_valid(a, norm, sizeof(norm)) == 1)
		return ks_arena_strdup(req->arena, norm);
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

	if ((r = ks_db_q(req, Q_MONEY_ACCOUNT_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "payment_account_missing",
		    "the social service has no payment account yet; its "
		    "administrator sets one");
	own = ks_db_str(r, 0, "iban");
	*account = own;
	for (i = 0; i < n; i++) {
		a = account_norm(req, es[i].account);
		if (strcmp(a, own) != 0)
			return ks_fail_detail(req, 409, "foreign_account",
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
	const char *v[3] = { sha, account, ks_num(req, req->who.user_id) };
	PGresult *r;

	if ((r = ks_db_q(req, Q_BANK_FILE_INSERT, 3, v)) == NULL)
		return NULL;
	*fresh = PQntuples(r) == 1;
	if (*fresh)
		return r;
	return ks_db_q(req, Q_BANK_FILE_BY_SHA, 1, v);
}

/* The file's counts from its transactions (and the duplicates). */
static PGresult *
file_count(struct ks_request *req, const char *id, int duplicates)
{
	const char *v[2] = { id, ks_num(req, duplicates) };
	PGresult *r;

	if (ks_db_q(req, Q_BANK_FILE_COUNT, 2, v) == NULL ||
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
	if (ks_iso_camt054_parse(body, len, es, n, err, sizeof(err)) != 0)
		return ks_fail_detail(req, 400, "invalid_camt",
		    "the file is not a camt.054.001.08 notification",
		    json_pack("{s:s}", "problem", err));
	if (own_account(req, *es, *n, account) != KS_OK) {
		ks_iso_camt054_free(*es, *n);
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
	ks_sha256_hex(body, len, sha);
	if ((f = file_row(req, sha, account, &fresh)) == NULL) {
		ks_iso_camt054_free(es, n);
		return KS_ERROR;
	}
	fid = ks_db_str(f, 0, "id");
	memset(&t, 0, sizeof(t));
	t.unmatched_list = json_array();
	t.matched_list = json_array();
	for (i = 0; i < n && rc == KS_OK; i++)
		rc = reconcile_one(req, &es[i], i, fid, sha, &t);
	ks_iso_camt054_free(es, n);
	if (rc != KS_OK || (f = fresh ? file_count(req, fid, t.duplicates) :
	    files_q(req, fid, "0", "1")) == NULL ||
	    ks_audit(req, "bank_file_reconciled", "bank_file", fid, NULL,
	    NULL, json_pack("{s:s,s:b,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "sha256",
	    sha, "new", fresh, "entries", t.entries, "booked", t.booked,
	    "returned", t.returned, "repayments", t.repayments, "received",
	    t.received, "duplicates", t.duplicates, "unmatched",
	    t.unmatched)) != KS_OK) {
		json_decref(t.unmatched_list);
		json_decref(t.matched_list);
		return KS_ERROR;
	}
	fj = file_json(f, 0);
	json_object_set_new(fj, "already_imported", json_boolean(!fresh));
	*out = json_pack("{s:s,s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:o,"
	    "s:o}", "file_sha256", sha, "file", fj, "entries", t.entries,
	    "matched", t.matched, "booked", t.booked, "returned", t.returned,
	    "repayments", t.repayments, "received", t.received, "pending",
	    t.pending, "duplicates",
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
		/* No overlong forms, surrogates, nor past U+10FFFF. */
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
 * stored and booked by the job core.bank_import (202, the job).
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

	if ((body = ks_body_raw(req, &len)) == NULL)
		return ks_fail(req, 400, "missing_body",
		    "send the camt.054 notification as the body");
	if (!xml_type(req))
		return ks_fail(req, 415, "unsupported_media_type",
		    "send the notification as application/xml");
	/* ISO 20022 files are UTF-8 (and the stored copy is text). */
	if (!utf8_text((const unsigned char *)body, len))
		return ks_fail_detail(req, 400, "invalid_camt",
		    "the file is not a camt.054.001.08 notification",
		    json_pack("{s:s}", "problem", "the file is not UTF-8 "
		    "text"));
	if (camt_read(req, body, len, &es, &n,
	    &account) != KS_OK)
		return KS_ERROR;
	ks_iso_camt054_free(es, n);
	v[0] = body;
	v[1] = ks_num(req, req->who.user_id);
	if ((r = ks_db_q(req, Q_BANK_UPLOAD_INSERT, 2, v)) == NULL)
		return KS_ERROR;
	p = json_pack("{s:I,s:I}", "upload",
	    (json_int_t)ks_db_getll(r, 0, "id"), "entries",
	    (json_int_t)n);
	rc = ks_job_enqueue(req, "core.bank_import", p, NULL, &job);
	json_decref(p);
	if (rc != KS_OK)
		return KS_ERROR;
	return ks_job_accepted(req, job);
}

/*
 * The job core.bank_import: book the stored notification and
 * delete it, all in one transaction (a file is booked whole or not at
 * all, and again from the start after a crash), so the job counts no
 * items. A notification that no longer passes (the service's account
 * changed meanwhile) fails the job with the request's error.
 */
int
bank_import_job(struct ks_request *job, json_t *payload)
{
	json_t *id = json_object_get(payload, "upload"), *out = NULL;
	const char *v[1];
	PGresult *r;

	if (!json_is_integer(id))
		return ks_fail(job, 400, "invalid_body",
		    "the job names no upload");
	v[0] = ks_num(job, json_integer_value(id));
	if (ks_job_progress(job, 0, -1) != KS_OK ||
	    (r = ks_db_q(job, Q_BANK_UPLOAD_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(job, 404, "not_found",
		    "the uploaded notification is gone");
	if (book_file(job, ks_db_str(r, 0, "body"),
	    (size_t)PQgetlength(r, 0, ks_db_col(r, "body")), &out) != KS_OK)
		return KS_ERROR;
	if (ks_db_q(job, Q_BANK_UPLOAD_DELETE, 1, v) == NULL) {
		json_decref(out);
		return KS_ERROR;
	}
	ks_job_result(job, out);
	return KS_OK;
}

/* ------------------------------------------------- matching by hand */

/* Column c of the first row, NULL for SQL NULL. */
static const char *
col(PGresult *r, const char *c)
{
	return ks_db_isnull(r, 0, c) ? NULL : ks_db_str(r, 0, c);
}

/* The dossier in column c of the first row through the access policy. */
static int
access_row(struct ks_request *req, PGresult *r, const char *c)
{
	return ks_access_dossier(req, ks_db_getll(r, 0, c),
	    KS_ACCESS_AUTO) != NULL ? KS_OK : KS_ERROR;
}

/* One entry as the view shows it (for answers and the audit log). */
static json_t *
entry_now(struct ks_request *req, const char *id)
{
	const char *v[1] = { id };
	PGresult *r;

	if ((r = ks_db_q(req, Q_BANK_ENTRY_GET, 1, v)) == NULL ||
	    PQntuples(r) != 1)
		return NULL;
	return entry_json(r, 0);
}

/* Entry {id} by statement q (its id as text in *id); 404 when absent. */
static PGresult *
entry_row(struct ks_request *req, int q, const char **id)
{
	int64_t n;
	PGresult *e;

	if (ks_param_id(req, "id", &n) != KS_OK)
		return NULL;
	*id = ks_num(req, n);
	if ((e = ks_db_q(req, q, 1, id)) == NULL)
		return NULL;
	if (PQntuples(e) != 1) {
		ks_fail(req, 404, "not_found", "no such bank transaction");
		return NULL;
	}
	return e;
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
	if ((l = ks_db_q(req, Q_BANK_LINE_LOCK, 1, v)) == NULL)
		return NULL;
	if (PQntuples(l) != 1) {
		ks_fail(req, 404, "not_found", "no such payment line");
		return NULL;
	}
	if (access_row(req, l, "dossier_id") != KS_OK)
		return NULL;
	if (strcmp(ks_db_str(l, 0, "exported"), "t") != 0) {
		ks_fail(req, 409, "run_not_exported", "the payment run of "
		    "this line is not exported yet");
		return NULL;
	}
	if (ks_db_getll(e, 0, "amount") != ks_db_getll(l, 0, "amount") ||
	    strcmp(ks_db_str(e, 0, "currency"), "CHF") != 0) {
		ks_fail_detail(req, 409, "amount_differs", "the amounts of "
		    "the bank transaction and the payment differ",
		    json_pack("{s:I,s:I}", "entry",
		    (json_int_t)ks_db_getll(e, 0, "amount"), "line",
		    (json_int_t)ks_db_getll(l, 0, "amount")));
		return NULL;
	}
	if (strcmp(ks_db_str(e, 0, "cdi"), "CRDT") == 0) {
		if (strcmp(ks_db_str(l, 0, "status"), "returned") == 0) {
			ks_fail(req, 409, "line_not_open", "this payment is "
			    "already booked as returned");
			return NULL;
		}
		return book_return(req, line_id, ks_db_str(l, 0, "status"),
		    ks_db_isnull(e, 0, "return_reason") ? "MANU" :
		    ks_db_str(e, 0, "return_reason"), col(e, "booking_date"));
	}
	if (strcmp(ks_db_str(l, 0, "status"), "open") != 0) {
		ks_fail(req, 409, "line_not_open", "this payment is already "
		    "booked or returned");
		return NULL;
	}
	v[1] = col(e, "booking_date");
	if (ks_db_q(req, Q_BANK_LINE_BOOKED, 2, v) == NULL)
		return NULL;
	return "booked";
}

/* The entry (a credit) to a claim: a repayment of at most what is owed. */
static const char *
hand_claim(struct ks_request *req, PGresult *e, const char *claim_id)
{
	const char *v[1] = { claim_id };
	long long open;
	PGresult *c;

	if (strcmp(ks_db_str(e, 0, "cdi"), "CRDT") != 0) {
		ks_fail(req, 409, "wrong_direction", "a debit is a payment "
		    "of the service, not a repayment of a claim");
		return NULL;
	}
	if ((c = ks_db_q(req, Q_CLAIM_LOCK, 1, v)) == NULL)
		return NULL;
	if (PQntuples(c) != 1) {
		ks_fail(req, 404, "not_found", "no such claim");
		return NULL;
	}
	if (access_row(req, c, "dossier_id") != KS_OK)
		return NULL;
	open = ks_db_getll(c, 0, "amount") - ks_db_getll(c, 0, "repaid");
	if (strcmp(ks_db_str(e, 0, "currency"), "CHF") != 0 ||
	    ks_db_getll(e, 0, "amount") > open) {
		ks_fail_detail(req, 409, "exceeds_claim", "the repayment is "
		    "larger than what is still owed", json_pack("{s:I}",
		    "open", (json_int_t)open));
		return NULL;
	}
	return book_repayment(req, claim_id, ks_db_getll(e, 0, "amount"),
	    col(e, "booking_date"), ks_db_str(e, 0, "id"));
}

/*
 * Match an unmatched transaction by hand to a payment line or a claim
 * (If-Match: the entry's version). Booked as the automatic matching
 * would have, recorded with who did it, audited.
 */
static int
entry_match(struct ks_request *req)
{
	json_t *b = req->body, *li = json_object_get(b, "line_id");
	json_t *ci = json_object_get(b, "claim_id"), *cur, *after;
	const char *v[5], *out;
	PGresult *e;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	if (li == NULL && ci == NULL)
		return ks_money_bad_field(req, "missing_field", "name the "
		    "payment line or the claim the transaction belongs to",
		    "line_id");
	if (li != NULL && ci != NULL)
		return ks_money_bad_field(req, "invalid_value", "name either "
		    "a payment line or a claim, not both", "claim_id");
	v[0] = ks_num(req, id);
	if ((e = ks_db_q(req, Q_BANK_ENTRY_LOCK, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(e) != 1)
		return ks_fail(req, 404, "not_found",
		    "no such bank transaction");
	if ((cur = entry_now(req, v[0])) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(e, 0, "outcome"), "unmatched") != 0)
		return ks_fail_detail(req, 409, "invalid_state", "this "
		    "transaction is matched already", json_pack("{s:o}",
		    "current", cur));
	if (ks_check_etag(req, ks_db_getll(e, 0, "version"), cur) != KS_OK)
		return KS_ERROR;
	if (strcmp(ks_db_str(e, 0, "status_code"), "BOOK") != 0)
		return ks_fail(req, 409, "entry_not_booked", "the bank has "
		    "not booked this transaction yet");
	v[3] = li ? ks_num(req, json_integer_value(li)) : NULL;
	v[4] = ci ? ks_num(req, json_integer_value(ci)) : NULL;
	if ((out = li ? hand_line(req, e, v[3]) : hand_claim(req, e,
	    v[4])) == NULL)
		return KS_ERROR;
	v[1] = out;
	v[2] = ks_num(req, req->who.user_id);
	if (ks_db_q(req, Q_BANK_ENTRY_MATCH, 5, v) == NULL ||
	    file_count(req, ks_db_str(e, 0, "file_id"), -1) == NULL ||
	    (after = entry_now(req, v[0])) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "bank_entry_matched", "bank_entry", v[0], NULL,
	    json_incref(after), json_pack("{s:s,s:O,s:O}", "outcome", out,
	    "line_id", li ? li : json_null(), "claim_id", ci ? ci :
	    json_null())) != KS_OK) {
		json_decref(after);
		return KS_ERROR;
	}
	ks_set_etag(req, json_integer_value(json_object_get(after,
	    "version")));
	return ks_reply(req, 200, after);
}

/*
 * The entry (locked, row e of bank_entry_lock) may be assigned: still
 * unmatched (else 409 with the entry as it is), the version the caller
 * read (If-Match), a booked CHF credit. *cur: the entry as listed.
 */
static int
assignable(struct ks_request *req, PGresult *e, json_t **cur)
{
	if ((*cur = entry_now(req, ks_db_str(e, 0, "id"))) == NULL)
		return KS_ERROR;
	if (strcmp(ks_db_str(e, 0, "outcome"), "unmatched") != 0)
		return ks_fail_detail(req, 409, "invalid_state", "this "
		    "transaction is matched already", json_pack("{s:O}",
		    "current", *cur));
	/* (it takes its own reference: *cur is read below) */
	if (ks_check_etag(req, ks_db_getll(e, 0, "version"),
	    json_incref(*cur)) != KS_OK)
		return KS_ERROR;
	if (strcmp(ks_db_str(e, 0, "status_code"), "BOOK") != 0)
		return ks_fail(req, 409, "entry_not_booked", "the bank has "
		    "not booked this transaction yet");
	if (strcmp(ks_db_str(e, 0, "cdi"), "CRDT") != 0 ||
	    strcmp(ks_db_str(e, 0, "currency"), "CHF") != 0 ||
	    ks_db_getll(e, 0, "amount") <= 0)
		return ks_fail(req, 409, "wrong_direction", "only money "
		    "received in CHF is assigned to a dossier");
	return KS_OK;
}

/*
 * Assign an unmatched credit by hand to a dossier (If-Match: the
 * entry's version): the dossier's module is offered the credit with the
 * dossier named (struct ks_credit dossier, 2.6) and books it as if its
 * reference had named the dossier; the entry is then "received" by that
 * module, with who did it, audited. Once: a second assignment finds the
 * entry matched (409).
 */
static int
entry_assign(struct ks_request *req)
{
	json_t *cur = NULL, *after;
	const char *v[3], *module;
	struct ks_credit c;
	PGresult *e, *d;
	int rc;

	if ((e = entry_row(req, Q_BANK_ENTRY_LOCK, &v[0])) == NULL)
		return KS_ERROR;
	rc = assignable(req, e, &cur);
	if (rc != KS_OK) {
		json_decref(cur);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.entry = strtoll(v[0], NULL, 10);
	c.dossier = json_integer_value(json_object_get(req->body,
	    "dossier_id"));
	if ((d = ks_access_dossier(req, c.dossier, KS_ACCESS_WRITE)) == NULL) {
		json_decref(cur);
		return KS_ERROR;
	}
	module = ks_arena_strdup(req->arena, ks_db_str(d, 0, "module"));
	c.reference = ks_money_nz(json_string_value(json_object_get(cur,
	    "reference"))) ? ref_norm(req, json_string_value(
	    json_object_get(cur, "reference"))) : "";
	c.amount = ks_db_getll(e, 0, "amount");
	c.currency = "CHF";
	c.booking_date = col(e, "booking_date");
	json_decref(cur);
	if ((rc = ks_modules_credit_to(req, &c, module)) < 0)
		return KS_ERROR;
	if (rc == 0)
		return ks_fail(req, 409, "assign_not_taken", "this dossier "
		    "takes no payments from the bank");
	v[1] = ks_num(req, req->who.user_id);
	v[2] = module;
	if (ks_db_q(req, Q_BANK_ENTRY_ASSIGN, 3, v) == NULL ||
	    file_count(req, ks_db_str(e, 0, "file_id"), -1) == NULL ||
	    (after = entry_now(req, v[0])) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "bank_entry_assigned", "bank_entry", v[0], NULL,
	    json_incref(after), json_pack("{s:I,s:s}", "dossier_id",
	    (json_int_t)c.dossier, "module", module)) != KS_OK) {
		json_decref(after);
		return KS_ERROR;
	}
	json_object_set_new(after, "dossier_id", json_integer(c.dossier));
	ks_set_etag(req, json_integer_value(json_object_get(after,
	    "version")));
	return ks_reply(req, 200, after);
}

/* A row of bank_candidates: a payment line or a claim. */
static json_t *
candidate_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
	    I("id"), "type", ks_db_str(r, i, "type"), "dossier_id",
	    I("dossier_id"), "amount", I("amount"), "name", S("name"),
	    "end_to_end_id", S("end_to_end_id"), "run_month", S("run_month"),
	    "for_month", S("for_month"), "reference", S("reference"),
	    "status", S("status"));
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
	PGresult *r;

	if (ks_page(req, &after, &limit, &n) != KS_OK ||
	    entry_row(req, Q_BANK_ENTRY_GET, &v[0]) == NULL)
		return KS_ERROR;
	v[1] = after;
	v[2] = limit;
	if ((r = ks_db_q(req, Q_BANK_CANDIDATES, 3, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", candidate_json));
}

/* -------------------------------------------------------------- tables */

static const struct ks_field match_body[] = {
	{ "line_id", KS_F_INT, 0, 1, 9007199254740991LL, "a payment line" },
	{ "claim_id", KS_F_INT, 0, 1, 9007199254740991LL, "a claim" },
	KS_FIELDS_END
};

static const struct ks_field assign_body[] = {
	{ "dossier_id", KS_F_INT, 1, 1, 9007199254740991LL, "the dossier "
	    "whose module books the money" },
	KS_FIELDS_END
};

#define KB	(16 * 1024)

static const struct ks_route routes[] = {
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
	{ "POST", "/api/v1/bank-entries/{id}/assign", "payment.run", KB,
	    assign_body, KS_R_ETAG, entry_assign, "assign an unmatched "
	    "credit to a dossier: its module books it as if the reference "
	    "had named it (If-Match)", NULL, NULL },
	KS_ROUTES_END
};

/* One notification is booked in one transaction (whole or not at all). */
static const struct ks_job_type jobs[] = {
	{ "core.bank_import", bank_import_job, NULL, 0, 0, 300 },
	KS_JOB_TYPES_END
};

void
ks_bank_register(void)
{
	ks_router_add(routes, NULL);
	if (ks_job_types_add(jobs, NULL) != KS_OK)
		abort();
}
