#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "err.h"
#include "fetch.h"
#include "out.h"
#include "progress.h"
#include "s3.h"
#include "units.h"

/* --- verification, in output order ------------------------------------- */

struct digest {
	EVP_MD_CTX *md5, *sha256;
	uint32_t crc32, crc32c;
	unsigned char want_md5[16], want_sha256[32];
	uint32_t want_crc32, want_crc32c;
	bool md5_on, sha256_on, crc32_on, crc32c_on;
};

uint32_t
fetch_crc32c(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];	/* built on first use, by one thread */

	if (table[1] == 0) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0x82f63b78u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* A base64 checksum header into bytes; composite ones ("...-3") are not. */
static bool
b64(const char *s, unsigned char *out, size_t want)
{
	unsigned char buf[64];
	size_t len = strlen(s);
	int n;

	if (len == 0 || len > 60 || strchr(s, '-'))
		return false;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	while (n > 0 && len > 0 && s[--len] == '=')
		n--;
	if (n != (int)want)
		return false;
	memcpy(out, buf, want);
	return true;
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* What to check; NULL, or why the reply's checksums cannot be used. */
static const char *
digest_init(struct digest *d, const struct s3_reply *head)
{
	const char *e = head->etag;
	size_t n = strlen(e);
	unsigned char b[32];
	bool composite = strcmp(head->checksum_type, "COMPOSITE") == 0;

	memset(d, 0, sizeof(*d));
	/* A plain ETag is the MD5 of the object: 32 hex digits, in quotes or not. */
	if (n == 34 && e[0] == '"' && e[33] == '"')
		e++, n -= 2;
	if (n == 32 && strspn(e, "0123456789abcdefABCDEF") == 32 && unhex(e, d->want_md5, 16) == 0) {
		d->md5_on = (d->md5 = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestInit_ex(d->md5, EVP_md5(), NULL) == 1;
	}
	/* Composite checksums ("...-N") are of the parts, not of the object. */
	if (*head->crc32 && !composite && !strchr(head->crc32, '-')) {
		if (!b64(head->crc32, b, 4))
			return "malformed x-amz-checksum-crc32";
		d->crc32_on = true;
		d->want_crc32 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	}
	if (*head->crc32c && !composite && !strchr(head->crc32c, '-')) {
		if (!b64(head->crc32c, b, 4))
			return "malformed x-amz-checksum-crc32c";
		d->crc32c_on = true;
		d->want_crc32c = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	}
	if (*head->sha256 && !composite && !strchr(head->sha256, '-')) {
		if (!b64(head->sha256, d->want_sha256, 32))
			return "malformed x-amz-checksum-sha256";
		d->sha256_on = (d->sha256 = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL) == 1;
	}
	return NULL;
}

static void
digest_update(struct digest *d, const void *p, size_t n)
{
	if (d->md5_on)
		EVP_DigestUpdate(d->md5, p, n);
	if (d->sha256_on)
		EVP_DigestUpdate(d->sha256, p, n);
	if (d->crc32_on)
		d->crc32 = (uint32_t)crc32(d->crc32, p, (uInt)n);
	if (d->crc32c_on)
		d->crc32c = fetch_crc32c(d->crc32c, p, n);
}

/* NULL when everything checked out, else which check failed. */
static const char *
digest_check(struct digest *d)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len;

	if (d->md5_on && (EVP_DigestFinal_ex(d->md5, md, &len) != 1 ||
	    memcmp(md, d->want_md5, 16) != 0))
		return "md5 mismatch with the ETag";
	if (d->sha256_on && (EVP_DigestFinal_ex(d->sha256, md, &len) != 1 ||
	    memcmp(md, d->want_sha256, 32) != 0))
		return "sha256 mismatch with x-amz-checksum-sha256";
	if (d->crc32_on && d->crc32 != d->want_crc32)
		return "crc32 mismatch with x-amz-checksum-crc32";
	if (d->crc32c_on && d->crc32c != d->want_crc32c)
		return "crc32c mismatch with x-amz-checksum-crc32c";
	return NULL;
}

static void
digest_free(struct digest *d)
{
	EVP_MD_CTX_free(d->md5);
	EVP_MD_CTX_free(d->sha256);
}

/* --- one object ------------------------------------------------------ */

struct job {
	const struct fetch_opts *o;
	const char *bucket, *key, *url;
	char etag[256];
	int64_t size;		/* -1: unknown (presigned) */
	int64_t modified;	/* Last-Modified when there is no ETag, else -1 */
	int fd;
	struct digest dg;
	struct progress *pr;
	uint64_t written;
	char *err;
	size_t errlen;
	int werrno;		/* errno of a failed write */
};

/* Write in order: the output, the digests, the meter. 0 or OUT_*. */
static int
emit(struct job *j, const void *p, size_t n)
{
	int r = j->fd < 0 ? 0 : out_write(j->fd, p, n);

	if (r == OUT_ERROR)
		j->werrno = errno;
	if (r == 0) {
		digest_update(&j->dg, p, n);
		j->written += n;
		progress_update(j->pr, j->written);
	}
	return r;
}

/* Where a range's bytes go: straight out (one stream) or into a buffer. */
struct range {
	struct job *j;
	unsigned char *buf;	/* NULL: emit */
	int64_t cap;		/* the buffer's size */
	int64_t got;
	int werr;
};

static int
range_sink(void *arg, const char *p, size_t n)
{
	struct range *r = arg;

	if (r->buf) {
		if ((int64_t)n > r->cap - r->got)
			return 1;	/* never past the buffer, whatever was sent */
		memcpy(r->buf + r->got, p, n);
	} else if ((r->werr = emit(r->j, p, n)) != 0) {
		return 1;
	}
	r->got += (int64_t)n;
	return 0;
}

/*
 * The header that keeps a request to the version of the object the HEAD
 * saw: If-Match with its ETag, else If-Unmodified-Since with its
 * Last-Modified (written by us, from the time we parsed).
 */
static const char *
guard(const struct job *j, char *buf, size_t len)
{
	if (*j->etag) {
		snprintf(buf, len, "If-Match: %s", j->etag);
	} else {
		time_t t = (time_t)j->modified;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, len, "If-Unmodified-Since: %a, %d %b %Y %H:%M:%S GMT", &tm);
	}
	return buf;
}

