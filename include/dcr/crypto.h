/* SPDX-License-Identifier: Apache-2.0 */
/* crypto: party keys, signatures, hashing and the envelope format. The only
 * module that talks to libsodium; nothing else includes <sodium.h>. */
#ifndef DCR_CRYPTO_H
#define DCR_CRYPTO_H

#include "dcr/util.h"

#define DCR_SIGN_PK_SIZE 32   /* Ed25519 public key */
#define DCR_SIGNATURE_SIZE 64 /* Ed25519 signature */
#define DCR_BOX_PK_SIZE 32    /* X25519 public key */
#define DCR_SHA256_SIZE 32
#define DCR_SHA512_SIZE 64

/* Initialises libsodium; call once before anything else here (idempotent,
 * thread-safe). DCR_ERR_INTERNAL when the library cannot start. */
enum dcr_err dcr_crypto_init(void) DCR_WUR;

/* ---- hashing and randomness ------------------------------------------- */

void dcr_sha256(const void *data, size_t size, uint8_t out[static DCR_SHA256_SIZE]);
void dcr_sha512(const void *data, size_t size, uint8_t out[static DCR_SHA512_SIZE]);

/* Incremental SHA-256 (for content hashes of streamed uploads). OpenSSL's,
 * which uses the CPU's SHA extensions (about 5x libsodium's portable code
 * here); libsodium's if OpenSSL cannot allocate its context. init may take
 * memory that final releases: a stream abandoned before final must be
 * given to dcr_sha256_discard. */
struct dcr_sha256_ctx {
	_Alignas(16) uint8_t opaque[128];
};
void dcr_sha256_init(struct dcr_sha256_ctx *ctx);
void dcr_sha256_update(struct dcr_sha256_ctx *ctx, const void *data, size_t size);
void dcr_sha256_final(struct dcr_sha256_ctx *ctx, uint8_t out[static DCR_SHA256_SIZE]);
/* Releases an unfinished ctx; harmless after final and on a zeroed ctx. */
void dcr_sha256_discard(struct dcr_sha256_ctx *ctx);

/* Fills buf with unpredictable bytes. */
void dcr_random(void *buf, size_t size);

/* A 32-byte key derived from a secret key (16 to 64 bytes, e.g. a TEE's
 * hardware sealing key) and a label: BLAKE2b-256 keyed by key over the label,
 * one zero byte, then context (may be NULL when context_size is 0). The same
 * construction as dcr_seckey_derive. DCR_ERR_INVALID for a key size outside
 * 16..64. */
enum dcr_err dcr_kdf(const uint8_t *key, size_t key_size, const char *label,
                     const uint8_t *context, size_t context_size,
                     uint8_t out[static 32]) DCR_WUR;

/* Constant-time equality of two size-byte regions. */
bool dcr_ct_equal(const void *a, const void *b, size_t size);

/* ---- party keys ------------------------------------------------------- */

/* A party's (or the clean room's) public keys: what `PREFIX.pub` and the
 * contract's "public_key" field hold, as "dcr-pub-1:<b64 ed25519>:<b64 x25519>". */
struct dcr_pubkey {
	uint8_t sign[DCR_SIGN_PK_SIZE]; /* Ed25519: verifies this party's signatures */
	uint8_t box[DCR_BOX_PK_SIZE];   /* X25519: envelopes are sealed to it */
};

/* "dcr-pub-1:" + 44 + ":" + 44, plus NUL. */
#define DCR_PUBKEY_LINE_SIZE 100

/* Parses a public key line of len bytes (no trailing newline). Rejects any
 * other prefix, non-canonical base64, wrong lengths and keys that are not
 * valid points (small order, all zero). DCR_ERR_INVALID with msg. */
enum dcr_err dcr_pubkey_parse(const char *text, size_t len, struct dcr_pubkey *out,
                              struct dcr_msg *msg) DCR_WUR;
/* Writes the line (without newline) to out. */
void dcr_pubkey_format(const struct dcr_pubkey *pk, char out[static DCR_PUBKEY_LINE_SIZE]);
/* Reads a PREFIX.pub file: one line, optional trailing newline. */
enum dcr_err dcr_pubkey_load(const char *path, struct dcr_pubkey *out,
                             struct dcr_msg *msg) DCR_WUR;
bool dcr_pubkey_equal(const struct dcr_pubkey *a, const struct dcr_pubkey *b);

/* A secret key pair: Ed25519 for signing, X25519 for opening envelopes.
 * Lives in guarded sodium_malloc memory, wiped when freed. Opaque. */
struct dcr_seckey;

