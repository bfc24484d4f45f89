/* SPDX-License-Identifier: Apache-2.0 */
/* crypto: key pairs, key files, public key lines, signatures, hashing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "dcr/crypto.h"
#include "testutil.h"

static const uint8_t seed_a[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t seed_b[32] = {32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
                                   16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

static int setup(void **state)
{
	(void)state;
	return dcr_crypto_init() == DCR_OK ? 0 : -1;
}

static void test_keygen_files(void **state)
{
	char *dir = tu_tmpdir();
	struct dcr_msg msg = {{0}};
	struct dcr_seckey *k = NULL, *k2 = NULL;
	struct dcr_pubkey pub, pub2, filepub;
	struct dcr_buf b;
	struct stat st;
	char prefix[4096], path[4200], line[DCR_PUBKEY_LINE_SIZE];

	(void)state;
	snprintf(prefix, sizeof(prefix), "%s/alice", dir);
	assert_int_equal(dcr_seckey_generate(&k), DCR_OK);
	/* a loose umask must not loosen the secret file */
	mode_t old = umask(0);
	assert_int_equal(dcr_seckey_save(k, prefix, &msg), DCR_OK);
	umask(old);

	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dcr_file_read(path, 1000, &b, &msg), DCR_OK);
	assert_int_equal(strncmp((char *)b.data, "dcr-key-1:", 10), 0);
	assert_int_equal(b.size, 100); /* prefix, 44, ':', 44, newline */
	assert_int_equal(b.data[99], '\n');
	dcr_buf_free(&b);

	/* the .pub file is the one line, and matches the secret key */
	dcr_seckey_public(k, &pub);
	dcr_pubkey_format(&pub, line);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	assert_int_equal(dcr_file_read(path, 1000, &b, &msg), DCR_OK);
	assert_int_equal(b.size, strlen(line) + 1);
	assert_memory_equal(b.data, line, strlen(line));
	dcr_buf_free(&b);
	assert_int_equal(dcr_pubkey_load(path, &filepub, &msg), DCR_OK);
	assert_true(dcr_pubkey_equal(&pub, &filepub));

	/* loading the secret key gives the same keys */
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(dcr_seckey_load(path, &k2, &msg), DCR_OK);
	dcr_seckey_public(k2, &pub2);
	assert_true(dcr_pubkey_equal(&pub, &pub2));

	/* and refuses to overwrite either file */
	assert_int_equal(dcr_seckey_save(k2, prefix, &msg), DCR_ERR_EXISTS);
	tu_assert_msg(&msg, "refusing to overwrite");
	dcr_seckey_free(k);
	dcr_seckey_free(k2);
	tu_rmdir(dir);
}

static void test_save_no_half_pair(void **state)
{
	char *dir = tu_tmpdir();
	struct dcr_msg msg = {{0}};
	struct dcr_seckey *k = NULL;
	struct stat st;
	char prefix[4096], path[4200];

	(void)state;
	snprintf(prefix, sizeof(prefix), "%s/bob", dir);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	tu_write(path, "old\n", 4);
	assert_int_equal(dcr_seckey_generate(&k), DCR_OK);
	assert_int_equal(dcr_seckey_save(k, prefix, &msg), DCR_ERR_EXISTS);
	tu_assert_msg(&msg, "bob.pub");
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_not_equal(stat(path, &st), 0); /* no orphan secret key */
	dcr_seckey_free(k);
	tu_rmdir(dir);
}

static void test_load_refuses_open_permissions(void **state)
{
	char *dir = tu_tmpdir();
	struct dcr_msg msg = {{0}};
	struct dcr_seckey *k = NULL, *k2 = (struct dcr_seckey *)1;
	char prefix[4096], path[4200];
	static const mode_t modes[] = {0640, 0604, 0644, 0660, 0602, 0620, 0610};

	(void)state;
	snprintf(prefix, sizeof(prefix), "%s/carol", dir);
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(dcr_seckey_generate(&k), DCR_OK);
	assert_int_equal(dcr_seckey_save(k, prefix, &msg), DCR_OK);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		assert_int_equal(dcr_seckey_load(path, &k2, &msg), DCR_ERR_PERM);
		assert_null(k2);
		tu_assert_msg(&msg, "too open");
		tu_assert_msg(&msg, "chmod 600");
	}
	assert_int_equal(chmod(path, 0400), 0); /* read-only for the owner is fine */
	assert_int_equal(dcr_seckey_load(path, &k2, &msg), DCR_OK);
	dcr_seckey_free(k2);
	dcr_seckey_free(k);
	tu_rmdir(dir);
}

