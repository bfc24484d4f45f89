/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: makes sim evidence binding given report data, as a clean room
 * would. usage: helper_sim_evidence DATA_DIR REPORT_DATA_HEX OUT_FILE */
#include <stdio.h>
#include <string.h>

#include "dcr/attest.h"

int main(int argc, char **argv)
{
	const struct dcr_attest_ops *ops;
	struct dcr_attest_env env;
	uint8_t report_data[DCR_REPORT_DATA_SIZE];
	struct dcr_buf out;
	struct dcr_msg msg = {{0}};
	enum dcr_err err;

	if (argc != 4) {
		fprintf(stderr, "usage: helper_sim_evidence DATA_DIR REPORT_DATA_HEX OUT_FILE\n");
		return 2;
	}
	if (dcr_hex_decode(report_data, sizeof(report_data), argv[2], strlen(argv[2])) != DCR_OK) {
		fprintf(stderr, "helper_sim_evidence: REPORT_DATA_HEX must be 128 hex digits\n");
		return 2;
	}
	if (dcr_crypto_init() != DCR_OK) {
		fprintf(stderr, "helper_sim_evidence: cannot initialise crypto\n");
		return 1;
	}
	ops = dcr_attest_find_name("sim");
	if (!ops || !ops->evidence) {
		fprintf(stderr, "helper_sim_evidence: no sim producer in this build\n");
		return 1;
	}
	env.data_dir = argv[1];
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	err = ops->evidence(&env, report_data, &out, &msg);
	if (!err)
		err = dcr_file_write_atomic(argv[3], out.data, out.size, 0644, DCR_WRITE_REPLACE,
		                            &msg);
	dcr_buf_free(&out);
	if (err) {
		fprintf(stderr, "helper_sim_evidence: %s\n",
		        msg.text[0] ? msg.text : dcr_strerror(err));
		return 1;
	}
	return 0;
}
