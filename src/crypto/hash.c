/* SPDX-License-Identifier: Apache-2.0 */
/* libsodium start-up, hashing, randomness, signatures. */
#include <assert.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto_int.h"

/* What a dcr_sha256_ctx holds. */
struct sha256_impl {
	EVP_MD_CTX *md;                 /* OpenSSL's, when kind is SHA_EVP */
	uint32_t kind;
	crypto_hash_sha256_state st;    /* libsodium's, when kind is SHA_SODIUM */
};

#define SHA_EVP 0x45565031u
#define SHA_SODIUM 0x534f4431u

_Static_assert(sizeof(struct sha256_impl) <= sizeof(((struct dcr_sha256_ctx *)0)->opaque),
               "dcr_sha256_ctx too small");
_Static_assert(_Alignof(struct sha256_impl) <= 16, "dcr_sha256_ctx alignment");

enum dcr_err dcr_crypto_init(void)
{
	return sodium_init() < 0 ? DCR_ERR_INTERNAL : DCR_OK;
}

void dcr_sha256(const void *data, size_t size, uint8_t out[static DCR_SHA256_SIZE])
{
	/* small inputs (ids, one per row) are quicker without a context */
	if (size < 4096 || EVP_Digest(data, size, out, NULL, EVP_sha256(), NULL) != 1)
		crypto_hash_sha256(out, data, size);
}

void dcr_sha512(const void *data, size_t size, uint8_t out[static DCR_SHA512_SIZE])
{
	crypto_hash_sha512(out, data, size);
}

void dcr_sha256_init(struct dcr_sha256_ctx *ctx)
{
	struct sha256_impl *h = (struct sha256_impl *)ctx->opaque;

	memset(ctx, 0, sizeof(*ctx));
	h->md = EVP_MD_CTX_new();
	if (h->md && EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) == 1) {
		h->kind = SHA_EVP;
		return;
	}
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
	h->kind = SHA_SODIUM;
	crypto_hash_sha256_init(&h->st);
}

void dcr_sha256_update(struct dcr_sha256_ctx *ctx, const void *data, size_t size)
{
	struct sha256_impl *h = (struct sha256_impl *)ctx->opaque;

	assert(h->kind == SHA_EVP || h->kind == SHA_SODIUM);
	if (h->kind == SHA_EVP) {
		/* cannot fail for SHA-256 once initialised */
		(void)EVP_DigestUpdate(h->md, data, size);
		return;
	}
	crypto_hash_sha256_update(&h->st, data, size);
}

void dcr_sha256_final(struct dcr_sha256_ctx *ctx, uint8_t out[static DCR_SHA256_SIZE])
{
	struct sha256_impl *h = (struct sha256_impl *)ctx->opaque;

	assert(h->kind == SHA_EVP || h->kind == SHA_SODIUM);
	if (h->kind == SHA_EVP) {
		unsigned int n = DCR_SHA256_SIZE;

		(void)EVP_DigestFinal_ex(h->md, out, &n);
	} else {
		crypto_hash_sha256_final(&h->st, out);
	}
	dcr_sha256_discard(ctx);
}

void dcr_sha256_discard(struct dcr_sha256_ctx *ctx)
{
	struct sha256_impl *h = (struct sha256_impl *)ctx->opaque;

	if (h->kind == SHA_EVP)
		EVP_MD_CTX_free(h->md);
	sodium_memzero(ctx, sizeof(*ctx));
}

void dcr_random(void *buf, size_t size)
{
	randombytes_buf(buf, size);
}

enum dcr_err dcr_kdf(const uint8_t *key, size_t key_size, const char *label,
                     const uint8_t *context, size_t context_size, uint8_t out[static 32])
{
	crypto_generichash_state st;
	uint8_t zero = 0;

	memset(out, 0, 32);
	if (!key || key_size < crypto_generichash_KEYBYTES_MIN ||
	    key_size > crypto_generichash_KEYBYTES_MAX || !label)
		return DCR_ERR_INVALID;
	crypto_generichash_init(&st, key, key_size, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, &zero, 1); /* label ends here */
	if (context_size)
		crypto_generichash_update(&st, context, context_size);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
	return DCR_OK;
}

bool dcr_ct_equal(const void *a, const void *b, size_t size)
{
	return sodium_memcmp(a, b, size) == 0;
}

void dcr_sign(const struct dcr_seckey *key, const void *data, size_t size,
              uint8_t out[static DCR_SIGNATURE_SIZE])
{
	crypto_sign_detached(out, NULL, data, size, key->sign_sk);
}

bool dcr_sign_pk_valid(const uint8_t pk[static DCR_SIGN_PK_SIZE])
{
	return crypto_core_ed25519_is_valid_point(pk) == 1;
}

enum dcr_err dcr_verify(const uint8_t sign_pk[static DCR_SIGN_PK_SIZE], const void *data,
                        size_t size, const uint8_t sig[static DCR_SIGNATURE_SIZE])
{
	return crypto_sign_verify_detached(sig, data, size, sign_pk) == 0 ? DCR_OK
	                                                                   : DCR_ERR_VERIFY;
}

/* ---- test hook: deterministic randomness -------------------------------- */

static uint8_t test_seed[32];
static uint64_t test_counter;

static void test_buf(void *buf, size_t size)
{
	uint8_t block_seed[randombytes_SEEDBYTES];
	uint8_t ctr[8];

	/* each call gets its own stream: BLAKE2b(seed, counter) */
	for (int i = 0; i < 8; i++)
		ctr[i] = (uint8_t)(test_counter >> (8 * i));
	test_counter++;
	crypto_generichash(block_seed, sizeof(block_seed), ctr, sizeof(ctr), test_seed,
	                   sizeof(test_seed));
	randombytes_buf_deterministic(buf, size, block_seed);
}

static uint32_t test_random(void)
{
	uint32_t v;

	test_buf(&v, sizeof(v));
	return v;
}

static const char *test_name(void)
{
	return "dcr-test-deterministic";
}

static randombytes_implementation test_impl = {
	.implementation_name = test_name,
	.random = test_random,
	.stir = NULL,
	.uniform = NULL, /* libsodium falls back to random() */
	.buf = test_buf,
	.close = NULL,
};

void dcr_crypto_test_seed(const uint8_t seed[static 32])
{
	memcpy(test_seed, seed, sizeof(test_seed));
	test_counter = 0;
	randombytes_set_implementation(&test_impl);
}
