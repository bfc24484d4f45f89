/* SPDX-License-Identifier: Apache-2.0 */
/* The SEV-SNP verifier: the 1184-byte attestation report, its ECDSA P-384
 * signature by the chip's VCEK, and the VCEK's chain to AMD's built-in ARK
 * (VCEK -> ASK -> ARK, RSASSA-PSS), with the VCEK's chip id and TCB checked
 * against the report. Steps and layout: docs/ATTESTATION.md. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../attest_int.h"

#define OID_HWID "1.3.6.1.4.1.3704.1.4"
#define OID_PRODUCT "1.3.6.1.4.1.3704.1.2"
#define OID_TCB_PREFIX "1.3.6.1.4.1.3704.1.3."
#define TURIN_HWID_SIZE 8

/* The VCEK's GUID 63da758d-e664-4564-adc5-f4b93be8accd as the GHCB table
 * stores it (EFI byte order: the first three fields little-endian) and in
 * the order it is written (some tools store that). */
static const uint8_t vcek_guid_efi[16] = {
	0x8d, 0x75, 0xda, 0x63, 0x64, 0xe6, 0x64, 0x45,
	0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
};
static const uint8_t vcek_guid_text[16] = {
	0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
};

/* ---- TCB -------------------------------------------------------------- */

/* Where each TCB component sits in the 8 TCB bytes: Milan and Genoa put
 * bootloader, TEE, SNP, microcode at bytes 0, 1, 6, 7; Turin (family 1Ah)
 * adds FMC at byte 0 and puts bootloader, TEE, SNP, microcode at 1, 2, 3, 7. */
struct tcb_field {
	const char *name;                 /* as in the VCEK extension's name */
	const char *oid_suffix;           /* OID_TCB_PREFIX + this */
	int byte_legacy, byte_turin;      /* -1: absent on that product */
};

static const struct tcb_field tcb_fields[] = {
	{"bootloader", "1", 0, 1},
	{"tee", "2", 1, 2},
	{"snp", "3", 6, 3},
	{"microcode", "8", 7, 7},
	{"fmc", "9", -1, 0},
};
#define TCB_FIELD_COUNT (sizeof(tcb_fields) / sizeof(tcb_fields[0]))

static int tcb_byte(const struct tcb_field *f, bool turin)
{
	return turin ? f->byte_turin : f->byte_legacy;
}

static void tcb_text(const uint8_t tcb[8], bool turin, char *out, size_t size)
{
	size_t n = 0;
	int m = snprintf(out, size, "0x%016llx (", (unsigned long long)attest_le64(tcb));

	if (m < 0 || (size_t)m >= size)
		return;
	n = (size_t)m;
	for (size_t i = 0; i < TCB_FIELD_COUNT; i++) {
		int b = tcb_byte(&tcb_fields[i], turin);

		if (b < 0)
			continue;
		m = snprintf(out + n, size - n, "%s%s %u", n > 20 ? ", " : "", tcb_fields[i].name,
		             (unsigned)tcb[b]);
		if (m < 0 || (size_t)m >= size - n)
			return;
		n += (size_t)m;
	}
	snprintf(out + n, size - n, ")");
}

void attest_snp_report_info(const uint8_t report[static SNP_REPORT_SIZE],
                            struct dcr_attest_claims *claims)
{
	char chip[2 * SNP_CHIP_ID_SIZE + 1], tcb[DCR_ATTEST_INFO_SIZE];
	uint32_t version = attest_le32(report + SNP_OFF_VERSION);
	uint64_t policy = attest_le64(report + SNP_OFF_POLICY);

