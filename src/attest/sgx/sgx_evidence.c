/* SPDX-License-Identifier: Apache-2.0 */
/* The sgx producer, inside a Gramine enclave: a DCAP quote through
 * Gramine's /dev/attestation, and a sealing key from the enclave's
 * MRENCLAVE-bound SGX sealing key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../attest_int.h"

#define SGX_QUOTE_HEADER_SIZE 48

static char *gramine_path(const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), GRAMINE_DIR "/%s", name);
	return attest_path(rel);
}

bool attest_sgx_detect(void)
{
	return attest_path_exists(GRAMINE_DIR "/attestation_type", false);
}

enum dcr_err attest_sgx_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg)
{
	char *type_path = gramine_path("attestation_type");
	char *rd_path = gramine_path("user_report_data");
	char *quote_path = gramine_path("quote");
	struct dcr_buf type, quote;
	enum dcr_err err;
	const uint8_t *q;

	(void)env;
	dcr_buf_init(&type, 64);
	dcr_buf_init(&quote, SGX_QUOTE_MAX);
	if (!type_path || !rd_path || !quote_path) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	err = attest_read_file(type_path, 63, &type, msg);
	if (err == DCR_ERR_NOT_FOUND)
		err = dcr_fail(msg, DCR_ERR_UNSUPPORTED,
		               "sgx: %s is missing: run dcr inside Gramine (gramine-sgx) with "
		               "sgx.remote_attestation = \"dcap\" in its manifest",
		               type_path);
	if (err)
		goto out;
	while (type.size && (type.data[type.size - 1] == '\n' || type.data[type.size - 1] == '\0'))
		type.size--;
	if (type.size != 4 || memcmp(type.data, "dcap", 4) != 0) {
		err = dcr_fail(msg, DCR_ERR_UNSUPPORTED,
		               "sgx: Gramine's attestation type is \"%.*s\", not \"dcap\": set "
		               "sgx.remote_attestation = \"dcap\" in the manifest",
		               (int)type.size, (const char *)type.data);
		goto out;
	}
	/* Gramine makes the quote over the report data last written here */
	err = attest_write_file(rd_path, report_data, DCR_REPORT_DATA_SIZE, msg);
	if (!err)
		err = attest_read_file(quote_path, SGX_QUOTE_MAX, &quote, msg);
	if (err) {
		dcr_msg_prefix(msg, "sgx: ");
		goto out;
	}
	/* a cheap look; the verifier checks everything */
	q = quote.data;
	if (quote.size < SGX_QUOTE_HEADER_SIZE || (q[0] | q[1] << 8) != 3 ||
	    (q[4] | q[5] | q[6] | q[7]) != 0) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "sgx: %s returned %zu bytes that are not an SGX quote (version 3)",
		               quote_path, quote.size);
		goto out;
	}
	err = dcr_buf_append(out, quote.data, quote.size);
	if (err)
		dcr_msg_set(msg, "sgx: evidence: %s", dcr_strerror(err));
out:
	dcr_buf_free(&type);
	dcr_buf_free(&quote);
	free(type_path);
	free(rd_path);
	free(quote_path);
	return err;
}

enum dcr_err attest_sgx_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg)
{
	char *path = gramine_path("keys/_sgx_mrenclave");
	struct dcr_buf key;
	enum dcr_err err;

	(void)env;
	memset(out, 0, DCR_SEALING_KEY_SIZE);
	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	dcr_buf_init(&key, SGX_MRENCLAVE_KEY_SIZE + 1);
	key.secret = true;
	err = attest_read_file(path, SGX_MRENCLAVE_KEY_SIZE, &key, msg);
	if (!err && key.size != SGX_MRENCLAVE_KEY_SIZE)
		err = dcr_fail(msg, DCR_ERR_INVALID, "%s: %zu bytes; an SGX sealing key is %d",
		               path, key.size, SGX_MRENCLAVE_KEY_SIZE);
	if (err) {
		dcr_msg_prefix(msg, "sgx: sealing key: ");
		goto out;
	}
	/* bound to MRENCLAVE by the CPU; a dcr-specific key from it */
	err = dcr_kdf(key.data, key.size, SGX_SEALING_LABEL, NULL, 0, out);
	if (err)
		dcr_fail(msg, err, "sgx: sealing key: cannot derive the sealing key");
out:
	dcr_buf_free(&key);
	free(path);
	return err;
}
