/*
 * config.c - server configuration: built-in defaults, then a file of
 * "key = value" lines, then KASUS_* environment variables (which is how
 * the ops scripts point a process at its local PostgreSQL and Redis).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kasus.h"

struct ks_config ks_conf;

#define MAX_PROXIES	32

/* A trusted proxy: an address and how many leading bits must match. */
struct net {
	int		 v6;
	unsigned char	 a[16];
	int		 bits;
};

static struct net proxies[MAX_PROXIES];
static int nproxies;

enum kind { K_STR, K_INT, K_SIZE, K_LONG, K_LEVEL };

struct key {
	const char	*name;
	const char	*env;
	enum kind	 kind;
	void		*ptr;
	size_t		 len;
};

#define S(f)	K_STR, ks_conf.f, sizeof(ks_conf.f)
#define I(f)	K_INT, &ks_conf.f, 0

static const struct key keys[] = {
	{ "listen", "KASUS_LISTEN", S(listen_addr) },
	{ "port", "KASUS_PORT", I(port) },
	{ "workers", "KASUS_WORKERS", I(workers) },
	{ "threads", "KASUS_THREADS", I(threads) },
	{ "request_threads", "KASUS_REQUEST_THREADS", I(request_threads) },
	{ "connection_limit", NULL, I(conn_limit) },
	{ "connection_timeout", NULL, I(conn_timeout) },
	{ "per_ip_limit", "KASUS_PER_IP_LIMIT", I(per_ip_limit) },
	{ "header_memory_limit", NULL, K_SIZE, &ks_conf.header_mem_limit, 0 },
	{ "db_app", "KASUS_DB_APP", S(db_app) },
	{ "db_owner", "KASUS_DB_OWNER", S(db_owner) },
	{ "redis_host", "KASUS_REDIS_HOST", S(redis_host) },
	{ "redis_port", "KASUS_REDIS_PORT", I(redis_port) },
	{ "redis_sentinels", "KASUS_REDIS_SENTINELS", S(redis_sentinels) },
	{ "redis_master", "KASUS_REDIS_MASTER", S(redis_master) },
	{ "redis_wait_replicas", "KASUS_REDIS_WAIT_REPLICAS",
	    I(redis_wait_replicas) },
	{ "redis_wait_ms", "KASUS_REDIS_WAIT_MS", I(redis_wait_ms) },
	{ "session_idle", "KASUS_SESSION_IDLE", I(session_idle) },
	{ "session_absolute", "KASUS_SESSION_ABSOLUTE", I(session_absolute) },
	{ "session_cache_ms", "KASUS_SESSION_CACHE_MS", I(session_cache_ms) },
	{ "audit_writers", "KASUS_AUDIT_WRITERS", I(audit_writers) },
	{ "login_max_user", "KASUS_LOGIN_MAX_USER", I(login_max_user) },
	{ "login_max_ip", "KASUS_LOGIN_MAX_IP", I(login_max_ip) },
	{ "login_window", "KASUS_LOGIN_WINDOW", I(login_window) },
	{ "scrypt_log2n", "KASUS_SCRYPT_LOG2N", I(scrypt_log2n) },
	{ "behind_tls", "KASUS_BEHIND_TLS", I(behind_tls) },
	{ "demo", "KASUS_DEMO", I(demo) },
	{ "root", "KASUS_ROOT", S(root) },
	{ "modules", "KASUS_MODULES", S(modules) },
	{ "module_dir", "KASUS_MODULE_DIR", S(module_dir) },
	{ "log_level", "KASUS_LOG_LEVEL", K_LEVEL, &ks_conf.log_level, 0 },
	{ "rules_memory", "KASUS_RULES_MEMORY", K_LONG, &ks_conf.rules_memory, 0 },
	{ "rules_instructions", "KASUS_RULES_INSTRUCTIONS", K_LONG,
	    &ks_conf.rules_instructions, 0 },
	{ "rules_timeout_ms", "KASUS_RULES_TIMEOUT_MS", I(rules_timeout_ms) },
	{ "rules_cache_memory", "KASUS_RULES_CACHE_MEMORY", K_LONG,
	    &ks_conf.rules_cache_memory, 0 },
	{ "master_key", "KASUS_MASTER_KEY", S(master_key) },
	{ "audit_anchor_dir", "KASUS_AUDIT_ANCHOR_DIR", S(audit_anchor_dir) },
	{ "key_dir", "KASUS_KEY_DIR", S(key_dir) },
	{ "audit_seal_ms", "KASUS_AUDIT_SEAL_MS", I(audit_seal_ms) },
	{ "trusted_proxies", "KASUS_TRUSTED_PROXIES", S(trusted_proxies) },
	{ "job_threads", "KASUS_JOB_THREADS", I(job_threads) },
	{ "job_poll_ms", "KASUS_JOB_POLL_MS", I(job_poll_ms) },
	{ "job_schedule_s", "KASUS_JOB_SCHEDULE_S", I(job_schedule_s) },
	{ "job_keep_days", "KASUS_JOB_KEEP_DAYS", I(job_keep_days) },
	{ "user", "KASUS_USER", S(user) },
	{ "timezone", "KASUS_TIMEZONE", S(timezone) },
	{ "seccomp", "KASUS_SECCOMP", I(seccomp) },
	{ NULL, NULL, 0, NULL, 0 }
};

