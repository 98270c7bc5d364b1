/*
 * ah_advance.c - advance decisions (Bevorschussung) per child from the
 * canton's pack alimente-advance, approved by a second person, their
 * letters, the yearly re-check and the monthly advance lines of a
 * payment run.
 *
 * A case worker proposes a decision for one creditor (a child of the
 * title) from a month on: the pack gets the child's birth date and
 * education, what the title says for that month (the schedule's due
 * amount, else the title's amount), social assistance and the
 * household's size, income and assets; its input, result (German and
 * French explanations) and provenance are kept. The decision is
 * submitted, then approved by someone with alimente.approve who neither
 * proposed nor submitted it (four eyes) or rejected; approval sets the
 * yearly re-check as a deadline and replaces the child's earlier
 * decision from its month on. An approved advance ends with a reason
 * (18th or 25th birthday, end of education or of the title, means,
 * other) from a month on. Every write needs If-Match.
 *
 * The payment run (struct ks_money, ah_module.c) pays each approved
 * advance in force in the run's month to the dossier's applicant, never
 * more than the month's due amount, never after the title's end or the
 * child's age limit (ah_advance_run_lines in queries/advance.sql).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"


static const char *const end_reasons[] = { "age_18", "age_25",
	"education_end", "title_end", "means", "other", NULL };

/* ------------------------------------------------------------ helpers */

static json_t *
person_ref(PGresult *r, int i, const char *id, const char *name)
{
	if (ks_db_isnull(r, i, id))
		return json_null();
	return json_pack("{s:I,s:s}", "id", (json_int_t)ks_db_getll(r, i, id),
	    "display_name", ks_db_str(r, i, name));
}

static json_t *
advance_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:I,s:{s:s,s:s,s:s},s:s,s:o,s:b,s:I,s:I,"
	    "s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o,s:I,s:o,s:o}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "dossier_id", (json_int_t)ks_db_getll(r, i, "dossier_id"),
	    "creditor_id", (json_int_t)ks_db_getll(r, i, "creditor_id"),
	    "child", "first_name", ks_db_str(r, i, "first_name"),
	    "last_name", ks_db_str(r, i, "last_name"),
	    "birth_date", ks_db_str(r, i, "birth_date"),
	    "valid_from", ks_db_str(r, i, "valid_from"),
	    "valid_to", ks_db_json_str(r, i, "valid_to"),
	    "eligible", strcmp(ks_db_str(r, i, "eligible"), "t") == 0,
	    "amount", (json_int_t)ks_db_getll(r, i, "amount"),
	    "cap", (json_int_t)ks_db_getll(r, i, "cap"),
	    "input", ks_db_json(r, i, "input"),
	    "result", ks_db_json(r, i, "result"),
	    "result_fr", ks_db_json(r, i, "result_fr"),
	    "provenance", ks_db_json(r, i, "provenance"),
	    "status", ks_db_str(r, i, "status"),
	    "recheck_on", ks_db_json_str(r, i, "recheck_on"),
	    "end_reason", ks_db_json_str(r, i, "end_reason"),
	    "reject_reason", ks_db_json_str(r, i, "reject_reason"),
	    "created_at", ks_db_str(r, i, "created_at"),
	    "created_by", person_ref(r, i, "created_by", "created_by_name"),
	    "submitted_by", person_ref(r, i, "submitted_by",
	    "submitted_by_name"),
	    "submitted_at", ks_db_json_str(r, i, "submitted_at"),
	    "approved_by", person_ref(r, i, "approved_by", "approved_by_name"),
	    "approved_at", ks_db_json_str(r, i, "approved_at"),
	    "rejected_at", ks_db_json_str(r, i, "rejected_at"),
	    "ended_at", ks_db_json_str(r, i, "ended_at"),
	    "rejected_by", ks_db_json_int(r, i, "rejected_by"),
	    "version", (json_int_t)ks_db_getll(r, i, "version"),
	    "document_id", ks_db_json_int(r, i, "document_id"),
	    "language", ks_db_json_str(r, i, "language"));
}

static int
bad_field(struct ks_request *req, const char *code, const char *msg,
    const char *field)
{
	return ks->fail_detail(req, 400, code, msg, json_pack("{s:s}",
	    "field", field));
}

