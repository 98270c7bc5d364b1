/*
 * openapi.c - the OpenAPI 3.1 document, generated from the route tables
 * (core and modules) so it cannot drift from what the server does.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "http.h"

static json_t *
field_schema(const struct ks_field *f)
{
	json_t *s;

	switch (f->type) {
	case KS_F_INT:
		s = json_pack("{s:s,s:I}", "type", "integer", "minimum",
		    (json_int_t)f->min);
		if (f->max != 0)
			json_object_set_new(s, "maximum", json_integer(f->max));
		break;
	case KS_F_BOOL:
		s = json_pack("{s:s}", "type", "boolean");
		break;
	case KS_F_SLUG:
		s = json_pack("{s:s,s:s}", "type", "string", "pattern",
		    "^[a-z0-9][a-z0-9-]{1,62}$");
		break;
	case KS_F_DATE:
		s = json_pack("{s:s,s:s}", "type", "string", "format", "date");
		break;
	case KS_F_LANG:
		s = json_pack("{s:s,s:[s,s]}", "type", "string", "enum", "de",
		    "fr");
		break;
	case KS_F_STRINGS:
		s = json_pack("{s:s,s:{s:s}}", "type", "array", "items",
		    "type", "string");
		break;
	case KS_F_OBJECT:
		s = json_pack("{s:s}", "type", "object");
		break;
	case KS_F_ARRAY:
		s = json_pack("{s:s}", "type", "array");
		break;
	default:
		s = json_pack("{s:s}", "type", "string");
		if (f->min > 0)
			json_object_set_new(s, "minLength", json_integer(f->min));
		if (f->max > 0)
			json_object_set_new(s, "maxLength", json_integer(f->max));
	}
	if (f->doc != NULL)
		json_object_set_new(s, "description", json_string(f->doc));
	return s;
}

static json_t *
body_schema(const struct ks_field *spec)
{
	json_t *props = json_object(), *req = json_array();
	const struct ks_field *f;

	for (f = spec; f->name != NULL; f++) {
		json_object_set_new(props, f->name, field_schema(f));
		if (f->required)
			json_array_append_new(req, json_string(f->name));
	}
	return json_pack("{s:s,s:o,s:o,s:b}", "type", "object", "properties",
	    props, "required", req, "additionalProperties", 0);
}

/* Path parameters the handlers parse as ids (ks_param_id): integers. */
static const char *const int_params[] = { "id", "bfs", "cost", "member_id",
	"tenant", NULL };

static int
int_param(const char *name, size_t len)
{
	int i;

	for (i = 0; int_params[i] != NULL; i++)
		if (strlen(int_params[i]) == len &&
		    strncmp(int_params[i], name, len) == 0)
			return 1;
	return 0;
}

/*
 * The operationId: the method and the path after /api/v1 (or /), each
 * segment capitalised and a {param} as By<Param>:
 * GET /api/v1/cases/{id}/documents is getCasesByIdDocuments. Deterministic
 * and unique because the router refuses two routes of one method and path.
 */
static char *
operation_id(struct ks_arena *a, const char *method, const char *path)
{
	char buf[256];
	const char *p = path;
	size_t n = 0;
	int up = 1;

	for (; *method != '\0' && n < 8; method++)
		buf[n++] = (char)(*method | 0x20);
	if (strncmp(p, "/api/v1/", 8) == 0)
		p += 7;
	if (strcmp(p, "/") == 0)
		p = "/root";
	for (; *p != '\0' && n < sizeof(buf) - 3; p++) {
		if (*p == '{') {
			buf[n++] = 'B';
			buf[n++] = 'y';
			up = 1;
			continue;
		}
		if (!isalnum((unsigned char)*p)) {
			up = 1;
			continue;
		}
		buf[n++] = up ? (char)toupper((unsigned char)*p) : *p;
		up = 0;
	}
	buf[n] = '\0';
	return ks_arena_strdup(a, buf);
}

