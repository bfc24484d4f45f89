/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness for envelopes. First byte even: the rest is an envelope
 * fed to readers whole and in pieces, which must agree. Odd: the rest is sealed,
 * mutated and opened; a changed envelope must fail, an unchanged one open. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* relative: the replay build does not put src/ on the include path */
#include "crypto/crypto_int.h"

#define HDR DCR_ENVELOPE_HEADER_SIZE
#define CMAX (DCR_ENVELOPE_CHUNK_SIZE + DCR_ENVELOPE_CHUNK_OVERHEAD)
#define OUT_MAX (1u << 20)

static const uint8_t rng_seed[32] = "dcr fuzz_envelope: random seed.";
static const uint8_t sign_seed[32] = "dcr fuzz_envelope: signing seed";
static const uint8_t box_seed[32] = "dcr fuzz_envelope: box seed....";

static struct dcr_seckey *key;
static struct dcr_pubkey pub;

static void init_once(void)
{
	if (key)
		return;
	/* fixed randomness, reset per input, so that every finding replays */
	dcr_crypto_test_seed(rng_seed);
	if (dcr_crypto_init() != DCR_OK || dcr_seckey_from_seeds(sign_seed, box_seed, &key))
		abort();
	dcr_seckey_public(key, &pub);
}

static bool expected_error(enum dcr_err err)
{
	return err == DCR_ERR_INVALID || err == DCR_ERR_UNSUPPORTED || err == DCR_ERR_VERIFY ||
	       err == DCR_ERR_TRUNCATED || err == DCR_ERR_TOO_BIG;
}

static enum dcr_err buf_sink(void *ctx, const uint8_t *data, size_t size)
{
	return dcr_buf_append(ctx, data, size);
}

/* Feeds env to a reader: all at once when rng is NULL, else in pieces of
 * 1 byte to 128 KiB. */
static enum dcr_err read_env(const uint8_t *env, size_t size, uint32_t *rng, struct dcr_buf *out,
                             struct dcr_msg *msg)
{
	struct dcr_envelope_reader *r;
	enum dcr_err err = DCR_OK;
	size_t off = 0;

	dcr_buf_init(out, OUT_MAX);
	memset(msg, 0, sizeof(*msg));
	if (dcr_envelope_reader_new(key, buf_sink, out, &r))
		abort();
	while (off < size) {
		size_t n = size - off;

		if (rng) {
			*rng ^= *rng << 13;
			*rng ^= *rng >> 17;
			*rng ^= *rng << 5;
			n = 1 + (*rng >> 5) % (1u << (*rng % 18));
			if (n > size - off)
				n = size - off;
		}
		err = dcr_envelope_reader_write(r, env + off, n, msg);
		if (err)
			break;
		off += n;
	}
	if (!err)
		err = dcr_envelope_reader_finish(r, msg);
	dcr_envelope_reader_free(r);
	return err;
}

/* Mode a: the framing and state machine on arbitrary bytes. */
static void fuzz_reader(const uint8_t *in, size_t size)
{
	struct dcr_buf whole, pieces;
	struct dcr_msg msg_whole, msg_pieces;
	enum dcr_err a, b;
	uint32_t rng;

	if (size < 4)
		return;
	memcpy(&rng, in, 4);
	rng |= 1; /* xorshift needs a non-zero state */
	in += 4;
	size -= 4;
	a = read_env(in, size, NULL, &whole, &msg_whole);
	b = read_env(in, size, &rng, &pieces, &msg_pieces);
	/* the piece sizes must change nothing: not the verdict, not the
	 * message, not the (provisional) plaintext delivered */
	if (a != b || strcmp(msg_whole.text, msg_pieces.text) != 0 || whole.size != pieces.size ||
	    (whole.size && memcmp(whole.data, pieces.data, whole.size) != 0))
		abort();
	if (a != DCR_OK && !expected_error(a))
		abort();
	if (a == DCR_OK) {
		/* an opened envelope is a header and whole chunks */
		size_t body, chunks;

		if (size < HDR + DCR_ENVELOPE_CHUNK_OVERHEAD)
			abort();
		body = size - HDR;
		chunks = (body + CMAX - 1) / CMAX;
		if (whole.size != body - chunks * DCR_ENVELOPE_CHUNK_OVERHEAD)
			abort();
	}
	dcr_buf_free(&whole);
	dcr_buf_free(&pieces);
}

