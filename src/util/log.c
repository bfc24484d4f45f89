/* SPDX-License-Identifier: Apache-2.0 */
/* Leveled logging to stderr; one write per line so threads do not interleave. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcr/util.h"

static int log_level = -1; /* -1: not yet read from DCR_LOG */

static enum dcr_log_level level_from_env(void)
{
	const char *v = getenv("DCR_LOG");

	if (!v)
		return DCR_LOG_WARN;
	if (!strcmp(v, "error"))
		return DCR_LOG_ERROR;
	if (!strcmp(v, "info"))
		return DCR_LOG_INFO;
	if (!strcmp(v, "debug"))
		return DCR_LOG_DEBUG;
	return DCR_LOG_WARN;
}

void dcr_log_set_level(enum dcr_log_level level)
{
	log_level = (int)level;
}

enum dcr_log_level dcr_log_get_level(void)
{
	if (log_level < 0)
		log_level = (int)level_from_env();
	return (enum dcr_log_level)log_level;
}

void dcr_log(enum dcr_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char line[2048];
	va_list ap;
	int n, m;

	if (level > dcr_log_get_level())
		return;
	n = snprintf(line, sizeof(line), "dcr: %s: ", names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* A failed write to stderr has nowhere to be reported. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
