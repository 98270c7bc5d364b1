/*
 * request.c - what a handler uses to read its request and shape its
 * answer: errors as values, JSON replies, headers, parameters, body
 * validation against the route's field list, ETags.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "kasus.h"

int
ks_fail_detail(struct ks_request *req, int http, const char *code,
    const char *message, json_t *detail)
{
	const struct ks_errdef *d;

	/* The first error wins: it is the cause, later ones are effects. */
	if (req->err.code != NULL) {
		json_decref(detail);
		return KS_ERROR;
	}
	if ((d = ks_error_find(code)) == NULL)
		ks_log(KS_LOG_WARN, "error registry: code %s is not "
		    "registered (core/http/errors.c); answering %d", code,
		    http);
	else if (d->http != http) {
		ks_log(KS_LOG_ERROR, "error registry: code %s is %d, a caller "
		    "said %d", code, d->http, http);
		http = d->http;
	}
	req->err.http = http;
	req->err.code = code;
	req->err.message = message;
	req->err.detail = detail;
	return KS_ERROR;
}

int
ks_fail(struct ks_request *req, int http, const char *code,
    const char *message)
{
	return ks_fail_detail(req, http, code, message, NULL);
}

int
ks_reply(struct ks_request *req, int http, json_t *j)
{
	json_decref(req->resp);
	req->status = http;
	req->resp = j;
	return KS_OK;
}

void
ks_header(struct ks_request *req, const char *name, const char *value)
{
	if (req->nheaders == KS_MAX_HEADERS)
		abort();
	req->hnames[req->nheaders] = name;
	req->hvals[req->nheaders] = ks_arena_strdup(req->arena, value);
	req->nheaders++;
}

const char *
ks_param(struct ks_request *req, const char *name)
{
	int i;

	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->pnames[i], name) == 0)
			return req->pvals[i];
	return NULL;
}

int
ks_param_id(struct ks_request *req, const char *name, int64_t *out)
{
	const char *s = ks_param(req, name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
		return ks_fail(req, 404, "not_found", "no such record");
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return ks_fail(req, 404, "not_found", "no such record");
	*out = v;
	return KS_OK;
}

PGresult *
ks_param_row(struct ks_request *req, const char *name, int qid,
    const char *what)
{
	const char *v[1];
	PGresult *r;
	int64_t id;

	if (ks_param_id(req, name, &id) != KS_OK)
		return NULL;
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, qid, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", ks_arena_printf(req->arena,
		    "no such %s", what));
		return NULL;
	}
	return r;
}

