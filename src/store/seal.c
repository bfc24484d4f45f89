/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed files (docs/STORAGE.md): a header, then 64 KiB chunks, each
 * XChaCha20-Poly1305 under the sealing key with the header and the label as
 * associated data; written to a temporary file and renamed into place. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

#define TMP_SUFFIX ".tmp.XXXXXX"
#define TMP_SUFFIX_SIZE (sizeof(TMP_SUFFIX) - 1)

_Static_assert(SEAL_HEADER_SIZE == SEAL_MAGIC_SIZE + 1 + SEAL_SALT_SIZE, "header layout");
_Static_assert(SEAL_SALT_SIZE + 8 == DCR_AEAD_NONCE_SIZE, "salt and counter make the nonce");
_Static_assert(DCR_SEAL_KEY_SIZE == DCR_AEAD_KEY_SIZE, "the sealing key is an AEAD key");

/* Chunk i's nonce: the file's random salt, then i big-endian. A fresh salt
 * per file (2^-64 odds of a repeat after 2^32 files) keeps nonces unique
 * under the one sealing key; the counter binds each chunk to its place. */
static void chunk_nonce(const uint8_t *header, uint64_t i, uint8_t nonce[DCR_AEAD_NONCE_SIZE])
{
	memcpy(nonce, header + SEAL_MAGIC_SIZE + 1, SEAL_SALT_SIZE);
	for (int b = 0; b < 8; b++)
		nonce[SEAL_SALT_SIZE + b] = (uint8_t)(i >> (56 - 8 * b));
}

/* The associated data of every chunk: the header, then the label. */
static uint8_t *make_ad(const uint8_t *header, const char *label, size_t *out_size)
{
	size_t len = strlen(label);
	uint8_t *ad = malloc(SEAL_HEADER_SIZE + len + 1);

	*out_size = 0;
	if (!ad)
		return NULL;
	memcpy(ad, header, SEAL_HEADER_SIZE);
	memcpy(ad + SEAL_HEADER_SIZE, label, len);
	*out_size = SEAL_HEADER_SIZE + len;
	return ad;
}

/* ---- encoder ------------------------------------------------------------- */

struct seal_enc {
	uint8_t key[DCR_SEAL_KEY_SIZE];
	uint8_t header[SEAL_HEADER_SIZE];
	uint8_t *ad;         /* header || label */
	size_t ad_size;
	uint8_t *plain;      /* 1 + SEAL_CHUNK_SIZE: the flag, then data not yet sealed */
	uint8_t *cipher;     /* SEAL_CHUNK_MAX: the chunk going to the sink */
	size_t plain_size;   /* data bytes in plain (after the flag) */
	uint64_t chunks;     /* chunks sent */
	dcr_sink_fn sink;
	void *sink_ctx;
	enum dcr_err err;    /* sticky: the first failure */
	bool finished;
};

void seal_enc_free(struct seal_enc *e)
{
	if (!e)
		return;
	if (e->plain) {
		dcr_wipe(e->plain, 1 + SEAL_CHUNK_SIZE);
		free(e->plain);
	}
	free(e->cipher);
	free(e->ad);
	dcr_wipe(e->key, sizeof(e->key));
	free(e);
}

enum dcr_err seal_enc_new(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *label,
                          dcr_sink_fn sink, void *sink_ctx, struct seal_enc **out)
{
	struct seal_enc *e;
	enum dcr_err err;

	assert(key && label && sink && out);
	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return DCR_ERR_NOMEM;
	memcpy(e->key, key, DCR_SEAL_KEY_SIZE);
	memcpy(e->header, SEAL_MAGIC, SEAL_MAGIC_SIZE);
	e->header[SEAL_MAGIC_SIZE] = SEAL_VERSION;
	dcr_random(e->header + SEAL_MAGIC_SIZE + 1, SEAL_SALT_SIZE);
	e->ad = make_ad(e->header, label, &e->ad_size);
	e->plain = malloc(1 + SEAL_CHUNK_SIZE);
	e->cipher = malloc(SEAL_CHUNK_MAX);
	e->sink = sink;
	e->sink_ctx = sink_ctx;
	if (!e->ad || !e->plain || !e->cipher) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	err = sink(sink_ctx, e->header, SEAL_HEADER_SIZE);
	if (err)
		goto out;
	*out = e;
	e = NULL;
out:
	seal_enc_free(e);
	return err;
}

/* Seals the plain buffer's data as chunk number e->chunks with flag. */
static enum dcr_err emit(struct seal_enc *e, uint8_t flag)
{
	uint8_t nonce[DCR_AEAD_NONCE_SIZE];
	size_t n = 1 + e->plain_size;
	enum dcr_err err;

