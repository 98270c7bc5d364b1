/*
 * rules.c - the Lua rule engine: a cage per compiled rule pack.
 *
 * Each state has a memory budget (its allocator refuses past the limit),
 * an instruction budget and a deadline (a count hook), only base, string,
 * table, math and utf8 with load, loadfile, dofile, require, print,
 * collectgarbage, rawset, pcall and xpcall removed (a rule must not catch
 * the errors that stop it), text chunks only, read-only library tables and
 * a protected string metatable. A pack's top level runs once per version,
 * label and rule data into a frozen snapshot; every evaluation runs in a
 * fresh _ENV that reads through to it, with the pack's local variables
 * put back, so nothing a rule does survives into the next evaluation.
 *
 * Compiled states are cached per thread by the pack's SHA-256 and dropped
 * when the invalidation generation changes (Redis pub/sub, see
 * rules_load.c) or after an evaluation ran out of memory or time.
 *
 * Time holds in three ways, because the count hook only runs between VM
 * instructions and a library call can work for seconds inside one:
 * library calls whose work is not bounded by what they allocate are
 * charged to the instruction budget before they run, by the work their
 * arguments will cause (string.rep, pattern matching, table.move, sort,
 * concat, insert, remove, unpack, utf8 scans, tonumber); every allocation
 * is charged by its size and checks the deadline; and a watchdog thread
 * arms the hook on the next instruction of an evaluation past its
 * deadline. What is left between two checks is one instruction or one
 * call, bounded by the memory budget.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "kasus.h"

#define CACHE_MAX	16
#define MAX_DEPTH	64

/*
 * Small blocks (most of what a rule allocates: strings, tables, closures)
 * come from the cage's own pool: a free list per 16-byte size class,
 * refilled from slabs that live until the cage is closed. Lua tells the
 * size of every block it frees, so a block's class is known without a
 * header. An evaluation made about 250 malloc, realloc and free calls,
 * an eighth of its work; a pool block costs a few instructions.
 */
#define POOL_CLASSES	16		/* 16, 32, ... 256 bytes */
#define POOL_MAX	(POOL_CLASSES * 16)
#define SLAB_SIZE	16384
#define POOL_KEEP	(4L * 1024 * 1024)	/* more is not cached */

struct slab {
	struct slab	*next;
	char		 pad[8];	/* blocks stay 16-byte aligned */
};

struct cage {
	lua_State	*L;
	size_t		 used;		/* by Lua's count, for the limit */
	size_t		 big;		/* of it, outside the pool */
	size_t		 slabs;		/* bytes of the pool's slabs */
	void		*free[POOL_CLASSES + 1];
	char		*bump, *bump_end;
	struct slab	*slab;
	size_t		 limit;
	long		 steps;
	long		 step_limit;
	double		 deadline;
	double		 start;		/* of the evaluation under way */
	pthread_t	 thread;	/* that runs it */
	int		 stop;		/* 1 timeout, 2 memory */
	volatile sig_atomic_t running;	/* an evaluation is under way */
	volatile sig_atomic_t hooked;	/* its count hook ran once */
	int		 armed;		/* the watchdog armed it (wd_lock) */
	char		 sha[65];
	unsigned	 gen;
	int		 chunk;		/* registry ref of the compiled chunk */
	int		 envmt;		/* registry ref of _ENV's metatable */
	int		 snaps;		/* registry ref: key -> snapshot */
	int		 nsnaps;
	struct cage	*next;
	struct cage	*wd_next;	/* watchdog's list of running cages */
};

unsigned ks_rules_gen;
static __thread struct cage *cache;
static __thread unsigned cache_gen;
/*
 * The JSON text of a result is written here and then copied into the
 * request's arena: growing a fresh buffer per evaluation (a realloc per
 * doubling, past 1 KB each one a glibc consolidation of its small free
 * chunks) cost more than the copy. Kept while at most TEXT_KEEP.
 */
static __thread struct ks_buf tl_text;
#define TEXT_KEEP	(64 * 1024)
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

/*
 * Work a library call does is charged to the instruction budget in steps
 * (about one VM instruction each); an allocation costs one step per 64
 * bytes, which is about what copying or scanning them costs.
 */
#define ALLOC_STEP	64
#define BIG_ALLOC	65536
#define BIG_WORK	65536.0

/*
 * A block of class (n + 15) / 16. With force (Lua shrinking a big block:
 * it assumes a shrink never fails) the slabs may pass their bound.
 */
static void *
pool_get(struct cage *c, size_t n, int force)
{
	size_t k = (n + 15) >> 4;
	struct slab *s;
	void *p;

	if ((p = c->free[k]) != NULL) {
		c->free[k] = *(void **)p;
		return p;
	}
	if (c->bump == NULL || (size_t)(c->bump_end - c->bump) < k * 16) {
		/* The rest of the old slab goes to its free lists. */
		while (c->bump != NULL && c->bump_end - c->bump >= 16) {
			size_t r = (size_t)(c->bump_end - c->bump) >> 4;

			r = r > POOL_CLASSES ? POOL_CLASSES : r;
			*(void **)c->bump = c->free[r];
			c->free[r] = c->bump;
			c->bump += r * 16;
		}
		/* Lua's count keeps to the limit; the slabs nearly so. */
		if (c->slabs >= c->limit + c->limit / 2 && !force)
			return NULL;
		if ((s = malloc(SLAB_SIZE)) == NULL) {
			if (force)
				abort();	/* as a failed shrink in Lua */
			return NULL;
		}
		s->next = c->slab;
		c->slab = s;
		c->slabs += SLAB_SIZE;
		c->bump = (char *)(s + 1);
		c->bump_end = (char *)s + SLAB_SIZE;
	}
	p = c->bump;
	c->bump += k * 16;
	return p;
}

static void
pool_put(struct cage *c, void *p, size_t n)
{
	size_t k = (n + 15) >> 4;

	*(void **)p = c->free[k];
	c->free[k] = p;
}

/* Allocate, resize or free a block, from the pool when it is small. */
static void *
block(struct cage *c, void *ptr, size_t osize, size_t nsize)
{
	void *p;

	if (nsize == 0) {
		if (osize <= POOL_MAX)
			pool_put(c, ptr, osize);
		else {
			free(ptr);
			c->big -= osize;
		}
		return NULL;
	}
	if (ptr != NULL && osize > POOL_MAX && nsize > POOL_MAX) {
		if ((p = realloc(ptr, nsize)) != NULL)
			c->big = c->big - osize + nsize;
		return p;
	}
	/*
	 * A small block that shrinks stays where it is: freed later by its
	 * new size, it serves that smaller class.
	 */
	if (ptr != NULL && osize <= POOL_MAX && nsize <= osize)
		return ptr;
	if (ptr != NULL && (osize + 15) >> 4 == (nsize + 15) >> 4)
		return ptr;		/* the same class */
	if (nsize <= POOL_MAX)
		p = pool_get(c, nsize, ptr != NULL && nsize < osize);
	else if ((p = malloc(nsize)) != NULL)
		c->big += nsize;
	if (p != NULL && ptr != NULL) {
		memcpy(p, ptr, osize < nsize ? osize : nsize);
		block(c, ptr, osize, 0);
	}
	return p;
}

