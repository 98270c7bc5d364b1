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
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "kasus.h"
#include "lib/datakey.h"
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

int64_t
ks_datakey_tenant(struct ks_request *req)
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
	ok = ks_bytea_decode(ks_db_str(r, 0, "wrapped_key"), w, sizeof(w)) ==
	    WRAPPED_LEN && ks_open(master, aad, (size_t)n, w, WRAPPED_LEN,
	    k->enc) == KS_OK;
	n = wrap_aad(aad, sizeof(aad), k->tenant, "mac");
	ok = ok && ks_bytea_decode(ks_db_str(r, 0, "hash_key"), w, sizeof(w)) ==
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
	k->tenant = ks_datakey_tenant(req);
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

/* ------------------------------------------------------------ value keys */

/*
 * Values sealed since retention (issue 15) carry their own key: "KSV2",
 * the key id (16 random bytes), then nonce | ciphertext | tag under that
 * key. The key lives outside the database, in key_dir, one file per key
 * wrapped by the master key, so that a backup of the database holds no
 * key: destroying the file makes every copy of the value unreadable,
 * those in backups included (crypto-shredding). Values sealed before
 * (nonce | ciphertext | tag under the tenant's data key) still open.
 */
#define V2_MAGIC	"KSV2"
#define V2_MAGIC_LEN	4
#define V2_ID_LEN	16
#define V2_HEAD		(V2_MAGIC_LEN + V2_ID_LEN)

static void
key_dir(char *buf, size_t len)
{
	if (ks_conf.key_dir[0] != '\0')
		snprintf(buf, len, "%s", ks_conf.key_dir);
	else
		snprintf(buf, len, "%s/var/keys", ks_conf.root);
}

static void
key_path(int64_t tenant, const char *hex, char *buf, size_t len)
{
	char dir[600];

	key_dir(dir, sizeof(dir));
	snprintf(buf, len, "%s/t%lld-%s.key", dir, (long long)tenant, hex);
}

static int
key_aad(char *buf, size_t len, int64_t tenant, const char *hex)
{
	return snprintf(buf, len, "kasus-valuekey:v1:%lld:%s",
	    (long long)tenant, hex);
}

/* The directory must exist before the workers drop privileges. */
int
ks_datakey_prepare(void)
{
	char dir[600], parent[600], *p;
	struct passwd *pw;
	struct dirent *de;
	DIR *d;

	key_dir(dir, sizeof(dir));
	if (mkdir(dir, 0700) != 0 && errno == ENOENT) {
		snprintf(parent, sizeof(parent), "%s", dir);
		if ((p = strrchr(parent, '/')) != NULL && p != parent) {
			*p = '\0';
			(void)mkdir(parent, 0700);
		}
		(void)mkdir(dir, 0700);
	}
	if (access(dir, W_OK) != 0) {
		ks_log(KS_LOG_ERROR, "the key directory %s cannot be written: "
		    "%s", dir, strerror(errno));
		return KS_ERROR;
	}
	/* Workers read and write keys after they dropped to their user;
	   keys a command run as root made (seed, migrate) are handed over. */
	if (geteuid() != 0 || (pw = getpwnam(ks_conf.user)) == NULL)
		return KS_OK;
	if (chown(dir, pw->pw_uid, pw->pw_gid) != 0)
		return KS_ERROR;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && fchownat(dirfd(d),
			    de->d_name, pw->pw_uid, pw->pw_gid, 0) != 0)
				ks_log(KS_LOG_WARN, "cannot hand %s/%s to %s",
				    dir, de->d_name, ks_conf.user);
		closedir(d);
	}
	return KS_OK;
}

static void
sync_dir(void)
{
	char dir[600];
	int fd;

	key_dir(dir, sizeof(dir));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Store a new value key (wrapped); durable before the value is used. */
static int
key_store(struct ks_request *req, int64_t tenant, const char *hex,
    const unsigned char key[KS_KEY_LEN])
{
	unsigned char master[KS_KEY_LEN], w[WRAPPED_LEN];
	char aad[120], path[700], tmp[720];
	int fd, n, ok;

	if (ks_datakey_parse_master(ks_conf.master_key, master) != KS_OK)
		return unavailable(req);
	n = key_aad(aad, sizeof(aad), tenant, hex);
	ok = ks_seal(master, aad, (size_t)n, key, KS_KEY_LEN, w) == KS_OK;
	OPENSSL_cleanse(master, sizeof(master));
	if (!ok)
		return ks_fail(req, 500, "internal_error",
		    "the value key could not be made");
	key_path(tenant, hex, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 &&
	    errno == ENOENT && ks_datakey_prepare() == KS_OK)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		ks_log(KS_LOG_ERROR, "value key %s cannot be written: %s", tmp,
		    strerror(errno));
		return ks_fail(req, 503, "encryption_unavailable", "protected "
		    "fields cannot be processed: the key store cannot be "
		    "written");
	}
	ok = write(fd, w, sizeof(w)) == (ssize_t)sizeof(w) && fsync(fd) == 0;
	ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
	if (!ok) {
		ks_log(KS_LOG_ERROR, "value key %s cannot be written: %s", path,
		    strerror(errno));
		unlink(tmp);
		return ks_fail(req, 503, "encryption_unavailable", "protected "
		    "fields cannot be processed: the key store cannot be "
		    "written");
	}
	sync_dir();
	return KS_OK;
}