/* A date field that must be the first of a month. */
static int
first_of_month(struct ks_request *req, const char *date, const char *field)
{
	if (date == NULL || strlen(date) != 10 || strcmp(date + 8, "01") != 0)
		return bad_field(req, "invalid_value", "the date must be the "
		    "first day of a month", field);
	return 0;
}

/* household.<name>: a whole number from lo to hi; -1 with the error. */
static int
household_int(struct ks_request *req, json_t *h, const char *name,
    long long lo, long long hi)
{
	json_t *v = json_object_get(h, name);
	const char *field = ks->printf(req, "household.%s", name);

	if (v == NULL)
		return bad_field(req, "missing_field", "a required field is "
		    "missing", field);
	if (!json_is_integer(v))
		return bad_field(req, "invalid_type", "this must be a whole "
		    "number", field);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad_field(req, "out_of_range", ks->printf(req, "this "
		    "must be between %lld and %lld", lo, hi), field);
	return 0;
}

/* The advance {id} of the path, its dossier checked by the policy. */
static PGresult *
advance_load(struct ks_request *req, const char **id)
{
	PGresult *r;
	int64_t n;

	if (ks->param_id(req, "id", &n) != 0)
		return NULL;
	*id = ks->num(req, n);
	if ((r = ks->db_q(req, Q_AH_ADVANCE_GET, 1, id)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks->fail(req, 404, "not_found", "no such advance decision");
		return NULL;
	}
	if (ks->access_dossier(req, ks_db_getll(r, 0, "dossier_id"),
	    KS_ACCESS_AUTO) == NULL)
		return NULL;
	return r;
}

/* 409 with the advance as it is now (someone changed it meanwhile). */
static int
stale(struct ks_request *req, const char *id)
{
	PGresult *r = ks->db_q(req, Q_AH_ADVANCE_GET, 1, &id);

	if (r != NULL && PQntuples(r) == 1)
		ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->fail_detail(req, 409, "conflict", "the advance decision "
	    "changed meanwhile; review it and try again", r != NULL &&
	    PQntuples(r) == 1 ? json_pack("{s:o}", "current",
	    advance_json(r, 0)) : NULL);
}

/* The advance {id} again after a change: 200 with it and its ETag. */
static int
answer(struct ks_request *req, const char *id, int status)
{
	PGresult *r = ks->db_q(req, Q_AH_ADVANCE_GET, 1, &id);

	if (r == NULL)
		return -1;
	ks->set_etag(req, ks_db_getll(r, 0, "version"));
	return ks->reply(req, status, advance_json(r, 0));
}

static int
not_in(struct ks_request *req, PGresult *r, const char *allowed,
    const char *msg)
{
	return ks->fail_detail(req, 409, "invalid_state", msg, json_pack(
	    "{s:s,s:s}", "status", ks_db_str(r, 0, "status"), "allowed",
	    allowed));
}

/* ------------------------------------------------------------ propose */

/*
 * The pack's input for creditor row c and the body; NULL with the error
 * set when the body is not usable.
 */
static json_t *
pack_input(struct ks_request *req, PGresult *c, json_t *b)
{
	json_t *h = json_object_get(b, "household");

	if (household_int(req, h, "size", 1, 100) != 0 ||
	    household_int(req, h, "income", 0, 100000000000LL) != 0 ||
	    household_int(req, h, "assets", 0, 100000000000LL) != 0)
		return NULL;
	return json_pack("{s:s,s:{s:s,s:b},s:I,s:O,s:{s:O,s:O,s:O}}",
	    "date", json_string_value(json_object_get(b, "valid_from")),
	    "child", "birth_date", ks_db_str(c, 0, "birth_date"),
	    "in_education", strcmp(ks_db_str(c, 0, "in_education"), "t") == 0,
	    "title_amount", (json_int_t)ks_db_getll(c, 0, "title_amount"),
	    "on_social_assistance", json_object_get(b, "on_social_assistance"),
	    "household", "size", json_object_get(h, "size"),
	    "income", json_object_get(h, "income"),
	    "assets", json_object_get(h, "assets"));
}

/*
 * POST /cases/{id}/advances: a draft decision for one child of the
 * title from a month on, computed by the pack (German and French).
 */
static int
advance_propose(struct ks_request *req)
{
	json_t *b = ks->body(req), *in, *out = NULL, *prov = NULL, *in_fr;
	json_t *out_fr = NULL, *prov_fr = NULL;
	const char *v[11], *from;
	PGresult *d, *c, *r;
	int64_t id;
	int rc;

	if ((d = ah_dossier(req, &id)) == NULL)
		return -1;
	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0)
		return ks->fail(req, 409, "dossier_closed", "the dossier is "
		    "closed; no more advances are decided in it");
	from = json_string_value(json_object_get(b, "valid_from"));
	if (first_of_month(req, from, "valid_from") != 0)
		return -1;
	v[0] = ks->num(req, json_integer_value(json_object_get(b,
	    "creditor_id")));
	v[1] = from;
	v[2] = ks->num(req, id);
	if ((c = ks->db_q(req, Q_AH_ADVANCE_CREDITOR, 3, v)) == NULL)
		return -1;
	if (PQntuples(c) != 1)
		return ks->fail_detail(req, 404, "not_found", "the dossier's "
		    "title has no such creditor", json_pack("{s:s}", "field",
		    "creditor_id"));
	if (strcmp(ks_db_str(c, 0, "role"), "child") != 0)
		return ks->fail(req, 409, "ah_not_a_child", "only a child's "
		    "maintenance is advanced, not a spouse's");
	if (ks_db_isnull(c, 0, "title_amount"))
		return ks->fail_detail(req, 409, "ah_no_title_amount", "the "
		    "title fixes no amount for this child in that month",
		    json_pack("{s:s}", "month", from));
	if ((in = pack_input(req, c, b)) == NULL)
		return -1;
	in_fr = json_deep_copy(in);
	json_object_set_new(in_fr, "language", json_string("fr"));
	rc = ks->rules_eval(req, "alimente-advance", "advance", from, in, &out,
	    &prov);
	if (rc == 0)
		rc = ks->rules_eval(req, "alimente-advance", "advance", from,
		    in_fr, &out_fr, &prov_fr);
	json_decref(in_fr);
	json_decref(prov_fr);
	if (rc != 0) {
		json_decref(in);
		json_decref(out);
		json_decref(prov);
		json_decref(out_fr);
		return -1;
	}
	v[0] = ks->num(req, id);
	v[1] = ks_db_str(c, 0, "id");
	v[2] = from;
	v[3] = json_is_true(json_object_get(out, "eligible")) ? "t" : "f";
	v[4] = ks->num(req, json_integer_value(json_object_get(out,
	    "amount")));
	v[5] = ks->num(req, json_integer_value(json_object_get(out, "cap")));
	v[6] = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
	v[7] = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	v[8] = json_dumps(out_fr, JSON_COMPACT | JSON_SORT_KEYS);
	v[9] = json_dumps(prov, JSON_COMPACT | JSON_SORT_KEYS);
	v[10] = ks->num(req, ks->user_id(req));
	r = ks->db_q(req, Q_AH_ADVANCE_INSERT, 11, v);
	free((char *)v[6]);
	free((char *)v[7]);
	free((char *)v[8]);
	free((char *)v[9]);
	json_decref(in);
	json_decref(out_fr);
	json_decref(prov);
	if (r == NULL) {
		json_decref(out);
		return -1;
	}
	v[0] = ks_db_str(r, 0, "id");
	if (ks->audit(req, "advance_proposed", "ah_advance", v[0], NULL, NULL,
	    json_pack("{s:I,s:I,s:s,s:o}", "dossier_id", (json_int_t)id,
	    "creditor_id", (json_int_t)ks_db_getll(c, 0, "id"), "valid_from",
	    from, "amount", json_incref(json_object_get(out, "amount")))) !=
	    0) {
		json_decref(out);
		return -1;
	}
	json_decref(out);
	return answer(req, v[0], 201);
}

