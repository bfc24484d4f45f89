/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads with a size cap, and atomic writes (temp + fsync + rename). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcr/util.h"

enum dcr_err dcr_file_read(const char *path, size_t max, struct dcr_buf *out,
                           struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	struct stat st;
	int fd;

	/* one byte over the cap tells "exactly max" from "more than max" */
	dcr_buf_init(out, max < SIZE_MAX - 1 ? max + 1 : max);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO,
		                "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: is a directory", path);
		goto out;
	}
	while (out->size < out->max) {
		size_t want = out->max - out->size;
		ssize_t n;

		if (want > 65536)
			want = 65536;
		err = dcr_buf_reserve(out, want);
		if (err) {
			dcr_msg_set(msg, "%s: %s", path, dcr_strerror(err));
			goto out;
		}
		n = read(fd, out->data + out->size, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		out->size += (size_t)n;
		out->data[out->size] = '\0';
	}
	if (out->size > max) {
		err = dcr_fail(msg, DCR_ERR_TOO_BIG, "%s: larger than the limit of %zu bytes",
		               path, max);
		goto out;
	}
	if (!out->data) /* an empty file still reads as "" */
		err = dcr_buf_append(out, "", 0);
	out->max = max;
out:
	close(fd);
	if (err)
		dcr_buf_free(out);
	return err;
}

static enum dcr_err write_all(int fd, const uint8_t *p, size_t size)
{
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return DCR_ERR_IO;
		}
		p += n;
		size -= (size_t)n;
	}
	return DCR_OK;
}

static void fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd); /* best effort: the rename is already atomic */
		close(fd);
	}
	free(copy);
}

enum dcr_err dcr_file_write_atomic(const char *path, const void *data, size_t size,
                                   mode_t mode, unsigned flags, struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof(".tmp.XXXXXX"));
	int fd = -1;

	if (!tmp)
		return dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", path);
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	/* mkstemp creates the file with mode 0600: never wider than asked. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO,
		               "%s: cannot create: %s", path, strerror(errno));
		free(tmp);
		return err;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, size) || fsync(fd) < 0) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (flags & DCR_WRITE_REPLACE) {
		if (rename(tmp, path) < 0) {
			err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot rename into place: %s", path,
			               strerror(errno));
			goto out;
		}
	} else if (link(tmp, path) < 0) {
		err = errno == EEXIST
			? dcr_fail(msg, DCR_ERR_EXISTS, "%s: already exists; refusing to overwrite it",
			           path)
			: dcr_fail(msg, DCR_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	} else {
		unlink(tmp);
	}
	fsync_dir_of(path);
out:
	if (fd >= 0)
		close(fd);
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}
