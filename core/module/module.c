/*
 * module.c - domain modules: shared objects loaded at start-up with
 * RTLD_LOCAL, checked before init (ABI, struct size, build signature,
 * unique name), unwound completely when anything fails; switched on per
 * tenant by the canton admin (with a start date for pilots).
 *
 * Which modules a tenant has is cached per worker for a few seconds, so a
 * module route costs no extra query on most requests.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kasus.h"
#include "kasus/module.h"
#include "kasus/iso20022.h"
#include "kasus/pdf.h"
#include "kasus/qrbill.h"
#include "http/http.h"
#include "lib/datakey.h"
#include "queries.h"

#define MAX_MODULES	32
#define CACHE_SLOTS	256
#define CACHE_TTL	5

struct loaded {
	char			 file[64];
	char			 reason[256];
	void			*dl;
	const struct ks_module	*m;
	int			 ok;
	int			 inited;
	int			 qbase;		/* its statements in the core's */
	int			 qn;		/* table; -1: none registered */
};

static struct loaded mods[MAX_MODULES];
static int nmods;
static struct loaded *initing;	/* the module whose init() runs */
/* The module whose hook the core calls now (its statements are used). */
static __thread const struct loaded *hooked;

struct slot {
	int64_t		 tenant;
	time_t		 expires;
	char		 list[512];	/* ",a,b," */
};
static struct slot cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------ the core's API */

static json_t *
api_body(struct ks_request *req)
{
	return req->body;
}

static int64_t
api_tenant(struct ks_request *req)
{
	return req->who.tenant_id;
}

static int64_t
api_user(struct ks_request *req)
{
	return req->who.user_id;
}

static int
api_has_perm(struct ks_request *req, const char *perm)
{
	return ks_has_perm(&req->who, perm);
}

static void *
api_alloc(struct ks_request *req, size_t n)
{
	return ks_arena_alloc(req->arena, n);
}

static void
api_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ks_log((enum ks_log_level)level, "%s", buf);
}

static int
api_raw(struct ks_request *req, int http, const char *ctype, const void *d,
    size_t len)
{
	char *p = ks_arena_alloc(req->arena, len + 1);

	memcpy(p, d, len);
	req->raw = p;
	req->raw_len = len;
	req->ctype = ks_arena_strdup(req->arena, ctype);
	req->status = http;
	return KS_OK;
}

static const char *
api_roles(struct ks_request *req)
{
	return req->who.roles ? req->who.roles : "";
}

static const char *
api_team(struct ks_request *req)
{
	return req->who.team ? req->who.team : "";
}

static const char *
api_method(struct ks_request *req)
{
	return req->method;
}

static const char *
api_root(void)
{
	return ks_conf.root;
}

static const char *
api_request_id(struct ks_request *req)
{
	return req->id;
}

static void *
api_strdup(struct ks_request *req, const char *s)
{
	return ks_arena_strdup(req->arena, s);
}

static char *
api_printf(struct ks_request *req, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = ks_arena_vprintf(req->arena, fmt, ap);
	va_end(ap);
	return s;
}

/*
 * Statements are namespaced per component: a module registers one table
 * during init() and names its statements by their index in it (the
 * generated Q_* of its queries.h, from 0). The core adds the module's base
 * for the module that the request or job belongs to, so a module cannot
 * run a core statement or another module's, whatever id it passes.
 */
static int
api_db_register(const struct ks_query *q, int n)
{
	int base;

	if (initing == NULL || initing->qn >= 0) {
		ks_log(KS_LOG_ERROR, "db_register: once per module, in init()");
		return KS_ERROR;
	}
	if ((base = ks_db_register(q, n)) < 0)
		return KS_ERROR;
	initing->qbase = base;
	initing->qn = n;
	return 0;
}

/* The loaded module a request or job belongs to, or NULL (the core). */
static const struct loaded *
owner(struct ks_request *req)
{
	const char *name = NULL;
	int i;

	if (hooked != NULL)
		return hooked;
	if (req->route != NULL)
		name = ks_router_module(req->route);
	else if (req->job != NULL)
		name = ks_job_module(req->job);
	if (name == NULL)
		return NULL;
	for (i = 0; i < nmods; i++)
		if (mods[i].inited && strcmp(mods[i].m->name, name) == 0)
			return &mods[i];
	return NULL;
}

