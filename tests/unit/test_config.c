/*
 * test_config.c - defaults, a key = value file, KASUS_* environment on
 * top, and the errors for unknown keys, bad numbers and bad levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kasus.h"
#include "ks_test.h"

extern char **environ;

static char path[64];

/* The tests must not see the KASUS_* of a surrounding run.sh. */
static void
clear_env(void)
{
	char name[128], **e;
	size_t n;
	int again = 1;

	while (again) {
		again = 0;
		for (e = environ; *e != NULL; e++) {
			if (strncmp(*e, "KASUS_", 6) != 0)
				continue;
			n = strcspn(*e, "=");
			if (n >= sizeof(name))
				continue;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = 1;
			break;
		}
	}
}

static const char *
write_conf(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/ks-test-conf-XXXXXX");
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		perror("mkstemp");
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

static int
load(const char *text, char *err, size_t errlen)
{
	int rc;

	err[0] = '\0';
	if (text == NULL)
		return ks_config_load(NULL, err, errlen);
	rc = ks_config_load(write_conf(text), err, errlen);
	unlink(path);
	return rc;
}

KS_TEST(defaults_without_file)
{
	char err[256];

	clear_env();
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_conf.port, 8080);
	KS_CHECK_STR(ks_conf.listen_addr, "127.0.0.1");
	KS_CHECK_INT(ks_conf.threads, 1);
	KS_CHECK_INT(ks_conf.request_threads, 4);
	KS_CHECK(ks_conf.workers >= 1);
	KS_CHECK_INT(ks_conf.scrypt_log2n, 15);
	KS_CHECK_INT(ks_conf.session_idle, 1800);
	KS_CHECK_INT(ks_conf.behind_tls, 0);
	KS_CHECK_INT(ks_conf.demo, 0);
	KS_CHECK_INT(ks_conf.log_level, KS_LOG_INFO);
}

KS_TEST(file_values)
{
	char err[256];

	clear_env();
	KS_CHECK_INT(load(
	    "# Kasus test configuration\n"
	    "\n"
	    "port = 9090\n"
	    "  listen=0.0.0.0  \n"
	    "workers = 3\n"
	    "threads = 6\n"
	    "header_memory_limit = 65536\n"
	    "db_app = host=127.0.0.1 port=5432 dbname=kasus user=kasus_app\n"
	    "log_level = WARN\n"
	    "modules = sozialhilfe,kesb\n"
	    "\tbehind_tls = 1\n",
	    err, sizeof(err)), KS_OK);
	KS_CHECK_STR(err, "");
	KS_CHECK_INT(ks_conf.port, 9090);
	KS_CHECK_STR(ks_conf.listen_addr, "0.0.0.0");
	KS_CHECK_INT(ks_conf.workers, 3);
	KS_CHECK_INT(ks_conf.threads, 6);
	KS_CHECK_INT(ks_conf.header_mem_limit, 65536);
	/* The value runs to the end of the line, '=' included. */
	KS_CHECK_STR(ks_conf.db_app,
	    "host=127.0.0.1 port=5432 dbname=kasus user=kasus_app");
	KS_CHECK_INT(ks_conf.log_level, KS_LOG_WARN);
	KS_CHECK_STR(ks_conf.modules, "sozialhilfe,kesb");
	KS_CHECK_INT(ks_conf.behind_tls, 1);
	/* Unset keys keep their defaults. */
	KS_CHECK_INT(ks_conf.redis_port, 6379);
	ks_log_set_level(KS_LOG_INFO);
}

