/*
 * test_validate.c - JSON bodies checked against a route's field list:
 * unknown, missing and mistyped fields, slugs, dates, languages, length
 * and range bounds, string arrays. Every failure is a 400 whose
 * detail names the field.
 */
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static const struct ks_field user_spec[] = {
	{ "username", KS_F_SLUG, 1, 0, 0, "login name" },
	{ "display_name", KS_F_STRING, 1, 1, 20, "full name" },
	{ "email", KS_F_STRING, 0, 3, 254, NULL },
	{ "lang", KS_F_LANG, 0, 0, 0, NULL },
	{ "born", KS_F_DATE, 0, 0, 0, NULL },
	{ "active", KS_F_BOOL, 0, 0, 0, NULL },
	{ "household", KS_F_INT, 0, 1, 12, NULL },
	{ "roles", KS_F_STRINGS, 0, 0, 4, NULL },
	{ "extra", KS_F_OBJECT, 0, 0, 0, NULL },
	KS_FIELDS_END
};

/* What the last check() saw. */
static int last_http;
static char last_field[64];

/*
 * Validate body (JSON text) against spec; returns the error code, or
 * NULL when the body is valid. Frees everything it made.
 */
static const char *
check(const struct ks_field *spec, const char *body)
{
	struct ks_request req;
	json_error_t je;
	json_t *b, *f;
	const char *code;
	int rc;

	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(4096);
	b = json_loads(body, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (b == NULL) {
		fprintf(stderr, "    bad test JSON %s: %s\n", body, je.text);
		ks_arena_free(req.arena);
		return "test_json_invalid";
	}
	rc = ks_validate(&req, spec, b);
	code = req.err.code;
	last_http = req.err.http;
	last_field[0] = '\0';
	f = json_object_get(req.err.detail, "field");
	if (json_is_string(f))
		snprintf(last_field, sizeof(last_field), "%s",
		    json_string_value(f));
	if ((rc == KS_OK) != (code == NULL)) {
		fprintf(stderr, "    ks_validate returned %d with code %s\n",
		    rc, code ? code : "(none)");
		code = "inconsistent_return";
	}
	json_decref(req.err.detail);
	json_decref(b);
	ks_arena_free(req.arena);
	return code;
}

#define OK(spec, body) do {						\
	const char *c_ = check(spec, body);				\
	if (c_ != NULL)							\
		KS_FAILF("%s refused with %s (field %s), expected ok",	\
		    body, c_, last_field);				\
} while (0)

#define BAD(spec, body, code, field) do {				\
	const char *c_ = check(spec, body);				\
	if (c_ == NULL || strcmp(c_, code) != 0)			\
		KS_FAILF("%s gave %s, expected %s", body,		\
		    c_ ? c_ : "ok", code);				\
	else if (strcmp(last_field, field) != 0)			\
		KS_FAILF("%s named field \"%s\", expected \"%s\"",	\
		    body, last_field, field);				\
	else if (last_http != 400)					\
		KS_FAILF("%s gave HTTP %d, expected 400", body,		\
		    last_http);						\
} while (0)

#define USER	"\"username\":\"anna-muster\",\"display_name\":\"Anna\""

KS_TEST(valid_bodies)
{
	OK(user_spec, "{" USER "}");
	OK(user_spec, "{" USER ",\"email\":\"a@b.ch\",\"lang\":\"fr\","
	    "\"born\":\"1980-12-31\",\"active\":true,\"household\":3,"
	    "\"roles\":[\"caseworker\",\"lead\"],\"extra\":{\"k\":1}}");
	/* Optional fields may be null. */
	OK(user_spec, "{" USER ",\"email\":null,\"born\":null,\"roles\":null}");
	OK(user_spec, "{" USER ",\"roles\":[]}");
	OK(user_spec, "{" USER ",\"active\":false}");
	/* Newlines and tabs are text, not control characters. */
	OK(user_spec, "{\"username\":\"ab\",\"display_name\":\"a\\tb\\nc\"}");
}

KS_TEST(body_must_be_object)
{
	KS_CHECK_STR(check(user_spec, "[]"), "invalid_body");
	KS_CHECK_STR(check(user_spec, "\"x\""), "invalid_body");
	KS_CHECK_STR(check(user_spec, "null"), "invalid_body");
	KS_CHECK_STR(check(user_spec, "42"), "invalid_body");
	KS_CHECK_INT(last_http, 400);
}

KS_TEST(unknown_field)
{
	BAD(user_spec, "{" USER ",\"admin\":true}", "unknown_field", "admin");
	BAD(user_spec, "{\"Username\":\"x\"," USER "}", "unknown_field",
	    "Username");
	BAD(user_spec, "{}", "missing_field", "username");
}

KS_TEST(missing_field)
{
	BAD(user_spec, "{\"username\":\"anna\"}", "missing_field",
	    "display_name");
	BAD(user_spec, "{\"display_name\":\"Anna\"}", "missing_field",
	    "username");
}