const struct ks_dossier_kind *
ks_module_dossier_kinds(struct ks_request *req)
{
	const struct loaded *l = owner(req);

	return l != NULL ? l->m->dossier_kinds : NULL;
}

/* Module m's entry for code, or NULL. */
static const struct ks_errdef *
ks_module_error_in(const struct ks_module *m, const char *code)
{
	const struct ks_errdef *e;

	for (e = m->errors; e != NULL && e->code != NULL; e++)
		if (strcmp(e->code, code) == 0)
			return e;
	return NULL;
}

const struct ks_errdef *
ks_module_error_find(const char *code)
{
	const struct ks_errdef *e;
	int i;

	for (i = 0; i < nmods; i++)
		if (mods[i].ok && (e = ks_module_error_in(mods[i].m,
		    code)) != NULL)
			return e;
	return NULL;
}

const struct ks_errdef *
ks_module_errors(int i, int *more)
{
	*more = i < nmods;
	if (i < 0 || i >= nmods || !mods[i].ok)
		return NULL;
	return mods[i].m->errors;
}

const struct ks_dossier_kind *
ks_module_kinds(int i, const char **name)
{
	if (i < 0 || i >= nmods || !mods[i].inited)
		return NULL;
	if (name != NULL)
		*name = mods[i].m->name;
	return mods[i].m->dossier_kinds;
}

const struct ks_dossier_kind *
ks_module_kind(const char *module, const char *code)
{
	const struct ks_dossier_kind *k;
	const char *name;
	int i;

	for (i = 0; i < nmods; i++) {
		if ((k = ks_module_kinds(i, &name)) == NULL ||
		    (module != NULL && strcmp(name, module) != 0))
			continue;
		for (; k->code != NULL; k++)
			if (code == NULL || *code == '\0' ||
			    strcmp(k->code, code) == 0)
				return k;
	}
	return NULL;
}

const char *
ks_module_of_kind(const struct ks_dossier_kind *kind)
{
	const struct ks_dossier_kind *k;
	const char *name;
	int i;

	for (i = 0; i < nmods; i++)
		for (k = ks_module_kinds(i, &name); k != NULL &&
		    k->code != NULL; k++)
			if (k == kind)
				return name;
	return "";
}

const void *
ks_module_enter(const char *module)
{
	const struct loaded *prev = hooked;
	int i;

	/* The hook's module is the thread's: no parking inside it. */
	ks_fiber_pin();
	for (i = 0; i < nmods; i++)
		if (mods[i].inited && strcmp(mods[i].m->name, module) == 0)
			hooked = &mods[i];
	return prev;
}

void
ks_module_leave(const void *prev)
{
	hooked = prev;
	ks_fiber_unpin();
}

static PGresult *
api_db_q(struct ks_request *req, int qid, int n, const char *const *v)
{
	const struct loaded *l = owner(req);

	if (l == NULL || qid < 0 || qid >= l->qn) {
		ks_log(KS_LOG_ERROR, "module statement %d outside %s's table",
		    qid, l != NULL ? l->m->name : "(no module)");
		ks_fail(req, 500, "internal_error", "something went wrong "
		    "on our side");
		return NULL;
	}
	return ks_db_q(req, l->qbase + qid, n, v);
}

static const struct ks_api api = {
	KS_ABI_MAJOR, KS_ABI_MINOR, sizeof(struct ks_api),
	ks_fail, ks_fail_detail, ks_reply, ks_param, ks_param_id, api_body,
	api_tenant, api_user, api_has_perm, api_alloc, ks_check_etag,
	ks_set_etag, api_db_register, api_db_q, ks_audit, ks_rules_eval,
	api_log,
	api_raw, ks_header, ks_query, ks_after_commit, ks_db_set_tenant,
	api_roles, api_root, ks_sha256_hex, api_request_id, api_strdup,
	ks_iban_valid, ks_iban_is_qr, ks_ahv_valid, ks_iso_pain001_write,
	ks_iso_validate, ks_iso_camt054_parse, ks_iso_camt054_free, free,
	api_team, api_method, ks_pdf_render, ks_page, ks_access_dossier,
	ks_job_enqueue, ks_job_accepted, ks_job_progress, ks_job_result,
	ks_job_id, ks_job_attempt,
	ks_body_raw, ks_req_header, ks_today, ks_num, api_printf,
	ks_document_put, ks_document_get, ks_dossier_seal, ks_dossier_open,
	ks_transition_check, ks_transitions_from,
	ks_dossier_transition, ks_deadline_add, ks_deadlines_close,
	ks_checklist_missing,
	ks_party_check,
	ks_qrbill_payload,
	ks_db_free
};

