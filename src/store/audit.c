/* SPDX-License-Identifier: Apache-2.0 */
/* The audit log (docs/STORAGE.md, docs/API.md "GET /v1/audit"): hash-chained
 * entries signed by the clean room, each sealed as one record appended with
 * one write and an fsync; a torn last record left by a crash is dropped. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcr/proto.h"
#include "store_int.h"

#define TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

_Static_assert(AUDIT_BIND_SIZE == AUDIT_MAGIC_SIZE + 1 + AUDIT_ID_SIZE, "binding layout");
_Static_assert(AUDIT_HEADER_SIZE == AUDIT_BIND_SIZE + DCR_AEAD_NONCE_SIZE + DCR_AEAD_TAG_SIZE,
               "header layout");
_Static_assert(AUDIT_REC_HEAD == 8 + DCR_AEAD_NONCE_SIZE, "record head layout");
_Static_assert(AUDIT_PLAIN_MAX < UINT32_MAX, "record length fits 32 bits");

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A record's associated data: the log's binding bytes and its sequence
 * number, so a record cannot move to another place or another log. */
static void record_ad(const uint8_t *bind, uint64_t seq, uint8_t ad[AUDIT_BIND_SIZE + 8])
{
	memcpy(ad, bind, AUDIT_BIND_SIZE);
	for (int i = 0; i < 8; i++)
		ad[AUDIT_BIND_SIZE + i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* ---- entries in memory ------------------------------------------------------ */

enum dcr_err audit_entries_reserve(struct audit_entries *e, size_t n)
{
	size_t cap;
	char **texts, **sigs;
	size_t *lens;

	if (e->count + n <= e->cap)
		return DCR_OK;
	if (n > SIZE_MAX / 4 - e->count)
		return DCR_ERR_NOMEM;
	cap = e->cap ? e->cap : 16;
	while (cap < e->count + n)
		cap *= 2;
	texts = realloc(e->texts, cap * sizeof(*texts));
	if (!texts)
		return DCR_ERR_NOMEM;
	e->texts = texts;
	sigs = realloc(e->sigs, cap * sizeof(*sigs));
	if (!sigs)
		return DCR_ERR_NOMEM;
	e->sigs = sigs;
	lens = realloc(e->lens, cap * sizeof(*lens));
	if (!lens)
		return DCR_ERR_NOMEM;
	e->lens = lens;
	e->cap = cap;
	return DCR_OK;
}

enum dcr_err audit_entries_add(struct audit_entries *e, const char *text, size_t len,
                               const char *sig_b64)
{
	char *p;

	assert(e->count < e->cap);
	p = malloc(len + 1 + DCR_SIGNATURE_B64_SIZE);
	if (!p)
		return DCR_ERR_NOMEM;
	memcpy(p, text, len);
	p[len] = '\0';
	memcpy(p + len + 1, sig_b64, DCR_SIGNATURE_B64_SIZE);
	p[len + DCR_SIGNATURE_B64_SIZE] = '\0';
	e->texts[e->count] = p;
	e->sigs[e->count] = p + len + 1;
	e->lens[e->count] = len;
	e->count++;
	return DCR_OK;
}

void audit_entries_free(struct audit_entries *e)
{
	for (size_t i = 0; i < e->count; i++) {
		/* query texts are the parties' business, not the operator's */
		dcr_wipe(e->texts[i], e->lens[i] + 1 + DCR_SIGNATURE_B64_SIZE);
		free(e->texts[i]);
	}
	free(e->texts);
	free(e->sigs);
	free(e->lens);
	memset(e, 0, sizeof(*e));
}

/* ---- encoding ---------------------------------------------------------------- */

void audit_header_make(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                       uint8_t out[static AUDIT_HEADER_SIZE])
{
	memcpy(out, AUDIT_MAGIC, AUDIT_MAGIC_SIZE);
	out[AUDIT_MAGIC_SIZE] = AUDIT_VERSION;
	dcr_random(out + AUDIT_MAGIC_SIZE + 1, AUDIT_ID_SIZE);
	dcr_random(out + AUDIT_BIND_SIZE, DCR_AEAD_NONCE_SIZE);
	/* an empty message whose tag proves the key (and the header) at open,
	 * even for a log without entries */
	dcr_aead_seal(out + AUDIT_BIND_SIZE + DCR_AEAD_NONCE_SIZE, NULL, 0, out,
	              AUDIT_BIND_SIZE + DCR_AEAD_NONCE_SIZE, out + AUDIT_BIND_SIZE, key);
}

enum dcr_err audit_text_make(uint64_t seq, int64_t time, const char *fields,
                             const uint8_t prev[static DCR_SHA256_SIZE], struct dcr_buf *out,
                             struct dcr_msg *msg)
{
	static const char *const own[] = {"seq", "time", "prev"};
	char when[21], prev_hex[2 * DCR_SHA256_SIZE + 1];
	json_error_t je;
	json_t *obj;
	char *dump = NULL;
	size_t dump_len;
	enum dcr_err err = DCR_OK;

	assert(fields && out);
	/* the parser's own message could quote the fields: give the place only */
	obj = json_loads(fields, JSON_REJECT_DUPLICATES, &je);
	if (!obj)
		return dcr_fail(msg, DCR_ERR_INVALID, "audit fields: not valid JSON (at byte %d)",
		                je.position);
	if (!json_is_object(obj)) {
		err = dcr_fail(msg, DCR_ERR_INVALID, "audit fields: not a JSON object");
		goto out;
	}
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (json_object_get(obj, own[i])) {
			err = dcr_fail(msg, DCR_ERR_INVALID,
			               "audit fields: \"%s\" is added by the log, not the caller",
			               own[i]);
			goto out;
		}
	if (time < 0 || time > TIME_MAX) {
		err = dcr_fail(msg, DCR_ERR_INVALID, "audit entry: time %" PRId64 " out of range",
		               time);
		goto out;
	}
	/* jansson keeps the members in their order */
	dump = json_dumps(obj, JSON_COMPACT);
	if (!dump) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "audit entry: out of memory");
		goto out;
	}
	dump_len = strlen(dump);
	assert(dump_len >= 2 && dump[0] == '{' && dump[dump_len - 1] == '}');
	dcr_time_format(time, when);
	dcr_hex_encode(prev_hex, prev, DCR_SHA256_SIZE);
	err = dcr_buf_printf(out, "{\"seq\":%" PRIu64 ",\"time\":\"%s\"", seq, when);
	if (!err && dump_len > 2) {
		err = dcr_buf_append(out, ",", 1);
		if (!err)
			err = dcr_buf_append(out, dump + 1, dump_len - 2);
	}
	if (!err)
		err = dcr_buf_printf(out, ",\"prev\":\"%s\"}", prev_hex);
	if (err == DCR_ERR_TOO_BIG)
		err = dcr_fail(msg, err, "audit entry: longer than %u bytes", DCR_AUDIT_TEXT_MAX);
	else if (err)
		err = dcr_fail(msg, err, "audit entry: out of memory");
out:
	if (dump) {
		dcr_wipe(dump, strlen(dump));
		free(dump);
	}
	json_decref(obj);
	return err;
}

