/*
 * test_rules_result.c - how a rule's result becomes JSON (rules.c,
 * to_json): a table with 1..n and nothing else is a list, an empty table
 * an empty list, one with text keys an object; integer keys outside a
 * list, or lists mixed with named fields, are refused with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static const char src[] =
    "function f(input)\n"
    "  local shapes = {\n"
    "    empty = function() return {} end,\n"
    "    list = function() return { 1, 2, 3 } end,\n"
    "    object = function() return { a = 1, b = { c = 'x' } } end,\n"
    "    nested = function() return { l = { {}, { 1 }, { k = true } } } end,\n"
    "    gap = function() return { [2] = 1 } end,\n"
    "    mixed = function() return { 1, 2, a = 3 } end,\n"
    "    negative = function() return { [-1] = 1 } end,\n"
    "    float = function() return { x = 1.5 } end,\n"
    "  }\n"
    "  return shapes[input.shape]()\n"
    "end\n";

/* The result of shape as compact JSON, or the error's message. */
static char *
result(struct ks_request *req, const char *shape)
{
	json_t *in = json_pack("{s:s}", "shape", shape), *out = NULL;
	char *s;

	json_decref(req->err.detail);
	memset(&req->err, 0, sizeof(req->err));
	if (ks_rules_eval_source(req, "shapes@1", src, strlen(src), NULL, "f",
	    in, &out) != KS_OK)
		s = strdup(req->err.message ? req->err.message : "?");
	else
		s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out);
	json_decref(in);
	return s;
}

KS_TEST(shapes_of_results)
{
	static const char *const want[][2] = {
		{ "empty", "[]" },
		{ "list", "[1,2,3]" },
		{ "object", "{\"a\":1,\"b\":{\"c\":\"x\"}}" },
		{ "nested", "{\"l\":[[],[1],{\"k\":true}]}" },
		{ "gap", "the result mixes list entries and named fields" },
		{ "mixed", "the result mixes list entries and named fields" },
		{ "negative", "the result mixes list entries and named fields" },
		{ "float", "the result holds a number that is not a whole "
		    "number; amounts are integers in Rappen (round in the "
		    "rule)" },
	};
	struct ks_request req;
	char err[256], *got;
	size_t i;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		got = result(&req, want[i][0]);
		KS_CHECK_STR(got, want[i][1]);
		free(got);
	}
	ks_rules_thread_free();
	json_decref(req.err.detail);
	ks_arena_free(req.arena);
}
