/*
 * audit_writer.c - group commit of read records.
 *
 * Every read of personal data must be on disk before its answer leaves
 * (a synchronous commit), and a commit waits for the disk. A request that
 * waited in its own server thread would hold the thread for that time, so
 * a thread pool of n threads could never have more than n reads waiting
 * for the disk together. Instead the request hands its read records to
 * this writer, one thread per worker process, and its connection is
 * suspended (core/http/http.c); the writer inserts everything that arrived
 * while it was committing the previous batch, in one transaction, and
 * then resumes every connection of the batch with the outcome. The
 * answers of a batch go out after one commit; a batch that fails answers
 * 503 audit_unavailable for each of its requests, never the data.
 *
 * There are audit_writers such threads per worker (4 by default), each
 * with its own connection. One of them takes whatever waits; the others
 * stay asleep while it writes, unless BATCH_MIN reads pile up behind it
 * (a flush slower than usual): then the next one inserts them at once and
 * its commit joins the same or the next WAL flush (PostgreSQL's group
 * commit), instead of waiting for the first commit to end before its
 * insert even starts (issue 13: with one writer and no second, 64 readers
 * waited 20 ms and more for a 3 ms flush).
 *
 * While reads come in batches, a writer about to take fewer than GATHER
 * yields the CPU first (twice at most): the server threads that are
 * ready to run hand in their reads (issue 13, 2026-12-06: 5.6 -> 10
 * reads a batch, 10-12 % more dossier reads a second, no later answer at
 * one to four connections).
 *
 * Why not every free writer at once (issue 13, session 11): a batch's
 * transaction costs about 150 us of CPU whatever its size (statements,
 * commit, the disk flush's system calls) and a row a few us more. Writers
 * that took each read the moment it arrived made batches of 1.6 to 2.5
 * reads on the dossier bench; one writer at a time makes batches of 4 to
 * 9 (the reads that arrive while it commits), with less CPU per read and
 * no longer wait: a read that arrives during a commit waits for the next
 * one either way.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kasus.h"
#include "queries.h"

#define MAX_TENANTS	8
#define MAX_WRITERS	16
/* Reads waiting before a second writer starts beside a busy one. */
#define BATCH_MIN	16
/* Fewer reads than this: the writer yields before it takes them. */
#define GATHER		8

