/*
 * datakey.c - per-tenant data and hash keys, wrapped by the master key
 * (see datakey.h for the formats).
 *
 * Opened keys are cached per process so that a read does not unwrap on
 * every request. A key is cached only once it is known to be committed:
 * keys this request created itself stay out of the cache until another
 * request reads them back, so a rolled-back creation can never leave a
 * key in memory that no row holds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "kasus.h"
#include "datakey.h"
#include "queries.h"

#define CACHE_MAX	256
#define WRAPPED_LEN	(KS_KEY_LEN + KS_SEAL_OVERHEAD)

struct tkeys {
	int64_t		tenant;
	unsigned char	enc[KS_KEY_LEN];
	unsigned char	mac[KS_KEY_LEN];
};

static struct tkeys cache[CACHE_MAX];
static int ncache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* The request (by id) that created its tenant's keys on this thread. */
static __thread char created_rid[17];

/* ----------------------------------------------------------- primitives */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ks_datakey_parse_master(const char *hex, unsigned char out[KS_KEY_LEN])
{
	unsigned char acc = 0;
	int i, hi, lo;

	if (hex == NULL || strlen(hex) != 2 * KS_KEY_LEN)
		return KS_ERROR;
	for (i = 0; i < KS_KEY_LEN; i++) {
		hi = hexval((unsigned char)hex[2 * i]);
		lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			OPENSSL_cleanse(out, KS_KEY_LEN);
			return KS_ERROR;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
		acc |= out[i];
	}
	return acc != 0 ? KS_OK : KS_ERROR;
}

int
ks_seal(const unsigned char key[KS_KEY_LEN], const void *aad, size_t aadlen,
    const void *in, size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *c;
	int len, ok;

	if (n > 1024 * 1024 || aadlen > 1024 ||
	    RAND_bytes(out, KS_SEAL_NONCE) != 1 ||
	    (c = EVP_CIPHER_CTX_new()) == NULL)
		return KS_ERROR;
	ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
	    (aadlen == 0 || EVP_EncryptUpdate(c, NULL, &len, aad,
	    (int)aadlen) == 1) &&
	    EVP_EncryptUpdate(c, out + KS_SEAL_NONCE, &len, in, (int)n) == 1 &&
	    EVP_EncryptFinal_ex(c, out + KS_SEAL_NONCE + len, &len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KS_SEAL_TAG,
	    out + KS_SEAL_NONCE + n) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? KS_OK : KS_ERROR;
}

int
ks_open(const unsigned char key[KS_KEY_LEN], const void *aad, size_t aadlen,
    const unsigned char *in, size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *c;
	size_t m;
	int len, ok;

	if (n < KS_SEAL_OVERHEAD || n > 1024 * 1024 + KS_SEAL_OVERHEAD ||
	    aadlen > 1024)
		return KS_ERROR;
	m = n - KS_SEAL_OVERHEAD;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return KS_ERROR;
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
	    (aadlen == 0 || EVP_DecryptUpdate(c, NULL, &len, aad,
	    (int)aadlen) == 1) &&
	    EVP_DecryptUpdate(c, out, &len, in + KS_SEAL_NONCE, (int)m) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KS_SEAL_TAG,
	    (void *)(in + KS_SEAL_NONCE + m)) == 1 &&
	    EVP_DecryptFinal_ex(c, out + len, &len) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		OPENSSL_cleanse(out, m);
		return KS_ERROR;
	}
	return KS_OK;
}

void
ks_hmac_hex(const unsigned char key[KS_KEY_LEN], const void *in, size_t n,
    char out[65])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (HMAC(EVP_sha256(), key, KS_KEY_LEN, in, n, md, &mdlen) == NULL ||
	    mdlen != 32)
		abort();	/* OpenSSL without SHA-256: a broken build */
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
}

char *
ks_bytea_hex(struct ks_arena *a, const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char *s = ks_arena_alloc(a, 2 * n + 3);
	size_t i;

	s[0] = '\\';
	s[1] = 'x';
	for (i = 0; i < n; i++) {
		s[2 + 2 * i] = hx[p[i] >> 4];
		s[3 + 2 * i] = hx[p[i] & 15];
	}
	s[2 + 2 * n] = '\0';
	return s;
}