static void test_load_refuses_malformed(void **state)
{
	char *dir = tu_tmpdir();
	struct dcr_msg msg = {{0}};
	struct dcr_seckey *k = NULL;
	char path[4200];
	static const char *const bad[] = {
		"",
		"dcr-pub-1:V0140XxAHvwOy35/Fw4rhoOwvmHzjhih4snIZl7pqMg=:WCgK+RC/Ycx9OpW8SPxg4Dg0agqwslzcsdGv521/L0Y=\n",
		"dcr-key-1:k4LZfIW1EdSA1FQk8872HDQljtANc2kkXxwOfC9N09g=\n",
		"dcr-key-1:k4LZfIW1EdSA1FQk8872HDQljtANc2kkXxwOfC9N09g=:gQCyU5Yy+BVSn7OkaXId5VIWys0VcQqloSdPPFAULrA=x\n",
		"dcr-key-1:k4LZfIW1EdSA1FQk8872HDQljtANc2kkXxwOfC9N09g:=gQCyU5Yy+BVSn7OkaXId5VIWys0VcQqloSdPPFAULrA=\n",
		"dcr-key-2:k4LZfIW1EdSA1FQk8872HDQljtANc2kkXxwOfC9N09g=:gQCyU5Yy+BVSn7OkaXId5VIWys0VcQqloSdPPFAULrA=\n",
		"-----BEGIN PRIVATE KEY-----\n",
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/k.key", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unlink(path);
		assert_int_equal(dcr_file_write_atomic(path, bad[i], strlen(bad[i]), 0600, 0, &msg),
		                 DCR_OK);
		assert_int_equal(dcr_seckey_load(path, &k, &msg), DCR_ERR_INVALID);
		assert_null(k);
		tu_assert_msg(&msg, "not a dcr secret key file");
	}
	/* a well-formed one (CRLF tolerated) loads */
	unlink(path);
	const char *good = "dcr-key-1:k4LZfIW1EdSA1FQk8872HDQljtANc2kkXxwOfC9N09g=:"
	                   "gQCyU5Yy+BVSn7OkaXId5VIWys0VcQqloSdPPFAULrA=\r\n";
	assert_int_equal(dcr_file_write_atomic(path, good, strlen(good), 0600, 0, &msg), DCR_OK);
	assert_int_equal(dcr_seckey_load(path, &k, &msg), DCR_OK);
	dcr_seckey_free(k);
	/* missing file */
	assert_int_equal(dcr_seckey_load(tu_path(dir, "nope.key"), &k, &msg), DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, "nope.key");
	tu_rmdir(dir);
}

