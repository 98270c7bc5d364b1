/*
 * fiber.c - a connection thread's parked requests (issue 13).
 *
 * A read on the connection thread that waits for PostgreSQL used to hold
 * the thread, and with it every other connection the thread serves, for
 * the whole round trip. Run on a fiber (its own stack on the same
 * thread), the request sends its statement and parks: the thread goes on
 * with the next connection, whose statement follows in the same pipeline,
 * and the fiber resumes when its answer is read (core/data/db.c,
 * core/http/http.c). PostgreSQL then reads and answers the statements of
 * many requests at a time instead of waking for each one.
 *
 * Fibers never move between threads and only the thread's own loop
 * resumes them, never a fiber. A fiber may only park where nothing of the
 * thread is held: code that keeps a thread's resource across a statement
 * (a Lua state, a slot of a thread's cache, a module's hook context) pins
 * the fiber (ks_fiber_pin), and its statements then wait as before.
 *
 * Stacks are mapped once with a guard page below and reused; under
 * AddressSanitizer every switch is announced to it, or it would take the
 * other stack for an overflow of this one.
 *
 * The switch itself: on x86-64, a dozen instructions that keep the
 * registers a called function must keep (and the floating-point control
 * words) on the stack being left, and take the other stack's. glibc's
 * swapcontext also saves and restores the signal mask, a system call
 * each time (five a parked request), and AddressSanitizer warns on its
 * first use that it cannot follow it. Elsewhere swapcontext does it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SAN_START(save, bottom, size) \
	__sanitizer_start_switch_fiber((save), (bottom), (size))
#define SAN_FINISH(save, bottom, size) \
	__sanitizer_finish_switch_fiber((save), (bottom), (size))
#else
#define SAN_START(save, bottom, size) \
	do { (void)(save); (void)(bottom); (void)(size); } while (0)
#define SAN_FINISH(save, bottom, size) \
	do { (void)(save); (void)(bottom); (void)(size); } while (0)
#endif

#include "kasus.h"

/* Virtual; only the pages a request touches become resident. */
#define STACK_SIZE	(1024 * 1024)
#define KEEP_FREE	32	/* stacks a thread keeps for reuse */

#if defined(__x86_64__)
/*
 * Pushes rbp, rbx, r12-r15 and the MXCSR and x87 control words on the
 * stack being left, stores its pointer in *from, takes to as the stack
 * and pops the same from it. A new stack is laid out as if it had been
 * left by this switch, its return address the fiber's entry.
 */
void ks_fiber_switch_(void **from, void *to);
__asm__(
	".text\n"
	".globl ks_fiber_switch_\n"
	".hidden ks_fiber_switch_\n"
	".type ks_fiber_switch_, @function\n"
	"ks_fiber_switch_:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size ks_fiber_switch_, .-ks_fiber_switch_\n");
#endif

struct ks_fiber {
#if defined(__x86_64__)
	void		*sp;		/* its stack while it is not running */
#else
	ucontext_t	 ctx;
#endif
	void		*map;		/* guard page and stack */
	void		*stack;
	void		(*fn)(void *);
	void		*arg;
	int		 pins;
	int		 done;
	int		 ready;		/* woken, waiting to be resumed */
	void		*fake;		/* AddressSanitizer's fake stack */
	struct ks_fiber	*next;		/* free or ready list */
};

#if defined(__x86_64__)
static __thread void *tl_home;
#else
static __thread ucontext_t tl_home;
#endif
static __thread struct ks_fiber *tl_self;	/* the fiber running */
static __thread struct ks_fiber *tl_free;
static __thread int tl_nfree;
static __thread struct ks_fiber *tl_ready, **tl_ready_tail;
static __thread int tl_live;
/* The thread's own stack, for the switches back to it. */
static __thread const void *tl_home_bottom;
static __thread size_t tl_home_size;