/* ----------------------------------------------------------- loading */

static void
refuse(struct loaded *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->reason, sizeof(l->reason), fmt, ap);
	va_end(ap);
	l->ok = 0;
	l->m = NULL;
	if (l->dl != NULL)
		dlclose(l->dl);
	l->dl = NULL;
	ks_log(KS_LOG_ERROR, "module %s refused: %s; serving without it",
	    l->file, l->reason);
}

static int
valid_name(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 2 || n > 31 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* Why a module's error codes cannot be taken, or NULL. */
static const char *
errors_invalid(const struct ks_module *m, const char **which)
{
	const struct ks_errdef *e, *o;
	const char *c;
	int i;

	for (e = m->errors; e != NULL && e->code != NULL; e++) {
		*which = e->code;
		for (c = e->code; *c == '_' || (*c >= 'a' && *c <= 'z'); c++)
			;
		if (*c != '\0' || c == e->code || e->http < 400 ||
		    e->http > 599 || e->doc == NULL)
			return "an error code must be [a-z_]+ with a status "
			    "400..599 and a meaning";
		for (o = ks_errors; o->code != NULL; o++)
			if (strcmp(o->code, e->code) == 0)
				return "the core has this error code: use it, "
				    "do not declare it";
		for (i = 0; i < nmods; i++)
			if (mods[i].ok && ks_module_error_in(mods[i].m,
			    e->code) != NULL)
				return "another module declares this error code";
	}
	return NULL;
}

static int
checks(struct loaded *l, const struct ks_module *m)
{
	const struct ks_dossier_kind *k;
	const char *why, *code;
	int i;

	if (m == NULL)
		return refuse(l, "its descriptor is missing"), KS_ERROR;
	if (m->abi_major != KS_ABI_MAJOR || m->abi_minor > KS_ABI_MINOR)
		return refuse(l, "built for ABI %d.%d, the core provides %d.%d",
		    m->abi_major, m->abi_minor, KS_ABI_MAJOR, KS_ABI_MINOR),
		    KS_ERROR;
	if (m->struct_size != sizeof(struct ks_module))
		return refuse(l, "descriptor size %zu, expected %zu",
		    m->struct_size, sizeof(struct ks_module)), KS_ERROR;
	for (k = m->dossier_kinds; k != NULL && k->code != NULL; k++)
		if ((why = ks_dossier_kind_invalid(k)) != NULL)
			return refuse(l, "%s (%s)", why, k->code), KS_ERROR;
	if (m->build_signature == NULL ||
	    strcmp(m->build_signature, KS_BUILD_SIGNATURE) != 0)
		return refuse(l, "build signature does not match the core's"),
		    KS_ERROR;
	/* 2.3 appended members to struct ks_dossier_kind (its array). */
	if (m->dossier_kinds != NULL && m->abi_minor < 3)
		return refuse(l, "declares dossier kinds of ABI %d.%d; rebuild "
		    "it for %d.3", m->abi_major, m->abi_minor, KS_ABI_MAJOR),
		    KS_ERROR;
	if (!valid_name(m->name))
		return refuse(l, "its name is not a valid module name"),
		    KS_ERROR;
	if ((why = errors_invalid(m, &code)) != NULL)
		return refuse(l, "%s (%s)", why, code), KS_ERROR;
	for (i = 0; i < nmods; i++)
		if (mods[i].ok && strcmp(mods[i].m->name, m->name) == 0)
			return refuse(l, "a module named %s is already loaded",
			    m->name), KS_ERROR;
	return KS_OK;
}

static void
load_one(const char *file, int run_init)
{
	struct loaded *l = &mods[nmods++];
	const struct ks_module *m;
	ks_module_fn fn;
	char path[1024], err[256] = "";
	int qmark, rc;

	memset(l, 0, sizeof(*l));
	snprintf(l->file, sizeof(l->file), "%s", file);
	snprintf(path, sizeof(path), "%s/%s.so", ks_conf.module_dir, file);
	if ((l->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		refuse(l, "cannot be loaded: %s", dlerror());
		return;
	}
	if ((fn = (ks_module_fn)(uintptr_t)dlsym(l->dl, "kasus_module")) ==
	    NULL) {
		refuse(l, "it exports no kasus_module()");
		return;
	}
	m = fn();
	if (checks(l, m) != KS_OK)
		return;
	l->m = m;
	l->ok = 1;
	if (!run_init)
		return;
	qmark = ks_db_registered();
	l->qn = -1;
	initing = l;
	rc = m->init != NULL ? m->init(&api, err, sizeof(err)) : KS_OK;
	initing = NULL;
	if (rc != KS_OK) {
		ks_db_truncate(qmark);
		refuse(l, "its init failed: %s", err[0] ? err : "no reason");
		return;
	}
	l->inited = 1;
	if (m->routes != NULL && ks_router_add(m->routes, m->name) != KS_OK) {
		if (m->fini != NULL)
			m->fini();
		ks_db_truncate(qmark);
		refuse(l, "its routes clash with routes already declared");
		return;
	}
	if (m->jobs != NULL && ks_job_types_add(m->jobs, m->name) != KS_OK) {
		ks_router_remove_module(m->name);
		if (m->fini != NULL)
			m->fini();
		ks_db_truncate(qmark);
		refuse(l, "its job types are not valid (\"%s.<name>\", a "
		    "handler, hourly, daily or monthly) or are taken", m->name);
		return;
	}
	ks_log(KS_LOG_INFO, "module %s %s loaded", m->name, m->version);
}

int
ks_modules_load(int run_init)
{
	char list[512], *s, *tok, *save = NULL;

	snprintf(list, sizeof(list), "%s", ks_conf.modules);
	for (s = list; (tok = strtok_r(s, ", ", &save)) != NULL; s = NULL) {
		if (nmods == MAX_MODULES) {
			ks_log(KS_LOG_ERROR, "too many modules configured");
			break;
		}
		load_one(tok, run_init);
	}
	return KS_OK;
}

void
ks_modules_unload(void)
{
	int i;

	for (i = nmods - 1; i >= 0; i--) {
		if (!mods[i].ok)
			continue;
		ks_router_remove_module(mods[i].m->name);
		ks_job_types_remove(mods[i].m->name);
		if (mods[i].inited && mods[i].m->fini != NULL)
			mods[i].m->fini();
		dlclose(mods[i].dl);
		mods[i].ok = 0;
	}
	nmods = 0;
}

static int
loaded_module(const char *name)
{
	int i;

	for (i = 0; i < nmods; i++)
		if (mods[i].ok && strcmp(mods[i].m->name, name) == 0)
			return 1;
	return 0;
}

json_t *
ks_modules_health(void)
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < nmods; i++)
		json_object_set_new(o, mods[i].ok ? mods[i].m->name :
		    mods[i].file, mods[i].ok ? json_pack("{s:s,s:s}", "status",
		    "loaded", "version", mods[i].m->version) :
		    json_pack("{s:s,s:s}", "status", "refused", "reason",
		    mods[i].reason));
	return o;
}

