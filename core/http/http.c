/*
 * http.c - libmicrohttpd glue: one ks_request per HTTP request, the body
 * gathered up to the route's limit (413 at once when Content-Length says
 * more, before reading it), then authentication, permission, CSRF,
 * validation, the handler and its transaction; security headers on every
 * response and one access-log line when the request completes.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "kasus.h"
#include "http/http.h"

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

#define DRAIN_MAX	(8ULL * 1024 * 1024)
#define XFF_MAX		1024

struct loop;
static __thread struct loop *tl_loop;	/* the connection thread's */
static __thread int tl_again;		/* a connection resumed on it */

/* A request whose path holds an encoded control byte (uri_seen). */
static char bad_uri;

static int
expects_continue(struct ks_request *req)
{
	const char *e = MHD_lookup_connection_value(req->conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);

	return e != NULL && strncasecmp(e, "100-continue", 12) == 0;
}

static void
body_free(void *p)
{
	free(p);
}

static void
json_free(void *p)
{
	json_decref(p);
}

/*
 * Request ids only need to be unique in the logs, not secret: a per-thread
 * xorshift generator seeded once from the system's randomness.
 */
static void
request_id(char out[17])
{
	static __thread uint64_t s;
	static const char hx[] = "0123456789abcdef";
	char seed[17];
	int i;

	if (s == 0) {
		if (ks_random_hex(seed, 8) != KS_OK)
			abort();
		s = strtoull(seed, NULL, 16) | 1;
	}
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	for (i = 0; i < 16; i++)
		out[i] = hx[(s >> (60 - 4 * i)) & 15];
	out[16] = '\0';
}

/*
 * Before the path is decoded: %00 to %1F or %7F in it would cut or bend
 * the decoded name ("/assets/index.html%00.js" is "index.html" to C).
 * Such a request is answered 404 without being routed.
 */
static void *
uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
	const char *p;

	(void)cls;
	(void)c;
	for (p = uri; *p != '\0' && *p != '?'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return &bad_uri;
		if (p[0] == '%' && p[1] != '\0' && p[2] != '\0' &&
		    (p[1] == '0' || p[1] == '1' || ((p[1] == '7') &&
		    (p[2] == 'f' || p[2] == 'F'))) &&
		    strchr("0123456789abcdefABCDEF", p[2]) != NULL)
			return &bad_uri;
	}
	return NULL;
}

/* An address as its canonical text (IPv4-mapped as IPv4); 0 if none. */
static int
addr_norm(const char *s, size_t n, char *out, size_t outlen)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)outlen) != NULL;
	if (inet_pton(AF_INET6, buf, a) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a))
		return inet_ntop(AF_INET, a + 12, out, (socklen_t)outlen) !=
		    NULL;
	return inet_ntop(AF_INET6, a, out, (socklen_t)outlen) != NULL;
}

struct xff {
	char	 list[XFF_MAX];
	size_t	 len;
};

/* Every X-Forwarded-For header, in order, as one comma-separated list. */
static enum MHD_Result
xff_collect(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct xff *x = cls;
	size_t n = strlen(value);

	(void)kind;
	if (strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	if (x->len + n + 2 > sizeof(x->list))
		return MHD_NO;	/* too long: the part read so far counts */
	if (x->len > 0)
		x->list[x->len++] = ',';
	memcpy(x->list + x->len, value, n);
	x->len += n;
	x->list[x->len] = '\0';
	return MHD_YES;
}

/*
 * The client: the socket's peer, unless the peer is a trusted proxy;
 * then X-Forwarded-For is read from the right (the entry the nearest
 * proxy added) past every further trusted proxy, and the first address
 * that is not one is the client. Entries left of it are the client's own
 * words and are never believed.
 */
static const char *
client_addr(struct ks_request *req)
{
	char one[INET6_ADDRSTRLEN];
	const char *cand = req->peer, *e;
	struct xff x;
	size_t end;

	if (!ks_trusted_proxy(req->peer))
		return req->peer;
	x.len = 0;
	x.list[0] = '\0';
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, xff_collect, &x);
	for (end = x.len; end > 0; end = (size_t)(e - x.list)) {
		for (e = x.list + end; e > x.list && e[-1] != ','; e--)
			;
		if (!addr_norm(e, (size_t)(x.list + end - e), one,
		    sizeof(one)))
			return cand;
		cand = ks_arena_strdup(req->arena, one);
		if (!ks_trusted_proxy(one))
			return cand;
		if (e == x.list)
			break;
		e--;		/* the comma */
	}
	return cand;
}

