/*
 * audit_seal.c - the keyed seals over the audit log, their anchor outside
 * the database, and verification.
 *
 * Changes form a SHA-256 chain in the database (audit_append); reads are
 * appended without any lock (core/audit/audit.c). Neither is keyed, so someone
 * with write access to the database could cut or rewrite them and
 * recompute every hash. One writer per node (worker slot 0) therefore
 * seals each tenant's log every audit_seal_ms: seal n names the change
 * chain's head and the SHA-256 of the reads committed since seal n - 1
 * (by transaction id: every read of a transaction older than the oldest
 * one still running), and is chained to seal n - 1 with HMAC-SHA256
 * under a key derived from the master key, which the database never
 * sees. The newest seal of each tenant is also written to a file in
 * audit_anchor_dir, where the database user cannot write.
 *
 * Verification recomputes the change chain, every seal's MAC, the head
 * each seal names, the reads of every seal's range, and compares the
 * newest seal with the anchor: a rewrite (even with recomputed plain
 * hashes), a changed, removed or added read, and a cut tail (events and
 * head row deleted, seals too) are all reported. What no seal covers yet
 * is at most one interval old (longer only while a database transaction
 * runs longer); verify states it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kasus.h"
#include "lib/datakey.h"
#include "queries.h"

#define BATCH		5000
#define BATCH_S		"5000"
#define ZERO_HASH	"00000000000000000000000000000000" \
			"00000000000000000000000000000000"

struct seal {
	long long	 n;
	char		 mac[65];
	char		 reads_to[24];
	long long	 event_seq;
	char		 event_hash[65];
};

/* A request of its own for one tenant (no HTTP request behind it). */
static void
job_begin(struct ks_request *req, int64_t tenant)
{
	memset(req, 0, sizeof(*req));
	req->arena = ks_arena_new(8192);
	strcpy(req->id, "audit-sealer");
	req->who.tenant_id = tenant;
}

static void
job_end(struct ks_request *req, int ok)
{
	ks_db_finish(req, ok);
	json_decref(req->err.detail);
	ks_arena_free(req->arena);
}

/* The tenant's seal key: HMAC-SHA256(master key, "kasus audit seal <t>"). */
static int
seal_key(int64_t tenant, unsigned char key[KS_KEY_LEN])
{
	unsigned char master[KS_KEY_LEN];
	unsigned int len = KS_KEY_LEN;
	char label[64];
	int n, ok;

	if (ks_datakey_parse_master(ks_conf.master_key, master) != KS_OK)
		return KS_ERROR;
	n = snprintf(label, sizeof(label), "kasus audit seal %lld",
	    (long long)tenant);
	ok = HMAC(EVP_sha256(), master, KS_KEY_LEN, (unsigned char *)label,
	    (size_t)n, key, &len) != NULL;
	OPENSSL_cleanse(master, sizeof(master));
	return ok ? KS_OK : KS_ERROR;
}

/* The MAC of a seal over its canonical text (fields as in ks_audit_fields). */
static void
seal_mac(const unsigned char key[KS_KEY_LEN], const char *const *f,
    char out[65])
{
	char *canon = ks_audit_fields(f, 10);

	if (canon == NULL)
		abort();
	ks_hmac_hex(key, canon, strlen(canon), out);
	free(canon);
}

/*
 * Count and digest the reads with from <= xid < to, in seal order; the
 * digest is SHA-256 over each read's canonical text. text_order: the
 * order of the seals made before migration 0038 (read_order 1).
 */
/* The columns of audit_reads_page in the order of a read's canonical text. */
static const char *const read_cols[12] = { "id", "xid", "tenant_id",
	"at_us", "actor_id", "request_id", "route", "action", "object_type",
	"object_id", "refs", "detail" };

