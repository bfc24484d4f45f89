/* SPDX-License-Identifier: Apache-2.0 */
/* Party key pairs: generation, the PREFIX.key / PREFIX.pub files, public key
 * lines ("dcr-pub-1:<b64 ed25519>:<b64 x25519>"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto_int.h"

#define PUB_PREFIX "dcr-pub-1:"
#define KEY_PREFIX "dcr-key-1:"
#define B64_32 44 /* base64 characters for 32 bytes */
#define KEY_LINE_SIZE (sizeof(KEY_PREFIX) - 1 + B64_32 + 1 + B64_32 + 1)
#define KEY_FILE_MAX 256

static struct dcr_seckey *seckey_alloc(void)
{
	struct dcr_seckey *k = sodium_malloc(sizeof(*k));

	if (k)
		sodium_memzero(k, sizeof(*k));
	return k;
}

void dcr_seckey_free(struct dcr_seckey *key)
{
	if (key)
		sodium_free(key);
}

/* Fills sign_sk/box_sk from the two 32-byte secrets and derives pub. */
static void seckey_fill(struct dcr_seckey *k, const uint8_t sign_seed[32],
                        const uint8_t box_sk[32])
{
	crypto_sign_seed_keypair(k->pub.sign, k->sign_sk, sign_seed);
	memcpy(k->box_sk, box_sk, sizeof(k->box_sk));
	crypto_scalarmult_base(k->pub.box, k->box_sk);
}

enum dcr_err dcr_seckey_generate(struct dcr_seckey **out)
{
	struct dcr_seckey *k = seckey_alloc();
	uint8_t *secrets;

	*out = NULL;
	if (!k)
		return DCR_ERR_NOMEM;
	secrets = sodium_malloc(64);
	if (!secrets) {
		dcr_seckey_free(k);
		return DCR_ERR_NOMEM;
	}
	randombytes_buf(secrets, 64);
	seckey_fill(k, secrets, secrets + 32);
	sodium_free(secrets);
	*out = k;
	return DCR_OK;
}

enum dcr_err dcr_seckey_from_seeds(const uint8_t sign_seed[static 32],
                                   const uint8_t box_seed[static 32], struct dcr_seckey **out)
{
	struct dcr_seckey *k = seckey_alloc();
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];

	*out = NULL;
	if (!k)
		return DCR_ERR_NOMEM;
	crypto_sign_seed_keypair(k->pub.sign, k->sign_sk, sign_seed);
	crypto_box_seed_keypair(box_pk, k->box_sk, box_seed);
	memcpy(k->pub.box, box_pk, sizeof(box_pk));
	*out = k;
	return DCR_OK;
}

void dcr_seckey_public(const struct dcr_seckey *key, struct dcr_pubkey *out)
{
	*out = key->pub;
}

void dcr_seckey_derive(const struct dcr_seckey *key, const char *label,
                       const uint8_t *context, size_t context_size, uint8_t out[static 32])
{
	/* keyed with the Ed25519 seed (first half of sign_sk): 32 bytes and a
	 * label, which dcr_kdf always takes */
	if (dcr_kdf(key->sign_sk, 32, label, context, context_size, out) != DCR_OK)
		abort();
}

/* ---- public key lines ------------------------------------------------- */

void dcr_pubkey_format(const struct dcr_pubkey *pk, char out[static DCR_PUBKEY_LINE_SIZE])
{
	size_t n = sizeof(PUB_PREFIX) - 1;

	memcpy(out, PUB_PREFIX, n);
	dcr_b64_encode(out + n, pk->sign, sizeof(pk->sign));
	n += B64_32;
	out[n++] = ':';
	dcr_b64_encode(out + n, pk->box, sizeof(pk->box));
}

bool dcr_pubkey_equal(const struct dcr_pubkey *a, const struct dcr_pubkey *b)
{
	return sodium_memcmp(a->sign, b->sign, sizeof(a->sign)) == 0 &&
	       sodium_memcmp(a->box, b->box, sizeof(a->box)) == 0;
}

/* Decodes "<b64 32 bytes>:<b64 32 bytes>" (exactly 89 characters). */
static enum dcr_err decode_pair(const char *p, size_t len, uint8_t a[32], uint8_t b[32])
{
	size_t n;

	if (len != 2 * B64_32 + 1 || p[B64_32] != ':')
		return DCR_ERR_INVALID;
	if (dcr_b64_decode(a, 32, p, B64_32, &n) || n != 32)
		return DCR_ERR_INVALID;
	if (dcr_b64_decode(b, 32, p + B64_32 + 1, B64_32, &n) || n != 32)
		return DCR_ERR_INVALID;
	return DCR_OK;
}

/* True when an X25519 public key is in the small subgroup (including 0):
 * a clamped scalar, being a multiple of 8, then gives the all-zero point. */
static bool x25519_small_order(const uint8_t pk[32])
{
	uint8_t scalar[32], q[32];
	int rc;

	memset(scalar, 0x55, sizeof(scalar));
	rc = crypto_scalarmult(q, scalar, pk);
	return rc != 0;
}