long
ks_bytea_decode(const char *t, unsigned char *out, size_t cap)
{
	size_t n, i;
	int hi, lo;

	if (t == NULL || t[0] != '\\' || t[1] != 'x')
		return -1;
	t += 2;
	n = strlen(t);
	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		hi = hexval((unsigned char)t[2 * i]);
		lo = hexval((unsigned char)t[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* ----------------------------------------------------------- tenant keys */

int
ks_datakey_available(void)
{
	unsigned char k[KS_KEY_LEN];
	int rc = ks_datakey_parse_master(ks_conf.master_key, k);

	OPENSSL_cleanse(k, sizeof(k));
	return rc == KS_OK;
}

void
ks_datakey_forget(void)
{
	pthread_mutex_lock(&cache_lock);
	OPENSSL_cleanse(cache, sizeof(cache));
	ncache = 0;
	pthread_mutex_unlock(&cache_lock);
}

static int64_t
tenant_of(struct ks_request *req)
{
	return req->db_tenant ? req->db_tenant : req->who.tenant_id;
}

static int
unavailable(struct ks_request *req)
{
	return ks_fail(req, 503, "encryption_unavailable", "protected fields "
	    "cannot be processed: the server has no valid master key");
}

static int
cache_get(int64_t tenant, struct tkeys *out)
{
	int i, hit = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < ncache && !hit; i++)
		if (cache[i].tenant == tenant) {
			*out = cache[i];
			hit = 1;
		}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void
cache_put(const struct tkeys *k)
{
	int i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < ncache; i++)
		if (cache[i].tenant == k->tenant)
			break;
	if (i == ncache && ncache < CACHE_MAX)
		cache[ncache++] = *k;
	pthread_mutex_unlock(&cache_lock);
}

/* Associated data for the wrapped keys: tenant and purpose. */
static int
wrap_aad(char *buf, size_t len, int64_t tenant, const char *what)
{
	return snprintf(buf, len, "kasus-datakey:v1:%lld:%s",
	    (long long)tenant, what);
}

static int
unwrap(struct ks_request *req, const unsigned char master[KS_KEY_LEN],
    PGresult *r, struct tkeys *k)
{
	unsigned char w[WRAPPED_LEN];
	char aad[80];
	int n, ok;

	n = wrap_aad(aad, sizeof(aad), k->tenant, "enc");
	ok = ks_bytea_decode(PQgetvalue(r, 0, 0), w, sizeof(w)) ==
	    WRAPPED_LEN && ks_open(master, aad, (size_t)n, w, WRAPPED_LEN,
	    k->enc) == KS_OK;
	n = wrap_aad(aad, sizeof(aad), k->tenant, "mac");
	ok = ok && ks_bytea_decode(PQgetvalue(r, 0, 1), w, sizeof(w)) ==
	    WRAPPED_LEN && ks_open(master, aad, (size_t)n, w, WRAPPED_LEN,
	    k->mac) == KS_OK;
	if (!ok) {
		ks_log(KS_LOG_ERROR, "data key of tenant %lld does not open "
		    "with the configured master key", (long long)k->tenant);
		OPENSSL_cleanse(k, sizeof(*k));
		return ks_fail(req, 503, "encryption_unavailable", "protected "
		    "fields cannot be processed: the tenant's data key does "
		    "not open with the configured master key");
	}
	return KS_OK;
}

/* Make and store new keys; 1 when another request was first. */
static int
create(struct ks_request *req, const unsigned char master[KS_KEY_LEN],
    struct tkeys *k)
{
	unsigned char we[WRAPPED_LEN], wm[WRAPPED_LEN];
	const char *v[2];
	char aad[80];
	PGresult *r;
	int n, ok;

	if (RAND_bytes(k->enc, KS_KEY_LEN) != 1 ||
	    RAND_bytes(k->mac, KS_KEY_LEN) != 1)
		return ks_fail(req, 500, "internal_error", "no randomness");
	n = wrap_aad(aad, sizeof(aad), k->tenant, "enc");
	ok = ks_seal(master, aad, (size_t)n, k->enc, KS_KEY_LEN, we) == KS_OK;
	n = wrap_aad(aad, sizeof(aad), k->tenant, "mac");
	ok = ok && ks_seal(master, aad, (size_t)n, k->mac, KS_KEY_LEN, wm) ==
	    KS_OK;
	if (!ok)
		return ks_fail(req, 500, "internal_error",
		    "the data key could not be made");
	v[0] = ks_bytea_hex(req->arena, we, sizeof(we));
	v[1] = ks_bytea_hex(req->arena, wm, sizeof(wm));
	if ((r = ks_db_q(req, Q_TENANT_KEY_INSERT, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return 1;
	memcpy(created_rid, req->id, sizeof(created_rid));
	ks_log(KS_LOG_INFO, "data key created for tenant %lld",
	    (long long)k->tenant);
	return KS_OK;
}

/*
 * The tenant's keys into *k. Returns KS_OK, KS_ERROR with req->err set,
 * or 1 when the tenant has none and make is 0.
 */
static int
load(struct ks_request *req, int make, struct tkeys *k)
{
	unsigned char master[KS_KEY_LEN];
	PGresult *r;
	int rc, attempt;

	memset(k, 0, sizeof(*k));
	k->tenant = tenant_of(req);
	if (k->tenant <= 0)
		return ks_fail(req, 403, "forbidden", "no tenant");
	if (cache_get(k->tenant, k))
		return KS_OK;
	if (ks_datakey_parse_master(ks_conf.master_key, master) != KS_OK)
		return unavailable(req);
	for (attempt = 0, rc = KS_ERROR; attempt < 2; attempt++) {
		if ((r = ks_db_q(req, Q_TENANT_KEY_GET, 0, NULL)) == NULL)
			break;
		if (PQntuples(r) == 1) {
			if ((rc = unwrap(req, master, r, k)) == KS_OK &&
			    strcmp(created_rid, req->id) != 0)
				cache_put(k);
			break;
		}
		if (!make) {
			rc = 1;
			break;
		}
		/* 1: a concurrent request created them; read those. */
		if ((rc = create(req, master, k)) != 1)
			break;
		rc = KS_ERROR;
	}
	OPENSSL_cleanse(master, sizeof(master));
	if (rc == KS_ERROR && req->err.code == NULL)
		ks_fail(req, 500, "internal_error", "the data key is missing");
	return rc;
}

static char *
aad_of(struct ks_request *req, int64_t tenant)
{
	return ks_arena_printf(req->arena, "kasus-field:v1:%lld",
	    (long long)tenant);
}

int
ks_datakey_encrypt(struct ks_request *req, const char *plain,
    const char **out)
{
	struct tkeys k;
	unsigned char *buf;
	size_t n = strlen(plain);
	char *aad;
	int rc;

	*out = NULL;
	if (n > 4096)
		return ks_fail(req, 400, "invalid_length",
		    "a protected value is too long");
	if (load(req, 1, &k) != KS_OK)
		return KS_ERROR;
	buf = ks_arena_alloc(req->arena, n + KS_SEAL_OVERHEAD);
	aad = aad_of(req, k.tenant);
	rc = ks_seal(k.enc, aad, strlen(aad), plain, n, buf);
	OPENSSL_cleanse(&k, sizeof(k));
	if (rc != KS_OK)
		return ks_fail(req, 500, "internal_error",
		    "a value could not be encrypted");
	*out = ks_bytea_hex(req->arena, buf, n + KS_SEAL_OVERHEAD);
	return KS_OK;
}

int
ks_datakey_decrypt(struct ks_request *req, const char *bytea, char **out)
{
	struct tkeys k;
	unsigned char *in;
	size_t cap;
	long n;
	char *aad;
	int rc;

	*out = NULL;
	cap = bytea ? strlen(bytea) / 2 : 0;
	in = ks_arena_alloc(req->arena, cap + 1);
	if ((n = ks_bytea_decode(bytea, in, cap)) < KS_SEAL_OVERHEAD)
		return ks_fail(req, 500, "data_unreadable",
		    "a protected value is damaged");
	if ((rc = load(req, 0, &k)) != KS_OK)
		return rc == 1 ? ks_fail(req, 500, "data_unreadable",
		    "a protected value has no key") : KS_ERROR;
	*out = ks_arena_alloc(req->arena, (size_t)n - KS_SEAL_OVERHEAD + 1);
	aad = aad_of(req, k.tenant);
	rc = ks_open(k.enc, aad, strlen(aad), in, (size_t)n,
	    (unsigned char *)*out);
	OPENSSL_cleanse(&k, sizeof(k));
	if (rc != KS_OK) {
		*out = NULL;
		return ks_fail(req, 500, "data_unreadable",
		    "a protected value does not open with the tenant's key");
	}
	return KS_OK;
}

int
ks_datakey_hash(struct ks_request *req, const char *text, int make,
    const char **out)
{
	struct tkeys k;
	char *h;
	int rc;

	*out = NULL;
	if ((rc = load(req, make, &k)) == 1)
		return KS_OK;
	if (rc != KS_OK)
		return KS_ERROR;
	h = ks_arena_alloc(req->arena, 65);
	ks_hmac_hex(k.mac, text, strlen(text), h);
	OPENSSL_cleanse(&k, sizeof(k));
	*out = h;
	return KS_OK;
}