/* A value key into key: KS_OK, 1 when destroyed, or KS_ERROR. */
static int
key_load(struct ks_request *req, int64_t tenant, const char *hex,
    unsigned char key[KS_KEY_LEN])
{
	unsigned char master[KS_KEY_LEN], w[WRAPPED_LEN + 1];
	char aad[120], path[700];
	ssize_t got;
	int fd, n, ok;

	key_path(tenant, hex, path, sizeof(path));
	if ((fd = open(path, O_RDONLY)) < 0) {
		if (errno == ENOENT)
			return 1;
		ks_log(KS_LOG_ERROR, "value key %s cannot be read: %s", path,
		    strerror(errno));
		return ks_fail(req, 503, "encryption_unavailable", "protected "
		    "fields cannot be processed: the key store cannot be "
		    "read");
	}
	got = read(fd, w, sizeof(w));
	close(fd);
	if (ks_datakey_parse_master(ks_conf.master_key, master) != KS_OK)
		return unavailable(req);
	n = key_aad(aad, sizeof(aad), tenant, hex);
	ok = got == WRAPPED_LEN && ks_open(master, aad, (size_t)n, w,
	    WRAPPED_LEN, key) == KS_OK;
	OPENSSL_cleanse(master, sizeof(master));
	if (!ok)
		return ks_fail(req, 503, "encryption_unavailable", "protected "
		    "fields cannot be processed: a value key does not open "
		    "with the configured master key");
	return KS_OK;
}

/* A value key by its id (32 hex characters) into key. */
int
ks_datakey_key(struct ks_request *req, const char *hex,
    unsigned char key[KS_KEY_LEN])
{
	int rc;

	if ((rc = key_load(req, ks_datakey_tenant(req), hex, key)) == 1)
		return ks_fail(req, 500, "data_unreadable", "the key of this "
		    "content was destroyed (retention)");
	return rc;
}

