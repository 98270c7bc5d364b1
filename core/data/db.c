/*
 * db.c - PostgreSQL access for request handlers.
 *
 * Each server thread owns one connection, kept in libpq's pipeline mode so
 * that a request's BEGIN, tenant setting and first statement travel in one
 * round trip, and a read-only request's COMMIT is sent without waiting for
 * it (its result is drained before the next batch on that connection).
 * Statements are prepared once per connection, on first use.
 *
 * On a connection thread a read on a fiber (core/lib/fiber.c) sends its
 * statement and parks; the statements of every read of one turn of the
 * thread's loop form one batch, ended by one sync point when the turn
 * ends (ks_db_loop_flush), and the loop reads the answers as they come
 * (ks_db_loop_pump) and wakes each fiber with its own. PostgreSQL then
 * reads, runs and answers a turn's reads at once, with one write instead
 * of one per read. Statements and sync points in flight are kept in the
 * order they were sent (struct flight): whoever reads the connection
 * next, the loop or a statement that waits, reads theirs first. A batch
 * is one implicit transaction: each read's tenant and user are set local
 * to it before the read when they differ from the read's before it
 * (never for the session, which a failing batch would roll back under
 * the batches sent after it), and a read that an earlier failure in its
 * batch aborted is sent again (see park_q).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"

#define MAX_QUERIES	1024
#define MAX_CMDS	8
#define MAX_FLIGHT	1024	/* statements and sync points in flight */

/* What a parked read waits for, on its fiber's stack. */
struct wait {
	PGresult	*r;
	int		 rc;	/* KS_OK, KS_ERROR, -2 lost, -3 aborted */
	int		 done;
	char		 state[6];
};

/*
 * Sent and not yet read: a parked read's statement (w set), a statement
 * nobody waits for (a setting, a COMMIT or ROLLBACK), or a sync point.
 */
enum { F_STMT, F_SYNC };

struct flight {
	int		 kind;
	int		 got;		/* a result of it was read */
	struct ks_fiber	*f;
	struct wait	*w;
	const char	*what;		/* statement name, for the log */
};

