/*
 * test_rules_pool.c - a rule's small blocks come from its state's own
 * pool (rules.c): results stay right however blocks of every size class
 * are allocated, grown across classes and freed; the memory limit still
 * holds for small blocks; a state whose pool grew large for one
 * evaluation is not kept in the cache, so the worker gets the memory back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static int
eval(struct ks_request *req, const char *name, const char *src, json_t *in,
    json_t **out)
{
	json_decref(req->err.detail);
	memset(&req->err, 0, sizeof(req->err));
	*out = NULL;
	return ks_rules_eval_source(req, name, src, strlen(src), NULL, "f", in,
	    out);
}

/* Strings of 1..600 bytes and tables grown one entry at a time. */
static const char churn[] =
    "function f(input)\n"
    "  local n, sum = input.n, 0\n"
    "  for round = 1, 3 do\n"
    "    local keep = {}\n"
    "    for i = 1, n do\n"
    "      local s = string.rep('x', (i * 7 + round) % 600) .. i\n"
    "      local t = {}\n"
    "      for k = 1, i % 40 do t[k] = s end\n"
    "      if #s ~= (i * 7 + round) % 600 + #tostring(i) then\n"
    "        error('string ' .. i .. ' has length ' .. #s)\n"
    "      end\n"
    "      if #t ~= i % 40 or (#t > 0 and t[#t] ~= s) then\n"
    "        error('table ' .. i)\n"
    "      end\n"
    "      keep[i % 97] = t\n"
    "      sum = sum + #s + #t\n"
    "    end\n"
    "  end\n"
    "  return { sum = sum }\n"
    "end\n";

KS_TEST(results_stay_right_through_the_pool)
{
	struct ks_request req;
	char err[256];
	json_t *in, *out;
	long long want = 0;
	int i, r, n = 2000, k;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	/* Correctness, not time: a sanitizer build on a busy machine is slow. */
	ks_conf.rules_timeout_ms = 60000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	for (r = 1; r <= 3; r++)
		for (i = 1; i <= n; i++) {
			k = snprintf(err, sizeof(err), "%d", i);
			want += (i * 7 + r) % 600 + k + i % 40;
		}
	in = json_pack("{s:i}", "n", n);
	/* The same state again and again: its pool is reused. */
	for (i = 0; i < 10; i++) {
		KS_CHECK_INT(eval(&req, "churn@1", churn, in, &out), KS_OK);
		if (req.err.code != NULL)
			fprintf(stderr, "    %s: %s\n", req.err.code,
			    req.err.message);
		KS_CHECK(out != NULL && json_integer_value(json_object_get(out,
		    "sum")) == want);
		json_decref(out);
	}
	json_decref(in);
	ks_rules_thread_free();
	json_decref(req.err.detail);
	ks_arena_free(req.arena);
}

/* Many small tables kept alive: only the limit stops them. */
static const char hoard[] =
    "function f(input)\n"
    "  local keep = {}\n"
    "  for i = 1, input.n do keep[i] = { i } end\n"
    "  return { n = #keep }\n"
    "end\n";

KS_TEST(limit_holds_for_small_blocks)
{
	struct ks_request req;
	char err[256];
	json_t *in, *out;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_timeout_ms = 60000;
	ks_conf.rules_memory = 2L * 1024 * 1024;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	in = json_pack("{s:i}", "n", 1000000);
	KS_CHECK_INT(eval(&req, "hoard@1", hoard, in, &out), KS_ERROR);
	KS_CHECK_STR(req.err.code, "rule_memory");
	json_decref(in);
	/* Well within the limit it works, in a new state. */
	in = json_pack("{s:i}", "n", 1000);
	KS_CHECK_INT(eval(&req, "hoard@1", hoard, in, &out), KS_OK);
	KS_CHECK(json_integer_value(json_object_get(out, "n")) == 1000);
	json_decref(out);
	json_decref(in);
	ks_rules_thread_free();
	json_decref(req.err.detail);
	ks_arena_free(req.arena);
}

KS_TEST(a_state_that_grew_large_is_not_kept)
{
	struct ks_request req;
	char err[256];
	json_t *in, *out;
	size_t bytes;
	int n;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.rules_timeout_ms = 60000;
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	/* About 10 MB of small tables, alive until the evaluation ends. */
	in = json_pack("{s:i}", "n", 150000);
	KS_CHECK_INT(eval(&req, "hoard@1", hoard, in, &out), KS_OK);
	KS_CHECK(json_integer_value(json_object_get(out, "n")) == 150000);
	json_decref(out);
	json_decref(in);
	ks_rules_cache_size(&n, &bytes);
	KS_CHECK_INT(n, 0);
	/* A small evaluation's state is kept, and small. */
	in = json_pack("{s:i}", "n", 100);
	KS_CHECK_INT(eval(&req, "hoard@1", hoard, in, &out), KS_OK);
	json_decref(out);
	json_decref(in);
	ks_rules_cache_size(&n, &bytes);
	KS_CHECK_INT(n, 1);
	KS_CHECK(bytes > 0 && bytes < 1024 * 1024);
	ks_rules_thread_free();
	json_decref(req.err.detail);
	ks_arena_free(req.arena);
}
