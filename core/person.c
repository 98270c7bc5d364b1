/*
 * person.c - persons and households (support units) over time.
 *
 * The AHV number is especially protected personal data: it is stored
 * sealed with the tenant's data key (ahv_enc) and found through a keyed
 * hash (ahv_hash, see datakey.h). It is shown formatted only in the
 * answer about one person, only to holders of person.read, and showing
 * it is audited (person_read). Lists say whether a person has one
 * (has_ahv), never which. It never appears in an error, in the audit
 * digests or in a log line.
 *
 * Duplicates are refused at registration: the same AHV number always
 * (duplicate_person), a person born the same day with a similar name
 * unless the caller overrides with "override_duplicate": true, which
 * needs person.override_duplicate and is audited with the candidates.
 *
 * A household member belongs for [valid_from, valid_to). Overlap rules
 * (one household per person at a time, one applicant and one partner
 * per household at a time) are checked with the person's and the
 * household's rows locked, so two concurrent requests cannot both pass.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "datakey.h"
#include "iso20022.h"
#include "queries.h"

#define END_FIELDS	{ NULL, 0, 0, 0, 0, NULL }
#define KB		(16 * 1024)

/* Person columns as statement parameters (person_insert $1..$17). */
enum {
	C_LAST, C_FIRST, C_BIRTH, C_SEX, C_AHV_ENC, C_AHV_HASH, C_NAT,
	C_PERMIT, C_STREET, C_HOUSE, C_POST, C_TOWN, C_COUNTRY, C_PHONE,
	C_EMAIL, C_LANG, C_IBAN, NCOL
};

/* Row columns of a person (see person.sql). */
enum {
	R_ID, R_LAST, R_FIRST, R_BIRTH, R_SEX, R_AHV_ENC, R_NAT, R_PERMIT,
	R_STREET, R_HOUSE, R_POST, R_TOWN, R_COUNTRY, R_PHONE, R_EMAIL,
	R_LANG, R_IBAN, R_VERSION, R_CREATED, R_AHV_HASH
};

/* Body fields that map to one column each; ahv is handled apart. */
static const struct pcol {
	const char	*name;
	int		 col;
	int		 row;
	int		 nullable;
} pcols[] = {
	{ "last_name", C_LAST, R_LAST, 0 },
	{ "first_name", C_FIRST, R_FIRST, 0 },
	{ "birth_date", C_BIRTH, R_BIRTH, 0 },
	{ "sex", C_SEX, R_SEX, 1 },
	{ "nationality", C_NAT, R_NAT, 1 },
	{ "permit", C_PERMIT, R_PERMIT, 1 },
	{ "street", C_STREET, R_STREET, 1 },
	{ "house_no", C_HOUSE, R_HOUSE, 1 },
	{ "postcode", C_POST, R_POST, 1 },
	{ "town", C_TOWN, R_TOWN, 1 },
	{ "country", C_COUNTRY, R_COUNTRY, 0 },
	{ "phone", C_PHONE, R_PHONE, 1 },
	{ "email", C_EMAIL, R_EMAIL, 1 },
	{ "language", C_LANG, R_LANG, 0 },
	{ "iban", C_IBAN, R_IBAN, 1 },
	{ NULL, 0, 0, 0 }
};

static const char *
num(struct ks_request *req, long long v)
{
	return ks_arena_printf(req->arena, "%lld", v);
}

static int
field_fail(struct ks_request *req, int http, const char *code,
    const char *msg, const char *field)
{
	return ks_fail_detail(req, http, code, msg,
	    json_pack("{s:s}", "field", field));
}

static json_t *
next_cursor(PGresult *r, long long n)
{
	if (PQntuples(r) < n)
		return json_null();
	return json_string(PQgetvalue(r, PQntuples(r) - 1, 0));
}

/*
 * Check query parameters with a field list, as the body would be: the
 * handler only sees values that passed.
 */
static int
check_query(struct ks_request *req, const struct ks_field *spec)
{
	const struct ks_field *f;
	const char *v;
	json_t *o = json_object();
	int rc;

	for (f = spec; f->name != NULL; f++)
		if ((v = ks_query(req, f->name)) != NULL)
			json_object_set_new(o, f->name, json_string(v));
	rc = ks_validate(req, spec, o);
	json_decref(o);
	if (rc != KS_OK && req->err.http == 400 &&
	    strcmp(req->err.code, "unknown_field") != 0)
		req->err.code = "invalid_parameter";
	return rc;
}

static int
need_keys(struct ks_request *req)
{
	if (!ks_datakey_available())
		return ks_fail(req, 503, "encryption_unavailable",
		    "persons cannot be processed: the server has no valid "
		    "master key for protected fields");
	return KS_OK;
}

static int
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int
upper2(const char *s)
{
	return s != NULL && strlen(s) == 2 && isupper((unsigned char)s[0]) &&
	    isupper((unsigned char)s[1]);
}

/* ------------------------------------------------------------- persons */

