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
#include "lib/datakey.h"
#include "kasus/iso20022.h"
#include "queries.h"

#define KB		(16 * 1024)

static int	person_more(struct ks_request *, const char *, json_t *);

/* Person columns as statement parameters (person_insert $1..$18). */
enum {
	C_LAST, C_FIRST, C_BIRTH, C_SEX, C_AHV_ENC, C_AHV_HASH, C_NAT,
	C_PERMIT, C_STREET, C_HOUSE, C_POST, C_TOWN, C_COUNTRY, C_PHONE,
	C_EMAIL, C_LANG, C_IBAN, C_CIVIL, NCOL
};

/*
 * Body fields that map to one column each (the same name in a person
 * row); ahv is handled apart.
 */
static const struct pcol {
	const char	*name;
	int		 col;
	int		 nullable;
} pcols[] = {
	{ "last_name", C_LAST, 0 },
	{ "first_name", C_FIRST, 0 },
	{ "birth_date", C_BIRTH, 0 },
	{ "sex", C_SEX, 1 },
	{ "nationality", C_NAT, 1 },
	{ "permit", C_PERMIT, 1 },
	{ "street", C_STREET, 1 },
	{ "house_no", C_HOUSE, 1 },
	{ "postcode", C_POST, 1 },
	{ "town", C_TOWN, 1 },
	{ "country", C_COUNTRY, 0 },
	{ "phone", C_PHONE, 1 },
	{ "email", C_EMAIL, 1 },
	{ "language", C_LANG, 0 },
	{ "iban", C_IBAN, 1 },
	{ "civil_status", C_CIVIL, 1 },
	{ NULL, 0, 0 }
};

/* The address fields: one row of person_address (address_put $3..$7). */
static const char *const addr_fields[] = { "street", "house_no",
	"postcode", "town", "country", NULL };

/* eCH-0011 marital status, with separated as its own. */
static const char *const civil_states[] = { "single", "married",
	"separated", "divorced", "widowed", "registered_partnership",
	"dissolved_partnership", "unknown", NULL };

/* Swiss residence permits (Ausweis / livret) by their letter. */
static const char *const permits[] = { "B", "C", "Ci", "F", "G", "L", "N",
	"S", NULL };

static int
field_fail(struct ks_request *req, int http, const char *code,
    const char *msg, const char *field)
{
	return ks_fail_detail(req, http, code, msg,
	    json_pack("{s:s}", "field", field));
}

/*
 * The rows of statement qid as a JSON array, each row made by fn; NULL
 * with the error set.
 */
