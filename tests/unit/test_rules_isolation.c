/*
 * test_rules_isolation.c - a pack's top level runs once per version,
 * label and rule data (rules.c, snapshots), yet no evaluation sees what
 * an earlier one wrote: globals, the pack's tables and local variables,
 * its functions, the libraries, the string metatable, DATA. Frozen
 * tables read as before (pairs, next, #, ipairs, rawget, rawlen, as a
 * result); a new data version or label is used at once; runaway top
 * levels are still stopped; a top level that cannot be frozen runs again
 * for every evaluation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static const char pack[] =
    "local PARAMS = { limit = 10, list = { 1, 2, 3 },\n"
    "  deep = { a = { b = 7 } } }\n"
    "local counter = 0\n"
    "local function fmt(v) return 'good:' .. v end\n"
    "TOP = (TOP or 0) + 1\n"
    "function helper() return 'good' end\n"
    "local tries = {\n"
    "  global = function() LEAK = 'yes' end,\n"
    "  upvalue = function() counter = counter + 1 end,\n"
    "  replace = function()\n"
    "    PARAMS = { limit = 99, list = {}, deep = {} }\n"
    "  end,\n"
    "  params = function() PARAMS.limit = 99 end,\n"
    "  newkey = function() PARAMS.extra = 1 end,\n"
    "  deep = function() PARAMS.deep.a.b = 0 end,\n"
    "  insert = function() table.insert(PARAMS.list, 4) end,\n"
    "  sort = function()\n"
    "    table.sort(PARAMS.list, function(a, b) return a > b end)\n"
    "  end,\n"
    "  setmeta = function() setmetatable(PARAMS, nil) end,\n"
    "  rawset = function() rawset(PARAMS, 'limit', 99) end,\n"
    "  string = function() string.upper = nil end,\n"
    "  strmeta = function() getmetatable('').__index = {} end,\n"
    "  data = function() DATA.rate = 0 end,\n"
    "  fn = function() helper = function() return 'evil' end end,\n"
    "  localfn = function() fmt = function() return 'evil' end end,\n"
    "  env = function() _ENV.TOP = 1000 end,\n"
    "}\n"
    "function probe(input)\n"
    "  local seen = {\n"
    "    leak = LEAK or 'none', counter = counter, limit = PARAMS.limit,\n"
    "    n = #PARAMS.list, extra = PARAMS.extra or 'none',\n"
    "    b = PARAMS.deep.a.b, helper = helper(), fmt = fmt(1), top = TOP,\n"
    "    upper = ('x'):upper(), data = DATA and DATA.rate or 'none',\n"
    "    version = PACK.version,\n"
    "  }\n"
    "  if input.try then tries[input.try]() end\n"
    "  return seen\n"
    "end\n"
    "function read()\n"
    "  local keys, sum = 0, 0\n"
    "  for k, v in pairs(PARAMS) do keys = keys + 1 end\n"
    "  for i, v in ipairs(PARAMS.list) do sum = sum + v end\n"
    "  local k1 = next(PARAMS)\n"
    "  return { keys = keys, sum = sum, len = #PARAMS.list,\n"
    "    rawlen = rawlen(PARAMS.list), rawget = rawget(PARAMS, 'limit'),\n"
    "    next = k1 ~= nil, concat = table.concat(PARAMS.list, ','),\n"
    "    list = PARAMS.list, deep = PARAMS.deep }\n"
    "end\n";

static json_t *
eval(struct ks_request *req, const char *label, const char *src,
    json_t *data, const char *fn, const char *try)
{
	json_t *in = try ? json_pack("{s:s}", "try", try) : json_object();
	json_t *out = NULL;

	json_decref(req->err.detail);
	memset(&req->err, 0, sizeof(req->err));
	if (ks_rules_eval_source(req, label, src, strlen(src), data, fn, in,
	    &out) != KS_OK)
		out = NULL;
	json_decref(in);
	return out;
}

static long long
num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "(missing)";
}

/* The probe as a fresh state would see it. */
static void
check_clean(json_t *o, long long rate)
{
	KS_CHECK(o != NULL);
	if (o == NULL)
		return;
	KS_CHECK_STR(str(o, "leak"), "none");
	KS_CHECK_INT(num(o, "counter"), 0);
	KS_CHECK_INT(num(o, "limit"), 10);
	KS_CHECK_INT(num(o, "n"), 3);
	KS_CHECK_STR(str(o, "extra"), "none");
	KS_CHECK_INT(num(o, "b"), 7);
	KS_CHECK_STR(str(o, "helper"), "good");
	KS_CHECK_STR(str(o, "fmt"), "good:1");
	KS_CHECK_INT(num(o, "top"), 1);
	KS_CHECK_STR(str(o, "upper"), "X");
	KS_CHECK_INT(num(o, "data"), rate);
	KS_CHECK_STR(str(o, "version"), "1");
}

