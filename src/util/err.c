/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes and the messages that explain them. */
#include <stdio.h>
#include <string.h>

#include "dcr/util.h"

const char *dcr_strerror(enum dcr_err err)
{
	switch (err) {
	case DCR_OK: return "success";
	case DCR_ERR_NOMEM: return "out of memory";
	case DCR_ERR_INVALID: return "invalid input";
	case DCR_ERR_TOO_BIG: return "input too large";
	case DCR_ERR_IO: return "input/output error";
	case DCR_ERR_NOT_FOUND: return "not found";
	case DCR_ERR_EXISTS: return "already exists";
	case DCR_ERR_PERM: return "permission problem";
	case DCR_ERR_VERIFY: return "verification failed";
	case DCR_ERR_TRUNCATED: return "input truncated";
	case DCR_ERR_EXPIRED: return "expired";
	case DCR_ERR_REFUSED: return "refused by the rules";
	case DCR_ERR_UNSUPPORTED: return "not supported";
	case DCR_ERR_USAGE: return "usage error";
	case DCR_ERR_INTERNAL: return "internal error";
	case DCR_ERR_SQL: return "unparsable or unsupported SQL";
	}
	return "unknown error";
}

void dcr_msg_set(struct dcr_msg *msg, const char *fmt, ...)
{
	va_list ap;

	if (!msg)
		return;
	va_start(ap, fmt);
	vsnprintf(msg->text, sizeof(msg->text), fmt, ap);
	va_end(ap);
}

void dcr_msg_prefix(struct dcr_msg *msg, const char *fmt, ...)
{
	char head[DCR_MSG_SIZE];
	char old[DCR_MSG_SIZE];
	va_list ap;

	if (!msg)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, msg->text, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* truncation is acceptable: the head says where, the tail what */
	size_t n = strlen(head), m = strlen(old);
	if (m > sizeof(msg->text) - 1 - n)
		m = sizeof(msg->text) - 1 - n;
	memcpy(msg->text, head, n);
	memcpy(msg->text + n, old, m);
	msg->text[n + m] = '\0';
}

enum dcr_err dcr_fail(struct dcr_msg *msg, enum dcr_err err, const char *fmt, ...)
{
	va_list ap;

	if (msg) {
		va_start(ap, fmt);
		vsnprintf(msg->text, sizeof(msg->text), fmt, ap);
		va_end(ap);
	}
	return err;
}