/* The error statuses an operation can answer, from its declaration. */
static int
error_statuses(const struct ks_route *r, int *st)
{
	int n = 0, write = strcmp(r->method, "GET") != 0;

	st[n++] = 400;		/* a bad parameter, body or framing */
	if (!(r->flags & KS_R_PUBLIC)) {
		st[n++] = 401;
		st[n++] = 403;
	}
	if (strchr(r->path, '{') != NULL || r->perm != NULL ||
	    ks_router_module(r) != NULL)
		st[n++] = 404;	/* no such record, or its module is off */
	if (write && !(r->flags & KS_R_READ))
		st[n++] = 409;
	if (r->body != NULL || r->chunk != NULL || (r->flags & KS_R_BODY_RAW))
		st[n++] = 413;
	if (r->body != NULL)
		st[n++] = 415;
	if (r->flags & KS_R_ETAG)
		st[n++] = 428;
	if (strcmp(r->path, "/api/v1/session") == 0 && write)
		st[n++] = 429;
	st[n++] = 500;
	st[n++] = 503;
	return n;
}

/* The success answer: what the route's flags say it returns. */
static json_t *
success(const struct ks_route *r)
{
	json_t *res = json_object();
	int paged;

	if (r->flags & KS_R_JOB) {
		json_object_set_new(res, "202", json_pack("{s:s,s:{s:{s:s}},"
		    "s:{s:{s:{s:s}}}}", "description", "accepted: a background "
		    "job does the work; Location names it (GET it for its "
		    "state, progress and result)", "headers", "Location",
		    "$ref", "#/components/headers/Location", "content",
		    "application/json", "schema", "$ref",
		    "#/components/schemas/Record"));
		return res;
	}
	if (r->flags & KS_R_RAW) {
		json_object_set_new(res, "200", json_pack("{s:s,s:{s:{s:{s:s,"
		    "s:s}}}}", "description", "the file or text (its "
		    "Content-Type says which)", "content", "*/*", "schema",
		    "type", "string", "format", "binary"));
		return res;
	}
	if (strcmp(r->method, "GET") == 0 || (r->flags & KS_R_READ)) {
		paged = (r->flags & KS_R_PAGED) != 0;
		json_object_set_new(res, "200", json_pack(
		    "{s:s,s:{s:{s:{s:s}}}}", "description", paged ? "a page of "
		    "the list; next is the cursor of the next page (null at "
		    "the end)" : "the record", "content", "application/json",
		    "schema", "$ref", paged ? "#/components/schemas/Page" :
		    "#/components/schemas/Record"));
		return res;
	}
	/* A write: 200 with the record, 201 a new one, 204 nothing. */
	json_object_set_new(res, "2XX", json_pack("{s:s,s:{s:{s:{s:s}}}}",
	    "description", "done: 200 with the record, 201 with a new one "
	    "(Location may name it), 204 without a body", "content",
	    "application/json", "schema", "$ref",
	    "#/components/schemas/Record"));
	return res;
}

struct render {
	json_t		*paths;
	struct ks_arena	*arena;
	int		 used[600];	/* error statuses referred to */
};