enum dcr_err dcr_pubkey_parse(const char *text, size_t len, struct dcr_pubkey *out,
                              struct dcr_msg *msg)
{
	const size_t plen = sizeof(PUB_PREFIX) - 1;

	memset(out, 0, sizeof(*out));
	if (len < plen || memcmp(text, PUB_PREFIX, plen) != 0)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "not a dcr public key (expected \"%s<base64>:<base64>\")", PUB_PREFIX);
	if (decode_pair(text + plen, len - plen, out->sign, out->box) != DCR_OK) {
		memset(out, 0, sizeof(*out));
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "malformed dcr public key: each key must be 32 bytes in padded "
		                "base64 (44 characters), separated by ':'");
	}
	if (!dcr_sign_pk_valid(out->sign)) {
		memset(out, 0, sizeof(*out));
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "the Ed25519 signing key is not a valid public key");
	}
	if (x25519_small_order(out->box)) {
		memset(out, 0, sizeof(*out));
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "the X25519 encryption key is not a valid public key");
	}
	return DCR_OK;
}

enum dcr_err dcr_pubkey_load(const char *path, struct dcr_pubkey *out, struct dcr_msg *msg)
{
	struct dcr_buf b;
	enum dcr_err err;
	size_t len;

	memset(out, 0, sizeof(*out));
	err = dcr_file_read(path, 4096, &b, msg);
	if (err)
		return err;
	len = b.size;
	if (len && b.data[len - 1] == '\n')
		len--;
	if (len && b.data[len - 1] == '\r')
		len--;
	err = dcr_pubkey_parse((const char *)b.data, len, out, msg);
	if (err)
		dcr_msg_prefix(msg, "%s: ", path);
	dcr_buf_free(&b);
	return err;
}

/* ---- secret key files -------------------------------------------------- */

enum dcr_err dcr_seckey_save(const struct dcr_seckey *key, const char *prefix,
                             struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	size_t plen = strlen(prefix);
	char *key_path = malloc(plen + 5), *pub_path = malloc(plen + 5);
	char *line = sodium_malloc(KEY_LINE_SIZE + 1);
	char pub[DCR_PUBKEY_LINE_SIZE + 1];
	struct stat st;
	size_t n;

	if (!key_path || !pub_path || !line) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(key_path, plen + 5, "%s.key", prefix);
	snprintf(pub_path, plen + 5, "%s.pub", prefix);
	/* Refuse before writing anything, so a failure leaves no half pair. */
	if (lstat(key_path, &st) == 0 || lstat(pub_path, &st) == 0) {
		err = dcr_fail(msg, DCR_ERR_EXISTS, "%s: already exists; refusing to overwrite a key",
		               lstat(key_path, &st) == 0 ? key_path : pub_path);
		goto out;
	}

	n = sizeof(KEY_PREFIX) - 1;
	memcpy(line, KEY_PREFIX, n);
	dcr_b64_encode(line + n, key->sign_sk, 32); /* the seed */
	n += B64_32;
	line[n++] = ':';
	dcr_b64_encode(line + n, key->box_sk, 32);
	n += B64_32;
	line[n++] = '\n';
	line[n] = '\0';
	err = dcr_file_write_atomic(key_path, line, n, 0600, 0, msg);
	if (err)
		goto out;

	dcr_pubkey_format(&key->pub, pub);
	n = strlen(pub);
	pub[n++] = '\n';
	err = dcr_file_write_atomic(pub_path, pub, n, 0644, 0, msg);
	if (err)
		unlink(key_path);
out:
	if (line)
		sodium_free(line);
	free(key_path);
	free(pub_path);
	return err;
}

enum dcr_err dcr_seckey_load(const char *path, struct dcr_seckey **out, struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	struct dcr_seckey *k = NULL;
	uint8_t *secrets = NULL;
	char *text = NULL;
	struct stat st;
	size_t len = 0, plen = sizeof(KEY_PREFIX) - 1;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO, "%s: %s",
		                path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		err = dcr_fail(msg, DCR_ERR_PERM,
		               "%s: permissions %04o are too open: a secret key must be readable "
		               "by its owner only (fix with: chmod 600 %s)",
		               path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	text = sodium_malloc(KEY_FILE_MAX + 1);
	secrets = sodium_malloc(64);
	k = seckey_alloc();
	if (!text || !secrets || !k) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (len < KEY_FILE_MAX + 1) {
		ssize_t n = read(fd, text + len, KEY_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len && text[len - 1] == '\n')
		len--;
	if (len && text[len - 1] == '\r')
		len--;
	if (len < plen || memcmp(text, KEY_PREFIX, plen) != 0 ||
	    decode_pair(text + plen, len - plen, secrets, secrets + 32) != DCR_OK) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "%s: not a dcr secret key file (expected one line \"%s...\", as "
		               "written by dcr keygen)",
		               path, KEY_PREFIX);
		goto out;
	}
	seckey_fill(k, secrets, secrets + 32);
	*out = k;
	k = NULL;
out:
	close(fd);
	if (text)
		sodium_free(text);
	if (secrets)
		sodium_free(secrets);
	dcr_seckey_free(k);
	return err;
}