enum dcr_err audit_record_make(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                               const uint8_t bind[static AUDIT_BIND_SIZE], uint64_t seq,
                               const char *text, size_t len,
                               const uint8_t sig[static DCR_SIGNATURE_SIZE],
                               struct dcr_buf *out)
{
	uint8_t ad[AUDIT_BIND_SIZE + 8], *rec, *plain;
	size_t plain_size = DCR_SIGNATURE_SIZE + len;
	enum dcr_err err;

	if (len > DCR_AUDIT_TEXT_MAX)
		return DCR_ERR_TOO_BIG;
	err = dcr_buf_reserve(out, AUDIT_REC_OVERHEAD + plain_size);
	if (err)
		return err;
	plain = malloc(plain_size);
	if (!plain)
		return DCR_ERR_NOMEM;
	memcpy(plain, sig, DCR_SIGNATURE_SIZE);
	memcpy(plain + DCR_SIGNATURE_SIZE, text, len);

	rec = out->data + out->size;
	put_be32(rec, (uint32_t)plain_size);
	/* the complement lets a reader tell a damaged length from a record
	 * that a crash cut short */
	put_be32(rec + 4, ~(uint32_t)plain_size);
	/* random, never derived from seq: after a torn record is dropped its
	 * seq is used again, with other text */
	dcr_random(rec + 8, DCR_AEAD_NONCE_SIZE);
	record_ad(bind, seq, ad);
	dcr_aead_seal(rec + AUDIT_REC_HEAD, plain, plain_size, ad, sizeof(ad), rec + 8, key);
	rec[AUDIT_REC_OVERHEAD + plain_size - 1] = AUDIT_END_MARK;
	out->size += AUDIT_REC_OVERHEAD + plain_size;
	out->data[out->size] = '\0';
	dcr_wipe(plain, plain_size);
	free(plain);
	return DCR_OK;
}

