/*
 * static.c - the web application's built assets (web/dist), read once at
 * start-up and served from memory: index.html at / (revalidated on every
 * load), hashed files under /assets/ with a year's immutable caching.
 * The application routes with the URL fragment (#/...), so no other path
 * needs an index.html fallback.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasus.h"

#define MAX_FILES	256
#define MAX_SIZE	(8 * 1024 * 1024)

struct file {
	char	 name[128];
	char	*data;
	size_t	 len;
	char	 etag[70];
	const char *ctype;
};

static struct file files[MAX_FILES];
static int nfiles;

static const char *
ctype_of(const char *name)
{
	static const struct { const char *ext, *type; } t[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".woff", "font/woff" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ NULL, NULL }
	};
	size_t n = strlen(name), e;
	int i;

	for (i = 0; t[i].ext != NULL; i++) {
		e = strlen(t[i].ext);
		if (n > e && strcmp(name + n - e, t[i].ext) == 0)
			return t[i].type;
	}
	return "application/octet-stream";
}

static int
load(const char *dir, const char *name, const char *key)
{
	char path[1024];
	struct file *f;

	if (nfiles == MAX_FILES)
		return KS_ERROR;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = &files[nfiles];
	if ((f->data = ks_file_read(path, MAX_SIZE, &f->len)) == NULL)
		return KS_ERROR;
	snprintf(f->name, sizeof(f->name), "%s", key);
	f->ctype = ctype_of(name);
	f->etag[0] = '"';
	ks_sha256_hex(f->data, f->len, f->etag + 1);
	strcat(f->etag, "\"");
	nfiles++;
	return KS_OK;
}

/** Load web/dist; a missing build only means no web application. */
int
ks_static_load(void)
{
	char dist[1024], assets[1100];
	struct dirent *de;
	DIR *d;

	snprintf(dist, sizeof(dist), "%s/web/dist", ks_conf.root);
	if (load(dist, "index.html", "index.html") != KS_OK) {
		ks_log(KS_LOG_WARN, "no web application build in %s", dist);
		return KS_OK;
	}
	snprintf(assets, sizeof(assets), "%s/assets", dist);
	if ((d = opendir(assets)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || strlen(de->d_name) > 120)
				continue;
			if (load(assets, de->d_name, de->d_name) != KS_OK)
				ks_log(KS_LOG_WARN, "asset %s not loaded",
				    de->d_name);
		}
		closedir(d);
	}
	ks_log(KS_LOG_INFO, "web application: %d files", nfiles);
	return KS_OK;
}

void
ks_static_free(void)
{
	int i;

	for (i = 0; i < nfiles; i++)
		free(files[i].data);
	nfiles = 0;
}

static int
send_file(struct ks_request *req, const char *name, const char *cache)
{
	const char *inm;
	int i;

	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i].name, name) == 0)
			break;
	if (i == nfiles)
		return ks_fail(req, 404, "not_found",
		    "there is nothing at this address");
	ks_header(req, "Cache-Control", cache);
	ks_header(req, "ETag", files[i].etag);
	inm = ks_req_header(req, "If-None-Match");
	req->ctype = files[i].ctype;
	if (inm != NULL && strcmp(inm, files[i].etag) == 0) {
		req->status = 304;
		req->raw = "";
		req->raw_len = 0;
		return KS_OK;
	}
	req->raw = files[i].data;
	req->raw_len = files[i].len;
	req->raw_static = 1;	/* freed after the server stops */
	return KS_OK;
}

static int
index_page(struct ks_request *req)
{
	return send_file(req, "index.html", "no-cache");
}

static int
asset(struct ks_request *req)
{
	return send_file(req, ks_param(req, "file"),
	    "public, max-age=31536000, immutable");
}

static const struct ks_route routes[] = {
	{ "GET", "/", NULL, 0, NULL, KS_R_PUBLIC | KS_R_RAW, index_page,
	    "the web application", NULL },
	{ "GET", "/assets/{file}", NULL, 0, NULL, KS_R_PUBLIC | KS_R_RAW,
	    asset, "web application assets (hashed names)", NULL },
	KS_ROUTES_END
};

void
ks_static_register(void)
{
	ks_router_add(routes, NULL);
}
