/*
 * test_router.c - route tables: templates with {params}, 405 detection
 * (path_known), HEAD served by GET, duplicates refused, module removal.
 *
 * The route table is process-global; each test removes what it added
 * (core routes, module NULL, cannot be removed, so only the first test
 * registers any).
 */
#include <string.h>

#include "kasus.h"
#include "ks_test.h"

static int
h_dummy(struct ks_request *req)
{
	(void)req;
	return KS_OK;
}

#define R(m, p)	{ m, p, NULL, 0, NULL, 0, h_dummy, NULL, NULL }

static const struct ks_route core[] = {
	R("GET", "/healthz"),
	R("GET", "/api/v1/ping"),
	R("GET", "/api/v1/admin/users"),
	R("POST", "/api/v1/admin/users"),
	R("GET", "/api/v1/admin/users/{id}"),
	R("PATCH", "/api/v1/admin/users/{id}"),
	R("GET", "/api/v1/admin/users/{id}/roles"),
	R("POST", "/api/v1/session"),
	R("DELETE", "/api/v1/session"),
	R("GET", "/api/v1/tenants/{tenant}/modules/{module}"),
	R("GET", "/"),
	KS_ROUTES_END
};

struct m {
	const struct ks_route	*r;
	const char		*names[KS_MAX_PARAMS];
	const char		*vals[KS_MAX_PARAMS];
	int			 n;
	int			 known;
};

static const struct ks_route *
find(struct ks_arena *a, const char *method, const char *path, struct m *m)
{
	memset(m, 0, sizeof(*m));
	m->known = -1;
	m->n = -1;
	m->r = ks_router_match(method, path, m->names, m->vals, &m->n,
	    KS_MAX_PARAMS, &m->known, a);
	return m->r;
}

KS_TEST(register_core)
{
	int before = ks_router_count();

	KS_CHECK_INT(ks_router_add(core, NULL), KS_OK);
	KS_CHECK_INT(ks_router_count(), before + 11);
	KS_CHECK_INT(ks_router_index(&core[0]), before);
	KS_CHECK(ks_router_module(&core[0]) == NULL);
}

KS_TEST(static_paths)
{
	struct ks_arena *a = ks_arena_new(1024);
	struct m m;

	KS_CHECK(find(a, "GET", "/healthz", &m) == &core[0]);
	KS_CHECK_INT(m.n, 0);
	KS_CHECK(find(a, "GET", "/api/v1/ping", &m) == &core[1]);
	KS_CHECK(find(a, "GET", "/", &m) == &core[10]);
	KS_CHECK(find(a, "GET", "/api/v1/admin/users", &m) == &core[2]);
	KS_CHECK(find(a, "POST", "/api/v1/admin/users", &m) == &core[3]);
	KS_CHECK(find(a, "DELETE", "/api/v1/session", &m) == &core[8]);
	ks_arena_free(a);
}

KS_TEST(template_params)
{
	struct ks_arena *a = ks_arena_new(1024);
	struct m m;

	KS_CHECK(find(a, "GET", "/api/v1/admin/users/42", &m) == &core[4]);
	KS_CHECK_INT(m.n, 1);
	KS_CHECK_STR(m.names[0], "id");
	KS_CHECK_STR(m.vals[0], "42");
	KS_CHECK_INT(m.known, 0);

	KS_CHECK(find(a, "PATCH", "/api/v1/admin/users/7", &m) == &core[5]);
	KS_CHECK_STR(m.vals[0], "7");

	KS_CHECK(find(a, "GET", "/api/v1/admin/users/42/roles", &m) ==
	    &core[6]);
	KS_CHECK_INT(m.n, 1);
	KS_CHECK_STR(m.vals[0], "42");

	KS_CHECK(find(a, "GET", "/api/v1/tenants/thun/modules/sozialhilfe",
	    &m) == &core[9]);
	KS_CHECK_INT(m.n, 2);
	KS_CHECK_STR(m.names[0], "tenant");
	KS_CHECK_STR(m.vals[0], "thun");
	KS_CHECK_STR(m.names[1], "module");
	KS_CHECK_STR(m.vals[1], "sozialhilfe");

	/* Parameters are taken verbatim; the handler checks them. */
	KS_CHECK(find(a, "GET", "/api/v1/admin/users/abc", &m) == &core[4]);
	KS_CHECK_STR(m.vals[0], "abc");
	ks_arena_free(a);
}

