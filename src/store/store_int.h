/* SPDX-License-Identifier: Apache-2.0 */
/* store module internals: the byte layouts of docs/STORAGE.md, a byte source
 * that is a file or memory (so the fuzz harness needs no files), and the
 * encoders and parsers behind the public functions. */
#ifndef DCR_STORE_INT_H
#define DCR_STORE_INT_H

#include "dcr/store.h"

/* ---- sealed files ------------------------------------------------------- */

#define SEAL_MAGIC "DCRSEAL"
#define SEAL_MAGIC_SIZE 7
#define SEAL_VERSION 1
#define SEAL_SALT_SIZE 16      /* random per file: the first 16 nonce bytes */
#define SEAL_HEADER_SIZE 24    /* magic, version, salt */
#define SEAL_CHUNK_SIZE 65536  /* plaintext bytes per chunk */
#define SEAL_CHUNK_OVERHEAD (1 + DCR_AEAD_TAG_SIZE) /* flag byte, tag */
#define SEAL_CHUNK_MAX (SEAL_CHUNK_SIZE + SEAL_CHUNK_OVERHEAD)
#define SEAL_FLAG_MORE 0x00
#define SEAL_FLAG_FINAL 0x01

/* ---- the audit log ------------------------------------------------------- */

#define AUDIT_MAGIC "DCRALOG"
#define AUDIT_MAGIC_SIZE 7
#define AUDIT_VERSION 1
#define AUDIT_ID_SIZE 16       /* random per log */
#define AUDIT_BIND_SIZE 24     /* magic, version, id: bound into every record */
#define AUDIT_HEADER_SIZE 64   /* ... then nonce (24) and tag (16) of the header */
#define AUDIT_REC_HEAD 32      /* length, its complement, nonce */
#define AUDIT_REC_OVERHEAD (AUDIT_REC_HEAD + DCR_AEAD_TAG_SIZE + 1) /* + tag, end mark */
#define AUDIT_END_MARK 0x0a
#define AUDIT_PLAIN_MIN (DCR_SIGNATURE_SIZE + 2)                   /* signature, "{}" */
#define AUDIT_PLAIN_MAX (DCR_SIGNATURE_SIZE + DCR_AUDIT_TEXT_MAX)

/* ---- bytes from a file or from memory ----------------------------------- */

struct store_src {
	int fd;             /* read with pread when >= 0 */
	const uint8_t *mem; /* else these bytes */
	uint64_t size;      /* of mem; of the file when it was opened (audit log only) */
	const char *name;   /* the path, for messages */
};

/* Reads up to n bytes at off into buf, stopping early only at the end;
 * *out_got gets the count. DCR_ERR_IO with msg naming src. */
enum dcr_err store_read_at(const struct store_src *src, uint64_t off, void *buf, size_t n,
                           size_t *out_got, struct dcr_msg *msg) DCR_WUR;
/* write() until all of data is out; on failure errno says why. */
int store_write_all(int fd, const void *data, size_t size);
/* pwrite() the same way at off. */
int store_pwrite_all(int fd, const void *data, size_t size, uint64_t off);
/* fsync of the directory holding path, so a rename or a new name in it is
 * durable. DCR_ERR_IO with msg. */
enum dcr_err store_fsync_dir(const char *path, struct dcr_msg *msg) DCR_WUR;

/* ---- sealed file encoder and decoder -------------------------------------- */

/* The chunking of a sealed file, going to a sink: the writer sends it to its
 * temporary file, the fuzz harness to memory. */
struct seal_enc;

/* Makes the header (fresh salt) and sends it to sink. */
enum dcr_err seal_enc_new(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *label,
                          dcr_sink_fn sink, void *sink_ctx, struct seal_enc **out) DCR_WUR;
enum dcr_err seal_enc_write(struct seal_enc *e, const void *data, size_t size) DCR_WUR;
/* Sends the final chunk. */
enum dcr_err seal_enc_finish(struct seal_enc *e) DCR_WUR;
void seal_enc_free(struct seal_enc *e);

/* Unseals src to sink: the reading half of dcr_seal_read. */
enum dcr_err seal_read_src(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                           const struct store_src *src, const char *label, dcr_sink_fn sink,
                           void *sink_ctx, struct dcr_msg *msg) DCR_WUR;

/* ---- audit encoder and parser --------------------------------------------- */

/* Entries in memory, as parallel arrays for dcr_audit_verify_chain. texts[i]
 * is one allocation holding the text, a NUL, then sigs[i] (base64, NUL). */
struct audit_entries {
	char **texts;
	size_t *lens;
	char **sigs;
	size_t count;
	size_t cap;
};

/* Room for n more entries. */
enum dcr_err audit_entries_reserve(struct audit_entries *e, size_t n) DCR_WUR;
/* Adds a copy of an entry (room must have been reserved). */
enum dcr_err audit_entries_add(struct audit_entries *e, const char *text, size_t len,
                               const char *sig_b64) DCR_WUR;
/* Wipes and frees every entry. */
void audit_entries_free(struct audit_entries *e);

/* A new log's header: fresh id and nonce, and the tag over both. */
void audit_header_make(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                       uint8_t out[static AUDIT_HEADER_SIZE]);
/* The entry text for seq: {"seq":N,"time":"...",<fields' members>,"prev":"..."};
 * fields is checked as dcr_audit_append documents. out is appended to. */
enum dcr_err audit_text_make(uint64_t seq, int64_t time, const char *fields,
                             const uint8_t prev[static DCR_SHA256_SIZE], struct dcr_buf *out,
                             struct dcr_msg *msg) DCR_WUR;
/* One sealed record for entry seq, appended to out. */
enum dcr_err audit_record_make(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                               const uint8_t bind[static AUDIT_BIND_SIZE], uint64_t seq,
                               const char *text, size_t len,
                               const uint8_t sig[static DCR_SIGNATURE_SIZE],
                               struct dcr_buf *out) DCR_WUR;
/* Parses and verifies a whole log: the header, every record, the chain and
 * the signatures by room. Entries go to out (initialised by the caller,
 * freed by the caller also on error); *out_good_end gets the offset after
 * the last good record: less than src->size when a torn last record
 * follows. *out_bind gets the header's binding bytes. */
enum dcr_err audit_load(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                        const struct dcr_pubkey *room, const struct store_src *src,
                        struct audit_entries *out, uint64_t *out_good_end,
                        uint8_t out_bind[static AUDIT_BIND_SIZE], struct dcr_msg *msg) DCR_WUR;

#endif