/* Makes a fresh random key pair. */
enum dcr_err dcr_seckey_generate(struct dcr_seckey **out) DCR_WUR;
/* Makes the key pair that the two 32-byte seeds determine (tests, KATs). */
enum dcr_err dcr_seckey_from_seeds(const uint8_t sign_seed[static 32],
                                   const uint8_t box_seed[static 32],
                                   struct dcr_seckey **out) DCR_WUR;
/* Writes PREFIX.key (mode 0600 from its creation, "dcr-key-1:<b64 ed25519
 * seed>:<b64 x25519 secret>\n") and PREFIX.pub (the public line and "\n").
 * Refuses (DCR_ERR_EXISTS) to overwrite either; writes neither on failure. */
enum dcr_err dcr_seckey_save(const struct dcr_seckey *key, const char *prefix,
                             struct dcr_msg *msg) DCR_WUR;
/* Reads a secret key file. DCR_ERR_PERM when it is readable or writable by
 * group or others (with the chmod that fixes it in msg), DCR_ERR_INVALID
 * when it is not a dcr key file. */
enum dcr_err dcr_seckey_load(const char *path, struct dcr_seckey **out,
                             struct dcr_msg *msg) DCR_WUR;
/* The public half. */
void dcr_seckey_public(const struct dcr_seckey *key, struct dcr_pubkey *out);
/* A 32-byte key derived from the secret signing seed and a label (BLAKE2b
 * keyed by the seed over the label); for sealing keys. */
void dcr_seckey_derive(const struct dcr_seckey *key, const char *label,
                       const uint8_t *context, size_t context_size, uint8_t out[static 32]);
void dcr_seckey_free(struct dcr_seckey *key);

/* Bytes of an exported key pair: the Ed25519 seed, then the X25519 secret. */
#define DCR_SECKEY_EXPORT_SIZE 64
/* Appends the key pair's DCR_SECKEY_EXPORT_SIZE secret bytes to out and
 * marks out secret (wiped when reset or freed). Only for keys that are then
 * sealed (the clean room's own); a party's key lives in a key file
 * (dcr_seckey_save). out is empty on error. */
enum dcr_err dcr_seckey_export(const struct dcr_seckey *key, struct dcr_buf *out) DCR_WUR;
/* The key pair from size bytes that dcr_seckey_export wrote. DCR_ERR_INVALID
 * when size is not DCR_SECKEY_EXPORT_SIZE. */
enum dcr_err dcr_seckey_import(const void *data, size_t size, struct dcr_seckey **out) DCR_WUR;

/* ---- signatures ------------------------------------------------------- */

/* Ed25519 signature of data by key. */
void dcr_sign(const struct dcr_seckey *key, const void *data, size_t size,
              uint8_t out[static DCR_SIGNATURE_SIZE]);
/* True when pk is a valid Ed25519 public key: on the curve, canonical, not
 * of small order. */
bool dcr_sign_pk_valid(const uint8_t pk[static DCR_SIGN_PK_SIZE]);
/* DCR_OK when sig is a valid signature of data by sign_pk, else DCR_ERR_VERIFY. */
enum dcr_err dcr_verify(const uint8_t sign_pk[static DCR_SIGN_PK_SIZE], const void *data,
                        size_t size, const uint8_t sig[static DCR_SIGNATURE_SIZE]) DCR_WUR;

/* How an id column's values are normalised before the client hashes them. */
enum dcr_normalize {
	DCR_NORM_NONE,   /* hashed as given */
	DCR_NORM_EMAIL,  /* trimmed, lowercased */
	DCR_NORM_PHONE,  /* E.164: '+' and digits */
	DCR_NORM_HASHED, /* arrives already as 64 hex digits (SHA-256) */
};

#define DCR_ID_SIZE_BYTES 32 /* = DCR_ID_SIZE of the engine */

/* The 32-byte id of a person: SHA-256 over the normalised text (email:
 * ASCII whitespace trimmed, lowercased, one '@' with text on both sides;
 * phone: E.164, '+' then 8 to 15 digits, after dropping spaces, dashes,
 * dots and parentheses; none: the bytes as they are). With DCR_NORM_HASHED,
 * or any kind, a value of exactly 64 hex digits is taken as the hash itself.
 * DCR_ERR_INVALID with msg saying why a value cannot be an id. */
enum dcr_err dcr_id_normalize(enum dcr_normalize kind, const char *text, size_t len,
                              uint8_t out[static DCR_ID_SIZE_BYTES], struct dcr_msg *msg) DCR_WUR;

/* ---- envelopes (byte format: docs/ENVELOPE.md) ------------------------- */

#define DCR_ENVELOPE_CHUNK_SIZE 65536 /* plaintext bytes per chunk */
#define DCR_ENVELOPE_HEADER_SIZE 112  /* magic..secretstream header */
#define DCR_ENVELOPE_CHUNK_OVERHEAD 17 /* authentication tag per chunk */