/* Bytes the cage holds: its big blocks and the pool's slabs. */
static size_t
cage_bytes(const struct cage *c)
{
	return c->big + c->slabs;
}

static void *
cage_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct cage *c = ud;
	void *p;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		if (ptr != NULL)
			block(c, ptr, osize, 0);
		c->used -= osize;
		return NULL;
	}
	if (nsize > osize && c->used + (nsize - osize) > c->limit) {
		c->stop = 2;
		return NULL;
	}
	/* Once stopped, the error message itself must still fit. */
	if (c->running && c->stop == 0 && nsize > osize) {
		c->steps += (long)((nsize - osize) / ALLOC_STEP);
		if (c->steps > c->step_limit || (nsize - osize >= BIG_ALLOC &&
		    ks_now() > c->deadline)) {
			/* Lua raises a memory error; run() reports the time. */
			c->stop = 1;
			return NULL;
		}
	}
	if ((p = block(c, ptr, osize, nsize)) != NULL)
		c->used = c->used - osize + nsize;
	else
		c->stop = 2;
	return p;
}

/*
 * An evaluation runs without a hook: Lua 5.4 traces every VM instruction
 * once any count hook is set (a sixth of a budget evaluation's
 * instructions with the hook's own work), and almost every evaluation
 * ends within microseconds. The watchdog arms the count hook of an
 * evaluation still running HOOK_AFTER seconds after it started (and
 * makes it run at once on its deadline); from then on the hook counts
 * every HOOK_EVERY instructions and checks the deadline, as before. The
 * time before the hook ran is charged when it first runs, at the rate
 * the two budgets allow together (rules_instructions per
 * rules_timeout_ms), so the instruction budget holds up to the VM
 * instructions of about the first millisecond. Library calls and
 * allocations are charged as they happen, hook or not. Without a
 * watchdog thread the hook is set at the start, as it always was.
 */
#ifndef HOOK_AFTER		/* a measuring build under valgrind sets more */
#define HOOK_AFTER	0.001
#endif
#define HOOK_EVERY	1000

static void
hook(lua_State *L, lua_Debug *ar)
{
	struct cage *c;
	double now = ks_now(), before;

	(void)ar;
	lua_getallocf(L, (void **)&c);
	if (!c->hooked) {
		/* The first call: the watchdog armed it for the next one. */
		c->hooked = 1;
		before = (now - c->start) * (double)c->step_limit /
		    (ks_conf.rules_timeout_ms / 1000.0);
		c->steps += before < (double)c->step_limit ? (long)before :
		    c->step_limit;
		lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
	} else
		c->steps += HOOK_EVERY;
	if (c->steps > c->step_limit || now > c->deadline) {
		c->stop = 1;
		luaL_error(L, "the rule ran out of time");
	}
}

/*
 * The watchdog asks the evaluating thread to arm its hook (SIGURG): set
 * from the thread that runs the state, lua_sethook is safe at any point
 * (Lua's own interpreter does so from its SIGINT handler), where from
 * the watchdog's thread it would race with the calls it marks.
 */
static __thread struct cage *tl_cage;	/* the evaluation under way */

static void
on_arm(int sig)
{
	struct cage *c = tl_cage;

	(void)sig;
	if (c != NULL && c->running)
		lua_sethook(c->L, hook, LUA_MASKCOUNT, 1);
}

/*
 * Charge work steps before a library call does them; when they do not
 * fit into what is left of the budget the call is not made.
 */
static void
charge(lua_State *L, double work, const char *what)
{
	struct cage *c;
	char msg[160];

	lua_getallocf(L, (void **)&c);
	if (!c->running)
		return;
	/*
	 * The clock is read only for large work or once the hook runs:
	 * before, the evaluation is younger than HOOK_AFTER (a clock read
	 * per guarded call was a twentieth of a budget evaluation).
	 */
	if (work > (double)(c->step_limit - c->steps) || ((c->hooked ||
	    work >= BIG_WORK) && ks_now() > c->deadline)) {
		c->stop = 1;
		snprintf(msg, sizeof(msg), "the rule ran out of time (%s "
		    "would take about %.0f steps, %ld are left)", what, work,
		    c->step_limit > c->steps ? c->step_limit - c->steps : 0L);
		luaL_error(L, "%s", msg);
	}
	c->steps += (long)work;
}

/*
 * Call the original function (upvalue 1) with the arguments as given.
 * The guarded library functions are C functions without upvalues of
 * their own, so they run in this call's frame, directly: a lua_call
 * cost a frame and a move of the arguments on every guarded call, and
 * a budget evaluation makes dozens (gsub, match, tonumber).
 */
