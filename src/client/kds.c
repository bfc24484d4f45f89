/* SPDX-License-Identifier: Apache-2.0 */
/* The VCEK of an SEV-SNP report, when the evidence does not carry it: from
 * AMD's Key Distribution Service (KDS), cached on disk. The certificate is
 * only an input: the verifier checks it against AMD's built-in roots, its
 * chip id and TCB against the report, so a wrong or forged answer fails
 * verification, never passes it. docs/ATTESTATION.md, "Collateral". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"

#define SNP_REPORT_SIZE 1184
#define OFF_VERSION 0x00
#define OFF_REPORTED_TCB 0x180
#define OFF_CPUID_FAM 0x188
#define OFF_CPUID_MOD 0x189
#define OFF_CHIP_ID 0x1A0
#define VCEK_MAX (64u * 1024)
#define KDS_DEFAULT "https://kdsintf.amd.com"

/* The product lines to ask for: from the report's CPUID (version 3 and
 * later), else each in turn. */
static size_t products(const uint8_t *r, const char *out[static 3])
{
	uint32_t version = (uint32_t)r[OFF_VERSION] | (uint32_t)r[OFF_VERSION + 1] << 8;
	uint8_t fam = r[OFF_CPUID_FAM], mod = r[OFF_CPUID_MOD];

	if (version >= 3 && fam == 0x19 && mod < 0x10) {
		out[0] = "Milan";
		return 1;
	}
	if (version >= 3 && fam == 0x19) {
		out[0] = "Genoa";
		return 1;
	}
	if (version >= 3 && fam == 0x1A) {
		out[0] = "Turin";
		return 1;
	}
	out[0] = "Milan";
	out[1] = "Genoa";
	return 2;
}

/* The cache file of one product, chip and TCB. */
static bool vcek_cache(const char *product, const char *hwid, const uint8_t *tcb, char *out,
                       size_t size)
{
	char name[256];

	snprintf(name, sizeof(name), "vcek-%s-%s-%02x%02x%02x%02x.der", product, hwid, tcb[0],
	         tcb[1], tcb[6], tcb[7]);
	return client_cache_path(name, out, size);
}

enum dcr_err client_vcek_fetch(const uint8_t *report, size_t size, struct dcr_buf *out,
                               struct dcr_msg *msg)
{
	const char *base = getenv("DCR_KDS_URL"), *names[3];
	char hwid[129], path[4400], url[1024];
	size_t count, hw = 64;
	const uint8_t *tcb;
	enum dcr_err err = DCR_ERR_NOT_FOUND;
	CURL *curl;

	if (size < SNP_REPORT_SIZE)
		return dcr_fail(msg, DCR_ERR_INVALID, "snp: the report is too short for a VCEK");
	if (!base || !*base)
		base = KDS_DEFAULT;
	count = products(report, names);
	if (count == 1 && !strcmp(names[0], "Turin"))
		hw = 8; /* Turin's hwID is the chip id's first 8 bytes */
	dcr_hex_encode(hwid, report + OFF_CHIP_ID, hw);
	tcb = report + OFF_REPORTED_TCB;
	for (size_t i = 0; i < count; i++) {
		struct dcr_msg m = {{0}};

		dcr_buf_free(out); /* dcr_file_read starts it afresh */
		if (vcek_cache(names[i], hwid, tcb, path, sizeof(path)) &&
		    dcr_file_read(path, VCEK_MAX, out, &m) == DCR_OK) {
			dcr_log_info("snp: VCEK from the cache %s", path);
			return DCR_OK;
		}
	}
	dcr_buf_free(out);
	dcr_buf_init(out, VCEK_MAX);
	curl = curl_easy_init();
	if (!curl)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < count && err; i++) {
		long status;

		/* Milan and Genoa: bootloader, TEE, SNP, microcode at bytes 0, 1, 6, 7 */
		snprintf(url, sizeof(url), "%s/vcek/v1/%s/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u",
		         base, names[i], hwid, tcb[0], tcb[1], tcb[6], tcb[7]);
		dcr_buf_reset(out);
		if ((err = client_get(curl, url, NULL, NULL, out, &status, msg)))
			dcr_msg_prefix(msg, "snp: cannot fetch the VCEK from %s: ", base);
		else if (status != 200 || out->size == 0)
			err = dcr_fail(msg, DCR_ERR_NOT_FOUND,
			               "snp: AMD KDS has no VCEK for this chip and TCB (HTTP %ld for "
			               "%s); give one with --vcek or DCR_VCEK", status, names[i]);
		if (!err && vcek_cache(names[i], hwid, tcb, path, sizeof(path))) {
			struct dcr_msg m = {{0}};

			/* a cache only: a failure to keep it is not an error */
			if (dcr_file_write_atomic(path, out->data, out->size, 0600, DCR_WRITE_REPLACE,
			                          &m))
				dcr_log_info("snp: cannot cache the VCEK: %s", m.text);
		}
	}
	curl_easy_cleanup(curl);
	return err;
}
