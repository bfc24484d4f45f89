/* SPDX-License-Identifier: Apache-2.0 */
/* The azure-vtpm verifier: a DCRVTPM1 container holding an Azure CVM's HCL
 * report (an SNP report whose report data is the hash of the runtime data
 * JSON carrying the vTPM's attestation key and our user data) and a TPM2
 * quote by that key over PCRs 0..23. Steps and layout: docs/ATTESTATION.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "../attest_int.h"

#define TPM_GENERATED_VALUE 0xff544347u
#define TPM_ST_ATTEST_QUOTE 0x8018
#define TPM_ALG_SHA256 0x000b
#define JWK_MAX_BYTES 1024                 /* an 8192-bit modulus */
#define RUNTIME_MAX (64u * 1024)           /* the NV index holds ~2 KiB */

bool attest_vtpm_probe(const uint8_t *evidence, size_t size)
{
	return evidence && size >= VTPM_MAGIC_SIZE &&
	       memcmp(evidence, VTPM_MAGIC, VTPM_MAGIC_SIZE) == 0;
}

/* ---- HCL report ---------------------------------------------------------- */

static const char *hash_name(uint32_t hash_type)
{
	switch (hash_type) {
	case 1: return "SHA-256";
	case 2: return "SHA-384";
	case 3: return "SHA-512";
	default: return NULL;
	}
}

enum dcr_err attest_vtpm_hcl_parse(const uint8_t *hcl, size_t size, struct vtpm_hcl *out,
                                   struct dcr_msg *msg)
{
	const uint8_t *igvm, *rd;
	uint32_t data_size, var_size;
	const EVP_MD *md;
	unsigned int hlen = 0;
	char got[129], want[129];

	memset(out, 0, sizeof(*out));
	if (!hcl || size < HCL_OFF_VAR_DATA)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 2 (hcl report): the HCL report is %zu bytes; it "
		                "needs at least %d",
		                hcl ? size : 0, HCL_OFF_VAR_DATA);
	if (memcmp(hcl, HCL_MAGIC, 4) != 0)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 2 (hcl report): the HCL report does not start "
		                "with \"HCLA\"");
	out->version = attest_le32(hcl + 4);
	out->report_size = attest_le32(hcl + 8);
	out->request_type = attest_le32(hcl + 12);
	out->status = attest_le32(hcl + 16);
	if (out->version < 1 || out->version > 2)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 2 (hcl report): HCL version %u; this build reads "
		                "versions 1 and 2",
		                (unsigned)out->version);
	igvm = hcl + HCL_OFF_IGVM;
	data_size = attest_le32(igvm);
	out->report_type = attest_le32(igvm + 8);
	out->hash_type = attest_le32(igvm + 12);
	var_size = attest_le32(igvm + 16);
	if (data_size < HCL_IGVM_SIZE || var_size != data_size - HCL_IGVM_SIZE ||
	    data_size > size - HCL_OFF_IGVM || out->report_size != HCL_OFF_IGVM + data_size)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 2 (hcl report): inconsistent sizes (report_size "
		                "%u, IgvmRequestData data_size %u, variable data %u, %zu bytes "
		                "present)",
		                (unsigned)out->report_size, (unsigned)data_size, (unsigned)var_size,
		                size);
	if (out->report_type != HCL_REPORT_SNP && out->report_type != HCL_REPORT_TDX)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 2 (hcl report): report type %u; 2 (SNP) and 4 "
		                "(TDX) are defined",
		                (unsigned)out->report_type);
	if (!hash_name(out->hash_type))
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 2 (hcl report): hash type %u; 1 (SHA-256), 2 "
		                "(SHA-384) and 3 (SHA-512) are defined",
		                (unsigned)out->hash_type);
	if (!var_size)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 2 (hcl report): the runtime data is empty");
	out->hw_report = hcl + HCL_OFF_HW_REPORT;
	out->runtime = hcl + HCL_OFF_VAR_DATA;
	out->runtime_size = var_size;

	md = out->hash_type == 1 ? EVP_sha256() : out->hash_type == 2 ? EVP_sha384() : EVP_sha512();
	if (EVP_Digest(out->runtime, out->runtime_size, out->runtime_hash, &hlen, md, NULL) != 1)
		return dcr_fail(msg, DCR_ERR_INTERNAL, "azure-vtpm: step 3 (runtime data): OpenSSL "
		                "cannot hash");
	out->runtime_hash_size = hlen;
	rd = out->hw_report + (out->report_type == HCL_REPORT_SNP ? SNP_OFF_REPORT_DATA :
	                                                          TDREPORT_OFF_REPORT_DATA);
	if (memcmp(rd, out->runtime_hash, hlen) != 0 ||
	    !attest_all_zero(rd + hlen, DCR_REPORT_DATA_SIZE - hlen)) {
		dcr_hex_encode(got, rd, DCR_REPORT_DATA_SIZE);
		dcr_hex_encode(want, out->runtime_hash, hlen);
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 3 (runtime data): the hardware report's report "
		                "data %.64s... is not the %s of the runtime data (%.64s...): the "
		                "runtime data was changed",
		                got, hash_name(out->hash_type), want);
	}
	return DCR_OK;
}

