/*
 * sh_dossier.c - the Sozialhilfe dossier: registration, lifecycle with
 * enforced transitions, intake checklist, journal (Aktennotizen), goal
 * agreement (Zielvereinbarung), deadlines (Wiedervorlagen) and the
 * user's work list.
 *
 * States: registration -> intake -> decision -> ongoing <-> review, and
 * from any open state -> closed with a detachment reason. decision ->
 * ongoing (and review -> ongoing) happens when a team lead approves a
 * decision (sh_budget.c). Every write to a versioned record (dossier,
 * checklist, goals, deadlines) needs If-Match; the deadlines the system
 * sets exist once per kind and due date and end with the dossier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sh.h"

#define END	{ NULL, 0, 0, 0, 0, NULL }

static const char *const required_docs[] = { "id", "rent_contract",
    "income_proof", "bank_statements", "health_insurance", NULL };
static const char *const closure_reasons[] = { "work", "insurance", "moved",
    "not_entitled", "death", "other", NULL };
static const char *const states[] = { "registration", "intake", "decision",
    "ongoing", "review", "closed", NULL };

/*
 * The life cycle of a Sozialhilfe dossier, enforced by the core's
 * transition engine: what a case worker may do by hand; decision ->
 * ongoing happens when a team lead approves the decision.
 */
static const struct ks_transition transitions[] = {
	{ "registration", "intake", NULL, NULL },
	{ "intake", "decision", NULL, NULL },
	{ "decision", "ongoing", NULL, "support starts when a team lead "
	    "approves the decision" },
	{ "ongoing", "review", NULL, NULL },
	{ "review", "ongoing", NULL, NULL },
	{ "registration", "closed", NULL, NULL },
	{ "intake", "closed", NULL, NULL },
	{ "decision", "closed", NULL, NULL },
	{ "ongoing", "closed", NULL, NULL },
	{ "review", "closed", NULL, NULL },
	{ NULL, NULL, NULL, NULL }
};

const struct ks_dossier_kind sh_dossier_kinds[] = {
	{ "sozialhilfe", "registration", states, transitions,
	    closure_reasons },
	{ NULL, NULL, NULL, NULL, NULL }
};

static int
in_list(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static long long
body_int(struct ks_request *req, const char *name, int *present)
{
	json_t *v = json_object_get(ks->body(req), name);

	*present = json_is_integer(v);
	return *present ? json_integer_value(v) : 0;
}

static const char *
body_str(struct ks_request *req, const char *name)
{
	return json_string_value(json_object_get(ks->body(req), name));
}


json_t *
sh_dossier_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:{s:I,s:s,s:s,s:s},s:{s:I,s:s},"
	    "s:o,s:s?,s:s,s:s?,s:s?,s:I,s:s?,s:s?,s:o}",
	    "id", (json_int_t)atoll(PQgetvalue(r, i, 0)),
	    "number", PQgetvalue(r, i, 19),
	    "state", PQgetvalue(r, i, 1),
	    "household_id", (json_int_t)atoll(PQgetvalue(r, i, 2)),
	    "applicant", "id", (json_int_t)atoll(PQgetvalue(r, i, 3)),
	    "last_name", PQgetvalue(r, i, 4), "first_name",
	    PQgetvalue(r, i, 5), "language", PQgetvalue(r, i, 18),
	    "municipality", "bfs", (json_int_t)atoll(PQgetvalue(r, i, 6)),
	    "name", PQgetvalue(r, i, 7),
	    "caseworker", PQgetisnull(r, i, 8) ? json_null() : json_pack(
	    "{s:I,s:s}", "id", (json_int_t)atoll(PQgetvalue(r, i, 8)),
	    "display_name", PQgetvalue(r, i, 9)),
	    "team", PQgetisnull(r, i, 10) ? NULL : PQgetvalue(r, i, 10),
	    "opened_on", PQgetvalue(r, i, 11),
	    "closed_on", PQgetisnull(r, i, 12) ? NULL : PQgetvalue(r, i, 12),
	    "closure_reason", PQgetisnull(r, i, 13) ? NULL :
	    PQgetvalue(r, i, 13),
	    "version", (json_int_t)atoll(PQgetvalue(r, i, 14)),
	    "next_deadline", PQgetisnull(r, i, 16) ? NULL :
	    PQgetvalue(r, i, 16),
	    "transferred_from", PQgetisnull(r, i, 17) ? NULL :
	    PQgetvalue(r, i, 17),
	    "transitions", ks->transitions_from(NULL,
	    sh_dossier_kinds, PQgetvalue(r, i, 1)));
}

