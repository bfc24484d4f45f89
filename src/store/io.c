/* SPDX-License-Identifier: Apache-2.0 */
/* The system calls under sealed files and the audit log: full reads and
 * writes that survive EINTR and short counts, and the directory fsync that
 * makes a rename durable. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

enum dcr_err store_read_at(const struct store_src *src, uint64_t off, void *buf, size_t n,
                           size_t *out_got, struct dcr_msg *msg)
{
	uint8_t *p = buf;
	size_t got = 0;

	*out_got = 0;
	if (src->fd < 0) {
		if (off < src->size) {
			got = src->size - off < n ? (size_t)(src->size - off) : n;
			memcpy(p, src->mem + off, got);
		}
		*out_got = got;
		return DCR_OK;
	}
	while (got < n) {
		ssize_t r = pread(src->fd, p + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return dcr_fail(msg, DCR_ERR_IO, "%s: cannot read: %s", src->name,
			                strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*out_got = got;
	return DCR_OK;
}

int store_write_all(int fd, const void *data, size_t size)
{
	const uint8_t *p = data;

	while (size) {
		ssize_t w = write(fd, p, size);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		size -= (size_t)w;
	}
	return 0;
}

int store_pwrite_all(int fd, const void *data, size_t size, uint64_t off)
{
	const uint8_t *p = data;

	while (size) {
		ssize_t w = pwrite(fd, p, size, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		off += (uint64_t)w;
		size -= (size_t)w;
	}
	return 0;
}

enum dcr_err store_fsync_dir(const char *path, struct dcr_msg *msg)
{
	char *copy = strdup(path);
	enum dcr_err err = DCR_OK;
	int fd;

	if (!copy)
		return dcr_fail(msg, DCR_ERR_NOMEM, "%s: out of memory", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* without this the new name may vanish in a power loss, although the
	 * data it names was synced */
	if (fd < 0 || fsync(fd) < 0)
		err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot sync its directory: %s", path,
		               strerror(errno));
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}
