/* SPDX-License-Identifier: Apache-2.0 */
/* The snp backend's entry in the registry: AMD SEV-SNP attestation reports
 * (docs/ATTESTATION.md). The producer half is not built yet. */
#include "../attest_int.h"

const struct dcr_attest_ops attest_snp_ops = {
	.name = "snp",
	.tee = DCR_TEE_SNP,
	.probe = attest_snp_probe,
	.verify = attest_snp_verify,
};
