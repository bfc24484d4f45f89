/* SPDX-License-Identifier: Apache-2.0 */
/* The client's HTTP layer over libcurl: one handle per client, timeouts, a
 * cap on every answer, no redirects, signed headers (docs/API.md), and
 * messages that say which server could not be reached and why. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client_int.h"

#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_IDLE_TIMEOUT 300

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* "scheme://host[:port]" from what the user typed; no path, user or query. */
static enum dcr_err parse_base(const char *url, char out[static CLIENT_URL_SIZE],
                               struct dcr_msg *msg)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *path = NULL, *query = NULL, *user = NULL, *frag = NULL;
	char *full = NULL;
	enum dcr_err err = DCR_OK;
	size_t n;

	if (!u)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	/* a bare host:port means plain http, as dcr serve listens */
	if (!strstr(url, "://")) {
		char with[CLIENT_URL_SIZE];

		if ((size_t)snprintf(with, sizeof(with), "http://%s", url) >= sizeof(with)) {
			err = dcr_fail(msg, DCR_ERR_USAGE, "--server: the URL is too long");
			goto out;
		}
		if (curl_url_set(u, CURLUPART_URL, with, CURLU_NON_SUPPORT_SCHEME))
			err = DCR_ERR_USAGE;
	} else if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME)) {
		err = DCR_ERR_USAGE;
	}
	if (err) {
		err = dcr_fail(msg, DCR_ERR_USAGE, "--server '%s' is not a URL (e.g. http://host:8080)",
		               url);
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		err = dcr_fail(msg, DCR_ERR_USAGE, "--server '%s': only http:// and https:// are "
		               "supported", url);
		goto out;
	}
	if ((path && strcmp(path, "/") && *path) || query || user || frag) {
		/* the path is signed as sent: a prefix a proxy strips would break it */
		err = dcr_fail(msg, DCR_ERR_USAGE, "--server '%s': give the clean room's address "
		               "only (scheme, host, port), without a path", url);
		goto out;
	}
	curl_url_set(u, CURLUPART_PATH, "/", 0);
	if (curl_url_get(u, CURLUPART_URL, &full, 0) || !full) {
		err = dcr_fail(msg, DCR_ERR_USAGE, "--server '%s' is not a URL", url);
		goto out;
	}
	n = strlen(full);
	while (n && full[n - 1] == '/')
		n--;
	if (n >= CLIENT_URL_SIZE) {
		err = dcr_fail(msg, DCR_ERR_USAGE, "--server: the URL is too long");
		goto out;
	}
	memcpy(out, full, n);
	out[n] = '\0';
out:
	curl_free(scheme);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_free(frag);
	curl_free(full);
	curl_url_cleanup(u);
	return err;
}

enum dcr_err dcr_client_new(const char *url, const struct dcr_contract *c,
                            const struct dcr_seckey *key, const struct dcr_client_options *opts,
                            struct dcr_client **out, struct dcr_msg *msg)
{
	struct dcr_client *cl;
	enum dcr_err err;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return dcr_fail(msg, DCR_ERR_INTERNAL, "cannot initialise libcurl");
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	if ((err = parse_base(url, cl->base, msg)))
		goto fail;
	cl->contract = c;
	cl->key = key;
	cl->connect_timeout = opts && opts->connect_timeout > 0 ? opts->connect_timeout
	                                                          : DEFAULT_CONNECT_TIMEOUT;
	cl->idle_timeout = opts && opts->idle_timeout > 0 ? opts->idle_timeout
	                                                    : DEFAULT_IDLE_TIMEOUT;
	if (key) {
		struct dcr_pubkey pk;

		dcr_seckey_public(key, &pk);
		for (size_t i = 0; i < c->party_count; i++)
			if (dcr_pubkey_equal(&c->parties[i].key, &pk))
				cl->party = &c->parties[i];
		if (!cl->party) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "the key is not the key of any party of contract %s", c->id);
			goto fail;
		}
	}
	cl->curl = curl_easy_init();
	if (!cl->curl) {
		err = dcr_fail(msg, DCR_ERR_INTERNAL, "cannot start a libcurl handle");
		goto fail;
	}
	snprintf(cl->room.url, sizeof(cl->room.url), "%s", cl->base);
	*out = cl;
	return DCR_OK;