/* What inet_ntop writes for an IPv4 address, without its sprintf. */
static void
ipv4_text(const struct in_addr *a, char *out)
{
	const unsigned char *b = (const unsigned char *)&a->s_addr;
	int i;

	for (i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*out++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*out++ = (char)('0' + b[i] / 10 % 10);
		*out++ = (char)('0' + b[i] % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

static struct ks_request *
request_new(struct MHD_Connection *c, const char *method, const char *url)
{
	struct ks_arena *a = ks_arena_new(8192);
	struct ks_request *req = ks_arena_alloc(a, sizeof(*req));
	const union MHD_ConnectionInfo *ci;
	char ip[INET6_ADDRSTRLEN] = "-";

	req->arena = a;
	req->conn = c;
	req->method = ks_arena_strdup(a, method);
	req->path = ks_arena_strdup(a, url);
	req->t0 = ks_now();
	request_id(req->id);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			ipv4_text(&((const struct sockaddr_in *)sa)->sin_addr,
			    ip);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->
			    sin6_addr, ip, sizeof(ip));
	}
	req->peer = ks_arena_strdup(a, ip);
	req->client = client_addr(req);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	req->memo = ci != NULL ? ci->socket_context : NULL;
	req->loop = tl_loop;
	return req;
}

/* A connection's memo (struct ks_conn_memo), for as long as it is open. */
static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((*socket_context = calloc(1,
		    sizeof(struct ks_conn_memo))) == NULL)
			abort();
		return;
	}
	free(*socket_context);
	*socket_context = NULL;
}

/*
 * Security headers. Every answer has a Content-Security-Policy with
 * frame-ancestors 'none', X-Content-Type-Options, Referrer-Policy and,
 * behind TLS, HSTS (what the security review asks of every response).
 * A JSON answer is data a script reads, never a page a browser renders
 * with its own scripts, frames or windows: its policy allows nothing at
 * all, and the headers that only act on documents (X-Frame-Options,
 * which frame-ancestors replaces, Cross-Origin-Opener-Policy,
 * Permissions-Policy) are left out. Everything else (the web app, its
 * assets, stored documents, PDF, CSV, XML, metrics) keeps the document
 * set. The JSON set is a third of the bytes: the client parses every
 * header of every answer too (issue 13).
 */
#define CSP_DATA	"default-src 'none'; frame-ancestors 'none'"

static int
is_json(const char *ctype)
{
	return strncmp(ctype, "application/json", 16) == 0;
}

