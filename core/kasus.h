/*
 * kasus.h - the platform core's internal declarations.
 *
 * Everything a core request handler needs: arenas, errors, the request,
 * the router, database and Redis access, audit and logging. Module code
 * never includes this file: it sees only the SDK in core/include/kasus/
 * (the request is opaque there) and reaches the core through struct
 * ks_api (kasus/module.h).
 */
#ifndef KASUS_H
#define KASUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "kasus/db.h"
#include "kasus/route.h"

#define KS_VERSION	"0.1.0"

/* ---------------------------------------------------------------- arena */

struct ks_arena;

/** Create an arena; blocks grow on demand. Aborts on out-of-memory. */
struct ks_arena	*ks_arena_new(size_t block);
/** Release every allocation and run every cleanup, newest first. */
void		 ks_arena_free(struct ks_arena *);
/** Zeroed memory owned by the arena. */
void		*ks_arena_alloc(struct ks_arena *, size_t);
char		*ks_arena_strdup(struct ks_arena *, const char *);
char		*ks_arena_strndup(struct ks_arena *, const char *, size_t);
char		*ks_arena_printf(struct ks_arena *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
char		*ks_arena_vprintf(struct ks_arena *, const char *, va_list);
/** Run fn(arg) when the arena is freed (PGresult, json_t, ...). */
void		 ks_arena_cleanup(struct ks_arena *, void (*)(void *), void *);
/** Run the cleanup fn(arg) registered on the arena now, not at its end
    (a job's per-item result); 0 when none is registered. */
int		 ks_arena_cleanup_now(struct ks_arena *, void (*)(void *),
		    void *);
/** Bytes handed out so far (for tests and limits). */
size_t		 ks_arena_used(const struct ks_arena *);

/** A text that grows as it is written; p is malloc'd (free it), or NULL. */
struct ks_buf {
	char	*p;
	size_t	 len, cap;
};
/** Append n bytes; p stays NUL-terminated. Aborts on out-of-memory. */
void		 ks_buf_put(struct ks_buf *, const char *, size_t);
/** Append a string literal (its length known at compile time). */
#define KS_BUF_LIT(b, lit)	ks_buf_put((b), "" lit "", sizeof(lit) - 1)
/** Room for n more bytes and the NUL after them. Aborts on out-of-memory. */
void		 ks_buf_reserve(struct ks_buf *, size_t);

/**
 * The whole file at path, NUL-terminated, malloc'd (free it), its size in
 * *len (when not NULL); NULL when it cannot be read or is larger than max
 * bytes (0: any size).
 */
char		*ks_file_read(const char *path, size_t max, size_t *len);

/* ------------------------------------------------------------- logging */

enum ks_log_level { KS_LOG_DEBUG, KS_LOG_INFO, KS_LOG_WARN, KS_LOG_ERROR };

void	ks_log_set_level(enum ks_log_level);
int	ks_log_parse_level(const char *, enum ks_log_level *);
/** One line on stderr: time, level, pid, then the message (no newline). */
void	ks_log(enum ks_log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * An access line, its message already made (n bytes, no newline): in a
 * worker that started the buffer, written with others at most 100 ms
 * later (log.c); warnings and errors at once.
 */
void	ks_log_access_msg(enum ks_log_level, const char *, size_t);
/* n in decimal at p, at least width digits (zeros before); the end. */
char	*ks_put_uint(char *p, unsigned long long n, int width);
/*
 * An object or array as compact JSON text, the bytes json_dumps(v,
 * JSON_COMPACT) makes (malloc'd, NUL-terminated, *len without it); NULL
 * for what it leaves to jansson: reals, invalid UTF-8, deep nesting
 * (lib/jsonout.c).
 */
char	*ks_json_compact(const json_t *, size_t *len);
/*
 * The tree json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)
 * makes, for a plain subset of JSON (lib/jsonin.c); NULL for anything
 * else, valid or not: read that with json_loadb.
 */
json_t	*ks_json_read_plain(const char *, size_t);
/*
 * A JSON string (quoted and escaped as jansson writes it) or integer
 * appended to a text; the string -1 (nothing usable written) if it is
 * not valid UTF-8.
 */
int	 ks_json_put_str(struct ks_buf *, const char *, size_t);
/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
size_t	 ks_utf8_len(const unsigned char *s, size_t n);
void	 ks_json_put_int(struct ks_buf *, json_int_t);
/* JSON text from PostgreSQL appended without its spaces between tokens. */
void	 ks_json_put_pg(struct ks_buf *, const char *, size_t);
void	ks_log_buffer_start(void);
void	ks_log_buffer_stop(void);

/*
 * A worker's request threads (core/lib/offload.c), started before its
 * seccomp filter. ks_offload_post queues fn(arg) for the next free one
 * (KS_ERROR when none runs: the caller does the work itself);
 * ks_offload_run hands fn(arg) to one idle now and returns its slot for
 * ks_offload_wait, or -1 (none idle or started: the caller runs fn
 * itself).
 */
void	ks_offload_start(void);
void	ks_offload_stop(void);
int	ks_offload_post(void (*fn)(void *), void *arg);
int	ks_offload_run(void (*fn)(void *), void *arg);
void	ks_offload_wait(int slot);

/*
 * Fibers of a connection thread (core/lib/fiber.c): a read that waits for
 * PostgreSQL parks its request and the thread serves the next connection.
 * ks_fiber_start runs fn(arg) on a fiber until it ends (0) or parks (1);
 * inside a fiber, or with no stack to be had, it runs fn at once. Only the
 * thread's loop resumes fibers (ks_fiber_run_ready, those ks_fiber_wake
 * marked). Code that holds a thread's resource across a statement pins
 * the fiber: its statements then wait, holding the thread, as before.
 */
struct ks_fiber;
int	ks_fiber_start(void (*fn)(void *), void *arg);
struct ks_fiber *ks_fiber_self(void);
int	ks_fiber_may_park(void);
void	ks_fiber_park(void);
void	ks_fiber_wake(struct ks_fiber *);
void	ks_fiber_pin(void);
void	ks_fiber_unpin(void);
int	ks_fiber_pending(void);
int	ks_fiber_live(void);
void	ks_fiber_run_ready(void);
void	ks_fiber_thread_free(void);

/* -------------------------------------------------------------- config */

struct ks_config {
	char	 listen_addr[64];
	int	 port;
	int	 workers;		/* processes; 0 = number of CPUs */
	int	 threads;		/* connection threads per worker */
	int	 request_threads;	/* writes and long reads (0: none) */
	int	 conn_limit;
	int	 conn_timeout;		/* seconds */
	int	 per_ip_limit;
	size_t	 header_mem_limit;
	char	 db_app[512];		/* conninfo, application role */
	char	 db_owner[512];		/* conninfo, migration owner role */
	char	 redis_host[128];
	int	 redis_port;
	char	 redis_sentinels[256];	/* host:port,...; empty: none */
	char	 redis_master[64];	/* the sentinels' name for it */
	int	 redis_wait_replicas;	/* a session waits for them */
	int	 redis_wait_ms;
	int	 session_idle;		/* seconds */
	int	 session_absolute;	/* seconds */
	int	 session_cache_ms;	/* worker's session cache; 0: off */
	int	 audit_writers;		/* read-record writer threads per worker */
	int	 login_max_user;	/* failures before lockout */
	int	 login_max_ip;
	int	 login_window;		/* seconds */
	int	 scrypt_log2n;
	int	 behind_tls;		/* Secure cookies, HSTS */
	int	 demo;			/* demo seed allowed */
	char	 root[512];		/* project root: migrations, web */
	char	 modules[512];		/* comma-separated module names */
	char	 module_dir[512];
	long	 rules_memory;		/* bytes per Lua state */
	long	 rules_cache_memory;	/* compiled states kept, per worker */
	long	 rules_instructions;	/* per evaluation */
	int	 rules_timeout_ms;	/* per evaluation */
	char	 master_key[65];	/* hex, wraps the tenants' data keys */
	char	 audit_anchor_dir[512];	/* seal anchors; "": <root>/var/audit */
	char	 key_dir[512];		/* value keys; "": <root>/var/keys */
	int	 audit_seal_ms;		/* how often reads are sealed */
	char	 trusted_proxies[512];	/* addresses or CIDR ranges, comma- */
					/* separated, whose X-Forwarded-For */
					/* names the client */
	int	 job_threads;		/* job runners per worker (0: none) */
	int	 job_poll_ms;		/* runners look for due jobs */
	int	 job_schedule_s;	/* scheduled jobs: period checked */
	int	 job_keep_days;		/* finished jobs kept */
	char	 user[64];		/* workers drop to it when root */
	char	 timezone[64];		/* the service's day: TZ and PGTZ */
	int	 seccomp;		/* workers enter the filter (1) */
	enum ks_log_level log_level;
};

extern struct ks_config ks_conf;

/** Defaults, then the file (key = value), then KASUS_* environment. */
int	ks_config_load(const char *path, char *err, size_t errlen);
/** Whether the address is one of trusted_proxies. */
int	ks_trusted_proxy(const char *ip);

/* -------------------------------------------------------------- errors */

struct ks_error {
	int		 http;
	const char	*code;		/* stable_snake_case */
	const char	*message;	/* lowercase, for people */
	json_t		*detail;	/* owned; may be NULL */
};

/** Register a NULL-method-terminated table; module NULL for the core. */
int	ks_router_add(const struct ks_route *, const char *module);
/** Remove every route a module registered. */
void	ks_router_remove_module(const char *module);
/**
 * Find the route for method and path. Returns it and fills params, or
 * NULL with *path_known set when the path exists for another method.
 */
const struct ks_route *ks_router_match(const char *method, const char *path,
	    const char **names, const char **vals, int *nparams, int maxp,
	    int *path_known, struct ks_arena *);
/** Visit every route (OpenAPI, metrics). */
void	ks_router_each(void (*)(const struct ks_route *, int idx, void *),
	    void *);
int	ks_router_count(void);
int	ks_router_index(const struct ks_route *);

/* --------------------------------------------------------------- request */

#define KS_MAX_PARAMS	8
#define KS_MAX_HEADERS	8

struct ks_principal {
	int64_t		 tenant_id;
	int64_t		 user_id;
	const char	*tenant_slug;
	const char	*username;
	const char	*lang;
	const char	*roles;		/* comma-separated */
	const char	*perms;		/* comma-separated */
	const char	*csrf;
	const char	*session_key;	/* redis key, NULL for tokens */
	const char	*team;		/* "" or NULL: no team */
	int		 via_token;
	int		 must_change;	/* password set by an admin */
};

struct ks_db;
struct ks_job;

/*
 * What a connection keeps from one of its requests to the next (core/http:
 * made when it opens, freed when it closes). Its requests come one after
 * the other, each on one thread, so nothing here needs a lock.
 */
struct ks_conn_memo {
	int	cookie_set;
	char	cookie[64];		/* the session cookie last presented */
	char	cookie_hash[65];	/* its SHA-256 (ks_auth_request) */
};

struct ks_request {
	struct ks_arena		*arena;
	char			 id[17];
	const char		*method;
	const char		*path;
	void			*conn;		/* struct MHD_Connection */
	struct ks_conn_memo	*memo;		/* NULL outside a connection */
	void			*loop;	/* its connection thread (http.c) */
	const char		*peer;		/* the socket's address */
	const char		*client;	/* peer, or behind a trusted
						   proxy the address it names */
	const struct ks_route	*route;
	const char		*pnames[KS_MAX_PARAMS];
	const char		*pvals[KS_MAX_PARAMS];
	int			 nparams;

	char			*body_raw;
	size_t			 body_len;
	size_t			 body_cap;
	json_t			*body;		/* validated; owned */

	struct ks_principal	 who;
	int			 authed;
	int			 authorized;	/* before its body was read */
	int			 bad_uri;	/* control byte in the path */
	int			 close;		/* Connection: close */
	int			 handed;	/* handled on a request
						   thread (core/http/http.c) */

	struct ks_db		*db;
	int64_t			 db_tenant;	/* 0: the principal's */
	int			 in_txn;
	int			 read_only;	/* GET/HEAD: see ks_db_q */
	int			 wrote;
	int			 commit_on_error;
	void			(*after_commit[4])(struct ks_request *, void *);
	void			*after_arg[4];
	int			 nafter;

	struct ks_error		 err;
	int			 status;
	json_t			*resp;		/* owned */
	char			*raw;		/* KS_R_RAW body (arena) */
	size_t			 raw_len;
	const char		*ctype;
	int			 raw_static;	/* raw lives as long as the
						   process: sent uncopied */
	int			 raw_owned;	/* raw is malloc'd: the
						   response frees it, sent
						   uncopied */
	const char		*hnames[KS_MAX_HEADERS];
	const char		*hvals[KS_MAX_HEADERS];
	int			 nheaders;
	double			 t0;
	void			*ctx;		/* handler state, e.g. uploads */
	void			*audit;		/* queued events (core/audit/audit.c) */
	struct ks_job		*job;		/* a job's context, not HTTP */
};

/** One entry of the error-code registry (core/http/errors.c). */
/** The core's registry, sorted by code, NULL-code terminated. */
extern const struct ks_errdef ks_errors[];
/** A code's entry, or NULL when it is not registered. */
const struct ks_errdef *ks_error_find(const char *code);
/** A loaded module's code (ks_error_find asks it after the core's). */
const struct ks_errdef *ks_module_error_find(const char *code);
/** The i-th loaded module's codes (NULL code ends), NULL past the last. */
const struct ks_errdef *ks_module_errors(int i, int *more);

/**
 * Set the error; returns KS_ERROR so handlers can `return ks_fail(...)`.
 * The status is the registry's for the code (core/http/errors.c); http is
 * what the caller expects, and a disagreement is logged as an error.
 */
int	ks_fail(struct ks_request *, int http, const char *code,
	    const char *message);
/** Same, with a detail value whose reference is taken. */
int	ks_fail_detail(struct ks_request *, int http, const char *code,
	    const char *message, json_t *detail);
/** Respond with JSON (reference taken). */
int	ks_reply(struct ks_request *, int http, json_t *);
void	ks_header(struct ks_request *, const char *name, const char *value);
const char *ks_param(struct ks_request *, const char *name);
/** Path parameter as a positive integer, or a 404 when it is not one. */
int	ks_param_id(struct ks_request *, const char *name, int64_t *out);
/**
 * The one row that statement qid gives for the id in path parameter
 * name; NULL with 404 not_found ("no such <what>") when there is none.
 */
PGresult *ks_param_row(struct ks_request *, const char *name, int qid,
	    const char *what);
const char *ks_req_header(struct ks_request *, const char *name);
const char *ks_query(struct ks_request *, const char *name);
/** True when the principal holds the permission. */
int	ks_has_perm(const struct ks_principal *, const char *perm);
/** Check If-Match against the current version: 428 / 409 with state. */
int	ks_check_etag(struct ks_request *, long long version, json_t *current);
void	ks_set_etag(struct ks_request *, long long version);
/** A number as text in the request's arena (a statement parameter). */
const char	*ks_num(struct ks_request *, long long);
/** Check a JSON body against a field list (400 with the field named). */
int	ks_validate(struct ks_request *, const struct ks_field *, json_t *);
/** Whether s is a calendar date YYYY-MM-DD (1900..2200). */
int	ks_valid_date(const char *s);
/** Today's date YYYY-MM-DD (local time), in the request's arena. */
const char *ks_today(struct ks_request *);
/** Query parameter name as a date, today when absent; NULL with a 400. */
const char *ks_query_date(struct ks_request *, const char *name);
/**
 * ?limit (1..500, default 50) and ?after (an id cursor, "0" when absent)
 * as text for a query; n is the limit. 400 invalid_parameter naming the
 * parameter. Only for routes flagged KS_R_PAGED (openapi.json lists the
 * parameters from the flag); elsewhere a 500, so the two cannot drift.
 */
int	ks_page(struct ks_request *, const char **after, const char **limit,
	    long long *n);
/** The unparsed body of a KS_R_BODY_RAW route, NULL when empty. */
const char *ks_body_raw(struct ks_request *, size_t *len);
/** A string field of the validated body, or NULL when absent or null. */
const char *ks_body_str(struct ks_request *, const char *name);
/** "a,b,c" as a JSON array of strings (new reference). */
json_t	*ks_csv_array(const char *);
/** The module that registered a route, NULL for the core. */
const char *ks_router_module(const struct ks_route *);

/* ------------------------------------------------------------ database */

/**
 * Run prepared statement qid inside the request's transaction, which is
 * begun with the principal's tenant and user on first use. Returns a
 * result owned by the request's arena, or NULL with req->err set.
 */
PGresult *ks_db_q(struct ks_request *, int qid, int n, const char *const *v);
/**
 * Free a result of ks_db_q before the request ends (NULL: nothing). A
 * loop over many items frees each item's results when the item is done:
 * otherwise they all live until the job ends.
 */
void	ks_db_free(struct ks_request *, PGresult *);
/** Register a statement table; returns the id of its first entry. */
int	ks_db_register(const struct ks_query *, int n);
/** Switch the transaction's tenant setting (canton admin acting on one). */
int	ks_db_set_tenant(struct ks_request *, int64_t tenant_id);
/** The tenant the request's statements run as. */
int64_t	ks_db_tenant(const struct ks_request *);
/**
 * Run fn(req, arg) once the request's transaction has committed (cache
 * invalidations that other workers must not see early); ks_db_finish
 * calls it after the commit, and drops it when the transaction is rolled
 * back. Arg belongs to the request's arena.
 */
void	ks_after_commit(struct ks_request *, void (*)(struct ks_request *,
	    void *), void *);
/**
 * End the request's transaction: commit when ok (writing its queued audit
 * events first), else roll back.
 */
int	ks_db_finish(struct ks_request *, int ok);
/**
 * Run a writing statement and commit in the same round trip: after the
 * open transaction's statements, or as one implicit transaction with the
 * tenant setting when none is open. KS_OK, or KS_ERROR with req->err
 * (the transaction is then rolled back by ks_db_finish).
 */
int	ks_db_exec_commit(struct ks_request *, int qid, int n,
	    const char *const *v);
/**
 * Run a writing statement whose rows the caller reads, in one round trip
 * with its commit when no transaction is open (an implicit transaction
 * with the tenant setting); inside an open one, as ks_db_q. The result
 * as ks_db_q's, or NULL with req->err.
 */
PGresult *ks_db_q_commit(struct ks_request *, int qid, int n,
	    const char *const *v);
/** SQLSTATE of the last failed statement on this thread, or "". */
const char *ks_db_last_state(void);
/** Health probe: 0 when PostgreSQL answers. */
int	ks_db_ping(void);
/*
 * A connection thread's loop (core/http/http.c): the socket of the
 * thread's connection (-1: none) and which connection it is (*gen), and
 * the answers that arrived, each to its parked read (ks_fiber_wake).
 */
int	ks_db_loop_fd(unsigned *gen);
void	ks_db_loop_pump(void);
/** The end of the loop's turn: the parked reads' batch goes out. */
void	ks_db_loop_flush(void);
/** Open connections of this thread (0 or 1) and process-wide count. */
int	ks_db_open_count(void);
/** Close this thread's connection (tests, after a server restart). */
void	ks_db_thread_close(void);
/**
 * The largest statement sent or result read on this thread's connection
 * (bytes, an upper bound of the largest message: libpq's buffers grew to
 * that and never shrink); 0 without a connection, and 0 on a thread that
 * did not ask for it with ks_db_thread_track_peak (job runners and
 * request threads do; the connection threads' reads skip the counting).
 */
size_t	ks_db_thread_peak(void);
void	ks_db_thread_track_peak(void);
/**
 * After a job or a request: close this thread's connection when it sent
 * or read more than a megabyte at once (its buffers go back with it).
 */
void	ks_db_thread_trim(void);

/* --------------------------------------------------------------- redis */

struct redisReply;
/**
 * Run a command (printf-style as in hiredis) on this thread's connection.
 * Returns a reply the caller frees with ks_redis_free, NULL when Redis is
 * unreachable.
 */
struct redisReply *ks_redis_cmd(const char *fmt, ...);
/** Pipeline: append commands, then read n replies into out[]. */
int	ks_redis_pipe(int n, const char **fmts, const char *const *a1,
	    const char *const *a2, struct redisReply **out);
/**
 * Run a Lua script (EVALSHA; the text is sent only when Redis does not
 * know it yet) with args[0..nkeys-1] as KEYS and the rest as ARGV.
 * Returns the reply (free with ks_redis_free), NULL when Redis is
 * unreachable or the script failed.
 */
struct redisReply *ks_redis_eval(const char *script, int nkeys, int n,
	    const char *const *args);
void	ks_redis_free(struct redisReply *);
int	ks_redis_ping(void);
struct redisContext;
struct timeval;
/**
 * A new connection to the Redis master (redis_host:redis_port, or the one
 * the redis_sentinels name and that says it is master), with tv as connect
 * and command timeout; NULL when none answers. The caller frees it.
 */
struct redisContext *ks_redis_connect(struct timeval tv);
/**
 * After writing something that must survive a failover (a new session):
 * wait until redis_wait_replicas replicas have it, at most redis_wait_ms.
 * KS_OK when they confirmed (or none is asked for); KS_ERROR otherwise,
 * which callers may ignore: the write stands on the master.
 */
int	ks_redis_durable(void);
/**
 * After a change every worker's session cache must hear of (a session
 * ended or changed, a tenant's epoch moved): one more round trip, so that
 * the notifications it caused are in every subscriber's socket before the
 * request answers. Redis writes a command's reply and the notifications
 * it caused in the same pass of its event loop, the reply first, and
 * reads the next command only after that pass. KS_ERROR when Redis did
 * not answer.
 */
int	ks_redis_barrier(void);

/* ---------------------------------------------------------------- audit */

/**
 * Record an event of the request. On a reading request (GET, or a POST
 * flagged KS_R_READ) it is a read of personal data; otherwise a change,
 * appended to the tenant's hash chain. Both are written when the
 * request's transaction commits (ks_db_finish), in that transaction, for
 * the tenant the request works on at the time of this call; a read only
 * when the request succeeds. before/after are JSON values whose SHA-256
 * is stored; any of before, after and detail may be NULL. Takes the
 * references.
 */
int	ks_audit(struct ks_request *, const char *action, const char *otype,
	    const char *oid, json_t *before, json_t *after, json_t *detail);
/**
 * A subject (person, dossier ...) by id in an answer the handler wrote as
 * text (req->raw): the read record refers to it as it refers to the ids a
 * JSON answer's tree shows (an item's "id" on a list of subjects).
 */
void	ks_audit_answer_ref(struct ks_request *, const char *id);
/** Where the request's queued events end now (for ks_audit_rewind); good
    until the next commit, which writes and frees the queued events. */
void	*ks_audit_mark(struct ks_request *);
/**
 * Drop the events queued after mark: the work they record was rolled
 * back to a savepoint taken when mark was (before any commit since).
 */
void	ks_audit_rewind(struct ks_request *, void *mark);
/**
 * Drop every event queued and not yet written: the transaction they
 * belong to was rolled back (ks_db_finish calls it), so a later commit of
 * the same request, as the record of a failed job's attempt, does not
 * write them. Reads handed to the writer stay its.
 */
void	ks_audit_rollback(struct ks_request *);

/**
 * Write the request's queued events (and the read record of a KS_R_AUDIT
 * route); called by ks_db_finish before it commits. When there are reads
 * this also commits, in the same round trip. KS_OK or an error.
 */
int	ks_audit_flush(struct ks_request *);

/*
 * Reads of a request that only read are committed by the worker's audit
 * writer together with other requests' reads (core/audit/audit_writer.c); the
 * answer waits for that commit with its connection suspended:
 */
/** After ks_db_finish: 1 when the request's reads wait for the writer. */
int	ks_audit_deferred(struct ks_request *);
/**
 * Hand the reads to the writer; resume(req) is called from the writer's
 * thread once they are committed or failed. KS_ERROR when there is no
 * writer: the reads were then written at once and resume is not called.
 */
int	ks_audit_submit(struct ks_request *,
	    void (*resume)(struct ks_request *));
/** 1 when the request came back from the writer. */
int	ks_audit_resumed(struct ks_request *);
/** After the writer: KS_OK, or a 503 audit_unavailable set on the request. */
int	ks_audit_outcome(struct ks_request *);
/**
 * The writer (core/audit/audit_writer.c); takes the rows (malloc'd text:
 * audit_read_insert rows as JSON objects, comma-separated).
 */
int	ks_audit_writer_submit(const int64_t *tenant, char **rows, int n,
	    void (*done)(void *, int ok), void *arg);
/** Start the writer thread of this process (ks_audit_start). */
void	ks_audit_writer_start(void);
/** A connection resumed by the writer is answered (ks_audit_outcome). */
void	ks_audit_writer_answered(void);
/**
 * Worker drain: commit what waits, stop the writer and give the resumed
 * connections up to 10 s to be answered. Call before MHD_stop_daemon.
 */
void	ks_audit_drain(void);

/**
 * The canonical text audit_canonical() in SQL hashes: each field as
 * "<length in bytes>:<text>|", NULL as empty. Returns a malloc'd string.
 */
char	*ks_audit_canonical(const char *prev, const char *tenant,
	    const char *seq, const char *at_us, const char *actor,
	    const char *action, const char *otype, const char *oid,
	    const char *bd, const char *ad, const char *detail);
/** The same layout for any n fields; malloc'd. */
char	*ks_audit_fields(const char *const *f, int n);

/**
 * Parent, before the workers: make the seals' anchor directory, owned by
 * the user workers run as. KS_ERROR when it cannot be made.
 */
int	ks_audit_prepare(void);
/**
 * Worker, before its system call filter: start the audit writer and, in
 * worker slot 0, the sealer (threads cannot be started after the filter).
 */
void	ks_audit_start(void);
/** Worker drain, after ks_audit_drain and MHD_stop_daemon. */
void	ks_audit_stop(void);
/**
 * Seal the tenant's new reads and changes now: a keyed seal in the
 * database and its anchor file. KS_OK also when there was nothing to do.
 */
int	ks_audit_seal_tenant(int64_t tenant);
/** GET /api/v1/audit/verify (core/audit/audit_seal.c). */
int	ks_audit_verify(struct ks_request *);

/* --------------------------------------------------------------- access */

/**
 * The one dossier access policy. Loads dossier id of the request's
 * tenant (columns: id, module, state, team, household_id, applicant_id,
 * version, caseworker_id; owned by the arena) and checks that the
 * principal may work on it in that mode: 404 not_found when there is no
 * such dossier, 403 other_team when a team member changes another
 * team's dossier. NULL with the error set.
 */
PGresult *ks_access_dossier(struct ks_request *, int64_t id, int mode);
/** The team rule alone, for a dossier already loaded (team NULL: none). */
int	ks_access_team(struct ks_request *, const char *team, int mode);
/**
 * May the principal change this person (household)? Refused with
 * other_team when it belongs to an open dossier of a team the principal
 * does not work for. An unknown id passes: the caller answers its 404.
 */
int	ks_access_person(struct ks_request *, int64_t person);
int	ks_access_household(struct ks_request *, int64_t household);

/* ----------------------------------------------------------------- auth */

/** scrypt hash string for a password; malloc'd. */
char	*ks_password_hash(const char *password);
/** 1 when the password matches the stored hash, 0 otherwise. */
int	ks_password_verify(const char *password, const char *stored);
/** Authenticate the request from cookie or bearer token. */
int	ks_auth_request(struct ks_request *);

/*
 * session_cache.c: sessions read from Redis, kept per worker for
 * session_cache_ms while a subscription to Redis reports every change.
 * gen() is 0 when the cache is not to be used (off or unsubscribed);
 * get() fills kv (n key/value pairs) on a hit; put() stores what was
 * read under the gen() taken before reading it.
 */
void	 ks_session_cache_start(void);
void	 ks_session_cache_stop(void);
uint64_t ks_session_cache_gen(void);
int	 ks_session_cache_get(uint64_t, struct ks_arena *, const char *,
	    const char ***, int *);
void	 ks_session_cache_put(const char *, uint64_t, int64_t, long long,
	    const char *const *, int);
/**
 * Delete every session of a user (password change, revocation) except
 * the one with Redis key keep (NULL: all).
 */
int	ks_auth_revoke_user(int64_t tenant_id, int64_t user_id,
	    const char *keep);
/**
 * A user or tenant changed in a way sessions carry (roles, team,
 * activity, password rule): move the tenant's epoch now and again after
 * the request commits, and publish it, so that every session of the
 * tenant reads its user again on its next request. 503 when the session
 * store is unreachable (the change must then not happen).
 */
int	ks_auth_invalidate(struct ks_request *, int64_t tenant_id);

/* --------------------------------------------------------------- crypto */

void	ks_sha256_hex(const void *, size_t, char out[65]);
int	ks_equal_ct(const void *, const void *, size_t);
/** n bytes as 2n lowercase hex characters and a NUL into out. */
void	ks_hex(const unsigned char *, size_t n, char *out);
/** n random bytes as 2n hex chars into out (2n+1 bytes). */
int	ks_random_hex(char *out, size_t nbytes);

/* ---------------------------------------------------------------- rules */

/**
 * Evaluate function fn of the rule pack named pack as resolved for the
 * request's tenant on date: the tenant's own approved code valid then,
 * else the canton's; the tenant's rule data of that name valid then, if
 * any, is the global DATA. On success *out is the output and *prov names
 * the versions that produced it (both owned by the caller). Errors carry
 * the codes rule_missing, rule_error, rule_timeout or rule_memory (422).
 */
int	ks_rules_eval(struct ks_request *, const char *pack, const char *fn,
	    const char *date, json_t *input, json_t **out, json_t **prov);
/**
 * The same with the output as JSON text in the request's arena and the
 * provenance appended to prov as JSON text (what ks_json_compact makes
 * of ks_rules_eval's *prov).
 */
int	ks_rules_eval_text(struct ks_request *, const char *pack,
	    const char *fn, const char *date, json_t *input,
	    const char **text, size_t *len, struct ks_buf *prov);
/** The same with the canton's code only (bounds the canton sets). */
int	ks_rules_eval_canton(struct ks_request *, const char *pack,
	    const char *fn, const char *date, json_t *data, json_t *input,
	    json_t **out, json_t **prov);
/**
 * Evaluate fn of a given source (a draft), data as DATA (may be NULL).
 * name is the pack's "name@version": the pack reads it as PACK.name and
 * PACK.version.
 */
int	ks_rules_eval_source(struct ks_request *, const char *name,
	    const char *src, size_t len, json_t *data, const char *fn,
	    json_t *input, json_t **out);
/**
 * Evaluate with the compiled state cached for sha on this thread. On a
 * miss returns KS_ERROR without setting an error (fetch the source and
 * use ks_rules_load). data_sha, when given, is the checksum that
 * identifies data (the stored rule data version's): the pack's top level
 * and DATA are kept per label and data version. With data_sha and no
 * data, only a state that has that data converted already answers;
 * otherwise it is a miss (give the data).
 */
int	ks_rules_eval_cached(struct ks_request *, const char *sha,
	    const char *label, json_t *data, const char *data_sha,
	    const char *fn, json_t *input, json_t **out);
/**
 * The same with the output as JSON text (what json_dumps with
 * JSON_COMPACT writes of *out), kept in the request's arena: for an
 * answer that is only sent, without a tree built and freed per value.
 */
int	ks_rules_eval_cached_text(struct ks_request *, const char *sha,
	    const char *label, json_t *data, const char *data_sha,
	    const char *fn, json_t *input, const char **text, size_t *len);
/** a, sep, b into dst (size bytes), cut as snprintf cuts; sep '\0': a. */
void	ks_rules_join(char *dst, size_t size, const char *a, int sep,
	    const char *b);
/** Compile src into this thread's cache under sha (kept when there). */
int	ks_rules_load(struct ks_request *, const char *name, const char *sha,
	    const char *src, size_t len);
/** Compile only: KS_OK, or rule_error with the message (line). */
int	ks_rules_check(struct ks_request *, const char *name,
	    const char *src, size_t len);
/** Drop this thread's compiled states (new pack activated). */
void	ks_rules_invalidate(void);
/** Start the deadline watchdog of this process (before a sandbox). */
void	ks_rules_watchdog_start(void);
/** How many compiled states this thread keeps, and their bytes. */
void	ks_rules_cache_size(int *n, size_t *bytes);
/**
 * After the request's commit: every worker of every node forgets what it
 * compiled and resolved (a pack approved or retired, rule data saved).
 */
void	ks_rules_announce(struct ks_request *, const char *sha);
/** Moves with every invalidation (compiled states, resolutions). */
extern unsigned ks_rules_gen;
#define KS_RULES_KEY	160
/** What a lookup of ks_rules_resolved hands to ks_rules_resolved_keep. */
struct ks_rules_ticket {
	char		 key[KS_RULES_KEY];
	unsigned	 gen;
	int		 keep;
};
/**
 * The resolution (statement qid with name and date, as the request's
 * tenant) this thread read last and may still use, or NULL: then the
 * caller reads it and hands it to ks_rules_resolved_keep with the same
 * ticket, which keeps a copy when nothing changed meanwhile
 * (core/rules/rules_resolved.c). The result returned belongs to the
 * cache: not freed, not kept beyond the request.
 */
PGresult *ks_rules_resolved(const struct ks_request *, int qid,
	    const char *name, const char *date, struct ks_rules_ticket *);
void	ks_rules_resolved_keep(const struct ks_rules_ticket *,
	    const PGresult *);
/**
 * Whether this worker has heard every invalidation published so far: it
 * is subscribed and no message waits unread (its socket polled, no wait).
 * Caches that are not content-addressed are used only then.
 */
int	ks_rules_heard_all(void);
/** Start/stop the worker's Redis subscriber for invalidations. */
void	ks_rules_listen_start(void);
void	ks_rules_listen_stop(void);
/** Import packs from plugins/ and tenants/<slug>/ when missing. */
int	ks_rules_import(void);
void	ks_rules_register(void);
void	ks_rules_data_register(void);
/** A pack's identity in row i: id, name, version, valid_from, sha256, status. */
json_t	*ks_rules_pack_head(PGresult *, int i);
/** Reply with the versions of a kind (code, data) in force on ?date=. */
int	ks_rules_as_of(struct ks_request *, const char *kind);
/** The request's tenant's municipalities: [{bfs, name, population, since}]. */
json_t	*ks_served_municipalities(struct ks_request *);
void	ks_billing_register(void);
void	ks_rules_thread_free(void);

/* -------------------------------------------------------------- modules */

/** Load the configured modules; init them when run_init. */
int	ks_modules_load(int run_init);
/** Call fini and unload every module. */
void	ks_modules_unload(void);
/** Apply the loaded modules' migrations and permissions (owner role). */
int	ks_modules_migrate(PGconn *owner);
void	ks_modules_register(void);
/** Drop the cached module switches of a tenant (this process). */
void	ks_modules_forget(int64_t tenant);
/** Number of statements registered so far (for unwinding a module). */
int	ks_db_registered(void);
void	ks_db_truncate(int n);

/* ----------------------------------------------------------------- jobs */

struct ks_job_type;

/**
 * Register a table of job types (NULL-name terminated) of a module, or
 * of the core (module NULL). Refused when a name is taken, does not
 * start with "<module>.", or has an unknown schedule. Before the fork.
 */
int	ks_job_types_add(const struct ks_job_type *, const char *module);
void	ks_job_types_remove(const char *module);
/** See struct ks_api (ks_module.h): job_enqueue ... job_attempt. */
int	ks_job_enqueue(struct ks_request *, const char *type, json_t *payload,
	    const char *key, int64_t *id);
int	ks_job_accepted(struct ks_request *, int64_t id);
int	ks_job_progress(struct ks_request *, long long done, long long total);
void	ks_job_result(struct ks_request *, json_t *);
int64_t	ks_job_id(struct ks_request *);
/** The module that declared a job's type, NULL for the core's. */
const char *ks_job_module(const struct ks_job *);
int	ks_job_attempt(struct ks_request *);
/** Registered job types: how many, and the name of the i-th. */
int	ks_job_type_count(void);
const char *ks_job_type_name(int i);
/** Routes of /api/v1/jobs and the core's own job types. */
void	ks_job_register(void);
/** Retention: its routes and the job core.retention (core/retention/retention.c). */
void	ks_retention_register(void);
/** Worker: start the job runner threads (before the filter); stop them. */
void	ks_jobs_start(void);
void	ks_jobs_stop(void);
/** Job runner threads a process starts: job_threads and the route lane. */
int	ks_jobs_runners(void);

/* -------------------------------------------------------------- sandbox */

/**
 * Parent, before the first fork: map the page where workers note a
 * forbidden call, and when running as root look up `user` (an error when
 * it is missing or is root: workers never serve as root).
 */
int	ks_sandbox_prepare(int nslots);
/** Worker, before any thread: drop to `user`, no core files, no_new_privs. */
int	ks_sandbox_drop(void);
/** Worker, after its threads started: enter the filter (every thread). */
int	ks_sandbox_enter(void);
/**
 * Parent, after a worker died of SIGSYS: the forbidden call's number (0
 * when none was noted) and its name in name; clears the note.
 */
int	ks_sandbox_forbidden(int slot, char *name, size_t len);

/* -------------------------------------------------------------- metrics */

int	ks_metrics_init(int nworkers);
void	ks_metrics_request(int route_idx, int status, double seconds);
void	ks_metrics_worker_restart(void);
/** How a job's attempt ended (kasus_job_attempts_total's outcome). */
enum ks_job_outcome { KS_JOB_DONE, KS_JOB_RETRY, KS_JOB_FAILED, KS_JOB_DEAD,
	KS_JOB_RELEASED, KS_JOB_LOST, KS_JOB_NOT_SAVED };
/** Count an attempt of the type-th registered job type. */
void	ks_metrics_job(int type, int outcome);
void	ks_metrics_worker_state(int slot, int pid, int redis_up);
char	*ks_metrics_render(struct ks_arena *, size_t *len);
extern int ks_worker_slot;

/* ------------------------------------------------------------- handlers */

void	ks_auth_register(void);
/** Persons and households (core/casework/person.c). */
void	ks_person_register(void);
/** Documents of dossiers (core/casework/document.c). */
void	ks_document_register(void);
/**
 * Store the bytes of document doc (its row exists), sealed under its
 * dossier's key (made on first use). For documents the core or a module
 * makes itself (decisions, letters, transfers); uploads stream.
 */
int	ks_document_put(struct ks_request *, const char *doc,
	    const void *bytes, size_t len);
/**
 * The plain bytes of document doc (sealed or stored before sealing);
 * *out in the request's arena. 404 not_found when it has none, 500
 * data_unreadable when its dossier's key was destroyed.
 */
int	ks_document_get(struct ks_request *, const char *doc,
	    unsigned char **out, size_t *len);
/** Case transfer to another tenant (core/casework/transfer.c). */
void	ks_transfer_register(void);
/** Teams of a social service (core/access/team.c). */
void	ks_team_register(void);
void	ks_static_register(void);
int	ks_static_load(void);
void	ks_static_free(void);
void	ks_auth_shutdown(void);
void	ks_admin_register(void);
/**
 * Create a user of the transaction's tenant from in[]: username, display
 * name, email, language, password (plain; hashed here), team; with the
 * role codes in roles. The user changes the password at first sign-in.
 */
int	ks_admin_user_insert(struct ks_request *, const char *const in[6],
	    json_t *roles, int64_t *id);
/** Administrators a social service consents to (core/access/admin_request.c). */
void	ks_admin_request_register(void);
void	ks_audit_register(void);
/** Loaded module slots, and the i-th one's vocabulary (NULL: none or
 * refused) with its name. */
int	ks_modules_count(void);
const struct ks_vocab *ks_modules_vocab(int i, const char **name);
/** Whether code is in a vocabulary (core/casework/vocabulary.c). */
int	ks_vocab_has(const char *domain, const char *code);
/** kasusd migrate: record the core's and the loaded modules' codes. */
int	ks_vocab_record(PGconn *);
void	ks_vocab_register(void);
/* The transition engine (core/casework/transition.c). */
struct ks_dossier_kind;
const char *ks_dossier_kind_invalid(const struct ks_dossier_kind *);
/** The dossier kinds of the module a request or job belongs to. */
const struct ks_dossier_kind *ks_module_dossier_kinds(struct ks_request *);
int	ks_transition_check(struct ks_request *, const char *kind,
	    const char *from, const char *to, const char *reason);
json_t	*ks_transitions_from(struct ks_request *,
	    const struct ks_dossier_kind *, const char *from);
/** The same as JSON text appended to o; -1 for a name not UTF-8. */
int	ks_transitions_put(struct ks_buf *o, struct ks_request *,
	    const struct ks_dossier_kind *, const char *from);
/** JSON array of the module names enabled for the caller's tenant. */
json_t	*ks_modules_enabled(struct ks_request *);
/** The i-th loaded module's dossier kinds (NULL: none) and its name. */
const struct ks_dossier_kind *ks_module_kinds(int i, const char **name);
/** Kind code of module (NULL: any module; code NULL: its first kind). */
const struct ks_dossier_kind *ks_module_kind(const char *module,
	    const char *code);
/** The name of the module that declared kind ("" when none). */
const char *ks_module_of_kind(const struct ks_dossier_kind *kind);
/** 1 when module is on for the caller's tenant, 0 when not, -1 error. */
int	ks_module_on(struct ks_request *, const char *module);
/**
 * Run a module's hook from a core route: its statements (db_q) are then
 * the module's. Returns what ks_module_leave restores.
 */
const void *ks_module_enter(const char *module);
void	ks_module_leave(const void *);

/*
 * The casework routes (core/casework/dossier.c, record.c, worklist.c):
 * a core route flag (beside route.h's): 404 unless the tenant has a module
 * with a dossier kind switched on.
 */
#define KS_R_CASEWORK	0x4000
/*
 * A core route flag: a read whose requests run on a fiber of the
 * connection thread and park while PostgreSQL answers (core/lib/fiber.c).
 * Only for handlers that hold nothing of the thread across a statement
 * (ks_fiber_pin guards the known cases).
 */
#define KS_R_PARK	0x8000
void	ks_casework_register(void);
/**
 * See struct ks_api: dossier_transition, deadline_add, deadlines_close,
 * checklist_missing.
 */
int	ks_dossier_transition(struct ks_request *, int64_t id,
	    const char *from, const char *to, const char *reason,
	    const char *code, const char *version);
int	ks_deadline_add(struct ks_request *, int64_t id, const char *due,
	    const char *kind, const char *text, int64_t *out);
int	ks_deadlines_close(struct ks_request *, int64_t id, const char *kind,
	    const char *keep_due);
json_t	*ks_checklist_missing(struct ks_request *, int64_t id);
/**
 * Call a money hook (struct ks_money) of every module switched on for
 * the tenant that has it, with the module's statements; stops at the
 * first that fails (its error set).
 */
enum ks_money_hook { KS_MONEY_LINES, KS_MONEY_HELD, KS_MONEY_CLEARED,
	KS_MONEY_APPROVED };
int	ks_modules_money(struct ks_request *, enum ks_money_hook,
	    const char *run, const char *first, const char *month);
/**
 * Offer a bank credit to the modules switched on for the tenant that
 * take credits (struct ks_money credit, ABI 2.5), in load order, until
 * one books it: 1 with *module its name, 0 when none did, -1 with the
 * error set.
 */
struct ks_credit;
int	ks_modules_credit(struct ks_request *, const struct ks_credit *,
	    const char **module);
/**
 * Offer a credit assigned by hand to c->dossier (ABI 2.6) to module
 * alone, the dossier's: 1 when it booked it, 0 when the module is off
 * for the tenant, older than 2.6 or takes no credits, -1 with the error
 * set.
 */
int	ks_modules_credit_to(struct ks_request *, const struct ks_credit *,
	    const char *module);
/* Money services (core/casework/money/). */
void	ks_payrun_register(void);
void	ks_ledger_register(void);
void	ks_bank_register(void);
void	ks_claim_register(void);
void	ks_account_register(void);
struct ks_party;
/** See struct ks_api (kasus/module.h): party_check. */
int	ks_party_check(struct ks_request *, struct ks_party *,
	    const char *prefix);

void	ks_routes_core_register(void);
char	*ks_openapi_render(struct ks_arena *, size_t *len);
/** Test builds: log a success answer the document does not describe. */
void	ks_openapi_check(const struct ks_request *);

int	ks_migrate(const char *conninfo);
int	ks_seed_demo(const char *conninfo);

/** Monotonic seconds. */
double	ks_now(void);

#endif