	attest_info_add(claims, "report_version", "%u", (unsigned)version);
	attest_info_add(claims, "policy", "0x%016llx (debug %s, SMT %s, ABI >= %u.%u)",
	                (unsigned long long)policy,
	                (policy & SNP_POLICY_DEBUG) ? "allowed" : "not allowed",
	                (policy & (1ull << 16)) ? "allowed" : "not allowed",
	                (unsigned)((policy >> 8) & 0xff), (unsigned)(policy & 0xff));
	attest_info_add(claims, "vmpl", "%u", (unsigned)attest_le32(report + SNP_OFF_VMPL));
	attest_info_add(claims, "guest_svn", "%u", (unsigned)attest_le32(report + SNP_OFF_GUEST_SVN));
	/* Without the VCEK the product is unknown; version 3+ reports say the
	 * CPU family, and family 1Ah (Turin) has the other TCB layout. */
	tcb_text(report + SNP_OFF_REPORTED_TCB,
	         version >= 3 && report[SNP_OFF_CPUID_FAM] == 0x1a, tcb, sizeof(tcb));
	attest_info_add(claims, "reported_tcb", "%s", tcb);
	if (version >= 3)
		attest_info_add(claims, "cpuid", "family 0x%02x, model 0x%02x, stepping 0x%02x",
		                report[SNP_OFF_CPUID_FAM], report[SNP_OFF_CPUID_MOD],
		                report[SNP_OFF_CPUID_STEP]);
	dcr_hex_encode(chip, report + SNP_OFF_CHIP_ID, SNP_CHIP_ID_SIZE);
	attest_info_add(claims, "chip_id", "%s", chip);
}

/* ---- format ------------------------------------------------------------- */

bool attest_snp_probe(const uint8_t *evidence, size_t size)
{
	uint32_t version;

	/* No magic: a version AMD defined, the one signature algorithm and a
	 * VMPL of 0..3 (an Intel quote's first four bytes read as a version of
	 * 0x0002000N; sim and Azure evidence start with ASCII). */
	if (!evidence || size < SNP_REPORT_SIZE || size > DCR_EVIDENCE_MAX_SIZE)
		return false;
	version = attest_le32(evidence + SNP_OFF_VERSION);
	return version >= SNP_VERSION_MIN && version <= SNP_VERSION_MAX &&
	       attest_le32(evidence + SNP_OFF_SIG_ALGO) == 1 &&
	       attest_le32(evidence + SNP_OFF_VMPL) <= 3;
}

/* Finds the VCEK in the certificate table that follows the report. */
static enum dcr_err find_vcek(const uint8_t *table, size_t size, const uint8_t **out,
                              size_t *out_size, struct dcr_msg *msg)
{
	*out = NULL;
	*out_size = 0;
	for (size_t off = 0;; off += SNP_CERT_ENTRY_SIZE) {
		const uint8_t *e = table + off;
		uint32_t cert_off, cert_len;

		if (size - off < SNP_CERT_ENTRY_SIZE)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "snp: step 1 (format): the certificate table after the "
			                "report (%zu bytes) has no all-zero entry ending it",
			                size);
		if (attest_all_zero(e, SNP_CERT_ENTRY_SIZE))
			return DCR_OK;
		cert_off = attest_le32(e + 16);
		cert_len = attest_le32(e + 20);
		if (cert_off > size || cert_len > size - cert_off)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "snp: step 1 (format): certificate table entry %zu "
			                "(offset %u, length %u) lies outside the table's %zu bytes",
			                off / SNP_CERT_ENTRY_SIZE, (unsigned)cert_off,
			                (unsigned)cert_len, size);
		if (memcmp(e, vcek_guid_efi, 16) && memcmp(e, vcek_guid_text, 16))
			continue;
		if (*out)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "snp: step 1 (format): the certificate table holds two VCEKs");
		*out = table + cert_off;
		*out_size = cert_len;
	}
}

/* ---- certificates --------------------------------------------------------- */

/* The DER certificate in der, which must be exactly one certificate. */
static X509 *parse_der(const uint8_t *der, size_t size)
{
	const unsigned char *p = der;
	X509 *x;

	if (!der || !size || size > (size_t)LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)size);
	if (x && p != der + size) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The extension with dotted OID oid, or NULL. */