static void
add_security(struct MHD_Response *r, int json)
{
	MHD_add_response_header(r, "Content-Security-Policy",
	    json ? CSP_DATA : CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (!json) {
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
		MHD_add_response_header(r, "Cross-Origin-Opener-Policy",
		    "same-origin");
		MHD_add_response_header(r, "Permissions-Policy",
		    "camera=(), microphone=(), geolocation=()");
	}
	if (ks_conf.behind_tls)
		MHD_add_response_header(r, "Strict-Transport-Security",
		    "max-age=31536000; includeSubDomains");
}

/* The headers an answer's kind, status and path fix (not X-Request-Id). */
static void
add_fixed(struct ks_request *req, struct MHD_Response *r, const char *ctype)
{
	add_security(r, req->status != 204 && is_json(ctype));
	if (req->status != 204)
		MHD_add_response_header(r, "Content-Type", ctype);
	if (strncmp(req->path, "/api/", 5) == 0 || req->err.code != NULL)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

/*
 * A static answer (GET /api/v1/ping; raw_static, no headers of its own)
 * is one prebuilt response per thread and answer, queued again for every
 * request with only its X-Request-Id replaced: making and freeing a
 * response with its headers (three allocations each) was most of
 * kasusd's own work on the trivial route (issue 13). libmicrohttpd
 * copies a queued response's headers into the connection's buffer
 * before the thread's next callback, and a connection stays on the
 * thread that accepted it, so the one header may change in between;
 * the body is never copied.
 */
#define KEPT_MAX	4

struct kept {
	struct MHD_Response	*r;
	const char		*body;
	const char		*ctype;
	int			 api;
	char			*rid;		/* the response's own copy */
};

static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static __thread struct kept *kept;

static void
kept_free(void *p)
{
	struct kept *k = p;
	int i;

	for (i = 0; i < KEPT_MAX && k[i].r != NULL; i++)
		MHD_destroy_response(k[i].r);
	free(k);
}

static void
kept_init(void)
{
	pthread_key_create(&kept_key, kept_free);
}

static struct MHD_Response *
kept_response(struct ks_request *req, const char *ctype)
{
	int api = strncmp(req->path, "/api/", 5) == 0, i;
	struct kept *k;

	if (kept == NULL) {
		pthread_once(&kept_once, kept_init);
		if ((kept = calloc(KEPT_MAX, sizeof(*kept))) == NULL)
			abort();
		pthread_setspecific(kept_key, kept);
	}
	for (i = 0; i < KEPT_MAX && kept[i].r != NULL; i++)
		if (kept[i].body == req->raw && kept[i].ctype == ctype &&
		    kept[i].api == api)
			break;
	if (i == KEPT_MAX)
		return NULL;	/* more static answers than kept: the usual way */
	k = &kept[i];
	if (k->r == NULL) {
		k->r = MHD_create_response_from_buffer(req->raw_len, req->raw,
		    MHD_RESPMEM_PERSISTENT);
		if (k->r == NULL)
			return NULL;
		add_fixed(req, k->r, ctype);
		if (MHD_add_response_header(k->r, "X-Request-Id", req->id) !=
		    MHD_YES)
			abort();
		/*
		 * libmicrohttpd keeps its own copy of a header's value (it
		 * copies both strings) and hands it out: the id is always 16
		 * characters, so each request writes its id over the last
		 * one there. Deleting and adding the header (three frees,
		 * three allocations and a walk of the list) was a seventh
		 * of kasusd's own instructions on GET /api/v1/ping (issue 13).
		 */
		k->rid = (char *)MHD_get_response_header(k->r, "X-Request-Id");
		if (k->rid == NULL || k->rid == req->id ||
		    strlen(k->rid) != sizeof(req->id) - 1)
			abort();
		k->body = req->raw;
		k->ctype = ctype;
		k->api = api;
		return k->r;
	}
	memcpy(k->rid, req->id, sizeof(req->id) - 1);
	return k->r;
}

static enum MHD_Result
respond(struct ks_request *req)
{
	struct MHD_Response *r;
	const char *ctype = "application/json";
	char *out = NULL;
	size_t len = 0;
	json_t *e;
	enum MHD_Result rc;
	int i;

	if (req->err.code != NULL) {
		e = json_pack("{s:s,s:s,s:s}", "code", req->err.code,
		    "message", req->err.message, "request_id", req->id);
		if (req->err.detail != NULL)
			json_object_set(e, "detail", req->err.detail);
		json_decref(req->err.detail);
		req->err.detail = NULL;
		req->status = req->err.http;
		req->resp = json_pack("{s:o}", "error", e);
	}
#ifdef KS_TEST_HOOKS
	ks_openapi_check(req);
#endif
	if (req->status == 0)
		req->status = 200;
	if (req->raw != NULL && req->err.code == NULL) {
		ctype = req->ctype ? req->ctype : "text/plain; charset=utf-8";
		if (req->raw_static && req->status == 200 &&
		    req->nheaders == 0 && !req->close &&
		    (r = kept_response(req, ctype)) != NULL)
			return MHD_queue_response(req->conn, 200, r);
		out = req->raw;
		len = req->raw_len;
	} else if (req->resp != NULL && req->status != 204) {
		/* jansson's own dump only for what ks_json_compact leaves. */
		if ((out = ks_json_compact(req->resp, &len)) == NULL) {
			if ((out = json_dumps(req->resp, JSON_COMPACT)) == NULL)
				abort();
			len = strlen(out);
		}
		ks_arena_cleanup(req->arena, body_free, out);
	}
	r = MHD_create_response_from_buffer(len, out ? out : (char *)"",
	    req->raw_static && out == req->raw ? MHD_RESPMEM_PERSISTENT :
	    req->raw_owned && out == req->raw ? MHD_RESPMEM_MUST_FREE :
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (out == req->raw)
		req->raw_owned = 0;	/* the response's now */
	add_fixed(req, r, ctype);
	MHD_add_response_header(r, "X-Request-Id", req->id);
	if (req->close)
		MHD_add_response_header(r, "Connection", "close");
	for (i = 0; i < req->nheaders; i++)
		MHD_add_response_header(r, req->hnames[i], req->hvals[i]);
	rc = MHD_queue_response(req->conn, (unsigned int)req->status, r);
	MHD_destroy_response(r);
	return rc;
}

static int
is_write(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
	    strcmp(m, "OPTIONS") != 0;
}

static int
parse_body(struct ks_request *req)
{
	const struct ks_route *rt = req->route;
	const char *ct;
	json_error_t je;

	if (rt->body == NULL) {
		if (req->body_len > 0)
			return ks_fail(req, 400, "unexpected_body",
			    "this request takes no body");
		return KS_OK;
	}
	if (req->body_len == 0) {
		const struct ks_field *f;

		for (f = rt->body; f->name != NULL && !f->required; f++)
			;
		if (f->name != NULL || strcmp(req->method, "POST") != 0)
			return ks_fail(req, 400, "missing_body",
			    "this request needs a JSON body");
		/* An action whose fields are all optional: no body is {}. */
		req->body = json_object();
		ks_arena_cleanup(req->arena, json_free, req->body);
		return KS_OK;
	}
	ct = ks_req_header(req, "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return ks_fail(req, 415, "unsupported_media_type",
		    "send the body as application/json");
	/* jansson reads what the plain reader leaves, and says what is wrong */
	if ((req->body = ks_json_read_plain(req->body_raw,
	    req->body_len)) == NULL)
		req->body = json_loadb(req->body_raw, req->body_len,
		    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (req->body == NULL)
		return ks_fail_detail(req, 400, "malformed_json",
		    "the body is not valid JSON", json_pack("{s:i,s:i}",
		    "line", je.line, "column", je.column));
	ks_arena_cleanup(req->arena, json_free, req->body);
	return ks_validate(req, rt->body, req->body);
}

/* Authentication, permission, module switch and CSRF. */
static int
authorize(struct ks_request *req)
{
	const struct ks_route *rt = req->route;
	const char *tok;

	if ((rt->flags & KS_R_PUBLIC) || req->authorized)
		return KS_OK;
	if (ks_auth_request(req) != KS_OK)
		return KS_ERROR;
	if (req->who.must_change && !(rt->flags & KS_R_PW_CHANGE))
		return ks_fail(req, 403, "password_change_required",
		    "change the password an administrator set before you "
		    "continue");
	if (rt->perm != NULL && !ks_has_perm(&req->who, rt->perm))
		return ks_fail_detail(req, 403, "forbidden",
		    "your role does not allow this",
		    json_pack("{s:s}", "permission", rt->perm));
	if (ks_module_check(req) != KS_OK)
		return KS_ERROR;
	if (is_write(req->method) && !(rt->flags & KS_R_NO_CSRF) &&
	    !req->who.via_token) {
		tok = ks_req_header(req, "X-CSRF-Token");
		if (tok == NULL || req->who.csrf == NULL ||
		    strcmp(tok, req->who.csrf) != 0)
			return ks_fail(req, 403, "csrf_failed", "the request "
			    "lacks the session's X-CSRF-Token");
	}
	req->authorized = 1;
	return KS_OK;
}

/*
 * A suspended connection resumed, from any thread. libmicrohttpd takes it
 * up in the next MHD_run, but the connection thread's loop (below) calls
 * MHD_run only when one of its descriptors says so: from another thread
 * (a request thread, the audit writer) the loop's pipe is written; on
 * the loop's own thread its next turn does not wait.
 */
static void loop_nudge(void *);

static void
resume(struct ks_request *req)
{
	MHD_resume_connection(req->conn);
	loop_nudge(req->loop);
}

/* Called from the audit writer's thread: back to the connection's one. */
static void
audit_resume(struct ks_request *req)
{
	resume(req);
}

/* Requests handed to request threads and not yet completed. */
static int handed_out;

static void
process(struct ks_request *req)
{
	const struct ks_route *rt = req->route;
	int rc;

	if (req->err.code != NULL)
		return;
	/* A streaming route was authorised before its body arrived. */
	if (rt->chunk == NULL) {
		if (authorize(req) != KS_OK || (!(rt->flags &
		    KS_R_BODY_RAW) && parse_body(req) != KS_OK))
			return;
		req->read_only = !is_write(req->method) ||
		    (rt->flags & KS_R_READ);
	}
	rc = rt->handler(req);
	if (rc == KS_OK && req->err.code == NULL) {
		if (ks_db_finish(req, 1) != KS_OK) {
			json_decref(req->resp);
			req->resp = NULL;
			req->nheaders = 0;
			return;
		}
	} else {
		if (req->err.code == NULL)
			ks_fail(req, 500, "internal_error",
			    "the request could not be completed");
		ks_db_finish(req, req->commit_on_error);
	}
}

/*
 * Whether a route's requests are handled on a request thread: a write
 * (its transaction commits to disk; a login hashes a password) or a read
 * the route declares long. The reads, which wait on PostgreSQL for tens
 * of microseconds, stay on the connection's thread.
 */
int
ks_route_on_request_thread(const struct ks_route *rt)
{
	return (rt->flags & KS_R_LONG) || rt->chunk != NULL ||
	    (is_write(rt->method) && !(rt->flags & KS_R_READ));
}

static int
hand_off(const struct ks_request *req)
{
	return req->route != NULL && req->err.code == NULL &&
	    ks_route_on_request_thread(req->route);
}

/*
 * A request thread handles the request while its connection is
 * suspended, then gives it back: resumed, the connection's thread sends
 * the answer (on_request). A read's record goes to the audit writer
 * first, which resumes it once the record is on disk.
 */
static void
on_request_thread(void *arg)
{
	struct ks_request *req = arg;

	process(req);
	if (req->err.code == NULL && ks_audit_deferred(req) &&
	    ks_audit_submit(req, audit_resume) == KS_OK)
		return;
	resume(req);
}

/*
 * A KS_R_PARK request on its fiber. When it parked (req->handed was set
 * meanwhile by on_request), it ends here as on a request thread: its
 * read's record goes to the audit writer, or the connection is resumed
 * for the answer.
 */
static void
on_fiber(void *arg)
{
	struct ks_request *req = arg;

	process(req);
	if (!req->handed)
		return;		/* never parked: on_request goes on */
	if (req->err.code == NULL && ks_audit_deferred(req) &&
	    ks_audit_submit(req, audit_resume) == KS_OK)
		return;
	resume(req);
}

/*
 * Routing and the size check happen before any of the body is read.
 * Returns 1 when the answer must go out now, unread body and all (the
 * connection then closes); otherwise errors wait for the last call so
 * that keep-alive survives them.
 */
static int
first_call(struct ks_request *req)
{
	int known = 0, body;
	const char *cl, *te;
	unsigned long long n;

	cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	body = te != NULL || (cl != NULL && strtoull(cl, NULL, 10) > 0);
	if (cl != NULL && te != NULL) {
		/*
		 * Two framings: a proxy may end the body where this server
		 * does not, and smuggle a request past it. Refused, and the
		 * connection is closed so nothing after it is read.
		 */
		req->close = 1;
		ks_fail(req, 400, "bad_framing", "a request has either a "
		    "Content-Length or a Transfer-Encoding, not both");
		return 1;
	}
	req->route = req->bad_uri ? NULL : ks_router_match(req->method,
	    req->path, req->pnames, req->pvals, &req->nparams, KS_MAX_PARAMS,
	    &known, req->arena);
	if (req->route == NULL) {
		if (known)
			ks_fail(req, 405, "method_not_allowed",
			    "this address does not take that method");
		else
			ks_fail(req, 404, "not_found",
			    "there is nothing at this address");
		return body;
	}
	if (cl != NULL) {
		n = strtoull(cl, NULL, 10);
		if (n > req->route->body_limit) {
			ks_fail_detail(req, 413, "body_too_large",
			    "the body is larger than this request allows",
			    json_pack("{s:I}", "limit",
			    (json_int_t)req->route->body_limit));
			/*
			 * Never stored. A client that asked "Expect:
			 * 100-continue", or announces more than DRAIN_MAX,
			 * is answered before it sends; a modest excess is
			 * read and dropped so that clients which send
			 * without asking see the 413 instead of a reset.
			 */
			return n > DRAIN_MAX || expects_continue(req);
		}
		if (req->route->chunk == NULL && n > 0 &&
		    (req->body_raw = malloc(n + 1)) == NULL)
			abort();
		req->body_cap = n;
	}
	if (req->route->chunk != NULL || (body &&
	    !(req->route->flags & KS_R_PUBLIC))) {
		/*
		 * Who sends a body is known before any of it is read: the
		 * body of a request that is refused (401, 403) is never
		 * read, and streamed pieces go to the handler of an
		 * authorised request only.
		 */
		if (authorize(req) != KS_OK) {
			ks_db_finish(req, 0);
			return body;
		}
		/*
		 * The thread's connection serves other requests between the
		 * pieces of a body: no transaction may stay open across
		 * callbacks (a token check opened one).
		 */
		if (ks_db_finish(req, 1) != KS_OK)
			return 1;
		if (req->route->chunk != NULL)
			req->read_only = 0;
	}
	return 0;
}

static int
take_body(struct ks_request *req, const char *data, size_t n)
{
	size_t limit = req->route->body_limit, cap;
	char *nb;

	if (req->body_len + n > limit) {
		ks_fail_detail(req, 413, "body_too_large",
		    "the body is larger than this request allows",
		    json_pack("{s:I}", "limit", (json_int_t)limit));
		return 1;
	}
	if (req->route->chunk != NULL) {
		req->body_len += n;
		/* An error keeps the rest from the handler; answered at end. */
		if (req->route->chunk(req, data, n) != KS_OK &&
		    req->err.code == NULL)
			ks_fail(req, 500, "internal_error",
			    "the upload could not be stored");
		return 0;
	}
	if (req->body_len + n > req->body_cap) {
		/* Chunked or understated: grow, never past the limit. */
		cap = req->body_cap * 2 + n + 1024;
		if (cap > limit)
			cap = limit;
		if ((nb = realloc(req->body_raw, cap + 1)) == NULL)
			abort();
		req->body_raw = nb;
		req->body_cap = cap;
	}
	memcpy(req->body_raw + req->body_len, data, n);
	req->body_len += n;
	req->body_raw[req->body_len] = '\0';	/* text for body_raw */
	return 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **ptr)
{
	struct ks_request *req = *ptr;

	(void)cls;
	(void)version;
	if (req == NULL || req == (void *)&bad_uri) {
		int bad = req != NULL;

		req = request_new(c, method, url);
		req->bad_uri = bad;
		*ptr = req;
		if (first_call(req))
			return respond(req);
		return MHD_YES;
	}
	if (*size > 0) {
		if (req->err.code == NULL && take_body(req, data, *size)) {
			*size = 0;
			return respond(req);
		}
		*size = 0;
		return MHD_YES;
	}
	/* Back from the audit writer: the reads are on disk, or failed. */
	if (ks_audit_resumed(req)) {
		if (ks_audit_outcome(req) != KS_OK) {
			json_decref(req->resp);
			req->resp = NULL;
			req->nheaders = 0;
		}
		return respond(req);
	}
	/* Back from a request thread with its answer. */
	if (req->handed)
		return respond(req);
	if (hand_off(req)) {
		req->handed = 1;
		__atomic_add_fetch(&handed_out, 1, __ATOMIC_RELAXED);
		MHD_suspend_connection(c);
		if (ks_offload_post(on_request_thread, req) == KS_OK)
			return MHD_YES;
		/* No request threads (stopping): handled here after all. */
		resume(req);
		req->handed = 0;
		__atomic_sub_fetch(&handed_out, 1, __ATOMIC_RELAXED);
	}
	if (req->route != NULL && (req->route->flags & KS_R_PARK) &&
	    req->err.code == NULL) {
		if (ks_fiber_start(on_fiber, req)) {
			/* Parked: on_fiber resumes the connection. */
			req->handed = 1;
			__atomic_add_fetch(&handed_out, 1, __ATOMIC_RELAXED);
			MHD_suspend_connection(c);
			return MHD_YES;
		}
	} else
		process(req);
	/* The answer of a read waits, suspended, for its audit record. */
	if (req->err.code == NULL && ks_audit_deferred(req)) {
		MHD_suspend_connection(c);
		if (ks_audit_submit(req, audit_resume) != KS_OK)
			resume(req);	/* written at once */
		return MHD_YES;
	}
	return respond(req);
}

/* Text and numbers into a line without printf (one line per request). */
struct line {
	char	*p;
	char	*end;
};

static void
put_n(struct line *l, const char *s, size_t n)
{
	if (n > (size_t)(l->end - l->p))
		n = (size_t)(l->end - l->p);
	memcpy(l->p, s, n);
	l->p += n;
}

/* A literal's length is known when it is compiled. */
#define PUT_LIT(l, s)	put_n((l), "" s "", sizeof(s) - 1)

static void
put(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (n > (size_t)(l->end - l->p))
		n = (size_t)(l->end - l->p);
	memcpy(l->p, s, n);
	l->p += n;
}

/* A number of at most 20 digits; ids and statuses are never negative. */
static void
put_num(struct line *l, long long v, int width)
{
	if (l->end - l->p < 24)
		return;
	l->p = ks_put_uint(l->p, v < 0 ? 0 : (unsigned long long)v, width);
}

/*
 * access rid=.. tenant=.. user=.. route="GET /api/v1/x/{id}" status=200
 * dur_ms=0.42[ error=code], made by hand
 * (vsnprintf was the largest cost of a trivial request; issue 13).
 */
static void
access_line(struct ks_request *req, long long us)
{
	char buf[1024];
	struct line l = { buf, buf + sizeof(buf) };

	PUT_LIT(&l, "access rid=");
	put_n(&l, req->id, sizeof(req->id) - 1);
	PUT_LIT(&l, " tenant=");
	put_num(&l, (long long)req->who.tenant_id, 1);
	PUT_LIT(&l, " user=");
	put_num(&l, (long long)req->who.user_id, 1);
	PUT_LIT(&l, " route=\"");
	put(&l, req->method);
	PUT_LIT(&l, " ");
	put(&l, req->route ? req->route->path : "-");
	PUT_LIT(&l, "\" status=");
	put_num(&l, req->status, 1);
	PUT_LIT(&l, " dur_ms=");
	put_num(&l, us / 100, 1);
	PUT_LIT(&l, ".");
	put_num(&l, us % 100, 2);
	if (req->err.code != NULL) {
		PUT_LIT(&l, " error=");
		put(&l, req->err.code);
	}
	ks_log_access_msg(req->status >= 500 ? KS_LOG_WARN : KS_LOG_INFO,
	    buf, (size_t)(l.p - buf));
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ptr,
    enum MHD_RequestTerminationCode toe)
{
	struct ks_request *req = *ptr;
	long long us;
	double dt;

	(void)cls;
	(void)c;
	if (req == NULL || req == (void *)&bad_uri) {
		*ptr = NULL;
		return;
	}
	/* Its answer went out, or its client went away (ks_http_settle). */
	if (req->handed)
		__atomic_sub_fetch(&handed_out, 1, __ATOMIC_RELAXED);
	dt = ks_now() - req->t0;
	if (req->status == 0)
		req->status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ?
		    200 : 499;
	/* A request cut short (413, broken upload) never reached process. */
	ks_db_finish(req, 0);
	ks_metrics_request(req->route ? ks_router_index(req->route) : -1,
	    req->status, dt);
	/* No personal data: ids only, never usernames or bodies. */
	us = (long long)(dt * 1e6 + 5) / 10;	/* hundredths of a ms */
	access_line(req, us);
	json_decref(req->resp);
	json_decref(req->err.detail);
	free(req->body_raw);
	if (req->raw_owned)
		free(req->raw);
	ks_arena_free(req->arena);
	*ptr = NULL;
}

/*
 * The connection threads. Each runs its own libmicrohttpd daemon in an
 * event loop of its own (epoll): the daemon's sockets, the worker's
 * listening socket, the thread's PostgreSQL connection and a pipe that
 * says quiesce or stop. A read flagged KS_R_PARK runs on a fiber and
 * parks while PostgreSQL answers (core/lib/fiber.c); the loop reads the
 * answers as they arrive and resumes the fibers, and the statements of
 * every request of one turn reach PostgreSQL together (core/data/db.c).
 *
 * The thread accepts its connections itself and hands them to its daemon
 * (MHD_add_connection, in the thread that runs it). With one thread a
 * worker (the default) its listening socket is its own (SO_REUSEPORT,
 * main.c); with more, each thread takes the connections it is woken for
 * (EPOLLEXCLUSIVE wakes one of them).
 */
enum { EV_MHD, EV_LISTEN, EV_CTL, EV_DB };

struct loop {
	struct MHD_Daemon	*d;
	pthread_t		 thread;
	int			 ep;
	int			 ctl[2];
	int			 nudged;	/* its pipe written, not yet read */
	int			 listening;
	int			 db_fd;
	unsigned		 db_gen;
};

static struct {
	struct loop	*loops;
	int		 n;
	int		 fd;
	int		 quiesce;
	int		 stop;
	int		 running;
} acc = { NULL, 0, -1, 0, 0, 0 };

static void
take_connections(struct loop *l)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int s;

	for (;;) {
		len = sizeof(sa);
		s = accept4(acc.fd, (struct sockaddr *)&sa, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of descriptors: the loop waits a little. */
			return;
		}
		/* MHD closes the socket when it cannot take it. */
		(void)MHD_add_connection(l->d, s, (struct sockaddr *)&sa, len);
	}
}

static void
watch(struct loop *l, int fd, uint32_t what, uint32_t events, int add)
{
	struct epoll_event ev = { .events = events };

	ev.data.u32 = what;
	if (epoll_ctl(l->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev) !=
	    0 && add)
		ks_log(KS_LOG_WARN, "epoll_ctl: %s", strerror(errno));
}

/* The thread's PostgreSQL socket in the set, when it changed. */
static void
watch_db(struct loop *l)
{
	unsigned gen = 0;
	int fd = ks_db_loop_fd(&gen);

	if (fd == l->db_fd && gen == l->db_gen)
		return;
	if (l->db_fd >= 0)	/* closed already, when it was replaced */
		(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->db_fd, NULL);
	l->db_fd = -1;
	if (fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };

		ev.data.u32 = EV_DB;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0 &&
		    (errno != EEXIST ||
		    epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) != 0))
			return;
		l->db_fd = fd;
		l->db_gen = gen;
	}
}

