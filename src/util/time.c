/* SPDX-License-Identifier: Apache-2.0 */
/* UTC timestamps in the one form contracts use: YYYY-MM-DDTHH:MM:SSZ. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dcr/util.h"

int64_t dcr_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Count from 0000-03-01 so that the leap day ends each 400-year era. */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

enum dcr_err dcr_time_parse(const char *s, int64_t *out)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, se;

	*out = 0;
	for (int i = 0; i < 20; i++)
		if (!s[i])
			return DCR_ERR_INVALID;
	if (s[20] || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return DCR_ERR_INVALID;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    se < 0 || se > 59)
		return DCR_ERR_INVALID;
	if (d > mdays[mo - 1])
		return DCR_ERR_INVALID;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return DCR_ERR_INVALID;
	*out = dcr_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return DCR_OK;
}

void dcr_time_format(int64_t t, char out[static 21])
{
	time_t tt = (time_t)t;
	char text[64]; /* roomy, so the compiler can see nothing is cut */
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		snprintf(out, 21, "%s", "9999-12-31T23:59:59Z");
		return;
	}
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, text, 20);
	out[20] = '\0';
}

static bool is_leap(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

enum dcr_err dcr_date_parse(const char *s, size_t len, int32_t *out)
{
	static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	*out = 0;
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return DCR_ERR_INVALID;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1)
		return DCR_ERR_INVALID;
	if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
		return DCR_ERR_INVALID;
	*out = (int32_t)dcr_days_from_civil(y, (unsigned)m, (unsigned)d);
	return DCR_OK;
}

void dcr_date_format(int32_t days, char out[static 11])
{
	/* inverse of dcr_days_from_civil, same era arithmetic */
	int64_t z = (int64_t)days + 719468, era, doe, yoe, y, doy, mp, d, m;

	if (days < -719528) /* before 0000-01-01 */
		z = -719528 + 719468;
	if (days > 2932896) /* after 9999-12-31 */
		z = 2932896 + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}
