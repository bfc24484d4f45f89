/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming upload: file -> id rewriter -> envelope writer -> a small queue
 * that curl's read callback drains, so memory stays flat for any file. The
 * body's hash is known only at its end, so the signature goes out as an
 * HTTP trailer (docs/API.md, "Signed requests"). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "client_int.h"

#define READ_SIZE (16u << 10)      /* input bytes per read: bounds the queue's growth */
#define QUEUE_MAX (8u << 20)       /* 16 KiB of ids can grow ~33x, plus one chunk */
#define UPLOAD_ANSWER_MAX (64u << 10)

struct pipeline {
	struct dcr_client *cl;
	int fd;
	uint64_t total;
	dcr_progress_fn progress;
	void *progress_ctx;
	struct dcr_id_rewriter *rw;
	struct dcr_envelope_writer *ew;
	struct dcr_buf queue;          /* envelope bytes not yet given to curl */
	size_t queue_at;               /* the first of them */
	uint8_t *in;                   /* READ_SIZE bytes */
	uint64_t read_bytes, sent_bytes;
	bool input_done;               /* the file ended and the envelope is finished */
	enum dcr_err err;              /* why the stream stopped, if it did */
	struct dcr_msg msg;
	struct dcr_sha256_ctx body_hash;
	const char *path;
	int64_t timestamp;
	char nonce[DCR_NONCE_HEX_SIZE];
};

static enum dcr_err to_envelope(void *ctx, const uint8_t *data, size_t size)
{
	struct pipeline *p = ctx;

	return dcr_envelope_writer_write(p->ew, data, size);
}

static enum dcr_err to_queue(void *ctx, const uint8_t *data, size_t size)
{
	struct pipeline *p = ctx;

	return dcr_buf_append(&p->queue, data, size);
}

/* Reads one piece of the file and pushes it through; at the end of the
 * file, finishes the rewriter and then, only if all went well, the
 * envelope. An error anywhere leaves the envelope without its final chunk:
 * the room can never take a cut-off file for a whole one. */
static enum dcr_err pump(struct pipeline *p)
{
	ssize_t n;

	if (p->err || p->input_done)
		return p->err;
	do
		n = read(p->fd, p->in, READ_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		p->err = dcr_fail(&p->msg, DCR_ERR_IO, "cannot read the file: %s", strerror(errno));
		return p->err;
	}
	if (n == 0) {
		if ((p->err = dcr_id_rewriter_finish(p->rw, &p->msg)))
			return p->err;
		if ((p->err = dcr_envelope_writer_finish(p->ew))) {
			dcr_msg_set(&p->msg, "cannot seal the data: %s", dcr_strerror(p->err));
			return p->err;
		}
		p->input_done = true;
	} else {
		p->read_bytes += (uint64_t)n;
		if ((p->err = dcr_id_rewriter_write(p->rw, p->in, (size_t)n, &p->msg)))
			return p->err;
	}
	if (p->progress)
		p->progress(p->progress_ctx, p->read_bytes, p->total);
	return DCR_OK;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct pipeline *p = ctx;
	size_t room = size * nitems, n;

	if (p->queue_at == p->queue.size) {
		dcr_buf_reset(&p->queue);
		p->queue_at = 0;
	}
	while (p->queue_at == p->queue.size && !p->input_done)
		if (pump(p))
			return CURL_READFUNC_ABORT;
	n = p->queue.size - p->queue_at;
	if (n > room)
		n = room;
	if (n) {
		memcpy(buf, p->queue.data + p->queue_at, n);
		dcr_sha256_update(&p->body_hash, buf, n);
		p->queue_at += n;
		p->sent_bytes += n;
	}
	return n; /* 0 once the envelope is all out: the last chunk, then trailers */
}

static int on_trailer(struct curl_slist **list, void *ctx)
{
	struct pipeline *p = ctx;
	char line[DCR_SIGNATURE_B64_SIZE + 64], sig[DCR_SIGNATURE_B64_SIZE];
	uint8_t hash[32];
	struct curl_slist *n;

	if (!p->input_done || p->err)
		return CURL_TRAILERFUNC_ABORT;
	dcr_sha256_final(&p->body_hash, hash);
	if (dcr_proto_sign_request(p->cl->key, "PUT", p->path, p->timestamp, p->nonce, hash, sig)) {
		p->err = dcr_fail(&p->msg, DCR_ERR_INTERNAL, "cannot sign the upload");
		return CURL_TRAILERFUNC_ABORT;
	}
	snprintf(line, sizeof(line), "%s: %s", DCR_HEADER_SIGNATURE, sig);
	n = curl_slist_append(*list, line);
	if (!n) {
		p->err = dcr_fail(&p->msg, DCR_ERR_NOMEM, "out of memory");
		return CURL_TRAILERFUNC_ABORT;
	}
	*list = n;
	return CURL_TRAILERFUNC_OK;
}

static enum dcr_err add(struct curl_slist **h, const char *line)
{
	struct curl_slist *n = curl_slist_append(*h, line);

	if (!n)
		return DCR_ERR_NOMEM;
	*h = n;
	return DCR_OK;
}

/* The room's answer against what was sent. */
static enum dcr_err check_answer(const json_t *j, const struct dcr_id_rewriter_stats *st,
                                 struct dcr_upload_answer *out, struct dcr_msg *msg)
{
	const json_t *rows = json_object_get(j, "rows");
	const json_t *bytes = json_object_get(j, "bytes");
	const json_t *seq = json_object_get(j, "audit_seq");
	const char *ch = json_string_value(json_object_get(j, "content_hash"));
	struct dcr_upload_answer a = {0};