PGresult *
sh_dossier(struct ks_request *req, int64_t *id)
{
	const char *v[1];
	PGresult *r;

	if (ks->param_id(req, "id", id) != 0)
		return NULL;
	/* The core's one access policy: 404, or other_team for a change. */
	if (ks->access_dossier(req, *id, KS_ACCESS_AUTO) == NULL)
		return NULL;
	v[0] = ks->num(req, *id);
	if ((r = sh_q(req, Q_DOSSIER_GET, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such dossier");
		return NULL;
	}
	return r;
}

/* The first of the month n months from today, "YYYY-MM-01". */
const char *
sh_months_ahead(struct ks_request *req, int n)
{
	const char *today = ks->today(req);
	int y = atoi(today), m = atoi(today + 5) - 1 + n;
	char due[11];

	snprintf(due, sizeof(due), "%04d-%02d-01", y + m / 12, m % 12 + 1);
	return ks->strdup(req, due);
}

/* The day n days from today, "YYYY-MM-DD". */
const char *
sh_days_ahead(struct ks_request *req, int n)
{
	time_t t = time(NULL) + (time_t)n * 86400;
	struct tm tm;
	char due[11];

	localtime_r(&t, &tm);
	strftime(due, sizeof(due), "%Y-%m-%d", &tm);
	return ks->strdup(req, due);
}

/*
 * A deadline created by the system (review due, missing documents ...):
 * one per dossier, kind and due date, so running a step twice does not
 * make a second one (a done one is opened again).
 */
int
sh_auto_deadline(struct ks_request *req, int64_t dossier, const char *due,
    const char *kind, const char *text)
{
	const char *v[4] = { ks->num(req, dossier), due, kind, text };

	return sh_q(req, Q_DEADLINE_AUTO, 4, v) ? 0 : -1;
}

int
sh_deadlines_close(struct ks_request *req, int64_t dossier, const char *kind,
    const char *keep_due)
{
	const char *v[3] = { ks->num(req, dossier), kind, keep_due };

	return sh_q(req, Q_DEADLINES_CLOSE, 3, v) ? 0 : -1;
}

/* ---------------------------------------------------------- dossiers */

/* The team must be one of the tenant's teams (400 naming the field). */
static int
check_team(struct ks_request *req, const char *team)
{
	const char *v[1] = { team };
	PGresult *r;

	if (team == NULL)
		return 0;
	if ((r = sh_q(req, Q_TEAM_EXISTS, 1, v)) == NULL)
		return -1;
	if (PQntuples(r) == 0)
		return ks->fail_detail(req, 400, "invalid_value", "no team of "
		    "this social service has this name", json_pack("{s:s}",
		    "field", "team"));
	return 0;
}

/*
 * The case worker must be an active user; one of another team than the
 * dossier's could not work on it, so that is refused too.
 */
static int
check_assignee(struct ks_request *req, const char *field, long long uid,
    const char *team)
{
	const char *v[1] = { ks->num(req, uid) };
	PGresult *r;

	if ((r = sh_q(req, Q_ACTIVE_USER, 1, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return ks->fail_detail(req, 400, "invalid_value", "no active "
		    "user with this id", json_pack("{s:s}", "field", field));
	if (team != NULL && *team != '\0' && *PQgetvalue(r, 0, 0) != '\0' &&
	    strcmp(team, PQgetvalue(r, 0, 0)) != 0)
		return ks->fail_detail(req, 400, "assignee_other_team", "this "
		    "person works in another team; change the dossier's team "
		    "first", json_pack("{s:s,s:s}", "field", field, "team",
		    PQgetvalue(r, 0, 0)));
	return 0;
}

static int
case_create(struct ks_request *req)
{
	const char *v[5], *team = body_str(req, "team");
	long long hh, ap, bfs, cw;
	int has, has_cw;
	PGresult *r;
	int64_t id;

	hh = body_int(req, "household_id", &has);
	ap = body_int(req, "applicant_id", &has);
	bfs = body_int(req, "municipality_bfs", &has);
	cw = body_int(req, "caseworker_id", &has_cw);
	v[0] = ks->num(req, bfs);
	if ((r = sh_q(req, Q_SERVES_MUNICIPALITY, 1, v)) == NULL)
		return -1;
	if (PQntuples(r) == 0)
		return ks->fail_detail(req, 400, "invalid_value", "this social "
		    "service does not serve that municipality", json_pack(
		    "{s:s}", "field", "municipality_bfs"));
	v[0] = ks->num(req, hh);
	v[1] = ks->num(req, ap);
	if ((r = sh_q(req, Q_HOUSEHOLD_ROLE_NOW, 2, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "applicant") != 0)
		return ks->fail_detail(req, 400, "invalid_value", "the "
		    "applicant must be the household's current applicant",
		    json_pack("{s:s}", "field", "applicant_id"));
	if (check_team(req, team) != 0 || (has_cw && check_assignee(req,
	    "caseworker_id", cw, team) != 0))
		return -1;
	v[0] = ks->num(req, hh);
	v[1] = ks->num(req, ap);
	v[2] = ks->num(req, bfs);
	v[3] = has_cw ? ks->num(req, cw) : NULL;
	v[4] = team;
	if ((r = sh_q(req, Q_DOSSIER_INSERT, 5, v)) == NULL)
		return -1;
	id = atoll(PQgetvalue(r, 0, 0));
	if (sh_transition_log(req, id, "", "registration", NULL, NULL) != 0)
		return -1;
	v[0] = ks->num(req, id);
	if ((r = sh_q(req, Q_DOSSIER_GET, 1, v)) == NULL ||
	    ks->audit(req, "dossier_registered", "dossier", v[0], NULL, NULL,
	    json_pack("{s:I,s:s}", "municipality_bfs", (json_int_t)bfs,
	    "number", PQgetvalue(r, 0, 19))) != 0)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 14)));
	return ks->reply(req, 201, sh_dossier_json(r, 0));
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
		return 0;
	while (*q == ' ' || *q == '\t')
		q++;
	n = strlen(q);
	while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	if (n > 100)
		return ks->fail_detail(req, 400, "invalid_parameter", "search "
		    "for at most 100 characters", json_pack("{s:s}",
		    "parameter", "q"));
	if (n == 0)
		return 0;
	s = ks->alloc(req, 2 * n + 1);
	for (i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			s[j++] = '\\';
		s[j++] = q[i];
	}
	s[j] = '\0';
	*out = s;
	return 0;
}

static int
cases_list(struct ks_request *req)
{
	const char *v[5], *mine = ks->query(req, "mine");
	long long n;
	json_t *items;
	PGresult *r;
	int i;

	if (ks->page(req, &v[2], &v[3], &n) != KS_OK)
		return KS_ERROR;
	v[0] = ks->query(req, "state");
	if (v[0] != NULL && *v[0] == '\0')
		v[0] = NULL;	/* state= is every state */
	if (v[0] != NULL && !in_list(v[0], states))
		return ks->fail_detail(req, 400, "invalid_parameter",
		    "state is registration, intake, decision, ongoing, "
		    "review or closed", json_pack("{s:s}", "parameter",
		    "state"));
	if (mine != NULL && strcmp(mine, "1") != 0 && strcmp(mine, "0") != 0)
		return ks->fail_detail(req, 400, "invalid_parameter",
		    "mine is 1 (my dossiers) or 0", json_pack("{s:s}",
		    "parameter", "mine"));
	v[1] = mine && strcmp(mine, "1") == 0 ? ks->num(req,
	    ks->user_id(req)) : NULL;
	if (search_text(req, ks->query(req, "q"), &v[4]) != 0)
		return -1;
	if ((r = sh_q(req, Q_DOSSIER_LIST, 5, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, sh_dossier_json(r, i));
	return ks->reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", PQntuples(r) == n ? json_string(PQgetvalue(r,
	    PQntuples(r) - 1, 0)) : json_null()));
}

static int
case_show(struct ks_request *req)
{
	const char *v[2];
	PGresult *r;
	json_t *j;
	int64_t id;

	if (ks->param_id(req, "id", &id) != 0 ||
	    ks->access_dossier(req, id, KS_ACCESS_AUTO) == NULL)
		return -1;
	/* The dossier with its history and members: one round trip. */
	v[0] = ks->num(req, id);
	v[1] = ks->today(req);
	if ((r = sh_q(req, Q_DOSSIER_SHOW, 2, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return ks->fail(req, 404, "not_found", "no such dossier");
	j = sh_dossier_json(r, 0);
	json_object_set_new(j, "history", json_loads(ks_db_str(r, 0,
	    "history"), 0, NULL) ?: json_array());
	json_object_set_new(j, "members", json_loads(ks_db_str(r, 0,
	    "members"), 0, NULL) ?: json_array());
	/* Every read of a dossier is logged (cantonal data protection). */
	if (ks->audit(req, "dossier_read", "dossier", v[0], NULL, NULL,
	    NULL) != 0) {
		json_decref(j);
		return -1;
	}
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, 200, j);
}

/* 409: the dossier changed since the caller read it; here it is now. */
int
sh_dossier_stale(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *r = sh_q(req, Q_DOSSIER_GET, 1, v);

	if (r != NULL && PQntuples(r) == 1)
		ks->set_etag(req, atoll(PQgetvalue(r, 0, 14)));
	return ks->fail_detail(req, 409, "conflict", "someone else changed "
	    "this dossier; review it and apply your change again",
	    r && PQntuples(r) == 1 ? json_pack("{s:o}", "current",
	    sh_dossier_json(r, 0)) : NULL);
}

static int
case_patch(struct ks_request *req)
{
	const char *v[5], *team = body_str(req, "team");
	PGresult *b, *r;
	long long cw, bfs;
	int has_cw, has_bfs;
	int64_t id;

	if ((b = sh_dossier(req, &id)) == NULL ||
	    ks->check_etag(req, atoll(PQgetvalue(b, 0, 14)),
	    sh_dossier_json(b, 0)) != 0)
		return -1;
	cw = body_int(req, "caseworker_id", &has_cw);
	bfs = body_int(req, "municipality_bfs", &has_bfs);
	if (check_team(req, team) != 0 || (has_cw && check_assignee(req,
	    "caseworker_id", cw, team ? team : PQgetisnull(b, 0, 10) ? NULL :
	    PQgetvalue(b, 0, 10)) != 0))
		return -1;
	if (has_bfs) {
		v[0] = ks->num(req, bfs);
		if ((r = sh_q(req, Q_SERVES_MUNICIPALITY, 1, v)) == NULL)
			return -1;
		if (PQntuples(r) == 0)
			return ks->fail_detail(req, 400, "invalid_value",
			    "this social service does not serve that "
			    "municipality", json_pack("{s:s}", "field",
			    "municipality_bfs"));
	}
	v[0] = ks->num(req, id);
	v[1] = has_cw ? ks->num(req, cw) : NULL;
	v[2] = team;
	v[3] = has_bfs ? ks->num(req, bfs) : NULL;
	v[4] = PQgetvalue(b, 0, 14);
	if ((r = sh_q(req, Q_DOSSIER_UPDATE, 5, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return sh_dossier_stale(req, id);
	v[0] = ks->num(req, id);
	if ((r = sh_q(req, Q_DOSSIER_GET, 1, v)) == NULL ||
	    ks->audit(req, has_cw && (PQgetisnull(b, 0, 8) ||
	    atoll(PQgetvalue(b, 0, 8)) != cw) ? "dossier_assigned" :
	    "dossier_changed", "dossier", v[0], sh_dossier_json(b, 0),
	    sh_dossier_json(r, 0), NULL) != 0)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 14)));
	return ks->reply(req, 200, sh_dossier_json(r, 0));
}

/* Missing required documents, as a JSON array (empty: complete). */
static json_t *
missing_docs(struct ks_request *req, int64_t id)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *r = sh_q(req, Q_CHECKLIST_GET, 1, v);
	json_t *miss = json_array();
	int i, j, got;

	for (i = 0; required_docs[i] != NULL; i++) {
		got = 0;
		for (j = 0; r != NULL && j < PQntuples(r); j++)
			if (!PQgetisnull(r, j, 1) &&
			    strcmp(PQgetvalue(r, j, 0), required_docs[i]) == 0)
				got = 1;
		if (!got)
			json_array_append_new(miss,
			    json_string(required_docs[i]));
	}
	return miss;
}

json_t *
sh_missing_docs(struct ks_request *req, int64_t id)
{
	return missing_docs(req, id);
}

/* 409 checklist_incomplete naming what is missing, or 0 when complete. */
int
sh_checklist_complete(struct ks_request *req, int64_t id)
{
	json_t *miss = missing_docs(req, id);

	if (json_array_size(miss) > 0)
		return ks->fail_detail(req, 409, "checklist_incomplete",
		    "required documents of the intake are missing",
		    json_pack("{s:o}", "missing", miss));
	json_decref(miss);
	return 0;
}

/* Record a step in the dossier's history (code: a system reason). */
int
sh_transition_log(struct ks_request *req, int64_t id, const char *from,
    const char *to, const char *reason, const char *code)
{
	const char *v[6] = { ks->num(req, id), from, to, reason,
	    ks->num(req, ks->user_id(req)), code };

	return sh_q(req, Q_TRANSITION_ADD, 6, v) ? 0 : -1;
}

/* The deadlines that come and go with a state. */
static int
state_deadlines(struct ks_request *req, int64_t id, const char *to)
{
	const char *due;
	json_t *miss;
	int rc = 0;

	if (strcmp(to, "closed") == 0)
		return sh_deadlines_close(req, id, NULL, NULL);
	/* The review the reminder asked for is being done. */
	if (strcmp(to, "review") == 0)
		return sh_deadlines_close(req, id, "review_due", NULL);
	/* Support is reviewed at least every six months. */
	if (strcmp(to, "ongoing") == 0) {
		due = sh_months_ahead(req, 6);
		return sh_deadlines_close(req, id, "review_due", due) != 0 ||
		    sh_auto_deadline(req, id, due, "review_due",
		    "Periodische Überprüfung fällig") != 0 ? -1 : 0;
	}
	/* Intake: the documents still missing are asked for, due in 14 days. */
	if (strcmp(to, "intake") == 0) {
		miss = missing_docs(req, id);
		if (json_array_size(miss) > 0)
			rc = sh_auto_deadline(req, id, sh_days_ahead(req, 14),
			    "missing_document", "Fehlende Unterlagen der "
			    "Erstabklärung einfordern");
		json_decref(miss);
	}
	return rc;
}

/*
 * Move a dossier to another state (checks done by the caller), record
 * it with a person's reason and a system reason code (the closure reason
 * when closing), set or end the state's deadlines, and audit it; also
 * used by the decision approval in sh_budget.c.
 */
int
sh_transition(struct ks_request *req, int64_t id, const char *from,
    const char *to, const char *reason, const char *code,
    const char *version)
{
	const char *v[4];
	PGresult *r;

	v[0] = ks->num(req, id);
	v[1] = to;
	v[2] = strcmp(to, "closed") == 0 ? code : NULL;
	v[3] = version;
	if ((r = sh_q(req, Q_DOSSIER_SET_STATE, 4, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return sh_dossier_stale(req, id);
	if (sh_transition_log(req, id, from, to, reason, code) != 0 ||
	    state_deadlines(req, id, to) != 0)
		return -1;
	return ks->audit(req, "dossier_transition", "dossier", v[0], NULL,
	    NULL, json_pack("{s:s,s:s,s:s?,s:s?}", "from", from, "to", to,
	    "reason", reason, "reason_code", code));
}

static int
case_transition(struct ks_request *req)
{
	const char *to = body_str(req, "to"), *from;
	const char *closure = body_str(req, "closure_reason");
	PGresult *b, *r;
	int64_t id;

	if ((b = sh_dossier(req, &id)) == NULL ||
	    ks->check_etag(req, atoll(PQgetvalue(b, 0, 14)),
	    sh_dossier_json(b, 0)) != 0)
		return -1;
	from = PQgetvalue(b, 0, 1);
	if (ks->transition_check(req, "sozialhilfe", from, to, closure) != 0)
		return -1;
	if (strcmp(to, "decision") == 0 && sh_checklist_complete(req, id) != 0)
		return -1;
	if (sh_transition(req, id, from, to, body_str(req, "reason"),
	    strcmp(to, "closed") == 0 ? closure : NULL,
	    PQgetvalue(b, 0, 14)) != 0)
		return -1;
	if ((r = sh_dossier(req, &id)) == NULL)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 14)));
	return ks->reply(req, 200, sh_dossier_json(r, 0));
}

/* --------------------------------------------------------- checklist */

static const char *const checklist_codes[] = { "id", "residence_permit",
    "rent_contract", "income_proof", "bank_statements", "health_insurance",
    "assets_statement", NULL };

/* The checklist's version; 0 before its first save. */
static long long
checklist_version(struct ks_request *req, int64_t id, int *err)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *r = sh_q(req, Q_CHECKLIST_VERSION, 1, v);

	*err = r == NULL;
	return r != NULL && PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) :
	    0;
}