static void
add_route(const struct ks_route *r, int idx, void *arg)
{
	struct render *rd = arg;
	json_t *item, *op, *params, *resp, *sec;
	const char *p, *e;
	char method[8], key[8];
	int st[16], n, i;

	(void)idx;
	if ((item = json_object_get(rd->paths, r->path)) == NULL) {
		item = json_object();
		json_object_set_new(rd->paths, r->path, item);
	}
	params = json_array();
	for (p = strchr(r->path, '{'); p != NULL; p = strchr(e, '{')) {
		e = strchr(p, '}');
		json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:o}",
		    "name", p + 1, (size_t)(e - p - 1), "in", "path",
		    "required", 1, "schema", int_param(p + 1,
		    (size_t)(e - p - 1)) ? json_pack("{s:s,s:i,s:I}", "type",
		    "integer", "minimum", 1, "maximum",
		    (json_int_t)999999999999999999LL) :
		    json_pack("{s:s}", "type", "string")));
	}
	if (r->flags & KS_R_PAGED) {
		json_array_append_new(params, json_pack("{s:s,s:s,s:b,"
		    "s:{s:s,s:i,s:i,s:i}}", "name", "limit", "in", "query",
		    "required", 0, "schema", "type", "integer", "minimum", 1,
		    "maximum", 500, "default", 50));
		json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,"
		    "s:{s:s,s:s}}", "name", "after", "in", "query", "required",
		    0, "description", "the \"next\" of the page before",
		    "schema", "type", "string", "pattern", "^[0-9]{1,18}$"));
	}
	resp = success(r);
	n = error_statuses(r, st);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%d", st[i]);
		json_object_set_new(resp, key, json_pack("{s:s}", "$ref",
		    ks_arena_printf(rd->arena, "#/components/responses/E%d",
		    st[i])));
		rd->used[st[i]] = 1;
	}
	json_object_set_new(resp, "default", json_pack("{s:s}", "$ref",
	    "#/components/responses/Error"));
	op = json_pack("{s:s,s:s,s:o,s:o}",
	    "operationId", operation_id(rd->arena, r->method, r->path),
	    "summary", r->summary ? r->summary : "",
	    "parameters", params,
	    "responses", resp);
	if (r->perm != NULL)
		json_object_set_new(op, "x-permission", json_string(r->perm));
	if (r->module != NULL || ks_router_module(r) != NULL)
		json_object_set_new(op, "x-module",
		    json_string(ks_router_module(r)));
	/* Who may call it: nobody needs to sign in for a public route; a
	 * session's write also sends its CSRF token; a token needs neither. */
	if (r->flags & KS_R_PUBLIC)
		sec = json_array();
	else if (strcmp(r->method, "GET") != 0 &&
	    !(r->flags & KS_R_NO_CSRF))
		sec = json_pack("[{s:[],s:[]},{s:[]}]", "session", "csrf",
		    "token");
	else
		sec = json_pack("[{s:[]},{s:[]}]", "session", "token");
	json_object_set_new(op, "security", sec);
	/* A read of personal data: each success leaves an audit record. */
	if (r->flags & KS_R_AUDIT)
		json_object_set_new(op, "x-audited", json_true());
	/* Handled on a request thread, its connection suspended meanwhile. */
	if (ks_route_on_request_thread(r))
		json_object_set_new(op, "x-request-thread", json_true());
	/* A POST that only reads (its body is a query): open like a GET. */
	if (r->flags & KS_R_READ)
		json_object_set_new(op, "x-read-only", json_true());
	/* A write to a versioned record: If-Match is required (428 without,
	 * 409 with detail.current on a stale one). */
	if (r->flags & KS_R_ETAG) {
		json_object_set_new(op, "x-if-match", json_true());
		json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,"
		    "s:{s:s}}", "name", "If-Match", "in", "header", "required",
		    1, "description", "the record's ETag", "schema", "type",
		    "string"));
	}
	if (r->body != NULL)
		json_object_set_new(op, "requestBody", json_pack(
		    "{s:b,s:{s:{s:o}},s:I}", "required", 1, "content",
		    "application/json", "schema", body_schema(r->body),
		    "x-body-limit", (json_int_t)r->body_limit));
	else if (r->chunk != NULL || (r->flags & KS_R_BODY_RAW))
		/* streamed upload or a file: any content */
		json_object_set_new(op, "requestBody", json_pack(
		    "{s:b,s:{s:{s:{s:s,s:s}}},s:I}", "required", 1, "content",
		    "*/*", "schema", "type", "string", "format", "binary",
		    "x-body-limit", (json_int_t)r->body_limit));
	for (i = 0; r->method[i] != '\0' && i < (int)sizeof(method) - 1; i++)
		method[i] = (char)(r->method[i] | 0x20);
	method[i] = '\0';
	json_object_set_new(item, method, op);
}

