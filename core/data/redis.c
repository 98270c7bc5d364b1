/*
 * redis.c - one hiredis connection per server thread, with short
 * timeouts, reconnected on the next call after a failure. Sessions,
 * login throttling and rule-cache invalidation live in Redis.
 *
 * With redis_sentinels set, the master is whatever the sentinels name
 * (the first that answers), checked with ROLE, and looked up again on
 * every reconnect; a connection that finds itself on a replica (READONLY,
 * after a failover demoted its server) is dropped and the call retried.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "kasus.h"

#define EVAL_MAX_ARGS	48

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static __thread redisContext *tl_rc;

static void
tl_destroy(void *p)
{
	redisFree(p);
}

static void
tl_init(void)
{
	pthread_key_create(&tl_key, tl_destroy);
}

static void
drop(void)
{
	if (tl_rc != NULL)
		redisFree(tl_rc);
	tl_rc = NULL;
	pthread_setspecific(tl_key, NULL);
}

static redisContext *
connect_to(const char *host, int port, struct timeval tv)
{
	redisContext *c = redisConnectWithTimeout(host, port, tv);

	if (c != NULL && c->err != 0) {
		redisFree(c);
		return NULL;
	}
	if (c != NULL)
		redisSetTimeout(c, tv);
	return c;
}

/* Ask one sentinel ("host:port") for the master's address. */
static int
ask_sentinel(const char *hp, size_t n, char *host, size_t hlen, int *port)
{
	struct timeval tv = { 0, 300000 };
	char h[128];
	redisContext *c;
	redisReply *r;
	const char *colon;
	int ok = 0;

	colon = memchr(hp, ':', n);
	if (colon == NULL || (size_t)(colon - hp) >= sizeof(h))
		return 0;
	snprintf(h, sizeof(h), "%.*s", (int)(colon - hp), hp);
	if ((c = connect_to(h, atoi(colon + 1), tv)) == NULL)
		return 0;
	r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
	    ks_conf.redis_master);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		snprintf(host, hlen, "%s", r->element[0]->str);
		*port = atoi(r->element[1]->str);
		ok = 1;
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return ok;
}

/* Keep c only when its server says it is a master. */
static redisContext *
if_master(redisContext *c)
{
	redisReply *r;
	int master;

	if (c == NULL)
		return NULL;
	r = redisCommand(c, "ROLE");
	master = r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    r->elements > 0 && r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;
	if (r != NULL)
		freeReplyObject(r);
	if (!master) {
		redisFree(c);
		return NULL;
	}
	return c;
}

redisContext *
ks_redis_connect(struct timeval tv)
{
	const char *s = ks_conf.redis_sentinels, *e;
	char host[128];
	int port;
	redisContext *c;

	if (*s == '\0')
		return connect_to(ks_conf.redis_host, ks_conf.redis_port, tv);
	/* Each sentinel in turn: one may not have seen the failover yet. */
	while (*s != '\0') {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		while (*s == ' ')
			s++;
		if (ask_sentinel(s, (size_t)(e - s), host, sizeof(host),
		    &port) && (c = if_master(connect_to(host, port, tv))) !=
		    NULL)
			return c;
		s = *e == ',' ? e + 1 : e;
	}
	return NULL;
}

static redisContext *
get(void)
{
	struct timeval tv = { 1, 0 };

	pthread_once(&tl_once, tl_init);
	if (tl_rc != NULL && tl_rc->err == 0)
		return tl_rc;
	drop();
	if ((tl_rc = ks_redis_connect(tv)) == NULL)
		return NULL;
	pthread_setspecific(tl_key, tl_rc);
	return tl_rc;
}

/* A demoted master answers writes with READONLY: find the new one. */
static int
on_replica(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ERROR && r->str != NULL &&
	    strncmp(r->str, "READONLY", 8) == 0;
}

