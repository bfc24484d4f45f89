/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the check of the SNP certificate table the host hands
 * the snp producer (configfs-tsm auxblob). Whatever it accepts must have an
 * all-zero entry with every entry before it inside the table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[24];
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		abort();
	/* an exact-size copy, so that ASan sees any read past the end */
	memcpy(copy, data, size);
	if (attest_snp_cert_table_ok(copy, size)) {
		size_t off = 0;

		for (;; off += 24) {
			if (size - off < 24)
				abort(); /* accepted without a terminating entry */
			if (!memcmp(copy + off, zero, 24))
				break;
			if ((uint64_t)le32(copy + off + 16) + le32(copy + off + 20) > size)
				abort(); /* accepted an entry pointing outside */
		}
	}
	free(copy);
	return 0;
}