/* ---- runtime data JSON ------------------------------------------------------ */

/* Decodes unpadded base64url (RFC 7515) into out. */
static bool b64url_decode(const char *in, uint8_t *out, size_t cap, size_t *out_size)
{
	size_t len = strlen(in), n = 0;
	char *std;
	bool ok;

	if (!len || len > 2 * JWK_MAX_BYTES || len % 4 == 1)
		return false;
	std = malloc(len + 4);
	if (!std)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '+' || c == '/' || c == '=') {
			free(std);
			return false;
		}
		std[n++] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (n % 4)
		std[n++] = '=';
	ok = dcr_b64_decode(out, cap, std, n, out_size) == DCR_OK;
	free(std);
	return ok;
}

/* The RSA public key (n, e big-endian) as an EVP_PKEY, or NULL. */
static EVP_PKEY *rsa_from_ne(const uint8_t *n, size_t n_size, const uint8_t *e, size_t e_size)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_size, NULL), *bn_e = BN_bin2bn(e, (int)e_size, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (!bld || !bn_n || !bn_e || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return key;
}

void attest_vtpm_runtime_free(struct vtpm_runtime *rt)
{
	EVP_PKEY_free(rt->ak);
	memset(rt, 0, sizeof(*rt));
}

enum dcr_err attest_vtpm_runtime_parse(const uint8_t *json, size_t size,
                                       struct vtpm_runtime *out, struct dcr_msg *msg)
{
	uint8_t n[JWK_MAX_BYTES], e[16];
	size_t n_size = 0, e_size = 0, index;
	json_t *root, *keys, *k, *ud;
	json_error_t jerr;
	const json_t *ak = NULL;
	const char *ns, *es, *kty;
	enum dcr_err err = DCR_ERR_VERIFY;

	memset(out, 0, sizeof(*out));
	if (!json || !size || size > RUNTIME_MAX)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 4 (runtime data): %zu bytes of runtime data",
		                json ? size : 0);
	root = json_loadb((const char *)json, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "azure-vtpm: step 4 (runtime data): not a JSON object (%s, at byte "
		               "%d)",
		               root ? "another JSON value" : jerr.text, root ? 0 : jerr.position);
		goto out;
	}
	keys = json_object_get(root, "keys");
	json_array_foreach(keys, index, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));

		if (kid && !strcmp(kid, "HCLAkPub")) {
			if (ak) {
				err = dcr_fail(msg, DCR_ERR_INVALID,
				               "azure-vtpm: step 4 (runtime data): two HCLAkPub keys");
				goto out;
			}
			ak = k;
		}
	}
	if (!ak) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "azure-vtpm: step 4 (runtime data): no \"HCLAkPub\" key in \"keys\"");
		goto out;
	}
	kty = json_string_value(json_object_get(ak, "kty"));
	ns = json_string_value(json_object_get(ak, "n"));
	es = json_string_value(json_object_get(ak, "e"));
	if (!kty || strcmp(kty, "RSA") || !ns || !es ||
	    !b64url_decode(ns, n, sizeof(n), &n_size) ||
	    !b64url_decode(es, e, sizeof(e), &e_size)) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "azure-vtpm: step 4 (runtime data): HCLAkPub is not an RSA JWK with "
		               "base64url \"n\" and \"e\"");
		goto out;
	}
	out->ak = rsa_from_ne(n, n_size, e, e_size);
	if (!out->ak || EVP_PKEY_get_bits(out->ak) < 2048) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "azure-vtpm: step 4 (runtime data): HCLAkPub is not an RSA key of "
		               "2048 bits or more");
		goto out;
	}
	ud = json_object_get(root, "user-data");
	if (ud) {
		const char *hex = json_string_value(ud);

		if (!hex || dcr_hex_decode(out->user_data, DCR_REPORT_DATA_SIZE, hex,
		                           strlen(hex)) != DCR_OK) {
			err = dcr_fail(msg, DCR_ERR_INVALID,
			               "azure-vtpm: step 4 (runtime data): \"user-data\" is not %d "
			               "bytes of hex",
			               DCR_REPORT_DATA_SIZE);
			goto out;
		}
		out->has_user_data = true;
	}
	err = DCR_OK;
