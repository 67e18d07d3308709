/*
 * The S3 client shared by s3ls, s3get, s3put and s3rm.
 *
 * One libcurl handle, reused so connections stay open; TLS verified;
 * connect and low-speed timeouts. Every request is signed (sigv4.h) unless
 * --no-sign-request. Connection errors, 500/502/503/504, 429 and S3's
 * SlowDown, InternalError and RequestTimeout are retried up to
 * max_attempts with exponential backoff and full jitter; a
 * RequestTimeTooSkewed reply corrects the clock offset once; a redirect to
 * another region (301 PermanentRedirect, or x-amz-bucket-region) is
 * followed once. Error replies become "Code: message" with a hint.
 * Secrets never appear in messages: requests are logged (-v) without
 * Authorization, tokens or presigned query strings.
 */
#ifndef BKPIPE_S3_H
#define BKPIPE_S3_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "awscfg.h"

struct s3;

/* Sizes from a server above this (8 PiB) are refused, so sums never overflow. */
#define S3_SIZE_MAX ((int64_t)1 << 53)

/*
 * A bucket name as S3 names them: 3 to 63 lowercase letters, digits, '.'
 * and '-', beginning and ending with a letter or a digit, no "..", not an
 * IPv4 address. Nothing else may reach a host name or a path. 0, or -1
 * with why.
 */
int s3_bucket_check(const char *bucket, char *why, size_t whylen);

/*
 * s3://bucket/key, split (malloc'd), the bucket checked; the key raw, may
 * be "". 0, or -1 with why and both NULL.
 */
int s3_parse_url(const char *url, char **bucket, char **key, char *why, size_t whylen);

/*
 * An s3:// URL as written on a command line or a listing line: the bucket
 * checked, the key percent-decoded (%XX), and refused when it is empty
 * (unless may_be_empty) or would hold a NUL byte: a key is never cut
 * short. 0, or -1 with why and both NULL.
 */
int s3_object_url(const char *url, bool may_be_empty, char **bucket, char **key,
    char *why, size_t whylen);

/*
 * A request header line "Name: value" from options: the name an RFC 9110
 * token, the value without control bytes (CR, LF, NUL, ...). 0, or -1 with why.
 */
int s3_header_check(const char *line, char *why, size_t whylen);

/*
 * Whether two ETags name the same thing, with or without the quotes HTTP
 * puts around them (Ceph 18.2.1-18.2.7 and 19.2.0-19.2.2 answer
 * CompleteMultipartUpload with a bare one). An empty ETag equals none.
 */
bool s3_etag_equal(const char *a, const char *b);

/* A decimal number as HTTP sends it: 1 to 19 digits, nothing else, at most
 * S3_SIZE_MAX. 0, or -1. */
int s3_parse_size(const char *s, size_t len, int64_t *out);

/*
 * A Content-Range value, "bytes FIRST-LAST/TOTAL" exactly (TOTAL "*": -1),
 * with FIRST <= LAST < TOTAL; or, as a 416 sends it, '*' for FIRST-LAST
 * (both -1). Each number as s3_parse_size takes it. 0, or -1 with all -1.
 */
int s3_parse_content_range(const char *s, size_t len, int64_t *first, int64_t *last,
    int64_t *total);

struct s3 *s3_new(const struct awscfg *cfg, int verbose);
void s3_free(struct s3 *s);

/* A reply: status, the headers we use, and the body when buffered. */
struct s3_reply {
	long status;
	char *body;		/* NUL-terminated, when no sink was given */
	size_t body_len;
	char etag[256];
	char bucket_region[64];
	int64_t content_length;	/* -1 when absent */
	int64_t range_first, range_last;	/* from Content-Range; -1 */
	int64_t total_length;	/* from Content-Range "bytes a-b/TOTAL"; -1 */
	bool has_range;		/* a Content-Range was seen */
	/* x-amz-checksum-* (base64) and their type (FULL_OBJECT, COMPOSITE) */
	char crc32[16], crc32c[16], sha256[64], checksum_type[32];
	char last_modified[64];	/* as HTTP gives it */
	char date[64];
	char bad[160];		/* why a header of the reply is malformed, or "" */
};

/* An empty reply: no status, no headers, the numbers -1. */
void s3_reply_init(struct s3_reply *rep);

/*
 * Take one header line of a reply ("Name: value\r\n") into rep. A status
 * line starts a new reply. A malformed Content-Length, Content-Range or
 * ETag sets rep->bad; the number stays -1.
 */
void s3_reply_header(struct s3_reply *rep, const char *line, size_t len);

/* The bytes a ranged GET asks for: [first, last], last -1 for "to the end";
 * total the object's size when known, else -1. */
struct s3_range {
	int64_t first, last, total;
};

/*
 * Whether a 206 reply is exactly the range asked for: Content-Range's
 * first, last and total, and a Content-Length of that many bytes. 0, or
 * -1 with why.
 */
int s3_range_check(const struct s3_range *want, const struct s3_reply *rep, char *why,
    size_t whylen);

