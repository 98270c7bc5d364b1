/*
 * migrate.c - forward-only numbered SQL migrations per component
 * (core/sql/migrations/NNNN_name.sql; modules later), each applied once
 * in its own transaction as the owner role and recorded with its SHA-256
 * in schema_version. An applied migration whose file changed is refused.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
exec_ok(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		ks_log(KS_LOG_ERROR, "migration %s failed: %s", what,
		    PQresultErrorMessage(r));
	PQclear(r);
	return ok ? KS_OK : KS_ERROR;
}

static int
apply_one(PGconn *c, const char *component, const char *dir,
    const char *file)
{
	char path[1024], sum[65], ver[16];
	const char *v[4];
	size_t len;
	char *sql;
	PGresult *r;
	int rc = KS_ERROR;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(ver, sizeof(ver), "%d", atoi(file));
	if ((sql = ks_file_read(path, 0, &len)) == NULL) {
		ks_log(KS_LOG_ERROR, "cannot read migration %s", path);
		return KS_ERROR;
	}
	ks_sha256_hex(sql, len, sum);
	v[0] = component;
	v[1] = ver;
	r = PQexecParams(c, "SELECT checksum FROM schema_version WHERE "
	    "component = $1 AND version = $2::integer", 2, NULL, v, NULL,
	    NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		ks_log(KS_LOG_ERROR, "schema_version unreadable: %s",
		    PQresultErrorMessage(r));
	} else if (PQntuples(r) == 1) {
		if (strcmp(ks_db_str(r, 0, "checksum"), sum) == 0)
			rc = KS_OK;
		else
			ks_log(KS_LOG_ERROR, "migration %s/%s was changed "
			    "after it was applied; write a new migration "
			    "instead", component, file);
	} else if (exec_ok(c, "BEGIN", "begin") == KS_OK) {
		if (exec_ok(c, sql, file) == KS_OK) {
			PGresult *ins;
			v[2] = file;
			v[3] = sum;
			ins = PQexecParams(c, "INSERT INTO schema_version "
			    "(component, version, name, checksum) VALUES "
			    "($1, $2::integer, $3, $4)", 4, NULL, v, NULL,
			    NULL, 0);
			if (PQresultStatus(ins) == PGRES_COMMAND_OK &&
			    exec_ok(c, "COMMIT", "commit") == KS_OK) {
				ks_log(KS_LOG_INFO, "applied migration %s/%s",
				    component, file);
				rc = KS_OK;
			}
			PQclear(ins);
		}
		if (rc != KS_OK)
			exec_ok(c, "ROLLBACK", "rollback");
	}
	PQclear(r);
	free(sql);
	return rc;
}

/** Apply every pending migration of one component from dir. */
int
ks_migrate_dir(PGconn *c, const char *component, const char *dir)
{
	struct dirent *de;
	char *files[1024];
	int n = 0, i, rc = KS_OK;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		ks_log(KS_LOG_ERROR, "no migrations folder %s", dir);
		return KS_ERROR;
	}
	while ((de = readdir(d)) != NULL && n < 1024) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".sql") == 0 &&
		    de->d_name[0] >= '0' && de->d_name[0] <= '9')
			files[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(files, (size_t)n, sizeof(files[0]), cmp);
	for (i = 0; i < n; i++) {
		if (rc == KS_OK)
			rc = apply_one(c, component, dir, files[i]);
		free(files[i]);
	}
	return rc;
}

int
ks_migrate(const char *conninfo)
{
	char dir[1024];
	PGconn *c = PQconnectdb(conninfo);
	int rc;

	if (PQstatus(c) != CONNECTION_OK) {
		ks_log(KS_LOG_ERROR, "cannot connect as the owner role: %s",
		    PQerrorMessage(c));
		PQfinish(c);
		return KS_ERROR;
	}
	if (exec_ok(c, "SET client_min_messages = warning; "
	    "CREATE TABLE IF NOT EXISTS schema_version ("
	    "component text NOT NULL, version integer NOT NULL, "
	    "name text NOT NULL, checksum text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now(), "
	    "PRIMARY KEY (component, version))", "schema_version") != KS_OK) {
		PQfinish(c);
		return KS_ERROR;
	}
	snprintf(dir, sizeof(dir), "%s/core/sql/migrations", ks_conf.root);
	rc = ks_migrate_dir(c, "core", dir);
	if (rc == KS_OK) {
		if (ks_conf.modules[0] != '\0') {
			ks_modules_load(0);
			rc = ks_modules_migrate(c);
		}
		if (rc == KS_OK)
			rc = ks_vocab_record(c);
		if (ks_conf.modules[0] != '\0')
			ks_modules_unload();
	}
	PQfinish(c);
	return rc;
}
