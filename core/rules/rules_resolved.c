/*
 * rules_resolved.c - which pack, and which of the tenant's rule data, is
 * in force for a tenant, a name and a date, as this thread last read it
 * from PostgreSQL: an evaluation then needs no round trip at all (the
 * compiled code and the converted data are kept by their checksums in
 * rules.c). The round trip was two thirds of a rule evaluation's cost
 * (issue 13): 12,000-13,000 evaluations a second through the API with
 * it, 40,000-44,000 without.
 *
 * Unlike the compiled states, a resolution is not named by its content:
 * a pack approved or retired, or rule data saved, changes what is in
 * force. Every such change moves ks_rules_gen in its own worker and is
 * published on ks:invalidate after its commit, with one more round trip
 * to Redis (ks_redis_barrier) before its answer goes out, so that the
 * message is in every subscriber's socket by then (rules_api.c,
 * rules_data.c). An entry is used only
 *   - while this worker has heard every invalidation published so far
 *     (ks_rules_heard_all: subscribed, nothing unread on the socket),
 *   - when ks_rules_gen has not moved since the read that filled it
 *     (read before that read: an answer older than a change is never
 *     kept), and
 *   - for at most MAX_AGE seconds, for a change made behind the
 *     server's back (SQL by hand).
 * A change is therefore seen by the next request on every worker of
 * every node, as the session cache sees a revocation.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

#define SLOTS		64	/* per thread; a slot's newest replaces it */
#define MAX_AGE		5.0	/* seconds */

struct entry {
	char		 key[KS_RULES_KEY];
	unsigned	 gen;
	double		 born;
	PGresult	*r;
};

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static __thread struct entry *slots;

static void
slots_free(void *p)
{
	struct entry *e = p;
	int i;

	for (i = 0; i < SLOTS; i++)
		PQclear(e[i].r);
	free(e);
}

static void
tl_init(void)
{
	pthread_key_create(&tl_key, slots_free);
}

static struct entry *
slot_of(const char *key)
{
	uint32_t h = 2166136261u;
	const char *p;

	if (slots == NULL) {
		pthread_once(&tl_once, tl_init);
		if ((slots = calloc(SLOTS, sizeof(*slots))) == NULL)
			abort();
		pthread_setspecific(tl_key, slots);
	}
	for (p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &slots[h % SLOTS];
}

PGresult *
ks_rules_resolved(const struct ks_request *req, int qid, const char *name,
    const char *date, struct ks_rules_ticket *t)
{
	struct entry *e;

	snprintf(t->key, sizeof(t->key), "%lld|%d|%s|%s",
	    (long long)ks_db_tenant(req), qid, name, date);
	/* In this order: the socket, then the generation (see above). */
	t->keep = ks_rules_heard_all();
	t->gen = __atomic_load_n(&ks_rules_gen, __ATOMIC_SEQ_CST);
	if (!t->keep)
		return NULL;
	e = slot_of(t->key);
	if (e->r != NULL && e->gen == t->gen && ks_now() - e->born < MAX_AGE &&
	    strcmp(e->key, t->key) == 0) {
		/* The slot is the thread's: its holder must not park. */
		ks_fiber_pin();
		return e->r;
	}
	return NULL;
}

void
ks_rules_resolved_keep(const struct ks_rules_ticket *t, const PGresult *r)
{
	struct entry *e;
	PGresult *copy;

	if (!t->keep || (copy = PQcopyResult(r, PG_COPYRES_ATTRS |
	    PG_COPYRES_TUPLES)) == NULL)
		return;
	e = slot_of(t->key);
	PQclear(e->r);
	e->r = copy;
	e->gen = t->gen;
	e->born = ks_now();
	memcpy(e->key, t->key, sizeof(e->key));
}