/* GET /cases/{id}/advances: the dossier's decisions, oldest first. */
static int
advance_list(struct ks_request *req)
{
	const char *v[3];
	long long n;
	PGresult *r;
	int64_t id;

	if (ks->page(req, &v[1], &v[2], &n) != KS_OK ||
	    ah_dossier(req, &id) == NULL)
		return -1;
	v[0] = ks->num(req, id);
	if ((r = ks->db_q(req, Q_AH_ADVANCE_LIST, 3, v)) == NULL)
		return -1;
	return ks->reply(req, 200, ks_db_page(r, n, "id", advance_json));
}

static const char *const states[] = { "draft", "submitted", "approved",
	"rejected", "ended", NULL };

/*
 * GET /alimente/advances?state=submitted (the default): the service's
 * decisions in a state across its dossiers, a page at a time, with the
 * dossier's number and client - the team lead's overview of what awaits
 * approval. Reading is open within the service (the access policy);
 * row-level security keeps it to the caller's own service.
 */
static int
advance_by_state(struct ks_request *req)
{
	const char *st = ks->query(req, "state"), *v[3];
	json_t *items, *j;
	long long n;
	PGresult *r;
	int i;

	if (st == NULL)
		st = "submitted";
	for (i = 0; states[i] != NULL; i++)
		if (strcmp(states[i], st) == 0)
			break;
	if (states[i] == NULL)
		return ks->fail_detail(req, 400, "invalid_parameter", "state is "
		    "draft, submitted, approved, rejected or ended", json_pack(
		    "{s:s}", "parameter", "state"));
	if (ks->page(req, &v[1], &v[2], &n) != KS_OK)
		return -1;
	v[0] = st;
	if ((r = ks->db_q(req, Q_AH_ADVANCE_BY_STATE, 3, v)) == NULL)
		return -1;
	items = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		j = advance_json(r, i);
		json_object_set_new(j, "dossier_number", json_string(ks_db_str(r,
		    i, "dossier_number")));
		json_object_set_new(j, "client", json_string(ks_db_str(r, i,
		    "client")));
		json_array_append_new(items, j);
	}
	return ks->reply(req, 200, json_pack("{s:s,s:o,s:o}", "state", st,
	    "items", items, "next", ks_db_cursor(r, n, "id")));
}

