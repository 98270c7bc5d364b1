/*
 * test_datakey.c - the primitives behind the tenants' data keys:
 * master key parsing, AES-256-GCM seal/open (round trip, wrong key,
 * wrong associated data, every kind of tampering), HMAC-SHA256 against
 * an independently computed value, and the bytea hex form libpq uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "lib/datakey.h"
#include "ks_test.h"

static const char *master_hex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void
key_of(unsigned char k[KS_KEY_LEN], unsigned char seed)
{
	for (int i = 0; i < KS_KEY_LEN; i++)
		k[i] = (unsigned char)(seed + i * 7);
}

KS_TEST(master_key_parse)
{
	unsigned char k[KS_KEY_LEN];
	char bad[65];

	KS_CHECK_INT(ks_datakey_parse_master(master_hex, k), KS_OK);
	KS_CHECK_INT(k[0], 0x00);
	KS_CHECK_INT(k[31], 0x1f);
	KS_CHECK_INT(ks_datakey_parse_master("ABCDEF0123456789abcdef0123456789"
	    "ABCDEF0123456789abcdef0123456789", k), KS_OK);
	KS_CHECK_INT(k[0], 0xab);
	KS_CHECK_INT(ks_datakey_parse_master(NULL, k), KS_ERROR);
	KS_CHECK_INT(ks_datakey_parse_master("", k), KS_ERROR);
	KS_CHECK_INT(ks_datakey_parse_master("00ff", k), KS_ERROR);
	/* 63 and 65 characters */
	KS_CHECK_INT(ks_datakey_parse_master(master_hex + 1, k), KS_ERROR);
	snprintf(bad, sizeof(bad), "%s", master_hex);
	bad[10] = 'g';
	KS_CHECK_INT(ks_datakey_parse_master(bad, k), KS_ERROR);
	memset(bad, '0', 64);
	bad[64] = '\0';
	KS_CHECK_INT(ks_datakey_parse_master(bad, k), KS_ERROR);
}

KS_TEST(available_follows_config)
{
	snprintf(ks_conf.master_key, sizeof(ks_conf.master_key), "%s",
	    master_hex);
	KS_CHECK_INT(ks_datakey_available(), 1);
	ks_conf.master_key[0] = '\0';
	KS_CHECK_INT(ks_datakey_available(), 0);
	snprintf(ks_conf.master_key, sizeof(ks_conf.master_key), "short");
	KS_CHECK_INT(ks_datakey_available(), 0);
}

KS_TEST(seal_round_trip)
{
	unsigned char k[KS_KEY_LEN], out[64 + KS_SEAL_OVERHEAD], back[64];
	const char *msg = "7561234567897";
	size_t n = strlen(msg);

	key_of(k, 1);
	KS_CHECK_INT(ks_seal(k, "t:1", 3, msg, n, out), KS_OK);
	/* The ciphertext does not hold the plaintext. */
	KS_CHECK(memmem(out, n + KS_SEAL_OVERHEAD, msg, n) == NULL);
	KS_CHECK(memmem(out, n + KS_SEAL_OVERHEAD, "1234", 4) == NULL);
	KS_CHECK_INT(ks_open(k, "t:1", 3, out, n + KS_SEAL_OVERHEAD, back),
	    KS_OK);
	KS_CHECK(memcmp(back, msg, n) == 0);
	/* Empty plaintext and no associated data work too. */
	KS_CHECK_INT(ks_seal(k, NULL, 0, "", 0, out), KS_OK);
	KS_CHECK_INT(ks_open(k, NULL, 0, out, KS_SEAL_OVERHEAD, back), KS_OK);
}

KS_TEST(seal_nonce_is_fresh)
{
	unsigned char k[KS_KEY_LEN], a[13 + KS_SEAL_OVERHEAD],
	    b[13 + KS_SEAL_OVERHEAD];

	key_of(k, 2);
	KS_CHECK_INT(ks_seal(k, NULL, 0, "7561234567897", 13, a), KS_OK);
	KS_CHECK_INT(ks_seal(k, NULL, 0, "7561234567897", 13, b), KS_OK);
	KS_CHECK(memcmp(a, b, KS_SEAL_NONCE) != 0);
	KS_CHECK(memcmp(a, b, sizeof(a)) != 0);
}

KS_TEST(open_wrong_key_fails)
{
	unsigned char k[KS_KEY_LEN], k2[KS_KEY_LEN];
	unsigned char out[13 + KS_SEAL_OVERHEAD], back[13];

	key_of(k, 3);
	key_of(k2, 3);
	k2[31] ^= 1;
	KS_CHECK_INT(ks_seal(k, "a", 1, "7561234567897", 13, out), KS_OK);
	memset(back, 'x', sizeof(back));
	KS_CHECK_INT(ks_open(k2, "a", 1, out, sizeof(out), back), KS_ERROR);
	/* Nothing of the plaintext is left behind on failure. */
	KS_CHECK(memchr(back, '7', sizeof(back)) == NULL);
}

