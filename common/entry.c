/*
 * Backup entries from the lines other tools print. Each line is tried as,
 * in turn: an s3ls listing line; an `aws s3 ls` line (local time, in TZ);
 * an `rclone lsl` line (local time); and last, a local path, stat()ed for
 * its mtime and size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "entry.h"
#include "listing.h"
#include "units.h"

/* Seconds for a local date and time, as aws s3 ls and rclone print them. */
static int
local_time(const char *d, int64_t *t)
{
	struct tm tm = { 0 };

	if (sscanf(d, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6 || d[4] != '-' || d[10] != ' ')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	*t = (int64_t)mktime(&tm);
	return 0;
}

int
entry_name_time(const char *fmt, const char *name, int64_t *t)
{
	for (const char *start = name; *start; start++) {
		int v[6] = { 0, 1, 1, 0, 0, 0 };	/* Y m d H M S */
		const char *f = fmt, *p = start;

		for (; *f && *p; f++) {
			static const char conv[] = "YmdHMS";
			const char *k;

			if (*f == '%' && f[1] && (k = strchr(conv, f[1])) && f[1] != '\0') {
				int width = f[1] == 'Y' ? 4 : 2, n = 0;

				for (int i = 0; i < width; i++, p++) {
					if (*p < '0' || *p > '9')
						goto next;
					n = n * 10 + (*p - '0');
				}
				v[k - conv] = n;
				f++;
			} else if (*f == '%' && f[1] == '%') {
				if (*p++ != '%')
					goto next;
				f++;
			} else if (*p++ != *f) {
				goto next;
			}
		}
		if (*f == '\0' && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31 &&
		    v[3] <= 23 && v[4] <= 59 && v[5] <= 60) {
			*t = units_timegm(v[0], v[1], v[2], v[3], v[4], v[5]);
			return 0;
		}
next:		;
	}
	return -1;
}

int
entry_parse(char *line, const char *name_time_format, struct entry *e)
{
	struct listing l;
	char *p = line, *end;
	struct stat st;

	if (*line == '\0')
		return 0;
	if (listing_parse(line, &l) == 0) {
		if (l.size < 0)
			return 0;	/* a common prefix */
		/* Listing lines percent-encode what would break a line: the
		 * name is the URL decoded (DESIGN.md: every reader decodes). */
		if (listing_decode(l.url) != 0)
			return -1;
		*e = (struct entry){ l.mtime, l.size, l.url, NULL };
	} else if (strspn(line, " ") > 0 && strncmp(line + strspn(line, " "), "PRE ", 4) == 0) {
		return 0;		/* aws s3 ls: a prefix */
	} else if (local_time(line, &e->time) == 0 && line[19] == ' ') {
		/* aws s3 ls: 2026-01-26 03:00:15   52428800 db/x.sql.gz */
		p = line + 19 + strspn(line + 19, " ");
		e->size = strtoll(p, &end, 10);
		if (end == p || *end != ' ' || e->size < 0)
			return -1;
		e->name = end + 1;
	} else if (*(p += strspn(p, " ")) >= '0' && *p <= '9' &&
	    (e->size = strtoll(p, &end, 10)) >= 0 && *end == ' ' &&
	    local_time(end + 1, &e->time) == 0 && end[20] == '.') {
		/* rclone lsl:  52428800 2026-01-26 03:00:15.123456789 db/x.sql.gz */
		p = strchr(end + 20, ' ');
		if (p == NULL)
			return -1;
		e->name = p + 1;
	} else if (stat(line, &st) == 0 && S_ISREG(st.st_mode)) {
		*e = (struct entry){ (int64_t)st.st_mtime, (int64_t)st.st_size, line, NULL };
	} else {
		return -1;
	}
	if (name_time_format && entry_name_time(name_time_format, e->name, &e->time) != 0)
		return -1;
	return 1;
}