struct ks_db {
	PGconn		*conn;
	unsigned char	 prepared[MAX_QUERIES];
	struct flight	 fl[MAX_FLIGHT];
	unsigned	 head, tail;	/* in flight: fl[head..tail) */
	unsigned	 gen;		/* which connection (ks_db_loop_fd) */
	/*
	 * Parked reads sent since the last sync point (the open batch), and
	 * the tenant and user in force in it: b_set when set local to it,
	 * else the session's (known).
	 */
	int		 open;
	int		 b_set;
	int64_t		 b_tenant, b_user;
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
static unsigned conn_gen;
static __thread struct ks_db *tl_db;
/*
 * Whether this thread keeps its connection's peak (ks_db_thread_peak):
 * job runners and request threads read it; counting every statement's
 * text and parameters with strlen on every read of the connection
 * threads was work nobody used (issue 13).
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

/* Every batch in flight ends unread: its fiber wakes to a lost connection. */
static void
fail_flight(struct ks_db *db)
{
	struct flight *e;

	for (; db->head != db->tail; db->head++) {
		e = &db->fl[db->head % MAX_FLIGHT];
		if (e->w == NULL)
			continue;
		PQclear(e->w->r);
		e->w->r = NULL;
		e->w->rc = -2;
		e->w->done = 1;
		ks_fiber_wake(e->f);
	}
}

static void
db_close(struct ks_db *db)
{
	if (db == NULL)
		return;
	fail_flight(db);
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

/*
 * libpq grows a connection's buffers to the largest message sent or read
 * on it (a bank file, a payment file: megabytes) and never shrinks them:
 * after a job or request that sent or read that much the thread takes a
 * new connection, and the old one's buffers go back too. Otherwise it
 * keeps the connection: a new one costs its backend's start, catalog
 * caches and every statement prepared again (a quarter of PostgreSQL's
 * CPU for a payment run of 1,000 lines).
 */
#define KEEP_BYTES	(1024 * 1024)

void
ks_db_thread_trim(void)
{
	if (ks_db_thread_peak() > KEEP_BYTES)
		ks_db_thread_close();
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
	db->gen = __atomic_add_fetch(&conn_gen, 1, __ATOMIC_RELAXED);
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

static int
flight_push(struct ks_db *db, int kind, struct ks_fiber *f, struct wait *w,
    const char *what)
{
	if (db->tail - db->head >= MAX_FLIGHT)
		return KS_ERROR;
	db->fl[db->tail++ % MAX_FLIGHT] = (struct flight){ kind, 0, f, w,
	    what };
	return KS_OK;
}

/*
 * Ends the open batch with a sync point (sent at once: libpq's
 * PQpipelineSync flushes). KS_OK, or -2 when the connection failed.
 */
static int
batch_close(struct ks_db *db)
{
	if (!db->open)
		return KS_OK;
	db->open = 0;
	db->b_set = 0;
	if (!PQpipelineSync(db->conn) ||
	    flight_push(db, F_SYNC, NULL, NULL, "sync") != KS_OK)
		return -2;
	return KS_OK;
}

/*
 * One result of the oldest statement in flight, or the NULL that ends a
 * statement's results. Returns 1 when that statement or sync point is
 * done, 0 when more is to come, -2 when the answers are out of step with
 * what was sent (the connection must go).
 */
static int
flight_take(struct ks_db *db, PGresult *r)
{
	struct flight *e = &db->fl[db->head % MAX_FLIGHT];
	int st;

	if (e->kind == F_SYNC) {
		if (r == NULL)
			return 0;
		st = PQresultStatus(r);
		PQclear(r);
		if (st != PGRES_PIPELINE_SYNC)
			return -2;
		db->head++;
		return 1;
	}
	if (r == NULL) {
		if (!e->got)
			return 0;
		db->head++;
		if (e->w != NULL) {
			if (e->w->rc != KS_OK) {
				PQclear(e->w->r);
				e->w->r = NULL;
			}
			e->w->done = 1;
			ks_fiber_wake(e->f);
		}
		return 1;
	}
	e->got = 1;
	st = PQresultStatus(r);
	if (st == PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return -2;
	}
	if (e->w == NULL) {
		PQclear(r);
		return 0;
	}
	if (st == PGRES_FATAL_ERROR && e->w->rc == KS_OK) {
		const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		snprintf(e->w->state, sizeof(e->w->state), "%s",
		    s ? s : "XX000");
		ks_log(KS_LOG_WARN, "statement %s failed: %s", e->what,
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		e->w->rc = KS_ERROR;
	} else if (st == PGRES_PIPELINE_ABORTED && e->w->rc == KS_OK)
		e->w->rc = -3;	/* an earlier one in its batch failed */
	if (e->w->rc == KS_OK) {
		PQclear(e->w->r);
		e->w->r = r;
	} else
		PQclear(r);
	return 0;
}

/*
 * Read everything in flight, waiting for PostgreSQL; the open batch is
 * closed first. -2: the connection is lost or out of step.
 */
static int
flight_drain(struct ks_db *db)
{
	PGresult *r;
	int nulls = 0;

	if (batch_close(db) != KS_OK)
		return -2;
	while (db->head != db->tail) {
		r = PQgetResult(db->conn);
		/* NULL twice running: libpq has nothing more in flight. */
		if (r == NULL && (PQstatus(db->conn) != CONNECTION_OK ||
		    ++nulls > 2))
			return -2;
		if (r != NULL)
			nulls = 0;
		if (flight_take(db, r) == -2)
			return -2;
	}
	return KS_OK;
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
	/* Its own batch: the parked reads' open one ends before it. */
	if (batch_close(db) != KS_OK)
		return -2;
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
	/* The batches sent before this one are answered first. */
	if (flight_drain(db) != KS_OK)
		return -2;
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

/*
 * Prepares qid on the connection, waiting (once per connection and
 * statement): a parked read only sends statements known to be prepared,
 * so that a prepare that failed can never leave one marked.
 */
static int
prepare_now(struct ks_db *db, int qid)
{
	char name[16];
	PGresult *r;
	int ok, st, nulls;

	if (flight_drain(db) != KS_OK)
		return KS_ERROR;
	qname(qid, name, sizeof(name));
	if (!PQsendPrepare(db->conn, name, reg[qid]->sql, 0, NULL) ||
	    !PQpipelineSync(db->conn) || (r = PQgetResult(db->conn)) == NULL)
		return KS_ERROR;
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	/* The NULL that ends its results, then the sync point. */
	for (nulls = 0; nulls < 3; ) {
		if ((r = PQgetResult(db->conn)) == NULL) {
			if (PQstatus(db->conn) != CONNECTION_OK)
				return KS_ERROR;
			nulls++;
			continue;
		}
		st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (nulls == 3 || !ok)
		return KS_ERROR;
	db->prepared[qid] = 1;
	return KS_OK;
}

/*
 * A read on a fiber: its statement joins the open batch and the fiber
 * parks until its answer was read (by the thread's loop, or a statement
 * that waits). The batch goes out when the loop's turn ends. Before the
 * statement, the request's tenant and user are set local to the batch
 * when the ones in force in it differ; a statement with its own local
 * setting (plan_generic) has a batch of its own. Returns 1 with *out (or
 * NULL and req->err) when it ran, 0 when the read must wait as before: a
 * statement that could not be prepared, too many in flight, or aborted
 * twice by others' failures.
 */
static int
park_q(struct ks_request *req, int qid, int n, const char *const *v,
    PGresult **out)
{
	struct wait w;
	struct ks_db *db;
	const char *tv[2];
	char name[16];
	int attempt, alone = plan_generic(qid);
	int64_t tid = ks_db_tenant(req), uid = req->who.user_id;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	for (attempt = 0; attempt < 3; attempt++) {
		if ((db = db_get()) == NULL) {
			lost(req);
			return 1;
		}
		if ((!db->prepared[qid] && prepare_now(db, qid) != KS_OK) ||
		    (!db->prepared[Q_SET_TENANT] &&
		    prepare_now(db, Q_SET_TENANT) != KS_OK) ||
		    (alone && !db->prepared[Q_PLAN_GENERIC] &&
		    prepare_now(db, Q_PLAN_GENERIC) != KS_OK) ||
		    db->tail - db->head + 4 > MAX_FLIGHT || attempt == 2)
			return 0;
		memset(&w, 0, sizeof(w));
		if (alone && batch_close(db) != KS_OK)
			goto gone;
		if (!db->open) {
			db->open = 1;
			db->b_set = 0;
		}
		if (db->b_set ? db->b_tenant != tid || db->b_user != uid :
		    !db->known || db->s_tenant != tid || db->s_user != uid) {
			tenant_values(req, tv);
			qname(Q_SET_TENANT, name, sizeof(name));
			if (!PQsendQueryPrepared(db->conn, name, 2, tv, NULL,
			    NULL, 0))
				goto gone;
			(void)flight_push(db, F_STMT, NULL, NULL,
			    "set_tenant");
			db->b_set = 1;
			db->b_tenant = tid;
			db->b_user = uid;
		}
		if (alone) {
			qname(Q_PLAN_GENERIC, name, sizeof(name));
			if (!PQsendQueryPrepared(db->conn, name, 0, NULL,
			    NULL, NULL, 0))
				goto gone;
			(void)flight_push(db, F_STMT, NULL, NULL,
			    "plan_generic");
		}
		qname(qid, name, sizeof(name));
		if (!PQsendQueryPrepared(db->conn, name, n, v, NULL, NULL, 0))
			goto gone;
		(void)flight_push(db, F_STMT, ks_fiber_self(), &w,
		    reg[qid]->name);
		if (alone && batch_close(db) != KS_OK)
			goto gone;
		while (!w.done)
			ks_fiber_park();
		if (w.rc == -2 || w.rc == -3)
			continue;	/* lost, or aborted: once more */
		break;
gone:
		ks_db_thread_close();
		w.rc = -2;
	}
	if (w.rc == -2) {
		lost(req);
		return 1;
	}
	if (w.rc != KS_OK) {
		memcpy(last_state, w.state, sizeof(last_state));
		map_error(req);
		return 1;
	}
	last_state[0] = '\0';
	ks_arena_cleanup(req->arena, clear_result, w.r);
	*out = w.r;
	return 1;
}

int
ks_db_loop_fd(unsigned *gen)
{
	if (tl_db == NULL || PQstatus(tl_db->conn) != CONNECTION_OK)
		return -1;
	*gen = tl_db->gen;
	return PQsocket(tl_db->conn);
}

void
ks_db_loop_pump(void)
{
	struct ks_db *db = tl_db;
	int nulls = 0;

	if (db == NULL)
		return;
	if (!PQconsumeInput(db->conn)) {
		ks_log(KS_LOG_WARN, "database connection lost");
		ks_db_thread_close();
		return;
	}
	while (db->head != db->tail && !PQisBusy(db->conn) && nulls < 3) {
		PGresult *r = PQgetResult(db->conn);

		nulls = r == NULL ? nulls + 1 : 0;
		if (flight_take(db, r) == -2) {
			ks_log(KS_LOG_WARN, "database answers out of step");
			ks_db_thread_close();
			return;
		}
	}
}

void
ks_db_loop_flush(void)
{
	if (tl_db != NULL && tl_db->open && batch_close(tl_db) != KS_OK)
		ks_db_thread_close();
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
	if (implicit && ks_fiber_may_park() && park_q(req, qid, n, v, &r))
		return r;
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
		} else if (implicit && (!db->known || !(db->head != db->tail ||
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
	if ((db->tail - db->head + 3 > MAX_FLIGHT &&
	    flight_drain(db) != KS_OK) || batch_close(db) != KS_OK ||
	    !PQsendQueryParams(db->conn, ok ? "COMMIT" : "ROLLBACK", 0, NULL,
	    NULL, NULL, NULL, 0) || !PQpipelineSync(db->conn)) {
		ks_db_thread_close();
		return KS_OK;
	}
	(void)flight_push(db, F_STMT, NULL, NULL, "COMMIT");
	(void)flight_push(db, F_SYNC, NULL, NULL, "sync");
	return KS_OK;
}

int
ks_db_finish(struct ks_request *req, int ok)
{
	int rc, i, n;

	/* Audit events are written in the transaction they belong to, and
	   go with it when it is rolled back. */
	if (ok && ks_audit_flush(req) != KS_OK) {
		ks_audit_rollback(req);
		req->nafter = 0;
		finish(req, 0);
		return KS_ERROR;
	}
	if (!ok)
		ks_audit_rollback(req);
	rc = finish(req, ok);
	/* So do the functions to call after it (ks_after_commit). */
	n = ok && rc == KS_OK ? req->nafter : 0;
	req->nafter = 0;
	for (i = 0; i < n; i++)
		req->after_commit[i](req, req->after_arg[i]);
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
