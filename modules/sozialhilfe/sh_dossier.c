/*
 * sh_dossier.c - the Sozialhilfe dossier: registration, lifecycle with
 * enforced transitions, intake checklist, journal (Aktennotizen), goal
 * agreement (Zielvereinbarung), deadlines (Wiedervorlagen) and the
 * user's work list.
 *
 * States: registration -> intake -> decision -> ongoing <-> review, and
 * from any open state -> closed with a detachment reason. decision ->
 * ongoing happens when a team lead approves the decision (sh_budget.c).
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

struct transition {
	const char	*from;
	const char	*to;
};

/* What a case worker may do by hand; decision -> ongoing is automatic. */
static const struct transition transitions[] = {
	{ "registration", "intake" },
	{ "intake", "decision" },
	{ "ongoing", "review" },
	{ "review", "ongoing" },
	{ "registration", "closed" },
	{ "intake", "closed" },
	{ "decision", "closed" },
	{ "ongoing", "closed" },
	{ "review", "closed" },
	{ NULL, NULL }
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

static json_t *
allowed_next(const char *state)
{
	json_t *a = json_array();
	const struct transition *t;

	for (t = transitions; t->from != NULL; t++)
		if (strcmp(t->from, state) == 0)
			json_array_append_new(a, json_string(t->to));
	return a;
}

json_t *
sh_dossier_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:I,s:{s:I,s:s,s:s,s:s},s:{s:I,s:s},"
	    "s:o,s:s?,s:s,s:s?,s:s?,s:I,s:s?,s:s?,s:o}",
	    "id", (json_int_t)atoll(PQgetvalue(r, i, 0)),
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
	    "transitions", allowed_next(PQgetvalue(r, i, 1)));
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
	v[0] = sh_num(req, *id);
	if ((r = sh_q(req, SHQ(DOSSIER_GET), 1, v)) == NULL)
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
	const char *today = sh_today(req);
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

/* A deadline created by the system (review due, missing documents ...). */
int
sh_auto_deadline(struct ks_request *req, int64_t dossier, const char *due,
    const char *kind, const char *text)
{
	const char *v[6] = { sh_num(req, dossier), due, kind, text, NULL,
	    NULL };

	return sh_q(req, SHQ(DEADLINE_ADD), 6, v) ? 0 : -1;
}

/* ---------------------------------------------------------- dossiers */

static int
case_create(struct ks_request *req)
{
	const char *v[5];
	long long hh, ap, bfs, cw;
	int has, has_cw;
	PGresult *r;
	int64_t id;

	hh = body_int(req, "household_id", &has);
	ap = body_int(req, "applicant_id", &has);
	bfs = body_int(req, "municipality_bfs", &has);
	cw = body_int(req, "caseworker_id", &has_cw);
	v[0] = sh_num(req, bfs);
	if ((r = sh_q(req, SHQ(SERVES_MUNICIPALITY), 1, v)) == NULL)
		return -1;
	if (PQntuples(r) == 0)
		return ks->fail_detail(req, 400, "invalid_value", "this social "
		    "service does not serve that municipality", json_pack(
		    "{s:s}", "field", "municipality_bfs"));
	v[0] = sh_num(req, hh);
	v[1] = sh_num(req, ap);
	if ((r = sh_q(req, SHQ(HOUSEHOLD_ROLE_NOW), 2, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "applicant") != 0)
		return ks->fail_detail(req, 400, "invalid_value", "the "
		    "applicant must be the household's current applicant",
		    json_pack("{s:s}", "field", "applicant_id"));
	if (has_cw) {
		v[0] = sh_num(req, cw);
		if ((r = sh_q(req, SHQ(ACTIVE_USER), 1, v)) == NULL)
			return -1;
		if (PQntuples(r) != 1)
			return ks->fail_detail(req, 400, "invalid_value",
			    "no active user with this id", json_pack("{s:s}",
			    "field", "caseworker_id"));
	}
	v[0] = sh_num(req, hh);
	v[1] = sh_num(req, ap);
	v[2] = sh_num(req, bfs);
	v[3] = has_cw ? sh_num(req, cw) : NULL;
	v[4] = body_str(req, "team");
	if ((r = sh_q(req, SHQ(DOSSIER_INSERT), 5, v)) == NULL)
		return -1;
	id = atoll(PQgetvalue(r, 0, 0));
	v[0] = sh_num(req, id);
	v[1] = "";
	v[2] = "registration";
	v[3] = NULL;
	v[4] = sh_num(req, ks->user_id(req));
	if (sh_q(req, SHQ(TRANSITION_ADD), 5, v) == NULL ||
	    ks->audit(req, "dossier_registered", "dossier", v[0], NULL, NULL,
	    json_pack("{s:I}", "municipality_bfs", (json_int_t)bfs)) != 0)
		return -1;
	v[0] = sh_num(req, id);
	if ((r = sh_q(req, SHQ(DOSSIER_GET), 1, v)) == NULL)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 14)));
	return ks->reply(req, 201, sh_dossier_json(r, 0));
}