static json_t *
rows_array(struct ks_request *req, int qid, int n, const char *const *v,
    json_t *(*fn)(PGresult *, int))
{
	PGresult *r;

	if ((r = ks_db_q(req, qid, n, v)) == NULL)
		return NULL;
	return ks_db_rows(r, fn);
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

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A string member of a JSON object, or NULL when absent or null. */
static const char *
jstr(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * Name the member of a household body (its index) that the error just
 * set concerns, so a form can show it at that member. Returns KS_ERROR.
 */
static int
at_member(struct ks_request *req, int idx)
{
	if (idx < 0)
		return KS_ERROR;
	if (req->err.detail == NULL)
		req->err.detail = json_object();
	if (json_is_object(req->err.detail))
		json_object_set_new(req->err.detail, "member",
		    json_integer(idx));
	return KS_ERROR;
}

/* ------------------------------------------------------------- persons */

/* A person without the AHV number: answers and audit digests. */
static json_t *
person_json(PGresult *r, int i)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", json_integer(ks_db_getll(r, i, "id")));
	json_object_set_new(j, "last_name", ks_db_json_str(r, i, "last_name"));
	json_object_set_new(j, "first_name", ks_db_json_str(r, i,
	    "first_name"));
	json_object_set_new(j, "birth_date", ks_db_json_str(r, i,
	    "birth_date"));
	json_object_set_new(j, "sex", ks_db_json_str(r, i, "sex"));
	json_object_set_new(j, "has_ahv",
	    json_boolean(!ks_db_isnull(r, i, "ahv_enc")));
	json_object_set_new(j, "nationality", ks_db_json_str(r, i,
	    "nationality"));
	json_object_set_new(j, "permit", ks_db_json_str(r, i, "permit"));
	json_object_set_new(j, "street", ks_db_json_str(r, i, "street"));
	json_object_set_new(j, "house_no", ks_db_json_str(r, i, "house_no"));
	json_object_set_new(j, "postcode", ks_db_json_str(r, i, "postcode"));
	json_object_set_new(j, "town", ks_db_json_str(r, i, "town"));
	json_object_set_new(j, "country", ks_db_json_str(r, i, "country"));
	json_object_set_new(j, "phone", ks_db_json_str(r, i, "phone"));
	json_object_set_new(j, "email", ks_db_json_str(r, i, "email"));
	json_object_set_new(j, "language", ks_db_json_str(r, i, "language"));
	json_object_set_new(j, "iban", ks_db_json_str(r, i, "iban"));
	json_object_set_new(j, "civil_status", ks_db_json_str(r, i,
	    "civil_status"));
	json_object_set_new(j, "version",
	    json_integer(ks_db_getll(r, i, "version")));
	json_object_set_new(j, "created_at", ks_db_json_str(r, i,
	    "created_at"));
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
	if (ks_db_isnull(r, 0, "ahv_enc") ||
	    !ks_has_perm(&req->who, "person.read")) {
		json_object_set_new(j, "ahv", json_null());
		return KS_OK;
	}
	if (ks_datakey_decrypt(req, ks_db_str(r, 0, "ahv_enc"), &plain) !=
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
	const char *v[1] = { ks_num(req, id) };
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
	if (c[C_CIVIL] != NULL && !in_list(c[C_CIVIL], civil_states))
		return field_fail(req, 400, "invalid_value", "the civil status "
		    "is single, married, separated, divorced, widowed, "
		    "registered_partnership, dissolved_partnership or unknown",
		    "civil_status");
	if (c[C_PERMIT] != NULL && !in_list(c[C_PERMIT], permits))
		return field_fail(req, 400, "invalid_value", "the residence "
		    "permit is B, C, Ci, F, G, L, N or S", "permit");
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
	v[1] = ks_num(req, self);
	if ((r = ks_db_q(req, Q_PERSON_BY_AHV, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) > 0)
		return ks_fail_detail(req, 409, "duplicate_person", "a person "
		    "with this AHV number is registered already",
		    json_pack("{s:I}", "person_id",
		    (json_int_t)ks_db_getll(r, 0, "id")));
	return KS_OK;
}

/*
 * Likely duplicates of a new person (src holds its fields and the
 * override flag; others is an array literal of persons registered
 * earlier in this request, who are not candidates). Returns KS_OK with
 * *cands set to their ids (NULL: none, or overridden with none found),
 * or the 409.
 */
static int
similar_check(struct ks_request *req, json_t *src, const char *others,
    const char **c, json_t **cands)
{
	const char *v[5] = { c[C_BIRTH], c[C_LAST], c[C_FIRST],
	    c[C_AHV_HASH], others };
	json_t *ov = json_object_get(src, "override_duplicate");
	json_t *list, *ids;
	PGresult *r;
	int i;

	*cands = NULL;
	if ((r = ks_db_q(req, Q_PERSON_SIMILAR, 5, v)) == NULL)
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
			    json_integer(ks_db_getll(r, i, "id")));
		*cands = ids;
		return KS_OK;
	}
	list = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:s}",
		    "id", (json_int_t)ks_db_getll(r, i, "id"), "name",
		    ks_arena_printf(req->arena, "%s %s", ks_db_str(r, i,
		    "last_name"),
		    ks_db_str(r, i, "first_name")), "last_name", ks_db_str(r, i,
		    "last_name"),
		    "first_name", ks_db_str(r, i, "first_name"), "birth_date",
		    ks_db_str(r, i, "birth_date")));
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

	if (add_ahv(req, r, j, &shown) != KS_OK ||
	    person_more(req, ks_db_str(r, 0, "id"), j) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, status, j);
}

/* The ids of a JSON array of integers as a PostgreSQL array literal. */
static const char *
id_array(struct ks_request *req, json_t *ids)
{
	const char *s = "{";
	json_t *x;
	size_t i;

	json_array_foreach(ids, i, x)
		s = ks_arena_printf(req->arena, "%s%s%lld", s, i ? "," : "",
		    (long long)json_integer_value(x));
	return ks_arena_printf(req->arena, "%s}", s);
}

/*
 * Register one person from the fields of src: the body of POST
 * /persons, or a new member of a household being registered. created
 * (may be NULL) holds the ids registered earlier in this request; they
 * are no candidates for a duplicate, and the new id is appended. The
 * AHV number, duplicates, audit events as for a single registration.
 * Returns the new row, or NULL with the error set.
 */
static PGresult *
person_insert(struct ks_request *req, json_t *src, json_t *created)
{
	const char *c[NCOL] = { 0 }, *ahv = jstr(src, "ahv");
	const struct pcol *p;
	char norm[KS_AHV_BUFLEN];
	json_t *cands = NULL;
	PGresult *r;
	const char *id;

	for (p = pcols; p->name != NULL; p++)
		c[p->col] = jstr(src, p->name);
	if (person_check(req, c) != KS_OK)
		return NULL;
	if (ahv != NULL) {
		if (ahv_take(req, ahv, 0, c, norm) != KS_OK ||
		    ks_datakey_encrypt(req, norm, &c[C_AHV_ENC]) != KS_OK)
			return NULL;
	}
	if (similar_check(req, src, id_array(req, created), c, &cands) !=
	    KS_OK || (r = ks_db_q(req, Q_PERSON_INSERT, NCOL, c)) == NULL) {
		json_decref(cands);
		return NULL;
	}
	id = ks_db_str(r, 0, "id");
	if (cands != NULL && ks_audit(req, "person_duplicate_override",
	    "person", id, NULL, NULL, json_pack("{s:o}", "candidates",
	    cands)) != KS_OK)
		return NULL;
	if (ks_audit(req, "person_created", "person", id, NULL,
	    person_json(r, 0), NULL) != KS_OK)
		return NULL;
	if (created != NULL)
		json_array_append_new(created,
		    json_integer(ks_db_getll(r, 0, "id")));
	return r;
}

