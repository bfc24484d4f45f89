/* SPDX-License-Identifier: Apache-2.0 */
/* The tdx producer: a DCAP quote from configfs-tsm, and a sealing key kept
 * in the data directory (TDX has no hardware sealing key). */
#include <string.h>

#include "../attest_int.h"

#define TDX_QUOTE_HEADER_SIZE 48
#define TDX_TEE_TYPE 0x81

bool attest_tdx_detect(void)
{
	return attest_path_exists(TDX_GUEST_DEVICE, false) &&
	       attest_path_exists(TSM_REPORT_DIR, true);
}

enum dcr_err attest_tdx_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg)
{
	struct dcr_buf quote;
	struct tsm_request req = {.provider = "tdx_guest", .outblob = &quote};
	enum dcr_err err;
	const uint8_t *q;

	(void)env;
	dcr_buf_init(&quote, TSM_OUTBLOB_MAX);
	err = attest_tsm_report("tdx", &req, report_data, msg);
	if (err)
		goto out;
	/* A cheap look, so that a wrong provider's blob is named here rather
	 * than by every party's verifier. The verifier checks everything. */
	q = quote.data;
	if (quote.size < TDX_QUOTE_HEADER_SIZE ||
	    (uint32_t)(q[4] | q[5] << 8 | q[6] << 16 | (uint32_t)q[7] << 24) != TDX_TEE_TYPE) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "tdx: configfs-tsm returned %zu bytes that are not a TDX quote",
		               quote.size);
		goto out;
	}
	err = dcr_buf_append(out, quote.data, quote.size);
	if (err)
		dcr_msg_set(msg, "tdx: evidence: %s", dcr_strerror(err));
out:
	dcr_buf_free(&quote);
	return err;
}

enum dcr_err attest_tdx_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg)
{
	/* TDX offers no key derived from the TD's measurement: the key lives
	 * on the confidential VM's encrypted disk (docs/ATTESTATION.md). */
	return attest_keyfile_sealing_key("tdx", env, out, msg);
}
