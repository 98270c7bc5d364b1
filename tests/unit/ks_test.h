/*
 * ks_test.h - a minimal unit-test harness for the core.
 *
 * A test file includes this header once, defines its tests with
 * KS_TEST(name) { ... } and checks with KS_CHECK(cond) (or the typed
 * KS_CHECK_INT / KS_CHECK_STR, which print both values). A failed check
 * marks the test failed and the test goes on, so one run shows every
 * broken expectation. The header supplies main(): every test in file
 * order, one result line each, then "N passed, N failed"; the exit status
 * is non-zero when any test failed.
 *
 *   ./test_arena            run every test
 *   ./test_arena align      run the tests whose name contains "align"
 */
#ifndef KS_TEST_H
#define KS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

#define KS_TEST_MAX	256

struct ks_test_case {
	const char	*name;
	void		(*fn)(void);
	int		 line;
};

static struct ks_test_case ks_test_cases[KS_TEST_MAX];
static int ks_test_ncases;
static int ks_test_failed_checks;	/* of the running test */

static void
ks_test_register(const char *name, void (*fn)(void), int line)
{
	if (ks_test_ncases == KS_TEST_MAX) {
		fprintf(stderr, "ks_test: more than %d tests\n", KS_TEST_MAX);
		exit(2);
	}
	ks_test_cases[ks_test_ncases].name = name;
	ks_test_cases[ks_test_ncases].fn = fn;
	ks_test_cases[ks_test_ncases].line = line;
	ks_test_ncases++;
}

static int
ks_test_cmp(const void *a, const void *b)
{
	return ((const struct ks_test_case *)a)->line -
	    ((const struct ks_test_case *)b)->line;
}

/*
 * Each test registers itself from a constructor. Constructor order is
 * the toolchain's business, so the line is registered too and main()
 * sorts by it: tests run in file order.
 */
#define KS_TEST(name)							\
	static void ks_test_fn_##name(void);				\
	__attribute__((constructor)) static void			\
	ks_test_reg_##name(void)					\
	{								\
		ks_test_register(#name, ks_test_fn_##name, __LINE__);		\
	}								\
	static void ks_test_fn_##name(void)

#define KS_FAILF(...) do {						\
	ks_test_failed_checks++;					\
	fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
} while (0)

#define KS_CHECK(cond) do {						\
	if (!(cond))							\
		KS_FAILF("check failed: %s", #cond);			\
} while (0)

#define KS_CHECK_INT(got, want) do {					\
	long long ks_g_ = (long long)(got), ks_w_ = (long long)(want);	\
	if (ks_g_ != ks_w_)						\
		KS_FAILF("%s is %lld, expected %lld", #got, ks_g_,	\
		    ks_w_);						\
} while (0)

#define KS_CHECK_STR(got, want) do {					\
	const char *ks_g_ = (got), *ks_w_ = (want);			\
	if (ks_g_ == NULL || ks_w_ == NULL ?				\
	    ks_g_ != ks_w_ : strcmp(ks_g_, ks_w_) != 0)			\
		KS_FAILF("%s is \"%s\", expected \"%s\"", #got,		\
		    ks_g_ ? ks_g_ : "(null)", ks_w_ ? ks_w_ : "(null)");\
} while (0)

/*
 * A whole file, NUL-terminated, malloc'd, its length in *len (may be
 * NULL); NULL and a failed check when it cannot be read.
 */
static inline char *
ks_slurp(const char *path, size_t *len)
{
	char *buf;

	if ((buf = ks_file_read(path, 0, len)) == NULL)
		KS_FAILF("cannot read the reference file %s (run from the repo "
		    "root with shared/ beside it)", path);
	return buf;
}

int
main(int argc, char **argv)
{
	int i, passed = 0, failed = 0;

	qsort(ks_test_cases, (size_t)ks_test_ncases, sizeof(ks_test_cases[0]),
	    ks_test_cmp);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ks_test_ncases; i++) {
		if (argc > 1 && strstr(ks_test_cases[i].name, argv[1]) == NULL)
			continue;
		ks_test_failed_checks = 0;
		fflush(stderr);
		ks_test_cases[i].fn();
		fflush(stderr);
		if (ks_test_failed_checks == 0) {
			printf("ok   %s\n", ks_test_cases[i].name);
			passed++;
		} else {
			printf("FAIL %s (%d failed check%s)\n",
			    ks_test_cases[i].name, ks_test_failed_checks,
			    ks_test_failed_checks == 1 ? "" : "s");
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}

#endif
