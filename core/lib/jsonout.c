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

size_t
ks_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Bytes written as they are: printable ASCII other than '"' and '\\'.
 * The rest is escaped or, at 0x80 and above, checked as UTF-8.
 */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* At most this much input is escaped per reservation (6 bytes a byte). */
#define PUT_CHUNK	4096

/*
 * Written straight into the buffer, room for the worst case reserved a
 * chunk at a time: a call per run of plain bytes (each growing and
 * terminating the buffer) made this most of writing a rule's result.
 * On text that is not UTF-8 it returns -1 with what was valid written.
 */
int
ks_json_put_str(struct ks_buf *o, const char *str, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, stop;
	unsigned char c;
	char *w;
	int rc = 0;

	ks_buf_reserve(o, (n < PUT_CHUNK ? n : PUT_CHUNK) * 6 + 2);
	w = o->p + o->len;
	*w++ = '"';
	while (i < n) {
		if (i > 0) {
			o->len = (size_t)(w - o->p);
			ks_buf_reserve(o, (n - i < PUT_CHUNK ? n - i :
			    PUT_CHUNK) * 6 + 2);
			w = o->p + o->len;
		}
		stop = n - i > PUT_CHUNK ? i + PUT_CHUNK : n;
		while (i < stop) {
			c = s[i];
			if (plain[c]) {
				*w++ = (char)c;
				i++;
				continue;
			}
			if (c >= 0x80) {
				/* may run past stop by 3: room for 6 a byte */
				if ((k = ks_utf8_len(s + i, n - i)) == 0) {
					rc = -1;
					goto out;
				}
				memcpy(w, s + i, k);
				w += k;
				i += k;
				continue;
			}
			*w++ = '\\';
			switch (c) {
			case '"':	*w++ = '"'; break;
			case '\\':	*w++ = '\\'; break;
			case '\b':	*w++ = 'b'; break;
			case '\f':	*w++ = 'f'; break;
			case '\n':	*w++ = 'n'; break;
			case '\r':	*w++ = 'r'; break;
			case '\t':	*w++ = 't'; break;
			default:
				memcpy(w, "u00", 3);
				w[3] = hx[c >> 4];
				w[4] = hx[c & 15];
				w += 5;
			}
			i++;
		}
	}
	*w++ = '"';
out:
	o->len = (size_t)(w - o->p);
	o->p[o->len] = '\0';
	return rc;
}

static int
value(struct ks_buf *o, const json_t *v, int depth)
{
	const char *key;
	json_t *x;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_NULL:
		ks_buf_put(o, "null", 4);
		return 0;
	case JSON_TRUE:
		ks_buf_put(o, "true", 4);
		return 0;
	case JSON_FALSE:
		ks_buf_put(o, "false", 5);
		return 0;
	case JSON_INTEGER:
		ks_json_put_int(o, json_integer_value(v));
		return 0;
	case JSON_STRING:
		return ks_json_put_str(o, json_string_value(v),
		    json_string_length(v));
	case JSON_ARRAY:
		if (depth >= JSONOUT_DEPTH)
			return -1;
		ks_buf_put(o, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				ks_buf_put(o, ",", 1);
			if (value(o, json_array_get(v, i), depth + 1) != 0)
				return -1;
		}
		ks_buf_put(o, "]", 1);
		return 0;
	case JSON_OBJECT:
		if (depth >= JSONOUT_DEPTH)
			return -1;
		ks_buf_put(o, "{", 1);
		/* Insertion order, as json_dumps without JSON_SORT_KEYS. */
		json_object_foreach((json_t *)v, key, x) {
			if (!first)
				ks_buf_put(o, ",", 1);
			first = 0;
			if (ks_json_put_str(o, key, strlen(key)) != 0)
				return -1;
			ks_buf_put(o, ":", 1);
			if (value(o, x, depth + 1) != 0)
				return -1;
		}
		ks_buf_put(o, "}", 1);
		return 0;
	default:		/* JSON_REAL: jansson's own format */
		return -1;
	}
}

/*
 * JSON text PostgreSQL made (json_build_object, json_agg) appended
 * compact: the spaces and newlines it puts between tokens are left out,
 * strings are copied as they are. No parse, no tree: a search answer's
 * dossiers parsed by jansson and dumped again were a third of the
 * search's instructions in kasusd (issue 13).
 */
void
ks_json_put_pg(struct ks_buf *o, const char *s, size_t n)
{
	char *d;
	size_t i;
	int in = 0;		/* inside a string */

	ks_buf_reserve(o, n);
	d = o->p + o->len;
	for (i = 0; i < n; i++) {
		if (in) {
			*d++ = s[i];
			if (s[i] == '\\' && i + 1 < n)
				*d++ = s[++i];
			else if (s[i] == '"')
				in = 0;
		} else if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' &&
		    s[i] != '\t') {
			*d++ = s[i];
			in = s[i] == '"';
		}
	}
	o->len = (size_t)(d - o->p);
	o->p[o->len] = '\0';
}

void
ks_json_put_int(struct ks_buf *o, json_int_t n)
{
	char num[24], *e = num;

	if (n < 0)
		*e++ = '-';
	e = ks_put_uint(e, n < 0 ? 0ULL - (unsigned long long)n :
	    (unsigned long long)n, 1);
	ks_buf_put(o, num, (size_t)(e - num));
}

char *
ks_json_compact(const json_t *v, size_t *len)
{
	struct ks_buf o;

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
	*len = o.len;
	return o.p;
}
