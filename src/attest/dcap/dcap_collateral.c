/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP collateral: the TCB info and QE identity Intel signs, the CRLs, and
 * the TCB status of a platform computed from them (Intel's rules, as in its
 * Quote Verification Library). The collateral JSON layout is dcap-qvl's
 * (docs/ATTESTATION.md). */
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "dcap.h"

#define SIG_HEX_SIZE 128
#define CRL_MAX_HEX (2u * 1024 * 1024)

/* The statuses Intel defines, and whether dcr refuses each. */
static const struct {
	const char *name;
	bool refused;
} statuses[] = {
	{"UpToDate", false},
	{"SWHardeningNeeded", false},
	{"ConfigurationNeeded", false},
	{"ConfigurationAndSWHardeningNeeded", false},
	{"OutOfDate", true},
	{"OutOfDateConfigurationNeeded", true},
	{"Revoked", true},
};

static int status_index(const char *s)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(s, statuses[i].name))
			return (int)i;
	return -1;
}

static void add_advisory(struct dcap_tcb_result *r, const char *id)
{
	for (size_t i = 0; i < r->advisory_count; i++)
		if (!strcmp(r->advisories[i], id))
			return;
	if (r->advisory_count == DCR_ATTEST_MAX_ADVISORIES ||
	    strlen(id) >= DCR_ATTEST_ADVISORY_SIZE) {
		r->advisories_truncated = true;
		return;
	}
	snprintf(r->advisories[r->advisory_count++], DCR_ATTEST_ADVISORY_SIZE, "%s", id);
}

/* Adds a level's "advisoryIDs" (optional). false when malformed. */
static bool add_advisories(struct dcap_tcb_result *r, json_t *level)
{
	json_t *ids = json_object_get(level, "advisoryIDs"), *id;
	size_t i;

	if (!ids)
		return true;
	if (!json_is_array(ids))
		return false;
	json_array_foreach(ids, i, id) {
		if (!json_is_string(id))
			return false;
		add_advisory(r, json_string_value(id));
	}
	return true;
}

/* hex text of exactly size bytes into out. */
static bool hex_field(json_t *obj, const char *key, uint8_t *out, size_t size)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) && json_string_length(v) == 2 * size &&
	       dcr_hex_decode(out, size, json_string_value(v), 2 * size) == DCR_OK;
}

static bool int_field(json_t *obj, const char *key, json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* The 16 {"svn": n} of comps; false when malformed. */
static bool components(json_t *comps, uint8_t out[16])
{
	json_t *c;
	size_t i;

	if (!json_is_array(comps) || json_array_size(comps) != 16)
		return false;
	json_array_foreach(comps, i, c) {
		json_int_t svn;

		if (!json_is_object(c) || !int_field(c, "svn", 255, &svn))
			return false;
		out[i] = (uint8_t)svn;
	}
	return true;
}

enum dcr_err dcap_tcb_level(const char *tcb_info, size_t tcb_info_size,
                            const struct dcap_pck_info *pck, const uint8_t *tee_tcb_svn,
                            struct dcap_tcb_result *out, struct dcr_msg *msg)
{
	json_error_t jerr;
	json_t *root = json_loadb(tcb_info, tcb_info_size, JSON_REJECT_DUPLICATES, &jerr);
	json_t *levels, *level;
	const char *want_id = tee_tcb_svn ? "TDX" : "SGX";
	/* a TDX module with major version > 0 is rated by its module identity,
	 * not by the first two bytes of tee_tcb_svn (Intel's rule) */
	size_t tdx_first = tee_tcb_svn && tee_tcb_svn[1] > 0 ? 2 : 0;
	enum dcr_err err = DCR_ERR_INVALID;
	json_int_t version;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(root)) {
		dcr_msg_set(msg, "the TCB info is not a JSON object");
		goto out;
	}
	if (!json_is_string(json_object_get(root, "id")) ||
	    strcmp(json_string_value(json_object_get(root, "id")), want_id) != 0 ||
	    !int_field(root, "version", 1000, &version) || version != 3) {
		dcr_msg_set(msg, "the TCB info is not %s TCB info version 3", want_id);
		goto out;
	}
	levels = json_object_get(root, "tcbLevels");
	if (!json_is_array(levels)) {
		dcr_msg_set(msg, "the TCB info has no tcbLevels");
		goto out;
	}
	json_array_foreach(levels, i, level) {
		json_t *tcb = json_object_get(level, "tcb");
		json_t *status = json_object_get(level, "tcbStatus");
		uint8_t sgx[16], tdx[16];
		json_int_t pcesvn;
		bool match = true;

		if (!json_is_object(tcb) || !json_is_string(status) ||
		    status_index(json_string_value(status)) < 0 ||
		    !components(json_object_get(tcb, "sgxtcbcomponents"), sgx) ||
		    !int_field(tcb, "pcesvn", 65535, &pcesvn) ||
		    (tee_tcb_svn && !components(json_object_get(tcb, "tdxtcbcomponents"), tdx))) {
			dcr_msg_set(msg, "TCB level %zu of the TCB info is malformed", i);
			goto out;
		}
		for (size_t c = 0; c < 16; c++)
			match = match && pck->comp_svn[c] >= sgx[c];
		match = match && pck->pcesvn >= pcesvn;
		for (size_t c = tdx_first; tee_tcb_svn && c < 16; c++)
			match = match && tee_tcb_svn[c] >= tdx[c];
		if (!match)
			continue;
		snprintf(out->status, sizeof(out->status), "%s", json_string_value(status));
		if (!add_advisories(out, level)) {
			dcr_msg_set(msg, "TCB level %zu has malformed advisoryIDs", i);
			goto out;
		}
		err = DCR_OK;
		goto out;
	}
	dcr_msg_set(msg, "no TCB level of the TCB info matches the platform's TCB");
	err = DCR_ERR_NOT_FOUND;
out:
	json_decref(root);
	return err;
}

