/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness for the data directory's two formats (docs/STORAGE.md).
 * First byte % 4: 0 the rest as a sealed file, 1 as an audit log (accepted
 * only if it is a reference file, or for a log a prefix of one); 2 a real
 * sealed file and 3 a real log, mutated, which must then be refused or, for
 * a log, read back as an unaltered prefix of what was written.
 * FUZZ_STORE_MODE=N in the environment forces mode N. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "dcr/proto.h"
#include "store/store_int.h"

#define LABEL "dataset impressions"
#define OUT_MAX (1u << 22)
#define REF_ENTRIES 4
#define MAX_ENTRIES 8

static const uint8_t rng_seed[32] = "dcr fuzz_store: random seed....";
static const uint8_t sign_seed[32] = "dcr fuzz_store: signing seed...";
static const uint8_t box_seed[32] = "dcr fuzz_store: box seed.......";
static const uint8_t key[DCR_SEAL_KEY_SIZE] = "dcr fuzz_store: sealing key....";

static struct dcr_seckey *room;
static struct dcr_pubkey room_pk;
/* Reference files built at start-up with fixed randomness; the committed
 * seeds are these bytes (after the mode byte). */
static struct dcr_buf ref_sealed[2]; /* "" and "hello" */
static struct dcr_buf ref_log;
static size_t ref_bounds[REF_ENTRIES + 1]; /* header end, then each record's end */

static enum dcr_err buf_sink(void *ctx, const uint8_t *data, size_t size)
{
	return dcr_buf_append(ctx, data, size);
}

static void seal_mem(const void *data, size_t size, struct dcr_buf *out)
{
	struct seal_enc *e;

	dcr_buf_init(out, OUT_MAX + OUT_MAX);
	if (seal_enc_new(key, LABEL, buf_sink, out, &e) || seal_enc_write(e, data, size) ||
	    seal_enc_finish(e))
		abort();
	seal_enc_free(e);
}

/* A log of n entries whose fields carry data (hex), with record bounds. */
static void log_mem(size_t n, const uint8_t *data, size_t size, int64_t time,
                    struct dcr_buf *out, size_t *bounds)
{
	uint8_t hdr[AUDIT_HEADER_SIZE], prev[32] = {0};
	struct dcr_buf text, fields;
	char sig_b64[DCR_SIGNATURE_B64_SIZE];
	uint8_t sig[DCR_SIGNATURE_SIZE];
	size_t sig_size;

	dcr_buf_init(out, OUT_MAX);
	audit_header_make(key, hdr);
	if (dcr_buf_append(out, hdr, sizeof(hdr)))
		abort();
	bounds[0] = out->size;
	for (size_t i = 0; i < n; i++) {
		size_t part = size / n, len = i + 1 < n ? part : size - part * i;
		char *hex = malloc(2 * len + 1);

		if (!hex)
			abort();
		dcr_hex_encode(hex, data + part * i, len);
		dcr_buf_init(&fields, OUT_MAX);
		dcr_buf_init(&text, OUT_MAX);
		if (dcr_buf_printf(&fields, "{\"party\":\"p%zu\",\"data\":\"%s\"}", i, hex) ||
		    audit_text_make(i + 1, time, (const char *)fields.data, prev, &text, NULL))
			abort();
		dcr_audit_sign(room, (const char *)text.data, text.size, sig_b64);
		if (dcr_b64_decode(sig, sizeof(sig), sig_b64, strlen(sig_b64), &sig_size) ||
		    audit_record_make(key, hdr, i + 1, (const char *)text.data, text.size, sig,
		                      out))
			abort();
		bounds[i + 1] = out->size;
		dcr_sha256(text.data, text.size, prev);
		dcr_buf_free(&text);
		dcr_buf_free(&fields);
		free(hex);
	}
}

static void init_once(void)
{
	if (room)
		return;
	dcr_crypto_test_seed(rng_seed);
	if (dcr_crypto_init() != DCR_OK || dcr_seckey_from_seeds(sign_seed, box_seed, &room))
		abort();
	dcr_seckey_public(room, &room_pk);
	seal_mem("", 0, &ref_sealed[0]);
	seal_mem("hello", 5, &ref_sealed[1]);
	log_mem(REF_ENTRIES, (const uint8_t *)"reference log", 13, 1795600800, &ref_log,
	        ref_bounds);
}

static struct store_src mem_src(const uint8_t *data, size_t size)
{
	return (struct store_src){.fd = -1, .mem = data, .size = size, .name = "fuzz"};
}

static enum dcr_err read_sealed(const uint8_t *data, size_t size, struct dcr_buf *out,
                                struct dcr_msg *msg)
{
	struct store_src src = mem_src(data, size);
	enum dcr_err err;

	dcr_buf_init(out, OUT_MAX);
	memset(msg, 0, sizeof(*msg));
	err = seal_read_src(key, &src, LABEL, buf_sink, out, msg);
	if (err != DCR_OK && err != DCR_ERR_VERIFY)
		abort();
	if (err != DCR_OK && (!msg->text[0] || !strstr(msg->text, "fuzz")))
		abort(); /* a refusal says why and names the file */
	return err;
}