out:
	json_decref(root);
	if (err)
		attest_vtpm_runtime_free(out);
	return err;
}

/* ---- TPM quote ------------------------------------------------------------- */

/* A bounds-checked big-endian reader. */
struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static uint64_t rd_be(struct rd *r, size_t n)
{
	const uint8_t *p = rd_bytes(r, n);
	uint64_t v = 0;

	for (size_t i = 0; p && i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* A TPM2B: u16 size then that many bytes (at most max). */
static const uint8_t *rd_tpm2b(struct rd *r, size_t max, size_t *out_size)
{
	size_t n = (size_t)rd_be(r, 2);

	*out_size = 0;
	if (n > max) {
		r->bad = true;
		return NULL;
	}
	*out_size = n;
	return rd_bytes(r, n);
}

static enum dcr_err quote_parse(const uint8_t *attest, size_t size, struct vtpm_quote *q,
                                struct dcr_msg *msg)
{
	struct rd r = {attest, size, false};
	uint32_t magic, count;
	uint16_t type;
	size_t name_size;
	const uint8_t *sel;

	memset(q, 0, sizeof(*q));
	if (!attest || !size || size > TPM_QUOTE_MAX)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 5 (quote): the quote is %zu bytes", size);
	magic = (uint32_t)rd_be(&r, 4);
	type = (uint16_t)rd_be(&r, 2);
	if (r.bad || magic != TPM_GENERATED_VALUE || type != TPM_ST_ATTEST_QUOTE)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 5 (quote): not a TPM-generated quote (magic "
		                "0x%08x, type 0x%04x; expected 0xff544347, 0x8018)",
		                (unsigned)magic, (unsigned)type);
	(void)rd_tpm2b(&r, 2 + 64, &name_size);              /* qualifiedSigner */
	q->extra_data = rd_tpm2b(&r, 64, &q->extra_data_size); /* extraData */
	q->clock = rd_be(&r, 8);
	q->reset_count = (uint32_t)rd_be(&r, 4);
	q->restart_count = (uint32_t)rd_be(&r, 4);
	(void)rd_be(&r, 1);                                  /* safe */
	q->firmware_version = rd_be(&r, 8);
	count = (uint32_t)rd_be(&r, 4);
	if (r.bad || count != 1)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 5 (quote): %s",
		                r.bad ? "the TPMS_ATTEST is truncated" :
		                        "the quote must select exactly one PCR bank");
	q->pcr_hash = (uint16_t)rd_be(&r, 2);
	q->pcr_select_size = (size_t)rd_be(&r, 1);
	if (q->pcr_select_size > sizeof(q->pcr_select)) {
		r.bad = true;
	} else {
		sel = rd_bytes(&r, q->pcr_select_size);
		if (sel)
			memcpy(q->pcr_select, sel, q->pcr_select_size);
	}
	q->pcr_digest = rd_tpm2b(&r, 64, &q->pcr_digest_size);
	if (r.bad || r.left)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 5 (quote): %s",
		                r.bad ? "the TPMS_ATTEST is truncated or a field is too long" :
		                        "bytes follow the TPMS_ATTEST");
	return DCR_OK;
}