static json_t *
checklist_json(struct ks_request *req, int64_t id, long long version)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *r = sh_q(req, Q_CHECKLIST_GET, 1, v);
	json_t *items = json_array();
	int i;

	for (i = 0; r != NULL && i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:s,s:s?,s:s?}",
		    "code", PQgetvalue(r, i, 0), "received_on",
		    PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1), "note",
		    PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2)));
	return json_pack("{s:o,s:o,s:I}", "items", items, "missing",
	    missing_docs(req, id), "version", (json_int_t)version);
}

static int
checklist_show(struct ks_request *req)
{
	long long ver;
	int64_t id;
	int e;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	ver = checklist_version(req, id, &e);
	if (e)
		return -1;
	ks->set_etag(req, ver);
	return ks->reply(req, 200, checklist_json(req, id, ver));
}

/* The items of a checklist body, checked before anything is written. */
static int
checklist_items_ok(struct ks_request *req, json_t *items)
{
	json_t *e, *rc, *note;
	size_t i;

	json_array_foreach(items, i, e) {
		rc = json_object_get(e, "received_on");
		note = json_object_get(e, "note");
		if (!json_is_object(e) || !in_list(json_string_value(
		    json_object_get(e, "code")), checklist_codes) ||
		    (rc != NULL && !json_is_null(rc) && !json_is_string(rc)) ||
		    (note != NULL && !json_is_null(note) &&
		    !json_is_string(note)))
			return ks->fail_detail(req, 400, "invalid_value",
			    "each item needs a known code and a received_on "
			    "date or null", json_pack("{s:s,s:I}", "field",
			    "items", "index", (json_int_t)i));
	}
	return 0;
}