/* ------------------------------------------------ per-tenant switches */

static int
enabled_list(struct ks_request *req, char *out, size_t len)
{
	struct slot *s = &cache[(uint64_t)req->who.tenant_id % CACHE_SLOTS];
	time_t now = time(NULL);
	PGresult *r;
	size_t n;
	int i;

	pthread_mutex_lock(&cache_lock);
	if (s->tenant == req->who.tenant_id && s->expires > now) {
		snprintf(out, len, "%s", s->list);
		pthread_mutex_unlock(&cache_lock);
		return KS_OK;
	}
	pthread_mutex_unlock(&cache_lock);
	if ((r = ks_db_q(req, Q_MOD_ENABLED, 0, NULL)) == NULL)
		return KS_ERROR;
	snprintf(out, len, ",");
	for (i = 0; i < PQntuples(r); i++) {
		n = strlen(out);
		snprintf(out + n, len - n, "%s,", ks_db_str(r, i, "module"));
	}
	pthread_mutex_lock(&cache_lock);
	s->tenant = req->who.tenant_id;
	s->expires = now + CACHE_TTL;
	snprintf(s->list, sizeof(s->list), "%s", out);
	pthread_mutex_unlock(&cache_lock);
	return KS_OK;
}

void
ks_modules_forget(int64_t tenant)
{
	pthread_mutex_lock(&cache_lock);
	cache[(uint64_t)tenant % CACHE_SLOTS].expires = 0;
	pthread_mutex_unlock(&cache_lock);
}

