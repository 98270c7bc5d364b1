/*
 * rules.c - the Lua rule engine: a cage per compiled rule pack.
 *
 * Each state has a memory budget (its allocator refuses past the limit),
 * an instruction budget and a deadline (a count hook), only base, string,
 * table, math and utf8 with load, loadfile, dofile, require, print,
 * collectgarbage, rawset, pcall and xpcall removed (a rule must not catch
 * the errors that stop it), text chunks only, read-only library tables and
 * a protected string metatable. Every evaluation runs the chunk in a fresh
 * _ENV, so nothing a rule does survives into the next evaluation.
 *
 * Compiled states are cached per thread by the pack's SHA-256 and dropped
 * when the invalidation generation changes (Redis pub/sub, see
 * rules_listen.c) or after an evaluation ran out of memory or time.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "kasus.h"

#define CACHE_MAX	16
#define MAX_DEPTH	64

struct cage {
	lua_State	*L;
	size_t		 used;
	size_t		 limit;
	long		 steps;
	long		 step_limit;
	double		 deadline;
	int		 stop;		/* 1 timeout, 2 memory */
	char		 sha[65];
	unsigned	 gen;
	int		 chunk;		/* registry ref of the compiled chunk */
	int		 base;		/* registry ref of the read-only globals */
	struct cage	*next;
};

unsigned ks_rules_gen;
static __thread struct cage *cache;
static __thread unsigned cache_gen;
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

static void
tl_destroy(void *p)
{
	(void)p;
	ks_rules_thread_free();
}

static void
tl_init(void)
{
	pthread_key_create(&tl_key, tl_destroy);
}

static void *
cage_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct cage *c = ud;
	void *p;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		c->used -= osize;
		return NULL;
	}
	if (nsize > osize && c->used + (nsize - osize) > c->limit) {
		c->stop = 2;
		return NULL;
	}
	if ((p = realloc(ptr, nsize)) != NULL)
		c->used = c->used - osize + nsize;
	return p;
}

static void
hook(lua_State *L, lua_Debug *ar)
{
	struct cage *c;

	(void)ar;
	lua_getallocf(L, (void **)&c);
	c->steps += 1000;
	if (c->steps > c->step_limit || ks_now() > c->deadline) {
		c->stop = 1;
		luaL_error(L, "the rule ran out of time");
	}
}

static int
readonly(lua_State *L)
{
	return luaL_error(L, "rule libraries are read-only");
}

/*
 * Lua's pattern matcher backtracks in C, where no instruction hook runs:
 * "a.-.-.-b" over a few hundred characters takes minutes. Bound the work
 * before calling it: subject length to the power (quantifiers + 1).
 */
#define PATTERN_BUDGET	1e7

static int
guarded_match(lua_State *L)
{
	size_t n, m, i;
	const char *p;
	double cost = 1;
	int q = 0, plain;

	luaL_checklstring(L, 1, &n);
	p = luaL_checklstring(L, 2, &m);
	plain = lua_toboolean(L, lua_upvalueindex(2)) && lua_toboolean(L, 4);
	if (!plain) {
		for (i = 0; i < m; i++) {
			if (p[i] == '%')
				i++;
			else if (p[i] == '*' || p[i] == '+' || p[i] == '-' ||
			    p[i] == '?')
				q++;
		}
		for (i = 0; i <= (size_t)q && cost <= PATTERN_BUDGET; i++)
			cost *= (double)(n + 1);
		if (cost > PATTERN_BUDGET)
			return luaL_error(L, "the pattern is too complex for a "
			    "text of %d characters; simplify it", (int)n);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* Finalizers would run outside any evaluation's budget: refuse them. */
static int
guarded_setmetatable(lua_State *L)
{
	if (lua_istable(L, 2) && lua_getfield(L, 2, "__gc") != LUA_TNIL)
		return luaL_error(L, "rules cannot set finalizers (__gc)");
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

static void
guard(lua_State *L, const char *lib, const char *fn, lua_CFunction g,
    int isfind)
{
	if (lib != NULL)
		lua_getglobal(L, lib);
	else
		lua_pushglobaltable(L);
	lua_getfield(L, -1, fn);
	if (isfind >= 0) {
		lua_pushboolean(L, isfind);
		lua_pushcclosure(L, g, 2);
	} else
		lua_pushcclosure(L, g, 1);
	lua_setfield(L, -2, fn);
	lua_pop(L, 1);
}

/* Replace the table at the top by a read-only proxy of it. */
static void
protect(lua_State *L)
{
	lua_newtable(L);		/* proxy */
	lua_newtable(L);		/* its metatable */
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
}

static void
open_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ NULL, NULL }
	};
	static const char *const hidden[] = { "load", "loadfile", "dofile",
	    "require", "print", "collectgarbage", "rawset", "pcall", "xpcall",
	    "setmetatable_unsafe", NULL };
	static const char *const shared[] = { "string", "table", "math",
	    "utf8", NULL };
	const luaL_Reg *l;
	int i;

	for (l = libs; l->func != NULL; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	guard(L, "string", "find", guarded_match, 1);
	guard(L, "string", "match", guarded_match, 0);
	guard(L, "string", "gmatch", guarded_match, 0);
	guard(L, "string", "gsub", guarded_match, 0);
	guard(L, NULL, "setmetatable", guarded_setmetatable, -1);
	lua_pushglobaltable(L);
	for (i = 0; hidden[i] != NULL; i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, hidden[i]);
	}
	lua_pushnil(L);
	lua_setfield(L, -2, "_G");
	for (i = 0; shared[i] != NULL; i++) {
		lua_getfield(L, -1, shared[i]);
		protect(L);
		lua_setfield(L, -2, shared[i]);
	}
	lua_pop(L, 1);
	/* Strings share one metatable: hide it from getmetatable. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
}

static void
cage_free(struct cage *c)
{
	if (c == NULL)
		return;
	if (c->L != NULL) {
		/* Closing may run code (finalizers): keep it on a budget. */
		c->steps = 0;
		c->step_limit = 1000000;
		c->deadline = ks_now() + 0.1;
		lua_sethook(c->L, hook, LUA_MASKCOUNT, 1000);
		lua_close(c->L);
	}
	free(c);
}

