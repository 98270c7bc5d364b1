/*
 * test_fiber.c - a connection thread's fibers (core/lib/fiber.c): a fiber
 * runs until it ends or parks, is resumed only when woken and only by the
 * thread's own loop, in the order woken; a pinned fiber may not park; the
 * registers a function must keep survive a switch, and so do the
 * floating-point control words; stacks are reused; deep stacks work.
 */
#include <fenv.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static char trail[64];
static size_t ntrail;

static void
mark(char c)
{
	if (ntrail < sizeof(trail) - 1)
		trail[ntrail++] = c;
	trail[ntrail] = '\0';
}

static void
reset(void)
{
	ntrail = 0;
	trail[0] = '\0';
}

static void
ends_at_once(void *arg)
{
	*(int *)arg += 1;
	KS_CHECK(ks_fiber_self() != NULL);
	KS_CHECK(ks_fiber_may_park());
}

KS_TEST(a_fiber_that_never_parks_ends_in_start)
{
	int n = 0;

	KS_CHECK(ks_fiber_self() == NULL);
	KS_CHECK(!ks_fiber_may_park());
	KS_CHECK_INT(ks_fiber_start(ends_at_once, &n), 0);
	KS_CHECK_INT(n, 1);
	KS_CHECK_INT(ks_fiber_live(), 0);
	KS_CHECK(ks_fiber_self() == NULL);
}

struct parker {
	char		 name;
	int		 parks;
	struct ks_fiber	*self;
};

static void
parks(void *arg)
{
	struct parker *p = arg;
	int i;

	p->self = ks_fiber_self();
	for (i = 0; i < p->parks; i++) {
		mark(p->name);
		ks_fiber_park();
	}
	mark((char)(p->name - 'a' + 'A'));	/* upper case: it ended */
}

KS_TEST(parked_fibers_resume_when_woken_in_that_order)
{
	struct parker a = { 'a', 2, NULL }, b = { 'b', 1, NULL };

	reset();
	KS_CHECK_INT(ks_fiber_start(parks, &a), 1);
	KS_CHECK_INT(ks_fiber_start(parks, &b), 1);
	KS_CHECK_STR(trail, "ab");
	KS_CHECK_INT(ks_fiber_live(), 2);
	/* Not woken: nothing runs. */
	ks_fiber_run_ready();
	KS_CHECK_STR(trail, "ab");
	KS_CHECK(!ks_fiber_pending());
	ks_fiber_wake(b.self);
	ks_fiber_wake(a.self);
	ks_fiber_wake(a.self);		/* twice: resumed once */
	KS_CHECK(ks_fiber_pending());
	ks_fiber_run_ready();
	KS_CHECK_STR(trail, "abBa");
	KS_CHECK_INT(ks_fiber_live(), 1);
	ks_fiber_wake(a.self);
	ks_fiber_run_ready();
	KS_CHECK_STR(trail, "abBaA");
	KS_CHECK_INT(ks_fiber_live(), 0);
}

static void
pinned(void *arg)
{
	int *seen = arg;

	ks_fiber_pin();
	seen[0] = ks_fiber_may_park();
	ks_fiber_pin();
	ks_fiber_unpin();
	seen[1] = ks_fiber_may_park();
	ks_fiber_unpin();
	seen[2] = ks_fiber_may_park();
	ks_fiber_unpin();		/* one too many: no harm */
	seen[3] = ks_fiber_may_park();
}

KS_TEST(a_pinned_fiber_may_not_park)
{
	int seen[4] = { -1, -1, -1, -1 };

	KS_CHECK_INT(ks_fiber_start(pinned, seen), 0);
	KS_CHECK_INT(seen[0], 0);
	KS_CHECK_INT(seen[1], 0);
	KS_CHECK_INT(seen[2], 1);
	KS_CHECK_INT(seen[3], 1);
	/* Pins end with their fiber: the next one starts unpinned. */
	KS_CHECK_INT(ks_fiber_start(ends_at_once, &seen[0]), 0);
}

