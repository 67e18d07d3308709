/*
 * libFuzzer target for what s3get takes from an HTTP reply and from a URL:
 * the header lines of a reply (s3_reply_header), the Content-Length and
 * Content-Range parsers, the range check of a 206, bucket names, s3://
 * URLs and request header lines. No crash, no read past the input, and
 * whatever is accepted keeps the promises of s3.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const struct s3_reply *rep)
{
	if (rep->content_length < -1 || rep->content_length > S3_SIZE_MAX ||
	    rep->total_length < -1 || rep->total_length > S3_SIZE_MAX ||
	    rep->range_first < -1 || rep->range_last < rep->range_first)
		abort();
	if (rep->range_first >= 0 && rep->total_length >= 0 && rep->range_last >= rep->total_length)
		abort();
	if (memchr(rep->etag, '\0', sizeof(rep->etag)) == NULL ||
	    memchr(rep->bad, '\0', sizeof(rep->bad)) == NULL)
		abort();
	for (const char *p = rep->etag; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			abort();
}

/* The input as header lines, each with its newline, then the range check. */
static void
fuzz_reply(const char *s, size_t n)
{
	struct s3_reply rep;
	struct s3_range want[] = { { 0, 99, 1000 }, { 100, -1, -1 }, { 0, 0, -1 } };
	char why[320];

	s3_reply_init(&rep);
	rep.status = 206;
	for (size_t at = 0; at < n;) {
		const char *nl = memchr(s + at, '\n', n - at);
		size_t len = nl ? (size_t)(nl - (s + at)) + 1 : n - at;

		s3_reply_header(&rep, s + at, len);
		at += len;
	}
	check_reply(&rep);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int64_t last;

		if (s3_range_check(&want[i], &rep, why, sizeof(why)) != 0)
			continue;
		last = want[i].last >= 0 ? want[i].last : rep.total_length - 1;
		if (*rep.bad || rep.range_first != want[i].first || rep.range_last != last ||
		    rep.content_length != last - want[i].first + 1)
			abort();
	}
	if (rep.range_first >= 0 && rep.total_length >= 0) {
		struct s3_range self = { rep.range_first, rep.range_last, rep.total_length };

		if (*rep.bad == '\0' && rep.content_length == rep.range_last - rep.range_first + 1 &&
		    s3_range_check(&self, &rep, why, sizeof(why)) != 0)
			abort();
	}
}

static void
fuzz_numbers(const char *s, size_t n)
{
	int64_t v, a, b, t;

	if (s3_parse_size(s, n, &v) == 0 && (v < 0 || v > S3_SIZE_MAX || n > 19))
		abort();
	if (s3_parse_content_range(s, n, &a, &b, &t) == 0) {
		if (t < -1 || t > S3_SIZE_MAX || (a < 0) != (b < 0) || (a < 0 && t < 0))
			abort();
		if (a >= 0 && (a > b || (t >= 0 && b >= t)))
			abort();
	} else if (a != -1 || b != -1 || t != -1) {
		abort();
	}
}

/* The input (up to its first NUL) as a bucket, an s3:// URL and a header line. */
static void
fuzz_names(const char *s)
{
	char why[128], *url, *bucket, *key;
	size_t n = strlen(s);

	if (s3_bucket_check(s, why, sizeof(why)) == 0) {
		if (n < 3 || n > 63)
			abort();
		for (const char *p = s; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			    *p == '-'))
				abort();
	}
	if ((url = malloc(n + 6)) == NULL)
		return;
	memcpy(url, "s3://", 5);
	memcpy(url + 5, s, n + 1);
	if (s3_object_url(url, true, &bucket, &key, why, sizeof(why)) == 0) {
		if (s3_bucket_check(bucket, why, sizeof(why)) != 0 || strlen(key) > n)
			abort();
		free(bucket);
		free(key);
	} else if (bucket != NULL || key != NULL) {
		abort();
	}
	if (s3_parse_url(url, &bucket, &key, why, sizeof(why)) == 0) {
		free(bucket);
		free(key);
	}
	free(url);
	if (s3_header_check(s, why, sizeof(why)) == 0 && strpbrk(s, "\r\n") != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_reply(s, size);
	fuzz_numbers(s, size);
	fuzz_names(s);
	free(s);
	return 0;
}