static json_t *
opt(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? json_null() :
	    json_string(PQgetvalue(r, i, c));
}

/* A person without the AHV number: answers and audit digests. */
static json_t *
person_json(PGresult *r, int i)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", json_integer(ks_db_ll(r, i, R_ID)));
	json_object_set_new(j, "last_name", opt(r, i, R_LAST));
	json_object_set_new(j, "first_name", opt(r, i, R_FIRST));
	json_object_set_new(j, "birth_date", opt(r, i, R_BIRTH));
	json_object_set_new(j, "sex", opt(r, i, R_SEX));
	json_object_set_new(j, "has_ahv",
	    json_boolean(!PQgetisnull(r, i, R_AHV_ENC)));
	json_object_set_new(j, "nationality", opt(r, i, R_NAT));
	json_object_set_new(j, "permit", opt(r, i, R_PERMIT));
	json_object_set_new(j, "street", opt(r, i, R_STREET));
	json_object_set_new(j, "house_no", opt(r, i, R_HOUSE));
	json_object_set_new(j, "postcode", opt(r, i, R_POST));
	json_object_set_new(j, "town", opt(r, i, R_TOWN));
	json_object_set_new(j, "country", opt(r, i, R_COUNTRY));
	json_object_set_new(j, "phone", opt(r, i, R_PHONE));
	json_object_set_new(j, "email", opt(r, i, R_EMAIL));
	json_object_set_new(j, "language", opt(r, i, R_LANG));
	json_object_set_new(j, "iban", opt(r, i, R_IBAN));
	json_object_set_new(j, "version",
	    json_integer(ks_db_ll(r, i, R_VERSION)));
	json_object_set_new(j, "created_at", opt(r, i, R_CREATED));
	return j;
}

/*
 * Add the formatted AHV number to j when the caller may see it. Sets
 * *shown when it was added (the caller audits the read).
 */
static int
add_ahv(struct ks_request *req, PGresult *r, json_t *j, int *shown)
{
	char *plain, fmt[20];

	*shown = 0;
	if (PQgetisnull(r, 0, R_AHV_ENC) ||
	    !ks_has_perm(&req->who, "person.read")) {
		json_object_set_new(j, "ahv", json_null());
		return KS_OK;
	}
	if (ks_datakey_decrypt(req, PQgetvalue(r, 0, R_AHV_ENC), &plain) !=
	    KS_OK)
		return KS_ERROR;
	if (strlen(plain) != 13)
		return ks_fail(req, 500, "data_unreadable",
		    "a protected value is damaged");
	snprintf(fmt, sizeof(fmt), "%.3s.%.4s.%.4s.%.2s", plain, plain + 3,
	    plain + 7, plain + 11);
	json_object_set_new(j, "ahv", json_string(fmt));
	*shown = 1;
	return KS_OK;
}

