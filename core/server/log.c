/*
 * log.c - one line per event on stderr, with time, level and pid. The
 * request context (request id, tenant, user, route) is part of the
 * message the caller formats; nothing here knows about requests.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kasus.h"

static enum ks_log_level level = KS_LOG_INFO;
static const char *names[] = { "debug", "info", "warn", "error" };

void
ks_log_set_level(enum ks_log_level l)
{
	level = l;
}

int
ks_log_parse_level(const char *s, enum ks_log_level *out)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum ks_log_level)i;
			return KS_OK;
		}
	}
	return KS_ERROR;
}

/*
 * The process id and the time stamp's seconds are the same for many
 * lines: the pid is asked once per process (getpid is a system call),
 * the seconds are formatted once per second and thread.
 */
static char pid_text[24];	/* "pid=42 ", made once per process */
static size_t pid_len;

/* Also in a new child, which has one thread then. */
static void
pid_set(void)
{
	char *q = pid_text;

	memcpy(q, "pid=", 4);
	q = ks_put_uint(q + 4, (unsigned long long)getpid(), 1);
	*q++ = ' ';
	pid_len = (size_t)(q - pid_text);
}

static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void
pid_init(void)
{
	pid_set();
	pthread_atfork(NULL, NULL, pid_set);
}

char *
ks_put_uint(char *p, unsigned long long n, int width)
{
	char d[24];
	int i = 0;

	do {
		d[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0 || i < width);
	while (i > 0)
		*p++ = d[--i];
	return p;
}

/*
 * "2026-12-04T16:20:26.123Z info pid=42 " without printf: an access
 * line is written per request, and formatting its head with snprintf
 * cost as much as the rest of the line (issue 13).
 */
static int
head(char *line, size_t len, enum ks_log_level l)
{
	static __thread time_t sec = -1;
	static __thread char ts[32];
	static __thread size_t tslen;
	struct timespec now;
	struct tm tm;
	const char *nm = names[l];
	size_t nl = strlen(nm);
	char *p = line;

	pthread_once(&pid_once, pid_init);
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != sec) {
		gmtime_r(&now.tv_sec, &tm);
		tslen = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		sec = now.tv_sec;
	}
	if (len < tslen + nl + 40)
		return 0;
	memcpy(p, ts, tslen);
	p += tslen;
	*p++ = '.';
	p = ks_put_uint(p, (unsigned long long)(now.tv_nsec / 1000000), 3);
	*p++ = 'Z';
	*p++ = ' ';
	memcpy(p, nm, nl);
	p += nl;
	*p++ = ' ';
	memcpy(p, pid_text, pid_len);
	p += pid_len;
	*p = '\0';
	return (int)(p - line);
}

