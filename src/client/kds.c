/* SPDX-License-Identifier: Apache-2.0 */
/* The VCEK of an SEV-SNP report, when the evidence does not carry it: from
 * AMD's Key Distribution Service (KDS), cached on disk. The certificate is
 * only an input: the verifier checks it against AMD's built-in roots, its
 * chip id and TCB against the report, so a wrong or forged answer fails
 * verification, never passes it. docs/ATTESTATION.md, "Collateral". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* $XDG_CACHE_HOME/dcr or ~/.cache/dcr, created 0700; NULL when neither. */
static bool cache_dir(char *out, size_t size)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (x && *x)
		n = snprintf(out, size, "%s/dcr", x);
	else if (home && *home)
		n = snprintf(out, size, "%s/.cache/dcr", home);
	else
		return false;
	if (n <= 0 || (size_t)n >= size)
		return false;
	if (mkdir(out, 0700) < 0 && errno != EEXIST) {
		/* ~/.cache may be missing too */
		char parent[4200];

		snprintf(parent, sizeof(parent), "%s", out);
		*strrchr(parent, '/') = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			return false;
		if (mkdir(out, 0700) < 0 && errno != EEXIST)
			return false;
	}
	return true;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct dcr_buf *b = ctx;

	return dcr_buf_append(b, p, size * n) ? 0 : size * n;
}

enum dcr_err client_vcek_fetch(const uint8_t *report, size_t size, struct dcr_buf *out,
                               struct dcr_msg *msg)
{
	const char *base = getenv("DCR_KDS_URL"), *names[3];
	char hwid[129], path[4400], dir[4200], url[1024];
	size_t count, hw = 64;
	const uint8_t *tcb;
	enum dcr_err err = DCR_ERR_NOT_FOUND;
	CURL *curl;

	if (size < SNP_REPORT_SIZE)
		return dcr_fail(msg, DCR_ERR_INVALID, "snp: the report is too short for a VCEK");
	count = products(report, names);
	if (count == 1 && !strcmp(names[0], "Turin"))
		hw = 8; /* Turin's hwID is the chip id's first 8 bytes */
	dcr_hex_encode(hwid, report + OFF_CHIP_ID, hw);
	tcb = report + OFF_REPORTED_TCB;
	/* the cache: one file per product, chip and TCB */
	if (cache_dir(dir, sizeof(dir))) {
		for (size_t i = 0; i < count; i++) {
			struct dcr_msg m = {{0}};

			snprintf(path, sizeof(path), "%s/vcek-%s-%s-%02x%02x%02x%02x.der", dir, names[i],
			         hwid, tcb[0], tcb[1], tcb[6], tcb[7]);
			dcr_buf_free(out); /* dcr_file_read starts it afresh */
			if (dcr_file_read(path, VCEK_MAX, out, &m) == DCR_OK) {
				dcr_log_info("snp: VCEK from the cache %s", path);
				return DCR_OK;
			}
		}
	} else {
		dir[0] = '\0';
	}
	curl = curl_easy_init();
	if (!curl)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < count && err; i++) {
		long status = 0;
		CURLcode rc;

		/* Milan and Genoa: bootloader, TEE, SNP, microcode at bytes 0, 1, 6, 7 */
		snprintf(url, sizeof(url), "%s/vcek/v1/%s/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u",
		         base && *base ? base : KDS_DEFAULT, names[i], hwid, tcb[0], tcb[1], tcb[6],
		         tcb[7]);
		dcr_buf_reset(out);
		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		rc = curl_easy_perform(curl);
		if (rc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK)
			err = dcr_fail(msg, DCR_ERR_IO, "snp: cannot fetch the VCEK from %s: %s",
			               base && *base ? base : KDS_DEFAULT, curl_easy_strerror(rc));
		else if (status == 200 && out->size > 0)
			err = DCR_OK;
		else
			err = dcr_fail(msg, DCR_ERR_NOT_FOUND,
			               "snp: AMD KDS has no VCEK for this chip and TCB (HTTP %ld for "
			               "%s); give one with --vcek or DCR_VCEK", status, names[i]);
		if (!err && dir[0]) {
			struct dcr_msg m = {{0}};

			snprintf(path, sizeof(path), "%s/vcek-%s-%s-%02x%02x%02x%02x.der", dir, names[i],
			         hwid, tcb[0], tcb[1], tcb[6], tcb[7]);
			/* a cache only: a failure to keep it is not an error */
			if (dcr_file_write_atomic(path, out->data, out->size, 0600, DCR_WRITE_REPLACE,
			                          &m))
				dcr_log_info("snp: cannot cache the VCEK: %s", m.text);
		}
	}
	curl_easy_cleanup(curl);
	return err;
}
