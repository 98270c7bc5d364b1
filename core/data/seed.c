/*
 * seed.c - the demo canton from tenants/demo.json: canton, municipalities,
 * tenants with the municipalities they serve, one user per role. Runs as
 * the owner role, only when the configuration says demo = 1, and changes
 * nothing that already exists (safe to repeat).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

static int
q(PGconn *c, const char *sql, int n, const char *const *v, PGresult **out)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
	int st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		ks_log(KS_LOG_ERROR, "seed failed: %s", PQresultErrorMessage(r));
		PQclear(r);
		return KS_ERROR;
	}
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return KS_OK;
}

static int
seed_user(PGconn *c, const char *tid, json_t *u, const char *lang,
    const char *pw)
{
	const char *v[5];
	char *hash;
	PGresult *r;
	json_t *role;
	size_t i;
	int rc;

	v[0] = tid;
	v[1] = json_string_value(json_object_get(u, "username"));
	if (q(c, "SELECT id FROM app_user WHERE tenant_id = $1 AND "
	    "username = $2", 2, v, &r) != KS_OK)
		return KS_ERROR;
	rc = PQntuples(r);
	PQclear(r);
	if (rc == 1)
		return KS_OK;
	if ((hash = ks_password_hash(pw)) == NULL)
		return KS_ERROR;
	v[2] = json_string_value(json_object_get(u, "display_name"));
	v[3] = lang;
	v[4] = hash;
	rc = q(c, "INSERT INTO app_user (tenant_id, username, display_name, "
	    "language, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id",
	    5, v, &r);
	free(hash);
	if (rc != KS_OK)
		return KS_ERROR;
	v[1] = ks_db_str(r, 0, "id");
	json_array_foreach(json_object_get(u, "roles"), i, role) {
		v[2] = json_string_value(role);
		if (q(c, "INSERT INTO user_role (tenant_id, user_id, role) "
		    "VALUES ($1, $2, $3)", 3, v, NULL) != KS_OK) {
			PQclear(r);
			return KS_ERROR;
		}
	}
	PQclear(r);
	return KS_OK;
}

/*
 * The account a demo service pays from (the casework layer's
 * payment_account), when none is set yet.
 */
static int
seed_account(PGconn *c, const char *tid, json_t *a)
{
	static const char *const keys[] = { "name", "iban", "street",
	    "house_no", "postcode", "town", "country" };
	const char *v[8];
	int i;

	if (!json_is_object(a))
		return KS_OK;
	v[0] = tid;
	for (i = 0; i < 7; i++)
		v[i + 1] = json_string_value(json_object_get(a, keys[i]));
	return q(c, "INSERT INTO payment_account (tenant_id, name, iban, "
	    "street, house_no, postcode, town, country, updated_by) "
	    "SELECT $1, $2, $3, $4, $5, $6, $7, $8, 0 "
	    "ON CONFLICT (tenant_id) DO NOTHING", 8, v, NULL);
}

/* Invoices: the canton's creditor, a social service's address. */
static int
seed_billing(PGconn *c, const char *tid, json_t *t)
{
	static const char *const f[] = { "name", "street", "building",
	    "postcode", "town", "country", "iban" };
	json_t *cr = json_object_get(t, "billing_creditor");
	json_t *ad = json_object_get(t, "billing_address");
	const char *v[8];
	int i;

	v[0] = tid;
	if (cr != NULL) {
		for (i = 0; i < 7; i++)
			v[i + 1] = json_string_value(json_object_get(cr, f[i]));
		return q(c, "INSERT INTO billing_creditor (tenant_id, name, "
		    "street, building, postcode, town, country, iban) VALUES "
		    "($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
		    8, v, NULL);
	}
	if (ad == NULL)
		return KS_OK;
	for (i = 0; i < 6; i++)
		v[i + 1] = json_string_value(json_object_get(ad, f[i]));
	return q(c, "INSERT INTO billing_address (tenant_id, subject_id, name, "
	    "street, building, postcode, town, country) SELECT "
	    "kasus_canton_tenant(), $1, $2, $3, $4, $5, $6, $7 "
	    "ON CONFLICT DO NOTHING", 7, v, NULL);
}