	if (!json_is_integer(rows) || !ch || !json_is_integer(seq) ||
	    json_integer_value(rows) < 0 || json_integer_value(seq) < 0 ||
	    dcr_hex_decode(a.content_hash, 32, ch, strlen(ch)))
		return dcr_fail(msg, DCR_ERR_VERIFY, "upload: the clean room's answer lacks \"%s\"",
		                !json_is_integer(rows) ? "rows" : !json_is_integer(seq) ? "audit_seq"
		                                                                        : "content_hash");
	a.rows = (uint64_t)json_integer_value(rows);
	a.audit_seq = (uint64_t)json_integer_value(seq);
	a.bytes = json_is_integer(bytes) && json_integer_value(bytes) >= 0
	                  ? (uint64_t)json_integer_value(bytes) : 0;
	if (memcmp(a.content_hash, st->content_hash, 32))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "upload: the clean room's content hash is not that of the data sent");
	if (a.rows != st->rows)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "upload: the clean room counted %" PRIu64 " rows, %" PRIu64 " were sent",
		                a.rows, st->rows);
	*out = a;
	return DCR_OK;
}

enum dcr_err dcr_client_upload(struct dcr_client *cl, const char *dataset, int fd,
                               uint64_t total, dcr_progress_fn progress, void *progress_ctx,
                               struct dcr_id_rewriter_stats *out_stats,
                               struct dcr_upload_answer *out, struct dcr_msg *msg)
{
	struct pipeline p = {0};
	struct client_answer ans = {0};
	struct curl_slist *headers = NULL;
	const struct dcr_dataset *ds;
	char path[300];
	void *j = NULL;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	if (out_stats)
		memset(out_stats, 0, sizeof(*out_stats));
	if (!cl->attested || !cl->key)
		return dcr_fail(msg, DCR_ERR_INTERNAL, "upload: no attested clean room or no key");
	ds = dcr_contract_dataset(cl->contract, dataset);
	if (!ds)
		return dcr_fail(msg, DCR_ERR_NOT_FOUND, "the contract has no dataset %s", dataset);
	if (&cl->contract->parties[ds->owner] != cl->party)
		return dcr_fail(msg, DCR_ERR_REFUSED,
		                "dataset %s belongs to party %s: %s may not upload it", ds->name,
		                cl->contract->parties[ds->owner].name, cl->party->name);
	snprintf(path, sizeof(path), "/v1/datasets/%s", ds->name);
	p.cl = cl;
	p.fd = fd;
	p.total = total;
	p.progress = progress;
	p.progress_ctx = progress_ctx;
	p.path = path;
	dcr_buf_init(&p.queue, QUEUE_MAX);
	dcr_buf_init(&ans.body, UPLOAD_ANSWER_MAX);
	dcr_sha256_init(&p.body_hash);
	p.in = malloc(READ_SIZE);
	if (!p.in) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((err = dcr_envelope_writer_new(&cl->room.key, to_queue, &p, &p.ew)) ||
	    (err = dcr_id_rewriter_new(ds, NULL, to_envelope, &p, &p.rw))) {
		err = dcr_fail(msg, err, "upload: cannot start: %s", dcr_strerror(err));
		goto out;
	}
	/* the header is checked before a byte goes out: a wrong file is
	 * refused here, not half-way through a transfer */
	while (!dcr_id_rewriter_header_done(p.rw) && !p.input_done && !pump(&p))
		;
	if (p.err) {
		err = p.err;
		*msg = p.msg;
		goto out;
	}
	err = client_http_setup(cl, "PUT", path, true, NULL, &p.timestamp, p.nonce, &ans, &headers,
	                        msg);
	if (err)
		goto out;
	if ((err = add(&headers, "Content-Type: " DCR_ENVELOPE_MEDIA_TYPE)) ||
	    (err = add(&headers, "Transfer-Encoding: chunked")) ||
	    (err = add(&headers, "Trailer: " DCR_HEADER_SIGNATURE)) ||
	    /* no 100-continue round trip: the room reads as the body streams */
	    (err = add(&headers, "Expect:"))) {
		err = dcr_fail(msg, err, "out of memory");
		goto out;
	}
	curl_easy_setopt(cl->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(cl->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(cl->curl, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(cl->curl, CURLOPT_READDATA, &p);
	curl_easy_setopt(cl->curl, CURLOPT_TRAILERFUNCTION, on_trailer);
	curl_easy_setopt(cl->curl, CURLOPT_TRAILERDATA, &p);
	err = client_http_perform(cl, "upload", &ans, msg);
	if (p.err) {
		/* our side stopped the stream: that is the error to report */
		err = p.err;
		*msg = p.msg;
		goto out;
	}
	if (err)
		goto out;
	if (ans.status / 100 != 2) {
		err = client_answer_error(&ans, "upload", false, msg);
		goto out;
	}
	if (!p.input_done) {
		err = dcr_fail(msg, DCR_ERR_IO, "upload: the clean room answered before the whole "
		               "file was sent");
		goto out;
	}
	if ((err = client_open_answer(cl, &ans, "upload", &j, msg)))
		goto out;
	{
		struct dcr_id_rewriter_stats st;

		dcr_id_rewriter_stats(p.rw, &st);
		err = check_answer(j, &st, out, msg);
		out->bytes_sent = p.sent_bytes;
	}
out:
	if (out_stats && p.rw)
		dcr_id_rewriter_stats(p.rw, out_stats);
	json_decref(j);
	curl_slist_free_all(headers);
	dcr_id_rewriter_free(p.rw);
	dcr_envelope_writer_free(p.ew);
	dcr_sha256_discard(&p.body_hash);
	dcr_buf_free(&p.queue);
	dcr_buf_free(&ans.body);
	free(p.in);
	return err;
}