static int
reads_digest(struct ks_request *req, const char *from, const char *to,
    int text_order, long long *count, char out[65])
{
	const char *v[5], *f[12];
	unsigned char md[32];
	unsigned int mdlen;
	EVP_MD_CTX *ctx;
	PGresult *r;
	char *canon;
	int i, j, rows;

	*count = 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	v[0] = from;
	v[1] = to;
	/*
	 * The cursor starts at (from, the least id), not (0, 0): the index
	 * scan starts where the row comparison says, and from (0, 0) it
	 * walked every read of the tenant below from (14,500 pages, 35-220
	 * ms, on a tenant with 900,000 reads) at every seal, every 2 s.
	 */
	v[2] = from;
	v[3] = "-9223372036854775808";
	v[4] = BATCH_S;
	do {
		if ((r = ks_db_q(req, text_order ? Q_AUDIT_READS_PAGE_TEXT :
		    Q_AUDIT_READS_PAGE, 5, v)) == NULL) {
			EVP_MD_CTX_free(ctx);
			return KS_ERROR;
		}
		rows = PQntuples(r);
		for (i = 0; i < rows; i++) {
			for (j = 0; j < 12; j++)
				f[j] = ks_db_get(r, i, read_cols[j]);
			if ((canon = ks_audit_fields(f, 12)) == NULL)
				abort();
			EVP_DigestUpdate(ctx, canon, strlen(canon));
			free(canon);
			(*count)++;
		}
		if (rows > 0) {
			v[2] = ks_arena_strdup(req->arena, ks_db_str(r,
			    rows - 1, "xid"));
			v[3] = ks_arena_strdup(req->arena, ks_db_str(r,
			    rows - 1, "id"));
		}
	} while (rows == BATCH);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	ks_hex(md, 32, out);
	return KS_OK;
}

/* ------------------------------------------------------------- anchor */

static void
anchor_path(int64_t tenant, char *buf, size_t len, int dir_only)
{
	const char *d = ks_conf.audit_anchor_dir;

	if (*d == '\0')
		snprintf(buf, len, "%s/var/audit", ks_conf.root);
	else
		snprintf(buf, len, "%s", d);
	if (!dir_only)
		snprintf(buf + strlen(buf), len - strlen(buf),
		    "/tenant-%lld.anchor", (long long)tenant);
}

/* 1 and the seal when there is an anchor, 0 when none, -1 unreadable. */
static int
anchor_read(int64_t tenant, long long *n, char mac[65])
{
	char path[1100], m[65];
	long long t;
	FILE *f;
	int k;

	anchor_path(tenant, path, sizeof(path), 0);
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	k = fscanf(f, "kasus-audit-anchor 1 tenant %lld seal %lld mac %64s",
	    &t, n, m);
	fclose(f);
	if (k != 3 || t != tenant || strlen(m) != 64)
		return -1;
	memcpy(mac, m, 65);
	return 1;
}

static void
mkdirs(const char *dir)
{
	char buf[1100], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0700);
		*p = '/';
	}
	mkdir(buf, 0700);
}

int
ks_audit_prepare(void)
{
	char dir[1100], path[1400];
	struct passwd *pw;
	struct dirent *de;
	DIR *d;

	anchor_path(0, dir, sizeof(dir), 1);
	mkdirs(dir);
	if (access(dir, W_OK) != 0) {
		ks_log(KS_LOG_ERROR, "the audit anchor directory %s cannot be "
		    "written: %s", dir, strerror(errno));
		return KS_ERROR;
	}
	/* Workers write the anchors after they dropped to their user. */
	if (geteuid() != 0 || (pw = getpwnam(ks_conf.user)) == NULL)
		return KS_OK;
	if (chown(dir, pw->pw_uid, pw->pw_gid) != 0)
		return KS_ERROR;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (chown(path, pw->pw_uid, pw->pw_gid) != 0)
				ks_log(KS_LOG_WARN, "cannot hand %s to %s",
				    path, ks_conf.user);
		}
		closedir(d);
	}
	return KS_OK;
}

/* Write seal n as the tenant's anchor unless a newer one is there. */
static void
anchor_write(int64_t tenant, long long n, const char *mac)
{
	char path[1100], tmp[1200], old[65];
	long long have;
	FILE *f;
	int fd;

	if (anchor_read(tenant, &have, old) == 1 && have >= n)
		return;
	/* The directory is made by the parent (ks_audit_prepare). */
	anchor_path(tenant, path, sizeof(path), 0);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		ks_log(KS_LOG_WARN, "audit anchor %s cannot be written: %s",
		    tmp, strerror(errno));
		return;
	}
	fprintf(f, "kasus-audit-anchor 1\ntenant %lld\nseal %lld\nmac %s\n",
	    (long long)tenant, n, mac);
	fflush(f);
	fsync(fileno(f));
	fclose(f);
	if (rename(tmp, path) != 0) {
		ks_log(KS_LOG_WARN, "audit anchor %s cannot be written: %s",
		    path, strerror(errno));
		unlink(tmp);
	}
}

/* -------------------------------------------------------------- seals */