enum dcr_err attest_vtpm_quote_verify(const uint8_t *attest, size_t attest_size,
                                      const uint8_t *sig, size_t sig_size, EVP_PKEY *ak,
                                      const uint8_t *expected_extra, size_t expected_extra_size,
                                      const uint8_t *pcrs, size_t pcrs_size,
                                      struct vtpm_quote *out, struct dcr_msg *msg)
{
	uint8_t digest[32];
	EVP_MD_CTX *ctx;
	enum dcr_err err;
	int rc;

	err = quote_parse(attest, attest_size, out, msg);
	if (err)
		return err;

	if (!ak || !EVP_PKEY_is_a(ak, "RSA"))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 6 (quote signature): the attestation key is not "
		                "an RSA key");
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return dcr_fail(msg, DCR_ERR_NOMEM, "azure-vtpm: step 6 (quote signature): out of "
		                "memory");
	/* RSA's default padding is PKCS #1 v1.5 */
	rc = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, ak) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_size, attest, attest_size) == 1;
	EVP_MD_CTX_free(ctx);
	if (!rc)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 6 (quote signature): the quote's RSASSA-PKCS1-v1_5 "
		                "SHA-256 signature does not verify with the attestation key "
		                "(HCLAkPub)");

	if (out->extra_data_size != expected_extra_size ||
	    !dcr_ct_equal(out->extra_data, expected_extra, expected_extra_size))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 7 (quote qualifying data): the quote's extraData "
		                "(%zu bytes) is not the expected %zu bytes: the quote was made for "
		                "other report data",
		                out->extra_data_size, expected_extra_size);

	if (out->pcr_hash != TPM_ALG_SHA256 || out->pcr_select_size < 3 ||
	    out->pcr_select[0] != 0xff || out->pcr_select[1] != 0xff ||
	    out->pcr_select[2] != 0xff || !attest_all_zero(out->pcr_select + 3, out->pcr_select_size - 3))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 8 (pcrs): the quote does not select exactly the "
		                "SHA-256 PCRs 0..23 (bank 0x%04x)",
		                (unsigned)out->pcr_hash);
	if (!pcrs || pcrs_size != VTPM_PCRS_SIZE)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 8 (pcrs): %zu bytes of PCR values; expected %d",
		                pcrs ? pcrs_size : 0, VTPM_PCRS_SIZE);
	dcr_sha256(pcrs, pcrs_size, digest);
	if (out->pcr_digest_size != sizeof(digest) ||
	    !dcr_ct_equal(out->pcr_digest, digest, sizeof(digest)))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 8 (pcrs): the PCR values do not hash to the "
		                "quote's pcrDigest: they are not the values the TPM quoted");
	return DCR_OK;
}

/* ---- the hardware report ------------------------------------------------------ */

/* Adds what the hardware report in the HCL says to claims->info (unverified
 * facts; the SNP measurement goes to the measurements). */
static void hw_report_facts(const struct vtpm_hcl *h, struct dcr_attest_claims *c)
{
	char hex[2 * 48 + 1];

	if (h->report_type == HCL_REPORT_SNP) {
		struct dcr_attest_measurement *m = &c->measurements[c->measurement_count++];

		m->name = "measurement";
		memcpy(m->value, h->hw_report + SNP_OFF_MEASUREMENT, SNP_MEASUREMENT_SIZE);
		m->size = SNP_MEASUREMENT_SIZE;
		c->debug = (attest_le64(h->hw_report + SNP_OFF_POLICY) & SNP_POLICY_DEBUG) != 0;
		attest_snp_report_info(h->hw_report, c);
		return;
	}
	dcr_hex_encode(hex, h->hw_report + TDREPORT_OFF_MRTD, 48);
	attest_info_add(c, "tdx_mrtd", "%s", hex);
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = {"tdx_rtmr0", "tdx_rtmr1", "tdx_rtmr2",
		                                    "tdx_rtmr3"};

		dcr_hex_encode(hex, h->hw_report + TDREPORT_OFF_RTMR0 + 48 * i, 48);
		attest_info_add(c, names[i], "%s", hex);
	}
	attest_info_add(c, "tdx_attributes", "0x%016llx",
	                (unsigned long long)attest_le64(h->hw_report + TDREPORT_OFF_ATTRIBUTES));
	c->debug = (h->hw_report[TDREPORT_OFF_ATTRIBUTES] & 1) != 0;
}

