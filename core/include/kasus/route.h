/*
 * kasus/route.h - what a route table is made of: the body fields checked
 * before a handler runs, the route flags, the route itself, prepared
 * statements and the modes of the dossier access policy. Part of the
 * module SDK (core/include/kasus/); the request stays opaque here.
 */
#ifndef KASUS_ROUTE_H
#define KASUS_ROUTE_H

#include <stddef.h>

#define KS_OK		0
#define KS_ERROR	(-1)

enum ks_ftype {
	KS_F_STRING = 1,
	KS_F_INT,
	KS_F_BOOL,
	KS_F_SLUG,		/* [a-z0-9-], 2..63 */
	KS_F_DATE,		/* YYYY-MM-DD */
	KS_F_LANG,		/* de | fr */
	KS_F_STRINGS,		/* array of strings */
	KS_F_OBJECT,
	KS_F_ARRAY		/* array of any values, at most max */
};

/**
 * An error code and its one HTTP status (the core's registry is
 * core/http/errors.c; a module declares its own codes in its descriptor,
 * .errors). The web app needs a German and a French text error.<code>.
 */
struct ks_errdef {
	const char	*code;		/* [a-z_]+ */
	int		 http;		/* its one status, 400..599 */
	const char	*doc;		/* what it means, English */
};

/** One field of a route's JSON body, checked before the handler runs. */
struct ks_field {
	const char	*name;
	enum ks_ftype	 type;
	int		 required;
	long long	 min;		/* string length or integer value */
	long long	 max;
	const char	*doc;
};

/** The end of a list of fields (the core's and every module's). */
#define KS_FIELDS_END	{ NULL, 0, 0, 0, 0, NULL }

#define KS_R_PUBLIC	0x01	/* no authentication */
#define KS_R_NO_CSRF	0x02	/* write without CSRF check (login) */
#define KS_R_RAW	0x04	/* handler sets a non-JSON body */
#define KS_R_ETAG	0x08	/* write needs If-Match */
#define KS_R_READ	0x10	/* a POST that only reads (body as query) */
#define KS_R_PAGED	0x20	/* a list: ?limit and ?after (ks_page) */
#define KS_R_PW_CHANGE	0x40	/* open before a set password is changed */
/*
 * A read of personal data: when it succeeds the core records it (route,
 * the object named by the path, every person, household, dossier and
 * document the answer concerns, by whom), committed before the answer
 * leaves. See core/audit.c.
 */
#define KS_R_AUDIT	0x80
#define KS_R_JOB	0x100	/* answers 202 with a job (ks_job_accepted) */
/*
 * The body is not JSON (XML, a file): the core gathers it up to
 * body_limit after authorising the caller and does not parse it; the
 * handler reads it with body_raw (ks_body_raw in the core).
 */
#define KS_R_BODY_RAW	0x200
/*
 * A read that takes long: a document rendered, a file sent, a job waited
 * for, a check of everything. It runs on a request thread, as writes do
 * (core/lib/offload.c), so the connection's thread answers the others
 * meanwhile. A read that takes an index lookup or two needs no flag.
 */
#define KS_R_LONG	0x400

struct ks_request;
typedef int (*ks_handler)(struct ks_request *);

/** A route: method, path template with {params}, permission, limits. */
struct ks_route {
	const char		*method;
	const char		*path;
	const char		*perm;	/* NULL: any authenticated user */
	size_t			 body_limit;
	const struct ks_field	*body;	/* NULL-name terminated; NULL: none */
	int			 flags;
	ks_handler		 handler;
	const char		*summary;
	const char		*module;	/* set by the loader */
	/*
	 * Streaming upload: when set, the caller is authorised before the
	 * body is read, each piece goes to chunk() and handler() runs at the
	 * end; body is not parsed. chunk() must not use the database: the
	 * thread's connection serves other requests between the pieces, so
	 * only handler() may open the request's transaction.
	 */
	int			(*chunk)(struct ks_request *, const char *data,
				    size_t len);
};

/** The end of a list of routes (the core's and every module's). */
#define KS_ROUTES_END	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL }

/** A prepared statement: name, SQL, and whether it writes. */
struct ks_query {
	const char	*name;
	const char	*sql;
	int		 write;
};

/* Modes of the dossier access policy (core/access.c). */
#define KS_ACCESS_AUTO	0	/* change unless the request only reads */
#define KS_ACCESS_READ	1
#define KS_ACCESS_WRITE	2

#endif
