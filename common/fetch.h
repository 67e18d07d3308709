/*
 * Downloading one S3 object to a file descriptor, fast and verified.
 *
 * A HEAD learns the size, the ETag and any x-amz-checksum-* the object
 * carries. Small objects (or -j 1) come in one stream; larger ones in
 * parts of part_size fetched by `jobs` connections at once and written
 * strictly in order, so memory is jobs x part_size whatever the size.
 * Every request carries If-Match with the ETag: an object replaced
 * meanwhile is never spliced. A connection that drops or a 5xx mid-part
 * resumes that part from its last byte, within the retry budget; bytes
 * already written are never repeated or skipped. At the end the length
 * is checked against the HEAD's, the ETag's MD5 when it is a plain MD5
 * (a multipart ETag "...-N" is not), and a full-object CRC-32, CRC-32C or
 * SHA-256 when the server gave one.
 */
#ifndef BKPIPE_FETCH_H
#define BKPIPE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "awscfg.h"

struct fetch_opts {
	const struct awscfg *cfg;
	int verbose;
	unsigned jobs;		/* connections at once, >= 1 */
	size_t part_size;	/* bytes a part, >= 1 */
	bool progress;		/* force the progress meter */
};

/*
 * Fetch s3://bucket/key, or a presigned https:// URL when url is given
 * (fetched as it is, in one stream), writing it to fd. Returns an exit
 * status; err says why when it is not EXIT_OK. EPIPE on fd is reported as
 * -1 (the reader has gone).
 */
int fetch_object(const struct fetch_opts *o, const char *bucket, const char *key,
    const char *url, const char *label, int fd, char *err, size_t errlen);

/* CRC-32C (Castagnoli), for x-amz-checksum-crc32c. */
uint32_t fetch_crc32c(uint32_t crc, const unsigned char *p, size_t n);

#endif
