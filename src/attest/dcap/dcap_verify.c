/* SPDX-License-Identifier: Apache-2.0 */
/* Verifies a parsed DCAP quote: the attestation key's signature, the QE
 * report signed by the PCK key, the QE report data binding the attestation
 * key, the PCK chain to the built-in Intel root, then the collateral when
 * given. OpenSSL 3 EVP and X509 APIs only. */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "dcap.h"

#define SGX_EXT_OID "1.2.840.113741.1.13.1"
#define PCK_SEEN_ALL (0x7fffeu | (1u << 20) | (1u << 21) | (1u << 22))

/* ---- crypto helpers --------------------------------------------------------- */

/* An EC P-256 public key from x || y (64 bytes), or NULL. */
static EVP_PKEY *p256_key(const uint8_t xy[64])
{
	uint8_t point[65];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	OSSL_PARAM params[3];

	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, xy, 64);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
	                                              sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (key) {
		/* fromdata does not check that the point is on the curve */
		EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

		if (!check || EVP_PKEY_public_check(check) != 1) {
			EVP_PKEY_free(key);
			key = NULL;
		}
		EVP_PKEY_CTX_free(check);
	}
	ERR_clear_error();
	return key;
}

bool dcap_ecdsa_verify(EVP_PKEY *key, const uint8_t *data, size_t size, const uint8_t sig[64])
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int der_len = -1;
	bool ok = false;

	if (!es || !r || !s || !md || !key)
		goto out;
	if (ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len <= 0)
		goto out;
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1)
		goto out;
	ok = EVP_DigestVerify(md, der, (size_t)der_len, data, size) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return ok;
}

STACK_OF(X509) *dcap_pem_chain(const uint8_t *pem, size_t size)
{
	STACK_OF(X509) *chain = NULL;
	BIO *bio;

	if (!pem || !size || size > INT32_MAX)
		return NULL;
	ERR_clear_error(); /* the end-of-data check below reads the error queue */
	bio = BIO_new_mem_buf(pem, (int)size);
	chain = sk_X509_new_null();
	if (!bio || !chain)
		goto fail;
	for (;;) {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

		if (!x)
			break;
		if (sk_X509_num(chain) == DCAP_MAX_CHAIN || !sk_X509_push(chain, x)) {
			X509_free(x);
			goto fail;
		}
	}
	/* the loop ends at the end of the data or at a PEM block that does
	 * not parse: only the former is a chain */
	{
		unsigned long e = ERR_peek_last_error();

		if (e && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
		           ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
			goto fail;
	}
	if (!sk_X509_num(chain))
		goto fail;
	BIO_free(bio);
	ERR_clear_error();
	return chain;
fail:
	sk_X509_pop_free(chain, X509_free);
	BIO_free(bio);
	ERR_clear_error();
	return NULL;
}

static X509 *intel_root(void)
{
	BIO *bio = BIO_new_mem_buf(dcap_intel_root_ca_pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

bool dcap_chain_verify(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls,
                       int64_t at, char *why, size_t why_size)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *root = intel_root();
	bool ok = false;

	snprintf(why, why_size, "out of memory");
	if (!store || !ctx || !root || X509_STORE_add_cert(store, root) != 1)
		goto out;
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1)
		goto out;
	if (at)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
	if (crls) {
		X509_STORE_CTX_set0_crls(ctx, crls);
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	}
	if (X509_verify_cert(ctx) == 1) {
		ok = true;
	} else {
		int e = X509_STORE_CTX_get_error(ctx);

		snprintf(why, why_size, "%s (certificate %d of the chain)",
		         X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx));
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(root);
	ERR_clear_error();
	return ok;
}

/* ---- the PCK leaf's SGX extension ------------------------------------------ */

/* The elements of the DER SEQUENCE in [der, der + size), or NULL. */
static STACK_OF(ASN1_TYPE) *der_seq(const unsigned char *der, long size)
{
	const unsigned char *p = der;
	STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, size);

	if (seq && p != der + size) { /* trailing bytes */
		sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
		seq = NULL;
	}
	return seq;
}

/* For an element SEQUENCE { OBJECT id, value }: the id in dotted text and
 * the value. The returned stack owns value; NULL when malformed. */