/* ---- parsing ------------------------------------------------------------------ */

/* *out_zero: whether every byte of src from off to its end is zero. */
static enum dcr_err zero_to_end(const struct store_src *src, uint64_t off, bool *out_zero,
                                struct dcr_msg *msg)
{
	uint8_t buf[4096];

	*out_zero = false;
	while (off < src->size) {
		size_t got, want = src->size - off < sizeof(buf) ? (size_t)(src->size - off)
		                                                  : sizeof(buf);
		enum dcr_err err = store_read_at(src, off, buf, want, &got, msg);

		if (err)
			return err;
		if (got < want)
			return dcr_fail(msg, DCR_ERR_IO, "%s: changed while being read", src->name);
		for (size_t i = 0; i < got; i++)
			if (buf[i])
				return DCR_OK;
		off += got;
	}
	*out_zero = true;
	return DCR_OK;
}

static enum dcr_err check_header(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                                 const struct store_src *src, uint8_t *hdr, struct dcr_msg *msg)
{
	size_t got;
	uint8_t none[1];
	enum dcr_err err = store_read_at(src, 0, hdr, AUDIT_HEADER_SIZE, &got, msg);

	if (err)
		return err;
	/* The header is written whole before the log gets its name, so no
	 * crash leaves it short: all of these are tampering. */
	if (memcmp(hdr, AUDIT_MAGIC, got < AUDIT_MAGIC_SIZE ? got : AUDIT_MAGIC_SIZE) != 0)
		return dcr_fail(msg, DCR_ERR_VERIFY, "%s: not a dcr audit log", src->name);
	if (got < AUDIT_HEADER_SIZE)
		return dcr_fail(msg, DCR_ERR_VERIFY, "%s: truncated: the header is %zu of %d bytes",
		                src->name, got, AUDIT_HEADER_SIZE);
	if (hdr[AUDIT_MAGIC_SIZE] != AUDIT_VERSION)
		return dcr_fail(msg, DCR_ERR_VERIFY, "%s: unsupported audit log version %u",
		                src->name, hdr[AUDIT_MAGIC_SIZE]);
	if (dcr_aead_open(none, hdr + AUDIT_BIND_SIZE + DCR_AEAD_NONCE_SIZE, DCR_AEAD_TAG_SIZE,
	                  hdr, AUDIT_BIND_SIZE + DCR_AEAD_NONCE_SIZE, hdr + AUDIT_BIND_SIZE,
	                  key) != DCR_OK)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: the header does not authenticate: sealed under another key, "
		                "or altered", src->name);
	return DCR_OK;
}

/* Reads the record at off (number seq) into out. *out_torn is set instead
 * when it is what an interrupted append leaves: the record ends past the
 * end of the file, or the file from somewhere inside it to the end is
 * zeros (blocks a crash allocated but never wrote). A record that is whole
 * yet fails is tampering: an honest record ends in a non-zero mark, so a
 * complete one cannot pass for zero-filled. */