static int
checklist_put(struct ks_request *req)
{
	json_t *items = json_object_get(ks->body(req), "items"), *e, *miss;
	const char *v[4];
	long long ver;
	PGresult *r;
	int64_t id;
	size_t i;
	int err;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	ver = checklist_version(req, id, &err);
	if (err || ks->check_etag(req, ver,
	    checklist_json(req, id, ver)) != 0 ||
	    checklist_items_ok(req, items) != 0)
		return -1;
	v[0] = ks->num(req, id);
	v[1] = ks->num(req, ks->user_id(req));
	v[2] = ks->num(req, ver);
	if ((r = sh_q(req, ver == 0 ? Q_CHECKLIST_FIRST :
	    Q_CHECKLIST_BUMP, ver == 0 ? 2 : 3, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		/* Someone saved it in between. */
		ver = checklist_version(req, id, &err);
		ks->set_etag(req, ver);
		return err ? -1 : ks->fail_detail(req, 409, "conflict",
		    "someone else saved this checklist; review it and apply "
		    "your change again", json_pack("{s:o}", "current",
		    checklist_json(req, id, ver)));
	}
	ver = atoll(PQgetvalue(r, 0, 0));
	json_array_foreach(items, i, e) {
		v[0] = ks->num(req, id);
		v[1] = json_string_value(json_object_get(e, "code"));
		v[2] = json_string_value(json_object_get(e, "received_on"));
		v[3] = json_string_value(json_object_get(e, "note"));
		if (sh_q(req, Q_CHECKLIST_SET, 4, v) == NULL)
			return -1;
	}
	/* Complete: the reminder to ask for the documents is done. */
	miss = missing_docs(req, id);
	err = json_array_size(miss) == 0 && sh_deadlines_close(req, id,
	    "missing_document", NULL) != 0;
	json_decref(miss);
	if (err || ks->audit(req, "checklist_changed", "dossier",
	    ks->num(req, id), NULL, json_incref(items), NULL) != 0)
		return -1;
	ks->set_etag(req, ver);
	return ks->reply(req, 200, checklist_json(req, id, ver));
}

/* ----------------------------------------------------------- journal */

static int
journal_list(struct ks_request *req)
{
	const char *v[2];
	PGresult *r;
	json_t *items;
	int64_t id;
	int i, prot = 0;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	/* Protected notes: only the author's role group, and not at all
	 * without the permission for protected notes. */
	v[1] = ks->has_perm(req, "case.protected") ? ks->roles(req) : "";
	if ((r = sh_q(req, Q_JOURNAL_LIST, 2, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		int p = strcmp(PQgetvalue(r, i, 6), "t") == 0;
		char *text = PQgetvalue(r, i, 3), what[48];

		prot |= p;
		/* A protected note sealed under the dossier's key. */
		snprintf(what, sizeof(what), "journal_entry:%s",
		    PQgetvalue(r, i, 0));
		if (!PQgetisnull(r, i, 9) && ks->dossier_open(req, id, what,
		    PQgetvalue(r, i, 9), &text) != 0) {
			json_decref(items);
			return -1;
		}
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s,s:I,"
		    "s:s?,s:b,s:s,s:s}", "id", (json_int_t)atoll(PQgetvalue(r,
		    i, 0)), "noted_on", PQgetvalue(r, i, 1), "category",
		    PQgetvalue(r, i, 2), "text", text,
		    "author_id", (json_int_t)atoll(PQgetvalue(r, i, 4)),
		    "author", PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5),
		    "protected", p, "role_group", PQgetvalue(r, i, 7),
		    "created_at", PQgetvalue(r, i, 8)));
	}
	if (prot && ks->audit(req, "journal_protected_read", "dossier", v[0],
	    NULL, NULL, NULL) != 0) {
		json_decref(items);
		return -1;
	}
	return ks->reply(req, 200, json_pack("{s:o}", "items", items));
}

static int
journal_add(struct ks_request *req)
{
	const char *v[9], *roles = ks->roles(req);
	char group[64], what[48];
	json_t *prot = json_object_get(ks->body(req), "protected");
	PGresult *r;
	int64_t id;
	size_t n;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	/* The role group is the author's first role. */
	n = strcspn(roles, ",");
	snprintf(group, sizeof(group), "%.*s", (int)n, roles);
	v[0] = ks->num(req, id);
	v[1] = body_str(req, "noted_on");
	v[2] = body_str(req, "category");
	v[3] = body_str(req, "text");
	v[4] = ks->num(req, ks->user_id(req));
	v[5] = json_is_true(prot) ? "t" : "f";
	v[6] = group[0] ? ks->strdup(req, group) : "token";
	v[7] = NULL;
	v[8] = NULL;
	/* A protected note's text is sealed under the dossier's key, bound
	   to the note's id. */
	if (json_is_true(prot)) {
		if ((r = sh_q(req, Q_JOURNAL_NEXT_ID, 0, NULL)) == NULL)
			return -1;
		v[7] = PQgetvalue(r, 0, 0);
		snprintf(what, sizeof(what), "journal_entry:%s", v[7]);
		if (ks->dossier_seal(req, id, what, v[3], &v[8]) != 0)
			return -1;
		v[3] = "";
	}
	if ((r = sh_q(req, Q_JOURNAL_ADD, 9, v)) == NULL ||
	    ks->audit(req, "journal_added", "journal_entry",
	    PQgetvalue(r, 0, 0), NULL, NULL, json_pack("{s:s,s:b}", "dossier",
	    v[0], "protected", json_is_true(prot))) != 0)
		return -1;
	return ks->reply(req, 201, json_pack("{s:I}", "id",
	    (json_int_t)atoll(PQgetvalue(r, 0, 0))));
}

/* ------------------------------------------------------------- goals */

static json_t *
goal_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:s?,s:I}",
	    "id", (json_int_t)atoll(PQgetvalue(r, i, 0)), "title",
	    PQgetvalue(r, i, 1), "measures", PQgetvalue(r, i, 2), "due_on",
	    PQgetvalue(r, i, 3), "status", PQgetvalue(r, i, 4),
	    "review_result", PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5),
	    "signed_on", PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6),
	    "version", (json_int_t)atoll(PQgetvalue(r, i, 7)));
}