static void hcl_facts(const struct vtpm_hcl *h, struct dcr_attest_claims *c)
{
	attest_info_add(c, "hcl", "version %u, report_size %u, request_type %u, status %u, "
	                "%s report",
	                (unsigned)h->version, (unsigned)h->report_size, (unsigned)h->request_type,
	                (unsigned)h->status, h->report_type == HCL_REPORT_SNP ? "SNP" : "TDX");
	attest_info_add(c, "runtime_data", "%zu bytes; the hardware report's report data is its "
	                "%s",
	                h->runtime_size, hash_name(h->hash_type));
}

/* Step 9: the hardware report. SNP: verified with the VCEK; its claims'
 * info goes into out. TDX: never verified here. */
static enum dcr_err check_hw_report(const struct vtpm_hcl *h, const uint8_t *vcek,
                                    size_t vcek_size, const char *vcek_source,
                                    const struct snp_product *products, int64_t at,
                                    struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	struct dcr_attest_claims snp;
	enum dcr_err err;

	if (h->report_type == HCL_REPORT_TDX)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 9 (hardware report): the HCL report holds a TDX "
		                "TDREPORT, which only the local CPU can check (it is MAC'd, not "
		                "signed); it must first be turned into a quote by the host's "
		                "quoting service, which this verifier does not do: NOT verified");
	if (!vcek || !vcek_size)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "azure-vtpm: step 9 (hardware report): no VCEK: the SNP report "
		                "cannot be verified without the chip's VCEK certificate (section 5 "
		                "of the container, or --vcek): NOT verified");
	err = attest_snp_verify_report(h->hw_report, vcek, vcek_size, vcek_source, products, at,
	                               &snp, msg);
	if (err) {
		dcr_msg_prefix(msg, "azure-vtpm: step 9 (hardware report): ");
		return err;
	}
	for (size_t i = 0; i < snp.info_count; i++)
		if (strcmp(snp.info[i].name, "product") == 0 || strcmp(snp.info[i].name, "vcek") == 0)
			attest_info_add(out, snp.info[i].name, "%s", snp.info[i].value);
	return DCR_OK;
}

/* ---- verification --------------------------------------------------------------- */

enum dcr_err attest_vtpm_verify(const uint8_t *evidence, size_t size,
                                const struct dcr_attest_verify_opts *opts,
                                struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	return attest_vtpm_verify_with(evidence, size, opts, NULL, out, msg);
}

