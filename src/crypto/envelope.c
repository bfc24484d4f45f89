/* SPDX-License-Identifier: Apache-2.0 */
/* The envelope format (docs/ENVELOPE.md): a data key sealed to the recipient's
 * X25519 key, then the payload as secretstream chunks of 64 KiB. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_int.h"

#define MAGIC "DCRENV"
#define MAGIC_SIZE 6
#define VERSION 1
#define OFF_VERSION 6
#define OFF_RESERVED 7
#define OFF_SEALED 8
#define KEY_SIZE crypto_secretstream_xchacha20poly1305_KEYBYTES
#define SEALED_SIZE (crypto_box_SEALBYTES + KEY_SIZE)
#define OFF_STREAM (OFF_SEALED + SEALED_SIZE)
#define HEADER_SIZE DCR_ENVELOPE_HEADER_SIZE
#define CHUNK_SIZE DCR_ENVELOPE_CHUNK_SIZE
#define CHUNK_MAX (DCR_ENVELOPE_CHUNK_SIZE + DCR_ENVELOPE_CHUNK_OVERHEAD)

#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL

_Static_assert(KEY_SIZE == 32, "data key is 32 bytes");
_Static_assert(SEALED_SIZE == 80, "sealed data key is 80 bytes");
_Static_assert(OFF_STREAM + crypto_secretstream_xchacha20poly1305_HEADERBYTES == HEADER_SIZE,
               "header layout");
_Static_assert(crypto_secretstream_xchacha20poly1305_ABYTES == DCR_ENVELOPE_CHUNK_OVERHEAD,
               "chunk overhead");

/* ---- writer -------------------------------------------------------------- */

/* The keys and the state live in sodium_malloc memory (guarded, locked,
 * wiped when freed). The chunk buffers are ordinary memory, wiped by hand:
 * locking 128 KiB per open stream would run into RLIMIT_MEMLOCK on a busy
 * server and costs a few system calls per message. */
struct dcr_envelope_writer {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t key[KEY_SIZE];           /* only until the stream is set up */
	uint8_t header[HEADER_SIZE];     /* also the associated data of every chunk */
	uint8_t *plain;                  /* CHUNK_SIZE: plaintext not yet in a chunk */
	uint8_t *cipher;                 /* CHUNK_MAX: the chunk going to the sink */
	size_t plain_size;               /* bytes used in plain */
	dcr_sink_fn sink;
	void *sink_ctx;
	enum dcr_err err;                /* sticky: the first failure */
	bool finished;                   /* the FINAL chunk went out */
};

void dcr_envelope_writer_free(struct dcr_envelope_writer *w)
{
	if (!w)
		return;
	if (w->plain) {
		sodium_memzero(w->plain, CHUNK_SIZE);
		free(w->plain);
	}
	free(w->cipher);
	sodium_free(w); /* wipes the keys and the state */
}

/* Seals size bytes at p as one chunk and hands it to the sink. */
static enum dcr_err emit_chunk(struct dcr_envelope_writer *w, const uint8_t *p, size_t size,
                               uint8_t tag)
{
	enum dcr_err err;

	assert(size <= CHUNK_SIZE);
	crypto_secretstream_xchacha20poly1305_push(&w->st, w->cipher, NULL, p, size, w->header,
	                                           HEADER_SIZE, tag);
	err = w->sink(w->sink_ctx, w->cipher, size + DCR_ENVELOPE_CHUNK_OVERHEAD);
	if (err)
		w->err = err;
	return err;
}