/*
 * The goal agreement of a dossier: its goals and, as its version, the
 * sum of their versions (it grows with every change and every new goal),
 * the ETag that signing the agreement needs.
 */
static json_t *
agreement_json(struct ks_request *req, int64_t id, long long *version)
{
	const char *v[1] = { ks->num(req, id) };
	PGresult *r = sh_q(req, Q_GOAL_LIST, 1, v);
	json_t *items = json_array();
	int i;

	*version = 0;
	for (i = 0; r != NULL && i < PQntuples(r); i++) {
		*version += atoll(PQgetvalue(r, i, 7));
		json_array_append_new(items, goal_json(r, i));
	}
	return json_pack("{s:o,s:I}", "items", items, "version",
	    (json_int_t)*version);
}

static int
goals_list(struct ks_request *req)
{
	long long ver;
	json_t *j;
	int64_t id;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	j = agreement_json(req, id, &ver);
	ks->set_etag(req, ver);
	return ks->reply(req, 200, j);
}

static int
goal_add(struct ks_request *req)
{
	const char *v[5];
	PGresult *r;
	int64_t id;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	v[1] = body_str(req, "title");
	v[2] = body_str(req, "measures");
	v[3] = body_str(req, "due_on");
	v[4] = ks->num(req, ks->user_id(req));
	if ((r = sh_q(req, Q_GOAL_ADD, 5, v)) == NULL ||
	    sh_auto_deadline(req, id, v[3], "goal_due", v[1]) != 0 ||
	    ks->audit(req, "goal_added", "goal", PQgetvalue(r, 0, 0), NULL,
	    NULL, NULL) != 0)
		return -1;
	return ks->reply(req, 201, json_pack("{s:I}", "id",
	    (json_int_t)atoll(PQgetvalue(r, 0, 0))));
}

