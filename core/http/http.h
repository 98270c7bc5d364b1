/*
 * http.h - internal interfaces between the HTTP layer, the server and
 * the module loader.
 */
#ifndef KS_HTTP_H
#define KS_HTTP_H

/**
 * Start the connection threads, each with its daemon and event loop, that
 * accept on the worker's listening socket (before the seccomp filter: it
 * has no clone). KS_OK or KS_ERROR.
 */
int	ks_http_start(int fd);
/** Accept no more connections (the worker drains). */
void	ks_http_quiesce(void);
/** After ks_http_settle and the audit drain: end the threads' loops. */
void	ks_http_stop(void);
/**
 * After ks_offload_stop: wait (at most ten seconds) until the answers of
 * the requests the request threads handled have gone out.
 */
void	ks_http_settle(void);
/** Whether the route's requests run on a request thread (openapi.json). */
int	ks_route_on_request_thread(const struct ks_route *);
/** 404 when the route's module is not enabled for the caller's tenant. */
int	ks_module_check(struct ks_request *);

#endif
