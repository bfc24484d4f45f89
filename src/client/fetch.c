/* SPDX-License-Identifier: Apache-2.0 */
/* What fetching the vendors' certificates and collateral shares (kds.c,
 * pcs.c): one GET with libcurl, and the cache directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "client_int.h"

struct get_ctx {
	struct dcr_buf *body;
	const char *header;
	char *value;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct get_ctx *g = arg;

	return dcr_buf_append(g->body, p, size * n) ? 0 : size * n;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX-decoded copy of s (n bytes). */
static char *url_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct get_ctx *g = arg;
	size_t len = size * n, hl = g->header ? strlen(g->header) : 0;

	if (hl && len > hl + 1 && !strncasecmp(p, g->header, hl) && p[hl] == ':') {
		const char *v = p + hl + 1;
		size_t vl = len - hl - 1;

		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		free(g->value);
		g->value = url_decode(v, vl);
	}
	return len;
}

enum dcr_err client_get(CURL *curl, const char *url, const char *header, char **header_value,
                        struct dcr_buf *body, long *status, struct dcr_msg *msg)
{
	struct get_ctx g = {.body = body, .header = header};
	CURLcode rc;

	*status = 0;
	if (header_value)
		*header_value = NULL;
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &g);
	if (header) {
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(curl, CURLOPT_HEADERDATA, &g);
	}
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	if (header_value)
		*header_value = g.value;
	else
		free(g.value);
	if (rc != CURLE_OK)
		return dcr_fail(msg, DCR_ERR_IO, "%s", curl_easy_strerror(rc));
	return DCR_OK;
}

/* mkdir that is happy with a directory already there. */
static bool make_dir(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST;
}

bool client_cache_path(const char *name, char *out, size_t size)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[4096];
	int n;

	/* the cache's parent (~/.cache, or $XDG_CACHE_HOME) may be missing too */
	if (x && *x)
		n = snprintf(dir, sizeof(dir), "%s", x);
	else if (home && *home)
		n = snprintf(dir, sizeof(dir), "%s/.cache", home);
	else
		return false;
	if (n <= 0 || (size_t)n >= sizeof(dir) - 4 || !make_dir(dir))
		return false;
	n = snprintf(dir + n, sizeof(dir) - (size_t)n, "/dcr");
	if (n != 4 || !make_dir(dir))
		return false;
	n = snprintf(out, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size;
}
