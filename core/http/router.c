/*
 * router.c - route tables from the core and modules, matched by method
 * and path template ("/api/v1/admin/users/{id}"). Tables are registered
 * at start-up before the workers fork, so matching needs no lock.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

#define MAX_ROUTES	512

/*
 * Matching tried every template in order, segment by segment: about
 * 10,000 instructions for an admin route late in the table, more than
 * the rest of kasusd's own work on a request (issue 13). Each entry now
 * carries what any path it matches must have: as many slashes, and the
 * template's literal text up to its first parameter; entries without
 * both are passed over before match() runs. The order, and so which
 * template wins, is unchanged.
 */
struct entry {
	const struct ks_route	*r;
	const char		*module;
	int			 slashes;
	size_t			 prefix;	/* bytes before the first '{' */
	int			 literal;	/* no '{': the path is prefix */
};

static struct entry routes[MAX_ROUTES];
static int nroutes;

/* Route to its index (ks_router_index), open addressing, twice the size. */
#define INDEX_SLOTS	(2 * MAX_ROUTES)
static const struct ks_route *index_key[INDEX_SLOTS];
static int index_val[INDEX_SLOTS];

static int
slashes(const char *p)
{
	int n = 0;

	for (; *p != '\0'; p++)
		n += *p == '/';
	return n;
}

static size_t
slot_of(const struct ks_route *r)
{
	return (size_t)(((uintptr_t)r >> 4) * 2654435761u) % INDEX_SLOTS;
}

/* Tables change only at start-up (add, a refused module's removal). */
static void
index_build(void)
{
	size_t s;
	int i;

	memset(index_key, 0, sizeof(index_key));
	for (i = 0; i < nroutes; i++) {
		for (s = slot_of(routes[i].r); index_key[s] != NULL;
		    s = (s + 1) % INDEX_SLOTS)
			;
		index_key[s] = routes[i].r;
		index_val[s] = i;
	}
}

/* Same path shape: equal literals, a {param} matches any {param}. */
static int
same_shape(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (*a == '{' && *b == '{') {
			a = strchr(a, '}');
			b = strchr(b, '}');
			if (a == NULL || b == NULL)
				return 0;
		} else if (*a != *b)
			return 0;
		a++;
		b++;
	}
	return *a == *b;
}

int
ks_router_add(const struct ks_route *t, const char *module)
{
	const struct ks_route *r;
	int i;

	for (r = t; r->method != NULL; r++) {
		for (i = 0; i < nroutes; i++) {
			if (strcmp(routes[i].r->method, r->method) != 0 ||
			    !same_shape(routes[i].r->path, r->path))
				continue;
			ks_log(KS_LOG_ERROR, "route %s %s is declared twice",
			    r->method, r->path);
			/* The core's own tables are fixed: a clash is a bug. */
			if (module == NULL)
				abort();
			ks_router_remove_module(module);
			return KS_ERROR;
		}
		if (nroutes == MAX_ROUTES) {
			index_build();
			return KS_ERROR;
		}
		routes[nroutes].r = r;
		routes[nroutes].module = module;
		routes[nroutes].slashes = slashes(r->path);
		routes[nroutes].prefix = strcspn(r->path, "{");
		routes[nroutes].literal = r->path[routes[nroutes].prefix] ==
		    '\0';
		nroutes++;
	}
	index_build();
	return KS_OK;
}

void
ks_router_remove_module(const char *module)
{
	int i, j = 0;

	if (module == NULL)
		return;
	for (i = 0; i < nroutes; i++) {
		if (routes[i].module != NULL &&
		    strcmp(routes[i].module, module) == 0)
			continue;
		routes[j++] = routes[i];
	}
	nroutes = j;
	index_build();
}

/* Match one template against a path; fills params on success. */
static int
match(const char *tpl, const char *path, const char **names,
    const char **vals, int *np, int maxp, struct ks_arena *a)
{
	const char *t = tpl, *p = path, *te, *pe;

	*np = 0;
	while (*t != '\0' && *p != '\0') {
		if (*t != '/' || *p != '/')
			return 0;
		t++;
		p++;
		te = strchr(t, '/');
		if (te == NULL)
			te = t + strlen(t);
		pe = strchr(p, '/');
		if (pe == NULL)
			pe = p + strlen(p);
		if (*t == '{') {
			if (pe == p || *np >= maxp)
				return 0;
			if (a != NULL) {
				names[*np] = ks_arena_strndup(a, t + 1,
				    (size_t)(te - t - 2));
				vals[*np] = ks_arena_strndup(a, p,
				    (size_t)(pe - p));
			}
			(*np)++;
		} else if (te - t != pe - p || strncmp(t, p, (size_t)(te - t)))
			return 0;
		t = te;
		p = pe;
	}
	return *t == '\0' && *p == '\0';
}

const struct ks_route *
ks_router_match(const char *method, const char *path, const char **names,
    const char **vals, int *np, int maxp, int *known, struct ks_arena *a)
{
	int i, n, ns = slashes(path);
	size_t plen = strlen(path);

	*known = 0;
	*np = 0;
	for (i = 0; i < nroutes; i++) {
		/*
		 * A template without parameters matches its own text only:
		 * no segment walk (twice) for GET /api/v1/ping.
		 */
		if (routes[i].slashes != ns || routes[i].prefix > plen ||
		    (routes[i].literal && routes[i].prefix != plen) ||
		    memcmp(routes[i].r->path, path, routes[i].prefix) != 0 ||
		    (!routes[i].literal && !match(routes[i].r->path, path,
		    names, vals, &n, maxp, NULL)))
			continue;
		if (strcmp(routes[i].r->method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 &&
		    strcmp(routes[i].r->method, "GET") == 0)) {
			*known = 1;
			continue;
		}
		if (!routes[i].literal)
			match(routes[i].r->path, path, names, vals, np, maxp,
			    a);
		return routes[i].r;
	}
	return NULL;
}

void
ks_router_each(void (*fn)(const struct ks_route *, int, void *), void *arg)
{
	int i;

	for (i = 0; i < nroutes; i++)
		fn(routes[i].r, i, arg);
}

int
ks_router_count(void)
{
	return nroutes;
}

int
ks_router_index(const struct ks_route *r)
{
	size_t s;

	for (s = slot_of(r); index_key[s] != NULL; s = (s + 1) % INDEX_SLOTS)
		if (index_key[s] == r)
			return index_val[s];
	return -1;
}

const char *
ks_router_module(const struct ks_route *r)
{
	int i;

	for (i = 0; i < nroutes; i++)
		if (routes[i].r == r)
			return routes[i].module;
	return NULL;
}
