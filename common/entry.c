/*
 * Backup entries from the lines other tools print. A line is told by its
 * shape, and then must be that format exactly:
 *
 * - a line with a TAB: an s3ls listing line (listing.h);
 * - "YYYY-MM-DD HH:MM:SS " and a size right-aligned in 10 columns, then
 *   one space and the name: an `aws s3 ls` line, in local time (TZ); 27
 *   spaces and "PRE " is one of its prefixes;
 * - spaces, a size, one space, "YYYY-MM-DD HH:MM:SS.F" (F: 1 to 9 digits),
 *   one space and the name: an `rclone lsl` line, in local time;
 * - and last, whatever the shape, the path of a regular file, stat()ed
 *   for its mtime and size.
 *
 * A line of none of these is not an entry: the reason given is that of the
 * format it looked like. Every time must lie within LISTING_TIME_MIN..MAX.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "entry.h"
#include "listing.h"
#include "units.h"

static const char not_entry[] =
    "not a listing line, an aws s3 ls or rclone lsl line, or a readable file";

static bool
in_range(int64_t t)
{
	return t >= LISTING_TIME_MIN && t <= LISTING_TIME_MAX;
}

/* Seconds for a local date and time, as aws s3 ls and rclone print them;
 * -1 for one the clock skips (a change to summer time) or out of range. */
static int
local_seconds(const int v[6], int64_t *t)
{
	struct tm tm = { 0 };
	time_t s;

	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	tm.tm_isdst = -1;
	s = mktime(&tm);
	if (s == (time_t)-1 || tm.tm_year != v[0] - 1900 || tm.tm_mon != v[1] - 1 ||
	    tm.tm_mday != v[2] || tm.tm_hour != v[3] || tm.tm_min != v[4] || tm.tm_sec != v[5] ||
	    !in_range((int64_t)s))
		return -1;
	*t = (int64_t)s;
	return 0;
}

/* 1, 0 (a prefix), -1 with *why when the line is an aws s3 ls line gone
 * wrong, -2 when it does not look like one. */
static int
aws_line(char *line, struct entry *e, const char **why)
{
	int v[6];
	char *p;
	size_t pad, digits;

	if (strspn(line, " ") == 27 && strncmp(line + 27, "PRE ", 4) == 0 && line[31] != '\0')
		return 0;
	if (strspn(line, "0123456789") != 4 || line[4] != '-' || strspn(line + 5, "0123456789-") != 5 ||
	    line[10] != ' ')
		return -2;
	*why = "not an aws s3 ls line: the time is not a local time like 2026-01-26 03:00:15";
	if (listing_civil(line, ' ', v) != 0 || line[19] != ' ' || local_seconds(v, &e->time) != 0)
		return -1;
	p = line + 20;
	pad = strspn(p, " ");
	digits = strspn(p + pad, "0123456789");
	*why = "not an aws s3 ls line: the size is not a number of bytes right-aligned in 10 columns";
	if (digits == 0 || p[pad + digits] != ' ' || pad + digits != (digits < 10 ? 10 : digits) ||
	    listing_size(p + pad, digits, &e->size) != 0)
		return -1;
	e->name = p + pad + digits + 1;
	*why = "not an aws s3 ls line: no name after the size";
	return *e->name ? 1 : -1;
}

/* As aws_line, for rclone lsl. */
static int
rclone_line(char *line, struct entry *e, const char **why)
{
	int v[6];
	char *p = line + strspn(line, " "), *t;
	size_t digits = strspn(p, "0123456789"), frac;

	if (digits == 0 || p[digits] != ' ')
		return -2;
	t = p + digits + 1;
	if (strspn(t, "0123456789") != 4 || t[4] != '-')
		return -2;
	*why = "not an rclone lsl line: the size is not a number of bytes";
	if (listing_size(p, digits, &e->size) != 0)
		return -1;
	*why = "not an rclone lsl line: the time is not a local time like 2026-01-26 03:00:15.123456789";
	if (listing_civil(t, ' ', v) != 0 || t[19] != '.' || local_seconds(v, &e->time) != 0)
		return -1;
	frac = strspn(t + 20, "0123456789");
	if (frac < 1 || frac > 9 || t[20 + frac] != ' ')
		return -1;
	e->name = t + 20 + frac + 1;
	*why = "not an rclone lsl line: no name after the time";
	return *e->name ? 1 : -1;
}