static int
call_orig(lua_State *L)
{
	lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));

	if (f != NULL)
		return f(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* An integer argument as a double (no overflow in the estimates). */
static double
opt_num(lua_State *L, int arg, double def)
{
	if (lua_isnoneornil(L, arg))
		return def;
	return (double)luaL_checkinteger(L, arg);
}

/* The length of table argument arg (honours __len like the library). */
static double
tab_len(lua_State *L, int arg)
{
	luaL_checktype(L, arg, LUA_TTABLE);
	return (double)luaL_len(L, arg);
}

/*
 * string.rep(s, n, sep): n copies even when they are empty. A result
 * larger than the memory budget fails at its allocation, before the copy.
 */
static int
guarded_rep(lua_State *L)
{
	double n = (double)luaL_checkinteger(L, 2);
	size_t l, lsep = 0;
	struct cage *c;

	luaL_checklstring(L, 1, &l);
	if (!lua_isnoneornil(L, 3))
		luaL_checklstring(L, 3, &lsep);
	lua_getallocf(L, (void **)&c);
	if (n > 0 && n * (double)(l + lsep) <= (double)c->limit)
		charge(L, n / 4, "string.rep");
	return call_orig(L);
}

static int
readonly(lua_State *L)
{
	return luaL_error(L, "rule libraries are read-only");
}

/* table.move(a1, f, e, t [, a2]): one get and one set per element. */
static int
guarded_move(lua_State *L)
{
	double f = (double)luaL_checkinteger(L, 2);
	double e = (double)luaL_checkinteger(L, 3);

	if (e >= f)
		charge(L, 2 * (e - f + 1), "table.move");
	return call_orig(L);
}

/* table.concat(t, sep, i, j) and table.unpack(t, i, j): j - i + 1. */
static int
guarded_range(lua_State *L)
{
	int concat = lua_tointeger(L, lua_upvalueindex(2)) == 1;
	int ia = concat ? 3 : 2;
	double i = opt_num(L, ia, 1), j;

	j = lua_isnoneornil(L, ia + 1) ? tab_len(L, 1) :
	    (double)luaL_checkinteger(L, ia + 1);
	if (j >= i)
		charge(L, j - i + 1, concat ? "table.concat" : "table.unpack");
	return call_orig(L);
}

/* table.insert(t, pos, v), table.remove(t, pos): shifting the rest. */
static int
guarded_shift(lua_State *L)
{
	int remove = lua_tointeger(L, lua_upvalueindex(2)) == 1;

	if (lua_gettop(L) >= (remove ? 2 : 3))
		charge(L, tab_len(L, 1), remove ? "table.remove" :
		    "table.insert");
	return call_orig(L);
}

/* table.sort(t [, comp]): n log n comparisons and moves. */
static int
guarded_sort(lua_State *L)
{
	double n = tab_len(L, 1);

	if (n > 1)
		charge(L, 2 * n * log2(n), "table.sort");
	return call_orig(L);
}

/* string.byte(s, i, j): one value per byte of the slice. */
static int
guarded_byte(lua_State *L)
{
	double i = opt_num(L, 2, 1), j = opt_num(L, 3, i);
	size_t n;

	luaL_checklstring(L, 1, &n);
	if (i < 0)
		i += (double)n + 1;
	if (j < 0)
		j += (double)n + 1;
	if (j - i > 256)
		charge(L, j - i, "string.byte");
	return call_orig(L);
}

/*
 * Scans of a text that allocate nothing (utf8.len, utf8.offset,
 * tonumber): charged by the text's length, a step per 8 bytes.
 */
static int
guarded_scan(lua_State *L)
{
	size_t n = 0;

	if (lua_type(L, 1) == LUA_TSTRING)
		lua_tolstring(L, 1, &n);
	if (n > 4096)
		charge(L, (double)n / 8, "a scan of a long text");
	return call_orig(L);
}

/*
 * Lua's pattern matcher backtracks in C, where no instruction hook runs:
 * "a.-.-.-b" over a few hundred characters takes minutes, and even a
 * literal pattern costs its length at every position of the text. The
 * work is bounded before the matcher runs: for each start position (one
 * when anchored) every quantifier may try each position of the text, and
 * each try compares up to the pattern's length. Literal searches
 * (find with plain, or no special characters) compare with memcmp.
 */
/* The characters that make a pattern more than a literal. */
static const unsigned char pat_special[256] = {
	[0] = 1, ['^'] = 1, ['$'] = 1, ['*'] = 1, ['+'] = 1, ['?'] = 1,
	['.'] = 1, ['('] = 1, ['['] = 1, ['%'] = 1, ['-'] = 1,
};

static double
pattern_cost(const char *p, size_t m, size_t n, int plain, int anchorable)
{
	double cost, starts;
	size_t i;
	int q = 0, special = 0;

	for (i = 0; i < m && !plain; i++) {
		if (pat_special[(unsigned char)p[i]])
			special = 1;
		if (p[i] == '%') {
			if (i + 1 < m && (p[i + 1] == 'b' || p[i + 1] == 'f'))
				q += p[i + 1] == 'b';
			i++;
		} else if (p[i] == '*' || p[i] == '+' || p[i] == '-' ||
		    p[i] == '?')
			q++;
	}
	if (plain || !special)
		return (double)n + (double)n * (double)m / 32;
	starts = anchorable && m > 0 && p[0] == '^' ? 1 : (double)n + 1;
	cost = starts * ((double)m + 1) / 4;
	for (i = 0; i < (size_t)q && cost < 1e18; i++)
		cost *= (double)n + 1;
	return cost;
}

static int
guarded_match(lua_State *L)
{
	size_t n, m;
	const char *p;
	int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
	int plain = kind == 1 && lua_toboolean(L, 4);

	luaL_checklstring(L, 1, &n);
	p = luaL_checklstring(L, 2, &m);
	/* kind: 1 find, 0 match, 2 gmatch (no anchor), 3 gsub */
	charge(L, pattern_cost(p, m, n, plain, kind != 2), "the pattern "
	    "match");
	return call_orig(L);
}

/* Finalizers would run outside any evaluation's budget: refuse them. */
static int
guarded_setmetatable(lua_State *L)
{
	if (lua_istable(L, 2) && lua_getfield(L, 2, "__gc") != LUA_TNIL)
		return luaL_error(L, "rules cannot set finalizers (__gc)");
	lua_settop(L, 2);
	return call_orig(L);
}

/*
 * Replace lib.fn by g with the original as upvalue 1 and, when kind is
 * 0 or more, the integer kind as upvalue 2.
 */
static void
guard(lua_State *L, const char *lib, const char *fn, lua_CFunction g,
    int kind)
{
	if (lib != NULL)
		lua_getglobal(L, lib);
	else
		lua_pushglobaltable(L);
	lua_getfield(L, -1, fn);
	if (kind >= 0) {
		lua_pushinteger(L, kind);
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

/* ------------------------------------------------------ frozen tables */

/*
 * A pack's top level runs once per pack version, label and rule data
 * (a snapshot, below); what it made is frozen so that no evaluation can
 * leave anything for the next. A frozen table keeps its identity but no
 * contents of its own: they move to a hidden backing table that its
 * protected metatable reads through (__index, __len, __pairs), and every
 * write raises "read-only". next, rawget and rawlen see through it, so a
 * rule reads a frozen table as it read the table before.
 */
static const char frozen_key;	/* its address marks the backing */

/* Push the backing of the frozen table at idx and return 1, or 0. */
static int
frozen_backing(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
		return 0;
	if (lua_rawgetp(L, -1, &frozen_key) == LUA_TTABLE) {
		lua_remove(L, -2);
		return 1;
	}
	lua_pop(L, 2);
	return 0;
}

static int
frozen_readonly(lua_State *L)
{
	return luaL_error(L, "this table belongs to the rule pack and is "
	    "read-only (copy it to change it)");
}

static int
frozen_len(lua_State *L)
{
	if (frozen_backing(L, 1))
		lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
	else
		lua_pushinteger(L, 0);
	return 1;
}

/* next(t, k), also for a frozen t: the base library's next otherwise. */
static int
safe_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	if (frozen_backing(L, 1))
		lua_replace(L, 1);
	lua_settop(L, 2);
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int
frozen_pairs(lua_State *L)
{
	lua_pushcfunction(L, safe_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static int
safe_rawget(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	if (frozen_backing(L, 1))
		lua_replace(L, 1);
	lua_settop(L, 2);
	lua_rawget(L, 1);
	return 1;
}

static int
safe_rawlen(lua_State *L)
{
	int t = lua_type(L, 1);

	luaL_argexpected(L, t == LUA_TTABLE || t == LUA_TSTRING, 1,
	    "table or string");
	if (frozen_backing(L, 1))
		lua_replace(L, 1);
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
	return 1;
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
	static const luaL_Reg see_through[] = {
		{ "next", safe_next },
		{ "rawget", safe_rawget },
		{ "rawlen", safe_rawlen },
		{ NULL, NULL }
	};
	const luaL_Reg *l;
	int i;

	for (l = libs; l->func != NULL; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	guard(L, "string", "find", guarded_match, 1);
	guard(L, "string", "match", guarded_match, 0);
	guard(L, "string", "gmatch", guarded_match, 2);
	guard(L, "string", "gsub", guarded_match, 3);
	guard(L, "string", "rep", guarded_rep, -1);
	guard(L, "string", "byte", guarded_byte, -1);
	guard(L, "table", "move", guarded_move, -1);
	guard(L, "table", "concat", guarded_range, 1);
	guard(L, "table", "unpack", guarded_range, 0);
	guard(L, "table", "insert", guarded_shift, 0);
	guard(L, "table", "remove", guarded_shift, 1);
	guard(L, "table", "sort", guarded_sort, -1);
	guard(L, "utf8", "len", guarded_scan, -1);
	guard(L, "utf8", "offset", guarded_scan, -1);
	guard(L, NULL, "tonumber", guarded_scan, -1);
	guard(L, NULL, "setmetatable", guarded_setmetatable, -1);
	lua_pushglobaltable(L);
	luaL_setfuncs(L, see_through, 0);
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

/* ------------------------------------------------------------ watchdog */

/*
 * The count hook runs between instructions; one instruction (comparing
 * two long strings, say) may work for milliseconds, and a thousand of
 * them run between two hook calls. The watchdog arms the hook of every
 * evaluation that has run HOOK_AFTER (above) and makes it run on the
 * very next instruction of every evaluation that is past its deadline,
 * re-arming those every 10 ms until they end.
 *
 * While evaluations come (one started within WD_IDLE), it wakes every
 * WD_TICK and is never woken by them: a wake-up per evaluation cost a
 * context switch on both sides, about a twentieth of a worker's time
 * under evaluation load (perf). After WD_IDLE without one it sleeps
 * until the next one starts and wakes it. A long evaluation alone
 * wakes it at its own times.
 */
#define WD_TICK		0.002
#define WD_IDLE		0.1

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;
static struct cage *wd_list;
static double wd_wake;		/* when it wakes next; 0: when told */
static double wd_last;		/* when the last evaluation started */
static int wd_started;		/* in this process (a child has none) */
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;

/* When the watchdog must look at c next. */
static double
wd_due(const struct cage *c)
{
	return c->armed ? c->deadline : c->start + HOOK_AFTER;
}

static void *
wd_loop(void *arg)
{
	struct timespec ts;
	struct cage *c;
	double now, next, wait;
	int late;

	(void)arg;
	pthread_mutex_lock(&wd_lock);
	for (;;) {
		now = ks_now();
		next = 0;
		late = 0;
		for (c = wd_list; c != NULL; c = c->wd_next) {
			if (now >= wd_due(c)) {
				pthread_kill(c->thread, SIGURG);
				c->armed = 1;
			}
			if (now >= wd_due(c))
				late = 1;	/* past its deadline */
			else if (next == 0 || wd_due(c) < next)
				next = wd_due(c);
		}
		if (wd_list == NULL && now - wd_last > WD_IDLE) {
			wd_wake = 0;
			pthread_cond_wait(&wd_cond, &wd_lock);
			continue;
		}
		/* Past deadlines are re-armed every 10 ms until they end. */
		wait = next == 0 ? 0.01 : next - now;
		if (late && wait > 0.01)
			wait = 0.01;
		if (now - wd_last <= WD_IDLE && wait > WD_TICK)
			wait = WD_TICK;
		wd_wake = now + wait;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(wait * 1e9) + 1000;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
	}
	return NULL;
}

/* A forked child has no watchdog thread: it starts its own on first use. */
static void
wd_forked(void)
{
	wd_started = 0;
}

static void
wd_atfork(void)
{
	pthread_atfork(NULL, NULL, wd_forked);
}

/*
 * Start this process's watchdog unless it runs. (Asking getpid() here
 * instead was a system call per evaluation.)
 */
static void
wd_start_locked(void)
{
	struct sigaction sa;
	pthread_t t;

	if (wd_started)
		return;
	pthread_once(&wd_once, wd_atfork);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_arm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGURG, &sa, NULL);
	wd_list = NULL;
	wd_wake = 0;
	if (pthread_create(&t, NULL, wd_loop, NULL) == 0) {
		pthread_detach(t);
		wd_started = 1;
	}
}

void
ks_rules_watchdog_start(void)
{
	pthread_mutex_lock(&wd_lock);
	wd_start_locked();
	pthread_mutex_unlock(&wd_lock);
}

/*
 * Register a cage for the watchdog; 0 when there is none. A worker
 * starts it before its system call filter (ks_rules_listen_start);
 * other processes on first use.
 */
static int
wd_enter(struct cage *c)
{
	int on;

	pthread_mutex_lock(&wd_lock);
	wd_start_locked();
	if (!(on = wd_started)) {
		pthread_mutex_unlock(&wd_lock);
		return 0;
	}
	c->armed = 0;
	c->wd_next = wd_list;
	wd_list = c;
	wd_last = c->start;
	/* Ticking, it comes by soon enough. */
	if (wd_wake == 0 || wd_wake > wd_due(c) + WD_TICK)
		pthread_cond_signal(&wd_cond);
	pthread_mutex_unlock(&wd_lock);
	return on;
}

static void
wd_leave(struct cage *c)
{
	struct cage **pp;

	pthread_mutex_lock(&wd_lock);
	for (pp = &wd_list; *pp != NULL; pp = &(*pp)->wd_next) {
		if (*pp == c) {
			*pp = c->wd_next;
			break;
		}
	}
	pthread_mutex_unlock(&wd_lock);
}

static void
cage_free(struct cage *c)
{
	struct slab *s;

	if (c == NULL)
		return;
	if (c->L != NULL) {
		/* Closing may run code (finalizers): keep it on a budget. */
		c->steps = 0;
		c->step_limit = 1000000;
		c->deadline = ks_now() + 0.1;
		c->hooked = 1;
		lua_sethook(c->L, hook, LUA_MASKCOUNT, HOOK_EVERY);
		lua_close(c->L);
	}
	while ((s = c->slab) != NULL) {
		c->slab = s->next;
		free(s);
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
	free(tl_text.p);
	memset(&tl_text, 0, sizeof(tl_text));
}

void
ks_rules_invalidate(void)
{
	__atomic_add_fetch(&ks_rules_gen, 1, __ATOMIC_SEQ_CST);
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
	/*
	 * The metatable of every evaluation's _ENV: the globals behind it
	 * are shared, and __metatable keeps both out of a rule's reach
	 * (getmetatable gives false; there is no debug library), so one
	 * table serves every evaluation.
	 */
	lua_newtable(c->L);
	lua_pushglobaltable(c->L);
	lua_setfield(c->L, -2, "__index");
	lua_pushboolean(c->L, 0);
	lua_setfield(c->L, -2, "__metatable");
	c->envmt = luaL_ref(c->L, LUA_REGISTRYINDEX);
	lua_newtable(c->L);
	c->snaps = luaL_ref(c->L, LUA_REGISTRYINDEX);
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
 * rules_cache_memory (server, request and job threads share it; the one
 * used last is always kept): a worker's memory stays bounded however
 * many packs and tenants it serves. The least recently used go first.
 */
static void
cache_trim(void)
{
	size_t budget, total = 0;
	struct cage *p, *x;
	int n = 0;

	budget = (size_t)ks_conf.rules_cache_memory /
	    (size_t)(ks_conf.threads + ks_conf.request_threads +
	    ks_jobs_runners() + 1);
	for (p = cache; p != NULL && p->next != NULL; p = p->next) {
		total += cage_bytes(p);
		if (++n < CACHE_MAX && total + cage_bytes(p->next) <= budget)
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
		*bytes += cage_bytes(p);
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

/* At most this many values in a result: the JSON is built outside Lua's
 * memory budget. */
#define MAX_VALUES	200000

static int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		/* ASCII, most of a result's text: no call per byte. */
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = ks_utf8_len(u + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * A message from Lua as text for a JSON answer: bytes that are not UTF-8
 * (and NUL) become U+FFFD, so a rule cannot make the error unreadable.
 */
static const char *
clean_text(struct ks_request *req, const char *s, size_t n)
{
	char *out = ks_arena_alloc(req->arena, 3 * n + 1), *p = out;
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = ks_utf8_len((const unsigned char *)s + i, n - i);
		if (k == 0 || s[i] == '\0') {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			k = 1;
		} else {
			memcpy(p, s + i, k);
			p += k;
		}
	}
	*p = '\0';
	return out;
}

struct conv {
	const char	*why;		/* what is wrong, for the author */
	char		 key[80];	/* the field where it was found */
	long		 values;
	int		 writes_text;	/* to_text checks texts as it writes */
};

/* Name the offending field (a valid prefix of it) in the message. */
static void
conv_key(struct conv *cv, const char *k, size_t n)
{
	size_t i, j;

	if (cv->key[0] != '\0')
		return;
	for (i = 0; i < n && i < sizeof(cv->key) - 4; i += j) {
		j = ks_utf8_len((const unsigned char *)k + i, n - i);
		if (j == 0 || k[i] == '\0')
			break;
	}
	memcpy(cv->key, k, i);
	cv->key[i] = '\0';
	if (i < n)
		strcat(cv->key, "...");
}

#define TEXT_NOT_UTF8	"the result holds text that is not valid UTF-8"

/* What a value of a result becomes. */
enum vkind { V_BAD, V_INT, V_STR, V_BOOL, V_NULL, V_ARR, V_OBJ };

/*
 * Classify the value at idx (an absolute index). A table of the pack's
 * snapshot is read through its backing, which is then pushed (*pushed
 * set; the caller pops it) and *at names it. Integers land in *i, texts
 * in *s and *len, a list's length in *n (0 for an empty table). V_BAD
 * with cv->why on anything that cannot be sent.
 */
static enum vkind
classify(lua_State *L, int *at, int depth, struct conv *cv, json_int_t *i,
    const char **s, size_t *len, int *pushed)
{
	lua_Integer n, k;
	lua_Number d;
	int idx = *at, isarr, count = 0;

	*pushed = 0;
	if (depth > MAX_DEPTH || !lua_checkstack(L, 4)) {
		cv->why = "the result is nested too deeply";
		return V_BAD;
	}
	if (++cv->values > MAX_VALUES) {
		cv->why = "the result has too many values (at most 200000)";
		return V_BAD;
	}
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			*i = (json_int_t)lua_tointeger(L, idx);
			return V_INT;
		}
		d = lua_tonumber(L, idx);
		if (isfinite(d) && d == floor(d) && fabs(d) < 9.0e15) {
			*i = (json_int_t)d;
			return V_INT;
		}
		cv->why = "the result holds a number that is not a whole "
		    "number; amounts are integers in Rappen (round in the "
		    "rule)";
		return V_BAD;
	case LUA_TSTRING:
		*s = lua_tolstring(L, idx, len);
		if (!cv->writes_text && !utf8_valid(*s, *len)) {
			cv->why = TEXT_NOT_UTF8;
			return V_BAD;
		}
		return V_STR;
	case LUA_TBOOLEAN:
		*i = lua_toboolean(L, idx);
		return V_BOOL;
	case LUA_TNIL:
		return V_NULL;
	case LUA_TTABLE:
		break;
	default:
		cv->why = "the result holds a value that is not data "
		    "(function, userdata or thread)";
		return V_BAD;
	}
	/* A table of the pack's snapshot: its contents are its backing's. */
	if (frozen_backing(L, idx)) {
		*pushed = 1;
		*at = idx = lua_gettop(L);
	}
	/*
	 * A list has 1..n and nothing else; a table without a border is
	 * an object (or empty: a list), found in the one pass below.
	 */
	n = (lua_Integer)lua_rawlen(L, idx);
	if ((isarr = n > 0))
		lua_pushnil(L);
	while (isarr && lua_next(L, idx) != 0) {
		count++;
		if (!lua_isinteger(L, -2) || (k = lua_tointeger(L, -2)) < 1 ||
		    k > n) {
			isarr = 0;
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	*i = (json_int_t)n;
	if (isarr && count == n)
		return V_ARR;
	lua_pushnil(L);
	if (lua_next(L, idx) == 0) {
		*i = 0;
		return V_ARR;		/* empty: a list */
	}
	lua_pop(L, 2);
	return V_OBJ;
}

static const char *
name_not_utf8(struct conv *cv, const char *s, size_t len)
{
	conv_key(cv, s, len);
	cv->why = "the result has a field name that is not valid UTF-8";
	return NULL;
}

/*
 * The key of a field being walked (lua_next: key at -2, value at -1) as
 * text, or NULL with cv->why and cv->key set (never drop or cut a
 * field: a name must be text to send).
 */
static const char *
field_name(lua_State *L, struct conv *cv, size_t *len)
{
	const char *s;

	if (lua_type(L, -2) != LUA_TSTRING) {
		cv->why = "the result mixes list entries and named fields";
		return NULL;
	}
	s = lua_tolstring(L, -2, len);
	if (memchr(s, '\0', *len) != NULL) {
		conv_key(cv, s, *len);
		cv->why = "the result has a field name with a NUL byte";
		return NULL;
	}
	/* to_text checks it as it writes it (name_not_utf8) */
	if (!cv->writes_text && !utf8_valid(s, *len))
		return name_not_utf8(cv, s, *len);
	return s;
}

/* Convert the value at idx; on failure cv->why says what is wrong. */
static json_t *
to_json(lua_State *L, int idx, int depth, struct conv *cv)
{
	json_t *o = NULL, *e;
	json_int_t i, k;
	const char *s;
	size_t len;
	int pushed;

	idx = lua_absindex(L, idx);
	switch (classify(L, &idx, depth, cv, &i, &s, &len, &pushed)) {
	case V_BAD:
		return NULL;
	case V_INT:
		return json_integer(i);
	case V_STR:
		/* Checked above: jansson need not check it again. */
		if ((o = json_stringn_nocheck(s, len)) == NULL)
			cv->why = "the result holds text that cannot be sent";
		return o;
	case V_BOOL:
		return json_boolean(i);
	case V_NULL:
		return json_null();
	case V_ARR:
		o = json_array();
		for (k = 1; k <= i; k++) {
			lua_rawgeti(L, idx, (lua_Integer)k);
			e = to_json(L, -1, depth + 1, cv);
			lua_pop(L, 1);
			if (e == NULL) {
				json_decref(o);
				o = NULL;
				break;
			}
			json_array_append_new(o, e);
		}
		break;
	case V_OBJ:
		o = json_object();
		lua_pushnil(L);
		while (lua_next(L, idx) != 0) {
			e = NULL;
			if ((s = field_name(L, cv, &len)) != NULL &&
			    (e = to_json(L, -1, depth + 1, cv)) == NULL)
				conv_key(cv, s, len);
			if (e == NULL) {
				lua_pop(L, 2);
				json_decref(o);
				o = NULL;
				break;
			}
			json_object_setn_new_nocheck(o, s, len, e);
			lua_pop(L, 1);
		}
		break;
	}
	if (pushed)
		lua_pop(L, 1);
	return o;
}

/*
 * A result as JSON text, as json_dumps(JSON_COMPACT) would write the
 * tree to_json makes (the same checks, fields in the same order), for
 * an answer that is only sent: no tree is built and freed per value.
 */
static int
to_text(lua_State *L, int idx, int depth, struct conv *cv, struct ks_buf *t)
{
	json_int_t i, k;
	const char *s;
	size_t len;
	int pushed, rc = KS_OK;

	idx = lua_absindex(L, idx);
	switch (classify(L, &idx, depth, cv, &i, &s, &len, &pushed)) {
	case V_BAD:
		return KS_ERROR;
	case V_INT:
		ks_json_put_int(t, i);
		return KS_OK;
	case V_STR:
		/* Checked as it is written (classify leaves it to us). */
		if (ks_json_put_str(t, s, len) != 0) {
			cv->why = TEXT_NOT_UTF8;
			return KS_ERROR;
		}
		return KS_OK;
	case V_BOOL:
		ks_buf_put(t, i ? "true" : "false", i ? 4 : 5);
		return KS_OK;
	case V_NULL:
		ks_buf_put(t, "null", 4);
		return KS_OK;
	case V_ARR:
		ks_buf_put(t, "[", 1);
		for (k = 1; k <= i && rc == KS_OK; k++) {
			if (k > 1)
				ks_buf_put(t, ",", 1);
			lua_rawgeti(L, idx, (lua_Integer)k);
			rc = to_text(L, -1, depth + 1, cv, t);
			lua_pop(L, 1);
		}
		ks_buf_put(t, "]", 1);
		break;
	case V_OBJ:
		ks_buf_put(t, "{", 1);
		lua_pushnil(L);
		for (k = 0; lua_next(L, idx) != 0; k++) {
			if (k > 0)
				ks_buf_put(t, ",", 1);
			if ((s = field_name(L, cv, &len)) == NULL) {
				lua_pop(L, 2);
				rc = KS_ERROR;
				break;
			}
			if (ks_json_put_str(t, s, len) != 0) {
				(void)name_not_utf8(cv, s, len);
				lua_pop(L, 2);
				rc = KS_ERROR;
				break;
			}
			ks_buf_put(t, ":", 1);
			if (to_text(L, -1, depth + 1, cv, t) != KS_OK) {
				conv_key(cv, s, len);
				lua_pop(L, 2);
				rc = KS_ERROR;
				break;
			}
			lua_pop(L, 1);
		}
		ks_buf_put(t, "}", 1);
		break;
	}
	if (pushed)
		lua_pop(L, 1);
	return rc;
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

/* The evaluation is over: no hook, no watchdog, no charges. */
static void
run_end(struct cage *c)
{
	wd_leave(c);
	c->running = 0;		/* before: a late signal must not re-arm */
	lua_sethook(c->L, NULL, 0, 0);
	tl_cage = NULL;
}

static int
run_fail(struct ks_request *req, struct cage *c, int top, const char *code,
    const char *msg, const char *lua_msg)
{
	lua_settop(c->L, top);
	run_end(c);
	return rule_fail(req, code, msg, lua_msg);
}

/* --------------------------------------------------------- snapshots */

/*
 * A pack's top level (its tables of figures and texts, its functions) is
 * the same for every evaluation with the same label and DATA, yet it was
 * a sixth of a budget evaluation. It runs once per pack version, label
 * and rule data version into a snapshot: the globals it defined, with
 * every table it made frozen in place (above) and the values of the
 * upvalues of its functions recorded. Each evaluation then gets a fresh
 * _ENV that reads through to the snapshot, and the recorded upvalues are
 * put back before it runs: whatever a rule writes (globals, the pack's
 * tables, its local variables) is gone for the next one. A top level
 * that leaves something that cannot be frozen (a table with a metatable
 * of its own) is run again for every evaluation, as before.
 */
#define SNAP_MAX	4	/* snapshots per state: labels, data versions */

struct freeze {
	int		 seen;		/* stack index: value -> true */
	int		 ups;		/* stack index: f, i, v, f, i, v, ... */
	lua_Integer	 nups;
	void		*envid;		/* the chunk's _ENV upvalue */
	const void	*globals;
};

static int freeze_value(lua_State *, struct freeze *, int, int);

/* Push the metatable of a frozen table whose contents are at b. */
static void
push_frozen_mt(lua_State *L, int b)
{
	static const luaL_Reg meta[] = {
		{ "__newindex", frozen_readonly },
		{ "__len", frozen_len },
		{ "__pairs", frozen_pairs },
		{ NULL, NULL }
	};

	lua_createtable(L, 0, 6);
	luaL_setfuncs(L, meta, 0);
	lua_pushvalue(L, b);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pushvalue(L, b);
	lua_rawsetp(L, -2, &frozen_key);
}

/* Move the contents of table t into a new backing b (left on the stack)
 * and give t the frozen metatable; 0, or -1 when t cannot be frozen. */
static int
freeze_table(lua_State *L, struct freeze *fz, int t, int depth)
{
	lua_CFunction f;
	int b;

	if (lua_getmetatable(L, t)) {
		/* A library's read-only proxy or a frozen table stays. */
		lua_pushliteral(L, "__newindex");
		lua_rawget(L, -2);
		f = lua_tocfunction(L, -1);
		lua_pop(L, 2);
		return f == readonly || f == frozen_readonly ? 0 : -1;
	}
	lua_newtable(L);
	b = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		if (freeze_value(L, fz, -2, depth + 1) != 0 ||
		    freeze_value(L, fz, -1, depth + 1) != 0) {
			lua_pop(L, 3);
			return -1;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, b);
	}
	lua_pushnil(L);
	while (lua_next(L, b) != 0) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, t);
	}
	push_frozen_mt(L, b);
	lua_setmetatable(L, t);
	lua_pop(L, 1);
	return 0;
}

/*
 * Freeze what the value at idx reaches: tables in place, and for a Lua
 * function the values of its upvalues (each recorded once, _ENV aside).
 */
static int
freeze_value(lua_State *L, struct freeze *fz, int idx, int depth)
{
	int i, t = lua_type(L, idx);
	void *id;

	if (t == LUA_TUSERDATA || t == LUA_TLIGHTUSERDATA ||
	    t == LUA_TTHREAD)
		return -1;
	if (t != LUA_TTABLE && t != LUA_TFUNCTION)
		return 0;
	idx = lua_absindex(L, idx);
	if (depth > MAX_DEPTH || !lua_checkstack(L, 8))
		return -1;
	lua_pushvalue(L, idx);
	if (lua_rawget(L, fz->seen) != LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, fz->seen);
	if (t == LUA_TTABLE)
		return lua_topointer(L, idx) == fz->globals ? 0 :
		    freeze_table(L, fz, idx, depth);
	if (lua_iscfunction(L, idx))
		return 0;
	for (i = 1; lua_getupvalue(L, idx, i) != NULL; i++) {
		id = lua_upvalueid(L, idx, i);
		lua_pushlightuserdata(L, id);
		if (id == fz->envid || lua_rawget(L, fz->seen) != LUA_TNIL) {
			lua_pop(L, 2);
			continue;
		}
		lua_pop(L, 1);
		lua_pushlightuserdata(L, id);
		lua_pushboolean(L, 1);
		lua_rawset(L, fz->seen);
		if (freeze_value(L, fz, -1, depth + 1) != 0) {
			lua_pop(L, 1);
			return -1;
		}
		lua_pushvalue(L, idx);
		lua_rawseti(L, fz->ups, ++fz->nups);
		lua_pushinteger(L, i);
		lua_rawseti(L, fz->ups, ++fz->nups);
		lua_rawseti(L, fz->ups, ++fz->nups);
	}
	return 0;
}

/*
 * The recorded upvalues (f, i, v triples at ups) as restore reads them:
 * a table { f, v, f, v, ... } and, above it, a userdata with their count
 * and each i as a C int. Reading i from a Lua table took three of the seven calls an
 * upvalue cost on every evaluation.
 */
static void
ups_compact(lua_State *L, int ups, lua_Integer nups)
{
	lua_Integer k, n = nups / 3;
	int *idx, t;

	lua_createtable(L, (int)(2 * n), 0);
	t = lua_gettop(L);
	/* idx[0]: how many (a value may be nil: no length of the table) */
	idx = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof(int), 0);
	*idx++ = (int)n;
	for (k = 0; k < n; k++) {
		lua_rawgeti(L, ups, 3 * k + 1);
		lua_rawseti(L, t, 2 * k + 1);
		lua_rawgeti(L, ups, 3 * k + 3);
		lua_rawseti(L, t, 2 * k + 2);
		lua_rawgeti(L, ups, 3 * k + 2);
		idx[k] = (int)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
}

/*
 * Protected: freeze what the top level in _ENV (argument 2) of the chunk
 * (argument 1) made. Returns the snapshot { [1] = the metatable of each
 * evaluation's _ENV, or false when something cannot be frozen, [2] and
 * [3] = the upvalues to restore (ups_compact) }.
 */
static int
snap_freeze(lua_State *L)
{
	struct freeze fz;
	int b, ok = 1;

	lua_settop(L, 2);
	lua_newtable(L);
	fz.seen = 3;
	lua_newtable(L);
	fz.ups = 4;
	fz.nups = 0;
	fz.envid = lua_upvalueid(L, 1, 1);
	lua_pushglobaltable(L);
	fz.globals = lua_topointer(L, -1);
	/* The contents of every _ENV: the globals, then the pack's own. */
	lua_newtable(L);
	b = 6;
	lua_pushnil(L);
	while (lua_next(L, 5) != 0) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, b);
	}
	lua_pushvalue(L, 2);
	lua_pushboolean(L, 1);
	lua_rawset(L, fz.seen);
	lua_pushnil(L);
	while (ok && lua_next(L, 2) != 0) {
		if (freeze_value(L, &fz, -2, 0) != 0 ||
		    freeze_value(L, &fz, -1, 0) != 0) {
			ok = 0;
			lua_pop(L, 2);
			break;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, b);
	}
	lua_createtable(L, 2, 0);
	if (!ok) {
		lua_pushboolean(L, 0);
		lua_rawseti(L, -2, 1);
		return 1;
	}
	/* The top level's own _ENV, should a function have kept it. */
	lua_pushnil(L);
	while (lua_next(L, 2) != 0) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, 2);
	}
	lua_pushnil(L);
	lua_setmetatable(L, 2);
	push_frozen_mt(L, b);
	lua_setmetatable(L, 2);
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, b);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_rawseti(L, -2, 1);
	ups_compact(L, fz.ups, fz.nups);
	lua_rawseti(L, -3, 3);
	lua_rawseti(L, -2, 2);
	return 1;
}

/*
 * Push a fresh _ENV for the top level of the chunk at index chunk (the
 * globals behind it, DATA and PACK in it) and make it the chunk's;
 * KS_ERROR for data that cannot be converted.
 */
static int
top_env(struct cage *c, int chunk, const char *label, json_t *data)
{
	lua_State *L = c->L;
	int env;

	lua_newtable(L);
	env = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->envmt);
	lua_setmetatable(L, env);
	if (data != NULL) {
		if (push_json(L, data, 0) != KS_OK)
			return KS_ERROR;
		lua_setfield(L, env, "DATA");
	}
	if (label != NULL) {
		push_pack(L, label);
		lua_setfield(L, env, "PACK");
	}
	lua_pushvalue(L, env);
	lua_setupvalue(L, chunk, 1);
	return KS_OK;
}

/*
 * Run the top level for key and leave its snapshot at the top of the
 * stack. On an error the message is at the top; KS_ERROR for data that
 * cannot be converted.
 */
static int
snapshot(struct cage *c, const char *key, const char *label, json_t *data,
    int *lrc)
{
	lua_State *L = c->L;
	int top = lua_gettop(L);

	lua_pushcfunction(L, snap_freeze);		/* top + 1 */
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->chunk);	/* top + 2 */
	/* top + 3: _ENV; the tenant's rule data converted once a version */
	if (top_env(c, top + 2, label, data) != KS_OK)
		return KS_ERROR;
	lua_pushvalue(L, top + 2);
	if ((*lrc = lua_pcall(L, 0, 0, 0)) != LUA_OK)
		return KS_OK;
	if ((*lrc = lua_pcall(L, 2, 1, 0)) != LUA_OK)
		return KS_OK;
	/* At most SNAP_MAX kept: past that, start again. */
	if (c->nsnaps >= SNAP_MAX) {
		lua_newtable(L);
		lua_rawseti(L, LUA_REGISTRYINDEX, c->snaps);
		c->nsnaps = 0;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->snaps);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, key);
	lua_pop(L, 1);
	c->nsnaps++;
	return KS_OK;
}

