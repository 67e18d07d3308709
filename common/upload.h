/*
 * Uploading a stream into one S3 object.
 *
 * Input shorter than a part goes up in one PutObject. Longer input goes up
 * as a multipart upload while it is read: parts of one size (the last may
 * be shorter: some stores, R2 among them, refuse anything else), chosen
 * before the first is sent (upload_part_size), `jobs` at once, each with
 * its Content-MD5, retried on failure. Memory is (jobs + 1) x part size. The final ETag is checked against the MD5s of the parts
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
	size_t part_size;		/* 0: chosen by upload_part_size */
	int64_t expect_size;		/* -1: not given */
	int64_t size_hint;		/* an estimate of the input's size; -1: none */
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

/* The smallest and largest part sizes taken: S3's 5 MiB, and 5000 MiB,
 * below R2's largest part (4.995 GiB; S3's is 5 GiB). */
#define UPLOAD_PART_MIN ((size_t)5 << 20)
#define UPLOAD_PART_MAX ((size_t)5000 << 20)
/* Parts without --part-size, --expect-size or --size-hint: 10,000 of them
 * hold 156 GiB, in (jobs + 1) x 16 MiB of memory. */
#define UPLOAD_PART_DEFAULT ((size_t)16 << 20)

/*
 * The part size of an upload: part_size when given (checked against
 * expect_size), else the smallest whole MiB that fits expect_size, or twice
 * size_hint, in S3's 10,000 parts, and at least UPLOAD_PART_DEFAULT. 0, or
 * -1 with why (no part size can hold that many bytes).
 */
int upload_part_size(const struct upload_opts *o, size_t *part, char *why, size_t whylen);

/* Read fd to its end into s3://bucket/key. An exit status; err says why. */
int upload_stream(const struct upload_opts *o, int fd, const char *bucket, const char *key,
    struct upload_result *res, char *err, size_t errlen);

#endif
