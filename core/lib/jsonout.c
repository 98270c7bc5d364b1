/*
 * jsonout.c - a JSON answer as compact text, byte for byte what jansson's
 * json_dumps(v, JSON_COMPACT) writes, at a fraction of its cost: jansson
 * keeps a hash table of the containers it is inside (each one's address
 * printed with snprintf as its key) and grows its buffer from 16 bytes,
 * which made dumping a 160-byte record 16,000 instructions, the largest
 * single part of an authenticated read in kasusd (issue 13).
 *
 * What it does not write the same way it leaves to jansson (returns
 * NULL): real numbers, strings that are not valid UTF-8, nesting deeper
 * than JSONOUT_DEPTH (jansson's loop check).
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

#define JSONOUT_DEPTH	64

struct out {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
grow(struct out *o, size_t n)
{
	char *np;

	if (o->len + n <= o->cap)
		return;
	while (o->len + n > o->cap)
		o->cap *= 2;
	if ((np = realloc(o->p, o->cap)) == NULL)
		abort();
	o->p = np;
}

static void
put(struct out *o, const char *s, size_t n)
{
	grow(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned int c = s[0], cp;
	size_t k, i;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n < k)
		return 0;
	cp = c & (0xff >> (k + 1));
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF (as jansson). */
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return k;
}

static int
string(struct out *o, const char *str, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, k;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	grow(o, n + 2);
	o->p[o->len++] = '"';
	while (i < n) {
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			put(o, str + i, run - i);
			i = run;
			continue;
		}
		if (s[i] >= 0x80) {
			if ((k = utf8_len(s + i, n - i)) == 0)
				return -1;
			put(o, str + i, k);
			i += k;
			continue;
		}
		switch (s[i]) {
		case '"':	put(o, "\\\"", 2); break;
		case '\\':	put(o, "\\\\", 2); break;
		case '\b':	put(o, "\\b", 2); break;
		case '\f':	put(o, "\\f", 2); break;
		case '\n':	put(o, "\\n", 2); break;
		case '\r':	put(o, "\\r", 2); break;
		case '\t':	put(o, "\\t", 2); break;
		default:
			esc[4] = hx[s[i] >> 4];
			esc[5] = hx[s[i] & 15];
			put(o, esc, 6);
		}
		i++;
	}
	put(o, "\"", 1);
	return 0;
}

static int
value(struct out *o, const json_t *v, int depth)
{
	char num[24], *e;
	const char *key;
	json_t *x;
	json_int_t n;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_NULL:
		put(o, "null", 4);
		return 0;
	case JSON_TRUE:
		put(o, "true", 4);
		return 0;
	case JSON_FALSE:
		put(o, "false", 5);
		return 0;
	case JSON_INTEGER:
		n = json_integer_value(v);
		e = num;
		if (n < 0)
			*e++ = '-';
		e = ks_put_uint(e, n < 0 ? 0ULL - (unsigned long long)n :
		    (unsigned long long)n, 1);
		put(o, num, (size_t)(e - num));
		return 0;
	case JSON_STRING:
		return string(o, json_string_value(v), json_string_length(v));
	case JSON_ARRAY:
		if (depth >= JSONOUT_DEPTH)
			return -1;
		put(o, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				put(o, ",", 1);
			if (value(o, json_array_get(v, i), depth + 1) != 0)
				return -1;
		}
		put(o, "]", 1);
		return 0;
	case JSON_OBJECT:
		if (depth >= JSONOUT_DEPTH)
			return -1;
		put(o, "{", 1);
		/* Insertion order, as json_dumps without JSON_SORT_KEYS. */
		json_object_foreach((json_t *)v, key, x) {
			if (!first)
				put(o, ",", 1);
			first = 0;
			if (string(o, key, strlen(key)) != 0)
				return -1;
			put(o, ":", 1);
			if (value(o, x, depth + 1) != 0)
				return -1;
		}
		put(o, "}", 1);
		return 0;
	default:		/* JSON_REAL: jansson's own format */
		return -1;
	}
}

char *
ks_json_compact(const json_t *v, size_t *len)
{
	struct out o;

	if (v == NULL || (!json_is_object(v) && !json_is_array(v)))
		return NULL;
	o.len = 0;
	o.cap = 1024;
	if ((o.p = malloc(o.cap)) == NULL)
		abort();
	if (value(&o, v, 0) != 0) {
		free(o.p);
		return NULL;
	}
	grow(&o, 1);
	o.p[o.len] = '\0';
	*len = o.len;
	return o.p;
}