/* ------------------------------------------------------------ steps */

static int
advance_submit(struct ks_request *req)
{
	const char *id, *v[3];
	PGresult *a, *u;

	if ((a = advance_load(req, &id)) == NULL ||
	    ks->check_etag(req, ks_db_getll(a, 0, "version"),
	    advance_json(a, 0)) != 0)
		return -1;
	if (strcmp(ks_db_str(a, 0, "status"), "draft") != 0)
		return not_in(req, a, "draft", "only a draft is submitted for "
		    "approval");
	v[0] = id;
	v[1] = ks->num(req, ks->user_id(req));
	v[2] = ks_db_str(a, 0, "version");
	if ((u = ks->db_q(req, Q_AH_ADVANCE_SUBMIT, 3, v)) == NULL)
		return -1;
	if (PQntuples(u) != 1)
		return stale(req, id);
	if (ks->audit(req, "advance_submitted", "ah_advance", id, NULL, NULL,
	    json_pack("{s:I}", "dossier_id", (json_int_t)ks_db_getll(a, 0,
	    "dossier_id"))) != 0)
		return -1;
	return answer(req, id, 200);
}

/*
 * The approved decision {id} rendered in the applicant's language and
 * stored as a document of its dossier (sealed by the core), so that what
 * was issued stays as it was.
 */
static int
decision_store(struct ks_request *req, const char *id)
{
	const char *v[3], *lang = NULL, *title, *doc;
	char *pdf = NULL, sha[65];
	json_t *texts;
	PGresult *a;
	size_t len;

	if ((a = ks->db_q(req, Q_AH_ADVANCE_GET, 1, &id)) == NULL ||
	    ah_advance_letter(req, a, &lang, 0, &pdf, &len) != 0)
		return -1;
	if ((texts = ah_texts_load()) == NULL) {
		ks->free(pdf);
		return ks->fail(req, 500, "document_failed", "the texts of "
		    "the module are unreadable");
	}
	title = ah_fill(req, texts, lang, "adv_document", "child",
	    ks->printf(req, "%s %s", ks_db_str(a, 0, "first_name"),
	    ks_db_str(a, 0, "last_name")), NULL);
	json_decref(texts);
	if ((doc = ah_pdf_store(req, Q_AH_ADVANCE_DOCUMENT, ks_db_str(a, 0,
	    "dossier_id"), title, pdf, len, sha)) == NULL)
		return -1;
	v[0] = id;
	v[1] = doc;
	v[2] = lang;
	if (ks->db_q(req, Q_AH_ADVANCE_DOCUMENT_SET, 3, v) == NULL)
		return -1;
	return ks->audit(req, "advance_decision_stored", "document", v[1],
	    NULL, NULL, json_pack("{s:s,s:s,s:s}", "advance", id, "language",
	    lang, "sha256", sha));
}

