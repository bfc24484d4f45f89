/* SPDX-License-Identifier: Apache-2.0 */
/* Size-capped growable byte buffer (in the spirit of curl's dynbuf). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/util.h"

void dcr_wipe(void *p, size_t size)
{
	if (p && size)
		explicit_bzero(p, size);
}

void dcr_buf_init(struct dcr_buf *b, size_t max)
{
	assert(b);
	b->data = NULL;
	b->size = 0;
	b->cap = 0;
	b->max = max;
	b->secret = false;
}

enum dcr_err dcr_buf_reserve(struct dcr_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	assert(b);
	if (extra > b->max || b->size > b->max - extra || b->size + extra == SIZE_MAX)
		return DCR_ERR_TOO_BIG;
	need = b->size + extra + 1; /* room for the terminating NUL */
	if (need <= b->cap)
		return DCR_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (b->max < SIZE_MAX && cap > b->max + 1)
		cap = b->max + 1;
	if (b->secret) {
		/* realloc could leave a copy of the secret behind */
		p = malloc(cap);
		if (!p)
			return DCR_ERR_NOMEM;
		if (b->data) {
			memcpy(p, b->data, b->size + 1);
			dcr_wipe(b->data, b->cap);
			free(b->data);
		}
	} else {
		p = realloc(b->data, cap);
		if (!p)
			return DCR_ERR_NOMEM;
	}
	b->data = p;
	b->cap = cap;
	return DCR_OK;
}

enum dcr_err dcr_buf_append(struct dcr_buf *b, const void *data, size_t size)
{
	enum dcr_err err = dcr_buf_reserve(b, size);

	if (err)
		return err;
	if (size)
		memcpy(b->data + b->size, data, size);
	b->size += size;
	b->data[b->size] = '\0';
	return DCR_OK;
}

enum dcr_err dcr_buf_printf(struct dcr_buf *b, const char *fmt, ...)
{
	va_list ap;
	enum dcr_err err;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return DCR_ERR_INVALID;
	err = dcr_buf_reserve(b, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->size, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->size += (size_t)n;
	return DCR_OK;
}

void dcr_buf_reset(struct dcr_buf *b)
{
	if (b->secret && b->data)
		dcr_wipe(b->data, b->cap);
	b->size = 0;
	if (b->data)
		b->data[0] = '\0';
}

void dcr_buf_free(struct dcr_buf *b)
{
	if (!b)
		return;
	if (b->secret && b->data)
		dcr_wipe(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->size = 0;
	b->cap = 0;
}