static void
defaults(void)
{
	memset(&ks_conf, 0, sizeof(ks_conf));
	strcpy(ks_conf.listen_addr, "127.0.0.1");
	ks_conf.port = 8080;
	ks_conf.workers = 0;
	/*
	 * One connection thread per worker, and a worker per CPU: a
	 * thread with every connection of its worker finds more of them
	 * ready at each wakeup, and the trivial route is then as fast as
	 * the bare server (four threads per worker: 0.84 of it, each
	 * sleeping and waking twice as often), and more parked reads go to
	 * PostgreSQL in one batch (core/http/http.c). It answers the reads,
	 * which wait on the local PostgreSQL for tens of microseconds; writes
	 * and the long reads (a login's password hash, a document, a job
	 * waited for) go to the request threads with their connection
	 * suspended, so none holds the others up (core/lib/offload.c, issue
	 * 13). With PostgreSQL on another host an unparked read waits for
	 * the network: more threads then keep the CPU busy
	 * (conf/production.conf.example).
	 */
	ks_conf.threads = 1;
	ks_conf.request_threads = 4;
	ks_conf.conn_limit = 1024;
	ks_conf.conn_timeout = 30;
	ks_conf.per_ip_limit = 256;
	/*
	 * libmicrohttpd's memory per connection: the request's headers (up
	 * to about 12 KB of them with 16 KB; 431 beyond, as Node.js's 16 KB
	 * default), the answer's head, the read buffer. It zeroes the whole
	 * pool after every request of a keep-alive connection: with 32 KB
	 * that memset was 49,000 of the 56,000 instructions of a bare
	 * libmicrohttpd request (and of 61,000 of GET /api/v1/ping), with
	 * 16 KB 24,600 (callgrind; issue 13).
	 */
	ks_conf.header_mem_limit = 16 * 1024;
	strcpy(ks_conf.redis_host, "127.0.0.1");
	ks_conf.redis_port = 6379;
	strcpy(ks_conf.redis_master, "kasus");
	ks_conf.redis_wait_ms = 200;
	ks_conf.session_idle = 30 * 60;
	ks_conf.session_absolute = 10 * 3600;
	ks_conf.session_cache_ms = 1000;
	ks_conf.audit_writers = 4;
	ks_conf.login_max_user = 5;
	ks_conf.login_max_ip = 50;
	ks_conf.login_window = 15 * 60;
	ks_conf.scrypt_log2n = 15;
	strcpy(ks_conf.root, ".");
	strcpy(ks_conf.module_dir, "build/release/modules");
	ks_conf.log_level = KS_LOG_INFO;
	ks_conf.rules_memory = 32L * 1024 * 1024;
	ks_conf.rules_instructions = 20000000L;
	ks_conf.rules_timeout_ms = 2000;
	ks_conf.audit_seal_ms = 2000;
	ks_conf.rules_cache_memory = 24L * 1024 * 1024;
	ks_conf.job_threads = 1;
	ks_conf.job_poll_ms = 1000;
	ks_conf.job_schedule_s = 60;
	ks_conf.job_keep_days = 30;
	strcpy(ks_conf.user, "kasus");
	strcpy(ks_conf.timezone, "Europe/Zurich");
	ks_conf.seccomp = 1;
}