/*
 * Approve a submitted decision (alimente.approve, not its proposer nor
 * who submitted it): the child's earlier decisions end where it starts,
 * the yearly re-check becomes a deadline of the dossier.
 */
static int
advance_approve(struct ks_request *req)
{
	const char *id, *v[3], *recheck;
	PGresult *a, *d, *u, *s;
	json_t *gone;
	int64_t did, me = ks->user_id(req);
	int i;

	if ((a = advance_load(req, &id)) == NULL ||
	    ks->check_etag(req, ks_db_getll(a, 0, "version"),
	    advance_json(a, 0)) != 0)
		return -1;
	if (strcmp(ks_db_str(a, 0, "status"), "submitted") != 0)
		return not_in(req, a, "submitted", "only a submitted decision "
		    "is approved");
	if (ks_db_getll(a, 0, "created_by") == me ||
	    ks_db_getll(a, 0, "submitted_by") == me)
		return ks->fail(req, 403, "four_eyes_required", "a second "
		    "person approves the advance decision you proposed or "
		    "submitted");
	did = ks_db_getll(a, 0, "dossier_id");
	if ((d = ks->access_dossier(req, did, KS_ACCESS_WRITE)) == NULL)
		return -1;
	if (strcmp(ks_db_str(d, 0, "state"), "closed") == 0)
		return ks->fail(req, 409, "dossier_closed", "the dossier is "
		    "closed; its advances are not approved any more");
	v[0] = ks_db_str(a, 0, "creditor_id");
	v[1] = ks_db_str(a, 0, "valid_from");
	v[2] = id;
	if ((s = ks->db_q(req, Q_AH_ADVANCE_LATER, 3, v)) == NULL)
		return -1;
	if (PQntuples(s) > 0)
		return ks->fail_detail(req, 409, "ah_advance_overlap", "an "
		    "approved advance for this child starts in the same month "
		    "or later; end it first", json_pack("{s:I,s:s}",
		    "advance_id", (json_int_t)ks_db_getll(s, 0, "id"),
		    "valid_from", ks_db_str(s, 0, "valid_from")));
	v[0] = id;
	v[1] = ks->num(req, me);
	v[2] = ks_db_str(a, 0, "version");
	if ((u = ks->db_q(req, Q_AH_ADVANCE_APPROVE, 3, v)) == NULL)
		return -1;
	if (PQntuples(u) != 1)
		return stale(req, id);
	recheck = ks_db_str(u, 0, "recheck_on");
	v[0] = ks_db_str(a, 0, "creditor_id");
	v[1] = ks_db_str(a, 0, "valid_from");
	v[2] = id;
	if ((s = ks->db_q(req, Q_AH_ADVANCE_SUPERSEDE, 3, v)) == NULL)
		return -1;
	gone = json_array();
	for (i = 0; i < PQntuples(s); i++)
		json_array_append_new(gone, json_integer(ks_db_getll(s, i,
		    "id")));
	if (ks->audit(req, "advance_approved", "ah_advance", id, NULL, NULL,
	    json_pack("{s:I,s:I,s:s,s:o}", "dossier_id", (json_int_t)did,
	    "amount", (json_int_t)ks_db_getll(a, 0, "amount"), "recheck_on",
	    recheck, "superseded", gone)) != 0)
		return -1;
	if (ks->deadline_add(req, did, recheck, "ah_recheck", ks->printf(req,
	    "Bevorschussung %s %s: jährliche Überprüfung",
	    ks_db_str(a, 0, "first_name"), ks_db_str(a, 0, "last_name")),
	    NULL) != 0 || decision_store(req, id) != 0)
		return -1;
	return answer(req, id, 200);
}