KS_TEST(reload_starts_from_defaults)
{
	char err[256];

	clear_env();
	KS_CHECK_INT(load("port = 9191\n", err, sizeof(err)), KS_OK);
	KS_CHECK_INT(load("threads = 2\n", err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_conf.port, 8080);
	KS_CHECK_INT(ks_conf.threads, 2);
}

KS_TEST(env_overrides_file)
{
	char err[256];

	clear_env();
	setenv("KASUS_PORT", "18190", 1);
	setenv("KASUS_DB_APP", "dbname=from_env", 1);
	setenv("KASUS_LOG_LEVEL", "error", 1);
	KS_CHECK_INT(load("port = 9090\ndb_app = dbname=from_file\n"
	    "redis_port = 7000\n", err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_conf.port, 18190);
	KS_CHECK_STR(ks_conf.db_app, "dbname=from_env");
	KS_CHECK_INT(ks_conf.log_level, KS_LOG_ERROR);
	KS_CHECK_INT(ks_conf.redis_port, 7000);
	clear_env();
	ks_log_set_level(KS_LOG_INFO);
}

KS_TEST(env_bad_number)
{
	char err[256];

	clear_env();
	setenv("KASUS_PORT", "80x", 1);
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_ERROR);
	KS_CHECK(strstr(err, "port") != NULL);
	setenv("KASUS_PORT", "", 1);
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_ERROR);
	clear_env();
}

KS_TEST(unknown_key)
{
	char err[256];

	clear_env();
	KS_CHECK_INT(load("port = 9090\nprot = 9091\n", err, sizeof(err)),
	    KS_ERROR);
	KS_CHECK(strstr(err, "unknown key prot") != NULL);
	KS_CHECK(strstr(err, ":2:") != NULL);	/* the line is named */
}

KS_TEST(bad_numbers)
{
	static const char *bad[] = {
		"port = abc\n",
		"port = 80x\n",
		"port = -1\n",
		"port =\n",
		"port = 1.5\n",
		"threads = 99999999999999999999\n",
		"header_memory_limit = 1e6\n",
		NULL
	};
	char err[256];
	int i;

	clear_env();
	for (i = 0; bad[i] != NULL; i++) {
		if (load(bad[i], err, sizeof(err)) != KS_ERROR)
			KS_FAILF("accepted: %s", bad[i]);
		else if (strstr(err, "whole number") == NULL)
			KS_FAILF("%s: unexpected message \"%s\"", bad[i], err);
	}
}

KS_TEST(other_errors)
{
	char err[256], longv[700], text[800];

	clear_env();
	KS_CHECK_INT(load("just some words\n", err, sizeof(err)), KS_ERROR);
	KS_CHECK(strstr(err, "key = value") != NULL);
	KS_CHECK_INT(load("log_level = loud\n", err, sizeof(err)), KS_ERROR);
	KS_CHECK(strstr(err, "log_level") != NULL);
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	snprintf(text, sizeof(text), "db_app = %s\n", longv);
	KS_CHECK_INT(load(text, err, sizeof(err)), KS_ERROR);
	KS_CHECK(strstr(err, "too long") != NULL);
	KS_CHECK_INT(ks_config_load("/nonexistent/kasus.conf", err,
	    sizeof(err)), KS_ERROR);
	KS_CHECK(strstr(err, "/nonexistent/kasus.conf") != NULL);
}

