/*
 * transition.c - the casework layer's transition engine: a module
 * declares its dossier kinds (states, the steps between them with the
 * permission each needs, closing reasons; struct ks_dossier_kind) and the
 * core decides whether a step may be taken, so that every module's
 * dossiers follow their declared life cycle the same way.
 */
#include <string.h>

#include "kasus.h"
#include "kasus/module.h"
#include "casework/casework.h"

int
ks_str_in(const char *s, const char *const *list)
{
	for (; s != NULL && list != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static json_t *
list_json(const char *const *list)
{
	json_t *a = json_array();

	for (; list != NULL && *list != NULL; list++)
		json_array_append_new(a, json_string(*list));
	return a;
}

/* A declaration that the engine cannot follow: NULL, or what is wrong. */
const char *
ks_dossier_kind_invalid(const struct ks_dossier_kind *k)
{
	const struct ks_transition *t;
	const char *c;

	for (c = k->code; c != NULL && *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || *c == '_' ||
		    (c > k->code && *c >= '0' && *c <= '9')))
			return "a dossier kind's code is not [a-z][a-z0-9_]*";
	if (k->code == NULL || k->code[0] == '\0' || k->states == NULL ||
	    !ks_str_in(k->initial, k->states))
		return "a dossier kind needs states and an initial one of them";
	for (t = k->transitions; t != NULL && t->from != NULL; t++)
		if (!ks_str_in(t->from, k->states) || !ks_str_in(t->to, k->states))
			return "a dossier kind's step names an undeclared state";
	if (ks_str_in("closed", k->states) && (k->closing_reasons == NULL ||
	    k->closing_reasons[0] == NULL))
		return "a dossier kind with a closed state needs closing reasons";
	return NULL;
}

/* The request's module's kind of that code, else any module's. */
static const struct ks_dossier_kind *
kind_of(struct ks_request *req, const char *code)
{
	const struct ks_dossier_kind *k = ks_module_dossier_kinds(req);

	if (code == NULL || *code == '\0')
		return NULL;
	for (; k != NULL && k->code != NULL; k++)
		if (strcmp(k->code, code) == 0)
			return k;
	return ks_module_kind(NULL, code);
}

static int
may(struct ks_request *req, const struct ks_transition *t)
{
	return t->automatic == NULL && (req == NULL || t->perm == NULL ||
	    ks_has_perm(&req->who, t->perm));
}

/* The next step from `from` the caller may take after *t (NULL: none). */
static const struct ks_transition *
next_step(struct ks_request *req, const struct ks_dossier_kind *k,
    const char *from, const struct ks_transition *t)
{
	for (t = t == NULL ? (k != NULL ? k->transitions : NULL) : t + 1;
	    t != NULL && t->from != NULL; t++)
		if (strcmp(t->from, from) == 0 && may(req, t))
			return t;
	return NULL;
}

json_t *
ks_transitions_from(struct ks_request *req, const struct ks_dossier_kind *k,
    const char *from)
{
	const struct ks_transition *t = NULL;
	json_t *a = json_array();

	while ((t = next_step(req, k, from, t)) != NULL)
		json_array_append_new(a, json_string(t->to));
	return a;
}

int
ks_transitions_put(struct ks_buf *o, struct ks_request *req,
    const struct ks_dossier_kind *k, const char *from)
{
	const struct ks_transition *t = NULL;
	int n = 0;

	KS_BUF_LIT(o, "[");
	while ((t = next_step(req, k, from, t)) != NULL) {
		if (n++ > 0)
			KS_BUF_LIT(o, ",");
		if (ks_json_put_str(o, t->to, strlen(t->to)) != 0)
			return -1;
	}
	KS_BUF_LIT(o, "]");
	return 0;
}

int
ks_transition_check(struct ks_request *req, const char *kind,
    const char *from, const char *to, const char *reason)
{
	const struct ks_dossier_kind *k = kind_of(req, kind);
	const struct ks_transition *t;

	if (k == NULL) {
		ks_log(KS_LOG_ERROR, "transition_check: %s is not a declared "
		    "dossier kind", kind ? kind : "(null)");
		return ks_fail(req, 500, "internal_error", "something went "
		    "wrong on our side");
	}
	for (t = k->transitions; t != NULL && t->from != NULL; t++)
		if (strcmp(t->from, from) == 0 && strcmp(t->to, to) == 0)
			break;
	if (t == NULL || t->from == NULL || t->automatic != NULL)
		return ks_fail_detail(req, 409, "transition_not_allowed",
		    t != NULL && t->from != NULL ? t->automatic :
		    "the dossier cannot go there from its current state",
		    json_pack("{s:s,s:s,s:o}", "from", from, "to", to,
		    "allowed", ks_transitions_from(req, k, from)));
	if (t->perm != NULL && !ks_has_perm(&req->who, t->perm))
		return ks_fail_detail(req, 403, "forbidden", "you may not take "
		    "this step", json_pack("{s:s}", "permission", t->perm));
	if (strcmp(to, "closed") == 0 && !ks_str_in(reason, k->closing_reasons))
		return ks_fail_detail(req, 400, "invalid_value", "closing "
		    "needs one of the kind's closing reasons", json_pack(
		    "{s:s,s:o}", "field", "closure_reason", "allowed",
		    list_json(k->closing_reasons)));
	if (strcmp(to, "closed") != 0 && reason != NULL)
		return ks_fail_detail(req, 400, "invalid_value", "a closing "
		    "reason belongs to closing only", json_pack("{s:s}",
		    "field", "closure_reason"));
	return KS_OK;
}