static int
cases_list(struct ks_request *req)
{
	const char *v[4], *mine = ks->query(req, "mine");
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
	v[1] = mine && strcmp(mine, "1") == 0 ? sh_num(req,
	    ks->user_id(req)) : NULL;
	if ((r = sh_q(req, SHQ(DOSSIER_LIST), 4, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, sh_dossier_json(r, i));
	return ks->reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "next", PQntuples(r) == n ? json_string(PQgetvalue(r,
	    PQntuples(r) - 1, 0)) : json_null()));
}

static json_t *
members_json(struct ks_request *req, const char *hh, const char *date)
{
	const char *v[2] = { hh, date };
	PGresult *r = sh_q(req, SHQ(MEMBERS_ON), 2, v);
	json_t *a = json_array();
	int i;

	for (i = 0; r != NULL && i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}",
		    "person_id", (json_int_t)atoll(PQgetvalue(r, i, 0)),
		    "role", PQgetvalue(r, i, 1), "birth_date",
		    PQgetvalue(r, i, 2), "last_name", PQgetvalue(r, i, 3),
		    "first_name", PQgetvalue(r, i, 4), "age",
		    (json_int_t)atoll(PQgetvalue(r, i, 5))));
	return a;
}

static int
case_show(struct ks_request *req)
{
	const char *v[1];
	PGresult *r, *t;
	json_t *j, *hist;
	int64_t id;
	int i;

	if ((r = sh_dossier(req, &id)) == NULL)
		return -1;
	v[0] = sh_num(req, id);
	if ((t = sh_q(req, SHQ(TRANSITION_LIST), 1, v)) == NULL)
		return -1;
	hist = json_array();
	for (i = 0; i < PQntuples(t); i++)
		json_array_append_new(hist, json_pack("{s:s,s:s,s:s?,s:I,s:s}",
		    "from", PQgetvalue(t, i, 0), "to", PQgetvalue(t, i, 1),
		    "reason", PQgetisnull(t, i, 2) ? NULL : PQgetvalue(t, i, 2),
		    "actor_id", (json_int_t)atoll(PQgetvalue(t, i, 3)),
		    "at", PQgetvalue(t, i, 4)));
	j = sh_dossier_json(r, 0);
	json_object_set_new(j, "history", hist);
	json_object_set_new(j, "members", members_json(req,
	    PQgetvalue(r, 0, 2), sh_today(req)));
	/* Every read of a dossier is logged (cantonal data protection). */
	if (ks->audit(req, "dossier_read", "dossier", v[0], NULL, NULL,
	    NULL) != 0) {
		json_decref(j);
		return -1;
	}
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 14)));
	return ks->reply(req, 200, j);
}

static int
stale(struct ks_request *req, int64_t id)
{
	const char *v[1] = { sh_num(req, id) };
	PGresult *r = sh_q(req, SHQ(DOSSIER_GET), 1, v);

	return ks->fail_detail(req, 409, "conflict", "someone else changed "
	    "this dossier; review it and apply your change again",
	    r && PQntuples(r) == 1 ? json_pack("{s:o}", "current",
	    sh_dossier_json(r, 0)) : NULL);
}

