/*
 * arena.c - per-request memory: bump allocation in blocks, freed in one
 * step together with the cleanups registered on it (after nginx's pools).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

/* Bytes allocated above which freeing an arena trims malloc's heaps. */
#define KS_ARENA_TRIM	(1024 * 1024)

struct block {
	struct block	*next;
	size_t		 size;
	size_t		 used;
	/* Every allocation must suit any type (max_align_t). */
	_Alignas(max_align_t) unsigned char data[];
};

struct cleanup {
	struct cleanup	*next;
	void		(*fn)(void *);
	void		*arg;
};

struct ks_arena {
	struct block	*head;
	struct cleanup	*cleanups;
	struct cleanup	*spare;		/* records of cleanups run early */
	size_t		 block;
	size_t		 total;
};

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL) {
		/* Out of memory ends the worker; the parent respawns it. */
		ks_log(KS_LOG_ERROR, "out of memory");
		abort();
	}
	return p;
}

/*
 * Each thread keeps the last freed block of the usual size for its next
 * request: every request made an arena, and malloc of a block that size
 * first consolidated glibc's fast bins (a visible part of a trivial
 * request; issue 13). Not under AddressSanitizer, which should see every
 * block freed.
 */
#define KS_ARENA_KEEP	8192
#if defined(__SANITIZE_ADDRESS__)
#define KS_ARENA_NO_KEEP
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KS_ARENA_NO_KEEP
#endif
#endif

#ifndef KS_ARENA_NO_KEEP
static __thread struct block *kept;
static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;

static void
kept_free(void *p)
{
	free(p);
}

static void
kept_init(void)
{
	pthread_key_create(&kept_key, kept_free);
}
#endif

static struct block *
block_new(size_t sz)
{
	struct block *b;

#ifndef KS_ARENA_NO_KEEP
	if (sz == KS_ARENA_KEEP && kept != NULL) {
		b = kept;
		kept = NULL;
		pthread_setspecific(kept_key, NULL);
		return b;
	}
#endif
	b = xmalloc(sizeof(*b) + sz);
	b->size = sz;
	return b;
}

static void
block_free(struct block *b)
{
#ifndef KS_ARENA_NO_KEEP
	if (b->size == KS_ARENA_KEEP && kept == NULL) {
		pthread_once(&kept_once, kept_init);
		kept = b;
		/* Freed when the thread ends. */
		pthread_setspecific(kept_key, b);
		return;
	}
#endif
	free(b);
}

struct ks_arena *
ks_arena_new(size_t block)
{
	struct ks_arena *a;

	a = xmalloc(sizeof(*a));
	a->head = NULL;
	a->cleanups = NULL;
	a->spare = NULL;
	a->block = block < 256 ? 256 : block;
	a->total = 0;
	return a;
}

void
ks_arena_free(struct ks_arena *a)
{
	struct block *b, *nb;
	struct cleanup *c, *nc;
	int big;

	if (a == NULL)
		return;
	for (c = a->cleanups; c != NULL; c = nc) {
		nc = c->next;
		c->fn(c->arg);
	}
	for (b = a->head; b != NULL; b = nb) {
		nb = b->next;
		block_free(b);
	}
	big = a->total > KS_ARENA_TRIM;
	free(a);
	/*
	 * A large request (a list of thousands of rows, a payment file)
	 * leaves free memory inside malloc's heaps that glibc keeps; give
	 * it back so a worker's resident size returns to its base.
	 */
	if (big)
		malloc_trim(0);
}

void *
ks_arena_alloc(struct ks_arena *a, size_t n)
{
	struct block *b;
	size_t sz;
	void *p;

	n = (n + 15) & ~(size_t)15;
	b = a->head;
	if (b == NULL || b->size - b->used < n) {
		sz = n > a->block ? n : a->block;
		b = block_new(sz);
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

char *
ks_arena_strndup(struct ks_arena *a, const char *s, size_t n)
{
	char *p;

	p = ks_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
ks_arena_strdup(struct ks_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return ks_arena_strndup(a, s, strlen(s));
}

char *
ks_arena_vprintf(struct ks_arena *a, const char *fmt, va_list ap)
{
	va_list again;
	int n;
	char *p;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0) {
		va_end(again);
		return NULL;
	}
	p = ks_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, again);
	va_end(again);
	return p;
}

char *
ks_arena_printf(struct ks_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = ks_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
ks_arena_cleanup(struct ks_arena *a, void (*fn)(void *), void *arg)
{
	struct cleanup *c;

	if ((c = a->spare) != NULL)
		a->spare = c->next;
	else
		c = ks_arena_alloc(a, sizeof(*c));
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
}

/*
 * A loop that makes a result per item (a job over thousands of rows) runs
 * each item's cleanups when it is done with them: its results are freed at
 * once and their records serve the next item's, so the loop's memory stays
 * that of one item, not of all.
 */
int
ks_arena_cleanup_now(struct ks_arena *a, void (*fn)(void *), void *arg)
{
	struct cleanup **at, *c;

	/* The newest first: an item's own results are near the head. */
	for (at = &a->cleanups; (c = *at) != NULL; at = &c->next)
		if (c->fn == fn && c->arg == arg) {
			*at = c->next;
			c->next = a->spare;
			a->spare = c;
			fn(arg);
			return 1;
		}
	return 0;
}

size_t
ks_arena_used(const struct ks_arena *a)
{
	return a->total;
}