/* The newest seal from audit_seal_state (none: zeros). */
static void
seal_last(PGresult *r, struct seal *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->mac, ZERO_HASH);
	strcpy(s->reads_to, "0");
	strcpy(s->event_hash, ZERO_HASH);
	if (ks_db_isnull(r, 0, "n"))
		return;
	s->n = ks_db_getll(r, 0, "n");
	snprintf(s->mac, sizeof(s->mac), "%s", ks_db_str(r, 0, "mac"));
	snprintf(s->reads_to, sizeof(s->reads_to), "%s", ks_db_str(r, 0,
	    "reads_to"));
	s->event_seq = ks_db_getll(r, 0, "event_seq");
	snprintf(s->event_hash, sizeof(s->event_hash), "%s",
	    ks_db_str(r, 0, "event_hash"));
}

static int
seal_run(struct ks_request *req, int64_t tenant, long long *sealed_n,
    char *sealed_mac)
{
	unsigned char key[KS_KEY_LEN];
	struct seal last;
	PGresult *h;
	const char *f[10], *to;
	char dig[65], mac[65];
	long long count;

	*sealed_n = 0;
	if ((h = ks_db_q(req, Q_AUDIT_SEAL_STATE, 0, NULL)) == NULL)
		return KS_ERROR;
	seal_last(h, &last);
	if (ks_db_getll(h, 0, "head_seq") < last.event_seq) {
		/* Never seal over a cut: verify must see it. */
		ks_log(KS_LOG_WARN, "audit chain of tenant %lld ends before "
		    "its last seal; not sealing", (long long)tenant);
		return KS_ERROR;
	}
	if (strcmp(ks_db_str(h, 0, "reads_new"), "t") != 0 &&
	    ks_db_getll(h, 0, "head_seq") == last.event_seq)
		return KS_OK;		/* nothing new */
	to = ks_db_str(h, 0, "horizon");
	/* The horizon never moves back; be sure of it all the same. */
	if (strtoull(to, NULL, 10) < strtoull(last.reads_to, NULL, 10))
		to = last.reads_to;
	if (seal_key(tenant, key) != KS_OK)
		return KS_ERROR;
	if (reads_digest(req, last.reads_to, to, 0, &count, dig) != KS_OK) {
		OPENSSL_cleanse(key, sizeof(key));
		return KS_ERROR;
	}
	f[0] = last.mac;
	f[1] = ks_arena_printf(req->arena, "%lld", (long long)tenant);
	f[2] = ks_arena_printf(req->arena, "%lld", last.n + 1);
	f[3] = ks_db_str(h, 0, "at_us");
	f[4] = ks_db_str(h, 0, "head_seq");
	f[5] = ks_db_str(h, 0, "head_hash");
	f[6] = last.reads_to;
	f[7] = to;
	f[8] = ks_arena_printf(req->arena, "%lld", count);
	f[9] = dig;
	seal_mac(key, f, mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (ks_db_q(req, Q_AUDIT_SEAL_INSERT, 10, (const char *[]){ f[2],
	    ks_db_str(h, 0, "at"), f[4], f[5], f[6], f[7], f[8], f[9], f[0],
	    mac }) == NULL)
		return KS_ERROR;
	*sealed_n = last.n + 1;
	memcpy(sealed_mac, mac, 65);
	return KS_OK;
}

int
ks_audit_seal_tenant(int64_t tenant)
{
	struct ks_request req;
	long long n;
	char mac[65];
	int rc;

	job_begin(&req, tenant);
	rc = seal_run(&req, tenant, &n, mac);
	/* Another node sealing the same tenant wins; this one tries later. */
	if (rc == KS_OK && ks_db_finish(&req, 1) == KS_OK && n > 0)
		anchor_write(tenant, n, mac);
	job_end(&req, 0);
	return rc;
}

/* ------------------------------------------------------------- sealer */

static pthread_t sealer;
static int sealing;
static pthread_mutex_t seal_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t seal_cond = PTHREAD_COND_INITIALIZER;

static void
seal_all(void)
{
	struct ks_request req;
	PGresult *r;
	int64_t *ids = NULL;
	int i, n = 0;

	job_begin(&req, 0);
	if ((r = ks_db_q(&req, Q_AUDIT_TENANTS, 0, NULL)) != NULL &&
	    (n = PQntuples(r)) > 0) {
		if ((ids = calloc((size_t)n, sizeof(*ids))) == NULL)
			abort();
		for (i = 0; i < n; i++)
			ids[i] = ks_db_getll(r, i, "id");
	}
	job_end(&req, 0);
	for (i = 0; i < n; i++)
		ks_audit_seal_tenant(ids[i]);
	free(ids);
}

/*
 * Merge the pending list of the read records' refs index (0037) here, off
 * the path of any answer: left to itself, GIN merges it inside the insert
 * that outgrows the list, an audit writer's batch that every audited
 * answer in it waits for (40-110 ms under the person search; issue 13).
 */
static void
merge_refs(void)
{
	struct ks_request req;

	job_begin(&req, 0);
	job_end(&req, ks_db_q(&req, Q_AUDIT_READ_REFS_MERGE, 0, NULL) != NULL);
}

static void *
seal_loop(void *arg)
{
	struct timespec ts;
	int ms = ks_conf.audit_seal_ms > 0 ? ks_conf.audit_seal_ms : 2000;
	int keyed = *(int *)arg;

	pthread_mutex_lock(&seal_lock);
	while (sealing) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&seal_cond, &seal_lock, &ts);
		if (!sealing)
			break;
		pthread_mutex_unlock(&seal_lock);
		if (keyed)
			seal_all();
		merge_refs();
		pthread_mutex_lock(&seal_lock);
	}
	pthread_mutex_unlock(&seal_lock);
	ks_db_thread_close();
	return NULL;
}