static int
format(char *line, size_t len, enum ks_log_level l, const char *fmt,
    va_list ap)
{
	int n = head(line, len, l);

	vsnprintf(line + n, len - (size_t)n - 1, fmt, ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	return n;
}

/*
 * Access lines of a worker wait in a buffer, written by one write when
 * it fills or every FLUSH_MS by a thread of their own (as nginx's
 * access_log buffer= flush=): a write per request cost as much as the
 * rest of a trivial request. Any other line first writes what waits, so
 * the order of the lines stays. A worker that crashes loses at most
 * FLUSH_MS of access lines (the audit trail is in the database).
 *
 * Two buffers: the one that is written is swapped out under the
 * appenders' lock and written after it is released, so requests never
 * wait for the write (they did: every request thread queued on the lock
 * while 64 KB went out). out_mu keeps the writes in the order of the
 * swaps; it is taken while buf_mu is held, never the other way.
 */
#define BUF_SIZE	65536
#define FLUSH_MS	100

static pthread_mutex_t buf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static char bufs[2][BUF_SIZE];
static char *buf = bufs[0];
static size_t buf_used;
static int buffering;		/* atomic */
static pthread_t flusher;

static void
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(STDERR_FILENO, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/*
 * In pieces of whole lines of at most PIPE_BUF bytes: when stderr is a
 * pipe or socket, only such writes stay whole beside other workers'
 * lines. A regular file takes the buffer in one write (the kernel keeps
 * a write to a file whole): sixteen writes per full buffer were a
 * system call every 34 trivial requests (issue 13).
 */
static int out_file;		/* stderr is a regular file */

static void
write_lines(const char *b, size_t used)
{
	size_t off = 0, n;

	if (out_file) {
		write_all(b, used);
		return;
	}
	while (off < used) {
		n = used - off;
		if (n > PIPE_BUF) {
			n = PIPE_BUF;
			while (n > 0 && b[off + n - 1] != '\n')
				n--;
			if (n == 0)
				n = PIPE_BUF;
		}
		write_all(b + off, n);
		off += n;
	}
}

/*
 * Called with buf_mu held, which it releases: what waits, then line (if
 * any), are written after the appenders' lock is free again.
 */
static void
drain_unlock(const char *line, size_t n)
{
	char *full = buf;
	size_t used = buf_used;

	if (used == 0 && line == NULL) {
		pthread_mutex_unlock(&buf_mu);
		return;
	}
	/* The other buffer's write, if any, is done once out_mu is ours. */
	pthread_mutex_lock(&out_mu);
	buf = full == bufs[0] ? bufs[1] : bufs[0];
	buf_used = 0;
	pthread_mutex_unlock(&buf_mu);
	write_lines(full, used);
	if (line != NULL)
		write_all(line, n);
	pthread_mutex_unlock(&out_mu);
}

static void *
flush_loop(void *arg)
{
	struct timespec t = { 0, FLUSH_MS * 1000000L };

	(void)arg;
	while (__atomic_load_n(&buffering, __ATOMIC_RELAXED)) {
		nanosleep(&t, NULL);
		pthread_mutex_lock(&buf_mu);
		drain_unlock(NULL, 0);
	}
	return NULL;
}

void
ks_log_buffer_start(void)
{
	struct stat st;

	out_file = fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode);
	__atomic_store_n(&buffering, 1, __ATOMIC_SEQ_CST);
	if (pthread_create(&flusher, NULL, flush_loop, NULL) != 0)
		__atomic_store_n(&buffering, 0, __ATOMIC_SEQ_CST);
}

void
ks_log_buffer_stop(void)
{
	if (!__atomic_load_n(&buffering, __ATOMIC_SEQ_CST))
		return;
	__atomic_store_n(&buffering, 0, __ATOMIC_SEQ_CST);
	pthread_join(flusher, NULL);
	pthread_mutex_lock(&buf_mu);
	drain_unlock(NULL, 0);
}

/* One write per line so lines of several workers never interleave. */
static void
emit(const char *line, size_t n)
{
	if (!__atomic_load_n(&buffering, __ATOMIC_RELAXED)) {
		write_all(line, n);
		return;
	}
	pthread_mutex_lock(&buf_mu);
	drain_unlock(line, n);
}

void
ks_log(enum ks_log_level l, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (l < level)
		return;
	va_start(ap, fmt);
	n = format(line, sizeof(line), l, fmt, ap);
	va_end(ap);
	emit(line, (size_t)n);
}

/* An access line: buffered (see above), warnings and errors at once. */
static void
access_emit(enum ks_log_level l, const char *line, size_t n)
{
	if (!__atomic_load_n(&buffering, __ATOMIC_RELAXED) ||
	    l > KS_LOG_INFO) {
		emit(line, n);
		return;
	}
	pthread_mutex_lock(&buf_mu);
	if (buf_used + n > BUF_SIZE) {
		drain_unlock(line, n);
		return;
	}
	memcpy(buf + buf_used, line, n);
	buf_used += n;
	pthread_mutex_unlock(&buf_mu);
}

void
ks_log_access_msg(enum ks_log_level l, const char *msg, size_t len)
{
	char line[2048];
	int n;

	if (l < level)
		return;
	n = head(line, sizeof(line), l);
	if (len > sizeof(line) - (size_t)n - 1)
		len = sizeof(line) - (size_t)n - 1;
	memcpy(line + n, msg, len);
	n += (int)len;
	line[n++] = '\n';
	access_emit(l, line, (size_t)n);
}

double
ks_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
