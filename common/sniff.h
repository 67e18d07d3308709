/*
 * What the first bytes of an input look like, for the hints in "not in gzip
 * format" and "not SQL" errors: a user who pipes the wrong thing should be
 * told what it is and what to use instead.
 */
#ifndef BKPIPE_SNIFF_H
#define BKPIPE_SNIFF_H

#include <stddef.h>

enum sniff_kind {
	SNIFF_UNKNOWN,
	SNIFF_GZIP,
	SNIFF_PGDMP,		/* pg_dump custom format */
	SNIFF_TAR,		/* pg_dump -Ft, or any tar */
	SNIFF_ZSTD,
	SNIFF_XZ,
	SNIFF_BZIP2,
	SNIFF_ZIP,
	SNIFF_TEXT,		/* looks like SQL or other text */
};

/* Classify the first n bytes of an input (n may be small). */
enum sniff_kind sniff(const unsigned char *p, size_t n);

/* "a pg_dump custom-format archive", "zstd data", ... */
const char *sniff_name(enum sniff_kind k);

/* Compressed or archive data that must not be sent to a terminal. */
int sniff_is_binary(enum sniff_kind k);

/*
 * For the programs that read SQL: why the first bytes of the input are not
 * SQL (compressed data, an archive, binary), with a hint, or NULL when they
 * may be. The message may be written to buf (len bytes).
 */
const char *sniff_not_sql(const unsigned char *p, size_t n, char *buf, size_t len);

#endif