static int
person_create(struct ks_request *req)
{
	PGresult *r;

	if (need_keys(req) != KS_OK ||
	    (r = person_insert(req, req->body, NULL)) == NULL)
		return KS_ERROR;
	ks_header(req, "Location", ks_arena_printf(req->arena,
	    "/api/v1/persons/%s", ks_db_str(r, 0, "id")));
	return person_reply(req, r, 201);
}

/* One address (a row of address_list or address_on). */
static json_t *
address_json(PGresult *r, int i)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "valid_from", ks_db_json_str(r, i, "valid_from"),
	    "valid_to", ks_db_json_str(r, i, "valid_to"),
	    "street", ks_db_json_str(r, i, "street"),
	    "house_no", ks_db_json_str(r, i, "house_no"),
	    "postcode", ks_db_json_str(r, i, "postcode"),
	    "town", ks_db_json_str(r, i, "town"),
	    "country", ks_db_json_str(r, i, "country"),
	    "recorded_at", ks_db_json_str(r, i, "recorded_at"));
}

/*
 * Add what the person page shows beside the record: the addresses over
 * time (newest first) and, to holders of case.read, the dossiers.
 */
static int
person_more(struct ks_request *req, const char *id, json_t *j)
{
	const char *v[1] = { id };
	PGresult *r;
	json_t *a;

	if ((a = rows_array(req, Q_ADDRESS_LIST, 1, v, address_json)) == NULL)
		return KS_ERROR;
	json_object_set_new(j, "addresses", a);
	if (!ks_has_perm(&req->who, "case.read"))
		return KS_OK;
	if ((r = ks_db_q(req, Q_PERSON_DOSSIER_LIST, 1, v)) == NULL)
		return KS_ERROR;
	a = ks_db_isnull(r, 0, "dossiers") ? NULL :
	    json_loads(ks_db_str(r, 0, "dossiers"), 0, NULL);
	json_object_set_new(j, "dossiers", a ? a : json_array());
	return KS_OK;
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
	    person_more(req, ks_db_str(r, 0, "id"), j) != KS_OK ||
	    (shown && ks_audit(req, "person_read", "person",
	    ks_db_str(r, 0, "id"), NULL, NULL, json_pack("{s:b}", "ahv",
	    1)) != KS_OK)) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, j);
}

static const struct ks_field address_params[] = {
	{ "on", KS_F_DATE, 0, 0, 0, "the day; absent: today" },
	KS_FIELDS_END
};

static int
person_address(struct ks_request *req)
{
	const char *v[2];
	PGresult *r;
	int64_t id;

	if (need_keys(req) != KS_OK || ks_param_id(req, "id", &id) != KS_OK ||
	    check_query(req, address_params) != KS_OK ||
	    (v[1] = ks_query_date(req, "on")) == NULL ||
	    person_get(req, id) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_ADDRESS_ON, 2, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, json_pack("{s:s,s:o}", "on", v[1],
	    "address", PQntuples(r) == 1 ? address_json(r, 0) : json_null()));
}

/* The current row's values, then the body's changes over them. */
static void
merge(struct ks_request *req, PGresult *b, const char **c)
{
	const struct pcol *p;
	json_t *v;

	for (p = pcols; p->name != NULL; p++) {
		c[p->col] = ks_db_get(b, 0, p->name);
		v = json_object_get(req->body, p->name);
		if (json_is_string(v))
			c[p->col] = json_string_value(v);
		else if (json_is_null(v) && p->nullable)
			c[p->col] = NULL;
	}
	c[C_AHV_ENC] = ks_db_get(b, 0, "ahv_enc");
	c[C_AHV_HASH] = ks_db_get(b, 0, "ahv_hash");
}

/*
 * The address part of a change. With address_valid_from (today or
 * earlier) the merged address is a move on that day, recorded in the
 * history (a second move on the same day corrects the first); without,
 * changed address fields correct the address in force today. Then the
 * person's columns in c take the address in force today, which a move
 * back in time need not change.
 */
