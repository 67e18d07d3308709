/* Listing lines and backup entries, as each tool prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entry.h"
#include "err.h"
#include "listing.h"
#include "tap.h"

static int
parse(const char *text, const char *fmt, struct entry *e)
{
	static char line[512];
	const char *why = NULL;
	int r;

	snprintf(line, sizeof(line), "%s", text);
	r = entry_parse(line, fmt, e, &why);
	if (r < 0 && why == NULL)
		return -9;	/* a refusal must say why */
	return r;
}

/* The reason entry_parse gives for text, or "" when it takes it. */
static const char *
why_not(const char *text)
{
	static char line[512];
	const char *why = NULL;
	struct entry e;

	snprintf(line, sizeof(line), "%s", text);
	return entry_parse(line, NULL, &e, &why) < 0 && why ? why : "";
}

/* Feed bytes to a listing_reader; the results of each listing_getline() as
 * a string: L<len> for a line, E for a refused one, . for the end. */
static void
read_lines(const char *bytes, size_t n, char *out, size_t outlen)
{
	FILE *f = tmpfile();
	struct listing_reader *rd = malloc(sizeof(*rd));
	size_t o = 0, len;
	const char *why;
	int r;

	out[0] = '\0';
	if (f == NULL || rd == NULL || fwrite(bytes, 1, n, f) != n)
		return;
	rewind(f);
	listing_reader_init(rd, f);
	do {
		why = NULL;
		r = listing_getline(rd, &len, &why);
		if (r == 1)
			o += (size_t)snprintf(out + o, outlen - o, "L%zu ", len);
		else if (r == -1)
			o += (size_t)snprintf(out + o, outlen - o, "E%lu ", rd->lineno);
		else
			o += (size_t)snprintf(out + o, outlen - o, r == 0 ? "." : "R");
	} while (r != 0 && r != -2 && o + 16 < outlen);
	fclose(f);
	free(rd);
}

/* listing_read_urls() over bytes: its status, and the URLs it gave, each
 * followed by a space, in got. */
static char urls_got[256];

static int
take_url(void *arg, const char *url)
{
	size_t o = strlen(urls_got);

	(void)arg;
	snprintf(urls_got + o, sizeof(urls_got) - o, "%s ", url);
	return 0;
}

static int
read_urls(const char *bytes, size_t n, bool https)
{
	FILE *f = tmpfile();
	int st;

	urls_got[0] = '\0';
	if (f == NULL || fwrite(bytes, 1, n, f) != n)
		return -99;
	rewind(f);
	st = listing_read_urls(f, https, take_url, NULL);
	fclose(f);
	return st;
}

static int
read_str(const char *s, bool https)
{
	return read_urls(s, strlen(s), https);
}

