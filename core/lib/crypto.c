/*
 * crypto.c - hashing, randomness and password hashing (OpenSSL).
 *
 * Passwords use scrypt (EVP_PBE_scrypt): memory-hard, in OpenSSL 3 which
 * we link anyway, so no further library is needed. Stored as
 * "scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "kasus.h"

#define SALT_LEN	16
#define HASH_LEN	32

void
ks_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
from_hex(const char *in, unsigned char *out, size_t n)
{
	size_t i;
	unsigned int v;

	if (strlen(in) < 2 * n)
		return KS_ERROR;
	for (i = 0; i < n; i++) {
		if (sscanf(in + 2 * i, "%2x", &v) != 1)
			return KS_ERROR;
		out[i] = (unsigned char)v;
	}
	return KS_OK;
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_init(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* Each thread's digest context, freed when the thread ends. */
static __thread EVP_MD_CTX *sha256_ctx;
static pthread_key_t sha256_key;
static pthread_once_t sha256_key_once = PTHREAD_ONCE_INIT;

static void
sha256_ctx_free(void *p)
{
	EVP_MD_CTX_free(p);
}

static void
sha256_key_init(void)
{
	pthread_key_create(&sha256_key, sha256_ctx_free);
}

void
ks_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int len;

	/*
	 * SHA256() looks the algorithm up at every call (OpenSSL 3), and
	 * EVP_Digest makes and frees a context: each thread keeps one
	 * (every authenticated request hashes its session cookie; issue 13).
	 */
	pthread_once(&sha256_once, sha256_init);
	if (sha256_ctx == NULL && sha256_md != NULL) {
		pthread_once(&sha256_key_once, sha256_key_init);
		if ((sha256_ctx = EVP_MD_CTX_new()) != NULL)
			pthread_setspecific(sha256_key, sha256_ctx);
	}
	if (sha256_ctx == NULL ||
	    EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(sha256_ctx, md, &len) != 1)
		SHA256(p, n, md);
	ks_hex(md, sizeof(md), out);
}

/* Whether n bytes are equal, in a time that does not say where not. */
int
ks_equal_ct(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
ks_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];

	if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
		return KS_ERROR;
	ks_hex(buf, nbytes, out);
	return KS_OK;
}

static int
derive(const char *pw, const unsigned char *salt, int log2n, int r, int p,
    unsigned char *out)
{
	uint64_t n = (uint64_t)1 << log2n;

	/* scrypt needs 128 * r * N bytes (and a little more) per lane. */
	uint64_t maxmem = 128 * (uint64_t)r * n * (uint64_t)p + (16 << 20);

	if (EVP_PBE_scrypt(pw, strlen(pw), salt, SALT_LEN, n, (uint64_t)r,
	    (uint64_t)p, maxmem, out, HASH_LEN) != 1)
		return KS_ERROR;
	return KS_OK;
}

char *
ks_password_hash(const char *pw)
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char shex[2 * SALT_LEN + 1], hhex[2 * HASH_LEN + 1], *out;
	int log2n = ks_conf.scrypt_log2n > 0 ? ks_conf.scrypt_log2n : 15;

	if (RAND_bytes(salt, SALT_LEN) != 1 ||
	    derive(pw, salt, log2n, 8, 1, hash) != KS_OK)
		return NULL;
	ks_hex(salt, SALT_LEN, shex);
	ks_hex(hash, HASH_LEN, hhex);
	if ((out = malloc(160)) == NULL)
		return NULL;
	snprintf(out, 160, "scrypt$%d$8$1$%s$%s", log2n, shex, hhex);
	return out;
}

int
ks_password_verify(const char *pw, const char *stored)
{
	unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	char shex[2 * SALT_LEN + 1], hhex[2 * HASH_LEN + 1];
	int log2n, r, p;

	if (stored == NULL || sscanf(stored, "scrypt$%d$%d$%d$%32[0-9a-f]$%64[0-9a-f]",
	    &log2n, &r, &p, shex, hhex) != 5)
		return 0;
	if (log2n < 10 || log2n > 20 || r < 1 || r > 32 || p < 1 || p > 4)
		return 0;
	if (from_hex(shex, salt, SALT_LEN) != KS_OK ||
	    from_hex(hhex, want, HASH_LEN) != KS_OK)
		return 0;
	if (derive(pw, salt, log2n, r, p, got) != KS_OK)
		return 0;
	return ks_equal_ct(got, want, HASH_LEN);
}
