/*
 * test_arena.c - per-request arenas: zeroed allocation, alignment,
 * strings, growth across many blocks, cleanups newest-first.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static int
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

KS_TEST(alloc_is_zeroed_and_writable)
{
	struct ks_arena *a = ks_arena_new(1024);
	unsigned char *p, *q;

	p = ks_arena_alloc(a, 100);
	KS_CHECK(p != NULL);
	KS_CHECK(all_zero(p, 100));
	memset(p, 0xab, 100);
	q = ks_arena_alloc(a, 100);
	KS_CHECK(q != NULL);
	KS_CHECK(all_zero(q, 100));
	/* The two allocations do not overlap. */
	KS_CHECK(q >= p + 100 || q + 100 <= p);
	KS_CHECK(p[99] == 0xab);
	ks_arena_free(a);
}

KS_TEST(alloc_alignment_fits_any_type)
{
	struct ks_arena *a = ks_arena_new(512);
	size_t sizes[] = { 1, 3, 7, 8, 9, 15, 16, 17, 31, 100, 511, 513,
	    4000 };
	size_t i;
	int j, bad = 0;
	void *p, *first = NULL;

	/* Every allocation must be good for any object (malloc's promise). */
	for (j = 0; j < 4; j++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			p = ks_arena_alloc(a, sizes[i]);
			if ((uintptr_t)p % alignof(max_align_t) != 0 &&
			    bad++ == 0)
				first = p;
		}
	}
	if (bad > 0)
		KS_FAILF("%d of %zu allocations not aligned to %zu, e.g. %p",
		    bad, 4 * sizeof(sizes) / sizeof(sizes[0]),
		    alignof(max_align_t), first);
	ks_arena_free(a);
}

KS_TEST(alloc_zero_bytes)
{
	struct ks_arena *a = ks_arena_new(256);
	void *p, *q;

	p = ks_arena_alloc(a, 0);
	q = ks_arena_alloc(a, 1);
	KS_CHECK(p != NULL);
	KS_CHECK(q != NULL);
	ks_arena_free(a);
}

KS_TEST(used_counts_bytes)
{
	struct ks_arena *a = ks_arena_new(256);

	KS_CHECK_INT(ks_arena_used(a), 0);
	ks_arena_alloc(a, 10);
	KS_CHECK(ks_arena_used(a) >= 10);
	ks_arena_alloc(a, 1000);
	KS_CHECK(ks_arena_used(a) >= 1010);
	ks_arena_free(a);
}

KS_TEST(large_allocation_bigger_than_block)
{
	struct ks_arena *a = ks_arena_new(256);
	unsigned char *big, *small;

	small = ks_arena_alloc(a, 16);
	memset(small, 1, 16);
	big = ks_arena_alloc(a, 1 << 20);
	KS_CHECK(big != NULL);
	KS_CHECK(all_zero(big, 1 << 20));
	memset(big, 2, 1 << 20);
	small = ks_arena_alloc(a, 16);
	KS_CHECK(all_zero(small, 16));
	ks_arena_free(a);
}

KS_TEST(many_blocks)
{
	struct ks_arena *a = ks_arena_new(300);
	unsigned int *p[5000];
	int i, bad = 0;

	/* Each allocation keeps its value while thousands follow. */
	for (i = 0; i < 5000; i++) {
		p[i] = ks_arena_alloc(a, sizeof(unsigned int) * (2 + i % 37));
		p[i][0] = (unsigned int)i * 2654435761u;
		p[i][1 + i % 37] = (unsigned int)i;
	}
	for (i = 0; i < 5000; i++)
		if (p[i][0] != (unsigned int)i * 2654435761u ||
		    p[i][1 + i % 37] != (unsigned int)i)
			bad++;
	KS_CHECK_INT(bad, 0);
	KS_CHECK(ks_arena_used(a) >= 5000 * sizeof(unsigned int));
	ks_arena_free(a);
}

