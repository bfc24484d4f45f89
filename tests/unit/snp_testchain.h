/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers for the SNP and azure-vtpm verifiers: reading the real
 * samples in $DCR_TESTDATA, and a synthetic AMD chain (ARK -> ASK -> VCEK,
 * RSASSA-PSS SHA-384 salt 48, a P-384 VCEK with hwID and TCB extensions)
 * whose keys the test holds, so it can sign reports of its own. Include
 * after <cmocka.h> and testutil.h. */
#ifndef DCR_SNP_TESTCHAIN_H
#define DCR_SNP_TESTCHAIN_H

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/attest_int.h"

/* The whole of $DCR_TESTDATA/name into b (asserting). */
static inline void tc_read(const char *name, struct dcr_buf *b)
{
	const char *dir = getenv("DCR_TESTDATA");
	char path[4096];
	struct dcr_msg msg = {{0}};

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	dcr_buf_init(b, 1u << 20);
	if (dcr_file_read(path, 1u << 20, b, &msg) != DCR_OK)
		fail_msg("%s: %s", path, msg.text);
}

/* Hex of size bytes (static buffer, one at a time). */
static inline const char *tc_hex(const uint8_t *p, size_t size)
{
	static char out[2 * 1024 + 1];

	assert_true(size <= 1024);
	dcr_hex_encode(out, p, size);
	return out;
}

static inline void tc_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A synthetic AMD chain and the keys behind it. */
struct tc_chain {
	EVP_PKEY *ark_key, *ask_key, *vcek_key;
	X509 *ark, *ask, *vcek;
	char *pem;                      /* ASK then ARK, PEM text */
	uint8_t *vcek_der;
	size_t vcek_der_size;
	struct snp_product products[2]; /* {"Milan", "SEV-Milan", pem}, end */
};

static inline X509_NAME *tc_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	                                            (const unsigned char *)"Test Devices", -1, -1,
	                                            0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)cn, -1, -1, 0), 1);
	return n;
}

/* Signs x with key: RSASSA-PSS, SHA-384, MGF1 SHA-384, salt 48. */
static inline void tc_sign_pss(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()), 1);
	assert_true(X509_sign_ctx(x, ctx) > 0);
	EVP_MD_CTX_free(ctx);
}

/* A certificate for key named cn, issued by issuer_cn, valid 2020..2030. */
static inline X509 *tc_cert(const char *cn, const char *issuer_cn, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *s = tc_name(cn), *i = tc_name(issuer_cn);

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_int_equal(X509_set_subject_name(x, s), 1);
	assert_int_equal(X509_set_issuer_name(x, i), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), 1577836800)); /* 2020-01-01 */
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), 1893456000));  /* 2030-01-01 */
	assert_int_equal(X509_set_pubkey(x, key), 1);
	X509_NAME_free(s);
	X509_NAME_free(i);
	return x;
}

/* Adds extension oid whose extnValue holds the der bytes. */
static inline void tc_ext(X509 *x, const char *oid, const uint8_t *der, size_t size)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	assert_non_null(obj);
	assert_non_null(v);
	assert_int_equal(ASN1_OCTET_STRING_set(v, der, (int)size), 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, v);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(obj);
}

static inline void tc_ext_int(X509 *x, const char *oid, long value)
{
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int size;

	assert_non_null(n);
	assert_int_equal(ASN1_INTEGER_set(n, value), 1);
	size = i2d_ASN1_INTEGER(n, &der);
	assert_true(size > 0);
	tc_ext(x, oid, der, (size_t)size);
	OPENSSL_free(der);
	ASN1_INTEGER_free(n);
}

/* A chain for product ("Milan" or "Turin") whose VCEK is for chip_id at tcb
 * (Milan layout: bl, tee, snp, ucode at 0, 1, 6, 7; Turin: fmc, bl, tee,
 * snp, ucode at 0, 1, 2, 3, 7, and a hwID of the chip id's first 8 bytes). */