int
ks_module_check(struct ks_request *req)
{
	const char *mod = ks_router_module(req->route);
	char list[512], want[40];
	int i;

	if (mod == NULL && !(req->route->flags & KS_R_CASEWORK))
		return KS_OK;
	if (enabled_list(req, list, sizeof(list)) != KS_OK)
		return KS_ERROR;
	/* The casework routes: a module with a dossier kind is on. */
	for (i = 0; mod == NULL && i < nmods; i++) {
		if (!mods[i].inited || mods[i].m->dossier_kinds == NULL)
			continue;
		snprintf(want, sizeof(want), ",%s,", mods[i].m->name);
		if (strstr(list, want) != NULL)
			return KS_OK;
	}
	if (mod != NULL)
		snprintf(want, sizeof(want), ",%s,", mod);
	if (mod == NULL || strstr(list, want) == NULL)
		return ks_fail(req, 404, "not_found",
		    "there is nothing at this address");
	return KS_OK;
}

int
ks_module_on(struct ks_request *req, const char *module)
{
	char list[512], want[40];

	if (enabled_list(req, list, sizeof(list)) != KS_OK)
		return -1;
	snprintf(want, sizeof(want), ",%s,", module);
	return strstr(list, want) != NULL;
}

int
ks_modules_count(void)
{
	return nmods;
}

const struct ks_vocab *
ks_modules_vocab(int i, const char **name)
{
	if (i < 0 || i >= nmods || !mods[i].ok)
		return NULL;
	if (name != NULL)
		*name = mods[i].m->name;
	return mods[i].m->vocabulary;
}

json_t *
ks_modules_enabled(struct ks_request *req)
{
	json_t *a = json_array();
	char list[512];
	int i;

	if (nmods == 0 || enabled_list(req, list, sizeof(list)) != KS_OK)
		return a;
	for (i = 0; i < nmods; i++) {
		char want[40];
		if (!mods[i].ok)
			continue;
		snprintf(want, sizeof(want), ",%s,", mods[i].m->name);
		if (strstr(list, want) != NULL)
			json_array_append_new(a, json_string(mods[i].m->name));
	}
	return a;
}

int
ks_modules_money(struct ks_request *req, enum ks_money_hook h,
    const char *run, const char *first, const char *month)
{
	const struct ks_money *m;
	char list[512], want[40];
	int i, rc = KS_OK;

	if (nmods == 0)
		return KS_OK;
	if (enabled_list(req, list, sizeof(list)) != KS_OK)
		return KS_ERROR;
	for (i = 0; i < nmods && rc == KS_OK; i++) {
		if (!mods[i].inited || (m = mods[i].m->money) == NULL)
			continue;
		snprintf(want, sizeof(want), ",%s,", mods[i].m->name);
		if (strstr(list, want) == NULL)
			continue;
		hooked = &mods[i];
		switch (h) {
		case KS_MONEY_LINES:
			if (m->run_lines != NULL)
				rc = m->run_lines(req, run, first, month);
			break;
		case KS_MONEY_HELD:
			if (m->run_held != NULL)
				rc = m->run_held(req, run);
			break;
		case KS_MONEY_CLEARED:
			if (m->run_cleared != NULL)
				rc = m->run_cleared(req, run);
			break;
		case KS_MONEY_APPROVED:
			if (m->run_approved != NULL)
				rc = m->run_approved(req, run);
			break;
		}
		hooked = NULL;
	}
	return rc;
}