static PGresult *
person_get(struct ks_request *req, int64_t id)
{
	const char *v[1] = { num(req, id) };
	PGresult *r;

	if ((r = ks_db_q(req, Q_PERSON_GET, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such person");
		return NULL;
	}
	return r;
}

/* Rules beyond the field list, on the merged values. */
static int
person_check(struct ks_request *req, const char **c)
{
	char norm[KS_IBAN_BUFLEN];
	const char *p;

	if (blank(c[C_LAST]) || blank(c[C_FIRST]))
		return field_fail(req, 400, "invalid_value", "a name must not "
		    "be blank", blank(c[C_LAST]) ? "last_name" : "first_name");
	if (strcmp(c[C_BIRTH], ks_today(req)) > 0)
		return field_fail(req, 400, "invalid_value",
		    "the birth date lies in the future", "birth_date");
	if (c[C_SEX] != NULL && strcmp(c[C_SEX], "f") != 0 &&
	    strcmp(c[C_SEX], "m") != 0 && strcmp(c[C_SEX], "x") != 0)
		return field_fail(req, 400, "invalid_value",
		    "sex is f, m or x", "sex");
	if (c[C_NAT] != NULL && !upper2(c[C_NAT]))
		return field_fail(req, 400, "invalid_value", "a country is "
		    "two capital letters (ISO 3166)", "nationality");
	if (c[C_COUNTRY] != NULL && !upper2(c[C_COUNTRY]))
		return field_fail(req, 400, "invalid_value", "a country is "
		    "two capital letters (ISO 3166)", "country");
	if (c[C_POST] != NULL && (c[C_COUNTRY] == NULL ||
	    strcmp(c[C_COUNTRY], "CH") == 0 ||
	    strcmp(c[C_COUNTRY], "LI") == 0)) {
		for (p = c[C_POST]; isdigit((unsigned char)*p); p++)
			;
		if (*p != '\0' || strlen(c[C_POST]) != 4)
			return field_fail(req, 400, "invalid_value", "a Swiss "
			    "postcode has four digits", "postcode");
	}
	if (c[C_EMAIL] != NULL && (strchr(c[C_EMAIL], '@') == NULL ||
	    strpbrk(c[C_EMAIL], " \t\n") != NULL))
		return field_fail(req, 400, "invalid_value",
		    "the e-mail address is not valid", "email");
	if (c[C_IBAN] != NULL) {
		if (ks_iban_valid(c[C_IBAN], norm, sizeof(norm)) != 1)
			return field_fail(req, 400, "invalid_iban", "the IBAN "
			    "is not valid (country, length or check digits)",
			    "iban");
		if (ks_iban_is_qr(norm))
			return field_fail(req, 400, "qr_iban_not_allowed",
			    "this is a QR-IBAN, which only takes payments "
			    "with a QR reference; give the account's "
			    "ordinary IBAN", "iban");
		c[C_IBAN] = ks_arena_strdup(req->arena, norm);
	}
	return KS_OK;
}

/*
 * Validate and hash an AHV number from the body into c[C_AHV_HASH];
 * refuse it when another person (not self) has it already.
 */
static int
ahv_take(struct ks_request *req, const char *s, int64_t self,
    const char **c, char norm[KS_AHV_BUFLEN])
{
	const char *v[2];
	PGresult *r;

	if (ks_ahv_valid(s, norm, KS_AHV_BUFLEN) != 1)
		return field_fail(req, 400, "invalid_ahv", "the AHV number is "
		    "not valid: 756, ten more digits, the last a check digit",
		    "ahv");
	if (ks_datakey_hash(req, norm, 1, &c[C_AHV_HASH]) != KS_OK)
		return KS_ERROR;
	v[0] = c[C_AHV_HASH];
	v[1] = num(req, self);
	if ((r = ks_db_q(req, Q_PERSON_BY_AHV, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) > 0)
		return ks_fail_detail(req, 409, "duplicate_person", "a person "
		    "with this AHV number is registered already",
		    json_pack("{s:I}", "person_id",
		    (json_int_t)ks_db_ll(r, 0, 0)));
	return KS_OK;
}

/*
 * Likely duplicates of a new person. Returns KS_OK with *cands set to
 * their ids (NULL: none, or overridden with none found), or the 409.
 */
static int
similar_check(struct ks_request *req, const char **c, json_t **cands)
{
	const char *v[4] = { c[C_BIRTH], c[C_LAST], c[C_FIRST],
	    c[C_AHV_HASH] };
	json_t *ov = json_object_get(req->body, "override_duplicate");
	json_t *list, *ids;
	PGresult *r;
	int i;

	*cands = NULL;
	if ((r = ks_db_q(req, Q_PERSON_SIMILAR, 4, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0)
		return KS_OK;
	if (json_is_true(ov)) {
		if (!ks_has_perm(&req->who, "person.override_duplicate"))
			return ks_fail_detail(req, 403, "forbidden", "your "
			    "role does not allow registering a likely "
			    "duplicate", json_pack("{s:s}", "permission",
			    "person.override_duplicate"));
		ids = json_array();
		for (i = 0; i < PQntuples(r); i++)
			json_array_append_new(ids,
			    json_integer(ks_db_ll(r, i, 0)));
		*cands = ids;
		return KS_OK;
	}
	list = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:s}",
		    "id", (json_int_t)ks_db_ll(r, i, 0), "name",
		    ks_arena_printf(req->arena, "%s %s", PQgetvalue(r, i, 1),
		    PQgetvalue(r, i, 2)), "last_name", PQgetvalue(r, i, 1),
		    "first_name", PQgetvalue(r, i, 2), "birth_date",
		    PQgetvalue(r, i, 3)));
	return ks_fail_detail(req, 409, "possible_duplicate", "a person with "
	    "a similar name and the same birth date is registered; check "
	    "the candidates, or send again with \"override_duplicate\": true",
	    json_pack("{s:o}", "candidates", list));
}

static int
person_reply(struct ks_request *req, PGresult *r, int status)
{
	json_t *j = person_json(r, 0);
	int shown;

	if (add_ahv(req, r, j, &shown) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_set_etag(req, ks_db_ll(r, 0, R_VERSION));
	return ks_reply(req, status, j);
}

static int
person_create(struct ks_request *req)
{
	const char *c[NCOL] = { 0 }, *ahv = ks_body_str(req, "ahv");
	const struct pcol *p;
	char norm[KS_AHV_BUFLEN];
	json_t *cands = NULL;
	PGresult *r;
	const char *id;

	if (need_keys(req) != KS_OK)
		return KS_ERROR;
	for (p = pcols; p->name != NULL; p++)
		c[p->col] = ks_body_str(req, p->name);
	if (person_check(req, c) != KS_OK)
		return KS_ERROR;
	if (ahv != NULL) {
		if (ahv_take(req, ahv, 0, c, norm) != KS_OK ||
		    ks_datakey_encrypt(req, norm, &c[C_AHV_ENC]) != KS_OK)
			return KS_ERROR;
	}
	if (similar_check(req, c, &cands) != KS_OK ||
	    (r = ks_db_q(req, Q_PERSON_INSERT, NCOL, c)) == NULL) {
		json_decref(cands);
		return KS_ERROR;
	}
	id = PQgetvalue(r, 0, R_ID);
	if (cands != NULL && ks_audit(req, "person_duplicate_override",
	    "person", id, NULL, NULL, json_pack("{s:o}", "candidates",
	    cands)) != KS_OK)
		return KS_ERROR;
	if (ks_audit(req, "person_created", "person", id, NULL,
	    person_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_header(req, "Location", ks_arena_printf(req->arena,
	    "/api/v1/persons/%s", id));
	return person_reply(req, r, 201);
}

static int
person_show(struct ks_request *req)
{
	PGresult *r;
	json_t *j;
	int64_t id;
	int shown;

	if (need_keys(req) != KS_OK || ks_param_id(req, "id", &id) != KS_OK ||
	    (r = person_get(req, id)) == NULL)
		return KS_ERROR;
	j = person_json(r, 0);
	if (add_ahv(req, r, j, &shown) != KS_OK ||
	    (shown && ks_audit(req, "person_read", "person",
	    PQgetvalue(r, 0, R_ID), NULL, NULL, json_pack("{s:b}", "ahv",
	    1)) != KS_OK)) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_set_etag(req, ks_db_ll(r, 0, R_VERSION));
	return ks_reply(req, 200, j);
}

/* The current row's values, then the body's changes over them. */
static void
merge(struct ks_request *req, PGresult *b, const char **c)
{
	const struct pcol *p;
	json_t *v;

	for (p = pcols; p->name != NULL; p++) {
		c[p->col] = ks_db_s(b, 0, p->row);
		v = json_object_get(req->body, p->name);
		if (json_is_string(v))
			c[p->col] = json_string_value(v);
		else if (json_is_null(v) && p->nullable)
			c[p->col] = NULL;
	}
	c[C_AHV_ENC] = ks_db_s(b, 0, R_AHV_ENC);
	c[C_AHV_HASH] = ks_db_s(b, 0, R_AHV_HASH);
}

static int
person_patch(struct ks_request *req)
{
	const char *c[NCOL], *v[NCOL + 2];
	json_t *ahv = json_object_get(req->body, "ahv");
	char norm[KS_AHV_BUFLEN];
	const char *old_hash;
	PGresult *b, *r;
	int64_t id;
	int changed = 0;

	if (need_keys(req) != KS_OK || ks_param_id(req, "id", &id) != KS_OK ||
	    (b = person_get(req, id)) == NULL ||
	    ks_access_person(req, id) != KS_OK ||
	    ks_check_etag(req, ks_db_ll(b, 0, R_VERSION),
	    person_json(b, 0)) != KS_OK)
		return KS_ERROR;
	merge(req, b, c);
	if (person_check(req, c) != KS_OK)
		return KS_ERROR;
	old_hash = c[C_AHV_HASH];
	if (json_is_null(ahv)) {
		changed = old_hash != NULL;
		c[C_AHV_ENC] = c[C_AHV_HASH] = NULL;
	} else if (json_is_string(ahv)) {
		/* A changed number is checked for duplicates again. */
		if (ahv_take(req, json_string_value(ahv), id, c, norm) != KS_OK)
			return KS_ERROR;
		if (old_hash == NULL || strcmp(old_hash, c[C_AHV_HASH]) != 0) {
			changed = 1;
			if (ks_datakey_encrypt(req, norm, &c[C_AHV_ENC]) !=
			    KS_OK)
				return KS_ERROR;
		}
	}
	v[0] = num(req, id);
	memcpy(v + 1, c, sizeof(c));
	v[NCOL + 1] = PQgetvalue(b, 0, R_VERSION);
	if ((r = ks_db_q(req, Q_PERSON_UPDATE, NCOL + 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail_detail(req, 409, "conflict", "someone else "
		    "changed this record; review the current state and apply "
		    "your change again", json_pack("{s:o}", "current",
		    person_json(b, 0)));
	if (ks_audit(req, "person_changed", "person", v[0], person_json(b, 0),
	    person_json(r, 0), changed ? json_pack("{s:b}", "ahv_changed", 1) :
	    NULL) != KS_OK)
		return KS_ERROR;
	return person_reply(req, r, 200);
}

static const struct ks_field search_params[] = {
	{ "q", KS_F_STRING, 0, 1, 100, "last name prefix, or \"last first\"" },
	{ "birth_date", KS_F_DATE, 0, 0, 0, NULL },
	{ "ahv", KS_F_STRING, 0, 1, 20, "exact AHV number" },
	{ "limit", KS_F_STRING, 0, 0, 0, NULL },
	{ "after", KS_F_STRING, 0, 0, 0, NULL },
	END_FIELDS
};

static json_t *
hit_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:b,s:o,s:o,s:I}",
	    "id", (json_int_t)ks_db_ll(r, i, 0), "last_name",
	    PQgetvalue(r, i, 1), "first_name", PQgetvalue(r, i, 2),
	    "birth_date", PQgetvalue(r, i, 3), "sex", opt(r, i, 4),
	    "has_ahv", strcmp(PQgetvalue(r, i, 5), "t") == 0,
	    "postcode", opt(r, i, 6), "town", opt(r, i, 7),
	    "version", (json_int_t)ks_db_ll(r, i, 8));
}

/*
 * q: a last name prefix, or a last name prefix, whitespace and a first
 * name prefix (split at the last whitespace, so "von Gunten Hans"
 * works; a one-word first name is the common case).
 */
static void
split_q(struct ks_request *req, const char *q, const char **last,
    const char **first)
{
	const char *e, *s;
	size_t n;

	while (isspace((unsigned char)*q))
		q++;
	n = strlen(q);
	while (n > 0 && isspace((unsigned char)q[n - 1]))
		n--;
	*first = "";
	for (e = q + n; e > q && !isspace((unsigned char)e[-1]); e--)
		;
	if (e == q) {
		*last = ks_arena_strndup(req->arena, q, n);
		return;
	}
	*first = ks_arena_strndup(req->arena, e, (size_t)(q + n - e));
	for (s = e; s > q && isspace((unsigned char)s[-1]); s--)
		;
	*last = ks_arena_strndup(req->arena, q, (size_t)(s - q));
}

static int
persons_search(struct ks_request *req)
{
	const char *v[5], *q = ks_query(req, "q"), *ahv = ks_query(req, "ahv");
	const char *hash;
	char norm[KS_AHV_BUFLEN];
	long long n;
	PGresult *r;
	json_t *items;
	int i;

	if (need_keys(req) != KS_OK || check_query(req, search_params) !=
	    KS_OK || ks_page(req, &v[3], &v[4], &n) != KS_OK)
		return KS_ERROR;
	items = json_array();
	if (ahv != NULL) {
		if (ks_ahv_valid(ahv, norm, sizeof(norm)) != 1) {
			json_decref(items);
			return field_fail(req, 400, "invalid_ahv", "the AHV "
			    "number is not valid", "ahv");
		}
		if (ks_datakey_hash(req, norm, 0, &hash) != KS_OK) {
			json_decref(items);
			return KS_ERROR;
		}
		if (hash == NULL)	/* no keys yet: nobody has one */
			return ks_reply(req, 200, json_pack("{s:o,s:n}",
			    "items", items, "next"));
		v[0] = hash;
		v[1] = ks_query(req, "birth_date");
		v[2] = v[3];
		v[3] = v[4];
		r = ks_db_q(req, Q_PERSON_SEARCH_AHV, 4, v);
	} else {
		split_q(req, q ? q : "", &v[0], &v[1]);
		v[2] = ks_query(req, "birth_date");
		r = ks_db_q(req, Q_PERSON_SEARCH, 5, v);
	}
	if (r == NULL) {
		json_decref(items);
		return KS_ERROR;
	}
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, hit_json(r, i));
	return ks_reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", next_cursor(r, n)));
}

static int
person_households(struct ks_request *req)
{
	const char *v[1];
	PGresult *r;
	json_t *items;
	int64_t id;
	int i;

	if (need_keys(req) != KS_OK || ks_param_id(req, "id", &id) != KS_OK ||
	    person_get(req, id) == NULL)
		return KS_ERROR;
	v[0] = num(req, id);
	if ((r = ks_db_q(req, Q_PERSON_HOUSEHOLDS, 1, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:s,s:s,"
		    "s:o}", "member_id", (json_int_t)ks_db_ll(r, i, 0),
		    "household_id", (json_int_t)ks_db_ll(r, i, 1), "name",
		    PQgetvalue(r, i, 2), "role", PQgetvalue(r, i, 3),
		    "valid_from", PQgetvalue(r, i, 4), "valid_to",
		    opt(r, i, 5)));
	return ks_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
	    "next"));
}

/* ----------------------------------------------------------- households */

static json_t *
member_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:o}",
	    "id", (json_int_t)ks_db_ll(r, i, 0),
	    "person_id", (json_int_t)ks_db_ll(r, i, 1),
	    "last_name", PQgetvalue(r, i, 2), "first_name", PQgetvalue(r, i, 3),
	    "birth_date", PQgetvalue(r, i, 4), "role", PQgetvalue(r, i, 5),
	    "valid_from", PQgetvalue(r, i, 6), "valid_to", opt(r, i, 7));
}