KS_TEST(no_match)
{
	struct ks_arena *a = ks_arena_new(1024);
	static const char *paths[] = {
		"/api/v1/admin/users/",		/* empty parameter */
		"/api/v1/admin/users/42/",	/* trailing slash */
		"/api/v1/admin/users/42/x",
		"/api/v1/admin/user",
		"/api/v1/admin/usersx",
		"/api/v1/pingx",
		"/api/v1/ping/",
		"/api/v1",
		"/healthz/x",
		"healthz",
		"",
		"//",
		"/api/v1/tenants/thun/modules",
		"/api/v1/tenants//modules/x",
		NULL
	};
	struct m m;
	int i;

	for (i = 0; paths[i] != NULL; i++) {
		if (find(a, "GET", paths[i], &m) != NULL)
			KS_FAILF("GET \"%s\" matched %s", paths[i],
			    m.r->path);
		if (m.known != 0)
			KS_FAILF("GET \"%s\" reported as a known path",
			    paths[i]);
	}
	ks_arena_free(a);
}

KS_TEST(method_not_allowed_sets_path_known)
{
	struct ks_arena *a = ks_arena_new(1024);
	struct m m;

	KS_CHECK(find(a, "DELETE", "/api/v1/admin/users/42", &m) == NULL);
	KS_CHECK_INT(m.known, 1);
	KS_CHECK(find(a, "PUT", "/api/v1/admin/users", &m) == NULL);
	KS_CHECK_INT(m.known, 1);
	KS_CHECK(find(a, "GET", "/api/v1/session", &m) == NULL);
	KS_CHECK_INT(m.known, 1);
	KS_CHECK(find(a, "POST", "/healthz", &m) == NULL);
	KS_CHECK_INT(m.known, 1);
	/* Unknown path: 404, not 405. */
	KS_CHECK(find(a, "DELETE", "/api/v1/nothing", &m) == NULL);
	KS_CHECK_INT(m.known, 0);
	/* A later route of the same path still matches its method. */
	KS_CHECK(find(a, "POST", "/api/v1/admin/users", &m) == &core[3]);
	ks_arena_free(a);
}

KS_TEST(head_matches_get)
{
	struct ks_arena *a = ks_arena_new(1024);
	struct m m;

	KS_CHECK(find(a, "HEAD", "/healthz", &m) == &core[0]);
	KS_CHECK(find(a, "HEAD", "/api/v1/admin/users/9", &m) == &core[4]);
	KS_CHECK_STR(m.vals[0], "9");
	/* HEAD is not a wildcard: a POST-only path is a 405. */
	KS_CHECK(find(a, "HEAD", "/api/v1/session", &m) == NULL);
	KS_CHECK_INT(m.known, 1);
	/* Methods are case-sensitive (RFC 9110). */
	KS_CHECK(find(a, "get", "/healthz", &m) == NULL);
	KS_CHECK_INT(m.known, 1);
	ks_arena_free(a);
}

KS_TEST(too_many_params_for_caller)
{
	struct ks_arena *a = ks_arena_new(1024);
	const char *names[1], *vals[1];
	int n = -1, known = -1;

	/* Two parameters do not fit in one slot: no match, no overflow. */
	KS_CHECK(ks_router_match("GET", "/api/v1/tenants/a/modules/b",
	    names, vals, &n, 1, &known, a) == NULL);
	KS_CHECK(ks_router_match("GET", "/api/v1/admin/users/5", names, vals,
	    &n, 1, &known, a) == &core[4]);
	KS_CHECK_INT(n, 1);
	KS_CHECK_STR(vals[0], "5");
	ks_arena_free(a);
}

static const struct ks_route mod_a[] = {
	R("GET", "/api/v1/m/cases"),
	R("GET", "/api/v1/m/cases/{id}"),
	R("POST", "/api/v1/m/cases"),
	KS_ROUTES_END
};

static const struct ks_route mod_b[] = {
	R("GET", "/api/v1/b/x"),
	KS_ROUTES_END
};