static int
goal_patch(struct ks_request *req)
{
	static const char *const states[] = { "open", "achieved", "partly",
	    "missed", "dropped", NULL };
	const char *v[5], *st = body_str(req, "status");
	PGresult *b, *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != 0)
		return -1;
	v[0] = ks->num(req, id);
	if ((b = sh_q(req, Q_GOAL_GET, 1, v)) == NULL)
		return -1;
	if (PQntuples(b) != 1)
		return ks->fail(req, 404, "not_found", "no such goal");
	if (sh_access(req, b, 8) != 0)
		return -1;
	if (ks->check_etag(req, atoll(PQgetvalue(b, 0, 7)),
	    goal_json(b, 0)) != 0)
		return -1;
	if (st != NULL && !in_list(st, states))
		return ks->fail_detail(req, 400, "invalid_value", "status is "
		    "open, achieved, partly, missed or dropped", json_pack(
		    "{s:s}", "field", "status"));
	v[1] = st;
	v[2] = body_str(req, "review_result");
	v[3] = body_str(req, "due_on");
	v[4] = PQgetvalue(b, 0, 7);
	if ((r = sh_q(req, Q_GOAL_UPDATE, 5, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		r = sh_q(req, Q_GOAL_GET, 1, v);
		return ks->fail_detail(req, 409, "conflict", "someone else "
		    "changed this goal; review it and apply your change again",
		    r && PQntuples(r) == 1 ? json_pack("{s:o}", "current",
		    goal_json(r, 0)) : NULL);
	}
	if ((r = sh_q(req, Q_GOAL_GET, 1, v)) == NULL ||
	    ks->audit(req, "goal_changed", "goal", v[0], goal_json(b, 0),
	    goal_json(r, 0), NULL) != 0)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 7)));
	return ks->reply(req, 200, goal_json(r, 0));
}

