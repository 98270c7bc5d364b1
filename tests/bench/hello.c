/*
 * hello.c - the bare libmicrohttpd baseline for the benchmarks: the same
 * polling mode as kasusd (internal polling, MHD_USE_AUTO), a pool of 8
 * threads, a 2-byte JSON body, nothing else; libmicrohttpd's defaults
 * otherwise (32 KB of memory per connection).
 *
 * Not kasusd's threading: kasusd runs a worker per CPU with 4 threads
 * each and hands every connection to the next thread (8 threads with 8
 * of wrk's 64 connections each on 2 CPUs). Here all 8 threads poll the
 * one listening socket, and whichever wakes first takes what is
 * pending: wrk's 64 connections land unevenly, on a few threads (in
 * one run one thread served them all, 3,000 context switches for 94,000
 * requests; in another the threads' CPU was 64/62/48/11/11/6/6/0
 * ticks), which then find more ready connections per wakeup, at a
 * longer tail (p99 31 ms against kasusd's 10 in the same round). Left as
 * it is: the baseline is libmicrohttpd as it comes (issue 13).
 *
 *   hello PORT      serves http://127.0.0.1:PORT/ until SIGTERM or SIGINT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **ptr)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	static int marker;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	/*
	 * The canonical pattern: the first call only sees the headers; a
	 * response queued then makes libmicrohttpd close the connection.
	 */
	if (*ptr == NULL) {
		*ptr = &marker;
		return MHD_YES;
	}
	*size = 0;
	r = MHD_create_response_from_buffer(2, (void *)"{}",
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	sigset_t set;
	int sig, port;

	if (argc != 2 || (port = atoi(argv[1])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: hello PORT\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO,
	    (uint16_t)port, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)8,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1024,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "hello: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
