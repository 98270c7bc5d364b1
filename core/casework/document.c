/*
 * document.c - documents of dossiers: streamed upload, versions,
 * metadata and download.
 *
 * An upload is a streaming route. Its pieces arrive over several calls
 * of the connection's server thread, and that thread serves other
 * connections in between on the same database connection; a
 * transaction held open from one piece to the next would be shared
 * with them (their tenant setting, their COMMIT). So the pieces never
 * touch the database: each is checked (type by its first bytes),
 * hashed (SHA-256, incremental) and appended to a spool file that has
 * no name and is encrypted with a key that exists only in this
 * process's memory (AES-256-CTR). The handler, which runs in one call,
 * then stores the document in one transaction: a small file in one
 * statement, a large one in 1 MiB pieces into document_upload_piece
 * (0006), joined into document_blob by PostgreSQL. The process holds at
 * most one piece and its hex form per upload, never the whole file.
 *
 * The stored bytes are sealed under the dossier's key (issue 15; the key
 * is a file in key_dir, core/lib/datakey.h, destroyed when retention deletes
 * the dossier, which makes every copy in backups unreadable): "KSD1" |
 * key id (16) | chunks, each nonce (12) | ciphertext of up to 1 MiB |
 * tag (16), AES-256-GCM. Each chunk's associated data binds tenant,
 * dossier, document id and version, its number and whether it is the
 * last, so that no chunk can be moved to another row, reordered or cut
 * off. Bytes stored before (plain PDF, JPEG or PNG: they never begin
 * with "KSD1") are served as they are. The size and SHA-256 of a
 * document are those of its plain content.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kasus.h"
#include "lib/datakey.h"
#include "queries.h"

#define UPLOAD_LIMIT	(20u * 1024 * 1024)
#define PIECE		(1024 * 1024)
#define SLICE		(64 * 1024)
#define SEALED_MAGIC	"KSD1"
#define SEALED_HEAD	(4 + 16)
/* A sealed piece at most: the head (first piece only) and the chunk. */
#define SEALED_PIECE	(SEALED_HEAD + PIECE + KS_SEAL_OVERHEAD)

struct upload {
	struct upload		*next;
	struct ks_request	*req;
	int			 checked;	/* query parameters */
	int			 fd;		/* spool, -1 when none */
	EVP_CIPHER_CTX		*enc;
	EVP_MD_CTX		*md;
	unsigned char		 key[32];
	unsigned char		 iv[16];
	unsigned char		 head[8];
	size_t			 headlen;
	const char		*mime;
	size_t			 total;
};

/* Uploads in progress, by request (a request has no slot for them). */
static struct upload *uploads;
static pthread_mutex_t uploads_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------- spooling */

static void
upload_end(void *p)
{
	struct upload *u = p, **pp;

	pthread_mutex_lock(&uploads_lock);
	for (pp = &uploads; *pp != NULL; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	pthread_mutex_unlock(&uploads_lock);
	if (u->fd >= 0)
		close(u->fd);
	EVP_CIPHER_CTX_free(u->enc);
	EVP_MD_CTX_free(u->md);
	OPENSSL_cleanse(u->key, sizeof(u->key));
	/* A transaction left open by a request that never reached its end. */
	if (u->req->in_txn)
		ks_db_finish(u->req, 0);
}

static struct upload *
upload_find(struct ks_request *req)
{
	struct upload *u;

	pthread_mutex_lock(&uploads_lock);
	for (u = uploads; u != NULL && u->req != req; u = u->next)
		;
	pthread_mutex_unlock(&uploads_lock);
	return u;
}

/* An unnamed file: gone when closed, or when the process ends. */
static int
spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC,
	    0600)) >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/kasus-upload-XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	return fd;
}