struct redisReply *
ks_redis_cmd(const char *fmt, ...)
{
	redisContext *c;
	redisReply *r = NULL;
	va_list ap;
	int attempt;

	for (attempt = 0; attempt < 2 && r == NULL; attempt++) {
		if ((c = get()) == NULL)
			return NULL;
		va_start(ap, fmt);
		r = redisvCommand(c, fmt, ap);
		va_end(ap);
		if (on_replica(r)) {
			freeReplyObject(r);
			r = NULL;
		}
		if (r == NULL)
			drop();
	}
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		ks_log(KS_LOG_WARN, "redis error: %s", r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

int
ks_redis_pipe(int n, const char **fmts, const char *const *a1,
    const char *const *a2, struct redisReply **out)
{
	redisContext *c;
	void *r;
	int i, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((c = get()) == NULL)
			return KS_ERROR;
		for (i = 0; i < n; i++)
			redisAppendCommand(c, fmts[i], a1[i], a2 ? a2[i] : NULL);
		for (i = 0; i < n; i++) {
			if (redisGetReply(c, &r) != REDIS_OK)
				break;
			out[i] = r;
			if (on_replica(r)) {
				i++;
				break;
			}
		}
		if (i == n && !on_replica(out[n - 1]))
			return KS_OK;
		while (--i >= 0)
			freeReplyObject(out[i]);
		drop();
	}
	return KS_ERROR;
}

/*
 * One command from an argument vector, with ks_redis_cmd's reconnect (a
 * script that writes fails on a demoted master as any write does).
 */
static redisReply *
argv_cmd(int argc, const char **argv)
{
	redisContext *c;
	redisReply *r = NULL;
	int attempt;

	for (attempt = 0; attempt < 2 && r == NULL; attempt++) {
		if ((c = get()) == NULL)
			return NULL;
		r = redisCommandArgv(c, argc, argv, NULL);
		if (on_replica(r)) {
			freeReplyObject(r);
			r = NULL;
		}
		if (r == NULL)
			drop();
	}
	return r;
}

struct redisReply *
ks_redis_eval(const char *script, int nkeys, int n, const char *const *args)
{
	const char *argv[EVAL_MAX_ARGS + 3];
	unsigned char md[EVP_MAX_MD_SIZE];
	static const char hx[] = "0123456789abcdef";
	char sha[41], nk[16];
	unsigned int mdlen, i;
	redisReply *r;

	if (n < 0 || n > EVAL_MAX_ARGS || nkeys > n)
		abort();	/* a broken invariant: the caller's table */
	if (EVP_Digest(script, strlen(script), md, &mdlen, EVP_sha1(),
	    NULL) != 1 || mdlen != 20)
		return NULL;
	for (i = 0; i < 20; i++) {
		sha[2 * i] = hx[md[i] >> 4];
		sha[2 * i + 1] = hx[md[i] & 15];
	}
	sha[40] = '\0';
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVALSHA";
	argv[1] = sha;
	argv[2] = nk;
	memcpy(argv + 3, args, (size_t)n * sizeof(*args));
	r = argv_cmd(n + 3, argv);
	/* The script cache is empty after a Redis restart: send it once. */
	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(r);
		argv[0] = "EVAL";
		argv[1] = script;
		r = argv_cmd(n + 3, argv);
	}
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		ks_log(KS_LOG_WARN, "redis script error: %s", r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

void
ks_redis_free(struct redisReply *r)
{
	if (r != NULL)
		freeReplyObject(r);
}

int
ks_redis_ping(void)
{
	redisReply *r = ks_redis_cmd("PING");

	if (r == NULL)
		return KS_ERROR;
	freeReplyObject(r);
	return KS_OK;
}

int
ks_redis_barrier(void)
{
	return ks_redis_ping();
}

int
ks_redis_durable(void)
{
	redisReply *r;
	int n;

	if (ks_conf.redis_wait_replicas <= 0)
		return KS_OK;
	r = ks_redis_cmd("WAIT %d %d", ks_conf.redis_wait_replicas,
	    ks_conf.redis_wait_ms);
	n = r != NULL && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
	ks_redis_free(r);
	if (n < ks_conf.redis_wait_replicas) {
		ks_log(KS_LOG_WARN, "redis: %d of %d replicas confirmed a "
		    "session", n < 0 ? 0 : n, ks_conf.redis_wait_replicas);
		return KS_ERROR;
	}
	return KS_OK;
}