enum dcr_err attest_vtpm_verify_with(const uint8_t *evidence, size_t size,
                                     const struct dcr_attest_verify_opts *opts,
                                     const struct snp_product *products,
                                     struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	const uint8_t *sec[VTPM_SECTION_COUNT];
	size_t sec_size[VTPM_SECTION_COUNT], pos = VTPM_MAGIC_SIZE;
	struct vtpm_runtime rt = {0};
	struct vtpm_hcl hcl;
	struct vtpm_quote quote;
	uint8_t nonce[32];
	const uint8_t *vcek;
	size_t vcek_size;
	const char *vcek_source;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	if (!attest_vtpm_probe(evidence, size))
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 1 (format): the evidence does not start with "
		                "\"%s\"", VTPM_MAGIC);
	for (int i = 0; i < VTPM_SECTION_COUNT; i++) {
		uint32_t len;

		if (size - pos < 4)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "azure-vtpm: step 1 (format): the container ends before section "
			                "%d's length", i + 1);
		len = attest_le32(evidence + pos);
		pos += 4;
		if (len > size - pos)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "azure-vtpm: step 1 (format): section %d claims %u bytes; %zu "
			                "are left", i + 1, (unsigned)len, size - pos);
		sec[i] = evidence + pos;
		sec_size[i] = len;
		pos += len;
	}
	if (pos != size)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "azure-vtpm: step 1 (format): %zu bytes follow section 5", size - pos);

	err = attest_vtpm_hcl_parse(sec[0], sec_size[0], &hcl, msg);
	if (err)
		return err;
	err = attest_vtpm_runtime_parse(hcl.runtime, hcl.runtime_size, &rt, msg);
	if (err)
		return err;
	if (!rt.has_user_data) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "azure-vtpm: step 4 (runtime data): the runtime data has no "
		               "\"user-data\": the HCL report binds no report data");
		goto out;
	}
	dcr_sha256(rt.user_data, DCR_REPORT_DATA_SIZE, nonce);
	err = attest_vtpm_quote_verify(sec[1], sec_size[1], sec[2], sec_size[2], rt.ak, nonce,
	                               sizeof(nonce), sec[3], sec_size[3], &quote, msg);
	if (err)
		goto out;

	vcek = sec[4];
	vcek_size = sec_size[4];
	vcek_source = "from the container";
	if (opts && opts->vcek && opts->vcek_size) {
		vcek = opts->vcek;
		vcek_size = opts->vcek_size;
		vcek_source = "given by the verifier (--vcek)";
	}
	out->tee = DCR_TEE_AZURE_VTPM;
	err = check_hw_report(&hcl, vcek, vcek_size, vcek_source, products, opts ? opts->at : 0,
	                      out, msg);
	if (err)
		goto out;

	memcpy(out->report_data, rt.user_data, DCR_REPORT_DATA_SIZE);
	hw_report_facts(&hcl, out);
	for (int i = 0; i < VTPM_PCR_COUNT; i++) {
		struct dcr_attest_measurement *m = &out->measurements[out->measurement_count++];
		char name[16];

		snprintf(name, sizeof(name), "pcr%d", i);
		if (dcr_tee_field(DCR_TEE_AZURE_VTPM, name, &m->name) != 32) {
			err = dcr_fail(msg, DCR_ERR_INTERNAL, "azure-vtpm: no field %s", name);
			goto out;
		}
		memcpy(m->value, sec[3] + 32 * i, 32);
		m->size = 32;
	}
	hcl_facts(&hcl, out);
	attest_info_add(out, "tpm_quote", "AK RSA-%d, firmware 0x%016llx, clock %llu, "
	                "reset count %u, restart count %u",
	                EVP_PKEY_get_bits(rt.ak), (unsigned long long)quote.firmware_version,
	                (unsigned long long)quote.clock, (unsigned)quote.reset_count,
	                (unsigned)quote.restart_count);
out:
	attest_vtpm_runtime_free(&rt);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

enum dcr_err dcr_attest_azure_hcl_inspect(const uint8_t *hcl, size_t size,
                                          const struct dcr_attest_verify_opts *opts,
                                          struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	struct vtpm_runtime rt = {0};
	struct vtpm_hcl h;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	out->tee = DCR_TEE_AZURE_VTPM;
	err = attest_vtpm_hcl_parse(hcl, size, &h, msg);
	if (err) {
		/* the facts that parsed are still worth showing */
		if (h.hw_report) {
			hcl_facts(&h, out);
			attest_info_add(out, "binding", "FAILED");
			hw_report_facts(&h, out);
		}
		return err;
	}
	hcl_facts(&h, out);
	attest_info_add(out, "binding", "OK: the hardware report's report data is the %s of "
	                "the runtime data", hash_name(h.hash_type));
	err = attest_vtpm_runtime_parse(h.runtime, h.runtime_size, &rt, msg);
	if (err) {
		hw_report_facts(&h, out);
		return err;
	}
	attest_info_add(out, "ak", "HCLAkPub, RSA-%d", EVP_PKEY_get_bits(rt.ak));
	if (rt.has_user_data)
		memcpy(out->report_data, rt.user_data, DCR_REPORT_DATA_SIZE);
	attest_info_add(out, "user_data", "%s", rt.has_user_data ? "present (the report data)" :
	                "absent (the report data shown is zero)");
	attest_vtpm_runtime_free(&rt);
	hw_report_facts(&h, out);
	return check_hw_report(&h, opts ? opts->vcek : NULL, opts ? opts->vcek_size : 0,
	                       "given by the verifier (--vcek)", NULL, opts ? opts->at : 0, out,
	                       msg);
}