/* Mode b: seal, mutate, open (at once, and streamed in pieces). Input: kind,
 * position (4 bytes), amount, repeat (2 bytes), then the plaintext, repeated
 * to 4*repeat bytes if repeat is not 0. */
static void fuzz_roundtrip(const uint8_t *in, size_t size)
{
	struct dcr_buf env, mut, out, streamed;
	struct dcr_msg msg, msg_streamed;
	uint8_t kind, amount, *plain;
	uint32_t pos, rng;
	size_t repeat, plain_size, at, len;
	enum dcr_err err;
	bool changed;

	if (size < 8)
		return;
	kind = in[0];
	memcpy(&pos, in + 1, 4);
	rng = pos | 1;
	amount = in[5];
	repeat = (size_t)in[6] | (size_t)in[7] << 8;
	in += 8;
	size -= 8;
	plain_size = repeat ? 4 * repeat : size;
	plain = malloc(plain_size ? plain_size : 1);
	if (!plain)
		abort();
	for (size_t i = 0; i < plain_size; i++)
		plain[i] = size ? in[i % size] : (uint8_t)i;

	dcr_crypto_test_seed(rng_seed);
	if (dcr_envelope_seal(&pub, plain, plain_size, OUT_MAX, &env) != DCR_OK)
		abort();

	dcr_buf_init(&mut, OUT_MAX + OUT_MAX);
	at = pos % (env.size + 1);
	switch ((kind & 0x7f) % 5) {
	case 0: /* flip a bit */
		if (dcr_buf_append(&mut, env.data, env.size))
			abort();
		mut.data[pos % env.size] ^= (uint8_t)(1u << (amount & 7));
		break;
	case 1: /* truncate */
		if (dcr_buf_append(&mut, env.data, at))
			abort();
		break;
	case 2: /* duplicate a range */
	case 3: /* duplicate or drop whole chunks */
		if ((kind & 0x7f) % 5 == 2) {
			len = (size_t)amount * (amount & 1 ? 1 : 257);
		} else {
			at = HDR + (pos % 8) * CMAX;
			len = (size_t)(amount % 3) * CMAX;
			if (at > env.size)
				at = env.size;
		}
		if (len > env.size - at)
			len = env.size - at;
		if (kind & 0x80) { /* drop it instead */
			if (dcr_buf_append(&mut, env.data, at) ||
			    dcr_buf_append(&mut, env.data + at + len, env.size - at - len))
				abort();
		} else {
			if (dcr_buf_append(&mut, env.data, at + len) ||
			    dcr_buf_append(&mut, env.data + at, env.size - at))
				abort();
		}
		break;
	default: /* leave it be */
		if (dcr_buf_append(&mut, env.data, env.size))
			abort();
		break;
	}
	changed = mut.size != env.size || memcmp(mut.data, env.data, env.size) != 0;

	memset(&msg, 0, sizeof(msg));
	err = dcr_envelope_open(key, mut.data, mut.size, OUT_MAX, &out, &msg);
	if (changed && err == DCR_OK)
		abort(); /* a forgery */
	if (!changed && err != DCR_OK)
		abort(); /* a genuine envelope refused */
	if (err == DCR_OK && (out.size != plain_size ||
	                      (plain_size && memcmp(out.data, plain, plain_size) != 0)))
		abort();
	if (err != DCR_OK && (!expected_error(err) || err == DCR_ERR_TOO_BIG || out.data ||
	                      !msg.text[0]))
		abort();
	/* streamed in pieces: the same verdict and message, and on success the
	 * same plaintext (out is empty after an error, so compare then only) */
	if (read_env(mut.data, mut.size, &rng, &streamed, &msg_streamed) != err ||
	    (err != DCR_OK && strcmp(msg.text, msg_streamed.text) != 0) ||
	    (err == DCR_OK && (streamed.size != out.size ||
	                       (out.size && memcmp(streamed.data, out.data, out.size) != 0))))
		abort();
	dcr_buf_free(&streamed);
	dcr_buf_free(&out);
	dcr_buf_free(&mut);
	dcr_buf_free(&env);
	free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_roundtrip(data + 1, size - 1);
	else
		fuzz_reader(data + 1, size - 1);
	return 0;
}
