/*
 * bareread.c - the authenticated read without kasusd: what libmicrohttpd
 * and libpq alone make of GET /api/v1/admin/users/{id}, for the
 * benchmarks (issue 13). No session, no routing, no security headers,
 * no access log, no metrics: one statement, the same as user_get
 * (core/sql/queries/core.sql), under the same row-level security, with
 * the tenant and user set once per connection as kasusd's reads find
 * them, and a JSON answer of the same fields.
 *
 * WORKERS processes share the port (SO_REUSEPORT), one thread each, each
 * with its own PostgreSQL connection, in one of two designs:
 *
 *   block  the statement is run on the libmicrohttpd thread, which
 *          waits for its answer (kasusd's design until its reads
 *          parked);
 *   pipe   an event loop: the thread's epoll waits on libmicrohttpd's
 *          sockets and on PostgreSQL's. A request's statement is sent in
 *          libpq's pipeline mode and its connection suspended; the
 *          statements of one turn end with one sync point, so they
 *          travel together and PostgreSQL reads and answers them in one
 *          go; answers are read in order as they come and their
 *          connections resumed (kasusd's parked reads do the same).
 *
 *   KASUS_DB_APP=... bareread PORT block|pipe WORKERS TENANT USER
 *
 * serves http://127.0.0.1:PORT/ until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <microhttpd.h>

#define USER_GET "SELECT u.id, u.username, u.display_name, u.email, " \
	"u.language, u.active, u.version, array_to_string(u.roles, ',') " \
	"AS roles, u.team FROM app_user u WHERE u.id = $1"
#define RING	2048	/* > the connections a process takes */
#define MAXPROC	64

struct req {
	struct MHD_Connection	*c;
	PGresult		*r;	/* its answer, once read */
	int			 sent;	/* its statement is in the pipeline */
	int			 ready;	/* its answer was read */
};

static PGconn *pg;
static int pipelined;
static struct req *ring[RING];
static unsigned head, tail;
static int unflushed;

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *body,
    size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
answer(struct MHD_Connection *c, PGresult *r)
{
	char buf[1024];
	int n;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return reply(c, 500, "{}", 2);
	n = snprintf(buf, sizeof(buf), "{\"id\":%s,\"username\":\"%s\","
	    "\"display_name\":\"%s\",\"email\":\"%s\",\"language\":\"%s\","
	    "\"active\":%s,\"version\":%s,\"roles\":[\"%s\"],\"team\":\"%s\"}",
	    PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
	    PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4),
	    strcmp(PQgetvalue(r, 0, 5), "t") == 0 ? "true" : "false",
	    PQgetvalue(r, 0, 6), PQgetvalue(r, 0, 7), PQgetvalue(r, 0, 8));
	if (n < 0 || (size_t)n >= sizeof(buf))
		return reply(c, 500, "{}", 2);
	return reply(c, 200, buf, (size_t)n);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **ptr)
{
	struct req *q = *ptr;
	const char *id, *v[1];
	enum MHD_Result rc;
	PGresult *r;

	(void)cls;
	(void)method;
	(void)version;
	(void)data;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		q->c = c;
		*ptr = q;
		return MHD_YES;
	}
	*size = 0;
	if (q->ready) {
		rc = answer(c, q->r);
		PQclear(q->r);
		q->r = NULL;
		return rc;
	}
	id = strrchr(url, '/');
	v[0] = id != NULL ? id + 1 : url;
	if (!pipelined) {
		r = PQexecPrepared(pg, "user_get", 1, v, NULL, NULL, 0);
		rc = answer(c, r);
		PQclear(r);
		return rc;
	}
	if (tail - head >= RING ||
	    !PQsendQueryPrepared(pg, "user_get", 1, v, NULL, NULL, 0))
		return reply(c, 503, "{}", 2);
	q->sent = 1;
	ring[tail++ % RING] = q;
	unflushed = 1;
	MHD_suspend_connection(c);
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ptr,
    enum MHD_RequestTerminationCode toe)
{
	struct req *q = *ptr;

	(void)cls;
	(void)c;
	(void)toe;
	/* A request whose statement is in flight keeps its slot. */
	if (q != NULL && !q->sent) {
		PQclear(q->r);
		free(q);
	} else if (q != NULL)
		q->c = NULL;
	*ptr = NULL;
}

