/* SPDX-License-Identifier: Apache-2.0 */
/* The sim backend's entry in the registry: a simulated TEE for tests and
 * demos that proves nothing about hardware (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_sim_ops = {
	.name = "sim",
	.tee = DCR_TEE_SIM,
	.detect = attest_sim_detect,
	.evidence = attest_sim_evidence,
	.sealing_key = attest_sim_sealing_key,
	.probe = attest_sim_probe,
	.verify = attest_sim_verify,
};