int
main(void)
{
	struct listing l;
	struct entry e;
	char line[256], path[] = "/tmp/bkpipe-entry-XXXXXX";
	int fd;

	strcpy(line, "2026-01-26T03:00:15Z\t52428800\ts3://b/db/x%20y.sql.gz");
	ok(listing_parse(line, &l, NULL) == 0 && l.mtime == 1769396415 && l.size == 52428800 &&
	    strcmp(l.url, "s3://b/db/x%20y.sql.gz") == 0, "a listing line");
	strcpy(line, "-\t-\ts3://b/db/");
	ok(listing_parse(line, &l, NULL) == 0 && l.size == -1, "a common prefix line");
	strcpy(line, "2026-01-26T03:00:15\t1\ts3://b/k");
	ok(listing_parse(line, &l, NULL) == -1 && strcmp(line, "2026-01-26T03:00:15\t1\ts3://b/k") == 0,
	    "a time without Z is not a listing line, and the line is left as it was");
	strcpy(line, "2026-01-26T03:00:15Z\t-1\ts3://b/k");
	ok(listing_parse(line, &l, NULL) == -1, "a negative size is not a listing line");
	strcpy(line, "2026-01-26T03:00:15Z\t1\t/local/path");
	ok(listing_parse(line, &l, NULL) == -1, "a URL that is not s3:// is not a listing line");
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

	/* Every parser stops where a short line ends: each prefix of a good
	 * line, in a buffer of exactly its size (AddressSanitizer sees a read
	 * past it), is refused or taken whole, never taken from elsewhere. */
	{
		static const char *good[] = {
			"2026-01-26T03:00:15.123Z\t52428800\ts3://b/db/x.sql.gz",
			"2026-01-26 03:00:15   52428800 db/x.sql.gz",
			"  52428800 2026-01-26 03:00:15.123456789 db/x.sql.gz",
			"                           PRE db/",
		};
		int bad = 0;

		for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
			for (size_t n = 0; n <= strlen(good[k]); n++) {
				char *b = malloc(n + 1);
				const char *why = NULL;
				int r;

				memcpy(b, good[k], n);
				b[n] = '\0';
				r = entry_parse(b, NULL, &e, &why);
				if ((r < 0 && why == NULL) || (r == 1 && (e.name == NULL || *e.name == '\0')))
					bad++;
				free(b);
			}
		}
		is_int(bad, 0, "every prefix of a good line: refused with a reason, or a whole entry");
	}
	is_int(parse("2026-01-26 3:0:0", NULL, &e), -1,
	    "2026-01-26 3:0:0 (the issue's short line) is not an entry");
	ok(strstr(why_not("2026-01-26 3:0:0"), "aws s3 ls") != NULL,
	    "and the reason is that of the format it looked like: %s", why_not("2026-01-26 3:0:0"));
	is_int(parse("2026-01-26 03:00:15          1 ", NULL, &e), -1, "an aws s3 ls line without a name");
	is_int(parse("2026-01-26 03:00:15 1 x", NULL, &e), -1,
	    "an aws s3 ls size not right-aligned in 10 columns");
	is_int(parse("2026-01-26 03:00:15 12345678901 x", NULL, &e), 1, "a size of 11 digits fills its column");
	is_int(parse("2026-01-26 03:00:15 99999999999999999999 x", NULL, &e), -1,
	    "a size past INT64_MAX is refused");
	is_int(parse("2026-02-29 03:00:15          1 x", NULL, &e), -1, "2026-02-29 does not exist");
	is_int(parse("2024-02-29 03:00:15          1 x", NULL, &e), 1, "2024-02-29 does");
	is_int(parse("2026-01-26 24:00:00          1 x", NULL, &e), -1, "hour 24 is refused");
	is_int(parse("  52428800 2026-01-26 03:00:15. x", NULL, &e), -1, "rclone: a fraction of no digits");
	is_int(parse("  52428800 2026-01-26 03:00:15.1234567890 x", NULL, &e), -1,
	    "rclone: a fraction of 10 digits");

	is_int(parse("2026-01-26T03:00:15.5Z\t1\ts3://b/k", NULL, &e), 1, "a listing time with a fraction");
	is_int(parse("2026-01-26T03:00:15.Z\t1\ts3://b/k", NULL, &e), -1, "a listing fraction of no digits");
	is_int(parse("2026-01-26T03:00:15ZZ\t1\ts3://b/k", NULL, &e), -1, "a listing time with bytes after Z");
	is_int(parse("2026-01-26T3:00:15Z\t1\ts3://b/k", NULL, &e), -1, "a listing hour of one digit");
	is_int(parse("1969-12-31T23:59:59Z\t1\ts3://b/k", NULL, &e), -1, "a time before 1970");
	is_int(parse("2026-01-26T03:00:15Z\t9223372036854775807\ts3://b/k", NULL, &e), 1,
	    "a size of INT64_MAX");
	is_int(parse("2026-01-26T03:00:15Z\t9223372036854775808\ts3://b/k", NULL, &e), -1,
	    "a size past INT64_MAX");
	is_int(parse("2026-01-26T03:00:15Z\t\ts3://b/k", NULL, &e), -1, "an empty size");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3://b/a%00b", NULL, &e), -1, "%00 in a listing URL");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3://b/a%2", NULL, &e), -1, "a cut escape");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3://b/a%zz", NULL, &e), -1, "a bad escape");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3://b/a\rb", NULL, &e), -1, "a raw control byte");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3://b/", NULL, &e), -1, "a URL without a key");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3:///k", NULL, &e), -1, "a URL without a bucket");
	is_int(parse("2026-01-26T03:00:15Z\t1\ts3://b/k\textra", NULL, &e), -1, "a fourth field");
	ok(parse("2026-01-26T03:00:15Z\t1\ts3://b/a%20b%25", NULL, &e) == 1 &&
	    strcmp(e.name, "s3://b/a b%") == 0, "the name is the URL decoded");
	strcpy(line, "2026-01-26T03:00:15Z\t1\ts3://b/a%00b");
	{
		const char *why = NULL;

		ok(listing_parse(line, &l, &why) == -1 && why && strstr(why, "%00") &&
		    strcmp(line, "2026-01-26T03:00:15Z\t1\ts3://b/a%00b") == 0,
		    "listing_parse says why, and leaves the line as it was");
	}

	/* The line reader: bounded, whole lines or refused ones. */
	{
		char got[256], *big = malloc(LISTING_LINE_MAX + 64);

		read_lines("a\nbc\r\n\nd", 8, got, sizeof(got));
		is_str(got, "L1 L2 L0 L1 .", "lines, CRLF, a blank line, no final newline");
		read_lines("a\0b\nok\n", 7, got, sizeof(got));
		is_str(got, "E1 L2 .", "a NUL anywhere in a line refuses the line, not cuts it");
		memset(big, 'x', LISTING_LINE_MAX + 64);
		big[LISTING_LINE_MAX] = '\n';
		read_lines(big, LISTING_LINE_MAX + 1, got, sizeof(got));
		is_str(got, "L8192 .", "a line of LISTING_LINE_MAX bytes is read");
		big[LISTING_LINE_MAX] = '\r';
		big[LISTING_LINE_MAX + 1] = '\n';
		read_lines(big, LISTING_LINE_MAX + 2, got, sizeof(got));
		is_str(got, "L8192 .", "and with a CR before its newline");
		big[LISTING_LINE_MAX] = 'x';
		big[LISTING_LINE_MAX + 1] = '\n';
		memcpy(big + LISTING_LINE_MAX + 2, "ok\n", 3);
		read_lines(big, LISTING_LINE_MAX + 5, got, sizeof(got));
		is_str(got, "E1 L2 .", "one byte more is refused, and the next line is line 2");
		read_lines(big, LISTING_LINE_MAX + 1, got, sizeof(got));
		is_str(got, "E1 .", "a line too long at the end of the input");
		free(big);
	}

	/* --name-time */
	is_int(entry_name_time("db-%Y%m%d", "db-2026012", &e.time), -1, "a name cut short of the format");
	is_int(entry_name_time("%Y-%m-%d", "", &e.time), -1, "an empty name");
	ok(entry_name_time("%Y-%m-%d", "x/2099-12-31.gz", &e.time) == 0 && e.time == 4102358400,
	    "a date far in the future is a time (the caller judges it)");
	ok(entry_name_time("100%%-%Y%m%d", "100%-20260126", &e.time) == 0 && e.time == 1769385600,
	    "%% is a literal %");
	is_int(entry_name_time("%Y-%m-%d", "2026-02-30", &e.time), -1, "February 30 is no time");
	ok(entry_name_time_check("%Y-%m-%d") == NULL, "--name-time %%Y-%%m-%%d is a format");
	ok(entry_name_time_check("%Y-%m") != NULL, "without %%d it is not");
	ok(entry_name_time_check("%Y-%m-%d-%Y") != NULL, "nor with %%Y twice");
	ok(entry_name_time_check("%Y-%m-%d%") != NULL, "nor ending in a lone %%");
	ok(entry_name_time_check("%Y-%m-%d %s") != NULL, "nor with a conversion not understood");
	{
		char shown[16];

		entry_shown("a|b\nc-long-name-here", shown, sizeof(shown));
		is_str(shown, "a%7Cb%0Ac-long-", "entry_shown escapes | and control bytes, and fits the buffer");
	}

	/* listing_read_urls, for s3get and s3rm: the same reader and checks */
	{
		static const char good[] = "s3://b/k1\n\n2026-01-26T03:00:15Z\t1\ts3://b/k%202\r\n";
		static const char nul[] = "s3://b/k1\ns3://b/k2\0x\ns3://b/k3\n";
		size_t big = 20u << 20;
		char *b = malloc(big + 32);

		is_int(read_urls(good, sizeof(good) - 1, false), EXIT_OK, "bare URLs and listing lines");
		is_str(urls_got, "s3://b/k1 s3://b/k%202 ", "each URL as written");
		is_int(read_urls(nul, sizeof(nul) - 1, false), EXIT_USAGE, "a NUL in a line stops the reading");
		is_str(urls_got, "s3://b/k1 ", "and nothing of that line or after it is taken");
		is_int(read_str("-\t-\ts3://b/p/\n", false), EXIT_USAGE, "a common prefix is not an object");
		is_int(read_str("s3://b/a%00b\n", false), EXIT_USAGE, "%00 in a bare URL");
		is_int(read_str("x\ts3://b/k\n", false), EXIT_USAGE, "a line with a TAB must be a listing line");
		is_int(read_str("https://h/k\n", true), EXIT_OK, "https:// when allowed");
		is_int(read_str("https://h/k\n", false), EXIT_USAGE, "and not otherwise");
		if (b) {
			memcpy(b, "s3://b/", 7);
			memset(b + 7, 'x', big);
			memcpy(b + 7 + big, "\ns3://b/k\n", 11);
			is_int(read_urls(b, big + 18, false), EXIT_USAGE, "a 20 MiB line is refused");
			is_str(urls_got, "", "and nothing is taken");
			free(b);
		}
	}
	return tap_done();
}