enum dcr_err dcap_tcb_final(struct dcap_tcb_result *out, const struct dcap_tcb_result *qe,
                            const char *prefix, struct dcr_msg *msg)
{
	int si;

	/* Intel's convergence of the platform's and the QE's status */
	if (!strcmp(qe->status, "Revoked")) {
		snprintf(out->status, sizeof(out->status), "Revoked");
	} else if (!strcmp(qe->status, "OutOfDate")) {
		if (!strcmp(out->status, "UpToDate") || !strcmp(out->status, "SWHardeningNeeded"))
			snprintf(out->status, sizeof(out->status), "OutOfDate");
		else if (!strcmp(out->status, "ConfigurationNeeded") ||
		         !strcmp(out->status, "ConfigurationAndSWHardeningNeeded"))
			snprintf(out->status, sizeof(out->status), "OutOfDateConfigurationNeeded");
	}
	for (size_t i = 0; i < qe->advisory_count; i++)
		add_advisory(out, qe->advisories[i]);
	out->advisories_truncated = out->advisories_truncated || qe->advisories_truncated;
	si = status_index(out->status);
	if (si < 0 || statuses[si].refused) {
		char ids[256] = "";
		size_t n = 0;

		for (size_t i = 0; i < out->advisory_count && n < sizeof(ids) - 1; i++) {
			int m = snprintf(ids + n, sizeof(ids) - n, "%s%s", i ? ", " : "",
			                 out->advisories[i]);
			if (m < 0)
				break;
			n += (size_t)m;
		}
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: " DCAP_STEP_TCB ": the platform's TCB status is %s (advisories: "
		                "%s): refusing it", prefix, out->status, n ? ids : "none");
	}
	return DCR_OK;
}

/* ---- the collateral file ------------------------------------------------ */

struct collateral {
	json_t *root;
	const char *tcb_info, *qe_identity;   /* the signed strings */
	size_t tcb_info_size, qe_identity_size;
	json_t *tcb, *qe;                     /* parsed */
	uint8_t tcb_sig[64], qe_sig[64];
	STACK_OF(X509) *tcb_chain, *qe_chain;
	STACK_OF(X509_CRL) *crls;             /* root CA CRL, PCK CRL */
};

static void collateral_free(struct collateral *c)
{
	json_decref(c->root);
	json_decref(c->tcb);
	json_decref(c->qe);
	sk_X509_pop_free(c->tcb_chain, X509_free);
	sk_X509_pop_free(c->qe_chain, X509_free);
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
}

static const char *str_field(json_t *obj, const char *key, size_t *size)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return NULL;
	*size = json_string_length(v);
	return json_string_value(v);
}

