/*
 * Uploading a stream into one S3 object.
 *
 * Input shorter than a part goes up in one PutObject. Longer input goes up
 * as a multipart upload while it is read: parts of part_size (doubling
 * every 1000 parts, so with 8 MiB parts any stream up to S3's 5 TiB fits
 * in its 10,000),
 * `jobs` at once, each with its Content-MD5, retried on failure. Memory is
 * jobs x part size. The final ETag is checked against the MD5s of the parts
 * sent, and the size against the bytes read. On any failure, or when
 * *cancel becomes true (SIGINT, SIGTERM), the multipart upload is aborted,
 * so no orphan parts stay billed.
 */
#ifndef BKPIPE_UPLOAD_H
#define BKPIPE_UPLOAD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "awscfg.h"

struct upload_opts {
	const struct awscfg *cfg;
	int verbose;
	unsigned jobs;
	size_t part_size;		/* at least 5 MiB for multipart */
	int64_t expect_size;		/* -1: not given */
	bool if_none_match;		/* refuse to overwrite */
	const char *const *headers;	/* Content-Type, x-amz-storage-class, x-amz-meta-* */
	size_t nheaders;
	volatile sig_atomic_t *cancel;
};

struct upload_result {
	uint64_t size;
	char etag[256];
	char last_modified[64];	/* HTTP date, from the HEAD after the upload */
};

/* Read fd to its end into s3://bucket/key. An exit status; err says why. */
int upload_stream(const struct upload_opts *o, int fd, const char *bucket, const char *key,
    struct upload_result *res, char *err, size_t errlen);

#endif
