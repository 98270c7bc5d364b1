/*
 * sh_dossier.c - the Sozialhilfe dossier kind: its states and steps (the
 * core's casework routes, core/casework/dossier.c, register, list, show,
 * change and move dossiers and keep their journal and deadlines), what a
 * step means here (the deadlines of a state, the intake's documents
 * before a decision), the intake checklist and the goal agreement
 * (Zielvereinbarung).
 *
 * States: registration -> intake -> decision -> ongoing <-> review, and
 * from any open state -> closed with a detachment reason. decision ->
 * ongoing (and review -> ongoing) happens when a team lead approves a
 * decision (sh_budget.c). Every write to a versioned record (checklist,
 * goals) needs If-Match; the deadlines the module sets exist once per
 * kind and due date and end with the dossier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sh.h"


/* The intake checklist; a decision needs the required documents. */
static const struct ks_checklist_item checklist[] = {
	{ "id", 1 }, { "residence_permit", 0 }, { "rent_contract", 1 },
	{ "income_proof", 1 }, { "bank_statements", 1 },
	{ "health_insurance", 1 }, { "assets_statement", 0 }, { NULL, 0 }
};
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

static int on_transition(struct ks_request *, int64_t, const char *,
    const char *);
static int on_checklist(struct ks_request *, int64_t, json_t *);

const struct ks_dossier_kind sh_dossier_kinds[] = {
	{ .code = "sozialhilfe", .initial = "registration", .states = states,
	    .transitions = transitions, .closing_reasons = closure_reasons,
	    .checklist = checklist, .checklist_before = "decision",
	    .on_transition = on_transition, .on_checklist = on_checklist },
	{ .code = NULL }
};

static int
in_list(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static const char *
body_str(struct ks_request *req, const char *name)
{
	return json_string_value(json_object_get(ks->body(req), name));
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
	return ks->deadlines_close(req, dossier, kind, keep_due);
}

/* ---------------------------------------------------------- dossiers */


/* Missing required documents, as a JSON array (empty: complete). */
json_t *
sh_missing_docs(struct ks_request *req, int64_t id)
{
	json_t *miss = ks->checklist_missing(req, id);

	return miss != NULL ? miss : json_array();
}

/* 409 checklist_incomplete naming what is missing, or 0 when complete. */
int
sh_checklist_complete(struct ks_request *req, int64_t id)
{
	json_t *miss = ks->checklist_missing(req, id);

	if (miss == NULL)
		return -1;
	if (json_array_size(miss) > 0)
		return ks->fail_detail(req, 409, "checklist_incomplete",
		    "required documents of the intake are missing",
		    json_pack("{s:o}", "missing", miss));
	json_decref(miss);
	return 0;
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
		miss = sh_missing_docs(req, id);
		if (json_array_size(miss) > 0)
			rc = sh_auto_deadline(req, id, sh_days_ahead(req, 14),
			    "missing_document", "Fehlende Unterlagen der "
			    "Erstabklärung einfordern");
		json_decref(miss);
	}
	return rc;
}

/*
 * The kind's on_transition: the core moved the dossier (by hand through
 * POST /cases/{id}/transitions, or sh_transition; the core checked the
 * checklist before a decision): the state's deadlines are set or ended.
 */
static int
on_transition(struct ks_request *req, int64_t id, const char *from,
    const char *to)
{
	return state_deadlines(req, id, to);
}

/* The checklist is complete: the reminder to ask for documents is done. */
static int
on_checklist(struct ks_request *req, int64_t id, json_t *missing)
{
	if (json_array_size(missing) > 0)
		return 0;
	return sh_deadlines_close(req, id, "missing_document", NULL);
}

int
sh_transition(struct ks_request *req, int64_t id, const char *from,
    const char *to, const char *reason, const char *code,
    const char *version)
{
	return ks->dossier_transition(req, id, from, to, reason, code,
	    version);
}

/* ------------------------------------------------------------- goals */

static json_t *
goal_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:s?,s:I}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "title", ks_db_str(r, i, "title"),
	    "measures", ks_db_str(r, i, "measures"),
	    "due_on", ks_db_str(r, i, "due_on"),
	    "status", ks_db_str(r, i, "status"),
	    "review_result", ks_db_get(r, i, "review_result"),
	    "signed_on", ks_db_get(r, i, "signed_on"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"));
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
		*version += ks_db_getll(r, i, "version");
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
	    ks->audit(req, "goal_added", "goal", ks_db_str(r, 0, "id"), NULL,
	    NULL, NULL) != 0)
		return -1;
	return ks->reply(req, 201, json_pack("{s:I}", "id",
	    (json_int_t)ks_db_getll(r, 0, "id")));
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
	if (sh_access(req, b, "dossier_id") != 0)
		return -1;
	if (ks->check_etag(req, ks_db_getll(b, 0, "version"),
	    goal_json(b, 0)) != 0)
		return -1;
	if (st != NULL && !in_list(st, states))
		return ks->fail_detail(req, 400, "invalid_value", "status is "
		    "open, achieved, partly, missed or dropped", json_pack(
		    "{s:s}", "field", "status"));
	v[1] = st;
	v[2] = body_str(req, "review_result");
	v[3] = body_str(req, "due_on");
	v[4] = ks_db_str(b, 0, "version");
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
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
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

/* ------------------------------------------------------------ routes */

static const struct ks_field goal_body[] = {
	{ "title", KS_F_STRING, 1, 1, 300, NULL },
	{ "measures", KS_F_STRING, 0, 0, 4000, NULL },
	{ "due_on", KS_F_DATE, 1, 0, 0, NULL },
	KS_FIELDS_END
};
static const struct ks_field goal_change[] = {
	{ "status", KS_F_STRING, 0, 1, 20, NULL },
	{ "review_result", KS_F_STRING, 0, 0, 4000, NULL },
	{ "due_on", KS_F_DATE, 0, 0, 0, NULL },
	KS_FIELDS_END
};
static const struct ks_field sign_body[] = {
	{ "signed_on", KS_F_DATE, 1, 0, 0, NULL },
	KS_FIELDS_END
};

#define C	"/api/v1/cases"
#define KB	(16 * 1024)

const struct ks_route sh_dossier_routes[] = {
	{ "GET", C "/{id}/goals", "case.read", 0, NULL, KS_R_AUDIT, goals_list,
	    "goal agreement (ETag: the agreement's version)" },
	{ "POST", C "/{id}/goals", "case.write", KB, goal_body, 0, goal_add,
	    "add a goal (creates a deadline)" },
	{ "POST", C "/{id}/goals/sign", "case.write", KB, sign_body,
	    KS_R_ETAG, goals_sign,
	    "record the signature date of the agreement (If-Match)" },
	{ "PATCH", "/api/v1/goals/{id}", "case.write", KB, goal_change,
	    KS_R_ETAG, goal_patch, "review a goal (If-Match)" },
	KS_ROUTES_END
};
