/* SPDX-License-Identifier: Apache-2.0 */
/* What the producers share: device paths under $DCR_ATTEST_ROOT, bounded
 * reads and single writes of device and configfs attributes, and the
 * sealing key file of TEEs without a hardware sealing key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest_int.h"

char *attest_path(const char *abs_path)
{
	const char *root = getenv(ATTEST_ROOT_ENV);
	size_t n;
	char *p;

	if (!root)
		root = "";
	n = strlen(root) + strlen(abs_path) + 1;
	p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s", root, abs_path);
	return p;
}

bool attest_path_exists(const char *abs_path, bool is_dir)
{
	char *p = attest_path(abs_path);
	struct stat st;
	bool ok;

	if (!p)
		return false;
	ok = stat(p, &st) == 0 && (!is_dir || S_ISDIR(st.st_mode));
	free(p);
	return ok;
}

enum dcr_err attest_read_file(const char *path, size_t max, struct dcr_buf *out,
                              struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	uint8_t chunk[16384];
	size_t total = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO, "%s: %s",
		                path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* configfs says EFBIG when the blob exceeds its own limit */
			err = dcr_fail(msg, errno == EFBIG ? DCR_ERR_TOO_BIG : DCR_ERR_IO, "%s: %s",
			               path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > max - total) {
			err = dcr_fail(msg, DCR_ERR_TOO_BIG, "%s: more than %zu bytes", path, max);
			break;
		}
		total += (size_t)n;
		err = dcr_buf_append(out, chunk, (size_t)n);
		if (err) {
			dcr_msg_set(msg, "%s: %s", path, dcr_strerror(err));
			break;
		}
	}
	dcr_wipe(chunk, sizeof(chunk));
	close(fd);
	return err;
}

enum dcr_err attest_write_file(const char *path, const void *data, size_t size,
                               struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO, "%s: %s",
		                path, strerror(errno));
	do
		n = write(fd, data, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
	else if ((size_t)n != size)
		err = dcr_fail(msg, DCR_ERR_IO, "%s: wrote %zd of %zu bytes", path, n, size);
	if (close(fd) < 0 && !err)
		err = dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
	return err;
}

/* Reads the existing key file at path into out: a regular file of exactly
 * DCR_SEALING_KEY_SIZE bytes that only its owner can read or write. */
static enum dcr_err load_keyfile(const char *who, const char *path,
                                 uint8_t out[static DCR_SEALING_KEY_SIZE], struct dcr_msg *msg)
{
	uint8_t buf[DCR_SEALING_KEY_SIZE + 1];
	enum dcr_err err = DCR_OK;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO, "%s: %s: %s",
		                who, path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err = dcr_fail(msg, DCR_ERR_INVALID, "%s: %s: not a regular file", who, path);
		goto out;
	}
	if (st.st_mode & 077) {
		err = dcr_fail(msg, DCR_ERR_PERM,
		               "%s: %s is readable or writable by group or others; "
		               "`chmod 600 %s` if nobody else has read it",
		               who, path, path);
		goto out;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = dcr_fail(msg, DCR_ERR_IO, "%s: %s: %s", who, path, strerror(errno));
	else if (n != DCR_SEALING_KEY_SIZE)
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "%s: %s is not a sealing key file (%d bytes expected)", who, path,
		               DCR_SEALING_KEY_SIZE);
	else
		memcpy(out, buf, DCR_SEALING_KEY_SIZE);
out:
	dcr_wipe(buf, sizeof(buf));
	close(fd);
	return err;
}

enum dcr_err attest_keyfile_sealing_key(const char *who, const struct dcr_attest_env *env,
                                        uint8_t out[static DCR_SEALING_KEY_SIZE],
                                        struct dcr_msg *msg)
{
	uint8_t key[DCR_SEALING_KEY_SIZE];
	enum dcr_err err;
	char *path;
	size_t n;

	memset(out, 0, DCR_SEALING_KEY_SIZE);
	if (!env || !env->data_dir || !*env->data_dir)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "%s: no data directory: the sealing key is kept there", who);
	n = strlen(env->data_dir) + sizeof("/" ATTEST_KEYFILE_NAME);
	path = malloc(n);
	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	snprintf(path, n, "%s/" ATTEST_KEYFILE_NAME, env->data_dir);

	err = load_keyfile(who, path, out, msg);
	if (err != DCR_ERR_NOT_FOUND)
		goto out;
	dcr_random(key, sizeof(key));
	/* without DCR_WRITE_REPLACE: never overwrites a key another start made */
	err = dcr_file_write_atomic(path, key, sizeof(key), 0600, 0, msg);
	dcr_wipe(key, sizeof(key));
	if (err && err != DCR_ERR_EXISTS) {
		dcr_msg_prefix(msg, "%s: making the sealing key: ", who);
		goto out;
	}
	/* read back what is on disk now (ours, or one made at the same time) */
	err = load_keyfile(who, path, out, msg);
	if (!err)
		dcr_log_info("%s: made the sealing key %s", who, path);
out:
	if (err)
		memset(out, 0, DCR_SEALING_KEY_SIZE);
	free(path);
	return err;
}
