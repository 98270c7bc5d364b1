/*
 * sh_payment.c - payments of the Sozialhilfe module: the tenant's paying
 * account, one-off payments (four-eyes), monthly payment runs exported
 * as pain.001.001.09 (SPS), reconciliation of camt.054.001.08 bank
 * notifications, recovery claims with repayments, and the client account.
 *
 * A run is created by accounting (payment.run) and approved by someone
 * else with payment.approve. Its lines copy creditor and amount when the
 * run is created; approval fixes message id, creation time, execution
 * date and debtor, so every export of the run is the same file. The
 * first export books each line on the client account (ledger_entry kind
 * 'payment', negative); a return reported by the bank books it back
 * ('correction').
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sh.h"
#include "iso20022.h"

#define END_FIELDS	{ NULL, 0, 0, 0, 0, NULL }
#define MAX_AMOUNT	100000000000LL	/* CHF 1 bn in Rappen */
#define PAIN_XSD	"/../shared/refdata/pain001/pain.001.001.09.ch.03.xsd"
#define CAMT_LIMIT	(20u * 1024 * 1024)
#define UNMATCHED_MAX	500		/* listed in one answer */

/* ------------------------------------------------------------ helpers */

static json_int_t
ll(PGresult *r, int i, int c)
{
	return (json_int_t)strtoll(PQgetvalue(r, i, c), NULL, 10);
}

static const char *
str(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
}

static json_t *
int_or_null(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? json_null() : json_integer(ll(r, i, c));
}

static json_t *
str_or_null(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? json_null() :
	    json_string(PQgetvalue(r, i, c));
}

/* The caller holds one of two permissions, else 403. */
static int
need_any(struct ks_request *req, const char *a, const char *b)
{
	if (ks->has_perm(req, a) || (b != NULL && ks->has_perm(req, b)))
		return KS_OK;
	return ks->fail_detail(req, 403, "forbidden",
	    "your role does not allow this", json_pack("{s:s}", "permission",
	    a));
}

static json_t *
next_cursor(PGresult *r, long long n)
{
	if (PQntuples(r) < n)
		return json_null();
	return json_string(PQgetvalue(r, PQntuples(r) - 1, 0));
}

static int
bad_field(struct ks_request *req, const char *code, const char *msg,
    const char *field)
{
	return ks->fail_detail(req, 400, code, msg, json_pack("{s:s}",
	    "field", field));
}

/*
 * Load this module's dossier {id} through the access policy; 404 when
 * absent or foreign, 403 other_team for another team's change.
 */
static PGresult *
dossier(struct ks_request *req, int64_t *id)
{
	const char *v[1];
	PGresult *r;

	if (ks->param_id(req, "id", id) != KS_OK ||
	    ks->access_dossier(req, *id, KS_ACCESS_AUTO) == NULL)
		return NULL;
	v[0] = sh_num(req, *id);
	if ((r = sh_q(req, SHQ(PAY_DOSSIER), 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such dossier");
		return NULL;
	}
	return r;
}

/* ------------------------------------------------ parties (creditors) */

struct party {
	const char	*name, *iban, *bic, *street, *house_no, *postcode,
			*town, *country;
};

static int
plain_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/*
 * Check a party's fields (already strings or absent): name and town
 * required, country ISO alpha-2, IBAN valid by mod 97 and not a QR-IBAN
 * (those need a QR reference). The IBAN is normalised in place into an
 * arena copy. prefix names the field in errors ("creditor.").
 */
static int
party_check(struct ks_request *req, struct party *p, const char *prefix)
{
	char norm[KS_IBAN_BUFLEN], f[64];
	const char *c;

	snprintf(f, sizeof(f), "%siban", prefix);
	if (p->iban == NULL)
		return bad_field(req, "missing_field",
		    "a required field is missing", ks->strdup(req, f));
	if (ks->iban_valid(p->iban, norm, sizeof(norm)) != 1)
		return bad_field(req, "invalid_iban", "the IBAN is not valid",
		    ks->strdup(req, f));
	if (ks->iban_is_qr(norm))
		return bad_field(req, "invalid_iban", "a QR-IBAN takes only "
		    "QR-bill payments; give the account's normal IBAN",
		    ks->strdup(req, f));
	p->iban = ks->strdup(req, norm);
	c = p->country;
	snprintf(f, sizeof(f), "%scountry", prefix);
	if (c == NULL || strlen(c) != 2 || c[0] < 'A' || c[0] > 'Z' ||
	    c[1] < 'A' || c[1] > 'Z')
		return bad_field(req, "invalid_value", "the country is two "
		    "capital letters (ISO 3166)", ks->strdup(req, f));
	if (p->bic != NULL) {
		size_t n = strlen(p->bic), i;

		for (i = 0; i < n; i++)
			if (!((p->bic[i] >= 'A' && p->bic[i] <= 'Z') ||
			    (p->bic[i] >= '0' && p->bic[i] <= '9')))
				break;
		if ((n != 8 && n != 11) || i != n)
			return bad_field(req, "invalid_value", "a BIC has 8 or "
			    "11 capital letters and digits", "bic");
	}
	return KS_OK;
}

static const struct {
	const char	*name;
	size_t		 min, max;
} party_keys[] = {
	{ "name", 1, 70 }, { "iban", 1, 42 }, { "street", 0, 70 },
	{ "house_no", 0, 16 }, { "postcode", 0, 16 }, { "town", 1, 35 },
	{ "country", 2, 2 }, { NULL, 0, 0 }
};

/* A creditor object from a JSON body: known keys, strings, lengths. */
static int
party_from_json(struct ks_request *req, json_t *o, struct party *p)
{
	const char *key, **slot;
	char f[64];
	json_t *v;
	int i;

	memset(p, 0, sizeof(*p));
	json_object_foreach(o, key, v) {
		for (i = 0; party_keys[i].name != NULL; i++)
			if (strcmp(party_keys[i].name, key) == 0)
				break;
		snprintf(f, sizeof(f), "creditor.%s", key);
		if (party_keys[i].name == NULL)
			return ks->fail_detail(req, 400, "unknown_field",
			    "the body has a field this request does not take",
			    json_pack("{s:s}", "field", f));
		if (json_is_null(v))
			continue;
		if (!json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v))
			return bad_field(req, "invalid_type",
			    "a field has the wrong type", ks->strdup(req, f));
		if (json_string_length(v) < party_keys[i].min ||
		    json_string_length(v) > party_keys[i].max)
			return ks->fail_detail(req, 400, "invalid_length",
			    "a text is too short or too long", json_pack(
			    "{s:s,s:I,s:I}", "field", f, "min",
			    (json_int_t)party_keys[i].min, "max",
			    (json_int_t)party_keys[i].max));
		if (!plain_text(json_string_value(v)))
			return bad_field(req, "invalid_value",
			    "text contains control characters",
			    ks->strdup(req, f));
		slot = i == 0 ? &p->name : i == 1 ? &p->iban : i == 2 ?
		    &p->street : i == 3 ? &p->house_no : i == 4 ? &p->postcode :
		    i == 5 ? &p->town : &p->country;
		*slot = json_string_value(v);
	}
	if (p->name == NULL)
		return bad_field(req, "missing_field",
		    "a required field is missing", "creditor.name");
	if (p->town == NULL)
		return bad_field(req, "missing_field",
		    "a required field is missing", "creditor.town");
	return party_check(req, p, "creditor.");
}

static json_t *
party_json(const struct party *p)
{
	return json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s,s:s}", "name", p->name,
	    "iban", p->iban, "street", p->street, "house_no", p->house_no,
	    "postcode", p->postcode, "town", p->town, "country", p->country);
}