enum dcr_err dcr_envelope_writer_new(const struct dcr_pubkey *recipient, dcr_sink_fn sink,
                                     void *sink_ctx, struct dcr_envelope_writer **out)
{
	struct dcr_envelope_writer *w;
	enum dcr_err err;

	assert(recipient && sink && out);
	*out = NULL;
	w = sodium_malloc(sizeof(*w));
	if (!w)
		return DCR_ERR_NOMEM;
	sodium_memzero(w, sizeof(*w));
	w->sink = sink;
	w->sink_ctx = sink_ctx;
	/* two blocks, not one: each stays under the usual mmap threshold */
	w->plain = malloc(CHUNK_SIZE);
	w->cipher = malloc(CHUNK_MAX);
	if (!w->plain || !w->cipher) {
		err = DCR_ERR_NOMEM;
		goto out;
	}

	memcpy(w->header, MAGIC, MAGIC_SIZE);
	w->header[OFF_VERSION] = VERSION;
	w->header[OFF_RESERVED] = 0;
	crypto_secretstream_xchacha20poly1305_keygen(w->key);
	/* fails only for a small-order key, which dcr_pubkey_parse refuses */
	if (crypto_box_seal(w->header + OFF_SEALED, w->key, KEY_SIZE, recipient->box) != 0) {
		err = DCR_ERR_INVALID;
		goto out;
	}
	if (crypto_secretstream_xchacha20poly1305_init_push(&w->st, w->header + OFF_STREAM,
	                                                    w->key) != 0) {
		err = DCR_ERR_INTERNAL;
		goto out;
	}
	sodium_memzero(w->key, sizeof(w->key));
	err = sink(sink_ctx, w->header, HEADER_SIZE);
	if (err)
		goto out;
	*out = w;
	w = NULL;
out:
	dcr_envelope_writer_free(w);
	return err;
}

enum dcr_err dcr_envelope_writer_write(struct dcr_envelope_writer *w, const void *data,
                                       size_t size)
{
	const uint8_t *p = data;
	enum dcr_err err;

	assert(w && (p || !size));
	assert(!w->finished && "dcr_envelope_writer_write after finish");
	if (w->err)
		return w->err;
	if (w->finished)
		return DCR_ERR_INVALID;
	while (size) {
		size_t n;

		/* A full chunk goes out as MESSAGE only now that more data has
		 * come: if it had been the last, it would have to be FINAL. */
		if (w->plain_size == CHUNK_SIZE) {
			err = emit_chunk(w, w->plain, CHUNK_SIZE, TAG_MESSAGE);
			if (err)
				return err;
			/* overwritten by the next chunk anyway; wiped at free */
			w->plain_size = 0;
		}
		/* whole chunks with more data behind them skip the copy */
		if (w->plain_size == 0 && size > CHUNK_SIZE) {
			err = emit_chunk(w, p, CHUNK_SIZE, TAG_MESSAGE);
			if (err)
				return err;
			p += CHUNK_SIZE;
			size -= CHUNK_SIZE;
			continue;
		}
		n = CHUNK_SIZE - w->plain_size;
		if (n > size)
			n = size;
		memcpy(w->plain + w->plain_size, p, n);
		w->plain_size += n;
		p += n;
		size -= n;
	}
	return DCR_OK;
}

enum dcr_err dcr_envelope_writer_finish(struct dcr_envelope_writer *w)
{
	enum dcr_err err;

	assert(w);
	assert(!w->finished && "dcr_envelope_writer_finish called twice");
	if (w->err)
		return w->err;
	if (w->finished)
		return DCR_ERR_INVALID;
	err = emit_chunk(w, w->plain, w->plain_size, TAG_FINAL);
	sodium_memzero(w->plain, w->plain_size);
	sodium_memzero(&w->st, sizeof(w->st));
	w->plain_size = 0;
	w->finished = true;
	return err;
}

/* ---- reader -------------------------------------------------------------- */

/* Memory as for the writer: secrets in sodium_malloc, buffers wiped by hand. */
struct dcr_envelope_reader {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t box_sk[crypto_box_SECRETKEYBYTES]; /* the recipient's key pair */
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t key[KEY_SIZE];           /* the data key, only while setting up */
	uint8_t header[HEADER_SIZE];     /* also the associated data of every chunk */
	uint8_t *cipher;                 /* CHUNK_MAX: a chunk being collected */
	uint8_t *plain;                  /* CHUNK_SIZE: plaintext on its way to the sink */
	size_t header_size;              /* header bytes received */
	size_t cipher_size;              /* bytes used in cipher */
	uint64_t chunk;                  /* index of the next chunk */
	dcr_sink_fn sink;
	void *sink_ctx;
	enum dcr_err err;                /* sticky: the first failure */
	struct dcr_msg err_msg;          /* and its message */
	bool final;                      /* the FINAL chunk arrived */
	bool finished;                   /* finish succeeded */
};