int
ks_datakey_dossier(struct ks_request *req, int64_t dossier, int make,
    unsigned char key[KS_KEY_LEN], char hex[KS_KEY_ID_HEX])
{
	unsigned char id[V2_ID_LEN];
	const char *v[2];
	int64_t tenant = ks_datakey_tenant(req);
	PGresult *r;

	v[0] = ks_num(req, dossier);
	if ((r = ks_db_q(req, Q_DOSSIER_KEY_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0 && !make)
		return 1;
	if (PQntuples(r) == 0) {
		if (tenant <= 0)
			return ks_fail(req, 403, "forbidden", "no tenant");
		if (!ks_datakey_available())
			return unavailable(req);
		if (RAND_bytes(id, sizeof(id)) != 1 ||
		    RAND_bytes(key, KS_KEY_LEN) != 1)
			return ks_fail(req, 500, "internal_error",
			    "no randomness");
		ks_hex(id, sizeof(id), hex);
		/* The file first: no row may name a key that is not there. */
		if (key_store(req, tenant, hex, key) != KS_OK) {
			OPENSSL_cleanse(key, KS_KEY_LEN);
			return KS_ERROR;
		}
		v[1] = hex;
		if ((r = ks_db_q(req, Q_DOSSIER_KEY_INSERT, 2, v)) == NULL) {
			OPENSSL_cleanse(key, KS_KEY_LEN);
			return KS_ERROR;
		}
		if (PQntuples(r) == 1)
			return KS_OK;
		/* Another request made the dossier's key meanwhile. */
		OPENSSL_cleanse(key, KS_KEY_LEN);
		(void)ks_datakey_shred(tenant, hex);
		if ((r = ks_db_q(req, Q_DOSSIER_KEY_GET, 1, v)) == NULL)
			return KS_ERROR;
		if (PQntuples(r) != 1)
			return ks_fail(req, 500, "internal_error",
			    "the dossier's key is missing");
	}
	snprintf(hex, KS_KEY_ID_HEX, "%s", ks_db_str(r, 0, "key_id"));
	return ks_datakey_key(req, hex, key);
}

/*
 * Text of a dossier sealed under the dossier's key (protected journal
 * notes): "KSJ1" | key id (16) | nonce | ciphertext | tag, the
 * associated data binding tenant, dossier and what (the row).
 */
#define DT_MAGIC	"KSJ1"

static char *
aad_text(struct ks_request *req, int64_t dossier, const char *what)
{
	return ks_arena_printf(req->arena, "kasus-dossier-text:v1:%lld:%lld:%s",
	    (long long)ks_datakey_tenant(req), (long long)dossier, what);
}

int
ks_dossier_seal(struct ks_request *req, int64_t dossier, const char *what,
    const char *plain, const char **out)
{
	unsigned char key[KS_KEY_LEN], *buf;
	char hex[KS_KEY_ID_HEX], *aad;
	size_t n = strlen(plain);
	int rc;

	*out = NULL;
	if (n > 256 * 1024)
		return ks_fail(req, 400, "invalid_length",
		    "a protected text is too long");
	if (ks_datakey_dossier(req, dossier, 1, key, hex) != KS_OK)
		return KS_ERROR;
	buf = ks_arena_alloc(req->arena, V2_HEAD + n + KS_SEAL_OVERHEAD);
	memcpy(buf, DT_MAGIC, V2_MAGIC_LEN);
	if (ks_bytea_decode(ks_arena_printf(req->arena, "\\x%s", hex),
	    buf + V2_MAGIC_LEN, V2_ID_LEN) != V2_ID_LEN) {
		OPENSSL_cleanse(key, sizeof(key));
		return ks_fail(req, 500, "internal_error", "a bad key id");
	}
	aad = aad_text(req, dossier, what);
	rc = ks_seal(key, aad, strlen(aad), plain, n, buf + V2_HEAD);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != KS_OK)
		return ks_fail(req, 500, "internal_error",
		    "a text could not be encrypted");
	*out = ks_bytea_hex(req->arena, buf, V2_HEAD + n + KS_SEAL_OVERHEAD);
	return KS_OK;
}

int
ks_dossier_open(struct ks_request *req, int64_t dossier, const char *what,
    const char *bytea, char **out)
{
	unsigned char key[KS_KEY_LEN], *in;
	char hex[KS_KEY_ID_HEX], *aad;
	size_t cap = bytea ? strlen(bytea) / 2 : 0;
	long n;
	int rc;

	*out = NULL;
	in = ks_arena_alloc(req->arena, cap + 1);
	if ((n = ks_bytea_decode(bytea, in, cap)) < V2_HEAD +
	    KS_SEAL_OVERHEAD || memcmp(in, DT_MAGIC, V2_MAGIC_LEN) != 0)
		return ks_fail(req, 500, "data_unreadable",
		    "a protected text is damaged");
	ks_hex(in + V2_MAGIC_LEN, V2_ID_LEN, hex);
	if (ks_datakey_key(req, hex, key) != KS_OK)
		return KS_ERROR;
	*out = ks_arena_alloc(req->arena, (size_t)n - V2_HEAD -
	    KS_SEAL_OVERHEAD + 1);
	aad = aad_text(req, dossier, what);
	rc = ks_open(key, aad, strlen(aad), in + V2_HEAD, (size_t)n - V2_HEAD,
	    (unsigned char *)*out);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != KS_OK) {
		*out = NULL;
		return ks_fail(req, 500, "data_unreadable",
		    "a protected text does not open with its dossier's key");
	}
	return KS_OK;
}

static char *
aad_v2(struct ks_request *req, int64_t tenant, const char *hex)
{
	return ks_arena_printf(req->arena, "kasus-field:v2:%lld:%s",
	    (long long)tenant, hex);
}

int
ks_datakey_encrypt(struct ks_request *req, const char *plain,
    const char **out)
{
	unsigned char key[KS_KEY_LEN], id[V2_ID_LEN], *buf;
	char hex[2 * V2_ID_LEN + 1], *aad;
	size_t n = strlen(plain);
	int64_t tenant = ks_datakey_tenant(req);
	int rc;

	*out = NULL;
	if (n > 4096)
		return ks_fail(req, 400, "invalid_length",
		    "a protected value is too long");
	if (tenant <= 0)
		return ks_fail(req, 403, "forbidden", "no tenant");
	if (!ks_datakey_available())
		return unavailable(req);
	if (RAND_bytes(id, sizeof(id)) != 1 ||
	    RAND_bytes(key, sizeof(key)) != 1)
		return ks_fail(req, 500, "internal_error", "no randomness");
	ks_hex(id, sizeof(id), hex);
	if (key_store(req, tenant, hex, key) != KS_OK) {
		OPENSSL_cleanse(key, sizeof(key));
		return KS_ERROR;
	}
	buf = ks_arena_alloc(req->arena, V2_HEAD + n + KS_SEAL_OVERHEAD);
	memcpy(buf, V2_MAGIC, V2_MAGIC_LEN);
	memcpy(buf + V2_MAGIC_LEN, id, V2_ID_LEN);
	aad = aad_v2(req, tenant, hex);
	rc = ks_seal(key, aad, strlen(aad), plain, n, buf + V2_HEAD);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != KS_OK)
		return ks_fail(req, 500, "internal_error",
		    "a value could not be encrypted");
	*out = ks_bytea_hex(req->arena, buf, V2_HEAD + n + KS_SEAL_OVERHEAD);
	return KS_OK;
}