/* The i-th registered code: the core's, then each loaded module's. */
static const struct ks_errdef *
nth_error(int n)
{
	const struct ks_errdef *d;
	int i, more = 1;

	for (d = ks_errors; d->code != NULL; d++)
		if (n-- == 0)
			return d;
	for (i = 0; more; i++)
		for (d = ks_module_errors(i, &more); d != NULL &&
		    d->code != NULL; d++)
			if (n-- == 0)
				return d;
	return NULL;
}

/* The error answer of one status: the codes the registry gives it. */
static json_t *
error_response(int status)
{
	json_t *codes = json_array();
	const struct ks_errdef *d;
	char *desc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&desc, &len);
	json_t *out;
	int i;

	if (f == NULL)
		abort();
	fprintf(f, "an error; its code is one of:");
	for (i = 0; (d = nth_error(i)) != NULL; i++) {
		if (d->http != status)
			continue;
		json_array_append_new(codes, json_string(d->code));
		fprintf(f, "\n- `%s`: %s", d->code, d->doc);
	}
	fclose(f);
	out = json_pack("{s:s,s:{s:{s:{s:[{s:s},{s:s,s:{s:{s:s,s:{s:{s:o}}}}}]"
	    "}}}}", "description", desc, "content", "application/json",
	    "schema", "allOf", "$ref", "#/components/schemas/Error",
	    "type", "object", "properties", "error", "type", "object",
	    "properties", "code", "enum", codes);
	free(desc);
	return out;
}

char *
ks_openapi_render(struct ks_arena *a, size_t *len)
{
	struct render rd;
	json_t *doc, *responses, *codes;
	const struct ks_errdef *d;
	char *s, *out, key[8];
	int i;

	memset(&rd, 0, sizeof(rd));
	rd.paths = json_object();
	rd.arena = a;
	ks_router_each(add_route, &rd);
	responses = json_pack("{s:{s:s,s:{s:{s:{s:s}}}}}", "Error",
	    "description", "an error (components.x-error-codes lists every "
	    "code with its status)", "content", "application/json", "schema",
	    "$ref", "#/components/schemas/Error");
	for (i = 400; i < 600; i++) {
		if (!rd.used[i])
			continue;
		snprintf(key, sizeof(key), "E%d", i);
		json_object_set_new(responses, key, error_response(i));
	}
	codes = json_object();
	for (i = 0; (d = nth_error(i)) != NULL; i++)
		json_object_set_new(codes, d->code, json_pack("{s:i,s:s}",
		    "status", d->http, "description", d->doc));
	doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s,s:s}],s:o,"
	    "s:{s:{s:o,s:o,s:o},s:o,s:{s:{s:s,s:{s:s,s:s}}},s:o,s:o},"
	    "s:[{s:[]},{s:[]}]}",
	    "openapi", "3.1.0",
	    "info", "title", "Kasus API", "version", KS_VERSION,
	    "description", "Case management for Swiss social services",
	    "servers", "url", "/", "description", "this server",
	    "paths", rd.paths,
	    "components", "schemas",
	    "Error", json_pack("{s:s,s:[s],s:{s:{s:s,s:[s,s],s:{s:{s:s,s:s},"
	    "s:{s:s},s:{s:s},s:{s:s}}}}}", "type", "object", "required",
	    "error", "properties", "error", "type", "object", "required",
	    "code", "message", "properties", "code", "type", "string",
	    "description", "stable; components.x-error-codes", "message",
	    "type", "string", "request_id", "type", "string", "detail",
	    "description", "what the code needs to say more (a field, the "
	    "record's current state)"),
	    "Record", json_pack("{s:s,s:s,s:b}", "type", "object",
	    "description", "a JSON object: the record or the result",
	    "additionalProperties", 1),
	    "Page", json_pack("{s:s,s:s,s:[s],s:{s:{s:s,s:{s:s}},s:{s:[s,s],"
	    "s:s}}}", "type", "object", "description", "a page of a list: "
	    "items (a record with a paged list, as a payment run, has its "
	    "fields and the list under its own name, e.g. lines) and next",
	    "required", "next",
	    "properties", "items", "type", "array", "items", "$ref",
	    "#/components/schemas/Record", "next", "type", "string", "null",
	    "description", "the cursor of the next page (?after=), null at "
	    "the end"),
	    "responses", responses,
	    "headers", "Location", "description", "the address of what was "
	    "made", "schema", "type", "string", "format", "uri-reference",
	    "securitySchemes", json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,"
	    "s:s,s:s},s:{s:s,s:s,s:s}}",
	    "session", "type", "apiKey", "in", "cookie", "name", "ks_session",
	    "description", "the session cookie POST /api/v1/session sets",
	    "csrf", "type", "apiKey", "in", "header", "name", "X-CSRF-Token",
	    "description", "a session's writes send its csrf_token here",
	    "token", "type", "http", "scheme", "bearer", "description",
	    "an API token (Authorization: Bearer)"),
	    "x-error-codes", codes,
	    "security", "session", "token");
	if (doc == NULL)
		abort();
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (s == NULL)
		abort();
	out = ks_arena_strdup(a, s);
	*len = strlen(s);
	free(s);
	return out;
}