static int
set(const struct key *k, const char *v, char *err, size_t errlen)
{
	char *end;
	long long n;

	switch (k->kind) {
	case K_STR:
		if (strlen(v) >= k->len) {
			snprintf(err, errlen, "%s is too long", k->name);
			return KS_ERROR;
		}
		strcpy(k->ptr, v);
		return KS_OK;
	case K_LEVEL:
		if (ks_log_parse_level(v, k->ptr) != KS_OK) {
			snprintf(err, errlen, "log_level must be debug, info, "
			    "warn or error");
			return KS_ERROR;
		}
		return KS_OK;
	default:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 0 ||
		    n > 1000000000) {
			snprintf(err, errlen, "%s must be a whole number", k->name);
			return KS_ERROR;
		}
		if (k->kind == K_SIZE)
			*(size_t *)k->ptr = (size_t)n;
		else if (k->kind == K_LONG)
			*(long *)k->ptr = (long)n;
		else
			*(int *)k->ptr = (int)n;
		return KS_OK;
	}
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
load_file(const char *path, char *err, size_t errlen)
{
	char line[1024], *k, *v, *eq;
	const struct key *kp;
	int lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read configuration %s", path);
		return KS_ERROR;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		k = trim(line);
		if (*k == '#' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected key = value",
			    path, lineno);
			fclose(f);
			return KS_ERROR;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		for (kp = keys; kp->name != NULL; kp++)
			if (strcmp(kp->name, k) == 0)
				break;
		if (kp->name == NULL) {
			snprintf(err, errlen, "%s:%d: unknown key %s", path,
			    lineno, k);
			fclose(f);
			return KS_ERROR;
		}
		if (set(kp, v, err, errlen) != KS_OK) {
			fclose(f);
			return KS_ERROR;
		}
	}
	fclose(f);
	return KS_OK;
}

/* Text to address; an IPv4-mapped IPv6 address counts as IPv4. */
static int
addr_parse(const char *s, struct net *n)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, s, n->a) == 1) {
		n->bits = 32;
		return KS_OK;
	}
	if (inet_pton(AF_INET6, s, n->a) != 1)
		return KS_ERROR;
	if (memcmp(n->a, mapped, 12) == 0) {
		memmove(n->a, n->a + 12, 4);
		memset(n->a + 4, 0, 12);
		n->bits = 32;
		return KS_OK;
	}
	n->v6 = 1;
	n->bits = 128;
	return KS_OK;
}

/* "a, b/24, c:d::/64" into proxies[]. */
static int
proxies_parse(char *err, size_t errlen)
{
	char buf[sizeof(ks_conf.trusted_proxies)], *tok, *save, *slash, *e;
	struct net n;
	long bits;

	nproxies = 0;
	snprintf(buf, sizeof(buf), "%s", ks_conf.trusted_proxies);
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if ((slash = strchr(tok, '/')) != NULL)
			*slash++ = '\0';
		if (nproxies == MAX_PROXIES || addr_parse(tok, &n) != KS_OK)
			goto bad;
		if (slash != NULL) {
			errno = 0;
			bits = strtol(slash, &e, 10);
			if (errno != 0 || e == slash || *e != '\0' ||
			    bits < 0 || bits > n.bits)
				goto bad;
			n.bits = (int)bits;
		}
		proxies[nproxies++] = n;
	}
	return KS_OK;
bad:
	snprintf(err, errlen, "trusted_proxies: \"%s\" is not an address or "
	    "range (a.b.c.d, a.b.c.d/n, IPv6, at most %d)", tok, MAX_PROXIES);
	return KS_ERROR;
}