void
ks_rules_thread_free(void)
{
	struct cage *c, *n;

	for (c = cache; c != NULL; c = n) {
		n = c->next;
		cage_free(c);
	}
	cache = NULL;
}

void
ks_rules_invalidate(void)
{
	__atomic_add_fetch(&ks_rules_gen, 1, __ATOMIC_RELAXED);
}

static int
rule_fail(struct ks_request *req, const char *code, const char *msg,
    const char *lua_msg)
{
	return ks_fail_detail(req, 422, code, msg, lua_msg ? json_pack(
	    "{s:s}", "lua", lua_msg) : NULL);
}

/* Compile source into a new cage; NULL with req->err set on failure. */
static struct cage *
cage_new(struct ks_request *req, const char *name, const char *src,
    size_t len, const char *sha)
{
	struct cage *c;
	char chunk[96];
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		abort();
	c->limit = (size_t)ks_conf.rules_memory;
	if ((c->L = lua_newstate(cage_alloc, c)) == NULL) {
		free(c);
		rule_fail(req, "rule_memory", "the rule needs more memory "
		    "than allowed", NULL);
		return NULL;
	}
	open_libs(c->L);
	snprintf(chunk, sizeof(chunk), "=%s", name);
	rc = luaL_loadbufferx(c->L, src, len, chunk, "t");
	if (rc != LUA_OK) {
		rule_fail(req, rc == LUA_ERRMEM ? "rule_memory" : "rule_error",
		    rc == LUA_ERRMEM ? "the rule needs more memory than allowed"
		    : "the rule does not compile", lua_tostring(c->L, -1));
		cage_free(c);
		return NULL;
	}
	c->chunk = luaL_ref(c->L, LUA_REGISTRYINDEX);
	lua_pushglobaltable(c->L);
	c->base = luaL_ref(c->L, LUA_REGISTRYINDEX);
	snprintf(c->sha, sizeof(c->sha), "%s", sha);
	return c;
}

static struct cage *
cache_get(const char *sha)
{
	struct cage *c, **pp;
	unsigned g = __atomic_load_n(&ks_rules_gen, __ATOMIC_RELAXED);

	if (g != cache_gen) {
		ks_rules_thread_free();
		cache_gen = g;
	}
	for (pp = &cache; (c = *pp) != NULL; pp = &c->next) {
		if (strcmp(c->sha, sha) == 0) {
			*pp = c->next;		/* move to front */
			c->next = cache;
			cache = c;
			return c;
		}
	}
	return NULL;
}

/*
 * A thread keeps at most CACHE_MAX states, together at most its share of
 * rules_cache_memory (the one used last is always kept): a worker's
 * memory stays bounded however many packs and tenants it serves. The
 * least recently used go first.
 */
static void
cache_trim(void)
{
	size_t budget, total = 0;
	struct cage *p, *x;
	int n = 0;

	budget = (size_t)ks_conf.rules_cache_memory /
	    (size_t)(ks_conf.threads + ks_conf.job_threads + 1);
	for (p = cache; p != NULL && p->next != NULL; p = p->next) {
		total += p->used;
		if (++n < CACHE_MAX && total + p->next->used <= budget)
			continue;
		while ((x = p->next) != NULL) {
			p->next = x->next;
			cage_free(x);
		}
		break;
	}
}