/* As aws_line, for listing lines (any line with a TAB). */
static int
listing_line(char *line, struct entry *e, const char **why)
{
	struct listing l;

	if (strchr(line, '\t') == NULL)
		return -2;
	if (listing_parse(line, &l, why) != 0)
		return -1;
	if (l.size < 0)
		return 0;	/* a common prefix */
	/* Listing lines percent-encode what would break a line: the name is
	 * the URL decoded (DESIGN.md: every reader decodes). */
	if (listing_decode(l.url) != 0) {
		*why = "not a listing line: a bad escape in the URL";
		return -1;
	}
	*e = (struct entry){ l.mtime, l.size, l.url, NULL };
	return 1;
}

int
entry_parse(char *line, const char *name_time_format, struct entry *e, const char **why)
{
	static int (*const formats[])(char *, struct entry *, const char **) = {
		listing_line, aws_line, rclone_line,
	};
	const char *claim = NULL;
	struct stat st;
	int r = -2;

	*e = (struct entry){ 0, 0, NULL, NULL };
	if (*line == '\0')
		return 0;
	/* A line of a format gone wrong is still tried as a path: the
	 * parsers change the line only when it is theirs. */
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]) && r == -2; i++) {
		r = formats[i](line, e, &claim);
		if (r < 0)
			*e = (struct entry){ 0, 0, NULL, NULL };
	}
	if (r == 0)
		return 0;
	if (r < 0) {
		if (stat(line, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
			*why = claim ? claim : not_entry;
			return -1;
		}
		if (!in_range((int64_t)st.st_mtime)) {
			*why = "the file's modification time is before 1970 or after 9999";
			return -1;
		}
		*e = (struct entry){ (int64_t)st.st_mtime, (int64_t)st.st_size, line, NULL };
	}
	if (name_time_format && entry_name_time(name_time_format, e->name, &e->time) != 0) {
		*why = "no time in the name";
		return -1;
	}
	return 1;
}

const char *
entry_name_time_check(const char *fmt)
{
	int seen[6] = { 0 };
	static const char conv[] = "YmdHMS";

	for (const char *f = fmt; *f; f++) {
		const char *k;

		if (*f != '%')
			continue;
		if (f[1] == '%') {
			f++;
			continue;
		}
		if (f[1] == '\0' || (k = strchr(conv, f[1])) == NULL)
			return "only %Y %m %d %H %M %S and %% are understood";
		if (seen[k - conv]++)
			return "each of %Y %m %d %H %M %S may come once";
		f++;
	}
	if (!seen[0] || !seen[1] || !seen[2])
		return "needs %Y, %m and %d";
	return NULL;
}

/* The time FORMAT gives at name, or -1. */
static int
name_time_at(const char *fmt, const char *p, int64_t *t)
{
	static const char conv[] = "YmdHMS";
	int v[6] = { 0, 1, 1, 0, 0, 0 };	/* Y m d H M S */
	const char *k;

	for (const char *f = fmt; *f; f++) {
		if (*f == '%' && f[1] != '\0' && f[1] != '%' && (k = strchr(conv, f[1])) != NULL) {
			int width = f[1] == 'Y' ? 4 : 2, n = 0;

			for (int i = 0; i < width; i++, p++) {
				if (*p < '0' || *p > '9')
					return -1;
				n = n * 10 + (*p - '0');
			}
			v[k - conv] = n;
			f++;
		} else {
			if (*f == '%' && f[1] == '%')
				f++;
			if (*p != *f)	/* never past the NUL: *f is not one */
				return -1;
			p++;
		}
	}
	if (!listing_civil_valid(v))
		return -1;
	*t = units_timegm(v[0], v[1], v[2], v[3], v[4], v[5]);
	return 0;
}

int
entry_name_time(const char *fmt, const char *name, int64_t *t)
{
	for (const char *start = name; *start; start++)
		if (name_time_at(fmt, start, t) == 0)
			return 0;
	return -1;
}

void
entry_shown(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		bool esc = *p < 0x20 || *p == 0x7f || *p == '|';

		if (o + (esc ? 3 : 1) >= len)
			break;
		if (esc)
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = '\0';
}
