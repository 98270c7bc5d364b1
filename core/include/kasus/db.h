/*
 * kasus/db.h - read SQL results by column name.
 *
 * A statement's SELECT list may change; code that reads column 3 then
 * silently reads the wrong value. Read by the name the statement gives
 * the column (an expression gets one with AS in its .sql file):
 *
 *   ks_db_get(r, 0, "title")     value, NULL for SQL NULL
 *   ks_db_str(r, 0, "title")     value, "" for SQL NULL (as PQgetvalue)
 *   ks_db_getll(r, 0, "id")      integer, 0 for SQL NULL
 *   ks_db_isnull(r, 0, "id")     1 for SQL NULL
 *   ks_db_json_str(r, 0, "at")   JSON string, null for SQL NULL
 *   ks_db_json_int(r, 0, "by")   JSON integer, null for SQL NULL
 *   ks_db_json(r, 0, "detail")   a json/jsonb column parsed, null for SQL
 *                                NULL
 *   ks_db_cursor(r, n, "id")     a page's "next": col of the last row
 *                                when the page is full (n rows), else null
 *   ks_db_rows(r, row)           [row(r, i) of every row]
 *   ks_db_page(r, n, "id", row)  a page as {"items": [row(r, i)...],
 *                                "next": ks_db_cursor(r, n, "id")}
 *
 * A loop over thousands of rows finds each column once, c =
 * ks_db_col(r, "title"), and reads it by number: ks_db_get_at(r, i, c)
 * and ks_db_str_at(r, i, c) answer as ks_db_get and ks_db_str.
 *
 * Header-only (static inline over libpq): the core and modules use the
 * same code, and a module, which links libpq but no core symbol, needs no
 * new member of struct ks_api and no ABI bump.
 *
 * An unknown name is a programming error: the test build (KS_TEST_HOOKS)
 * aborts with the result's column list on stderr (the server log), so a
 * test that reaches the line fails at once; a release build logs the
 * same line and answers NULL, "", 0 or 1 (NULL).
 */
#ifndef KS_DB_H
#define KS_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <libpq-fe.h>

/** The column number of col in r, or -1 (logged; abort in tests). */
static inline int
ks_db_col(const PGresult *r, const char *col)
{
	char	 line[1024];
	size_t	 len;
	int	 c, i, n;

	if ((c = PQfnumber(r, col)) >= 0)
		return c;
	/* One write, so the line stays whole in the log. */
	n = PQnfields(r);
	len = (size_t)snprintf(line, sizeof(line), "kasus: error: result has "
	    "no column \"%s\"; columns (%d):", col, n);
	for (i = 0; i < n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
		    i ? ", " : " ", PQfname(r, i));
	fprintf(stderr, "%.*s\n", (int)sizeof(line) - 1, line);
#ifdef KS_TEST_HOOKS
	abort();
#endif
	return -1;
}

/** The value of column number c (ks_db_col) in row, NULL for SQL NULL. */
static inline const char *
ks_db_get_at(const PGresult *r, int row, int c)
{
	if (c < 0 || PQgetisnull(r, row, c))
		return NULL;
	return PQgetvalue(r, row, c);
}

/** The value of column number c in row, "" for SQL NULL. */
static inline char *
ks_db_str_at(const PGresult *r, int row, int c)
{
	return c < 0 ? (char *)"" : PQgetvalue(r, row, c);
}

/** The value of col in row, NULL for SQL NULL. */
static inline const char *
ks_db_get(const PGresult *r, int row, const char *col)
{
	return ks_db_get_at(r, row, ks_db_col(r, col));
}

/** The value of col in row, "" for SQL NULL (like PQgetvalue). */
static inline char *
ks_db_str(const PGresult *r, int row, const char *col)
{
	return ks_db_str_at(r, row, ks_db_col(r, col));
}

/** The integer value of col in row, 0 for SQL NULL. */
static inline long long
ks_db_getll(const PGresult *r, int row, const char *col)
{
	const char *s = ks_db_get(r, row, col);

	return s == NULL ? 0 : strtoll(s, NULL, 10);
}

/** 1 when col is SQL NULL in row (or unknown), else 0. */
static inline int
ks_db_isnull(const PGresult *r, int row, const char *col)
{
	int c = ks_db_col(r, col);

	return c < 0 || PQgetisnull(r, row, c);
}

/** col in row as a JSON string, JSON null for SQL NULL (new reference). */
static inline json_t *
ks_db_json_str(const PGresult *r, int row, const char *col)
{
	const char *s = ks_db_get(r, row, col);

	return s == NULL ? json_null() : json_string(s);
}

/** col in row as a JSON integer, JSON null for SQL NULL (new reference). */
static inline json_t *
ks_db_json_int(const PGresult *r, int row, const char *col)
{
	const char *s = ks_db_get(r, row, col);

	return s == NULL ? json_null() : json_integer(strtoll(s, NULL, 10));
}

/**
 * col in row, a json or jsonb column, parsed (new reference); JSON null
 * for SQL NULL, and for text that is not JSON (which PostgreSQL does not
 * give for those types).
 */
static inline json_t *
ks_db_json(const PGresult *r, int row, const char *col)
{
	const char *s = ks_db_get(r, row, col);
	json_t *j;

	if (s == NULL || (j = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL)
		return json_null();
	return j;
}

/**
 * The "next" of a page of at most n rows ordered by col (the ?after= of
 * the following page): col of the last row when the page is full, JSON
 * null at the end (new reference).
 */
static inline json_t *
ks_db_cursor(const PGresult *r, long long n, const char *col)
{
	int rows = PQntuples(r);

	if (n <= 0 || rows < n)
		return json_null();
	return json_string(ks_db_str(r, rows - 1, col));
}

/** [row(r, i) of every row] (new reference). */
static inline json_t *
ks_db_rows(PGresult *r, json_t *(*row)(PGresult *, int))
{
	json_t *items = json_array();
	int i;

	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, row(r, i));
	return items;
}

/**
 * A page of at most n rows ordered by col as {"items": [row(r, i) of
 * every row], "next": ks_db_cursor(r, n, col)} (new reference): what a
 * paged list answers (ks_reply(req, 200, ks_db_page(...))).
 */
static inline json_t *
ks_db_page(PGresult *r, long long n, const char *col,
    json_t *(*row)(PGresult *, int))
{
	json_t *items = ks_db_rows(r, row);

	return json_pack("{s:o,s:o}", "items", items,
	    "next", ks_db_cursor(r, n, col));
}

#endif /* KS_DB_H */
