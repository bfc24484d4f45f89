/* SPDX-License-Identifier: Apache-2.0 */
/* Verifies an RA-TLS certificate: its validity, the quote in Gramine's
 * legacy extension and/or the TCG DICE extension (verified by the sgx or tdx
 * verifier), and the binding of each quote's report data to the
 * certificate's public key. */
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ratls.h"

#define PREFIX "ratls"
#define STEP_CERT "step 1 (certificate)"
#define STEP_VALIDITY "step 2 (certificate validity)"
#define STEP_EXTENSION "step 3 (extension)"
#define STEP_QUOTE "step 4 (quote)"
#define STEP_BINDING "step 5 (key binding)"

/* Gramine's legacy OID, whose DER *content* is these 11 bytes (an OID inside
 * an OID: 1.2.840.113741.1337.6 as Gramine meant it). */
static const uint8_t legacy_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf8,
                                     0x4d, 0x8a, 0x39, 0x06};
#define DICE_OID "2.23.133.5.4.9"

static X509 *parse_cert(const uint8_t *data, size_t size)
{
	X509 *x = NULL;

	if (!data || !size || size > INT32_MAX)
		return NULL;
	if (size > 10 && !memcmp(data, "-----BEGIN", 10)) {
		BIO *bio = BIO_new_mem_buf(data, (int)size);

		x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	} else {
		const unsigned char *p = data;

		x = d2i_X509(NULL, &p, (long)size);
		if (x && p != data + size) {
			X509_free(x);
			x = NULL;
		}
	}
	ERR_clear_error();
	return x;
}

static int64_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* The DER content of extension i's OID equals oid (len bytes). */
static bool oid_content_is(X509_EXTENSION *ext, const uint8_t *oid, size_t len)
{
	const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
	const unsigned char *data = OBJ_get0_data(obj);

	return data && (size_t)OBJ_length(obj) == len && !memcmp(data, oid, len);
}

static enum dcr_err digest(const EVP_MD *md, const uint8_t *data, size_t size, uint8_t *out,
                           size_t *out_size)
{
	unsigned int len = 0;

	if (EVP_Digest(data, size, out, &len, md, NULL) != 1)
		return DCR_ERR_INTERNAL;
	*out_size = len;
	return DCR_OK;
}

/* Verifies quote with the sgx or tdx verifier into out (step 4). */
static enum dcr_err verify_quote(const char *which, const uint8_t *quote, size_t size,
                                 const struct dcr_attest_verify_opts *opts,
                                 struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	const struct dcr_attest_ops *ops = dcr_attest_probe(quote, size);
	struct dcr_msg sub = {{0}};
	enum dcr_err err;

	if (!ops || (ops->tee != DCR_TEE_SGX && ops->tee != DCR_TEE_TDX) || !ops->verify)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                PREFIX ": " STEP_QUOTE ": the %s extension does not hold an SGX "
		                "or TDX quote", which);
	err = ops->verify(quote, size, opts, out, &sub);
	if (err)
		return dcr_fail(msg, err, PREFIX ": " STEP_QUOTE ": the %s extension's quote: %s",
		                which, sub.text);
	return DCR_OK;
}

enum dcr_err dcr_attest_verify_ratls(const uint8_t *cert, size_t size,
                                     const struct dcr_attest_verify_opts *opts,
                                     struct dcr_attest_claims *out, unsigned *out_exts,
                                     struct dcr_msg *msg)
{
	X509 *x = NULL;
	ASN1_OBJECT *dice_obj = OBJ_txt2obj(DICE_OID, 1);
	const ASN1_OCTET_STRING *legacy = NULL, *dice = NULL;
	unsigned char *spki = NULL;
	int spki_len;
	int64_t at = opts && opts->at ? opts->at : (int64_t)time(NULL);
	int64_t nb, na;
	char when[21], limit[21];
	struct dcr_attest_claims claims;
	enum dcr_err err = DCR_OK;

	memset(out, 0, sizeof(*out));
	*out_exts = 0;

