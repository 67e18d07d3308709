/*
 * AWS Signature Version 4 for S3, in one place.
 *
 * sigv4_sign() builds the canonical request, the string to sign and the
 * Authorization header for a request URL; sigv4_presign() builds a
 * presigned URL (X-Amz-Expires up to 7 days). The signing key is derived
 * once per date, region and service and kept in the sigv4 value.
 *
 * URLs are taken as they go on the wire (already percent-encoded); path
 * and query are normalised to SigV4's encoding (unreserved characters
 * bare, everything else %XX in upper case, '/' kept in the path), and the
 * query parameters sorted.
 */
#ifndef BKPIPE_SIGV4_H
#define BKPIPE_SIGV4_H

#include <stddef.h>

#define SIGV4_MAX_EXPIRES 604800	/* 7 days, S3's limit */

struct sigv4 {
	const char *access_key;
	const char *secret_key;
	const char *session_token;	/* NULL or "" when none */
	const char *region;
	const char *service;		/* "s3" */
	/* the cached signing key */
	char key_scope[128];
	unsigned char key[32];
};

struct sigv4_out {
	char *canonical_request;
	char *string_to_sign;
	char *authorization;	/* sigv4_sign() */
	char *url;		/* sigv4_presign() */
};

/*
 * Sign a request. headers holds n extra headers as "Name: value"; Host,
 * x-amz-content-sha256, x-amz-date and (with a session token)
 * x-amz-security-token are added and signed. amz_date is
 * "YYYYMMDDTHHMMSSZ". 0 on success, -1 on a malformed URL or no memory.
 */
int sigv4_sign(struct sigv4 *s, const char *method, const char *url,
    const char *const *headers, size_t n, const char *payload_sha256,
    const char *amz_date, struct sigv4_out *out);

/* A presigned URL valid for expires seconds (1..SIGV4_MAX_EXPIRES). */
int sigv4_presign(struct sigv4 *s, const char *method, const char *url,
    const char *amz_date, long expires, struct sigv4_out *out);

void sigv4_out_free(struct sigv4_out *out);

/* Lower-case hex SHA-256 of data, into hex[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
