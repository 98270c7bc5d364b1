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

/*
 * The JSON text of a result (ks_rules_eval_cached_text, what the
 * evaluate route sends) is byte for byte what json_dumps writes of the
 * tree, in the same field order, and refuses the same results with the
 * same message.
 */
static const char text_src[] =
    "local FROZEN = { name = 'Zürich', list = { 1, 2, { x = 'y' } } }\n"
    "function f(input)\n"
    "  local shapes = {\n"
    "    esc = function() return { s = 'q\"b\\\\s/\\b\\f\\n\\r\\t\\1\\31\\127',\n"
    "      nul = 'a\\0b', u = 'äé€😀', e = '' } end,\n"
    "    nums = function() return { 0, -1, 9007199254740991, 2^40, -3.0,\n"
    "      math.mininteger } end,\n"
    "    bools = function() return { t = true, f = false } end,\n"
    "    frozen = function() return { f = FROZEN, l = FROZEN.list } end,\n"
    "    nested = function() return { a = { b = { c = { {}, { {} } } } } }\n"
    "      end,\n"
    "    many = function() local t = {} for i = 1, 40 do\n"
    "      t['k' .. i] = { i, tostring(i) } end return t end,\n"
    "    top = function() return 'just text' end,\n"
    "    gap = function() return { a = { [3] = 1 } } end,\n"
    "    badkey = function() return { ok = { ['\\255'] = 1 } } end,\n"
    "    badval = function() return { deep = { v = function() end } } end,\n"
    "  }\n"
    "  return shapes[input.shape]()\n"
    "end\n";

KS_TEST(text_is_what_json_dumps_writes)
{
	static const char *const shapes[] = { "esc", "nums", "bools",
	    "frozen", "nested", "many", "top", "gap", "badkey", "badval" };
	struct ks_request req;
	char err[256], sha[65], *dump, *msg;
	const char *text;
	json_t *in, *out;
	size_t i, len;
	int rc;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	ks_sha256_hex(text_src, strlen(text_src), sha);
	KS_CHECK_INT(ks_rules_load(&req, "text@1", sha, text_src,
	    strlen(text_src)), KS_OK);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		in = json_pack("{s:s}", "shape", shapes[i]);
		out = NULL;
		rc = ks_rules_eval_cached(&req, sha, "text@1", NULL, NULL, "f",
		    in, &out);
		dump = rc == KS_OK ? json_dumps(out, JSON_COMPACT |
		    JSON_ENCODE_ANY) : NULL;
		msg = rc == KS_OK ? NULL : strdup(req.err.message);
		/* The first seven are results, the rest refused. */
		KS_CHECK_INT(rc, i < 7 ? KS_OK : KS_ERROR);
		json_decref(out);
		json_decref(req.err.detail);
		memset(&req.err, 0, sizeof(req.err));
		text = NULL;
		KS_CHECK_INT(ks_rules_eval_cached_text(&req, sha, "text@1",
		    NULL, NULL, "f", in, &text, &len), rc);
		if (rc == KS_OK) {
			KS_CHECK_STR(text, dump);
			KS_CHECK(len == strlen(dump));
		} else
			KS_CHECK_STR(req.err.message, msg);
		json_decref(req.err.detail);
		memset(&req.err, 0, sizeof(req.err));
		free(dump);
		free(msg);
		json_decref(in);
	}
	ks_rules_thread_free();
	ks_arena_free(req.arena);
}
