/* Listing lines and backup entries, as each tool prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entry.h"
#include "listing.h"
#include "tap.h"

static int
parse(const char *text, const char *fmt, struct entry *e)
{
	static char line[512];

	snprintf(line, sizeof(line), "%s", text);
	return entry_parse(line, fmt, e);
}

int
main(void)
{
	struct listing l;
	struct entry e;
	char line[256], path[] = "/tmp/bkpipe-entry-XXXXXX";
	int fd;

	strcpy(line, "2026-01-26T03:00:15Z\t52428800\ts3://b/db/x%20y.sql.gz");
	ok(listing_parse(line, &l) == 0 && l.mtime == 1769396415 && l.size == 52428800 &&
	    strcmp(l.url, "s3://b/db/x%20y.sql.gz") == 0, "a listing line");
	strcpy(line, "-\t-\ts3://b/db/");
	ok(listing_parse(line, &l) == 0 && l.size == -1, "a common prefix line");
	strcpy(line, "2026-01-26T03:00:15\t1\ts3://b/k");
	ok(listing_parse(line, &l) == -1 && strcmp(line, "2026-01-26T03:00:15\t1\ts3://b/k") == 0,
	    "a time without Z is not a listing line, and the line is left as it was");
	strcpy(line, "2026-01-26T03:00:15Z\t-1\ts3://b/k");
	ok(listing_parse(line, &l) == -1, "a negative size is not a listing line");
	strcpy(line, "2026-01-26T03:00:15Z\t1\t/local/path");
	ok(listing_parse(line, &l) == -1, "a URL that is not s3:// is not a listing line");
	strcpy(line, "2026-01-26T03:00:15Z\t1\ts3://b/k");
	is_str(listing_url(line), "s3://b/k", "listing_url takes the last field");
	strcpy(line, "s3://b/bare");
	is_str(listing_url(line), "s3://b/bare", "or the whole line");

	setenv("TZ", "UTC", 1);
	ok(parse("2026-01-26 03:00:15   52428800 db/my backup.sql.gz", NULL, &e) == 1 &&
	    e.time == 1769396415 && e.size == 52428800 && strcmp(e.name, "db/my backup.sql.gz") == 0,
	    "an aws s3 ls line, a name with a space");
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	ok(parse("2026-01-26 08:30:15          1 x", NULL, &e) == 1 && e.time == 1769396415,
	    "aws s3 ls times are local: 08:30:15 in Kolkata is 03:00:15Z");
	setenv("TZ", "UTC", 1);
	tzset();
	is_int(parse("                           PRE db/", NULL, &e), 0, "an aws s3 ls PRE line is skipped");
	ok(parse("  52428800 2026-01-26 03:00:15.123456789 db/x.sql.gz", NULL, &e) == 1 &&
	    e.time == 1769396415 && e.size == 52428800 && strcmp(e.name, "db/x.sql.gz") == 0,
	    "an rclone lsl line");
	is_int(parse("", NULL, &e), 0, "a blank line is skipped");
	is_int(parse("no such thing", NULL, &e), -1, "anything else is not an entry");

	if ((fd = mkstemp(path)) >= 0 && write(fd, "12345", 5) == 5) {
		ok(parse(path, NULL, &e) == 1 && e.size == 5, "a local path is stat()ed");
		close(fd);
		unlink(path);
	}
	ok(parse("2026-01-26T03:00:15Z\t1\ts3://b/db/2025-12-31_23-59-58.sql.gz",
	    "%Y-%m-%d_%H-%M-%S", &e) == 1 && e.time == 1767225598, "--name-time reads the name");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3://b/db/latest.sql.gz", "%Y-%m-%d", &e), -1,
	    "a name without the time is not an entry");
	ok(entry_name_time("db-%Y%m%dT%H%M%SZ", "x/db-20260126T030015Z.gz", &e.time) == 0 &&
	    e.time == 1769396415, "a compact format");
	ok(entry_name_time("%Y-%m-%d", "2026-13-01", &e.time) == -1, "month 13 is no time");
	return tap_done();
}