struct item {
	int64_t		 tenant[MAX_TENANTS];
	char		*rows[MAX_TENANTS];	/* owned: rows, comma-separated */
	int		 n;
	void		(*done)(void *, int ok);
	void		*arg;
	struct item	*next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Each writer sleeps on its own condition; the idle ones form a stack and
 * a read wakes the one that went to sleep last (its connection's backend
 * and its caches are the warmest), and only when no writer is already
 * woken for the queue: with one condition for all, every read that came
 * before the woken writer ran woke one more, which found the queue taken
 * and slept again (a context switch each, on a loaded machine several
 * per batch).
 */
static pthread_cond_t wcond[MAX_WRITERS];
static int idle[MAX_WRITERS];	/* sleeping writers, the last on top */
static int nidle;
static int woken;		/* writers woken, not yet running */
static struct item *queue, **tail = &queue;
static pthread_t threads[MAX_WRITERS];
static int nthreads;
static pid_t owner;		/* the process the threads run in */
static pid_t self;		/* this process (getpid() is a system call) */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int running;
static int waiting;		/* connections suspended for a batch */
static int queued;		/* items in the queue */
static int busy;		/* writers writing a batch now */
static int last_taken;		/* reads of the batch taken last */

static void
item_free(struct item *it)
{
	int i;

	for (i = 0; i < it->n; i++)
		free(it->rows[i]);
	free(it);
}

/*
 * One transaction: per tenant its rows in one insert, the last one with
 * the commit (one round trip when the batch has one tenant).
 */
static int
write_batch(struct item *batch)
{
	struct ks_request req;
	struct ks_buf rows;
	struct item *it;
	int64_t t[64];
	const char *v[1];
	int i, j, k, nt = 0, ok = 1;

	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(16384);
	strcpy(req.id, "audit-writer");
	rows.len = 0;
	rows.cap = 4096;
	if ((rows.p = malloc(rows.cap)) == NULL)
		abort();
	for (it = batch; it != NULL; it = it->next)
		for (i = 0; i < it->n; i++) {
			for (j = 0; j < nt && t[j] != it->tenant[i]; j++)
				;
			if (j == nt && nt < 64)
				t[nt++] = it->tenant[i];
		}
	for (j = 0; j < nt && ok; j++) {
		/* The requests' rows as one JSON array: joined as text. */
		rows.len = 0;
		KS_BUF_LIT(&rows, "[");
		for (it = batch; it != NULL; it = it->next)
			for (k = 0; k < it->n; k++)
				if (it->tenant[k] == t[j] &&
				    it->rows[k][0] != '\0') {
					if (rows.len > 1)
						KS_BUF_LIT(&rows, ",");
					ks_buf_put(&rows, it->rows[k],
					    strlen(it->rows[k]));
				}
		KS_BUF_LIT(&rows, "]");
		v[0] = rows.p;
		/* The last insert commits in the same round trip. */
		ok = ks_db_set_tenant(&req, t[j]) == KS_OK && (j < nt - 1 ?
		    ks_db_q(&req, Q_AUDIT_READ_INSERT, 1, v) != NULL :
		    ks_db_exec_commit(&req, Q_AUDIT_READ_INSERT, 1, v) ==
		    KS_OK);
	}
	ok = ks_db_finish(&req, ok) == KS_OK && ok;
	if (!ok)
		ks_log(KS_LOG_WARN, "read records could not be written: %s",
		    req.err.code ? req.err.code : "unknown");
	json_decref(req.err.detail);
	free(rows.p);
	ks_arena_free(req.arena);
	return ok;
}

/* Sleep until woken (lock held); off the idle stack when awake. */
static void
sleep_idle(int me)
{
	int i;

	idle[nidle++] = me;
	pthread_cond_wait(&wcond[me], &lock);
	for (i = 0; i < nidle && idle[i] != me; i++)
		;
	if (i < nidle) {	/* not taken off by a wake-up: spurious, drain */
		memmove(idle + i, idle + i + 1, (size_t)(nidle - i - 1) *
		    sizeof(idle[0]));
		nidle--;
	} else if (woken > 0)
		woken--;
}

/* Wake the writer that slept last, unless one is woken already (lock). */
static void
wake_one(void)
{
	if (woken > 0 || nidle == 0)
		return;
	woken++;
	pthread_cond_signal(&wcond[idle[--nidle]]);
}

static void *
loop(void *arg)
{
	struct item *batch, *it, *next;
	int ok, y, me = (int)(intptr_t)arg;

	pthread_mutex_lock(&lock);
	for (;;) {
		while (running && (queue == NULL ||
		    (busy > 0 && queued < BATCH_MIN)))
			sleep_idle(me);
		if (queue == NULL)
			break;
		/*
		 * A small batch while reads come in batches (the last one
		 * had more than one): let the server threads that are ready
		 * run first, twice at most; they hand in their reads
		 * meanwhile and the batch grows. Not for a read that comes
		 * alone: a yield lets any thread that is ready run, a job's
		 * busy backend for a whole time slice, and a payment run's
		 * audited steps waited for it.
		 */
		for (y = 0; running && last_taken > 1 && queued < GATHER &&
		    y < 2; y++) {
			pthread_mutex_unlock(&lock);
			sched_yield();
			pthread_mutex_lock(&lock);
		}
		if (queue == NULL)
			continue;
		batch = queue;
		queue = NULL;
		tail = &queue;
		last_taken = queued;
		queued = 0;
		busy++;
		pthread_mutex_unlock(&lock);
		ok = write_batch(batch);
		/*
		 * The next batch starts now, on another writer, not after
		 * this one has resumed its connections: the resumes wake the
		 * server threads, which on a busy machine ran before this
		 * writer got the CPU back, and every read behind waited.
		 */
		pthread_mutex_lock(&lock);
		busy--;
		if (queue != NULL && busy == 0)
			wake_one();
		pthread_mutex_unlock(&lock);
		for (it = batch; it != NULL; it = next) {
			next = it->next;
			it->done(it->arg, ok);
			item_free(it);
		}
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	ks_db_thread_close();
	return NULL;
}

static void
forked(void)
{
	self = getpid();
}

static void
init_once(void)
{
	self = getpid();
	pthread_atfork(NULL, NULL, forked);
}

int
ks_audit_writer_submit(const int64_t *tenant, char **rows, int n,
    void (*done)(void *, int ok), void *arg)
{
	struct item *it;
	int i;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		abort();
	for (i = 0; i < n && i < MAX_TENANTS; i++) {
		it->tenant[i] = tenant[i];
		it->rows[i] = rows[i];
	}
	for (; i < n; i++)
		free(rows[i]);
	it->n = n < MAX_TENANTS ? n : MAX_TENANTS;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&lock);
	if (owner != self || !running) {
		pthread_mutex_unlock(&lock);
		item_free(it);
		return KS_ERROR;
	}
	*tail = it;
	tail = &it->next;
	waiting++;
	queued++;
	if (busy == 0 || queued >= BATCH_MIN)
		wake_one();
	pthread_mutex_unlock(&lock);
	return KS_OK;
}

void
ks_audit_writer_start(void)
{
	int i, n = ks_conf.audit_writers;

	if (n < 1)
		n = 1;
	if (n > MAX_WRITERS)
		n = MAX_WRITERS;
	pthread_once(&once, init_once);
	pthread_mutex_lock(&lock);
	if (owner != self) {
		/* A forked worker: the parent's state is not this one's. */
		queue = NULL;
		tail = &queue;
		waiting = 0;
		queued = 0;
		busy = 0;
		nthreads = 0;
		running = 1;
		nidle = 0;
		woken = 0;
		for (i = 0; i < n; i++) {
			pthread_cond_init(&wcond[nthreads], NULL);
			if (pthread_create(&threads[nthreads], NULL, loop,
			    (void *)(intptr_t)nthreads) == 0)
				nthreads++;
		}
		running = nthreads > 0;
		owner = self;
	}
	pthread_mutex_unlock(&lock);
}

void
ks_audit_writer_answered(void)
{
	pthread_mutex_lock(&lock);
	waiting--;
	pthread_mutex_unlock(&lock);
}

void
ks_audit_drain(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	double until = ks_now() + 10;
	int left = 1, i;

	pthread_mutex_lock(&lock);
	if (owner != self || !running) {
		pthread_mutex_unlock(&lock);
		return;
	}
	/* The writers finish the queue; no new reads are taken. */
	running = 0;
	for (i = 0; i < nthreads; i++)
		pthread_cond_signal(&wcond[i]);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
	/* Let the server threads answer the connections just resumed. */
	while (left && ks_now() < until) {
		pthread_mutex_lock(&lock);
		left = waiting > 0;
		pthread_mutex_unlock(&lock);
		if (left)
			nanosleep(&ts, NULL);
	}
}