void
ks_audit_start(void)
{
	static int keyed;

	ks_audit_writer_start();
	/*
	 * One sealer per node; the seals' primary key orders the rest.
	 * Without a master key it only merges the refs index's pending list.
	 */
	if (ks_worker_slot != 0)
		return;
	if (!(keyed = ks_datakey_available()))
		ks_log(KS_LOG_WARN, "master_key is not set: the audit log is "
		    "not sealed");
	sealing = 1;
	if (pthread_create(&sealer, NULL, seal_loop, &keyed) != 0)
		sealing = 0;
}

void
ks_audit_stop(void)
{
	pthread_mutex_lock(&seal_lock);
	if (!sealing) {
		pthread_mutex_unlock(&seal_lock);
		return;
	}
	sealing = 0;
	pthread_cond_signal(&seal_cond);
	pthread_mutex_unlock(&seal_lock);
	pthread_join(sealer, NULL);
}

/* -------------------------------------------------------------- verify */

struct verify {
	long long	 events;
	long long	 last_seq;
	char		 head[65];
	long long	 seals;
	long long	 sealed_seq;
	long long	 sealed_reads;
	char		 last_to[24];
	char		 last_at[40];
	long long	 anchor_n;
	char		 anchor_mac[65];
	int		 anchor;	/* 1 found, 0 none, -1 unreadable */
	char		 anchored_mac[65];	/* seal anchor_n's MAC */
};

static int
broken(struct ks_request *req, struct verify *vf, long long seq,
    long long seal, const char *code, const char *reason)
{
	return ks_reply(req, 200, json_pack("{s:b,s:I,s:o,s:o,s:s,s:s}", "ok",
	    0, "events", (json_int_t)vf->events, "first_broken_seq",
	    seq > 0 ? json_integer(seq) : json_null(), "seal", seal > 0 ?
	    json_integer(seal) : json_null(), "reason_code", code, "reason",
	    reason));
}