	e->plain[0] = flag;
	chunk_nonce(e->header, e->chunks, nonce);
	dcr_aead_seal(e->cipher, e->plain, n, e->ad, e->ad_size, nonce, e->key);
	e->chunks++;
	e->plain_size = 0;
	err = e->sink(e->sink_ctx, e->cipher, n + DCR_AEAD_TAG_SIZE);
	if (err)
		e->err = err;
	return err;
}

enum dcr_err seal_enc_write(struct seal_enc *e, const void *data, size_t size)
{
	const uint8_t *p = data;

	assert(e && (p || !size));
	assert(!e->finished && "seal_enc_write after finish");
	if (e->err)
		return e->err;
	while (size) {
		size_t n;

		/* A full chunk goes out as MORE only now that more data has
		 * come: had it been the last, it would have to be FINAL. */
		if (e->plain_size == SEAL_CHUNK_SIZE) {
			enum dcr_err err = emit(e, SEAL_FLAG_MORE);

			if (err)
				return err;
		}
		n = SEAL_CHUNK_SIZE - e->plain_size;
		if (n > size)
			n = size;
		memcpy(e->plain + 1 + e->plain_size, p, n);
		e->plain_size += n;
		p += n;
		size -= n;
	}
	return DCR_OK;
}

enum dcr_err seal_enc_finish(struct seal_enc *e)
{
	assert(e);
	assert(!e->finished && "seal_enc_finish called twice");
	if (e->err)
		return e->err;
	e->finished = true;
	return emit(e, SEAL_FLAG_FINAL);
}

/* ---- writer -------------------------------------------------------------- */

struct dcr_seal_writer {
	struct seal_enc *enc;
	char *path;
	char *tmp;          /* the temporary file, until it is renamed or removed */
	int fd;             /* of tmp; -1 once closed */
	enum dcr_err err;   /* sticky: the first failure */
	int err_errno;
	bool committed;
};

static enum dcr_err fd_sink(void *ctx, const uint8_t *data, size_t size)
{
	struct dcr_seal_writer *w = ctx;

	if (store_write_all(w->fd, data, size) < 0) {
		w->err_errno = errno;
		return DCR_ERR_IO;
	}
	return DCR_OK;
}

void dcr_seal_writer_free(struct dcr_seal_writer *w)
{
	if (!w)
		return;
	seal_enc_free(w->enc);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp && !w->committed)
		unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	free(w);
}

/* Records the first failure; later calls repeat it. */
static enum dcr_err writer_fail(struct dcr_seal_writer *w, enum dcr_err err, const char *what,
                                struct dcr_msg *msg)
{
	w->err = err;
	if (err == DCR_ERR_IO)
		return dcr_fail(msg, err, "%s: cannot %s: %s", w->path, what,
		                strerror(w->err_errno));
	return dcr_fail(msg, err, "%s: cannot %s: %s", w->path, what, dcr_strerror(err));
}

enum dcr_err dcr_seal_writer_new(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                                 const char *label, struct dcr_seal_writer **out,
                                 struct dcr_msg *msg)
{
	struct dcr_seal_writer *w;
	size_t len;
	enum dcr_err err;

	assert(key && path && label && out);
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", path);
	w->fd = -1;
	len = strlen(path);
	w->path = strdup(path);
	w->tmp = malloc(len + TMP_SUFFIX_SIZE + 1);
	if (!w->path || !w->tmp) {
		free(w->tmp);
		w->tmp = NULL;
		err = dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	memcpy(w->tmp, path, len);
	memcpy(w->tmp + len, TMP_SUFFIX, TMP_SUFFIX_SIZE + 1);
	/* mkstemp: mode 0600 from the start, and O_EXCL, so nothing else
	 * shares the name */
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		err = dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO,
		               "%s: cannot create a file beside it: %s", path, strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		goto out;
	}
	err = seal_enc_new(key, label, fd_sink, w, &w->enc);
	if (err) {
		err = writer_fail(w, err, "write", msg);
		goto out;
	}
	*out = w;
	w = NULL;
out:
	dcr_seal_writer_free(w);
	return err;
}

enum dcr_err dcr_seal_writer_write(struct dcr_seal_writer *w, const void *data, size_t size,
                                   struct dcr_msg *msg)
{
	enum dcr_err err;

	assert(w && (data || !size));
	assert(!w->committed && "dcr_seal_writer_write after commit");
	if (w->err)
		return dcr_fail(msg, w->err, "%s: an earlier write failed", w->path);
	err = seal_enc_write(w->enc, data, size);
	if (err)
		return writer_fail(w, err, "write", msg);
	return DCR_OK;
}