int
ks_modules_credit(struct ks_request *req, const struct ks_credit *c,
    const char **module)
{
	const struct ks_money *m;
	char list[512], want[40];
	int i, rc = 0;

	*module = NULL;
	if (nmods == 0)
		return 0;
	if (enabled_list(req, list, sizeof(list)) != KS_OK)
		return -1;
	for (i = 0; i < nmods && rc == 0; i++) {
		/* A module built for 2.4 has a shorter struct ks_money. */
		if (!mods[i].inited || mods[i].m->abi_minor < 5 ||
		    (m = mods[i].m->money) == NULL || m->credit == NULL)
			continue;
		snprintf(want, sizeof(want), ",%s,", mods[i].m->name);
		if (strstr(list, want) == NULL)
			continue;
		hooked = &mods[i];
		rc = m->credit(req, c);
		hooked = NULL;
		if (rc == 1)
			*module = mods[i].m->name;
		else if (rc != 0)
			rc = -1;
	}
	return rc;
}

int
ks_modules_credit_to(struct ks_request *req, const struct ks_credit *c,
    const char *module)
{
	const struct ks_money *m;
	char list[512], want[40];
	int i, rc;

	if (enabled_list(req, list, sizeof(list)) != KS_OK)
		return -1;
	snprintf(want, sizeof(want), ",%s,", module);
	if (strstr(list, want) == NULL)
		return 0;
	for (i = 0; i < nmods; i++) {
		/* Before 2.6 a module knows no dossier in a credit. */
		if (!mods[i].inited || strcmp(mods[i].m->name, module) != 0 ||
		    mods[i].m->abi_minor < 6 ||
		    (m = mods[i].m->money) == NULL || m->credit == NULL)
			continue;
		hooked = &mods[i];
		rc = m->credit(req, c);
		hooked = NULL;
		return rc == 1 ? 1 : rc == 0 ? 0 : -1;
	}
	return 0;
}

/* After commit: every worker (and node) drops its cached switches. */
static void
announce(struct ks_request *req, void *msg)
{
	ks_modules_forget(req->db_tenant);
	ks_redis_free(ks_redis_cmd("PUBLISH ks:invalidate %s", (char *)msg));
}

static PGresult *
target_tenant(struct ks_request *req)
{
	const char *v[1] = { ks_param(req, "slug") };
	PGresult *t;

	if ((t = ks_db_q(req, Q_TENANT_BY_SLUG, 1, v)) == NULL)
		return NULL;
	if (PQntuples(t) != 1) {
		ks_fail(req, 404, "not_found", "no such tenant");
		return NULL;
	}
	if (ks_db_set_tenant(req, ks_db_getll(t, 0, "id")) != KS_OK)
		return NULL;
	return t;
}