KS_TEST(strings)
{
	struct ks_arena *a = ks_arena_new(256);
	char src[] = "Bern-Mittelland", *s;

	s = ks_arena_strdup(a, src);
	KS_CHECK_STR(s, "Bern-Mittelland");
	KS_CHECK(s != src);
	src[0] = 'X';
	KS_CHECK_STR(s, "Bern-Mittelland");
	KS_CHECK(ks_arena_strdup(a, NULL) == NULL);
	KS_CHECK_STR(ks_arena_strndup(a, "Thun", 2), "Th");
	KS_CHECK_STR(ks_arena_strndup(a, "", 0), "");
	KS_CHECK_STR(ks_arena_printf(a, "%s/%d/%05.1f", "a", 42, 3.14159),
	    "a/42/003.1");
	KS_CHECK_STR(ks_arena_printf(a, "%s", ""), "");
	ks_arena_free(a);
}

KS_TEST(printf_longer_than_block)
{
	struct ks_arena *a = ks_arena_new(256);
	char *s;
	size_t n;

	s = ks_arena_printf(a, "%04000d|%s", 7, "end");
	n = strlen(s);
	KS_CHECK_INT(n, 4004);
	KS_CHECK(s[0] == '0' && s[3999] == '7');
	KS_CHECK_STR(s + 4000, "|end");
	ks_arena_free(a);
}

static char order[32];
static int norder;

static void
record(void *arg)
{
	order[norder++] = *(const char *)arg;
	order[norder] = '\0';
}

KS_TEST(cleanups_run_newest_first)
{
	struct ks_arena *a = ks_arena_new(256);
	static const char tags[] = "abcde";
	int i;

	norder = 0;
	order[0] = '\0';
	for (i = 0; i < 5; i++) {
		ks_arena_cleanup(a, record, (void *)&tags[i]);
		/* Allocations in between must not disturb the list. */
		ks_arena_alloc(a, 200);
	}
	KS_CHECK_INT(norder, 0);
	ks_arena_free(a);
	KS_CHECK_STR(order, "edcba");
}

static int ncounted;

static void
count(void *arg)
{
	(void)arg;
	ncounted++;
}

KS_TEST(cleanup_now_runs_once_and_recycles)
{
	struct ks_arena *a = ks_arena_new(256);
	static const char tags[] = "abcxy";
	size_t used;
	int i;

	norder = 0;
	order[0] = '\0';
	for (i = 0; i < 3; i++)
		ks_arena_cleanup(a, record, (void *)&tags[i]);
	/* The oldest and the newest now: each once, the rest at the end. */
	KS_CHECK_INT(ks_arena_cleanup_now(a, record, (void *)&tags[0]), 1);
	KS_CHECK_INT(ks_arena_cleanup_now(a, record, (void *)&tags[2]), 1);
	KS_CHECK_INT(ks_arena_cleanup_now(a, record, (void *)&tags[2]), 0);
	KS_CHECK_STR(order, "ac");
	/* A loop's per-item cleanups reuse the records: no growth. */
	used = ks_arena_used(a);
	ncounted = 0;
	for (i = 0; i < 1000; i++) {
		ks_arena_cleanup(a, count, (void *)&tags[3]);
		ks_arena_cleanup(a, count, (void *)&tags[4]);
		ks_arena_cleanup_now(a, count, (void *)&tags[4]);
		ks_arena_cleanup_now(a, count, (void *)&tags[3]);
	}
	KS_CHECK_INT(ncounted, 2000);
	KS_CHECK(ks_arena_used(a) <= used + 64);
	norder = 0;
	order[0] = '\0';
	ks_arena_free(a);
	KS_CHECK_STR(order, "b");
}

static void
json_free(void *p)
{
	json_decref(p);
}

KS_TEST(cleanup_releases_foreign_memory)
{
	struct ks_arena *a = ks_arena_new(256);
	json_t *j = json_pack("{s:s,s:i}", "tenant", "thun", "n", 3);

	/* ASan reports a leak when the cleanup does not run. */
	ks_arena_cleanup(a, json_free, j);
	ks_arena_cleanup(a, free, strdup("owned by the arena"));
	ks_arena_free(a);
	KS_CHECK(1);
}

KS_TEST(free_null_is_harmless)
{
	ks_arena_free(NULL);
	KS_CHECK(1);
}

KS_TEST(empty_arena_frees)
{
	struct ks_arena *a = ks_arena_new(0);

	ks_arena_free(a);
	KS_CHECK(1);
}