enum dcr_err dcr_seal_writer_commit(struct dcr_seal_writer *w, struct dcr_msg *msg)
{
	enum dcr_err err;

	assert(w);
	assert(!w->committed && "dcr_seal_writer_commit called twice");
	if (w->err)
		return dcr_fail(msg, w->err, "%s: an earlier write failed", w->path);
	err = seal_enc_finish(w->enc);
	if (err)
		return writer_fail(w, err, "write", msg);
	/* the data must be on disk before the name points at it, or a power
	 * loss could leave path naming a file with holes */
	if (fsync(w->fd) < 0) {
		w->err_errno = errno;
		return writer_fail(w, DCR_ERR_IO, "sync", msg);
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		w->err_errno = errno;
		return writer_fail(w, DCR_ERR_IO, "write", msg);
	}
	w->fd = -1;
	if (rename(w->tmp, w->path) < 0) {
		w->err_errno = errno;
		return writer_fail(w, DCR_ERR_IO, "rename into place", msg);
	}
	w->committed = true;
	err = store_fsync_dir(w->path, msg);
	if (err)
		w->err = err;
	return err;
}

/* ---- reader -------------------------------------------------------------- */

static enum dcr_err verify_fail(struct dcr_msg *msg, const char *name, const char *why)
{
	return dcr_fail(msg, DCR_ERR_VERIFY, "%s: %s", name, why);
}

enum dcr_err seal_read_src(const uint8_t key[static DCR_SEAL_KEY_SIZE],
                           const struct store_src *src, const char *label, dcr_sink_fn sink,
                           void *sink_ctx, struct dcr_msg *msg)
{
	uint8_t header[SEAL_HEADER_SIZE], nonce[DCR_AEAD_NONCE_SIZE];
	uint8_t *ad = NULL, *cipher = NULL, *plain = NULL;
	size_t ad_size = 0, got;
	uint64_t off = SEAL_HEADER_SIZE;
	enum dcr_err err;

	assert(key && src && label && sink);
	err = store_read_at(src, 0, header, SEAL_HEADER_SIZE, &got, msg);
	if (err)
		return err;
	/* Every failure below is DCR_ERR_VERIFY: whatever the cause, the
	 * data directory is the operator's and this file is not what the clean
	 * room wrote, so it must be refused, not interpreted. */
	if (memcmp(header, SEAL_MAGIC, got < SEAL_MAGIC_SIZE ? got : SEAL_MAGIC_SIZE) != 0)
		return verify_fail(msg, src->name, "not a dcr sealed file");
	if (got < SEAL_HEADER_SIZE)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "%s: truncated: the header is %zu of %d bytes", src->name, got,
		                SEAL_HEADER_SIZE);
	if (header[SEAL_MAGIC_SIZE] != SEAL_VERSION)
		return dcr_fail(msg, DCR_ERR_VERIFY, "%s: unsupported sealed file version %u",
		                src->name, header[SEAL_MAGIC_SIZE]);
	ad = make_ad(header, label, &ad_size);
	cipher = malloc(SEAL_CHUNK_MAX);
	plain = malloc(1 + SEAL_CHUNK_SIZE);
	if (!ad || !cipher || !plain) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", src->name);
		goto out;
	}
	for (uint64_t i = 0;; i++) {
		size_t n;

		err = store_read_at(src, off, cipher, SEAL_CHUNK_MAX, &got, msg);
		if (err)
			goto out;
		if (got == 0) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "%s: truncated: ends after %llu chunk(s) without its final "
			               "chunk", src->name, (unsigned long long)i);
			goto out;
		}
		chunk_nonce(header, i, nonce);
		if (got < SEAL_CHUNK_OVERHEAD ||
		    dcr_aead_open(plain, cipher, got, ad, ad_size, nonce, key) != DCR_OK) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "%s: chunk %llu (at byte %llu) failed authentication: the "
			               "file was altered or truncated, or sealed under another key "
			               "or label", src->name, (unsigned long long)i,
			               (unsigned long long)off);
			goto out;
		}
		n = got - SEAL_CHUNK_OVERHEAD;
		/* Authentic chunks only come from our writer, which never makes
		 * these; checked all the same, as a second line. */
		if (plain[0] != SEAL_FLAG_MORE && plain[0] != SEAL_FLAG_FINAL) {
			err = dcr_fail(msg, DCR_ERR_VERIFY, "%s: chunk %llu has an unknown flag",
			               src->name, (unsigned long long)i);
			goto out;
		}
		if (plain[0] == SEAL_FLAG_MORE && n != SEAL_CHUNK_SIZE) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "%s: truncated: chunk %llu is short and not the final one",
			               src->name, (unsigned long long)i);
			goto out;
		}
		off += got;
		if (plain[0] == SEAL_FLAG_FINAL) {
			uint8_t extra;

			err = store_read_at(src, off, &extra, 1, &got, msg);
			if (err)
				goto out;
			if (got) {
				err = verify_fail(msg, src->name, "data after the final chunk");
				goto out;
			}
		}
		if (n) {
			err = sink(sink_ctx, plain + 1, n);
			if (err) {
				dcr_msg_set(msg, "%s: the consumer of the plaintext failed: %s",
				            src->name, dcr_strerror(err));
				goto out;
			}
		}
		if (plain[0] == SEAL_FLAG_FINAL)
			break;
	}