/*
 * Fetch bytes [start, end) (end -1: to the end), resuming after dropped
 * connections. Returns an exit status, or -1 when the output failed.
 */
static int
get_range(struct s3 *s, struct job *j, int64_t start, int64_t end, unsigned char *buf)
{
	struct range r = { j, buf, end - start, 0, 0 };
	int failures = 0, status;

	for (;;) {
		char match[300];
		const char *hdr[1];
		struct s3_range want = { start + r.got, end >= 0 ? end - 1 : -1, j->size };
		struct s3_request req = { .url = j->url, .method = "GET", .bucket = j->bucket,
		    .key = j->key, .headers = hdr, .sink = range_sink, .sink_arg = &r };
		struct s3_reply rep;

		if (end >= 0 && start + r.got >= end)
			return EXIT_OK;		/* an empty part */
		if (start + r.got > 0 || end >= 0)
			req.range = &want;
		else if (j->size >= 0)
			req.whole = true;
		req.size = j->size;
		if (*j->etag || j->modified >= 0)
			hdr[req.nheaders++] = guard(j, match, sizeof(match));
		status = s3_request(s, &req, &rep);
		if (r.werr) {
			s3_reply_free(&rep);
			if (r.werr == OUT_EPIPE)
				return -1;
			snprintf(j->err, j->errlen, "write error on the output: %s", strerror(j->werrno));
			return EXIT_DATA;
		}
		if (status == EXIT_OK && *j->etag == '\0' && j->modified < 0)
			snprintf(j->etag, sizeof(j->etag), "%s", rep.etag);
		if (rep.status == 412) {
			if (*j->etag)
				snprintf(j->err, j->errlen, "object changed during download (ETag no "
				    "longer %s)", j->etag);
			else
				snprintf(j->err, j->errlen, "object changed during download (%s)",
				    match + strlen("If-"));
			s3_reply_free(&rep);
			return EXIT_DATA;
		}
		s3_reply_free(&rep);
		if (status == EXIT_OK && (end < 0 || start + r.got == end))
			return EXIT_OK;
		if (status == EXIT_OK)
			snprintf(j->err, j->errlen, "short reply: %" PRId64 " of %" PRId64 " bytes",
			    r.got, end - start);
		else
			snprintf(j->err, j->errlen, "%s", s3_error(s));
		if ((status != EXIT_OK && status != EXIT_TRANSIENT) ||
		    ++failures >= j->o->cfg->max_attempts)
			return status == EXIT_OK ? EXIT_TRANSIENT : status;
		if (j->o->verbose)
			fprintf(stderr, "%s: resuming at byte %" PRId64 "\n", prog, start + r.got);
		nanosleep(&(struct timespec){ 0, 100000000L * failures }, NULL);
	}
}