static int
seed_tenant(PGconn *c, const char *canton, json_t *t, json_t *std,
    const char *pw, json_t *mods)
{
	const char *v[5], *lang, *kind;
	char tid[32];
	json_t *users, *u, *m;
	PGresult *r;
	size_t i;

	v[0] = canton;
	v[1] = json_string_value(json_object_get(t, "slug"));
	v[2] = json_string_value(json_object_get(t, "name"));
	v[3] = json_string_value(json_object_get(t, "kind"));
	if (v[3] == NULL)
		v[3] = "social_service";
	v[4] = json_string_value(json_object_get(t, "language"));
	if (q(c, "INSERT INTO tenant (canton_id, slug, name, kind, language) "
	    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING", 5, v,
	    NULL) != KS_OK || q(c, "SELECT id FROM tenant WHERE slug = $1", 1,
	    v + 1, &r) != KS_OK)
		return KS_ERROR;
	snprintf(tid, sizeof(tid), "%s", ks_db_str(r, 0, "id"));
	PQclear(r);
	json_array_foreach(json_object_get(t, "municipalities"), i, m) {
		char bfs[16];
		snprintf(bfs, sizeof(bfs), "%lld",
		    (long long)json_integer_value(m));
		v[0] = tid;
		v[1] = bfs;
		if (q(c, "INSERT INTO tenant_municipality (tenant_id, bfs) "
		    "VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, v,
		    NULL) != KS_OK)
			return KS_ERROR;
	}
	/* The demo's social services have the domain modules switched on. */
	kind = json_string_value(json_object_get(t, "kind"));
	if (kind == NULL || strcmp(kind, "canton") != 0) {
		json_array_foreach(mods, i, m) {
			v[0] = tid;
			v[1] = json_string_value(m);
			if (q(c, "INSERT INTO tenant_module (tenant_id, module, "
			    "enabled, start_date) VALUES ($1, $2, true, "
			    "'2025-01-01') ON CONFLICT DO NOTHING", 2, v,
			    NULL) != KS_OK)
				return KS_ERROR;
		}
	}
	if (seed_account(c, tid, json_object_get(t, "payment_account")) !=
	    KS_OK || seed_billing(c, tid, t) != KS_OK)
		return KS_ERROR;
	users = json_object_get(t, "users");
	if (json_is_string(users))
		users = std;
	lang = json_string_value(json_object_get(t, "user_language"));
	json_array_foreach(users, i, u)
		if (seed_user(c, tid, u, lang ? lang : "de", pw) != KS_OK)
			return KS_ERROR;
	return KS_OK;
}

/*
 * A demo billing period with costs, its figures taken from the demo
 * tenants the way a new period's are (population, users, dossiers); only
 * when the period does not exist yet.
 */
static int
seed_billing_period(PGconn *c, json_t *bp)
{
	const char *v[4];
	json_t *e;
	PGresult *r;
	size_t i;
	char amt[32], *pid;

	if (bp == NULL)
		return KS_OK;
	v[0] = json_string_value(json_object_get(bp, "code"));
	v[1] = json_string_value(json_object_get(bp, "starts_on"));
	v[2] = json_string_value(json_object_get(bp, "ends_on"));
	if (q(c, "INSERT INTO billing_period (tenant_id, code, starts_on, "
	    "ends_on) VALUES (kasus_canton_tenant(), $1, $2, $3) "
	    "ON CONFLICT DO NOTHING RETURNING id", 3, v, &r) != KS_OK)
		return KS_ERROR;
	pid = PQntuples(r) == 1 ? strdup(ks_db_str(r, 0, "id")) : NULL;
	PQclear(r);
	if (pid == NULL)
		return KS_OK;		/* seeded before */
	v[3] = pid;
	json_array_foreach(json_object_get(bp, "costs"), i, e) {
		snprintf(amt, sizeof(amt), "%lld", (long long)
		    json_integer_value(json_object_get(e, "amount")));
		v[0] = v[3];
		v[1] = json_string_value(json_object_get(e, "phase"));
		v[2] = amt;
		if (q(c, "INSERT INTO billing_cost (tenant_id, period_id, phase, "
		    "amount, description) VALUES (kasus_canton_tenant(), $1, $2, "
		    "$3, $4)", 4, (const char *[]){ v[0], v[1], v[2],
		    json_string_value(json_object_get(e, "description")) },
		    NULL) != KS_OK)
			goto fail;
	}
	if (q(c, "INSERT INTO billing_population (tenant_id, period_id, bfs, "
	    "subject_id, population) SELECT kasus_canton_tenant(), $1, tm.bfs, "
	    "tm.tenant_id, m.population FROM tenant_municipality tm JOIN "
	    "municipality m USING (bfs) JOIN tenant t ON t.id = tm.tenant_id "
	    "WHERE t.kind = 'social_service' AND t.active", 1, v + 3, NULL) !=
	    KS_OK || q(c, "INSERT INTO billing_tenant_figures (tenant_id, "
	    "period_id, subject_id, dossiers, users, migrated_dossiers) SELECT "
	    "kasus_canton_tenant(), $1, t.id, (SELECT count(*) FROM dossier d "
	    "WHERE d.tenant_id = t.id), (SELECT count(*) FROM app_user u WHERE "
	    "u.tenant_id = t.id AND u.active), 0 FROM tenant t WHERE t.kind = "
	    "'social_service' AND t.active", 1, v + 3, NULL) != KS_OK)
		goto fail;
	free(pid);
	return KS_OK;
fail:
	free(pid);
	return KS_ERROR;
}

