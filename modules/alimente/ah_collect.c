/*
 * ah_collect.c - the debtor's payments (camt.054 by the title's QR
 * reference through the core's bank import, or by hand), their
 * allocation by the canton's pack alimente-allocation, the pass-on to
 * the creditor, missing payments, the recovery ledger per child and the
 * community's net cost.
 *
 * A payment is split over the items open up to its month (ah_month_v):
 * per creditor and month the creditor's part (due less what the
 * community advanced and what the creditor got; "current" in the
 * payment's month, "arrears" before) and the community's (advanced less
 * recovered; "subrogated"). What no item takes (paid ahead, or more than
 * was open) is the debtor's credit: it stays on the receipt (surplus)
 * and is allocated first when his next payment comes in. The creditor's
 * parts go to the dossier's applicant in the next payment run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus/pdf.h"
#include "kasus/qrbill.h"
#include "ah.h"

#define MAX_PAYMENT	1000000000LL	/* CHF 10 m: the pack's limit */

/* ------------------------------------------------------- allocation */

static json_t *
receipt_json(PGresult *r, int i)
{
	json_t *parts = json_loads(ks_db_str(r, i, "parts"), 0, NULL);

	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:I,s:I,s:o,s:o,s:o,s:s,s:o}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"), "amount",
	    (json_int_t)ks_db_getll(r, i, "amount"), "received_on",
	    ks_db_str(r, i, "received_on"), "source",
	    ks_db_str(r, i, "source"), "bank_entry_id",
	    ks_db_json_int(r, i, "bank_entry_id"), "allocated",
	    (json_int_t)(ks_db_getll(r, i, "amount") -
	    ks_db_getll(r, i, "surplus")), "surplus",
	    (json_int_t)ks_db_getll(r, i, "surplus"), "debtor_name",
	    ks_db_json_str(r, i, "debtor_name"), "note",
	    ks_db_json_str(r, i, "note"), "created_by",
	    ks_db_json_int(r, i, "created_by"), "created_at",
	    ks_db_str(r, i, "created_at"), "parts",
	    parts != NULL ? parts : json_array());
}

/*
 * Split money (the part of receipt rid not allocated yet) over the items
 * of dossier open up to the month of upto, store the parts and keep the
 * rest as the receipt's surplus. *after (when asked for): the receipt as
 * the API shows it; without it a receipt with nothing to store is left
 * as it is.
 */
