/* SPDX-License-Identifier: Apache-2.0 */
/* The azure-vtpm producer (tpm2-tss ESAPI): report data into the HCL's NV
 * index, the HCL report back, a TPM2_Quote by the AK over the SHA-256 PCRs
 * and the PCR values, in the "DCRVTPM1" container (docs/ATTESTATION.md).
 * The sealing key is kept in the data directory, like tdx's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "../attest_int.h"

#define PCR_BATCH 8        /* TPM2_PCR_Read returns at most 8 digests */
#define QUOTE_TRIES 3      /* PCRs extended between quote and read: again */
#define NV_CHUNK_DEFAULT 512

struct tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

/* The TCTI to open: $TPM2TOOLS_TCTI or $TCTI as tpm2-tools read them; with a
 * fake device tree ($DCR_ATTEST_ROOT), its /dev/tpmrm0; else tss2's
 * default search (tabrmd, /dev/tpmrm0, /dev/tpm0, ...). *out NULL = default. */
static enum dcr_err tcti_conf(char **out)
{
	const char *env = getenv("TPM2TOOLS_TCTI");
	const char *root = getenv(ATTEST_ROOT_ENV);
	char *dev;
	size_t n;

	*out = NULL;
	if (!env || !*env)
		env = getenv("TCTI");
	if (env && *env) {
		*out = strdup(env);
		return *out ? DCR_OK : DCR_ERR_NOMEM;
	}
	if (!root || !*root)
		return DCR_OK;
	dev = attest_path(VTPM_TPM_DEVICE);
	if (!dev)
		return DCR_ERR_NOMEM;
	n = strlen(dev) + sizeof("device:");
	*out = malloc(n);
	if (*out)
		snprintf(*out, n, "device:%s", dev);
	free(dev);
	return *out ? DCR_OK : DCR_ERR_NOMEM;
}

static void tpm_close(struct tpm *t)
{
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
}

static enum dcr_err tpm_open(struct tpm *t, struct dcr_msg *msg)
{
	char *conf = NULL;
	TSS2_RC rc;

	memset(t, 0, sizeof(*t));
	/* tss2 prints every failed command to stderr; detect() probes an NV
	 * index that a TPM outside Azure lacks. Keep its errors unless the
	 * user asked for a log level. */
	setenv("TSS2_LOG", "all+none", 0);
	if (tcti_conf(&conf))
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	rc = Tss2_TctiLdr_Initialize(conf, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		dcr_fail(msg, DCR_ERR_UNSUPPORTED, "azure-vtpm: cannot open the TPM (TCTI %s): %s",
		         conf ? conf : "default", Tss2_RC_Decode(rc));
		free(conf);
		return DCR_ERR_UNSUPPORTED;
	}
	free(conf);
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_close(t);
		return dcr_fail(msg, DCR_ERR_IO, "azure-vtpm: cannot start ESAPI: %s",
		                Tss2_RC_Decode(rc));
	}
	return DCR_OK;
}

static enum dcr_err tpm_fail(struct dcr_msg *msg, const char *what, TSS2_RC rc)
{
	return dcr_fail(msg, DCR_ERR_IO, "azure-vtpm: %s: %s", what, Tss2_RC_Decode(rc));
}

bool attest_vtpm_detect(void)
{
	struct tpm t;
	ESYS_TR nv;
	bool found;
	const char *env = getenv("TPM2TOOLS_TCTI");

	if ((!env || !*env) && !getenv("TCTI") && !attest_path_exists(VTPM_TPM_DEVICE, false))
		return false;
	if (tpm_open(&t, NULL))
		return false;
	/* a TPM, and the index where Azure's HCL keeps its report */
	found = Esys_TR_FromTPMPublic(t.esys, VTPM_NV_HCL_REPORT, ESYS_TR_NONE, ESYS_TR_NONE,
	                              ESYS_TR_NONE, &nv) == TSS2_RC_SUCCESS;
	tpm_close(&t);
	return found;
}