int
ks_seed_demo(const char *conninfo)
{
	char path[1024], canton[32];
	json_error_t je;
	json_t *doc, *e;
	const char *v[4], *pw;
	PGconn *c;
	PGresult *r;
	size_t i;
	int rc = KS_ERROR;

	if (!ks_conf.demo) {
		ks_log(KS_LOG_ERROR, "demo seeding is only allowed with demo = 1");
		return KS_ERROR;
	}
	snprintf(path, sizeof(path), "%s/tenants/demo.json", ks_conf.root);
	if ((doc = json_load_file(path, 0, &je)) == NULL) {
		ks_log(KS_LOG_ERROR, "cannot read %s: %s", path, je.text);
		return KS_ERROR;
	}
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		ks_log(KS_LOG_ERROR, "cannot connect as the owner role");
		goto out;
	}
	pw = json_string_value(json_object_get(doc, "password"));
	v[0] = json_string_value(json_object_get(json_object_get(doc,
	    "canton"), "code"));
	v[1] = json_string_value(json_object_get(json_object_get(doc,
	    "canton"), "name"));
	if (q(c, "BEGIN", 0, NULL, NULL) != KS_OK ||
	    q(c, "INSERT INTO canton (code, name) VALUES ($1, $2) "
	    "ON CONFLICT (code) DO NOTHING", 2, v, NULL) != KS_OK ||
	    q(c, "SELECT id FROM canton WHERE code = $1", 1, v, &r) != KS_OK)
		goto out;
	snprintf(canton, sizeof(canton), "%s", ks_db_str(r, 0, "id"));
	PQclear(r);
	json_array_foreach(json_object_get(doc, "municipalities"), i, e) {
		char bfs[16], pop[16];
		snprintf(bfs, sizeof(bfs), "%lld", (long long)
		    json_integer_value(json_object_get(e, "bfs")));
		snprintf(pop, sizeof(pop), "%lld", (long long)
		    json_integer_value(json_object_get(e, "population")));
		v[0] = bfs;
		v[1] = canton;
		v[2] = json_string_value(json_object_get(e, "name"));
		v[3] = pop;
		if (q(c, "INSERT INTO municipality (bfs, canton_id, name, "
		    "population) VALUES ($1, $2, $3, $4) ON CONFLICT DO "
		    "NOTHING", 4, v, NULL) != KS_OK)
			goto out;
	}
	json_array_foreach(json_object_get(doc, "tenants"), i, e)
		if (seed_tenant(c, canton, e, json_object_get(doc,
		    "standard_users"), pw, json_object_get(doc, "modules")) !=
		    KS_OK)
			goto out;
	if (seed_billing_period(c, json_object_get(doc, "billing_period")) !=
	    KS_OK)
		goto out;
	if (q(c, "COMMIT", 0, NULL, NULL) == KS_OK) {
		ks_log(KS_LOG_INFO, "demo canton seeded");
		rc = KS_OK;
	}
out:
	PQfinish(c);
	json_decref(doc);
	return rc;
}