static void
wakes_itself(void *arg)
{
	(void)arg;
	/* The running fiber is never put on the ready list. */
	ks_fiber_wake(ks_fiber_self());
	KS_CHECK(!ks_fiber_pending());
}

KS_TEST(a_running_fiber_cannot_wake_itself)
{
	KS_CHECK_INT(ks_fiber_start(wakes_itself, NULL), 0);
	KS_CHECK(!ks_fiber_pending());
	ks_fiber_run_ready();
	KS_CHECK_INT(ks_fiber_live(), 0);
}

static void
nested(void *arg)
{
	int n = 0;

	/* Inside a fiber another start runs at once, on this fiber. */
	KS_CHECK_INT(ks_fiber_start(ends_at_once, &n), 0);
	KS_CHECK_INT(n, 1);
	*(int *)arg = 1;
}

KS_TEST(a_start_inside_a_fiber_runs_inline)
{
	int done = 0;

	KS_CHECK_INT(ks_fiber_start(nested, &done), 0);
	KS_CHECK_INT(done, 1);
}

struct keep {
	double		 x;
	long		 sum;
	struct ks_fiber	*self;
};

static void
computes_across_parks(void *arg)
{
	struct keep *k = arg;
	volatile double local = 1.5;
	long i, acc = 0;

	k->self = ks_fiber_self();
	for (i = 1; i <= 100; i++) {
		acc += i;
		local *= 1.01;
		if (i % 10 == 0)
			ks_fiber_park();
	}
	k->sum = acc;
	k->x = local;
}

KS_TEST(values_and_rounding_survive_switches)
{
	struct keep k = { 0, 0, NULL };
	double want = 1.5;
	long caller = 12345;
	int i, round;

	round = fegetround();
	fesetround(FE_UPWARD);
	KS_CHECK_INT(ks_fiber_start(computes_across_parks, &k), 1);
	/* The caller's own rounding mode is its own again. */
	KS_CHECK_INT(fegetround(), FE_UPWARD);
	fesetround(round);
	while (ks_fiber_live() > 0) {
		ks_fiber_wake(k.self);
		ks_fiber_run_ready();
		caller += 1;
	}
	for (i = 0; i < 100; i++)
		want *= 1.01;
	KS_CHECK(k.sum == 5050);
	KS_CHECK(k.x == want);
	KS_CHECK(caller == 12345 + 10);
}

static int
deep(int n)
{
	volatile char buf[1024];

	memset((char *)buf, n & 0xff, sizeof(buf));
	return n == 0 ? buf[0] : deep(n - 1) + (buf[10] != (char)(n & 0xff));
}

static void
deep_stack(void *arg)
{
	*(int *)arg = deep(400);	/* 400 KiB and more */
}

KS_TEST(a_fiber_has_a_deep_stack)
{
	int r = -1;

	KS_CHECK_INT(ks_fiber_start(deep_stack, &r), 0);
	KS_CHECK_INT(r, 0);
}

KS_TEST(many_fibers_park_and_end_and_their_stacks_return)
{
	struct parker p[100];
	int i, k;

	for (k = 0; k < 3; k++) {
		reset();
		for (i = 0; i < 100; i++) {
			p[i] = (struct parker){ 'a', 1, NULL };
			KS_CHECK_INT(ks_fiber_start(parks, &p[i]), 1);
		}
		KS_CHECK_INT(ks_fiber_live(), 100);
		for (i = 0; i < 100; i++)
			ks_fiber_wake(p[i].self);
		ks_fiber_run_ready();
		KS_CHECK_INT(ks_fiber_live(), 0);
	}
	ks_fiber_thread_free();
	KS_CHECK_INT(ks_fiber_start(ends_at_once, &k), 0);
	ks_fiber_thread_free();
}