/* Largest NV read or write the TPM takes in one command. */
static size_t nv_chunk(ESYS_CONTEXT *esys)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	size_t n = NV_CHUNK_DEFAULT;

	if (Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                       TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, &more,
	                       &cap) == TSS2_RC_SUCCESS &&
	    cap->data.tpmProperties.count == 1 &&
	    cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX &&
	    cap->data.tpmProperties.tpmProperty[0].value > 0)
		n = cap->data.tpmProperties.tpmProperty[0].value;
	Esys_Free(cap);
	if (n > TPM2_MAX_NV_BUFFER_SIZE)
		n = TPM2_MAX_NV_BUFFER_SIZE;
	return n;
}

/* Writes the report data to NV 0x01400002 (owner authorisation, empty as
 * on Azure): the HCL then refreshes the report in 0x01400001. */
static enum dcr_err write_report_data(struct tpm *t, const uint8_t rd[static DCR_REPORT_DATA_SIZE],
                                      struct dcr_msg *msg)
{
	TPM2B_MAX_NV_BUFFER data = {.size = DCR_REPORT_DATA_SIZE};
	ESYS_TR nv;
	TSS2_RC rc;

	memcpy(data.buffer, rd, DCR_REPORT_DATA_SIZE);
	rc = Esys_TR_FromTPMPublic(t->esys, VTPM_NV_REPORT_DATA, ESYS_TR_NONE, ESYS_TR_NONE,
	                           ESYS_TR_NONE, &nv);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(msg, "NV index 0x01400002 (report data; is this an Azure "
		                     "confidential VM?)", rc);
	rc = Esys_NV_Write(t->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	                   ESYS_TR_NONE, &data, 0);
	Esys_TR_Close(t->esys, &nv);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(msg, "writing the report data to NV index 0x01400002", rc);
	return DCR_OK;
}

/* Appends the whole of NV 0x01400001 (the HCL report) to out, in pieces
 * of the TPM's NV buffer size. */
static enum dcr_err read_hcl_report(struct tpm *t, struct dcr_buf *out, struct dcr_msg *msg)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	enum dcr_err err = DCR_OK;
	size_t size, chunk;
	ESYS_TR nv;
	TSS2_RC rc;

	rc = Esys_TR_FromTPMPublic(t->esys, VTPM_NV_HCL_REPORT, ESYS_TR_NONE, ESYS_TR_NONE,
	                           ESYS_TR_NONE, &nv);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(msg, "NV index 0x01400001 (HCL report; is this an Azure "
		                     "confidential VM?)", rc);
	rc = Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		err = tpm_fail(msg, "NV index 0x01400001", rc);
		goto out;
	}
	size = pub->nvPublic.dataSize;
	if (size == 0 || size > VTPM_HCL_REPORT_MAX) {
		err = dcr_fail(msg, DCR_ERR_INVALID, "azure-vtpm: NV index 0x01400001 holds %zu "
		               "bytes, not an HCL report", size);
		goto out;
	}
	chunk = nv_chunk(t->esys);
	for (size_t off = 0; off < size;) {
		TPM2B_MAX_NV_BUFFER *data = NULL;
		size_t want = size - off < chunk ? size - off : chunk;

		rc = Esys_NV_Read(t->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		                  ESYS_TR_NONE, (UINT16)want, (UINT16)off, &data);
		if (rc != TSS2_RC_SUCCESS) {
			err = tpm_fail(msg, "reading NV index 0x01400001", rc);
			goto out;
		}
		if (data->size != want) {
			Esys_Free(data);
			err = dcr_fail(msg, DCR_ERR_IO, "azure-vtpm: NV read at %zu: %zu bytes, "
			               "asked for %zu", off, (size_t)data->size, want);
			goto out;
		}
		err = dcr_buf_append(out, data->buffer, want);
		Esys_Free(data);
		if (err) {
			dcr_msg_set(msg, "azure-vtpm: HCL report: %s", dcr_strerror(err));
			goto out;
		}
		off += want;
	}
out:
	Esys_Free(pub);
	Esys_TR_Close(t->esys, &nv);
	return err;
}