	/* step 1: an X.509 certificate, PEM or DER */
	x = parse_cert(cert, size);
	if (!x || !dice_obj) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               PREFIX ": " STEP_CERT ": not an X.509 certificate (PEM or DER)");
		goto out;
	}

	/* RA-TLS certificates are self-signed: the signature is what makes the
	 * validity dates and extensions the key holder's */
	{
		EVP_PKEY *key = X509_get0_pubkey(x);

		if (!key || X509_verify(x, key) != 1) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               PREFIX ": " STEP_CERT ": the certificate's self-signature does "
			               "not verify with its own public key");
			goto out;
		}
	}

	/* step 2: valid at `at` */
	nb = asn1_time(X509_get0_notBefore(x));
	na = asn1_time(X509_get0_notAfter(x));
	dcr_time_format(at, when);
	if (!nb || !na) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               PREFIX ": " STEP_VALIDITY ": the certificate's validity does not parse");
		goto out;
	}
	if (at > na) {
		dcr_time_format(na, limit);
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               PREFIX ": " STEP_VALIDITY ": the certificate expired on %s (checked "
		               "at %s)", limit, when);
		goto out;
	}
	if (at < nb) {
		dcr_time_format(nb, limit);
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               PREFIX ": " STEP_VALIDITY ": the certificate is not valid before %s "
		               "(checked at %s)", limit, when);
		goto out;
	}

	/* step 3: the extensions, each at most once */
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		bool is_legacy = oid_content_is(ext, legacy_oid, sizeof(legacy_oid));
		bool is_dice = !is_legacy && !OBJ_cmp(X509_EXTENSION_get_object(ext), dice_obj);

		if ((is_legacy && legacy) || (is_dice && dice)) {
			err = dcr_fail(msg, DCR_ERR_INVALID,
			               PREFIX ": " STEP_EXTENSION ": the certificate has the %s "
			               "extension twice", is_legacy ? "legacy" : "DICE");
			goto out;
		}
		if (is_legacy)
			legacy = X509_EXTENSION_get_data(ext);
		if (is_dice)
			dice = X509_EXTENSION_get_data(ext);
	}
	if (!legacy && !dice) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               PREFIX ": " STEP_EXTENSION ": the certificate has neither Gramine's "
		               "legacy RA-TLS extension nor the TCG DICE extension " DICE_OID);
		goto out;
	}
	spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	if (spki_len <= 0) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               PREFIX ": " STEP_CERT ": the certificate's public key does not encode");
		goto out;
	}

	if (legacy) {
		uint8_t h[32];
		size_t hs = 0;

		/* steps 4 and 5: the raw quote, REPORTDATA[0:32] = SHA-256(SPKI) */
		err = verify_quote("legacy", legacy->data, (size_t)legacy->length, opts, &claims, msg);
		if (err)
			goto out;
		if (digest(EVP_sha256(), spki, (size_t)spki_len, h, &hs)) {
			err = dcr_fail(msg, DCR_ERR_INTERNAL, PREFIX ": OpenSSL SHA-256 failed");
			goto out;
		}
		if (memcmp(claims.report_data, h, 32) != 0) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               PREFIX ": " STEP_BINDING ": the legacy extension's quote does "
			               "not bind this certificate's public key (report data is not "
			               "SHA-256 of its SubjectPublicKeyInfo)");
			goto out;
		}
		*out = claims;
		*out_exts |= DCR_RATLS_LEGACY;
	}
	if (dice) {
		const uint8_t *quote, *cl, *pk_hash;
		size_t quote_size, cl_size, pk_hash_size, hs = 0;
		uint8_t h[RATLS_HASH_MAX];
		const EVP_MD *md;
		int alg;

		if (!ratls_dice_split(dice->data, (size_t)dice->length, &quote, &quote_size, &cl,
		                      &cl_size)) {
			err = dcr_fail(msg, DCR_ERR_INVALID,
			               PREFIX ": " STEP_EXTENSION ": the DICE extension is not CBOR "
			               "tag %u around [bstr quote, bstr claims]", RATLS_DICE_TAG);
			goto out;
		}
		if (!ratls_claims_pubkey_hash(cl, cl_size, &alg, &pk_hash, &pk_hash_size)) {
			err = dcr_fail(msg, DCR_ERR_INVALID,
			               PREFIX ": " STEP_EXTENSION ": the DICE claims are not a CBOR "
			               "map with one \"pubkey-hash\" of [alg 1, 7 or 8, hash]");
			goto out;
		}
		md = alg == 1 ? EVP_sha256() : alg == 7 ? EVP_sha384() : EVP_sha512();
		err = verify_quote("DICE", quote, quote_size, opts, &claims, msg);
		if (err)
			goto out;
		/* step 5: REPORTDATA = H(claims) (first 32 bytes, as the
		 * interoperable RA-TLS spec binds it), the claims' pubkey-hash =
		 * H(SPKI) */
		if (digest(EVP_sha256(), cl, cl_size, h, &hs)) {
			err = dcr_fail(msg, DCR_ERR_INTERNAL, PREFIX ": OpenSSL SHA-256 failed");
			goto out;
		}
		if (memcmp(claims.report_data, h, 32) != 0) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               PREFIX ": " STEP_BINDING ": the DICE extension's quote does not "
			               "bind its claims (report data is not SHA-256 of the claims)");
			goto out;
		}
		if (digest(md, spki, (size_t)spki_len, h, &hs) || hs != pk_hash_size) {
			err = dcr_fail(msg, DCR_ERR_INTERNAL, PREFIX ": OpenSSL digest failed");
			goto out;
		}
		if (memcmp(h, pk_hash, hs) != 0) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               PREFIX ": " STEP_BINDING ": the DICE claims' pubkey-hash is not "
			               "the hash of this certificate's public key");
			goto out;
		}
		/* both present: the legacy quote's claims stand unless it was absent;
		 * their measurements must agree */
		if (*out_exts & DCR_RATLS_LEGACY) {
			if (claims.tee != out->tee ||
			    claims.measurement_count != out->measurement_count ||
			    memcmp(claims.measurements, out->measurements, sizeof(claims.measurements))) {
				err = dcr_fail(msg, DCR_ERR_VERIFY,
				               PREFIX ": " STEP_QUOTE ": the legacy and DICE extensions' "
				               "quotes come from different TEEs or code");
				goto out;
			}
		} else {
			*out = claims;
		}
		*out_exts |= DCR_RATLS_DICE;
	}
	err = DCR_OK;
out:
	if (err) {
		memset(out, 0, sizeof(*out));
		*out_exts = 0;
	}
	OPENSSL_free(spki);
	ASN1_OBJECT_free(dice_obj);
	X509_free(x);
	ERR_clear_error();
	return err;
}