static int
address_change(struct ks_request *req, int64_t id, const char **c,
    const char **from)
{
	const char *v[7], *today = ks_today(req);
	const char *const *f;
	PGresult *r = NULL;
	int touched = 0;

	*from = ks_body_str(req, "address_valid_from");
	for (f = addr_fields; *f != NULL; f++)
		touched |= json_object_get(req->body, *f) != NULL;
	if (*from == NULL && !touched)
		return KS_OK;
	if (*from != NULL && strcmp(*from, today) > 0)
		return field_fail(req, 400, "invalid_value", "a move is "
		    "recorded from its day on: today or a day before",
		    "address_valid_from");
	v[0] = ks_num(req, id);
	v[1] = *from != NULL ? *from : today;
	v[2] = c[C_STREET];
	v[3] = c[C_HOUSE];
	v[4] = c[C_POST];
	v[5] = c[C_TOWN];
	v[6] = c[C_COUNTRY];
	if (*from == NULL) {
		if ((r = ks_db_q(req, Q_ADDRESS_CORRECT, 7, v)) == NULL)
			return KS_ERROR;
		v[1] = NULL;	/* none yet: the first one */
	}
	if ((*from != NULL || PQntuples(r) == 0) &&
	    ks_db_q(req, Q_ADDRESS_PUT, 7, v) == NULL)
		return KS_ERROR;
	v[1] = today;
	if ((r = ks_db_q(req, Q_ADDRESS_ON, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 1) {
		c[C_STREET] = ks_db_get(r, 0, "street");
		c[C_HOUSE] = ks_db_get(r, 0, "house_no");
		c[C_POST] = ks_db_get(r, 0, "postcode");
		c[C_TOWN] = ks_db_get(r, 0, "town");
		c[C_COUNTRY] = ks_db_get(r, 0, "country");
	}
	return KS_OK;
}

static int
person_patch(struct ks_request *req)
{
	const char *c[NCOL], *v[NCOL + 2];
	json_t *ahv = json_object_get(req->body, "ahv");
	char norm[KS_AHV_BUFLEN];
	const char *old_hash, *moved;
	PGresult *b, *r;
	json_t *detail;
	int64_t id;
	int changed = 0;

	if (need_keys(req) != KS_OK || ks_param_id(req, "id", &id) != KS_OK ||
	    (b = person_get(req, id)) == NULL ||
	    ks_access_person(req, id) != KS_OK ||
	    ks_check_etag(req, ks_db_getll(b, 0, "version"),
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
	if (address_change(req, id, c, &moved) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	memcpy(v + 1, c, sizeof(c));
	v[NCOL + 1] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_PERSON_UPDATE, NCOL + 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail_detail(req, 409, "conflict", "someone else "
		    "changed this record; review the current state and apply "
		    "your change again", json_pack("{s:o}", "current",
		    person_json(b, 0)));
	detail = json_object();
	if (changed)
		json_object_set_new(detail, "ahv_changed", json_true());
	if (moved != NULL)
		json_object_set_new(detail, "moved_on", json_string(moved));
	if (json_object_size(detail) == 0) {
		json_decref(detail);
		detail = NULL;
	}
	if (ks_audit(req, "person_changed", "person", v[0], person_json(b, 0),
	    person_json(r, 0), detail) != KS_OK)
		return KS_ERROR;
	return person_reply(req, r, 200);
}

static const struct ks_field search_params[] = {
	{ "q", KS_F_STRING, 0, 1, 100, "a name prefix (last or first name), "
	    "or two: \"last first\" or \"first last\"; any spelling of "
	    "umlauts and accents" },
	{ "birth_date", KS_F_DATE, 0, 0, 0, NULL },
	{ "ahv", KS_F_STRING, 0, 1, 20, "exact AHV number" },
	{ "limit", KS_F_STRING, 0, 0, 0, NULL },
	{ "after", KS_F_STRING, 0, 0, 0, NULL },
	KS_FIELDS_END
};

/* A text column as a JSON string, or null for SQL NULL. */
static int
put_str(struct ks_buf *o, const PGresult *r, int i, const char *col)
{
	const char *v = ks_db_get(r, i, col);

	if (v == NULL) {
		ks_buf_put(o, "null", 4);
		return 0;
	}
	return ks_json_put_str(o, v, strlen(v));
}

/* A column as it is: PostgreSQL's text of an integer is JSON's. */
static void
put_as_is(struct ks_buf *o, const PGresult *r, int i, const char *col)
{
	const char *v = ks_db_str(r, i, col);

	ks_buf_put(o, v, strlen(v));
}

/*
 * A search hit, with its dossiers when the query fetched them, written
 * as JSON text: the dossiers' JSON from PostgreSQL goes into the answer
 * as it came (ks_json_put_pg), not parsed into a tree and dumped again,
 * which was a third of the search's work in kasusd (issue 13). The hit's
 * id is the read record's ref, as a JSON answer's item id would be.
 */
static int
hit_put(struct ks_request *req, struct ks_buf *o, const PGresult *r, int i,
    int dossiers)
{
	const char *d;
	int bad = 0;

	KS_BUF_LIT(o, "{\"id\":");
	put_as_is(o, r, i, "id");
	ks_audit_answer_ref(req, ks_db_str(r, i, "id"));
	KS_BUF_LIT(o, ",\"last_name\":");
	bad |= put_str(o, r, i, "last_name");
	KS_BUF_LIT(o, ",\"first_name\":");
	bad |= put_str(o, r, i, "first_name");
	KS_BUF_LIT(o, ",\"birth_date\":");
	bad |= put_str(o, r, i, "birth_date");
	KS_BUF_LIT(o, ",\"sex\":");
	bad |= put_str(o, r, i, "sex");
	if (strcmp(ks_db_str(r, i, "has_ahv"), "t") == 0)
		KS_BUF_LIT(o, ",\"has_ahv\":true,\"postcode\":");
	else
		KS_BUF_LIT(o, ",\"has_ahv\":false,\"postcode\":");
	bad |= put_str(o, r, i, "postcode");
	KS_BUF_LIT(o, ",\"town\":");
	bad |= put_str(o, r, i, "town");
	KS_BUF_LIT(o, ",\"version\":");
	put_as_is(o, r, i, "version");
	if (dossiers) {
		KS_BUF_LIT(o, ",\"dossiers\":");
		if ((d = ks_db_get(r, i, "dossiers")) == NULL)
			KS_BUF_LIT(o, "[]");
		else
			ks_json_put_pg(o, d, strlen(d));
	}
	KS_BUF_LIT(o, "}");
	return bad ? -1 : 0;
}

/* The search's page { items, next } as JSON text in the request's arena. */
static int
hits_reply(struct ks_request *req, const PGresult *r, long long n,
    int dossiers)
{
	struct ks_buf o;
	int i, rows = PQntuples(r), bad = 0;

	o.len = 0;
	o.cap = 512 + (size_t)rows * (dossiers ? 512 : 256);
	if ((o.p = malloc(o.cap)) == NULL)
		abort();
	KS_BUF_LIT(&o, "{\"items\":[");
	for (i = 0; i < rows && !bad; i++) {
		if (i > 0)
			KS_BUF_LIT(&o, ",");
		bad = hit_put(req, &o, r, i, dossiers) != 0;
	}
	/* next: the last id of a full page (ks_db_cursor), else null */
	if (n > 0 && rows >= n) {
		KS_BUF_LIT(&o, "],\"next\":\"");
		put_as_is(&o, r, rows - 1, "id");
		KS_BUF_LIT(&o, "\"}");
	} else
		KS_BUF_LIT(&o, "],\"next\":null}");
	if (bad) {
		free(o.p);
		return ks_fail(req, 500, "internal_error", "the request could "
		    "not be completed");
	}
	ks_arena_cleanup(req->arena, free, o.p);
	req->raw = o.p;
	req->raw_len = o.len;
	req->ctype = "application/json";
	return KS_OK;
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
	const char *v[6], *q = ks_query(req, "q"), *ahv = ks_query(req, "ahv");
	const char *hash;
	char norm[KS_AHV_BUFLEN];
	long long n;
	PGresult *r;
	int ds = ks_has_perm(&req->who, "case.read");

	if (need_keys(req) != KS_OK || check_query(req, search_params) !=
	    KS_OK || ks_page(req, &v[3], &v[4], &n) != KS_OK)
		return KS_ERROR;
	if (ahv != NULL) {
		if (ks_ahv_valid(ahv, norm, sizeof(norm)) != 1)
			return field_fail(req, 400, "invalid_ahv", "the AHV "
			    "number is not valid", "ahv");
		if (ks_datakey_hash(req, norm, 0, &hash) != KS_OK)
			return KS_ERROR;
		if (hash == NULL)	/* no keys yet: nobody has one */
			return ks_reply(req, 200, json_pack("{s:[],s:n}",
			    "items", "next"));
		v[0] = hash;
		v[1] = ks_query(req, "birth_date");
		v[2] = v[3];
		v[3] = v[4];
		v[4] = ds ? "t" : "f";
		r = ks_db_q(req, Q_PERSON_SEARCH_AHV, 5, v);
	} else {
		split_q(req, q ? q : "", &v[0], &v[1]);
		v[2] = ks_query(req, "birth_date");
		v[5] = ds ? "t" : "f";
		r = ks_db_q(req, Q_PERSON_SEARCH, 6, v);
	}
	if (r == NULL)
		return KS_ERROR;
	return hits_reply(req, r, n, ds);
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
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_PERSON_HOUSEHOLDS, 1, v)) == NULL)
		return KS_ERROR;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:s,s:s,"
		    "s:o}", "member_id", (json_int_t)ks_db_getll(r, i, "id"),
		    "household_id", (json_int_t)ks_db_getll(r, i,
		    "household_id"), "name",
		    ks_db_str(r, i, "name"), "role", ks_db_str(r, i, "role"),
		    "valid_from", ks_db_str(r, i, "valid_from"), "valid_to",
		    ks_db_json_str(r, i, "valid_to")));
	return ks_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
	    "next"));
}