/* Loads a log from memory; on success checks what every accepted log must
 * satisfy against the log it came from (ref, with bounds): the accepted
 * bytes are ref's own up to a record boundary. Returns the entry count, or
 * -1 when refused. */
static long load_log(const uint8_t *data, size_t size, const struct dcr_buf *ref,
                     const size_t *bounds, size_t nbounds)
{
	struct store_src src = mem_src(data, size);
	struct audit_entries e = {0};
	struct dcr_msg msg = {{0}};
	uint8_t bind[AUDIT_BIND_SIZE];
	uint64_t good_end;
	enum dcr_err err;
	long count = -1;

	err = audit_load(key, &room_pk, &src, &e, &good_end, bind, &msg);
	if (err != DCR_OK && err != DCR_ERR_VERIFY)
		abort();
	if (err != DCR_OK && (!msg.text[0] || !strstr(msg.text, "fuzz")))
		abort();
	if (err == DCR_OK) {
		size_t k = 0;

		while (k < nbounds && bounds[k] != good_end)
			k++;
		if (k == nbounds || good_end > ref->size || e.count != k ||
		    memcmp(data, ref->data, (size_t)good_end) != 0)
			abort(); /* accepted something that was not written */
		count = (long)k;
	}
	audit_entries_free(&e);
	return count;
}

/* Mode 0: bytes as a sealed file. */
static void fuzz_sealed_bytes(const uint8_t *in, size_t size)
{
	struct dcr_buf out;
	struct dcr_msg msg;

	if (read_sealed(in, size, &out, &msg) == DCR_OK) {
		const char *want = NULL;

		if (size == ref_sealed[0].size && !memcmp(in, ref_sealed[0].data, size))
			want = "";
		else if (size == ref_sealed[1].size && !memcmp(in, ref_sealed[1].data, size))
			want = "hello";
		if (!want || out.size != strlen(want) ||
		    (out.size && memcmp(out.data, want, out.size) != 0))
			abort(); /* a forgery */
	}
	dcr_buf_free(&out);
}

/* Mode 1: bytes as an audit log. */
static void fuzz_log_bytes(const uint8_t *in, size_t size)
{
	(void)load_log(in, size, &ref_log, ref_bounds, REF_ENTRIES + 1);
}

/* Mode 2: seal, mutate, open. Input: kind, position (4), amount, repeat (2),
 * plaintext. A repeat r other than 0 repeats the plaintext to within 32 bytes
 * of (r % 4) whole chunks, where the chunking has its edge cases. */
static void fuzz_sealed_roundtrip(const uint8_t *in, size_t size)
{
	struct dcr_buf sealed, mut, out;
	struct dcr_msg msg;
	uint8_t kind, amount, *plain;
	uint32_t pos;
	size_t repeat, plain_size, at, len;
	enum dcr_err err;
	bool changed;

	if (size < 8)
		return;
	kind = in[0];
	memcpy(&pos, in + 1, 4);
	amount = in[5];
	repeat = (size_t)in[6] | (size_t)in[7] << 8;
	in += 8;
	size -= 8;
	plain_size = size;
	if (repeat) {
		long edge = (long)(repeat % 4) * SEAL_CHUNK_SIZE + (long)((repeat >> 2) % 65) - 32;

		plain_size = edge < 0 ? 0 : (size_t)edge;
	}
	plain = malloc(plain_size ? plain_size : 1);
	if (!plain)
		abort();
	for (size_t i = 0; i < plain_size; i++)
		plain[i] = size ? in[i % size] : (uint8_t)i;
	dcr_crypto_test_seed(rng_seed);
	seal_mem(plain, plain_size, &sealed);

	dcr_buf_init(&mut, OUT_MAX + OUT_MAX);
	at = pos % (sealed.size + 1);
	switch (kind % 6) {
	case 0: /* flip a bit */
		if (dcr_buf_append(&mut, sealed.data, sealed.size))
			abort();
		mut.data[pos % sealed.size] ^= (uint8_t)(1u << (amount & 7));
		break;
	case 1: /* truncate */
		if (dcr_buf_append(&mut, sealed.data, at))
			abort();
		break;
	case 2: /* drop a range */
	case 3: /* duplicate a range, or whole chunks */
		len = kind & 0x80 ? (size_t)(amount % 3) * SEAL_CHUNK_MAX : (size_t)amount * 97;
		if (kind & 0x80)
			at = SEAL_HEADER_SIZE + (pos % 4) * SEAL_CHUNK_MAX;
		if (at > sealed.size)
			at = sealed.size;
		if (len > sealed.size - at)
			len = sealed.size - at;
		if (kind % 6 == 2) {
			if (dcr_buf_append(&mut, sealed.data, at) ||
			    dcr_buf_append(&mut, sealed.data + at + len, sealed.size - at - len))
				abort();
		} else if (dcr_buf_append(&mut, sealed.data, at + len) ||
		           dcr_buf_append(&mut, sealed.data + at, sealed.size - at)) {
			abort();
		}
		break;
	case 4: /* append bytes */
		if (dcr_buf_append(&mut, sealed.data, sealed.size) ||
		    dcr_buf_append(&mut, in, size < amount ? size : amount))
			abort();
		break;
	default: /* leave it be */
		if (dcr_buf_append(&mut, sealed.data, sealed.size))
			abort();
		break;
	}
	changed = mut.size != sealed.size || memcmp(mut.data, sealed.data, sealed.size) != 0;
	err = read_sealed(mut.data, mut.size, &out, &msg);
	if (changed && err == DCR_OK)
		abort(); /* a forgery */
	if (!changed && (err != DCR_OK || out.size != plain_size ||
	                 (plain_size && memcmp(out.data, plain, plain_size) != 0)))
		abort(); /* a genuine file refused or misread */
	dcr_buf_free(&out);
	dcr_buf_free(&mut);
	dcr_buf_free(&sealed);
	free(plain);
}

