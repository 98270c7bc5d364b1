/*
 * dossier.c - the casework layer's dossier routes, the same for every
 * module: register (POST /api/v1/cases), list, read, change, and move a
 * dossier from state to state (/cases/{id}/transitions) along the steps
 * its module declared for its kind (struct ks_dossier_kind; the engine is
 * transition.c). What a step means for the module (e.g. the deadlines of
 * a state) is the kind's on_transition hook; what a module does beyond
 * that (budgets, decisions, goals) stays in the module.
 *
 * A dossier answers 404 when its module is not switched on for the
 * tenant; every write to it needs If-Match.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "kasus/module.h"
#include "casework/casework.h"
#include "queries.h"

const struct ks_dossier_kind *
ks_case_kind(PGresult *r, int i)
{
	return ks_module_kind(ks_db_str(r, i, "module"), ks_db_str(r, i,
	    "kind"));
}

json_t *
ks_case_json(PGresult *r, int i)
{
	const struct ks_dossier_kind *k = ks_case_kind(r, i);
	json_t *j;

	j = json_pack("{s:I,s:s,s:s,s:s,s:I,s:{s:I,s:s,s:s,s:s},s:{s:I,s:s},"
	    "s:o,s:o,s:s,s:o,s:o,s:I,s:o,s:o,s:o}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "number", ks_db_str(r, i, "number"),
	    "module", ks_db_str(r, i, "module"),
	    "state", ks_db_str(r, i, "state"),
	    "household_id", (json_int_t)ks_db_getll(r, i, "household_id"),
	    "applicant", "id", (json_int_t)ks_db_getll(r, i, "applicant_id"),
	    "last_name", ks_db_str(r, i, "last_name"), "first_name",
	    ks_db_str(r, i, "first_name"), "language", ks_db_str(r, i,
	    "language"),
	    "municipality", "bfs", (json_int_t)ks_db_getll(r, i,
	    "municipality_bfs"), "name", ks_db_str(r, i, "municipality"),
	    "caseworker", ks_db_isnull(r, i, "caseworker_id") ? json_null() :
	    json_pack("{s:I,s:s}", "id", (json_int_t)ks_db_getll(r, i,
	    "caseworker_id"), "display_name", ks_db_str(r, i, "caseworker")),
	    "team", ks_db_json_str(r, i, "team"),
	    "opened_on", ks_db_str(r, i, "opened_on"),
	    "closed_on", ks_db_json_str(r, i, "closed_on"),
	    "closure_reason", ks_db_json_str(r, i, "closure_reason"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "next_deadline", ks_db_json_str(r, i, "next_deadline"),
	    "transferred_from", ks_db_json_str(r, i, "transferred_from"),
	    "transitions", ks_transitions_from(NULL, k, ks_db_str(r, i,
	    "state")));
	json_object_set_new(j, "kind", k != NULL ? json_string(k->code) :
	    json_null());
	return j;
}

PGresult *
ks_case_load(struct ks_request *req, int64_t id, int mode)
{
	const char *v[1];
	PGresult *r;
	int on;

	/* The core's one access policy: 404, or other_team for a change. */
	if (ks_access_dossier(req, id, mode) == NULL)
		return NULL;
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_CASE_GET, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1 || (on = ks_module_on(req, ks_db_str(r, 0,
	    "module"))) == 0) {
		ks_fail(req, 404, "not_found", "no such dossier");
		return NULL;
	}
	return on < 0 ? NULL : r;
}

PGresult *
ks_case_param(struct ks_request *req, int64_t *id)
{
	if (ks_param_id(req, "id", id) != KS_OK)
		return NULL;
	return ks_case_load(req, *id, KS_ACCESS_AUTO);
}

int
ks_case_stale(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r = ks_db_q(req, Q_CASE_GET, 1, v);

	if (r != NULL && PQntuples(r) == 1)
		ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_fail_detail(req, 409, "conflict", "someone else changed "
	    "this dossier; review it and apply your change again",
	    r && PQntuples(r) == 1 ? json_pack("{s:o}", "current",
	    ks_case_json(r, 0)) : NULL);
}

/* ------------------------------------------------------- module hooks */