/* Where a writer puts ciphertext and a reader puts plaintext. A non-zero
 * return stops the stream and is returned to the caller. */
typedef enum dcr_err (*dcr_sink_fn)(void *ctx, const uint8_t *data, size_t size);

/* Streaming sealer: memory is constant (one chunk) whatever the size. */
struct dcr_envelope_writer;

/* Starts an envelope to recipient's X25519 key; the header goes to sink at
 * once. */
enum dcr_err dcr_envelope_writer_new(const struct dcr_pubkey *recipient, dcr_sink_fn sink,
                                     void *sink_ctx, struct dcr_envelope_writer **out) DCR_WUR;
enum dcr_err dcr_envelope_writer_write(struct dcr_envelope_writer *w, const void *data,
                                       size_t size) DCR_WUR;
/* Emits the final (tagged) chunk. Nothing may be written afterwards. */
enum dcr_err dcr_envelope_writer_finish(struct dcr_envelope_writer *w) DCR_WUR;
void dcr_envelope_writer_free(struct dcr_envelope_writer *w);

/* Streaming opener. Each chunk is authenticated before its plaintext goes to
 * the sink, but only a successful finish proves the message is complete:
 * a consumer must treat what it received as provisional until then. */
struct dcr_envelope_reader;

enum dcr_err dcr_envelope_reader_new(const struct dcr_seckey *key, dcr_sink_fn sink,
                                     void *sink_ctx, struct dcr_envelope_reader **out) DCR_WUR;
/* Feeds size bytes of envelope, in pieces of any size. Errors: DCR_ERR_INVALID
 * (not an envelope), DCR_ERR_UNSUPPORTED (unknown version), DCR_ERR_VERIFY
 * (wrong key, tampered/reordered chunk, data after the final chunk); the
 * reader is unusable after an error. */
enum dcr_err dcr_envelope_reader_write(struct dcr_envelope_reader *r, const void *data,
                                       size_t size, struct dcr_msg *msg) DCR_WUR;
/* Ends the input. DCR_ERR_TRUNCATED unless the final chunk arrived. */
enum dcr_err dcr_envelope_reader_finish(struct dcr_envelope_reader *r,
                                        struct dcr_msg *msg) DCR_WUR;
void dcr_envelope_reader_free(struct dcr_envelope_reader *r);

/* One-shot helpers. out is initialised here (capped at max bytes) and owned
 * by the caller, who frees it with dcr_buf_free; on error it is empty. */
enum dcr_err dcr_envelope_seal(const struct dcr_pubkey *recipient, const void *data,
                               size_t size, size_t max, struct dcr_buf *out) DCR_WUR;
enum dcr_err dcr_envelope_open(const struct dcr_seckey *key, const void *data, size_t size,
                               size_t max, struct dcr_buf *out, struct dcr_msg *msg) DCR_WUR;

/* ---- symmetric AEAD (sealed storage, docs/STORAGE.md) ------------------- */

/* XChaCha20-Poly1305 (IETF): a 32-byte key, a 24-byte nonce, a 16-byte tag. */
#define DCR_AEAD_KEY_SIZE 32
#define DCR_AEAD_NONCE_SIZE 24
#define DCR_AEAD_TAG_SIZE 16

/* Encrypts size bytes of plain into out, which receives size +
 * DCR_AEAD_TAG_SIZE bytes (ciphertext, then tag), authenticating ad_size
 * bytes of ad as well. A nonce must never repeat under one key: draw it with
 * dcr_random (192 bits make collisions negligible) or build it from a random
 * prefix and a counter. out and plain must not overlap. */
void dcr_aead_seal(uint8_t *out, const void *plain, size_t size, const void *ad, size_t ad_size,
                   const uint8_t nonce[static DCR_AEAD_NONCE_SIZE],
                   const uint8_t key[static DCR_AEAD_KEY_SIZE]);
/* Decrypts size bytes (ciphertext and tag) into out (size - DCR_AEAD_TAG_SIZE
 * bytes). DCR_ERR_VERIFY when size is under DCR_AEAD_TAG_SIZE or anything (key,
 * nonce, ad, ciphertext, tag) differs from the sealing; out then holds zeros.
 * out and cipher must not overlap. */
enum dcr_err dcr_aead_open(uint8_t *out, const void *cipher, size_t size, const void *ad,
                           size_t ad_size, const uint8_t nonce[static DCR_AEAD_NONCE_SIZE],
                           const uint8_t key[static DCR_AEAD_KEY_SIZE]) DCR_WUR;

#endif