/* A hex-encoded DER CRL. */
static X509_CRL *hex_crl(json_t *obj, const char *key)
{
	size_t len = 0;
	const char *hex = str_field(obj, key, &len);
	uint8_t *der;
	const unsigned char *p;
	X509_CRL *crl = NULL;

	if (!hex || !len || len % 2 || len > CRL_MAX_HEX)
		return NULL;
	der = malloc(len / 2);
	if (!der)
		return NULL;
	if (dcr_hex_decode(der, len / 2, hex, len) == DCR_OK) {
		p = der;
		crl = d2i_X509_CRL(NULL, &p, (long)(len / 2));
		if (crl && p != der + len / 2) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	}
	free(der);
	ERR_clear_error();
	return crl;
}

static enum dcr_err collateral_parse(const struct dcr_attest_verify_opts *opts,
                                     const char *prefix, struct collateral *c,
                                     struct dcr_msg *msg)
{
	json_error_t jerr;
	const char *text;
	size_t len = 0;
	X509_CRL *crl;
	const char *bad = NULL;

	c->root = json_loadb((const char *)opts->collateral, opts->collateral_size,
	                     JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c->root))
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_COLL_FORMAT ": the collateral is not a JSON "
		                "object (line %d: %s)", prefix, jerr.line, jerr.text);
	c->tcb_info = str_field(c->root, "tcb_info", &c->tcb_info_size);
	c->qe_identity = str_field(c->root, "qe_identity", &c->qe_identity_size);
	if (!c->tcb_info || !c->qe_identity) {
		bad = "tcb_info and qe_identity must be JSON strings";
		goto bad;
	}
	c->tcb = json_loadb(c->tcb_info, c->tcb_info_size, JSON_REJECT_DUPLICATES, &jerr);
	c->qe = json_loadb(c->qe_identity, c->qe_identity_size, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c->tcb) || !json_is_object(c->qe)) {
		bad = "tcb_info or qe_identity is not a JSON object";
		goto bad;
	}
	if (!hex_field(c->root, "tcb_info_signature", c->tcb_sig, 64) ||
	    !hex_field(c->root, "qe_identity_signature", c->qe_sig, 64)) {
		bad = "the signatures must be 128 hex digits (r || s)";
		goto bad;
	}
	text = str_field(c->root, "tcb_info_issuer_chain", &len);
	c->tcb_chain = text ? dcap_pem_chain((const uint8_t *)text, len) : NULL;
	text = str_field(c->root, "qe_identity_issuer_chain", &len);
	c->qe_chain = text ? dcap_pem_chain((const uint8_t *)text, len) : NULL;
	if (!c->tcb_chain || !c->qe_chain) {
		bad = "tcb_info_issuer_chain and qe_identity_issuer_chain must be PEM chains";
		goto bad;
	}
	c->crls = sk_X509_CRL_new_null();
	if (!c->crls)
		return dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", prefix);
	for (int i = 0; i < 2; i++) {
		crl = hex_crl(c->root, i ? "pck_crl" : "root_ca_crl");
		if (!crl || !sk_X509_CRL_push(c->crls, crl)) {
			X509_CRL_free(crl);
			bad = "root_ca_crl and pck_crl must be hex-encoded DER CRLs";
			goto bad;
		}
	}
	return DCR_OK;
bad:
	return dcr_fail(msg, DCR_ERR_INVALID, "%s: " DCAP_STEP_COLL_FORMAT ": %s", prefix, bad);
}

/* Step 7 for one signed document. */
static enum dcr_err check_signed(const char *prefix, const char *what, STACK_OF(X509) *chain,
                                 const char *text, size_t size, const uint8_t sig[64],
                                 int64_t at, struct dcr_msg *msg)
{
	STACK_OF(X509) *untrusted = sk_X509_dup(chain);
	X509 *leaf = sk_X509_value(chain, 0);
	EVP_PKEY *key = NULL;
	char why[200];
	enum dcr_err err = DCR_OK;

	if (!untrusted)
		return dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", prefix);
	(void)sk_X509_shift(untrusted);
	if (!dcap_chain_verify(leaf, untrusted, NULL, at, why, sizeof(why))) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_COLL_SIG ": the %s signing certificate does not "
		               "chain to the Intel SGX Root CA: %s", prefix, what, why);
		goto out;
	}
	key = X509_get_pubkey(leaf);
	if (!key || !dcap_ecdsa_verify(key, (const uint8_t *)text, size, sig))
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_COLL_SIG ": the %s signature does not match: the "
		               "collateral was changed", prefix, what);
out:
	EVP_PKEY_free(key);
	sk_X509_free(untrusted);
	ERR_clear_error();
	return err;
}

