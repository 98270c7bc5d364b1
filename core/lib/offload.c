/*
 * offload.c - helper threads of a worker for CPU work beside the calling
 * thread's (the payment export's file is checked against the bank's
 * schema while it is written, in two parts at once for a run of some
 * hundred payments: ks_iso_pain001_write_checked).
 *
 * A worker's threads start before its seccomp filter, which has no
 * clone: the helpers are started with the others (ks_offload_start in
 * main.c) and wait for work. ks_offload_run hands fn(arg) to an idle
 * helper; with none idle (or none started: the command-line tools, the
 * unit tests) it answers -1 and the caller runs fn itself. Every slot
 * handed out is waited for with ks_offload_wait.
 */
#include <pthread.h>

#include "kasus.h"

#define HELPERS	2

struct helper {
	pthread_t	  th;
	void		(*fn)(void *);
	void		 *arg;
	int		  busy;		/* handed out, not yet waited for */
	int		  done;		/* fn returned */
};

static struct helper helpers[HELPERS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static int started, stopping;

/* Work handed out is done even when the worker stops meanwhile. */
static void *
helper_main(void *p)
{
	struct helper *h = p;
	void (*fn)(void *);

	pthread_mutex_lock(&mu);
	for (;;) {
		while (!stopping && h->fn == NULL)
			pthread_cond_wait(&work, &mu);
		if ((fn = h->fn) == NULL)
			break;	/* stopping, nothing handed out */
		pthread_mutex_unlock(&mu);
		fn(h->arg);
		pthread_mutex_lock(&mu);
		h->fn = NULL;
		h->done = 1;
		pthread_cond_broadcast(&finished);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

void
ks_offload_start(void)
{
	int i;

	pthread_mutex_lock(&mu);
	stopping = 0;
	for (i = 0; i < HELPERS; i++) {
		helpers[i].busy = helpers[i].done = 0;
		helpers[i].fn = NULL;
		if (pthread_create(&helpers[i].th, NULL, helper_main,
		    &helpers[i]) != 0)
			break;
	}
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
		pthread_join(helpers[i].th, NULL);
}

int
ks_offload_run(void (*fn)(void *), void *arg)
{
	int i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < started && !stopping; i++)
		if (!helpers[i].busy) {
			helpers[i].busy = 1;
			helpers[i].done = 0;
			helpers[i].fn = fn;
			helpers[i].arg = arg;
			pthread_cond_broadcast(&work);
			pthread_mutex_unlock(&mu);
			return i;
		}
	pthread_mutex_unlock(&mu);
	return -1;
}

void
ks_offload_wait(int slot)
{
	if (slot < 0 || slot >= HELPERS)
		return;
	pthread_mutex_lock(&mu);
	while (!helpers[slot].done)
		pthread_cond_wait(&finished, &mu);
	helpers[slot].busy = 0;
	helpers[slot].done = 0;
	pthread_mutex_unlock(&mu);
}