static const ASN1_OCTET_STRING *find_ext(const X509 *x, const char *oid)
{
	int count = X509_get_ext_count(x);

	for (int i = 0; i < count; i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		char text[64];

		if (OBJ_obj2txt(text, sizeof(text), X509_EXTENSION_get_object(ext), 1) <= 0)
			continue;
		if (!strcmp(text, oid))
			return X509_EXTENSION_get_data(ext);
	}
	return NULL;
}

/* The common name in name into out, "" when absent. */
static void common_name(const X509_NAME *name, char *out, int size)
{
	out[0] = '\0';
	if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, out, size) < 0)
		out[0] = '\0';
}

/* Checks that cert is signed by issuer's key with RSASSA-PSS, SHA-384 (MGF1
 * SHA-384), salt 48, and that the names chain. what: "VCEK", "ASK", "ARK". */
static enum dcr_err check_link(X509 *cert, X509 *issuer, int step, const char *step_name,
                               const char *what, const char *issuer_what, struct dcr_msg *msg)
{
	int mdnid = 0, pknid = 0, secbits = 0;
	uint32_t flags = 0;
	EVP_PKEY *key;

	if (!X509_get_signature_info(cert, &mdnid, &pknid, &secbits, &flags) ||
	    pknid != EVP_PKEY_RSA_PSS || mdnid != NID_sha384 || !(flags & X509_SIG_INFO_TLS))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step %d (%s): the %s is not signed with RSASSA-PSS, SHA-384, "
		                "salt 48",
		                step, step_name, what);
	if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0) {
		char got[128], want[128];

		common_name(X509_get_issuer_name(cert), got, sizeof(got));
		common_name(X509_get_subject_name(issuer), want, sizeof(want));
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step %d (%s): the %s's issuer is \"%s\", not the %s \"%s\"",
		                step, step_name, what, got, issuer_what, want);
	}
	key = X509_get0_pubkey(issuer);
	if (!key || X509_verify(cert, key) != 1)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step %d (%s): the %s's signature does not verify with the %s's "
		                "key",
		                step, step_name, what, issuer_what);
	return DCR_OK;
}

static enum dcr_err check_validity(X509 *cert, time_t at, int step, const char *step_name,
                                   const char *what, struct dcr_msg *msg)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert), *na = X509_get0_notAfter(cert);
	char when[21];

	dcr_time_format((int64_t)at, when);
	if (X509_cmp_time(nb, &at) != -1)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step %d (%s): the %s is not valid yet at %s", step, step_name,
		                what, when);
	if (X509_cmp_time(na, &at) != 1)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step %d (%s): the %s has expired at %s", step, step_name, what,
		                when);
	return DCR_OK;
}

/* Reads the ASK and ARK from a product's PEM text. */
static enum dcr_err load_roots(const struct snp_product *p, X509 **ask, X509 **ark,
                               struct dcr_msg *msg)
{
	BIO *bio = BIO_new_mem_buf(p->ask_ark_pem, -1);