KS_TEST(module_routes_and_removal)
{
	struct ks_arena *a = ks_arena_new(1024);
	int base = ks_router_count();
	struct m m;

	KS_CHECK_INT(ks_router_add(mod_a, "sozialhilfe"), KS_OK);
	KS_CHECK_INT(ks_router_add(mod_b, "other"), KS_OK);
	KS_CHECK_INT(ks_router_count(), base + 4);
	KS_CHECK(find(a, "GET", "/api/v1/m/cases/3", &m) == &mod_a[1]);
	KS_CHECK_STR(ks_router_module(m.r), "sozialhilfe");

	ks_router_remove_module("sozialhilfe");
	KS_CHECK_INT(ks_router_count(), base + 1);
	KS_CHECK(find(a, "GET", "/api/v1/m/cases/3", &m) == NULL);
	KS_CHECK_INT(m.known, 0);
	KS_CHECK(find(a, "GET", "/api/v1/b/x", &m) == &mod_b[0]);
	/* The index follows the removal: the other module's route moved. */
	KS_CHECK_INT(ks_router_index(&mod_b[0]), base);
	KS_CHECK_INT(ks_router_index(&mod_a[1]), -1);
	/* Core routes survive, and keep their order. */
	KS_CHECK(find(a, "GET", "/healthz", &m) == &core[0]);
	KS_CHECK_INT(ks_router_index(&core[0]), 0);
	KS_CHECK_INT(ks_router_index(&mod_a[0]), -1);

	/* Removing an unknown module or NULL changes nothing. */
	ks_router_remove_module("nope");
	ks_router_remove_module(NULL);
	KS_CHECK_INT(ks_router_count(), base + 1);

	/* A removed module can be registered again (reload). */
	KS_CHECK_INT(ks_router_add(mod_a, "sozialhilfe"), KS_OK);
	KS_CHECK(find(a, "POST", "/api/v1/m/cases", &m) == &mod_a[2]);
	ks_router_remove_module("sozialhilfe");
	ks_router_remove_module("other");
	KS_CHECK_INT(ks_router_count(), base);
	ks_arena_free(a);
}

static const struct ks_route dup_of_core[] = {
	R("GET", "/api/v1/d/one"),
	R("GET", "/api/v1/admin/users/{id}"),
	R("GET", "/api/v1/d/two"),
	KS_ROUTES_END
};

static const struct ks_route dup_within[] = {
	R("GET", "/api/v1/w/x"),
	R("GET", "/api/v1/w/x"),
	KS_ROUTES_END
};

static const struct ks_route same_path_other_method[] = {
	R("PUT", "/api/v1/admin/users/{id}"),
	KS_ROUTES_END
};

KS_TEST(duplicate_route_refused_whole_module)
{
	struct ks_arena *a = ks_arena_new(1024);
	int base = ks_router_count();
	struct m m;

	/* The refusal logs an error; keep the test output quiet. */
	ks_log_set_level((enum ks_log_level)(KS_LOG_ERROR + 1));
	KS_CHECK_INT(ks_router_add(dup_of_core, "dup"), KS_ERROR);
	/* None of the module's routes stay, not even those before. */
	KS_CHECK_INT(ks_router_count(), base);
	KS_CHECK(find(a, "GET", "/api/v1/d/one", &m) == NULL);
	KS_CHECK(find(a, "GET", "/api/v1/admin/users/1", &m) == &core[4]);

	KS_CHECK_INT(ks_router_add(dup_within, "dup2"), KS_ERROR);
	KS_CHECK_INT(ks_router_count(), base);
	ks_log_set_level(KS_LOG_INFO);

	/* Same path, another method, is not a duplicate. */
	KS_CHECK_INT(ks_router_add(same_path_other_method, "put"), KS_OK);
	KS_CHECK(find(a, "PUT", "/api/v1/admin/users/1", &m) ==
	    &same_path_other_method[0]);
	ks_router_remove_module("put");
	KS_CHECK_INT(ks_router_count(), base);
	ks_arena_free(a);
}

static int visited;

static void
visit(const struct ks_route *r, int idx, void *arg)
{
	(void)arg;
	if (ks_router_index(r) == idx)
		visited++;
}

KS_TEST(each_visits_every_route)
{
	visited = 0;
	ks_router_each(visit, NULL);
	KS_CHECK_INT(visited, ks_router_count());
}