int
ks_case_hook(struct ks_request *req, const char *module,
    int (*fn)(void *), void *arg)
{
	const void *prev = ks_module_enter(module);
	int rc = fn(arg);

	ks_module_leave(prev);
	if (rc != 0 && req->err.code == NULL)
		return ks_fail(req, 500, "internal_error", "something went "
		    "wrong on our side");
	return rc != 0 ? KS_ERROR : KS_OK;
}

struct step_call {
	struct ks_request		*req;
	const struct ks_dossier_kind	*k;
	int64_t				 id;
	const char			*from, *to;
};

static int
step_hook(void *p)
{
	struct step_call *c = p;

	return c->k->on_transition(c->req, c->id, c->from, c->to);
}

/* ------------------------------------------------------- transitions */

static int
transition_log(struct ks_request *req, int64_t id, const char *from,
    const char *to, const char *reason, const char *code)
{
	const char *v[6] = { ks_num(req, id), from, to, reason,
	    ks_num(req, req->who.user_id), code };

	return ks_db_q(req, Q_CASE_TRANSITION_ADD, 6, v) ? KS_OK : KS_ERROR;
}

int
ks_dossier_transition(struct ks_request *req, int64_t id, const char *from,
    const char *to, const char *reason, const char *code,
    const char *version)
{
	struct step_call c = { req, NULL, id, from, to };
	const char *v[4];
	PGresult *r;

	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_CASE_GET, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no such dossier");
	c.k = ks_case_kind(r, 0);
	v[1] = to;
	v[2] = strcmp(to, "closed") == 0 ? code : NULL;
	v[3] = version;
	if ((r = ks_db_q(req, Q_CASE_SET_STATE, 4, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_case_stale(req, id);
	if (transition_log(req, id, from, to, reason, code) != KS_OK)
		return KS_ERROR;
	if (c.k != NULL && c.k->on_transition != NULL && ks_case_hook(req,
	    ks_module_of_kind(c.k), step_hook, &c) != KS_OK)
		return KS_ERROR;
	return ks_audit(req, "dossier_transition", "dossier", v[0], NULL,
	    NULL, json_pack("{s:s,s:s,s:s?,s:s?}", "from", from, "to", to,
	    "reason", reason, "reason_code", code));
}

static int
case_transition(struct ks_request *req)
{
	const char *to = ks_body_str(req, "to"), *from;
	const char *closure = ks_body_str(req, "closure_reason");
	const struct ks_dossier_kind *k;
	PGresult *b, *r;
	int64_t id;

	if ((b = ks_case_param(req, &id)) == NULL ||
	    ks_check_etag(req, ks_db_getll(b, 0, "version"),
	    ks_case_json(b, 0)) != KS_OK)
		return KS_ERROR;
	from = ks_db_str(b, 0, "state");
	if ((k = ks_case_kind(b, 0)) == NULL)
		return ks_fail(req, 409, "transition_not_allowed", "this "
		    "dossier's kind is not served now");
	if (ks_transition_check(req, k->code, from, to, closure) != KS_OK)
		return KS_ERROR;
	if (k->checklist_before != NULL && strcmp(to,
	    k->checklist_before) == 0 && ks_checklist_complete(req, k,
	    id) != KS_OK)
		return KS_ERROR;
	if (ks_dossier_transition(req, id, from, to, ks_body_str(req,
	    "reason"), strcmp(to, "closed") == 0 ? closure : NULL,
	    ks_db_str(b, 0, "version")) != KS_OK)
		return KS_ERROR;
	if ((r = ks_case_load(req, id, KS_ACCESS_READ)) == NULL)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, ks_case_json(r, 0));
}

/* ---------------------------------------------------------- dossiers */

/* The team must be one of the tenant's teams (400 naming the field). */
static int
check_team(struct ks_request *req, const char *team)
{
	const char *v[1] = { team };
	PGresult *r;

	if (team == NULL)
		return KS_OK;
	if ((r = ks_db_q(req, Q_CASE_TEAM_EXISTS, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0)
		return ks_fail_detail(req, 400, "invalid_value", "no team of "
		    "this social service has this name", json_pack("{s:s}",
		    "field", "team"));
	return KS_OK;
}

int
ks_case_check_assignee(struct ks_request *req, const char *field,
    long long uid, const char *team)
{
	const char *v[1] = { ks_num(req, uid) };
	const char *his;
	PGresult *r;

	if ((r = ks_db_q(req, Q_CASE_ACTIVE_USER, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_fail_detail(req, 400, "invalid_value", "no active "
		    "user with this id", json_pack("{s:s}", "field", field));
	his = ks_db_str(r, 0, "team");
	/* One of another team than the dossier's could not work on it. */
	if (team != NULL && *team != '\0' && *his != '\0' &&
	    strcmp(team, his) != 0)
		return ks_fail_detail(req, 400, "assignee_other_team", "this "
		    "person works in another team; change the dossier's team "
		    "first", json_pack("{s:s,s:s}", "field", field, "team",
		    his));
	return KS_OK;
}

static int
check_municipality(struct ks_request *req, long long bfs)
{
	const char *v[1] = { ks_num(req, bfs) };
	PGresult *r;

	if ((r = ks_db_q(req, Q_CASE_SERVES_MUNICIPALITY, 1, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) == 0)
		return ks_fail_detail(req, 400, "invalid_value", "this social "
		    "service does not serve that municipality", json_pack(
		    "{s:s}", "field", "municipality_bfs"));
	return KS_OK;
}

static long long
body_int(struct ks_request *req, const char *name, int *present)
{
	json_t *v = json_object_get(req->body, name);

	*present = json_is_integer(v);
	return *present ? json_integer_value(v) : 0;
}

/*
 * The kind a new dossier gets: the one named, of a module switched on;
 * without a name, the main kind (named like its module) of the first
 * such module.
 */
static const struct ks_dossier_kind *
new_kind(struct ks_request *req, const char *code, const char **module)
{
	const struct ks_dossier_kind *k;
	const char *name;
	int i, on;

	for (i = 0; i < ks_modules_count(); i++) {
		if ((k = ks_module_kinds(i, &name)) == NULL)
			continue;
		for (; k->code != NULL; k++) {
			if (code != NULL ? strcmp(k->code, code) != 0 :
			    strcmp(k->code, name) != 0)
				continue;
			if ((on = ks_module_on(req, name)) < 0)
				return NULL;
			if (on) {
				*module = name;
				return k;
			}
		}
	}
	ks_fail_detail(req, 400, "invalid_value", code != NULL ? "no dossier "
	    "kind of this name is switched on here" : "name the kind of "
	    "dossier", json_pack("{s:s}", "field", "kind"));
	return NULL;
}

static int
case_create(struct ks_request *req)
{
	const char *v[8], *team = ks_body_str(req, "team"), *module;
	const struct ks_dossier_kind *k;
	long long hh, ap, bfs, cw;
	int has, has_cw;
	PGresult *r;
	int64_t id;

	if ((k = new_kind(req, ks_body_str(req, "kind"), &module)) == NULL)
		return KS_ERROR;
	hh = body_int(req, "household_id", &has);
	ap = body_int(req, "applicant_id", &has);
	bfs = body_int(req, "municipality_bfs", &has);
	cw = body_int(req, "caseworker_id", &has_cw);
	if (check_municipality(req, bfs) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, hh);
	v[1] = ks_num(req, ap);
	if ((r = ks_db_q(req, Q_CASE_HOUSEHOLD_ROLE_NOW, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1 || strcmp(ks_db_str(r, 0, "role"),
	    "applicant") != 0)
		return ks_fail_detail(req, 400, "invalid_value", "the "
		    "applicant must be the household's current applicant",
		    json_pack("{s:s}", "field", "applicant_id"));
	if (check_team(req, team) != KS_OK || (has_cw &&
	    ks_case_check_assignee(req, "caseworker_id", cw, team) != KS_OK))
		return KS_ERROR;
	v[0] = module;
	v[1] = k->code;
	v[2] = ks_num(req, hh);
	v[3] = ks_num(req, ap);
	v[4] = k->initial;
	v[5] = ks_num(req, bfs);
	v[6] = has_cw ? ks_num(req, cw) : NULL;
	v[7] = team;
	if ((r = ks_db_q(req, Q_CASE_INSERT, 8, v)) == NULL)
		return KS_ERROR;
	id = ks_db_getll(r, 0, "id");
	if (transition_log(req, id, "", k->initial, NULL, NULL) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_CASE_GET, 1, v)) == NULL ||
	    ks_audit(req, "dossier_registered", "dossier", v[0], NULL, NULL,
	    json_pack("{s:I,s:s}", "municipality_bfs", (json_int_t)bfs,
	    "number", ks_db_str(r, 0, "number"))) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 201, ks_case_json(r, 0));
}

/*
 * The search text of ?q=: trimmed, LIKE wildcards escaped (the query
 * lowers it); NULL when empty. 400 when longer than 100 characters.
 */
static int
search_text(struct ks_request *req, const char *q, const char **out)
{
	size_t n, i, j = 0;
	char *s;

	*out = NULL;
	if (q == NULL)
		return KS_OK;
	while (*q == ' ' || *q == '\t')
		q++;
	n = strlen(q);
	while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	if (n > 100)
		return ks_fail_detail(req, 400, "invalid_parameter", "search "
		    "for at most 100 characters", json_pack("{s:s}",
		    "parameter", "q"));
	if (n == 0)
		return KS_OK;
	s = ks_arena_alloc(req->arena, 2 * n + 1);
	for (i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			s[j++] = '\\';
		s[j++] = q[i];
	}
	s[j] = '\0';
	*out = s;
	return KS_OK;
}

/* Is s a state of a kind of a module switched on? */
static int
known_state(struct ks_request *req, const char *s)
{
	const struct ks_dossier_kind *k;
	const char *name;
	int i;

	for (i = 0; i < ks_modules_count(); i++)
		for (k = ks_module_kinds(i, &name); k != NULL &&
		    k->code != NULL; k++)
			if (ks_str_in(s, k->states) && ks_module_on(req,
			    name) == 1)
				return 1;
	return 0;
}

const char *
ks_case_modules_on(struct ks_request *req)
{
	json_t *a = ks_modules_enabled(req), *e;
	const char *s = "";
	size_t i;

	json_array_foreach(a, i, e)
		s = ks_arena_printf(req->arena, "%s%s%s", s, i ? "," : "",
		    json_string_value(e));
	json_decref(a);
	return s;
}

static int
cases_list(struct ks_request *req)
{
	const char *v[6], *mine = ks_query(req, "mine");
	long long n;
	PGresult *r;

	if (ks_page(req, &v[2], &v[3], &n) != KS_OK)
		return KS_ERROR;
	v[0] = ks_query(req, "state");
	if (v[0] != NULL && *v[0] == '\0')
		v[0] = NULL;	/* state= is every state */
	if (v[0] != NULL && !known_state(req, v[0]))
		return ks_fail_detail(req, 400, "invalid_parameter",
		    "state is one of the states of a dossier kind",
		    json_pack("{s:s}", "parameter", "state"));
	if (mine != NULL && strcmp(mine, "1") != 0 && strcmp(mine, "0") != 0)
		return ks_fail_detail(req, 400, "invalid_parameter",
		    "mine is 1 (my dossiers) or 0", json_pack("{s:s}",
		    "parameter", "mine"));
	v[1] = mine && strcmp(mine, "1") == 0 ? ks_num(req,
	    req->who.user_id) : NULL;
	if (search_text(req, ks_query(req, "q"), &v[4]) != KS_OK)
		return KS_ERROR;
	v[5] = ks_case_modules_on(req);
	if ((r = ks_db_q(req, Q_CASE_LIST, 6, v)) == NULL)
		return KS_ERROR;
	return ks_reply(req, 200, ks_db_page(r, n, "id", ks_case_json));
}

/*
 * The members' person ids in PostgreSQL's JSON text of them (the
 * "person_id" keys, outside strings) as refs of the read record: the ids
 * the record's scan of a JSON answer would have found there.
 */
static void
member_refs(struct ks_request *req, const char *s)
{
	static const char key[] = "\"person_id\"";
	char id[24];
	size_t n;
	int in = 0;

	for (; *s != '\0'; s++) {
		if (in) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				in = 0;
			continue;
		}
		if (*s != '"')
			continue;
		if (strncmp(s, key, sizeof(key) - 1) != 0) {
			in = 1;
			continue;
		}
		s += sizeof(key) - 1;
		while (*s == ' ' || *s == ':')
			s++;
		for (n = 0; n < sizeof(id) - 1 && s[n] >= '0' && s[n] <= '9';
		    n++)
			id[n] = s[n];
		id[n] = '\0';
		ks_audit_answer_ref(req, id);
		s += n;
		s--;	/* the loop's step goes on after the number */
	}
}

/*
 * The dossier's answer as JSON text: ks_case_json's object, then its
 * history and members as PostgreSQL wrote them (ks_json_put_pg), not
 * parsed into a tree and dumped again (issue 13, as the person search).
 * The answer's refs go to the read record (its id, household and
 * members). 0, or -1 when the object is not one ks_json_compact writes.
 */
/* A column as a JSON string; null for SQL NULL when nullable. */
static int
put_col(struct ks_buf *o, const char *key, size_t klen, PGresult *r,
    const char *col, int nullable)
{
	const char *v = ks_db_get(r, 0, col);

	ks_buf_put(o, key, klen);
	if (v == NULL && nullable) {
		KS_BUF_LIT(o, "null");
		return 0;
	}
	if (v == NULL)		/* as ks_db_str: "" for SQL NULL */
		v = "";
	return ks_json_put_str(o, v, strlen(v));
}

#define PUT_S(o, key, r, col)	put_col((o), key, sizeof(key) - 1, (r), \
				    (col), 0)
#define PUT_SN(o, key, r, col)	put_col((o), key, sizeof(key) - 1, (r), \
				    (col), 1)
#define PUT_I(o, key, r, col)	(KS_BUF_LIT((o), key), \
				    ks_json_put_int((o), ks_db_getll((r), 0, \
				    (col))))

/*
 * ks_case_json of row 0 written as JSON text, without its closing brace:
 * the same bytes as ks_json_compact(ks_case_json(r, 0)) (issue 13: the
 * tree and its dump were a tenth of kasusd's CPU per dossier read).
 * -1 for text that is not UTF-8 (the caller falls back to the tree).
 */
static int
case_put(struct ks_buf *o, PGresult *r)
{
	const struct ks_dossier_kind *k = ks_case_kind(r, 0);

	PUT_I(o, "{\"id\":", r, "id");
	if (PUT_S(o, ",\"number\":", r, "number") ||
	    PUT_S(o, ",\"module\":", r, "module") ||
	    PUT_S(o, ",\"state\":", r, "state"))
		return -1;
	PUT_I(o, ",\"household_id\":", r, "household_id");
	PUT_I(o, ",\"applicant\":{\"id\":", r, "applicant_id");
	if (PUT_S(o, ",\"last_name\":", r, "last_name") ||
	    PUT_S(o, ",\"first_name\":", r, "first_name") ||
	    PUT_S(o, ",\"language\":", r, "language"))
		return -1;
	PUT_I(o, "},\"municipality\":{\"bfs\":", r, "municipality_bfs");
	if (PUT_S(o, ",\"name\":", r, "municipality"))
		return -1;
	if (ks_db_isnull(r, 0, "caseworker_id"))
		KS_BUF_LIT(o, "},\"caseworker\":null");
	else {
		PUT_I(o, "},\"caseworker\":{\"id\":", r, "caseworker_id");
		if (PUT_S(o, ",\"display_name\":", r, "caseworker"))
			return -1;
		KS_BUF_LIT(o, "}");
	}
	if (PUT_SN(o, ",\"team\":", r, "team") ||
	    PUT_S(o, ",\"opened_on\":", r, "opened_on") ||
	    PUT_SN(o, ",\"closed_on\":", r, "closed_on") ||
	    PUT_SN(o, ",\"closure_reason\":", r, "closure_reason"))
		return -1;
	PUT_I(o, ",\"version\":", r, "version");
	if (PUT_SN(o, ",\"next_deadline\":", r, "next_deadline") ||
	    PUT_SN(o, ",\"transferred_from\":", r, "transferred_from"))
		return -1;
	KS_BUF_LIT(o, ",\"transitions\":");
	if (ks_transitions_put(o, NULL, k, ks_db_str(r, 0, "state")) != 0)
		return -1;
	KS_BUF_LIT(o, ",\"kind\":");
	if (k == NULL)
		KS_BUF_LIT(o, "null");
	else if (ks_json_put_str(o, k->code, strlen(k->code)) != 0)
		return -1;
	return 0;
}

static int
case_reply(struct ks_request *req, PGresult *r)
{
	const char *h = ks_db_get(r, 0, "history"), *m = ks_db_get(r, 0,
	    "members");
	struct ks_buf o;

	o.len = 0;
	o.cap = 1024 + (h ? strlen(h) : 0) + (m ? strlen(m) : 0);
	if ((o.p = malloc(o.cap)) == NULL)
		abort();
	if (case_put(&o, r) != 0) {
		free(o.p);
		return -1;
	}
	ks_audit_answer_ref(req, ks_db_str(r, 0, "id"));
	ks_audit_answer_ref(req, ks_db_str(r, 0, "household_id"));
	KS_BUF_LIT(&o, ",\"history\":");
	if (h == NULL)
		KS_BUF_LIT(&o, "[]");
	else
		ks_json_put_pg(&o, h, strlen(h));
	KS_BUF_LIT(&o, ",\"members\":");
	if (m == NULL)
		KS_BUF_LIT(&o, "[]");
	else {
		ks_json_put_pg(&o, m, strlen(m));
		member_refs(req, m);
	}
	KS_BUF_LIT(&o, "}");
	ks_arena_cleanup(req->arena, free, o.p);
	req->raw = o.p;
	req->raw_len = o.len;
	req->ctype = "application/json";
	return 0;
}

static int
case_show(struct ks_request *req)
{
	const char *v[2];
	PGresult *r;
	json_t *j;
	int64_t id;
	int on;

	if (ks_param_id(req, "id", &id) != KS_OK)
		return KS_ERROR;
	/*
	 * The dossier with its history and members in one statement, one
	 * round trip (issue 13): its stored answer when that is current
	 * (one row), else computed (case_show, which stores it, committed
	 * in the same round trip: the miss of the day's first read costs one
	 * more than a hit, and its read record still goes to the writer).
	 * The access policy judges the row it read (row-level security found
	 * it in the tenant; the team rule), as ks_access_dossier does after
	 * a statement of its own.
	 */
	v[0] = ks_num(req, id);
	v[1] = ks_today(req);
	if ((r = ks_db_q(req, Q_CASE_ANSWER, 2, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1) {
		ks_db_free(req, r);
		if ((r = ks_db_q_commit(req, Q_CASE_SHOW, 2, v)) == NULL)
			return KS_ERROR;
	}
	if (PQntuples(r) != 1)
		return ks_fail(req, 404, "not_found", "no such dossier");
	if (ks_access_team(req, ks_db_get(r, 0, "team"), KS_ACCESS_AUTO) !=
	    KS_OK)
		return KS_ERROR;
	if ((on = ks_module_on(req, ks_db_str(r, 0, "module"))) == 0)
		return ks_fail(req, 404, "not_found", "no such dossier");
	if (on < 0)
		return KS_ERROR;
	/* Every read of a dossier is logged (cantonal data protection). */
	if (ks_audit(req, "dossier_read", "dossier", v[0], NULL, NULL,
	    NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	if (case_reply(req, r) == 0)
		return KS_OK;
	/* What ks_json_compact leaves to jansson: the tree, as before. */
	j = ks_case_json(r, 0);
	json_object_set_new(j, "history", json_loads(ks_db_str(r, 0,
	    "history"), 0, NULL) ?: json_array());
	json_object_set_new(j, "members", json_loads(ks_db_str(r, 0,
	    "members"), 0, NULL) ?: json_array());
	return ks_reply(req, 200, j);
}

static int
case_patch(struct ks_request *req)
{
	const char *v[5], *team = ks_body_str(req, "team");
	PGresult *b, *r;
	long long cw, bfs;
	int has_cw, has_bfs;
	int64_t id;

	if ((b = ks_case_param(req, &id)) == NULL ||
	    ks_check_etag(req, ks_db_getll(b, 0, "version"),
	    ks_case_json(b, 0)) != KS_OK)
		return KS_ERROR;
	cw = body_int(req, "caseworker_id", &has_cw);
	bfs = body_int(req, "municipality_bfs", &has_bfs);
	if (check_team(req, team) != KS_OK || (has_cw &&
	    ks_case_check_assignee(req, "caseworker_id", cw, team ? team :
	    ks_db_get(b, 0, "team")) != KS_OK))
		return KS_ERROR;
	if (has_bfs && check_municipality(req, bfs) != KS_OK)
		return KS_ERROR;
	v[0] = ks_num(req, id);
	v[1] = has_cw ? ks_num(req, cw) : NULL;
	v[2] = team;
	v[3] = has_bfs ? ks_num(req, bfs) : NULL;
	v[4] = ks_db_str(b, 0, "version");
	if ((r = ks_db_q(req, Q_CASE_UPDATE, 5, v)) == NULL)
		return KS_ERROR;
	if (PQntuples(r) != 1)
		return ks_case_stale(req, id);
	v[0] = ks_num(req, id);
	if ((r = ks_db_q(req, Q_CASE_GET, 1, v)) == NULL ||
	    ks_audit(req, has_cw && (ks_db_isnull(b, 0, "caseworker_id") ||
	    ks_db_getll(b, 0, "caseworker_id") != cw) ? "dossier_assigned" :
	    "dossier_changed", "dossier", v[0], ks_case_json(b, 0),
	    ks_case_json(r, 0), NULL) != KS_OK)
		return KS_ERROR;
	ks_set_etag(req, ks_db_getll(r, 0, "version"));
	return ks_reply(req, 200, ks_case_json(r, 0));
}

/* ------------------------------------------------------------ routes */

static const struct ks_field case_new[] = {
	{ "household_id", KS_F_INT, 1, 1, 0, "the support unit" },
	{ "applicant_id", KS_F_INT, 1, 1, 0, "its current applicant" },
	{ "municipality_bfs", KS_F_INT, 1, 1, 9999,
	    "responsible municipality (Unterstützungswohnsitz)" },
	{ "caseworker_id", KS_F_INT, 0, 1, 0, NULL },
	{ "team", KS_F_STRING, 0, 1, 60, NULL },
	{ "kind", KS_F_STRING, 0, 1, 40, "the dossier kind (default: the "
	    "main kind of the first module switched on)" },
	KS_FIELDS_END
};
static const struct ks_field case_change[] = {
	{ "caseworker_id", KS_F_INT, 0, 1, 0, NULL },
	{ "team", KS_F_STRING, 0, 1, 60, NULL },
	{ "municipality_bfs", KS_F_INT, 0, 1, 9999, NULL },
	KS_FIELDS_END
};
static const struct ks_field transition_body[] = {
	{ "to", KS_F_STRING, 1, 1, 20, "a state of the dossier's kind" },
	{ "reason", KS_F_STRING, 0, 1, 500, NULL },
	{ "closure_reason", KS_F_STRING, 0, 1, 20,
	    "one of the kind's closing reasons" },
	KS_FIELDS_END
};

#define C	"/api/v1/cases"
#define KB	(16 * 1024)
#define CW	KS_R_CASEWORK

static const struct ks_route routes[] = {
	{ "POST", C, "case.register", KB, case_new, CW, case_create,
	    "register a dossier for a household", NULL },
	{ "GET", C, "case.read", 0, NULL, CW | KS_R_PAGED | KS_R_AUDIT,
	    cases_list, "dossiers (?state=, ?mine=1, ?q=<number or name>, "
	    "cursor)", NULL },
	{ "GET", C "/{id}", "case.read", 0, NULL, CW | KS_R_AUDIT | KS_R_PARK,
	    case_show,
	    "a dossier with members, history and allowed transitions", NULL },
	{ "PATCH", C "/{id}", "case.write", KB, case_change, CW | KS_R_ETAG,
	    case_patch, "assign case worker, team, municipality (If-Match)",
	    NULL },
	{ "POST", C "/{id}/transitions", "case.write", KB, transition_body,
	    CW | KS_R_ETAG, case_transition,
	    "move the dossier to another state (If-Match)", NULL },
	KS_ROUTES_END
};

void
ks_casework_register(void)
{
	ks_router_add(routes, NULL);
	ks_record_register();
	ks_checklist_register();
	ks_worklist_register();
}
