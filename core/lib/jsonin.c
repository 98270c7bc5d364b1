/*
 * jsonin.c - request bodies read into a tree at a fraction of jansson's
 * cost: json_loadb reads through a stream with a function call and a
 * buffer append per byte, 62,000 instructions for the 300-byte body of
 * POST /api/v1/rules/evaluate, a third of that route's own work in
 * kasusd (issue 13).
 *
 * Only a plain subset is read here, into the same tree json_loadb(s, n,
 * JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) makes of it: strings without
 * \u escapes or control characters, valid UTF-8, integers of at most 18
 * digits, no real numbers, nesting to JSONIN_DEPTH, no duplicate keys.
 * Anything else - including every malformed body - returns NULL and the
 * caller reads it with json_loadb, which also says where it is wrong.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

#define JSONIN_DEPTH	64
#define JSONIN_DIGITS	18	/* fits a json_int_t without overflow */

struct in {
	const unsigned char	*p, *end;
	char			*tmp;	/* decoded escapes, malloc'd */
	size_t			 tmpcap;
};

static json_t *value(struct in *, int depth);

static void
ws(struct in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' ||
	    *in->p == '\n' || *in->p == '\r'))
		in->p++;
}

/*
 * A string at in->p (past its opening quote): its text in *s and *n,
 * pointing into the body when it has no escapes, else into in->tmp.
 */
static int
string(struct in *in, const char **s, size_t *n)
{
	const unsigned char *start = in->p, *q;
	size_t k, len = 0;
	char c;

	for (q = in->p; q < in->end; ) {
		if (*q == '"') {
			*s = (const char *)start;
			*n = (size_t)(q - start);
			in->p = q + 1;
			return 0;
		}
		if (*q == '\\')
			break;
		if (*q < 0x20)
			return -1;
		if (*q < 0x80)
			q++;
		else if ((k = ks_utf8_len(q, (size_t)(in->end - q))) == 0)
			return -1;
		else
			q += k;
	}
	if (q >= in->end)
		return -1;
	/* With escapes: decoded into tmp (at most as long as the text). */
	if (in->tmpcap < (size_t)(in->end - start)) {
		free(in->tmp);
		in->tmpcap = (size_t)(in->end - start);
		if ((in->tmp = malloc(in->tmpcap)) == NULL)
			abort();
	}
	memcpy(in->tmp, start, (size_t)(q - start));
	len = (size_t)(q - start);
	while (q < in->end && *q != '"') {
		if (*q == '\\') {
			if (q + 1 >= in->end)
				return -1;
			switch (q[1]) {
			case '"':	c = '"'; break;
			case '\\':	c = '\\'; break;
			case '/':	c = '/'; break;
			case 'b':	c = '\b'; break;
			case 'f':	c = '\f'; break;
			case 'n':	c = '\n'; break;
			case 'r':	c = '\r'; break;
			case 't':	c = '\t'; break;
			default:	return -1;	/* \u and errors */
			}
			in->tmp[len++] = c;
			q += 2;
		} else if (*q < 0x20) {
			return -1;
		} else if (*q < 0x80) {
			in->tmp[len++] = (char)*q++;
		} else if ((k = ks_utf8_len(q, (size_t)(in->end - q))) == 0) {
			return -1;
		} else {
			memcpy(in->tmp + len, q, k);
			len += k;
			q += k;
		}
	}
	if (q >= in->end)
		return -1;
	*s = in->tmp;
	*n = len;
	in->p = q + 1;
	return 0;
}

/* -?(0|[1-9][0-9]*), at most JSONIN_DIGITS digits, nothing real. */
static json_t *
integer(struct in *in)
{
	const unsigned char *q = in->p;
	json_int_t v = 0;
	int neg = 0, digits = 0;

	if (q < in->end && *q == '-')
		neg = 1, q++;
	if (q >= in->end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0') {
		q++;
		digits = 1;
	} else {
		while (q < in->end && *q >= '0' && *q <= '9') {
			if (++digits > JSONIN_DIGITS)
				return NULL;
			v = v * 10 + (*q++ - '0');
		}
	}
	/* a fraction, an exponent or more digits after a 0: jansson's */
	if (q < in->end && (*q == '.' || *q == 'e' || *q == 'E' ||
	    (*q >= '0' && *q <= '9')))
		return NULL;
	in->p = q;
	return json_integer(neg ? -v : v);
}

static int
word(struct in *in, const char *w, size_t n)
{
	if ((size_t)(in->end - in->p) < n || memcmp(in->p, w, n) != 0)
		return 0;
	in->p += n;
	return 1;
}

static json_t *
object(struct in *in, int depth)
{
	json_t *o = json_object(), *v;
	const char *k;
	size_t n;
	int own;

	ws(in);
	if (in->p < in->end && *in->p == '}') {
		in->p++;
		return o;
	}
	for (;;) {
		ws(in);
		if (in->p >= in->end || *in->p != '"')
			break;
		in->p++;
		if (string(in, &k, &n) != 0 || json_object_getn(o, k, n) !=
		    NULL)
			break;
		/* a key with escapes lives in tmp, which the value reuses */
		if ((own = k == in->tmp) && (k = strndup(k, n)) == NULL)
			abort();
		ws(in);
		if (in->p >= in->end || *in->p++ != ':' ||
		    (v = value(in, depth + 1)) == NULL) {
			if (own)
				free((char *)k);
			break;
		}
		json_object_setn_new_nocheck(o, k, n, v);
		if (own)
			free((char *)k);
		ws(in);
		if (in->p < in->end && *in->p == ',') {
			in->p++;
			continue;
		}
		if (in->p < in->end && *in->p == '}') {
			in->p++;
			return o;
		}
		break;
	}
	json_decref(o);
	return NULL;
}

static json_t *
array(struct in *in, int depth)
{
	json_t *a = json_array(), *v;

	ws(in);
	if (in->p < in->end && *in->p == ']') {
		in->p++;
		return a;
	}
	for (;;) {
		if ((v = value(in, depth + 1)) == NULL)
			break;
		json_array_append_new(a, v);
		ws(in);
		if (in->p < in->end && *in->p == ',') {
			in->p++;
			continue;
		}
		if (in->p < in->end && *in->p == ']') {
			in->p++;
			return a;
		}
		break;
	}
	json_decref(a);
	return NULL;
}

static json_t *
value(struct in *in, int depth)
{
	const char *s;
	size_t n;

	if (depth > JSONIN_DEPTH)
		return NULL;
	ws(in);
	if (in->p >= in->end)
		return NULL;
	switch (*in->p) {
	case '{':
		in->p++;
		return object(in, depth);
	case '[':
		in->p++;
		return array(in, depth);
	case '"':
		in->p++;
		if (string(in, &s, &n) != 0)
			return NULL;
		return json_stringn_nocheck(s, n);
	case 't':
		return word(in, "true", 4) ? json_true() : NULL;
	case 'f':
		return word(in, "false", 5) ? json_false() : NULL;
	case 'n':
		return word(in, "null", 4) ? json_null() : NULL;
	default:
		return integer(in);
	}
}

json_t *
ks_json_read_plain(const char *s, size_t n)
{
	struct in in = { (const unsigned char *)s,
	    (const unsigned char *)s + n, NULL, 0 };
	json_t *v = value(&in, 0);

	free(in.tmp);
	if (v == NULL)
		return NULL;
	ws(&in);
	if (in.p != in.end) {
		json_decref(v);
		return NULL;
	}
	return v;
}