static STACK_OF(ASN1_TYPE) *ext_pair(const ASN1_TYPE *t, char *oid, size_t oid_size,
                                     const ASN1_TYPE **value)
{
	STACK_OF(ASN1_TYPE) *pair;
	const ASN1_TYPE *id;

	if (t->type != V_ASN1_SEQUENCE || !t->value.sequence)
		return NULL;
	pair = der_seq(t->value.sequence->data, t->value.sequence->length);
	if (!pair || sk_ASN1_TYPE_num(pair) != 2)
		goto fail;
	id = sk_ASN1_TYPE_value(pair, 0);
	if (id->type != V_ASN1_OBJECT ||
	    OBJ_obj2txt(oid, (int)oid_size, id->value.object, 1) <= 0)
		goto fail;
	*value = sk_ASN1_TYPE_value(pair, 1);
	return pair;
fail:
	sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
	return NULL;
}

static bool octets(const ASN1_TYPE *v, uint8_t *out, size_t size)
{
	if (v->type != V_ASN1_OCTET_STRING || !v->value.octet_string ||
	    (size_t)v->value.octet_string->length != size)
		return false;
	memcpy(out, v->value.octet_string->data, size);
	return true;
}

static bool small_int(const ASN1_TYPE *v, long max, long *out)
{
	int64_t x;

	if (v->type != V_ASN1_INTEGER || ASN1_INTEGER_get_int64(&x, v->value.integer) != 1 ||
	    x < 0 || x > max)
		return false;
	*out = (long)x;
	return true;
}

/* The TCB sequence (.2): components .2.1-.2.16, pcesvn .2.17, cpusvn .2.18. */
static bool parse_tcb(const ASN1_TYPE *v, struct dcap_pck_info *pck, unsigned *seen)
{
	STACK_OF(ASN1_TYPE) *tcb;
	bool ok = false;

	if (v->type != V_ASN1_SEQUENCE || !v->value.sequence)
		return false;
	tcb = der_seq(v->value.sequence->data, v->value.sequence->length);
	if (!tcb)
		return false;
	for (int i = 0; i < sk_ASN1_TYPE_num(tcb); i++) {
		char oid[80];
		const ASN1_TYPE *val = NULL;
		STACK_OF(ASN1_TYPE) *pair = ext_pair(sk_ASN1_TYPE_value(tcb, i), oid,
		                                     sizeof(oid), &val);
		const char *tail = oid + sizeof(SGX_EXT_OID ".2.") - 1;
		bool good = false;
		long n = 0, x = 0;

		if (!pair)
			goto out;
		if (!strncmp(oid, SGX_EXT_OID ".2.", sizeof(SGX_EXT_OID ".2.") - 1)) {
			char *end;

			n = strtol(tail, &end, 10);
			if (*end || end == tail)
				n = 0;
		}
		if (n >= 1 && n <= 16) {
			good = small_int(val, 255, &x);
			pck->comp_svn[n - 1] = (uint8_t)x;
		} else if (n == 17) {
			good = small_int(val, 65535, &x);
			pck->pcesvn = (uint16_t)x;
		} else if (n == 18) {
			good = octets(val, pck->cpusvn, DCAP_CPUSVN_SIZE);
		} else {
			good = true; /* unknown entries are skipped */
		}
		if (n >= 1 && n <= 18)
			*seen |= 1u << n;
		sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
		if (!good)
			goto out;
	}
	ok = true;
out:
	sk_ASN1_TYPE_pop_free(tcb, ASN1_TYPE_free);
	return ok;
}