static void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct epoll_event out[32];
	struct timespec pause = { 0, 10 * 1000000L };
	MHD_UNSIGNED_LONG_LONG to;
	const union MHD_DaemonInfo *di;
	char drain[16];
	int n, k, tmo, accepted_none, answers;

	tl_loop = l;
	di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
	watch(l, di->epoll_fd, EV_MHD, EPOLLIN, 1);
	watch(l, l->ctl[0], EV_CTL, EPOLLIN, 1);
	watch(l, acc.fd, EV_LISTEN, EPOLLIN | (acc.n > 1 ? EPOLLEXCLUSIVE :
	    0), 1);
	l->listening = 1;
	while (!__atomic_load_n(&acc.stop, __ATOMIC_ACQUIRE)) {
		if (l->listening &&
		    __atomic_load_n(&acc.quiesce, __ATOMIC_ACQUIRE)) {
			watch(l, acc.fd, EV_LISTEN, 0, 0);
			l->listening = 0;
		}
		/* libmicrohttpd says when it has work without an event. */
		tmo = MHD_get_timeout(l->d, &to) == MHD_YES ? (to > 1000 ?
		    1000 : (int)to) : 1000;
		if (ks_fiber_pending() || tl_again)
			tmo = 0;
		tl_again = 0;
		n = epoll_wait(l->ep, out, 32, tmo);
		accepted_none = 0;
		answers = 0;
		for (k = 0; k < n; k++) {
			if (out[k].data.u32 == EV_DB)
				answers = 1;
			else if (out[k].data.u32 == EV_LISTEN && l->listening) {
				take_connections(l);
				accepted_none = errno == EMFILE ||
				    errno == ENFILE;
			} else if (out[k].data.u32 == EV_CTL) {
				while (read(l->ctl[0], drain, sizeof(drain)) >
				    0)
					;
				__atomic_store_n(&l->nudged, 0,
				    __ATOMIC_RELEASE);
			}
		}
		/*
		 * Answers first: the fibers they wake may answer at once. A
		 * statement that waited (inside MHD_run) read every batch
		 * before its own, so what is left in flight is always still
		 * to arrive on the socket.
		 */
		if (answers)
			ks_db_loop_pump();
		ks_fiber_run_ready();
		MHD_run(l->d);
		/* Woken by statements that waited inside MHD_run. */
		ks_fiber_run_ready();
		/* The reads parked this turn go out together. */
		ks_db_loop_flush();
		watch_db(l);
		if (accepted_none)
			nanosleep(&pause, NULL);
	}
	ks_fiber_thread_free();
	return NULL;
}