void dcr_envelope_reader_free(struct dcr_envelope_reader *r)
{
	if (!r)
		return;
	if (r->plain) {
		sodium_memzero(r->plain, CHUNK_SIZE);
		free(r->plain);
	}
	free(r->cipher);
	sodium_free(r); /* wipes the keys and the state */
}

enum dcr_err dcr_envelope_reader_new(const struct dcr_seckey *key, dcr_sink_fn sink,
                                     void *sink_ctx, struct dcr_envelope_reader **out)
{
	struct dcr_envelope_reader *r;

	assert(key && sink && out);
	*out = NULL;
	r = sodium_malloc(sizeof(*r));
	if (!r)
		return DCR_ERR_NOMEM;
	sodium_memzero(r, sizeof(*r));
	r->cipher = malloc(CHUNK_MAX);
	r->plain = malloc(CHUNK_SIZE);
	if (!r->cipher || !r->plain) {
		dcr_envelope_reader_free(r);
		return DCR_ERR_NOMEM;
	}
	/* a copy, so the caller's key need not outlive the reader */
	memcpy(r->box_sk, key->box_sk, sizeof(r->box_sk));
	memcpy(r->box_pk, key->pub.box, sizeof(r->box_pk));
	r->sink = sink;
	r->sink_ctx = sink_ctx;
	*out = r;
	return DCR_OK;
}

/* Records the first failure, wipes every secret and reports it. */
DCR_PRINTF(4, 5)
static enum dcr_err reader_fail(struct dcr_envelope_reader *r, struct dcr_msg *msg,
                                enum dcr_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err_msg.text, sizeof(r->err_msg.text), fmt, ap);
	va_end(ap);
	r->err = err;
	sodium_memzero(&r->st, sizeof(r->st));
	sodium_memzero(r->box_sk, sizeof(r->box_sk));
	sodium_memzero(r->key, sizeof(r->key));
	sodium_memzero(r->plain, CHUNK_SIZE);
	if (msg)
		*msg = r->err_msg;
	return err;
}

static unsigned long long chunk_offset(uint64_t chunk)
{
	return HEADER_SIZE + (unsigned long long)chunk * CHUNK_MAX;
}

/* Checks the fixed fields as soon as their bytes are in, so that a file that
 * is not an envelope is named as such even when it is short. */
static enum dcr_err check_fields(struct dcr_envelope_reader *r, size_t from, size_t to,
                                 struct dcr_msg *msg)
{
	for (size_t i = from; i < to && i <= OFF_RESERVED; i++) {
		if (i < MAGIC_SIZE && r->header[i] != (uint8_t)MAGIC[i])
			return reader_fail(r, msg, DCR_ERR_INVALID,
			                   "not a dcr envelope (it does not start with \"%s\")",
			                   MAGIC);
		if (i == OFF_VERSION && r->header[i] != VERSION)
			return reader_fail(r, msg, DCR_ERR_UNSUPPORTED,
			                   "unsupported envelope version %u (this dcr reads "
			                   "version %u)",
			                   r->header[i], VERSION);
		if (i == OFF_RESERVED && r->header[i] != 0)
			return reader_fail(r, msg, DCR_ERR_UNSUPPORTED,
			                   "unsupported envelope: version %u with reserved byte "
			                   "0x%02x (must be 0)",
			                   VERSION, r->header[i]);
	}
	return DCR_OK;
}

/* The header is complete: recover the data key and set up the stream. */
static enum dcr_err open_header(struct dcr_envelope_reader *r, struct dcr_msg *msg)
{
	if (crypto_box_seal_open(r->key, r->header + OFF_SEALED, SEALED_SIZE, r->box_pk,
	                         r->box_sk) != 0)
		return reader_fail(r, msg, DCR_ERR_VERIFY,
		                   "envelope not addressed to this key, or its header was "
		                   "altered (the sealed data key does not open)");
	/* the secret key has done its job */
	sodium_memzero(r->box_sk, sizeof(r->box_sk));
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->st, r->header + OFF_STREAM,
	                                                    r->key) != 0)
		return reader_fail(r, msg, DCR_ERR_INTERNAL, "cannot start the envelope stream");
	sodium_memzero(r->key, sizeof(r->key));
	return DCR_OK;
}