KS_TEST(required_field_null_is_refused)
{
	const char *c;

	/*
	 * ks_validate's second loop means to answer missing_field for a
	 * required field that is null; the first loop gets there first and
	 * answers invalid_type. Either is a refusal; the field is named.
	 */
	c = check(user_spec, "{\"username\":null,\"display_name\":\"A\"}");
	KS_CHECK(c != NULL && (strcmp(c, "missing_field") == 0 ||
	    strcmp(c, "invalid_type") == 0));
	KS_CHECK_STR(last_field, "username");
}

KS_TEST(wrong_type)
{
	BAD(user_spec, "{\"username\":5,\"display_name\":\"A\"}",
	    "invalid_type", "username");
	BAD(user_spec, "{" USER ",\"active\":\"true\"}", "invalid_type",
	    "active");
	BAD(user_spec, "{" USER ",\"active\":1}", "invalid_type", "active");
	BAD(user_spec, "{" USER ",\"household\":\"3\"}", "invalid_type",
	    "household");
	BAD(user_spec, "{" USER ",\"household\":3.0}", "invalid_type",
	    "household");
	BAD(user_spec, "{" USER ",\"household\":true}", "invalid_type",
	    "household");
	BAD(user_spec, "{" USER ",\"roles\":\"lead\"}", "invalid_type",
	    "roles");
	BAD(user_spec, "{" USER ",\"roles\":[\"a\",1]}", "invalid_type",
	    "roles");
	BAD(user_spec, "{" USER ",\"roles\":[[\"a\"]]}", "invalid_type",
	    "roles");
	BAD(user_spec, "{" USER ",\"extra\":[]}", "invalid_type", "extra");
	BAD(user_spec, "{" USER ",\"born\":19801231}", "invalid_type",
	    "born");
	BAD(user_spec, "{" USER ",\"lang\":[\"de\"]}", "invalid_type", "lang");
}

