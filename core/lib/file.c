/*
 * file.c - a whole file read into memory (migrations, rule packs, the web
 * application's files).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>

#include "kasus.h"

char *
ks_file_read(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	/* A folder opens too (its size is no file's): regular files only. */
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (max > 0 && (size_t)st.st_size > max) ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    (n = fread(buf, 1, (size_t)st.st_size, f)) !=
	    (size_t)st.st_size || fgetc(f) != EOF) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}