/* ----------------------------------------------------------- households */

static json_t *
member_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:o}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "person_id", (json_int_t)ks_db_getll(r, i, "person_id"),
	    "last_name", ks_db_str(r, i, "last_name"), "first_name",
	    ks_db_str(r, i, "first_name"),
	    "birth_date", ks_db_str(r, i, "birth_date"), "role", ks_db_str(r, i,
	    "role"),
	    "valid_from", ks_db_str(r, i, "valid_from"),
	    "valid_to", ks_db_json_str(r, i, "valid_to"));
}

/* The household row h with its members (on a date, or all). */
static json_t *
household_json(struct ks_request *req, PGresult *h, const char *on)
{
	const char *v[2] = { ks_db_str(h, 0, "id"), on };
	json_t *ms;

	if ((ms = rows_array(req, Q_HOUSEHOLD_MEMBERS, 2, v, member_json)) ==
	    NULL)
		return NULL;
	return json_pack("{s:I,s:s,s:I,s:I,s:s,s:o}",
	    "id", (json_int_t)ks_db_getll(h, 0, "id"), "name", ks_db_str(h, 0,
	    "name"),
	    "flat_extra_persons", (json_int_t)ks_db_getll(h, 0,
	    "flat_extra_persons"),
	    "version", (json_int_t)ks_db_getll(h, 0, "version"),
	    "created_at", ks_db_str(h, 0, "created_at"), "members", ms);
}

