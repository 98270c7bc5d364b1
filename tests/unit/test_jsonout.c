/*
 * test_jsonout.c - ks_json_compact writes exactly what
 * json_dumps(v, JSON_COMPACT) writes, and leaves to jansson what it
 * does not write the same way (reals, invalid UTF-8, deep nesting).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static void
same(json_t *v, const char *what)
{
	char *a = json_dumps(v, JSON_COMPACT), *b;
	size_t len = 0;

	b = ks_json_compact(v, &len);
	if (a == NULL || b == NULL)
		KS_FAILF("%s: jansson %s, ours %s", what, a ? "ok" : "NULL",
		    b ? "ok" : "NULL");
	else if (len != strlen(a) || strcmp(a, b) != 0)
		KS_FAILF("%s: jansson %s, ours %s", what, a, b);
	free(a);
	free(b);
	json_decref(v);
}

KS_TEST(same_bytes_as_jansson)
{
	char ctl[40];
	int i;

	same(json_object(), "empty object");
	same(json_array(), "empty array");
	same(json_pack("{s:i,s:s,s:n,s:b,s:b,s:[],s:{}}", "id", 9, "name",
	    "Adrian", "email", "active", 1, "x", 0, "roles", "team"),
	    "record");
	same(json_pack("[I,I,I,i]", (json_int_t)LLONG_MIN,
	    (json_int_t)LLONG_MAX, (json_int_t)0, -42), "integers");
	same(json_pack("{s:s}", "text", "Zürich, Genève, 50 % – „Quote“ 😀"),
	    "UTF-8 text");
	same(json_pack("{s:s}", "q\"uo\\te/slash", "k\"ey"), "escapes");
	for (i = 0; i < 31; i++)
		ctl[i] = (char)(i + 1);
	ctl[31] = 0x7f;
	ctl[32] = '\0';
	same(json_pack("{s:s}", "ctl", ctl), "control characters");
	same(json_pack("{s:s#}", "nul", "a\0b", 3), "NUL inside");
	same(json_pack("{s:[{s:[i,s]},{}]}", "items", "a", 1, "b"),
	    "nested");
	same(json_pack("{s:s,s:s,s:s}", "z", "1", "a", "2", "m", "3"),
	    "insertion order");
}

KS_TEST(left_to_jansson)
{
	json_t *v, *deep;
	size_t len;
	int i;

	v = json_pack("{s:f}", "amount", 1.5);
	KS_CHECK(ks_json_compact(v, &len) == NULL);
	json_decref(v);
	v = json_object();
	json_object_set_new(v, "bad", json_stringn_nocheck("\xc3\x28", 2));
	KS_CHECK(ks_json_compact(v, &len) == NULL);
	json_decref(v);
	v = json_object();
	json_object_set_new(v, "surrogate",
	    json_stringn_nocheck("\xed\xa0\x80", 3));
	KS_CHECK(ks_json_compact(v, &len) == NULL);
	json_decref(v);
	deep = json_array();
	v = deep;
	for (i = 0; i < 100; i++) {
		json_t *n = json_array();
		json_array_append_new(v, n);
		v = n;
	}
	KS_CHECK(ks_json_compact(deep, &len) == NULL);
	json_decref(deep);
	/* Scalars at the top: json_dumps refuses them too. */
	v = json_integer(1);
	KS_CHECK(ks_json_compact(v, &len) == NULL);
	json_decref(v);
}

KS_TEST(large_answer_grows)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < 5000; i++)
		json_array_append_new(a, json_pack("{s:i,s:s}", "id", i,
		    "name", "Muster"));
	same(a, "5000 rows");
}


/* Texts longer than the writer's chunk of 4096 bytes, with escapes and
 * multi-byte characters on and around the chunk borders. */
KS_TEST(long_texts_across_chunks)
{
	static const char *const piece[] = { "a", "\"", "\n", "\x01", "ü",
	    "€", "😀", "\\" };
	size_t n, len;
	char *t;
	int k;

	for (k = 0; k < 8; k++) {
		t = malloc(20000);
		for (n = 0, len = 0; len < 4090 + (size_t)k; n++) {
			memcpy(t + len, "x", 1);
			len++;
		}
		for (n = 0; len < 19000; n++) {
			size_t l = strlen(piece[(n + (size_t)k) % 8]);

			memcpy(t + len, piece[(n + (size_t)k) % 8], l);
			len += l;
		}
		t[len] = '\0';
		same(json_pack("{s:s}", "t", t), "long text");
		free(t);
	}
}


/* PostgreSQL's JSON text, made compact: what jansson's parse and dump of
 * it give, without the parse (the person search's dossiers). */
static void
same_pg(const char *pg, const char *what)
{
	struct ks_buf o = { NULL, 0, 0 };
	json_t *v = json_loads(pg, JSON_DECODE_ANY, NULL);
	char *want = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	ks_buf_put(&o, "x", 1);		/* appends after what is there */
	ks_json_put_pg(&o, pg, strlen(pg));
	if (want == NULL || strcmp(o.p + 1, want) != 0 || o.p[0] != 'x')
		KS_FAILF("%s: jansson %s, ours %s", what, want ? want : "NULL",
		    o.p);
	free(want);
	free(o.p);
	json_decref(v);
}

KS_TEST(postgres_json_compact)
{
	same_pg("[{\"id\" : 301515, \"module\" : \"sozialhilfe\", \"state\" : "
	    "\"ongoing\", \"opened_on\" : \"2024-12-01\", \"closed_on\" : null, "
	    "\"is_applicant\" : true, \"caseworker\" : {\"id\" : 7, "
	    "\"display_name\" : \"Anna Muster\"}}, \n {\"id\" : 2, \"module\" "
	    ": \"alimente\", \"caseworker\" : null}]", "json_agg of records");
	same_pg("{\"name\" : \"a \\\" b : c , d\\\\\", \"x\" : [1, 2]}",
	    "spaces and escapes inside strings stay");
	same_pg("{\"t\" : \"Zürich, Genève 😀\"}", "UTF-8 text");
	same_pg("[]", "empty");
	same_pg("{\"a\\\\\" : \"\\\\\"}", "a string ending in a backslash");
}