/* --- parts in parallel ------------------------------------------------ */

struct slot {
	int64_t part;		/* the part this buffer is for */
	size_t len;
	bool done;
	unsigned char *buf;
};

struct pool {
	struct job *j;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	unsigned nslots;
	int64_t next, nparts;
	bool stop;
	int status;
};

struct worker {
	struct pool *p;
	struct s3 *s;
	char err[1024];
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;
	size_t ps = p->j->o->part_size;

	for (;;) {
		int64_t k, start, end;
		struct slot *sl;
		struct job local;
		int r;

		pthread_mutex_lock(&p->mu);
		if (p->stop || p->next >= p->nparts) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		k = p->next++;
		sl = &p->slots[k % p->nslots];
		while (!p->stop && sl->part != k)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (p->stop)
			return NULL;
		start = k * (int64_t)ps;
		end = start + (int64_t)ps < p->j->size ? start + (int64_t)ps : p->j->size;
		/* Each worker reports into its own copy of the job's error. */
		local = *p->j;
		local.err = w->err;
		local.errlen = sizeof(w->err);
		r = get_range(w->s, &local, start, end, sl->buf);
		pthread_mutex_lock(&p->mu);
		if (r != EXIT_OK) {
			if (!p->stop) {
				p->status = r;
				snprintf(p->j->err, p->j->errlen, "%s", w->err);
			}
			p->stop = true;
		} else {
			sl->len = (size_t)(end - start);
			sl->done = true;
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

static int
get_parallel(struct job *j)
{
	const struct fetch_opts *o = j->o;
	struct pool p = { .j = j };
	struct worker *ws;
	pthread_t *th;
	unsigned n, started = 0;
	int status = EXIT_OK;

	p.nparts = (j->size + (int64_t)o->part_size - 1) / (int64_t)o->part_size;
	n = o->jobs < p.nparts ? o->jobs : (unsigned)p.nparts;
	p.nslots = n;
	p.slots = calloc(n, sizeof(*p.slots));
	ws = calloc(n, sizeof(*ws));
	th = calloc(n, sizeof(*th));
	if (p.slots == NULL || ws == NULL || th == NULL)
		die(EXIT_DATA, "out of memory");
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (unsigned i = 0; i < n; i++) {
		p.slots[i].part = i;
		if ((p.slots[i].buf = malloc(o->part_size)) == NULL ||
		    (ws[i].s = s3_new(o->cfg, o->verbose)) == NULL)
			die(EXIT_DATA, "out of memory");
		ws[i].p = &p;
	}
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, work, &ws[i]) == 0)
			started++;
	if (started == 0)
		die(EXIT_DATA, "cannot start threads");

	for (int64_t k = 0; k < p.nparts; k++) {
		struct slot *sl = &p.slots[k % n];
		int r;

		pthread_mutex_lock(&p.mu);
		while (!p.stop && !(sl->part == k && sl->done))
			pthread_cond_wait(&p.cv, &p.mu);
		if (p.stop) {
			status = p.status;
			pthread_mutex_unlock(&p.mu);
			break;
		}
		pthread_mutex_unlock(&p.mu);
		r = emit(j, sl->buf, sl->len);
		pthread_mutex_lock(&p.mu);
		if (r != 0) {
			status = r == OUT_EPIPE ? -1 : EXIT_DATA;
			if (r != OUT_EPIPE)
				snprintf(j->err, j->errlen, "write error on the output: %s",
				    strerror(j->werrno));
			p.stop = true;
		}
		sl->done = false;
		sl->part = k + n;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (r != 0)
			break;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < n; i++) {
		free(p.slots[i].buf);
		s3_free(ws[i].s);
	}
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	free(p.slots);
	free(ws);
	free(th);
	return status;
}

/*
 * Set once a store answered 400 (B2) or 501 (R2, until 2025) to a HEAD
 * with x-amz-checksum-mode and then answered the same HEAD without it:
 * the header is left out for the rest of the run.
 */
static bool checksum_mode_refused;

/*
 * Without an ETag, requests are guarded by the Last-Modified instead; an
 * object with neither cannot be fetched without the risk of a splice.
 */
static const char *
unguarded(struct job *j, const struct s3_reply *head)
{
	int64_t t;

	if (*head->last_modified && units_parse_http_date(head->last_modified, &t) == 0 && t >= 0) {
		j->modified = t;
		return NULL;
	}
	return "the server gave neither an ETag nor a valid Last-Modified: a download "
	    "could splice two versions of the object";
}

int
fetch_object(const struct fetch_opts *o, const char *bucket, const char *key,
    const char *url, const char *label, int fd, char *err, size_t errlen)
{
	struct job j = { .o = o, .bucket = bucket, .key = key, .url = url, .fd = fd,
	    .size = -1, .modified = -1, .err = err, .errlen = errlen };
	struct s3_reply head = { 0 };
	struct s3 *s = s3_new(o->cfg, o->verbose);
	const char *bad;
	int status;

	if (s == NULL) {
		snprintf(err, errlen, "cannot start the HTTP client");
		return EXIT_DATA;
	}
	if (url == NULL) {
		static const char *const mode[] = { "x-amz-checksum-mode: ENABLED" };
		struct s3_request req = { .method = "HEAD", .bucket = bucket, .key = key,
		    .headers = mode, .nheaders = checksum_mode_refused ? 0 : 1 };

		status = s3_request(s, &req, &head);
		if (status != EXIT_OK && req.nheaders && (head.status == 400 || head.status == 501)) {
			/* A store that does not know the header: asked again without it. */
			req.nheaders = 0;
			s3_reply_free(&head);
			if ((status = s3_request(s, &req, &head)) == EXIT_OK) {
				checksum_mode_refused = true;
				if (o->verbose)
					fprintf(stderr, "%s: the store refuses x-amz-checksum-mode: "
					    "not asked for checksums again\n", prog);
			}
		}
		if (status != EXIT_OK && head.status >= 400 && head.status < 500) {
			/* A HEAD reply has no body to say why: ask again with a GET. */
			static const struct s3_range one = { 0, 0, -1 };
			struct s3_request get = { .method = "GET", .bucket = bucket, .key = key,
			    .range = &one, .max_body = 1 };

			s3_reply_free(&head);
			if (s3_request(s, &get, &head) == EXIT_OK) {
				/* It got through (the clock was corrected on the way). */
				s3_reply_free(&head);
				status = s3_request(s, &req, &head);
			}
		}
		if (status != EXIT_OK) {
			snprintf(err, errlen, "%s", s3_error(s));
			goto done;
		}
		if (head.content_length < 0) {
			snprintf(err, errlen, "the server gave no Content-Length");
			status = EXIT_DATA;
			goto done;
		}
		j.size = head.content_length;
		snprintf(j.etag, sizeof(j.etag), "%s", head.etag);
	} else {
		/*
		 * A presigned URL is for GET alone: its first byte tells the
		 * size and the ETag, so the length and the MD5 are checked too.
		 */
		static const struct s3_range one = { 0, 0, -1 };
		struct s3_request probe = { .url = url, .method = "GET", .range = &one, .max_body = 1 };

		status = s3_request(s, &probe, &head);
		if (status != EXIT_OK && head.status == 416) {
			/* An empty object has no first byte: nothing to check against. */
			s3_reply_free(&head);
			s3_reply_init(&head);
			head.content_length = 0;
			status = EXIT_OK;
		} else if (status != EXIT_OK) {
			snprintf(err, errlen, "%s", s3_error(s));
			goto done;
		}
		j.size = head.status == 206 ? head.total_length : head.content_length;
		snprintf(j.etag, sizeof(j.etag), "%s", head.etag);
	}
	if (*j.etag == '\0' && j.size != 0 && (bad = unguarded(&j, &head)) != NULL) {
		snprintf(err, errlen, "%s", bad);
		status = EXIT_DATA;
		goto done;
	}
	if ((bad = digest_init(&j.dg, &head)) != NULL) {
		snprintf(err, errlen, "%s", bad);
		digest_free(&j.dg);
		status = EXIT_DATA;
		goto done;
	}
	j.pr = progress_new(stderr, label, j.size, o->progress);
	if (j.size > (int64_t)o->part_size && o->jobs > 1)
		status = get_parallel(&j);
	else
		status = get_range(s, &j, 0, -1, NULL);
	progress_end(j.pr);
	progress_free(j.pr);
	if (status == EXIT_OK && j.size >= 0 && (int64_t)j.written != j.size) {
		snprintf(err, errlen, "length mismatch: got %" PRIu64 " bytes, Content-Length %" PRId64,
		    j.written, j.size);
		status = EXIT_DATA;
	}
	if (status == EXIT_OK && (bad = digest_check(&j.dg)) != NULL) {
		snprintf(err, errlen, "%s", bad);
		status = EXIT_DATA;
	}
	digest_free(&j.dg);
done:
	s3_reply_free(&head);
	s3_free(s);
	return status;
}