KS_TEST(slug)
{
	OK(user_spec, "{\"username\":\"a1\",\"display_name\":\"A\"}");
	OK(user_spec, "{\"username\":\"bern-mittelland-2\","
	    "\"display_name\":\"A\"}");
	OK(user_spec, "{\"username\":\"abcdefghijabcdefghijabcdefghijabcdefghij"
	    "abcdefghijabcdefghij123\",\"display_name\":\"A\"}");	/* 63 */
	BAD(user_spec, "{\"username\":\"abcdefghijabcdefghijabcdefghijabcdefghij"
	    "abcdefghijabcdefghij1234\",\"display_name\":\"A\"}",	/* 64 */
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"a\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"Anna\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"-anna\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"an na\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"an_na\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"m\\u00fcller\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
	BAD(user_spec, "{\"username\":\"../x\",\"display_name\":\"A\"}",
	    "invalid_value", "username");
}

KS_TEST(date)
{
	OK(user_spec, "{" USER ",\"born\":\"2024-02-29\"}");	/* leap */
	OK(user_spec, "{" USER ",\"born\":\"2000-02-29\"}");	/* 400 rule */
	OK(user_spec, "{" USER ",\"born\":\"1999-12-31\"}");
	OK(user_spec, "{" USER ",\"born\":\"2023-02-28\"}");
	OK(user_spec, "{" USER ",\"born\":\"2023-04-30\"}");
	BAD(user_spec, "{" USER ",\"born\":\"2023-02-29\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"1900-02-29\"}", "invalid_value",
	    "born");					/* 100 rule */
	BAD(user_spec, "{" USER ",\"born\":\"2100-02-29\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2024-02-30\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2023-04-31\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2023-13-01\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2023-00-10\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2023-01-00\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2023-1-01\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"31.12.1980\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2023-01-01T00:00\"}",
	    "invalid_value", "born");
	BAD(user_spec, "{" USER ",\"born\":\"+023-01-01\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"2023/01/01\"}", "invalid_value",
	    "born");
	BAD(user_spec, "{" USER ",\"born\":\"\"}", "invalid_value", "born");
}

KS_TEST(language)
{
	OK(user_spec, "{" USER ",\"lang\":\"de\"}");
	OK(user_spec, "{" USER ",\"lang\":\"fr\"}");
	BAD(user_spec, "{" USER ",\"lang\":\"it\"}", "invalid_value", "lang");
	BAD(user_spec, "{" USER ",\"lang\":\"DE\"}", "invalid_value", "lang");
	BAD(user_spec, "{" USER ",\"lang\":\"de-CH\"}", "invalid_value",
	    "lang");
}

KS_TEST(string_length)
{
	/* display_name: 1..20. */
	OK(user_spec, "{\"username\":\"ab\",\"display_name\":\"x\"}");
	OK(user_spec, "{\"username\":\"ab\",\"display_name\":"
	    "\"12345678901234567890\"}");
	BAD(user_spec, "{\"username\":\"ab\",\"display_name\":"
	    "\"123456789012345678901\"}", "invalid_length", "display_name");
	BAD(user_spec, "{\"username\":\"ab\",\"display_name\":\"\"}",
	    "invalid_length", "display_name");
	/* email: 3..254, optional. */
	BAD(user_spec, "{" USER ",\"email\":\"ab\"}", "invalid_length",
	    "email");
}

KS_TEST(string_content)
{
	BAD(user_spec, "{\"username\":\"ab\",\"display_name\":\"a\\u0000b\"}",
	    "invalid_value", "display_name");
	BAD(user_spec, "{\"username\":\"ab\",\"display_name\":\"a\\u0007b\"}",
	    "invalid_value", "display_name");
	BAD(user_spec, "{\"username\":\"ab\",\"display_name\":\"a\\rb\"}",
	    "invalid_value", "display_name");
	/* Accented names are ordinary text. */
	OK(user_spec, "{\"username\":\"ab\",\"display_name\":"
	    "\"Fran\\u00e7oise M\\u00fcller\"}");
}

KS_TEST(int_range)
{
	/* household: 1..12. */
	OK(user_spec, "{" USER ",\"household\":1}");
	OK(user_spec, "{" USER ",\"household\":12}");
	BAD(user_spec, "{" USER ",\"household\":0}", "out_of_range",
	    "household");
	BAD(user_spec, "{" USER ",\"household\":13}", "out_of_range",
	    "household");
	BAD(user_spec, "{" USER ",\"household\":-1}", "out_of_range",
	    "household");
	BAD(user_spec, "{" USER ",\"household\":9223372036854775807}",
	    "out_of_range", "household");
}

static const struct ks_field open_int[] = {
	{ "n", KS_F_INT, 1, 0, 0, NULL },
	KS_FIELDS_END
};

KS_TEST(int_max_zero_means_unbounded)
{
	OK(open_int, "{\"n\":0}");
	OK(open_int, "{\"n\":1000000}");
	BAD(open_int, "{\"n\":-1}", "out_of_range", "n");
}

KS_TEST(strings_array)
{
	char body[512], item[202];

	/* roles: at most 4 entries, each a text of at most 200 bytes. */
	OK(user_spec, "{" USER ",\"roles\":[\"a\",\"b\",\"c\",\"d\"]}");
	BAD(user_spec, "{" USER ",\"roles\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
	    "invalid_length", "roles");
	BAD(user_spec, "{" USER ",\"roles\":[null]}", "invalid_type", "roles");
	BAD(user_spec, "{" USER ",\"roles\":[{}]}", "invalid_type", "roles");
	memset(item, 'r', 200);
	item[200] = '\0';
	snprintf(body, sizeof(body), "{" USER ",\"roles\":[\"%s\"]}", item);
	OK(user_spec, body);
	item[200] = 'r';
	item[201] = '\0';
	snprintf(body, sizeof(body), "{" USER ",\"roles\":[\"%s\"]}", item);
	BAD(user_spec, body, "invalid_type", "roles");
}

KS_TEST(first_error_wins)
{
	struct ks_request req;
	json_t *b;

	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(1024);
	b = json_pack("{s:i}", "username", 1);
	KS_CHECK_INT(ks_validate(&req, user_spec, b), KS_ERROR);
	KS_CHECK_STR(req.err.code, "invalid_type");
	/* A later failure does not replace the cause (and frees detail). */
	KS_CHECK_INT(ks_fail_detail(&req, 500, "later", "later",
	    json_string("x")), KS_ERROR);
	KS_CHECK_STR(req.err.code, "invalid_type");
	KS_CHECK_INT(req.err.http, 400);
	json_decref(req.err.detail);
	json_decref(b);
	ks_arena_free(req.arena);
}

KS_TEST(registry_decides_the_status)
{
	struct ks_request req;
	const struct ks_errdef *d;

	/* Sorted and found: every entry, and nothing else. */
	for (d = ks_errors; d->code != NULL; d++) {
		KS_CHECK(ks_error_find(d->code) == d);
		if (d[1].code != NULL)
			KS_CHECK(strcmp(d->code, d[1].code) < 0);
	}
	KS_CHECK(ks_error_find("no_such_code") == NULL);
	KS_CHECK(ks_error_find("") == NULL);
	/* A caller that expects another status gets the registry's. */
	memset(&req, 0, sizeof(req));
	KS_CHECK_INT(ks_fail(&req, 409, "invalid_reference", "no"), KS_ERROR);
	KS_CHECK_INT(req.err.http, 400);
	memset(&req, 0, sizeof(req));
	ks_fail(&req, 404, "rule_missing", "no");
	KS_CHECK_INT(req.err.http, 422);
	/* A code the core does not know (a module's) keeps the caller's. */
	memset(&req, 0, sizeof(req));
	ks_fail(&req, 418, "module_own_code", "no");
	KS_CHECK_INT(req.err.http, 418);
}

KS_TEST(empty_spec_takes_empty_object)
{
	static const struct ks_field none[] = {
		KS_FIELDS_END
	};

	OK(none, "{}");
	BAD(none, "{\"a\":1}", "unknown_field", "a");
}
