/* SPDX-License-Identifier: Apache-2.0 */
/* Linux configfs-tsm reports (TDX and SEV-SNP guests, Linux >= 6.7): one
 * fresh entry per request, report data in, quote or report out, a check
 * that no other writer raced this one, and the entry removed on every path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "../attest_int.h"

#define CONFIGFS_MAGIC 0x62656570 /* statfs f_type of configfs (fs/configfs) */

#define ATTR_WAIT_MS 2000 /* see wait_for_attributes */

/* The attributes of a report entry (all that a plain-directory stand-in,
 * see remove_entry, may hold). */
static const char *const attributes[] = {
	"inblob", "outblob", "auxblob", "generation", "provider",
	"privlevel", "privlevel_floor", "manifestblob", "service_provider",
	"service_guid", "service_manifest_version",
};

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Reads a short text attribute of entry (generation, provider, ...) into
 * text, without its trailing newline. */
static enum dcr_err read_text(const char *entry, const char *name, char *text, size_t size,
                              struct dcr_msg *msg)
{
	struct dcr_buf b;
	enum dcr_err err;
	char *path = join(entry, name);

	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	dcr_buf_init(&b, TSM_SHORT_MAX);
	err = attest_read_file(path, TSM_SHORT_MAX, &b, msg);
	free(path);
	if (!err) {
		size_t n = b.size;

		while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == ' '))
			n--;
		if (n >= size || (n && memchr(b.data, '\0', n)))
			err = dcr_fail(msg, DCR_ERR_INVALID, "%s/%s: not a short text value", entry,
			               name);
		else {
			if (n)
				memcpy(text, b.data, n);
			text[n] = '\0';
		}
	}
	dcr_buf_free(&b);
	return err;
}

static enum dcr_err read_number(const char *entry, const char *name, unsigned long long *out,
                                struct dcr_msg *msg)
{
	char text[TSM_SHORT_MAX + 1], *end;
	enum dcr_err err;

	*out = 0;
	err = read_text(entry, name, text, sizeof(text), msg);
	if (err)
		return err;
	errno = 0;
	*out = strtoull(text, &end, 10);
	if (!text[0] || text[0] == '-' || *end || errno)
		return dcr_fail(msg, DCR_ERR_INVALID, "%s/%s: \"%s\" is not a number", entry, name,
		                text);
	return DCR_OK;
}

/* configfs makes an entry's attributes together with the directory. A test
 * stands a plain directory in for configfs, and its fake kernel fills a new
 * entry a moment after the mkdir: wait for that (never on configfs, where
 * generation is there at once). */
static enum dcr_err wait_for_attributes(const char *entry, struct dcr_msg *msg)
{
	char *path = join(entry, "generation");
	struct stat st;

	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	for (int ms = 0; stat(path, &st) != 0; ms++) {
		if (errno != ENOENT || ms >= ATTR_WAIT_MS) {
			dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
			free(path);
			return DCR_ERR_IO;
		}
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	free(path);
	return DCR_OK;
}

/* rmdir of the entry: the kernel discards the report with it. A plain
 * directory standing in for configfs (tests) holds real files that rmdir
 * will not remove; only there are they unlinked first. */
static void remove_entry(const char *who, const char *entry)
{
	struct statfs fs;
	int saved;

	if (rmdir(entry) == 0)
		return;
	saved = errno;
	if (saved == ENOTEMPTY && statfs(entry, &fs) == 0 && fs.f_type != CONFIGFS_MAGIC) {
		for (size_t i = 0; i < sizeof(attributes) / sizeof(attributes[0]); i++) {
			char *p = join(entry, attributes[i]);

			if (p)
				unlink(p);
			free(p);
		}
		if (rmdir(entry) == 0)
			return;
		saved = errno;
	}
	dcr_log_warn("%s: cannot remove the configfs-tsm entry %s: %s", who, entry,
	             strerror(saved));
}

/* Writes privlevel = privlevel_floor (0 for a guest at VMPL0) when the
 * entry has one; *writes counts it. */
static enum dcr_err write_privlevel(const char *entry, unsigned *writes, struct dcr_msg *msg)
{
	unsigned long long floor = 0;
	char text[24], *path;
	enum dcr_err err;
	struct stat st;

