/*
 * log.c - one line per event on stderr, with time, level and pid. The
 * request context (request id, tenant, user, route) is part of the
 * message the caller formats; nothing here knows about requests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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

void
ks_log(enum ks_log_level l, const char *fmt, ...)
{
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (l < level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s pid=%d ", ts,
	    now.tv_nsec / 1000000, names[l], (int)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line so lines of several workers never interleave. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

double
ks_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