out:
	if (plain) {
		dcr_wipe(plain, 1 + SEAL_CHUNK_SIZE);
		free(plain);
	}
	free(cipher);
	free(ad);
	return err;
}

enum dcr_err dcr_seal_read(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                           const char *label, dcr_sink_fn sink, void *sink_ctx,
                           struct dcr_msg *msg)
{
	struct store_src src = {.fd = -1, .name = path};
	struct stat st;
	enum dcr_err err;

	assert(key && path && label && sink);
	/* O_NONBLOCK: a FIFO put in the file's place must not hang the reader
	 * (it is refused just below); no effect on a regular file */
	src.fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (src.fd < 0)
		return errno == ENOENT
			? dcr_fail(msg, DCR_ERR_NOT_FOUND, "%s: no such file", path)
			: dcr_fail(msg, DCR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(src.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	err = seal_read_src(key, &src, label, sink, sink_ctx, msg);
out:
	close(src.fd);
	return err;
}

/* ---- one-shot forms ------------------------------------------------------ */

enum dcr_err dcr_seal_write_all(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                                const char *label, const void *data, size_t size,
                                struct dcr_msg *msg)
{
	struct dcr_seal_writer *w;
	enum dcr_err err;

	err = dcr_seal_writer_new(key, path, label, &w, msg);
	if (err)
		return err;
	err = dcr_seal_writer_write(w, data, size, msg);
	if (!err)
		err = dcr_seal_writer_commit(w, msg);
	dcr_seal_writer_free(w);
	return err;
}

static enum dcr_err buf_sink(void *ctx, const uint8_t *data, size_t size)
{
	return dcr_buf_append(ctx, data, size);
}

enum dcr_err dcr_seal_read_all(const uint8_t key[static DCR_SEAL_KEY_SIZE], const char *path,
                               const char *label, size_t max, struct dcr_buf *out,
                               struct dcr_msg *msg)
{
	enum dcr_err err;

	assert(out);
	dcr_buf_init(out, max);
	out->secret = true;
	err = dcr_seal_read(key, path, label, buf_sink, out, msg);
	if (err == DCR_ERR_TOO_BIG)
		dcr_msg_set(msg, "%s: holds more than %zu bytes", path, max);
	if (err)
		dcr_buf_free(out);
	return err;
}

/* ---- leftovers of interrupted writers -------------------------------------- */

static bool is_temp_name(const char *name)
{
	size_t len = strlen(name);
	const char *s;

	if (len <= TMP_SUFFIX_SIZE)
		return false;
	s = name + len - TMP_SUFFIX_SIZE;
	if (memcmp(s, ".tmp.", 5) != 0)
		return false;
	for (s += 5; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

enum dcr_err dcr_seal_sweep(const char *dir, size_t *out_removed, struct dcr_msg *msg)
{
	DIR *d;
	struct dirent *ent;
	size_t removed = 0;
	enum dcr_err err = DCR_OK;

	assert(dir);
	if (out_removed)
		*out_removed = 0;
	d = opendir(dir);
	if (!d)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO,
		                "%s: cannot list: %s", dir, strerror(errno));
	errno = 0;
	while ((ent = readdir(d)) != NULL) {
		struct stat st;

		if (!is_temp_name(ent->d_name))
			continue;
		/* only regular files: never follow a link out of the directory */
		if (fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), ent->d_name, 0) < 0) {
			err = dcr_fail(msg, DCR_ERR_IO, "%s/%s: cannot remove: %s", dir,
			               ent->d_name, strerror(errno));
			break;
		}
		removed++;
		errno = 0;
	}
	if (!err && errno)
		err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
	closedir(d);
	if (out_removed)
		*out_removed = removed;
	return err;
}