/* A selection of SHA-256 PCRs: the bits of bytes [first, first + count). */
static void pcr_selection(TPML_PCR_SELECTION *sel, unsigned first_byte, unsigned byte_count)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = VTPM_PCR_COUNT / 8;
	for (unsigned i = first_byte; i < first_byte + byte_count; i++)
		sel->pcrSelections[0].pcrSelect[i] = 0xff;
}

/* The 24 SHA-256 PCR values, 768 bytes, into pcrs; in batches of 8 PCRs
 * (what one TPM2_PCR_Read returns). */
static enum dcr_err read_pcrs(struct tpm *t, uint8_t pcrs[static VTPM_PCR_COUNT * 32],
                              struct dcr_msg *msg)
{
	for (unsigned batch = 0; batch < VTPM_PCR_COUNT / PCR_BATCH; batch++) {
		TPML_PCR_SELECTION sel, *got = NULL;
		TPML_DIGEST *values = NULL;
		enum dcr_err err = DCR_OK;
		UINT32 counter;
		TSS2_RC rc;

		pcr_selection(&sel, batch, 1);
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
		                   &got, &values);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(msg, "TPM2_PCR_Read", rc);
		if (got->count != 1 || got->pcrSelections[0].hash != TPM2_ALG_SHA256 ||
		    got->pcrSelections[0].sizeofSelect < sel.pcrSelections[0].sizeofSelect ||
		    memcmp(got->pcrSelections[0].pcrSelect, sel.pcrSelections[0].pcrSelect,
		           sel.pcrSelections[0].sizeofSelect) != 0 ||
		    values->count != PCR_BATCH)
			err = dcr_fail(msg, DCR_ERR_IO,
			               "azure-vtpm: TPM2_PCR_Read of PCRs %u-%u returned another "
			               "selection (does the TPM have a SHA-256 bank?)",
			               batch * PCR_BATCH, batch * PCR_BATCH + PCR_BATCH - 1);
		for (unsigned i = 0; !err && i < PCR_BATCH; i++) {
			if (values->digests[i].size != 32)
				err = dcr_fail(msg, DCR_ERR_IO, "azure-vtpm: PCR %u is %u bytes, not 32",
				               batch * PCR_BATCH + i, (unsigned)values->digests[i].size);
			else
				memcpy(pcrs + 32 * (batch * PCR_BATCH + i), values->digests[i].buffer, 32);
		}
		Esys_Free(got);
		Esys_Free(values);
		if (err)
			return err;
	}
	return DCR_OK;
}

static enum dcr_err put_section(struct dcr_buf *out, const void *data, size_t size)
{
	uint8_t len[4] = {(uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16),
	                  (uint8_t)(size >> 24)};
	enum dcr_err err = dcr_buf_append(out, len, sizeof(len));

	return err || !size ? err : dcr_buf_append(out, data, size);
}

