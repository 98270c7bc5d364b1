/*
 * module.c - which domain modules are loaded and enabled. The loader for
 * shared objects arrives with the modules issue; until then no module is
 * loaded, every core route is available to every tenant, and /healthz
 * and /me report an empty module list.
 */
#include "kasus.h"
#include "http.h"

int
ks_module_check(struct ks_request *req)
{
	if (ks_router_module(req->route) == NULL)
		return KS_OK;
	return ks_fail(req, 404, "not_found",
	    "there is nothing at this address");
}

json_t *
ks_modules_enabled(struct ks_request *req)
{
	(void)req;
	return json_array();
}

json_t *
ks_modules_health(void)
{
	return json_object();
}