	*ask = *ark = NULL;
	if (bio) {
		*ask = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		*ark = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (*ask && *ark)
		return DCR_OK;
	X509_free(*ask);
	X509_free(*ark);
	*ask = *ark = NULL;
	return dcr_fail(msg, DCR_ERR_INTERNAL,
	                "snp: step 4 (vcek chain): cannot read the built-in %s certificates",
	                p->name);
}

/* Step 4: the VCEK chains to the product's ASK and ARK, all valid at at. */
static enum dcr_err check_chain(X509 *vcek, const struct snp_product *products, time_t at,
                                const struct snp_product **out_product, struct dcr_msg *msg)
{
	const struct snp_product *p = NULL;
	X509 *ask = NULL, *ark = NULL;
	char issuer[128];
	enum dcr_err err;

	*out_product = NULL;
	common_name(X509_get_issuer_name(vcek), issuer, sizeof(issuer));
	for (size_t i = 0; products[i].name; i++)
		if (!strcmp(issuer, products[i].ask_cn))
			p = &products[i];
	if (!p)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step 4 (vcek chain): the VCEK's issuer \"%s\" is none of "
		                "AMD's SEV-Milan, SEV-Genoa, SEV-Turin (a VLEK is not supported)",
		                issuer);
	err = load_roots(p, &ask, &ark, msg);
	if (err)
		return err;
	if ((err = check_link(vcek, ask, 4, "vcek chain", "VCEK", "ASK", msg)) ||
	    (err = check_link(ask, ark, 4, "vcek chain", "ASK", "ARK", msg)) ||
	    (err = check_link(ark, ark, 4, "vcek chain", "ARK", "ARK", msg)) ||
	    (err = check_validity(vcek, at, 4, "vcek chain", "VCEK", msg)) ||
	    (err = check_validity(ask, at, 4, "vcek chain", "ASK", msg)) ||
	    (err = check_validity(ark, at, 4, "vcek chain", "ARK", msg)))
		goto out;
	*out_product = p;
out:
	X509_free(ask);
	X509_free(ark);
	return err;
}

/* The VCEK's productName ("Milan-B0") into out, "" when absent. */
static void product_name(const X509 *vcek, char *out, size_t size)
{
	const ASN1_OCTET_STRING *v = find_ext(vcek, OID_PRODUCT);
	const unsigned char *p;
	ASN1_TYPE *t;

	out[0] = '\0';
	if (!v)
		return;
	p = ASN1_STRING_get0_data(v);
	t = d2i_ASN1_TYPE(NULL, &p, ASN1_STRING_length(v));
	if (t && (t->type == V_ASN1_IA5STRING || t->type == V_ASN1_UTF8STRING ||
	          t->type == V_ASN1_PRINTABLESTRING)) {
		const ASN1_STRING *s = t->value.asn1_string;
		int n = ASN1_STRING_length(s);

		if (n > 0 && (size_t)n < size) {
			memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
			out[n] = '\0';
			for (int i = 0; i < n; i++) /* shown in messages: printable only */
				if (out[i] < 0x20 || out[i] > 0x7e)
					out[i] = '?';
		}
	}
	ASN1_TYPE_free(t);
}

/* Step 5: the VCEK is this chip's, at the TCB the report states. */
static enum dcr_err check_vcek_matches(X509 *vcek, const uint8_t *report, bool turin,
                                       struct dcr_msg *msg)
{
	const ASN1_OCTET_STRING *hwid = find_ext(vcek, OID_HWID);
	const uint8_t *chip = report + SNP_OFF_CHIP_ID;
	const uint8_t *tcb = report + SNP_OFF_REPORTED_TCB;
	char hex_chip[2 * SNP_CHIP_ID_SIZE + 1];
	size_t hwid_size;