/* Step 8 for one document: issueDate <= at < nextUpdate. */
static enum dcr_err check_window(const char *prefix, const char *what, json_t *doc,
                                 int64_t at, struct dcr_msg *msg)
{
	json_t *issue = json_object_get(doc, "issueDate"), *next = json_object_get(doc, "nextUpdate");
	int64_t t_issue, t_next;
	char when[21];

	if (!json_is_string(issue) || !json_is_string(next) ||
	    dcr_time_parse(json_string_value(issue), &t_issue) != DCR_OK ||
	    dcr_time_parse(json_string_value(next), &t_next) != DCR_OK)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_COLL_FORMAT ": the %s lacks issueDate or "
		                "nextUpdate (YYYY-MM-DDTHH:MM:SSZ)", prefix, what);
	dcr_time_format(at, when);
	if (at < t_issue)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: " DCAP_STEP_COLL_TIME ": the %s was issued %s, after the "
		                "verification time %s", prefix, what, json_string_value(issue), when);
	if (at >= t_next)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: " DCAP_STEP_COLL_TIME ": the %s expired: its nextUpdate %s is "
		                "not after the verification time %s; fetch fresh collateral",
		                prefix, what, json_string_value(next), when);
	return DCR_OK;
}

/* Step 10: the QE report against the QE identity; fills the QE's status and
 * advisories into qe_out. */
static enum dcr_err check_qe(const struct dcap_quote *q, const char *prefix, json_t *qe,
                             struct dcap_tcb_result *qe_out, struct dcr_msg *msg)
{
	const uint8_t *rep = q->qe_report;
	const char *want_id = q->tee_type == DCAP_TEE_TDX ? "TD_QE" : "QE";
	uint8_t misc[4], misc_mask[4], attr[16], attr_mask[16], mrsigner[32];
	uint32_t rep_misc, want_misc, mask_misc;
	json_int_t prodid, version;
	uint16_t isvsvn = (uint16_t)(rep[DCAP_RB_ISVSVN] | (rep[DCAP_RB_ISVSVN + 1] << 8));
	uint16_t isvprodid = (uint16_t)(rep[DCAP_RB_ISVPRODID] | (rep[DCAP_RB_ISVPRODID + 1] << 8));
	json_t *levels, *level;
	size_t i;

	memset(qe_out, 0, sizeof(*qe_out));
	if (!json_is_string(json_object_get(qe, "id")) ||
	    strcmp(json_string_value(json_object_get(qe, "id")), want_id) != 0 ||
	    !int_field(qe, "version", 1000, &version) || version != 2 ||
	    !hex_field(qe, "miscselect", misc, 4) || !hex_field(qe, "miscselectMask", misc_mask, 4) ||
	    !hex_field(qe, "attributes", attr, 16) ||
	    !hex_field(qe, "attributesMask", attr_mask, 16) ||
	    !hex_field(qe, "mrsigner", mrsigner, 32) || !int_field(qe, "isvprodid", 65535, &prodid) ||
	    !json_is_array(json_object_get(qe, "tcbLevels")))
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_COLL_FORMAT ": the QE identity is not a %s "
		                "identity version 2 with miscselect, attributes, mrsigner, "
		                "isvprodid and tcbLevels", prefix, want_id);
	/* miscselect is written as a number in hex; the report holds it LE */
	rep_misc = (uint32_t)rep[DCAP_RB_MISCSELECT] | ((uint32_t)rep[DCAP_RB_MISCSELECT + 1] << 8) |
	           ((uint32_t)rep[DCAP_RB_MISCSELECT + 2] << 16) |
	           ((uint32_t)rep[DCAP_RB_MISCSELECT + 3] << 24);
	want_misc = ((uint32_t)misc[0] << 24) | ((uint32_t)misc[1] << 16) |
	            ((uint32_t)misc[2] << 8) | misc[3];
	mask_misc = ((uint32_t)misc_mask[0] << 24) | ((uint32_t)misc_mask[1] << 16) |
	            ((uint32_t)misc_mask[2] << 8) | misc_mask[3];
	if ((rep_misc & mask_misc) != (want_misc & mask_misc))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: " DCAP_STEP_QE_IDENTITY ": the QE's MISCSELECT 0x%08x does "
		                "not match the QE identity", prefix, (unsigned)rep_misc);
	for (size_t b = 0; b < 16; b++)
		if ((rep[DCAP_RB_ATTRIBUTES + b] & attr_mask[b]) != (attr[b] & attr_mask[b]))
			return dcr_fail(msg, DCR_ERR_VERIFY,
			                "%s: " DCAP_STEP_QE_IDENTITY ": the QE's attributes do not "
			                "match the QE identity", prefix);
	if (memcmp(rep + DCAP_RB_MRSIGNER, mrsigner, 32) != 0)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: " DCAP_STEP_QE_IDENTITY ": the QE's MRSIGNER is not Intel's "
		                "(the QE identity's mrsigner)", prefix);
	if (isvprodid != prodid)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: " DCAP_STEP_QE_IDENTITY ": the QE's ISVPRODID %u is not the "
		                "QE identity's %lld", prefix, (unsigned)isvprodid, (long long)prodid);
	levels = json_object_get(qe, "tcbLevels");
	json_array_foreach(levels, i, level) {
		json_t *tcb = json_object_get(level, "tcb"), *status = json_object_get(level, "tcbStatus");
		json_int_t svn;

		if (!json_is_object(tcb) || !int_field(tcb, "isvsvn", 65535, &svn) ||
		    !json_is_string(status) || status_index(json_string_value(status)) < 0)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "%s: " DCAP_STEP_COLL_FORMAT ": QE identity TCB level %zu is "
			                "malformed", prefix, i);
		if (isvsvn < svn)
			continue;
		snprintf(qe_out->status, sizeof(qe_out->status), "%s", json_string_value(status));
		if (!add_advisories(qe_out, level))
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "%s: " DCAP_STEP_COLL_FORMAT ": QE identity TCB level %zu "
			                "has malformed advisoryIDs", prefix, i);
		return DCR_OK;
	}
	return dcr_fail(msg, DCR_ERR_VERIFY,
	                "%s: " DCAP_STEP_QE_IDENTITY ": the QE's ISVSVN %u is below every TCB "
	                "level of the QE identity", prefix, (unsigned)isvsvn);
}