/* Reject a draft or submitted decision with a reason (alimente.approve). */
static int
advance_reject(struct ks_request *req)
{
	const char *id, *v[4];
	PGresult *a, *u;

	if ((a = advance_load(req, &id)) == NULL ||
	    ks->check_etag(req, ks_db_getll(a, 0, "version"),
	    advance_json(a, 0)) != 0)
		return -1;
	if (strcmp(ks_db_str(a, 0, "status"), "draft") != 0 &&
	    strcmp(ks_db_str(a, 0, "status"), "submitted") != 0)
		return not_in(req, a, "draft,submitted", "only a decision not "
		    "yet approved is rejected");
	v[0] = id;
	v[1] = ks->num(req, ks->user_id(req));
	v[2] = json_string_value(json_object_get(ks->body(req), "reason"));
	v[3] = ks_db_str(a, 0, "version");
	if ((u = ks->db_q(req, Q_AH_ADVANCE_REJECT, 4, v)) == NULL)
		return -1;
	if (PQntuples(u) != 1)
		return stale(req, id);
	if (ks->audit(req, "advance_rejected", "ah_advance", id, NULL, NULL,
	    json_pack("{s:I,s:s}", "dossier_id", (json_int_t)ks_db_getll(a, 0,
	    "dossier_id"), "reason", v[2])) != 0)
		return -1;
	return answer(req, id, 200);
}

/*
 * End an approved advance from a month on with a reason; with no other
 * advance of the dossier running its re-check deadline is done.
 */
static int
advance_end(struct ks_request *req)
{
	json_t *b = ks->body(req);
	const char *id, *v[5], *reason, *to;
	PGresult *a, *u;
	int i;

	if ((a = advance_load(req, &id)) == NULL)
		return -1;
	reason = json_string_value(json_object_get(b, "reason"));
	for (i = 0; end_reasons[i] != NULL; i++)
		if (strcmp(end_reasons[i], reason) == 0)
			break;
	if (end_reasons[i] == NULL)
		return bad_field(req, "invalid_value", "the reason is one of "
		    "age_18, age_25, education_end, title_end, means, other",
		    "reason");
	to = json_string_value(json_object_get(b, "valid_to"));
	if (first_of_month(req, to, "valid_to") != 0)
		return -1;
	if (ks->check_etag(req, ks_db_getll(a, 0, "version"),
	    advance_json(a, 0)) != 0)
		return -1;
	if (strcmp(ks_db_str(a, 0, "status"), "approved") != 0)
		return not_in(req, a, "approved", "only an approved advance "
		    "ends");
	if (strcmp(to, ks_db_str(a, 0, "valid_from")) <= 0)
		return bad_field(req, "invalid_value", "the advance ends after "
		    "the month it starts", "valid_to");
	v[0] = id;
	v[1] = to;
	v[2] = reason;
	v[3] = ks->num(req, ks->user_id(req));
	v[4] = ks_db_str(a, 0, "version");
	if ((u = ks->db_q(req, Q_AH_ADVANCE_END, 5, v)) == NULL)
		return -1;
	if (PQntuples(u) != 1)
		return stale(req, id);
	v[0] = ks_db_str(a, 0, "dossier_id");
	v[1] = id;
	if ((u = ks->db_q(req, Q_AH_ADVANCE_RUNNING, 2, v)) == NULL)
		return -1;
	if (ks_db_getll(u, 0, "n") == 0 && ks->deadlines_close(req,
	    ks_db_getll(a, 0, "dossier_id"), "ah_recheck", NULL) != 0)
		return -1;
	if (ks->audit(req, "advance_ended", "ah_advance", id, NULL, NULL,
	    json_pack("{s:I,s:s,s:s}", "dossier_id", (json_int_t)ks_db_getll(
	    a, 0, "dossier_id"), "reason", reason, "valid_to", to)) != 0)
		return -1;
	return answer(req, id, 200);
}

/*
 * GET /alimente/advances/{id}/letter?lang=de|fr: the decision as PDF
 * (default: the applicant's language); not approved yet: a draft.
 */
