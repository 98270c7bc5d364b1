/*
 * rules_eval.c - evaluations per second of a budget-sized rule in one
 * thread: the canton's skos-budget pack and its first example input,
 * through the same cage, cache and JSON conversion the server uses. As
 * in the server, the pack is compiled once and then found by its
 * checksum (ks_rules_eval_cached); the source is not hashed again.
 *
 *   rules_eval PACK_DIR [SECONDS [tree]]
 *
 * Each evaluation's output is JSON text, as POST /api/v1/rules/evaluate
 * sends it (ks_rules_eval_cached_text); with "tree" it is the jansson
 * tree the modules get, dumped as the route did before.
 *
 * Prints evaluations per second of wall time on stdout and, on stderr,
 * the CPU time of one evaluation (steadier on a shared machine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kasus.h"

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct ks_request req;
	char path[1024], err[256], sha[65], label[128];
	json_t *pack, *ex, *in, *out;
	json_error_t je;
	double t0, c0, secs = argc > 2 ? atof(argv[2]) : 3.0;
	int tree = argc > 3 && strcmp(argv[3], "tree") == 0;
	const char *text;
	char *dump;
	size_t tlen;
	long n = 0;
	FILE *f;
	char *src;
	long len;

	if (argc < 2 || ks_config_load(NULL, err, sizeof(err)) != KS_OK)
		return 2;
	snprintf(path, sizeof(path), "%s/pack.json", argv[1]);
	if ((pack = json_load_file(path, 0, &je)) == NULL)
		return fprintf(stderr, "%s: %s\n", path, je.text), 1;
	snprintf(path, sizeof(path), "%s/%s", argv[1], json_string_value(
	    json_object_get(pack, "source")));
	if ((f = fopen(path, "rb")) == NULL)
		return perror(path), 1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	src = malloc((size_t)len);
	if (src == NULL || fread(src, 1, (size_t)len, f) != (size_t)len)
		return 1;
	fclose(f);
	snprintf(label, sizeof(label), "%s@%s", json_string_value(
	    json_object_get(pack, "name")), json_string_value(
	    json_object_get(pack, "version")));
	ex = json_array_get(json_object_get(pack, "examples"), 0);
	in = json_object_get(ex, "input");
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	/* The first evaluation compiles, checks the output and is not timed. */
	if (ks_rules_eval_source(&req, label, src, (size_t)len, NULL, "budget",
	    in, &out) != KS_OK)
		return fprintf(stderr, "%s\n", req.err.message), 1;
	if (!json_equal(out, json_object_get(ex, "expected")))
		return fprintf(stderr, "output differs\n"), 1;
	json_decref(out);
	ks_sha256_hex(src, (size_t)len, sha);
	t0 = ks_now();
	c0 = cpu_now();
	while (ks_now() - t0 < secs) {
		if ((tree ? ks_rules_eval_cached(&req, sha, label, NULL, NULL,
		    "budget", in, &out) : ks_rules_eval_cached_text(&req, sha,
		    label, NULL, NULL, "budget", in, &text, &tlen)) != KS_OK)
			return fprintf(stderr, "%s\n", req.err.message ?
			    req.err.message : "not in the cache"), 1;
		if (tree) {
			dump = json_dumps(out, JSON_COMPACT);
			free(dump);
			json_decref(out);
		} else if ((n & 1023) == 0) {
			/* the text lives in the request's arena */
			ks_arena_free(req.arena);
			req.arena = ks_arena_new(8192);
		}
		n++;
	}
	printf("%.0f\n", n / (ks_now() - t0));
	fprintf(stderr, "%.1f us CPU per evaluation\n",
	    (cpu_now() - c0) / (double)n * 1e6);
	ks_rules_thread_free();
	ks_arena_free(req.arena);
	free(src);
	json_decref(pack);
	return 0;
}
