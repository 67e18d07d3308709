#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "s3.h"
#include "upload.h"

#ifndef UPLOAD_MAX_PARTS
#define UPLOAD_MAX_PARTS 10000	/* S3's limit; the tests build with less */
#endif
#define MAX_PARTS UPLOAD_MAX_PARTS
#define MIB ((size_t)1 << 20)

static const char hexd[] = "0123456789abcdef";

static volatile sig_atomic_t *cancelled;

/* Read up to n bytes, less only at the end of the input (or a cancel). */
static ssize_t
read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR && !(cancelled && *cancelled))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static void
md5(const unsigned char *p, size_t n, unsigned char out[16])
{
	unsigned len = 16;

	EVP_Digest(p, n, out, &len, EVP_md5(), NULL);
}

/* "Content-MD5: base64" for a request. */
static void
md5_header(const unsigned char m[16], char *buf, size_t len)
{
	unsigned char b64[32];

	EVP_EncodeBlock(b64, m, 16);
	snprintf(buf, len, "Content-MD5: %s", b64);
}

static void
hex(const unsigned char *m, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[m[i] >> 4];
		out[2 * i + 1] = hexd[m[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The request's headers: Content-MD5, maybe If-None-Match, then the user's. */
static size_t
headers(const struct upload_opts *o, const char **h, size_t cap, const char *md5h, bool create,
    bool conditional)
{
	size_t n = 0;

	if (md5h)
		h[n++] = md5h;
	if (conditional && o->if_none_match)
		h[n++] = "If-None-Match: *";
	for (size_t i = 0; create && i < o->nheaders && n < cap; i++)
		h[n++] = o->headers[i];
	return n;
}

/* --- multipart -------------------------------------------------------- */

struct slot {
	int number;		/* 0: free */
	bool ready;		/* read, waiting for a worker */
	unsigned char *buf;
	size_t len, cap;
};

static void
fmt_mib(char *buf, size_t len, uint64_t n)
{
	if (n % MIB == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", n / MIB);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
}

int
upload_part_size(const struct upload_opts *o, size_t *part, char *why, size_t whylen)
{
	uint64_t size = 0, need;
	const char *what = NULL;
	char a[32];

	if (o->expect_size >= 0)
		size = (uint64_t)o->expect_size, what = "--expect-size";
	else if (o->size_hint >= 0)
		size = 2 * (uint64_t)o->size_hint, what = "--size-hint";	/* room for a low guess */
	if (o->part_size) {
		*part = o->part_size;
		if (o->expect_size >= 0 && size > (uint64_t)o->part_size * MAX_PARTS) {
			fmt_mib(a, sizeof(a), o->part_size);
			snprintf(why, whylen, "%s is more than %d parts of %s (--part-size): give a "
			    "larger --part-size", what, MAX_PARTS, a);
			return -1;
		}
		return 0;
	}
	need = (size + MAX_PARTS - 1) / MAX_PARTS;
	need = (need + MIB - 1) / MIB * MIB;
	if (need > UPLOAD_PART_MAX) {
		fmt_mib(a, sizeof(a), UPLOAD_PART_MAX);
		snprintf(why, whylen, "%s is more than %d parts of %s, the largest part every "
		    "store takes", what, MAX_PARTS, a);
		return -1;
	}
	*part = need > UPLOAD_PART_DEFAULT ? (size_t)need : UPLOAD_PART_DEFAULT;
	return 0;
}

struct up {
	const struct upload_opts *o;
	size_t part;		/* every part's size but the last's */
	const char *bucket, *key;
	char *upload_id;	/* query-escaped */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	unsigned nslots;
	unsigned char (*md5s)[16];
	char (*etags)[256];
	bool failed, eof;
	int status;
	char *err;
	size_t errlen;
};

struct uworker {
	struct up *u;
	struct s3 *s;
};

static void *
uwork(void *arg)
{
	struct uworker *w = arg;
	struct up *u = w->u;

	for (;;) {
		struct slot *sl = NULL;
		char query[1024], md5h[64];
		const char *h[2];
		struct s3_request req = { .method = "PUT", .bucket = u->bucket, .key = u->key };
		struct s3_reply rep;
		int r;

		pthread_mutex_lock(&u->mu);
		for (;;) {
			for (unsigned i = 0; sl == NULL && i < u->nslots; i++)
				if (u->slots[i].ready)
					sl = &u->slots[i];
			if (sl || u->failed || u->eof)
				break;
			pthread_cond_wait(&u->cv, &u->mu);
		}
		if (sl == NULL) {
			pthread_mutex_unlock(&u->mu);
			return NULL;
		}
		sl->ready = false;
		pthread_mutex_unlock(&u->mu);

		md5(sl->buf, sl->len, u->md5s[sl->number - 1]);
		md5_header(u->md5s[sl->number - 1], md5h, sizeof(md5h));
		snprintf(query, sizeof(query), "partNumber=%d&uploadId=%s", sl->number, u->upload_id);
		req.query = query;
		req.headers = h;
		req.nheaders = headers(u->o, h, 2, md5h, false, false);
		req.body = (const char *)sl->buf;
		req.body_len = sl->len;
		r = s3_request(w->s, &req, &rep);
		pthread_mutex_lock(&u->mu);
		if (r != EXIT_OK && !u->failed) {
			u->failed = true;
			u->status = r;
			snprintf(u->err, u->errlen, "part %d: %s", sl->number, s3_error(w->s));
		} else if (r == EXIT_OK) {
			snprintf(u->etags[sl->number - 1], sizeof(u->etags[0]), "%s", rep.etag);
		}
		sl->number = 0;	/* free again */
		pthread_cond_broadcast(&u->cv);
		pthread_mutex_unlock(&u->mu);
		s3_reply_free(&rep);
	}
}

static void
abort_upload(struct s3 *s, const struct up *u)
{
	char query[1024];
	struct s3_request req = { .method = "DELETE", .bucket = u->bucket, .key = u->key,
	    .query = query };
	struct s3_reply rep;
	volatile sig_atomic_t off = 0;

	s3_set_cancel(s, &off);		/* the abort itself must not be cancelled */
	snprintf(query, sizeof(query), "uploadId=%s", u->upload_id);
	if (s3_request(s, &req, &rep) != EXIT_OK)
		warn("could not abort the multipart upload (%s); list it with aws s3api "
		    "list-multipart-uploads", s3_error(s));
	s3_reply_free(&rep);
	s3_set_cancel(s, NULL);
}

static int
multipart(struct s3 *s, struct up *u, int fd, unsigned char *first, size_t first_len,
    struct upload_result *res)
{
	const struct upload_opts *o = u->o;
	struct uworker *ws;
	pthread_t *th;
	char query[1024], *id;
	const char *h[16];
	struct s3_request req = { .method = "POST", .bucket = u->bucket, .key = u->key,
	    .query = "uploads", .headers = h, .max_body = 1 << 20 };
	struct s3_reply rep;
	int number = 0, status;
	unsigned started = 0;
	bool more = true;

	req.nheaders = headers(o, h, 16, NULL, true, false);
	if ((status = s3_request(s, &req, &rep)) != EXIT_OK) {
		snprintf(u->err, u->errlen, "%s", s3_error(s));
		s3_reply_free(&rep);
		return status;
	}
	id = s3_xml_text(rep.body, rep.body_len, "UploadId");
	s3_reply_free(&rep);
	if (id == NULL || *id == '\0' || (u->upload_id = s3_query_escape(id)) == NULL) {
		snprintf(u->err, u->errlen, "CreateMultipartUpload gave no UploadId");
		free(id);
		return EXIT_DATA;
	}
	free(id);

	ws = calloc(o->jobs, sizeof(*ws));
	th = calloc(o->jobs, sizeof(*th));
	u->slots[0].buf = first;
	if (ws == NULL || th == NULL)
		die(EXIT_DATA, "out of memory");
	for (unsigned i = 0; i < o->jobs; i++) {
		ws[i].u = u;
		if ((ws[i].s = s3_new(o->cfg, o->verbose)) == NULL)
			die(EXIT_DATA, "out of memory");
		s3_set_cancel(ws[i].s, o->cancel);
		if (pthread_create(&th[i], NULL, uwork, &ws[i]) == 0)
			started++;
	}
	/* Read parts into free slots; the workers send them. */
	while (more) {
		struct slot *sl = NULL;
		ssize_t n;
		size_t want;

		pthread_mutex_lock(&u->mu);
		while (!u->failed && !(o->cancel && *o->cancel)) {
			for (unsigned i = 0; sl == NULL && i < u->nslots; i++)
				if (u->slots[i].number == 0)
					sl = &u->slots[i];
			if (sl)
				break;
			pthread_cond_wait(&u->cv, &u->mu);
		}
		pthread_mutex_unlock(&u->mu);
		if (sl == NULL)
			break;
		want = u->part;
		if (number == 0) {
			n = (ssize_t)first_len;
			sl->buf = first;
			sl->cap = first_len;
		} else {
			if (sl->cap < want) {
				unsigned char *b = malloc(want);

				if (b == NULL)
					die(EXIT_DATA, "out of memory");
				if (sl->buf != first)
					free(sl->buf);
				sl->buf = b;
				sl->cap = want;
			}
			if ((n = read_full(fd, sl->buf, want)) < 0) {
				snprintf(u->err, u->errlen, "read error on standard input: %s", strerror(errno));
				u->failed = true;
				u->status = EXIT_DATA;
				break;
			}
		}
		if (n == 0)
			break;
		if (number == MAX_PARTS) {
			char a[32];

			fmt_mib(a, sizeof(a), u->part);
			snprintf(u->err, u->errlen, "the input outgrew %d parts of %s (S3's limit), "
			    "at %" PRIu64 " bytes: give --size-hint (an estimate of its size) or a "
			    "larger --part-size", MAX_PARTS, a, res->size);
			pthread_mutex_lock(&u->mu);
			u->failed = true;
			u->status = EXIT_USAGE;
			pthread_mutex_unlock(&u->mu);
			break;
		}
		res->size += (uint64_t)n;
		more = (size_t)n == want;
		pthread_mutex_lock(&u->mu);
		sl->number = ++number;
		sl->len = (size_t)n;
		sl->ready = true;
		pthread_cond_broadcast(&u->cv);
		pthread_mutex_unlock(&u->mu);
	}
	pthread_mutex_lock(&u->mu);
	u->eof = true;
	if (o->cancel && *o->cancel && !u->failed) {
		u->failed = true;
		u->status = EXIT_DATA;
		snprintf(u->err, u->errlen, "interrupted");
	}
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < o->jobs; i++)
		s3_free(ws[i].s);
	free(ws);
	free(th);
	for (unsigned i = 0; i < u->nslots; i++)
		if (u->slots[i].buf != first)
			free(u->slots[i].buf);

	if (!u->failed && o->expect_size >= 0 && res->size != (uint64_t)o->expect_size) {
		snprintf(u->err, u->errlen, "standard input ended at %" PRIu64 " bytes, "
		    "--expect-size %" PRId64, res->size, o->expect_size);
		u->failed = true;
		u->status = EXIT_DATA;
	}
	if (!u->failed) {
		/* CompleteMultipartUpload, then check its ETag: the MD5 of the parts' MD5s. */
		char *body = malloc((size_t)number * 320 + 128), md5h[64], want[64];
		unsigned char all[16];
		size_t len = 0;
		char *got;

		if (body == NULL)
			die(EXIT_DATA, "out of memory");
		len += (size_t)sprintf(body, "<CompleteMultipartUpload>");
		for (int i = 0; i < number; i++)
			len += (size_t)sprintf(body + len, "<Part><PartNumber>%d</PartNumber>"
			    "<ETag>%s</ETag></Part>", i + 1, u->etags[i]);
		len += (size_t)sprintf(body + len, "</CompleteMultipartUpload>");
		md5((const unsigned char *)u->md5s, (size_t)number * 16, all);
		want[0] = '"';
		hex(all, 16, want + 1);
		snprintf(want + 33, sizeof(want) - 33, "-%d\"", number);
		md5(((const unsigned char *)body), len, all);
		md5_header(all, md5h, sizeof(md5h));
		snprintf(query, sizeof(query), "uploadId=%s", u->upload_id);
		req = (struct s3_request){ .method = "POST", .bucket = u->bucket, .key = u->key,
		    .query = query, .headers = h, .body = body, .body_len = len,
		    .max_body = 1 << 20, .error_in_200 = true };
		req.nheaders = headers(o, h, 15, md5h, false, true);
		h[req.nheaders++] = "Content-Type: application/xml";
		status = s3_request(s, &req, &rep);
		free(body);
		got = status == EXIT_OK ? s3_xml_text(rep.body, rep.body_len, "ETag") : NULL;
		if (status != EXIT_OK) {
			snprintf(u->err, u->errlen, "%s", s3_error(s));
			u->failed = true;
			u->status = status;
		} else if (got == NULL) {
			char *code = s3_xml_text(rep.body, rep.body_len, "Code");

			snprintf(u->err, u->errlen, "CompleteMultipartUpload failed: %s",
			    code ? code : "no ETag in the reply");
			free(code);
			u->failed = true;
			u->status = EXIT_DATA;
		} else if (*got && !s3_etag_equal(got, want)) {
			snprintf(u->err, u->errlen, "completed with ETag %s, not the %s of the parts sent",
			    got, want);
			free(got);
			s3_reply_free(&rep);
			return EXIT_DATA;	/* complete: nothing left to abort */
		} else {
			/* Ceph RGW answers an empty ETag: the HEAD that follows checks it. */
			snprintf(res->etag, sizeof(res->etag), "%s", want);
		}
		free(got);
		s3_reply_free(&rep);
	}
	if (u->failed) {
		abort_upload(s, u);
		return u->status ? u->status : EXIT_DATA;
	}
	return EXIT_OK;
}

/*
 * --if-none-match, asked before the upload: stores differ in whether they
 * honour the condition on CompleteMultipartUpload (Ceph RGW 16 ignores it),
 * and a refusal after the stream was sent wastes it.
 */
static int
absent(struct s3 *s, const char *bucket, const char *key, char *err, size_t errlen)
{
	struct s3_request req = { .method = "HEAD", .bucket = bucket, .key = key };
	struct s3_reply rep;
	int status = s3_request(s, &req, &rep);

	if (status == EXIT_OK) {
		snprintf(err, errlen, "the object exists (--if-none-match): nothing was sent");
		status = EXIT_DATA;
	} else if (rep.status == 404) {
		status = EXIT_OK;
	} else {
		snprintf(err, errlen, "asking whether the object exists: %s", s3_error(s));
	}
	s3_reply_free(&rep);
	return status;
}

int
upload_stream(const struct upload_opts *o, int fd, const char *bucket, const char *key,
    struct upload_result *res, char *err, size_t errlen)
{
	struct up u = { .o = o, .bucket = bucket, .key = key, .err = err, .errlen = errlen };
	struct s3 *s;
	unsigned char *first, m[16];
	ssize_t n;
	int status;

	memset(res, 0, sizeof(*res));
	cancelled = o->cancel;
	if (upload_part_size(o, &u.part, err, errlen) != 0)
		return EXIT_USAGE;
	s = s3_new(o->cfg, o->verbose);
	first = malloc(u.part);
	if (s == NULL || first == NULL) {
		snprintf(err, errlen, "out of memory (a part of %zu bytes)", u.part);
		free(first);
		s3_free(s);
		return EXIT_DATA;
	}
	s3_set_cancel(s, o->cancel);
	if (o->if_none_match && (status = absent(s, bucket, key, err, errlen)) != EXIT_OK) {
		/* Found before a byte was read: the input stays unread. */
	} else if ((n = read_full(fd, first, u.part)) < 0) {
		snprintf(err, errlen, "read error on standard input: %s", strerror(errno));
		status = EXIT_DATA;
	} else if ((size_t)n < u.part) {
		/* One PutObject; S3 checks the Content-MD5, we check the ETag. */
		char md5h[64], want[40];
		const char *h[16];
		struct s3_request req = { .method = "PUT", .bucket = bucket, .key = key,
		    .headers = h, .body = (const char *)first, .body_len = (size_t)n };
		struct s3_reply rep = { 0 };

		res->size = (uint64_t)n;
		md5(first, (size_t)n, m);
		md5_header(m, md5h, sizeof(md5h));
		want[0] = '"';
		hex(m, 16, want + 1);
		strcpy(want + 33, "\"");
		req.nheaders = headers(o, h, 16, md5h, true, true);
		if (o->expect_size >= 0 && (int64_t)n != o->expect_size) {
			snprintf(err, errlen, "standard input ended at %zd bytes, --expect-size %" PRId64,
			    n, o->expect_size);
			status = EXIT_DATA;
		} else if ((status = s3_request(s, &req, &rep)) != EXIT_OK) {
			snprintf(err, errlen, "%s", s3_error(s));
		} else if (!s3_etag_equal(rep.etag, want)) {
			snprintf(err, errlen, "ETag %s, not the MD5 %s of what was sent", rep.etag, want);
			status = EXIT_DATA;
		} else {
			snprintf(res->etag, sizeof(res->etag), "%s", rep.etag);
		}
		s3_reply_free(&rep);
	} else {
		u.nslots = o->jobs + 1;		/* one being read while jobs are sent */
		u.slots = calloc(u.nslots, sizeof(*u.slots));
		u.md5s = calloc(MAX_PARTS, sizeof(*u.md5s));
		u.etags = calloc(MAX_PARTS, sizeof(*u.etags));
		if (u.slots == NULL || u.md5s == NULL || u.etags == NULL)
			die(EXIT_DATA, "out of memory");
		pthread_mutex_init(&u.mu, NULL);
		pthread_cond_init(&u.cv, NULL);
		status = multipart(s, &u, fd, first, (size_t)n, res);
		pthread_cond_destroy(&u.cv);
		pthread_mutex_destroy(&u.mu);
		free(u.slots);
		free(u.md5s);
		free(u.etags);
		free(u.upload_id);
	}
	if (status == EXIT_OK) {
		/* What the store now holds: the size we sent, the ETag we checked. */
		struct s3_request req = { .method = "HEAD", .bucket = bucket, .key = key };
		struct s3_reply rep;

		if ((status = s3_request(s, &req, &rep)) != EXIT_OK)
			snprintf(err, errlen, "after the upload: %s", s3_error(s));
		else if (rep.content_length != (int64_t)res->size || !s3_etag_equal(rep.etag, res->etag)) {
			snprintf(err, errlen, "after the upload the object is %" PRId64 " bytes with ETag %s, "
			    "not %" PRIu64 " with %s", rep.content_length, rep.etag, res->size, res->etag);
			status = EXIT_DATA;
		} else {
			snprintf(res->last_modified, sizeof(res->last_modified), "%s", rep.last_modified);
		}
		s3_reply_free(&rep);
	}
	free(first);
	s3_free(s);
	return status;
}