	if (!hwid)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step 5 (chip id): the VCEK has no hwID extension (%s)",
		                OID_HWID);
	hwid_size = (size_t)ASN1_STRING_length(hwid);
	if (attest_all_zero(chip, SNP_CHIP_ID_SIZE))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step 5 (chip id): the report's chip id is all zero (the "
		                "guest asked to mask it), so the VCEK cannot be matched to the chip");
	dcr_hex_encode(hex_chip, chip, SNP_CHIP_ID_SIZE);
	/* Turin VCEKs carry the first 8 bytes of the chip id. */
	if (!(hwid_size == SNP_CHIP_ID_SIZE || (turin && hwid_size == TURIN_HWID_SIZE)) ||
	    memcmp(ASN1_STRING_get0_data(hwid), chip, hwid_size) != 0)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step 5 (chip id): the VCEK is for another chip: the report's "
		                "chip id is %.32s..., the VCEK's hwID differs",
		                hex_chip);

	for (size_t i = 0; i < TCB_FIELD_COUNT; i++) {
		const struct tcb_field *f = &tcb_fields[i];
		int b = tcb_byte(f, turin);
		char oid[64];
		const ASN1_OCTET_STRING *v;
		const unsigned char *p;
		ASN1_INTEGER *n;
		int64_t value = -1;

		if (b < 0)
			continue;
		snprintf(oid, sizeof(oid), "%s%s", OID_TCB_PREFIX, f->oid_suffix);
		v = find_ext(vcek, oid);
		if (!v)
			return dcr_fail(msg, DCR_ERR_VERIFY,
			                "snp: step 5 (tcb): the VCEK has no %s SPL extension (%s)",
			                f->name, oid);
		p = ASN1_STRING_get0_data(v);
		n = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
		if (!n || ASN1_INTEGER_get_int64(&value, n) != 1)
			value = -1;
		ASN1_INTEGER_free(n);
		if (value != tcb[b])
			return dcr_fail(msg, DCR_ERR_VERIFY,
			                "snp: step 5 (tcb): the report's reported TCB has %s %u, but "
			                "the VCEK is for %s %lld: the VCEK does not match this TCB",
			                f->name, (unsigned)tcb[b], f->name, (long long)value);
	}
	return DCR_OK;
}

/* Step 6: the report's ECDSA P-384 signature by the VCEK over [0, 0x2A0). */
static enum dcr_err check_signature(X509 *vcek, const uint8_t *report, struct dcr_msg *msg)
{
	enum dcr_err err = DCR_ERR_VERIFY;
	EVP_PKEY *key = X509_get0_pubkey(vcek);
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int der_size, rc;

	r = BN_lebin2bn(report + SNP_OFF_SIG_R, SNP_SIG_COMPONENT_SIZE, NULL);
	s = BN_lebin2bn(report + SNP_OFF_SIG_S, SNP_SIG_COMPONENT_SIZE, NULL);
	sig = ECDSA_SIG_new();
	if (!r || !s || !sig) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "snp: step 6 (signature): out of memory");
		goto out;
	}
	if (ECDSA_SIG_set0(sig, r, s) != 1) {
		err = dcr_fail(msg, DCR_ERR_INTERNAL, "snp: step 6 (signature): OpenSSL failed");
		goto out;
	}
	r = s = NULL; /* owned by sig now */
	der_size = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_MD_CTX_new();
	if (der_size <= 0 || !ctx) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "snp: step 6 (signature): out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) != 1) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "snp: step 6 (signature): the VCEK's key cannot verify ECDSA");
		goto out;
	}
	rc = EVP_DigestVerify(ctx, der, (size_t)der_size, report, SNP_SIGNED_SIZE);
	if (rc != 1) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "snp: step 6 (signature): the report's signature does not verify "
		               "with the VCEK: the report was changed or another chip signed it");
		goto out;
	}
	err = DCR_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return err;
}

/* ---- verification -------------------------------------------------------- */

/* The report's fields as claims (before or after its signature is checked). */
static void snp_claims(const uint8_t report[static SNP_REPORT_SIZE], struct dcr_attest_claims *out)
{
	struct dcr_attest_measurement *m;

	memset(out, 0, sizeof(*out));
	out->tee = DCR_TEE_SNP;
	memcpy(out->report_data, report + SNP_OFF_REPORT_DATA, DCR_REPORT_DATA_SIZE);
	m = &out->measurements[out->measurement_count++];
	m->name = "measurement";
	memcpy(m->value, report + SNP_OFF_MEASUREMENT, SNP_MEASUREMENT_SIZE);
	m->size = SNP_MEASUREMENT_SIZE;
	m = &out->measurements[out->measurement_count++];
	m->name = "host_data";
	memcpy(m->value, report + SNP_OFF_HOST_DATA, SNP_HOST_DATA_SIZE);
	m->size = SNP_HOST_DATA_SIZE;
	out->debug = (attest_le64(report + SNP_OFF_POLICY) & SNP_POLICY_DEBUG) != 0;
	attest_snp_report_info(report, out);
}

