/*
 * db.c - PostgreSQL access for request handlers.
 *
 * Each server thread owns one connection, kept in libpq's pipeline mode so
 * that a request's BEGIN, tenant setting and first statement travel in one
 * round trip, and a read-only request's COMMIT is sent without waiting for
 * it (its result is drained before the next batch on that connection).
 * Statements are prepared once per connection, on first use.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"

#define MAX_QUERIES	1024
#define MAX_CMDS	8

struct ks_db {
	PGconn		*conn;
	unsigned char	 prepared[MAX_QUERIES];
	int		 pending;	/* syncs sent but not yet drained */
	/*
	 * The tenant and user in force for the session (set_tenant_session),
	 * valid only while known is set. Cleared on every failed batch: a
	 * failing statement rolls back the implicit transaction the
	 * session-level set_config ran in. A new connection starts unknown.
	 */
	int		 known;
	int64_t		 s_tenant, s_user;
	/*
	 * The largest statement sent (its text and parameters) and result
	 * read (PQresultMemorySize, at least the largest message in it) on
	 * this connection: libpq's buffers grow to the largest message and
	 * never shrink (ks_db_thread_peak).
	 */
	size_t		 peak;
};

struct cmd {
	const char		*text;	/* NULL: prepared statement qid */
	int			 qid;
	int			 n;
	const char *const	*v;
};

static const struct ks_query *reg[MAX_QUERIES];
static int nreg;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static int open_conns;
static __thread struct ks_db *tl_db;
/*
 * Whether this thread keeps its connection's peak (ks_db_thread_peak):
 * only job runners read it, and counting every statement's text and
 * parameters with strlen on every request of the pool threads was work
 * nobody used (issue 13).
 */
static __thread int tl_track_peak;
static __thread char last_state[6];

int
ks_db_register(const struct ks_query *q, int n)
{
	int i, base;

	pthread_mutex_lock(&reg_lock);
	if (nreg + n > MAX_QUERIES) {
		pthread_mutex_unlock(&reg_lock);
		return KS_ERROR;
	}
	base = nreg;
	for (i = 0; i < n; i++)
		reg[nreg++] = &q[i];
	pthread_mutex_unlock(&reg_lock);
	return base;
}

int
ks_db_registered(void)
{
	return nreg;
}

void
ks_db_truncate(int n)
{
	pthread_mutex_lock(&reg_lock);
	if (n >= 0 && n < nreg)
		nreg = n;
	pthread_mutex_unlock(&reg_lock);
}

static void
db_close(struct ks_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL) {
		PQfinish(db->conn);
		__atomic_sub_fetch(&open_conns, 1, __ATOMIC_RELAXED);
	}
	free(db);
}

static void
tl_destroy(void *p)
{
	db_close(p);
}

static void
tl_init(void)
{
	pthread_key_create(&tl_key, tl_destroy);
}

void
ks_db_thread_close(void)
{
	pthread_once(&tl_once, tl_init);
	db_close(tl_db);
	tl_db = NULL;
	pthread_setspecific(tl_key, NULL);
}

void
ks_db_thread_track_peak(void)
{
	tl_track_peak = 1;
}

size_t
ks_db_thread_peak(void)
{
	return tl_db != NULL ? tl_db->peak : 0;
}

int
ks_db_open_count(void)
{
	return __atomic_load_n(&open_conns, __ATOMIC_RELAXED);
}

static struct ks_db *
db_get(void)
{
	struct ks_db *db;

	pthread_once(&tl_once, tl_init);
	if (tl_db != NULL && PQstatus(tl_db->conn) == CONNECTION_OK)
		return tl_db;
	ks_db_thread_close();
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->conn = PQconnectdb(ks_conf.db_app);
	__atomic_add_fetch(&open_conns, 1, __ATOMIC_RELAXED);
	if (PQstatus(db->conn) != CONNECTION_OK ||
	    PQenterPipelineMode(db->conn) != 1) {
		ks_log(KS_LOG_WARN, "database connection failed");
		db_close(db);
		return NULL;
	}
	tl_db = db;
	pthread_setspecific(tl_key, db);
	return db;
}

/* "q" and the query's number, without snprintf (every statement sent). */
static void
qname(int qid, char *buf, size_t len)
{
	if (len < 12 || qid < 0) {	/* "q", ten digits, NUL */
		snprintf(buf, len, "q%d", qid);
		return;
	}
	buf[0] = 'q';
	*ks_put_uint(buf + 1, (unsigned long long)qid, 1) = '\0';
}

/* Read until the sync point of one batch; results are discarded. */
static int
drain_one(struct ks_db *db)
{
	PGresult *r;
	int ok = KS_OK;

	for (;;) {
		r = PQgetResult(db->conn);
		if (r == NULL) {
			if (PQstatus(db->conn) != CONNECTION_OK)
				return KS_ERROR;
			continue;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return ok;
		}
		if (PQresultStatus(r) == PGRES_FATAL_ERROR)
			ok = KS_ERROR;
		PQclear(r);
	}
}

