/*
 * test_file.c - ks_file_read: a whole file, NUL-terminated, its size;
 * nothing for a missing file or one above the limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kasus.h"
#include "ks_test.h"

/* A temporary file with n bytes of text; its path in path. */
static void
make(char *path, size_t size, const char *text, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, size, "/tmp/ks_test_file_XXXXXX");
	fd = mkstemp(path);
	KS_CHECK(fd >= 0);
	f = fdopen(fd, "wb");
	KS_CHECK(f != NULL && fwrite(text, 1, n, f) == n);
	fclose(f);
}

KS_TEST(reads_the_whole_file_with_its_nul_bytes)
{
	static const char text[] = "Zeile 1\n\0Ende";	/* 13 bytes, a NUL inside */
	char path[64], *s;
	size_t len = 0;

	make(path, sizeof(path), text, sizeof(text) - 1);
	s = ks_file_read(path, 0, &len);
	KS_CHECK(s != NULL);
	KS_CHECK_INT(len, sizeof(text) - 1);
	KS_CHECK(s != NULL && memcmp(s, text, len) == 0 && s[len] == '\0');
	free(s);
	/* The limit is the largest size taken. */
	s = ks_file_read(path, sizeof(text) - 1, NULL);
	KS_CHECK(s != NULL);
	free(s);
	KS_CHECK(ks_file_read(path, sizeof(text) - 2, &len) == NULL);
	unlink(path);
}

KS_TEST(an_empty_file_is_an_empty_text)
{
	char path[64], *s;
	size_t len = 99;

	make(path, sizeof(path), "", 0);
	s = ks_file_read(path, 0, &len);
	KS_CHECK(s != NULL && s[0] == '\0');
	KS_CHECK_INT(len, 0);
	free(s);
	unlink(path);
}

KS_TEST(a_missing_file_or_a_folder_gives_nothing)
{
	KS_CHECK(ks_file_read("/nonexistent/kasus/file", 0, NULL) == NULL);
	KS_CHECK(ks_file_read("/tmp", 0, NULL) == NULL);
}