/* TDX: the SEAM module's signer and attributes against the TCB info's
 * "tdxModule" (when present). */
static enum dcr_err check_tdx_module(const struct dcap_quote *q, const char *prefix,
                                     json_t *tcb, struct dcr_msg *msg)
{
	json_t *mod = json_object_get(tcb, "tdxModule");
	uint8_t mrsigner[48], attr[8], mask[8];

	if (!mod)
		return DCR_OK;
	if (!hex_field(mod, "mrsigner", mrsigner, 48) || !hex_field(mod, "attributes", attr, 8) ||
	    !hex_field(mod, "attributesMask", mask, 8))
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: " DCAP_STEP_COLL_FORMAT ": the TCB info's tdxModule is "
		                "malformed", prefix);
	if (memcmp(q->body + DCAP_TD_MRSIGNERSEAM, mrsigner, 48) != 0)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: " DCAP_STEP_TCB ": the TDX module's MRSIGNERSEAM is not the "
		                "TCB info's tdxModule mrsigner", prefix);
	for (size_t b = 0; b < 8; b++)
		if ((q->body[DCAP_TD_SEAM_ATTRIBUTES + b] & mask[b]) != (attr[b] & mask[b]))
			return dcr_fail(msg, DCR_ERR_VERIFY,
			                "%s: " DCAP_STEP_TCB ": the TDX module's SEAM attributes do "
			                "not match the TCB info", prefix);
	return DCR_OK;
}

