/*
 * account.c - the account a social service pays from (payment_account):
 * the debtor of its payment runs, copied into a run when it is approved.
 * Set by the tenant administrator (payment.account; If-Match once it
 * exists), read by whoever runs or approves payments. Its QR-IBAN
 * (optional) is the same account's address for QR-bill payments: bills
 * with a QR reference (a module's, e.g. a debtor's) name it. The check of a
 * payment's party (IBAN, country, BIC) is here once: the account's and,
 * through struct ks_api, a module's creditors.
 */
#include <stdio.h>
#include <string.h>

#include "kasus.h"
#include "kasus/iso20022.h"
#include "kasus/module.h"
#include "queries.h"
#include "money.h"

int
ks_party_check(struct ks_request *req, struct ks_party *p,
    const char *prefix)
{
	char norm[KS_IBAN_BUFLEN];
	const char *c, *f;
	size_t n, i;

	f = ks_arena_printf(req->arena, "%siban", prefix);
	if (p->iban == NULL)
		return ks_money_bad_field(req, "missing_field",
		    "a required field is missing", f);
	if (ks_iban_valid(p->iban, norm, sizeof(norm)) != 1)
		return ks_money_bad_field(req, "invalid_iban",
		    "the IBAN is not valid", f);
	if (ks_iban_is_qr(norm))
		return ks_money_bad_field(req, "invalid_iban", "a QR-IBAN "
		    "takes only QR-bill payments; give the account's normal "
		    "IBAN", f);
	p->iban = ks_arena_strdup(req->arena, norm);
	c = p->country;
	if (c == NULL || strlen(c) != 2 || c[0] < 'A' || c[0] > 'Z' ||
	    c[1] < 'A' || c[1] > 'Z')
		return ks_money_bad_field(req, "invalid_value", "the country "
		    "is two capital letters (ISO 3166)",
		    ks_arena_printf(req->arena, "%scountry", prefix));
	if (p->bic != NULL) {
		n = strlen(p->bic);
		for (i = 0; i < n; i++)
			if (!((p->bic[i] >= 'A' && p->bic[i] <= 'Z') ||
			    (p->bic[i] >= '0' && p->bic[i] <= '9')))
				break;
		if ((n != 8 && n != 11) || i != n)
			return ks_money_bad_field(req, "invalid_value",
			    "a BIC has 8 or 11 capital letters and digits",
			    "bic");
	}
	return KS_OK;
}

static json_t *
account_json(PGresult *r)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:I,s:s,s:o}",
	    "name", ks_db_str(r, 0, "name"), "iban", ks_db_str(r, 0, "iban"),
	    "bic", ks_db_json_str(r, 0, "bic"), "street", ks_db_json_str(r, 0, "street"), "house_no",
	    ks_db_json_str(r, 0, "house_no"), "postcode", ks_db_json_str(r, 0, "postcode"), "town",
	    ks_db_str(r, 0, "town"), "country", ks_db_str(r, 0, "country"),
	    "version", (json_int_t)ks_db_getll(r, 0, "version"), "updated_at",
	    ks_db_str(r, 0, "updated_at"), "qr_iban",
	    ks_db_json_str(r, 0, "qr_iban"));
}

/* The optional QR-IBAN: a valid one of CH or LI (normalised); *out. */
static int
qr_iban(struct ks_request *req, const char **out)
{
	char norm[KS_IBAN_BUFLEN];
	const char *s = ks_body_str(req, "qr_iban");

	*out = NULL;
	if (s == NULL)
		return KS_OK;
	if (ks_iban_valid(s, norm, sizeof(norm)) != 1 || !ks_iban_is_qr(norm))
		return ks_money_bad_field(req, "invalid_iban", "not a QR-IBAN "
		    "of a Swiss or Liechtenstein bank", "qr_iban");
	*out = ks_arena_strdup(req->arena, norm);
	return KS_OK;
}

static int
account_show(struct ks_request *req)
{
	PGresult *r;

	if (!ks_has_perm(&req->who, "payment.approve") &&
	    !ks_has_perm(&req->who, "payment.run") &&
	    !ks_has_perm(&req->who, "payment.account"))
		return ks_fail_detail(req, 403, "forbidden",
		    "your role does not allow this", json_pack("{s:s}",
		    "permission", "payment.run"));
	if ((r = ks_db_q(req, Q_MONEY_ACCOUNT_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found",
		    "no payment account is set for this social service");
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, account_json(r));
}

static int
account_put(struct ks_request *req)
{
	struct ks_party p;
	const char *v[11];
	PGresult *cur, *r;

	p.name = ks_body_str(req, "name");
	p.iban = ks_body_str(req, "iban");
	p.bic = ks_body_str(req, "bic");
	p.street = ks_body_str(req, "street");
	p.house_no = ks_body_str(req, "house_no");
	p.postcode = ks_body_str(req, "postcode");
	p.town = ks_body_str(req, "town");
	p.country = ks_body_str(req, "country");
	if (ks_party_check(req, &p, "") != KS_OK ||
	    qr_iban(req, &v[10]) != KS_OK)
		return KS_ERROR;
	if ((cur = ks_db_q(req, Q_MONEY_ACCOUNT_GET, 0, NULL)) == NULL)
		return KS_ERROR;
	v[0] = p.name; v[1] = p.iban; v[2] = p.bic; v[3] = p.street;
	v[4] = p.house_no; v[5] = p.postcode; v[6] = p.town;
	v[7] = p.country; v[8] = ks_num(req, req->who.user_id);
	if (PQntuples(cur) == 1) {
		/* Changing the account needs its ETag. */
		if (ks_check_etag(req, ks_db_getll(cur, 0, "version"),
		    account_json(cur)) != KS_OK)
			return KS_ERROR;
		v[9] = ks_db_str(cur, 0, "version");
		r = ks_db_q(req, Q_MONEY_ACCOUNT_UPDATE, 11, v);
	} else {
		v[9] = v[10];
		r = ks_db_q(req, Q_MONEY_ACCOUNT_INSERT, 10, v);
	}
	if (r == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 409, "conflict", "someone else changed "
		    "this record; review it and apply your change again");
	if (ks_audit(req, "payment_account_set", "payment_account",
	    ks_num(req, req->who.tenant_id), PQntuples(cur) == 1 ?
	    account_json(cur) : NULL, account_json(r), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, account_json(r));
}

static const struct ks_field account_body[] = {
	{ "name", KS_F_STRING, 1, 1, 70, "account holder" },
	{ "iban", KS_F_STRING, 1, 15, 42, "not a QR-IBAN" },
	{ "bic", KS_F_STRING, 0, 8, 11, NULL },
	{ "street", KS_F_STRING, 0, 1, 70, NULL },
	{ "house_no", KS_F_STRING, 0, 1, 16, NULL },
	{ "postcode", KS_F_STRING, 0, 1, 16, NULL },
	{ "town", KS_F_STRING, 1, 1, 35, NULL },
	{ "country", KS_F_STRING, 1, 2, 2, "ISO 3166 alpha-2" },
	{ "qr_iban", KS_F_STRING, 0, 15, 42, "the account's QR-IBAN (bills "
	    "with a QR reference)" },
	KS_FIELDS_END
};

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/payment-account", NULL, 0, NULL, 0, account_show,
	    "the account payments are made from", NULL, NULL },
	{ "PUT", "/api/v1/payment-account", "payment.account", 16 * 1024,
	    account_body, KS_R_ETAG, account_put,
	    "set the payment account (If-Match once it exists)", NULL, NULL },
	KS_ROUTES_END
};

void
ks_account_register(void)
{
	ks_router_add(routes, NULL);
}