static int
case_patch(struct ks_request *req)
{
	const char *v[5];
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
	if (has_cw) {
		v[0] = sh_num(req, cw);
		if ((r = sh_q(req, SHQ(ACTIVE_USER), 1, v)) == NULL)
			return -1;
		if (PQntuples(r) != 1)
			return ks->fail_detail(req, 400, "invalid_value",
			    "no active user with this id", json_pack("{s:s}",
			    "field", "caseworker_id"));
	}
	if (has_bfs) {
		v[0] = sh_num(req, bfs);
		if ((r = sh_q(req, SHQ(SERVES_MUNICIPALITY), 1, v)) == NULL)
			return -1;
		if (PQntuples(r) == 0)
			return ks->fail_detail(req, 400, "invalid_value",
			    "this social service does not serve that "
			    "municipality", json_pack("{s:s}", "field",
			    "municipality_bfs"));
	}
	v[0] = sh_num(req, id);
	v[1] = has_cw ? sh_num(req, cw) : NULL;
	v[2] = body_str(req, "team");
	v[3] = has_bfs ? sh_num(req, bfs) : NULL;
	v[4] = PQgetvalue(b, 0, 14);
	if ((r = sh_q(req, SHQ(DOSSIER_UPDATE), 5, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return stale(req, id);
	v[0] = sh_num(req, id);
	if ((r = sh_q(req, SHQ(DOSSIER_GET), 1, v)) == NULL ||
	    ks->audit(req, "dossier_changed", "dossier", v[0],
	    sh_dossier_json(b, 0), sh_dossier_json(r, 0), NULL) != 0)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 14)));
	return ks->reply(req, 200, sh_dossier_json(r, 0));
}