fail:
	free(cl);
	return err;
}

void dcr_client_free(struct dcr_client *cl)
{
	if (!cl)
		return;
	if (cl->curl)
		curl_easy_cleanup(cl->curl);
	dcr_buf_free(&cl->vcek);
	dcr_buf_free(&cl->collateral);
	free(cl);
}

const struct dcr_party *dcr_client_party(const struct dcr_client *cl)
{
	return cl->party;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct client_answer *ans = ctx;
	size_t n = size * nmemb;

	if (dcr_buf_append(&ans->body, ptr, n) != DCR_OK) {
		ans->too_big = true;
		return 0; /* stops the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

static enum dcr_err add_header(struct curl_slist **h, const char *fmt, ...) DCR_PRINTF(2, 3);

static enum dcr_err add_header(struct curl_slist **h, const char *fmt, ...)
{
	char line[512];
	struct curl_slist *n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = curl_slist_append(*h, line);
	if (!n)
		return DCR_ERR_NOMEM;
	*h = n;
	return DCR_OK;
}

enum dcr_err client_http_setup(struct dcr_client *cl, const char *method, const char *path,
                               bool sign, const uint8_t *body_hash, int64_t *out_timestamp,
                               char out_nonce[static DCR_NONCE_HEX_SIZE],
                               struct client_answer *ans, struct curl_slist **headers,
                               struct dcr_msg *msg)
{
	CURL *h = cl->curl;
	char url[CLIENT_URL_SIZE + 256];
	enum dcr_err err = DCR_OK;

	*headers = NULL;
	out_nonce[0] = '\0';
	*out_timestamp = 0;
	snprintf(url, sizeof(url), "%s%s", cl->base, path);
	/* reset: nothing of a previous request's options may leak into this
	 * one; the connection cache survives */
	curl_easy_reset(h);
	cl->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cl->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cl->connect_timeout);
	/* no total timeout (an upload may take hours); a stall is what fails */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, cl->idle_timeout);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dcr/" DCR_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
	if (sign && cl->key) {
		char sig[DCR_SIGNATURE_B64_SIZE];

		*out_timestamp = (int64_t)time(NULL);
		dcr_proto_nonce(out_nonce);
		if ((err = add_header(headers, "%s: %s", DCR_HEADER_PARTY, cl->party->name)) ||
		    (err = add_header(headers, "%s: %" PRId64, DCR_HEADER_TIMESTAMP,
		                      *out_timestamp)) ||
		    (err = add_header(headers, "%s: %s", DCR_HEADER_NONCE, out_nonce)))
			goto out;
		if (body_hash) {
			err = dcr_proto_sign_request(cl->key, method, path, *out_timestamp, out_nonce,
			                             body_hash, sig);
			if (!err)
				err = add_header(headers, "%s: %s", DCR_HEADER_SIGNATURE, sig);
		}
	}
out:
	if (err) {
		curl_slist_free_all(*headers);
		*headers = NULL;
		return dcr_fail(msg, err, "cannot build the request: %s", dcr_strerror(err));
	}
	return DCR_OK;
}

enum dcr_err client_http_perform(struct dcr_client *cl, const char *what,
                                 struct client_answer *ans, struct dcr_msg *msg)
{
	CURLcode rc = curl_easy_perform(cl->curl);
	const char *why = cl->errbuf[0] ? cl->errbuf : curl_easy_strerror(rc);

	if (ans->too_big)
		return dcr_fail(msg, DCR_ERR_TOO_BIG,
		                "%s: the clean room's answer is over the limit of %zu bytes", what,
		                ans->body.max);
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return dcr_fail(msg, DCR_ERR_IO, "cannot find the clean room's host %s: %s",
		                cl->base, why);
	case CURLE_COULDNT_CONNECT:
		return dcr_fail(msg, DCR_ERR_IO,
		                "cannot connect to the clean room at %s (is dcr serve running "
		                "there?): %s",
		                cl->base, why);
	case CURLE_OPERATION_TIMEDOUT:
		return dcr_fail(msg, DCR_ERR_IO, "%s: the clean room at %s stopped answering: %s",
		                what, cl->base, why);
	default:
		return dcr_fail(msg, DCR_ERR_IO, "%s: talking to the clean room at %s failed: %s",
		                what, cl->base, why);
	}
	curl_easy_getinfo(cl->curl, CURLINFO_RESPONSE_CODE, &ans->status);
	return DCR_OK;
}