static enum dcr_err read_record(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                                const struct store_src *src, const uint8_t *bind, uint64_t off,
                                uint64_t seq, struct audit_entries *out, uint64_t *out_next,
                                bool *out_torn, struct dcr_msg *msg)
{
	uint8_t head[8], ad[AUDIT_BIND_SIZE + 8], *rec = NULL, *plain = NULL;
	uint64_t rem = src->size - off;
	uint32_t len;
	size_t got, rec_size;
	char sig[DCR_SIGNATURE_B64_SIZE];
	bool zero;
	enum dcr_err err;

	*out_torn = false;
	*out_next = off;
	if (rem < sizeof(head)) {
		*out_torn = true; /* not even the length got written */
		return DCR_OK;
	}
	err = store_read_at(src, off, head, sizeof(head), &got, msg);
	if (err)
		return err;
	if (got < sizeof(head))
		return dcr_fail(msg, DCR_ERR_IO, "%s: changed while being read", src->name);
	len = get_be32(head);
	if (len != ~get_be32(head + 4)) {
		/* torn only if the zeros reach into the length itself */
		err = zero_to_end(src, off + sizeof(head), &zero, msg);
		if (err)
			return err;
		if (zero && head[7] == 0) {
			*out_torn = true;
			return DCR_OK;
		}
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: record %" PRIu64 " (at byte %" PRIu64 ") has a damaged length",
		                src->name, seq, off);
	}
	if (len < AUDIT_PLAIN_MIN || len > AUDIT_PLAIN_MAX)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: record %" PRIu64 " (at byte %" PRIu64 ") has an impossible "
		                "length", src->name, seq, off);
	rec_size = AUDIT_REC_OVERHEAD + (size_t)len;
	if (rec_size > rem) {
		*out_torn = true; /* cut short */
		return DCR_OK;
	}
	rec = malloc(rec_size);
	plain = malloc(len);
	if (!rec || !plain) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", src->name);
		goto out;
	}
	err = store_read_at(src, off, rec, rec_size, &got, msg);
	if (err)
		goto out;
	if (got < rec_size) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: changed while being read", src->name);
		goto out;
	}
	if (rec[rec_size - 1] != AUDIT_END_MARK) {
		err = zero_to_end(src, off + rec_size, &zero, msg);
		if (err)
			goto out;
		if (zero && rec[rec_size - 1] == 0) {
			*out_torn = true;
			goto out;
		}
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: record %" PRIu64 " (at byte %" PRIu64 ") is damaged (no end "
		               "mark)", src->name, seq, off);
		goto out;
	}
	record_ad(bind, seq, ad);
	if (dcr_aead_open(plain, rec + AUDIT_REC_HEAD, len + DCR_AEAD_TAG_SIZE, ad, sizeof(ad),
	                  rec + 8, key) != DCR_OK) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s: record %" PRIu64 " (at byte %" PRIu64 ") failed "
		               "authentication: altered, moved, or from another log or key",
		               src->name, seq, off);
		goto out;
	}
	dcr_b64_encode(sig, plain, DCR_SIGNATURE_SIZE);
	err = audit_entries_reserve(out, 1);
	if (!err)
		err = audit_entries_add(out, (const char *)plain + DCR_SIGNATURE_SIZE,
		                        len - DCR_SIGNATURE_SIZE, sig);
	if (err) {
		err = dcr_fail(msg, err, "%s: out of memory", src->name);
		goto out;
	}
	*out_next = off + rec_size;
out:
	if (plain) {
		dcr_wipe(plain, len);
		free(plain);
	}
	free(rec);
	return err;
}

enum dcr_err audit_load(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                        const struct dcr_pubkey *room, const struct store_src *src,
                        struct audit_entries *out, uint64_t *out_good_end,
                        uint8_t out_bind[static AUDIT_BIND_SIZE], struct dcr_msg *msg)
{
	uint8_t hdr[AUDIT_HEADER_SIZE];
	uint64_t off = AUDIT_HEADER_SIZE;
	enum dcr_err err;

	assert(key && room && src && out && out_good_end);
	*out_good_end = 0;
	memset(out_bind, 0, AUDIT_BIND_SIZE);
	err = check_header(key, src, hdr, msg);
	if (err)
		return err;
	while (off < src->size) {
		uint64_t next;
		bool torn;

		err = read_record(key, src, hdr, off, out->count + 1, out, &next, &torn, msg);
		if (err)
			return err;
		if (torn)
			break;
		off = next;
	}
	err = dcr_audit_verify_chain((const char *const *)out->texts, out->lens,
	                             (const char *const *)out->sigs, out->count, room, NULL, msg);
	if (err) {
		dcr_msg_prefix(msg, "%s: ", src->name);
		return err;
	}
	memcpy(out_bind, hdr, AUDIT_BIND_SIZE);
	*out_good_end = off;
	return DCR_OK;
}

/* ---- the log -------------------------------------------------------------------- */

struct dcr_audit {
	pthread_mutex_t lock;
	int fd;                         /* open and flock'ed */
	char *path;
	uint8_t key[DCR_SEAL_KEY_SIZE];
	const struct dcr_seckey *room;  /* borrowed */
	uint8_t bind[AUDIT_BIND_SIZE];
	uint64_t end;                   /* file offset after the last record */
	uint64_t records;               /* entries on disk, under the lock */
	uint64_t count;                 /* = records, read without the lock */
	uint8_t prev[DCR_SHA256_SIZE];  /* hash of the last entry's text */
	bool broken;                    /* the file's end is unknown after a failed write */
	bool lock_ready;
};

void dcr_audit_close(struct dcr_audit *a)
{
	if (!a)
		return;
	if (a->lock_ready)
		pthread_mutex_destroy(&a->lock);
	if (a->fd >= 0)
		close(a->fd); /* releases the flock */
	dcr_wipe(a->key, sizeof(a->key));
	free(a->path);
	free(a);
}