/* A job's context (job_runner.c) has no connection: no header, no query. */
const char *
ks_req_header(struct ks_request *req, const char *name)
{
	if (req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
ks_query(struct ks_request *req, const char *name)
{
	if (req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn,
	    MHD_GET_ARGUMENT_KIND, name);
}

int
ks_has_perm(const struct ks_principal *p, const char *perm)
{
	const char *s, *e;
	size_t n = strlen(perm);

	if (p->perms == NULL)
		return 0;
	for (s = p->perms; *s != '\0'; s = *e ? e + 1 : e) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		if ((size_t)(e - s) == n && strncmp(s, perm, n) == 0)
			return 1;
	}
	return 0;
}

void
ks_after_commit(struct ks_request *req, void (*fn)(struct ks_request *,
    void *), void *arg)
{
	if (req->nafter == 4)
		abort();
	req->after_commit[req->nafter] = fn;
	req->after_arg[req->nafter] = arg;
	req->nafter++;
}

const char *
ks_body_raw(struct ks_request *req, size_t *len)
{
	*len = req->body_raw != NULL ? req->body_len : 0;
	return *len > 0 ? req->body_raw : NULL;
}

/*
 * v as decimal text between pre and post (one character each, or none),
 * in the arena; without printf, which cost more than the rest of the
 * read's bookkeeping (issue 13).
 */
static const char *
num_text(struct ks_arena *a, long long v, char pre, char post)
{
	char *s = ks_arena_alloc(a, 24), *p = s;

	if (pre != '\0')
		*p++ = pre;
	if (v < 0) {
		*p++ = '-';
		p = ks_put_uint(p, 0ULL - (unsigned long long)v, 1);
	} else
		p = ks_put_uint(p, (unsigned long long)v, 1);
	if (post != '\0')
		*p++ = post;
	*p = '\0';
	return s;
}

const char *
ks_num(struct ks_request *req, long long v)
{
	return num_text(req->arena, v, '\0', '\0');
}

void
ks_set_etag(struct ks_request *req, long long version)
{
	const char *v = num_text(req->arena, version, '"', '"');
	int i;

	/*
	 * One ETag per answer: a later one (the record as the handler
	 * leaves it, or as it is now after a conflict) replaces the first.
	 */
	for (i = 0; i < req->nheaders; i++)
		if (strcmp(req->hnames[i], "ETag") == 0) {
			req->hvals[i] = v;
			return;
		}
	ks_header(req, "ETag", v);
}

int
ks_check_etag(struct ks_request *req, long long version, json_t *current)
{
	const char *im = ks_req_header(req, "If-Match");
	char want[32];

	/*
	 * "*" matches any version: it would change a record its sender
	 * never saw, which is what If-Match is here to prevent.
	 */
	if (im == NULL || strcmp(im, "*") == 0) {
		json_decref(current);
		return ks_fail(req, 428, "precondition_required",
		    "send the record's ETag in If-Match to change it");
	}
	snprintf(want, sizeof(want), "\"%lld\"", version);
	if (strcmp(im, want) != 0) {
		ks_set_etag(req, version);
		return ks_fail_detail(req, 409, "conflict",
		    "someone else changed this record; review the current "
		    "state and apply your change again",
		    json_pack("{s:o}", "current", current));
	}
	json_decref(current);
	return KS_OK;
}

static const char *
tname(enum ks_ftype t)
{
	switch (t) {
	case KS_F_STRING:	return "string";
	case KS_F_INT:		return "integer";
	case KS_F_BOOL:		return "boolean";
	case KS_F_SLUG:		return "slug";
	case KS_F_DATE:		return "date";
	case KS_F_LANG:		return "language";
	case KS_F_STRINGS:	return "array of strings";
	case KS_F_OBJECT:	return "object";
	case KS_F_ARRAY:	return "array";
	}
	return "value";
}

static int
bad(struct ks_request *req, const char *code, const char *msg,
    const struct ks_field *f)
{
	return ks_fail_detail(req, 400, code, msg, json_pack("{s:s,s:s}",
	    "field", f->name, "expected", tname(f->type)));
}

int
ks_valid_date(const char *s)
{
	int y, m, d;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return 0;
	return 1;
}

static int
check_string(struct ks_request *req, const struct ks_field *f, json_t *v)
{
	const char *s;
	size_t n, i;

	if (!json_is_string(v))
		return bad(req, "invalid_type", "a field has the wrong type", f);
	s = json_string_value(v);
	n = json_string_length(v);
	if (strlen(s) != n)
		return bad(req, "invalid_value", "text must not contain NUL", f);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
			return bad(req, "invalid_value",
			    "text contains control characters", f);
	switch (f->type) {
	case KS_F_SLUG:
		if (n < 2 || n > 63 || s[0] == '-')
			return bad(req, "invalid_value", "a slug has 2 to 63 "
			    "lowercase letters, digits or dashes", f);
		for (i = 0; i < n; i++)
			if (!islower((unsigned char)s[i]) &&
			    !isdigit((unsigned char)s[i]) && s[i] != '-')
				return bad(req, "invalid_value", "a slug has "
				    "2 to 63 lowercase letters, digits or "
				    "dashes", f);
		return KS_OK;
	case KS_F_DATE:
		return ks_valid_date(s) ? KS_OK : bad(req, "invalid_value",
		    "a date is written YYYY-MM-DD", f);
	case KS_F_LANG:
		return strcmp(s, "de") == 0 || strcmp(s, "fr") == 0 ? KS_OK :
		    bad(req, "invalid_value", "the language is de or fr", f);
	default:
		break;
	}
	if ((f->min > 0 && (long long)n < f->min) ||
	    (f->max > 0 && (long long)n > f->max))
		return ks_fail_detail(req, 400, "invalid_length",
		    "a text is too short or too long", json_pack(
		    "{s:s,s:I,s:I}", "field", f->name, "min", f->min, "max",
		    f->max));
	return KS_OK;
}

static int
check_field(struct ks_request *req, const struct ks_field *f, json_t *v)
{
	json_t *e;
	size_t i;

	switch (f->type) {
	case KS_F_INT:
		if (!json_is_integer(v))
			return bad(req, "invalid_type",
			    "a field has the wrong type", f);
		if (json_integer_value(v) < f->min ||
		    (f->max != 0 && json_integer_value(v) > f->max))
			return ks_fail_detail(req, 400, "out_of_range",
			    "a number is outside the allowed range", json_pack(
			    "{s:s,s:I,s:I}", "field", f->name, "min", f->min,
			    "max", f->max));
		return KS_OK;
	case KS_F_BOOL:
		return json_is_boolean(v) ? KS_OK : bad(req, "invalid_type",
		    "a field has the wrong type", f);
	case KS_F_OBJECT:
		return json_is_object(v) ? KS_OK : bad(req, "invalid_type",
		    "a field has the wrong type", f);
	case KS_F_ARRAY:
		if (!json_is_array(v))
			return bad(req, "invalid_type",
			    "a field has the wrong type", f);
		if (f->max > 0 && (long long)json_array_size(v) > f->max)
			return ks_fail_detail(req, 400, "invalid_length",
			    "the list has too many entries", json_pack(
			    "{s:s,s:I}", "field", f->name, "max", f->max));
		return KS_OK;
	case KS_F_STRINGS:
		if (!json_is_array(v))
			return bad(req, "invalid_type",
			    "a field has the wrong type", f);
		if (f->max > 0 && (long long)json_array_size(v) > f->max)
			return ks_fail_detail(req, 400, "invalid_length",
			    "the list has too many entries", json_pack(
			    "{s:s,s:I}", "field", f->name, "max", f->max));
		json_array_foreach(v, i, e)
			if (!json_is_string(e) || json_string_length(e) > 200 ||
			    strlen(json_string_value(e)) !=
			    json_string_length(e))
				return bad(req, "invalid_type",
				    "a list holds something that is not a "
				    "short text", f);
		return KS_OK;
	default:
		return check_string(req, f, v);
	}
}

/** Check a parsed body against the route's fields. */
int
ks_validate(struct ks_request *req, const struct ks_field *spec, json_t *b)
{
	const struct ks_field *f;
	const char *key;
	json_t *v;

	if (!json_is_object(b))
		return ks_fail(req, 400, "invalid_body",
		    "the body must be a JSON object");
	json_object_foreach(b, key, v) {
		for (f = spec; f->name != NULL; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (f->name == NULL)
			return ks_fail_detail(req, 400, "unknown_field",
			    "the body has a field this request does not take",
			    json_pack("{s:s}", "field", key));
		if (json_is_null(v))
			continue;	/* absent; required ones reported below */
		if (check_field(req, f, v) != KS_OK)
			return KS_ERROR;
	}
	for (f = spec; f->name != NULL; f++) {
		v = json_object_get(b, f->name);
		if (f->required && (v == NULL || json_is_null(v)))
			return ks_fail_detail(req, 400, "missing_field",
			    "a required field is missing", json_pack(
			    "{s:s,s:s}", "field", f->name, "expected",
			    tname(f->type)));
	}
	return KS_OK;
}

/* A non-negative decimal of at most 18 digits (no sign, no spaces). */
static int
plain_number(const char *s, long long *out)
{
	long long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 18 || !isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return i > 0;
}

int
ks_page(struct ks_request *req, const char **after, const char **limit,
    long long *n)
{
	const char *a = ks_query(req, "after"), *l = ks_query(req, "limit");
	long long v = 0;

	if (!(req->route->flags & KS_R_PAGED)) {
		ks_log(KS_LOG_ERROR, "%s %s pages without KS_R_PAGED",
		    req->route->method, req->route->path);
		return ks_fail(req, 500, "internal_error",
		    "the request could not be completed");
	}
	*n = 50;
	if (l != NULL && (!plain_number(l, n) || *n < 1 || *n > 500))
		return ks_fail_detail(req, 400, "invalid_parameter",
		    "limit must be a number from 1 to 500",
		    json_pack("{s:s}", "parameter", "limit"));
	if (a != NULL && !plain_number(a, &v))
		return ks_fail_detail(req, 400, "invalid_parameter",
		    "the cursor is not valid; use the \"next\" of a list",
		    json_pack("{s:s}", "parameter", "after"));
	*after = ks_arena_printf(req->arena, "%lld", v);
	*limit = ks_arena_printf(req->arena, "%lld", *n);
	return KS_OK;
}

/** A body string field, or NULL when absent or null. */
const char *
ks_body_str(struct ks_request *req, const char *name)
{
	json_t *v = json_object_get(req->body, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
ks_today(struct ks_request *req)
{
	time_t t = time(NULL);
	struct tm tm;
	char *s = ks_arena_alloc(req->arena, 11);

	localtime_r(&t, &tm);
	strftime(s, 11, "%Y-%m-%d", &tm);
	return s;
}

const char *
ks_query_date(struct ks_request *req, const char *name)
{
	const char *d = ks_query(req, name);

	if (d == NULL)
		return ks_today(req);
	if (!ks_valid_date(d)) {
		ks_fail_detail(req, 400, "invalid_parameter", "the date must be "
		    "a calendar date YYYY-MM-DD", json_pack("{s:s}", "parameter",
		    name));
		return NULL;
	}
	return d;
}