/* Put back the recorded upvalues of the snapshot at s (ups_compact). */
static void
restore(lua_State *L, int s)
{
	lua_Integer k, n;
	const int *idx;
	int t;

	lua_rawgeti(L, s, 2);
	t = lua_gettop(L);
	lua_rawgeti(L, s, 3);
	idx = lua_touserdata(L, -1);
	n = *idx++;
	for (k = 0; k < n; k++) {
		lua_rawgeti(L, t, 2 * k + 1);
		lua_rawgeti(L, t, 2 * k + 2);
		lua_setupvalue(L, -2, idx[k]);
		lua_pop(L, 1);
	}
	lua_settop(L, t - 1);
}

/* Run fn(input) in a fresh _ENV of the cage. */
static int
run(struct ks_request *req, struct cage *c, const char *key,
    const char *label, json_t *data, const char *fn, json_t *input,
    json_t **out, struct ks_buf *tx)
{
	lua_State *L = c->L;
	struct conv cv;
	const char *msg;
	size_t mlen;
	int rc = LUA_OK, top = lua_gettop(L);

	c->steps = 0;
	c->stop = 0;
	c->step_limit = ks_conf.rules_instructions;
	c->start = ks_now();
	c->deadline = c->start + ks_conf.rules_timeout_ms / 1000.0;
	c->thread = pthread_self();
	c->hooked = 0;
	tl_cage = c;
	c->running = 1;		/* no hook until the watchdog arms it */
	if (!wd_enter(c)) {
		c->hooked = 1;
		lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
	}

	lua_rawgeti(L, LUA_REGISTRYINDEX, c->snaps);
	lua_getfield(L, -1, key);
	lua_remove(L, -2);				/* top + 1 */
	if (lua_isnil(L, top + 1)) {
		lua_pop(L, 1);
		if (snapshot(c, key, label, data, &rc) != KS_OK)
			return run_fail(req, c, top, "rule_error", "the rule "
			    "data is nested too deeply", NULL);
	}
	if (rc == LUA_OK && (lua_rawgeti(L, top + 1, 1), lua_toboolean(L,
	    -1))) {
		/* top + 2: the metatable of the evaluation's _ENV */
		restore(L, top + 1);
		lua_rawgeti(L, LUA_REGISTRYINDEX, c->chunk);
		lua_newtable(L);			/* top + 4: _ENV */
		lua_pushvalue(L, top + 2);
		lua_setmetatable(L, top + 4);
		lua_pushvalue(L, top + 4);
		lua_setupvalue(L, top + 3, 1);
		lua_getfield(L, top + 4, fn);
	} else if (rc == LUA_OK) {
		/* Not frozen: the top level again in a fresh _ENV. */
		lua_rawgeti(L, LUA_REGISTRYINDEX, c->chunk);	/* top + 3 */
		if (top_env(c, top + 3, label, data) != KS_OK)	/* top + 4 */
			return run_fail(req, c, top, "rule_error", "the rule "
			    "data is nested too deeply", NULL);
		lua_pushvalue(L, top + 3);
		if ((rc = lua_pcall(L, 0, 0, 0)) == LUA_OK)
			lua_getfield(L, top + 4, fn);
	}
	if (rc == LUA_OK) {
		if (!lua_isfunction(L, -1))
			return run_fail(req, c, top, "rule_missing", "the rule "
			    "pack has no such function", fn);
		if (push_json(L, input, 0) != KS_OK)
			return run_fail(req, c, top, "rule_error", "the input "
			    "is nested too deeply", NULL);
		rc = lua_pcall(L, 1, 1, 0);
	}
	if (rc != LUA_OK) {
		msg = lua_tolstring(L, -1, &mlen);
		msg = msg ? clean_text(req, msg, mlen) : "error object";
		/* The allocator stops a rule past its budget as "memory". */
		if (c->stop == 1 && rc == LUA_ERRMEM)
			msg = "the rule ran out of time";
		if (c->stop == 1)
			return run_fail(req, c, top, "rule_timeout", "the rule "
			    "took too long and was stopped", msg);
		if (c->stop == 2 || rc == LUA_ERRMEM)
			return run_fail(req, c, top, "rule_memory", "the rule "
			    "needed more memory than allowed and was stopped",
			    msg);
		return run_fail(req, c, top, "rule_error", "the rule failed",
		    msg);
	}
	run_end(c);
	memset(&cv, 0, sizeof(cv));
	cv.writes_text = tx != NULL;
	if (tx != NULL)
		rc = to_text(L, -1, 0, &cv, tx) == KS_OK;
	else
		rc = (*out = to_json(L, -1, 0, &cv)) != NULL;
	lua_settop(L, top);
	if (!rc)
		return rule_fail(req, "rule_error", cv.why ? cv.why :
		    "the result cannot be sent", cv.key[0] ? ks_arena_printf(
		    req->arena, "field %s", cv.key) : NULL);
	return KS_OK;
}

