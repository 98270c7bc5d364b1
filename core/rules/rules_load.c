/*
 * rules_load.c - rule packs from files and cache invalidation.
 *
 * At start-up the parent imports plugins/<pack>/pack.json (canton-wide,
 * owned by the canton's tenant) and tenants/<slug>/rules/<pack>/pack.json
 * (a tenant's own) as approved initial versions when that name and
 * version is not stored yet; the files are reviewed in the repository.
 * Later versions are made through the API. Each worker listens on the
 * Redis channel ks:invalidate and drops its compiled states when a pack is
 * approved or retired anywhere in the deployment.
 */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kasus.h"
#include "queries.h"

/*
 * The text a pack.json stands for: a code pack's Lua source file, or a
 * data pack's "data" as sorted compact JSON (its checksum is stable).
 * path gets the file the text comes from.
 */
static char *
pack_text(json_t *doc, const char *dir, const char *kind, char *path,
    size_t *len)
{
	const char *file = json_string_value(json_object_get(doc, "source"));
	char *text;

	if (strcmp(kind, "data") == 0) {
		if (!json_is_object(json_object_get(doc, "data")))
			return NULL;
		text = json_dumps(json_object_get(doc, "data"), JSON_COMPACT |
		    JSON_SORT_KEYS);
		*len = text ? strlen(text) : 0;
		return text;
	}
	if (file == NULL || strchr(file, '/'))
		return NULL;
	snprintf(path, 1024, "%s/%s", dir, file);
	return ks_file_read(path, 4 * 1024 * 1024, len);
}

/* Import one pack folder into the tenant of req; 0 when done or present. */
static int
import_pack(struct ks_request *req, const char *dir)
{
	char path[1024], sha[65], *src = NULL, *exs = NULL;
	const char *v[11];
	json_t *doc;
	json_error_t je;
	PGresult *r;
	size_t len;
	int rc = KS_ERROR;

	snprintf(path, sizeof(path), "%s/pack.json", dir);
	if ((doc = json_load_file(path, 0, &je)) == NULL) {
		ks_log(KS_LOG_ERROR, "rule pack %s: %s (line %d)", path,
		    je.text, je.line);
		return KS_ERROR;
	}
	v[0] = json_string_value(json_object_get(doc, "name"));
	v[1] = json_string_value(json_object_get(doc, "version"));
	v[2] = json_string_value(json_object_get(doc, "valid_from"));
	v[9] = json_string_value(json_object_get(doc, "kind"));
	if (v[9] == NULL)
		v[9] = "code";
	if (!v[0] || !v[1] || !v[2] || (strcmp(v[9], "code") != 0 &&
	    strcmp(v[9], "data") != 0)) {
		ks_log(KS_LOG_ERROR, "rule pack %s needs name, version, "
		    "valid_from and kind code (with source) or data", path);
		goto out;
	}
	r = ks_db_q(req, Q_RULE_EXISTS, 3, (const char *[]){ v[0], v[1],
	    v[9] });
	if (r == NULL)
		goto out;
	if (PQntuples(r) == 1) {
		rc = KS_OK;
		goto out;
	}
	if ((src = pack_text(doc, dir, v[9], path, &len)) == NULL) {
		ks_log(KS_LOG_ERROR, "rule pack %s: no source file or data",
		    path);
		goto out;
	}
	if (strcmp(v[9], "code") == 0 &&
	    ks_rules_check(req, v[0], src, len) != KS_OK) {
		ks_log(KS_LOG_ERROR, "rule pack %s does not compile", path);
		goto out;
	}
	ks_sha256_hex(src, len, sha);
	exs = json_dumps(json_object_get(doc, "examples") ?
	    json_object_get(doc, "examples") : json_array(), JSON_COMPACT);
	v[3] = src;
	v[4] = sha;
	v[5] = exs;
	v[6] = NULL;
	v[7] = "approved";
	v[8] = path + strlen(ks_conf.root) + 1;
	v[10] = NULL;
	if (ks_db_q(req, Q_RULE_INSERT, 11, v) == NULL ||
	    ks_audit(req, "rule_pack_imported", "rule_pack", v[0], NULL, NULL,
	    json_pack("{s:s,s:s,s:s,s:s}", "version", v[1], "kind", v[9],
	    "sha256", sha, "file", v[8])) != KS_OK)
		goto out;
	ks_log(KS_LOG_INFO, "imported rule %s %s %s from %s", v[9], v[0],
	    v[1], v[8]);
	rc = KS_OK;
out:
	free(src);
	free(exs);
	json_decref(doc);
	return rc;
}

/*
 * Import every pack folder under dir for one tenant, each in its own
 * transaction: a broken folder is reported and skipped, the rest load.
 */
static int
import_dir(int64_t tenant, const char *dir)
{
	struct ks_request req;
	struct dirent *de;
	char sub[1024];
	DIR *d;
	int rc = KS_OK, one;

	if ((d = opendir(dir)) == NULL)
		return KS_OK;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		memset(&req, 0, sizeof(req));
		req.arena = ks_arena_new(8192);
		strcpy(req.id, "startup");
		req.who.tenant_id = tenant;
		one = import_pack(&req, sub);
		if (ks_db_finish(&req, one == KS_OK) != KS_OK || one != KS_OK)
			rc = KS_ERROR;
		json_decref(req.err.detail);
		ks_arena_free(req.arena);
	}
	closedir(d);
	return rc;
}