static void
loop_nudge(void *p)
{
	struct loop *l = p;

	if (l == NULL)
		return;
	if (l == tl_loop)
		tl_again = 1;
	/*
	 * One write until the loop read its pipe: the audit writer resumes
	 * a whole batch of connections at once. A resume whose write is
	 * skipped came before the loop cleared the flag, so before the
	 * MHD_run that follows.
	 */
	else if (!__atomic_exchange_n(&l->nudged, 1, __ATOMIC_ACQ_REL))
		(void)write(l->ctl[1], "r", 1);
}

static void
loops_wake(void)
{
	int i;

	for (i = 0; i < acc.n; i++)
		(void)write(acc.loops[i].ctl[1], "x", 1);
}

int
ks_http_start(int fd)
{
	unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	struct loop *l;
	int i;

	acc.fd = fd;
	acc.n = ks_conf.threads;
	if ((acc.loops = calloc((size_t)acc.n, sizeof(*acc.loops))) == NULL)
		return KS_ERROR;
	for (i = 0; i < acc.n; i++) {
		l = &acc.loops[i];
		l->db_fd = -1;
		l->ctl[0] = l->ctl[1] = -1;
		/* The worker's limit shared, as libmicrohttpd's pool did. */
		l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
		    MHD_OPTION_CONNECTION_LIMIT,
		    (unsigned int)((ks_conf.conn_limit + acc.n - 1) / acc.n),
		    MHD_OPTION_CONNECTION_TIMEOUT,
		    (unsigned int)ks_conf.conn_timeout,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		    (unsigned int)ks_conf.per_ip_limit,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)ks_conf.header_mem_limit,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_seen, NULL,
		    MHD_OPTION_END);
		if (l->d == NULL ||
		    (l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    pipe2(l->ctl, O_CLOEXEC | O_NONBLOCK) != 0 ||
		    pthread_create(&l->thread, NULL, loop_main, l) != 0) {
			ks_log(KS_LOG_ERROR, "connection thread %d did not "
			    "start", i);
			acc.n = i;	/* the ones started are stopped */
			if (l->d != NULL)
				MHD_stop_daemon(l->d);
			ks_http_stop();
			return KS_ERROR;
		}
	}
	acc.running = 1;
	return KS_OK;
}

/*
 * After the request threads stopped (their work done): waits, at most
 * ten seconds, until the connections they resumed have been answered.
 */
void
ks_http_settle(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	double until = ks_now() + 10;

	while (__atomic_load_n(&handed_out, __ATOMIC_RELAXED) > 0 &&
	    ks_now() < until)
		nanosleep(&ts, NULL);
}

void
ks_http_quiesce(void)
{
	if (!acc.running)
		return;
	__atomic_store_n(&acc.quiesce, 1, __ATOMIC_RELEASE);
	loops_wake();
}

void
ks_http_stop(void)
{
	int i;

	__atomic_store_n(&acc.stop, 1, __ATOMIC_RELEASE);
	loops_wake();
	for (i = 0; i < acc.n; i++) {
		struct loop *l = &acc.loops[i];

		pthread_join(l->thread, NULL);
		MHD_stop_daemon(l->d);
		close(l->ep);
		close(l->ctl[0]);
		close(l->ctl[1]);
	}
	free(acc.loops);
	acc.loops = NULL;
	acc.n = 0;
	acc.running = 0;
}