/*
 * Called with body bytes of a successful (2xx) reply as they arrive;
 * returns 0, or non-zero to abort the transfer.
 */
typedef int (*s3_sink)(void *arg, const char *p, size_t n);

struct s3_request {
	const char *url;	/* a presigned https:// URL, used as is, unsigned */
	const char *method;	/* "GET", "HEAD", ... */
	const char *bucket;
	const char *key;	/* raw key, or NULL */
	const char *query;	/* encoded query without '?', or NULL */
	const char *const *headers;	/* extra "Name: value" headers */
	size_t nheaders;
	const char *body;	/* a request body (POST, PUT), or NULL */
	size_t body_len;
	/*
	 * A Range request (the header is added): a 200 (whole object) reply is
	 * refused, and a 206 must be exactly this range (s3_range_check)
	 * before a byte reaches the sink, which then gets at most its length.
	 */
	const struct s3_range *range;
	bool whole;		/* a GET of the whole object: its 200 reply ... */
	int64_t size;		/* ... must carry Content-Length size */
	s3_sink sink;		/* NULL: buffer the body in the reply */
	void *sink_arg;
	size_t max_body;	/* limit for a buffered body */
	/*
	 * A 200 reply whose body is an <Error> is that error, retried as a 500
	 * (CompleteMultipartUpload and copies can answer so, says the S3 API).
	 */
	bool error_in_200;
};

/*
 * Perform a request with retries. Returns an exit status: EXIT_OK for a
 * 2xx reply; EXIT_DATA when the server said no (the reply and s3_error()
 * say why), or kept answering what was not asked (a malformed number, a
 * range or length other than the one asked for); EXIT_TRANSIENT when
 * retries ran out; EXIT_USAGE for a bad request, a header that fails
 * s3_header_check(), or a TLS certificate (or CA file) problem, which no
 * retry mends. The reply's body is freed by s3_reply_free().
 */
int s3_request(struct s3 *s, const struct s3_request *req, struct s3_reply *rep);
void s3_reply_free(struct s3_reply *rep);

/* The last error, "NoSuchBucket: The specified bucket does not exist (hint: ...)". */
const char *s3_error(const struct s3 *s);

/* One object or common prefix of a listing, in key order. */
struct s3_entry {
	const char *key;		/* decoded; for a prefix, the prefix */
	const char *last_modified;	/* normalised: 2026-01-26T03:00:15Z */
	int64_t mtime;			/* the same, in seconds since the epoch */
	int64_t size;
	const char *etag;
	const char *storage_class;
	bool is_prefix;			/* a common prefix ("directory") */
};

/* Called for each entry; a non-zero return stops the listing with it. */
typedef int (*s3_list_fn)(void *arg, const struct s3_entry *e);

struct s3_list_opts {
	const char *prefix;
	const char *delimiter;		/* NULL: everything under prefix */
	const char *start_after;
};

/*
 * List with ListObjectsV2 page by page (encoding-type=url), calling fn as
 * each page arrives. Returns an exit status; a page that says it is
 * truncated but gives no continuation token is an error, never a loop.
 * When fn stops the listing, returns its non-zero value as is.
 */
int s3_list(struct s3 *s, const char *bucket, const struct s3_list_opts *o,
    s3_list_fn fn, void *arg);

/*
 * Parse one ListObjectsV2 reply and call fn for its entries in key order.
 * 0 with *next set to the continuation token (NULL on the last page);
 * -1 with why set when the reply is malformed; or fn's non-zero return.
 */
int s3_list_page(const char *body, size_t len, s3_list_fn fn, void *arg, char **next,
    char *why, size_t whylen);

/* Called for each key a delete failed for. */
typedef void (*s3_delete_fn)(void *arg, const char *key, const char *code, const char *message);

/*
 * Delete exactly these keys (at most 1000) of bucket with one
 * DeleteObjects request (keys XML cannot carry go one at a time), calling
 * fn for each that failed. Returns an exit status: EXIT_DATA when any key
 * failed, or what the request itself returned. Deleting a key that does
 * not exist succeeds, as in S3.
 */
int s3_delete(struct s3 *s, const char *bucket, char *const *keys, size_t n,
    s3_delete_fn fn, void *arg);

/* The text of the first element named name in an XML reply, or NULL. */
char *s3_xml_text(const char *body, size_t len, const char *name);

/* Transfers stop (as errors, not retried) once *cancel is non-zero. */
void s3_set_cancel(struct s3 *s, volatile sig_atomic_t *cancel);

/* A presigned GET URL for bucket/key, valid for expires seconds from now. */
char *s3_presign(struct s3 *s, const char *bucket, const char *key, long expires, int64_t now);

/* Percent-encode bytes that would break a listing line (controls, TAB, LF, '%'). */
char *s3_listing_escape(const char *key);

/* Append to dst the query-encoding of src (all but unreserved characters). */
char *s3_query_escape(const char *src);


#endif
