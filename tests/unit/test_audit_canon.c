/*
 * test_audit_canon.c - the canonical text of an audit event, which the
 * verifier hashes and audit_canonical() in 0003_audit.sql must produce
 * byte for byte: prev, tenant, seq, at_us, actor, action, otype, oid, bd,
 * ad, detail, each as "<length in bytes>:<text>|", NULL as empty text.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

#define ZERO	"0000000000000000000000000000000000000000000000000000000000000000"

static int
differ(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) != 0;
}

KS_TEST(layout_matches_sql)
{
	char *s, h[65];

	s = ks_audit_canonical(ZERO, "1", "1", "1700000000123000", "7",
	    "user.create", "user", "42", "", "", "{\"username\": \"anna\"}");
	KS_CHECK_STR(s, "64:" ZERO "|1:1|1:1|16:1700000000123000|1:7|"
	    "11:user.create|4:user|2:42|0:|0:|20:{\"username\": \"anna\"}|");
	if (s != NULL) {
		ks_sha256_hex(s, strlen(s), h);
		/* sha256sum of the same bytes */
		KS_CHECK_STR(h, "d92f75b410c032d138bcda8fcce65f09"
		    "73e015fb271bab6a4edf133c797a5f96");
	}
	free(s);
}

KS_TEST(null_actor_and_detail_are_empty)
{
	char *s;

	s = ks_audit_canonical(ZERO, "3", "9", "1", NULL, "session.login",
	    "session", "-", "ab", "cd", NULL);
	KS_CHECK_STR(s, "64:" ZERO "|1:3|1:9|1:1|0:|13:session.login|"
	    "7:session|1:-|2:ab|2:cd|0:|");
	free(s);
}

KS_TEST(every_field_counts)
{
	const char *f[11] = { ZERO, "1", "2", "3", "4", "act", "ot", "oid",
	    "bd", "ad", "{}" };
	const char *g[11];
	char *base, *s;
	int i;

	base = ks_audit_canonical(f[0], f[1], f[2], f[3], f[4], f[5], f[6],
	    f[7], f[8], f[9], f[10]);
	for (i = 0; i < 11; i++) {
		memcpy(g, f, sizeof(g));
		g[i] = "changed";
		s = ks_audit_canonical(g[0], g[1], g[2], g[3], g[4], g[5], g[6],
		    g[7], g[8], g[9], g[10]);
		if (!differ(base, s))
			KS_FAILF("changing field %d leaves the text unchanged",
			    i);
		free(s);
	}
	free(base);
}

/*
 * Two different events must never share a canonical text, or a stored
 * event can be rewritten without breaking the chain. object_type,
 * object_id and action are free text (object ids come from requests),
 * so a '|' inside one of them must not be able to shift the field
 * boundaries.
 */
KS_TEST(field_boundaries_are_unambiguous)
{
	char *a, *b;

	a = ks_audit_canonical(ZERO, "1", "5", "100", "7", "case.update",
	    "case", "12|x", "", "", NULL);
	b = ks_audit_canonical(ZERO, "1", "5", "100", "7", "case.update",
	    "case|12", "x", "", "", NULL);
	if (!differ(a, b))
		KS_FAILF("otype \"case\" + oid \"12|x\" and otype \"case|12\" "
		    "+ oid \"x\" give the same text: %s", a ? a : "(null)");
	free(a);
	free(b);
}