	path = join(entry, "privlevel");
	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	if (stat(path, &st) != 0) {
		free(path);
		return DCR_OK; /* a kernel without privilege levels */
	}
	err = read_number(entry, "privlevel_floor", &floor, msg);
	if (err == DCR_ERR_NOT_FOUND) {
		floor = 0;
		err = DCR_OK;
	}
	if (!err && floor > 3)
		err = dcr_fail(msg, DCR_ERR_INVALID, "%s/privlevel_floor: %llu is not a VMPL (0-3)",
		               entry, floor);
	if (!err) {
		snprintf(text, sizeof(text), "%llu\n", floor);
		err = attest_write_file(path, text, strlen(text), msg);
		if (!err)
			(*writes)++;
	}
	free(path);
	return err;
}

enum dcr_err attest_tsm_report(const char *who, const struct tsm_request *req,
                               const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                               struct dcr_msg *msg)
{
	unsigned long long gen_before = 0, gen_after = 0;
	char provider[TSM_SHORT_MAX + 1], name[64];
	char *dir = NULL, *entry = NULL, *path = NULL;
	bool made = false;
	unsigned writes = 0;
	enum dcr_err err;
	uint64_t nonce;

	dir = attest_path(TSM_REPORT_DIR);
	if (!dir) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* unique among processes and among requests of this one */
	dcr_random(&nonce, sizeof(nonce));
	snprintf(name, sizeof(name), "dcr-%ld-%016llx", (long)getpid(),
	         (unsigned long long)nonce);
	entry = join(dir, name);
	if (!entry) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mkdir(entry, 0700) != 0) {
		if (errno == ENOENT)
			err = dcr_fail(msg, DCR_ERR_UNSUPPORTED,
			               "%s: no configfs-tsm here (%s is missing): it needs Linux >= "
			               "6.7 with the guest driver loaded and configfs mounted on "
			               "/sys/kernel/config",
			               who, dir);
		else
			err = dcr_fail(msg, DCR_ERR_IO, "%s: cannot make a configfs-tsm report %s: %s",
			               who, entry, strerror(errno));
		goto out;
	}
	made = true;

	err = wait_for_attributes(entry, msg);
	if (!err)
		err = read_number(entry, "generation", &gen_before, msg);
	if (!err)
		err = read_text(entry, "provider", provider, sizeof(provider), msg);
	if (err)
		goto fail;
	if (strcmp(provider, req->provider) != 0) {
		err = dcr_fail(msg, DCR_ERR_UNSUPPORTED,
		               "%s: the configfs-tsm provider here is \"%s\", not \"%s\"", who,
		               provider, req->provider);
		goto fail;
	}

	if (req->set_privlevel) {
		err = write_privlevel(entry, &writes, msg);
		if (err)
			goto fail;
	}
	path = join(entry, "inblob");
	if (!path) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto fail;
	}
	err = attest_write_file(path, report_data, DCR_REPORT_DATA_SIZE, msg);
	free(path);
	path = NULL;
	if (err)
		goto fail;
	writes++;

	path = join(entry, "outblob");
	if (!path) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto fail;
	}
	err = attest_read_file(path, TSM_OUTBLOB_MAX, req->outblob, msg);
	free(path);
	path = NULL;
	if (err)
		goto fail;
	if (!req->outblob->size) {
		err = dcr_fail(msg, DCR_ERR_IO, "%s: %s/outblob is empty", who, entry);
		goto fail;
	}
	if (req->auxblob) {
		path = join(entry, "auxblob");
		if (!path) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto fail;
		}
		err = attest_read_file(path, TSM_AUXBLOB_MAX, req->auxblob, msg);
		free(path);
		path = NULL;
		if (err == DCR_ERR_NOT_FOUND) /* a kernel without auxblob: no certificates */
			err = DCR_OK;
		if (err)
			goto fail;
	}

	/* Every write bumps generation: anything beyond ours means another
	 * process wrote to this entry, and the blobs may answer its request. */
	err = read_number(entry, "generation", &gen_after, msg);
	if (err)
		goto fail;
	if (gen_after != gen_before + writes) {
		err = dcr_fail(msg, DCR_ERR_IO,
		               "%s: another process wrote to the configfs-tsm report %s while dcr "
		               "used it (generation went from %llu to %llu, dcr wrote %u times); "
		               "try again",
		               who, entry, gen_before, gen_after, writes);
		goto fail;
	}
	goto out;
fail:
	dcr_buf_reset(req->outblob);
	if (req->auxblob)
		dcr_buf_reset(req->auxblob);
	if (msg && strncmp(msg->text, who, strlen(who)) != 0)
		dcr_msg_prefix(msg, "%s: configfs-tsm: ", who);
out:
	if (made)
		remove_entry(who, entry);
	free(entry);
	free(dir);
	return err;
}
