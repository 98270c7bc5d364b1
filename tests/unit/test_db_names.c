/*
 * test_db_names.c - SQL results read by column name (kasus/db.h).
 *
 * The result is built with libpq's own PGresult constructors, the shape a
 * real query answers (text format), without a database.
 */
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "kasus/db.h"
#include "ks_test.h"

static PGresult *
result(void)
{
	PGresAttDesc	 a[3] = {
		{ .name = (char *)"id", .typid = 20, .typlen = 8 },
		{ .name = (char *)"title", .typid = 25, .typlen = -1 },
		{ .name = (char *)"replaced_by", .typid = 20, .typlen = 8 },
	};
	PGresult	*r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	if (r == NULL || !PQsetResultAttrs(r, 3, a) ||
	    !PQsetvalue(r, 0, 0, (char *)"42", 2) ||
	    !PQsetvalue(r, 0, 1, (char *)"Verfügung", 10) ||
	    !PQsetvalue(r, 0, 2, NULL, -1))
		abort();
	return r;
}

KS_TEST(values_by_name)
{
	PGresult *r = result();

	KS_CHECK_INT(ks_db_col(r, "title"), 1);
	KS_CHECK_INT(ks_db_getll(r, 0, "id"), 42);
	KS_CHECK_STR(ks_db_get(r, 0, "title"), "Verfügung");
	KS_CHECK_STR(ks_db_str(r, 0, "title"), "Verfügung");
	KS_CHECK_INT(ks_db_isnull(r, 0, "title"), 0);
	PQclear(r);
}

KS_TEST(sql_null)
{
	PGresult *r = result();

	KS_CHECK(ks_db_get(r, 0, "replaced_by") == NULL);
	KS_CHECK_STR(ks_db_str(r, 0, "replaced_by"), "");
	KS_CHECK_INT(ks_db_getll(r, 0, "replaced_by"), 0);
	KS_CHECK_INT(ks_db_isnull(r, 0, "replaced_by"), 1);
	PQclear(r);
}

/* An unknown name aborts the test build, after naming the columns. */
KS_TEST(unknown_column_aborts)
{
	int	 fd[2], st = 0;
	char	 buf[256] = "";
	ssize_t	 n;
	size_t	 len;
	pid_t	 pid;

	if (pipe(fd) != 0 || (pid = fork()) < 0)
		abort();
	if (pid == 0) {
		PGresult *r = result();

		dup2(fd[1], 2);
		(void)ks_db_get(r, 0, "titel");
		_exit(0);
	}
	close(fd[1]);
	for (len = 0; len < sizeof(buf) - 1; len += (size_t)n)
		if ((n = read(fd[0], buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
	buf[len] = '\0';
	close(fd[0]);
	waitpid(pid, &st, 0);
#ifdef KS_TEST_HOOKS
	KS_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
#else
	KS_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
#endif
	KS_CHECK(strstr(buf, "no column \"titel\"") != NULL);
	KS_CHECK(strstr(buf, "id, title, replaced_by") != NULL);
}