static void test_pubkey_roundtrip_and_seeds(void **state)
{
	struct dcr_seckey *a = NULL, *a2 = NULL, *b = NULL;
	struct dcr_pubkey pa, pa2, pb, parsed;
	struct dcr_msg msg = {{0}};
	char line[DCR_PUBKEY_LINE_SIZE];

	(void)state;
	assert_int_equal(dcr_seckey_from_seeds(seed_a, seed_b, &a), DCR_OK);
	assert_int_equal(dcr_seckey_from_seeds(seed_a, seed_b, &a2), DCR_OK);
	assert_int_equal(dcr_seckey_from_seeds(seed_b, seed_a, &b), DCR_OK);
	dcr_seckey_public(a, &pa);
	dcr_seckey_public(a2, &pa2);
	dcr_seckey_public(b, &pb);
	assert_true(dcr_pubkey_equal(&pa, &pa2)); /* deterministic */
	assert_false(dcr_pubkey_equal(&pa, &pb));
	dcr_pubkey_format(&pa, line);
	assert_int_equal(strlen(line), 99);
	assert_int_equal(strncmp(line, "dcr-pub-1:", 10), 0);
	assert_int_equal(dcr_pubkey_parse(line, strlen(line), &parsed, &msg), DCR_OK);
	assert_true(dcr_pubkey_equal(&pa, &parsed));
	/* Ed25519 public key of the RFC 8032 seed 9d61b19d... (test 1) */
	{
		uint8_t seed[32], want[32];
		struct dcr_seckey *r = NULL;
		struct dcr_pubkey pr;

		assert_int_equal(dcr_hex_decode(seed, 32,
			"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 64), DCR_OK);
		assert_int_equal(dcr_hex_decode(want, 32,
			"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", 64), DCR_OK);
		assert_int_equal(dcr_seckey_from_seeds(seed, seed_b, &r), DCR_OK);
		dcr_seckey_public(r, &pr);
		assert_memory_equal(pr.sign, want, 32);
		dcr_seckey_free(r);
	}
	dcr_seckey_free(a);
	dcr_seckey_free(a2);
	dcr_seckey_free(b);
}

static void test_pubkey_parse_rejects(void **state)
{
	struct dcr_seckey *a = NULL;
	struct dcr_pubkey pa, out;
	struct dcr_msg msg = {{0}};
	char line[DCR_PUBKEY_LINE_SIZE], bad[256];
	char zero_b64[DCR_B64_SIZE(32)], one_b64[DCR_B64_SIZE(32)];
	uint8_t zero[32] = {0}, one[32] = {1};

	(void)state;
	assert_int_equal(dcr_seckey_from_seeds(seed_a, seed_b, &a), DCR_OK);
	dcr_seckey_public(a, &pa);
	dcr_pubkey_format(&pa, line);
	dcr_b64_encode(zero_b64, zero, 32);
	dcr_b64_encode(one_b64, one, 32);

	/* wrong prefix / version */
	snprintf(bad, sizeof(bad), "dcr-pub-2:%s", line + 10);
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "not a dcr public key");
	/* truncated, extended, trailing newline, missing separator */
	assert_int_equal(dcr_pubkey_parse(line, strlen(line) - 1, &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "malformed");
	snprintf(bad, sizeof(bad), "%sA", line);
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	snprintf(bad, sizeof(bad), "%s\n", line);
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	snprintf(bad, sizeof(bad), "%s", line);
	bad[54] = 'x';
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	/* invalid or small-order Ed25519 keys */
	snprintf(bad, sizeof(bad), "dcr-pub-1:%s:%s", zero_b64, line + 55);
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "Ed25519");
	snprintf(bad, sizeof(bad), "dcr-pub-1:%s:%s", one_b64, line + 55);
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "Ed25519");
	/* small-order X25519 keys: 0 and 1 */
	memcpy(bad, line, 55);
	snprintf(bad + 55, sizeof(bad) - 55, "%s", zero_b64);
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "X25519");
	snprintf(bad + 55, sizeof(bad) - 55, "%s", one_b64);
	assert_int_equal(dcr_pubkey_parse(bad, strlen(bad), &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "X25519");
	/* outputs are zeroed on failure */
	{
		static const struct dcr_pubkey zeroed;

		assert_memory_equal(&out, &zeroed, sizeof(out));
	}
	dcr_seckey_free(a);
}

static void test_sign_verify(void **state)
{
	struct dcr_seckey *a = NULL, *b = NULL;
	struct dcr_pubkey pa, pb;
	uint8_t sig[DCR_SIGNATURE_SIZE];
	const char *m = "the contract";

	(void)state;
	assert_int_equal(dcr_seckey_from_seeds(seed_a, seed_b, &a), DCR_OK);
	assert_int_equal(dcr_seckey_from_seeds(seed_b, seed_a, &b), DCR_OK);
	dcr_seckey_public(a, &pa);
	dcr_seckey_public(b, &pb);
	dcr_sign(a, m, strlen(m), sig);
	assert_int_equal(dcr_verify(pa.sign, m, strlen(m), sig), DCR_OK);
	assert_int_equal(dcr_verify(pb.sign, m, strlen(m), sig), DCR_ERR_VERIFY);
	assert_int_equal(dcr_verify(pa.sign, "the contracT", strlen(m), sig), DCR_ERR_VERIFY);
	for (int bit = 0; bit < 512; bit += 37) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(dcr_verify(pa.sign, m, strlen(m), sig), DCR_ERR_VERIFY);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	dcr_seckey_free(a);
	dcr_seckey_free(b);
}