/*
 * In test builds every success answer is held to what the document says
 * of its route (success() above); a difference is logged as an error and
 * tests/api/openapi.test.mjs fails on such a line.
 */
/* A page: next, and the page's list (items, or what the record calls it,
 * as a payment run's lines). */
static int
is_page(json_t *j)
{
	const char *k;
	json_t *v;

	if (json_object_get(j, "next") == NULL)
		return 0;
	json_object_foreach(j, k, v)
		if (json_is_array(v))
			return 1;
	return 0;
}

void
ks_openapi_check(const struct ks_request *req)
{
	const struct ks_route *r = req->route;
	const char *want = NULL;
	int st = req->status ? req->status : 200;
	int json_raw;
	json_t *resp;

	if (r == NULL || req->err.code != NULL || st < 200 || st > 299)
		return;
	/* JSON the handler wrote out itself (GET /api/v1/ping). */
	json_raw = req->raw != NULL && req->ctype != NULL &&
	    strncmp(req->ctype, "application/json", 16) == 0;
	if (r->flags & KS_R_JOB) {
		if (st != 202)
			want = "202";
	} else if (r->flags & KS_R_RAW) {
		if (st != 200)
			want = "200 (a file)";
	} else if (req->raw != NULL && (!json_raw || st != 200)) {
		want = "JSON (the route is not flagged KS_R_RAW)";
	} else if (req->raw != NULL || strcmp(r->method, "GET") == 0 ||
	    (r->flags & KS_R_READ)) {
		/* JSON written as text is held to the same shape. */
		resp = req->raw == NULL ? json_incref(req->resp) :
		    json_loadb(req->raw, req->raw_len, 0, NULL);
		if (st != 200 || !json_is_object(resp))
			want = "200 with an object";
		else if ((r->flags & KS_R_PAGED) && !is_page(resp))
			want = "a page (items, next)";
		json_decref(resp);
	} else if (st == 204) {
		if (req->resp != NULL && !json_is_null(req->resp))
			want = "204 without a body";
	} else if ((st != 200 && st != 201) || !json_is_object(req->resp))
		want = "200 or 201 with an object, or 204";
	if (want != NULL)
		ks_log(KS_LOG_ERROR, "openapi: %s %s answered %d, the document "
		    "says %s", r->method, r->path, st, want);
}