/* ------------------------------------------------------------ account */

static json_t *
account_json(PGresult *r)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:I,s:s}",
	    "name", PQgetvalue(r, 0, 0), "iban", PQgetvalue(r, 0, 1),
	    "bic", str_or_null(r, 0, 2), "street", str_or_null(r, 0, 3),
	    "house_no", str_or_null(r, 0, 4), "postcode",
	    str_or_null(r, 0, 5), "town", PQgetvalue(r, 0, 6), "country",
	    PQgetvalue(r, 0, 7), "version", ll(r, 0, 8), "updated_at",
	    PQgetvalue(r, 0, 9));
}

static int
account_show(struct ks_request *req)
{
	PGresult *r;

	if (!ks->has_perm(req, "payment.approve") &&
	    need_any(req, "payment.run", "payment.account") != KS_OK)
		return KS_ERROR;
	if ((r = sh_q(req, SHQ(PAY_ACCOUNT_GET), 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(req, 404, "not_found",
		    "no payment account is set for this social service");
	ks->set_etag(req, ll(r, 0, 8));
	return ks->reply(req, 200, account_json(r));
}

static const char *
body_s(struct ks_request *req, const char *name)
{
	return json_string_value(json_object_get(ks->body(req), name));
}

static int
account_put(struct ks_request *req)
{
	struct party p;
	const char *v[10];
	PGresult *cur, *r;

	p.name = body_s(req, "name");
	p.iban = body_s(req, "iban");
	p.bic = body_s(req, "bic");
	p.street = body_s(req, "street");
	p.house_no = body_s(req, "house_no");
	p.postcode = body_s(req, "postcode");
	p.town = body_s(req, "town");
	p.country = body_s(req, "country");
	if (party_check(req, &p, "") != KS_OK)
		return KS_ERROR;
	if ((cur = sh_q(req, SHQ(PAY_ACCOUNT_GET), 0, NULL)) == NULL)
		return KS_ERROR;
	v[0] = p.name; v[1] = p.iban; v[2] = p.bic; v[3] = p.street;
	v[4] = p.house_no; v[5] = p.postcode; v[6] = p.town;
	v[7] = p.country; v[8] = sh_num(req, ks->user_id(req));
	if (PQntuples(cur) == 1) {
		/* Changing the account needs its ETag. */
		if (ks->check_etag(req, ll(cur, 0, 8), account_json(cur)) !=
		    KS_OK)
			return KS_ERROR;
		v[9] = PQgetvalue(cur, 0, 8);
		r = sh_q(req, SHQ(PAY_ACCOUNT_UPDATE), 10, v);
	} else
		r = sh_q(req, SHQ(PAY_ACCOUNT_INSERT), 9, v);
	if (r == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "conflict", "someone else changed "
		    "this record; review it and apply your change again");
	if (ks->audit(req, "payment_account_set", "sh_tenant_account",
	    sh_num(req, ks->tenant_id(req)), PQntuples(cur) == 1 ?
	    account_json(cur) : NULL, account_json(r), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ll(r, 0, 8));
	return ks->reply(req, 200, account_json(r));
}

/* ---------------------------------------------------- one-off payments */

static json_t *
oneoff_json(PGresult *r, int i)
{
	json_t *cr = PQgetisnull(r, i, 4) ? json_null() :
	    json_loads(PQgetvalue(r, i, 4), 0, NULL);

	return json_pack("{s:I,s:I,s:I,s:s,s:o,s:s,s:I,s:s,s:o,s:o,s:o,s:I}",
	    "id", ll(r, i, 0), "dossier_id", ll(r, i, 1), "amount",
	    ll(r, i, 2), "text", PQgetvalue(r, i, 3), "creditor",
	    cr ? cr : json_null(), "status", PQgetvalue(r, i, 5),
	    "created_by", ll(r, i, 6), "created_at", PQgetvalue(r, i, 7),
	    "approved_by", int_or_null(r, i, 8), "approved_at",
	    str_or_null(r, i, 9), "run_id", int_or_null(r, i, 10),
	    "version", ll(r, i, 11));
}

static int
active(const char *state)
{
	return strcmp(state, "ongoing") == 0 || strcmp(state, "review") == 0;
}

static int
oneoff_create(struct ks_request *req)
{
	json_t *b = ks->body(req), *cj = json_object_get(b, "creditor");
	const char *v[5];
	struct party p;
	PGresult *d, *r;
	int64_t id;
	char *cs = NULL;

	if ((d = dossier(req, &id)) == NULL)
		return KS_ERROR;
	if (!active(PQgetvalue(d, 0, 1)))
		return ks->fail_detail(req, 409, "dossier_not_active",
		    "payments are made only while a dossier is supported",
		    json_pack("{s:s}", "state", PQgetvalue(d, 0, 1)));
	if (json_is_object(cj)) {
		json_t *pj;

		if (party_from_json(req, cj, &p) != KS_OK)
			return KS_ERROR;
		pj = party_json(&p);
		cs = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(pj);
		if (cs == NULL)
			abort();
	}
	v[0] = sh_num(req, id);
	v[1] = sh_num(req, json_integer_value(json_object_get(b, "amount")));
	v[2] = json_string_value(json_object_get(b, "text"));
	v[3] = cs ? ks->strdup(req, cs) : NULL;
	v[4] = sh_num(req, ks->user_id(req));
	free(cs);
	if (!plain_text(v[2]))
		return bad_field(req, "invalid_value",
		    "text contains control characters", "text");
	if ((r = sh_q(req, SHQ(PAY_ONEOFF_INSERT), 5, v)) == NULL ||
	    ks->audit(req, "one_off_payment_proposed", "sh_one_off",
	    PQgetvalue(r, 0, 0), NULL, oneoff_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ll(r, 0, 11));
	return ks->reply(req, 201, oneoff_json(r, 0));
}

/* {"items", "next"} of statement q over dossier {id}, a page at a time. */
static int
dossier_page(struct ks_request *req, int q, json_t *(*row)(PGresult *, int))
{
	const char *v[3];
	long long n;
	PGresult *r;
	json_t *items;
	int64_t id;
	int i;

	if (ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    dossier(req, &id) == NULL)
		return KS_ERROR;
	v[0] = sh_num(req, id);
	if ((r = sh_q(req, q, 3, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, row(r, i));
	return ks->reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", next_cursor(r, n)));
}

static int
oneoff_list(struct ks_request *req)
{
	return dossier_page(req, SHQ(PAY_ONEOFF_LIST), oneoff_json);
}

static int
oneoff_approve(struct ks_request *req)
{
	const char *v[2];
	PGresult *b, *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	v[0] = sh_num(req, id);
	v[1] = sh_num(req, ks->user_id(req));
	if ((b = sh_q(req, SHQ(PAY_ONEOFF_LOCK), 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(b) != 1)
		return ks->fail(req, 404, "not_found",
		    "no such one-off payment");
	if (sh_access(req, b, 1) != 0)
		return KS_ERROR;
	if (strcmp(PQgetvalue(b, 0, 5), "proposed") != 0)
		return ks->fail_detail(req, 409, "invalid_state",
		    "this payment is already approved", json_pack("{s:o}",
		    "current", oneoff_json(b, 0)));
	if (ll(b, 0, 6) == ks->user_id(req))
		return ks->fail(req, 403, "four_eyes_required",
		    "a payment is approved by someone other than who "
		    "proposed it");
	if ((r = sh_q(req, SHQ(PAY_ONEOFF_APPROVE), 2, v)) == NULL ||
	    ks->audit(req, "one_off_payment_approved", "sh_one_off", v[0],
	    oneoff_json(b, 0), oneoff_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ll(r, 0, 11));
	return ks->reply(req, 200, oneoff_json(r, 0));
}

/* --------------------------------------------------------------- runs */

/* Columns of pay_run_get / _lock / _list. */
enum { R_ID, R_MONTH, R_STATUS, R_EXEC, R_CBY, R_CAT, R_ABY, R_AAT, R_MSG,
	R_CTS, R_DEBTOR, R_XAT, R_XBY, R_SHA, R_VERSION };

static json_t *
run_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:I}", "id", ll(r, i, R_ID), "month", PQgetvalue(r, i, R_MONTH),
	    "status", PQgetvalue(r, i, R_STATUS), "execution_date",
	    PQgetvalue(r, i, R_EXEC), "created_by", ll(r, i, R_CBY),
	    "created_at", PQgetvalue(r, i, R_CAT), "approved_by",
	    int_or_null(r, i, R_ABY), "approved_at", str_or_null(r, i, R_AAT),
	    "message_id", str_or_null(r, i, R_MSG), "exported_at",
	    str_or_null(r, i, R_XAT), "exported_by", int_or_null(r, i, R_XBY),
	    "file_sha256", str_or_null(r, i, R_SHA), "version",
	    ll(r, i, R_VERSION));
}

/* Counts and sums of a run's lines, by kind and status. */
static json_t *
run_summary(struct ks_request *req, const char *run)
{
	const char *v[1] = { run };
	json_int_t n = 0, total = 0, held = 0, held_total = 0, c, s;
	json_t *kinds = json_object(), *st = json_object(), *k;
	PGresult *r;
	int i;

	if ((r = sh_q(req, SHQ(PAY_RUN_SUMMARY), 1, v)) == NULL) {
		json_decref(kinds);
		json_decref(st);
		return NULL;
	}
	for (i = 0; i < PQntuples(r); i++) {
		c = ll(r, i, 2);
		s = ll(r, i, 3);
		json_object_set_new(st, PQgetvalue(r, i, 1), json_integer(c +
		    json_integer_value(json_object_get(st,
		    PQgetvalue(r, i, 1)))));
		if (strcmp(PQgetvalue(r, i, 1), "held") == 0) {
			held += c;
			held_total += s;
			continue;
		}
		n += c;
		total += s;
		if ((k = json_object_get(kinds, PQgetvalue(r, i, 0))) == NULL) {
			k = json_pack("{s:I,s:I}", "count", (json_int_t)0,
			    "total", (json_int_t)0);
			json_object_set_new(kinds, PQgetvalue(r, i, 0), k);
		}
		json_object_set_new(k, "count", json_integer(c +
		    json_integer_value(json_object_get(k, "count"))));
		json_object_set_new(k, "total", json_integer(s +
		    json_integer_value(json_object_get(k, "total"))));
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "lines", n, "total",
	    total, "held", held, "held_total", held_total, "by_kind", kinds,
	    "by_status", st);
}

static PGresult *
run_get(struct ks_request *req, int64_t *id, int lock)
{
	const char *v[1];
	PGresult *r;

	if (ks->param_id(req, "id", id) != KS_OK)
		return NULL;
	v[0] = sh_num(req, *id);
	if ((r = sh_q(req, lock ? SHQ(PAY_RUN_LOCK) : SHQ(PAY_RUN_GET), 1,
	    v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such payment run");
		return NULL;
	}
	return r;
}

/* The run with its summary, freshly read. */
static json_t *
run_full(struct ks_request *req, const char *id)
{
	const char *v[1] = { id };
	json_t *j, *s;
	PGresult *r;

	if ((r = sh_q(req, SHQ(PAY_RUN_GET), 1, v)) == NULL ||
	    PQntuples(r) != 1 || (s = run_summary(req, id)) == NULL)
		return NULL;
	j = run_json(r, 0);
	json_object_set_new(j, "summary", s);
	ks->set_etag(req, ll(r, 0, R_VERSION));
	return j;
}

/* "YYYY-MM" with a plausible year; *first is the month's first day. */
static int
parse_month(struct ks_request *req, const char *m, const char **first)
{
	char buf[16];
	int y, mo;

	if (m == NULL || strlen(m) != 7 || m[4] != '-' ||
	    strspn(m, "0123456789") != 4 || strspn(m + 5, "0123456789") != 2)
		return bad_field(req, "invalid_value",
		    "a month is written YYYY-MM", "month");
	y = atoi(m);
	mo = atoi(m + 5);
	if (y < 2000 || y > 2199 || mo < 1 || mo > 12)
		return bad_field(req, "invalid_value",
		    "a month is written YYYY-MM", "month");
	snprintf(buf, sizeof(buf), "%.7s-01", m);
	*first = ks->strdup(req, buf);
	return KS_OK;
}

/*
 * Hold the lines whose IBAN fails the mod-97 check or is a QR-IBAN: the
 * database checks only the form. One statement for the whole run.
 */
static int
hold_bad_ibans(struct ks_request *req, const char *run)
{
	const char *v[3] = { run, NULL, NULL };
	char norm[KS_IBAN_BUFLEN], *ids, *probs;
	size_t il = 2, pl = 2, io = 0, po = 0;
	PGresult *r;
	int i, bad = 0, q;

	if ((r = sh_q(req, SHQ(PAY_RUN_OPEN_IBANS), 1, v)) == NULL)
		return KS_ERROR;
	il += (size_t)PQntuples(r) * 21;
	pl += (size_t)PQntuples(r) * 14;
	ids = ks->alloc(req, il);
	probs = ks->alloc(req, pl);
	ids[io++] = '{';
	probs[po++] = '{';
	for (i = 0; i < PQntuples(r); i++) {
		q = 0;
		if (ks->iban_valid(PQgetvalue(r, i, 1), norm, sizeof(norm)) != 1)
			q = 1;
		else if (ks->iban_is_qr(norm))
			q = 2;
		if (q == 0)
			continue;
		io += (size_t)snprintf(ids + io, il - io, "%s%s", bad ? "," : "",
		    PQgetvalue(r, i, 0));
		po += (size_t)snprintf(probs + po, pl - po, "%s%s",
		    bad ? "," : "", q == 1 ? "invalid_iban" : "qr_iban");
		bad++;
	}
	if (bad == 0)
		return KS_OK;
	ids[io] = '}';
	probs[po] = '}';
	v[1] = ids;
	v[2] = probs;
	return sh_q(req, SHQ(PAY_RUN_HOLD), 3, v) == NULL ? KS_ERROR : KS_OK;
}

static int
run_create(struct ks_request *req)
{
	const char *month = body_s(req, "month"), *first = NULL, *v[3];
	const char *exec = body_s(req, "execution_date");
	PGresult *r;
	json_t *j;

	if (parse_month(req, month, &first) != KS_OK)
		return KS_ERROR;
	v[0] = first;
	v[1] = exec ? exec : first;
	v[2] = sh_num(req, ks->user_id(req));
	if ((r = sh_q(req, SHQ(PAY_RUN_INSERT), 3, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		/* One regular run per month: answer with the one there is. */
		if ((r = sh_q(req, SHQ(PAY_RUN_BY_MONTH), 1, v)) == NULL ||
		    PQntuples(r) != 1 ||
		    (j = run_full(req, PQgetvalue(r, 0, 0))) == NULL)
			return KS_ERROR;
		return ks->fail_detail(req, 409, "run_exists", "there is a "
		    "payment run for this month already", json_pack("{s:o}",
		    "run", j));
	}
	v[0] = PQgetvalue(r, 0, 0);
	v[1] = first;
	v[2] = month;
	if (sh_q(req, SHQ(PAY_RUN_LINES_CREATE), 3, v) == NULL ||
	    hold_bad_ibans(req, v[0]) != KS_OK ||
	    sh_q(req, SHQ(PAY_RUN_ONEOFFS_TAKE), 1, v) == NULL ||
	    (j = run_full(req, v[0])) == NULL)
		return KS_ERROR;
	if (ks->audit(req, "payment_run_created", "sh_payment_run", v[0],
	    NULL, json_incref(j), NULL) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	return ks->reply(req, 201, j);
}

static int
runs_list(struct ks_request *req)
{
	const char *v[2];
	long long n;
	PGresult *r;
	json_t *items;
	int i;

	if (need_any(req, "payment.run", "payment.approve") != KS_OK ||
	    ks->page(req, &v[0], &v[1], &n) != KS_OK ||
	    (r = sh_q(req, SHQ(PAY_RUN_LIST), 2, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, run_json(r, i));
	return ks->reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", next_cursor(r, n)));
}

static json_t *
line_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:I,s:I,s:{s:s,s:o,s:o,s:o,s:o,s:o,"
	    "s:o},s:s,s:s,s:s,s:o,s:o,s:o}", "id", ll(r, i, 0), "dossier_id",
	    ll(r, i, 1), "kind", PQgetvalue(r, i, 2), "source_id", ll(r, i, 3),
	    "amount", ll(r, i, 4), "creditor", "name", PQgetvalue(r, i, 5),
	    "street", str_or_null(r, i, 6), "house_no", str_or_null(r, i, 7),
	    "postcode", str_or_null(r, i, 8), "town", str_or_null(r, i, 9),
	    "country", str_or_null(r, i, 10), "iban", str_or_null(r, i, 11),
	    "text", PQgetvalue(r, i, 12), "end_to_end_id",
	    PQgetvalue(r, i, 13), "status", PQgetvalue(r, i, 14), "problem",
	    str_or_null(r, i, 15), "booked_on", str_or_null(r, i, 16),
	    "return_reason", str_or_null(r, i, 17));
}

static int
run_show(struct ks_request *req)
{
	const char *v[3];
	long long n;
	PGresult *r;
	json_t *j, *items;
	int64_t id;
	int i;

	if (need_any(req, "payment.run", "payment.approve") != KS_OK ||
	    ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    run_get(req, &id, 0) == NULL)
		return KS_ERROR;
	v[0] = sh_num(req, id);
	if ((j = run_full(req, v[0])) == NULL)
		return KS_ERROR;
	if ((r = sh_q(req, SHQ(PAY_RUN_LINES), 3, v)) == NULL) {
		json_decref(j);
		return KS_ERROR;
	}
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, line_json(r, i));
	json_object_set_new(j, "lines", items);
	json_object_set_new(j, "next", next_cursor(r, n));
	return ks->reply(req, 200, j);
}

static int
run_approve(struct ks_request *req)
{
	const char *v[2];
	PGresult *b, *a;
	json_t *s, *j;
	int64_t id;

	if ((b = run_get(req, &id, 1)) == NULL)
		return KS_ERROR;
	v[0] = sh_num(req, id);
	v[1] = sh_num(req, ks->user_id(req));
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "draft") != 0)
		return ks->fail(req, 409, "invalid_state",
		    "this payment run is approved already");
	if (ll(b, 0, R_CBY) == ks->user_id(req))
		return ks->fail(req, 403, "four_eyes_required",
		    "a payment run is approved by someone other than who "
		    "created it");
	if ((a = sh_q(req, SHQ(PAY_ACCOUNT_GET), 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(a) != 1)
		return ks->fail(req, 409, "payment_account_missing",
		    "the social service has no payment account yet; its "
		    "administrator sets one");
	if ((s = run_summary(req, v[0])) == NULL)
		return KS_ERROR;
	if (json_integer_value(json_object_get(s, "lines")) == 0) {
		json_decref(s);
		return ks->fail(req, 409, "nothing_to_pay",
		    "this run has no payment that could be made");
	}
	json_decref(s);
	if (sh_q(req, SHQ(PAY_RUN_APPROVE), 2, v) == NULL ||
	    (j = run_full(req, v[0])) == NULL)
		return KS_ERROR;
	if (ks->audit(req, "payment_run_approved", "sh_payment_run", v[0],
	    run_json(b, 0), json_incref(j), NULL) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	return ks->reply(req, 200, j);
}

static int
run_delete(struct ks_request *req)
{
	const char *v[1];
	PGresult *b, *r;
	int64_t id;

	if ((b = run_get(req, &id, 1)) == NULL)
		return KS_ERROR;
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "draft") != 0)
		return ks->fail(req, 409, "invalid_state",
		    "an approved payment run cannot be discarded");
	v[0] = sh_num(req, id);
	if ((r = sh_q(req, SHQ(PAY_RUN_DELETE), 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "invalid_state",
		    "the payment run changed meanwhile");
	if (ks->audit(req, "payment_run_discarded", "sh_payment_run", v[0],
	    run_json(b, 0), NULL, NULL) != KS_OK)
		return KS_ERROR;
	return ks->reply(req, 204, NULL);
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Fill the pain.001 run from the frozen run row and its lines. */
static int
iso_run(struct ks_request *req, PGresult *run, PGresult *l, json_t *debtor,
    struct ks_iso_run *x)
{
	struct ks_iso_payment *p;
	int i, n = PQntuples(l);

	memset(x, 0, sizeof(*x));
	x->msg_id = PQgetvalue(run, 0, R_MSG);
	x->created = PQgetvalue(run, 0, R_CTS);
	x->exec_date = PQgetvalue(run, 0, R_EXEC);
	x->debtor.name = jstr(debtor, "name");
	x->debtor.iban = jstr(debtor, "iban");
	x->debtor.bic = jstr(debtor, "bic");
	x->debtor.addr.street = jstr(debtor, "street");
	x->debtor.addr.building = jstr(debtor, "house_no");
	x->debtor.addr.postcode = jstr(debtor, "postcode");
	x->debtor.addr.town = jstr(debtor, "town");
	x->debtor.addr.country = jstr(debtor, "country");
	x->charset = KS_ISO_CHARSET_REPLACE;
	p = ks->alloc(req, sizeof(*p) * (size_t)(n > 0 ? n : 1));
	for (i = 0; i < n; i++) {
		p[i].end_to_end_id = PQgetvalue(l, i, 10);
		p[i].instr_id = PQgetvalue(l, i, 10);
		p[i].amount = (int64_t)ll(l, i, 1);
		p[i].currency = "CHF";
		p[i].creditor_name = PQgetvalue(l, i, 2);
		p[i].creditor_addr.street = str(l, i, 3);
		p[i].creditor_addr.building = str(l, i, 4);
		p[i].creditor_addr.postcode = str(l, i, 5);
		p[i].creditor_addr.town = str(l, i, 6);
		p[i].creditor_addr.country = str(l, i, 7);
		p[i].creditor_iban = PQgetvalue(l, i, 8);
		p[i].ustrd = PQgetvalue(l, i, 9);
	}
	x->payments = p;
	x->npayments = (size_t)n;
	return KS_OK;
}

/*
 * Validate against the SPS schema when the deployment has it; the
 * answer's X-Kasus-Schema header says which ("valid" or "unchecked").
 */
static int
pain_validate(struct ks_request *req, const char *xml, size_t len)
{
	char path[1024], err[256];

	snprintf(path, sizeof(path), "%s%s", ks->root(), PAIN_XSD);
	if (access(path, R_OK) != 0) {
		ks->header(req, "X-Kasus-Schema", "unchecked");
		return KS_OK;
	}
	if (ks->xml_validate(xml, len, path, err, sizeof(err)) != 0) {
		ks->log(3, "payment file fails the SPS schema: %s", err);
		return ks->fail_detail(req, 500, "export_invalid",
		    "the payment file does not pass the bank schema",
		    json_pack("{s:s}", "problem", err));
	}
	ks->header(req, "X-Kasus-Schema", "valid");
	return KS_OK;
}

static int
run_export(struct ks_request *req)
{
	struct ks_iso_run x;
	const char *v[3];
	char err[256], sha[65], *xml = NULL;
	size_t len;
	PGresult *b, *l;
	json_t *debtor;
	int64_t id;
	int rc, first;

	/* Locked: two first exports must not both book the ledger. */
	if ((b = run_get(req, &id, 1)) == NULL)
		return KS_ERROR;
	if (strcmp(PQgetvalue(b, 0, R_STATUS), "approved") != 0)
		return ks->fail(req, 409, "run_not_approved",
		    "only an approved payment run can be exported");
	v[0] = sh_num(req, id);
	if ((l = sh_q(req, SHQ(PAY_RUN_EXPORT_LINES), 1, v)) == NULL)
		return KS_ERROR;
	if ((debtor = json_loads(PQgetvalue(b, 0, R_DEBTOR), 0, NULL)) == NULL)
		return ks->fail(req, 500, "internal_error",
		    "the run's debtor cannot be read");
	iso_run(req, b, l, debtor, &x);
	rc = ks->pain001_write(&x, &xml, &len, err, sizeof(err));
	json_decref(debtor);
	if (rc != 0) {
		ks->log(3, "payment run %lld not written: %s", (long long)id,
		    err);
		return ks->fail_detail(req, 409, "export_refused",
		    "the payment file cannot be written",
		    json_pack("{s:s}", "problem", err));
	}
	ks->sha256_hex(xml, len, sha);
	first = PQgetisnull(b, 0, R_SHA);
	if (!first && strcmp(sha, PQgetvalue(b, 0, R_SHA)) != 0) {
		ks->free(xml);
		ks->log(3, "payment run %lld: file differs from its first "
		    "export", (long long)id);
		return ks->fail(req, 500, "export_mismatch", "the payment "
		    "file would differ from the one exported before");
	}
	if (pain_validate(req, xml, len) != KS_OK) {
		ks->free(xml);
		return KS_ERROR;
	}
	v[1] = sh_num(req, ks->user_id(req));
	v[2] = sha;
	if ((first && sh_q(req, SHQ(PAY_RUN_MARK_EXPORTED), 3, v) == NULL) ||
	    ks->audit(req, "payment_run_exported", "sh_payment_run", v[0],
	    NULL, NULL, json_pack("{s:s,s:b,s:I}", "sha256", sha, "first",
	    first, "payments", (json_int_t)PQntuples(l))) != KS_OK) {
		ks->free(xml);
		return KS_ERROR;
	}
	snprintf(err, sizeof(err), "attachment; filename=\"%s.xml\"",
	    PQgetvalue(b, 0, R_MSG));
	ks->header(req, "Content-Disposition", ks->strdup(req, err));
	rc = ks->raw(req, 200, "application/xml", xml, len);
	ks->free(xml);
	return rc;
}

/* ------------------------------------------------------ reconciliation */

/*
 * Streamed upload: the pieces are collected in the request's body buffer
 * (the core leaves it unused for streamed routes and frees it). The core
 * limits the total to the route's body_limit before calling this.
 */
static int
camt_chunk(struct ks_request *req, const char *data, size_t n)
{
	size_t off = req->body_len - n, cap = req->body_cap;
	char *p;

	if (req->body_raw == NULL || off + n > cap) {
		if (req->body_raw == NULL && cap < n)
			cap = n;
		if (off + n > cap)
			cap = cap * 2 > off + n ? cap * 2 : off + n;
		if (cap > CAMT_LIMIT)
			cap = CAMT_LIMIT;
		if ((p = realloc(req->body_raw, cap + 1)) == NULL)
			abort();
		req->body_raw = p;
		req->body_cap = cap;
	}
	memcpy(req->body_raw + off, data, n);
	req->body_raw[off + n] = '\0';
	return KS_OK;
}

struct tally {
	int	 entries, matched, booked, returned, repayments, pending,
		 duplicates, unmatched;
	json_t	*list;
};

static const char *
nz(struct ks_request *req, const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

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

/* Match one transaction against payment lines; outcome or NULL. */
static const char *
match_line(struct ks_request *req, const struct ks_iso_camt_entry *e,
    const char **reason, const char **line, struct tally *t)
{
	const char *v[3];
	PGresult *l;

	v[0] = e->end_to_end_id;
	if ((l = sh_q(req, SHQ(PAY_LINE_BY_E2E), 1, v)) == NULL)
		return "";
	if (PQntuples(l) != 1)
		return NULL;
	*line = PQgetvalue(l, 0, 0);
	if (strcmp(PQgetvalue(l, 0, 4), "t") != 0) {
		*reason = "run_not_exported";
		return "unmatched";
	}
	if (*e->return_reason != '\0' || e->reversal) {
		v[0] = *line;
		v[1] = *e->return_reason ? e->return_reason : "RVSL";
		v[2] = nz(req, e->booking_date);
		if (strcmp(PQgetvalue(l, 0, 1), "returned") != 0 &&
		    sh_q(req, SHQ(PAY_LINE_RETURNED), 3, v) == NULL)
			return "";
		t->matched++;
		t->returned++;
		return "returned";
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
	v[1] = nz(req, e->booking_date);
	if (sh_q(req, SHQ(PAY_LINE_BOOKED), 2, v) == NULL)
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
	const char *v[6];
	PGresult *c;

	if (e->cdi != KS_ISO_CRDT || *e->creditor_ref == '\0' ||
	    e->status != KS_ISO_STS_BOOK || e->reversal)
		return NULL;
	v[0] = ref_norm(req, e->creditor_ref);
	if ((c = sh_q(req, SHQ(PAY_CLAIM_BY_REF), 1, v)) == NULL)
		return "";
	if (PQntuples(c) != 1)
		return NULL;
	*claim = PQgetvalue(c, 0, 0);
	if (strcmp(e->currency, "CHF") != 0 ||
	    e->amount > (int64_t)(ll(c, 0, 2) - ll(c, 0, 6)) || e->amount <= 0) {
		*reason = "exceeds_claim";
		return "unmatched";
	}
	v[0] = *claim;
	v[1] = sh_num(req, e->amount);
	v[2] = nz(req, e->booking_date) ? e->booking_date : sh_today(req);
	v[3] = "bank";
	v[4] = bank_id;
	v[5] = sh_num(req, ks->user_id(req));
	if (sh_q(req, SHQ(PAY_REPAYMENT_BOOK), 6, v) == NULL)
		return "";
	t->repayments++;
	return "repayment";
}

static int
reconcile_one(struct ks_request *req, const struct ks_iso_camt_entry *e,
    size_t pos, const char *file_sha, struct tally *t)
{
	const char *v[11], *out = NULL, *reason = NULL, *line = NULL;
	const char *claim = NULL, *cdi = e->cdi == KS_ISO_CRDT ? "CRDT" :
	    "DBIT", *id;
	char key[65], *src;
	json_t *kj;
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
	v[3] = sh_num(req, e->amount);
	v[4] = e->currency;
	v[5] = e->status_code;
	v[6] = nz(req, e->booking_date);
	v[7] = nz(req, e->end_to_end_id);
	v[8] = nz(req, e->creditor_ref);
	v[9] = nz(req, e->return_reason);
	v[10] = sh_num(req, ks->user_id(req));
	if ((r = sh_q(req, SHQ(PAY_BANK_INSERT), 11, v)) == NULL)
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
	if (strcmp(out, "unmatched") == 0) {
		t->unmatched++;
		if (json_array_size(t->list) < UNMATCHED_MAX)
			json_array_append_new(t->list, json_pack("{s:s,s:I,"
			    "s:s,s:s,s:I,s:s,s:s,s:o,s:o,s:o,s:s}", "id", id,
			    "position", (json_int_t)pos + 1, "cdi", cdi,
			    "status", e->status_code, "amount",
			    (json_int_t)e->amount, "currency", e->currency,
			    "booking_date", e->booking_date, "end_to_end_id",
			    v[7] ? json_string(v[7]) : json_null(),
			    "reference", v[8] ? json_string(v[8]) : json_null(),
			    "return_reason", v[9] ? json_string(v[9]) :
			    json_null(), "reason", reason));
	}
	v[0] = id;
	v[1] = out;
	v[2] = reason;
	v[3] = line;
	v[4] = claim;
	return sh_q(req, SHQ(PAY_BANK_OUTCOME), 5, v) == NULL ? KS_ERROR :
	    KS_OK;
}

static int
xml_type(struct ks_request *req)
{
	const char *ct = MHD_lookup_connection_value(req->conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	return ct != NULL && (strncasecmp(ct, "application/xml", 15) == 0 ||
	    strncasecmp(ct, "text/xml", 8) == 0);
}

static int
reconcile(struct ks_request *req)
{
	struct ks_iso_camt_entry *es = NULL;
	struct tally t;
	char err[256], sha[65];
	size_t n = 0, i;
	int rc = KS_OK;

	if (req->body_raw == NULL || req->body_len == 0)
		return ks->fail(req, 400, "missing_body",
		    "send the camt.054 notification as the body");
	if (!xml_type(req))
		return ks->fail(req, 415, "unsupported_media_type",
		    "send the notification as application/xml");
	if (ks->camt054_parse(req->body_raw, req->body_len, &es, &n, err,
	    sizeof(err)) != 0)
		return ks->fail_detail(req, 400, "invalid_camt",
		    "the file is not a camt.054.001.08 notification",
		    json_pack("{s:s}", "problem", err));
	ks->sha256_hex(req->body_raw, req->body_len, sha);
	memset(&t, 0, sizeof(t));
	t.list = json_array();
	for (i = 0; i < n && rc == KS_OK; i++)
		rc = reconcile_one(req, &es[i], i, sha, &t);
	ks->camt054_free(es, n);
	if (rc != KS_OK || ks->audit(req, "bank_file_reconciled", "bank_file",
	    sha, NULL, NULL, json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "entries",
	    t.entries, "booked", t.booked, "returned", t.returned,
	    "repayments", t.repayments, "duplicates", t.duplicates,
	    "unmatched", t.unmatched)) != KS_OK) {
		json_decref(t.list);
		return KS_ERROR;
	}
	return ks->reply(req, 200, json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:i,"
	    "s:i,s:i,s:o}", "file_sha256", sha, "entries", t.entries,
	    "matched", t.matched, "booked", t.booked, "returned", t.returned,
	    "repayments", t.repayments, "pending", t.pending, "duplicates",
	    t.duplicates, "unmatched_count", t.unmatched, "unmatched",
	    t.list));
}

static int
bank_entries(struct ks_request *req)
{
	const char *v[3], *o = ks->query(req, "outcome");
	static const char *const outcomes[] = { "booked", "returned",
	    "repayment", "pending", "unmatched", NULL };
	long long n;
	PGresult *r;
	json_t *items;
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
	if (ks->page(req, &v[1], &v[2], &n) != KS_OK)
		return KS_ERROR;
	v[0] = o;
	if ((r = sh_q(req, SHQ(PAY_BANK_LIST), 3, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:I,s:s,s:s,"
		    "s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:s}", "id", ll(r, i, 0),
		    "cdi", PQgetvalue(r, i, 1), "amount", ll(r, i, 2),
		    "currency", PQgetvalue(r, i, 3), "status",
		    PQgetvalue(r, i, 4), "booking_date", str_or_null(r, i, 5),
		    "end_to_end_id", str_or_null(r, i, 6), "reference",
		    str_or_null(r, i, 7), "return_reason",
		    str_or_null(r, i, 8), "outcome", PQgetvalue(r, i, 9),
		    "reason", str_or_null(r, i, 10), "line_id",
		    int_or_null(r, i, 11), "claim_id", int_or_null(r, i, 12),
		    "uploaded_at", PQgetvalue(r, i, 13)));
	return ks->reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", next_cursor(r, n)));
}

/* ---------------------------------------------- claims and repayments */

static json_t *
claim_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:I,s:s,s:I,s:s,s:I,s:I,s:s,s:I,s:s,s:I}",
	    "id", ll(r, i, 0), "dossier_id", ll(r, i, 1), "amount",
	    ll(r, i, 2), "reason", PQgetvalue(r, i, 3), "instalment",
	    ll(r, i, 4), "reference", PQgetvalue(r, i, 5), "repaid",
	    ll(r, i, 6), "open", ll(r, i, 2) - ll(r, i, 6), "status",
	    PQgetvalue(r, i, 7), "created_by", ll(r, i, 8), "created_at",
	    PQgetvalue(r, i, 9), "version", ll(r, i, 10));
}

static int
claim_create(struct ks_request *req)
{
	json_t *b = ks->body(req);
	json_int_t amount = json_integer_value(json_object_get(b, "amount"));
	json_int_t inst = json_integer_value(json_object_get(b,
	    "instalment"));
	const char *v[5];
	PGresult *r;
	int64_t id;

	if (dossier(req, &id) == NULL)
		return KS_ERROR;
	if (inst > amount)
		return bad_field(req, "invalid_value", "an instalment is not "
		    "larger than the claim", "instalment");
	v[0] = sh_num(req, id);
	v[1] = sh_num(req, amount);
	v[2] = body_s(req, "reason");
	v[3] = sh_num(req, inst);
	v[4] = sh_num(req, ks->user_id(req));
	if (!plain_text(v[2]))
		return bad_field(req, "invalid_value",
		    "text contains control characters", "reason");
	if ((r = sh_q(req, SHQ(PAY_CLAIM_INSERT), 5, v)) == NULL ||
	    ks->audit(req, "claim_created", "sh_claim", PQgetvalue(r, 0, 0),
	    NULL, claim_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ll(r, 0, 10));
	return ks->reply(req, 201, claim_json(r, 0));
}

static int
claim_list(struct ks_request *req)
{
	return dossier_page(req, SHQ(PAY_CLAIM_LIST), claim_json);
}

static int
repayment_create(struct ks_request *req)
{
	json_t *b = ks->body(req);
	json_int_t amount = json_integer_value(json_object_get(b, "amount"));
	const char *v[6];
	PGresult *c, *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	v[0] = sh_num(req, id);
	if ((c = sh_q(req, SHQ(PAY_CLAIM_LOCK), 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(c) != 1)
		return ks->fail(req, 404, "not_found", "no such claim");
	if (sh_access(req, c, 1) != 0)
		return KS_ERROR;
	if (amount > ll(c, 0, 2) - ll(c, 0, 6))
		return ks->fail_detail(req, 409, "exceeds_claim",
		    "the repayment is larger than what is still owed",
		    json_pack("{s:I}", "open", ll(c, 0, 2) - ll(c, 0, 6)));
	v[1] = sh_num(req, amount);
	v[2] = body_s(req, "date");
	v[3] = "manual";
	v[4] = NULL;
	v[5] = sh_num(req, ks->user_id(req));
	if (sh_q(req, SHQ(PAY_REPAYMENT_BOOK), 6, v) == NULL ||
	    (r = sh_q(req, SHQ(PAY_CLAIM_LOCK), 1, v)) == NULL ||
	    ks->audit(req, "claim_repayment_booked", "sh_claim", v[0],
	    claim_json(c, 0), claim_json(r, 0), json_pack("{s:I,s:s}",
	    "amount", amount, "date", v[2])) != KS_OK)
		return KS_ERROR;
	ks->set_etag(req, ll(r, 0, 10));
	return ks->reply(req, 201, claim_json(r, 0));
}

/* ------------------------------------------------------------- ledger */

static int
ledger_show(struct ks_request *req)
{
	const char *v[3];
	long long n;
	PGresult *r, *t;
	json_t *items;
	int64_t id;
	int i;

	if (ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    dossier(req, &id) == NULL)
		return KS_ERROR;
	v[0] = sh_num(req, id);
	if ((r = sh_q(req, SHQ(PAY_LEDGER_LIST), 3, v)) == NULL ||
	    (t = sh_q(req, SHQ(PAY_LEDGER_TOTALS), 1, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:I,s:s,"
		    "s:o,s:s}", "id", ll(r, i, 0), "booked_on",
		    PQgetvalue(r, i, 1), "kind", PQgetvalue(r, i, 2), "amount",
		    ll(r, i, 3), "text", PQgetvalue(r, i, 4), "ref",
		    str_or_null(r, i, 5), "created_at", PQgetvalue(r, i, 6)));
	return ks->reply(req, 200, json_pack("{s:o,s:o,s:I,s:I}", "items",
	    items, "next", next_cursor(r, n), "balance", ll(t, 0, 0),
	    "claims_open", ll(t, 0, 1)));
}

/* -------------------------------------------------------------- tables */

static const struct ks_field account_body[] = {
	{ "name", KS_F_STRING, 1, 1, 70, "account holder" },
	{ "iban", KS_F_STRING, 1, 15, 42, "not a QR-IBAN" },
	{ "bic", KS_F_STRING, 0, 8, 11, NULL },
	{ "street", KS_F_STRING, 0, 1, 70, NULL },
	{ "house_no", KS_F_STRING, 0, 1, 16, NULL },
	{ "postcode", KS_F_STRING, 0, 1, 16, NULL },
	{ "town", KS_F_STRING, 1, 1, 35, NULL },
	{ "country", KS_F_STRING, 1, 2, 2, "ISO 3166 alpha-2" },
	END_FIELDS
};
static const struct ks_field oneoff_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "text", KS_F_STRING, 1, 1, 140, "payment text" },
	{ "creditor", KS_F_OBJECT, 0, 0, 0, "name, iban, street, house_no, "
	    "postcode, town, country; absent: the applicant" },
	END_FIELDS
};
static const struct ks_field run_body[] = {
	{ "month", KS_F_STRING, 1, 7, 7, "YYYY-MM" },
	{ "execution_date", KS_F_DATE, 0, 0, 0,
	    "default the first of the month, at least the approval day" },
	END_FIELDS
};
static const struct ks_field claim_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "reason", KS_F_STRING, 1, 1, 500, NULL },
	{ "instalment", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen per month" },
	END_FIELDS
};
static const struct ks_field repayment_body[] = {
	{ "amount", KS_F_INT, 1, 1, MAX_AMOUNT, "Rappen" },
	{ "date", KS_F_DATE, 1, 0, 0, NULL },
	END_FIELDS
};

#define P	"/api/v1/payment-runs"
#define C	"/api/v1/cases/{id}"
#define KB	(16 * 1024)

const struct ks_route sh_payment_routes[] = {
	{ "GET", "/api/v1/payment-account", NULL, 0, NULL, 0, account_show,
	    "the account payments are made from", NULL, NULL },
	{ "PUT", "/api/v1/payment-account", "payment.account", KB,
	    account_body, KS_R_ETAG, account_put,
	    "set the payment account (If-Match once it exists)", NULL, NULL },
	{ "POST", C "/one-off-payments", "case.write", KB, oneoff_body, 0,
	    oneoff_create, "propose a one-off payment", NULL, NULL },
	{ "GET", C "/one-off-payments", "case.read", 0, NULL, KS_R_PAGED,
	    oneoff_list, "one-off payments of a dossier", NULL, NULL },
	{ "POST", "/api/v1/one-off-payments/{id}/approve", "case.approve", 0,
	    NULL, 0, oneoff_approve,
	    "approve a one-off payment (not its proposer)", NULL, NULL },
	{ "POST", P, "payment.run", KB, run_body, 0, run_create,
	    "create the payment run of a month", NULL, NULL },
	{ "GET", P, NULL, 0, NULL, KS_R_PAGED, runs_list,
	    "payment runs, newest first", NULL, NULL },
	{ "GET", P "/{id}", NULL, 0, NULL, KS_R_PAGED, run_show,
	    "a payment run with its lines (cursor)", NULL, NULL },
	{ "DELETE", P "/{id}", "payment.run", 0, NULL, 0, run_delete,
	    "discard a draft run", NULL, NULL },
	{ "POST", P "/{id}/approve", "payment.approve", 0, NULL, 0,
	    run_approve, "approve a run (not its creator); freezes the file",
	    NULL, NULL },
	{ "GET", P "/{id}/pain001", "payment.run", 0, NULL, KS_R_RAW,
	    run_export, "the run as pain.001.001.09 (SPS); the first export "
	    "books the client accounts", NULL, NULL },
	{ "POST", P "/reconcile", "payment.run", CAMT_LIMIT, NULL, 0,
	    reconcile, "book a camt.054.001.08 notification (XML body)",
	    NULL, camt_chunk },
	{ "GET", "/api/v1/bank-entries", "payment.run", 0, NULL, KS_R_PAGED,
	    bank_entries, "transactions of uploaded notifications "
	    "(?outcome=unmatched)", NULL, NULL },
	{ "POST", C "/claims", "case.write", KB, claim_body, 0, claim_create,
	    "open a recovery claim", NULL, NULL },
	{ "GET", C "/claims", "ledger.read", 0, NULL, KS_R_PAGED, claim_list,
	    "recovery claims of a dossier", NULL, NULL },
	{ "POST", "/api/v1/claims/{id}/repayments", "payment.run", KB,
	    repayment_body, 0, repayment_create, "book a repayment by hand",
	    NULL, NULL },
	{ "GET", C "/ledger", "ledger.read", 0, NULL, KS_R_PAGED,
	    ledger_show, "the client account: entries and balance", NULL,
	    NULL },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL }
};