/* 1 when the chain holds (vf filled), 0 when a broken answer was sent. */
static int
verify_chain(struct ks_request *req, struct verify *vf)
{
	char prev[65], h[65], *canon;
	const char *v[2];
	long long last = 0, seq;
	PGresult *r;
	int i;

	strcpy(prev, ZERO_HASH);
	for (;;) {
		v[0] = ks_arena_printf(req->arena, "%lld", last);
		v[1] = BATCH_S;
		if ((r = ks_db_q(req, Q_AUDIT_CHAIN, 2, v)) == NULL)
			return -1;
		for (i = 0; i < PQntuples(r); i++) {
			seq = ks_db_getll(r, i, "seq");
			if (seq != last + 1)
				return broken(req, vf, last + 1, 0,
				    "event_missing", "event missing"), 0;
			if (strcmp(ks_db_str(r, i, "prev_hash"), prev) != 0)
				return broken(req, vf, seq, 0, "link_mismatch",
				    "link to the previous event does not "
				    "match"), 0;
			canon = ks_audit_canonical(prev, ks_db_str(r, i,
			    "tenant_id"), ks_db_str(r, i, "seq"),
			    ks_db_str(r, i, "at_us"), ks_db_get(r, i,
			    "actor_id"), ks_db_str(r, i, "action"),
			    ks_db_str(r, i, "object_type"), ks_db_str(r, i,
			    "object_id"), ks_db_str(r, i, "before_digest"),
			    ks_db_str(r, i, "after_digest"), ks_db_get(r, i,
			    "detail"));
			if (canon == NULL)
				abort();
			ks_sha256_hex(canon, strlen(canon), h);
			free(canon);
			if (strcmp(h, ks_db_str(r, i, "hash")) != 0)
				return broken(req, vf, seq, 0,
				    "content_mismatch", "event content does "
				    "not match its hash"), 0;
			memcpy(prev, h, sizeof(prev));
			last = seq;
			vf->events++;
		}
		if (PQntuples(r) < BATCH)
			break;
	}
	vf->last_seq = last;
	memcpy(vf->head, prev, sizeof(prev));
	/* The head row catches events cut off the end of the chain. */
	if ((r = ks_db_q(req, Q_AUDIT_HEAD, 0, NULL)) == NULL)
		return -1;
	if (PQntuples(r) == 1 && (ks_db_getll(r, 0, "seq") != last ||
	    strcmp(ks_db_str(r, 0, "hash"), prev) != 0))
		return broken(req, vf, last + 1, 0, "tail_cut", "events after "
		    "this one are missing"), 0;
	if (PQntuples(r) == 0 && last > 0)
		return broken(req, vf, last + 1, 0, "head_missing", "the "
		    "chain's head row is missing"), 0;
	return 1;
}

/* One seal against its predecessor, the chain and its reads. */
static int
verify_seal(struct ks_request *req, struct verify *vf, PGresult *r, int i,
    const unsigned char key[KS_KEY_LEN], struct seal *prev)
{
	const char *f[10];
	char mac[65], dig[65];
	long long n = ks_db_getll(r, i, "n"), count;
	long long seq = ks_db_getll(r, i, "event_seq");

	if (n != prev->n + 1)
		return broken(req, vf, 0, prev->n + 1, "seal_missing", "a "
		    "seal is missing"), 0;
	f[0] = ks_db_str(r, i, "prev_mac");
	f[1] = ks_arena_printf(req->arena, "%lld", (long long)
	    req->who.tenant_id);
	f[2] = ks_db_str(r, i, "n");
	f[3] = ks_db_str(r, i, "at_us");
	f[4] = ks_db_str(r, i, "event_seq");
	f[5] = ks_db_str(r, i, "event_hash");
	f[6] = ks_db_str(r, i, "reads_from");
	f[7] = ks_db_str(r, i, "reads_to");
	f[8] = ks_db_str(r, i, "read_count");
	f[9] = ks_db_str(r, i, "read_digest");
	seal_mac(key, f, mac);
	if (strcmp(f[0], prev->mac) != 0 || strcmp(mac, ks_db_str(r, i,
	    "mac")) != 0 || strcmp(f[6], prev->reads_to) != 0)
		return broken(req, vf, 0, n, "seal_mismatch", "a seal does not "
		    "match its key or its predecessor: seals were changed"), 0;
	if (seq > vf->last_seq)
		return broken(req, vf, vf->last_seq + 1, n, "tail_cut",
		    "events that were sealed are missing: the log was cut"), 0;
	if (seq > 0 && (ks_db_isnull(r, i, "chain_hash") ||
	    strcmp(ks_db_str(r, i, "chain_hash"), f[5]) != 0))
		return broken(req, vf, prev->event_seq + 1, n,
		    "changed_after_seal", "events were changed after they "
		    "were sealed (their hashes were recomputed)"), 0;
	if (reads_digest(req, f[6], f[7], strcmp(ks_db_str(r, i, "read_order"),
	    "1") == 0, &count, dig) != KS_OK)
		return -1;
	if (count != ks_db_getll(r, i, "read_count") || strcmp(dig, f[9]) != 0)
		return broken(req, vf, 0, n, "reads_changed", "sealed read "
		    "records were changed, removed or added"), 0;
	prev->n = n;
	snprintf(prev->mac, sizeof(prev->mac), "%s", ks_db_str(r, i, "mac"));
	snprintf(prev->reads_to, sizeof(prev->reads_to), "%s", f[7]);
	prev->event_seq = seq;
	vf->seals = n;
	vf->sealed_seq = seq;
	vf->sealed_reads += count;
	snprintf(vf->last_to, sizeof(vf->last_to), "%s", f[7]);
	snprintf(vf->last_at, sizeof(vf->last_at), "%s", ks_db_str(r, i,
	    "at"));
	if (n == vf->anchor_n)
		memcpy(vf->anchored_mac, prev->mac, 65);
	return 1;
}

