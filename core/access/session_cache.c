/*
 * session_cache.c - what a worker last read of a session from Redis,
 * kept for a short time (session_cache_ms, 1 s by default) so that an
 * authenticated request costs no Redis round trip.
 *
 * The cache is only used while this worker holds a subscription to
 * Redis that tells it of every change:
 *   - keyevent notifications (del, hset, hdel, expired, evicted) for the
 *     session hashes ks:s:*: logout, rotation, revocation of a user's
 *     sessions, a password change, idle expiry, or a change made behind
 *     the server's back;
 *   - ks:authz, on which a tenant's epoch move is published (a user or
 *     tenant switched off, roles or team changed): every cached session
 *     of that tenant is forgotten.
 * Redis writes a command's reply and the notifications it caused in one
 * pass of its event loop (the reply first) and reads the next command
 * only after it: the server makes one more round trip after each change
 * (ks_redis_barrier), and before a cached entry is used the socket is
 * polled (no wait) and what arrived is applied first: a revocation whose
 * response went out is seen by the next request on every worker of
 * every node, without waiting for the listener thread to be scheduled.
 *
 * A lookup snapshots a generation number that every notification
 * moves; an entry read from Redis is stored only when the number did
 * not move meanwhile, so an answer older than a revocation is never
 * kept. While the subscription is down (Redis restarted, failover, a
 * PING unanswered for 3 s) the cache is empty and unused: every
 * request asks Redis as before, until the listener subscribed again.
 *
 * The table has a fixed number of slots (bounded memory); a session
 * takes the slot its hash names and replaces what was there.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kasus.h"

#define SLOTS		4096
#define PING_MS		1000
#define PONG_LATE_MS	3000
#define KEY_PREFIX	"ks:s:"

struct entry {
	char		 key[72];	/* "" when empty */
	int64_t		 tenant;
	long long	 abs;		/* absolute expiry, epoch seconds */
	int64_t		 born;		/* monotonic ms */
	char		*blob;		/* "k\0v\0k\0v\0..." */
	size_t		 len;
	int		 nfields;
};

static struct entry table[SLOTS];
static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;

/* The subscription: fd and reader belong to sub_mu. */
static pthread_mutex_t sub_mu = PTHREAD_MUTEX_INITIALIZER;
static redisContext *sub;
static int sub_fd = -1;
static int up;			/* atomic: cache may be used */
static uint64_t gen;		/* atomic: moved by every invalidation */
static int draining;		/* atomic: a drain holds read bytes */
static int64_t last_pong;	/* under sub_mu */

static pthread_t listener;
static int running;		/* atomic */

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
slot_free(struct entry *e)
{
	free(e->blob);
	memset(e, 0, sizeof(*e));
}

static unsigned
slot_of(const char *key)
{
	size_t n = strlen(key);
	unsigned h = 2166136261u;

	/* The key ends in a sha256 in hex: its last characters will do. */
	key += n > 16 ? n - 16 : 0;
	while (*key != '\0')
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h % SLOTS;
}

static void
bump(void)
{
	__atomic_add_fetch(&gen, 1, __ATOMIC_SEQ_CST);
}

static void
forget_all(void)
{
	int i;

	bump();
	pthread_mutex_lock(&table_mu);
	for (i = 0; i < SLOTS; i++)
		if (table[i].key[0] != '\0')
			slot_free(&table[i]);
	pthread_mutex_unlock(&table_mu);
}

static void
forget_key(const char *key)
{
	struct entry *e = &table[slot_of(key)];

	bump();
	pthread_mutex_lock(&table_mu);
	if (strcmp(e->key, key) == 0)
		slot_free(e);
	pthread_mutex_unlock(&table_mu);
}

static void
forget_tenant(int64_t tid)
{
	int i;

	bump();
	pthread_mutex_lock(&table_mu);
	for (i = 0; i < SLOTS; i++)
		if (table[i].key[0] != '\0' && table[i].tenant == tid)
			slot_free(&table[i]);
	pthread_mutex_unlock(&table_mu);
}