void
ks_rules_cache_size(int *n, size_t *bytes)
{
	struct cage *p;

	*n = 0;
	*bytes = 0;
	for (p = cache; p != NULL; p = p->next) {
		(*n)++;
		*bytes += p->used;
	}
}

static void
cache_put(struct cage *c)
{
	/* Free this thread's states when it ends (leak-free shutdown). */
	pthread_once(&tl_once, tl_init);
	pthread_setspecific(tl_key, (void *)1);

	c->next = cache;
	cache = c;
	cache_trim();
}

static void
cache_drop(struct cage *c)
{
	struct cage **pp;

	for (pp = &cache; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	cage_free(c);
}

static int
push_json(lua_State *L, json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (depth > MAX_DEPTH || !lua_checkstack(L, 4))
		return KS_ERROR;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(j));
		json_object_foreach(j, k, v) {
			if (json_is_null(v))
				continue;
			if (push_json(L, v, depth + 1) != KS_OK)
				return KS_ERROR;
			lua_setfield(L, -2, k);
		}
		return KS_OK;
	case JSON_ARRAY:
		lua_createtable(L, (int)json_array_size(j), 0);
		json_array_foreach(j, i, v) {
			if (push_json(L, v, depth + 1) != KS_OK)
				return KS_ERROR;
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		return KS_OK;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(j), json_string_length(j));
		return KS_OK;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(j));
		return KS_OK;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(j));
		return KS_OK;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(j));
		return KS_OK;
	default:
		lua_pushnil(L);
		return KS_OK;
	}
}

/* Convert the value at idx; on failure *why says what is wrong. */
static json_t *
to_json(lua_State *L, int idx, int depth, const char **why)
{
	json_t *o;
	lua_Integer n, k;
	lua_Number d;
	size_t len;
	const char *s;
	int isarr, count = 0;

	idx = lua_absindex(L, idx);
	if (depth > MAX_DEPTH || !lua_checkstack(L, 4)) {
		*why = "the result is nested too deeply";
		return NULL;
	}
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_integer((json_int_t)lua_tointeger(L, idx));
		d = lua_tonumber(L, idx);
		if (isfinite(d) && d == floor(d) && fabs(d) < 9.0e15)
			return json_integer((json_int_t)d);
		*why = "the result holds a number that is not a whole number; "
		    "amounts are integers in Rappen (round in the rule)";
		return NULL;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		return json_stringn(s, len);
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	case LUA_TNIL:
		return json_null();
	case LUA_TTABLE:
		break;
	default:
		*why = "the result holds a value that is not data (function, "
		    "userdata or thread)";
		return NULL;
	}
	n = (lua_Integer)lua_rawlen(L, idx);
	isarr = 1;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		count++;
		if (!lua_isinteger(L, -2) || (k = lua_tointeger(L, -2)) < 1 ||
		    k > n)
			isarr = 0;
		lua_pop(L, 1);
	}
	if (count == 0)
		return json_array();
	if (isarr && count == n) {
		o = json_array();
		for (k = 1; k <= n; k++) {
			json_t *e;
			lua_rawgeti(L, idx, k);
			e = to_json(L, -1, depth + 1, why);
			lua_pop(L, 1);
			if (e == NULL) {
				json_decref(o);
				return NULL;
			}
			json_array_append_new(o, e);
		}
		return o;
	}
	o = json_object();
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		json_t *e;
		if (lua_type(L, -2) != LUA_TSTRING) {
			lua_pop(L, 2);
			json_decref(o);
			*why = "the result mixes list entries and named fields";
			return NULL;
		}
		e = to_json(L, -1, depth + 1, why);
		if (e == NULL) {
			lua_pop(L, 2);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, lua_tostring(L, -2), e);
		lua_pop(L, 1);
	}
	return o;
}

/*
 * PACK = { name =, version = } from a "name@version" label, so that a
 * pack names its own version without a constant kept by hand.
 */
static void
push_pack(lua_State *L, const char *label)
{
	const char *at = strchr(label, '@');	/* names are slugs */

	lua_newtable(L);
	if (at != NULL) {
		lua_pushlstring(L, label, (size_t)(at - label));
		lua_setfield(L, -2, "name");
		lua_pushstring(L, at + 1);
		lua_setfield(L, -2, "version");
	} else {
		lua_pushstring(L, label);
		lua_setfield(L, -2, "name");
	}
}

