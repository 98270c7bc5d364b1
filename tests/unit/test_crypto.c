/*
 * test_crypto.c - SHA-256 against published vectors, random hex, and
 * scrypt password hashes: round trip, wrong password, malformed stored
 * values, and the cost range the configuration may choose.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

/* FIPS 180-2 and NIST CAVP vectors. */
KS_TEST(sha256_vectors)
{
	char out[65];
	char *million;

	ks_sha256_hex("", 0, out);
	KS_CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	ks_sha256_hex("abc", 3, out);
	KS_CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ks_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, out);
	KS_CHECK_STR(out, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	million = malloc(1000000);
	memset(million, 'a', 1000000);
	ks_sha256_hex(million, 1000000, out);
	KS_CHECK_STR(out, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
	free(million);
	/* Binary input: the length counts, not the NUL. */
	ks_sha256_hex("\0", 1, out);
	KS_CHECK_STR(out, "6e340b9cffb37a989ca544e6bb780a2c"
	    "78901d3fb33738768511a30617afa01d");
}

KS_TEST(random_hex)
{
	char a[65], b[65], big[200];
	size_t i;
	int hex = 1;

	KS_CHECK_INT(ks_random_hex(a, 32), KS_OK);
	KS_CHECK_INT(ks_random_hex(b, 32), KS_OK);
	KS_CHECK_INT(strlen(a), 64);
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)a[i]) || isupper((unsigned char)a[i]))
			hex = 0;
	KS_CHECK(hex);
	KS_CHECK(strcmp(a, b) != 0);
	/* Above the internal buffer: refused, not overflowed. */
	KS_CHECK_INT(ks_random_hex(big, 65), KS_ERROR);
}

KS_TEST(password_round_trip)
{
	char *h, *h2;

	ks_conf.scrypt_log2n = 10;
	h = ks_password_hash("kasus-demo");
	KS_CHECK(h != NULL);
	if (h == NULL)
		return;
	KS_CHECK(strncmp(h, "scrypt$10$8$1$", 14) == 0);
	KS_CHECK_INT(strlen(h), 14 + 32 + 1 + 64);
	KS_CHECK_INT(ks_password_verify("kasus-demo", h), 1);
	KS_CHECK_INT(ks_password_verify("kasus-demO", h), 0);
	KS_CHECK_INT(ks_password_verify("kasus-demo ", h), 0);
	KS_CHECK_INT(ks_password_verify("", h), 0);
	/* A fresh salt every time. */
	h2 = ks_password_hash("kasus-demo");
	KS_CHECK(h2 != NULL && strcmp(h, h2) != 0);
	KS_CHECK_INT(ks_password_verify("kasus-demo", h2), 1);
	free(h);
	free(h2);
}

KS_TEST(password_unicode_and_empty)
{
	char *h;

	ks_conf.scrypt_log2n = 10;
	h = ks_password_hash("Gr\xc3\xbc" "ezi-Z\xc3\xbcri\xc3\xa9");
	KS_CHECK(h != NULL);
	KS_CHECK_INT(ks_password_verify("Gr\xc3\xbc" "ezi-Z\xc3\xbcri\xc3\xa9",
	    h), 1);
	KS_CHECK_INT(ks_password_verify("Gruezi-Zurie", h), 0);
	free(h);
	h = ks_password_hash("");
	KS_CHECK(h != NULL);
	KS_CHECK_INT(ks_password_verify("", h), 1);
	KS_CHECK_INT(ks_password_verify("x", h), 0);
	free(h);
}

KS_TEST(password_malformed_stored)
{
	char *h, buf[256];
	static const char *bad[] = {
		"",
		"x",
		"scrypt$",
		"scrypt$10$8$1$$",
		"bcrypt$10$8$1$00112233445566778899aabbccddeeff$"
		    "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		/* short salt / short hash */
		"scrypt$10$8$1$0011$00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		"scrypt$10$8$1$00112233445566778899aabbccddeeff$0011",
		/* upper-case hex is not what we write */
		"scrypt$10$8$1$00112233445566778899AABBCCDDEEFF$"
		    "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		/* parameters out of range: must not be run (DoS, UB) */
		"scrypt$9$8$1$00112233445566778899aabbccddeeff$"
		    "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		"scrypt$64$8$1$00112233445566778899aabbccddeeff$"
		    "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		"scrypt$-1$8$1$00112233445566778899aabbccddeeff$"
		    "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		"scrypt$10$0$1$00112233445566778899aabbccddeeff$"
		    "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		"scrypt$10$8$99$00112233445566778899aabbccddeeff$"
		    "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		NULL
	};
	int i;

	ks_conf.scrypt_log2n = 10;
	KS_CHECK_INT(ks_password_verify("kasus-demo", NULL), 0);
	for (i = 0; bad[i] != NULL; i++)
		if (ks_password_verify("kasus-demo", bad[i]) != 0)
			KS_FAILF("stored value \"%s\" verified", bad[i]);

	/* A real hash with its last hex digit changed. */
	h = ks_password_hash("kasus-demo");
	KS_CHECK(h != NULL);
	snprintf(buf, sizeof(buf), "%s", h);
	buf[strlen(buf) - 1] = buf[strlen(buf) - 1] == '0' ? '1' : '0';
	KS_CHECK_INT(ks_password_verify("kasus-demo", buf), 0);
	/* ... or truncated by one digit. */
	snprintf(buf, sizeof(buf), "%s", h);
	buf[strlen(buf) - 1] = '\0';
	KS_CHECK_INT(ks_password_verify("kasus-demo", buf), 0);
	free(h);
}

KS_TEST(password_hash_verifies_across_cost_setting)
{
	char *h;

	/* A hash keeps its own cost: changing the setting keeps logins. */
	ks_conf.scrypt_log2n = 10;
	h = ks_password_hash("kasus-demo");
	ks_conf.scrypt_log2n = 12;
	KS_CHECK_INT(ks_password_verify("kasus-demo", h), 1);
	free(h);
	ks_conf.scrypt_log2n = 10;
}

/*
 * Every cost the verifier accepts (2^10 .. 2^20) must also be one the
 * hasher can produce, or raising scrypt_log2n in the configuration makes
 * every password change and every new user fail. The default (15) and
 * the next step up (16) are checked; 16 needs 64 MiB + a little with
 * r = 8, which is OpenSSL's maxmem as ks_password_hash passes it.
 */
KS_TEST(password_hash_at_cost_16)
{
	char *h;

	ks_conf.scrypt_log2n = 15;
	h = ks_password_hash("kasus-demo");
	KS_CHECK(h != NULL);
	free(h);
	ks_conf.scrypt_log2n = 16;
	h = ks_password_hash("kasus-demo");
	if (h == NULL)
		KS_FAILF("ks_password_hash returns NULL with scrypt_log2n = 16 "
		    "(OpenSSL maxmem 64 MiB < 128 * r * (N + 2))");
	else
		KS_CHECK_INT(ks_password_verify("kasus-demo", h), 1);
	free(h);
	ks_conf.scrypt_log2n = 10;
}