static void test_hashes_and_derive(void **state)
{
	uint8_t h[64], h2[32], k1[32], k2[32], k3[32];
	char hex[129];
	struct dcr_sha256_ctx ctx;
	struct dcr_seckey *a = NULL, *b = NULL;

	(void)state;
	dcr_sha256("abc", 3, h);
	dcr_hex_encode(hex, h, 32);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	dcr_sha512("abc", 3, h);
	dcr_hex_encode(hex, h, 64);
	assert_string_equal(hex, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	                         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	dcr_sha256_init(&ctx);
	dcr_sha256_update(&ctx, "a", 1);
	dcr_sha256_update(&ctx, "bc", 2);
	dcr_sha256_final(&ctx, h2);
	dcr_sha256("abc", 3, h);
	assert_memory_equal(h, h2, 32);

	assert_int_equal(dcr_seckey_from_seeds(seed_a, seed_b, &a), DCR_OK);
	assert_int_equal(dcr_seckey_from_seeds(seed_b, seed_a, &b), DCR_OK);
	dcr_seckey_derive(a, "label", (const uint8_t *)"ctx", 3, k1);
	dcr_seckey_derive(a, "label", (const uint8_t *)"ctx", 3, k2);
	assert_memory_equal(k1, k2, 32);
	dcr_seckey_derive(a, "label", (const uint8_t *)"cty", 3, k2);
	assert_memory_not_equal(k1, k2, 32);
	dcr_seckey_derive(a, "labe", (const uint8_t *)"lctx", 4, k2); /* label is delimited */
	assert_memory_not_equal(k1, k2, 32);
	dcr_seckey_derive(b, "label", (const uint8_t *)"ctx", 3, k3);
	assert_memory_not_equal(k1, k3, 32);
	assert_true(dcr_ct_equal(k1, k1, 32));
	assert_false(dcr_ct_equal(k1, k3, 32));
	dcr_random(k2, 32);
	dcr_random(k3, 32);
	assert_memory_not_equal(k2, k3, 32);
	dcr_seckey_free(a);
	dcr_seckey_free(b);
}

static void expect_id(enum dcr_normalize kind, const char *text, const char *hex)
{
	uint8_t got[32], want[32];
	struct dcr_msg msg = {{0}};

	assert_int_equal(dcr_hex_decode(want, 32, hex, 64), DCR_OK);
	if (dcr_id_normalize(kind, text, strlen(text), got, &msg) != DCR_OK)
		fail_msg("'%s' refused: %s", text, msg.text);
	assert_memory_equal(got, want, 32);
}

static void expect_bad_id(enum dcr_normalize kind, const char *text, const char *why)
{
	uint8_t got[32];
	struct dcr_msg msg = {{0}};

	assert_int_equal(dcr_id_normalize(kind, text, strlen(text), got, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, why);
}

static void test_id_normalize(void **state)
{
	static const char *alice = "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976";
	static const char *phone = "536afd523e19dc83fccba822ef5e4ca646111314aaf0aa286667c5bea18dd70b";

	(void)state;
	/* email: trimmed and lowercased, so all of these are one person */
	expect_id(DCR_NORM_EMAIL, "alice@example.com", alice);
	expect_id(DCR_NORM_EMAIL, "  Alice@Example.COM\t", alice);
	expect_bad_id(DCR_NORM_EMAIL, "alice.example.com", "'@'");
	expect_bad_id(DCR_NORM_EMAIL, "a@b@c", "'@'");
	expect_bad_id(DCR_NORM_EMAIL, "@example.com", "'@'");
	expect_bad_id(DCR_NORM_EMAIL, "alice@", "'@'");
	expect_bad_id(DCR_NORM_EMAIL, "al ice@example.com", "space");
	expect_bad_id(DCR_NORM_EMAIL, "", "'@'");
	/* phone: E.164 */
	expect_id(DCR_NORM_PHONE, "+4915112345678", phone);
	expect_id(DCR_NORM_PHONE, "+49 151 1234-5678", phone);
	expect_id(DCR_NORM_PHONE, "+49 (151) 123.456.78", phone);
	expect_bad_id(DCR_NORM_PHONE, "015112345678", "'+'");
	expect_bad_id(DCR_NORM_PHONE, "+49 151", "8 to 15 digits");
	expect_bad_id(DCR_NORM_PHONE, "+1234567890123456", "8 to 15 digits");
	expect_bad_id(DCR_NORM_PHONE, "+49 151 x", "unexpected character");
	/* none: the bytes as they are */
	expect_id(DCR_NORM_NONE, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_bad_id(DCR_NORM_NONE, "", "empty");
	/* 64 hex digits are the hash itself, in any mode, in either case */
	expect_id(DCR_NORM_HASHED, alice, alice);
	expect_id(DCR_NORM_EMAIL, "FF8D9819FC0E12BF0D24892E45987E249A28DCE836A85CAD60E28EAAA8C6D976",
	          alice);
	expect_bad_id(DCR_NORM_HASHED, "alice@example.com", "64 hex digits");
	expect_bad_id(DCR_NORM_HASHED, "ff8d", "64 hex digits");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_files),
		cmocka_unit_test(test_save_no_half_pair),
		cmocka_unit_test(test_load_refuses_open_permissions),
		cmocka_unit_test(test_load_refuses_malformed),
		cmocka_unit_test(test_pubkey_roundtrip_and_seeds),
		cmocka_unit_test(test_pubkey_parse_rejects),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_hashes_and_derive),
		cmocka_unit_test(test_id_normalize),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