/* Background jobs: defaults, and limits the runner relies on. */
KS_TEST(job_settings)
{
	char err[256];

	clear_env();
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_conf.job_threads, 1);
	KS_CHECK_INT(ks_conf.job_poll_ms, 1000);
	KS_CHECK_INT(ks_conf.job_schedule_s, 60);
	KS_CHECK_INT(ks_conf.job_keep_days, 30);
	KS_CHECK(ks_conf.rules_cache_memory == 24L * 1024 * 1024);
	KS_CHECK_INT(load("job_threads = 0\njob_poll_ms = 50\n"
	    "job_schedule_s = 3600\nrules_cache_memory = 1048576\n", err,
	    sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_conf.job_threads, 0);
	KS_CHECK(ks_conf.rules_cache_memory == 1048576);
	KS_CHECK_INT(load("request_threads = 0\n", err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_conf.request_threads, 0);
	KS_CHECK_INT(load("request_threads = 65\n", err, sizeof(err)),
	    KS_ERROR);
	KS_CHECK(strstr(err, "request_threads") != NULL);
	KS_CHECK_INT(load("job_threads = 17\n", err, sizeof(err)), KS_ERROR);
	KS_CHECK(strstr(err, "job_threads") != NULL);
	KS_CHECK_INT(load("job_poll_ms = 10\n", err, sizeof(err)), KS_ERROR);
	KS_CHECK_INT(load("job_schedule_s = 0\n", err, sizeof(err)), KS_ERROR);
	KS_CHECK_INT(load("job_keep_days = 0\n", err, sizeof(err)), KS_ERROR);
	setenv("KASUS_JOB_SCHEDULE_S", "2", 1);
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_conf.job_schedule_s, 2);
	unsetenv("KASUS_JOB_SCHEDULE_S");
}

/*
 * scrypt_log2n feeds (uint64_t)1 << log2n in crypto.c and must stay
 * within what ks_password_verify accepts (10..20): 64 or more is
 * undefined behaviour, below 10 makes hashes no login can verify.
 */
KS_TEST(scrypt_cost_is_bounded)
{
	char err[256];

	clear_env();
	KS_CHECK_INT(load("scrypt_log2n = 14\n", err, sizeof(err)), KS_OK);
	if (load("scrypt_log2n = 64\n", err, sizeof(err)) == KS_OK)
		KS_FAILF("scrypt_log2n = 64 accepted");
	if (load("scrypt_log2n = 9\n", err, sizeof(err)) == KS_OK)
		KS_FAILF("scrypt_log2n = 9 accepted (verify refuses < 10)");
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_OK);
}

/*
 * trusted_proxies: the peers whose X-Forwarded-For names the client
 * (login throttling per client). Addresses and ranges, IPv4 and IPv6;
 * an IPv4-mapped IPv6 peer matches its IPv4 entry; anything else is a
 * configuration error, not a silently empty list.
 */
KS_TEST(trusted_proxies)
{
	char err[256];

	clear_env();
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_trusted_proxy("127.0.0.1"), 0);
	KS_CHECK_INT(load("trusted_proxies = 127.0.0.1, 10.1.0.0/16 "
	    "fd00::/8\n", err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_trusted_proxy("127.0.0.1"), 1);
	KS_CHECK_INT(ks_trusted_proxy("::ffff:127.0.0.1"), 1);
	KS_CHECK_INT(ks_trusted_proxy("127.0.0.2"), 0);
	KS_CHECK_INT(ks_trusted_proxy("10.1.255.7"), 1);
	KS_CHECK_INT(ks_trusted_proxy("10.2.0.1"), 0);
	KS_CHECK_INT(ks_trusted_proxy("fd12::1"), 1);
	KS_CHECK_INT(ks_trusted_proxy("fe80::1"), 0);
	KS_CHECK_INT(ks_trusted_proxy("not an address"), 0);
	KS_CHECK_INT(ks_trusted_proxy(""), 0);
	KS_CHECK_INT(load("trusted_proxies = 10.0.0.0/12\n", err,
	    sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_trusted_proxy("10.15.1.1"), 1);
	KS_CHECK_INT(ks_trusted_proxy("10.16.0.1"), 0);
	KS_CHECK_INT(load("trusted_proxies = 10.0.0.0/33\n", err,
	    sizeof(err)), KS_ERROR);
	KS_CHECK(strstr(err, "trusted_proxies") != NULL);
	KS_CHECK_INT(load("trusted_proxies = proxy.example\n", err,
	    sizeof(err)), KS_ERROR);
	KS_CHECK_INT(load("trusted_proxies = 10.0.0.1/\n", err,
	    sizeof(err)), KS_ERROR);
	KS_CHECK_INT(load(NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_trusted_proxy("10.0.0.1"), 0);
}