KS_TEST(no_evaluation_sees_what_an_earlier_one_wrote)
{
	static const char *const writes[] = { "global", "upvalue", "replace",
	    "fn", "localfn", "env", NULL };
	static const char *const refused[] = { "params", "newkey", "deep",
	    "insert", "sort", "setmeta", "rawset", "string", "strmeta",
	    "data", NULL };
	struct ks_request req;
	char err[256];
	json_t *data = json_pack("{s:i}", "rate", 5), *o;
	int i;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_timeout_ms = 60000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);

	/* What succeeds leaves nothing behind. */
	for (i = 0; writes[i] != NULL; i++) {
		o = eval(&req, "iso@1", pack, data, "probe", writes[i]);
		check_clean(o, 5);
		json_decref(o);
		o = eval(&req, "iso@1", pack, data, "probe", NULL);
		check_clean(o, 5);
		json_decref(o);
	}
	/* What would change the pack's tables, the libraries or DATA fails. */
	for (i = 0; refused[i] != NULL; i++) {
		o = eval(&req, "iso@1", pack, data, "probe", refused[i]);
		KS_CHECK(o == NULL);
		KS_CHECK_STR(req.err.code ? req.err.code : "", "rule_error");
		json_decref(o);
		o = eval(&req, "iso@1", pack, data, "probe", NULL);
		check_clean(o, 5);
		json_decref(o);
	}
	json_decref(data);
	json_decref(req.err.detail);
	ks_rules_thread_free();
	ks_arena_free(req.arena);
}

KS_TEST(frozen_tables_read_as_before)
{
	struct ks_request req;
	char err[256];
	json_t *o, *want;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_timeout_ms = 60000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	/* The first evaluation makes the snapshot, the second reuses it. */
	for (int round = 0; round < 2; round++) {
		o = eval(&req, "iso@1", pack, NULL, "read", NULL);
		want = json_loads("{\"keys\":3,\"sum\":6,\"len\":3,"
		    "\"rawlen\":3,\"rawget\":10,\"next\":true,"
		    "\"concat\":\"1,2,3\","
		    "\"list\":[1,2,3],\"deep\":{\"a\":{\"b\":7}}}", 0, NULL);
		KS_CHECK(o != NULL && json_equal(o, want));
		json_decref(want);
		json_decref(o);
	}
	json_decref(req.err.detail);
	ks_rules_thread_free();
	ks_arena_free(req.arena);
}

KS_TEST(new_data_and_label_are_used_at_once)
{
	struct ks_request req;
	char err[256];
	json_t *d1 = json_pack("{s:i}", "rate", 1);
	json_t *d2 = json_pack("{s:i}", "rate", 2), *o;
	static const long long want[] = { 1, 2, 1, 2 };
	int i;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_timeout_ms = 60000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	for (i = 0; i < 4; i++) {
		o = eval(&req, "iso@1", pack, i % 2 ? d2 : d1, "probe", NULL);
		KS_CHECK(o != NULL);
		KS_CHECK_INT(num(o, "data"), want[i]);
		json_decref(o);
	}
	/* Without data, and under another label (same source). */
	o = eval(&req, "iso@1", pack, NULL, "probe", NULL);
	KS_CHECK_STR(str(o, "data"), "none");
	json_decref(o);
	o = eval(&req, "iso@2", pack, d1, "probe", NULL);
	KS_CHECK_STR(str(o, "version"), "2");
	json_decref(o);
	/* More data versions than a state keeps snapshots: still right. */
	for (i = 0; i < 12; i++) {
		json_t *d = json_pack("{s:i}", "rate", 100 + i);

		o = eval(&req, "iso@1", pack, d, "probe", NULL);
		KS_CHECK_INT(num(o, "data"), 100 + i);
		check_clean(o, 100 + i);
		json_decref(o);
		json_decref(d);
	}
	json_decref(d1);
	json_decref(d2);
	json_decref(req.err.detail);
	ks_rules_thread_free();
	ks_arena_free(req.arena);
}