enum dcr_err client_http(struct dcr_client *cl, const struct client_request *rq,
                         struct client_answer *ans, struct dcr_msg *msg)
{
	struct curl_slist *headers = NULL;
	uint8_t body_hash[32];
	int64_t ts;
	char nonce[DCR_NONCE_HEX_SIZE];
	enum dcr_err err;

	memset(ans, 0, sizeof(*ans));
	dcr_buf_init(&ans->body, rq->max_answer);
	dcr_sha256(rq->body ? rq->body : "", rq->body ? rq->body_size : 0, body_hash);
	err = client_http_setup(cl, rq->method, rq->path, rq->sign, body_hash, &ts, nonce, ans,
	                        &headers, msg);
	if (err)
		return err;
	if (!strcmp(rq->method, "POST")) {
		struct curl_slist *n = curl_slist_append(headers, "Content-Type: "
		                                         DCR_ENVELOPE_MEDIA_TYPE);

		if (!n) {
			curl_slist_free_all(headers);
			return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		}
		headers = n;
		curl_easy_setopt(cl->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(cl->curl, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(cl->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_size);
	}
	curl_easy_setopt(cl->curl, CURLOPT_HTTPHEADER, headers);
	err = client_http_perform(cl, rq->what, ans, msg);
	curl_slist_free_all(headers);
	return err;
}

/* The room's message, made safe for a terminal: no control characters. */
static void clean_text(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src && n + 1 < size; src++)
		dst[n++] = (unsigned char)*src < 0x20 || *src == 0x7f ? ' ' : *src;
	dst[n] = '\0';
}

enum dcr_err client_answer_error(const struct client_answer *ans, const char *what, bool sql,
                                 struct dcr_msg *msg)
{
	json_t *j = json_loadb((const char *)ans->body.data, ans->body.size, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));
	char text[400];
	enum dcr_err err;

	clean_text(text, sizeof(text), e ? e : "(no message)");
	json_decref(j);
	switch (ans->status) {
	case 400: err = sql ? DCR_ERR_SQL : DCR_ERR_INVALID; break;
	case 401: err = DCR_ERR_VERIFY; break;
	case 403:
	case 422: err = DCR_ERR_REFUSED; break;
	case 404: err = DCR_ERR_NOT_FOUND; break;
	case 413: err = DCR_ERR_TOO_BIG; break;
	default: err = DCR_ERR_IO; break;
	}
	if (ans->status >= 500)
		return dcr_fail(msg, err, "%s failed in the clean room (HTTP %ld): %s", what,
		                ans->status, text);
	if (ans->status == 401)
		return dcr_fail(msg, err,
		                "%s: the clean room did not accept this party's signature (HTTP "
		                "401): %s",
		                what, text);
	return dcr_fail(msg, err, "%s refused by the clean room (HTTP %ld): %s", what, ans->status,
	                text);
}

enum dcr_err client_open_answer(struct dcr_client *cl, const struct client_answer *ans,
                                const char *what, void **out, struct dcr_msg *msg)
{
	struct dcr_buf plain;
	struct dcr_msg why = {{0}};
	json_error_t je;
	json_t *j;
	enum dcr_err err;

	*out = NULL;
	err = dcr_envelope_open(cl->key, ans->body.data, ans->body.size, ans->body.max, &plain,
	                        &why);
	if (err)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: the clean room's answer does not open with this party's key: %s",
		                what, why.text[0] ? why.text : dcr_strerror(err));
	j = json_loadb((const char *)plain.data, plain.size, JSON_REJECT_DUPLICATES, &je);
	dcr_buf_free(&plain);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return dcr_fail(msg, DCR_ERR_VERIFY, "%s: the clean room's answer is not a JSON "
		                "object", what);
	}
	*out = j;
	return DCR_OK;
}