/* Authenticates and decrypts one whole chunk (at_end: nothing follows it),
 * then hands its plaintext to the sink. */
static enum dcr_err open_chunk(struct dcr_envelope_reader *r, const uint8_t *c, size_t size,
                               bool at_end, struct dcr_msg *msg)
{
	unsigned long long plain_size;
	unsigned char tag;
	enum dcr_err err;

	assert(size >= DCR_ENVELOPE_CHUNK_OVERHEAD && size <= CHUNK_MAX);
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain, &plain_size, &tag, c,
	                                               size, r->header, HEADER_SIZE) != 0)
		return reader_fail(r, msg, DCR_ERR_VERIFY,
		                   "envelope chunk %llu (at byte %llu) failed authentication: "
		                   "it was altered, reordered, truncated or taken from another "
		                   "message",
		                   (unsigned long long)r->chunk, chunk_offset(r->chunk));
	if (tag != TAG_MESSAGE && tag != TAG_FINAL)
		return reader_fail(r, msg, DCR_ERR_VERIFY,
		                   "envelope chunk %llu has an unexpected tag 0x%02x",
		                   (unsigned long long)r->chunk, tag);
	if (tag == TAG_MESSAGE && at_end)
		return reader_fail(r, msg, DCR_ERR_TRUNCATED,
		                   "envelope truncated: it ends with chunk %llu, which is not "
		                   "marked final",
		                   (unsigned long long)r->chunk);
	if (plain_size) {
		err = r->sink(r->sink_ctx, r->plain, (size_t)plain_size);
		sodium_memzero(r->plain, (size_t)plain_size);
		if (err)
			return reader_fail(r, msg, err,
			                   "envelope chunk %llu: the consumer of the plaintext "
			                   "failed: %s",
			                   (unsigned long long)r->chunk, dcr_strerror(err));
	}
	r->chunk++;
	r->final = tag == TAG_FINAL;
	return DCR_OK;
}

static enum dcr_err data_after_final(struct dcr_envelope_reader *r, struct dcr_msg *msg)
{
	return reader_fail(r, msg, DCR_ERR_VERIFY,
	                   "envelope has data after the final chunk (chunk %llu, which "
	                   "ends at byte %llu)",
	                   (unsigned long long)(r->chunk - 1), chunk_offset(r->chunk));
}

enum dcr_err dcr_envelope_reader_write(struct dcr_envelope_reader *r, const void *data,
                                       size_t size, struct dcr_msg *msg)
{
	const uint8_t *p = data;
	enum dcr_err err;

	assert(r && (p || !size));
	assert(!r->finished && "dcr_envelope_reader_write after finish");
	if (r->err) {
		if (msg)
			*msg = r->err_msg;
		return r->err;
	}
	if (r->finished)
		return DCR_ERR_INVALID;

	if (r->header_size < HEADER_SIZE && size) {
		size_t n = HEADER_SIZE - r->header_size;

		if (n > size)
			n = size;
		memcpy(r->header + r->header_size, p, n);
		err = check_fields(r, r->header_size, r->header_size + n, msg);
		if (err)
			return err;
		r->header_size += n;
		p += n;
		size -= n;
		if (r->header_size == HEADER_SIZE) {
			err = open_header(r, msg);
			if (err)
				return err;
		}
	}

	while (size) {
		size_t n;

		/* A full chunk is opened as soon as it is in, so a FINAL one
		 * is known before any byte after it. */
		if (r->final)
			return data_after_final(r, msg);
		if (r->cipher_size == 0 && size >= CHUNK_MAX) {
			err = open_chunk(r, p, CHUNK_MAX, false, msg);
			if (err)
				return err;
			p += CHUNK_MAX;
			size -= CHUNK_MAX;
			continue;
		}
		n = CHUNK_MAX - r->cipher_size;
		if (n > size)
			n = size;
		memcpy(r->cipher + r->cipher_size, p, n);
		r->cipher_size += n;
		p += n;
		size -= n;
		if (r->cipher_size == CHUNK_MAX) {
			r->cipher_size = 0;
			err = open_chunk(r, r->cipher, CHUNK_MAX, false, msg);
			if (err)
				return err;
		}
	}
	return DCR_OK;
}