static int
goals_sign(struct ks_request *req)
{
	const char *v[2];
	long long ver, now;
	json_t *j;
	PGresult *r;
	int64_t id;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	/* The agreement signed is the one the caller saw (If-Match). */
	j = agreement_json(req, id, &ver);
	if (ks->check_etag(req, ver, j) != 0)
		return -1;
	v[0] = ks->num(req, id);
	v[1] = body_str(req, "signed_on");
	if ((r = sh_q(req, Q_GOALS_SIGN, 2, v)) == NULL ||
	    ks->audit(req, "goal_agreement_signed", "dossier", v[0], NULL,
	    NULL, json_pack("{s:s}", "signed_on", v[1])) != 0)
		return -1;
	j = agreement_json(req, id, &now);
	json_object_set_new(j, "signed_on", json_string(v[1]));
	json_object_set_new(j, "goals", json_integer(atoll(PQcmdTuples(r))));
	ks->set_etag(req, now);
	return ks->reply(req, 200, j);
}

/* --------------------------------------------------------- deadlines */

static json_t *
deadline_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:s?,s:s?,s:I,s:I}",
	    "id", (json_int_t)atoll(PQgetvalue(r, i, 0)), "due_on",
	    PQgetvalue(r, i, 1), "kind", PQgetvalue(r, i, 2), "text",
	    PQgetvalue(r, i, 3), "assignee_id", PQgetisnull(r, i, 4) ?
	    json_null() : json_integer(atoll(PQgetvalue(r, i, 4))),
	    "assignee", PQgetisnull(r, i, 8) ? NULL : PQgetvalue(r, i, 8),
	    "done_on", PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5),
	    "version", (json_int_t)atoll(PQgetvalue(r, i, 6)),
	    "dossier_id", (json_int_t)atoll(PQgetvalue(r, i, 7)));
}

static int
deadlines_list(struct ks_request *req)
{
	return sh_dossier_list(req, Q_DEADLINE_LIST, deadline_json);
}

static int
deadline_add(struct ks_request *req)
{
	const char *v[6];
	long long as;
	int has;
	PGresult *r;
	int64_t id;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	as = body_int(req, "assignee_id", &has);
	if (has && check_assignee(req, "assignee_id", as, NULL) != 0)
		return -1;
	v[0] = ks->num(req, id);
	v[1] = body_str(req, "due_on");
	v[2] = "manual";
	v[3] = body_str(req, "text");
	v[4] = has ? ks->num(req, as) : NULL;
	v[5] = ks->num(req, ks->user_id(req));
	if ((r = sh_q(req, Q_DEADLINE_ADD, 6, v)) == NULL ||
	    ks->audit(req, "deadline_added", "deadline", PQgetvalue(r, 0, 0),
	    NULL, NULL, NULL) != 0)
		return -1;
	return ks->reply(req, 201, json_pack("{s:I}", "id",
	    (json_int_t)atoll(PQgetvalue(r, 0, 0))));
}

static int
deadline_patch(struct ks_request *req)
{
	const char *v[3];
	PGresult *b, *r;
	int64_t id;

	if (ks->param_id(req, "id", &id) != 0)
		return -1;
	v[0] = ks->num(req, id);
	if ((b = sh_q(req, Q_DEADLINE_GET, 1, v)) == NULL)
		return -1;
	if (PQntuples(b) != 1)
		return ks->fail(req, 404, "not_found", "no such deadline");
	if (sh_access(req, b, 7) != 0)
		return -1;
	if (ks->check_etag(req, atoll(PQgetvalue(b, 0, 6)),
	    deadline_json(b, 0)) != 0)
		return -1;
	v[1] = json_is_true(json_object_get(ks->body(req), "done")) ? "t" :
	    "f";
	v[2] = PQgetvalue(b, 0, 6);
	if ((r = sh_q(req, Q_DEADLINE_DONE, 3, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		r = sh_q(req, Q_DEADLINE_GET, 1, v);
		return ks->fail_detail(req, 409, "conflict", "someone else "
		    "changed this deadline; review it and apply your change "
		    "again", r && PQntuples(r) == 1 ? json_pack("{s:o}",
		    "current", deadline_json(r, 0)) : NULL);
	}
	if ((r = sh_q(req, Q_DEADLINE_GET, 1, v)) == NULL ||
	    ks->audit(req, "deadline_changed", "deadline", v[0], NULL, NULL,
	    json_pack("{s:b}", "done", v[1][0] == 't')) != 0)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 6)));
	return ks->reply(req, 200, deadline_json(r, 0));
}

/* ------------------------------------------------------------ routes */

