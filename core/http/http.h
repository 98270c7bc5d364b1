/*
 * http.h - internal interfaces between the HTTP layer, the server and
 * the module loader.
 */
#ifndef KS_HTTP_H
#define KS_HTTP_H

struct MHD_Daemon;

/** Start libmicrohttpd's thread pool on an inherited listening socket. */
struct MHD_Daemon *ks_http_start(int fd);
/** 404 when the route's module is not enabled for the caller's tenant. */
int	ks_module_check(struct ks_request *);

#endif
