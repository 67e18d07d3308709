#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"

struct unit {
	const char *name;
	uint64_t factor;
};

static const struct unit size_units[] = {
	{ "", 1 }, { "B", 1 },
	{ "K", 1ULL << 10 }, { "KiB", 1ULL << 10 }, { "kB", 1000ULL },
	{ "M", 1ULL << 20 }, { "MiB", 1ULL << 20 }, { "MB", 1000000ULL },
	{ "G", 1ULL << 30 }, { "GiB", 1ULL << 30 }, { "GB", 1000000000ULL },
	{ "T", 1ULL << 40 }, { "TiB", 1ULL << 40 }, { "TB", 1000000000000ULL },
};

int
units_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	uint64_t whole = 0, frac = 0, scale = 1, factor = 0, fracbytes;
	const char *p = s;
	size_t i;

	if (!isdigit((unsigned char)*p)) {
		*why = "expected a number, like 64K or 1.5GiB";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10) {
			*why = "size too large";
			return -1;
		}
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			*why = "expected digits after the decimal point";
			return -1;
		}
		/* Up to 9 fraction digits are kept; more cannot matter for sizes. */
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++)
		if (strcmp(p, size_units[i].name) == 0)
			factor = size_units[i].factor;
	if (factor == 0) {
		*why = "unknown unit (use B, K, M, G, T, KiB..TiB, or kB..TB)";
		return -1;
	}
	if (scale > 1 && factor == 1 && frac != 0) {
		*why = "a number of bytes cannot have a fraction";
		return -1;
	}
	/* frac/scale of the factor, in integers; neither product can overflow
	 * since frac < scale <= 10^9 and factor <= 2^40. */
	fracbytes = frac * (factor / scale) + frac * (factor % scale) / scale;
	if (whole > UINT64_MAX / factor || whole * factor > UINT64_MAX - fracbytes) {
		*why = "size too large";
		return -1;
	}
	*bytes = whole * factor + fracbytes;
	return 0;
}

int
units_parse_duration(const char *s, int64_t *seconds, const char **why)
{
	static const char order[] = "wdhms";
	static const int64_t unit_secs[] = { 604800, 86400, 3600, 60, 1 };
	const char *p = s;
	int64_t total = 0;
	int last = -1;

	if (!isdigit((unsigned char)*p)) {
		*why = "expected a duration, like 26h, 90m, 7d or 1h30m";
		return -1;
	}
	while (*p != '\0') {
		int64_t n = 0;
		const char *u;
		int k;

		if (!isdigit((unsigned char)*p)) {
			*why = "expected a number before each unit";
			return -1;
		}
		for (; isdigit((unsigned char)*p); p++) {
			if (n > (INT64_MAX - 9) / 10) {
				*why = "duration too long";
				return -1;
			}
			n = n * 10 + (*p - '0');
		}
		if (*p == '\0' && last == -1) {
			*seconds = n;	/* bare number: seconds */
			return 0;
		}
		u = *p ? strchr(order, *p) : NULL;
		if (u == NULL) {
			*why = "unknown unit (use w, d, h, m, s)";
			return -1;
		}
		k = (int)(u - order);
		if (k <= last) {
			*why = "units must go from largest to smallest, each once";
			return -1;
		}
		if (n > (INT64_MAX - total) / unit_secs[k]) {
			*why = "duration too long";
			return -1;
		}
		total += n * unit_secs[k];
		last = k;
		p++;
	}
	*seconds = total;
	return 0;
}

void
units_fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s",
	    v, names[i]);
}

void
units_fmt_duration(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
int64_t
units_timegm(int y, int m, int d, int hh, int mm, int ss)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + hh * 3600 + mm * 60 + ss;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

static int
valid(int y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	(void)y;
	return mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] && h <= 23 && mi <= 59 && s <= 60;
}

int
units_parse_time(const char *s, int64_t *epoch)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0' || !valid(y, mo, d, h, mi, sec))
		return -1;
	*epoch = units_timegm(y, mo, d, h, mi, sec);
	return 0;
}

int
units_parse_http_date(const char *s, int64_t *epoch)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const char *p = strchr(s, ',');
	int d, y, h, mi, sec, mo = 0;

	if (p == NULL)
		return -1;
	for (p++; *p == ' '; p++)
		;
	if (digits(&p, 2, &d) || *p++ != ' ')
		return -1;
	while (mo < 12 && strncmp(p, months[mo], 3) != 0)
		mo++;
	if (mo == 12)
		return -1;
	p += 3;
	if (*p++ != ' ' || digits(&p, 4, &y) || *p++ != ' ' || digits(&p, 2, &h) ||
	    *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &sec) ||
	    strcmp(p, " GMT") != 0 || !valid(y, mo + 1, d, h, mi, sec))
		return -1;
	*epoch = units_timegm(y, mo + 1, d, h, mi, sec);
	return 0;
}

void
units_fmt_time(char *buf, size_t len, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	snprintf(buf, len, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64
	    ":%02" PRId64 "Z", y, m, d, secs / 3600, secs % 3600 / 60, secs % 60);
}

int
units_hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