/* Creates an empty log: header written whole and synced under a temporary
 * name, linked into place, then the directory synced. */
static enum dcr_err create_log(const uint8_t *key, const char *path, struct dcr_msg *msg)
{
	uint8_t hdr[AUDIT_HEADER_SIZE];
	enum dcr_err err;

	audit_header_make(key, hdr);
	err = dcr_file_write_atomic(path, hdr, sizeof(hdr), 0600, 0, msg);
	if (err == DCR_ERR_EXISTS)
		return DCR_OK; /* created by someone else meanwhile: open theirs */
	if (err)
		return err;
	/* dcr_file_write_atomic syncs the directory only as best effort */
	return store_fsync_dir(path, msg);
}

enum dcr_err dcr_audit_open(const char *path, const uint8_t key[static DCR_SEAL_KEY_SIZE],
                            const struct dcr_seckey *room, struct dcr_audit **out,
                            struct dcr_msg *msg)
{
	struct dcr_audit *a;
	struct dcr_pubkey pub;
	struct stat st;
	struct store_src src = {.fd = -1, .name = path};
	struct audit_entries e = {0};
	uint64_t good_end;
	enum dcr_err err;

	assert(path && key && room && out);
	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", path);
	a->fd = -1;
	a->room = room;
	memcpy(a->key, key, DCR_SEAL_KEY_SIZE);
	a->path = strdup(path);
	if (!a->path) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	/* O_NONBLOCK: whatever the operator put there must not hang us (a
	 * FIFO is refused below); no effect on a regular file */
	a->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (a->fd < 0 && errno == ENOENT) {
		err = create_log(key, path, msg);
		if (err)
			goto out;
		a->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	if (a->fd < 0) {
		err = dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO,
		               "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	/* two writers would interleave records and break the chain */
	if (flock(a->fd, LOCK_EX | LOCK_NB) < 0) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: %s", path,
		               errno == EWOULDBLOCK ? "in use by another process (locked)"
		                                    : strerror(errno));
		goto out;
	}
	if (fstat(a->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	src.fd = a->fd;
	src.size = (uint64_t)st.st_size;
	dcr_seckey_public(room, &pub);
	/* the whole log is read and its chain checked once, here; only its
	 * head stays in memory, so a long-lived room does not grow with it */
	err = audit_load(key, &pub, &src, &e, &good_end, a->bind, msg);
	if (err)
		goto out;
	if (good_end < src.size) {
		/* the tail is an append that never returned: remove it, so the
		 * next record follows the last good one */
		if (ftruncate(a->fd, (off_t)good_end) < 0 || fdatasync(a->fd) < 0) {
			err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot drop a torn last record: %s",
			               path, strerror(errno));
			goto out;
		}
		dcr_log_warn("%s: dropped an incomplete last record (%" PRIu64 " bytes) that an "
		             "interrupted append left", path, src.size - good_end);
	}
	a->end = good_end;
	a->records = e.count;
	a->count = e.count;
	if (e.count)
		dcr_sha256(e.texts[e.count - 1], e.lens[e.count - 1], a->prev);
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		err = dcr_fail(msg, DCR_ERR_INTERNAL, "%s: cannot create a mutex", path);
		goto out;
	}
	a->lock_ready = true;
	*out = a;
	a = NULL;
out:
	audit_entries_free(&e);
	dcr_audit_close(a);
	return err;
}

uint64_t dcr_audit_count(const struct dcr_audit *a)
{
	assert(a);
	return __atomic_load_n(&a->count, __ATOMIC_ACQUIRE);
}

/* Undoes a failed append; if even that fails, the log's end is unknown and
 * it takes no more appends. */
static void roll_back(struct dcr_audit *a)
{
	if (ftruncate(a->fd, (off_t)a->end) < 0 || fdatasync(a->fd) < 0) {
		a->broken = true;
		dcr_log_error("%s: a failed append could not be undone; the log takes no more "
		              "entries until it is reopened", a->path);
	}
}