static json_t *
state_json(PGresult *r, int i)
{
	return json_pack("{s:s,s:b,s:s,s:I}",
	    "module", ks_db_str(r, i, "module"),
	    "enabled", strcmp(ks_db_str(r, i, "enabled"), "t") == 0,
	    "start_date", ks_db_str(r, i, "start_date"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"));
}

static int
tenant_modules(struct ks_request *req)
{
	PGresult *r;
	json_t *items = json_array(), *e;
	int i, j, found;

	if (target_tenant(req) == NULL ||
	    (r = ks_db_q(req, Q_MOD_LIST, 0, NULL)) == NULL) {
		json_decref(items);
		return KS_ERROR;
	}
	for (i = 0; i < nmods; i++) {
		if (!mods[i].ok)
			continue;
		found = 0;
		for (j = 0; j < PQntuples(r); j++) {
			if (strcmp(ks_db_str(r, j, "module"),
			    mods[i].m->name) != 0)
				continue;
			e = state_json(r, j);
			found = 1;
			json_array_append_new(items, e);
		}
		if (!found)
			json_array_append_new(items, json_pack("{s:s,s:b,s:n,"
			    "s:I}", "module", mods[i].m->name, "enabled", 0,
			    "start_date", "version", (json_int_t)0));
	}
	return ks_reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
tenant_module_put(struct ks_request *req)
{
	const char *v[3], *mod = ks_param(req, "module");
	json_t *before = NULL;
	PGresult *r;

	if (!loaded_module(mod))
		return ks_fail(req, 404, "not_found", "no such module");
	if (target_tenant(req) == NULL)
		return KS_ERROR;
	v[0] = mod;
	if ((r = ks_db_q(req, Q_MOD_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 1) {
		before = state_json(r, 0);
		/* Changing an existing switch needs its ETag. */
		if (ks_check_etag(req, ks_db_getll(r, 0, "version"),
		    json_incref(before))
		    != KS_OK) {
			json_decref(before);
			return KS_ERROR;
		}
	}
	v[1] = json_is_true(json_object_get(req->body, "enabled")) ? "t" : "f";
	v[2] = ks_body_str(req, "start_date");
	if ((r = ks_db_q(req, Q_MOD_SET, 3, v)) == NULL ||
	    ks_audit(req, v[1][0] == 't' ? "module_enabled" : "module_disabled",
	    "module", mod, json_incref(before), state_json(r, 0), json_pack("{s:s}",
	    "by_tenant", req->who.tenant_slug ? req->who.tenant_slug : "")) !=
	    KS_OK) {
		json_decref(before);
		return KS_ERROR;
	}
	json_decref(before);
	ks_after_commit(req, announce, ks_arena_printf(req->arena,
	    "modules:%lld", (long long)req->db_tenant));
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, state_json(r, 0));
}

static const struct ks_field module_body[] = {
	{ "enabled", KS_F_BOOL, 1, 0, 0, NULL },
	{ "start_date", KS_F_DATE, 0, 0, 0, "pilot start; default today" },
	KS_FIELDS_END
};

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/admin/tenants/{slug}/modules", "canton.tenants", 0,
	    NULL, 0, tenant_modules, "loaded modules and this tenant's "
	    "switches", NULL },
	{ "PUT", "/api/v1/admin/tenants/{slug}/modules/{module}",
	    "canton.tenants", 4096, module_body, KS_R_ETAG,
	    tenant_module_put,
	    "switch a module on or off for a tenant, from a start date "
	    "(If-Match once the switch exists)", NULL },
	KS_ROUTES_END
};

void
ks_modules_register(void)
{
	ks_router_add(routes, NULL);
}

/* ------------------------------------------------------- migrations */

int ks_migrate_dir(PGconn *, const char *, const char *);

static int
upsert_perms(PGconn *c, const struct ks_module *m)
{
	const struct ks_perm_def *p;
	char roles[256], *tok, *save;
	const char *v[3];
	PGresult *r;
	int ok = 1;

	for (p = m->permissions; p != NULL && p->code != NULL && ok; p++) {
		v[0] = p->code;
		v[1] = p->description;
		v[2] = m->name;
		r = PQexecParams(c, "INSERT INTO permission (code, description,"
		    " module) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE "
		    "SET description = EXCLUDED.description", 3, NULL, v, NULL,
		    NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		snprintf(roles, sizeof(roles), "%s", p->roles ? p->roles : "");
		for (tok = strtok_r(roles, ",", &save); tok != NULL && ok;
		    tok = strtok_r(NULL, ",", &save)) {
			v[0] = tok;
			v[1] = p->code;
			r = PQexecParams(c, "INSERT INTO role_permission (role, "
			    "permission) VALUES ($1, $2) ON CONFLICT DO NOTHING",
			    2, NULL, v, NULL, NULL, 0);
			ok = PQresultStatus(r) == PGRES_COMMAND_OK;
			PQclear(r);
		}
	}
	if (!ok)
		ks_log(KS_LOG_ERROR, "module %s: permissions not recorded",
		    m->name);
	return ok ? KS_OK : KS_ERROR;
}

int
ks_modules_migrate(PGconn *c)
{
	char dir[1024];
	int i, rc = KS_OK;

	for (i = 0; i < nmods && rc == KS_OK; i++) {
		if (!mods[i].ok)
			continue;
		if (mods[i].m->migrations != NULL) {
			snprintf(dir, sizeof(dir), "%s/%s", ks_conf.root,
			    mods[i].m->migrations);
			rc = ks_migrate_dir(c, mods[i].m->name, dir);
		}
		if (rc == KS_OK)
			rc = upsert_perms(c, mods[i].m);
	}
	return rc;
}