static struct upload *
upload_new(struct ks_request *req)
{
	struct upload *u = ks_arena_alloc(req->arena, sizeof(*u));

	u->req = req;
	u->fd = -1;
	ks_arena_cleanup(req->arena, upload_end, u);
	pthread_mutex_lock(&uploads_lock);
	u->next = uploads;
	uploads = u;
	pthread_mutex_unlock(&uploads_lock);
	if ((u->md = EVP_MD_CTX_new()) == NULL ||
	    (u->enc = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1 ||
	    RAND_bytes(u->key, sizeof(u->key)) != 1 ||
	    RAND_bytes(u->iv, sizeof(u->iv)) != 1 ||
	    EVP_EncryptInit_ex(u->enc, EVP_aes_256_ctr(), NULL, u->key,
	    u->iv) != 1 || (u->fd = spool_open()) < 0) {
		ks_log(KS_LOG_ERROR, "upload spool: %s", strerror(errno));
		ks_fail(req, 503, "storage_unavailable", "the upload cannot "
		    "be taken now; try again shortly");
		return NULL;
	}
	return u;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return KS_ERROR;
		}
		p += w;
		n -= (size_t)w;
	}
	return KS_OK;
}

/* The type by content; NULL when it is none of the accepted ones. */
static const char *
sniff(const unsigned char *h, size_t n)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a,
	    0x1a, 0x0a };

	if (n >= 5 && memcmp(h, "%PDF-", 5) == 0)
		return "application/pdf";
	if (n >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff)
		return "image/jpeg";
	if (n >= 8 && memcmp(h, png, 8) == 0)
		return "image/png";
	return NULL;
}

static int
unsupported(struct ks_request *req)
{
	return ks_fail_detail(req, 415, "unsupported_document_type",
	    "only PDF, JPEG and PNG documents are accepted (checked by "
	    "content, not by name or Content-Type)", json_pack("{s:[sss]}",
	    "accepted", "application/pdf", "image/jpeg", "image/png"));
}

/* ----------------------------------------------------------- parameters */

static int
param_fail(struct ks_request *req, const char *msg, const char *name)
{
	return ks_fail_detail(req, 400, "invalid_parameter", msg,
	    json_pack("{s:s}", "parameter", name));
}

static int
valid_text(const char *s, size_t max)
{
	json_t *j;
	size_t i, n = strlen(s);

	if (n == 0 || n > max * 4)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	/* Valid UTF-8 of at most max characters. */
	if ((j = json_string(s)) == NULL)
		return 0;
	json_decref(j);
	for (i = 0, n = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n <= max;
}

static int
valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18 || s[0] == '0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Syntax of the upload's query parameters; before any byte is kept. */
static int
check_params(struct ks_request *req)
{
	const char *cat = ks_query(req, "category"), *title = ks_query(req,
	    "title"), *rep = ks_query(req, "replaces");
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK) {
		req->err.message = "no such case";
		return KS_ERROR;
	}
	if (rep != NULL && !valid_id(rep))
		return param_fail(req, "replaces is a document id", "replaces");
	if (cat == NULL && rep == NULL)
		return param_fail(req, "category is required", "category");
	if (cat != NULL && !ks_vocab_has("document_category", cat))
		return param_fail(req, "category is not a document category "
		    "(GET /api/v1/vocabularies lists them)", "category");
	if (title == NULL && rep == NULL)
		return param_fail(req, "title is required", "title");
	if (title != NULL && !valid_text(title, 200))
		return param_fail(req, "title is 1 to 200 characters of text",
		    "title");
	return KS_OK;
}

/* ---------------------------------------------------------------- upload */

static int
upload_piece(struct ks_request *req, const char *data, size_t len)
{
	struct upload *u = upload_find(req);
	unsigned char out[SLICE];
	size_t n, take;
	int outl;

	if (u == NULL) {
		/*
		 * Authentication by API token may have begun a transaction;
		 * none may stay open while other connections use this
		 * thread's database connection between pieces.
		 */
		if (req->in_txn && ks_db_finish(req, 1) != KS_OK)
			return KS_ERROR;
		if (check_params(req) != KS_OK ||
		    (u = upload_new(req)) == NULL)
			return KS_ERROR;
	}
	if (u->mime == NULL) {
		take = sizeof(u->head) - u->headlen;
		take = take < len ? take : len;
		memcpy(u->head + u->headlen, data, take);
		u->headlen += take;
		if (u->headlen == sizeof(u->head) &&
		    (u->mime = sniff(u->head, u->headlen)) == NULL)
			return unsupported(req);
	}
	if (EVP_DigestUpdate(u->md, data, len) != 1)
		return ks_fail(req, 500, "internal_error", "hashing failed");
	for (; len > 0; data += n, len -= n) {
		n = len < SLICE ? len : SLICE;
		if (EVP_EncryptUpdate(u->enc, out, &outl,
		    (const unsigned char *)data, (int)n) != 1 ||
		    write_all(u->fd, out, (size_t)outl) != KS_OK) {
			ks_log(KS_LOG_ERROR, "upload spool: write failed");
			return ks_fail(req, 503, "storage_unavailable",
			    "the upload cannot be stored now; try again");
		}
		u->total += n;
	}
	return KS_OK;
}

