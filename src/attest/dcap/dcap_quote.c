/* SPDX-License-Identifier: Apache-2.0 */
/* Parses Intel DCAP quotes (SGX v3, TDX v4 and v5) into a bounds-checked
 * view: every length comes from the quote itself, never from the buffer
 * size, and bytes after the quote's end are ignored. */
#include <string.h>

#include "dcap.h"

#define SIG_SIZE 64
#define KEY_SIZE 64

/* A bounded reader over [p, end). */
struct rd {
	const uint8_t *p;
	const uint8_t *end;
};

static bool take(struct rd *r, size_t n, const uint8_t **out)
{
	if ((size_t)(r->end - r->p) < n)
		return false;
	*out = r->p;
	r->p += n;
	return true;
}

static enum dcr_err truncated(struct dcr_msg *msg, const char *prefix, const char *what)
{
	return dcr_fail(msg, DCR_ERR_INVALID, "%s: " DCAP_STEP_HEADER ": the quote is truncated "
	                "(%s)", prefix, what);
}

/* The QE report certification data: QE report, its signature, the QE auth
 * data and a nested certification data that must be the PCK PEM chain. In
 * v3 it follows the attestation key directly; in v4/v5 it is the content of
 * certification data type 6. */
static enum dcr_err parse_qe_cert_data(struct rd *r, const char *prefix, struct dcap_quote *q,
                                       struct dcr_msg *msg)
{
	const uint8_t *p;
	uint16_t type;
	uint32_t size;

	if (!take(r, DCAP_SGX_BODY_SIZE, &q->qe_report))
		return truncated(msg, prefix, "QE report");
	if (!take(r, SIG_SIZE, &q->qe_report_sig))
		return truncated(msg, prefix, "QE report signature");
	if (!take(r, 2, &p))
		return truncated(msg, prefix, "QE auth data length");
	q->qe_auth_size = attest_le16(p);
	if (!take(r, q->qe_auth_size, &q->qe_auth))
		return truncated(msg, prefix, "QE auth data");
	if (!take(r, 6, &p))
		return truncated(msg, prefix, "certification data header");
	type = attest_le16(p);
	size = attest_le32(p + 2);
	if (type != DCAP_CERT_PCK_CHAIN)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_HEADER ": certification data type %u; this "
		                "verifier reads type %d (PCK certificate chain)",
		                prefix, (unsigned)type, DCAP_CERT_PCK_CHAIN);
	if (!take(r, size, &q->pck_pem))
		return truncated(msg, prefix, "PCK certificate chain");
	q->pck_pem_size = size;
	return DCR_OK;
}

enum dcr_err dcap_quote_parse(const uint8_t *data, size_t size, const char *prefix,
                              struct dcap_quote *out, struct dcr_msg *msg)
{
	struct dcap_quote q = {0};
	struct rd r;
	const uint8_t *p;
	uint32_t sig_len;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	if (!data || size < DCAP_HEADER_SIZE)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_HEADER ": %zu bytes is too short for a quote "
		                "header (%d)", prefix, data ? size : 0, DCAP_HEADER_SIZE);
	q.header = data;
	q.version = attest_le16(data);
	q.tee_type = attest_le32(data + 4);
	if (attest_le16(data + 2) != DCAP_ATT_KEY_ECDSA_P256)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_HEADER ": attestation key type %u; only %d "
		                "(ECDSA P-256) is supported",
		                prefix, (unsigned)attest_le16(data + 2), DCAP_ATT_KEY_ECDSA_P256);
	r.p = data + DCAP_HEADER_SIZE;
	r.end = data + size;

	switch (q.version) {
	case 3:
		if (q.tee_type != DCAP_TEE_SGX)
			goto bad_tee;
		q.body_size = DCAP_SGX_BODY_SIZE;
		break;
	case 4:
		if (q.tee_type != DCAP_TEE_TDX)
			goto bad_tee;
		q.body_size = DCAP_TDX10_BODY_SIZE;
		break;
	case 5: {
		uint16_t btype;
		uint32_t bsize;

		if (q.tee_type != DCAP_TEE_TDX)
			goto bad_tee;
		if (!take(&r, 6, &p))
			return truncated(msg, prefix, "body descriptor");
		btype = attest_le16(p);
		bsize = attest_le32(p + 2);
		if (btype == 2 && bsize == DCAP_TDX10_BODY_SIZE) {
			q.body_size = DCAP_TDX10_BODY_SIZE;
		} else if (btype == 3 && bsize == DCAP_TDX15_BODY_SIZE) {
			q.body_size = DCAP_TDX15_BODY_SIZE;
		} else {
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "%s: " DCAP_STEP_HEADER ": v5 body type %u of %u bytes; "
			                "this verifier reads type 2 (TDX 1.0, %d bytes) and 3 "
			                "(TDX 1.5, %d bytes)",
			                prefix, (unsigned)btype, (unsigned)bsize,
			                DCAP_TDX10_BODY_SIZE, DCAP_TDX15_BODY_SIZE);
		}
		break;
	}
	default:
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_HEADER ": quote version %u; this verifier reads "
		                "SGX v3 and TDX v4/v5", prefix, (unsigned)q.version);
	}
	if (!take(&r, q.body_size, &q.body))
		return truncated(msg, prefix, "report body");
	q.signed_size = (size_t)(r.p - data);
	if (!take(&r, 4, &p))
		return truncated(msg, prefix, "signature data length");
	sig_len = attest_le32(p);
	if ((size_t)(r.end - r.p) < sig_len)
		return truncated(msg, prefix, "signature data");
	/* from here on only the quote's own bytes: anything after is ignored */
	r.end = r.p + sig_len;
	q.quote_size = (size_t)(r.end - data);
	if (!take(&r, SIG_SIZE, &q.signature) || !take(&r, KEY_SIZE, &q.att_key))
		return truncated(msg, prefix, "signature and attestation key");
	if (q.version == 3) {
		err = parse_qe_cert_data(&r, prefix, &q, msg);
	} else {
		struct rd inner;
		uint16_t type;
		uint32_t csize;

		if (!take(&r, 6, &p))
			return truncated(msg, prefix, "certification data header");
		type = attest_le16(p);
		csize = attest_le32(p + 2);
		if (type != DCAP_CERT_QE_REPORT)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "%s: " DCAP_STEP_HEADER ": certification data type %u; "
			                "this verifier reads type %d (QE report certification data)",
			                prefix, (unsigned)type, DCAP_CERT_QE_REPORT);
		if (!take(&r, csize, &p))
			return truncated(msg, prefix, "QE report certification data");
		inner.p = p;
		inner.end = p + csize;
		err = parse_qe_cert_data(&inner, prefix, &q, msg);
	}
	if (err)
		return err;
	*out = q;
	return DCR_OK;

bad_tee:
	return dcr_fail(msg, DCR_ERR_INVALID,
	                "%s: " DCAP_STEP_HEADER ": quote version %u with TEE type 0x%x; "
	                "expected SGX (0) in v3, TDX (0x81) in v4/v5",
	                prefix, (unsigned)q.version, (unsigned)q.tee_type);
}