static int
allocate(struct ks_request *req, const char *dossier, const char *rid,
    long long money, const char *upto, json_t **after)
{
	const char *v[3];
	PGresult *r;
	json_t *items, *in, *out = NULL, *prov = NULL, *p, *store;
	long long used = 0, amount, open, id;
	char *sj;
	size_t k;
	int i, n, rc;

	v[0] = dossier;
	v[1] = upto;
	if ((r = ks->db_q(req, Q_AH_COLLECT_ITEMS, 2, v)) == NULL)
		return -1;
	n = PQntuples(r);
	/* Item 2i+1: the creditor's part of row i; 2i+2: the community's. */
	items = json_array();
	for (i = 0; i < n; i++) {
		const char *month = ks_db_str(r, i, "month");

		if ((open = ks_db_getll(r, i, "creditor_open")) > 0)
			json_array_append_new(items, json_pack("{s:I,s:s,s:s,"
			    "s:I}", "id", (json_int_t)2 * i + 1, "kind",
			    strncmp(month, upto, 7) == 0 ? "current" :
			    "arrears", "due_date", month, "amount",
			    (json_int_t)open));
		if ((open = ks_db_getll(r, i, "community_open")) > 0)
			json_array_append_new(items, json_pack("{s:I,s:s,s:s,"
			    "s:I}", "id", (json_int_t)2 * i + 2, "kind",
			    "subrogated", "due_date", month, "amount",
			    (json_int_t)open));
	}
	store = json_array();
	if (json_array_size(items) > 0) {
		in = json_pack("{s:I,s:o}", "payment", (json_int_t)money,
		    "items", items);
		rc = ks->rules_eval(req, "alimente-allocation", "allocate",
		    upto, in, &out, &prov);
		json_decref(in);
		json_decref(prov);
		if (rc != 0) {
			json_decref(store);
			return -1;
		}
	} else
		json_decref(items);	/* nothing open: all of it stays */
	json_array_foreach(json_object_get(out, "parts"), k, p) {
		id = json_integer_value(json_object_get(p, "id"));
		amount = json_integer_value(json_object_get(p, "amount"));
		if (id == 0)
			continue;	/* the surplus */
		i = (int)((id - 1) / 2);
		open = id < 1 || i >= n ? 0 : ks_db_getll(r, i, id % 2 ?
		    "creditor_open" : "community_open");
		if (amount <= 0 || amount > open || used + amount > money) {
			json_decref(store);
			json_decref(out);
			ks->log(3, "alimente-allocation gave part %lld of %lld "
			    "on item %lld (open %lld)", amount, money, id, open);
			return ks->fail(req, 500, "internal_error", "the "
			    "allocation rule gave an impossible split");
		}
		used += amount;
		json_array_append_new(store, json_pack("{s:s,s:s,s:s,s:I}",
		    "creditor_id", ks_db_str(r, i, "creditor_id"), "month",
		    ks_db_str(r, i, "month"), "part", id % 2 ?
		    json_string_value(json_object_get(p, "kind")) :
		    "subrogated", "amount", (json_int_t)amount));
	}
	json_decref(out);
	/*
	 * A camt.054 books thousands of payments in one transaction: no
	 * payment's rows stay with it once they are used.
	 */
	ks->db_free(req, r);
	if (json_array_size(store) == 0 && after == NULL) {
		json_decref(store);
		return 0;
	}
	if ((sj = json_dumps(store, JSON_COMPACT)) == NULL)
		abort();
	json_decref(store);
	v[0] = rid;
	v[1] = sj;
	v[2] = ks->num(req, money - used);
	r = ks->db_q(req, Q_AH_COLLECT_ALLOC_STORE, 3, v);
	free(sj);
	if (r == NULL)
		return -1;
	if (after != NULL) {
		if (PQntuples(r) != 1)
			return ks->fail(req, 500, "internal_error", "the "
			    "receipt is gone");
		*after = receipt_json(r, 0);
	}
	ks->db_free(req, r);
	return 0;
}

/*
 * Record a payment of the debtor of title (by its id, or by reference
 * ref from the bank) and allocate it, after what he had paid ahead (his
 * credit, oldest first). *rid: the receipt, NULL when bank entry `entry`
 * was taken before (nothing done); *after: the receipt as the API shows
 * it; *dossier_out: the title's dossier. 1: booked (or taken before), 0:
 * no such title, -1: error.
 */
