/*
 * Listing lines, the glue between the programs (DESIGN.md):
 *
 *     LAST_MODIFIED<TAB>SIZE<TAB>URL
 *
 * LAST_MODIFIED is UTC ISO 8601 with a Z, SIZE is bytes ("-" for a common
 * prefix), URL is s3://bucket/key with control bytes, TAB, LF and '%'
 * percent-encoded. Programs that take URLs accept a bare URL too, and use
 * the last TAB field of a longer line.
 *
 * Every line is read whole or refused: it is at most LISTING_LINE_MAX
 * bytes (a key is at most 1024 bytes, three times that encoded, beside a
 * time, a size and a bucket), it holds no NUL, and every field is checked
 * for its exact form and range before anything is taken from it.
 */
#ifndef BKPIPE_LISTING_H
#define BKPIPE_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The longest line a reader takes, without its newline (and a CR before it). */
#define LISTING_LINE_MAX 8192

/* The times an entry may have: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
#define LISTING_TIME_MIN INT64_C(0)
#define LISTING_TIME_MAX INT64_C(253402300799)

struct listing {
	int64_t mtime;		/* seconds since the epoch */
	int64_t size;		/* -1 for a common prefix */
	char *url;		/* points into the line, as written (encoded) */
};

/*
 * Parse a listing line in place (line without its newline). 0 when it is a
 * listing line; -1 when it is not, with the line left as it was and *why
 * (when why is not NULL) saying what is wrong with it.
 */
int listing_parse(char *line, struct listing *l, const char **why);

/* Percent-decode in place: listing URLs, and S3's encoding-type=url.
 * 0, or -1 on a bad escape or on %00 (no key holds a NUL). */
int listing_decode(char *s);

/* What is wrong with the escapes of s (see listing_decode), or NULL. */
const char *listing_check_escapes(const char *s);

/* The URL of a line that holds one: the last TAB field, or the whole line. */
char *listing_url(char *line);

/*
 * A date and time in the 19 bytes at s, "YYYY-MM-DD?HH:MM:SS" with sep
 * for ?, each field exactly its width in digits, into v: year, month,
 * day, hour, minute, second. 0 when it is one and listing_civil_valid();
 * -1 otherwise. Never reads past a NUL.
 */
int listing_civil(const char *s, char sep, int v[6]);

/* Whether v (as above) is a date and time: year 1970 to 9999, month 1-12,
 * a day of that month, hour 0-23, minute and second 0-59. */
bool listing_civil_valid(const int v[6]);

/* A size in the n bytes at s: 1 to 19 digits, at most INT64_MAX. 0 or -1. */
int listing_size(const char *s, size_t n, int64_t *size);

/* Reads lines, each whole and at most LISTING_LINE_MAX bytes, in bounded
 * memory whatever the input holds. */
struct listing_reader {
	FILE *f;
	unsigned long lineno;	/* of the line last returned */
	bool skip;		/* the rest of a line too long is still to pass */
	char line[LISTING_LINE_MAX + 2];
};

void listing_reader_init(struct listing_reader *r, FILE *f);

/*
 * The next line of r->f in r->line, without its newline or a CR before
 * it, and its length in *len. 1: a line; 0: the end of the input; -1: a
 * line that is not one (*why: longer than LISTING_LINE_MAX, or holding a
 * NUL), passed over if the caller reads on; -2: a read error (errno).
 */
int listing_getline(struct listing_reader *r, size_t *len, const char **why);

/*
 * Read URLs from f, one a line, as bare s3:// (or https:// when https is
 * true) URLs or listing lines; blank lines are skipped. fn is called with
 * each URL as written; a non-zero return stops the reading and is
 * returned. Anything else on a line (a line too long, a NUL, a malformed
 * listing line, a key with a NUL or a bad escape) stops with EXIT_USAGE and
 * a message naming the line; a read error stops with EXIT_DATA.
 */
int listing_read_urls(FILE *f, bool https, int (*fn)(void *arg, const char *url), void *arg);

#endif