/* The size of what cmd sends, kept when it is the largest so far. */
static void
note_sent(struct ks_db *db, const struct cmd *c)
{
	size_t len = c->text != NULL ? strlen(c->text) : 0;
	int k;

	for (k = 0; k < c->n; k++)
		if (c->v[k] != NULL)
			len += strlen(c->v[k]);
	if (len > db->peak)
		db->peak = len;
}

/*
 * Send cmds as one pipeline batch and read every result. The result of
 * the last command is returned in *out (caller clears it). Returns KS_OK,
 * KS_ERROR for a statement error (SQLSTATE in last_state), or -2 when the
 * connection is lost.
 */
static int
run(struct ks_db *db, struct cmd *c, int n, PGresult **out, int *nok)
{
	int preps[MAX_CMDS], i, rc = KS_OK, st;
	char name[16];
	PGresult *r;

	*out = NULL;
	*nok = 0;
	last_state[0] = '\0';
	for (i = 0; i < n; i++) {
		preps[i] = 0;
		if (tl_track_peak)
			note_sent(db, &c[i]);
		if (c[i].text != NULL) {
			if (!PQsendQueryParams(db->conn, c[i].text, 0, NULL,
			    NULL, NULL, NULL, 0))
				return -2;
			continue;
		}
		qname(c[i].qid, name, sizeof(name));
		if (!db->prepared[c[i].qid]) {
			if (!PQsendPrepare(db->conn, name, reg[c[i].qid]->sql,
			    0, NULL))
				return -2;
			preps[i] = 1;
		}
		if (!PQsendQueryPrepared(db->conn, name, c[i].n, c[i].v, NULL,
		    NULL, 0))
			return -2;
	}
	if (!PQpipelineSync(db->conn) || PQflush(db->conn) != 0)
		return -2;
	while (db->pending > 0) {
		if (drain_one(db) == KS_ERROR &&
		    PQstatus(db->conn) != CONNECTION_OK)
			return -2;
		db->pending--;
	}
	for (i = 0; i < n; i++) {
		int step, steps = preps[i] ? 2 : 1;

		for (step = 0; step < steps; step++) {
			if ((r = PQgetResult(db->conn)) == NULL)
				return -2;
			st = PQresultStatus(r);
			if (st == PGRES_FATAL_ERROR && rc == KS_OK) {
				const char *s = PQresultErrorField(r,
				    PG_DIAG_SQLSTATE);
				snprintf(last_state, sizeof(last_state), "%s",
				    s ? s : "XX000");
				ks_log(KS_LOG_WARN, "statement %s failed: %s",
				    c[i].text ? c[i].text : reg[c[i].qid]->name,
				    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
				rc = KS_ERROR;
			} else if (st == PGRES_PIPELINE_ABORTED) {
				if (rc == KS_OK)
					rc = KS_ERROR;
			} else if (rc == KS_OK) {
				if (steps == 2 && step == 0)
					db->prepared[c[i].qid] = 1;
				else
					(*nok)++;
			}
			if (tl_track_peak && PQresultMemorySize(r) > db->peak)
				db->peak = PQresultMemorySize(r);
			if (i == n - 1 && step == steps - 1 && rc == KS_OK)
				*out = r;
			else
				PQclear(r);
			/* The NULL that ends each command's results. */
			if ((r = PQgetResult(db->conn)) != NULL) {
				PQclear(r);
				return -2;
			}
		}
	}
	if ((r = PQgetResult(db->conn)) == NULL ||
	    PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return -2;
	}
	PQclear(r);
	if (rc != KS_OK && *out != NULL) {
		PQclear(*out);
		*out = NULL;
	}
	return rc;
}

static void
clear_result(void *p)
{
	PQclear(p);
}

static int
lost(struct ks_request *req)
{
	ks_db_thread_close();
	req->in_txn = 0;
	return ks_fail(req, 503, "database_unavailable",
	    "the database is not reachable; try again shortly");
}

static int
map_error(struct ks_request *req)
{
	const char *s = last_state;

	/*
	 * The server is shutting down, or is no longer the primary after a
	 * failover (read-only): a new connection finds the one that is.
	 */
	if (strcmp(s, "25006") == 0 || strncmp(s, "57P0", 4) == 0 ||
	    strncmp(s, "08", 2) == 0)
		return lost(req);

	if (strcmp(s, "23505") == 0)
		return ks_fail(req, 409, "already_exists",
		    "a record with these values already exists");
	if (strcmp(s, "23503") == 0)
		return ks_fail(req, 400, "invalid_reference",
		    "the record refers to something that does not exist");
	if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
		return ks_fail(req, 400, "invalid_value",
		    "a value is not allowed here");
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
		return ks_fail(req, 409, "concurrent_change",
		    "the record was changed at the same time; try again");
	if (strcmp(s, "42501") == 0)
		return ks_fail(req, 404, "not_found", "no such record");
	return ks_fail(req, 500, "internal_error",
	    "the request could not be completed");
}

int64_t
ks_db_tenant(const struct ks_request *req)
{
	return req->db_tenant ? req->db_tenant : req->who.tenant_id;
}

/* The values of set_tenant: the tenant worked on and the user. */
static void
tenant_values(struct ks_request *req, const char *tv[2])
{
	int64_t tid = ks_db_tenant(req);

	tv[0] = tid ? ks_arena_printf(req->arena, "%lld", (long long)tid) :
	    "";
	tv[1] = req->who.user_id ? ks_arena_printf(req->arena, "%lld",
	    (long long)req->who.user_id) : "";
}

/*
 * Statements run with their generic plan, planned once per connection.
 * PostgreSQL plans a prepared statement for its values five times and
 * keeps doing so while the generic plan's estimate is dearer; for the
 * person search (a range over a name key computed from a parameter,
 * under LIMIT $5) the estimate is twice the custom plan's, the plan as
 * fast, and planning took three times as long as running it.
 */
static int
plan_generic(int qid)
{
	return qid == Q_PERSON_SEARCH;
}

PGresult *
ks_db_q(struct ks_request *req, int qid, int n, const char *const *v)
{
	struct cmd c[4];
	struct ks_db *db;
	PGresult *r;
	const char *tv[2];
	int nc = 0, rc, nok, attempt, implicit, session;

	if (qid < 0 || qid >= nreg)
		abort();	/* a broken invariant: unknown statement */
	/*
	 * A reading request runs each statement in the implicit transaction
	 * of its pipeline batch (set tenant, statement, sync): two
	 * statements instead of four. Under READ COMMITTED every statement
	 * sees its own snapshot anyway; anything that writes gets a real
	 * transaction.
	 */
	implicit = req->read_only && !req->in_txn && !reg[qid]->write;
	for (attempt = 0; attempt < 2; attempt++) {
		nc = 0;
		session = 0;
		if ((db = db_get()) == NULL) {
			lost(req);
			return NULL;
		}
		if (!req->in_txn && !implicit) {
			tenant_values(req, tv);
			c[nc++] = (struct cmd){ "BEGIN", 0, 0, NULL };
			c[nc++] = (struct cmd){ NULL, Q_SET_TENANT, 2, tv };
		} else if (implicit && (!db->known || !(db->pending > 0 ||
		    PQtransactionStatus(db->conn) == PQTRANS_IDLE) ||
		    db->s_tenant != ks_db_tenant(req) ||
		    db->s_user != req->who.user_id)) {
			/*
			 * Outside a transaction the tenant and user are
			 * session settings of the connection: a read whose
			 * values are already in force is one statement. No
			 * transaction may be open (a queued COMMIT or
			 * ROLLBACK ends the one of the last request), else a
			 * setting local to it would be in force instead.
			 */
			tenant_values(req, tv);
			c[nc++] = (struct cmd){ NULL, Q_SET_TENANT_SESSION, 2,
			    tv };
			session = 1;
		}
		/* Local to the implicit transaction: this statement only. */
		if (implicit && plan_generic(qid))
			c[nc++] = (struct cmd){ NULL, Q_PLAN_GENERIC, 0, NULL };
		c[nc++] = (struct cmd){ NULL, qid, n, v };
		rc = run(db, c, nc, &r, &nok);
		if (rc != KS_OK)
			db->known = 0;
		else if (session) {
			/*
			 * Only when the batch ended outside a transaction: one
			 * left open would undo the setting on its rollback.
			 */
			db->known = PQtransactionStatus(db->conn) ==
			    PQTRANS_IDLE;
			db->s_tenant = ks_db_tenant(req);
			db->s_user = req->who.user_id;
		}
		if (rc == -2) {
			/* Safe to retry only when nothing ran in this txn. */
			if (req->in_txn || attempt == 1) {
				lost(req);
				return NULL;
			}
			ks_db_thread_close();
			continue;
		}
		break;
	}
	if (!implicit && nc == 3 && nok >= 1)
		req->in_txn = 1;
	if (reg[qid]->write)
		req->wrote = 1;
	if (rc != KS_OK) {
		map_error(req);
		return NULL;
	}
	ks_arena_cleanup(req->arena, clear_result, r);
	return r;
}

void
ks_db_free(struct ks_request *req, PGresult *r)
{
	if (r != NULL && !ks_arena_cleanup_now(req->arena, clear_result, r))
	{
		/* Not one of the request's: a programming error. */
		ks_log(KS_LOG_ERROR, "ks_db_free: not a result of the request");
#ifdef KS_TEST_HOOKS
		abort();
#endif
	}
}

int
ks_db_set_tenant(struct ks_request *req, int64_t tid)
{
	const char *v[2];

	req->db_tenant = tid;
	if (!req->in_txn)
		return KS_OK;
	v[0] = ks_arena_printf(req->arena, "%lld", (long long)tid);
	v[1] = req->who.user_id ? ks_arena_printf(req->arena, "%lld",
	    (long long)req->who.user_id) : "";
	return ks_db_q(req, Q_SET_TENANT, 2, v) ? KS_OK : KS_ERROR;
}

/*
 * Qid and its commit in one round trip. With keep (only outside a
 * transaction: inside one the last result is the COMMIT's), qid's result
 * goes to *keep, owned by the request's arena; else it is cleared.
 */
static int
exec_commit(struct ks_request *req, int qid, int n, const char *const *v,
    PGresult **keep)
{
	struct cmd c[2];
	struct ks_db *db;
	PGresult *r;
	const char *tv[2];
	int rc = -2, nok, attempt;

	if (qid < 0 || qid >= nreg)
		abort();
	for (attempt = 0; attempt < 2; attempt++) {
		if ((db = db_get()) == NULL)
			return lost(req);
		if (req->in_txn) {
			c[0] = (struct cmd){ NULL, qid, n, v };
			c[1] = (struct cmd){ "COMMIT", 0, 0, NULL };
		} else {
			/* The batch is one implicit transaction. */
			tenant_values(req, tv);
			c[0] = (struct cmd){ NULL, Q_SET_TENANT, 2, tv };
			c[1] = (struct cmd){ NULL, qid, n, v };
		}
		rc = run(db, c, 2, &r, &nok);
		if (rc == -2) {
			PQclear(r);
			if (req->in_txn || attempt == 1)
				return lost(req);
			ks_db_thread_close();
			continue;
		}
		break;
	}
	req->wrote = 1;
	if (rc != KS_OK) {
		PQclear(r);
		return map_error(req);	/* an open one is rolled back later */
	}
	req->in_txn = 0;
	if (keep != NULL && r != NULL) {
		ks_arena_cleanup(req->arena, clear_result, r);
		*keep = r;
	} else
		PQclear(r);
	return KS_OK;
}

int
ks_db_exec_commit(struct ks_request *req, int qid, int n,
    const char *const *v)
{
	return exec_commit(req, qid, n, v, NULL);
}

PGresult *
ks_db_q_commit(struct ks_request *req, int qid, int n, const char *const *v)
{
	PGresult *r = NULL;

	/* In an open transaction: its statement, committed with it. */
	if (req->in_txn)
		return ks_db_q(req, qid, n, v);
	if (exec_commit(req, qid, n, v, &r) != KS_OK)
		return NULL;
	return r;
}

static int
finish(struct ks_request *req, int ok)
{
	struct cmd c;
	struct ks_db *db = tl_db;
	PGresult *r;
	int rc, nok;

	if (!req->in_txn)
		return KS_OK;
	req->in_txn = 0;
	if (db == NULL)
		return KS_ERROR;
	if (ok && req->wrote) {
		c = (struct cmd){ "COMMIT", 0, 0, NULL };
		rc = run(db, &c, 1, &r, &nok);
		PQclear(r);
		if (rc == -2)
			return lost(req);
		if (rc != KS_OK)
			return map_error(req);
		return KS_OK;
	}
	/* Read-only or failed: do not wait for the answer. */
	if (!PQsendQueryParams(db->conn, ok ? "COMMIT" : "ROLLBACK", 0, NULL,
	    NULL, NULL, NULL, 0) || !PQpipelineSync(db->conn)) {
		ks_db_thread_close();
		return KS_OK;
	}
	db->pending++;
	return KS_OK;
}

int
ks_db_finish(struct ks_request *req, int ok)
{
	int rc;

	/* Audit events are written in the transaction they belong to. */
	if (ok && ks_audit_flush(req) != KS_OK) {
		finish(req, 0);
		return KS_ERROR;
	}
	rc = finish(req, ok);
	return rc;
}

const char *
ks_db_last_state(void)
{
	return last_state;
}

int
ks_db_ping(void)
{
	struct ks_db *db;
	struct cmd c = { NULL, Q_PING, 0, NULL };
	PGresult *r;
	int rc, nok;

	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((db = db_get()) == NULL)
			return KS_ERROR;
		rc = run(db, &c, 1, &r, &nok);
		PQclear(r);
		if (rc != -2)
			break;
		/* A connection from before a server restart: try a new one. */
		ks_db_thread_close();
	}
	return rc == KS_OK ? KS_OK : KS_ERROR;
}