/* Run fn(input) in a fresh _ENV of the cage. */
static int
run(struct ks_request *req, struct cage *c, const char *label, json_t *data,
    const char *fn, json_t *input, json_t **out)
{
	lua_State *L = c->L;
	const char *why = NULL, *msg;
	int rc, top = lua_gettop(L);

	c->steps = 0;
	c->stop = 0;
	c->step_limit = ks_conf.rules_instructions;
	c->deadline = ks_now() + ks_conf.rules_timeout_ms / 1000.0;
	lua_sethook(L, hook, LUA_MASKCOUNT, 1000);

	lua_rawgeti(L, LUA_REGISTRYINDEX, c->chunk);
	lua_newtable(L);			/* _ENV */
	lua_newtable(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->base);
	lua_setfield(L, -2, "__index");
	/* The globals behind _ENV are shared: keep them out of reach. */
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	/* A tenant's rule data: fresh per call, like the rest of _ENV. */
	if (data != NULL) {
		if (push_json(L, data, 0) != KS_OK) {
			lua_settop(L, top);
			lua_sethook(L, NULL, 0, 0);
			return rule_fail(req, "rule_error", "the rule data is "
			    "nested too deeply", NULL);
		}
		lua_setfield(L, -2, "DATA");
	}
	if (label != NULL) {
		push_pack(L, label);
		lua_setfield(L, -2, "PACK");
	}
	lua_pushvalue(L, -1);
	lua_insert(L, top + 1);			/* keep _ENV below the chunk */
	lua_setupvalue(L, -2, 1);
	rc = lua_pcall(L, 0, 0, 0);
	if (rc == LUA_OK) {
		lua_getfield(L, top + 1, fn);
		if (!lua_isfunction(L, -1)) {
			lua_settop(L, top);
			lua_sethook(L, NULL, 0, 0);
			return rule_fail(req, "rule_missing", "the rule pack "
			    "has no such function", fn);
		}
		if (push_json(L, input, 0) != KS_OK) {
			lua_settop(L, top);
			lua_sethook(L, NULL, 0, 0);
			return rule_fail(req, "rule_error", "the input is "
			    "nested too deeply", NULL);
		}
		rc = lua_pcall(L, 1, 1, 0);
	}
	lua_sethook(L, NULL, 0, 0);
	if (rc != LUA_OK) {
		msg = lua_tostring(L, -1);
		msg = ks_arena_strdup(req->arena, msg ? msg : "error object");
		lua_settop(L, top);
		if (c->stop == 1)
			return rule_fail(req, "rule_timeout", "the rule took "
			    "too long and was stopped", msg);
		if (c->stop == 2 || rc == LUA_ERRMEM)
			return rule_fail(req, "rule_memory", "the rule needed "
			    "more memory than allowed and was stopped", msg);
		return rule_fail(req, "rule_error", "the rule failed", msg);
	}
	*out = to_json(L, -1, 0, &why);
	lua_settop(L, top);
	if (*out == NULL)
		return rule_fail(req, "rule_error", why, NULL);
	return KS_OK;
}

static int
eval_cached(struct ks_request *req, const char *name, const char *sha,
    const char *src, size_t len, json_t *data, const char *fn, json_t *input,
    json_t **out)
{
	struct cage *c;
	int rc;

	if ((c = cache_get(sha)) == NULL) {
		if ((c = cage_new(req, name, src, len, sha)) == NULL)
			return KS_ERROR;
		cache_put(c);
	}
	rc = run(req, c, name, data, fn, input, out);
	/* A state stopped for memory or time may be left half-built. */
	if (rc != KS_OK && c->stop != 0)
		cache_drop(c);
	else
		cache_trim();	/* it may have grown */
	return rc;
}

int
ks_rules_eval_source(struct ks_request *req, const char *name,
    const char *src, size_t len, json_t *data, const char *fn, json_t *input,
    json_t **out)
{
	char sha[65];

	ks_sha256_hex(src, len, sha);
	return eval_cached(req, name, sha, src, len, data, fn, input, out);
}

int
ks_rules_eval_cached(struct ks_request *req, const char *sha,
    const char *label, json_t *data, const char *fn, json_t *input,
    json_t **out)
{
	struct cage *c;
	int rc;

	if ((c = cache_get(sha)) == NULL)
		return KS_ERROR;	/* a miss: no error set */
	rc = run(req, c, label, data, fn, input, out);
	if (rc != KS_OK && c->stop != 0)
		cache_drop(c);
	else
		cache_trim();
	return rc;
}

int
ks_rules_check(struct ks_request *req, const char *name, const char *src,
    size_t len)
{
	struct cage *c;
	char sha[65];

	ks_sha256_hex(src, len, sha);
	if ((c = cage_new(req, name, src, len, sha)) == NULL)
		return KS_ERROR;
	cage_free(c);
	return KS_OK;
}
