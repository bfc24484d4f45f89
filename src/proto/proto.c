/* SPDX-License-Identifier: Apache-2.0 */
/* Wire formats shared by the server and the clients (docs/API.md): what a
 * request signature covers, receipts, audit entry signatures and chains. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dcr/proto.h"

#define REQUEST_LABEL "dcr request v1\n"
#define RECEIPT_LABEL "dcr receipt v1\n"
#define AUDIT_LABEL "dcr audit v1\n"

void dcr_proto_nonce(char out[static DCR_NONCE_HEX_SIZE])
{
	uint8_t r[16];

	dcr_random(r, sizeof(r));
	dcr_hex_encode(out, r, sizeof(r));
}

/* "dcr request v1\n" METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" HEX */
static enum dcr_err request_message(const char *method, const char *path,
                                    const char *timestamp, const char *nonce,
                                    const uint8_t body_sha256[static 32], struct dcr_buf *out)
{
	char hex[65];

	dcr_hex_encode(hex, body_sha256, 32);
	dcr_buf_init(out, 64 * 1024);
	return dcr_buf_printf(out, "%s%s\n%s\n%s\n%s\n%s", REQUEST_LABEL, method, path, timestamp,
	                      nonce, hex);
}

enum dcr_err dcr_proto_sign_request(const struct dcr_seckey *key, const char *method,
                                    const char *path, int64_t timestamp, const char *nonce,
                                    const uint8_t body_sha256[static 32],
                                    char out[static DCR_SIGNATURE_B64_SIZE])
{
	char ts[24];
	struct dcr_buf m;
	uint8_t sig[DCR_SIGNATURE_SIZE];
	enum dcr_err err;

	out[0] = '\0';
	snprintf(ts, sizeof(ts), "%" PRId64, timestamp);
	err = request_message(method, path, ts, nonce, body_sha256, &m);
	if (!err) {
		dcr_sign(key, m.data, m.size, sig);
		dcr_b64_encode(out, sig, sizeof(sig));
	}
	dcr_buf_free(&m);
	return err;
}

static enum dcr_err decode_sig(const char *b64, uint8_t sig[static DCR_SIGNATURE_SIZE])
{
	size_t n;

	if (!b64 || strlen(b64) != DCR_SIGNATURE_B64_SIZE - 1)
		return DCR_ERR_VERIFY;
	if (dcr_b64_decode(sig, DCR_SIGNATURE_SIZE, b64, DCR_SIGNATURE_B64_SIZE - 1, &n) ||
	    n != DCR_SIGNATURE_SIZE)
		return DCR_ERR_VERIFY;
	return DCR_OK;
}

enum dcr_err dcr_proto_verify_request(const struct dcr_pubkey *pk, const char *method,
                                      const char *path, const char *timestamp,
                                      const char *nonce, const uint8_t body_sha256[static 32],
                                      const char *signature_b64)
{
	uint8_t sig[DCR_SIGNATURE_SIZE];
	struct dcr_buf m;
	enum dcr_err err;

	if (!method || !path || !timestamp || !nonce || decode_sig(signature_b64, sig))
		return DCR_ERR_VERIFY;
	err = request_message(method, path, timestamp, nonce, body_sha256, &m);
	if (!err)
		err = dcr_verify(pk->sign, m.data, m.size, sig);
	dcr_buf_free(&m);
	return err ? DCR_ERR_VERIFY : DCR_OK;
}

/* ---- receipts ---------------------------------------------------------- */

enum dcr_err dcr_receipt_format(const struct dcr_receipt *r, struct dcr_buf *out)
{
	char hex[129], when[21];
	enum dcr_err err;

	dcr_hex_encode(hex, r->contract_hash, 32);
	err = dcr_buf_printf(out, "%scontract: %s\ntee: %s\n", RECEIPT_LABEL, hex, r->tee);
	if (err)
		return err;
	dcr_hex_encode(hex, r->measurement, r->measurement_size);
	dcr_time_format(r->time, when);
	err = dcr_buf_printf(out, "measurement: %s\nanalyst: %s\ntime: %s\n", hex, r->analyst, when);
	if (err)
		return err;
	dcr_hex_encode(hex, r->query_hash, 32);
	if ((err = dcr_buf_printf(out, "query: %s\n", hex)))
		return err;
	for (size_t i = 0; i < r->dataset_count; i++) {
		dcr_hex_encode(hex, r->datasets[i].content_hash, 32);
		err = dcr_buf_printf(out, "dataset: %s %s %" PRIu64 "\n", r->datasets[i].name, hex,
		                     r->datasets[i].rows);
		if (err)
			return err;
	}
	if (r->epsilon > 0) {
		err = dcr_buf_printf(out, "epsilon: %.17g\n%s", r->epsilon,
		                     r->noise_lines ? r->noise_lines : "");
		if (err)
			return err;
	}
	dcr_hex_encode(hex, r->result_hash, 32);
	return dcr_buf_printf(out, "result: %s\naudit: %" PRIu64 "\n", hex, r->audit_seq);
}