/* One reply of the subscription (sub_mu held). */
static void
on_reply(redisReply *r)
{
	const char *kind, *chan, *msg;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return;
	kind = r->element[0]->str;
	if (strcmp(kind, "pong") == 0) {
		last_pong = now_ms();
		return;
	}
	if (strcmp(kind, "message") != 0 || r->elements != 3 ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return;
	chan = r->element[1]->str;
	msg = r->element[2]->str;
	if (strcmp(chan, "ks:authz") == 0)
		forget_tenant(strtoll(msg, NULL, 10));
	else if (strncmp(msg, KEY_PREFIX, sizeof(KEY_PREFIX) - 1) == 0)
		forget_key(msg);
}

/* Down: nothing cached is used until the listener subscribed again. */
static void
go_down(void)
{
	__atomic_store_n(&up, 0, __ATOMIC_SEQ_CST);
	forget_all();
}

/*
 * Apply whatever the subscription's socket holds, without waiting.
 * sub_mu held. End of stream or an error takes the cache down.
 * draining is set from before the first read until what was read is
 * applied: bytes read but not yet applied are in neither the socket nor
 * the cache, and catch_up must then wait for the lock (see there).
 */
static void
drain_read(void)
{
	char buf[16384];
	void *r;
	ssize_t n;

	if (sub == NULL)
		return;
	for (;;) {
		while (redisReaderGetReply(sub->reader, &r) == REDIS_OK &&
		    r != NULL) {
			on_reply(r);
			freeReplyObject(r);
		}
		if (sub->reader->err != 0) {
			go_down();
			return;
		}
		n = read(sub_fd, buf, sizeof(buf));
		if (n > 0) {
			if (redisReaderFeed(sub->reader, buf, (size_t)n) !=
			    REDIS_OK) {
				go_down();
				return;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		go_down();
		return;
	}
}

static void
drain_locked(void)
{
	__atomic_store_n(&draining, 1, __ATOMIC_SEQ_CST);
	drain_read();
	__atomic_store_n(&draining, 0, __ATOMIC_SEQ_CST);
}

/*
 * Notifications that arrived since the last look (see the comment). An
 * empty socket alone is not enough: the listener may have read a
 * notification and not yet applied it (a revocation then served from
 * the cache once, seen under load); while it drains, wait for it.
 */
static void
catch_up(void)
{
	struct pollfd p;

	p.fd = __atomic_load_n(&sub_fd, __ATOMIC_SEQ_CST);
	if (p.fd < 0)
		return;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0 &&
	    !__atomic_load_n(&draining, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&sub_mu);
	drain_locked();
	pthread_mutex_unlock(&sub_mu);
}

uint64_t
ks_session_cache_gen(void)
{
	if (ks_conf.session_cache_ms <= 0 ||
	    !__atomic_load_n(&up, __ATOMIC_SEQ_CST))
		return 0;
	catch_up();
	if (!__atomic_load_n(&up, __ATOMIC_SEQ_CST))
		return 0;
	return __atomic_load_n(&gen, __ATOMIC_SEQ_CST);
}

int
ks_session_cache_get(uint64_t g, struct ks_arena *a, const char *key,
    const char ***kv, int *n)
{
	struct entry *e;
	const char **out, *p;
	int i, hit = 0;

	if (g == 0)
		return 0;
	e = &table[slot_of(key)];
	pthread_mutex_lock(&table_mu);
	if (strcmp(e->key, key) == 0 &&
	    now_ms() - e->born < ks_conf.session_cache_ms &&
	    e->abs >= (long long)time(NULL)) {
		out = ks_arena_alloc(a, sizeof(*out) * 2 * (size_t)e->nfields);
		p = ks_arena_alloc(a, e->len);
		memcpy((char *)p, e->blob, e->len);
		for (i = 0; i < 2 * e->nfields; i++) {
			out[i] = p;
			p += strlen(p) + 1;
		}
		*kv = out;
		*n = e->nfields;
		hit = 1;
	}
	pthread_mutex_unlock(&table_mu);
	return hit;
}

void
ks_session_cache_put(const char *key, uint64_t g, int64_t tenant,
    long long abs, const char *const *kv, int n)
{
	struct entry *e;
	size_t len = 0, l;
	char *blob, *p;
	int i;

	if (g == 0 || strlen(key) >= sizeof(e->key) || n <= 0)
		return;
	for (i = 0; i < 2 * n; i++)
		len += strlen(kv[i]) + 1;
	if ((blob = malloc(len)) == NULL)
		return;
	for (p = blob, i = 0; i < 2 * n; i++) {
		l = strlen(kv[i]) + 1;
		memcpy(p, kv[i], l);
		p += l;
	}
	e = &table[slot_of(key)];
	pthread_mutex_lock(&table_mu);
	/* Under the table's lock: a forget moves gen before it takes it. */
	if (!__atomic_load_n(&up, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&gen, __ATOMIC_SEQ_CST) != g) {
		pthread_mutex_unlock(&table_mu);
		free(blob);
		return;
	}
	free(e->blob);
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->tenant = tenant;
	e->abs = abs;
	e->born = now_ms();
	e->blob = blob;
	e->len = len;
	e->nfields = n;
	pthread_mutex_unlock(&table_mu);
}

/* ------------------------------------------------------------ listener */

/* Keyevent notifications for what sessions undergo, added to any set. */
static int
enable_events(redisContext *c)
{
	static const char need[] = "Eghxe";
	char flags[64];
	const char *p;
	redisReply *r;
	size_t n, n0;
	int ok;

	r = redisCommand(c, "CONFIG GET notify-keyspace-events");
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		if (r != NULL)
			freeReplyObject(r);
		return KS_ERROR;
	}
	snprintf(flags, sizeof(flags), "%s", r->element[1]->str);
	freeReplyObject(r);
	/* "A" stands for "g$lshzxetd": g, h, x and e included. */
	n0 = strlen(flags);
	for (p = need, n = n0; *p != '\0'; p++)
		if (strchr(flags, *p) == NULL && (strchr("ghxe", *p) == NULL ||
		    strchr(flags, 'A') == NULL) && n + 1 < sizeof(flags)) {
			flags[n++] = *p;
			flags[n] = '\0';
		}
	if (strlen(flags) == n0)
		return KS_OK;
	r = redisCommand(c, "CONFIG SET notify-keyspace-events %s", flags);
	ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (r != NULL)
		freeReplyObject(r);
	return ok ? KS_OK : KS_ERROR;
}

static const char *const channels[] = {
	"ks:authz", "__keyevent@0__:del", "__keyevent@0__:hset",
	"__keyevent@0__:hdel", "__keyevent@0__:expired",
	"__keyevent@0__:evicted", NULL
};

static redisContext *
subscribe(void)
{
	struct timeval tv = { 1, 0 };
	redisContext *c;
	redisReply *r;
	const char *argv[8];
	int i, n;

	if ((c = ks_redis_connect(tv)) == NULL)
		return NULL;
	if (enable_events(c) != KS_OK) {
		redisFree(c);
		return NULL;
	}
	argv[0] = "SUBSCRIBE";
	for (n = 1; channels[n - 1] != NULL; n++)
		argv[n] = channels[n - 1];
	if (redisAppendCommandArgv(c, n, argv, NULL) != REDIS_OK) {
		redisFree(c);
		return NULL;
	}
	for (i = 1; i < n; i++) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

static void
unsubscribed(void)
{
	pthread_mutex_lock(&sub_mu);
	__atomic_store_n(&up, 0, __ATOMIC_SEQ_CST);
	if (sub != NULL)
		redisFree(sub);
	sub = NULL;
	__atomic_store_n(&sub_fd, -1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&sub_mu);
	forget_all();
}

static void *
listen_loop(void *arg)
{
	static const char ping[] = "*1\r\n$4\r\nPING\r\n";
	struct pollfd p;
	redisContext *c;
	int64_t pinged = 0;
	int warned = 0, fd;

	(void)arg;
	while (__atomic_load_n(&running, __ATOMIC_SEQ_CST)) {
		if (sub == NULL) {
			if ((c = subscribe()) == NULL) {
				if (!warned)
					ks_log(KS_LOG_WARN, "session cache off: "
					    "no subscription to Redis's "
					    "notifications (yet)");
				warned = 1;
				sleep(1);
				continue;
			}
			fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) |
			    O_NONBLOCK);
			pthread_mutex_lock(&sub_mu);
			sub = c;
			last_pong = pinged = now_ms();
			__atomic_store_n(&sub_fd, c->fd, __ATOMIC_SEQ_CST);
			/* Whatever was cached before may be stale. */
			forget_all();
			__atomic_store_n(&up, 1, __ATOMIC_SEQ_CST);
			drain_locked();
			pthread_mutex_unlock(&sub_mu);
			if (warned)
				ks_log(KS_LOG_INFO, "session cache on again");
			warned = 0;
		}
		fd = __atomic_load_n(&sub_fd, __ATOMIC_SEQ_CST);
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, PING_MS) < 0 && errno != EINTR) {
			unsubscribed();
			continue;
		}
		pthread_mutex_lock(&sub_mu);
		if (p.revents != 0)
			drain_locked();
		if (__atomic_load_n(&up, __ATOMIC_SEQ_CST) &&
		    now_ms() - pinged >= PING_MS) {
			pinged = now_ms();
			if (write(fd, ping, sizeof(ping) - 1) !=
			    (ssize_t)sizeof(ping) - 1 ||
			    pinged - last_pong > PONG_LATE_MS)
				go_down();
		}
		pthread_mutex_unlock(&sub_mu);
		if (!__atomic_load_n(&up, __ATOMIC_SEQ_CST))
			unsubscribed();
	}
	unsubscribed();
	return NULL;
}

void
ks_session_cache_start(void)
{
	if (ks_conf.session_cache_ms <= 0)
		return;
	__atomic_store_n(&running, 1, __ATOMIC_SEQ_CST);
	if (pthread_create(&listener, NULL, listen_loop, NULL) != 0)
		__atomic_store_n(&running, 0, __ATOMIC_SEQ_CST);
}

void
ks_session_cache_stop(void)
{
	int fd;

	if (!__atomic_load_n(&running, __ATOMIC_SEQ_CST))
		return;
	__atomic_store_n(&running, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&sub_mu);
	if ((fd = __atomic_load_n(&sub_fd, __ATOMIC_SEQ_CST)) >= 0)
		shutdown(fd, SHUT_RDWR);
	pthread_mutex_unlock(&sub_mu);
	pthread_join(listener, NULL);
}
