/* SPDX-License-Identifier: Apache-2.0 */
/* The TEE kinds and the measurement fields a contract may pin for each. */
#include <string.h>

#include "dcr/util.h"

static const char *const tee_names[DCR_TEE_COUNT] = {
	[DCR_TEE_SIM] = "sim",
	[DCR_TEE_SGX] = "sgx",
	[DCR_TEE_TDX] = "tdx",
	[DCR_TEE_SNP] = "snp",
	[DCR_TEE_AZURE_VTPM] = "azure-vtpm",
};

const char *dcr_tee_name(enum dcr_tee tee)
{
	return (unsigned)tee < DCR_TEE_COUNT ? tee_names[tee] : "unknown";
}

enum dcr_err dcr_tee_from_name(const char *name, enum dcr_tee *out)
{
	for (unsigned i = 0; i < DCR_TEE_COUNT; i++) {
		if (!strcmp(name, tee_names[i])) {
			*out = (enum dcr_tee)i;
			return DCR_OK;
		}
	}
	return DCR_ERR_NOT_FOUND;
}

static const struct {
	enum dcr_tee tee;
	const char *name;
	size_t size;
} fields[] = {
	{DCR_TEE_SIM, "measurement", 48},
	{DCR_TEE_SGX, "mrenclave", 32},
	{DCR_TEE_SGX, "mrsigner", 32},
	{DCR_TEE_TDX, "mrtd", 48},
	{DCR_TEE_TDX, "rtmr0", 48},
	{DCR_TEE_TDX, "rtmr1", 48},
	{DCR_TEE_TDX, "rtmr2", 48},
	{DCR_TEE_TDX, "rtmr3", 48},
	{DCR_TEE_TDX, "mrconfigid", 48},
	{DCR_TEE_SNP, "measurement", 48},
	{DCR_TEE_SNP, "host_data", 32},
	{DCR_TEE_AZURE_VTPM, "measurement", 48},
};

static const char *const pcr_names[24] = {
	"pcr0",  "pcr1",  "pcr2",  "pcr3",  "pcr4",  "pcr5",  "pcr6",  "pcr7",
	"pcr8",  "pcr9",  "pcr10", "pcr11", "pcr12", "pcr13", "pcr14", "pcr15",
	"pcr16", "pcr17", "pcr18", "pcr19", "pcr20", "pcr21", "pcr22", "pcr23",
};

size_t dcr_tee_field(enum dcr_tee tee, const char *name, const char **out_name)
{
	*out_name = NULL;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].tee == tee && !strcmp(fields[i].name, name)) {
			*out_name = fields[i].name;
			return fields[i].size;
		}
	}
	if (tee == DCR_TEE_AZURE_VTPM) {
		for (size_t i = 0; i < 24; i++) {
			if (!strcmp(pcr_names[i], name)) {
				*out_name = pcr_names[i];
				return 32;
			}
		}
	}
	return 0;
}
