/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the cmocka unit tests: include after <cmocka.h>. */
#ifndef DCR_TESTUTIL_H
#define DCR_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcr/util.h"

/* A fresh private directory under $TMPDIR (or /tmp); removed by tu_rmdir. */
static inline char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(4096);

	assert_non_null(path);
	snprintf(path, 4096, "%s/dcr-test-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(path));
	return path;
}

/* Removes dir and everything in it, then frees the path. */
static inline void tu_rmdir(char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* dir + "/" + name in a static buffer (one at a time). */
static inline const char *tu_path(const char *dir, const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Writes text to path (mode 0644), asserting success. */
static inline void tu_write(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

/* Asserts that msg contains needle (a user-visible part of an error). */
#define tu_assert_msg(msg, needle)                                                  \
	do {                                                                         \
		if (!strstr((msg)->text, (needle)))                                   \
			fail_msg("message \"%s\" lacks \"%s\"", (msg)->text, (needle)); \
	} while (0)

#endif