enum dcr_err dcr_audit_append(struct dcr_audit *a, const char *fields, int64_t time,
                              uint64_t *out_seq, struct dcr_msg *msg)
{
	struct dcr_buf text, rec;
	char sig_b64[DCR_SIGNATURE_B64_SIZE];
	uint8_t sig[DCR_SIGNATURE_SIZE];
	size_t sig_size;
	uint64_t seq;
	enum dcr_err err;

	assert(a && fields && out_seq);
	*out_seq = 0;
	dcr_buf_init(&text, DCR_AUDIT_TEXT_MAX);
	text.secret = true;
	dcr_buf_init(&rec, SIZE_MAX);
	rec.secret = true;
	pthread_mutex_lock(&a->lock);
	if (a->broken) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: an earlier append failed; reopen the log",
		               a->path);
		goto out;
	}
	seq = a->records + 1;
	err = audit_text_make(seq, time, fields, a->prev, &text, msg);
	if (err)
		goto out;
	dcr_audit_sign(a->room, (const char *)text.data, text.size, sig_b64);
	if (dcr_b64_decode(sig, sizeof(sig), sig_b64, strlen(sig_b64), &sig_size) != DCR_OK ||
	    sig_size != DCR_SIGNATURE_SIZE) {
		err = dcr_fail(msg, DCR_ERR_INTERNAL, "%s: bad signature encoding", a->path);
		goto out;
	}
	err = audit_record_make(a->key, a->bind, seq, (const char *)text.data, text.size, sig,
	                        &rec);
	if (err) {
		err = dcr_fail(msg, err, "%s: out of memory", a->path);
		goto out;
	}
	/* One write at the end we know: if it is torn by a crash, open drops
	 * the torn tail. The entry counts only once it is synced. */
	if (store_pwrite_all(a->fd, rec.data, rec.size, a->end) < 0) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot append: %s", a->path, strerror(errno));
		roll_back(a);
		goto out;
	}
	if (fdatasync(a->fd) < 0) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot sync: %s", a->path, strerror(errno));
		roll_back(a);
		goto out;
	}
	a->end += rec.size;
	a->records = seq;
	dcr_sha256(text.data, text.size, a->prev);
	__atomic_store_n(&a->count, seq, __ATOMIC_RELEASE);
	*out_seq = seq;
out:
	pthread_mutex_unlock(&a->lock);
	dcr_buf_free(&text);
	dcr_buf_free(&rec);
	return err;
}

/* Appends s as the body of a JSON string: quote, backslash and control
 * characters escaped, everything else (UTF-8 included) as it is. */
static enum dcr_err append_json_string(struct dcr_buf *out, const char *s, size_t len)
{
	size_t run = 0;
	enum dcr_err err = DCR_OK;

	for (size_t i = 0; i < len && !err; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		err = dcr_buf_append(out, s + run, i - run);
		if (err)
			break;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		err = dcr_buf_append(out, esc, strlen(esc));
		run = i + 1;
	}
	if (!err)
		err = dcr_buf_append(out, s + run, len - run);
	return err;
}

enum dcr_err dcr_audit_export(struct dcr_audit *a, struct dcr_buf *out)
{
	struct store_src src = {.fd = a->fd, .name = a->path};
	struct audit_entries e = {0};
	struct dcr_msg msg = {{0}};
	uint64_t off = AUDIT_HEADER_SIZE;
	enum dcr_err err;

	assert(a && out);
	/* read back from disk, one record at a time: the log is not kept in
	 * memory. The lock keeps appends (and their truncating roll-backs) out
	 * while it is read. */
	pthread_mutex_lock(&a->lock);
	src.size = a->end;
	err = dcr_buf_append(out, "{\"entries\":[", 12);
	for (uint64_t seq = 1; seq <= a->records && !err; seq++) {
		uint64_t next;
		bool torn;

		err = read_record(a->key, &src, a->bind, off, seq, &e, &next, &torn, &msg);
		if (!err && (torn || e.count != 1)) {
			err = DCR_ERR_VERIFY;
			dcr_fail(&msg, err, "%s: record %" PRIu64 " is no longer whole", a->path, seq);
		}
		if (err) {
			/* written and synced by us, then changed under us */
			dcr_log_error("%s", msg.text);
			break;
		}
		off = next;
		err = dcr_buf_append(out, seq > 1 ? ",{\"text\":\"" : "{\"text\":\"", seq > 1 ? 10 : 9);
		if (!err)
			err = append_json_string(out, e.texts[0], e.lens[0]);
		if (!err)
			err = dcr_buf_printf(out, "\",\"signature\":\"%s\"}", e.sigs[0]);
		audit_entries_free(&e);
	}
	if (!err)
		err = dcr_buf_append(out, "]}", 2);
	pthread_mutex_unlock(&a->lock);
	audit_entries_free(&e);
	return err;
}