/* Missing required documents, as a JSON array (empty: complete). */
static json_t *
missing_docs(struct ks_request *req, int64_t id)
{
	const char *v[1] = { sh_num(req, id) };
	PGresult *r = sh_q(req, SHQ(CHECKLIST_GET), 1, v);
	json_t *miss = json_array();
	int i, j, got;

	for (i = 0; required_docs[i] != NULL; i++) {
		got = 0;
		for (j = 0; r != NULL && j < PQntuples(r); j++)
			if (strcmp(PQgetvalue(r, j, 0), required_docs[i]) == 0 &&
			    !PQgetisnull(r, j, 1))
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

/*
 * Move a dossier to another state (checks done by the caller) and log
 * it; also used by the decision approval in sh_budget.c.
 */
int
sh_transition(struct ks_request *req, int64_t id, const char *from,
    const char *to, const char *reason, const char *closure,
    const char *version)
{
	const char *v[5];
	PGresult *r;

	v[0] = sh_num(req, id);
	v[1] = to;
	v[2] = closure;
	v[3] = version;
	if ((r = sh_q(req, SHQ(DOSSIER_SET_STATE), 4, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return stale(req, id);
	v[1] = from;
	v[2] = to;
	v[3] = reason ? reason : closure;
	v[4] = sh_num(req, ks->user_id(req));
	if (sh_q(req, SHQ(TRANSITION_ADD), 5, v) == NULL)
		return -1;
	/* Support is reviewed at least every six months. */
	if (strcmp(to, "ongoing") == 0 && sh_auto_deadline(req, id,
	    sh_months_ahead(req, 6), "review_due",
	    "Periodische Überprüfung fällig") != 0)
		return -1;
	/* Intake: the documents still missing are asked for, due in 14 days. */
	if (strcmp(to, "intake") == 0) {
		json_t *miss = missing_docs(req, id);
		int rc = 0;

		if (json_array_size(miss) > 0)
			rc = sh_auto_deadline(req, id, sh_days_ahead(req, 14),
			    "missing_document", "Fehlende Unterlagen der "
			    "Erstabklärung einfordern");
		json_decref(miss);
		if (rc != 0)
			return -1;
	}
	return ks->audit(req, "dossier_transition", "dossier", v[0], NULL,
	    NULL, json_pack("{s:s,s:s,s:s?}", "from", from, "to", to,
	    "reason", reason ? reason : closure));
}

static int
case_transition(struct ks_request *req)
{
	const char *to = body_str(req, "to"), *from;
	const char *closure = body_str(req, "closure_reason");
	const struct transition *t;
	json_t *miss;
	PGresult *b, *r;
	int64_t id;

	if ((b = sh_dossier(req, &id)) == NULL ||
	    ks->check_etag(req, atoll(PQgetvalue(b, 0, 14)),
	    sh_dossier_json(b, 0)) != 0)
		return -1;
	from = PQgetvalue(b, 0, 1);
	for (t = transitions; t->from != NULL; t++)
		if (strcmp(t->from, from) == 0 && strcmp(t->to, to) == 0)
			break;
	if (t->from == NULL)
		return ks->fail_detail(req, 409, "transition_not_allowed",
		    strcmp(to, "ongoing") == 0 && strcmp(from, "decision") == 0 ?
		    "support starts when a team lead approves the decision" :
		    "the dossier cannot go there from its current state",
		    json_pack("{s:s,s:s,s:o}", "from", from, "to", to,
		    "allowed", allowed_next(from)));
	if (strcmp(to, "closed") == 0 && !in_list(closure, closure_reasons))
		return ks->fail_detail(req, 400, "invalid_value", "closing "
		    "needs a detachment reason: work, insurance, moved, "
		    "not_entitled, death or other", json_pack("{s:s}", "field",
		    "closure_reason"));
	if (strcmp(to, "closed") != 0 && closure != NULL)
		return ks->fail_detail(req, 400, "invalid_value", "a "
		    "detachment reason belongs to closing only", json_pack(
		    "{s:s}", "field", "closure_reason"));
	if (strcmp(to, "decision") == 0) {
		miss = missing_docs(req, id);
		if (json_array_size(miss) > 0)
			return ks->fail_detail(req, 409, "checklist_incomplete",
			    "required documents of the intake are missing",
			    json_pack("{s:o}", "missing", miss));
		json_decref(miss);
	}
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

static int
checklist_show(struct ks_request *req)
{
	const char *v[1];
	PGresult *r;
	json_t *items;
	int64_t id;
	int i;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	v[0] = sh_num(req, id);
	if ((r = sh_q(req, SHQ(CHECKLIST_GET), 1, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:s,s:s?,s:s?}",
		    "code", PQgetvalue(r, i, 0), "received_on",
		    PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1), "note",
		    PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2)));
	return ks->reply(req, 200, json_pack("{s:o,s:o}", "items", items,
	    "missing", missing_docs(req, id)));
}

static int
checklist_put(struct ks_request *req)
{
	static const char *const codes[] = { "id", "residence_permit",
	    "rent_contract", "income_proof", "bank_statements",
	    "health_insurance", "assets_statement", NULL };
	json_t *items = json_object_get(ks->body(req), "items"), *e;
	const char *v[4];
	int64_t id;
	size_t i;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	json_array_foreach(items, i, e) {
		json_t *rc = json_object_get(e, "received_on");
		v[0] = sh_num(req, id);
		v[1] = json_string_value(json_object_get(e, "code"));
		v[2] = json_string_value(rc);
		v[3] = json_string_value(json_object_get(e, "note"));
		if (!json_is_object(e) || !in_list(v[1], codes) ||
		    (rc != NULL && !json_is_null(rc) && !json_is_string(rc)))
			return ks->fail_detail(req, 400, "invalid_value",
			    "each item needs a known code and a received_on "
			    "date or null", json_pack("{s:s,s:I}", "field",
			    "items", "index", (json_int_t)i));
		if (sh_q(req, SHQ(CHECKLIST_SET), 4, v) == NULL)
			return -1;
	}
	if (ks->audit(req, "checklist_changed", "dossier", sh_num(req, id),
	    NULL, json_incref(items), NULL) != 0)
		return -1;
	return checklist_show(req);
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
	v[0] = sh_num(req, id);
	/* Protected notes: only the author's role group, and not at all
	 * without the permission for protected notes. */
	v[1] = ks->has_perm(req, "case.protected") ? ks->roles(req) : "";
	if ((r = sh_q(req, SHQ(JOURNAL_LIST), 2, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		int p = strcmp(PQgetvalue(r, i, 6), "t") == 0;
		prot |= p;
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s,s:I,"
		    "s:s?,s:b,s:s,s:s}", "id", (json_int_t)atoll(PQgetvalue(r,
		    i, 0)), "noted_on", PQgetvalue(r, i, 1), "category",
		    PQgetvalue(r, i, 2), "text", PQgetvalue(r, i, 3),
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
	const char *v[7], *roles = ks->roles(req);
	char group[64];
	json_t *prot = json_object_get(ks->body(req), "protected");
	PGresult *r;
	int64_t id;
	size_t n;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	/* The role group is the author's first role. */
	n = strcspn(roles, ",");
	snprintf(group, sizeof(group), "%.*s", (int)n, roles);
	v[0] = sh_num(req, id);
	v[1] = body_str(req, "noted_on");
	v[2] = body_str(req, "category");
	v[3] = body_str(req, "text");
	v[4] = sh_num(req, ks->user_id(req));
	v[5] = json_is_true(prot) ? "t" : "f";
	v[6] = group[0] ? ks->strdup(req, group) : "token";
	if ((r = sh_q(req, SHQ(JOURNAL_ADD), 7, v)) == NULL ||
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

static int
goals_list(struct ks_request *req)
{
	return sh_dossier_list(req, SHQ(GOAL_LIST), goal_json);
}

static int
goal_add(struct ks_request *req)
{
	const char *v[5];
	PGresult *r;
	int64_t id;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	v[0] = sh_num(req, id);
	v[1] = body_str(req, "title");
	v[2] = body_str(req, "measures");
	v[3] = body_str(req, "due_on");
	v[4] = sh_num(req, ks->user_id(req));
	if ((r = sh_q(req, SHQ(GOAL_ADD), 5, v)) == NULL ||
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
	v[0] = sh_num(req, id);
	if ((b = sh_q(req, SHQ(GOAL_GET), 1, v)) == NULL)
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
	if ((r = sh_q(req, SHQ(GOAL_UPDATE), 5, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "conflict", "someone else changed "
		    "this goal; reload it");
	if ((r = sh_q(req, SHQ(GOAL_GET), 1, v)) == NULL ||
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
	PGresult *r;
	int64_t id;

	if (sh_dossier(req, &id) == NULL)
		return -1;
	v[0] = sh_num(req, id);
	v[1] = body_str(req, "signed_on");
	if ((r = sh_q(req, SHQ(GOALS_SIGN), 2, v)) == NULL ||
	    ks->audit(req, "goal_agreement_signed", "dossier", v[0], NULL,
	    NULL, json_pack("{s:s}", "signed_on", v[1])) != 0)
		return -1;
	return ks->reply(req, 200, json_pack("{s:s,s:I}", "signed_on", v[1],
	    "goals", (json_int_t)atoll(PQcmdTuples(r))));
}

/* --------------------------------------------------------- deadlines */

static json_t *
deadline_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:s?,s:I,s:I}",
	    "id", (json_int_t)atoll(PQgetvalue(r, i, 0)), "due_on",
	    PQgetvalue(r, i, 1), "kind", PQgetvalue(r, i, 2), "text",
	    PQgetvalue(r, i, 3), "assignee_id", PQgetisnull(r, i, 4) ?
	    json_null() : json_integer(atoll(PQgetvalue(r, i, 4))),
	    "done_on", PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5),
	    "version", (json_int_t)atoll(PQgetvalue(r, i, 6)),
	    "dossier_id", (json_int_t)atoll(PQgetvalue(r, i, 7)));
}

static int
deadlines_list(struct ks_request *req)
{
	return sh_dossier_list(req, SHQ(DEADLINE_LIST), deadline_json);
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
	if (has) {
		v[0] = sh_num(req, as);
		if ((r = sh_q(req, SHQ(ACTIVE_USER), 1, v)) == NULL)
			return -1;
		if (PQntuples(r) != 1)
			return ks->fail_detail(req, 400, "invalid_value",
			    "no active user with this id", json_pack("{s:s}",
			    "field", "assignee_id"));
	}
	v[0] = sh_num(req, id);
	v[1] = body_str(req, "due_on");
	v[2] = "manual";
	v[3] = body_str(req, "text");
	v[4] = has ? sh_num(req, as) : NULL;
	v[5] = sh_num(req, ks->user_id(req));
	if ((r = sh_q(req, SHQ(DEADLINE_ADD), 6, v)) == NULL ||
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
	v[0] = sh_num(req, id);
	if ((b = sh_q(req, SHQ(DEADLINE_GET), 1, v)) == NULL)
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
	if ((r = sh_q(req, SHQ(DEADLINE_DONE), 3, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return ks->fail(req, 409, "conflict", "someone else changed "
		    "this deadline; reload it");
	if ((r = sh_q(req, SHQ(DEADLINE_GET), 1, v)) == NULL ||
	    ks->audit(req, "deadline_changed", "deadline", v[0], NULL, NULL,
	    json_pack("{s:b}", "done", v[1][0] == 't')) != 0)
		return -1;
	ks->set_etag(req, atoll(PQgetvalue(r, 0, 6)));
	return ks->reply(req, 200, deadline_json(r, 0));
}

static int
worklist(struct ks_request *req)
{
	const char *v[1] = { sh_num(req, ks->user_id(req)) };
	const char *today = sh_today(req);
	json_t *due = json_array(), *over = json_array(), *open, *fresh;
	PGresult *r;
	int i;

	if ((r = sh_q(req, SHQ(WORK_DEADLINES), 1, v)) == NULL) {
		json_decref(due);
		json_decref(over);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		json_t *e = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:I}", "id",
		    (json_int_t)atoll(PQgetvalue(r, i, 0)), "due_on",
		    PQgetvalue(r, i, 1), "kind", PQgetvalue(r, i, 2), "text",
		    PQgetvalue(r, i, 3), "dossier_id",
		    (json_int_t)atoll(PQgetvalue(r, i, 4)), "client",
		    ks->strdup(req, PQgetvalue(r, i, 5)), "version",
		    (json_int_t)atoll(PQgetvalue(r, i, 7)));
		json_array_append_new(strcmp(PQgetvalue(r, i, 1), today) < 0 ?
		    over : due, e);
	}
	if ((r = sh_q(req, SHQ(WORK_DOSSIERS), 1, v)) == NULL) {
		json_decref(due);
		json_decref(over);
		return -1;
	}
	open = json_array();
	fresh = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_t *e = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id",
		    (json_int_t)atoll(PQgetvalue(r, i, 0)), "state",
		    PQgetvalue(r, i, 1), "last_name", PQgetvalue(r, i, 2),
		    "first_name", PQgetvalue(r, i, 3), "opened_on",
		    PQgetvalue(r, i, 4));
		if (strcmp(PQgetvalue(r, i, 5), "t") == 0)
			json_array_append(fresh, e);
		json_array_append_new(open, e);
	}
	return ks->reply(req, 200, json_pack("{s:o,s:o,s:o,s:o}",
	    "due_today", due, "overdue", over, "open_dossiers", open,
	    "newly_assigned", fresh));
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
	{ "GET", C, "case.read", 0, NULL, KS_R_PAGED, cases_list,
	    "dossiers (?state=, ?mine=1, cursor)" },
	{ "GET", C "/{id}", "case.read", 0, NULL, 0, case_show,
	    "a dossier with members, history and allowed transitions" },
	{ "PATCH", C "/{id}", "case.write", KB, case_change, KS_R_ETAG,
	    case_patch, "assign case worker, team, municipality (If-Match)" },
	{ "POST", C "/{id}/transitions", "case.write", KB, transition_body,
	    KS_R_ETAG, case_transition,
	    "move the dossier to another state (If-Match)" },
	{ "GET", C "/{id}/checklist", "case.read", 0, NULL, 0,
	    checklist_show, "intake checklist and what is missing" },
	{ "PUT", C "/{id}/checklist", "case.write", KB, checklist_body, 0,
	    checklist_put, "record received documents" },
	{ "GET", C "/{id}/journal", "case.read", 0, NULL, 0, journal_list,
	    "case notes (protected ones for the own role group)" },
	{ "POST", C "/{id}/journal", "case.write", 64 * 1024, journal_body, 0,
	    journal_add, "add a case note" },
	{ "GET", C "/{id}/goals", "case.read", 0, NULL, 0, goals_list,
	    "goal agreement" },
	{ "POST", C "/{id}/goals", "case.write", KB, goal_body, 0, goal_add,
	    "add a goal (creates a deadline)" },
	{ "POST", C "/{id}/goals/sign", "case.write", KB, sign_body, 0,
	    goals_sign, "record the signature date of the agreement" },
	{ "PATCH", "/api/v1/goals/{id}", "case.write", KB, goal_change,
	    KS_R_ETAG, goal_patch, "review a goal (If-Match)" },
	{ "GET", C "/{id}/deadlines", "case.read", 0, NULL, 0,
	    deadlines_list, "deadlines of a dossier" },
	{ "POST", C "/{id}/deadlines", "case.write", KB, deadline_body, 0,
	    deadline_add, "add a deadline" },
	{ "PATCH", "/api/v1/deadlines/{id}", "case.write", KB,
	    deadline_change, KS_R_ETAG, deadline_patch,
	    "mark a deadline done or open (If-Match)" },
	{ "GET", "/api/v1/worklist", "case.read", 0, NULL, 0, worklist,
	    "the caller's deadlines due and overdue, open and new dossiers" },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL }
};
