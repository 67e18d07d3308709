/*
 * Listing lines, the glue between the programs (DESIGN.md):
 *
 *     LAST_MODIFIED<TAB>SIZE<TAB>URL
 *
 * LAST_MODIFIED is UTC ISO 8601 with a Z, SIZE is bytes ("-" for a common
 * prefix), URL is s3://bucket/key with control bytes, TAB, LF and '%'
 * percent-encoded. Programs that take URLs accept a bare URL too, and use
 * the last TAB field of a longer line.
 */
#ifndef BKPIPE_LISTING_H
#define BKPIPE_LISTING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct listing {
	int64_t mtime;		/* seconds since the epoch */
	int64_t size;		/* -1 for a common prefix */
	char *url;		/* points into the line, as written (encoded) */
};

/*
 * Parse a listing line in place (line without its newline). 0 when it is a
 * listing line; -1 when it is not.
 */
int listing_parse(char *line, struct listing *l);

/* Percent-decode in place: listing URLs, and S3's encoding-type=url.
 * 0, or -1 on a bad escape. */
int listing_decode(char *s);

/* The URL of a line that holds one: the last TAB field, or the whole line. */
char *listing_url(char *line);

/*
 * Read URLs from f, one a line, as bare s3:// (or https:// when https is
 * true) URLs or listing lines; blank lines are skipped. fn is called with
 * each URL as written; a non-zero return stops the reading and is
 * returned. Anything else on a line stops with EXIT_USAGE and a message
 * naming the line.
 */
int listing_read_urls(FILE *f, bool https, int (*fn)(void *arg, const char *url), void *arg);

#endif
