/*
 * main.c - kasusd: the parent binds the listening socket and forks the
 * workers (after Kore); it respawns a worker that dies and, on SIGTERM or
 * SIGINT, lets every worker drain its requests before stopping.
 *
 *   kasusd [-c FILE] serve | migrate | seed-demo
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <microhttpd.h>

#include "kasus.h"
#include "lib/datakey.h"
#include "http/http.h"
#include "queries.h"

#define MAX_WORKERS	64

static volatile sig_atomic_t stopping;
static pid_t workers[MAX_WORKERS];
static time_t started[MAX_WORKERS];
static pid_t parent_pid;

#ifdef KS_TEST_HOOKS
/*
 * Test build only: SIGUSR2 makes the worker behave like one an attacker
 * took over and try to start a shell. The filter must end it (a test
 * checks that the parent names the call and starts a new worker). A
 * signal, not a route: nothing reachable over the network, and only root
 * or the worker's own user can send it.
 */
static void
on_test_escape(int sig)
{
	char *const argv[] = { "/bin/sh", "-c", "exit 0", NULL };

	(void)sig;
	execve(argv[0], argv, argv + 3);
}
#endif

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * The listening sockets, one per worker, all bound to the port with
 * SO_REUSEPORT: the kernel spreads new connections over the workers by
 * their addresses. On one shared socket the worker whose thread woke
 * first took whatever was pending: of the bench's 64 keep-alive
 * connections 46, 50 and 62 went to one worker and 18, 14 and 2 to the
 * other, and the crowded worker's answers waited (issue 13). The parent
 * keeps every socket, so a restarted worker takes up the connections that
 * queued on its own meanwhile.
 */
static int
listen_socket(const struct sockaddr_in *sa, int reuseport)
{
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) != 0) ||
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    (reuseport && listen(fd, 1024) != 0)) {
		ks_log(KS_LOG_ERROR, "cannot listen on %s:%d: %s",
		    ks_conf.listen_addr, ks_conf.port, strerror(errno));
		close(fd);
		return -1;
	}
	/* The worker's accepting thread polls it; accept never blocks. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int
listen_sockets(int *fds, int n)
{
	struct sockaddr_in sa;
	int i, probe;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)ks_conf.port);
	if (inet_pton(AF_INET, ks_conf.listen_addr, &sa.sin_addr) != 1) {
		ks_log(KS_LOG_ERROR, "listen address %s is not an IPv4 address",
		    ks_conf.listen_addr);
		return -1;
	}
	/*
	 * A port another process listens on stays an error: a bind without
	 * SO_REUSEPORT fails on it, where ours would silently share it.
	 */
	if ((probe = listen_socket(&sa, 0)) < 0)
		return -1;
	close(probe);
	for (i = 0; i < n; i++)
		if ((fds[i] = listen_socket(&sa, 1)) < 0) {
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	return 0;
}

static void
worker_main(int slot, int fd)
{
	sigset_t set;
	int sig;

	ks_worker_slot = slot;
	/*
	 * Before any thread starts. glibc raises its mmap threshold to the
	 * largest mapped block freed (a payment file, a run's lines:
	 * megabytes) and its trim threshold to twice that; from then on such
	 * blocks come from the threads' heaps, whose free top stays resident
	 * below the trim threshold: malloc_trim() gives back free chunks
	 * inside a heap but not a thread heap's top. After the payment runs a
	 * worker kept 20 MiB and more that way. Fixed thresholds (which end
	 * the raising): blocks from 128 KiB on are mapped on their own and
	 * unmapped when freed, and a heap's free top beyond 1 MiB goes back
	 * when a block next to it is freed.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	if (ks_sandbox_drop() != KS_OK)
		_exit(1);
	/* After the drop: a change of user clears the death signal. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent_pid)
		_exit(0);
	ks_metrics_worker_state(slot, getpid(), 1);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (ks_http_start(fd) != KS_OK) {
		ks_log(KS_LOG_ERROR, "worker %d cannot start the HTTP server",
		    slot);
		_exit(1);
	}
	ks_rules_listen_start();
	ks_session_cache_start();
	ks_log_buffer_start();
	/* Threads start before the filter, which has no clone. */
	ks_offload_start();
	ks_jobs_start();
	ks_audit_start();
	if (ks_sandbox_enter() != KS_OK)
		_exit(1);
#ifdef KS_TEST_HOOKS
	signal(SIGUSR2, on_test_escape);
#endif
	ks_log(KS_LOG_INFO, "worker %d serving", slot);
	sigwait(&set, &sig);
	ks_log(KS_LOG_INFO, "worker %d draining", slot);
	ks_http_quiesce();
	/* Writes under way on request threads end, and are answered. */
	ks_offload_stop();
	ks_http_settle();
	ks_audit_drain();
	ks_http_stop();
	ks_audit_stop();
	ks_jobs_stop();
	ks_rules_listen_stop();
	ks_session_cache_stop();
	ks_modules_unload();
	ks_log_buffer_stop();
	ks_static_free();
	ks_auth_shutdown();
	close(fd);
	exit(0);
}