/* The household row h with its members (on a date, or all). */
static json_t *
household_json(struct ks_request *req, PGresult *h, const char *on)
{
	const char *v[2] = { PQgetvalue(h, 0, 0), on };
	PGresult *m;
	json_t *ms;
	int i;

	if ((m = ks_db_q(req, Q_HOUSEHOLD_MEMBERS, 2, v)) == NULL)
		return NULL;
	ms = json_array();
	for (i = 0; i < PQntuples(m); i++)
		json_array_append_new(ms, member_json(m, i));
	return json_pack("{s:I,s:s,s:I,s:I,s:s,s:o}",
	    "id", (json_int_t)ks_db_ll(h, 0, 0), "name", PQgetvalue(h, 0, 1),
	    "flat_extra_persons", (json_int_t)ks_db_ll(h, 0, 2),
	    "version", (json_int_t)ks_db_ll(h, 0, 3),
	    "created_at", PQgetvalue(h, 0, 4), "members", ms);
}

static PGresult *
household_get(struct ks_request *req, int64_t id, int lock)
{
	const char *v[1] = { num(req, id) };
	PGresult *r;

	if ((r = ks_db_q(req, lock ? Q_HOUSEHOLD_LOCK : Q_HOUSEHOLD_GET, 1,
	    v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such household");
		return NULL;
	}
	return r;
}

static const char *const roles[] = { "applicant", "partner", "child",
	"other", NULL };

/*
 * Check and store one membership of person in household hid for
 * [from, to); self is the member being changed (0 for a new one).
 */
static int
member_put(struct ks_request *req, const char *hid, int64_t person,
    const char *role, const char *from, const char *to, int64_t self)
{
	const char *v[6];
	PGresult *r;
	int i;

	for (i = 0; roles[i] != NULL && strcmp(roles[i], role) != 0; i++)
		;
	if (roles[i] == NULL)
		return field_fail(req, 400, "invalid_value", "the role is "
		    "applicant, partner, child or other", "role");
	if (to != NULL && strcmp(to, from) <= 0)
		return field_fail(req, 400, "invalid_period", "a membership "
		    "ends after it begins", "valid_to");
	v[0] = num(req, person);
	if ((r = ks_db_q(req, Q_PERSON_LOCK, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail_detail(req, 400, "invalid_reference",
		    "the person does not exist", json_pack("{s:s,s:I}",
		    "field", "person_id", "person_id", (json_int_t)person));
	/* Households and clients of another team's open dossier: theirs. */
	if (ks_access_household(req, strtoll(hid, NULL, 10)) != KS_OK ||
	    ks_access_person(req, person) != KS_OK)
		return KS_ERROR;
	v[1] = from;
	v[2] = to;
	v[3] = num(req, self);
	if ((r = ks_db_q(req, Q_MEMBER_OVERLAP_PERSON, 4, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) > 0)
		return ks_fail_detail(req, 409, "membership_overlap", "the "
		    "person belongs to a household in this period already",
		    json_pack("{s:I,s:I,s:I,s:s,s:o}", "person_id",
		    (json_int_t)person, "member_id",
		    (json_int_t)ks_db_ll(r, 0, 0), "household_id",
		    (json_int_t)ks_db_ll(r, 0, 1), "valid_from",
		    PQgetvalue(r, 0, 2), "valid_to", opt(r, 0, 3)));
	if (i <= 1) {
		const char *w[5] = { hid, role, from, to, num(req, self) };

		if ((r = ks_db_q(req, Q_MEMBER_OVERLAP_ROLE, 5, w)) == NULL)
			return KS_ERROR;
		if (PQntuples(r) > 0)
			return ks_fail_detail(req, 409, "role_taken", i == 0 ?
			    "the household has an applicant in this period "
			    "already" : "the household has a partner in this "
			    "period already", json_pack("{s:s,s:I,s:I,s:s,"
			    "s:o}", "role", role, "member_id",
			    (json_int_t)ks_db_ll(r, 0, 0), "person_id",
			    (json_int_t)ks_db_ll(r, 0, 1), "valid_from",
			    PQgetvalue(r, 0, 2), "valid_to", opt(r, 0, 3)));
	}
	if (self != 0) {
		const char *w[3] = { hid, num(req, self), to };

		return ks_db_q(req, Q_MEMBER_SET_END, 3, w) ? KS_OK : KS_ERROR;
	}
	v[0] = hid;
	v[1] = num(req, person);
	v[2] = role;
	v[3] = from;
	v[4] = to;
	return ks_db_q(req, Q_MEMBER_INSERT, 5, v) ? KS_OK : KS_ERROR;
}

static const struct ks_field member_new[] = {
	{ "person_id", KS_F_INT, 1, 1, 0, NULL },
	{ "role", KS_F_STRING, 1, 1, 20, "applicant, partner, child, other" },
	{ "valid_from", KS_F_DATE, 1, 0, 0, NULL },
	{ "valid_to", KS_F_DATE, 0, 0, 0, "exclusive; absent: open-ended" },
	END_FIELDS
};

static int
member_from_json(struct ks_request *req, const char *hid, json_t *m)
{
	if (ks_validate(req, member_new, m) != KS_OK)
		return KS_ERROR;
	return member_put(req, hid, json_integer_value(json_object_get(m,
	    "person_id")), json_string_value(json_object_get(m, "role")),
	    json_string_value(json_object_get(m, "valid_from")),
	    json_string_value(json_object_get(m, "valid_to")), 0);
}

/* Bump the version after a member change, audit, answer. */
static int
household_changed(struct ks_request *req, const char *hid,
    const char *action, json_t *detail, int status)
{
	const char *v[1] = { hid };
	PGresult *h;
	json_t *j;

	if ((h = ks_db_q(req, Q_HOUSEHOLD_BUMP, 1, v)) == NULL ||
	    (j = household_json(req, h, NULL)) == NULL) {
		json_decref(detail);
		return KS_ERROR;
	}
	if (ks_audit(req, action, "household", hid, NULL, json_incref(j),
	    detail) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_set_etag(req, ks_db_ll(h, 0, 3));
	return ks_reply(req, status, j);
}

static int
household_create(struct ks_request *req)
{
	json_t *fx = json_object_get(req->body, "flat_extra_persons");
	json_t *ms = json_object_get(req->body, "members"), *m, *j;
	const char *v[2], *hid;
	PGresult *h;
	size_t i;

	v[0] = ks_body_str(req, "name");
	v[1] = json_is_integer(fx) ? num(req, json_integer_value(fx)) : NULL;
	if (blank(v[0]))
		return field_fail(req, 400, "invalid_value",
		    "a name must not be blank", "name");
	if ((h = ks_db_q(req, Q_HOUSEHOLD_INSERT, 2, v)) == NULL)
		return KS_ERROR;
	hid = PQgetvalue(h, 0, 0);
	json_array_foreach(ms, i, m) {
		if (!json_is_object(m))
			return field_fail(req, 400, "invalid_type", "each "
			    "member is an object", "members");
		if (member_from_json(req, hid, m) != KS_OK)
			return KS_ERROR;
	}
	if ((j = household_json(req, h, NULL)) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "household_created", "household", hid, NULL,
	    json_incref(j), NULL) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_header(req, "Location", ks_arena_printf(req->arena,
	    "/api/v1/households/%s", hid));
	ks_set_etag(req, ks_db_ll(h, 0, 3));
	return ks_reply(req, 201, j);
}

static const struct ks_field household_params[] = {
	{ "on", KS_F_DATE, 0, 0, 0, "members on this day" },
	END_FIELDS
};

static int
household_show(struct ks_request *req)
{
	PGresult *h;
	json_t *j;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    check_query(req, household_params) != KS_OK ||
	    (h = household_get(req, id, 0)) == NULL ||
	    (j = household_json(req, h, ks_query(req, "on"))) == NULL)
		return KS_ERROR;
	ks_set_etag(req, ks_db_ll(h, 0, 3));
	return ks_reply(req, 200, j);
}

static int
member_add(struct ks_request *req)
{
	PGresult *h;
	json_t *cur;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    (h = household_get(req, id, 1)) == NULL ||
	    ks_access_household(req, id) != KS_OK)
		return KS_ERROR;
	/* If-Match is optional here: adding loses nobody's change. */
	if (ks_req_header(req, "If-Match") != NULL) {
		if ((cur = household_json(req, h, NULL)) == NULL ||
		    ks_check_etag(req, ks_db_ll(h, 0, 3), cur) != KS_OK)
			return KS_ERROR;
	}
	if (member_from_json(req, PQgetvalue(h, 0, 0), req->body) != KS_OK)
		return KS_ERROR;
	return household_changed(req, PQgetvalue(h, 0, 0),
	    "household_member_added", json_pack("{s:O}", "person_id",
	    json_object_get(req->body, "person_id")), 201);
}

static int
member_end(struct ks_request *req)
{
	const char *v[2], *to = ks_body_str(req, "valid_to");
	PGresult *h, *m;
	json_t *cur;
	int64_t id, mid;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    ks_param_id(req, "member_id", &mid) != KS_OK ||
	    (h = household_get(req, id, 1)) == NULL ||
	    ks_access_household(req, id) != KS_OK ||
	    (cur = household_json(req, h, NULL)) == NULL ||
	    ks_check_etag(req, ks_db_ll(h, 0, 3), cur) != KS_OK)
		return KS_ERROR;
	v[0] = PQgetvalue(h, 0, 0);
	v[1] = num(req, mid);
	if ((m = ks_db_q(req, Q_MEMBER_GET, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(m) != 1)
		return ks_fail(req, 404, "not_found",
		    "no such member of this household");
	if (member_put(req, v[0], ks_db_ll(m, 0, 1), PQgetvalue(m, 0, 2),
	    PQgetvalue(m, 0, 3), to, mid) != KS_OK)
		return KS_ERROR;
	return household_changed(req, v[0], "household_member_ended",
	    json_pack("{s:I,s:I,s:s}", "member_id", (json_int_t)mid,
	    "person_id", (json_int_t)ks_db_ll(m, 0, 1), "valid_to", to), 200);
}

/* -------------------------------------------------------------- tables */

static const struct ks_field person_new[] = {
	{ "last_name", KS_F_STRING, 1, 1, 100, NULL },
	{ "first_name", KS_F_STRING, 1, 1, 100, NULL },
	{ "birth_date", KS_F_DATE, 1, 0, 0, NULL },
	{ "sex", KS_F_STRING, 0, 1, 1, "f, m or x" },
	{ "ahv", KS_F_STRING, 0, 13, 16, "AHV number, 756.XXXX.XXXX.XX" },
	{ "nationality", KS_F_STRING, 0, 2, 2, "ISO 3166 alpha-2" },
	{ "permit", KS_F_STRING, 0, 1, 10, "residence permit (B, C, F ...)" },
	{ "street", KS_F_STRING, 0, 1, 70, NULL },
	{ "house_no", KS_F_STRING, 0, 1, 16, NULL },
	{ "postcode", KS_F_STRING, 0, 1, 16, NULL },
	{ "town", KS_F_STRING, 0, 1, 35, NULL },
	{ "country", KS_F_STRING, 0, 2, 2, "ISO 3166 alpha-2, default CH" },
	{ "phone", KS_F_STRING, 0, 3, 40, NULL },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "iban", KS_F_STRING, 0, 15, 42, "no QR-IBAN" },
	{ "override_duplicate", KS_F_BOOL, 0, 0, 0,
	    "register despite a likely duplicate (audited)" },
	END_FIELDS
};
/* PATCH: the same fields, none required; null clears an optional one. */
static const struct ks_field person_change[] = {
	{ "last_name", KS_F_STRING, 0, 1, 100, NULL },
	{ "first_name", KS_F_STRING, 0, 1, 100, NULL },
	{ "birth_date", KS_F_DATE, 0, 0, 0, NULL },
	{ "sex", KS_F_STRING, 0, 1, 1, NULL },
	{ "ahv", KS_F_STRING, 0, 13, 16, "null removes it" },
	{ "nationality", KS_F_STRING, 0, 2, 2, NULL },
	{ "permit", KS_F_STRING, 0, 1, 10, NULL },
	{ "street", KS_F_STRING, 0, 1, 70, NULL },
	{ "house_no", KS_F_STRING, 0, 1, 16, NULL },
	{ "postcode", KS_F_STRING, 0, 1, 16, NULL },
	{ "town", KS_F_STRING, 0, 1, 35, NULL },
	{ "country", KS_F_STRING, 0, 2, 2, NULL },
	{ "phone", KS_F_STRING, 0, 3, 40, NULL },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "iban", KS_F_STRING, 0, 15, 42, NULL },
	END_FIELDS
};
static const struct ks_field household_new[] = {
	{ "name", KS_F_STRING, 1, 1, 200, NULL },
	{ "flat_extra_persons", KS_F_INT, 0, 0, 20,
	    "others living in the flat, outside the support unit" },
	{ "members", KS_F_ARRAY, 0, 0, 20,
	    "[{person_id, role, valid_from, valid_to?}]" },
	END_FIELDS
};
static const struct ks_field member_change[] = {
	{ "valid_to", KS_F_DATE, 1, 0, 0, "the day after the last one" },
	END_FIELDS
};

#define P	"/api/v1/persons"
#define H	"/api/v1/households"
#define PR	"person.read"
#define PW	"person.write"

static const struct ks_route routes[] = {
	{ "GET", P, PR, 0, NULL, KS_R_PAGED, persons_search,
	    "find persons: ?q=<last name prefix> or \"last first\", "
	    "&birth_date=, &ahv=, &limit=, &after=", NULL },
	{ "POST", P, PW, KB, person_new, 0, person_create,
	    "register a person (duplicate check)", NULL },
	{ "GET", P "/{id}", PR, 0, NULL, 0, person_show,
	    "a person with the AHV number (audited)", NULL },
	{ "PATCH", P "/{id}", PW, KB, person_change, KS_R_ETAG, person_patch,
	    "change a person (If-Match)", NULL },
	{ "GET", P "/{id}/households", PR, 0, NULL, 0, person_households,
	    "a person's households over time", NULL },
	{ "POST", H, PW, 64 * 1024, household_new, 0, household_create,
	    "create a household with its members", NULL },
	{ "GET", H "/{id}", PR, 0, NULL, 0, household_show,
	    "a household with its members (?on=YYYY-MM-DD)", NULL },
	{ "POST", H "/{id}/members", PW, KB, member_new, 0, member_add,
	    "add a member for a period", NULL },
	{ "PATCH", H "/{id}/members/{member_id}", PW, KB, member_change,
	    KS_R_ETAG, member_end,
	    "end a membership (If-Match: the household's version)", NULL },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL }
};

void
ks_person_register(void)
{
	if (!ks_datakey_available())
		ks_log(KS_LOG_WARN, "master_key is not set or not 64 hex "
		    "characters: person routes answer 503 "
		    "encryption_unavailable");
	ks_router_add(routes, NULL);
}