static int
advance_letter(struct ks_request *req)
{
	const char *id, *lang = ks->query(req, "lang"), *st, *doc;
	unsigned char *bytes;
	PGresult *a;
	char *pdf;
	size_t len;
	int rc;

	if (lang != NULL && strcmp(lang, "de") != 0 && strcmp(lang, "fr") != 0)
		return ks->fail_detail(req, 400, "invalid_parameter", "lang is "
		    "de or fr", json_pack("{s:s}", "parameter", "lang"));
	if ((a = advance_load(req, &id)) == NULL)
		return -1;
	/* Whose letter it is: the dossier stands for its family. */
	if (ks->audit(req, "ah_advance_letter_read", "ah_advance", id, NULL,
	    NULL, json_pack("{s:I}", "dossier_id", (json_int_t)ks_db_getll(a,
	    0, "dossier_id"))) != 0)
		return -1;
	st = ks_db_str(a, 0, "status");
	ks->header(req, "Content-Disposition", "inline; filename="
	    "\"bevorschussung.pdf\"");
	/* The decision as issued; in the other language rendered anew. */
	doc = ks_db_get(a, 0, "document_id");
	if (doc != NULL && (lang == NULL || strcmp(lang, ks_db_str(a, 0,
	    "language")) == 0)) {
		if (ks->document_get(req, doc, &bytes, &len) != 0 ||
		    ks->audit(req, "document_downloaded", "document", doc,
		    NULL, NULL, NULL) != 0)
			return -1;
		return ks->raw(req, 200, "application/pdf", bytes, len);
	}
	if (ah_advance_letter(req, a, &lang, strcmp(st, "approved") != 0 &&
	    strcmp(st, "ended") != 0, &pdf, &len) != 0)
		return -1;
	rc = ks->raw(req, 200, "application/pdf", pdf, len);
	ks->free(pdf);
	return rc;
}

/* ------------------------------------------------------------ routes */

static const struct ks_field propose_body[] = {
	{ "creditor_id", KS_F_INT, 1, 1, 0, "a child of the dossier's title" },
	{ "valid_from", KS_F_DATE, 1, 0, 0, "the first month (its first day)" },
	{ "household", KS_F_OBJECT, 1, 0, 0, "{size (persons), income "
	    "(Rappen a year), assets (Rappen)} of the child's household" },
	{ "on_social_assistance", KS_F_BOOL, 1, 0, 0, "the child is "
	    "permanently supported by social assistance" },
	KS_FIELDS_END
};
static const struct ks_field reject_body[] = {
	{ "reason", KS_F_STRING, 1, 1, 500, "why it is rejected" },
	KS_FIELDS_END
};
static const struct ks_field end_body[] = {
	{ "reason", KS_F_STRING, 1, 1, 20, "age_18, age_25, education_end, "
	    "title_end, means or other" },
	{ "valid_to", KS_F_DATE, 1, 0, 0, "the first month not advanced any "
	    "more (its first day)" },
	KS_FIELDS_END
};

#define C	"/api/v1/cases"
#define A	"/api/v1/alimente/advances"
#define KB	(16 * 1024)

const struct ks_route ah_advance_routes[] = {
	{ "POST", C "/{id}/advances", "alimente.write", KB, propose_body, 0,
	    advance_propose, "propose an advance decision for a child of the "
	    "title from a month on, computed by the pack alimente-advance" },
	{ "GET", C "/{id}/advances", "alimente.read", 0, NULL,
	    KS_R_PAGED | KS_R_AUDIT, advance_list,
	    "the advance decisions of a dossier" },
	{ "GET", A, "alimente.approve", 0, NULL, KS_R_PAGED | KS_R_AUDIT,
	    advance_by_state, "the service's advance decisions in a state "
	    "across its dossiers (?state=draft|submitted|approved|rejected|"
	    "ended, default submitted: those awaiting approval)" },
	{ "POST", A "/{id}/submit", "alimente.write", 0, NULL, KS_R_ETAG,
	    advance_submit, "submit a draft advance decision for approval "
	    "(If-Match)" },
	{ "POST", A "/{id}/approve", "alimente.approve", 0, NULL, KS_R_ETAG,
	    advance_approve, "approve a submitted advance decision (not by "
	    "who proposed or submitted it; If-Match): the yearly re-check "
	    "becomes a deadline" },
	{ "POST", A "/{id}/reject", "alimente.approve", KB, reject_body,
	    KS_R_ETAG, advance_reject, "reject an advance decision not yet "
	    "approved, with a reason (If-Match)" },
	{ "POST", A "/{id}/end", "alimente.write", KB, end_body, KS_R_ETAG,
	    advance_end, "end an approved advance from a month on, with a "
	    "reason (If-Match)" },
	{ "GET", A "/{id}/letter", "alimente.read", 0, NULL,
	    KS_R_RAW | KS_R_AUDIT | KS_R_LONG, advance_letter,
	    "the advance decision as "
	    "PDF (?lang=de|fr; a decision not approved is a draft)" },
	KS_ROUTES_END
};