static int64_t
lookup(int qid, const char *arg)
{
	struct ks_request req;
	PGresult *r;
	int64_t id = 0;

	memset(&req, 0, sizeof(req));
	req.arena = ks_arena_new(1024);
	if ((r = ks_db_q(&req, qid, arg ? 1 : 0, &arg)) != NULL &&
	    PQntuples(r) == 1)
		id = ks_db_getll(r, 0, "id");
	ks_db_finish(&req, 1);
	json_decref(req.err.detail);
	ks_arena_free(req.arena);
	return id;
}

int
ks_rules_import(void)
{
	char dir[1024];
	struct dirent *de;
	int64_t tid;
	DIR *d;
	int rc = KS_OK;

	if ((tid = lookup(Q_CANTON_TENANT, NULL)) > 0) {
		snprintf(dir, sizeof(dir), "%s/plugins", ks_conf.root);
		if (import_dir(tid, dir) != KS_OK)
			rc = KS_ERROR;
	} else
		ks_log(KS_LOG_WARN, "no canton tenant yet: canton rule packs "
		    "not imported");
	snprintf(dir, sizeof(dir), "%s/tenants", ks_conf.root);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    (tid = lookup(Q_TENANT_ID_BY_SLUG, de->d_name)) <= 0)
				continue;
			snprintf(dir, sizeof(dir), "%s/tenants/%s/rules",
			    ks_conf.root, de->d_name);
			if (import_dir(tid, dir) != KS_OK)
				rc = KS_ERROR;
		}
		closedir(d);
	}
	ks_db_thread_close();
	return rc;
}

/* ------------------------------------------------------- invalidation */

static pthread_t listener;
static volatile int listening;
static pthread_mutex_t listen_lock = PTHREAD_MUTEX_INITIALIZER;
static int listen_fd = -1;
/*
 * 1 from the moment the socket is readable until what was read has been
 * applied: with listen_fd and the socket's own readiness it tells
 * ks_rules_heard_all whether a message is on its way in.
 */
static int unheard;

/* "rules:<sha>" drops compiled states, "modules:<tenant>" a switch cache. */
static void
on_message(redisReply *r)
{
	const char *p;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return;
	p = r->element[2]->str;
	if (strncmp(p, "modules:", 8) == 0)
		ks_modules_forget(strtoll(p + 8, NULL, 10));
	else
		ks_rules_invalidate();
}

static void *
listen_loop(void *arg)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = NULL;
	struct pollfd p;
	void *reply;

	(void)arg;
	while (__atomic_load_n(&listening, __ATOMIC_RELAXED)) {
		if (c == NULL) {
			c = ks_redis_connect(tv);
			/* Then wait for messages as long as it takes. */
			if (c != NULL)
				redisSetTimeout(c, (struct timeval){ 0, 0 });
			if (c == NULL ||
			    (reply = redisCommand(c, "SUBSCRIBE ks:invalidate")) ==
			    NULL) {
				if (c != NULL)
					redisFree(c);
				c = NULL;
				sleep(1);
				continue;
			}
			freeReplyObject(reply);
			/* Anything may have changed while we were away. */
			ks_rules_invalidate();
			pthread_mutex_lock(&listen_lock);
			listen_fd = c->fd;
			__atomic_store_n(&unheard, 0, __ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&listen_lock);
			if (!__atomic_load_n(&listening, __ATOMIC_RELAXED))
				break;
		}
		/* Blocks until a message; stop() shuts the socket down. */
		p = (struct pollfd){ c->fd, POLLIN, 0 };
		if (poll(&p, 1, -1) < 0)
			continue;
		__atomic_store_n(&unheard, 1, __ATOMIC_SEQ_CST);
		if (redisGetReply(c, &reply) != REDIS_OK) {
			pthread_mutex_lock(&listen_lock);
			listen_fd = -1;
			pthread_mutex_unlock(&listen_lock);
			redisFree(c);
			c = NULL;
			continue;
		}
		/* And whatever came with it into hiredis' buffer. */
		do {
			on_message(reply);
			freeReplyObject(reply);
		} while (redisReaderGetReply(c->reader, &reply) == REDIS_OK &&
		    reply != NULL);
		__atomic_store_n(&unheard, 0, __ATOMIC_SEQ_CST);
	}
	if (c != NULL)
		redisFree(c);
	return NULL;
}

int
ks_rules_heard_all(void)
{
	struct pollfd p;
	int quiet;

	pthread_mutex_lock(&listen_lock);
	quiet = listen_fd >= 0;
	if (quiet) {
		p = (struct pollfd){ listen_fd, POLLIN, 0 };
		quiet = poll(&p, 1, 0) == 0;
	}
	pthread_mutex_unlock(&listen_lock);
	/* Read after the socket: a message read since has set it. */
	return quiet && !__atomic_load_n(&unheard, __ATOMIC_SEQ_CST);
}

void
ks_rules_listen_start(void)
{
	/* Threads start before the worker's system call filter. */
	ks_rules_watchdog_start();
	listening = 1;
	if (pthread_create(&listener, NULL, listen_loop, NULL) != 0)
		listening = 0;
}

void
ks_rules_listen_stop(void)
{
	if (!listening)
		return;
	__atomic_store_n(&listening, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&listen_lock);
	if (listen_fd >= 0)
		shutdown(listen_fd, SHUT_RDWR);
	pthread_mutex_unlock(&listen_lock);
	pthread_join(listener, NULL);
}