int
ks_trusted_proxy(const char *ip)
{
	struct net n;
	int i, full, rest;

	if (nproxies == 0 || addr_parse(ip, &n) != KS_OK)
		return 0;
	for (i = 0; i < nproxies; i++) {
		if (proxies[i].v6 != n.v6)
			continue;
		full = proxies[i].bits / 8;
		rest = proxies[i].bits % 8;
		if (memcmp(proxies[i].a, n.a, (size_t)full) != 0)
			continue;
		if (rest == 0 || ((proxies[i].a[full] ^ n.a[full]) &
		    (0xff << (8 - rest))) == 0)
			return 1;
	}
	return 0;
}

/*
 * The service's day is the canton's, not the machine's: "today" (a
 * deadline's start, a payment's date, the period of a daily job) and
 * PostgreSQL's current_date and timestamps follow the configured zone,
 * whatever the machine's clock says (containers run in UTC, where the
 * day changes an hour or two after Switzerland's). TZ for this process
 * (read before the system call filter), PGTZ for every connection libpq
 * opens. The log stays in UTC.
 */
static int
timezone_set(char *err, size_t errlen)
{
	const char *tz = ks_conf.timezone, *dir = getenv("TZDIR");
	char path[512];
	size_t i;

	for (i = 0; tz[i] != '\0'; i++)
		if (!isalnum((unsigned char)tz[i]) && strchr("/_+-", tz[i]) ==
		    NULL)
			break;
	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir :
	    "/usr/share/zoneinfo", tz);
	if (*tz == '\0' || tz[i] != '\0' || *tz == '/' ||
	    access(path, R_OK) != 0) {
		snprintf(err, errlen, "timezone \"%s\" is not a zone of the "
		    "time zone database (e.g. Europe/Zurich; package tzdata)",
		    tz);
		return KS_ERROR;
	}
	if (setenv("TZ", tz, 1) != 0 || setenv("PGTZ", tz, 1) != 0) {
		snprintf(err, errlen, "timezone: %s", strerror(errno));
		return KS_ERROR;
	}
	tzset();
	return KS_OK;
}

int
ks_config_load(const char *path, char *err, size_t errlen)
{
	const struct key *kp;
	const char *v;

	defaults();
	if (path != NULL && load_file(path, err, errlen) != KS_OK)
		return KS_ERROR;
	for (kp = keys; kp->name != NULL; kp++) {
		if (kp->env == NULL || (v = getenv(kp->env)) == NULL)
			continue;
		if (set(kp, v, err, errlen) != KS_OK)
			return KS_ERROR;
	}
	if (ks_conf.workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		ks_conf.workers = n > 0 ? (int)n : 1;
	}
	if (ks_conf.threads < 1)
		ks_conf.threads = 1;
	if (ks_conf.request_threads < 0 || ks_conf.request_threads > 64) {
		snprintf(err, errlen,
		    "request_threads must be between 0 and 64");
		return KS_ERROR;
	}
	if (ks_conf.scrypt_log2n < 10 || ks_conf.scrypt_log2n > 20) {
		snprintf(err, errlen, "scrypt_log2n must be between 10 and 20");
		return KS_ERROR;
	}
	if (proxies_parse(err, errlen) != KS_OK)
		return KS_ERROR;
	if (ks_conf.audit_writers < 1 || ks_conf.audit_writers > 16) {
		snprintf(err, errlen, "audit_writers must be between 1 and 16");
		return KS_ERROR;
	}
	if (ks_conf.job_threads > 16 || ks_conf.job_poll_ms < 50 ||
	    ks_conf.job_poll_ms > 60000 || ks_conf.job_schedule_s < 1 ||
	    ks_conf.job_schedule_s > 3600 || ks_conf.job_keep_days < 1) {
		snprintf(err, errlen, "job_threads is 0 to 16, job_poll_ms 50 "
		    "to 60000, job_schedule_s 1 to 3600, job_keep_days at "
		    "least 1");
		return KS_ERROR;
	}
	if (timezone_set(err, errlen) != KS_OK)
		return KS_ERROR;
	ks_log_set_level(ks_conf.log_level);
	return KS_OK;
}