enum dcr_err dcr_envelope_reader_finish(struct dcr_envelope_reader *r, struct dcr_msg *msg)
{
	enum dcr_err err;

	assert(r);
	assert(!r->finished && "dcr_envelope_reader_finish called twice");
	if (r->err) {
		if (msg)
			*msg = r->err_msg;
		return r->err;
	}
	if (r->finished)
		return DCR_ERR_INVALID;
	if (r->header_size < HEADER_SIZE)
		return reader_fail(r, msg, DCR_ERR_TRUNCATED,
		                   "envelope truncated: its header is %zu of %d bytes",
		                   r->header_size, HEADER_SIZE);
	if (!r->final) {
		if (r->cipher_size == 0)
			return reader_fail(r, msg, DCR_ERR_TRUNCATED,
			                   "envelope truncated: it ends after %llu chunk(s) "
			                   "without its final chunk",
			                   (unsigned long long)r->chunk);
		if (r->cipher_size < DCR_ENVELOPE_CHUNK_OVERHEAD)
			return reader_fail(r, msg, DCR_ERR_TRUNCATED,
			                   "envelope truncated: chunk %llu has %zu bytes, fewer "
			                   "than its %d-byte authentication tag",
			                   (unsigned long long)r->chunk, r->cipher_size,
			                   DCR_ENVELOPE_CHUNK_OVERHEAD);
		err = open_chunk(r, r->cipher, r->cipher_size, true, msg);
		if (err)
			return err;
		r->cipher_size = 0;
	}
	assert(r->final && r->cipher_size == 0);
	sodium_memzero(&r->st, sizeof(r->st));
	r->finished = true;
	return DCR_OK;
}

/* ---- one-shot helpers ---------------------------------------------------- */

static enum dcr_err buf_sink(void *ctx, const uint8_t *data, size_t size)
{
	return dcr_buf_append(ctx, data, size);
}

enum dcr_err dcr_envelope_seal(const struct dcr_pubkey *recipient, const void *data,
                               size_t size, size_t max, struct dcr_buf *out)
{
	struct dcr_envelope_writer *w = NULL;
	enum dcr_err err;

	dcr_buf_init(out, max);
	err = dcr_envelope_writer_new(recipient, buf_sink, out, &w);
	if (err)
		goto out;
	err = dcr_envelope_writer_write(w, data, size);
	if (err)
		goto out;
	err = dcr_envelope_writer_finish(w);
out:
	dcr_envelope_writer_free(w);
	if (err)
		dcr_buf_free(out);
	return err;
}

enum dcr_err dcr_envelope_open(const struct dcr_seckey *key, const void *data, size_t size,
                               size_t max, struct dcr_buf *out, struct dcr_msg *msg)
{
	struct dcr_envelope_reader *r = NULL;
	enum dcr_err err;
	size_t bound = size > HEADER_SIZE ? size - HEADER_SIZE : 0;

	dcr_buf_init(out, max);
	out->secret = true; /* it is plaintext: wipe it when it moves or is freed */
	/* the plaintext is shorter than the envelope: one allocation, no copies */
	err = dcr_buf_reserve(out, bound < max ? bound : max);
	if (err) {
		dcr_fail(msg, err, "out of memory for the opened envelope");
		goto out;
	}
	err = dcr_envelope_reader_new(key, buf_sink, out, &r);
	if (err) {
		dcr_fail(msg, err, "out of memory for the envelope reader");
		goto out;
	}
	err = dcr_envelope_reader_write(r, data, size, msg);
	if (!err)
		err = dcr_envelope_reader_finish(r, msg);
	if (err == DCR_ERR_TOO_BIG)
		dcr_fail(msg, err, "the opened envelope is larger than the limit of %zu bytes",
		         max);
out:
	dcr_envelope_reader_free(r);
	if (err)
		dcr_buf_free(out);
	return err;
}
