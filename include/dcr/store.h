/* SPDX-License-Identifier: Apache-2.0 */
/* store: everything the clean room keeps on disk — sealed (encrypted and
 * authenticated under the TEE's sealing key), written atomically, checked
 * when read. The data directory is the untrusted operator's: a flipped byte
 * anywhere is detected, a kill -9 at any moment leaves either the old or the
 * new state, never a mix. Format: docs/STORAGE.md. */
#ifndef DCR_STORE_H
#define DCR_STORE_H

#include "dcr/crypto.h"
#include "dcr/util.h"

#define DCR_SEAL_KEY_SIZE 32

/* ---- sealed files ------------------------------------------------------- */

/* A sealed file is written to a temporary name beside path (path +
 * ".tmp.XXXXXX", mode 0600) and only replaces path on commit (fsync,
 * rename, fsync of the directory). label names what the file holds
 * ("dataset impressions", "room keys"); it is bound into the file, so a
 * sealed file renamed over another is refused. A writer is used by one
 * thread at a time; after any error it refuses everything but free. */
struct dcr_seal_writer;

enum dcr_err dcr_seal_writer_new(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                                 const char *label, struct dcr_seal_writer **out,
                                 struct dcr_msg *msg) DCR_WUR;
/* Memory stays constant whatever the size. */
enum dcr_err dcr_seal_writer_write(struct dcr_seal_writer *w, const void *data, size_t size,
                                   struct dcr_msg *msg) DCR_WUR;
/* Seals the end and atomically replaces path. Durable when it returns.
 * On error path is untouched, except when only the final sync of the
 * directory failed (DCR_ERR_IO, "cannot sync its directory"): path then
 * holds the new contents, which a power loss could still undo. */
enum dcr_err dcr_seal_writer_commit(struct dcr_seal_writer *w, struct dcr_msg *msg) DCR_WUR;
/* Frees w; without a commit, the temporary file is removed and path is
 * untouched. */
void dcr_seal_writer_free(struct dcr_seal_writer *w);

/* Streams the plaintext of path to sink. DCR_ERR_NOT_FOUND when absent;
 * DCR_ERR_VERIFY when the file was altered, truncated, has another label or
 * another key (msg names the file, never its contents). The sink may see
 * data before a late error: treat it as provisional until DCR_OK. */
enum dcr_err dcr_seal_read(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                           const char *label, dcr_sink_fn sink, void *sink_ctx,
                           struct dcr_msg *msg) DCR_WUR;

/* Removes the temporary files that writers killed before their commit left
 * in dir (names ending in ".tmp." and six characters, as dcr_seal_writer
 * and dcr_file_write_atomic make them). They are never read, so this only
 * frees space; call it before anything writes in dir, since it would also
 * remove a live writer's file. *out_removed (may be NULL) gets the count. */
enum dcr_err dcr_seal_sweep(const char *dir, size_t *out_removed, struct dcr_msg *msg) DCR_WUR;

/* One-shot forms. out is initialised here (capped at max: DCR_ERR_TOO_BIG
 * past it) and marked secret, since whatever was sealed is confidential; on
 * error it is empty. The caller frees it with dcr_buf_free. */
enum dcr_err dcr_seal_write_all(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                                const char *label, const void *data, size_t size,
                                struct dcr_msg *msg) DCR_WUR;
enum dcr_err dcr_seal_read_all(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                               const char *label, size_t max, struct dcr_buf *out,
                               struct dcr_msg *msg) DCR_WUR;

/* ---- the audit log ---------------------------------------------------- */

/* Append-only, hash-chained, each entry signed by the clean room's key
 * (docs/API.md, "GET /v1/audit"), sealed on disk one record at a time. */
struct dcr_audit;

/* Largest entry text, bytes (the caller's fields plus seq, time and prev). */
#define DCR_AUDIT_TEXT_MAX (1u << 20)

/* Opens (or creates) the log at path: every stored entry is unsealed and
 * the chain and signatures verified with room's public key. A record cut
 * short by a crash at its end is dropped (it was never acknowledged) and the
 * file truncated before it; any other damage is DCR_ERR_VERIFY, and the file
 * is then left as it was. The file is locked (flock) while open: a second
 * opener, in this process or another, gets DCR_ERR_IO. room is borrowed and
 * must outlive the log. Thread-safe afterwards. */
enum dcr_err dcr_audit_open(const char *path, const uint8_t key[static DCR_SEAL_KEY_SIZE],
                            const struct dcr_seckey *room, struct dcr_audit **out,
                            struct dcr_msg *msg) DCR_WUR;

/* Appends an entry: fields is a JSON object's text without "seq", "time"
 * and "prev" (e.g. {"party":"news","action":"upload",...}), which are
 * added; the fields keep their order and are re-serialized compactly.
 * DCR_ERR_INVALID for fields that are not a JSON object or that hold seq,
 * time or prev, or a time outside years 1970-9999; DCR_ERR_TOO_BIG past
 * DCR_AUDIT_TEXT_MAX. Durable (fsynced) before it returns; *out_seq gets the
 * number (0 on error). After a failed write that could not be undone, every
 * later append fails (DCR_ERR_IO) until the log is reopened. */
enum dcr_err dcr_audit_append(struct dcr_audit *a, const char *fields, int64_t time,
                              uint64_t *out_seq, struct dcr_msg *msg) DCR_WUR;
/* Entries so far (safe to call while other threads append). */
uint64_t dcr_audit_count(const struct dcr_audit *a);
/* The whole log as the JSON body of GET /v1/audit, appended to out:
 * {"entries":[{"text":"<entry, as a JSON string>","signature":"<b64>"},...]}.
 * The entries are read back from the sealed file (only the chain's head is
 * kept in memory). DCR_ERR_TOO_BIG past out's cap (out then holds a partial
 * body); DCR_ERR_VERIFY (logged) when a record on disk changed since it was
 * written; DCR_ERR_IO when it cannot be read. */
enum dcr_err dcr_audit_export(struct dcr_audit *a, struct dcr_buf *out) DCR_WUR;
/* Closes the file (releasing its lock) and frees a; NULL is fine. */
void dcr_audit_close(struct dcr_audit *a);

#endif