static json_t *
doc_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:I,s:o,s:s,s:I,s:s,s:I,s:s,s:o,"
	    "s:b}", "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "dossier_id", (json_int_t)ks_db_getll(r, i, "dossier_id"),
	    "category", ks_db_str(r, i, "category"),
	    "title", ks_db_str(r, i, "title"),
	    "version_no", (json_int_t)ks_db_getll(r, i, "version_no"),
	    "previous_id", ks_db_json_int(r, i, "previous_id"),
	    "mime", ks_db_str(r, i, "mime"),
	    "size", (json_int_t)ks_db_getll(r, i, "size"),
	    "sha256", ks_db_str(r, i, "sha256"),
	    "uploaded_by", (json_int_t)ks_db_getll(r, i, "uploaded_by"),
	    "uploaded_at", ks_db_str(r, i, "uploaded_at"),
	    "replaced_by", ks_db_json_int(r, i, "replaced_by"),
	    "latest", ks_db_isnull(r, i, "replaced_by"));
}

static PGresult *
doc_get(struct ks_request *req, const char *id)
{
	const char *v[1] = { id };

	return ks_db_q(req, Q_DOCUMENT_GET, 1, v);
}

/*
 * The dossier must be one the user may change (access policy), a
 * replaced document must be its latest version in the same dossier.
 * Fills v[1..5] of document_insert: category, title, version_no,
 * previous_id.
 */
static int
resolve(struct ks_request *req, const char **v)
{
	const char *rep = ks_query(req, "replaces");
	PGresult *r;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    ks_access_dossier(req, id, KS_ACCESS_WRITE) == NULL)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = ks_query(req, "category");
	v[2] = ks_query(req, "title");
	v[3] = "1";
	v[4] = NULL;
	if (rep == NULL)
		return KS_OK;
	if ((r = doc_get(req, rep)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1 || strcmp(ks_db_str(r, 0, "dossier_id"), v[0]))
		return ks_fail_detail(req, 400, "invalid_reference",
		    "the document to replace does not exist in this case",
		    json_pack("{s:s}", "parameter", "replaces"));
	if (!ks_db_isnull(r, 0, "replaced_by"))
		return ks_fail_detail(req, 409, "already_replaced",
		    "this document has a newer version; replace that one",
		    json_pack("{s:I}", "replaced_by",
		    (json_int_t)ks_db_getll(r, 0, "replaced_by")));
	if (v[1] == NULL)
		v[1] = ks_db_str(r, 0, "category");
	if (v[2] == NULL)
		v[2] = ks_db_str(r, 0, "title");
	v[3] = ks_num(req, ks_db_getll(r, 0, "version_no") + 1);
	v[4] = ks_db_str(r, 0, "id");
	return KS_OK;
}