/* Records of a log (bounds) wholly inside the first size bytes. */
static long whole_records(const size_t *bounds, size_t n, size_t size)
{
	long k = -1;

	for (size_t i = 0; i <= n && bounds[i] <= size; i++)
		k = (long)i;
	return k;
}

/* Mode 3: a real log, mutated. Input: kind, position (4), amount, entries,
 * then the data spread over the entries. */
static void fuzz_log_roundtrip(const uint8_t *in, size_t size)
{
	struct dcr_buf log, mut;
	size_t bounds[MAX_ENTRIES + 1], n, at, len;
	uint8_t kind, amount;
	uint32_t pos;
	long got;

	if (size < 7)
		return;
	kind = in[0];
	memcpy(&pos, in + 1, 4);
	amount = in[5];
	n = 1 + in[6] % MAX_ENTRIES;
	in += 7;
	size -= 7;
	if (size > 4096)
		size = 4096;
	dcr_crypto_test_seed(rng_seed);
	log_mem(n, in, size, (int64_t)pos, &log, bounds);

	dcr_buf_init(&mut, OUT_MAX + OUT_MAX);
	at = pos % (log.size + 1);
	switch (kind % 6) {
	case 0: /* flip a bit: always refused */
		if (dcr_buf_append(&mut, log.data, log.size))
			abort();
		mut.data[pos % log.size] ^= (uint8_t)(1u << (amount & 7));
		if (load_log(mut.data, mut.size, &log, bounds, n + 1) != -1)
			abort();
		break;
	case 1: /* truncate: the whole records are kept */
	case 2: /* zeros from a point on: likewise */
		if (dcr_buf_append(&mut, log.data, kind % 6 == 1 ? at : log.size))
			abort();
		if (kind % 6 == 2)
			memset(mut.data + at, 0, log.size - at);
		if (load_log(mut.data, mut.size, &log, bounds, n + 1) !=
		    whole_records(bounds, n, at))
			abort();
		break;
	case 3: /* drop or duplicate a range */
		len = (size_t)amount * (kind & 0x80 ? 1 : 37);
		if (len > log.size - at)
			len = log.size - at;
		if (kind & 0x40) {
			if (dcr_buf_append(&mut, log.data, at) ||
			    dcr_buf_append(&mut, log.data + at + len, log.size - at - len))
				abort();
		} else if (dcr_buf_append(&mut, log.data, at + len) ||
		           dcr_buf_append(&mut, log.data + at, log.size - at)) {
			abort();
		}
		(void)load_log(mut.data, mut.size, &log, bounds, n + 1);
		break;
	case 4: /* bytes appended */
		if (dcr_buf_append(&mut, log.data, log.size) ||
		    dcr_buf_append(&mut, in, size < amount ? size : amount))
			abort();
		got = load_log(mut.data, mut.size, &log, bounds, n + 1);
		if (got != -1 && got != (long)n)
			abort();
		break;
	default: /* unchanged: all of it */
		if (load_log(log.data, log.size, &log, bounds, n + 1) != (long)n)
			abort();
		break;
	}
	dcr_buf_free(&mut);
	dcr_buf_free(&log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int forced = -2;

	init_once();
	/* FUZZ_STORE_MODE=0..3 runs one mode only (the first byte is then
	 * ignored), so each can have its own 60 s */
	if (forced == -2) {
		const char *env = getenv("FUZZ_STORE_MODE");

		forced = env && *env >= '0' && *env <= '3' ? *env - '0' : -1;
	}
	if (size < 1)
		return 0;
	switch (forced >= 0 ? forced : data[0] % 4) {
	case 0:
		fuzz_sealed_bytes(data + 1, size - 1);
		break;
	case 1:
		fuzz_log_bytes(data + 1, size - 1);
		break;
	case 2:
		fuzz_sealed_roundtrip(data + 1, size - 1);
		break;
	default:
		fuzz_log_roundtrip(data + 1, size - 1);
		break;
	}
	return 0;
}