static int
verify_seals(struct ks_request *req, struct verify *vf)
{
	unsigned char key[KS_KEY_LEN];
	struct seal prev;
	const char *v[2];
	PGresult *r;
	int i, rc, have_key = seal_key(req->who.tenant_id, key) == KS_OK;

	memset(&prev, 0, sizeof(prev));
	strcpy(prev.mac, ZERO_HASH);
	strcpy(prev.reads_to, "0");
	strcpy(vf->last_to, "0");
	for (;;) {
		v[0] = ks_arena_printf(req->arena, "%lld", prev.n);
		v[1] = BATCH_S;
		if ((r = ks_db_q(req, Q_AUDIT_SEALS, 2, v)) == NULL) {
			OPENSSL_cleanse(key, sizeof(key));
			return -1;
		}
		if (PQntuples(r) > 0 && !have_key)
			return broken(req, vf, 0, 0, "no_key", "the server has "
			    "no master key to check the seals with"), 0;
		for (i = 0; i < PQntuples(r); i++)
			if ((rc = verify_seal(req, vf, r, i, key, &prev)) !=
			    1) {
				OPENSSL_cleanse(key, sizeof(key));
				return rc;
			}
		if (PQntuples(r) < BATCH)
			break;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return 1;
}

/* The anchor outside the database against the newest seals. */
static int
verify_anchor(struct ks_request *req, struct verify *vf, const char **st)
{
	*st = "none";
	if (vf->anchor < 0)
		return broken(req, vf, 0, 0, "anchor_unreadable", "the signed "
		    "head outside the database cannot be read"), 0;
	if (vf->anchor == 0) {
		if (vf->seals > 0)
			*st = "pending";	/* written right after a seal */
		return 1;
	}
	if (vf->anchor_n > vf->seals)
		return broken(req, vf, vf->sealed_seq + 1, vf->anchor_n,
		    "anchor_ahead", "the signed head outside the database "
		    "names a seal the database no longer has: records were "
		    "cut"), 0;
	if (strcmp(vf->anchored_mac, vf->anchor_mac) != 0)
		return broken(req, vf, 0, vf->anchor_n, "anchor_mismatch",
		    "the signed head outside the database does not match "
		    "its seal"), 0;
	*st = vf->anchor_n == vf->seals ? "matches" : "behind";
	return 1;
}

int
ks_audit_verify(struct ks_request *req)
{
	struct verify vf;
	const char *st, *v[1];
	PGresult *r;
	int rc;

	memset(&vf, 0, sizeof(vf));
	/* Read first, so that a seal written meanwhile cannot outrun it. */
	vf.anchor = anchor_read(req->who.tenant_id, &vf.anchor_n,
	    vf.anchor_mac);
	if ((rc = verify_chain(req, &vf)) != 1 ||
	    (rc = verify_seals(req, &vf)) != 1 ||
	    (rc = verify_anchor(req, &vf, &st)) != 1)
		return rc < 0 ? KS_ERROR : KS_OK;
	v[0] = vf.last_to;
	if ((r = ks_db_q(req, Q_AUDIT_READS_PENDING, 1, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, json_pack("{s:b,s:I,s:s,s:{s:I,s:I,s:o},"
	    "s:{s:I,s:I,s:o},s:{s:s,s:o},s:I,s:s}",
	    "ok", 1, "events", (json_int_t)vf.events, "head", vf.head,
	    "seals", "count", (json_int_t)vf.seals, "event_seq",
	    (json_int_t)vf.sealed_seq, "at", vf.seals ?
	    json_string(vf.last_at) : json_null(),
	    "reads", "sealed", (json_int_t)vf.sealed_reads, "pending",
	    (json_int_t)ks_db_getll(r, 0, "n"), "oldest_pending",
	    ks_db_json_str(r, 0, "oldest"),
	    "anchor", "status", st, "seal", vf.anchor > 0 ?
	    json_integer(vf.anchor_n) : json_null(),
	    "seal_interval_ms", (json_int_t)(ks_conf.audit_seal_ms > 0 ?
	    ks_conf.audit_seal_ms : 2000),
	    "coverage", "every read and change is sealed with a key the "
	    "database does not hold within the seal interval (longer only "
	    "while a database transaction runs longer); what is not sealed "
	    "yet is counted as pending"));
}
