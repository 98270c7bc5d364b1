/*
 * rules_eval.c - evaluations per second of a budget-sized rule in one
 * thread: the canton's skos-budget pack and its first example input,
 * through the same cage, cache and JSON conversion the server uses.
 *
 *   rules_eval PACK_DIR [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

int
main(int argc, char **argv)
{
	struct ks_request req;
	char path[1024], err[256];
	json_t *pack, *ex, *out;
	json_error_t je;
	double t0, secs = argc > 2 ? atof(argv[2]) : 3.0;
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
	ex = json_array_get(json_object_get(pack, "examples"), 0);
	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(8192);
	t0 = ks_now();
	while (ks_now() - t0 < secs) {
		if (ks_rules_eval_source(&req, "skos-budget", src, (size_t)len,
		    NULL, "budget", json_object_get(ex, "input"), &out) != KS_OK)
			return fprintf(stderr, "%s\n", req.err.message), 1;
		if (n == 0 && !json_equal(out, json_object_get(ex, "expected")))
			return fprintf(stderr, "output differs\n"), 1;
		json_decref(out);
		n++;
	}
	printf("%.0f\n", n / (ks_now() - t0));
	ks_rules_thread_free();
	ks_arena_free(req.arena);
	free(src);
	json_decref(pack);
	return 0;
}
