/*
 * openapi.c - the OpenAPI 3.1 document, generated from the route tables
 * (core and modules) so it cannot drift from what the server does.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

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

static void
add_route(const struct ks_route *r, int idx, void *arg)
{
	json_t *paths = arg, *item, *op, *params;
	const char *p, *e;
	char method[8];
	size_t i;

	(void)idx;
	if ((item = json_object_get(paths, r->path)) == NULL) {
		item = json_object();
		json_object_set_new(paths, r->path, item);
	}
	params = json_array();
	for (p = strchr(r->path, '{'); p != NULL; p = strchr(e, '{')) {
		e = strchr(p, '}');
		json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:{s:s}}",
		    "name", p + 1, (size_t)(e - p - 1), "in", "path",
		    "required", 1, "schema", "type", "string"));
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
	op = json_pack("{s:s,s:o,s:{s:{s:s},s:{s:s,s:{s:{s:{s:s}}}}}}",
	    "summary", r->summary ? r->summary : "",
	    "parameters", params,
	    "responses",
	    "200", "description", "success",
	    "default", "description", "error",
	    "content", "application/json", "schema", "$ref",
	    "#/components/schemas/Error");
	if (r->flags & KS_R_JOB)
		json_object_set_new(json_object_get(op, "responses"), "202",
		    json_pack("{s:s}", "description", "accepted: a background "
		    "job does the work; Location names it (GET it for its "
		    "state, progress and result)"));
	if (r->perm != NULL)
		json_object_set_new(op, "x-permission", json_string(r->perm));
	if (r->module != NULL || ks_router_module(r) != NULL)
		json_object_set_new(op, "x-module",
		    json_string(ks_router_module(r)));
	if (r->flags & KS_R_PUBLIC)
		json_object_set_new(op, "security", json_array());
	/* A read of personal data: each success leaves an audit record. */
	if (r->flags & KS_R_AUDIT)
		json_object_set_new(op, "x-audited", json_true());
	/* A POST that only reads (its body is a query): open like a GET. */
	if (r->flags & KS_R_READ)
		json_object_set_new(op, "x-read-only", json_true());
	/* A write to a versioned record: If-Match is required (428 without,
	 * 409 with detail.current on a stale one). */
	if (r->flags & KS_R_ETAG)
		json_object_set_new(op, "x-if-match", json_true());
	if (r->body != NULL)
		json_object_set_new(op, "requestBody", json_pack(
		    "{s:b,s:{s:{s:o}},s:I}", "required", 1, "content",
		    "application/json", "schema", body_schema(r->body),
		    "x-body-limit", (json_int_t)r->body_limit));
	else if (r->chunk != NULL || (r->flags & KS_R_BODY_RAW))
		/* streamed upload or a file: any content */
		json_object_set_new(op, "requestBody", json_pack(
		    "{s:b,s:{s:{}},s:I}", "required", 1, "content", "*/*",
		    "x-body-limit", (json_int_t)r->body_limit));
	for (i = 0; r->method[i] != '\0' && i < sizeof(method) - 1; i++)
		method[i] = (char)(r->method[i] | 0x20);
	method[i] = '\0';
	json_object_set_new(item, method, op);
}

char *
ks_openapi_render(struct ks_arena *a, size_t *len)
{
	json_t *doc, *paths = json_object();
	char *s, *out;

	ks_router_each(add_route, paths);
	doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:o,s:{s:{s:{s:s,s:{s:{s:s,"
	    "s:{s:{s:s},s:{s:s},s:{s:s},s:{}},s:[s,s]}}}},s:{s:{s:s,s:s,s:s},"
	    "s:{s:s,s:s}}},s:[{s:[]},{s:[]}]}",
	    "openapi", "3.1.0",
	    "info", "title", "Kasus API", "version", KS_VERSION,
	    "description", "Case management for Swiss social services",
	    "paths", paths,
	    "components", "schemas", "Error", "type", "object", "properties",
	    "error", "type", "object", "properties", "code", "type", "string",
	    "message", "type", "string", "request_id", "type", "string",
	    "detail", "required", "code", "message",
	    "securitySchemes", "session", "type", "apiKey", "in", "cookie",
	    "name", "ks_session", "token", "type", "http", "scheme", "bearer",
	    "security", "session", "token");
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (s == NULL)
		abort();
	out = ks_arena_strdup(a, s);
	*len = strlen(s);
	free(s);
	return out;
}