static void
reaped(int slot, pid_t pid, int st)
{
	char name[64];

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS &&
	    ks_sandbox_forbidden(slot, name, sizeof(name)) > 0) {
		ks_log(KS_LOG_ERROR, "worker %d (pid %d) made a forbidden "
		    "system call (%s) and was ended; starting a new one", slot,
		    (int)pid, name);
		return;
	}
	ks_log(KS_LOG_WARN, "worker %d (pid %d) ended (%s %d); starting a new "
	    "one", slot, (int)pid, WIFSIGNALED(st) ? "signal" : "status",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static pid_t
spawn(int slot, int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		worker_main(slot, fd);
	}
	if (pid < 0)
		ks_log(KS_LOG_ERROR, "fork failed: %s", strerror(errno));
	return pid;
}

static void
write_pidfile(void)
{
	const char *p = getenv("KASUS_PIDFILE");
	FILE *f;

	if (p == NULL || (f = fopen(p, "w")) == NULL)
		return;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static void
stop_workers(int n)
{
	time_t deadline = time(NULL) + 20;
	int i, alive, st;

	for (i = 0; i < n; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGTERM);
	do {
		alive = 0;
		for (i = 0; i < n; i++) {
			if (workers[i] <= 0)
				continue;
			if (waitpid(workers[i], &st, WNOHANG) == workers[i])
				workers[i] = 0;
			else
				alive++;
		}
		if (alive)
			usleep(50000);
	} while (alive && time(NULL) < deadline);
	for (i = 0; i < n; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGKILL);
}

/* The OpenAPI document of the core and the configured modules, to stdout
 * (the web app's API types are generated from it; no server needed). */
static int
print_openapi(void)
{
	struct ks_arena *a = ks_arena_new(65536);
	size_t len;
	char *doc;

	ks_routes_core_register();
	ks_modules_load(1);
	doc = ks_openapi_render(a, &len);
	fwrite(doc, 1, len, stdout);
	putchar('\n');
	ks_modules_unload();
	ks_arena_free(a);
	return fflush(stdout) == 0 ? KS_OK : KS_ERROR;
}

static int
serve(void)
{
	struct sigaction sa;
	int fds[MAX_WORKERS], i, n = ks_conf.workers, st;
	pid_t pid;

	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if (ks_sandbox_prepare(n) != KS_OK || ks_audit_prepare() != KS_OK ||
	    ks_datakey_prepare() != KS_OK)
		return 1;
	ks_routes_core_register();
	ks_static_load();
	ks_modules_load(1);
	if (ks_rules_import() != KS_OK)
		ks_log(KS_LOG_WARN, "some rule packs were not imported; see "
		    "above");
	if (ks_metrics_init(n) != KS_OK || listen_sockets(fds, n) != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	write_pidfile();
	parent_pid = getpid();
	ks_log(KS_LOG_INFO, "kasusd %s listening on http://%s:%d with %d "
	    "workers", KS_VERSION, ks_conf.listen_addr, ks_conf.port, n);
	for (i = 0; i < n; i++) {
		workers[i] = spawn(i, fds[i]);
		started[i] = time(NULL);
	}
	while (!stopping) {
		pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++) {
			if (workers[i] != pid)
				continue;
			workers[i] = 0;
			if (stopping)
				break;
			reaped(i, pid, st);
			ks_metrics_worker_restart();
			/* One that dies at once would otherwise spin. */
			if (time(NULL) - started[i] < 1)
				sleep(1);
			workers[i] = spawn(i, fds[i]);
			started[i] = time(NULL);
		}
	}
	ks_log(KS_LOG_INFO, "stopping: draining workers");
	stop_workers(n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	ks_modules_unload();
	ks_static_free();
	ks_log(KS_LOG_INFO, "stopped");
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: kasusd [-c config] serve | migrate | "
	    "seed-demo | openapi\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conf = getenv("KASUS_CONF"), *cmd;
	char err[512];
	int rc, ch;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch == 'c')
			conf = optarg;
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	cmd = argv[optind];
	if (ks_config_load(conf, err, sizeof(err)) != KS_OK) {
		fprintf(stderr, "kasusd: %s\n", err);
		return 1;
	}
	if (ks_db_register(ks_queries, Q_KS_COUNT) != 0)
		abort();
	/* libxml2's globals, once, before any thread uses it. */
	xmlInitParser();
	if (strcmp(cmd, "serve") == 0)
		return serve();
	if (strcmp(cmd, "migrate") == 0)
		rc = ks_migrate(ks_conf.db_owner);
	else if (strcmp(cmd, "seed-demo") == 0)
		rc = ks_seed_demo(ks_conf.db_owner);
	else if (strcmp(cmd, "openapi") == 0)
		rc = print_openapi();
	else
		usage();
	return rc == KS_OK ? 0 : 1;
}