static inline void tc_chain_make_product(struct tc_chain *c, const char *name,
                                         const uint8_t chip_id[64], const uint8_t tcb[8])
{
	bool turin = !strcmp(name, "Turin");
	uint8_t product[16] = {0x16, 0x08};
	char ark_cn[32], ask_cn[32];
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *text;
	long len;
	int size;

	memset(c, 0, sizeof(*c));
	c->ark_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	c->ask_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	c->vcek_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_non_null(c->ark_key);
	assert_non_null(c->ask_key);
	assert_non_null(c->vcek_key);
	assert_true(strlen(name) == 5);
	snprintf(ark_cn, sizeof(ark_cn), "ARK-%s", name);
	snprintf(ask_cn, sizeof(ask_cn), "SEV-%s", name);
	memcpy(product + 2, name, 5);
	memcpy(product + 7, "-B0", 3);
	c->ark = tc_cert(ark_cn, ark_cn, c->ark_key);
	tc_sign_pss(c->ark, c->ark_key);
	c->ask = tc_cert(ask_cn, ark_cn, c->ask_key);
	tc_sign_pss(c->ask, c->ark_key);
	c->vcek = tc_cert("SEV-VCEK", ask_cn, c->vcek_key);
	tc_ext(c->vcek, "1.3.6.1.4.1.3704.1.2", product, 10);
	if (turin) {
		tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.9", tcb[0]);
		tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.1", tcb[1]);
		tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.2", tcb[2]);
		tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.3", tcb[3]);
	} else {
		tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.1", tcb[0]);
		tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.2", tcb[1]);
		tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.3", tcb[6]);
	}
	tc_ext_int(c->vcek, "1.3.6.1.4.1.3704.1.3.8", tcb[7]);
	tc_ext(c->vcek, "1.3.6.1.4.1.3704.1.4", chip_id, turin ? 8 : 64);
	tc_sign_pss(c->vcek, c->ask_key);

	size = i2d_X509(c->vcek, &der);
	assert_true(size > 0);
	c->vcek_der = der;
	c->vcek_der_size = (size_t)size;
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, c->ask), 1);
	assert_int_equal(PEM_write_bio_X509(bio, c->ark), 1);
	len = BIO_get_mem_data(bio, &text);
	assert_true(len > 0);
	c->pem = calloc(1, (size_t)len + 1);
	assert_non_null(c->pem);
	memcpy(c->pem, text, (size_t)len);
	BIO_free(bio);
	c->products[0] = (struct snp_product){turin ? "Turin" : "Milan",
	                                      turin ? "SEV-Turin" : "SEV-Milan", c->pem};
	c->products[1] = (struct snp_product){NULL, NULL, NULL};
}

static inline void tc_chain_make(struct tc_chain *c, const uint8_t chip_id[64],
                                 const uint8_t tcb[8])
{
	tc_chain_make_product(c, "Milan", chip_id, tcb);
}

static inline void tc_chain_free(struct tc_chain *c)
{
	EVP_PKEY_free(c->ark_key);
	EVP_PKEY_free(c->ask_key);
	EVP_PKEY_free(c->vcek_key);
	X509_free(c->ark);
	X509_free(c->ask);
	X509_free(c->vcek);
	OPENSSL_free(c->vcek_der);
	free(c->pem);
	memset(c, 0, sizeof(*c));
}

/* Signs report [0, 0x2A0) with key (ECDSA P-384, SHA-384) into r and s
 * (72 bytes little-endian each, at 0x2A0 and 0x2E8). */
static inline void tc_sign_report(uint8_t report[SNP_REPORT_SIZE], EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[128];
	const unsigned char *p = der;
	size_t der_size = sizeof(der);
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &der_size, report, SNP_SIGNED_SIZE), 1);
	EVP_MD_CTX_free(ctx);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_size);
	assert_non_null(sig);
	ECDSA_SIG_get0(sig, &r, &s);
	memset(report + SNP_OFF_SIG_R, 0, 512);
	assert_int_equal(BN_bn2lebinpad(r, report + SNP_OFF_SIG_R, 72), 72);
	assert_int_equal(BN_bn2lebinpad(s, report + SNP_OFF_SIG_S, 72), 72);
	ECDSA_SIG_free(sig);
}

#endif