/* Reads FMSPC, PCE-ID, CPUSVN, the component SVNs and PCESVN. */
static enum dcr_err pck_extension(X509 *leaf, const char *prefix, struct dcap_pck_info *pck,
                                  struct dcr_msg *msg)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(SGX_EXT_OID, 1);
	int idx = obj ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
	X509_EXTENSION *ext = idx >= 0 ? X509_get_ext(leaf, idx) : NULL;
	ASN1_OCTET_STRING *data = ext ? X509_EXTENSION_get_data(ext) : NULL;
	STACK_OF(ASN1_TYPE) *seq = NULL;
	unsigned seen = 0; /* bits 1..18: tcb entries; 20 fmspc, 21 pceid, 22 tcb */
	enum dcr_err err = DCR_OK;

	ASN1_OBJECT_free(obj);
	memset(pck, 0, sizeof(*pck));
	if (!data) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_CHAIN ": the PCK certificate has no SGX "
		               "extension (" SGX_EXT_OID ")", prefix);
		goto out;
	}
	seq = der_seq(data->data, data->length);
	if (!seq)
		goto bad;
	for (int i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
		char oid[80];
		const ASN1_TYPE *val = NULL;
		STACK_OF(ASN1_TYPE) *pair = ext_pair(sk_ASN1_TYPE_value(seq, i), oid,
		                                     sizeof(oid), &val);
		bool good = true;

		if (!pair)
			goto bad;
		if (!strcmp(oid, SGX_EXT_OID ".2")) {
			good = parse_tcb(val, pck, &seen);
			seen |= 1u << 22;
		} else if (!strcmp(oid, SGX_EXT_OID ".3")) {
			good = octets(val, pck->pceid, DCAP_PCEID_SIZE);
			seen |= 1u << 21;
		} else if (!strcmp(oid, SGX_EXT_OID ".4")) {
			good = octets(val, pck->fmspc, DCAP_FMSPC_SIZE);
			seen |= 1u << 20;
		}
		sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
		if (!good)
			goto bad;
	}
	/* every one of tcb entries 1..18 and the tcb, pceid and fmspc */
	if ((seen & PCK_SEEN_ALL) != PCK_SEEN_ALL)
		goto bad;
	goto out;
bad:
	err = dcr_fail(msg, DCR_ERR_VERIFY,
	               "%s: " DCAP_STEP_CHAIN ": the PCK certificate's SGX extension is "
	               "malformed or lacks FMSPC, PCE-ID or TCB", prefix);
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	ERR_clear_error();
	return err;
}

/* ---- the steps ------------------------------------------------------------ */

enum dcr_err dcap_verify_quote(const struct dcap_quote *q, const char *prefix,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcap_pck_info *pck, struct dcr_attest_claims *claims,
                               struct dcr_msg *msg)
{
	EVP_PKEY *att_key = NULL, *pck_key = NULL;
	STACK_OF(X509) *chain = NULL, *untrusted = NULL;
	X509 *leaf;
	uint8_t hash[32], zero[32] = {0};
	EVP_MD_CTX *md = NULL;
	unsigned int hlen = 0;
	int64_t at = opts ? opts->at : 0;
	char why[200];
	enum dcr_err err = DCR_OK;

	memset(pck, 0, sizeof(*pck));

