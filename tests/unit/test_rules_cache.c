/*
 * test_rules_cache.c - a thread's compiled rule states stay within their
 * share of rules_cache_memory and within CACHE_MAX however many packs it
 * evaluates; the one used last is kept, the least recently used go first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

/* A pack whose compiled state holds about kb KiB of constant text. */
static char *
pack(int id, int kb)
{
	size_t n = (size_t)kb * 1024;
	char *s = malloc(n + 128);
	int k;

	if (s == NULL)
		abort();
	k = snprintf(s, 128, "local big = '%d:", id);
	memset(s + k, 'x', n);
	snprintf(s + k + n, 128, "'\nfunction size() return #big end\n");
	return s;
}

static int
eval(struct ks_request *req, int id, int kb)
{
	char *src = pack(id, kb), name[32];
	json_t *in = json_object(), *out = NULL;
	int rc;

	snprintf(name, sizeof(name), "p%d@1", id);
	rc = ks_rules_eval_source(req, name, src, strlen(src), NULL, "size",
	    in, &out);
	json_decref(out);
	json_decref(in);
	free(src);
	return rc;
}

KS_TEST(cache_stays_within_its_share)
{
	struct ks_request req;
	char err[256];
	size_t bytes, share;
	int n, i;

	KS_CHECK_INT(ks_config_load(NULL, err, sizeof(err)), KS_OK);
	ks_conf.threads = 3;
	ks_conf.job_threads = 0;
	ks_conf.rules_cache_memory = 4L * 1024 * 1024;
	share = (size_t)ks_conf.rules_cache_memory / 4;	/* threads + 1 */
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);

	/* Small packs: at most 16 of them. */
	for (i = 0; i < 40; i++)
		KS_CHECK_INT(eval(&req, i, 1), KS_OK);
	ks_rules_cache_size(&n, &bytes);
	KS_CHECK_INT(n, 16);
	KS_CHECK(bytes <= share);

	/* Large ones: as many as fit in the share, and never fewer than one. */
	for (i = 100; i < 120; i++) {
		KS_CHECK_INT(eval(&req, i, 200), KS_OK);
		ks_rules_cache_size(&n, &bytes);
		KS_CHECK(n >= 1);
		KS_CHECK(bytes <= share || n == 1);
	}
	KS_CHECK(n >= 2 && n <= 6);
	/* A pack bigger than the share alone is kept while it is used. */
	KS_CHECK_INT(eval(&req, 200, 1200), KS_OK);
	ks_rules_cache_size(&n, &bytes);
	KS_CHECK_INT(n, 1);
	KS_CHECK(bytes > share);

	ks_rules_thread_free();
	ks_rules_cache_size(&n, &bytes);
	KS_CHECK_INT(n, 0);
	ks_arena_free(req.arena);
}