/* Up to PIECE bytes of the spool; -1 on a read error. */
static ssize_t
read_piece(int fd, unsigned char *buf)
{
	size_t got = 0;
	ssize_t n;

	while (got < PIECE) {
		if ((n = read(fd, buf + got, PIECE - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ------------------------------------------------------------- sealing */

struct seal {
	unsigned char	 key[KS_KEY_LEN];
	char		 hex[KS_KEY_ID_HEX];
	const char	*aad;		/* without the chunk's number */
	long		 seq;
};

static const char *
chunk_aad(struct ks_request *req, struct seal *s, int last)
{
	return ks_arena_printf(req->arena, "%s:%ld:%d", s->aad, s->seq, last);
}

static void
seal_init(struct ks_request *req, struct seal *s, const char *dossier,
    const char *doc, const char *version)
{
	s->aad = ks_arena_printf(req->arena, "kasus-document:v1:%lld:%s:%s:%s",
	    (long long)ks_datakey_tenant(req), dossier, doc, version);
	s->seq = 0;
}

/* The dossier's key (made on first use) for sealing document doc. */
static int
seal_begin(struct ks_request *req, struct seal *s, const char *dossier,
    const char *doc, const char *version)
{
	seal_init(req, s, dossier, doc, version);
	return ks_datakey_dossier(req, atoll(dossier), 1, s->key, s->hex);
}

/*
 * Seal the next chunk of n (at most PIECE) bytes into out (at least
 * SEALED_PIECE); the first chunk carries the head. Returns the length,
 * 0 on an error (set).
 */
static size_t
seal_chunk(struct ks_request *req, struct seal *s, const unsigned char *in,
    size_t n, int last, unsigned char *out)
{
	const char *aad = chunk_aad(req, s, last);
	size_t head = 0;
	unsigned char id[16];

	if (s->seq == 0) {
		memcpy(out, SEALED_MAGIC, 4);
		if (ks_bytea_decode(ks_arena_printf(req->arena, "\\x%s",
		    s->hex), id, sizeof(id)) != sizeof(id)) {
			ks_fail(req, 500, "internal_error", "a bad key id");
			return 0;
		}
		memcpy(out + 4, id, sizeof(id));
		head = SEALED_HEAD;
	}
	if (ks_seal(s->key, aad, strlen(aad), in, n, out + head) != KS_OK) {
		ks_fail(req, 500, "internal_error",
		    "the document could not be encrypted");
		return 0;
	}
	s->seq++;
	return head + n + KS_SEAL_OVERHEAD;
}

/*
 * Open the stored bytes (in, n; sealed or plain) of a document row into
 * *out (the request's arena; plain bytes of before are returned as they
 * are); sealed ones must open to exactly size bytes.
 */
static int
content_open(struct ks_request *req, unsigned char *in, size_t n,
    const char *dossier, const char *doc, const char *version,
    long long size, unsigned char **out, size_t *len)
{
	struct seal s;
	unsigned char *p;
	size_t off, done = 0, m;
	char hex[KS_KEY_ID_HEX];
	int rc = KS_OK, last;

	if (n < SEALED_HEAD || memcmp(in, SEALED_MAGIC, 4) != 0) {
		*out = in;
		*len = n;
		return KS_OK;
	}
	*out = NULL;
	*len = 0;
	if (size <= 0 || size > (long long)n)
		return ks_fail(req, 500, "data_unreadable",
		    "the document is damaged");
	ks_hex(in + 4, 16, hex);
	seal_init(req, &s, dossier, doc, version);
	if (ks_datakey_key(req, hex, s.key) != KS_OK)
		return KS_ERROR;
	p = ks_arena_alloc(req->arena, (size_t)size);
	for (off = SEALED_HEAD; rc == KS_OK && off < n; off += m +
	    KS_SEAL_OVERHEAD) {
		const char *aad;

		if (n - off <= KS_SEAL_OVERHEAD) {
			rc = KS_ERROR;
			break;
		}
		m = n - off - KS_SEAL_OVERHEAD;
		m = m < PIECE ? m : PIECE;
		last = off + m + KS_SEAL_OVERHEAD == n;
		aad = chunk_aad(req, &s, last);
		if (done + m > (size_t)size || ks_open(s.key, aad,
		    strlen(aad), in + off, m + KS_SEAL_OVERHEAD, p + done) !=
		    KS_OK)
			rc = KS_ERROR;
		done += m;
		s.seq++;
	}
	OPENSSL_cleanse(s.key, sizeof(s.key));
	if (rc != KS_OK || done != (size_t)size) {
		OPENSSL_cleanse(p, (size_t)size);
		return ks_fail(req, 500, "data_unreadable",
		    "the document does not open with its dossier's key");
	}
	*out = p;
	*len = done;
	return KS_OK;
}

int
ks_document_put(struct ks_request *req, const char *doc, const void *bytes,
    size_t len)
{
	const unsigned char *in = bytes;
	unsigned char *buf;
	struct seal s;
	const char *v[2];
	size_t at = 0, n, out = 0;
	PGresult *r;
	int rc;

	if ((r = doc_get(req, doc)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1 || len == 0)
		return ks_fail(req, 500, "internal_error",
		    "a document to store has no row");
	if (seal_begin(req, &s, ks_db_str(r, 0, "dossier_id"), doc,
	    ks_db_str(r, 0, "version_no")) != KS_OK)
		return KS_ERROR;
	buf = ks_arena_alloc(req->arena, SEALED_HEAD + len +
	    (len / PIECE + 1) * KS_SEAL_OVERHEAD);
	for (rc = KS_OK; rc == KS_OK && at < len; at += n) {
		size_t w;

		n = len - at < PIECE ? len - at : PIECE;
		if ((w = seal_chunk(req, &s, in + at, n, at + n == len,
		    buf + out)) == 0)
			rc = KS_ERROR;
		out += w;
	}
	OPENSSL_cleanse(s.key, sizeof(s.key));
	if (rc != KS_OK)
		return KS_ERROR;
	v[0] = doc;
	v[1] = ks_bytea_hex(req->arena, buf, out);
	return ks_db_q(req, Q_DOCUMENT_BLOB_INSERT, 2, v) ? KS_OK : KS_ERROR;
}

/* The row of document_content for id, NULL with 404 when none. */
static PGresult *
content_row(struct ks_request *req, const char *id)
{
	PGresult *r;

	if ((r = ks_db_q(req, Q_DOCUMENT_CONTENT, 1, &id)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such document");
		return NULL;
	}
	return r;
}

/* Decode the row's bytes in place and open them. */
static int
content_of(struct ks_request *req, PGresult *r, unsigned char **out,
    size_t *len)
{
	char *hex = ks_db_str(r, 0, "content");
	long n;

	/* Decode in place: the bytes are half as long as their hex form. */
	if ((n = ks_bytea_decode(hex, (unsigned char *)hex,
	    strlen(hex))) <= 0)
		return ks_fail(req, 500, "internal_error",
		    "the document is damaged");
	return content_open(req, (unsigned char *)hex, (size_t)n,
	    ks_db_str(r, 0, "dossier_id"), ks_db_str(r, 0, "id"),
	    ks_db_str(r, 0, "version_no"), ks_db_getll(r, 0, "size"), out,
	    len);
}

int
ks_document_get(struct ks_request *req, const char *doc, unsigned char **out,
    size_t *len)
{
	PGresult *r;

	*out = NULL;
	*len = 0;
	if ((r = content_row(req, doc)) == NULL)
		return KS_ERROR;
	return content_of(req, r, out, len);
}

/*
 * Read the spool back, decrypted, sealed under the dossier's key, into
 * the database (doc: the new document row). The piece, its sealed and
 * its hex form are the only copies in this process, reused piece by
 * piece.
 */
static int
store(struct ks_request *req, struct upload *u, PGresult *doc)
{
	EVP_CIPHER_CTX *dec = NULL;
	unsigned char *buf = malloc(PIECE), *sealed = malloc(SEALED_PIECE);
	char *hex = malloc(2 * SEALED_PIECE + 3);
	const char *v[3], *id = ks_db_str(doc, 0, "id");
	struct seal sl;
	size_t seq = 0, done = 0, n;
	ssize_t got;
	int outl, rc = KS_ERROR;

	if (buf == NULL || sealed == NULL || hex == NULL)
		abort();
	hex[0] = '\\';
	hex[1] = 'x';
	if (seal_begin(req, &sl, ks_db_str(doc, 0, "dossier_id"), id,
	    ks_db_str(doc, 0, "version_no")) != KS_OK)
		goto out;
	if ((dec = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(dec, EVP_aes_256_ctr(), NULL, u->key,
	    u->iv) != 1 || lseek(u->fd, 0, SEEK_SET) != 0)
		goto out;
	while ((got = read_piece(u->fd, buf)) > 0) {
		if (EVP_DecryptUpdate(dec, buf, &outl, buf, (int)got) != 1)
			goto out;
		done += (size_t)got;
		if ((n = seal_chunk(req, &sl, buf, (size_t)got,
		    done == u->total, sealed)) == 0)
			goto out;
		ks_hex(sealed, n, hex + 2);
		if (seq == 0 && done == u->total) {
			/* All of it in one piece: no staging. */
			v[0] = id;
			v[1] = hex;
			rc = ks_db_q(req, Q_DOCUMENT_BLOB_INSERT, 2, v) ?
			    KS_OK : KS_ERROR;
			goto out;
		}
		v[0] = req->id;
		v[1] = ks_num(req, (long long)seq++);
		v[2] = hex;
		if (ks_db_q(req, Q_UPLOAD_PIECE_INSERT, 3, v) == NULL)
			goto out;
	}
	if (got < 0 || done != u->total) {
		ks_log(KS_LOG_ERROR, "upload spool: read failed");
		goto out;
	}
	v[0] = id;
	v[1] = req->id;
	if (ks_db_q(req, Q_UPLOAD_PIECES_JOIN, 2, v) == NULL ||
	    ks_db_q(req, Q_UPLOAD_PIECES_DELETE, 1, v + 1) == NULL)
		goto out;
	rc = KS_OK;
out:
	EVP_CIPHER_CTX_free(dec);
	OPENSSL_cleanse(&sl.key, sizeof(sl.key));
	OPENSSL_cleanse(buf, PIECE);
	free(buf);
	free(sealed);
	free(hex);
	if (rc != KS_OK && req->err.code == NULL)
		ks_fail(req, 500, "internal_error",
		    "the upload could not be stored");
	return rc;
}

static int
upload_finish(struct ks_request *req)
{
	struct upload *u = upload_find(req);
	unsigned char md[32];
	char sha[65];
	const char *v[9];
	unsigned int mdlen;
	PGresult *r;
	json_t *j;

	if (u == NULL) {
		if (check_params(req) != KS_OK)
			return KS_ERROR;
		return ks_fail(req, 400, "empty_document",
		    "the upload has no content");
	}
	if (u->mime == NULL && (u->mime = sniff(u->head, u->headlen)) == NULL)
		return unsupported(req);
	if (EVP_DigestFinal_ex(u->md, md, &mdlen) != 1 || mdlen != 32)
		return ks_fail(req, 500, "internal_error", "hashing failed");
	ks_hex(md, 32, sha);
	if (resolve(req, v) != KS_OK)
		return KS_ERROR;
	v[5] = u->mime;
	v[6] = ks_num(req, (long long)u->total);
	v[7] = sha;
	v[8] = ks_num(req, req->who.user_id);
	if ((r = ks_db_q(req, Q_DOCUMENT_INSERT, 9, v)) == NULL ||
	    store(req, u, r) != KS_OK)
		return KS_ERROR;
	j = doc_json(r, 0);
	if (ks_audit(req, "document_uploaded", "document", ks_db_str(r, 0,
	    "id"), NULL, json_incref(j), json_pack("{s:I,s:I,s:o}",
	    "dossier_id", (json_int_t)ks_db_getll(r, 0, "dossier_id"), "version_no",
	    (json_int_t)ks_db_getll(r, 0, "version_no"), "previous_id",
	    json_incref(json_object_get(j, "previous_id")))) != KS_OK) {
		json_decref(j);
		return KS_ERROR;
	}
	ks_header(req, "Location", ks_arena_printf(req->arena,
	    "/api/v1/documents/%s", ks_db_str(r, 0, "id")));
	return ks_reply(req, 201, j);
}

/* ------------------------------------------------------- list and read */

static int
documents_list(struct ks_request *req)
{
	const char *v[3];
	long long n;
	PGresult *r;
	int64_t id;

	/*
	 * Who may upload sees what is there (reception files the mail it
	 * scans); opening a document still needs document.read.
	 */
	if (!ks_has_perm(&req->who, "document.read") &&
	    !ks_has_perm(&req->who, "document.write"))
		return ks_fail_detail(req, 403, "forbidden", "listing "
		    "documents needs the permission document.read or "
		    "document.write", json_pack("{s:s}", "permission",
		    "document.read"));
	/* The parameters are checked before anything is looked up. */
	if (ks_page(req, &v[1], &v[2], &n) != KS_OK ||
	    ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if (ks_access_dossier(req, id, KS_ACCESS_READ) == NULL ||
	    (r = ks_db_q(req, Q_DOCUMENT_LIST, 3, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", doc_json));
}

static int
document_show(struct ks_request *req)
{
	PGresult *r;
	int64_t id;

	if (ks_param_id(req, "id", &id) != KS_OK ||
	    (r = doc_get(req, ks_num(req, id))) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no such document");
	if (ks_access_dossier(req, ks_db_getll(r, 0, "dossier_id"),
	    KS_ACCESS_READ) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, doc_json(r, 0));
}

static const char *
extension(const char *mime)
{
	if (strcmp(mime, "application/pdf") == 0)
		return ".pdf";
	if (strcmp(mime, "image/png") == 0)
		return ".png";
	return ".jpg";
}

/*
 * Content-Disposition with a filename made of the title: an ASCII form
 * (letters, digits, dot, dash, underscore) and the exact title encoded
 * per RFC 5987 for clients that take it.
 */
static const char *
disposition(struct ks_request *req, const char *title, const char *mime)
{
	static const char hx[] = "0123456789ABCDEF";
	const char *ext = extension(mime), *s;
	char ascii[96], *enc, *e;
	size_t n = 0, tl = strlen(title);
	int sep = 0;

	for (s = title; *s != '\0' && n < 80; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '.' || c == '-' || c == '_') {
			ascii[n++] = (char)c;
			sep = 0;
		} else if (!sep && n > 0) {
			ascii[n++] = '_';
			sep = 1;
		}
	}
	while (n > 0 && (ascii[n - 1] == '_' || ascii[n - 1] == '.'))
		n--;
	ascii[n] = '\0';
	e = enc = ks_arena_alloc(req->arena, tl * 3 + 1);
	for (s = title; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("!#$&+-.^_`|~", c) != NULL) {
			*e++ = (char)c;
		} else {
			*e++ = '%';
			*e++ = hx[c >> 4];
			*e++ = hx[c & 15];
		}
	}
	*e = '\0';
	return ks_arena_printf(req->arena, "attachment; filename=\"%s%s\"; "
	    "filename*=UTF-8''%s%s", n ? ascii : "document", ext, enc, ext);
}

static int
document_download(struct ks_request *req)
{
	unsigned char *bytes;
	const char *id;
	PGresult *r;
	size_t len;
	int64_t n;

	if (ks_param_id(req, "id", &n) != KS_OK)
		return KS_ERROR;
	id = ks_num(req, n);
	if ((r = content_row(req, id)) == NULL)
		return KS_ERROR;
	if (ks_access_dossier(req, ks_db_getll(r, 0, "dossier_id"),
	    KS_ACCESS_READ) == NULL ||
	    content_of(req, r, &bytes, &len) != KS_OK)
		return KS_ERROR;
	if (ks_audit(req, "document_downloaded", "document", id, NULL, NULL,
	    json_pack("{s:I,s:I}", "dossier_id", (json_int_t)ks_db_getll(r,
	    0, "dossier_id"), "version_no", (json_int_t)ks_db_getll(r, 0,
	    "version_no"))) != KS_OK)
		return KS_ERROR;
	req->raw = (char *)bytes;
	req->raw_len = len;
	req->ctype = ks_arena_strdup(req->arena, ks_db_str(r, 0, "mime"));
	ks_header(req, "Content-Disposition", disposition(req,
	    ks_db_str(r, 0, "title"), ks_db_str(r, 0, "mime")));
	req->status = 200;
	return KS_OK;
}

/* -------------------------------------------------------------- tables */

static const struct ks_route routes[] = {
	{ "POST", "/api/v1/cases/{id}/documents", "document.write",
	    UPLOAD_LIMIT, NULL, 0, upload_finish,
	    "upload a document (the file is the body): ?category=<a "
	    "document_category of GET /api/v1/vocabularies>"
	    "&title=<text>[&replaces=<document id>]; PDF, JPEG or PNG",
	    NULL, upload_piece },
	{ "GET", "/api/v1/cases/{id}/documents", NULL, 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, documents_list, "documents of a case, "
	    "every version (document.read or document.write)",
	    NULL, NULL },
	{ "GET", "/api/v1/documents/{id}", "document.read", 0, NULL,
	    KS_R_AUDIT, document_show, "a document's metadata", NULL, NULL },
	{ "GET", "/api/v1/documents/{id}/content", "document.read", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT | KS_R_LONG, document_download,
	    "download a document (audited)",
	    NULL, NULL },
	KS_ROUTES_END
};

void
ks_document_register(void)
{
	ks_router_add(routes, NULL);
}