KS_TEST(open_wrong_aad_fails)
{
	unsigned char k[KS_KEY_LEN], out[13 + KS_SEAL_OVERHEAD], back[13];

	key_of(k, 4);
	KS_CHECK_INT(ks_seal(k, "kasus-field:v1:2", 16, "7561234567897", 13,
	    out), KS_OK);
	/* A value copied to another tenant's row does not open there. */
	KS_CHECK_INT(ks_open(k, "kasus-field:v1:3", 16, out, sizeof(out),
	    back), KS_ERROR);
	KS_CHECK_INT(ks_open(k, NULL, 0, out, sizeof(out), back), KS_ERROR);
	KS_CHECK_INT(ks_open(k, "kasus-field:v1:2", 16, out, sizeof(out),
	    back), KS_OK);
}

KS_TEST(open_tampered_fails)
{
	unsigned char k[KS_KEY_LEN], out[13 + KS_SEAL_OVERHEAD], t[sizeof(out)];
	unsigned char back[13];
	size_t i;
	int opened = 0;

	key_of(k, 5);
	KS_CHECK_INT(ks_seal(k, NULL, 0, "7561234567897", 13, out), KS_OK);
	/* Flip one bit in every byte in turn: nonce, ciphertext, tag. */
	for (i = 0; i < sizeof(out); i++) {
		memcpy(t, out, sizeof(out));
		t[i] ^= 0x01;
		if (ks_open(k, NULL, 0, t, sizeof(t), back) == KS_OK)
			opened++;
	}
	KS_CHECK_INT(opened, 0);
	/* Truncated, or shorter than nonce and tag. */
	KS_CHECK_INT(ks_open(k, NULL, 0, out, sizeof(out) - 1, back),
	    KS_ERROR);
	KS_CHECK_INT(ks_open(k, NULL, 0, out, KS_SEAL_OVERHEAD - 1, back),
	    KS_ERROR);
	KS_CHECK_INT(ks_open(k, NULL, 0, out, 0, back), KS_ERROR);
}

/* Keys here are 32 bytes, so the value was computed independently
 * (Python's hmac module) rather than taken from RFC 4231. */
KS_TEST(hmac_known_value)
{
	unsigned char k[KS_KEY_LEN];
	char a[65], b[65];

	memset(k, 0x0b, sizeof(k));
	ks_hmac_hex(k, "Hi There", 8, a);
	KS_CHECK_STR(a, "198a607eb44bfbc69903a0f1cf2bbdc5"
	    "ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
	ks_hmac_hex(k, "7561234567897", 13, a);
	ks_hmac_hex(k, "7561234567897", 13, b);
	KS_CHECK_STR(a, b);
	k[0] ^= 1;
	ks_hmac_hex(k, "7561234567897", 13, b);
	KS_CHECK(strcmp(a, b) != 0);
}

KS_TEST(bytea_hex_round_trip)
{
	struct ks_arena *a = ks_arena_new(1024);
	unsigned char in[4] = { 0x00, 0x7f, 0x80, 0xff }, out[8];
	char *s = ks_bytea_hex(a, in, sizeof(in));

	KS_CHECK_STR(s, "\\x007f80ff");
	KS_CHECK_INT(ks_bytea_decode(s, out, sizeof(out)), 4);
	KS_CHECK(memcmp(in, out, 4) == 0);
	KS_CHECK_INT(ks_bytea_decode("\\x00FF", out, sizeof(out)), 2);
	KS_CHECK_INT(out[1], 0xff);
	KS_CHECK_INT(ks_bytea_decode("\\x", out, sizeof(out)), 0);
	KS_CHECK_INT(ks_bytea_decode("00ff", out, sizeof(out)), -1);
	KS_CHECK_INT(ks_bytea_decode("\\x0", out, sizeof(out)), -1);
	KS_CHECK_INT(ks_bytea_decode("\\xzz", out, sizeof(out)), -1);
	KS_CHECK_INT(ks_bytea_decode(NULL, out, sizeof(out)), -1);
	/* Longer than the room given. */
	KS_CHECK_INT(ks_bytea_decode("\\x000102", out, 2), -1);
	ks_arena_free(a);
}

/* A wrapped data key opens only with the master key that wrapped it. */
KS_TEST(wrap_with_master)
{
	unsigned char m1[KS_KEY_LEN], m2[KS_KEY_LEN], dk[KS_KEY_LEN];
	unsigned char w[KS_KEY_LEN + KS_SEAL_OVERHEAD], back[KS_KEY_LEN];

	KS_CHECK_INT(ks_datakey_parse_master(master_hex, m1), KS_OK);
	memcpy(m2, m1, sizeof(m2));
	m2[0] ^= 0x80;
	key_of(dk, 9);
	KS_CHECK_INT(ks_seal(m1, "kasus-datakey:v1:2:enc", 22, dk,
	    KS_KEY_LEN, w), KS_OK);
	KS_CHECK_INT(ks_open(m2, "kasus-datakey:v1:2:enc", 22, w, sizeof(w),
	    back), KS_ERROR);
	KS_CHECK_INT(ks_open(m1, "kasus-datakey:v1:2:mac", 22, w, sizeof(w),
	    back), KS_ERROR);
	KS_CHECK_INT(ks_open(m1, "kasus-datakey:v1:2:enc", 22, w, sizeof(w),
	    back), KS_OK);
	KS_CHECK(memcmp(back, dk, KS_KEY_LEN) == 0);
}