enum dcr_err attest_snp_verify_report(const uint8_t report[static SNP_REPORT_SIZE],
                                      const uint8_t *vcek_der, size_t vcek_size,
                                      const char *vcek_source,
                                      const struct snp_product *products, int64_t at,
                                      struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	const struct snp_product *product = NULL;
	char pname[64];
	uint32_t version, algo;
	time_t when = at ? (time_t)at : time(NULL);
	X509 *vcek = NULL;
	EVP_PKEY *key;
	enum dcr_err err;
	bool turin;

	memset(out, 0, sizeof(*out));
	if (!products)
		products = attest_snp_products;

	version = attest_le32(report + SNP_OFF_VERSION);
	if (version < SNP_VERSION_MIN || version > SNP_VERSION_MAX)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "snp: step 1 (format): report version %u; this build reads "
		                "versions %d to %d",
		                (unsigned)version, SNP_VERSION_MIN, SNP_VERSION_MAX);
	algo = attest_le32(report + SNP_OFF_SIG_ALGO);
	if (algo != 1)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "snp: step 2 (signature algorithm): algorithm %u; only 1 (ECDSA "
		                "P-384 with SHA-384) is defined",
		                (unsigned)algo);

	if (!vcek_der || !vcek_size)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step 3 (vcek): no VCEK certificate: the evidence has no "
		                "certificate table with one; give the chip's VCEK (DER) with "
		                "--vcek");
	vcek = parse_der(vcek_der, vcek_size);
	if (!vcek)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "snp: step 3 (vcek): the VCEK (%s, %zu bytes) is not one DER "
		                "X.509 certificate",
		                vcek_source, vcek_size);
	key = X509_get0_pubkey(vcek);
	if (!key || !EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 384) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "snp: step 3 (vcek): the VCEK's key is not an ECDSA P-384 key");
		goto out;
	}

	err = check_chain(vcek, products, when, &product, msg);
	if (err)
		goto out;
	turin = !strcmp(product->name, "Turin");
	product_name(vcek, pname, sizeof(pname));
	if (pname[0] && strncmp(pname, product->name, strlen(product->name)) != 0) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "snp: step 4 (vcek chain): the VCEK's productName \"%s\" is not a %s",
		               pname, product->name);
		goto out;
	}

	err = check_vcek_matches(vcek, report, turin, msg);
	if (err)
		goto out;
	err = check_signature(vcek, report, msg);
	if (err)
		goto out;

	snp_claims(report, out);
	attest_info_add(out, "product", "%s%s%s%s", product->name, pname[0] ? " (VCEK " : "",
	                pname, pname[0] ? ")" : "");
	attest_info_add(out, "vcek", "%s", vcek_source);
out:
	X509_free(vcek);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

enum dcr_err attest_snp_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	const uint8_t *vcek = NULL;
	size_t vcek_size = 0;
	const char *source = "none";
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	if (!evidence || size < SNP_REPORT_SIZE)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "snp: step 1 (format): evidence is %zu bytes; an SNP report is %d "
		                "bytes (optionally followed by its certificate table)",
		                evidence ? size : 0, SNP_REPORT_SIZE);
	if (size > SNP_REPORT_SIZE) {
		err = find_vcek(evidence + SNP_REPORT_SIZE, size - SNP_REPORT_SIZE, &vcek,
		                &vcek_size, msg);
		if (err)
			return err;
		if (vcek)
			source = "from the evidence's certificate table";
	}
	if (opts && opts->vcek && opts->vcek_size) {
		vcek = opts->vcek;
		vcek_size = opts->vcek_size;
		source = "given by the verifier (--vcek)";
	}
	if (opts && opts->parsed)
		snp_claims(evidence, opts->parsed);
	return attest_snp_verify_report(evidence, vcek, vcek_size, source, NULL,
	                                opts ? opts->at : 0, out, msg);
}
