/*
 * buf.c - a text that grows as it is written (CSV exports, rule results
 * as JSON): malloc'd, always NUL-terminated, freed by its owner.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

void
ks_buf_reserve(struct ks_buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
}

void
ks_buf_put(struct ks_buf *b, const char *s, size_t n)
{
	ks_buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