/* Every answer PostgreSQL sent so far, to its request, in order. */
static int
read_answers(void)
{
	struct req *q;
	PGresult *r;

	if (!PQconsumeInput(pg))
		return -1;
	while (head != tail && !PQisBusy(pg)) {
		q = ring[head % RING];
		/* A statement's results end with a NULL; a turn's, a sync. */
		if ((r = PQgetResult(pg)) == NULL) {
			if (q->r == NULL)
				continue;
		} else if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			continue;
		} else {
			PQclear(q->r);
			q->r = r;
			continue;
		}
		head++;
		if (q->c == NULL) {	/* its client went away */
			PQclear(q->r);
			free(q);
			continue;
		}
		q->sent = 0;
		q->ready = 1;
		MHD_resume_connection(q->c);
	}
	return 0;
}

static int
serve(int fd, const char *conninfo, const char *tenant, const char *user)
{
	const union MHD_DaemonInfo *di;
	struct epoll_event ev, out[16];
	struct MHD_Daemon *d;
	MHD_UNSIGNED_LONG_LONG to;
	PGresult *r;
	int ep, n, k, tmo;
	char set[256];

	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "bareread: %s", PQerrorMessage(pg));
		return 1;
	}
	snprintf(set, sizeof(set), "SELECT set_config('kasus.tenant_id', "
	    "'%s', false), set_config('kasus.user_id', '%s', false)", tenant,
	    user);
	r = PQexec(pg, set);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "bareread: %s", PQerrorMessage(pg));
		return 1;
	}
	PQclear(r);
	r = PQprepare(pg, "user_get", USER_GET, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bareread: %s", PQerrorMessage(pg));
		return 1;
	}
	PQclear(r);
	if (pipelined && (!PQenterPipelineMode(pg) ||
	    PQsetnonblocking(pg, 1) != 0)) {
		fprintf(stderr, "bareread: no pipeline mode\n");
		return 1;
	}
	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    (pipelined ? 0 : MHD_USE_INTERNAL_POLLING_THREAD), 0, NULL, NULL,
	    on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(RING / 2),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "bareread: libmicrohttpd did not start\n");
		return 1;
	}
	if (!pipelined)
		pause();	/* until SIGTERM */
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return 1;
	ev = (struct epoll_event){ .events = EPOLLIN };
	ev.data.fd = di->epoll_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, di->epoll_fd, &ev);
	ev.data.fd = PQsocket(pg);
	epoll_ctl(ep, EPOLL_CTL_ADD, PQsocket(pg), &ev);
	for (;;) {
		/* libmicrohttpd says when it has work without an event. */
		tmo = MHD_get_timeout(d, &to) == MHD_YES ? (int)to : -1;
		n = epoll_wait(ep, out, 16, tmo);
		for (k = 0; k < n; k++)
			if (out[k].data.fd == PQsocket(pg) &&
			    read_answers() != 0) {
				fprintf(stderr, "bareread: %s",
				    PQerrorMessage(pg));
				return 1;
			}
		MHD_run(d);
		/* The statements of every request this turn, sent at once. */
		if (unflushed) {
			unflushed = 0;
			/* The turn's statements end with one sync point. */
			if (!PQpipelineSync(pg) || PQflush(pg) < 0)
				return 1;
		}
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	pid_t kids[MAXPROC];
	sigset_t set;
	int fd, one = 1, port, workers, i, sig;
	const char *conninfo = getenv("KASUS_DB_APP");

	if (argc != 6 || (port = atoi(argv[1])) <= 0 || port > 65535 ||
	    (strcmp(argv[2], "block") != 0 && strcmp(argv[2], "pipe") != 0) ||
	    (workers = atoi(argv[3])) < 1 || workers > MAXPROC ||
	    conninfo == NULL) {
		fprintf(stderr, "usage: KASUS_DB_APP=... bareread PORT "
		    "block|pipe WORKERS TENANT USER\n");
		return 2;
	}
	pipelined = strcmp(argv[2], "pipe") == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < workers; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof(one)) != 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    listen(fd, 1024) != 0) {
			perror("bareread: listen");
			return 1;
		}
		if ((kids[i] = fork()) == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			return serve(fd, conninfo, argv[4], argv[5]);
		}
		close(fd);
		if (kids[i] < 0) {
			perror("bareread: fork");
			return 1;
		}
	}
	sigwait(&set, &sig);	/* stopped, or a worker ended */
	for (i = 0; i < workers; i++)
		kill(kids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	return sig == SIGCHLD;
}
