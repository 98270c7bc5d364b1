/*
 * vocabulary.c - the codes of the casework layer that modules extend:
 * deadline kinds, journal categories, document categories, the kinds of
 * payment lines a module contributes to a run (no core ones). The core's
 * generic codes are here; a module declares its own in its descriptor
 * (struct ks_vocab). `kasusd migrate` records both in the table the
 * database checks them against (0023_vocabulary.sql); a worker answers
 * from memory (GET /api/v1/vocabularies, ks_vocab_has).
 */
#include <string.h>

#include "kasus.h"
#include "kasus/module.h"

static const struct ks_vocab core_vocab[] = {
	{ "deadline_kind", "manual" },
	{ "journal_category", "conversation" },
	{ "journal_category", "phone" },
	{ "journal_category", "letter" },
	{ "journal_category", "home_visit" },
	{ "journal_category", "assessment" },
	{ "journal_category", "decision" },
	{ "journal_category", "other" },
	{ "document_category", "id" },
	{ "document_category", "decision" },
	{ "document_category", "letter" },
	{ "document_category", "scanned_mail" },
	{ "document_category", "other" },
	{ NULL, NULL }
};

static const char *const domains[] = { "deadline_kind", "journal_category",
	"document_category", "payment_kind", NULL };

static int
in(const struct ks_vocab *v, const char *domain, const char *code)
{
	for (; v != NULL && v->domain != NULL; v++)
		if (strcmp(v->domain, domain) == 0 &&
		    strcmp(v->code, code) == 0)
			return 1;
	return 0;
}

int
ks_vocab_has(const char *domain, const char *code)
{
	const struct ks_vocab *v;
	int i;

	if (code == NULL)
		return 0;
	if (in(core_vocab, domain, code))
		return 1;
	for (i = 0; i < ks_modules_count(); i++)
		if ((v = ks_modules_vocab(i, NULL)) != NULL &&
		    in(v, domain, code))
			return 1;
	return 0;
}

static int
record(PGconn *c, const struct ks_vocab *v, const char *module)
{
	const char *p[3];
	PGresult *r;
	int ok = 1;

	for (; v != NULL && v->domain != NULL && ok; v++) {
		p[0] = v->domain;
		p[1] = v->code;
		p[2] = module;
		r = PQexecParams(c, "INSERT INTO vocabulary (domain, code, "
		    "module) VALUES ($1, $2, $3) ON CONFLICT (domain, code) DO "
		    "NOTHING", 3, NULL, p, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			ks_log(KS_LOG_ERROR, "vocabulary %s/%s of %s not "
			    "recorded: %s", v->domain, v->code,
			    module ? module : "the core", PQerrorMessage(c));
		PQclear(r);
	}
	return ok ? KS_OK : KS_ERROR;
}

int
ks_vocab_record(PGconn *c)
{
	const struct ks_vocab *v;
	const char *name;
	int i, rc;

	rc = record(c, core_vocab, NULL);
	for (i = 0; rc == KS_OK && i < ks_modules_count(); i++)
		if ((v = ks_modules_vocab(i, &name)) != NULL)
			rc = record(c, v, name);
	return rc;
}

/* GET /api/v1/vocabularies: the core's codes and those of the modules
 * switched on for the caller's tenant, per domain. */
static int
vocabularies(struct ks_request *req)
{
	json_t *out = json_object(), *on = ks_modules_enabled(req), *m;
	const struct ks_vocab *v;
	const char *name;
	size_t k;
	int i, d;

	for (d = 0; domains[d] != NULL; d++)
		json_object_set_new(out, domains[d], json_array());
	for (v = core_vocab; v->domain != NULL; v++)
		json_array_append_new(json_object_get(out, v->domain),
		    json_pack("{s:s,s:n}", "code", v->code, "module"));
	for (i = 0; i < ks_modules_count(); i++) {
		if ((v = ks_modules_vocab(i, &name)) == NULL)
			continue;
		json_array_foreach(on, k, m)
			if (strcmp(json_string_value(m), name) == 0)
				break;
		if (k == json_array_size(on))
			continue;
		for (; v->domain != NULL; v++)
			json_array_append_new(json_object_get(out, v->domain),
			    json_pack("{s:s,s:s}", "code", v->code, "module",
			    name));
	}
	json_decref(on);
	return ks_reply(req, 200, out);
}

static const struct ks_route routes[] = {
	{ "GET", "/api/v1/vocabularies", NULL, 0, NULL, 0, vocabularies,
	    "deadline kinds, journal and document categories: the core's and "
	    "those of the modules switched on for the service", NULL, NULL },
	KS_ROUTES_END
};

void
ks_vocab_register(void)
{
	ks_router_add(routes, NULL);
}