enum dcr_err attest_vtpm_evidence(const struct dcr_attest_env *env,
                                  const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                  struct dcr_buf *out, struct dcr_msg *msg)
{
	uint8_t pcrs[VTPM_PCR_COUNT * 32], digest[32];
	TPMT_SIG_SCHEME scheme = {
		.scheme = TPM2_ALG_RSASSA, .details.rsassa.hashAlg = TPM2_ALG_SHA256,
	};
	TPM2B_DATA nonce = {.size = 32};
	TPML_PCR_SELECTION sel;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	struct dcr_buf hcl;
	ESYS_TR ak = ESYS_TR_NONE;
	enum dcr_err err;
	size_t start = out->size;
	struct tpm t;
	TSS2_RC rc;

	(void)env;
	dcr_buf_init(&hcl, VTPM_HCL_REPORT_MAX);
	dcr_sha256(report_data, DCR_REPORT_DATA_SIZE, nonce.buffer);
	err = tpm_open(&t, msg);
	if (err)
		return err;
	err = write_report_data(&t, report_data, msg);
	if (!err)
		err = read_hcl_report(&t, &hcl, msg);
	if (err)
		goto out;
	if (hcl.size < 4 || memcmp(hcl.data, "HCLA", 4) != 0) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "azure-vtpm: NV index 0x01400001 does not hold an HCL report "
		               "(no \"HCLA\")");
		goto out;
	}

	rc = Esys_TR_FromTPMPublic(t.esys, VTPM_AK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE,
	                           ESYS_TR_NONE, &ak);
	if (rc != TSS2_RC_SUCCESS) {
		err = tpm_fail(msg, "the attestation key at 0x81000003", rc);
		goto out;
	}
	pcr_selection(&sel, 0, VTPM_PCR_COUNT / 8);
	for (int attempt = 1;; attempt++) {
		TPMS_ATTEST a;
		size_t off = 0;

		Esys_Free(quoted);
		Esys_Free(sig);
		quoted = NULL;
		sig = NULL;
		rc = Esys_Quote(t.esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &nonce,
		                &scheme, &sel, &quoted, &sig);
		if (rc != TSS2_RC_SUCCESS) {
			err = tpm_fail(msg, "TPM2_Quote by the AK at 0x81000003", rc);
			goto out;
		}
		err = read_pcrs(&t, pcrs, msg);
		if (err)
			goto out;
		memset(&a, 0, sizeof(a));
		rc = Tss2_MU_TPMS_ATTEST_Unmarshal(quoted->attestationData, quoted->size, &off, &a);
		if (rc != TSS2_RC_SUCCESS || off != quoted->size || a.magic != TPM2_GENERATED_VALUE ||
		    a.type != TPM2_ST_ATTEST_QUOTE || a.extraData.size != 32 ||
		    memcmp(a.extraData.buffer, nonce.buffer, 32) != 0 ||
		    a.attested.quote.pcrDigest.size != 32) {
			err = dcr_fail(msg, DCR_ERR_IO, "azure-vtpm: the TPM returned a malformed "
			               "quote");
			goto out;
		}
		/* A PCR extended between the quote and the reads: quote again. */
		dcr_sha256(pcrs, sizeof(pcrs), digest);
		if (!memcmp(digest, a.attested.quote.pcrDigest.buffer, 32))
			break;
		if (attempt == QUOTE_TRIES) {
			err = dcr_fail(msg, DCR_ERR_IO, "azure-vtpm: the PCRs kept changing while "
			               "they were quoted (%d tries)", QUOTE_TRIES);
			goto out;
		}
	}
	if (sig->sigAlg != TPM2_ALG_RSASSA || sig->signature.rsassa.hash != TPM2_ALG_SHA256 ||
	    !sig->signature.rsassa.sig.size) {
		err = dcr_fail(msg, DCR_ERR_UNSUPPORTED, "azure-vtpm: the AK did not sign with "
		               "RSASSA-PKCS1-v1_5 SHA-256");
		goto out;
	}

	err = dcr_buf_append(out, VTPM_MAGIC, VTPM_MAGIC_SIZE);
	if (!err)
		err = put_section(out, hcl.data, hcl.size);
	if (!err)
		err = put_section(out, quoted->attestationData, quoted->size);
	if (!err)
		err = put_section(out, sig->signature.rsassa.sig.buffer, sig->signature.rsassa.sig.size);
	if (!err)
		err = put_section(out, pcrs, sizeof(pcrs));
	if (!err)
		err = put_section(out, NULL, 0); /* no VCEK: the verifier gets it elsewhere */
	if (err)
		dcr_msg_set(msg, "azure-vtpm: evidence: %s", dcr_strerror(err));
out:
	if (err)
		out->size = start; /* nothing of a failed attempt */
	if (ak != ESYS_TR_NONE)
		Esys_TR_Close(t.esys, &ak);
	Esys_Free(quoted);
	Esys_Free(sig);
	dcr_buf_free(&hcl);
	tpm_close(&t);
	return err;
}

enum dcr_err attest_vtpm_sealing_key(const struct dcr_attest_env *env,
                                     uint8_t out[static DCR_SEALING_KEY_SIZE],
                                     struct dcr_msg *msg)
{
	/* Not sealed to the vTPM (yet): kept on the confidential VM's encrypted
	 * OS disk, as on tdx (docs/ATTESTATION.md). */
	return attest_keyfile_sealing_key("azure-vtpm", env, out, msg);
}
