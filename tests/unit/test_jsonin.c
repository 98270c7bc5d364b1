/*
 * test_jsonin.c - the plain reader of request bodies (lib/jsonin.c):
 * what it reads is the tree json_loadb makes (same values, same key
 * order); everything else, valid or not, it leaves to json_loadb.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

#define FLAGS	(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

/* Read by both: the same tree, or plain refuses (want_plain 0). */
static void
check(const char *s, size_t n, int want_plain)
{
	json_error_t je;
	json_t *a = json_loadb(s, n, FLAGS, &je), *b = ks_json_read_plain(s,
	    n);
	char *da, *db;

	if (!want_plain) {
		if (b != NULL)
			KS_FAILF("plain read what it should leave: %.*s",
			    (int)n, s);
	} else if (a == NULL || b == NULL) {
		KS_FAILF("%.*s: jansson %s, plain %s", (int)n, s,
		    a ? "ok" : "NULL", b ? "ok" : "NULL");
	} else {
		da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
		db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		if (da == NULL || db == NULL || strcmp(da, db) != 0 ||
		    !json_equal(a, b))
			KS_FAILF("%.*s: jansson %s, plain %s", (int)n, s, da,
			    db);
		free(da);
		free(db);
	}
	json_decref(a);
	json_decref(b);
}

#define YES(lit)	check(lit, sizeof(lit) - 1, 1)
#define NO(lit)		check(lit, sizeof(lit) - 1, 0)

KS_TEST(reads_what_jansson_reads)
{
	YES("{\"pack\":\"skos-budget\",\"function\":\"budget\",\"date\":"
	    "\"2025-06-01\",\"input\":{\"date\":\"2025-03-01\",\"members\":"
	    "[{\"age\":45,\"role\":\"applicant\",\"own_household\":true}],"
	    "\"rent\":110000,\"sil\":[],\"income\":{\"employment\":0,"
	    "\"other\":0},\"assets\":100000,\"integration_allowance\":0}}");
	YES(" { } ");
	YES("[]");
	YES("[1, -2, 0, -0, 123456789012345678, -123456789012345678]");
	YES("{\"z\":1,\"a\":2,\"m\":{\"b\":null,\"a\":false}}");
	YES("\"text\"");
	YES("42");
	YES("true");
	YES("null");
	YES("\t\r\n[ true ,false,null ]\n");
	YES("{\"t\":\"Zürich, Genève – „Quote“ 😀\"}");
	YES("{\"e\":\"q\\\"uo\\\\te\\/s\\b\\f\\n\\r\\t\"}");
	YES("{\"k\\n\":\"v\\t\",\"k\":\"w\"}");
	YES("{\"a\\\"\":{\"b\\\\\":[\"c\\/\"]}}");
	YES("[\"\x7f\"]");
}

KS_TEST(leaves_the_rest_to_jansson)
{
	char deep[200];
	int i;

	/* valid, but not plain */
	NO("1.5");
	NO("[1e3]");
	NO("[1E3]");
	NO("[1234567890123456789]");
	NO("{\"u\":\"\\u00e9\"}");
	NO("{\"n\":\"\\u0000\"}");
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	for (i = 100; i < 200; i++)
		deep[i] = ']';
	check(deep, sizeof(deep), 0);
	/* invalid: jansson says where */
	NO("");
	NO("   ");
	NO("{\"a\":1,\"a\":2}");
	NO("{\"a\":1,}");
	NO("[1,]");
	NO("[01]");
	NO("[-]");
	NO("[+1]");
	NO("{a:1}");
	NO("{\"a\" 1}");
	NO("[1 2]");
	NO("tru");
	NO("truex");
	NO("[nul]");
	NO("\"open");
	NO("[\"tab\there\"]");
	NO("[\"\xc3\"]");
	NO("[\"\xed\xa0\x80\"]");
	NO("[\"\xc0\xaf\"]");
	NO("[\"\\x\"]");
	NO("{} {}");
	NO("\xef\xbb\xbf{}");
	check("[1]\0", 4, 0);
	check("[\"a\0b\"]", 7, 0);
}