	/* step 2: the attestation key signs header + body */
	att_key = p256_key(q->att_key);
	if (!att_key) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_QUOTE_SIG ": the attestation key is not a "
		               "P-256 point", prefix);
		goto out;
	}
	if (!dcap_ecdsa_verify(att_key, q->header, q->signed_size, q->signature)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_QUOTE_SIG ": the attestation key's signature over "
		               "the quote does not match: the quote was changed", prefix);
		goto out;
	}

	/* step 3: the PCK leaf signs the QE report */
	chain = dcap_pem_chain(q->pck_pem, q->pck_pem_size);
	if (!chain) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_QE_SIG ": the PCK certificate chain in the quote "
		               "does not parse", prefix);
		goto out;
	}
	leaf = sk_X509_value(chain, 0);
	pck_key = X509_get_pubkey(leaf);
	if (!pck_key || !dcap_ecdsa_verify(pck_key, q->qe_report, DCAP_SGX_BODY_SIZE,
	                                   q->qe_report_sig)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_QE_SIG ": the PCK key's signature over the QE "
		               "report does not match", prefix);
		goto out;
	}

	/* step 4: the QE is Intel's, not in debug mode, and its report data =
	 * SHA-256(attestation key || QE auth data) || 0^32 */
	{
		bool tdx = q->tee_type == DCAP_TEE_TDX;
		const char *signer_hex = tdx ? DCAP_TDX_QE_MRSIGNER : DCAP_SGX_QE_MRSIGNER;
		unsigned prodid = tdx ? DCAP_TDX_QE_PRODID : DCAP_SGX_QE_PRODID;
		const uint8_t *rep = q->qe_report;
		uint8_t signer[32];

		if (dcr_hex_decode(signer, sizeof(signer), signer_hex, 64) != DCR_OK) {
			err = dcr_fail(msg, DCR_ERR_INTERNAL, "%s: bad built-in QE signer", prefix);
			goto out;
		}
		if (memcmp(rep + DCAP_RB_MRSIGNER, signer, 32) != 0 ||
		    (unsigned)(rep[DCAP_RB_ISVPRODID] | (rep[DCAP_RB_ISVPRODID + 1] << 8)) != prodid) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "%s: " DCAP_STEP_QE_DATA ": the quoting enclave is not Intel's "
			               "%s QE (MRSIGNER %s, ISVPRODID %u)",
			               prefix, tdx ? "TDX" : "SGX", signer_hex, prodid);
			goto out;
		}
		if (rep[DCAP_RB_ATTRIBUTES] & 0x02) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "%s: " DCAP_STEP_QE_DATA ": the quoting enclave runs in debug "
			               "mode", prefix);
			goto out;
		}
	}
	/* QE report data = SHA-256(attestation key || QE auth data) || 0^32 */
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, q->att_key, 64) != 1 ||
	    EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_size) != 1 ||
	    EVP_DigestFinal_ex(md, hash, &hlen) != 1 || hlen != 32) {
		err = dcr_fail(msg, DCR_ERR_INTERNAL, "%s: OpenSSL SHA-256 failed", prefix);
		goto out;
	}
	if (memcmp(q->qe_report + DCAP_RB_REPORTDATA, hash, 32) != 0 ||
	    memcmp(q->qe_report + DCAP_RB_REPORTDATA + 32, zero, 32) != 0) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_QE_DATA ": the QE report does not bind the "
		               "attestation key and QE auth data", prefix);
		goto out;
	}

	/* step 5: the PCK chain ends at the built-in Intel SGX Root CA */
	untrusted = sk_X509_dup(chain);
	if (!untrusted) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", prefix);
		goto out;
	}
	(void)sk_X509_shift(untrusted); /* the leaf */
	if (!dcap_chain_verify(leaf, untrusted, NULL, at, why, sizeof(why))) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: " DCAP_STEP_CHAIN ": the PCK certificate does not chain to "
		               "the Intel SGX Root CA: %s", prefix, why);
		goto out;
	}
	err = pck_extension(leaf, prefix, pck, msg);
	if (err)
		goto out;
	dcr_hex_encode(claims->fmspc, pck->fmspc, DCAP_FMSPC_SIZE);
	{
		/* which PCK CA issued the leaf: the PCK CRL to ask Intel for */
		char cn[128] = "";

		X509_NAME_get_text_by_NID(X509_get_issuer_name(leaf), NID_commonName, cn,
		                          (int)sizeof(cn));
		attest_info_add(claims, "pck_ca", "%s",
		                strstr(cn, "Platform") ? "platform" : "processor");
	}

	if (!opts || !opts->collateral) {
		snprintf(claims->tcb_status, sizeof(claims->tcb_status), "unknown (no collateral)");
	} else {
		struct dcap_tcb_result tcb;

		err = dcap_collateral_check(q, prefix, opts, chain, pck, &tcb, msg);
		if (err)
			goto out;
		memcpy(claims->tcb_status, tcb.status, sizeof(claims->tcb_status));
		memcpy(claims->advisories, tcb.advisories, sizeof(claims->advisories));
		claims->advisory_count = tcb.advisory_count;
		claims->advisories_truncated = tcb.advisories_truncated;
	}
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(att_key);
	EVP_PKEY_free(pck_key);
	sk_X509_free(untrusted);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return err;
}

enum dcr_err dcap_verify_kind(const uint8_t *evidence, size_t size, uint32_t tee_type,
                              const char *prefix, dcap_identity_fn identity,
                              const struct dcr_attest_verify_opts *opts,
                              struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	struct dcap_quote q;
	struct dcap_pck_info pck;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	err = dcap_quote_parse(evidence, size, prefix, &q, msg);
	if (!err && q.tee_type != tee_type)
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "%s: " DCAP_STEP_HEADER ": this is %s quote, not %s (use --tee %s)",
		               prefix, q.tee_type == DCAP_TEE_TDX ? "a TDX" : "an SGX",
		               tee_type == DCAP_TEE_TDX ? "TDX" : "SGX",
		               q.tee_type == DCAP_TEE_TDX ? "tdx" : "sgx");
	if (err)
		goto fail;
	if (opts && opts->parsed) {
		memset(opts->parsed, 0, sizeof(*opts->parsed));
		identity(q.body, opts->parsed);
	}
	err = dcap_verify_quote(&q, prefix, opts, &pck, out, msg);
	if (err)
		goto fail;
	identity(q.body, out);
	return DCR_OK;
fail:
	memset(out, 0, sizeof(*out));
	return err;
}