static const struct ks_field case_new[] = {
	{ "household_id", KS_F_INT, 1, 1, 0, "the support unit" },
	{ "applicant_id", KS_F_INT, 1, 1, 0, "its current applicant" },
	{ "municipality_bfs", KS_F_INT, 1, 1, 9999,
	    "responsible municipality (Unterstützungswohnsitz)" },
	{ "caseworker_id", KS_F_INT, 0, 1, 0, NULL },
	{ "team", KS_F_STRING, 0, 1, 60, NULL },
	END
};
static const struct ks_field case_change[] = {
	{ "caseworker_id", KS_F_INT, 0, 1, 0, NULL },
	{ "team", KS_F_STRING, 0, 1, 60, NULL },
	{ "municipality_bfs", KS_F_INT, 0, 1, 9999, NULL },
	END
};
static const struct ks_field transition_body[] = {
	{ "to", KS_F_STRING, 1, 1, 20, "intake, decision, ongoing, review, "
	    "closed" },
	{ "reason", KS_F_STRING, 0, 1, 500, NULL },
	{ "closure_reason", KS_F_STRING, 0, 1, 20, "work, insurance, moved, "
	    "not_entitled, death, other" },
	END
};
static const struct ks_field checklist_body[] = {
	{ "items", KS_F_ARRAY, 1, 0, 20, "[{code, received_on, note}]" },
	END
};
static const struct ks_field journal_body[] = {
	{ "category", KS_F_STRING, 1, 1, 20, "conversation, phone, letter, "
	    "home_visit, assessment, decision, other" },
	{ "text", KS_F_STRING, 1, 1, 20000, NULL },
	{ "noted_on", KS_F_DATE, 0, 0, 0, NULL },
	{ "protected", KS_F_BOOL, 0, 0, 0, "visible to the own role group" },
	END
};
static const struct ks_field goal_body[] = {
	{ "title", KS_F_STRING, 1, 1, 300, NULL },
	{ "measures", KS_F_STRING, 0, 0, 4000, NULL },
	{ "due_on", KS_F_DATE, 1, 0, 0, NULL },
	END
};
static const struct ks_field goal_change[] = {
	{ "status", KS_F_STRING, 0, 1, 20, NULL },
	{ "review_result", KS_F_STRING, 0, 0, 4000, NULL },
	{ "due_on", KS_F_DATE, 0, 0, 0, NULL },
	END
};
static const struct ks_field sign_body[] = {
	{ "signed_on", KS_F_DATE, 1, 0, 0, NULL },
	END
};
static const struct ks_field deadline_body[] = {
	{ "due_on", KS_F_DATE, 1, 0, 0, NULL },
	{ "text", KS_F_STRING, 1, 1, 500, NULL },
	{ "assignee_id", KS_F_INT, 0, 1, 0, NULL },
	END
};
static const struct ks_field deadline_change[] = {
	{ "done", KS_F_BOOL, 1, 0, 0, NULL },
	END
};

#define C	"/api/v1/cases"
#define KB	(16 * 1024)

const struct ks_route sh_dossier_routes[] = {
	{ "POST", C, "case.register", KB, case_new, 0, case_create,
	    "register a dossier for a household" },
	{ "GET", C, "case.read", 0, NULL, KS_R_PAGED | KS_R_AUDIT, cases_list,
	    "dossiers (?state=, ?mine=1, ?q=<number or name>, cursor)" },
	{ "GET", C "/{id}", "case.read", 0, NULL, KS_R_AUDIT, case_show,
	    "a dossier with members, history and allowed transitions" },
	{ "PATCH", C "/{id}", "case.write", KB, case_change, KS_R_ETAG,
	    case_patch, "assign case worker, team, municipality (If-Match)" },
	{ "POST", C "/{id}/transitions", "case.write", KB, transition_body,
	    KS_R_ETAG, case_transition,
	    "move the dossier to another state (If-Match)" },
	{ "GET", C "/{id}/checklist", "case.read", 0, NULL, KS_R_AUDIT,
	    checklist_show, "intake checklist and what is missing" },
	{ "PUT", C "/{id}/checklist", "case.write", KB, checklist_body,
	    KS_R_ETAG, checklist_put,
	    "record received documents (If-Match: the checklist's ETag)" },
	{ "GET", C "/{id}/journal", "case.read", 0, NULL, KS_R_AUDIT,
	    journal_list,
	    "case notes (protected ones for the own role group)" },
	{ "POST", C "/{id}/journal", "case.write", 64 * 1024, journal_body, 0,
	    journal_add, "add a case note" },
	{ "GET", C "/{id}/goals", "case.read", 0, NULL, KS_R_AUDIT, goals_list,
	    "goal agreement (ETag: the agreement's version)" },
	{ "POST", C "/{id}/goals", "case.write", KB, goal_body, 0, goal_add,
	    "add a goal (creates a deadline)" },
	{ "POST", C "/{id}/goals/sign", "case.write", KB, sign_body,
	    KS_R_ETAG, goals_sign,
	    "record the signature date of the agreement (If-Match)" },
	{ "PATCH", "/api/v1/goals/{id}", "case.write", KB, goal_change,
	    KS_R_ETAG, goal_patch, "review a goal (If-Match)" },
	{ "GET", C "/{id}/deadlines", "case.read", 0, NULL, KS_R_AUDIT,
	    deadlines_list, "deadlines of a dossier" },
	{ "POST", C "/{id}/deadlines", "case.write", KB, deadline_body, 0,
	    deadline_add, "add a deadline" },
	{ "PATCH", "/api/v1/deadlines/{id}", "case.write", KB,
	    deadline_change, KS_R_ETAG, deadline_patch,
	    "mark a deadline done or open (If-Match)" },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL }
};