static struct ks_fiber *
fiber_new(void)
{
	struct ks_fiber *f;
	long page = sysconf(_SC_PAGESIZE);

	if ((f = tl_free) != NULL) {
		tl_free = f->next;
		tl_nfree--;
		return f;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->map = mmap(NULL, STACK_SIZE + (size_t)page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (f->map == MAP_FAILED) {
		free(f);
		return NULL;
	}
	/* Below the stack: an overflow faults instead of writing on. */
	mprotect(f->map, (size_t)page, PROT_NONE);
	f->stack = (char *)f->map + page;
	return f;
}

static void
fiber_drop(struct ks_fiber *f)
{
	if (tl_nfree < KEEP_FREE) {
		f->next = tl_free;
		tl_free = f;
		tl_nfree++;
		return;
	}
	munmap(f->map, STACK_SIZE + (size_t)sysconf(_SC_PAGESIZE));
	free(f);
}

static void
entry(void)
{
	struct ks_fiber *f = tl_self;

	SAN_FINISH(NULL, &tl_home_bottom, &tl_home_size);
	f->fn(f->arg);
	f->done = 1;
	/* For good: AddressSanitizer frees the fiber's fake stack. */
	SAN_START(NULL, tl_home_bottom, tl_home_size);
#if defined(__x86_64__)
	ks_fiber_switch_(&f->sp, tl_home);
	abort();	/* never resumed once done */
#endif
	/* uc_link returns to the switch in enter(). */
}

static void
to_fiber(struct ks_fiber *f)
{
#if defined(__x86_64__)
	ks_fiber_switch_(&tl_home, f->sp);
#else
	swapcontext(&tl_home, &f->ctx);
#endif
}

static void
to_home(struct ks_fiber *f)
{
#if defined(__x86_64__)
	ks_fiber_switch_(&f->sp, tl_home);
#else
	swapcontext(&f->ctx, &tl_home);
#endif
}

/* Runs f until it parks or ends; 1 when it parked. */
static int
enter(struct ks_fiber *f)
{
	struct ks_fiber *prev = tl_self;
	void *fake = NULL;

	tl_self = f;
	SAN_START(&fake, f->stack, STACK_SIZE);
	to_fiber(f);
	SAN_FINISH(fake, NULL, NULL);
	tl_self = prev;
	if (!f->done)
		return 1;
	tl_live--;
	fiber_drop(f);
	return 0;
}

#if defined(__x86_64__)
/*
 * The new stack as ks_fiber_switch_ leaves one, from its top: a zero
 * return address for entry (where a backtrace ends), entry itself as the
 * switch's, six zero registers, the control words as a new thread has
 * them. After the switch's ret the stack pointer is 8 below a 16-byte
 * boundary, as at any function's first instruction.
 */
static void
prepare(struct ks_fiber *f)
{
	uintptr_t top = ((uintptr_t)f->stack + STACK_SIZE) & ~(uintptr_t)15;
	uint64_t *p = (uint64_t *)top;
	uint32_t *cw;

	*--p = 0;
	*--p = (uint64_t)(uintptr_t)entry;
	p -= 6;
	memset(p, 0, 6 * sizeof(*p));
	p--;
	cw = (uint32_t *)p;
	cw[0] = 0x1f80;		/* MXCSR: all exceptions masked */
	cw[1] = 0x037f;		/* x87: the same, double extended */
	f->sp = p;
}
#else
/* Apart: getcontext returns twice, as setjmp does, to its caller. */
static __attribute__((noinline)) void
prepare(struct ks_fiber *f)
{
	getcontext(&f->ctx);
	f->ctx.uc_stack.ss_sp = f->stack;
	f->ctx.uc_stack.ss_size = STACK_SIZE;
	f->ctx.uc_link = &tl_home;
	makecontext(&f->ctx, entry, 0);
}
#endif

int
ks_fiber_start(void (*fn)(void *), void *arg)
{
	struct ks_fiber *f;

	if (tl_self != NULL || (f = fiber_new()) == NULL) {
		fn(arg);	/* inside a fiber, or no stack: as before */
		return 0;
	}
	f->fn = fn;
	f->arg = arg;
	f->pins = 0;
	f->done = 0;
	f->ready = 0;
	f->fake = NULL;
	prepare(f);
	tl_live++;
	return enter(f);
}

struct ks_fiber *
ks_fiber_self(void)
{
	return tl_self;
}

int
ks_fiber_may_park(void)
{
	return tl_self != NULL && tl_self->pins == 0;
}

void
ks_fiber_pin(void)
{
	if (tl_self != NULL)
		tl_self->pins++;
}

void
ks_fiber_unpin(void)
{
	if (tl_self != NULL && tl_self->pins > 0)
		tl_self->pins--;
}

void
ks_fiber_park(void)
{
	struct ks_fiber *f = tl_self;

	if (f == NULL)
		abort();	/* broken invariant: parking outside a fiber */
	SAN_START(&f->fake, tl_home_bottom, tl_home_size);
	to_home(f);
	SAN_FINISH(f->fake, &tl_home_bottom, &tl_home_size);
}

void
ks_fiber_wake(struct ks_fiber *f)
{
	/* Only a parked fiber is woken: the one running checks for itself. */
	if (f == NULL || f->ready || f == tl_self)
		return;
	f->ready = 1;
	f->next = NULL;
	if (tl_ready == NULL)
		tl_ready_tail = &tl_ready;
	*tl_ready_tail = f;
	tl_ready_tail = &f->next;
}

int
ks_fiber_pending(void)
{
	return tl_ready != NULL;
}

int
ks_fiber_live(void)
{
	return tl_live;
}

void
ks_fiber_run_ready(void)
{
	struct ks_fiber *f;

	if (tl_self != NULL)
		return;		/* only the thread's loop resumes fibers */
	while ((f = tl_ready) != NULL) {
		tl_ready = f->next;
		f->ready = 0;
		(void)enter(f);
	}
}

void
ks_fiber_thread_free(void)
{
	struct ks_fiber *f;
	long page = sysconf(_SC_PAGESIZE);

	while ((f = tl_free) != NULL) {
		tl_free = f->next;
		munmap(f->map, STACK_SIZE + (size_t)page);
		free(f);
	}
	tl_nfree = 0;
}
