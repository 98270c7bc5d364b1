/*
 * offload.c - a worker's request threads: work that would hold a server
 * thread (core/http/http.c) while it waits or computes runs here
 * instead, so that the server thread keeps answering its other
 * connections.
 *
 * Two kinds of work come here:
 *
 * - A request's whole handling (ks_offload_post): a write, a login's
 *   password hash, a document rendered, a job waited for. The server
 *   thread suspends the connection and posts it; the request thread
 *   handles it and resumes the connection. Posted work waits in a queue
 *   in the order it came, however many threads are busy.
 * - A part of a computation whose caller waits for it (ks_offload_run,
 *   ks_offload_wait): the payment export's file is checked against the
 *   bank's schema while it is written, in two parts at once. Taken only
 *   by a thread that is idle now; with none idle (or none started: the
 *   command-line tools, the unit tests) it answers -1 and the caller runs
 *   fn itself.
 *
 * A worker's threads start before its seccomp filter, which has no
 * clone: these are started with the others (ks_offload_start in main.c)
 * and wait for work. Work handed out is done even when the worker stops
 * meanwhile; after ks_offload_stop both calls answer -1.
 */
#include <pthread.h>
#include <stdlib.h>

#include "kasus.h"

#define MAX_THREADS	64
#define SLOTS		8	/* parts waited for at once */

struct task {
	void		(*fn)(void *);
	void		 *arg;
	int		  slot;		/* -1: posted, nobody waits */
	struct task	 *next;
};

static pthread_t threads[MAX_THREADS];
static int started, idle, stopping;
static struct task *head, *tail;
static int slot_busy[SLOTS], slot_done[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;

static void *
thread_main(void *p)
{
	struct task *t;

	(void)p;
	ks_db_thread_track_peak();	/* for ks_db_thread_trim */
	pthread_mutex_lock(&mu);
	for (;;) {
		while (head == NULL && !stopping) {
			idle++;
			pthread_cond_wait(&work, &mu);
			idle--;
		}
		if ((t = head) == NULL)
			break;	/* stopping, the queue done */
		if ((head = t->next) == NULL)
			tail = NULL;
		pthread_mutex_unlock(&mu);
		t->fn(t->arg);
		/* A download's megabytes are not kept for the next request. */
		ks_db_thread_trim();
		pthread_mutex_lock(&mu);
		if (t->slot >= 0) {
			slot_done[t->slot] = 1;
			pthread_cond_broadcast(&finished);
		}
		free(t);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

void
ks_offload_start(void)
{
	int i, n = ks_conf.request_threads;

	if (n > MAX_THREADS)
		n = MAX_THREADS;
	pthread_mutex_lock(&mu);
	stopping = 0;
	idle = 0;
	for (i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, thread_main, NULL) != 0)
			break;
	started = i;
	pthread_mutex_unlock(&mu);
}

void
ks_offload_stop(void)
{
	int i, n;

	pthread_mutex_lock(&mu);
	stopping = 1;
	n = started;
	started = 0;
	pthread_cond_broadcast(&work);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
}

static void
enqueue(struct task *t, int front)
{
	if (front) {
		if ((t->next = head) == NULL)
			tail = t;
		head = t;
	} else {
		t->next = NULL;
		if (tail != NULL)
			tail->next = t;
		else
			head = t;
		tail = t;
	}
	pthread_cond_signal(&work);
}

static struct task *
task_new(void (*fn)(void *), void *arg, int slot)
{
	struct task *t = malloc(sizeof(*t));

	if (t == NULL)
		abort();
	t->fn = fn;
	t->arg = arg;
	t->slot = slot;
	t->next = NULL;
	return t;
}

int
ks_offload_post(void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&mu);
	if (started == 0 || stopping) {
		pthread_mutex_unlock(&mu);
		return KS_ERROR;
	}
	enqueue(task_new(fn, arg, -1), 0);
	pthread_mutex_unlock(&mu);
	return KS_OK;
}

int
ks_offload_run(void (*fn)(void *), void *arg)
{
	int i;

	pthread_mutex_lock(&mu);
	/* Only a thread idle now: the caller must not wait behind requests. */
	if (started > 0 && !stopping && head == NULL && idle > 0)
		for (i = 0; i < SLOTS; i++)
			if (!slot_busy[i]) {
				slot_busy[i] = 1;
				slot_done[i] = 0;
				enqueue(task_new(fn, arg, i), 1);
				pthread_mutex_unlock(&mu);
				return i;
			}
	pthread_mutex_unlock(&mu);
	return -1;
}

void
ks_offload_wait(int slot)
{
	if (slot < 0 || slot >= SLOTS)
		return;
	pthread_mutex_lock(&mu);
	while (!slot_done[slot])
		pthread_cond_wait(&finished, &mu);
	slot_busy[slot] = 0;
	slot_done[slot] = 0;
	pthread_mutex_unlock(&mu);
}