static PGresult *
household_get(struct ks_request *req, int64_t id, int lock)
{
	const char *v[1] = { ks_num(req, id) };
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
 * A move: the person's membership m (a row of member_overlap_person)
 * ends on from, the day the new one in household hid begins, so that
 * there is neither a gap nor an overlap. The other household is locked,
 * its version bumped and the end audited there. A membership that does
 * not begin before from is left as it is (the caller refuses).
 */
static int
move_out(struct ks_request *req, const char *hid, int64_t person,
    PGresult *m, const char *from)
{
	const char *v[3] = { ks_db_str(m, 0, "household_id"), ks_db_str(m, 0,
	    "id"), from };
	int other = strcmp(v[0], hid) != 0;

	if (strcmp(ks_db_str(m, 0, "valid_from"), from) >= 0)
		return KS_OK;
	if (other && (ks_db_q(req, Q_HOUSEHOLD_LOCK, 1, v) == NULL ||
	    ks_db_q(req, Q_HOUSEHOLD_BUMP, 1, v) == NULL))
		return KS_ERROR;
	if (ks_db_q(req, Q_MEMBER_SET_END, 3, v) == NULL)
		return KS_ERROR;
	return ks_audit(req, "household_member_ended", "household", v[0],
	    NULL, NULL, json_pack("{s:I,s:I,s:s,s:I}", "member_id",
	    (json_int_t)ks_db_getll(m, 0, "id"), "person_id",
	    (json_int_t)person,
	    "valid_to", from, "moved_to", (json_int_t)atoll(hid)));
}

/*
 * Check and store one membership of person in household hid for
 * [from, to); self is the member being changed (0 for a new one). With
 * move, a membership elsewhere that began before from ends on from.
 */
static int
member_put(struct ks_request *req, const char *hid, int64_t person,
    const char *role, const char *from, const char *to, int64_t self,
    int move)
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
	v[0] = ks_num(req, person);
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
	v[3] = ks_num(req, self);
	if ((r = ks_db_q(req, Q_MEMBER_OVERLAP_PERSON, 4, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) > 0 && move && self == 0) {
		if (move_out(req, hid, person, r, from) != KS_OK ||
		    (r = ks_db_q(req, Q_MEMBER_OVERLAP_PERSON, 4, v)) == NULL)
			return KS_ERROR;
	}
	if (PQntuples(r) > 0)
		return ks_fail_detail(req, 409, "membership_overlap", move ?
		    "the person belongs to a household from this day on or "
		    "later already; a move ends only a membership that began "
		    "before it" : "the person belongs to a household in this "
		    "period already; send \"move\": true to end that "
		    "membership on this day",
		    json_pack("{s:I,s:I,s:I,s:s,s:s,s:o}", "person_id",
		    (json_int_t)person, "member_id",
		    (json_int_t)ks_db_getll(r, 0, "id"), "household_id",
		    (json_int_t)ks_db_getll(r, 0, "household_id"), "household",
		    ks_db_str(r, 0, "name"), "valid_from",
		    ks_db_str(r, 0, "valid_from"), "valid_to",
		    ks_db_json_str(r, 0, "valid_to")));
	if (i <= 1) {
		const char *w[5] = { hid, role, from, to, ks_num(req, self) };

		if ((r = ks_db_q(req, Q_MEMBER_OVERLAP_ROLE, 5, w)) == NULL)
			return KS_ERROR;
		if (PQntuples(r) > 0)
			return ks_fail_detail(req, 409, "role_taken", i == 0 ?
			    "the household has an applicant in this period "
			    "already" : "the household has a partner in this "
			    "period already", json_pack("{s:s,s:I,s:I,s:s,"
			    "s:o}", "role", role, "member_id",
			    (json_int_t)ks_db_getll(r, 0, "id"), "person_id",
			    (json_int_t)ks_db_getll(r, 0, "person_id"),
			    "valid_from",
			    ks_db_str(r, 0, "valid_from"), "valid_to",
			    ks_db_json_str(r, 0, "valid_to")));
	}
	if (self != 0) {
		const char *w[3] = { hid, ks_num(req, self), to };

		return ks_db_q(req, Q_MEMBER_SET_END, 3, w) ? KS_OK : KS_ERROR;
	}
	v[0] = hid;
	v[1] = ks_num(req, person);
	v[2] = role;
	v[3] = from;
	v[4] = to;
	return ks_db_q(req, Q_MEMBER_INSERT, 5, v) ? KS_OK : KS_ERROR;
}

static const struct ks_field person_new[] = {
	{ "last_name", KS_F_STRING, 1, 1, 100, NULL },
	{ "first_name", KS_F_STRING, 1, 1, 100, NULL },
	{ "birth_date", KS_F_DATE, 1, 0, 0, NULL },
	{ "sex", KS_F_STRING, 0, 1, 1, "f, m or x" },
	{ "ahv", KS_F_STRING, 0, 13, 16, "AHV number, 756.XXXX.XXXX.XX" },
	{ "nationality", KS_F_STRING, 0, 2, 2, "ISO 3166 alpha-2" },
	{ "permit", KS_F_STRING, 0, 1, 10,
	    "residence permit: B, C, Ci, F, G, L, N or S" },
	{ "street", KS_F_STRING, 0, 1, 70, NULL },
	{ "house_no", KS_F_STRING, 0, 1, 16, NULL },
	{ "postcode", KS_F_STRING, 0, 1, 16, NULL },
	{ "town", KS_F_STRING, 0, 1, 35, NULL },
	{ "country", KS_F_STRING, 0, 2, 2, "ISO 3166 alpha-2, default CH" },
	{ "phone", KS_F_STRING, 0, 3, 40, NULL },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	{ "language", KS_F_LANG, 0, 0, 0, NULL },
	{ "iban", KS_F_STRING, 0, 15, 42, "no QR-IBAN" },
	{ "civil_status", KS_F_STRING, 0, 1, 30, "single, married, separated, "
	    "divorced, widowed, registered_partnership, "
	    "dissolved_partnership, unknown" },
	{ "override_duplicate", KS_F_BOOL, 0, 0, 0,
	    "register despite a likely duplicate (audited)" },
	KS_FIELDS_END
};

static const struct ks_field member_new[] = {
	{ "person_id", KS_F_INT, 0, 1, 0, "an existing person; or person" },
	{ "person", KS_F_OBJECT, 0, 0, 0, "a new person: the fields of "
	    "POST /api/v1/persons, override_duplicate included" },
	{ "role", KS_F_STRING, 1, 1, 20, "applicant, partner, child, other" },
	{ "valid_from", KS_F_DATE, 1, 0, 0, NULL },
	{ "valid_to", KS_F_DATE, 0, 0, 0, "exclusive; absent: open-ended" },
	{ "move", KS_F_BOOL, 0, 0, 0, "the person moves here: a membership "
	    "elsewhere that began before valid_from ends on it" },
	KS_FIELDS_END
};

/*
 * One member from JSON m: an existing person (person_id) or a new one
 * (person, registered here with the duplicate checks; created lists
 * the persons registered earlier in the request). idx names the member
 * in errors (-1: the body is the member). *out: the person's id.
 */
static int
member_from_json(struct ks_request *req, const char *hid, json_t *m,
    int idx, json_t *created, int64_t *out)
{
	json_t *pid = json_object_get(m, "person_id");
	json_t *pn = json_object_get(m, "person");
	int64_t person;
	PGresult *r;

	if (ks_validate(req, member_new, m) != KS_OK)
		return at_member(req, idx);
	if (json_is_integer(pid) && json_is_object(pn)) {
		field_fail(req, 400, "invalid_value", "a member is an existing "
		    "person (person_id) or a new one (person), not both",
		    "person");
		return at_member(req, idx);
	}
	if (json_is_object(pn)) {
		if (need_keys(req) != KS_OK ||
		    ks_validate(req, person_new, pn) != KS_OK ||
		    (r = person_insert(req, pn, created)) == NULL)
			return at_member(req, idx);
		person = ks_db_getll(r, 0, "id");
	} else if (json_is_integer(pid)) {
		person = json_integer_value(pid);
	} else {
		ks_fail_detail(req, 400, "missing_field", "a member is an "
		    "existing person (person_id) or a new one (person)",
		    json_pack("{s:s,s:s}", "field", "person_id", "expected",
		    "integer"));
		return at_member(req, idx);
	}
	if (member_put(req, hid, person, jstr(m, "role"),
	    jstr(m, "valid_from"), jstr(m, "valid_to"), 0,
	    json_is_true(json_object_get(m, "move"))) != KS_OK)
		return at_member(req, idx);
	*out = person;
	return KS_OK;
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
	ks_set_etag(req, ks_db_getll(h, 0, "version"));
	return ks_reply(req, status, j);
}

static int
household_create(struct ks_request *req)
{
	json_t *fx = json_object_get(req->body, "flat_extra_persons");
	json_t *ms = json_object_get(req->body, "members"), *m, *j, *created;
	const char *v[2], *hid;
	PGresult *h;
	int64_t person;
	size_t i;
	int rc;

	v[0] = ks_body_str(req, "name");
	v[1] = json_is_integer(fx) ? ks_num(req, json_integer_value(fx)) : NULL;
	if (blank(v[0]))
		return field_fail(req, 400, "invalid_value",
		    "a name must not be blank", "name");
	if ((h = ks_db_q(req, Q_HOUSEHOLD_INSERT, 2, v)) == NULL)
		return KS_ERROR;
	hid = ks_db_str(h, 0, "id");
	/* A family in one go: every member in this transaction, or none. */
	created = json_array();
	rc = KS_OK;
	json_array_foreach(ms, i, m) {
		if (!json_is_object(m)) {
			field_fail(req, 400, "invalid_type", "each member is "
			    "an object", "members");
			rc = at_member(req, (int)i);
		} else
			rc = member_from_json(req, hid, m, (int)i, created,
			    &person);
		if (rc != KS_OK)
			break;
	}
	json_decref(created);
	if (rc != KS_OK || (j = household_json(req, h, NULL)) == NULL)
		return KS_ERROR;
	if (ks_audit(req, "household_created", "household", hid, NULL,
	    json_incref(j), NULL) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_header(req, "Location", ks_arena_printf(req->arena,
	    "/api/v1/households/%s", hid));
	ks_set_etag(req, ks_db_getll(h, 0, "version"));
	return ks_reply(req, 201, j);
}

static const struct ks_field household_params[] = {
	{ "on", KS_F_DATE, 0, 0, 0, "members on this day" },
	KS_FIELDS_END
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
	ks_set_etag(req, ks_db_getll(h, 0, "version"));
	return ks_reply(req, 200, j);
}

/*
 * A member joins a running household: an existing person, moving from
 * another household with "move", or a new one (a new-born). If-Match:
 * the household's version, as the form showed it.
 */
static int
member_add(struct ks_request *req)
{
	PGresult *h;
	json_t *cur, *created;
	int64_t id, person;
	int rc;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    (h = household_get(req, id, 1)) == NULL ||
	    ks_access_household(req, id) != KS_OK ||
	    (cur = household_json(req, h, NULL)) == NULL ||
	    ks_check_etag(req, ks_db_getll(h, 0, "version"), cur) != KS_OK)
		return KS_ERROR;
	created = json_array();
	rc = member_from_json(req, ks_db_str(h, 0, "id"), req->body, -1,
	    created, &person);
	json_decref(created);
	if (rc != KS_OK)
		return KS_ERROR;
	return household_changed(req, ks_db_str(h, 0, "id"),
	    "household_member_added", json_pack("{s:I,s:b,s:b}", "person_id",
	    (json_int_t)person, "new_person", !json_is_integer(
	    json_object_get(req->body, "person_id")), "moved",
	    json_is_true(json_object_get(req->body, "move"))), 201);
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
	    ks_check_etag(req, ks_db_getll(h, 0, "version"), cur) != KS_OK)
		return KS_ERROR;
	v[0] = ks_db_str(h, 0, "id");
	v[1] = ks_num(req, mid);
	if ((m = ks_db_q(req, Q_MEMBER_GET, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(m) != 1)
		return ks_fail(req, 404, "not_found",
		    "no such member of this household");
	if (member_put(req, v[0], ks_db_getll(m, 0, "person_id"), ks_db_str(m,
	    0, "role"),
	    ks_db_str(m, 0, "valid_from"), to, mid, 0) != KS_OK)
		return KS_ERROR;
	return household_changed(req, v[0], "household_member_ended",
	    json_pack("{s:I,s:I,s:s}", "member_id", (json_int_t)mid,
	    "person_id", (json_int_t)ks_db_getll(m, 0, "person_id"), "valid_to",
	    to), 200);
}

/* -------------------------------------------------------------- tables */

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
	{ "civil_status", KS_F_STRING, 0, 1, 30, NULL },
	{ "address_valid_from", KS_F_DATE, 0, 0, 0, "a move: the address "
	    "fields apply from this day (today or earlier); absent: they "
	    "correct the address in force today" },
	KS_FIELDS_END
};
static const struct ks_field household_new[] = {
	{ "name", KS_F_STRING, 1, 1, 200, NULL },
	{ "flat_extra_persons", KS_F_INT, 0, 0, 20,
	    "others living in the flat, outside the support unit" },
	{ "members", KS_F_ARRAY, 0, 0, 20, "a family in one go: [{person_id "
	    "or person (a new one, as POST /api/v1/persons), role, "
	    "valid_from, valid_to?, move?}]" },
	KS_FIELDS_END
};
static const struct ks_field member_change[] = {
	{ "valid_to", KS_F_DATE, 1, 0, 0, "the day after the last one" },
	KS_FIELDS_END
};

#define P	"/api/v1/persons"
#define H	"/api/v1/households"
#define PR	"person.read"
#define PW	"person.write"

static const struct ks_route routes[] = {
	{ "GET", P, PR, 0, NULL, KS_R_PAGED | KS_R_AUDIT | KS_R_PARK,
	    persons_search,
	    "find persons: ?q=<name prefix> (last or first name, or both, "
	    "any spelling), &birth_date=, &ahv=, &limit=, &after=; with "
	    "their dossiers for holders of case.read", NULL },
	{ "POST", P, PW, KB, person_new, 0, person_create,
	    "register a person (duplicate check)", NULL },
	{ "GET", P "/{id}", PR, 0, NULL, KS_R_AUDIT | KS_R_PARK, person_show,
	    "a person with the AHV number (audited), addresses over time "
	    "and dossiers", NULL },
	{ "PATCH", P "/{id}", PW, KB, person_change, KS_R_ETAG, person_patch,
	    "change a person (If-Match); a move with address_valid_from",
	    NULL },
	{ "GET", P "/{id}/address", PR, 0, NULL, KS_R_AUDIT, person_address,
	    "the address in force on a day (?on=YYYY-MM-DD, default today)",
	    NULL },
	{ "GET", P "/{id}/households", PR, 0, NULL, KS_R_AUDIT,
	    person_households,
	    "a person's households over time", NULL },
	{ "POST", H, PW, 64 * 1024, household_new, 0, household_create,
	    "register a household with its members, new persons included, "
	    "in one transaction", NULL },
	{ "GET", H "/{id}", PR, 0, NULL, KS_R_AUDIT, household_show,
	    "a household with its members (?on=YYYY-MM-DD)", NULL },
	{ "POST", H "/{id}/members", PW, KB, member_new, KS_R_ETAG,
	    member_add, "add a member from a day: an existing person (moving "
	    "from another household with move), or a new one (If-Match)",
	    NULL },
	{ "PATCH", H "/{id}/members/{member_id}", PW, KB, member_change,
	    KS_R_ETAG, member_end,
	    "end a membership (If-Match: the household's version)", NULL },
	KS_ROUTES_END
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