const struct ks_errdef ah_advance_errors[] = {
	{ "ah_not_a_child", 409, "only a child's maintenance is advanced" },
	{ "ah_no_title_amount", 409, "the title fixes no amount for the "
	    "child in that month" },
	{ "ah_advance_overlap", 409, "an approved advance for the child "
	    "starts in the same month or later" },
	{ NULL, 0, NULL }
};

const struct ks_vocab ah_advance_vocabulary[] = {
	{ "deadline_kind", "ah_recheck" },
	{ "payment_kind", "ah_advance" },
	{ NULL, NULL }
};

/* ------------------------------------------------------------ hooks */

int
ah_advance_on_transition(struct ks_request *req, int64_t dossier,
    const char *from, const char *to)
{
	(void)req; (void)dossier; (void)from; (void)to;
	return 0;
}

/* A work-list row about an advance: which, its dossier and child. */
static json_t *
child_row(PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:I,s:s,s:s}",
	    "id", (json_int_t)ks_db_getll(r, i, "id"),
	    "dossier_id", (json_int_t)ks_db_getll(r, i, "dossier_id"),
	    "creditor_id", (json_int_t)ks_db_getll(r, i, "creditor_id"),
	    "first_name", ks_db_str(r, i, "first_name"),
	    "last_name", ks_db_str(r, i, "last_name"));
}

static void
put_str(json_t *o, const char *key, PGresult *r, int i)
{
	json_object_set_new(o, key, json_string(ks_db_str(r, i, key)));
}

/*
 * "ah_advances_ending": the caller's advances ending within 60 days;
 * "ah_advances_awaiting" for who approves (alimente.approve): the
 * submitted decisions the caller may approve.
 */
int
ah_advance_worklist(struct ks_request *req, json_t *lists)
{
	const char *v[1] = { ks->num(req, ks->user_id(req)) };
	json_t *a, *j;
	PGresult *r;
	int i;

	if ((r = ks->db_q(req, Q_AH_ADVANCE_ENDING, 1, v)) == NULL)
		return -1;
	a = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		j = child_row(r, i);
		put_str(j, "ends_on", r, i);
		put_str(j, "reason", r, i);
		json_array_append_new(a, j);
	}
	if (json_object_set_new(lists, "ah_advances_ending", a) != 0)
		return -1;
	if (!ks->has_perm(req, "alimente.approve"))
		return 0;
	if ((r = ks->db_q(req, Q_AH_ADVANCE_AWAITING, 1, v)) == NULL)
		return -1;
	a = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		j = child_row(r, i);
		json_object_set_new(j, "amount", json_integer(ks_db_getll(r, i,
		    "amount")));
		put_str(j, "valid_from", r, i);
		put_str(j, "submitted_at", r, i);
		json_array_append_new(a, j);
	}
	return json_object_set_new(lists, "ah_advances_awaiting", a);
}

/*
 * A transfer: advances do not move. The receiving service decides its
 * own (cantonal law of the new domicile); the sender's dossier is
 * closed, so its runs pay no more advances.
 */
int
ah_advance_transfer(struct ks_request *req, int64_t from, int64_t from_tenant,
    int64_t to, int64_t to_tenant)
{
	(void)req; (void)from; (void)from_tenant; (void)to; (void)to_tenant;
	return 0;
}

int
ah_advance_run_lines(struct ks_request *req, const char *run,
    const char *first, const char *month)
{
	const char *v[3] = { run, first, month };

	return ks->db_q(req, Q_AH_ADVANCE_RUN_LINES, 3, v) == NULL ? KS_ERROR :
	    KS_OK;
}