/*
 * The snapshot's key: the label (PACK) and the rule data's checksum, the
 * stored one when given, else that of the data as sorted compact JSON.
 */
static void
snap_key(char *key, size_t size, const char *label, json_t *data,
    const char *data_sha)
{
	char sha[65], *text;

	if (data != NULL && data_sha == NULL) {
		text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY);
		ks_sha256_hex(text ? text : "", text ? strlen(text) : 0, sha);
		free(text);
		data_sha = sha;
	}
	ks_rules_join(key, size, label ? label : "", '\n', data_sha ?
	    data_sha : "-");
}

/*
 * a, sep and b in dst of size bytes, cut as snprintf would: two snprintf
 * calls per evaluation cost more than the rest of its bookkeeping.
 */
void
ks_rules_join(char *dst, size_t size, const char *a, int sep, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (size == 0)
		return;
	if (la > size - 1)
		la = size - 1;
	memcpy(dst, a, la);
	if (la < size - 1) {
		dst[la++] = (char)sep;
		if (lb > size - 1 - la)
			lb = size - 1 - la;
		memcpy(dst + la, b, lb);
		la += lb;
	}
	dst[la] = '\0';
}

/* Whether the state has a frozen snapshot for key. */
static int
snap_ready(struct cage *c, const char *key)
{
	int ok, top = lua_gettop(c->L);

	lua_rawgeti(c->L, LUA_REGISTRYINDEX, c->snaps);
	ok = lua_getfield(c->L, -1, key) == LUA_TTABLE &&
	    lua_rawgeti(c->L, -1, 1) == LUA_TTABLE;
	lua_settop(c->L, top);
	return ok;
}