static int
book(struct ks_request *req, const char *title, const char *ref,
    const char *dossier, long long amount, const char *date,
    const char *source, const char *entry, const char *payer,
    const char *note, const char **rid, const char **dossier_out,
    json_t **after)
{
	const char *v[10], *upto, *id, *cdate;
	PGresult *r;
	json_t *credits, *c;
	size_t i;

	v[0] = title;
	v[1] = dossier;
	v[2] = ks->num(req, amount);
	v[3] = date;
	v[4] = source;
	v[5] = entry;
	v[6] = ks->user_id(req) > 0 ? ks->num(req, ks->user_id(req)) : NULL;
	v[7] = payer;
	v[8] = note;
	v[9] = ref;
	*rid = NULL;
	*after = NULL;
	if ((r = ks->db_q(req, Q_AH_COLLECT_BOOK, 10, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return 0;
	*dossier_out = ks->strdup(req, ks_db_str(r, 0, "dossier_id"));
	if (ks_db_isnull(r, 0, "receipt_id"))
		return 1;
	*rid = ks->strdup(req, ks_db_str(r, 0, "receipt_id"));
	credits = json_loads(ks_db_str(r, 0, "credits"), 0, NULL);
	ks->db_free(req, r);
	if (credits == NULL)
		return ks->fail(req, 500, "internal_error", "the debtor's "
		    "credit could not be read");
	json_array_foreach(credits, i, c) {
		id = ks->strdup(req, json_string_value(json_object_get(c,
		    "id")));
		cdate = json_string_value(json_object_get(c, "received_on"));
		upto = ks->strdup(req, strcmp(cdate, date) > 0 ? cdate : date);
		if (allocate(req, *dossier_out, id, json_integer_value(
		    json_object_get(c, "surplus")), upto, strcmp(id, *rid) ==
		    0 ? after : NULL) != 0) {
			json_decref(credits);
			json_decref(*after);
			*after = NULL;
			return -1;
		}
	}
	json_decref(credits);
	if (*after == NULL)
		return ks->fail(req, 500, "internal_error", "the receipt is "
		    "gone");
	return 1;
}

/*
 * Book credit c on title (by its id, or by the reference ref): once per
 * bank entry; audited with how it was found (by reference or assigned).
 * 1: booked (or taken before), 0: no such title, -1: error.
 */
static int
take(struct ks_request *req, const char *title, const char *ref,
    const struct ks_credit *c)
{
	const char *rid, *date, *dossier = NULL;
	json_t *after;
	int rc;

	date = c->booking_date != NULL ? c->booking_date : ks->today(req);
	if ((rc = book(req, title, ref, NULL, c->amount, date, "bank",
	    ks->num(req, c->entry), c->debtor_name, NULL, &rid, &dossier,
	    &after)) <= 0)
		return rc;
	if (rid == NULL)
		return 1;		/* booked from this entry before */
	if (ks->audit(req, "ah_receipt_booked", "ah_receipt", rid, NULL,
	    after, json_pack("{s:I,s:s,s:b}", "bank_entry",
	    (json_int_t)c->entry, "dossier", dossier, "assigned",
	    c->dossier != 0)) != 0)
		return -1;
	return 1;
}

/*
 * SDK 2.5: a bank credit no claim took. Ours when its reference is a
 * title's debtor_reference; booked once per bank entry. 2.6: a credit
 * a person assigned to one of our dossiers is the debtor's payment on
 * its title, whatever its reference.
 */
int
ah_collect_credit(struct ks_request *req, const struct ks_credit *c)
{
	const char *v[1];
	PGresult *r;
	size_t n;
	int rc;

	if (c->dossier != 0) {
		v[0] = ks->num(req, c->dossier);
		if ((r = ks->db_q(req, Q_AH_COLLECT_TITLE_OF, 1, v)) == NULL)
			return -1;
		if (PQntuples(r) != 1)
			return ks->fail(req, 409, "ah_collect_no_title",
			    "record the maintenance title first: a payment "
			    "is allocated over what it makes due");
		rc = take(req, ks_db_str(r, 0, "id"), NULL, c);
		ks->db_free(req, r);
		return rc;
	}
	n = strspn(c->reference, "0123456789");
	if (n != 27 || c->reference[n] != '\0')
		return 0;		/* not a QR reference */
	return take(req, NULL, c->reference, c);
}

/* --------------------------------------------------------- routes */

/* A date YYYY-MM-DD no later than today (the field check did the form). */
static int
not_future(struct ks_request *req, const char *d, const char *field)
{
	if (strcmp(d, ks->today(req)) > 0)
		return ks->fail_detail(req, 400, "invalid_value", "a payment "
		    "cannot be received in the future", json_pack("{s:s}",
		    "field", field));
	return 0;
}

/* POST /cases/{id}/receipts: a payment of the debtor recorded by hand. */
static int
receipt_add(struct ks_request *req)
{
	json_t *b = ks->body(req), *after;
	const char *v[1], *date, *note, *rid, *dossier;
	long long amount;
	PGresult *r;
	int64_t id;
	int rc;

	if (ah_dossier(req, &id) == NULL)
		return -1;
	amount = json_integer_value(json_object_get(b, "amount"));
	date = json_string_value(json_object_get(b, "received_on"));
	note = json_string_value(json_object_get(b, "note"));
	if (not_future(req, date, "received_on") != 0)
		return -1;
	v[0] = ks->num(req, id);
	if ((r = ks->db_q(req, Q_AH_COLLECT_TITLE_OF, 1, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "ah_collect_no_title", "record the "
		    "maintenance title first: a payment is allocated over "
		    "what it makes due");
	if ((rc = book(req, ks_db_str(r, 0, "id"), NULL, v[0], amount, date,
	    "manual", NULL, NULL, note, &rid, &dossier, &after)) < 0)
		return -1;
	if (rc == 0 || rid == NULL) {
		json_decref(after);
		return ks->fail(req, 500, "internal_error", "the receipt was "
		    "not recorded");
	}
	if (ks->audit(req, "ah_receipt_recorded", "ah_receipt", rid, NULL,
	    json_incref(after), json_pack("{s:s}", "dossier", v[0])) != 0) {
		json_decref(after);
		return -1;
	}
	return ks->reply(req, 201, after);
}

/* GET /cases/{id}/receipts: the debtor's payments with their parts. */
static int
receipt_list(struct ks_request *req)
{
	return ah_dossier_page(req, Q_AH_COLLECT_RECEIPTS, receipt_json);
}

#define N(c)	((json_int_t)ks_db_getll(r, i, c))

/*
 * GET /cases/{id}/recovery: per creditor what was due, received and is
 * outstanding, what the community advanced, recovered and what it cost
 * it; the debtor's credit.
 */
static int
recovery(struct ks_request *req)
{
	const char *v[1];
	json_t *items, *tot;
	long long t[6] = { 0, 0, 0, 0, 0, 0 };
	static const char *const cols[6] = { "due", "received",
	    "outstanding", "advanced", "recovered", "community_cost" };
	PGresult *r, *c;
	int64_t id;
	int i, k;

	if (ah_dossier(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	if ((r = ks->db_q(req, Q_AH_COLLECT_RECOVERY, 1, v)) == NULL ||
	    (c = ks->db_q(req, Q_AH_COLLECT_CREDIT_OF, 1, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:s,s:s,"
		    "s:o,s:I,s:I,s:I,s:I,s:I,s:I}", "creditor_id",
		    N("creditor_id"), "person_id", N("person_id"), "role",
		    ks_db_str(r, i, "role"), "first_name",
		    ks_db_str(r, i, "first_name"), "last_name",
		    ks_db_str(r, i, "last_name"), "birth_date",
		    ks_db_json_str(r, i, "birth_date"), "due", N("due"),
		    "received", N("received"), "outstanding",
		    N("outstanding"), "advanced", N("advanced"), "recovered",
		    N("recovered"), "community_cost", N("community_cost")));
		for (k = 0; k < 6; k++)
			t[k] += ks_db_getll(r, i, cols[k]);
	}
	tot = json_object();
	for (k = 0; k < 6; k++)
		json_object_set_new(tot, cols[k], json_integer(t[k]));
	return ks->reply(req, 200, json_pack("{s:I,s:o,s:o,s:I,s:I}",
	    "dossier_id", (json_int_t)id, "items", items, "totals", tot,
	    "paid", (json_int_t)ks_db_getll(c, 0, "paid"), "credit",
	    (json_int_t)ks_db_getll(c, 0, "credit")));
}

/* A month "YYYY-MM" from query parameter name, or def; NULL when bad. */
static const char *
month_param(struct ks_request *req, const char *name, const char *def)
{
	const char *s = ks->query(req, name);
	int y, m;
	char tail;

	if (s == NULL)
		return def;
	if (strlen(s) != 7 || sscanf(s, "%4d-%2d%c", &y, &m, &tail) != 2 ||
	    s[4] != '-' || y < 1900 || y > 9999 || m < 1 || m > 12 ||
	    strspn(s, "0123456789-") != 7) {
		ks->fail_detail(req, 400, "invalid_parameter", "a month is "
		    "written YYYY-MM", json_pack("{s:s}", "parameter", name));
		return NULL;
	}
	return s;
}

/*
 * GET /alimente/net-cost?from=YYYY-MM&to=YYYY-MM (default: this year
 * to this month): per month what the community advanced, recovered and
 * its net cost, as the canton's burden sharing counts it (advances when
 * the bank booked them, recoveries when the debtor paid).
 */
static int
net_cost(struct ks_request *req)
{
	const char *today = ks->today(req), *from, *to, *v[2];
	long long a = 0, rc = 0;
	PGresult *r;
	json_t *items;
	int i, y, m;

	if ((from = month_param(req, "from", ks->printf(req, "%.4s-01",
	    today))) == NULL || (to = month_param(req, "to",
	    ks->printf(req, "%.7s", today))) == NULL)
		return -1;
	if (strcmp(from, to) > 0)
		return ks->fail_detail(req, 400, "invalid_parameter", "from "
		    "is after to", json_pack("{s:s}", "parameter", "from"));
	y = atoi(to);
	m = atoi(to + 5) + 1;
	if (m > 12) {
		m = 1;
		y++;
	}
	v[0] = ks->printf(req, "%s-01", from);
	v[1] = ks->printf(req, "%04d-%02d-01", y, m);
	if ((r = ks->db_q(req, Q_AH_COLLECT_NET_COST, 2, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_array_append_new(items, json_pack("{s:s,s:I,s:I,s:I}",
		    "month", ks_db_str(r, i, "month"), "advanced",
		    N("advanced"), "recovered", N("recovered"), "net_cost",
		    N("net_cost")));
		a += ks_db_getll(r, i, "advanced");
		rc += ks_db_getll(r, i, "recovered");
	}
	return ks->reply(req, 200, json_pack("{s:s,s:s,s:o,s:{s:I,s:I,s:I}}",
	    "from", from, "to", to, "items", items, "totals", "advanced",
	    (json_int_t)a, "recovered", (json_int_t)rc, "net_cost",
	    (json_int_t)(a - rc)));
}

static const char *
tx(const char *lang, const char *de, const char *fr)
{
	return strcmp(lang, "fr") == 0 ? fr : de;
}

/* Address lines of a person or the account (prefix "" or "acc_"). */
const char *
ah_collect_lines(struct ks_request *req, PGresult *r, const char *name,
    const char *pre)
{
	const char *st = ah_col(r, ks->printf(req, "%sstreet", pre));
	const char *no = ah_col(r, ks->printf(req, "%shouse_no", pre));
	const char *pc = ah_col(r, ks->printf(req, "%spostcode", pre));
	const char *town = ah_col(r, ks->printf(req, "%stown", pre));

	return ks->printf(req, "%s%s%s%s%s\n%s%s%s", name, st ? "\n" : "",
	    st ? st : "", no ? " " : "", no ? no : "", pc ? pc : "",
	    pc ? " " : "", town ? town : "");
}

/*
 * The payload of the debtor's QR-bill from row 0 of r (the columns of
 * ah_collect_bill: the account acc_*, the debtor, debtor_reference) for
 * amount (none when 0 or less); *payload goes to ks->free. 422
 * qrbill_invalid when the account or address cannot go on a bill.
 */
int
ah_collect_qrbill(struct ks_request *req, PGresult *r, long long amount,
    const char *message, char **payload)
{
	struct ks_qrbill q;
	char err[256];

	memset(&q, 0, sizeof(q));
	q.iban = ah_col(r, "acc_qr_iban");
	q.creditor.name = ah_col(r, "acc_name");
	q.creditor.street = ah_col(r, "acc_street");
	q.creditor.building = ah_col(r, "acc_house_no");
	q.creditor.postcode = ah_col(r, "acc_postcode");
	q.creditor.town = ah_col(r, "acc_town");
	q.creditor.country = ah_col(r, "acc_country");
	if (ah_col(r, "last_name") != NULL && ah_col(r, "postcode") != NULL &&
	    ah_col(r, "town") != NULL && ah_col(r, "country") != NULL) {
		q.debtor.name = ks->printf(req, "%s %s", ks_db_str(r, 0,
		    "first_name"), ks_db_str(r, 0, "last_name"));
		q.debtor.street = ah_col(r, "street");
		q.debtor.building = ah_col(r, "house_no");
		q.debtor.postcode = ah_col(r, "postcode");
		q.debtor.town = ah_col(r, "town");
		q.debtor.country = ah_col(r, "country");
	}
	q.amount = amount > 0 ? amount : -1;
	q.currency = "CHF";
	q.reference = ah_col(r, "debtor_reference");
	q.message = message;
	*payload = NULL;
	if (ks->qrbill_payload(&q, payload, err, sizeof(err)) != 0)
		return ks->fail_detail(req, 422, "qrbill_invalid", "the "
		    "account or the debtor's address cannot go on a QR-bill",
		    json_pack("{s:s}", "reason", err));
	return 0;
}

/*
 * GET /cases/{id}/debtor-bill?lang=de|fr: the debtor's QR-bill (PDF) to
 * the service's account (its QR-IBAN) with the title's QR reference, by
 * which his payments come back from the bank (ah_collect_credit); the
 * amount is this month's maintenance (none when nothing is due).
 */
static int
debtor_bill(struct ks_request *req)
{
	struct ks_pdf_list b = { NULL, 0, 0 };
	const char *v[2], *lang = ks->query(req, "lang"), *debtor, *today;
	char err[256], *payload = NULL, *pdf = NULL;
	PGresult *r;
	size_t len;
	int64_t id;
	int rc;

	if (lang != NULL && strcmp(lang, "de") != 0 && strcmp(lang, "fr") != 0)
		return ks->fail_detail(req, 400, "invalid_parameter", "the "
		    "language is de or fr", json_pack("{s:s}", "parameter",
		    "lang"));
	if (ah_dossier(req, &id) == NULL)
		return -1;
	today = ks->today(req);
	v[0] = ks->num(req, id);
	v[1] = today;
	if ((r = ks->db_q(req, Q_AH_COLLECT_BILL, 2, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "ah_collect_no_title", "record the "
		    "maintenance title first: the bill carries its reference");
	if (ah_col(r, "debtor_reference") == NULL)
		return ks->fail(req, 409, "ah_collect_no_reference", "the title "
		    "has no QR reference for the debtor yet");
	if (ah_col(r, "acc_iban") == NULL)
		return ks->fail(req, 409, "payment_account_missing", "the "
		    "social service has no payment account yet; its "
		    "administrator sets one");
	if (ah_col(r, "acc_qr_iban") == NULL)
		return ks->fail(req, 409, "ah_collect_no_qr_iban", "the "
		    "service's payment account has no QR-IBAN; its "
		    "administrator adds it (a QR reference needs one)");
	if (lang == NULL)
		lang = ah_col(r, "language") != NULL && strcmp(ah_col(r, "language"),
		    "fr") == 0 ? "fr" : "de";
	debtor = ah_col(r, "last_name") == NULL ? NULL : ks->printf(req, "%s %s",
	    ks_db_str(r, 0, "first_name"), ks_db_str(r, 0, "last_name"));
	if (ah_collect_qrbill(req, r, ks_db_getll(r, 0, "due"),
	    tx(lang, "Unterhaltsbeiträge", "Contributions d'entretien"),
	    &payload) != 0)
		return -1;
	ks_pdf_add(&b, KS_PDF_LETTERHEAD, ah_collect_lines(req, r,
	    ah_col(r, "acc_name"), "acc_"), NULL);
	if (debtor != NULL)
		ks_pdf_add(&b, KS_PDF_ADDRESS, ah_collect_lines(req, r, debtor,
		    ""), NULL);
	ks_pdf_add(&b, KS_PDF_TITLE, tx(lang, "Einzahlungsschein für Ihre "
	    "Unterhaltsbeiträge", "Bulletin de versement pour vos "
	    "contributions d'entretien"), NULL);
	ks_pdf_add(&b, KS_PDF_PARAGRAPH, tx(lang, "Bitte bezahlen Sie die "
	    "Unterhaltsbeiträge jeden Monat mit diesem Zahlteil an den "
	    "Sozialdienst. Die Referenz ordnet Ihre Zahlung Ihrem Dossier "
	    "zu; geben Sie sie bei jeder Zahlung an.", "Veuillez verser "
	    "chaque mois les contributions d'entretien au service social "
	    "avec cette section paiement. La référence attribue votre "
	    "paiement à votre dossier; indiquez-la à chaque paiement."),
	    NULL);
	ks_pdf_add(&b, KS_PDF_QRBILL, payload, lang);
	rc = ks->pdf_render(b.v, tx(lang, "Einzahlungsschein",
	    "Bulletin de versement"), ks->printf(req, "%.4s%.2s%.2s000000",
	    today, today + 5, today + 8), &pdf, &len, err, sizeof(err));
	free(b.v);
	ks->free(payload);
	if (rc != 0)
		return ks->fail_detail(req, 500, "document_failed", "the bill "
		    "could not be produced", json_pack("{s:s}", "reason", err));
	ks->header(req, "Content-Disposition", ks->printf(req, "inline; "
	    "filename=\"kasus-debtor-bill-%lld.pdf\"", (long long)id));
	rc = ks->raw(req, 200, "application/pdf", pdf, len);
	ks->free(pdf);
	return rc;
}

static const struct ks_field receipt_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_PAYMENT, "Rappen" },
	{ "received_on", KS_F_DATE, 1, 0, 0, "not in the future" },
	{ "note", KS_F_STRING, 0, 1, 500, NULL },
	KS_FIELDS_END
};

#define KB	(16 * 1024)

const struct ks_route ah_collect_routes[] = {
	{ "GET", "/api/v1/cases/{id}/receipts", "alimente.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, receipt_list, "the debtor's payments "
	    "with their allocation (current, arrears, subrogated), newest "
	    "first", NULL, NULL },
	{ "POST", "/api/v1/cases/{id}/receipts", "alimente.write", KB,
	    receipt_body, 0, receipt_add, "record a payment of the debtor "
	    "by hand; allocated like one from the bank", NULL, NULL },
	{ "GET", "/api/v1/cases/{id}/recovery", "alimente.read", 0, NULL,
	    KS_R_AUDIT, recovery, "per creditor: due, received, "
	    "outstanding, advanced, recovered, the community's cost", NULL,
	    NULL },
	{ "GET", "/api/v1/cases/{id}/debtor-bill", "alimente.read", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT | KS_R_LONG, debtor_bill,
	    "the debtor's QR-bill (PDF, "
	    "?lang=de|fr) with the title's reference, to the service's "
	    "QR-IBAN", NULL, NULL },
	{ "GET", "/api/v1/alimente/net-cost", "alimente.read", 0, NULL,
	    KS_R_LONG, net_cost,
	    "the community's net cost of advances per month "
	    "(?from=YYYY-MM&to=YYYY-MM): advanced less recovered", NULL,
	    NULL },
	KS_ROUTES_END
};

const struct ks_errdef ah_collect_errors[] = {
	{ "ah_collect_no_title", 409, "the dossier has no maintenance title "
	    "yet, so a payment cannot be allocated nor a bill made" },
	{ "ah_collect_no_reference", 409, "the title has no QR reference for "
	    "the debtor yet" },
	{ "ah_collect_no_qr_iban", 409, "the service's payment account has "
	    "no QR-IBAN, which a bill with a QR reference needs" },
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_collect_vocabulary[] = {
	{ "deadline_kind", "ah_missing_payment" },
	{ "payment_kind", "ah_passon" },
	{ NULL, NULL }
};

int
ah_collect_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	(void)req; (void)dossier; (void)from; (void)to;
	return 0;
}

/*
 * Missing payments: dossiers collecting whose last month's maintenance
 * saw no payment of the debtor by the 10th of the next month (list
 * "ah_missing_payments").
 */
int
ah_collect_worklist(struct ks_request *req, json_t *lists)
{
	const char *today = ks->today(req), *v[2];
	json_t *a;
	PGresult *r;
	int y = atoi(today), m = atoi(today + 5), d = atoi(today + 8), i;

	/* The last 10th before today, and the month before it. */
	if (d <= 10 && --m < 1) {
		m = 12;
		y--;
	}
	v[1] = ks->printf(req, "%04d-%02d-10", y, m);
	if (--m < 1) {
		m = 12;
		y--;
	}
	v[0] = ks->printf(req, "%04d-%02d-01", y, m);
	if ((r = ks->db_q(req, Q_AH_COLLECT_MISSING, 2, v)) == NULL)
		return -1;
	a = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:I}",
		    "dossier_id", N("dossier_id"), "state",
		    ks_db_str(r, i, "state"), "name", ks->printf(req, "%s %s",
		    ks_db_str(r, i, "last_name"), ks_db_str(r, i,
		    "first_name")), "month", ks_db_str(r, i, "month"), "due",
		    N("due")));
	return json_object_set_new(lists, "ah_missing_payments", a);
}

/*
 * A transfer: the debtor's payments and their allocation stay with the
 * sender, which keeps collecting the arrears due until the move (InkHV).
 */
int
ah_collect_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	(void)req; (void)from; (void)from_tenant; (void)to; (void)to_tenant;
	return 0;
}

/* The creditors' parts not passed on yet, to the dossier's applicant. */
int
ah_collect_run_lines(struct ks_request *req, const char *run,
    const char *first, const char *month)
{
	const char *v[1] = { run };

	(void)first;
	(void)month;
	return ks->db_q(req, Q_AH_COLLECT_RUN_LINES, 1, v) == NULL ? -1 : 0;
}