static void sign_labelled(const struct dcr_seckey *key, const char *label, const char *text,
                          size_t len, char out[static DCR_SIGNATURE_B64_SIZE])
{
	uint8_t msg[64], sig[DCR_SIGNATURE_SIZE];
	size_t n = strlen(label);

	/* label || SHA-256(text): short, fixed-size signed messages */
	memcpy(msg, label, n);
	dcr_sha256(text, len, msg + n);
	dcr_sign(key, msg, n + 32, sig);
	dcr_b64_encode(out, sig, sizeof(sig));
}

static enum dcr_err verify_labelled(const struct dcr_pubkey *pk, const char *label,
                                    const char *text, size_t len, const char *signature_b64)
{
	uint8_t msg[64], sig[DCR_SIGNATURE_SIZE];
	size_t n = strlen(label);

	if (decode_sig(signature_b64, sig))
		return DCR_ERR_VERIFY;
	memcpy(msg, label, n);
	dcr_sha256(text, len, msg + n);
	return dcr_verify(pk->sign, msg, n + 32, sig);
}

void dcr_receipt_sign(const struct dcr_seckey *room, const char *text, size_t len,
                      char out[static DCR_SIGNATURE_B64_SIZE])
{
	sign_labelled(room, RECEIPT_LABEL, text, len, out);
}

/* The value of "key: " on its own line of text, or NULL; *out_len its length. */
static const char *receipt_field(const char *text, size_t len, const char *key, size_t *out_len)
{
	size_t kl = strlen(key);

	for (size_t at = 0; at < len;) {
		const char *line = text + at, *nl = memchr(line, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - line) : len - at;

		if (ll > kl + 2 && !memcmp(line, key, kl) && line[kl] == ':' && line[kl + 1] == ' ') {
			*out_len = ll - kl - 2;
			return line + kl + 2;
		}
		at += ll + 1;
	}
	return NULL;
}

static bool field_is_hash(const char *text, size_t len, const char *key, const uint8_t want[32])
{
	size_t n;
	const char *v = receipt_field(text, len, key, &n);
	uint8_t got[32];

	return v && dcr_hex_decode(got, 32, v, n) == DCR_OK && !memcmp(got, want, 32);
}

enum dcr_err dcr_receipt_check(const char *text, size_t len, const char *signature_b64,
                               const struct dcr_pubkey *room,
                               const uint8_t contract_hash[static 32],
                               const uint8_t result_hash[static 32], struct dcr_msg *msg)
{
	if (len < strlen(RECEIPT_LABEL) || memcmp(text, RECEIPT_LABEL, strlen(RECEIPT_LABEL)))
		return dcr_fail(msg, DCR_ERR_VERIFY, "receipt: not a dcr receipt");
	if (verify_labelled(room, RECEIPT_LABEL, text, len, signature_b64))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "receipt: the signature is not the attested clean room's");
	if (!field_is_hash(text, len, "contract", contract_hash))
		return dcr_fail(msg, DCR_ERR_VERIFY, "receipt: made under another contract");
	if (!field_is_hash(text, len, "result", result_hash))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "receipt: the result does not match it (altered in transit?)");
	return DCR_OK;
}

/* ---- audit entries --------------------------------------------------------- */

void dcr_audit_sign(const struct dcr_seckey *room, const char *text, size_t len,
                    char out[static DCR_SIGNATURE_B64_SIZE])
{
	sign_labelled(room, AUDIT_LABEL, text, len, out);
}

enum dcr_err dcr_audit_verify_chain(const char *const *texts, const size_t *lens,
                                    const char *const *signatures, size_t count,
                                    const struct dcr_pubkey *room, const uint8_t *contract_hash,
                                    struct dcr_msg *msg)
{
	uint8_t prev[32] = {0};
	enum dcr_err err = DCR_OK;

	for (size_t i = 0; i < count && !err; i++) {
		json_error_t je;
		json_t *e = json_loadb(texts[i], lens[i], JSON_REJECT_DUPLICATES, &je);
		const char *p = e ? json_string_value(json_object_get(e, "prev")) : NULL;
		json_int_t seq = e ? json_integer_value(json_object_get(e, "seq")) : 0;
		uint8_t got[32];

		if (!e || !json_is_object(e))
			err = dcr_fail(msg, DCR_ERR_VERIFY, "audit entry %zu: not a JSON object", i + 1);
		else if (verify_labelled(room, AUDIT_LABEL, texts[i], lens[i], signatures[i]))
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "audit entry %zu: the signature is not the clean room's", i + 1);
		else if (seq != (json_int_t)(i + 1))
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "audit entry %zu: sequence number %lld, expected %zu (an entry "
			               "is missing or out of order)",
			               i + 1, (long long)seq, i + 1);
		else if (!p || dcr_hex_decode(got, 32, p, strlen(p)) || memcmp(got, prev, 32))
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "audit entry %zu: does not chain to the entry before it", i + 1);
		else if (i == 0 && contract_hash) {
			const char *action = json_string_value(json_object_get(e, "action"));
			const char *ch = json_string_value(json_object_get(e, "contract"));
			uint8_t h[32];

			if (!action || strcmp(action, "start") || !ch ||
			    dcr_hex_decode(h, 32, ch, strlen(ch)) || memcmp(h, contract_hash, 32))
				err = dcr_fail(msg, DCR_ERR_VERIFY,
				               "audit entry 1: not the start of a clean room for this "
				               "contract");
		}
		json_decref(e);
		dcr_sha256(texts[i], lens[i], prev);
	}
	return err;
}
