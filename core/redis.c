/*
 * redis.c - one hiredis connection per server thread, with short
 * timeouts, reconnected on the next call after a failure. Sessions,
 * login throttling and rule-cache invalidation live in Redis.
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
get(void)
{
	struct timeval tv = { 1, 0 };

	pthread_once(&tl_once, tl_init);
	if (tl_rc != NULL && tl_rc->err == 0)
		return tl_rc;
	drop();
	tl_rc = redisConnectWithTimeout(ks_conf.redis_host, ks_conf.redis_port,
	    tv);
	if (tl_rc == NULL || tl_rc->err != 0) {
		drop();
		return NULL;
	}
	redisSetTimeout(tl_rc, tv);
	pthread_setspecific(tl_key, tl_rc);
	return tl_rc;
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
		}
		if (i == n)
			return KS_OK;
		while (--i >= 0)
			freeReplyObject(out[i]);
		drop();
	}
	return KS_ERROR;
}

/* One command from an argument vector, with ks_redis_cmd's reconnect. */
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