int
ks_rules_load(struct ks_request *req, const char *name, const char *sha,
    const char *src, size_t len)
{
	struct cage *c;

	if (cache_get(sha) != NULL)
		return KS_OK;
	if ((c = cage_new(req, name, src, len, sha)) == NULL)
		return KS_ERROR;
	cache_put(c);
	return KS_OK;
}

int
ks_rules_eval_source(struct ks_request *req, const char *name,
    const char *src, size_t len, json_t *data, const char *fn, json_t *input,
    json_t **out)
{
	char sha[65];

	ks_sha256_hex(src, len, sha);
	if (ks_rules_load(req, name, sha, src, len) != KS_OK)
		return KS_ERROR;
	return ks_rules_eval_cached(req, sha, name, data, NULL, fn, input,
	    out);
}

static int
eval_cached(struct ks_request *req, const char *sha, const char *label,
    json_t *data, const char *data_sha, const char *fn, json_t *input,
    json_t **out, struct ks_buf *tx)
{
	struct cage *c;
	char key[256];
	int rc;

	if ((c = cache_get(sha)) == NULL)
		return KS_ERROR;	/* a miss: no error set */
	snap_key(key, sizeof(key), label, data, data_sha);
	/* Data named but not given: only its frozen snapshot will do. */
	if (data == NULL && data_sha != NULL && !snap_ready(c, key))
		return KS_ERROR;
	rc = run(req, c, key, label, data, fn, input, out, tx);
	/*
	 * A state stopped for memory or time may be left half-built; one
	 * whose pool grew large for one evaluation gives the memory back.
	 */
	if ((rc != KS_OK && c->stop != 0) || c->slabs > POOL_KEEP)
		cache_drop(c);
	else
		cache_trim();	/* it may have grown */
	return rc;
}

int
ks_rules_eval_cached(struct ks_request *req, const char *sha,
    const char *label, json_t *data, const char *data_sha, const char *fn,
    json_t *input, json_t **out)
{
	return eval_cached(req, sha, label, data, data_sha, fn, input, out,
	    NULL);
}

int
ks_rules_eval_cached_text(struct ks_request *req, const char *sha,
    const char *label, json_t *data, const char *data_sha, const char *fn,
    json_t *input, const char **text, size_t *len)
{
	struct ks_buf *t = &tl_text;
	char *p;
	int rc;

	t->len = 0;
	if ((rc = eval_cached(req, sha, label, data, data_sha, fn, input,
	    NULL, t)) == KS_OK) {
		p = ks_arena_alloc(req->arena, t->len + 1);
		if (t->len > 0)
			memcpy(p, t->p, t->len);
		p[t->len] = '\0';
		*text = p;
		*len = t->len;
	}
	if (t->cap > TEXT_KEEP) {
		free(t->p);
		memset(t, 0, sizeof(*t));
	}
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