KS_TEST(runaway_top_levels_are_stopped)
{
	struct ks_request req;
	char err[256];
	json_t *o;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_instructions = 2000000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	o = eval(&req, "loop@1", "local x = 0\nwhile true do x = x + 1 end\n"
	    "function f() return {} end\n", NULL, "f", NULL);
	KS_CHECK(o == NULL);
	KS_CHECK_STR(req.err.code ? req.err.code : "", "rule_timeout");
	o = eval(&req, "hog@1", "local t = {}\nfor i = 1, 1e9 do "
	    "t[i] = ('x'):rep(1000) .. i end\nfunction f() return {} end\n",
	    NULL, "f", NULL);
	KS_CHECK(o == NULL);
	KS_CHECK(req.err.code != NULL && (strcmp(req.err.code,
	    "rule_memory") == 0 || strcmp(req.err.code, "rule_timeout") == 0));
	json_decref(req.err.detail);
	ks_rules_thread_free();
	ks_arena_free(req.arena);
}

KS_TEST(a_top_level_that_cannot_be_frozen_runs_every_time)
{
	static const char src[] =
	    "local T = setmetatable({}, { __index = function(t, k) "
	    "return k end })\n"
	    "local n = 0\n"
	    "function f() n = n + 1; T.x = n; return { n = n, k = T.k } end\n";
	struct ks_request req;
	char err[256];
	json_t *o;
	int i;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_timeout_ms = 60000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	for (i = 0; i < 3; i++) {
		o = eval(&req, "meta@1", src, NULL, "f", NULL);
		KS_CHECK(o != NULL);
		KS_CHECK_INT(num(o, "n"), 1);
		KS_CHECK_STR(str(o, "k"), "k");
		json_decref(o);
	}
	json_decref(req.err.detail);
	ks_rules_thread_free();
	ks_arena_free(req.arena);
}

KS_TEST(data_named_by_its_checksum_is_converted_once)
{
	struct ks_request req;
	char err[256], sha[65];
	json_t *d = json_pack("{s:i}", "rate", 3), *in = json_object();
	json_t *o = NULL;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_timeout_ms = 60000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	ks_sha256_hex(pack, strlen(pack), sha);
	/* No state yet, then a state without that data: misses, no error. */
	KS_CHECK_INT(ks_rules_eval_cached(&req, sha, "iso@1", NULL, "d1",
	    "probe", in, &o), KS_ERROR);
	KS_CHECK(req.err.code == NULL);
	KS_CHECK_INT(ks_rules_load(&req, "iso@1", sha, pack, strlen(pack)),
	    KS_OK);
	KS_CHECK_INT(ks_rules_eval_cached(&req, sha, "iso@1", NULL, "d1",
	    "probe", in, &o), KS_ERROR);
	KS_CHECK(req.err.code == NULL);
	/* Given once, the data is found by its checksum alone. */
	KS_CHECK_INT(ks_rules_eval_cached(&req, sha, "iso@1", d, "d1",
	    "probe", in, &o), KS_OK);
	json_decref(o);
	o = NULL;
	KS_CHECK_INT(ks_rules_eval_cached(&req, sha, "iso@1", NULL, "d1",
	    "probe", in, &o), KS_OK);
	check_clean(o, 3);
	json_decref(o);
	/* Another checksum is another version: a miss until given. */
	KS_CHECK_INT(ks_rules_eval_cached(&req, sha, "iso@1", NULL, "d2",
	    "probe", in, &o), KS_ERROR);
	json_decref(in);
	json_decref(d);
	json_decref(req.err.detail);
	ks_rules_thread_free();
	ks_arena_free(req.arena);
}