enum dcr_err dcap_collateral_check(const struct dcap_quote *q, const char *prefix,
                                   const struct dcr_attest_verify_opts *opts,
                                   STACK_OF(X509) *pck_chain, const struct dcap_pck_info *pck,
                                   struct dcap_tcb_result *out, struct dcr_msg *msg)
{
	struct collateral c = {0};
	struct dcap_tcb_result qe;
	int64_t at = opts->at ? opts->at : (int64_t)time(NULL);
	STACK_OF(X509) *untrusted = NULL;
	uint8_t fmspc[DCAP_FMSPC_SIZE], pceid[DCAP_PCEID_SIZE];
	const uint8_t *tee_tcb_svn = NULL;
	char why[200], sub[DCR_MSG_SIZE];
	struct dcr_msg lvl_msg = {{0}};
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	/* step 6: the collateral's format */
	err = collateral_parse(opts, prefix, &c, msg);
	if (err)
		goto out;
	{
		const char *want = q->tee_type == DCAP_TEE_TDX ? "TDX" : "SGX";
		json_t *id = json_object_get(c.tcb, "id");

		if (!json_is_string(id) || strcmp(json_string_value(id), want) != 0) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "%s: " DCAP_STEP_COLL_FORMAT ": the collateral's TCB info is "
			               "for \"%s\", the quote needs %s collateral", prefix,
			               json_is_string(id) ? json_string_value(id) : "?", want);
			goto out;
		}
	}

	/* step 7: TCB info and QE identity signed by Intel's TCB signing key */
	err = check_signed(prefix, "TCB info", c.tcb_chain, c.tcb_info, c.tcb_info_size,
	                   c.tcb_sig, at, msg);
	if (!err)
		err = check_signed(prefix, "QE identity", c.qe_chain, c.qe_identity,
		                   c.qe_identity_size, c.qe_sig, at, msg);
	if (err)
		goto out;

	/* step 8: both are current at `at` */
	err = check_window(prefix, "TCB info", c.tcb, at, msg);
	if (!err)
		err = check_window(prefix, "QE identity", c.qe, at, msg);
	if (err)
		goto out;

	/* step 9: no certificate of the PCK or TCB signing chains is revoked
	 * (OpenSSL checks the CRLs' signatures and validity too) */
	untrusted = sk_X509_dup(pck_chain);
	if (!untrusted) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", prefix);
		goto out;
	}
	(void)sk_X509_shift(untrusted);
	if (!dcap_chain_verify(sk_X509_value(pck_chain, 0), untrusted, c.crls, at, why,
	                       sizeof(why))) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_REVOCATION ": PCK chain against the CRLs: %s",
		               prefix, why);
		goto out;
	}
	sk_X509_free(untrusted);
	untrusted = sk_X509_dup(c.tcb_chain);
	if (!untrusted) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", prefix);
		goto out;
	}
	(void)sk_X509_shift(untrusted);
	if (!dcap_chain_verify(sk_X509_value(c.tcb_chain, 0), untrusted, c.crls, at, why,
	                       sizeof(why))) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_REVOCATION ": TCB signing chain against the root "
		               "CA CRL: %s", prefix, why);
		goto out;
	}

	/* step 10: the QE is Intel's, and its TCB level */
	err = check_qe(q, prefix, c.qe, &qe, msg);
	if (err)
		goto out;

	/* step 11: the platform's TCB level for its FMSPC */
	if (!hex_field(c.tcb, "fmspc", fmspc, DCAP_FMSPC_SIZE) ||
	    !hex_field(c.tcb, "pceId", pceid, DCAP_PCEID_SIZE)) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "%s: " DCAP_STEP_COLL_FORMAT ": the TCB info lacks fmspc or pceId",
		               prefix);
		goto out;
	}
	if (memcmp(fmspc, pck->fmspc, DCAP_FMSPC_SIZE) != 0 ||
	    memcmp(pceid, pck->pceid, DCAP_PCEID_SIZE) != 0) {
		char want[13], have[13];

		dcr_hex_encode(want, fmspc, DCAP_FMSPC_SIZE);
		dcr_hex_encode(have, pck->fmspc, DCAP_FMSPC_SIZE);
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_TCB ": the TCB info is for FMSPC %s, the platform's "
		               "is %s (or the PCE-ID differs): wrong collateral", prefix, want, have);
		goto out;
	}
	if (q->tee_type == DCAP_TEE_TDX) {
		tee_tcb_svn = q->body + DCAP_TD_TEE_TCB_SVN;
		err = check_tdx_module(q, prefix, c.tcb, msg);
		if (err)
			goto out;
	}
	err = dcap_tcb_level(c.tcb_info, c.tcb_info_size, pck, tee_tcb_svn, out, &lvl_msg);
	if (err) {
		snprintf(sub, sizeof(sub), "%s", lvl_msg.text);
		if (err == DCR_ERR_NOT_FOUND)
			err = dcr_fail(msg, DCR_ERR_VERIFY, "%s: " DCAP_STEP_TCB ": %s", prefix, sub);
		else
			err = dcr_fail(msg, DCR_ERR_INVALID, "%s: " DCAP_STEP_COLL_FORMAT ": %s",
			               prefix, sub);
		goto out;
	}
	err = dcap_tcb_final(out, &qe, prefix, msg);
	if (err)
		goto out;
	err = DCR_OK;
out:
	if (err)
		memset(out, 0, sizeof(*out));
	sk_X509_free(untrusted);
	collateral_free(&c);
	ERR_clear_error();
	return err;
}