/* A value sealed under its own key (1), or under the tenant's (0). */
static int
is_v2(const unsigned char *in, long n)
{
	return n >= V2_HEAD + KS_SEAL_OVERHEAD &&
	    memcmp(in, V2_MAGIC, V2_MAGIC_LEN) == 0;
}

static int
decrypt_v2(struct ks_request *req, const unsigned char *in, long n,
    char **out)
{
	unsigned char key[KS_KEY_LEN];
	char hex[2 * V2_ID_LEN + 1], *aad;
	int64_t tenant = ks_datakey_tenant(req);
	int rc;

	ks_hex(in + V2_MAGIC_LEN, V2_ID_LEN, hex);
	if ((rc = key_load(req, tenant, hex, key)) != KS_OK)
		return rc == 1 ? ks_fail(req, 500, "data_unreadable",
		    "a protected value's key was destroyed (retention)") :
		    KS_ERROR;
	*out = ks_arena_alloc(req->arena, (size_t)n - V2_HEAD -
	    KS_SEAL_OVERHEAD + 1);
	aad = aad_v2(req, tenant, hex);
	rc = ks_open(key, aad, strlen(aad), in + V2_HEAD, (size_t)n - V2_HEAD,
	    (unsigned char *)*out);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != KS_OK) {
		*out = NULL;
		return ks_fail(req, 500, "data_unreadable",
		    "a protected value does not open with its key");
	}
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
	if (is_v2(in, n))
		return decrypt_v2(req, in, n, out);
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

static int
is_key_id(const char *hex)
{
	size_t i;

	for (i = 0; hex[i] != '\0'; i++)
		if (hexval((unsigned char)hex[i]) < 0)
			return 0;
	return i == 2 * V2_ID_LEN;
}

int
ks_datakey_shred(int64_t tenant, const char *hex)
{
	char path[700];

	if (!is_key_id(hex))
		return KS_ERROR;
	key_path(tenant, hex, path, sizeof(path));
	if (unlink(path) != 0 && errno != ENOENT) {
		ks_log(KS_LOG_ERROR, "value key %s cannot be destroyed: %s",
		    path, strerror(errno));
		return KS_ERROR;
	}
	return KS_OK;
}

void
ks_datakey_shred_done(void)
{
	sync_dir();
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ks_datakey_sweep(struct ks_request *req, int min_age_s, long *shredded)
{
	char dir[600], prefix[40], hex[2 * V2_ID_LEN + 1], **used;
	int64_t tenant = ks_datakey_tenant(req);
	struct dirent *de;
	struct stat st;
	size_t plen;
	PGresult *r;
	time_t now = time(NULL);
	DIR *d;
	int i, n;

	*shredded = 0;
	if ((r = ks_db_q(req, Q_DATAKEY_KEYS_IN_USE, 0, NULL)) == NULL)
		return KS_ERROR;
	n = PQntuples(r);
	used = ks_arena_alloc(req->arena, sizeof(*used) * (size_t)(n + 1));
	for (i = 0; i < n; i++)
		used[i] = ks_db_str(r, i, "key_id");
	qsort(used, (size_t)n, sizeof(*used), cmp_str);
	key_dir(dir, sizeof(dir));
	snprintf(prefix, sizeof(prefix), "t%lld-", (long long)tenant);
	plen = strlen(prefix);
	if ((d = opendir(dir)) == NULL)
		return KS_OK;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name, *p = hex;

		if (strncmp(name, prefix, plen) != 0 ||
		    strlen(name) != plen + 2 * V2_ID_LEN + 4 ||
		    strcmp(name + plen + 2 * V2_ID_LEN, ".key") != 0)
			continue;
		memcpy(hex, name + plen, 2 * V2_ID_LEN);
		hex[2 * V2_ID_LEN] = '\0';
		if (!is_key_id(hex) || bsearch(&p, used, (size_t)n,
		    sizeof(*used), cmp_str) != NULL)
			continue;
		/* Young keys may belong to a row not yet committed. */
		if (fstatat(dirfd(d), name, &st, 0) != 0 ||
		    now - st.st_mtime < min_age_s)
			continue;
		if (ks_datakey_shred(tenant, hex) == KS_OK)
			(*shredded)++;
	}
	closedir(d);
	if (*shredded > 0)
		sync_dir();
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
